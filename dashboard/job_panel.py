"""The one job panel every page uses: start a recipe, watch it, stop it, collect its outcome.

A page builds a recipe (:mod:`genre_core.experiments`), calls :func:`start`, and draws
:func:`panel` where the job's progress belongs. The panel owns the queue place, Stop, the
error of a failed job, the warnings of a finished one, and the one full rerun that follows a
finished job; the page only says how to draw its own progress (``live``) and what to do with
the :class:`~genre_core.experiments.Outcome`. :func:`recipe_box` shows the recipe (copy,
download) and loads one from a file.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import jobs
from dashboard.state import live_fragment, plain, show_error, stop_bar
from genre_core import experiments
from genre_core.data.dataset import Dataset
from genre_core.data.uploads import keep_upload
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec, Recipe

RECIPE_LIMIT = 1_000_000  # bytes of a recipe file; a recipe is a few kB


def start(key: str, recipe: Recipe, *, dataset: Dataset | None = None, **options) -> jobs.Job:
    """Send ``recipe`` to the job engine; the job is kept in ``st.session_state[key + ".job"]``
    and its id in the page's URL (``?<key>=<id>``), so a reload or a second tab finds it.

    The job runs in a worker process, which reads the data from the recipe itself (an upload
    is kept on the server by its hash); ``dataset`` is accepted for the pages' convenience and
    not sent. ``options`` go to the kind's ``run`` (``source=`` names the page in the history).
    """
    job = jobs.submit(recipe, **options)
    st.session_state[f"{key}.job"] = job
    st.session_state[f"{key}.outcome"] = None
    st.query_params[key] = job.id
    return job


def current(key: str) -> jobs.Job | None:
    """This page's job: the session's own, or the one whose id the URL carries (a reload, a
    second tab, a shared link). A session sees no other job."""
    job = st.session_state.get(f"{key}.job")
    wanted = st.query_params.get(key)
    if wanted and (job is None or job.id != wanted):
        found = jobs.find(wanted)
        if found is not None:
            st.session_state[f"{key}.job"] = job = found
            st.session_state[f"{key}.outcome"] = None if found.running else found.result
            _show_settings_of(key, found)
    return job


def _show_settings_of(key: str, job: jobs.Job) -> None:
    """A job found by its link (a reload, a second tab): its recipe goes into the page's form
    (through :func:`~dashboard.forms.put_loaded` at the top of the next run), so the settings
    shown are the ones that gave the curve and the result, not the defaults."""
    from genre_core import experiments

    try:
        st.session_state[f"{key}.loaded"] = experiments.load_recipe(job.recipe)
    except DataError:  # a recipe this version cannot read: the form keeps what it shows
        return
    st.rerun(scope="app")


def running(key: str) -> bool:
    job = current(key)
    return job is not None and job.running


def outcome(key: str):
    """The last finished job's :class:`~genre_core.experiments.Outcome`, or ``None``."""
    return st.session_state.get(f"{key}.outcome")


def elapsed(job: jobs.Job) -> float:
    return job.job.elapsed


def panel(
    key: str,
    live: Callable[[jobs.Job], None] | None = None,
    stop_help: str = "Stops at the next step; what is finished is kept.",
    stopped_text: str = "",
):
    """Draw the job of ``key``: queue place and Stop while it waits or runs, ``live(job)`` for
    its progress (redrawn every second), then its error or warnings (``stopped_text`` after
    "Stopped after N s." for a stopped job). Returns the outcome of the last finished job (also
    kept in ``st.session_state[key + ".outcome"]``), or ``None``.
    """

    def draw() -> None:
        job = current(key)
        if job is None:
            return
        if job.running:
            column = stop_bar(job, f"{key}.stop", stop_help)
            if column is not None and live is not None:
                with column:
                    live(job)
            return
        if not job.collected:
            job.collected = True
            if job.result is not None:  # done, or stopped with what it finished
                st.session_state[f"{key}.outcome"] = job.result
            st.rerun(scope="app")  # re-enable the page's buttons and draw the outcome

    job = current(key)
    live_fragment(draw, job is not None and job.running)
    if job is None or job.running:
        return outcome(key)
    if job.error:
        show_error(job.error)
    elif job.status == "stopped":
        st.info(
            f"Stopped after {elapsed(job):.1f} s. {stopped_text}".strip(),
            icon=":material/stop_circle:",
        )
    found = outcome(key)
    for event in job.events:
        if event.get("stage") == "store-error":
            st.warning(plain(event["message"]), icon=":material/warning:")
    if found is not None:
        for warning in found.warnings:
            st.warning(plain(warning), icon=":material/warning:")
    return found


def current_data_spec(dataset: Dataset) -> DataSpec:
    """The data choice of the Data and Merge pages as a recipe's :class:`DataSpec`.

    An upload is kept on the server by its hash (``data/uploads/``), so the recipe runs again
    from the CLI on this machine.
    """
    state = st.session_state
    sha = None
    if state.get("data.source") == "upload" and state.get("data.upload"):
        sha = keep_upload(state["data.upload"]["bytes"])
        source = state["data.upload"]["name"]
    else:
        source = state.get("data.source") or dataset.name
    roles = dataset.roles
    return DataSpec(
        source=source,
        sha256=sha,
        label=roles.label,
        features=tuple(roles.features),
        text=tuple(roles.text),
        genres=tuple(state.get("data.genres") or ()),
        merge=dict(state["data.merge"]) if state.get("data.merge") else None,
        fixes=tuple(state.get("data.fixes") or ()),
    )


def recipe_box(
    key: str,
    recipe: Recipe | None,
    on_load: Callable[[Recipe], None],
    *,
    kind: str | None = None,
) -> None:
    """The recipe of the page's current settings: shown, copied, downloaded, or loaded.

    ``on_load(recipe)`` puts a loaded recipe's values into the page's widgets; a recipe of
    another kind than ``kind`` (default: the shown recipe's) is refused with a message.
    """
    box = st.expander(
        "Recipe", icon=":material/receipt_long:", key=f"{key}.recipe_open", on_change="rerun"
    )
    with box:
        if not box.open:
            # drawn once opened: its code block needs 1.5 MB of scripts, which a new visitor's
            # browser would otherwise fetch and compile before the page is drawn (0.45 s here)
            return
        if recipe is None:
            st.caption("The settings above are not complete yet; fix them to see the recipe.")
        else:
            text = recipe.to_json()
            st.caption(
                "These settings as a recipe: `genre-lab run recipe.json` runs the same job "
                "from the command line (same seed, same accuracy)."
            )
            st.code(text, language="json")
            st.download_button(
                "Download recipe",
                text,
                file_name=f"{recipe.kind}-recipe.json",
                mime="application/json",
                key=f"{key}.recipe_download",
                icon=":material/download:",
            )
        st.file_uploader(
            "Load a recipe",
            type=["json"],
            key=f"{key}.recipe_upload",
            max_upload_size=1,
            on_change=_load_recipe,
            args=(key, on_load, kind or (recipe.kind if recipe is not None else None)),
            help="A recipe file from this page's download or from `genre-lab spec`: its "
            "settings replace the ones above.",
        )
        problem = st.session_state.pop(f"{key}.recipe_error", None)
        if problem:
            show_error(problem)


def _load_recipe(key: str, on_load: Callable[[Recipe], None], kind: str | None) -> None:
    """The uploader's callback: it runs before the page is drawn again, so ``on_load`` may set
    the values of the page's widgets."""
    upload = st.session_state.get(f"{key}.recipe_upload")
    if upload is None:
        return
    try:
        raw = upload.getvalue()
        if len(raw) > RECIPE_LIMIT:
            raise DataError("this recipe file is larger than 1 MB; a recipe is a few kB.")
        loaded = experiments.load_recipe(raw)
        if kind and loaded.kind != kind:
            raise DataError(f"this is a '{loaded.kind}' recipe; this page runs '{kind}' recipes.")
        on_load(loaded)
    except DataError as error:
        st.session_state[f"{key}.recipe_error"] = f"{upload.name}: {error}"
