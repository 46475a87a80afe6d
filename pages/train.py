"""Train: pick features, genres, split and models; train in the background; read the evaluations."""

import json
from itertools import product

import pandas as pd
import streamlit as st

from dashboard import jobs
from dashboard.state import dataset_key, live_fragment, plain, require_dataset, show_error
from genre_core.data.features import ARTIST_WARNING, FEATURE_SETS, check_feature_set
from genre_core.data.preprocess import IMPUTERS, SCALERS, PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.train import (
    BASELINE_GRIDS,
    Cancelled,
    TrainConfig,
    cross_validate,
    dataset_test_file,
    grid_search,
    groups_for,
    predict_table,
    read_unlabeled,
    submission_table,
    train_model,
    training_table,
)
from genre_core.models.classical import MODELS, PRESET_SOURCES, make_model, resolve_params
from genre_core.plots import models as model_plots
from genre_core.runs import history
from genre_core.settings import upload_limit_mb

MAX_FITTED = 4  # fitted pipelines kept for predictions; a 100-tree forest alone can take 150 MB

dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
data_key = dataset_key(dataset)
genres_all = sorted(map(str, dataset.class_counts.index))
state = st.session_state

if state["train.dataset"] != data_key:
    state["train.dataset"] = data_key
    state["train.features"] = list(roles.features)
    state["train.genres"] = []
    state["train.group_column"] = roles.artist_column or roles.id_column
state.setdefault("train.features", list(roles.features))
state.setdefault("train.genres", [])
state.setdefault("train.group_column", roles.artist_column or roles.id_column)

st.title("Train")
st.caption(
    f"{plain(dataset.name)}: {len(frame):,} rows, {len(genres_all)} genres. Choose what to learn "
    "from, how to hold out a test set and which models to fit; training runs in the background."
)

# ---- choices --------------------------------------------------------------------------------
st.subheader("Data and split")
left, right = st.columns(2)
features = left.multiselect(
    "Features",
    dataset.numeric_columns,
    key="train.features",
    help="Numeric columns the models learn from.",
)
genres = right.multiselect(
    "Genres (empty: all)",
    genres_all,
    key="train.genres",
    help="Keep only these genres; at least two.",
)
left, right = st.columns(2)
feature_set = left.radio(
    "Feature set",
    FEATURE_SETS,
    key="train.feature_set",
    horizontal=True,
    help="text: sentence embeddings (all-MiniLM-L6-v2) of the title columns chosen on the Data "
    "page; computed once, then read from a shared cache. Tree models see 32 principal "
    "components of them.",
)
use_artist = right.checkbox(
    "Use the artist as a feature",
    key="train.artist",
    disabled=roles.artist_column is None,
    help="One-hot artist, rare artists pooled.",
)
a, b, c, d = st.columns(4)
split_method = a.radio(
    "Split",
    ["stratified", "group"],
    key="train.split",
    horizontal=True,
    format_func={"stratified": "random (stratified)", "group": "grouped"}.get,
    help="Grouped: every track or artist goes whole to one side.",
)
group_options = list(roles.groups) or [c for c in frame.columns if c != roles.label]
if state["train.group_column"] not in group_options:
    state["train.group_column"] = group_options[0] if group_options else None
group_column = b.selectbox(
    "Group by", group_options, key="train.group_column", disabled=split_method != "group"
)
test_size = c.slider("Test share", 0.1, 0.5, step=0.05, key="train.test_size")
validation = d.slider(
    "Validation share",
    0.0,
    0.4,
    step=0.05,
    key="train.validation",
    help="Held out to measure the train/validation gap.",
)
a, b, c, d = st.columns(4)
imputer = a.selectbox("Imputer", IMPUTERS, key="train.imputer")
scaler = b.selectbox(
    "Scaler",
    SCALERS,
    key="train.scaler",
    help="quantile maps each feature to a normal shape (The Genre Factor).",
)
cv_folds = c.selectbox(
    "Cross-validation folds",
    [0, 3, 5, 10],
    key="train.cv_folds",
    format_func=lambda k: "none" if k == 0 else f"{k}-fold",
    help="Grouped folds when the split is grouped.",
)
seed = d.number_input("Seed", 0, 2**31 - 1, step=1, key="train.seed")
if use_artist and not (split_method == "group" and group_column == roles.artist_column):
    st.warning(ARTIST_WARNING, icon=":material/warning:")

st.subheader("Models")
chosen = st.multiselect(
    "Models", list(MODELS), key="train.models", format_func=lambda m: MODELS[m].title
)


def apply_preset(model: str) -> None:
    preset = state[f"train.preset.{model}"]
    for name, value in resolve_params(
        model, preset=preset if preset != "defaults" else None
    ).items():
        state[f"train.param.{model}.{name}"] = value


def param_widget(container, model: str, param) -> None:
    key = f"train.param.{model}.{param.name}"
    label = param.name
    if param.kind == "bool":
        container.checkbox(label, key=key, help=param.help or None)
    elif param.kind == "choice":
        container.selectbox(
            label,
            list(param.choices),
            key=key,
            help=param.help or None,
            format_func=lambda v: "none" if v is None else str(v),
        )
    elif param.kind == "int":
        container.number_input(
            label,
            int(param.low),
            int(param.high),
            step=1,
            key=key,
            help=(param.help + " Empty: none.").strip() if param.optional else param.help or None,
            placeholder="none",
        )
    else:
        container.number_input(
            label,
            float(param.low),
            float(param.high),
            key=key,
            format="%.4g",
            help=param.help or None,
            step=None if param.log else 0.05,
        )


for model in chosen:
    spec = MODELS[model]
    with st.expander(f"{spec.title} hyperparameters", icon=":material/tune:"):
        if spec.presets:
            p1, p2 = st.columns([3, 1], vertical_alignment="bottom")
            p1.selectbox(
                "Preset",
                ["defaults", *spec.presets],
                key=f"train.preset.{model}",
                format_func=lambda p: p if p == "defaults" else f"{p}: {PRESET_SOURCES.get(p, '')}",
            )
            p2.button(
                "Apply preset", key=f"train.apply.{model}", on_click=apply_preset, args=(model,)
            )
        columns = st.columns(3)
        for i, param in enumerate(spec.params):
            param_widget(columns[i % 3], model, param)
        if spec.note:
            st.caption(plain(spec.note))


def build_configs() -> list[TrainConfig]:
    if not chosen:
        raise DataError("choose at least one model.")
    if not features and "numeric" in feature_set:
        raise DataError("choose at least one feature.")
    if cv_folds and (feature_set != "numeric" or use_artist):
        raise DataError("cross-validation uses numeric features only; set folds to none.")
    split = SplitSpec(
        split_method,
        group_column if split_method == "group" else None,
        train=round(1 - test_size - validation, 4),
        validation=validation,
        test=test_size,
        seed=int(seed),
    )
    configs = []
    for model in chosen:
        values = {p.name: state[f"train.param.{model}.{p.name}"] for p in MODELS[model].params}
        configs.append(
            TrainConfig(
                model,
                resolve_params(model, values),
                PrepConfig(imputer, scaler),
                tuple(features),
                tuple(genres),
                split,
                int(seed),
                feature_set=feature_set,
                text=roles.text,
                artist=roles.artist_column if use_artist else None,
            )
        )
    check_feature_set(feature_set, features, roles.text)  # fail now, not in the worker
    if "numeric" in feature_set:
        training_table(frame, roles.label, features, genres)
    return configs


def training_work(configs: list[TrainConfig], folds: int):
    table = frame  # the worker reads the cached, never mutated, frame
    name = dataset.name

    def work(emit, cancel):
        finished = []
        for i, config in enumerate(configs):
            if cancel.is_set():
                break
            emit({"stage": "start", "model": config.model, "index": i, "total": len(configs)})
            try:
                result = train_model(table, roles.label, config, callback=emit)
            except DataError as error:
                emit({"stage": "error", "model": config.model, "message": str(error)})
                continue
            cv = None
            if folds:
                rows, X, y = training_table(table, roles.label, config.features, config.genres)
                try:
                    cv = cross_validate(
                        make_model(config.model, config.params, config.prep, config.seed),
                        X,
                        y,
                        groups=groups_for(rows, config.split),
                        k=folds,
                        seed=config.seed,
                        callback=emit,
                        cancel=cancel,
                    ).summary()
                except Cancelled:
                    cv = None
                except DataError as error:
                    emit({"stage": "error", "model": config.model, "message": str(error)})
            finished.append((result, cv))
            emit(history.log_event(result, source="train", dataset=name))
        return finished

    return work


job: jobs.Job | None = state["train.job"]
running = job is not None and job.running
start_col, note_col = st.columns([1, 4], vertical_alignment="center")
if start_col.button(
    "Train", type="primary", key="train.start", disabled=running, icon=":material/play_arrow:"
):
    try:
        configs = build_configs()
    except DataError as error:
        show_error(str(error))
    else:
        titles = ", ".join(c.model for c in configs)
        state["train.job"] = jobs.start(titles, training_work(configs, int(cv_folds)))
        st.rerun()
note_col.caption(
    "Each model is fitted on the training part and scored on the test part; "
    "the page stays usable while it trains."
)


def short_params(model: str, params: dict) -> str:
    defaults = MODELS[model].defaults
    changed = [f"{k}={v}" for k, v in params.items() if defaults.get(k) != v]
    return ", ".join(changed) or "defaults"


def store_results(finished) -> None:
    runs = list(state["train.runs"])  # a new list: the default one is shared by all sessions
    for result, cv in finished:
        config = result.config
        name = f"#{len(runs) + 1} {config.model} ({short_params(config.model, result.params)})"
        split = (
            "grouped by " + config.split.group_column
            if config.split.method == "group"
            else "random"
        )
        runs.append(
            {
                "name": name,
                "result": result,
                "pipeline": result.pipeline,
                "cv": cv,
                "data": data_key,
                "dataset": dataset.name,
                "split": split,
                "genres": config.genres,
            }
        )
    for run in runs[:-MAX_FITTED]:
        run["pipeline"] = None
    state["train.runs"] = runs
    if finished:
        state["train.view"] = runs[-1]["name"]


def job_panel() -> None:
    job: jobs.Job | None = state["train.job"]
    if job is None:
        return
    job.drain()
    done = [e for e in job.events if e.get("stage") == "done"]
    starts = [e for e in job.events if e.get("stage") == "start"]
    total = starts[-1]["total"] if starts else 1
    if job.running:
        folds = [e for e in job.events if e.get("stage") == "cv"]
        now = starts[-1]["model"] if starts else "…"
        detail = f"fitting {now}"
        if folds and starts and job.events.index(folds[-1]) > job.events.index(starts[-1]):
            detail = f"cross-validating {now}: fold {folds[-1]['fold']} of {folds[-1]['folds']}"
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.progress(len(done) / total, text=f"{len(done)} of {total} models trained; {detail}")
        right.button(
            "Stop",
            key="train.stop",
            icon=":material/stop:",
            on_click=job.stop,
            help="Stops after the current fit; finished models are kept.",
        )
        return
    for event in job.events:
        if event.get("stage") == "error":
            show_error(f"{event['model']}: {event['message']}")
        elif event.get("stage") == "store-error":
            st.warning(plain(event["message"]), icon=":material/warning:")
    if job.error:
        show_error(job.error)
    if not job.collected:
        job.collected = True
        store_results(job.result or [])
        st.rerun(scope="app")  # re-enable Train and draw the new results
    seconds = (job.finished or 0) - job.started
    verb = "stopped" if job.status == "stopped" else "finished"
    st.caption(f"Last job {verb}: {len(done)} of {total} models in {seconds:.1f} s.")


live_fragment(job_panel, running)

# ---- grid search -----------------------------------------------------------------------------
with st.expander("Grid search with cross-validation", icon=":material/grid_on:"):
    st.caption(
        "The 5-fold grids of the random forest and XGBoost baselines of 'Development of a Neural "
        "Network-Based Music Genre Classification Tool', on the features, genres and "
        "preparation chosen above (grouped folds when the split is grouped). Edit the grid as "
        "JSON: each key a hyperparameter, each value a list to try."
    )
    a, b = st.columns([1, 3])
    grid_model = a.selectbox(
        "Model", list(BASELINE_GRIDS), key="train.grid_model", format_func=lambda m: MODELS[m].title
    )
    folds = a.selectbox("Folds", [3, 5, 10], key="train.grid_folds")
    if state.get("train.grid_for") != grid_model:
        state["train.grid_for"] = grid_model
        state["train.grid_text"] = json.dumps(BASELINE_GRIDS[grid_model])
    grid_text = b.text_area("Grid", key="train.grid_text", height=120)
    grid_job: jobs.Job | None = state["train.grid_job"]
    grid_running = grid_job is not None and grid_job.running
    if st.button("Search", key="train.grid_start", disabled=grid_running, icon=":material/search:"):
        try:
            try:
                grid = json.loads(grid_text)
            except json.JSONDecodeError as error:
                raise DataError(
                    f"the grid is not valid JSON: {error.msg} at line {error.lineno}."
                ) from None
            if not isinstance(grid, dict) or not all(
                isinstance(v, list) and v for v in grid.values()
            ):
                raise DataError(
                    "the grid must map each hyperparameter to a non-empty list, "
                    'e.g. {"max_depth": [3, 6]}.'
                )
            base = {
                p.name: state[f"train.param.{grid_model}.{p.name}"]
                for p in MODELS[grid_model].params
                if p.name not in grid
            }
            table, X, y = training_table(frame, roles.label, features, genres)
            split_for_groups = (
                SplitSpec(split_method, group_column) if (split_method == "group") else SplitSpec()
            )
            groups = groups_for(table, split_for_groups)
            prep = PrepConfig(imputer, scaler)
            for values in product(*grid.values()):  # fail now, not in the worker
                resolve_params(grid_model, {**base, **dict(zip(grid, values, strict=True))})
        except DataError as error:
            show_error(str(error))
        else:
            state["train.grid_job"] = jobs.start(
                f"grid {grid_model}",
                lambda emit, cancel: grid_search(
                    grid_model,
                    grid,
                    X,
                    y,
                    base=base,
                    prep=prep,
                    groups=groups,
                    k=folds,
                    seed=int(seed),
                    callback=emit,
                    cancel=cancel,
                ),
            )
            st.rerun()

    def grid_panel() -> None:
        job: jobs.Job | None = state["train.grid_job"]
        if job is None:
            return
        job.drain()
        fits = [e for e in job.events if e.get("stage") == "grid"]
        if job.running:
            left, right = st.columns([5, 1], vertical_alignment="center")
            done, total = (fits[-1]["done"], fits[-1]["total"]) if fits else (0, 1)
            left.progress(done / total, text=f"{done} of {total} fits")
            right.button(
                "Stop",
                key="train.grid_stop",
                icon=":material/stop:",
                on_click=job.stop,
                help="Keeps the combinations already finished.",
            )
            return
        if job.error:
            show_error(job.error)
        if not job.collected:
            job.collected = True
            st.rerun(scope="app")
        results = job.result
        if results is not None and len(results):
            verb = "stopped" if job.status == "stopped" else "finished"
            st.caption(
                f"Search {verb} after {len(fits)} fits in "
                f"{(job.finished or 0) - job.started:.0f} s; best first."
            )
            st.dataframe(results, hide_index=True, key="train.grid_table")

    live_fragment(grid_panel, grid_running)

# ---- results ---------------------------------------------------------------------------------
runs = state["train.runs"]
running = state["train.job"] is not None and state["train.job"].running
if not runs:
    if not running:
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
ev = result.evaluation
m = ev.metrics
st.caption(
    plain(
        f"{run['dataset']}, {run['split']} split: trained on {result.n_train:,} rows, "
        f"tested on {result.n_test:,}; fit in {result.fit_seconds:.1f} s."
    )
)


def interval(name: str) -> str:
    low, high = ev.intervals[name]
    return f"95% CI {low:.1%} – {high:.1%}"


cols = st.columns(6)
cols[0].metric("Accuracy", f"{m['accuracy']:.1%}", help=interval("accuracy"))
cols[0].caption(interval("accuracy"))
cols[1].metric("Macro F1", f"{m['f1_macro']:.1%}", help=interval("f1_macro"))
cols[1].caption(interval("f1_macro"))
cols[2].metric("Balanced accuracy", f"{m['balanced_accuracy']:.1%}")
cols[3].metric("Top-2 accuracy", f"{m['top2_accuracy']:.1%}")
cols[4].metric("Log loss", f"{m['log_loss']:.3f}")
if ev.train_accuracy is not None:
    held = "validation" if ev.validation_accuracy is not None else "test"
    cols[5].metric(
        "Train − " + held,
        f"{ev.gap:+.1%}",
        help=f"train accuracy {ev.train_accuracy:.1%}; large gaps mean overfitting",
    )
    cols[5].caption(f"train accuracy {ev.train_accuracy:.1%}")


def three(value: float) -> str:
    return f"{value:.3f}"


details = pd.DataFrame(
    {
        "metric": ["precision", "recall", "F1", "F2"],
        "macro": [three(m[f"{k}_macro"]) for k in ("precision", "recall", "f1", "f2")],
        "weighted": [three(m[f"{k}_weighted"]) for k in ("precision", "recall", "f1")] + ["–"],
    }
)
left, right = st.columns(2)
left.dataframe(details, hide_index=True, key="train.details")
guess = pd.DataFrame(
    {
        "approach": [
            "this model",
            "random guess",
            "guess by genre shares",
            "always the majority genre",
        ],
        "accuracy": [
            m["accuracy"],
            ev.baselines.get("random"),
            ev.baselines.get("stratified"),
            ev.baselines.get("majority"),
        ],
    }
)
right.dataframe(
    guess.style.format("{:.1%}", subset=["accuracy"]), hide_index=True, key="train.guess"
)
if run["cv"]:
    cv = run["cv"]
    kind = "grouped " if cv["grouped"] else ""
    st.caption(
        f"{cv['folds']}-fold {kind}cross-validation: accuracy {cv['accuracy_mean']:.1%} ± "
        f"{cv['accuracy_std']:.1%}, macro F1 {cv['f1_macro_mean']:.1%} ± "
        f"{cv['f1_macro_std']:.1%} (mean ± std over folds)."
    )

normalised = st.toggle("Confusion matrix as shares of each true genre", key="train.cm_normalised")
st.plotly_chart(
    model_plots.confusion_figure(ev.confusion, ev.classes, normalised),
    key=f"train.confusion.{view}.{normalised}",
)
st.caption(
    "Reading: the diagonal holds correct predictions; a bright cell off it is a pair of "
    "genres the model confuses (row: the true genre, column: what it said)."
)
left, right = st.columns(2)
left.plotly_chart(model_plots.pr_curves_figure(ev.pr_curves), key=f"train.pr.{view}")
left.caption(
    "Reading: the higher and further right a genre's curve, the better it is found; "
    "PR-AUC near the genre's share of rows means no better than chance."
)
right.plotly_chart(model_plots.roc_curves_figure(ev.roc_curves), key=f"train.roc.{view}")
right.caption(
    "Reading: curves hugging the top-left corner separate a genre well; the dotted "
    "diagonal is chance (AUC 0.5)."
)
st.dataframe(
    ev.per_genre.style.format(
        {c: "{:.3f}" for c in ev.per_genre.columns if c not in ("genre", "support")}
    ),
    hide_index=True,
    key="train.per_genre",
)
st.caption(
    "Reading: precision is how often a predicted genre is right, recall how much of a "
    "genre is found; a small support makes both noisy."
)

st.subheader("Leaderboard")
board = pd.DataFrame(
    [
        {
            "run": r["name"],
            "dataset": r["dataset"],
            "split": r["split"],
            "genres": len(r["result"].classes),
            "accuracy": r["result"].evaluation.metrics["accuracy"],
            "accuracy_low": r["result"].evaluation.intervals["accuracy"][0],
            "accuracy_high": r["result"].evaluation.intervals["accuracy"][1],
            "f1_macro": r["result"].evaluation.metrics["f1_macro"],
            "f1_macro_low": r["result"].evaluation.intervals["f1_macro"][0],
            "f1_macro_high": r["result"].evaluation.intervals["f1_macro"][1],
            "balanced_accuracy": r["result"].evaluation.metrics["balanced_accuracy"],
            "log_loss": r["result"].evaluation.metrics["log_loss"],
            "gap": r["result"].evaluation.gap,
            "cv_accuracy": (
                f"{r['cv']['accuracy_mean']:.3f} ± {r['cv']['accuracy_std']:.3f}" if r["cv"] else ""
            ),
            "fit_seconds": r["result"].fit_seconds,
        }
        for r in runs
    ]
)
metric = st.radio("Rank by", ["accuracy", "f1_macro"], key="train.board_metric", horizontal=True)
same_test = len({(r["data"], r["split"], r["genres"]) for r in runs}) == 1
baselines = None
if same_test:
    base = ev.baselines
    baselines = {"random": base["random"], "majority": base["majority"]}
st.plotly_chart(
    model_plots.leaderboard_figure(board, metric, baselines),
    key=f"train.board.{metric}.{len(runs)}",
)
st.caption(
    "Reading: bars whose whiskers overlap are not clearly different; the broken lines are "
    "guessing" + ("." if same_test else " (hidden: the runs use different test sets).")
)


def with_interval(row: pd.Series, name: str) -> str:
    return f"{row[name]:.3f} [{row[name + '_low']:.3f}, {row[name + '_high']:.3f}]"


shown = pd.DataFrame(
    {
        "run": board["run"],
        "data": board["dataset"]
        + ", "
        + board["split"]
        + ", "
        + board["genres"].astype(str)
        + " genres",
        "accuracy [95% CI]": board.apply(with_interval, axis=1, name="accuracy"),
        "macro F1 [95% CI]": board.apply(with_interval, axis=1, name="f1_macro"),
        "balanced accuracy": board["balanced_accuracy"].map(three),
        "log loss": board["log_loss"].map(three),
        "train − held-out": board["gap"].map(lambda g: "–" if pd.isna(g) else f"{g:+.3f}"),
        "CV accuracy (mean ± std)": board["cv_accuracy"],
        "fit s": board["fit_seconds"].map(lambda v: f"{v:.1f}"),
    }
).iloc[board[metric].to_numpy().argsort()[::-1]]
st.dataframe(shown, hide_index=True, key="train.board_table")

# ---- predictions ------------------------------------------------------------------------------
st.subheader("Predict unlabeled tracks")
fitted = [r["name"] for r in runs if r["pipeline"] is not None]
has_test = dataset.spec is not None and "test" in dataset.spec.extra_files
sources = (["test"] if has_test else []) + ["upload"]
if state["train.predict_source"] not in sources:
    state["train.predict_source"] = sources[0]
if state.get("train.predict_run") not in fitted:
    state["train.predict_run"] = fitted[-1] if fitted else None
a, b = st.columns([2, 3])
predict_run = a.selectbox(
    "Model",
    fitted[::-1],
    key="train.predict_run",
    help=f"The {MAX_FITTED} most recent models are kept for predictions.",
)
source = b.radio(
    "Tracks",
    sources,
    key="train.predict_source",
    horizontal=True,
    format_func={"test": f"{dataset.name}'s unlabeled test file", "upload": "upload a CSV"}.get,
)
upload = None
if source == "upload":
    upload = st.file_uploader(
        "CSV with the model's feature columns", type=["csv", "gz"], key="train.predict_upload"
    )
if st.button(
    "Predict",
    key="train.predict",
    icon=":material/batch_prediction:",
    disabled=predict_run is None or (source == "upload" and upload is None),
):
    chosen_run = runs[names.index(predict_run)]
    try:
        if source == "test":
            raw, filename = dataset_test_file(dataset.spec)
        else:
            raw, filename = upload.getvalue(), upload.name
        with st.spinner("Predicting…"):
            tracks = read_unlabeled(raw, filename, dataset.spec, limit_mb=upload_limit_mb())
            table = predict_table(chosen_run["pipeline"], tracks, chosen_run["result"].features)
        submission = None
        if dataset.spec is not None and dataset.spec.class_names:
            try:
                submission = submission_table(table, dataset.spec.class_names)
            except DataError:
                submission = None
        state["train.predictions"] = {
            "run": predict_run,
            "file": filename,
            "table": table,
            "submission": submission,
        }
    except DataError as error:
        show_error(str(error))

predictions = state["train.predictions"]
if predictions is not None:
    table = predictions["table"]
    st.caption(
        plain(f"{len(table):,} tracks of {predictions['file']} predicted by {predictions['run']}.")
    )
    st.dataframe(table.head(200), key="train.predictions_table", height=240)
    a, b = st.columns(2)
    a.download_button(
        "Download predictions (CSV)",
        table.to_csv(index=False),
        file_name="predictions.csv",
        mime="text/csv",
        key="train.download_predictions",
        icon=":material/download:",
    )
    if predictions["submission"] is not None:
        b.download_button(
            "Download Kaggle submission (CSV)",
            predictions["submission"].to_csv(index=False),
            file_name="submission.csv",
            mime="text/csv",
            key="train.download_submission",
            icon=":material/download:",
        )
    elif dataset.spec is not None and dataset.spec.class_names:
        b.caption("The Kaggle submission needs a model trained on all 11 genres.")
