"""The real app on 127.0.0.1, called through gradio_client: /models, /analogy, /neighbors; and
no text box of the page (this tab's or another's) grows without bound."""
import pytest
from gradio_client.exceptions import AppError


def test_models_lists_the_manifests(client):
    models = client.predict(api_name="/models")
    tasks = {m["task"] for m in models}
    assert "word-vectors" in tasks
    for m in models:
        assert {"name", "task", "architecture", "metrics"} <= m.keys()


def test_analogy_king_queen(client):
    result = client.predict("king, woman", "man", 5, api_name="/analogy")
    assert result[0]["word"] == "queen"
    assert len(result) == 5 and all(isinstance(r["score"], float) for r in result)
    assert [r["score"] for r in result] == sorted((r["score"] for r in result), reverse=True)


def test_analogy_on_the_baseline_and_with_cosmul(client):
    names = [m["name"] for m in client.predict(api_name="/models") if m["task"] == "word-vectors"]
    for name in names:
        for method in ("3CosAdd", "3CosMul"):
            result = client.predict("paris, germany", "france", 3, name, method, api_name="/analogy")
            assert len(result) == 3 and "paris" not in [r["word"] for r in result]


def test_neighbors_of_one_word_and_of_a_sum(client):
    single = client.predict("france", api_name="/neighbors")
    assert len(single) == 10 and "france" not in [r["word"] for r in single]
    summed = client.predict("river bank", 5, api_name="/neighbors")
    assert len(summed) == 5


def test_analogy_without_negative_words_answers_as_most_similar_with_positives_only(client):
    """negative="" (the API page's default) is gensim's most_similar(positive=...) with no negatives."""
    from gensim.models import KeyedVectors

    from conftest import WEIGHTS_DIR
    kv = KeyedVectors.load_word2vec_format(str(WEIGHTS_DIR / "gensim-word2vec" / "vectors.bin"), binary=True)
    for method, similar in (("3CosAdd", kv.most_similar), ("3CosMul", kv.most_similar_cosmul)):
        served = client.predict("king, woman", "", 5, "gensim-word2vec", method, api_name="/analogy")
        expected = similar(positive=["king", "woman"], topn=5)
        assert [r["word"] for r in served] == [w for w, _ in expected]
        assert [r["score"] for r in served] == pytest.approx([s for _, s in expected], rel=1e-5)
    ours = client.predict("king, woman", "", 5, api_name="/analogy")
    assert ours == client.predict("king, woman", 5, api_name="/neighbors")
    assert client.predict("king, woman", "", 5, "word2vec", "3CosMul", api_name="/analogy")[0]["word"]


@pytest.mark.parametrize("args, message", [
    (("kingg, woman", "man"), "'kingg' is not in the vocabulary"),
    (("reine", ""), "the vectors know English words only, the 40,000 most frequent words of English Wikipedia"),
    (("", "man"), "at least one positive word"),
    (("2020", ""), "the vocabulary has no numbers"),
    (("1990s, man", "woman"), "'1990s' has digits"),
    (("king, king", "man"), "given more than once"),
    (("king, woman", "man", 1000), "topn must be"),
])
def test_bad_input_gets_a_clear_message_and_the_server_keeps_serving(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/analogy")
    assert client.predict("king, woman", "man", 1, api_name="/analogy")[0]["word"] == "queen"


def test_api_lists_the_public_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/models", "/analogy", "/neighbors"} <= set(endpoints)


def test_no_text_box_grows_without_bound(client):
    """Every text box a visitor sees has max_lines (Gradio's default grows a box to 20 lines): a
    long paste scrolls inside it. The word boxes hold 3 lines, no box more than 12."""
    boxes = {c["props"]["label"]: c["props"]["max_lines"] for c in client.config["components"]
             if c["type"] == "textbox" and c["props"].get("visible") is not False}
    assert {"Positive words", "Negative words", "Prompt", "Sentence"} <= boxes.keys()
    assert boxes["Positive words"] == boxes["Negative words"] == 3
    assert all(lines is not None and lines <= 12 for lines in boxes.values()), boxes
