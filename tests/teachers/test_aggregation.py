"""Aggregating teachers: majority and weighted votes, per-type precedence, conflict counts, determinism."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

import pytest

from specialize.data.document import Span
from specialize.teachers.aggregation import VotingTeacher, aggregate, count_conflicts
from specialize.teachers.base import TeacherBase, TeacherOutput, make_fingerprint
from specialize.teachers.spec import load_teacher

D = "Disease"


class FixedTeacher(TeacherBase):
    """Returns the same spans for every text (a stand-in for a real teacher)."""

    def __init__(self, name: str, spans: list[Span], rejected: dict[str, int] | None = None, cost: float = 0.0):
        self.name, self.spans, self.rejected, self.cost = name, spans, rejected or {}, cost

    @property
    def labels(self) -> list[str]:
        return sorted({s.label for s in self.spans})

    @property
    def fingerprint(self) -> str:
        return make_fingerprint("fixed", self.name, spans=[s.key() for s in self.spans])

    def label(self, texts: Sequence[str]) -> list[TeacherOutput]:
        return [TeacherOutput(list(self.spans), Counter(self.rejected), {"cost": self.cost}) for _ in texts]


def keys(out: TeacherOutput) -> list[tuple[int, int, str]]:
    return [s.key() for s in out.spans]


def test_majority_vote_keeps_spans_most_teachers_agree_on():
    a, b = Span(0, 5, D), Span(10, 15, D)
    out = aggregate([[a, b], [a], [a, Span(20, 25, D)]], [1, 1, 1])
    assert keys(out) == [a.key()]
    assert out.spans[0].score == pytest.approx(1.0)
    assert out.rejected == {"below_votes": 2}


def test_weights_and_min_votes():
    a, b = Span(0, 5, D), Span(10, 15, D)
    assert keys(aggregate([[a], [b]], [2, 1])) == [a.key()]
    union = aggregate([[a], [b]], [1, 1], min_votes=1)
    assert keys(union) == [a.key(), b.key()] and [s.score for s in union.spans] == [0.5, 0.5]


def test_two_teachers_need_to_agree_by_default():
    a = Span(0, 5, D)
    assert keys(aggregate([[a], []], [1, 1])) == []
    assert keys(aggregate([[a], [a]], [1, 1])) == [a.key()]


def test_precedence_takes_the_first_teacher_then_fills_gaps():
    gazetteer = [Span(0, 13, D), Span(30, 36, D)]
    llm = [Span(7, 13, D), Span(40, 45, D), Span(50, 55, "Gene")]
    out = aggregate([gazetteer, llm], [1, 1], precedence={D: [0, 1]}, min_votes=1)
    # gazetteer spans win; llm's (7, 13) overlaps one and is dropped; llm's (40, 45) fills a gap
    assert keys(out) == [(0, 13, D), (30, 36, D), (40, 45, D), (50, 55, "Gene")]
    assert out.rejected == {"precedence": 1}


def test_precedence_ignores_teachers_not_in_the_list_for_that_type():
    out = aggregate([[Span(0, 5, D)], [Span(10, 15, D)]], [1, 1], precedence={D: [1]})
    assert keys(out) == [(10, 15, D)]


def test_conflicts_are_counted_by_kind():
    proposals = [
        [Span(0, 10, D), Span(20, 25, "Gene")],
        [Span(0, 10, "Gene"), Span(20, 30, "Gene")],
        [Span(5, 12, "Chemical")],
    ]
    assert count_conflicts(proposals) == {"label": 1, "boundary": 1, "label_and_boundary": 2}
    assert aggregate(proposals, [1, 1, 1]).conflicts == count_conflicts(proposals)


def test_overlaps_between_kept_spans_resolve_deterministically():
    a, b = Span(0, 10, D), Span(5, 20, "Gene")
    for proposals in ([[a], [b]], [[b], [a]]):
        out = aggregate(proposals, [1, 1], min_votes=1)
        assert keys(out) == [b.key()]  # same votes: the longer wins
        assert out.rejected == {"overlap": 1}


def test_voting_teacher_merges_rejections_usage_and_names():
    a = Span(0, 3, D)
    teachers = [
        FixedTeacher("gazetteer:terms.tsv", [a], {"ambiguous": 2}),
        FixedTeacher("llm:model", [a], {"not_found": 1}, cost=0.5),
        FixedTeacher("regex:x.json", []),
    ]
    vote = VotingTeacher(teachers, weights={"llm": 2})
    (out,) = vote.label(["flu is bad"])
    assert keys(out) == [a.key()] and out.spans[0].score == pytest.approx(0.75)
    assert out.rejected == {"gazetteer:terms.tsv/ambiguous": 2, "llm:model/not_found": 1}
    assert out.usage == {"cost": 0.5}
    assert vote.fingerprint != VotingTeacher(teachers).fingerprint  # weights change the key


def test_teacher_references_must_be_unambiguous():
    teachers = [FixedTeacher("llm:a", []), FixedTeacher("llm:b", [])]
    with pytest.raises(ValueError, match="matches several teachers"):
        VotingTeacher(teachers, precedence={D: ["llm"]})
    with pytest.raises(ValueError, match="no teacher named 'spacy'"):
        VotingTeacher(teachers, weights={"spacy": 1})
    assert VotingTeacher(teachers, precedence={D: ["llm:b"]}).precedence == {D: [1]}


def test_vote_spec_loads_children_and_routes_options(tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text("flu\tDisease\ncold\tDisease\n", encoding="utf-8")
    patterns = tmp_path / "patterns.json"
    patterns.write_text(json.dumps({"Disease": ["[Ff]lu"]}), encoding="utf-8")
    teacher = load_teacher(
        f"vote:gazetteer:{terms}+regex:{patterns}", min_votes=1, precedence={D: ["regex", "gazetteer"]},
        **{"gazetteer.case_sensitive": True},
    )  # fmt: skip
    assert isinstance(teacher, VotingTeacher) and teacher.teachers[0].case_sensitive is True  # type: ignore[attr-defined]
    (out,) = teacher.label(["Flu and cold"])
    assert keys(out) == [(0, 3, D), (8, 12, D)]
    with pytest.raises(ValueError, match="name no model of this vote"):
        load_teacher(f"vote:gazetteer:{terms}+regex:{patterns}", **{"llm.base_url": "x"})
