"""The only glue between Streamlit and the engine: session defaults, cached loading, messages."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import streamlit as st

from genre_core import registry
from genre_core.data import Dataset, Roles, load_dataset, load_upload
from genre_core.errors import DataError
from genre_core.settings import upload_limit_mb

DEFAULTS = {
    "data.source": registry.DEFAULT_DATASET,  # a registry name, or "upload"
    "data.upload": None,  # {"name": str, "bytes": bytes, "sha": str} of the last good upload
    "data.roles": None,  # Roles chosen by the user for the current source, or None for auto
    "data.error": None,
    "explore.feature": None,
    "explore.kind": "histogram",
    "explore.corr_method": "pearson",
}


def init_state() -> None:
    """Set every session default once; pages read and write only these keys (and widget keys)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


@st.cache_data(show_spinner="Loading the dataset…", max_entries=8)
def _load_known(name: str, data_dir: str | None) -> Dataset:
    # data_dir is part of the key: pointing GENRE_DATA_DIR elsewhere must reload.
    return load_dataset(name)


@st.cache_data(show_spinner="Reading your file…", max_entries=4)
def _load_upload(sha: str, name: str, _raw: bytes) -> Dataset:
    return load_upload(_raw, name, limit_mb=upload_limit_mb())


def base_dataset() -> Dataset:
    """The chosen source with its detected roles (raises :class:`DataError`)."""
    from genre_core.settings import data_dir

    source = st.session_state["data.source"]
    if source == "upload":
        upload = st.session_state["data.upload"]
        if upload is None:
            raise DataError("no file uploaded yet: upload a CSV on the Data page.")
        return _load_upload(upload["sha"], upload["name"], upload["bytes"])
    return _load_known(source, str(data_dir()))


def current_dataset() -> Dataset | None:
    """The dataset chosen on the Data page, with the user's column roles, or ``None``.

    A failure is stored in ``data.error`` for :func:`show_data_error` and never raised.
    """
    try:
        dataset = base_dataset()
        roles: Roles | None = st.session_state["data.roles"]
        if roles is not None and roles != dataset.roles:
            dataset = dataset.with_roles(roles)
    except DataError as error:
        st.session_state["data.error"] = str(error)
        return None
    st.session_state["data.error"] = None
    return dataset


def remember_upload(name: str, raw: bytes) -> None:
    """Keep an upload in the session (the previous one is replaced only once this one loads)."""
    sha = hashlib.sha256(raw).hexdigest()
    _load_upload(sha, name, raw)  # raises DataError before anything is replaced
    st.session_state["data.upload"] = {"name": name, "bytes": raw, "sha": sha}
    st.session_state["data.source"] = "upload"
    st.session_state["data.roles"] = None


def set_roles(dataset: Dataset, **changes) -> None:
    """Store new column roles after checking them (raises :class:`DataError`)."""
    roles = replace(dataset.roles, **changes)
    dataset.with_roles(roles)
    st.session_state["data.roles"] = roles


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text: object) -> str:
    """Text from a user's file made safe for Streamlit markdown: shown as typed, never rendered."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def show_error(message: str) -> None:
    st.error(plain(message), icon=":material/error:")


def require_dataset() -> Dataset:
    """The current dataset, or an explanation and ``st.stop()`` when there is none."""
    dataset = current_dataset()
    if dataset is None:
        show_error(st.session_state["data.error"] or "no dataset is loaded.")
        from dashboard.nav import DATA

        st.page_link(DATA, label="Choose a dataset on the Data page", icon=":material/table:")
        st.stop()
    return dataset


def dataset_key(dataset: Dataset) -> str:
    """A string naming a dataset's content and roles, the cache key of what is derived from it."""
    upload = st.session_state.get("data.upload") or {}
    content = upload.get("sha", "") if dataset.origin == "upload" else dataset.path or ""
    return f"{dataset.name}|{content}|{dataset.roles}"


@st.cache_data(max_entries=16, show_spinner="Auditing duplicates…")
def cached_audit(key: str, _dataset: Dataset, test_fraction: float = 0.3):
    from genre_core.audit import audit

    return audit(_dataset, test_fraction)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_conflicts(key: str, _dataset: Dataset):
    from genre_core.audit import conflicts

    return conflicts(_dataset)


@st.cache_data(max_entries=16, show_spinner="Projecting…")
def cached_projection(key: str, _dataset: Dataset):
    from genre_core.explore import pca_projection

    return pca_projection(_dataset.frame, _dataset.roles.features, _dataset.roles.label)
