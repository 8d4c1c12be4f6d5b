"""The built-in examples: session files kept in `resources/examples/`, installed as package data.

A wheel ships them as `simulator/builtin_examples/*.json` (see `[tool.setuptools.package-dir]` in
pyproject.toml) and they are read through `importlib.resources`, so an installed copy finds them
wherever it lives. A source checkout, run without installing, reads `resources/examples/` itself.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SessionError
from .session import Session, loads

if TYPE_CHECKING:   # importlib.resources.abc is new in Python 3.11
    from importlib.resources.abc import Traversable

DEFAULT_EXAMPLE = "regression"
SOURCE_EXAMPLES = Path(__file__).resolve().parent.parent / "resources" / "examples"


def examples_folder() -> Traversable:
    """The folder of the example session files: the installed package data, else the source tree's."""
    installed = files(__package__) / "builtin_examples"   # the name pyproject.toml installs them as
    return installed if installed.is_dir() else SOURCE_EXAMPLES


EXAMPLES_DIR = examples_folder()


def _files() -> dict[str, Traversable]:
    found = {item.name[:-len(".json")]: item for item in EXAMPLES_DIR.iterdir()
             if item.name.endswith(".json") and item.is_file()} if EXAMPLES_DIR.is_dir() else {}
    if not found:
        raise SessionError(f"the built-in examples are missing (looked in {EXAMPLES_DIR}); "
                           "reinstall the package")
    return found


def example_names() -> list[str]:
    """Names of the built-in examples, the default first."""
    return sorted(_files(), key=lambda name: (name != DEFAULT_EXAMPLE, name))


def load_example(name: str) -> Session:
    """A fresh copy of a built-in example by name."""
    found = _files()
    if name not in found:
        raise SessionError(f"there is no example {name!r}; the examples are: {', '.join(example_names())}")
    return loads(found[name].read_text(encoding="utf-8-sig"))
