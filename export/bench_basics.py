"""The Basics tab's numbers, measured in one run: the default Playground run's median time
in-process (500 steps, 400 points, two hidden layers of 8; target < 0.3 s), xor's test accuracy
with a linear and with a tanh activation over seeds, and the largest difference between the
tab's hand-written gradients and torch.autograd's (float64) over every activation, output layer,
loss and shape. The torch side is also what tests/test_basics.py checks against.

    python -m export.bench_basics            # writes results/bench_basics.json
"""
import argparse
import itertools
import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from export.timing import median_ms
from serving import basics
from serving.basics import ACTIVATIONS, OUTPUTS
from serving.basics_training import DEFAULTS, run_to_end

SHAPES = [[2, 1], [2, 3, 1], [3, 4, 4, 2], [1, 5, 3, 2, 4]]   # input, hidden..., output units
ROOT = Path(__file__).resolve().parent.parent


def random_network(sizes: list[int], seed: int, batch: int, output: str):
    """(x, weights, biases, targets) for a network of these layer sizes, targets as the output
    layer wants them: values, 0/1 per unit, or one-hot classes."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 0.8, (n_out, n_in)) for n_in, n_out in itertools.pairwise(sizes)]
    biases = [rng.normal(0, 0.5, n) for n in sizes[1:]]
    x = rng.normal(0, 1, (batch, sizes[0]))
    if output == "linear":
        targets = rng.normal(0, 1, (batch, sizes[-1]))
    elif output == "sigmoid":
        targets = rng.integers(0, 2, (batch, sizes[-1])).astype(float)
    else:
        targets = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    return x, weights, biases, targets


def torch_pass(x, weights, biases, targets, activation: str, output: str):
    """The same network in torch (float64) after loss.backward(): (loss, weight tensors, bias
    tensors, [(z, a) per layer, input first as (None, x)]), every tensor holding its .grad."""
    hidden_fn = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    output_fn = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, dim=-1)}[output]
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    bs = [torch.tensor(b, requires_grad=True) for b in biases]
    kept = [(None, torch.tensor(x, requires_grad=True))]
    for i, (w, b) in enumerate(zip(ws, bs)):
        z = kept[-1][1] @ w.T + b
        a = output_fn(z) if i == len(ws) - 1 else hidden_fn(z)
        z.retain_grad()
        a.retain_grad()
        kept.append((z, a))
    logits, y = kept[-1][0], torch.tensor(targets)
    loss = (F.mse_loss(logits, y) if output == "linear" else
            F.binary_cross_entropy_with_logits(logits, y) if output == "sigmoid" else F.cross_entropy(logits, y))
    loss.backward()
    return loss, ws, bs, kept


def gradient_difference(sizes: list[int], activation: str, output: str, seed: int = 0, batch: int = 5) -> float:
    """The largest absolute difference between ours and torch's: the loss, every weight's and
    bias's gradient, dL/dx, and every layer's dL/dz (and dL/da below the output layer)."""
    x, weights, biases, targets = random_network(sizes, seed, batch, output)
    layers = basics.forward(x, weights, biases, activation, output)
    grads = basics.backward(layers, weights, targets, activation, output)
    loss, ws, bs, kept = torch_pass(x, weights, biases, targets, activation, output)

    def diff(ours, theirs) -> float:
        return float(np.max(np.abs(np.asarray(ours) - theirs.detach().numpy())))

    diffs = [abs(basics.loss(layers[-1][0], targets, output) - loss.item()), diff(grads["values"][0], kept[0][1].grad)]
    diffs += [diff(g, w.grad) for g, w in zip(grads["weights"], ws)] + [diff(g, b.grad) for g, b in zip(grads["biases"], bs)]
    for i in range(1, len(kept)):
        diffs += [diff(grads["sums"][i], kept[i][0].grad), diff(layers[i][1], kept[i][1])]
        if i < len(kept) - 1:
            diffs.append(diff(grads["values"][i], kept[i][1].grad))
    return max(diffs)


def shapes_for(output: str) -> list[list[int]]:
    """SHAPES, with at least 2 output units for a softmax (over one unit it is always 1)."""
    return [s if output != "softmax" or s[-1] > 1 else [*s[:-1], 3] for s in SHAPES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench_basics.json")
    args = parser.parse_args()
    load = os.getloadavg()[0]   # the machine is shared: the median is only as quiet as it was
    seconds = median_ms(lambda: run_to_end(**DEFAULTS), args.repeats, warmup=3) / 1000
    linear = [run_to_end(**dict(DEFAULTS, activation="linear", seed=s))["test_accuracy"] for s in range(args.seeds)]
    tanh4 = [run_to_end(**dict(DEFAULTS, hidden=[4], seed=s))["test_accuracy"] for s in range(args.seeds)]
    gradients = max(gradient_difference(sizes, activation, output)
                    for activation in ACTIVATIONS for output in OUTPUTS for sizes in shapes_for(output))
    result = {"default_run": DEFAULTS, "median_seconds": round(seconds, 4),
              "repeats": args.repeats, "load_average_before": round(load, 2), "xor_linear_8_8_test_accuracy": linear, "xor_tanh_4_test_accuracy": tanh4,
              "max_abs_gradient_difference_vs_torch": gradients,
              "gradient_checks": len(ACTIVATIONS) * len(OUTPUTS) * len(SHAPES)}
    print(f"default run (500 steps, 400 points, 2x8 tanh): median {seconds:.3f} s over {args.repeats} "
          f"(target < 0.3 s; load average {load:.1f} before)")
    print(f"xor, seeds 0-{args.seeds - 1}: linear 8-8 test accuracy max {max(linear):.3f} (target <= 0.60); "
          f"tanh 4 min {min(tanh4):.3f} (target >= 0.95)")
    print(f"gradients vs torch.autograd (float64), {result['gradient_checks']} set-ups: "
          f"max abs difference {gradients:.2e} (target <= 1e-9)")
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
