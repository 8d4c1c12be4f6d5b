"""The input-space map of the document's live network over the user's choice of grid, for the views
that draw it (the Input Space panel, the neuron maps on the graph).

`MapSource` keeps the user's choices (the axes, held values, ranges, resolution) and gives the map,
computed by the engine (`simulator.input_map`) only when a view asks and the network, data or choices
changed since the last one.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

from simulator.errors import SimulatorError
from simulator.input_map import (DEFAULT_RESOLUTION, MAX_RESOLUTION, MIN_RESOLUTION, InputMap, MapSettings,
                                 checked_range, checked_value, compute_map, default_settings)
from simulator.numbers import NumberError, parse_number

from .document import Change

#: Grid points times parameters a map may cost (about 20 ms of numpy on a laptop): a large network gets
#: a coarser grid, said in the panel, rather than a window that cannot keep up with training.
WORK_BUDGET = 2_000_000


class MapSource(QObject):
    """The map of the document's live network over the user's choice of grid; recomputed on demand."""

    choices_changed = Signal()

    def __init__(self, document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.axes = (0, 1)
        self.resolution = DEFAULT_RESOLUTION
        #: Input index → held value, and axis input index → (low, high), set by the user (the rest default).
        self.fixed: dict[int, float] = {}
        self.ranges: dict[int, tuple[float, float]] = {}
        self._inputs: tuple[str, ...] = ()
        self._key: tuple | None = None
        self._map: InputMap | None = None
        self._defaults: tuple | None = None
        document.changed.connect(self._document_changed)
        self._document_changed(Change.STRUCTURE)

    def _document_changed(self, change: Change) -> None:
        inputs = tuple(self.document.session.dataset.inputs)
        if change & Change.STRUCTURE and inputs != self._inputs:   # other inputs: the choices made no sense
            self._inputs = inputs
            self.axes, self.fixed, self.ranges = (0, 1), {}, {}

    @property
    def usable(self) -> bool:
        return len(self.document.session.dataset.inputs) >= 2

    def default_settings(self) -> MapSettings:
        """The data's spans and the training rows' means (kept until the data or its rows change)."""
        training = self.document.training
        key = (id(self.document.session.dataset), training.X.shape[0], training.config.validation,
               training.config.validation_seed, self.axes)
        if self._defaults is None or self._defaults[0] != key:
            self._defaults = (key, default_settings(self.document.session, training.training_rows, self.axes))
        return self._defaults[1]

    def resolution_used(self) -> tuple[int, str]:
        """The resolution a map is made at, and why when it is less than the one chosen."""
        count = self.document.network.parameter_count()
        largest = max(MIN_RESOLUTION, int(math.isqrt(WORK_BUDGET // max(count, 1))))
        if self.resolution <= largest:
            return self.resolution, ""
        return largest, (f"{largest} × {largest} points, not {self.resolution}: a finer map of this "
                         f"{count:,}-parameter network could not keep up with training")

    def settings(self) -> MapSettings:
        defaults = self.default_settings()
        fixed = tuple(self.fixed.get(index, value) for index, value in enumerate(defaults.fixed))
        ranges = tuple(self.ranges.get(axis, span) for axis, span in zip(self.axes, defaults.ranges))
        return MapSettings(self.axes, ranges, fixed, self.resolution_used()[0])

    def current(self) -> InputMap | None:
        """The map of the live parameters now (the same object until something it depends on changes)."""
        if not self.usable:
            return None
        document = self.document
        settings = self.settings()
        key = (id(document.run), document.network.flat_parameters().tobytes(), id(document.session),
               settings)
        if key != self._key:
            self._map = compute_map(document.session, document.network, settings)
            self._key = key
        return self._map

    @property
    def latest(self) -> InputMap | None:
        """The map made last (None before the first), without making one."""
        return self._map

    # -- the user's choices (each refused with a message naming the field, changing nothing) ---------
    def set_axes(self, x: int, y: int) -> None:
        if x == y:
            raise SimulatorError("choose two different inputs for the axes")
        self.axes = (x, y)
        self.ranges = {axis: span for axis, span in self.ranges.items() if axis in self.axes}
        self.fixed = {index: value for index, value in self.fixed.items() if index not in self.axes}
        self.choices_changed.emit()

    def set_resolution(self, points: int) -> None:
        self.resolution = max(MIN_RESOLUTION, min(int(points), MAX_RESOLUTION))
        self.choices_changed.emit()

    def set_fixed(self, index: int, text: str) -> None:
        """Hold input `index` at the number typed (blank: its training mean)."""
        name = self._inputs[index]
        if not text.strip():
            self.fixed.pop(index, None)
        else:
            self.fixed[index] = checked_value(f"the value of {name}", _number(text, f"the value of {name}"))
        self.choices_changed.emit()

    def set_range(self, axis: int, low_text: str, high_text: str) -> None:
        """The span of axis input `axis` (both blank: the data's)."""
        name = self._inputs[axis]
        if not low_text.strip() and not high_text.strip():
            self.ranges.pop(axis, None)
        else:
            default = dict(zip(self.axes, self.default_settings().ranges))[axis]
            low = _number(low_text, f"the low end of {name}") if low_text.strip() else default[0]
            high = _number(high_text, f"the high end of {name}") if high_text.strip() else default[1]
            self.ranges[axis] = checked_range(name, low, high)
        self.choices_changed.emit()


def _number(text: str, where: str) -> float:
    try:
        return parse_number(text)
    except NumberError as error:
        raise SimulatorError(f"{where}: {error}") from None
