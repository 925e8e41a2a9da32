#!/usr/bin/env bash
# Check generated Flink SQL with Flink's parser/planner (PyFlink, no cluster, no connector jars).
# Usage: scripts/flink-check.sh [FILE_OR_DIR ...]     (default: result/)
# First run creates .flink-venv (apache-flink 1.20, ~0.7 GB, ~1.5 min; needs Java 11+ and pip
# access). Exit 0 = all statements passed, 1 = a statement failed (printed), 2 = setup failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SMT_FLINK_VENV:-$root/.flink-venv}"
py="${PYTHON:-python3}"

if ! "$venv/bin/python" -c 'import pyflink' 2>/dev/null; then
    echo "creating $venv with apache-flink==1.20.* (one time, ~1.5 min)..." >&2
    "$py" -m venv "$venv" || { echo "cannot create venv $venv (is python3-venv installed?)" >&2; exit 2; }
    "$venv/bin/pip" install -q 'apache-flink==1.20.*' || { echo "pip install apache-flink failed" >&2; exit 2; }
fi
command -v java >/dev/null || { echo "java not found: PyFlink needs a JDK/JRE 11+ on PATH" >&2; exit 2; }

if [ "$#" -eq 0 ]; then set -- "$root/result"; fi
# PyFlink warns about pkg_resources on import; keep stderr otherwise.
exec "$venv/bin/python" -W ignore::UserWarning "$root/scripts/check-flink-sql.py" "$@"
