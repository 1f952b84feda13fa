"""A tab's examples as buttons that answer when pressed.

gr.Examples only copies an example into the inputs, and the visitor still has to press the
tab's button; its run_on_click passes the example's own inputs only, and an event chained after
the copy read an input before the copy had reached it (the analogy was asked with the previous
negative word). A button per example instead sends, in one event, the example's values in place
of the first inputs and the tab's other inputs as they stand, and shows the example in the boxes.
"""
import functools
import inspect
import json

import gradio as gr


def example_buttons(label: str, examples: list[tuple[str, list]]) -> list[tuple[gr.Button, list]]:
    """One small button per (text, values), under a label; wire them with answer_examples."""
    gr.Markdown(label, elem_classes=["examples-label"])
    with gr.Row(equal_height=False):
        return [(gr.Button(text, size="sm", variant="secondary", min_width=120, scale=0), values)
                for text, values in examples]


def with_inputs_shown(fn, shown: int):
    """fn's answer preceded by its first `shown` arguments (the example, into its boxes)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)   # the guards read fn's signature and type hints
        def stream(*args):
            for answer in fn(*args):
                yield [*args[:shown], *answer]
        return stream

    @functools.wraps(fn)
    def call(*args):
        return [*args[:shown], *fn(*args)]
    return call


def answer_examples(buttons: list[tuple[gr.Button, list]], fn, inputs: list, outputs: list,
                    then: str = "(...values) => values", scroll_to: str | None = None, **kwargs) -> None:
    """Each button calls fn(*inputs) with its values in place of the first inputs; `then` is a
    js= script the values go through on the way (page_link.write_url's, to keep the link true).
    scroll_to: the id of what heads the results (the tab's own button), brought to the top of
    the window when it is out of view (on a phone the examples can come after the results)."""
    scroll = (f"const top = document.getElementById({json.dumps(scroll_to)}); if (top) {{ const box = "
              "top.getBoundingClientRect(); if (box.top < 0 || box.bottom > window.innerHeight) "
              "top.scrollIntoView({block: 'start'}); } " if scroll_to else "")
    for button, values in buttons:
        replaced = "".join(f"values[{i}] = {json.dumps(v)}; " for i, v in enumerate(values))
        button.click(with_inputs_shown(fn, len(values)), inputs, [*inputs[:len(values)], *outputs],
                     js=f"(...values) => {{ {replaced}{scroll}return ({then})(...values); }}", **kwargs)
