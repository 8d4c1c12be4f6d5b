"""The metrics panel: how right the model is now (training and held-out rows), its confusion matrix,
and its headline metric (accuracy, or R² for regression) at the end of every epoch."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget, QHeaderView

from simulator.formatting import format_number

from .document import Change

TRAINING_COLOUR = (31, 119, 180)
HELD_OUT_COLOUR = (230, 120, 20)


class MetricsPanel(QWidget):
    """Metrics of the document's training with its current parameters, redrawn on every change while shown.

    While the panel is shown, every epoch's end also computes the training rows' metric
    (`Training.record_metrics`); epochs run while it is hidden have none (gaps in its curve).
    """

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["metric", "training rows", "held-out rows"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setToolTip("The metrics with the network's current parameters")
        self.confusion_title = QLabel(self)
        self.confusion = QTableWidget(0, 0, self)
        self.confusion.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusion.setToolTip("Training rows: a row per true class, a column per predicted class")
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        self.plot.setMinimumHeight(110)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.addLegend(offset=(-8, 8), labelTextSize="8pt")
        self.training_curve = self.plot.plot(pen=pg.mkPen(TRAINING_COLOUR, width=2), name="training rows")
        self.held_out_curve = self.plot.plot(pen=pg.mkPen(HELD_OUT_COLOUR, width=2), name="held-out rows")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.confusion_title)
        layout.addWidget(self.confusion)
        layout.addWidget(self.plot, 1)
        document.changed.connect(self._document_changed)
        self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.document.training.record_metrics = False

    def shown(self) -> bool:
        """On screen: a dock behind another's tab is moved out of sight, not hidden, so isVisible()
        alone would say yes."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_shown(self, shown: bool) -> None:
        """Its dock came to the front or went behind another tab."""
        if shown:
            self.refresh()
        else:
            self.document.training.record_metrics = False

    def _document_changed(self, change: Change) -> None:
        if change & (Change.MODEL | Change.DISPLAY) and self.shown():
            self.refresh()

    # -- contents ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Compute the metrics with the current parameters and show them."""
        training, digits = self.document.training, self.document.digits
        training.record_metrics = self.shown()
        held_out = training.held_out_rows
        groups = [training.evaluate(training.training_rows)]
        if held_out.size:
            groups.append(training.evaluate(held_out))
        task = groups[0][1].task
        what = "mean" if task == "regression" else "class frequencies"
        self.summary.setText(
            f"{_task_title(task)}: {training.n_samples} training rows"
            + (f", {held_out.size} held out" if held_out.size else ", none held out (see Settings)")
            + f". Baseline loss (always the training {what}): {format_number(training.baseline(), digits)}")
        names = [("loss", None), ("RMSE", "rmse"), ("MAE", "mae"), ("R²", "r2")] if task == "regression" \
            else [("loss", None), ("accuracy", "accuracy")]
        self.table.setRowCount(len(names))
        for row, (label, key) in enumerate(names):
            self.table.setItem(row, 0, QTableWidgetItem(label))
            for column in (1, 2):
                text = "–"
                if column - 1 < len(groups):
                    loss, metrics = groups[column - 1]
                    value = loss if key is None else getattr(metrics, key)
                    text = format_number(value, digits) if math.isfinite(value) else "undefined"
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.setFixedHeight(self.table.horizontalHeader().height()
                                  + sum(self.table.rowHeight(row) for row in range(len(names))) + 4)
        self._show_confusion(groups[0][1].confusion)
        self.plot.getPlotItem().setLabel("left", "R²" if task == "regression" else "accuracy")
        epochs = np.arange(1, len(training.history) + 1)
        self.training_curve.setData(epochs, training.evaluation_series("training_score"), connect="finite")
        if held_out.size:
            self.held_out_curve.setData(epochs, training.evaluation_series("held_out_score"), connect="finite")
        else:
            self.held_out_curve.clear()

    def _show_confusion(self, confusion: np.ndarray | None) -> None:
        self.confusion_title.setVisible(confusion is not None)
        self.confusion.setVisible(confusion is not None)
        if confusion is None:
            return
        names = self.class_names(len(confusion))
        self.confusion_title.setText("Confusion matrix of the training rows (row: true class, column: predicted)")
        self.confusion.setRowCount(len(names))
        self.confusion.setColumnCount(len(names))
        self.confusion.setVerticalHeaderLabels([f"true {name}" for name in names])
        self.confusion.setHorizontalHeaderLabels([f"predicted {name}" for name in names])
        for row in range(len(names)):
            for column in range(len(names)):
                item = QTableWidgetItem(str(int(confusion[row, column])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.confusion.setItem(row, column, item)
        self.confusion.resizeColumnsToContents()
        self.confusion.setFixedHeight(self.confusion.horizontalHeader().height()
                                      + sum(self.confusion.rowHeight(row) for row in range(len(names))) + 4)

    def class_names(self, count: int) -> list[str]:
        """`0`, `1` for a binary output; the label of each one-hot column (`species=setosa` → `setosa`)."""
        training = self.document.training
        if training.task != "multiclass":
            return [str(value) for value in range(count)]
        return [name.split("=", 1)[1] if "=" in name else name for name in training.network.output_names]


def _task_title(task: str) -> str:
    return {"regression": "Regression", "binary": "Binary classification (ŷ ≥ 0.5 is class 1)",
            "multiclass": "Multi-class classification (the largest ŷ is the class)"}[task]
