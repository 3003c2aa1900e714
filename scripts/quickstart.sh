#!/usr/bin/env bash
# The main job: train a disease-NER specialist on NCBI-disease and compare it with spaCy's general model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export HF_HUB_OFFLINE=1
specialize train --config configs/ncbi_disease.toml --output runs/ncbi-disease
specialize evaluate runs/ncbi-disease spacy:en_core_web_md --data ncbi-disease:test --json runs/ncbi-disease-test.json
