"""The app beside its peers, measured side by side in one run and reported as ratios:

- each model in onnxruntime vs the same model in torch eager, at batch 1 and a larger batch
  (one thread each, as the app serves; torch gets random weights of the shipped shapes: the time of
  these graphs does not depend on the values);
- the app's per-request cost: each endpoint's round trip vs the trivial /echo endpoint of the same
  app, through gradio_client and through the raw HTTP API;
- cold start of `python app.py` until it answers vs a bare Gradio app, and resident memory;
- our word2vec trainer vs gensim, from results/word2vec_bench.json (python -m export.word2vec.bench_training);
- onnxruntime threads under concurrent load: ONNX_THREADS 1 vs 2, idle threads spinning or not.

    python -m export.bench_app --out results/bench_app.json
    python -m export.bench_app --quick        # small counts, to try it
    python -m export.bench_app --only cold_start --starts 10   # one part (here: start-up alone)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import torch
from gradio_client import Client

from export import loadtest
from export.app_process import start_app, stop_app
from export.classifier import bench as bench_classifier
from export.lm.export import export_step
from export.lm.model import build_model
from export.timing import median_ms
from export.word2vec import bench as bench_word_vectors
from export.word2vec.from_onnx import stored_embeddings
from serving.onnx_session import make_session
from serving.weights import DEFAULT_WEIGHTS_DIR, load_all
from serving.word_vectors import load_word_vectors

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = """import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("bare")
demo.launch(server_name="127.0.0.1")
"""
PARTS = ["models", "cold_start", "word2vec_training", "threads"]
THREAD_CONFIGS = [{"ONNX_THREADS": "1", "ONNX_SPINNING": "0"}, {"ONNX_THREADS": "2", "ONNX_SPINNING": "0"},
                  {"ONNX_THREADS": "2", "ONNX_SPINNING": "1"}]


def ratio(a: float, b: float) -> float:
    return round(a / b, 2)


def lm_step(manifest: dict, batch: int, repeats: int) -> dict:
    """One generation step (a token and the carried state per sequence) for `batch` sequences."""
    hp = manifest["hyperparameters"]
    model = build_model(hp).eval()
    tokens, state = torch.ones(1, batch, dtype=torch.long), model.initial_state(batch)

    def eager():
        with torch.inference_mode():
            model(tokens, state)

    result = {"batch": batch, "torch_eager_ms": median_ms(eager, repeats)}
    with tempfile.TemporaryDirectory() as tmp:
        export_step(model, Path(tmp) / "fp32.onnx")
        for name, path in (("onnx_fp32_ms", Path(tmp) / "fp32.onnx"), ("onnx_shipped_ms", Path(manifest["folder"]) / "model.onnx")):
            session = make_session(path, threads=1)
            feeds = {i.name: np.zeros((i.shape[0], batch, i.shape[2]), np.float32)
                     for i in session.get_inputs() if i.name != "tokens"} | {"tokens": tokens.numpy()}
            result[name] = median_ms(lambda: session.run(None, feeds), repeats)
    result["eager_over_shipped"] = ratio(result["torch_eager_ms"], result["onnx_shipped_ms"])
    return result


def word_vector_query(manifest: dict, repeats: int) -> dict:
    """One analogy query (batch 1: the graph answers one query): the ONNX graph, the same
    arithmetic in torch eager on the graph's own vectors, and gensim when it is served."""
    stored = stored_embeddings(Path(manifest["folder"]) / "model.onnx")
    vectors = torch.nn.functional.normalize(torch.from_numpy(stored.astype(np.float32)), dim=1)
    ours = load_word_vectors(manifest)
    (pos, neg) = bench_word_vectors.QUERIES[0]
    ids = torch.tensor([ours.index[w] for w in pos + neg])
    signs = torch.tensor([1.0] * len(pos) + [-1.0] * len(neg))

    def eager():
        with torch.inference_mode():
            scores = vectors @ torch.nn.functional.normalize(signs @ vectors[ids], dim=0)
            scores[ids] = -float("inf")
            scores.topk(10)

    torch.set_num_threads(1)
    return {"batch": 1, "onnx_ms": median_ms(lambda: ours.query(pos, neg, 10, "3CosAdd"), repeats),
            "torch_eager_ms": median_ms(eager, repeats)}


def models_vs_eager(manifests: dict, batch: int, repeats: int) -> dict:
    torch.set_num_threads(1)
    out = {}
    for name, m in manifests.items():
        if m["task"] == "language-model":
            out[name] = [lm_step(m, b, repeats) for b in (1, batch)]
        elif m["task"] == "sentiment":
            out[name] = [bench_classifier.bench(m["folder"], runs=repeats, batch=b) for b in (1, batch)]
            for r in out[name]:
                r["eager_over_onnx"] = ratio(r["torch_eager_p50_ms"], r["onnxruntime_p50_ms"])
        elif m.get("format") == "onnx-analogy":
            r = word_vector_query(m, repeats)
            out[name] = [{**r, "eager_over_onnx": ratio(r["torch_eager_ms"], r["onnx_ms"])}]
        elif m["task"] == "word-vectors":  # the gensim baseline: its own query, for reference
            baseline, (pos, neg) = load_word_vectors(m), bench_word_vectors.QUERIES[0]
            out[name] = [{"batch": 1, "gensim_ms": median_ms(lambda: baseline.query(pos, neg, 10, "3CosAdd"), repeats)}]
    return out


def per_request(url: str, repeats: int) -> dict:
    """Median round trip per endpoint, sequential requests, and its ratio to /echo."""
    mix = loadtest.served_mix(url) | {"/echo": ["hello"]}
    client = Client(url, verbose=False)
    out = {}
    with httpx.Client() as http:
        for api, data in mix.items():
            times = {"gradio_client": [], "raw_http": []}
            for _ in range(repeats):
                start = time.perf_counter()
                client.predict(*data, api_name=api)
                times["gradio_client"].append(time.perf_counter() - start)
                start = time.perf_counter()
                kind, value = loadtest.call(http, url, api, data)
                assert kind == "ok", f"{api}: {value}"
                times["raw_http"].append(time.perf_counter() - start)
            out[api] = {k: round(1000 * statistics.median(v), 2) for k, v in times.items()}
    for api in out:
        for via in ("gradio_client", "raw_http"):
            out[api][f"{via}_over_echo"] = ratio(out[api][via], out["/echo"][via])
    return out


def started(script: str) -> tuple[subprocess.Popen, str, float]:
    """(process, url, seconds until its page answered)."""
    start = time.perf_counter()
    proc, url = start_app(script=script, timeout=120)
    return proc, url, time.perf_counter() - start


def every_model_answers(url: str, since: float) -> float:
    """Seconds from `since` until the slowest model to load (gensim's, read once the page
    answers: serving/word_vectors.py) has answered a query."""
    with httpx.Client() as http:
        kind, value = loadtest.call(http, url, "/neighbors", ["computer", 10, "gensim-word2vec"])
    assert kind == "ok", value
    return time.perf_counter() - since


def cold_start(repeats: int, requests: int) -> dict:
    """Seconds until the page answers and resident memory, idle and after the per-request
    measurement warmed every endpoint, for the app and for a bare Gradio app; for the app also
    the seconds until every model has answered."""
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        out = {"app": {"seconds": [], "every_model_seconds": []}, "bare_gradio": {"seconds": []}}
        for _ in range(repeats):
            for name, script in (("app", "app.py"), ("bare_gradio", str(bare))):
                start = time.perf_counter()
                proc, url, seconds = started(script)
                out[name]["seconds"].append(round(seconds, 2))
                if name == "app":
                    out[name]["every_model_seconds"].append(round(every_model_answers(url, start), 2))
                time.sleep(1)
                out[name]["rss_mb_idle"] = loadtest.rss_mb(proc.pid)
                if name == "app" and "per_request" not in out:
                    out["per_request"] = per_request(url, requests)
                    out[name]["rss_mb_after_requests"] = loadtest.rss_mb(proc.pid)
                stop_app(proc)
    for name in ("app", "bare_gradio"):
        out[name]["median_seconds"] = statistics.median(out[name]["seconds"])
    out["app"]["median_every_model_seconds"] = statistics.median(out["app"]["every_model_seconds"])
    out["app_over_bare"] = {"start": ratio(out["app"]["median_seconds"], out["bare_gradio"]["median_seconds"]),
                            "rss_idle": ratio(out["app"]["rss_mb_idle"], out["bare_gradio"]["rss_mb_idle"])}
    return out


def word2vec_vs_gensim(path: Path) -> dict:
    if not path.exists():
        return {"missing": f"{path}: run python -m export.word2vec.bench_training"}
    r = json.loads(path.read_text())
    keep = ("seconds", "words_per_second", "analogy_accuracy", "wordsim353_spearman")
    return {"source": str(path.relative_to(ROOT)), "corpus": r["corpus"], "settings": r["settings"],
            "ours": {k: r["ours"][k] for k in keep}, "gensim": {k: r["gensim"][k] for k in keep},
            "words_per_second_ours_over_gensim": ratio(r["ours"]["words_per_second"], r["gensim"]["words_per_second"]),
            "analogy_points_ours_minus_gensim": round(100 * (r["ours"]["analogy_accuracy"] - r["gensim"]["analogy_accuracy"]), 1)}


def onnx_threads(clients: int, requests: int) -> list[dict]:
    """The same load against the app started under each thread configuration."""
    out = []
    for config in THREAD_CONFIGS:
        report = loadtest.main(["--clients", str(clients), "--requests", str(requests),
                                "--env", *[f"{k}={v}" for k, v in config.items()]])
        load = report["load"]
        out.append({**config, "throughput_rps": load["throughput_rps"], "failures": load["failures"],
                    **load["latency_ms"], "rss_mb_after": report["rss_mb_after"]})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=DEFAULT_WEIGHTS_DIR)
    p.add_argument("--batch", type=int, default=32, help="the larger batch")
    p.add_argument("--quick", action="store_true", help="few repeats, to try the command")
    p.add_argument("--only", choices=PARTS, help="measure this part alone")
    p.add_argument("--starts", type=int, help="cold starts of each app (default 3, 1 with --quick)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    repeats, requests, starts, clients, per_client = (20, 5, 1, 4, 5) if args.quick else (300, 30, 3, 16, 25)
    os.environ["WEIGHTS_DIR"] = str(args.weights)
    report = {"machine": loadtest.machine(), "torch": torch.__version__,
              "onnxruntime": bench_classifier.ort.__version__, "command": " ".join(["python -m export.bench_app", *sys.argv[1:]])}
    wanted = [args.only] if args.only else PARTS
    if "models" in wanted:
        report["models_onnx_vs_torch_eager"] = models_vs_eager(load_all(args.weights), args.batch, repeats)
    if "cold_start" in wanted:
        report["cold_start_and_memory"] = cold_start(args.starts or starts, requests)
        report["per_request"] = report["cold_start_and_memory"].pop("per_request")
    if "word2vec_training" in wanted:
        report["word2vec_vs_gensim"] = word2vec_vs_gensim(ROOT / "results" / "word2vec_bench.json")
    if "threads" in wanted:
        report["onnx_threads_under_load"] = onnx_threads(clients, per_client)
    report["machine"]["load_average_after"] = os.getloadavg()
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
