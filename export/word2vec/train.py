"""Train our word2vec (export/word2vec/model.py), measure it as shipped and write its weights folder.

    python -m export.word2vec.train --corpus t8+more --sg 1 --hs 0 --negative 5 --dim 300 \
        --epochs 5 --max-vocab 40000 --out weights/word2vec [--with-gensim]
"""
import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors

from export.manifest import eval_command, training_data
from export.word2vec import model as word2vec
from export.word2vec.data import DESCRIPTIONS, WikiSentences, corpus_files
from export.word2vec.evaluate import evaluate
from export.word2vec.export import unit_rows, write_word_vectors_folder
from export.word2vec.train_gensim import add_word2vec_arguments, kind, shared_settings, train_and_write


def train_ours(sentences, min_count=5, **settings) -> tuple[word2vec.Vocab, np.ndarray, float]:
    """Vocabulary, input vectors and wall seconds (vocabulary building included, as for gensim)."""
    start = time.perf_counter()
    vocab = word2vec.build_vocab(sentences, min_count)
    vectors = word2vec.train(sentences, vocab, **settings)
    return vocab, vectors, time.perf_counter() - start


def shipped_keyed_vectors(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    """The vectors as model.onnx stores them (unit rows in fp16), so the metrics are the shipped ones."""
    kv = KeyedVectors(vectors.shape[1], count=0)
    kv.add_vectors(words, unit_rows(vectors).astype(np.float16).astype(np.float32))
    return kv


def gensim_up_to_date(folder: Path, corpus: str, hyper: dict, max_vocab: int) -> bool:
    """True when folder already holds gensim vectors trained with these settings."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return False
    manifest = json.loads(manifest_path.read_text())
    wanted = {k: hyper[k] for k in ("sg", "hs", "negative", "vector_size", "window", "sample",
                                    "min_count", "epochs", "seed")} | {"max_vocab": max_vocab}
    return (manifest.get("training", {}).get("corpus") == corpus
            and all(manifest.get("hyperparameters", {}).get(k) == v for k, v in wanted.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_word2vec_arguments(parser)
    parser.add_argument("--alpha", type=float, default=None, help="default 0.025 skip-gram, 0.05 CBOW")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--out", default="weights/word2vec")
    parser.add_argument("--gensim-out", default="weights/gensim-word2vec")
    parser.add_argument("--with-gensim", action="store_true",
                        help="also train gensim at the same settings (skipped if --gensim-out has them)")
    args = parser.parse_args()

    paths = corpus_files(args.corpus, args.data_dir)
    sentences = WikiSentences(paths)
    shared = shared_settings(args)
    hyper = shared | {"alpha": args.alpha or (0.025 if args.sg else 0.05),
                      "threads": args.threads, "batch": args.batch}
    vocab, vectors, seconds = train_ours(sentences, **hyper)
    words, vectors = vocab.words[:args.max_vocab], vectors[:args.max_vocab]
    metrics = evaluate(shipped_keyed_vectors(words, vectors))
    print(json.dumps(metrics, indent=2))

    out = Path(args.out)
    write_word_vectors_folder(out, words, vectors, {
        "name": out.name,
        "task": "word-vectors",
        "architecture": f"{kind(args.sg, args.hs)} (ours, PyTorch)",
        "hyperparameters": hyper | {"max_vocab": args.max_vocab},
        "training": {"corpus": args.corpus, "tokens": vocab.corpus_tokens, "epochs": args.epochs,
                     "vocabulary_min_count": len(vocab), "seconds": round(seconds, 1),
                     "machine": f"{os.cpu_count()}-core CPU ({args.threads} threads)"},
        "training_data": training_data(*paths),
        "metrics": metrics,
        "eval_command": eval_command("word2vec.evaluate", out),
        "description": (f"Word2vec ({kind(args.sg, args.hs)}) written from scratch in PyTorch and "
                        f"trained here on {vocab.corpus_tokens / 1e6:.0f}M tokens of "
                        f"{DESCRIPTIONS[args.corpus]}; the {len(words):,} most frequent words "
                        "are shipped. Type words to find their neighbours, or solve analogies "
                        "such as king - man + woman."),
    })

    gensim_out = Path(args.gensim_out)
    if args.with_gensim and not gensim_up_to_date(gensim_out, args.corpus, hyper, args.max_vocab):
        train_and_write(args.corpus, args.data_dir, shared | {"workers": args.threads},
                        args.max_vocab, gensim_out)


if __name__ == "__main__":
    main()
