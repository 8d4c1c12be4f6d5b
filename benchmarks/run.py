"""The performance benchmark: every figure of docs/performance.md with its target, pass or fail.

Run `make bench` (offscreen). Engine figures come from the headless fast path and the phase
stepper; the peers (a naive numpy loop, and a plain PyTorch loop when torch is installed) train the
same network on the same rows in the same process. App figures are measured on the real main window.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

import engine  # noqa: E402
import map_bench  # noqa: E402
import ui_bench  # noqa: E402


def row(name: str, value: float, unit: str, target: float, at_least: bool, scale: float = 1.0) -> tuple:
    shown = value * scale
    passed = shown >= target if at_least else shown <= target
    sign = "≥" if at_least else "≤"
    digits = 2 if abs(shown) < 10 else 1   # a ratio of 0.46 must not print as 0.5
    return name, f"{shown:,.{digits}f} {unit}", f"{sign} {target:,g} {unit}", "pass" if passed else "FAIL"


def print_table(rows: list[tuple]) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for index, r in enumerate(rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(r, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> int:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QSettings, qVersion
    from PySide6.QtWidgets import QApplication
    started = time.perf_counter()
    settings_dir = tempfile.mkdtemp()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    import pyqtgraph
    load = " · load average {:.1f}".format(os.getloadavg()[0]) if hasattr(os, "getloadavg") else ""
    print(f"Python {platform.python_version()} · numpy {np.__version__} · PySide6 {pyside_version} "
          f"(Qt {qVersion()}) · pyqtgraph {pyqtgraph.__version__} · {platform.machine()} {platform.system()} · "
          f"{os.cpu_count()} cores{load}")
    figures = engine.engine_figures()
    from simulator.examples import load_example
    step_221 = ui_bench.step_to_repaint(load_example("regression"))
    step_deep = ui_bench.step_to_repaint(ui_bench.deep_session())
    repaints, live_rate = ui_bench.live_run(load_example("regression"))
    plot_update, history_mb = ui_bench.loss_plot_million(load_example("regression"))
    startup, startup_rss = ui_bench.startup()
    map_step = map_bench.map_step(map_bench.wide_session())
    map_redraws, map_live_rate = map_bench.map_live_run(map_bench.wide_session())
    app.processEvents()

    torch_rate = figures.get("regression_torch_rate")
    rows = [("figure", "measured", "target", "")]
    rows.append(row("2-2-1 per-sample SGD", figures["regression_rate"], "updates/s", 150_000, True))
    if torch_rate:
        rows.append(row("  vs. PyTorch per-sample loop", figures["regression_rate"] / torch_rate, "×", 40, True))
    beside = figures["regression_rate_beside"]    # plain SGD, timed in turns with the optimisers below
    for key, label in (("momentum", "momentum"), ("nesterov_decay", "Nesterov + decay"), ("rmsprop", "RMSprop"),
                       ("adam", "Adam")):
        rows.append(row(f"2-2-1 per-sample {label}, time vs. plain SGD", beside / figures[f"regression_{key}_rate"],
                        "×", 3, False))
    rows.append(row("2-2-1 per-sample Adam", figures["regression_adam_rate"], "updates/s", 50_000, True))
    for hidden in (8, 32):
        rows.append(row(f"2-{hidden}-{hidden}-1 tanh per-sample Adam, time vs. plain SGD",
                        figures[f"sgd_{hidden}_rate"] / figures[f"adam_{hidden}_rate"], "×", 4,
                        False))
    rows.append(row("2-16-16-1 tanh, 1,000 rows, per-sample", figures["tanh_rate"], "updates/s", 30_000, True))
    rows.append(row("2-16-16-1 tanh, 10,000 rows, full batch", figures["full_batch_rate"], "epochs/s", 300, True))
    if "full_batch_torch_rate" in figures:
        rows.append(row("  vs. PyTorch full-batch loop", figures["full_batch_rate"] / figures["full_batch_torch_rate"],
                        "×", 1, True))
    rows.append(row("stepper: all records of one 2-2-1 step", figures["stepper_seconds"], "µs", 200, False, 1e6))
    rows.append(row("app: Step (F10) to repaint, 2-2-1", step_221, "ms", 16, False, 1e3))
    rows.append(row("app: Step (F10) to repaint, 4 × 8", step_deep, "ms", 33, False, 1e3))
    rows.append(row("app: Run to End, repaints", repaints, "per s", 30, True))
    rows.append(row("app: Run to End, throughput / headless", live_rate / figures["regression_rate"], "×", 0.5, True))
    rows.append(row("app: loss plot of 1,000,000 epochs, update + repaint", plot_update, "ms", 50, False, 1e3))
    rows.append(row("app: python main.py to window shown", startup, "s", 1.5, False))
    rows.append(row("app: resident memory, regression example", startup_rss, "MB", 300, False))
    rows.append(row("app: memory added by 1,000,000 epochs", history_mb, "MB", 50, False))
    rows.append(row("app: input-space maps, 2-8-8-1 at 64 × 64, work per step", map_step, "ms", 33, False, 1e3))
    rows.append(row("app: Run to End with the maps live, map redraws", map_redraws, "per s", 20, True))
    print()
    print_table(rows)

    print("\nPeers (same network, rows and learning rate, per sample, in this process)")
    peers = [("loop", "updates/s", "engine is")]
    for label, key in (("2-2-1 naive numpy loop", "regression_naive_rate"),
                       ("2-2-1 PyTorch loop", "regression_torch_rate"),
                       ("2-16-16-1 naive numpy loop", "tanh_naive_rate")):
        if key in figures:
            mine = figures["tanh_rate" if key.startswith("tanh") else "regression_rate"]
            ratio = mine / figures[key]
            verdict = f"{ratio:,.1f}× faster" if ratio >= 1 else f"{ratio:.2f}× its speed (slower)"
            peers.append((label, f"{figures[key]:,.0f}", verdict))
    peers.append(("app, Run to End with the view live", f"{live_rate:,.0f}", ""))
    print_table(peers)
    if "full_batch_torch_rate" in figures:
        ratio = figures["full_batch_rate"] / figures["full_batch_torch_rate"]
        verdict = f"{ratio:,.2f}× its rate" + (" (faster)" if ratio >= 1 else " (slower)")
        print(f"\nFull batch, 2-16-16-1 tanh on 10,000 rows, timed alternately in this process: engine "
              f"{figures['full_batch_rate']:,.1f} epochs/s, PyTorch float64 loop "
              f"({figures['torch_threads']} threads) {figures['full_batch_torch_rate']:,.1f} epochs/s; "
              f"the engine runs at {verdict}.")
    if torch_rate is None:
        print("PyTorch is not installed (`make reference`): its loops were skipped.")
    else:
        print(f"PyTorch {figures['torch_version']}")
    print(f"\nTimings are medians of repeated runs after a warm-up; the benchmark took "
          f"{time.perf_counter() - started:.0f} s.")
    if hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1) / 2:
        print(f"The machine was busy (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): "
              "absolute figures are lower than on an idle machine; the ratios hold better.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
