"""Embedding every spotify-30k title: the library's default call against Genre Lab's, cold and
from the cache.

    GENRE_DATA_DIR=../shared/datasets python bench/bench_embeddings.py [--skip-default]

Targets (issue 5): cold at most 60 s on 2 cores, from the cache under 1 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genre_core.data.dataset import load_dataset  # noqa: E402
from genre_core.data.embeddings import (  # noqa: E402
    EmbeddingCache,
    _precision,
    embed_texts,
    load_model,
    title_texts,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-default", action="store_true", help="skip the slow default run")
    args = parser.parse_args()
    dataset = load_dataset("spotify-30k")
    texts = title_texts(dataset.frame, ["track_name", "track_album_name"])
    print(
        f"{len(texts):,} titles, {len(set(texts)):,} distinct; torch threads "
        f"{torch.get_num_threads()}; Genre Lab precision: "
        f"{'bfloat16 autocast' if _precision() is not nullcontext else 'float32'}"
    )
    model = load_model()
    model.encode(texts[:64])  # warm the model up: loading is not embedding

    if not args.skip_default:
        start = time.perf_counter()
        reference = model.encode(texts, normalize_embeddings=True)
        default = time.perf_counter() - start
        print(f"library default, model.encode(all titles):  {default:6.1f} s")

    with tempfile.TemporaryDirectory() as folder:
        cache = EmbeddingCache(Path(folder))
        start = time.perf_counter()
        ours = embed_texts(texts, cache=cache)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(3):
            start = time.perf_counter()
            again = embed_texts(texts, cache=cache)
            warm.append(time.perf_counter() - start)
        assert np.array_equal(ours, again)
        size = cache.path.stat().st_size / 1e6
    print(
        f"Genre Lab, cold (empty cache):                {cold:6.1f} s   target 60 s   "
        f"ratio {cold / 60:4.2f}"
    )
    print(
        f"Genre Lab, from the cache (median of 3):      {sorted(warm)[1]:6.2f} s   target 1 s    "
        f"ratio {sorted(warm)[1]:4.2f}   cache file {size:.0f} MB"
    )
    if not args.skip_default:
        print(f"cold speed-up over the default call: {default / cold:.2f}x")
        cosine = np.sum(reference * ours, axis=1)
        print(f"agreement with the default call: min cosine {cosine.min():.6f}")


if __name__ == "__main__":
    main()
