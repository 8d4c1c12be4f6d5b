"""The teacher's commands: `exercises` (a set of problems with answer keys) and `export` (the same
training as a PyTorch or Keras script). See docs/cli.md."""

from __future__ import annotations

import argparse
from typing import Callable

from .errors import ConfigError
from .exercise_sheets import FORMATS, parse_formats, write_sheets
from .exercises import ASKS, ExerciseSpec, generate, parse_ask, parse_shape
from .export_script import write_script

ArgumentType = Callable[[str], object]


def _typed(parse: Callable[[str], object]) -> ArgumentType:
    """An argparse type from one of the engine's parsers: its ConfigError becomes the usage message."""
    def convert(text: str) -> object:
        try:
            return parse(text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return convert


def add_teacher_parsers(commands, whole: Callable[..., ArgumentType], given: Callable[[str], ArgumentType],
                        number: Callable[..., ArgumentType], add_source: Callable) -> None:
    """The `exercises` and `export` subcommands on `commands`, with cli's argument types."""
    parser = commands.add_parser("exercises", help="write a set of problems to work by hand, with answer keys")
    parser.add_argument("--count", type=whole("count", 1, 200), default=5, metavar="N",
                        help="how many problems (default 5, at most 200)")
    parser.add_argument("--seed", type=whole("seed", 0, 2**31 - 1), default=0, metavar="S",
                        help="the set's seed: the same seed gives the same problems (default 0)")
    parser.add_argument("--shape", type=_typed(parse_shape), default=(2, 2, 1), metavar="SIZES",
                        help="layer sizes, inputs first, such as 2-2-1 (default) or 3-2-2")
    parser.add_argument("--activation", type=given("activation"), default="linear", metavar="NAME",
                        help="the hidden layers' activation: linear (default), sigmoid, tanh or relu")
    parser.add_argument("--loss", type=given("loss"), default="mse", metavar="NAME",
                        help="mse (default), half_sse, bce (sigmoid output) or cross_entropy (softmax output)")
    parser.add_argument("--optimizer", type=given("optimizer"), default="sgd", metavar="NAME",
                        help="the update rule (default sgd, plain gradient descent)")
    parser.add_argument("--lr", type=number("learning rate", 0.0, strict=True), default=0.1, metavar="X",
                        help="learning rate η (default 0.1)")
    parser.add_argument("--ask", type=_typed(parse_ask), default=ASKS, metavar="PARTS",
                        help=f"what to ask, any of {','.join(ASKS)} (default all)")
    parser.add_argument("--digits", type=whole("digits", 1, 17), default=6, metavar="D",
                        help="significant digits of the answers (default 6)")
    parser.add_argument("--out", type=given("output folder"), required=True, metavar="DIR",
                        help="the folder to write into (made if missing)")
    parser.add_argument("--format", type=_typed(parse_formats), default=FORMATS, metavar="FORMATS",
                        help=f"any of {','.join(FORMATS)} (default all)")
    export = commands.add_parser("export", help="write the session's training as a PyTorch or Keras script")
    add_source(export)
    export.add_argument("--pytorch", type=given("PyTorch script"), metavar="FILE", help="write a PyTorch script")
    export.add_argument("--keras", type=given("Keras script"), metavar="FILE", help="write a Keras script")


def run_exercises(args: argparse.Namespace) -> int:
    spec = ExerciseSpec(count=args.count, seed=args.seed, shape=args.shape, activation=args.activation,
                        loss=args.loss, optimizer=args.optimizer, learning_rate=args.lr, ask=args.ask,
                        digits=args.digits)
    problems = generate(spec)
    written = write_sheets(problems, spec, args.out, args.format)
    sheets = [path.name for path in written if path.parent.name != "sessions"]
    sessions = len(written) - len(sheets)
    print(f"Wrote {len(problems)} problems to {args.out}: {', '.join(sheets)}"
          + (f", and {sessions} session files in sessions/" if sessions else ""))
    return 0


def run_export(args: argparse.Namespace, load_session: Callable) -> int:
    if not (args.pytorch or args.keras):
        raise ConfigError("give --pytorch FILE, --keras FILE or both")
    session = load_session(args)
    for path, framework in ((args.pytorch, "pytorch"), (args.keras, "keras")):
        if path:
            write_script(session, path, framework)
            print(f"Wrote {path}")
    return 0
