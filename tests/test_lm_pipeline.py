"""Train -> export -> serve on a tiny synthetic corpus, for each cell: the loss falls, the ONNX
graphs are dynamic and equal torch, serving's incremental steps equal full recomputation, and
the gates it reports are the ones torch computes."""
import json
import random
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from export.lm.export import export_run, export_step, load_run, state_names
from export.lm.from_onnx import load_torch_model
from export.lm.model import gate_activations
from export.lm.checkpoint import load_weights
from export.lm.data import batchify, load_ptb
from export.lm.train import evaluate, parse_args, train
from serving.language_model import LanguageModel
from serving.onnx_session import make_session
from serving.weights import load_manifest

CELLS = ("rnn", "gru", "lstm")
WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
torch.set_num_threads(1)  # the machine is shared


def write_corpus(folder):
    rng = random.Random(0)
    subjects = ["the company", "the bank", "mr. smith", "the market", "investors"]
    verbs = ["said", "expects", "rose", "fell", "bought"]
    objects = ["N N", "its profit", "the shares", "<unk> sales", "N million"]
    for split, n in (("train", 400), ("valid", 40), ("test", 40)):
        lines = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}" for _ in range(n)]
        (folder / f"ptb.{split}.txt").write_text("".join(f" {line} \n" for line in lines))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{cell: (training record, checkpoint prefix, served fp32 LanguageModel)}."""
    root = tmp_path_factory.mktemp("lm")
    (root / "ptb").mkdir()
    write_corpus(root / "ptb")
    result = {}
    for cell in CELLS:
        record = train(parse_args(["--cell", cell, "--data-dir", str(root), "--checkpoint-dir",
                                   str(root / "ck"), "--hidden", "24", "--epochs", "5",
                                   "--batch-size", "4", "--bptt", "8", "--dropout", "0.1",
                                   "--lr", "0.3", "--init-range", "0.3", "--decay-start", "99"]))
        prefix = root / "ck" / f"lm-{cell}"
        export_run(prefix, root / "weights" / f"lm-{cell}", root, allow_int8=False)
        result[cell] = record, prefix, LanguageModel(load_manifest(root / "weights" / f"lm-{cell}"))
    return result


@pytest.mark.parametrize("cell", CELLS)
def test_training_lowers_the_loss(runs, cell):
    history = runs[cell][0]["history"]
    assert history[-1]["train_ppl"] < 0.7 * history[0]["train_ppl"]
    assert history[-1]["valid_ppl"] < history[0]["valid_ppl"]


@pytest.mark.parametrize("cell", CELLS)
def test_exported_dims_are_symbolic(runs, cell):
    folder = runs[cell][2].manifest["folder"]
    graph = onnx.load(f"{folder}/model.onnx").graph
    dims = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in [*graph.input, *graph.output]}
    assert dims["tokens"] == ["seq", "batch"]
    assert dims["logits"][:2] == ["seq", "batch"]
    assert dims["h"][1] == "batch" and dims["h_out"][1] == "batch"


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("seq, batch", [(7, 3), (1, 1)])
def test_onnxruntime_equals_torch(runs, cell, seq, batch, tmp_path):
    model, _ = load_run(runs[cell][1])
    export_step(model, tmp_path / "model.onnx")
    session = make_session(tmp_path / "model.onnx")
    names = state_names(cell)
    gen = torch.Generator().manual_seed(seq)
    tokens = torch.randint(0, 20, (seq, batch), generator=gen)
    state = tuple(torch.randn(model.layers, batch, model.hidden, generator=gen) for _ in names)
    with torch.no_grad():
        logits, new_state = model(tokens, state if len(state) > 1 else state[0])
    feeds = {"tokens": tokens.numpy(), **{n: s.numpy() for n, s in zip(names, state)}}
    out = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    np.testing.assert_allclose(out["logits"], logits.numpy(), atol=1e-5)
    expected = new_state if isinstance(new_state, tuple) else (new_state,)
    for name, s in zip(names, expected):
        np.testing.assert_allclose(out[f"{name}_out"], s.numpy(), atol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_incremental_steps_equal_full_prefix(runs, cell):
    lm = runs[cell][2]
    ids = [lm.eos] + lm.encode("the company said its profit rose")[0]
    full, _ = lm.run(ids, lm.initial_state())
    state, steps = lm.initial_state(), []
    for i in ids:
        out, state = lm.run([i], state)
        steps.append(out["logits"][0])
    np.testing.assert_allclose(np.stack(steps), full["logits"], atol=1e-5)
    generated = list(lm.generate("the company", 8))
    prefix = [lm.eos] + lm.encode("the company")[0]
    for token in generated:
        logits = lm.run(prefix, lm.initial_state())[0]["logits"][-1, 0]
        logits[lm.unk] = -np.inf
        assert lm.vocab[int(np.argmax(logits))] == token
        prefix.append(lm.index[token])


def test_sampling_is_reproducible_with_a_seed(runs):
    lm = runs["lstm"][2]
    sample = lambda seed: list(lm.generate("the bank", 30, "sample", 1.5, 0, 1.0, seed))  # noqa: E731
    assert sample(7) == sample(7)
    assert sample(7) != sample(8)
    assert "<unk>" not in sample(7) + sample(8)


@pytest.mark.parametrize("cell", ("gru", "lstm"))
def test_gates_match_torch(runs, cell):
    """Serving's gates (model.onnx stepped, then gates.onnx) equal the gates torch computes, and
    those gates reproduce torch's own recurrent states (so their order and formula are right)."""
    model, _ = load_run(runs[cell][1])
    lm = runs[cell][2]
    ids = [lm.eos] + lm.encode("investors bought the shares")[0]
    tokens = torch.tensor(ids)[:, None]
    with torch.no_grad():
        state, inputs, h_prev, states = model.initial_state(1), [], [], []
        for t in range(len(ids)):
            before = state
            _, state = model.rnn(model.encoder(tokens[t:t + 1]), state)
            h_before = before[0] if cell == "lstm" else before
            h_after = state[0] if cell == "lstm" else state
            inputs.append(torch.cat([model.encoder(tokens[t:t + 1]), h_after[:-1]]))
            h_prev.append(h_before)
            states.append((before, state))
        gates = gate_activations(model, torch.stack(inputs, 1), torch.stack(h_prev, 1))
        for t, (before, after) in enumerate(states):  # rebuild torch's states from the gates
            for k in range(model.layers):
                x, h = inputs[t][k], h_prev[t][k]
                w_ih, w_hh = getattr(model.rnn, f"weight_ih_l{k}"), getattr(model.rnn, f"weight_hh_l{k}")
                b_ih, b_hh = getattr(model.rnn, f"bias_ih_l{k}"), getattr(model.rnn, f"bias_hh_l{k}")
                g = gates[k, t]
                if cell == "lstm":
                    forget, inp, out = g[:, 0], g[:, 1], g[:, 2]
                    cand = torch.tanh((x @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh).chunk(4, -1)[2])
                    c = forget * before[1][k] + inp * cand
                    torch.testing.assert_close(c, after[1][k], atol=1e-5, rtol=1e-4)
                    torch.testing.assert_close(out * torch.tanh(c), after[0][k], atol=1e-5, rtol=1e-4)
                else:
                    update, reset = g[:, 0], g[:, 1]
                    n = torch.tanh((x @ w_ih.t() + b_ih).chunk(3, -1)[2]
                                   + reset * (h @ w_hh.t() + b_hh).chunk(3, -1)[2])
                    torch.testing.assert_close((1 - update) * n + update * h, after[k], atol=1e-5, rtol=1e-4)
    served = lm.gates("investors bought the shares")
    assert served["tokens"] == ["investors", "bought", "the", "shares"]
    np.testing.assert_allclose(np.array(served["values"]), gates.mean(-1)[:, 1:, 0].numpy(), atol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
def test_torch_rebuilt_from_the_graph_is_the_trained_model(runs, cell):
    """bench_lm times torch eager on the model rebuilt from model.onnx: it must be the model."""
    trained = load_run(runs[cell][1])[0].state_dict()
    rebuilt = load_torch_model(runs[cell][2].manifest["folder"]).state_dict()
    assert trained.keys() == rebuilt.keys()
    for name, weight in trained.items():
        torch.testing.assert_close(rebuilt[name], weight, rtol=0, atol=0, msg=name)


@pytest.mark.skipif(not (WEIGHTS / "lm-lstm" / "model.onnx").exists(), reason="no weights/lm-lstm")
def test_torch_rebuilt_from_the_shipped_int8_lstm_predicts_as_onnxruntime():
    """The int8 weights of DynamicQuantizeLSTM, dequantized into torch's layout: the same
    next words and states within the error of quantizing the activations."""
    model, lm = load_torch_model(WEIGHTS / "lm-lstm"), LanguageModel(load_manifest(WEIGHTS / "lm-lstm"))
    ids = [lm.eos] + lm.encode("the company said its profit rose in the third quarter")[0]
    out, state = lm.run(ids, lm.initial_state())
    with torch.no_grad():
        logits, (h, c) = model(torch.tensor(ids)[:, None], model.initial_state(1))
    assert (logits.argmax(-1).numpy() == out["logits"].argmax(-1)).all()
    np.testing.assert_allclose(h.numpy(), state["h"], atol=0.05)


def test_manifest_records_the_measured_perplexity(runs):
    m = runs["lstm"][2].manifest
    assert m["task"] == "language-model" and m["cell"] == "lstm"
    assert m["metrics"]["test_perplexity"] == m["metrics"]["fp32_test_perplexity"] > 1
    # written under a scratch folder, it names where users keep it
    assert m["eval_command"] == f"python -m export.lm.evaluate weights/{Path(m['folder']).name}"
    assert m["training"]["epochs"] == 5 and len(m["training"]["curves"]) == 5


def test_training_resumes_from_its_last_checkpoint(tmp_path):
    (tmp_path / "ptb").mkdir()
    write_corpus(tmp_path / "ptb")
    args = ["--cell", "gru", "--data-dir", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ck"),
            "--hidden", "8", "--batch-size", "4", "--bptt", "8", "--lr", "0.3", "--init-range", "0.3"]
    first = train(parse_args(args + ["--epochs", "2"]))
    resumed = train(parse_args(args + ["--epochs", "3", "--resume"]))
    assert resumed["history"][:2] == first["history"] and len(resumed["history"]) == 3
    assert resumed["config"]["epochs"] == 3  # the manifest reports the schedule the run ended under
    # and the settings of every stretch of epochs beside it
    assert [(r["first_epoch"], r["config"]["epochs"]) for r in resumed["runs"]] == [(1, 2), (3, 3)]


def test_each_epochs_mean_weights_are_validated_and_kept(tmp_path):
    """--average-from: from that epoch, validation and the best checkpoint use the mean of the
    epoch's weights; the last weights, which training goes on from, are measured beside it."""
    (tmp_path / "ptb").mkdir()
    write_corpus(tmp_path / "ptb")
    args = ["--cell", "gru", "--data-dir", str(tmp_path), "--checkpoint-dir", str(tmp_path / "ck"),
            "--hidden", "8", "--batch-size", "4", "--bptt", "8", "--lr", "0.3", "--init-range", "0.3",
            "--average-from", "2", "--decay-start", "99"]
    train(parse_args(args + ["--epochs", "2"]))
    record = train(parse_args(args + ["--epochs", "3", "--resume"]))
    history = record["history"]
    assert [h["averaged"] for h in history] == [False, True, True]
    assert history[0]["last_weights_valid_ppl"] == history[0]["valid_ppl"]
    assert all(h["last_weights_valid_ppl"] != h["valid_ppl"] for h in history[1:])
    prefix, valid = tmp_path / "ck" / "lm-gru", batchify(load_ptb(tmp_path / "ptb")[1]["valid"], 10)
    model, _ = load_run(prefix)  # the best: fp16
    assert evaluate(model, valid, 8) == pytest.approx(record["best_valid_ppl"], rel=1e-2)
    load_weights(model, prefix, "last")
    assert evaluate(model, valid, 8) == pytest.approx(history[-1]["last_weights_valid_ppl"], rel=1e-6)


def test_training_continues_from_a_shipped_folder(runs, tmp_path):
    """--init-from: the shipped weights as they are, their curves as the first epochs."""
    _, prefix, _ = runs["gru"]
    shipped = prefix.parent.parent / "weights" / "lm-gru"
    args = ["--cell", "gru", "--data-dir", str(shipped.parent.parent), "--checkpoint-dir", str(tmp_path),
            "--batch-size", "4", "--bptt", "8", "--dropout", "0.1", "--lr", "0.05",
            "--init-from", str(shipped), "--epochs", "6"]
    continued = train(parse_args(args + ["--hidden", "24"]))
    curves = load_manifest(shipped)["training"]["curves"]
    assert [h["epoch"] for h in continued["history"]] == [1, 2, 3, 4, 5, 6]
    assert [round(h["valid_ppl"], 2) for h in continued["history"][:5]] == [c["valid_ppl"] for c in curves]
    assert continued["best_valid_ppl"] <= min(c["valid_ppl"] for c in curves) + 0.05  # fp16 as shipped
    # the shipped run's epochs at its own settings, then this run's
    assert [(r["first_epoch"], r["config"]["dropout"], r["config"]["lr"]) for r in continued["runs"]] == [
        (1, 0.1, 0.3), (6, 0.1, 0.05)]
    folder = export_run(tmp_path / "lm-gru", tmp_path / "weights" / "lm-gru", shipped.parent.parent,
                        allow_int8=False)
    assert folder["training"]["runs"] == json.loads(json.dumps(continued["runs"]))
    with pytest.raises(SystemExit, match="its model is"):
        train(parse_args(args + ["--hidden", "8", "--name", "other"]))
