"""Text from a user's file reaches every figure escaped: plotly renders a subset of HTML, so a
genre named ``<b>x</b>`` would be drawn bold with its tags gone (issue 17)."""

import json

import numpy as np
import pandas as pd
import pytest

from genre_core.data.explore import Projection
from genre_core.metrics.evaluation import Curve
from genre_core.plots import bayes, compare, explore, models, networks, search
from genre_core.plots.text import as_text

HTML = "<b>x</b>"  # a genre, feature, run or parameter name as a file or a user wrote it
GENRES = [HTML, "rock", "a & b"]


def _shown(fig) -> str:
    """The figure's JSON as plotly.js reads it (to_json writes < as \\u003c)."""
    return json.dumps(json.loads(fig.to_json()), ensure_ascii=False)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {HTML: rng.normal(size=60), "tempo": rng.normal(size=60), "genre": GENRES * 20}
    )


def _curves() -> list[Curve]:
    return [Curve(g, np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.7, 1.0]), 0.6) for g in GENRES]


def _trials() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "number": range(8),
            "state": ["complete"] * 7 + ["pruned"],
            "value": np.linspace(0.4, 0.5, 8),
            "acc_val": np.linspace(0.4, 0.5, 8),
            "acc_train": np.linspace(0.5, 0.6, 8),
            "delta": [0.1] * 8,
            f"param_{HTML}": [HTML, "balanced", HTML, None, HTML, "balanced", HTML, HTML],
            "param_C": 10 ** np.linspace(-3, 2, 8),
        }
    )


def _bayes_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"feature": [HTML, "tempo"], "mean": [0.1, -0.2], "low": [0.0, -0.3], "high": [0.2, -0.1],
         "relevance": [0.5, 0.2]}
    )  # fmt: skip


FIGURES = {
    "class balance (bar)": lambda: explore.class_balance_figure(pd.Series([5, 3], [HTML, "rock"])),
    "class balance (pie)": lambda: explore.class_balance_figure(
        pd.Series([5, 3], [HTML, "rock"]), "pie"
    ),
    **{
        f"distribution ({kind})": (
            lambda kind=kind: explore.distribution_figure(_frame(), HTML, "genre", kind)
        )
        for kind in ("histogram", "box", "violin")
    },
    "correlation": lambda: explore.correlation_figure(_frame()[[HTML, "tempo"]].corr(), "pearson"),
    "pca": lambda: explore.pca_figure(
        Projection(
            pd.DataFrame({"PC1": [0.0, 1.0], "PC2": [1.0, 0.0], HTML: [HTML, "rock"]}), (0.5, 0.3)
        ),
        HTML,
    ),
    "confusion (counts)": lambda: models.confusion_figure(np.eye(3), GENRES, title=HTML),
    "confusion (shares)": lambda: models.confusion_figure(np.eye(3), GENRES, True, title=HTML),
    "precision-recall": lambda: models.pr_curves_figure(_curves(), title=HTML),
    "roc": lambda: models.roc_curves_figure(_curves()),
    "leaderboard": lambda: models.leaderboard_figure(
        pd.DataFrame(
            {"run": [HTML], "accuracy": [0.5], "accuracy_low": [0.4], "accuracy_high": [0.6]}
        ),
        baselines={HTML: 0.2},
    ),
    "transfer": lambda: networks.transfer_figure(
        {HTML: [{"epoch": 1, "valid_acc": 0.5, "valid_loss": 1.0}]}
    ),
    "elbo": lambda: bayes.elbo_figure(np.array([3.0, 2.0, 1.0]), title=HTML),
    "forest": lambda: bayes.forest_figure(_bayes_table(), HTML, np.array([0.1, 0.2])),
    "relevance": lambda: bayes.relevance_figure(_bayes_table()),
    "coefficients": lambda: bayes.comparison_scatter(
        np.ones((2, 3)), np.zeros((2, 3)), [HTML, "tempo"], GENRES
    ),
    "size curve": lambda: bayes.size_curve_figure(
        pd.DataFrame({"method": [HTML, HTML], "n_train": [10, 100], "accuracy": [0.4, 0.5]})
    ),
    "best so far": lambda: search.best_so_far_figure(_trials(), objective=HTML),
    "parallel": lambda: search.parallel_figure(_trials(), objective=HTML),
    "importance": lambda: search.importance_figure({HTML: 0.7, "C": 0.3}),
    "compare metrics": lambda: compare.metrics_figure(
        pd.DataFrame({"accuracy": [0.5], HTML: [0.4]}, index=[HTML]), ["accuracy", HTML]
    ),
    "compare curves": lambda: compare.curves_figure(
        {HTML: pd.DataFrame({"epoch": [1, 2], HTML: [0.4, 0.5]})}, HTML
    ),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_shows_html_in_a_name_as_typed(name):
    shown = _shown(FIGURES[name]())
    assert "<b>" not in shown and "</b>" not in shown
    assert "&lt;b&gt;x&lt;/b&gt;" in shown  # the name is there, escaped


def test_as_text_escapes_what_plotly_reads_and_keeps_quotes():
    assert as_text("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"
    assert as_text('it\'s "x"') == 'it\'s "x"'  # plotly would print &quot; literally
    assert as_text(3) == "3"


def test_a_waterfall_writes_whole_values_whole():
    from genre_core.plots.explain import _number

    assert [_number(v) for v in (2019.0, 201573.0, 7.0, 0.916, -4.075, float("nan"))] == [
        "2019", "201,573", "7", "0.916", "-4.08", "missing",
    ]  # fmt: skip
