"""Input-space map figures, on the real main window (offscreen): the map recomputed and repainted per
step, and the rate the maps are redrawn at while training runs at full speed with them live."""

from __future__ import annotations

import statistics
import time

import numpy as np

from ui_bench import Window


def wide_session():
    """2-8-8-1 (tanh, tanh, sigmoid) with binary cross-entropy on the XOR rows: the largest network
    the map's target is set for."""
    from simulator.examples import load_example
    from simulator.network import Layer, Network
    from simulator.session import Session
    base = load_example("xor")
    rng = np.random.default_rng(0)
    sizes = [2, 8, 8, 1]
    layers = [Layer(rng.normal(0, 0.8, (n_in, n_out)), np.zeros(n_out), "sigmoid" if n_out == 1 else "tanh")
              for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    network = Network(layers, list(base.network.input_names), list(base.network.output_names))
    return Session(network, "bce", base.training, base.dataset, title="2-8-8-1")


def _shown_maps(session) -> Window:
    shown = Window(session)
    window = shown.window
    window.docks["input_space"].raise_()
    window.graph_maps_action.setChecked(True)
    shown.settle()
    return shown


def map_step(session, steps: int = 40) -> float:
    """Median seconds of the maps' own work after one training step (its update changes every
    parameter): the map of 64 × 64 points recomputed, the panel redrawn and repainted, every neuron's
    map on the graph redrawn and the graph repainted. (The step itself, and the other panels' work,
    are the other figures'.)"""
    shown = _shown_maps(session)
    window = shown.window
    panel, graph_maps = window.input_space, window.graph_maps
    times = []
    for _ in range(steps):
        window.document.step("sample")           # one sample and its update, announced as the app does
        made = panel.source.latest
        start = time.perf_counter()
        panel.refresh()
        panel.plot.viewport().repaint()
        graph_maps.refresh()
        window.view.viewport().repaint()
        times.append(time.perf_counter() - start)
        if panel.source.latest is made:
            raise RuntimeError("the step did not remake the map: the benchmark would time nothing")
        shown.app.processEvents()
    shown.close()
    return statistics.median(times[3:])


def map_live_run(session, seconds: float = 3.0) -> tuple[float, float]:
    """Run to End with the panel and the graph's neuron maps live for `seconds`: maps redrawn per second
    (each a new map of new parameters) and training updates per second."""
    from PySide6.QtCore import QEventLoop, QTimer
    session.training = session.training.with_changes(epochs=10_000_000)
    shown = _shown_maps(session)
    window = shown.window
    panel = window.input_space
    made = []
    original = panel.refresh

    def counted() -> None:
        original()
        made.append(panel.source.latest)
    panel.refresh = counted
    panel._timer.timeout.disconnect()
    panel._timer.timeout.connect(counted)
    training = window.document.training
    loop = QEventLoop()
    window.controller.run_to_end()
    start, before = time.perf_counter(), len(training.sample_losses)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.perf_counter() - start
    window.controller.pause()
    updates = len(training.sample_losses) - before
    redraws = len({id(item) for item in made})
    shown.close()
    return redraws / elapsed, updates / elapsed
