"""Bounded load on the app over loopback: N concurrent clients x M requests over a mix of every
served endpoint; throughput, p50/p95/p99 latency and failures. --soak-minutes keeps the clients
going for that long and samples the server's resident memory; --burst fires that many slow
requests at once to see an overloaded queue answer "full" at once instead of letting them wait;
--largest sends each endpoint the largest request it accepts, one at a time, and reports the
server's resident memory before, at its peak during and after each.

    python -m export.loadtest --clients 32 --requests 50 --out results/load.json
    python -m export.loadtest --clients 8 --soak-minutes 10 --out results/soak.json
    python -m export.loadtest --largest --out results/largest_requests.json

Starts `python app.py` on a free loopback port (with --env settings, e.g. ONNX_THREADS=2) unless
--url names a running one (loopback only; its memory is sampled when --pid is given).
"""
import argparse
import json
import os
import platform
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
from gradio_client.utils import construct_args

from export.app_process import start_app, stop_app
from serving.limits import MAX_QUERY_WORDS, MAX_TEXT_CHARS

# one valid request per endpoint; an endpoint that is not served (no model for its tab) is left out
MIX = {
    "/analogy": {"positive": "king, woman", "negative": "man"},
    "/neighbors": {"words": "computer"},
    "/generate": {"prompt": "the company said", "max_new_tokens": 20, "strategy": "sample"},
    "/next_word": {"prompt": "the stock market"},
    "/perplexity": {"text": "The company said its profit rose in the third quarter."},
    "/gates": {"prompt": "the market fell sharply"},
    "/classify": {"text": "A wonderful, moving film."},
    "/models": {},
}
SLOW = ("/gates", {"prompt": "the market fell " * 300})  # about 900 tokens stepped one at a time
FREQUENT = ("the of and in a to was is for as on by with he that at from his it an were are which this "
            "also be").split()
LONGEST_PROMPT = "the market fell " * 333  # 999 tokens: the language models read at most 1,000
# the largest request each endpoint accepts (serving/limits.py, serving/language_model.py)
LARGEST = {
    "/analogy": {"positive": " ".join(FREQUENT[:MAX_QUERY_WORDS - 1]), "negative": FREQUENT[MAX_QUERY_WORDS - 1],
                 "topn": 100, "method": "3CosMul"},
    "/neighbors": {"words": " ".join(FREQUENT[:MAX_QUERY_WORDS]), "topn": 100},
    "/generate": {"prompt": LONGEST_PROMPT, "max_new_tokens": 200, "strategy": "sample"},
    "/next_word": {"prompt": LONGEST_PROMPT, "topn": 50},
    "/perplexity": {"text": LONGEST_PROMPT},
    "/gates": {"prompt": LONGEST_PROMPT},
    "/classify": {"text": ("a wonderful , moving film " * 1600)[:MAX_TEXT_CHARS]},  # read to 5,000 tokens
    "/echo": {"text": "x" * MAX_TEXT_CHARS},
}
# a soak's memory is flat below this growth over its second half (0.5 MB/min: 30 MB an hour)
FLAT_MB_PER_MIN = 0.5


def call(http: httpx.Client, url: str, api: str, data: list, timeout: float = 60) -> tuple[str, object]:
    """One request through Gradio's raw API (POST /gradio_api/call/<api>, then its event stream):
    ("ok", answer), ("error", message) or ("refused", "<status>: <detail>"). Raises TimeoutError
    when no answer comes within timeout seconds."""
    posted = http.post(f"{url}gradio_api/call{api}", json={"data": data}, timeout=timeout)
    if posted.status_code != 200:
        return "refused", f"{posted.status_code}: {posted.text[:200]}"
    return events(http, f"{url}gradio_api/call{api}/{posted.json()['event_id']}", timeout)


def events(http: httpx.Client, url: str, timeout: float) -> tuple[str, object]:
    deadline, event = time.monotonic() + timeout, None
    with http.stream("GET", url, timeout=timeout) as response:
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer from {url} within {timeout} s")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = json.loads(line.split(":", 1)[1])
                if event == "complete":
                    return "ok", data[0]
                return "error", data.get("error") if isinstance(data, dict) else data
    raise ConnectionError(f"{url}: the stream ended without a result (last event {event!r})")


def served_mix(url: str) -> dict[str, list]:
    """{api: full argument list} for the endpoints of MIX that the app serves."""
    named = httpx.get(f"{url}gradio_api/info", timeout=30).json()["named_endpoints"]
    return {api: construct_args(named[api]["parameters"], (), kwargs)
            for api, kwargs in MIX.items() if api in named}


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average": os.getloadavg()}


def percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {}
    ms = np.array(latencies) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 1), "p95": round(float(np.percentile(ms, 95)), 1),
            "p99": round(float(np.percentile(ms, 99)), 1), "max": round(float(ms.max()), 1)}


def run_clients(url: str, mix: dict, clients: int, requests: int, until: float, timeout: float) -> dict:
    """Each client sends its requests one after another (a random endpoint of the mix each time)
    until it has sent `requests` or the clock passes `until`."""
    records, lock = [], threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client() as http:
            for _ in range(requests):
                if time.monotonic() > until:
                    return
                api = rng.choice(list(mix))
                start = time.monotonic()
                try:
                    kind, value = call(http, url, api, mix[api], timeout)
                except (httpx.HTTPError, TimeoutError, ConnectionError) as err:
                    kind, value = "failed", f"{type(err).__name__}: {err}"
                with lock:
                    records.append((api, kind, time.monotonic() - start, None if kind == "ok" else str(value)[:200]))

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    seconds = time.monotonic() - start
    failures = [(api, kind, message) for api, kind, _, message in records if kind != "ok"]
    return {
        "clients": clients, "requests_per_client": requests, "sent": len(records),
        "failures": len(failures), "failure_examples": failures[:10], "seconds": round(seconds, 1),
        "throughput_rps": round(len(records) / seconds, 1),
        "latency_ms": percentiles([t for _, _, t, _ in records]),
        "per_endpoint": {api: {"n": sum(r[0] == api for r in records),
                               **percentiles([t for a, _, t, _ in records if a == api])} for api in mix},
    }


def soak(url: str, mix: dict, clients: int, minutes: float, pid: int | None, every: float, timeout: float) -> dict:
    samples, until = [], time.monotonic() + 60 * minutes
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        run_clients(url, mix, clients, 10**9, until, timeout)))
    start = time.monotonic()
    worker.start()
    while worker.is_alive():
        samples.append([round(time.monotonic() - start), rss_mb(pid)])
        worker.join(every)
    samples.append([round(time.monotonic() - start), rss_mb(pid)])
    return {**result, "soak_minutes": minutes, "rss_mb_samples": samples, **memory_verdict(samples)}


def memory_verdict(samples: list) -> dict:
    """Whether the server's memory stayed flat: the least-squares slope of RSS over the second
    half of the soak (the first half holds the warm-up and the filling of Gradio's session cap),
    and the mean of the first and of the last tenth of the samples. Flat: under FLAT_MB_PER_MIN."""
    points = np.array([(t, mb) for t, mb in samples if mb is not None], dtype=float)
    if len(points) < 4:
        return {"rss_verdict": "not measured (no --pid, or too short)"}
    tenth = max(1, len(points) // 10)
    late = points[points[:, 0] >= points[-1, 0] / 2]
    slope = float(np.polyfit(late[:, 0] / 60, late[:, 1], 1)[0])
    return {"rss_mb_first_tenth": round(float(points[:tenth, 1].mean()), 1),
            "rss_mb_last_tenth": round(float(points[-tenth:, 1].mean()), 1),
            "rss_mb_per_min_second_half": round(slope, 2),
            "rss_verdict": "flat" if slope < FLAT_MB_PER_MIN else f"growing ({slope:.1f} MB/min over the second half)"}


def burst(url: str, n: int, timeout: float) -> dict:
    """n slow requests at once: those past the queue's max_size must be refused at once."""
    named = httpx.get(f"{url}gradio_api/info", timeout=30).json()["named_endpoints"]
    if SLOW[0] not in named:
        return {"skipped": f"{SLOW[0]} not served"}
    data = construct_args(named[SLOW[0]]["parameters"], (), SLOW[1])

    def one(_):
        start = time.monotonic()
        with httpx.Client() as http:
            try:
                kind, value = call(http, url, SLOW[0], data, timeout)
            except (httpx.HTTPError, TimeoutError, ConnectionError) as err:
                kind, value = "failed", f"{type(err).__name__}: {err}"
        return kind, time.monotonic() - start, str(value)[:200] if kind != "ok" else None

    with ThreadPoolExecutor(n) as pool:
        outcomes = list(pool.map(one, range(n)))
    refused = [o for o in outcomes if o[0] == "refused"]
    return {"requests": n, "answered": sum(o[0] == "ok" for o in outcomes), "refused_busy": len(refused),
            "other": [o for o in outcomes if o[0] not in ("ok", "refused")][:5],
            "refusal_message": refused[0][2] if refused else None,
            "refusal_latency_ms": percentiles([o[1] for o in refused]),
            "answered_latency_ms": percentiles([o[1] for o in outcomes if o[0] == "ok"])}


def largest(url: str, pid: int, repeats: int = 3, timeout: float = 120) -> dict:
    """Each endpoint's largest accepted request, `repeats` times in a row, alone: resident memory
    before, the peak while it ran (sampled every 10 ms) and after, in MB."""
    named = httpx.get(f"{url}gradio_api/info", timeout=30).json()["named_endpoints"]
    report = {}
    with httpx.Client() as http:
        for api, kwargs in LARGEST.items():
            if api not in named:
                continue
            data = construct_args(named[api]["parameters"], (), kwargs)
            runs = []
            for _ in range(repeats):
                before, peak, done = rss_mb(pid), [0.0], threading.Event()

                def sample():
                    while not done.wait(0.01):
                        peak[0] = max(peak[0], rss_mb(pid))
                sampler = threading.Thread(target=sample)
                sampler.start()
                start = time.monotonic()
                kind, _ = call(http, url, api, data, timeout)
                seconds = time.monotonic() - start
                done.set()
                sampler.join()
                time.sleep(0.5)
                runs.append({"outcome": kind, "seconds": round(seconds, 2), "rss_mb_before": round(before, 1),
                             "rss_mb_peak": round(max(peak[0], before), 1), "rss_mb_after": round(rss_mb(pid), 1)})
            report[api] = runs
    return report


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running app on 127.0.0.1 (default: start python app.py)")
    p.add_argument("--pid", type=int, help="the running app's process id, to sample its memory")
    p.add_argument("--env", nargs="*", default=[], metavar="KEY=VALUE", help="settings for the app it starts")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--requests", type=int, default=50, help="per client")
    p.add_argument("--soak-minutes", type=float, default=0)
    p.add_argument("--sample-seconds", type=float, default=10)
    p.add_argument("--burst", type=int, default=0, help="then this many slow requests at once")
    p.add_argument("--largest", action="store_true",
                   help="instead: each endpoint's largest accepted request, alone, and the memory it takes")
    p.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long")
    p.add_argument("--timeout", type=float, default=60, help="per request")
    p.add_argument("--out", type=Path)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    proc = None
    if args.url:
        url = args.url.rstrip("/") + "/"
        if urlparse(url).hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("loopback only: the load test never leaves this machine")
        pid = args.pid
    else:
        proc, url = start_app(dict(kv.split("=", 1) for kv in args.env))
        pid = proc.pid
    try:
        mix = served_mix(url)
        report = {"machine": machine(), "app_env": args.env, "endpoints": list(mix),
                  "rss_mb_before": rss_mb(pid)}
        if args.largest:
            report["largest"] = largest(url, pid)
        elif args.soak_minutes:
            report["soak"] = soak(url, mix, args.clients, args.soak_minutes, pid, args.sample_seconds, args.timeout)
        else:
            report["load"] = run_clients(url, mix, args.clients, args.requests,
                                         time.monotonic() + args.max_seconds, args.timeout)
        if args.burst:
            report["burst"] = burst(url, args.burst, args.timeout)
        report["rss_mb_after"] = rss_mb(pid)
        report["machine"]["load_average_after"] = os.getloadavg()
    finally:
        if proc:
            stop_app(proc)
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    if "soak" in report:  # all but the memory samples, so that the verdict shows
        report_without_samples = {**report, "soak": {k: v for k, v in report["soak"].items() if k != "rss_mb_samples"}}
        text = json.dumps(report_without_samples, indent=1)
    print(text)
    return report


if __name__ == "__main__":
    main()
