"""A growing list of losses held as float64: 8 bytes each, readable by numpy without a copy.

A long run keeps millions of losses (every epoch's mean, every sample's loss). A Python list costs
about 32 bytes per float and a plot needs a numpy copy of it; `LossLog` keeps the values in one
float64 buffer that doubles when full (untouched capacity is never written, so it is not resident),
and `values` is a read-only view of the filled part that a plot can draw as it is.
"""

from __future__ import annotations

import mmap
import operator
from array import array
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

#: Appended values wait in a short Python list and are copied into the buffer in blocks: a numpy
#: element assignment costs several times a list append, and the fast path appends every epoch.
PENDING_LIMIT = 4096
INITIAL_CAPACITY = 1024
#: Buffers of at least this many bytes are mapped from the system directly (see `allocate`).
MAPPED_BYTES = 1 << 20
#: Iteration converts this many values to Python floats at a time.
ITERATION_BLOCK = 4096


def allocate(capacity: int) -> np.ndarray:
    """An unwritten float64 buffer of `capacity` values. A large one is an anonymous memory map, so
    that when a grown log drops it, its memory goes back to the system at once: a freed heap block
    may stay resident, and a log that doubled a few times would then hold about twice its size."""
    if capacity * 8 < MAPPED_BYTES:
        return np.empty(capacity)
    private = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}
    return np.frombuffer(mmap.mmap(-1, capacity * 8, **private), dtype=float)


class LossLog(Sequence):
    """Losses in the order they were recorded; a sequence of Python floats backed by float64 memory.

    Reads (`len`, indexing, slicing, iteration, `==` against a list, array or another log) behave as
    on a list of floats; `values` is a read-only `(len,)` float64 view for numpy and plots. It only
    grows at its end, except when cut back with `truncate` (going back in training) or `clear`,
    which `cuts` counts: a view that saw the same length and the same count of cuts is up to date.
    """

    def __init__(self, values: Iterable[float] = ()):
        self._buffer = allocate(INITIAL_CAPACITY)
        self._filled = 0
        self._pending: list[float] = []
        self.cuts = 0
        #: How much of `_buffer` frozen copies read (shared by every log and copy of that buffer): a
        #: write below it goes to a new buffer first.
        self._frozen = _Frozen()
        self.extend(values)

    # -- growing and cutting back ----------------------------------------------------------------
    def append(self, value: float) -> None:
        pending = self._pending
        pending.append(value)
        if len(pending) >= PENDING_LIMIT:
            self._flush()

    def extend(self, values: Iterable[float]) -> None:
        """Append every value of `values` (a list, tuple, array, log or any iterable of numbers)."""
        if type(values) is list or type(values) is tuple:
            pending = self._pending
            pending.extend(values)
            if len(pending) >= PENDING_LIMIT:
                self._flush()
            return
        self._flush()
        if isinstance(values, LossLog):
            block = values.values
        elif isinstance(values, (np.ndarray, array)):
            block = np.asarray(values, dtype=float).ravel()
        else:
            block = np.fromiter(values, dtype=float)
        self._write(block)

    def truncate(self, length: int) -> None:
        """Keep the first `length` values (nothing changes when there are not more than that)."""
        self._flush()
        self._filled = min(self._filled, max(0, operator.index(length)))
        self.cuts += 1

    def clear(self) -> None:
        self.truncate(0)

    # -- snapshots ---------------------------------------------------------------------------------
    def freeze(self) -> "FrozenLog":
        """The values as they are now, for a snapshot, without copying them: the buffer is shared,
        and a later write where a frozen copy still reads (after a cut) goes to a new buffer first."""
        self._flush()
        self._frozen.length = max(self._frozen.length, self._filled)
        return FrozenLog(self._buffer, self._filled, self._frozen)

    def restore(self, frozen: "FrozenLog") -> None:
        """Hold `frozen`'s values again; counted as a cut, so a view redraws what it shows."""
        self._pending.clear()
        self._buffer, self._filled, self._frozen = frozen.buffer, frozen.length, frozen.frozen
        self.cuts += 1

    def _write(self, block) -> None:
        """Copy `block` (an array, or a list of floats) after the filled part, growing if needed."""
        end = self._filled + len(block)
        if end > self._buffer.size or self._filled < self._frozen.length:
            # A new buffer rather than resizing this one: a plot may still hold a view of it, and a
            # frozen copy may still read what would be overwritten.
            grown = allocate(max(end, 2 * self._buffer.size) if end > self._buffer.size else self._buffer.size)
            grown[:self._filled] = self._buffer[:self._filled]
            self._buffer = grown
            self._frozen = _Frozen()
        self._buffer[self._filled:end] = block
        self._filled = end

    def _flush(self) -> None:
        if self._pending:
            self._write(self._pending)
            self._pending.clear()

    # -- reading ---------------------------------------------------------------------------------
    @property
    def values(self) -> np.ndarray:
        """The values as a read-only float64 view, `(len,)`; valid until the log is cut back."""
        self._flush()
        view = self._buffer[:self._filled]
        view.flags.writeable = False
        return view

    @property
    def nbytes(self) -> int:
        """Bytes of the buffer (its capacity, of which only the filled part is ever written)."""
        return self._buffer.nbytes + 8 * len(self._pending)

    def __len__(self) -> int:
        return self._filled + len(self._pending)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return LossLog(self.values[index])
        position = operator.index(index)
        length = len(self)
        if position < 0:
            position += length
        if not 0 <= position < length:
            raise IndexError("loss index out of range")
        self._flush()
        return self._buffer.item(position)

    def __iter__(self) -> Iterator[float]:
        values = self.values
        for start in range(0, values.size, ITERATION_BLOCK):
            yield from values[start:start + ITERATION_BLOCK].tolist()

    def tolist(self) -> list[float]:
        return self.values.tolist()

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = self.values
        if copy or (dtype is not None and np.dtype(dtype) != values.dtype):
            return np.array(values, dtype=dtype)
        return values

    def __eq__(self, other) -> bool:
        if isinstance(other, LossLog):
            other_values = other.values
        elif isinstance(other, (list, tuple, array, np.ndarray)):
            if not isinstance(other, np.ndarray) and len(other) != len(self):
                return False
            try:
                other_values = np.asarray(other, dtype=float)
            except (TypeError, ValueError):
                return False
            if other_values.shape != (len(self),):
                return False
        else:
            return NotImplemented
        return bool(np.array_equal(self.values, other_values))

    __hash__ = None   # it changes

    def __copy__(self) -> "LossLog":
        return LossLog(self.values)

    def __deepcopy__(self, memo: dict) -> "LossLog":
        return LossLog(self.values)

    def __reduce__(self):
        return LossLog, (self.tolist(),)

    def __sizeof__(self) -> int:
        return object.__sizeof__(self) + self.nbytes

    def __repr__(self) -> str:
        count = len(self)
        if count <= 6:
            shown = ", ".join(repr(value) for value in self)
        else:
            shown = ", ".join(map(repr, self.values[:3].tolist())) + ", …, " + ", ".join(
                map(repr, self.values[-2:].tolist()))
        return f"LossLog([{shown}], {count} values)"


class _Frozen:
    """How much of one buffer frozen copies read: the most values any of them holds (it never shrinks)."""

    __slots__ = ("length",)

    def __init__(self):
        self.length = 0


class FrozenLog:
    """A log's values at one moment: `buffer[:length]`, never written again (see `LossLog.freeze`).
    Logs restored from it keep appending to the same buffer while no frozen copy reads further, so
    an undo followed by a redo copies nothing."""

    __slots__ = ("buffer", "length", "frozen")

    def __init__(self, buffer: np.ndarray, length: int, frozen: _Frozen):
        self.buffer, self.length, self.frozen = buffer, length, frozen

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"FrozenLog({self.length} values)"
