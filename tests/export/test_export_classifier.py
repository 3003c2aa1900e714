"""Export tiny text classifiers (single- and multi-label) to ONNX: the torch-free OnnxClassifier gives torch's
probabilities and labels, through the library and through predict / evaluate / review; int8 runs; a failed
check leaves nothing behind; the runtime never imports torch or transformers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from tests.classification.test_text_classifier import MULTI, SINGLE, _train

from specialize.data.model_folder import folder_task
from specialize.export import ExportCheckFailed, export
from specialize.export.check import compare_label_predictions, format_check_report
from specialize.inference.window_classifier import ClassifierSettings
from specialize.models.predict import predict as classify
from specialize.models.resolve import load_model as load_classifier
from specialize.models.review import review_contract
from specialize.models.text_classifier import TextClassifier
from specialize.runtime import OnnxClassifier

FILLER = "the city of the river near the company . "
# Texts the models never saw, some far longer than a window (when windows are made small below).
TEXTS = [
    "the doctor and the patient",
    FILLER * 6 + "the player met the team in paris",
    "acme said the drug treated cancer " + FILLER * 3,
    "zorblax",
    "",
]


@pytest.fixture(scope="module")
def models(tiny_base, tmp_path_factory):
    """{"single", "multi"}: (torch folder, fp32 export); plus "int8": the single-label int8 export."""
    root = tmp_path_factory.mktemp("export_cls")
    single = _train(tiny_base, SINGLE, root / "single").output
    multi = _train(tiny_base, MULTI, root / "multi", **{"model.pooling": "max"}).output
    out = {
        "single": (single, export(single, root / "single-onnx", check=SINGLE).output),
        "multi": (multi, export(multi, root / "multi-onnx", check=MULTI).output),
    }
    int8 = export(single, root / "single-int8", int8=True, check=SINGLE, max_f1_drop=100, max_recall_drop=100)
    return {**out, "int8": int8}


def _small_windows(*classifiers):
    # 16-subword windows: the long texts span several, so pooling over windows is compared too.
    for c in classifiers:
        c.settings = ClassifierSettings(**{**vars(c.settings), "max_length": 16, "stride": 4})


@pytest.mark.parametrize("kind", ["single", "multi"])
def test_fp32_export_gives_the_torch_probabilities_and_labels(models, kind):
    source, exported = models[kind]
    torch_model = TextClassifier.load(source)
    onnx_model = OnnxClassifier.load(exported, threads=1, batch_size=3)
    assert onnx_model.labels == torch_model.labels and onnx_model.multi_label == torch_model.multi_label
    assert onnx_model.settings == ClassifierSettings(**{**vars(torch_model.settings), "batch_size": 3})
    train_texts = [t.text for t in (SINGLE if kind == "single" else MULTI)]
    for texts in (train_texts, TEXTS):
        np.testing.assert_allclose(onnx_model.predict_proba(texts), torch_model.predict_proba(texts), atol=1e-4)
        assert onnx_model.predict(texts) == torch_model.predict(texts)
    _small_windows(torch_model, onnx_model)
    assert len(onnx_model.preprocess(TEXTS[1:2])) >= 4  # several windows for the long text
    np.testing.assert_allclose(onnx_model.predict_proba(TEXTS), torch_model.predict_proba(TEXTS), atol=1e-4)
    assert onnx_model.predict(TEXTS) == torch_model.predict(TEXTS)
    assert onnx_model.predict_proba([]).shape == (0, len(onnx_model.labels)) and onnx_model.predict([]) == []


def test_the_trained_models_are_not_degenerate(models):
    # Guards the comparisons above against a model that gives every text the same labels.
    single = OnnxClassifier.load(models["single"][1])
    assert not single.multi_label and len({tuple(p) for p in single.predict([t.text for t in SINGLE])}) > 1
    multi = OnnxClassifier.load(models["multi"][1])
    assert multi.multi_label and multi.settings.pooling == "max"
    assert len({tuple(p) for p in multi.predict([t.text for t in MULTI])}) > 1


def test_exported_folder_holds_the_classifier_settings_card_and_check(models):
    source, folder = models["multi"]
    for name in ("model.onnx", "tokenizer.json", "config.json", "export.json", "README.md"):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    saved = json.loads((source / "config.json").read_text())
    assert config["specialize"]["task"] == "classification" and folder_task(folder) == "classification"
    assert config["specialize"]["classifier"] == saved["specialize"]["classifier"]  # threshold, pooling, windows
    assert config["id2label"] == saved["id2label"] and config["problem_type"] == "multi_label_classification"
    assert config["specialize"]["export"]["task"] == "classification"
    assert config["specialize"]["export"]["runtime"] == "specialize.runtime.OnnxClassifier"
    report = json.loads((folder / "export.json").read_text())
    assert report["check"]["passed"] and report["check"]["unit"] == "label"
    assert set(report["check"]["per_type"]) == {"clinical", "sport"}
    assert report["numerics"]["max_abs_diff"] < 1e-4 and report["numerics"]["argmax_agreement"] == 1.0
    card = (folder / "README.md").read_text()
    assert "## Export" in card and "OnnxClassifier" in card and "| label | support |" in card
    assert isinstance(load_classifier(folder), OnnxClassifier)


def test_int8_export_runs_and_is_smaller(models):
    result = models["int8"]
    classifier = OnnxClassifier.load(result.output)
    probabilities = classifier.predict_proba(TEXTS)
    assert probabilities.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)  # single-label: softmax rows
    assert all(len(labels) == 1 and labels[0] in classifier.labels for labels in classifier.predict(TEXTS))
    quantization = json.loads((result.output / "export.json").read_text())["quantization"]
    assert quantization["int8_matmuls"] > 0
    fp32 = models["single"][1] / "model.onnx"
    assert (result.output / "model.onnx").stat().st_size < fp32.stat().st_size
    assert result.check is not None and result.check.unit == "label"


def test_failed_check_prints_a_per_label_report_and_leaves_no_folder(models, tmp_path):
    source, _ = models["single"]
    with pytest.raises(ExportCheckFailed) as caught:
        export(source, tmp_path / "out", check=SINGLE, max_f1_drop=-1)
    report = caught.value.report
    assert report is not None and not report.passed and report.failures[0].startswith("micro F1 dropped")
    printed = format_check_report(report)
    assert "FAIL" in printed and "Export check on 5 texts" in printed and "label agreement" in printed
    assert all(label in printed for label in ("business", "clinical", "sport"))
    assert list(tmp_path.iterdir()) == []  # neither the output nor the temporary folder


def test_a_label_losing_recall_fails_even_when_micro_f1_holds():
    gold = [["common"]] * 200 + [["rare"]]
    exported = [["common"]] * 201  # the one rare text is lost: micro F1 drops by 0.5 points
    report = compare_label_predictions(gold, gold, exported, max_f1_drop=1.0)
    assert report.f1_drop < 1.0 and report.span_agreement < 1.0
    assert report.failures == ["rare recall dropped 100.00 points (1.0000 -> 0.0000; limit 1.0)"]
    assert compare_label_predictions(gold, gold, exported, max_f1_drop=1.0, max_recall_drop={"rare": 100}).passed
    with pytest.raises(ValueError, match="no gold labels"):
        compare_label_predictions([[]], [[]], [[]])


def test_check_data_of_the_wrong_kind_is_a_clear_error(models, sentences, tmp_path):
    source, _ = models["single"]
    with pytest.raises(TypeError, match="LabelledText"):
        export(source, tmp_path / "out", check=sentences)
    assert list(tmp_path.iterdir()) == []


def test_runtime_never_imports_torch_or_transformers(models):
    source, exported = models["multi"]
    code = textwrap.dedent(
        f"""
        import json, sys
        from specialize.runtime.onnx import OnnxClassifier
        from specialize.models.predict import predict as classify
        classifier = OnnxClassifier.load({str(exported)!r}, threads=1)
        probabilities = classifier.predict_proba({TEXTS!r}).tolist()
        records = classify({str(exported)!r}, {TEXTS!r})  # the path `specialize predict` takes
        leaked = [m for m in ("torch", "transformers") if m in sys.modules]
        assert not leaked, leaked
        print(json.dumps([probabilities, [r["labels"] for r in records]]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    probabilities, labels = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = TextClassifier.load(source)
    np.testing.assert_allclose(probabilities, expected.predict_proba(TEXTS), atol=1e-4)
    assert labels == expected.predict(TEXTS)


def _same_records(got, expected):
    """Same labels and ids; every score equal up to fp32 rounding (scores are written with 6 decimals)."""
    assert [{**r, "scores": None} for r in got] == [{**r, "scores": None} for r in expected]
    for a, b in zip(got, expected, strict=True):
        assert a["scores"].keys() == b["scores"].keys()
        assert list(a["scores"].values()) == pytest.approx(list(b["scores"].values()), abs=1e-4)


def test_predict_evaluate_and_review_give_the_torch_results(models, tmp_path, capsys):
    from specialize.cli.main import main

    source, exported = models["multi"]
    _same_records(classify(exported, TEXTS), classify(source, TEXTS))

    inputs = tmp_path / "texts.txt"
    inputs.write_text("\n".join(t for t in TEXTS if t) + "\n")
    for name, model in (("torch", source), ("onnx", exported)):
        assert main(["predict", str(model), "--input", str(inputs), "--output", str(tmp_path / f"{name}.jsonl")]) == 0
    torch_lines, onnx_lines = (
        [json.loads(line) for line in (tmp_path / f"{n}.jsonl").read_text().splitlines()] for n in ("torch", "onnx")
    )
    assert len(onnx_lines) == len(TEXTS) - 1
    _same_records(onnx_lines, torch_lines)

    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(t.to_dict()) + "\n" for t in MULTI))
    for name, model in (("torch", source), ("onnx", exported)):
        assert main(["evaluate", str(model), "--data", str(gold), "--json", str(tmp_path / f"{name}.json")]) == 0
    torch_record, onnx_record = (json.loads((tmp_path / f"{n}.json").read_text())[0] for n in ("torch", "onnx"))
    for key in ("accuracy", "micro_f1", "macro_f1", "per_label", "micro_f1_ci"):
        assert onnx_record[key] == torch_record[key], key

    contract = "doctor patient\ndrug\n\n  river city\n\n\nplayer team and " + FILLER * 4
    got, expected = review_contract(exported, contract), review_contract(source, contract)
    assert [(p.start, p.end, p.text, p.labels) for p in got.passages] == [
        (p.start, p.end, p.text, p.labels) for p in expected.passages
    ]
    assert got.to_dict()["missing"] == expected.to_dict()["missing"]
    capsys.readouterr()


def test_cli_exports_a_classifier_and_fails_cleanly(models, tmp_path, capsys):
    from specialize.cli.main import main

    source, _ = models["single"]
    gold = tmp_path / "gold.csv"
    gold.write_text("text,label\n" + "".join(f"{t.text},{t.labels[0]}\n" for t in SINGLE))
    args = ["export", str(source), "--check", str(gold)]
    assert main([*args, "--output", str(tmp_path / "bad"), "--max-f1-drop", "-1"]) == 2
    assert not (tmp_path / "bad").exists() and "FAIL" in capsys.readouterr().out
    assert main([*args, "--output", str(tmp_path / "ok")]) == 0
    printed = capsys.readouterr().out
    assert "Export check on 5 texts" in printed and "wrote" in printed and "fp32" in printed
    out = tmp_path / "labels.jsonl"
    (tmp_path / "in.txt").write_text("the player met the team\n")
    assert main(["predict", str(tmp_path / "ok"), "--input", str(tmp_path / "in.txt"), "--output", str(out)]) == 0
    assert json.loads(out.read_text())["labels"] == TextClassifier.load(source).predict(["the player met the team"])[0]
