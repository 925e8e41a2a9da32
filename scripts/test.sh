#!/usr/bin/env bash
# The project's test command (README, CI): installs MariaDB if missing, starts a private server on
# its own port, runs every test of the workspace against it, and stops the server.
#   scripts/test.sh                 # everything
#   scripts/test.sh --test sync_e2e # extra args go to `cargo test`
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
  eval "$(scripts/mariadb.sh start)"
  started="$SMT_MARIADB_DIR"
  trap 'scripts/mariadb.sh stop "$started" >/dev/null 2>&1 || true; rm -rf "$started"' EXIT
fi
export SMT_MARIADB_HOST="${SMT_MARIADB_HOST:-127.0.0.1}" SMT_MARIADB_USER="${SMT_MARIADB_USER:-root}" \
       SMT_MARIADB_PASSWORD="${SMT_MARIADB_PASSWORD:-smt-test}"

echo "== cargo test --workspace $*" >&2
cargo test --workspace "$@"
