"""The paths from a parameter to the loss: how many, the δ of each neuron, the terms of a sum over the
next layer and, for small networks, every path's own product.

A `PathPlan` is made once per parameter and network shape; the numbers are read per sample from the
flat list of a sample's values (`stepper._sample_values(...)["flat"]`), by the places `place` gives.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from math import prod

from .activations import get_activation
from .network import Network
from .notation import ParameterRef, z_name
from .records import Delta, PathProduct, PathTerm

#: Every path's product is listed up to this many paths from a parameter to the loss.
MAX_LISTED_PATHS = 8


def delta_name(layer: int, neuron: int) -> str:
    """δ21 for ∂L/∂z21 (δ2_11 where an index is 10 or more, like the z it stands for)."""
    return "δ" + z_name(layer, neuron)[1:]


def path_count(network: Network, layer: int) -> int:
    """The paths from a neuron of `layer` (1-based) to the loss: the product of the later layers' sizes."""
    return prod(later.n_out for later in network.layers[layer:])


@dataclass(frozen=True, slots=True)
class PathPlan:
    """Where one parameter's path numbers are, without them: `delta_index` is the 1-based factor whose
    running product is ∂L/∂z of the parameter's neuron (0: none), `delta` its (name, z, template,
    symbols, argument places, value place, introduced); `terms` (z, δ name, δ place, weight name,
    weight place, paths, highlight) per term of the sum; `products` (route, labels, places, highlight)."""

    paths: int
    delta_index: int
    delta: tuple | None
    terms: tuple
    products: tuple

    def delta_of(self, flat: list[float]) -> Delta | None:
        if self.delta is None:
            return None
        name, z_label, template, symbols, places, value_place, introduced = self.delta
        return Delta(name, z_label, template, symbols, tuple([flat[p] for p in places]), flat[value_place],
                     introduced)

    def terms_of(self, flat: list[float]) -> tuple[PathTerm, ...]:
        return tuple(PathTerm(z, d_name, flat[d_place], w_name, flat[w_place], flat[d_place] * flat[w_place],
                              paths, highlight)
                     for z, d_name, d_place, w_name, w_place, paths, highlight in self.terms)

    def products_of(self, flat: list[float]) -> tuple[PathProduct, ...]:
        products = []
        for route, labels, places, highlight in self.products:
            values = tuple([flat[p] for p in places])
            products.append(PathProduct(route, labels, values, math.prod(values), highlight))
        return tuple(products)


def build_path_plan(network: Network, ref: ParameterRef, plan: list[tuple], out_label: Callable,
                    place: Callable[[tuple], int]) -> PathPlan:
    """The path plan of `ref`; `plan` is its chain plan (numerator, denominator, template, symbols,
    argument sources, …) with sources not yet turned into places, `out_label(layer, neuron)` names
    an output and `place(source)` is the flat place of a source."""
    n_layers, l, j = len(network.layers), ref.layer, ref.target
    paths = path_count(network, l)
    z_label, o_label = z_name(l, j), out_label(l, j)
    delta_index = next((index for index, entry in enumerate(plan, start=1)
                        if entry[1] == z_label and entry[0] in (o_label, "L")), 0)
    delta = None
    if delta_index:
        introduced = not ref.is_bias and ref.source == 1
        act_symbol = f"∂{o_label}/∂{z_label}"
        if l == n_layers and get_activation(network.layers[-1].activation).over_layer:
            _, _, template, symbols, sources, *_ = plan[delta_index - 1]
        elif l == n_layers:
            template, symbols = "{0}·{1}", (f"∂L/∂{o_label}", act_symbol)
            sources = (("d_out", l - 1, j - 1), ("act_grad", l - 1, j - 1))
        else:
            count = network.layers[l].n_out
            inner = " + ".join(f"{{{2 * k}}}·{{{2 * k + 1}}}" for k in range(count))
            template = (f"({inner})" if count > 1 else inner) + f"·{{{2 * count}}}"
            symbols = tuple(name for k in range(1, count + 1)
                            for name in (delta_name(l + 1, k), ParameterRef(l + 1, k, j).name)) + (act_symbol,)
            sources = tuple(source for k in range(1, count + 1)
                            for source in (("delta", l, k - 1), ("weight", l, j - 1, k - 1)))
            sources += (("act_grad", l - 1, j - 1),)
        delta = (delta_name(l, j), z_label, template, tuple(symbols), tuple(place(s) for s in sources),
                 place(("delta", l - 1, j - 1)), introduced)
    terms = ()
    if paths > 1:
        through = path_count(network, l + 1)
        terms = tuple((z_name(l + 1, k), delta_name(l + 1, k), place(("delta", l, k - 1)),
                       ParameterRef(l + 1, k, j).name, place(("weight", l, j - 1, k - 1)), through,
                       _term_highlight(network, l, j, k))
                      for k in range(1, network.layers[l].n_out + 1))
    products = ()
    if 1 < paths <= MAX_LISTED_PATHS:
        products = tuple(_path_product(network, ref, route, out_label, place)
                         for route in itertools.product(*(range(1, later.n_out + 1)
                                                          for later in network.layers[l:])))
    return PathPlan(paths, delta_index, delta, terms, products)


def _term_highlight(network: Network, l: int, j: int, k: int) -> tuple:
    """The neurons and edges of every path from neuron j of layer l through neuron k of layer l + 1."""
    items = [("neuron", l, j), ("edge", l + 1, j, k), ("neuron", l + 1, k)]
    reached = {k}
    for m in range(l + 2, len(network.layers) + 1):
        targets = range(1, network.layers[m - 1].n_out + 1)
        items += [("edge", m, s, t) for s in sorted(reached) for t in targets]
        items += [("neuron", m, t) for t in targets]
        reached = set(targets)
    return tuple(items)


def _path_product(network: Network, ref: ParameterRef, route: tuple[int, ...], out_label: Callable,
                  place: Callable[[tuple], int]) -> tuple:
    """(route, labels, places, highlight) of the path from `ref` through neurons `route` of the later layers."""
    n_layers, l, j = len(network.layers), ref.layer, ref.target
    neurons = {l: j, **{l + 1 + index: n for index, n in enumerate(route)}}
    last = neurons[n_layers]
    labels, sources = [], []
    if get_activation(network.layers[-1].activation).over_layer:
        labels.append(f"∂L/∂{z_name(n_layers, last)}")
        sources.append(("delta", n_layers - 1, last - 1))
    else:
        labels += [f"∂L/∂{out_label(n_layers, last)}", f"∂{out_label(n_layers, last)}/∂{z_name(n_layers, last)}"]
        sources += [("d_out", n_layers - 1, last - 1), ("act_grad", n_layers - 1, last - 1)]
    highlight = [("neuron", n_layers, last)]
    for m in range(n_layers, l, -1):
        source, target = neurons[m - 1], neurons[m]
        labels += [f"∂{z_name(m, target)}/∂{out_label(m - 1, source)}",
                   f"∂{out_label(m - 1, source)}/∂{z_name(m - 1, source)}"]
        sources += [("weight", m - 1, source - 1, target - 1), ("act_grad", m - 2, source - 1)]
        highlight += [("edge", m, source, target), ("neuron", m - 1, source)]
    if ref.is_bias:
        labels.append(f"∂{z_name(l, j)}/∂{ref.name}")
        sources.append(("one",))
    else:
        labels.append(f"∂{z_name(l, j)}/∂{ref.name}")
        sources.append(("inputs", l - 1, ref.source - 1))
        highlight.append(("edge", l, ref.source, j))
    route_text = " → ".join([ref.name] + [z_name(m, neurons[m]) for m in range(l, n_layers + 1)] + ["L"])
    return route_text, tuple(labels), tuple(place(s) for s in sources), tuple(highlight)
