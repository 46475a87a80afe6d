"""Search: tune a model's hyperparameters with Optuna (grid, random, TPE; median or Hyperband
pruning) as a "search" recipe, watch the trials arrive, study what mattered, and train the best
configuration into the run history."""

import time
from dataclasses import replace
from functools import partial

import pandas as pd
import streamlit as st

from dashboard import forms, job_panel
from dashboard.charts import chart, chart_config
from dashboard.params import form_widget, set_params
from dashboard.state import base_dataset, plain, require_dataset, show_error
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import search
from genre_core.plots import search as search_plots
from genre_core.runs.studies import HEARTBEAT_SECONDS, allowed_storages, redact, study_names

KEY, TRAIN = "search", "search.train"
FORM = search.OPTIONS.select(
    ["sampler", "pruner", "objective", "w1", "w2", "folds", "n_trials", "rows", "grid_points",
     "holdout", "study"]
)  # fmt: skip

dataset = require_dataset()
roles = dataset.roles
state = st.session_state
groups = ["none", *forms.group_choices(dataset)]
honest = forms.honest_split(dataset)
forms.follow_dataset(KEY, dataset, group=honest.get("group_column", "none"))
widget = partial(form_widget, KEY, FORM)
# The storages the server's settings allow ([search] storages in .streamlit/genre_lab.toml):
# a URL typed here could create or alter a database anywhere the server reaches.
storages = allowed_storages()
if state.get("search.storage") not in storages:
    state["search.storage"] = storages[0]
STALE = f"{3 * HEARTBEAT_SECONDS:g} s"  # a dead worker's trial is failed after this silence


def put_recipe(spec: search.SearchSpec) -> None:
    """A loaded recipe's values into the widgets (before they are drawn)."""
    values = {p.name: getattr(spec, p.name) for p in FORM if hasattr(spec, p.name)}
    set_params(KEY, FORM, {**values, "w1": spec.weights[0], "w2": spec.weights[1]})
    state["search.model"], state["search.seed"] = spec.model, spec.seed
    group = spec.split.group_column if spec.split.method == "group" else "none"
    state["search.group"] = group if group in groups else "none"
    state["search.space_of"] = {spec.model: spec.space}
    state.pop(f"search.space.{spec.model}", None)  # the editor starts again from the recipe


forms.put_loaded(KEY, put_recipe)  # from the recipe box of the last run

forms.page_header(
    "Search",
    dataset,
    "Tune a model's hyperparameters on cross-validation folds; poor trials are stopped early. "
    "Studies are stored, so other machines can join one and nothing finished is lost.",
)

# ---- the study --------------------------------------------------------------------------------
st.subheader("Study")
a, b, c = st.columns(3)
model_param = search.OPTIONS.get("model")
model = a.selectbox(
    "Model", model_param.choices, key="search.model", format_func=search.model_title
)
widget("sampler", b)
widget("pruner", c)
a, b, c, d = st.columns(4)
objective = widget("objective", a)
widget("w1", b, disabled=objective != "genre_factor")
widget("w2", c, disabled=objective != "genre_factor")
widget("folds", d)
a, b, c, d = st.columns(4)
widget("n_trials", a)
widget("rows", b)
widget("grid_points", c, disabled=state["search.sampler"] != "grid")
widget("holdout", d, disabled=state["search.folds"] != 1)
a, b = st.columns(2)
group = a.selectbox(
    "Folds grouped by",
    groups,
    key="search.group",
    help="Grouped folds keep every track (or artist) on one side, as an honest split does.",
)
seed = forms.seed_input(KEY, b)
forms.split_caption(
    SplitSpec.of("stratified") if group == "none" else SplitSpec.of("group", group), dataset
)

# ---- the space --------------------------------------------------------------------------------
st.subheader("Search space")
st.caption(
    "One row per hyperparameter: tick it to search it, and give a range `low : high` (add "
    "`: log` for a log scale) or values `a | b | c`. Unticked ones keep their default. "
    + (
        "The network's defaults are Table 4 of “Development of a Neural Network-Based Music "
        "Genre Classification Tool”: 192 configurations."
        if model == search.NETWORK
        else ""
    )
)
loaded = {d.name: d for d in (state["search.space_of"] or {}).get(model, ())}
rows = [
    {"search": d.name in loaded if loaded else d.kind == "choice" or d.low != d.high,
     "parameter": d.name, "values": search.dim_text(loaded.get(d.name, d))}
    for d in search.default_space(model)
]  # fmt: skip
rows += [
    {"search": True, "parameter": name, "values": search.dim_text(d)}
    for name, d in loaded.items()
    if name not in {r["parameter"] for r in rows}
]
edited = st.data_editor(
    pd.DataFrame(rows),
    key=f"search.space.{model}",
    hide_index=True,
    disabled=["parameter"],
    width="stretch",
    column_config={
        "search": st.column_config.CheckboxColumn("search", width="small"),
        "values": st.column_config.TextColumn("range or values", width="large"),
    },
)

with st.expander("Storage and other machines", icon=":material/lan:"):
    a, b = st.columns([1, 2])
    widget("study", a, placeholder="a new name from the time")
    b.selectbox(
        "Storage",
        storages,
        key="search.storage",
        format_func=redact,
        help="Where studies are kept: the storages this server's settings allow "
        "([search] storages in .streamlit/genre_lab.toml).",
    )
    st.caption(
        "Another process or machine joins a running study with the command below. Each worker "
        f"says it is alive every {HEARTBEAT_SECONDS:g} s; the trial of a worker silent for "
        f"{STALE} is marked failed and retried once by the others. A configuration already "
        "finished in the study is not trained again."
    )
    st.code(
        f"python -m genre_core search-worker --study {state['search.study'].strip() or 'NAME'}"
        f" --storage '{redact(state['search.storage'])}'",
        language="bash",
    )
    if dataset.origin == "upload":
        st.caption("This dataset is an upload: a worker elsewhere needs the same CSV.")


url = state["search.storage"]


def build_spec() -> search.SearchSpec:
    values = {p.name: p.parse(state[f"search.{p.name}"]) for p in FORM}
    space = tuple(
        search.parse_dim(model, row["parameter"], row["values"])
        for _, row in edited.iterrows()
        if row["search"]
    )
    method = "stratified" if group == "none" else "group"
    default = search.SearchSpec.default_split()
    split = SplitSpec.of(
        method,
        None if group == "none" else group,
        test=default.test,
        validation=default.validation,
        seed=seed,
    )
    weights = (float(values.pop("w1")), float(values.pop("w2")))
    spec = search.SearchSpec(
        data=job_panel.current_data_spec(dataset),
        split=split,
        model=model,
        space=space,
        weights=weights,
        seed=seed,
        storage=url,
        **values,
    )
    spec.check()
    return spec


spec, problem = forms.built(build_spec)
job_panel.recipe_box(KEY, spec, forms.load_later(KEY))


# ---- running ----------------------------------------------------------------------------------
def named(spec: search.SearchSpec) -> search.SearchSpec:
    """The study named now (when the form leaves it unnamed), so the page can follow it."""
    return spec if spec.study else replace(spec, study=f"{model}-{time.strftime('%Y%m%d-%H%M%S')}")


def follow(spec: search.SearchSpec) -> None:
    state["search.view"] = state["search.running"] = spec.study


forms.start_button(
    KEY,
    "Start search",
    spec,
    problem,
    prepare=named,
    then=follow,
    icon=":material/tune:",
    dataset=base_dataset(),
)


def live(job) -> None:
    table = search.events_table(job.events)
    planned = next((e["trials"] for e in job.events if e.get("stage") == "start"), 0)
    done = len(table)
    text = f"{done} of {planned or '…'} trials · {job_panel.elapsed(job):.0f} s"
    best = table["best"].iloc[-1] if done else None
    if best is not None and pd.notna(best):
        text += f" · best so far {best:.4f}"
    st.progress(min(done / planned, 1.0) if planned else 0.0, text=text)
    if done:
        st.plotly_chart(
            search_plots.best_so_far_figure(table),
            key=f"search.live.{done}",
            config=chart_config("search-live"),
        )
        st.dataframe(search.shown_table(table), key=f"search.live_table.{done}", height=260)


job_panel.panel(
    KEY, live, "Ends the search before the next epoch or fold; finished trials stay stored."
)

# ---- a stored study ---------------------------------------------------------------------------
st.subheader("Results")
try:
    names = study_names(url)
except DataError as error:
    show_error(str(error))
    names = []
if not names:
    st.caption("No study yet: start one above.")
    st.stop()
if state.get("search.view") not in names:
    state["search.view"] = names[0]
chosen = st.selectbox(
    "Study", names, key="search.view", help="Every study in the storage, newest first."
)
if job_panel.running(KEY) and chosen == state["search.running"]:
    st.caption("This study is running: its figures fill in when it ends.")
    st.stop()
try:
    study, stored = search.load_study(chosen, url)
    table = search.trials_table(study)
except DataError as error:
    show_error(str(error))
    st.stop()
if table.empty:
    st.caption("This study has no trial yet.")
    st.stop()

counts = search.trial_counts(table)
cols = st.columns(4)
cols[0].metric("Completed", counts.get("complete", 0))
cols[1].metric("Pruned", counts.get("pruned", 0))
cols[2].metric(
    "Failed",
    counts.get("fail", 0),
    help=f"A worker died or a fit failed; a dead worker's trial is marked failed after {STALE} "
    "without a heartbeat and retried once by the others.",
)
if stored.model == search.NETWORK:
    cols[3].metric("Epochs trained", f"{int(table['epochs'].fillna(0).sum()):,}")
else:
    cols[3].metric("Fitting time", f"{table['seconds'].fillna(0).sum():,.0f} s")
st.caption(plain(stored.description))
if counts.get("stopped"):
    st.caption(f"{counts['stopped']} trial(s) ended by Stop before finishing.")
chart(search_plots.best_so_far_figure(table), None, "search.best_curve", "search-best-so-far")
st.dataframe(search.shown_table(table), key="search.table", height=260, hide_index=True)

tab_gf, tab_parallel, tab_importance = st.tabs(
    ["The Genre Factor, Fig. 3", "Parallel coordinates", "Importances"]
)
with tab_gf:
    weights = (float(state["search.w1"]), float(state["search.w2"]))
    chart(
        search_plots.genre_factor_figure(table, weights), None, "search.gf", "search-genre-factor"
    )
    st.caption(
        "Each completed trial's training accuracy against its Δ accuracy (training − "
        "validation). The star has the best score ½·(w1·(1−Δ) + w2·validation) for the weights "
        "above; overfitting trials sit to the right."
    )
with tab_parallel:
    chart(search_plots.parallel_figure(table), None, "search.parallel", "search-parallel")
with tab_importance:
    try:
        values = search.importances(study)
    except DataError as error:
        st.info(plain(str(error)), icon=":material/info:")
    else:
        chart(
            search_plots.importance_figure(values), None, "search.importance", "search-importance"
        )

# ---- train the best ---------------------------------------------------------------------------
if not counts.get("complete"):
    st.stop()
best = study.best_trial
st.subheader("The best configuration")
st.caption(
    plain(
        f"Trial {best.number}: {best.value:.4f}. "
        + ", ".join(f"{k} = {v}" for k, v in best.params.items())
    )
)
if st.button(
    "Train the best into the run history",
    key="search.train_best",
    disabled=job_panel.running(TRAIN),
    icon=":material/model_training:",
    help="Trains it once on a fresh split and tests it on rows the search never scored.",
):
    recipe = replace(stored, study=chosen, storage=url, trials_here=0, train_best=True)
    try:
        job_panel.start(TRAIN, recipe, dataset=base_dataset())
        st.rerun()
    except DataError as error:
        show_error(str(error))


def training(job) -> None:
    st.progress(0.0, text="Training the best configuration…")


trained = job_panel.panel(TRAIN, training)
if trained is not None and trained.summary["runs"]:
    run = trained.summary["runs"][0]
    text = f"Test accuracy {run['accuracy']:.1%} on {run['n_test']:,} held-out rows"
    if run["run_id"]:
        text += f"; saved to the run history as run {run['run_id'][:8]} (see Compare runs)"
    st.success(text + ".", icon=":material/check_circle:")
