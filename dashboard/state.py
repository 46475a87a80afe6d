"""The only glue between Streamlit and the engine: session defaults, cached loading, messages."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from dashboard.params import widget_defaults, widget_value
from genre_core.data import registry
from genre_core.data.dataset import Dataset, Roles, load_dataset, load_upload
from genre_core.data.shortcuts import apply_fixes
from genre_core.errors import DataError
from genre_core.experiments.merge_curve import OPTIONS as MERGE_OPTIONS
from genre_core.experiments.net import NET_OPTIONS
from genre_core.experiments.recipe import keep_genres, merge_dataset
from genre_core.experiments.search_space import OPTIONS as SEARCH_OPTIONS
from genre_core.experiments.transfer import form_params as transfer_form
from genre_core.models.bayes_config import BAYES_PARAMS, ROW_PARAMS
from genre_core.models.classical import MODELS
from genre_core.models.presets import NET_PARAMS, preset_params
from genre_core.settings import upload_limit_mb

DEFAULTS = {
    "data.source": registry.DEFAULT_DATASET,  # a registry name, or "upload"
    "data.upload": None,  # {"name": str, "bytes": bytes, "sha": str} of the last good upload
    "data.roles": None,  # Roles chosen by the user for the current source, or None for auto
    "data.genres": None,  # the genres kept (a list), or None for all
    "data.merge": None,  # {genre: new genre or None (drop)} in use everywhere, or None
    "data.fixes": [],  # the shortcut fixes in use ("drop:COLUMN", "flag:COLUMN"): DataSpec.fixes
    "data.dataset": None,  # dataset_key the Data page's role and genre widgets belong to
    "merge.job": None,  # the dashboard.jobs.Job of the merge curve (job_panel)
    "merge.outcome": None,  # the experiments.Outcome of the last finished merge curve
    "merge.loaded": None,  # a recipe loaded from a file, put into the widgets next run
    "merge.recipe": None,  # {"split", "preset", "params"} a loaded recipe carries, or None
    **widget_defaults("merge", MERGE_OPTIONS),
    "merge.sample": 0,
    "merge.rules": "hip hop -> hip hop\nrap -> hip hop\npop -> pop\nrock -> rock\nmetal -> metal",
    "data.error": None,
    "explore.feature": None,
    "explore.kind": "histogram",
    "explore.corr_method": "pearson",
    "explore.pair_features": None,  # the pairplot's features (a list); None: the first four
    "explore.pair_show": False,
    "train.dataset": None,  # dataset_key the feature and genre choices belong to
    "train.runs": [],  # one dict per trained model (replaced, never mutated in place)
    "train.job": None,  # the training job running now or last (dashboard.job_panel)
    "train.view": None,
    "train.models": ["logreg"],
    "train.split": "stratified",
    "train.feature_set": "numeric",
    "train.artist": False,
    "train.artist_profile": False,
    "train.test_size": 0.3,
    "train.validation": 0.0,
    "train.imputer": "median",
    "train.scaler": "standard",
    "train.cv_folds": 0,
    "train.seed": 0,
    "train.sample": 0,  # rows of a seeded, stratified sample (0: all); DataSpec.sample
    "train.cm_share": False,
    "train.board_metric": "accuracy",
    "train.predict_source": "test",
    "train.predictions": None,
    "train.grid.job": None,  # the grid search running now or last (dashboard.job_panel)
    "train.grid.outcome": None,
    "train.outcome": None,  # the Outcome of the last finished training job
    "train.stored": None,  # the Outcome whose models are already in train.runs
    "train.grid_folds": 5,
    **{f"train.preset.{m}": "defaults" for m in MODELS},
    **{
        k: v
        for m, s in MODELS.items()
        for k, v in widget_defaults(f"train.param.{m}", s.params).items()
    },
    # Networks page: the widgets start as the "development" preset (Table 3 of its report)
    "nets.dataset": None,  # dataset_key the feature choice belongs to
    "nets.job": None,  # the dashboard.jobs.Job training a network now or last (job_panel)
    "nets.outcome": None,  # the experiments.Outcome of the last finished training
    "nets.loaded": None,  # a recipe loaded from a file, put into the widgets next run
    "nets.predictions": None,
    "nets.preset": "development",
    **{f"nets.{p.name}": widget_value(p, preset_params("development")[p.name]) for p in NET_PARAMS},
    **widget_defaults("nets", NET_OPTIONS.select(["feature_set", "imputer", "scaler"])),
    "nets.features": [],
    "nets.split": "stratified",
    "nets.group_column": None,
    "nets.validation": 0.2,
    "nets.test_size": 0.2,
    "nets.seed": 0,
    "nets.sample": 0,
    # Search page: a quick TPE study with median pruning on 3 folds (the schema's defaults)
    "search.job": None,  # the job running a study now or last (job_panel)
    "search.outcome": None,
    "search.train.job": None,  # the job training the best configuration (job_panel)
    "search.train.outcome": None,
    "search.loaded": None,  # a recipe from the recipe box, put into the widgets on the next run
    "search.space_of": None,  # {model: space} of a loaded recipe: the space editor's rows
    "search.running": None,  # the name of the study started last
    "search.view": None,  # the study shown under Results
    **widget_defaults(
        "search",
        SEARCH_OPTIONS.select(
            [
                "model",
                "objective",
                "w1",
                "w2",
                "folds",
                "holdout",
                "sampler",
                "pruner",
                "grid_points",
                "study",
            ]
        ),
    ),
    "search.n_trials": 20,
    "search.rows": widget_value(SEARCH_OPTIONS.get("rows"), 5000),
    "search.storage": "",
    "search.seed": 0,
    "search.group": "none",
    # Bayesian page: the widgets start as Table 2's experiment 5 (Model 2, ν=4, τ=1, VI)
    "bayes.dataset": None,  # dataset_key the feature choice belongs to
    "bayes.fitted_on": None,  # dataset_key of the last fit started
    "bayes.job": None,  # the dashboard.jobs.Job fitting a posterior now or last (job_panel)
    "bayes.outcome": None,  # the experiments.Outcome of the last finished fit (job_panel)
    "bayes.tables.job": None,  # the job running Table 2 or the size curve (job_panel)
    "bayes.tables.outcome": None,
    "bayes.experiments": None,  # {"table2": DataFrame | None, "curve": DataFrame | None}
    "bayes.preset": 5,
    "bayes.rows_from": "",  # "": the whole table (the report's protocol); else a group column
    **widget_defaults("bayes", BAYES_PARAMS),
    **widget_defaults("bayes", ROW_PARAMS),
    "bayes.forest_genre": None,
    "bayes.table2_ids": [1, 2, 3, 4, 5, 7, 9],
    # Transfer page: the "development" network (Table 3 of its report) for 20 epochs
    "transfer.dataset": None,  # dataset_key the genre and feature choices belong to
    "transfer.source_genres": [],  # set per dataset: the report's five genres when present
    "transfer.new_genre": None,
    "transfer.features": [],
    "transfer.group_column": None,
    "transfer.job": None,  # the dashboard.jobs.Job comparing now or last
    "transfer.outcome": None,  # the experiments.Outcome of the last finished comparison
    "transfer.loaded": None,  # a recipe loaded from a file, put into the widgets next run
    "transfer.preset": "development",
    **widget_defaults("transfer", transfer_form()),
    "transfer.compare": ["freeze", "fine-tune", "scratch"],
    "transfer.seed": 0,
    "transfer.sample": 0,
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
        fixes = st.session_state["data.fixes"]
        if fixes:  # before the roles (a flag column may be among their features) and after
            dataset = apply_fixes(dataset, fixes)
        roles: Roles | None = st.session_state["data.roles"]
        if roles is not None and roles != dataset.roles:
            dataset = dataset.with_roles(roles)
        if fixes:
            dataset = apply_fixes(dataset, fixes)
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
    st.session_state["data.fixes"] = []


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
# Streamlit's markdown turns a free-standing ->, <-, <->, --, >=, <= or ~= into an arrow or a
# symbol, even escaped; an invisible word joiner inside the pair keeps it as typed.
_TYPOGRAPHY = re.compile(r"(?<=[-<>~])(?=[->=])")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Text from a user's file made safe for Streamlit markdown: shown as typed, never rendered
    (no emphasis, links or HTML, and no ``->`` drawn as an arrow)."""
    return _MARKDOWN.sub(r"\\\1", _TYPOGRAPHY.sub(WORD_JOINER, str(text)))


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
    choices = tuple(st.session_state.get(k) for k in ("data.genres", "data.merge", "data.fixes"))
    return f"{dataset.name}|{content}|{dataset.roles}|{choices}"


@st.cache_data(max_entries=16, show_spinner="Auditing duplicates…")
def cached_audit(key: str, _dataset: Dataset, test_fraction: float = 0.3):
    from genre_core.data.audit import audit

    return audit(_dataset, test_fraction)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_shortcuts(key: str, _dataset: Dataset):
    from genre_core.data.shortcuts import find_shortcuts

    return find_shortcuts(_dataset)


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
    from dashboard.jobs import workers

    left, right = st.columns([5, 1], vertical_alignment="center")
    right.button("Stop", key=key, icon=":material/stop:", on_click=job.stop, help=help)
    if job.queued:
        count = workers()
        left.info(
            f"Waiting for a free worker: place {job.place} in the queue (this server runs "
            f"{count} job{'s' if count != 1 else ''} at once, one per worker).",
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
