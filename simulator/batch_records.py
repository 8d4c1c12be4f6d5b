"""The records of one batch as a sequence whose records are made when they are read.

A batch of n rows has n × (records per sample) records, then one update per parameter, then the
epoch's end if the batch closed one. Positions, lengths and where each sample starts follow from
those counts, so showing record 3,000,001 of a 100,000-row batch makes the records of its sample
only, and keeps the last few samples made (a view asks for the current record many times).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

from .records import EpochRecord, Record, UpdateRecord

#: Samples whose records are kept once made (the one shown, and the one a step back looks across).
KEPT_SAMPLES = 4


class RecordView(Sequence):
    """Records of a batch at `positions` (a range), read from it when asked: a slice that copies nothing."""

    __slots__ = ("_records", "_positions")

    def __init__(self, records: "BatchRecords", positions: range):
        self._records, self._positions = records, positions

    def __len__(self) -> int:
        return len(self._positions)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return RecordView(self._records, self._positions[index])
        return self._records[self._positions[index]]

    def __iter__(self):
        records = self._records
        for position in self._positions:
            yield records[position]

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(mine == theirs for mine, theirs in zip(self, other))

    __hash__ = None

    def __repr__(self) -> str:
        return f"RecordView({self._positions.start}..{self._positions.stop} of {len(self._records)})"


class BatchRecords(Sequence):
    """Every record of one batch in order: `samples` × `per_sample` records made by `make_sample(s)`
    (s 0-based, its records in order), then `updates`, then `end` once the batch has closed an epoch."""

    def __init__(self, samples: int, per_sample: int, make_sample: Callable[[int], list[Record]],
                 updates: tuple[UpdateRecord, ...], first_sample: int):
        self.samples, self.per_sample, self.updates = samples, per_sample, updates
        #: The 1-based number, in its epoch, of the batch's first sample.
        self.first_sample = first_sample
        self.end: EpochRecord | None = None
        self._make_sample = make_sample
        self._kept: OrderedDict[int, list[Record]] = OrderedDict()

    def __repr__(self) -> str:
        return (f"BatchRecords(samples={self.samples}, per_sample={self.per_sample}, "
                f"updates={len(self.updates)}, end={self.end is not None})")

    @property
    def updates_end(self) -> int:
        """The position after the last update: revealing that many records applies the batch."""
        return self.samples * self.per_sample + len(self.updates)

    def __len__(self) -> int:
        return self.updates_end + (self.end is not None)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return RecordView(self, range(len(self))[index])
        position = range(len(self))[index]       # negative positions, and the IndexError past the end
        sample, offset = divmod(position, self.per_sample)
        if sample < self.samples:
            return self.sample_records(sample)[offset]
        position -= self.samples * self.per_sample
        return self.updates[position] if position < len(self.updates) else self.end

    def __iter__(self):
        for sample in range(self.samples):
            yield from self.sample_records(sample)
        yield from self.updates
        if self.end is not None:
            yield self.end

    def sample_records(self, sample: int) -> list[Record]:
        """The records of sample `sample` (0-based in the batch), made on first use and kept a while."""
        records = self._kept.get(sample)
        if records is None:
            records = self._make_sample(sample)
            if len(records) != self.per_sample:
                raise RuntimeError(f"sample {sample} made {len(records)} records, not {self.per_sample}")
            self._kept[sample] = records
            if len(self._kept) > KEPT_SAMPLES:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(sample)
        return records

    def sample_start(self, position: int) -> int:
        """The position of the first record of the sample that `position` belongs to; the updates and
        the epoch's end belong to the batch's last sample (it is what the graph still shows beside them)."""
        sample = min(position // self.per_sample, self.samples - 1)
        return sample * self.per_sample
