"""PubTator: title + abstract text, mentions with concept ids, relations, errors and round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from specialize.data.errors import DataFormatError
from specialize.data.formats import ReadReport, read_pubtator
from specialize.data.formats.pubtator import write_pubtator

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"


def test_read_fixture() -> None:
    docs = read_pubtator(FIXTURES / "sample_pubtator.txt")
    assert [d.id for d in docs] == ["100", "200"]
    doc = docs[0]
    assert doc.text == "Aspirin and kidney failure. Acute renal failure after aspirin."
    assert [(doc.span_text(s), s.label) for s in doc.spans] == [
        ("Aspirin", "Chemical"),
        ("kidney failure", "Disease"),
        ("Acute renal failure", "Disease"),
        ("aspirin", "Chemical"),
    ]
    assert doc.meta["concepts"][2] == {
        "start": 28,
        "end": 47,
        "id": "D058186|D007674",
        "extra": "Acute renal failure|x",
    }
    assert doc.meta["relations"] == [["CID", "D001241", "D058186"]]
    assert docs[1].text == "A title only. " and docs[1].span_text(docs[1].spans[0]) == "title"


def test_mention_mismatch_and_orphan_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("1|t|Some title\n1|a|Body.\n1\t0\t4\tSame\tX\tD1\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:3: PMID 1: mention 'Same' but text\[0:4\] is 'Some'"):
        read_pubtator(path)
    path.write_text("1|t|T\n2\t0\t1\tT\tX\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:2: .*does not belong to a document"):
        read_pubtator(path)


def test_duplicate_pmid_is_renamed_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "dup.txt"
    path.write_text("5|t|A\n5|a|b\n\n5|t|A\n5|a|b\n")
    report = ReadReport()
    assert [d.id for d in read_pubtator(path, report=report)] == ["5", "5:2"]
    assert report.repairs == {"duplicate PMID renamed": 1}


def test_round_trip(tmp_path: Path) -> None:
    docs = read_pubtator(FIXTURES / "sample_pubtator.txt")
    out = tmp_path / "out.pubtator"
    write_pubtator(docs, out)
    assert read_pubtator(out) == docs
    assert out.read_text() == (FIXTURES / "sample_pubtator.txt").read_text()


def test_concept_ids_go_to_span_kb_id(tmp_path: Path) -> None:
    docs = read_pubtator(FIXTURES / "sample_pubtator.txt")
    assert [s.kb_id for s in docs[0].spans] == ["D001241", "D051437", "D058186|D007674", "D001241"]
    assert docs[1].spans[0].kb_id == "-1"  # "no concept" is kept as written; linking.ids reads it as none
    path = tmp_path / "no_id.txt"
    path.write_text("1|t|Some title\n1\t0\t4\tSome\tX\n")
    assert read_pubtator(path)[0].spans[0].kb_id is None


def test_linked_span_without_concept_is_written_with_its_id(tmp_path: Path) -> None:
    from dataclasses import replace

    from specialize.data.document import Document, Span

    doc = Document("Gout attack.", [Span(0, 4, "Disease", kb_id="D006073")], id="7")
    write_pubtator([doc], tmp_path / "out.pubtator")
    assert (tmp_path / "out.pubtator").read_text() == "7|t|Gout attack.\n7\t0\t4\tGout\tDisease\tD006073\n"
    assert read_pubtator(tmp_path / "out.pubtator")[0].spans[0].kb_id == "D006073"
    relinked = read_pubtator(FIXTURES / "sample_pubtator.txt")[0]
    relinked.spans[1] = replace(relinked.spans[1], kb_id="D000001")
    write_pubtator([relinked], tmp_path / "re.pubtator")
    assert read_pubtator(tmp_path / "re.pubtator")[0].spans[1].kb_id == "D000001"
