"""The loss log behind `Training.history` and `Training.sample_losses`: a list of floats to every
reader, 8 bytes a loss, and numpy views without copies for the plot."""

from __future__ import annotations

import copy
import json
import pickle
from array import array

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from simulator.examples import load_example
from simulator.loss_log import PENDING_LIMIT, LossLog
from simulator.timeline import Timeline
from ui.document import Change
from ui.document import Document
from ui.loss_plot import LossPlotPanel

finite = st.floats(allow_nan=False, allow_infinity=True, width=64)
operations = st.lists(st.one_of(
    st.tuples(st.just("append"), finite),
    st.tuples(st.just("extend"), st.lists(finite, max_size=PENDING_LIMIT + 10)),
    st.tuples(st.just("extend array"), st.lists(finite, max_size=3000)),
    st.tuples(st.just("truncate"), st.integers(0, 6000)),
), max_size=25)


def same_floats(log: LossLog, expected: list[float]) -> bool:
    """Equal bit for bit, and read as Python floats."""
    read = list(log)
    return (all(type(value) is float for value in read)
            and np.array(read).tobytes() == np.array(expected, dtype=float).tobytes())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_a_log_reads_like_the_list_it_was_given(steps):
    log, model = LossLog(), []
    for kind, argument in steps:
        if kind == "append":
            log.append(argument)
            model.append(argument)
        elif kind == "extend":
            log.extend(argument)
            model.extend(argument)
        elif kind == "extend array":
            log.extend(np.array(argument, dtype=float))
            model.extend(argument)
        else:
            log.truncate(argument)
            del model[argument:]
    assert len(log) == len(model) and bool(log) == bool(model)
    assert same_floats(log, model)
    assert log == model and model == log and not (log != model)
    assert log.tolist() == model and np.array_equal(np.asarray(log), model)
    if model:
        assert log[-1] == model[-1] and type(log[-1]) is float and log[0] == model[0]
        assert log[len(model) // 2:] == model[len(model) // 2:]
        assert type(log[1:]) is LossLog
    with pytest.raises(IndexError):
        log[len(model)]
    with pytest.raises(IndexError):
        log[-len(model) - 1]


def test_equality_is_a_plain_bool_against_lists_arrays_and_logs():
    log = LossLog([1.0, 2.5, 4.0])
    for same in ([1.0, 2.5, 4.0], (1.0, 2.5, 4.0), array("d", [1.0, 2.5, 4.0]), np.array([1.0, 2.5, 4.0]),
                 LossLog([1.0, 2.5, 4.0]), [1, 2.5, 4]):
        assert (log == same) is True and (log != same) is False
    for other in ([1.0, 2.5], [1.0, 2.5, 4.5], [], LossLog([4.0, 2.5, 1.0]), ["a", "b", "c"], np.zeros((3, 1)),
                  np.array(1.0), [[1.0, 2.5, 4.0]]):
        assert (log == other) is False and (log != other) is True
    assert (LossLog() == []) is True and ([] == LossLog()) is True
    assert log != "1.0, 2.5, 4.0" and log != 1.0
    with pytest.raises(TypeError):
        hash(log)
    assert repr(log) == "LossLog([1.0, 2.5, 4.0], 3 values)"


def test_values_is_a_read_only_view_that_growth_and_cutting_back_never_break():
    log = LossLog(np.arange(1.0, 11.0))
    view = log.values
    assert np.shares_memory(view, np.asarray(log)) and not view.flags.writeable
    with pytest.raises(ValueError):
        view[0] = 99.0
    log.extend(np.arange(100_000.0))            # grows into a new buffer; the old view still reads
    log.truncate(5)                             # cut back while views are alive
    log.append(-1.0)
    assert view.tolist() == list(np.arange(1.0, 11.0)) and log == [1.0, 2.0, 3.0, 4.0, 5.0, -1.0]
    copied = np.array(log)
    assert copied.flags.writeable and not np.shares_memory(copied, log.values)


def test_a_run_keeps_every_loss_as_one_float64():
    """What a long history costs is a benchmark (`make perf`); that each loss is one 8-byte value is not."""
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=2_000, tolerance=0.0)
    training = session.make_training()
    training.run()
    assert len(training.history) == 2_000 and len(training.sample_losses) == 2_000 * training.n_samples
    for log in (training.history, training.sample_losses):
        assert log.values.dtype == np.float64 and log.values.nbytes == 8 * len(log)


def test_copies_and_pickles_are_independent_and_equal():
    log = LossLog([0.1, 0.2])
    for twin in (copy.copy(log), copy.deepcopy(log), pickle.loads(pickle.dumps(log))):
        assert twin == log and twin is not log
        twin.append(0.3)
        assert len(log) == 2


def test_a_runs_summary_gives_json_plain_floats():
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=3000)
    training = session.make_training()
    training.run()
    summary = training.summary()["loss_per_epoch"]
    assert type(summary) is list and len(summary) == 3000 and all(type(value) is float for value in summary)
    assert json.loads(json.dumps(summary)) == training.history


def test_going_back_cuts_the_logs_in_place_and_keeps_the_numbers():
    session = load_example("regression")
    training = session.make_training()
    timeline = Timeline(training)
    history, samples = training.history, training.sample_losses
    for _ in range(9):
        training.step()
        timeline.observe()
    before = (history.tolist(), samples.tolist())
    timeline.restore(3)
    assert training.history is history and training.sample_losses is samples
    assert history == [] and samples == before[1][:3]
    assert training._epoch_losses == before[1][:3]
    timeline.restore(timeline.newest)
    training.run(max_steps=6)
    assert history == before[0] and samples == before[1]


def test_the_loss_plot_draws_the_logs_without_copying_them(qtbot):
    doc = Document(load_example("regression"))
    panel = LossPlotPanel(doc)
    qtbot.addWidget(panel)
    doc.training.history.extend(np.linspace(3.0, 1.0, 5000))
    doc.changed.emit(Change.HISTORY)
    x, y = panel.curve_data()
    assert np.shares_memory(y, doc.training.history.values) and y.tolist() == doc.training.history
    assert x.dtype.itemsize == 4 and x.tolist() == list(range(1, 5001))   # whole epochs, 4 bytes each
    panel.samples_box.setChecked(True)
    doc.training.sample_losses.extend(np.linspace(3.0, 1.0, 20_000))
    doc.changed.emit(Change.HISTORY)
    assert np.shares_memory(panel.sample_curve.yData, doc.training.sample_losses.values)
    np.testing.assert_array_equal(panel.sample_curve.xData, np.arange(1, 20_001) / 4)
    doc.training.history.truncate(2)            # going back: the same log, shorter
    doc.training.history.append(9.0)
    doc.changed.emit(Change.HISTORY)
    assert panel.curve_data()[1].tolist() == [3.0, doc.training.history[1], 9.0]
    panel.samples_box.setChecked(False)         # a hidden curve lets go of the losses
    assert panel.sample_curve.yData is None


# -- frozen copies (undo snapshots) -----------------------------------------------------------------
def test_a_frozen_copy_keeps_its_values_whatever_the_log_does_next():
    log = LossLog([1.0, 2.0, 3.0])
    early = log.freeze()
    log.extend([4.0, 5.0])
    late = log.freeze()
    log.restore(early)
    assert log == [1.0, 2.0, 3.0]
    log.extend([9.0, 9.5])                           # a history that differs from `late`'s
    assert log == [1.0, 2.0, 3.0, 9.0, 9.5]
    log.restore(late)
    assert log == [1.0, 2.0, 3.0, 4.0, 5.0]           # not overwritten by the other history
    log.truncate(2)
    log.append(7.0)
    log.restore(early)
    assert log == [1.0, 2.0, 3.0]


def test_undo_then_redo_then_training_copies_nothing():
    """Restoring the newest frozen copy and appending writes past every frozen copy: no new buffer, so a
    long session of edits, undos and redos keeps one copy of its losses, not one per undo."""
    log = LossLog(np.arange(5000.0))
    before = log.freeze()
    log.extend(np.arange(5000.0, 6000.0))
    after = log.freeze()
    log.restore(before)
    log.restore(after)
    buffer = log.values.base if log.values.base is not None else log.values
    log.extend([1.0, 2.0])
    assert np.shares_memory(log.values, buffer) and len(log) == 6002


def test_a_log_restored_from_a_copy_is_a_change_for_the_plot():
    log = LossLog([1.0, 2.0])
    frozen = log.freeze()
    cuts = log.cuts
    log.restore(frozen)
    assert log.cuts == cuts + 1
