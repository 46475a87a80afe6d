"""The class board's store: students, submissions, guesses and what the teacher revealed.

SQLAlchemy Core over any URL (SQLite by default, PostgreSQL for a shared server). Every write
is one transaction, and the limits are unique constraints, so many web-server processes can
write at once: a student's n-th submission has the key (lesson, nickname, n), and a second
process writing the same n fails instead of going over the limit.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from genre_core.classroom.scoring import HalfScore
from genre_core.errors import DataError

NICKNAME_MAX = 24
NICKNAME_EXTRA = " -_."

metadata = sa.MetaData()
students = sa.Table(
    "students",
    metadata,
    sa.Column("lesson", sa.String(64), primary_key=True),
    sa.Column("nickname", sa.String(NICKNAME_MAX), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),  # the student's key
    sa.Column("joined", sa.DateTime(timezone=True), nullable=False),
)
sessions = sa.Table(  # the browser sessions a student used (their jobs are counted)
    "student_sessions",
    metadata,
    sa.Column("lesson", sa.String(64), primary_key=True),
    sa.Column("nickname", sa.String(NICKNAME_MAX), primary_key=True),
    sa.Column("owner", sa.String(64), primary_key=True),
)
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lesson", sa.String(64), nullable=False),
    sa.Column("nickname", sa.String(NICKNAME_MAX), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    *(
        sa.Column(f"{half}_{name}", sa.Float, nullable=False)
        for half in ("public", "private")
        for name in ("accuracy", "low", "high", "f1_macro")
    ),
    sa.Column("public_n", sa.Integer, nullable=False),
    sa.Column("private_n", sa.Integer, nullable=False),
    sa.UniqueConstraint("lesson", "nickname", "attempt", name="one_attempt_each"),
)
boards = sa.Table(
    "boards",
    metadata,
    sa.Column("lesson", sa.String(64), primary_key=True),
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
)
guesses = sa.Table(
    "guesses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lesson", sa.String(64), nullable=False),
    sa.Column("nickname", sa.String(NICKNAME_MAX), nullable=False),
    sa.Column("track", sa.String(200), nullable=False),
    sa.Column("truth", sa.String(200), nullable=False),
    sa.Column("human", sa.String(200), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("lesson", "nickname", "track", name="one_guess_per_track"),
)


class BoardError(DataError):
    """A refused write (a limit, a taken nickname); the message says which."""


def check_nickname(text: str) -> str:
    """A nickname as typed, checked: 2 to 24 letters, digits, spaces, ``-``, ``_`` or ``.``,
    starting with a letter or digit. Shown as text only, never as markdown or HTML."""
    name = unicodedata.normalize("NFC", str(text)).strip()
    if not 2 <= len(name) <= NICKNAME_MAX:
        raise BoardError(f"nickname: 2 to {NICKNAME_MAX} characters, please ({len(name)} typed).")
    if not name[0].isalnum() or not all(c.isalnum() or c in NICKNAME_EXTRA for c in name):
        raise BoardError(
            "nickname: letters, digits, spaces, '-', '_' and '.' only, starting with a letter "
            "or a digit."
        )
    return name


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BoardStore:
    """The board of every lesson, in one database (``url``: a SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
        self.engine = sa.create_engine(url, **options)
        try:
            metadata.create_all(self.engine)  # checks before creating
        except sa.exc.OperationalError:  # another process created a table in between
            metadata.create_all(self.engine)

    # ---- students -------------------------------------------------------------------------
    def join(self, lesson: str, nickname: str, owner: str) -> str:
        """Claim ``nickname`` in ``lesson`` for the browser session ``owner``; the student's
        key (an unguessable token), which :meth:`resume` takes to give the nickname back after
        a reload.

        Raises
        ------
        BoardError
            For a bad nickname, or one another student holds.
        """
        name = check_nickname(nickname)
        token = secrets.token_urlsafe(16)
        try:
            with self.engine.begin() as db:
                db.execute(
                    students.insert().values(
                        lesson=lesson, nickname=name, token=token, joined=_now()
                    )
                )
        except IntegrityError:
            raise BoardError(
                f"nickname: '{name}' is taken in this lesson; choose another."
            ) from None
        self._add_session(lesson, name, owner)
        return token

    def resume(self, lesson: str, token: str, owner: str) -> str | None:
        """The nickname whose key is ``token`` in ``lesson`` (now also used by the session
        ``owner``), or ``None``."""
        if not token:
            return None
        with self.engine.connect() as db:
            name = db.scalar(
                sa.select(students.c.nickname).where(
                    students.c.lesson == lesson, students.c.token == str(token)[:64]
                )
            )
        if name is not None:
            self._add_session(lesson, name, owner)
        return name

    def _add_session(self, lesson: str, nickname: str, owner: str) -> None:
        try:
            with self.engine.begin() as db:
                db.execute(sessions.insert().values(lesson=lesson, nickname=nickname, owner=owner))
        except IntegrityError:
            pass  # already known

    def students(self, lesson: str) -> pd.DataFrame:
        """Each student's nickname and the browser sessions (``owner``) they used, a row each."""
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(sessions.c.nickname, sessions.c.owner).where(sessions.c.lesson == lesson)
            )
            return pd.DataFrame(rows.fetchall(), columns=["nickname", "owner"])

    # ---- submissions ----------------------------------------------------------------------
    def submit(
        self,
        lesson: str,
        nickname: str,
        model: str,
        scores: Mapping[str, HalfScore],
        *,
        limit: int,
    ) -> int:
        """Record a scored model; its attempt number (1, 2, ...).

        Raises
        ------
        BoardError
            When the student has used its ``limit`` submissions in this lesson.
        """
        name = check_nickname(nickname)
        values = {
            "lesson": lesson,
            "nickname": name,
            "model": str(model)[:200],
            "created": _now(),
            "public_n": scores["public"].n,
            "private_n": scores["private"].n,
        }
        for half, score in scores.items():
            for field in ("accuracy", "low", "high", "f1_macro"):
                values[f"{half}_{field}"] = float(getattr(score, field))
        for _ in range(5):  # another process took the same attempt number: count again
            with self.engine.connect() as db:
                used = db.scalar(
                    sa.select(sa.func.count()).where(
                        submissions.c.lesson == lesson, submissions.c.nickname == name
                    )
                )
            if used >= limit:
                raise BoardError(
                    f"you have used all {limit} submissions of this lesson; your best one counts."
                )
            try:
                with self.engine.begin() as db:
                    db.execute(submissions.insert().values(attempt=used + 1, **values))
                return used + 1
            except IntegrityError:
                continue
        raise BoardError("the board is busy; press Submit again.")

    def submissions(self, lesson: str) -> pd.DataFrame:
        """Every submission of ``lesson``, oldest first (times in UTC)."""
        columns = [c for c in submissions.c if c.name != "lesson"]
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(*columns).where(submissions.c.lesson == lesson).order_by(submissions.c.id)
            )
            frame = pd.DataFrame(rows.fetchall(), columns=[c.name for c in columns])
        frame["created"] = pd.to_datetime(frame["created"], utc=True)
        return frame

    def used(self, lesson: str, nickname: str) -> int:
        with self.engine.connect() as db:
            return int(
                db.scalar(
                    sa.select(sa.func.count()).where(
                        submissions.c.lesson == lesson, submissions.c.nickname == nickname
                    )
                )
            )

    # ---- the teacher's --------------------------------------------------------------------
    def revealed(self, lesson: str) -> bool:
        with self.engine.connect() as db:
            return bool(db.scalar(sa.select(boards.c.revealed).where(boards.c.lesson == lesson)))

    def reveal(self, lesson: str, shown: bool = True) -> None:
        """Show (or hide again) the private half of ``lesson``'s board."""
        with self.engine.begin() as db:
            done = db.execute(
                boards.update().where(boards.c.lesson == lesson).values(revealed=shown)
            )
            if not done.rowcount:
                try:
                    with db.begin_nested():
                        db.execute(boards.insert().values(lesson=lesson, revealed=shown))
                except IntegrityError:
                    db.execute(
                        boards.update().where(boards.c.lesson == lesson).values(revealed=shown)
                    )

    def reset(self, lesson: str) -> None:
        """Empty ``lesson``'s board: its submissions and guesses go, the private half is hidden
        again; nicknames stay claimed."""
        with self.engine.begin() as db:
            for table in (submissions, guesses, boards):
                db.execute(table.delete().where(table.c.lesson == lesson))

    # ---- guesses ----------------------------------------------------------------------------
    def guess(
        self, lesson: str, nickname: str, track: str, truth: str, human: str, model: str
    ) -> bool:
        """Record a guess; ``False`` when this student already guessed this track (not counted
        twice)."""
        try:
            with self.engine.begin() as db:
                db.execute(
                    guesses.insert().values(
                        lesson=lesson,
                        nickname=check_nickname(nickname),
                        track=str(track)[:200],
                        truth=str(truth)[:200],
                        human=str(human)[:200],
                        model=str(model)[:200],
                        created=_now(),
                    )
                )
        except IntegrityError:
            return False
        return True

    def guesses(self, lesson: str, nickname: str | None = None) -> pd.DataFrame:
        """The guesses of ``lesson`` (of one student when ``nickname`` is given)."""
        query = sa.select(
            guesses.c.nickname, guesses.c.truth, guesses.c.human, guesses.c.model
        ).where(guesses.c.lesson == lesson)
        if nickname is not None:
            query = query.where(guesses.c.nickname == nickname)
        with self.engine.connect() as db:
            return pd.DataFrame(
                db.execute(query).fetchall(), columns=["nickname", "truth", "human", "model"]
            )

    def close(self) -> None:
        self.engine.dispose()


__all__ = ["BoardError", "BoardStore", "NICKNAME_MAX", "check_nickname"]
