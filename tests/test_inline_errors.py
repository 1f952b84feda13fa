"""serving/inline_errors.py: an input error clears the outputs (but those kept) and fills the status box."""
import logging

import gradio as gr

from serving.errors import InputError
from serving.inline_errors import inline


def answer(word: str):
    if not word:
        raise InputError("Give a word.")
    return word.upper(), len(word)


def streamed(word: str):
    yield word
    if word == "bad":
        raise InputError("Not that one.")
    yield word + "!"


def test_success_hides_the_box():
    *values, box = inline(answer, 2)("king")
    assert values == ["KING", 4] and box["visible"] is False


def test_error_clears_every_output_and_logs_one_line(caplog):
    with caplog.at_level(logging.INFO, logger="app.input"):
        *values, box = inline(answer, 2)("")
    assert values == [None, None]
    assert box["visible"] is True and "Give a word." in box["value"]
    assert [r.getMessage() for r in caplog.records] == ["answer: Give a word."]


def test_kept_outputs_stay_as_they_were():
    *values, box = inline(answer, 2, keep=(1,))("")
    assert values == [None, gr.skip()] and box["visible"] is True
    last = list(inline(streamed, 1, keep=(0,))("bad"))[-1]
    assert last[0] == gr.skip() and "Not that one." in last[1]["value"]


def test_hidden_outputs_go_out_of_sight_each_time():
    for _ in range(2):   # a fresh update each call: Gradio pops the value out of the one it is given
        *values, box = inline(answer, 2, hide=(0,))("")
        assert values == [{"__type__": "update", "value": None, "visible": False}, None]


def test_a_stream_error_clears_what_was_streamed():
    assert [v[0] for v in inline(streamed, 1)("ok")] == ["ok", "ok!"]
    last = list(inline(streamed, 1)("bad"))[-1]
    assert last[0] is None and "Not that one." in last[1]["value"]
