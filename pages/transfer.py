"""Transfer learning: train a network on some genres, then adapt it to one more genre by freezing
its body, fine-tuning it or starting afresh, and compare how fast and how well each learns."""

import time

import streamlit as st

from dashboard import jobs
from dashboard.state import (
    current_dataset,
    dataset_key,
    job_problems,
    live_fragment,
    plain,
    require_dataset,
    show_error,
    stop_bar,
)
from genre_core.data.features import FEATURE_SETS
from genre_core.data.preprocess import PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.transfer import (
    OPTIONS,
    SOURCE,
    TransferConfig,
    default_genres,
    run_transfer,
)
from genre_core.models.networks import (
    ACTIVATIONS,
    OPTIMIZERS,
    PRESETS,
    configure_threads,
    parse_layer_values,
    preset_params,
)
from genre_core.plots.networks import transfer_figure
from genre_core.runs.history import log_event, transfer_records

configure_threads(1)  # one core per training; the other serves pages and a second job

require_dataset()
dataset = current_dataset(all_genres=True)  # this page picks its own genres
frame, roles = dataset.frame, dataset.roles
data_key = dataset_key(dataset)
genres_by_size = [str(g) for g in dataset.class_counts.index]
state = st.session_state
if state.get("transfer.dataset") != data_key:
    state["transfer.dataset"] = data_key
    state["transfer.features"] = list(roles.features)
    source_default, new_default = default_genres(genres_by_size)
    state["transfer.source"] = list(source_default)
    state["transfer.new"] = new_default

st.title("Transfer learning")
st.caption(
    f"{plain(dataset.name)}: {len(frame):,} rows, {len(genres_by_size)} genres. A source network "
    "learns some genres; a network for one more genre then reuses every layer of it but the "
    "output layer. Compare freezing that body, fine-tuning it and training from scratch "
    '("Development of a Neural Network-Based Music Genre Classification Tool", §4.5).'
)

# ---- genres -----------------------------------------------------------------------------------
st.subheader("Genres")
left, right = st.columns([3, 1])
source_genres = left.multiselect(
    "Source genres",
    genres_by_size,
    key="transfer.source",
    help="The source network learns these. The report's five: spotify-30k without edm.",
)
others = [g for g in genres_by_size if g not in source_genres]
if state["transfer.new"] not in others:
    state["transfer.new"] = others[0] if others else None
new_genre = right.selectbox(
    "Genre to add",
    others,
    key="transfer.new",
    help="The adapted network learns the source genres and this one (the report adds edm).",
)


# ---- the network ------------------------------------------------------------------------------
def layer_text(values) -> str:
    if isinstance(values, (list, tuple)):
        return ", ".join(
            ("yes" if v else "no") if isinstance(v, bool) else f"{v:g}" for v in values
        )
    return ("yes" if values else "no") if isinstance(values, bool) else f"{values:g}"


def apply_preset() -> None:
    p = preset_params(state["transfer.preset"])
    state["transfer.applied"] = state["transfer.preset"]
    state["transfer.hidden"] = ", ".join(str(h) for h in p["hidden"])
    state["transfer.batch_norm"] = layer_text(p["batch_norm"])
    state["transfer.dropout"] = layer_text(p["dropout"])
    for key in ("activation", "optimizer", "lr", "weight_decay", "batch_size"):
        state[f"transfer.{key}"] = p[key]
    state["transfer.epochs"] = min(int(p["max_epochs"]), 20)
    state["transfer.clip_norm"] = p["clip_norm"] or 0.0


st.subheader("Network")
left, right = st.columns([3, 1], vertical_alignment="bottom")
# the page's widgets describe an MLP; the recurrent presets train on the Networks page
MLP_PRESETS = [name for name, p in PRESETS.items() if p.params.get("kind", "mlp") == "mlp"]
left.selectbox(
    "Preset",
    MLP_PRESETS,
    key="transfer.preset",
    format_func=lambda p: f"{PRESETS[p].title} ({PRESETS[p].source})",
)
right.button("Apply preset", key="transfer.apply", on_click=apply_preset, icon=":material/tune:")
st.caption(
    plain(PRESETS[state["transfer.applied"]].note)
    + " Epochs are capped at 20 when a preset is applied, so that a comparison of four "
    "networks takes minutes (the report trained 100); raise them below."
)
a, b, c, d = st.columns(4)
hidden_text = a.text_input(
    "Hidden layers", key="transfer.hidden", help="Units per hidden layer, e.g. 64, 32, 16."
)
norm_text = b.text_input(
    "Batch norm", key="transfer.batch_norm", help="yes or no for every layer, or one per layer."
)
dropout_text = c.text_input(
    "Dropout", key="transfer.dropout", help="One rate for every layer, or one per layer."
)
activation = d.selectbox("Activation", ACTIVATIONS, key="transfer.activation")
a, b, c, d, e = st.columns(5)
optimizer = a.selectbox("Optimizer", list(OPTIMIZERS), key="transfer.optimizer")
lr = b.number_input("Learning rate", 1e-6, 10.0, key="transfer.lr", format="%.2e", step=None)
weight_decay = c.number_input(
    "Weight decay", 0.0, 1.0, key="transfer.weight_decay", format="%.1e", step=None
)
batch_size = d.number_input("Batch size", 1, 8192, key="transfer.batch_size", step=16)
clip_norm = e.number_input(
    "Clip gradient norm", 0.0, 1e3, key="transfer.clip_norm", step=0.5, help="0: off."
)

# ---- the comparison ---------------------------------------------------------------------------
st.subheader("Comparison")
options = st.multiselect(
    "Options",
    list(OPTIONS),
    key="transfer.options",
    format_func=OPTIONS.get,
    help="Frozen body: only the new output layer trains. Fine-tune: every layer trains from "
    "the source weights. From scratch: the same network from fresh weights.",
)
a, b, c = st.columns(3)
epochs = a.number_input(
    "Epochs",
    1,
    2000,
    key="transfer.epochs",
    step=5,
    help="For the source network and for each option alike.",
)
target = b.number_input(
    "Target accuracy",
    0.01,
    1.0,
    key="transfer.target",
    step=0.01,
    format="%.2f",
    help="Validation accuracy whose first epoch is reported for each option.",
)
seed = c.number_input("Seed", 0, 2**31 - 1, key="transfer.seed", step=1)

with st.expander("Data, split and preparation", icon=":material/table:"):
    features = st.multiselect(
        "Features", dataset.numeric_columns, key="transfer.features", help="Numeric inputs."
    )
    a, b, c, d = st.columns(4)
    feature_set = a.radio(
        "Feature set",
        [f for f in FEATURE_SETS if f != "text"],
        key="transfer.feature_set",
        help="numeric+text adds the sentence embeddings of the title columns (all-MiniLM-L6-v2), "
        "as the report's transfer did; computed once, then read from a shared cache.",
    )
    group_options = list(roles.groups)
    split_method = b.radio(
        "Split",
        ["stratified", *(["group"] if group_options else [])],
        key="transfer.split",
        format_func={"stratified": "random (stratified)", "group": "grouped"}.get,
        help="Grouped: every track (or artist) goes whole to one side.",
    )
    if state.get("transfer.group_column") not in group_options:
        state["transfer.group_column"] = group_options[0] if group_options else None
    group_column = b.selectbox(
        "Group by",
        group_options,
        key="transfer.group_column",
        disabled=split_method != "group",
    )
    validation = c.slider("Validation share", 0.05, 0.4, step=0.05, key="transfer.validation")
    test_size = d.slider("Test share", 0.1, 0.4, step=0.05, key="transfer.test_size")
    st.caption(
        "One split of the rows of all the chosen genres. The source network trains on the "
        "source-genre rows of its training part and watches those of its validation part, so "
        "no test row is ever seen before the test. The scaling is fitted on the source "
        "training rows and shared by every network; every option trains on the same rows, for "
        "the same epochs, with the same seed."
    )


def build_config() -> TransferConfig:
    hidden = parse_layer_values(hidden_text, "int")
    norms = parse_layer_values(norm_text, "bool") or (False,)
    drops = parse_layer_values(dropout_text, "float") or (0.0,)
    params = {
        **preset_params(state["transfer.applied"]),
        "hidden": hidden,
        "activation": activation,
        "batch_norm": norms[0] if len(norms) == 1 else norms,
        "dropout": drops[0] if len(drops) == 1 else drops,
        "optimizer": optimizer,
        "lr": float(lr),
        "weight_decay": float(weight_decay),
        "batch_size": int(batch_size),
        "max_epochs": int(epochs),
        "clip_norm": float(clip_norm) or None,
    }
    split = SplitSpec(
        split_method,
        group_column if split_method == "group" else None,
        train=round(1 - validation - test_size, 4),
        validation=validation,
        test=test_size,
        seed=int(seed),
    )
    return TransferConfig(
        tuple(source_genres),
        new_genre or "",
        params,
        PrepConfig("median", "standard"),
        tuple(features),
        split,
        tuple(options),
        float(target),
        int(seed),
        feature_set,
        tuple(roles.text),
    )


# ---- running ----------------------------------------------------------------------------------
job: jobs.Job | None = state["transfer.job"]
running = job is not None and job.running
if st.button(
    "Compare",
    type="primary",
    key="transfer.start",
    disabled=running,
    icon=":material/play_arrow:",
):
    try:
        config = build_config()
        config.check()
        if "numeric" in config.feature_set and not config.features:
            raise DataError("choose at least one feature.")
        if "text" in config.feature_set and not config.text:
            raise DataError("numeric+text needs a title column: choose one on the Data page.")
    except DataError as error:
        show_error(str(error))
    else:
        table, label = frame, roles.label

        def work(emit, cancel):
            result = run_transfer(table, label, config, sink=emit, cancel=cancel)
            for record in transfer_records(result):
                emit(log_event(record, source="transfer", dataset=dataset.name))
            return result

        state["transfer.job"] = jobs.start(
            f"transfer to {config.new_genre}: {', '.join(config.options)}", work
        )
        state["transfer.result"] = None
        st.rerun()


def run_title(name: str) -> str:
    return "Source network" if name == SOURCE else OPTIONS.get(name, name)


def curves_of(events: list[dict]) -> dict[str, list[dict]]:
    curves: dict[str, list[dict]] = {}
    for event in events:
        if event.get("stage") == "epoch":
            curves.setdefault(event["run"], []).append(event)
    return curves


def live_panel() -> None:
    job: jobs.Job | None = state["transfer.job"]
    if job is None:
        return
    job.drain()
    if job.running:
        left = stop_bar(
            job,
            "transfer.stop",
            "Ends the network training now (keeping its best weights) and starts no other.",
        )
        if left is None:
            return
        start = next((e for e in job.events if e.get("stage") == "start"), None)
        runs = [e for e in job.events if e.get("stage") == "run"]
        curves = curves_of(job.events)
        elapsed = time.monotonic() - job.started
        if start is None:
            embed = [e for e in job.events if e.get("stage") == "embed"]
            text = "Embedding the titles" if embed else "Preparing the data"
            done = embed[-1]["done"] / max(embed[-1]["total"], 1) if embed else 0.0
            left.progress(done, text=f"{text} · {elapsed:.0f} s elapsed")
            return
        planned = runs[0]["epochs"] * len(start["runs"]) if runs else 0
        finished = sum(len(c) for c in curves.values())
        current = runs[-1] if runs else None
        text = "Starting"
        if current is not None:
            done_here = len(curves.get(current["run"], []))
            text = (
                f"{run_title(current['run'])} ({len(runs)} of {len(start['runs'])}): epoch "
                f"{done_here} of {current['epochs']} · {elapsed:.0f} s elapsed"
            )
        left.progress(min(finished / planned, 1.0) if planned else 0.0, text=text)
        if curves:
            st.plotly_chart(
                transfer_figure(curves, target=float(state["transfer.target"])),
                key=f"transfer.live.{finished}",
            )
        return
    if not job.collected:
        job.collected = True
        state["transfer.result"] = job.result
        st.rerun(scope="app")


live_fragment(live_panel, running)

job_problems(state["transfer.job"])

# ---- the result -------------------------------------------------------------------------------
result = state["transfer.result"]
if result is not None:
    config = result.config
    st.subheader("Result")
    n_source = len(config.source_genres)
    if result.stopped:
        st.warning(
            f"Stopped by you: {len(result.runs)} of {len(config.options)} options finished "
            "(an option stopped mid-way keeps its shorter curve).",
            icon=":material/stop_circle:",
        )
    else:
        st.success(
            f"Compared {len(result.runs)} options on {n_source + 1} genres "
            f"({plain(', '.join(config.source_genres))} + {plain(config.new_genre)}).",
            icon=":material/check_circle:",
        )
    st.plotly_chart(
        transfer_figure(result.curves(), target=config.target), key="transfer.final_curves"
    )
    if result.runs:
        shares = ["best validation accuracy", "test accuracy", "macro F1"]
        st.table(
            result.table()
            .set_index("option")
            .style.format("{:.1%}", subset=shares)
            .format("{:.1f}", subset=["seconds to target", "seconds"], na_rep="—")
        )
    source = result.source
    s = result.sizes
    st.caption(
        f"Source network: {n_source} genres, {len(source.history)} epochs in "
        f"{source.seconds:.1f} s (not included in the options' seconds), test accuracy "
        f"{source.evaluation.metrics['accuracy']:.1%} on its {s['source_test']:,} test rows. "
        f"Reused: every layer but {plain(result.output_layer)}, the output layer. Rows: "
        f"source {s['source_train']:,} training / {s['source_validation']:,} validation; "
        f"options {s['train']:,} training / {s['validation']:,} validation / {s['test']:,} test; "
        f"{s['features']} inputs. Epochs to target: the first epoch whose validation accuracy "
        f"reaches {config.target:.0%}; test accuracy with the weights of the lowest validation "
        "loss, and its bootstrap 95% interval."
    )
