"""Shared fixtures: the real app on 127.0.0.1 in a subprocess, reached through gradio_client."""
import os
from pathlib import Path

import pytest

import serving.telemetry_off  # noqa: F401  (first: the env before gradio, onnxruntime)

from export.app_process import start_app, stop_app
from export.corpora import DEFAULT_DATA_DIR


ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", DEFAULT_DATA_DIR))
WEIGHTS_DIR = ROOT / "weights"


def needs_data(*relative_paths: str):
    """Skip a test whose corpus is absent (CI has ../shared/data)."""
    missing = [p for p in relative_paths if not (DATA_DIR / p).exists()]
    return pytest.mark.skipif(bool(missing), reason=f"corpus not found: {missing} under {DATA_DIR}")


@pytest.fixture(scope="session")
def app_url():
    proc, url = start_app()
    yield url
    stop_app(proc)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client
    return Client(app_url, verbose=False)
