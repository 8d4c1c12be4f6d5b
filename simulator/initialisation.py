"""Initialisation schemes for a network's parameters, each reproducible from a seed."""

from __future__ import annotations

from dataclasses import dataclass, asdict

import numpy as np

from .errors import ConfigError
from .network import Layer, Network
from .training import MAX_SEED

SCHEMES = ("constant", "uniform", "xavier", "he")


@dataclass(frozen=True)
class Initialisation:
    """How to fill a network: `constant` (weights = weight, biases = bias), `uniform` in [low, high],
    `xavier` (Glorot uniform) or `he` (He normal), random ones drawn from `seed`; biases of the
    random schemes are `bias`."""

    scheme: str = "constant"
    weight: float = 0.1
    bias: float = 0.0
    low: float = -1.0
    high: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ConfigError(f"unknown initialisation {self.scheme!r}; choose one of: {', '.join(SCHEMES)}")
        for label in ("weight", "bias", "low", "high"):
            value = getattr(self, label)
            if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
                    or not np.isfinite(value)):
                raise ConfigError(f"initialisation {label} must be a finite number, not {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"initialisation seed must be a whole number ≥ 0, not {self.seed!r}")
        if self.seed > MAX_SEED:
            raise ConfigError(f"initialisation seed must be at most {MAX_SEED:,}, not {self.seed!r}")
        if self.scheme == "uniform" and not self.low < self.high:
            raise ConfigError("uniform initialisation needs low < high")

    def to_dict(self) -> dict:
        return asdict(self)

    def apply(self, network: Network) -> None:
        """Overwrite every parameter of `network` in place."""
        rng = np.random.default_rng(self.seed)
        for layer in network.layers:
            layer.weights[...] = self._weights(rng, layer)
            layer.biases[...] = self.bias

    def _weights(self, rng: np.random.Generator, layer: Layer) -> np.ndarray:
        shape = layer.weights.shape
        if self.scheme == "constant":
            return np.full(shape, float(self.weight))
        if self.scheme == "uniform":
            return rng.uniform(self.low, self.high, size=shape)
        if self.scheme == "xavier":
            limit = np.sqrt(6.0 / (layer.n_in + layer.n_out))
            return rng.uniform(-limit, limit, size=shape)
        return rng.normal(0.0, np.sqrt(2.0 / layer.n_in), size=shape)


def build_network(sizes: list[int], activations: list[str] | str, init: Initialisation | None = None,
                  input_names: list[str] | None = None, output_names: list[str] | None = None) -> Network:
    """A network of `sizes` = [inputs, hidden..., outputs] with one activation per layer (or one for all)."""
    if len(sizes) < 2 or any(int(size) < 1 for size in sizes):
        raise ConfigError("a network needs at least one input and one output, and every layer a neuron")
    n_layers = len(sizes) - 1
    if isinstance(activations, str):
        activations = [activations] * n_layers
    if len(activations) != n_layers:
        raise ConfigError(f"{len(activations)} activations for {n_layers} layers")
    layers = [Layer(np.zeros((sizes[i], sizes[i + 1])), np.zeros(sizes[i + 1]), activations[i])
              for i in range(n_layers)]
    network = Network(layers, list(input_names or []), list(output_names or []))
    (init or Initialisation()).apply(network)
    return network
