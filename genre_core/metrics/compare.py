"""Comparing stored runs: McNemar's test on paired test predictions (the figures of the Compare
page are in :mod:`genre_core.plots.compare`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genre_core.errors import DataError

EXACT_BELOW = 25  # fewer discordant pairs than this: exact binomial test, else chi-square


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of two classifiers on the same test rows.

    ``only_a`` counts rows model A gets right and B wrong, ``only_b`` the reverse; only these
    discordant rows carry information about which model is better.
    """

    n: int
    both_right: int
    only_a: int
    only_b: int
    both_wrong: int
    method: str  # "exact binomial" or "chi-square with continuity correction"
    statistic: float | None  # the chi-square statistic (None for the exact test)
    p_value: float
    alpha: float = 0.05

    @property
    def discordant(self) -> int:
        return self.only_a + self.only_b

    @property
    def significant(self) -> bool:
        return self.p_value < self.alpha

    def verdict(self, name_a: str = "A", name_b: str = "B") -> str:
        """The result in plain words."""
        if self.discordant == 0:
            return (
                f"{name_a} and {name_b} are right and wrong on exactly the same {self.n:,} test "
                "rows: there is no difference to test."
            )
        better, worse = (name_a, name_b) if self.only_a > self.only_b else (name_b, name_a)
        ahead = max(self.only_a, self.only_b)
        behind = min(self.only_a, self.only_b)
        where = (
            f"Of the {self.n:,} test rows, they disagree on {self.discordant:,}: {better} alone "
            f"is right on {ahead:,}, {worse} alone on {behind:,}."
        )
        if self.only_a == self.only_b:
            return where + " Neither is better on these rows."
        if self.significant:
            return (
                f"{where} The difference is real: a split this uneven would happen by chance "
                f"with probability {self.p_value:.2g} (below {self.alpha:g}) if both models "
                f"were equally good, so {better} is better on this test set."
            )
        return (
            f"{where} The difference may be chance: if both models were equally good, a split "
            f"at least this uneven would happen with probability {self.p_value:.2g} (not below "
            f"{self.alpha:g}). These rows do not show that either model is better."
        )


def mcnemar_counts(
    true: Sequence, pred_a: Sequence, pred_b: Sequence, *, alpha: float = 0.05
) -> McNemar:
    """McNemar's test from the true genres and two models' predictions on the same rows.

    With fewer than :data:`EXACT_BELOW` discordant rows the exact two-sided binomial test
    (discordant rows split 50/50 under the null); otherwise the chi-square statistic
    ``(|b - c| - 1)^2 / (b + c)`` with one degree of freedom (Edwards' continuity correction).

    Raises
    ------
    DataError
        When the three sequences differ in length or are empty.
    """
    true, pred_a, pred_b = (np.asarray(v).astype(str) for v in (true, pred_a, pred_b))
    if not (len(true) == len(pred_a) == len(pred_b)):
        raise DataError("the two runs' predictions do not cover the same number of test rows.")
    if len(true) == 0:
        raise DataError("there are no test rows to compare.")
    right_a, right_b = pred_a == true, pred_b == true
    only_a = int((right_a & ~right_b).sum())
    only_b = int((~right_a & right_b).sum())
    return mcnemar_test(
        only_a,
        only_b,
        both_right=int((right_a & right_b).sum()),
        both_wrong=int((~right_a & ~right_b).sum()),
        alpha=alpha,
    )


def mcnemar_test(
    only_a: int, only_b: int, *, both_right: int = 0, both_wrong: int = 0, alpha: float = 0.05
) -> McNemar:
    """McNemar's test from the two discordant counts (see :func:`mcnemar_counts`)."""
    from scipy import stats

    n_discordant = only_a + only_b
    n = n_discordant + both_right + both_wrong
    if n_discordant == 0:
        return McNemar(n, both_right, only_a, only_b, both_wrong, "none", None, 1.0, alpha)
    if n_discordant < EXACT_BELOW:
        p = stats.binomtest(min(only_a, only_b), n_discordant, 0.5).pvalue
        return McNemar(
            n, both_right, only_a, only_b, both_wrong, "exact binomial", None, float(p), alpha
        )
    statistic = (abs(only_a - only_b) - 1) ** 2 / n_discordant
    p = stats.chi2.sf(statistic, df=1)
    return McNemar(
        n,
        both_right,
        only_a,
        only_b,
        both_wrong,
        "chi-square with continuity correction",
        float(statistic),
        float(p),
        alpha,
    )


def paired_predictions(
    a: pd.DataFrame, b: pd.DataFrame, hash_a: str = "", hash_b: str = ""
) -> pd.DataFrame:
    """Align two runs' test predictions (columns row, true, pred) row by row.

    Returns
    -------
    DataFrame
        Columns row, true, pred_a, pred_b.

    Raises
    ------
    DataError
        When the runs were not tested on the same rows (different test-set hashes, rows or
        true genres): pairing them would compare different questions.
    """
    if hash_a and hash_b and hash_a != hash_b:
        raise DataError(
            "the two runs were tested on different test sets (other dataset, genres, split or "
            "seed), so their predictions cannot be paired. Pick two runs with the same test set."
        )
    left = a.sort_values("row", ignore_index=True)
    right = b.sort_values("row", ignore_index=True)
    if len(left) != len(right) or not (left["row"].to_numpy() == right["row"].to_numpy()).all():
        raise DataError("the two runs were tested on different rows, so they cannot be paired.")
    if not (left["true"].astype(str).to_numpy() == right["true"].astype(str).to_numpy()).all():
        raise DataError(
            "the two runs give the same test rows different true genres (another merge of "
            "genres?), so they cannot be paired."
        )
    return pd.DataFrame(
        {
            "row": left["row"],
            "true": left["true"].astype(str),
            "pred_a": left["pred"].astype(str),
            "pred_b": right["pred"].astype(str),
        }
    )
