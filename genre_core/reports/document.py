"""A self-contained HTML report of one stored run, or of several side by side.

One file that opens offline: plotly.js is embedded once, every figure comes from the pure
builders of :mod:`genre_core.plots`, and no text from a data file, a run or a user reaches the
page unescaped (genres, run names, tags and column names all pass through :func:`esc`; the
figures' own text through :func:`genre_core.plots.text.as_text`, and plotly writes its JSON
with ``<``, ``>`` and ``/`` escaped).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from genre_core.metrics.evaluation import pr_curves
from genre_core.plots import bayes as bayes_plots
from genre_core.plots import compare as compare_plots
from genre_core.plots import models as model_plots
from genre_core.plots.networks import training_figure
from genre_core.reports import content
from genre_core.runs.history import RunDetails, user_tags
from genre_core.runs.records import run_facets

NETWORK_CURVES = {"train_loss", "valid_loss", "train_acc", "valid_acc"}
PREFERRED_CURVES = ("valid_acc", "valid_loss", "train_loss", "elbo")
INTEGER_METRICS = ("epochs", "kept_epoch")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1F2A24;
 margin:0;background:#fff;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:24px 28px 60px}
header{border-bottom:3px solid #1DB954;margin-bottom:18px;padding-bottom:10px}
h1{font-size:1.7rem;margin:0 0 4px} h2{font-size:1.3rem;margin:30px 0 8px;
 border-bottom:1px solid #dfe5e1;padding-bottom:4px} h3{font-size:1.08rem;margin:20px 0 6px}
.meta{color:#5b665f;font-size:.9rem} .note{color:#5b665f;font-size:.92rem}
.warn{background:#fff6e5;border-left:4px solid #e6a23c;padding:6px 10px;margin:6px 0}
.ok{background:#eef8f1;border-left:4px solid #1DB954;padding:6px 10px;margin:6px 0}
table{border-collapse:collapse;margin:8px 0 14px;font-size:.9rem}
th,td{border:1px solid #dfe5e1;padding:4px 9px;text-align:left;vertical-align:top}
th{background:#F2F5F3} td:first-child{white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin:6px 0} summary{cursor:pointer;color:#146c34}
pre{background:#F2F5F3;padding:10px;overflow:auto;font-size:.82rem;max-height:420px}
.figure{margin:6px 0 14px} .scroll{overflow-x:auto}
nav a{margin-right:14px;color:#146c34} section.run{border-top:2px solid #dfe5e1;margin-top:34px}
@media print{.figure{break-inside:avoid} nav{display:none}}
"""


def esc(value: object) -> str:
    """Text for the page, shown as typed: ``<``, ``>``, ``&`` and quotes escaped."""
    return html.escape(str(value), quote=True)


def file_name(text: str, suffix: str = "") -> str:
    """A safe file name made of ``text`` (letters, digits, ``.``, ``_`` and ``-``)."""
    stem = _UNSAFE_NAME.sub("-", text).strip("-.")[:80] or "genre-lab"
    return stem + suffix


def _number(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.{digits}f}"
    return esc(value)


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> str:
    """``frame`` as an HTML table; every header and cell escaped, numbers right-aligned."""
    if index:
        frame = frame.reset_index()
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for value in values:
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, bool
            )
            cells.append(
                f'<td class="num">{_number(value, digits)}</td>'
                if numeric
                else f"<td>{esc(value)}</td>"
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    body = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div class="scroll">{body}</div>'


def bullets(lines: Iterable[str], css: str = "") -> str:
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<ul class="{css}">{items}</ul>' if css else f"<ul>{items}</ul>"


def paragraph(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{esc(text)}</p>'


def figure(fig: go.Figure, name: str) -> str:
    """A plotly figure as a div (plotly.js is in the page's head, once); the modebar's camera
    saves it as ``<name>.png``."""
    config = {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": file_name(name), "scale": 2},
    }
    # the builders' margins are tight (Streamlit makes room for tick labels itself): outside
    # Streamlit every axis must make room for its labels, or genre names are cut off
    fig = go.Figure(fig).update_xaxes(automargin=True).update_yaxes(automargin=True)
    # a figure without its own height would collapse in a div of no height: give it one
    div = fig.to_html(
        full_html=False, include_plotlyjs=False, config=config, default_height="460px"
    )
    return f'<div class="figure">{div}</div>'


def page(title: str, body: str) -> str:
    """The whole document: head with plotly.js inline, the styles, and ``body``."""
    from plotly.offline import get_plotlyjs

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="Genre Lab">'
        f"<title>{esc(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f"<body><main>{body}"
        f'<p class="meta">Made by Genre Lab on {stamp}. This file is self-contained: it opens '
        "offline, and its charts are interactive (hover; the camera icon saves a PNG).</p>"
        "</main></body></html>\n"
    )


# ---- one run's sections ------------------------------------------------------------------------


def _h(level: int, text: str, anchor: str = "") -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{esc(text)}</h{level}>"


def recipe_section(details: RunDetails, level: int = 2) -> str:
    parts = [_h(level, "Recipe"), bullets(content.recipe_in_words(details))]
    settings = content.recipe_settings(details)
    if len(settings):
        parts.append(
            f"<details><summary>All {len(settings)} settings</summary>{table(settings)}</details>"
        )
    if details.recipe is not None:
        text = json.dumps(details.recipe, indent=2, ensure_ascii=False)
        parts.append(
            "<details><summary>The recipe as JSON (run it again with "
            "<code>genre-lab run recipe.json</code>)</summary>"
            f"<pre>{esc(text)}</pre></details>"
        )
    return "".join(parts)


def data_section(details: RunDetails, audits: dict, level: int = 2) -> str:
    note = content.data_note(details, audits)
    facts = [("Dataset", note.dataset)]
    if note.rows is not None:
        facts.append(("Rows in the data", f"{note.rows:,}"))
    facts.append(("Test rows", f"{note.test_rows:,}"))
    facts.append((f"Genres ({len(note.genres)})", ", ".join(note.genres) or "–"))
    parts = [
        _h(level, "Data and audit"),
        table(pd.DataFrame(facts, columns=["", "value"])),
        _h(level + 1, "Duplicates and label conflicts"),
    ]
    if note.audit:
        parts.append(bullets(note.audit))
    else:
        parts.append(paragraph(note.audit_missing, "warn"))
    parts.append(_h(level + 1, "Shortcuts and leakage"))
    if note.shortcuts:
        parts.append(bullets(note.shortcuts, "warn"))
    else:
        parts.append(paragraph(content.no_shortcut_text(note), "ok" if note.audit else "note"))
    return "".join(parts)


def metrics_section(details: RunDetails, level: int = 2) -> str:
    metrics = content.metrics_table(details)
    rows = []
    for row in metrics.itertuples(index=False):
        digits = 1 if row.key == "fit_seconds" else 3
        value = int(row.value) if row.key in INTEGER_METRICS else row.value
        interval = (
            f"{row.low:.3f} – {row.high:.3f}"
            if np.isfinite(row.low) and np.isfinite(row.high)
            else "–"
        )
        rows.append((row.metric, _number(value, digits), interval))
    frame = pd.DataFrame(rows, columns=["metric", "value", "95% interval (bootstrap)"])
    return (
        _h(level, "Metrics")
        + paragraph(
            f"Measured once on the {int(details.tags.get('n_test', 0) or 0):,} test rows; "
            "the intervals come from resampling those rows (bootstrap)."
        )
        + table(frame)
    )


def confusion_section(details: RunDetails, level: int = 2) -> str:
    if not details.classes:
        return _h(level, "Confusion matrix") + paragraph("The run stored no confusion matrix.")
    label = content.run_label(details)
    counts = model_plots.confusion_figure(details.confusion, details.classes, False)
    shares = model_plots.confusion_figure(details.confusion, details.classes, True)
    return (
        _h(level, "Confusion matrix")
        + figure(counts, f"confusion-{label}")
        + figure(shares, f"confusion-shares-{label}")
        + paragraph(
            "Rows are the true genres, columns what the model said; a dark cell off the "
            "diagonal is a pair of genres the model confuses."
        )
    )


def pr_section(details: RunDetails, level: int = 2) -> str:
    scores = content.stored_scores(details)
    head = _h(level, "Precision-recall curves")
    if scores is None:
        return head + paragraph(content.NO_SCORES)
    true, _ = content.true_and_predicted(details)
    curves = pr_curves(true, scores, details.classes)
    return head + figure(model_plots.pr_curves_figure(curves), f"pr-{content.run_label(details)}")


def curves_section(details: RunDetails, level: int = 2) -> str:
    head = _h(level, "Learning curves")
    curves = details.curves
    name = f"curves-{content.run_label(details)}"
    columns = set(curves.columns) - {"epoch"}
    if curves.empty or not columns:
        kind = details.tags.get("kind", "")
        return head + paragraph(content.NO_CURVES.get(kind, content.NO_CURVES[""]))
    if "elbo" in columns:
        fig = bayes_plots.elbo_figure(curves["elbo"].to_numpy(), curves["epoch"].to_numpy())
        return head + figure(fig, name)
    if NETWORK_CURVES <= columns:
        records = curves.astype(object).where(curves.notna(), None).to_dict("records")
        return head + figure(training_figure(records), name)
    label = content.run_label(details)
    return head + "".join(
        figure(compare_plots.curves_figure({label: curves}, m), f"{name}-{m}")
        for m in sorted(columns)
    )


def per_genre_section(details: RunDetails, level: int = 2) -> str:
    frame = content.per_genre(details)
    return (
        _h(level, "Per-genre scores")
        + table(frame)
        + paragraph(
            "Precision: how often a predicted genre is right; recall: how much of a genre is "
            "found; a small support makes both noisy."
        )
    )


def run_sections(details: RunDetails, audits: dict, level: int = 2) -> str:
    """Every section of one run's report, headed at ``level``."""
    return "".join(
        (
            recipe_section(details, level),
            data_section(details, audits, level),
            metrics_section(details, level),
            confusion_section(details, level),
            pr_section(details, level),
            curves_section(details, level),
            per_genre_section(details, level),
        )
    )


def _meta(details: RunDetails) -> str:
    tags = user_tags(details.tags)
    parts = [
        f"run {details.run_id}",
        f"model {details.tags.get('model', '?')}",
        f"trained from {details.tags.get('source', '?')}",
        f"test set {details.test_hash[:6] or '?'}",
    ]
    if tags:
        parts.append("tags: " + ", ".join(tags))
    return " · ".join(parts)


def run_report(details: RunDetails) -> str:
    """The HTML report of one stored run: recipe in words, data and audit, metrics with
    intervals, confusion matrix, precision-recall and learning curves, per-genre table."""
    body = (
        f"<header><h1>Report: {esc(details.name)}</h1>"
        f'<div class="meta">{esc(_meta(details))}</div></header>' + run_sections(details, {})
    )
    return page(f"Genre Lab report: {details.name}", body)


# ---- several runs -------------------------------------------------------------------------------


def short_labels(runs: Sequence[RunDetails]) -> list[str]:
    """``run 1 · logreg``, ``run 2 · knn``, ...: how a comparison names its runs in narrow
    places (tables of pairs, legends); the runs table gives each its full name."""
    return [f"run {i} · {d.tags.get('model') or d.name}" for i, d in enumerate(runs, 1)]


def _runs_table(runs: Sequence[RunDetails]) -> pd.DataFrame:
    rows = []
    for i, d in enumerate(runs, 1):
        facets = run_facets(d.params, d.recipe, d.tags.get("dataset", ""))
        rows.append(
            {
                "#": f"run {i}",
                "name": content.run_label(d),
                "model": d.tags.get("model", ""),
                "features": facets["features"],
                "split": facets["split"],
                "test rows": int(d.tags.get("n_test", 0) or 0),
                "test set": d.test_hash[:6],
                "tags": ", ".join(user_tags(d.tags)),
            }
        )
    return pd.DataFrame(rows)


def _metric_values(runs: Sequence[RunDetails]) -> pd.DataFrame:
    """The runs' metrics as numbers: one row per run (its short label), one column per metric."""
    keys = [k for k in content.METRIC_TITLES if any(k in d.metrics for d in runs)]
    return pd.DataFrame(
        [{k: d.metrics.get(k, np.nan) for k in keys} for d in runs], index=short_labels(runs)
    )


def _metric_text(details: RunDetails, key: str) -> str:
    value = details.metrics.get(key)
    if value is None or not np.isfinite(value):
        return "–"
    if key in INTEGER_METRICS:
        return f"{int(value):,}"
    text = f"{value:,.1f}" if key == "fit_seconds" else f"{value:.3f}"
    low, high = (details.metrics.get(key + end) for end in content.INTERVAL)
    return text + (f" ({low:.3f}–{high:.3f})" if low is not None and high is not None else "")


def _side_by_side(runs: Sequence[RunDetails]) -> pd.DataFrame:
    """One row per metric, one column per run; 95% intervals in brackets where stored."""
    keys = [k for k in content.METRIC_TITLES if any(k in d.metrics for d in runs)]
    table_ = {"metric": [content.METRIC_TITLES[k] for k in keys]}
    for i, d in enumerate(runs, 1):
        table_[f"run {i}"] = [_metric_text(d, k) for k in keys]
    return pd.DataFrame(table_)


def _pairs_section(runs: Sequence[RunDetails]) -> str:
    labels = dict(zip((d.run_id for d in runs), short_labels(runs), strict=True))
    rows, refused = [], []
    for pair in content.pair_tests(runs):
        a, b = labels[pair.a], labels[pair.b]
        if pair.test is None:
            refused.append(f"{a} and {b}: {pair.reason}")
            continue
        t = pair.test
        rows.append(
            {
                "A": a,
                "B": b,
                "test rows": t.n,
                "only A right": t.only_a,
                "only B right": t.only_b,
                "method": t.method,
                "p-value": f"{t.p_value:.3g}",
                "verdict": t.verdict("A", "B"),
            }
        )
    parts = [
        _h(2, "Is the difference real? (McNemar's test)", "mcnemar"),
        paragraph(
            "McNemar's test looks only at the test rows where exactly one of two models is "
            "right; it needs both runs tested on the same rows."
        ),
    ]
    if rows:
        parts.append(table(pd.DataFrame(rows)))
    if refused:
        parts.append(paragraph("Pairs that cannot be tested:"))
        parts.append(bullets(refused, "warn"))
    return "".join(parts)


def comparison_report(runs: Sequence[RunDetails]) -> str:
    """The HTML report of several stored runs: the runs, their metrics side by side, their
    learning curves overlaid, McNemar's test for each pair tested on the same rows, then each
    run's own report."""
    runs = list(runs)
    labels = [content.run_label(d) for d in runs]
    short = short_labels(runs)
    nav = "".join(f'<a href="#run-{i}">{esc(label)}</a>' for i, label in enumerate(short, 1))
    values = _metric_values(runs)
    shown = [m for m in ("accuracy", "f1_macro", "balanced_accuracy") if m in values.columns]
    parts = [
        f"<header><h1>Comparison of {len(runs)} runs</h1>"
        f'<div class="meta">Genre Lab run history</div><nav>{nav}</nav></header>',
        _h(2, "Runs"),
        table(_runs_table(runs)),
    ]
    if len({d.test_hash for d in runs}) > 1:
        parts.append(
            paragraph(
                "These runs were tested on different test sets (see 'test set'): their numbers "
                "answer different questions and are only roughly comparable.",
                "warn",
            )
        )
    parts += [
        _h(2, "Metrics side by side"),
        paragraph("95% bootstrap intervals in brackets where the run stored them."),
        table(_side_by_side(runs)),
    ]
    if shown:
        parts.append(figure(compare_plots.metrics_figure(values, shown), "metrics-side-by-side"))
    curves = {label: d.curves for label, d in zip(short, runs, strict=True) if len(d.curves)}
    if curves:
        parts.append(_h(2, "Learning curves overlaid"))
        parts.append(paragraph(f"Runs trained in epochs or steps: {', '.join(curves)}."))
        available = {c for t in curves.values() for c in t.columns if c != "epoch"}
        for metric in [m for m in PREFERRED_CURVES if m in available] or sorted(available)[:2]:
            parts.append(figure(compare_plots.curves_figure(curves, metric), f"curves-{metric}"))
    parts.append(_pairs_section(runs))
    audits: dict = {}
    for i, (label, details) in enumerate(zip(labels, runs, strict=True), 1):
        parts.append(
            f'<section class="run">{_h(2, f"Run {i}: {label}", f"run-{i}")}'
            f'<div class="meta">{esc(_meta(details))}</div>'
            f"{run_sections(details, audits, level=3)}</section>"
        )
    return page(f"Genre Lab comparison of {len(runs)} runs", "".join(parts))
