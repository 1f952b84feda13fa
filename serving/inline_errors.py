"""A problem the visitor caused, shown next to the output it concerns, for the page's own events.

A toast (gr.Error) vanishes after a few seconds and leaves the previous result on screen, as if
it answered the new input. inline(fn, outputs) runs a UI event's function instead so that on
serving.errors.InputError every output is cleared and the message goes to a status box placed
beside them (status_box()), where it stays until the next action; a successful answer hides the
box again. The event's outputs are then its outputs followed by that box. Outputs named in keep=
stay as they were instead (the Playground's plots, which a mistyped setting should not wipe), and
those named in hide= go out of sight (a picture: cleared, it would show an empty frame).

The gr.api endpoints do not use this: API clients still get the error raised
(serving/guards.py). Both log the same one line per input error.
"""
import functools
import html
import inspect

import gradio as gr

from serving.errors import InputError
from serving.guards import log_input_error


def status_box(**kwargs) -> gr.Markdown:
    """The box for an event's error message, hidden until there is one."""
    return gr.Markdown(visible=False, elem_classes=["inline-error"], **kwargs)


def message_update(err: InputError) -> dict:
    return gr.update(value=f"**⚠ {html.escape(str(err), quote=False)}**", visible=True)


def inline(fn, outputs: int, keep: tuple[int, ...] = (), hide: tuple[int, ...] = ()):
    """fn for an event with `outputs` outputs and then a status_box(): its values and the box
    hidden, or, on InputError, None for each output (left as it is for the indices in keep, hidden
    for those in hide) and the message in the box. Generator functions stream as before; an error
    mid-stream clears what was streamed (but for the kept outputs)."""
    def as_list(values) -> list:
        return list(values) if outputs > 1 else [values]

    def failed(err: InputError) -> list:
        log_input_error(fn.__name__, str(err))
        # a fresh update each time: Gradio pops its "value"
        return [gr.skip() if i in keep else gr.update(value=None, visible=False) if i in hide else None
                for i in range(outputs)] + [message_update(err)]

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                for values in fn(*args, **kwargs):
                    yield as_list(values) + [gr.update(visible=False)]
            except InputError as err:
                yield failed(err)
        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return as_list(fn(*args, **kwargs)) + [gr.update(visible=False)]
        except InputError as err:
            return failed(err)
    return call
