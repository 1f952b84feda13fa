"""One generation step at batch 1, onnxruntime (shipped and fp32 graphs) beside torch eager, and
greedy tokens/s in-process: `python -m export.bench_lm weights/lm-lstm --run checkpoints/lm-lstm`.

A step is what generation does per token: one token and the carried state in, logits and the new
state out. Single-threaded by default, as the app runs its sessions.
"""
import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from export.evaluate_lm import session
from export.export_lm import export_step, load_run
from export.timing import median_ms


def onnx_step(path: Path, threads: int):
    s = session(path, threads)
    feeds = {i.name: np.zeros((i.shape[0], 1, i.shape[2]), np.float32)
             for i in s.get_inputs() if i.name != "tokens"} | {"tokens": np.array([[1]], np.int64)}
    return s, feeds


def greedy_tokens_per_s(path: Path, threads: int, tokens: int) -> tuple[float, float]:
    """Greedy decoding as serving does it: argmax, then feed that token and the state back.
    Tokens per wall second, and per CPU second of this process (what it gets from a core of
    its own, where other jobs share the machine)."""
    s, feeds = onnx_step(path, threads)
    outputs = [o.name for o in s.get_outputs()]
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(tokens):
        out = dict(zip(outputs, s.run(None, feeds)))
        feeds = {n: out[f"{n}_out"] for n in feeds if n != "tokens"} | {
            "tokens": np.array([[int(np.argmax(out["logits"][-1, 0]))]], np.int64)}
    return tokens / (time.perf_counter() - wall), tokens / (time.process_time() - cpu)


def bench(folder: Path, run: Path, threads: int = 1, repeats: int = 500, tokens: int = 2000) -> dict:
    torch.set_num_threads(threads)
    model, _ = load_run(run)
    token, state = torch.tensor([[1]]), model.initial_state(1)

    def eager():
        with torch.no_grad():
            model(token, state)

    result = {"model": folder.name, "threads": threads, "torch_eager_ms": median_ms(eager, repeats)}
    with tempfile.TemporaryDirectory() as tmp:
        export_step(model, Path(tmp) / "fp32.onnx")
        for name, path in (("onnx_fp32_ms", Path(tmp) / "fp32.onnx"), ("onnx_shipped_ms", folder / "model.onnx")):
            s, feeds = onnx_step(path, threads)
            result[name] = median_ms(lambda: s.run(None, feeds), repeats)
    result["shipped_vs_eager"] = result["onnx_shipped_ms"] / result["torch_eager_ms"]
    result["greedy_tokens_per_s"], result["greedy_tokens_per_cpu_s"] = greedy_tokens_per_s(
        folder / "model.onnx", threads, tokens)
    result["load_average"] = os.getloadavg()[0]
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", help="weights folder, e.g. weights/lm-lstm")
    p.add_argument("--run", required=True, help="its checkpoint prefix, for torch eager")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=500)
    p.add_argument("--tokens", type=int, default=2000, help="greedy tokens to time")
    args = p.parse_args()
    result = bench(Path(args.folder), Path(args.run), args.threads, args.repeats, args.tokens)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))


if __name__ == "__main__":
    main()
