"""The Gradio app: one tab per task, every model loaded from weights/ through its manifest.

Run `python app.py`. It binds 127.0.0.1:7860 unless GRADIO_SERVER_NAME / GRADIO_SERVER_PORT say
otherwise (a port that is taken is then an error, not a hop to the next one); on a Hugging Face
Space (SPACE_ID set) it binds 0.0.0.0. WEIGHTS_FROM_HUB takes the models from Hub model
repositories instead of weights/ (serving/hub.py). MONITORING=1 turns on Gradio's /monitoring.
The public endpoints are also MCP tools (Gradio's MCP server, at /gradio_api/mcp/, described by
their docstrings); MCP_SERVER=0 turns it off.
SIGTERM (how a Space or a container stops it) and Ctrl-C drain (serving/shutdown.py).
"""
import os
import socket
import threading

import serving.telemetry_off  # noqa: F401  (before gradio and onnxruntime are imported)

# where a Space turns example caching on (GRADIO_CACHE_EXAMPLES), cache on first use, not at start-up
os.environ.setdefault("GRADIO_CACHE_MODE", "lazy")

from serving.malloc_arenas import limit_malloc_arenas  # noqa: E402

limit_malloc_arenas()   # before gradio, onnxruntime and their threads allocate

from serving import preload  # noqa: E402
from serving.hub import load_from_hub  # noqa: E402
from serving.weights import DEFAULT_WEIGHTS_DIR, WeightsError, load_all  # noqa: E402


def load_models() -> dict[str, dict]:
    """The verified manifests, or exit with a message naming the folder and the file.

    WEIGHTS_FROM_HUB="owner/name@revision,..." takes the models from Hub repositories instead."""
    try:
        if os.environ.get("WEIGHTS_FROM_HUB"):
            return load_from_hub(os.environ["WEIGHTS_FROM_HUB"])
        return load_all(os.environ.get("WEIGHTS_DIR", DEFAULT_WEIGHTS_DIR))
    except WeightsError as err:
        raise SystemExit(f"Cannot start: {err}")


def start_loading():
    """The manifests and the models, loading in a thread (serving/preload.py); in Ray mode the
    models run on the cluster and only the manifests are read here."""
    return preload.start(load_models, models=not os.environ.get("MODELS_ON_RAY"))


# run as a script, the weights are verified and the models loaded beside gradio's import
LOADING = start_loading() if __name__ == "__main__" else None

import gradio as gr  # noqa: E402

from serving import gradio_internals, language_model_tab, sentiment_tab, word_vectors, word_vectors_tab  # noqa: E402
from serving import basics_tab  # noqa: E402
from serving.api_examples import show_api_examples  # noqa: E402
from serving.guards import guard  # noqa: E402
from serving.http_guards import middleware  # noqa: E402
from serving import model_choice  # noqa: E402
from serving.log_limits import limit_logs  # noqa: E402
from serving.shutdown import catch_stop_signals, serve_until_signalled  # noqa: E402

# model work at once: one request per core (each onnxruntime session runs on one thread)
MODEL_CONCURRENCY = len(os.sched_getaffinity(0))
CHEAP_ENDPOINTS = {"models", "echo"}


def model_summaries(manifests: dict[str, dict]) -> list[dict]:
    return [{"name": m["name"], "task": m["task"], "architecture": m["architecture"],
             "metrics": m.get("metrics", {})} for m in manifests.values()]


def use_remote_models() -> None:
    """MODELS_ON_RAY=<address>: the tabs' models run as Ray Serve deployments on that cluster
    (serving/ray_serve.py, serve_config.yaml) instead of in this process."""
    address = os.environ.get("MODELS_ON_RAY")
    if not address:
        return
    from serving.ray_serve import RayModels  # ray[serve] is optional: requirements-scale.txt
    try:
        model_choice.remote = RayModels(address).model
    except ConnectionError as err:
        raise SystemExit(f"Cannot start: {err}")


# on a touch screen plotly shows its toolbar (camera, zoom, home) all the time, over the charts'
# titles, and its tools need a mouse: below a tablet's width it is hidden
PAGE_CSS = "@media (max-width: 600px) { .js-plotly-plot .modebar-container { display: none !important; } }"


def build_app(manifests: dict[str, dict]) -> gr.Blocks:
    # delete_cache: any file Gradio writes for the app (there should be none: uploads are refused,
    # serving/http_guards.py) is removed within the hour and when the server stops
    with gr.Blocks(title="Small neural NLP models", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Small neural NLP models\nWord vectors, recurrent language models and a "
                    "CNN sentence classifier, trained by this project on real text: each has its tab "
                    "after **Basics**, where a small network learns in front of you.")
        # "wrap": the tabs that do not fit go on a second row; Gradio's default "menu" hides
        # Language model and Sentiment behind an unlabeled "⋯" on a 390 px phone
        with gr.Tabs(overflow_behavior="wrap"):
            with gr.Tab("Basics"):
                basics_tab.build(manifests)
            with gr.Tab("Word vectors"):
                word_vectors_tab.build(manifests)
            with gr.Tab("Language model"):
                language_model_tab.build(manifests)
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
    show_api_examples(demo)
    guard(demo)
    gradio_internals.share_concurrency(demo, CHEAP_ENDPOINTS, MODEL_CONCURRENCY, cheap_limit=8)
    return demo


def explicit_port(server_name: str) -> int | None:
    """GRADIO_SERVER_PORT, checked free: Gradio would silently take the next free port (7881
    became 7882), and a client would reach the other instance. None: Gradio's 7860 or the next."""
    if not os.environ.get("GRADIO_SERVER_PORT"):
        return None
    port = int(os.environ["GRADIO_SERVER_PORT"])
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a listener still blocks it
        try:
            s.bind((server_name, port))
        except OSError as err:
            raise SystemExit(f"Cannot start: port {port} on {server_name} is taken ({err.strerror}); "
                             "stop what uses it or set GRADIO_SERVER_PORT to a free port")
    return port


def main() -> None:
    monitoring = os.environ.get("MONITORING") == "1"
    if not monitoring:
        gradio_internals.without_monitoring_cost()
    local_or_space = "0.0.0.0" if "SPACE_ID" in os.environ else "127.0.0.1"
    server_name = os.environ.get("GRADIO_SERVER_NAME", local_or_space)
    port = explicit_port(server_name)
    try:
        manifests, model_choice.loaded = (LOADING or start_loading()).result()
        use_remote_models()
        demo = build_app(manifests)
    except WeightsError as err:  # a file a model needs that its manifest does not list
        raise SystemExit(f"Cannot start: {err}")
    # every request through the queue (api_open=False closes /run/<api>, which skipped it), at most
    # 32 waiting (32 clients each waiting for its answer fit; beyond that a client is told at once
    # that the queue is full: 64 let the last of a burst of the slowest requests wait 33 s)
    demo.queue(default_concurrency_limit=MODEL_CONCURRENCY, max_size=32, api_open=False)
    limit_logs()
    stop = catch_stop_signals()
    # Gradio keeps ~180 KB of state per session and every raw API call is a new session: its
    # default of 10,000 sessions grew the server by 1.9 GB in a soak; 1,000 caps that near 180 MB
    demo.launch(server_name=server_name, server_port=port, state_session_capacity=1000,
                enable_monitoring=monitoring, prevent_thread_lock=True, css=PAGE_CSS,
                mcp_server=os.environ.get("MCP_SERVER", "1") != "0",
                app_kwargs={"lifespan": gradio_internals.lifespan, "middleware": middleware(server_name)})
    # the gensim baseline is read now that the page answers, not before (serving/word_vectors.py)
    threading.Thread(target=word_vectors.load_deferred, name="load-gensim", daemon=True).start()
    serve_until_signalled(demo, stop)


if __name__ == "__main__":
    main()
