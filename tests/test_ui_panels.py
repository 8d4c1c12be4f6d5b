"""The dock panels, driven through their real widgets on the lectures' regression example."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from simulator.errors import SimulatorError
from simulator.examples import load_example
from simulator.formatting import factor_line, format_number, gradient_line, record_lines, running_product_line, update_line
from simulator.loss_log import LossLog
from ui.document import Change
from ui.controller import Controller
from ui.csv_import_dialog import CsvImportDialog
from ui.dataset_panel import DatasetPanel
from ui.document import Document
from ui.inspector import HINT, InspectorPanel, to_html, to_unicode_subscripts
from ui.loss_plot import LogWatch, LossPlotPanel
from ui.settings_panel import SettingsPanel
from ui.structure_panel import StructurePanel

from helpers import step_until, type_into


@pytest.fixture
def doc(qapp):
    return Document(load_example("regression"))


@pytest.fixture
def controller(doc):
    return Controller(doc)


def html_text(html: str) -> str:
    """The text a user sees in `html`, as QTextDocument renders it."""
    from PySide6.QtGui import QTextDocument
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText().replace("\u2060", "")    # the word joiners that keep ∂L/∂w whole


# -- to_html ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("z11 = w111·x1 + w121·x2 + b11", "z<sub>11</sub> = w<sub>111</sub>·x<sub>1</sub> + w<sub>121</sub>·x<sub>2</sub>"
                                      " + b<sub>11</sub>"),
    ("∂L/∂w111", "∂L/∂w<sub>111</sub>"),
    ("ŷ2 = o21", "ŷ<sub>2</sub> = o<sub>21</sub>"),
    ("w1_10_2", "w<sub>1,10,2</sub>"),
    ("max(0, z11) < 1 & y > 0", "max(0, z<sub>11</sub>) &lt; 1 &amp; y &gt; 0"),
    ("epoch 3: 1.5e−05, y1", "epoch 3: 1.5e−05, y<sub>1</sub>"),
    ("<b>w111</b>", "&lt;b&gt;w<sub>111</sub>&lt;/b&gt;"),
])
def test_to_html_escapes_and_subscripts_names(text, expected):
    assert to_html(text) == expected


def test_to_html_keeps_the_visible_text():
    line = "L = (y − ŷ)² = (4 − 0.32)² = 13.5424 <tag>"
    assert html_text(to_html(line)) == line


def test_unicode_subscripts():
    assert to_unicode_subscripts("∂z21/∂w111 = o11 = 1.6") == "∂z₂₁/∂w₁₁₁ = o₁₁ = 1.6"


# -- inspector ----------------------------------------------------------------------------------
def test_inspector_shows_a_hint_before_any_step(qtbot, doc, controller):
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    assert panel.plain_text() == HINT
    assert panel.history.count() == 0
    assert "Epoch 1 of 5" in panel.position_label.text()


def test_inspector_forward_and_loss_equal_the_engine_text(qtbot, doc, controller):
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    record = step_until(controller, lambda r: r.kind == "forward")
    sub = '<span style=" vertical-align:sub;">'
    assert f"z{sub}11</span> = w{sub}111</span>·x{sub}1</span>" in panel.browser.toHtml()
    assert panel.browser.font().pointSizeF() >= 11
    lines = record_lines(record, doc.digits)
    assert lines[0] == "z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6"
    for line in lines:
        assert line in panel.plain_text()
    record = step_until(controller, lambda r: r.kind == "loss")
    assert "L = (y − ŷ)² = (4 − 0.32)² = 13.5424" in panel.plain_text()
    assert record_lines(record, doc.digits)[0] in panel.plain_text()
    assert panel.history.count() == 3   # the sample's three forward records
    assert panel.history.item(2).text().replace("\u200b", "") == to_unicode_subscripts(
        "z21 = w211·o11 + w221·o12 + b21 = 0.1·1.6 + 0.1·1.6 + 0 = 0.32")


def history_rows(panel) -> list[tuple[str, str]]:
    return [(panel.history.item(row).text(), panel.history.item(row).toolTip())
            for row in range(panel.history.count())]


def test_the_history_grows_by_the_new_rows_and_always_equals_a_fresh_panels(qtbot, doc, controller, monkeypatch):
    import ui.inspector
    monkeypatch.setattr(ui.inspector, "MAX_HISTORY", 7)    # full after a few steps: rows drop off the top
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)

    def check() -> None:
        fresh = InspectorPanel(doc, controller)
        qtbot.addWidget(fresh)
        assert history_rows(panel) == history_rows(fresh)
        assert panel._history_records == fresh._history_records
        fresh.deleteLater()

    reused = 0
    for step in range(150):   # several samples of the 2-2-1 network, one record at a time
        before = [panel.history.item(row) for row in range(panel.history.count())]
        controller.step("factor")
        after = [panel.history.item(row) for row in range(panel.history.count())]
        reused += len(set(map(id, before)) & set(map(id, after)))
        if step % 9 == 0:
            check()
        if step == 60:
            doc.set_digits(3)       # every row is written again with the new digits
            check()
        if step == 100:
            controller.step_back("phase")
            check()
        if step == 120:   # a row looked at, then a step: the step is shown, no row stays selected
            panel.history.setCurrentRow(2)
            assert panel.plain_text() != html_text(panel.record_html(doc.stepper.current))
            controller.step("factor")
            assert panel.history.currentRow() == -1
            assert panel.plain_text() == html_text(panel.record_html(doc.stepper.current))
    check()
    assert reused > 500, "every step made every row again"
    assert any(len(panel.history.item(row).text()) for row in range(panel.history.count()))


def test_the_position_label_gets_the_lines_its_text_needs_after_a_resize(qtbot, doc, controller):
    # The label wraps: after a step its text needs no more room at this width but more at a narrower
    # one the panel had before; going back to that width must not keep the old text's height.
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    label = panel.position_label
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    for width in (300, 600):
        panel.resize(width, 500)
        qtbot.wait(20)
    lines = label.heightForWidth(label.width())
    controller.step("factor")
    controller.step("factor")
    qtbot.wait(20)
    assert label.heightForWidth(label.width()) == lines == label.height()   # the same room at this width
    panel.resize(300, 500)
    qtbot.wait(20)
    assert label.heightForWidth(label.width()) > lines, "the test's text no longer needs another line"
    assert label.height() == label.heightForWidth(label.width())


def test_inspector_shows_the_chain_so_far(qtbot, doc, controller):
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    third = step_until(controller, lambda r: r.kind == "factor" and r.parameter == "w111" and r.index == 3)
    text = panel.plain_text()
    earlier = [r for r in doc.stepper.revealed if r.kind == "factor" and r.parameter == "w111"]
    assert [r.index for r in earlier] == [1, 2, 3]
    for record in earlier:
        assert factor_line(record, doc.digits) in text
    assert running_product_line(third, doc.digits) in text
    assert "running product after 3 of 5: −0.736" in text
    assert "∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂o11 · ∂o11/∂z11 · ∂z11/∂w111" in text
    html = panel.browser.toHtml()
    assert html.count("#8a8a8a") >= 1    # the two factors not yet revealed are greyed
    gradient = step_until(controller, lambda r: r.kind == "gradient" and r.parameter == "w111")
    assert gradient_line(gradient, doc.digits) in panel.plain_text()
    assert "(−7.36)·1·0.1·1·8 = −5.888" in panel.plain_text()


def test_inspector_update_and_precision(qtbot, doc, controller):
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    update = step_until(controller, lambda r: r.kind == "update" and r.parameter == "w111")
    assert update_line(update, doc.digits) in panel.plain_text()
    assert "= 0.105888" in panel.plain_text()
    doc.set_digits(3)
    assert update_line(update, 3) in panel.plain_text()
    assert "= 0.106" in panel.plain_text()


def test_inspector_history_selection_shows_an_earlier_step(qtbot, doc, controller):
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    step_until(controller, lambda r: r.kind == "loss")
    panel.history.setCurrentRow(0)
    assert "z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6" in panel.plain_text()
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert "13.5424" in panel.plain_text()


def test_inspector_after_reset_shows_the_hint_again(qtbot, doc, controller):
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    controller.step("sample")
    controller.reset()
    assert panel.plain_text() == HINT


# -- loss plot ----------------------------------------------------------------------------------
def run_to_end(qtbot, doc, controller):
    with qtbot.waitSignal(controller.stopped, timeout=20000):
        controller.run_to_end()
    assert doc.training.finished


def test_loss_plot_gets_one_point_per_epoch(qtbot, doc, controller):
    doc.edit_config(epochs=40)
    panel = LossPlotPanel(doc)
    qtbot.addWidget(panel)
    assert len(panel.curve_data()[0]) == 0
    run_to_end(qtbot, doc, controller)
    x, y = panel.curve_data()
    assert len(doc.training.history) == 40
    np.testing.assert_array_equal(x, np.arange(1, 41))
    np.testing.assert_array_equal(y, np.array(doc.training.history))
    assert doc.training.message == "Finished 40 epochs."
    # The final loss is part of the result: it used to be left out once training had finished.
    last = format_number(doc.training.history[-1])
    assert panel.status.text() == f"Finished 40 epochs. Mean loss of epoch 40: {last}"
    panel.show_readout(3)
    assert panel.readout.text() == "epoch 3: loss 10.8816"


def test_loss_plot_follows_reset_and_stepping(qtbot, doc, controller):
    panel = LossPlotPanel(doc)
    qtbot.addWidget(panel)
    controller.step("epoch")
    controller.step("epoch")
    assert list(panel.curve_data()[1]) == doc.training.history
    assert len(doc.training.history) == 2
    controller.reset()
    assert len(panel.curve_data()[1]) == 0
    controller.step("epoch")
    assert list(panel.curve_data()[1]) == doc.training.history


def test_loss_plot_sample_curve_and_log_scale(qtbot, doc, controller):
    panel = LossPlotPanel(doc)
    qtbot.addWidget(panel)
    run_to_end(qtbot, doc, controller)
    qtbot.mouseClick(panel.samples_box, Qt.MouseButton.LeftButton)
    assert panel.sample_curve.isVisible()
    np.testing.assert_array_equal(panel.sample_curve.yData, doc.training.sample_losses)
    np.testing.assert_allclose(panel.sample_curve.xData, np.arange(1, 21) / 4)
    qtbot.mouseClick(panel.log_box, Qt.MouseButton.LeftButton)
    assert panel.plot.getPlotItem().ctrl.logYCheck.isChecked()
    np.testing.assert_array_equal(panel.curve_data()[1], doc.training.history)
    panel.set_log_scale(False)
    assert not panel.log_box.isChecked()
    assert not panel.plot.getPlotItem().ctrl.logYCheck.isChecked()


def test_log_scale_survives_a_zero_loss(qtbot, doc, controller):
    panel = LossPlotPanel(doc)
    qtbot.addWidget(panel)
    panel.set_log_scale(True)
    doc.training.history.extend([4.0, 0.0, 1.0])
    doc.changed.emit(Change.HISTORY)
    np.testing.assert_array_equal(panel.curve_data()[1], [4.0, 0.0, 1.0])
    panel.plot.getPlotItem().getViewBox().autoRange()


def test_loss_plot_exports(qtbot, doc, controller, tmp_path):
    panel = LossPlotPanel(doc)
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    run_to_end(qtbot, doc, controller)
    path = tmp_path / "loss.csv"
    panel.export_csv(path)
    with path.open(newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["epoch", "mean_loss"]
    assert [int(row[0]) for row in rows[1:]] == [1, 2, 3, 4, 5]
    assert [float(row[1]) for row in rows[1:]] == doc.training.history
    image = tmp_path / "loss.png"
    panel.export_png(image)
    assert image.read_bytes().startswith(b"\x89PNG")


def test_log_watch_sees_growth_truncation_and_a_new_log():
    watch, log = LogWatch(), LossLog()
    assert not watch.update(log)                 # empty, as before
    log.extend([1.0, 2.0])
    assert watch.update(log) and watch.count == 2
    assert not watch.update(log)
    log.truncate(1)
    log.append(5.0)                              # the same length, another value: still a change
    assert watch.update(log) and watch.count == 2
    assert watch.update(LossLog([7.0]))
    assert watch.update(LossLog()) and watch.count == 0
    assert not watch.update(LossLog())


# -- dataset ------------------------------------------------------------------------------------
def test_dataset_panel_headers_and_highlight(qtbot, doc, controller):
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    model = panel.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == ["cgpa\n(input)", "resume_score\n(input)", "lpa\n(target)", "ŷ lpa\n(prediction)",
                      "loss\n(this row)"]
    background = Qt.ItemDataRole.BackgroundRole
    assert model.data(model.index(0, 0), background) is not None   # the next sample is row 1
    step_until(controller, lambda r: r.kind == "forward" and r.sample == 2)
    assert model.data(model.index(0, 0), background) is None
    assert model.data(model.index(1, 2), background) is not None


def test_dataset_cell_edit_through_the_view_is_undoable(qtbot, doc, controller):
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    panel.show()
    index = panel.model.index(1, 0)
    panel.view.setCurrentIndex(index)
    panel.view.edit(index)
    editor = panel.view.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "-7.5")
    qtbot.keyClick(editor, Qt.Key.Key_Return)      # the delegate commits through a queued call
    qtbot.waitUntil(lambda: doc.session.dataset.rows[1, 0] == -7.5)
    assert doc.training.X[1, 0] == -7.5
    assert panel.model.data(index) == "−7.5"
    doc.undo_stack.undo()
    assert doc.session.dataset.rows[1, 0] == 7.0
    assert panel.model.data(index) == "7"


@pytest.mark.parametrize("text", ["abc", "nan", "1e400", ""])
def test_invalid_cells_are_refused_with_a_message(qtbot, doc, controller, text):
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.message) as blocker:
        accepted = panel.model.setData(panel.model.index(0, 2), text)
    assert not accepted
    assert "row 1, lpa" in blocker.args[0]
    assert panel.error_label.text() == blocker.args[0]
    assert not panel.error_label.isHidden()
    assert doc.session.dataset.rows[0, 2] == 4.0
    assert doc.undo_stack.count() == 0


def test_standardise_checkbox_is_undoable(qtbot, doc, controller):
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    qtbot.mouseClick(panel.standardise_box, Qt.MouseButton.LeftButton)
    assert doc.session.standardise
    assert abs(doc.training.X[:, 0].mean()) < 1e-12
    doc.undo_stack.undo()
    assert not doc.session.standardise
    assert not panel.standardise_box.isChecked()


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_with_chosen_columns(qtbot, doc, controller, tmp_path):
    path = write_csv(tmp_path / "data.csv", "a,b,c,y\n1,2,3,4\n5,6,7,8\n9,10,11,12\n")
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    dialog = panel.import_csv(path)
    qtbot.addWidget(dialog)
    assert dialog.chosen_columns() == (["a", "b", "c"], ["y"])
    dialog.set_role("b", None)
    dialog.set_role("c", "target")
    assert dialog.chosen_columns() == (["a"], ["c", "y"])
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    dataset = doc.session.dataset
    assert dataset.inputs == ["a"] and dataset.targets == ["c", "y"]
    assert doc.network.sizes == [1, 2, 2]
    np.testing.assert_array_equal(doc.training.X[:, 0], [1, 5, 9])
    assert panel.model.columnCount() == 4 + 3   # the data, then ŷ of each target and the row's loss
    assert panel.model.headerData(1, Qt.Orientation.Horizontal) == "b\n(unused)"
    doc.undo_stack.undo()
    assert doc.session.dataset.columns == ["cgpa", "resume_score", "lpa"]


def test_csv_import_without_a_target_is_refused(qtbot, tmp_path):
    dialog = CsvImportDialog(write_csv(tmp_path / "d.csv", "a,b\n1,2\n"))
    qtbot.addWidget(dialog)
    dialog.roles.cellWidget(1, 1).setCurrentText("input")   # b as an input too: no target left
    assert dialog.chosen_columns() == (["a", "b"], [])
    assert "target" in dialog.error_text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert dialog.dataset() is None


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n3,x\n", "line 3 (row 2), column 'b'"),
    ("a,b\n1,2\n3\n", "line 3 (row 2): 1 cells"),
    ("", "the file is empty"),
])
def test_bad_csv_shows_the_message_and_loads_nothing(qtbot, doc, controller, tmp_path, text, message):
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    dialog = panel.import_csv(write_csv(tmp_path / "bad.csv", text))
    qtbot.addWidget(dialog)
    assert message in dialog.error_text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.accept()
    assert doc.session.dataset.columns == ["cgpa", "resume_score", "lpa"]
    assert doc.undo_stack.count() == 0


def test_import_asks_for_a_file_and_cancel_changes_nothing(qtbot, doc, controller, tmp_path, dialogs):
    panel = DatasetPanel(doc, controller)
    qtbot.addWidget(panel)
    assert panel.import_csv() is None           # the file dialog was cancelled
    dialogs.open_paths.append(str(write_csv(tmp_path / "d.csv", "p,q\n1,2\n")))
    dialog = panel.import_csv()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert doc.session.dataset.columns == ["cgpa", "resume_score", "lpa"]


# -- settings -----------------------------------------------------------------------------------
def test_learning_rate_typed_is_undoable(qtbot, doc):
    panel = SettingsPanel(doc)
    qtbot.addWidget(panel)
    assert panel.rate_edit.text() == "0.001"
    type_into(qtbot, panel.rate_edit, "0.05")
    assert doc.training.config.learning_rate == 0.05
    assert doc.session.training.learning_rate == 0.05
    doc.undo_stack.undo()
    assert doc.training.config.learning_rate == 0.001
    assert panel.rate_edit.text() == "0.001"


@pytest.mark.parametrize("text, words", [("0", "greater than 0"), ("-0.1", "greater than 0"),
                                         ("abc", "not a number"), ("nan", "nan"), ("inf", "finite"), ("", "enter")])
def test_invalid_learning_rate_is_refused(qtbot, doc, text, words):
    panel = SettingsPanel(doc)
    qtbot.addWidget(panel)
    type_into(qtbot, panel.rate_edit, text)
    assert doc.training.config.learning_rate == 0.001
    assert doc.undo_stack.count() == 0
    assert panel.rate_edit.text() == "0.001"
    assert words in panel.errors["learning_rate"].text()
    assert "learning rate" in panel.errors["learning_rate"].text()
    type_into(qtbot, panel.rate_edit, "0.01")
    assert panel.errors["learning_rate"].isHidden()


def test_other_settings_reach_the_engine(qtbot, doc):
    panel = SettingsPanel(doc)
    qtbot.addWidget(panel)
    panel.epochs_spin.setValue(12)
    panel.batch_spin.setValue(0)
    assert panel.batch_spin.text() == "full"
    panel.order_combo.setCurrentIndex(1)
    panel.order_combo.activated.emit(1)
    type_into(qtbot, panel.tolerance_edit, "1e-6")
    panel.criterion_combo.setCurrentIndex(1)
    panel.criterion_combo.activated.emit(1)
    config = doc.training.config
    assert (config.epochs, config.batch_size, config.order, config.tolerance, config.convergence) == \
        (12, 0, "shuffled", 1e-6, "loss")
    type_into(qtbot, panel.tolerance_edit, "-1")
    assert "tolerance" in panel.errors["tolerance"].text()
    assert doc.training.config.tolerance == 1e-6
    for _ in range(5):
        doc.undo_stack.undo()
    assert doc.training.config == load_example("regression").training
    assert panel.epochs_spin.value() == 5 and panel.batch_spin.value() == 1


def test_digits_and_reinitialise(qtbot, doc):
    panel = SettingsPanel(doc)
    qtbot.addWidget(panel)
    panel.digits_spin.setValue(3)
    assert doc.digits == 3
    panel.scheme_combo.setCurrentIndex(panel.scheme_combo.findData("uniform"))
    assert panel.low_edit.isEnabled() and not panel.weight_edit.isEnabled()
    type_into(qtbot, panel.low_edit, "2")
    qtbot.mouseClick(panel.reinit_button, Qt.MouseButton.LeftButton)
    assert "low < high" in panel.errors["initialisation"].text()
    assert doc.undo_stack.count() == 0
    panel.low_edit.setText("−0.5")   # the typographic minus is accepted too
    qtbot.mouseClick(panel.reinit_button, Qt.MouseButton.LeftButton)
    assert doc.session.initialisation.scheme == "uniform" and doc.session.initialisation.low == -0.5
    weights = doc.network.layers[0].weights
    assert ((weights >= -0.5) & (weights <= 1)).all() and len(np.unique(weights)) == 4
    doc.undo_stack.undo()
    assert (doc.network.layers[0].weights == 0.1).all()
    assert panel.scheme_combo.currentData() == "constant"


# -- structure ----------------------------------------------------------------------------------
def test_structure_neurons_and_undo(qtbot, doc):
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    plus = panel.rows.findChild(object, "add_neuron1")
    qtbot.mouseClick(plus, Qt.MouseButton.LeftButton)
    assert doc.network.sizes == [2, 3, 1]
    assert panel.rows.findChild(object, "count1").text() == "3 neurons"
    qtbot.mouseClick(panel.rows.findChild(object, "remove_neuron1"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.rows.findChild(object, "remove_neuron1"), Qt.MouseButton.LeftButton)
    assert doc.network.sizes == [2, 1, 1]
    assert not panel.rows.findChild(object, "remove_neuron1").isEnabled()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.network.sizes == [2, 2, 1]
    assert panel.rows.findChild(object, "count1").text() == "2 neurons"


def test_structure_layers(qtbot, doc):
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    qtbot.mouseClick(panel.add_layer_button, Qt.MouseButton.LeftButton)
    assert doc.network.sizes == [2, 2, 2, 1]
    assert panel.rows.findChild(object, "remove_layer2") is not None
    qtbot.mouseClick(panel.rows.findChild(object, "remove_layer1"), Qt.MouseButton.LeftButton)
    assert doc.network.sizes == [2, 2, 1]
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.network.sizes == [2, 2, 1] and doc.undo_stack.index() == 0


def test_structure_activation_and_loss(qtbot, doc):
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    combo = panel.rows.findChild(object, "activation2")
    combo.setCurrentIndex(combo.findData("sigmoid"))
    combo.activated.emit(combo.currentIndex())
    assert doc.network.layers[1].activation == "sigmoid"
    bce = panel.loss_combo.findData("bce")
    panel.loss_combo.setCurrentIndex(bce)
    panel.loss_combo.activated.emit(bce)
    assert doc.session.loss == "mse"                      # the targets 4..7 are not in [0, 1]
    assert "[0, 1]" in panel.error_label.text()
    assert panel.loss_combo.currentData() == "mse"
    half = panel.loss_combo.findData("half_sse")
    panel.loss_combo.setCurrentIndex(half)
    panel.loss_combo.activated.emit(half)
    assert doc.session.loss == "half_sse" and doc.training.loss.name == "half_sse"
    assert panel.error_label.isHidden()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.session.loss == "mse" and doc.network.layers[1].activation == "linear"
    assert panel.loss_combo.currentData() == "mse"
    assert panel.rows.findChild(object, "activation2").currentData() == "linear"


def test_bce_needs_a_sigmoid_output(qtbot, qapp):
    doc = Document(load_example("classification"))
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    combo = panel.rows.findChild(object, f"activation{len(doc.network.layers)}")
    combo.setCurrentIndex(combo.findData("linear"))
    combo.activated.emit(combo.currentIndex())
    assert doc.network.layers[-1].activation == "sigmoid"
    assert "sigmoid" in panel.error_label.text()
    assert panel.rows.findChild(object, f"activation{len(doc.network.layers)}").currentData() == "sigmoid"


def test_structure_keyboard_focus_survives_the_rebuild(qtbot, doc):
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    plus = panel.rows.findChild(object, "add_neuron1")
    plus.setFocus()
    qtbot.keyClick(plus, Qt.Key.Key_Space)
    assert doc.network.sizes == [2, 3, 1]
    focused = panel.focusWidget()
    assert focused is not plus and focused.objectName() == "add_neuron1"
    assert focused.nextInFocusChain().objectName() == "activation1"


# -- stopping -----------------------------------------------------------------------------------
def test_divergence_is_reported_by_the_plot_and_the_inspector(qtbot, doc, controller):
    doc.edit_config(learning_rate=10.0, epochs=50)
    plot, inspector = LossPlotPanel(doc), InspectorPanel(doc, controller)
    qtbot.addWidget(plot)
    qtbot.addWidget(inspector)
    run_to_end(qtbot, doc, controller)
    assert doc.training.status == "diverged"
    assert plot.status.text() == doc.training.message
    assert "diverged" in plot.status.text()
    assert doc.training.message in inspector.plain_text()
    np.testing.assert_array_equal(plot.curve_data()[1], doc.training.history)


def test_messages_go_away_after_an_undo(qtbot, doc):
    settings, structure = SettingsPanel(doc), StructurePanel(doc)
    qtbot.addWidget(settings)
    qtbot.addWidget(structure)
    doc.edit_config(epochs=9)
    type_into(qtbot, settings.rate_edit, "abc")
    structure.loss_combo.setCurrentIndex(structure.loss_combo.findData("bce"))
    structure.loss_combo.activated.emit(structure.loss_combo.currentIndex())
    assert not settings.errors["learning_rate"].isHidden() and not structure.error_label.isHidden()
    doc.undo_stack.undo()
    assert settings.errors["learning_rate"].isHidden()
    assert settings.epochs_spin.value() == 5
    doc.add_neuron(1)
    assert structure.error_label.isHidden()


# -- multi-class classification ---------------------------------------------------------------------
def test_softmax_is_offered_for_an_output_of_two_or_more_only(qtbot, qapp):
    doc = Document(load_example("three-classes"))
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    hidden, output = (panel.rows.findChild(object, f"activation{layer}") for layer in (1, 2))
    assert hidden.findData("softmax") == -1 and output.findData("softmax") >= 0
    assert output.currentData() == "softmax" and panel.loss_combo.currentData() == "cross_entropy"
    assert panel.loss_formula.text() == "L = −Σₖ yₖ·log(ŷₖ)"
    doc = Document(load_example("classification"))     # one output: neither softmax nor cross-entropy
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    assert panel.rows.findChild(object, "activation2").findData("softmax") == -1
    assert panel.loss_combo.findData("cross_entropy") == -1


def test_choosing_cross_entropy_sets_the_softmax_output_in_one_undoable_edit(qtbot, qapp):
    session = load_example("three-classes")
    session.loss = "mse"
    session.network.layers[-1].activation = "sigmoid"
    doc = Document(session)
    panel = StructurePanel(doc)
    qtbot.addWidget(panel)
    index = panel.loss_combo.findData("cross_entropy")
    panel.loss_combo.setCurrentIndex(index)
    panel.loss_combo.activated.emit(index)
    assert doc.session.loss == "cross_entropy" and doc.network.layers[-1].activation == "softmax"
    assert panel.error_label.isHidden()
    output = panel.rows.findChild(object, "activation2")
    output.setCurrentIndex(output.findData("tanh"))         # leaving softmax: the first loss that takes tanh
    output.activated.emit(output.currentIndex())
    assert doc.session.loss == "mse" and doc.network.layers[-1].activation == "tanh"
    doc.undo_stack.undo()
    assert doc.session.loss == "cross_entropy" and doc.network.layers[-1].activation == "softmax"
    doc.undo_stack.undo()
    assert doc.session.loss == "mse" and doc.network.layers[-1].activation == "sigmoid"


def test_a_target_that_breaks_one_hot_is_refused_state_unchanged(qtbot, qapp):
    doc = Document(load_example("three-classes"))
    before = doc.session.dataset.rows.copy()
    column = doc.session.dataset.columns.index("tier=mid")
    with pytest.raises(SimulatorError, match="row 1: 2 targets are 1"):
        doc.edit_cell(0, column, 1.0)
    assert (doc.session.dataset.rows == before).all()


def test_the_inspector_states_the_softmax_simplification(qtbot, qapp):
    doc = Document(load_example("three-classes"))
    controller = Controller(doc)
    panel = InspectorPanel(doc, controller)
    qtbot.addWidget(panel)
    stepper = doc.stepper
    record = next(record for record in iter(stepper.next_record, None)
                  if record.kind == "factor" and record.simplification is not None)
    text = html_text(panel.record_html(record))
    assert "ŷ1(1 − ŷ1)" in text.replace("\u200b", "") or "ŷ₁(1 − ŷ₁)" in text
    assert "Softmax with categorical cross-entropy simplifies it" in text
