"""Serving of the sentiment classifiers: the evidence on constructed examples, whole texts up to
the token cap, text that is not English, a five-label model, and /classify through gradio_client
on the real app (the shipped models when weights/ has them, else tiny models trained here on a
synthetic task; a five-label one always tiny, in its own app)."""
import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from classifier_synthetic import FIVE_LABELS, tiny_folder
from conftest import WEIGHTS_DIR
from export.app_process import start_app, stop_app
from serving.errors import InputError
from serving.limits import MAX_TEXT_CHARS
from serving.sentiment import MAX_TOKENS, SentimentModel
from serving.sentiment_tab import accuracy_table, describe, ENGLISH_ONLY, reading_note, served_table, training_details
from serving.weights import load_manifest
from tokenization.sst import sst_tokens

SHIPPED = [p for p in sorted(WEIGHTS_DIR.glob("sentiment-*")) if (p / "manifest.json").is_file()]
NOT_ENGLISH = ["Der Film war schrecklich langweilig.",
               "Les acteurs sont excellents 😀",
               "Ce film est magnifique : les acteurs sont excellents et l'histoire est touchante."]


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory):
    root = tmp_path_factory.mktemp("weights")
    for kind, name in [("cnn-rand", "sentiment-cnn"), ("bilstm", "sentiment-bilstm"),
                       ("cnn-ensemble", "sentiment-cnn-ensemble")]:
        tiny_folder(root / name, kind)
    return root


@pytest.fixture(scope="module")
def five_label_folder(tmp_path_factory):
    return tiny_folder(tmp_path_factory.mktemp("five") / "sentiment-cnn-sst1", labels=FIVE_LABELS)


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
        whole = model.classify("wonderful " * 1000)
        assert not whole["truncated"] and whole["tokens"] == 1000 and whole["characters_read"] == 10_000
        long = model.classify("ok " * (MAX_TOKENS + 500))
        assert long["truncated"] and long["tokens"] == MAX_TOKENS
        assert long["characters_read"] == 3 * MAX_TOKENS - 1   # where the last token read ends
        text = "It is a film. " * (MAX_TOKENS // 4 + 50)   # the cut falls between "film" and "."
        cut = model.classify(text)
        assert cut["tokens"] == MAX_TOKENS and text[:cut["characters_read"]].endswith(" a film.")
        assert text[cut["characters_read"]:].startswith(" It is")
        text = "a " + "It is a don't. " * (MAX_TOKENS // 5 + 50)   # ... or "do" and "n't": up to "a"
        cut = model.classify(text)
        assert cut["tokens"] == MAX_TOKENS - 1 and text[cut["characters_read"]:].startswith(" don't.")
        for bad in ("", "   ", "😀😀", "ok " * (MAX_TEXT_CHARS // 3 + 1)):
            with pytest.raises(InputError):
                model.classify(bad)


def test_the_evidence_covers_the_whole_text(tiny_models):
    """The one cue word 4,000 tokens in decides the label and is the evidence, in the text's
    own characters; the filler before it was read too."""
    text = "the movie was " * 1300 + "awful" + " and the film" * 100
    start = text.index("awful")
    for model in tiny_models:
        result = model.classify(text)
        assert result["tokens"] == 3900 + 1 + 300 and not result["truncated"], model.name
        assert result["label"] == "negative", model.name
        if "bilstm" not in model.name:
            top = result["evidence"][0]
            assert (top["word"], top["start"] <= start < top["end"]) == ("awful", True), top


@pytest.mark.parametrize("text", NOT_ENGLISH)
def test_not_english_is_said_and_unknown_words_are_never_evidence(tiny_models, text):
    for model in tiny_models:
        result = model.classify(text)
        assert result["not_english"], (model.name, text)
        assert_unknown_words_unscored(model, text, result)
    for model in tiny_models:
        assert not model.classify("the movie was wonderful")["not_english"]


def test_the_tab_says_counts_and_english_as_written(tiny_models):
    """"1 token read" (it said "1 tokens read"), "2 tokens read"; "Not English?" with its capital
    (it said "Not english?")."""
    model = tiny_models[0]
    for text, read in [("dull", "1 token read,"), ("dull film", "2 tokens read,")]:
        assert reading_note(text, model.classify(text)).startswith(read), text
    assert ENGLISH_ONLY.startswith("**Not English?** The models read English only")


def assert_unknown_words_unscored(model, text, result):
    for piece, score in result["highlights"]:
        if score is not None:
            assert sst_tokens(piece)[0] in model.index, (model.name, piece, score)
    assert all(sst_tokens(e["word"])[0] in model.index for e in result["evidence"]), result["evidence"]
    assert any(score is None and sst_tokens(piece) for piece, score in result["highlights"])


def test_a_five_label_model(five_label_folder, tiny_weights):
    model = SentimentModel(load_manifest(five_label_folder))
    for text, label in [("the film was dreadful", "very negative"), ("a really okay movie", "neutral"),
                        ("this is a wonderful story", "very positive")]:
        result = model.classify(text)
        assert list(result["probabilities"]) == FIVE_LABELS
        assert result["label"] == label and np.isclose(sum(result["probabilities"].values()), 1)
    assert "on 5 levels from very negative to very positive" in describe(load_manifest(five_label_folder))
    note = reading_note("a really okay movie", model.classify("a really okay movie"))
    assert note.startswith("On the scale: very negative ") and " · neutral " in note  # the scale's order
    two_labels = SentimentModel(load_manifest(tiny_weights / "sentiment-cnn"))
    assert reading_note("the film", two_labels.classify("the film")).startswith("2 tokens read")
    sst, negation, imdb, mr, ece = served_table([load_manifest(five_label_folder)])
    assert sst[1].endswith("(SST-1)") and negation[1] == ece[1] == "— none yet"  # not in its manifest
    assert imdb[1] == mr[1] == "— 5 labels"
    for folder in SHIPPED:
        if len(load_manifest(folder)["hyperparameters"]["labels"]) == 5:
            sst, negation, _, _, ece = served_table([load_manifest(folder)])
            assert all(row[1].endswith("(SST-1)") for row in (sst, negation, ece)), (sst, negation, ece)


@pytest.mark.skipif(not SHIPPED, reason="no shipped sentiment model in weights/")
@pytest.mark.parametrize("text", NOT_ENGLISH)
def test_shipped_models_say_when_a_text_is_not_english(text):
    for folder in SHIPPED:
        model = SentimentModel(load_manifest(folder))
        result = model.classify(text)
        assert result["not_english"], (folder, result)
        assert_unknown_words_unscored(model, text, result)


@pytest.mark.skipif(not SHIPPED, reason="no shipped sentiment model in weights/")
@pytest.mark.parametrize("text, label, word", [
    ("the movie was wonderful", "positive", "wonderful"),
    ("a dull , lifeless film", "negative", None),
])
def test_shipped_models_on_constructed_examples(text, label, word):
    """A five-label model may say "very positive": its label is on the same side."""
    for folder in SHIPPED:
        result = SentimentModel(load_manifest(folder)).classify(text)
        assert result["label"] in (label, f"very {label}"), folder
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
        assert sentiment_client.predict("dull", name, api_name="/classify")["label"] in ("negative", "very negative")


def test_classify_endpoint_long_and_bad_input(sentiment_client):
    whole = sentiment_client.predict("a wonderful film . " * 300, api_name="/classify")
    assert not whole["truncated"] and whole["tokens"] == 900 and whole["characters_read"] == 5700
    long = sentiment_client.predict("a wonderful film . " * 2000, api_name="/classify")
    assert long["truncated"] and long["tokens"] == MAX_TOKENS and not long["not_english"]
    german = sentiment_client.predict(NOT_ENGLISH[0], api_name="/classify")
    assert german["not_english"] and {"label", "probabilities", "evidence"} <= set(german)
    for text, message in [("", "Empty input"), ("😀", "No words found"),
                          ("x" * (MAX_TEXT_CHARS + 1), "too long"), ("x" * 100_001, "too long")]:
        with pytest.raises(AppError, match=message):
            sentiment_client.predict(text, api_name="/classify")
    with pytest.raises(AppError, match="Unknown model"):
        sentiment_client.predict("fine", "no-such-model", api_name="/classify")
    assert sentiment_client.predict("wonderful", api_name="/classify")["label"] == "positive"


def test_a_five_label_folder_is_served_and_listed(tiny_weights, five_label_folder):
    """A five-label folder beside the binary ones: /models lists it, the tab's model choice
    offers it after them (sentiment-cnn stays the default), /classify answers with its labels."""
    root = five_label_folder.parent
    for name in ("sentiment-cnn", "sentiment-bilstm"):
        (root / name).symlink_to(tiny_weights / name)
    proc, url = start_app({"WEIGHTS_DIR": str(root)})
    try:
        client = Client(url, verbose=False)
        assert "sentiment-cnn-sst1" in [m["name"] for m in client.predict(api_name="/models")]
        result = client.predict("a really okay movie", "sentiment-cnn-sst1", api_name="/classify")
        assert set(result["probabilities"]) == set(FIVE_LABELS) and result["label"] == "neutral"
        assert set(client.predict("dull", api_name="/classify")["probabilities"]) == {"negative", "positive"}
        radios = [c["props"]["choices"] for c in client.config["components"]
                  if c.get("type") == "radio" and c["props"].get("label") == "Model"
                  and any("sentiment" in str(choice) for choice in c["props"]["choices"])]
        assert [[choice[0] for choice in r] for r in radios] == [["sentiment-cnn", "sentiment-bilstm",
                                                                  "sentiment-cnn-sst1"]]
    finally:
        stop_app(proc)


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
    served = served_table([load_manifest(p) for p in SHIPPED])
    assert [len(row) for row in served] == [1 + len(SHIPPED)] * 5
    assert all(cell.startswith("— ") or cell.split(" ")[0].count(".") == 1 for row in served for cell in row[1:])


@pytest.mark.parametrize("folder", [p for p in SHIPPED if "long_texts" in load_manifest(p)["hyperparameters"]],
                         ids=lambda p: p.name)
def test_texts_from_the_threshold_on_are_read_by_the_review_graph(folder):
    """A folder with two graphs (export.classifier.export's route_by_length): shorter texts by
    model.onnx, texts of from_tokens tokens or more by long.onnx, each as if served alone."""
    from serving.onnx_session import make_session
    model = SentimentModel(load_manifest(folder))
    long_texts = load_manifest(folder)["hyperparameters"]["long_texts"]
    alone = {name: make_session(folder / name) for name in ("model.onnx", long_texts["file"])}
    for tokens, graph in ((long_texts["from_tokens"] - 1, "model.onnx"), (long_texts["from_tokens"], long_texts["file"])):
        ids = np.full((1, tokens), 5, np.int64)
        np.testing.assert_allclose(model.run(ids)[0][0], alone[graph].run(["logits"], {"ids": ids})[0], rtol=1e-5)
    review = " ".join(["a dull start, but then a wonderful film."] * 20)
    assert model.classify(review)["tokens"] >= long_texts["from_tokens"]
