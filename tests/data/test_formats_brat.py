"""brat standoff folders: T lines, ignored lines, discontinuous spans, text checks, round trips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats import ReadReport, read_brat, write_brat

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"


def _pair(folder: Path, name: str, text: str, ann: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode("utf-8"))
    (folder / f"{name}.ann").write_bytes(ann.encode("utf-8"))
    return folder


def test_read_folder_counts_ignored_lines() -> None:
    report = ReadReport()
    docs = read_brat(FIXTURES / "brat", report=report)
    assert [d.id for d in docs] == ["case1", "case2"]
    assert [(docs[0].span_text(s), s.label) for s in docs[0].spans] == [
        ("Juan Pérez", "NOMBRE"),
        ("53 años", "EDAD"),
        ("Madrid", "TERRITORIO"),
    ]
    assert docs[1].spans == [] and docs[1].text == "Sin datos."
    assert report.ignored == {"# lines": 1, "A lines": 1, "R lines": 1}
    assert read_brat(FIXTURES / "brat" / "case1.ann") == docs[:1]


def test_discontinuous_error_or_split(tmp_path: Path) -> None:
    folder = _pair(tmp_path, "d", "left and right lung", "T1\tOrgan 0 4;15 19\tleft lung\n")
    with pytest.raises(DataFormatError, match=r"d\.ann:1: T1: discontinuous annotation.*discontinuous='split'"):
        read_brat(folder)
    report = ReadReport()
    doc = read_brat(folder, discontinuous="split", report=report)[0]
    assert doc.spans == [Span(0, 4, "Organ"), Span(15, 19, "Organ")]
    assert report.repairs == {"discontinuous annotation split": 1}


def test_text_mismatch_names_file_and_line(tmp_path: Path) -> None:
    folder = _pair(tmp_path, "m", "Hello world", "T1\tX 0 5\tHello\nT2\tX 6 11\tWorld\n")
    with pytest.raises(DataFormatError, match=r"m\.ann:2: T2: annotation text 'World' but the \.txt has 'world'"):
        read_brat(folder)


def test_offsets_count_carriage_returns(tmp_path: Path) -> None:
    folder = _pair(tmp_path, "c", "a\r\nBob", "T1\tPER 3 6\tBob\n")
    assert read_brat(folder)[0].spans == [Span(3, 6, "PER")]


def test_missing_files_and_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "lonely.txt").write_text("x")
    with pytest.raises(DataFormatError, match=r"lonely\.ann is missing.*empty \.ann is fine"):
        read_brat(tmp_path)
    folder = _pair(tmp_path / "b", "b", "x", "Q1\tsomething\n")
    with pytest.raises(DataFormatError, match=r"b\.ann:1: unknown annotation line"):
        read_brat(folder)


def test_round_trip(tmp_path: Path) -> None:
    docs = read_brat(FIXTURES / "brat")
    write_brat(docs, tmp_path / "out")
    assert read_brat(tmp_path / "out") == docs
    assert (tmp_path / "out" / "case1.txt").read_bytes() == (FIXTURES / "brat" / "case1.txt").read_bytes()


def test_writer_checks_ids_and_labels(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="unique ids"):
        write_brat([Document("a", id="x"), Document("b", id="x")], tmp_path / "dup")
    with pytest.raises(DataFormatError, match="label has spaces"):
        write_brat([Document("ab", [Span(0, 1, "A B")], id="y")], tmp_path / "lab")
    shutil.rmtree(tmp_path / "dup")
