"""The Search page's parallel coordinates read like numbers a person writes (issue 17): ticks
rounded, a log range on a log axis with ticks at the powers of ten, no clipped tick labels."""

import numpy as np
import pandas as pd

from genre_core.plots import search as search_plots


def _trials() -> pd.DataFrame:
    n = 10
    return pd.DataFrame(
        {
            "number": range(n),
            "state": ["complete"] * n,
            "value": np.linspace(0.428, 0.442667, n),
            "param_C": 10 ** np.linspace(-2.5644, 1.7233, n),
            "param_alpha": np.linspace(0.1, 0.9, n) + 1e-9,
            "param_max_iter": np.arange(100, 100 + 50 * n, 50),
            "param_lr": [0.530170934757683, 0.1, 0.01, 0.1, 0.01] * 2,
        }
    )


def test_parallel_axes_are_rounded_and_log_ranges_read_as_values():
    figure = search_plots.parallel_figure(_trials())
    dims = {d.label: d for d in figure.data[0].dimensions}
    log = dims["C (log scale)"]
    assert list(log.ticktext) == ["0.01", "0.1", "1", "10"]
    assert list(log.tickvals) == [-2, -1, 0, 1]
    assert np.allclose(log.range, [-2.5644, 1.7233])
    assert dims["alpha"].tickformat == ".4~g" and dims["value"].tickformat == ".4~g"
    assert dims["max_iter"].tickformat == "d"
    assert list(dims["lr"].ticktext) == ["0.01", "0.1", "0.5302"]  # choices, 4 digits
    assert figure.layout.margin.l >= 100 and figure.layout.margin.r >= 80


def test_trial_hover_text_is_rounded():
    figure = search_plots.best_so_far_figure(_trials())
    text = next(t for t in figure.data if t.name == "completed trial").text[0]
    assert "lr = 0.5302" in text and "0.530170934757683" not in text
    assert "C = 0.002726<br>" in text and "alpha = 0.1<br>" in text
