"""The computational graph of one example through a small network (one neuron, or 2-2-1), as
micrograd draws it: every node with its forward value and its gradient, every edge with its local
derivative, and the chain rule written out as the products that give each gradient."""
import re

import numpy as np

from serving.basics import activation_slope, forward_backward
from serving.basics_plots import GRADIENT_COLOUR, graph_figure

NETWORKS = ("one neuron", "2-2-1")
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
FUNCTION_NAMES = {"linear": "identity", "sigmoid": "σ", "tanh": "tanh", "relu": "ReLU"}


def sub(text: str) -> str:
    """Indices as subscripts: the digits right after a letter (w12 -> w₁₂; the 1 in 1-y stays)."""
    return re.sub(r"(?<=[a-z])\d+", lambda m: m.group().translate(SUB), text)


def parameters(network: str, hidden: list[float], out: list[float]) -> tuple[list, list]:
    """(weights, biases) in forward_backward's nesting from the tab's numbers: hidden is
    [w11, w12, b1, w21, w22, b2] (2-2-1 only), out is [v1, v2, c] (one neuron: [w1, w2, b])."""
    if network == "one neuron":
        return [[out[:2]]], [[out[2]]]
    return [[hidden[0:2], hidden[3:5]], [out[:2]]], [[hidden[2], hidden[5]], [out[2]]]


def parameter_names(network: str) -> tuple[list, list]:
    """Names in the same nesting as parameters()."""
    if network == "one neuron":
        return [[["w1", "w2"]]], [["b"]]
    return [[["w11", "w12"], ["w21", "w22"]], [["v1", "v2"]]], [["b1", "b2"], ["c"]]


def node_text(name: str, formula: str, value: float, gradient: float) -> str:
    return (f"<b>{sub(name)}</b> {formula}<br>value {value:.3f}<br>"
            f"<span style='color:{GRADIENT_COLOUR}'>grad {gradient:.3f}</span>")


def explain(network: str, x, weights, biases, activation: str, output: str, target: float) -> dict:
    """The graph and the chain-rule tables for one example: {"loss", "nodes", "edges" (for
    basics_plots.graph_figure), "node_rows" (the backward pass, from the loss up), "parameter_rows",
    "weight_gradients", "bias_gradients"}."""
    result = forward_backward(x, weights, biases, activation, output, target)
    layers = result["layers"]
    nodes, edges, node_rows = [], [], []

    def add(name, formula, value, gradient, at, symbolic, numbers):
        """A node; its formula and the symbolic side of its chain rule name other nodes
        (z1 shows as z₁), the numbers side is as printed."""
        nodes.append({"x": at[0], "y": at[1], "text": node_text(name, sub(formula), value, gradient)})
        node_rows.append([sub(name), round(value, 4), round(gradient, 4), f"{sub(symbolic)} = {numbers}"])
        return len(nodes) - 1

    def link(source, target_node, name, value, at=0.5):
        """An edge labelled with its local derivative: what it is (a weight, a slope), and its value,
        the label placed at the fraction `at` of the way from the source."""
        edges.append({"from": source, "to": target_node, "label": f"{sub(name)} {value:.3f}", "at": at})

    two_layers = network == "2-2-1"
    x_in, x_grad = layers[0]["values"], layers[0]["gradients"]
    first = layers[1]
    w_first = weights[0]
    top = 5.8 if two_layers else 3   # room between inputs and sums for the labels of crossing edges
    sum_names = [f"z{j + 1}" for j in range(2)] if two_layers else ["z"]
    w_names = parameter_names(network)[0][0]
    inputs = [add(f"x{i + 1}", "input", x_in[i], x_grad[i], (2 * i - 1, top),
                  " + ".join(f"∂L/∂{sum_names[j]} × {w_names[j][i]}" for j in range(len(w_first))),
                  " + ".join(f"{first['sum_gradients'][j]:.3f} × {w_first[j][i]:.3f}" for j in range(len(w_first))))
              for i in range(2)]
    sources, source_name = inputs, "x"
    if two_layers:
        slopes = activation_slope(np.array(first["sums"]), np.array(first["values"]), activation)
        f = FUNCTION_NAMES[activation]
        sums = [add(f"z{j + 1}", "= w·x + b", first["sums"][j], first["sum_gradients"][j], (2 * j - 1, 4),
                    f"∂L/∂h{j + 1} × {f}'(z{j + 1})", f"{first['gradients'][j]:.3f} × {slopes[j]:.3f}")
                for j in range(2)]
        v = weights[1][0]
        dz_out = layers[2]["sum_gradients"][0]
        values = [add(f"h{j + 1}", f"= {f}(z{j + 1})", first["values"][j], first["gradients"][j], (2 * j - 1, 3),
                      f"∂L/∂z × v{j + 1}", f"{dz_out:.3f} × {v[j]:.3f}") for j in range(2)]
        for j in range(2):
            for i in range(2):
                link(inputs[i], sums[j], w_names[j][i], w_first[j][i], 0.7 if i == j else 0.25)
            link(sums[j], values[j], f"{f}'", slopes[j])
        sources, source_name = values, "h"
    out = layers[-1]
    p_value, p_grad = out["values"][0], out["gradients"][0]
    if p_grad is None:   # p is exactly 0 or 1: dL/dp is infinite (the backward pass uses dL/dz = p - y)
        p_grad = float("nan")
    p_slope = p_value * (1 - p_value) if output == "sigmoid" else 1.0
    z = add("z", f"= {'v' if two_layers else 'w'}·{source_name} + {'c' if two_layers else 'b'}",
            out["sums"][0], out["sum_gradients"][0], (0, 2),
            f"∂L/∂p × {'σ' if output == 'sigmoid' else 'identity'}'(z)", f"{p_grad:.3f} × {p_slope:.3f}")
    for j, source in enumerate(sources):
        link(source, z, parameter_names(network)[0][-1][0][j], weights[-1][0][j])
    sigmoid = output == "sigmoid"
    p = add("p", "= σ(z)" if sigmoid else "= z", p_value, p_grad, (0, 1),
            "-(y/p - (1-y)/(1-p))" if sigmoid else "2(p - y)",
            f"-({target:g}/{p_value:.3f} - {1 - target:g}/{1 - p_value:.3f})" if sigmoid
            else f"2 × ({p_value:.3f} - {target:g})")
    link(z, p, "σ'" if sigmoid else "identity'", p_slope)
    loss_node = add("L", f"= {'cross-entropy' if sigmoid else 'squared error'}", result["loss"], 1.0,
                    (0, 0), "∂L/∂L", "1")
    link(p, loss_node, "∂L/∂p", p_grad)
    return {"loss": result["loss"], "nodes": nodes, "edges": edges, "node_rows": node_rows[::-1],
            "parameter_rows": parameter_rows(network, weights, biases, result),
            "weight_gradients": result["weight_gradients"], "bias_gradients": result["bias_gradients"]}


def parameter_rows(network: str, weights, biases, result: dict) -> list[list]:
    """Each parameter's gradient as the product the chain rule gives: dL/dw = dL/dz x (the input
    the weight multiplies), dL/db = dL/dz."""
    weight_names, bias_names = parameter_names(network)
    layers = result["layers"]
    rows = []
    for k in range(len(weights)):
        inputs, layer = layers[k]["values"], layers[k + 1]
        input_name = "x" if k == 0 else "h"
        sum_names = ["z"] if k == len(weights) - 1 else [f"z{j + 1}" for j in range(len(weights[k]))]
        for j, dz in enumerate(layer["sum_gradients"]):
            for i, a in enumerate(inputs):
                rows.append([sub(weight_names[k][j][i]), weights[k][j][i], round(result["weight_gradients"][k][j][i], 4),
                             sub(f"∂L/∂{sum_names[j]} × {input_name}{i + 1} = {dz:.3f} × {a:.3f}")])
            rows.append([sub(bias_names[k][j]), biases[k][j], round(result["bias_gradients"][k][j], 4),
                         sub(f"∂L/∂{sum_names[j]} = {dz:.3f}")])
    return rows


def step(weights, biases, explained: dict, learning_rate: float) -> tuple[list, list]:
    """One step of gradient descent on the shown gradients: parameter - learning rate x gradient."""
    return ([(np.array(w) - learning_rate * np.array(g)).tolist() for w, g in zip(weights, explained["weight_gradients"])],
            [(np.array(b) - learning_rate * np.array(g)).tolist() for b, g in zip(biases, explained["bias_gradients"])])


def figure(explained: dict, network: str):
    return graph_figure(explained["nodes"], explained["edges"], 600 if network == "2-2-1" else 380)


def numbers(network: str, weights, biases, hidden: list[float]) -> list[float]:
    """The tab's nine numbers from (weights, biases), the inverse of parameters(): hidden (kept as
    given for one neuron, which has no hidden layer), then the output neuron's."""
    if network == "2-2-1":
        hidden = [*weights[0][0], biases[0][0], *weights[0][1], biases[0][1]]
    return [*hidden, *weights[-1][0], biases[-1][0]]
