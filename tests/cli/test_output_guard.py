"""Commands that write folders never delete what they did not write (issue #15, items 1, 2 and 15).

The first tests are the destructive cases the issue found: before the guard, ``export --overwrite`` deleted the
source model when the output held it or was it, and the current folder with ``--output .``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from specialize.cli.main import main
from specialize.data.io import write_documents
from specialize.utils.output_folder import read_marker
from specialize.utils.permissions import current_umask


@pytest.fixture()
def model(tiny_specialist, tmp_path) -> Path:
    """A copy of the tiny specialist in ``tmp_path/s/m``: these tests try to destroy it."""
    copy = tmp_path / "s" / "m"
    shutil.copytree(tiny_specialist, copy)
    return copy


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("error: "), err
    return err


def test_export_refuses_an_output_that_holds_the_source(model, capsys):
    before = _files(model)
    assert main(["export", str(model), "--output", str(model.parent), "--overwrite"]) == 2
    assert "holds" in _one_error_line(capsys)
    assert _files(model) == before


def test_export_refuses_the_source_folder_itself(model, capsys):
    before = _files(model)
    assert main(["export", str(model), "--output", str(model), "--overwrite"]) == 2
    assert "which this command reads" in _one_error_line(capsys)
    assert _files(model) == before and (model / "model.safetensors").is_file()


def test_export_refuses_the_current_folder(model, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    (work / "precious.txt").write_text("the user's")
    monkeypatch.chdir(work)
    assert main(["export", str(model), "--output", ".", "--overwrite"]) == 2
    assert "current folder" in _one_error_line(capsys)
    assert (work / "precious.txt").read_text() == "the user's"


def test_export_inside_the_source_is_refused(model, capsys):
    assert main(["export", str(model), "--output", str(model / "onnx")]) == 2
    assert "is inside" in _one_error_line(capsys)
    assert not (model / "onnx").exists()


def test_export_to_an_existing_folder_is_one_error_line_and_overwrite_replaces_only_its_own(model, tmp_path, capsys):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("x")
    assert main(["export", str(model), "--output", str(theirs), "--overwrite"]) == 2
    assert "did not write" in _one_error_line(capsys) and (theirs / "notes.txt").read_text() == "x"

    out = tmp_path / "onnx"
    assert main(["export", str(model), "--output", str(out)]) == 0
    capsys.readouterr()
    marker = read_marker(out)
    assert marker is not None and marker["kind"] == "export" and "model.onnx" in marker["files"]
    mask = current_umask()
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~mask for p in out.iterdir()), "files readable like any other"
    assert main(["export", str(model), "--output", str(out)]) == 2  # was: a FileExistsError traceback
    assert "--overwrite" in _one_error_line(capsys)
    assert main(["export", str(model), "--output", str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["onnx", "s", "theirs"]  # no staging folder left


@pytest.fixture()
def train_argv(tiny_base, tmp_path):
    from tests.conftest import tiny_sentences

    data = tmp_path / "train.conll"
    write_documents(tiny_sentences(), data)
    sets = ["training.epochs=1", "training.batch_size=4", "training.bf16=false"]
    return ["train", "--train", str(data), "--base", str(tiny_base), "--no-progress"] + [
        arg for s in sets for arg in ("--set", s)
    ]


def test_train_refuses_an_existing_folder_it_did_not_write(train_argv, tmp_path, capsys):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "config.json").write_text('{"mine": true}')
    assert main([*train_argv, "--output", str(theirs)]) == 2
    assert "did not write" in _one_error_line(capsys)
    assert json.loads((theirs / "config.json").read_text()) == {"mine": True}
    assert main([*train_argv, "--output", str(tmp_path), "--overwrite"]) == 2  # holds the training data
    assert "holds" in _one_error_line(capsys)


def test_train_writes_readable_weights_and_replaces_its_own_folder_only_with_overwrite(train_argv, tmp_path, capsys):
    out = tmp_path / "runs" / "m"
    assert main([*train_argv, "--output", str(out)]) == 0
    marker = read_marker(out)
    assert marker is not None and marker["kind"] == "train" and "model.safetensors" in marker["files"]
    assert (out / "model.safetensors").stat().st_mode & 0o777 == 0o666 & ~current_umask()  # transformers: 0600
    capsys.readouterr()
    assert main([*train_argv, "--output", str(out)]) == 2
    assert "pass --overwrite" in _one_error_line(capsys)
    (out / "scores.json").write_text("{}")  # the user's file in the model folder
    assert main([*train_argv, "--output", str(out), "--overwrite"]) == 2
    assert "scores.json" in _one_error_line(capsys)
    (out / "scores.json").unlink()
    assert main([*train_argv, "--output", str(out), "--overwrite"]) == 0
    assert main(["distill", "--teacher", str(out), "--train", train_argv[2], "--output", str(out), "--overwrite"]) == 2
    assert "which this command reads" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["distill", "train-static", "train-linker"])
def test_every_folder_writing_command_has_overwrite_and_refuses_foreign_folders(command, tmp_path, capsys):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("x")
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a", "spans": []}\n')
    teacher = {"distill": ["--teacher", "gazetteer:none.tsv"], "train-static": ["--teacher", "x"]}.get(command, [])
    assert main([command, *teacher, "--train", str(data), "--output", str(theirs), "--overwrite"]) == 2
    assert "did not write" in _one_error_line(capsys) and (theirs / "keep.txt").read_text() == "x"
