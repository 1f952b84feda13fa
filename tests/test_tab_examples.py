"""Every example the Word vectors and Sentiment tabs offer, on the shipped models: answered as a
visitor expects, or labelled a known miss, and then really missed (so a label never outlives a
retrained model)."""
import pytest

from conftest import WEIGHTS_DIR
from serving.sentiment import SentimentModel
from serving.sentiment_tab import EXAMPLES as SENTENCES
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
@pytest.mark.parametrize("name", SENTIMENT)
def test_sentiment_examples(name):
    model = SentimentModel(load_manifest(WEIGHTS_DIR / name))
    for text, expected, why in SENTENCES:
        label = model.classify(text)["label"]
        assert (label != expected) if why else (label == expected), (text, label)
