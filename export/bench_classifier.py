"""Latency of one 50-token sentence: the shipped ONNX graph in onnxruntime against the same
module in torch eager, both on one thread, in-process (median of many runs). The eager model's
plain forward (logits only, no evidence) is timed too, as the stricter comparison.

    python -m export.bench_classifier weights/sentiment-cnn --checkpoint cnn-non-static.safetensors
Without --checkpoint the torch side gets random weights of the same shapes (the time of these
graphs does not depend on the weight values).
"""
import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from export.classifier_model import Explained, build_model
from export.train_classifier import RESULTS, load_checkpoint, record
from export.timing import median_ms


def bench(folder: str | Path, checkpoint: str | None = None, tokens: int = 50,
          runs: int = 500, batch: int = 1) -> dict:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    hp = manifest["hyperparameters"]
    vocab_size = len((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
    if checkpoint:
        model = load_checkpoint(checkpoint)[0]
    else:
        model = build_model(hp["model"], vocab_size, torch.zeros(vocab_size, hp["embedding_dim"]))
    explained = Explained(model, manifest["metrics"]["temperature"])
    torch.set_num_threads(1)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(folder / "model.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    ids = np.random.default_rng(0).integers(2, vocab_size, (batch, tokens))
    ids_t = torch.from_numpy(ids)

    def eager(module):
        def run():
            with torch.inference_mode():
                module(ids_t)
        return run
    return {"tokens": tokens, "batch": batch, "runs": runs,
            "onnxruntime_p50_ms": median_ms(lambda: session.run(None, {"ids": ids}), runs),
            "torch_eager_p50_ms": median_ms(eager(explained), runs),
            "torch_eager_logits_only_p50_ms": median_ms(eager(explained.model.eval()), runs),
            "onnxruntime": ort.__version__, "torch": torch.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--checkpoint")
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args()
    result = bench(args.folder, args.checkpoint, args.tokens, args.runs)
    result["ratio"] = result["onnxruntime_p50_ms"] / result["torch_eager_p50_ms"]
    result["command"] = f"python -m export.bench_classifier {Path(args.folder).as_posix()}"
    record(args.results, f"bench/{Path(args.folder).name}", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
