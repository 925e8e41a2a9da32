#!/usr/bin/env bash
# Start or stop a private MariaDB for tests, benchmarks and demos (no systemd, loopback only,
# binlog ROW/FULL so `smt sync` can read it).
#
#   scripts/mariadb.sh start            # prints `export ...` lines; also writes $DIR/env.sh
#   scripts/mariadb.sh stop  [DIR]      # clean shutdown (SIGTERM), waits for exit
#   scripts/mariadb.sh install          # apt-get install mariadb-server (with the dpkg retry)
#
# Environment: SMT_MARIADB_PORT (default 33061), SMT_MARIADB_DIR (default: a new temp dir),
# SMT_MARIADB_PASSWORD (default smt-test), SMT_MARIADB_ROW_METADATA (unset: server default),
# SMT_MARIADB_SERVER_ID (default 1), SMT_MARIADB_EXTRA_ARGS (more mariadbd options, split on
# white space, e.g. '--gtid-strict-mode=1 --log-basename=primary'; they come after this script's
# server options, so they win over them, but before the socket, pid file and error log, which
# this script relies on).
set -euo pipefail

cmd="${1:-start}"

install_server() {
  if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
    echo "mariadb-server already installed" >&2; return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The image's docker-clean hook deletes .debs between dpkg runs; perl-base upgrades then fail
  # once. A --fix-broken pass and a second install succeed (measured on this machine kind).
  apt-get install -y -qq mariadb-server >/dev/null \
    || { apt-get -y -qq --fix-broken install >/dev/null && apt-get install -y -qq mariadb-server >/dev/null; }
}

stop_server() {
  local dir="$1"
  [ -f "$dir/mysqld.pid" ] || { echo "no mysqld.pid in $dir" >&2; return 1; }
  local pid; pid="$(cat "$dir/mysqld.pid")"
  kill -TERM "$pid" 2>/dev/null || { echo "mariadbd $pid not running" >&2; return 0; }
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "mariadbd $pid still running after 30 s" >&2; return 1
}

case "$cmd" in
  install) install_server; exit 0 ;;
  stop) stop_server "${2:-${SMT_MARIADB_DIR:?usage: $0 stop DIR}}"; exit $? ;;
  start) ;;
  *) echo "usage: $0 start|stop [DIR]|install" >&2; exit 2 ;;
esac

PATH="$PATH:/usr/sbin"
command -v mariadbd >/dev/null || { echo "mariadbd missing: run '$0 install' (needs root)" >&2; exit 1; }
port="${SMT_MARIADB_PORT:-33061}"
pass="${SMT_MARIADB_PASSWORD:-smt-test}"
server_id="${SMT_MARIADB_SERVER_ID:-1}"
# Split on white space on purpose (options without spaces in their values).
read -r -a extra_args <<<"${SMT_MARIADB_EXTRA_ARGS:-}"
dir="${SMT_MARIADB_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/smt-mariadb.XXXXXX")}"
mkdir -p "$dir/data" "$dir/tmp"
user="$(id -un)"

# --no-defaults first: the host's my.cnf files must not leak in. Each server has its own tmpdir:
# concurrent installs (tests start servers of their own in parallel) otherwise race on
# /tmp/#sql-temptable-* files.
mariadb-install-db --no-defaults --user="$user" --datadir="$dir/data" --skip-test-db \
  --tmpdir="$dir/tmp" >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }

# The socket, pid file and error log go last: an extra --log-basename would move them otherwise.
mariadbd --no-defaults --user="$user" --datadir="$dir/data" --tmpdir="$dir/tmp" \
  --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
  --server-id="$server_id" --log-bin=mysql-bin --binlog-format=ROW --binlog-row-image=FULL \
  ${SMT_MARIADB_ROW_METADATA:+--binlog-row-metadata=$SMT_MARIADB_ROW_METADATA} \
  --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
  --max-connections=500 \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
  ${extra_args[@]+"${extra_args[@]}"} \
  --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
  >"$dir/stdout.log" 2>&1 &
server_pid=$!

up=0
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || break
  if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
if [ "$up" != 1 ]; then
  echo "mariadbd did not start; error log follows ($dir)" >&2
  cat "$dir/error.log" >&2 || true
  kill -TERM "$server_pid" 2>/dev/null || true
  exit 1
fi

# install-db made root@localhost with socket auth only; add a password and a TCP root@'%'
# (loopback-bound, so '%' is only reachable locally).
mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('$pass');
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL

cat >"$dir/env.sh" <<ENV
export SMT_MARIADB_DIR='$dir'
export SMT_MARIADB_HOST=127.0.0.1
export SMT_MARIADB_PORT='$port'
export SMT_MARIADB_USER=root
export SMT_MARIADB_PASSWORD='$pass'
export SMT_MARIADB_SOCKET='$dir/mysqld.sock'
ENV
chmod 600 "$dir/env.sh"
cat "$dir/env.sh"
