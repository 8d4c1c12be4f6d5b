"""Texts of the Help menu (the getting-started tour and the About box) and the app's icon."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

DISTRIBUTION = "backprop-simulator"
ICON = "backprop-sim.svg"
#: A source checkout's icons; an install has them as package data in ui/icons/ (see pyproject.toml).
SOURCE_ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"

GETTING_STARTED = """\
<h3>A tour in seven steps</h3>
<ol>
<li><b>Look at the network</b> in the middle: inputs on the left, the output on the right. Every
weight sits on its connection and every bias under its neuron.</li>
<li><b>Press F10</b> (Step) to reveal training one piece at a time: each neuron of the forward pass,
the loss, then every factor of the chain rule for every weight and bias, then the updates.
The <b>Inspector</b> on the right shows the formula with the engine's numbers.</li>
<li><b>Choose how much one step shows</b> with <i>Step by</i> in the toolbar: one chain-rule factor,
one layer or gradient, one phase of training (forward, loss, backward, updates), one sample or one epoch. F11 steps at a finer level, Shift+F11 finishes the sample.</li>
<li><b>Run</b> with F5 at the speed chosen in the toolbar; Shift+F5 pauses, Ctrl+F5 trains to the end.
The <b>Loss plot</b> below draws the mean loss of every epoch.</li>
<li><b>Change anything</b>: double-click a weight or bias (or select it and press F2), edit the dataset
cells, or the training settings and the network's structure in the tabs beside the Inspector.
Ctrl+Z undoes every edit.</li>
<li><b>Ctrl+R</b> resets training to the start; <b>File ▸ Examples</b> has more networks, such as
classification and XOR. Save your session with Ctrl+S.</li>
<li><b>Learn ▸</b> shows <i>why</i> it works: the loss as a function of one or two parameters, a
learning-rate lab, Step Back (Ctrl+F10), practice mode, worked solutions, a gradient check, a
comparison with PyTorch and the common in-place update mistake. <b>Help ▸ Guided Tour</b> walks
through one training step, panel by panel.</li>
</ol>
"""


def icon_svg() -> bytes:
    """The app's icon as SVG, read with importlib.resources when installed."""
    installed = files(__package__) / "icons" / ICON
    return (installed if installed.is_file() else SOURCE_ICONS / ICON).read_bytes()


def app_version() -> str:
    """The installed version of the app, or a note that it runs from a source tree."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "(running from source)"


def about_html() -> str:
    return (f"<h3>Backprop Simulator {app_version()}</h3>"
            "<p>A step-through simulator that teaches backpropagation number by number: small networks "
            "(such as the 2-2-1 networks of the lectures) trained by gradient descent, one forward pass, "
            "loss, chain-rule factor and update at a time.</p>"
            "<p>Every number shown is computed by the simulator's engine; the formulas are filled in "
            "with those numbers so each step can be checked by hand.</p>"
            "<p>Licensed under the MIT licence.</p>")
