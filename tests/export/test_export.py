"""Export a tiny overfit specialist to ONNX (fp32 and int8): same spans as the source, a complete folder, and a
failed accuracy check that leaves nothing behind."""

from __future__ import annotations

import json

import pytest

from specialize.data.document import Document, Span
from specialize.data.io import write_documents
from specialize.export import ExportCheckFailed, export
from specialize.export.check import compare_predictions, format_check_report
from specialize.models.resolve import load_model
from specialize.models.specialist import Specialist
from specialize.runtime import OnnxPredictor
from specialize.utils.output_folder import OutputFolderError


@pytest.fixture(scope="module")
def exports(tiny_specialist, tmp_path_factory):
    from tests.conftest import tiny_sentences

    root = tmp_path_factory.mktemp("exports")
    fp32 = export(tiny_specialist, root / "fp32", check=tiny_sentences())
    int8 = export(
        tiny_specialist, root / "int8", int8=True, check=tiny_sentences(), max_f1_drop=100, max_recall_drop=100
    )
    return fp32, int8


def _keys(predictions):
    return [[s.key() for s in spans] for spans in predictions]


def test_fp32_export_predicts_the_source_spans_exactly(tiny_specialist, exports, sentences):
    texts = [d.text for d in sentences]
    source = Specialist.load(tiny_specialist).predict(texts)
    exported = OnnxPredictor.load(exports[0].output).predict(texts)
    assert _keys(exported) == _keys(source) == [sorted(s.key() for s in d.spans) for d in sentences]
    for a, b in zip(source, exported, strict=True):
        assert [s.score for s in b] == pytest.approx([s.score for s in a], abs=1e-5)
    assert exports[0].numerics["max_abs_diff"] < 1e-4
    assert exports[0].numerics["argmax_agreement"] == 1.0


def test_int8_export_gives_well_formed_spans_close_to_the_source(tiny_specialist, exports, sentences):
    fp32, int8 = exports
    texts = [d.text for d in sentences]
    predictor = OnnxPredictor.load(int8.output)
    predicted = predictor.predict(texts)
    assert len(predicted) == len(texts)
    for text, spans in zip(texts, predicted, strict=True):
        previous_end = 0
        for span in spans:  # sorted, inside the text, non-overlapping, known type, a probability as score
            assert previous_end <= span.start < span.end <= len(text)
            assert span.label in predictor.labels and 0.0 < span.score <= 1.0
            previous_end = span.end
    assert int8.check is not None and int8.check.span_agreement >= 0.8
    assert int8.numerics["argmax_agreement"] >= 0.95
    info = json.loads((int8.output / "export.json").read_text())
    quantization = info["quantization"]
    assert quantization["int8_matmuls"] > 0 and quantization["excluded_nodes"]  # classifier kept in fp32
    assert (int8.output / "model.onnx").stat().st_size < (fp32.output / "model.onnx").stat().st_size
    assert not (int8.output / "model.fp32.onnx").exists()


def test_output_folder_holds_the_whole_inference_path(exports):
    folder = exports[0].output
    for name in ("model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json", "export.json", "README.md"):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.safetensors"))
    config = json.loads((folder / "config.json").read_text())
    assert config["specialize"]["inference"]["max_length"] == 256
    assert config["specialize"]["export"]["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    assert config["id2label"]
    report = json.loads((folder / "export.json").read_text())
    assert report["check"]["passed"] and set(report["check"]["per_type"]) == {"LOC", "ORG", "PER"}
    card = (folder / "README.md").read_text()
    assert "## Evaluation" in card and "## Export" in card and "OnnxPredictor" in card
    assert oct(folder.stat().st_mode & 0o777) == oct(0o755)


def test_failed_check_raises_with_the_report_and_leaves_no_folder(tiny_specialist, sentences, tmp_path):
    with pytest.raises(ExportCheckFailed) as caught:
        export(tiny_specialist, tmp_path / "out", check=sentences, max_f1_drop=-1)
    report = caught.value.report
    assert report is not None and not report.passed and "micro F1" in report.failures[0]
    assert "FAIL" in format_check_report(report)
    assert list(tmp_path.iterdir()) == []  # neither the output nor the temporary folder


def test_existing_output_is_kept_unless_overwrite_and_never_replaced_when_not_ours(tiny_specialist, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    for overwrite in (False, True):  # a folder export did not write is never replaced
        with pytest.raises(OutputFolderError, match="did not write"):
            export(tiny_specialist, out, overwrite=overwrite)
    assert (out / "keep.txt").read_text() == "x"
    (out / "keep.txt").unlink()
    export(tiny_specialist, out)
    with pytest.raises(OutputFolderError, match="--overwrite"):
        export(tiny_specialist, out)
    export(tiny_specialist, out, overwrite=True)
    assert (out / "model.onnx").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_load_model_picks_the_onnx_runtime_for_exported_folders(exports):
    assert isinstance(load_model(str(exports[0].output)), OnnxPredictor)


def test_per_type_recall_drop_fails_even_when_micro_f1_holds():
    docs = [Document("a b", [Span(0, 1, "PER")]) for _ in range(100)] + [Document("c", [Span(0, 1, "RARE")])]
    source = [d.spans for d in docs]
    exported = [d.spans for d in docs[:-1]] + [[]]  # the one RARE span is lost: micro F1 drops < 1 point
    report = compare_predictions(docs, source, exported, max_f1_drop=1.0)
    assert report.f1_drop < 1.0
    assert not report.passed and report.failures == ["RARE recall dropped 100.00 points (1.0000 -> 0.0000; limit 1.0)"]
    assert compare_predictions(docs, source, exported, max_f1_drop=1.0, max_recall_drop={"RARE": 100}).passed
    with pytest.raises(ValueError, match="not in the check data"):
        compare_predictions(docs, source, exported, max_recall_drop={"LOC": 1.0})


def test_cli_export_prints_the_check_and_fails_cleanly(tiny_specialist, sentences, tmp_path, capsys):
    from specialize.cli.main import main

    gold = tmp_path / "gold.jsonl"
    write_documents(sentences, gold)
    args = ["export", str(tiny_specialist), "--output", str(tmp_path / "bad"), "--check", str(gold)]
    code = main([*args, "--max-f1-drop", "-1"])
    assert code == 2 and not (tmp_path / "bad").exists()
    assert "FAIL" in capsys.readouterr().out
    assert main(["export", str(tiny_specialist), "-o", str(tmp_path / "ok"), "--int8", "--check", str(gold)]) == 0
    assert (tmp_path / "ok" / "model.onnx").is_file()
    from specialize.command_configs import ExportConfig
    from specialize.config import CONFIG_FILE, load_command_config

    saved = load_command_config(ExportConfig, tmp_path / "ok" / CONFIG_FILE)  # the resolved config, to rerun it
    assert (saved.export.model, saved.export.int8, saved.export.check) == (str(tiny_specialist), True, str(gold))


def test_the_export_card_describes_the_onnx_folder_not_a_transformers_one(exports):
    """Issue #15 item 11: the card kept `library_name: transformers` and a pipeline(...) snippet that fails."""
    card = (exports[1].output / "README.md").read_text()
    assert "library_name: transformers" not in card and "pipeline(" not in card and "from_pretrained(" not in card
    assert card.startswith("---\nlibrary_name: onnxruntime\n") and "# int8\n" in card
    assert "from specialize.runtime import OnnxPredictor" in card and "specialize predict THIS_FOLDER" in card
    assert "argmax agreement" in card and "| **micro** |" in card  # the numerics and the check, with numbers
    assert "### Evaluation" in card and card.count("\n# ") == 1  # the source card kept below, one title
