"""Guess the genre: a track's features (and its title when the lesson allows), your guess, then
the model's answer and the truth; human against model, per genre, for you and the class."""

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import classroom, job_panel
from dashboard.state import base_dataset, plain, require_dataset, show_error
from genre_core.classroom.scoring import guess_scores
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec
from genre_core.experiments.train import ModelChoice, TrainSpec

state = st.session_state
data = classroom.active()
st.title("Guess the genre")
if data is None:
    st.info(
        "Guess the genre belongs to a lesson: open the lab with the teacher's link.",
        icon=":material/info:",
    )
    st.stop()
lesson, store = data.lesson, classroom.store()
dataset = require_dataset()
roles = dataset.roles
model = "hgb" if "hgb" in lesson.models else lesson.models[0]
st.caption(
    plain(
        f"{lesson.title}. Read a track's numbers, pick its genre, then see what the model "
        f"({model}, trained on the lesson's training part) answered and what is true. Tracks "
        "come from the lesson's test part, which the model never saw."
    )
)


@st.cache_resource(show_spinner=False)
def _answers() -> dict:
    """Per lesson upload (sha): the reference model's test rows, truth and answers, shared by
    every session of this server once one has trained it."""
    return {}


answers = _answers()
if data.sha not in answers:
    outcome = job_panel.outcome("guess")
    if outcome is None:
        if job_panel.current("guess") is None:
            spec = TrainSpec(
                DataSpec(data.name, data.sha, roles.label, tuple(roles.features)),
                lesson.split,
                (ModelChoice(model),),
                log=False,
            )
            try:
                spec.check()
                job_panel.start("guess", spec, source="guess")
            except DataError as error:
                show_error(str(error))
                st.stop()
        st.caption("Training the model you will play against (a few seconds)…")
        outcome = job_panel.panel("guess")
        if outcome is None:
            st.stop()
    held = outcome.result.runs[0].result.held_out
    answers[data.sha] = (np.asarray(held.rows), np.asarray(held.true), np.asarray(held.pred))

rows, truth, predicted = answers[data.sha]
nickname = classroom.nickname_form(data, "guess")
if not nickname:
    st.caption("Join with a nickname to keep your score (the same one as on the class board).")
    st.stop()

table = base_dataset().frame
guessed = set(state.get("guess.seen", ()))
if state.get("guess.track") is None:
    left = [i for i in range(len(rows)) if i not in guessed] or list(range(len(rows)))
    state["guess.track"] = int(np.random.default_rng().choice(left))
    state["guess.answer"] = None
index = state["guess.track"]
row = table.loc[rows[index]]

st.subheader("This track")
numbers, answering = st.columns([2, 3], gap="large")
features = pd.DataFrame(
    {
        "feature": list(roles.features),
        "value": [
            "missing" if pd.isna(row[f]) else f"{row[f]:,.3f}".rstrip("0").rstrip(".")
            for f in roles.features
        ],
    }
)
numbers.dataframe(
    features, hide_index=True, key="guess.features", height=35 * (len(features) + 1) + 3
)
genres = sorted(map(str, np.unique(truth)))
answer = state.get("guess.answer")
with answering:
    if lesson.show_titles and roles.text:
        st.markdown(f"**Title:** {plain(row[roles.text[0]])}")
    pick = st.radio(
        "Your guess",
        genres,
        index=None,
        key="guess.pick",
        disabled=answer is not None,
    )
    if answer is None:
        if st.button(
            "Guess",
            key="guess.go",
            type="primary",
            disabled=pick is None,
            icon=":material/how_to_reg:",
        ):
            store.guess(
                lesson.name, nickname, str(rows[index]), truth[index], pick, predicted[index]
            )
            state["guess.answer"] = pick
            state["guess.seen"] = [*state.get("guess.seen", ()), index]
            st.rerun()
    else:
        for who, said in (
            ("You", answer),
            ("The model", predicted[index]),
            ("Truth", truth[index]),
        ):
            said_col, mark_col = st.columns([3, 1], vertical_alignment="center")
            said_col.metric(who, said, border=True)
            if who != "Truth":
                right = said == truth[index]
                mark_col.badge(
                    "right" if right else "wrong",
                    color="green" if right else "red",
                    icon=":material/check:" if right else ":material/close:",
                )

        def next_track() -> None:
            state["guess.track"] = None
            state["guess.pick"] = None

        st.button("Next track", key="guess.next", on_click=next_track, icon=":material/skip_next:")


# ---- the scores -------------------------------------------------------------------------------
def score_view(frame: pd.DataFrame) -> pd.DataFrame:
    table = guess_scores(frame)
    return table.assign(
        human=table["human"].map(lambda v: f"{v:.0%}"),
        model=table["model"].map(lambda v: f"{v:.0%}"),
    ).rename(columns={"human": "humans right", "model": "model right"})


st.subheader("Human against model")
mine, everyone = st.columns(2)
with mine:
    st.caption(plain(f"You ({nickname})"))
    st.dataframe(
        score_view(store.guesses(lesson.name, nickname)), hide_index=True, key="guess.mine"
    )
with everyone:
    st.caption("The whole class")
    st.dataframe(score_view(store.guesses(lesson.name)), hide_index=True, key="guess.class")
