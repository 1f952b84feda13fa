"""Rebuild the torch language model of a shipped weights/lm-* folder from its model.onnx, so that
torch eager can be timed on the weights that ship (the training checkpoints stay on the machine
that trained them). int8 weights are dequantized and fp16 ones widened to float32: the same
values onnxruntime multiplies by, in torch's layout.
"""
import json
from pathlib import Path

import onnx
import torch

from export.lm.model import RecurrentLM, build_model
from export.onnx_to_torch import RECURRENT_OPS, copy_layer, dequantized, graph_values, layer_weights


def load_torch_model(folder: str | Path) -> RecurrentLM:
    """The eval-mode RecurrentLM whose weights are those of folder/model.onnx (tied
    embeddings, as export_lm writes them: one (hidden, vocab) matrix `words`, int8 or float)."""
    folder = Path(folder)
    hp = json.loads((folder / "manifest.json").read_text())["hyperparameters"]
    cell = hp["cell"]
    graph = onnx.load(str(folder / "model.onnx"))
    values = graph_values(graph)
    model = build_model(hp, dropout=0.0).eval()
    layers = [n for n in graph.graph.node if n.op_type in RECURRENT_OPS]
    with torch.no_grad():
        words = (dequantized(values, "words_quantized", "words_scale", "words_zero_point")
                 if "words_quantized" in values else values["words"])
        model.encoder.weight.copy_(torch.from_numpy(words.T.copy()))
        model.decoder.bias.copy_(torch.from_numpy(values["model.decoder.bias"].copy()))
        for k, node in enumerate(layers):
            copy_layer(model.rnn, f"_l{k}", tuple(v[0] for v in layer_weights(node, values)), cell)
    return model
