"""Step Back after a run on many rows: its time and the peak memory it adds, per batch mode.

Each case runs in a fresh process (`ru_maxrss` is a process's peak): the lectures' 2-2-1 network is
trained to the end on `rows` random rows the way Run to End trains (the fast path, the timeline told
before and after), then one Step Back at factor granularity is timed, and the growth of the process's
peak resident memory over it is read. The first Step (one factor) of a fresh batch is timed as well.

    .venv/bin/python benchmarks/step_back.py             # the table: 10,000 and 100,000 rows
    .venv/bin/python benchmarks/step_back.py 100000 0    # one case: rows, batch size (0: full batch)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from simulator.dataset import Dataset  # noqa: E402
from simulator.network import Layer, Network  # noqa: E402
from simulator.stepper import Stepper  # noqa: E402
from simulator.timeline import Timeline, back_target, go_to  # noqa: E402
from simulator.training import Training, TrainingConfig  # noqa: E402

MODES = {0: "full batch", 1: "per sample", 32: "mini-batch 32"}


def training_on(rows: int, batch_size: int, epochs: int = 2) -> Training:
    """The 2-2-1 regression network (linear, MSE, η = 0.001) on `rows` random rows, y = x1 + x2."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(rows, 2))
    dataset = Dataset(["x1", "x2", "y"], np.hstack([X, X.sum(axis=1, keepdims=True)]), ["x1", "x2"], ["y"])
    config = TrainingConfig(learning_rate=0.001, epochs=epochs, batch_size=batch_size)
    layers = [Layer(np.full((2, 2), 0.1), np.zeros(2), "linear"), Layer(np.full((2, 1), 0.1), np.zeros(1), "linear")]
    return Training(Network(layers), dataset, "mse", config)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_to_end(training: Training, timeline: Timeline, slice_seconds: float = 0.016) -> None:
    """Train to the end as Run to End does: slices of about `slice_seconds`, the timeline told after each."""
    chunk = 32
    while not training.finished:
        deadline = time.perf_counter() + slice_seconds
        while not training.finished and (start := time.perf_counter()) < deadline:
            training.run(max_steps=chunk)
            took = time.perf_counter() - start
            if took < slice_seconds / 16:
                chunk *= 2
            elif took > slice_seconds / 4 and chunk > 1:
                chunk //= 2
        timeline.observe()


def case(rows: int, batch_size: int) -> dict:
    training = training_on(rows, batch_size)
    stepper, timeline = Stepper(training), Timeline(training)
    figures = {}
    run_to_end(training, timeline)
    before = peak_mb()
    start = time.perf_counter()
    go_to(stepper, timeline, back_target(stepper, timeline, "factor"))
    current = stepper.current
    figures["step_back_s"] = time.perf_counter() - start
    figures["step_back_peak_mb"] = peak_mb() - before
    figures["shown"] = f"{current.kind} of sample {current.sample}"
    training.reset()
    stepper.clear()
    before = peak_mb()
    start = time.perf_counter()
    stepper.step("factor")
    figures["first_step_s"] = time.perf_counter() - start
    figures["first_step_peak_mb"] = peak_mb() - before
    return figures


def main() -> None:
    if len(sys.argv) == 3:
        print(json.dumps(case(int(sys.argv[1]), int(sys.argv[2]))))
        return
    print(f"{'rows':>8}  {'batch':<14} {'Step Back':>10} {'peak added':>11} {'first Step':>11} {'peak added':>11}  shown")
    for rows in (10_000, 100_000):
        for batch_size, label in MODES.items():
            out = subprocess.run([sys.executable, __file__, str(rows), str(batch_size)], check=True,
                                 capture_output=True, text=True).stdout
            f = json.loads(out)
            print(f"{rows:>8,}  {label:<14} {f['step_back_s'] * 1000:>7.1f} ms {f['step_back_peak_mb']:>8.1f} MB "
                  f"{f['first_step_s'] * 1000:>8.1f} ms {f['first_step_peak_mb']:>8.1f} MB  {f['shown']}")


if __name__ == "__main__":
    main()
