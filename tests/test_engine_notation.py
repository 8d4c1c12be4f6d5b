"""One subscript rule: the graph, the inspector and the worked solutions show a name's indices alike."""

from __future__ import annotations

import dataclasses

import pytest

from simulator.examples import load_example
from simulator.initialisation import Initialisation, build_network
from simulator.notation import output_name, shown_indices, subscripted, weight_name
from simulator.worked import to_html, to_unicode_subscripts


@pytest.mark.parametrize("name, shown", [
    ("w111", "w₁₁₁"), ("b21", "b₂₁"), ("o11", "o₁₁"), ("ŷ2", "ŷ₂"), ("x12", "x₁₂"),
    ("o1_10", "o₁,₁₀"), ("w1_10_2", "w₁,₁₀,₂"), ("b12_3", "b₁₂,₃"),
])
def test_a_name_is_subscripted_with_commas_between_indices(name, shown):
    assert subscripted(name) == shown
    assert to_unicode_subscripts(name) == shown


def test_html_and_unicode_subscripts_separate_indices_alike():
    name = weight_name(1, 10, 2)
    assert name == "w1_10_2" and shown_indices("1_10_2") == "1,10,2"
    assert to_html(f"∂L/∂{name} = 1") == "∂L/∂w<sub>1,10,2</sub> = 1"
    assert to_unicode_subscripts(f"∂L/∂{name} = 1") == "∂L/∂w₁,₁₀,₂ = 1"


def test_the_graph_names_a_neuron_as_the_inspector_does(qtbot):
    from ui.document import Document
    from ui.graph.network_view import NetworkView

    session = load_example("regression")
    network = session.network
    session = dataclasses.replace(session, network=build_network(
        [2, 12, 1], "linear", Initialisation("uniform", seed=3), network.input_names, network.output_names))
    view = NetworkView(Document(session))
    qtbot.addWidget(view)
    name = view.neuron_item(1, 10).name
    assert name == to_unicode_subscripts(output_name(1, 10)) == "o₁,₁₀"
