"""Lessons: a teacher's file that fixes the data, the split and what students may change.

A lesson is a TOML (or JSON) file in ``lessons/`` (or uploaded by the teacher); its name is the
file's stem, which a link names (``?lesson=NAME``). :func:`parse_lesson` checks every field and
raises :class:`LessonError` naming the field at fault (``"split.test: ..."``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genre_core.data.registry import DATASETS
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.settings import PROJECT_ROOT, cache_dir

LESSONS_DIR = PROJECT_ROOT / "lessons"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# the pages a lesson may open (the file names of pages/, without .py)
PAGES = (
    "data",
    "explore",
    "merge",
    "train",
    "explain",
    "networks",
    "transfer",
    "bayes",
    "search",
    "compare",
    "board",
    "guess",
)
MODELS = ("logreg", "svm", "knn", "rf", "xgboost", "hgb")
# a locked setting is a widget of a job page ("train.feature_set", "nets.epochs"), never the
# page's own bookkeeping (its job, outcome, runs, loaded recipe)
LOCKED_KEY = re.compile(r"^(train|nets|transfer|bayes|search|merge|explore)(\.[a-z0-9_]+)+$")
BOOKKEEPING = {"job", "outcome", "runs", "stored", "loaded", "dataset", "view", "predictions"}
MAX_TEXT = 20_000  # characters of instructions: a page of text, not a book
MAX_FILE = 100_000  # bytes of a lesson file
KNOWN = {
    "title",
    "instructions",
    "dataset",
    "genres",
    "pages",
    "models",
    "deadline",
    "show_titles",
    "split",
    "locked",
    "hidden",
    "board",
}


class LessonError(DataError):
    """A lesson file that cannot be used; the message names the field at fault."""


@dataclass(frozen=True)
class HiddenSpec:
    """The test set a lesson holds back: ``share`` of the rows, whole groups of
    ``group_column`` (a track id, an artist), drawn with the server's secret seed; half of it
    is the public board, half the private one the teacher reveals."""

    share: float = 0.2
    group_column: str | None = None


@dataclass(frozen=True)
class Lesson:
    """One lesson, checked (see :func:`parse_lesson` for the file's fields)."""

    name: str
    title: str
    instructions: str = ""
    dataset: str = "spotify-30k"
    genres: tuple[str, ...] = ()
    pages: tuple[str, ...] = ("data", "explore", "train", "board", "guess")
    models: tuple[str, ...] = MODELS
    split: SplitSpec = SplitSpec()
    locked: Mapping[str, Any] = field(default_factory=dict)
    hidden: HiddenSpec | None = None
    submissions: int = 5
    deadline: dt.datetime | None = None
    show_titles: bool = False

    def open(self, page: str) -> bool:
        return page in self.pages

    def past_deadline(self, now: dt.datetime | None = None) -> bool:
        now = now or dt.datetime.now(dt.UTC)
        return self.deadline is not None and now > self.deadline


def _fail(name: str, message: str) -> LessonError:
    return LessonError(f"{name}: {message}")


def _text(data: Mapping, name: str, *, required: bool = False, limit: int = 200) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise _fail(name, f"expected text, not {type(value).__name__}.")
    value = value.strip()
    if required and not value:
        raise _fail(name, "is missing; every lesson needs one.")
    if len(value) > limit:
        raise _fail(name, f"is {len(value):,} characters long; at most {limit:,}.")
    return value


def _names(data: Mapping, name: str, allowed: tuple[str, ...] | None, default: tuple) -> tuple:
    value = data.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(name, 'expected a list of names in quotes, e.g. ["pop", "rock"].')
    unknown = [v for v in value if allowed is not None and v not in allowed]
    if unknown:
        raise _fail(
            name, f"unknown {', '.join(map(repr, unknown))}; choose from {', '.join(allowed)}."
        )
    return tuple(dict.fromkeys(v.strip() for v in value))


def _number(table: Mapping, where: str, name: str, default, low: float, high: float, kind=float):
    value = table.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (kind is int and not float(value).is_integer())
    ):
        raise _fail(
            f"{where}.{name}", f"expected a {'whole ' if kind is int else ''}number, not {value!r}."
        )
    if not low <= value <= high:
        raise _fail(f"{where}.{name}", f"must lie between {low:g} and {high:g}, not {value:g}.")
    return kind(value)


def _table(data: Mapping, name: str) -> Mapping:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise _fail(name, "expected a table ([" + name + "] in TOML, an object in JSON).")
    return value


def _split(data: Mapping) -> SplitSpec:
    table = _table(data, "split")
    unknown = set(table) - {"method", "group_column", "test", "validation", "seed"}
    if unknown:
        raise _fail(
            f"split.{sorted(unknown)[0]}",
            "is not a split setting (method, group_column, test, validation, seed).",
        )
    method = table.get("method", "group")
    if method not in ("stratified", "group"):
        raise _fail("split.method", f"'{method}' is not 'stratified' or 'group'.")
    column = table.get("group_column")
    if method == "group" and not (isinstance(column, str) and column.strip()):
        raise _fail(
            "split.group_column", "a grouped split needs the column to group by (e.g. track_id)."
        )
    # the ranges every page's split form offers, so a locked split can be drawn on each
    test = _number(table, "split", "test", 0.3, 0.1, 0.4)
    validation = _number(table, "split", "validation", 0.0, 0.0, 0.4)
    seed = _number(table, "split", "seed", 0, 0, 2**31 - 1, int)
    try:
        return SplitSpec.of(method, column, test=test, validation=validation, seed=seed)
    except DataError as error:
        raise _fail("split", str(error)) from None


def _locked(data: Mapping) -> dict[str, Any]:
    table = _table(data, "locked")
    out = {}
    for key, value in table.items():
        if not LOCKED_KEY.match(str(key)) or str(key).rsplit(".", 1)[1] in BOOKKEEPING:
            raise _fail(
                f"locked.{key}",
                "a locked setting is a widget of a page, named page.widget, e.g. "
                '"train.feature_set" or "nets.epochs".',
            )
        scalar = (str, int, float, bool)
        if not isinstance(value, scalar) and not (
            isinstance(value, list) and all(isinstance(v, scalar) for v in value)
        ):
            raise _fail(
                f"locked.{key}", "a locked value is a text, a number, true/false or a list of them."
            )
        out[str(key)] = value
    return out


def _hidden(data: Mapping, split: SplitSpec) -> HiddenSpec | None:
    if "hidden" not in data:
        return None
    table = _table(data, "hidden")
    unknown = set(table) - {"share", "group_column"}
    if unknown:
        raise _fail(
            f"hidden.{sorted(unknown)[0]}", "is not a hidden-set setting (share, group_column)."
        )
    share = _number(table, "hidden", "share", 0.2, 0.05, 0.5)
    column = table.get("group_column", split.group_column)
    if not (isinstance(column, str) and column.strip()):
        raise _fail(
            "hidden.group_column",
            "the hidden set is drawn by whole tracks: name the column (e.g. track_id).",
        )
    return HiddenSpec(share, column.strip())


def _deadline(data: Mapping) -> dt.datetime | None:
    value = data.get("deadline")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _fail(
                "deadline", f"'{value}' is not a date and time such as 2027-01-15T18:00:00Z."
            ) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    if not isinstance(value, dt.datetime):
        raise _fail("deadline", "expected a date and time such as 2027-01-15T18:00:00Z.")
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_lesson(data: Mapping[str, Any], name: str) -> Lesson:
    """A :class:`Lesson` from a file's parsed content.

    Fields: ``title`` (required), ``instructions`` (markdown, the teacher's), ``dataset`` (a
    known dataset), ``genres`` (kept; empty: all), ``pages`` and ``models`` (those open),
    ``show_titles`` (Guess shows titles), ``deadline``; tables ``[split]`` (``method``,
    ``group_column``, ``test``, ``validation``, ``seed``), ``[locked]`` (``"page.widget" =
    value``), ``[hidden]`` (``share``, ``group_column``) and ``[board]`` (``submissions``).

    Raises
    ------
    LessonError
        Naming the first field at fault.
    """
    if not NAME.match(name):
        raise _fail(
            "name", f"'{name}' must be lower-case letters, digits and dashes (the link's ?lesson=)."
        )
    if not isinstance(data, Mapping):
        raise _fail("lesson", "expected a table of fields.")
    unknown = sorted(set(data) - KNOWN)
    if unknown:
        raise _fail(
            unknown[0], f"is not a lesson field; the fields are: {', '.join(sorted(KNOWN))}."
        )
    dataset = _text(data, "dataset") or "spotify-30k"
    if dataset not in DATASETS:
        raise _fail(
            "dataset", f"unknown dataset '{dataset}'; choose one of: {', '.join(DATASETS)}."
        )
    split = _split(data)
    board = _table(data, "board")
    if set(board) - {"submissions"}:
        raise _fail(
            f"board.{sorted(set(board) - {'submissions'})[0]}",
            "is not a board setting (submissions).",
        )
    show_titles = data.get("show_titles", False)
    if not isinstance(show_titles, bool):
        raise _fail("show_titles", "expected true or false.")
    pages = _names(data, "pages", PAGES, Lesson.pages)
    if not pages:
        raise _fail("pages", "open at least one page.")
    models = _names(data, "models", MODELS, MODELS)
    if not models:
        raise _fail("models", "open at least one model.")
    genres = _names(data, "genres", None, ())
    if len(genres) == 1:
        raise _fail("genres", "keep at least two genres (none: all).")
    return Lesson(
        name=name,
        title=_text(data, "title", required=True),
        instructions=_text(data, "instructions", limit=MAX_TEXT),
        dataset=dataset,
        genres=genres,
        pages=pages,
        models=models,
        split=split,
        locked=_locked(data),
        hidden=_hidden(data, split),
        submissions=_number(board, "board", "submissions", 5, 1, 100, int),
        deadline=_deadline(data),
        show_titles=show_titles,
    )


def read_lesson(raw: bytes, filename: str) -> Lesson:
    """A lesson from a file's bytes (TOML, or JSON when the name ends in .json)."""
    path = Path(filename)
    if len(raw) > MAX_FILE:
        raise _fail(
            "file", f"{path.name} is larger than {MAX_FILE // 1000} kB; a lesson is a page of text."
        )
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except UnicodeDecodeError:
        raise _fail("file", f"{path.name} is not UTF-8 text.") from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise _fail("file", f"{path.name} cannot be read: {error}.") from None
    return parse_lesson(data, path.stem)


def lesson_folders() -> tuple[Path, ...]:
    """Where lessons are found: the built-ins of ``lessons/``, then those a teacher uploaded
    (``classroom/lessons/`` of the cache folder, ``data/`` of the checkout)."""
    return (LESSONS_DIR, cache_dir() / "classroom" / "lessons")


def lesson_names(folders: Sequence[Path] | None = None) -> list[str]:
    """The lessons of ``folders`` (file stems of their .toml and .json files), sorted."""
    names = set()
    for folder in folders or lesson_folders():
        if folder.is_dir():
            names |= {
                p.stem
                for p in folder.iterdir()
                if p.suffix in (".toml", ".json") and NAME.match(p.stem)
            }
    return sorted(names)


def lesson_file(name: str, folders: Sequence[Path] | None = None) -> Path:
    """The file of the lesson ``name``: the first of ``folders`` holding it (never a path
    from outside: a link names a lesson, not a file)."""
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail("lesson", "a lesson's name is lower-case letters, digits and dashes.")
    for folder in folders or lesson_folders():
        for suffix in (".toml", ".json"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
    known = ", ".join(lesson_names(folders)) or "none"
    raise _fail("lesson", f"there is no lesson '{name}'; the lessons are: {known}.")


def load_lesson(name: str, folders: Sequence[Path] | None = None) -> Lesson:
    """The lesson ``name`` (see :func:`lesson_file`), checked."""
    path = lesson_file(name, folders)
    return read_lesson(path.read_bytes(), path.name)


def save_lesson(raw: bytes, filename: str) -> Lesson:
    """Check a teacher's uploaded lesson and keep it with the uploaded lessons; a built-in's
    name is refused (the built-ins stay as they are).

    Raises
    ------
    LessonError
        Naming the field at fault, or ``name`` for a built-in's name.
    """
    lesson = read_lesson(raw, filename)
    if lesson.name in lesson_names((LESSONS_DIR,)):
        raise _fail("name", f"'{lesson.name}' is a built-in lesson; give your file another name.")
    folder = lesson_folders()[1]
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".json" if Path(filename).suffix.lower() == ".json" else ".toml"
    for old in (".toml", ".json"):
        (folder / f"{lesson.name}{old}").unlink(missing_ok=True)
    partial = folder / f".{lesson.name}{suffix}.part"
    partial.write_bytes(raw)
    partial.replace(folder / f"{lesson.name}{suffix}")
    return lesson


__all__ = [
    "HiddenSpec",
    "LESSONS_DIR",
    "Lesson",
    "LessonError",
    "lesson_file",
    "lesson_folders",
    "lesson_names",
    "load_lesson",
    "parse_lesson",
    "read_lesson",
    "save_lesson",
]
