"""The position line (epoch, sample, phase) says where training is, including after it stops."""

from simulator.examples import load_example
from ui.controller import Controller
from ui.document import Document


def make(qtbot, session=None):
    document = Document(session or load_example("regression"))
    return document, Controller(document)


def test_position_follows_the_steps(qtbot):
    document, controller = make(qtbot)
    assert controller.position_text() == "Epoch 1 of 5 · sample 1 of 4 · Ready"
    controller.step("factor")
    assert controller.position_text().endswith("Forward pass: neuron 1 of layer 1 (o11)")
    controller.step("sample")
    controller.step("factor")
    assert controller.position_text().startswith("Epoch 1 of 5 · sample 2 of 4 · ")


def test_position_after_finishing_names_no_sample(qtbot):
    document, controller = make(qtbot)
    document.training.run()
    assert controller.position_text() == "Epoch 5 of 5 · Finished"


def test_position_after_divergence_names_where(qtbot):
    session = load_example("regression")
    session.network.set("w211", 1e154)
    document, controller = make(qtbot, session)
    controller.step("sample")
    assert document.training.status == "diverged"
    assert controller.position_text() == "Epoch 1 of 5 · sample 1 of 4 · Diverged"


def test_position_names_the_row_when_the_order_is_shuffled(qtbot):
    session = load_example("regression")
    session.training = session.training.with_changes(order="shuffled", seed=2)
    document, controller = make(qtbot, session)
    row = int(document.training.order(0)[0]) + 1
    assert row != 1, "the test needs a seed whose first sample is not row 1"
    expected_row = f" (row {row})"
    assert controller.position_text() == f"Epoch 1 of 5 · sample 1 of 4{expected_row} · Ready"
    record = controller.step("factor")[0]
    assert record.row == row
    assert f"sample 1 of 4{expected_row} · Forward pass" in controller.position_text()


def test_position_during_the_last_update_of_an_epoch_names_that_epoch(qtbot):
    document, controller = make(qtbot)
    while (record := controller.step("factor")[-1]).kind != "epoch":
        if record.kind == "update":
            # The last update used to read "Epoch 2 of 5 · sample 4 of 4 · Update of b12".
            assert controller.position_text().startswith(f"Epoch 1 of 5 · sample {record.sample} of 4 · Update")
    assert controller.position_text() == "Epoch 1 of 5 · sample 4 of 4 · End of epoch 1"
    controller.step("factor")
    assert controller.position_text().startswith("Epoch 2 of 5 · sample 1 of 4 · Forward pass")


def test_position_of_a_mini_batch_update_names_all_its_samples(qtbot):
    session = load_example("regression")
    session.training = session.training.with_changes(batch_size=2)
    document, controller = make(qtbot, session)
    while (record := controller.step("factor")[-1]).kind != "update":
        pass
    assert controller.position_text() == "Epoch 1 of 5 · samples 1–2 of 4 · Update of w211"
