"""Two guards laid over every event of the app once it is built (app.py calls guard(demo)):

- argument types for the JSON API, checked against each gr.api endpoint's type hints (pydantic's
  lax mode: "3" and 3.0 pass as an int, 3.5 or "ten" do not), so a client that sends the wrong
  type reads which argument is wrong instead of Gradio's generic "the app raised an exception";
- gr.Error messages with <, > and & escaped: Gradio renders a message as HTML in the page's
  toast, and messages quote what the user typed (an unknown word, say).
"""
import functools
import html
import inspect

import gradio as gr
from gradio.components.api_component import Api
from pydantic import ValidationError, validate_call


def typed(fn):
    validated = validate_call(fn)
    names = list(inspect.signature(fn).parameters)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return validated(*args, **kwargs)
        except ValidationError as err:
            if err.title != fn.__qualname__:  # raised inside fn, not about its arguments
                raise
            problems = [f"{describe(e['loc'][0], names)}: {e['msg'].lower()} (got {e['input']!r:.60})"
                        for e in err.errors()]
            raise gr.Error("; ".join(problems)) from None
    return call


def describe(loc, names: list[str]) -> str:
    return f"argument '{names[loc]}'" if isinstance(loc, int) and loc < len(names) else f"argument {loc!r}"


def as_text(err: gr.Error) -> gr.Error:
    return gr.Error(html.escape(err.message, quote=False), duration=err.duration, visible=err.visible,
                    title=err.title, print_exception=err.print_exception)


def escaped(fn):
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error as err:
                raise as_text(err) from None
        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error as err:
            raise as_text(err) from None
    return call


def guard(demo: gr.Blocks) -> None:
    for block_fn in demo.fns.values():
        if block_fn.fn is None:
            continue
        if block_fn.inputs and all(isinstance(c, Api) for c in block_fn.inputs):  # a gr.api endpoint
            block_fn.fn = typed(block_fn.fn)
        block_fn.fn = escaped(block_fn.fn)
