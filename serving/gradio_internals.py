"""Every place the app reaches past Gradio's public API, each with the reason, all checked
against Gradio 6.31.0 (requirements.txt pins it; tests/test_gradio_internals.py fails when one
of them is gone). Nothing else in the app touches a private attribute of Gradio.
"""
import asyncio
import contextlib
import inspect
import os

import gradio as gr
from gradio.block_function import BlockFunction
from gradio.components.api_component import Api
from gradio.context import get_blocks_context
from gradio.server_messages import ProcessCompletedMessage

CHECKED_WITH = "6.31.0"


def event_functions(demo: gr.Blocks) -> list[BlockFunction]:
    """Blocks.fns: every registered event with a Python function. The guards and limits are
    laid over all of them in one place, the tabs added later included; Gradio has no public
    list of a Blocks' events."""
    return [block_fn for block_fn in demo.fns.values() if block_fn.fn is not None]


def on_page_load(*args, **kwargs):
    """The enclosing Blocks' .load(...) from inside a tab's build(), which gets no Blocks to
    call it on: gradio.context.get_blocks_context() is the Blocks being built."""
    return get_blocks_context().root_block.load(*args, **kwargs)


def endpoint_name(block_fn: BlockFunction) -> str:
    return f"/{block_fn.api_name or block_fn.name}"


def takes_plain_values(component) -> bool:
    """Whether the component hands the function its payload as it came (so the function's type
    hint describes the payload): gr.api's placeholders (gradio.components.api_component.Api,
    not exported by gradio), text boxes, sliders, numbers and choices."""
    return isinstance(component, (Api, gr.Textbox, gr.Slider, gr.Number, gr.Radio, gr.Dropdown, gr.Checkbox))


def parameter_names(block_fn: BlockFunction) -> list[str]:
    """The names the API page and the clients give the event's inputs, in order."""
    return list(inspect.signature(block_fn.fn).parameters)[:len(block_fn.inputs)]


def show_example(component, value) -> None:
    """The value the API page's snippet shows for a gr.api argument: Api.example_payload(), which
    is its default or "..." for a required one (Blocks.get_api_info reads it); the argument
    stays required."""
    component.example_payload = component.example_value = lambda: value


def replace_function(block_fn: BlockFunction, fn) -> None:
    """BlockFunction.fn, what the queue calls; replaced before launch, while nothing runs.
    Gradio decided at registration whether the event streams: fn must stay a generator
    function exactly when the old one was."""
    block_fn.fn = fn


def share_concurrency(demo: gr.Blocks, cheap: set[str], model_limit: int, cheap_limit: int) -> None:
    """One concurrency group for all model work (BlockFunction.concurrency_id/_limit, read
    when the queue first sees the event): Gradio's default_concurrency_limit is per event, so
    4 endpoints at 4 each ran 16 requests at once on 2 cores. The endpoints named in `cheap`
    get a group of their own, so they never wait behind models.
    The public way is concurrency_id= on every .click and gr.api; this covers every tab's
    events, later ones included, in one place."""
    for block_fn in event_functions(demo):
        name = block_fn.api_name or block_fn.name or ""
        if name in cheap:
            block_fn.concurrency_id, block_fn.concurrency_limit = "cheap", cheap_limit
        else:
            block_fn.concurrency_id, block_fn.concurrency_limit = "model-work", model_limit


def event_key(block_fn: BlockFunction) -> int:
    """BlockFunction._id, the event's index: the same for the copy a session may hold."""
    return block_fn._id


def check_arguments_first(demo: gr.Blocks, check) -> None:
    """Blocks.validate_inputs, the first thing Gradio does with a request's values (before any
    component preprocesses them), replaced on this Blocks by check(block_fn, values) -> the
    values to use, written back into Gradio's list. Gradio's own check raised a ValueError
    for too few values, which the raw API answered as {"error": null} while the log got every
    value received; a component given the wrong type raised an internal error the same way."""
    def validate_inputs(block_fn: BlockFunction, inputs: list) -> None:
        inputs[:len(inputs)] = check(block_fn, inputs)
    demo.validate_inputs = validate_inputs


def without_monitoring_cost() -> None:
    """With monitoring off (launch(enable_monitoring=False)) Gradio's queue still rebuilds a
    pandas summary of its last 10,000 events after every request (~11 ms of CPU, more than
    any model): GRADIO_ANALYTICS_CACHE_FREQUENCY and GRADIO_ANALYTICS_MAX_EVENTS, read when the
    queue is created, make that never and one event. Call before building the Blocks."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1")


def drop_answered_sessions(pending: dict[str, set]) -> None:
    """Gradio keeps an entry per session in its queue's pending_event_ids_session and removes
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
    """The server's lifetime (launch's app_kwargs lifespan): the pruning task beside it, and
    its event loop noted for end_unfinished_events."""
    server.state.loop = asyncio.get_running_loop()
    task = asyncio.create_task(drop_answered_sessions_every(server))
    yield
    task.cancel()


def unfinished_events(demo: gr.Blocks) -> list:
    """The events waiting in the queue or running (Queue.event_queue_per_concurrency_id and
    Queue.active_jobs): what a shutdown must answer before the server goes."""
    queue = demo._queue
    waiting = [e for q in queue.event_queue_per_concurrency_id.values() for e in q.queue]
    return waiting + [e for job in queue.active_jobs if job for e in job]


def stop_accepting(demo: gr.Blocks) -> None:
    """uvicorn's Server.should_exit (demo.server is Gradio's uvicorn.Server): it closes the
    listening socket and idle connections, then waits for the open ones, the answers being
    streamed, while the queue goes on working."""
    demo.server.should_exit = True


def end_unfinished_events(demo: gr.Blocks, message: str) -> None:
    """Answer every unfinished event with an error saying message, as Gradio's queue answers
    one that failed (Queue.send_message on the server's loop): the client reads why instead of
    a cut connection."""
    async def end() -> None:
        for event in unfinished_events(demo):
            demo._queue.send_message(event, ProcessCompletedMessage(output={"error": message}, success=False))
    asyncio.run_coroutine_threadsafe(end(), demo.server_app.state.loop).result(timeout=5)
