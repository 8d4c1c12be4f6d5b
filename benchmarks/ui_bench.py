"""Desktop-app figures, measured on the real main window (offscreen) and on `python main.py`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: Run in a child: patch QMainWindow.show to report when the window is shown, then quit.
STARTUP_PROBE = """
import sys, runpy
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
original = QMainWindow.show
def show(self):
    original(self)
    QApplication.processEvents()
    status = open("/proc/self/status").read() if sys.platform.startswith("linux") else ""
    rss = [line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")]
    print("shown", rss[0] if rss else "0", flush=True)
    QTimer.singleShot(0, QApplication.quit)
QMainWindow.show = show
sys.argv = ["main.py"]
runpy.run_path("main.py", run_name="__main__")
"""


def startup(repeats: int = 3) -> tuple[float, float]:
    """Median seconds from starting `python main.py` to its window shown, and its resident MB then."""
    times, rss = [], []
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with tempfile.TemporaryDirectory() as home:
        env["XDG_CONFIG_HOME"] = home
        for _ in range(repeats + 1):
            start = time.perf_counter()
            process = subprocess.Popen([sys.executable, "-c", STARTUP_PROBE], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            line = process.stdout.readline().split()
            times.append(time.perf_counter() - start)
            process.wait(timeout=60)
            rss.append(int(line[1]) / 1024 if len(line) == 2 else float("nan"))
    return statistics.median(times[1:]), statistics.median(rss[1:])


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class PaintCounter:
    """Counts the paint events a widget receives."""

    def __init__(self, widget):
        from PySide6.QtCore import QEvent, QObject

        class Filter(QObject):
            def eventFilter(inner, watched, event):   # noqa: N802, N805 (Qt override)
                if event.type() == QEvent.Type.Paint:
                    self.count += 1
                return False

        self.count = 0
        self.widget = widget
        self._filter = Filter()
        widget.installEventFilter(self._filter)

    def remove(self) -> None:
        self.widget.removeEventFilter(self._filter)


class Window:
    """A shown MainWindow on a document; `settle()` paints all of it synchronously."""

    def __init__(self, session):
        from PySide6.QtWidgets import QApplication

        from ui.document import Document
        from ui.main_window import MainWindow
        self.app = QApplication.instance()
        self.window = MainWindow(Document(session))
        self.window.show()
        self.settle()

    def settle(self) -> None:
        self.app.processEvents()
        self.window.repaint()

    def until_painted(self, counter: PaintCounter, painted: int) -> None:
        """Turn the event loop until `counter`'s widget has painted since it counted `painted`, and
        what that queued (the other panels' repaints) is done: what the user sees after a step."""
        for _ in range(1000):
            self.app.processEvents()
            if counter.count > painted and not self.window.view.scene().refresh_pending():
                break
        else:
            raise RuntimeError("the window never repainted: the benchmark would time nothing")
        self.app.processEvents()

    def close(self) -> None:
        self.window.controller.pause()
        self.window.hide()   # not close(): that would ask whether to save the trained document
        self.window.deleteLater()
        self.app.processEvents()


def deep_session():
    """4 hidden layers × 8 tanh neurons on the regression example's rows."""
    from simulator.examples import load_example
    from simulator.network import Layer, Network
    from simulator.session import Session
    base = load_example("regression")
    rng = np.random.default_rng(0)
    sizes = [2, 8, 8, 8, 8, 1]
    layers = [Layer(rng.normal(0, 0.3, (n_in, n_out)), np.zeros(n_out), "linear" if n_out == 1 else "tanh")
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    network = Network(layers, list(base.network.input_names), list(base.network.output_names))
    return Session(network, "mse", base.training, base.dataset, title="4 × 8")


def step_to_repaint(session, steps: int = 40) -> float:
    """Median seconds from pressing F10 (Step, the default granularity) to the window repainted."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    shown = Window(session)
    shown.window.activateWindow()
    shown.window.view.setFocus()
    counter = PaintCounter(shown.window.view.viewport())
    times = []
    for _ in range(steps):
        painted, stepped = counter.count, shown.window.document.stepper.revealed_count
        start = time.perf_counter()
        QTest.keyClick(shown.window.view, Qt.Key.Key_F10)
        shown.until_painted(counter, painted)
        times.append(time.perf_counter() - start)
        if shown.window.document.stepper.revealed_count == stepped:
            raise RuntimeError("F10 did not step: the benchmark would time nothing")
    counter.remove()
    shown.close()
    return statistics.median(times[3:])


def live_run(session, seconds: float = 3.0) -> tuple[float, float]:
    """Run to End with the view live for `seconds`: repaints per second and updates per second."""
    from PySide6.QtCore import QEventLoop, QTimer
    session.training = session.training.with_changes(epochs=10_000_000)
    shown = Window(session)
    counter = PaintCounter(shown.window.view.viewport())
    training = shown.window.document.training
    loop = QEventLoop()
    shown.window.controller.run_to_end()
    start, before = time.perf_counter(), len(training.sample_losses)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.perf_counter() - start
    shown.window.controller.pause()
    updates = len(training.sample_losses) - before
    counter.remove()
    shown.close()
    return counter.count / elapsed, updates / elapsed


def loss_plot_million(session) -> tuple[float, float]:
    """A loss plot holding 1,000,000 epochs: median seconds of one more epoch's update plus repaint,
    and the resident memory a 1,000,000-epoch history (with its per-sample losses) adds, in MB."""
    from ui.document import Change

    shown = Window(session)
    document = shown.window.document
    training = document.training
    rows = training.n_samples
    before = rss_mb()
    # Grown as the fast path grows them, an epoch at a time (its samples' losses, then its mean), so
    # the buffers go through the same doublings; a large temporary list would stay in the allocator.
    history, sample_losses = training.history, training.sample_losses
    for epoch in range(1, 1_000_001):
        loss = 1.0 / epoch
        sample_losses.extend([loss] * rows)
        history.append(loss)
    document.changed.emit(Change.HISTORY)
    shown.settle()
    added = rss_mb() - before
    times = []
    counter = PaintCounter(shown.window.loss_plot.plot.viewport())
    for epoch in range(12):
        painted = counter.count
        start = time.perf_counter()
        training.history.append(1e-6 / (epoch + 1))
        training.sample_losses.extend([1e-6] * rows)
        document.changed.emit(Change.HISTORY)
        shown.until_painted(counter, painted)
        times.append(time.perf_counter() - start)
    counter.remove()
    shown.close()
    return statistics.median(times[2:]), added
