"""Search: tune a model's hyperparameters with Optuna (grid, random, TPE; median or Hyperband
pruning), watch the trials arrive, study what mattered, and train the best configuration."""

import time

import pandas as pd
import streamlit as st

from dashboard import jobs
from dashboard.state import (
    current_dataset,
    live_fragment,
    plain,
    require_dataset,
    show_error,
    stop_bar,
)
from genre_core.errors import DataError
from genre_core.experiments import search
from genre_core.models.classical import MODELS
from genre_core.models.networks import configure_threads
from genre_core.plots import search as search_plots

configure_threads(1)  # one core per search; the other serves pages and a second job

dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
state = st.session_state

st.title("Search")
st.caption(
    f"{plain(dataset.name)}: {len(frame):,} rows, {dataset.class_counts.size} genres. Tune a "
    "model's hyperparameters on cross-validation folds; poor trials are stopped early. Studies "
    "are stored, so other machines can join one and nothing finished is lost."
)

TITLES = {**{m: s.title for m, s in MODELS.items()}, search.NETWORK: "Neural network (MLP)"}

# ---- the study --------------------------------------------------------------------------------
st.subheader("Study")
a, b, c = st.columns(3)
model = a.selectbox(
    "Model", search.model_names(), key="search.model", format_func=lambda m: TITLES[m]
)
sampler = b.selectbox(
    "Sampler",
    search.SAMPLERS,
    key="search.sampler",
    format_func={"tpe": "TPE (Bayesian)", "random": "random", "grid": "grid"}.get,
    help="TPE learns from finished trials; grid tries every combination (number ranges get "
    "'points per range' values).",
)
pruner = c.selectbox(
    "Pruner",
    search.PRUNERS,
    key="search.pruner",
    format_func={"none": "none", "median": "median", "hyperband": "Hyperband"}.get,
    help="Stops a trial whose intermediate score (per epoch for networks, per fold otherwise) "
    "falls below the median of earlier trials (median) or in successive halving (Hyperband).",
)
a, b, c, d = st.columns(4)
objective = a.selectbox(
    "Objective", list(search.OBJECTIVES), key="search.objective", format_func=search.OBJECTIVES.get
)
w1 = b.number_input(
    "w1 (1 − Δacc)", 0.0, 10.0, key="search.w1", step=0.1, disabled=objective != "genre_factor"
)
w2 = c.number_input(
    "w2 (validation)", 0.0, 10.0, key="search.w2", step=0.1, disabled=objective != "genre_factor"
)
folds = d.number_input(
    "Folds", 1, 10, key="search.folds", help="Cross-validation folds; 1: one 80/20 hold-out."
)
a, b, c, d = st.columns(4)
n_trials = a.number_input("Trials", 1, 5000, key="search.trials")
rows = b.number_input(
    "Rows sampled (0: all)",
    0,
    10_000_000,
    key="search.rows",
    step=1000,
    help="A fixed stratified sample keeps each trial quick.",
)
grid_points = c.number_input(
    "Grid points per range", 2, 10, key="search.grid_points", disabled=sampler != "grid"
)
seed = d.number_input("Seed", 0, 2**31 - 1, key="search.seed")
group_options = ["none", *roles.groups]
group = st.selectbox(
    "Folds grouped by",
    group_options,
    key="search.group",
    help="Grouped folds keep every track (or artist) on one side, as an honest split does.",
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
default_rows = pd.DataFrame(
    [
        {
            "search": d.kind == "choice" or d.low != d.high,
            "parameter": d.name,
            "values": search.dim_text(d),
        }  # fmt: skip
        for d in search.default_space(model)
    ]
)
edited = st.data_editor(
    default_rows,
    key=f"search.space.{model}",
    hide_index=True,
    disabled=["parameter"],
    width="stretch",
    column_config={
        "search": st.column_config.CheckboxColumn("search", width="small"),
        "values": st.column_config.TextColumn("range or values", width="large"),
    },
)


def build_spec() -> search.SearchSpec:
    space = tuple(
        search.parse_dim(model, row["parameter"], row["values"])
        for _, row in edited.iterrows()
        if row["search"]
    )
    source = dataset.path if dataset.spec is None and dataset.path else dataset.name
    return search.SearchSpec(
        dataset=str(source),
        model=model,
        space=space,
        label=roles.label,
        features=tuple(roles.features),
        genres=tuple(sorted(map(str, dataset.class_counts.index))),
        merge=state["data.merge"] or None,
        group_column=None if group == "none" else group,
        objective=objective,
        weights=(float(w1), float(w2)),
        folds=int(folds),
        sampler=sampler,
        pruner=pruner,
        n_trials=int(n_trials),
        grid_points=int(grid_points),
        rows=int(rows) or None,
        seed=int(seed),
    )


with st.expander("Storage and other machines", icon=":material/lan:"):
    a, b = st.columns([1, 2])
    name = a.text_input("Study name", key="search.name", help="Empty: a new name from the time.")
    storage = b.text_input(
        "Storage (SQLAlchemy URL)",
        key="search.storage",
        placeholder=search.default_storage(),
        help="Empty: SQLite under data/. A PostgreSQL URL lets workers on many machines share "
        "the study (postgresql+psycopg://user:password@host/db).",
    )
    shown_url = storage or search.default_storage()
    st.caption("Another process or machine joins a running study with:")
    st.code(
        f"python -m genre_core search-worker --study {name or 'NAME'} --storage '{shown_url}'",
        language="bash",
    )
    if dataset.origin == "upload":
        st.caption(
            "This dataset is an upload: a worker elsewhere needs the same CSV at the same path."
        )

# ---- running ----------------------------------------------------------------------------------
job: jobs.Job | None = state["search.job"]
running = job is not None and job.running
if st.button(
    "Start search", type="primary", key="search.start", disabled=running, icon=":material/tune:"
):
    try:
        spec = build_spec()
        spec.check()
        study_name = name.strip() or f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"
        url = storage.strip() or None
        base = current_dataset(all_genres=True, merged=False)
        if base is None:
            raise DataError(state["data.error"] or "no dataset is loaded.")
        base_frame, label = base.frame, base.roles.label
        study = search.create_study(spec, study_name, url)
    except DataError as error:
        show_error(str(error))
    else:

        def work(emit, cancel):
            data = search.prepare_data(spec, base_frame, label)
            emit({"stage": "start", "trials": spec.n_trials, "rows": len(data.y)})
            return search.run_study(study, spec, data, emit=emit, cancel=cancel)

        state["search.job"] = jobs.start(f"search {study_name}", work)
        state["search.study"] = {"name": study_name, "storage": url}
        state["search.view"] = study_name
        state["search.best_run"] = None
        st.rerun()


def trial_rows(job: jobs.Job) -> pd.DataFrame:
    rows = [e for e in job.events if e.get("stage") == "trial"]
    return pd.DataFrame(rows).drop(columns=["stage"]) if rows else pd.DataFrame()


def live_panel() -> None:
    job: jobs.Job | None = state["search.job"]
    if job is None:
        return
    job.drain()
    table = trial_rows(job)
    planned = next((e["trials"] for e in job.events if e.get("stage") == "start"), 0)
    if job.running:
        left = stop_bar(
            job,
            "search.stop",
            "Ends the search before the next epoch or fold; finished trials stay stored.",
        )
        if left is None:
            return
        done = len(table)
        elapsed = time.monotonic() - job.started
        best = table["best"].iloc[-1] if done and pd.notna(table["best"].iloc[-1]) else None
        text = f"{done} of {planned or '…'} trials · {elapsed:.0f} s"
        if best is not None:
            text += f" · best so far {best:.4f}"
        left.progress(min(done / planned, 1.0) if planned else 0.0, text=text)
        if done:
            st.plotly_chart(search_plots.best_so_far_figure(table), key=f"search.live.{done}")
            show_table(table, f"search.live_table.{done}")
        return
    if not job.collected:
        job.collected = True
        st.rerun(scope="app")


def show_table(table: pd.DataFrame, key: str) -> None:
    columns = ["number", "state", "value", "acc_val", "acc_train", "epochs", "seconds"]
    if not table.get("epochs", pd.Series(dtype=float)).fillna(0).any():
        columns.remove("epochs")  # classical models train no epochs
    columns += [c for c in table.columns if c.startswith("param_")]
    if "error" in table and table["error"].notna().any():
        columns.append("error")  # why a configuration could not be fitted
    view = table[[c for c in columns if c in table.columns]].rename(
        columns=lambda c: c[6:] if c.startswith("param_") else c
    )
    st.dataframe(view.iloc[::-1], key=key, height=260, hide_index=True)


live_fragment(live_panel, running)

job = state["search.job"]
if job is not None and not job.running:
    if job.error:
        show_error(job.error)
    elif job.status == "stopped":
        st.info("Stopped. The finished trials are stored.", icon=":material/stop_circle:")

# ---- a stored study ---------------------------------------------------------------------------
current = state["search.study"]
st.subheader("Results")
try:
    names = search.study_names(storage.strip() or None)
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
if running and current and chosen == current["name"]:
    st.caption("This study is running: its figures fill in when it ends.")
    st.stop()
try:
    study, spec = search.load_study(chosen, storage.strip() or None)
    table = search.trials_table(study)
except DataError as error:
    show_error(str(error))
    st.stop()
if table.empty:
    st.caption("This study has no trial yet.")
    st.stop()

counts = table["state"].value_counts()
done = table[table["state"] == "complete"]
cols = st.columns(4)
cols[0].metric("Completed", int(counts.get("complete", 0)))
cols[1].metric("Pruned", int(counts.get("pruned", 0)))
cols[2].metric(
    "Failed",
    int(counts.get("fail", 0)),
    help="A worker died or a fit failed; a dead worker's trial is retried once by the others.",
)
if spec.model == search.NETWORK:
    cols[3].metric("Epochs trained", f"{int(table['epochs'].fillna(0).sum()):,}")
else:
    cols[3].metric("Fitting time", f"{table['seconds'].fillna(0).sum():,.0f} s")
st.caption(
    plain(
        f"{TITLES.get(spec.model, spec.model)} · {search.OBJECTIVES[spec.objective]} · "
        f"{spec.sampler} sampler · {spec.pruner} pruner · "
        + (f"{spec.folds} folds" if spec.folds > 1 else "80/20 hold-out")
        + (f" grouped by {spec.group_column}" if spec.group_column else "")
    )
)
if counts.get("stopped"):
    st.caption(f"{int(counts['stopped'])} trial(s) ended by Stop before finishing.")
st.plotly_chart(search_plots.best_so_far_figure(table), key="search.best_curve")
show_table(table, "search.table")

tab_gf, tab_parallel, tab_importance = st.tabs(
    ["The Genre Factor, Fig. 3", "Parallel coordinates", "Importances"]
)
with tab_gf:
    st.plotly_chart(
        search_plots.genre_factor_figure(table, (float(w1), float(w2))), key="search.gf"
    )
    st.caption(
        "Each completed trial's training accuracy against its Δ accuracy (training − "
        "validation). The star has the best score ½·(w1·(1−Δ) + w2·validation) for the weights "
        "above; overfitting trials sit to the right."
    )
with tab_parallel:
    st.plotly_chart(search_plots.parallel_figure(table), key="search.parallel")
with tab_importance:
    try:
        values = search.importances(study)
    except DataError as error:
        st.info(plain(str(error)), icon=":material/info:")
    else:
        st.plotly_chart(search_plots.importance_figure(values), key="search.importance")

# ---- train the best ---------------------------------------------------------------------------
if done.empty:
    st.stop()
best = study.best_trial
params = search.best_params(study, spec)
st.subheader("The best configuration")
st.caption(
    plain(
        f"Trial {best.number}: {best.value:.4f}. "
        + ", ".join(f"{k} = {v}" for k, v in best.params.items())
    )
)
train_job: jobs.Job | None = state["search.train_job"]
training = train_job is not None and train_job.running
if st.button(
    "Train the best into the run history",
    key="search.train_best",
    disabled=training,
    icon=":material/model_training:",
    help="Trains it once on a fresh split and tests it on rows the search never scored.",
):
    run_frame, run_label, data_name = frame, roles.label, dataset.name

    def train_work(emit, cancel):
        from genre_core.runs import history  # the run history, imported only when used

        result = search.train_best(spec, params, run_frame, run_label, cancel=cancel)
        emit(history.log_event(result, source="search", dataset=data_name))
        return result

    state["search.train_job"] = jobs.start("train the best", train_work)
    st.rerun()


def train_panel() -> None:
    job: jobs.Job | None = state["search.train_job"]
    if job is None:
        return
    job.drain()
    if job.running:
        st.progress(0.0, text="Training the best configuration…")
        return
    if job.error:
        show_error(job.error)
        return
    result = job.result
    if result is None:
        return
    accuracy = result.evaluation.metrics["accuracy"]
    logged = next((e for e in job.events if e.get("stage") in ("logged", "store-error")), {})
    if logged.get("stage") == "logged":
        st.success(
            f"Test accuracy {accuracy:.1%} on {result.n_test:,} held-out rows; saved to the run "
            f"history as run {logged['run_id'][:8]} (see Compare runs).",
            icon=":material/check_circle:",
        )
    else:
        st.success(f"Test accuracy {accuracy:.1%}.", icon=":material/check_circle:")
        if logged:
            show_error(logged["message"])


live_fragment(train_panel, training)
