"""Explain: why a trained model says what it says about one test track, what-if sliders, the
nearest real track of another genre, and which features the model relies on overall."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import explain_jobs
from dashboard.charts import chart
from dashboard.explain_jobs import IMPORTANCE, SHAP
from dashboard.explain_models import (
    describe,
    load_stored,
    session_models,
    stored_runs,
    title_column,
    track_label,
)
from dashboard.nav import pages
from dashboard.state import dataset_key, plain, require_dataset, show_error
from genre_core.data.preprocess import feature_matrix
from genre_core.errors import DataError
from genre_core.explain import PosteriorClassifier, explainer_kind, nearest_of_genre, what_if
from genre_core.explain.importance import MAX_ROWS, REPEATS, scored_rows
from genre_core.explain.shapley import BACKGROUND_ROWS, background
from genre_core.explain.whatif import edited
from genre_core.plots.explain import importance_figure, probability_figure, waterfall_figure

MAX_CHOICES = 300  # test tracks listed in the track picker (search narrows them)
SLOW_MODEL_ROWS = 300  # permutation importance rows for the models explained by permutation
KIND_TEXT = {
    "tree": "TreeExplainer (exact, from the trees)",
    "linear": "LinearExplainer (exact, from the coefficients)",
    "permutation": f"a permutation explainer ({BACKGROUND_ROWS} background tracks, a bounded "
    "number of model calls: an estimate)",
}


dataset = require_dataset()
roles, state = dataset.roles, st.session_state
st.title("Explain")
st.caption(
    "Pick a trained model and one of its test tracks: why it predicts that genre (SHAP), what "
    "happens when you edit the track, the nearest real track of another genre, and which "
    "features the model relies on overall."
)
key = dataset_key(dataset)
models, skipped = session_models(dataset, key)
# the history's runs name their rows in the dataset as loaded: not an upload or merged genres
usable_history = dataset.origin != "upload" and not state.get("data.merge")
stored = stored_runs(dataset.name) if usable_history else {}
if not models and not stored:
    st.info(
        "No trained model to explain yet: train one on the Train page (numeric features), "
        "then come back here."
        + (
            f" {skipped} model(s) of this session cannot be explained here: trained on other "
            "data, with title or artist features, or no longer kept in memory."
            if skipped
            else ""
        ),
        icon=":material/info:",
    )
    train_page = next(p for p in pages() if p.title == "Train")
    st.page_link(train_page, label="Train a model", icon=":material/model_training:")
    st.stop()

models |= {n: partial(load_stored, n, run_id, dataset) for n, run_id in stored.items()}
for slot in (SHAP, IMPORTANCE):  # a reload: the jobs the URL names, followed, not sent again
    explain_jobs.reopen(slot, stored, key)
names = list(models)  # this session's newest first, then the history's
if state.get("explain.model") not in names:
    state["explain.model"] = names[0]
left, middle, right = st.columns([3, 2, 3])
name = left.selectbox(
    "Model",
    names,
    key="explain.model",
    help="This session's trained models (Train, Networks, Bayesian), then the run history's "
    "on this dataset (stored ·).",
)
try:
    model = models[name]()
except DataError as error:
    show_error(str(error))
    st.stop()
if skipped:
    left.caption(
        f"{skipped} other model(s) of this session are not listed: other data, title or artist "
        "features, or no longer kept in memory."
    )

test = model.test
search = middle.text_input(
    "Search the test tracks", key="explain.search", placeholder="part of a title or artist"
)
positions = np.arange(len(test))
if search:
    columns = [c for c in (title_column(roles), roles.artist_column) if c]
    hits = np.zeros(len(test), dtype=bool)
    for column in columns:
        hits |= test[column].astype(str).str.contains(search, case=False, regex=False).to_numpy()
    positions = positions[hits]
if not len(positions):
    middle.caption(plain(f"No test track matches '{search}'."))
    positions = np.arange(len(test))
choices = [int(p) for p in positions[:MAX_CHOICES]]
if state.get("explain.track") not in choices:
    state["explain.track"] = choices[0]
position = right.selectbox(
    f"Test track ({len(test):,} held out)",
    choices,
    key="explain.track",
    format_func=lambda p: track_label(test.iloc[p], p, roles),
    help=f"The first {MAX_CHOICES} matches are listed; search to find others.",
)
row = test.iloc[position]
features = list(model.features)
x = feature_matrix(test.iloc[[position]], features)[0]
X_ref = feature_matrix(model.reference, features)
y_ref = model.reference[roles.label].astype(str).to_numpy()

pipeline = model.pipeline
proba = pipeline.predict_proba(x[None, :])[0]
classes = [str(c) for c in pipeline.classes_]
predicted = str(pipeline.predict(x[None, :])[0])
true = str(row[roles.label])
verdict = "right" if predicted == true else "wrong"
st.markdown(
    plain(f"{describe(row, roles)}. True genre: {true}. Predicted: {predicted} ({verdict}), ")
    + f"with probability {proba[classes.index(predicted)]:.0%}."
)

# ---- SHAP -----------------------------------------------------------------------------------
st.subheader("Why this genre")
ident = (name, key, position)


def explain_track(by_id: bool = True) -> None:
    """Send this track's SHAP values to a worker: the track and the explainer's background
    (``by_id`` false: the fitted model too, not its run id)."""
    rows = {"x": x, "reference": background(X_ref)}
    explain_jobs.start(SHAP, ident, model, dataset, rows, by_id=by_id, compute="track",
                       position=int(position))  # fmt: skip


if explain_jobs.result(SHAP, ident) is None and not explain_jobs.asked(SHAP, ident):
    explain_track()
left, right = st.columns([2, 3])
with left:
    order = np.argsort(-proba)
    genre = st.selectbox(
        "Explain the output for",
        [classes[i] for i in order],
        key=f"explain.genre.{name}.{position}",
        help="The predicted genre first, then by probability.",
    )
    table = pd.DataFrame({"genre": classes, "probability": proba})
    chart(probability_figure(table, "This track's genre probabilities"), table,
          "explain.proba", "explain-probabilities")  # fmt: skip
with right:
    explanation = explain_jobs.follow(SHAP, ident)
    if explanation is not None:
        waterfall = explanation.table(genre)
        chart(waterfall_figure(explanation, genre), waterfall, "explain.waterfall", "explain-shap")
    elif explain_jobs.ended_without_result(SHAP, ident):
        if st.button("Explain this track again", key="explain.again", icon=":material/replay:"):
            explain_track(by_id=False)  # the model the page holds: its run may be gone
            st.rerun()
kind = explanation.kind if explanation is not None else explainer_kind(pipeline)
if explanation is not None:
    st.caption(
        f"SHAP values by {KIND_TEXT[kind]}. Each bar is how much a feature pushes this "
        f"genre's {explanation.scale} away from the model's average over the training tracks "
        "(red up, blue down); they add up to the model's output for this track."
        + (" Tree and linear models are explained on the scaled features; the labels show the "
           "values as the table holds them." if kind != "permutation" else "")
    )  # fmt: skip
else:
    st.caption(
        f"The SHAP values are computed on a worker by {KIND_TEXT[kind]}; they appear here "
        "when it is done. The rest of the page works meanwhile."
    )

# ---- what-if ----------------------------------------------------------------------------------
st.subheader("What if")
st.caption("Move a feature and watch every genre's probability; the outline marks the original.")
fresh = any(f"explain.whatif.{f}" not in state for f in features)
if (
    fresh
    or state.get("explain.whatif_for") != (name, position)
    or st.button("Reset to the track", key="explain.reset", icon=":material/restart_alt:")
):
    state["explain.whatif_for"] = (name, position)
    for i, feature in enumerate(features):
        value = x[i] if np.isfinite(x[i]) else float(np.nanmedian(X_ref[:, i]))
        state[f"explain.whatif.{feature}"] = float(value)
changes = {}
columns = st.columns(4)
for i, feature in enumerate(features):
    low, high = np.nanpercentile(X_ref[:, i], [0.5, 99.5])
    low, high = (
        float(min(low, state[f"explain.whatif.{feature}"])),
        float(max(high, state[f"explain.whatif.{feature}"])),
    )
    if high <= low:
        high = low + 1.0
    span = high - low
    known = X_ref[:, i][np.isfinite(X_ref[:, i])]
    whole = known.size > 0 and bool(np.all(known == np.round(known)))  # a year, a key, a mode
    value = columns[i % 4].slider(
        feature,
        low,
        high,
        key=f"explain.whatif.{feature}",
        step=span / 200,
        format="%.0f" if whole or span >= 100 else "%.2f" if span >= 1 else "%.3f",
    )
    if not np.isfinite(x[i]) or not np.isclose(value, x[i]):
        changes[feature] = value
moved = what_if(pipeline, features, x, changes)
if isinstance(pipeline, PosteriorClassifier):  # cheap: one softmax per posterior draw
    band = pipeline.band(edited(x, features, changes)).set_index("genre")
    moved["low"] = moved["genre"].map(band["low"]).to_numpy()
    moved["high"] = moved["genre"].map(band["high"]).to_numpy()
    st.caption("The whiskers: the central 90% of the posterior draws' probabilities.")
changed = ", ".join(changes) or "nothing changed yet"
left, right = st.columns([3, 2])
chart(probability_figure(moved, f"What if: {changed}"), moved, "explain.whatif", "explain-whatif",
      where=left)  # fmt: skip
now = moved.loc[moved["after"].idxmax(), "genre"]
right.metric("Predicted genre after the edits", now, help="The most probable genre.")
percent = {"before": "{:.1%}", "after": "{:.1%}", "change": "{:+.1%}", "low": "{:.1%}",
           "high": "{:.1%}"}  # fmt: skip
right.dataframe(
    moved.sort_values("change", key=np.abs, ascending=False).style.format(
        {k: v for k, v in percent.items() if k in moved}
    ),
    hide_index=True,
    key="explain.whatif_table",
)

# ---- counterfactual ---------------------------------------------------------------------------
st.subheader("The nearest real track of another genre")
others = [g for g in (classes[i] for i in order) if g != predicted]
left, right = st.columns([1, 2])
wanted = left.selectbox(
    "Genre", others, key=f"explain.nearest.{name}", help="By default the runner-up genre."
)
try:
    nearest = nearest_of_genre(X_ref, y_ref, x, wanted, features)
except DataError as error:
    show_error(str(error))
else:
    match = model.reference.iloc[nearest.position]
    left.markdown(plain(f"{describe(match, roles)} ({wanted})"))
    left.caption(
        f"Distance {nearest.distance:.2f} (in standard deviations over the "
        f"{len(X_ref):,} training tracks). The model predicts it as "
        + plain(str(pipeline.predict(X_ref[[nearest.position]])[0]))
        + "."
    )
    right.dataframe(
        nearest.table.head(8).style.format(
            {"track": "{:.3g}", "nearest": "{:.3g}", "difference": "{:+.2f} sd"}
        ),
        hide_index=True,
        key="explain.nearest_table",
    )
    right.caption(
        "What differs most: the nearest track minus this one, in standard deviations of "
        "each feature."
    )

# ---- permutation importance --------------------------------------------------------------------
st.subheader("What the model relies on overall")
overall = (name, key)
# an SVM or KNN answers ~20x slower than a tree: fewer rows keep the shuffles to seconds
rows = MAX_ROWS if kind != "permutation" else SLOW_MODEL_ROWS
if st.button(
    "Compute permutation importance",
    key="explain.importance",
    icon=":material/bar_chart:",
    disabled=explain_jobs.running(IMPORTANCE, overall),
    help=f"Shuffles each feature on up to {rows:,} test tracks, {REPEATS} times, on a worker.",
):
    if explain_jobs.result(IMPORTANCE, overall) is None:  # else it is drawn below already
        X_test, y_test = scored_rows(
            feature_matrix(test, features), test[roles.label].astype(str).to_numpy(), rows
        )
        explain_jobs.start(IMPORTANCE, overall, model, dataset, {"X": X_test, "y": y_test},
                           compute="importance", rows=rows)  # fmt: skip
        st.rerun()
ranked = explain_jobs.follow(IMPORTANCE, overall)
if ranked is not None:
    chart(importance_figure(ranked), ranked, "explain.importance_chart", "explain-importance")
    st.caption(
        "How much test accuracy drops when one feature's values are shuffled among the tracks "
        "(the bar's line: the spread over the shuffles). Near zero: the model does without it."
    )
elif not explain_jobs.asked(IMPORTANCE, overall):
    st.caption(
        f"Shuffles each feature on up to {rows:,} test tracks, {REPEATS} times: a few seconds "
        "on a worker."
    )
