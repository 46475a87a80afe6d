"""Networks: build a network (or take a seed's), train it in the background as a recipe, watch
it learn, stop it, keep it as a file and predict with it again."""

import time
from dataclasses import replace
from functools import partial

import streamlit as st

from dashboard import forms, job_panel
from dashboard.bundle_view import bundle_button
from dashboard.charts import chart, chart_config
from dashboard.params import form_widget, param_grid, read_params, set_params
from dashboard.report_view import report_buttons
from dashboard.results import metric_row
from dashboard.state import base_dataset, plain, require_dataset, show_error
from genre_core.data.csvsafe import csv_text
from genre_core.data.uploads import keep_upload
from genre_core.errors import DataError
from genre_core.experiments.net import NET_OPTIONS, NetSpec, predict_tracks
from genre_core.experiments.predict import read_unlabeled
from genre_core.models.presets import NET_KINDS, NET_PARAMS, PRESETS, preset_params
from genre_core.plots import models as model_plots
from genre_core.plots.networks import training_figure, training_progress
from genre_core.runs.checkpoints import network_bytes
from genre_core.settings import upload_limit_mb

KEY = "nets"
FORM = NET_OPTIONS.select(["feature_set", "imputer", "scaler"])
SETTINGS = NetSpec.options()

dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
state = st.session_state
forms.follow_dataset(KEY, dataset, features=list(roles.features), **forms.honest_split(dataset))
groups = forms.group_choices(dataset, others=True)
widget = partial(form_widget, KEY, SETTINGS)


def put_recipe(spec: NetSpec) -> None:
    """A loaded recipe's values into the widgets (before they are drawn)."""
    set_params(KEY, NET_PARAMS, spec.params)
    set_params(KEY, FORM, {p.name: getattr(spec, p.name) for p in FORM})
    if spec.preset:
        state["nets.preset"] = spec.preset
    if spec.data.features:
        state["nets.features"] = [f for f in spec.data.features if f in dataset.numeric_columns]
    forms.put_split(KEY, spec.split, groups)
    state["nets.seed"] = spec.seed
    state["nets.sample"] = spec.data.sample or 0


def apply_preset() -> None:
    set_params(KEY, NET_PARAMS, preset_params(state["nets.preset"]))
    state["nets.feature_set"] = PRESETS[state["nets.preset"]].feature_set


forms.put_loaded(KEY, put_recipe)  # from the recipe box of the last run

forms.page_header(
    "Networks",
    dataset,
    "Build a network or start from a seed report's, train it in the background and watch it "
    "learn; Stop keeps the best weights so far.",
)

# ---- the network ------------------------------------------------------------------------------
st.subheader("Network")
forms.preset_picker(
    "nets.preset",
    list(PRESETS),
    lambda p: f"{PRESETS[p].title} ({PRESETS[p].source})",
    apply_preset,
    apply_key="nets.apply",
)
st.caption(plain(PRESETS[state["nets.preset"]].note))

a, b = st.columns(2)
kind = widget("kind", a, format_func=NET_KINDS.get)
feature_set = widget(
    "feature_set",
    b,
    format_func={
        "numeric": "numeric features",
        "numeric+text": "numeric + title embeddings (MiniLM, 384-d)",
    }.get,
    disabled=kind == "title",
)
needs_titles = kind == "title" or feature_set == "numeric+text"
if needs_titles and not roles.text:
    show_error(
        "This network reads the titles, but this dataset has no title column. Choose one "
        "(e.g. track_name) under Roles on the Data page, or pick numeric features only."
    )
elif needs_titles:
    st.caption(plain(f"Titles: {' + '.join(roles.text)} (set on the Data page)."))
if kind != "mlp":
    a, b, c, d = st.columns(4)
    widget("rnn_cell", a)
    widget("rnn_units", b)
    if kind == "title":
        widget("embed_dim", c)
        widget("title_length", d)
        widget("vocab_size", st.columns(4)[0])
    else:
        widget("step_units", c)
        d.caption(
            "Each feature is one timestep."
            if kind == "feature_sequence"
            else "The whole input is one timestep."
        )
lr_off = state["nets.lr_factor"].strip().lower() in ("", "none", "off")
disabled = {  # settings that do nothing with the current choices
    "leaky_slope": state["nets.activation"] != "leaky_relu",
    "momentum": state["nets.optimizer"] != "sgd",
    "lr_patience": lr_off,
    "lr_min": lr_off,
}
label = {"hidden": {"mlp": "Hidden layers", "title": "Numeric body layers"}.get(
    kind, "Layers after the RNN")}  # fmt: skip
for title, rows in (
    (None, (("hidden", "activation", "leaky_slope"), ("batch_norm", "dropout", "dropout_first"))),
    ("Training", (("optimizer", "lr", "weight_decay", "momentum"),
                  ("batch_size", "max_epochs", "clip_value", "clip_norm"),
                  ("patience", "lr_factor", "lr_patience", "lr_min"))),
):  # fmt: skip
    if title:
        st.subheader(title)
    for names in rows:
        param_grid(KEY, SETTINGS, names, per_row=len(names), disabled=disabled, labels=label)
a, b, c, d = st.columns(4)
widget("restore_best", a)
widget("class_weight", b)
seed = forms.seed_input(KEY, c)

with st.expander("Data, split and preparation", icon=":material/table:"):
    features = st.multiselect(
        "Features", dataset.numeric_columns, key="nets.features", help="Numeric inputs."
    )
    forms.split_form(KEY, groups, st.columns(4), dataset=dataset)
    a, b, c = st.columns(3)
    widget("imputer", a)
    widget("scaler", b)
    sample = forms.sample_input(KEY, c)
    st.caption(
        "The genres are those kept on the Data page. The validation part is watched every epoch "
        "(early stopping, learning-rate plateau, best weights); the test part is used once, "
        "for the evaluation at the end."
    )
    pretrained = st.file_uploader(
        "Start from a saved network's weights (optional)",
        type=["safetensors"],
        key="nets.pretrained",
        help="Layers whose shapes match are loaded, the others start fresh (e.g. a new genre).",
    )


def build_spec() -> NetSpec:
    """The recipe of the widgets' values (raises a DataError naming a bad one)."""
    params = read_params(KEY, NET_PARAMS, "network", labels=label)
    own = read_params(KEY, FORM)
    if params["kind"] == "title":
        own["feature_set"] = "numeric"  # the title model reads the titles as words
    if not features:
        raise DataError("choose at least one feature.")
    split = forms.read_split(KEY, seed)
    initial = {}
    if pretrained is not None:
        initial = {"initial": pretrained.name, "initial_sha256": keep_upload(pretrained.getvalue())}
    data = replace(job_panel.current_data_spec(dataset), features=tuple(features), sample=sample)
    spec = NetSpec(data, split, params, state["nets.preset"], seed=seed, **initial, **own)
    spec.check()
    return spec


spec, problem = forms.built(build_spec)

with st.expander("Layers for this data", icon=":material/account_tree:"):
    try:
        if spec is None:
            raise DataError(problem)
        module = spec.untrained_module(len(features), dataset.class_counts.size)
    except DataError as error:
        show_error(str(error))
    else:
        st.code(str(module), language=None)
        st.caption(
            f"{sum(p.numel() for p in module.parameters()):,} weights"
            + (" (the word vectors for a vocabulary of the chosen size)" if kind == "title" else "")
            + "; the softmax is applied by the loss and at prediction."
        )

job_panel.recipe_box(KEY, spec, forms.load_later(KEY), kind="net")


# ---- training ---------------------------------------------------------------------------------
def checked(spec: NetSpec) -> NetSpec:
    spec.check_data(dataset)  # fail now, not in the worker
    return spec


forms.start_button(
    KEY, "Train network", spec, problem, prepare=checked, dataset=base_dataset(), source="networks"
)


def curves_reading(history: list[dict], kept: dict) -> str:
    """Which accuracy is which: the curves' (measured while training) against the kept
    weights re-evaluated at the end (the diamonds, and the numbers under the chart)."""
    text = (
        "Reading: the training lines are averaged over each epoch's batches while it trains "
        "(dropout active, weights still changing); the validation lines are measured after the "
        "epoch, dropout off."
    )
    row = next((h for h in history if h["epoch"] == kept["epoch"]), None)
    if row is None or kept["train_acc"] is None:
        return text
    return text + (
        f" The diamonds are the kept weights of epoch {kept['epoch']} re-evaluated once "
        f"training ended, dropout off: training {kept['train_acc']:.1%}, validation "
        f"{kept['valid_acc']:.1%}, the numbers below. At that epoch the training line reads "
        f"{row['train_acc']:.1%}: dropout and the weights changing during the epoch keep it "
        "apart from the re-evaluated figure."
    )


def live(job) -> None:
    """The epoch bar, the last epoch's numbers and the growing curves."""
    history, done, text = training_progress(job.events, time.monotonic() - job.started)
    st.progress(done, text=text)
    if history:
        last = history[-1]
        st.caption(
            f"Last epoch: training loss {last['train_loss']:.4f} and accuracy "
            f"{last['train_acc']:.1%} (during the epoch, dropout active); validation loss "
            f"{last['valid_loss']:.4f} and accuracy {last['valid_acc']:.1%} (after it); "
            f"learning rate {last['lr']:.2e}, {last['seconds']:.2f} s."
        )
    st.plotly_chart(
        training_figure(history),
        key=f"nets.live.{len(history)}",
        config=chart_config("network-live-curves"),
    )


outcome = job_panel.panel(
    KEY, live, stop_help="Ends training before the next batch and keeps the best weights so far."
)
job = job_panel.current(KEY)
if outcome is None and job is not None and job.status == "stopped" and job.result is not None:
    outcome = state["nets.outcome"] = job.result  # a stopped training's kept weights, evaluated

# ---- the result -------------------------------------------------------------------------------
if outcome is not None:
    result = outcome.result
    st.subheader("Result")
    if result.stop_reason != "diverged":  # a divergence is among the panel's warnings
        st.success(result.status, icon=":material/check_circle:")
    if result.initial_skipped:
        st.caption(
            plain("Started from saved weights; skipped: " + ", ".join(result.initial_skipped))
        )
    ev = result.evaluation
    kept = {"epoch": result.kept_epoch, "train_acc": ev.train_accuracy,
            "valid_acc": ev.validation_accuracy}  # fmt: skip
    chart(training_figure(result.history, kept), None, "nets.final_curves", "network-curves")
    st.caption(curves_reading(result.history, kept))
    metric_row(ev)
    st.caption(
        f"Tested once on {result.n_test:,} held-out rows (trained on {result.n_train:,}, "
        f"validated each epoch on {result.n_validation:,}; split {outcome.summary['split']}). "
        f"Always the majority genre would score {ev.baselines.get('majority', float('nan')):.1%}."
    )
    chart(
        model_plots.confusion_figure(ev.confusion, ev.classes, normalised=True),
        None,
        "nets.confusion",
        "network-confusion",
    )
    report_buttons(outcome.run_ids, "nets")
    bundle_button(next(iter(outcome.run_ids), None), "nets.bundle")
    try:
        raw = network_bytes(
            result.pipeline,
            result.features,
            {"dataset": outcome.summary["data"], "test_accuracy": round(ev.metrics["accuracy"], 4)},
            inputs=result.inputs,
        )
    except DataError as error:
        show_error(str(error))
    else:
        st.download_button(
            "Download the network (.safetensors)",
            raw,
            file_name="genre-network.safetensors",
            mime="application/octet-stream",
            key="nets.download",
            icon=":material/download:",
            help="Weights, preparation and a JSON config; no pickle. Upload it below to predict.",
        )

# ---- predict with a saved network -------------------------------------------------------------
st.subheader("Predict with a saved network")
a, b = st.columns(2)
model_file = a.file_uploader("Network file (.safetensors)", type=["safetensors"], key="nets.model")
tracks_file = b.file_uploader(
    "Tracks (CSV with the network's features; empty: this dataset)",
    type=["csv", "gz"],
    key="nets.tracks",
)
if st.button(
    "Predict", key="nets.predict", icon=":material/batch_prediction:", disabled=model_file is None
):
    try:
        if tracks_file is None:
            tracks, source = frame, dataset.name
        else:
            raw, source = tracks_file.getvalue(), tracks_file.name
            tracks = read_unlabeled(raw, source, dataset.spec, limit_mb=upload_limit_mb())
        table, agreement = predict_tracks(
            model_file.getvalue(), model_file.name, tracks, roles.label
        )
        state["nets.predictions"] = {
            "model": model_file.name, "file": source, "table": table, "agreement": agreement
        }  # fmt: skip
    except DataError as error:
        state["nets.predictions"] = None
        show_error(str(error))

predictions = state["nets.predictions"]
if predictions is not None:
    table = predictions["table"]
    text = f"{len(table):,} tracks of {predictions['file']} predicted by {predictions['model']}"
    if predictions["agreement"] is not None:
        text += f"; {predictions['agreement']:.1%} match the genre column"
    st.caption(plain(text + "."))
    st.dataframe(table.head(200), key="nets.predictions_table", height=240)
    st.download_button(
        "Download predictions (CSV)",
        csv_text(table, index=False),
        file_name="network-predictions.csv",
        mime="text/csv",
        key="nets.download_predictions",
        icon=":material/download:",
    )
