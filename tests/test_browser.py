"""The app in headless Chromium (Debian's package, driven by playwright; flags from docs/architecture.md):
in each tab an example and a typed input, the result checked on the page against what the API
answers for the same input, and a screenshot per tab for review: in a temporary folder, or in
$SCREENSHOTS_DIR when set (results/screenshots keeps one per tab and screen size from such a
run: <tab>-desktop.png, <tab>-phone.png), so that the suite leaves the checkout as it found it.
Typed HTML must show as text: no script runs, no element appears. Every tab's button shows, on a
390 px phone too."""
import os
import re
import tempfile
from pathlib import Path

import pytest

from export.bench_lm_page import press_and_wait

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", Path(tempfile.gettempdir()) / "small-nlp-screenshots"))
WAIT = 30_000  # ms for an answer to show
MORE_THAN_FIVE_WORDS = re.compile(r"^(\S+\s+){5,}\S")
TABS = ("Basics", "Word vectors", "Language model", "Sentiment")
ATTACK = "<img src=x onerror=alert(1)><script>alert(2)</script>"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install chromium (.ci/run does)")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page on the app, recording any JavaScript dialog (there must be none)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url)
    # the app has mounted once its first tab shows (not "networkidle": on a busy machine the page's
    # own polling can keep the network from ever going quiet)
    playwright.expect(page.get_by_role("tab", name="Basics")).to_be_visible(timeout=WAIT)
    yield page
    page.close()


@pytest.fixture(scope="module")
def served(client):
    return {m["task"] for m in client.predict(api_name="/models")}


def open_tab(page, name, task, served):
    if task not in served:
        pytest.skip(f"no {task} model in the weights folder")
    page.get_by_role("tab", name=name).click()


def textbox(page, label):
    """By its label (a textbox's accessible name goes on with its info line)."""
    return page.get_by_role("textbox", name=re.compile("^" + re.escape(label)))


def shows(page, text):
    playwright.expect(page.get_by_text(text, exact=True).filter(visible=True).first).to_be_visible(timeout=WAIT)


def assert_not_rendered_as_html(page):
    assert not page.dialogs, f"a script ran: {page.dialogs}"
    assert page.locator("img[src='x']").count() == 0, "typed <img> became an element"


def open_tab_as_visitor(page, tab: str, query: str = ""):
    """The app at query (on page.app_url); the tab opened as a visitor does, by its button (on a
    phone too: the tab bar wraps). A link that names the tab opens it itself."""
    page.goto(page.app_url + query)
    playwright.expect(page.get_by_role("tab", name="Basics")).to_be_visible(timeout=WAIT)   # mounted
    if not query:
        page.get_by_role("tab", name=tab, exact=True).click()
    playwright.expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true", timeout=WAIT)


def inline_status(page):
    """The visible message box of serving/inline_errors.py (none while nothing went wrong)."""
    return page.locator("div.block.inline-error").filter(visible=True)


def assert_message_stays(page, message: str, button, assert_in_view):
    """The error message beside the output, in view (on a phone under its button), still there
    after a toast would have gone (about 10 s; waited on the desktop run only)."""
    playwright.expect(inline_status(page)).to_contain_text(message, timeout=WAIT)
    assert_in_view(page, inline_status(page), below=button)
    if page.viewport_name == "desktop":
        page.wait_for_timeout(11_000)
        playwright.expect(inline_status(page)).to_contain_text(message)


def fits_across(page, locator):
    """Neither cut nor scrolled sideways: the table's full width is on screen."""
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], box
    assert locator.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), "the table scrolls sideways"


def screenshot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.parametrize("width, height", [(390, 844), (1400, 900)])
def test_every_tab_button_shows(browser, app_url, width, height):
    """A phone visitor sees that every tab exists: no tab behind an overflow menu (Gradio's default
    put Language model and Sentiment behind an unlabeled "⋯" at 390 px), each button on screen
    and opening its tab."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(app_url)
    for name in TABS:
        button = page.get_by_role("tab", name=name, exact=True)
        playwright.expect(button).to_be_visible(timeout=WAIT)
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
    assert page.get_by_role("button", name="More tabs").filter(visible=True).count() == 0
    for name in reversed(TABS):
        page.get_by_role("tab", name=name, exact=True).click()
        playwright.expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")
    screenshot(page, f"tabs-{width}")
    page.close()


def test_language_model_tab(page, client, served):
    open_tab(page, "Language model", "language-model", served)
    output = textbox(page, "Text (the news as the model learned it, N for any number; capitals put back for reading)")
    page.get_by_text("stock prices fell sharply after", exact=True).click()
    playwright.expect(textbox(page, "Prompt")).to_have_value("stock prices fell sharply after")
    page.get_by_role("button", name="Generate").click()
    playwright.expect(output).to_have_value(MORE_THAN_FIVE_WORDS, timeout=WAIT)  # the prompt and its continuation

    first_text = output.input_value()
    text = "Stock prices fell sharply after the report."
    textbox(page, "Your text").fill(text)
    page.get_by_role("button", name="Score").click()
    shows(page, f'{client.predict(text, api_name="/perplexity")["perplexity"]:.1f}')

    textbox(page, "Prompt").fill(f"the company {ATTACK}")
    press_and_wait(page, "lm-generate", "lm-output", WAIT)   # the output's status tracker busy, then idle: the stream has ended
    playwright.expect(output).not_to_have_value(first_text)
    screenshot(page, "generate")
    assert_not_rendered_as_html(page)
