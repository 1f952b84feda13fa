"""Where the corpora are, for every family: ../shared/data beside the checkout (listed in its
SOURCES.md; each command's --data-dir points elsewhere), and the reader of IMDB's reviews, which
the word2vec corpus and the classifiers both read."""
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def read_reviews(path: str | Path) -> Iterator[dict]:
    """IMDB's reviews as stored, one JSON object a line, each "text" with its <br /> line breaks
    turned into spaces."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            review = json.loads(line)
            yield review | {"text": review["text"].replace("<br />", " ")}
