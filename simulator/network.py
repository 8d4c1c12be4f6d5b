"""A fully connected feed-forward network: parameters, forward pass and backward pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Iterator, Sequence

import numpy as np

from .activations import ACTIVATIONS, DEFAULT_ACTIVATION, get_activation, probability_activations
from .errors import ConfigError
from .losses import LOSSES, Loss, get_loss
from .notation import ParameterRef, parse_parameter
from .row_blocks import in_row_blocks


@dataclass
class Layer:
    """One layer: `weights: (n_in, n_out)` (weights[i, j] from neuron i to neuron j), `biases: (n_out,)`."""

    weights: np.ndarray
    biases: np.ndarray
    activation: str = DEFAULT_ACTIVATION

    def __post_init__(self) -> None:
        get_activation(self.activation)
        self.weights = np.array(self.weights, dtype=float, ndmin=2)
        self.biases = np.array(self.biases, dtype=float, ndmin=1)
        if self.weights.ndim != 2 or self.biases.ndim != 1:
            raise ConfigError("a layer needs a 2-D weight matrix and a 1-D bias vector")
        if self.weights.shape[1] != self.biases.shape[0]:
            raise ConfigError(
                f"a layer with {self.weights.shape[1]} neurons needs {self.weights.shape[1]} biases, "
                f"not {self.biases.shape[0]}")
        if self.weights.shape[0] < 1 or self.weights.shape[1] < 1:
            raise ConfigError("every layer needs at least one input and one neuron")

    @property
    def n_in(self) -> int:
        return self.weights.shape[0]

    @property
    def n_out(self) -> int:
        return self.weights.shape[1]

    def copy(self) -> "Layer":
        return Layer(self.weights.copy(), self.biases.copy(), self.activation)

    def __repr__(self) -> str:
        return f"Layer({self.n_in}→{self.n_out}, {self.activation})"


@dataclass
class ForwardCache:
    """Values of one forward pass over a batch: `inputs[l]: (n, n_in of layer l)`, `z[l], out[l]: (n, n_out)`."""

    inputs: list[np.ndarray]
    z: list[np.ndarray]
    out: list[np.ndarray]

    @property
    def prediction(self) -> np.ndarray:
        """ŷ: (n, n_outputs)."""
        return self.out[-1]


@dataclass
class BackwardCache:
    """The terms of the chain rule for a batch, per layer l (0-based), each `(n, n_out of layer l)`.

    `d_out[l]` is ∂L/∂o (∂L/∂ŷ for the last layer), `act_grad[l]` is ∂o/∂z, `delta[l]` is ∂L/∂z;
    `grad_weights[l]: (n_in, n_out)` and `grad_biases[l]: (n_out,)` are the batch-mean gradients;
    `propagated_weights[l]` are the weights of layer l that carried ∂L/∂z back to layer l − 1.
    """

    d_out: list[np.ndarray]
    act_grad: list[np.ndarray]
    delta: list[np.ndarray]
    grad_weights: list[np.ndarray]
    grad_biases: list[np.ndarray]
    propagated_weights: list[np.ndarray]


@dataclass
class Network:
    """Layers plus the names of the inputs and outputs (taken from the dataset)."""

    layers: list[Layer]
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.layers:
            raise ConfigError("a network needs at least one layer")
        for index in range(1, len(self.layers)):
            if self.layers[index].n_in != self.layers[index - 1].n_out:
                raise ConfigError(
                    f"layer {index + 1} takes {self.layers[index].n_in} inputs but layer {index} "
                    f"has {self.layers[index - 1].n_out} neurons")
        if not self.input_names:
            self.input_names = [f"x{i + 1}" for i in range(self.n_inputs)]
        if not self.output_names:
            self.output_names = [f"y{i + 1}" if self.n_outputs > 1 else "y" for i in range(self.n_outputs)]
        if len(self.input_names) != self.n_inputs:
            raise ConfigError(f"{len(self.input_names)} input names for {self.n_inputs} inputs")
        if len(self.output_names) != self.n_outputs:
            raise ConfigError(f"{len(self.output_names)} output names for {self.n_outputs} outputs")
        for index, layer in enumerate(self.layers[:-1], start=1):
            activation = get_activation(layer.activation)
            if activation.over_layer:
                raise ConfigError(f"{activation.name} is for the output layer only (layer {index} is hidden): "
                                  "it makes the outputs probabilities that sum to 1")
        output = get_activation(self.layers[-1].activation)
        if output.over_layer and self.n_outputs < 2:
            raise ConfigError(f"{output.name} needs at least two outputs, one per class (with one output it "
                              "is always 1); for a yes/no target use a sigmoid output with binary cross-entropy")

    # -- shape ---------------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer, the input first: [2, 2, 1] for the lectures' network."""
        return [self.n_inputs] + [layer.n_out for layer in self.layers]

    def copy(self) -> "Network":
        return Network([layer.copy() for layer in self.layers], list(self.input_names),
                       list(self.output_names))

    def __repr__(self) -> str:
        shape = "-".join(str(size) for size in self.sizes)
        activations = ",".join(layer.activation for layer in self.layers)
        return f"Network({shape}, {activations})"

    # -- parameters ----------------------------------------------------------------------------
    def parameters(self) -> Iterator[ParameterRef]:
        """Every parameter, layer by layer, neuron by neuron: its weights, then its bias."""
        for layer_index, layer in enumerate(self.layers, start=1):
            for target in range(1, layer.n_out + 1):
                for source in range(1, layer.n_in + 1):
                    yield ParameterRef(layer_index, target, source)
                yield ParameterRef(layer_index, target)

    def parameter_count(self) -> int:
        return sum(layer.weights.size + layer.biases.size for layer in self.layers)

    def _check_ref(self, ref: ParameterRef) -> Layer:
        if not 1 <= ref.layer <= len(self.layers):
            raise ConfigError(f"{ref.name}: the network has no layer {ref.layer}")
        layer = self.layers[ref.layer - 1]
        if not 1 <= ref.target <= layer.n_out:
            raise ConfigError(f"{ref.name}: layer {ref.layer} has no neuron {ref.target}")
        if not ref.is_bias and not 1 <= ref.source <= layer.n_in:
            raise ConfigError(f"{ref.name}: layer {ref.layer} has no input {ref.source}")
        return layer

    def resolve(self, name: str | ParameterRef) -> ParameterRef:
        ref = name if isinstance(name, ParameterRef) else parse_parameter(name)
        self._check_ref(ref)
        return ref

    def get(self, name: str | ParameterRef) -> float:
        """The value of a parameter by name (`w111`, `b21`) or reference."""
        ref = self.resolve(name)
        layer = self.layers[ref.layer - 1]
        if ref.is_bias:
            return float(layer.biases[ref.target - 1])
        return float(layer.weights[ref.source - 1, ref.target - 1])

    def set(self, name: str | ParameterRef, value: float) -> None:
        """Set one parameter by hand; refuses non-finite values and leaves the network unchanged."""
        ref = self.resolve(name)
        number = float(value)
        if not np.isfinite(number):
            raise ConfigError(f"{ref.name} must be a finite number, not {value!r}")
        layer = self.layers[ref.layer - 1]
        if ref.is_bias:
            layer.biases[ref.target - 1] = number
        else:
            layer.weights[ref.source - 1, ref.target - 1] = number

    def flat_parameters(self) -> np.ndarray:
        """All parameters in `parameters()` order: (parameter_count,)."""
        parts = []
        for layer in self.layers:
            parts.append(np.vstack([layer.weights, layer.biases[None, :]]).T.ravel())
        return np.concatenate(parts)

    def set_flat_parameters(self, values: np.ndarray) -> None:
        """Inverse of `flat_parameters`."""
        values = np.asarray(values, dtype=float)
        if values.shape != (self.parameter_count(),):
            raise ConfigError(f"expected {self.parameter_count()} parameter values, got {values.shape}")
        offset = 0
        for layer in self.layers:
            size = (layer.n_in + 1) * layer.n_out
            block = values[offset:offset + size].reshape(layer.n_out, layer.n_in + 1).T
            layer.weights[...] = block[:-1]
            layer.biases[...] = block[-1]
            offset += size

    def state(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """A copy of every layer's (weights, biases), for restoring later."""
        return [(layer.weights.copy(), layer.biases.copy()) for layer in self.layers]

    def restore(self, state: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        for layer, (weights, biases) in zip(self.layers, state):
            layer.weights[...] = weights
            layer.biases[...] = biases

    def all_finite(self) -> bool:
        return all(np.isfinite(layer.weights).all() and np.isfinite(layer.biases).all()
                   for layer in self.layers)

    # -- computation ---------------------------------------------------------------------------
    def forward(self, inputs: np.ndarray, buffers: "BatchBuffers | None" = None) -> ForwardCache:
        """Forward pass of a batch `inputs: (n, n_inputs)`: z = a·W + b, then o = f(z), layer by layer.

        The arrays are written into `buffers` when given (the fast path reuses them, so that cache is
        overwritten by the next pass), else into new ones, a cache to keep.
        """
        activations = np.asarray(inputs, dtype=float)
        if buffers is None:
            buffers = BatchBuffers(self, activations.shape[0], forward_only=True)
        cache = ForwardCache([], [], [])
        with np.errstate(over="ignore", invalid="ignore"):
            for layer, z, out, scratch, mask in zip(self.layers, buffers.z, buffers.out, buffers.scratch,
                                                    buffers.masks):
                np.matmul(activations, layer.weights, out=z)
                in_row_blocks(partial(_biased_activation, layer.biases, get_activation(layer.activation)),
                              (z, out, scratch, mask))
                cache.inputs.append(activations)
                cache.z.append(z)
                cache.out.append(out)
                activations = out
        return cache

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """ŷ for a batch: (n, n_outputs)."""
        return self.forward(inputs).prediction

    def backward(self, cache: ForwardCache, targets: np.ndarray, loss: Loss | str,
                 in_place_rate: float | None = None, buffers: "BatchBuffers | None" = None) -> BackwardCache:
        """Chain rule from the loss back to every parameter; gradients are means over the batch.

        `in_place_rate` reproduces a common mistake for demonstration: each layer's weights are
        updated (with that learning rate) before ∂L/∂z is carried back through them. Arrays are
        written into `buffers` when given (see `forward`), else into new ones.
        """
        loss = get_loss(loss) if isinstance(loss, str) else loss
        targets = np.asarray(targets, dtype=float)
        count = targets.shape[0]
        if buffers is None:
            buffers = BatchBuffers(self, count)
        n_layers = len(self.layers)
        result = BackwardCache(*([None] * n_layers for _ in range(6)))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            d_out = buffers.d_out[-1]
            d_out[...] = loss.gradient(targets, cache.prediction)
            for index in range(n_layers - 1, -1, -1):
                layer = self.layers[index]
                act_grad, delta = buffers.act_grad[index], buffers.delta[index]
                activation = get_activation(layer.activation)
                if index == n_layers - 1 and loss.gradient_of_z is not None \
                        and loss.simplifies_with == activation.name:
                    in_row_blocks(activation.gradient_into, (cache.z[index], cache.out[index], act_grad))
                    delta[...] = loss.gradient_of_z(targets, cache.prediction)   # softmax + cross-entropy: ŷ − y
                else:
                    in_row_blocks(partial(_chain_factors, activation),
                                  (cache.z[index], cache.out[index], d_out, act_grad, delta))
                result.d_out[index] = d_out
                result.act_grad[index] = act_grad
                result.delta[index] = delta
                grad_w, grad_b = buffers.grad_weights[index], buffers.grad_biases[index]
                np.matmul(cache.inputs[index].T, delta, out=grad_w)
                np.sum(delta, axis=0, out=grad_b)
                if count != 1:
                    np.divide(grad_w, count, out=grad_w)
                    np.divide(grad_b, count, out=grad_b)
                result.grad_weights[index] = grad_w
                result.grad_biases[index] = grad_b
                weights = layer.weights if in_place_rate is None else layer.weights - in_place_rate * grad_w
                result.propagated_weights[index] = weights
                if index > 0:
                    d_out = buffers.d_out[index - 1]
                    np.matmul(delta, weights.T, out=d_out)
        return result

    def losses(self, inputs: np.ndarray, targets: np.ndarray, loss: Loss | str) -> np.ndarray:
        """Per-sample loss of a batch: (n,)."""
        loss = get_loss(loss) if isinstance(loss, str) else loss
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return loss.value(np.asarray(targets, dtype=float), self.predict(inputs))


def _biased_activation(biases: np.ndarray, activation, z: np.ndarray, out: np.ndarray, scratch, mask) -> None:
    """z += b, then o = f(z), for some rows of a layer: `biases: (n_out,)`, the arrays `(rows, n_out)`."""
    np.add(z, biases, out=z)
    activation.function_into(z, out, scratch, mask)


def _chain_factors(activation, z: np.ndarray, a: np.ndarray, d_out: np.ndarray, act_grad: np.ndarray,
                   delta: np.ndarray) -> None:
    """∂o/∂z into `act_grad`, then ∂L/∂z into `delta`, for some rows of a layer (all `(rows, n_out)`)."""
    activation.gradient_into(z, a, act_grad)
    activation.backward_into(z, a, d_out, act_grad, delta)


class BatchBuffers:
    """The arrays one forward and backward pass over `rows` rows of `network` write into.

    Made once per batch shape and reused from batch to batch by the fast path, so that an epoch of
    full-batch training allocates (almost) nothing: each array is overwritten by the next batch.
    `forward_only` makes only what `Network.forward` writes (z, o and the activations' scratch), for
    a forward pass on its own: a prediction, or each point of a loss slice.
    """

    def __init__(self, network: Network, rows: int, forward_only: bool = False):
        sizes = network.sizes
        layer_arrays = lambda: [np.empty((rows, size)) for size in sizes[1:]]
        self.z, self.out = layer_arrays(), layer_arrays()
        # A scratch array and a mask besides z and o, for the activations that ask for them.
        needed = [get_activation(layer.activation).needs_scratch for layer in network.layers]
        self.scratch = [np.empty((rows, size)) if need else None for size, need in zip(sizes[1:], needed)]
        self.masks = [np.empty((rows, size), dtype=bool) if need else None for size, need in zip(sizes[1:], needed)]
        if forward_only:   # used once and dropped: never looked up by its key
            return
        self.key = buffers_key(network, rows)
        self.inputs = np.empty((rows, sizes[0]))
        self.targets = np.empty((rows, sizes[-1]))
        self.d_out, self.act_grad, self.delta = layer_arrays(), layer_arrays(), layer_arrays()
        self.grad_weights = [np.empty_like(layer.weights) for layer in network.layers]
        self.grad_biases = [np.empty_like(layer.biases) for layer in network.layers]
        self.new_weights = [np.empty_like(layer.weights) for layer in network.layers]
        self.new_biases = [np.empty_like(layer.biases) for layer in network.layers]
        self.weight_steps = [np.empty_like(layer.weights) for layer in network.layers]
        self.bias_steps = [np.empty_like(layer.biases) for layer in network.layers]


def buffers_key(network: Network, rows: int) -> tuple:
    """What `BatchBuffers` depend on: the rows and the network's shape and activations."""
    return (rows, tuple(network.sizes), tuple(layer.activation for layer in network.layers))


def check_loss_compatible(network: Network, loss: Loss | str) -> None:
    """Refuse loss/activation pairs that make no sense (a loss of probabilities needs outputs in [0, 1])."""
    loss = get_loss(loss) if isinstance(loss, str) else loss
    output = get_activation(network.layers[-1].activation)
    if loss.needs_activation is not None and output.name != loss.needs_activation:
        raise ConfigError(f"{loss.title} needs a {loss.needs_activation} output layer (it is {output.name})")
    if output.over_layer and loss.needs_probabilities and loss.needs_activation != output.name:
        fitting = ", ".join(name for name, other in LOSSES.items() if other.needs_activation == output.name)
        raise ConfigError(f"{loss.title} scores each output as a separate yes/no, but {output.name} outputs share "
                          f"one distribution over the classes: use {fitting}")
    if loss.needs_probabilities and not output.gives_probabilities:
        fitting = " or ".join(fitting_activations(loss))
        raise ConfigError(
            f"{loss.title} needs outputs between 0 and 1: give the output layer a {fitting} activation "
            f"(it is {output.name})")


def fitting_activations(loss: Loss | str) -> list[str]:
    """The output activations `loss` accepts: its own, else those giving probabilities if it needs
    them (an activation over the layer only with the loss made for it), else all."""
    loss = get_loss(loss) if isinstance(loss, str) else loss
    if loss.needs_activation is not None:
        return [loss.needs_activation]
    names = probability_activations() if loss.needs_probabilities else list(ACTIVATIONS)
    return [name for name in names if not (loss.needs_probabilities and get_activation(name).over_layer)]
