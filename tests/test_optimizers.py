"""Optimisers: momentum, Nesterov, RMSprop, Adam and weight decay.

Trajectories against torch.optim in float64 (skipped without PyTorch), an Adam step by hand, the
settings' validation, the optimiser state through snapshots, Step Back and session files, and the
stepper's printed update lines against the fast path's numbers."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.optimizers import Optimizer
from simulator.training import Training, TrainingConfig

from helpers import random_training

RTOL = 1e-12
OPTIMIZERS = {
    "momentum": Optimizer("sgd", momentum=0.9),
    "nesterov": Optimizer("sgd", momentum=0.8, nesterov=True),
    "decay": Optimizer("sgd", weight_decay=0.05),
    "momentum+decay": Optimizer("sgd", momentum=0.5, weight_decay=0.01),
    "rmsprop": Optimizer("rmsprop"),
    "rmsprop+decay": Optimizer("rmsprop", alpha=0.9, eps=1e-6, weight_decay=0.02),
    "adam": Optimizer("adam"),
    "adam+decay": Optimizer("adam", beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=0.01),
}


# -- PyTorch, the independent truth ------------------------------------------------------------------
def torch_trajectory(training: Training) -> tuple[list[float], np.ndarray]:
    """Train a copy of `training`'s network with torch.optim over the engine's batches; returns every
    sample's loss and the final flat parameters."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[reference]')")
    functions = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    network, config = training.network, training.config
    parameters = [torch.tensor(array, dtype=torch.float64, requires_grad=True)
                  for layer in network.layers for array in (layer.weights, layer.biases)]
    # Written out here rather than taken from `optimizers.torch_optimizer`, which the comparison uses.
    optimiser = {"sgd": lambda o: torch.optim.SGD(parameters, lr=config.learning_rate, momentum=o.momentum,
                                                  nesterov=o.nesterov, weight_decay=o.weight_decay),
                 "rmsprop": lambda o: torch.optim.RMSprop(parameters, lr=config.learning_rate, alpha=o.alpha,
                                                          eps=o.eps, weight_decay=o.weight_decay),
                 "adam": lambda o: torch.optim.Adam(parameters, lr=config.learning_rate, betas=(o.beta1, o.beta2),
                                                    eps=o.eps, weight_decay=o.weight_decay)}[config.optimizer.name](
        config.optimizer)
    X = torch.tensor(training.X, dtype=torch.float64)
    Y = torch.tensor(training.Y, dtype=torch.float64)
    losses = []
    for epoch in range(config.epochs):
        order = training.order(epoch)
        for start in range(0, len(order), training.batch_size):
            rows = torch.as_tensor(order[start:start + training.batch_size])
            out = X[rows]
            for index, layer in enumerate(network.layers):
                out = functions[layer.activation](out @ parameters[2 * index] + parameters[2 * index + 1])
            if training.loss.name == "bce":
                p = torch.clamp(out, 1e-7, 1 - 1e-7)
                sample = -(Y[rows] * torch.log(p) + (1 - Y[rows]) * torch.log(1 - p)).mean(dim=1)
            else:
                sample = ((out - Y[rows]) ** 2).mean(dim=1)
            optimiser.zero_grad()
            sample.mean().backward()
            optimiser.step()
            losses += sample.detach().tolist()
    flat = np.concatenate([np.vstack([parameters[2 * i].detach().numpy(), parameters[2 * i + 1].detach().numpy()[None, :]]).T.ravel()
                           for i in range(len(network.layers))])
    return losses, flat


def assert_matches_torch(training: Training) -> None:
    losses, final = torch_trajectory(training)
    start = training.network.flat_parameters()
    assert training.run() == "epochs"
    assert np.max(np.abs(final - start)) > 1e-3, "nothing moved: nothing compared"
    np.testing.assert_allclose(training.sample_losses.values, losses, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(training.network.flat_parameters(), final, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("batch_size, order", [(1, "sequential"), (1, "shuffled"), (3, "shuffled"), (0, "sequential")])
def test_random_networks_follow_torch_optim(kind, batch_size, order):
    draw = list(OPTIMIZERS).index(kind) * 7 + batch_size
    training = random_training(draw, [3, 4, 2], ["tanh", "linear"], rows=7, learning_rate=0.02, epochs=4,
                               batch_size=batch_size, order=order, seed=draw, optimizer=OPTIMIZERS[kind])
    assert_matches_torch(training)


@pytest.mark.parametrize("kind", ["nesterov", "rmsprop+decay", "adam"])
def test_sigmoid_and_binary_cross_entropy_follow_torch_optim(kind):
    training = random_training(5, [2, 3, 1], ["relu", "sigmoid"], loss="bce", rows=6, learning_rate=0.05,
                               epochs=3, batch_size=2, order="shuffled", optimizer=OPTIMIZERS[kind])
    assert_matches_torch(training)


@pytest.mark.parametrize("kind", ["momentum", "nesterov", "rmsprop", "adam+decay"])
@pytest.mark.parametrize("example", ["regression", "xor"])
def test_built_in_examples_follow_torch_optim(kind, example):
    session = load_example(example)
    if session.loss not in ("mse", "bce"):
        pytest.skip(f"the {example} example's loss is compared in test_engine_torch")
    config = session.training.with_changes(optimizer=OPTIMIZERS[kind], epochs=3)
    assert_matches_torch(Training(session.network.copy(), session.training_dataset(), session.loss, config))


# -- by hand ------------------------------------------------------------------------------------------
def test_one_adam_step_by_hand_on_the_regression_example():
    session = load_example("regression")
    config = session.training.with_changes(optimizer=Optimizer("adam"), learning_rate=0.001)
    training = Training(session.network.copy(), session.training_dataset(), session.loss, config)
    result = training.compute_batch()
    values = result.optimizer.values
    index = [ref.name for ref in training.network.parameters()].index("w111")
    g = values["grad"][index]
    assert g == pytest.approx(-5.888, rel=1e-12)     # the lectures' ∂L/∂w111
    m = 0.9 * 0 + (1 - 0.9) * g                      # −0.5888
    v = 0.999 * 0 + (1 - 0.999) * g ** 2             # 0.034668544
    m_hat, v_hat = m / (1 - 0.9), v / (1 - 0.999)    # −5.888, 34.668544: the gradient and its square
    assert (values["m"][index], values["v"][index]) == pytest.approx((-0.5888, 0.034668544), rel=1e-12)
    assert (values["m_hat"][index], values["v_hat"][index]) == pytest.approx((-5.888, 34.668544), rel=1e-12)
    # On the first step Adam moves every parameter by about η, whatever its gradient's size.
    assert values["new"][index] == pytest.approx(0.1 - 0.001 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-15)
    assert values["new"][index] == pytest.approx(0.101, rel=1e-9)
    training.commit(result)
    assert training.optimizer_state.t == 1
    assert training.network.flat_parameters()[index] == values["new"][index]


def test_plain_sgd_is_unchanged_and_keeps_no_state():
    session = load_example("regression")
    plain = session.make_training()
    explicit = Training(session.network.copy(), session.training_dataset(), session.loss,
                        session.training.with_changes(optimizer=Optimizer("sgd")))
    plain.run(), explicit.run()
    assert plain.network.flat_parameters().tolist() == explicit.network.flat_parameters().tolist()
    assert explicit.optimizer_state is None and explicit.kernel() is not None
    assert "optimizer" not in explicit.config.to_dict()


# -- validation -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("settings, field", [
    ({"name": "adam", "beta1": 1.0}, "beta1"), ({"name": "adam", "beta2": -0.1}, "beta2"),
    ({"name": "adam", "eps": 0}, "eps"), ({"name": "rmsprop", "eps": -1e-8}, "eps"),
    ({"name": "rmsprop", "alpha": 1}, "alpha"), ({"name": "sgd", "weight_decay": -0.1}, "weight_decay"),
    ({"name": "sgd", "nesterov": True}, "nesterov"), ({"name": "sgd", "momentum": 1.5}, "momentum"),
    ({"name": "adagrad"}, "name"), ({"name": "sgd", "beta1": 0.9}, "beta1"), ({"name": "adam", "rho": 0.9}, "rho"),
    ({"name": "adam", "eps": "small"}, "eps"), ({"name": "sgd", "nesterov": 1}, "nesterov"),
])
def test_bad_settings_are_refused_naming_the_field(settings, field):
    with pytest.raises(ConfigError, match=f"^optimizer.{field}: "):
        Optimizer.from_dict(settings)


def test_bad_values_are_refused_by_the_settings_themselves():
    for settings in ({"name": "adam", "beta1": 1.0}, {"name": "rmsprop", "eps": 0.0},
                     {"name": "sgd", "weight_decay": -1.0}, {"name": "sgd", "nesterov": True},
                     {"name": "sgd", "momentum": math.nan}):
        with pytest.raises(ConfigError, match="optimiser"):
            Optimizer(**settings)
    with pytest.raises(ConfigError, match="in-place update rule"):
        TrainingConfig(update_rule="in_place", optimizer=Optimizer("adam"))


# -- the state through snapshots, Step Back and files -----------------------------------------------
def adam_session(order: str = "shuffled", batch_size: int = 1):
    session = load_example("regression")
    session.training = session.training.with_changes(optimizer=Optimizer("adam", weight_decay=0.01), order=order,
                                                     seed=3, batch_size=batch_size, learning_rate=0.01, epochs=6)
    return session


def test_snapshot_and_restore_bring_the_optimizer_state_back_exactly():
    from simulator.run import Run

    run = Run(adam_session())
    run.training.run(max_steps=5)
    state = run.snapshot()
    before = run.training.optimizer_state
    assert before.t == 5
    run.training.run(max_steps=3)
    assert run.training.optimizer_state.t == 8
    run.restore(state)
    assert run.training.optimizer_state is before
    run.training.run()
    again = Run(adam_session())
    again.training.run()
    assert run.training.network.flat_parameters().tolist() == again.training.network.flat_parameters().tolist()


def test_step_back_restores_the_optimizer_state_and_replays_the_same_numbers():
    from simulator.run import Run
    from simulator.timeline import batch_index

    run = Run(adam_session(batch_size=2))
    for _ in range(7):
        run.training.step()
    reached = (run.training.network.flat_parameters().tolist(), run.training.optimizer_state)
    run.timeline.restore(batch_index(run.training) - 4)
    assert run.training.optimizer_state.t == 3
    run.timeline.restore(3)
    for _ in range(4):
        run.training.step()
    assert run.training.network.flat_parameters().tolist() == reached[0]
    assert run.training.optimizer_state.same_as(reached[1])


@pytest.mark.parametrize("order, batch_size, steps", [("shuffled", 1, 11), ("shuffled", 3, 5), ("sequential", 0, 2)])
def test_a_saved_session_continues_bit_identically(tmp_path, order, batch_size, steps):
    from simulator.run import Run
    from simulator.session import load

    uninterrupted = Run(adam_session(order, batch_size))
    uninterrupted.training.run()
    run = Run(adam_session(order, batch_size))
    run.training.run(max_steps=steps)
    run.current_session().save(tmp_path / "mid.json")
    opened = Run(load(tmp_path / "mid.json"))
    assert (opened.training.epoch, opened.training.position) == (run.training.epoch, run.training.position)
    assert opened.training.optimizer_state.t == steps
    assert opened.session.progress is None
    opened.training.run()
    assert opened.training.network.flat_parameters().tolist() == uninterrupted.training.network.flat_parameters().tolist()
    assert opened.training.history.tolist() == uninterrupted.training.history.tolist()
    assert opened.training.sample_losses.tolist() == uninterrupted.training.sample_losses.tolist()
    opened.reset()     # back to where the saved run started, not to where it was saved
    assert opened.training.at_start and opened.training.optimizer_state is None
    assert opened.training.network.flat_parameters().tolist() == load_example("regression").network.flat_parameters().tolist()


def test_a_session_without_progress_or_optimizer_reads_as_before():
    from simulator.session import loads

    session = load_example("regression")
    text = session.to_json()
    assert '"optimizer"' not in text and '"progress"' not in text
    assert loads(text).progress is None and loads(text).training.optimizer == Optimizer()


@pytest.mark.parametrize("change, message", [
    (lambda d: d["training"].update(optimizer={"name": "adam", "beta1": 1.2}), "training.optimizer.beta1: "),
    (lambda d: d["training"].update(optimizer={"name": "nadam"}), "training.optimizer.name: "),
    (lambda d: d["training"].update(optimizer={"name": "adam", "momentum": 0.9}), "training.optimizer.momentum: "),
    (lambda d: d["training"].update(optimizer="adam"), "training.optimizer: expected an object"),
    (lambda d: d["progress"].update(position=99), "progress.position: "),
    (lambda d: d["progress"].update(epoch=-1), "progress.epoch: "),
    (lambda d: d["progress"].update(colour=1), "progress.colour: unknown"),
    (lambda d: d["progress"]["optimizer_state"].update(m=[1.0]), "progress.optimizer_state.m: expected 9 numbers"),
    (lambda d: d["progress"]["optimizer_state"].update(s=[0.0] * 9), "progress.optimizer_state.s: not a state of adam"),
    (lambda d: d["progress"]["optimizer_state"].update(t=-2), "progress.optimizer_state.t: "),
    (lambda d: d["progress"].update(loss_per_epoch=[]), "progress.loss_per_epoch: expected 2 values"),
    (lambda d: d["progress"].update(start_parameters=[0.1] * 8), "progress.start_parameters: expected shape 9"),
])
def test_bad_optimizer_and_progress_fields_are_refused_naming_them(change, message):
    from simulator.errors import SessionError
    from simulator.run import Run
    from simulator.session import from_dict

    run = Run(adam_session())
    run.training.run(max_steps=10)
    data = run.current_session().to_dict()
    change(data)
    with pytest.raises(SessionError) as error:
        from_dict(data)
    assert str(error.value).startswith(message), str(error.value)


# -- the command line -----------------------------------------------------------------------------------
def test_the_command_line_trains_with_the_optimizer_asked_for(capsys, tmp_path):
    import json

    from simulator.cli import main
    from simulator.session import load

    path = tmp_path / "adam.json"
    assert main(["train", "--example", "regression", "--optimizer", "adam", "--beta1", "0.8", "--weight-decay",
                 "0.01", "--lr", "0.01", "--epochs", "2", "--order", "shuffled", "--save", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    session = load_example("regression")
    optimizer = Optimizer("adam", beta1=0.8, weight_decay=0.01)
    training = Training(session.network, session.training_dataset(), session.loss, session.training.with_changes(
        optimizer=optimizer, learning_rate=0.01, epochs=2, order="shuffled"))
    training.run()
    assert printed["loss_per_epoch"] == training.history.tolist()
    saved = load(path)
    assert saved.training.optimizer == optimizer and saved.progress.optimizer_state.t == 8
    assert main(["train", "--session", str(path), "--epochs", "3", "--momentum", "0.5"]) == 2
    assert "--momentum does not apply to the adam optimizer" in capsys.readouterr().err


# -- stepped number by number -------------------------------------------------------------------------
def printed_value(text: str) -> float:
    """Printed arithmetic as a float, read apart from the engine: numbers, + − · /, ², superscript
    powers, √(…) and brackets."""
    import ast
    import operator
    import re

    python = re.sub("⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda found: "**(" + found.group().translate(
        str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")) + ")", text)
    python = python.replace("−", "-").replace("·", "*").replace("√(", "sqrt(")
    operators = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
                 ast.Pow: operator.pow}

    def value(node):
        if isinstance(node, ast.Constant):
            return float(node.value) if not isinstance(node.value, int) or isinstance(node.value, bool) else node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp):
            return operators[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Call) and node.func.id == "sqrt":
            return math.sqrt(value(node.args[0]))
        raise ValueError(text)
    return float(value(ast.parse(python, mode="eval").body))


def stepped_updates(optimizer: Optimizer, batch_size: int, batches: int):
    from simulator.run import Run

    session = load_example("regression")
    session.training = session.training.with_changes(optimizer=optimizer, batch_size=batch_size, order="shuffled",
                                                     seed=5, learning_rate=0.01)
    run = Run(session)
    updates = []
    for _ in range(batches):
        updates += [record for record in run.stepper.step("epoch" if batch_size == 0 else "sample")
                    if record.kind == "update"]
        while run.stepper.batch is not None:
            updates += [record for record in run.stepper.step("factor") if record.kind == "update"]
    return run, updates


@pytest.mark.parametrize("kind", ["adam+decay", "nesterov", "rmsprop", "decay"])
def test_every_printed_update_line_gives_its_printed_result(kind):
    from simulator.formatting import format_number, record_lines

    _, updates = stepped_updates(OPTIMIZERS[kind], 2, 6)
    checked = 0
    for record in updates:
        lines = record_lines(record, 6)
        assert len(lines) == len(record.steps) + 1 and lines[-1].startswith(f"{record.parameter} ← {record.parameter} − η·")
        for line in lines:
            parts = line.split(" (∂L/∂")[0].split(" = ")
            result = float(parts[-1].replace("−", "-"))
            for part in parts[1:-1]:
                if re.search("[^-0-9 .·/()+−√⁻⁰¹²³⁴⁵⁶⁷⁸⁹e]", part):
                    continue    # the formula in symbols (g = ∂L/∂w111 + λ·w111 = …)
                # at the digits the result is printed with (more than 6 where a later line reads it)
                digits = next(d for d in range(6, 18) if format_number(result, d) == parts[-1])
                assert format_number(printed_value(part), digits) == parts[-1], line
                checked += 1
    assert checked >= 50


NUMBER = re.compile(r"−?\d[\d.]*(?:e[−+]?\d+)?")


@pytest.mark.parametrize("kind", ["adam+decay", "adam", "nesterov", "rmsprop", "decay"])
def test_a_chain_of_update_lines_prints_each_value_alike_where_it_is_made_and_where_it_is_read(kind):
    """A student copying the printed m gets the printed m̂: every number a line reads that an earlier line
    printed as its result is printed with the same digits in both places, and every line's numbers, as
    printed, give its result as printed."""
    from simulator.formatting import format_number, record_lines

    _, updates = stepped_updates(OPTIMIZERS[kind] if kind in OPTIMIZERS else Optimizer(kind), 1, 6)
    linked = 0
    for record in updates:
        steps = (*record.steps, record.rule)
        lines = [line.split(" (∂L/∂")[0] for line in record_lines(record, 6)]
        results = [line.split(" = ")[-1] for line in lines]
        for i, (step, line) in enumerate(zip(steps, lines)):
            if not step.template:
                continue
            numbers = line.split(" = ")[-2]
            digits = next(d for d in range(1, 18) if format_number(step.value, d) == results[i])
            assert format_number(printed_value(numbers), digits) == results[i], line
            printed = NUMBER.findall(numbers)
            for argument in step.arguments:
                earlier = [j for j in range(i) if steps[j].value == argument and steps[j].template]
                if earlier and argument != 0:
                    assert results[earlier[-1]] in printed, (lines[earlier[-1]], line)
                    linked += 1
        assert "e−" not in lines[-1], lines[-1]        # ε as a student writes it: 10⁻⁸
    assert linked >= 20


def test_adams_epsilon_is_written_as_a_power_of_ten():
    from simulator.formatting import power_of_ten, record_lines

    _, updates = stepped_updates(Optimizer("adam"), 1, 1)
    assert record_lines(updates[0])[-1].endswith(" + 10⁻⁸) = " + record_lines(updates[0])[-1].split(" = ")[-1])
    assert [power_of_ten(value) for value in (1e-8, 2.5e-7, 0.001)] == ["10⁻⁸", "2.5·10⁻⁷", "0.001"]


def test_the_adam_lines_show_t_the_moments_and_their_corrections():
    from simulator.formatting import record_lines

    _, updates = stepped_updates(Optimizer("adam"), 1, 2)
    second = [record for record in updates if record.parameter == "w111"][1]
    assert [step.label for step in second.steps] + [second.rule.label] == [
        "t ← t + 1", "g = ∂L/∂w111", "m ← β₁·m + (1 − β₁)·g", "v ← β₂·v + (1 − β₂)·g²", "m̂ = m/(1 − β₁ᵗ)",
        "v̂ = v/(1 − β₂ᵗ)", "w111 ← w111 − η·m̂/(√v̂ + ε)"]
    assert record_lines(second)[0] == "t ← t + 1 = 1 + 1 = 2" and "0.9²)" in record_lines(second)[4]


@pytest.mark.parametrize("kind, batch_size", [("adam+decay", 1), ("momentum", 3), ("rmsprop+decay", 0)])
def test_the_stepper_shows_the_fast_paths_numbers_bit_for_bit(kind, batch_size):
    run, updates = stepped_updates(OPTIMIZERS[kind], batch_size, 5)
    fast = Training(load_example("regression").network, run.training.dataset, run.training.loss, run.training.config)
    fast.run(max_steps=5)
    assert run.training.network.flat_parameters().tolist() == fast.network.flat_parameters().tolist()
    assert run.training.optimizer_state.same_as(fast.optimizer_state)
    last = {record.parameter: record.new for record in updates}
    assert [last[ref.name] for ref in fast.network.parameters()] == fast.network.flat_parameters().tolist()


# -- the settings panel and the inspector -----------------------------------------------------------------
@pytest.fixture
def document(qapp):
    from ui.document import Document

    return Document(load_example("regression"))


def settings_panel(qtbot, document):
    from ui.settings_panel import SettingsPanel

    panel = SettingsPanel(document)
    qtbot.addWidget(panel)
    return panel


def choose(panel, name: str) -> None:
    index = panel.optimizer_combo.findData(name)
    panel.optimizer_combo.setCurrentIndex(index)
    panel.optimizer_combo.activated.emit(index)


def test_the_settings_choose_an_optimizer_and_its_settings_undoably(qtbot, document):
    from helpers import type_into

    panel = settings_panel(qtbot, document)
    form = panel.optimizer_form
    assert form.isRowVisible(panel.optimizer_edits["momentum"]) and not form.isRowVisible(panel.optimizer_edits["beta1"])
    choose(panel, "adam")
    assert document.training.config.optimizer == Optimizer("adam") == document.session.training.optimizer
    assert form.isRowVisible(panel.optimizer_edits["beta1"]) and not form.isRowVisible(panel.nesterov_check)
    type_into(qtbot, panel.optimizer_edits["beta2"], "0.99")
    type_into(qtbot, panel.optimizer_edits["weight_decay"], "0.001")
    assert document.training.config.optimizer == Optimizer("adam", beta2=0.99, weight_decay=0.001)
    assert panel.optimizer_edits["beta2"].text() == "0.99"
    assert document.undo_stack.undoText() == "Change optimizer"
    for _ in range(3):
        document.undo_stack.undo()
    assert document.training.config.optimizer == Optimizer()
    assert panel.optimizer_combo.currentData() == "sgd" and panel.optimizer_edits["weight_decay"].text() == "0"
    document.undo_stack.redo()
    assert panel.optimizer_combo.currentData() == "adam"


@pytest.mark.parametrize("field, text, words", [("beta1", "1", "beta1 β₁ must be from 0 up to but not including 1"),
                                                ("eps", "0", "epsilon ε must be greater than 0"),
                                                ("weight_decay", "-0.1", "weight decay λ must be 0 or more"),
                                                ("beta2", "abc", "not a number")])
def test_bad_optimizer_settings_are_refused_by_their_field(qtbot, document, field, text, words):
    from helpers import snapshot, type_into

    panel = settings_panel(qtbot, document)
    choose(panel, "adam")
    before = snapshot(document)
    type_into(qtbot, panel.optimizer_edits[field], text)
    assert words in panel.errors[field].text()
    assert snapshot(document) == before
    assert panel.optimizer_edits[field].text() == {"beta1": "0.9", "eps": "1e−08", "weight_decay": "0",
                                                   "beta2": "0.999"}[field]


def test_nesterov_needs_momentum_and_the_in_place_rule_plain_sgd(qtbot, document):
    from helpers import type_into

    panel = settings_panel(qtbot, document)
    panel.nesterov_check.setChecked(True)
    assert "Nesterov needs SGD with a momentum" in panel.errors["nesterov"].text()
    assert not panel.nesterov_check.isChecked() and document.training.config.optimizer == Optimizer()
    type_into(qtbot, panel.optimizer_edits["momentum"], "0.9")
    panel.nesterov_check.setChecked(True)
    assert document.training.config.optimizer == Optimizer("sgd", momentum=0.9, nesterov=True)
    panel.rule_combo.setCurrentIndex(1)
    panel.rule_combo.activated.emit(1)
    assert "in-place update rule" in panel.errors["update_rule"].text()
    assert document.training.config.update_rule == "simultaneous"


def test_the_inspector_shows_an_adam_update_as_the_engine_computed_it(qtbot):
    from helpers import open_window, step_until

    session = load_example("regression")
    session.training = session.training.with_changes(optimizer=Optimizer("adam"))
    window = open_window(qtbot, session)
    record = step_until(window.controller, lambda record: record.kind == "update" and record.parameter == "w111",
                        limit=200)
    text = window.inspector.browser.toPlainText()
    assert "m̂ = m/(1 − β₁ᵗ) = (−0.5888)/(1 − 0.9¹) = −5.888" in text
    assert "t ← t + 1 = 0 + 1 = 1" in text and "v̂ = v/(1 − β₂ᵗ)" in text
    assert record.rule.value == record.new
    window.controller.step("stage")     # the rest of the updates: the batch is applied
    assert window.document.network.get(window.document.network.resolve("w111")) == record.new
    assert window.document.training.optimizer_state.t == 1


# -- compared where it teaches ------------------------------------------------------------------------------
def test_a_compared_optimizer_follows_the_live_training_from_the_same_start():
    from simulator.optimizer_paths import ComparedRun
    from simulator.run import Run

    session = load_example("xor")
    run = Run(session)
    compared = ComparedRun(Optimizer("sgd", momentum=0.9))
    for _ in range(7):
        run.training.step()
    path = compared.follow(run.training)
    assert path.shape == (8, run.training.network.parameter_count())
    alone = Training(session.network.copy(), session.training_dataset(), session.loss,
                     session.training.with_changes(optimizer=Optimizer("sgd", momentum=0.9)))
    assert path[0].tolist() == alone.network.flat_parameters().tolist()
    for index in range(1, 8):
        alone.step()
        assert path[index].tolist() == alone.network.flat_parameters().tolist()
    run.reset()
    assert compared.follow(run.training).shape == (1, path.shape[1])


def test_the_landscape_draws_the_compared_path_beside_the_live_one(qtbot):
    from helpers import open_window

    window = open_window(qtbot, load_example("xor"))
    panel = window.learn_tools.surface
    window.learn_tools.docks["surface"].show()
    for _ in range(12):
        window.controller.step("sample")
    panel.compare_with("Adam")
    panel.redraw()
    points = panel.compared_points()
    assert len(points) == 13 and len(panel.path_points()) == 13
    assert points[0].tolist() == panel.path_points()[0].tolist() and points[-1].tolist() != panel.path_points()[-1].tolist()
    x, y = panel.compared_curve.getData()
    assert x.tolist() == points[:, 0].tolist() and y.tolist() == points[:, 1].tolist()
    assert "orange: Adam from the same start, 12 batches" in panel.readout.text()
    panel.compare_with("—")
    panel.redraw()
    assert len(panel.compared_curve.getData()[0] if panel.compared_curve.getData()[0] is not None else []) == 0


def test_the_learning_rate_lab_compares_optimizers_at_one_rate():
    from simulator.lr_lab import LearningRateLab, compare_learning_rates
    from simulator.optimizer_paths import COMPARISONS

    session = load_example("regression")
    optimizers = [optimizer for _title, optimizer in COMPARISONS]
    results = compare_learning_rates(session, [0.001], 3, optimizers)
    assert [result.optimizer for result in results] == optimizers
    for result, optimizer in zip(results, optimizers):
        alone = Training(session.network.copy(), session.training_dataset(), session.loss,
                         session.training.with_changes(optimizer=optimizer, epochs=3))
        alone.run()
        assert result.history == alone.history.tolist()
    assert results[0].history != results[-1].history and results[-1].label.startswith("η = 0.001, Adam")
    with pytest.raises(ConfigError, match="at most 12"):
        LearningRateLab(session, [0.1, 0.01, 0.001], 3, optimizers)


def test_the_lab_window_runs_every_optimizer(qtbot):
    from ui.document import Document
    from ui.learn.lr_lab import LearningRateLabDialog

    dialog = LearningRateLabDialog(Document(load_example("regression")))
    qtbot.addWidget(dialog)
    dialog.rates_edit.setText("0.001")
    dialog.epochs_box.setValue(3)
    dialog.optimizers_box.setCurrentIndex(1)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    names = [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]
    assert names == ["0.001 · SGD", "0.001 · SGD, momentum 0.9", "0.001 · SGD, Nesterov 0.9", "0.001 · RMSprop",
                     "0.001 · Adam"]
    assert all(dialog.table.item(row, 1).text() == "3" for row in range(5))


def test_a_row_brought_forward_before_a_save_is_where_it_was_after_open(tmp_path):
    from simulator.run import Run
    from simulator.session import load

    def run_with_swap() -> Run:
        session = load_example("xor")
        session.training = session.training.with_changes(order="shuffled", seed=4, optimizer=Optimizer("adam"),
                                                         learning_rate=0.1)
        run = Run(session)
        run.training.run(max_steps=5)          # epoch 2, one sample in
        later = int(run.training.order(run.training.epoch)[3])
        assert run.training.bring_forward(later)
        run.training.step()
        return run

    uninterrupted = run_with_swap()
    uninterrupted.training.run(max_steps=20)
    saved = run_with_swap()
    saved.current_session().save(tmp_path / "swapped.json")
    opened = Run(load(tmp_path / "swapped.json"))
    assert opened.training.order(opened.training.epoch).tolist() == saved.training.order(saved.training.epoch).tolist()
    opened.training.run(max_steps=20)
    assert opened.training.network.flat_parameters().tolist() == uninterrupted.training.network.flat_parameters().tolist()


def test_the_pytorch_comparison_trains_with_the_matching_optimizer():
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[reference]')")
    from simulator.reference import compare_with_torch

    session = load_example("regression")
    session.training = session.training.with_changes(optimizer=Optimizer("adam", weight_decay=0.01),
                                                     learning_rate=0.01, epochs=4)
    result = compare_with_torch(session)
    assert len(result.engine_loss) == 4 and result.largest_difference < 1e-12 * result.scale
    assert result.largest_loss_difference < 1e-12 and result.verdict().startswith("The engine and PyTorch agree")
