"""The bag-of-n-grams baseline beside the CNN: TF-IDF (words and bigrams) + logistic regression,
on the same tokens, splits and folds; C is chosen on dev (SST-2 dev, each MR fold's dev slice).

    python -m export.classifier.baseline_tfidf
"""
import argparse

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from export.classifier.data import cv_split, load_mr, load_sst2
from export.classifier.results import RESULTS, record
from export.corpora import DEFAULT_DATA_DIR

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
    args = parser.parse_args()
    sst = load_sst2(args.data_dir)
    pipe, dev_acc, c = fit_select(sst["train"], sst["dev"])
    test_acc = pipe.score([t for t, _ in sst["test"]], [y for _, y in sst["test"]])
    record(args.results, "tfidf-lr/sst2", {"sst2_test_accuracy": test_acc,
                                           "sst2_dev_accuracy": dev_acc, "C": c,
                                           "command": COMMAND})
    print(f"SST-2: test {test_acc:.4f} (dev {dev_acc:.4f}, C={c})")
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


if __name__ == "__main__":
    main()
