"""Rebuild the torch Explained module of a shipped weights/sentiment-* folder from its model.onnx
(the classifiers were trained on a GPU machine whose checkpoints are not shipped), to time it in
torch eager, and re-export a folder with the current exporter:

    python -m export.classifier.from_onnx weights/sentiment-cnn

re-exports model.onnx from the weights it holds (a BiLSTM's LSTM as int8 where the accuracy
allows), measures the SST-2 test accuracy again (export/classifier/evaluate.py), rewrites the
manifest (metrics, quantization, checksums) and prints how far the new graph's outputs are from
the old one's.
"""
import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from export.classifier.evaluate import evaluate
from export.classifier.export import export_onnx
from export.classifier.model import BiLSTMClassifier, Explained, HalfEmbedding, averaged, build_model, networks
from export.classifier.results import RESULTS, cv_metrics
from export.manifest import write_manifest
from export.onnx_to_torch import RECURRENT_OPS, copy_layer, layer_weights
from serving.onnx_session import make_session
from serving.weights import read_vocab

MAX_QUANTIZATION_LOSS = 0.003  # SST-2 test accuracy (0.3 points)


def tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(array, np.float32))


def conv_weights(values: dict, widths: list[int], maps: int,
                 prefix: str = "") -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (maps, dim, width), bias) of each filter width, from the three Conv nodes of the
    first export or the one matrix of parts (dim, sum of width x maps) of a FusedPooling
    (`prefix`: "members.<k>." in FusedKimCNN)."""
    if prefix + "parts_weight" not in values:
        return [(values[f"model.convs.{i}.weight"], values[f"model.convs.{i}.bias"])
                for i in range(len(widths))]
    columns = np.split(values[prefix + "parts_weight"], np.cumsum([w * maps for w in widths])[:-1],
                       axis=1)
    return [(c.reshape(c.shape[0], w, maps).transpose(2, 0, 1), values[f"{prefix}bias_{i}"])
            for i, (c, w) in enumerate(zip(columns, widths))]


def explained_from_onnx(folder: str | Path) -> Explained:
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    hp = manifest["hyperparameters"]
    graph = onnx.load(str(folder / "model.onnx")).graph
    values = {w.name: numpy_helper.to_array(w) for w in graph.initializer}
    nodes = list(graph.node)
    tables = [n.input[0] for n in nodes if n.op_type == "Gather" and n.input[1] == "ids"]
    out_weight = values[next(n.input[1] for n in nodes if n.output[0] == "contributions")][0]
    out_bias = next(v for k, v in values.items() if k.endswith("out.bias"))
    vocab_size, dim = values[tables[0]].shape
    if hp["model"] == "bilstm":
        weights = layer_weights(next(n for n in nodes if n.op_type in RECURRENT_OPS), values)
        model = build_model("bilstm", vocab_size, dim=dim, hidden=weights[1].shape[-1])
        for direction, suffix in enumerate(("_l0", "_l0_reverse")):
            copy_layer(model.lstm, suffix, tuple(v[direction] for v in weights), "lstm")
    else:  # one CNN, or an ensemble whose members each have their table and filters
        widths = hp["filter_widths"][:len(hp["filter_widths"]) // len(tables)]
        singles = [build_model("cnn-rand", vocab_size, dim=dim, widths=tuple(widths),
                               maps=hp["feature_maps"]) for _ in tables]
        for k, single in enumerate(singles):
            prefix = f"members.{k}." if f"members.{k}.parts_weight" in values else ""
            for conv, (weight, bias) in zip(single.convs, conv_weights(values, widths,
                                                                       hp["feature_maps"], prefix)):
                conv.weight.data, conv.bias.data = tensor(weight), tensor(bias)
        model = averaged(singles)
    model.out.weight.data, model.out.bias.data = tensor(out_weight), tensor(out_bias)
    explained = Explained(model, manifest["metrics"]["temperature"])
    for single, table in zip(networks(explained.model), tables):
        single.embedding = HalfEmbedding(tensor(values[table]))
    return explained


def trainable_networks(folder: str | Path) -> tuple[list[torch.nn.Module], list[str]]:
    """(every network of a shipped CNN folder as a trainable non-static KimCNN, its vocabulary):
    starting points for further training, from one read of its graph. An ensemble member's own
    output layer is its slice of the averaged one times the number of members (its bias: the
    members' mean)."""
    explained = explained_from_onnx(folder)
    singles = networks(explained.model)
    trainable = []
    for member, single in enumerate(singles):
        model = build_model("cnn-non-static", single.embedding.weight.shape[0],
                            single.embedding.weight.float(), dim=single.embedding.weight.shape[1],
                            widths=single.widths, maps=single.convs[0].out_channels)
        features = model.out.in_features
        with torch.no_grad():
            for conv, source in zip(model.convs, single.convs):
                conv.weight.copy_(source.weight)
                conv.bias.copy_(source.bias)
            model.out.weight.copy_(explained.model.out.weight[:, member * features:(member + 1) * features]
                                   * len(singles))
            model.out.bias.copy_(explained.model.out.bias)
        trainable.append(model)
    return trainable, read_vocab(folder)


def max_difference(old: Path, new: Path, vocab_size: int, length: int = 50,
                   sentences: int = 20) -> dict[str, float]:
    """The largest difference of each output between two graphs on random sentences."""
    a, b = make_session(old), make_session(new)
    ids = np.random.default_rng(0).integers(2, min(vocab_size, 1000), (sentences, 1, length))
    outputs = [o.name for o in a.get_outputs()]
    diff = dict.fromkeys(outputs, 0.0)
    for x in ids:
        for name, u, v in zip(outputs, a.run(None, {"ids": x}), b.run(None, {"ids": x})):
            diff[name] = max(diff[name], float(np.abs(u.astype(np.float64) - v).max()))
    return diff


def reexport(folder: Path, results_name: str | None = None, results_path: str = RESULTS) -> dict:
    """Re-export folder/model.onnx in place from the weights it holds. A BiLSTM's LSTM is then
    stored as int8 (onnxruntime's DynamicQuantizeLSTM, 2.5x faster at batch 1) when that moves
    the SST-2 test accuracy by less than MAX_QUANTIZATION_LOSS; a CNN stays float (no int8 Conv
    kernel on CPU, docs/architecture.md). Rewrites the manifest, its MR cross-validation and the comparison
    table refreshed from results_path when results_name (the model's key there) is given;
    returns the accuracies and the largest output differences from the graph it replaced."""
    manifest = json.loads((folder / "manifest.json").read_text())
    explained, served = explained_from_onnx(folder), folder / "model.onnx"
    metrics = manifest["metrics"]
    if results_name:
        manifest["comparison"] = json.loads(Path(results_path).read_text())
        metrics |= cv_metrics(manifest["comparison"], results_name)
    report = {"folder": folder.as_posix(), "sst2_test_accuracy_before": metrics["sst2_test_accuracy"]}
    with tempfile.TemporaryDirectory() as tmp:
        fp32, previous = Path(tmp) / "model.onnx", Path(tmp) / "previous.onnx"
        shutil.copyfile(served, previous)
        export_onnx(explained, fp32)
        shutil.copyfile(fp32, served)
        metrics["fp32_sst2_test_accuracy"] = fp32_accuracy = evaluate(folder)["sst2_test_accuracy"]
        metrics["sst2_test_accuracy"], manifest["quantization"] = fp32_accuracy, "none (fp16 embedding table)"
        if isinstance(explained.model, BiLSTMClassifier):
            quantize_dynamic(fp32, served, weight_type=QuantType.QInt8, op_types_to_quantize=["LSTM"])
            metrics["int8_sst2_test_accuracy"] = int8_accuracy = evaluate(folder)["sst2_test_accuracy"]
            if abs(int8_accuracy - fp32_accuracy) < MAX_QUANTIZATION_LOSS:
                metrics["sst2_test_accuracy"] = int8_accuracy
                manifest["quantization"] = ("int8 dynamic (onnxruntime quantize_dynamic) of the LSTM "
                                            "weights, fp16 embedding table")
            else:
                shutil.copyfile(fp32, served)
        report["max_difference"] = max_difference(previous, served, len(read_vocab(folder)))
    write_manifest(folder, {k: v for k, v in manifest.items() if k not in ("versions", "files")})
    return {**report, **{k: v for k, v in metrics.items() if "sst2_test" in k},
            "quantization": manifest["quantization"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--results-name", help="refresh the MR CV metrics and the comparison table "
                                           "from --results, this being the model's key there")
    p.add_argument("--results", default=RESULTS)
    args = p.parse_args()
    for folder in args.folders:
        print(json.dumps(reexport(folder, args.results_name, args.results), indent=2))


if __name__ == "__main__":
    main()
