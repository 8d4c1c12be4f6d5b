"""The command line: train, trace, examples, opening the app, and refusing bad input cleanly."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import math
import subprocess
import sys
import types
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.examples import example_names, load_example
from simulator.session import load
from simulator.stepper import Stepper
from ui.launcher import main as launch

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def expect_usage_error(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert out == ""
    assert err.startswith("backprop-sim: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err


def without_metrics(text: str) -> dict:
    """`train --json`'s output without its `metrics` (tested in test_cli_metrics.py)."""
    data = json.loads(text)
    data.pop("metrics")
    return data


def engine_summary(name: str = "regression", **changes) -> dict:
    session = load_example(name)
    session.training = session.training.with_changes(**changes)
    training = session.make_training()
    training.run()
    return training.summary()


# -- examples ----------------------------------------------------------------------------------------
def test_examples_lists_every_example_with_its_title(capsys):
    code, out, err = run(capsys, "examples")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == example_names()
    for line, name in zip(lines, example_names()):
        assert line.endswith(load_example(name).title)


# -- train -------------------------------------------------------------------------------------------
def test_train_prints_losses_parameters_and_how_it_stopped(capsys):
    code, out, err = run(capsys, "train", "--example", "regression")
    assert code == 0 and err == ""
    expected = engine_summary()
    for epoch, loss in enumerate(expected["loss_per_epoch"], start=1):
        assert f"  {epoch}      {loss:.6g}" in out
    assert "Finished 5 epochs." in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip().startswith(("w", "b"))}
    assert list(rows) == ["w111", "w121", "b11", "w112", "w122", "b12", "w211", "w221", "b21"]
    assert rows["w111"][0] == "0.1" and float(rows["w111"][1]) == pytest.approx(
        expected["layers"][0]["weights"][0][0], rel=1e-5)
    assert rows["b21"][0] == "0" and float(rows["b21"][1]) == pytest.approx(expected["layers"][1]["biases"][0], rel=1e-5)


def test_train_json_is_the_summary_at_full_precision(capsys):
    code, out, err = run(capsys, "train", "--example", "regression", "--json")
    assert code == 0 and err == ""
    data = without_metrics(out)
    assert data == engine_summary()  # exact: JSON keeps every bit of a float
    assert set(data) == {"loss_per_epoch", "layers", "stopped", "message", "epochs_run"}
    assert data["stopped"] == "epochs" and data["epochs_run"] == 5 and len(data["loss_per_epoch"]) == 5


def test_train_options_change_the_run(capsys):
    code, out, _ = run(capsys, "train", "--example", "xor", "--epochs", "7", "--lr", "0.5", "--order", "shuffled",
                       "--seed", "3", "--batch-size", "3", "--json")
    assert code == 0
    expected = engine_summary("xor", epochs=7, learning_rate=0.5, order="shuffled", seed=3, batch_size=3)
    assert without_metrics(out) == expected
    assert expected != engine_summary("xor", epochs=7, learning_rate=0.5, order="shuffled", seed=4, batch_size=3)


def test_train_full_batch(capsys):
    code, out, _ = run(capsys, "train", "--example", "regression", "--batch-size", "full", "--json")
    assert code == 0 and without_metrics(out) == engine_summary(batch_size=0)
    _, zero, _ = run(capsys, "train", "--example", "regression", "--batch-size", "0", "--json")
    assert zero == out


def test_train_stops_on_convergence(capsys):
    code, out, _ = run(capsys, "train", "--example", "regression", "--epochs", "1000", "--tolerance", "1e-3",
                       "--convergence", "loss", "--json")
    data = json.loads(out)
    assert code == 0 and data["stopped"] == "converged" and data["epochs_run"] < 1000
    assert data["message"].startswith(f"Converged after epoch {data['epochs_run']}")


def test_train_reports_divergence(capsys):
    code, out, _ = run(capsys, "train", "--example", "regression", "--lr", "1e308")
    assert code == 3                  # a script can tell a diverged run (was 0, as for a finished one)
    assert "Training diverged in epoch 1 at sample 1 (row 1): w211 would become inf" in out
    assert "No epoch was completed." in out and "mean loss" not in out
    code, out, _ = run(capsys, "train", "--example", "regression", "--lr", "1e308", "--json")
    data = json.loads(out)
    assert code == 3
    assert data["stopped"] == "diverged" and data["loss_per_epoch"] == [] and data["epochs_run"] == 0
    assert data["layers"][0]["weights"] == [[0.1, 0.1], [0.1, 0.1]]  # the last finite values


def test_train_saves_the_trained_session(capsys, tmp_path):
    path = tmp_path / "trained.json"
    code, out, _ = run(capsys, "train", "--example", "regression", "--epochs", "3", "--save", str(path))
    assert code == 0 and f"Saved the session with the trained parameters to {path}" in out
    saved = load(path)
    expected = engine_summary(epochs=3)
    assert [layer.weights.tolist() for layer in saved.network.layers] == [l["weights"] for l in expected["layers"]]
    assert saved.training.epochs == 3
    # Training the saved session goes on from where it stopped: epochs 4 to 6 after the 3 saved.
    code, again, err = run(capsys, "train", "--session", str(path), "--epochs", "6", "--json")
    assert (code, err) == (0, ""), again
    history = json.loads(again)["loss_per_epoch"]
    assert history[:3] == expected["loss_per_epoch"] and history[3] < expected["loss_per_epoch"][-1]
    assert history == engine_summary(epochs=6)["loss_per_epoch"]
    # --json keeps stdout pure JSON when saving too.
    _, out, _ = run(capsys, "train", "--session", str(path), "--epochs", "1", "--restart", "--save", str(path),
                    "--json")
    assert json.loads(out)["epochs_run"] == 1
    # Without --restart, fewer epochs than the file has trained cannot go on.
    assert "give --epochs more than 1 to go on, or --restart" in expect_usage_error(
        capsys, "train", "--session", str(path), "--epochs", "1")


def test_train_save_into_a_missing_folder_is_an_error(capsys, tmp_path):
    err = expect_usage_error(capsys, "train", "--example", "regression", "--save", str(tmp_path / "no" / "x.json"))
    assert "cannot write in" in err


# -- trace -------------------------------------------------------------------------------------------
def test_trace_prints_the_hand_calculation_of_the_first_sample(capsys):
    code, out, err = run(capsys, "trace", "--example", "regression")
    assert code == 0 and err == ""
    lines = [line.strip() for line in out.splitlines()]
    headings = [line for line in out.splitlines() if line in ("Forward pass", "Loss", "Backward pass", "Update")]
    assert headings == ["Forward pass", "Loss", "Backward pass", "Update"]
    for expected in ["z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6", "o11 = z11 = 1.6",
                     "o12 = z12 = 1.6", "ŷ = z21 = 0.32", "L = (y − ŷ)² = (4 − 0.32)² = 13.5424",
                     "∂L/∂ŷ = −2(y − ŷ) = −2(4 − 0.32) = −7.36", "∂z21/∂o11 = w211 = 0.1",
                     "running product after 5 of 5: −5.888",
                     "∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂o11 · ∂o11/∂z11 · ∂z11/∂w111 = (−7.36)·1·0.1·1·8 = −5.888",
                     "w111 ← w111 − η·∂L/∂w111 = 0.1 − 0.001·(−5.888) = 0.105888"]:
        assert expected in lines, expected
    assert sum(line.startswith("∂L/∂") and "=" not in line for line in lines) == 9  # one group per parameter
    assert sum("←" in line for line in lines) == 9


def test_trace_json_has_every_record_at_full_precision(capsys):
    code, out, _ = run(capsys, "trace", "--example", "regression", "--json")
    assert code == 0
    records = json.loads(out)
    kinds = [record["kind"] for record in records]
    assert kinds[:4] == ["forward"] * 3 + ["loss"] and kinds[-9:] == ["update"] * 9
    assert kinds.count("gradient") == 9 and "epoch" not in kinds
    gradient = next(r for r in records if r["kind"] == "gradient" and r["parameter"] == "w111")
    assert gradient["description"] == "Backward pass: gradient ∂L/∂w111"
    assert [factor["value"] for factor in gradient["factors"]] == pytest.approx([-7.36, 1, 0.1, 1, 8], rel=1e-15)
    assert gradient["value"] == math.prod(factor["value"] for factor in gradient["factors"])
    stepped = Stepper(load_example("regression").make_training()).step("sample")
    assert gradient["value"] == next(r.value for r in stepped if r.kind == "gradient" and r.parameter == "w111")
    update = next(r for r in records if r["kind"] == "update" and r["parameter"] == "w111")
    assert update["new"] == pytest.approx(0.105888, rel=1e-15) and update["text"] == [
        "w111 ← w111 − η·∂L/∂w111 = 0.1 − 0.001·(−5.888) = 0.105888"]
    assert all(isinstance(r["text"], list) and r["description"] for r in records)


def test_trace_other_sample_and_digits(capsys, tmp_path):
    session = load_example("xor")
    path = tmp_path / "xor.json"
    session.save(path)
    before = path.read_bytes()
    code, out, _ = run(capsys, "trace", "--session", str(path), "--sample", "4", "--digits", "3", "--json")
    records = json.loads(out)
    assert code == 0 and {r["sample"] for r in records} == {4}
    forward = records[0]
    assert forward["inputs"] == [1.0, 1.0] and forward["weights"] == session.network.layers[0].weights[:, 0].tolist()
    assert forward["text"][0].endswith(" = " + f"{forward['z']:.3g}".replace("-", "−"))
    assert path.read_bytes() == before  # tracing changes no file


def test_trace_of_a_diverging_step_says_so(capsys, tmp_path):
    session = load_example("regression")
    session.training = session.training.with_changes(learning_rate=1e308)
    path = tmp_path / "huge.json"
    session.save(path)
    code, out, _ = run(capsys, "trace", "--session", str(path))
    assert code == 0 and "\nTraining stopped\n" in out and "w211 would become inf" in out
    _, out, _ = run(capsys, "trace", "--session", str(path), "--json")
    last = json.loads(out)[-1]
    assert last["kind"] == "epoch" and last["status"] == "diverged" and last["mean_loss"] is None


# -- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["train"], "one of the arguments --example --session is required"),
    (["train", "--example", "regression", "--session", "x.json"], "not allowed with"),
    (["train", "--example", "nope"], "there is no example 'nope'"),
    (["train", "--session", "does-not-exist.json"], "cannot read does-not-exist.json"),
    (["train", "--example", "regression", "--epochs", "0"], "epochs must be a whole number ≥ 1"),
    (["train", "--example", "regression", "--epochs", "1.5"], "epochs must be a whole number"),
    (["train", "--example", "regression", "--epochs", "-3"], "epochs"),
    (["train", "--example", "regression", "--lr", "0"], "learning rate must be a finite number greater than 0"),
    (["train", "--example", "regression", "--lr", "-0.1"], "learning rate"),
    (["train", "--example", "regression", "--lr", "nan"], "learning rate must be a finite number"),
    (["train", "--example", "regression", "--lr", "inf"], "learning rate must be a finite number"),
    (["train", "--example", "regression", "--lr", "fast"], "learning rate must be a number"),
    (["train", "--example", "regression", "--lr", "-0.1"],
     "argument --lr: learning rate must be a finite number greater than 0, not '-0.1'"),
    (["train", "--example", "regression", "--lr", "1e-400"],
     "argument --lr: learning rate must be a finite number greater than 0, not '1e-400' (it is too small"),
    (["train", "--example", "regression", "--tolerance", "-1"],
     "argument --tolerance: tolerance must be a finite number ≥ 0, not '-1'"),
    (["train", "--example", "regression", "--order", "random"], "invalid choice: 'random'"),
    (["train", "--example", "regression", "--batch-size", "-1"], "batch size must be a whole number ≥ 0"),
    (["train", "--example", "regression", "--batch-size", "half"], "batch size must be a whole number"),
    (["train", "--example", "regression", "--seed", "-1"], "seed must be a whole number ≥ 0"),
    (["train", "--example", "regression", "--tolerance", "-1"], "tolerance must be a finite number ≥ 0"),
    (["train", "--example", "regression", "--wobble"], "unrecognized arguments: --wobble"),
    (["trace", "--example", "regression", "--sample", "5"], "sample must be between 1 and 4"),
    (["trace", "--example", "regression", "--sample", "0"], "sample must be a whole number ≥ 1"),
    (["trace", "--example", "regression", "--digits", "0"], "digits must be a whole number ≥ 1"),
    (["--example", "nope"], "there is no example 'nope'"),
    (["missing-session.json"], "missing-session.json"),
    (["a.json", "--example", "xor"], "not both"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, words):
    assert words in expect_usage_error(capsys, *argv)


def test_bad_session_file_is_one_line(capsys, tmp_path):
    path = tmp_path / "bad.json"
    data = json.loads(load_example("regression").to_json())
    data["network"]["layers"][0]["activation"] = "swish"
    path.write_text(json.dumps(data), encoding="utf-8")
    for command in ("train", "trace"):
        err = expect_usage_error(capsys, command, "--session", str(path))
        assert "bad.json: network.layers[0]" in err and "unknown activation 'swish'" in err
    path.write_bytes(b"\x00\x01\x02")
    assert "bad.json" in expect_usage_error(capsys, "train", "--session", str(path))


def test_help_exits_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "train" in out and "trace" in out and "examples" in out
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "--batch-size" in out and "--save" in out


def run_main_py(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, encoding="utf-8")


@pytest.mark.parametrize("argv", [["train", "--example", "regression", "--lr", "nan"],
                                  ["trace", "--session", "no/such/file.json"],
                                  ["train", "--example", "regression", "--bogus"]])
def test_main_py_refuses_bad_input_without_a_traceback(argv):
    result = run_main_py(*argv)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("backprop-sim: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_main_py_trains_and_prints_json():
    result = run_main_py("train", "--example", "regression", "--json")
    assert result.returncode == 0 and result.stderr == ""
    assert without_metrics(result.stdout) == engine_summary()


# -- the desktop app ---------------------------------------------------------------------------------
@pytest.fixture
def fake_app(monkeypatch):
    calls = []
    module = types.ModuleType("ui.app")

    def run_gui(session_path=None, example=None):
        calls.append((session_path, example))
        return 0
    module.run_gui = run_gui
    monkeypatch.setitem(sys.modules, "ui.app", module)
    if importlib.util.find_spec("PySide6") is None:  # the command line checks that Qt is there
        qt = types.ModuleType("PySide6")
        qt.__spec__ = importlib.machinery.ModuleSpec("PySide6", None)
        monkeypatch.setitem(sys.modules, "PySide6", qt)
    return calls


def test_no_command_opens_the_app(capsys, fake_app, tmp_path):
    assert launch([]) == 0
    assert launch(["--example", "xor"]) == 0
    path = tmp_path / "s.json"
    load_example("regression").save(path)
    assert launch([str(path)]) == 0
    assert fake_app == [(None, None), (None, "xor"), (str(path), None)]


def test_the_launcher_hands_commands_to_the_command_line(capsys, fake_app):
    code = launch(["train", "--example", "regression", "--json"])
    assert code == 0 and fake_app == []
    assert without_metrics(capsys.readouterr().out) == engine_summary()


def test_the_engine_command_line_alone_does_not_open_the_app(capsys, fake_app):
    """`python -m simulator` without a command: the app's arguments are checked, then refused."""
    err = expect_usage_error(capsys, "--example", "xor")
    assert "give a command: train, trace, examples" in err and "python -m ui" in err
    assert "there is no example 'nope'" in expect_usage_error(capsys, "--example", "nope")
    assert fake_app == []


def test_without_the_app_the_command_line_says_so(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ui.app", None)  # importing it raises ImportError
    code = launch([])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "desktop app cannot start" in err and "train" in err


def test_without_pyside6_the_command_line_says_so(capsys, monkeypatch, fake_app):
    monkeypatch.setitem(sys.modules, "PySide6", None)
    code = launch(["--example", "xor"])
    out, err = capsys.readouterr()
    assert code == 1 and fake_app == []
    assert err == ("backprop-sim: the desktop app cannot start (PySide6 is not installed); the commands "
                   "train, trace, examples, import, map, exercises, export work without it\n")


def test_the_setup_line_writes_numbers_as_everywhere_else_and_one_epoch_in_the_singular(capsys):
    code, out, _ = run(capsys, "train", "--example", "regression", "--epochs", "1", "--lr", "0.00001")
    assert code == 0
    # Before: "learning rate 1e-05, 1 epochs" (an ASCII minus and a plural).
    assert "mean squared error, learning rate 1e−05, 1 epoch, sequential order" in out.splitlines()[1]


def documented_examples() -> list[tuple[list[str], str]]:
    """Every `$ python main.py …` example of docs/cli.md with the output it shows."""
    import re
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    return [(command.split()[2:], output) for command, output in
            re.findall(r"```\n\$ (python main\.py [^\n]*)\n(.*?)```", text, re.S)]


@pytest.mark.parametrize("argv, shown", documented_examples(), ids=lambda value: " ".join(value)[:60]
                         if isinstance(value, list) else "")
def test_the_command_line_guide_shows_what_the_commands_print(capsys, tmp_path, monkeypatch, argv, shown):
    """The guide's examples are the real output (a train --json number had gone stale by one ulp)."""
    monkeypatch.chdir(tmp_path)   # --save writes here
    (tmp_path / "docs").symlink_to(ROOT / "docs")   # the sample files the import examples read
    code, out, err = run(capsys, *argv)
    expected_code = 2 if shown.startswith("backprop-sim: error:") else 3 if "Training diverged" in shown else 0
    assert code == expected_code, (code, err)
    printed = (out + err).rstrip("\n").splitlines()
    if argv[-1] == "--json" and argv[0] == "trace":   # shown indented and cut short, for reading
        records = json.loads(out)
        first = json.loads(shown.split("  …")[0].rstrip().rstrip(",") + "]")[0]
        assert records[0] == first and len(records) == 61
        return
    if any("…" in line for line in shown.splitlines()):   # an excerpt: the lines shown, in order
        expected = [line for line in shown.rstrip("\n").splitlines() if "…" not in line]
        remaining = iter(printed)
        assert all(line in remaining for line in expected), expected   # a subsequence of the output
        return
    assert printed == shown.rstrip("\n").splitlines()


def test_every_dollar_example_of_the_command_line_guide_is_one_the_guide_test_runs():
    """Examples of commands that no test runs had named files that do not exist (iris.csv, …)."""
    import re
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\$ (.*)$", text, re.M)
    run_here = [" ".join(argv) for argv, _ in documented_examples()]
    others = [command for command in commands if not command.startswith("python main.py ")]
    assert others == ["python regression_torch.py"]   # the generated script: test_export_script.py runs it
    assert len(run_here) == len(commands) - len(others) and len(run_here) >= 23
    assert "import docs/samples/iris.csv --class-column column5 --save iris.json" in run_here


def test_help_of_python_m_simulator_does_not_promise_the_desktop_app(capsys):
    code, out, _ = run(capsys, "--help")        # `python -m simulator`: no app to open
    assert code == 0 and "needs a command" in " ".join(out.split()) and "opens the desktop app" not in out
    assert "3 train diverged" in " ".join(out.split())
    assert launch(["--help"]) == 0               # `backprop-sim`: it does open the app
    out = " ".join(capsys.readouterr().out.split())
    assert "Without a command, `backprop-sim [SESSION_FILE | --example NAME]` opens the desktop app." in out


def test_trace_says_when_the_inputs_it_shows_are_standardised(capsys, tmp_path):
    data = json.loads((ROOT / "resources" / "examples" / "regression.json").read_text(encoding="utf-8"))
    data["dataset"]["standardise"] = True
    path = tmp_path / "standardised.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "trace", "--session", str(path))
    assert code == 0
    # Was "(cgpa = 1.34164, resume_score = −1.18322, lpa = 4)" for a row that reads 8, 8, 4.
    assert out.splitlines()[1] == ("One training step on sample 1 (cgpa = 1.34164, resume_score = −1.18322, lpa = 4; "
                                   "inputs standardised to mean 0 and standard deviation 1), learning rate η = 0.001")
