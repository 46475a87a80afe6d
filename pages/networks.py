"""Networks: build an MLP (or take a seed's), train it in the background, watch it learn, stop
it, keep it as a file and predict with it again."""

import time

import streamlit as st

from dashboard import jobs
from dashboard.state import (
    dataset_key,
    job_problems,
    live_fragment,
    plain,
    require_dataset,
    show_error,
    stop_bar,
)
from genre_core.data.preprocess import PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.train import read_unlabeled, training_table
from genre_core.models.networks import (
    ACTIVATIONS,
    NET_IMPUTERS,
    NET_SCALERS,
    OPTIMIZERS,
    PRESETS,
    NetClassifier,
    NetConfig,
    configure_threads,
    parse_layer_values,
    preset_params,
    train_network,
)
from genre_core.models.sequences import KINDS, RNN_CELLS, TITLE_SETS, block_width, predict_frame
from genre_core.plots import models as model_plots
from genre_core.plots.networks import training_figure
from genre_core.runs.checkpoints import load_network_bytes, network_bytes, network_state
from genre_core.runs.history import log_event
from genre_core.settings import upload_limit_mb

configure_threads(1)  # one core per training; the other serves pages and a second job

dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
data_key = dataset_key(dataset)
state = st.session_state
if state.get("nets.dataset") != data_key:
    state["nets.dataset"] = data_key
    state["nets.features"] = list(roles.features)

st.title("Networks")
st.caption(
    f"{plain(dataset.name)}: {len(frame):,} rows, {dataset.class_counts.size} genres. Build a "
    "network or start from a seed report's, train it in the background and watch it learn; "
    "Stop keeps the best weights so far."
)


def layer_text(values) -> str:
    if isinstance(values, (list, tuple)):
        return ", ".join(
            ("yes" if v else "no") if isinstance(v, bool) else f"{v:g}" for v in values
        )
    return ("yes" if values else "no") if isinstance(values, bool) else f"{values:g}"


def apply_preset() -> None:
    p = preset_params(state["nets.preset"])
    state["nets.hidden"] = ", ".join(str(h) for h in p["hidden"])
    state["nets.batch_norm"] = layer_text(p["batch_norm"])
    state["nets.dropout"] = layer_text(p["dropout"])
    for key in ("activation", "dropout_first", "leaky_slope", "optimizer", "lr", "weight_decay"):
        state[f"nets.{key}"] = p[key]
    state["nets.momentum"] = p["momentum"]
    state["nets.batch_size"] = p["batch_size"]
    state["nets.epochs"] = p["max_epochs"]
    state["nets.clip_value"] = p["clip_value"] or 0.0
    state["nets.clip_norm"] = p["clip_norm"] or 0.0
    state["nets.patience"] = p["patience"] or 0
    state["nets.restore_best"] = p["restore_best"]
    state["nets.lr_factor"] = p["lr_factor"] or 0.0
    state["nets.lr_patience"] = p["lr_patience"]
    state["nets.lr_min"] = p["lr_min"]
    state["nets.kind"] = p["kind"]
    state["nets.feature_set"] = PRESETS[state["nets.preset"]].feature_set
    state["nets.rnn_cell"] = p["rnn_cell"]
    state["nets.rnn_units"] = ", ".join(str(u) for u in p["rnn_units"])
    for key in ("step_units", "embed_dim", "title_length"):
        state[f"nets.{key}"] = p[key]
    state["nets.vocab_size"] = p["vocab_size"] - 2


# ---- the network ------------------------------------------------------------------------------
st.subheader("Network")
left, right = st.columns([3, 1], vertical_alignment="bottom")
left.selectbox(
    "Preset",
    list(PRESETS),
    key="nets.preset",
    format_func=lambda p: f"{PRESETS[p].title} ({PRESETS[p].source})",
)
right.button("Apply preset", key="nets.apply", on_click=apply_preset, icon=":material/tune:")
st.caption(plain(PRESETS[state["nets.preset"]].note))

a, b = st.columns([1, 1])
kind = a.selectbox("Architecture", list(KINDS), key="nets.kind", format_func=KINDS.get)
feature_set = b.selectbox(
    "Inputs",
    TITLE_SETS,
    key="nets.feature_set",
    format_func=lambda f: {"numeric": "numeric features", "numeric+text": "numeric + title "
                           "embeddings (MiniLM, 384-d)"}[f],
    disabled=kind == "title",
    help="The title model always reads the titles as words.",
)  # fmt: skip
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
    rnn_cell = a.selectbox("Recurrent cell", RNN_CELLS, key="nets.rnn_cell")
    rnn_text = b.text_input(
        "Recurrent layers", key="nets.rnn_units", help="Units per stacked layer, e.g. 80, 150."
    )
    if kind == "title":
        embed_dim = c.number_input("Word vector size", 1, 512, key="nets.embed_dim")
        title_length = d.number_input(
            "Words read per title", 1, 128, key="nets.title_length", help="Longer are cut."
        )
        vocab_words = st.columns(4)[0].number_input(
            "Vocabulary (words)",
            10, 100_000, key="nets.vocab_size", step=500,
            help="The most frequent words of the training titles; the others read as unknown.",
        )  # fmt: skip
    else:
        step_units = c.number_input(
            "Dense units on every step",
            0,
            2048,
            key="nets.step_units",
            help="A Dense layer applied to each timestep before the recurrent layers; 0: none.",
        )
        d.caption(
            "Each feature is one timestep."
            if kind == "feature_sequence"
            else "The whole input is one timestep."
        )

a, b, c = st.columns(3)
hidden_text = a.text_input(
    {"mlp": "Hidden layers", "title": "Numeric body layers"}.get(kind, "Layers after the RNN"),
    key="nets.hidden",
    help="Units per hidden layer, e.g. 64, 32, 16; empty: softmax regression."
    if kind == "mlp"
    else "Dense layers between the recurrent summary (or the numeric inputs) and the output.",
)
activation = b.selectbox("Activation", ACTIVATIONS, key="nets.activation")
leaky_slope = c.number_input(
    "LeakyReLU slope", 0.0, 1.0, key="nets.leaky_slope", step=0.01, format="%.3g",
    disabled=activation != "leaky_relu",
)  # fmt: skip
a, b, c = st.columns(3)
norm_text = a.text_input(
    "Batch norm", key="nets.batch_norm", help="yes or no for every layer, or one per layer."
)
dropout_text = b.text_input(
    "Dropout", key="nets.dropout", help="One rate for every layer, or one per layer (0.2, 0, 0.2)."
)
dropout_first = c.toggle(
    "Dropout right after each Linear",
    key="nets.dropout_first",
    help="As in MLP_MODIF (Fig. 4); otherwise after the activation.",
)

st.subheader("Training")
a, b, c, d = st.columns(4)
optimizer = a.selectbox("Optimizer", list(OPTIMIZERS), key="nets.optimizer")
lr = b.number_input("Learning rate", 1e-6, 10.0, key="nets.lr", format="%.2e", step=None)
weight_decay = c.number_input(
    "Weight decay", 0.0, 1.0, key="nets.weight_decay", format="%.1e", step=None
)
momentum = d.number_input(
    "Momentum (SGD)", 0.0, 0.999, key="nets.momentum", step=0.05, disabled=optimizer != "sgd"
)
a, b, c, d = st.columns(4)
batch_size = a.number_input("Batch size", 1, 8192, key="nets.batch_size", step=16)
epochs = b.number_input("Epochs", 1, 2000, key="nets.epochs", step=10)
clip_value = c.number_input(
    "Clip gradients by value", 0.0, 1e3, key="nets.clip_value", step=0.5, help="0: off."
)
clip_norm = d.number_input(
    "Clip gradient norm", 0.0, 1e3, key="nets.clip_norm", step=0.5, help="0: off."
)
a, b, c, d = st.columns(4)
patience = a.number_input(
    "Early-stopping patience",
    0,
    1000,
    key="nets.patience",
    help="Epochs without a lower validation loss before stopping; 0: off.",
)
lr_factor = b.number_input(
    "Reduce LR on plateau: factor",
    0.0,
    0.99,
    key="nets.lr_factor",
    step=0.1,
    help="Multiply the learning rate by this when the validation loss stalls; 0: off.",
)
lr_patience = c.number_input(
    "… after epochs", 0, 1000, key="nets.lr_patience", disabled=not lr_factor
)
lr_min = d.number_input(
    "… down to", 0.0, 1.0, key="nets.lr_min", format="%.1e", step=None, disabled=not lr_factor
)
a, b, c, d = st.columns(4)
restore_best = a.toggle(
    "Keep best weights",
    key="nets.restore_best",
    help="End with the weights of the epoch with the lowest validation loss.",
)
class_weight = b.selectbox(
    "Class weights", ["none", "balanced"], key="nets.class_weight", help="balanced: rare genres "
    "weigh more in the loss."
)  # fmt: skip
seed = c.number_input("Seed", 0, 2**31 - 1, key="nets.seed", step=1)

with st.expander("Data, split and preparation", icon=":material/table:"):
    features = st.multiselect(
        "Features", dataset.numeric_columns, key="nets.features", help="Numeric inputs."
    )
    a, b, c, d = st.columns(4)
    validation = a.slider("Validation share", 0.05, 0.4, step=0.05, key="nets.validation")
    test_size = b.slider("Test share", 0.1, 0.4, step=0.05, key="nets.test_size")
    imputer = c.selectbox("Imputer", NET_IMPUTERS, key="nets.imputer")
    scaler = d.selectbox(
        "Scaler", NET_SCALERS, key="nets.scaler", help="Kept in the saved file as numbers."
    )
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


def build_params() -> dict:
    hidden = parse_layer_values(hidden_text, "int")
    norms = parse_layer_values(norm_text, "bool") or (False,)
    drops = parse_layer_values(dropout_text, "float") or (0.0,)
    return {
        "hidden": hidden,
        "activation": activation,
        "batch_norm": norms[0] if len(norms) == 1 else norms,
        "dropout": drops[0] if len(drops) == 1 else drops,
        "dropout_first": dropout_first,
        "leaky_slope": float(leaky_slope),
        "optimizer": optimizer,
        "lr": float(lr),
        "weight_decay": float(weight_decay),
        "momentum": float(momentum),
        "batch_size": int(batch_size),
        "max_epochs": int(epochs),
        "clip_value": float(clip_value) or None,
        "clip_norm": float(clip_norm) or None,
        "patience": int(patience) or None,
        "restore_best": restore_best,
        "lr_factor": float(lr_factor) or None,
        "lr_patience": int(lr_patience),
        "lr_min": float(lr_min),
        "class_weight": None if class_weight == "none" else class_weight,
        **sequence_params(),
    }


def sequence_params() -> dict:
    if kind == "mlp":
        return {}
    out = {"kind": kind, "rnn_cell": rnn_cell, "rnn_units": parse_layer_values(rnn_text, "int")}
    if kind == "title":
        out |= {"embed_dim": int(embed_dim), "title_length": int(title_length)}
        return out | {"vocab_size": int(vocab_words) + 2}
    return out | {"step_units": int(step_units)}


def build_config() -> NetConfig:
    if not features:
        raise DataError("choose at least one feature.")
    split = SplitSpec(
        train=round(1 - validation - test_size, 4),
        validation=validation,
        test=test_size,
        seed=int(seed),
    )
    return NetConfig(
        build_params(),
        PrepConfig(imputer, scaler),
        tuple(features),
        (),
        split,
        int(seed),
        "numeric" if kind == "title" else feature_set,
        tuple(roles.text),
    )


n_genres = dataset.class_counts.size
with st.expander("Layers for this data", icon=":material/account_tree:"):
    try:
        width = max(1, len(features))
        if kind == "title":
            width += int(title_length)
        elif feature_set == "numeric+text":
            width += block_width({"titles": "embedding"})
        module = NetClassifier(**build_params()).build_module(width, n_genres)
    except DataError as error:
        show_error(str(error))
    else:
        size = sum(p.numel() for p in module.parameters())
        st.code(str(module), language=None)
        st.caption(
            f"{size:,} weights"
            + (" (the word vectors for a vocabulary of the chosen size)" if kind == "title" else "")
            + "; the softmax is applied by the loss and at prediction."
        )

# ---- training ---------------------------------------------------------------------------------
job: jobs.Job | None = state["nets.job"]
running = job is not None and job.running
if st.button(
    "Train network",
    type="primary",
    key="nets.start",
    disabled=running,
    icon=":material/play_arrow:",
):
    try:
        config = build_config()
        NetClassifier(**config.params).check_settings()
        training_table(frame, roles.label, config.features)  # fail now, not in the worker
        if needs_titles and not roles.text:
            raise DataError(
                "this network reads the titles, but the dataset has no title column: choose "
                "one under Roles on the Data page."
            )
        initial = None
        if pretrained is not None:
            initial = network_state(pretrained.getvalue(), pretrained.name)
    except DataError as error:
        show_error(str(error))
    else:
        table, label = frame, roles.label
        name = dataset.name

        def work(emit, cancel):
            result = train_network(
                table, label, config, sink=emit, cancel=cancel, initial_state=initial
            )
            emit(log_event(result, source="networks", dataset=name))
            return result

        state["nets.job"] = jobs.start(
            f"network {config.params['hidden']}"
            if kind == "mlp"
            else f"{KINDS[kind]} {config.params['rnn_units']}",
            work,
        )
        state["nets.result"] = None
        st.rerun()


def epochs_of(job: jobs.Job) -> tuple[list[dict], int]:
    history = [e for e in job.events if e.get("stage") == "epoch"]
    planned = next((e["epochs"] for e in job.events if e.get("stage") == "start"), 0)
    return history, planned


def live_panel() -> None:
    job: jobs.Job | None = state["nets.job"]
    if job is None:
        return
    job.drain()
    history, planned = epochs_of(job)
    if job.running:
        left = stop_bar(
            job,
            "nets.stop",
            "Ends training before the next batch and keeps the best weights so far.",
        )
        if left is None:
            return
        done = len(history)
        elapsed = time.monotonic() - job.started
        text = f"Epoch {done} of {planned or '…'}"
        if done:
            left_s = elapsed / done * max(planned - done, 0)
            text += f" · {elapsed:.0f} s elapsed · about {left_s:.0f} s left"
        else:
            embedded = [e for e in job.events if e.get("stage") == "embed"]
            text += (
                f" · embedding titles {embedded[-1]['done']:,} of {embedded[-1]['total']:,}"
                if embedded and embedded[-1]["done"] < embedded[-1]["total"]
                else " · preparing the data and the first epoch"
            )
        left.progress(done / planned if planned else 0.0, text=text)
        if history:
            last = history[-1]
            st.caption(
                f"Last epoch: training loss {last['train_loss']:.4f}, validation loss "
                f"{last['valid_loss']:.4f}, validation accuracy {last['valid_acc']:.1%}, "
                f"learning rate {last['lr']:.2e}, {last['seconds']:.2f} s."
            )
        st.plotly_chart(training_figure(history), key=f"nets.live.{len(history)}")
        return
    if not job.collected:
        job.collected = True
        state["nets.result"] = job.result
        st.rerun(scope="app")  # re-enable the button and draw the evaluation


live_fragment(live_panel, running)

job_problems(state["nets.job"])

# ---- the result -------------------------------------------------------------------------------
result = state["nets.result"]
if result is not None:
    st.subheader("Result")
    epochs_run = len(result.history)
    kept = (
        f"the weights of epoch {result.kept_epoch}"
        if result.kept_epoch
        else "the weights as they were (no epoch had finished)"
    )
    reason = {
        "completed": f"Trained all {epochs_run} epochs in {result.seconds:.1f} s; kept {kept}.",
        "early stop": f"Early stopping after {epochs_run} epochs ({result.seconds:.1f} s); "
        f"kept {kept}.",
        "stopped": f"Stopped by you after {epochs_run} full epochs ({result.seconds:.1f} s); "
        f"kept {kept}.",
    }
    if result.stop_reason == "diverged":
        st.warning(plain(result.stop_message), icon=":material/warning:")
    else:
        st.success(reason[result.stop_reason], icon=":material/check_circle:")
    if result.initial_skipped:
        st.caption(
            plain("Started from saved weights; skipped: " + ", ".join(result.initial_skipped))
        )
    st.plotly_chart(training_figure(result.history), key="nets.final_curves")
    ev = result.evaluation
    m = ev.metrics
    low, high = ev.intervals["accuracy"]
    cols = st.columns(5)
    cols[0].metric("Test accuracy", f"{m['accuracy']:.1%}", help=f"95% CI {low:.1%} – {high:.1%}")
    cols[0].caption(f"95% CI {low:.1%} – {high:.1%}")
    cols[1].metric("Macro F1", f"{m['f1_macro']:.1%}")
    cols[2].metric("Balanced accuracy", f"{m['balanced_accuracy']:.1%}")
    cols[3].metric("Log loss", f"{m['log_loss']:.3f}")
    if ev.train_accuracy is not None and ev.validation_accuracy is not None:
        cols[4].metric("Train − validation", f"{ev.gap:+.1%}")
        cols[4].caption(f"train {ev.train_accuracy:.1%}, validation {ev.validation_accuracy:.1%}")
    st.caption(
        f"Tested once on {result.n_test:,} held-out rows (trained on {result.n_train:,}, "
        f"validated each epoch on {result.n_validation:,}). Always the majority genre would "
        f"score {ev.baselines.get('majority', float('nan')):.1%}."
    )
    st.plotly_chart(
        model_plots.confusion_figure(ev.confusion, ev.classes, normalised=True),
        key="nets.confusion",
    )
    try:
        raw = network_bytes(
            result.pipeline,
            result.features,
            {"dataset": dataset.name, "test_accuracy": round(m["accuracy"], 4)},
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
        loaded = load_network_bytes(model_file.getvalue(), model_file.name)
        if tracks_file is None:
            tracks, source = frame, dataset.name
        else:
            tracks = read_unlabeled(
                tracks_file.getvalue(), tracks_file.name, dataset.spec, limit_mb=upload_limit_mb()
            )
            source = tracks_file.name
        table = predict_frame(loaded.pipeline, tracks, loaded.features, loaded.inputs)
        agreement = None
        if roles.label in tracks.columns:
            truth = tracks[roles.label].astype(str)
            agreement = float((table["predicted_genre"] == truth).mean())
        state["nets.predictions"] = {
            "model": model_file.name,
            "file": source,
            "table": table,
            "agreement": agreement,
        }
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
        table.to_csv(index=False),
        file_name="network-predictions.csv",
        mime="text/csv",
        key="nets.download_predictions",
        icon=":material/download:",
    )
