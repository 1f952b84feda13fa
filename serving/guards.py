"""What every event of the app goes through once it is built (app.py calls guard(demo)), the
JSON API's endpoints and the UI's own events alike: a private UI event is still callable by name
through the raw API (POST /gradio_api/call/show), so none of this may depend on the page.

Before anything reads the arguments (Gradio's input check, serving/gradio_internals.py):
- all of them present: too few through the raw API used to answer {"error": null};
- every text at most serving/limits.py's MAX_TEXT_CHARS;
- their types, checked against the function's type hints (pydantic's lax mode: "3" and 3.0
  pass as an int, 3.5 or "ten" do not), for the inputs whose payload is the value itself (gr.api
  arguments, text boxes, sliders, numbers, choices): a client that sends the wrong type reads
  which argument is wrong instead of Gradio's generic "the app raised an exception".

Around the function: the one place where a problem the user caused (serving/errors.py's
InputError, or a gr.Error a tab raised) becomes the visible message, escaped (Gradio renders it
as HTML in the page's toast, and messages quote what the user typed) and logged as one line,
endpoint and message, instead of a traceback. Any other exception is left to Gradio, which logs
its traceback and shows a generic message: an internal error is never presented as the user's.
"""
import functools
import html
import inspect
import logging
import typing

import gradio as gr
from pydantic import TypeAdapter, ValidationError

from serving import gradio_internals
from serving.errors import InputError
from serving.limits import MAX_TEXT_CHARS, check_text

INPUT_ERRORS = logging.getLogger("app.input")


def argument_checker(fn, typed: list[bool] | None = None):
    """check(values) -> the values, coerced to fn's type hints where typed[i] (all by default),
    or InputError naming each wrong argument; texts over MAX_TEXT_CHARS are refused."""
    names = list(inspect.signature(fn).parameters)
    hints = typing.get_type_hints(fn)
    typed = typed if typed is not None else [True] * len(names)
    adapters = [TypeAdapter(hints[n]) if n in hints and t else None for n, t in zip(names, typed)]

    def check(values: list) -> list:
        checked, problems = list(values), []
        for i, (name, adapter, value) in enumerate(zip(names, adapters, values)):
            if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
                check_text(value, name)
            if adapter is None:
                continue
            try:
                checked[i] = adapter.validate_python(value)
            except ValidationError as err:
                problems.append(f"argument '{name}': {err.errors()[0]['msg'].lower()} (got {value!r:.60})")
        if problems:
            raise InputError("; ".join(problems))
        return checked
    return check


def log_input_error(endpoint: str, message: str) -> None:
    """One line for a problem the user caused: no traceback, it is not the app's fault."""
    INPUT_ERRORS.info("%s: %.300s", endpoint, message.replace("\n", " "))


def refusal(endpoint: str, message: str) -> gr.Error:
    """The visible message for a problem the user caused, logged as one line."""
    log_input_error(endpoint, message)
    return gr.Error(html.escape(message, quote=False), print_exception=False)


def answered(fn, endpoint: str):
    """fn with InputError and gr.Error turned into refusal(endpoint, message)."""
    def refused(err: Exception) -> gr.Error:
        return refusal(endpoint, err.message if isinstance(err, gr.Error) else str(err))

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except (InputError, gr.Error) as err:
                raise refused(err) from None
        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (InputError, gr.Error) as err:
            raise refused(err) from None
    return call


def guard(demo: gr.Blocks) -> None:
    checkers = {}
    for block_fn in gradio_internals.event_functions(demo):
        endpoint, inputs = gradio_internals.endpoint_name(block_fn), block_fn.inputs
        check = argument_checker(block_fn.fn, [gradio_internals.takes_plain_values(c) for c in inputs])
        names = list(inspect.signature(block_fn.fn).parameters)[:len(inputs)]
        checkers[gradio_internals.event_key(block_fn)] = endpoint, names, len(inputs), check
        gradio_internals.replace_function(block_fn, answered(block_fn.fn, endpoint))

    def check_arguments(block_fn, values: list) -> list:
        endpoint, names, wanted, check = checkers[gradio_internals.event_key(block_fn)]
        if len(values) < wanted:
            listed = f" ({', '.join(names)})" if len(names) == wanted else ""
            raise refusal(endpoint, f"{wanted} arguments expected{listed}, {len(values)} given: send "
                          "every argument, in order (gradio_client fills in the defaults)")
        try:
            return check(values)
        except InputError as err:
            raise refusal(endpoint, str(err)) from None

    gradio_internals.check_arguments_first(demo, check_arguments)
