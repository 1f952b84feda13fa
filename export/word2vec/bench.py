"""Latency of one word-vector query in-process: our ONNX graph vs gensim's most_similar /
most_similar_cosmul, beside the floor of our query (the bytes it reads over the memory bandwidth).

    python -m export.word2vec.bench [--weights weights] [--repeats 1000] [--out results/bench_word_vectors.json]

Both models answer the same queries in alternation, so machine noise hits them alike; prints
medians and ratios as JSON. The bandwidth is one core reading a buffer as large as what
a query reads (the same cache level), counted as bytes read per second.
"""
import argparse
import itertools
import json
import os
import platform
from pathlib import Path

import numpy as np
import onnx

from export.timing import interleaved_median_ms, read_bandwidth_gbs
from export.word2vec.export import rescored
from serving.weights import DEFAULT_WEIGHTS_DIR, load_all
from serving.word_vectors import answer, load_word_vectors

QUERIES = [(["king", "woman"], ["man"]), (["paris", "germany"], ["france"]),
           (["computer"], []), (["walking", "swam"], ["walked"])]
COARSE = ("coarse_codes", "coarse_scale", "coarse_zero")  # what the graph's coarse pass reads


def one_query(model, method: str):
    """A call answering the next of QUERIES, as the app does."""
    queries = itertools.cycle(QUERIES)

    def call():
        pos, neg = next(queries)
        answer(model, pos, neg, 10, method)
    return call


def bytes_read(model_path: str | Path, topn: int = 10) -> int:
    """Bytes one query reads: every word's 4-bit row with its scales and zero points, then the fp16
    rows and norms of the candidates it rescores (the query's own rows are noise beside them)."""
    initializers = {t.name: t for t in onnx.load(str(model_path)).graph.initializer}
    return (sum(len(initializers[name].raw_data) for name in COARSE)
            + rescored(topn) * (2 * initializers["embeddings"].dims[1] + 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=DEFAULT_WEIGHTS_DIR)
    parser.add_argument("--repeats", type=int, default=1000)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    manifests = {n: m for n, m in load_all(args.weights).items() if m["task"] == "word-vectors"}
    models = {name: load_word_vectors(m) for name, m in manifests.items()}
    ours = next(n for n, m in manifests.items() if m["format"] == "onnx-analogy")
    results = {"command": "python -m export.word2vec.bench " + " ".join(
                   f"--{k} {v}" for k, v in vars(args).items() if v is not None and k != "weights"),
               "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
               "load_average_before": round(os.getloadavg()[0], 2),
               "repeats": args.repeats, "p50_ms": {}, "ours_over_gensim": {}}
    for method in ("3CosAdd", "3CosMul"):  # the models in turns, so noise hits them alike
        p50 = interleaved_median_ms({name: one_query(model, method) for name, model in models.items()},
                                    args.repeats, rounds=10)
        results["p50_ms"][method] = {name: round(ms, 3) for name, ms in p50.items()}
        others = [ms for name, ms in p50.items() if name != ours]
        if others:
            results["ours_over_gensim"][method] = round(p50[ours] / others[0], 3)
    nbytes = bytes_read(Path(manifests[ours]["folder"]) / "model.onnx")
    bandwidth = read_bandwidth_gbs(nbytes)
    results["floor"] = {"model": ours, "bytes_read_per_query": nbytes,
                        "single_core_read_gbs": round(bandwidth, 1),
                        "floor_ms": round(nbytes / bandwidth / 1e6, 3)}
    print(json.dumps(results, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
