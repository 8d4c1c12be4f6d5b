"""The learning-rate lab: the same network trained with several learning rates, loss curves overlaid."""

from __future__ import annotations

import html
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from simulator.errors import SimulatorError
from simulator.formatting import format_number
from simulator.lr_lab import MAX_LAB_EPOCHS, LearningRateLab, RunResult, parse_rates
from simulator.optimizer_paths import COMPARISONS

DEFAULT_RATES = "0.0001, 0.001, 0.01, 0.05"
#: Longest stretch of training per timer tick (seconds), so the window stays responsive.
SLICE_SECONDS = 0.015
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207), (0, 0, 0), (120, 60, 200)]
HEADERS = ("Learning rate η", "Epochs", "Final mean loss", "Outcome")
COMPARISON_TITLES = {optimizer: title for title, optimizer in COMPARISONS}


def outcome(result: RunResult) -> str:
    """`Finished`, `Converged after epoch 12`, `Diverged in epoch 2` or `Cancelled after 40 epochs`."""
    if result.status == "diverged":
        return f"Diverged in epoch {result.diverged_epoch}"
    if result.status == "converged":
        return f"Converged after epoch {len(result.history):,}"
    if result.status == "cancelled":
        return f"Cancelled after {len(result.history):,} epochs"
    return "Finished"


class LearningRateLabDialog(QDialog):
    """Choose rates and epochs, run `simulator.lr_lab.LearningRateLab` on a timer, plot every run."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.lab: LearningRateLab | None = None
        self.curves: list[pg.PlotDataItem] = []
        self.setWindowTitle("Learning-Rate Lab")
        self.rates_edit = QLineEdit(DEFAULT_RATES, self)
        self.rates_edit.setToolTip("Learning rates to compare, separated by commas (at most 12)")
        self.rates_edit.returnPressed.connect(self.start)
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(1, MAX_LAB_EPOCHS)
        self.epochs_box.setGroupSeparatorShown(True)
        self.epochs_box.setToolTip(f"Epochs per run, at most {MAX_LAB_EPOCHS:,}")
        self.optimizers_box = QComboBox(self)
        self.optimizers_box.addItem("The session's", None)
        self.optimizers_box.addItem("Compare " + ", ".join(title for title, _ in COMPARISONS),
                                    [optimizer for _, optimizer in COMPARISONS])
        self.optimizers_box.setToolTip("Train with the session's optimiser, or with each of SGD, momentum, Nesterov, "
                                       "RMSprop and Adam (PyTorch's defaults) at every rate")
        self.log_box = QCheckBox("&Log scale", self)
        self.log_box.setChecked(True)
        self.log_box.setToolTip("Logarithmic loss axis: rates a factor of ten apart give losses orders of "
                                "magnitude apart")
        self.log_box.toggled.connect(lambda on: self.plot.getPlotItem().setLogMode(x=False, y=on))
        self.run_button = QPushButton("&Run", self)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("&Cancel", self)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.setLabel("left", "mean loss")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.getAxis("left").enableAutoSIPrefix(False)
        item.setLogMode(x=False, y=True)
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        self.legend = item.addLegend(offset=(-10, 10), labelTextSize="8pt", labelTextColor=(40, 40, 40),
                                     brush=pg.mkBrush(255, 255, 255, 210))
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setMaximumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + 5 * self.table.verticalHeader().defaultSectionSize() + 4)
        controls = QHBoxLayout()
        for text, widget in (("Learning &rates:", self.rates_edit), ("&Epochs per run:", self.epochs_box),
                             ("Optimisers:", self.optimizers_box)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            controls.addWidget(label)
            controls.addWidget(widget, 1 if widget is self.rates_edit else 0)
        controls.addWidget(self.log_box)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        self.resize(860, 600)
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)
        self.reset_epochs()

    def reset_epochs(self) -> None:
        """Epochs from the training settings, capped with a note."""
        epochs = self.document.session.training.epochs
        self.epochs_box.setValue(min(epochs, MAX_LAB_EPOCHS))
        if epochs > MAX_LAB_EPOCHS:
            self._say(f"The training settings ask for {epochs:,} epochs; the lab runs at most "
                      f"{MAX_LAB_EPOCHS:,} per rate.")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(html.escape(text))
        self.message.setStyleSheet("color: #b00020;" if error else "")

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    # -- running -------------------------------------------------------------------------------
    def start(self) -> None:
        """Read the rates and start training copies of the current network, one rate after another."""
        if self.running:
            return
        try:
            rates = parse_rates(self.rates_edit.text())
            self.lab = LearningRateLab(self.document.session, rates, self.epochs_box.value(),
                                       self.optimizers_box.currentData())
        except SimulatorError as error:
            self._say(str(error), error=True)
            self.rates_edit.setFocus()
            return
        self._clear_plot()
        for index, rate in enumerate(self.lab.rates):
            curve = self.plot.plot(pen=pg.mkPen(COLOURS[index % len(COLOURS)], width=2),
                                   name=self._run_name(index))
            self.curves.append(curve)
        self.table.setRowCount(len(self.lab.rates))
        for row, rate in enumerate(self.lab.rates):
            self._set_row(row, (self._run_name(row).removeprefix("η = "), "", "", "waiting…"))
        self.progress.setValue(0)
        self._say(f"Training {len(self.lab.rates)} copies of the network from its current parameters, "
                  f"{self.lab.epochs:,} epochs each…")
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.timer.start()

    def _tick(self) -> None:
        lab = self.lab
        deadline = time.perf_counter() + SLICE_SECONDS
        while not lab.done and time.perf_counter() < deadline:
            lab.advance(max_steps=256)
        self._show_progress()
        if lab.done:
            self._finished()

    def cancel(self) -> None:
        if self.lab is not None and self.running:
            self.lab.cancel()
            self._show_progress()
            self._finished()

    def _finished(self) -> None:
        self.timer.stop()
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        diverged = [result for result in self.lab.results if result.status == "diverged"]
        summary = "Cancelled." if self.lab.cancelled else "Done."
        if diverged:
            rates = ", ".join(self._run_name(row).removeprefix("η = ")
                              for row, result in enumerate(self.lab.results) if result.status == "diverged")
            summary += f" Diverged: η = {rates} — too large a learning rate overshoots the valley and the loss explodes."
        self._say(summary)

    # -- showing -------------------------------------------------------------------------------
    def _show_progress(self) -> None:
        lab = self.lab
        self.progress.setValue(int(round(lab.progress * 1000)))
        for row, result in enumerate(lab.results):
            self._show_result(row, result)
        running = lab.current
        if running is not None:
            row = len(lab.results)
            self._show_history(row, running.history)
            self._set_row(row, (self._run_name(row).removeprefix("η = "), f"{running.epoch:,}",
                                self._loss_text(running.history), "running…"))

    def _show_result(self, row: int, result: RunResult) -> None:
        self._show_history(row, result.history)
        name = self._run_name(row)
        if result.status == "diverged":
            name += f" (diverged in epoch {result.diverged_epoch})"
            curve = self.curves[row]
            curve.setSymbol("x")
            curve.setSymbolSize(10)
            curve.setSymbolBrush(curve.opts["pen"].color())
            curve.setSymbolPen(curve.opts["pen"].color())
        self.legend.getLabel(self.curves[row]).setText(name)
        self._set_row(row, (name.split(" (diverged")[0].removeprefix("η = "), f"{len(result.history):,}",
                            self._loss_text(result.history),
                            outcome(result)), result.message)

    def _show_history(self, row: int, history: list[float]) -> None:
        curve = self.curves[row]
        if len(history) != (0 if curve.yData is None else len(curve.yData)):
            values = np.asarray(history, float)
            curve.setData(np.arange(1, len(values) + 1, dtype=float), values)

    def _run_name(self, row: int) -> str:
        """`η = 0.01`, or `η = 0.01 · Adam` when the lab compares optimisers."""
        name = f"η = {format_number(self.lab.rates[row])}"
        optimizer = self.lab.optimizers[row]
        return name if optimizer is None else f"{name} · {COMPARISON_TITLES.get(optimizer, optimizer.describe())}"

    @staticmethod
    def _loss_text(history: list[float]) -> str:
        return format_number(history[-1]) if history else "—"

    def _set_row(self, row: int, texts: tuple, tip: str = "") -> None:
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            if column in (0, 1, 2):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if tip:
                item.setToolTip(tip)
            if column == 3 and text.startswith("Diverged"):
                item.setForeground(Qt.GlobalColor.darkRed)
            self.table.setItem(row, column, item)

    def _clear_plot(self) -> None:
        for curve in self.curves:
            self.plot.removeItem(curve)
        self.curves = []
        self.legend.clear()

    def closeEvent(self, event) -> None:
        self.cancel()
        super().closeEvent(event)
