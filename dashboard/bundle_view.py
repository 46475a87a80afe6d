"""A stored run as a bundle: the "Download bundle" button any page shows beside a logged run,
and the Compare page's import of a bundle into the local run history."""

from __future__ import annotations

import hashlib

import streamlit as st

from dashboard.state import plain, show_error
from genre_core.errors import DataError
from genre_core.runs.bundle import build_bundle
from genre_core.runs.bundle_import import import_bundle

state = st.session_state


def _current_upload() -> tuple[str, str] | None:
    """The session's uploaded table as (name, sha256): it may be the run's data."""
    upload = state.get("data.upload") or {}
    if state.get("data.source") == "upload" and upload.get("sha"):
        return upload["name"], upload["sha"]
    return None


def bundle_button(run_id: str | None, key: str) -> None:
    """A "Download bundle" button for the stored run ``run_id``: the first press gathers the
    bundle (recipe, data hash, rows, versions, metrics, model, ``rerun.py``), the second saves
    it as a zip. Nothing is drawn but a note for a run that is not in the history."""
    if not run_id:
        st.caption("This run is not in the run history, so it has no bundle to download.")
        return
    ready = state.get(f"{key}.ready")
    if ready is None or ready[0] != run_id:
        if not st.button(
            "Download bundle",
            key=key,
            icon=":material/package_2:",
            help="The run as a zip: its recipe, the data file's name and sha256, its train / "
            "validation / test rows, seeds, package versions, metrics with intervals, the "
            "model (skops or safetensors) and a rerun.py that trains it again.",
        ):
            return
        try:
            with st.spinner("Gathering the bundle…"):
                raw = build_bundle(run_id, upload=_current_upload()).zip_bytes()
        except DataError as error:
            show_error(str(error))
            return
        state[f"{key}.ready"] = ready = (run_id, raw)
    st.download_button(
        "Save bundle (.zip)",
        data=ready[1],
        file_name=f"genre-lab-run-{run_id[:8]}.zip",
        mime="application/zip",
        key=f"{key}.save",
        icon=":material/download:",
        help="Unzip it and run `python rerun.py` to train the run again and compare its "
        "accuracy; import it on Compare runs to see it beside your runs.",
    )


def import_panel(key: str) -> str | None:
    """An uploader for a bundle (.zip): it is checked (size, paths, files, hashes, model
    types; nothing unpickled, nothing of it rendered as HTML) and added to the run history
    tagged "imported". The imported run's id while its file is in the uploader, else ``None``."""
    uploaded = st.file_uploader(
        "Import a bundle (.zip)",
        type=["zip"],
        key=f"{key}.upload",
        help="A run exported with Download bundle or `genre-lab export`; it joins the run "
        "history tagged 'imported'.",
    )
    if uploaded is None:
        return None
    raw = uploaded.getvalue()
    digest = hashlib.sha256(raw).hexdigest()
    done = state.get(f"{key}.done")
    if done is None or done[0] != digest:  # the uploader keeps its file across reruns
        try:
            with st.spinner("Checking the bundle…"):
                run_id = import_bundle(raw)
        except DataError as error:
            show_error(f"This bundle cannot be imported: {error}")
            return None
        state[f"{key}.done"] = done = (digest, run_id)
    st.success(
        plain(f"Imported as run {done[1][:8]}, tagged imported: it is in the list below."),
        icon=":material/check_circle:",
    )
    return done[1]
