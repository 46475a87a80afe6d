"""Predicting unlabeled tracks with a fitted model: the dataset's own test file or an upload,
the table of predicted genres and probabilities, and the Kaggle submission when it applies."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from sklearn.pipeline import Pipeline

from dashboard.state import plain, show_error
from genre_core.data.csvsafe import csv_text
from genre_core.data.dataset import Dataset
from genre_core.errors import DataError
from genre_core.experiments.predict import (
    dataset_test_file,
    predict_table,
    read_unlabeled,
    submission_table,
)
from genre_core.settings import upload_limit_mb


def predict_panel(
    key: str, dataset: Dataset, fitted: Mapping[str, tuple[Pipeline, tuple[str, ...]]], note: str
) -> None:
    """Choose a fitted model (``{name: (pipeline, features)}``, newest last) and the tracks,
    predict, and offer the CSVs. State: ``{key}.predict_source``, ``{key}.predict_run``,
    ``{key}.predictions``."""
    state = st.session_state
    names = list(fitted)
    has_test = dataset.spec is not None and "test" in dataset.spec.extra_files
    sources = (["test"] if has_test else []) + ["upload"]
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
        format_func={"test": f"{dataset.name}'s unlabeled test file", "upload": "upload a CSV"}.get,
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
        disabled=chosen is None or (source == "upload" and upload is None),
    ):
        try:
            if source == "test":
                raw, filename = dataset_test_file(dataset.spec)
            else:
                raw, filename = upload.getvalue(), upload.name
            with st.spinner("Predicting…"):
                tracks = read_unlabeled(raw, filename, dataset.spec, limit_mb=upload_limit_mb())
                pipeline, features = fitted[chosen]
                table = predict_table(pipeline, tracks, features)
            submission = None
            if dataset.spec is not None and dataset.spec.class_names:
                try:
                    submission = submission_table(table, dataset.spec.class_names)
                except DataError:
                    submission = None
            state[f"{key}.predictions"] = {
                "run": chosen,
                "file": filename,
                "table": table,
                "submission": submission,
            }
        except DataError as error:
            show_error(str(error))
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
