"""Looking at the loss as a function of the parameters: finite-difference checks and landscapes.

Nothing here changes the network: every evaluation works on a copy of the parameter vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import get_activation
from .errors import ConfigError
from .losses import Loss, get_loss
from .network import Network
from .notation import ParameterRef
from .training import BatchResult, Training


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


#: Largest number of activations `losses_at` stacks at once.
MAX_STACKED_VALUES = 4_000_000


def losses_at(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str,
              parameters: list[str | ParameterRef], settings: np.ndarray) -> np.ndarray:
    """Mean loss for many settings of a few parameters at once, all others held: `settings: (g, k)`
    gives k values for the k `parameters` per row; returns (g,).

    The forward pass runs on stacked weight matrices `(g, n_in, n_out)`, so a 61 × 61 grid costs a few
    array operations instead of 3,721 passes.
    """
    loss = get_loss(loss) if isinstance(loss, str) else loss
    settings = np.asarray(settings, float)
    refs = [network.resolve(parameter) for parameter in parameters]
    # Settings go through in chunks so the stacked activations stay a few million numbers at most.
    chunk = max(1, MAX_STACKED_VALUES // (max(len(inputs), 1) * max(network.sizes)))
    return np.concatenate([_losses_of_chunk(network, inputs, targets, loss, refs, settings[start:start + chunk])
                           for start in range(0, settings.shape[0], chunk)] or [np.empty(0)])


def _losses_of_chunk(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss,
                     refs: list[ParameterRef], settings: np.ndarray) -> np.ndarray:
    count = settings.shape[0]
    weights = [np.repeat(layer.weights[None], count, axis=0) for layer in network.layers]
    biases = [np.repeat(layer.biases[None, None, :], count, axis=0) for layer in network.layers]
    for column, ref in enumerate(refs):
        if ref.is_bias:
            biases[ref.layer - 1][:, 0, ref.target - 1] = settings[:, column]
        else:
            weights[ref.layer - 1][:, ref.source - 1, ref.target - 1] = settings[:, column]
    activations = np.broadcast_to(np.asarray(inputs, float), (count, *np.shape(inputs)))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for layer, layer_weights, layer_biases in zip(network.layers, weights, biases):
            activations = get_activation(layer.activation).function(activations @ layer_weights + layer_biases)
        per_sample = loss.value(np.asarray(targets, float)[None], activations)   # (g, n)
    return per_sample.mean(axis=1)


def loss_surface(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str,
                 first: str | ParameterRef, first_values: np.ndarray,
                 second: str | ParameterRef, second_values: np.ndarray) -> np.ndarray:
    """Mean loss over a grid of two parameters: (len(first_values), len(second_values))."""
    grid_a, grid_b = np.meshgrid(np.asarray(first_values, float), np.asarray(second_values, float), indexing="ij")
    settings = np.column_stack([grid_a.ravel(), grid_b.ravel()])
    return losses_at(network, inputs, targets, loss, [first, second], settings).reshape(grid_a.shape)


# -- what the learning panels show ------------------------------------------------------------
SCOPES = ("sample", "dataset")


def flat_gradient(network: Network, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str) -> np.ndarray:
    """The engine's gradient of the batch-mean loss, in `parameters()` order: (parameter_count,)."""
    backward = network.backward(network.forward(np.asarray(inputs, float)), np.asarray(targets, float), loss)
    return np.concatenate([np.vstack([gw, gb[None, :]]).T.ravel()
                           for gw, gb in zip(backward.grad_weights, backward.grad_biases)])


def focus_rows(training: Training, batch: BatchResult | None, scope: str) -> np.ndarray:
    """Dataset rows a view looks at: the batch under way (or the next one) for `sample`, the rows training
    visits for `dataset` (all of them, less any held out)."""
    if scope not in SCOPES:
        raise ConfigError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    if scope == "dataset":
        return training.training_rows
    if batch is not None:
        return batch.indices
    return training.current_batch()


def next_values(training: Training, batch: BatchResult | None, scope: str) -> np.ndarray | None:
    """Every parameter after the next update, in `parameters()` order; None when training has stopped.

    For `sample` this is the update training will apply (the batch under way, else the next batch,
    computed without changing anything); for `dataset` it is one full-batch step, θ − η·∇L(θ).
    """
    if scope == "dataset":
        rows = focus_rows(training, batch, scope)
        gradient = flat_gradient(training.network, training.X[rows], training.Y[rows], training.loss)
        with np.errstate(over="ignore", invalid="ignore"):
            return training.network.flat_parameters() - training.config.learning_rate * gradient
    if batch is None:
        if training.finished:
            return None
        batch = training.compute_batch()
    return np.concatenate([np.vstack([weights, biases[None, :]]).T.ravel()
                           for weights, biases in batch.new_parameters])


@dataclass(frozen=True)
class LossSlice:
    """The loss along one parameter, all others held: `values, losses: (k,)`; the current point, the
    engine's gradient there (the tangent's slope) and the value the next update moves it to."""

    parameter: str
    values: np.ndarray
    losses: np.ndarray
    value: float
    loss: float
    gradient: float
    new_value: float | None

    def __repr__(self) -> str:
        return f"LossSlice({self.parameter}={self.value:g}, loss={self.loss:g}, gradient={self.gradient:g})"


def slice_width(value: float, step: float) -> float:
    """A range wide enough to show the current value, zero and the update: max(1, 4·|η·g|, 2·|w|)."""
    width = max(1.0, 4 * abs(step), 2 * abs(value))
    return width if np.isfinite(width) else 1.0


#: How many times the default range of a loss slice may double to take in the loss's lowest point.
MAX_WIDENINGS = 8
#: Points of the coarse probe that looks for the lowest point.
PROBE_POINTS = 33


def reaching_width(network: Network, inputs: np.ndarray, targets: np.ndarray, loss, ref: ParameterRef,
                   value: float, half: float) -> float:
    """`half`, doubled until the loss along `ref` is lowest strictly inside value ± half (a minimum in
    reach), at most MAX_WIDENINGS times; `half` itself when no minimum is in reach (a flat or falling loss)."""
    width = half
    for _ in range(MAX_WIDENINGS + 1):
        probe = value + np.linspace(-width, width, PROBE_POINTS)
        losses = loss_along(network, inputs, targets, loss, ref, probe)
        finite = np.isfinite(losses)
        if not finite.any():
            return half
        lowest = int(np.argmin(np.where(finite, losses, np.inf)))
        if 0 < lowest < PROBE_POINTS - 1 and losses[lowest] < min(losses[0], losses[-1]):
            return width
        width *= 2
    return half


def loss_slice(training: Training, batch: BatchResult | None, parameter: str | ParameterRef, scope: str,
               zoom: float = 1.0, points: int = 161) -> LossSlice:
    """The loss along `parameter` over the focus rows, centred on its value, `zoom` times narrower than
    the default range, which is wide enough to show the loss's lowest point when one is in reach."""
    network = training.network
    ref = network.resolve(parameter)
    index = list(network.parameters()).index(ref)
    rows = focus_rows(training, batch, scope)
    inputs, targets = training.X[rows], training.Y[rows]
    value = network.get(ref)
    gradient = float(flat_gradient(network, inputs, targets, training.loss)[index])
    new = next_values(training, batch, scope)
    new_value = None if new is None or not np.isfinite(new[index]) else float(new[index])
    half = reaching_width(network, inputs, targets, training.loss, ref, value,
                          slice_width(value, training.config.learning_rate * gradient)) / zoom
    values = value + np.linspace(-half, half, points)
    values[points // 2] = value
    return LossSlice(ref.name, values, loss_along(network, inputs, targets, training.loss, ref, values),
                     value, mean_loss(network, inputs, targets, training.loss), gradient, new_value)


@dataclass(frozen=True)
class LossSurface:
    """The loss over a grid of two parameters, all others held: `losses: (len(first_values),
    len(second_values))`; the grid is centred on the current values, which sit on its middle point."""

    first: str
    second: str
    first_values: np.ndarray
    second_values: np.ndarray
    losses: np.ndarray
    value: tuple[float, float]
    loss: float

    def __repr__(self) -> str:
        return (f"LossSurface({self.first}, {self.second}: {self.losses.shape[0]}×{self.losses.shape[1]}, "
                f"loss {self.loss:g} at {self.value})")


def loss_surface_around(training: Training, batch: BatchResult | None, first: str | ParameterRef,
                        second: str | ParameterRef, scope: str, zoom: float = 1.0, points: int = 61,
                        include: np.ndarray | None = None) -> LossSurface:
    """The loss over the focus rows on a grid centred on the two parameters' current values, each axis
    `slice_width / zoom` either side, widened to take in the points `include: (m, 2)` (a path)."""
    network = training.network
    refs = [network.resolve(first), network.resolve(second)]
    if refs[0] == refs[1]:
        raise ConfigError("choose two different parameters")
    points = points + (points + 1) % 2      # odd, so the current value is the middle grid point
    order = list(network.parameters())
    rows = focus_rows(training, batch, scope)
    inputs, targets = training.X[rows], training.Y[rows]
    gradient = flat_gradient(network, inputs, targets, training.loss)
    rate = training.config.learning_rate
    axes = []
    for column, ref in enumerate(refs):
        value = network.get(ref)
        half = slice_width(value, rate * gradient[order.index(ref)]) / zoom
        if include is not None and len(include):
            reach = np.max(np.abs(np.asarray(include, float)[:, column] - value))
            if np.isfinite(reach):   # a path that ran far away (divergence) would hide the valley
                half = max(half, min(1.1 * reach, 100 * half))
        values = value + np.linspace(-half, half, points)
        values[points // 2] = value
        axes.append(values)
    losses = loss_surface(network, inputs, targets, training.loss, refs[0], axes[0], refs[1], axes[1])
    return LossSurface(refs[0].name, refs[1].name, axes[0], axes[1], losses,
                       (network.get(refs[0]), network.get(refs[1])), mean_loss(network, inputs, targets, training.loss))
