"""What each graph item shows, as a small value the scene builds from the document and pushes into it.

Items never read the document: the scene calls `item.set_state(...)` with one of these after every
change it is told of, and an item draws, labels and explains itself from its last state alone.
"""

from __future__ import annotations

from typing import NamedTuple

from simulator.records import FactorRecord, PathTerm
from simulator.stepper import out_label, target_label

from ui.overlay import Overlay


class NeuronState(NamedTuple):
    """A neuron's numbers (exact floats; the item formats them to `digits`). None: not revealed yet."""

    label: str                                   # x1, o11, ŷ or ŷ2, without subscripts
    column: str                                  # the dataset column of an input or output, else ""
    activation: str                              # "" for an input
    bias: float | None                           # the engine's bias now; None for an input
    bias_update: tuple[float, float] | None      # (old, new) once the update is revealed
    bias_gradient: float | None
    values: tuple[float, float] | None           # (z, out) of this sample
    input_value: float | None                    # x of this sample (inputs)
    target: tuple[str, float] | None             # (y or yk, value) of this sample (outputs)
    loss: float | None                           # the sample's loss (first output only)
    highlighted: bool
    digits: int
    compact: bool                                # a large network: short labels
    single_output: bool
    standardised: bool                           # the inputs training sees are standardised
    narrow: bool = False                         # every label shows but space is short: labels kept narrow
    delta: tuple[str, float] | None = None       # (z21, ∂L/∂z21) when a lit term of a sum over paths uses it


class EdgeState(NamedTuple):
    """A weight's numbers (exact floats); `share` is |w| over the largest |w| of the network, in [0, 1]."""

    value: float                                 # the engine's weight now
    share: float
    gradient: float | None
    update: tuple[float, float] | None           # (old, new) once the update is revealed
    source_label: str
    target_label: str
    highlighted: bool
    faded: bool                                  # drawn faintly: a large network's step is about other edges
    digits: int
    compact: bool
    narrow: bool = False                         # every label shows but space is short: the value, not the name


def term_neuron(term: PathTerm) -> tuple[int, int]:
    """(layer, neuron) of the z a term of a sum over paths goes through: the target of its first edge."""
    _kind, layer, _source, target = next(item for item in term.highlight if item[0] == "edge")
    return layer, target


def neuron_states(document, overlay: Overlay, compact: bool, narrow: bool = False,
                  term: PathTerm | None = None) -> dict[tuple[int, int], NeuronState]:
    """Every neuron's state keyed by (layer, neuron), layer 0 the inputs. While a `term` of a sum over
    paths is lit, its lit neurons show the term's number (its ∂L/∂z) and no gradient of their own."""
    network, digits = document.network, document.digits
    through = term_neuron(term) if term is not None else None
    n_layers, single_output = len(network.layers), network.n_outputs == 1
    standardised = bool(document.session.standardise)
    states = {}
    for neuron in range(1, network.sizes[0] + 1):
        states[(0, neuron)] = NeuronState(
            out_label(network, 0, neuron), network.input_names[neuron - 1], "", None, None, None, None,
            overlay.inputs.get(neuron), None, None, ("neuron", 0, neuron) in overlay.highlight, digits, compact,
            single_output, standardised)
    for layer_index, layer in enumerate(network.layers, start=1):
        is_output = layer_index == n_layers
        for neuron in range(1, layer.biases.shape[0] + 1):
            target = None
            if is_output and len(overlay.targets) >= neuron:
                target = (target_label(network, neuron), overlay.targets[neuron - 1])
            highlighted = ("neuron", layer_index, neuron) in overlay.highlight
            gradient = overlay.bias_gradients.get((layer_index, neuron))
            if term is not None and highlighted:
                gradient = None
            states[(layer_index, neuron)] = NeuronState(
                out_label(network, layer_index, neuron), network.output_names[neuron - 1] if is_output else "",
                layer.activation, float(layer.biases[neuron - 1]), overlay.bias_update(layer_index, neuron),
                gradient, overlay.neurons.get((layer_index, neuron)), None,
                target, overlay.loss if is_output and neuron == 1 else None,
                highlighted, digits, compact, single_output, standardised,
                narrow, (term.z_label, term.delta) if through == (layer_index, neuron) else None)
    return states


def edge_states(document, overlay: Overlay, compact: bool, labels: dict[tuple[int, int], str],
                narrow: bool = False) -> dict[tuple[int, int, int], EdgeState]:
    """Every weight's state keyed by (layer, source, target); `labels` are the neurons' (x1, o11, ŷ)."""
    network, digits = document.network, document.digits
    largest = max((float(abs(layer.weights).max()) for layer in network.layers), default=0.0)
    highlight, any_highlight = overlay.highlight, bool(overlay.highlight)
    # During a chain-rule factor a highlighted edge shows the weight the factor uses, not a gradient
    # found earlier, which is not in the factor.
    in_factor = isinstance(overlay.current, FactorRecord)
    states = {}
    for layer_index, layer in enumerate(network.layers, start=1):
        weights = layer.weights
        for source in range(1, weights.shape[0] + 1):
            for target in range(1, weights.shape[1] + 1):
                value = float(weights[source - 1, target - 1])
                highlighted = ("edge", layer_index, source, target) in highlight
                states[(layer_index, source, target)] = EdgeState(
                    value, abs(value) / largest if largest > 0 else 0.0,
                    None if in_factor and highlighted else overlay.edge_gradients.get((layer_index, source, target)),
                    overlay.edge_update(layer_index, source, target),
                    labels[(layer_index - 1, source)], labels[(layer_index, target)], highlighted,
                    compact and any_highlight and not highlighted, digits, compact, narrow)
    return states
