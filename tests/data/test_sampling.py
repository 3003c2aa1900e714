"""--limit / --sample for train, evaluate and label (issue #15, item 14): one selection, noted wherever used."""

from __future__ import annotations

import json

import pytest

from specialize.cli.main import main
from specialize.data.sampling import select


def test_limit_keeps_the_first_documents_and_says_so():
    assert select(list(range(10)), limit=3) == ([0, 1, 2], "first 3 of 10 (--limit 3)")
    assert select(list(range(10))) == (list(range(10)), None)


def test_a_sample_is_reproducible_in_file_order_and_depends_on_the_seed():
    items = list(range(100))
    a, note = select(items, sample=10, seed=1)
    assert a == select(items, sample=10, seed=1)[0] and a == sorted(a) and len(set(a)) == 10
    assert a != select(items, sample=10, seed=2)[0]
    assert note == "10 of 100 sampled with seed 1 (--sample 10)"
    assert select(items[:5], sample=10)[0] == items[:5]


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"limit": 2, "sample": 2}, "exclude each other"), ({"limit": 0}, "positive")]
)
def test_bad_selections_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        select([1, 2, 3], **kwargs)


def test_label_with_sample_labels_that_many_documents(tmp_path, capsys):
    terms = tmp_path / "terms.tsv"
    terms.write_text("flu\tDisease\n", encoding="utf-8")
    inputs = tmp_path / "in.txt"
    inputs.write_text("".join(f"flu case {i}\n" for i in range(20)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["label", "-t", f"gazetteer:{terms}", "-i", str(inputs), "-o", str(out), "--no-progress", "--json"]
    assert main([*argv, "--sample", "5", "--seed", "3"]) == 0
    stats = json.loads(capsys.readouterr().out)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert stats["documents"] == 5 == len(ids) and stats["selection"] == "5 of 20 sampled with seed 3 (--sample 5)"
    assert ids == sorted(ids, key=lambda i: int(i.split(":")[1]))  # in input order
    assert main([*argv, "--limit", "2"]) == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["in:1", "in:2"]
