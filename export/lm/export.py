"""Export a trained language model to weights/lm-<cell>/: `python -m export.lm.export --run PREFIX`.

model.onnx: tokens (seq, batch) and the recurrent state in, logits and the new state out, so a
generator feeds one new token and the carried state per step. Exported with the legacy exporter
and dynamic_axes (the dynamo exporter can silently fix RNN axes). gates.onnx (GRU and LSTM):
the mean gate activations per layer and token, from each layer's inputs and previous states,
which serving collects by stepping model.onnx (its `embedded` output is layer 1's input).
Both are quantized to int8 (dynamic quantization, the LSTM's weights with a scale per output
unit; GRU and RNN weights, which have no int8 kernel, are stored as fp16) when that moves the
validation perplexity by less than 1%, then measured with onnxruntime on the full test set and
described in manifest.json. The precision is chosen on validation, never on test.
"""
import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from torch import nn

from export.corpora import DEFAULT_DATA_DIR
from export.lm.checkpoint import load_record, load_weights
from export.lm.data import build_vocab, read_words
from export.lm.evaluate import ids_of, onnx_perplexity
from export.lm.graph import direct_lookup
from export.lm.model import SHOWN_GATES, RecurrentLM, build_model, gate_activations
from export.manifest import eval_command, training_data, write_manifest
from serving.onnx_session import make_session
from serving.weights import write_vocab

OPSET = 17
STATE_NAMES = {"lstm": ("h", "c")}
QUANTIZED_OPS = ["MatMul", "Gather", "LSTM"]
HALVED_OPS = ("GRU", "RNN")  # onnxruntime has no int8 kernel for these
MAX_QUANTIZATION_LOSS = 0.01
DESCRIPTIONS = {
    "rnn": "A vanilla (Elman) RNN: each step squashes the new word and the previous state through "
           "one tanh layer. Its gradient is multiplied by the same matrix at every step, so it "
           "shrinks (or explodes, hence clipping) exponentially with distance: words more than a "
           "few dozen steps back barely influence the prediction.",
    "gru": "A gated recurrent unit: the update gate mixes the previous state with a new candidate, "
           "and where it stays near 1 the state is copied unchanged from step to step, so "
           "information (and gradient) survives long spans; the reset gate decides how much of "
           "the past the candidate may read.",
    "lstm": "A long short-term memory network: a separate cell state is updated additively, the "
            "forget gate deciding how much of it to keep and the input gate how much to write, "
            "and the output gate what to expose. The additive path lets information and gradient "
            "cross many steps without vanishing.",
}


def state_names(cell: str) -> tuple[str, ...]:
    return STATE_NAMES.get(cell, ("h",))


class StepGraph(nn.Module):
    """The graph of model.onnx. With tied weights one (hidden, vocab) matrix serves the lookup
    (a Gather on axis 1) and the output projection (a MatMul), so it is stored once."""

    def __init__(self, model: RecurrentLM):
        super().__init__()
        self.model = model
        self.words = nn.Parameter(model.encoder.weight.detach().t().contiguous()) if model.tied else None

    def forward(self, tokens, *state):
        model = self.model
        if self.words is None:
            embedded = model.encoder(tokens)
        else:
            embedded = self.words.index_select(1, tokens.flatten()).t().reshape(
                tokens.shape[0], tokens.shape[1], model.hidden)
        output, state = model.rnn(embedded, state if len(state) > 1 else state[0])
        logits = model.decoder(output) if self.words is None else output @ self.words + model.decoder.bias
        return (logits, *(state if isinstance(state, tuple) else (state,)), embedded)


class GatesGraph(nn.Module):
    """The graph of gates.onnx: mean activation over units, per layer, step and gate."""

    def __init__(self, model: RecurrentLM):
        super().__init__()
        self.model = model

    def forward(self, inputs, h_prev):
        return gate_activations(self.model, inputs, h_prev).mean(-1)


def export_step(model: RecurrentLM, path: Path) -> None:
    names = state_names(model.cell)
    tokens = torch.zeros(5, 2, dtype=torch.long)
    state = tuple(torch.zeros(model.layers, 2, model.hidden) for _ in names)
    axes = {"tokens": {0: "seq", 1: "batch"}, "logits": {0: "seq", 1: "batch"},
            "embedded": {0: "seq", 1: "batch"}}
    axes |= {n: {1: "batch"} for n in names} | {f"{n}_out": {1: "batch"} for n in names}
    torch.onnx.export(StepGraph(model).eval(), (tokens, *state), str(path), dynamo=False,
                      opset_version=OPSET, input_names=["tokens", *names],
                      output_names=["logits", *(f"{n}_out" for n in names), "embedded"],
                      dynamic_axes=axes)
    if model.tied:
        direct_lookup(path)


def export_gates(model: RecurrentLM, path: Path) -> None:
    x = torch.zeros(model.layers, 5, 2, model.hidden)
    axes = {n: {1: "seq", 2: "batch"} for n in ("inputs", "h_prev", "gates")}
    torch.onnx.export(GatesGraph(model).eval(), (x, x), str(path), dynamo=False,
                      opset_version=OPSET, input_names=["inputs", "h_prev"],
                      output_names=["gates"], dynamic_axes=axes)


def store_weights_fp16(path: Path, op_types=HALVED_OPS) -> None:
    """Store the float weights of op_types as fp16 behind a Cast: half the file, while
    onnxruntime folds the Cast when it loads the model, so inference still runs in fp32."""
    model = onnx.load(str(path))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer if w.data_type == onnx.TensorProto.FLOAT}
    casts = []
    for node in graph.node:
        for name in node.input:
            if node.op_type in op_types and name in weights:
                half = numpy_helper.from_array(numpy_helper.to_array(weights[name]).astype(np.float16),
                                               f"{name}_fp16")
                graph.initializer.remove(weights.pop(name))
                graph.initializer.append(half)
                casts.append(onnx.helper.make_node("Cast", [half.name], [name], to=onnx.TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def io_spec(path: Path) -> tuple[list[dict], list[dict]]:
    """ONNX inputs and outputs as the manifest lists them (symbolic dims by name)."""
    s = make_session(path)
    spec = lambda args: [{"name": a.name, "dtype": a.type, "shape": a.shape} for a in args]  # noqa: E731
    return spec(s.get_inputs()), spec(s.get_outputs())


def stopped_by(record: dict) -> str:
    """Why the run ended. The record is saved every epoch, so a run ended by hand (or with its
    machine) exports from its best epoch too; only a run that ended itself has `epochs_run`."""
    if "epochs_run" not in record:
        return "stopped by hand after its last saved epoch"
    return "max epochs" if record["epochs_run"] >= record["config"]["epochs"] else "time budget"


def dropouts(record: dict) -> str:
    """The dropout of every stretch of epochs: "0.5", or "0.4 (epochs 1-20), then 0.5"."""
    changes = []
    for run in record.get("runs") or [{"first_epoch": 1, "config": record["config"]}]:
        if not changes or run["config"]["dropout"] != changes[-1][1]:
            changes.append((run["first_epoch"], run["config"]["dropout"]))
    if len(changes) == 1:
        return str(changes[0][1])
    ends = [first - 1 for first, _ in changes[1:]]
    return ", then ".join([f"{d} (epochs {first}-{end})" for (first, d), end in zip(changes, ends)]
                          + [str(changes[-1][1])])


def machine(device: str) -> str:
    return f"{os.cpu_count()}-core CPU" if device == "cpu" else f"1x {device} (device machine)"


def load_run(prefix: Path) -> tuple[RecurrentLM, dict]:
    record = load_record(prefix)
    c = record["config"]
    model = build_model(c, vocab_size=record["vocab_size"])
    load_weights(model, prefix, "best")
    return model.float().eval(), record


def export_run(prefix: Path, folder: Path, data_dir: Path = DEFAULT_DATA_DIR, allow_int8: bool = True) -> dict:
    model, record = load_run(Path(prefix))
    cell, config = model.cell, record["config"]
    ptb = Path(data_dir) / "ptb"
    vocab = build_vocab(read_words(ptb / "ptb.train.txt"))
    valid_ids, test_ids = (ids_of(read_words(ptb / f"ptb.{s}.txt"), vocab) for s in ("valid", "test"))
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = {"model": Path(tmp) / "model.onnx", "gates": Path(tmp) / "gates.onnx"}
        export_step(model, fp32["model"])
        if cell in SHOWN_GATES:
            export_gates(model, fp32["gates"])
        else:
            del fp32["gates"]
        int8 = {k: Path(tmp) / f"{k}.int8.onnx" for k in fp32}
        for k in fp32:
            quantize_dynamic(fp32[k], int8[k], weight_type=QuantType.QInt8,
                             op_types_to_quantize=QUANTIZED_OPS, per_channel=True)
            store_weights_fp16(int8[k])
        valid_ppl = {"fp32": onnx_perplexity(fp32["model"], valid_ids),
                     "int8": onnx_perplexity(int8["model"], valid_ids)}
        use_int8 = allow_int8 and abs(valid_ppl["int8"] / valid_ppl["fp32"] - 1) < MAX_QUANTIZATION_LOSS
        fp32_ppl = onnx_perplexity(fp32["model"], test_ids)
        int8_ppl = onnx_perplexity(int8["model"], test_ids)
        shipped = int8 if use_int8 else fp32
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for k, src in shipped.items():
            shutil.copyfile(src, folder / f"{k}.onnx")
    write_vocab(folder, vocab)
    inputs, outputs = io_spec(folder / "model.onnx")
    parameters = sum(p.numel() for p in model.parameters())
    # from the curves, not the config: a continued run may have started averaging earlier
    averaged_from = next((h["epoch"] for h in record["history"] if h.get("averaged")), None)
    manifest = {
        "name": f"lm-{cell}",
        "task": "language-model",
        "architecture": f"{config['layers']}-layer {cell.upper()} LM, {config['hidden']} units"
                        f"{', tied embeddings' if config['tied'] else ''} ({parameters / 1e6:.1f}M parameters)",
        "cell": cell,
        "hyperparameters": {**{k: v for k, v in config.items() if k not in ("epochs", "max_tokens")},
                            "max_epochs": config["epochs"], "vocab_size": len(vocab), "parameters": parameters},
        "inputs": inputs,
        "outputs": outputs,
        "gates": list(SHOWN_GATES.get(cell, ())),
        "training_data": training_data(*(ptb / f"ptb.{s}.txt" for s in ("train", "valid", "test"))),
        "metrics": {"test_perplexity": round(int8_ppl if use_int8 else fp32_ppl, 2),
                    "test_tokens": len(test_ids) - 1,
                    "fp32_test_perplexity": round(fp32_ppl, 2),
                    "int8_test_perplexity": round(int8_ppl, 2),
                    "valid_perplexity_torch": round(record["best_valid_ppl"], 2),
                    "fp32_valid_perplexity": round(valid_ppl["fp32"], 2),
                    "int8_valid_perplexity": round(valid_ppl["int8"], 2)},
        "eval_command": eval_command("lm.evaluate", folder),
        "quantization": ("int8 dynamic (onnxruntime quantize_dynamic, per_channel) of the tied "
                         "embedding/output matrix (one scale: the lookup shares it) and the gates "
                         "graph (a scale per output unit); " + (
                             "the LSTM weights too, a scale per output unit" if cell == "lstm" else
                         f"the {cell.upper()} weights stored as fp16 (no int8 kernel), computed in fp32"))
                        if use_int8 else "none (not asked for, or int8 moved the validation perplexity by 1% or more)",
        "opset": OPSET,
        "training": {"machine": machine(record["device"]),
                     "seconds": round(record["seconds"]), "epochs": len(record["history"]),
                     "best_epoch": record["best_epoch"], "stopped_by": stopped_by(record),
                     "curves": [{k: round(v, 2) if isinstance(v, float) else v for k, v in h.items()}
                                for h in record["history"]]}
                    # the settings of each stretch of epochs (hyperparameters: the last one's)
                    | ({"runs": record["runs"]} if "runs" in record else {}),
        "description": DESCRIPTIONS[cell] + " Trained on the Penn Treebank with SGD, dropout "
                       f"{dropouts(record)} and the gradient norm clipped at {config['clip']}"
                       + (f"; from epoch {averaged_from} on, the weights kept are the mean of each "
                          "epoch's steps." if averaged_from else "."),
    }
    written = write_manifest(folder, manifest)
    print(json.dumps(written["metrics"]), f"-> {folder}")
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="checkpoint prefix, e.g. checkpoints/lm-lstm")
    p.add_argument("--out", help="weights folder (default weights/lm-<cell>)")
    p.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    p.add_argument("--fp32", action="store_true", help="ship fp32 even where int8 would do")
    args = p.parse_args()
    cell = load_record(args.run)["config"]["cell"]
    export_run(Path(args.run), Path(args.out or f"weights/lm-{cell}"), Path(args.data_dir), not args.fp32)


if __name__ == "__main__":
    main()
