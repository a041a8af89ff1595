"""From raw interactions to a prepared split: clean, index, split; a hash names the result."""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shared.preparation.cleaning import clean, dataset_statistics
from shared.preparation.interactions import InteractionMatrix
from shared.preparation.split import TEST, TRAIN, VALID, SplitMode, leave_one_out
from shared.seeding import derive_seed


@dataclass(frozen=True)
class PrepConfig:
    """Everything that decides the prepared data, and so its hash."""

    dataset: str
    min_user_interactions: int
    min_item_interactions: int
    split: SplitMode = "time"
    seed: int = 0


@dataclass
class PreparedData:
    """Indexed interactions with a leave-one-out label per row.

    Users and items are numbered 0..n-1 in the sorted order of their raw ids. ``valid_item`` and
    ``test_item`` hold one item per user, or -1 for users with fewer than 3 interactions.
    """

    config: PrepConfig
    user_ids: np.ndarray
    item_ids: np.ndarray
    users: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray
    labels: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def _held_out(self, label: int) -> np.ndarray:
        out = np.full(self.n_users, -1, dtype=np.int64)
        rows = self.labels == label
        out[self.users[rows]] = self.items[rows]
        return out

    @property
    def valid_item(self) -> np.ndarray:
        return self._held_out(VALID)

    @property
    def test_item(self) -> np.ndarray:
        return self._held_out(TEST)

    def train_matrix(self, with_valid: bool = False) -> InteractionMatrix:
        """Train interactions; ``with_valid`` adds the validation items (for refit and test)."""
        rows = (self.labels == TRAIN) | ((self.labels == VALID) & with_valid)
        return InteractionMatrix.from_pairs(
            self.users[rows], self.items[rows], self.n_users, self.n_items
        )

    @property
    def prep_hash(self) -> str:
        digest = hashlib.sha256(json.dumps(asdict(self.config), sort_keys=True).encode())
        for array in (self.users, self.items, self.timestamps, self.labels):
            digest.update(np.ascontiguousarray(array).tobytes())
        for ids in (self.user_ids, self.item_ids):
            digest.update("\n".join(map(str, ids)).encode())
        return digest.hexdigest()

    def save(self, folder: Path) -> None:
        """Parquet tables and JSON: nothing pickled."""
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {
                "user": self.users,
                "item": self.items,
                "timestamp": self.timestamps,
                "split": self.labels,
            }
        ).to_parquet(folder / "interactions.parquet", index=False)
        pd.DataFrame({"user_id": self.user_ids}).to_parquet(folder / "users.parquet", index=False)
        pd.DataFrame({"item_id": self.item_ids}).to_parquet(folder / "items.parquet", index=False)
        meta = {"config": asdict(self.config), "prep_hash": self.prep_hash, "stats": self.stats}
        (folder / "prepared.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "PreparedData":
        meta = json.loads((folder / "prepared.json").read_text())
        table = pd.read_parquet(folder / "interactions.parquet")
        data = cls(
            config=PrepConfig(**meta["config"]),
            user_ids=pd.read_parquet(folder / "users.parquet")["user_id"].to_numpy(dtype=object),
            item_ids=pd.read_parquet(folder / "items.parquet")["item_id"].to_numpy(dtype=object),
            users=table["user"].to_numpy(np.int64),
            items=table["item"].to_numpy(np.int64),
            timestamps=table["timestamp"].to_numpy(np.int64),
            labels=table["split"].to_numpy(np.int8),
            stats=meta["stats"],
        )
        if data.prep_hash != meta["prep_hash"]:
            raise ValueError(f"{folder}: prepared data does not match its recorded hash")
        return data


def prepare(raw: pd.DataFrame, config: PrepConfig) -> PreparedData:
    """Clean, index and split raw interactions (columns user, item, rating, timestamp)."""
    cleaned = clean(raw, config.min_user_interactions, config.min_item_interactions, config.dataset)
    user_ids, users = np.unique(cleaned["user"].to_numpy(dtype=str), return_inverse=True)
    item_ids, items = np.unique(cleaned["item"].to_numpy(dtype=str), return_inverse=True)
    users, items = users.astype(np.int64), items.astype(np.int64)
    timestamps = cleaned["timestamp"].to_numpy(np.int64)
    labels = leave_one_out(
        users,
        timestamps,
        cleaned["row"].to_numpy(np.int64),
        config.split,
        derive_seed(config.seed, "split"),
    )
    stats = dataset_statistics(users, items, len(user_ids), len(item_ids))
    stats["valid_users"] = int((labels == VALID).sum())
    stats["test_users"] = int((labels == TEST).sum())
    return PreparedData(
        config,
        user_ids.astype(object),
        item_ids.astype(object),
        users,
        items,
        timestamps,
        labels,
        stats,
    )
