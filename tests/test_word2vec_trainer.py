"""Our word2vec trainer on a tiny generated corpus: it learns, its Huffman tree is a valid code,
subsampling spares rare words, and a seed fixes the result."""
import numpy as np
import pytest
import torch

from export.word2vec import model as w2v

TOPICS, TOPIC_WORDS, FUNCTION_WORDS = 6, 20, 8


def topic_corpus(sentences=300, length=20, seed=0) -> list[list[str]]:
    """Sentences about one topic each: Zipf-distributed topic words mixed with shared frequent words."""
    rng = np.random.default_rng(seed)
    zipf = 1 / np.arange(1, TOPIC_WORDS + 1)
    zipf /= zipf.sum()
    corpus = []
    for _ in range(sentences):
        topic = rng.integers(TOPICS)
        corpus.append([f"f{rng.integers(FUNCTION_WORDS)}" if rng.random() < 0.3
                       else f"t{topic}w{rng.choice(TOPIC_WORDS, p=zipf)}" for _ in range(length)])
    return corpus


@pytest.fixture(scope="module")
def corpus():
    torch.set_num_threads(1)
    sentences = topic_corpus()
    return sentences, w2v.build_vocab(sentences, min_count=2)


def train(corpus, **settings):
    sentences, vocab = corpus
    losses = []
    vectors = w2v.train(sentences, vocab, vector_size=16, window=3, sample=1e-3, threads=1,
                        batch=64, compile=False, progress=False, losses=losses,
                        **{"epochs": 5, **settings})
    return vectors, losses


@pytest.mark.parametrize("sg", [1, 0], ids=["skip-gram", "cbow"])
@pytest.mark.parametrize("hs", [0, 1], ids=["negative", "hierarchical"])
def test_loss_falls(corpus, sg, hs):
    vectors, losses = train(corpus, sg=sg, hs=hs)
    assert (np.diff(losses) < 0).all() and losses[-1] < 0.95 * losses[0], losses
    assert np.isfinite(vectors).all()


@pytest.mark.parametrize("sg", [1, 0], ids=["skip-gram", "cbow"])
def test_hierarchical_softmax_survives_a_list_article(corpus, sg):
    """A third of the text is "prime minister <name>" over and over, as in a list article, in
    batches of 512 at the default alpha: the root's summed update blew both variants up to NaN in
    the first epoch before its rows were capped (row_shares)."""
    rng = np.random.default_rng(0)
    listing = [[w for i in rng.integers(0, 50, 20) for w in ("prime", "minister", f"name{i}")]
               for _ in range(100)]
    sentences = corpus[0] + listing
    losses = []
    vectors = w2v.train(sentences, w2v.build_vocab(sentences, min_count=2), sg=sg, hs=1,
                        vector_size=16, window=5, sample=0, epochs=5, threads=1, batch=512,
                        compile=False, progress=False, losses=losses)
    assert np.isfinite(vectors).all()
    assert (np.diff(losses) < 0).all() and losses[-1] < 0.9 * losses[0], losses


def test_row_shares_cap_each_rows_summed_update():
    """A row met more than MAX_ROW_UPDATES times counts that many in all; the others in full."""
    hot = 4 * w2v.MAX_ROW_UPDATES
    rows = torch.tensor([7] * hot + [3, 0])
    mask = torch.ones(hot + 2)
    mask[-1] = 0                                          # padding: does not count
    shares = w2v.row_shares(rows, mask, 10)
    assert float(shares[:hot].sum()) == pytest.approx(w2v.MAX_ROW_UPDATES)
    assert float(shares[hot]) == 1.0


def test_words_of_one_topic_end_up_closer(corpus):
    vectors, _ = train(corpus, sg=1, hs=0, epochs=10)
    index = corpus[1].index
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    same = [unit[index[f"t{t}w0"]] @ unit[index[f"t{t}w1"]] for t in range(TOPICS)]
    other = [unit[index[f"t{t}w0"]] @ unit[index[f"t{(t + 1) % TOPICS}w1"]] for t in range(TOPICS)]
    assert np.mean(same) > np.mean(other) + 0.2


def test_huffman_tree_is_a_prefix_free_code_favouring_frequent_words(corpus):
    counts = corpus[1].counts
    points, codes, mask = w2v.huffman_paths(counts)
    depth = mask.sum(1).astype(int)
    words = ["".join(str(int(c)) for c in codes[w, :depth[w]]) for w in range(len(counts))]
    ordered = sorted(words)
    assert not any(b.startswith(a) for a, b in zip(ordered, ordered[1:]))
    assert sum(2.0 ** -d for d in depth) == pytest.approx(1.0)       # a full binary tree
    assert (np.diff(depth) >= 0).all()                               # counts are sorted descending
    assert (points[:, 0] == len(counts) - 2).all()                   # every path starts at the root
    assert set(points[mask > 0].tolist()) == set(range(len(counts) - 1))


def test_subsampling_keeps_rare_words_and_thins_frequent_ones():
    counts = np.array([1_000_000, 10_000, 100, 5])
    keep = w2v.keep_probabilities(counts, sample=1e-3)
    assert keep[-1] == 1.0 and keep[-2] == 1.0
    assert keep[0] < 0.1
    assert (np.diff(keep) >= 0).all()


def test_seed_fixes_the_vectors(corpus):
    first, _ = train(corpus, sg=1, hs=0, epochs=1, seed=3)
    again, _ = train(corpus, sg=1, hs=0, epochs=1, seed=3)
    other, _ = train(corpus, sg=1, hs=0, epochs=1, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
