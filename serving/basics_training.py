"""The Playground of the "Basics" tab: toy data sets, their train/test split and minibatch
gradient descent on the network of serving/basics.py, with the cost of a run bounded."""
import itertools

import numpy as np

from serving.basics import ACTIVATIONS, OUTPUTS, backward, forward, loss
from serving.errors import InputError

DATASETS = {"circle": "circle", "xor": "xor", "gaussians": "two gaussians", "spiral": "spiral", "curve": "curve"}
CLASSES = {"circle": 2, "xor": 2, "gaussians": 2, "spiral": 3, "curve": 0}   # 0: numbers, not classes
GROUPS = {"xor": 4}        # points that the train/test split keeps together (see mirrored_fours)
POINTS = 400
MAX_LAYERS, MAX_NEURONS = 3, 8
HIDDEN_ALLOWED = f"0 to {MAX_LAYERS} hidden layers of 1 to {MAX_NEURONS} neurons each"   # every message says it
MAX_STEPS = 5000
MAX_LEARNING_RATE = 10.0
# steps x batch x parameters: the largest network (2-8-8-8-3, 195 parameters) may do 5,000 steps
# of 50 examples; the default run (500 x 10 x 105) is 1% of it; the worst allowed takes ~1 s
MAX_WORK = 50_000_000
RECORDS = 100              # the loss curves hold at most this many points
GRID, EXTENT = 41, 1.6     # the boundary: GRID x GRID points over [-EXTENT, EXTENT]^2
# the Playground's set-up when it opens: tanh with one hidden layer of 4 separates xor (>= 95% on
# test for seeds 0-9) where a linear activation stays at chance (tests/test_basics.py)
DEFAULTS = {"dataset": "xor", "hidden": [8, 8], "activation": "tanh", "output": "sigmoid",
            "learning_rate": 1.0, "batch_size": 10, "steps": 500, "noise": 0.05, "seed": 0,
            "test_fraction": 0.5}
# what a data set asks for when the visitor picks it: the squared error's gradient is 8x the
# cross-entropy's here (a factor 2, and no sigmoid slope of at most 1/4), so 1.0 diverges
SUGGESTED = {"curve": {"output": "linear", "learning_rate": 0.1},
             "spiral": {"output": "softmax", "learning_rate": 0.5}}


def init_network(sizes: list[int], seed: int) -> tuple[list, list]:
    """Weights drawn with variance 1/fan-in (so tanh and sigmoid start unsaturated), biases 0."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in)) for n_in, n_out in itertools.pairwise(sizes)]
    return weights, [np.zeros(n) for n in sizes[1:]]


def parameter_count(sizes: list[int]) -> int:
    return sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))


def make_dataset(dataset: str, noise: float, seed: int, points: int = POINTS):
    """(x, y): x of shape (points, 2), or (points, 1) for the curve; y the class of each point
    (int) or, for the curve, its value. Coordinates lie within about [-1, 1]; noise is the standard
    deviation of the Gaussian jitter added to the points (to the values for the curve)."""
    rng = np.random.default_rng(seed)
    half = points // 2
    if dataset == "curve":
        x = rng.uniform(-1.0, 1.0, (points, 1))
        return x, np.sin(3.0 * x[:, 0]) + noise * rng.normal(size=points)
    if dataset == "circle":   # a disc inside a ring, with a gap between them
        radius = np.concatenate([rng.uniform(0.0, 0.5, half), rng.uniform(0.7, 1.0, points - half)])
        angle = rng.uniform(0.0, 2 * np.pi, points)
        x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        y = (np.arange(points) < half).astype(int)
    elif dataset == "xor":    # the four quadrants, 0.1 away from the axes before the noise
        corner = rng.uniform(0.1, 1.0, (points // 4, 2))
        return mirrored_fours(corner + noise * rng.normal(size=corner.shape))
    elif dataset == "gaussians":
        y = (np.arange(points) < half).astype(int)
        x = rng.normal(0.0, 0.25, (points, 2)) + np.where(y[:, None] == 1, 0.5, -0.5)
    else:                     # spiral: three arms winding out from the centre
        y = np.arange(points) % 3
        radius = rng.uniform(0.05, 1.0, points)
        angle = 2 * np.pi * y / 3 + 4.0 * radius
        x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return x + noise * rng.normal(size=x.shape), y


def mirrored_fours(corner):
    """xor from points of one quadrant: each point (a, b) also at (-a, -b) (the same class) and
    at (-a, b) and (a, -b) (the other class), consecutive in that order. Every straight line then
    loses as much as it gains, so the best logistic regression is the constant 0.5 (not, by the
    luck of the draw, a line that catches a crowded corner)."""
    a, b = corner[:, 0], corner[:, 1]
    x = np.stack([np.stack([a, b], 1), np.stack([-a, -b], 1), np.stack([-a, b], 1), np.stack([a, -b], 1)], axis=1)
    return x.reshape(-1, 2), np.tile([1, 1, 0, 0], len(corner))


def split(x, y, test_fraction: float, seed: int, group: int = 1):
    """(x_train, y_train, x_test, y_test), a random split of the points in groups of `group`
    consecutive points (xor's mirrored fours stay together, so both sets stay mirrored)."""
    groups = np.random.default_rng(seed + 1).permutation(len(x) // group)
    n_test = round(test_fraction * len(groups))
    test = (groups[:n_test, None] * group + np.arange(group)).ravel()
    train = (groups[n_test:, None] * group + np.arange(group)).ravel()
    return x[train], y[train], x[test], y[test]


def points(dataset: str, noise: float, seed: int, test_fraction: float):
    """The data set of a run, split: (x_train, y_train, x_test, y_test)."""
    return split(*make_dataset(dataset, noise, seed), test_fraction, seed, GROUPS.get(dataset, 1))


def targets_for(y, dataset: str, output: str):
    """What the output layer is compared with: the value (a column), the class as 0/1 (a
    column), or the class one-hot."""
    if output == "softmax":
        return np.eye(CLASSES[dataset])[y]
    return y.astype(float)[:, None]


def check_setup(dataset: str, hidden: list[int], activation: str, output: str, learning_rate: float,
                batch_size: int, steps: int, noise: float, test_fraction: float) -> list[int]:
    """The layer sizes, input to output; or InputError saying which setting to change."""
    if dataset not in DATASETS:
        raise InputError(f"Unknown data set {dataset!r}; choose one of {', '.join(DATASETS)}.")
    if activation not in ACTIVATIONS:
        raise InputError(f"Unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}.")
    if output not in OUTPUTS:
        raise InputError(f"Unknown output layer {output!r}; choose one of {', '.join(OUTPUTS)}.")
    classes = CLASSES[dataset]
    if classes == 0 and output != "linear":
        raise InputError(f"The {dataset} asks for numbers, not classes: choose the linear output "
                          "with mean squared error.")
    if classes and output == "linear":
        raise InputError(f"{dataset} is a classification data set: choose sigmoid + binary "
                          "cross-entropy or softmax + cross-entropy.")
    if classes > 2 and output == "sigmoid":
        raise InputError(f"{dataset} has {classes} classes and a sigmoid tells only two apart: "
                          "choose softmax + cross-entropy.")
    if len(hidden) > MAX_LAYERS:
        raise InputError(f"At most {MAX_LAYERS} hidden layers (got {len(hidden)}); allowed: {HIDDEN_ALLOWED}.")
    for i, n in enumerate(hidden, 1):
        if n < 1:
            raise InputError(f"Hidden layer {i} has no neurons (remove the layer); allowed: {HIDDEN_ALLOWED}.")
        if n > MAX_NEURONS:
            raise InputError(f"Hidden layer {i} has {n} neurons, at most {MAX_NEURONS}; allowed: {HIDDEN_ALLOWED}.")
    if not 0 < learning_rate <= MAX_LEARNING_RATE:
        raise InputError(f"The learning rate must be above 0 and at most {MAX_LEARNING_RATE:g} "
                          f"(got {learning_rate:g}); 0.01 to 1 suits these networks.")
    if not 0 <= noise <= 1:
        raise InputError(f"Noise must be between 0 and 1 (got {noise:g}).")
    if not 0.1 <= test_fraction <= 0.9:
        raise InputError(f"The test share must be between 0.1 and 0.9 (got {test_fraction:g}).")
    n_train = POINTS - round(test_fraction * POINTS)
    if not 1 <= batch_size <= n_train:
        raise InputError(f"The batch size must be 1 to {n_train}, the number of training points "
                          f"(got {batch_size}).")
    if not 1 <= steps <= MAX_STEPS:
        raise InputError(f"Steps must be 1 to {MAX_STEPS:,} (got {steps}).")
    sizes = [1 if classes == 0 else 2, *hidden, 1 if output != "softmax" else classes]
    work = steps * batch_size * parameter_count(sizes)
    if work > MAX_WORK:
        raise InputError(f"That run is too long for this page: steps x batch x parameters = "
                          f"{steps:,} x {batch_size} x {parameter_count(sizes)} = {work:,}, at most "
                          f"{MAX_WORK:,}. Use fewer steps, a smaller batch or a smaller network.")
    return sizes


def training(x_train, t_train, x_test, t_test, sizes, activation: str, output: str,
             learning_rate: float, batch_size: int, steps: int, seed: int):
    """Minibatch gradient descent; yields (step, weights, biases, curves) whenever the loss curves
    gain a point (at most RECORDS times, the last at the last step), curves being
    {"steps", "train_loss", "test_loss"} over the whole train and test sets.
    Raises InputError when the loss stops being a finite number."""
    weights, biases = init_network(sizes, seed)
    rng = np.random.default_rng(seed + 2)
    every = max(1, steps // RECORDS)
    curves = {"steps": [], "train_loss": [], "test_loss": []}
    order, at = rng.permutation(len(x_train)), 0
    for step in range(1, steps + 1):
        if at + batch_size > len(order):  # a new pass over the shuffled training set
            order, at = rng.permutation(len(x_train)), 0
        batch = order[at:at + batch_size]
        at += batch_size
        recorded = step % every == 0 or step == steps
        # a diverging run overflows on its way to inf: caught by its loss below. Not around the
        # yield: errstate is a context variable, and Gradio resumes a generator in another context
        with np.errstate(over="ignore", invalid="ignore"):
            batch_loss = descend(x_train[batch], t_train[batch], weights, biases, activation, output, learning_rate)
            if recorded:
                curves["steps"].append(step)
                for name, x, t in (("train_loss", x_train, t_train), ("test_loss", x_test, t_test)):
                    curves[name].append(loss(forward(x, weights, biases, activation, output)[-1][0], t, output))
        if not np.isfinite(batch_loss) or batch_loss > 1e12:
            raise InputError(f"The loss became infinite at step {step}: lower the learning rate.")
        if recorded:
            yield step, weights, biases, curves


def descend(x, targets, weights, biases, activation: str, output: str, learning_rate: float) -> float:
    """One step of gradient descent on a batch, in place; returns the batch's loss before it."""
    layers = forward(x, weights, biases, activation, output)
    grads = backward(layers, weights, targets, activation, output)
    for w, b, gw, gb in zip(weights, biases, grads["weights"], grads["biases"]):
        w -= learning_rate * gw
        b -= learning_rate * gb
    return loss(layers[-1][0], targets, output)


def predict(x, weights, biases, activation: str, output: str):
    return forward(x, weights, biases, activation, output)[-1][1]


def score(x, y, weights, biases, activation: str, output: str) -> float:
    """Accuracy for classes, mean squared error for numbers."""
    outputs = predict(x, weights, biases, activation, output)
    if output == "linear":
        return float(np.mean((outputs[:, 0] - y) ** 2))
    guess = (outputs[:, 0] > 0.5).astype(int) if output == "sigmoid" else outputs.argmax(axis=1)
    return float(np.mean(guess == y))


def boundary(weights, biases, activation: str, output: str) -> dict:
    """The network's class probabilities over a grid: {"x", "y", "probabilities": [row y][column x]
    [class]} (for a sigmoid, [1 - p, p])."""
    axis = np.linspace(-EXTENT, EXTENT, GRID)
    gx, gy = np.meshgrid(axis, axis)
    outputs = predict(np.stack([gx.ravel(), gy.ravel()], axis=1), weights, biases, activation, output)
    if output == "sigmoid":
        outputs = np.concatenate([1.0 - outputs, outputs], axis=1)
    return {"x": axis.tolist(), "y": axis.tolist(),
            "probabilities": outputs.reshape(GRID, GRID, -1).round(4).tolist()}


def fitted_curve(weights, biases, activation: str) -> dict:
    x = np.linspace(-1.2, 1.2, 121)
    return {"x": x.round(4).tolist(), "y": predict(x[:, None], weights, biases, activation, "linear")[:, 0].tolist()}


def train(dataset: str = DEFAULTS["dataset"], hidden: list[int] = DEFAULTS["hidden"],
          activation: str = DEFAULTS["activation"], output: str = DEFAULTS["output"],
          learning_rate: float = DEFAULTS["learning_rate"], batch_size: int = DEFAULTS["batch_size"],
          steps: int = DEFAULTS["steps"], noise: float = DEFAULTS["noise"], seed: int = DEFAULTS["seed"],
          test_fraction: float = DEFAULTS["test_fraction"]):
    """One Playground run, checked first: yields each progress point of training(), and returns
    (through StopIteration, so `yield from` hands it on) the run's result: result() below."""
    sizes = check_setup(dataset, hidden, activation, output, learning_rate, batch_size, steps, noise, test_fraction)
    x_train, y_train, x_test, y_test = points(dataset, noise, seed, test_fraction)
    run = training(x_train, targets_for(y_train, dataset, output), x_test, targets_for(y_test, dataset, output),
                   sizes, activation, output, learning_rate, batch_size, steps, seed)
    for step, weights, biases, curves in run:
        yield step, weights, biases, curves
    metric = "mse" if output == "linear" else "accuracy"
    return {"steps": curves["steps"], "train_loss": curves["train_loss"], "test_loss": curves["test_loss"],
            f"train_{metric}": score(x_train, y_train, weights, biases, activation, output),
            f"test_{metric}": score(x_test, y_test, weights, biases, activation, output),
            "boundary": None if output == "linear" else boundary(weights, biases, activation, output),
            "curve": fitted_curve(weights, biases, activation) if output == "linear" else None,
            "points": {"train": {"x": x_train.round(4).tolist(), "y": y_train.tolist()},
                       "test": {"x": x_test.round(4).tolist(), "y": y_test.tolist()}},
            "weights": [w.tolist() for w in weights], "biases": [b.tolist() for b in biases]}


def run_to_end(*args, **kwargs) -> dict:
    """train() without the progress: the result alone."""
    run = train(*args, **kwargs)
    while True:
        try:
            next(run)
        except StopIteration as end:
            return end.value


def collapse_note(result: dict, dataset: str, hidden: list[int], activation: str, output: str,
                  learning_rate: float, batch_size: int, steps: int, noise: float, seed: int,
                  test_fraction: float) -> str:
    """The one line the tab adds when linear hidden layers do no better than no hidden layer: a
    stack of linear maps is one linear map. Empty otherwise. Trains that logistic (softmax)
    regression on the same points to compare."""
    if activation != "linear" or not hidden or output == "linear":
        return ""
    plain = run_to_end(dataset, [], "linear", output, learning_rate, batch_size, steps, noise, seed, test_fraction)
    if result["test_accuracy"] > plain["test_accuracy"] + 0.05:
        return ""
    layers = f"{len(hidden)} hidden layer{'s' * (len(hidden) > 1)}"
    return (f"With the linear activation the {layers} collapse into one linear map, so this network "
            f"draws only straight boundaries: {100 * result['test_accuracy']:.1f}% on test, no better "
            f"than logistic regression with no hidden layer ({100 * plain['test_accuracy']:.1f}%). "
            "Pick tanh, sigmoid or ReLU.")
