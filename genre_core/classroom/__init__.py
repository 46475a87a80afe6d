"""Classroom mode: lessons a teacher hands out by link, a class board scored on a test set the
server holds back, and "guess the genre" against the model.

- :mod:`~genre_core.classroom.lessons`: lesson files, checked field by field.
- :mod:`~genre_core.classroom.hidden`: the rows held back, never sent to a browser or worker.
- :mod:`~genre_core.classroom.scoring`: a model scored on them, ranks with ties, baselines.
- :mod:`~genre_core.classroom.board`: the store (SQLAlchemy: SQLite or any server), with limits.
- :mod:`~genre_core.classroom.config`: the store's URL, the teacher's passphrase, the secret.
"""

from genre_core.classroom.board import BoardError, BoardStore, check_nickname
from genre_core.classroom.hidden import HiddenSet, hold_out, lesson_table, public_csv
from genre_core.classroom.lessons import Lesson, LessonError, lesson_names, load_lesson, read_lesson
from genre_core.classroom.scoring import baselines, board_table, guess_scores, score_model

__all__ = [
    "BoardError",
    "BoardStore",
    "HiddenSet",
    "Lesson",
    "LessonError",
    "baselines",
    "board_table",
    "check_nickname",
    "guess_scores",
    "hold_out",
    "lesson_names",
    "lesson_table",
    "load_lesson",
    "public_csv",
    "read_lesson",
    "score_model",
]
