"""Top-k over all items for a chunk of users, with seen items excluded and a popularity fallback.

FM is an exact maximum-inner-product search: ⟨[v_u; 1], [v_i; w_i]⟩ + (w0 + w_u) is its score, so a
FAISS ``IndexFlatIP`` over the augmented item vectors finds the candidates. Every other model
(NCF, popularity, random) is scored densely in sub-batches and masked before top-k. In both paths
the final order is by the model's exact float32 score, ties broken by the lower item index, as in
``shared.ranking.top_k``.
"""

from dataclasses import dataclass

import faiss
import numpy as np
import torch

from shared.models import FM, NCF, Recommender
from shared.models.fm import FMModule
from shared.preparation.interactions import InteractionMatrix
from shared.ranking import mask_seen, top_k

_DENSE_BYTES = 1 << 27  # working memory per dense sub-batch


@dataclass(frozen=True)
class TopK:
    """[rows, k] item indices best first (-1 past a row's candidates) and their float32 scores."""

    items: np.ndarray
    scores: np.ndarray


def _ordered(items: np.ndarray, scores: np.ndarray, k: int) -> TopK:
    """Per row: sort candidates by (-score, item), drop -inf ones, keep k, pad with -1."""
    order = np.lexsort((items, -scores.astype(np.float64)), axis=1)
    items = np.take_along_axis(items, order, axis=1)[:, :k].copy()
    scores = np.take_along_axis(scores, order, axis=1)[:, :k].copy()
    items[~np.isfinite(scores)] = -1
    return TopK(items, scores)


class Scorer:
    """Exact top-k for one loaded model; build once per process and model version."""

    def __init__(self, model: Recommender, history: InteractionMatrix, popularity: np.ndarray) -> None:
        self.model = model
        self.history = history
        self.n_items = model.n_items
        self.popularity = popularity.astype(np.float32)
        self.index: faiss.IndexFlatIP | None = None
        if isinstance(model, FM):
            module = model.module
            assert isinstance(module, FMModule)
            items = module.item_embedding.weight.detach().cpu().double().numpy()
            item_bias = module.item_bias.weight.detach().cpu().double().numpy()
            self._user_vec = module.user_embedding.weight.detach().cpu().double().numpy()
            self._user_const = (
                module.user_bias.weight.detach().cpu().double().numpy()[:, 0]
                + float(module.global_bias.detach().cpu().double())
            )
            self._item_aug = np.hstack([items, item_bias])  # [v_i; w_i], float64 for exact rescoring
            self.index = faiss.IndexFlatIP(self._item_aug.shape[1])
            self.index.add(np.ascontiguousarray(self._item_aug, dtype=np.float32))

    @property
    def method(self) -> str:
        return "faiss-flat-ip" if self.index is not None else "dense"

    def top_k(self, users: np.ndarray, k: int, exclude_seen: bool = True) -> TopK:
        if k <= 0:
            raise ValueError("k must be positive")
        if len(users) == 0:
            return TopK(np.empty((0, k), np.int64), np.empty((0, k), np.float32))
        if self.index is not None:
            return self._faiss_top_k(users, k, exclude_seen)
        return self._dense_top_k(users, k, exclude_seen)

    def fallback(self, rows: int, k: int) -> TopK:
        """The popularity list (ties by item index) for users the model does not know."""
        items, scores = top_k(self.popularity[None, :], k)
        return TopK(np.repeat(items, rows, axis=0), np.repeat(scores, rows, axis=0))

    def _exact_fm(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """FM's exact score (float64, rounded to float32 like ``FM.score``) for [rows, c] items."""
        query = np.hstack([self._user_vec[users], np.ones((len(users), 1))])
        dots = np.einsum("bd,bcd->bc", query, self._item_aug[items])
        return (dots + self._user_const[users][:, None]).astype(np.float32)

    def _faiss_top_k(self, users: np.ndarray, k: int, exclude_seen: bool) -> TopK:
        assert self.index is not None
        extra = int(self.history.counts()[users].max()) if exclude_seen else 0
        width = min(self.n_items, k + extra)
        query = np.hstack([self._user_vec[users], np.ones((len(users), 1))]).astype(np.float32)
        _, found = self.index.search(np.ascontiguousarray(query), width)
        found = found.astype(np.int64)
        scores = self._exact_fm(users, np.maximum(found, 0))
        invalid = found < 0
        if exclude_seen:
            invalid |= self.history.contains(np.repeat(users, width), found.reshape(-1)).reshape(found.shape)
        scores[invalid] = -np.inf
        return _ordered(found, scores, min(k, self.n_items))

    def _dense_batch(self) -> int:
        per_user = self.n_items * 4
        if isinstance(self.model, NCF):
            per_user = self.n_items * self.model.config.mlp_layers[1] * 8 * 2
        return max(1, min(1024, _DENSE_BYTES // per_user))

    @torch.no_grad()
    def _dense_top_k(self, users: np.ndarray, k: int, exclude_seen: bool) -> TopK:
        k = min(k, self.n_items)
        items, scores = [], []
        step = self._dense_batch()
        for start in range(0, len(users), step):
            batch = users[start : start + step]
            dense = self.model.score(batch)
            if np.isnan(dense).any():
                raise FloatingPointError(f"{self.model.name} produced NaN scores")
            if exclude_seen:
                dense = mask_seen(dense, self.history.dense_mask(batch))
            got_items, got_scores = top_k(dense, k)
            items.append(got_items)
            scores.append(got_scores)
        return TopK(np.concatenate(items), np.concatenate(scores))
