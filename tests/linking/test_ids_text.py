"""Concept id conventions (composite, -1) and mention text handling (normalisation, abbreviations)."""

from __future__ import annotations

from specialize.linking.ids import code_set, is_correct, parse_ids
from specialize.linking.text import find_abbreviations, normalise


def test_parse_ids_composites_and_no_concept() -> None:
    assert parse_ids("D001943|D010051") == ("D001943", "D010051")
    assert parse_ids("D007153+D040181") == ("D007153", "D040181")  # NCBI-disease's combination concepts
    assert parse_ids(" D007153") == ("D007153",)
    assert parse_ids("D002544|-1") == ("D002544",)
    assert parse_ids("OMIM:106210") == ("OMIM:106210",)
    assert parse_ids("-1") == parse_ids("") == parse_ids(None) == ()


def test_accuracy_convention() -> None:
    assert is_correct("D001943", "D001943|D010051")  # one part of a composite gold id
    assert is_correct("D001943|D010051", "D010051|D001943")  # the whole composite, in any order
    assert not is_correct("D001943|D009369", "D001943|D010051")  # a composite with a wrong part
    assert not is_correct("D009369", "D001943")
    assert not is_correct(None, "D001943") and not is_correct("-1", "-1")


def test_code_set_splits_composites_and_drops_missing() -> None:
    assert code_set(["D001943|D010051", "D001943", "-1", None, "D1+D2"]) == {"D001943", "D010051", "D1", "D2"}


def test_normalise() -> None:
    assert normalise("Breast-Cancers ") == "breast cancer"
    assert normalise("breast cancer") == normalise("BREAST  cancer.")
    assert normalise("multiple sclerosis") == "multiple sclerosis"  # -is, -us, -ss keep their s
    assert normalise("tumours", strip_plurals=False) == "tumours"


def test_find_abbreviations() -> None:
    text = (
        "Wilson disease (WD) is rare. We studied copper toxicosis (CT) in dogs (n = 12) in 1995 (see below). "
        "Adenomatous polyposis coli (APC) and WD again (WD)."
    )
    assert find_abbreviations(text) == {
        "WD": "Wilson disease",
        "CT": "copper toxicosis",
        "APC": "Adenomatous polyposis coli",
    }
    assert find_abbreviations("The gene (XYZ) was found.") == {}  # no long form whose initials match
