"""The only glue between Streamlit and the engine: session defaults, cached loading, messages."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from genre_core.data import registry
from genre_core.data.dataset import Dataset, Roles, load_dataset, load_upload
from genre_core.data.preprocess import select_genres
from genre_core.errors import DataError
from genre_core.models.classical import MODELS
from genre_core.settings import upload_limit_mb

DEFAULTS = {
    "data.source": registry.DEFAULT_DATASET,  # a registry name, or "upload"
    "data.upload": None,  # {"name": str, "bytes": bytes, "sha": str} of the last good upload
    "data.roles": None,  # Roles chosen by the user for the current source, or None for auto
    "data.genres": None,  # the genres kept (a list), or None for all
    "data.merge": None,  # {genre: new genre or None (drop)} in use everywhere, or None
    "merge.job": None,
    "merge.rules": "hip hop -> hip hop\nrap -> hip hop\npop -> pop\nrock -> rock\nmetal -> metal",
    "data.error": None,
    "explore.feature": None,
    "explore.kind": "histogram",
    "explore.corr_method": "pearson",
    "train.dataset": None,  # dataset_key the feature and genre choices belong to
    "train.runs": [],  # one dict per trained model (replaced, never mutated in place)
    "train.job": None,  # the dashboard.jobs.Job training now or last
    "train.view": None,
    "train.models": ["logreg"],
    "train.split": "stratified",
    "train.feature_set": "numeric",
    "train.artist": False,
    "train.test_size": 0.3,
    "train.validation": 0.0,
    "train.imputer": "median",
    "train.scaler": "standard",
    "train.cv_folds": 0,
    "train.seed": 0,
    "train.cm_normalised": False,
    "train.board_metric": "accuracy",
    "train.predict_source": "test",
    "train.predictions": None,
    "train.grid_job": None,
    "train.grid_folds": 5,
    **{f"train.preset.{m}": "defaults" for m in MODELS},
    **{f"train.param.{m}.{p.name}": p.default for m, s in MODELS.items() for p in s.params},
    # Networks page: the widgets start as the "development" preset (Table 3 of its report)
    "nets.job": None,  # the dashboard.jobs.Job training a network now or last
    "nets.result": None,  # the genre_core.models.networks.NetResult of the last finished job
    "nets.predictions": None,
    "nets.preset": "development",
    "nets.hidden": "64, 32, 16",
    "nets.activation": "relu",
    "nets.leaky_slope": 0.01,
    "nets.batch_norm": "yes",
    "nets.dropout": "0.5",
    "nets.dropout_first": False,
    "nets.optimizer": "adam",
    "nets.lr": 1e-3,
    "nets.weight_decay": 1e-4,
    "nets.momentum": 0.9,
    "nets.batch_size": 32,
    "nets.epochs": 100,
    "nets.clip_value": 0.0,  # 0: off
    "nets.clip_norm": 1.0,
    "nets.patience": 0,
    "nets.lr_factor": 0.0,
    "nets.lr_patience": 5,
    "nets.lr_min": 0.0,
    "nets.restore_best": True,
    "nets.class_weight": "none",
    "nets.seed": 0,
    "nets.validation": 0.2,
    "nets.test_size": 0.2,
    "nets.imputer": "median",
    "nets.scaler": "standard",
    "nets.kind": "mlp",  # or a recurrent kind of genre_core.models.sequences.KINDS
    "nets.feature_set": "numeric",  # "numeric+text": title embeddings after the features
    "nets.rnn_cell": "lstm",
    "nets.rnn_units": "64",
    "nets.step_units": 0,
    "nets.embed_dim": 32,
    "nets.vocab_size": 5000,  # words kept, padding and unknown not counted
    "nets.title_length": 16,
    # Search page: a quick TPE study with median pruning on 3 folds
    "search.job": None,  # the dashboard.jobs.Job running a study now or last
    "search.train_job": None,  # the job training the best configuration
    "search.study": None,  # {"name", "storage"} of the study started last
    "search.best_run": None,
    "search.model": "logreg",
    "search.sampler": "tpe",
    "search.pruner": "median",
    "search.objective": "accuracy",
    "search.w1": 0.5,  # The Genre Factor's weights (its best model: w1 = 0.5, w2 = 1)
    "search.w2": 1.0,
    "search.folds": 3,
    "search.trials": 20,
    "search.rows": 5000,
    "search.grid_points": 3,
    "search.seed": 0,
    "search.group": "none",
    "search.name": "",
    "search.storage": "",
    # Bayesian page: the widgets start as Table 2's experiment 5 (Model 2, ν=4, τ=1, VI)
    "bayes.dataset": None,  # dataset_key the feature choice belongs to
    "bayes.job": None,  # the dashboard.jobs.Job fitting a posterior now or last
    "bayes.result": None,  # what the last finished fit returned (a dict of engine results)
    "bayes.experiments_job": None,  # the job running Table 2 or the size curve
    "bayes.experiments": None,  # {"table2": DataFrame | None, "curve": DataFrame | None}
    "bayes.preset": 5,
    "bayes.model": "hier-t",
    "bayes.inference": "svi",
    "bayes.n_train": 1000,
    "bayes.n_test": 2000,
    "bayes.nu": 4.0,
    "bayes.tau": 1.0,
    "bayes.lam": 1.0,
    "bayes.hidden": 16,
    "bayes.steps": 3000,
    "bayes.learning_rate": 0.01,
    "bayes.warmup": 200,
    "bayes.samples": 200,
    "bayes.chains": 2,
    "bayes.seed": 0,
    "bayes.forest_genre": None,
    "bayes.table2_ids": [1, 2, 3, 4, 5, 7, 9],
    # Transfer page: the "development" network (Table 3 of its report) for 20 epochs
    "transfer.dataset": None,  # dataset_key the genre and feature choices belong to
    "transfer.source": [],  # set per dataset: the report's five genres when present
    "transfer.new": None,
    "transfer.features": [],
    "transfer.group_column": None,
    "transfer.job": None,  # the dashboard.jobs.Job comparing now or last
    "transfer.result": None,  # the TransferResult of the last comparison
    "transfer.preset": "development",
    "transfer.applied": "development",  # the preset whose other settings are used
    "transfer.hidden": "64, 32, 16",
    "transfer.batch_norm": "yes",
    "transfer.dropout": "0.5",
    "transfer.activation": "relu",
    "transfer.optimizer": "adam",
    "transfer.lr": 1e-3,
    "transfer.weight_decay": 1e-4,
    "transfer.batch_size": 32,
    "transfer.clip_norm": 1.0,
    "transfer.epochs": 20,
    "transfer.options": ["freeze", "fine-tune", "scratch"],
    "transfer.target": 0.5,
    "transfer.seed": 0,
    "transfer.feature_set": "numeric",
    "transfer.split": "stratified",
    "transfer.validation": 0.2,
    "transfer.test_size": 0.2,
}


def init_state() -> None:
    """Set every session default once, and keep the values of widgets on other pages.

    Streamlit forgets a widget's value when a run does not draw the widget (another page is
    shown); assigning each key to itself on every run keeps it.
    """
    for key, value in DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, value)


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


def current_dataset(*, all_genres: bool = False, merged: bool = True) -> Dataset | None:
    """The dataset chosen on the Data page, with the user's column roles, or ``None``.

    The merge map in use (Merge page) is applied unless ``merged`` is false; only the genres
    kept on the Data page remain, unless ``all_genres``. A failure is stored in
    ``data.error`` for :func:`show_error` and never raised.
    """
    try:
        dataset = base_dataset()
        roles: Roles | None = st.session_state["data.roles"]
        if roles is not None and roles != dataset.roles:
            dataset = dataset.with_roles(roles)
        mapping = st.session_state["data.merge"]
        if merged and mapping:
            dataset = merge_dataset(dataset, mapping)
        if not all_genres:
            dataset = keep_genres(dataset, st.session_state["data.genres"])
    except DataError as error:
        st.session_state["data.error"] = str(error)
        return None
    st.session_state["data.error"] = None
    return dataset


def merge_dataset(dataset: Dataset, mapping: dict[str, str | None]) -> Dataset:
    """Relabel through the merge map; rows of dropped genres leave."""
    from genre_core.data.merging import apply_map

    labels = apply_map(dataset.labels, mapping)
    frame = dataset.frame.assign(**{dataset.roles.label: labels})
    return replace(dataset, frame=frame[labels.notna()])


def keep_genres(dataset: Dataset, genres: list[str] | None) -> Dataset:
    """Only the rows of ``genres`` (those still present; all rows when fewer than two are)."""
    present = set(dataset.labels.unique())
    kept = [g for g in genres or () if g in present]
    if len(kept) < 2 or len(kept) == len(present):
        return dataset
    return replace(dataset, frame=select_genres(dataset.frame, dataset.roles.label, kept))


def remember_upload(name: str, raw: bytes) -> None:
    """Keep an upload in the session (the previous one is replaced only once this one loads)."""
    sha = hashlib.sha256(raw).hexdigest()
    _load_upload(sha, name, raw)  # raises DataError before anything is replaced
    st.session_state["data.upload"] = {"name": name, "bytes": raw, "sha": sha}
    st.session_state["data.source"] = "upload"
    st.session_state["data.roles"] = None
    forget_genres()


def set_roles(dataset: Dataset, **changes) -> None:
    """Store new column roles after checking them (raises :class:`DataError`)."""
    roles = replace(dataset.roles, **changes)
    dataset.with_roles(roles)
    if roles.label != dataset.roles.label:
        forget_genres()
    st.session_state["data.roles"] = roles


def forget_genres() -> None:
    """Keep every genre again, unmerged (the genres changed with the source or the label)."""
    st.session_state["data.genres"] = None
    st.session_state["data.merge"] = None
    st.session_state.pop("data.genre_choice", None)


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
        from dashboard.nav import pages

        st.page_link(pages()[0], label="Choose a dataset on the Data page", icon=":material/table:")
        st.stop()
    return dataset


def dataset_key(dataset: Dataset) -> str:
    """A string naming a dataset's content and roles, the cache key of what is derived from it."""
    upload = st.session_state.get("data.upload") or {}
    content = upload.get("sha", "") if dataset.origin == "upload" else dataset.path or ""
    choices = (st.session_state.get("data.genres"), st.session_state.get("data.merge"))
    return f"{dataset.name}|{content}|{dataset.roles}|{choices}"


@st.cache_data(max_entries=16, show_spinner="Auditing duplicates…")
def cached_audit(key: str, _dataset: Dataset, test_fraction: float = 0.3):
    from genre_core.data.audit import audit

    return audit(_dataset, test_fraction)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_conflicts(key: str, _dataset: Dataset):
    from genre_core.data.audit import conflicts

    return conflicts(_dataset)


@st.cache_data(max_entries=16, show_spinner="Projecting…")
def cached_projection(key: str, _dataset: Dataset):
    from genre_core.data.explore import pca_projection

    return pca_projection(_dataset.frame, _dataset.roles.features, _dataset.roles.label)


def live_fragment(panel: Callable[[], None], running: bool) -> None:
    """Draw ``panel`` as a fragment that reruns every second while ``running``, inside its own
    container: without it, a fragment rerun can leave the element drawn right after it blank
    (seen with the Bayesian page's "Posterior" header)."""
    with st.container():
        st.fragment(panel, run_every=1 if running else None)()


def stop_bar(job, key: str, help: str):
    """A running job's Stop button, with the queue message beside it while the job waits.

    Returns the column left of Stop, for the job's progress, or ``None`` while it is queued.
    """
    from dashboard.jobs import max_jobs

    left, right = st.columns([5, 1], vertical_alignment="center")
    right.button("Stop", key=key, icon=":material/stop:", on_click=job.stop, help=help)
    if job.queued:
        left.info(
            f"Waiting for a free slot: place {job.place} in the queue (this server runs "
            f"{max_jobs()} jobs at once).",
            icon=":material/hourglass_top:",
        )
        return None
    return left


def job_problems(job) -> None:
    """A finished job's error, and the run-history warnings it raised (its result stays)."""
    if job is None or job.running:
        return
    if job.error:
        show_error(job.error)
    for event in job.events:
        if event.get("stage") == "store-error":
            st.warning(plain(event["message"]), icon=":material/warning:")
