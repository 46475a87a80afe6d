"""Merging genres: maps the user edits, keyword rules, built-in maps and suggestions.

(The merge curve, which trains a model at each merge, is a kind of job:
:mod:`genre_core.experiments.merge_curve`.)

A merge map sends a genre name to a new name, or to ``None`` to drop its rows. Built-in maps
are derived from the data themselves, never typed in: spotify-30k's subgenres from the rows
that carry both labels, and the Wikidata genres of spotify-youtube from the rows that
"The Genre Factor" kept in its consolidated table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage

from genre_core.errors import DataError

MergeMap = dict[str, "str | None"]

GENRE_FACTOR_SIX = ("hip hop", "rock", "pop", "electronic", "metal", "classic")


def keyword_map(genres: Iterable[str], rules: Sequence[tuple[str, str]]) -> MergeMap:
    """Apply keyword rules: every genre containing a rule's keyword becomes its target.

    Rules are tried in order and the first match wins (so "hip hop" can be listed before
    "pop"); keywords match whole words, ignoring case. Genres no rule matches are left out.

    Examples
    --------
    >>> keyword_map(["k-pop", "indie pop", "rock"], [("pop", "pop")])
    {'k-pop': 'pop', 'indie pop': 'pop'}
    """
    compiled = []
    for keyword, target in rules:
        keyword = keyword.strip()
        if not keyword or not str(target).strip():
            raise DataError("a merge rule needs a keyword and a target genre.")
        compiled.append((re.compile(rf"(?<![\w]){re.escape(keyword)}(?![\w])", re.I), target))
    mapping: MergeMap = {}
    for genre in genres:
        for pattern, target in compiled:
            if pattern.search(str(genre)):
                mapping[str(genre)] = target
                break
    return mapping


def parse_rules(text: str) -> list[tuple[str, str]]:
    """Rules typed one per line as ``keyword -> new genre`` (``pop -> pop``, ``hip hop -> rap``).

    The form is named in the same words as the Merge page's instructions."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "->" not in line:
            raise DataError(f"merge rule on line {number} needs the form 'keyword -> new genre'.")
        keyword, target = (part.strip() for part in line.split("->", 1))
        if not keyword or not target:
            raise DataError(f"merge rule on line {number} has an empty keyword or new genre.")
        rules.append((keyword, target))
    return rules


def apply_map(labels: pd.Series, mapping: Mapping[str, str | None]) -> pd.Series:
    """Relabel through ``mapping``; genres mapped to ``None`` become missing (rows to drop)."""
    return labels.map(lambda g: mapping[g] if g in mapping else g).astype("string")


def subgenre_map(frame: pd.DataFrame, subgenre: str, genre: str) -> MergeMap:
    """Each subgenre to the genre most of its rows carry (spotify-30k: 24 subgenres to 6)."""
    pairs = frame[[subgenre, genre]].dropna()
    if pairs.empty:
        raise DataError(f"no row carries both '{subgenre}' and '{genre}'.")
    top = pairs.groupby(subgenre, sort=True)[genre].agg(lambda s: s.value_counts().index[0])
    return {str(k): str(v) for k, v in top.items()}


def consolidation_map(
    raw: pd.DataFrame, consolidated: pd.DataFrame, key: str, label: str
) -> MergeMap:
    """The map a consolidated table implies: join it to the raw table on ``key``.

    Raw genres whose rows were all left out of the consolidated table map to ``None``.

    Raises
    ------
    DataError
        When one raw genre was consolidated into two different genres.
    """
    left = raw[[key, label]].assign(**{key: pd.to_numeric(raw[key], errors="coerce")})
    right = consolidated[[key, label]].assign(
        **{key: pd.to_numeric(consolidated[key], errors="coerce")}
    )
    joined = left.merge(right, on=key, suffixes=("_raw", "_merged"))
    targets = joined.groupby(f"{label}_raw")[f"{label}_merged"].unique()
    ambiguous = [g for g, t in targets.items() if len(t) > 1]
    if ambiguous:
        raise DataError(f"raw genre '{ambiguous[0]}' was consolidated into several genres.")
    mapping: MergeMap = {str(g): str(t[0]) for g, t in targets.items()}
    for genre in left[label].dropna().unique():
        mapping.setdefault(str(genre), None)
    return mapping


def restrict(mapping: Mapping[str, str | None], keep: Iterable[str]) -> MergeMap:
    """The same map with every target outside ``keep`` dropped (e.g. to the Genre Factor six)."""
    kept = set(keep)
    return {g: (t if t in kept else None) for g, t in mapping.items()}


def confusion_clusters(
    confusion: np.ndarray, classes: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """How often two genres are taken for each other, and the clustering built on it.

    Returns
    -------
    similarity
        ``S = (C + Cᵀ) / 2`` of the row-normalised confusion matrix ``C``, diagonal 0: the
        share of each genre's rows predicted as the other, averaged over both directions.
    linkage
        SciPy's average-linkage matrix on the distance ``1 - S`` (what
        :func:`merge_suggestions` reads and the print figures' clustermap draws).

    Raises
    ------
    DataError
        For a matrix that is not square over ``classes`` or has fewer than two genres.
    """
    counts = np.asarray(confusion, dtype=float)
    if counts.shape != (len(classes), len(classes)) or len(classes) < 2:
        raise DataError("merge suggestions need a square confusion matrix of two genres or more.")
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    similarity = (rates + rates.T) / 2
    np.fill_diagonal(similarity, 0)
    distance = 1 - similarity[np.triu_indices(len(classes), k=1)]
    return similarity, linkage(distance, method="average")


def merge_suggestions(
    confusion: np.ndarray, classes: Sequence[str]
) -> list[tuple[str, str, float]]:
    """Pairs of genres to merge, most confused first, by hierarchical clustering.

    The confusion matrix is row-normalised and symmetrised, ``S = (C + Cᵀ) / 2``; genres are
    clustered with average linkage on the distance ``1 - S``. Each returned step names one
    genre of each merged cluster (the largest by rows) and the similarity at which they merge.
    """
    counts = np.asarray(confusion, dtype=float)
    _, steps = confusion_clusters(counts, classes)
    sizes = counts.sum(axis=1)

    def name(group: list[int]) -> str:
        return classes[max(group, key=lambda i: sizes[i])]

    members: list[list[int]] = [[i] for i in range(len(classes))]
    suggestions = []
    for a, b, dist, _ in steps:
        left, right = members[int(a)], members[int(b)]
        suggestions.append((name(left), name(right), float(1 - dist)))
        members.append(left + right)
    return suggestions


def wikidata_maps() -> tuple[MergeMap, MergeMap]:
    """spotify-youtube's 397 raw Wikidata genres to its 27 consolidated ones, and to the six
    of "The Genre Factor", both as the consolidated table implies (needs both files)."""
    from genre_core.data.dataset import load_dataset

    raw = load_dataset("spotify-youtube-raw").frame
    consolidated = load_dataset("spotify-youtube").frame
    broad = consolidation_map(raw, consolidated, "Unnamed: 0", "Genre")
    return broad, restrict(broad, GENRE_FACTOR_SIX)
