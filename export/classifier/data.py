"""The sentence-classification data of Kim (2014): SST-2 (and five-class SST-1) with its splits, MR
with 10-fold CV; and IMDB's labeled training reviews, a larger set of the same task to train on
first or beside SST-2 (less a fixed tenth kept as IMDB dev).

Sentences come back already tokenised by tokenization.sst, the same rules serving applies to user
text. Labels: 0 negative, 1 positive.
"""
import re
from collections import Counter
from pathlib import Path

import numpy as np

from export.corpora import DEFAULT_DATA_DIR, read_reviews
from tokenization.sst import sst_tokens

LABELS = ("negative", "positive")
SST1_LABELS = ("very negative", "negative", "neutral", "positive", "very positive")
SST2_FILES = {split: f"sst2/stsa.binary.{split}" for split in ("train", "dev", "test")}
SST1_FILES = {split: f"sst1/stsa.fine.{split}" for split in ("train", "dev", "test")}
SST = {"sst2": (SST2_FILES, LABELS), "sst1": (SST1_FILES, SST1_LABELS)}  # dataset: files, labels
MR_FILES = ("mr/rt-polarity.neg", "mr/rt-polarity.pos")  # index = label
IMDB_TRAIN = "imdb/train.jsonl.gz"  # never its test split for training or selection
IMDB_TEST = "imdb/test.jsonl.gz"    # 25,000 full reviews: evaluation only
# a sentence holding one of these is in the negation slice of the SST-2 test set (issue 16)
NEGATORS = frozenset({"not", "n't", "no", "never", "nothing", "nobody", "none", "hardly", "neither",
                      "nor", "without"})

IMDB_LABELS = {"neg": LABELS.index("negative"), "pos": LABELS.index("positive")}  # as stored
# a review's stars (1-4 or 7-10; aclImdb leaves out 5 and 6) as SST-1's labels: no review is neutral
IMDB_STARS_AS_SST1 = {1: 0, 2: 0, 3: 1, 4: 1, 7: 3, 8: 3, 9: 4, 10: 4}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
UNK_ID = 1
Examples = list[tuple[list[str], int]]
Encoded = list[tuple[list[int], int]]


def load_sst2(data_dir: str | Path = DEFAULT_DATA_DIR, dataset: str = "sst2") -> dict[str, Examples]:
    """{"train", "dev", "test"}: [(tokens, label)], lines are 'label sentence' (SST-2, or with
    dataset="sst1" SST-1's sentences labeled 0-4)."""
    splits = {}
    for split, name in SST[dataset][0].items():
        lines = (Path(data_dir) / name).read_text(encoding="utf-8").splitlines()
        splits[split] = [(sst_tokens(line[2:]), int(line[0])) for line in lines if line.strip()]
    return splits


def load_mr(data_dir: str | Path = DEFAULT_DATA_DIR) -> Examples:
    """Every MR sentence, negatives first (the files are Windows-1252/Latin-1, not UTF-8)."""
    return [(sst_tokens(line), label) for label, name in enumerate(MR_FILES)
            for line in (Path(data_dir) / name).read_text(encoding="latin-1").splitlines()
            if line.strip()]


def load_imdb_train(data_dir: str | Path = DEFAULT_DATA_DIR, max_tokens: int = 200,
                    limit: int = 0, seed: int = 0, stars: bool = False) -> Examples:
    """IMDB's 25,000 labeled training reviews (or a random `limit` of them), cut to the first
    max_tokens tokens as serving cuts user text. With stars, labeled by their stars on SST-1's
    scale: a five-label model learns how strong a review's words are, not only their side."""
    reviews = list(read_reviews(Path(data_dir) / IMDB_TRAIN))
    if limit:  # the file holds all positives, then all negatives
        reviews = [reviews[i] for i in np.random.default_rng(seed).permutation(len(reviews))[:limit]]
    label = (lambda r: IMDB_STARS_AS_SST1[r["rating"]]) if stars else (lambda r: IMDB_LABELS[r["label"]])
    return [(sst_tokens(r["text"])[:max_tokens], label(r)) for r in reviews]


def load_imdb_sentences(data_dir: str | Path = DEFAULT_DATA_DIR, min_tokens: int = 4,
                        max_tokens: int = 50, seed: int = 0) -> Examples:
    """The sentences of IMDB's 25,000 labeled training reviews that hold a negator (72,663),
    and as many of the others drawn at random, each labeled as its review: a weak label (a good
    review says "not all of it works" too), but many times the negations of SST-2's 6,920
    training sentences, which come without phrase labels. "Not bad at all" in mostly positive
    reviews is what can teach a sentence model negation; the others keep the rest of the task."""
    with_negator, others = [], []
    for review in read_reviews(Path(data_dir) / IMDB_TRAIN):
        for sentence in SENTENCE_END.split(review["text"]):
            tokens = sst_tokens(sentence)
            if min_tokens <= len(tokens) <= max_tokens:
                (with_negator if negated(tokens) else others).append((tokens, IMDB_LABELS[review["label"]]))
    drawn = np.random.default_rng(seed).permutation(len(others))[:len(with_negator)]
    return with_negator + [others[i] for i in drawn]


def split_imdb_train(reviews: list, dev_fraction: float = 0.1, seed: int = 13) -> tuple[list, list]:
    """(train, dev): a fixed tenth of IMDB's training reviews is its dev set, for choosing C, the
    epoch or the variant; its test split stays unseen."""
    order = np.random.default_rng(seed).permutation(len(reviews))
    n_dev = int(len(reviews) * dev_fraction)
    return [reviews[i] for i in order[n_dev:]], [reviews[i] for i in order[:n_dev]]


def load_imdb_test(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[tuple[str, int]]:
    """IMDB's 25,000 test reviews as a visitor would paste them (raw text, <br /> as spaces)."""
    return [(r["text"], IMDB_LABELS[r["label"]]) for r in read_reviews(Path(data_dir) / IMDB_TEST)]


def negated(tokens: list[str]) -> bool:
    return not NEGATORS.isdisjoint(tokens)


def mr_folds(n: int, folds: int = 10, seed: int = 13) -> list[np.ndarray]:
    """Test indices of each fold: one fixed shuffle, so every model sees the same splits."""
    return np.array_split(np.random.default_rng(seed).permutation(n), folds)


def cv_split(n: int, fold: int, folds: int = 10, dev_fraction: float = 0.1,
             seed: int = 13) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, dev, test) indices for one CV fold; dev is a slice of the training part, used for
    model selection only, as SST-2's dev set is."""
    parts = mr_folds(n, folds, seed)
    test = parts[fold]
    rest = np.concatenate([p for i, p in enumerate(parts) if i != fold])
    n_dev = int(round(len(rest) * dev_fraction))
    return rest[n_dev:], rest[:n_dev], test


def build_vocab(sentences: list[list[str]], min_count: int = 1) -> list[str]:
    """<pad> (id 0), <unk> (id 1), then the training words by frequency."""
    counts = Counter(token for tokens in sentences for token in tokens)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return ["<pad>", "<unk>", *words]


def encode(examples, vocab: list[str]) -> Encoded:
    index = {w: i for i, w in enumerate(vocab)}
    return [([index.get(t, UNK_ID) for t in tokens] or [UNK_ID], label)
            for tokens, label in examples]


def classifier_vocab(sentences, source, extra: int = 0) -> list[str]:
    """The training words, then (with extra > 0) the source's `extra` most frequent words not
    among them: a word never seen in training still brings its pretrained vector, as in Kim's
    code, without building the vocabulary from the test sentences."""
    vocab = build_vocab(sentences)
    if not extra or source is None:
        return vocab
    known = set(vocab)
    return vocab + [w for w in source[0][:extra] if w not in known]
