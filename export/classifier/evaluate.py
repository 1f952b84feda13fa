"""A shipped sentiment folder measured exactly as served: SST-2 accuracy on its ONNX graph (one
sentence at a time, no padding: the manifest's eval_command), the slice of sentences with a
negator (data.NEGATORS), the expected calibration error of its probabilities; with --imdb also
IMDB's 25,000 full test reviews through serving's SentimentModel, what a visitor pasting a review
gets (read whole, up to serving's 5,000-token cap). A five-class folder (SST-1's labels) is
measured on SST-1. --record NAME merges the numbers into the folder's manifest metrics and
results/classifier_results.json.

    python -m export.classifier.evaluate weights/sentiment-cnn [--imdb] [--record NAME]
"""
import argparse
import json
from pathlib import Path

import numpy as np

from export.classifier.calibration import expected_calibration_error
from export.classifier.data import SST1_LABELS, load_imdb_test, load_sst2, negated
from export.classifier.results import RESULTS, record
from export.corpora import DEFAULT_DATA_DIR
from export.manifest import write_manifest
from serving.errors import InputError
from serving.sentiment import MAX_TOKENS, SentimentModel
from serving.weights import load_manifest

UNK_ID = 1


def evaluate(folder: str | Path, data_dir: str | Path = DEFAULT_DATA_DIR,
             split: str = "test") -> dict:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    max_tokens = manifest["hyperparameters"]["max_tokens"]
    dataset = "sst1" if tuple(manifest["hyperparameters"]["labels"]) == SST1_LABELS else "sst2"
    model = SentimentModel(load_manifest(folder))   # its graph for each length, as served
    examples = load_sst2(data_dir, dataset)[split]
    logits = np.concatenate([model.run(np.array(
        [[model.index.get(t, UNK_ID) for t in tokens[:max_tokens]] or [UNK_ID]], np.int64))[0][0]
        for tokens, _ in examples])
    labels = np.array([label for _, label in examples])
    correct = logits.argmax(axis=1) == labels
    slice_ = np.array([negated(tokens) for tokens, _ in examples])
    return {f"{dataset}_{split}_accuracy": float(correct.mean()), "sentences": len(examples),
            f"{dataset}_{split}_negation_accuracy": float(correct[slice_].mean()),
            f"{dataset}_{split}_negation_sentences": int(slice_.sum()),
            f"{dataset}_{split}_ece": expected_calibration_error(logits, labels)}


def evaluate_imdb(folder: str | Path, data_dir: str | Path = DEFAULT_DATA_DIR) -> dict:
    """Each review whole, as /classify reads it (up to serving's MAX_TOKENS: imdb_test_cut says
    how many were longer). A review serving refuses (longer than its character cap) counts as
    wrong; imdb_test_not_english: how many it would flag as not English."""
    model = SentimentModel(load_manifest(folder))
    reviews = load_imdb_test(data_dir)
    correct = refused = cut = not_english = 0
    for text, label in reviews:
        try:
            result = model.classify(text)
        except InputError:
            refused += 1
            continue
        correct += model.labels.index(result["label"]) == label
        cut += result["truncated"]
        not_english += result["not_english"]
    return {"imdb_test_accuracy": correct / len(reviews), "imdb_test_reviews": len(reviews),
            "imdb_test_refused": refused, "imdb_test_cut": cut, "imdb_test_not_english": not_english,
            "imdb_tokens_read": MAX_TOKENS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    parser.add_argument("--imdb", action="store_true", help="also the 25,000 IMDB test reviews")
    parser.add_argument("--record", metavar="NAME",
                        help="write the numbers into the manifest's metrics and, with --imdb, "
                             "into --results as NAME/imdb (NAME: the run's results key)")
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args()
    result = evaluate(args.folder, args.data_dir, args.split)
    if args.imdb:
        result |= evaluate_imdb(args.folder, args.data_dir)
    print(json.dumps(result, indent=2))
    if args.record:
        command = f"python -m export.classifier.evaluate {Path(args.folder).as_posix()}" + (
            " --imdb" if args.imdb else "") + (f" --split {args.split}" if args.split != "test" else "")
        record_metrics(Path(args.folder), result, command, args.results, args.record)


def record_metrics(folder: Path, result: dict, command: str, results_path: str, name: str) -> None:
    """The measured numbers into the manifest's metrics (the command beside them) and the IMDB
    ones into the results JSON as name/imdb, where the tab's table looks for them (the
    manifest's copy of that JSON, its comparison, refreshed)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    imdb = "imdb_test_accuracy" in result
    if imdb:
        record(results_path, f"{name}/imdb", {k: v for k, v in result.items() if "imdb" in k}
               | {"command": command})
    manifest["metrics"] |= ({k: v for k, v in result.items() if k != "sentences"}
                            | {"evaluate_imdb_command" if imdb else "evaluate_command": command})
    manifest["comparison"] = json.loads(Path(results_path).read_text())
    write_manifest(folder, {k: v for k, v in manifest.items() if k != "files"})


if __name__ == "__main__":
    main()
