"""The scale-out tier on one machine, for its tests and its benchmark: a Ray cluster on 127.0.0.1,
the model deployments of serve_config.yaml, Gradio front ends calling them (MODELS_ON_RAY), and
nginx in front of the front ends. docs/scale-out.md describes the same on many machines.

nginx must send every request of one Gradio session to the same front end (the queue's state
lives in one process): `hash $remote_addr consistent` keeps a client on one front end, by its
full address (ip_hash would key on the first three octets, one bucket for all of 127.0.0.x).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from export.app_process import ROOT, free_port, start_app, stop_app

SERVE_CONFIG = ROOT / "serve_config.yaml"
ENV = {"RAY_USAGE_STATS_ENABLED": "0", "ORT_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(ROOT),
       "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1"}
TASKS = ("word-vectors", "language-model", "sentiment")


def ray_env() -> dict:
    return {**os.environ, **ENV}


def start_ray(cpus: int = 2, timeout: float = 180) -> tuple[subprocess.Popen, str]:
    """`ray start --head --block` on 127.0.0.1 (replicas import this repository: PYTHONPATH,
    cwd), in a process group of its own: (that process, the cluster's address). `ray stop`
    would stop every cluster on the machine; stop_ray stops this one only."""
    port = free_port()
    proc = subprocess.Popen(["ray", "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
                             "--port", str(port), "--num-cpus", str(cpus), "--include-dashboard", "false",
                             "--disable-usage-stats"], cwd=ROOT, env=ray_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_ray(proc)
                raise RuntimeError(f"ray start --head did not answer on port {port}")
            time.sleep(0.5)


def stop_ray(proc: subprocess.Popen) -> None:
    """The cluster's whole process group: the GCS, the raylet and every worker it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def deploy(address: str, with_batched_copies: bool = False, timeout: float = 240) -> None:
    """serve_config.yaml's applications, and with_batched_copies each once more with batching on
    (named <task>-batched, for a benchmark to call both in turns: then every application gets one
    replica of a quarter CPU, so that six fit on two cores and neither variant scales more than
    the other); then wait until all run."""
    config = SERVE_CONFIG.read_text()
    if with_batched_copies:
        config = re.sub(r"autoscaling_config: \{[^}]*\}", "num_replicas: 1", config)
        config = config.replace("num_cpus: 0.5", "num_cpus: 0.25")
        head, apps = config.split("applications:\n", 1)
        batched = apps.replace("batching: false", "batching: true")
        for task in TASKS:
            batched = batched.replace(f"- name: {task}\n", f"- name: {task}-batched\n")
        config = f"{head}applications:\n{apps}{batched}"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=ROOT, delete=False) as f:
        f.write(config)
    try:
        subprocess.run(["serve", "run", "--address", address, "--non-blocking", f.name], cwd=ROOT,
                       env=ray_env(), check=True, capture_output=True, timeout=timeout)
    finally:
        os.unlink(f.name)
    wait_running(address, timeout)


def wait_running(address: str, timeout: float) -> None:
    probe = ("import json, ray\nfrom ray import serve\n"
             f"ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False)\n"
             "print(json.dumps({n: str(a.status) for n, a in serve.status().applications.items()}))")
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ray_env(), capture_output=True,
                              text=True, timeout=120)
        status = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {}
        if status and all(s.endswith("RUNNING") for s in status.values()) and set(TASKS) <= status.keys():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"Serve applications not running after {timeout} s: {status or done.stderr[-2000:]}")
        time.sleep(2)


def start_front_ends(address: str, count: int = 2) -> list:
    """count `python app.py` processes with MODELS_ON_RAY=address: [(process, url)]."""
    return [start_app({**ENV, "MODELS_ON_RAY": address}, timeout=180) for _ in range(count)]


def nginx_config(ports: list[int], listen: int, affinity: bool, prefix: Path) -> str:
    """Round robin without affinity (to show what breaks), the client-address hash with it.
    Buffering off and long reads: Gradio streams answers as server-sent events."""
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
    return f"""worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream gradio {{
{"        hash $remote_addr consistent;" if affinity else ""}
{servers}
    }}
    server {{
        listen 127.0.0.1:{listen};
        location / {{
            proxy_pass http://gradio;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def start_nginx(urls: list[str], affinity: bool = True):
    """nginx on a free loopback port in front of the front ends: (process, url, its folder)."""
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    listen = free_port()
    ports = [int(u.rstrip("/").rsplit(":", 1)[1]) for u in urls]
    (prefix / "nginx.conf").write_text(nginx_config(ports, listen, affinity, prefix))
    proc = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(prefix / "nginx.conf"),
                             "-p", str(prefix), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{listen}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, prefix
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"nginx did not answer on {url}")


def stop_nginx(proc, prefix: Path) -> None:
    proc.terminate()
    proc.wait(timeout=30)
    shutil.rmtree(prefix, ignore_errors=True)


def stop_front_ends(front_ends: list) -> None:
    for proc, _ in front_ends:
        stop_app(proc)
