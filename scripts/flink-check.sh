#!/usr/bin/env bash
# Check generated Flink jobs. Usage: scripts/flink-check.sh [--no-pyflink] [FILE_OR_DIR ...]   (default: result/)
#  0. both stdlib checkers run their --self-test (built-in good/bad cases) first; exit 2 if broken.
#  1. scripts/check-flink-options.py: the WITH options of every CREATE TABLE in flink-create.*.sql
#     against scripts/flink-connector-options.json (mysql-cdc, starrocks; stdlib Python, fast).
#  2. scripts/check-flink-cdc-pipeline.py: every *.yaml / *.yml Flink CDC pipeline definition
#     against scripts/flink-cdc-pipeline-schema.json (skipped when there is none).
#  3. scripts/check-flink-sql.py: the SQL with Flink's parser/planner (PyFlink, no cluster, no
#     connector jars); skipped with --no-pyflink. First run creates .flink-venv (apache-flink
#     1.20, ~0.7 GB, ~1.5 min; needs Java 11+ and pip access).
# All steps run; exit 0 = all passed, 1 = a check failed (printed), 2 = setup or usage failed.
# Extra options for step 1 (e.g. --parallelism 4, assumed when a file has no SET) go in
# SMT_FLINK_OPTIONS_ARGS, for step 2 (e.g. --default-parallelism 4) in SMT_FLINK_PIPELINE_ARGS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SMT_FLINK_VENV:-$root/.flink-venv}"
py="${PYTHON:-python3}"

pyflink=1
if [ "${1:-}" = "--no-pyflink" ]; then pyflink=0; shift; fi
if [ "$#" -eq 0 ]; then set -- "$root/result"; fi

# Directories go to every step; files by extension.
sql_targets=() yaml_targets=() have_yaml=0
for t in "$@"; do
    if [ -d "$t" ]; then
        yaml_targets+=("$t")
        y=0; compgen -G "$t/*.yaml" >/dev/null || compgen -G "$t/*.yml" >/dev/null && y=1
        # a directory of pipeline YAML only is not a missing-SQL error
        if [ "$y" -eq 0 ] || compgen -G "$t/flink-create.*.sql" >/dev/null; then sql_targets+=("$t"); fi
        if [ "$y" -eq 1 ]; then have_yaml=1; fi
    else
        case "$t" in
            *.yaml|*.yml) yaml_targets+=("$t"); have_yaml=1 ;;
            *) sql_targets+=("$t") ;;
        esac
    fi
done

rc=0
note() { # keep the worst exit code: 2 (setup) > 1 (failed) > 0
    if [ "$1" -ge 2 ]; then rc=2; elif [ "$1" -eq 1 ] && [ "$rc" -eq 0 ]; then rc=1; fi
}

# The checkers prove they can fail: their built-in bad cases must be reported (quiet when so).
for checker in check-flink-options.py check-flink-cdc-pipeline.py; do
    if ! out="$("$py" "$root/scripts/$checker" --self-test 2>&1)"; then
        printf '%s\n' "$out" | grep -v '^ok ' >&2
        echo "$checker --self-test failed: the checker itself is broken" >&2
        exit 2
    fi
done

if [ "${#sql_targets[@]}" -gt 0 ]; then
    echo "== connector options (check-flink-options.py)" >&2
    # shellcheck disable=SC2086
    "$py" "$root/scripts/check-flink-options.py" ${SMT_FLINK_OPTIONS_ARGS:-} "${sql_targets[@]}" && s=0 || s=$?
    note "$s"
fi
if [ "$have_yaml" -eq 1 ]; then
    echo "== Flink CDC pipeline YAML (check-flink-cdc-pipeline.py)" >&2
    # shellcheck disable=SC2086
    "$py" "$root/scripts/check-flink-cdc-pipeline.py" ${SMT_FLINK_PIPELINE_ARGS:-} "${yaml_targets[@]}" && s=0 || s=$?
    note "$s"
fi

if [ "$pyflink" -eq 1 ] && [ "${#sql_targets[@]}" -gt 0 ]; then
    echo "== Flink parser/planner (check-flink-sql.py, PyFlink)" >&2
    if ! "$venv/bin/python" -c 'import pyflink' 2>/dev/null; then
        echo "creating $venv with apache-flink==1.20.* (one time, ~1.5 min)..." >&2
        "$py" -m venv "$venv" || { echo "cannot create venv $venv (is python3-venv installed?)" >&2; exit 2; }
        "$venv/bin/pip" install -q 'apache-flink==1.20.*' || { echo "pip install apache-flink failed" >&2; exit 2; }
    fi
    command -v java >/dev/null || { echo "java not found: PyFlink needs a JDK/JRE 11+ on PATH" >&2; exit 2; }
    # PyFlink warns about pkg_resources on import; keep stderr otherwise.
    "$venv/bin/python" -W ignore::UserWarning "$root/scripts/check-flink-sql.py" "${sql_targets[@]}" && s=0 || s=$?
    note "$s"
fi
exit "$rc"
