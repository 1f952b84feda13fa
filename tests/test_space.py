"""The app started the way a Hugging Face Space starts it: its environment, bound to 0.0.0.0."""
import json
import time

import pytest
from gradio_client import Client

from export.app_process import start_app, stop_app
from tests.conftest import ROOT, WEIGHTS_DIR

# what a Space sets (start_app adds a free GRADIO_SERVER_PORT; a Space uses 7860)
SPACE_ENV = {"SPACE_ID": "owner/small-nlp-models", "SYSTEM": "spaces", "GRADIO_SERVER_NAME": "0.0.0.0"}
SHIPPED = {json.loads(p.read_text())["name"] for p in WEIGHTS_DIR.glob("*/manifest.json")}


def front_matter() -> dict:
    import yaml
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n"), "README.md must start with the Space's YAML front matter"
    return yaml.safe_load(text.split("---\n")[1])


def test_readme_front_matter_describes_the_space():
    import gradio
    meta = front_matter()
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == gradio.__version__
    assert meta["app_file"] == "app.py" and (ROOT / meta["app_file"]).is_file()
    assert str(meta["python_version"]) == "3.11"


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED, reason="no model folder in weights/ yet")
def test_app_serves_as_a_space():
    started = time.monotonic()
    proc, url = start_app(SPACE_ENV)
    seconds = time.monotonic() - started
    try:
        print(f"\nstart-up as a Space: {seconds:.1f} s until {url} answered")
        assert seconds < 60
        models = Client(url, verbose=False).predict(api_name="/models")
        assert {m["name"] for m in models} == SHIPPED
    finally:
        stop_app(proc)
