"""Transfer learning: train a network on some genres, then add one, reusing its body: freeze
its body, fine-tune it or start afresh, and compare how fast and how well each learns."""

import time
from dataclasses import replace

import streamlit as st

from dashboard import forms, job_panel
from dashboard.charts import chart, chart_config
from dashboard.params import form_widget, param_grid, read_params, set_params
from dashboard.state import base_dataset, current_dataset, plain, require_dataset
from genre_core.errors import DataError
from genre_core.experiments.transfer import (
    NETWORK_PARAMS,
    OPTIONS,
    SOURCE,
    TransferSpec,
    default_genres,
    event_curves,
    form_params,
    mlp_presets,
    preset_network,
)
from genre_core.models.presets import PRESETS
from genre_core.plots.networks import transfer_figure

require_dataset()
dataset = current_dataset(all_genres=True)  # this page picks its own genres
roles = dataset.roles
genres_by_size = [str(g) for g in dataset.class_counts.index]
FORM = form_params()
KEY = "transfer"
state = st.session_state
source_default, new_default = default_genres(genres_by_size)
forms.follow_dataset(
    KEY,
    dataset,
    features=list(roles.features),
    source_genres=list(source_default),
    new_genre=new_default,
    **forms.honest_split(dataset),
)
groups = forms.group_choices(dataset)


def put_recipe(spec: TransferSpec) -> None:
    """Put a loaded recipe's values into the widgets (before they are drawn)."""
    set_params(KEY, FORM, {**spec.params, **{n: getattr(spec, n) for n in FORM.names
                                                    if n not in NETWORK_PARAMS.names}})  # fmt: skip
    present = set(genres_by_size)
    state["transfer.source_genres"] = [g for g in spec.source_genres if g in present]
    state["transfer.new_genre"] = spec.new_genre if spec.new_genre in present else None
    state["transfer.compare"] = list(spec.compare)
    state["transfer.seed"] = spec.seed
    chosen = spec.data.features or roles.features  # none in a recipe: the dataset's own
    state["transfer.features"] = [f for f in chosen if f in dataset.numeric_columns]
    forms.put_split(KEY, spec.split, groups)
    state["transfer.sample"] = spec.data.sample or 0


forms.put_loaded(KEY, put_recipe)  # from the recipe box of the last run

forms.page_header(
    "Transfer learning",
    dataset,
    "A source network learns some genres; a network for one more genre then reuses every layer "
    "of it but the output layer. Compare freezing that body, fine-tuning it and training from "
    'scratch ("Development of a Neural Network-Based Music Genre Classification Tool", §4.5).',
)

# ---- genres -----------------------------------------------------------------------------------
st.subheader("Genres")
left, right = st.columns([3, 1])
source_genres = left.multiselect(
    "Source genres",
    genres_by_size,
    key="transfer.source_genres",
    help="The source network learns these. The report's five: spotify-30k without edm.",
)
others = [g for g in genres_by_size if g not in source_genres]
if state["transfer.new_genre"] not in others:
    state["transfer.new_genre"] = others[0] if others else None
new_genre = right.selectbox(
    "Genre to add",
    others,
    key="transfer.new_genre",
    help="The adapted network learns the source genres and this one (the report adds edm).",
)


# ---- the network ------------------------------------------------------------------------------
def apply_preset() -> None:
    settings, epochs = preset_network(state["transfer.preset"])
    set_params(KEY, FORM, {**settings, "epochs": epochs})


st.subheader("Network")
forms.preset_picker(
    "transfer.preset",
    mlp_presets(),  # the page's network is an MLP; the recurrent presets train on Networks
    lambda p: f"{PRESETS[p].title} ({PRESETS[p].source})",
    apply_preset,
    apply_key="transfer.apply",
)
st.caption(
    plain(PRESETS[state["transfer.preset"]].note)
    + " Epochs are capped at 20 when a preset is applied, so that a comparison of four "
    "networks takes minutes (the report trained 100); raise them below."
)
MAIN = ("hidden", "batch_norm", "dropout", "activation", "optimizer", "lr", "weight_decay",
        "batch_size", "clip_norm")  # fmt: skip
param_grid(KEY, FORM, MAIN[:4])
param_grid(KEY, FORM, MAIN[4:], per_row=5)
with st.expander("More network settings", icon=":material/tune:"):
    param_grid(KEY, FORM, [p.name for p in NETWORK_PARAMS if p.name not in MAIN])

# ---- the comparison ---------------------------------------------------------------------------
st.subheader("Comparison")
compare = st.multiselect(
    "Options",
    list(OPTIONS),
    key="transfer.compare",
    format_func=OPTIONS.get,
    help="Frozen body: only the new output layer trains. Fine-tune: every layer trains from "
    "the source weights. From scratch: the same network from fresh weights.",
)
a, b, c = st.columns(3)
form_widget(KEY, FORM, "epochs", a)
form_widget(KEY, FORM, "target", b)
seed = forms.seed_input(KEY, c)

with st.expander("Data, split and preparation", icon=":material/table:"):
    features = st.multiselect(
        "Features", dataset.numeric_columns, key="transfer.features", help="Numeric inputs."
    )
    a, b, c, d = st.columns(4)
    form_widget(KEY, FORM, "feature_set", a)
    form_widget(KEY, FORM, "source_epochs", a)
    forms.split_form(KEY, groups, (b, b, c, d), dataset=dataset)
    sample = forms.sample_input(KEY, c)
    st.caption(
        "One split of the rows of all the chosen genres. The source network trains on the "
        "source-genre rows of its training part and watches those of its validation part, so "
        "no test row is ever seen before the test. The scaling is fitted on the source "
        "training rows and shared by every network; every option trains on the same rows, for "
        "the same epochs, with the same seed. numeric+text adds the sentence embeddings of the "
        "title columns (all-MiniLM-L6-v2), as the report's transfer did."
    )


def build_spec() -> TransferSpec:
    """The recipe of the widgets (raises DataError naming what is wrong)."""
    values = read_params(KEY, FORM, "network")
    own = {name: values.pop(name) for name in FORM.names if name not in NETWORK_PARAMS.names}
    if "numeric" in own["feature_set"] and not features:
        raise DataError("choose at least one feature.")
    if "text" in own["feature_set"] and not roles.text:
        raise DataError("numeric+text needs a title column: choose one on the Data page.")
    spec = TransferSpec(
        # the page chooses its genres itself: the Data page's choice of genres is not applied
        data=replace(job_panel.current_data_spec(dataset), features=tuple(features), genres=(),
                     sample=sample),
        source_genres=tuple(source_genres), new_genre=new_genre or "",
        split=forms.read_split(KEY, seed), params=values, compare=tuple(compare), seed=seed,
        origin="transfer", **own,
    )  # fmt: skip
    spec.check()
    return spec


spec, problem = forms.built(build_spec)
job_panel.recipe_box(KEY, spec, forms.load_later(KEY), kind="transfer")

# ---- running ----------------------------------------------------------------------------------
forms.start_button(KEY, "Compare", spec, problem, dataset=base_dataset())


def run_title(name: str) -> str:
    return "Source network" if name == SOURCE else OPTIONS.get(name, name)


def live(job) -> None:
    """The progress of the current network and the curves so far."""
    start = next((e for e in job.events if e.get("stage") == "start"), None)
    elapsed = time.monotonic() - job.started
    if start is None:
        embed = [e for e in job.events if e.get("stage") == "embed"]
        text = "Embedding the titles" if embed else "Preparing the data"
        done = embed[-1]["done"] / max(embed[-1]["total"], 1) if embed else 0.0
        st.progress(done, text=f"{text} · {elapsed:.0f} s elapsed")
        return
    runs = [e for e in job.events if e.get("stage") == "run"]
    curves = event_curves(job.events)
    planned = runs[0]["epochs"] * len(start["runs"]) if runs else 0
    finished = sum(len(c) for c in curves.values())
    text = "Starting"
    if runs:
        current = runs[-1]
        text = (
            f"{run_title(current['run'])} ({len(runs)} of {len(start['runs'])}): epoch "
            f"{len(curves.get(current['run'], []))} of {current['epochs']} · "
            f"{elapsed:.0f} s elapsed"
        )
    st.progress(min(finished / planned, 1.0) if planned else 0.0, text=text)
    if curves:
        st.plotly_chart(
            transfer_figure(curves, target=float(state["transfer.target"])),
            key=f"transfer.live.{finished}",
            config=chart_config("transfer-live-curves"),
        )


outcome = job_panel.panel(
    KEY,
    live,
    "Ends the network training now (keeping its best weights) and starts no other.",
)
job = job_panel.current(KEY)
if outcome is None and job is not None and job.status == "stopped" and job.result is not None:
    outcome = job.result  # a stopped comparison keeps the options that finished

# ---- the result -------------------------------------------------------------------------------
if outcome is not None:
    result, recipe = outcome.result, outcome.recipe
    st.subheader("Result")
    n_source = len(recipe.source_genres)
    if result.stopped:
        st.warning(
            f"Stopped by you: {len(result.runs)} of {len(recipe.compare)} options finished "
            "(an option stopped mid-way keeps its shorter curve).",
            icon=":material/stop_circle:",
        )
    else:
        st.success(
            f"Compared {len(result.runs)} options on {n_source + 1} genres "
            f"({plain(', '.join(recipe.source_genres))} + {plain(recipe.new_genre)}).",
            icon=":material/check_circle:",
        )
    chart(
        transfer_figure(result.curves(), target=recipe.target),
        None,
        "transfer.final_curves",
        "transfer-curves",
    )
    if result.runs:
        shares = ["best validation accuracy", "test accuracy", "macro F1"]
        st.table(
            result.table()
            .set_index("option")
            .style.format("{:.1%}", subset=shares)
            .format("{:.1f}", subset=["seconds to target", "seconds"], na_rep="—")
        )
    source, s = result.source, result.sizes
    st.caption(
        f"Source network: {n_source} genres, {len(source.history)} epochs in "
        f"{source.seconds:.1f} s (not included in the options' seconds), test accuracy "
        f"{source.evaluation.metrics['accuracy']:.1%} on its {s['source_test']:,} test rows. "
        f"Reused: every layer but {plain(result.output_layer)}, the output layer. Rows: "
        f"source {s['source_train']:,} training / {s['source_validation']:,} validation; "
        f"options {s['train']:,} training / {s['validation']:,} validation / {s['test']:,} test; "
        f"{s['features']} inputs. Epochs to target: the first epoch whose validation accuracy "
        f"reaches {recipe.target:.0%}; test accuracy with the weights of the lowest validation "
        "loss, and its bootstrap 95% interval."
    )
