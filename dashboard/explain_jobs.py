"""The Explain page's slow computations as engine jobs: one test track's SHAP values and the
permutation importance run on a worker (recipe kind "explain-model"), never in the web server.

A page asks for a result by its ``ident`` (model, dataset, track): :func:`result` is a finished
one kept in the session, :func:`start` sends its job (the model named by its stored run's id,
or the session's fitted model and the few rows it reads handed over as the job's inputs), and
:func:`follow` draws the job's panel (queue place, Stop, its error) and gives the result once the
job is done. Results stay in the session, so reruns (the what-if sliders) never send a job again.
"""

from __future__ import annotations

import streamlit as st

from dashboard import job_panel, jobs
from dashboard.explain_models import Explainable
from dashboard.state import show_error
from genre_core.data.dataset import Dataset
from genre_core.errors import DataError
from genre_core.experiments.explain_model import ExplainModelSpec

SHAP = "explain.shap"  # the job of a track's SHAP values
IMPORTANCE = "explain.overall"  # the job of the permutation importance
KEEP = 32  # results kept per kind of job in a session (small: a few arrays each)
WORDS = {SHAP: "Explaining this track", IMPORTANCE: "Shuffling each feature"}


def reopen(slot: str, stored: dict[str, str], key: str) -> None:
    """A reload, a second tab or a shared link (a session that has sent no job of ``slot``):
    when the URL names a job of ``slot`` on a stored run, select that run (and the job's
    track) and follow the job instead of sending a new one. ``stored`` maps the model list's
    names to run ids; ``key`` is the dataset's key in the page's idents."""
    state = st.session_state
    if state.get(f"{slot}.for") is not None or not st.query_params.get(slot):
        return
    job = job_panel.current(slot)  # the URL's job (found once, then kept in the session)
    if job is None or job.kind != "explain-model":
        return
    recipe = job.recipe
    name = next((n for n, run_id in stored.items() if run_id == recipe.get("run_id")), None)
    if name is None:  # a model of a session that is gone, never stored: nothing to follow
        return
    if any(state.get(f"{other}.for") for other in (SHAP, IMPORTANCE)) and (
        state.get("explain.model") != name
    ):
        return  # the other job reopened is about another model: the page shows that one
    state["explain.model"] = name
    if recipe.get("compute") == "track":
        state["explain.track"] = int(recipe.get("position", 0))
        state[f"{slot}.for"] = (name, key, int(recipe.get("position", 0)))
    else:
        state[f"{slot}.for"] = (name, key)


def result(slot: str, ident: tuple):
    """The finished result for ``ident``, or ``None``."""
    return st.session_state.get(f"{slot}.results", {}).get(ident)


def asked(slot: str, ident: tuple) -> bool:
    """Whether this session's last job of ``slot`` was for ``ident`` (running or ended)."""
    return st.session_state.get(f"{slot}.for") == ident and job_panel.current(slot) is not None


def running(slot: str, ident: tuple) -> bool:
    job = job_panel.current(slot)
    return asked(slot, ident) and job is not None and job.running


def by_run_id(model: Explainable) -> bool:
    """Whether a worker loads the model from the run history by its id rather than receiving
    the fitted pipeline: always for a stored run; for a model of this session that was logged,
    when the workers share this server's run store (the embedded cluster), so a big forest is
    not sent again with every track."""
    if model.stored:
        return True
    return bool(model.run_id) and jobs.engine().cluster is not None


def start(
    slot: str,
    ident: tuple,
    model: Explainable,
    dataset: Dataset,
    data: dict,
    *,
    by_id: bool = True,
    **fields,
) -> None:
    """Send the job of ``ident``: a recipe with ``fields`` (``compute``, ``position``,
    ``rows``), the model and ``data`` (``x`` and ``reference``, or ``X`` and ``y``) as inputs.
    The model goes by its run id when :func:`by_run_id` says so, unless ``by_id`` is false (a
    second try after a worker could not load it: the fitted model the page holds goes along).
    A job of another ident still waiting for a worker is stopped first (nobody looks at it
    any more); a running one finishes (seconds)."""
    state = st.session_state
    previous = job_panel.current(slot)
    if previous is not None and previous.queued and state.get(f"{slot}.for") != ident:
        previous.stop()
    named = by_id and by_run_id(model)
    inputs = dict(data)
    if not named:
        inputs |= {"pipeline": model.pipeline, "features": tuple(model.features)}
    try:
        recipe = ExplainModelSpec(
            job_panel.current_data_spec(dataset),
            run_id=model.run_id if named else "",
            **fields,
        )
        job_panel.start(slot, recipe, inputs=inputs, source="explain")
    except DataError as error:  # a full queue, a recipe the page got wrong
        show_error(str(error))
        return
    state[f"{slot}.for"] = ident


def _live(slot: str):
    def live(job) -> None:
        st.caption(f"{WORDS[slot]} on a worker… {job.job.elapsed:.0f} s")

    return live


def follow(slot: str, ident: tuple):
    """Draw the job of ``ident`` (queue place and Stop while it waits or runs; its error or
    "Stopped" after) and return its result once it is done (kept in the session), else
    ``None``. Nothing is drawn for a job of another ident."""
    state = st.session_state
    found = result(slot, ident)
    if found is not None or state.get(f"{slot}.for") != ident:
        return found
    outcome = job_panel.panel(
        slot, _live(slot), "Stops the computation (a model call already started finishes)."
    )
    if outcome is None or outcome.result is None:
        return None
    results = dict(state.get(f"{slot}.results", {}))
    results[ident] = outcome.result
    state[f"{slot}.results"] = dict(list(results.items())[-KEEP:])
    return outcome.result


def ended_without_result(slot: str, ident: tuple) -> bool:
    """The job of ``ident`` failed or was stopped (its panel said why)."""
    job = job_panel.current(slot)
    return (
        asked(slot, ident) and job is not None and not job.running and result(slot, ident) is None
    )
