"""Explore: class balance, distributions, descriptive statistics, correlations, a PCA map and
a pairplot of chosen features by genre (a print figure)."""

import pandas as pd
import streamlit as st

from dashboard.charts import chart
from dashboard.state import (
    cached_audit,
    cached_projection,
    cached_shortcuts,
    dataset_key,
    plain,
    require_dataset,
)
from genre_core.data.explore import (
    correlation,
    describe_table,
    feature_title,
    feature_unit,
    strongest_pairs,
)
from genre_core.plots import explore as plots
from genre_core.reports import prints


@st.cache_data(max_entries=8, show_spinner="Drawing the pairplot…")
def pair_figure(key: str, _frame: pd.DataFrame, chosen: tuple, label: str, fmt: str) -> bytes:
    return prints.pairplot(_frame, chosen, label, fmt=fmt)


dataset = require_dataset()
frame, roles = dataset.frame, dataset.roles
features = list(roles.features)
key = dataset_key(dataset)

st.title("Explore")
st.caption(
    f"{plain(dataset.name)}: {len(frame):,} rows, {dataset.class_counts.size} genres, "
    f"{len(features)} numeric feature{'s' * (len(features) != 1)}."
)

st.subheader("Class balance")
counts = dataset.class_counts
left, right = st.columns(2)
balance = counts.rename_axis("genre").reset_index(name="rows")
chart(
    plots.class_balance_figure(counts, "bar"),
    balance,
    "explore.balance_bar",
    "rows-per-genre",
    left,
)
chart(
    plots.class_balance_figure(counts, "pie"), balance, "explore.balance_pie", "genre-shares", right
)
ratio = counts.max() / counts.min()
st.caption(
    f"Reading: the largest genre has {ratio:.1f}× the rows of the smallest; above about 3× "
    "accuracy flatters the big genres, so also read balanced accuracy and macro-F1."
)

report = cached_audit(key, dataset)
if report.conflicting_ids:
    st.info(
        plain(
            f"{report.conflicting_ids:,} songs are filed under more than one genre, so no "
            f"model can exceed {report.accuracy_ceiling:.1%} accuracy here; the Data page "
            "lists them."
        ),
        icon=":material/info:",
    )

st.subheader("Distributions by genre")
first, second = st.columns([2, 3])
if st.session_state["explore.feature"] not in features:
    st.session_state["explore.feature"] = features[0]
feature = first.selectbox("Feature", features, key="explore.feature", format_func=feature_title)
kind = second.radio("Chart", ["histogram", "box", "violin"], horizontal=True, key="explore.kind")
chart(
    plots.distribution_figure(frame, feature, roles.label, kind),
    frame.groupby(roles.label)[feature].describe().rename_axis("genre").reset_index(),
    "explore.distribution",
    f"{feature}-by-genre",
)
st.caption(
    "Reading: where the genres' shapes separate, this feature helps tell them apart; "
    "where they overlap, it carries little on its own."
)
for shortcut in (s for s in cached_shortcuts(key, dataset) if s.feature == feature):
    st.warning(
        plain(f"A shortcut ({shortcut.kind}, see the Data page): {shortcut.sentence()}"),
        icon=":material/warning:",
    )

st.subheader("Descriptive statistics")
# one row per feature, so the table fits the page however many features there are
table = describe_table(frame, features).T
table.insert(0, "unit", [feature_unit(f) for f in table.index])
table = table.rename_axis("feature")
numbers = [c for c in table.columns if c not in ("unit", "count")]
styled = table.style.format(
    lambda v: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}", subset=numbers
).format("{:,.0f}", subset=["count"])
height = 35 * (len(table) + 1) + 3  # every feature, no inner scroll
st.dataframe(styled, width="stretch", height=min(height, 740), key="explore.describe")
st.caption(
    "Reading: compare each feature's scale (mean, std, range): features on very different "
    "scales need scaling before distance-based models such as KNN and SVM."
)

st.subheader("Correlations")
if len(features) < 2:
    st.info(
        "Correlations and the PCA projection need at least two numeric features; choose more "
        "on the Data page."
    )
    st.stop()
method = st.radio(
    "Method",
    ["pearson", "spearman"],
    horizontal=True,
    key="explore.corr_method",
    help="Pearson measures linear relations; Spearman ranks first, so it also "
    "catches monotone curves and resists outliers.",
)
corr = correlation(frame, features, method)
chart(
    plots.correlation_figure(corr, method),
    corr.rename_axis("feature").reset_index(),
    "explore.correlation",
    f"{method}-correlation",
)
pairs = "; ".join(f"{a} and {b} ({r:+.2f})" for a, b, r in strongest_pairs(corr))
st.caption(
    plain(
        f"Reading: the strongest pairs are {pairs}. Strongly correlated features carry "
        "overlapping information."
    )
)

with st.expander(
    "Pairplot of chosen features by genre (print figure)", icon=":material/grid_view:"
):
    if not set(st.session_state["explore.pair_features"] or ()) <= set(features):
        st.session_state["explore.pair_features"] = None
    if st.session_state["explore.pair_features"] is None:
        st.session_state["explore.pair_features"] = features[:4]
    chosen = st.multiselect(
        "Features",
        features,
        key="explore.pair_features",
        max_selections=prints.MAX_PAIR_FEATURES,
        format_func=feature_title,
        help=f"2 to {prints.MAX_PAIR_FEATURES} features; drawn on a seeded sample of at most "
        f"{prints.PAIR_ROWS:,} tracks, the same share of each genre.",
    )
    if len(chosen) < 2:
        st.info("Choose at least two features.", icon=":material/info:")
    else:
        show = st.toggle("Show it here", key="explore.pair_show")
        if show:
            st.image(pair_figure(key, frame, tuple(chosen), roles.label, "png"), width=760)
        png, pdf, _ = st.columns([1, 1, 2])
        for column, fmt in ((png, "png"), (pdf, "pdf")):
            column.download_button(
                f"Download pairplot ({fmt.upper()})",
                lambda fmt=fmt: prints.pairplot(frame, chosen, roles.label, fmt=fmt),
                file_name=f"genre-lab-pairplot.{fmt}",
                mime="image/png" if fmt == "png" else "application/pdf",
                key=f"explore.pair_{fmt}",
                on_click="ignore",
                icon=":material/download:",
            )
        st.caption(
            "Reading: each panel below the diagonal plots two features against each other, one "
            "colour per genre; the diagonal shows each genre's density of one feature. Genres "
            "that separate in some panel can be told apart by that pair of features."
        )

st.subheader("PCA projection")
projection = cached_projection(key, dataset)
chart(plots.pca_figure(projection, roles.label), projection.points, "explore.pca", "pca")
shown = len(projection.points)
st.caption(
    f"Reading: {shown:,} tracks (a seeded sample when there are more) on the two directions "
    f"of greatest variance, which together hold {sum(projection.explained):.0%} of it. "
    "Genres that form separate clouds are easy to tell apart; overlapping clouds are hard."
)
