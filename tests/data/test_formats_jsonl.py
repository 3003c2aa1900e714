"""JSONL/JSON records: spaCy, Prodigy, Label Studio and Presidio shapes, errors and round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats import ReadReport, read_jsonl, write_jsonl

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data"


def _lines(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_read_all_record_shapes() -> None:
    docs = read_jsonl(FIXTURES / "sample.jsonl")
    assert [d.id for d in docs] == ["a", "sample:2", "sample:3", "7"]
    assert docs[0].meta == {"source": "test"}
    assert [(d.span_text(s), s.label) for d in docs for s in d.spans] == [
        ("Alice", "PER"),
        ("Paris", "LOC"),
        ("Bob", "PER"),  # "entities" as [start, end, label], sorted by offset
        ("ACME", "ORG"),
        ("Carol", "PER"),  # spaCy training tuple
        ("Rome", "LOC"),
        ("Dave", "PER"),
    ]
    assert docs[3].spans[0].score == 0.75


def test_label_studio_array_export() -> None:
    report = ReadReport()
    docs = read_jsonl(FIXTURES / "label_studio.json", report=report)
    assert [d.id for d in docs] == ["11", "12"]
    assert [(docs[0].span_text(s), s.label) for s in docs[0].spans] == [("Anna", "PER"), ("Oslo", "LOC")]
    assert docs[0].meta == {"source": "ls"} and docs[1].spans == []
    assert report.ignored == {"Label Studio result of type 'relation'": 1}


def test_presidio_shape(tmp_path: Path) -> None:
    record = {
        "full_text": "Call Ann at 555-1234",
        "template_id": 3,
        "spans": [{"entity_type": "PERSON", "entity_value": "Ann", "start_position": 5, "end_position": 8}],
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps([record]))
    doc = read_jsonl(path)[0]
    assert doc.spans == [Span(5, 8, "PERSON")] and doc.meta == {"template_id": 3}


def test_span_text_mismatch_names_line_and_field(tmp_path: Path) -> None:
    path = _lines(
        tmp_path / "bad.jsonl",
        {"text": "ok", "spans": []},
        {"text": "Alice met Bob", "spans": [{"start": 0, "end": 5, "label": "PER", "text": "Alicia"}]},
    )
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:2: spans\[0\]\.text: span text 'Alicia'") as info:
        read_jsonl(path)
    assert info.value.line == 2 and info.value.field == "spans[0].text"
    assert "character (not byte or token) offsets" in str(info.value)


def test_other_record_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"r\.jsonl:1: entities\[0\]: span \[3:99\] is outside"):
        read_jsonl(_lines(tmp_path / "r.jsonl", {"text": "abc", "entities": [[3, 99, "X"]]}))
    with pytest.raises(DataFormatError, match=r"t\.jsonl:1: text: record has no string 'text'"):
        read_jsonl(_lines(tmp_path / "t.jsonl", {"spans": []}))
    (tmp_path / "j.jsonl").write_text('{"text": "a"}\n{"text": \n')
    with pytest.raises(DataFormatError, match=r"j\.jsonl:2: invalid JSON.*one complete JSON object"):
        read_jsonl(tmp_path / "j.jsonl")
    with pytest.raises(DataFormatError, match=r"s\.jsonl:1: spans\[0\]\.start: start is '0'"):
        read_jsonl(_lines(tmp_path / "s.jsonl", {"text": "a", "spans": [{"start": "0", "end": 1, "label": "X"}]}))


def test_round_trip_and_writer_schema(tmp_path: Path) -> None:
    docs = read_jsonl(FIXTURES / "sample.jsonl") + read_jsonl(FIXTURES / "label_studio.json")
    out = tmp_path / "sample.jsonl"
    write_jsonl(docs, out)
    again = read_jsonl(out)
    assert again == docs
    assert [s.score for d in again for s in d.spans] == [s.score for d in docs for s in d.spans]
    first = json.loads(out.read_text(encoding="utf-8").split("\n")[0])
    assert list(first) == ["id", "text", "spans", "meta"]
    assert first["spans"][0] == {"start": 0, "end": 5, "label": "PER", "text": "Alice"}


def test_unicode_line_separators_survive(tmp_path: Path) -> None:
    doc = Document("a\u2028b \u00e9", [Span(4, 5, "X")], id="u", meta={"k": [1, 2]})
    write_jsonl([doc], tmp_path / "u.jsonl")
    assert read_jsonl(tmp_path / "u.jsonl") == [doc]


def test_single_pretty_printed_object(tmp_path: Path) -> None:
    record = {"id": "p", "text": "Eve", "spans": [{"start": 0, "end": 3, "label": "PER"}]}
    (tmp_path / "one.json").write_text(json.dumps(record, indent=2))
    assert read_jsonl(tmp_path / "one.json") == [Document("Eve", [Span(0, 3, "PER")], id="p")]


def test_kb_id_round_trip_and_error(tmp_path: Path) -> None:
    doc = Document("Gout.", [Span(0, 4, "Disease", kb_id="D006073")], id="a")
    write_jsonl([doc], tmp_path / "out.jsonl")
    back = read_jsonl(tmp_path / "out.jsonl")
    assert back[0].spans[0].kb_id == "D006073" and back == [doc]
    assert Span(0, 4, "Disease", kb_id="X") == Span(0, 4, "Disease")  # ids never change NER matching
    (tmp_path / "bad.jsonl").write_text(
        '{"text": "Gout.", "spans": [{"start": 0, "end": 4, "label": "D", "kb_id": 3}]}\n'
    )
    with pytest.raises(DataFormatError, match=r"bad\.jsonl:1: spans\[0\]\.kb_id: kb_id is 3"):
        read_jsonl(tmp_path / "bad.jsonl")
