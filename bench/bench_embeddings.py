"""Embedding every distinct spotify-30k title: the library's default call, Genre Lab's path and
the candidate backends, measured side by side in one run.

    GENRE_DATA_DIR=../shared/datasets python bench/bench_embeddings.py [--rounds 2] [--busy]
        [--only default,openvino,...] [--limit N]

Each candidate runs cold in a fresh process (imports, model load and an empty embedding cache
included; the one-off ONNX export is made before timing and reported apart), in rounds that
interleave the candidates so that a noisy neighbour slows them alike; the medians are compared
with the library default (sentence-transformers' ``encode``, torch float32), whose vectors are
the reference for the cosines. ``--busy`` keeps a second job (a busy loop) running throughout.

Targets (issue 15): all titles cold at most 26 s (half of 52 s), min cosine >= 0.995.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name -> (what it runs, shown in the table)
CANDIDATES = {
    "default": "library default: SentenceTransformer.encode, torch float32, batch 32",
    "torch": "Genre Lab before: torch, bfloat16 autocast where native, sorted, batch 32",
    "torch-b128": "torch as before, batch 128: Genre Lab's torch fallback now",
    "onnxruntime": "ONNX Runtime float32, sorted, batch 64",
    "onnxruntime-O2": "ONNX Runtime, graph optimised (O2 fusions), batch 64",
    "onnxruntime-int8": "ONNX Runtime, int8 dynamic quantisation (per channel), batch 64",
    "openvino": "OpenVINO (bfloat16 where native), sorted, batches of 64 side by side on one "
    "stream per thread  <- Genre Lab default",
    "openvino-latency": "OpenVINO as before: one stream on all threads (LATENCY), batch 64",
    "openvino-f32": "OpenVINO forced float32, streams as the default",
    "openvino-2proc": "OpenVINO, 2 processes x 1 thread, halves of the sorted titles",
}
SHORT = ["default", "torch", "onnxruntime", "onnxruntime-int8", "openvino", "openvino-latency"]


def titles(limit: int | None = None) -> list[str]:
    from genre_core.data.dataset import load_dataset
    from genre_core.data.embeddings import title_texts

    texts = title_texts(load_dataset("spotify-30k").frame, ["track_name", "track_album_name"])
    distinct = list(dict.fromkeys(texts))
    return distinct[:limit] if limit else distinct


def variant_model(kind: str) -> Path:
    """An ONNX Runtime variant of the exported model (optimised or int8), made once."""
    from genre_core.data.embeddings import onnx_model

    source = onnx_model()
    path = source.with_name(f"{source.stem}-{kind}.onnx")
    if path.is_file():
        return path
    if kind == "O2":
        from onnxruntime.transformers.optimizer import optimize_model

        optimize_model(
            str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=2
        ).save_model_to_file(str(path))
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # the settings of sentence-transformers' export_dynamic_quantized_onnx_model("avx512_vnni")
        quantize_dynamic(source, path, weight_type=QuantType.QInt8, per_channel=True)
    return path


def custom_encoder(name: str, n_threads: int):
    """Encoders for the candidates that are not an engine backend."""
    from genre_core.data import embeddings

    if name.startswith("onnxruntime-"):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = n_threads
        model = variant_model(name.split("-")[1])
        session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        return lambda texts: session.run(None, embeddings._inputs(texts))[0]
    if name == "openvino-latency":
        import openvino

        config = {"INFERENCE_NUM_THREADS": n_threads, "PERFORMANCE_HINT": "LATENCY"}
        compiled = openvino.Core().compile_model(embeddings.onnx_model(), "CPU", config)
        request = compiled.create_infer_request()
        return lambda texts: request.infer(embeddings._inputs(texts))[0].copy()
    return embeddings.load_encoder(name.split("-")[0], n_threads)[1]


def half(name: str, texts: list[str], n_threads: int, out: str) -> None:
    """One of the two processes of a multi-process candidate."""
    encode = custom_encoder(name, n_threads)
    vectors = [encode(texts[i : i + 64]) for i in range(0, len(texts), 64)]
    np.save(out, np.concatenate(vectors))


def cold(name: str, out: str, limit: int | None) -> None:
    """One cold run in this fresh process; prints the seconds to stdout as JSON."""
    start = time.perf_counter()
    from genre_core.data import embeddings
    from genre_core.runs.budget import threads

    texts = titles(limit)
    loaded = time.perf_counter()
    if name == "default":
        vectors = embeddings.load_model().encode(texts, normalize_embeddings=True)
    elif name == "openvino-2proc":
        order = np.argsort([len(t) for t in texts], kind="stable")
        parts = [order[0::2], order[1::2]]  # each half spans all lengths: equal work
        with tempfile.TemporaryDirectory() as folder:
            outs = [f"{folder}/{i}.npy" for i in range(2)]
            procs = []
            for part, path in zip(parts, outs, strict=True):
                payload = json.dumps([texts[i] for i in part])
                proc = subprocess.Popen(
                    [sys.executable, __file__, "--half", "openvino", "--out", path],
                    stdin=subprocess.PIPE,
                    text=True,
                )
                proc.stdin.write(payload)
                proc.stdin.close()
                procs.append(proc)
            for proc in procs:
                if proc.wait():
                    raise SystemExit("a worker process failed")
            vectors = np.empty((len(texts), embeddings.DIMENSIONS), dtype=np.float32)
            for part, path in zip(parts, outs, strict=True):
                vectors[part] = np.load(path)
    elif name in ("torch", "openvino", "onnxruntime", "openvino-f32"):
        if name == "openvino-f32":
            os.environ["GENRE_EMBED_FP32"] = "1"
        with tempfile.TemporaryDirectory() as folder:
            vectors = embeddings.embed_texts(
                texts,
                cache=embeddings.EmbeddingCache(Path(folder)),
                backend=name.split("-")[0],
                batch_size=32 if name == "torch" else None,  # torch as it was
            )
    else:
        batch = 128 if name.endswith("b128") else 64
        encode = custom_encoder(name.replace("-b128", ""), threads())
        order = np.argsort([len(t) for t in texts], kind="stable")
        ordered = [texts[i] for i in order]
        parts = [encode(ordered[i : i + batch]) for i in range(0, len(ordered), batch)]
        vectors = np.empty((len(texts), embeddings.DIMENSIONS), dtype=np.float32)
        vectors[order] = np.concatenate(parts)
    end = time.perf_counter()
    np.save(out, vectors)
    print(json.dumps({"total": end - start, "encode": end - loaded}))


def warm(limit: int | None) -> None:
    """From a full cache, in a fresh process (loading the cache file included)."""
    start = time.perf_counter()
    from genre_core.data.embeddings import EmbeddingCache, embed_texts

    texts = titles(limit)
    loaded = time.perf_counter()
    embed_texts(texts, cache=EmbeddingCache(Path(os.environ["BENCH_CACHE"])))
    end = time.perf_counter()
    print(json.dumps({"total": end - start, "encode": end - loaded}))


def run(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if done.returncode:
        raise SystemExit(f"{args} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="cold runs per candidate")
    parser.add_argument("--only", help="comma-separated candidates (default: all)")
    parser.add_argument("--short", action="store_true", help="the main candidates only")
    parser.add_argument("--limit", type=int, help="the first N distinct titles only")
    parser.add_argument("--busy", action="store_true", help="a second job runs throughout")
    parser.add_argument("--cold", help=argparse.SUPPRESS)
    parser.add_argument("--half", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        return cold(args.cold, args.out, args.limit)
    if args.warm:
        return warm(args.limit)
    if args.half:
        os.environ.setdefault("GENRE_THREADS", "1")
        return half(args.half, json.loads(sys.stdin.read()), 1, args.out)

    names = args.only.split(",") if args.only else SHORT if args.short else list(CANDIDATES)
    assert names[0] == "default", "the library default comes first: it is the reference"
    from genre_core.data.embeddings import onnx_model
    from genre_core.runs.budget import threads

    start = time.perf_counter()
    model_path = onnx_model()
    export = time.perf_counter() - start
    for kind in ("O2", "int8"):
        if f"onnxruntime-{kind}" in names:
            variant_model(kind)
    texts = titles(args.limit)
    print(
        f"{len(texts):,} distinct titles; {os.cpu_count()} cores, thread budget {threads()}; "
        f"ONNX export {model_path.name} ready in {export:.1f} s (made once, then kept)"
        f"{'; a busy loop runs alongside' if args.busy else ''}",
        flush=True,
    )
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    times: dict[str, list[float]] = {n: [] for n in names}
    encode_times: dict[str, list[float]] = {n: [] for n in names}
    vectors: dict[str, np.ndarray] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            extra = [f"--limit={args.limit}"] if args.limit else []
            for round_ in range(args.rounds):
                for name in names:
                    out = f"{folder}/{name}.npy"
                    result = run(["--cold", name, "--out", out, *extra])
                    times[name].append(result["total"])
                    encode_times[name].append(result["encode"])
                    vectors[name] = np.load(out)
                    print(f"  round {round_ + 1} {name:18s} {result['total']:6.1f} s", flush=True)
            # warm: the default path's cache, filled once, read by fresh processes
            cache = Path(folder) / "cache"
            from genre_core.data.embeddings import EmbeddingCache, embed_texts

            embed_texts(texts, cache=EmbeddingCache(cache))
            warm_times = [run(["--warm", *extra], {"BENCH_CACHE": str(cache)}) for _ in range(3)]
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()

    reference = vectors["default"]
    base = float(np.median(times["default"]))
    print()
    print(
        f"{'candidate':18s} {'cold s':>7s} {'encode s':>8s} {'vs default':>10s} "
        f"{'min cos':>8s} {'mean cos':>9s}  runs (s)"
    )
    for name in names:
        cosine = np.sum(vectors[name] * reference, axis=1)
        median = float(np.median(times[name]))
        print(
            f"{name:18s} {median:7.1f} {np.median(encode_times[name]):8.1f} "
            f"{median / base:9.2f}x {cosine.min():8.5f} {cosine.mean():9.6f}  "
            f"{', '.join(f'{t:.1f}' for t in times[name])}"
        )
    warm_total = float(np.median([w["total"] for w in warm_times]))
    warm_read = float(np.median([w["encode"] for w in warm_times]))
    print(
        f"{'warm (cache hit)':18s} {warm_total:7.1f} {warm_read:8.2f} {warm_total / base:9.2f}x"
        f"   fresh process, median of 3; 'encode' = reading the cache and looking up"
    )
    print()
    for name in names:
        print(f"  {name:18s} {CANDIDATES[name]}")
    print("cold s: fresh process, imports, model load and encoding; median of the rounds.")
    print("encode s: the same run after the titles are read (model load + encoding).")
    print("Target (issue 15): cold <= 26 s, min cos >= 0.995.")


if __name__ == "__main__":
    main()
