"""Reports of stored runs: one offline HTML file that says what the run was and how good it is,
escapes every text from the data or a user, and print figures that are real PNG and PDF files."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from dataclasses import replace

import numpy as np
import pytest

from conftest import make_tracks
from genre_core.data.merging import confusion_clusters, merge_suggestions
from genre_core.errors import DataError
from genre_core.reports import (
    comparison_report,
    content,
    figures_zip,
    prints,
    report_html,
    report_name,
    run_report,
)
from genre_core.reports.document import esc
from genre_core.runs import history
from genre_core.runs.records import Record, confusion_of

HOSTILE = "<script>alert(1)</script>"
GENRES = ("pop", HOSTILE, "rock $x$")  # "$" would start matplotlib's math mode
FEATURE = "<em>tempo</em>"  # a hostile column name
EPOCHS = [
    {"epoch": e, "train_loss": 1.1 / e, "valid_loss": 1.2 / e, "train_acc": 0.5 + e / 20,
     "valid_acc": 0.45 + e / 25, "lr": 1e-3}
    for e in range(1, 6)
]  # fmt: skip


def _record(model: str, error: float, seed: int, kind: str = "classical", curves=()) -> Record:
    """A stored-run record of 60 test rows whose predictions are wrong on ``error`` of them."""
    rng = np.random.default_rng(seed)
    rows = np.arange(60)
    codes = rows % len(GENRES)
    true = np.array(GENRES)[codes]
    wrong = rng.random(len(rows)) < error
    pred = np.array(GENRES)[np.where(wrong, (codes + 1) % len(GENRES), codes)]
    accuracy = float((pred == true).mean())
    metrics = {
        "accuracy": accuracy,
        "accuracy_ci_low": accuracy - 0.08,
        "accuracy_ci_high": accuracy + 0.07,
        "f1_macro": accuracy - 0.01,
        "f1_macro_ci_low": accuracy - 0.1,
        "f1_macro_ci_high": accuracy + 0.06,
        "balanced_accuracy": accuracy,
        "fit_seconds": 0.25,
    }
    params = {
        "model": model,
        "split.method": "stratified",
        "split.test": 0.3,
        "feature_set": "numeric",
    }
    return Record(
        kind, model, params, metrics, list(curves), GENRES, confusion_of(true, pred, GENRES),
        rows, true, pred.astype(str), {}, model,
    )  # fmt: skip


@pytest.fixture
def data_file(tmp_path):
    frame = make_tracks(90, genres=GENRES).rename(columns={"tempo": FEATURE})
    path = tmp_path / "songs.csv"
    frame.to_csv(path, index=False)
    return path


def _recipe(path, **changes) -> dict:
    recipe = {
        "kind": "train",
        "version": 1,
        "data": {"source": str(path), "label": "genre", "features": ["danceability", FEATURE]},
        "split": {"method": "stratified", "group_column": None, "train": 0.7, "validation": 0.0,
                  "test": 0.3, "seed": 0},
        "models": [{"name": "logreg", "preset": None, "params": {"C": 0.5}}],
        "feature_set": "numeric",
        "artist": True,
        "imputer": "median",
        "scaler": "standard",
        "seed": 0,
    }  # fmt: skip
    recipe.update(changes)
    return recipe


def _log(record: Record, recipe=None, dataset: str = "songs.csv") -> str:
    return history.log_result(record, source="test", dataset=dataset, recipe=recipe)


EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", re.I)


def assert_offline(page: str) -> None:
    """One file: no stylesheet, script, image or font from elsewhere. plotly.js is inline,
    whole: its own code holds links (its logo, map tiles) that our charts never load, so the
    page is checked without it."""
    from plotly.offline import get_plotlyjs

    assert page.startswith("<!DOCTYPE html>")
    library = get_plotlyjs()
    assert page.count(library) == 1
    ours = page.replace(library, "")
    assert not EXTERNAL.search(ours), EXTERNAL.search(ours)
    assert "<link" not in ours.lower() and "@import" not in ours and "url(" not in ours
    assert all("src=" not in tag for tag in re.findall(r"<script[^>]*>", ours))
    assert ours.count("<script") == 1 + ours.count("Plotly.newPlot(")  # the library, figures


def assert_escaped(page: str, *texts: str) -> None:
    for text in texts:
        assert text not in page
        assert esc(text) in page or json.dumps(esc(text))[1:-1].replace("/", "\\u002f") in page


def test_a_run_report_is_one_offline_file_with_its_recipe_audit_and_metrics(store, data_file):
    run_id = _log(_record("logreg", 0.2, 1), _recipe(data_file))
    history.rename_run(run_id, "<img src=x onerror=alert(2)>")
    history.set_run_tags(run_id, ["<b>mine</b>"])
    details = history.load_run(run_id)
    page = report_html([run_id])

    assert_offline(page)
    assert_escaped(page, HOSTILE, "<img src=x onerror=alert(2)>", "<b>mine</b>", FEATURE)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as typed, in the tables
    for heading in ("Recipe", "Data and audit", "Metrics", "Confusion matrix",
                    "Precision-recall curves", "Learning curves", "Per-genre scores"):  # fmt: skip
        assert f">{heading}</h2>" in page, heading
    accuracy = details.metrics["accuracy"]
    assert f"{accuracy:.3f}" in page
    assert f"{accuracy - 0.08:.3f} – {accuracy + 0.07:.3f}" in page  # its interval
    assert "Split: random 70/30, seed 0." in page
    assert esc("90 rows, 45 unique songs") in page  # the audit read the data file
    assert esc("The artist is a strong shortcut") in page  # artist as a feature, random split
    assert "Leakage: the split is random" in page  # every song is on two rows
    assert esc(content.NO_SCORES) in page
    assert esc(content.NO_CURVES["classical"]) in page
    per_genre = content.per_genre(details)
    assert per_genre["support"].tolist() == [20, 20, 20]


def test_without_the_data_file_the_report_says_so(store, data_file):
    run_id = _log(_record("logreg", 0.2, 1), _recipe(data_file))
    data_file.unlink()
    page = report_html([run_id])
    assert "The audit needs the data file, which cannot be read here" in page
    assert "Metrics</h2>" in page


def test_a_run_without_recipe_lists_its_stored_settings(store):
    run_id = _log(_record("knn", 0.3, 2), dataset="spotify-nowhere")
    page = report_html([run_id])
    assert "stored without its recipe" in page
    assert "<td>split.method</td><td>stratified</td>" in page
    assert "The audit needs the data file" in page  # an unknown dataset: nothing to read


def test_a_comparison_reports_each_pair_and_overlays_the_curves(store, data_file):
    recipe = _recipe(data_file)
    a = _log(_record("logreg", 0.2, 1), recipe)
    b = _log(_record("knn", 0.4, 2), recipe)
    net = _log(_record("mlp 8", 0.3, 3, "network", EPOCHS), {**recipe, "kind": "net"})
    shifted = _record("svm", 0.3, 4)
    other = _log(replace(shifted, rows=shifted.rows + 100), recipe)  # another test set
    page = report_html([a, b, net, other])

    assert_offline(page)
    assert_escaped(page, HOSTILE)
    assert "Comparison of 4 runs" in page
    assert "Is the difference real? (McNemar&#x27;s test)" in page
    runs = [history.load_run(r) for r in (a, b)]
    pairs = content.pair_tests(runs)
    test = pairs[0].test
    assert test is not None and test.n == 60
    assert esc(test.verdict("A", "B")) in page
    assert "different test sets" in page  # the fourth run
    assert "cannot be paired" in page  # the pairs with the fourth run, and why
    assert "Learning curves overlaid" in page
    assert page.count(">Learning curves</h3>") == 4  # each run's own section
    assert "Loss (cross-entropy)" in page  # the network's curves, drawn by training_figure
    assert report_name([a], ".html") == f"genre-lab-run-{a[:8]}.html"
    assert report_name([a, b], ".html") == "genre-lab-comparison-2-runs.html"


def test_stored_scores_draw_precision_recall_curves():
    rng = np.random.default_rng(0)
    rows = np.arange(30)
    true = np.array(GENRES)[rows % 3]
    scores = rng.dirichlet(np.ones(3), size=30)
    scores[np.arange(30), rows % 3] += 1  # the true genre scores high
    scores /= scores.sum(axis=1, keepdims=True)
    pred = np.array(GENRES)[scores.argmax(axis=1)]
    predictions = {"row": rows, "true": true, "pred": pred}
    predictions |= {content.SCORE_PREFIX + g: scores[:, i] for i, g in enumerate(GENRES)}
    import pandas as pd

    details = history.RunDetails(
        "0123456789", "scored", {"kind": "network", "n_test": "30"}, {},
        {"accuracy": float((pred == true).mean())}, pd.DataFrame(columns=["epoch"]), GENRES,
        confusion_of(true, pred, GENRES).astype(float), pd.DataFrame(predictions),
    )  # fmt: skip
    assert content.stored_scores(details).shape == (30, 3)
    page = run_report(details)
    assert "Precision-recall per genre" in page
    assert esc(content.NO_SCORES) not in page
    assert "pr_auc" in content.per_genre(details).columns
    assert HOSTILE not in comparison_report([details, details])


# ---- print figures ------------------------------------------------------------------------------


def png_size(raw: bytes) -> tuple[int, int]:
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    assert raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def test_print_figures_are_png_and_pdf_of_sensible_size():
    confusion = np.array([[30, 8, 2], [6, 25, 9], [1, 12, 27]])
    heat = prints.confusion_heatmap(confusion, GENRES, title=HOSTILE)
    width, height = png_size(heat)
    assert 500 <= width <= 3000 and 500 <= height <= 3000
    clusters = prints.confusion_clustermap(confusion, GENRES)
    width, height = png_size(clusters)
    assert 600 <= width <= 3000 and 600 <= height <= 3000
    assert prints.confusion_heatmap(confusion, GENRES, fmt="pdf").startswith(b"%PDF")
    with pytest.raises(DataError):
        prints.confusion_heatmap(confusion, GENRES, fmt="svg")

    frame = make_tracks(300, genres=GENRES).rename(columns={"tempo": "tempo $bpm$"})
    pair = prints.pairplot(frame, ["danceability", "energy", "tempo $bpm$"], "genre")
    width, height = png_size(pair)
    assert 800 <= width <= 4000 and 800 <= height <= 4000
    with pytest.raises(DataError, match="2 to 6 features"):
        prints.pairplot(frame, ["energy"], "genre")


def test_the_clustermap_draws_the_tree_the_merge_suggestions_read():
    confusion = np.array([[30, 8, 2], [6, 25, 9], [1, 12, 27]])
    similarity, tree = confusion_clusters(confusion, GENRES)
    assert np.allclose(similarity, similarity.T) and np.all(np.diag(similarity) == 0)
    first = merge_suggestions(confusion, list(GENRES))[0]
    assert first[2] == pytest.approx(1 - tree[0, 2])


def test_a_pairplot_sample_keeps_each_genres_share():
    frame = make_tracks(3000, genres=("a", "b", "c"))
    sample = prints.pair_sample(frame, "genre", rows=300)
    assert len(sample) == 300
    assert sample["genre"].value_counts().tolist() == [100, 100, 100]


def test_the_figures_zip_holds_each_runs_heatmap_and_clustermap(store):
    a = _log(_record("logreg", 0.2, 1))
    b = _log(_record("knn", 0.4, 2))
    with zipfile.ZipFile(io.BytesIO(figures_zip([a]))) as archive:
        assert sorted(archive.namelist()) == [
            "run-confusion.pdf", "run-confusion.png",
            "run-genre-clusters.pdf", "run-genre-clusters.png",
        ]  # fmt: skip
        png_size(archive.read("run-confusion.png"))
    with zipfile.ZipFile(io.BytesIO(figures_zip([a, b]))) as archive:
        names = archive.namelist()
    assert len(names) == 8 and all(n.startswith(("01-", "02-")) for n in names)
    with pytest.raises(DataError):
        figures_zip([])


def test_an_svi_run_draws_its_loss_curve(store):
    steps = [{"epoch": s, "elbo": 2.0 / s} for s in range(1, 40)]
    run_id = _log(_record("bayes logreg", 0.3, 5, "bayes", steps))
    page = report_html([run_id])
    assert "SVI loss" in page
    assert esc(content.NO_CURVES[""]) not in page
