"""onnxruntime sessions configured for a small CPU box (docs/architecture.md: explicit threads, no spinning)."""
import os
from pathlib import Path

import serving.telemetry_off  # noqa: F401  (before onnxruntime is imported)
import onnxruntime as ort  # noqa: E402

ONNX_THREADS = int(os.environ.get("ONNX_THREADS", "1"))
# "1" lets idle pool threads spin, only to measure what that costs (export/bench_app.py)
ONNX_SPINNING = os.environ.get("ONNX_SPINNING", "0")


def make_session(model_path: str | Path, threads: int = ONNX_THREADS,
                 memory_arena: bool = True) -> ort.InferenceSession:
    """One thread per request by default: concurrent requests then share the cores instead of
    each spinning a thread pool that starves the others. memory_arena=False for a graph whose
    intermediate tensors grow with the input: the arena keeps its peak for good (5,000-token
    reviews through the sentiment CNN left a process 225 MB larger, 95 MB without it, at the
    same speed within the noise of a shared machine)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.enable_cpu_mem_arena = memory_arena
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", ONNX_SPINNING)
    options.add_session_config_entry("session.inter_op.allow_spinning", ONNX_SPINNING)
    return ort.InferenceSession(str(model_path), sess_options=options,
                                providers=["CPUExecutionProvider"])
