#!/usr/bin/env bash
# Terminal output of `smt sync` as a user sees it (CI runs this after the tests):
#  - on a real terminal (tmux), the snapshot's progress bars are redrawn in place: each table
#    has exactly one bar line at the end, showing the rows read ("N rows, done"), and log lines
#    sit above the bars instead of breaking them;
#    the same when the snapshot runs in rounds with the binlog applied between them;
#  - in a file or a pipe, there are no bars and no colour codes at all (also with NO_COLOR).
# Needs tmux and mariadb-server; uses a running test MariaDB when SMT_MARIADB_PORT points at one.
#   scripts/tty-check.sh [path/to/smt]
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PATH:/usr/sbin"
smt_bin="${1:-target/release/smt}"
command -v tmux >/dev/null || { echo "tty-check: tmux is missing (apt-get install tmux)" >&2; exit 1; }
[ -x "$smt_bin" ] || cargo build -q --release --bin smt
cargo build -q --bin starrocks-emulator -p starrocks-emulator

work="$(mktemp -d "${TMPDIR:-/tmp}/smt-tty.XXXXXX")"
session="smt-tty-$$"
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  [ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null || true
  [ -n "${own_db:-}" ] && scripts/mariadb.sh stop "$own_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pw="${SMT_MARIADB_PASSWORD:-smt-test}"
if [ -n "${SMT_MARIADB_PORT:-}" ] && mariadb-admin --no-defaults -h127.0.0.1 -P"$SMT_MARIADB_PORT" -uroot -p"$pw" ping >/dev/null 2>&1; then
  port="$SMT_MARIADB_PORT"
else
  port="${SMT_TTY_PORT:-33093}"
  own_db="$work/mariadb"
  eval "$(SMT_MARIADB_PORT=$port SMT_MARIADB_DIR=$own_db scripts/mariadb.sh start)"
fi
db="smt_tty_$$"
sql=(mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -p"$pw")
"${sql[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db;"
for t in alpha beta gamma; do
  "${sql[@]}" "$db" -e "CREATE TABLE $t (id INT PRIMARY KEY, v VARCHAR(40));
    INSERT INTO $t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_60000;"
done

target/debug/starrocks-emulator --fe-query-port 0 --fe-http-port 0 --be-http-port 0 \
  --user root --password tty > "$work/emu.json" &
emu_pid=$!
for _ in $(seq 100); do [ -s "$work/emu.json" ] && break; sleep 0.1; done
fe=$(python3 -c "import json;print(json.load(open('$work/emu.json'))['fe_query'])")
http=$(python3 -c "import json;print(json.load(open('$work/emu.json'))['fe_http'])")

cat > "$work/c.ini" <<EOF
[db]
host = 127.0.0.1
port = $port
user = root
password = $pw
[other]
be_num = 1
output_dir = $work/result
[table-rule.1]
database = ^$db\$
table = .*
flink.starrocks.jdbc-url = jdbc:mysql://$fe
flink.starrocks.load-url = $http
flink.starrocks.username = root
flink.starrocks.password = tty
flink.starrocks.sink.buffer-flush.max-rows = 2000
EOF

fail() { echo "tty-check FAILED: $*" >&2; exit 1; }

# in_tmux WHAT SMT-ARGS...: run smt sync in a fresh tmux pane until it exits; it must exit 0 and
# leave exactly one finished bar line per table, showing its 60000 rows.
in_tmux() {
  local what="$1"; shift
  tmux kill-session -t "$session" 2>/dev/null || true
  tmux new-session -d -s "$session" -x 160 -y 40 \
    "$smt_bin sync $* --status-interval 1; echo SMT-EXIT=\$?; sleep 30"
  for _ in $(seq 600); do
    tmux capture-pane -p -t "$session" > "$work/pane.txt"
    grep -q "SMT-EXIT=" "$work/pane.txt" && break
    sleep 0.1
  done
  grep -q "SMT-EXIT=0" "$work/pane.txt" || { cat "$work/pane.txt"; fail "$what: sync did not finish with exit 0 in tmux"; }
  for t in alpha beta gamma; do
    n=$(grep -c "^$db\.$t " "$work/pane.txt" || true)
    [ "$n" = 1 ] || { cat "$work/pane.txt"; fail "$what: $t has $n bar lines on the terminal (bars scrolled instead of redrawing)"; }
    grep -q "^$db\.$t .* 60000 rows, done" "$work/pane.txt" || { cat "$work/pane.txt"; fail "$what: $t's finished bar does not show its 60000 rows"; }
  done
}

# 1. A real terminal.
in_tmux "a terminal" -c "$work/c.ini" --state-dir "$work/state1" --snapshot-only
if grep -q "rows/s" "$work/pane.txt" && grep -Eq "[0-9]\.[0-9]{4}/s" "$work/pane.txt"; then
  cat "$work/pane.txt"; fail "rates with four decimals"
fi

# 1b. The same terminal, the snapshot in rounds of 0.05 s with the binlog applied between them:
# a round's unfinished bars give way to the next round's, so each table still ends with one line.
sed 's/^\[other\]$/[other]\nsync_snapshot_catch_up_secs = 0.05/' "$work/c.ini" > "$work/c2.ini"
in_tmux "in rounds" -c "$work/c2.ini" --state-dir "$work/state1b" --until-caught-up --reset
grep -q "applying the binlog written during the snapshot round" "$work/pane.txt" || { cat "$work/pane.txt"; fail "no snapshot round ended"; }

# 2. A file: no bars, no colour codes; NO_COLOR too. The targets hold the first run's rows, which
# a new state directory does not account for: --reset says to start over (sync refuses otherwise).
"$smt_bin" sync -c "$work/c.ini" --state-dir "$work/state2" --snapshot-only --reset 2> "$work/err.txt" > /dev/null \
  || { cat "$work/err.txt"; fail "sync into a file did not finish with exit 0"; }
NO_COLOR=1 "$smt_bin" sync -c "$work/c.ini" --state-dir "$work/state3" --snapshot-only --reset 2>> "$work/err.txt" > /dev/null \
  || { cat "$work/err.txt"; fail "sync with NO_COLOR did not finish with exit 0"; }
if grep -q $'\033' "$work/err.txt"; then fail "escape codes in a redirected log"; fi
grep -q "snapshot done" "$work/err.txt" || fail "the redirected log lacks the status lines"
if grep -q "rows, done" "$work/err.txt"; then fail "progress bars drawn into a file"; fi

cp "$work/pane.txt" /tmp/last-pane.txt 2>/dev/null || true
"${sql[@]}" -e "DROP DATABASE $db"
echo "tty-check: bars redraw in place on a terminal; files get plain lines (ok)"
