#!/usr/bin/env bash
# Installs the binding from source (release build) plus PyJWT, joserfc and cryptography into
# bindings-python/.venv, then runs bench/bench.py (arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps .
exec .venv/bin/python bench/bench.py "$@"
