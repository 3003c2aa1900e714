"""--device auto|cpu|cuda: the explicit CPU path trains exactly what the default does here, the saved weights are
the same, and asking for CUDA where torch sees none is a clear error, not a silent CPU run."""

from __future__ import annotations

import pytest
import torch
from tests.conftest import overfit_config

from specialize.config import ConfigError, load_config
from specialize.models.specialist import Specialist
from specialize.training.args import TrainingArgs
from specialize.training.train import train
from specialize.utils.device import place_predictor, resolve_device

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


def test_device_names_resolve_and_bad_ones_are_refused():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for bad in ("gpu", "cuda:x", "cpu:0", ""):
        with pytest.raises(ValueError, match="device must be auto, cpu, cuda or cuda:N"):
            resolve_device(bad)
    with pytest.raises(ConfigError, match="device must be"):
        load_config(overrides={"training.device": "tpu"})
    assert load_config(overrides={"training.device": "cuda:1"}).training.device == "cuda:1"  # checked when used


@no_gpu
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match=r"torch sees no CUDA GPU .*use --device cpu"):
        resolve_device("cuda")
    assert TrainingArgs().autocast_dtype(torch.device("cpu")) in (None, torch.bfloat16)
    assert TrainingArgs(bf16=False).autocast_dtype(torch.device("cpu")) is None


def test_training_on_an_explicit_cpu_gives_the_default_run_and_the_same_saved_weights(tiny_base, sentences, tmp_path):
    runs = {}
    for device in ("default", "cpu"):
        overrides = {"training.epochs": 5, "training.threads": 1}
        if device != "default":
            overrides["training.device"] = device
        config = overfit_config(tiny_base, **overrides)
        result = train(config, tmp_path / device, train_documents=sentences, dev_documents=sentences, n_bootstrap=0)
        runs[device] = result
    default, cpu = runs["default"], runs["cpu"]
    if not torch.cuda.is_available():  # auto is the CPU here: the very same computation
        assert (tmp_path / "cpu" / "model.safetensors").read_bytes() == (
            tmp_path / "default" / "model.safetensors"
        ).read_bytes()
        assert cpu.history.evaluations == default.history.evaluations
    texts = [d.text for d in sentences]
    loaded = Specialist.load(tmp_path / "cpu")
    assert next(loaded.model.parameters()).device.type == "cpu"
    assert [[s.key() for s in p] for p in loaded.predict(texts)] == [
        [s.key() for s in p] for p in cpu.specialist.predict(texts)
    ]


@no_gpu
def test_train_and_predict_with_cuda_but_no_gpu_fail_with_one_line(tiny_specialist, tmp_path, capsys):
    from specialize.cli.main import main

    (tmp_path / "in.txt").write_text("Obama visited Paris\n")
    assert main(["predict", str(tiny_specialist), "--input", str(tmp_path / "in.txt"), "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: device 'cuda' asked for, but torch sees no CUDA GPU") and err.count("\n") == 1
    code = main(["train", "--train", "x.conll", "--device", "gpu", "--output", str(tmp_path / "out")])
    assert code == 2 and "device must be auto, cpu, cuda or cuda:N" in capsys.readouterr().err


def test_placing_predictors(tiny_specialist):
    specialist = Specialist.load(tiny_specialist)
    assert place_predictor(specialist, "cpu") is specialist

    class Rules:  # not a torch model: runs where it runs
        name = "rules"

    rules = Rules()
    assert place_predictor(rules, "auto") is rules
    with pytest.raises(ValueError, match="not a torch model and runs on the CPU; drop --device cuda"):
        place_predictor(rules, "cuda")
    assert place_predictor(rules, "cuda", strict=False) is rules
