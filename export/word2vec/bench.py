"""Latency of one word-vector query in-process: our ONNX graph vs gensim's most_similar.

    python -m export.word2vec.bench [--weights weights] [--repeats 200]

Both models answer the same queries in alternation, so machine noise hits them alike; prints
medians and the ratio as JSON.
"""
import argparse
import itertools
import json
import os
import platform

from export.timing import interleaved_median_ms
from serving.weights import DEFAULT_WEIGHTS_DIR, load_all
from serving.word_vectors import answer, load_word_vectors

QUERIES = [(["king", "woman"], ["man"]), (["paris", "germany"], ["france"]),
           (["computer"], []), (["walking", "swam"], ["walked"])]


def one_query(model, method: str):
    """A call answering the next of QUERIES, as the app does."""
    queries = itertools.cycle(QUERIES)

    def call():
        pos, neg = next(queries)
        answer(model, pos, neg, 10, method)
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=DEFAULT_WEIGHTS_DIR)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    models = {n: load_word_vectors(m) for n, m in load_all(args.weights).items() if m["task"] == "word-vectors"}
    results = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
               "repeats": args.repeats, "p50_ms": {}}
    for method in ("3CosAdd", "3CosMul"):  # the models in turns, so noise hits them alike
        p50 = interleaved_median_ms({name: one_query(model, method) for name, model in models.items()},
                                    args.repeats, rounds=5)
        results["p50_ms"][method] = {name: round(ms, 3) for name, ms in p50.items()}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
