"""Resumable training: a run cut short and resumed with --resume ends with the weights and dev history of the run
that was never interrupted; a checkpoint is never overwritten by accident, never resumed with other settings, and
is removed once the model folder is saved."""

from __future__ import annotations

import pytest
from tests.conftest import overfit_config

from specialize.errors import ConfigError, OutputExistsError
from specialize.training.checkpoint import checkpoint_folder
from specialize.training.train import train
from specialize.training.trainer import Trainer

SETTINGS = {"training.epochs": 4, "training.threads": 1, "training.evaluations_per_epoch": 2}


class Interrupted(Exception):
    """Stands for a killed process: raised from inside a training step."""


def interrupt_after(monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    loss = Trainer.loss
    calls = {"n": 0}

    def cut_short(self, batch):
        calls["n"] += 1
        if calls["n"] > steps:
            raise Interrupted
        return loss(self, batch)

    monkeypatch.setattr(Trainer, "loss", cut_short)


def test_a_resumed_run_ends_with_the_uninterrupted_runs_weights(tiny_base, sentences, tmp_path, monkeypatch):
    whole = train(overfit_config(tiny_base, **SETTINGS), tmp_path / "whole", train_documents=sentences,
                  dev_documents=sentences, n_bootstrap=0)  # fmt: skip
    per_epoch = whole.history.steps // SETTINGS["training.epochs"]
    config = overfit_config(tiny_base, **SETTINGS, **{"training.checkpoint_minutes": 0})
    output = tmp_path / "resumed"

    with monkeypatch.context() as patch:  # killed in the middle of the second epoch, after a dev evaluation
        interrupt_after(patch, per_epoch + per_epoch // 2 + 1)
        with pytest.raises(Interrupted):
            train(config, output, train_documents=sentences, dev_documents=sentences, n_bootstrap=0)
    assert not output.exists() and (checkpoint_folder(output) / "checkpoint.json").exists()

    with pytest.raises(OutputExistsError, match="pass --resume to go on from it, or delete that folder"):
        train(config, output, train_documents=sentences, dev_documents=sentences, n_bootstrap=0)
    changed = overfit_config(
        tiny_base, **{**SETTINGS, "training.checkpoint_minutes": 0, "training.learning_rate": 1e-3}
    )
    with pytest.raises(ConfigError, match=r"other settings \(training\.learning_rate differ\)"):
        train(changed, output, train_documents=sentences, dev_documents=sentences, n_bootstrap=0, resume=True)
    with pytest.raises(ConfigError, match="other training data"):
        train(config, output, train_documents=sentences[:-1], dev_documents=sentences, n_bootstrap=0, resume=True)

    resumed = train(config, output, train_documents=sentences, dev_documents=sentences, n_bootstrap=0, resume=True)
    assert (output / "model.safetensors").read_bytes() == (tmp_path / "whole" / "model.safetensors").read_bytes()
    drop_time = [{k: v for k, v in e.items() if k != "seconds"} for e in resumed.history.evaluations]
    assert drop_time == [{k: v for k, v in e.items() if k != "seconds"} for e in whole.history.evaluations]
    assert resumed.history.steps == whole.history.steps and resumed.history.best_step == whole.history.best_step
    assert not checkpoint_folder(output).exists()  # the run wrote it; its model folder is saved now


def test_resume_without_a_checkpoint_starts_from_the_first_step(tiny_base, sentences, tmp_path, caplog):
    config = overfit_config(tiny_base, **{**SETTINGS, "training.epochs": 1})
    result = train(config, tmp_path / "model", train_documents=sentences, n_bootstrap=0, resume=True)
    assert result.history.steps == len(sentences) and "no checkpoint" in caplog.text


def test_checkpoint_minutes_is_checked_and_the_cli_takes_resume(tmp_path, capsys):
    from specialize.cli.main import main

    assert main(["train", "--train", "x.conll", "--checkpoint-minutes", "-1", "--output", str(tmp_path / "o")]) == 2
    assert "checkpoint_minutes must be >= 0" in capsys.readouterr().err
    assert main(["train", "--checkpoint-minutes", "30", "--resume", "--print-config", "--output", "o"]) == 0
    assert "checkpoint_minutes = 30" in capsys.readouterr().out


def test_a_resumed_distillation_reads_its_teachers_targets_back(tiny_specialist, tiny_base, sentences, tmp_path,
                                                                monkeypatch):  # fmt: skip
    from specialize.inference.window_tagger import WindowTagger
    from specialize.training.distill import distill

    texts = [d.text for d in sentences]
    settings = {**SETTINGS, "training.epochs": 2}
    whole = distill(str(tiny_specialist), overfit_config(tiny_base, **settings), tmp_path / "whole",
                    unlabeled=texts, n_bootstrap=0, throughput_repeats=0)  # fmt: skip
    config = overfit_config(tiny_base, **settings, **{"training.checkpoint_minutes": 0})
    output = tmp_path / "student"
    targets = checkpoint_folder(output).with_name(".student.targets")

    with monkeypatch.context() as patch:  # killed in the first step: the targets are kept, no training state yet
        interrupt_after(patch, 0)
        with pytest.raises(Interrupted):
            distill(str(tiny_specialist), config, output, unlabeled=texts, n_bootstrap=0, throughput_repeats=0)
    assert list(targets.glob("*.npz")) and not checkpoint_folder(output).exists()
    with pytest.raises(OutputExistsError, match=r"left its teacher's targets in .*pass --resume to use them"):
        distill(str(tiny_specialist), config, output, unlabeled=texts, n_bootstrap=0, throughput_repeats=0)

    calls = []
    scorer = WindowTagger.word_probabilities
    monkeypatch.setattr(WindowTagger, "word_probabilities", lambda self, t: calls.append(t) or scorer(self, t))
    distill(str(tiny_specialist), config, output, unlabeled=texts, n_bootstrap=0, throughput_repeats=0, resume=True)
    assert calls == []  # the teacher was not asked again
    assert (output / "model.safetensors").read_bytes() == (tmp_path / "whole" / "model.safetensors").read_bytes()
    assert not targets.exists() and not checkpoint_folder(output).exists()
    assert whole.history.steps > 0


def test_remove_leaves_a_folder_holding_files_it_did_not_write(tmp_path):
    from specialize.training.checkpoint import MARKER, STATE_FILE, TrainingCheckpoint

    checkpoint = TrainingCheckpoint(checkpoint_folder(tmp_path / "out"), {}, None)
    checkpoint.folder.mkdir()
    (checkpoint.folder / "mine.npz").write_text("x")  # an .npz is a target chunk only in the targets folder
    checkpoint.targets_folder.mkdir()
    (checkpoint.targets_folder / STATE_FILE).write_text("x")  # and a checkpoint's file only in its own folder
    checkpoint.remove()
    assert (checkpoint.folder / "mine.npz").exists() and (checkpoint.targets_folder / STATE_FILE).exists()
    (checkpoint.folder / "mine.npz").unlink()
    (checkpoint.targets_folder / STATE_FILE).unlink()
    for name in (STATE_FILE, MARKER):
        (checkpoint.folder / name).write_text("x")
    (checkpoint.targets_folder / "chunk.npz").write_text("x")
    checkpoint.remove()
    assert not checkpoint.folder.exists() and not checkpoint.targets_folder.exists()
