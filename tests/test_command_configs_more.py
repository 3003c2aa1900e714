"""Typed configs of the commands beyond train and its kin (issue #13): inputs from the file alone, --print-config,
and the resolved config saved where each command promises (beside a file it writes, or inside its output folder;
nowhere for a command writing to standard output or into a cache it does not own). Their round trip, typos, wrong
values and flags over the file are cases of tests/test_command_configs.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specialize.cli.config_options import resolve_config
from specialize.cli.main import build_parser, main
from specialize.command_configs import (
    ApplyConfig,
    AuditConfig,
    CorrectionsImportConfig,
    CorrectionsMergeConfig,
    EvaluateConfig,
    LinkConfig,
    PredictConfig,
    RedactConfig,
    ReportConfig,
    SelectConfig,
    TrainLinkerConfig,
)
from specialize.config import CONFIG_FILE, load_command_config


def _resolved(argv):
    return resolve_config(build_parser().parse_args(argv))


def test_inputs_may_come_from_the_file_alone(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[evaluate]\nmodels = ["a", "b"]\ndata = "d"\n', encoding="utf-8")
    assert _resolved(["evaluate", "--config", str(path)]).evaluate.models == ["a", "b"]
    assert _resolved(["evaluate", "c", "--config", str(path)]).evaluate.models == ["c"]  # MODEL replaces the list
    path.write_text('[select]\nmodel = "m"\ninput = "i"\nexclude = ["a"]\n', encoding="utf-8")
    assert _resolved(["select", "-o", "o", "--config", str(path)]).select.exclude == ["a"]
    assert _resolved(["select", "-o", "o", "--config", str(path), "--exclude", "b"]).select.exclude == ["b"]


def test_print_config_names_the_output_flag_and_runs_nothing(tmp_path, capsys):
    assert main(["evaluate", "m", "--data", "d", "--json", "s.json", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert "`specialize evaluate --json s.json`" in text
    (tmp_path / "e.toml").write_text(text, encoding="utf-8")
    assert load_command_config(EvaluateConfig, tmp_path / "e.toml") == _resolved(["evaluate", "m", "--data", "d"])
    assert not (tmp_path / "s.json").exists()


@pytest.fixture()
def gazetteer(tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text("flu\tDisease\ncold\tDisease\n", encoding="utf-8")
    return f"gazetteer:{terms}"


def test_predict_saves_its_config_beside_the_output_and_replaces_only_its_own(gazetteer, tmp_path, caplog):
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu case\na cold\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["predict", gazetteer, "-i", str(inputs), "-o", str(out)]
    assert main(argv) == 0
    saved = tmp_path / "out.jsonl.config.toml"
    assert load_command_config(PredictConfig, saved) == _resolved(argv)
    assert main([*argv, "--text-field", "body"]) == 0  # a rerun with other settings replaces the config it wrote
    assert load_command_config(PredictConfig, saved).predict.text_field == "body"
    again = tmp_path / "again.jsonl"
    assert main(["predict", "--config", str(saved), "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    mine = tmp_path / "mine.jsonl.config.toml"
    mine.write_text("# my notes\n", encoding="utf-8")
    assert main(["predict", gazetteer, "-i", str(inputs), "-o", str(tmp_path / "mine.jsonl")]) == 0
    assert mine.read_text(encoding="utf-8") == "# my notes\n" and "is not replaced" in caplog.text


def test_evaluate_saves_its_config_beside_the_json(gazetteer, tmp_path):
    from tests.conftest import tiny_sentences

    from specialize.data.io import write_documents

    gold = tmp_path / "gold.jsonl"
    write_documents(tiny_sentences(), gold)
    out = tmp_path / "scores.json"
    argv = ["evaluate", gazetteer, "--data", str(gold), "--bootstrap", "0", "--json", str(out)]
    assert main(argv) == 0
    saved = tmp_path / "scores.json.config.toml"
    assert saved.read_text(encoding="utf-8").startswith(f"# specialize evaluate --config {saved} --json OUT.json")
    assert load_command_config(EvaluateConfig, saved) == _resolved(argv)
    assert json.loads(out.read_text(encoding="utf-8"))[0]["n_docs"] == len(tiny_sentences())


def test_apply_saves_its_config_in_the_folder_and_a_resumed_run_keeps_working(gazetteer, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": f"flu {i}"}) + "\n" for i in range(5)), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["apply", gazetteer, "-i", str(source), "-o", str(out), "--workers", "0", "--no-progress"]
    assert main([*argv, "--shard-size", "2"]) == 0
    assert load_command_config(ApplyConfig, out / CONFIG_FILE) == _resolved([*argv, "--shard-size", "2"])
    (out / "part-00001.jsonl").unlink()  # as if it crashed: the rerun redoes that shard
    assert main([*argv, "--config", str(out / CONFIG_FILE), "--batch-size", "3"]) == 0
    assert (out / "part-00001.jsonl").is_file()
    assert load_command_config(ApplyConfig, out / CONFIG_FILE).apply.batch_size == 3  # the latest run's


def test_select_saves_its_config_in_the_task_folder(gazetteer, tmp_path):
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu case\na cold\nnothing\n", encoding="utf-8")
    out = tmp_path / "round1"
    argv = ["select", gazetteer, "-i", str(inputs), "-o", str(out), "-n", "2", "--strategy", "random"]
    assert main(argv) == 0
    assert load_command_config(SelectConfig, out / CONFIG_FILE) == _resolved(argv)


FIXTURES = Path(__file__).parent / "fixtures"


def test_redact_saves_its_config_beside_the_output_and_never_the_salt(tmp_path, capsys):
    inputs = tmp_path / "in.txt"
    inputs.write_text("mail obama@example.com\nno pii here\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["redact", "patterns", "-i", str(inputs), "--labels", "EMAIL_ADDRESS", "--operator", "hash"]
    assert main([*argv, "--salt", "secret", "-o", str(out)]) == 0
    saved = tmp_path / "out.jsonl.config.toml"
    text = saved.read_text(encoding="utf-8")
    assert text.startswith(f"# specialize redact --config {saved} --output OUT.jsonl") and "secret" not in text
    config = load_command_config(RedactConfig, saved)
    assert config == _resolved([*argv, "-o", str(out)]) and config.redact.labels == ["EMAIL_ADDRESS"]
    again = tmp_path / "again.jsonl"
    assert main(["redact", "--config", str(saved), "--salt", "secret", "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main([*argv, "--salt", "secret"]) == 0  # to standard output: nothing saved
    assert "obama" not in capsys.readouterr().out and sorted(p.name for p in tmp_path.glob("*.toml")) == [
        "again.jsonl.config.toml",
        "out.jsonl.config.toml",
    ]


def test_train_linker_saves_its_config_in_the_folder_and_link_beside_its_output(tmp_path):
    folder = tmp_path / "linker"
    train = FIXTURES / "data" / "linking_train.pubtator"
    argv = ["train-linker", "--train", str(train), "--no-encoder", "--match-label", "-o", str(folder)]
    assert main(argv) == 0
    config = load_command_config(TrainLinkerConfig, folder / CONFIG_FILE)
    assert config == _resolved(argv) and config.train_linker.encoder is None
    marker = json.loads((folder / ".specialize-output.json").read_text(encoding="utf-8"))
    assert CONFIG_FILE in marker["files"]  # written by the command: --overwrite may replace it
    # The saved file builds the same linker again.
    assert main(["train-linker", "--config", str(folder / CONFIG_FILE), "-o", str(tmp_path / "again")]) == 0
    same = ("entries.json", "config.json")
    assert [(folder / n).read_bytes() for n in same] == [(tmp_path / "again" / n).read_bytes() for n in same]
    out = tmp_path / "linked.jsonl"
    argv = ["link", str(folder), "-i", str(train), "--method", "dictionary", "-o", str(out)]
    assert main(argv) == 0
    assert load_command_config(LinkConfig, tmp_path / "linked.jsonl.config.toml") == _resolved(argv)


def test_corrections_import_and_merge_save_their_configs_beside_their_outputs(tmp_path):
    corrected = tmp_path / "corrected.jsonl"
    argv = ["corrections", "import", str(FIXTURES / "data" / "label_studio_export.json"), "-o", str(corrected)]
    assert main(argv) == 0
    saved = tmp_path / "corrected.jsonl.config.toml"
    first = saved.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# specialize corrections import --config {saved} --output CORRECTED.jsonl"
    assert load_command_config(CorrectionsImportConfig, saved) == _resolved(argv)
    assert main(["corrections", "import", "--config", str(saved), "-o", str(corrected), "--json"]) == 0  # updates
    assert load_command_config(CorrectionsImportConfig, saved).corrections.json is True  # the latest import's
    merged = tmp_path / "merged.jsonl"
    argv = ["corrections", "merge", "--silver", str(corrected), "--corrected", str(corrected), "-o", str(merged)]
    assert main(argv) == 0
    saved = tmp_path / "merged.jsonl.config.toml"
    assert saved.read_text(encoding="utf-8").startswith(f"# specialize corrections merge --config {saved} --output")
    assert load_command_config(CorrectionsMergeConfig, saved) == _resolved(argv)
    # The import's config is no merge config: the error names the key it does not know.
    assert main(["corrections", "merge", "--config", str(tmp_path / "corrected.jsonl.config.toml"), "-o", "x"]) == 2


def test_report_saves_its_config_beside_the_page(tmp_path):
    out = tmp_path / "report.html"
    argv = ["report", str(FIXTURES / "results" / "correction.json"), "--alias", "a=b c", "-o", str(out)]
    assert main(argv) == 0
    saved = tmp_path / "report.html.config.toml"
    config = load_command_config(ReportConfig, saved)
    assert config == _resolved(argv) and config.report.aliases == {"a": "b c"}
    again = tmp_path / "again.html"
    assert main(["report", "--config", str(saved), "-o", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_audit_saves_its_config_beside_the_json_only(gazetteer, tmp_path):
    from tests.conftest import tiny_sentences

    from specialize.data.io import write_documents

    gold = tmp_path / "gold.jsonl"
    write_documents(tiny_sentences(), gold)
    out = tmp_path / "audit.json"
    argv = ["audit", gazetteer, "--data", str(gold), "--groups", "anglo-female", "--bootstrap", "0"]
    assert main([*argv, "--json", str(out)]) == 0
    saved = tmp_path / "audit.json.config.toml"
    assert saved.read_text(encoding="utf-8").startswith(f"# specialize audit --config {saved} --json OUT.json")
    config = load_command_config(AuditConfig, saved)
    assert config == _resolved(argv) and config.audit.groups == ["anglo-female"]


def test_commands_without_an_output_print_their_config_and_save_none(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["bases", "--print-config"]) == 0
    assert capsys.readouterr().out.startswith("# specialize bases --config THIS_FILE\n")
    assert main(["bases", "prepare", "--print-config"]) == 2  # which base? the config says it is missing
    assert "bases.name is required" in capsys.readouterr().err
    assert main(["review", "m", "a.txt", "b.txt", "--print-config"]) == 0
    text = capsys.readouterr().out
    assert 'contracts = ["a.txt", "b.txt"]' in text and "`specialize review`" in text
    assert list(tmp_path.iterdir()) == []
