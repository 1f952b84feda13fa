"""What the server exposes: no files beyond what the app needs, no share link, no analytics,
127.0.0.1 unless told otherwise, and no pickles anywhere on the serving path."""
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import app
from serving import gradio_internals
from tests.conftest import ROOT

SERVING_CODE = [ROOT / "app.py", *sorted((ROOT / "serving").glob("*.py")),
                *sorted((ROOT / "tokenization").glob("*.py"))]


@pytest.mark.slow
@pytest.mark.parametrize("path", [
    "gradio_api/file=/etc/passwd", "gradio_api/file=%2Fetc%2Fpasswd", "gradio_api/file=../../../../etc/passwd",
    "gradio_api/file/etc/passwd", "gradio_api/file=app.py", "gradio_api/file=" + str(ROOT / "app.py"),
    "gradio_api/file=weights/manifest.json", "gradio_api/file=serving/weights.py",
    "file=/etc/passwd", "static/../../app.py", "assets/..%2F..%2Fapp.py",
    "gradio_api/proxy=http://127.0.0.1:1/", "gradio_api/run-history/records",
])
def test_no_file_outside_the_app_is_served(app_url, path):
    response = httpx.get(app_url + path, timeout=10)
    assert response.status_code >= 400, f"/{path} answered {response.status_code}: {response.text[:200]}"
    assert "root:" not in response.text and "import gradio" not in response.text


@pytest.mark.slow
def test_no_route_skips_the_queue(app_url):
    """/run/<api> would answer outside the queue, past its concurrency and size limits."""
    response = httpx.post(app_url + "gradio_api/run/models", json={"data": []}, timeout=10)
    assert response.status_code == 404 and "queue" in response.text


@pytest.mark.slow
def test_the_running_app_reports_no_analytics_and_no_share_link(app_url):
    config = httpx.get(app_url + "config", timeout=10).json()
    assert config["analytics_enabled"] is False
    assert "share_url" not in config or not config["share_url"]
    assert config["root"].startswith("http://127.0.0.1:")


class FakeDemo:
    """Stands in for the Blocks so main() runs without a server; records how it would launch."""

    def queue(self, **kwargs):
        self.queued = kwargs
        return self

    def launch(self, **kwargs):
        self.launched = kwargs


@pytest.fixture
def launched(monkeypatch):
    demo = FakeDemo()
    monkeypatch.setattr(app, "load_models", lambda: {})
    monkeypatch.setattr(app, "build_app", lambda manifests: demo)
    monkeypatch.setattr(gradio_internals, "without_monitoring_cost", lambda: None)  # no env change here
    monkeypatch.setattr(app, "catch_stop_signals", lambda: None)  # pytest keeps its own handlers
    monkeypatch.setattr(app, "serve_until_signalled", lambda demo, stop: None)
    for name in ("GRADIO_SERVER_NAME", "SPACE_ID", "GRADIO_SHARE"):
        monkeypatch.delenv(name, raising=False)

    def run(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app.main()
        return demo.launched
    return run


def test_binds_loopback_unless_told(launched):
    assert launched()["server_name"] == "127.0.0.1"
    assert launched(GRADIO_SERVER_NAME="0.0.0.0")["server_name"] == "0.0.0.0"


def test_binds_all_interfaces_on_a_space_only(launched):
    assert launched(SPACE_ID="owner/space")["server_name"] == "0.0.0.0"


def test_never_asks_for_a_share_link(launched):
    assert not launched().get("share")


def test_answered_sessions_are_dropped_and_pending_ones_kept():
    """Gradio keeps an entry per raw API call in its queue; app.py drops the answered ones."""
    pending = {"answered": set(), "waiting": {"event-id"}}
    gradio_internals.drop_answered_sessions(pending)
    assert pending == {"waiting": {"event-id"}}


def test_the_server_drops_answered_sessions_while_it_runs(launched):
    assert launched()["app_kwargs"]["lifespan"] is gradio_internals.lifespan


def test_analytics_and_telemetry_are_off_without_being_told():
    """app.py turns both off itself, before gradio is imported (gradio reads them at import)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GRADIO_ANALYTICS_ENABLED", "HF_HUB_DISABLE_TELEMETRY")}
    probe = ("import app, gradio.analytics, huggingface_hub.constants as c; "
             "print(gradio.analytics.analytics_enabled(), c.HF_HUB_DISABLE_TELEMETRY)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr[-2000:]


def test_queue_is_bounded():
    """An overloaded server answers "queue full" at once instead of queueing without end."""
    source = (ROOT / "app.py").read_text()
    assert re.search(r"\.queue\([^)]*max_size=\d+", source)


UNSAFE = [  # (pattern, why)
    (r"\bimport pickle\b|\bpickle\.|\bdill\b|\bjoblib\b|cloudpickle", "pickle"),
    (r"allow_pickle\s*=\s*True", "np.load with pickles"),
    (r"\bnp\.load\((?![^)]*allow_pickle\s*=\s*False)", "np.load without allow_pickle=False"),
    (r"\bimport torch\b|\bfrom torch\b|torch\.load", "torch on the serving path"),
    (r"KeyedVectors\.load\(|Word2Vec\.load\(|\.load\(\s*mmap", "gensim's pickle-based load"),
    (r"pd\.read_pickle|eval\(|exec\(", "code or pickles from data"),
]


@pytest.mark.parametrize("path", SERVING_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_serving_code_loads_no_pickles(path: Path):
    source = path.read_text()
    for pattern, why in UNSAFE:
        hit = re.search(pattern, source)
        assert not hit, f"{path.relative_to(ROOT)}: {why}: {source[hit.start():hit.start() + 80]!r}"


def test_malloc_arenas_are_capped_unless_the_operator_chose(monkeypatch):
    from serving.malloc_arenas import limit_malloc_arenas
    if platform.libc_ver()[0] == "glibc":
        assert limit_malloc_arenas(2)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert not limit_malloc_arenas(2)
