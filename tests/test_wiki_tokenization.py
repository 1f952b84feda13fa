"""The text8 rules: user queries are normalised exactly as the word-vector corpus was."""
import gzip

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
