"""The domain's limits: what the app, session files and the command line all accept."""

from __future__ import annotations

#: Largest magnitude of a weight or bias: beyond it every activation saturates or overflows and the
#: lesson is lost.
MAX_PARAMETER_MAGNITUDE = 1e6
#: Largest |value| of a dataset cell.
MAX_CELL_MAGNITUDE = 1e12
#: Most neurons in one layer (inputs, hidden or outputs).
MAX_LAYER_SIZE = 64
#: Most hidden layers.
MAX_HIDDEN_LAYERS = 8
