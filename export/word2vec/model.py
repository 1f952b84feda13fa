"""Word2vec (Mikolov et al. 2013) in PyTorch: skip-gram / CBOW with negative sampling or
hierarchical softmax, as in the original C code and gensim.

The sequential algorithm updates the vectors after every (input, target) pair. Python cannot loop
over pairs, so each worker thread turns a slice of the corpus into arrays of pairs at once (numpy:
subsampling as one mask, every window offset as a column of one matrix), shuffles them within the
slice and applies plain SGD to small batches: gradients are written out by hand and summed into
the rows with `index_add_`, without locks between the threads (Hogwild, as in word2vec.c).
Batches stay small (a few hundred pairs) so that the result stays close to the sequential
algorithm and the working set stays in cache; torch.compile fuses each step into a few C++ loops.
"""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import torch
from tqdm import tqdm

NOISE_TABLE_SIZE = 10_000_000
MAX_ROW_UPDATES = 16


@dataclass
class Vocab:
    words: list[str]        # sorted by count, most frequent first (as gensim)
    counts: np.ndarray      # int64, aligned with words
    corpus_tokens: int      # all tokens seen, rare ones included

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self):
        return len(self.words)


def build_vocab(sentences, min_count: int = 5) -> Vocab:
    counts = Counter()
    for sentence in sentences:
        counts.update(sentence)
    kept = sorted(((c, w) for w, c in counts.items() if c >= min_count), key=lambda cw: -cw[0])
    return Vocab([w for _, w in kept], np.array([c for c, _ in kept], dtype=np.int64),
                 sum(counts.values()))


def encode(sentences, vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as word ids (unknown words dropped, as gensim does) and the sentence of each."""
    ids = [np.fromiter(map(vocab.index.get, s, repeat(-1)), dtype=np.int32, count=len(s))
           for s in sentences]
    sentence_of = np.repeat(np.arange(len(ids), dtype=np.int32), [len(s) for s in ids])
    ids = np.concatenate(ids)
    return ids[ids >= 0], sentence_of[ids >= 0]


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """gensim's down-sampling of frequent words: keep probability per word id."""
    if not sample:
        return np.ones(len(counts))
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)


def noise_table(counts: np.ndarray, size: int = NOISE_TABLE_SIZE) -> np.ndarray:
    """Word ids in proportion to count**0.75, indexed by uniform random ints (word2vec.c's table)."""
    cumulative = np.cumsum(counts.astype(np.float64) ** 0.75)
    return np.searchsorted(cumulative, (np.arange(size) + 0.5) * cumulative[-1] / size).astype(np.int64)


def huffman_paths(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Huffman tree over the counts, as word2vec.c builds it.

    Returns points (inner-node ids from the root down), codes (0/1 branch taken) and a mask, each
    [V, max depth], padded after each word's path.
    """
    v = len(counts)
    # word2vec.c's two-queue merge: leaves sorted by count (descending), inner nodes appended.
    count = np.concatenate([counts.astype(np.int64), np.full(v - 1, np.iinfo(np.int64).max)])
    parent = np.zeros(2 * v - 1, dtype=np.int64)
    binary = np.zeros(2 * v - 1, dtype=np.int8)
    leaf, inner = v - 1, v
    for a in range(v - 1):
        picks = []
        for _ in range(2):
            if leaf >= 0 and count[leaf] < count[inner]:
                picks.append(leaf)
                leaf -= 1
            else:
                picks.append(inner)
                inner += 1
        count[v + a] = count[picks[0]] + count[picks[1]]
        parent[picks[0]] = parent[picks[1]] = v + a
        binary[picks[1]] = 1
    root = 2 * v - 2
    paths, codes = [], []
    for w in range(v):
        path, code, node = [], [], w
        while node != root:
            code.append(binary[node])
            node = parent[node]
            path.append(node - v)
        paths.append(path[::-1])
        codes.append(code[::-1])
    depth = max(len(p) for p in paths)
    points = np.zeros((v, depth), dtype=np.int64)
    code_arr = np.zeros((v, depth), dtype=np.float32)
    mask = np.zeros((v, depth), dtype=np.float32)
    for w, (p, c) in enumerate(zip(paths, codes)):
        points[w, :len(p)] = p
        code_arr[w, :len(c)] = c
        mask[w, :len(p)] = 1
    return points, code_arr, mask


def row_shares(rows, mask, n_rows):
    """Per entry, the factor that caps its row's summed update at MAX_ROW_UPDATES pairs' worth.

    A row met k times in a batch gets k updates computed from the same stale value; the
    sequential algorithm would see its first updates before taking the next ones. With
    hierarchical softmax the root is on every path (k = batch) and its children on about half:
    when one word fills many contexts of a batch (a list article: "prime minister" in ~20% of
    the pairs), its input row and these nodes drive each other up twofold per step to inf.
    """
    k = torch.zeros(n_rows).index_add_(0, rows, mask)
    return (MAX_ROW_UPDATES / k[rows]).clamp(max=1)


def sgd_step(w_in, w_out, context, context_mask, target, label, mask, lr, loss_sum, cap_rows=False):
    """One batch of word2vec SGD, gradients by hand, summed into the rows (no averaging).

    context [B, C] input word ids (C=1 for skip-gram, the window for CBOW, averaged);
    target [B, T] output rows (word + negatives, or Huffman inner nodes) with their labels and a
    mask of the entries that count. cap_rows: cap the output rows' summed updates (row_shares).
    """
    counts = context_mask.sum(1, keepdim=True).clamp(min=1)
    hidden = (w_in[context] * context_mask.unsqueeze(2)).sum(1) / counts
    out = w_out[target]
    score = (out * hidden.unsqueeze(1)).sum(2)
    prob = torch.sigmoid(score)
    grad = (label - prob) * mask * lr
    loss_sum.add_(-(torch.log(torch.where(label > 0, prob, 1 - prob).clamp(min=1e-7)) * mask).sum())
    grad_hidden = (grad.unsqueeze(2) * out).sum(1)
    grad_out = grad * row_shares(target.reshape(-1), mask.reshape(-1), len(w_out)).view_as(grad) if cap_rows else grad
    w_out.index_add_(0, target.reshape(-1), (grad_out.unsqueeze(2) * hidden.unsqueeze(1)).reshape(-1, hidden.shape[1]))
    grad_context = grad_hidden.unsqueeze(1) * context_mask.unsqueeze(2)
    w_in.index_add_(0, context.reshape(-1), grad_context.reshape(-1, hidden.shape[1]))


def window_pairs(ids, sentence_of, window, rng):
    """Context slots of every position: [n, 2*window] positions and which of them count.

    The window of each centre is shrunk by a random b in [0, window) (word2vec.c) and never
    crosses a sentence.
    """
    n = len(ids)
    offsets = np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])
    span = window - rng.integers(0, window, n)
    positions = np.arange(n)[:, None] + offsets[None, :]
    inside = (positions >= 0) & (positions < n)
    positions = np.where(inside, positions, 0)
    valid = inside & (np.abs(offsets)[None, :] <= span[:, None]) & (sentence_of[positions] == sentence_of[:, None])
    return positions, valid


@dataclass
class Settings:
    sg: int
    hs: int
    negative: int
    window: int
    batch: int


def chunk_batches(ids, sentence_of, keep_prob, settings, noise, hs_tree, rng):
    """Tensors for the SGD steps of one corpus slice: (context, context_mask, target, label, mask),
    padded to a whole number of batches."""
    keep = rng.random(len(ids)) < keep_prob[ids]
    ids, sentence_of = ids[keep], sentence_of[keep]
    positions, valid = window_pairs(ids, sentence_of, settings.window, rng)
    if settings.sg:
        rows, cols = np.nonzero(valid)
        centre = ids[rows].astype(np.int64)
        context = ids[positions[rows, cols]].astype(np.int64)[:, None]
        context_mask = np.ones(context.shape, dtype=np.float32)
    else:
        has_context = valid.any(1)
        centre = ids[has_context].astype(np.int64)
        context = ids[positions[has_context]].astype(np.int64)
        context_mask = valid[has_context].astype(np.float32)
    if settings.hs:
        points, codes, path_mask = hs_tree
        target, label, mask = points[centre], 1 - codes[centre], path_mask[centre]
    else:
        negatives = noise[rng.integers(0, len(noise), (len(centre), settings.negative))]
        target = np.concatenate([centre[:, None], negatives], axis=1)
        label = np.zeros(target.shape, dtype=np.float32)
        label[:, 0] = 1
        mask = np.ones(target.shape, dtype=np.float32)
        mask[:, 1:] = negatives != centre[:, None]   # word2vec.c skips a negative equal to the word
    # Shuffled across the slice: in corpus order a run of one repeated word (tables, lists) put the
    # same row up to 428 times in one batch of 512, and that summed step, which the sequential
    # algorithm would take one update at a time, blew the vectors up; shuffled, it is ~10.
    order = rng.permutation(len(centre))
    pad = -len(centre) % settings.batch
    arrays = [context, context_mask, target, label, mask]
    # np.take, not a[order]: numpy's fancy indexing copies rows of a 2-D array 5x slower.
    arrays = [np.concatenate([np.take(a, order, axis=0), np.zeros((pad,) + a.shape[1:], dtype=a.dtype)])
              for a in arrays]
    return [torch.from_numpy(a) for a in arrays]


def sentence_chunks(sentence_of, chunk_tokens):
    """(start, end) token ranges of about chunk_tokens that do not split a sentence."""
    starts = np.flatnonzero(np.diff(sentence_of, prepend=-1))
    bounds = [0]
    for s in starts[1:]:
        if s - bounds[-1] >= chunk_tokens:
            bounds.append(int(s))
    bounds.append(len(sentence_of))
    return list(zip(bounds[:-1], bounds[1:]))


def train(sentences, vocab: Vocab, sg=1, hs=0, negative=5, vector_size=100, window=5,
          sample=1e-4, epochs=5, alpha=None, min_alpha=0.0001, seed=1, threads=2, batch=512,
          chunk_tokens=100_000, compile=True, progress=True, corpus=None,
          losses: list | None = None) -> np.ndarray:
    """Train and return the input vectors [len(vocab), vector_size] (float32).

    threads: Hogwild worker threads, each running single-threaded torch ops (small batches gain
    nothing from intra-op threads, and gain a lot from running side by side).
    corpus: (ids, sentence_of) from encode(), to skip re-reading the sentences.
    losses: if given, receives the mean loss per output of each epoch.
    """
    alpha = alpha if alpha is not None else (0.025 if sg else 0.05)
    caller_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    ids, sentence_of = corpus if corpus is not None else encode(sentences, vocab)
    gen = torch.Generator().manual_seed(seed)
    w_in = (torch.rand(len(vocab), vector_size, generator=gen) - 0.5) / vector_size
    hs_tree = huffman_paths(vocab.counts) if hs else None
    w_out = torch.zeros(len(vocab) - 1 if hs else len(vocab), vector_size)
    noise = None if hs else noise_table(vocab.counts)
    keep_prob = keep_probabilities(vocab.counts, sample)
    settings = Settings(sg, hs, negative, window, batch)
    # cpp_wrapper runs the whole step in C++ without the GIL, so the threads really run side by side
    step = torch.compile(sgd_step, dynamic=False, options={"cpp_wrapper": True}) if compile else sgd_step

    chunks = sentence_chunks(sentence_of, chunk_tokens)
    total_words = epochs * len(ids)
    lock = threading.Lock()
    state = {"done": 0, "next": 0}
    epoch_loss, epoch_outputs = np.zeros(epochs), np.zeros(epochs)
    bar = tqdm(total=total_words, unit="word", unit_scale=True, disable=not progress,
               desc="word2vec")
    jobs = [(e, c) for e in range(epochs) for c in range(len(chunks))]

    def worker():
        loss_sum = torch.zeros(())
        lr = torch.zeros(())
        while True:
            with lock:
                if state["next"] >= len(jobs):
                    return
                epoch, c = jobs[state["next"]]
                state["next"] += 1
                done = state["done"]
            start, end = chunks[c]
            rng = np.random.default_rng([seed, epoch, c])
            tensors = chunk_batches(ids[start:end], sentence_of[start:end], keep_prob, settings,
                                    noise, hs_tree, rng)
            n_batches = len(tensors[0]) // batch
            for b in range(n_batches):
                progress_frac = (done + (end - start) * b / n_batches) / total_words
                lr.fill_(max(min_alpha, alpha - (alpha - min_alpha) * progress_frac))
                step(w_in, w_out, *(t[b * batch:(b + 1) * batch] for t in tensors), lr, loss_sum, bool(hs))
            with lock:
                state["done"] += end - start
                epoch_loss[epoch] += float(loss_sum)
                epoch_outputs[epoch] += float(tensors[4].sum())
                loss_sum.zero_()
                bar.update(end - start)
                bar.set_postfix(epoch=epoch + 1, refresh=False,
                                loss=f"{epoch_loss[epoch] / max(1, epoch_outputs[epoch]):.4f}")

    width, targets = (1 if sg else 2 * window), (hs_tree[0].shape[1] if hs else 1 + negative)
    zero_batch = [torch.zeros((batch, n), dtype=t) for n, t in ((width, torch.int64), (width, torch.float32),
                  (targets, torch.int64), (targets, torch.float32), (targets, torch.float32))]
    step(w_in, w_out, *zero_batch, torch.zeros(()), torch.zeros(()), bool(hs))  # compile before threads share it
    with ThreadPoolExecutor(threads) as pool:
        for finished in [pool.submit(worker) for _ in range(threads)]:
            finished.result()   # re-raises a worker's exception
    bar.close()
    torch.set_num_threads(caller_threads)
    if losses is not None:
        losses.extend((epoch_loss / np.maximum(1, epoch_outputs)).tolist())
    return w_in.numpy()
