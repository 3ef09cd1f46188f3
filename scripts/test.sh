#!/usr/bin/env bash
# Install into .venv (CPU torch, pinned so no CUDA build is pulled), lint, type-check, and run
# every test (tests/test_import_contract.py checks the layering); CI (.ci/run) runs it this way.
# `--quick` first leaves out the tests marked `slow` (real models, long runs): -m "not slow".
# Any other arguments go to pytest.
set -euo pipefail
quick=()
if [ "${1:-}" = "--quick" ]; then
    quick=(-m "not slow")
    shift
fi
cd "$(dirname "$0")/.."
python3 -m venv .venv
. .venv/bin/activate
pip install -q torch==2.13.0 -e ".[dev]"
ruff check .
ruff format --check .
mypy grounding/
python -m pytest -q -p no:cacheprovider ${quick[@]+"${quick[@]}"} "$@"
