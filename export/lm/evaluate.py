"""Perplexity of a shipped language model on a PTB split, with onnxruntime on its model.onnx:
`python -m export.lm.evaluate weights/lm-lstm` (the eval_command in each manifest).

One stream at batch 1 with the state carried from window to window, as Zaremba et al. measured
the test set, so the number does not depend on how the stream was cut into batches.
"""
import argparse
import math
from pathlib import Path

import numpy as np

from export.corpora import DEFAULT_DATA_DIR
from export.lm.data import read_words
from serving.onnx_session import make_session
from serving.weights import read_vocab


def ids_of(words: list[str], vocab: list[str]) -> np.ndarray:
    index = {w: i for i, w in enumerate(vocab)}
    return np.array([index[w] for w in words], dtype=np.int64)


def onnx_perplexity(path: Path, ids: np.ndarray, window: int = 100, threads: int = 2) -> float:
    s = make_session(path, threads)
    outputs = [o.name for o in s.get_outputs()]
    state = {i.name: np.zeros((i.shape[0], 1, i.shape[2]), np.float32)
             for i in s.get_inputs() if i.name != "tokens"}
    nll = 0.0
    for start in range(0, len(ids) - 1, window):
        targets = ids[start + 1:start + 1 + window]
        result = dict(zip(outputs, s.run(None, {"tokens": ids[start:start + len(targets), None], **state})))
        logits = result["logits"][:, 0, :].astype(np.float64)
        top = logits.max(axis=1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        nll += float((log_z - logits[np.arange(len(targets)), targets]).sum())
        state = {n: result[f"{n}_out"] for n in state}
    return math.exp(nll / (len(ids) - 1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", help="a weights folder, e.g. weights/lm-lstm")
    p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    p.add_argument("--split", default="test", choices=("train", "valid", "test"))
    args = p.parse_args()
    folder = Path(args.folder)
    vocab = read_vocab(folder)
    ids = ids_of(read_words(Path(args.data_dir) / "ptb" / f"ptb.{args.split}.txt"), vocab)
    print(f"{folder} {args.split} perplexity {onnx_perplexity(folder / 'model.onnx', ids):.2f} "
          f"over {len(ids) - 1} predicted tokens")


if __name__ == "__main__":
    main()
