"""Calibration on a page: the reliability diagram and "answer only when sure" of one model."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import chart
from genre_core.metrics.evaluation import Evaluation
from genre_core.plots.calibration import reliability_figure, risk_coverage_figure


def calibration_view(key: str, ev: Evaluation, name: str = "") -> None:
    """Side by side: accuracy per confidence bin against the diagonal (with the expected
    calibration error), and accuracy on the tracks answered as the model answers fewer."""
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
    curve = pd.DataFrame(
        {"coverage": result.coverage, "accuracy": result.accuracy, "threshold": result.threshold}
    )
    chart(risk_coverage_figure(result), curve, f"{key}.coverage.{name}", f"{key}-coverage", right)
    right.caption(
        f"Reading: a model may abstain when unsure. Answering only the half of the tracks it is "
        f"surest of, it is right {result.accuracy_at(0.5):.1%} of the time; answering all, "
        f"{result.accuracy_at(1.0):.1%}."
    )
