#!/usr/bin/env bash
# Starts, checks or stops a local llama.cpp server with SmolLM2-135M-Instruct for the llm: teacher (installed by
# scripts/setup_llm.sh). start returns once the server answers and prints its base_url.
#   bash scripts/llm_server.sh start [--port 8080] [--threads 1]
#   bash scripts/llm_server.sh status|stop [--port 8080]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SPECIALIZE_VENV:-.venv}"
exec "$venv/bin/python" -m specialize.teachers.local_llm "$@"
