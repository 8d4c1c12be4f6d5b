"""Bad CSV and session files are refused with a message that says where; the engine needs no Qt."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

import pytest

from simulator.dataset import load_csv, read_csv_text
from simulator.errors import ConfigError, DatasetError, SessionError
from simulator.examples import EXAMPLES_DIR, load_example
from simulator.limits import MAX_CELL_MAGNITUDE, MAX_HIDDEN_LAYERS, MAX_LAYER_SIZE
from simulator.session import FORMAT, load, loads
from simulator.training import Training

ROOT = Path(__file__).resolve().parent.parent


# -- CSV -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("a,b,y\n1,2,3\n4,5\n", ["line 3", "row 2", "2 cells", "3 columns"]),
    ("a,b,y\n1,2,3\n4,5,6,7\n", ["line 3", "row 2", "4 cells"]),
    ("a,b,y\n1,2,3\n4,abc,6\n", ["line 3", "row 2", "column 'b'", "'abc' is not a number"]),
    ("a,b,y\n1,,3\n", ["line 2", "row 1", "column 'b'", "empty"]),
    ("a,b,y\n1,2,nan\n", ["line 2", "row 1", "column 'y'", "not a finite number"]),
    ("a,b,y\n1,2,3\n1,1e999,3\n", ["line 3", "row 2", "column 'b'", "not a finite number"]),
    ("a,b,y\n\n\n1,2,x\n", ["line 4", "row 1", "column 'y'"]),
    ("a,,y\n1,2,3\n", ["column 2 of the header has no name"]),
    ("a,a,y\n1,2,3\n", ["repeats a column name"]),
    ("", ["empty"]),
    ("\n  \n", ["empty"]),
    ("a,b,y\n", ["header but no data rows"]),
    ("a,b\x00,y\n1,2,3\n", ["binary data"]),
])
def test_bad_csv_text_is_refused_naming_the_place(text, expected):
    with pytest.raises(DatasetError) as raised:
        read_csv_text(text)
    for part in expected:
        assert part in str(raised.value)


def test_csv_with_missing_columns_names_them():
    with pytest.raises(DatasetError, match="no column 'z'.*the columns are a, b, y"):
        read_csv_text("a,b,y\n1,2,3\n", inputs=["a", "z"], targets=["y"])
    with pytest.raises(DatasetError, match="no column 'target'"):
        read_csv_text("a,b,y\n1,2,3\n", targets=["target"])


def test_csv_reads_and_chooses_the_last_column_as_target():
    dataset = read_csv_text("cgpa, resume ,lpa\r\n8,8,4\r\n\r\n7, 9 ,5\r\n")
    assert dataset.inputs == ["cgpa", "resume"] and dataset.targets == ["lpa"]
    assert dataset.rows.tolist() == [[8, 8, 4], [7, 9, 5]]


def test_non_binary_targets_are_refused_for_bce():
    session = load_example("classification")
    dataset = read_csv_text("cgpa,profile_score,placed\n8,8,1\n7,9,0\n6,10,2\n")
    with pytest.raises(DatasetError, match=r"row 3, column 'placed': target 2 is outside \[0, 1\]"):
        Training(session.network, dataset, "bce")
    negative = read_csv_text("cgpa,profile_score,placed\n8,8,-0.5\n")
    with pytest.raises(DatasetError, match=r"row 1, column 'placed': target −0.5 is outside \[0, 1\]"):
        Training(session.network, negative, "bce")
    # Soft targets inside [0, 1] are fine.
    Training(session.network, read_csv_text("cgpa,profile_score,placed\n8,8,0.25\n"), "bce")


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DatasetError, match="picture.csv"):
        load_csv(path)


def test_wrong_encoding_is_refused_naming_the_byte(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("note,y\n1,2\n".encode() + "é,3\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"latin1.csv is not UTF-8 text \(byte 12 "):
        load_csv(path)


def test_missing_csv_file(tmp_path):
    with pytest.raises(DatasetError, match="cannot read nothing.csv"):
        load_csv(tmp_path / "nothing.csv")


def test_utf8_csv_file_with_bom_loads(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("\ufeffx,y\n1,2\n3,4\n".encode("utf-8"))
    dataset = load_csv(path)
    assert dataset.columns == ["x", "y"] and dataset.rows.tolist() == [[1, 2], [3, 4]]


# -- session files ---------------------------------------------------------------------------------
@pytest.fixture
def regression_data():
    return json.loads((EXAMPLES_DIR / "regression.json").read_text(encoding="utf-8"))


def refused(data, *parts: str) -> str:
    with pytest.raises(SessionError) as raised:
        loads(json.dumps(data))
    message = str(raised.value)
    for part in parts:
        assert part in message, message
    return message


def edited(data, change):
    data = copy.deepcopy(data)
    change(data)
    return data


def test_the_examples_load_and_round_trip(regression_data, tmp_path):
    session = loads(json.dumps(regression_data))
    saved = session.to_dict()
    assert {key: saved[key] for key in regression_data if key != "training"} == \
        {key: value for key, value in regression_data.items() if key != "training"}
    assert regression_data["training"].items() <= saved["training"].items()
    path = tmp_path / "saved.json"
    session.save(path)
    assert load(path).to_dict() == saved
    assert [p.name for p in tmp_path.iterdir()] == ["saved.json"]  # no temporary file left behind


def test_wrong_weight_shape_names_the_layer(regression_data):
    refused(edited(regression_data, lambda d: d["network"]["layers"][0].__setitem__("weights", [[0.1, 0.1]])),
            "network.layers[0].weights", "expected shape 2 × 2", "got 1 × 2")
    refused(edited(regression_data, lambda d: d["network"]["layers"][1].__setitem__("weights", [[0.1], [0.1], [0.1]])),
            "network.layers[1].weights", "expected shape 2 × 1")
    refused(edited(regression_data, lambda d: d["network"]["layers"][1].__setitem__("biases", [0.0, 0.0])),
            "network.layers[1].biases", "expected shape 1")
    refused(edited(regression_data, lambda d: d["network"]["layers"][0]["weights"][1].__setitem__(0, "x")),
            "network.layers[0].weights", "number")
    refused(edited(regression_data, lambda d: d["network"].__setitem__("outputs", ["a", "b"])),
            "network.outputs", "2 names", "1 neurons")


def test_unknown_activation_names_the_layer(regression_data):
    refused(edited(regression_data, lambda d: d["network"]["layers"][1].__setitem__("activation", "softplus")),
            "network.layers[1]", "unknown activation 'softplus'", "sigmoid")


@pytest.mark.parametrize("old, new, field, reason", [
    ('"learning_rate": 0.001', '"learning_rate": NaN', "training.learning_rate", "NaN is not a finite number"),
    ('"weight": 0.1', '"weight": -Infinity', "initialisation.weight", "-Infinity is not a finite number"),
    ('          0.1,\n', '          Infinity,\n', "network.layers[0].weights[0][0]", "Infinity is not a finite number"),
    ('        4.0\n', '        NaN\n', "dataset.rows[0][2]", "NaN is not a finite number"),
    ('        4.0\n', '        1e999\n', "dataset.rows[0][2]", "1e999 is too large to represent"),
    ('          0.1,\n', '          -1e400,\n', "network.layers[0].weights[0][0]", "-1e400 is too large to represent"),
    ('          0.1,\n', f'          {"9" * 5001},\n', "network.layers[0].weights[0][0]",
     "a number of 5,001 digits is too large to represent"),
    ('          0.1,\n', f'          {10 ** 400},\n', "network.layers[0].weights[0][0]",
     "a number of 401 digits is too large to represent"),
    ('"seed": 0', f'"seed": {"1" * 5000}', "training.seed", "a number of 5,000 digits is too large to represent"),
])
def test_nan_infinity_and_overflow_name_their_field(old, new, field, reason):
    text = (EXAMPLES_DIR / "regression.json").read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(SessionError) as raised:
        loads(text.replace(old, new, 1))
    assert str(raised.value) == f"{field}: {reason}"


def test_newer_format_version_is_refused(regression_data):
    refused(edited(regression_data, lambda d: d.__setitem__("format", "backprop-sim/2")),
            "backprop-sim/2", FORMAT, "newer version")
    refused(edited(regression_data, lambda d: d.__setitem__("format", "something-else")), "format")


@pytest.mark.parametrize("path, field", [
    (("network",), "'network' is missing"),
    (("network", "inputs"), "network: the field 'inputs' is missing"),
    (("network", "layers"), "network: the field 'layers' is missing"),
    (("loss",), "'loss' is missing"),
    (("training",), "'training' is missing"),
    (("dataset",), "'dataset' is missing"),
    (("dataset", "rows"), "dataset: the field 'rows' is missing"),
])
def test_missing_fields_are_named(regression_data, path, field):
    def remove(data):
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]
    refused(edited(regression_data, remove), field)


def test_missing_layer_field_names_the_layer(regression_data):
    refused(edited(regression_data, lambda d: d["network"]["layers"][1].pop("biases")),
            "network.layers[1]: the field 'biases' is missing")


def test_bad_values_name_their_field(regression_data):
    refused(edited(regression_data, lambda d: d["training"].__setitem__("epochs", 2.5)), "training.epochs")
    refused(edited(regression_data, lambda d: d["training"].__setitem__("batch_size", "half")), "training.batch_size")
    refused(edited(regression_data, lambda d: d["training"].__setitem__("learning_rate", 0)), "learning rate")
    refused(edited(regression_data, lambda d: d["initialisation"].__setitem__("seed", 1.5)), "initialisation seed")
    refused(edited(regression_data, lambda d: d["dataset"]["rows"][2].__setitem__(1, "ten")),
            "dataset.rows[2][1]", "column 'resume_score'")
    refused(edited(regression_data, lambda d: d["dataset"]["rows"].__setitem__(1, [7.0, 9.0])),
            "dataset.rows[1]", "3 numbers")
    refused(edited(regression_data, lambda d: d["dataset"].__setitem__("targets", ["salary"])), "no column 'salary'")


def test_full_batch_is_read_as_zero(regression_data):
    session = loads(json.dumps(edited(regression_data, lambda d: d["training"].__setitem__("batch_size", "full"))))
    assert session.training.batch_size == 0
    assert session.make_training().batch_size == len(session.dataset)


def test_bce_on_a_linear_output_is_refused(regression_data):
    refused(edited(regression_data, lambda d: d.__setitem__("loss", "bce")), "sigmoid", "linear")
    refused(edited(regression_data, lambda d: d.__setitem__("loss", "hinge")), "unknown loss 'hinge'")


def test_bce_with_targets_outside_0_1_is_refused():
    data = json.loads((EXAMPLES_DIR / "classification.json").read_text(encoding="utf-8"))
    data["dataset"]["rows"][3][2] = 3.0
    refused(data, "row 4", "column 'placed'", "outside [0, 1]")


def test_session_files_that_are_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "backprop-sim/1",\n  "network": [1, 2,]\n}', encoding="utf-8")
    with pytest.raises(SessionError, match=r"not valid JSON \(line 2, column"):
        load(path)
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SessionError, match="broken.json is not a session file"):
        load(path)
    with pytest.raises(SessionError, match="cannot read missing.json"):
        load(tmp_path / "missing.json")
    with pytest.raises(SessionError, match="JSON object"):
        loads("[1, 2, 3]")


def test_saving_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    session = load_example("regression")
    path = tmp_path / "session.json"
    session.save(path)
    before = path.read_bytes()
    session.network.set("w111", 0.5)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("simulator.session.os.replace", fail)
    with pytest.raises(SessionError, match="cannot save session.json: No space left on device"):
        session.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["session.json"]


def test_config_errors_name_the_setting():
    session = load_example("regression")
    for changes, words in [({"epochs": 0}, "epochs"), ({"learning_rate": float("nan")}, "learning rate"),
                           ({"order": "random"}, "order"), ({"batch_size": -1}, "batch size"),
                           ({"tolerance": -1.0}, "tolerance"), ({"epochs": True}, "epochs")]:
        with pytest.raises(ConfigError, match=words):
            session.training.with_changes(**changes)


# -- hostile files: nothing escapes, nothing blocks, nothing is half-written -----------------------
def _fifo(tmp_path: Path, name: str) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("this system has no named pipes")
    path = tmp_path / name
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_unread_as_a_session_or_a_csv(tmp_path):
    with pytest.raises(SessionError, match=r"cannot read work.json: it is a named pipe \(FIFO\), not a session file"):
        load(_fifo(tmp_path, "work.json"))
    with pytest.raises(DatasetError, match=r"cannot read data.csv: it is a named pipe \(FIFO\), not a CSV file"):
        load_csv(_fifo(tmp_path, "data.csv"))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_a_device_is_refused_unread():
    with pytest.raises(SessionError, match="cannot read zero: it is a device, not a session file"):
        load("/dev/zero")
    with pytest.raises(DatasetError, match="cannot read zero: it is a device, not a CSV file"):
        load_csv("/dev/zero")


def test_a_nul_in_a_path_is_a_message(tmp_path):
    with pytest.raises(SessionError, match="a file name cannot contain a NUL character"):
        load(tmp_path / "wo\x00rk.json")
    with pytest.raises(DatasetError, match="a file name cannot contain a NUL character"):
        load_csv(tmp_path / "da\x00ta.csv")
    with pytest.raises(SessionError, match="cannot save 'work.json': a file name cannot contain a NUL character"):
        load_example("xor").save(str(tmp_path / "\x00work.json"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["title", "description", "columns"])
def test_an_unpaired_surrogate_is_refused_at_load_naming_the_field(regression_data, where):
    def put(data):
        if where == "columns":
            data["dataset"]["columns"][0] = "cg\ud800pa"
        else:
            data[where] = "a \udfff b"
    field = "dataset.columns[0]" if where == "columns" else where
    message = refused(edited(regression_data, put), f"{field}: the text holds an unpaired surrogate (U+")
    message.encode("utf-8")    # the message itself can be printed


def test_a_surrogate_in_a_field_name_is_refused(regression_data):
    refused(edited(regression_data, lambda d: d.__setitem__("\ud800", 1)), "a field name holds an unpaired surrogate")


def test_a_paired_surrogate_escape_is_an_ordinary_character(regression_data):
    text = json.dumps(edited(regression_data, lambda d: d.__setitem__("title", "\U0001F600 smile")))
    assert "\\ud83d\\ude00" in text and loads(text).title == "\U0001F600 smile"


def test_a_save_that_cannot_encode_its_text_leaves_the_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "work.json"
    session = load_example("regression")
    session.save(path)
    before = path.read_bytes()
    session.title = "broken \ud800 title"
    with pytest.raises(SessionError, match=r"cannot save work.json: the text holds an unpaired surrogate \(U\+D800\)"):
        session.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["work.json"]


def test_a_save_interrupted_by_any_exception_removes_its_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "work.json"
    session = load_example("regression")
    session.save(path)
    before = path.read_bytes()

    def interrupt(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr("simulator.session.os.fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        session.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["work.json"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_saving_through_a_symbolic_link_writes_the_file_it_points_to(tmp_path):
    real_folder, link_folder = tmp_path / "real", tmp_path / "links"
    real_folder.mkdir()
    link_folder.mkdir()
    target, link = real_folder / "work.json", link_folder / "work.json"
    load_example("regression").save(target)
    os.chmod(target, 0o640)
    link.symlink_to(target)
    session = load_example("regression")
    session.title = "saved through the link"
    session.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target).title == "saved through the link" and (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in real_folder.iterdir()) == ["work.json"]
    assert sorted(p.name for p in link_folder.iterdir()) == ["work.json"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_saving_through_a_dangling_link_creates_the_file_it_names(tmp_path):
    target, link = tmp_path / "made.json", tmp_path / "link.json"
    link.symlink_to(target)
    load_example("xor").save(link)
    assert link.is_symlink() and load(target).title == load_example("xor").title


# -- the domain's limits: files accept what the app accepts ----------------------------------------
def _layers(sizes: list[int]) -> list[dict]:
    return [{"activation": "linear", "weights": [[0.1] * n_out] * n_in, "biases": [0.0] * n_out}
            for n_in, n_out in zip(sizes, sizes[1:])]


def test_a_file_with_more_hidden_layers_than_the_app_builds_is_refused(regression_data):
    assert MAX_HIDDEN_LAYERS == 8
    loads(json.dumps(edited(regression_data, lambda d: d["network"].__setitem__("layers", _layers([2] + [1] * 9)))))
    refused(edited(regression_data, lambda d: d["network"].__setitem__("layers", _layers([2] + [1] * 10))),
            "network.layers: 9 hidden layers; the limit is 8")


def test_a_file_with_a_larger_hidden_layer_than_the_app_builds_is_refused(regression_data):
    assert MAX_LAYER_SIZE == 64
    loads(json.dumps(edited(regression_data, lambda d: d["network"].__setitem__("layers", _layers([2, 64, 1])))))
    refused(edited(regression_data, lambda d: d["network"].__setitem__("layers", _layers([2, 3, 65, 1]))),
            "network.layers[1]: 65 neurons; a hidden layer can have at most 64")


def test_a_cell_beyond_the_apps_limit_is_refused_in_a_file_and_a_csv(regression_data):
    assert MAX_CELL_MAGNITUDE == 1e12
    loads(json.dumps(edited(regression_data, lambda d: d["dataset"]["rows"][1].__setitem__(0, -1e12))))
    refused(edited(regression_data, lambda d: d["dataset"]["rows"][1].__setitem__(0, -1.5e12)),
            "dataset.rows[1][0] (column 'cgpa'): -1.5e+12 is beyond the limit of ±1e+12 for a cell")
    assert read_csv_text("a,y\n1e12,1\n").rows[0, 0] == 1e12
    with pytest.raises(DatasetError, match=r"line 2 \(row 1\), column 'a': 2e12 is beyond the limit of ±1e\+12"):
        read_csv_text("a,y\n2e12,1\n")


def test_a_huge_trained_weight_still_opens_and_may_be_typed_too(regression_data, tmp_path):
    """Training and initialisation move weights far; what Save wrote must open again, and the app takes
    the same values by hand (one rule for files, the command line and the app)."""
    from simulator.run import Run
    session = loads(json.dumps(edited(regression_data,
                                      lambda d: d["network"]["layers"][0]["weights"][0].__setitem__(0, 1e200))))
    session.save(tmp_path / "trained.json")
    assert load(tmp_path / "trained.json").network.get("w111") == 1e200
    run = Run(load(tmp_path / "trained.json")).set_parameter("w121", 1e200)
    assert run.training.network.get("w121") == 1e200


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saving_keeps_the_permissions_a_file_should_have(tmp_path):
    session = load_example("regression")
    path = tmp_path / "new.json"
    session.save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not private like a temporary file
    path.chmod(0o640)
    session.save(path)
    assert path.stat().st_mode & 0o777 == 0o640
