"""Edge cases of validation and fault reporting in the engine."""

import json

import numpy as np
import pytest

from simulator.cli import main
from simulator.dataset import read_csv_text
from simulator.errors import SessionError
from simulator.examples import load_example
from simulator.session import loads
from simulator.stepper import Stepper


def test_unknown_training_setting_is_refused_by_name():
    data = load_example("regression").to_dict()
    data["training"]["learning_rat"] = 0.1
    with pytest.raises(SessionError, match=r"training\.learning_rat: unknown setting"):
        loads(json.dumps(data))


def test_csv_text_with_byte_order_mark_reads_the_first_column_name():
    dataset = read_csv_text("\ufeffa,b\n1,2\n")
    assert dataset.columns == ["a", "b"]


def test_divergence_names_the_parameter_even_when_the_loss_overflows_first():
    session = load_example("regression")
    session.network.set("w211", 1e154)
    training = session.make_training()
    before = session.network.flat_parameters()
    training.step()
    assert training.status == "diverged"
    assert "epoch 1 at sample 1" in training.message
    assert "would become" in training.message and "the loss became inf" in training.message
    assert np.array_equal(session.network.flat_parameters(), before)


def test_in_place_rule_differs_and_is_labelled_in_the_chain():
    right = load_example("regression")
    wrong = load_example("regression")
    wrong.training = wrong.training.with_changes(update_rule="in_place")
    records = {rule: Stepper(session.make_training()).step("sample")
               for rule, session in (("simultaneous", right), ("in_place", wrong))}
    gradient = {rule: next(r for r in recs if r.kind == "gradient" and r.parameter == "w111")
                for rule, recs in records.items()}
    assert gradient["simultaneous"].value == pytest.approx(-5.888, rel=1e-12)
    assert gradient["in_place"].value == pytest.approx(-7.36 * 0.111776 * 8, rel=1e-12)
    labels = [symbol for factor in gradient["in_place"].factors for symbol in factor.symbols]
    assert "w211 (already updated)" in labels
    assert not any("updated" in symbol for factor in gradient["simultaneous"].factors for symbol in factor.symbols)


def test_cli_marks_the_in_place_rule_as_a_mistake(capsys):
    assert main(["train", "--example", "regression", "--epochs", "1", "--update-rule", "in_place"]) == 0
    assert "MISTAKE" in capsys.readouterr().out


def test_the_order_of_an_old_epoch_is_made_again_the_same():
    """Asking for an epoch older than the few orders kept raised KeyError (it was added, then dropped)."""
    from simulator.examples import load_example
    session = load_example("xor")
    session.training = session.training.with_changes(order="shuffled", seed=5)
    training = session.make_training()
    first = [training.order(epoch).copy() for epoch in range(8)]
    assert any((first[0] != order).any() for order in first[1:])
    again = [training.order(epoch) for epoch in (0, 7, 3, 0)]
    for epoch, order in zip((0, 7, 3, 0), again):
        np.testing.assert_array_equal(order, first[epoch])
