"""The bag-of-n-grams baseline beside the CNN: TF-IDF (words and bigrams) + logistic regression,
on the same tokens, splits and folds; C is chosen on dev (SST-2 dev, each MR fold's dev slice;
for IMDB a fixed 10% of its training reviews). Also its SST-2 negation slice (data.NEGATORS).

    python -m export.classifier.baseline_tfidf [--imdb]
"""
import argparse

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from export.classifier.data import (cv_split, load_imdb_test, load_imdb_train, load_mr, load_sst2,
                                   negated, split_imdb_train)
from export.classifier.results import RESULTS, record
from export.corpora import DEFAULT_DATA_DIR
from tokenization.sst import sst_tokens

C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
COMMAND = "python -m export.classifier.baseline_tfidf"


def fit_select(train, dev):
    """The pipeline with the C that scores best on dev, and that dev accuracy."""
    best = None
    for c in C_GRID:
        pipe = make_pipeline(TfidfVectorizer(analyzer=lambda tokens: tokens + [
            f"{a} {b}" for a, b in zip(tokens, tokens[1:])], sublinear_tf=True),
            LogisticRegression(C=c, max_iter=2000))
        pipe.fit([t for t, _ in train], [y for _, y in train])
        acc = pipe.score([t for t, _ in dev], [y for _, y in dev])
        if best is None or acc > best[1]:
            best = (pipe, acc, c)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--imdb", action="store_true", help="also train and test on IMDB")
    args = parser.parse_args()
    sst = load_sst2(args.data_dir)
    pipe, dev_acc, c = fit_select(sst["train"], sst["dev"])
    test_acc = pipe.score([t for t, _ in sst["test"]], [y for _, y in sst["test"]])
    negation = [(t, y) for t, y in sst["test"] if negated(t)]
    negation_acc = pipe.score([t for t, _ in negation], [y for _, y in negation])
    record(args.results, "tfidf-lr/sst2", {"sst2_test_accuracy": test_acc,
                                           "sst2_dev_accuracy": dev_acc, "C": c,
                                           "sst2_test_negation_accuracy": negation_acc,
                                           "sst2_test_negation_sentences": len(negation),
                                           "command": COMMAND})
    print(f"SST-2: test {test_acc:.4f} (dev {dev_acc:.4f}, C={c}), negation slice {negation_acc:.4f}")
    if args.imdb:
        imdb(args)
    mr = load_mr(args.data_dir)
    accs = []
    for fold in range(args.folds):
        idx = cv_split(len(mr), fold, args.folds)
        train, dev, test = ([mr[i] for i in part] for part in idx)
        pipe = fit_select(train, dev)[0]
        accs.append(pipe.score([t for t, _ in test], [y for _, y in test]))
    record(args.results, "tfidf-lr/mr-cv", {"accuracy": float(np.mean(accs)),
                                            "std": float(np.std(accs)), "folds": accs,
                                            "folds_total": args.folds, "command": COMMAND})
    print(f"MR {args.folds}-fold CV: {np.mean(accs):.4f} +- {np.std(accs):.4f}")


def imdb(args) -> None:
    """Trained on IMDB's 25,000 training reviews, whole (C on a fixed tenth of them), measured on
    its 25,000 test reviews, tokenised as serving tokenises user text."""
    reviews = load_imdb_train(args.data_dir, max_tokens=10**9)
    pipe, dev_acc, c = fit_select(*split_imdb_train(reviews))
    test = [(sst_tokens(text), label) for text, label in load_imdb_test(args.data_dir)]
    test_acc = pipe.score([t for t, _ in test], [y for _, y in test])
    record(args.results, "tfidf-lr/imdb", {"imdb_test_accuracy": test_acc, "imdb_dev_accuracy": dev_acc,
                                           "C": c, "command": COMMAND + " --imdb"})
    print(f"IMDB: test {test_acc:.4f} (dev {dev_acc:.4f}, C={c})")


if __name__ == "__main__":
    main()
