"""Looking at the loss as a function of the parameters: finite-difference checks and landscapes.

Nothing here changes the network: every evaluation works on a copy of the parameter vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import Loss, get_loss
from .network import Network
from .notation import ParameterRef


def mean_loss(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str) -> float:
    """Mean per-sample loss of a batch `inputs: (n, n_in)`, `targets: (n, n_out)`."""
    return float(np.mean(network.losses(inputs, targets, loss)))


@dataclass(frozen=True)
class GradientCheck:
    """One parameter's analytic gradient beside a central-difference estimate."""

    parameter: str
    analytic: float
    numeric: float

    @property
    def relative_difference(self) -> float:
        """|a − n| / max(|a|, |n|, 1e-12): ~1e-7 or less means the two agree."""
        scale = max(abs(self.analytic), abs(self.numeric), 1e-12)
        return abs(self.analytic - self.numeric) / scale


def gradient_check(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str,
                   step: float = 1e-6) -> list[GradientCheck]:
    """For every parameter: the engine's gradient of the batch-mean loss and (L(θ+h) − L(θ−h)) / 2h."""
    loss = get_loss(loss) if isinstance(loss, str) else loss
    inputs, targets = np.asarray(inputs, float), np.asarray(targets, float)
    backward = network.backward(network.forward(inputs), targets, loss)
    analytic = np.concatenate([np.vstack([gw, gb[None, :]]).T.ravel()
                               for gw, gb in zip(backward.grad_weights, backward.grad_biases)])
    probe = network.copy()
    base = probe.flat_parameters()
    results = []
    for index, ref in enumerate(network.parameters()):
        h = step * max(1.0, abs(base[index]))
        shifted = base.copy()
        shifted[index] = base[index] + h
        probe.set_flat_parameters(shifted)
        upper = mean_loss(probe, inputs, targets, loss)
        shifted[index] = base[index] - h
        probe.set_flat_parameters(shifted)
        lower = mean_loss(probe, inputs, targets, loss)
        results.append(GradientCheck(ref.name, float(analytic[index]), float((upper - lower) / (2 * h))))
    return results


def loss_along(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str,
               parameter: str | ParameterRef, values: np.ndarray) -> np.ndarray:
    """Mean loss with one parameter set to each of `values: (k,)`, all others held: (k,)."""
    probe = network.copy()
    ref = probe.resolve(parameter)
    result = np.empty(len(values))
    for index, value in enumerate(np.asarray(values, float)):
        probe.set(ref, value)
        result[index] = mean_loss(probe, inputs, targets, loss)
    return result


def loss_surface(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str,
                 first: str | ParameterRef, first_values: np.ndarray,
                 second: str | ParameterRef, second_values: np.ndarray) -> np.ndarray:
    """Mean loss over a grid of two parameters: (len(first_values), len(second_values))."""
    probe = network.copy()
    ref_a, ref_b = probe.resolve(first), probe.resolve(second)
    surface = np.empty((len(first_values), len(second_values)))
    for i, a in enumerate(np.asarray(first_values, float)):
        probe.set(ref_a, a)
        for j, b in enumerate(np.asarray(second_values, float)):
            probe.set(ref_b, b)
            surface[i, j] = mean_loss(probe, inputs, targets, loss)
    return surface
