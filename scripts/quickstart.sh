#!/usr/bin/env bash
# The main job: train a disease-NER specialist (NCBI-disease train plus BC5CDR's disease mentions, ~22 min on
# 2 cores) and compare it with spaCy's general model on NCBI-disease test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export HF_HUB_OFFLINE=1
specialize train --config configs/ncbi_disease_bc5cdr.toml --output runs/ncbi-disease
specialize evaluate runs/ncbi-disease spacy:en_core_web_md --data ncbi-disease:test --json runs/ncbi-disease-test.json
