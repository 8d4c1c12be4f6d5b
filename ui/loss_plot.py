"""The loss plot: the mean loss of every epoch, optionally every sample's loss, live as training runs;
the held-out rows' loss when a split is set, and the baseline loss (always predicting the training
rows' mean or class frequencies) to read the curves against."""

from __future__ import annotations

import csv
import io
import math
import weakref
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from simulator.errors import SessionError
from simulator.formatting import format_number
from simulator.session import write_atomically

from .document import Change
from .size_gate import SizeGate

#: Beyond this many epochs the points are drawn as a plain line.
MAX_MARKED_EPOCHS = 60
EPOCH_COLOUR = (31, 119, 180)
HELD_OUT_COLOUR = (230, 120, 20)
BASELINE_COLOUR = (90, 90, 90)
EMPTY_TEXT = "No epoch finished yet: run training (F5) to plot the loss."
#: While training runs, the epoch axis ends at the first of these (times a power of ten) at or past
#: the last point, so it is redrawn only when the curve reaches its end (the curve fills at least
#: three quarters of the width), not on every frame as an exact fit would.
RANGE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
#: ... and the loss axis spans whole units of about an eighth of the losses' spread (1, 2 or 5
#: times a power of ten), so it is redrawn only when a loss falls outside it.
LOSS_UNITS = 8
#: pyqtgraph's own transforms (in the plot's right-click menu) that draw other numbers than the
#: losses: ranges grown from the losses would not hold them, so the plot is fitted to them instead.
TRANSFORM_BOXES = ("logXCheck", "derivativeCheck", "phasemapCheck", "fftCheck", "subtractMeanCheck")


class LogWatch:
    """Whether a `LossLog` changed since the last look: another log, another length, or cut back
    (a log otherwise only grows, so the same length means the same values)."""

    def __init__(self):
        self._log = None   # a weak reference: a log training has replaced is not kept alive here
        self._cuts = -1
        self.count = 0

    def _grown(self, log) -> bool:
        """Whether `log` is the log seen last, only appended to since (or unchanged)."""
        return (self._log is not None and self._log() is log and log.cuts == self._cuts
                and len(log) >= self.count)

    def _follow(self, log, count: int) -> None:
        self._log, self._cuts, self.count = weakref.ref(log), log.cuts, count

    def update(self, log) -> bool:
        """Note `log` as seen; True when it differs from what was seen before (empty and empty do not)."""
        if self._grown(log) and len(log) == self.count:
            return False
        changed = self.count != 0 or len(log) != 0
        self._follow(log, len(log))
        return changed


class Bounds(LogWatch):
    """The smallest and largest finite value of a `LossLog`, and its smallest positive one (what a
    log axis can show), kept up to date by reading only what was appended since the last look."""

    def __init__(self):
        super().__init__()
        self._empty()

    def _empty(self) -> None:
        self.low = self.lowest_positive = math.inf
        self.high = -math.inf

    def update(self, log) -> None:
        if not self._grown(log):   # another log, or cut back: start again
            self._follow(log, 0)
            self._empty()
        values = log.values
        new = values[self.count:]
        self.count = values.size
        if new.size == 0:
            return
        finite = new[np.isfinite(new)]
        if finite.size:
            self.low = min(self.low, float(finite.min()))
            self.high = max(self.high, float(finite.max()))
            positive = finite[finite > 0]
            if positive.size:
                self.lowest_positive = min(self.lowest_positive, float(positive.min()))


def step_up(value: float) -> float:
    """The first of RANGE_STEPS times a power of ten at or above `value` (> 0)."""
    scale = 10.0 ** math.floor(math.log10(value))
    return next(scale * step for step in RANGE_STEPS if scale * step >= value)


def loss_unit(spread: float) -> float:
    """1, 2 or 5 times a power of ten, at least spread / LOSS_UNITS (> 0)."""
    rough = spread / LOSS_UNITS
    scale = 10.0 ** math.floor(math.log10(rough))
    return next(scale * step for step in (1.0, 2.0, 5.0, 10.0) if scale * step >= rough)


def grown_range(low: float, high: float, shown: tuple[float, float] | None) -> tuple[float, float]:
    """`shown` if it holds low..high, else low..high widened to whole loss units."""
    if shown is not None and shown[0] <= low and high <= shown[1]:
        return shown
    unit = loss_unit(high - low if high > low else max(abs(high), 1.0))
    start, end = math.floor(low / unit) * unit, math.ceil(high / unit) * unit
    single = start == end   # one value, on a whole unit: a unit either side
    if start > low or single:   # (or rounding put the end just inside the value)
        start -= unit
    if end < high or single:
        end += unit
    return start, end


class Ramp:
    """x values 1/divisor, 2/divisor, … kept in one array that grows by doubling: 32-bit whole
    numbers when the divisor is 1 (exact up to 2**31, half the memory of floats), else float64."""

    def __init__(self):
        self._divisor = 1
        self._values = np.arange(1, 1025, dtype=np.int32)

    def first(self, count: int, divisor: int = 1) -> np.ndarray:
        """(count,) view of k/divisor for k = 1..count."""
        if count > self._values.size or divisor != self._divisor:
            size = max(count, 2 * self._values.size if count > self._values.size else self._values.size)
            if divisor == 1:
                self._values = np.arange(1, size + 1, dtype=np.int32)
            else:
                self._values = np.arange(1, size + 1, dtype=float) / divisor
            self._divisor = divisor
        return self._values[:count]


class EpochAxis(pg.AxisItem):
    """An epoch axis with whole epochs only (no "epoch 1.5"), unless per-sample losses, which sit at
    fractions of an epoch, are shown."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fractions = False

    def set_fractions(self, shown: bool) -> None:
        self.fractions = shown
        self.setTicks(None)   # drops the cached tick picture

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        levels = super().tickValues(minVal, maxVal, size)
        if self.fractions or self.logMode:   # a log axis (the plot's menu) ticks log10(epoch): its own levels
            return levels
        whole = [(spacing, [value for value in values if float(value).is_integer()])
                 for spacing, values in levels if spacing >= 1]
        if any(values for _, values in whole):
            return whole
        # A few epochs in view: the finer levels step in halves or tenths, so tick every whole epoch.
        first, last = math.ceil(minVal), math.floor(maxVal)
        return [(1.0, [float(value) for value in range(first, last + 1)])] if first <= last else levels


class LegendAbove(pg.LegendItem):
    """The curves' key in a row of its own above the plot area (the plot's title row, which is empty),
    so it never covers a curve or the baseline; its entries take as many columns as the plot's width
    holds and wrap onto more lines otherwise, in any font size."""

    def __init__(self, plot_item: pg.PlotItem, **kwargs):
        self.plot_item = None
        self._fitting = False
        self._texts: dict = {}     # label -> (its text on one line, the same on two lines)
        super().__init__(**kwargs)
        self.plot_item = plot_item
        self.layout.setContentsMargins(0, 0, 0, 0)
        self.setParentItem(plot_item)
        self.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(4, 2))
        plot_item.geometryChanged.connect(self.fit)
        self.fit()

    def updateSize(self) -> None:
        super().updateSize()
        self.fit()

    def setLabelTextSize(self, size) -> None:
        super().setLabelTextSize(size)
        QTimer.singleShot(0, self.fit)   # once the labels have their new text size

    def set_text(self, curve, text: str, narrow: str) -> None:
        """`curve`'s entry: `text`, or `narrow` (the same words on two lines) when the plot is too narrow."""
        label = self.getLabel(curve)
        self._texts[label] = (text, narrow)
        label.setText(text)
        self.fit()

    def _entry_widths(self) -> list[float]:
        return [sample.boundingRect().width() + label.item.boundingRect().width() + 8 for sample, label in self.items]

    def fit(self) -> None:
        """The most columns that fit the plot's width, and the title row as high as the key."""
        if self.plot_item is None or self._fitting:
            return
        self._fitting = True
        try:
            room = self.plot_item.width() - 8
            for label, (text, narrow) in self._texts.items():
                if label.text != text:
                    label.setText(text)
                if label.item.boundingRect().width() + 30 > room:
                    label.setText(narrow)
            widths = self._entry_widths()
            columns = 1
            for count in range(len(widths), 1, -1):
                if sum(max(widths[column::count]) for column in range(count)) <= room:
                    columns = count
                    break
            self.setColumnCount(columns)
            widths = self._entry_widths()
            width = sum(max(widths[column::columns]) for column in range(columns)) if widths else 0
            lines = [self.items[start:start + columns] for start in range(0, len(self.items), columns)]
            height = sum(max(label.item.boundingRect().height() for _sample, label in line) for line in lines)
            self.layout.invalidate()
            self.setGeometry(0, 0, width, height)
            self.plot_item.layout.setRowFixedHeight(0, height + 4 if self.items else 0)
        finally:
            self._fitting = False


class LossPlotPanel(QWidget):
    """A pyqtgraph plot of `document.training.history` (x = epoch 1..n) and per-sample losses."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self._epochs = LogWatch()
        self._samples = LogWatch()
        self._epoch_x = Ramp()
        self._sample_x = Ramp()
        self._epoch_bounds = Bounds()
        self._sample_bounds = Bounds()
        self._held_out_bounds = Bounds()
        self._held_out = LogWatch()
        self.baseline = math.nan
        self._emptied = False   # the ranges were set for an empty plot
        self._running = False    # training runs (see set_running)
        self._stepping = False   # the ranges grow in steps rather than being fitted every frame
        self._shown_ranges: tuple | None = None   # what the last step set, before padding
        self._stepped_view: list | None = None    # ... and the view range that gave, padded
        self.epoch_axis = EpochAxis(orientation="bottom")
        self.plot = pg.PlotWidget(self, axisItems={"bottom": self.epoch_axis})
        self.plot.setBackground("w")
        self.plot.setToolTip("Mean loss per epoch; hover to read a value, drag to pan, wheel to zoom, "
                             "right-click for more")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.setLabel("left", "mean loss")
        item.getAxis("left").enableAutoSIPrefix(False)   # "0.6939", not "693.9 (x0.001)"
        item.showGrid(x=True, y=True, alpha=0.25)
        for side in ("left", "bottom"):   # major and minor grid lines only: the finest level halves a redraw
            item.getAxis(side).setStyle(maxTickLevel=1)
            # Each axis, with its grid lines across the plot, is kept as an image, drawn again only
            # when its range or size changes rather than under every new point of the curve.
            item.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        self.sample_curve = self.plot.plot(pen=pg.mkPen((150, 150, 150), width=1), name="loss per sample")
        # Lists the curves made from here on (PlotItem.plot adds a named curve to `item.legend`).
        self.legend = item.legend = LegendAbove(item, labelTextSize="8pt")
        self.baseline_curve = self.plot.plot(pen=pg.mkPen(BASELINE_COLOUR, width=1, style=Qt.PenStyle.DashLine),
                                             name="baseline")
        self.curve = self.plot.plot(pen=pg.mkPen(EPOCH_COLOUR, width=2), symbol="o", symbolSize=5,
                                    symbolBrush=EPOCH_COLOUR, name="mean loss per epoch")
        self.held_out_curve = self.plot.plot(pen=pg.mkPen(HELD_OUT_COLOUR, width=2))   # listed with a split
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), style=Qt.PenStyle.DashLine))
        self.crosshair.setVisible(False)
        self.plot.addItem(self.crosshair, ignoreBounds=True)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        item.getViewBox().sigRangeChangedManually.connect(self._ranged_by_user)
        self.samples_box = QCheckBox("Loss &per sample", self)
        self.samples_box.setToolTip("Also draw the loss of every sample (x = epoch fraction), before its update")
        self.samples_box.toggled.connect(self._show_samples)
        self.log_box = QCheckBox("Lo&g scale", self)
        self.log_box.setToolTip("Logarithmic loss axis; a loss of exactly 0 cannot be drawn on it")
        self.log_box.toggled.connect(self.set_log_scale)
        self.readout = QLabel(self)
        self.readout.setToolTip("The value under the mouse pointer")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setToolTip("Why training stopped, when it has")
        self.plot.setMinimumHeight(150)
        options = QHBoxLayout()
        options.addWidget(self.samples_box)
        options.addWidget(self.log_box)
        options.addStretch(1)
        options.addWidget(self.readout)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot, 1)
        layout.addLayout(options)
        layout.addWidget(SizeGate(self.status, self))   # its text changes every frame of a run
        self.sample_curve.setVisible(False)
        document.changed.connect(self._document_changed)
        self.refresh()

    def _document_changed(self, change: Change) -> None:
        if change & Change.MODEL:
            self.refresh()
        elif change & Change.DISPLAY:
            self._update_status()

    # -- data ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Give the curves the training's losses again if they changed (views of its logs, not copies)."""
        training = self.document.training
        changed = self._epochs.update(training.history)
        changed = self._refresh_baseline() or changed
        if changed:
            count = self._epochs.count
            symbol = "o" if count <= MAX_MARKED_EPOCHS else None
            if self.curve.opts["symbol"] != symbol:   # before setData: markers on a long curve are slow
                self.curve.setSymbol(symbol)
                # A one-pixel line draws several times faster than a wider one, which a live run feels.
                self.curve.setPen(pg.mkPen(EPOCH_COLOUR, width=2 if symbol else 1))
            self.curve.setData(self._epoch_x.first(count), training.history.values)
            self._refresh_held_out()
        if self.samples_box.isChecked():
            changed = self._refresh_samples() or changed
        if changed:
            view = self.plot.getPlotItem().getViewBox()
            if self._epochs.count == 0:   # nothing of the last run is on screen: neither are its ranges
                self._fit_empty()
            else:
                if self._emptied:   # the first points after an empty plot: follow the data again
                    self._emptied = False
                    view.enableAutoRange()
                self._fit()
        self._update_status()

    def _fit_empty(self) -> None:
        """An empty plot shows the first epochs and the baseline (pyqtgraph would keep the old ranges:
        a flat baseline alone gives it no height to fit)."""
        self._stepping, self._shown_ranges, self._emptied = False, None, True
        view = self.plot.getPlotItem().getViewBox()
        epochs = self._first_epochs()
        baseline = self.baseline if math.isfinite(self.baseline) else 0.0
        log = self.plot.getPlotItem().ctrl.logYCheck.isChecked()
        if log and baseline > 0:
            y_range = (math.log10(baseline) - 1, math.log10(baseline) + 1)
        else:
            y_range = grown_range(baseline, baseline, None)
        view.setRange(xRange=(1, epochs), yRange=y_range)

    def _first_epochs(self) -> int:
        """How many epochs an empty plot shows (its baseline runs across them)."""
        return max(min(self.document.training.config.epochs, 10), 2)

    def _refresh_baseline(self) -> bool:
        """Draw the baseline loss across the epochs shown; True when it moved (other rows or targets)."""
        training = self.document.training
        baseline = training.baseline()
        last = max(self._epochs.count, self._first_epochs())   # across the empty plot's epochs too
        x = self.baseline_curve.xData
        if baseline == self.baseline and x is not None and x[-1] == last:
            return False
        self.baseline = baseline
        # Short enough for one line of the key in presentation mode; the Metrics panel says it in full.
        what = "training mean" if training.task == "regression" else "class frequencies"
        self.legend.set_text(self.baseline_curve, f"baseline (always the {what})", f"baseline<br>(always the {what})")
        if math.isfinite(baseline):
            self.baseline_curve.setData([1, last], [baseline, baseline])
        else:
            self.baseline_curve.clear()
        return True

    def _refresh_held_out(self) -> None:
        training = self.document.training
        listed = self.legend.getLabel(self.held_out_curve) is not None
        if training.held_out_rows.size == 0:
            if listed:
                self.held_out_curve.clear()
                self.legend.removeItem(self.held_out_curve)
                self._held_out = LogWatch()
                self._held_out_bounds = Bounds()
            return
        if not listed:
            count = training.held_out_rows.size
            self.legend.addItem(self.held_out_curve, f"held-out loss ({count} row{'s' if count != 1 else ''})")
        values = training.evaluation_series("held_out_loss")
        self.held_out_curve.setData(self._epoch_x.first(len(values)), values)

    def held_out_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The held-out curve's (x, y): (n,), (n,); empty without a split."""
        x, y = self.held_out_curve.xData, self.held_out_curve.yData
        return (np.empty(0) if x is None else x), (np.empty(0) if y is None else y)
    # -- ranges --------------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        """While training runs the ranges grow in steps (see RANGE_STEPS and LOSS_UNITS), so the axes
        are not redrawn on every frame; when it stops, the plot is fitted to all the data exactly."""
        self._running = running
        if not running and self._stepping:
            self._stepping = False
            self.plot.getPlotItem().getViewBox().enableAutoRange()
            self._fit()

    @property
    def stepping(self) -> bool:
        """Whether the ranges are growing in steps (training runs and the user has not zoomed)."""
        return self._stepping

    def _fit(self) -> None:
        """Show the new data: in steps while training runs, else fitted exactly."""
        view = self.plot.getPlotItem().getViewBox()
        if self._running and all(view.autoRangeEnabled()):
            # Following the data (not zoomed by the user): step instead of fitting every frame.
            self._stepping, self._shown_ranges, self._stepped_view = not self._transformed(), None, None
        if self._stepping and self._grow_ranges():
            return
        # Fit the axes to the new data now: pyqtgraph would do it while painting, and the axes it
        # changes then are painted a second time. Fitting changes what clip-to-view shows, which
        # asks for one more fit (the second call does nothing when it does not).
        view.prepareForPaint()
        view.prepareForPaint()

    def _grow_ranges(self) -> bool:
        """Set the ranges to hold every point, grown in steps; False when there is nothing to show."""
        if self._transformed():   # turned on during the run: pyqtgraph fits what it draws
            return False
        training = self.document.training
        curves = [(self._epoch_bounds, training.history, 1.0, self._epochs.count)]
        if self.samples_box.isChecked():
            rows = training.n_samples
            curves.append((self._sample_bounds, training.sample_losses, 1.0 / rows, self._samples.count / rows))
        log = self.plot.getPlotItem().ctrl.logYCheck.isChecked()
        x_low = y_low = math.inf
        x_high = y_high = -math.inf
        if training.held_out_rows.size:
            curves.append((self._held_out_bounds, training.evaluation_logs["held_out_loss"], 1.0, self._epochs.count))
        for bounds, losses, first, last in curves:
            bounds.update(losses)
            low = bounds.lowest_positive if log else bounds.low
            if bounds.count == 0 or not math.isfinite(low) or bounds.high < low:
                continue
            x_low, x_high = min(x_low, first), max(x_high, last)
            y_low, y_high = min(y_low, low), max(y_high, bounds.high)
        if not math.isfinite(x_low):
            return False
        if math.isfinite(self.baseline) and (self.baseline > 0 or not log):   # the baseline stays in view
            y_low, y_high = min(y_low, self.baseline), max(y_high, self.baseline)
        if log:
            y_low, y_high = math.log10(y_low), math.log10(y_high)
        try:
            shown = self._shown_ranges
            ranges = ((x_low, step_up(x_high)), grown_range(y_low, y_high, shown[1] if shown else None))
        except (OverflowError, ValueError):   # losses too large to step through: fit them instead
            return False
        if ranges != self._shown_ranges:
            self._shown_ranges = ranges
            view = self.plot.getPlotItem().getViewBox()
            view.setRange(xRange=ranges[0], yRange=ranges[1])
            self._stepped_view = view.viewRange()
        return True

    def _transformed(self) -> bool:
        ctrl = self.plot.getPlotItem().ctrl
        return any(getattr(ctrl, name).isChecked() for name in TRANSFORM_BOXES)

    def _ranged_by_user(self, _axes) -> None:
        if self._stepping and self._stepped_view is not None:
            # pyqtgraph stops following the data on the axis the user moved (the wheel or a drag
            # over one axis moves that one alone); the other follows it again, fitted exactly, as
            # it did before the run stepped it.
            view = self.plot.getPlotItem().getViewBox()
            for axis, (shown, stepped) in enumerate(zip(view.viewRange(), self._stepped_view)):
                if shown == stepped:
                    view.enableAutoRange(axis=axis)
        self._stepping = False   # pyqtgraph stops following the data; so does the run

    def _refresh_samples(self) -> bool:
        training = self.document.training
        if self._samples.update(training.sample_losses):
            x = self._sample_x.first(self._samples.count, training.n_samples)
            self.sample_curve.setData(x, training.sample_losses.values)
            return True
        return False

    def _show_samples(self, shown: bool) -> None:
        self.sample_curve.setVisible(shown)
        self.epoch_axis.set_fractions(shown)
        if shown:
            self._refresh_samples()
        else:   # a hidden curve keeps neither a view of losses training may replace nor its x
            self.sample_curve.clear()
            self._samples = LogWatch()
            self._sample_x = Ramp()
            self._sample_bounds = Bounds()
        if self._stepping:
            self._shown_ranges = None
            self._grow_ranges()

    def set_log_scale(self, on: bool) -> None:
        """Logarithmic y axis; zero losses are left out of the log plot (pyqtgraph maps them to NaN)."""
        if self.log_box.isChecked() != on:
            self.log_box.setChecked(on)
            return
        self.plot.getPlotItem().setLogMode(x=False, y=on)
        self.readout.clear()
        if self._running:   # pyqtgraph fits the new scale; a run steps through it again
            self._fit()

    def curve_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The epoch curve's (x, y) as given to pyqtgraph, before any log mapping: (n,), (n,)."""
        x, y = self.curve.xData, self.curve.yData
        return (np.empty(0) if x is None else x), (np.empty(0) if y is None else y)

    def _update_status(self) -> None:
        training = self.document.training
        style = ""
        if training.finished:
            text = training.message
            if training.status != "diverged" and training.history:   # the result, not only the reason
                text += (f" Mean loss of epoch {len(training.history)}: "
                         f"{format_number(training.history[-1], self.document.digits)}")
            style = f"color: {'#b00020' if training.status == 'diverged' else '#1b6e20'};"
        elif not training.history:
            text = EMPTY_TEXT
        else:
            last = format_number(training.history[-1], self.document.digits)
            text = f"After {len(training.history)} epochs: mean loss {last}"
        if self.status.text() != text:
            self.status.setText(text)
        if self.status.styleSheet() != style:   # restyling re-polishes the label: only on a change
            self.status.setStyleSheet(style)

    # -- hover ---------------------------------------------------------------------------------
    def _mouse_moved(self, position: QPointF) -> None:
        view = self.plot.getPlotItem().getViewBox()
        count = self._epochs.count
        if count == 0 or not self.plot.sceneBoundingRect().contains(position):
            return
        epoch = int(round(view.mapSceneToView(position).x()))
        epoch = min(max(epoch, 1), count)
        self.show_readout(epoch)

    def show_readout(self, epoch: int) -> None:
        """Put the crosshair on `epoch` (1-based) and read its loss out: `epoch 3: loss 10.8816`."""
        training, digits = self.document.training, self.document.digits
        value = training.history[epoch - 1]
        self.crosshair.setPos(epoch)
        self.crosshair.setVisible(True)
        text = f"epoch {epoch}: loss {format_number(value, digits)}"
        if training.held_out_rows.size:
            held_out = training.evaluation_series("held_out_loss")[epoch - 1]
            text += f", held-out {format_number(held_out, digits)}"
        self.readout.setText(text)

    # -- export --------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> None:
        """Save the plot as a PNG image; raises SessionError with a message on failure."""
        path = Path(path)
        exporter = pyqtgraph.exporters.ImageExporter(self.plot.getPlotItem())
        image = exporter.export(toBytes=True)
        if image is None or not image.save(str(path), "PNG"):
            raise SessionError(f"cannot save {path.name}: the image could not be written there")

    def export_csv(self, path: str | Path) -> None:
        """Write `epoch,mean_loss` rows at full precision, atomically; raises SessionError on failure."""
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["epoch", "mean_loss"])
        for epoch, value in enumerate(self.document.training.history, start=1):
            writer.writerow([epoch, repr(float(value))])
        write_atomically(Path(path), stream.getvalue())
