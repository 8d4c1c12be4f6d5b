"""Compare with PyTorch: the same model trained by the matching torch.optim optimiser beside the engine, epoch by epoch."""

from __future__ import annotations

import html
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QSpinBox,
                               QVBoxLayout)

from simulator.errors import SimulatorError
from simulator.reference import MAX_REFERENCE_EPOCHS, ReferenceRun, ReferenceUnavailable, import_torch

SLICE_SECONDS = 0.02
ENGINE_COLOUR = (31, 119, 180)
TORCH_COLOUR = (230, 120, 20)
EXPLANATION = (
    "Both train a copy of the network from its current parameters: same layers and activations, same loss "
    "(binary cross-entropy clamps ŷ to [10⁻⁷, 1 − 10⁻⁷] on both sides), same learning rate, sample order "
    "and batch size, in float64. PyTorch computes the gradients by automatic differentiation and updates "
    "with the matching torch.optim optimiser (SGD, RMSprop or Adam); the simulator uses its own backpropagation. Differences of about 10⁻¹⁶ are "
    "rounding: the two add the same numbers in different orders.")


def torch_missing_message(parent) -> bool:
    """Explain how to install PyTorch when it is missing; True when it is installed."""
    try:
        import_torch()
    except ReferenceUnavailable as error:
        QMessageBox.information(parent, "Compare with PyTorch", str(error))
        return False
    return True


class CompareDialog(QDialog):
    """Drives `simulator.reference.ReferenceRun` on a timer and plots both losses and their difference."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.run: ReferenceRun | None = None
        self.setWindowTitle("Compare with PyTorch")
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(1, MAX_REFERENCE_EPOCHS)
        self.epochs_box.setGroupSeparatorShown(True)
        self.epochs_box.setToolTip(f"Epochs to train on both sides, at most {MAX_REFERENCE_EPOCHS:,}")
        self.epochs_box.setValue(min(document.session.training.epochs, MAX_REFERENCE_EPOCHS))
        self.run_button = QPushButton("&Run", self)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.loss_plot = self._plot("mean loss")
        self.loss_legend = self.loss_plot.getPlotItem().addLegend(offset=(-10, 10), labelTextSize="8pt",
                                                                   labelTextColor=(40, 40, 40))
        self.engine_curve = self.loss_plot.plot(pen=pg.mkPen(ENGINE_COLOUR, width=3), name="simulator")
        self.torch_curve = self.loss_plot.plot(pen=pg.mkPen(TORCH_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                                               name="PyTorch")
        self.difference_plot = self._plot("largest |θ − θ_torch|")
        self.difference_curve = self.difference_plot.plot(pen=pg.mkPen((120, 40, 160), width=2), symbol="o",
                                                          symbolSize=4, symbolBrush=(120, 40, 160))
        self.verdict = QLabel(self)
        self.verdict.setWordWrap(True)
        explanation = QLabel(EXPLANATION, self)
        explanation.setWordWrap(True)
        controls = QHBoxLayout()
        label = QLabel("&Epochs:", self)
        label.setBuddy(self.epochs_box)
        controls.addWidget(label)
        controls.addWidget(self.epochs_box)
        controls.addWidget(self.run_button)
        controls.addWidget(self.progress, 1)
        plots = QHBoxLayout()
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.difference_plot)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(explanation)
        self.resize(900, 520)
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)

    def _plot(self, label: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(self)
        plot.setBackground("w")
        plot.setMinimumHeight(180)
        item = plot.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.setLabel("left", label)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.getAxis("left").enableAutoSIPrefix(False)
        return plot

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    def start(self) -> None:
        """Copy the session and train it with both, a few epochs per timer tick."""
        if self.running:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)   # the first torch import takes a moment
        try:
            self.run = ReferenceRun(self.document.session, self.epochs_box.value())
        except SimulatorError as error:
            self._say(str(error), error=True)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.progress.setRange(0, self.run.epochs)
        self.progress.setValue(0)
        for curve in (self.engine_curve, self.torch_curve, self.difference_curve):
            curve.setData([], [])
        self._say(f"Training both for {self.run.epochs:,} epochs…")
        self.run_button.setEnabled(False)
        self.timer.start()

    def _tick(self) -> None:
        run = self.run
        deadline = time.perf_counter() + SLICE_SECONDS
        while not run.done and time.perf_counter() < deadline:
            run.advance(max_epochs=5)
        self._show()
        if run.done:
            self.timer.stop()
            self.run_button.setEnabled(True)
            result = run.result
            if result.status == "diverged":
                self._say(f"{result.message} {result.verdict()}", error=True)
            else:
                agree = result.verdict().startswith("The engine and PyTorch agree")
                self._say(result.verdict(), error=not agree, good=agree)

    def _show(self) -> None:
        result = self.run.result
        epochs = np.arange(1, len(result.engine_loss) + 1, dtype=float)
        self.engine_curve.setData(epochs, np.asarray(result.engine_loss, float))
        self.torch_curve.setData(epochs, np.asarray(result.torch_loss, float))
        self.difference_curve.setData(epochs, np.asarray(result.max_difference, float))
        self.progress.setValue(len(result.engine_loss))

    def _say(self, text: str, error: bool = False, good: bool = False) -> None:
        self.verdict.setText(html.escape(text))
        colour = "#b00020" if error else ("#1b6e20" if good else "")
        self.verdict.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")

    def closeEvent(self, event) -> None:
        self.timer.stop()
        self.run_button.setEnabled(True)
        super().closeEvent(event)
