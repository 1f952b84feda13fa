"""Shared fixtures: the real app on 127.0.0.1 in a subprocess, reached through gradio_client."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", ROOT.parent / "shared" / "data"))
WEIGHTS_DIR = ROOT / "weights"


def needs_data(*relative_paths: str):
    """Skip a test whose corpus is absent (CI has ../shared/data)."""
    missing = [p for p in relative_paths if not (DATA_DIR / p).exists()]
    return pytest.mark.skipif(bool(missing), reason=f"corpus not found: {missing} under {DATA_DIR}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_overrides: dict | None = None, timeout: float = 90.0, script: str = "app.py"):
    """Start `python app.py` (or another Gradio script) on a free loopback port; returns
    (process, url) once it answers."""
    import urllib.request
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           **(env_overrides or {})}
    # a file, not a pipe: nobody reads a pipe while the app runs, and once its 64 KiB fill up
    # (Gradio logs every gr.Error with a traceback) the server blocks on its next write
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, script], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
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


@pytest.fixture(scope="session")
def app_url():
    proc, url = start_app()
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)
