"""Data: choose a dataset or upload one; see its schema, column roles, duplicate audit and
shortcuts."""

import pandas as pd
import streamlit as st

from dashboard import forms, job_panel
from dashboard.classroom import is_locked
from dashboard.forms import follow_dataset
from dashboard.shortcut_fixes import fix_controls
from dashboard.state import (
    base_dataset,
    cached_audit,
    cached_conflicts,
    cached_shortcuts,
    current_dataset,
    dataset_key,
    forget_genres,
    plain,
    remember_upload,
    set_roles,
    show_error,
)
from genre_core.data import registry
from genre_core.data.fetch import find_local, locate
from genre_core.errors import DataError
from genre_core.experiments import leakage
from genre_core.experiments.merge_curve import QUICK_MODELS
from genre_core.settings import data_dir, upload_limit_mb

UPLOAD = "upload"
FAKE = "data.fake"

st.title("Data")
st.caption(
    "Choose one of the public datasets or bring your own CSV. Everything else in "
    "Genre Lab works on the dataset chosen here."
)

names = [*registry.DATASETS, UPLOAD]
labels = {name: f"{name} — {spec.title}" for name, spec in registry.DATASETS.items()}
labels[UPLOAD] = "Upload your own CSV…"
locked = is_locked("data.source")  # a lesson's rows (its test set held back)
if locked:
    labels[UPLOAD] = "The lesson's tracks (its test set is held back)"
choice = st.selectbox(
    "Dataset",
    names,
    index=names.index(st.session_state["data.source"]),
    format_func=labels.get,
    key="data.choice",
    disabled=locked,
)
if choice != st.session_state["data.source"]:
    st.session_state["data.source"] = choice
    st.session_state["data.roles"] = None
    forget_genres()

if choice == UPLOAD:
    limit = upload_limit_mb()
    uploaded = st.file_uploader(
        f"A CSV file (comma, semicolon, tab or pipe; UTF-8 or Windows-1252; .gz accepted; "
        f"up to {limit} MB, also once unpacked)",
        type=["csv", "gz", "tsv", "txt"],
        key="data.uploader",
        disabled=locked,
    )
    if uploaded is not None:
        previous = st.session_state["data.upload"]
        if (
            previous is None
            or previous["name"] != uploaded.name
            or previous["bytes"] != uploaded.getvalue()
        ):
            try:
                remember_upload(uploaded.name, uploaded.getvalue())
            except DataError as error:
                show_error(str(error))
                if previous is not None:
                    st.info(f"Still using your previous file, {plain(previous['name'])}.")
    if st.session_state["data.upload"] is None:
        st.info("Upload a CSV with one row per track, a genre column and numeric features.")
        st.stop()
else:
    spec = registry.DATASETS[choice]
    found = find_local(spec.directory, spec.file)
    with st.expander("About this dataset", expanded=found is None):
        st.markdown(f"**Source.** {spec.source}")
        for caveat in spec.caveats:
            st.markdown(f"- {caveat}")
        if found is not None:
            check = {
                True: "sha256 verified",
                False: "sha256 differs from the published file",
                None: "no published hash to check",
            }[found.verified]
            st.caption(f"Read from {found.origin}: `{found.path}` ({check}).")
    if found is None:
        folder = data_dir()
        where = f"`{folder / spec.directory}`" if folder else "a folder named by GENRE_DATA_DIR"
        if spec.file.url is None:
            st.warning(
                f"{spec.file.name} is not on this machine and has no public download. "
                f"Put a copy in {where}."
            )
            st.stop()
        size = f" ({spec.file.size / 1e6:.1f} MB)" if spec.file.size else ""
        st.info(
            f"{spec.file.name} is not on this machine yet. Download it once from its "
            f"public source{size}; it is checked against its published sha256 and cached."
        )
        if not st.button("Download", key="data.download", icon=":material/download:"):
            st.stop()
        bar = st.progress(0.0, text="Downloading…")

        def progress(done: int, total: int | None) -> None:
            bar.progress(
                min(done / total, 1.0) if total else 0.0, text=f"Downloading… {done / 1e6:.1f} MB"
            )

        try:
            locate(spec.directory, spec.file, progress=progress)
        except DataError as error:
            show_error(str(error))
            st.stop()
        st.rerun()

dataset = current_dataset()
if dataset is None:
    show_error(st.session_state["data.error"])
    st.stop()

for warning in dataset.warnings:
    st.warning(plain(warning), icon=":material/warning:")
if st.session_state["data.merge"]:
    st.info(
        f"A merge map from the Merge genres page relabels "
        f"{len(st.session_state['data.merge'])} genre(s) everywhere in Genre Lab.",
        icon=":material/merge:",
    )

counts = dataset.class_counts
left, middle, right, last = st.columns(4)
left.metric("Rows", f"{len(dataset.frame):,}")
middle.metric("Genres", len(counts))
right.metric("Numeric features", len(dataset.roles.features))
last.metric("Columns", len(dataset.frame.columns))

st.subheader("Column roles")
st.caption(
    "Detected automatically; change them here. Features must be numeric; title columns "
    "feed the sentence embeddings; the id and artist columns key the grouped splits."
)
base = base_dataset()
columns = list(base.frame.columns)
every = sorted(map(str, current_dataset(all_genres=True).labels.unique()))
kept = st.session_state["data.genres"] or every
none = "(none)"
# The widgets show this source's roles and kept genres, put in whenever the source, the roles or
# the genres change: a value left from another source would be applied by "Apply roles".
follow_dataset(
    "data",
    dataset,
    label=dataset.roles.label,
    features=list(dataset.roles.features),
    text=list(dataset.roles.text),
    id_column=dataset.roles.id_column or none,
    artist_column=dataset.roles.artist_column or none,
    genre_choice=[g for g in kept if g in every],
)
with st.form("data.roles_form", border=True):
    first, second = st.columns([1, 3])
    label = first.selectbox("Label (genre)", columns, key="data.label")
    features = second.multiselect(
        "Numeric features", [c for c in columns if c != label], key="data.features"
    )
    third, fourth, fifth = st.columns([2, 1, 1])
    text = third.multiselect("Title columns (text)", columns, key="data.text")
    optional = [none, *columns]
    id_column = fourth.selectbox("Track id column", optional, key="data.id_column")
    artist_column = fifth.selectbox("Artist column", optional, key="data.artist_column")
    if st.form_submit_button("Apply roles", type="primary"):
        try:
            set_roles(
                base,
                label=label,
                features=tuple(features),
                text=tuple(text),
                id_column=None if id_column == none else id_column,
                artist_column=None if artist_column == none else artist_column,
            )
        except DataError as error:
            show_error(str(error))
        else:
            st.rerun()

st.subheader("Genres")
st.caption(
    "Keep all genres, or only some (the seed reports use five of spotify-30k's six). "
    "Explore and Train use the genres kept here."
)
chosen = st.multiselect("Genres to keep", every, key="data.genre_choice")
if sorted(chosen) != sorted(kept):
    if len(chosen) < 2:
        show_error("keep at least two genres to classify.")
    else:
        st.session_state["data.genres"] = None if len(chosen) == len(every) else chosen
        st.rerun()

st.subheader("Schema")
frame = dataset.frame
roles = dataset.roles
role_of = {
    roles.label: "label",
    **{c: "feature" for c in roles.features},
    **{c: "title" for c in roles.text},
}
if roles.id_column:
    role_of[roles.id_column] = "track id"
if roles.artist_column:
    role_of[roles.artist_column] = "artist"
schema = pd.DataFrame(
    {
        "column": [str(c) for c in frame.columns],
        "role": [role_of.get(c, "") for c in frame.columns],
        "type": [str(frame[c].dtype) for c in frame.columns],
        "missing": [int(frame[c].isna().sum()) for c in frame.columns],
        "distinct": [int(frame[c].nunique()) for c in frame.columns],
        "example": [
            str(frame[c].dropna().iloc[0]) if frame[c].notna().any() else "" for c in frame.columns
        ],
    }
)
st.dataframe(schema, hide_index=True, width="stretch", key="data.schema")
with st.expander("First rows"):
    st.dataframe(frame.head(50), width="stretch")

st.subheader("Duplicate and leakage audit")
report = cached_audit(dataset_key(dataset), dataset)
cols = st.columns(5)
cols[0].metric("Unique songs", f"{report.unique_ids:,}", help=f"Counted by {report.key}.")
cols[1].metric("Songs repeated", f"{report.duplicate_ids:,}")
cols[2].metric("Under several genres", f"{report.conflicting_ids:,}")
cols[3].metric("Duplicate feature rows", f"{report.duplicate_rows:,}")
cols[4].metric(
    "Accuracy ceiling",
    f"{report.accuracy_ceiling:.1%}",
    help="No model can beat this: a song filed under several genres is one input with "
    "several answers.",
)
st.markdown("\n".join(f"- {plain(line)}" for line in report.summary()))
if report.conflicting_ids:
    st.caption("Songs filed under more than one genre (most genres first).")
    st.dataframe(
        cached_conflicts(dataset_key(dataset), dataset),
        hide_index=True,
        width="stretch",
        height=240,
    )

st.subheader("How much of the accuracy would be fake?")
st.caption(
    "Train one model twice on the same rows: with a random split, and with every song whole on "
    "one side. The gap is what copies of test songs in training add to the score."
)
forms.one_model_form(
    FAKE,
    leakage.LeakageSpec,
    job_panel.current_data_spec(dataset),
    "Measure it",
    models=QUICK_MODELS,
    icon=":material/compare_arrows:",
    dataset=base_dataset(),
    source="data",
)


def fake_live(job) -> None:
    done = [e for e in job.events if e.get("stage") == "split"]
    name = done[-1]["split"] if done else "random"
    st.progress(len(done) / 2 if done else 0.0, text=f"Training on the {name} split")


fake = job_panel.panel(FAKE, fake_live, stop_help="Stops at the next step; nothing is kept.")
if fake is not None and fake.result is not None:
    measured = fake.result
    a, b, c = st.columns(3)
    a.metric("Random split", f"{measured.random.evaluation.metrics['accuracy']:.1%}")
    b.metric("Grouped by song", f"{measured.grouped.evaluation.metrics['accuracy']:.1%}")
    low, high = measured.difference_ci95
    c.metric(
        "Fake part",
        f"{100 * measured.difference:+.1f} points",
        help=f"95% interval {100 * low:+.1f} to {100 * high:+.1f} points.",
    )
    st.markdown("\n".join(f"- {plain(line)}" for line in measured.sentences()))
    st.dataframe(
        measured.per_genre,
        hide_index=True,
        key=f"{FAKE}.per_genre",
        column_config={
            name: st.column_config.NumberColumn(format="%.3f")
            for name in ("random", "grouped", "difference")
        },
    )
    st.caption(
        plain(
            f"{measured.title} on {measured.dataset}. Reading: recall of each genre on each "
            "split; a genre whose recall drops when songs are grouped was partly recognised "
            "by its copies."
        )
    )


st.subheader("Shortcuts")
st.caption(
    "Features that give the genre away by their form (a unit, a missing value, an id, the "
    "label under another name) rather than by the music. Each is measured alone: a lookup "
    "from the shortcut to the most frequent genre, scored on rows it did not see, against "
    "always answering the most frequent genre."
)
shortcuts = cached_shortcuts(dataset_key(dataset), dataset)
if not shortcuts:
    st.success("No shortcut found in the features.", icon=":material/verified:")
else:
    FIXES = {"convert": "convert", "flag": "impute or flag", "drop": "drop", "group": "group split"}
    st.dataframe(
        pd.DataFrame(
            {
                "feature": [s.feature for s in shortcuts],
                "kind": [s.kind for s in shortcuts],
                "genres": [", ".join(s.genres) for s in shortcuts],
                "rows": [s.rows for s in shortcuts],
                "alone": [100 * s.accuracy for s in shortcuts],
                "most frequent genre": [100 * s.baseline for s in shortcuts],
                "gain (points)": [
                    f"{100 * s.gain:+.1f} [{100 * s.low:+.1f}, {100 * s.high:+.1f}]"
                    for s in shortcuts
                ],
                "fix": [FIXES.get(s.fix, s.fix) for s in shortcuts],
            }
        ),
        hide_index=True,
        width="stretch",
        key="data.shortcuts",
        column_config={
            "alone": st.column_config.NumberColumn(format="%.1f%%"),
            "most frequent genre": st.column_config.NumberColumn(format="%.1f%%"),
        },
    )
    st.markdown("\n".join(f"- {plain(s.sentence())}" for s in shortcuts))
fix_controls(dataset, shortcuts)
