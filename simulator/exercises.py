"""Exercise sets: randomised one-step problems a student can work by hand, with their answers.

Each problem is a small network with round-ish parameters (multiples of 0.1 and 0.5), one sample of
small whole numbers and a round learning rate, built as an ordinary `Session`. Its answers are the
records the engine's own stepper reveals for one step on that sample (one source of truth with the
app and the command line); a problem is drawn again when it repeats an earlier one of the set. The
same seed gives the same set. The sheets are written by `exercise_sheets`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .activations import ACTIVATIONS, get_activation
from .dataset import Dataset
from .errors import ConfigError
from .losses import LOSSES, get_loss
from .network import Layer, Network
from .optimizers import RULES, Optimizer
from .records import ForwardRecord, GradientRecord, LossRecord, Record, UpdateRecord
from .session import Session
from .stepper import Stepper
from .training import MAX_SEED, TrainingConfig

#: What a problem can ask for, in the order a step computes it.
ASKS = ("forward", "loss", "gradients", "updates")
#: The optimisers a set can use: every rule of the registry, with PyTorch's default hyper-parameters.
OPTIMIZERS = tuple(RULES)
MAX_COUNT = 200
#: Hand calculation stays possible only for small networks.
MAX_LAYER_WIDTH = 4
MAX_HIDDEN = 2
#: The output activation each loss is taught with.
OUTPUT_ACTIVATION = {"mse": "linear", "half_sse": "linear", "bce": "sigmoid", "cross_entropy": "softmax"}
WEIGHTS = tuple(round(0.1 * k, 1) for k in range(-10, 11) if k != 0)      # −1, −0.9, …, −0.1, 0.1, …, 1
BIASES = (-1.0, -0.5, 0.0, 0.5, 1.0)
INPUTS = (-3.0, -2.0, -1.0, 1.0, 2.0, 3.0)
TARGETS = (1.0, 2.0, 3.0, 4.0, 5.0)
#: Draws of one problem before a set is declared too small to hold `count` different problems.
MAX_DRAWS = 1000


def parse_shape(text: str) -> tuple[int, ...]:
    """`2-2-1` → (2, 2, 1): inputs, hidden layers, outputs; ConfigError naming what is wrong."""
    parts = str(text).strip().split("-")
    if len(parts) < 2 or not all(part.strip().isdigit() for part in parts):
        raise ConfigError(f"shape must be layer sizes joined by '-', inputs first, such as 2-2-1, not {str(text)[:40]!r}")
    return tuple(int(part) for part in parts)


@dataclass(frozen=True)
class ExerciseSpec:
    """What a set asks for: `shape` (inputs, hidden…, outputs), the hidden layers' activation, the loss
    (which decides the output activation), the optimiser, the learning rate and the asked parts."""

    count: int = 5
    seed: int = 0
    shape: tuple[int, ...] = (2, 2, 1)
    activation: str = "linear"
    loss: str = "mse"
    optimizer: str = "sgd"
    learning_rate: float = 0.1
    ask: tuple[str, ...] = ASKS
    digits: int = 6

    def __post_init__(self) -> None:
        validate_spec(self)

    @property
    def output_activation(self) -> str:
        return OUTPUT_ACTIVATION[self.loss]

    @property
    def shape_text(self) -> str:
        return "-".join(str(size) for size in self.shape)


def validate_spec(spec: ExerciseSpec) -> None:
    """Raise a ConfigError naming the first field of `spec` that is invalid."""
    for label, value, low, high in (("count", spec.count, 1, MAX_COUNT), ("seed", spec.seed, 0, MAX_SEED),
                                    ("digits", spec.digits, 1, 17)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise ConfigError(f"{label} must be a whole number from {low} to {high:,}, not {value!r}")
    shape = spec.shape
    if len(shape) < 2 or len(shape) - 2 > MAX_HIDDEN:
        raise ConfigError(f"shape {spec.shape_text}: give the inputs, at most {MAX_HIDDEN} hidden layers and the "
                          "outputs, such as 2-2-1")
    if not all(1 <= size <= MAX_LAYER_WIDTH for size in shape):
        raise ConfigError(f"shape {spec.shape_text}: every layer needs from 1 to {MAX_LAYER_WIDTH} neurons "
                          "(larger layers are not for working by hand)")
    if spec.loss not in LOSSES:
        raise ConfigError(f"unknown loss {spec.loss!r}; choose one of: {', '.join(OUTPUT_ACTIVATION)}")
    if spec.loss not in OUTPUT_ACTIVATION:
        raise ConfigError(f"loss {spec.loss!r} has no exercises yet; choose one of: {', '.join(OUTPUT_ACTIVATION)}")
    if spec.activation not in ACTIVATIONS or get_activation(spec.activation).over_layer:
        hidden = [name for name, item in ACTIVATIONS.items() if not item.over_layer]
        raise ConfigError(f"activation {spec.activation!r} cannot be a hidden layer's; choose one of: {', '.join(hidden)}")
    if spec.loss == "cross_entropy" and shape[-1] < 2:
        raise ConfigError(f"shape {spec.shape_text}: cross-entropy needs at least two outputs, one per class")
    if spec.optimizer not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {spec.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
    rate = spec.learning_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
        raise ConfigError(f"learning rate must be a finite number greater than 0, not {rate!r}")
    if not spec.ask or any(part not in ASKS for part in spec.ask) or len(set(spec.ask)) != len(spec.ask):
        raise ConfigError(f"ask must name one or more of {', '.join(ASKS)} (each once), not {','.join(spec.ask)!r}")


def parse_choices(text: str, choices: tuple[str, ...], field: str) -> tuple[str, ...]:
    """`'b,a'` → ('a', 'b'): the comma-separated names of `choices` in `text`, in the order of `choices`;
    ConfigError naming `field` when a name is unknown or none is given."""
    parts = [part.strip().lower() for part in str(text).split(",") if part.strip()]
    if not parts or any(part not in choices for part in parts):
        raise ConfigError(f"{field} must name one or more of {', '.join(choices)}, separated by commas, "
                          f"not {str(text)[:60]!r}")
    return tuple(part for part in choices if part in parts)


def parse_ask(text: str) -> tuple[str, ...]:
    """`forward,loss` → ('forward', 'loss') in the order a step computes them; ConfigError on an unknown part."""
    return parse_choices(text, ASKS, "ask")


@dataclass
class Problem:
    """One exercise: its session (network, one sample, settings), the step's records, and the answers by
    name (`z11`, `o11`, `y_hat`, `L`, `dL/dw111`, `w111_new`), in the order a step computes them."""

    number: int
    session: Session
    records: list[Record]
    answers: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Problem({self.number}: {self.session.network!r}, {len(self.answers)} answers)"


def answer_name(label: str) -> str:
    """A record's label as an answer's name: `ŷ` → `y_hat`, `ŷ2` → `y_hat2`, others as they are."""
    return "y_hat" + label[1:] if label.startswith("ŷ") else label


def answers_of(records: list[Record], ask: tuple[str, ...]) -> dict[str, float]:
    """Every asked quantity of one step's records, by name, at full precision."""
    answers: dict[str, float] = {}
    for record in records:
        if isinstance(record, ForwardRecord) and "forward" in ask:
            answers[record.z_label] = record.z
            answers[answer_name(record.out_label)] = record.out
        elif isinstance(record, LossRecord) and "loss" in ask:
            answers["L"] = record.value
        elif isinstance(record, GradientRecord) and "gradients" in ask:
            answers[f"dL/d{record.parameter}"] = record.value
        elif isinstance(record, UpdateRecord) and "updates" in ask:
            answers[f"{record.parameter}_new"] = record.new
    return answers


def _draw_session(rng: np.random.Generator, spec: ExerciseSpec, number: int) -> Session:
    """A session of round-ish numbers: one sample, one epoch, one sample per step, in order."""
    sizes = spec.shape
    layers = []
    for index in range(1, len(sizes)):
        activation = spec.output_activation if index == len(sizes) - 1 else spec.activation
        weights = rng.choice(WEIGHTS, size=(sizes[index - 1], sizes[index]))
        layers.append(Layer(weights, rng.choice(BIASES, size=sizes[index]), activation))
    inputs = [f"x{i}" for i in range(1, sizes[0] + 1)]
    outputs = ["y"] if sizes[-1] == 1 else [f"y{k}" for k in range(1, sizes[-1] + 1)]
    network = Network(layers, inputs, outputs)
    if spec.loss == "cross_entropy":
        targets = np.eye(sizes[-1])[rng.integers(sizes[-1])]
    elif get_loss(spec.loss).needs_probabilities:
        targets = rng.choice((0.0, 1.0), size=sizes[-1])
    else:
        targets = rng.choice(TARGETS, size=sizes[-1])
    row = np.concatenate([rng.choice(INPUTS, size=sizes[0]), targets])
    dataset = Dataset(inputs + outputs, row[None, :], inputs, outputs)
    config = TrainingConfig(learning_rate=spec.learning_rate, epochs=1, order="sequential", batch_size=1,
                            optimizer=Optimizer(spec.optimizer))
    return Session(network, spec.loss, config, dataset, title=f"Exercise {number} (seed {spec.seed})",
                   description=f"One training step by hand: {', '.join(spec.ask)}.")


def _key(session: Session) -> tuple:
    return tuple(session.network.flat_parameters().tolist() + session.dataset.rows.ravel().tolist())


def problem_records(session: Session) -> list[Record]:
    """The records of one per-sample step on the session's first row, on a copy (the session is unchanged)."""
    training = session.copy().make_training()
    return [record for record in Stepper(training).step("sample") if record.kind != "epoch"]


def iter_problems(spec: ExerciseSpec) -> Iterator[Problem]:
    """`spec.count` different problems drawn from `spec.seed`, one at a time (a caller can show progress)."""
    rng = np.random.default_rng(spec.seed)
    seen: set[tuple] = set()
    for number in range(1, spec.count + 1):
        for _ in range(MAX_DRAWS):
            session = _draw_session(rng, spec, number)
            if _key(session) not in seen:
                break
        else:
            raise ConfigError(f"shape {spec.shape_text} has too few different problems for a set of {spec.count}")
        seen.add(_key(session))
        records = problem_records(session)
        yield Problem(number, session, records, answers_of(records, spec.ask))


def generate(spec: ExerciseSpec) -> list[Problem]:
    """Every problem of the set."""
    return list(iter_problems(spec))
