"""Calibration of a head's logits (temperature, and a class bias for class-weighted heads) and its error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

_TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 400))


@dataclass(frozen=True)
class Scaling:
    """Calibrated probabilities are softmax(logits / temperature + bias); no bias: temperature scaling alone."""

    temperature: float = 1.0
    bias: tuple[float, ...] = ()

    def probs(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, one row per row of `logits`."""
        return softmax(logits, self.temperature, self.bias)


def softmax(logits: np.ndarray, temperature: float = 1.0, bias: tuple[float, ...] | np.ndarray = ()) -> np.ndarray:
    """Row-wise softmax of logits divided by the temperature, plus a per-class bias if given."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    if len(bias):
        scaled = scaled + np.asarray(bias, dtype=np.float64)
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of the true labels at this temperature."""
    probs = softmax(logits, temperature)
    return float(-np.mean(np.log(probs[np.arange(len(labels)), labels] + 1e-12)))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.25, 8] that minimises held-out NLL (grid search, deterministic)."""
    if len(labels) == 0:
        return 1.0
    losses = [negative_log_likelihood(logits, labels, t) for t in _TEMPERATURES]
    return float(_TEMPERATURES[int(np.argmin(losses))])


def fit_scaling(logits: np.ndarray, labels: np.ndarray, *, bias: bool) -> Scaling:
    """The Scaling that minimises held-out NLL: temperature alone, or with a per-class bias.

    The bias (bias-corrected temperature scaling) undoes a class-weighted loss's shift towards rare
    classes, which one temperature cannot: it moves every class's probability, not their spread.
    Bias and temperature are fitted together by L-BFGS from the grid's temperature; the bias sums to 0.
    """
    temperature = fit_temperature(logits, labels)
    if not bias or len(labels) == 0:
        return Scaling(temperature)
    logits = np.asarray(logits, dtype=np.float64)
    rows, classes = np.arange(len(labels)), logits.shape[1]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        inverse, offsets = np.exp(-params[0]), params[1:]
        probs = softmax(logits * inverse, 1.0, offsets)
        error = probs.copy()
        error[rows, labels] -= 1.0  # d NLL / d scaled logits, per row
        error /= len(labels)
        grad_offsets = error.sum(axis=0)
        grad_log_t = -float((error * logits * inverse).sum())
        nll = float(-np.mean(np.log(probs[rows, labels] + 1e-12)))
        return nll, np.concatenate([[grad_log_t], grad_offsets])

    start = np.concatenate([[np.log(temperature)], np.zeros(classes)])
    bounds = [(np.log(0.25), np.log(8.0))] + [(-5.0, 5.0)] * classes
    found = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    offsets = found.x[1:] - found.x[1:].mean()
    return Scaling(float(np.exp(found.x[0])), tuple(float(round(b, 6)) for b in offsets))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE of the top-label confidence over equal-width bins."""
    probs = np.asarray(probs, dtype=np.float64)
    if len(labels) == 0:
        return 0.0
    return confidence_error(probs.max(axis=1), probs.argmax(axis=1) == np.asarray(labels), bins)


def confidence_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """How far stated confidences are from how often they were right: |accuracy - confidence| per bin, weighted."""
    confidence, correct = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=np.float64)
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)
