"""Training by gradient descent: settings, the training state, and one batch at a time.

A batch is computed (forward, loss, backward, proposed new parameters) without touching the network,
then committed. The fast path commits at once; the phase stepper shows the records first. Both go
through `compute_batch` and `commit`, so their numbers are the same numbers. Per-sample training of
a small network goes through the generated kernel of `kernel.py` instead of numpy, on both paths:
`run` calls its `run` (and `step`), `compute_batch` its `trace`, which compute the same floats in
the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, asdict, field, replace
from typing import Callable

import numpy as np

from .dataset import MAX_ROWS, Dataset
from .errors import ConfigError
from .formatting import digits_apart, format_number
from .kernel import Kernel, kernel_for, optimizer_run_for
from .loss_log import FrozenLog, LossLog
from .losses import Loss, get_loss
from .metrics import Metrics, baseline_loss, compute_metrics, held_out_rows, task_of
from .network import BackwardCache, BatchBuffers, ForwardCache, Network, buffers_key, check_loss_compatible
from .optimizers import OPTIMIZER_FIELDS, Optimizer, OptimizerState, OptimizerStep

ORDERS = ("sequential", "shuffled")
#: `simultaneous` is gradient descent; `in_place` is a common mistake, kept to show how it differs.
UPDATE_RULES = ("simultaneous", "in_place")
CONVERGENCE = ("parameters", "loss")
MAX_EPOCHS = 100_000_000
#: The largest seed a settings field can show (a signed 32-bit integer); a larger one would be shown wrongly.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of a run. `batch_size` 0 means the whole dataset (full batch); `tolerance` 0 disables
    the convergence test, which compares the largest |Δparameter| over an epoch (`parameters`) or the
    change of the epoch loss (`loss`) with it. `update_rule` `in_place` is the mistaken rule, for
    demonstration only: later layers are updated before the gradient is carried back through them.
    `validation` is the fraction of rows held out of training (0: none), chosen by `validation_seed`
    (see `metrics.held_out_rows`). `optimizer` is how a batch's gradient moves the parameters (plain
    SGD, w ← w − η·∂L/∂w, by default; see `optimizers.py`)."""

    learning_rate: float = 0.001
    epochs: int = 5
    order: str = "sequential"
    batch_size: int = 1
    seed: int = 0
    tolerance: float = 0.0
    convergence: str = "parameters"
    update_rule: str = "simultaneous"
    validation: float = 0.0
    validation_seed: int = 0
    optimizer: Optimizer = Optimizer()

    def __post_init__(self) -> None:
        validate_config(self)

    def to_dict(self) -> dict:
        """The settings as the session format writes them: the optimiser only when it is not plain SGD."""
        data = asdict(self)
        del data["optimizer"]
        if self.optimizer != Optimizer():
            data["optimizer"] = self.optimizer.to_dict()
        return data

    def with_changes(self, **changes) -> "TrainingConfig":
        return replace(self, **changes)


def validate_config(config: TrainingConfig) -> None:
    """Raise a ConfigError naming the first setting that is invalid."""
    rate = config.learning_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
        raise ConfigError(f"learning rate must be a finite number greater than 0, not {rate!r}")
    for label, value, low in (("epochs", config.epochs, 1), ("batch size", config.batch_size, 0),
                              ("seed", config.seed, 0), ("validation seed", config.validation_seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{label} must be a whole number ≥ {low}, not {value!r}")
    if config.epochs > MAX_EPOCHS:
        raise ConfigError(f"epochs must be at most {MAX_EPOCHS:,}")
    for label, value in (("seed", config.seed), ("validation seed", config.validation_seed)):
        if value > MAX_SEED:
            raise ConfigError(f"{label} must be at most {MAX_SEED:,}, not {value!r}")
    fraction = config.validation
    if (isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not math.isfinite(fraction)
            or not 0 <= fraction < 1):
        raise ConfigError(f"validation fraction must be a number from 0 (none) up to but not including 1, "
                          f"not {fraction!r}")
    if config.batch_size > MAX_ROWS:   # no dataset has more rows; a larger size could not be shown as it is
        raise ConfigError(f"batch size must be at most {MAX_ROWS:,} (0 means the whole dataset), "
                          f"not {config.batch_size!r}")
    if config.order not in ORDERS:
        raise ConfigError(f"order must be one of {', '.join(ORDERS)}, not {config.order!r}")
    tol = config.tolerance
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) or tol < 0:
        raise ConfigError(f"tolerance must be a finite number ≥ 0, not {tol!r}")
    if config.convergence not in CONVERGENCE:
        raise ConfigError(f"convergence must be one of {', '.join(CONVERGENCE)}, not {config.convergence!r}")
    if config.update_rule not in UPDATE_RULES:
        raise ConfigError(f"update rule must be one of {', '.join(UPDATE_RULES)}, not {config.update_rule!r}")
    if not isinstance(config.optimizer, Optimizer):
        raise ConfigError(f"optimiser must be an Optimizer, not {config.optimizer!r}")
    if config.update_rule == "in_place" and not config.optimizer.plain:
        raise ConfigError("the in-place update rule shows a mistake of plain SGD; it needs the SGD optimiser "
                          "without momentum or weight decay")


@dataclass
class BatchResult:
    """Everything one gradient step computes, before it is applied.

    `indices: (n,)` rows of the dataset in this batch; `losses: (n,)` per-sample losses before the
    update; `new_parameters[l]` the (weights, biases) the update would give layer l; `optimizer` the
    optimiser's step behind them (None for plain SGD).
    """

    epoch: int
    start: int
    indices: np.ndarray
    forward: ForwardCache
    backward: BackwardCache
    losses: np.ndarray
    new_parameters: list[tuple[np.ndarray, np.ndarray]]
    optimizer: OptimizerStep | None = None

    def __repr__(self) -> str:
        return f"BatchResult(epoch={self.epoch + 1}, rows={(self.indices + 1).tolist()})"


@dataclass(frozen=True)
class TrainingState:
    """Everything of a `Training` that moves, at one moment (a memento, see `Training.snapshot`):
    `parameters: (parameter_count,)`, the position, both loss logs frozen (shared, not copied), the
    losses of the epoch under way, the parameters at the epoch's start, the status, and the settings
    and rows in force (an edit can change them), the per-epoch evaluation logs frozen, and the
    optimiser's state (None before its first step, and always for plain SGD)."""

    parameters: np.ndarray
    epoch: int
    position: int
    history: FrozenLog
    sample_losses: FrozenLog
    epoch_losses: tuple[float, ...]
    epoch_start: np.ndarray
    status: str
    message: str
    config: TrainingConfig
    dataset: Dataset
    X: np.ndarray
    Y: np.ndarray
    evaluations: tuple[tuple[str, FrozenLog], ...] = ()
    batches: int = 0
    optimizer_state: OptimizerState | None = None
    brought_forward: tuple[tuple[int, int, int], ...] = ()

    def __repr__(self) -> str:
        return f"TrainingState(epoch={self.epoch + 1}, position={self.position}, status={self.status!r})"


@dataclass
class Training:
    """The state of one training run over `dataset` with `network` (which it updates in place).

    `epoch` counts completed epochs; `position` is the index, in this epoch's order, of the next
    sample; `history` holds the mean loss of each completed epoch; `status` is `ready`, `running`,
    or why it stopped: `epochs`, `converged` or `diverged` (with `message`).

    With a held-out split (`config.validation`), training visits only `training_rows`; at the end of
    every epoch the held-out rows' mean loss and headline metric (accuracy, or R² for regression) are
    computed with the network's current parameters, and so is the training rows' metric when
    `record_metrics` is set (the app and the command line set it; the benchmarks do not). They are
    kept in `evaluation_logs`, one value per completed epoch (read them with `evaluation_series`).
    """

    network: Network
    dataset: Dataset
    loss: Loss | str
    config: TrainingConfig = field(default_factory=TrainingConfig)

    def __post_init__(self) -> None:
        self.loss = get_loss(self.loss) if isinstance(self.loss, str) else self.loss
        check_loss_compatible(self.network, self.loss)
        if self.loss.needs_probabilities:
            self.dataset.check_binary_targets()
        self._check_shapes()
        self.initial_state = self.network.state()
        #: Called (with no arguments) after the training moved on: a committed batch, or a stretch of the
        #: fast path. The step-back timeline listens, so it never has to be asked to look.
        self.listeners: list[Callable[[], None]] = []
        #: Whether every epoch's end also computes the training rows' metric (a forward pass over them).
        self.record_metrics = False
        #: Whether long runs are evaluated sparsely (see `evaluated_epoch`); Run to End in the app sets it:
        #: on a small dataset an evaluation costs ten times the epoch it follows.
        self.thin_evaluations = False
        self._split_key: tuple | None = None
        self.reset()

    def _check_shapes(self) -> None:
        if len(self.dataset.inputs) != self.network.n_inputs:
            raise ConfigError(f"the network has {self.network.n_inputs} inputs but the dataset has "
                              f"{len(self.dataset.inputs)} input columns")
        if len(self.dataset.targets) != self.network.n_outputs:
            raise ConfigError(f"the network has {self.network.n_outputs} outputs but the dataset has "
                              f"{len(self.dataset.targets)} target columns")

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the start: initial parameters, no history."""
        self.network.restore(self.initial_state)
        self.X = self.dataset.X
        self.Y = self.dataset.Y
        self.epoch = 0
        self.position = 0
        #: Batches committed since the start (a batch size changed mid-epoch makes it more than
        #: position // batch size would say).
        self.batches = 0
        #: The mean loss of every completed epoch, and every sample's loss before its update: 8 bytes
        #: each (a long run keeps millions), read as lists of floats or as numpy views.
        self.history = LossLog()
        self.sample_losses = LossLog()
        self.evaluation_logs = {name: LossLog() for name in EVALUATIONS}
        self._epoch_losses: list[float] = []
        self._epoch_start = self.network.flat_parameters()
        self._orders: dict[int, np.ndarray] = {}
        #: Rows the user made the next sample: (epoch, position, row), each a swap in that epoch's order.
        self.brought_forward: tuple[tuple[int, int, int], ...] = ()
        self._row_lists: tuple | None = None
        self._buffers: dict[int, BatchBuffers] = {}
        #: The optimiser's step count and state arrays (None until it first steps; never for plain SGD).
        self.optimizer_state: OptimizerState | None = None
        self.status = "ready"
        self.message = ""

    def snapshot(self) -> TrainingState:
        """The complete moving state, to come back to with `restore` (nothing is copied twice: the loss
        logs are frozen, the arrays it holds are never modified)."""
        return TrainingState(self.network.flat_parameters(), self.epoch, self.position, self.history.freeze(),
                             self.sample_losses.freeze(), tuple(self._epoch_losses), self._epoch_start,
                             self.status, self.message, self.config, self.dataset, self.X, self.Y,
                             tuple((name, log.freeze()) for name, log in self.evaluation_logs.items()),
                             self.batches, self.optimizer_state, self.brought_forward)

    def restore(self, state: TrainingState) -> None:
        """Put the training back exactly as it was when `state` was taken."""
        self.network.set_flat_parameters(state.parameters)
        self.epoch, self.position, self.batches = state.epoch, state.position, state.batches
        self.optimizer_state = state.optimizer_state
        self.brought_forward = state.brought_forward
        self.history.restore(state.history)
        self.sample_losses.restore(state.sample_losses)
        self._epoch_losses = list(state.epoch_losses)
        self._epoch_start = state.epoch_start
        self.status, self.message = state.status, state.message
        self._orders = {}   # orders made for other settings
        self.config, self.dataset, self.X, self.Y = state.config, state.dataset, state.X, state.Y
        for name, frozen in state.evaluations:
            self.evaluation_logs[name].restore(frozen)

    def data_changed(self) -> None:
        """Re-read the dataset's rows (after a cell edit); keeps the position."""
        self.X = self.dataset.X
        self.Y = self.dataset.Y

    def set_config(self, config: TrainingConfig) -> None:
        """New settings, in force from the next sample (the rest of an epoch under way follows the new
        order). A new held-out split starts training again: the epochs so far were trained on other rows.
        A stop the new settings undo is undone: more epochs after the last, another tolerance or
        criterion after converging, another learning rate or optimiser after diverging. The optimiser's
        state is kept while its name stays (a hyper-parameter changes as in PyTorch's parameter groups);
        another optimiser starts from a fresh state."""
        old = self.config
        split_changed = split_of(config) != split_of(old)
        self.config = config
        self._orders = {}       # orders made for the old settings
        if split_changed:
            self.reset()
            return
        going_on = "ready" if self.at_start else "running"
        if (self.status == "epochs" and self.epoch < config.epochs
                or self.status == "converged" and (config.tolerance, config.convergence) != (old.tolerance, old.convergence)
                or self.status == "diverged" and (config.learning_rate, config.optimizer)
                != (old.learning_rate, old.optimizer)):
            self.status, self.message = going_on, ""
        if self.status in ("ready", "running") and self.epoch >= config.epochs:
            self.status = "epochs"
            self.message = f"Finished {self.epoch} epoch{'s' if self.epoch != 1 else ''}."

    @property
    def at_start(self) -> bool:
        return self.epoch == 0 and self.position == 0

    @property
    def finished(self) -> bool:
        return self.status in ("epochs", "converged", "diverged")

    @property
    def n_samples(self) -> int:
        """The rows an epoch visits: every row, or the training rows of a held-out split."""
        return len(self._split()[0])

    def _split(self) -> tuple[np.ndarray, np.ndarray]:
        """(training rows, held-out rows), both increasing; made again when the rows or the split change."""
        key = (self.X.shape[0], self.config.validation, self.config.validation_seed)
        if key != self._split_key:
            held_out = held_out_rows(*key)
            kept = np.ones(key[0], dtype=bool)
            kept[held_out] = False
            self._split_rows = (np.flatnonzero(kept), held_out)
            self._split_key = key
        return self._split_rows

    @property
    def training_rows(self) -> np.ndarray:
        """The rows training visits, increasing: `(n_samples,)`."""
        return self._split()[0]

    @property
    def held_out_rows(self) -> np.ndarray:
        """The rows held out of training, increasing (empty without a split)."""
        return self._split()[1]

    @property
    def task(self) -> str:
        """`regression`, `binary` or `multiclass` (see `metrics.task_of`)."""
        return task_of(self.loss, self.network.layers[-1].activation)

    # -- how right the model is ------------------------------------------------------------------
    def predictions(self) -> tuple[np.ndarray, np.ndarray]:
        """ŷ of every dataset row with the current parameters, `(n, n_outputs)`, and each row's loss, `(n,)`."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            y_hat = self.network.predict(self.X)
            return y_hat, self.loss.value(self.Y, y_hat)

    def evaluate(self, rows: np.ndarray) -> tuple[float, Metrics]:
        """The mean loss and the metrics of dataset rows `rows` with the current parameters."""
        targets = self.Y[rows]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            y_hat = self.network.predict(self.X[rows])
            losses = self.loss.value(targets, y_hat)
        return epoch_mean(losses.tolist()), compute_metrics(self.task, targets, y_hat)

    def baseline(self) -> float:
        """The mean loss over the training rows of always predicting their mean (or class frequencies)."""
        return baseline_loss(self.loss, self.Y[self.training_rows])

    def evaluation_series(self, name: str) -> np.ndarray:
        """One of `EVALUATIONS` per completed epoch, `(epochs,)` (NaN for an epoch that was not evaluated)."""
        log = self.evaluation_logs[name]
        values = log.values[:len(self.history)]
        if len(values) < len(self.history):
            values = np.concatenate([values, np.full(len(self.history) - len(values), np.nan)])
        return values

    def _evaluation_due(self) -> bool:
        """Whether the epoch ending now is evaluated: something asks for evaluations and, when they are
        thinned, the epoch is one `evaluated_epoch` keeps (an epoch not evaluated has NaN in the logs)."""
        if not (self.record_metrics or self.held_out_rows.size > 0):
            return False
        return not self.thin_evaluations or evaluated_epoch(self.epoch + 1)

    def _record_evaluation(self) -> None:
        """Append the finished epoch's evaluations (the network holds its final parameters)."""
        epochs = len(self.history)
        for log in self.evaluation_logs.values():
            # A step back cuts the epoch history, not these: they are cut to it here.
            log.truncate(epochs - 1)
            if len(log) < epochs - 1:
                log.extend(np.full(epochs - 1 - len(log), np.nan))
        logs = self.evaluation_logs
        logs["training_score"].append(self.evaluate(self.training_rows)[1].headline
                                      if self.record_metrics else math.nan)
        held_out = self.held_out_rows
        if held_out.size:
            loss, metrics = self.evaluate(held_out)
            logs["held_out_loss"].append(loss)
            logs["held_out_score"].append(metrics.headline)
        else:
            logs["held_out_loss"].append(math.nan)
            logs["held_out_score"].append(math.nan)

    @property
    def batch_size(self) -> int:
        size = self.config.batch_size
        return self.n_samples if size == 0 else min(size, self.n_samples)

    def order(self, epoch: int) -> np.ndarray:
        """Row indices in the order epoch `epoch` (0-based) visits them; shuffles depend on (seed, epoch)."""
        order = self._orders.get(epoch)
        if order is None:
            rows, held_out = self._split()
            if self.config.order == "shuffled":
                order = np.random.default_rng([self.config.seed, epoch]).permutation(len(rows))
                if held_out.size:
                    order = rows[order]
            else:
                order = rows.copy()
            for swapped_epoch, position, row in self.brought_forward:
                if swapped_epoch == epoch:
                    place = int(np.flatnonzero(order == row)[0])
                    order[position], order[place] = order[place], order[position]
            # Keep the few most recently made: an older epoch (a step back) is simply shuffled again.
            if len(self._orders) >= 4:
                self._orders.pop(next(iter(self._orders)))
            self._orders[epoch] = order
        return order

    def bring_forward(self, row: int) -> bool:
        """Make dataset row `row` (0-based) the next sample: it swaps places, in this epoch's order,
        with the sample that was next (so the epoch still visits every row once). False when it is
        next already; ConfigError, changing nothing, when it cannot be: training has stopped, the row
        is held out, or it has had its turn this epoch."""
        if self.finished:
            raise ConfigError(f"training has stopped ({self.status}); reset (Ctrl+R) to train again")
        if not 0 <= row < self.X.shape[0]:
            raise ConfigError(f"there is no row {row + 1}; the data has {self.X.shape[0]:,} rows")
        if row in set(self.held_out_rows.tolist()):
            raise ConfigError(f"row {row + 1} is held out of training (the held-out split): it is never a "
                              "training sample")
        order = self.order(self.epoch)
        place = int(np.flatnonzero(order == row)[0])
        if place < self.position:
            raise ConfigError(f"row {row + 1} has had its turn in epoch {self.epoch + 1}; it comes again in "
                              f"epoch {self.epoch + 2}")
        if place == self.position:
            return False
        self.brought_forward += ((self.epoch, self.position, row),)
        self._orders.pop(self.epoch, None)
        return True

    def current_batch(self) -> np.ndarray:
        """Row indices of the next batch: (batch_size,) or fewer at the end of an epoch."""
        return self.order(self.epoch)[self.position:self.position + self.batch_size]

    # -- one step ------------------------------------------------------------------------------
    def kernel(self) -> Kernel | None:
        """The per-sample kernel both paths use for this network and these settings, if any (another
        optimiser than plain SGD takes the kernel's gradients and applies its own step)."""
        if self.batch_size != 1 or self.config.update_rule != "simultaneous":
            return None
        layers = self.network.layers
        return kernel_for([layers[0].n_in] + [layer.n_out for layer in layers],
                          [layer.activation for layer in layers], self.loss.name)

    def _rows(self) -> tuple[list, list]:
        """The dataset's inputs and targets as lists of floats, kept until the rows change."""
        if self._row_lists is None or self._row_lists[0] is not self.X or self._row_lists[1] is not self.Y:
            self._row_lists = (self.X, self.Y, self.X.tolist(), self.Y.tolist())
        return self._row_lists[2], self._row_lists[3]

    def _kernel_batch(self, kernel: Kernel, indices: np.ndarray) -> BatchResult:
        """The next sample's step through the kernel's `trace`, as numpy arrays for the stepper."""
        X, Y = self._rows()
        row = int(indices[0])
        parameters = self.network.flat_parameters()
        trace = kernel.trace(parameters.tolist(), X[row], Y[row], self.config.learning_rate)

        def rows(values: list[list[float]]) -> list[np.ndarray]:
            return [np.array([layer_values]) for layer_values in values]

        out = rows(trace["out"])
        forward = ForwardCache([self.X[indices]] + out[:-1], rows(trace["z"]), out)
        grads = split_flat(self.network, trace["grads"])
        backward = BackwardCache(rows(trace["d_out"]), rows(trace["act_grad"]), rows(trace["delta"]),
                                 [weights for weights, _ in grads], [biases for _, biases in grads],
                                 [layer.weights for layer in self.network.layers])
        step = None
        if self.config.optimizer.plain:
            new = split_flat(self.network, trace["new"])
        else:
            step = self.config.optimizer.step(parameters, np.array(trace["grads"]),
                                              self.optimizer_state, self.config.learning_rate)
            new = split_flat(self.network, step.new)
        return BatchResult(self.epoch, self.position, indices, forward, backward,
                           np.array([trace["loss"]]), new, step)

    def compute_batch(self) -> BatchResult:
        """Forward, loss, backward and the proposed update of the next batch; changes nothing."""
        if self.finished:
            raise ConfigError(f"training has stopped ({self.status}); reset to train again")
        indices = self.current_batch()
        kernel = self.kernel()
        if kernel is not None:
            return self._kernel_batch(kernel, indices)
        # New buffers: nothing in the result is overwritten later, so it can be kept (by the stepper).
        return self._network_batch(indices, BatchBuffers(self.network, len(indices)))

    def _buffered_batch(self) -> BatchResult:
        """`compute_batch` for the fast path, written into reused buffers: the same numbers, bit for bit.

        Every array of the result except `losses` is overwritten by the next call, so the result must
        be committed (or dropped) before then and never kept: `compute_batch` gives results to keep.
        """
        indices = self.current_batch()
        buffers = self._buffers.get(len(indices))
        if buffers is None or buffers.key != buffers_key(self.network, len(indices)):
            if len(self._buffers) >= 2:     # the batch size and a shorter last batch
                self._buffers.clear()
            buffers = self._buffers[len(indices)] = BatchBuffers(self.network, len(indices))
        return self._network_batch(indices, buffers)

    def _network_batch(self, indices: np.ndarray, buffers: BatchBuffers) -> BatchResult:
        """Forward, loss, backward and the proposed update of the rows `indices`, written into `buffers`."""
        network = self.network
        inputs = np.take(self.X, indices, axis=0, out=buffers.inputs)
        targets = np.take(self.Y, indices, axis=0, out=buffers.targets)
        forward = network.forward(inputs, buffers)
        rate = self.config.learning_rate
        in_place = rate if self.config.update_rule == "in_place" else None
        backward = network.backward(forward, targets, self.loss, in_place, buffers)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            losses = self.loss.value(targets, forward.prediction)
        if not self.config.optimizer.plain:
            step = self.config.optimizer.step(network.flat_parameters(), flat_gradients(backward),
                                              self.optimizer_state, rate)
            return BatchResult(self.epoch, self.position, indices, forward, backward, losses,
                               split_flat(network, step.new), step)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            new_parameters = []
            for index, layer in enumerate(network.layers):
                weights, biases = buffers.new_weights[index], buffers.new_biases[index]
                np.subtract(layer.weights, np.multiply(rate, backward.grad_weights[index],
                                                       out=buffers.weight_steps[index]), out=weights)
                np.subtract(layer.biases, np.multiply(rate, backward.grad_biases[index],
                                                      out=buffers.bias_steps[index]), out=biases)
                new_parameters.append((weights, biases))
        return BatchResult(self.epoch, self.position, indices, forward, backward, losses, new_parameters)

    def commit(self, result: BatchResult) -> None:
        """Apply a computed batch: move every parameter at once, record losses, handle the epoch's end.

        A non-finite loss or parameter stops training with status `diverged`; the parameters keep
        their values from before this step (the last finite state). The listeners are told.
        """
        self._apply(result)
        self._moved()

    def _moved(self) -> None:
        for listener in self.listeners:
            listener()

    def _apply(self, result: BatchResult) -> None:
        """`commit` without telling the listeners (the fast path tells them once per call)."""
        if (result.epoch, result.start) != (self.epoch, self.position):
            raise ConfigError("this step was computed for another position; compute it again")
        problem = self._non_finite(result)
        if problem:
            row = int(result.indices[0]) + 1
            where = (f"sample {self.position + 1} (row {row})" if len(result.indices) == 1 else
                     f"the batch starting at sample {self.position + 1} (row {row})")
            self.status = "diverged"
            self.message = (f"Training diverged in epoch {self.epoch + 1} at {where}: {problem}. "
                            "The parameters are restored to their last finite values; "
                            "try a smaller learning rate.")
            return
        for layer, (weights, biases) in zip(self.network.layers, result.new_parameters):
            layer.weights[...] = weights
            layer.biases[...] = biases
        if result.optimizer is not None:
            self.optimizer_state = result.optimizer.state
        losses = result.losses.tolist()
        self._epoch_losses.extend(losses)
        # A large batch's losses go to the log as one array copy, a sample's as a list append.
        self.sample_losses.extend(result.losses if len(losses) > 64 else losses)
        self.position += len(result.indices)
        self.batches += 1
        self.status = "running"
        if self.position >= self.n_samples:
            self._end_epoch()

    def _non_finite(self, result: BatchResult) -> str:
        """What went non-finite in a computed step, naming the first parameter affected; '' if nothing."""
        if np.isfinite(result.losses).all() and all(np.isfinite(weights).all() and np.isfinite(biases).all()
                                                    for weights, biases in result.new_parameters):
            return ""
        bad_losses = result.losses[~np.isfinite(result.losses)]
        loss_text = f"the loss became {format_number(bad_losses[0])}" if bad_losses.size else ""
        # In the order backpropagation reaches them, last layer first, as the updates are listed.
        for ref in sorted(self.network.parameters(), key=lambda ref: -ref.layer):
            weights, biases = result.new_parameters[ref.layer - 1]
            value = biases[ref.target - 1] if ref.is_bias else weights[ref.source - 1, ref.target - 1]
            if not np.isfinite(value):
                return f"{ref.name} would become {format_number(value)}" + (f" ({loss_text})" if loss_text else "")
        return loss_text

    def _end_epoch(self, parameters: np.ndarray | None = None, evaluate: bool | None = None) -> None:
        """Close the epoch; `parameters` are the network's flat parameters when the caller has them, and
        `evaluate` whether it asked `_evaluation_due` already."""
        mean_loss = epoch_mean(self._epoch_losses)
        self.history.append(mean_loss)
        if self._evaluation_due() if evaluate is None else evaluate:
            self._record_evaluation()
        self._epoch_losses = []
        self.epoch += 1
        self.position = 0
        self._orders.pop(self.epoch - 1, None)
        if parameters is None:
            parameters = self.network.flat_parameters()
        epoch_start, self._epoch_start = self._epoch_start, parameters
        tolerance = self.config.tolerance
        if tolerance > 0:
            # Only the convergence test needs the change; a tiny dataset ends an epoch every few steps.
            change = float(np.abs(parameters - epoch_start).max())
            if self.config.convergence == "parameters" and change < tolerance:
                self.status = "converged"
                shown, limit = _told_apart(change, tolerance)
                self.message = (f"Converged after epoch {self.epoch}: the largest parameter change over the epoch, "
                                f"{shown}, is below the tolerance {limit}.")
                return
            loss_change = abs(self.history[-1] - self.history[-2]) if len(self.history) >= 2 else math.inf
            if self.config.convergence == "loss" and loss_change < tolerance:
                self.status = "converged"
                shown, limit = _told_apart(loss_change, tolerance)
                self.message = (f"Converged after epoch {self.epoch}: the epoch loss changed by {shown}, below the "
                                f"tolerance {limit}.")
                return
        if self.epoch >= self.config.epochs:
            self.status = "epochs"
            self.message = f"Finished {self.epoch} epoch{'s' if self.epoch != 1 else ''}."

    def step(self) -> BatchResult:
        """One gradient step on the next batch, applied at once."""
        result = self.compute_batch()
        self.commit(result)
        return result

    def run(self, max_steps: int | None = None) -> str:
        """Fast path: step until training stops or `max_steps` steps are done; returns the status."""
        kernel = None if self.finished else self.kernel()
        if kernel is not None and self.config.optimizer.plain:
            return self._run_kernel(kernel, max_steps)
        if kernel is not None:
            optimizer, rate = self.config.optimizer, self.config.learning_rate
            count, lines, rule = optimizer.update_lines(rate, 1)
            update = optimizer_run_for(kernel, (count, *lines, rule), optimizer.rule.state, OPTIMIZER_FIELDS[1:])
            if update is not None:
                return self._run_kernel(kernel, max_steps, update)
        steps = 0
        while not self.finished and (max_steps is None or steps < max_steps):
            # No result escapes: the buffers can be reused. Per sample, another optimiser than plain
            # SGD steps on the kernel's gradients, as the stepper does.
            self._apply(self._buffered_batch() if kernel is None else self._kernel_batch(kernel, self.current_batch()))
            steps += 1
        self._moved()
        return self.status

    def _run_kernel(self, kernel: Kernel, max_steps: int | None, update: tuple | None = None) -> str:
        """`run` for per-sample training of a small network: the kernel's `run`, no records; with
        `update` (see `kernel.optimizer_run_for`) the optimiser's generated run instead, its state kept
        in lists of floats while the loop runs and made an `OptimizerState` again when it stops.

        Parameters live in a flat list while the loop runs and go back to the network whenever it
        stops. The kernel runs the rest of an epoch (or of the budget) at a time, and what it gives is
        checked once: a non-finite value stays non-finite (inf − x is inf or NaN, NaN stays NaN), so
        all parameters and losses finite at the end means every step was finite. Otherwise those
        samples are done again one `step` at a time, up to the first step whose loss or parameters
        are not all finite; that step is not taken: the network gets the last finite values and
        `commit` of that step, recomputed by `compute_batch`, reports it. With an optimiser, such a
        stretch (or one whose floats raised an error that numpy would have let through) is done
        again by the general per-sample path, `compute_batch` and `commit`.
        """
        X, Y = self._rows()
        parameters = self.network.flat_parameters().tolist()
        rate, step = self.config.learning_rate, kernel.step
        budget = math.inf if max_steps is None else max_steps
        diverged = False
        if update is not None:
            state, t = self._optimizer_floats(update[1])
            started_at = t
            hyper = {name: getattr(self.config.optimizer, name) for name in OPTIMIZER_FIELDS[1:]}
        while not self.finished and budget > 0:
            # A range indexes like the list of a sequential order, without building one every epoch.
            order = (range(self.n_samples) if self.config.order == "sequential" and not self.held_out_rows.size
                     and not any(swap[0] == self.epoch for swap in self.brought_forward)
                     else self.order(self.epoch).tolist())
            start = self.position
            end = min(len(order), start + budget)
            losses = self._epoch_losses
            mark = len(losses)
            if update is not None:
                try:
                    moved = update[0](parameters, state, t, X, Y, order, start, end, rate, losses, hyper)
                except (ArithmeticError, ValueError):
                    moved = None
                if moved is not None and _all_finite(moved[0]) and _all_finite(losses[mark:]):
                    parameters, state, t = moved
                else:
                    del losses[mark:]
                    self.network.set_flat_parameters(np.array(parameters))
                    self._keep_optimizer_floats(update[1], state, t, started_at)
                    for _ in range(end - start):
                        self._apply(self.compute_batch())
                        budget -= 1
                        if self.finished:
                            break
                    parameters = self.network.flat_parameters().tolist()
                    state, t = self._optimizer_floats(update[1])
                    started_at = t
                    continue
            elif _all_finite(new := kernel.run(parameters, X, Y, order, start, end, rate, losses)) \
                    and _all_finite(losses[mark:]):
                parameters = new
            else:
                del losses[mark:]
                for position in range(start, end):
                    row = order[position]
                    new, loss = step(parameters, X[row], Y[row], rate)
                    if not (math.isfinite(loss) and _all_finite(new)):
                        end, diverged = position, True
                        break
                    parameters = new
                    losses.append(loss)
            self.sample_losses.extend(losses[mark:])
            budget -= end - start
            if end > start:
                self.position, self.status = end, "running"
                self.batches += end - start     # a sample a batch
            if diverged:
                break
            if self.position >= self.n_samples:
                ends = np.array(parameters)
                evaluate = self._evaluation_due()
                if evaluate:   # the evaluation reads the network
                    self.network.set_flat_parameters(ends)
                self._end_epoch(ends, evaluate)
        self.network.set_flat_parameters(np.array(parameters))
        if update is not None:
            self._keep_optimizer_floats(update[1], state, t, started_at)
        if diverged:
            self._apply(self.compute_batch())
        self._moved()
        return self.status

    def _optimizer_floats(self, kept: tuple[str, ...]) -> tuple[list[list[float]], int]:
        """The optimiser's state as the generated run takes it: a list of floats per kept array, and t."""
        state = self.optimizer_state
        if state is None or state.name != self.config.optimizer.name:
            state = self.config.optimizer.fresh_state()
        size = self.network.parameter_count()
        return [state.get(key, size).tolist() for key in kept], state.t

    def _keep_optimizer_floats(self, kept: tuple[str, ...], state: list[list[float]], t: int, started_at: int) -> None:
        """Make the generated run's state the training's `OptimizerState`, if it took a step."""
        if t != started_at:
            self.optimizer_state = OptimizerState(self.config.optimizer.name, t,
                                                  tuple((key, np.array(values)) for key, values in zip(kept, state)))

    def summary(self) -> dict:
        """Loss history, final parameters and why training stopped, as plain JSON-ready values."""
        return {
            "loss_per_epoch": self.history.tolist(),
            "layers": [{"weights": layer.weights.tolist(), "biases": layer.biases.tolist()}
                       for layer in self.network.layers],
            "stopped": self.status if self.finished else "running",
            "message": self.message,
            "epochs_run": self.epoch,
        }


def evaluated_epoch(epoch: int) -> bool:
    """Whether thinned evaluations keep epoch `epoch` (1-based): every epoch up to 1,000, then every
    10th up to 10,000, every 100th up to 100,000, …: about a thousand points a decade, the same
    epochs in every run, so a long run's curves keep their shape at a small cost."""
    stride = 1
    while epoch > 1000 * stride:
        stride *= 10
    return epoch % stride == 0


def split_of(config: TrainingConfig) -> tuple[float, int]:
    """The settings that decide which rows are held out."""
    return config.validation, config.validation_seed


#: The per-epoch evaluation logs of a `Training`.
EVALUATIONS = ("training_score", "held_out_loss", "held_out_score")


def _all_finite(values: list[float]) -> bool:
    # sum() is finite when every term is, and only rarely overflows when they all are.
    return math.isfinite(sum(values)) or all(map(math.isfinite, values))


def flat_gradients(backward: BackwardCache) -> np.ndarray:
    """A batch's gradients laid out as `Network.flat_parameters` lays out the parameters: (parameter_count,)."""
    return np.concatenate([np.vstack([weights, biases[None, :]]).T.ravel()
                           for weights, biases in zip(backward.grad_weights, backward.grad_biases)])


def split_flat(network: Network, values: list[float]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Flat values in `parameters()` order as per-layer (weights: (n_in, n_out), biases: (n_out,))."""
    parts, offset = [], 0
    for layer in network.layers:
        size = (layer.n_in + 1) * layer.n_out
        block = np.array(values[offset:offset + size]).reshape(layer.n_out, layer.n_in + 1).T
        parts.append((np.ascontiguousarray(block[:-1]), block[-1].copy()))
        offset += size
    return parts


def _told_apart(change: float, tolerance: float) -> tuple[str, str]:
    """A change and the tolerance it is below, with digits enough to tell them apart: 0.0099999 and 0.01."""
    digits = digits_apart(change, tolerance)
    return format_number(change, digits), format_number(tolerance, digits)


def epoch_mean(losses: list[float]) -> float:
    """The mean of an epoch's sample losses, from their correctly rounded sum."""
    try:
        return math.fsum(losses) / len(losses)
    except OverflowError:   # the sum overflows though every loss is finite
        return float(np.mean(losses))


@dataclass(frozen=True)
class Progress:
    """How far a training got, as a session file keeps it so that training continues where it stopped:
    `epoch` completed epochs, `position` samples into the next (in its shuffled order, if shuffled),
    `batches` committed, every epoch's mean loss `(epoch,)` and every sample's loss, the parameters
    training started from `(parameter_count,)` (where Reset goes back to) and the optimiser's state
    (None for plain SGD)."""

    epoch: int
    position: int
    batches: int
    loss_per_epoch: tuple[float, ...]
    sample_losses: tuple[float, ...]
    start_parameters: np.ndarray
    optimizer_state: OptimizerState | None = None
    #: Rows the user made the next sample in the epoch under way: (position, row), each a swap in its order.
    brought_forward: tuple[tuple[int, int], ...] = ()

    def __repr__(self) -> str:
        return f"Progress(epoch={self.epoch}, position={self.position}, batches={self.batches})"

    def to_dict(self) -> dict:
        data = {"epoch": self.epoch, "position": self.position, "batches": self.batches,
                "loss_per_epoch": list(self.loss_per_epoch), "sample_losses": list(self.sample_losses),
                "start_parameters": self.start_parameters.tolist()}
        if self.optimizer_state is not None:
            data["optimizer_state"] = self.optimizer_state.to_dict()
        if self.brought_forward:
            data["brought_forward"] = [list(swap) for swap in self.brought_forward]
        return data


def progress_of(training: Training) -> Progress | None:
    """The progress of `training` to save, or None at the start (nothing to continue)."""
    if training.at_start and training.optimizer_state is None:
        return None
    start = np.concatenate([np.vstack([weights, biases[None, :]]).T.ravel() for weights, biases in training.initial_state])
    swaps = tuple((position, row) for epoch, position, row in training.brought_forward if epoch == training.epoch)
    return Progress(training.epoch, training.position, training.batches, tuple(training.history.tolist()),
                    tuple(training.sample_losses.tolist()), start, training.optimizer_state, swaps)


def resume(training: Training, progress: Progress) -> None:
    """Put a fresh `training` where `progress` says it got (its network holds the parameters reached;
    Reset goes back to the progress's starting parameters); ConfigError, naming the field, if the
    progress does not fit this training."""
    if not training.at_start:
        raise ConfigError("progress: training has already moved")
    network = training.network
    if progress.start_parameters.shape != (network.parameter_count(),):
        raise ConfigError(f"progress.start_parameters: expected {network.parameter_count()} numbers, one per parameter")
    rows, epochs = training.n_samples, len(progress.loss_per_epoch)
    if not 0 <= progress.position < rows:
        raise ConfigError(f"progress.position: expected a sample position from 0 to {rows - 1}, "
                          f"not {progress.position}")
    if epochs != progress.epoch:
        raise ConfigError(f"progress.loss_per_epoch: expected {progress.epoch} values, one per completed "
                          f"epoch, not {epochs}")
    if progress.epoch > training.config.epochs:
        raise ConfigError(f"progress.epoch: {progress.epoch} epochs are more than the {training.config.epochs} "
                          "the training settings ask for")
    if len(progress.sample_losses) < progress.position:
        raise ConfigError(f"progress.sample_losses: expected at least the {progress.position} losses of "
                          "the epoch under way")
    if progress.batches < progress.epoch + (progress.position > 0):
        raise ConfigError(f"progress.batches: {progress.batches} batches cannot make {progress.epoch} "
                          f"epochs and {progress.position} samples")
    training.epoch, training.position, training.batches = progress.epoch, progress.position, progress.batches
    training.history.extend(progress.loss_per_epoch)
    training.sample_losses.extend(progress.sample_losses)
    training._epoch_losses = list(progress.sample_losses[len(progress.sample_losses) - progress.position:])
    training.optimizer_state = progress.optimizer_state
    trained_rows = set(training.training_rows.tolist())
    for position, row in progress.brought_forward:
        if not (0 <= position < progress.position and row in trained_rows):
            raise ConfigError(f"progress.brought_forward: [{position}, {row}] is not a sample position before "
                              f"{progress.position} and a row training visits")
    training.brought_forward = tuple((progress.epoch, position, row) for position, row in progress.brought_forward)
    training._orders = {}
    reached = network.flat_parameters()
    network.set_flat_parameters(progress.start_parameters)
    training.initial_state = network.state()
    network.set_flat_parameters(reached)
    if not training.at_start:
        training.status = "running"
    if training.epoch >= training.config.epochs:
        training.status = "epochs"
        training.message = f"Finished {training.epoch} epoch{'s' if training.epoch != 1 else ''}."
