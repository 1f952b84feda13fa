"""The Language model tab in headless Chromium at 1400x900 and at 390x844: every result is
answered on load and in view after its button (on a phone right under it), Enter generates and
scores, sampling draws a fresh seed per press and shows it, an error clears the stale result and
its message stays, Gates says why it is off for the vanilla RNN, the next-word chart starts at 0
and names <eos>, the scored text agrees with /perplexity and its tooltips with /token_scores, a
text mostly of unknown words is said to be so,
a model chosen answers at once, what is typed while the first answer streams stays, and the
tables fit. Screenshots go where tests/test_browser.py's go."""
import math
import re
from urllib.parse import urlencode

import pytest

from export.bench_lm_page import press_and_wait
from serving.language_model_tab import TAB
from tests.test_browser import (  # noqa: F401 (browser, served: fixtures)
    ATTACK, MORE_THAN_FIVE_WORDS, WAIT, assert_message_stays, assert_not_rendered_as_html, browser, fits_across,
    inline_status, open_tab_as_visitor, playwright, screenshot, served)
from tests.test_browser_basics import assert_in_view, page  # noqa: F401 (page: a fixture)

expect = playwright.expect
pytestmark = pytest.mark.slow
desktop_only = pytest.mark.parametrize("page", ["desktop"], indirect=True)
OUTPUT = "#lm-output textarea"
SAMPLING = (40, "sample", 0.8, 40, 0.95)   # the tab's defaults: max new words, strategy, temperature, top-k, top-p


def open_tab(page, served, query: str = ""):
    """The tab as a visitor opens it (or a link does), its example answered on load."""
    if "language-model" not in served:
        pytest.skip("no language model in the weights folder")
    open_tab_as_visitor(page, TAB, query)
    expect(page.locator(OUTPUT)).to_have_value(MORE_THAN_FIVE_WORDS, timeout=WAIT)


def field(page, elem_id):
    return page.locator(f"#{elem_id} textarea, #{elem_id} input")


def generated(page, enter: bool = False):
    """Press Generate (or Enter in the prompt) and wait for the whole stream: (before, after)."""
    before = page.locator(OUTPUT).input_value()
    enter_in_prompt = (lambda: field(page, "lm-prompt").press("Enter")) if enter else None
    press_and_wait(page, "lm-generate", "lm-output", WAIT, enter_in_prompt)
    return before, page.locator(OUTPUT).input_value()


def seed_shown(page) -> int:
    note = page.get_by_text(re.compile(r"^Sampled with seed \d+")).first
    expect(note).to_be_visible(timeout=WAIT)
    return int(re.search(r"seed (\d+)", note.inner_text()).group(1))


def intersects_viewport(page, locator):
    box, height = locator.bounding_box(), page.viewport_size["height"]
    assert box and box["y"] < height and box["y"] + box["height"] > 0, f"{box} outside the {height}px view"


def test_every_result_is_answered_on_load_and_in_view_after_its_button(page, client, served):
    open_tab(page, served)
    expect(page.locator("#lm-scored .tok").first).to_be_visible(timeout=WAIT)
    assert seed_shown(page) >= 0
    screenshot(page, f"language-model-load-{page.viewport_name}")

    generate = page.locator("#lm-generate")
    before, after = generated(page)
    assert after != before and MORE_THAN_FIVE_WORDS.match(after)
    intersects_viewport(page, page.locator("#lm-output"))
    assert_in_view(page, page.locator("#lm-output"), generate)
    screenshot(page, f"language-model-generate-{page.viewport_name}")

    for tab, button, result in [("Next word", "lm-next-word", "lm-chart"), ("Gates", "lm-gates", "lm-heatmap")]:
        page.get_by_role("tab", name=tab).click()
        press_and_wait(page, button, result, WAIT)   # its result's status tracker busy, then idle (not "networkidle")
        intersects_viewport(page, page.locator(f"#{result}"))
        assert_in_view(page, page.locator(f"#{result}"), page.locator(f"#{button}"))
        screenshot(page, f"language-model-{tab.lower().replace(' ', '-')}-{page.viewport_name}")
    expect(page.locator("#lm-heatmap table tr")).to_have_count(1 + 2 * (1 + 3))   # the words; per layer its name, 3 gates

    press_and_wait(page, "lm-score", "lm-scored", WAIT)
    intersects_viewport(page, page.locator("#lm-scored"))
    screenshot(page, f"language-model-scored-{page.viewport_name}")

    for table in page.locator("table").filter(has_text="perplexity").all():
        table.scroll_into_view_if_needed()
        fits_across(page, table)


@desktop_only
def test_the_next_word_chart_starts_at_0_and_names_the_end_of_a_sentence(page, client, served):
    open_tab(page, served)
    prompt = "the company declined to comment"   # the sentence is likely to end here
    words = [r["word"] for r in client.predict(prompt, "lm-lstm", 10, api_name="/next_word")]
    assert "<eos>" in words and "<unk>" not in words
    field(page, "lm-prompt").fill(prompt)
    page.get_by_role("tab", name="Next word").click()
    page.locator("#lm-next-word").click()
    chart = page.locator("#lm-chart")
    expect(chart.locator(".ytick text").filter(has_text="(end of sentence)")).to_have_count(1, timeout=WAIT)
    shown = chart.locator(".ytick text").all_text_contents()[::-1]   # bottom to top on the page
    assert shown == [{"<eos>": "(end of sentence)"}.get(w, w) for w in words]
    assert chart.locator(".js-plotly-plot").evaluate("plot => plot._fullLayout.xaxis.range[0]") == 0
    assert chart.locator(".xtick text").first.text_content() == "0%"
    expect(chart.locator(".gtitle")).to_contain_text("after “… company declined to comment”")   # which prompt


@desktop_only
def test_enter_generates_and_each_sample_press_draws_a_fresh_seed(page, client, served):
    open_tab(page, served)
    field(page, "lm-prompt").fill("the federal reserve")
    _, first = generated(page, enter=True)
    assert first.startswith("The federal reserve ")
    first_seed = seed_shown(page)
    _, second = generated(page)
    second_seed = seed_shown(page)
    assert first_seed != second_seed and first != second   # two presses, two seeds, two texts
    for seed, text in ((first_seed, first), (second_seed, second)):   # the API's text for the seed shown
        assert text.endswith(client.predict("the federal reserve", "lm-lstm", *SAMPLING, seed, api_name="/generate"))

    field(page, "lm-seed").fill(str(first_seed))   # a fixed seed: the same text on every press
    assert generated(page)[1] == first and generated(page)[1] == first
    assert seed_shown(page) == first_seed


@desktop_only
def test_an_error_clears_the_result_and_its_message_stays(page, served):
    open_tab(page, served)
    field(page, "lm-prompt").fill("zxqvw blorfk")
    page.locator("#lm-generate").click()
    expect(page.locator(OUTPUT)).to_have_value("", timeout=WAIT)
    expect(page.get_by_text(re.compile("^Sampled with seed"))).to_have_count(0)
    assert_message_stays(page, "vocabulary", page.locator("#lm-generate"), assert_in_view)
    screenshot(page, "language-model-error-desktop")

    page.get_by_role("tab", name="Next word").click()
    page.locator("#lm-next-word").click()
    expect(inline_status(page)).to_contain_text("vocabulary", timeout=WAIT)
    expect(page.locator("#lm-chart .js-plotly-plot")).to_have_count(0)   # the stale chart is gone

    field(page, "lm-prompt").fill("the market")
    page.locator("#lm-next-word").click()
    expect(page.locator("#lm-chart .js-plotly-plot")).to_have_count(1, timeout=WAIT)
    expect(inline_status(page)).to_have_count(0)


@desktop_only
def test_gates_say_why_they_are_off_for_the_vanilla_rnn(page, served):
    open_tab(page, served)
    page.get_by_role("tab", name="Gates").click()
    gates = page.locator("#lm-gates")
    expect(gates).to_be_enabled()
    expect(page.locator("#lm-heatmap")).to_contain_text("forget", timeout=WAIT)   # the LSTM's, on load
    page.locator("#lm-model").get_by_role("radio", name="vanilla RNN").check()
    expect(gates).to_be_disabled()
    expect(page.get_by_text(re.compile("vanilla RNN has no gates"))).to_be_visible()
    expect(page.locator("#lm-heatmap")).not_to_contain_text("forget")   # not left beside "no gates"
    page.locator("#lm-model").get_by_role("radio", name="GRU").check()
    expect(gates).to_be_enabled()
    gates.click()
    expect(page.locator("#lm-heatmap")).to_contain_text("update", timeout=WAIT)   # the GRU's gates
    expect(page.locator("#lm-heatmap")).not_to_contain_text("forget")


@desktop_only
def test_every_word_of_a_text_is_scored_as_the_api_scores_it(page, client, served):
    open_tab(page, served)
    text = f"{ATTACK} The company said its profit rose."
    expected = client.predict(text, "lm-gru", 5, api_name="/token_scores")
    box = field(page, "lm-text")
    box.fill(text)
    page.locator("#lm-score-model").get_by_role("radio", name="GRU").check()
    box.press("Enter")
    scored = page.locator("#lm-scored")
    expect(scored).to_contain_text(f"Perplexity {expected['perplexity']:.1f} = exp of the mean", timeout=WAIT)
    tokens = scored.locator(".tok")
    expect(tokens).to_have_count(len(expected["tokens"]))
    assert math.isclose(math.exp(sum(t["cross_entropy"] for t in expected["tokens"]) / len(expected["tokens"])),
                        client.predict(text, "lm-gru", api_name="/perplexity")["perplexity"], abs_tol=1e-6)
    expect(scored).to_contain_text("onerror=alert(1)><script>alert(2)</script")   # typed HTML shows as text
    assert_not_rendered_as_html(page)

    word = next(i for i, t in enumerate(expected["tokens"]) if t["token"] == "profit")
    tokens.nth(word).hover()
    tip = page.locator(".token-tip")
    expect(tip).to_be_visible()
    alternatives = expected["tokens"][word]["alternatives"]
    expect(tip).to_contain_text(f"rank {expected['tokens'][word]['rank']:,}")
    expect(tip).to_contain_text(alternatives[0]["word"])
    screenshot(page, "language-model-tooltip-desktop")


@desktop_only
def test_a_prompt_typed_while_the_first_answer_streams_stays(page, served):
    """The page's first generation streams for a second or more; what a visitor types meanwhile
    is not put back to the example with each streamed word."""
    open_tab(page, served, "?" + urlencode({"tab": TAB, "lm_max_new": 200}))   # 200 words: still streaming
    field(page, "lm-prompt").fill("the federal reserve")
    page.wait_for_function("() => document.querySelector('#lm-output [data-testid=\"status-tracker\"]')"
                           ".classList.contains('hide')", timeout=WAIT)
    page.wait_for_timeout(500)
    expect(field(page, "lm-prompt")).to_have_value("the federal reserve")


@desktop_only
def test_choosing_another_model_answers_with_it(page, client, served):
    """No button pressed: the generation, the next words and the scored text are the newly chosen
    model's (the old model's stayed under the new choice)."""
    open_tab(page, served)
    prompt, before = field(page, "lm-prompt").input_value(), seed_shown(page)
    page.locator("#lm-model").get_by_role("radio", name="GRU").check()
    expect(page).to_have_url(re.compile("lm_model=lm-gru"), timeout=WAIT)
    expect(page.get_by_text(re.compile(r"^Sampled with seed \d+")).first).not_to_contain_text(
        f"seed {before}:", timeout=WAIT)   # the new generation's seed, drawn as for a press
    seed = seed_shown(page)
    expected = client.predict(prompt, "lm-gru", *SAMPLING, seed, api_name="/generate")
    expect(page.locator(OUTPUT)).to_have_value(re.compile(re.escape(expected) + "$"), timeout=WAIT)
    page.get_by_role("tab", name="Next word").click()
    first = client.predict(prompt, "lm-gru", 1, api_name="/next_word")[0]["word"]
    expect(page.locator("#lm-chart")).to_contain_text(first, timeout=WAIT)
    text = field(page, "lm-text").input_value()
    page.locator("#lm-score-model").get_by_role("radio", name="GRU").check()
    gru = client.predict(text, "lm-gru", api_name="/perplexity")["perplexity"]
    expect(page.locator("#lm-scored")).to_contain_text(f"Perplexity {gru:.1f} = exp of the mean", timeout=WAIT)


@desktop_only
def test_a_text_mostly_of_unknown_words_is_said_to_be_so(page, client, served):
    open_tab(page, served)
    text = "Le chat est sur la table et il dort"
    field(page, "lm-text").fill(text)
    press_and_wait(page, "lm-score", "lm-scored", WAIT)
    warning = client.predict(text, "lm-lstm", api_name="/perplexity")["warning"]
    expect(page.get_by_text(warning, exact=True)).to_be_visible(timeout=WAIT)
    screenshot(page, "language-model-unknown-words-desktop")


def test_a_shared_link_opens_answered(page, client, served):
    link = {"tab": "Language model", "lm_prompt": "the federal reserve", "lm_model": "lm-gru", "lm_seed": "123"}
    open_tab(page, served, "?" + urlencode(link))
    expect(field(page, "lm-prompt")).to_have_value("the federal reserve")
    expect(page.locator("#lm-model").get_by_role("radio", name="GRU")).to_be_checked()
    expect(field(page, "lm-seed")).to_have_value("123")
    assert seed_shown(page) == 123
    expected = client.predict("the federal reserve", "lm-gru", *SAMPLING, 123, api_name="/generate")
    expect(page.locator(OUTPUT)).to_have_value(re.compile(re.escape(expected) + "$"), timeout=WAIT)
    screenshot(page, f"language-model-link-{page.viewport_name}")


@desktop_only
def test_the_link_holds_the_seed_a_press_drew(page, browser, served):
    open_tab(page, served)
    text = generated(page)[1]
    seed = seed_shown(page)
    expect(page).to_have_url(re.compile(f"lm_seed={seed}(&|$)"))
    expect(field(page, "lm-seed")).to_have_value("")   # the next press draws another
    shared = browser.new_page(viewport=page.viewport_size)
    shared.goto(page.url)
    expect(shared.locator(OUTPUT)).to_have_value(text, timeout=WAIT)
    shared.close()


@desktop_only
def test_a_prompt_to_try_is_answered_when_pressed(page, client, served):
    open_tab(page, served)
    page.get_by_role("button", name="mr. smith is chairman of").click()
    expect(page.locator(OUTPUT)).to_have_value(re.compile(r"^Mr\. smith is chairman of"), timeout=WAIT)
    page.get_by_role("tab", name="Next word").click()
    expected = client.predict("mr. smith is chairman of", "lm-lstm", 1, api_name="/next_word")[0]["word"]
    expect(page.locator("#lm-chart")).to_contain_text(expected, timeout=WAIT)
    assert "lm_prompt=mr.+smith+is+chairman+of" in page.url or "lm_prompt=mr.%20smith" in page.url, page.url


@desktop_only
def test_a_prompt_word_the_model_does_not_know_is_named(page, served):
    open_tab(page, served)
    field(page, "lm-prompt").fill("teh company said")
    generated(page)
    expect(page.get_by_text(re.compile("Not among its 10,000 words of 1989 news English: 'teh'"))).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("(a word it does not know)").first).to_be_visible()
