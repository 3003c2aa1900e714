"""Errors a user can fix: one ``error:`` line naming the fix, exit code 2, no traceback; real bugs keep theirs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from specialize.cli.common import USAGE_ERROR
from specialize.cli.main import main
from specialize.errors import (
    ConfigError,
    DataError,
    DatasetError,
    InputNotFoundError,
    ModelFolderError,
    ModelNotFoundError,
    SpecializeError,
)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line[:2].isdigit()]  # log lines start with the time
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_a_dataset_name_typo_names_the_close_match(tmp_path, capsys):
    code = main(["train", "--train", "ncbi-diseas:train", "--output", str(tmp_path / "out"), "--epochs", "1"])
    assert code == USAGE_ERROR
    line = _one_error_line(capsys)
    assert "ncbi-diseas" in line and "ncbi-disease" in line, line


def test_a_missing_model_folder(tmp_path, capsys):
    (tmp_path / "in.txt").write_text("Aspirin helps.\n")
    code = main(["predict", str(tmp_path / "no-such-model"), "--input", str(tmp_path / "in.txt")])
    assert code == USAGE_ERROR
    assert "no-such-model" in _one_error_line(capsys)


def test_a_malformed_label_map(tiny_specialist, tmp_path, capsys):
    gold = tmp_path / "gold.conll"
    gold.write_text("Aspirin B-Chemical\nhelps O\n")
    code = main(["evaluate", str(tiny_specialist), "--data", str(gold), "--label-map", "Chemical"])
    assert code == USAGE_ERROR
    line = _one_error_line(capsys)
    assert "SOURCE=TARGET" in line, line


def test_a_model_folder_of_a_newer_format_version(tiny_specialist, tmp_path, capsys):
    folder = tmp_path / "future"
    shutil.copytree(tiny_specialist, folder)
    config = json.loads((folder / "config.json").read_text())
    config["specialize"]["format_version"] = 99
    (folder / "config.json").write_text(json.dumps(config))
    (tmp_path / "in.txt").write_text("Aspirin helps.\n")
    code = main(["predict", str(folder), "--input", str(tmp_path / "in.txt")])
    assert code == USAGE_ERROR
    line = _one_error_line(capsys)
    assert "format" in line and "pip install -U specialize" in line, line


def test_a_config_key_typo(tmp_path, capsys):
    config = tmp_path / "train.toml"
    config.write_text("[training]\nepoch = 3\n")
    code = main(["train", "--config", str(config), "--train", "x.conll", "--output", str(tmp_path / "out")])
    assert code == USAGE_ERROR
    assert "did you mean 'training.epochs'" in _one_error_line(capsys)


def test_a_real_bug_keeps_its_traceback(monkeypatch, tmp_path):
    from specialize.cli import predict

    def broken(args):
        raise ZeroDivisionError("a bug, not a usage error")

    monkeypatch.setattr(predict, "run", broken)
    with pytest.raises(ZeroDivisionError):
        main(["predict", str(tmp_path), "--input", str(tmp_path)])


@pytest.mark.parametrize(
    ("kind", "builtin"),
    [
        (ConfigError, ValueError),
        (DataError, ValueError),
        (DatasetError, RuntimeError),
        (ModelFolderError, ValueError),
        (ModelNotFoundError, FileNotFoundError),
        (InputNotFoundError, FileNotFoundError),
    ],
)
def test_each_kind_is_a_specialize_error_and_the_builtin_callers_catch(kind, builtin):
    # Code written against the builtins (except FileNotFoundError) keeps working; the CLI catches the base class.
    assert issubclass(kind, SpecializeError) and issubclass(kind, builtin)
    with pytest.raises(builtin):
        raise kind("x")


def test_missing_input_file_is_an_input_not_found_error(tmp_path):
    from specialize.data.io import read_documents

    with pytest.raises(InputNotFoundError, match="does not exist"):
        read_documents(Path(tmp_path / "missing.conll"))
