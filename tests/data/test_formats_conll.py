"""CoNLL/IOB reading and writing: schemes, DOCSTART, repairs, errors and exact round trips."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats import ReadReport, TagScheme, read_conll, write_conll

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_iob2_with_docstart() -> None:
    report = ReadReport()
    docs = read_conll(FIXTURES / "sample_iob2.conll", report=report)
    assert [d.id for d in docs] == ["sample_iob2:1", "sample_iob2:2", "sample_iob2:3"]
    assert [d.meta["doc_index"] for d in docs] == [0, 0, 1]
    first = docs[0]
    assert first.text == "EU rejects German call ."
    assert [(first.span_text(s), s.label) for s in first.spans] == [("EU", "ORG"), ("German", "MISC")]
    assert first.meta["tokens"][:2] == [[0, 2], [3, 10]]
    assert docs[1].spans == [Span(0, 15, "PER")]
    assert report.scheme == "iob2" and report.documents == 3 and report.spans == 4 and not report.repairs


def test_no_doc_index_without_docstart() -> None:
    docs = read_conll(FIXTURES / "sample_iob1.conll")
    assert all("doc_index" not in d.meta for d in docs)


def test_iob1_is_detected_and_decoded() -> None:
    report = ReadReport()
    docs = read_conll(FIXTURES / "sample_iob1.conll", report=report)
    assert report.scheme == "iob1" and not report.repairs
    doc = docs[0]
    assert [(doc.span_text(s), s.label) for s in doc.spans] == [
        ("John Smith", "PER"),
        ("Mary", "PER"),
        ("New York", "LOC"),
    ]


def test_bioes_and_bilou(tmp_path: Path) -> None:
    docs = read_conll(FIXTURES / "sample_bioes.tsv")
    assert [(docs[0].span_text(s), s.label) for s in docs[0].spans] == [
        ("Aspirin", "Chemical"),
        ("acute renal failure", "Disease"),
    ]
    bilou_text = "Aspirin U-Chemical\ncauses O\nacute B-Disease\nrenal I-Disease\nfailure L-Disease\n. O\n"
    bilou = _write(tmp_path / "b.conll", bilou_text)
    assert read_conll(bilou)[0].spans == docs[0].spans


def test_iob2_repair_is_counted_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path / "r.conll", "the O\nbig B-ORG\nbank I-ORG\nin O\nNew I-LOC\nYork I-LOC\n")
    report = ReadReport()
    with caplog.at_level(logging.WARNING):
        docs = read_conll(path, report=report)
    assert report.scheme == "iob2"
    assert report.repairs == {"I- tag opening an entity": 1}
    assert report.examples == ["r.conll:5 (r:1): I-LOC after O"]
    assert "repaired 1 I- tag opening an entity" in caplog.text
    assert [docs[0].span_text(s) for s in docs[0].spans] == ["big bank", "New York"]
    # The same file read as IOB1 is valid: no repairs.
    report1 = ReadReport()
    assert read_conll(path, scheme="iob1", report=report1)[0].spans == docs[0].spans
    assert not report1.repairs


def test_i_tag_after_other_type_starts_new_entity(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.conll", "a B-PER\nb I-LOC\nc O\n")
    report = ReadReport()
    doc = read_conll(path, scheme="iob2", report=report)[0]
    assert [(s.start, s.end, s.label) for s in doc.spans] == [(0, 1, "PER"), (2, 3, "LOC")]
    assert sum(report.repairs.values()) == 1


def test_crlf_and_tabs(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.conll", "Durch O\r\ndie O\r\nBGH B-GRT\r\n\r\nx\tPOS\tO\r\n")
    docs = read_conll(path)
    assert [d.text for d in docs] == ["Durch die BGH", "x"]
    assert docs[0].spans == [Span(10, 13, "GRT")]


def test_bad_tag_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "train.txt", "EU B-ORG\nrejects O\nPeter X-PER\n")
    with pytest.raises(DataFormatError, match=r"train\.txt:3: tag 'X-PER' is not IOB: expected O, B-TYPE") as info:
        read_conll(path)
    assert info.value.line == 3 and info.value.path == path
    assert str(info.value).endswith("fix the tag or pass --format")


def test_one_column_line_and_scheme_mismatch(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"one\.conll:2: line has 1 column"):
        read_conll(_write(tmp_path / "one.conll", "a O\nlonely\n"))
    with pytest.raises(DataFormatError, match=r"s\.conll:1: tag 'S-PER' is BIOES.*scheme='bioes'"):
        read_conll(_write(tmp_path / "s.conll", "Bob S-PER\n"), scheme="iob2")
    with pytest.raises(ValueError, match="unknown tag scheme"):
        read_conll(FIXTURES / "sample_iob1.conll", scheme="xyz")


@pytest.mark.parametrize("name", ["sample_iob2.conll", "sample_iob1.conll", "sample_bioes.tsv"])
def test_round_trip_is_exact(tmp_path: Path, name: str) -> None:
    docs = read_conll(FIXTURES / name)
    out = tmp_path / name
    write_conll(docs, out)
    assert read_conll(out) == docs
    write_conll(docs, tmp_path / "bioes" / name, scheme=TagScheme.BIOES)
    assert read_conll(tmp_path / "bioes" / name) == docs


def test_written_text_is_iob2_with_docstart(tmp_path: Path) -> None:
    write_conll(read_conll(FIXTURES / "sample_iob1.conll"), tmp_path / "o.conll")
    lines = (tmp_path / "o.conll").read_text().split("\n")
    assert lines[:3] == ["John B-PER", "Smith I-PER", "Mary B-PER"]
    write_conll(read_conll(FIXTURES / "sample_iob2.conll"), tmp_path / "d.conll")
    text = (tmp_path / "d.conll").read_text()
    assert text.startswith("-DOCSTART- O\n\nEU B-ORG\n") and text.count("-DOCSTART-") == 2


def test_writer_splits_tokens_at_span_boundaries(tmp_path: Path) -> None:
    doc = Document("Visit Bob's  shop\nnow", [Span(6, 9, "PER")], id="x")
    write_conll([doc], tmp_path / "x.conll")
    assert (tmp_path / "x.conll").read_text() == "Visit O\nBob B-PER\n's O\nshop O\nnow O\n"


def test_writer_rejects_overlaps(tmp_path: Path) -> None:
    doc = Document("New York City", [Span(0, 8, "LOC"), Span(4, 13, "LOC")], id="o")
    with pytest.raises(DataFormatError, match=r"overlap.*resolve_overlaps"):
        write_conll([doc], tmp_path / "o.conll")
    assert not (tmp_path / "o.conll").exists()


def test_bioes_repairs_are_counted(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.conll", "a B-X\nb O\nc E-Y\nd S-Z\n")
    report = ReadReport()
    doc = read_conll(path, report=report)[0]
    assert report.scheme == "bioes"
    assert [(s.start, s.end, s.label) for s in doc.spans] == [(0, 1, "X"), (4, 5, "Y"), (6, 7, "Z")]
    assert report.repairs == {"BIOES entity without E-": 1, "E- tag opening an entity": 1}
