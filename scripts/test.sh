#!/usr/bin/env bash
# Create the environment if needed, then run the whole suite: ruff, mypy --strict, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== ruff" >&2
.venv/bin/ruff check syncd tests bench
.venv/bin/ruff format --check syncd tests bench
echo "== function size (<= 60 lines; complexity <= 15 is ruff's C901)" >&2
.venv/bin/python scripts/function_size.py
echo "== mypy --strict" >&2
.venv/bin/mypy
echo "== pytest" >&2
.venv/bin/pytest "$@"
