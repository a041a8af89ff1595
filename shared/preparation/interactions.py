"""A minimal CSR matrix of (user, item) interactions, with the row gathers the code needs."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class InteractionMatrix:
    """Binary user × item matrix in CSR form; each row's item indices are sorted ascending."""

    indptr: np.ndarray
    indices: np.ndarray
    n_items: int

    @classmethod
    def from_pairs(
        cls, users: np.ndarray, items: np.ndarray, n_users: int, n_items: int
    ) -> "InteractionMatrix":
        order = np.lexsort((items, users))
        counts = np.bincount(users, minlength=n_users)
        indptr = np.zeros(n_users + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, items[order].astype(np.int64), n_items)

    @property
    def n_users(self) -> int:
        return len(self.indptr) - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def row(self, user: int) -> np.ndarray:
        return self.indices[self.indptr[user] : self.indptr[user + 1]]

    def gather(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``users``, item) for every interaction of the given users."""
        starts = self.indptr[users]
        lengths = self.indptr[users + 1] - starts
        rows = np.repeat(np.arange(len(users)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return rows, self.indices[np.repeat(starts, lengths) + offsets]

    def dense_mask(self, users: np.ndarray) -> np.ndarray:
        """Boolean [len(users), n_items]: True where the user has interacted with the item."""
        mask = np.zeros((len(users), self.n_items), dtype=bool)
        rows, cols = self.gather(users)
        mask[rows, cols] = True
        return mask

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        users = np.repeat(np.arange(self.n_users, dtype=np.int64), self.counts())
        return users, self.indices

    @cached_property
    def _keys(self) -> np.ndarray:
        """user * n_items + item for every interaction: sorted, since rows and their columns are."""
        return self.pairs()[0] * self.n_items + self.indices

    def contains(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Vectorised membership test of (user, item) pairs."""
        query = users.astype(np.int64) * self.n_items + items
        if len(self._keys) == 0:
            return np.zeros(len(query), dtype=bool)
        pos = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
        return self._keys[pos] == query
