"""Kendall's τ-b against cases worked out by hand."""

import math

import pytest

from shared.experiments import kendall_tau, mean_sd


def test_identical_and_reversed_orderings():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0


def test_one_swapped_pair_of_four():
    # 6 pairs, 5 concordant, 1 discordant: (5 - 1) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)


def test_three_items_two_discordant():
    # x = a<b<c; y: b<c<a → pairs (a,b) D, (a,c) D, (b,c) C: (1 - 2) / 3
    assert kendall_tau([1, 2, 3], [3, 1, 2]) == pytest.approx(-1 / 3)


def test_ties_use_the_tau_b_correction():
    # x ties items 2 and 3: C = 5, D = 0, 6 pairs, 1 tied in x, none in y → 5 / sqrt(5 · 6)
    assert kendall_tau([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / math.sqrt(30))
    # ties in both, on different pairs: x=(1,1,2), y=(1,2,2): C = 1 (a,c), D = 0; 3 - 1 tied each → 1/2
    assert kendall_tau([1, 1, 2], [1, 2, 2]) == pytest.approx(0.5)


def test_undefined_cases():
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    assert math.isnan(kendall_tau([1], [1]))
    with pytest.raises(ValueError):
        kendall_tau([1, 2], [1])


def test_mean_sd_formatting():
    assert mean_sd([0.1, 0.3]) == "0.2000 ± 0.1414"
    assert mean_sd([0.25]) == "0.2500"
    assert mean_sd([float("nan")]) == "–"
