"""Argument types for the JSON API, checked against each endpoint's type hints (pydantic's lax
mode: "3" and 3.0 pass as an int, 3.5 or "ten" do not), so a client that sends the wrong type
reads which argument is wrong instead of Gradio's generic "the app raised an exception"."""
import functools
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


def check_api_types(demo: gr.Blocks) -> None:
    """Wrap every gr.api endpoint of the app (those whose inputs are all gr.Api components)."""
    for block_fn in demo.fns.values():
        if block_fn.inputs and all(isinstance(c, Api) for c in block_fn.inputs):
            block_fn.fn = typed(block_fn.fn)
