"""Title embeddings through OpenVINO and ONNX Runtime: the torch model's vectors, a fallback
that says why, and the same cache whichever backend wrote it."""

import importlib.util
import sys

import numpy as np
import pytest

from genre_core.data import embeddings
from genre_core.data.embeddings import BACKENDS, EmbeddingCache, embed_texts, load_encoder

TITLES = [
    "Highway to Hell",
    "Gangsta's Paradise - Gangsta's Paradise",
    "Ä Björk song – with accents, émojis 🎧 and CAPITALS",
    "x",
    " ".join(["a very long title"] * 80),  # past the model's 256 tokens: truncated alike
]


@pytest.fixture(autouse=True)
def _fresh_encoders():
    embeddings._started.cache_clear()
    yield
    embeddings._started.cache_clear()


@pytest.fixture(scope="module")
def torch_fp32():
    """The reference: sentence-transformers' own encode, float32."""
    return embeddings.load_model().encode(TITLES, normalize_embeddings=True)


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_a_fast_backend_gives_the_torch_vectors(backend, torch_fp32, monkeypatch):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    for fp32 in ("1", "0"):  # forced float32, and the CPU's own choice (bfloat16 where native)
        monkeypatch.setenv("GENRE_EMBED_FP32", fp32)
        embeddings._started.cache_clear()
        used, encode = load_encoder(backend, 2)
        assert used == backend
        cosine = np.sum(encode(TITLES) * torch_fp32, axis=1)
        assert cosine.min() >= 0.999, (fp32, cosine)


def test_the_tokenizer_is_the_models_own():
    model = embeddings.load_model()
    expected = model.tokenize(TITLES)
    ours = embeddings._inputs(TITLES)
    assert np.array_equal(ours["input_ids"], expected["input_ids"].numpy())
    assert np.array_equal(ours["attention_mask"], expected["attention_mask"].numpy())


def test_a_missing_backend_falls_back_with_a_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.warns(RuntimeWarning) as caught:
        used, encode = load_encoder("openvino", 1)
    assert used == "torch"
    assert [str(w.message).split("(")[1].split(")")[0] for w in caught] == [
        "openvino is not installed",
        "onnxruntime is not installed",
    ]
    assert encode(["Yesterday"]).shape == (1, embeddings.DIMENSIONS)


def test_a_failed_export_falls_back_to_torch(monkeypatch, tmp_path):
    def broken_export(folder=None):
        raise RuntimeError("exporter crashed\nlong traceback text")

    monkeypatch.setattr(embeddings, "onnx_model", broken_export)
    with pytest.warns(RuntimeWarning, match=r"RuntimeError: exporter crashed\)"):
        vectors = embed_texts(["Yesterday"], cache=EmbeddingCache(tmp_path))
    assert vectors.shape == (1, embeddings.DIMENSIONS)


def test_an_unknown_backend_is_named(monkeypatch):
    monkeypatch.setenv("GENRE_EMBED_BACKEND", "tpu")
    with pytest.raises(embeddings.DataError, match="one of openvino, onnxruntime, torch"):
        embeddings.embedding_backend()


def test_vectors_cached_by_torch_are_found_by_the_default_backend(tmp_path, monkeypatch):
    cache = EmbeddingCache(tmp_path)
    first = embed_texts(TITLES[:2], cache=cache, backend="torch")

    def no_encoding(*args, **kwargs):
        raise AssertionError("a cached title was encoded again")

    monkeypatch.setattr(embeddings, "load_encoder", no_encoding)
    assert np.array_equal(embed_texts(TITLES[:2], cache=EmbeddingCache(tmp_path)), first)
    assert embeddings.embedding_backend() == BACKENDS[0]
