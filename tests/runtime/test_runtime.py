"""The torch-free runtime: same spans as the torch specialist, and torch/transformers never imported."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from specialize.data.features import InferenceSettings
from specialize.export import export
from specialize.models.specialist import Specialist
from specialize.runtime import OnnxPredictor

FILLER = "the doctor said the patient was treated with the drug . "


@pytest.fixture(scope="module")
def folders(tiny_specialist, tmp_path_factory):
    """(specialist folder, exported fp32 folder) of a tiny specialist overfit on the five sentences."""

    root = tmp_path_factory.mktemp("runtime")
    shutil.copytree(tiny_specialist, root / "model")
    export(root / "model", root / "onnx")
    return root / "model", root / "onnx"


def test_predict_in_a_fresh_interpreter_never_imports_torch_or_transformers(folders, sentences):
    source, exported = folders
    texts = [d.text for d in sentences]
    code = textwrap.dedent(
        f"""
        import json, sys
        from specialize.runtime import OnnxPredictor
        predictor = OnnxPredictor.load({str(exported)!r}, threads=1)
        spans = predictor.predict({texts!r})
        leaked = [m for m in ("torch", "transformers") if m in sys.modules]
        assert not leaked, leaked
        print(json.dumps([[[s.start, s.end, s.label, s.score] for s in doc] for doc in spans]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = Specialist.load(source).predict(texts)
    assert [[tuple(s[:3]) for s in doc] for doc in got] == [[s.key() for s in doc] for doc in expected]
    assert [s[3] for doc in got for s in doc] == pytest.approx([s.score for doc in expected for s in doc], abs=1e-5)


def test_long_documents_are_windowed_and_merged_like_the_torch_specialist(folders):
    source, exported = folders
    specialist = Specialist.load(source)
    predictor = OnnxPredictor.load(exported, threads=1, batch_size=3)
    # Small windows so each document spans many; both runtimes must cut, merge and decode identically.
    for runtime in (specialist, predictor):
        runtime.settings = InferenceSettings(**{**vars(runtime.settings), "max_length": 16, "stride": 4})
    texts = [FILLER * 4 + "Obama visited Paris .", "Merkel met Smith in Berlin . " * 6, ""]
    _, features = predictor.preprocess(texts)
    assert len(features) >= 8  # several windows per document
    expected = specialist.predict(texts)
    got = predictor.predict(texts)
    assert [[s.key() for s in doc] for doc in got] == [[s.key() for s in doc] for doc in expected]
    assert got[2] == []
    docs, probs = predictor.word_probabilities(texts[:1])
    assert probs[0].shape == (docs[0].n_words, len(predictor.label_list))


def test_load_reads_labels_settings_and_thread_count(folders):
    _, exported = folders
    predictor = OnnxPredictor.load(exported, threads=1)
    assert predictor.labels == ["LOC", "ORG", "PER"]
    assert predictor.settings.max_length == 256 and predictor.settings.word_shapes
    assert predictor.input_names == ["input_ids", "attention_mask", "token_type_ids"]
    assert predictor.session.get_session_options().intra_op_num_threads == 1
    assert predictor.predict([]) == []


def test_missing_model_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="specialize export"):
        OnnxPredictor.load(tmp_path)
