"""Row-wise work on a large batch, split into blocks of rows done at the same time on the CPU's cores.

Every value of a row of z, o, ∂o/∂z or δ depends on that row alone (an activation, its derivative,
a product of two such values, softmax over the row's neurons), so computing the rows in blocks on
separate threads does the same IEEE operations on the same operands as one call over the whole
array: the same bits. numpy lets other threads run while a ufunc loops over a block, so the blocks
take turns on the cores. Matrix products and sums down the rows are never split: splitting the rows
of a sum would change the order of its additions.
"""

from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable, Sequence

import numpy as np

#: Values per block below which handing a block to another thread costs more than it saves
#: (a hand-over is some tens of microseconds; numpy's tanh takes about 15 ns a value).
MIN_BLOCK_VALUES = 16_384
#: At most this many blocks (threads) at once.
MAX_BLOCKS = 4

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_blocks = min(MAX_BLOCKS, os.cpu_count() or 1)


def block_count() -> int:
    """How many blocks a large batch is split into: the cores, at most `MAX_BLOCKS`."""
    return _blocks


def set_block_count(count: int) -> None:
    """Split large batches into at most `count` blocks (1: all work on the calling thread)."""
    global _blocks
    if count < 1:
        raise ValueError("at least one block")
    _blocks = min(count, MAX_BLOCKS)


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_BLOCKS - 1, thread_name_prefix="rows")
        return _pool


def row_slices(rows: int, values_per_row: int) -> list[slice]:
    """The blocks of rows `rows` rows of `values_per_row` values are split into: one slice if small."""
    count = min(_blocks, rows * values_per_row // MIN_BLOCK_VALUES, rows)
    if count <= 1:
        return [slice(0, rows)]
    edges = [rows * index // count for index in range(count + 1)]
    return [slice(start, end) for start, end in zip(edges[:-1], edges[1:])]


def in_row_blocks(work: Callable[..., None], arrays: Sequence[np.ndarray | None]) -> None:
    """`work(*arrays)` on blocks of their rows at once, the first block on this thread.

    Every array has the batch's rows first (None passes through as None); `work` writes its results
    into them and must compute each row from that row alone. numpy's error state (`np.errstate`) of
    the calling thread applies in every block. An exception in any block is raised here.
    """
    shaped = [array for array in arrays if array is not None]
    rows, width = shaped[0].shape[0], max(array[0].size for array in shaped) if shaped[0].shape[0] else 0
    slices = row_slices(rows, width)
    if len(slices) == 1:
        work(*arrays)
        return
    pool = _executor()

    def block(part: slice) -> list:
        return [None if array is None else array[part] for array in arrays]

    futures = [pool.submit(contextvars.copy_context().run, work, *block(part)) for part in slices[1:]]
    try:
        work(*block(slices[0]))
    finally:
        wait(futures)      # no block may still be writing when this returns, even after an exception
    for future in futures:
        future.result()
