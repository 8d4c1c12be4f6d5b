"""One reading of numbers: typed fields, CSV cells and the command line accept the same spellings."""

from __future__ import annotations

import math

import pytest

from simulator import cli
from simulator.dataset import read_csv_text
from simulator.errors import ConfigError, DatasetError
from simulator.numbers import (EMPTY, INFINITE, NAN, NOT_A_NUMBER, NOT_WHOLE, TOO_LARGE, NumberError, parse_number,
                               parse_whole)
from ui.parsing import parse_float

ACCEPTED = [("0.5", 0.5), (" 0.5 ", 0.5), ("\u00a00.5\t", 0.5), ("+0.5", 0.5), ("5e-1", 0.5), ("5e\u22121", 0.5),
            ("5E\u20131", 0.5), ("0.000_5e3", 0.5), ("\uff10.5", 0.5), (".5", 0.5), ("5.", 5.0), ("1_000", 1000.0)]
NEGATIVE = [("-2", -2.0), ("\u22122", -2.0), ("\u20132", -2.0), ("\uff0d2", -2.0), (" \u22122.5e\u22121 ", -0.25)]
REFUSED = [("", EMPTY), ("  ", EMPTY), ("1,5", NOT_A_NUMBER), ("1,000", NOT_A_NUMBER), ("1 000", NOT_A_NUMBER),
           ("1__0", NOT_A_NUMBER), ("0x10", NOT_A_NUMBER), ("--1", NOT_A_NUMBER), ("\u2212\u22121", NOT_A_NUMBER),
           ("½", NOT_A_NUMBER), ("1e", NOT_A_NUMBER), ("nan", NAN), ("-NaN", NAN), ("inf", INFINITE),
           ("\u2212Infinity", INFINITE), ("1e400", TOO_LARGE), ("\u22121e400", TOO_LARGE)]


@pytest.mark.parametrize("text, value", ACCEPTED + NEGATIVE)
def test_parse_number_accepts(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text, reason", REFUSED)
def test_parse_number_refuses_for_a_reason(text, reason):
    with pytest.raises(NumberError) as raised:
        parse_number(text)
    assert raised.value.reason == reason and str(raised.value)


def test_a_decimal_comma_is_refused_with_a_hint():
    with pytest.raises(NumberError, match=r"'1,5' is not a number \(write decimals with a point: 1.5\)"):
        parse_number("1,5")


@pytest.mark.parametrize("text, value", [("7", 7), (" +7 ", 7), ("\u22127", -7), ("1_000", 1000), ("\uff17", 7)])
def test_parse_whole_accepts(text, value):
    assert parse_whole(text) == value


@pytest.mark.parametrize("text, reason", [("", EMPTY), ("7.0", NOT_WHOLE), ("1e3", NOT_WHOLE), ("seven", NOT_WHOLE),
                                          ("9" * 5000, TOO_LARGE)])
def test_parse_whole_refuses(text, reason):
    with pytest.raises(NumberError) as raised:
        parse_whole(text)
    assert raised.value.reason == reason


# -- every entry point reads the same -------------------------------------------------------------
def _csv_cell(text: str) -> float:
    quoted = '"' + text.replace('"', '""') + '"'
    return float(read_csv_text(f"a,y\n{quoted},1\n").rows[0, 0])


def _cli_rate(text: str) -> float:
    return cli.build_parser().parse_args(["train", "--example", "regression", f"--lr={text}"]).lr


@pytest.mark.parametrize("text, value", ACCEPTED)
def test_typed_fields_csv_cells_and_the_command_line_accept_alike(text, value):
    assert parse_float(text, "x") == _csv_cell(text) == _cli_rate(text) == value


@pytest.mark.parametrize("text, value", NEGATIVE)
def test_every_minus_sign_is_read_alike(text, value, capsys):
    assert parse_float(text, "x") == _csv_cell(text) == value
    with pytest.raises(cli.UsageError, match="must be a finite number greater than 0"):   # read, then out of range
        _cli_rate(text)


@pytest.mark.parametrize("text, reason", REFUSED)
def test_typed_fields_csv_cells_and_the_command_line_refuse_alike(text, reason):
    with pytest.raises(ConfigError, match="^x"):
        parse_float(text, "x")
    with pytest.raises(DatasetError, match="column 'a'"):
        _csv_cell(text)
    with pytest.raises(cli.UsageError, match="learning rate must be a (finite )?number"):
        _cli_rate(text)


def test_whole_numbers_on_the_command_line_take_the_same_signs():
    args = cli.build_parser().parse_args(["train", "--example", "regression", "--epochs", " +3 ", "--seed", "1_000"])
    assert (args.epochs, args.seed) == (3, 1000)
    with pytest.raises(cli.UsageError, match="seed must be a whole number ≥ 0, not '\u22121'"):
        cli.build_parser().parse_args(["train", "--example", "regression", "--seed=\u22121"])


def test_a_csv_written_with_typographic_minus_signs_loads():
    dataset = read_csv_text("x,y\n\u22121.5,2\n3,\u22124e\u22121\n")
    assert dataset.rows.tolist() == [[-1.5, 2.0], [3.0, -0.4]] and all(map(math.isfinite, dataset.rows.ravel()))


@pytest.mark.parametrize("text, value", ACCEPTED)
def test_the_learning_rate_labs_list_reads_numbers_alike(text, value):
    from simulator.lr_lab import parse_rates

    assert parse_rates(f"0.25; {text}") == [0.25, value]
