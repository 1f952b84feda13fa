"""The network behind the "Basics" tab: activations, output layers, losses, and the forward and
backward passes of a small fully connected network, in numpy. The backward pass is written out
layer by layer instead of taken from an autograd library because the chain rule is what the tab
teaches (and serving stays torch-free); tests/test_basics.py checks every gradient against
torch.autograd and finite differences."""
import numpy as np

from serving.errors import InputError

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
OUTPUTS = {"linear": "linear + mean squared error", "sigmoid": "sigmoid + binary cross-entropy",
           "softmax": "softmax + cross-entropy"}


def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def activate(z, activation: str):
    if activation == "linear":
        return z
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "tanh":
        return np.tanh(z)
    return np.maximum(z, 0.0)


def activation_slope(z, a, activation: str):
    """d activation / d z, elementwise, from the sum z and the value a = activation(z)."""
    if activation == "linear":
        return np.ones_like(z)
    if activation == "sigmoid":
        return a * (1.0 - a)
    if activation == "tanh":
        return 1.0 - a * a
    return (z > 0).astype(z.dtype)


def output_values(logits, output: str):
    if output == "linear":
        return logits
    return sigmoid(logits) if output == "sigmoid" else softmax(logits)


def output_backward(outputs, upstream, output: str):
    """The chain rule through the output layer: dL/dlogits from dL/doutputs (the Jacobian of
    softmax mixes the units; linear and sigmoid act unit by unit)."""
    if output == "linear":
        return upstream
    if output == "sigmoid":
        return upstream * outputs * (1.0 - outputs)
    return outputs * (upstream - (upstream * outputs).sum(axis=-1, keepdims=True))


def loss(logits, targets, output: str) -> float:
    """The loss each output layer is trained with, averaged as torch's losses are: mean squared
    error and binary cross-entropy over every unit of every example, cross-entropy over examples.
    Computed from the logits, so that a confident wrong answer costs a large number, not inf."""
    if output == "linear":
        return float(np.mean((logits - targets) ** 2))
    if output == "sigmoid":
        return float(np.mean(np.logaddexp(0.0, logits) - targets * logits))
    log_norm = np.log(np.exp(logits - logits.max(axis=-1, keepdims=True)).sum(axis=-1)) + logits.max(axis=-1)
    return float(np.mean(log_norm - (targets * logits).sum(axis=-1)))


def loss_gradient(logits, targets, output: str):
    """dL/dlogits for the loss above: each output layer's pairing makes it (outputs - targets),
    scaled by the averaging (and by 2 for the squared error)."""
    outputs = output_values(logits, output)
    if output == "linear":
        return 2.0 * (outputs - targets) / logits.size
    if output == "sigmoid":
        return (outputs - targets) / logits.size
    return (outputs - targets) / logits.shape[0]


def outputs_gradient(outputs, targets, output: str):
    """dL/doutputs, the gradient at the output node itself (shown in the graph; the backward pass
    goes straight to the logits, which stays finite when a sigmoid saturates)."""
    if output == "linear":
        return 2.0 * (outputs - targets) / outputs.size
    with np.errstate(divide="ignore", invalid="ignore"):
        if output == "sigmoid":
            return (outputs - targets) / (outputs * (1.0 - outputs)) / outputs.size
        return -targets / outputs / outputs.shape[0]


def forward(x, weights, biases, activation: str, output: str) -> list[tuple]:
    """[(None, x), (z1, a1), ..., (logits, outputs)]: each layer's weighted sums z = a_prev W^T + b
    and its values, the hidden layers through the activation, the last through the output layer."""
    layers = [(None, x)]
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = layers[-1][1] @ w.T + b
        last = i == len(weights) - 1
        layers.append((z, output_values(z, output) if last else activate(z, activation)))
    return layers


def backward(layers, weights, targets, activation: str, output: str) -> dict:
    """The chain rule, from the loss back to the input, one layer at a time:
    dL/dz of the output layer from the loss; then for each layer dL/dW = dz^T a_prev, dL/db = sum dz,
    dL/da_prev = dz W, and dL/dz_prev = dL/da_prev * activation'(z_prev).
    Returns the weight and bias gradients and, per layer (input first), dL/dz and dL/da."""
    logits, outputs = layers[-1]
    dz = loss_gradient(logits, targets, output)
    grad_w, grad_b = [None] * len(weights), [None] * len(weights)
    grad_z = [None] * len(layers)
    grad_a = [None] * len(layers)
    grad_z[-1], grad_a[-1] = dz, outputs_gradient(outputs, targets, output)
    for i in range(len(weights), 0, -1):
        a_prev = layers[i - 1][1]
        grad_w[i - 1] = dz.T @ a_prev
        grad_b[i - 1] = dz.sum(axis=0)
        da_prev = dz @ weights[i - 1]
        grad_a[i - 1] = da_prev
        if i > 1:
            z_prev = layers[i - 1][0]
            dz = da_prev * activation_slope(z_prev, a_prev, activation)
            grad_z[i - 1] = dz
    return {"weights": grad_w, "biases": grad_b, "sums": grad_z, "values": grad_a}


MAX_UNITS = 16          # the widest layer (and input) the single-example endpoints take


def plain(values) -> list:
    """A JSON list, with None where a value is not finite (dL/doutput of a saturated sigmoid)."""
    return [None if not np.isfinite(v) else float(v) for v in np.ravel(values)]


def target_vector(target, units: int, output: str) -> np.ndarray:
    """What the outputs are compared with: a list with one number per unit, or one number: the
    value itself for a single unit, else a class index (made one-hot)."""
    if isinstance(target, (list, tuple)):
        y = np.asarray(target, dtype=float)
        if y.shape != (units,):
            raise InputError(f"The target has {len(y)} numbers for {units} outputs: give one per "
                              "output, or a class index.")
    elif units == 1:
        y = np.array([float(target)])
    elif float(target).is_integer() and 0 <= target < units:
        y = np.eye(units)[int(target)]
    else:
        raise InputError(f"With {units} outputs the target is a class index 0 to {units - 1}, or "
                          f"{units} numbers (got {target!r}).")
    if not np.all(np.isfinite(y)):
        raise InputError("The target must be finite numbers.")
    if output != "linear" and (y.min() < 0 or y.max() > 1):
        raise InputError(f"A {output} output is a probability: targets must lie between 0 and 1.")
    if output == "softmax" and abs(y.sum() - 1) > 1e-6:
        raise InputError(f"Softmax outputs add up to 1, so the target must too (it adds up to {y.sum():g}): "
                          "give a class index or probabilities that sum to 1.")
    return y


def checked_numbers(values, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.size == 0 or v.size > MAX_UNITS:
        raise InputError(f"Give 1 to {MAX_UNITS} {name} (got {v.size}).")
    if not np.all(np.isfinite(v)) or np.abs(v).max() > 1e6:
        raise InputError(f"The {name} must be finite numbers no larger than a million in size.")
    return v


def output_layer(logits, target, output: str) -> dict:
    """One output layer on typed logits, with both losses and their gradients w.r.t. the logits.
    Mean squared error is taken on the outputs (for sigmoid and softmax, on the probabilities,
    which shows why classification does not use it: its gradient fades when a sigmoid saturates);
    cross-entropy is binary per unit for a sigmoid, over the classes for a softmax, and undefined
    for a linear output (None)."""
    if output not in OUTPUTS:
        raise InputError(f"Unknown output layer {output!r}; choose one of {', '.join(OUTPUTS)}.")
    z = checked_numbers(logits, "logits")
    y = target_vector(target, z.size, output)
    p = output_values(z[None], output)[0]
    mse_gradient = output_backward(p, 2.0 * (p - y) / p.size, output)
    linear = output == "linear"
    return {"outputs": plain(p), "target": plain(y), "mse": float(np.mean((p - y) ** 2)),
            "mse_gradient": plain(mse_gradient),
            "cross_entropy": None if linear else loss(z[None], y[None], output),
            "cross_entropy_gradient": None if linear else plain(loss_gradient(z[None], y[None], output)[0]),
            "p_minus_y": plain(p - y)}


def forward_backward(x, weights, biases, activation: str, output: str, target) -> dict:
    """One example through the network given (weights[layer][to][from], biases[layer][to]):
    the loss, every node's value and gradient, and dL/dweight and dL/dbias in the same nesting."""
    if activation not in ACTIVATIONS:
        raise InputError(f"Unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
    if output not in OUTPUTS:
        raise InputError(f"Unknown output layer {output!r}; choose one of {', '.join(OUTPUTS)}.")
    if not 1 <= len(weights) <= 4 or len(biases) != len(weights):
        raise InputError(f"Give 1 to 4 layers, as many bias lists as weight matrices (got {len(weights)} "
                          f"weight matrices and {len(biases)} bias lists).")
    x = checked_numbers(x, "inputs")
    ws, bs, n_in = [], [], x.size
    for i, (w, b) in enumerate(zip(weights, biases), 1):
        rows = [checked_numbers(row, f"weights into one neuron of layer {i}") for row in w]
        if not rows or len(rows) > MAX_UNITS or any(row.size != n_in for row in rows):
            raise InputError(f"Layer {i}'s weights must be 1 to {MAX_UNITS} rows (one per neuron) of "
                              f"{n_in} numbers (one per input to it).")
        ws.append(np.stack(rows))
        bs.append(checked_numbers(b, f"biases of layer {i}"))
        if bs[-1].size != len(rows):
            raise InputError(f"Layer {i} has {len(rows)} neurons and {bs[-1].size} biases: give one each.")
        n_in = len(rows)
    y = target_vector(target, n_in, output)
    layers = forward(x[None], ws, bs, activation, output)
    grads = backward(layers, ws, y[None], activation, output)
    nodes = [{"name": "input", "values": plain(layers[0][1]), "gradients": plain(grads["values"][0])}]
    for i in range(1, len(layers)):
        nodes.append({"name": "output" if i == len(layers) - 1 else f"hidden {i}",
                      "sums": plain(layers[i][0]), "sum_gradients": plain(grads["sums"][i]),
                      "values": plain(layers[i][1]), "gradients": plain(grads["values"][i])})
    return {"loss": loss(layers[-1][0], y[None], output), "outputs": plain(layers[-1][1]), "layers": nodes,
            "weight_gradients": [g.tolist() for g in grads["weights"]],
            "bias_gradients": [g.tolist() for g in grads["biases"]]}
