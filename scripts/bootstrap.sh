#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install syncd with its dev extras. Idempotent; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local candidates=() p
    [ -n "${SYNCD_PYTHON:-}" ] && candidates+=("$SYNCD_PYTHON")
    candidates+=(python3.14 python3.13 python3.12)
    if command -v pyenv >/dev/null 2>&1; then
        for p in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do candidates+=("$p"); done
    fi
    for p in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3 /usr/bin/python3 python3; do
        candidates+=("$p")
    done
    for p in "${candidates[@]}"; do
        if command -v "$p" >/dev/null 2>&1 &&
            "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            command -v "$p"
            return 0
        fi
    done
    return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
    py=$(find_python) || {
        echo "bootstrap: no Python >= 3.12 found; install one (e.g. 'apt-get install python3.12' or pyenv) or set SYNCD_PYTHON" >&2
        exit 2
    }
    echo "bootstrap: creating .venv with $py ($("$py" --version))" >&2
    rm -rf .venv
    "$py" -m venv .venv
fi
stamp=.venv/.syncd-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log=.venv/pip-install.log
    if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e '.[dev]'; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "bootstrap: installing dependencies failed (full log: $log); check the package registry is reachable" >&2
        exit 1
    fi
    touch "$stamp"
fi
