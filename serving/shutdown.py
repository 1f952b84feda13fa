"""Stopping without cutting anyone off: SIGTERM (how a Space or a container stops the app) and
Ctrl-C both stop the server taking connections, let the queued and running requests finish for
up to GRACE_SECONDS, answer any still unfinished with a message saying so, and exit 0.

Gradio's own handling covered Ctrl-C only and joined the server thread for 5 s: SIGTERM killed
the process at once (8 streamed answers cut, exit -15), and Ctrl-C cut whatever was still
running after 5 s and aborted in onnxruntime's threads at interpreter exit (exit -6).
"""
import os
import signal
import sys
import time

import gradio as gr

from serving import gradio_internals

# under the 10 s a container runtime (docker stop) waits before SIGKILL
GRACE_SECONDS = float(os.environ.get("SHUTDOWN_GRACE_SECONDS", "8"))
SHUTTING_DOWN = "The server is shutting down: send the request again in a minute."


def catch_stop_signals() -> list[int]:
    """Before demo.launch: a SIGTERM during the launch is then drained too, not fatal. The
    handler only appends the signal to the returned list, which takes no lock: a handler runs in
    the main thread between two bytecodes, and one that called Event.set there deadlocked when
    the signal came while the main thread's Event.wait held that Event's lock (the app then
    never exited)."""
    received = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: received.append(signum))
    return received


def serve_until_signalled(demo: gr.Blocks, received: list[int], grace: float = GRACE_SECONDS) -> None:
    """After demo.launch(prevent_thread_lock=True): returns never, exits 0 after a drain."""
    while not received:
        time.sleep(0.2)  # a signal's handler runs when it arrives, then the loop sees it
    try:
        drain(demo, grace)
    except Exception as err:  # still exit 0: what could be drained was
        print(f"Stopping: the drain ended early ({type(err).__name__}: {err})", flush=True)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # not the interpreter's exit: onnxruntime's threads may still finish a dropped run


def drain(demo: gr.Blocks, grace: float) -> None:
    deadline = time.monotonic() + grace
    running = len(gradio_internals.unfinished_events(demo))
    print(f"Stopping: no new connections; {running} requests queued or running get {grace:g} s "
          "to finish.", flush=True)
    gradio_internals.stop_accepting(demo)
    while gradio_internals.unfinished_events(demo) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = len(gradio_internals.unfinished_events(demo))
    if left:
        gradio_internals.end_unfinished_events(demo, SHUTTING_DOWN)
        time.sleep(0.5)  # for the answers to go out
    print(f"Stopped: {running - left} finished, {left} answered that the server is shutting down.",
          flush=True)
    demo.close(verbose=False)
