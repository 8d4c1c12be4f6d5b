"""The same training as a PyTorch or Keras script: run where the framework is installed, its output
compared with `backprop-sim train --json`; what it cannot write is refused with a clear message."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from simulator.cli import main
from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.session import load
from simulator.export_script import keras_script, pytorch_script
from simulator.optimizers import Optimizer

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_KERAS = importlib.util.find_spec("keras") is not None and importlib.util.find_spec("tensorflow") is not None


def _session_file(tmp_path, example: str, **changes):
    session = load_example(example)
    session.training = session.training.with_changes(**changes)
    path = tmp_path / f"{example}.json"
    session.save(path)
    return path


def _train_json(capsys, path, *options: str) -> dict:
    assert main(["train", "--session", str(path), "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


def _script_output(path) -> tuple[list[float], list[float], dict[str, float]]:
    """Per-epoch mean losses, held-out losses and final parameters printed by a running script."""
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    losses = [float(value) for value in re.findall(r"^epoch \d+: mean loss (\S+)$", result.stdout, re.M)]
    held_out = [float(value) for value in re.findall(r"^epoch \d+: held-out loss (\S+)$", result.stdout, re.M)]
    parameters = {name: float(value) for name, value in re.findall(r"^(\w+) = (\S+)$", result.stdout, re.M)}
    return losses, held_out, parameters


def _engine_parameters(summary: dict) -> dict[str, float]:
    values = {}
    for number, layer in enumerate(summary["layers"], start=1):
        weights = layer["weights"]
        for target in range(len(layer["biases"])):
            for source in range(len(weights)):
                values[f"w{number}{source + 1}{target + 1}"] = weights[source][target]
            values[f"b{number}{target + 1}"] = layer["biases"][target]
    return values


def _assert_same(script_output, summary) -> None:
    losses, held_out, parameters = script_output
    assert losses == pytest.approx(summary["loss_per_epoch"], rel=1e-12)
    assert held_out == pytest.approx(summary["metrics"]["per_epoch"].get("held_out_loss", []), rel=1e-12)
    engine = _engine_parameters(summary)
    assert set(parameters) == set(engine)
    for name, value in engine.items():
        assert parameters[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name


CASES = [
    ("regression", {}),
    ("classification", {"learning_rate": 0.5, "epochs": 8}),
    ("three-classes", {"order": "shuffled", "seed": 4, "batch_size": 2, "epochs": 6, "validation": 0.25,
                       "validation_seed": 3}),
    ("xor", {"order": "shuffled", "seed": 9, "batch_size": 0, "epochs": 40, "tolerance": 0.01}),
    ("xor", {"optimizer": Optimizer("adam"), "epochs": 30, "learning_rate": 0.05}),
    ("classification", {"optimizer": Optimizer("sgd", momentum=0.9, nesterov=True, weight_decay=0.01),
                        "order": "shuffled", "batch_size": 3, "epochs": 12, "learning_rate": 0.2}),
    ("regression", {"optimizer": Optimizer("rmsprop", alpha=0.9, weight_decay=0.001), "epochs": 10,
                    "learning_rate": 0.01}),
]
IDS = ["regression", "classification", "three-classes", "xor", "adam", "nesterov", "rmsprop"]


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install -e '.[reference]')")
@pytest.mark.parametrize("example, changes", CASES, ids=IDS)
def test_the_pytorch_script_prints_what_train_json_computes(tmp_path, capsys, example, changes):
    path = _session_file(tmp_path, example, **changes)
    script = tmp_path / "same_step.py"
    assert main(["export", "--session", str(path), "--pytorch", str(script)]) == 0
    assert f"Wrote {script}" in capsys.readouterr().out
    summary = _train_json(capsys, path)
    output = _script_output(script)
    assert len(output[0]) == summary["epochs_run"] >= 1
    _assert_same(output, summary)


@pytest.mark.skipif(not HAS_KERAS, reason="TensorFlow/Keras is not installed, so the Keras script cannot run here")
@pytest.mark.parametrize("example, changes", CASES[:3], ids=[case[0] for case in CASES[:3]])
def test_the_keras_script_prints_what_train_json_computes(tmp_path, capsys, example, changes):
    path = _session_file(tmp_path, example, **changes)
    script = tmp_path / "same_step_keras.py"
    assert main(["export", "--session", str(path), "--keras", str(script)]) == 0
    capsys.readouterr()
    _assert_same(_script_output(script), _train_json(capsys, path))


@pytest.mark.parametrize("example", ["regression", "classification", "three-classes", "xor"])
def test_both_scripts_are_valid_python_holding_the_sessions_numbers(example):
    session = load_example(example)
    for text in (pytorch_script(session), keras_script(session)):
        compile(text, "script.py", "exec")
        assert f"lr={session.training.learning_rate!r}" in text or \
            f"learning_rate={session.training.learning_rate!r}" in text
        assert repr(float(session.dataset.X[0][0])) in text
    assert "torch.optim.SGD" in pytorch_script(session)
    keras = keras_script(session)
    assert "keras.optimizers.SGD" in keras and "set_weights" in keras and "model.fit" not in keras   # no shuffle of its own


def test_the_shuffled_order_is_the_engines_own():
    session = load_example("xor")
    session.training = session.training.with_changes(order="shuffled", seed=5)
    text = pytorch_script(session)
    assert "np.random.default_rng([5, epoch]).permutation(len(TRAINING_ROWS))" in text


def test_the_in_place_rule_is_refused_with_a_reason(tmp_path, capsys):
    path = _session_file(tmp_path, "regression", update_rule="in_place")
    assert main(["export", "--session", str(path), "--pytorch", str(tmp_path / "s.py")]) == 2
    assert "the in-place update rule is a mistake no framework makes" in capsys.readouterr().err
    assert not (tmp_path / "s.py").exists()
    with pytest.raises(ConfigError, match="in-place"):
        keras_script(_in_place())


def _in_place():
    session = load_example("regression")
    session.training = session.training.with_changes(update_rule="in_place")
    return session


def test_export_needs_a_script_to_write(capsys):
    assert main(["export", "--example", "regression"]) == 2
    assert "give --pytorch FILE, --keras FILE or both" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (pip install -e '.[reference]')")
def test_a_file_saved_after_training_is_trained_again_from_epoch_one_as_restart_does(tmp_path, capsys):
    first = _session_file(tmp_path, "regression", epochs=3)
    trained = tmp_path / "trained.json"
    assert main(["train", "--session", str(first), "--save", str(trained)]) == 0
    assert "progress" in json.loads(trained.read_text(encoding="utf-8"))
    script = tmp_path / "again.py"
    assert main(["export", "--session", str(trained), "--pytorch", str(script)]) == 0
    capsys.readouterr()
    _assert_same(_script_output(script), _train_json(capsys, trained, "--restart"))
    assert repr(load(trained).network.get("w111")) in script.read_text(encoding="utf-8")


def test_keras_refuses_what_it_computes_differently(tmp_path):
    for optimizer in (Optimizer("adam"), Optimizer("rmsprop"), Optimizer("sgd", weight_decay=0.1)):
        session = load_example("regression")
        session.training = session.training.with_changes(optimizer=optimizer)
        with pytest.raises(ConfigError, match="export a PyTorch script"):
            keras_script(session)
        assert f"torch.optim.{optimizer.rule.title}(" in pytorch_script(session)
    session.training = session.training.with_changes(optimizer=Optimizer("sgd", momentum=0.5, nesterov=True))
    assert "keras.optimizers.SGD(learning_rate=0.001, momentum=0.5, nesterov=True)" in keras_script(session)
