"""The Explain page's glue: which fitted models it can explain (this session's, the run
history's) and their test and training rows from the current table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from genre_core.errors import DataError


@dataclass(frozen=True)
class Explainable:
    """A fitted model with the rows it was tested on and trained on (or, when only its test
    rows are known, the other rows of its genres)."""

    pipeline: object
    features: tuple[str, ...]
    test: pd.DataFrame  # the test rows of the current table, in the run's order
    reference: pd.DataFrame  # the other rows of the model's genres (its training part)
    run_id: str | None = None  # its run in the run history, when it was logged
    stored: bool = False  # chosen from the run history (not a model of this session)


Loader = Callable[[], Explainable]  # builds a model's Explainable when it is chosen


def session_models(dataset, key: str) -> tuple[dict[str, Loader], int]:
    """``{name: loader}`` of the session's fitted models that read the current table's numeric
    features (Train's, newest first, then the Networks and Bayesian pages' last), and how many
    of Train's others were left out."""
    state = st.session_state
    found, skipped = {}, 0
    for run in state.get("train.runs", [])[::-1]:
        result = run["result"]
        usable = (
            run["pipeline"] is not None
            and run["data"] == key
            and result.config.numeric_only
            and result.held_out is not None
        )
        if usable:
            model = (run["pipeline"], result.features, result.held_out)
            found[run["name"]] = partial(
                explainable, run["name"], model, dataset, run_id=run.get("run_id")
            )
        else:
            skipped += 1
    outcome = state.get("nets.outcome")
    result = getattr(outcome, "result", None)
    if result is not None and getattr(result, "held_out", None) is not None:
        if result.config.feature_set == "numeric" and result.inputs is None:
            name = f"network: {result.model}"
            model = (result.pipeline, result.features, result.held_out)
            found[name] = partial(explainable, name, model, dataset)
    outcome = state.get("bayes.outcome")
    if getattr(outcome, "result", None) is not None:
        from genre_core.models.bayes import MODEL_TITLES

        model = outcome.result.fit.config.model
        found[f"Bayesian: {MODEL_TITLES.get(model, model)}"] = partial(bayes_explainable, outcome)
    return found, skipped


def bayes_explainable(outcome) -> Explainable:
    """The Bayesian page's last posterior as a classifier over the raw features, with the rows
    it was tested and trained on (its table loaded again from the page's recipe)."""
    from dashboard.state import base_dataset
    from genre_core.explain import PosteriorClassifier

    result, spec = outcome.result, outcome.recipe
    table = spec.load_table(base_dataset())
    data = result.data
    rows = max(data.test_rows.max(initial=0), data.train_rows.max(initial=0))
    if table.name != outcome.summary.get("dataset") or rows >= len(table.frame):
        raise DataError(
            "the posterior was fitted on another dataset; fit it again on the Bayesian page."
        )
    frame = table.frame
    return Explainable(
        PosteriorClassifier(result.fit, data.preprocessor),
        tuple(data.features),
        frame.iloc[data.test_rows],
        frame.iloc[data.train_rows],
    )


STORED = "stored · "  # the prefix of a stored run's name in the model list


@st.cache_data(ttl=60, show_spinner=False)
def stored_runs(dataset_name: str) -> dict[str, str]:
    """``{name: run id}`` of the run history's classical runs on this dataset with numeric
    features (an empty dict when the store cannot be read)."""
    from genre_core.runs import history

    try:
        runs = history.list_runs()
    except Exception:  # an unreadable store leaves the session's models
        return {}
    runs = runs[
        (runs["dataset"] == dataset_name)
        & (runs["kind"] == "classical")
        & (runs["features"] == "numeric")
    ]
    return {f"{STORED}{n} ({i[:8]})": i for n, i in zip(runs["name"], runs["run_id"], strict=True)}


@st.cache_resource(max_entries=2, show_spinner="Loading the stored model…")
def stored_model(run_id: str) -> tuple:
    """A stored run's pipeline (skops, never pickle), features and test rows."""
    from genre_core.explain.stored import stored_model as load

    found = load(run_id)
    return found.pipeline, found.features, found.held_out


def load_stored(name: str, run_id: str, dataset) -> Explainable:
    """A stored run's model (:func:`stored_model`) with its rows in the current table."""
    return explainable(name, stored_model(run_id), dataset, run_id=run_id, stored=True)


def explainable(
    name: str, model: tuple, dataset, *, run_id: str | None = None, stored: bool = False
) -> Explainable:
    """The model with its test rows and reference rows from the current table (raises
    :class:`DataError` when the table no longer holds them)."""
    from genre_core.explain.stored import model_rows

    pipeline, features, held_out = model
    test, reference = model_rows(
        name, pipeline, features, held_out.rows, dataset.frame, dataset.roles.label
    )
    return Explainable(pipeline, tuple(features), test, reference, run_id or None, stored)


def title_column(roles) -> str | None:
    return roles.text[0] if roles.text else None


def track_label(row: pd.Series, position: int, roles) -> str:
    title = row.get(title_column(roles)) if roles.text else None
    artist = row.get(roles.artist_column) if roles.artist_column else None
    name = str(title) if title is not None and pd.notna(title) else f"test track {position}"
    if artist is not None and pd.notna(artist):
        name += f" — {artist}"
    return f"#{position} · {name} ({row[roles.label]})"


def describe(row: pd.Series, roles) -> str:
    parts = []
    for column, word in ((title_column(roles), ""), (roles.artist_column, "by ")):
        if column and pd.notna(row.get(column)):
            parts.append(f"{word}{row[column]}")
    return " ".join(parts) or "(no title column)"
