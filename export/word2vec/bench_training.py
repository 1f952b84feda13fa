"""Our word2vec against gensim at identical settings on enwiki2019-t8, one after the other.

    python -m export.word2vec.bench_training                  # ours vs gensim: results/word2vec_bench.json
    python -m export.word2vec.bench_training --table          # our four variants: results/word2vec_variants.json

Run it on an otherwise idle machine: the JSON records the load average before and after.
"""
import argparse
import json
import os
import platform
from pathlib import Path

from gensim.models import KeyedVectors

from export.corpora import DEFAULT_DATA_DIR
from export.word2vec.data import WikiSentences, corpus_files
from export.word2vec.evaluate import evaluate
from export.word2vec.train import train_ours
from export.word2vec.train_gensim import kind, train_gensim

VARIANTS = [(1, 0), (1, 1), (0, 0), (0, 1)]   # (sg, hs)


def measured(kv: KeyedVectors, seconds: float, tokens: int, epochs: int) -> dict:
    metrics = evaluate(kv)
    return {"seconds": round(seconds, 1), "words_per_second": round(tokens * epochs / seconds),
            "analogy_accuracy": metrics["analogy_accuracy"],
            "wordsim353_spearman": metrics["wordsim353_spearman"], "probes": metrics["probes"]}


def run_ours(sentences, settings: dict) -> dict:
    vocab, vectors, seconds = train_ours(sentences, **settings)
    kv = KeyedVectors(vectors.shape[1], count=0)
    kv.add_vectors(vocab.words, vectors)
    return measured(kv, seconds, vocab.corpus_tokens, settings["epochs"])


def run_gensim(sentences, settings: dict) -> dict:
    kv, seconds, tokens = train_gensim(sentences, **settings)
    return measured(kv, seconds, tokens, settings["epochs"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="t8")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--hs", type=int, default=0)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="our threads and gensim's workers")
    parser.add_argument("--table", action="store_true", help="our four variants instead")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    sentences = WikiSentences(corpus_files(args.corpus, args.data_dir))
    common = {"negative": 5, "vector_size": args.dim, "window": 5, "sample": 1e-4, "min_count": 5,
              "epochs": args.epochs, "seed": 1}
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "corpus": args.corpus,
               "settings": common | {"threads": args.threads}, "load_average_before": os.getloadavg()}
    if args.table:
        results["variants"] = {kind(sg, hs): run_ours(sentences, common | {"sg": sg, "hs": hs, "threads": args.threads, "progress": False})
                               for sg, hs in VARIANTS}
        print("| variant | analogy accuracy | WordSim-353 | seconds |\n| --- | --- | --- | --- |")
        for name, r in results["variants"].items():
            print(f"| {name} | {r['analogy_accuracy']:.1%} | {r['wordsim353_spearman']:.3f} | {r['seconds']:.0f} |")
    else:
        settings = common | {"sg": args.sg, "hs": args.hs}
        results["variant"] = kind(args.sg, args.hs)
        results["ours"] = run_ours(sentences, settings | {"threads": args.threads})
        results["gensim"] = run_gensim(sentences, settings | {"workers": args.threads})
        ours, ref = results["ours"], results["gensim"]
        results["ratios"] = {"seconds_ours_over_gensim": round(ours["seconds"] / ref["seconds"], 2),
                             "accuracy_points_ours_minus_gensim":
                                 round(100 * (ours["analogy_accuracy"] - ref["analogy_accuracy"]), 2)}
    results["load_average_after"] = os.getloadavg()
    text = json.dumps(results, indent=2)
    print(text)
    out = Path(args.out or f"results/word2vec_{'variants' if args.table else 'bench'}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
