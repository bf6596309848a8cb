#!/usr/bin/env bash
# Builds the Python binding from source into bindings-python/.venv (pip install ./bindings-python,
# through maturin's PEP 517 backend), checks the abi3 wheel, and runs pytest (which also runs
# mypy --strict over the package and an example app). Idempotent; run from any directory.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv 2>/dev/null; then
        # Debian's python3 ships venv/ensurepip separately.
        rm -rf .venv
        apt-get update && apt-get install -y python3-venv
        "$PYTHON" -m venv .venv
    fi
fi
PY=.venv/bin/python
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt

echo "== pip install ./bindings-python (from source)"
"$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps .

echo "== maturin build (abi3 wheel)"
rm -rf dist
.venv/bin/maturin build --release --quiet --out dist >/dev/null
ls dist/*-cp39-abi3-*.whl

echo "== pytest"
"$PY" -m pytest -q -p no:cacheprovider
