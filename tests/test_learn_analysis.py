"""The Learn tools that explain why training moves as it does: landscapes, the learning-rate lab, the
gradient check and the PyTorch comparison, through the real widgets and against the engine's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis import flat_gradient, mean_loss
from simulator.formatting import format_number


def landscape(window, qtbot, parameter="w211", scope="sample"):
    tools = window.learn_tools
    tools.show_dock("landscape")
    panel = tools.landscape
    qtbot.waitUntil(panel.isVisible)
    panel.set_parameter(parameter)
    panel.set_scope(scope)
    panel.redraw()
    return panel


def engine_gradient(document, parameter, rows):
    training = document.training
    index = [ref.name for ref in training.network.parameters()].index(parameter)
    return flat_gradient(training.network, training.X[rows], training.Y[rows], training.loss)[index]


@pytest.mark.parametrize("scope", ["sample", "dataset"])
@pytest.mark.parametrize("parameter", ["w111", "w211", "b21"])
def test_landscape_tangent_slope_is_the_engines_gradient_and_the_curve_passes_through_the_loss(
        window, qtbot, parameter, scope):
    document = window.document
    window.controller.step("sample")          # away from the start: sample 2 is next
    panel = landscape(window, qtbot, parameter, scope)
    rows = [1] if scope == "sample" else [0, 1, 2, 3]
    gradient = engine_gradient(document, parameter, rows)
    x, y = panel.tangent.xData, panel.tangent.yData
    assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(gradient, rel=1e-9)
    assert panel.slice.gradient == gradient
    training = document.training
    loss = mean_loss(training.network, training.X[rows], training.Y[rows], training.loss)
    centre = len(panel.curve.xData) // 2
    assert panel.curve.xData[centre] == document.network.get(parameter)
    assert panel.curve.yData[centre] == loss
    assert panel.point.data["y"][0] == loss
    assert "∂L/∂" in panel.readout.text()


def test_landscape_arrow_is_the_update_the_stepper_then_applies(window, qtbot):
    document = window.document
    panel = landscape(window, qtbot, "w111", "sample")
    old, new = panel.slice.value, panel.slice.new_value
    assert new == pytest.approx(old - 0.001 * panel.slice.gradient, rel=1e-12)
    assert list(panel.update_line.xData) == [old, new]
    assert panel.arrow.isVisible() and panel.arrow.pos().x() == new
    window.controller.step("sample")
    assert document.network.get("w111") == new
    # The panel follows the stepper through the document's signals.
    qtbot.waitUntil(lambda: panel.slice.value == new)
    assert "→" in panel.readout.text()


def test_landscape_range_is_centred_and_zooms(window, qtbot):
    panel = landscape(window, qtbot, "w111")
    width = panel.curve.xData[-1] - panel.curve.xData[0]
    # max(1, 4·|η·g|, 2·|w|) either side of 0.1, doubled three times to take in the lowest loss (near 5)
    assert width == pytest.approx(16.0) and panel.curve.xData[80] == 0.1
    panel.zoom_in_button.click()
    qtbot.waitUntil(lambda: panel.curve.xData[-1] - panel.curve.xData[0] == pytest.approx(8.0))
    panel.zoom_out_button.click()
    panel.zoom_out_button.click()
    qtbot.waitUntil(lambda: panel.curve.xData[-1] - panel.curve.xData[0] == pytest.approx(32.0))


def test_the_landscape_opens_on_a_range_that_holds_the_lowest_loss():
    """Along b21 of the lectures' regression network (every weight 0.1) the loss is a parabola whose
    lowest point, b21* = mean(y − ŷ₀), lies near 5: the default range (±1 around 0) would show one
    straight-looking side of it; the range opens wide enough to hold it, still centred on b21 = 0."""
    from simulator.analysis import loss_slice
    from simulator.examples import load_example
    training = load_example("regression").make_training()
    prediction = training.network.forward(training.X).prediction[:, 0]
    lowest = float(np.mean(training.Y[:, 0] - prediction))          # b21 = 0 now: ŷ(b) = ŷ₀ + b
    cut = loss_slice(training, None, "b21", "dataset")
    assert cut.values[0] < lowest < cut.values[-1] and cut.values[80] == 0.0
    assert 0 < int(np.argmin(cut.losses)) < len(cut.values) - 1
    assert loss_slice(training, None, "b21", "dataset", zoom=4).values[-1] == pytest.approx(cut.values[-1] / 4)


def test_a_loss_with_no_lowest_point_in_reach_keeps_the_default_range():
    from simulator.analysis import loss_slice, slice_width
    from simulator.dataset import Dataset
    from simulator.network import Layer, Network
    from simulator.training import Training
    # A ReLU neuron that is off for every row: the loss is flat along its outgoing weight.
    network = Network([Layer(np.array([[-1.0]]), np.array([-5.0]), "relu"), Layer(np.array([[1.0]]), np.zeros(1), "linear")])
    training = Training(network, Dataset(["x", "y"], np.array([[1.0, 2.0], [2.0, 3.0]]), ["x"], ["y"]), "mse")
    cut = loss_slice(training, None, "w211", "dataset")
    assert cut.values[-1] - cut.values[80] == pytest.approx(slice_width(1.0, 0.0))


def test_landscape_follows_structure_changes(window, qtbot):
    panel = landscape(window, qtbot, "w211")
    window.document.add_neuron(1)
    qtbot.waitUntil(lambda: panel.parameter_box.findData("w231") >= 0)
    assert panel.parameter == "w211"
    assert panel.parameter_box.currentText() == "w₂₁₁"


# -- gradient check ------------------------------------------------------------------------------
@pytest.mark.parametrize("example", ["regression", "classification"])
def test_gradient_check_table_shows_the_engines_numbers(window, qtbot, example):
    from simulator.analysis import gradient_check
    from simulator.examples import load_example
    from ui.learn.gradient_check_dialog import TABLE_DIGITS
    from simulator.formatting import format_number

    window.document.replace_session(load_example(example))
    window.controller.step("sample")
    window.learn_tools.gradient_check_action.trigger()
    dialog = window.learn_tools.dialogs["gradient_check"]
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 9)
    training = window.document.training
    expected = gradient_check(training.network, training.X[[1]], training.Y[[1]], training.loss)
    assert dialog.checks == expected
    assert dialog.rows_label.text() == "dataset row 2"
    for row, check in enumerate(expected):
        assert dialog.table.item(row, 1).text() == format_number(check.analytic, TABLE_DIGITS)
        assert dialog.table.item(row, 2).text() == format_number(check.numeric, TABLE_DIGITS)
        assert dialog.table.item(row, 3).text() == format_number(check.relative_difference, 3)
    assert dialog.verdict_label.text().startswith("The gradients agree")
    assert "e-" not in dialog.verdict_label.text()          # the typographic minus, as everywhere else
    assert "(L(θ + h) − L(θ − h)) / 2h" in dialog.explanation.text()
    dialog.set_scope("dataset")
    qtbot.waitUntil(lambda: dialog.rows_label.text() == "dataset rows 1, 2, 3, 4")
    expected = gradient_check(training.network, training.X, training.Y, training.loss)
    assert dialog.checks == expected


def test_gradient_check_says_when_gradients_differ(window, qtbot, monkeypatch):
    from simulator.analysis import GradientCheck
    from ui.learn import gradient_check_dialog

    wrong = [GradientCheck("w111", 1.0, 1.0), GradientCheck("b21", 2.0, 2.1)]
    monkeypatch.setattr(gradient_check_dialog, "gradient_check", lambda *args, **kwargs: wrong)
    dialog = window.learn_tools.open_dialog("gradient_check")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2)
    assert dialog.verdict_label.text().startswith("1 of 2 gradients differ")
    assert "b₂₁" in dialog.verdict_label.text()


# -- two-parameter landscape ---------------------------------------------------------------------
def surface(window, qtbot, first="w211", second="w221", scope="dataset"):
    tools = window.learn_tools
    tools.show_dock("surface")
    panel = tools.surface
    qtbot.waitUntil(panel.isVisible)
    panel.set_parameters(first, second)
    panel.set_scope(scope)
    panel.redraw()
    return panel


@pytest.mark.parametrize("scope", ["sample", "dataset"])
def test_surface_value_at_the_current_point_is_the_current_loss(window, qtbot, scope):
    document = window.document
    window.controller.step("sample")
    panel = surface(window, qtbot, "w111", "b21", scope)
    training = document.training
    rows = [1] if scope == "sample" else [0, 1, 2, 3]
    loss = mean_loss(training.network, training.X[rows], training.Y[rows], training.loss)
    grid = panel.surface
    centre = grid.losses.shape[0] // 2
    assert (grid.first_values[centre], grid.second_values[centre]) == (document.network.get("w111"),
                                                                       document.network.get("b21"))
    assert grid.losses[centre, centre] == pytest.approx(loss, rel=1e-12)
    assert panel.image.image[centre, centre] == grid.losses[centre, centre]
    assert grid.loss == loss
    assert panel.point.data["x"][0] == document.network.get("w111")
    # Another grid point against a direct evaluation by the engine with both parameters set.
    probe = training.network.copy()
    probe.set("w111", grid.first_values[5])
    probe.set("b21", grid.second_values[50])
    assert grid.losses[5, 50] == pytest.approx(mean_loss(probe, training.X[rows], training.Y[rows], training.loss),
                                               rel=1e-12)
    panel.show_pointer(grid.first_values[5], grid.second_values[50])
    assert panel.pointer.text().endswith(f"loss {format_number(grid.losses[5, 50], document.digits)}")


def test_the_surface_has_a_colour_scale_of_the_losses_it_colours(window, qtbot):
    panel = surface(window, qtbot)
    finite = panel.surface.losses[np.isfinite(panel.surface.losses)]
    low, high = panel.colour_bar.levels()
    assert low == finite.min() and high == pytest.approx(np.quantile(finite, 0.98), rel=1e-12)
    assert tuple(panel.image.getLevels()) == (low, high)      # the image is coloured on the scale shown
    assert panel.colour_bar.scene() is panel.plot.scene() and panel.colour_bar.isVisible()
    assert "scale on the right" in panel.readout.text()


def test_surface_path_grows_by_one_point_per_update_and_resets(window, qtbot):
    panel = surface(window, qtbot)
    assert len(panel.path_points()) == 1
    for count in range(2, 5):
        window.controller.step("sample")
        assert len(panel.path_points()) == count
    network = window.document.network
    assert tuple(panel.path_points()[-1]) == (network.get("w211"), network.get("w221"))
    panel.redraw()
    assert len(panel.path_curve.xData) == 4
    assert "path: 4 points" in panel.readout.text()
    window.controller.step("factor")           # a forward record: nothing moved
    assert len(panel.path_points()) == 4
    window.controller.reset()
    assert len(panel.path_points()) == 1
    window.controller.step("epoch")
    assert len(panel.path_points()) == 2        # one parameters_changed for the whole epoch
    window.document.add_neuron(1)
    assert len(panel.path_points()) == 1


def test_surface_refuses_the_same_parameter_twice(window, qtbot):
    panel = surface(window, qtbot, "w211", "w211")
    assert panel.surface is None
    assert "two different parameters" in panel.readout.text()


@pytest.mark.perf
def test_surface_is_fast_enough_to_follow_a_run(window, qtbot):
    import time

    panel = surface(window, qtbot)
    start = time.perf_counter()
    panel.redraw()
    assert time.perf_counter() - start < 0.25


# -- learning-rate lab ---------------------------------------------------------------------------
def lr_lab(window, rates: str, epochs: int):
    window.learn_tools.lr_lab_action.trigger()
    dialog = window.learn_tools.dialogs["lr_lab"]
    dialog.rates_edit.setText(rates)
    dialog.epochs_box.setValue(epochs)
    return dialog


def test_lr_lab_marks_the_diverging_rate_without_blocking(window, qtbot):
    from simulator.lr_lab import compare_learning_rates

    window.controller.step("sample")           # the runs start from the current parameters
    dialog = lr_lab(window, "0.001, 1.0", 300)
    dialog.run_button.click()
    assert dialog.running and not dialog.lab.done and dialog.lab.results == []   # work happens on the timer
    assert not dialog.run_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    expected = compare_learning_rates(window.document.session, [0.001, 1.0], 300)
    results = dialog.lab.results
    assert [result.history for result in results] == [result.history for result in expected]
    assert results[0].status == "epochs" and len(results[0].history) == 300
    assert results[1].status == "diverged" and results[1].diverged_epoch == 2
    assert dialog.table.item(0, 3).text() == "Finished"
    assert dialog.table.item(1, 3).text() == "Diverged in epoch 2"
    assert dialog.table.item(1, 3).toolTip() == expected[1].message
    assert dialog.table.item(0, 2).text() == format_number(expected[0].history[-1])
    assert list(dialog.curves[0].yData) == expected[0].history
    assert "Diverged: η = 1" in dialog.message.text()
    assert dialog.progress.value() == 1000
    # The document's own training is untouched.
    assert window.document.training.epoch == 0 and window.document.training.position == 1


def test_lr_lab_cancel_keeps_what_ran(window, qtbot):
    dialog = lr_lab(window, "0.0001, 0.001", 100_000)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.lab.current is not None and dialog.lab.current.epoch > 5)
    dialog.cancel_button.click()
    assert not dialog.running
    result = dialog.lab.results[0]
    assert result.status == "cancelled" and len(result.history) > 5
    assert dialog.table.item(0, 3).text() == f"Cancelled after {len(result.history):,} epochs"
    assert dialog.message.text().startswith("Cancelled.")
    assert dialog.run_button.isEnabled()


@pytest.mark.parametrize("text, message", [
    ("0.01, abc", "'abc' is not a number"),
    ("", "enter one or more numbers"),
    ("0.01, -1", "-1 must be a finite number greater than 0"),
    ("0.1, 0.1", "listed twice"),
])
def test_lr_lab_refuses_bad_rates_with_a_message(window, qtbot, text, message):
    dialog = lr_lab(window, text, 10)
    dialog.run_button.click()
    assert not dialog.running
    assert message in dialog.message.text().replace("&#x27;", "'")


def test_lr_lab_caps_the_epochs(window, qtbot):
    from simulator.errors import ConfigError
    from simulator.lr_lab import MAX_LAB_EPOCHS, LearningRateLab

    window.document.edit_config(epochs=500_000)
    window.learn_tools.lr_lab_action.trigger()
    dialog = window.learn_tools.dialogs["lr_lab"]
    assert dialog.epochs_box.value() == MAX_LAB_EPOCHS
    assert "at most 100,000" in dialog.message.text()
    with pytest.raises(ConfigError, match="at most 100,000 epochs"):
        LearningRateLab(window.document.session, [0.1], MAX_LAB_EPOCHS + 1)


# -- comparison with PyTorch ---------------------------------------------------------------------
@pytest.mark.parametrize("example, changes", [
    ("regression", {}),
    ("classification", {"order": "shuffled", "learning_rate": 0.5}),
    ("xor", {"batch_size": 0, "learning_rate": 0.5}),
    ("xor", {"batch_size": 3, "order": "shuffled", "seed": 4, "learning_rate": 0.5}),
])
def test_compare_with_torch_agrees_to_1e_9(window, qtbot, example, changes):
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[reference]')")
    from simulator.examples import load_example

    window.document.replace_session(load_example(example))
    if changes:
        window.document.edit_config(**changes)
    window.controller.step("sample")            # both start from the current parameters
    before = (window.document.training.epoch, window.document.training.position,
              window.document.network.flat_parameters())
    window.learn_tools.compare_action.trigger()
    dialog = window.learn_tools.dialogs["compare"]
    dialog.epochs_box.setValue(40)
    dialog.run_button.click()
    assert dialog.running
    qtbot.waitUntil(lambda: not dialog.running, timeout=30000)
    result = dialog.run.result
    assert len(result.engine_loss) == len(result.torch_loss) == len(result.max_difference) == 40
    np.testing.assert_allclose(result.engine_loss, result.torch_loss, rtol=1e-9, atol=0)
    assert max(result.max_difference) < 1e-9
    assert dialog.verdict.text().startswith("The engine and PyTorch agree")
    assert list(dialog.difference_curve.yData) == result.max_difference
    assert list(dialog.engine_curve.yData) == result.engine_loss
    # The engine side is the engine's own training from the same point.
    session = window.document.session.copy()
    session.training = session.training.with_changes(epochs=40, tolerance=0.0)
    training = session.make_training()
    training.run()
    assert training.history == result.engine_loss
    after = window.document.training
    assert (after.epoch, after.position) == before[:2]
    assert np.array_equal(after.network.flat_parameters(), before[2])


def test_compare_without_torch_explains_how_to_install_it(window, qtbot, monkeypatch, dialogs):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)     # `import torch` now raises ImportError
    window.learn_tools.compare_action.trigger()
    assert "compare" not in window.learn_tools.dialogs
    [text] = dialogs.texts("information")
    assert "make reference" in text and "pip install -e '.[reference]'" in text


def test_the_dataset_loss_of_the_learn_tools_is_over_the_training_rows_when_some_are_held_out():
    from simulator.analysis import focus_rows
    from simulator.examples import load_example
    session = load_example("regression")
    session.training = session.training.with_changes(validation=0.5, validation_seed=3)
    training = session.make_training()
    rows = focus_rows(training, None, "dataset")
    assert len(rows) == 2 and not set(rows) & set(training.held_out_rows.tolist())
    assert sorted(set(rows) | set(training.held_out_rows.tolist())) == [0, 1, 2, 3]
