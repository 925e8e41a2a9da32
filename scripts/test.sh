#!/usr/bin/env bash
# The project's test command (README, CI): installs MariaDB if missing, starts a private server on
# its own port, runs every test of the workspace against it, and stops the server.
#   scripts/test.sh                 # everything
#   scripts/test.sh --test sync_e2e # extra args go to `cargo test` (then only the debug run,
#                                   unless SMT_TEST_RELEASE=1)
# If SMT_MARIADB_PORT points at a running server already (exported env), that server is used.
set -euo pipefail
cd "$(dirname "$0")/.."

started=""
if [ -z "${SMT_MARIADB_PORT:-}" ] || ! mariadb-admin --no-defaults -h127.0.0.1 -P"$SMT_MARIADB_PORT" \
      -u"${SMT_MARIADB_USER:-root}" -p"${SMT_MARIADB_PASSWORD:-smt-test}" ping >/dev/null 2>&1; then
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    echo "== installing mariadb-server (apt)" >&2
    scripts/mariadb.sh install
  fi
  export SMT_MARIADB_PORT="${SMT_MARIADB_PORT:-33071}"
  unset SMT_MARIADB_DIR
  echo "== starting MariaDB on 127.0.0.1:$SMT_MARIADB_PORT" >&2
  env_lines="$(scripts/mariadb.sh start)" || {
    echo "== could not start MariaDB on port $SMT_MARIADB_PORT (see above); set SMT_MARIADB_PORT to a free port" >&2
    exit 1
  }
  eval "$env_lines"
  started="$SMT_MARIADB_DIR"
  trap 'scripts/mariadb.sh stop "$started" >/dev/null 2>&1 || true; rm -rf "$started"' EXIT
fi
export SMT_MARIADB_HOST="${SMT_MARIADB_HOST:-127.0.0.1}" SMT_MARIADB_USER="${SMT_MARIADB_USER:-root}" \
       SMT_MARIADB_PASSWORD="${SMT_MARIADB_PASSWORD:-smt-test}"

echo "== cargo test --workspace $*" >&2
cargo test --workspace "$@"

# The binary users run is the release build: run the unit tests and the tests of what it writes
# and applies (golden files, result/, generate → apply, every type size) and the sync binary
# through operations, kill -9 and no-key changes (sync_operations, sync_crash, sync_nokey) and
# verify (verify_e2e), and the snapshot and binlog value paths (sync_values, sync_e2e, binlog_images:
# the binlog row images read without mysql_common's per-row column metadata) in that profile too.
# LLVM has miscompiled code here that the debug build got right (see mapping::clamp_len).
if [ "$#" -eq 0 ] || [ "${SMT_TEST_RELEASE:-}" = 1 ]; then
  echo "== cargo test --release (shipped profile)" >&2
  cargo test --release -p smt --lib --test render_golden --test result_current \
    --test apply_generated --test shipped_binary --test cli_generate --test plan_build \
    --test plan_shards --test stream_load_emulator --test sync_operations --test sync_crash \
    --test sync_reject --test sync_nokey --test diff_alter --test verify_e2e --test binlog_images \
    --test sync_values --test sync_e2e
  # The emulator's own tests in the profile the benchmarks run it in (its kill -9 and
  # persistence tests load faster there).
  cargo test --release -p starrocks-emulator
fi
