"""Making a row the next sample (a click on its point in the Input Space panel): a swap in the epoch's
order, so the epoch still visits every row once; undoable; refused clearly when it cannot be."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from helpers import open_window
from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.run import Run


def _visited(training, epochs: int = 1) -> list[int]:
    rows = []
    for _ in range(epochs * training.n_samples):
        rows.append(int(training.current_batch()[0]))
        training.step()
    return rows


@pytest.mark.parametrize("order", ["sequential", "shuffled"])
def test_the_row_comes_next_and_the_epoch_still_visits_every_row_once(order):
    session = load_example("three-classes")
    run = Run(session)
    run.set_config(run.training.config.with_changes(order=order, seed=4))
    training = run.training
    training.step()
    training.step()
    later = int(training.order(0)[7])
    assert run.bring_forward(later)
    assert int(training.current_batch()[0]) == later
    rest = _visited(training)[: training.n_samples - 2]
    assert rest[0] == later
    assert sorted(list(training.order(0)[:2]) + rest) == list(range(training.n_samples))


def test_the_fast_path_follows_the_same_order_as_stepping():
    session = load_example("xor")
    runs = [Run(session), Run(session)]
    for run in runs:
        run.training.step()
        run.bring_forward(3)
    runs[0].training.run(max_steps=3)                        # the fast path
    visited = []
    for _ in range(3):                                       # one step at a time
        visited.append(int(runs[1].training.current_batch()[0]))
        runs[1].training.step()
    assert visited[0] == 3 and len(set(visited)) == 3
    assert np.array_equal(runs[0].training.network.flat_parameters(), runs[1].training.network.flat_parameters())


def test_refusals_change_nothing():
    run = Run(load_example("xor"))
    training = run.training
    training.step()
    first = int(training.order(0)[0])
    state = training.snapshot()
    with pytest.raises(ConfigError, match=f"row {first + 1} has had its turn in epoch 1; it comes again in epoch 2"):
        run.bring_forward(first)
    with pytest.raises(ConfigError, match="there is no row 9"):
        run.bring_forward(8)
    assert training.brought_forward == () and training.snapshot().position == state.position
    assert run.bring_forward(int(training.order(0)[1])) is False     # next already


def test_clicking_a_point_makes_it_the_next_sample_undoably(qtbot):
    window = open_window(qtbot, load_example("xor"))
    window.docks["input_space"].raise_()
    panel = window.input_space
    qtbot.waitUntil(lambda: not panel._dirty)
    qtbot.wait(100)
    document = window.document
    assert int(document.training.current_batch()[0]) != 3
    view_box = panel.plot.getPlotItem().getViewBox()
    position = panel.plot.mapFromScene(view_box.mapViewToScene(QPointF(1.0, 1.0)))   # row 4
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=position)
    qtbot.waitUntil(lambda: int(document.training.current_batch()[0]) == 3)
    assert "Row 4 is the next sample" in window.statusBar().currentMessage()
    window.set_granularity("sample")
    window.window_actions.step.trigger()
    assert document.stepper.records[0].row == 4                     # the records count rows from 1
    window.window_actions.undo.trigger()
    assert document.training.position == 0 and int(document.training.current_batch()[0]) != 3


def test_back_to_the_swap_and_forward_again_gives_the_same_states(qtbot):
    window = open_window(qtbot, load_example("three-classes"))
    document = window.document
    document.step("sample")
    chosen = int(document.training.order(0)[9])
    document.bring_forward(chosen)

    def four_samples() -> tuple[list[int], list[np.ndarray]]:
        rows, states = [], []
        for _ in range(4):
            rows.append(int(document.training.current_batch()[0]))
            document.step("sample")
            states.append(document.network.flat_parameters())
        return rows, states

    rows, states = four_samples()
    document.train_for(0.05)                      # on along the fast path
    assert document.back_to_start()               # back to the swap (the earliest state Step Back reaches)
    assert document.training.position == 1 and int(document.training.current_batch()[0]) == chosen
    again_rows, again = four_samples()
    assert again_rows == rows and rows[0] == chosen
    assert all(np.array_equal(a, b) for a, b in zip(states, again))
