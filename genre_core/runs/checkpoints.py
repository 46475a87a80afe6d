"""Trained networks as files: safetensors tensors plus a JSON config, never a pickle.

One ``.safetensors`` file holds the network's weights (``net.*``), its preparation as three
vectors (``prep.fill`` for missing values, then ``(x - prep.shift) * prep.mult``) and, in the
header's ``__metadata__["genre_lab"]``, a JSON config: format, architecture, features, genres
and training settings. Reading it parses JSON and raw numbers only.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from genre_core.errors import DataError
from genre_core.models.networks import NetClassifier, check_architecture
from genre_core.models.sequences import BlockPrep, block_width, check_inputs

FORMAT = "genre-lab-network/1"
MAX_BYTES = 200 * 1024 * 1024
MAX_DEPTH = 32  # JSON nesting of a header or config; a network's needs 4
_MAX_HEADER = 10 * 1024 * 1024
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPENERS, _CLOSERS = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


class AffinePrep(TransformerMixin, BaseEstimator):
    """A fitted preparation read back from a file: fill gaps, then ``(x - shift) * mult``."""

    def __init__(self, fill=None, shift=None, mult=None):
        self.fill = fill
        self.shift = shift
        self.mult = mult

    def fit(self, X, y=None):
        self.n_features_in_ = len(self.fill)
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=float)
        X = np.where(np.isnan(X), self.fill, X)
        return (X - self.shift) * self.mult


def affine_prep(prep: Pipeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fill, shift and multiplier equivalent to a fitted imputer + scaler pipeline.

    Raises
    ------
    DataError
        For a KNN imputer or a quantile scaler, which no three vectors can express.
    """
    if isinstance(prep, AffinePrep):
        return np.asarray(prep.fill), np.asarray(prep.shift), np.asarray(prep.mult)
    if isinstance(prep, BlockPrep):  # numeric features, then a title block
        parts = zip(affine_prep(prep.numeric_), prep.rest_vectors(), strict=True)
        fill, shift, mult = (np.concatenate(pair) for pair in parts)
        return fill, shift, mult
    imputer, scaler = prep.named_steps["impute"], prep.named_steps["scale"]
    if not isinstance(imputer, SimpleImputer):
        raise DataError("only a network prepared with a mean or median imputer can be saved.")
    fill = imputer.statistics_.astype(float)
    if isinstance(scaler, StandardScaler):
        return fill, scaler.mean_.astype(float), 1.0 / scaler.scale_
    if isinstance(scaler, MinMaxScaler):
        return fill, -scaler.min_ / scaler.scale_, scaler.scale_.astype(float)
    if scaler == "passthrough":
        return fill, np.zeros_like(fill), np.ones_like(fill)
    raise DataError("only a network with a standard, min-max or no scaler can be saved.")


@dataclass(frozen=True)
class LoadedNetwork:
    """A network read from a file: a Pipeline ready to predict, and what it was trained on."""

    pipeline: Pipeline
    features: tuple[str, ...]
    classes: tuple[str, ...]
    config: dict
    inputs: dict | None = None  # the title block after the features (sequences.title_block)


def network_bytes(
    pipeline: Pipeline, features, extra: dict | None = None, inputs: dict | None = None
) -> bytes:
    """Serialise a fitted ``prep -> NetClassifier`` pipeline to safetensors bytes.

    Parameters
    ----------
    pipeline
        Its last step a fitted :class:`~genre_core.models.networks.NetClassifier`.
    features
        The feature columns, in the order the network reads them.
    extra
        More JSON-able facts to keep in the config (dataset, test accuracy...).
    inputs
        How the columns after ``features`` are made from titles (``NetResult.inputs``).
    """
    net: NetClassifier = pipeline.named_steps["model"]
    fill, shift, mult = affine_prep(pipeline.named_steps["prep"])
    tensors = {f"net.{k}": v.detach().contiguous() for k, v in net.module_.state_dict().items()}
    for name, values in (("fill", fill), ("shift", shift), ("mult", mult)):
        tensors[f"prep.{name}"] = torch.as_tensor(np.asarray(values, dtype=np.float64))
    training = {k: v for k, v in net.get_params().items() if k not in net.architecture()}
    config = {
        "format": FORMAT,
        "architecture": net.architecture(),
        "features": [str(f) for f in features],
        "classes": [str(c) for c in net.classes_],
        "training": json.loads(json.dumps(training, default=str)),
        **(extra or {}),
    }
    if inputs:
        config["inputs"] = dict(inputs)
    return save_tensors(tensors, metadata={"genre_lab": json.dumps(config)})


def parse_json(text: bytes | str, name: str, what: str = "header") -> object:
    """JSON from a user's file, refused in words when it nests deeper than :data:`MAX_DEPTH`
    (Python's parser would fail with a RecursionError) or is not JSON.

    Raises
    ------
    DataError
        Naming the file and the part (``what``) at fault.
    """
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    bare = np.frombuffer(_JSON_STRING.sub(b'""', text), dtype=np.uint8)
    steps = np.isin(bare, _OPENERS).astype(np.int64) - np.isin(bare, _CLOSERS)
    if len(steps) and int(np.cumsum(steps).max()) > MAX_DEPTH:
        raise DataError(f"{name}'s {what} nests deeper than {MAX_DEPTH} levels; no network does.")
    try:
        return json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise DataError(f"{name} is not a safetensors file: its {what} is not JSON.") from None


def read_header(raw: bytes, name: str = "the file") -> dict:
    """The safetensors header of a network file: each tensor's dtype, shape and place, and
    ``__metadata__``; read without loading a tensor.

    Raises
    ------
    DataError
        For a file too big, too short, or whose header is not bounded JSON.
    """
    if len(raw) > MAX_BYTES:
        raise DataError(f"{name} is larger than {MAX_BYTES // 2**20} MB; no network is that big.")
    if len(raw) < 8:
        raise DataError(f"{name} is not a safetensors file: it is only {len(raw)} bytes long.")
    (size,) = struct.unpack("<Q", raw[:8])
    if size > min(_MAX_HEADER, len(raw) - 8):
        raise DataError(f"{name} is not a safetensors file: its header length is impossible.")
    header = parse_json(raw[8 : 8 + size], name)
    if not isinstance(header, dict):
        raise DataError(f"{name} is not a safetensors file: its header is not a JSON object.")
    return header


def read_config(raw: bytes, name: str = "the file") -> dict:
    """The JSON config in a network file's header, checked; a :class:`DataError` otherwise."""
    header = read_header(raw, name)
    text = (header.get("__metadata__") or {}).get("genre_lab")
    if not isinstance(text, str):
        raise DataError(
            f"{name} is a safetensors file but not a Genre Lab network (no genre_lab config)."
        )
    config = parse_json(text, name, "config")
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise DataError(f"{name} is not a Genre Lab network of format {FORMAT}.")
    for key, kind in (("architecture", dict), ("features", list), ("classes", list)):
        if not isinstance(config.get(key), kind):
            raise DataError(f"{name}'s config lacks a valid '{key}'.")
    for key in ("features", "classes"):
        if not all(isinstance(v, str) for v in config[key]):
            raise DataError(f"{name}'s config lists a '{key}' entry that is not a name.")
    return config


def header_shapes(header: dict, name: str = "the file") -> dict[str, tuple[int, ...]]:
    """Each tensor's shape as the header declares it (no tensor is read)."""
    shapes = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        try:
            shapes[key] = tuple(int(n) for n in entry["shape"])
        except (TypeError, KeyError, ValueError):
            raise DataError(
                f"{name} is not a safetensors file: tensor {key} has no shape."
            ) from None
    return shapes


def read_tensors(raw: bytes, name: str = "the file") -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file (no code runs); a :class:`DataError` if malformed."""
    try:
        return load_tensors(raw)
    except Exception as error:  # safetensors raises its own error types for bad files
        raise DataError(f"{name} is not a valid safetensors file ({error}).") from None


def network_state(raw: bytes, name: str = "the file") -> dict[str, torch.Tensor]:
    """Only the network weights of a file, named as in the module (for pretrained starts)."""
    read_config(raw, name)
    tensors = read_tensors(raw, name)
    return {k[4:]: v for k, v in tensors.items() if k.startswith("net.")}


def load_network_bytes(raw: bytes, name: str = "the file") -> LoadedNetwork:
    """Rebuild a network from :func:`network_bytes` output.

    Raises
    ------
    DataError
        For a file that is not safetensors, has no Genre Lab config, or whose weights do not
        fit the architecture its config describes.
    """
    config = read_config(raw, name)
    features, classes = config["features"], config["classes"]
    inputs = check_inputs(config.get("inputs"), name)
    width = len(features) + block_width(inputs)
    try:  # every size bounded first, then the layers' shapes on the meta device (no memory)
        net = NetClassifier(**check_architecture(config["architecture"], f"{name}'s network"))
        with torch.device("meta"):
            planned = net.build_module(width, len(classes)).state_dict()
    except DataError as error:
        raise DataError(f"{name}'s architecture is not valid: {error}") from None
    expected = {k: tuple(v.shape) for k, v in planned.items()}
    declared = header_shapes(read_header(raw, name), name)
    missing = sorted(set(expected) - {k[4:] for k in declared if k.startswith("net.")})
    if missing:
        raise DataError(f"{name} lacks the weights {', '.join(missing)} its architecture needs.")
    for key, shape in expected.items():
        if declared[f"net.{key}"] != shape:
            got = "×".join(map(str, declared[f"net.{key}"]))
            raise DataError(
                f"{name}'s {key} is {got} but its architecture needs {'×'.join(map(str, shape))}."
            )
    for part in ("fill", "shift", "mult"):
        if declared.get(f"prep.{part}") != (width,):
            raise DataError(f"{name} lacks a preparation vector of {width} values.")
    tensors = read_tensors(raw, name)  # the shapes match: at most the file's own size
    state = {k[4:]: v for k, v in tensors.items() if k.startswith("net.")}
    module = net.build_module(width, len(classes))
    module.load_state_dict({k: state[k] for k in expected})
    module.eval()
    net.module_, net.classes_ = module, np.asarray(classes, dtype=object)
    net.n_features_in_ = width
    prep_values = [
        tensors[f"prep.{part}"].numpy().astype(float) for part in ("fill", "shift", "mult")
    ]
    pipeline = Pipeline([("prep", AffinePrep(*prep_values).fit(None)), ("model", net)])
    return LoadedNetwork(pipeline, tuple(features), tuple(classes), config, inputs)


def save_network(
    pipeline: Pipeline,
    features,
    path: str | Path,
    extra: dict | None = None,
    inputs: dict | None = None,
):
    """Write :func:`network_bytes` to ``path`` (a ``.safetensors`` file)."""
    Path(path).write_bytes(network_bytes(pipeline, features, extra, inputs))


def load_network(path: str | Path) -> LoadedNetwork:
    """Read a network written by :func:`save_network`."""
    path = Path(path)
    return load_network_bytes(path.read_bytes(), path.name)
