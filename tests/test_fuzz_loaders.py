"""Property-based fuzzing: the loaders raise only their documented error type, whatever they are fed."""

import json
import math

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from simulator.dataset import read_csv_text
from simulator.errors import DatasetError, SessionError
from simulator.examples import load_example
from simulator.session import loads

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e400", "abc", "1,5", "0x10", "−1", "\"2\"", "1e-400"]),
    st.text(max_size=6),
)


@FUZZ
@given(st.lists(st.lists(cells, min_size=0, max_size=5), min_size=0, max_size=6))
def test_csv_reader_raises_only_dataset_errors(table):
    text = "\n".join(",".join(row) for row in table)
    try:
        dataset = read_csv_text(text)
    except DatasetError as error:
        assert str(error)
    else:
        assert np.isfinite(dataset.rows).all()
        assert dataset.rows.shape[1] == len(dataset.columns)


@FUZZ
@given(st.text(max_size=300))
def test_csv_reader_on_arbitrary_text(text):
    try:
        read_csv_text(text)
    except DatasetError as error:
        assert str(error)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=8)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=20,
)


def _mutations():
    """A valid session with one field replaced by an arbitrary JSON value."""
    base = load_example("regression").to_dict()
    paths = [("format",), ("loss",), ("network",), ("network", "inputs"), ("network", "outputs"),
             ("network", "layers"), ("network", "layers", 0), ("network", "layers", 0, "weights"),
             ("network", "layers", 0, "biases"), ("network", "layers", 1, "activation"),
             ("network", "layers", 0, "weights", 1), ("training",), ("training", "learning_rate"),
             ("training", "epochs"), ("training", "batch_size"), ("training", "order"), ("training", "seed"),
             ("training", "tolerance"), ("training", "update_rule"), ("initialisation",), ("initialisation", "scheme"),
             ("dataset",), ("dataset", "columns"), ("dataset", "rows"), ("dataset", "rows", 2),
             ("dataset", "rows", 0, 1), ("dataset", "inputs"), ("dataset", "targets"), ("dataset", "standardise")]
    return st.tuples(st.sampled_from(paths), json_values).map(lambda item: _replace(base, *item))


def _replace(base, path, value):
    data = json.loads(json.dumps(base))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@FUZZ
@given(_mutations())
def test_session_loader_raises_only_session_errors(data):
    try:
        session = loads(json.dumps(data))
    except SessionError as error:
        assert str(error)
    else:
        assert session.network.all_finite()
        assert math.isfinite(session.training.learning_rate)


@FUZZ
@given(st.text(max_size=200))
def test_session_loader_on_arbitrary_text(text):
    try:
        loads(text)
    except SessionError as error:
        assert str(error)


@FUZZ
@given(st.lists(st.one_of(cells, st.sampled_from(["0.001", "1e-3", "\u22120.1", "0"])), max_size=12).map(
    lambda parts: ", ".join(parts)))
def test_learning_rate_lab_list_parses_or_names_the_bad_entry(text):
    from simulator.errors import ConfigError
    from simulator.lr_lab import MAX_RATES, parse_rates
    try:
        rates = parse_rates(text)
    except ConfigError as error:
        assert str(error).startswith("learning rates:")
    else:
        assert 1 <= len(rates) <= MAX_RATES and len(set(rates)) == len(rates)
        assert all(math.isfinite(rate) and rate > 0 for rate in rates)
