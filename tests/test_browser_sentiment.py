"""The Sentiment tab in headless Chromium at 1400x900 and 390x844: answered on load, the result in
view after Classify (on a phone right under it), choosing another model answers with it, Shift+Enter classifies, an error clears the stale
answer and its message stays, a shared link opens answered, no table cell is cut, the models'
table names each model whole (broken at most at a hyphen) and fits across, a review past the
token cap says where reading stopped, a text that is not English is said to be so instead of
labelled. A screenshot per viewport, in the folder tests/test_browser.py uses."""
import re
from urllib.parse import quote

import pytest

from serving.sentiment import MAX_TOKENS
from serving.sentiment_tab import DEFAULT_TEXT, NOT_ENGLISH, short_name
from tests.test_browser import (ATTACK, WAIT, assert_message_stays, assert_not_rendered_as_html, fits_across, inline_status,
                                open_tab_as_visitor, playwright, screenshot, textbox)
from tests.test_browser import browser, served  # noqa: F401 (fixtures)
from tests.test_browser_basics import assert_in_view, page  # noqa: F401 (page: both viewports)
from tests.test_browser_word_vectors import CUT_CELLS

expect = playwright.expect
pytestmark = pytest.mark.slow
TAB = "Sentiment"
# the characters after which a header's text goes on to a new line
LINE_BREAKS = """th => {
  const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT), range = document.createRange(), after = [];
  let top = null, previous = '';
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      if (box.width && top !== null && box.top > top + 1) after.push(previous);
      if (box.width) { top = box.top; previous = node.data[i]; }
    }
  }
  return after;
}"""


@pytest.fixture
def tab(page, served):
    if "sentiment" not in served:
        pytest.skip("no sentiment model")
    open_tab_as_visitor(page, TAB)
    expect(label(page)).to_have_text("positive", timeout=WAIT)   # "The movie was wonderful.", before any press
    return page


def label(page):
    return page.locator("#sentiment-label [data-testid='label-output-value']")


def test_answered_on_load_then_in_view_after_classify(tab, client):
    example = "A dull, lifeless and far too long film."
    tab.get_by_text(example, exact=False).first.click()
    expect(textbox(tab, "Sentence")).to_have_value(example)
    tab.get_by_role("button", name="Classify").click()
    expect(label(tab)).to_have_text(client.predict(example, api_name="/classify")["label"], timeout=WAIT)
    assert_in_view(tab, tab.locator("#sentiment-label"), below=tab.get_by_role("button", name="Classify"))
    expect(tab.locator("#sentiment-evidence")).to_contain_text("lifeless")
    assert tab.evaluate(CUT_CELLS.replace("#TAB_ID ", "")) == []
    screenshot(tab, f"sentiment-{tab.viewport_name}")


def test_choosing_another_model_answers_with_it(tab, client):
    """No Classify press: the label shown is the newly chosen model's, for the text in the box."""
    answers = {m["name"]: client.predict(DEFAULT_TEXT, m["name"], api_name="/classify")["label"]
               for m in client.predict(api_name="/models") if m["task"] == "sentiment"}
    other = next((name for name, answer in answers.items() if answer != label(tab).inner_text()), None)
    if other is None:
        pytest.skip(f"every served model labels {DEFAULT_TEXT!r} alike")
    tab.get_by_role("radio", name=other, exact=True).check()
    expect(label(tab)).to_have_text(answers[other], timeout=WAIT)
    expect(tab).to_have_url(re.compile(f"sa_model={other}"))


def test_shift_enter_classifies_and_enter_adds_a_line(tab):
    box = textbox(tab, "Sentence")
    box.fill("A dull film.")
    box.press("Enter")
    expect(box).to_have_value("A dull film.\n")
    box.press("Shift+Enter")
    expect(label(tab)).to_have_text("negative", timeout=WAIT)


def test_an_error_clears_the_answer_and_its_message_stays(tab):
    textbox(tab, "Sentence").fill("😀")
    tab.get_by_role("button", name="Classify").click()
    expect(inline_status(tab)).to_contain_text("No words found", timeout=WAIT)
    expect(label(tab)).to_have_count(0)
    assert_message_stays(tab, "No words found", tab.get_by_role("button", name="Classify"), assert_in_view)
    textbox(tab, "Sentence").fill("What a wonderful film.")
    tab.get_by_role("button", name="Classify").click()
    expect(label(tab)).to_have_text("positive", timeout=WAIT)
    expect(inline_status(tab)).to_have_count(0)


def test_a_shared_link_opens_answered(page, served):
    if "sentiment" not in served:
        pytest.skip("no sentiment model")
    open_tab_as_visitor(page, TAB, f"?tab={TAB}&sa_text={quote('A dull, lifeless film.')}&sa_model=sentiment-bilstm")
    expect(textbox(page, "Sentence")).to_have_value("A dull, lifeless film.", timeout=WAIT)
    expect(page.get_by_role("radio", name="sentiment-bilstm")).to_be_checked()
    expect(label(page)).to_have_text("negative", timeout=WAIT)


def test_a_long_review_says_where_reading_stopped_and_html_stays_text(tab):
    typed = f"{ATTACK} " + "I don't think it's a wonderful film. " * 600   # 5,400 tokens
    textbox(tab, "Sentence").fill(typed)
    tab.get_by_role("button", name="Classify").click()
    note = tab.locator("#sentiment-note")
    expect(note).to_contain_text(f"Only the first {MAX_TOKENS:,} tokens were read", timeout=WAIT)
    first_unread = re.search(r"“(\S+)", note.inner_text()).group(1)
    assert f" {first_unread} " in typed, f"the unread tail starts mid-word: {first_unread!r}"
    assert_not_rendered_as_html(tab)


def test_a_text_that_is_not_english_gets_no_label(tab):
    textbox(tab, "Sentence").fill("Der Film war schrecklich langweilig.")
    tab.get_by_role("button", name="Classify").click()
    expect(label(tab)).to_have_text(NOT_ENGLISH, timeout=WAIT)
    expect(tab.locator("#sentiment-note")).to_contain_text("The models read English only")
    # no label, so no word is marked for or against one ("Der Film war" are in the vocabulary)
    expect(tab.locator("#sentiment-evidence")).to_contain_text("schrecklich")
    assert tab.locator("#sentiment-evidence mark").count() <= 1   # the whole text as one unscored piece
    assert_in_view(tab, tab.locator("#sentiment-label"), below=tab.get_by_role("button", name="Classify"))


def test_an_example_is_answered_when_pressed(tab, client):
    example = "This is not a good movie."
    tab.get_by_role("button", name=re.compile(f"^{re.escape(example)}")).click()
    expect(textbox(tab, "Sentence")).to_have_value(example)
    expect(label(tab)).to_have_text(client.predict(example, api_name="/classify")["label"], timeout=WAIT)
    expect(tab.locator("#sentiment-evidence")).to_contain_text("good")
    assert_in_view(tab, tab.locator("#sentiment-label"), below=tab.get_by_role("button", name="Classify"))


def test_the_models_table_names_each_model_whole(tab, client):
    """Its headers are the models' short names, each on one line or broken after a hyphen (they
    broke inside a word on a phone), and the table fits across."""
    names = [m["name"] for m in client.predict(api_name="/models") if m["task"] == "sentiment"]
    table = tab.locator("#sa-measured")
    table.scroll_into_view_if_needed()
    headers = table.locator(".header-table th")
    expect(headers).to_have_count(1 + len(names))
    texts = [text.strip() for text in headers.all_inner_texts()]
    assert texts[0] == "measure" and sorted(texts[1:]) == sorted(map(short_name, names)), texts
    for header in headers.all():
        assert set(header.evaluate(LINE_BREAKS)) <= {" ", "-"}, header.inner_text()
    fits_across(tab, table.locator(".virtual-table-viewport"))
    screenshot(tab, f"sentiment-models-{tab.viewport_name}")
