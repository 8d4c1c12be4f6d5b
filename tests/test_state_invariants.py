"""Seeded random interleavings of everything a user can do, through the real window, with the invariants
checked after every operation:

- what the graph, the dataset table, the settings and the loss plot show is the engine's state;
- every undo, redo, step back and back-to-start lands on a state that existed, and Reset on starting
  parameters that existed at the start of training;
- Save then Open gives back exactly the network, data and settings that were shown.

`make test` runs a few dozen sequences; `make soak` several hundred (SOAK_SEQUENCES).
"""

from __future__ import annotations

import hashlib
import os
import random

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from helpers import open_window
from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.formatting import format_number
from simulator.optimizers import Optimizer
from simulator.run import Run
from simulator.session import load
from simulator.training import Training
from ui.document import Document

SEQUENCES = int(os.environ.get("SOAK_SEQUENCES", "24"))
OPERATIONS = 40
EXAMPLES = ("regression", "classification", "xor")


def fingerprint(document: Document) -> tuple:
    """Everything that makes a state, compared exactly (arrays by their bytes)."""
    training, stepper = document.training, document.stepper
    network, session = training.network, document.session

    def digest(array) -> str:
        return hashlib.sha1(np.ascontiguousarray(np.asarray(array, dtype=float)).tobytes()).hexdigest()

    return (tuple(network.sizes), tuple(layer.activation for layer in network.layers), session.loss,
            digest(network.flat_parameters()), digest(session.network.flat_parameters()),
            training.epoch, training.position, training.status, digest(training.history.values),
            digest(training.sample_losses.values), digest(session.dataset.rows), session.training,
            training.config, stepper.revealed_count, id(stepper.current) if stepper.current is None else
            (type(stepper.current).__name__, stepper.current.epoch, stepper.current.sample))


FIELDS = ("sizes", "activations", "loss", "parameters", "start parameters", "epoch", "position", "status",
          "history", "sample losses", "rows", "session settings", "training settings", "revealed", "current")


def closest(state: tuple, seen: set) -> str:
    """Which fields differ from the most alike state seen."""
    best = min(seen, key=lambda known: sum(a != b for a, b in zip(state, known)))
    return ", ".join(f"{field}: {a!r} (seen {b!r})" for field, a, b in zip(FIELDS, state, best) if a != b)


def start_parameters(document: Document) -> tuple:
    return tuple(document.network.sizes), document.network.flat_parameters().tobytes()


def shown_values(labels, name: str) -> list[str]:
    """The values a parameter's visible labels show: `name = old` and, during an update, `→ new`."""
    values = []
    for label in labels:
        if not label.isVisible():
            continue
        lines = label.text().split("\n")
        for index, line in enumerate(lines):
            if line.startswith(f"{name} = "):
                values.append(line[len(name) + 3:])
                if index + 1 < len(lines) and lines[index + 1].startswith("→ "):
                    values.append(lines[index + 1][2:])
    return values


def check_shown(window) -> None:
    """What the window shows equals the engine's state."""
    QApplication.processEvents()
    document = window.document
    scene = window.view.network_scene()
    scene.refresh()
    digits = document.digits
    network = document.network
    for item in scene.edge_items() + scene.neuron_items():
        name = item.parameter_name()
        if name is None:
            continue
        if isinstance(item, type(scene.edge_items()[0])):
            item.label_text()                      # writes the label if it was left unwritten
        shown = shown_values(item.labels() if hasattr(item, "labels") else [item.label], name)
        if shown:
            expected = format_number(network.get(name), digits)
            assert expected in shown, (name, expected, shown)
    model = window.dataset_panel.model
    rows = document.session.dataset.rows
    for row in range(min(rows.shape[0], 3)):
        for column in range(rows.shape[1]):
            shown = model.data(model.index(row, column))
            assert shown == format_number(float(rows[row, column]), digits), (row, column, shown)
    assert float(window.settings_panel.rate_edit.text().replace("−", "-")) == document.training.config.learning_rate
    assert window.position_label.text() == window.controller.position_text()
    curve = window.loss_plot.curve.getData()[1]
    history = document.training.history.values
    assert (curve is None and history.size == 0) or np.array_equal(curve, history)


def operation(window, rng: random.Random, folder) -> str:
    """One random user action; returns its kind."""
    document, controller = window.document, window.controller
    network = document.network
    kind = rng.choice(["edit", "edit", "cell", "config", "structure", "step", "step", "step", "into", "out",
                       "run", "full speed", "undo", "undo", "redo", "back", "back", "start", "reset", "save",
                       "open"])
    if kind == "edit":
        ref = rng.choice(list(network.parameters()))
        document.edit_parameter(ref.name, round(rng.uniform(-1, 1), rng.choice([1, 3, 6])))
    elif kind == "cell":
        dataset = document.session.dataset
        column = rng.randrange(len(dataset.columns))
        value = float(rng.randint(0, 1)) if dataset.columns[column] in dataset.targets else rng.uniform(-3, 9)
        document.edit_cell(rng.randrange(dataset.rows.shape[0]), column, value)
    elif kind == "config":
        choice = rng.choice(["rate", "epochs", "batch", "order", "seed", "optimizer"])
        if choice == "rate":
            document.edit_config(learning_rate=rng.choice([0.001, 0.01, 0.1, 0.5]))
        elif choice == "epochs":          # fewer than training has begun is refused, the state unchanged
            epochs = rng.randint(max(1, document.training.epoch - 1), document.training.epoch + 3)
            before = fingerprint(document)
            try:
                document.edit_config(epochs=epochs)
            except ConfigError:
                assert fingerprint(document) == before
                assert epochs < document.training.epoch + (1 if document.training.position else 0)
        elif choice == "batch":           # mid-epoch too: batches no longer line up with the epoch's start
            document.edit_config(batch_size=rng.choice([0, 1, 2, 3]))
        elif choice == "seed":
            document.edit_config(seed=rng.randint(0, 5))
        elif choice == "optimizer":       # its state is part of every snapshot: undo and step back restore it
            document.edit_config(optimizer=rng.choice([Optimizer(), Optimizer("adam"), Optimizer("sgd", momentum=0.9),
                                                       Optimizer("rmsprop", weight_decay=0.01)]))
        else:
            document.edit_config(order=rng.choice(["sequential", "shuffled"]))
    elif kind == "structure":
        if len(network.sizes) == 3 and network.sizes[1] < 4 and rng.random() < 0.5:
            document.add_neuron(1)
        elif network.sizes[1] > 1:
            document.remove_neuron(1)
        else:
            document.set_activation(1, rng.choice(["tanh", "sigmoid", "relu", "linear"]))
    elif kind == "step":
        controller.step(rng.choice(["factor", "phase", "sample", "epoch"]))
    elif kind == "into":
        controller.step_into()
    elif kind == "out":
        controller.step_out()
    elif kind == "run":            # F5 at a watching speed: each tick one step at the chosen granularity
        controller.set_granularity(rng.choice(["factor", "phase", "sample"]))
        controller.set_speed(30)
        controller.run()
        if controller.running:
            controller._tick()
        controller.pause()
    elif kind == "full speed":
        controller.run_to_end()
        for _ in range(rng.randint(1, 4)):
            if not controller.running:
                break
            controller._tick()
        controller.pause()
    elif kind == "undo":
        document.undo_stack.undo()
    elif kind == "redo":
        document.undo_stack.redo()
    elif kind == "back":
        controller.step_back(rng.choice(["factor", "phase", "sample", "epoch"]))
    elif kind == "start":
        controller.back_to_start()
    elif kind == "reset":
        controller.reset()
    elif kind == "save":
        path = folder / "session.json"
        document.save(path)
        opened = load(path)
        current = document.run.current_session()
        assert opened.network.flat_parameters().tolist() == document.network.flat_parameters().tolist()
        assert opened.dataset.rows.tolist() == current.dataset.rows.tolist()
        assert opened.training == current.training and opened.loss == current.loss
        assert [layer.activation for layer in opened.network.layers] == \
               [layer.activation for layer in document.network.layers]
    elif kind == "open":
        path = folder / "session.json"
        if path.exists():
            document.replace_session(load(path), path)
        else:
            document.replace_session(load_example(rng.choice(EXAMPLES)))
    return kind


def run_sequence(qtbot, monkeypatch, seed: int, folder) -> None:
    rng = random.Random(seed)
    window = open_window(qtbot, load_example(EXAMPLES[seed % len(EXAMPLES)]))
    document = window.document
    seen = {fingerprint(document)}
    passed = set()     # the training states every committed step passed through
    commit = Training.commit

    def observed_commit(training, result):
        commit(training, result)
        if training is document.training:
            passed.add(fingerprint(document)[:-2])
    monkeypatch.setattr(Training, "commit", observed_commit)
    starts = {start_parameters(document)}
    passed_unseen = False    # a full-speed run went through states the test did not see
    for count in range(OPERATIONS):
        kind = operation(window, rng, folder)
        if kind == "full speed":
            passed_unseen = True
        elif kind in ("edit", "cell", "config", "structure", "reset", "open", "undo", "redo"):
            passed_unseen = False
        state = fingerprint(document)
        where = f"seed {seed}, operation {count + 1} ({kind})"
        if kind in ("undo", "redo"):
            assert state in seen, f"{where} landed on a state that never existed: {closest(state, seen)}"
        if kind in ("back", "start") and not passed_unseen:    # a step back may stop where a finer step would have: the training existed
            assert state[:-2] in {known[:-2] for known in seen} | passed, \
                f"{where} landed on a training state that never existed: {closest(state, seen)}"
        if kind == "reset":
            assert start_parameters(document) in starts, f"{where}: Reset gave starting parameters that never existed"
        seen.add(state)
        if document.training.at_start and document.stepper.revealed_count == 0:
            starts.add(start_parameters(document))
        check_shown(window)
    window.close()


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_random_interleavings_keep_the_invariants(qtbot, monkeypatch, tmp_path, seed):
    run_sequence(qtbot, monkeypatch, seed, tmp_path)


# -- the cases the issue names, by hand -------------------------------------------------------------
@pytest.fixture
def regression(qtbot):
    return open_window(qtbot, load_example("regression"))


def test_undo_after_training_restores_the_whole_state_before_the_edit(regression):
    document, controller = regression.document, regression.controller
    before = fingerprint(document)
    document.edit_parameter("w111", 0.5)
    controller.step("sample")
    trained = fingerprint(document)
    assert document.network.get("w211") != 0.1
    document.undo_stack.undo()
    assert fingerprint(document) == before
    assert all(value == 0.1 for value in document.network.flat_parameters()[[0, 1, 3, 4, 6, 7]])
    controller.reset()
    assert document.network.get("w111") == 0.1                      # the undone edit never comes back
    document.undo_stack.redo()
    assert fingerprint(document) == trained                          # the state the undo left


def test_undoing_a_structure_change_after_training_keeps_the_start(regression):
    document, controller = regression.document, regression.controller
    controller.step("sample")
    document.add_neuron(1)
    document.undo_stack.undo()
    controller.reset()
    assert document.network.get("w111") == 0.1                      # not 0.105888, the trained value


def test_an_edit_after_an_epoch_shows_the_new_value_not_the_last_update(regression):
    document, controller = regression.document, regression.controller
    controller.step("epoch")
    document.edit_parameter("w221", 1.819)
    check_shown(regression)
    edge = regression.view.network_scene().edge_item(2, 2, 1)
    assert "→" not in edge.label_text() and "1.819" in edge.label_text()


def test_undo_says_what_training_it_discards(regression, qtbot):
    document, controller = regression.document, regression.controller
    document.edit_parameter("w111", 0.5)
    controller.step("sample")
    with qtbot.waitSignal(document.message) as blocker:
        document.undo_stack.undo()
    assert blocker.args[0] == "Undo: Set w111 to 0.5 — the training done since (1 sample) is discarded"


def test_step_back_stops_at_an_edit_and_undo_goes_behind_it(regression):
    document, controller = regression.document, regression.controller
    controller.step("sample")
    trained = fingerprint(document)
    document.edit_parameter("b21", 0.25)
    controller.step("sample")
    assert controller.step_back("sample")
    assert not controller.step_back("sample")                          # stops at the edit
    document.undo_stack.undo()
    assert fingerprint(document) == trained                             # behind it: the state before the edit


# -- settings changed mid-run (found by review) ------------------------------------------------------
def test_step_back_by_epoch_after_a_batch_size_change_mid_epoch_lands_on_an_epochs_end(regression):
    document, controller = regression.document, regression.controller
    document.edit_config(epochs=5)
    controller.step("sample")                       # one sample: batches of 3 now start at samples 2, 5, …
    document.edit_config(batch_size=3)
    while not document.training.finished:
        document.train_for(1.0)
    assert controller.step_back("epoch")             # the records of epoch 5's last batch
    assert controller.step_back("epoch")             # epoch 4's end
    assert document.stepper.current.kind == "epoch" and document.training.epoch == 4
    replay = Run(load_example("regression"))
    replay.set_config(replay.session.training.with_changes(epochs=5))
    replay.stepper.step("sample")
    replay.set_config(replay.session.training.with_changes(epochs=5, batch_size=3))
    while replay.training.epoch < 4:
        replay.training.step()
    assert document.network.flat_parameters().tolist() == replay.training.network.flat_parameters().tolist()
    assert document.training.history == replay.training.history


def test_a_shuffled_order_chosen_before_training_applies_to_the_first_epoch(regression):
    document, controller = regression.document, regression.controller
    regression.position_label.text()                 # the window has shown "sample 1 of 4 (row …)"
    controller.position_text()
    document.edit_config(order="shuffled", seed=3)
    rows = [controller.step("sample")[0].row for _ in range(4)]
    assert rows == (np.random.default_rng([3, 0]).permutation(4) + 1).tolist()
    fresh = Run(document.run.current_session())       # the same settings from a file give the same numbers
    fresh_session = load_example("regression")
    fresh_session.training = document.session.training
    again = Run(fresh_session)
    for _ in range(4):
        again.stepper.step("sample")
    assert again.training.network.flat_parameters().tolist() == document.network.flat_parameters().tolist()
    # A file saved after an epoch goes on where it stopped, from the parameters it reached.
    assert (fresh.training.epoch, fresh.training.position) == (1, 0)
    assert fresh.training.network.flat_parameters().tolist() == document.network.flat_parameters().tolist()


def test_undoing_an_order_change_goes_back_to_the_order_it_had(regression):
    document, controller = regression.document, regression.controller
    document.edit_config(order="shuffled", seed=3)
    controller.step("sample")
    document.undo_stack.undo()
    document.undo_stack.redo()                        # shuffled again, one sample in
    document.edit_config(order="sequential")
    document.undo_stack.undo()                        # back to shuffled: the rest of epoch 1 follows it
    rows = [controller.step("sample")[0].row for _ in range(3)]
    assert rows == (np.random.default_rng([3, 0]).permutation(4) + 1).tolist()[1:]


def test_changing_the_order_mid_epoch_keeps_stepping_and_the_fast_path_together(regression):
    document, controller = regression.document, regression.controller
    document.edit_config(order="shuffled", seed=3, epochs=3)
    controller.step("sample")                         # the shuffled order of epoch 1 is made
    document.edit_config(order="sequential")
    run = document.run
    edited = run.snapshot()
    for _ in range(3):
        run.training.step()                           # the phase stepper's way: one batch at a time
    stepped = run.training.network.flat_parameters().tolist()
    run.restore(edited)
    run.training.run(max_steps=3)                     # the fast path (the kernel), as Run to End and Step Back
    assert run.training.network.flat_parameters().tolist() == stepped


def test_fewer_epochs_than_training_has_begun_are_refused_and_nothing_changes(regression):
    from simulator.errors import ConfigError
    document, controller = regression.document, regression.controller
    for _ in range(3):
        controller.step("epoch")
    controller.step("sample")
    before = fingerprint(document)
    with pytest.raises(ConfigError, match="epochs must be at least 4"):
        document.edit_config(epochs=2)
    assert fingerprint(document) == before and document.undo_stack.count() == 0
    document.edit_config(epochs=4)                    # the epoch under way may be the last
    assert regression.position_label.text().startswith("Epoch 4 of 4")


def test_settings_that_undo_a_stop_let_training_go_on(regression):
    document, controller = regression.document, regression.controller
    document.edit_config(tolerance=0.5)
    controller.step("epoch")
    assert document.training.status == "converged"
    document.edit_config(tolerance=0.0)
    assert document.training.status == "running" and controller.step("sample")
    document.edit_config(learning_rate=1e308)
    while document.training.status != "diverged":
        controller.step("sample")
    document.edit_config(learning_rate=0.001)         # the message said: try a smaller learning rate
    assert document.training.status == "running" and not document.training.message
    assert controller.step("sample") and np.isfinite(document.network.flat_parameters()).all()
    controller.step("epoch")                          # to the end of the epoch under way
    document.edit_config(epochs=document.training.epoch)   # no more epochs: finished at once
    assert document.training.status == "epochs" and regression.position_label.text().endswith("Finished")


def test_every_action_is_one_notification_with_the_modified_flag_in_it(regression, tmp_path):
    from ui.document import Change
    document, controller = regression.document, regression.controller
    told = []
    document.changed.connect(told.append)

    def once(action) -> Change:
        told.clear()
        action()
        assert len(told) == 1, told
        return told[0]

    assert once(lambda: document.edit_parameter("w111", 0.5)) & Change.FILE        # now modified
    assert once(lambda: controller.step("sample")) & Change.PARAMETERS
    assert once(lambda: document.save(tmp_path / "a.json")) & Change.FILE
    assert not once(lambda: controller.step("sample")) & Change.FILE               # training is no edit
    assert once(document.undo_stack.undo) & (Change.PARAMETERS | Change.FILE)   # before the save's edit
    assert once(document.undo_stack.redo) & (Change.POSITION | Change.FILE)


def test_training_stepping_back_and_resetting_leave_a_saved_document_unmodified(regression, tmp_path):
    document, controller = regression.document, regression.controller
    controller.step("epoch")
    controller.step("epoch")
    document.save(tmp_path / "trained.json")
    assert not document.modified
    controller.step_back("epoch")
    assert not document.modified and not regression.isWindowModified()
    controller.step("epoch")
    controller.back_to_start()
    controller.reset()
    assert not document.modified and not regression.isWindowModified()
    document.edit_parameter("w111", 0.5)                               # an edit is what marks it
    assert document.modified and regression.isWindowModified()
    document.undo_stack.undo()
    assert not document.modified


def test_the_undo_history_is_bounded():
    from ui.document import UNDO_LIMIT
    document = Document(load_example("regression"))
    for index in range(UNDO_LIMIT + 5):
        document.edit_parameter("w111", index + 1.0)
    assert document.undo_stack.count() == UNDO_LIMIT
