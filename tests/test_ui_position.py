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
