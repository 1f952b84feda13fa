"""In-process against Ray mode on this machine, side by side in one run:

    python -m export.bench_scale_out [--repeats 30] [--clients 32] [--out results/scale_out.json]

- latency per endpoint: the same request to the in-process app and to a front end whose models
  run on Ray Serve, in turns (raw HTTP API, the median of --repeats each);
- throughput at --clients concurrent clients over every endpoint (the load test's mix), the two
  apps in alternating rounds; resident memory of each set of processes, idle and after;
- batching on against off: bursts of 32 and 64 concurrent calls per model to the deployments
  (through RemoteModel, as the tabs call them), both variants deployed at once and called in turns.
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from export import loadtest
from export.app_process import start_app, stop_app
from export.scale_out import ENV, deploy, start_front_ends, start_ray, stop_front_ends, stop_ray

# per model family: one call as the tabs make it (method, args)
BATCH_CALLS = {
    ("language-model", "lm-lstm"): ("perplexity", ("The company said its profit rose in the third quarter.",)),
    ("language-model", "lm-gru"): ("perplexity", ("Stock prices fell sharply after the report.",)),
    ("sentiment", "sentiment-cnn"): ("classify", ("A gorgeous, witty, seductive movie.",)),
    ("word-vectors", "word2vec"): ("query", (["king", "woman"], ["man"], 10, "3CosAdd")),
}


def rss_of(match) -> float:
    """Resident MB summed over this machine's processes whose command line matches."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if match(cmdline):
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            continue
    return round(total / 2**20, 1)


def is_ray(cmdline: str) -> bool:
    return any(k in cmdline for k in ("raylet", "gcs_server", "ray::", "ray/_private", "default_worker"))


def latencies(urls: dict, repeats: int) -> dict:
    """{endpoint: {mode: median ms}}, each request sent to every mode in turn."""
    mix = loadtest.served_mix(next(iter(urls.values())))
    times = {api: {mode: [] for mode in urls} for api in mix}
    with httpx.Client() as http:
        for api, data in mix.items():
            for mode, url in urls.items():  # warm-up
                loadtest.call(http, url, api, data)
            for _ in range(repeats):
                for mode, url in urls.items():
                    start = time.perf_counter()
                    kind, value = loadtest.call(http, url, api, data)
                    assert kind == "ok", (mode, api, value)
                    times[api][mode].append(1000 * (time.perf_counter() - start))
    return {api: {mode: round(float(np.median(t)), 1) for mode, t in by_mode.items()}
            for api, by_mode in times.items()}


def throughput(urls: dict, clients: int, requests: int, rounds: int, mix: dict | None = None) -> dict:
    """The load test's clients against each app in alternating rounds (mix: the load test's, every
    endpoint), medians over the rounds."""
    runs = {mode: [] for mode in urls}
    for _ in range(rounds):
        for mode, url in urls.items():
            runs[mode].append(loadtest.run_clients(url, mix or loadtest.served_mix(url), clients, requests,
                                                   float("inf"), 120))
    return {mode: {"throughput_rps": float(np.median([r["throughput_rps"] for r in rs])),
                   "p50_ms": float(np.median([r["latency_ms"]["p50"] for r in rs])),
                   "p99_ms": float(np.median([r["latency_ms"]["p99"] for r in rs])),
                   "failures": sum(r["failures"] for r in rs), "rounds": len(rs)}
            for mode, rs in runs.items()}


def concurrent_calls(fn, args: tuple, concurrency: int) -> float:
    """Wall seconds for `concurrency` simultaneous calls fn(*args)."""
    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        list(pool.map(lambda _: fn(*args), range(concurrency)))
        return time.perf_counter() - start


def batching(address: str, concurrencies=(32, 64), rounds: int = 5) -> dict:
    """Calls per second with batching off and on: both deployed at once (<task> and
    <task>-batched), the same bursts of concurrent calls sent to each in turn, median of rounds."""
    from serving.ray_serve import RayModels
    models = RayModels(address)
    out = {}
    for (task, name), (method, args) in BATCH_CALLS.items():
        fns = {"off": getattr(models.model(task, name), method),
               "on": getattr(models.model(task, name, f"{task}-batched"), method)}
        for fn in fns.values():
            fn(*args)  # warm-up
        for concurrency in concurrencies:
            walls = {mode: [] for mode in fns}
            for _ in range(rounds):
                for mode, fn in fns.items():
                    walls[mode].append(concurrent_calls(fn, args, concurrency))
            out[f"{name} {method} x{concurrency}"] = {
                f"batching_{mode}_calls_per_s": round(concurrency / float(np.median(w)), 1)
                for mode, w in walls.items()}
    return out


# the load test's mix, one endpoint in eight each: which family answers it (None: the front end)
MIX_FAMILIES = {"/analogy": "word-vectors", "/neighbors": "word-vectors", "/generate": "language-model",
                "/next_word": "language-model", "/perplexity": "language-model", "/gates": "language-model",
                "/classify": "sentiment", "/models": None}
# the per-replica rate that stands for each family (batching off, 32 concurrent calls)
REPLICA_RATE = {"word-vectors": "word2vec query x32", "language-model": "lm-lstm perplexity x32",
                "sentiment": "sentiment-cnn classify x32"}


def capacity(report: dict, target_rps: float = 1000.0, clients: int = 32) -> dict:
    """How many front ends and replicas serve target_rps of the load test's mix, from this run:
    a front end's own ceiling (/models in Ray mode), each family's calls per second per replica.
    Each counts as one core busy at its ceiling (a front end is one Python process, a replica
    runs one onnxruntime thread per call)."""
    front_end_rps = report[f"front_end_only_{clients}_clients"]["ray"]["throughput_rps"]
    rates = {family: report["batching_calls_per_s"][key]["batching_off_calls_per_s"]
             for family, key in REPLICA_RATE.items()}
    share = {family: sum(f == family for f in MIX_FAMILIES.values()) / len(MIX_FAMILIES) for family in rates}
    replicas = {family: int(np.ceil(target_rps * share[family] / rates[family])) for family in rates}
    front_ends = int(np.ceil(target_rps / front_end_rps))
    return {"target_rps": target_rps, "front_end_rps": front_end_rps, "replica_calls_per_s": rates,
            "mix_share": share, "front_ends": front_ends, "replicas": replicas,
            "saturates_first": "front ends" if front_ends > sum(replicas.values()) else "model replicas"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--requests", type=int, default=10, help="per client and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("results/scale_out.json"))
    args = p.parse_args()
    report = {"machine": loadtest.machine(), "command": " ".join(["python -m export.bench_scale_out", *sys.argv[1:]]),
              "load_average_before": os.getloadavg()}
    local_proc, local_url = start_app(ENV)
    ray_proc, address = start_ray()
    try:
        deploy(address, with_batched_copies=True)
        front_ends = start_front_ends(address, 1)
        (front_proc, front_url), = front_ends
        report["memory_idle_mb"] = {"in_process_app": loadtest.rss_mb(local_proc.pid),
                                    "ray_front_end": loadtest.rss_mb(front_proc.pid),
                                    "ray_cluster": rss_of(is_ray)}
        urls = {"in_process": local_url, "ray": front_url}
        report["latency_ms_p50"] = latencies(urls, args.repeats)
        report[f"throughput_{args.clients}_clients"] = throughput(urls, args.clients, args.requests, args.rounds)
        # a front end's own ceiling: /models answers from the manifests, no model work
        report[f"front_end_only_{args.clients}_clients"] = throughput(
            urls, args.clients, args.requests, args.rounds, mix={"/models": []})
        report["memory_after_load_mb"] = {"in_process_app": loadtest.rss_mb(local_proc.pid),
                                          "ray_front_end": loadtest.rss_mb(front_proc.pid),
                                          "ray_cluster": rss_of(is_ray)}
        stop_front_ends(front_ends)
        stop_app(local_proc)
        report["batching_calls_per_s"] = batching(address)
    finally:
        stop_ray(ray_proc)
        if local_proc.poll() is None:
            stop_app(local_proc)
    report["load_average_after"] = os.getloadavg()
    report["capacity_for_1000_rps"] = capacity(report, clients=args.clients)
    text = json.dumps(report, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
