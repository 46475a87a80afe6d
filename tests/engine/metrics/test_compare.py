"""McNemar's test against values computed by hand, pairing two runs' predictions, the figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from genre_core.errors import DataError
from genre_core.metrics import compare
from genre_core.plots import compare as compare_plots


def _predictions(both_right: int, only_a: int, only_b: int, both_wrong: int):
    """True genres and two models' predictions with exactly these agreement counts."""
    true, a, b = [], [], []
    for count, a_right, b_right in (
        (both_right, True, True),
        (only_a, True, False),
        (only_b, False, True),
        (both_wrong, False, False),
    ):
        true += ["pop"] * count
        a += ["pop" if a_right else "rock"] * count
        b += ["pop" if b_right else "rap"] * count
    return np.array(true), np.array(a), np.array(b)


def test_exact_binomial_when_discordant_pairs_are_few():
    # b = 3, c = 9: p = 2 * P(X <= 3 | n = 12, 1/2) = 2 * (1 + 12 + 66 + 220) / 4096
    true, a, b = _predictions(40, 3, 9, 8)
    test = compare.mcnemar_counts(true, a, b)
    assert (test.both_right, test.only_a, test.only_b, test.both_wrong) == (40, 3, 9, 8)
    assert test.n == 60 and test.discordant == 12
    assert test.method == "exact binomial" and test.statistic is None
    assert test.p_value == pytest.approx(598 / 4096, rel=1e-12)
    assert not test.significant
    words = test.verdict("logreg", "forest")
    assert "forest alone is right on 9" in words and "may be chance" in words


def test_chi_square_with_continuity_correction_when_they_are_many():
    # b = 10, c = 25: chi2 = (|10 - 25| - 1)^2 / 35 = 5.6; p = erfc(sqrt(5.6 / 2)) for 1 dof
    true, a, b = _predictions(100, 10, 25, 5)
    test = compare.mcnemar_counts(true, a, b)
    assert test.method == "chi-square with continuity correction"
    assert test.statistic == pytest.approx(5.6)
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(5.6 / 2)), rel=1e-9)
    assert test.p_value == pytest.approx(0.01796, abs=1e-5)
    assert test.significant
    assert "The difference is real" in test.verdict("A", "B")
    assert "B is better" in test.verdict("A", "B")


def test_the_switch_between_the_two_tests_is_at_25_discordant_rows():
    assert compare.mcnemar_test(4, 20).method == "exact binomial"  # 24 discordant
    # 24: 2 * P(X <= 4 | n = 24) = 2 * (1 + 24 + 276 + 2024 + 10626) / 2^24
    assert compare.mcnemar_test(4, 20).p_value == pytest.approx(2 * 12951 / 2**24, rel=1e-12)
    chi = compare.mcnemar_test(5, 20)  # 25 discordant: (15 - 1)^2 / 25 = 7.84
    assert chi.method.startswith("chi-square") and chi.statistic == pytest.approx(7.84)


def test_no_discordant_rows_means_no_difference():
    true, a, b = _predictions(10, 0, 0, 2)
    test = compare.mcnemar_counts(true, a, b)
    assert test.p_value == 1.0 and not test.significant
    assert "exactly the same" in test.verdict()


def test_equal_discordant_counts_are_not_significant():
    test = compare.mcnemar_test(7, 7)
    assert test.p_value == pytest.approx(1.0)
    assert "Neither is better" in test.verdict()


def test_mismatched_lengths_are_refused():
    with pytest.raises(DataError, match="same number"):
        compare.mcnemar_counts(["a", "b"], ["a"], ["a", "b"])
    with pytest.raises(DataError, match="no test rows"):
        compare.mcnemar_counts([], [], [])


def _table(rows, true, pred):
    return pd.DataFrame({"row": rows, "true": true, "pred": pred})


def test_pairing_aligns_rows_whatever_their_order():
    a = _table([3, 1, 2], ["x", "y", "z"], ["x", "x", "z"])
    b = _table([1, 2, 3], ["y", "z", "x"], ["y", "y", "y"])
    paired = compare.paired_predictions(a, b, "h", "h")
    assert paired["row"].tolist() == [1, 2, 3]
    assert paired["true"].tolist() == ["y", "z", "x"]
    assert paired["pred_a"].tolist() == ["x", "z", "x"]
    assert paired["pred_b"].tolist() == ["y", "y", "y"]


def test_pairing_refuses_different_test_sets():
    a = _table([1, 2], ["x", "y"], ["x", "y"])
    with pytest.raises(DataError, match="different test sets"):
        compare.paired_predictions(a, a, "aaaa", "bbbb")
    with pytest.raises(DataError, match="different rows"):
        compare.paired_predictions(a, _table([1, 5], ["x", "y"], ["x", "y"]))
    with pytest.raises(DataError, match="different true genres"):
        compare.paired_predictions(a, _table([1, 2], ["x", "x"], ["x", "y"]))


def test_figures_hold_one_trace_per_run():
    table = pd.DataFrame(
        {"accuracy": [0.5, 0.6], "f1_macro": [0.4, 0.55]}, index=["run a", "run b"]
    )
    bars = compare_plots.metrics_figure(table, ["accuracy", "f1_macro"])
    assert [t.name for t in bars.data] == ["run a", "run b"]
    assert list(bars.data[1].y) == [0.6, 0.55]
    curves = {
        "net 1": pd.DataFrame({"epoch": [1, 2, 3], "valid_acc": [0.3, 0.4, 0.5]}),
        "net 2": pd.DataFrame({"epoch": [1, 2], "valid_acc": [0.2, 0.6]}),
        "no such": pd.DataFrame({"epoch": [1], "elbo": [3.0]}),
    }
    lines = compare_plots.curves_figure(curves, "valid_acc")
    assert [t.name for t in lines.data] == ["net 1", "net 2"]
    assert list(lines.data[0].y) == [0.3, 0.4, 0.5]
