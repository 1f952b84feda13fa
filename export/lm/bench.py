"""One generation step at batch 1, onnxruntime (shipped and fp32 graphs) beside torch eager, and
greedy tokens/s of the app's own generation loop, in-process:

    python -m export.lm.bench weights/lm-lstm

A step is what generation does per token: one token and the carried state in, logits and the new
state out. Torch eager runs the RecurrentLM rebuilt from the shipped model.onnx (int8 and fp16
weights widened to float32: export/lm/from_onnx.py), and the fp32 graph is that model exported
again. Both sides get one thread, as the app runs its sessions. Greedy tokens/s times
serving.language_model.LanguageModel.generate (prompt included, 200 tokens a call, the most a
request may ask for), per wall second and per CPU second of this process (what it gets from a
core of its own where other jobs share the machine). Beside them the floor: a step reads every
weight of model.onnx (the output layer the whole word matrix), so at one core's read bandwidth
no step is faster than bytes / bandwidth, whatever the arithmetic.
"""
import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from export.lm.export import export_step
from export.lm.from_onnx import load_torch_model
from export.timing import median_ms, read_bandwidth_gbs
from serving.language_model import MAX_NEW_TOKENS, LanguageModel
from serving.onnx_session import make_session
from serving.weights import load_manifest

PROMPT = "the company said it expects"


def onnx_step(path: Path, threads: int):
    s = make_session(path, threads)
    feeds = {i.name: np.zeros((i.shape[0], 1, i.shape[2]), np.float32)
             for i in s.get_inputs() if i.name != "tokens"} | {"tokens": np.array([[1]], np.int64)}
    return s, feeds


def weight_bytes(path: Path) -> int:
    """Bytes of the graph's stored weights, which every step reads."""
    return sum(numpy_helper.to_array(w).nbytes for w in onnx.load(str(path)).graph.initializer)


def greedy_tokens_per_s(folder: Path, tokens: int) -> tuple[float, float]:
    """Tokens per wall second and per CPU second of greedy generation as the app serves it."""
    lm = LanguageModel(load_manifest(folder))
    list(lm.generate(PROMPT, MAX_NEW_TOKENS))  # warm-up
    calls = max(1, tokens // MAX_NEW_TOKENS)
    wall, cpu = time.perf_counter(), time.process_time()
    made = sum(len(list(lm.generate(PROMPT, MAX_NEW_TOKENS))) for _ in range(calls))
    return made / (time.perf_counter() - wall), made / (time.process_time() - cpu)


def bench(folder: Path, threads: int = 1, repeats: int = 500, tokens: int = 4000) -> dict:
    torch.set_num_threads(threads)
    model = load_torch_model(folder)
    token, state = torch.tensor([[1]]), model.initial_state(1)

    def eager():
        with torch.inference_mode():
            model(token, state)

    result = {"model": folder.name, "threads": threads, "torch_eager_ms": median_ms(eager, repeats)}
    with tempfile.TemporaryDirectory() as tmp:
        export_step(model, Path(tmp) / "fp32.onnx")
        for name, path in (("onnx_fp32_ms", Path(tmp) / "fp32.onnx"), ("onnx_shipped_ms", folder / "model.onnx")):
            s, feeds = onnx_step(path, threads)
            result[name] = median_ms(lambda: s.run(None, feeds), repeats)
    result["shipped_vs_eager"] = result["onnx_shipped_ms"] / result["torch_eager_ms"]
    result["greedy_tokens_per_s"], result["greedy_tokens_per_cpu_s"] = greedy_tokens_per_s(folder, tokens)
    nbytes = weight_bytes(folder / "model.onnx")
    result["floor"] = {"weight_bytes_per_step": nbytes, "single_core_read_gbs": read_bandwidth_gbs(nbytes)}
    result["floor"]["floor_ms_per_step"] = nbytes / result["floor"]["single_core_read_gbs"] / 1e6
    result["floor"]["floor_tokens_per_s"] = 1000 / result["floor"]["floor_ms_per_step"]
    result["load_average"] = os.getloadavg()[0]
    return result


def rounded(value):
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return round(value, 4) if isinstance(value, float) else value


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", help="weights folder, e.g. weights/lm-lstm")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=500)
    p.add_argument("--tokens", type=int, default=4000, help="greedy tokens to time")
    args = p.parse_args()
    result = bench(Path(args.folder), args.threads, args.repeats, args.tokens)
    print(json.dumps(rounded(result)))


if __name__ == "__main__":
    main()
