"""``--threads``: one setting caps torch, onnxruntime and the thread pools, for predict, serve and apply."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from specialize.cli.main import build_parser
from specialize.export import export
from specialize.utils.threads import set_threads


@pytest.fixture(scope="module")
def exported(tiny_specialist, tmp_path_factory):
    root = tmp_path_factory.mktemp("threads")
    shutil.copytree(tiny_specialist, root / "model")
    export(root / "model", root / "onnx")
    return root / "onnx"


def test_set_threads_caps_onnxruntime_torch_and_the_pools_in_a_fresh_process(exported):
    code = textwrap.dedent(
        f"""
        import json, os
        from specialize.utils.threads import set_threads
        set_threads(1)
        from specialize.runtime import OnnxPredictor
        session = OnnxPredictor.load({str(exported)!r}).session
        import torch  # loaded after the setting: takes it from OMP_NUM_THREADS
        print(json.dumps([session.get_session_options().intra_op_num_threads, torch.get_num_threads(),
                          os.environ["RAYON_NUM_THREADS"], os.environ["OMP_NUM_THREADS"]]))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [1, 1, "1", "1"]


def test_predict_serve_and_apply_take_threads(exported, tmp_path):
    parser = build_parser()
    for command in (["predict", "M"], ["serve", "M"], ["apply", "M", "-i", "x", "-o", "y"]):
        assert parser.parse_args([*command, "--threads", "2"]).threads == 2
    source = tmp_path / "in.txt"
    source.write_text("Obama visited Paris .\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "specialize", "-q", "predict", str(exported), "-i", str(source), "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["text"] == "Obama visited Paris ."


def test_zero_threads_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        set_threads(0)
