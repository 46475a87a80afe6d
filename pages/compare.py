"""Compare: pick stored runs, see them side by side, and test whether two models really differ."""

import pandas as pd
import streamlit as st

from dashboard.bundle_view import bundle_button, import_panel
from dashboard.cell_tracks import named_predictions, selected_cell, stored_cells_view
from dashboard.charts import chart
from dashboard.report_view import report_buttons
from dashboard.results import confusion_table
from dashboard.state import current_dataset, plain, show_error
from genre_core.errors import DataError
from genre_core.metrics import compare
from genre_core.plots import compare as compare_plots
from genre_core.plots import models as model_plots
from genre_core.runs import history
from genre_core.settings import tracking_uri

MAX_RUNS = 6
state = st.session_state

st.title("Compare runs")
st.caption(
    "Every finished training run (Train, Networks, Transfer and Bayesian pages, the best of a "
    "search, and the command line) is kept in the run history. Pick runs to see their metrics, "
    "learning curves and confusion matrices side by side, and test whether two models tested "
    "on the same rows really differ."
)


@st.cache_data(max_entries=64, show_spinner="Reading the run…")
def run_details(run_id: str, uri: str) -> history.RunDetails:
    return history.load_run(run_id)  # its results never change (a new name is read from the list)


with st.expander("Import a bundle", icon=":material/upload_file:"):
    import_panel("compare.bundle")
try:
    with st.spinner("Reading the run history…"):
        runs = history.list_runs()
except DataError as error:
    show_error(str(error))
    st.stop()

if runs.empty:
    st.info(
        "No run stored yet: train a model on the Train, Networks or Bayesian page (or run "
        "`python -m genre_core train`); every finished run appears here.",
        icon=":material/info:",
    )
    st.stop()

left, right = st.columns(2)
datasets = left.multiselect(
    "Dataset", sorted(set(runs["dataset"])), key="compare.datasets", placeholder="all"
)
models = right.multiselect(
    "Model", sorted(set(runs["model"])), key="compare.models", placeholder="all"
)
shown = runs
if datasets:
    shown = shown[shown["dataset"].isin(datasets)]
if models:
    shown = shown[shown["model"].isin(models)]

st.dataframe(
    shown.drop(columns=["run_id", "test_hash", "dataset"]).assign(
        test_set=shown["test_hash"].str[:6], started=shown["started"].dt.strftime("%Y-%m-%d %H:%M")
    ),
    hide_index=True,
    key="compare.table",
    column_config={
        m: st.column_config.NumberColumn(format="%.3f") for m in history.SUMMARY_METRICS
    },
    height=min(36 * (len(shown) + 1) + 2, 320),
)
st.caption(
    f"{len(shown):,} of {len(runs):,} runs; newest first. Runs with the same test_set code "
    "were tested on the same rows; — marks what an older run did not store."
)

labels = {
    row.run_id: f"{row.name} · {row.started:%m-%d %H:%M:%S} · {row.run_id[:6]}"
    for row in runs.itertuples()
}


def manage_runs() -> None:
    """Rename, tag, delete or download one run (the page reruns to show the change)."""
    run_id = st.selectbox(
        "Run", list(shown["run_id"]), key="compare.manage.run", format_func=labels.get
    )
    if run_id is None:
        return
    row = runs.set_index("run_id").loc[run_id]
    if state.get("compare.manage.for") != run_id:  # fill the fields with the run's own
        state["compare.manage.for"] = run_id
        state["compare.manage.name"] = row["name"]
        state["compare.manage.tags"] = row["tags"]
        state.pop("compare.manage.confirm", None)
    left, right = st.columns(2)
    name = left.text_input("Name", key="compare.manage.name", max_chars=history.MAX_NAME)
    tags = right.text_input(
        "Tags", key="compare.manage.tags", help="Comma-separated, e.g. baseline, grouped"
    )
    save, delete, _ = st.columns([1, 1, 3])
    if save.button("Save name and tags", key="compare.manage.save", icon=":material/save:"):
        try:
            history.rename_run(run_id, name)
            history.set_run_tags(run_id, tags.split(","))
        except DataError as error:
            show_error(str(error))
            return
        state.pop("compare.manage.for", None)
        st.rerun()
    if delete.button("Delete run…", key="compare.manage.delete", icon=":material/delete:"):
        state["compare.manage.confirm"] = run_id
    bundle_button(run_id, "compare.manage.bundle")
    if state.get("compare.manage.confirm") != run_id:
        return
    st.warning(
        plain(
            f"Delete '{row['name']}'? It leaves the history for everyone using this lab (there "
            "are no user accounts, so any run can be deleted, whoever made it)."
        ),
        icon=":material/warning:",
    )
    yes, no, _ = st.columns([1, 1, 3])
    if yes.button("Yes, delete", key="compare.manage.confirm_yes", type="primary"):
        try:
            history.delete_run(run_id)
        except DataError as error:
            show_error(str(error))
            return
        for key in ("compare.manage.confirm", "compare.manage.for", "compare.manage.run"):
            state.pop(key, None)
        st.rerun()
    if no.button("Cancel", key="compare.manage.confirm_no"):
        state.pop("compare.manage.confirm", None)
        st.rerun()


with st.expander("Rename, tag, delete or download a run", icon=":material/edit:"):
    manage_runs()
selected = state.get("compare.runs") or []
if any(r not in labels for r in selected):  # a run deleted from the store meanwhile
    state["compare.runs"] = selected = [r for r in selected if r in labels]
chosen = st.multiselect(
    "Runs to compare",
    list(dict.fromkeys([*selected, *shown["run_id"]])),  # the chosen stay when filtered out
    key="compare.runs",
    format_func=labels.get,
    max_selections=MAX_RUNS,
    help=f"Up to {MAX_RUNS} runs.",
)
if not chosen:
    st.info("Pick two or more runs above to compare them.", icon=":material/info:")
    st.stop()

try:
    details = {r: run_details(r, tracking_uri()) for r in chosen}
except DataError as error:
    show_error(str(error))
    st.stop()
current = runs.set_index("run_id")["name"]  # read afresh: a run may have been renamed
names = {r: f"{current.get(r, d.name)} ({r[:6]})" for r, d in details.items()}
report_buttons(chosen, "compare")

# ---- metrics ------------------------------------------------------------------------------------
st.subheader("Metrics")
columns = [
    "accuracy",
    "accuracy_ci_low",
    "accuracy_ci_high",
    "f1_macro",
    "balanced_accuracy",
    "log_loss",
    "train_accuracy",
    "gap",
    "fit_seconds",
]
table = pd.DataFrame(
    [{c: d.metrics.get(c) for c in columns} for d in details.values()],
    index=[names[r] for r in details],
).rename_axis("run")
table.insert(0, "test rows", [int(d.tags.get("n_test", 0) or 0) for d in details.values()])
table.insert(0, "dataset", [d.tags.get("dataset", "") for d in details.values()])
st.dataframe(
    table.style.format({c: "{:.3f}" for c in columns}, na_rep="–"),
    key="compare.metrics",
)
chart(
    compare_plots.metrics_figure(table, ["accuracy", "f1_macro", "balanced_accuracy"]),
    None,
    f"compare.bars.{len(details)}",
    "compare-metrics",
)
if len({d.test_hash for d in details.values()}) > 1:
    st.caption(
        "These runs were tested on different test sets: their numbers measure different "
        "questions and are only roughly comparable."
    )

# ---- learning curves ----------------------------------------------------------------------------
curves = {names[r]: d.curves for r, d in details.items() if len(d.curves)}
if curves:
    st.subheader("Learning curves")
    available = sorted({c for t in curves.values() for c in t.columns if c != "epoch"})
    preferred = [m for m in ("valid_acc", "valid_loss", "train_loss", "elbo") if m in available]
    metric = st.selectbox(
        "Curve", preferred + [m for m in available if m not in preferred], key="compare.curve"
    )
    chart(
        compare_plots.curves_figure(curves, metric),
        None,
        f"compare.curves.{metric}",
        f"compare-curves-{metric}",
    )
    st.caption("One line per network (or SVI fit); runs without epochs have no curve.")

# ---- confusion matrices -------------------------------------------------------------------------
st.subheader("Confusion matrices")
normalised = st.toggle("As shares of each true genre", value=True, key="compare.normalised")
per_row = 2 if len(details) <= 4 else 3  # titles need the width
items = list(details.items())
clicked = []  # (run id, name, predictions, genres, selection) of the matrices with predictions
for start in range(0, len(items), per_row):
    cols = st.columns(per_row)
    for col, (run_id, d) in zip(cols, items[start : start + per_row], strict=False):
        if not d.classes:
            col.caption(plain(f"{names[run_id]}: no confusion matrix stored."))
            continue
        selectable = len(d.predictions) > 0
        figure = model_plots.confusion_figure(
            d.confusion, d.classes, normalised, title=names[run_id], selectable=selectable
        )
        event = chart(
            figure,
            confusion_table(d.confusion, d.classes),
            f"compare.confusion.{run_id}.{normalised}",
            f"compare-confusion-{names[run_id]}",
            col,
            select=selectable,
        )
        if selectable:
            clicked.append((run_id, names[run_id], d.predictions, d.classes, event))
if any(selected_cell(event, classes) for *_, classes, event in clicked):
    loaded = current_dataset(all_genres=True, merged=False)  # names the tracks of its own runs
    clicked = [
        (run, name, named_predictions(p, loaded, details[run].tags.get("dataset", "")), c, e)
        for run, name, p, c, e in clicked
    ]
stored_cells_view("compare.cell", clicked)

# ---- McNemar ------------------------------------------------------------------------------------
st.subheader("Is the difference real? (McNemar's test)")
if len(chosen) < 2:
    st.info("Pick a second run to test it against the first.", icon=":material/info:")
    st.stop()
left, right = st.columns(2)
run_a = left.selectbox("Model A", chosen, key="compare.a", format_func=names.get)
rest = [r for r in chosen if r != run_a]
if state.get("compare.b") not in rest:
    state["compare.b"] = rest[0]
run_b = right.selectbox("Model B", rest, key="compare.b", format_func=names.get)
a, b = details[run_a], details[run_b]
try:
    paired = compare.paired_predictions(a.predictions, b.predictions, a.test_hash, b.test_hash)
    test = compare.mcnemar_counts(paired["true"], paired["pred_a"], paired["pred_b"])
except DataError as error:
    st.warning(plain(f"McNemar's test is not possible: {error}"), icon=":material/block:")
    st.stop()
counts = pd.DataFrame(
    {
        "": ["A right", "A wrong"],
        "B right": [test.both_right, test.only_b],
        "B wrong": [test.only_a, test.both_wrong],
    }
)
left, right = st.columns([2, 3])
left.dataframe(counts, hide_index=True, key="compare.mcnemar_counts")
detail = (
    f"{test.method}: p = {test.p_value:.3g}"
    if test.statistic is None
    else f"{test.method}: χ² = {test.statistic:.2f}, p = {test.p_value:.3g}"
)
right.metric("p-value", f"{test.p_value:.3g}", help=detail)
right.caption(plain(detail))
verdict = plain(test.verdict("A", "B"))
if test.significant:
    st.success(verdict, icon=":material/check_circle:")
else:
    st.info(verdict, icon=":material/info:")
st.caption(
    "McNemar's test looks only at the test rows where exactly one of the two models is right; "
    f"with fewer than {compare.EXACT_BELOW} such rows it uses the exact binomial test, "
    "otherwise the chi-square test with continuity correction."
)
