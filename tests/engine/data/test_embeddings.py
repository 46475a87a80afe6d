"""Title embeddings: the offline model, the shared cache and the title sentences."""

import numpy as np
import pandas as pd
import pytest

from genre_core.data.embeddings import DIMENSIONS, EmbeddingCache, embed_texts, title_texts
from genre_core.errors import DataError


def test_title_texts_join_and_skip_missing_parts():
    frame = pd.DataFrame({"track": ["Closer", None, "Alone"], "album": ["Collage", "Solo", None]})
    assert title_texts(frame, ["track", "album"]) == ["Closer - Collage", "Solo", "Alone"]
    with pytest.raises(DataError, match="no title column"):
        title_texts(frame, [])


def test_embeddings_are_cached_and_shared(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = ["Highway to Hell", "Gangsta's Paradise", "Highway to Hell"]
    calls = []
    first = embed_texts(texts, cache=cache, progress=lambda done, total: calls.append(total))
    assert first.shape == (3, DIMENSIONS) and calls == [2]  # the repeat is encoded once
    assert np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-5)
    assert np.array_equal(first[0], first[2])
    again = embed_texts(
        list(reversed(texts)),
        cache=EmbeddingCache(tmp_path),
        progress=lambda done, total: calls.append(total),
    )
    assert calls == [2] and np.array_equal(again[::-1], first)  # nothing encoded again
    # Similar titles sit closer than unrelated ones: the model is real, not a stub.
    more = embed_texts(["Highway to Hell (Live)", "Lullaby for a baby"], cache=cache)
    assert more[0] @ first[0] > more[1] @ first[0] + 0.3


def test_a_damaged_cache_is_rebuilt(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.path.parent.mkdir(parents=True, exist_ok=True)
    cache.path.write_bytes(b"not an npz")
    vectors = embed_texts(["Yesterday"], cache=cache)
    assert vectors.shape == (1, DIMENSIONS)
    assert len(cache.load()) == 1


def test_keys_ending_in_a_nul_byte_survive_the_round_trip(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = bytes(19) + b"\x00"
    cache.save({key: np.ones(DIMENSIONS, dtype=np.float32)})
    assert list(cache.load()) == [key]
