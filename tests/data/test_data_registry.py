"""Dataset registry: names and aliases, mirror lookup, and verified downloads from a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from specialize.data import registry
from specialize.data.errors import DatasetError
from specialize.data.io import Format

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"
SHARED = Path(os.environ.get("SPECIALIZE_DATA_DIR") or Path(__file__).parents[3] / "shared" / "data")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No mirror, a private cache, and a cwd without ../shared/data."""
    monkeypatch.delenv("SPECIALIZE_DATA_DIR", raising=False)
    monkeypatch.setenv("SPECIALIZE_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path


def _serve_conll_test(monkeypatch: pytest.MonkeyPatch, url: str, sha256: str | None) -> None:
    split = registry.Split("conll2003/test.txt", Format.CONLL, url, sha256)
    dataset = replace(registry.DATASETS["conll2003"], splits={"test": split})
    monkeypatch.setitem(registry.DATASETS, "conll2003", dataset)


def test_names_and_aliases() -> None:
    dataset, split = registry.parse_name("NCBI_disease:devel")
    assert (dataset.name, split) == ("ncbi-disease", "dev")
    assert registry.parse_name("conll2003:validation")[1] == "dev"
    assert "meddocan:train" in registry.list_datasets() and "german-ler:test" in registry.list_datasets()
    with pytest.raises(DatasetError, match=r"unknown dataset 'imdb'.*conll2003, ncbi-disease"):
        registry.resolve("imdb:train")
    with pytest.raises(DatasetError, match="'wnut17' has no split 'test'; use one of: wnut17:train, wnut17:dev"):
        registry.resolve("wnut17:test")
    with pytest.raises(DatasetError, match="needs a split"):
        registry.load("conll2003")


def test_mirror_from_env(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = isolated / "mirror"
    (mirror / "conll2003").mkdir(parents=True)
    shutil.copy(FIXTURES / "sample_iob2.conll", mirror / "conll2003" / "test.txt")
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(mirror))
    assert registry.resolve("conll2003:test") == mirror / "conll2003" / "test.txt"
    docs = registry.load("conll2003:test")
    assert [d.id for d in docs] == ["test:1", "test:2", "test:3"]


def test_mirror_next_to_cwd(isolated: Path) -> None:
    shared = isolated / "shared" / "data" / "wnut17"
    shared.mkdir(parents=True)
    shutil.copy(FIXTURES / "sample_iob1.conll", shared / "emerging.dev.conll")
    assert registry.resolve("wnut17:dev").resolve() == (shared / "emerging.dev.conll").resolve()


def test_download_verifies_and_caches(
    isolated: Path, server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    payload = (FIXTURES / "sample_iob2.conll").read_bytes()
    (root / "test.txt").write_bytes(payload)
    _serve_conll_test(monkeypatch, f"{base}/test.txt", hashlib.sha256(payload).hexdigest())
    path = registry.resolve("conll2003:test")
    assert path == isolated / "cache" / "datasets" / "conll2003" / "test.txt"
    assert path.read_bytes() == payload
    (root / "test.txt").unlink()  # a second call must use the cache, not the server
    assert len(registry.load("conll2003:test")) == 3


def test_sha256_mismatch_deletes_the_file(
    isolated: Path, server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    (root / "test.txt").write_bytes(b"tampered O\n")
    expected = "0" * 64
    actual = hashlib.sha256(b"tampered O\n").hexdigest()
    _serve_conll_test(monkeypatch, f"{base}/test.txt", expected)
    with pytest.raises(DatasetError, match=f"expected {expected}, got {actual}; the download was deleted"):
        registry.resolve("conll2003:test")
    folder = isolated / "cache" / "datasets" / "conll2003"
    assert list(folder.iterdir()) == []  # neither the file nor a partial download is left


def test_download_failure_and_no_download(
    isolated: Path, server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = server
    _serve_conll_test(monkeypatch, f"{base}/missing.txt", None)
    with pytest.raises(DatasetError, match=r"download of .*missing\.txt failed.*SPECIALIZE_DATA_DIR"):
        registry.resolve("conll2003:test")
    with pytest.raises(DatasetError, match=r"neither mirrored .* nor cached"):
        registry.resolve("conll2003:test", download=False)


def test_mirror_only_splits(isolated: Path) -> None:
    expected = r"meddocan:train is not in any mirror.*folder downloads are not supported.*SPECIALIZE_DATA_DIR"
    with pytest.raises(DatasetError, match=expected + r" to a folder containing meddocan/corpus/train/brat"):
        registry.resolve("meddocan:train")
    with pytest.raises(DatasetError, match="no pinned download"):
        registry.resolve("inlegalner:dev")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data mirror not available")
def test_registered_checksums_match_the_mirror() -> None:
    checked = 0
    for dataset in registry.DATASETS.values():
        for split in dataset.splits.values():
            path = SHARED / split.path
            assert path.exists(), f"{dataset.name}: {split.path} missing from the mirror"
            if split.sha256 is not None:
                assert hashlib.sha256(path.read_bytes()).hexdigest() == split.sha256, split.path
                checked += 1
            if split.url is not None:
                assert split.url.startswith("https://raw.githubusercontent.com/")
    assert checked >= 20
