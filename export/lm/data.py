"""Penn Treebank (Mikolov's LM version) as id tensors for truncated backpropagation through time."""
from pathlib import Path

import torch

SPLITS = ("train", "valid", "test")


def read_words(path: Path) -> list[str]:
    """The corpus as one stream, a sentence-ending <eos> after every line (Mikolov's convention)."""
    words = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words.extend(line.split())
            words.append("<eos>")
    return words


def build_vocab(words: list[str]) -> list[str]:
    """Words by falling count (ties alphabetical), so the vocabulary file is deterministic."""
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))


def load_ptb(ptb_dir: Path, max_tokens: int | None = None):
    """(vocab, {split: LongTensor of ids}); max_tokens slices every split for quick runs."""
    streams = {s: read_words(Path(ptb_dir) / f"ptb.{s}.txt")[:max_tokens] for s in SPLITS}
    vocab = build_vocab(read_words(Path(ptb_dir) / "ptb.train.txt"))
    index = {w: i for i, w in enumerate(vocab)}
    return vocab, {s: torch.tensor([index[w] for w in ws], dtype=torch.long)
                   for s, ws in streams.items()}


def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """(steps, batch): column b is the b-th contiguous slice of the stream, so hidden state
    carries across consecutive bptt windows of the same column."""
    steps = ids.numel() // batch_size
    return ids[: steps * batch_size].view(batch_size, steps).t().contiguous()


def windows(data: torch.Tensor, bptt: int):
    """(inputs, targets) windows of at most bptt steps over a batchified stream."""
    for start in range(0, data.size(0) - 1, bptt):
        n = min(bptt, data.size(0) - 1 - start)
        yield data[start:start + n], data[start + 1:start + 1 + n]
