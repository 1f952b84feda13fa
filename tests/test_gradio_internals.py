"""The Gradio internals the app relies on are all in serving/gradio_internals.py, and each is
still there in the installed Gradio: a Gradio upgrade that moves one fails here, not at a user."""
import inspect
import re

import gradio as gr
import gradio.queueing
from gradio.block_function import BlockFunction

from serving import gradio_internals
from tests.conftest import ROOT

INTERNAL = re.compile(r"^\s*(from gradio\.|import gradio\.)|\._queue\b|\.fns\b|\bvalidate_inputs\b", re.M)


def test_no_other_module_reaches_into_gradio():
    for path in [ROOT / "app.py", *sorted((ROOT / "serving").glob("*.py"))]:
        if path.name == "gradio_internals.py":
            continue
        hit = INTERNAL.search(path.read_text())
        assert not hit, f"{path.relative_to(ROOT)}: {hit.group(0).strip()!r} belongs in serving/gradio_internals.py"


def test_the_installed_gradio_is_the_one_checked():
    assert gr.__version__ == gradio_internals.CHECKED_WITH


def test_what_the_app_uses_is_still_there():
    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(lambda text: text, box, box)
    demo.queue()
    block_fn = next(iter(demo.fns.values()))
    assert isinstance(block_fn, BlockFunction)
    for name in ("fn", "inputs", "api_name", "name", "_id", "concurrency_id", "concurrency_limit"):
        assert hasattr(block_fn, name), name
    assert list(inspect.signature(demo.validate_inputs).parameters) == ["block_fn", "inputs"]
    for name in ("pending_event_ids_session", "event_queue_per_concurrency_id", "active_jobs", "send_message"):
        assert hasattr(demo._queue, name), name
    source = inspect.getsource(gradio.queueing)
    assert "GRADIO_ANALYTICS_CACHE_FREQUENCY" in source and "GRADIO_ANALYTICS_MAX_EVENTS" in source
    assert "self.validate_inputs(block_fn, inputs)" in inspect.getsource(gr.Blocks.preprocess_data)
