"""gensim's Word2Vec on the same corpus and settings as ours: the baseline shown beside our model.

    python -m export.word2vec.train_gensim --corpus t8+more --dim 300 --epochs 5 --out weights/gensim-word2vec
"""
import argparse
import os
import time
from pathlib import Path

import gensim
from gensim.models import KeyedVectors, Word2Vec

from export.corpora import DEFAULT_DATA_DIR
from export.manifest import eval_command, training_data, write_manifest
from export.word2vec.data import CORPORA, WikiSentences, corpus_files
from export.word2vec.evaluate import evaluate


def train_gensim(sentences, sg=1, hs=0, negative=5, vector_size=100, window=5, sample=1e-4,
                 min_count=5, epochs=5, workers=2, seed=1) -> tuple[KeyedVectors, float, int]:
    """Returns the vectors, the training wall time in seconds and the corpus size in tokens."""
    start = time.perf_counter()
    model = Word2Vec(sentences, sg=sg, hs=hs, negative=negative, vector_size=vector_size,
                     window=window, sample=sample, min_count=min_count, epochs=epochs,
                     workers=workers, seed=seed)
    return model.wv, time.perf_counter() - start, model.corpus_total_words


def cap_vocabulary(kv: KeyedVectors, max_vocab: int) -> KeyedVectors:
    """The most frequent max_vocab words (gensim keeps them sorted by count)."""
    capped = KeyedVectors(kv.vector_size, count=0)
    capped.add_vectors(kv.index_to_key[:max_vocab], kv.vectors[:max_vocab])
    return capped


def add_word2vec_arguments(parser: argparse.ArgumentParser) -> None:
    """The settings ours and gensim share, with the same names and defaults in both commands."""
    parser.add_argument("--corpus", default="t8+more", choices=sorted(CORPORA))
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--hs", type=int, default=0)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-4)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-vocab", type=int, default=40000, help="most frequent words shipped")


def shared_settings(args: argparse.Namespace) -> dict:
    """The settings of add_word2vec_arguments under the names both trainers take (gensim's)."""
    return {"sg": args.sg, "hs": args.hs, "negative": args.negative, "vector_size": args.dim,
            "window": args.window, "sample": args.sample, "min_count": args.min_count,
            "epochs": args.epochs, "seed": args.seed}


def kind(sg: int, hs: int) -> str:
    return f"{'skip-gram' if sg else 'CBOW'}, {'hierarchical softmax' if hs else 'negative sampling'}"


def train_and_write(corpus: str, data_dir: str | Path, settings: dict, max_vocab: int,
                    out: str | Path) -> dict:
    """Train gensim with settings (shared_settings plus workers), measure the max_vocab most
    frequent words as shipped and write the weights folder; returns its manifest."""
    paths = corpus_files(corpus, data_dir)
    kv, seconds, tokens = train_gensim(WikiSentences(paths), **settings)
    full_vocab = len(kv)
    kv = cap_vocabulary(kv, max_vocab)
    metrics = evaluate(kv)
    print(metrics)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    kv.save_word2vec_format(str(out / "vectors.bin"), binary=True)
    variant = kind(settings["sg"], settings["hs"])
    return write_manifest(out, {
        "name": out.name,
        "task": "word-vectors",
        "architecture": f"{variant} (gensim {gensim.__version__} baseline)",
        "format": "word2vec-binary",
        "hyperparameters": settings | {"max_vocab": max_vocab},
        "training": {"corpus": corpus, "tokens": tokens, "vocabulary_min_count": full_vocab,
                     "seconds": round(seconds, 1),
                     "machine": f"{os.cpu_count()}-core CPU ({settings['workers']} workers)"},
        "training_data": training_data(*paths),
        "metrics": metrics,
        "eval_command": eval_command("word2vec.evaluate", out),
        "description": (f"gensim's Word2Vec ({variant}), trained on the same {tokens / 1e6:.0f}M "
                        "Wikipedia tokens with the same settings as ours: the reference "
                        "implementation, shown beside our model."),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_word2vec_arguments(parser)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="weights/gensim-word2vec")
    args = parser.parse_args()
    train_and_write(args.corpus, args.data_dir, shared_settings(args) | {"workers": args.workers},
                    args.max_vocab, args.out)


if __name__ == "__main__":
    main()
