"""Every panel of the window tells the same story about the same step: the dataset highlight, the
position line, the graph and the inspector, through the updates and across the samples of a batch."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from simulator.examples import load_example
from simulator.formatting import factor_line, format_number
from simulator.notation import parse_parameter

from helpers import open_window


def highlighted_rows(window) -> set[int]:
    model = window.dataset_panel.model
    return {row + 1 for row in range(model.rowCount())
            if model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole) is not None}


def test_the_trained_row_stays_highlighted_and_named_through_every_update(qtbot):
    session = load_example("regression")
    session.training = session.training.with_changes(order="shuffled", seed=3)
    window = open_window(qtbot, session)
    training, controller = window.document.training, window.controller
    first, second = (int(row) + 1 for row in training.order(0)[:2])
    assert first != 1, "the test needs a seed whose first sample is not row 1"
    controller.step("factor")
    assert highlighted_rows(window) == {first}
    updates = 0
    while (record := controller.step("factor")[-1]).sample == 1:
        if record.kind == "update":
            updates += 1
            # Before, the last update of the sample already highlighted the next row and the position
            # line never named the row during the updates.
            assert highlighted_rows(window) == {first}, record.parameter
            assert f"sample 1 of 4 (row {first}) · Update of {record.parameter}" in window.position_label.text()
            assert record.row == first
    assert updates == 9
    assert highlighted_rows(window) == {second}


def test_a_batch_highlights_all_its_rows_during_its_updates(qtbot):
    session = load_example("regression")
    session.training = session.training.with_changes(batch_size=2)
    window = open_window(qtbot, session)
    controller = window.controller
    while (record := controller.step("factor")[-1]).kind != "update":
        assert highlighted_rows(window) == {record.row}
    assert highlighted_rows(window) == {1, 2}
    assert record.rows == (1, 2)


def edge_text(window, layer: int, source: int, target: int) -> str:
    return window.view.scene().edge_item(layer, source, target).label_text()


def test_a_batchs_second_sample_does_not_show_the_first_samples_gradients(qtbot):
    session = load_example("regression")
    session.training = session.training.with_changes(batch_size=2)
    window = open_window(qtbot, session)
    controller, scene = window.controller, window.view.scene()
    while (record := controller.step("factor")[-1]).sample == 1:
        pass
    scene.refresh()
    # Sample 1's ∂L/∂w211 = −11.776 stayed on the edge next to sample 2's forward values and loss.
    assert record.kind == "forward" and record.sample == 2
    assert "∂L/∂" not in edge_text(window, 2, 1, 1)
    assert "L = " not in scene.neuron_item(2, 1).label_text()
    while (record := controller.step("factor")[-1]).kind != "gradient":
        pass
    scene.refresh()
    assert record.sample == 2 and record.parameter == "w211"
    assert edge_text(window, 2, 1, 1).endswith(f"∂L/∂w211 = {format_number(record.value)}")
    while (record := controller.step("factor")[-1]).kind != "update":
        pass
    scene.refresh()
    # The update uses the batch mean; the last sample's gradient is no longer shown beside it.
    assert record.parameter == "w211" and record.batch_size == 2
    assert "∂L/∂" not in edge_text(window, 1, 1, 1)
    assert edge_text(window, 2, 1, 1).endswith(f"→ {format_number(record.new)}")


def test_a_clipped_bce_step_reads_the_same_in_the_inspector(qtbot):
    session = load_example("classification")
    session.network.set("w211", 50.0)
    session.network.set("w221", 50.0)
    window = open_window(qtbot, session)
    while (record := window.controller.step("factor")[-1]).kind != "factor":
        pass
    text = window.inspector.plain_text()
    assert factor_line(record) in text
    assert "∂L/∂ŷ = 0 (ŷ is outside [1e−07, 1 − 1e−07], where the clipped loss is flat)" in text


def test_a_squared_name_is_subscripted_like_every_other_name(qtbot):
    window = open_window(qtbot, load_example("xor"))   # tanh hidden layer: ∂o11/∂z11 = 1 − o11²
    while not ((record := window.controller.step("factor")[-1]).kind == "factor" and "²" in record.template):
        pass
    html = window.inspector.record_html(record)
    name = record.symbols[0][1:]
    assert f"1 − o<sub>{name}</sub>²" in html   # was "1 − o11²", the only name left unsubscripted


def test_the_shuffle_seed_is_enabled_only_while_the_order_is_shuffled(qtbot):
    window = open_window(qtbot, load_example("regression"))
    panel = window.settings_panel
    assert window.document.training.config.order == "sequential"
    assert not panel.seed_spin.isEnabled()   # was enabled although it changes nothing in order
    panel.order_combo.setCurrentIndex(panel.order_combo.findData("shuffled"))
    panel.order_combo.activated.emit(panel.order_combo.currentIndex())
    assert window.document.training.config.order == "shuffled"
    assert panel.seed_spin.isEnabled()
    window.document.undo_stack.undo()
    assert window.document.training.config.order == "sequential" and not panel.seed_spin.isEnabled()


def test_undo_texts_write_the_new_value_like_the_graph(qtbot):
    window = open_window(qtbot, load_example("regression"))
    window.document.edit_parameter("w111", -0.25)
    window.document.edit_cell(1, 0, -3.5)
    actions = window.window_actions
    assert actions.undo.text() == "&Undo Set row 2, cgpa to −3.5"   # was "-3.5"
    window.document.undo_stack.undo()
    assert actions.undo.text() == "&Undo Set w111 to −0.25"


def _mnemonic(text: str) -> str | None:
    match = re.search(r"&([^&])", text or "")
    return match.group(1).lower() if match else None


def test_panel_mnemonics_leave_the_menu_bar_alone_and_are_unique_in_each_panel(qtbot):
    window = open_window(qtbot, load_example("regression"))
    menus = {_mnemonic(action.text()) for action in window.menuBar().actions()}
    always_shown = [window.docks["loss_plot"], window.docks["dataset"]]
    shown_letters = [_mnemonic(widget.text()) for dock in always_shown
                     for widget in dock.findChildren(QLabel) + dock.findChildren(QAbstractButton)]
    shown_letters = [letter for letter in shown_letters if letter]
    assert len(shown_letters) == len(set(shown_letters)) and not set(shown_letters) & menus, shown_letters
    for name in ("inspector", "settings", "structure"):
        dock = window.docks[name]
        widgets = dock.findChildren(QLabel) + dock.findChildren(QAbstractButton)
        letters = [_mnemonic(widget.text()) for widget in widgets]
        letters = [letter for letter in letters if letter]
        # Alt+S focused "Loss per sample" instead of opening the Simulation menu, Alt+E the Epochs field
        # instead of the Edit menu, and so on.
        assert not set(letters) & menus, (name, sorted(set(letters) & menus))
        assert len(letters) == len(set(letters)), (name, sorted(letters))



def tick_values(axis, low: float, high: float) -> list[float]:
    return sorted(value for _spacing, values in axis.tickValues(low, high, 400) for value in values)


def test_the_epoch_axis_counts_whole_epochs_unless_samples_are_shown(qtbot):
    window = open_window(qtbot, load_example("regression"))
    plot = window.loss_plot
    window.controller.run_to_end()
    qtbot.waitUntil(lambda: window.document.training.finished, timeout=10_000)
    axis = plot.plot.getPlotItem().getAxis("bottom")
    assert axis is plot.epoch_axis
    assert tick_values(axis, 0.8, 5.2) == [1, 2, 3, 4, 5]    # was 1, 1.5, 2, 2.5, …
    assert tick_values(axis, 0.9, 3.1) == [1, 2, 3]          # three epochs: pyqtgraph's levels step in halves
    plot.samples_box.setChecked(True)                        # samples sit at fractions of an epoch
    assert 1.5 in tick_values(axis, 0.8, 5.2)
    plot.samples_box.setChecked(False)
    zoomed_in = tick_values(axis, 1.1, 1.6)   # no whole epoch in view: the axis still has ticks
    assert zoomed_in and all(1.1 <= value <= 1.6 for value in zoomed_in)


def test_a_log_epoch_axis_from_the_plots_menu_draws_pyqtgraphs_own_ticks(qtbot):
    window = open_window(qtbot, load_example("regression"))
    plot = window.loss_plot
    window.controller.run_to_end()
    qtbot.waitUntil(lambda: window.document.training.finished, timeout=10_000)
    item = plot.plot.getPlotItem()
    item.ctrl.logXCheck.setChecked(True)        # "Log X" of the plot's right-click menu (Transforms)
    assert plot.epoch_axis.logMode
    ticks = tick_values(plot.epoch_axis, 0.0, 0.7)   # log10 of epochs 1 to 5
    assert ticks and all(0.0 <= value <= 0.7 for value in ticks)
    plot.plot.grab()                            # painting the axis raised TypeError
    item.ctrl.logXCheck.setChecked(False)
    assert tick_values(plot.epoch_axis, 0.8, 5.2) == [1, 2, 3, 4, 5]


def test_every_number_of_a_classification_step_on_screen_is_autograds(qtbot):
    """One whole sample of the lectures' classification example through the window: the graph's
    labels and the inspector's result of every step equal PyTorch's float64 values, rounded."""
    import pytest
    torch = pytest.importorskip("torch", reason="PyTorch (the `reference` extra) is not installed")
    session = load_example("classification")
    parameters = {name: torch.tensor(session.network.get(name), dtype=torch.float64, requires_grad=True)
                  for name in ("w111", "w121", "b11", "w112", "w122", "b12", "w211", "w221", "b21")}
    p = parameters
    x1, x2, y = 8.0, 8.0, 1.0
    o11 = torch.sigmoid(p["w111"] * x1 + p["w121"] * x2 + p["b11"])
    o12 = torch.sigmoid(p["w112"] * x1 + p["w122"] * x2 + p["b12"])
    z21 = p["w211"] * o11 + p["w221"] * o12 + p["b21"]
    y_hat = torch.sigmoid(z21)
    loss = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
    loss.backward()
    optimiser = torch.optim.SGD(parameters.values(), lr=session.training.learning_rate)
    old = {name: value.item() for name, value in parameters.items()}
    optimiser.step()
    shown = {name: format_number(value.item()) for name, value in
             [("o11", o11), ("o12", o12), ("z21", z21), ("ŷ", y_hat), ("L", loss)]}

    window = open_window(qtbot, session)
    scene = window.view.scene()
    seen = set()
    while (record := window.controller.step("factor")[-1]).kind != "forward" or record.sample == 1:
        scene.refresh()
        text = window.inspector.plain_text()
        if record.kind == "forward" and record.layer == 2:
            assert f"ŷ = σ(z21) = σ({shown['z21']}) = {shown['ŷ']}" in text
            assert f"ŷ = {shown['ŷ']}" in scene.neuron_item(2, 1).label_text()
        if record.kind == "forward" and record.layer == 1:
            out = shown[f"o1{record.neuron}"]
            assert text.splitlines()[-1].endswith(f"= {out}")
            assert f"o = {out}" in scene.neuron_item(1, record.neuron).label_text()
        if record.kind == "loss":
            assert text.splitlines()[-1].endswith(f"= {shown['L']}")
            assert f"L = {shown['L']}" in scene.neuron_item(2, 1).label_text()
        if record.kind == "gradient":
            gradient = format_number(parameters[record.parameter].grad.item())
            assert text.splitlines()[1].endswith(f"= {gradient}"), record.parameter
            ref = parse_parameter(record.parameter)
            item = (scene.neuron_item(ref.layer, ref.target) if ref.is_bias
                    else scene.edge_item(ref.layer, ref.source, ref.target))
            assert f"∂L/∂{record.parameter} = {gradient}" in item.label_text(), record.parameter
            seen.add(record.parameter)
        if record.kind == "update":
            new = format_number(parameters[record.parameter].item())
            assert text.splitlines()[-1].endswith(f"= {new}") and format_number(old[record.parameter]) in text
    assert seen == set(parameters)
    assert highlighted_rows(window) == {2}


def test_the_history_wraps_long_products_at_full_precision(qtbot):
    window = open_window(qtbot, load_example("classification"))
    window.document.set_digits(17)
    while (record := window.controller.step("factor")[-1]).kind != "factor" or record.parameter != "w121":
        pass
    history = window.inspector.history
    qtbot.waitUntil(lambda: history.count() > 0)
    longest = max((history.item(row) for row in range(history.count())), key=lambda item: len(item.text()))
    assert "·\u200b" in longest.text()
    # Unbroken, "(−1.8466972039318563)·0.24827746424989006·0.1·…" ran past the list's right edge.
    assert history.visualItemRect(longest).width() <= history.viewport().width()
    assert history.horizontalScrollBar().maximum() == 0


def test_a_standardised_input_says_so_beside_the_raw_table(qtbot):
    window = open_window(qtbot, load_example("regression"))
    window.dataset_panel.standardise_box.setChecked(True)
    record = window.controller.step("factor")[-1]
    scene = window.view.scene()
    scene.refresh()
    text = scene.neuron_item(0, 1).label_text()
    # The graph showed "x = 1.34164" beside a table reading 8, with nothing to say why.
    assert f"x = {format_number(record.inputs[0])}\nstandardised" in text
    assert record.inputs[0] != 8.0
    window.document.undo_stack.undo()
    window.controller.step("factor")
    scene.refresh()
    assert "standardised" not in scene.neuron_item(0, 1).label_text()


def test_the_end_of_an_epoch_highlights_no_row_as_the_graph_highlights_nothing(qtbot):
    window = open_window(qtbot, load_example("regression"))
    while (record := window.controller.step("factor")[-1]).kind != "epoch":
        pass
    window.view.scene().refresh()
    assert "End of epoch 1" in window.position_label.text()
    assert highlighted_rows(window) == set()   # was row 1, the next epoch's first sample
    assert not window.view.scene().overlay().highlight
    window.controller.step("factor")
    assert highlighted_rows(window) == {1}


def test_the_convergence_criterion_is_enabled_only_with_a_tolerance(qtbot):
    window = open_window(qtbot, load_example("regression"))
    panel = window.settings_panel
    assert window.document.training.config.tolerance == 0
    assert not panel.criterion_combo.isEnabled()   # was enabled although nothing stops early at 0
    window.document.edit_config(tolerance=1e-6)
    assert panel.criterion_combo.isEnabled()
    window.document.undo_stack.undo()
    assert not panel.criterion_combo.isEnabled()
