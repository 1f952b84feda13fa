"""The word-vector query graph and the shipped vectors."""
from types import SimpleNamespace

import numpy as np
import pytest
from gensim.test.utils import datapath

from export.word2vec.evaluate import load_folder_vectors
from export.word2vec.export import rewrite_folder, write_word_vectors_folder
from export.word2vec.from_onnx import stored_embeddings
from serving.errors import InputError
from serving.weights import load_all, load_manifest
from serving.word_vectors import OnnxWordVectors, answer, check_query, load_word_vectors
from tests.conftest import WEIGHTS_DIR

RANDOM_MANIFEST = {"name": "random", "task": "word-vectors", "architecture": "random vectors (test)",
                   "hyperparameters": {}, "training_data": [], "metrics": {},
                   "eval_command": "python -m export.word2vec.evaluate weights/random"}

QUERIES = [(["king", "woman"], ["man"]), (["paris", "germany"], ["france"]),
           (["walking", "swam"], ["walked"]), (["computer"], []), (["river", "bank"], []),
           (["good"], ["bad", "evil"])]


def word_vector_models():
    return {name: m for name, m in load_all(WEIGHTS_DIR).items() if m["task"] == "word-vectors"}


@pytest.fixture(scope="module")
def ours():
    onnx_models = [m for m in word_vector_models().values() if m["format"] == "onnx-analogy"]
    if not onnx_models:
        pytest.skip("no ONNX word-vector model in weights/")
    return onnx_models[0]


def assert_same_as_gensim(model, kv, queries, topn=10):
    """Our graph's top `topn` words are gensim's, in order, for both methods, and so are the scores."""
    for pos, neg in queries:
        for method, reference in (("3CosAdd", kv.most_similar), ("3CosMul", kv.most_similar_cosmul)):
            got = model.query(pos, neg, topn, method)
            want = reference(positive=pos, negative=neg, topn=topn)
            assert [w for w, _ in got] == [w for w, _ in want], (pos, neg, method)
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n_words, dim", [(3000, 50), (100, 16), (40, 300)])
def test_graph_top_k_equals_gensim_on_random_vectors(tmp_path, n_words, dim):
    """Random vectors have no structure the coarse 4-bit pass could lean on; 100 and 40 words are
    fewer than the graph's candidates (all the words left are rescored)."""
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(n_words)]
    folder = tmp_path / "vectors"
    manifest = write_word_vectors_folder(folder, words, rng.standard_normal((n_words, dim)).astype(np.float32),
                                         RANDOM_MANIFEST)
    model = OnnxWordVectors(manifest | {"folder": str(folder)})
    queries = [(["w1", "w2"], ["w3"]), (["w7"], []), (["w4", "w5", "w6"], ["w8", "w9"])] + [
        ([words[i] for i in ids[:2]], [words[ids[2]]]) for ids in
        (rng.choice(n_words, 3, replace=False) for _ in range(20))]
    assert_same_as_gensim(model, load_folder_vectors(folder), queries, topn=min(10, n_words - 5))


def test_rewriting_a_folder_keeps_its_vectors_answers_and_valid_checksums(tmp_path):
    words = [f"w{i}" for i in range(500)]
    vectors = np.random.default_rng(1).standard_normal((500, 20)).astype(np.float32)
    folder = tmp_path / "vectors"
    write_word_vectors_folder(folder, words, vectors, RANDOM_MANIFEST)
    before = stored_embeddings(folder / "model.onnx")
    want = OnnxWordVectors(load_manifest(folder)).query(["w1", "w2"], ["w3"], 10, "3CosMul")
    rewrite_folder(folder)
    assert np.array_equal(stored_embeddings(folder / "model.onnx"), before)
    assert OnnxWordVectors(load_manifest(folder)).query(["w1", "w2"], ["w3"], 10, "3CosMul") == want


def shipped_queries(model, n_analogies=300, n_words=200, n_mixed=50) -> list:
    """questions-words analogies spread over the whole file (b - a + c), single words from the
    whole vocabulary, and random sums of 2-5 words: what the coarse pass must not get wrong."""
    analogies = [line.lower().split() for line in open(datapath("questions-words.txt"))
                 if not line.startswith(":")]
    known = [(b, c, a) for a, b, c, _ in analogies if all(w in model.index for w in (a, b, c))]
    rng = np.random.default_rng(18)
    picked = [known[i] for i in rng.choice(len(known), n_analogies, replace=False)]
    words = [model.vocabulary[i] for i in rng.choice(len(model.vocabulary), n_words + 5 * n_mixed, replace=False)]
    mixed = [(words[n_words + 5 * i: n_words + 5 * i + 2 + i % 2], words[n_words + 5 * i + 3: n_words + 5 * i + 3 + i % 3])
             for i in range(n_mixed)]
    return QUERIES + [([b, c], [a]) for b, c, a in picked] + [([w], []) for w in words[:n_words]] + mixed


def test_shipped_graph_top_k_equals_gensim_on_hundreds_of_queries(ours):
    """556 queries x 2 methods against gensim over the same stored vectors."""
    model = load_word_vectors(ours)
    assert_same_as_gensim(model, load_folder_vectors(ours["folder"]), shipped_queries(model))


def test_shipped_graph_top_100_equals_gensim(ours):
    """topn up to the app's 100: the graph rescores more candidates when more are asked for."""
    model = load_word_vectors(ours)
    assert_same_as_gensim(model, load_folder_vectors(ours["folder"]), shipped_queries(model, 20, 20, 10), topn=100)


@pytest.mark.parametrize("pos, neg, expected", [(["king", "woman"], ["man"], "queen"),
                                                 (["paris", "germany"], ["france"], "berlin")])
def test_our_shipped_model_answers_the_classic_analogies(ours, pos, neg, expected):
    assert answer(load_word_vectors(ours), pos, neg, topn=1)[0]["word"] == expected


def test_served_answers_match_the_measured_probes():
    for name, manifest in word_vector_models().items():
        model = load_word_vectors(manifest)
        probe = manifest["metrics"]["probes"]["king - man + woman"]
        assert [r["word"] for r in answer(model, ["king", "woman"], ["man"], topn=5)] == probe, name


def test_query_errors_name_the_problem(ours):
    model = load_word_vectors(ours)
    with pytest.raises(InputError, match="'kingg' is not in the vocabulary.*king"):
        answer(model, ["kingg", "woman"], ["man"])
    with pytest.raises(InputError, match="positive word"):
        answer(model, [], ["man"])
    with pytest.raises(InputError, match="'king' is given more than once"):
        answer(model, ["king", "king"], ["man"])
    with pytest.raises(InputError, match="topn must be"):
        answer(model, ["king"], [], topn=0)


ENGLISH_ONLY = "the vectors know English words only, the 6 most frequent words of English Wikipedia text"


def test_a_query_mostly_of_unknown_words_says_the_vocabulary_is_english():
    """French typed into the tab ("reine", "voiture - homme") got a list of unknown words and no
    reason; a typo among known words keeps its plain message."""
    words = ["king", "queen", "man", "woman", "homme", "rein"]
    model = SimpleNamespace(name="vectors", vocabulary=words, index={w: i for i, w in enumerate(words)})
    with pytest.raises(InputError) as one:
        check_query(model, ["reine"], [], 10)
    assert str(one.value) == (f"'reine' is not in the vocabulary of vectors: {ENGLISH_ONLY}. "
                              "Close words that are known: rein.")
    with pytest.raises(InputError) as two:
        check_query(model, ["reine", "voiture"], ["homme"], 10)
    assert str(two.value).startswith(f"'reine', 'voiture' are not in the vocabulary of vectors: {ENGLISH_ONLY}.")
    assert "rein (for 'reine')" in str(two.value)
    with pytest.raises(InputError) as typo:
        check_query(model, ["kingg", "woman"], ["man"], 10)
    assert str(typo.value) == ("'kingg' is not in the vocabulary of vectors (6 most frequent words). "
                               "Close words that are known: king.")


def test_both_manifests_measure_analogies_over_the_whole_vocabulary_and_both_word_pair_sets():
    for name, manifest in word_vector_models().items():
        metrics = manifest["metrics"]
        whole = metrics["analogy_all_words"]
        assert whole["restrict_vocab"] == len(load_word_vectors(manifest).vocabulary) == 40000, name
        assert whole["coverage"] > metrics["analogy_coverage"], name  # rarer words asked as well
        for scores in (metrics, {f"analogy_{k}": v for k, v in whole.items()}):
            assert 0 < scores["analogy_semantic_accuracy"] < 1 and 0 < scores["analogy_syntactic_accuracy"] < 1
        assert 0 < metrics["simlex999_spearman"] < metrics["wordsim353_spearman"], name
        assert 0 <= metrics["simlex999_oov_percent"] < 5, name


def test_the_tab_shows_both_analogy_counts_and_both_word_pair_sets():
    from serving.word_vectors_tab import quality_table
    manifests = list(word_vector_models().values())
    for manifest, row in zip(manifests, quality_table(manifests)):
        metrics, whole = manifest["metrics"], manifest["metrics"]["analogy_all_words"]
        assert row[4:6] == [f"{metrics['wordsim353_spearman']:.3f}", f"{metrics['simlex999_spearman']:.3f}"]
        np.testing.assert_allclose([float(cell) for cell in row[6:9]],
                                   [100 * whole[k] for k in ("accuracy", "semantic_accuracy", "syntactic_accuracy")],
                                   atol=0.051, err_msg=manifest["name"])
