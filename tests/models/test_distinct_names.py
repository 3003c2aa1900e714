"""Side-by-side tables and records name each model once: folders of one name are told apart by their paths."""

from __future__ import annotations

import shutil


def test_models_of_one_folder_name_are_told_apart_by_their_paths(tiny_specialist, sentences, tmp_path):
    from specialize.evaluation.evaluate import evaluate
    from specialize.models.resolve import distinct_names

    runs, teachers = tmp_path / "runs" / "ncbi", tmp_path / "runs" / "teachers" / "ncbi"
    assert distinct_names(["ncbi", "ncbi"], [runs, teachers]) == ["runs/ncbi", "teachers/ncbi"]
    assert distinct_names(["ncbi", "ncbi", "x"], [str(runs), str(runs), "spacy:x"]) == ["ncbi", "ncbi#2", "x"]
    assert distinct_names(["m", "m"], [object(), object()]) == ["m", "m#2"]  # not folders: numbered
    assert distinct_names(["a", "ncbi"], [runs, teachers]) == ["a", "ncbi"]  # no clash: names kept

    other = tmp_path / "teachers" / tiny_specialist.name
    shutil.copytree(tiny_specialist, other)
    result = evaluate([str(tiny_specialist), str(other)], sentences, n_bootstrap=0)
    assert [m.name for m in result.models] == [f"{tiny_specialist.parent.name}/{tiny_specialist.name}",
                                               f"teachers/{tiny_specialist.name}"]  # fmt: skip
