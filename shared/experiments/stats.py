"""Small statistics for experiment tables: Kendall's τ-b and mean ± sd."""

import math
from collections.abc import Sequence

import numpy as np


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's τ-b between two scorings of the same items (ties corrected).

    τ-b = (C - D) / sqrt((P - Tx) (P - Ty)), where over all P = n(n-1)/2 pairs C are concordant, D
    discordant, and Tx / Ty the pairs tied in x / y. NaN when either scoring is constant.
    """
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    upper = np.triu_indices(len(a), k=1)
    dx = np.sign(a[:, None] - a[None, :])[upper]
    dy = np.sign(b[:, None] - b[None, :])[upper]
    pairs = len(dx)
    denominator = math.sqrt(float(np.count_nonzero(dx)) * float(np.count_nonzero(dy)))
    if pairs == 0 or denominator == 0:
        return math.nan
    return float((dx * dy).sum()) / denominator


def mean_sd(values: Sequence[float], digits: int = 4) -> str:
    """``mean ± sd`` (sample sd, n-1) or just the value for a single run; ``–`` when empty."""
    finite = [v for v in values if v == v]
    if not finite:
        return "–"
    mean = float(np.mean(finite))
    if len(finite) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {float(np.std(finite, ddof=1)):.{digits}f}"
