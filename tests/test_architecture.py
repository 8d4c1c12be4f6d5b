"""The layers are a contract (docs/architecture.md), checked here rather than trusted.

- The engine (`simulator`) imports neither Qt (PySide6, shiboken6), pyqtgraph nor the UI (`ui`), not
  even lazily inside a function; PyTorch only lazily, when a comparison starts. Checked twice: by
  reading every module's imports with `ast`, and by importing every module in a fresh interpreter in
  which those packages cannot be imported.
- Graph items (`ui/graph/*_item.py`) show the state the scene pushes into them: they never reach
  back into the document.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "simulator"
GRAPH = ROOT / "ui" / "graph"

#: Top-level packages the engine may never import, at module level or inside a function.
NEVER = {"PySide6", "shiboken6", "pyqtgraph", "ui"}
#: Top-level packages the engine may import inside a function only (optional extras).
LAZILY = {"torch"}
#: Modules graph items may not import: what they show is pushed into them by the scene.
ITEMS_NEVER = {"ui.document", "ui.controller", "ui.main_window"}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = ROOT) -> list[tuple[str, int, bool]]:
    """Every module `path` imports, as (absolute name, line, inside a function), relative imports resolved.

    `importlib.import_module("x")` and `__import__("x")` with a literal name count as imports too.
    """
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno, in_function) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[:max(len(parts) - (node.level - 1), 0)]
            else:
                base = []
            if node.module:
                found.append((".".join(base + [node.module]), node.lineno, in_function))
            else:   # `from . import x`: each name is a module of the package
                found.extend((".".join(base + [alias.name]), node.lineno, in_function) for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("import_module", "__import__"):
                found.append((node.args[0].value, node.lineno, in_function))
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def engine_files() -> list[Path]:
    files = sorted(ENGINE.rglob("*.py"))
    assert {"__init__.py", "network.py", "training.py", "stepper.py", "cli.py", "reference.py"} <= \
        {path.name for path in files}
    return files


# -- the engine ------------------------------------------------------------------------------------
def test_the_engine_never_imports_qt_pyqtgraph_or_the_ui_not_even_lazily():
    breaches = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                for path in engine_files() for name, line, _ in imports(path)
                if name.partition(".")[0] in NEVER]
    assert breaches == []


def test_the_engine_imports_pytorch_only_inside_a_function():
    breaches = [f"{path.relative_to(ROOT)}:{line} imports {name} when the module is imported"
                for path in engine_files() for name, line, in_function in imports(path)
                if name.partition(".")[0] in LAZILY and not in_function]
    assert breaches == []
    # The one comparison that needs it does import it (so this test reads the imports it should).
    assert ("torch", True) in {(name, in_function) for name, _, in_function in imports(ENGINE / "reference.py")}


@pytest.mark.parametrize("source, expected", [
    ("import PySide6.QtCore", [("PySide6.QtCore", 1, False)]),
    ("def launch():\n    from ui.app import run", [("ui.app", 2, True)]),
    ("from .. import ui", [("ui", 1, False)]),
    ("from . import training", [("simulator.training", 1, False)]),
    ("from .stepper import Stepper", [("simulator.stepper", 1, False)]),
    ("import importlib\nclass A:\n    def f(self):\n        importlib.import_module('pyqtgraph')",
     [("importlib", 1, False), ("pyqtgraph", 4, True)]),
    ("try:\n    import torch\nexcept ImportError:\n    torch = None", [("torch", 2, False)]),
])
def test_the_import_reader_finds_every_kind_of_import(tmp_path, source, expected):
    package = tmp_path / "simulator"
    package.mkdir()
    path = package / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert imports(path, tmp_path) == expected


BLOCKED_IMPORT = """
import importlib, importlib.abc, pkgutil, sys

BLOCKED = {blocked!r}
attempts = []


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            attempts.append(name)
            raise ImportError(f"{{name}} is blocked: the engine must not import it")
        return None


sys.meta_path.insert(0, Blocker())
import simulator
names = sorted(info.name for info in pkgutil.walk_packages(simulator.__path__, "simulator.")
               if not info.name.endswith(".__main__"))   # running that one is the command line itself
for name in names:
    importlib.import_module(name)
from simulator.examples import load_example
load_example("regression").make_training().run()
loaded = sorted(name for name in sys.modules if name.partition(".")[0] in BLOCKED)
assert not attempts and not loaded, (attempts, loaded)
print(len(names))
"""


def test_every_engine_module_imports_and_trains_with_qt_pyqtgraph_the_ui_and_pytorch_blocked():
    script = BLOCKED_IMPORT.format(blocked=sorted(NEVER | LAZILY))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= len([path for path in engine_files() if path.stem not in ("__init__", "__main__")])


# -- the document and the controller ---------------------------------------------------------------
#: The UI modules each may import: the document none, the controller the document only; no views.
MODEL_LAYER = {"ui/document.py": set(), "ui/controller.py": {"ui.document"}}


def test_the_document_and_the_controller_import_no_view():
    breaches = [f"{name}:{line} imports {module}" for name, allowed in MODEL_LAYER.items()
                for module, line, _ in imports(ROOT / name)
                if (module == "ui" or module.startswith("ui.") or module.partition(".")[0] == "pyqtgraph")
                and module not in allowed]
    assert breaches == []


# -- graph items -----------------------------------------------------------------------------------
def item_files() -> list[Path]:
    files = sorted(GRAPH.glob("*_item.py"))
    assert {"neuron_item.py", "edge_item.py", "label_item.py"} <= {path.name for path in files}
    return files


def test_graph_items_never_reach_into_the_document():
    breaches = []
    for path in item_files():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, str(path))
        breaches += [f"{path.name}:{node.lineno} reads .document" for node in ast.walk(tree)
                     if isinstance(node, ast.Attribute) and node.attr == "document"]
        breaches += [f"{path.name}:{line} imports {name}" for name, line, _ in imports(path)
                     if name in ITEMS_NEVER or name.startswith(tuple(module + "." for module in ITEMS_NEVER))]
        if ".document" in source:   # also in a string: getattr(scene, "document") is no better
            breaches.append(f"{path.name} mentions .document")
    assert breaches == []


def test_graph_items_are_given_their_state_by_the_scene(qtbot):
    from simulator.examples import load_example
    from ui.document import Document
    from ui.graph.item_state import EdgeState, NeuronState
    from ui.graph.network_view import NetworkView

    view = NetworkView(Document(load_example("regression")))
    qtbot.addWidget(view)
    scene = view.network_scene()
    assert isinstance(scene.neuron_item(1, 1).state(), NeuronState)
    state = scene.edge_item(1, 1, 1).state()
    assert isinstance(state, EdgeState) and state.value == 0.1
    # An item shows what it is given, nothing else: a state pushed by hand is what its tooltip and label say.
    edge = scene.edge_item(1, 1, 1)
    edge.set_state(state._replace(value=0.75, gradient=-2.5))
    assert edge.tooltip_text().splitlines()[1:3] == ["w111 = 0.75", "∂L/∂w111 = −2.5"]
    assert edge.label_text().splitlines()[0] == "w111 = 0.75"


# -- tests -----------------------------------------------------------------------------------------
def test_test_files_share_helpers_through_one_module_and_never_import_one_another():
    tests = ROOT / "tests"
    test_modules = {path.stem for path in tests.glob("*.py")} - {"helpers"}
    breaches = [f"{path.name}:{line} imports {name}" for path in sorted(tests.glob("*.py"))
                for name, line, _ in imports(path, ROOT)
                if name.removeprefix("tests.") in test_modules]
    assert breaches == []


#: Names that measure time or memory: a test that uses them asserts on a figure a busy machine moves.
MEASURES = {"perf_counter", "perf_counter_ns", "monotonic", "thread_time", "process_time", "time_ns",
            "tracemalloc", "getrusage", "ru_maxrss", "rss_bytes", "getloadavg"}


def marks(decorators: list[ast.expr]) -> set[str]:
    """The names of `pytest.mark.<name>` among decorators or a `pytestmark` value."""
    found = set()
    for node in decorators:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Attribute) \
                    and inner.value.attr == "mark":
                found.add(inner.attr)
    return found


def test_tests_that_measure_time_or_memory_are_perf_tests_left_out_of_make_test():
    breaches = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        module_marks = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "pytestmark" for target in node.targets):
                module_marks |= marks([node.value])
        for node in tree.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            used = {getattr(inner, "attr", None) or getattr(inner, "id", None) for inner in ast.walk(node)}
            if used & MEASURES and "perf" not in module_marks | marks(node.decorator_list):
                breaches.append(f"{path.name}::{node.name} measures {sorted(used & MEASURES)} but is not marked perf")
    assert breaches == []
