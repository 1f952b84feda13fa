"""An exported graph's weights read back into torch's layout, for the families' from_onnx
modules (the language models and the BiLSTM classifier store recurrent layers the same way):
initializers by name, fp16 widened and int8 dequantized to the float32 values onnxruntime
multiplies by, and ONNX's gate order turned into torch's.
"""
import numpy as np
import onnx
import torch
from onnx import numpy_helper

RECURRENT_OPS = ("LSTM", "DynamicQuantizeLSTM", "GRU", "RNN")
# torch's gate blocks (lstm: i f g o, gru: r z n) taken from ONNX's (lstm: i o f c, gru: z r h)
TORCH_ORDER = {"lstm": (0, 2, 3, 1), "gru": (1, 0, 2), "rnn": (0,)}


def graph_values(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Every initializer by name, and the float32 value behind each Cast of one (fp16 storage)."""
    values = {w.name: numpy_helper.to_array(w) for w in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Cast" and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]].astype(np.float32)
    return values


def dequantized(values: dict, name: str, scale: str, zero_point: str) -> np.ndarray:
    """int8 -> float32. A recurrent op's weights, stored (directions, input, gates*hidden), have
    a scale and zero point per direction, or per direction and output unit (per-channel)."""
    q = values[name].astype(np.float32)
    s, z = values[scale], values[zero_point].astype(np.float32)
    if q.ndim == 3:
        s, z = s.reshape(len(s), 1, -1), z.reshape(len(z), 1, -1)
    return (q - z) * s


def torch_blocks(weight: np.ndarray, cell: str) -> torch.Tensor:
    """ONNX's gate blocks along the first axis, reordered as torch stacks them."""
    blocks = np.split(weight, len(TORCH_ORDER[cell]))
    return torch.from_numpy(np.concatenate([blocks[i] for i in TORCH_ORDER[cell]]).copy())


def layer_weights(node: onnx.NodeProto, values: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, R, B) of one recurrent layer as the standard ONNX op takes them: W (directions,
    gates*hidden, input), R (directions, gates*hidden, hidden), B (directions, 2*gates*hidden).
    DynamicQuantizeLSTM stores W and R transposed, as int8 with a scale and zero point."""
    if node.op_type == "DynamicQuantizeLSTM":
        w = dequantized(values, node.input[1], node.input[8], node.input[9])
        r = dequantized(values, node.input[2], node.input[10], node.input[11])
        return w.transpose(0, 2, 1), r.transpose(0, 2, 1), values[node.input[3]]
    return values[node.input[1]], values[node.input[2]], values[node.input[3]]


def copy_layer(rnn: torch.nn.RNNBase, suffix: str, weights: tuple, cell: str) -> None:
    """One layer and direction's (W, R, B), as layer_weights gives them for one direction, into
    torch's parameters named with suffix (e.g. "_l0", "_l0_reverse")."""
    w, r, b = weights
    b_ih, b_hh = np.split(b, 2)
    with torch.no_grad():
        for name, value in (("weight_ih", w), ("weight_hh", r), ("bias_ih", b_ih), ("bias_hh", b_hh)):
            getattr(rnn, f"{name}{suffix}").copy_(torch_blocks(value, cell))
