"""The Input Space panel and the neuron maps on the graph, through the real window: the drawn grid is
the engine's predictions, it follows steps, edits and step back, and it links to the table and graph."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from helpers import open_window, press, run_to_end, type_into
from simulator.dataset import Dataset
from simulator.examples import load_example
from simulator.initialisation import Initialisation, build_network
from simulator.input_map import NeuronChoice
from simulator.map_picture import value_colours
from simulator.session import Session
from simulator.training import TrainingConfig
from ui.input_space import MAP_OPACITY


def _panel(qtbot, window):
    """The panel, raised and drawn."""
    window.docks["input_space"].raise_()
    panel = window.input_space
    qtbot.waitUntil(panel.isVisible)
    _drawn(qtbot, panel)
    return panel


def _drawn(qtbot, panel) -> None:
    QApplication.processEvents()
    qtbot.waitUntil(lambda: not panel._dirty)


def _grid_point(panel, ix: int, iy: int) -> np.ndarray:
    """The inputs (data units) at the centre of the drawn grid cell (ix, iy), read from the image item."""
    rect = panel.image.boundingRect()
    size = panel.image.image.shape[0]
    scene_rect = panel.image.mapRectToParent(rect)
    x = scene_rect.left() + (ix + 0.5) * scene_rect.width() / size
    y = scene_rect.top() + (iy + 0.5) * scene_rect.height() / size
    return np.array([x, y])


def _expected(document, point: np.ndarray) -> np.ndarray:
    session = document.session
    inputs = point[None, :]
    if session.standardise:
        means, divisors = session.dataset.standardisation()
        inputs = (inputs - means) / divisors
    return document.network.predict(inputs)[0]


def _check_drawn_values(panel, document, output: int = 0) -> None:
    drawn = panel.image.image
    for ix, iy in [(0, 0), (63, 0), (0, 63), (17, 40), (63, 63), (31, 32)]:
        point = _grid_point(panel, ix, iy)
        assert drawn[iy, ix] == pytest.approx(_expected(document, point)[output], rel=1e-12, abs=1e-15)


def test_the_drawn_grid_is_the_engines_predictions_and_follows_steps(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    _check_drawn_values(panel, window.document)
    window.set_granularity("sample")
    press(qtbot, window, Qt.Key.Key_F10, times=2)        # two samples, each with its update
    _drawn(qtbot, panel)
    assert window.document.training.batches >= 1
    _check_drawn_values(panel, window.document)
    before = panel.image.image.copy()
    window.window_actions.step_back.trigger()
    _drawn(qtbot, panel)
    _check_drawn_values(panel, window.document)
    assert not np.array_equal(before, panel.image.image) or window.document.training.batches >= 1


def test_standardised_inputs_read_in_the_datas_units(qtbot):
    window = open_window(qtbot, load_example("three-classes"))
    panel = _panel(qtbot, window)
    panel.show_combo.setCurrentIndex(panel.show_combo.findText("ŷ2 (tier=mid)"))
    panel.show_combo.activated.emit(panel.show_combo.currentIndex())
    _drawn(qtbot, panel)
    _check_drawn_values(panel, window.document, output=1)
    low, high = panel.image.mapRectToParent(panel.image.boundingRect()).left(), panel.image.mapRectToParent(
        panel.image.boundingRect()).right()
    data = window.document.session.dataset.X[:, 0]
    assert low < data.min() and high > data.max()     # the raw study hours, not standardised ones
    assert "standardised" in panel.status.text()


def test_the_boundary_moves_after_an_edit_and_comes_back_on_undo(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    before = np.array(panel.boundary.xData), np.array(panel.boundary.yData)
    assert before[0].size
    window.document.edit_parameter("b21", 0.05)
    _drawn(qtbot, panel)
    after = np.array(panel.boundary.xData)
    assert after.shape != before[0].shape or not np.allclose(after, before[0])
    _check_drawn_values(panel, window.document)
    window.window_actions.undo.trigger()
    _drawn(qtbot, panel)
    assert np.array_equal(panel.boundary.xData, before[0]) and np.array_equal(panel.boundary.yData, before[1])


def test_a_hidden_panel_computes_nothing_until_shown(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    drawn = panel.source.latest
    window.docks["input_space"].toggleViewAction().trigger()     # View ▸ Panels ▸ Input Space: closed
    qtbot.waitUntil(lambda: not panel.isVisible())
    window.document.edit_parameter("b21", 0.25)
    QApplication.processEvents()
    assert panel.source.latest is drawn and panel._dirty
    window.docks["input_space"].toggleViewAction().trigger()
    _drawn(qtbot, panel)
    assert panel.source.latest is not drawn
    _check_drawn_values(panel, window.document)


def test_hovering_a_point_shows_its_row_and_prediction(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    qtbot.wait(100)      # the plot has been laid out and drawn at its size
    view_box = panel.plot.getPlotItem().getViewBox()
    scene_point = view_box.mapViewToScene(QPointF(1.0, 0.0))     # row 3: x1 = 1, x2 = 0
    qtbot.mouseMove(panel.plot.viewport(), panel.plot.mapFromScene(scene_point))
    qtbot.waitUntil(lambda: panel.readout.text().startswith("Row 3"), timeout=2000)
    y_hat = window.document.training.predictions()[0][2, 0]
    assert panel.readout.text() == f"Row 3: x1 = 1, x2 = 0; xor = 1; ŷ = {window.dataset_panel.model.prediction_text(2, 'ŷ')}"
    assert window.dataset_panel.model.prediction_text(2, "ŷ") == f"{y_hat:.6g}"


def test_clicking_a_point_selects_its_row_and_a_selected_row_rings_its_point(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    qtbot.wait(100)
    view_box = panel.plot.getPlotItem().getViewBox()
    position = panel.plot.mapFromScene(view_box.mapViewToScene(QPointF(0.0, 1.0)))   # row 2
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=position)
    qtbot.waitUntil(lambda: window.dataset_panel.view.currentIndex().row() == 1)
    assert panel.selected_row == 1
    window.dataset_panel.view.selectRow(3)
    x, y = panel.selected_ring.getData()
    assert (list(x), list(y)) == ([1.0], [1.0])


def test_bad_ranges_are_refused_by_name_and_change_nothing(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    drawn = panel.image.image.copy()
    low, high = panel.range_edits[0]
    type_into(qtbot, low, "abc")
    assert "The low end of x1" in panel.status.text() and "number" in panel.status.text()
    type_into(qtbot, low, "2")
    assert "The range of x1 must go from a lower to a higher value" in panel.status.text()
    _drawn(qtbot, panel)
    assert np.array_equal(panel.image.image, drawn) and panel.source.ranges == {}
    type_into(qtbot, low, "0.5")
    _drawn(qtbot, panel)
    assert panel.status.text() == "" and panel.source.ranges == {0: (0.5, 1.1)}
    assert _grid_point(panel, 0, 0)[0] == pytest.approx(0.5)
    _check_drawn_values(panel, window.document)


def _three_inputs() -> Session:
    rows = [[0, 0, 1, 0], [0, 1, 2, 1], [1, 0, 3, 1], [1, 1, 4, 0]]
    dataset = Dataset(["a", "b", "c", "y"], np.array(rows, dtype=float))
    network = build_network([3, 3, 1], ["tanh", "sigmoid"], Initialisation("xavier", seed=3), ["a", "b", "c"], ["y"])
    return Session(network, "bce", TrainingConfig(learning_rate=0.5, epochs=10), dataset)


def test_other_inputs_are_held_at_their_mean_or_the_value_typed(qtbot):
    window = open_window(qtbot, _three_inputs())
    panel = _panel(qtbot, window)
    assert set(panel.fixed_edits) == {2}
    assert panel.source.settings().fixed[2] == 2.5          # the mean of c
    network = window.document.network
    point = _grid_point(panel, 5, 9)
    assert panel.image.image[9, 5] == pytest.approx(network.predict([[point[0], point[1], 2.5]])[0, 0], rel=1e-12)
    type_into(qtbot, panel.fixed_edits[2], "inf")
    assert "The value of c" in panel.status.text()
    type_into(qtbot, panel.fixed_edits[2], "-1.5")
    _drawn(qtbot, panel)
    assert panel.image.image[9, 5] == pytest.approx(network.predict([[point[0], point[1], -1.5]])[0, 0], rel=1e-12)


def test_a_diverged_output_says_so(qtbot):
    window = open_window(qtbot, load_example("regression"))
    panel = _panel(qtbot, window)
    for name in ("w111", "w121", "w211"):
        window.document.edit_parameter(name, 1e300)
    _drawn(qtbot, panel)
    assert "Not a finite number at" in panel.status.text() and "Step back" in panel.status.text()


def test_neuron_maps_on_the_graph_share_their_layers_scale(qtbot):
    window = open_window(qtbot, load_example("xor"))
    _panel(qtbot, window)
    assert not window.graph_maps_action.isChecked()         # off until turned on
    assert window.graph_maps.picture_of(1, 1) is None
    window.graph_maps_action.trigger()
    QApplication.processEvents()
    input_map = window.map_source.current()
    low, high = input_map.layer_range(1)
    assert (low, high) == (-1.0, 1.0)                        # tanh's range, shared by o11 and o12
    for neuron in (1, 2):
        picture = window.graph_maps.picture_of(1, neuron)
        size = picture.height()
        values = input_map.values(NeuronChoice(1, neuron))
        for ix, iy in [(32, 32), (10, 40), (50, 20)]:
            expected = value_colours(values[iy, ix], low, high)
            colour = picture.pixelColor(ix, size - 1 - iy)      # the picture's top row is the highest y
            assert (colour.red(), colour.green(), colour.blue(), colour.alpha()) == (*expected, 255)
        assert picture.pixelColor(0, 0).alpha() == 0             # outside the neuron's circle
    window.document.edit_parameter("w111", -2.0)
    QApplication.processEvents()
    values = window.map_source.current().values(NeuronChoice(1, 1))
    colour = window.graph_maps.picture_of(1, 1).pixelColor(30, 63 - 30)
    assert colour == QColor(*value_colours(values[30, 30], low, high))


def test_selecting_a_neuron_on_the_graph_shows_it_large(qtbot):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    item = window.view.network_scene().neuron_item(1, 2)
    item.setSelected(True)
    _drawn(qtbot, panel)
    assert panel.shown_neuron() == NeuronChoice(1, 2)
    values = window.map_source.current().values(NeuronChoice(1, 2))
    assert np.array_equal(panel.image.image, values)
    assert "o12" in panel.plot.getPlotItem().titleLabel.text
    item.setSelected(False)
    _drawn(qtbot, panel)
    assert panel.shown_neuron() is None


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_export_from_the_panel(qtbot, dialogs, tmp_path, suffix):
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    path = tmp_path / f"map.{suffix}"
    dialogs.save_paths.append(str(path))
    (panel.png_button if suffix == "png" else panel.svg_button).click()
    assert path.is_file() and path.stat().st_size > 1000
    if suffix == "svg":
        assert b"<svg" in path.read_bytes()[:2000]
    assert str(path) in window.statusBar().currentMessage()


def test_a_large_network_is_mapped_on_a_coarser_grid_and_says_so(qtbot):
    session = load_example("xor")
    network = build_network([2, 64, 64, 64, 1], ["tanh", "tanh", "tanh", "sigmoid"], Initialisation("xavier", seed=1),
                            ["x1", "x2"], ["xor"])
    window = open_window(qtbot, Session(network, "bce", session.training, session.dataset))
    panel = _panel(qtbot, window)
    count = network.parameter_count()
    size = panel.image.image.shape[0]
    assert size < 64 and size * size * count <= 2_000_000 < (size + 1) ** 2 * count
    assert f"{size} × {size} points, not 64" in panel.status.text()
    point = _grid_point(panel, size - 1, 0)
    assert panel.image.image[0, size - 1] == pytest.approx(window.document.network.predict([point])[0, 0], rel=1e-12)


def test_a_softmax_output_is_drawn_as_the_mix_of_its_classes_colours(qtbot):
    from simulator.map_picture import class_mixture
    window = open_window(qtbot, load_example("three-classes"))
    panel = _panel(qtbot, window)
    assert panel.show_combo.currentText() == "Output classes"
    assert panel.class_image.isVisible() and not panel.image.isVisible() and not panel.colour_bar.isVisible()
    drawn = panel.class_image.image
    rect = panel.class_image.mapRectToParent(panel.class_image.boundingRect())
    size = drawn.shape[0]
    for ix, iy in [(0, 0), (20, 45), (63, 63)]:
        point = np.array([rect.left() + (ix + 0.5) * rect.width() / size, rect.top() + (iy + 0.5) * rect.height() / size])
        assert np.array_equal(drawn[iy, ix], class_mixture(_expected(window.document, point)[None, :])[0])
    assert len(panel.boundary.xData)
    # ... and that is what the screen shows (a look-up table left on the picture once drew it white).
    view_box = panel.plot.getPlotItem().getViewBox()
    picture = panel.plot.grab().toImage()
    ratio = picture.devicePixelRatio()
    for ix, iy in [(20, 45), (50, 10)]:
        point = QPointF(rect.left() + (ix + 0.5) * rect.width() / size, rect.top() + (iy + 0.5) * rect.height() / size)
        where = panel.plot.mapFromScene(view_box.mapViewToScene(point))
        shown = picture.pixelColor(int(where.x() * ratio), int(where.y() * ratio))
        lighter = MAP_OPACITY * drawn[iy, ix] + (1 - MAP_OPACITY) * 255   # drawn lighter over the white
        assert np.allclose([shown.red(), shown.green(), shown.blue()], lighter, atol=10)


def test_a_correctly_classified_point_stands_out_from_the_map_of_its_class(qtbot):
    """After training XOR every point sat on the map of its own colour, filled with that same colour,
    and looked hollow: its class could not be read. The map is drawn lighter than the points."""
    window = open_window(qtbot, load_example("xor"))
    panel = _panel(qtbot, window)
    run_to_end(qtbot, window)
    _drawn(qtbot, panel)
    assert (window.document.network.predict(window.document.session.dataset.X)[:, 0] >= 0.5).tolist() == \
        [False, True, True, False]                          # every point classified correctly
    view_box = panel.plot.getPlotItem().getViewBox()
    picture = panel.plot.grab().toImage()
    ratio = picture.devicePixelRatio()
    fills = [brush.color() for brush in panel.points.data["brush"]]
    inputs = window.document.session.dataset.X
    for (x, y), fill in zip(inputs, fills):
        where = panel.plot.mapFromScene(view_box.mapViewToScene(QPointF(x, y)))
        centre = picture.pixelColor(int(where.x() * ratio), int(where.y() * ratio))
        assert centre.rgb() == fill.rgb()                     # the point is drawn in its class's full colour
        step = 15 if x < 0.5 else -15                          # the map next to it, towards the middle
        beside = picture.pixelColor(int((where.x() + step) * ratio), int(where.y() * ratio))
        distance = max(abs(centre.red() - beside.red()), abs(centre.green() - beside.green()),
                       abs(centre.blue() - beside.blue()))
        assert distance >= 40, (x, y, centre.name(), beside.name())
