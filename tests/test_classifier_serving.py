"""Serving of the sentiment classifiers: the evidence on constructed examples, and /classify
through gradio_client on the real app (the shipped models when weights/ has them, else tiny
models trained here on a synthetic task)."""
import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from classifier_synthetic import tiny_folder
from conftest import WEIGHTS_DIR
from export.app_process import start_app, stop_app
from serving.errors import InputError
from serving.sentiment import SentimentModel
from serving.sentiment_tab import accuracy_table, describe, training_details
from serving.weights import load_manifest

SHIPPED = [p for p in sorted(WEIGHTS_DIR.glob("sentiment-*")) if (p / "manifest.json").is_file()]


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    root = tmp_path_factory.mktemp("weights")
    for kind, name in [("cnn-rand", "sentiment-cnn"), ("bilstm", "sentiment-bilstm"),
                       ("cnn-ensemble", "sentiment-cnn-ensemble")]:
        tiny_folder(root / name, kind)
    return root


@pytest.fixture(scope="module")
def tiny_models(tiny_weights):
    return [SentimentModel(load_manifest(p)) for p in sorted(tiny_weights.iterdir())]


def strongest_word(result: dict) -> str:
    scored = [(score, piece) for piece, score in result["highlights"] if score is not None]
    return max(scored)[1]


@pytest.mark.parametrize("text, label, word", [
    ("the movie was wonderful", "positive", "wonderful"),
    ("The acting was AWFUL and the story really quite thin", "negative", "AWFUL"),
    ("dull", "negative", "dull"),
    ("a great film", "positive", "great"),
])
def test_the_evidence_points_at_the_cue_word(tiny_models, text, label, word):
    """For the CNN the cue is the strongest word; a BiLSTM state also carries the words read
    before it (its peak can sit next to the cue), so there the cue need only push the right way."""
    for model in tiny_models:
        result = model.classify(text)
        assert result["label"] == label, model.name
        if "bilstm" in model.name:
            assert dict(map(tuple, result["highlights"]))[word] > 0, result["highlights"]
            continue
        assert strongest_word(result) == word, (model.name, result["highlights"])
        top = result["evidence"][0]
        assert top["word"] == word and word in top["text"] and top["weight"] > 0
        assert text[top["start"]:top["end"]] == top["text"]


def test_highlights_give_back_the_text_exactly(tiny_models):
    text = "Wow!!  the film 😀 was wonderful, n'est-ce pas? 電影"
    for model in tiny_models:
        result = model.classify(text)
        assert "".join(piece for piece, _ in result["highlights"]) == text
        assert abs(sum(result["probabilities"].values()) - 1) < 1e-6


def test_short_long_and_empty_inputs(tiny_models):
    for model in tiny_models:
        assert model.classify("ok")["tokens"] == 1
        long = model.classify("wonderful " * 500)
        assert long["truncated"] and long["tokens"] == 200
        for bad in ("", "   ", "😀😀"):
            with pytest.raises(InputError):
                model.classify(bad)


@pytest.mark.skipif(not SHIPPED, reason="no shipped sentiment model in weights/")
@pytest.mark.parametrize("text, label, word", [
    ("the movie was wonderful", "positive", "wonderful"),
    ("a dull , lifeless film", "negative", None),
])
def test_shipped_models_on_constructed_examples(text, label, word):
    for folder in SHIPPED:
        result = SentimentModel(load_manifest(folder)).classify(text)
        assert result["label"] == label, folder
        if word and "cnn" in folder.name:
            assert strongest_word(result) == word, (folder, result["highlights"])


@pytest.fixture(scope="module")
def sentiment_client(request, tiny_weights):
    if SHIPPED:
        yield request.getfixturevalue("client")
        return
    proc, url = start_app({"WEIGHTS_DIR": str(tiny_weights)})
    yield Client(url, verbose=False)
    stop_app(proc)


def test_classify_endpoint(sentiment_client):
    result = sentiment_client.predict("the movie was wonderful", api_name="/classify")
    assert result["label"] == "positive"
    assert set(result["probabilities"]) == {"negative", "positive"}
    assert np.isclose(sum(result["probabilities"].values()), 1)
    assert "wonderful" in [e["word"] for e in result["evidence"]]
    assert "/classify" in sentiment_client.view_api(print_info=False,
                                                     return_format="dict")["named_endpoints"]
    names = [m["name"] for m in sentiment_client.predict(api_name="/models")
             if m["task"] == "sentiment"]
    assert len(names) >= 2
    for name in names:
        assert sentiment_client.predict("dull", name, api_name="/classify")["label"] == "negative"


def test_classify_endpoint_long_and_bad_input(sentiment_client):
    long = sentiment_client.predict("a wonderful film . " * 300, api_name="/classify")
    assert long["truncated"] and long["tokens"] == 200
    for text, message in [("", "Empty input"), ("😀", "No words found"),
                          ("x" * 100_001, "too long")]:
        with pytest.raises(AppError, match=message):
            sentiment_client.predict(text, api_name="/classify")
    with pytest.raises(AppError, match="Unknown model"):
        sentiment_client.predict("fine", "no-such-model", api_name="/classify")
    assert sentiment_client.predict("wonderful", api_name="/classify")["label"] == "positive"


def test_the_details_say_how_each_model_was_kept(tiny_weights):
    texts = {p.name: training_details(load_manifest(p)) for p in tiny_weights.iterdir()}
    assert "the pass best on held-out sentences is kept" in texts["sentiment-cnn"]
    assert "of 2 training runs from different random starts, the 2 best on held-out sentences are averaged" \
        in texts["sentiment-cnn-ensemble"]
    assert "the average of 2 such networks" in describe(load_manifest(tiny_weights / "sentiment-cnn-ensemble"))


@pytest.mark.skipif(not SHIPPED, reason="no shipped sentiment weights")
def test_the_accuracy_table_shows_one_decimal_for_every_model():
    """84.0 stays 84.0 beside 84.6 (a float cell would show 84)."""
    rows = accuracy_table([load_manifest(p) for p in SHIPPED])
    cells = [cell for row in rows for cell in row[1:3] if cell is not None]
    assert cells and all(cell.split(" ")[0].count(".") == 1
                         and len(cell.split(" ")[0].split(".")[1]) == 1 for cell in cells)
