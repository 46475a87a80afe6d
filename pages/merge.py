"""Merge genres: build a merge map (built-in, keyword rules or by hand), use it everywhere, see
what merging the most confused genres step by step does to accuracy, and which genres overlap
and which tracks look mislabelled (cleanlab)."""

from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import forms, job_panel
from dashboard.charts import chart
from dashboard.params import param_widget, read_params, set_params
from dashboard.state import current_dataset, plain, show_error
from genre_core.data import merging
from genre_core.errors import DataError
from genre_core.experiments import label_issues
from genre_core.experiments.merge_curve import OPTIONS, QUICK_MODELS, MergeCurveSpec
from genre_core.models.classical import MODELS
from genre_core.plots import explore as plots
from genre_core.plots.models import confusion_figure

KEY = "merge"
state = st.session_state


def put_recipe(spec: MergeCurveSpec) -> None:
    """A loaded recipe into the page (before its widgets are drawn): the form's values, the
    split and hyperparameters it carries, and its merge map and genres as the ones in use."""
    set_params(KEY, OPTIONS, {p.name: getattr(spec, p.name) for p in OPTIONS})
    state["merge.recipe"] = {"split": spec.split, "preset": spec.preset, "params": spec.params}
    state["data.merge"] = dict(spec.data.merge) if spec.data.merge else None
    state["data.genres"] = list(spec.data.genres) or None
    state["merge.sample"] = spec.data.sample or 0


forms.put_loaded(KEY, put_recipe)  # from the recipe box of the last run
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
    chart(plots.class_balance_figure(after), None, "merge.after_balance", "merged-balance", right)

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
    "train again, down to the number of genres you choose. Every step uses the same split. "
    "The curve starts from the genres in use across Genre Lab: use a map above to start from it."
)
in_use_data = current_dataset()
n_in_use = 0 if in_use_data is None else int(in_use_data.labels.nunique())
model_param = replace(OPTIONS.get("model"), choices=tuple(m for m in QUICK_MODELS if m in MODELS))
columns = st.columns(5)
param_widget(model_param, "merge.model", columns[0])
for column, name in zip(columns[1:3], ("min_genres", "seed"), strict=True):
    param_widget(OPTIONS.get(name), f"merge.{name}", column)
sample = forms.sample_input(KEY, columns[3])

spec, problem = None, None
try:
    carried = state["merge.recipe"] or {}  # the split and hyperparameters of a loaded recipe
    data = replace(job_panel.current_data_spec(dataset), sample=sample)
    spec = MergeCurveSpec(data=data, **carried, **read_params(KEY, OPTIONS))
    spec.check()
except DataError as error:
    problem = str(error)
job_panel.recipe_box(KEY, spec, forms.load_later(KEY))

columns[4].write("")
if columns[4].button(
    "Merge step by step",
    key="merge.run",
    disabled=job_panel.running(KEY) or n_in_use < 3,
    help=None if n_in_use >= 3 else "Merging needs at least three genres in use.",
):
    if spec is None:
        show_error(problem or "the settings are not complete.")
    else:
        base = current_dataset(merged=False, all_genres=True)
        job_panel.start(KEY, spec, dataset=base, source="merge")
        st.rerun()


def live(job) -> None:
    """The step bar: how many trainings are done of how many."""
    start = next((e for e in job.events if e.get("stage") == "start"), None)
    done = [e for e in job.events if e.get("stage") == "step"]
    total = start["total"] if start else 0
    text = f"Step {min(len(done) + 1, total or 1)} of {total or '…'}"
    if done:
        text += f" · {done[-1]['n_classes']} genres: accuracy {done[-1]['accuracy']:.1%}"
    st.progress(min(len(done) / total, 1.0) if total else 0.0, text=text)


outcome = job_panel.panel(KEY, live, stop_help="Stops before the next step; nothing is kept.")
curve = outcome.result if outcome is not None else None
if curve is not None and curve.steps:
    steps = curve.steps
    chart(plots.merge_curve_figure(steps), None, "merge.curve", "merge-curve")
    first, last = steps[0], steps[-1]
    st.caption(
        f"{plain(curve.title)} on {plain(curve.dataset)}. Reading: from {first.n_classes} to "
        f"{last.n_classes} genres accuracy moves from {first.accuracy:.1%} to {last.accuracy:.1%}"
        f", but always answering the largest genre moves from {first.majority:.1%} to "
        f"{last.majority:.1%}: only the margin over that dotted line is skill."
    )
    st.dataframe(curve.table(), hide_index=True, width="stretch", key="merge.steps")
    before, after_col = st.columns(2)
    for column, step, name in ((before, first, "before"), (after_col, last, "after")):
        chart(
            confusion_figure(step.confusion, list(step.classes), normalised=True),
            None,
            f"merge.confusion_{name}",
            f"merge-confusion-{name}",
            column,
        )
    st.caption(
        "Reading: row-normalised confusion before (left) and after (right) merging; "
        "a dark off-diagonal cell is a pair the model mixes up."
    )

# ---- label issues ------------------------------------------------------------------------------
ISSUES = "merge.issues"
st.subheader("Genres that overlap, and tracks filed under the wrong one")
st.caption(
    "A model scores every track without having seen it (cross-validation grouped by song), then "
    "confident learning (cleanlab) flags the tracks whose genre it finds unlikely and estimates "
    "how many tracks each pair of genres swaps. Overlapping pairs are merge candidates beside "
    "the ones the confusion matrix suggests; a song filed under several playlists' genres is "
    "the first suspect."
)
forms.one_model_form(
    ISSUES,
    label_issues.LabelIssuesSpec,
    job_panel.current_data_spec(dataset),
    "Find label issues",
    models=[m for m in QUICK_MODELS if m in MODELS],
    icon=":material/find_in_page:",
    dataset=current_dataset(merged=False, all_genres=True),
    source="merge",
)


def issues_live(job) -> None:
    folds = [e for e in job.events if e.get("stage") == "fold"]
    total = folds[-1]["folds"] if folds else None
    st.progress(
        len(folds) / total if total else 0.0,
        text=f"Fold {len(folds)} of {total or '…'} scored without its own tracks",
    )


found = job_panel.panel(ISSUES, issues_live, stop_help="Stops before the next fold.")
issues_result = found.result if found is not None else None
if issues_result is not None:
    st.caption(
        plain(
            f"{issues_result.title} on {issues_result.dataset}: {issues_result.flagged:,} of "
            f"{issues_result.rows:,} tracks ({issues_result.share:.1%}) flagged; the model "
            f"is right on {issues_result.accuracy:.1%} of the tracks it did not see."
        )
    )
    left, right = st.columns([2, 3])
    left.dataframe(
        issues_result.overlaps.head(15),
        hide_index=True,
        key=f"{ISSUES}.overlaps",
        column_config={"joint": st.column_config.NumberColumn("share swapped", format="%.3f")},
    )
    left.caption(
        "Reading: the estimated number of tracks of one genre that look like the other's, "
        "most first. Merge a pair above with the map editor at the top of the page."
    )
    right.dataframe(
        issues_result.issues,
        hide_index=True,
        height=360,
        key=f"{ISSUES}.table",
        column_config={
            "p(given)": st.column_config.NumberColumn(format="%.3f"),
            "p(likely)": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    right.caption(
        f"Reading: the {len(issues_result.issues):,} most suspect tracks, the least likely "
        "given genre first; 'row' is the track's row in the table."
    )
