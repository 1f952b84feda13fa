"""The Word vectors tab in headless Chromium at 1400x900 and 390x844: answered on load, the result
in view after Ask (on a phone right under it), Enter asks, a query that is no analogy shows no
empty picture frame, an error clears the stale answer and its message stays, a shared link opens answered, the picture's labels stay apart and inside it,
no table cell is cut. A screenshot per viewport, in the folder tests/test_browser.py uses."""
import re
from urllib.parse import quote

import pytest

from tests.test_browser import (ATTACK, WAIT, assert_message_stays, assert_not_rendered_as_html, inline_status, open_tab_as_visitor,
                                playwright, screenshot, textbox)
from tests.test_browser import browser, served  # noqa: F401 (fixtures)
from tests.test_browser_basics import assert_in_view, page  # noqa: F401 (page: both viewports)

expect = playwright.expect
pytestmark = pytest.mark.slow
TAB = "Word vectors"
CUT_CELLS = """() => [...document.querySelectorAll('#TAB_ID table td, #TAB_ID table th')]
  .filter(c => c.offsetParent !== null && c.innerText.trim() && c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)"""
LABEL_BOXES = """() => {
  const plot = document.querySelector('#analogy-picture .main-svg').getBoundingClientRect();
  return {plot: [plot.left, plot.top, plot.right, plot.bottom],
          labels: [...document.querySelectorAll('#analogy-picture g.annotation')].map(a => {
            const r = a.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, a.textContent]; })};
}"""


def answers(page, model="word2vec"):
    return page.locator(f"#answers-{model}")


def ask(page, positive, negative, by_enter=False):
    textbox(page, "Positive words").fill(positive)
    textbox(page, "Negative words").fill(negative)
    if by_enter:
        textbox(page, "Negative words").press("Enter")
    else:
        page.get_by_role("button", name="Ask").click()


def test_answered_on_load_then_in_view_after_ask(page, client, served):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB)
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)   # king - man + woman, before any press
    expect(page.locator("#analogy-caption")).to_contain_text("Drawn to scale")
    berlin = client.predict("paris, germany", "france", 10, api_name="/analogy")[0]["word"]
    ask(page, "paris, germany", "france")
    expect(answers(page)).to_contain_text(berlin, timeout=WAIT)
    assert_in_view(page, answers(page), below=page.get_by_role("button", name="Ask"))
    expect(page.locator("#answers-gensim-word2vec")).to_contain_text("berlin")
    assert page.evaluate(CUT_CELLS.replace("TAB_ID", "answers-word2vec")) == []
    screenshot(page, f"word-vectors-{page.viewport_name}")


def test_the_picture_labels_stay_apart_and_inside(page, served):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB)
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)
    legend = page.locator("#analogy-picture .legend")
    for entry in ("offset woman − man", "offset king − man", "the point asked for"):
        expect(legend).to_contain_text(entry)
    boxes = page.evaluate(LABEL_BOXES)
    left, top, right, bottom = boxes["plot"]
    labels = boxes["labels"]
    assert {"king", "man", "woman", "queen"} <= {text for *_, text in labels}
    for x0, y0, x1, y1, text in labels:
        assert left <= x0 and x1 <= right and top <= y0 and y1 <= bottom, f"{text} leaves the picture"
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"{a[4]} overlaps {b[4]}"
    assert page.locator("#analogy-picture .main-svg").first.bounding_box()["width"] >= 300


def test_enter_asks(page, served):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB)
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)
    picture = page.locator("#analogy-picture")
    expect(picture).to_be_visible()
    ask(page, "computer", "", by_enter=True)
    expect(answers(page)).to_contain_text("computers", timeout=WAIT)
    expect(page.locator("#analogy-caption")).to_contain_text("analogy of three words")
    expect(picture).to_be_hidden()   # no empty frame for neighbours: nothing to draw
    screenshot(page, f"word-vectors-neighbours-{page.viewport_name}")
    ask(page, "king, woman", "man", by_enter=True)
    expect(picture.locator(".main-svg").first).to_be_visible(timeout=WAIT)


@pytest.mark.parametrize("typed, message", [("2020", "has digits"),
                                            ("the united states of america", "reads as a phrase")])
def test_an_error_clears_the_answer_and_its_message_stays(page, served, typed, message):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB)
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)
    ask(page, typed, "")
    expect(inline_status(page)).to_contain_text(message, timeout=WAIT)
    expect(answers(page)).not_to_contain_text("queen")
    expect(page.locator("#analogy-picture")).to_be_hidden()   # cleared, and no empty frame left
    assert_message_stays(page, message, page.get_by_role("button", name="Ask"), assert_in_view)
    screenshot(page, f"word-vectors-error-{page.viewport_name}")
    ask(page, "king, woman", "man")
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)
    expect(inline_status(page)).to_have_count(0)


def test_a_shared_link_opens_answered_and_asking_writes_one(page, served):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB, f"?tab={quote(TAB)}&wv_positive={quote('paris, germany')}&wv_negative=france&wv_topn=5")
    expect(textbox(page, "Positive words")).to_have_value("paris, germany", timeout=WAIT)
    expect(answers(page)).to_contain_text("berlin", timeout=WAIT)
    ask(page, "walking, swam", "walked")
    expect(answers(page)).to_contain_text("swimming", timeout=WAIT)
    assert re.search(r"wv_positive=walking%2C(\+|%20)swam", page.url) and "tab=Word+vectors" in page.url
    assert "wv_topn=5" in page.url


def test_no_table_cell_is_cut_and_typed_html_stays_text(page, served):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB)
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)
    page.get_by_text("Analogy accuracy by section (%)").click()
    cut = page.evaluate(CUT_CELLS.replace("#TAB_ID ", ""))
    assert cut == [], f"cut cells: {cut[:5]}"
    ask(page, ATTACK, "")
    # its message quotes the typed text (not "networkidle": the page's own polling can keep the
    # network from ever going quiet on a busy machine)
    expect(inline_status(page)).to_contain_text("has digits", timeout=WAIT)
    assert_not_rendered_as_html(page)


def test_an_example_is_answered_when_pressed(page, client, served):
    if "word-vectors" not in served:
        pytest.skip("no word-vector model")
    open_tab_as_visitor(page, TAB)
    expect(answers(page)).to_contain_text("queen", timeout=WAIT)
    expected = client.predict("walking, swam", "walked", 10, api_name="/analogy")[0]["word"]
    page.get_by_role("button", name=re.compile("^walking − walked \\+ swam")).click()
    expect(answers(page)).to_contain_text(expected, timeout=WAIT)
    expect(answers(page)).not_to_contain_text("queen")
    expect(textbox(page, "Negative words")).to_have_value("walked")
    assert_in_view(page, answers(page), below=page.get_by_role("button", name="Ask"))   # the phone scrolls up to it
    assert "wv_positive=walking" in page.url, page.url
