"""Merge genres: build a merge map (built-in, keyword rules or by hand), use it everywhere, and
see what merging the most confused genres step by step does to accuracy."""

import pandas as pd
import streamlit as st

from dashboard import jobs
from dashboard.state import current_dataset, live_fragment, plain, show_error
from genre_core.data import merging
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.train import TrainConfig
from genre_core.models.classical import MODELS
from genre_core.plots import explore as plots
from genre_core.plots.models import confusion_figure

state = st.session_state
st.title("Merge genres")
st.caption(
    "Close genres (pop and Latin pop, rap and trap) blur a classifier. Merge them through a map, "
    "use the map across Genre Lab, and measure what each merge buys in accuracy."
)

dataset = current_dataset(merged=False)
if dataset is None:
    show_error(state["data.error"] or "no dataset is loaded.")
    st.stop()
label = dataset.roles.label
counts = dataset.class_counts
genres = [str(g) for g in counts.index]

st.subheader("Merge map")
sources = ["Keyword rules", "By hand"]
builtin: dict[str, dict] = {}
spec = dataset.spec
if spec is not None and spec.subgenre_column and label == spec.subgenre_column:
    builtin[f"{len(genres)} subgenres → genres"] = {"kind": "subgenres"}
if spec is not None and spec.name == "spotify-youtube-raw":
    builtin["Wikidata genres → 27 broad genres"] = {"kind": "broad"}
    builtin["Wikidata genres → The Genre Factor's six"] = {"kind": "six"}
if builtin:
    sources.insert(0, "Built-in")
elif spec is not None and spec.subgenre_column:
    st.caption(
        f"Tip: set the label to `{spec.subgenre_column}` on the Data page to merge the "
        "subgenres into genres with the built-in map."
    )
source = st.radio("Build the map from", sources, horizontal=True, key="merge.source")

mapping: dict[str, str | None] = {}
try:
    if source == "Built-in":
        choice = st.selectbox("Built-in map", list(builtin), key="merge.builtin")
        kind = builtin[choice]["kind"]
        if kind == "subgenres":
            mapping = merging.subgenre_map(
                current_dataset(merged=False, all_genres=True).frame,
                spec.subgenre_column,
                spec.label,
            )
        else:
            broad, six = merging.wikidata_maps()
            mapping = broad if kind == "broad" else six
    elif source == "Keyword rules":
        rules_text = st.text_area(
            "One rule per line, `keyword -> new genre`; the first matching rule wins, keywords "
            "match whole words in any case.",
            key="merge.rules",
            height=150,
        )
        drop = st.checkbox("Drop genres no rule matches", key="merge.drop_unmatched")
        mapping = merging.keyword_map(genres, merging.parse_rules(rules_text))
        if drop:
            mapping = {g: mapping.get(g) for g in genres}
    else:
        table = pd.DataFrame({"genre": genres, "rows": counts.to_numpy(), "merge into": genres})
        edited = st.data_editor(
            table,
            key="merge.editor",
            hide_index=True,
            disabled=["genre", "rows"],
            width="stretch",
            height=min(38 * (len(genres) + 1), 420),
            column_config={
                "merge into": st.column_config.TextColumn(
                    help="The new genre; leave it empty to drop the genre's rows."
                )
            },
        )
        mapping = {
            g: (str(new).strip() or None) if isinstance(new, str) else None
            for g, new in zip(edited["genre"], edited["merge into"], strict=True)
            if new != g
        }
except DataError as error:
    show_error(str(error))
    mapping = {}

merged_labels = merging.apply_map(dataset.labels, mapping)
after = merged_labels.value_counts()
dropped = int(merged_labels.isna().sum())
left, right = st.columns([2, 3])
changed = {g: t for g, t in mapping.items() if g in set(genres) and t != g}
left.metric("Genres after merging", f"{len(after)}", help=f"{len(genres)} before merging.")
left.metric("Rows dropped", f"{dropped:,}")
preview = pd.DataFrame(
    {"genre": list(changed), "becomes": [t if t else "(dropped)" for t in changed.values()]}
)
if len(preview):
    height = min(36 * (len(preview) + 1) + 2, 300)
    left.dataframe(preview, hide_index=True, width="stretch", height=height, key="merge.preview")
else:
    left.caption("The map changes no genre yet.")
if len(after):
    right.plotly_chart(plots.class_balance_figure(after), key="merge.after_balance")

in_use = state["data.merge"]
apply_col, clear_col = st.columns(2)
if apply_col.button(
    "Use this map in Explore and Train",
    type="primary",
    key="merge.apply",
    disabled=not changed or len(after) < 2,
):
    state["data.merge"] = dict(changed)
    state["data.genres"] = None
    st.rerun()
if in_use:
    clear_col.button(
        "Stop using the map", key="merge.clear", on_click=lambda: state.update({"data.merge": None})
    )
    st.success(plain(f"A map of {len(in_use)} genre(s) is in use across Genre Lab."))

st.subheader("Accuracy as genres merge")
st.caption(
    "Train, merge the two genres the model confuses most (clustering its confusion matrix), "
    "train again, down to two genres. Each step uses the same stratified split."
)
fast = [m for m in ("logreg", "knn", "rf", "hgb") if m in MODELS]
first, second, third = st.columns(3)
model = first.selectbox("Model", fast, format_func=lambda m: MODELS[m].title, key="merge.model")
start_from = merged_labels if changed else dataset.labels
floor = second.number_input("Stop at genres", 2, max(2, len(after) - 1), 2, key="merge.floor")
third.write("")
job: jobs.Job | None = state["merge.job"]
running = job is not None and job.running

if third.button("Merge step by step", key="merge.run", disabled=running or len(after) < 3):
    frame = dataset.frame.assign(**{label: start_from})
    frame = frame[frame[label].notna()]
    config = TrainConfig(
        model, features=dataset.roles.features, split=SplitSpec(test=0.3, train=0.7, seed=0)
    )

    def work(emit, cancel):
        return merging.merge_curve(
            frame, label, config, min_classes=int(floor), callback=emit, cancel=cancel
        )

    state["merge.job"] = jobs.start(f"merge curve ({model})", work)
    st.rerun()


def curve_panel() -> None:
    job: jobs.Job | None = state["merge.job"]
    if job is None:
        return
    job.drain()
    steps_done = [e for e in job.events if e.get("stage") == "step"]
    if job.running:
        total = max(len(after) - int(state["merge.floor"]) + 1, 1)
        st.progress(
            min(len(steps_done) / total, 1.0), text=f"Step {len(steps_done) + 1} of {total}…"
        )
        st.button("Stop", key="merge.stop", on_click=job.stop)
        return
    if job.error:
        show_error(job.error)
    if not job.collected:
        job.collected = True
        st.rerun(scope="app")


live_fragment(curve_panel, running)

steps = job.result if job is not None and not job.running and job.result else None
if steps:
    st.plotly_chart(plots.merge_curve_figure(steps), key="merge.curve")
    first, last = steps[0], steps[-1]
    st.caption(
        f"Reading: from {first.n_classes} to {last.n_classes} genres accuracy moves from "
        f"{first.accuracy:.1%} to {last.accuracy:.1%}, but always answering the largest genre "
        f"moves from {first.majority:.1%} to {last.majority:.1%}: only the margin over that "
        "dotted line is skill."
    )
    table = pd.DataFrame(
        {
            "genres": [s.n_classes for s in steps],
            "merged": ["" if s.merged is None else " and ".join(s.merged) for s in steps],
            "accuracy": [round(s.accuracy, 4) for s in steps],
            "macro-F1": [round(s.f1_macro, 4) for s in steps],
            "majority baseline": [round(s.majority, 4) for s in steps],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="merge.steps")
    before, last = st.columns(2)
    before.plotly_chart(
        confusion_figure(steps[0].confusion, list(steps[0].classes), normalised=True),
        key="merge.confusion_before",
    )
    last.plotly_chart(
        confusion_figure(steps[-1].confusion, list(steps[-1].classes), normalised=True),
        key="merge.confusion_after",
    )
    st.caption(
        "Reading: row-normalised confusion before (left) and after (right) merging; "
        "a bright off-diagonal cell is a pair the model mixes up."
    )
