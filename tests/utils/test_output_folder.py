"""The output-folder guard (issue #15, items 1, 2 and 15): what a command may replace, staging, commit, modes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from specialize.utils.output_folder import MARKER, OutputFolderError, claim_output, read_marker
from specialize.utils.permissions import current_umask


def _write(claim, files: dict[str, str]) -> Path:
    with claim.writing() as folder:
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    return claim.target


def test_a_new_folder_is_written_with_the_marker_listing_its_files(tmp_path):
    out = _write(claim_output(tmp_path / "runs" / "m", "train"), {"a.txt": "1", "sub/b.txt": "2"})
    assert (out / "a.txt").read_text() == "1" and (out / "sub" / "b.txt").read_text() == "2"
    marker = read_marker(out)
    assert marker is not None and marker["kind"] == "train" and marker["files"] == ["a.txt", "sub/b.txt"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["m"]  # no staging folder left


def test_files_and_folders_get_the_modes_the_umask_allows(tmp_path):
    with claim_output(tmp_path / "m", "export").writing() as folder:
        (folder / "weights.bin").write_text("w")
        (folder / "weights.bin").chmod(0o600)  # what transformers 5 does to model.safetensors
    mask = current_umask()
    assert (tmp_path / "m" / "weights.bin").stat().st_mode & 0o777 == 0o666 & ~mask
    assert (tmp_path / "m").stat().st_mode & 0o777 == 0o777 & ~mask


def test_an_error_while_writing_keeps_the_old_folder_and_leaves_no_staging(tmp_path):
    out = _write(claim_output(tmp_path / "m", "export"), {"model.onnx": "old"})
    claim = claim_output(out, "export", overwrite=True)
    with pytest.raises(RuntimeError, match="check failed"), claim.writing() as folder:
        (folder / "model.onnx").write_text("new")
        raise RuntimeError("check failed")
    assert (out / "model.onnx").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_overwrite_replaces_only_a_folder_of_the_same_command(tmp_path):
    out = _write(claim_output(tmp_path / "m", "export"), {"model.onnx": "old", "stale.txt": "x"})
    with pytest.raises(OutputFolderError, match="pass --overwrite"):
        claim_output(out, "export")
    with pytest.raises(OutputFolderError, match="written by specialize export; specialize train replaces only"):
        claim_output(out, "train", overwrite=True)
    _write(claim_output(out, "export", overwrite=True), {"model.onnx": "new"})
    assert (out / "model.onnx").read_text() == "new" and not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_a_folder_we_did_not_write_is_never_replaced(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("precious")
    for overwrite in (False, True):
        with pytest.raises(OutputFolderError, match="holds files that specialize did not write"):
            claim_output(theirs, "export", overwrite=overwrite)
    assert (theirs / "notes.txt").read_text() == "precious"


def test_files_added_to_our_folder_later_block_overwrite(tmp_path):
    out = _write(claim_output(tmp_path / "m", "train"), {"config.json": "{}"})
    (out / "scores.json").write_text("the user's")
    with pytest.raises(OutputFolderError, match=r"did not write \(scores.json\)"):
        claim_output(out, "train", overwrite=True)


def test_an_empty_folder_is_used_and_a_file_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    _write(claim_output(tmp_path / "empty", "train"), {"a": "1"})
    assert (tmp_path / "empty" / "a").is_file()
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match="is a file"):
        claim_output(tmp_path / "file", "train", overwrite=True)


def test_the_current_folder_and_its_parents_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for output in (".", str(work), ".."):
        with pytest.raises(OutputFolderError, match="current folder"):
            claim_output(output, "export", overwrite=True)


def test_sources_are_protected_whatever_the_marker(tmp_path):
    model = _write(claim_output(tmp_path / "s" / "m", "export"), {"model.onnx": "x"})
    data = tmp_path / "data.jsonl"
    data.write_text("{}\n")
    cases = [(model, "is .*which this command reads"), (tmp_path / "s", "holds"), (model / "sub", "is inside")]
    for output, message in cases:
        with pytest.raises(OutputFolderError, match=message):
            claim_output(output, "export", overwrite=True, sources=[model])
    with pytest.raises(OutputFolderError, match="holds"):
        claim_output(tmp_path, "train", sources=["conll2003:train", [str(data)], None])


def test_a_symbolic_link_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    with pytest.raises(OutputFolderError, match="symbolic link"):
        claim_output(tmp_path / "link", "train")


def test_an_output_that_changed_during_the_run_is_not_replaced_and_the_new_folder_is_kept(tmp_path):
    claim = claim_output(tmp_path / "m", "train")
    with pytest.raises(OutputFolderError, match="new folder is in") as caught, claim.writing() as folder:
        (folder / "model.bin").write_text("new")
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "theirs.txt").write_text("x")  # someone wrote the output meanwhile
    kept = Path(str(caught.value).rsplit("new folder is in ", 1)[1])
    assert (kept / "model.bin").read_text() == "new" and (tmp_path / "m" / "theirs.txt").read_text() == "x"
    assert json.loads((kept / MARKER).read_text())["files"] == ["model.bin"]


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = _write(claim_output(tmp_path / "m", "export"), {"model.onnx": "old"})
    real_rename = Path.rename

    def rename(self: Path, target):
        if self.name == "m" and self.parent != tmp_path:  # the staged new folder moving into place
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OutputFolderError, match=r"could not move the new folder .* it is kept in"):
        _write(claim_output(out, "export", overwrite=True), {"model.onnx": "new"})
    monkeypatch.undo()
    assert (out / "model.onnx").read_text() == "old"
