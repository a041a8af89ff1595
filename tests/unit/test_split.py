import numpy as np
import pandas as pd

from shared.preparation import PrepConfig, leave_one_out, prepare
from shared.preparation.split import TEST, TRAIN, VALID


def test_split_invariants_on_the_study_table(amazon):
    data = amazon
    counts = np.bincount(data.users, minlength=data.n_users)
    eligible = counts >= 3
    for label in (VALID, TEST):
        per_user = np.bincount(data.users[data.labels == label], minlength=data.n_users)
        assert (per_user[eligible] == 1).all()
        assert (per_user[~eligible] == 0).all()
    # every cleaned interaction is in exactly one part, and no (user, item) pair repeats
    assert len(data.labels) == data.stats["interactions"]
    assert set(np.unique(data.labels)) <= {TRAIN, VALID, TEST}
    keys = data.users * data.n_items + data.items
    assert len(np.unique(keys)) == len(keys)
    # test is the latest by (timestamp, row); validation the one before it
    frame = pd.DataFrame(
        {
            "u": data.users,
            "t": data.timestamps,
            "row": np.arange(len(data.users)),
            "label": data.labels,
        }
    )
    last_two = frame.sort_values(["u", "t", "row"]).groupby("u").tail(2)
    assert (
        last_two.groupby("u")["label"].apply(list) == pd.Series([[VALID, TEST]] * data.n_users)
    ).all()


def test_ties_on_timestamp_break_by_original_row_order():
    users = np.zeros(4, dtype=np.int64)
    timestamps = np.array([10, 20, 20, 20], dtype=np.int64)
    rows = np.array([0, 3, 1, 2], dtype=np.int64)  # rows out of order on purpose
    labels = leave_one_out(users, timestamps, rows)
    assert labels.tolist() == [TRAIN, TEST, TRAIN, VALID]


def test_users_with_fewer_than_three_interactions_stay_in_train():
    labels = leave_one_out(
        np.array([0, 0, 1, 1, 1], dtype=np.int64),
        np.array([1, 2, 1, 2, 3], dtype=np.int64),
        np.arange(5, dtype=np.int64),
    )
    assert labels.tolist() == [TRAIN, TRAIN, TRAIN, VALID, TEST]


def test_timestamps_stay_int64_so_64_seconds_apart_are_not_merged():
    # float32 cannot tell these apart: 1.5e9 and 1.5e9 + 64 round to the same value
    t = np.array([1_500_000_000, 1_500_000_064, 1_500_000_000 + 128], dtype=np.int64)
    assert np.float32(t[0]) == np.float32(t[1])
    frame = pd.DataFrame(
        {"user": ["a"] * 3, "item": ["z", "y", "x"], "rating": 1.0, "timestamp": t[::-1]}
    )
    data = prepare(frame, PrepConfig("t", 1, 1))
    assert data.timestamps.dtype == np.int64
    assert data.item_ids[data.test_item[0]] == "z"  # latest timestamp, although it is the first row


def test_random_split_is_seeded():
    users = np.repeat(np.arange(50, dtype=np.int64), 6)
    t = np.arange(300, dtype=np.int64)
    a = leave_one_out(users, t, t, "random", seed=1)
    b = leave_one_out(users, t, t, "random", seed=1)
    c = leave_one_out(users, t, t, "random", seed=2)
    assert (a == b).all() and not (a == c).all()
    assert (np.bincount(users[a == TEST]) == 1).all()


def test_prepared_data_round_trips(tmp_path, blocks):
    blocks.save(tmp_path / "p")
    from shared.preparation import PreparedData

    again = PreparedData.load(tmp_path / "p")
    assert again.prep_hash == blocks.prep_hash
    assert (again.test_item == blocks.test_item).all()
