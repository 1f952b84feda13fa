"""The Basics tab in headless Chromium at 1400x900 and at 390x844: training streams the boundary
and the loss curves, the result shows without scrolling (on a phone, right under the button), the
set-up round-trips through the URL and a shared link opens configured; the graph's one step
lowers the loss; the losses compare side by side, their tables whole on a phone; the bridge opens
the other tabs. A screenshot per part and viewport, in the same folder as tests/test_browser.py's."""
import re

import pytest

from serving.basics_tab import OTHER_TABS
from tests.test_browser import (  # noqa: F401 (browser, served: fixtures)
    ATTACK, WAIT, assert_message_stays, assert_not_rendered_as_html, browser, fits_across, inline_status, playwright, screenshot,
    served)

expect = playwright.expect
pytestmark = pytest.mark.slow
VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}
WATCH_STATUS = """() => {
  window.statuses = [];
  const status = document.querySelector('#playground-status');
  new MutationObserver(() => {
    const text = status.innerText.trim();
    if (text && window.statuses.at(-1) !== text) window.statuses.push(text);
  }).observe(status, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(params=VIEWPORTS)
def page(request, browser, app_url):
    width, height = VIEWPORTS[request.param]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.viewport_name, page.app_url = request.param, app_url
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    page.close()


def open_basics(page, query: str = ""):
    page.goto(page.app_url + query)
    # the app has mounted once the first plot is drawn (not "networkidle": on a busy machine the
    # page's own polling can keep the network from ever going quiet)
    expect(page.locator("#playground-picture .js-plotly-plot")).to_be_attached(timeout=3 * WAIT)
    expect(page.get_by_role("tab", name="Basics")).to_have_attribute("aria-selected", "true")   # the first tab


def status(page):
    return page.locator("#playground-status")


def part(page, name):
    """One of the tab's four parts (the others' fields stay in the page, hidden)."""
    return page.locator(f"#basics-{name}")


def press(page, button):
    """Click, after checking that at 1400x900 the button needs no scrolling to reach."""
    if page.viewport_name == "desktop":
        box = button.bounding_box()
        assert box["y"] + box["height"] <= page.viewport_size["height"], f"{box}: below the fold"
    button.click()


def train(page):
    """Press Train and wait for the accuracies; returns the status texts seen on the way."""
    page.evaluate(WATCH_STATUS)
    press(page, page.get_by_role("button", name="Train"))
    expect(status(page)).to_contain_text(re.compile("Test (accuracy|mean squared error)"), timeout=3 * WAIT)
    return page.evaluate("window.statuses")


def accuracy_text(result: dict) -> str:
    return f"Test accuracy {100 * result['test_accuracy']:.1f}%"


def assert_in_view(page, locator, below):
    """At 1400x900 inside the viewport as it is after the click (the test scrolls nothing); on a
    phone directly under its button."""
    box = locator.bounding_box()
    if page.viewport_name == "phone":
        button = below.bounding_box()
        assert 0 <= box["y"] - (button["y"] + button["height"]) <= 40, f"{box} is not right under {button}"
    else:
        height = page.viewport_size["height"]
        assert 0 <= box["y"] and box["y"] + min(box["height"], 300) <= height, f"{box} outside the {height}px view"


def test_training_streams_the_boundary_and_the_loss_curves(page, client):
    open_basics(page)
    playground = part(page, "playground")
    playground.get_by_role("radio", name="circle").check()
    playground.get_by_label("Hidden layers").fill("4")
    seen = train(page)
    steps = [s for s in seen if s.startswith("Training: step")]
    assert len(steps) >= 2, f"no stream: {seen}"   # the page showed training while it ran
    expected = client.predict("circle", [4], "tanh", "sigmoid", 1.0, 10, 500, 0.05, 0, 0.5, api_name="/train_network")
    expect(status(page)).to_contain_text(accuracy_text(expected))
    picture, curves = page.locator("#playground-picture"), page.locator("#playground-curves")
    expect(picture.locator(".layer-above image, .imagelayer image").first).to_be_attached()   # the boundary
    assert picture.locator(".scatterlayer .point").count() == 400                            # every point
    expect(curves.locator(".scatterlayer .trace")).to_have_count(2)                          # train and test loss
    assert_in_view(page, status(page), page.get_by_role("button", name="Train"))
    if page.viewport_name == "desktop":
        assert_in_view(page, picture, None)
    else:   # plotly's toolbar, always shown on a touch screen, would sit over the charts' titles
        expect(curves.locator(".modebar").first).to_be_hidden()
    screenshot(page, f"basics-playground-{page.viewport_name}")


def test_the_set_up_round_trips_through_the_url(page, client, browser):
    open_basics(page)
    playground = part(page, "playground")
    playground.get_by_role("radio", name="two gaussians").check()
    playground.get_by_role("radio", name="relu").check()
    playground.get_by_label("Steps").fill("300")
    playground.get_by_label("Steps").press("Tab")
    expect(page).to_have_url(re.compile(r"tab=Basics.*ba_dataset=gaussians.*ba_activation=relu.*ba_steps=300"))
    expect(page.locator("#playground-link textarea")).to_have_value(page.url)

    shared = browser.new_page(viewport=page.viewport_size)
    shared.viewport_name, shared.app_url = page.viewport_name, page.app_url
    open_basics(shared, page.url[len(page.app_url):])
    playground = part(shared, "playground")
    expect(playground.get_by_role("radio", name="two gaussians")).to_be_checked(timeout=WAIT)
    expect(playground.get_by_role("radio", name="relu")).to_be_checked()
    expect(playground.get_by_label("Steps")).to_have_value("300")
    train(shared)
    expected = client.predict("gaussians", [8, 8], "relu", "sigmoid", 1.0, 10, 300, 0.05, 0, api_name="/train_network")
    expect(status(shared)).to_contain_text(accuracy_text(expected))
    shared.close()


def test_a_shared_link_opens_configured(page):
    open_basics(page, "?ba_dataset=spiral&ba_output=softmax&ba_hidden=8,4&ba_lr=0.5&ba_steps=600&ba_seed=2&ba_activation=tanh")
    playground = part(page, "playground")
    expect(playground.get_by_role("radio", name="spiral")).to_be_checked(timeout=WAIT)   # once the page has read its URL
    expect(playground.get_by_label("Output layer and loss")).to_have_value("softmax + cross-entropy")
    expect(playground.get_by_label("Hidden layers")).to_have_value("8, 4")
    expect(playground.get_by_label("Seed")).to_have_value("2")
    expect(page.locator("#playground-picture").get_by_text("green (train)")).to_be_visible()   # the three classes
    screenshot(page, f"basics-shared-link-{page.viewport_name}")

    open_basics(page, "?ba_dataset=moons&ba_lr=fast&ba_steps=300")
    expect(status(page)).to_contain_text("not understood and kept their defaults: dataset, lr", timeout=WAIT)
    expect(part(page, "playground").get_by_label("Steps")).to_have_value("300")


def test_bad_settings_get_a_message_and_typed_html_stays_text(page):
    open_basics(page)
    hidden = part(page, "playground").get_by_label("Hidden layers")
    train(page)   # an answer that the error must then clear
    hidden.fill(f"4, {ATTACK}")
    button = page.get_by_role("button", name="Train")
    button.click()
    assert_message_stays(page, "allowed: 0 to 3 hidden layers of 1 to 8 neurons each", button, assert_in_view)
    expect(status(page)).not_to_contain_text("Test accuracy")   # the stale answer is gone
    expect(part(page, "playground").locator("#playground-picture")).to_contain_text("After 500 steps")   # its plots stay
    expect(part(page, "playground").locator("#playground-curves .scatterlayer .trace")).not_to_have_count(0)
    screenshot(page, f"basics-bad-hidden-{page.viewport_name}")
    assert_not_rendered_as_html(page)
    hidden.fill("4, 0")
    button.click()
    expect(inline_status(page)).to_contain_text("Hidden layer 2 has no neurons", timeout=3 * WAIT)
    hidden.fill("4")
    train(page)
    expect(inline_status(page)).to_have_count(0)   # an answer hides the message


def test_train_with_the_defaults_fills_the_link(page):
    open_basics(page)
    train(page)
    expect(page.locator("#playground-link textarea")).to_have_value(re.compile(r"tab=Basics.*ba_dataset=xor.*ba_steps=500"))


def test_one_step_on_the_graph_lowers_the_loss(page, client):
    open_basics(page)
    page.get_by_role("tab", name="Graph").click()
    graph, graph_status = part(page, "graph"), page.locator("#graph-status")
    graph.get_by_label("input x₁").fill("1.5")
    graph.get_by_label("input x₁").press("Tab")
    weights, biases = [[[0.8, -0.4], [0.3, 0.9]], [[1.2, -0.7]]], [[0.1, -0.2], [0.05]]
    before = client.predict([1.5, -1.0], weights, biases, "tanh", "sigmoid", 1.0, api_name="/forward_backward")["loss"]
    expect(graph_status).to_contain_text(f"Loss {before:.4f}", timeout=WAIT)
    expect(page.locator("#graph-picture").get_by_text("value 1.500")).to_be_visible()   # x₁'s node
    button = page.get_by_role("button", name="One step")
    press(page, button)
    expect(graph_status).to_contain_text(f"loss {before:.4f} →", timeout=WAIT)
    after = float(re.search(r"→ (\d+\.\d+)", graph_status.inner_text()).group(1))
    assert after < before
    expect(graph.get_by_label("w₁₁", exact=True)).not_to_have_value("0.8")
    assert_in_view(page, graph_status, button)
    screenshot(page, f"basics-graph-{page.viewport_name}")

    graph.get_by_role("radio", name="one neuron").check()
    expect(graph.get_by_label("w₁₁", exact=True)).to_be_hidden()
    expect(page.locator("#graph-picture").get_by_text("w₁₁")).to_have_count(0)


def test_output_layers_and_losses_side_by_side(page, client):
    open_basics(page)
    page.get_by_role("tab", name="Losses").click()
    losses = part(page, "losses")
    losses.get_by_label("Logits").fill("8, -8")
    losses.get_by_label("Target").fill("1")
    press(page, page.get_by_role("button", name="Compare"))
    softmax = client.predict([8.0, -8.0], 1, "softmax", api_name="/output_layer")
    sigmoid = client.predict([8.0, -8.0], 1, "sigmoid", api_name="/output_layer")
    verdict = page.locator("#losses-verdict")
    expect(verdict).to_contain_text(f"{softmax['cross_entropy']:.4f}", timeout=WAIT)
    expect(verdict).to_contain_text(f"{sigmoid['cross_entropy']:.4f}")
    expect(verdict).to_contain_text("p - y")
    expect(verdict).to_contain_text("∂BCE/∂z is (p - y) / 2")   # the sigmoids' mean over their 2 units
    assert_in_view(page, verdict, page.get_by_role("button", name="Compare"))
    tables = losses.locator(".virtual-table-viewport")   # where a Dataframe would scroll
    expect(tables).to_have_count(2)
    for table in tables.all():   # the whole table on screen, on a phone too
        fits_across(page, table)
    screenshot(page, f"basics-losses-{page.viewport_name}")


def test_the_bridge_opens_the_other_tabs(page, served):
    open_basics(page)
    page.get_by_role("tab", name="To NLP").click()
    expect(page.get_by_text("Perplexity is exp(mean cross-entropy)")).to_be_visible()
    screenshot(page, f"basics-to-nlp-{page.viewport_name}")
    for task, tab in OTHER_TABS.items():
        if task in served:
            part(page, "to-nlp").get_by_role("button", name=f"Open {tab}").click()
            # the tab button itself
            expect(page.locator(f'button[role="tab"]:text-is("{tab}")')).to_have_attribute("aria-selected", "true")
            page.get_by_role("tab", name="Basics").click()
