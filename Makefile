# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench perf soak reference clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Optional: the PyTorch reference extra (CPU build) for the cross-checks.
reference: $(STAMP)
	$(PY) -m pip install --quiet 'torch==2.13.0' || $(PY) -m pip install --quiet -e '.[reference]'

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run.py

# The timing and memory assertions (tests marked `perf`: ratio guards, the event-loop gap, memory
# bounds), which `make test` leaves out because a busy machine can fail them.
perf: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s -m perf

# The full soak: 100,000 epochs through the real window, printing its memory and time figures, and
# 300 seeded random sequences of user actions with the state invariants checked after each
# (`make test` checks its numbers over 1,000 epochs, `make perf` its memory).
soak: $(STAMP)
	SOAK_EPOCHS=100000 SOAK_SEQUENCES=300 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -s -m soak -o faulthandler_timeout=1800 \
		tests/test_soak.py tests/test_state_invariants.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
