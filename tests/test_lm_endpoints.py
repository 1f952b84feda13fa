"""The language-model endpoints through gradio_client, on the shipped weights, bad input included."""
import math
import os
import statistics
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError

from tests.conftest import WEIGHTS_DIR

SERVED = Path(os.environ.get("WEIGHTS_DIR", WEIGHTS_DIR))  # what the app under test loads
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (SERVED / "lm-lstm" / "manifest.json").exists(), reason=f"no {SERVED}/lm-lstm yet")]


def test_generate_greedy_and_reproducible_samples(client):
    greedy = client.predict("the company said it expects", "lm-lstm", 12, api_name="/generate")
    assert isinstance(greedy, str) and len(greedy.split()) >= 5 and "<unk>" not in greedy
    args = ("stock prices", "lm-gru", 20, "sample", 1.0, 50, 0.95)
    assert client.predict(*args, 3, api_name="/generate") == client.predict(*args, 3, api_name="/generate")
    assert client.predict(*args, 3, api_name="/generate") != client.predict(*args, 4, api_name="/generate")


def test_generate_from_an_empty_prompt_starts_a_sentence(client):
    text = client.predict("", "lm-rnn", 8, api_name="/generate")
    assert text[:1].isupper() or text[:1] == "N"


@pytest.mark.parametrize("args, message", [
    (("zxqvw blorfk",), "vocabulary"),
    (("the company", "lm-lstm", 5000), "200"),
    (("the company", "lm-lstm", 5, "sample", 0.0), "temperature"),
    (("the company", "lm-lstm", 5, "sample", 1.0, 0, 1.5), "top_p"),
    (("the company", "no-such-model"), "Unknown model"),
])
def test_generate_refuses_bad_input_clearly(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/generate")


def test_next_word_is_a_distribution(client):
    rows = client.predict("the company said", "lm-lstm", 10, api_name="/next_word")
    probs = [r["probability"] for r in rows]
    assert len(rows) == 10 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
    assert client.predict("", "lm-gru", 3, api_name="/next_word")  # after a sentence start
    with pytest.raises(AppError, match="vocabulary"):
        client.predict("qqqzx", api_name="/next_word")


def test_perplexity_counts_out_of_vocabulary_words(client):
    plain = client.predict("The company said its profit rose.", "lm-lstm", api_name="/perplexity")
    assert plain["oov"] == 0 and plain["tokens"] == 7 and 1 < plain["perplexity"] < 2000
    odd = client.predict("The company zxqvw said qqqzx.", "lm-lstm", api_name="/perplexity")
    assert odd["oov"] == 2
    with pytest.raises(AppError, match="Enter some text"):
        client.predict("", "lm-lstm", api_name="/perplexity")


FRENCH = "Le chat est sur la table et il dort"   # 6 of its 9 words outside the news vocabulary


@pytest.mark.parametrize("api_name", ["/perplexity", "/token_scores"])
def test_a_text_mostly_of_unknown_words_is_said_to_be_so(client, api_name):
    """A perplexity with a plain warning when half or more of the words were read as <unk>;
    "" for English news text and for a text with one unknown word among known ones."""
    result = client.predict(FRENCH, "lm-lstm", api_name=api_name)
    assert result["oov"] == 6 and result["perplexity"] > 0
    assert result["warning"].startswith("Unknown to the model: 6 of the text's 9 words, read as <unk>.")
    assert "English only" in result["warning"]
    for text in ["The company said its profit rose.", "The company zxqvw said."]:
        assert client.predict(text, "lm-lstm", api_name=api_name)["warning"] == ""
    assert "1 of the text's 1 word," in client.predict("zxqvw", "lm-lstm", api_name=api_name)["warning"]


def test_gates_over_the_prompt(client):
    result = client.predict("the market fell", "lm-lstm", api_name="/gates")
    assert result["gates"] == ["forget", "input", "output"] and result["tokens"] == ["the", "market", "fell"]
    assert all(0 <= v <= 1 for layer in result["values"] for token in layer for v in token)
    with pytest.raises(AppError, match="no gates"):
        client.predict("the market", "lm-rnn", api_name="/gates")


@pytest.mark.parametrize("model", ["lm-lstm", "lm-gru", "lm-rnn"])
def test_token_scores_average_to_the_perplexity(client, model):
    text = "The company said its profit zxqvw rose in the third quarter."
    result = client.predict(text, model, 5, api_name="/token_scores")
    scores = result["tokens"]
    assert [s["token"] for s in scores] == "the company said its profit zxqvw rose in the third quarter <eos>".split()
    assert [s["in_vocabulary"] for s in scores].count(False) == result["oov"] == 1
    per_token = math.exp(statistics.fmean(-math.log(s["probability"]) for s in scores))
    assert per_token == pytest.approx(client.predict(text, model, api_name="/perplexity")["perplexity"], abs=1e-6)
    assert per_token == pytest.approx(result["perplexity"], abs=1e-6)
    for s in scores:
        words = [a["word"] for a in s["alternatives"]]
        probabilities = [a["probability"] for a in s["alternatives"]]
        assert len(words) == 5 and "<unk>" not in words and probabilities == sorted(probabilities, reverse=True)
        assert s["cross_entropy"] == pytest.approx(-math.log(s["probability"]))
        assert s["rank"] >= 1
        if s["in_vocabulary"]:   # ranked among the words it could say, as the alternatives are
            assert (s["rank"] == 1) == (s["token"] == words[0])


def test_token_scores_refuse_bad_input_clearly(client):
    for args, message in [(("",), "Enter some text"), (("the market", "lm-lstm", 51), "topn"),
                          (("the market", "no-such-model"), "Unknown model")]:
        with pytest.raises(AppError, match=message):
            client.predict(*args, api_name="/token_scores")


def test_next_word_never_offers_unk(client):
    for prompt in ["mr.", "the chairman of", "said mr."]:   # names: the vocabulary's <unk> is likely there
        words = [r["word"] for r in client.predict(prompt, "lm-lstm", 50, api_name="/next_word")]
        assert len(words) == 50 and "<unk>" not in words
