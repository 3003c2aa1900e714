"""``specialize label --engine ray``: the teacher runs on Ray actors, the store and output stay with the driver."""

from __future__ import annotations

import json

import pytest

from specialize.cli.main import main
from specialize.teachers.label import label
from specialize.teachers.store import LabelStore


def test_label_on_ray_matches_local_labels_and_resumes_from_the_store(tmp_path, capsys):
    ray = pytest.importorskip("ray")
    gazetteer = tmp_path / "terms.tsv"
    gazetteer.write_text("breast cancer\tDisease\ncystic fibrosis\tDisease\n")
    texts = [f"patient {i} has breast cancer" if i % 2 else f"case {i}: cystic fibrosis" for i in range(120)]
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n")
    local = label(f"gazetteer:{gazetteer}", source, tmp_path / "local.jsonl", progress=False)

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        store = tmp_path / "labels.sqlite"
        args = ["label", "-t", f"gazetteer:{gazetteer}", "-i", str(source), "-o", str(tmp_path / "ray.jsonl")]
        assert main([*args, "--store", str(store), "--engine", "ray", "--workers", "2", "--no-progress"]) == 0
        assert "120 labeled now" in capsys.readouterr().out
        # Rerun: everything comes from the store, nothing is labeled twice.
        assert main([*args, "--store", str(store), "--engine", "ray", "--workers", "2", "--no-progress"]) == 0
        assert "0 labeled now, 120 from the store" in capsys.readouterr().out
    finally:
        ray.shutdown()
    with LabelStore(store) as db:
        assert db.count() == 120
    ray_docs = [json.loads(line) for line in (tmp_path / "ray.jsonl").read_text().splitlines()]
    local_docs = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text().splitlines()]
    assert [d["text"] for d in ray_docs] == texts  # every document once, in input order
    assert [d["spans"] for d in ray_docs] == [d["spans"] for d in local_docs]
    assert local.spans == 120
