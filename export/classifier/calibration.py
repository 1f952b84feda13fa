"""Calibrated probabilities: one softmax temperature fitted on dev, and how far confidence is
from accuracy before and after."""
import numpy as np


def fit_temperature(logits: np.ndarray, labels) -> float:
    """The T minimising the negative log-likelihood of softmax(logits / T) (Guo et al. 2017)."""
    labels = np.asarray(labels)
    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 600))

    def nll(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(z)), labels]))
    return float(min(grid, key=nll))


def expected_calibration_error(logits: np.ndarray, labels, bins: int = 15) -> float:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = z / z.sum(axis=1, keepdims=True)
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == np.asarray(labels)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(sum(abs(confidence[which == b].mean() - correct[which == b].mean())
                     * (which == b).mean() for b in range(bins) if (which == b).any()))
