"""The parts of a page's form that every job page shares: its header, the choices that follow the
dataset, a preset picker, the split and the seed, and the button that builds and starts the
page's recipe.

The split has one form on every page (keys ``<prefix>.split``, ``<prefix>.group_column``,
``<prefix>.validation``, ``<prefix>.test_size``) and becomes one
:class:`~genre_core.data.splits.SplitSpec`, read by :func:`read_split` and filled in from a
loaded recipe by :func:`put_split`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import streamlit as st

from dashboard import job_panel
from dashboard.classroom import is_locked
from dashboard.params import param_widget, read_params, widget_defaults
from dashboard.state import dataset_key, plain, show_error
from genre_core.data.audit import song_keys, split_note, track_split
from genre_core.data.dataset import Dataset
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec, Recipe, resolve_split

R = TypeVar("R", bound=Recipe)

SPLIT_TITLES = {"stratified": "random (stratified)", "group": "grouped"}
MAX_SEED = 2**31 - 1
MAX_SAMPLE = 100_000_000  # rows a sample may ask for (more than any table here)


def page_header(title: str, dataset: Dataset, text: str) -> None:
    """The page's title, and a caption naming the dataset, its rows and genres, then ``text``."""
    st.title(title)
    st.caption(
        f"{plain(dataset.name)}: {len(dataset.frame):,} rows, {dataset.class_counts.size} "
        f"genres. {text}"
    )


def follow_dataset(prefix: str, dataset: Dataset, **choices: Any) -> str:
    """Put ``choices`` (``<prefix>.<name>`` = value) into the page's widgets when the dataset is
    not the one they were made for, and where a choice is missing; return the dataset's key.

    The dataset the choices belong to is kept in ``<prefix>.dataset``.
    """
    state = st.session_state
    key = dataset_key(dataset)
    fresh = state.get(f"{prefix}.dataset") != key
    state[f"{prefix}.dataset"] = key
    for name, value in choices.items():
        if is_locked(f"{prefix}.{name}"):  # a lesson's value stays
            continue
        if fresh or f"{prefix}.{name}" not in state:
            state[f"{prefix}.{name}"] = value
    return key


def preset_picker(
    key: str,
    presets: Sequence[Any],
    format_func: Callable[[Any], str],
    on_apply: Callable[..., None],
    *,
    apply_key: str,
    label: str = "Preset",
    help: str | None = None,
    args: tuple = (),
    icon: str = ":material/tune:",
) -> None:
    """A preset's selectbox (``key``) and the "Apply preset" button (``apply_key``) calling
    ``on_apply(*args)``, which puts the preset's values into the widgets before they are drawn."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox(label, presets, key=key, format_func=format_func, help=help)
    right.button("Apply preset", key=apply_key, on_click=on_apply, args=args, icon=icon)


def group_choices(dataset: Dataset, others: bool = False) -> list[str]:
    """What a split may group by: what names a song (its id, or ``"<title> + <artist>"``),
    then the artist; with ``others``, every other column when the table has neither."""
    roles = dataset.roles
    name, _ = song_keys(dataset)
    choices = list(dict.fromkeys([*([name] if name != "features" else []), *roles.groups]))
    if others and not choices:
        choices = [c for c in dataset.frame.columns if c != roles.label]
    return choices


def honest_split(dataset: Dataset) -> dict[str, Any]:
    """The split widgets' defaults on ``dataset`` (for :func:`follow_dataset`): grouped by track
    where songs repeat, else stratified, as every recipe's default split is."""
    split = track_split(SplitSpec.by_track(), dataset)
    if split.method != "group":
        return {"split": "stratified"}
    return {"split": "group", "group_column": split.group_column}


def split_form(
    prefix: str,
    groups: Sequence[str],
    columns: Sequence[Any],
    *,
    dataset: Dataset | None = None,
    test: tuple[float, float] = (0.1, 0.4),
    validation: tuple[float, float] = (0.05, 0.4),
    validation_help: str | None = None,
) -> None:
    """The split's widgets in four ``columns``: method, group column, validation share and
    test share (``test`` and ``validation`` the sliders' ranges). A grouped split is offered
    when there is a column to group by. With ``dataset``, one line under them says why the
    split chosen is honest there (or what it costs)."""
    state = st.session_state
    if state.get(f"{prefix}.group_column") not in groups:
        state[f"{prefix}.group_column"] = groups[0] if groups else None
    locked = is_locked(f"{prefix}.split")  # a lesson's split: drawn, not changed
    method = columns[0].radio(
        "Split",
        ["stratified", *(["group"] if groups else [])],
        key=f"{prefix}.split",
        horizontal=True,
        disabled=locked,
        format_func=SPLIT_TITLES.get,
        help="Grouped: every track or artist goes whole to one side.",
    )
    columns[1].selectbox(
        "Group by",
        groups,
        key=f"{prefix}.group_column",
        disabled=method != "group" or locked,
        help="By track (its id, or its title and artist): no copy of a test song is in "
        "training, the honest default where songs repeat. By artist: no artist is on both "
        "sides, which asks whether the model knows genres or only artists; harder.",
    )
    columns[2].slider(
        "Validation share",
        *validation,
        step=0.05,
        key=f"{prefix}.validation",
        help=validation_help,
        disabled=locked,
    )
    columns[3].slider("Test share", *test, step=0.05, key=f"{prefix}.test_size", disabled=locked)
    if dataset is not None:
        try:
            split = read_split(prefix, 0)
        except DataError:
            return  # the page's own check names what is wrong with the shares
        split_caption(split, dataset)


def split_caption(split: SplitSpec, dataset: Dataset) -> None:
    """One line saying why ``split`` is honest on ``dataset``, or what it costs."""
    try:
        split = resolve_split(split, dataset)
    except DataError:
        return
    st.caption(plain(split_note(split, dataset)))


def read_split(prefix: str, seed: int) -> SplitSpec:
    """The split of the form :func:`split_form` drew (raises DataError on bad shares)."""
    state = st.session_state
    return SplitSpec.of(
        state[f"{prefix}.split"],
        state[f"{prefix}.group_column"],
        test=state[f"{prefix}.test_size"],
        validation=state[f"{prefix}.validation"],
        seed=int(seed),
    )


def put_split(prefix: str, split: SplitSpec, groups: Sequence[str]) -> None:
    """A loaded recipe's split into the form (its group column when this data has it)."""
    state = st.session_state
    state[f"{prefix}.split"] = split.method
    if split.group_column in groups:
        state[f"{prefix}.group_column"] = split.group_column
    state[f"{prefix}.validation"], state[f"{prefix}.test_size"] = split.validation, split.test


def seed_input(prefix: str, container=st) -> int:
    """The seed of the page's recipe (key ``<prefix>.seed``)."""
    return int(
        container.number_input(
            "Seed", 0, MAX_SEED, key=f"{prefix}.seed", step=1, disabled=is_locked(f"{prefix}.seed")
        )
    )


def sample_input(prefix: str, container=st) -> int | None:
    """The rows of the recipe's sample (key ``<prefix>.sample``; 0 shown, ``None`` read: all
    rows), for ``DataSpec.sample``."""
    rows = container.number_input(
        "Sample rows (0 = all)",
        0,
        MAX_SAMPLE,
        step=1000,
        key=f"{prefix}.sample",
        help="Train on a seeded sample of this many rows, stratified by genre, for a quick "
        "demonstration; more rows than the table has means all of them.",
    )
    return int(rows) or None


def built(build: Callable[[], R]) -> tuple[R | None, str | None]:
    """``(build(), None)``, or ``(None, problem)`` when the form is not a valid recipe yet."""
    try:
        return build(), None
    except DataError as error:
        return None, str(error)


def load_later(key: str) -> Callable[[Recipe], None]:
    """A recipe box's ``on_load`` keeping the recipe in ``<key>.loaded``, for
    :func:`put_loaded` to put into the widgets early in the next run."""
    return lambda loaded: st.session_state.update({f"{key}.loaded": loaded})


def put_loaded(key: str, put: Callable[[Any], None]) -> None:
    """``put(recipe)`` once for a recipe kept by :func:`load_later` (call it before the widgets
    are drawn)."""
    loaded = st.session_state.get(f"{key}.loaded")
    if loaded is not None:
        put(loaded)
        st.session_state[f"{key}.loaded"] = None


def start_button(
    key: str,
    label: str,
    recipe: R | None,
    problem: str | None,
    *,
    prepare: Callable[[R], R] | None = None,
    then: Callable[[R], None] | None = None,
    container=st,
    icon: str = ":material/play_arrow:",
    **options: Any,
) -> None:
    """The page's primary button (``<key>.start``, off while its job runs): sends the recipe to
    the job panel, or says what is wrong with it, then reruns the page.

    ``prepare(recipe)`` checks the recipe against the data (raising DataError) and returns the
    recipe to run; ``then(recipe)`` notes what the page needs once the job is started.
    ``options`` go to :func:`dashboard.job_panel.start`.
    """
    if not container.button(
        label, type="primary", key=f"{key}.start", disabled=job_panel.running(key), icon=icon
    ):
        return
    try:
        if recipe is None:
            raise DataError(problem)
        if prepare is not None:
            recipe = prepare(recipe)
        job_panel.start(key, recipe, **options)
    except DataError as error:
        show_error(str(error))
        return
    if then is not None:
        then(recipe)
    st.rerun()


def one_model_form(
    key: str,
    recipe_class: type,
    data: DataSpec,
    label: str,
    *,
    models: Sequence[str],
    icon: str,
    **options: Any,
) -> None:
    """The form of a one-model job (:class:`~genre_core.experiments.train.OneModelRecipe`):
    the model (one of ``models``) and the kind's two other options in a row, then its start
    button (``<key>.start``); ``options`` go to :func:`start_button`."""
    params = recipe_class.OPTIONS
    for name, value in widget_defaults(key, params).items():  # the schema's defaults, once
        st.session_state.setdefault(name, value)
    columns = st.columns([2, 1, 1, 2])
    model = replace(params.get("model"), choices=tuple(models))
    param_widget(model, f"{key}.model", columns[0])
    others = [p for p in params if p.name != "model"]
    for column, param in zip(columns[1:3], others, strict=True):
        param_widget(param, f"{key}.{param.name}", column)
    recipe, problem = None, None
    try:
        recipe = recipe_class(data=data, **read_params(key, params))
        recipe.check()
    except DataError as error:
        problem = str(error)
    columns[3].write("")
    start_button(key, label, recipe, problem, container=columns[3], icon=icon, **options)
