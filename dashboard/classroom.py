"""Classroom mode in the dashboard: the lesson a link applies, its sidebar panel, the settings it
locks, the class board's store and the student's nickname.

``?lesson=NAME`` applies a lesson of ``lessons/``: its data (the rows students get, without the
hidden test set) becomes the session's dataset, its split and locked settings are put into the
widgets on every run (a locked widget is also drawn disabled), and only its pages are listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.state import plain
from genre_core.classroom import config
from genre_core.classroom.board import BoardError, BoardStore, check_nickname
from genre_core.classroom.hidden import HiddenSet, hold_out, lesson_table, public_csv
from genre_core.classroom.lessons import (
    Lesson,
    LessonError,
    lesson_file,
    lesson_names,
    read_lesson,
    save_lesson,
)
from genre_core.data.csvsafe import csv_text
from genre_core.data.dataset import Roles, load_dataset
from genre_core.data.uploads import keep_upload
from genre_core.errors import DataError

ACTIVE = "lesson.active"  # the LessonData applied to this session, or absent
LOCKED = "lesson.locked"  # {session key: value} the lesson locks
NICKNAME = "lesson.nickname"  # this session's nickname on the board of its lesson
STUDENT = "lesson.student"  # the key of that nickname (BoardStore.join), kept in the address
TEACHER = "lesson.teacher"  # whether this session typed the teacher's passphrase
SPLIT_FORMS = ("train", "nets")  # pages whose split form the lesson's split fills and locks


@dataclass(frozen=True)
class LessonData:
    """A lesson and what the server derives from it: the students' rows, kept as an upload
    (``name``, ``sha``, ``raw``) so their jobs train on them, and the hidden rows (server only)."""

    lesson: Lesson
    roles: Roles
    name: str
    sha: str
    raw: bytes
    hidden: HiddenSet | None

    @property
    def upload(self) -> dict:
        return {"name": self.name, "bytes": self.raw, "sha": self.sha}


def lesson_data(name: str) -> LessonData:
    """The lesson ``name`` with its rows cut, shared by every session while its file and the
    data folder stay the same (raises :class:`LessonError` or DataError)."""
    from genre_core.settings import data_dir

    path = lesson_file(name)
    return _lesson_data(name, str(data_dir()), path.read_bytes())


@st.cache_resource(show_spinner="Preparing the lesson…", max_entries=8)
def _lesson_data(name: str, data_dir: str | None, raw: bytes) -> LessonData:
    lesson = read_lesson(raw, lesson_file(name).name)
    table = lesson_table(load_dataset(lesson.dataset), lesson)
    hidden = hold_out(table, lesson, config.server_secret()) if lesson.hidden else None
    raw = public_csv(hidden) if hidden else table.frame.to_csv(index=False).encode()
    file = f"lesson-{lesson.name}-{lesson.dataset}.csv"
    return LessonData(lesson, table.roles, file, keep_upload(raw), raw, hidden)


@st.cache_resource(show_spinner=False)
def _store(url: str) -> BoardStore:
    return BoardStore(url)


def store() -> BoardStore:
    """The class board's store (one per server and URL)."""
    return _store(config.board_url())


def active() -> LessonData | None:
    return st.session_state.get(ACTIVE)


def locks(data: LessonData) -> dict[str, Any]:
    """Every session key the lesson fixes, with its value: the data source, each page's split
    form, and the lesson's ``[locked]`` settings."""
    lesson = data.lesson
    out: dict[str, Any] = {"data.source": "upload"}
    split = lesson.split
    for prefix in SPLIT_FORMS:
        # a network needs a validation part (early stopping): 10% when the lesson keeps none
        validation = split.validation or (0.1 if prefix == "nets" else 0.0)
        out |= {
            f"{prefix}.split": split.method,
            f"{prefix}.validation": validation,
            f"{prefix}.test_size": split.test,
            f"{prefix}.seed": split.seed,
        }
        if split.group_column:
            out[f"{prefix}.group_column"] = split.group_column
    return out | dict(lesson.locked)


def is_locked(key: str) -> bool:
    """Whether the lesson of this session locks the widget ``key`` (draw it disabled)."""
    return key in st.session_state.get(LOCKED, {})


def open_models(models: list[str]) -> list[str]:
    """``models`` the session's lesson opens (all of them without a lesson)."""
    data = active()
    return models if data is None else [m for m in models if m in data.lesson.models]


def open_lesson() -> LessonData | None:
    """Apply the lesson the address names (``?lesson=NAME``) and enforce the one applied.

    Called by app.py before the pages are listed, on every run: a locked value changed in a
    widget is put back before the page reads it. A bad name or file is shown in the sidebar
    and the lab opens without a lesson.
    """
    state = st.session_state
    wanted = st.query_params.get("lesson")
    data = active()
    if wanted and (data is None or data.lesson.name != wanted):
        try:
            data = lesson_data(wanted)
        except (LessonError, DataError) as error:
            st.sidebar.error(plain(f"Lesson '{wanted}': {error}"), icon=":material/error:")
            return active()
        _apply(data)
    if data is None:
        return None
    if st.query_params.get("lesson") != data.lesson.name:
        st.query_params["lesson"] = data.lesson.name  # a reload or a shared link keeps it
    _keep_student(data)
    for key, value in state[LOCKED].items():
        state[key] = value
    if state.get("data.upload") is None or state["data.upload"]["sha"] != data.sha:
        state["data.upload"] = data.upload
        state["data.roles"] = data.roles
    allowed = [m for m in state.get("train.models", []) if m in data.lesson.models]
    if allowed != state.get("train.models"):
        state["train.models"] = allowed or [data.lesson.models[0]]
    return data


def _apply(data: LessonData) -> None:
    state = st.session_state
    state[ACTIVE] = data
    state[LOCKED] = locks(data)
    state["data.upload"] = data.upload
    state["data.roles"] = data.roles
    state["data.genres"] = None
    state["data.merge"] = None
    state.pop("data.choice", None)  # the Data page's dataset box starts at the lesson's rows
    for prefix in SPLIT_FORMS:
        state.pop(f"{prefix}.dataset", None)
    state[NICKNAME] = None
    state[STUDENT] = None
    state[TEACHER] = False


def _keep_student(data: LessonData) -> None:
    """The student's key in the address (``?student=``), as a job's id is: a reload or a
    reopened laptop finds the nickname again; a session without the key never does."""
    state = st.session_state
    if state.get(NICKNAME) is None and st.query_params.get("student"):
        from dashboard.jobs import session_owner

        token = st.query_params["student"]
        name = store().resume(data.lesson.name, token, session_owner())
        if name is not None:
            state[NICKNAME], state[STUDENT] = name, token
    token = state.get(STUDENT)
    if token and st.query_params.get("student") != token:
        st.query_params["student"] = token


def open_pages(data: LessonData | None) -> tuple[str, ...] | None:
    """The page files (``train.py``) a lesson opens, or ``None`` without a lesson: all but the
    classroom's own pages."""
    return None if data is None else tuple(f"{p}.py" for p in data.lesson.pages)


LOCK_TITLES = {
    "data.source": None,  # said by "Data" below
    "train.artist": "Artist as a feature",
    "train.artist_profile": "Artist's profile",
    "train.feature_set": "Feature set",
    "train.features": "Features",
    "train.imputer": "Imputer",
    "train.scaler": "Scaler",
    "train.cv_folds": "Cross-validation folds",
}


def sidebar_panel(data: LessonData) -> None:
    """The lesson in the sidebar: title, deadline, instructions (the teacher's markdown, no
    HTML) and what is locked, with the values."""
    lesson = data.lesson
    with st.sidebar.container(key="lesson-panel"):
        st.markdown(f"**Lesson: {plain(lesson.title)}**")
        if lesson.deadline is not None:
            when = lesson.deadline.strftime("%Y-%m-%d %H:%M UTC")
            late = " (passed)" if lesson.past_deadline() else ""
            st.caption(f"Deadline: {when}{late}")
        with st.expander("Instructions", expanded=True, icon=":material/school:"):
            st.markdown(lesson.instructions or "No instructions.")
        rows = len(data.hidden.public.frame) if data.hidden else None
        lines = [
            f"Data: {plain(lesson.dataset)}"
            + (f", {len(lesson.genres)} genres" if lesson.genres else "")
            + (f", {rows:,} rows (a test set is held back)" if rows else ""),
            f"Split: {plain(lesson.split.text)}, seed {lesson.split.seed}",
            f"Models: {', '.join(lesson.models)}",
        ]
        for key, value in lesson.locked.items():
            title = LOCK_TITLES.get(key, key)
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            shown = (
                {True: "yes", False: "no"}.get(shown, shown) if isinstance(shown, bool) else shown
            )
            lines.append(f"{plain(title)}: {plain(shown)}")
        st.markdown("**Locked by the teacher**\n\n" + "\n".join(f"- {line}" for line in lines))


# ---- the student ---------------------------------------------------------------------------


def nickname_form(data: LessonData, key: str) -> str | None:
    """The student's nickname on the board: typed once per session, checked, claimed."""
    state = st.session_state
    if state.get(NICKNAME):
        return state[NICKNAME]
    from dashboard.jobs import session_owner

    left, right = st.columns([3, 1], vertical_alignment="bottom")
    typed = left.text_input(
        "Your nickname on the class board",
        key=f"{key}.nickname",
        max_chars=24,
        help="2 to 24 letters, digits, spaces, '-', '_' or '.'; shown to the whole class.",
    )
    if right.button("Join the board", key=f"{key}.join", icon=":material/login:"):
        try:
            token = store().join(data.lesson.name, typed, session_owner())
        except BoardError as error:
            st.error(plain(str(error)), icon=":material/error:")
            return None
        state[NICKNAME], state[STUDENT] = check_nickname(typed), token
        st.query_params["student"] = token
        st.rerun()
    return None


def teacher_gate(key: str) -> bool:
    """The teacher's passphrase box; ``True`` once this session typed the right one. The
    passphrase is read from the settings or ``$GENRE_TEACHER_PASSPHRASE``, never a URL."""
    state = st.session_state
    if state.get(TEACHER):
        return True
    if not config.teacher_passphrase():
        st.caption(
            "The teacher view is closed on this server: set `teacher_passphrase` under "
            "`[classroom]` in `.streamlit/genre_lab.toml`, or `GENRE_TEACHER_PASSPHRASE`."
        )
        return False

    def check() -> None:
        typed = state.get(f"{key}.passphrase", "")
        state[f"{key}.passphrase"] = ""  # not kept in the session once checked
        state[TEACHER] = config.is_teacher(typed)
        state[f"{key}.refused"] = not state[TEACHER]

    with st.form(f"{key}.teacher_form", border=False):
        st.text_input("Teacher's passphrase", type="password", key=f"{key}.passphrase")
        st.form_submit_button("Open the teacher view", on_click=check, icon=":material/key:")
    if state.pop(f"{key}.refused", False):
        st.error("That is not the teacher's passphrase.", icon=":material/error:")
    return False


# ---- the teacher ---------------------------------------------------------------------------


def teacher_tools(data: LessonData, rows: pd.DataFrame, revealed: bool) -> None:
    """Reveal or hide the private half, reset the board, export it (CSV, formula-safe), jobs
    and submissions per student, and add a lesson of one's own."""
    from dashboard.jobs import engine

    state, lesson, board = st.session_state, data.lesson, store()
    a, b, c = st.columns(3)
    a.button(
        "Hide the private half" if revealed else "Reveal the private half",
        key="board.reveal",
        icon=":material/visibility:",
        on_click=board.reveal,
        args=(lesson.name, not revealed),
    )

    def reset() -> None:
        board.reset(lesson.name)
        state["board.reset_confirm"] = False

    confirm = c.checkbox("Yes, empty the board", key="board.reset_confirm")
    b.button(
        "Reset the board",
        key="board.reset",
        icon=":material/delete:",
        disabled=not confirm,
        on_click=reset,
    )
    export = rows.drop(columns=["id"]).assign(created=rows["created"].astype(str))
    st.download_button(
        "Export the board (CSV)",
        csv_text(export, index=False),
        file_name=f"board-{lesson.name}.csv",
        mime="text/csv",
        key="board.export",
        icon=":material/download:",
        on_click="ignore",
    )
    sessions = board.students(lesson.name)
    jobs = sessions.assign(jobs=[len(engine().jobs_of(o)) for o in sessions["owner"]])
    counts = jobs.groupby("nickname", as_index=False).agg(
        sessions=("owner", "size"), jobs=("jobs", "sum")
    )
    counts["submissions"] = [int((rows["nickname"] == n).sum()) for n in counts["nickname"]]
    st.caption("Per student: browser sessions, jobs they sent to this server, submissions.")
    st.dataframe(counts.rename(columns={"jobs": "jobs run"}), hide_index=True, key="board.jobs")
    lesson_upload()


def lesson_upload() -> None:
    """A teacher's own lesson file: checked field by field, kept beside the built-ins, and its
    link shown."""
    st.file_uploader(
        "Add a lesson (TOML or JSON)",
        type=["toml", "json"],
        key="board.lesson_file",
        max_upload_size=1,
        on_change=_save_upload,
        help="The fields of lessons/*.toml; the file's name becomes the lesson's (?lesson=NAME).",
    )
    note = st.session_state.pop("board.lesson_note", None)
    if note:
        ok, text = note
        (st.success if ok else st.error)(plain(text))
    st.caption("Lessons: " + ", ".join(f"`?lesson={n}`" for n in lesson_names()))


def _save_upload() -> None:
    upload = st.session_state.get("board.lesson_file")
    if upload is None:
        return
    try:
        lesson = save_lesson(upload.getvalue(), upload.name)
    except LessonError as error:
        st.session_state["board.lesson_note"] = (False, f"{upload.name}: {error}")
    else:
        st.session_state["board.lesson_note"] = (
            True,
            f"Lesson '{lesson.title}' added: its link is ?lesson={lesson.name}",
        )
