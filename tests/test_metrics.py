"""Metrics, the held-out split and the loss baseline, against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import make_training
from simulator.dataset import Dataset
from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.losses import get_loss
from simulator.metrics import baseline_loss, compute_metrics, held_out_rows, task_of
from simulator.network import Network
from simulator.session import from_dict, loads
from simulator.training import Training, TrainingConfig


def test_regression_metrics_of_four_rows_worked_by_hand():
    # residuals −0.5, 0, 1, −1: SSE 2.25; the targets' mean 2.5 gives SST 2.25 + 0.25 + 0.25 + 2.25 = 5
    metrics = compute_metrics("regression", [[1.0], [2.0], [3.0], [4.0]], [[1.5], [2.0], [2.0], [5.0]])
    assert metrics.rmse == 0.75            # √(2.25 / 4)
    assert metrics.mae == 0.625            # (0.5 + 0 + 1 + 1) / 4
    assert metrics.r2 == pytest.approx(0.55, abs=1e-15)   # 1 − 2.25 / 5
    assert metrics.accuracy is None and metrics.confusion is None
    assert metrics.to_dict() == {"rows": 4, "rmse": 0.75, "mae": 0.625, "r2": metrics.r2}


def test_r2_is_undefined_when_the_targets_do_not_vary():
    metrics = compute_metrics("regression", [[2.0], [2.0]], [[1.0], [3.0]])
    assert math.isnan(metrics.r2) and metrics.to_dict()["r2"] is None and metrics.rmse == 1.0


def test_binary_metrics_threshold_half_and_count_true_by_predicted():
    # predicted 0, 1, 1 (0.5 counts as class 1), 0, 1 against 0, 0, 1, 1, 1
    metrics = compute_metrics("binary", [[0.0], [0.0], [1.0], [1.0], [1.0]], [[0.2], [0.6], [0.5], [0.4], [0.9]])
    assert metrics.accuracy == 0.6
    assert metrics.confusion.tolist() == [[1, 1], [1, 2]]
    assert metrics.to_dict() == {"rows": 5, "accuracy": 0.6, "confusion_matrix": [[1, 1], [1, 2]]}


def test_multiclass_metrics_take_the_arg_max_of_one_hot_columns():
    y = np.eye(3)[[0, 1, 2, 2]]
    y_hat = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]]
    metrics = compute_metrics("multiclass", y, y_hat)
    assert metrics.accuracy == 0.5
    assert metrics.confusion.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 1]]


def test_the_task_follows_the_loss_and_the_output_activation():
    assert task_of(get_loss("mse"), "linear") == "regression"
    assert task_of(get_loss("half_sse"), "tanh") == "regression"
    assert task_of(get_loss("bce"), "sigmoid") == "binary"
    assert task_of(get_loss("mse"), "softmax") == "multiclass"


def test_the_baseline_predicts_the_mean_or_the_class_frequencies():
    assert baseline_loss(get_loss("mse"), np.array([[1.0], [2.0], [3.0], [4.0]])) == 1.25   # (2.25+.25+.25+2.25)/4
    assert baseline_loss(get_loss("bce"), np.array([[0.0], [0.0], [1.0], [1.0]])) == pytest.approx(math.log(2), abs=1e-15)
    # a quarter of the rows are class 1: −(¼·log ¼ + ¾·log ¾)
    frequency = baseline_loss(get_loss("bce"), np.array([[0.0], [0.0], [0.0], [1.0]]))
    assert frequency == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), abs=1e-15)


def test_held_out_rows_are_the_first_of_a_seeded_permutation():
    assert held_out_rows(10, 0.0, 3).size == 0
    permutation = np.random.default_rng(3).permutation(10)
    assert held_out_rows(10, 0.3, 3).tolist() == sorted(permutation[:3].tolist())   # 0.3 · 10 is 3 rows, not 4
    assert len(held_out_rows(10, 0.25, 3)) == 3                                       # ⌈2.5⌉
    assert len(held_out_rows(3, 0.99, 0)) == 2                                        # one row is always trained on
    assert held_out_rows(1, 0.5, 0).size == 0
    assert held_out_rows(10, 0.3, 3).tolist() != held_out_rows(10, 0.3, 4).tolist()


@pytest.mark.parametrize("changes, field", [
    ({"validation": 1.0}, "validation fraction"), ({"validation": -0.1}, "validation fraction"),
    ({"validation": math.nan}, "validation fraction"), ({"validation": True}, "validation fraction"),
    ({"validation_seed": -1}, "validation seed"), ({"validation_seed": 2**31}, "validation seed"),
    ({"validation_seed": 1.5}, "validation seed"),
])
def test_a_bad_split_is_refused_naming_its_field(changes, field):
    with pytest.raises(ConfigError, match=field):
        TrainingConfig(**changes)


def _subset(training: Training, rows: np.ndarray) -> Dataset:
    dataset = training.dataset
    return Dataset(list(dataset.columns), dataset.rows[rows], list(dataset.inputs), list(dataset.targets))


@pytest.mark.parametrize("order, batch_size", [("sequential", 1), ("shuffled", 1), ("sequential", 0),
                                               ("shuffled", 4)])
def test_training_with_a_split_visits_only_the_training_rows(order, batch_size):
    training = make_training(rows=20, batch_size=batch_size, order=order, epochs=3)
    start = training.network.copy()
    training.set_config(training.config.with_changes(validation=0.25, validation_seed=5))
    held_out = held_out_rows(20, 0.25, 5)
    kept = np.setdiff1d(np.arange(20), held_out)
    assert training.held_out_rows.tolist() == held_out.tolist() and training.training_rows.tolist() == kept.tolist()
    training.run()
    # the same network trained on a dataset of only the training rows, in the same order
    alone = Training(start, _subset(training, kept), training.loss,
                     training.config.with_changes(validation=0.0))
    if order == "shuffled":   # the order permutes positions among the training rows, as it does a dataset's rows
        assert training.order(0).tolist() == kept[alone.order(0)].tolist()
    alone.run()
    assert training.network.flat_parameters().tolist() == alone.network.flat_parameters().tolist()
    assert training.history.tolist() == alone.history.tolist()


def test_the_held_out_loss_is_computed_every_epoch_with_the_parameters_of_that_epoch():
    training = make_training(rows=20, batch_size=0, epochs=3)
    training.set_config(training.config.with_changes(validation=0.3, validation_seed=1))
    held_out = training.held_out_rows
    expected = []
    for _ in range(3):
        training.run(max_steps=1)
        y_hat = training.network.predict(training.X[held_out])
        expected.append(float(np.mean((training.Y[held_out] - y_hat) ** 2)))
    assert training.evaluation_series("held_out_loss").tolist() == pytest.approx(expected, rel=1e-14)
    assert not math.isnan(training.evaluation_series("held_out_score")[-1])
    assert math.isnan(training.evaluation_series("training_score")[-1])   # not asked for


def test_the_per_sample_kernel_evaluates_each_epoch_with_that_epochs_parameters():
    training = make_training(rows=12, batch_size=1, epochs=4, sizes=(2, 3, 1))
    assert training.kernel() is not None
    training.record_metrics = True
    training.set_config(training.config.with_changes(validation=0.25))
    scores = []
    for _ in range(4):
        training.run(max_steps=training.n_samples)
        scores.append(1 - np.sum((training.Y[training.training_rows]
                                  - training.network.predict(training.X[training.training_rows])) ** 2)
                      / np.sum((training.Y[training.training_rows] - training.Y[training.training_rows].mean()) ** 2))
    assert training.evaluation_series("training_score").tolist() == pytest.approx(scores, rel=1e-12)


def test_without_a_split_nothing_is_held_out_and_the_numbers_are_unchanged():
    training = make_training(rows=10, batch_size=1, order="shuffled", epochs=2)
    assert training.held_out_rows.size == 0 and training.n_samples == 10
    assert training.order(0).tolist() == np.random.default_rng([0, 0]).permutation(10).tolist()


def test_undo_of_a_split_returns_to_the_other_rows_and_their_order():
    training = make_training(rows=10, batch_size=1, order="shuffled", epochs=2)
    before = training.snapshot()
    first_order = training.order(0).tolist()
    training.set_config(training.config.with_changes(validation=0.5))
    assert len(training.order(0)) == 5
    training.run(max_steps=3)
    training.restore(before)
    assert training.order(0).tolist() == first_order and training.n_samples == 10


def test_a_step_back_cuts_the_evaluations_to_the_epochs_left():
    training = make_training(rows=10, batch_size=0, epochs=5)
    training.set_config(training.config.with_changes(validation=0.2))
    training.run(max_steps=2)
    state = training.snapshot()
    training.run()
    assert len(training.evaluation_series("held_out_loss")) == 5
    training.restore(state)
    assert len(training.evaluation_series("held_out_loss")) == 2
    training.run()
    assert len(training.evaluation_logs["held_out_loss"]) == 5


def test_the_split_is_saved_and_older_files_open_without_one():
    session = load_example("regression")
    assert session.training.validation == 0.0
    data = session.to_dict()
    data["training"]["validation"], data["training"]["validation_seed"] = 0.25, 9
    reopened = loads(from_dict(data).to_json())
    assert (reopened.training.validation, reopened.training.validation_seed) == (0.25, 9)
    del data["training"]["validation"], data["training"]["validation_seed"]
    assert from_dict(data).training.validation == 0.0


def test_the_classification_example_barely_beats_its_baseline():
    training = load_example("classification").make_training()
    baseline = training.baseline()
    training.run()
    history = training.history.tolist()
    assert baseline == pytest.approx(math.log(2), abs=1e-12)   # two rows of each class
    # the whole fall is a few hundred-thousandths, next to a curve about 0.0008 above the baseline
    assert history[0] - history[-1] < 1e-4 and history[-1] - baseline > 5e-4


def test_predictions_give_every_rows_prediction_and_loss():
    training = load_example("regression").make_training()
    y_hat, losses = training.predictions()
    network = Network([layer.copy() for layer in training.network.layers])
    assert y_hat.tolist() == network.predict(training.X).tolist()
    assert losses.tolist() == ((training.Y - y_hat) ** 2).ravel().tolist()


def test_thinned_evaluations_keep_every_epoch_to_1000_then_a_thousand_a_decade():
    from simulator.training import evaluated_epoch
    assert all(evaluated_epoch(epoch) for epoch in range(1, 1001))
    assert [epoch for epoch in range(1001, 1041) if evaluated_epoch(epoch)] == [1010, 1020, 1030, 1040]
    assert sum(evaluated_epoch(epoch) for epoch in range(10_001, 100_001)) == 900


def test_a_thinned_run_trains_the_same_and_evaluates_the_kept_epochs():
    """Run to End thins the per-epoch evaluations of long runs (on a small dataset one costs ten times its
    epoch); the epochs it skips have NaN, so the series stay one value an epoch."""
    from simulator.examples import load_example
    def fresh():
        session = load_example("regression")          # make_training trains the session's own network
        session.training = session.training.with_changes(epochs=1200)
        return session.make_training()
    every = fresh()
    every.record_metrics = True
    every.run()
    assert np.isfinite(every.evaluation_series("training_score")).all()
    thinned = fresh()
    thinned.record_metrics = thinned.thin_evaluations = True
    thinned.run()
    scores = thinned.evaluation_series("training_score")
    kept = np.isfinite(scores)
    assert len(scores) == 1200 and kept[:1000].all() and kept[1000:].tolist() == [
        (epoch % 10 == 0) for epoch in range(1001, 1201)]
    assert scores[kept].tolist() == every.evaluation_series("training_score")[kept].tolist()
    assert thinned.history == every.history        # training itself is the same, bit for bit
