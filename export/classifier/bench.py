"""Latency of one 50-token sentence (or --tokens of them, a review): the shipped ONNX graph in
onnxruntime against the same model in torch eager, in-process, medians of runs taken in turns,
and what /classify costs in-process for that text (serving's SentimentModel.classify:
tokenizing, the graph, the evidence and the highlights):

    python -m export.classifier.bench weights/sentiment-cnn
    python -m export.classifier.bench weights/sentiment-bilstm
    python -m export.classifier.bench weights/sentiment-cnn --tokens 1000 --runs 200 \
        --results results/sentiment_whole_texts.json

Both sides get one thread (torch's default here would be one per core, os.cpu_count(); the app
runs each onnxruntime session on one). Torch eager runs the Explained module (logits and the
evidence outputs, as served) rebuilt from the shipped model.onnx (export/classifier/from_onnx.py:
the same weights, int8 ones widened to float32); its plain forward (logits only) is timed too.
For the CNN, the graph is exported from FusedKimCNN (one GEMM instead of three convolutions and
a second pass for the evidence), and that formulation is also timed in torch eager, as the
stricter comparison. `ratio` is onnxruntime over torch eager of Explained.
"""
import argparse
import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from export.classifier.from_onnx import explained_from_onnx
from export.classifier.model import FusedKimCNN, KimCNN, KimCNNEnsemble
from export.classifier.results import RESULTS, record
from export.timing import interleaved_median_ms
from serving.onnx_session import make_session
from serving.sentiment import SentimentModel
from serving.weights import load_manifest, read_vocab


def bench(folder: str | Path, tokens: int = 50, runs: int = 500, batch: int = 1) -> dict:
    folder = Path(folder)
    explained = explained_from_onnx(folder)
    torch_default_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    session = make_session(folder / "model.onnx", threads=1)
    vocab = read_vocab(folder)
    ids = np.random.default_rng(0).integers(2, len(vocab), (batch, tokens))
    ids_t = torch.from_numpy(ids)
    served = SentimentModel(load_manifest(folder))
    # a text of the same length in words the tokenizer reads back one token each
    words = [w for w in vocab[2:] if w.isalpha()]
    text = " ".join(np.random.default_rng(0).choice(words, tokens))
    assert served.classify(text)["tokens"] == tokens

    def eager(module):
        def run():
            with torch.inference_mode():
                module(ids_t)
        return run
    fns = {"onnxruntime_p50_ms": lambda: session.run(None, {"ids": ids}),
           "torch_eager_p50_ms": eager(explained),
           "torch_eager_logits_only_p50_ms": eager(explained.model),
           "serving_classify_p50_ms": lambda: served.classify(text)}
    if isinstance(explained.model, KimCNN | KimCNNEnsemble):
        fns["torch_eager_fused_p50_ms"] = eager(FusedKimCNN(explained))
    result = interleaved_median_ms(fns, runs)
    result["ratio"] = result["onnxruntime_p50_ms"] / result["torch_eager_p50_ms"]
    return {"tokens": tokens, "batch": batch, "runs": runs, **result, "threads": 1,
            "torch_default_threads": torch_default_threads, "load_average": os.getloadavg()[0],
            "onnxruntime": ort.__version__, "torch": torch.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--results", default=RESULTS)
    args = parser.parse_args()
    result = bench(args.folder, args.tokens, args.runs)
    name = Path(args.folder).name
    result["command"] = f"python -m export.classifier.bench {Path(args.folder).as_posix()}" + (
        f" --tokens {args.tokens} --runs {args.runs}" if args.tokens != 50 else "") + (
        f" --results {args.results}" if args.results != RESULTS else "")
    record(args.results, f"bench/{name}" + (f"/{args.tokens}-tokens" if args.tokens != 50 else ""), result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
