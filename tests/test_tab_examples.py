"""Every example the Word vectors and Sentiment tabs offer, on the shipped models: answered as a
visitor expects, or labelled a known miss, and then really missed (so a label never outlives a
retrained model). The Sentiment examples are checked against the tab's default model, whichever
it is: the first of weights/'s sentiment folders in the tab's order."""
import pytest

from conftest import WEIGHTS_DIR
from serving.sentiment import SentimentModel
from serving.sentiment_tab import EXAMPLES as SENTENCES
from serving.sentiment_tab import NOT_ENGLISH, model_order
from serving.weights import load_manifest
from serving.word_vectors import answer, load_word_vectors, parse_words
from serving.word_vectors_tab import EXAMPLES as QUERIES

WORD_VECTORS = ["word2vec", "gensim-word2vec"]
SENTIMENT = ["sentiment-cnn", "sentiment-bilstm"]
shipped = pytest.mark.skipif(not all((WEIGHTS_DIR / n / "manifest.json").is_file() for n in WORD_VECTORS + SENTIMENT),
                             reason="the shipped weights are not in weights/")


@shipped
@pytest.mark.parametrize("name", WORD_VECTORS)
def test_word_vector_examples(name):
    model = load_word_vectors(load_manifest(WEIGHTS_DIR / name))
    for positive, negative, expected, misses in QUERIES:
        first = answer(model, parse_words(positive), parse_words(negative), 5)[0]["word"]
        if name in misses:
            assert first == misses[name][0], (positive, negative)
        else:
            assert first in expected, (positive, negative, first)


@shipped
@pytest.mark.parametrize("text, expected, why", SENTENCES, ids=[text[:30] for text, _, _ in SENTENCES])
def test_sentiment_examples(default_sentiment_model, text, expected, why):
    result = default_sentiment_model.classify(text)
    answer = NOT_ENGLISH if result["not_english"] else result["label"]
    assert (answer != expected) if why else (answer == expected), (text, answer, result["probabilities"])


@pytest.fixture(scope="module")
def default_sentiment_model():
    manifests = [load_manifest(p) for p in WEIGHTS_DIR.glob("sentiment-*") if (p / "manifest.json").is_file()]
    return SentimentModel(min(manifests, key=model_order))
