"""Explore's numbers and figures on a small table."""

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks
from genre_core.data.explore import correlation, describe_table, pca_projection, strongest_pairs
from genre_core.plots import explore as plots

FEATURES = ["danceability", "energy", "tempo"]


def test_describe_table_has_the_papers_rows():
    frame = make_tracks(60)
    table = describe_table(frame, FEATURES)
    assert list(table.index) == ["count", "mean", "std", "min", "25%", "50%", "75%", "max"]
    assert table.loc["mean", "tempo"] == pytest.approx(frame["tempo"].mean())


def test_correlations_and_strongest_pair():
    frame = make_tracks(300)
    frame["double_energy"] = frame["energy"] * 2
    corr = correlation(frame, [*FEATURES, "double_energy"], "spearman")
    assert corr.loc["energy", "double_energy"] == pytest.approx(1.0)
    assert strongest_pairs(corr, 1)[0][:2] == ("energy", "double_energy")


def test_pca_separates_the_genres_and_samples():
    frame = make_tracks(900)
    projection = pca_projection(frame, FEATURES, "genre", max_points=500)
    assert len(projection.points) == 500
    assert sum(projection.explained) > 0.8
    means = projection.points.groupby("genre")["PC1"].mean()
    assert np.ptp(means.to_numpy()) > 1.5  # the three genres sit apart on PC1


@pytest.mark.parametrize("kind", ["histogram", "box", "violin"])
def test_figures_build(kind):
    frame = make_tracks(60)
    fig = plots.distribution_figure(frame, "tempo", "genre", kind)
    assert len(fig.data) == 3 and "tempo" in fig.layout.title.text


def test_class_balance_keeps_the_largest_first():
    counts = pd.Series({"rock": 5, "pop": 9, "rap": 2}).sort_values(ascending=False)
    bar = plots.class_balance_figure(counts, "bar")
    assert [trace.x[0] for trace in bar.data] == ["pop", "rock", "rap"]
    assert [trace.y[0] for trace in bar.data] == [9, 5, 2]
    pie = plots.class_balance_figure(counts, "pie")
    assert list(pie.data[0].values) == [9, 5, 2]


def test_names_from_the_file_are_shown_as_text_in_figures():
    frame = make_tracks(60, genres=("<b>pop</b>", "rock", "<a href='x'>rap</a>"))
    frame = frame.rename(columns={"tempo": "<i>tempo</i>"})
    fig = plots.distribution_figure(frame, "<i>tempo</i>", "genre")
    names = {trace.name for trace in fig.data}
    assert "&lt;b&gt;pop&lt;/b&gt;" in names and "&lt;a href='x'&gt;rap&lt;/a&gt;" in names
    assert fig.layout.title.text == "&lt;i&gt;tempo&lt;/i&gt; by genre"
    bar = plots.class_balance_figure(frame["genre"].value_counts())
    assert all("<" not in str(trace.x[0]) for trace in bar.data)


def test_whole_numbers_get_bins_of_equal_integer_width():
    values = np.arange(101, dtype=float)  # 0..100 like track_popularity
    edges = plots.bin_edges(values, 60)
    counts, _ = np.histogram(values, bins=edges)
    assert set(counts[:-1]) == {2} and counts.sum() == 101


def test_known_spotify_features_carry_their_units():
    """Issue 17: Explore showed duration_ms, loudness and tempo without units."""
    from genre_core.data.explore import feature_title, feature_unit

    assert feature_title("duration_ms") == "duration_ms (ms)"
    assert feature_title("loudness") == "loudness (dB)"
    assert feature_title("Tempo") == "Tempo (BPM)"  # spotify-youtube's capitalised names
    assert feature_unit("energy") == "0–1" and feature_unit("my_feature") == ""
    assert feature_title("my_feature") == "my_feature"
    frame = make_tracks(60)
    for kind in ("histogram", "box"):
        figure = plots.distribution_figure(frame, "tempo", "genre", kind)
        axis = figure.layout.xaxis if kind == "histogram" else figure.layout.yaxis
        assert axis.title.text == "tempo (BPM)"
