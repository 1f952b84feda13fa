"""The word-vector query graph and the shipped vectors."""
import numpy as np
import pytest
from gensim.models import KeyedVectors

from export.word2vec.export import build_analogy_graph
from export.word2vec.evaluate import load_folder_vectors
from serving.weights import load_all
from serving.errors import InputError
from serving.word_vectors import OnnxWordVectors, answer, load_word_vectors
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


def test_graph_top_k_equals_gensim_on_random_vectors(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(3000)]
    vectors = rng.standard_normal((3000, 50)).astype(np.float32)
    folder = tmp_path / "vectors"
    from export.word2vec.export import write_word_vectors_folder
    manifest = write_word_vectors_folder(folder, words, vectors, RANDOM_MANIFEST)
    model = OnnxWordVectors(manifest | {"folder": str(folder)})
    kv = load_folder_vectors(folder)
    for pos, neg in [(["w1", "w2"], ["w3"]), (["w7"], []), (["w4", "w5", "w6"], ["w8", "w9"])]:
        for method, reference in (("3CosAdd", kv.most_similar), ("3CosMul", kv.most_similar_cosmul)):
            got = model.query(pos, neg, 10, method)
            want = reference(positive=pos, negative=neg, topn=10)
            assert [w for w, _ in got] == [w for w, _ in want]
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=2e-5)



def test_rewriting_a_folder_keeps_its_vectors_answers_and_valid_checksums(tmp_path):
    from export.word2vec.export import rewrite_folder, write_word_vectors_folder
    from export.word2vec.from_onnx import stored_embeddings
    from serving.weights import load_manifest
    words = [f"w{i}" for i in range(500)]
    vectors = np.random.default_rng(1).standard_normal((500, 20)).astype(np.float32)
    folder = tmp_path / "vectors"
    write_word_vectors_folder(folder, words, vectors, RANDOM_MANIFEST)
    before = stored_embeddings(folder / "model.onnx")
    want = OnnxWordVectors(load_manifest(folder)).query(["w1", "w2"], ["w3"], 10, "3CosMul")
    rewrite_folder(folder)
    assert np.array_equal(stored_embeddings(folder / "model.onnx"), before)
    assert OnnxWordVectors(load_manifest(folder)).query(["w1", "w2"], ["w3"], 10, "3CosMul") == want

def test_shipped_graph_top_k_equals_gensim_most_similar(ours):
    model = load_word_vectors(ours)
    kv = load_folder_vectors(ours["folder"])
    for pos, neg in QUERIES:
        for method, reference in (("3CosAdd", kv.most_similar), ("3CosMul", kv.most_similar_cosmul)):
            assert [w for w, _ in model.query(pos, neg, 10, method)] == \
                   [w for w, _ in reference(positive=pos, negative=neg, topn=10)], (pos, neg, method)


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
