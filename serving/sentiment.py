"""Sentence sentiment with an exported classifier (Kim CNN or BiLSTM): label, calibrated
probabilities, and the words that drove the decision.

The graph returns, for every pooled feature, the position that won max-over-time pooling, the
feature's contribution to each class logit, and each window token's share in the feature's value.
A feature's push is its contribution to the chosen class minus its mean contribution over classes
(for two classes: half its push on the margin), split over the window it saw by those shares:
`width` tokens starting `pad` positions before the winning position, `pad` being the zero padding
the model adds on both sides.

Whole texts: a text is read in one pass, up to MAX_TOKENS tokens. Max-over-time pooling (and
the BiLSTM's max pooling) work on any length, so the evidence covers everything read; the cap
keeps each request bounded (serving/limits.py bounds the characters before this).

English only: a text whose words are mostly (NOT_ENGLISH_SHARE or more of its longer words)
outside the model's vocabulary is flagged `not_english`; unknown words all share one vector, so a label for such a
text says little. Unknown words are never evidence: their weight is dropped from the evidence
and their highlight is unscored.
"""
import re

import numpy as np

from serving.errors import InputError
from serving.limits import MAX_TEXT_CHARS
from serving.onnx_session import make_session
from serving.weights import listed_file, read_vocab
from tokenization.sst import sst_tokens_with_spans

UNK_ID = 1
# one pass over 5,000 tokens (~26,000 characters) took 160 ms in the shipped CNN's graph on one
# core; IMDB's longest test review has 2,482 tokens, 99% of them fewer than 1,000
MAX_TOKENS = 5000
NOT_ENGLISH_SHARE = 0.5
_NON_SPACE = re.compile(r"\S*")


class SentimentModel:
    """A folder's model.onnx, and where its manifest names one (hyperparameters.long_texts: file,
    from_tokens, filter_widths, feature_maps) a second graph over the same vocabulary for texts
    of from_tokens tokens or more: a network trained on sentences reads sentences best, one
    trained on whole reviews reads reviews best (export/classifier/export.py, route)."""

    def __init__(self, manifest: dict):
        self.name = manifest["name"]
        self.index = {w: i for i, w in enumerate(read_vocab(listed_file(manifest, "vocab.txt").parent))}
        hp = manifest["hyperparameters"]
        self.labels, self.pad = hp["labels"], hp["pad"]
        graphs = [{"file": "model.onnx", "from_tokens": 0, **hp}] + ([hp["long_texts"]] if "long_texts" in hp else [])
        # (from how many tokens, session, each feature's filter width), longest first; private: a
        # Ray Serve stand-in copies the plain attributes (serving/ray_serve.py), and sessions are not plain
        self._graphs = [(g["from_tokens"], make_session(listed_file(manifest, g["file"]), memory_arena=False),
                        np.repeat(g["filter_widths"], g["feature_maps"])) for g in reversed(graphs)]

    def run(self, ids: np.ndarray) -> tuple[list, np.ndarray]:
        """The outputs of the graph for a text of this many tokens, and its filter widths."""
        _, session, widths = next(g for g in self._graphs if ids.shape[1] >= g[0])
        return session.run(None, {"ids": ids}), widths

    def classify(self, text: str, top: int = 5) -> dict:
        """{"label", "probabilities" (one per label of the manifest), "evidence": [{"word",
        "weight", "text", "start", "end"}] (the known words that pushed hardest towards the
        label, strongest first, each with the n-gram window, text[start:end], that credited it
        most), "tokens" (read), "truncated", "characters_read" (text[:characters_read] was read),
        "unknown" (tokens read that are not in the vocabulary), "not_english" (half or more of
        the words read are unknown: mostly_unknown), "highlights": [[text piece, score in -1..1 or None]]}.
        Raises InputError on empty input or input without a single word."""
        if not text or not text.strip():
            raise InputError("Empty input: type a sentence to classify.")
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"Input too long: {len(text):,} characters (the limit is "
                             f"{MAX_TEXT_CHARS:,}; the first {MAX_TOKENS:,} tokens are read).")
        spans = sst_tokens_with_spans(text)
        if not spans:
            raise InputError("No words found: the classifier reads letters and digits "
                             "(emoji and punctuation alone carry no sentiment for it).")
        truncated = len(spans) > MAX_TOKENS
        keep, characters_read = words_end(text, spans, MAX_TOKENS)
        spans = spans[:keep]
        ids = np.array([[self.index.get(token, UNK_ID) for token, _, _ in spans]], np.int64)
        (logits, positions, contributions, shares), widths = self.run(ids)
        probs = np.exp(logits[0] - logits[0].max())
        probs /= probs.sum()
        chosen = int(probs.argmax())
        push = contributions[0, chosen] - contributions[0].mean(axis=0)
        weights, windows = self._evidence(positions[0], push, shares[0], len(spans), widths)
        known = ids[0] != UNK_ID
        weights[~known] = 0.0
        best = [t for t in np.argsort(-weights, kind="stable")[:top] if weights[t] > 0]
        return {
            "label": self.labels[chosen],
            "probabilities": {label: float(p) for label, p in zip(self.labels, probs)},
            "evidence": [{"word": text[spans[t][1]:spans[t][2]],
                          "text": text[spans[windows[t][0]][1]:spans[windows[t][1] - 1][2]],
                          "start": spans[windows[t][0]][1], "end": spans[windows[t][1] - 1][2],
                          "weight": round(float(weights[t]), 4)} for t in best],
            "tokens": len(spans), "truncated": truncated,
            "characters_read": characters_read,
            "unknown": int((~known).sum()),
            "not_english": mostly_unknown(spans, known),
            "highlights": highlights(text, spans, np.where(known, weights, np.nan)),
        }

    def _evidence(self, positions: np.ndarray, push: np.ndarray, shares: np.ndarray,
                  n: int, widths: np.ndarray) -> tuple[np.ndarray, dict]:
        """(the weight of each token, {token: (first, end) of the window that gave it most}).
        Each feature's push is split over the tokens of the window that won its pooling by
        their shares in the filter's response: the word that lit a filter gets most of it,
        padding and bias none. Windows are clipped to the sentence."""
        offsets = np.arange(shares.shape[1])
        starts = positions - self.pad
        tokens = starts[:, None] + offsets
        valid = (offsets < widths[:, None]) & (tokens >= 0) & (tokens < n)
        credit = push[:, None] * shares
        weights = np.zeros(n)
        np.add.at(weights, tokens[valid], credit[valid])
        first, end = np.maximum(starts, 0), np.minimum(starts + widths, n)
        features, offsets = np.nonzero(valid)
        # largest credit first (of equal credits, the last pair): each token's first entry wins
        order = np.argsort(credit[features, offsets], kind="stable")[::-1]
        winners = order[np.unique(tokens[features, offsets][order], return_index=True)[1]]
        return weights, {int(tokens[f, k]): (int(first[f]), int(end[f]))
                         for f, k in zip(features[winners], offsets[winners])}


def words_end(text: str, spans: list, limit: int, most_dropped: int = 10) -> tuple[int, int]:
    """(how many tokens to read when only `limit` fit, where in the text the part read ends):
    fewer tokens when the cut would split a word as the visitor sees it, a run of characters
    without a space (do|n't, well|-made, film|.), and the end after that word's last character,
    so that the part read, and the unread tail after it, end and start where a word does
    (within most_dropped tokens; a longer run without a space is cut where it must be)."""
    if len(spans) <= limit:
        return len(spans), len(text)

    def splits_a_word(keep: int) -> bool:
        return not any(c.isspace() for c in text[spans[keep - 1][2]:spans[keep][1]])
    keep = limit
    while keep > limit - most_dropped and splits_a_word(keep):
        keep -= 1
    if keep <= limit - most_dropped:
        return limit, spans[limit - 1][2]
    return keep, _NON_SPACE.match(text, spans[keep - 1][2]).end()


def mostly_unknown(spans: list, known: np.ndarray, long_word: int = 4) -> bool:
    """Whether NOT_ENGLISH_SHARE or more of the words of `long_word` letters or more (all words
    when there are none; a word is a token with a letter or a digit) are unknown to the model.
    Short words cross languages and turn up in English reviews as names and titles (der, war,
    le, et, die are all in the CNN's vocabulary), so they say little about the language: over
    all words "Der Film war schrecklich langweilig." is 2 of 5 unknown, over its long words
    2 of 3. On SST-2's test sentences this flags 9 of 1,821 for the shipped CNN (short ones of
    made-up words: "moot point .", "much monkeyfun for all ."), over all words 2."""
    words = [any(c.isalnum() for c in token) for token, _, _ in spans]
    long = [w and len(token) >= long_word for w, (token, _, _) in zip(words, spans)]
    counted = np.array(long if any(long) else words)
    return bool(counted.any() and (counted & ~known).sum() >= NOT_ENGLISH_SHARE * counted.sum())


def highlights(text: str, spans: list, weights: np.ndarray) -> list[list]:
    """The whole input as [piece, score] for gr.HighlightedText: tokens scored in [-1, 1]
    (1 = strongest support for the label), the text between tokens, the text after the part
    read and tokens whose weight is NaN (unknown words) unscored."""
    scale = float(np.nanmax(np.abs(weights), initial=0.0)) or 1.0
    scores = [None if s != s else s for s in np.round(weights / scale, 3).tolist()]  # NaN -> None
    pieces, pos = [], 0
    for (_, start, end), score in zip(spans, scores):
        if start > pos:
            pieces.append([text[pos:start], None])
        pieces.append([text[start:end], score])
        pos = end
    if pos < len(text):
        pieces.append([text[pos:], None])
    return pieces
