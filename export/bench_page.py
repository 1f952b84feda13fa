"""How long a visitor waits on the Basics, Word vectors and Sentiment tabs: from the click on an
action's button to its result settled on screen, in headless Chromium against `python app.py` on this
machine, at 1400x900 and 390x844, measured as export/bench_lm_page.py measures the Language model
tab (the result's status tracker busy, then idle for a while).

    python -m export.bench_page --presses 10 --out results/bench_page.json

Prints one Markdown table (median and slowest press per action and screen) for the README.
"""
from urllib.parse import quote

import serving.telemetry_off  # noqa: F401  (first: the env before gradio)

from export import bench_lm_page
from export.bench_lm_page import CHROMIUM, FLAGS, VIEWPORTS, press_and_wait

# (action, its tab, its sub-tab or None, its button's id, its result's id, a script true once the
# tab has drawn what it opens with)
PLAYGROUND_DRAWN = "() => !!document.querySelector('#playground-picture .js-plotly-plot')"
ACTIONS = [("Basics: Train (the default 500 steps, streamed)", "Basics", None, "playground-train",
            "playground-status", PLAYGROUND_DRAWN),
           ("Basics: One step (Graph)", "Basics", "Graph", "graph-step", "graph-status", PLAYGROUND_DRAWN),
           ("Basics: Compare (Losses)", "Basics", "Losses", "losses-compare", "losses-verdict", PLAYGROUND_DRAWN),
           ("Word vectors: Ask (king − man + woman, both models and the picture)", "Word vectors", None, "wv-ask",
            "answers-word2vec", "() => document.querySelector('#answers-word2vec')?.innerText.includes('queen')"),
           ("Sentiment: Classify (CNN)", "Sentiment", None, "sa-classify", "sentiment-label",
            "() => !!document.querySelector('#sentiment-label [data-testid=\"label-output-value\"]')")]


def measure(url: str, presses: int) -> dict:
    from playwright.sync_api import sync_playwright
    seconds = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for screen, (width, height) in VIEWPORTS.items():
            for action, tab, sub_tab, button, result, answered in ACTIONS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{url}?tab={quote(tab)}")   # the link selects the tab (serving/page_link.py)
                page.wait_for_function(answered, timeout=60_000)
                if sub_tab:
                    page.get_by_role("tab", name=sub_tab, exact=True).click()
                seconds[(action, screen)] = [press_and_wait(page, button, result) for _ in range(presses)]
                page.close()
        browser.close()
    return seconds


if __name__ == "__main__":
    bench_lm_page.main(measure, "export.bench_page", __doc__)
