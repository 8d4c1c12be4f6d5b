"""The packaging contract: what a non-editable install gets, checked without a network.

The wheel is built from a copy of the project with the virtual environment's own setuptools (no
build isolation, no index) and unpacked in a temporary folder, which then stands in for
site-packages: the commands run from a folder outside the checkout with only the unpacked wheel on
the path before the environment's dependencies. `.ci/run` installs the same wheel into a fresh
virtual environment with pip.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from simulator import examples

ROOT = Path(__file__).resolve().parent.parent
SOURCE_EXAMPLES = sorted(path.name for path in (ROOT / "resources" / "examples").glob("*.json"))
#: Modules a command must not load: the command line works without Qt and without the UI.
GUI_MODULES = ("PySide6", "pyqtgraph", "ui")


def run_python(*args: str, cwd: Path, path: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python ARGS` in `cwd`, offscreen; `path` goes first on PYTHONPATH (an unpacked wheel)."""
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **env}
    environment.pop("PYTHONPATH", None)
    if path is not None:
        environment["PYTHONPATH"] = str(path)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=environment, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


# -- the project's declarations ------------------------------------------------------------------
@pytest.fixture(scope="module")
def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11 or newer")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_no_top_level_main_module_is_installed(pyproject):
    setuptools = pyproject["tool"]["setuptools"]
    assert "main" not in setuptools.get("py-modules", [])
    assert all(package.split(".")[0] in ("simulator", "ui") for package in setuptools["packages"])


def test_the_console_script_is_the_ui_launcher(pyproject):
    assert pyproject["project"]["scripts"] == {"backprop-sim": "ui.launcher:main"}


def test_the_examples_are_declared_as_package_data(pyproject):
    setuptools = pyproject["tool"]["setuptools"]
    package = "simulator.builtin_examples"
    assert package in setuptools["packages"]
    assert setuptools["package-dir"][package] == "resources/examples"
    assert setuptools["package-data"][package] == ["*.json"]
    assert SOURCE_EXAMPLES and sorted(f"{name}.json" for name in examples.example_names()) == SOURCE_EXAMPLES


def test_the_command_line_imports_nothing_from_the_ui_not_even_lazily():
    tree = ast.parse((ROOT / "simulator" / "cli.py").read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level]
    assert not [name for name in imported if name.split(".")[0] in GUI_MODULES]


# -- the entry points from the source tree ---------------------------------------------------------
BLOCKED = ("import runpy, sys\n"
           f"for name in {GUI_MODULES!r}: sys.modules[name] = None   # importing any of them fails\n"
           "sys.argv = ['simulator', *sys.argv[1:]]\n"
           "runpy.run_module('simulator', run_name='__main__')\n")


def test_python_m_simulator_runs_the_command_line_without_qt_or_the_ui(tmp_path):
    result = run_python("-c", BLOCKED, "examples", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[0] == "regression"
    result = run_python("-c", BLOCKED, "train", "--example", "regression", "--epochs", "2", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Finished 2 epochs." in result.stdout


def test_python_m_simulator_without_a_command_points_to_the_app():
    result = run_python("-m", "simulator", cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("backprop-sim: error: give a command") and "python -m ui" in result.stderr


def test_the_launcher_runs_commands_without_loading_qt():
    probe = ("import sys\nfrom ui.launcher import main\ncode = main(['examples'])\n"
             f"print(sorted(name for name in {GUI_MODULES[:2]!r} if name in sys.modules))\nsys.exit(code)\n")
    result = run_python("-c", probe, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


# -- the built wheel ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the project (no stale build/ folder can leak into it)."""
    folder = tmp_path_factory.mktemp("wheel")
    project = folder / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("simulator", "ui", "resources"):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "main.py"):
        shutil.copy2(ROOT / name, project / name)
    result = run_python("-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                        "-w", str(folder / "dist"), str(project), cwd=folder)
    assert result.returncode == 0, result.stderr
    (built,) = (folder / "dist").glob("backprop_simulator-*.whl")
    return built


@pytest.fixture(scope="module")
def unpacked(wheel) -> Path:
    """The wheel's files as pip would put them in site-packages."""
    site = wheel.parent.parent / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_icon_is_an_svg_qt_can_draw(qapp):
    from PySide6.QtGui import QPixmap

    from ui.resources import icon_svg

    icon = QPixmap()
    assert icon.loadFromData(icon_svg(), "SVG") and icon.width() == icon.height() == 256


def test_the_wheel_ships_the_examples_and_the_icon_and_no_main_module(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(name).decode() for name in names if name.endswith("entry_points.txt"))
    assert sorted(name.split("/")[-1] for name in names
                  if name.startswith("simulator/builtin_examples/")) == SOURCE_EXAMPLES
    assert "ui/icons/backprop-sim.svg" in names
    assert {name.split("/")[0] for name in names} == {"simulator", "ui", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "backprop-sim = ui.launcher:main" in entry_points


def test_the_installed_command_line_finds_its_examples(unpacked, tmp_path):
    result = run_python("-m", "simulator", "examples", cwd=tmp_path, path=unpacked)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == examples.example_names()
    result = run_python("-c", "import simulator.examples as e; print(e.EXAMPLES_DIR)", cwd=tmp_path, path=unpacked)
    assert Path(result.stdout.strip()) == unpacked / "simulator" / "builtin_examples"
    result = run_python("-m", "ui", "train", "--example", "regression", "--epochs", "2",
                        cwd=tmp_path, path=unpacked)
    assert result.returncode == 0, result.stderr
    assert "Finished 2 epochs." in result.stdout


def test_the_installed_app_opens_the_default_example_and_quits(unpacked, tmp_path):
    """It reads its icon and its default example from the package, so a missing one ends in a traceback."""
    os.chmod(tmp_path, 0o700)
    result = run_python("-m", "ui", cwd=tmp_path, path=unpacked, BACKPROP_SIM_QUIT_AFTER_MS="500",
                        HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                        XDG_DATA_HOME=str(tmp_path / "data"), XDG_RUNTIME_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
