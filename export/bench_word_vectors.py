"""Latency of one word-vector query in-process: our ONNX graph vs gensim's most_similar.

    python -m export.bench_word_vectors [--weights weights] [--repeats 200]

Both models answer the same queries in alternation, so machine noise hits them alike; prints
medians and the ratio as JSON.
"""
import argparse
import itertools
import json
import os
import platform
import statistics

from export.timing import median_ms
from serving.weights import DEFAULT_WEIGHTS_DIR, load_all
from serving.word_vectors import answer, load_word_vectors

QUERIES = [(["king", "woman"], ["man"]), (["paris", "germany"], ["france"]),
           (["computer"], []), (["walking", "swam"], ["walked"])]


def query_ms(model, repeats: int, method: str) -> float:
    queries = itertools.cycle(QUERIES)

    def one_query():
        pos, neg = next(queries)
        answer(model, pos, neg, 10, method)
    return median_ms(one_query, repeats, warmup=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=DEFAULT_WEIGHTS_DIR)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    models = {n: load_word_vectors(m) for n, m in load_all(args.weights).items() if m["task"] == "word-vectors"}
    results = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
               "repeats": args.repeats, "p50_ms": {}}
    for method in ("3CosAdd", "3CosMul"):
        for name, model in models.items():
            query_ms(model, 20, method)  # warm-up
        rounds = {name: [] for name in models}
        for _ in range(5):  # interleave the models so noise hits them alike
            for name, model in models.items():
                rounds[name].append(query_ms(model, args.repeats // 5, method))
        results["p50_ms"][method] = {name: round(statistics.median(r), 3) for name, r in rounds.items()}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
