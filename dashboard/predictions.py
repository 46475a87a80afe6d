"""Predicting unlabeled tracks with a fitted model: the dataset's own test file or an upload,
the table of predicted genres and probabilities, and the Kaggle submission when it applies.

Reading the file and predicting it is an engine job on a worker (recipe kind "predict",
:mod:`genre_core.experiments.predict_job`), never work of the web server: Predict sends the
fitted model and the uploaded file's bytes as the job's inputs (the dataset's test file is
found by the worker), the job panel shows its queue place, Stop and its error, and the result
is kept in the session, so reruns never send the job again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import streamlit as st
from sklearn.pipeline import Pipeline

from dashboard import job_panel
from dashboard.state import plain, show_error
from genre_core.data.csvsafe import csv_text
from genre_core.data.dataset import Dataset
from genre_core.errors import DataError
from genre_core.experiments.predict_job import TEST_FILE, PredictSpec
from genre_core.experiments.recipe import DataSpec

KEEP = 4  # predicted files kept per panel in a session (a table of a few MB at most each)


def _slot(key: str) -> str:
    """The job panel's key of the panel's job (``{slot}.job``, ``?{slot}=<id>``)."""
    return f"{key}.prediction"


def _data_spec(dataset: Dataset) -> DataSpec:
    """The recipe's dataset: a known one by name (its header fixes and class names apply to
    the file), else the table's name (nothing of it is read)."""
    roles = dataset.roles
    source = dataset.spec.name if dataset.spec is not None else dataset.name
    return DataSpec(source=source, label=roles.label, features=tuple(roles.features))


def _start(key: str, dataset: Dataset, name: str, model, source: str, upload) -> None:
    """Send the job predicting ``source``'s file with the model ``name``, or, when this very
    model already predicted this very file in the session, show that result again."""
    state = st.session_state
    pipeline, features = model
    if source == TEST_FILE:
        inputs, filename, digest = {}, "test file", dataset.name
    else:
        raw = upload.getvalue()
        filename, digest = upload.name, hashlib.sha256(raw).hexdigest()
        inputs = {"raw": raw, "filename": filename}
    ident = (name, id(pipeline), source, digest)
    kept = state.get(f"{key}.predict_results", {}).get(ident)
    if kept is not None:
        state[f"{key}.predictions"] = kept
        return
    inputs |= {"pipeline": pipeline, "features": tuple(features)}
    recipe = PredictSpec(_data_spec(dataset), input=TEST_FILE if source == TEST_FILE else "")
    try:
        job = job_panel.start(_slot(key), recipe, inputs=inputs, source=key)
    except DataError as error:  # a full queue
        show_error(str(error))
        return
    state[f"{key}.predictions"] = None  # the new file's table replaces the last one
    state[f"{key}.predict_for"] = {"job": job.id, "run": name, "ident": ident}


def _collect(key: str) -> None:
    """Draw the panel's job (queue place, Stop, its error) and keep its predictions once it
    is done."""
    state = st.session_state
    slot = _slot(key)
    job = job_panel.current(slot)
    if job is None:
        return
    asked = state.get(f"{key}.predict_for") or {}

    def live(job) -> None:
        st.caption(f"Predicting on a worker… {job.job.elapsed:.0f} s")

    outcome = job_panel.panel(slot, live, "Stops the prediction.")
    if outcome is None or outcome.result is None or asked.get("done") == job.id:
        return
    result = outcome.result
    found = {
        "run": asked.get("run") if asked.get("job") == job.id else "the chosen model",
        "file": result.file,
        "table": result.table,
        "submission": result.submission,
    }
    state[f"{key}.predictions"] = found
    if asked.get("job") == job.id:
        results = dict(state.get(f"{key}.predict_results", {}))
        results[asked["ident"]] = found
        state[f"{key}.predict_results"] = dict(list(results.items())[-KEEP:])
    state[f"{key}.predict_for"] = {**asked, "done": job.id}


def predict_panel(
    key: str, dataset: Dataset, fitted: Mapping[str, tuple[Pipeline, tuple[str, ...]]], note: str
) -> None:
    """Choose a fitted model (``{name: (pipeline, features)}``, newest last) and the tracks,
    predict on a worker, and offer the CSVs. State: ``{key}.predict_source``,
    ``{key}.predict_run``, ``{key}.predictions`` (the last predicted file), the job's
    (``{key}.prediction.job``) and the files predicted so far (``{key}.predict_results``)."""
    state = st.session_state
    names = list(fitted)
    has_test = dataset.spec is not None and TEST_FILE in dataset.spec.extra_files
    sources = ([TEST_FILE] if has_test else []) + ["upload"]
    if state.get(f"{key}.predict_source") not in sources:
        state[f"{key}.predict_source"] = sources[0]
    if state.get(f"{key}.predict_run") not in names:
        state[f"{key}.predict_run"] = names[-1] if names else None
    a, b = st.columns([2, 3])
    chosen = a.selectbox("Model", names[::-1], key=f"{key}.predict_run", help=note)
    source = b.radio(
        "Tracks",
        sources,
        key=f"{key}.predict_source",
        horizontal=True,
        format_func={
            TEST_FILE: f"{dataset.name}'s unlabeled test file",
            "upload": "upload a CSV",
        }.get,
    )
    upload = None
    if source == "upload":
        upload = st.file_uploader(
            "CSV with the model's feature columns", type=["csv", "gz"], key=f"{key}.predict_upload"
        )
    if st.button(
        "Predict",
        key=f"{key}.predict",
        icon=":material/batch_prediction:",
        disabled=chosen is None
        or (source == "upload" and upload is None)
        or job_panel.running(_slot(key)),
    ):
        _start(key, dataset, chosen, fitted[chosen], source, upload)
    _collect(key)
    predictions = state.get(f"{key}.predictions")
    if predictions is None:
        return
    table = predictions["table"]
    st.caption(
        plain(f"{len(table):,} tracks of {predictions['file']} predicted by {predictions['run']}.")
    )
    st.dataframe(table.head(200), key=f"{key}.predictions_table", height=240)
    a, b = st.columns(2)
    a.download_button(
        "Download predictions (CSV)",
        csv_text(table, index=False),
        file_name="predictions.csv",
        mime="text/csv",
        key=f"{key}.download_predictions",
        icon=":material/download:",
    )
    if predictions["submission"] is not None:
        b.download_button(
            "Download Kaggle submission (CSV)",
            csv_text(predictions["submission"], index=False),
            file_name="submission.csv",
            mime="text/csv",
            key=f"{key}.download_submission",
            icon=":material/download:",
        )
    elif dataset.spec is not None and dataset.spec.class_names:
        b.caption("The Kaggle submission needs a model trained on all 11 genres.")
