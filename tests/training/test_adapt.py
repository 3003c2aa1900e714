"""Domain-adaptive pretraining (specialize adapt): masked-LM training on unlabeled text lowers the held-out
masked-LM loss of an encoder without a masked-LM head (BERT, as sentence-embedding checkpoints ship) and of an
MPNet-style one, writes a folder plain transformers loads and train --base trains on, masks whole words and never a
special token, and refuses what it must not do."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.conftest import overfit_config
from tests.encoders import build_tiny_encoder

from specialize.errors import SpecializeError

# Texts of the tiny vocabulary (tests/conftest.py WORDS) with a strong regularity to learn: each name is followed by
# the same verb and place.
TEXTS = [
    f"{name} visited {place} and {name} lives in {place} ."
    for name, place in (("obama", "paris"), ("merkel", "berlin"), ("smith", "london"), ("jones", "berlin"))
] * 30


def _adapt_args(**overrides):
    from specialize.training.args import AdaptArgs

    settings = {"epochs": 6, "batch_size": 8, "max_length": 32, "learning_rate": 3e-3, "head_learning_rate": 1e-2,
                "held_out": 0.1, "threads": 1, "progress": False, "device": "cpu"}  # fmt: skip
    return AdaptArgs(**{**settings, **overrides})


def _texts(texts=TEXTS):
    from specialize.data.document import Document
    from specialize.data.loading import LoadedData

    return LoadedData("unlabeled", "(texts)", [Document(t) for t in texts])


@pytest.mark.parametrize("family", ["bert", "mpnet"])
def test_adapting_lowers_the_held_out_loss_and_saves_a_plain_transformers_folder(family, tmp_path):
    from transformers import AutoModel, AutoModelForMaskedLM

    from specialize.training.adapt import ADAPT_FILE, adapt

    base = build_tiny_encoder(family, tmp_path / "base")
    result = adapt(base, _texts(), tmp_path / "adapted", _adapt_args())
    assert result.held_out_loss_after < 0.7 * result.held_out_loss_before
    assert AutoModel.from_pretrained(tmp_path / "adapted") is not None
    AutoModelForMaskedLM.from_pretrained(tmp_path / "adapted")  # the trained head comes back too
    info = json.loads((tmp_path / "adapted" / ADAPT_FILE).read_text())
    assert info["held_out_loss"]["after"] == round(result.held_out_loss_after, 4) and info["steps"] == result.steps
    card = (tmp_path / "adapted" / "README.md").read_text()
    assert "specialize train --base" in card and f"{info['held_out_loss']['before']:.4f} before" in card


def test_a_specialist_trains_on_the_adapted_base(tiny_base, sentences, tmp_path):
    from specialize.training.adapt import adapt
    from specialize.training.train import train

    adapt(tiny_base, _texts(), tmp_path / "adapted", _adapt_args(epochs=1))
    result = train(overfit_config(tmp_path / "adapted"), tmp_path / "model", train_documents=sentences,
                   dev_documents=sentences, n_bootstrap=0)  # fmt: skip
    assert result.history.best_f1 == pytest.approx(1.0)


def test_whole_words_are_masked_together_and_special_tokens_never(tiny_base):
    from transformers import AutoTokenizer

    from specialize.training.adapt import IGNORE, make_blocks, mask_blocks

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    texts = ["zorblax visited paris .", "qwxz met jones in berlin ."] * 20  # qwxz: four subword pieces
    blocks = make_blocks(tokenizer, texts, max_length=24)
    assert (blocks.ids[:, 0] == tokenizer.cls_token_id).all()
    inputs, labels = mask_blocks(blocks, np.arange(len(blocks.ids)), np.random.default_rng(0), tokenizer, 0.15, True)
    masked = labels != IGNORE
    special = np.isin(blocks.ids, tokenizer.all_special_ids)
    assert masked.any() and not (masked & special).any()
    for b in range(len(blocks.ids)):  # every subword of a masked word is masked
        words = {int(w) for w in blocks.words[b][masked[b]]}
        assert all(masked[b][blocks.words[b] == w].all() for w in words)
    share = masked.sum() / (~special & (blocks.ids != tokenizer.pad_token_id)).sum()
    assert 0.1 < share < 0.3
    assert (inputs[masked] == tokenizer.mask_token_id).mean() > 0.6  # 80% become [MASK]


def test_the_cli_adapts_and_refuses_bad_input_in_one_line(tiny_base, tmp_path, capsys, monkeypatch):
    from specialize.cli.main import main

    monkeypatch.chdir(tmp_path)  # a config's relative paths are the working folder's
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(TEXTS[:40]) + "\n")
    out = tmp_path / "adapted"
    common = ["--epochs", "1", "--max-length", "32", "--threads", "1", "--device", "cpu", "--no-progress"]
    assert main(["adapt", "--base", str(tiny_base), "--text", str(texts), *common, "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out masked-LM loss" in printed and (out / "specialize_config.toml").is_file()

    assert main(["adapt", "--base", str(tiny_base), "--text", str(texts), *common, "--output", str(out)]) != 0
    assert "exists" in capsys.readouterr().err  # never written over
    config = tmp_path / "adapt.toml"
    config.write_text('[adapt]\ntexts = ["texts.txt", "no-such-file.txt"]\n')
    assert main(["adapt", "--config", str(config), "--output", str(tmp_path / "other")]) != 0
    err = capsys.readouterr().err
    assert "adapt.texts[1] = 'no-such-file.txt'" in err and "fix the path or the name" in err
    assert main(["adapt", "--base", str(tiny_base), "--output", str(tmp_path / "other")]) != 0
    assert "--text" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_out_of_range_settings_name_the_key():
    with pytest.raises(SpecializeError, match=r"adapt.mlm_probability = 1.5 is out of range"):
        _adapt_args(mlm_probability=1.5).validate()


def test_a_base_with_its_masked_lm_head_keeps_it_and_adapts_again(tmp_path, caplog):
    from transformers import AutoModelForMaskedLM

    from specialize.training.adapt import adapt

    base = build_tiny_encoder("bert", tmp_path / "base")
    first = adapt(base, _texts(), tmp_path / "once", _adapt_args(epochs=2))
    caplog.clear()
    with caplog.at_level("INFO", logger="specialize.training.adapt"):
        again = adapt(tmp_path / "once", _texts(), tmp_path / "twice", _adapt_args(epochs=1))
    assert "has no masked-LM head" not in caplog.text  # the trained head came back, nothing made fresh
    assert again.held_out_loss_before == pytest.approx(first.held_out_loss_after, rel=1e-3)  # the same model
    AutoModelForMaskedLM.from_pretrained(tmp_path / "twice")
