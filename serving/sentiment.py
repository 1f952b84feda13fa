"""Sentence sentiment with an exported classifier (Kim CNN or BiLSTM): label, calibrated
probabilities, and the words that drove the decision.

The graph returns, for every pooled feature, the position that won max-over-time pooling, the
feature's contribution to each class logit, and each window token's share in the feature's value.
A feature's push is its contribution to the chosen class minus its mean contribution over classes
(for two classes: half its push on the margin), split over the window it saw by those shares:
`width` tokens starting `pad` positions before the winning position, `pad` being the zero padding
the model adds on both sides.
"""
import numpy as np

from serving.errors import InputError
from serving.limits import MAX_TEXT_CHARS
from serving.onnx_session import make_session
from serving.weights import listed_file, read_vocab
from tokenization.sst import sst_tokens_with_spans

UNK_ID = 1


class SentimentModel:
    def __init__(self, manifest: dict):
        self.name = manifest["name"]
        self.session = make_session(listed_file(manifest, "model.onnx"))
        self.index = {w: i for i, w in enumerate(read_vocab(listed_file(manifest, "vocab.txt").parent))}
        hp = manifest["hyperparameters"]
        self.labels, self.max_tokens, self.pad = hp["labels"], hp["max_tokens"], hp["pad"]
        self.widths = np.repeat(hp["filter_widths"], hp["feature_maps"])

    def classify(self, text: str, top: int = 5) -> dict:
        """{"label", "probabilities", "evidence": [{"word", "weight", "text", "start", "end"}]
        (the words that pushed hardest towards the label, strongest first, each with the n-gram
        window, text[start:end], that credited it most), "tokens",
        "truncated", "unknown", "highlights": [[text piece, score in -1..1 or None]]}.
        Raises InputError on empty input or input without a single word."""
        if not text or not text.strip():
            raise InputError("Empty input: type a sentence to classify.")
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(f"Input too long: {len(text):,} characters (the limit is "
                             f"{MAX_TEXT_CHARS:,}; only the first {self.max_tokens} tokens are read).")
        spans = sst_tokens_with_spans(text)
        if not spans:
            raise InputError("No words found: the classifier reads letters and digits "
                             "(emoji and punctuation alone carry no sentiment for it).")
        truncated = len(spans) > self.max_tokens
        spans = spans[:words_end(spans, self.max_tokens)]
        ids = np.array([[self.index.get(token, UNK_ID) for token, _, _ in spans]], np.int64)
        logits, positions, contributions, shares = self.session.run(None, {"ids": ids})
        probs = np.exp(logits[0] - logits[0].max())
        probs /= probs.sum()
        chosen = int(probs.argmax())
        push = contributions[0, chosen] - contributions[0].mean(axis=0)
        weights, windows = self._evidence(positions[0], push, shares[0], len(spans))
        best = [t for t in np.argsort(-weights, kind="stable")[:top] if weights[t] > 0]
        return {
            "label": self.labels[chosen],
            "probabilities": {label: float(p) for label, p in zip(self.labels, probs)},
            "evidence": [{"word": text[spans[t][1]:spans[t][2]],
                          "text": text[spans[windows[t][0]][1]:spans[windows[t][1] - 1][2]],
                          "start": spans[windows[t][0]][1], "end": spans[windows[t][1] - 1][2],
                          "weight": round(float(weights[t]), 4)} for t in best],
            "tokens": len(spans), "truncated": truncated,
            "unknown": int((ids == UNK_ID).sum()),
            "highlights": highlights(text, spans, weights),
        }

    def _evidence(self, positions: np.ndarray, push: np.ndarray, shares: np.ndarray,
                  n: int) -> tuple[np.ndarray, dict]:
        """(the weight of each token, {token: (first, end) of the window that gave it most}).
        Each feature's push is split over the tokens of the window that won its pooling by
        their shares in the filter's response: the word that lit a filter gets most of it,
        padding and bias none. Windows are clipped to the sentence."""
        offsets = np.arange(shares.shape[1])
        starts = positions - self.pad
        tokens = starts[:, None] + offsets
        valid = (offsets < self.widths[:, None]) & (tokens >= 0) & (tokens < n)
        credit = push[:, None] * shares
        weights = np.zeros(n)
        np.add.at(weights, tokens[valid], credit[valid])
        first, end = np.maximum(starts, 0), np.minimum(starts + self.widths, n)
        features, offsets = np.nonzero(valid)
        # largest credit first (of equal credits, the last pair): each token's first entry wins
        order = np.argsort(credit[features, offsets], kind="stable")[::-1]
        winners = order[np.unique(tokens[features, offsets][order], return_index=True)[1]]
        return weights, {int(tokens[f, k]): (int(first[f]), int(end[f]))
                         for f, k in zip(features[winners], offsets[winners])}


def words_end(spans: list, limit: int, most_dropped: int = 10) -> int:
    """How many tokens to read when only `limit` fit: fewer when the cut would split a word
    (do|n't, well|-made), so that the text read, and the unread tail after it, end and start
    where a word does (within most_dropped tokens; a run of tokens with no space between them
    longer than that is cut where it must be)."""
    keep = min(limit, len(spans))
    while keep < len(spans) and keep > limit - most_dropped and spans[keep][1] == spans[keep - 1][2]:
        keep -= 1
    return keep if keep > limit - most_dropped else min(limit, len(spans))


def highlights(text: str, spans: list, weights: np.ndarray) -> list[list]:
    """The whole input as [piece, score] for gr.HighlightedText: tokens scored in [-1, 1]
    (1 = strongest support for the label), the text between tokens unscored."""
    scale = float(np.abs(weights).max()) or 1.0
    pieces, pos = [], 0
    for (_, start, end), w in zip(spans, weights):
        if start > pos:
            pieces.append([text[pos:start], None])
        pieces.append([text[start:end], round(float(w) / scale, 3)])
        pos = end
    if pos < len(text):
        pieces.append([text[pos:], None])
    return pieces
