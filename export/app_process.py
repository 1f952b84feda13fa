"""`python app.py` (or another Gradio script) in a subprocess on a free loopback port, for the
load test, the benchmarks and the tests, which all measure the app as a user reaches it."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_overrides: dict | None = None, timeout: float = 90.0, script: str = "app.py"):
    """Start `python app.py` (or another Gradio script) on a free loopback port; returns
    (process, url) once it answers. process.log is the file its output goes to."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           **(env_overrides or {})}
    # a file, not a pipe: nobody reads a pipe while the app runs, and once its 64 KiB fill up
    # (Gradio logs every gr.Error with a traceback) the server blocks on its next write
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, script], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log = log
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"app exited with {proc.returncode}:\n{log.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"app did not answer on {url} within {timeout} s")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)
