"""Negation augmentation: short made-up sentences in which a negator turns a sentiment word's side.

SST-2's training file holds whole sentences only; the phrase labels that taught Kim's networks
that "not bad" leans positive are not in it, and a CNN that has mostly seen "bad" in negative
sentences reads "not bad at all" as negative. So sentiment words meet negators here in pairs of
templates, one negated ("it is n't {word}", label turned) and its plain twin ("it is {word}",
label kept): the twin keeps the template's own words neutral, so only the negator can carry the
turn. The words are IMDB's (training reviews only): the ones that lean hardest to one side over
reviews and that follow an intensifier ("very", "so", "too", ...) often enough to be adjectives
a negator can stand before.
"""
import math
from collections import Counter
from pathlib import Path

import numpy as np

from export.classifier.data import IMDB_LABELS, IMDB_TRAIN, LABELS
from export.corpora import read_reviews
from tokenization.sst import sst_tokens

INTENSIFIERS = frozenset({"very", "so", "too", "really", "quite", "pretty", "extremely"})
# (negated, plain): the same frame with and without its negator, in SST's tokens
TEMPLATES = (
    ("it is n't {}", "it is {}"),
    ("it was not {}", "it was {}"),
    ("not {} at all", "{} indeed"),
    ("the film is not {}", "the film is {}"),
    ("never {}", "always {}"),
    ("it 's not {}", "it 's {}"),
    ("this movie is n't {}", "this movie is {}"),
    ("not {}", "{}"),
    ("i was not {}", "i was {}"),
    ("it was never {}", "it was always {}"),
    ("hardly {}", "very {}"),
    ("the story is not very {}", "the story is very {}"),
    ("not a single {} moment", "a {} moment"),
    ("there is nothing {} about it", "there is something {} about it"),
    ("no {} moments", "{} moments"),
)


def polar_words(data_dir: str | Path, known: set[str], per_side: int = 200, min_reviews: int = 40,
                min_intensified: int = 10) -> tuple[list[str], list[str]]:
    """(negative words, positive words), strongest first: by the smoothed log ratio of the
    positive and negative IMDB training reviews holding them, among the words in `known` (the
    classifier's vocabulary) seen in at least min_reviews reviews and after an intensifier at
    least min_intensified times."""
    reviews = {label: Counter() for label in LABELS}
    intensified = Counter()
    for review in read_reviews(Path(data_dir) / IMDB_TRAIN):
        tokens = sst_tokens(review["text"])
        reviews[LABELS[IMDB_LABELS[review["label"]]]].update(set(tokens))
        intensified.update(b for a, b in zip(tokens, tokens[1:]) if a in INTENSIFIERS)
    pos, neg = reviews["positive"], reviews["negative"]
    words = [w for w in pos.keys() | neg.keys() if w in known and w.isalpha()
             and pos[w] + neg[w] >= min_reviews and intensified[w] >= min_intensified]
    lean = {w: math.log((pos[w] + 1) / (neg[w] + 1)) for w in words}
    ranked = sorted(words, key=lambda w: (lean[w], w))
    return ([w for w in ranked if lean[w] < 0][:per_side],
            [w for w in reversed(ranked) if lean[w] > 0][:per_side])


def negation_examples(negative: list[str], positive: list[str], count: int,
                      seed: int = 0) -> list[tuple[list[str], int]]:
    """count sentences, half negated (the word's label turned) and half plain, over random words
    of either side and random templates."""
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(count):
        label = int(rng.integers(2))
        words = positive if label == LABELS.index("positive") else negative
        word = words[rng.integers(len(words))]
        negated_frame, plain_frame = TEMPLATES[rng.integers(len(TEMPLATES))]
        if rng.random() < 0.5:
            examples.append((negated_frame.format(word).split(), 1 - label))
        else:
            examples.append((plain_frame.format(word).split(), label))
    return examples
