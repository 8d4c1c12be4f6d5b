"""The command line: train or trace a session without the desktop app, or list the examples.

    backprop-sim train --example regression --epochs 5
    backprop-sim trace --example regression --sample 1
    backprop-sim examples
    backprop-sim import data.csv --save data.json
    backprop-sim map --example xor --csv xor.csv --png xor.png
    backprop-sim exercises --count 10 --seed 7 --out sheets
    backprop-sim export --example regression --pytorch same_step.py
    backprop-sim [SESSION_FILE | --example NAME]      (the desktop app, through `open_app`)

`python -m simulator` runs it. Without a command the arguments are the desktop app's: they are checked
here and handed to the `open_app` callable given to `main`, which `ui.launcher` (the `backprop-sim`
script) passes; the engine itself never imports the UI. See docs/cli.md. Bad arguments or files end
with exit status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from typing import Any, Callable, Sequence

from .cli_import import add_import_parser, run_import
from .cli_map import add_map_parser, run_map
from .cli_teachers import add_teacher_parsers, run_exercises, run_export
from .errors import ConfigError, SessionError, SimulatorError
from .examples import example_names, load_example
from .files import check_readable
from .formatting import DEFAULT_DIGITS, describe, format_number, record_lines, running_product_line
from .numbers import EMPTY, NOT_A_NUMBER, NumberError, parse_number, parse_whole
from .session import Session, load
from .stepper import Stepper
from .optimizers import RULES, Optimizer
from .training import CONVERGENCE, ORDERS, UPDATE_RULES, Training, progress_of, resume
from .worked import context_lines, worked_html, worked_markdown

PROG = "backprop-sim"
COMMANDS = ("train", "trace", "examples", "import", "map", "exercises", "export")
#: More significant digits than a float64 holds only show noise (and huge counts would take forever).
MAX_DIGITS = 17
#: Opens the desktop app on (session file, example name), at most one given; returns the exit status.
AppOpener = Callable[[str | None, str | None], int]


class UsageError(Exception):
    """A bad command line; the message is shown as it is."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        raise UsageError(message)


# -- argument types ------------------------------------------------------------------------------
def _whole(label: str, low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = parse_whole(text)
        except NumberError:
            raise argparse.ArgumentTypeError(f"{label} must be a whole number, not {text[:40]!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{label} must be a whole number ≥ {low}, not {text!r}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{label} must be a whole number from {low} to {high}, not {text[:40]!r}")
        return value
    return parse


def _number(label: str, low: float, strict: bool):
    """A finite number above `low` (`strict`) or at least `low`, refused with the text as typed."""
    def parse(text: str) -> float:
        try:
            value = parse_number(text)
        except NumberError as error:
            kind = "a number" if error.reason in (EMPTY, NOT_A_NUMBER) else "a finite number"
            raise argparse.ArgumentTypeError(f"{label} must be {kind}, not {text[:40]!r}") from None
        if value < low or (strict and value == low):
            bound = f"greater than {low:g}" if strict else f"≥ {low:g}"
            # 1e-400 reads as 0: say so rather than repeat a 0 nobody typed.
            underflow = " (it is too small for a float and reads as 0)" if value == 0 and any(
                digit in text.lower().split("e")[0] for digit in "123456789") else ""
            raise argparse.ArgumentTypeError(f"{label} must be a finite number {bound}, not {text[:40]!r}{underflow}")
        return value
    return parse


def _given(label: str):
    """A name or path that must not be empty (an empty one would quietly mean 'none given')."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{label} must not be empty")
        if "\x00" in text:
            raise argparse.ArgumentTypeError(f"{label} cannot contain a NUL character")
        return text
    return parse


def _batch_size(text: str) -> int:
    return 0 if text.strip().lower() == "full" else _whole("batch size", 0)(text)


# -- parsers -------------------------------------------------------------------------------------
#: The optimiser's options: (option, its field, type, help).
_OPTIMIZER_OPTIONS = (
    ("--momentum", "momentum", _number("momentum", 0.0, strict=False), "SGD: momentum μ, from 0 up to 1 (0: none)"),
    ("--alpha", "alpha", _number("alpha", 0.0, strict=False), "RMSprop: smoothing α of the squared gradients (0.99)"),
    ("--beta1", "beta1", _number("beta1", 0.0, strict=False), "Adam: β₁ of the gradients' mean (0.9)"),
    ("--beta2", "beta2", _number("beta2", 0.0, strict=False), "Adam: β₂ of the squared gradients' mean (0.999)"),
    ("--eps", "eps", _number("eps", 0.0, strict=True), "RMSprop, Adam: ε added to the square root (1e-08)"),
    ("--weight-decay", "weight_decay", _number("weight decay", 0.0, strict=False),
     "any optimiser: weight decay λ, the gradient becomes ∂L/∂w + λ·w (0: none)"),
)


def _add_optimizer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--optimizer", choices=tuple(RULES), help="how the gradient moves the parameters (sgd)")
    parser.add_argument("--nesterov", action="store_true", default=None, help="SGD: Nesterov momentum")
    for option, _field, kind, text in _OPTIMIZER_OPTIONS:
        parser.add_argument(option, type=kind, metavar="X", help=text)


def _optimizer(args: argparse.Namespace, current: Optimizer) -> Optimizer:
    """The optimiser the options ask for: the session's, with the name and hyper-parameters given
    changed (another optimiser starts from its defaults); an option that does not apply is refused."""
    given = {field: getattr(args, field) for _option, field, _kind, _text in _OPTIMIZER_OPTIONS
             if getattr(args, field) is not None}
    if args.nesterov:
        given["nesterov"] = True
    name = args.optimizer or current.name
    if not given and name == current.name:
        return current
    applies = RULES[name].hyper_parameters
    for field in given:
        if field not in applies:
            raise UsageError(f"--{field.replace('_', '-')} does not apply to the {name} optimizer "
                             f"(its settings: {', '.join('--' + key.replace('_', '-') for key in applies)})")
    kept = {field: getattr(current, field) for field in applies} if name == current.name else {}
    return Optimizer(name, **{**kept, **given})


def _add_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--example", type=_given("example name"), metavar="NAME",
                        help="a built-in example (see `examples`)")
    source.add_argument("--session", type=_given("session file"), metavar="FILE", help="a session file (.json)")


def build_parser(opens_app: bool = False) -> argparse.ArgumentParser:
    """The commands' parser; `opens_app` when this entry point opens the desktop app without a command."""
    if opens_app:
        about = "Without a command, `backprop-sim [SESSION_FILE | --example NAME]` opens the desktop app."
    else:
        about = ("This entry point is the command line alone and needs a command; the desktop app is "
                 "`backprop-sim [SESSION_FILE | --example NAME]` (or `python -m ui`, `python main.py`).")
    parser = _Parser(prog=PROG, description="Step-through backpropagation simulator. " + about,
                     epilog=f"Exit status: 0 done; 2 bad arguments or an unreadable file; {DIVERGED_STATUS} "
                            "train diverged (the output says where).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    train = commands.add_parser("train", help="train and print the loss per epoch and the parameters")
    _add_source(train)
    train.add_argument("--epochs", type=_whole("epochs", 1), metavar="N", help="number of epochs")
    train.add_argument("--lr", type=_number("learning rate", 0.0, strict=True), metavar="X",
                       help="learning rate η (> 0)")
    train.add_argument("--order", choices=ORDERS, help="order of the samples in each epoch")
    train.add_argument("--seed", type=_whole("seed", 0), metavar="S", help="seed of the shuffled order")
    train.add_argument("--batch-size", type=_batch_size, metavar="B",
                       help="samples per update; 0 or 'full' for the whole dataset")
    train.add_argument("--tolerance", type=_number("tolerance", 0.0, strict=False), metavar="T",
                       help="stop when changes fall below it (0: never)")
    train.add_argument("--convergence", choices=CONVERGENCE, help="what the tolerance is compared with")
    train.add_argument("--update-rule", choices=UPDATE_RULES,
                       help="simultaneous (gradient descent) or in_place (a common mistake, for demonstration)")
    train.add_argument("--validation", type=_number("validation fraction", 0.0, strict=False), metavar="FRACTION",
                       help="fraction of the rows held out of training and evaluated every epoch (0: none)")
    train.add_argument("--validation-seed", type=_whole("validation seed", 0), metavar="S",
                       help="seed choosing the held-out rows")
    _add_optimizer_options(train)
    train.add_argument("--restart", action="store_true",
                       help="train a saved session again from epoch 1 (from its saved parameters), "
                            "not on from where it stopped")
    train.add_argument("--save", type=_given("save file"), metavar="FILE",
                       help="save the session with the trained parameters and how far training got")
    train.add_argument("--digits", type=_whole("digits", 1, MAX_DIGITS), default=DEFAULT_DIGITS, metavar="D",
                       help=f"significant digits shown (default {DEFAULT_DIGITS})")
    train.add_argument("--json", action="store_true", help="print one JSON object, full precision")
    trace = commands.add_parser("trace", help="print the hand calculation of one training step")
    _add_source(trace)
    trace.add_argument("--sample", type=_whole("sample", 1), default=1, metavar="K",
                       help="row of the dataset, from 1 (default 1)")
    trace.add_argument("--digits", type=_whole("digits", 1, MAX_DIGITS), default=DEFAULT_DIGITS, metavar="D",
                       help=f"significant digits shown (default {DEFAULT_DIGITS})")
    trace.add_argument("--json", action="store_true", help="print the records as JSON, full precision")
    _add_optimizer_options(trace)
    trace.add_argument("--html", type=_given("HTML file"), metavar="FILE",
                       help="also write the worked solution as a self-contained HTML page")
    trace.add_argument("--markdown", type=_given("Markdown file"), metavar="FILE",
                       help="also write the worked solution as Markdown")
    commands.add_parser("examples", help="list the built-in examples")
    add_import_parser(commands, _whole, _given)
    add_map_parser(commands, _add_source, _given)
    add_teacher_parsers(commands, _whole, _given, _number, _add_source)
    return parser


def _app_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Open the desktop app. Commands: " + ", ".join(COMMANDS)
                     + " (see `backprop-sim COMMAND --help`).")
    parser.add_argument("session", nargs="?", type=_given("session file"), metavar="SESSION_FILE",
                        help="a session file to open")
    parser.add_argument("--example", type=_given("example name"), metavar="NAME",
                        help="a built-in example to open")
    return parser


# -- helpers -------------------------------------------------------------------------------------
def _load_session(args: argparse.Namespace) -> Session:
    if args.example:
        return load_example(args.example)
    try:
        return load(args.session)
    except SessionError as error:
        name = os.path.basename(args.session)
        raise SessionError(str(error) if name in str(error) else f"{name}: {error}") from None


def _json_safe(value: Any) -> Any:
    """Non-finite numbers become null, so the output is always valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(_json_safe(value), ensure_ascii=False, allow_nan=False))


def _table(rows: list[tuple[str, ...]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def _setup_line(session: Session, training: Training) -> str:
    network, config = training.network, training.config
    shape = "-".join(str(size) for size in network.sizes)
    activations = ", ".join(layer.activation for layer in network.layers)
    batch = "full batch" if config.batch_size == 0 else f"batch size {config.batch_size}"
    order = config.order + (f" (seed {config.seed})" if config.order == "shuffled" else "")
    epochs = "1 epoch" if config.epochs == 1 else f"{config.epochs} epochs"
    return (f"{shape} network ({activations}), {training.loss.title}, "
            f"learning rate {format_number(config.learning_rate)}, {epochs}, {order} order, {batch}"
            + ("" if config.optimizer.plain else f", optimizer {config.optimizer.describe()}")
            + _rule_note(config.update_rule))


def _rule_note(rule: str) -> str:
    if rule == "in_place":
        return ("\nUPDATE RULE: in place, a common MISTAKE shown for comparison: later layers are updated "
                "before the gradient is carried back through them")
    return ""


# -- commands ------------------------------------------------------------------------------------
DIVERGED_STATUS = 3   # `train` ran but diverged: a result, printed in full, that a script must be able to see


def _train(args: argparse.Namespace) -> int:
    session = _load_session(args)
    changes = {key: value for key, value in (
        ("epochs", args.epochs), ("learning_rate", args.lr), ("order", args.order), ("seed", args.seed),
        ("batch_size", args.batch_size), ("tolerance", args.tolerance), ("convergence", args.convergence),
        ("update_rule", args.update_rule), ("validation", args.validation),
        ("validation_seed", args.validation_seed)) if value is not None}
    changes["optimizer"] = _optimizer(args, session.training.optimizer)
    session.training = session.training.with_changes(**changes)
    training = session.make_training()
    if session.progress is not None and not args.restart:    # a saved training goes on where it stopped
        done = session.progress.epoch
        if done >= training.config.epochs:
            raise UsageError(f"the session has trained {done:,} epoch{'s' if done != 1 else ''} already: give "
                             f"--epochs more than {done:,} to go on, or --restart to train again from its "
                             "saved parameters")
        resume(training, session.progress)
    training.record_metrics = True
    initial = [session.network.get(ref) for ref in session.network.parameters()]
    training.run()
    session.progress = progress_of(training)
    if args.save:
        session.save(args.save)
    status = DIVERGED_STATUS if training.status == "diverged" else 0   # scripts can tell without parsing
    if args.json:
        _print_json({**training.summary(), "metrics": _metrics_summary(training)})
        return status
    digits = args.digits
    lines = [session.title or "Untitled session", _setup_line(session, training), ""]
    if training.history:
        lines += _epoch_table(training, digits)
    else:
        lines.append("No epoch was completed.")
    lines += ["", training.message or f"Stopped: {training.status}.", ""]
    lines += _metrics_lines(training, digits) + [""]
    lines += _table([("parameter", "initial", "final")] + [
        (ref.name, format_number(before, digits), format_number(session.network.get(ref), digits))
        for ref, before in zip(session.network.parameters(), initial)])
    if args.save:
        lines += ["", f"Saved the session with the trained parameters to {args.save}"]
    print("\n".join(lines))
    return status


def _score_name(training: Training) -> str:
    return "R²" if training.task == "regression" else "accuracy"


def _epoch_table(training: Training, digits: int) -> list[str]:
    """Epoch, mean loss and the metric at the epoch's end; the held-out loss and metric with a split."""
    score = _score_name(training)
    held_out = training.held_out_rows.size > 0
    columns = [training.history.tolist(), training.evaluation_series("training_score").tolist()]
    header = ("epoch", "mean loss", score)
    if held_out:
        columns += [training.evaluation_series("held_out_loss").tolist(),
                    training.evaluation_series("held_out_score").tolist()]
        header += ("held-out loss", f"held-out {score}")
    return _table([header] + [(str(number),) + tuple(format_number(value, digits) if math.isfinite(value) else "–"
                                                      for value in values)
                              for number, values in enumerate(zip(*columns), start=1)])


def _metrics_summary(training: Training) -> dict:
    """`--json`'s `metrics`: the final metrics of the training rows (and of the held-out rows), the
    baseline loss, and the metric (and held-out loss) of every epoch."""
    loss, metrics = training.evaluate(training.training_rows)
    summary = {"task": training.task, "baseline_loss": training.baseline(),
               "training": {"loss": loss, **metrics.to_dict()},
               "per_epoch": {f"training_{_json_score(training)}": training.evaluation_series("training_score").tolist()}}
    if training.held_out_rows.size:
        loss, metrics = training.evaluate(training.held_out_rows)
        summary["held_out"] = {"loss": loss, **metrics.to_dict(), "rows_held_out": (training.held_out_rows + 1).tolist()}
        summary["per_epoch"]["held_out_loss"] = training.evaluation_series("held_out_loss").tolist()
        summary["per_epoch"][f"held_out_{_json_score(training)}"] = training.evaluation_series("held_out_score").tolist()
    return summary


def _json_score(training: Training) -> str:
    return "r2" if training.task == "regression" else "accuracy"


def _metrics_lines(training: Training, digits: int) -> list[str]:
    """The final metrics of the training rows and the held-out rows, and the baseline loss."""
    lines = [f"Baseline loss (always predicting the training rows' "
             f"{'mean' if training.task == 'regression' else 'class frequencies'}): "
             f"{format_number(training.baseline(), digits)}"]
    groups = [("training rows", training.training_rows)]
    if training.held_out_rows.size:
        groups.append(("held-out rows", training.held_out_rows))
    for label, rows in groups:
        loss, metrics = training.evaluate(rows)
        if metrics.task == "regression":
            r2 = format_number(metrics.r2, digits) if math.isfinite(metrics.r2) else "undefined (the targets do not vary)"
            values = f"RMSE {format_number(metrics.rmse, digits)}, MAE {format_number(metrics.mae, digits)}, R² {r2}"
        else:
            values = f"accuracy {format_number(metrics.accuracy, digits)}, confusion matrix (row: true class, " \
                     f"column: predicted) {metrics.confusion.tolist()}"
        label = label if len(rows) != 1 else label[:-1]
        lines.append(f"The {len(rows)} {label}: loss {format_number(loss, digits)}, {values}")
    return lines


def _trace_training(session: Session) -> Training:
    """The session's training as `trace` steps it: one sample at a time, in file order."""
    config = session.training.with_changes(batch_size=1, order="sequential")
    training = Training(session.network, session.training_dataset(), session.loss, config)
    if session.progress is not None and session.progress.optimizer_state is not None \
            and session.progress.optimizer_state.name == config.optimizer.name:
        training.optimizer_state = session.progress.optimizer_state   # the optimiser goes on from where it was
    return training


def trace_records(session: Session, sample: int) -> list:
    """The records of one per-sample step on row `sample` (1-based) with the session's parameters."""
    training = _trace_training(session)
    if not 1 <= sample <= training.n_samples:
        raise ConfigError(f"sample must be between 1 and {training.n_samples} (the dataset's rows), not {sample}")
    training.position = sample - 1
    records = Stepper(training).step("sample")
    # An end-of-epoch record would average over this one sample only; a divergence message is kept.
    return [record for record in records if record.kind != "epoch" or record.status == "diverged"]


def _trace(args: argparse.Namespace) -> int:
    session = _load_session(args)
    session.training = session.training.with_changes(optimizer=_optimizer(args, session.training.optimizer))
    records = trace_records(session, args.sample)
    digits = args.digits
    _write_worked(session, records, args)
    if args.json:
        _print_json([{**dataclasses.asdict(record), "kind": record.kind, "description": describe(record),
                      "text": record_lines(record, digits)} for record in records])
        return 0
    print("\n".join(_trace_lines(session, records, args.sample, digits)))
    return 0


def _write_worked(session: Session, records: list, args: argparse.Namespace) -> None:
    """--html / --markdown: the same step as a worked solution, at the same digits."""
    if not (args.html or args.markdown):
        return
    title = f"Worked solution: {session.title or 'Untitled session'}, sample {args.sample}"
    context = context_lines(_trace_training(session), args.digits)
    for path, write in ((args.html, worked_html), (args.markdown, worked_markdown)):
        if path:
            with open(path, "w", encoding="utf-8") as file:
                file.write(write(records, title, context, args.digits))
            print(f"Wrote {path}", file=sys.stderr)


_SECTIONS = {"forward": "Forward pass", "loss": "Loss", "factor": "Backward pass", "gradient": "Backward pass",
             "update": "Update", "epoch": "Training stopped"}


def _trace_lines(session: Session, records: list, sample: int, digits: int) -> list[str]:
    dataset = session.training_dataset()
    values = ", ".join(f"{name} = {format_number(value, digits)}"
                       for name, value in zip(dataset.columns, dataset.rows[sample - 1]))
    rate = format_number(session.training.learning_rate, digits)
    scaled = "; inputs standardised to mean 0 and standard deviation 1" if session.standardise else ""
    lines = [session.title or "Untitled session",
             f"One training step on sample {sample} ({values}{scaled}), learning rate η = {rate}"]
    section = None
    for record in records:
        if _SECTIONS[record.kind] != section:
            section = _SECTIONS[record.kind]
            lines += ["", section]
        if record.kind == "forward":
            lines.append("  " + describe(record))
            lines += ["    " + text for text in record_lines(record, digits)]
        elif record.kind == "factor":
            if record.index == 1:
                lines.append(f"  ∂L/∂{record.parameter}")
            lines += ["    " + text for text in record_lines(record, digits)]
            lines.append("        " + running_product_line(record, digits))
        elif record.kind == "update" and record.steps:     # an optimiser's several lines per parameter
            lines.append("  " + describe(record))
            lines += ["    " + text for text in record_lines(record, digits)]
        else:
            lines += ["    " + text for text in record_lines(record, digits)]
    return lines


def _examples(args: argparse.Namespace) -> int:
    names = example_names()
    print("\n".join(_table([(name, load_example(name).title) for name in names], indent="")))
    return 0


def _open_app(argv: list[str], open_app: AppOpener | None) -> int:
    """Check the desktop app's arguments, then open it (refused up front, before any window)."""
    args = _app_parser().parse_args(argv)
    if args.session and args.example:
        raise UsageError("give a session file or --example, not both")
    if args.example and args.example not in example_names():
        raise UsageError(f"there is no example {args.example!r}; the examples are: {', '.join(example_names())}")
    if args.session:
        # A missing or unreadable file (or a FIFO, which would block) is an error here, not in the app.
        check_readable(args.session, SessionError, "a session file")
    if open_app is None:
        raise UsageError(f"give a command: {', '.join(COMMANDS)} (see --help); the desktop app opens with "
                         "`backprop-sim` or `python -m ui`")
    return open_app(args.session, args.example)


def _silence_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _escape_unwritable_text() -> None:
    """Write what the terminal cannot (a file name that is not UTF-8 reaches Python as an unpaired
    surrogate) as a backslash escape, instead of failing in the middle of the output."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None, open_app: AppOpener | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 the app cannot start, 2 bad input,
    3 `train` diverged).

    Arguments without a command go to `open_app`; without one, they are refused as a usage error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    _escape_unwritable_text()
    try:
        if argv and argv[0] in COMMANDS + ("-h", "--help"):
            args = build_parser(opens_app=open_app is not None).parse_args(argv)
            return {"train": _train, "trace": _trace, "examples": _examples, "import": run_import,
                    "map": lambda args: run_map(args, _load_session), "exercises": run_exercises,
                    "export": lambda args: run_export(args, _load_session)}[args.command](args)
        return _open_app(argv, open_app)
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    except BrokenPipeError:  # the output was piped into a program that stopped reading, such as `head`
        _silence_stdout()
        return 1
    except (UsageError, SimulatorError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"{PROG}: error: {where}{error.strerror or error}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 2
