"""Per-group scores and gaps of the audit, and `specialize audit` end to end with a tiny trained model."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from specialize.audit import audit, audit_markdown, format_audit, name_groups, update_model_card
from specialize.cli.main import main
from specialize.data.document import Document, Span
from specialize.data.formats.jsonl import write_jsonl

ANGLO = name_groups(["anglo-female", "anglo-male"])
GROUPS = [*ANGLO, *name_groups(["east-asian-female"])]


class KnownNames:
    """Tags as PER only words from the Anglo lists (a model that learned only those names), LOC only "Paris"."""

    name = "known-names"
    labels = ["LOC", "PER"]  # noqa: RUF012

    def __init__(self) -> None:
        self.known = {n for g in ANGLO for n in g.first_names + g.surnames}

    def predict(self, texts: Sequence[str]) -> list[list[Span]]:
        out = []
        for text in texts:
            spans, run = [], None
            for m in re.finditer(r"\w+", text):
                if m.group() in self.known:
                    run = (run[0], m.end()) if run and text[run[1] : m.start()] == " " else (m.start(), m.end())
                    if spans and spans[-1][0] == run[0]:
                        spans[-1] = run
                    else:
                        spans.append(run)
                else:
                    run = None
            found = [Span(a, b, "PER") for a, b in spans]
            found += [Span(m.start(), m.end(), "LOC") for m in re.finditer("Paris", text)]
            out.append(sorted(found))
        return out


def _docs() -> list[Document]:
    texts = ["Zorblax Quux visited Paris .", "Paris welcomed Quux .", "Nothing happened in Paris ."]
    spans = [
        [Span(0, 12, "PER"), Span(21, 26, "LOC")],
        [Span(0, 5, "LOC"), Span(15, 19, "PER")],
        [Span(20, 25, "LOC")],
    ]
    return [Document(t, s, id=str(i)) for i, (t, s) in enumerate(zip(texts, spans, strict=True))]


def test_per_group_scores_and_largest_gap() -> None:
    result = audit(KnownNames(), _docs(), groups=GROUPS, n_bootstrap=200)
    scores = {g.group: g.values for g in result.groups}
    assert result.original.values["per_recall"] == 0.0  # made-up names: never found
    for group in ("anglo-female", "anglo-male"):
        assert scores[group]["per_recall"] == scores[group]["per_f1"] == 1.0
        assert scores[group]["f1"] == 1.0
    assert scores["east-asian-female"]["per_recall"] == 0.0
    assert scores["east-asian-female"]["recall"] == pytest.approx(3 / 5)  # the three LOC spans only
    gap = result.largest_gap
    assert gap.metric == "per_f1" and gap.value == 1.0 and gap.worst == "east-asian-female"
    assert gap.best in ("anglo-female", "anglo-male")
    assert gap.interval is not None and gap.interval[0] <= 1.0 <= gap.interval[1] + 1e-9
    assert result.by_gender["female"] == pytest.approx(2 / 3)  # pooled: 2 found of 4 (P 1, R 0.5)
    assert result.n_docs_with_persons == 2
    assert result.groups[0].replaced == 2 and result.groups[0].kept == 0
    # same seed, same numbers
    again = audit(KnownNames(), _docs(), groups=GROUPS, n_bootstrap=200)
    assert [g.to_dict() for g in again.groups] == [g.to_dict() for g in result.groups]
    table = format_audit(result)
    assert "east-asian-female" in table and "1.000 (anglo-" in table
    assert audit_markdown(result).startswith("## Bias audit\n")


def test_no_person_spans_is_a_clear_error() -> None:
    docs = [Document("Paris .", [Span(0, 5, "LOC")])]
    with pytest.raises(ValueError, match=r"no person spans .* its labels are \['LOC'\]"):
        audit(KnownNames(), docs, groups=GROUPS)


def test_card_section_is_replaced_not_repeated(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# model\n\n## Evaluation\n\nscores\n", encoding="utf-8")
    result = audit(KnownNames(), _docs(), groups=GROUPS, n_bootstrap=0)
    update_model_card(tmp_path, result)
    update_model_card(tmp_path, result, command="specialize audit x")
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert text.count("## Bias audit") == 1 and text.startswith("# model\n\n## Evaluation\n\nscores\n")
    assert "Command: `specialize audit x`" in text
    with pytest.raises(FileNotFoundError, match="needs a model folder"):
        update_model_card(tmp_path / "missing", result)


def test_cli_end_to_end(tiny_specialist: Path, sentences: list[Document], tmp_path: Path, capsys) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_specialist, model)  # the fixture is shared: the card is updated on a copy
    data = tmp_path / "gold.jsonl"
    write_jsonl(sentences, data)
    out = tmp_path / "audit.json"
    argv = ["audit", str(model), "--data", str(data), "--groups", "anglo-female,arabic-male", "--bootstrap", "20"]
    assert main([*argv, "--json", str(out), "--update-card"]) == 0
    printed = capsys.readouterr().out
    assert "arabic-male" in printed and "Largest gap" in printed
    record = json.loads(out.read_text())
    assert record["task"] == "bias-audit" and [g["group"] for g in record["groups"]] == ["anglo-female", "arabic-male"]
    assert record["original"]["per_f1"] == 1.0  # the tiny model memorised these sentences
    assert record["largest_gap"]["metric"] == "per_f1" and record["command"] and record["machine"]["cores"]
    assert record["groups"][0]["replaced"] == 5  # every PER span of tiny_sentences()
    assert "## Bias audit" in (model / "README.md").read_text(encoding="utf-8")
    assert main(["audit", "spacy:whatever", "--data", str(data), "--update-card"]) == 2
    assert "--update-card needs a model folder" in capsys.readouterr().err


def test_update_card_touches_only_the_card_and_a_failed_write_keeps_it_whole(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "README.md").write_text("# model\n\n## Evaluation\n\nscores\n", encoding="utf-8")
    (tmp_path / "config.json").write_text("{}")
    result = audit(KnownNames(), _docs(), groups=GROUPS, n_bootstrap=0)
    update_model_card(tmp_path, result)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "config.json"]
    assert (tmp_path / "config.json").read_text() == "{}"

    real_write = Path.write_text

    def disk_full(self: Path, data: str, *args, **kwargs) -> int:
        real_write(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError, match="No space"):
        update_model_card(tmp_path, result, command="specialize audit again")
    monkeypatch.undo()
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == card  # not half a card
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "config.json"]
