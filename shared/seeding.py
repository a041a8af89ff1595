"""One seed drives everything: each stage derives its own, stably across processes and machines."""

import hashlib


def derive_seed(seed: int, *names: str | int) -> int:
    """A 63-bit seed for one stage, a pure function of the global seed and the stage's names."""
    key = "/".join([str(seed), *map(str, names)]).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1
