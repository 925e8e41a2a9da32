# Shared by scripts/bench-snapshot.sh and scripts/bench-binlog.sh (sourced, not run).
# Needs release builds of smt and the emulator (built here, once, unless SMT_BIN / EMU_BIN point
# at existing binaries) and a MariaDB with binlog ROW/FULL:
#  - SMT_MARIADB_HOST/PORT/USER/PASSWORD set (e.g. `source /tmp/smt-mdb/env.sh` or
#    `eval "$(scripts/mariadb.sh start)"`): that server is used (others' writes to it then show up
#    in the binlog figures and its buffer pool may be small);
#  - SMT_MARIADB_HOST unset: a private server is started here with scripts/mariadb.sh (port
#    BENCH_MARIADB_PORT, default a free one; buffer pool BENCH_MARIADB_POOL, default 1G so the
#    whole snapshot table is in memory) and stopped and removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SMT_BIN="${SMT_BIN:-target/release/smt}"
EMU_BIN="${EMU_BIN:-target/release/starrocks-emulator}"
if [ ! -x "$SMT_BIN" ] || [ ! -x "$EMU_BIN" ]; then
  echo "building release binaries (smt, starrocks-emulator)..." >&2
  cargo build --release -q --bin smt -p smt
  cargo build --release -q -p starrocks-emulator
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install -y time" >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/smt-bench.XXXXXX")"
EMU_PID=""
PRIVATE_MDB_DIR=""
cleanup() {
  if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; fi
  if [ -n "$PRIVATE_MDB_DIR" ]; then scripts/mariadb.sh stop "$PRIVATE_MDB_DIR" >/dev/null 2>&1 || true; rm -rf "$PRIVATE_MDB_DIR"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${SMT_MARIADB_HOST:-}" ]; then
  port="${BENCH_MARIADB_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
  echo "starting a private MariaDB on port $port (buffer pool ${BENCH_MARIADB_POOL:-1G})..." >&2
  PRIVATE_MDB_DIR="$(mktemp -d "${TMPDIR:-/tmp}/smt-bench-mdb.XXXXXX")"
  eval "$(SMT_MARIADB_PORT="$port" SMT_MARIADB_DIR="$PRIVATE_MDB_DIR" \
    SMT_MARIADB_EXTRA_ARGS="--innodb-buffer-pool-size=${BENCH_MARIADB_POOL:-1G} ${SMT_MARIADB_EXTRA_ARGS:-}" \
    scripts/mariadb.sh start)"
fi
: "${SMT_MARIADB_PORT:?}" "${SMT_MARIADB_USER:?}" "${SMT_MARIADB_PASSWORD:?}"
MDB_ARGS=(-h"$SMT_MARIADB_HOST" -P"$SMT_MARIADB_PORT" -u"$SMT_MARIADB_USER" -p"$SMT_MARIADB_PASSWORD")

sql() { mariadb --no-defaults "${MDB_ARGS[@]}" -N -B "$@"; }

# The server's pid when it runs on this machine (its CPU time is read from /proc), else empty.
MDB_PID="$(f="$(sql -e 'SELECT @@pid_file')"; [ -r "$f" ] && cat "$f" || true)"
[ -n "$MDB_PID" ] && [ -r "/proc/$MDB_PID/stat" ] || MDB_PID=""

# proc_cpu PID → user+sys CPU seconds the process has used so far (0 if it is gone).
proc_cpu() {
  python3 -c 'import os,sys
try:
    f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split()
    print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))
except Exception: print(0)' "${1:-0}"
}

# start_emulator [--no-store] [--data-dir DIR]: a fresh emulator (any previous one is stopped);
# sets EMU_PID, FE_QUERY, FE_HTTP.
start_emulator() {
  stop_emulator
  "$EMU_BIN" --fe-query-port 0 --fe-http-port 0 --be-http-port 0 "$@" > "$WORK/emu.json" 2>>"$WORK/emu.log" &
  EMU_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/emu.json" ] && break; sleep 0.1; done
  [ -s "$WORK/emu.json" ] || { echo "emulator did not start:" >&2; cat "$WORK/emu.log" >&2; exit 1; }
  FE_QUERY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fe_query"])' "$WORK/emu.json")
  FE_HTTP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fe_http"])' "$WORK/emu.json")
  : > "$WORK/emu.json"
}
stop_emulator() {
  if [ -n "$EMU_PID" ]; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
    EMU_PID=""
  fi
}

# rows_committed DB TABLE → the emulator's count of committed rows (both modes).
rows_committed() {
  curl -s "http://$FE_HTTP/_emulator/rows?db=$1&table=$2" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin).get("rows_committed") or 0)'
}

# write_config DB [extra rule lines...]  (after start_emulator: it names FE_QUERY / FE_HTTP)
write_config() {
  local db="$1"; shift
  {
    printf '[db]\ntype = mysql\nhost = %s\nport = %s\nuser = %s\npassword = %s\n\n' \
      "$SMT_MARIADB_HOST" "$SMT_MARIADB_PORT" "$SMT_MARIADB_USER" "$SMT_MARIADB_PASSWORD"
    printf '[other]\nbe_num = 1\noutput_dir = %s/result\n\n' "$WORK"
    printf '[table-rule.1]\ndatabase = ^%s$\ntable = .*\n' "$db"
    printf 'flink.starrocks.jdbc-url = jdbc:mysql://%s\nflink.starrocks.load-url = %s\n' "$FE_QUERY" "$FE_HTTP"
    printf 'flink.starrocks.username = root\nflink.starrocks.password =\n'
    for l in "$@"; do printf '%s\n' "$l"; done
  } > "$WORK/smt.ini"
  chmod 600 "$WORK/smt.ini"
}

# time_field FILE "Elapsed (wall clock) time" | "Maximum resident set size (kbytes)" | ...
time_field() { grep -F "$2" "$1" | sed 's/.*: //'; }
wall_seconds() {  # h:mm:ss or m:ss.ss → seconds
  python3 -c 'import sys
t=sys.argv[1].split(":"); s=0.0
for p in t: s=s*60+float(p)
print(f"{s:.2f}")' "$1"
}

# measure LABEL RESULTS_FILE CMD... : runs CMD under /usr/bin/time -v (its stdout to /dev/null
# unless CMD redirects it itself, e.g. through sh -c), appends one tab-separated line
#   label  wall_s  cpu_s(user+sys)  peak_rss_kib  server_cpu_s  emulator_cpu_s
# (server / emulator: CPU the MariaDB server and the running emulator used meanwhile; 0 if unknown).
# $WORK/last_start holds the epoch seconds at which CMD was started.
measure() {
  local label="$1" out="$2"; shift 2
  local tf="$WORK/time.$$.$RANDOM" s0 s1 e0 e1 rc=0
  s0=$(proc_cpu "$MDB_PID"); e0=$(proc_cpu "$EMU_PID")
  date +%s.%N > "$WORK/last_start"
  /usr/bin/time -v -o "$tf" "$@" > /dev/null 2> "$tf.err" || rc=$?
  s1=$(proc_cpu "$MDB_PID"); e1=$(proc_cpu "$EMU_PID")
  if [ "$rc" != 0 ]; then
    echo "$label failed (exit $rc):" >&2; cat "$tf.err" "$tf" >&2; exit 1
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" \
    "$(wall_seconds "$(time_field "$tf" "Elapsed (wall clock) time")")" \
    "$(python3 -c "print($(time_field "$tf" "User time (seconds)") + $(time_field "$tf" "System time (seconds)"))")" \
    "$(time_field "$tf" "Maximum resident set size (kbytes)")" \
    "$(python3 -c "print(round($s1 - $s0, 2))")" "$(python3 -c "print(round($e1 - $e0, 2))")" >> "$out"
  rm -f "$tf" "$tf.err"
}

# Conditions line for the printed figures.
conditions() {
  echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (shared with other work)"
  echo "MariaDB $(sql -e 'SELECT VERSION()') $([ -n "$PRIVATE_MDB_DIR" ] && echo "(private) ")on $SMT_MARIADB_HOST:$SMT_MARIADB_PORT, buffer pool $(sql -e 'SELECT @@innodb_buffer_pool_size DIV 1048576') MiB; $("$SMT_BIN" --version 2>/dev/null | head -1) ($SMT_BIN, git $(git rev-parse --short HEAD 2>/dev/null)); $(date -u +%Y-%m-%dT%H:%MZ)"
}
