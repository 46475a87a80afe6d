"""Train: pick features, genres, split and models; train in the background; read the evaluations."""

import json
from dataclasses import replace

import streamlit as st

from dashboard import forms, job_panel
from dashboard.bundle_view import bundle_button
from dashboard.classroom import is_locked, open_models
from dashboard.params import form_widget, param_grid, read_params, set_params
from dashboard.predictions import predict_panel
from dashboard.report_view import report_buttons
from dashboard.results import evaluation_view, leaderboard_view
from dashboard.state import base_dataset, plain, require_dataset, show_error
from genre_core.data.features import ARTIST_WARNING, PROFILE_WARNING
from genre_core.errors import DataError
from genre_core.experiments.grid import BASELINE_GRIDS, GridSpec, parse_grid
from genre_core.experiments.train import OPTIONS, ModelChoice, TrainSpec
from genre_core.metrics.leaderboard import Entry
from genre_core.models.classical import MODELS, PRESET_SOURCES, resolve_params
from genre_core.params import ParamSet
from genre_core.runs.progress import step_text
from genre_core.runs.records import split_label

MAX_FITTED = 4  # fitted pipelines kept for predictions; a 100-tree forest alone can take 150 MB

dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
genres_all = sorted(map(str, dataset.class_counts.index))
state = st.session_state
group_options = forms.group_choices(dataset, others=True)
data_key = forms.follow_dataset(
    "train", dataset, features=list(roles.features), genres=[], **forms.honest_split(dataset)
)


def params_of(model: str) -> ParamSet:
    return ParamSet(MODELS[model].params)


def load_recipe(spec: TrainSpec) -> None:
    """Put a loaded recipe's settings into the widgets (the data stays the Data page's)."""
    state["train.features"] = [f for f in spec.data.features if f in dataset.numeric_columns]
    state["train.genres"] = [g for g in spec.data.genres if g in genres_all]
    for name in (
        "feature_set",
        "artist",
        "artist_profile",
        "imputer",
        "scaler",
        "cv_folds",
        "seed",
    ):
        state[f"train.{name}"] = getattr(spec, name)
    state["train.sample"] = spec.data.sample or 0
    forms.put_split("train", spec.split, group_options)
    state["train.models"] = [m.name for m in spec.models]
    for choice in spec.models:
        set_params(f"train.param.{choice.name}", params_of(choice.name), choice.resolved())


forms.put_loaded("train", load_recipe)  # the recipe of a job found by its link
forms.page_header(
    "Train",
    dataset,
    "Choose what to learn from, how to hold out a test set and which models to fit; training "
    "runs in the background.",
)

# ---- choices --------------------------------------------------------------------------------
st.subheader("Data and split")
left, right = st.columns(2)
features = left.multiselect(
    "Features", dataset.numeric_columns, key="train.features", help="Numeric columns to learn from."
)
genres = right.multiselect(
    "Genres (empty: all)", genres_all, key="train.genres", help="Keep only these; at least two."
)
left, right, corner = st.columns([2, 1, 1])
feature_set = left.radio(
    "Feature set",
    OPTIONS.get("feature_set").choices,
    key="train.feature_set",
    horizontal=True,
    disabled=is_locked("train.feature_set"),
    help="text: sentence embeddings (all-MiniLM-L6-v2) of the title columns chosen on the Data "
    "page; computed once, then read from a shared cache. Tree models see 32 principal "
    "components of them.",
)
use_artist = right.checkbox(
    "Use the artist as a feature",
    key="train.artist",
    disabled=roles.artist_column is None or is_locked("train.artist"),
    help="One-hot artist, rare artists pooled.",
)
use_profile = right.checkbox(
    "Add the artist's profile",
    key="train.artist_profile",
    disabled=roles.artist_column is None or is_locked("train.artist_profile"),
    help="Each numeric feature's mean over the artist's songs, and how many there are: the "
    "average sound of the artist. It reads no genre; under a split grouped by artist a test "
    "artist's profile comes from its test songs alone. It helps where an artist's songs are "
    'judged together; one song of a new artist alone fares worse with it. "Best" reads it '
    "under a split grouped by artist anyway.",
)
sample = forms.sample_input("train", corner)
a, b, c, d = st.columns(4)
forms.split_form(
    "train",
    group_options,
    (a, b, d, c),
    dataset=dataset,
    test=(0.1, 0.5),
    validation=(0.0, 0.4),
    validation_help="Held out to measure the train/validation gap.",
)
a, b, c, d = st.columns(4)
form_widget("train", OPTIONS, "imputer", a)
form_widget("train", OPTIONS, "scaler", b, help="quantile: normal-shaped features.")
cv_folds = c.selectbox(
    "Cross-validation folds",
    [0, 3, 5, 10],
    key="train.cv_folds",
    format_func=lambda k: "none" if k == 0 else f"{k}-fold",
    help="Grouped folds when the split is grouped.",
)
seed = forms.seed_input("train", d)
grouped_by_artist = (
    state["train.split"] == "group" and state["train.group_column"] == roles.artist_column
)
if use_artist and not grouped_by_artist:
    st.warning(ARTIST_WARNING, icon=":material/warning:")
if use_profile and not grouped_by_artist:
    st.warning(PROFILE_WARNING, icon=":material/warning:")

st.subheader("Models")
chosen = st.multiselect(
    "Models", open_models(list(MODELS)), key="train.models", format_func=lambda m: MODELS[m].title
)


def apply_preset(model: str) -> None:
    preset = state[f"train.preset.{model}"]
    values = resolve_params(model, preset=None if preset == "defaults" else preset)
    set_params(f"train.param.{model}", params_of(model), values)


def preset_title(preset: str) -> str:
    return preset if preset == "defaults" else f"{preset}: {PRESET_SOURCES.get(preset, '')}"


for model in chosen:
    spec = MODELS[model]
    with st.expander(f"{spec.title} hyperparameters", icon=":material/tune:"):
        if spec.presets:
            forms.preset_picker(
                f"train.preset.{model}",
                ["defaults", *spec.presets],
                preset_title,
                apply_preset,
                apply_key=f"train.apply.{model}",
                args=(model,),
            )
        param_grid(
            f"train.param.{model}", params_of(model), [p.name for p in spec.params], per_row=3
        )
        if spec.note:
            st.caption(plain(spec.note))


def model_choice(model: str) -> ModelChoice:
    """The model with the values that differ from its defaults (a short recipe)."""
    values = read_params(f"train.param.{model}", params_of(model), model)
    defaults = MODELS[model].defaults
    return ModelChoice(model, None, {k: v for k, v in values.items() if defaults[k] != v})


def build_spec() -> TrainSpec:
    """The recipe of the settings above (raises DataError naming what is wrong)."""
    data = job_panel.current_data_spec(dataset)
    data = replace(
        data, features=tuple(features), genres=tuple(genres) or data.genres, sample=sample
    )
    spec = TrainSpec(
        data,
        forms.read_split("train", seed),
        tuple(model_choice(m) for m in chosen),
        feature_set=feature_set,
        artist=bool(use_artist),
        artist_profile=bool(use_profile),
        imputer=state["train.imputer"],
        scaler=state["train.scaler"],
        cv_folds=int(cv_folds),
        seed=seed,
    )
    spec.check()
    return spec


recipe, problem = forms.built(build_spec)
job_panel.recipe_box("train", recipe, load_recipe, kind="train")
start_col, note_col = st.columns([1, 4], vertical_alignment="center")
forms.start_button(
    "train", "Train", recipe, problem, container=start_col, dataset=base_dataset(), source="train"
)
note_col.caption(
    "Each model is fitted on the training part and scored on the test part; "
    "the page stays usable while it trains."
)


def training_progress(job) -> None:
    """Models trained, and the current model's embedding or boosting rounds / trees."""
    starts = [i for i, e in enumerate(job.events) if e.get("stage") == "start"]
    current = job.events[starts[-1] :] if starts else []
    done = sum(e.get("stage") == "done" for e in job.events)
    total = current[0]["total"] if current else 1
    now = current[0]["model"] if current else "…"
    last = job.events[-1] if job.events else {}
    detail = f"fitting {now}"
    if last.get("stage") == "cv":
        detail = f"cross-validating {now}: fold {last['fold']} of {last['folds']}"
    st.progress(done / total, text=f"{done} of {total} models trained; {detail}")
    steps = [e for e in current if e.get("stage") in ("embed", "fit", "evaluate")]
    if steps and steps[-1]["stage"] != "evaluate":
        step = steps[-1]
        st.progress(min(step["done"] / max(step["total"], 1), 1.0), text=step_text(step))


def run_title(result) -> str:
    model = result.config.model
    return f"{model} (defaults)" if result.title == model else result.title


outcome = job_panel.panel(
    "train",
    training_progress,
    "Stops within an XGBoost or forest fit, else after the fit; finished models are kept.",
)
if outcome is not None and state.get("train.stored") is not outcome:
    state["train.stored"] = outcome
    runs = list(state["train.runs"])  # a new list: the default one is shared by all sessions
    batch = outcome.result
    for run in batch.runs:
        result, name = run.result, f"#{len(runs) + 1} {run_title(run.result)}"
        features, split = result.config.inputs, split_label(batch.split)
        entry = Entry(name, batch.dataset, split, result.evaluation, result.fit_seconds)
        runs.append(
            {
                "name": name,
                "entry": replace(entry, cv=run.cv, features=features),  # the leaderboard's
                "result": result,
                "pipeline": result.pipeline,
                "run_id": run.run_id,
                "data": data_key,
                "genres": result.config.genres,
            }
        )
    for run in runs[:-MAX_FITTED]:
        run["pipeline"] = None
    state["train.runs"] = runs
    if batch.runs:
        state["train.view"] = runs[-1]["name"]

# ---- grid search -----------------------------------------------------------------------------
with st.expander("Grid search with cross-validation", icon=":material/grid_on:"):
    st.caption(
        "The 5-fold grids of the random forest and XGBoost baselines of 'Development of a Neural "
        "Network-Based Music Genre Classification Tool', on the features, genres and "
        "preparation chosen above (grouped folds when the split is grouped). Edit the grid as "
        "JSON: each key a hyperparameter, each value a list to try; the others are the model's "
        "settings above."
    )
    a, b = st.columns([1, 3])
    grid_model = a.selectbox(
        "Model",
        [*BASELINE_GRIDS, *(m for m in MODELS if m not in BASELINE_GRIDS)],
        key="train.grid_model",
        format_func=lambda m: MODELS[m].title,
    )
    folds = a.selectbox("Folds", [3, 5, 10], key="train.grid_folds")
    if state.get("train.grid_for") != grid_model:
        state["train.grid_for"] = grid_model
        state["train.grid_text"] = json.dumps(BASELINE_GRIDS.get(grid_model, {}))
    grid_text = b.text_area("Grid", key="train.grid_text", height=120)
    if st.button(
        "Search",
        key="train.grid_start",
        disabled=job_panel.running("train.grid"),
        icon=":material/search:",
    ):
        try:
            base = build_spec()
            grid = parse_grid(grid_text)
            fixed = model_choice(grid_model).params
            grid_spec = GridSpec(
                base.data,
                base.split,
                grid_model,
                {k: tuple(v) for k, v in grid.items()},
                {k: v for k, v in fixed.items() if k not in grid},
                imputer=base.imputer,
                scaler=base.scaler,
                folds=int(folds),
                seed=base.seed,
            )
            grid_spec.check()
        except DataError as error:
            show_error(str(error))
        else:
            job_panel.start("train.grid", grid_spec, dataset=base_dataset())
            st.rerun()

    def grid_progress(job) -> None:
        fits = [e for e in job.events if e.get("stage") == "grid"]
        done, total = (fits[-1]["done"], fits[-1]["total"]) if fits else (0, 1)
        st.progress(done / total, text=f"{done} of {total} fits")

    grid_outcome = job_panel.panel(
        "train.grid", grid_progress, "Keeps the combinations already finished."
    )
    grid_job = job_panel.current("train.grid")
    ranked = grid_outcome.result if grid_outcome is not None else None
    if ranked is None and grid_job is not None and grid_job.status == "stopped" and grid_job.result:
        ranked = grid_job.result.result  # a stopped search keeps what it finished
    if ranked is not None and len(ranked.table):
        verb = "finished" if ranked.complete else "stopped"
        st.caption(
            f"Search {verb}: {len(ranked.table)} of {ranked.combinations} combinations, "
            f"{ranked.folds}-fold{' grouped' if ranked.grouped else ''}; best first."
        )
        st.dataframe(ranked.table, hide_index=True, key="train.grid_table")

# ---- results ---------------------------------------------------------------------------------
runs = state["train.runs"]
if not runs:
    if not job_panel.running("train"):
        st.info(
            "No model trained yet in this session: choose models above and press Train.",
            icon=":material/info:",
        )
    st.stop()

st.subheader("Evaluation")
names = [r["name"] for r in runs]
if state.get("train.view") not in names:
    state["train.view"] = names[-1]
view = st.selectbox("Model", names, key="train.view")
run = runs[names.index(view)]
result = run["result"]
entry = run["entry"]
st.caption(
    plain(
        f"{entry.dataset}, {entry.split} split: trained on {result.n_train:,} rows, "
        f"tested on {result.n_test:,}; fit in {result.fit_seconds:.1f} s."
    )
)
evaluation_view("train", result.evaluation, view, cv=entry.cv)
report_buttons([run["run_id"]], "train")
bundle_button(run["run_id"], "train.bundle")

st.subheader("Leaderboard")
same_test = len({(r["data"], r["entry"].split, r["genres"]) for r in runs}) == 1
leaderboard_view("train", [r["entry"] for r in runs], same_test)

# ---- predictions ------------------------------------------------------------------------------
st.subheader("Predict unlabeled tracks")
fitted = {
    r["name"]: (r["pipeline"], r["result"].features)
    for r in runs
    if r["pipeline"] and r["result"].config.numeric_only  # a file gives numeric columns only
}
predict_panel(
    "train",
    dataset,
    fitted,
    f"The {MAX_FITTED} most recent models are kept for predictions; models of the numeric "
    "features alone (no titles, artist or artist's profile) can predict a file.",
)
