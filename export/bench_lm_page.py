"""How long a visitor waits on the Language model tab: from the click on an action's button to its
result settled on screen (the result's status tracker busy and then idle again, as the page draws
it), in headless Chromium against `python app.py` on this machine, at 1400x900 and 390x844.

    python -m export.bench_lm_page --presses 10 --out results/bench_lm_page.json

Prints one Markdown table (median and slowest press per action and screen) for the README.
"""
import argparse
import json
import os
import statistics
import time
from pathlib import Path

import serving.telemetry_off  # noqa: F401  (first: the env before gradio)

from export.app_process import start_app, stop_app

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = {"1400x900": (1400, 900), "390x844 phone": (390, 844)}
# (action, the sub-tab it lives in, its button's id, its result's id); Generate streams 40 words
ACTIONS = [("Generate", "Generate", "lm-generate", "lm-output"), ("Next word", "Next word", "lm-next-word", "lm-chart"),
           ("Gates", "Gates", "lm-gates", "lm-heatmap"), ("Score", None, "lm-score", "lm-scored")]
# the result's status tracker shows (pending, then generating while a stream runs) and hides
# again: the last change to idle, once it
# has stayed idle for QUIET_MS, is when the page has drawn the answer
QUIET_MS = 400
WATCH = """([button, result]) => {
  const tracker = document.querySelector(`#${result} [data-testid="status-tracker"]`);
  const times = window.pressTimes = {clicked: null, idle: null, busy: false};
  const pressed = () => { if (times.clicked === null) times.clicked = performance.now(); };
  window.pressWatch?.abort();   // the previous press's listeners and observer go
  const watch = window.pressWatch = new AbortController();
  // on the document, not the button: Gradio may render the button anew between here and the press
  document.addEventListener("click", (e) => { if (e.target.closest(`#${button}`)) pressed(); },
                            {capture: true, signal: watch.signal});
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") pressed(); },
                            {capture: true, signal: watch.signal});
  const observer = new MutationObserver(() => {
    if (!tracker.classList.contains("hide")) { times.busy = true; times.idle = null; }
    else if (times.busy && times.idle === null) times.idle = performance.now();
  });
  observer.observe(tracker, {attributes: true, attributeFilter: ["class"]});
  watch.signal.addEventListener("abort", () => observer.disconnect());
}"""
SETTLED = f"() => window.pressTimes.clicked !== null && window.pressTimes.idle !== null && performance.now() - window.pressTimes.idle > {QUIET_MS}"


def press_and_wait(page, button_id: str, result_id: str, timeout_ms: float = 60_000, press=None) -> float:
    """Click the button (or call press(), which presses Enter somewhere); once its result has
    settled, the seconds from the press to then."""
    page.evaluate(WATCH, [button_id, result_id])
    press() if press else page.locator(f"#{button_id}").click()
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    times = page.evaluate("window.pressTimes")
    return (times["idle"] - times["clicked"]) / 1000


def open_tab(page, url: str, timeout_ms: float = 60_000) -> None:
    """Open the page at url and its Language model tab; return once the tab's example is answered."""
    page.goto(url)
    page.locator('button[role="tab"]').first.wait_for(timeout=timeout_ms)
    page.locator('button[role="tab"]:text-is("Language model")').click()   # on a phone too: the tab bar wraps
    page.wait_for_function("() => document.querySelector('#lm-output textarea').value.length > 0",
                           timeout=timeout_ms)


def measure(url: str, presses: int) -> dict:
    from playwright.sync_api import sync_playwright
    seconds = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for screen, (width, height) in VIEWPORTS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            open_tab(page, url)
            for action, sub_tab, button, result in ACTIONS:
                if sub_tab:
                    page.get_by_role("tab", name=sub_tab, exact=True).click()
                seconds[(action, screen)] = [press_and_wait(page, button, result) for _ in range(presses)]
            page.close()
        browser.close()
    return seconds


def table(seconds: dict, presses: int) -> str:
    """seconds: {(action, screen): [per press]}, in the order the rows go."""
    lines = [f"| action ({presses} presses each) | " + " | ".join(f"{s}: median / slowest" for s in VIEWPORTS) + " |",
             "| --- |" + " ---: |" * len(VIEWPORTS)]
    for action in dict.fromkeys(a for a, _ in seconds):
        times = [seconds[(action, s)] for s in VIEWPORTS]
        cells = [f"{statistics.median(t) * 1000:,.0f} ms / {max(t) * 1000:,.0f} ms" for t in times]
        lines.append(f"| {action} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(measure=measure, module: str = "export.bench_lm_page", description: str = __doc__) -> None:
    """The command line of this benchmark, and of export/bench_page.py's with its measure()."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=10, help="presses per action and screen")
    parser.add_argument("--out", type=Path, help="also write the times (seconds) as JSON here")
    args = parser.parse_args()
    proc, url = start_app()
    try:
        seconds = measure(url, args.presses)
    finally:
        stop_app(proc)
    print(table(seconds, args.presses))
    if args.out:
        args.out.write_text(json.dumps({
            "command": f"python -m {module} --presses {args.presses}", "load_average": os.getloadavg(),
            "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "seconds": {f"{a} @ {s}": v for (a, s), v in seconds.items()}}, indent=1) + "\n")


if __name__ == "__main__":
    main()
