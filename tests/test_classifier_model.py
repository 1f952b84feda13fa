"""Training, export and calibration of the sentence classifiers, on a tiny synthetic task."""
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from classifier_synthetic import FIVE_CUES, FIVE_LABELS, sentences, tiny_folder, train_tiny
from conftest import DATA_DIR, ROOT, needs_data

from export.classifier.calibration import expected_calibration_error, fit_temperature
from export.classifier.export import export_onnx, route_by_length
from export.classifier.from_onnx import explained_from_onnx, reexport
from export.classifier.model import Explained
from serving.onnx_session import make_session
from serving.sentiment import SentimentModel
from serving.sentiment_tab import describe
from serving.weights import load_manifest

KINDS = ["cnn-rand", "bilstm", "cnn-ensemble"]


@pytest.fixture(scope="module", params=KINDS)
def trained(request):
    return request.param, *train_tiny(request.param)


def test_training_on_a_tiny_set_beats_chance(trained):
    kind, _, _, dev_accuracy = trained
    assert dev_accuracy > 0.9, kind


def test_onnxruntime_equals_torch_at_several_lengths(trained, tmp_path):
    kind, model, vocab, _ = trained
    explained = Explained(model, temperature=1.7)
    export_onnx(explained, tmp_path / "model.onnx")
    graph = onnx.load(str(tmp_path / "model.onnx")).graph
    assert [d.dim_param for d in graph.input[0].type.tensor_type.shape.dim] == ["batch", "tokens"]
    session = make_session(tmp_path / "model.onnx")
    rng = np.random.default_rng(0)
    for batch, length in [(1, 1), (1, 2), (1, 4), (1, 5), (1, 9), (2, 30), (1, 200)]:
        ids = rng.integers(1, len(vocab), (batch, length))
        ours = session.run(None, {"ids": ids})
        with torch.no_grad():
            theirs = [t.numpy() for t in explained(torch.from_numpy(ids))]
        for name, a, b in zip(["logits", "positions", "contributions", "shares"], ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{kind} {name} at {length}")


@pytest.mark.parametrize("kind", KINDS)
def test_torch_rebuilt_from_the_graph_gives_its_outputs(kind, tmp_path):
    """bench_classifier times torch eager on the Explained module rebuilt from model.onnx."""
    folder = tiny_folder(tmp_path / kind, kind)
    rebuilt, session = explained_from_onnx(folder), make_session(folder / "model.onnx")
    ids = np.random.default_rng(0).integers(1, 20, (2, 12))
    with torch.no_grad():
        theirs = [t.numpy() for t in rebuilt(torch.from_numpy(ids))]
    for name, a, b in zip(["logits", "positions", "contributions", "shares"], session.run(None, {"ids": ids}), theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"{kind} {name}")


def test_the_contributions_add_up_to_the_logits(trained):
    _, model, vocab, _ = trained
    explained = Explained(model, temperature=2.0)
    ids = torch.tensor([[2, 3, 4, 5]])
    with torch.no_grad():
        logits, _, contributions, _ = explained(ids)
    np.testing.assert_allclose(2.0 * logits, contributions.sum(-1) + model.out.bias.detach(),
                               atol=1e-5)


def test_window_shares_add_up_to_the_pooled_values_less_the_bias():
    model = train_tiny("cnn-rand")[0]
    explained = Explained(model)
    ids = torch.tensor([[2, 3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        values, _ = explained.model.pooled(ids)
        shares = explained(ids)[3]
    bias = torch.cat([conv.bias for conv in explained.model.convs]).detach()
    lit = values[0] > 0
    np.testing.assert_allclose((shares[0].sum(-1) * values[0])[lit], (values[0] - bias)[lit],
                               atol=1e-4)


def test_temperature_fit_lowers_the_calibration_error():
    rng = np.random.default_rng(0)
    labels = rng.integers(2, size=2000)
    right = np.where(rng.random(2000) < 0.8, 1, -1)  # 80% right, all 6 nats sure
    margin = right * (2 * labels - 1) * 6.0
    logits = np.stack([-margin / 2, margin / 2], axis=1)
    t = fit_temperature(logits, labels)
    assert t > 2
    assert expected_calibration_error(logits / t, labels) < 0.05 < \
        expected_calibration_error(logits, labels)


def test_an_sst1_model_first_reads_imdb_reviews_labeled_by_their_stars(tmp_path):
    """--dataset sst1 --pretrain-epochs: the IMDB pass trains the five-label head on each review's
    stars (aclImdb has none of 5-6, so no review is neutral), and the manifest and the tab say so."""
    (tmp_path / "sst1").mkdir()
    (tmp_path / "imdb").mkdir()
    for split, seed in [("train", 0), ("dev", 1), ("test", 2)]:
        (tmp_path / f"sst1/stsa.fine.{split}").write_text(
            "".join(f"{label} {' '.join(words)}\n"
                    for words, label in sentences(300 if split == "train" else 60, seed, FIVE_CUES)))
    stars = {0: 1, 1: 4, 3: 7, 4: 10}  # a review per label but neutral, at a star its label comes from
    with gzip.open(tmp_path / "imdb/train.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"text": " ".join(words), "rating": stars[label],
                                 "label": "pos" if label > 2 else "neg"}) + "\n"
                     for words, label in sentences(200, 3, FIVE_CUES) if label != 2)
    subprocess.run([sys.executable, "-m", "export.classifier.train", "--data-dir", str(tmp_path),
                    "--results", str(tmp_path / "results.json"), "--dataset", "sst1",
                    "--model", "cnn-rand", "--set", "epochs=4", "optimizer=adam", "lr=0.01",
                    "--pretrain-epochs", "1", "--out", str(tmp_path / "sentiment-cnn-sst1")],
                   check=True, cwd=ROOT)
    manifest = load_manifest(tmp_path / "sentiment-cnn-sst1")
    assert manifest["hyperparameters"]["labels"] == FIVE_LABELS
    assert manifest["training"]["pretrain_epochs"] == 1 and manifest["metrics"]["sst1_test_accuracy"] > 0.9
    assert "labeled by its stars" in manifest["description"] and "Before SST-2" not in manifest["description"]
    assert "IMDB's 25,000 movie reviews labelled by their stars, then SST-1" in describe(manifest)
    assert SentimentModel(manifest).classify("a dreadful film")["label"] == "very negative"
    refused = subprocess.run([sys.executable, "-m", "export.classifier.train", "--data-dir", str(tmp_path),
                              "--dataset", "sst1", "--pretrain-epochs", "1", "--pretrain-on", "sentences"],
                             capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and "labeled by their stars" in refused.stderr  # no stars per sentence


def test_the_training_command_averages_restarts_and_reexports_from_its_checkpoint(tmp_path):
    """export.classifier.train end to end on the synthetic task: --members 2 of --seeds 2, each
    first trained on "IMDB" reviews, gives one graph whose manifest says so and which serves;
    --from-checkpoint exports it again with the same accuracy."""
    (tmp_path / "sst2").mkdir()
    (tmp_path / "imdb").mkdir()
    for split, seed in [("train", 0), ("dev", 1), ("test", 2)]:
        (tmp_path / f"sst2/stsa.binary.{split}").write_text(
            "".join(f"{label} {' '.join(words)}\n"
                    for words, label in sentences(300 if split == "train" else 60, seed)))
    with gzip.open(tmp_path / "imdb/train.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"text": " ".join(words) + "<br /><br />the end.",
                                 "label": ["neg", "pos"][label]}) + "\n"
                     for words, label in sentences(200, 3))
    common = [sys.executable, "-m", "export.classifier.train", "--data-dir", str(tmp_path),
              "--results", str(tmp_path / "results.json")]
    subprocess.run(common + ["--model", "cnn-rand", "--seeds", "2", "--members", "2",
                             "--set", "epochs=3", "optimizer=adam", "lr=0.01",
                             "--pretrain-epochs", "1",
                             "--checkpoint", str(tmp_path / "cnn.safetensors"),
                             "--out", str(tmp_path / "sentiment-cnn")], check=True, cwd=ROOT)
    manifest = load_manifest(tmp_path / "sentiment-cnn")
    assert manifest["training"]["members"] == 2 and len(manifest["training"]["seed"]) == 2
    assert manifest["training"]["pretrain_epochs"] == 1
    assert "IMDB" in describe(manifest) and "then SST-2" in describe(manifest)  # the IMDB pass is told
    assert [Path(d["path"]).parent.name for d in manifest["training_data"]] == ["sst2"] * 3 + ["imdb"]
    assert manifest["hyperparameters"]["filter_widths"] == [3, 4, 5, 3, 4, 5]
    assert manifest["metrics"]["sst2_test_accuracy"] > 0.9
    assert SentimentModel(manifest).classify("a wonderful film")["label"] == "positive"
    subprocess.run(common + ["--from-checkpoint", str(tmp_path / "cnn.safetensors"),
                             "--out", str(tmp_path / "again")], check=True, cwd=ROOT)
    again = load_manifest(tmp_path / "again")
    assert again["metrics"]["sst2_test_accuracy"] == manifest["metrics"]["sst2_test_accuracy"]
    assert again["training_data"] == manifest["training_data"]


@needs_data("sst2/stsa.binary.test")
def test_reexport_refreshes_the_cross_validation_from_the_results(tmp_path):
    folder = tiny_folder(tmp_path / "sentiment-cnn", "cnn-rand")
    results = {"tiny/mr-cv": {"accuracy": 0.75, "folds": [0.7, 0.8], "folds_total": 2,
                              "command": "python -m export.classifier.train --dataset mr"}}
    (tmp_path / "results.json").write_text(json.dumps(results))
    reexport(folder, "tiny", tmp_path / "results.json")
    manifest = load_manifest(folder)  # verifies the checksums of the rewritten folder
    assert manifest["comparison"] == results
    assert manifest["metrics"]["mr_cv_accuracy"] == 0.75 and manifest["metrics"]["mr_cv_folds"] == 2


def test_a_run_resumed_from_its_state_file_ends_as_an_uninterrupted_one(tmp_path):
    """--state: the run saved after epoch 2 and resumed to 4 ends with the weights, best epoch
    and dev history of a run that went to 4 at once (batches of similar length, two dev sets)."""
    from export.classifier.data import build_vocab, encode
    from export.classifier.fit import train_model
    from export.classifier.model import build_model
    train, dev = sentences(200, seed=0), sentences(50, seed=1)
    vocab = build_vocab([t for t, _ in train])
    train, devs = encode(train, vocab), {"a": encode(dev[:25], vocab), "b": encode(dev[25:], vocab)}

    def run(epochs, state, history):
        torch.manual_seed(0)
        model = build_model("cnn-rand", len(vocab), dim=16, maps=8)
        result = train_model(model, train, devs, optimizer="adadelta", lr=1.0, epochs=epochs,
                             batch_size=25, device=torch.device("cpu"), seed=3, desc="tiny",
                             by_length=True, score_start=True, state_path=state, history=history)
        return model, result
    straight_history, resumed_history = [], []
    straight, straight_result = run(4, tmp_path / "a.safetensors", straight_history)
    run(2, tmp_path / "b.safetensors", [])
    resumed, resumed_result = run(4, tmp_path / "b.safetensors", resumed_history)
    def scores(history):
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]
    assert resumed_result == straight_result and scores(resumed_history) == scores(straight_history)
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


@needs_data("sst2/stsa.binary.dev", "imdb/train.jsonl.gz")
def test_a_routed_folder_lends_its_review_graph_as_shipped(tmp_path):
    """route_by_length with a routed folder as --reviews: its long.onnx, already quantized, joins
    the sentence model unchanged, with what its manifest says of it; the threshold is chosen again."""
    shipped = ROOT / "weights" / "sentiment-cnn"
    routed = load_manifest(shipped)["hyperparameters"]["long_texts"]
    written = route_by_length(shipped, shipped, tmp_path / "joined", DATA_DIR)
    assert (tmp_path / "joined" / "long.onnx").read_bytes() == (shipped / routed["file"]).read_bytes()
    long_texts = written["hyperparameters"]["long_texts"]
    assert {k: long_texts[k] for k in routed if k != "from_tokens"} == {k: v for k, v in routed.items()
                                                                        if k != "from_tokens"}
    assert str(long_texts["from_tokens"]) in written["metrics"]["routing_dev_accuracies"]


def test_imdb_sentences_keep_every_negation_and_as_many_others(tmp_path):
    """--pretrain-on sentences: each sentence of a review labeled as the review; all that hold a
    negator, the same number of the others, none too short to carry a verdict."""
    from export.classifier.data import load_imdb_sentences, negated
    (tmp_path / "imdb").mkdir()
    reviews = [("It was not bad at all. A fine cast and a fine story! Ok.", "pos"),
               ("I never laughed once. The plot drags on and on. It looks cheap. Dull, dull, dull.", "neg")]
    with gzip.open(tmp_path / "imdb/train.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"text": text, "label": label}) + "\n" for text, label in reviews)
    sentences = load_imdb_sentences(tmp_path)
    with_negator = [(tokens, label) for tokens, label in sentences if negated(tokens)]
    assert sorted(with_negator) == [(["i", "never", "laughed", "once"], 0),
                                    (["it", "was", "not", "bad", "at", "all"], 1)]
    assert len(sentences) == 2 * len(with_negator)
    assert all(len(tokens) >= 4 for tokens, _ in sentences)  # "Ok." is not one of them


def test_negation_templates_turn_a_word_only_with_their_negator(tmp_path):
    """Each negated frame holds a negator of the slice's list and its plain twin none; a made-up
    sentence takes its word's side, turned where negated; the words are the reviews' adjectives
    that lean to one side (after an intensifier often enough), not their filler."""
    from export.classifier.augment import TEMPLATES, negation_examples, polar_words
    from export.classifier.data import negated
    assert all(negated(n.format("x").split()) and not negated(p.format("x").split()) for n, p in TEMPLATES)
    (tmp_path / "imdb").mkdir()
    reviews = ([("The film was very wonderful, so wonderful.", "pos")] * 40
               + [("The film was very awful. Really dull.", "neg")] * 40
               + [("The plot was wonderful for a dull cast.", "neg")] * 5)
    with gzip.open(tmp_path / "imdb/train.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"text": text, "label": label}) + "\n" for text, label in reviews)
    negative, positive = polar_words(tmp_path, {"the", "film", "was", "wonderful", "awful", "dull", "plot"})
    assert positive == ["wonderful"] and negative == ["dull", "awful"]  # dull in 45 negative reviews
    made = negation_examples(negative, positive, 400, seed=1)
    assert len(made) == 400 and 150 < sum(negated(tokens) for tokens, _ in made) < 250
    for tokens, label in made:
        side = 1 if "wonderful" in tokens else 0
        assert label == (1 - side if negated(tokens) else side), tokens


def test_continuing_a_shipped_folder_trains_its_networks_beside_made_up_negations(tmp_path):
    """--continue-from a CNN folder --augment-negation: every network goes on from its weights
    (as shipped competing as epoch 0), chosen on dev and dev's negated sentences; the folder keeps
    its vocabulary and networks, and its manifest and description say what was added."""
    folder = tiny_folder(tmp_path / "shipped", "cnn-ensemble")
    (tmp_path / "sst2").mkdir()
    (tmp_path / "imdb").mkdir()
    for split, seed in [("train", 0), ("dev", 1), ("test", 2)]:
        data = sentences(200 if split == "train" else 60, seed)
        data += [(["it", "was", "not", "awful"], 1), (["not", "wonderful"], 0)]
        (tmp_path / f"sst2/stsa.binary.{split}").write_text(
            "".join(f"{label} {' '.join(words)}\n" for words, label in data))
    with gzip.open(tmp_path / "imdb/train.jsonl.gz", "wt") as f:
        f.writelines(json.dumps({"text": text, "label": label}) + "\n"
                     for text, label in [("the film was very wonderful", "pos"),
                                         ("the film was very awful", "neg")] * 40)
    subprocess.run([sys.executable, "-m", "export.classifier.train", "--data-dir", str(tmp_path),
                    "--results", str(tmp_path / "results.json"), "--continue-from", str(folder),
                    "--augment-negation", "100", "--select", "dev+negation",
                    "--set", "epochs=2", "optimizer=adam", "lr=0.01",
                    "--name", "tiny-negation", "--out", str(tmp_path / "continued")], check=True, cwd=ROOT)
    manifest, shipped = load_manifest(tmp_path / "continued"), load_manifest(folder)
    assert (tmp_path / "continued/vocab.txt").read_text() == (folder / "vocab.txt").read_text()
    assert manifest["hyperparameters"]["filter_widths"] == shipped["hyperparameters"]["filter_widths"]
    continued = manifest["training"]["continued"]
    assert continued["from"] == str(folder) and continued["select"] == "dev+negation"
    assert [h[0]["epoch"] for h in continued["dev_history"]] == [0, 0]  # as shipped, for each network
    assert set(continued["dev_history"][0][0]) == {"epoch", "dev", "negation"}
    assert manifest["training"]["augment_negation"] == {"sentences": 100, "words_per_side": 1,
                                                        "negative_words": ["awful"],
                                                        "positive_words": ["wonderful"]}
    assert "made-up sentences in which a negator turns" in manifest["description"]
    assert "trained further" in manifest["training"]["selection"]
    refused = subprocess.run([sys.executable, "-m", "export.classifier.train", "--augment-negation", "10"],
                             capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and "--continue-from" in refused.stderr
