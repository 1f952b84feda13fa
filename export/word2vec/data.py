"""The text8-style corpora, streamed as sentences for word2vec training: English Wikipedia, and
IMDB's 50,000 unlabeled movie reviews brought to the same form (tokenization.wiki), in-domain text
for the sentiment classifiers' vectors."""
import gzip
from pathlib import Path

from export.corpora import DEFAULT_DATA_DIR, read_reviews
from tokenization.wiki import text8_tokens

CORPORA = {
    "t8": ["enwiki2019-t8/enwiki2019_t8.txt.gz"],
    "t8+more": ["enwiki2019-t8/enwiki2019_t8.txt.gz",
                "enwiki2019-t8-more/enwiki2019_t8_more.txt.gz"],
    "t8+more+imdb": ["enwiki2019-t8/enwiki2019_t8.txt.gz",
                     "enwiki2019-t8-more/enwiki2019_t8_more.txt.gz", "imdb/unsup.jsonl.gz"],
}
DESCRIPTIONS = {"t8": "English Wikipedia", "t8+more": "English Wikipedia",
                "t8+more+imdb": "English Wikipedia and 50,000 unlabeled IMDB movie reviews"}


def corpus_files(name: str, data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Path]:
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose from {sorted(CORPORA)}")
    paths = [Path(data_dir) / p for p in CORPORA[name]]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"corpus files not found: {missing} (set --data-dir)")
    return paths


class WikiSentences:
    """Restartable iterable of token lists: each article (one line) cut into chunks.

    gensim's C core ignores words past 10,000 per sentence; 1000-token chunks keep every word
    and give the same stream to gensim and to our trainer. A .jsonl.gz file holds one review
    per line, its "text" with HTML line breaks, normalised here as the Wikipedia text was.
    """

    def __init__(self, paths: list[Path], chunk_tokens: int = 1000):
        self.paths = paths
        self.chunk_tokens = chunk_tokens

    def __iter__(self):
        for path in self.paths:
            for words in token_lines(path):
                for start in range(0, len(words), self.chunk_tokens):
                    yield words[start:start + self.chunk_tokens]


def token_lines(path: Path):
    """A corpus file's lines as tokens: a Wikipedia line is tokenised already, a review is not."""
    if path.name.endswith(".jsonl.gz"):
        for review in read_reviews(path):
            yield text8_tokens(review["text"])
        return
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield line.split()
