"""Every gradio_client example runs as pasted: each Python block of the README that uses
gradio_client (its address swapped for the test server's), and each Python snippet the app's
API page ("Use via API", read in headless Chromium) shows for its endpoints."""
import re

import pytest

from conftest import ROOT
from tests.test_browser import CHROMIUM, FLAGS, WAIT, playwright

README_ADDRESS = "http://127.0.0.1:7860/"


def python_blocks(markdown: str) -> list[str]:
    return [b for b in re.findall(r"```python\n(.*?)```", markdown, re.S) if "gradio_client" in b]


def api_page_snippets(app_url: str) -> dict[str, str]:
    """{api_name: the Python snippet} as the API page shows them."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.goto(app_url)
        page.get_by_text(re.compile("^Use via API")).first.click()   # the link at the foot of the page
        code = page.locator("code", has_text="from gradio_client import Client")
        playwright.expect(code).not_to_have_count(0, timeout=WAIT)
        snippets = [text.strip() for text in code.all_text_contents()]
        browser.close()
    return {re.search(r'api_name="(/\w+)"', s).group(1): s for s in snippets}


def run(snippet: str) -> None:
    exec(compile(snippet, "<example>", "exec"), {"print": lambda *args: None})


def test_every_readme_client_example_runs(app_url):
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks and all(README_ADDRESS in b for b in blocks)
    for block in blocks:
        run(block.replace(README_ADDRESS, app_url))


def test_every_api_page_example_runs_as_pasted(app_url, client):
    snippets = api_page_snippets(app_url)
    documented = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(snippets) == set(documented)
    for name, snippet in snippets.items():
        assert "..." not in snippet, f"{name}: a placeholder instead of an example"
        run(snippet)


def test_the_api_page_shows_worked_arguments(app_url):
    """A parameter with a default shows its default (negative="", now answered as the neighbours)."""
    snippet = api_page_snippets(app_url)["/analogy"]
    assert 'positive="king, woman"' in snippet and 'negative=""' in snippet
