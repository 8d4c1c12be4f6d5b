"""Step Back and stepping into a large batch make only the records shown, whatever the number of rows.

Counted, not timed: every record class's __init__ is wrapped to count the records made. The lectures'
2-2-1 network has 52 records per sample and 9 updates, so a bound of a few hundred is a constant,
where the batches below have hundreds of thousands to millions of records.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator import records as record_module
from simulator.dataset import Dataset
from simulator.network import Layer, Network
from simulator.stepper import GRANULARITIES, Stepper
from simulator.timeline import END, Timeline, back_target, batches_per_epoch, go_to
from simulator.training import Training, TrainingConfig

PER_SAMPLE, UPDATES = 52, 9
#: Records a step back may make: two samples' (the one shown, and one a boundary search looks across)
#: and the updates, with room to spare; never a number that grows with the rows.
BOUND = 4 * PER_SAMPLE + UPDATES + 1
MODES = {"full batch": 0, "per sample": 1, "mini-batch 32": 32}


def regression_on(rows: int, batch_size: int, epochs: int = 2, order: str = "sequential") -> Training:
    """The lectures' 2-2-1 network (linear, MSE, every weight 0.1) on `rows` random rows, y = x1 + x2."""
    rng = np.random.default_rng(rows)
    X = rng.uniform(0, 1, size=(rows, 2))
    dataset = Dataset(["x1", "x2", "y"], np.hstack([X, X.sum(axis=1, keepdims=True)]), ["x1", "x2"], ["y"])
    layers = [Layer(np.full((2, 2), 0.1), np.zeros(2), "linear"), Layer(np.full((2, 1), 0.1), np.zeros(1), "linear")]
    config = TrainingConfig(learning_rate=0.001, epochs=epochs, batch_size=batch_size, order=order)
    return Training(Network(layers), dataset, "mse", config)


@pytest.fixture
def made(monkeypatch) -> list[int]:
    """[records made so far], counted by every record class's __init__."""
    count = [0]
    for cls in (record_module.ForwardRecord, record_module.LossRecord, record_module.FactorRecord,
                record_module.GradientRecord, record_module.UpdateRecord, record_module.EpochRecord):
        def counting(self, *args, __init=cls.__init__, **kwargs):
            count[0] += 1
            __init(self, *args, **kwargs)
        monkeypatch.setattr(cls, "__init__", counting)
    return count


def run_to_end(training: Training, timeline: Timeline) -> None:
    """The fast path to the end, the timeline told every few batches, as Run to End tells it."""
    while not training.finished:
        training.run(max_steps=5000)
        timeline.observe()


def read_what_views_read(stepper: Stepper) -> None:
    """What the graph and the inspector read after a step: the current record, the records the graph
    folds, the history's last rows and the current chain."""
    current = stepper.current
    list(stepper.shown)
    list(stepper.revealed[-201:-1])
    if current is not None:
        list(stepper.sample_records(current))


@pytest.mark.parametrize("mode", MODES)
def test_a_step_back_after_a_run_on_100000_rows_makes_a_bounded_number_of_records(made, mode):
    training = regression_on(100_000, MODES[mode])
    stepper, timeline = Stepper(training), Timeline(training)
    run_to_end(training, timeline)
    for granularity in ("factor", "phase", "sample", "factor"):
        made[0] = 0
        go_to(stepper, timeline, back_target(stepper, timeline, granularity))
        read_what_views_read(stepper)
        assert made[0] <= BOUND, (granularity, made[0])
    assert stepper.current.epoch == 2 and stepper.current.sample >= 100_000 - 32


def test_stepping_into_a_full_batch_of_100000_rows_makes_only_the_records_shown(made):
    training = regression_on(100_000, 0)
    stepper = Stepper(training)
    for _ in range(PER_SAMPLE + 3):        # the first sample's records, and into the second sample's
        stepper.step("factor")
        read_what_views_read(stepper)
    assert stepper.current.sample == 2 and len(stepper.records) == 100_000 * PER_SAMPLE + UPDATES
    assert made[0] <= BOUND
    made[0] = 0
    stepper.skip_batch()                   # Step Out of the batch: applied, its records not made
    read_what_views_read(stepper)
    assert stepper.current.kind == "epoch" and training.epoch == 1
    assert made[0] <= BOUND


def forward_positions(training_factory, granularity: str) -> list[tuple]:
    """Every position a forward stepping at `granularity` stops at, with the records it shows."""
    training = training_factory()
    stepper = Stepper(training)
    shown = [(training.epoch, training.position, ())]
    while stepper.step(granularity):
        shown.append((training.epoch, training.position, tuple(stepper.revealed)))
    return shown


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("batch_size", [0, 1, 4])
def test_stepping_back_shows_what_stepping_forward_showed(batch_size, granularity):
    def factory():
        return regression_on(9, batch_size, epochs=2, order="shuffled")
    expected = forward_positions(factory, granularity)
    training = factory()
    stepper, timeline = Stepper(training), Timeline(training)
    run_to_end(training, timeline)
    got = [(training.epoch, training.position, tuple(stepper.revealed))]
    while (target := back_target(stepper, timeline, granularity)) is not None:
        go_to(stepper, timeline, target)
        got.append((training.epoch, training.position, tuple(stepper.revealed)))
    # From the end, stepping back passes through every stop stepping forward made (the end's shown
    # batch is the last one stepping forward showed; Run to End leaves nothing shown).
    assert got[1:] == expected[::-1][:len(got) - 1]
    assert got[-1] == expected[0]


def test_a_jump_shows_the_same_records_as_revealing_them_one_by_one():
    training, other = regression_on(300, 0), regression_on(300, 0)
    jumped, walked = Stepper(training), Stepper(other)
    jumped.reveal_to(1234)
    for _ in range(1234):
        walked.next_record()
    assert jumped.revealed_count == walked.revealed_count and jumped.batch is not None
    assert list(jumped.revealed) == list(walked.revealed) and list(jumped.shown) == list(walked.shown)
    jumped.reveal_to(None)
    walked.finish_batch()
    assert list(jumped.records) == list(walked.records) and jumped.current.kind == "epoch"
    assert training.network.flat_parameters().tolist() == other.network.flat_parameters().tolist()


def test_the_graph_folds_the_same_values_from_the_last_sample_as_from_every_record():
    from ui.overlay import overlay_from
    training = regression_on(50, 32)
    stepper = Stepper(training)
    for _ in range(40 * PER_SAMPLE + 5):
        stepper.next_record()
        if stepper.revealed_count % 17 == 0 or stepper.current.kind == "update":
            assert overlay_from(stepper.shown) == overlay_from(list(stepper.revealed))


def test_a_replay_from_a_snapshot_gives_the_state_stepping_gave():
    training, stepped = regression_on(40, 1, epochs=3, order="shuffled"), regression_on(40, 1, epochs=3, order="shuffled")
    timeline = Timeline(training)
    run_to_end(training, timeline)
    total = 3 * batches_per_epoch(stepped)
    states = []
    for _ in range(total):
        stepped.step()
        states.append((stepped.network.flat_parameters().tolist(), stepped.sample_losses.tolist(),
                       list(stepped.history), stepped.epoch, stepped.position))
    for index in (total - 1, total - 9, 5):
        timeline.restore(index)
        assert (training.network.flat_parameters().tolist(), training.sample_losses.tolist(),
                list(training.history), training.epoch, training.position) == states[index - 1]


def test_an_applied_batch_keeps_the_numbers_it_was_computed_with():
    # The records of a batch are made when read, after the network has moved on: they must still
    # show the weights the batch used, not the updated ones.
    training = regression_on(20, 0)
    stepper = Stepper(training)
    stepper.reveal_to(None)
    first = stepper.records[0]
    assert first.kind == "forward" and first.weights == (0.1, 0.1)
    assert training.network.layers[0].weights[0, 0] != 0.1
    update = next(record for record in stepper.records.updates if record.parameter == "w111")
    assert update.old == 0.1 and update.new == training.network.layers[0].weights[0, 0]


def test_end_means_the_whole_batch_with_its_epochs_end():
    training = regression_on(20, 5)
    stepper, timeline = Stepper(training), Timeline(training)
    run_to_end(training, timeline)
    go_to(stepper, timeline, (batches_per_epoch(training) - 1, END))
    assert stepper.current.kind == "epoch" and stepper.revealed_count == len(stepper.records)
    assert len(stepper.records) == 5 * PER_SAMPLE + UPDATES + 1


def test_ctrl_f10_after_run_to_end_on_a_large_full_batch_makes_only_the_records_shown(qtbot, made):
    from PySide6.QtCore import Qt

    from helpers import open_window, run_to_end as run_window_to_end, settle
    from simulator.examples import load_example
    from simulator.session import Session
    base = load_example("regression")
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(20_000, 2))
    dataset = Dataset(list(base.dataset.columns), np.hstack([X, X.sum(axis=1, keepdims=True)]),
                      list(base.dataset.inputs), list(base.dataset.targets))
    session = Session(base.network, "mse", base.training.with_changes(batch_size=0, epochs=2), dataset, title="large")
    window = open_window(qtbot, session)
    run_window_to_end(qtbot, window)
    settle(window.view)
    made[0] = 0
    qtbot.keyClick(window, Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)
    settle(window.view)
    assert window.document.stepper.current.kind == "epoch" and len(window.document.stepper.records) > 1_000_000
    qtbot.keyClick(window, Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)   # the last update
    settle(window.view)
    assert window.document.stepper.current.kind == "update"
    assert window.document.stepper.current.parameter in window.inspector.plain_text()
    assert made[0] <= 2 * BOUND


@pytest.mark.parametrize("finish", ["step out", "run to end"])
def test_finishing_a_large_full_batch_in_the_window_makes_only_the_records_shown(qtbot, made, finish):
    """Shift+F11 or Ctrl+F5 in the middle of a full batch of 20,000 rows applies it without making the
    records of every row (about a million)."""
    from PySide6.QtCore import Qt

    from helpers import open_window, run_to_end as run_window_to_end, settle
    from simulator.examples import load_example
    from simulator.session import Session
    base = load_example("regression")
    X = np.random.default_rng(2).uniform(0, 1, size=(20_000, 2))
    dataset = Dataset(list(base.dataset.columns), np.hstack([X, X.sum(axis=1, keepdims=True)]),
                      list(base.dataset.inputs), list(base.dataset.targets))
    session = Session(base.network, "mse", base.training.with_changes(batch_size=0, epochs=2), dataset, title="large")
    window = open_window(qtbot, session)
    window.controller.step("factor")                    # into the first batch: its first forward record
    settle(window.view)
    assert window.document.stepper.mid_batch
    made[0] = 0
    if finish == "step out":
        qtbot.keyClick(window, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier)
        assert window.document.training.epoch == 1 and not window.document.stepper.mid_batch
    else:
        run_window_to_end(qtbot, window)
        assert window.document.training.epoch == 2
    settle(window.view)
    assert made[0] <= 2 * BOUND
