"""What every recipe shares: the data choice, JSON round trips and field-naming validation.

A recipe (spec) is a frozen dataclass holding everything one job needs: the data
(:class:`DataSpec`), the split (:class:`~genre_core.data.splits.SplitSpec`) and the
parameters. It round-trips through JSON (``Recipe.to_json`` / :func:`load_recipe`), checks
itself with messages naming the field, and runs through one engine function
``run(spec, task)`` (see :mod:`genre_core.experiments`).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from genre_core.data.audit import track_split
from genre_core.data.dataset import Dataset, load_dataset, load_upload
from genre_core.data.merging import apply_map
from genre_core.data.preprocess import select_genres
from genre_core.data.registry import DATASETS, DEFAULT_DATASET
from genre_core.data.shortcuts import apply_fixes
from genre_core.data.splits import SplitSpec, group_values
from genre_core.data.uploads import stored_upload
from genre_core.errors import DataError
from genre_core.experiments.sampling import sample_dataset
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import Progress, TaskState

FORMAT_VERSION = 1
SEED = Param("seed", "int", 0, 0, 2**31 - 1, help="the random state of the models")


class RecipeError(DataError):
    """A recipe that cannot run: its message names the field at fault."""

    @classmethod
    def of_field(cls, name: str, error: DataError) -> RecipeError:
        """``error`` with the field ``name`` in front (for checks that call the engine)."""
        return cls(f"{name}: {error}")


@dataclass(frozen=True)
class DataSpec:
    """Which table, which columns, which genres.

    Parameters
    ----------
    source
        A known dataset's name (``spotify-30k``), or a CSV file's path or name.
    sha256
        The file's content hash. When set, a file with other content is refused, and a file
        uploaded on the dashboard is found by it (kept under ``data/uploads/``).
    label, features, text
        The genre column, the numeric feature columns and the title columns; empty: the
        dataset's own (detected or registered).
    genres
        The genres kept (after merging); empty: all.
    merge
        A merge map, ``{genre: new genre}`` (``None`` drops the genre's rows).
    sample
        Train on a fixed sample of this many rows (``None``: all), stratified by genre and
        drawn with the recipe's split seed (see :meth:`Recipe.load_table`); a number above
        the rows there are means all of them (the run says so in a warning).
    fixes
        What to do about the shortcuts found in the table: ``"drop:COLUMN"`` (out of the
        features) or ``"flag:COLUMN"`` (its missing or small-scale rows as a 0/1 feature); see
        :func:`~genre_core.data.shortcuts.apply_fixes`.
    """

    source: str = DEFAULT_DATASET
    sha256: str | None = None
    label: str | None = None
    features: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    merge: Mapping[str, str | None] | None = None
    sample: int | None = None
    fixes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The dataset's name as the run history shows it."""
        return self.source if self.source in DATASETS else Path(self.source).name

    def load(self, progress: Progress | None = None) -> Dataset:
        """The table with these roles, merged and reduced to these genres.

        Raises
        ------
        DataError
            For a file that cannot be found or read, a hash mismatch, or unknown columns.
        """
        return self.apply(self.load_base(progress))

    def load_base(self, progress: Progress | None = None) -> Dataset:
        """The table as read, with its own roles (before :meth:`apply`)."""
        if self.source in DATASETS:
            return load_dataset(self.source)
        path = Path(self.source)
        if path.is_file():
            if self.sha256:
                from genre_core.data.fetch import sha256_of

                if sha256_of(path) != self.sha256:
                    raise RecipeError(
                        f"data.sha256: {path.name} is not the file of this recipe (its content "
                        "differs); give the recipe's own file."
                    )
            return load_dataset(path)
        if self.sha256:
            raw = stored_upload(self.sha256)
            if raw is not None:
                return load_upload(raw, path.name)
        raise RecipeError(
            f"data.source: '{self.source}' is neither a known dataset "
            f"({', '.join(DATASETS)}) nor a file here"
            + (" nor an upload kept on this machine." if self.sha256 else ".")
        )

    def apply(self, dataset: Dataset) -> Dataset:
        """``dataset`` with this spec's fixes, roles, merge map and genres."""
        if self.fixes:
            dataset = apply_fixes(dataset, self.fixes)
        roles = dataset.roles
        changes = {}
        if self.label and self.label != roles.label:
            changes["label"] = self.label
        features = tuple(f for f in self.features if f"drop:{f}" not in self.fixes)
        if features and features != roles.features:
            changes["features"] = features
        if self.text and tuple(self.text) != roles.text:
            changes["text"] = tuple(self.text)
        if changes:
            dataset = dataset.with_roles(replace(roles, **changes))
        if self.merge:
            dataset = merge_dataset(dataset, self.merge)
        return keep_genres(dataset, self.genres)

    def check_genres(self) -> None:
        """Raise :class:`RecipeError` when a single genre is kept (nothing to classify)."""
        if len(self.genres) == 1:
            raise RecipeError("data.genres: choose at least two genres to classify (none: all).")


def merge_dataset(dataset: Dataset, mapping: Mapping[str, str | None]) -> Dataset:
    """Relabel through the merge map; rows of dropped genres leave."""
    labels = apply_map(dataset.labels, mapping)
    frame = dataset.frame.assign(**{dataset.roles.label: labels})
    return replace(dataset, frame=frame[labels.notna()])


def keep_genres(dataset: Dataset, genres: typing.Sequence[str] | None) -> Dataset:
    """Only the rows of ``genres`` (those still present; all rows when fewer than two are)."""
    present = set(dataset.labels.unique())
    kept = [g for g in genres or () if g in present]
    if len(kept) < 2 or len(kept) == len(present):
        return dataset
    return replace(dataset, frame=select_genres(dataset.frame, dataset.roles.label, kept))


# ---- recipes and their JSON -------------------------------------------------------------------


class Recipe:
    """Base of every recipe: ``kind`` names it in JSON; subclasses are frozen dataclasses.

    Subclasses override :meth:`check` (call ``super().check()``) to validate their fields,
    raising :class:`RecipeError` with the field's dotted name first (``"split.test: ..."``).
    """

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    OPTIONS: ClassVar[ParamSet] = ParamSet()  # the kind's settings besides data and split
    # when a recipe of the kind names none: copies of a song on one side (see resolve_split)
    DEFAULT_SPLIT: ClassVar[SplitSpec] = SplitSpec.by_track()
    PARSED: ClassVar[ParamSet | None] = None  # the options from_options parses (None: all)
    # True: a recipe given no split keeps none (the kind follows its own protocol);
    # DEFAULT_SPLIT then only fills in the shares of a split asked for without them
    SPLIT_OPTIONAL: ClassVar[bool] = False

    def check(self) -> None:
        """Raise :class:`RecipeError` naming the first field that is wrong (here: a seed that
        is not a whole number of at least 0, a sample that is not one of at least 1)."""
        if hasattr(self, "seed"):
            check_seed(self.seed)
        sample = getattr(getattr(self, "data", None), "sample", None)
        if sample is not None and (
            isinstance(sample, bool) or not isinstance(sample, int) or sample < 1
        ):
            raise RecipeError(
                f"data.sample: must be a whole number of rows of at least 1 (none: all rows), "
                f"not {sample!r}."
            )

    def check_options(self, names: typing.Iterable[str] | None = None) -> None:
        """Check the fields that are options of the kind (``names``; by default all) with
        their Params.

        Raises
        ------
        RecipeError
            Naming the first field the schema refuses.
        """
        params = self.options()
        for name in names if names is not None else params.names:
            if not hasattr(self, name):
                continue
            try:
                params.get(name).parse(getattr(self, name))
            except DataError as error:
                raise RecipeError.of_field(name, error) from None

    @classmethod
    def options(cls) -> ParamSet:
        """The kind's settings (what ``genre-lab spec KIND`` offers as options)."""
        return cls.OPTIONS

    @classmethod
    def default_split(cls) -> SplitSpec:
        """The split a recipe of this kind gets when none is given."""
        return cls.DEFAULT_SPLIT

    @classmethod
    def from_options(
        cls,
        data: DataSpec,
        split: SplitSpec | None,
        values: Mapping[str, Any],
        preset: str | None = None,
    ) -> Recipe:
        """A checked recipe from the CLI's texts: :meth:`read_options` parses them (the
        options of :data:`PARSED`, and ``seed``), :meth:`from_settings` builds the recipe
        (without a split when none is given and the kind has :data:`SPLIT_OPTIONAL`).

        Raises
        ------
        RecipeError
            Naming the option at fault.
        """
        keep_none = split is None and cls.SPLIT_OPTIONAL
        split, settings, rest = cls.read_options(split, values, cls.PARSED)
        recipe = cls.from_settings(data, split, settings, rest, preset)
        if keep_none:
            recipe = replace(recipe, split=None)
        recipe.check()
        return recipe

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> Recipe:
        """The recipe of parsed ``settings`` (each into the field of its name) and the texts no
        option took (``rest``: here refused); kinds with presets or model parameters override
        this."""
        if preset:
            raise RecipeError(f"preset: a '{cls.kind}' recipe has no presets.")
        cls.refuse_unknown(rest)
        fields = {f.name for f in dataclasses.fields(cls)}
        if "split" in fields:
            settings["split"] = split
        return cls(data=data, **{k: v for k, v in settings.items() if k in fields})

    @classmethod
    def read_options(
        cls,
        split: SplitSpec | None,
        values: Mapping[str, Any],
        params: ParamSet | None = None,
    ) -> tuple[SplitSpec, dict[str, Any], dict[str, Any]]:
        """Where a kind's :meth:`from_options` starts: the split (the kind's default when none
        is given), the texts of ``params`` (by default :meth:`options`) parsed, with ``seed``
        (the split's when not given), and the other texts as given.

        Raises
        ------
        RecipeError
            Naming the option whose text the schema refuses.
        """
        split = split or cls.default_split()
        settings, rest = parse_options(cls.options() if params is None else params, values)
        if "seed" not in settings:
            try:
                settings["seed"] = SEED.parse(rest.pop("seed", split.seed))
            except DataError as error:
                raise RecipeError.of_field("seed", error) from None
        return split, settings, rest

    @classmethod
    def refuse_unknown(cls, rest: Mapping[str, Any]) -> None:
        """Raise :class:`RecipeError` naming the first of ``rest``, texts no option takes."""
        if rest:
            known = ", ".join(cls.options().names)
            raise RecipeError(f"{next(iter(rest))}: no such option; the options are: {known}.")

    def load_table(
        self, dataset: Dataset | None = None, progress: Progress | None = None, *, genres=True
    ) -> Dataset:
        """The run's table: ``dataset`` (a page's loaded table, before the recipe's data
        choices) or the recipe's own source, with the recipe's roles and merge map, and its
        genres unless ``genres`` is false (then the training steps keep them, naming a genre
        that is not there)."""
        data = self.data if genres else replace(self.data, genres=())
        table = data.load(progress) if dataset is None else data.apply(dataset)
        return self.sampled(table)

    @property
    def sample_genres(self) -> tuple[str, ...]:
        """The genres a sample is drawn from (the recipe's genres; none: all)."""
        return tuple(self.data.genres)

    @property
    def sample_seed(self) -> int:
        """The seed of the sample's draw: the split's, else the recipe's ``seed``."""
        split = getattr(self, "split", None)
        return int(split.seed if split is not None else getattr(self, "seed", 0))

    def sampled(self, table: Dataset) -> Dataset:
        """``table`` reduced to the recipe's sample (``data.sample`` rows of the
        :attr:`sample_genres`, stratified by genre, drawn with :attr:`sample_seed`; their
        index kept), or as it is without a sample or with no more rows than asked for.

        Raises
        ------
        DataError
            Naming ``data.sample`` when so few rows cannot hold every genre.
        """
        size = self.data.sample
        if not size:
            return table
        kept = keep_genres(table, self.sample_genres)
        if size >= len(kept.frame):
            return table
        return sample_dataset(kept, size, self.sample_seed)

    def sampled_rows(self, table: Dataset) -> int | None:
        """The rows of the sample ``table`` was reduced to (:meth:`sampled`), or ``None``
        without a sample."""
        if not self.data.sample:
            return None
        return min(self.data.sample, len(keep_genres(table, self.sample_genres).frame))

    def sample_warnings(self, table: Dataset) -> list[str]:
        """The sentence saying that ``table`` has fewer rows than the sample asks for (so all
        are used), or none."""
        rows = self.sampled_rows(table)
        if rows is None or rows >= self.data.sample:
            return []
        return [
            f"data.sample: {self.data.sample:,} rows asked for, but the chosen rows number "
            f"{rows:,}; all of them are used."
        ]

    def table_and_split(self, dataset: Dataset | None = None) -> tuple[Dataset, SplitSpec]:
        """The table the training steps read (see :meth:`load_table`) and the recipe's split
        on it (:meth:`split_on`)."""
        table = self.load_table(dataset, genres=False)
        return table, self.split_on(table)

    def split_on(self, table: Dataset) -> SplitSpec:
        """The recipe's split with its group column found in ``table`` (:func:`resolve_split`).

        Raises
        ------
        RecipeError
            Naming ``split.group_column`` when the column is not in the table.
        """
        return resolve_split(self.split, table)

    def log_to_history(
        self,
        task: TaskState,
        result: Any,
        warnings: list[str],
        *,
        dataset: str | None,
        source: str | None = None,
    ) -> str | None:
        """Log one result of this recipe to the run history with the recipe, and tell the task
        (``logged`` or ``store-error``); the run's id, or ``None`` when the store failed, the
        sentence saying so added to ``warnings``. ``source`` (where the run comes from)
        defaults to the task's, else "recipe"."""
        from genre_core.runs.history import log_event

        source = source or task.source or "recipe"
        event = log_event(result, source=source, dataset=dataset, recipe=self)
        task.emit(**event)
        if event["stage"] == "store-error":
            warnings.append(event["message"])
        return event.get("run_id")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "version": FORMAT_VERSION, **_encode(self)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recipe:
        """Build and check a recipe from its dict (``kind`` and ``version`` may be present)."""
        body = {k: v for k, v in data.items() if k not in ("kind", "version")}
        recipe = _decode(cls, body, "")
        recipe.check()
        return recipe

    def with_changes(self, **changes) -> Recipe:
        """A copy with some fields replaced, checked."""
        recipe = replace(self, **changes)
        recipe.check()
        return recipe


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return value.item()
    return value


def _decode(kind: Any, value: Any, where: str) -> Any:
    """``value`` (from JSON) as the annotated type ``kind``; errors name the field."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if kind is Any or kind is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _decode(option, value, where)
            except RecipeError as error:
                errors.append(error)
        raise errors[0]
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise RecipeError(f"{where or 'the recipe'}: expected an object, not {value!r}.")
        hints = typing.get_type_hints(kind)
        fields = {f.name: f for f in dataclasses.fields(kind) if f.init}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            prefix = f"{where}." if where else ""
            raise RecipeError(
                f"{prefix}{unknown[0]}: no such field; the fields are: {', '.join(fields)}."
            )
        out = {}
        for name, raw in value.items():
            out[name] = _decode(hints[name], raw, f"{where}.{name}" if where else name)
        try:
            return kind(**out)
        except DataError as error:
            if isinstance(error, RecipeError) or not where:
                raise
            raise RecipeError(f"{where}: {error}") from None
        except TypeError as error:
            raise RecipeError(f"{where or 'the recipe'}: {error}") from None
    if origin is tuple or kind is tuple:
        if not isinstance(value, (list, tuple)):
            raise RecipeError(f"{where}: expected a list, not {value!r}.")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if args:
            if len(args) != len(value):
                raise RecipeError(f"{where}: expected {len(args)} values, not {len(value)}.")
            return tuple(
                _decode(a, v, f"{where}[{i}]")
                for i, (a, v) in enumerate(zip(args, value, strict=True))
            )
        return tuple(value)
    if origin in (Mapping, dict, typing.Mapping) or kind is dict:
        if not isinstance(value, Mapping):
            raise RecipeError(f"{where}: expected an object, not {value!r}.")
        inner = args[1] if len(args) == 2 else Any
        return {str(k): _decode(inner, v, f"{where}.{k}") for k, v in value.items()}
    if origin is typing.Literal:
        if value not in args:
            raise RecipeError(
                f"{where}: must be one of {', '.join(map(str, args))}, not {value!r}."
            )
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RecipeError(f"{where}: expected a number, not {value!r}.")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise RecipeError(f"{where}: expected a whole number, not {value!r}.")
        return int(value)
    if kind is bool:
        if not isinstance(value, bool):
            raise RecipeError(f"{where}: expected true or false, not {value!r}.")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise RecipeError(f"{where}: expected a text, not {value!r}.")
        return value
    return value


def parse_options(
    params: ParamSet, values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split CLI texts into the schema's options, parsed (keyed by the Param's name, found by
    name or flag), and the rest as given.

    Raises
    ------
    RecipeError
        Naming the option whose text the schema refuses.
    """
    parsed, rest = {}, {}
    for key, raw in values.items():
        try:
            param = params.get(key)
        except DataError:
            rest[key] = raw
            continue
        try:
            parsed[param.name] = param.parse(raw)
        except DataError as error:
            raise RecipeError.of_field(param.name, error) from None
    return parsed, rest


def check_seed(value: Any, name: str = "seed") -> None:
    """Raise :class:`RecipeError` unless ``value`` is a whole number of at least 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecipeError(f"{name}: must be a whole number of at least 0, not {value!r}.")


def resolve_split(split: SplitSpec, dataset: Dataset) -> SplitSpec:
    """``split`` made concrete for ``dataset``: "track" grouped by what names a song where songs
    repeat, else stratified (:func:`~genre_core.data.audit.track_split`); "artist" / "id" the
    detected columns; the group column checked against the table.

    Raises
    ------
    RecipeError
        Naming ``split.group_column`` when the column is not in the table.
    """
    split = track_split(split, dataset)
    if split.method != "group":
        return split
    roles = dataset.roles
    column = {"artist": roles.artist_column, "id": roles.id_column}.get(split.group_column)
    column = column or split.group_column
    try:
        group_values(dataset.frame.head(1), column)
    except DataError:
        raise RecipeError(
            f"split.group_column: group column '{split.group_column}' not in {dataset.name}; "
            f"the grouping columns found are: {', '.join(('track', *roles.groups))}."
        ) from None
    return dataclasses.replace(split, group_column=column)


__all__ = [
    "SEED",
    "DataSpec",
    "check_seed",
    "parse_options",
    "Recipe",
    "RecipeError",
    "field",
    "keep_genres",
    "merge_dataset",
    "resolve_split",
]
