"""The built-in examples, stored as session files in `resources/examples/`."""

from __future__ import annotations

from pathlib import Path

from .errors import SessionError
from .session import Session, load

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "examples"
DEFAULT_EXAMPLE = "regression"


def example_names() -> list[str]:
    """Names of the built-in examples, the default first."""
    names = sorted(path.stem for path in EXAMPLES_DIR.glob("*.json"))
    return sorted(names, key=lambda name: name != DEFAULT_EXAMPLE)


def load_example(name: str) -> Session:
    """A fresh copy of a built-in example by name."""
    path = EXAMPLES_DIR / f"{name}.json"
    if not path.is_file():
        raise SessionError(f"there is no example {name!r}; the examples are: {', '.join(example_names())}")
    return load(path)
