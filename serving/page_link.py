"""Links that reproduce a result: the tab and its inputs live in the page's URL.

When a tab answers, write_url's script (the event's js=, run in the browser before the event is
sent) sets the address to ?tab=<tab label>&<key>=<value>..., the tab's keys only: every key is
the tab's short name, two lower-case letters and "_", before the input's name (wv_positive,
lm_seed, sa_text), so tabs never collide, and any other tab's keys are dropped. Opening such a
link (answer_on_load) selects the tab, fills its inputs and shows the result answered; without
one the tab answers its defaults, so every tab opens with a worked example.
"""
import inspect
import json
from urllib.parse import parse_qs

import gradio as gr

from serving.gradio_internals import on_page_load

OTHER_TABS_KEYS = r"/^([a-z]{2}_|tab$)/"
# every tab is a button with role="tab", on a phone too (the app's tab bar wraps: app.py)
SELECT_TAB = """(tab) => {
  const button = [...document.querySelectorAll('button[role="tab"]')].find(b => b.textContent.trim() === tab);
  if (button) { button.click(); window.scrollTo(0, 0); }
}"""


def keys(prefix: str, names: list[str]) -> list[str]:
    return [f"{prefix}_{name}" for name in names]


def write_url(tab: str, url_keys: list[str], then: str = "values") -> str:
    """js= for the event that answers: the values go on to the function unchanged, or with
    then="address" the new address goes to the event's one output instead (a box showing the link)."""
    returned = {"values": "values", "address": "[window.location.href]"}[then]
    return """(...values) => {
  const params = new URLSearchParams(window.location.search);
  [...params.keys()].filter(key => %s.test(key)).forEach(key => params.delete(key));
  params.set("tab", %s);
  %s.forEach((key, i) => params.set(key, String(values[i])));
  window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  return %s;
}""" % (OTHER_TABS_KEYS, json.dumps(tab), json.dumps(url_keys), returned)


def select_tab(tab: str) -> str:
    """js= for a button that opens the tab (the Basics tab's bridge)."""
    return f"() => ({SELECT_TAB})({json.dumps(tab)})"


def given(query: str, url_keys: list[str]) -> list[str | None]:
    """The text a link gives for each key (its last value), None where the link has none."""
    values = {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}
    return [values.get(key) for key in url_keys]


def values_from_query(query: str, url_keys: list[str], defaults: list) -> list:
    """The inputs a link gives, each read as its default's type; a key that is missing or does
    not read keeps the default."""
    values = []
    for text, default in zip(given(query, url_keys), defaults):
        try:
            read = (lambda v: v == "true") if isinstance(default, bool) else type(default)
            values.append(default if text is None else read(text))
        except ValueError:
            values.append(default)
    return values


def answer_on_load(tab: str, url_keys: list[str], defaults: list, fn, inputs: list, outputs: list):
    """When the page opens: select the tab if the link names it, fill the inputs from the link
    (or their defaults) and show fn's answer for them in outputs. Returns the event, for the
    tab's own actions to cancel (a streamed first answer must not go on writing under theirs)."""
    if inspect.isgeneratorfunction(fn):
        def from_link(query: str):
            # the inputs are filled once, with the first answer: filled again with every streamed
            # one, they would undo what a visitor typed while the page's first answer streamed
            values = values_from_query(query, url_keys, defaults)
            filled = values
            for answer in fn(*values):
                yield [*filled, *answer]
                filled = [gr.skip()] * len(values)
    else:
        def from_link(query: str):
            values = values_from_query(query, url_keys, defaults)
            return [*values, *fn(*values)]
    read = f"""() => {{
  if (new URLSearchParams(window.location.search).get("tab") === {json.dumps(tab)}) ({SELECT_TAB})({json.dumps(tab)});
  return [window.location.search];
}}"""
    query = gr.Textbox(visible=False)
    return on_page_load(from_link, query, [*inputs, *outputs], js=read, api_visibility="private")
