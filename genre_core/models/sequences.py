"""Recurrent networks: the seeds' LSTMs over the feature sequence, and a title model.

Three kinds of :class:`~genre_core.models.networks.NetClassifier` (its ``kind`` setting) live
here; each reads the same float matrix an MLP reads, so skorch training, the live epoch
records, Stop, early stopping, learning-rate schedules, clipping and safetensors checkpoints
work unchanged.

``"feature_sequence"``
    Every prepared feature is one timestep of width 1, in the order of the feature list
    ("Using RNN To Predict Music Track Genre": Dense(250) then LSTM(80); LSTM(80) then
    LSTM(150)). The report never shows how it shaped the input; this is the reading in which
    an LSTM over tabular features is a sequence at all. ``"input_sequence"`` is the other one.
``"input_sequence"``
    The whole input row is a sequence of one timestep ("Deep Learning - Cas d'étude",
    MLP_MODIF_TEXT, Fig. 5: ``LSTM(397, 64, batch_first=True)`` over 13 numeric features
    plus the 384-d title embedding; 397 = 13 + 384 leaves no room for a longer sequence).
``"title"``
    An LSTM or GRU over the title's words (track name + album name), its last hidden state
    concatenated with an MLP body over the numeric features, then the output layer.

Titles are tokenised by :class:`TitleVocabulary`, a word vocabulary built from the training
rows' titles only (``<pad>`` 0, ``<oov>`` 1), not by MiniLM's WordPiece ids: its embedding
table has at most a few thousand rows instead of 30,522 (dense Adam updates every row on
every step), it needs no optional package, and it holds the dataset's own telling words
("remix", "feat", "live", "remastered") whole. Words seen only outside the training rows
map to ``<oov>``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from genre_core.errors import DataError
from genre_core.models.layers import activation_layer, build_mlp
from genre_core.models.presets import FEATURE_SETS, NET_KINDS, RNN_CELLS

PAD, OOV = 0, 1
_WORD = re.compile(r"[^\W_]+(?:['.][^\W_]+)*", re.UNICODE)


# ---- modules ----------------------------------------------------------------------------------


def _recurrent(cell: str, width: int, units: Sequence[int]) -> nn.ModuleList:
    if cell not in RNN_CELLS:
        raise DataError(f"unknown recurrent cell '{cell}'; choose lstm or gru.")
    units = [int(u) for u in units]
    if not units or any(u < 1 for u in units):
        raise DataError("a recurrent network needs at least one recurrent layer of 1+ units.")
    kind = nn.LSTM if cell == "lstm" else nn.GRU
    layers = []
    for size in units:
        layers.append(kind(width, size, batch_first=True))
        width = size
    return nn.ModuleList(layers)


def _last_state(layers: nn.ModuleList, x) -> torch.Tensor:
    """Run stacked layers (each one sees the previous one's whole output sequence) and return
    the last layer's final hidden state; ``x`` may be a packed sequence."""
    for layer in layers:
        x, state = layer(x)
    hidden = state[0] if isinstance(state, tuple) else state
    return hidden[-1]


class SequenceNet(nn.Module):
    """A recurrent stack over the input row, then an MLP head.

    Parameters
    ----------
    steps
        ``"features"``: a ``(batch, n_features, 1)`` sequence; ``"input"``: ``(batch, 1,
        n_features)``.
    step_units
        Units of a Dense layer applied to every timestep before the recurrent stack (Keras'
        ``Dense`` on a 3-d input), followed by the activation; 0: none.
    rnn_units
        Units of each stacked recurrent layer.
    head
        Keyword arguments of :func:`~genre_core.models.layers.build_mlp` for the layers after the
        last hidden state (``hidden=()``: the output layer only).
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        *,
        steps: str,
        cell: str,
        rnn_units: Sequence[int],
        step_units: int,
        head: Mapping[str, Any],
    ):
        super().__init__()
        if n_features < 1 or n_classes < 2:
            raise DataError("a network needs at least one feature and two genres.")
        self.steps = steps
        width = n_features if steps == "input" else 1
        if step_units:
            self.step = nn.Linear(width, int(step_units))
            self.step_act = activation_layer(head["activation"], head["leaky_slope"])
            width = int(step_units)
        else:
            self.step = None
        self.rnn = _recurrent(cell, width, rnn_units)
        self.head = build_mlp(int(rnn_units[-1]), n_classes, **head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(-1) if self.steps == "features" else x.unsqueeze(1)
        if self.step is not None:
            x = self.step_act(self.step(x))
        return self.head(_last_state(self.rnn, x))


class TitleNet(nn.Module):
    """Numeric MLP body and a recurrent summary of the title's words, fused before the output.

    The input row holds ``n_numeric`` prepared numeric features, then ``title_length`` word
    ids (0 pads the end). Each title is packed to its own length, so padding never reaches
    the recurrent layers; an empty title reads as one ``<pad>`` step.
    """

    def __init__(
        self,
        n_numeric: int,
        n_classes: int,
        *,
        title_length: int,
        vocab_size: int,
        embed_dim: int,
        cell: str,
        rnn_units: Sequence[int],
        body: Mapping[str, Any],
    ):
        super().__init__()
        if n_numeric < 1 or n_classes < 2:
            raise DataError("the title model needs at least one numeric feature and two genres.")
        if title_length < 1 or vocab_size < 2 or embed_dim < 1:
            raise DataError("the title model needs 1+ title words, 2+ vocabulary, 1+ dims.")
        self.n_numeric = int(n_numeric)
        mlp = build_mlp(n_numeric, n_classes, **body)
        self.body = mlp[:-1]  # every hidden layer, named fc1, act1...; no output layer
        body_width = body["hidden"][-1] if body["hidden"] else n_numeric
        self.embed = nn.Embedding(int(vocab_size), int(embed_dim), padding_idx=PAD)
        self.rnn = _recurrent(cell, int(embed_dim), rnn_units)
        self.out = nn.Linear(int(body_width) + int(rnn_units[-1]), n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        numeric = self.body(x[:, : self.n_numeric])
        ids = x[:, self.n_numeric :].round().long().clamp(0, self.embed.num_embeddings - 1)
        lengths = (ids != PAD).sum(dim=1).clamp(min=1)
        packed = pack_padded_sequence(
            self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        return self.out(torch.cat([numeric, _last_state(self.rnn, packed)], dim=1))


def build_sequence_net(settings: Mapping[str, Any], n_features: int, n_classes: int) -> nn.Module:
    """The module of a non-MLP ``NetClassifier`` from its ``architecture()`` dict."""
    kind = settings["kind"]
    mlp = {k: settings[k] for k in ("hidden", "activation", "batch_norm", "dropout")}
    mlp |= {"dropout_first": settings["dropout_first"], "leaky_slope": settings["leaky_slope"]}
    common = {"cell": settings["rnn_cell"], "rnn_units": settings["rnn_units"]}
    if kind in ("feature_sequence", "input_sequence"):
        return SequenceNet(
            n_features,
            n_classes,
            steps="features" if kind == "feature_sequence" else "input",
            step_units=int(settings["step_units"]),
            head=mlp,
            **common,
        )
    if kind == "title":
        length = int(settings["title_length"])
        return TitleNet(
            n_features - length,
            n_classes,
            title_length=length,
            vocab_size=int(settings["vocab_size"]),
            embed_dim=int(settings["embed_dim"]),
            body=mlp,
            **common,
        )
    raise DataError(f"unknown network kind '{kind}'; choose one of {', '.join(NET_KINDS)}.")


# ---- titles as words --------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower-cased words of a title; apostrophes and dots inside a word are kept."""
    return _WORD.findall(str(text).lower())


@dataclass(frozen=True)
class TitleVocabulary:
    """The most frequent training words; id 0 pads, id 1 stands for every other word."""

    words: tuple[str, ...]
    length: int

    @classmethod
    def fit(
        cls, texts: Sequence[str], *, max_words: int = 5000, min_count: int = 2, length: int = 16
    ) -> TitleVocabulary:
        counts = Counter(w for t in texts for w in words(t))
        kept = sorted(
            (w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w)
        )
        return cls(tuple(kept[: max(0, int(max_words))]), int(length))

    @property
    def size(self) -> int:
        return len(self.words) + 2

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), length)`` word ids, truncated or padded with 0 at the end."""
        index = {w: i + 2 for i, w in enumerate(self.words)}
        out = np.zeros((len(texts), self.length), dtype=np.float64)
        for row, text in enumerate(texts):
            ids = [index.get(w, OOV) for w in words(text)[: self.length]]
            out[row, : len(ids)] = ids
        return out


# ---- preparing the blocks ---------------------------------------------------------------------


class BlockPrep(TransformerMixin, BaseEstimator):
    """The numeric block through ``numeric`` (imputer + scaler); the rest standardised
    (``rest="standard"``, title embeddings) or left as they are (``"identity"``, word ids)."""

    def __init__(self, numeric=None, n_numeric: int = 0, rest: str = "identity"):
        self.numeric = numeric
        self.n_numeric = n_numeric
        self.rest = rest

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.numeric_ = clone(self.numeric).fit(X[:, : self.n_numeric])
        self.rest_ = (
            StandardScaler().fit(X[:, self.n_numeric :]) if self.rest == "standard" else None
        )
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=float)
        rest = X[:, self.n_numeric :]
        if self.rest_ is not None:
            rest = self.rest_.transform(rest)
        return np.hstack([self.numeric_.transform(X[:, : self.n_numeric]), rest])

    def rest_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fill, shift and multiplier of the non-numeric block (see ``checkpoints``)."""
        width = self.n_features_in_ - self.n_numeric
        if self.rest_ is None:
            return np.zeros(width), np.zeros(width), np.ones(width)
        return np.zeros(width), self.rest_.mean_.astype(float), 1.0 / self.rest_.scale_


def title_block(frame: pd.DataFrame, inputs: Mapping[str, Any], progress=None) -> np.ndarray:
    """The columns an ``inputs`` description adds after the numeric features of ``frame``."""
    from genre_core.data.embeddings import embed_texts, title_texts

    texts = title_texts(frame, inputs["text"])
    if inputs["titles"] == "tokens":
        return TitleVocabulary(tuple(inputs["words"]), int(inputs["length"])).encode(texts)
    return embed_texts(texts, progress=progress).astype(float)


def block_width(inputs: Mapping[str, Any] | None) -> int:
    """How many columns ``title_block`` adds (0 without titles)."""
    if not inputs:
        return 0
    if inputs["titles"] == "tokens":
        return int(inputs["length"])
    from genre_core.data.embeddings import DIMENSIONS

    return DIMENSIONS


def title_inputs(
    table: pd.DataFrame,
    X: np.ndarray,
    train_rows,
    *,
    kind: str,
    feature_set: str,
    text: Sequence[str],
    params: dict,
    prep,
    progress: Callable[[dict], None] | None = None,
) -> tuple[np.ndarray, BlockPrep, dict, dict]:
    """Append the title block to the numeric matrix ``X`` of ``table``.

    The title model gets word ids (vocabulary from the ``train_rows`` titles only; its size
    and the title length go into ``params``); other kinds with ``feature_set="numeric+text"``
    get the 384-d sentence embeddings, standardised on the training rows.

    Returns
    -------
    tuple
        The wider matrix, its preparation, the updated params and the ``inputs`` description
        that a checkpoint keeps to rebuild the block for new tracks.
    """
    if not text:
        raise DataError(
            "this network reads the titles, but the dataset has no title column: choose one "
            "(e.g. track_name) under Roles on the Data page."
        )
    from genre_core.data.embeddings import title_texts

    params = dict(params)
    if kind == "title":
        texts = title_texts(table, text)
        vocab = TitleVocabulary.fit(
            [texts[i] for i in np.asarray(train_rows)],
            max_words=int(params.get("vocab_size") or 5002) - 2,
            length=int(params.get("title_length") or 16),
        )
        inputs = {"titles": "tokens", "text": list(text), "words": list(vocab.words)}
        inputs["length"] = vocab.length
        params |= {"title_length": vocab.length, "vocab_size": vocab.size}
        block, rest = vocab.encode(texts), "identity"
    elif feature_set == "numeric+text":
        inputs = {"titles": "embedding", "text": list(text)}

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress({"stage": "embed", "done": done, "total": total})

        block, rest = title_block(table, inputs, report), "standard"
    else:
        raise DataError(f"unknown feature set '{feature_set}'; use {' or '.join(FEATURE_SETS)}.")
    wide = np.hstack([X, block])
    return wide, BlockPrep(prep, X.shape[1], rest), params, inputs


class WithTitles:
    """A fitted pipeline that reads numeric features, with the title block of ``frame``
    appended (what :func:`genre_core.experiments.predict.predict_table` needs to predict with
    it)."""

    def __init__(self, pipeline, frame: pd.DataFrame, inputs: Mapping[str, Any]):
        self.pipeline = pipeline
        self.block = title_block(frame, inputs)
        self.classes_ = pipeline.classes_

    def predict_proba(self, X) -> np.ndarray:
        return self.pipeline.predict_proba(np.hstack([np.asarray(X, dtype=float), self.block]))


def check_inputs(inputs: Any, name: str = "the file") -> dict | None:
    """A checkpoint's ``inputs`` description, validated (it comes from a user's file)."""
    if inputs is None:
        return None
    bad = DataError(f"{name}'s config has an invalid 'inputs' (the title block).")
    if not isinstance(inputs, dict) or inputs.get("titles") not in ("tokens", "embedding"):
        raise bad
    text = inputs.get("text")
    if not isinstance(text, list) or not text or not all(isinstance(t, str) for t in text):
        raise bad
    if inputs["titles"] == "tokens":
        vocabulary, length = inputs.get("words"), inputs.get("length")
        if not isinstance(vocabulary, list) or not all(isinstance(w, str) for w in vocabulary):
            raise bad
        if not isinstance(length, int) or not 1 <= length <= 512:
            raise bad
    return inputs
