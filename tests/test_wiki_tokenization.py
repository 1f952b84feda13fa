"""The text8 rules: user queries are normalised exactly as the word-vector corpus was."""
import gzip
import json

from export.word2vec.data import WikiSentences
from tests.conftest import DATA_DIR, needs_data
from tokenization.wiki import text8_tokens


def test_queries_follow_the_corpus_rules():
    assert text8_tokens("King, Woman") == ["king", "woman"]
    assert text8_tokens("Café in 1990!") == ["cafe", "in", "one", "nine", "nine", "zero"]
    assert text8_tokens("  \t ,, ") == []
    assert text8_tokens("東京 <b>x</b>") == ["b", "x", "b"]


@needs_data("enwiki2019-t8/enwiki2019_t8.txt.gz")
def test_corpus_lines_are_fixed_points():
    with gzip.open(DATA_DIR / "enwiki2019-t8/enwiki2019_t8.txt.gz", "rt", encoding="utf-8") as f:
        for _, line in zip(range(200), f):
            assert text8_tokens(line) == line.split()


def test_reviews_reach_word2vec_in_the_wikipedia_form(tmp_path):
    """The IMDB reviews added to the classifiers' vector corpus: HTML breaks and punctuation
    gone, digits spelled out, chunked like the Wikipedia lines."""
    review = 'Loved it!<br /><br />Best film of 1933 -- "Duck Soup". Café scenes: 10/10.'
    with gzip.open(tmp_path / "unsup.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": 0, "label": "unsup", "text": review}) + "\n")
    (tmp_path / "wiki.txt.gz").write_bytes(gzip.compress(b" anarchism originated as\n"))
    sentences = WikiSentences([tmp_path / "wiki.txt.gz", tmp_path / "unsup.jsonl.gz"],
                              chunk_tokens=8)
    assert list(sentences) == [
        ["anarchism", "originated", "as"],
        ["loved", "it", "best", "film", "of", "one", "nine", "three"],
        ["three", "duck", "soup", "cafe", "scenes", "one", "zero", "one"],
        ["zero"]]
