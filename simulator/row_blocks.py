"""Row-wise work on a large batch, split into blocks of rows that the CPU's cores take in turn.

Every value of a row of z, o, ∂o/∂z or δ depends on that row alone (an activation, its derivative,
a product of two such values, softmax over the row's neurons), so computing the rows in blocks on
several threads does the same IEEE operations on the same operands as one call over the whole
array: the same bits. numpy lets other threads run while a ufunc loops over a block. Matrix products
and sums down the rows are never split: splitting the rows of a sum would change the order of its
additions.

The blocks are small and taken one at a time by whichever thread is free, the calling thread
included, and the call returns as soon as every block is done: on a busy machine, where a helper
thread may not get a core for milliseconds, the calling thread simply does more of the blocks
instead of waiting for it.
"""

from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np

#: Values per block: a block takes about 0.2 ms of numpy's tanh (about 14 ns a value), well above
#: the cost of handing it to another thread (some microseconds).
MIN_BLOCK_VALUES = 16_384
#: At most this many threads work on one batch, the calling thread included.
MAX_THREADS = 4

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_threads = min(MAX_THREADS, os.cpu_count() or 1)


def thread_count() -> int:
    """How many threads work on a large batch: the cores, at most `MAX_THREADS`."""
    return _threads


def set_thread_count(count: int) -> None:
    """Let at most `count` threads work on a large batch (1: all of it on the calling thread)."""
    global _threads
    if count < 1:
        raise ValueError("at least one thread")
    _threads = min(count, MAX_THREADS)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_THREADS - 1, thread_name_prefix="rows")
        return _pool


def row_slices(rows: int, values_per_row: int) -> list[slice]:
    """The blocks of `rows` rows of `values_per_row` values, about `MIN_BLOCK_VALUES` values each;
    one block for fewer than two blocks' worth."""
    count = min(rows * values_per_row // MIN_BLOCK_VALUES, rows)
    if count <= 1:
        return [slice(0, rows)]
    edges = [rows * index // count for index in range(count + 1)]
    return [slice(start, end) for start, end in zip(edges[:-1], edges[1:])]


class _Blocks:
    """The blocks of one call: handed out one at a time, counted when done, the first error kept."""

    def __init__(self, work: Callable[..., None], arrays: Sequence[np.ndarray | None], slices: list[slice]):
        self.work, self.arrays, self.slices = work, arrays, slices
        self.lock = threading.Lock()
        self.next = self.done = 0
        self.finished = threading.Event()
        self.error: BaseException | None = None

    def take(self) -> slice | None:
        with self.lock:
            if self.next == len(self.slices):
                return None
            self.next += 1
            return self.slices[self.next - 1]

    def drain(self) -> None:
        """Do blocks until none is left to take."""
        while (part := self.take()) is not None:
            try:
                self.work(*[None if array is None else array[part] for array in self.arrays])
            except BaseException as error:   # handed to the calling thread, which raises it
                with self.lock:
                    self.error = self.error or error
            with self.lock:
                self.done += 1
                if self.done == len(self.slices):
                    self.finished.set()


def in_row_blocks(work: Callable[..., None], arrays: Sequence[np.ndarray | None]) -> None:
    """`work(*arrays)`, on blocks of their rows shared between threads when the arrays are large.

    Every array has the batch's rows first (None passes through as None); `work` writes its results
    into them and must compute each row from that row alone. numpy's error state (`np.errstate`) of
    the calling thread applies in every block. An exception in any block is raised here, after every
    block taken has finished.
    """
    shaped = [array for array in arrays if array is not None]
    rows = shaped[0].shape[0]
    slices = row_slices(rows, max(array[0].size for array in shaped)) if rows and _threads > 1 else [None]
    if len(slices) == 1:
        work(*arrays)
        return
    blocks = _Blocks(work, arrays, slices)
    pool = _executor()
    for _ in range(min(_threads, len(slices)) - 1):
        pool.submit(contextvars.copy_context().run, blocks.drain)
    blocks.drain()
    blocks.finished.wait()
    if blocks.error is not None:
        raise blocks.error
