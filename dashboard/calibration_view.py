"""Calibration on a page: the reliability diagram and "answer only when sure" of one model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.charts import chart
from genre_core.metrics.calibration import risk_coverage
from genre_core.metrics.evaluation import Evaluation
from genre_core.plots.calibration import reliability_figure, risk_coverage_figure


def calibration_view(
    key: str, ev: Evaluation, name: str = "", entropy: np.ndarray | None = None
) -> None:
    """Side by side: accuracy per confidence bin against the diagonal (with the expected
    calibration error), and accuracy on the tracks answered as the model answers fewer. With
    ``entropy`` (a Bayesian model's predictive entropy of each evaluated row), the answers are
    also ranked by it, lower first, on the same chart."""
    result = ev.calibration
    if result is None:
        return
    left, right = st.columns(2)
    chart(
        reliability_figure(result),
        result.bins,
        f"{key}.reliability.{name}",
        f"{key}-reliability",
        left,
    )
    left.caption(
        f"Reading: when this model says it is 80% sure, is it right 80% of the time? Bars "
        f"under the dotted diagonal mean overconfidence. On average its confidence is "
        f"{result.ece:.1%} away from its accuracy (the expected calibration error)."
    )
    curves = [result.curve]
    if entropy is not None and ev.correct is not None:
        curves.append(risk_coverage(ev.correct, entropy, ranked_by="entropy"))
    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "ranked_by": c.ranked_by,
                    "coverage": c.coverage,
                    "accuracy": c.accuracy,
                    "threshold": c.threshold,
                }
            )
            for c in curves
        ],
        ignore_index=True,
    )
    chart(
        risk_coverage_figure(result, also=curves[1:]),
        table,
        f"{key}.coverage.{name}",
        f"{key}-coverage",
        right,
    )
    reading = (
        f"Reading: a model may abstain when unsure. Answering only the half of the tracks it is "
        f"surest of, it is right {result.accuracy_at(0.5):.1%} of the time; answering all, "
        f"{result.accuracy_at(1.0):.1%}."
    )
    if len(curves) > 1:
        by_entropy = curves[1].accuracy_at(0.5)
        reading += (
            f" Ranked by predictive entropy instead (the spread of the whole posterior "
            f"predictive, lower is surer), the surest half is right {by_entropy:.1%} of the time."
        )
    right.caption(reading)
