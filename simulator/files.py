"""Reading the user's files safely: only regular files, never blocking, with messages instead of tracebacks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import SimulatorError

#: What a path is when it is not a regular file, for the message that refuses it.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def check_path(path: str | Path, error: type[SimulatorError], verb: str = "read") -> Path:
    """`path` as a Path, or `error` if no file could have its name (a NUL character in it)."""
    if "\x00" in os.fspath(path):
        raise error(f"cannot {verb} {Path(path).name.replace(chr(0), '')!r}: a file name cannot contain "
                    "a NUL character")
    return Path(path)


def title_of(path: str | Path) -> str:
    """A file's name without its extension, as text that can be saved: bytes of the name that are not
    UTF-8 (which Python carries as unpaired surrogates) become U+FFFD, so a title taken from it never
    makes the session unsaveable."""
    stem = Path(path).stem
    return stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def not_regular(mode: int) -> str | None:
    """What a file of stat mode `mode` is if it is not a regular file (`a folder`, …), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def read_regular_file(path: str | Path, max_bytes: int, error: type[SimulatorError], what: str) -> bytes:
    """The bytes of the regular file `path` (at most `max_bytes`); `error` naming the file otherwise.

    Folders, named pipes, sockets and devices are refused before they are read, and the file is
    opened without blocking, so a FIFO (which has no end) can never hang the caller.
    """
    path = check_path(path, error)
    name = path.name or str(path)
    try:
        kind = not_regular(os.stat(path).st_mode)
        if kind:
            raise error(f"cannot read {name}: it is {kind}, not {what}")
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(descriptor, "rb") as stream:
            status = os.fstat(stream.fileno())
            kind = not_regular(status.st_mode)   # swapped for something else between the two looks
            if kind:
                raise error(f"cannot read {name}: it is {kind}, not {what}")
            if status.st_size > max_bytes:
                raise error(f"{name} is too large for {what} ({status.st_size / 2**20:.0f} MB; "
                            f"the limit is {max_bytes // 2**20} MB)")
            raw = stream.read(max_bytes + 1)
    except OSError as problem:
        raise error(f"cannot read {name}: {problem.strerror or problem}") from None
    if len(raw) > max_bytes:   # it grew while being read
        raise error(f"{name} is too large for {what} (the limit is {max_bytes // 2**20} MB)")
    return raw


def check_readable(path: str | Path, error: type[SimulatorError], what: str) -> None:
    """Refuse, as read_regular_file would, a path that cannot be read as a regular file, without reading it."""
    path = check_path(path, error)
    name = path.name or str(path)
    try:
        kind = not_regular(os.stat(path).st_mode)
        if not kind:
            os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as problem:
        raise error(f"cannot read {name}: {problem.strerror or problem}") from None
    if kind:
        raise error(f"cannot read {name}: it is {kind}, not {what}")
