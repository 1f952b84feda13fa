"""The Gradio app: one tab per task, every model loaded from weights/ through its manifest.

Run `python app.py`. It binds 127.0.0.1:7860 unless GRADIO_SERVER_NAME / GRADIO_SERVER_PORT say
otherwise; on a Hugging Face Space (SPACE_ID set) it binds 0.0.0.0. WEIGHTS_FROM_HUB takes the
models from Hub model repositories instead of weights/ (serving/hub.py).
"""
import asyncio
import contextlib
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# where a Space turns example caching on (GRADIO_CACHE_EXAMPLES), cache on first use, not at start-up
os.environ.setdefault("GRADIO_CACHE_MODE", "lazy")

from serving.malloc_arenas import limit_malloc_arenas  # noqa: E402

limit_malloc_arenas()   # before gradio, onnxruntime and their threads allocate

import gradio as gr  # noqa: E402

from serving import generate_tab, sentiment_tab, word_vectors_tab  # noqa: E402
from serving import basics_tab  # noqa: E402
from serving.guards import guard  # noqa: E402
from serving.hub import load_from_hub  # noqa: E402
from serving.weights import DEFAULT_WEIGHTS_DIR, WeightsError, load_all  # noqa: E402


def model_summaries(manifests: dict[str, dict]) -> list[dict]:
    return [{"name": m["name"], "task": m["task"], "architecture": m["architecture"],
             "metrics": m.get("metrics", {})} for m in manifests.values()]


def load_models() -> dict[str, dict]:
    """The verified manifests, or exit with a message naming the folder and the file.

    WEIGHTS_FROM_HUB="owner/name@revision,..." takes the models from Hub repositories instead."""
    try:
        if os.environ.get("WEIGHTS_FROM_HUB"):
            return load_from_hub(os.environ["WEIGHTS_FROM_HUB"])
        return load_all(os.environ.get("WEIGHTS_DIR", DEFAULT_WEIGHTS_DIR))
    except WeightsError as err:
        raise SystemExit(f"Cannot start: {err}")


def build_app(manifests: dict[str, dict]) -> gr.Blocks:
    with gr.Blocks(title="Small neural NLP models") as demo:
        gr.Markdown("# Small neural NLP models\nWord vectors, recurrent language models and a "
                    "CNN sentence classifier, trained by this project and served with onnxruntime.")
        with gr.Tab("Basics"):
            basics_tab.build(manifests)
        with gr.Tab("Word vectors"):
            word_vectors_tab.build(manifests)
        with gr.Tab("Generate"):
            generate_tab.build(manifests)
        with gr.Tab("Sentiment"):
            sentiment_tab.build(manifests)

        def models() -> list[dict]:
            """The served models: name, task, architecture and measured metrics."""
            return model_summaries(manifests)

        gr.api(models, api_name="models")

        def echo(text: str) -> str:
            """The cheapest round trip: the baseline for the per-request cost in export/bench_app.py."""
            return text

        gr.api(echo, api_name="echo", api_visibility="undocumented")
    guard(demo)
    return demo


def drop_answered_sessions(pending: dict[str, set]) -> None:
    """Gradio 6.31 keeps an entry per session in its queue's pending_event_ids_session and removes
    it only when an event is cancelled, not once the session's last event is answered; every raw
    API call without a session_hash is a session of its own: ~350 bytes per request, without
    bound. Drop the entries with nothing pending, as Gradio's own clean_events does."""
    for session in [session for session, ids in pending.items() if not ids]:
        del pending[session]


async def drop_answered_sessions_every(server, seconds: float = 60) -> None:
    """On the server's event loop, so that no step of the queue sees the dict change under it.
    Reaches a private attribute (Queue.pending_event_ids_session): no public setting bounds it."""
    while True:
        await asyncio.sleep(seconds)
        drop_answered_sessions(server.get_blocks()._queue.pending_event_ids_session)


@contextlib.asynccontextmanager
async def lifespan(server):
    """The server's lifetime (launch's app_kwargs lifespan): the pruning task beside it."""
    task = asyncio.create_task(drop_answered_sessions_every(server))
    yield
    task.cancel()


def main() -> None:
    demo = build_app(load_models())
    # every request through the queue (api_open=False closes /run/<api>, which skipped it), at most
    # 32 waiting (32 clients each waiting for its answer fit; beyond that a client is told at once
    # that the queue is full: 64 let the last of a burst of the slowest requests wait 33 s)
    demo.queue(default_concurrency_limit=4, max_size=32, api_open=False)
    local_or_space = "0.0.0.0" if "SPACE_ID" in os.environ else "127.0.0.1"
    # Gradio keeps ~180 KB of state per session and every raw API call is a new session: its
    # default of 10,000 sessions grew the server by 1.9 GB in a soak; 1,000 caps that near 180 MB
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", local_or_space),
                state_session_capacity=1000, app_kwargs={"lifespan": lifespan})


if __name__ == "__main__":
    main()
