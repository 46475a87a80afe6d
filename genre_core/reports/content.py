"""What a report says about stored runs, as plain text and tables (no HTML, no figures).

Everything here reads a :class:`~genre_core.runs.history.RunDetails` and returns sentences,
DataFrames or small dataclasses that :mod:`genre_core.reports.html` lays out.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from genre_core.data.features import ARTIST_WARNING, PROFILE_WARNING
from genre_core.errors import DataError
from genre_core.metrics import compare
from genre_core.metrics.evaluation import per_genre_table
from genre_core.runs.history import RunDetails
from genre_core.runs.records import SCORE, flat_params, split_label

KIND_WORDS = {
    "train": "a classical model, fitted on the training part and tested once on the test part",
    "grid": "a classical model chosen by a cross-validated grid search",
    "net": "a neural network, trained epoch by epoch, validated after each epoch and tested "
    "once on the test part",
    "transfer": "a network trained on some genres and then taught one more (transfer learning)",
    "bayes": "a Bayesian model: a posterior fitted (SVI or NUTS) and its predictions tested on "
    "held-out rows",
    "search": "the best configuration of a hyperparameter search, trained again",
}
RUN_KINDS = {"classical": "train", "network": "net", "bayes": "bayes"}

# metric key -> its name in a report; the others are listed after these under their own key
METRIC_TITLES = {
    "accuracy": "Accuracy",
    "f1_macro": "Macro F1",
    "balanced_accuracy": "Balanced accuracy",
    "top2_accuracy": "Top-2 accuracy",
    "precision_macro": "Macro precision",
    "recall_macro": "Macro recall",
    "f1_weighted": "Weighted F1",
    "f2_macro": "Macro F2",
    "log_loss": "Log loss",
    "ece": "Expected calibration error",
    "mean_entropy": "Mean predictive entropy",
    "train_accuracy": "Training accuracy (re-evaluated at the end)",
    "validation_accuracy": "Validation accuracy",
    "gap": "Training − held-out accuracy",
    "fit_seconds": "Fit time (s)",
    "precision_weighted": "Weighted precision",
    "recall_weighted": "Weighted recall",
    "epochs": "Epochs",
    "kept_epoch": "Epoch of the kept weights",
}
INTERVAL = ("_ci_low", "_ci_high")
SCORE_PREFIX = SCORE  # a stored prediction's probability of a genre: column "proba.<genre>"
NO_SCORES = (
    "This run stored each test row's predicted genre but not the model's scores (class "
    "probabilities), so precision-recall curves cannot be drawn for it; the per-genre "
    "precision and recall below come from the predictions."
)
NO_CURVES = {
    "classical": "A classical model is fitted in one go: it has no epochs, so no learning curve.",
    "": "This run stored no per-epoch or per-step numbers, so there is no learning curve.",
}
SETTINGS_SKIPPED = ("kind", "version", "log")


# ---- the recipe in words ------------------------------------------------------------------------


def _listed(values: Sequence, limit: int = 12) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _setting_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "—"
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def recipe_kind(details: RunDetails) -> str:
    """The kind of job that made the run (``train``, ``net``, ``bayes``, ...)."""
    found = details.tags.get("recipe_kind") or (details.recipe or {}).get("kind")
    return str(found or RUN_KINDS.get(details.tags.get("kind", ""), ""))


def _present(value) -> bool:
    """Whether a setting says something (stored parameters come back as text: "None", "")."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value.strip() not in ("", "None", "none", "False")
    if isinstance(value, (list, tuple)):
        return bool(value)
    return True


def _items(value) -> list[str]:
    """A list as a recipe (a list) or a run's parameters (``"pop, rap"``) hold it."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or ()]


def recipe_in_words(details: RunDetails) -> list[str]:
    """The run's recipe as sentences: what was trained, on which data, split, features and
    settings. Without a stored recipe, the same sentences from the parameters the run stored."""
    recipe = details.recipe or {}
    params = details.params
    data = recipe.get("data") or {}
    model = details.tags.get("model") or params.get("model") or "the model"
    lines = [f"{model}: {KIND_WORDS.get(recipe_kind(details), 'a model trained by Genre Lab')}."]
    if details.recipe is None:
        lines.append(
            "The run was stored without its recipe (runs logged by older versions have none): "
            "these words come from the settings it stored."
        )
    text = f"Data: {data.get('source') or details.tags.get('dataset') or '?'}"
    if data.get("sha256"):
        text += f" (the file with sha256 {str(data['sha256'])[:12]}…)"
    if data.get("label"):
        text += f", genre column '{data['label']}'"
    lines.append(text + ".")
    features = _items(data.get("features") or params.get("features"))
    if features:
        lines.append(f"Numeric features: {_listed(features)}.")
    if data.get("merge"):
        merged = {k: v for k, v in data["merge"].items() if v is not None}
        dropped = [k for k, v in data["merge"].items() if v is None]
        text = f"Genres merged by a map of {len(merged)} genre(s) into {len(set(merged.values()))}"
        lines.append(text + (f"; {len(dropped)} genre(s) dropped." if dropped else "."))
    genres = _items(data.get("genres") or params.get("genres"))
    lines.append(f"Genres kept: {_listed(genres)}." if genres else "All genres kept.")
    sample = data.get("sample") or params.get("rows")
    if _present(sample):
        lines.append(f"Trained on a seeded sample of {int(sample):,} rows, by genre.")
    split = recipe.get("split") if details.recipe is not None else _split_fields(details)
    if isinstance(split, Mapping) and split:
        seed = split.get("seed")
        lines.append(
            f"Split: {split_label(split)}" + (f", seed {seed}." if _present(seed) else ".")
        )
    elif recipe.get("n_train"):
        lines.append(
            f"Rows: {int(recipe['n_train']):,} for training and {int(recipe.get('n_test') or 0):,} "
            f"for testing, drawn with seed {recipe.get('seed', 0)}."
        )
    feature_set = recipe.get("feature_set") or params.get("feature_set")
    if feature_set:
        artist = recipe.get("artist") or _present(params.get("artist"))
        prep = [
            f"{k} {recipe.get(k) or params.get(f'prep.{k}')}"
            for k in ("imputer", "scaler")
            if recipe.get(k) or params.get(f"prep.{k}")
        ]
        text = f"Feature set: {feature_set}" + (" + artist" if artist else "")
        lines.append(text + (f"; preparation: {', '.join(prep)}." if prep else "."))
    if recipe.get("preset"):
        lines.append(f"Preset: {recipe['preset']}.")
    if recipe.get("cv_folds"):
        lines.append(f"Cross-validated with {recipe['cv_folds']} folds on the training part.")
    trained = {k[7:]: v for k, v in params.items() if k.startswith("params.")}
    settings = trained or recipe.get("params")
    if isinstance(settings, Mapping) and settings:
        pairs = [f"{k}={_setting_text(v)}" for k, v in settings.items() if _present(v)]
        what = "Model settings as trained" if trained else "Model settings"
        lines.append(f"{what}: {_listed(pairs, 14)} (every setting is listed below).")
    models = recipe.get("models") or []
    if len(models) > 1:
        names = [m.get("name", "?") for m in models]
        lines.append(f"The recipe trained {len(models)} models ({_listed(names)}); this is one.")
    return lines


def recipe_settings(details: RunDetails) -> pd.DataFrame:
    """Every setting of the recipe (or, without one, every stored parameter) as rows
    ``setting``, ``value``."""
    if details.recipe is not None:
        body = {k: v for k, v in details.recipe.items() if k not in SETTINGS_SKIPPED}
        flat = flat_params(body)
    else:
        flat = dict(details.params)
    rows = [(k, _setting_text(v)) for k, v in sorted(flat.items())]
    return pd.DataFrame(rows, columns=["setting", "value"])


# ---- data and audit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataNote:
    """What a report says about a run's data: its size, genres, audit and shortcuts."""

    dataset: str
    genres: tuple[str, ...]
    test_rows: int
    rows: int | None = None
    audit: tuple[str, ...] = ()
    audit_missing: str = ""  # why there is no audit ("" when there is one)
    shortcuts: tuple[str, ...] = field(default_factory=tuple)
    grouped_by: str = ""  # the column a grouped split keeps on one side ("" for a random one)


def _data_spec(details: RunDetails):
    from genre_core.experiments.recipe import DataSpec

    data = dict((details.recipe or {}).get("data") or {})
    if not data:
        data = {"source": details.tags.get("dataset", "")}
    for key in ("features", "text", "genres"):
        data[key] = tuple(data.get(key) or ())
    known = DataSpec.__dataclass_fields__
    return DataSpec(**{k: v for k, v in data.items() if k in known})


def load_run_data(details: RunDetails):
    """The table the run was trained on (its recipe's data: roles, merges and genres applied),
    read only from this machine (never downloaded).

    Raises
    ------
    DataError
        Saying why it cannot be read here (not on this machine, another file, unknown).
    """
    from genre_core.data.dataset import load_dataset
    from genre_core.data.registry import DATASETS

    spec = _data_spec(details)
    if not spec.source:
        raise DataError("the run does not name its dataset.")
    if spec.source in DATASETS:
        base = load_dataset(spec.source, allow_download=False)
    else:
        base = spec.load_base()
    return spec.apply(base)


def _test_fraction(details: RunDetails) -> float:
    split = (details.recipe or {}).get("split")
    if isinstance(split, Mapping) and split.get("test"):
        return float(split["test"])
    try:
        return float(details.params.get("split.test", 0.3))
    except ValueError:
        return 0.3


def _split_fields(details: RunDetails) -> dict:
    split = (details.recipe or {}).get("split")
    if isinstance(split, Mapping):
        return dict(split)
    return {
        k.removeprefix("split."): v for k, v in details.params.items() if k.startswith("split.")
    }


def data_note(details: RunDetails, audits: dict | None = None) -> DataNote:
    """The run's data in a report: dataset, genres, test rows, the audit of duplicates and
    leakage (when the data file is on this machine; else the reason) and its shortcuts.

    ``audits`` caches audits by data spec across the runs of one report.
    """
    from genre_core.data.audit import audit
    from genre_core.data.shortcuts import find_shortcuts

    dataset = details.tags.get("dataset") or _data_spec(details).name or "?"
    test_rows = int(details.tags.get("n_test", 0) or len(details.predictions))
    key = repr((_data_spec(details), _test_fraction(details)))
    cache = audits if audits is not None else {}
    if key not in cache:
        try:
            table = load_run_data(details)
            cache[key] = (audit(table, _test_fraction(details)), find_shortcuts(table))
        except (DataError, OSError) as error:
            cache[key] = f"The audit needs the data file, which cannot be read here: {error}"
    found, detected = (cache[key], []) if isinstance(cache[key], str) else cache[key]
    split = _split_fields(details)
    grouped = split.get("method") == "group"
    report = None if isinstance(found, str) else found
    return DataNote(
        dataset,
        details.classes,
        test_rows,
        rows=None if report is None else report.rows,
        audit=() if report is None else tuple(report.summary()),
        audit_missing=found if report is None else "",
        shortcuts=tuple(
            _shortcuts(details, grouped, split.get("group_column"), report)
            + _detected(details, detected)
        ),
        grouped_by=str(split.get("group_column") or "") if grouped else "",
    )


def _shortcuts(details: RunDetails, grouped: bool, column, found) -> list[str]:
    """What lets a model score well here without generalising: the artist (or its profile)
    as a feature without a split grouped by artist, and songs repeated across a random split."""
    recipe = details.recipe or {}
    by_artist = grouped and column and "artist" in str(column).lower()
    out = []
    for name, param, warning in (
        ("artist", "artist", ARTIST_WARNING),
        ("artist_profile", "profile", PROFILE_WARNING),
    ):
        # the recipe's switch, or the column the run's model read (stored without a recipe)
        stored = str(details.params.get(param) or "").lower()
        used = recipe.get(name) or stored not in ("", "none", "false")
        if used and not by_artist:
            out.append(warning)
    if found is not None and found.duplicate_ids and not grouped:
        share = found.expected_leaked_test_rows / max(found.rows * found.test_fraction, 1)
        out.append(
            f"Leakage: the split is random and {found.duplicate_ids:,} songs appear more than "
            f"once, so about {share:.1%} of the test rows have the same song in training; the "
            "test score flatters the model. A split grouped by the track id (or artist) avoids it."
        )
    return out


def _detected(details: RunDetails, found) -> list[str]:
    """The shortcut detector's findings (:mod:`genre_core.data.shortcuts`) in the features
    this run learnt from; songs across a random split are said by :func:`_shortcuts`."""
    features = set(_items((details.recipe or {}).get("data", {}).get("features")))
    features |= set(_items(details.params.get("features")))
    return [
        f"Shortcut ({s.kind}) in a feature of this run: {s.sentence()}"
        for s in found
        if s.kind != "same-song" and s.feature in features
    ]


def no_shortcut_text(note: DataNote) -> str:
    """The sentence saying why a run without shortcuts has none."""
    if note.grouped_by:
        return (
            f"No shortcut found: the split is grouped by {note.grouped_by} (none on both "
            "sides), and the artist is a feature only if the groups are artists."
        )
    if note.audit:
        return "No shortcut found: no song repeats in the table and the artist is not a feature."
    return "Without the audit only the features were checked: the artist is not one of them."


# ---- metrics ------------------------------------------------------------------------------------


def metrics_table(details: RunDetails) -> pd.DataFrame:
    """The run's final metrics with their 95% bootstrap intervals where stored: columns
    ``metric``, ``key``, ``value``, ``low``, ``high``."""
    metrics = details.metrics
    interval_keys = {k for k in metrics if k.endswith(INTERVAL)}
    keys = [k for k in METRIC_TITLES if k in metrics]
    keys += sorted(k for k in metrics if k not in METRIC_TITLES and k not in interval_keys)
    rows = [
        {
            "metric": METRIC_TITLES.get(k, k),
            "key": k,
            "value": metrics[k],
            "low": metrics.get(k + INTERVAL[0], np.nan),
            "high": metrics.get(k + INTERVAL[1], np.nan),
        }
        for k in keys
    ]
    return pd.DataFrame(rows, columns=["metric", "key", "value", "low", "high"])


def stored_scores(details: RunDetails) -> np.ndarray | None:
    """The test rows' class probabilities, when the run stored them (one ``proba.<genre>``
    column per genre in its predictions); ``None`` otherwise."""
    columns = [SCORE_PREFIX + g for g in details.classes]
    if not details.classes or not set(columns) <= set(details.predictions.columns):
        return None
    scores = details.predictions[columns].to_numpy(dtype=float)
    return scores if np.isfinite(scores).all() else None


def true_and_predicted(details: RunDetails) -> tuple[np.ndarray, np.ndarray]:
    """The test rows' true and predicted genres; from the confusion matrix when the run kept
    no predictions (each cell's count repeated)."""
    if len(details.predictions):
        frame = details.predictions
        return frame["true"].astype(str).to_numpy(), frame["pred"].astype(str).to_numpy()
    classes = np.asarray(details.classes, dtype=object)
    counts = np.asarray(details.confusion, dtype=int)
    n = len(classes)
    true = np.repeat(np.repeat(classes, n), counts.ravel())
    pred = np.repeat(np.tile(classes, n), counts.ravel())
    return true.astype(str), pred.astype(str)


def per_genre(details: RunDetails) -> pd.DataFrame:
    """Precision, recall, F1, F2 and support per genre (and PR-AUC/ROC-AUC with scores)."""
    if not details.classes:
        return pd.DataFrame(columns=["genre", "precision", "recall", "f1", "f2", "support"])
    true, pred = true_and_predicted(details)
    return per_genre_table(true, pred, stored_scores(details), details.classes)


# ---- McNemar's test for pairs -------------------------------------------------------------------


@dataclass(frozen=True)
class PairTest:
    """McNemar's test of two runs, or why it cannot be done (``test`` None, ``reason``)."""

    a: str  # run ids
    b: str
    test: compare.McNemar | None
    reason: str = ""


def pair_tests(runs: Sequence[RunDetails]) -> list[PairTest]:
    """McNemar's test for every pair of ``runs`` (in their order); a pair tested on other
    rows gets the reason instead."""
    out = []
    for a, b in itertools.combinations(runs, 2):
        try:
            paired = compare.paired_predictions(
                a.predictions, b.predictions, a.test_hash, b.test_hash
            )
            test = compare.mcnemar_counts(paired["true"], paired["pred_a"], paired["pred_b"])
        except DataError as error:
            out.append(PairTest(a.run_id, b.run_id, None, str(error)))
            continue
        out.append(PairTest(a.run_id, b.run_id, test))
    return out


def run_label(details: RunDetails) -> str:
    """A run's name with the start of its id, as the Compare page names it."""
    return f"{details.name} ({details.run_id[:6]})"
