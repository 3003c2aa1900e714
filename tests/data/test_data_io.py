"""Format detection, read/write dispatch, folders, raw text input and dataset names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.io import Format, detect_format, read_documents, read_texts, write_documents

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sample_iob2.conll", Format.CONLL),
        ("sample_bioes.tsv", Format.CONLL),
        ("sample.jsonl", Format.JSONL),
        ("label_studio.json", Format.JSONL),
        ("sample_pubtator.txt", Format.PUBTATOR),
        ("brat", Format.BRAT),
        ("brat/case1.txt", Format.BRAT),
        ("brat/case1.ann", Format.BRAT),
    ],
)
def test_detect_format(name: str, expected: Format) -> None:
    assert detect_format(FIXTURES / name) is expected


def test_detection_from_content_and_failure(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "sample_iob1.conll", tmp_path / "train.txt")
    assert detect_format(tmp_path / "train.txt") is Format.CONLL
    shutil.copy(FIXTURES / "sample_pubtator.txt", tmp_path / "corpus.data")
    assert detect_format(tmp_path / "corpus.data") is Format.PUBTATOR
    with pytest.raises(DataFormatError, match=r"texts\.txt:1: cannot tell the format.*pass format="):
        detect_format(FIXTURES / "texts.txt")


def test_folder_of_one_format_and_mixed_folder(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "sample_iob1.conll", tmp_path / "b.conll")
    shutil.copy(FIXTURES / "sample_bioes.tsv", tmp_path / "a.tsv")
    (tmp_path / "README.md").write_text("# not data")
    docs = read_documents(tmp_path)
    assert [d.id for d in docs] == ["a:1", "b:1", "b:2"]  # files in name order, README skipped
    shutil.copy(FIXTURES / "sample.jsonl", tmp_path / "c.jsonl")
    with pytest.raises(DataFormatError, match="folder mixes formats"):
        read_documents(tmp_path)
    assert len(read_documents(tmp_path / "c.jsonl")) == 4


def test_read_with_explicit_format_and_options(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "sample_iob1.conll", tmp_path / "data.whatever")
    docs = read_documents(tmp_path / "data.whatever", format="iob", scheme="iob1")
    assert len(docs[0].spans) == 3
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        read_documents(tmp_path / "data.whatever", format="xml")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_documents(tmp_path / "missing.conll")


@pytest.mark.parametrize("name", ["out.jsonl", "out.conll", "out.pubtator", "out_brat"])
def test_write_documents_by_suffix(tmp_path: Path, name: str) -> None:
    docs = [Document("Alice met Bob", [Span(0, 5, "PER"), Span(10, 13, "PER")], id="d1")]
    write_documents(docs, tmp_path / name)
    again = read_documents(tmp_path / name)
    assert [(d.text, d.spans) for d in again] == [(docs[0].text, docs[0].spans)]
    with pytest.raises(DataFormatError, match="no format for suffix"):
        write_documents(docs, tmp_path / "out.xml")


def test_read_texts() -> None:
    lines = read_texts(FIXTURES / "texts.txt")
    assert [(d.id, d.text) for d in lines] == [("texts:1", "First text line."), ("texts:4", "Second line.")]
    rows = read_texts(FIXTURES / "texts.csv", text_field="note")
    assert [(d.id, d.text, d.meta) for d in rows] == [
        ("n1", "Chest pain, two days.", {"specialty": "Cardio"}),
        ("n2", "Line one\nline two", {"specialty": "Neuro"}),
    ]
    with pytest.raises(DataFormatError, match=r"texts\.csv:1: no column 'text'.*text_field="):
        read_texts(FIXTURES / "texts.csv")
    records = read_texts(FIXTURES / "sample.jsonl")
    assert [d.id for d in records][:2] == ["a", "sample:2"] and all(not d.spans for d in records)
    assert [d.text for d in read_texts(FIXTURES / "label_studio.json")] == [
        "Anna flew to Oslo.",
        "Nothing here.",
    ]
    assert [d.id for d in read_texts(FIXTURES / "brat")] == ["case1", "case2"]


def test_dataset_names_go_to_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ncbi_disease" / "conll").mkdir(parents=True)
    shutil.copy(FIXTURES / "sample_iob2.conll", tmp_path / "ncbi_disease" / "conll" / "test.tsv")
    monkeypatch.setenv("SPECIALIZE_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert len(read_documents("ncbi-disease:test")) == 3
    assert all(not d.spans for d in read_texts("ncbi_disease:test"))
    from specialize.data.errors import DatasetError

    with pytest.raises(DatasetError, match=r"unknown dataset 'nope'.*conll2003"):
        read_documents("nope:train")


def test_undetectable_format_names_the_line_and_the_format_it_broke(tmp_path: Path) -> None:
    """Issue #15 item 9: a CoNLL file with a bad tag said "cannot tell the format" without a line."""
    path = tmp_path / "train.conll.bak"
    path.write_text("-DOCSTART- -X- O O\n\nEU B-ORG\nrejects O\nGerman B_MISC\ncall O\n", encoding="utf-8")
    with pytest.raises(DataFormatError) as caught:
        detect_format(path)
    assert caught.value.line == 5
    message = str(caught.value)
    assert message.startswith(f"{path}:5: cannot tell the format")
    assert "not CoNLL: line 5 'German B_MISC': its last column 'B_MISC' is not a tag" in message
    assert "not JSON lines or PubTator (line 1" in message
    path.write_text("token\nsecond line here\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r":1: .*line 1 'token' has one column"):
        detect_format(path)
