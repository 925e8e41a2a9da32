# Shared by scripts/bench-snapshot.sh and scripts/bench-binlog.sh (sourced, not run).
# Needs: a MariaDB with binlog ROW/FULL (SMT_MARIADB_HOST/PORT/USER/PASSWORD, e.g.
# `source /tmp/smt-mdb/env.sh` or `eval "$(scripts/mariadb.sh start)"`), release builds of smt and
# the emulator (built here unless SMT_BIN / EMU_BIN point at existing binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SMT_MARIADB_HOST:?source the MariaDB env first (scripts/mariadb.sh start)}"
: "${SMT_MARIADB_PORT:?}" "${SMT_MARIADB_USER:?}" "${SMT_MARIADB_PASSWORD:?}"
SMT_BIN="${SMT_BIN:-target/release/smt}"
EMU_BIN="${EMU_BIN:-target/release/starrocks-emulator}"
if [ ! -x "$SMT_BIN" ] || [ ! -x "$EMU_BIN" ]; then
  echo "building release binaries (smt, starrocks-emulator)..." >&2
  cargo build --release -q --bin smt -p smt
  cargo build --release -q -p starrocks-emulator
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/smt-bench.XXXXXX")"
EMU_PID=""
cleanup() { [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

sql() { mariadb --no-defaults -h"$SMT_MARIADB_HOST" -P"$SMT_MARIADB_PORT" -u"$SMT_MARIADB_USER" -p"$SMT_MARIADB_PASSWORD" -N -B "$@"; }

start_emulator() {
  "$EMU_BIN" --fe-query-port 0 --fe-http-port 0 --be-http-port 0 > "$WORK/emu.json" 2>"$WORK/emu.log" &
  EMU_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/emu.json" ] && break; sleep 0.1; done
  FE_QUERY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fe_query"])' "$WORK/emu.json")
  FE_HTTP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fe_http"])' "$WORK/emu.json")
}

# write_config DB [extra rule lines...]
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

# time_field FILE "Elapsed (wall clock) time" | "Maximum resident set size (kbytes)"
time_field() { grep -F "$2" "$1" | sed 's/.*: //'; }
wall_seconds() {  # h:mm:ss or m:ss.ss → seconds
  python3 -c 'import sys
t=sys.argv[1].split(":"); s=0.0
for p in t: s=s*60+float(p)
print(f"{s:.2f}")' "$1"
}
