"""Word-vector queries (analogy, neighbours) for our ONNX model and the gensim baseline.

Both models answer through the same small interface so the tab shows them side by side:
`vocabulary`, `query(positive, negative, topn, method)` and `unit_vectors(words)`.
"""
import difflib
import re
import threading
import weakref

import numpy as np

from serving.errors import InputError
from serving.limits import MAX_QUERY_WORDS, check_text
from serving.onnx_session import make_session
from serving.weights import listed_file, read_vocab
from tokenization.wiki import text8_tokens

METHODS = ("3CosAdd", "3CosMul")
MAX_TOPN = 100
SUGGESTED = 3       # unknown words of a query that get close known spellings


class OnnxWordVectors:
    """Our model: the whole query runs in the exported graph (export/word2vec/export.py)."""

    def __init__(self, manifest: dict):
        self.name = manifest["name"]
        self.vocabulary = read_vocab(listed_file(manifest, manifest["vocabulary"]["file"]).parent)
        self.index = {word: i for i, word in enumerate(self.vocabulary)}
        self.session = make_session(listed_file(manifest, "model.onnx"))

    def _run(self, outputs, positive=(), negative=(), topn=1, lookup=()):
        ids = lambda words: np.array([self.index[w] for w in words], dtype=np.int64)
        return self.session.run(outputs, {"positive_ids": ids(positive), "negative_ids": ids(negative),
                                          "topn": np.array([topn], np.int64), "lookup_ids": ids(lookup)})

    def query(self, positive, negative, topn, method):
        prefix = "cosadd" if method == "3CosAdd" else "cosmul"
        scores, ids = self._run([f"{prefix}_scores", f"{prefix}_ids"], positive, negative, topn)
        return [(self.vocabulary[i], float(s)) for i, s in zip(ids, scores)]

    def unit_vectors(self, words):
        return self._run(["lookup_vectors"], lookup=words)[0]


class GensimWordVectors:
    """The baseline, read from word2vec binary format (never a pickle) by gensim itself.

    Importing gensim and reading its 40,000 vectors take as long as the rest of the app's
    start-up together (about 2.5 s, all of it holding the GIL), so they happen on first use:
    app.py calls load_deferred() in a thread once the server answers, and a request that comes
    earlier waits for it. The file was verified against its checksum when the weights were loaded."""

    def __init__(self, manifest: dict):
        self.name = manifest["name"]
        self.path = listed_file(manifest, "vectors.bin")
        self._kv = None
        self._loading = threading.Lock()
        DEFERRED.add(self)

    @property
    def kv(self):
        with self._loading:
            if self._kv is None:
                from gensim.models import KeyedVectors
                self._kv = KeyedVectors.load_word2vec_format(str(self.path), binary=True)
        return self._kv

    @property
    def vocabulary(self) -> list[str]:
        return self.kv.index_to_key

    @property
    def index(self) -> dict[str, int]:
        return self.kv.key_to_index

    def query(self, positive, negative, topn, method):
        similar = self.kv.most_similar if method == "3CosAdd" else self.kv.most_similar_cosmul
        return [(w, float(s)) for w, s in similar(positive=list(positive), negative=list(negative), topn=topn)]

    def unit_vectors(self, words):
        return np.stack([self.kv.get_vector(w, norm=True) for w in words])


DEFERRED: "weakref.WeakSet[GensimWordVectors]" = weakref.WeakSet()   # not kept alive by this


def load_deferred() -> None:
    """Read the gensim models created so far (app.py runs this once the server answers)."""
    for model in list(DEFERRED):
        model.kv


def load_word_vectors(manifest: dict):
    loaders = {"onnx-analogy": OnnxWordVectors, "word2vec-binary": GensimWordVectors}
    return loaders[manifest["format"]](manifest)


def parse_words(text: str, name: str = "words") -> list[str]:
    """Words separated by commas or spaces, normalised as the corpus was (text8 rules). Digits
    are refused: text8 spells them out one by one, so "2020" would be the words two, zero, two,
    zero, and no number is a word of the vocabulary."""
    text = check_text(text or "", name)
    if number := re.search(r"[^\s,]*\d[^\s,]*", text):
        raise InputError(f"'{number.group()[:40]}' has digits, and the vocabulary has no numbers: it is "
                         "English Wikipedia written as text8 does, lower-case letters only, every digit "
                         "spelled out on its own (2020 became two zero two zero). Use words instead: "
                         "'twenty', 'nineties', 'century'.")
    return text8_tokens(text)


def check_query(model, positive: list[str], negative: list[str], topn: int) -> None:
    """Raise InputError with a message a user can act on. The words are capped: each one is a
    row of the query's product with the whole vocabulary (4,000 words cost gigabytes)."""
    if not isinstance(topn, int) or not 1 <= topn <= MAX_TOPN:
        raise InputError(f"topn must be a whole number from 1 to {MAX_TOPN} (got {topn!r}).")
    if not positive:
        raise InputError("Enter at least one positive word (letters a-z; digits are spelled out).")
    if len(positive) + len(negative) > MAX_QUERY_WORDS:
        raise InputError(f"Too many words: {len(positive) + len(negative):,} (a query takes at most "
                         f"{MAX_QUERY_WORDS}, positive and negative together).")
    seen = set()
    for word in positive + negative:
        if word in seen:
            raise InputError(f"'{shown(word)}' is given more than once; use each word once.")
        seen.add(word)
    if unknown := [word for word in positive + negative if word not in model.index]:
        raise InputError(unknown_words(model, unknown, len(seen)))


def shown(word: str) -> str:
    """A word as a message quotes it: a 100,000-letter "word" stays out of the message."""
    return word if len(word) <= 40 else word[:40] + "..."


def unknown_words(model, unknown: list[str], asked: int) -> str:
    """Every unknown word of a query, each with the known spellings close to it; when most of the
    query is unknown, why: the vocabulary is English (a query typed in French otherwise got a
    list of unknown words and nothing that said so). Spellings are looked up for the first
    SUGGESTED words only: each lookup scans thousands of words (24 unknown words took 0.3 s)."""
    close = {word: suggest(model.vocabulary, word) for word in unknown[:SUGGESTED]}
    if len(unknown) == 1:
        hint = f" Close words that are known: {', '.join(close[unknown[0]])}." if close[unknown[0]] else ""
    else:
        found = [f"{', '.join(words)} (for '{shown(word)}')" for word, words in close.items() if words]
        hint = f" Close words that are known: {'; '.join(found)}." if found else ""
    words = ", ".join(f"'{shown(word)}'" for word in unknown)
    why = (f": the vectors know English words only, the {len(model.vocabulary):,} most frequent words of English "
           "Wikipedia text." if 2 * len(unknown) > asked else f" ({len(model.vocabulary):,} most frequent words).")
    return f"{words} {'is' if len(unknown) == 1 else 'are'} not in the vocabulary of {model.name}{why}{hint}"


def suggest(vocabulary: list[str], word: str, n: int = 5) -> list[str]:
    """In-vocabulary spellings close to an unknown word (same first letter keeps it quick)."""
    candidates = [w for w in vocabulary if w[:1] == word[:1]] or vocabulary
    return difflib.get_close_matches(word, candidates, n=n, cutoff=0.7)


def answer(model, positive: list[str], negative: list[str], topn: int = 10,
           method: str = "3CosAdd") -> list[dict]:
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}.")
    check_query(model, positive, negative, topn)
    # six significant digits, not decimals: 3CosMul's scores are products over the query words
    # and fall below 1e-6 with many of them (rounded to decimals, every word scored 0.0)
    return [{"word": w, "score": float(f"{s:.6g}")}
            for w, s in model.query(positive, negative, min(topn, len(model.vocabulary) - len(positive) - len(negative)), method)]

