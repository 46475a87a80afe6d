"""Class board: submit a model trained on Train; it is scored on the lesson's hidden test set,
on the server; the teacher reveals the private half, resets or exports the board."""

import pandas as pd
import streamlit as st

from dashboard import classroom
from dashboard.charts import chart
from dashboard.state import plain, show_error
from genre_core.classroom.board import BoardError
from genre_core.classroom.scoring import baselines, board_table, score_model
from genre_core.errors import DataError
from genre_core.plots.models import leaderboard_figure

state = st.session_state
data = classroom.active()
st.title("Class board")
if data is None or data.hidden is None:
    st.info(
        "This lesson holds back no test set, so it has no class board."
        if data
        else "The class board belongs to a lesson: open the lab with the teacher's link.",
        icon=":material/info:",
    )
    st.stop()
lesson, hidden, store = data.lesson, data.hidden, classroom.store()
n_public = int((hidden.half == "public").sum())
st.caption(
    plain(
        f"{lesson.title}. Your models are scored on {len(hidden.frame):,} tracks held back from "
        f"everyone (grouped by {lesson.hidden.group_column}): the board shows {n_public:,} of "
        "them; the teacher reveals the other half at the end."
    )
)

# ---- submit ---------------------------------------------------------------------------------
st.subheader("Submit a model")
nickname = classroom.nickname_form(data, "board")


def eligible(run: dict) -> str | None:
    """Why a Train run cannot go on this board, or ``None`` when it can."""
    result = run["result"]
    if run.get("pipeline") is None:
        return "its fitted model is no longer kept (train it again)"
    if data.sha not in str(run.get("data")):
        return "it was trained on other data than this lesson's"
    if not result.config.numeric_only:
        return "the board scores models of numeric features"
    if result.config.model not in lesson.models:
        return f"{result.config.model} is not open in this lesson"
    return None


runs = [r for r in state.get("train.runs", []) if eligible(r) is None]
skipped = [(r["name"], eligible(r)) for r in state.get("train.runs", []) if eligible(r)]
if nickname:
    used = store.used(lesson.name, nickname)
    st.caption(plain(f"Signed in as {nickname}: {used} of {lesson.submissions} submissions used."))
    if not runs:
        st.info(
            "No model of this lesson trained yet in this session: train one on the Train page, "
            "then come back.",
            icon=":material/model_training:",
        )
    else:
        names = [r["name"] for r in runs]
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox(
            "Model from the Train page", names, index=len(names) - 1, key="board.run"
        )
        late = lesson.past_deadline()
        if right.button(
            "Submit to the class board",
            key="board.submit",
            type="primary",
            icon=":material/upload:",
            disabled=late or used >= lesson.submissions,
        ):
            run = runs[names.index(chosen)]
            result = run["result"]
            try:
                scores = score_model(run["pipeline"], result.features, result.classes, hidden)
                attempt = store.submit(
                    lesson.name, nickname, run["name"], scores, limit=lesson.submissions
                )
            except (BoardError, DataError) as error:
                show_error(str(error))
            else:
                s = scores["public"]
                state["board.note"] = (
                    f"Submission {attempt}: {s.accuracy:.1%} on the public half "
                    f"[{s.low:.1%}, {s.high:.1%}]."
                )
                st.rerun()
        if late:
            st.warning(
                "The lesson's deadline has passed: the board is closed.",
                icon=":material/timer_off:",
            )
    if skipped:
        st.caption(plain("Not offered: " + "; ".join(f"{n}: {why}" for n, why in skipped) + "."))
    note = state.pop("board.note", None)
    if note:
        st.success(note, icon=":material/check_circle:")

# ---- the board ------------------------------------------------------------------------------
revealed = store.revealed(lesson.name)
rows = store.submissions(lesson.name)


def shown(table: pd.DataFrame, half: str) -> pd.DataFrame:
    """The ranked board as the class reads it (nicknames as plain cells, never markup)."""
    return pd.DataFrame(
        {
            "rank": table["rank"],
            "nickname": table["nickname"],
            "model": table["model"],
            "accuracy [95% CI]": [
                f"{a:.3f} [{lo:.3f}, {hi:.3f}]"
                for a, lo, hi in zip(
                    table[f"{half}_accuracy"],
                    table[f"{half}_low"],
                    table[f"{half}_high"],
                    strict=True,
                )
            ],
            "macro F1": table[f"{half}_f1_macro"].map(lambda v: f"{v:.3f}"),
            "submitted (UTC)": table["created"].dt.strftime("%H:%M:%S"),
        }
    )


def board_section(half: str) -> None:
    table = board_table(rows, half)
    title = "Public board" if half == "public" else "Private board (revealed by the teacher)"
    st.subheader(title)
    if table.empty:
        st.info("No submission yet.", icon=":material/hourglass_empty:")
        return
    st.caption(
        "Each student's best submission. Ranks marked '=' are ties: their 95% intervals overlap "
        "the ones above, so this test set cannot tell them apart."
    )
    st.dataframe(shown(table, half), hide_index=True, key=f"board.table.{half}")
    figure_rows = pd.DataFrame(
        {
            "run": [f"{r} {n}" for r, n in zip(table["rank"], table["nickname"], strict=True)],
            "accuracy": table[f"{half}_accuracy"],
            "accuracy_low": table[f"{half}_low"],
            "accuracy_high": table[f"{half}_high"],
        }
    )
    guess = baselines(hidden, half)
    figure = leaderboard_figure(
        figure_rows,
        baselines={"random guess": guess["random"], "majority genre": guess["majority"]},
    )
    figure.update_layout(title="The class's accuracies (whiskers: 95% bootstrap interval)")
    chart(figure, figure_rows, f"board.chart.{half}", f"class board {half}")


board_section("public")
if revealed:
    board_section("private")

# ---- the teacher ------------------------------------------------------------------------------
with st.expander(
    "Teacher", icon=":material/admin_panel_settings:", expanded=bool(state.get(classroom.TEACHER))
):
    if classroom.teacher_gate("board"):
        classroom.teacher_tools(data, rows, revealed)
