"""SST-2 test accuracy of a shipped sentiment folder, measured on its ONNX graph exactly as
served (one sentence at a time, no padding): the manifest's eval_command.

    python -m export.classifier.evaluate weights/sentiment-cnn
"""
import argparse
import json
from pathlib import Path

import numpy as np

from export.classifier.data import load_sst2
from export.corpora import DEFAULT_DATA_DIR
from serving.onnx_session import make_session
from serving.weights import read_vocab

UNK_ID = 1


def evaluate(folder: str | Path, data_dir: str | Path = DEFAULT_DATA_DIR,
             split: str = "test") -> dict:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    max_tokens = manifest["hyperparameters"]["max_tokens"]
    index = {w: i for i, w in enumerate(read_vocab(folder))}
    session = make_session(folder / "model.onnx", threads=1)
    correct = 0
    examples = load_sst2(data_dir)[split]
    for tokens, label in examples:
        ids = np.array([[index.get(t, UNK_ID) for t in tokens[:max_tokens]] or [UNK_ID]], np.int64)
        correct += int(session.run(["logits"], {"ids": ids})[0][0].argmax() == label)
    return {f"sst2_{split}_accuracy": correct / len(examples), "sentences": len(examples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    args = parser.parse_args()
    print(json.dumps(evaluate(args.folder, args.data_dir, args.split), indent=2))


if __name__ == "__main__":
    main()
