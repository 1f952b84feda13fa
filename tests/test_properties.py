"""Property-based tests over the serving functions, in-process on the models in the weights
folder: any string in gives a well-formed result or serving.errors.InputError with a clear message
out; never another exception (not even another ValueError)."""
import math
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serving.errors import InputError
from serving.guards import argument_checker
from serving.language_model import MAX_NEW_TOKENS, LanguageModel
from serving.sentiment import SentimentModel
from serving.weights import load_all
from serving.word_vectors import MAX_TOPN, answer, load_word_vectors, parse_words
from tests.conftest import WEIGHTS_DIR
from tokenization.ptb import detokenize, ptb_tokens
from tokenization.sst import sst_tokens_with_spans
from tokenization.wiki import text8_tokens

SERVED = Path(os.environ.get("WEIGHTS_DIR", WEIGHTS_DIR))
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# any text, with the odd parts of Unicode a user can paste: controls, surrogates excluded by UTF-8
TEXT = st.text(st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["", " ", "\t\n", "<b>x</b>", "😀", "السوق", "市场", "N N N", "<unk> <eos>", "don't", "-lrb- -rrb-"])


def manifests(task):
    found = [m for m in (load_all(SERVED) if SERVED.is_dir() else {}).values() if m["task"] == task]
    return found or pytest.skip(f"no {task} model in {SERVED}")


@pytest.fixture(scope="module")
def word_vectors():
    return load_word_vectors(manifests("word-vectors")[0])


@pytest.fixture(scope="module")
def language_model():
    return LanguageModel(manifests("language-model")[0])


@pytest.fixture(scope="module")
def sentiment():
    return SentimentModel(manifests("sentiment")[0])


@FEW
@given(TEXT)
def test_tokenizers_take_any_text(text):
    assert all(re.fullmatch(r"[a-z]+", w) for w in text8_tokens(text))
    assert all(t and not t.isspace() for t in ptb_tokens(text))
    assert isinstance(detokenize(ptb_tokens(text)), str)
    for token, start, end in sst_tokens_with_spans(text):
        assert token and 0 <= start < end <= len(text)


@FEW
@given(TEXT, TEXT, st.integers(-5, MAX_TOPN + 5))
def test_word_vector_queries(word_vectors, positive, negative, topn):
    try:
        rows = answer(word_vectors, parse_words(positive), parse_words(negative), topn)
    except InputError as err:
        assert str(err)
        return
    assert 1 <= len(rows) <= topn
    assert all(isinstance(r["word"], str) and math.isfinite(r["score"]) for r in rows)


@FEW
@given(TEXT, st.integers(-2, 60))
def test_next_word(language_model, prompt, topn):
    try:
        rows = language_model.next_word(prompt, topn)
    except InputError as err:
        assert str(err)
        return
    probabilities = [r["probability"] for r in rows]
    assert len(rows) == min(topn, len(language_model.vocab)) and probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1 + 1e-6


@FEW
@given(TEXT)
def test_perplexity(language_model, text):
    try:
        result = language_model.perplexity(text)
    except InputError as err:
        assert str(err)
        return
    assert math.isfinite(result["perplexity"]) and result["perplexity"] >= 1
    assert result["tokens"] >= 2 and 0 <= result["oov"] < result["tokens"]


@FEW
@given(TEXT, st.integers(-1, MAX_NEW_TOKENS + 1), st.sampled_from(["greedy", "sample", "beam"]),
       st.floats(allow_nan=True, allow_infinity=True), st.integers(-1, 50), st.floats(-1, 2),
       st.integers(-1, 2**64))
def test_generate(language_model, prompt, max_new_tokens, strategy, temperature, top_k, top_p, seed):
    try:
        tokens = list(language_model.generate(prompt, max_new_tokens, strategy, temperature, top_k,
                                              top_p, seed))
    except InputError as err:
        assert str(err)
        return
    assert 1 <= len(tokens) <= max_new_tokens and "<unk>" not in tokens


@FEW
@given(TEXT)
def test_gates(language_model, prompt):
    try:
        result = language_model.gates(prompt)
    except InputError as err:
        assert str(err)
        return
    assert all(len(layer) == len(result["tokens"]) for layer in result["values"])
    assert all(0 <= v <= 1 for layer in result["values"] for token in layer for v in token)


@FEW
@given(TEXT)
def test_classify(sentiment, text):
    try:
        result = sentiment.classify(text)
    except InputError as err:
        assert str(err)
        return
    assert result["label"] in result["probabilities"]
    assert math.isclose(sum(result["probabilities"].values()), 1, abs_tol=1e-5)
    assert "".join(piece for piece, _ in result["highlights"]) == text  # the text shown back, whole
    assert all(text[e["start"]:e["end"]] == e["text"] for e in result["evidence"])


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=5)


@FEW
@given(JSON, JSON, JSON)
def test_typed_endpoints_take_any_json(text, topn, temperature):
    def endpoint(text: str, topn: int = 10, temperature: float = 1.0) -> list:
        return [text, topn, temperature]
    try:
        result = endpoint(*argument_checker(endpoint)([text, topn, temperature]))
    except InputError as err:
        assert str(err).startswith("argument '")
        return
    assert isinstance(result[0], str) and isinstance(result[1], int) and isinstance(result[2], float)
