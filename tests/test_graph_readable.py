"""The graph stays readable beyond the lectures' 2-2-1 network.

Up to three hidden layers of four neurons (and up to four inputs) every weight and bias label shows,
no two labels overlap and each weight's label sits on or right beside its own edge, in every phase
(forward, loss, each chain-rule factor, gradients, updates). Larger networks degrade as documented:
they still show the current step's labels, the selection's and the hovered item's.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from PySide6.QtCore import QLineF, QRectF

from simulator.dataset import Dataset
from simulator.formatting import format_number
from simulator.initialisation import Initialisation, build_network
from simulator.notation import bias_name
from simulator.session import Session
from simulator.training import TrainingConfig
from ui.controller import Controller
from ui.document import Document
from ui.graph.network_view import MIN_FIT_ZOOM, NetworkView

from helpers import open_window, settle, step_until
from simulator.examples import load_example

#: The graph area of the main window at 1280×800.
VIEW_SIZE = (846, 459)
#: How far a label beside its edge may be from it (scene units): the gap kept between them.
BESIDE = 3.5
FULL_SHAPES = ([2, 2, 1], [2, 3, 1], [2, 3, 3, 1], [2, 4, 4, 1], [4, 4, 4, 4, 1], [3, 4, 4, 4, 2])


def shaped_session(sizes: list[int], seed: int = 3) -> Session:
    """A tanh network of `sizes` (linear outputs) on four random rows, one sample per batch."""
    rng = np.random.default_rng(seed)
    inputs = [f"x{i + 1}" for i in range(sizes[0])]
    targets = ["y"] if sizes[-1] == 1 else [f"y{k + 1}" for k in range(sizes[-1])]
    activations = ["tanh"] * (len(sizes) - 2) + ["linear"]
    network = build_network(sizes, activations, Initialisation("uniform", seed=seed), inputs, targets)
    rows = rng.normal(size=(4, sizes[0] + sizes[-1])).round(2)
    return Session(network, "mse", TrainingConfig(learning_rate=0.05, epochs=2, batch_size=1),
                   Dataset(inputs + targets, rows, inputs, targets), title="-".join(map(str, sizes)))


@pytest.fixture
def make_view(qtbot):
    def make(sizes: list[int]) -> tuple[NetworkView, Controller]:
        document = Document(shaped_session(sizes))
        view = NetworkView(document)
        qtbot.addWidget(view)
        view.resize(*VIEW_SIZE)
        view.show()
        qtbot.waitExposed(view)
        settle(view)
        return view, Controller(document)
    return make


def shown_labels(scene):
    return [label for label in scene.label_items() if label.isVisible() and not label.is_empty()]


def distance_to_rect(line: QLineF, rect: QRectF) -> float:
    """Shortest distance between a segment and a rectangle (0 when the segment enters it)."""
    (x0, y0), (x1, y1) = (line.x1(), line.y1()), (line.x2(), line.y2())
    low, high = 0.0, 1.0   # clip the segment to the rectangle (Liang–Barsky)
    for p, q in ((x0 - x1, x0 - rect.left()), (x1 - x0, rect.right() - x0),
                 (y0 - y1, y0 - rect.top()), (y1 - y0, rect.bottom() - y0)):
        if p == 0:
            if q < 0:
                low, high = 1.0, 0.0
        elif p < 0:
            low = max(low, q / p)
        else:
            high = min(high, q / p)
    if low <= high:
        return 0.0

    def point_to_rect(x, y):
        return math.hypot(max(rect.left() - x, 0.0, x - rect.right()), max(rect.top() - y, 0.0, y - rect.bottom()))

    def point_to_segment(x, y):
        length = (x1 - x0) ** 2 + (y1 - y0) ** 2
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / length))
        return math.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0)))

    corners = [(rect.left(), rect.top()), (rect.right(), rect.top()), (rect.left(), rect.bottom()),
               (rect.right(), rect.bottom())]
    return min([point_to_rect(x0, y0), point_to_rect(x1, y1)] + [point_to_segment(*corner) for corner in corners])


def assert_readable(scene, document) -> None:
    """Every weight and bias labelled with the engine's value, no overlap, each weight on its edge."""
    digits = document.digits
    for edge in scene.edge_items():
        label = edge.label
        assert label.isVisible() and not label.is_empty(), edge
        shown = edge.state().value if edge.state().update is None else edge.state().update[0]
        assert label.lines()[0].endswith(format_number(shown, digits)), (edge, label.lines())
        assert distance_to_rect(edge.line(), label.sceneBoundingRect()) <= BESIDE, edge
        assert scene.sceneRect().contains(label.sceneBoundingRect()), edge
    for neuron in scene.neuron_items():
        if neuron.is_input:
            continue
        name = bias_name(neuron.layer, neuron.neuron)
        assert any(line.startswith(f"{name} = ") for label in neuron.labels() if label.isVisible()
                   for line in label.lines()), name
    labels = shown_labels(scene)
    boxes = [(label.sceneBoundingRect().getCoords(), label) for label in labels]
    for ((a0, a1, a2, a3), first), ((b0, b1, b2, b3), second) in itertools.combinations(boxes, 2):
        assert not (a0 < b2 and b0 < a2 and a1 < b3 and b1 < a3), (first.text(), second.text())
    circles = [neuron.circle_rect() for neuron in scene.neuron_items()]
    for label in labels:
        assert not any(label.sceneBoundingRect().intersects(circle) for circle in circles), label.text()


@pytest.mark.parametrize("sizes", FULL_SHAPES, ids=lambda sizes: "-".join(map(str, sizes)))
def test_every_label_shows_without_overlap_in_every_phase(make_view, sizes):
    view, controller = make_view(sizes)
    scene, document = view.network_scene(), view.document
    assert not scene.compact
    assert_readable(scene, document)
    kinds = set()
    first_sample = None
    factors = 0
    while True:   # the whole first sample and the update that applies it
        record = controller.step("factor")[-1]
        settle(view)
        first_sample = record.sample if first_sample is None else first_sample
        if getattr(record, "sample", first_sample) != first_sample or record.kind == "epoch":
            break
        kinds.add(record.kind)
        factors += record.kind == "factor"
        if record.kind != "factor" or factors % 4 == 1:   # a factor changes only the highlight
            assert_readable(scene, document)
    assert {"forward", "loss", "factor", "gradient", "update"} <= kinds


@pytest.mark.parametrize("sizes", ([2, 2, 2, 1], [2, 4, 4, 1], [3, 4, 4, 4, 2]),
                         ids=lambda sizes: "-".join(map(str, sizes)))
def test_every_label_shows_without_overlap_with_each_term_of_a_sum_lit(make_view, sizes):
    view, controller = make_view(sizes)
    scene, document = view.network_scene(), view.document
    record = step_until(controller, lambda record: bool(getattr(record, "terms", ())), view=view)
    for term in record.terms:
        scene.set_term(term)
        settle(view)
        assert scene.lit_term() == term
        assert_readable(scene, document)
        z_layer, z_neuron = next(item[1::2] for item in term.highlight if item[0] == "edge")
        shown = scene.neuron_item(z_layer, z_neuron).label_text().split("\n")
        assert any(line.startswith(("∂L/∂z", "δ ")) for line in shown), shown


def test_the_legend_explains_the_short_labels_where_they_are_used(make_view):
    crowded, _ = make_view([2, 3, 3, 1])
    texts = crowded.network_scene().legend().texts()
    assert "value: ∂L/∂ of that weight or bias (its gradient)" in texts
    assert "value: ∂L/∂z of that neuron, in the term F9 lights" in texts
    small, _ = make_view([2, 2, 1])
    assert not any("∂L/∂" in text for text in small.network_scene().legend().texts())


def test_labels_keep_their_place_while_stepping(make_view):
    view, controller = make_view([2, 3, 3, 1])
    edge = view.edge_item(2, 2, 3)
    before = edge.label.sceneBoundingRect().center()
    for _ in range(60):
        controller.step("factor")
        settle(view)
        centre = edge.label.sceneBoundingRect().center()
        # A grown label keeps to its reserved spot: it stays on the edge, within its reserved height.
        assert abs(centre.x() - before.x()) < 1e-6 and abs(centre.y() - before.y()) <= 40


def test_a_crowded_networks_weight_labels_are_values_named_in_the_tooltip(make_view):
    view, _controller = make_view([2, 4, 4, 1])
    edge = view.edge_item(2, 3, 2)
    assert edge.label.lines() == [format_number(view.document.network.get("w232"), view.document.digits)]
    assert edge.tooltip_text().startswith("Weight w232: from o13 to o22")
    small, _ = make_view([2, 2, 1])
    assert small.edge_item(1, 1, 1).label_text().startswith("w111 = ")


def test_the_main_window_shows_a_2_4_4_1_network_readably(qtbot):
    window = open_window(qtbot, shaped_session([2, 4, 4, 1]))
    window.resize(1280, 800)
    settle(window.view)
    assert_readable(window.view.network_scene(), window.document)
    # With every panel in place it is fitted whole: nothing scrolls.
    assert_fitted(window.view)


def labels_outside_the_viewport(view) -> list[str]:
    """The texts of shown labels that are not wholly inside the view's viewport (they need scrolling)."""
    area = view.viewport().rect()
    return [label.text() for label in shown_labels(view.network_scene())
            if not area.contains(view.mapFromScene(label.sceneBoundingRect()).boundingRect())]


@pytest.mark.parametrize("sizes, hidden", [([2, 3, 3, 1], ()), ([2, 4, 4, 1], ("loss_plot", "dataset", "metrics"))],
                         ids=["2-3-3-1", "2-4-4-1 without the bottom panels"])
def test_at_1280_by_800_every_label_shows_without_scrolling_in_every_phase(qtbot, sizes, hidden):
    window = open_window(qtbot, shaped_session(sizes))
    window.resize(1280, 800)
    for name in hidden:
        window.docks[name].hide()
    view = window.view
    settle(view)
    assert view.zoom() >= MIN_FIT_ZOOM
    assert labels_outside_the_viewport(view) == []
    for last_kind in ("loss", "gradient", "update"):   # the forward pass, the backward pass, the updates
        step_until(window.controller, lambda record, kind=last_kind: record.kind == kind, view=view)
        assert_readable(view.network_scene(), window.document)
        assert labels_outside_the_viewport(view) == [], last_kind


def assert_fitted(view) -> None:
    """The whole drawing inside the view: no scroll bar, every shown label wholly visible."""
    settle(view)
    assert labels_outside_the_viewport(view) == []
    area = view.viewport().rect()
    assert area.contains(view.mapFromScene(view.network_scene().sceneRect()).boundingRect())
    assert not view.horizontalScrollBar().isVisible() and not view.verticalScrollBar().isVisible()


def test_the_graph_is_refitted_after_a_structure_change_a_resize_and_a_dock_change(qtbot):
    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    view = window.view
    view.zoom_in()                                       # a zoom of the user's is for the old structure
    window.document.add_neuron(1)
    window.document.add_layer(1, 4)                      # 2-3-4-1: its top neuron and b21 used to be cut
    assert window.document.network.sizes == [2, 3, 4, 1]
    assert_fitted(view)
    window.resize(1100, 700)
    assert_fitted(view)
    window.docks["loss_plot"].hide()
    window.docks["dataset"].hide()
    window.docks["metrics"].hide()
    assert_fitted(view)


def test_the_classification_example_fits_in_presentation_mode(qtbot):
    window = open_window(qtbot, load_example("classification"))
    window.resize(1280, 800)
    window.window_actions.presentation.trigger()
    try:
        assert_fitted(window.view)                        # b11 was cut at the top, o12 at the bottom
        window.controller.step("epoch")
        assert_fitted(window.view)
    finally:
        window.window_actions.presentation.trigger()
    assert_fitted(window.view)


# -- larger networks: the documented degradation ------------------------------------------------
def test_a_30_input_network_shows_the_current_step_the_selection_and_the_hovered_item(qtbot, make_view):
    view, controller = make_view([30, 8, 1])
    scene = view.network_scene()
    assert scene.compact and scene.compact_inputs
    inputs = [scene.neuron_item(0, i) for i in range(1, 31)]
    assert inputs[0].radius < scene.neuron_item(1, 1).radius   # the input layer is drawn compactly
    spacing = inputs[1].pos().y() - inputs[0].pos().y()
    assert spacing < scene.neuron_item(1, 2).pos().y() - scene.neuron_item(1, 1).pos().y()
    selected = scene.edge_item(1, 17, 5)
    selected.setSelected(True)
    seen = 0
    for _ in range(12):
        record = controller.step("factor")[-1]
        settle(view)
        labels = shown_labels(scene)
        for first, second in itertools.combinations(labels, 2):
            assert not first.sceneBoundingRect().intersects(second.sceneBoundingRect())
        assert selected.label.isVisible()
        for kind, *where in record.highlight:
            if kind == "neuron":
                item = scene.neuron_item(*where)
                assert any(label.isVisible() and not label.is_empty() for label in item.labels()), item
                seen += 1
    assert seen
    hovered = scene.neuron_item(0, 12)
    qtbot.mouseMove(view.viewport(), view.mapFromScene(hovered.scenePos()))
    view.ensureVisible(hovered.sceneBoundingRect())
    qtbot.mouseMove(view.viewport(), view.mapFromScene(hovered.scenePos()))
    qtbot.waitUntil(lambda: hovered.hovered)
    assert hovered.side_label.isVisible() and hovered.side_label.lines()[0] == "x12"
    assert not scene.edge_item(1, 3, 4).label.isVisible()   # the rest only on demand


@pytest.mark.parametrize("sizes", ([2, 5, 1], [2, 4, 4, 4, 4, 1]), ids=("wide", "deep"))
def test_beyond_four_neurons_or_three_hidden_layers_weights_show_on_demand(make_view, sizes):
    view, controller = make_view(sizes)
    scene = view.network_scene()
    assert scene.compact
    record = controller.step("factor")[-1]
    settle(view)
    current = {tuple(where) for kind, *where in record.highlight if kind == "edge"}
    for edge in scene.edge_items():
        key = (edge.layer, edge.source, edge.target)
        if key not in current:
            assert not edge.label.isVisible()
