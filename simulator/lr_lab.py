"""The learning-rate lab: train copies of one network from the same starting point with several rates.

Each run copies the session (so it starts from the network's current parameters, the same data,
order and batch size), sets the learning rate and the number of epochs, and trains with the ordinary
`Training`. Given optimisers, every rate is run with each of them (the session's optimiser otherwise),
so optimisers can be compared at one rate. `LearningRateLab.advance` does a bounded amount of work, so a window can drive it from a
timer; `compare_learning_rates` runs everything at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import ConfigError
from .numbers import NOT_A_NUMBER, NumberError, parse_number
from .optimizers import Optimizer
from .session import Session
from .training import Training

#: Longest run the lab trains per learning rate.
MAX_LAB_EPOCHS = 100_000
MAX_RATES = 12


def parse_rates(text: str) -> list[float]:
    """Learning rates from text such as `0.0001, 0.001, 0.01`; ConfigError naming the bad entry."""
    parts = [part for part in re.split(r"[,;\s]+", str(text).strip()) if part]
    if not parts:
        raise ConfigError("learning rates: enter one or more numbers separated by commas, e.g. 0.001, 0.01, 0.1")
    if len(parts) > MAX_RATES:
        raise ConfigError(f"learning rates: at most {MAX_RATES} at a time, not {len(parts)}")
    rates = []
    for part in parts:
        try:
            rate = parse_number(part)
        except NumberError as error:
            if error.reason == NOT_A_NUMBER:
                raise ConfigError(f"learning rates: {part!r} is not a number") from None
            raise ConfigError(f"learning rates: {part} must be a finite number greater than 0") from None
        if rate <= 0:
            raise ConfigError(f"learning rates: {part} must be a finite number greater than 0")
        if rate in rates:
            raise ConfigError(f"learning rates: {part} is listed twice")
        rates.append(rate)
    return rates


def check_epochs(epochs: int) -> int:
    """The epochs per run, refused beyond MAX_LAB_EPOCHS with a message."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ConfigError(f"epochs must be a whole number ≥ 1, not {epochs!r}")
    if epochs > MAX_LAB_EPOCHS:
        raise ConfigError(f"the learning-rate lab trains at most {MAX_LAB_EPOCHS:,} epochs per rate; "
                          f"{epochs:,} would take too long")
    return epochs


@dataclass
class RunResult:
    """One learning rate's run: the mean loss per epoch and how it stopped (`epochs`, `converged`,
    `diverged` or `cancelled`); `diverged_epoch` is the 1-based epoch in which it diverged."""

    rate: float
    history: list[float]
    status: str
    message: str
    diverged_epoch: int | None = None
    #: The optimiser of this run, when the lab compares optimisers (None: the session's).
    optimizer: Optimizer | None = None

    @property
    def label(self) -> str:
        """`η = 0.01`, or `η = 0.01, Adam (β₁ 0.9, …)` when optimisers are compared."""
        return f"η = {self.rate:g}" + ("" if self.optimizer is None else f", {self.optimizer.describe()}")

    @property
    def final_loss(self) -> float | None:
        return self.history[-1] if self.history else None

    def __repr__(self) -> str:
        return f"RunResult(rate={self.rate:g}, epochs={len(self.history)}, status={self.status})"


class LearningRateLab:
    """Trains one copy of `session` per rate, one after another, a bounded number of steps at a time."""

    def __init__(self, session: Session, rates: list[float], epochs: int,
                 optimizers: list[Optimizer] | None = None):
        self.epochs = check_epochs(epochs)
        if not rates:
            raise ConfigError("give at least one learning rate")
        #: One run per (rate, optimiser): every optimiser at a rate, then the next rate.
        self.runs: list[tuple[float, Optimizer | None]] = [(rate, optimizer) for rate in rates
                                                           for optimizer in (optimizers or [None])]
        if len(self.runs) > MAX_RATES:
            raise ConfigError(f"learning rates: {len(rates)} rates × {len(optimizers)} optimisers make "
                              f"{len(self.runs)} runs; the lab compares at most {MAX_RATES} at a time")
        if optimizers and session.training.update_rule == "in_place":
            raise ConfigError("the in-place update rule is plain SGD's mistake: set the update rule to "
                              "Simultaneous to compare optimisers")
        self.rates = [rate for rate, _optimizer in self.runs]
        self.optimizers = [optimizer for _rate, optimizer in self.runs]
        self._session = session.copy()
        self.results: list[RunResult] = []
        self._training: Training | None = None
        self._steps_per_epoch = 0
        self.cancelled = False

    @property
    def done(self) -> bool:
        return self.cancelled or len(self.results) == len(self.rates)

    @property
    def current(self) -> Training | None:
        """The run under way, or None between runs."""
        return self._training

    @property
    def progress(self) -> float:
        """Fraction of all the work done, 0 to 1."""
        if not self.rates:
            return 1.0
        part = 0.0
        if self._training is not None:
            part = min(self._training.epoch / self.epochs, 1.0)
        return min((len(self.results) + part) / len(self.rates), 1.0)

    def _start(self) -> Training:
        rate, optimizer = self.runs[len(self.results)]
        session = self._session.copy()
        changes = {} if optimizer is None else {"optimizer": optimizer}
        session.training = session.training.with_changes(learning_rate=rate, epochs=self.epochs, **changes)
        training = session.make_training()
        self._steps_per_epoch = math.ceil(training.n_samples / training.batch_size)
        return training

    def advance(self, max_steps: int = 1000) -> bool:
        """Train at most `max_steps` gradient steps (possibly across runs); True when everything is done."""
        budget = max_steps
        while budget > 0 and not self.done:
            if self._training is None:
                self._training = self._start()
            training = self._training
            epoch_before, position_before = training.epoch, training.position
            training.run(max_steps=budget)
            budget -= max(1, (training.epoch - epoch_before) * self._steps_per_epoch
                          + (training.position - position_before) // training.batch_size)
            if training.finished:
                self._finish(training)
        return self.done

    def _finish(self, training: Training, status: str | None = None) -> None:
        status = status or training.status
        diverged = training.epoch + 1 if status == "diverged" else None
        message = training.message if status != "cancelled" else f"Cancelled after {training.epoch} epochs."
        self.results.append(RunResult(training.config.learning_rate, list(training.history), status, message,
                                      diverged, self.optimizers[len(self.results)]))
        self._training = None

    def cancel(self) -> None:
        """Stop: the run under way is kept as `cancelled` with the epochs it finished."""
        if self._training is not None:
            self._finish(self._training, "cancelled")
        self.cancelled = True


def compare_learning_rates(session: Session, rates: list[float], epochs: int,
                           optimizers: list[Optimizer] | None = None) -> list[RunResult]:
    """Train a copy of `session` for `epochs` epochs with each rate (and each optimiser, if given),
    from its current parameters."""
    lab = LearningRateLab(session, rates, epochs, optimizers)
    while not lab.advance(10_000):
        pass
    return lab.results
