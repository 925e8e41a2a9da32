#!/usr/bin/env bash
# Verify throughput: `smt verify` of one sbtest-shaped table (id INT PK, k INT, c CHAR(120),
# pad CHAR(60)), first loaded into the StarRocks emulator by `smt sync --snapshot-only`, against
# the plain reads it cannot do with less: `SELECT COUNT(*)` + a full scan of the source (mariadb
# client --quick, to /dev/null) and the same on the emulator's FE (the mariadb client against its
# MySQL port). Prints each side's time and rows/s, the ratio, and smt's peak RSS.
# Not a test: figures only. The machine is shared; everything runs back to back in this script.
#   ROWS=2000000 scripts/bench-verify.sh        (default 2M rows; ROWS=200000 for a quick run)
# The emulator answers on the same cores; its queries are the same for both, so the ratio is
# what verify adds to reading both sides (rendering, canonical form, comparison, paging).
source "$(dirname "$0")/bench-common.sh"
ROWS="${ROWS:-2000000}"
DB=bench_verify
PAGE="${PAGE:-10000}"

echo "preparing $DB.sbtest with $ROWS rows..." >&2
sql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB;
  CREATE TABLE $DB.sbtest (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL);
  INSERT INTO $DB.sbtest SELECT seq, seq * 7 % 1000003,
    CONCAT(MD5(seq), '-', MD5(seq + 1), '-', MD5(seq + 2)), CONCAT(MD5(seq + 3), '-x')
    FROM $DB.seq_1_to_$ROWS;
  ANALYZE TABLE $DB.sbtest;" >/dev/null

start_emulator
write_config "$DB" "flink.starrocks.sink.buffer-flush.max-rows = 100000"
echo "loading the emulator (smt sync --snapshot-only)..." >&2
"$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state" --snapshot-only --log-level warn

FE_HOST=${FE_QUERY%:*}
FE_PORT=${FE_QUERY##*:}
fe_sql() { mariadb --no-defaults -h"$FE_HOST" -P"$FE_PORT" -uroot -N -B "$@"; }
# Warm both sides once (page cache, buffer pool), so neither measurement pays for it alone.
sql --quick -e "SELECT * FROM $DB.sbtest" > /dev/null

seconds() { python3 -c 'import time,sys; print(f"{time.time():.3f}")'; }
echo "plain reads: source COUNT(*) + full scan ..." >&2
t0=$(seconds)
sql --quick -e "SELECT COUNT(*) FROM $DB.sbtest; SELECT * FROM $DB.sbtest" > /dev/null
t1=$(seconds)
echo "plain reads: emulator FE COUNT(*) + full scan ..." >&2
fe_sql --quick -e "SELECT COUNT(*) FROM $DB.sbtest; SELECT id, k, c, pad FROM $DB.sbtest ORDER BY id" > /dev/null
t2=$(seconds)

echo "smt verify ..." >&2
/usr/bin/time -v "$SMT_BIN" verify -c "$WORK/smt.ini" --state-dir "$WORK/state" --chunk-rows "$PAGE" \
  --format json --log-level warn > "$WORK/verify.json" 2> "$WORK/verify.time" \
  || { cat "$WORK/verify.time" >&2; cat "$WORK/verify.json" >&2; exit 1; }
status=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=d["tables"][0]; print(t["status"], t["compared_rows"])' "$WORK/verify.json")
v_s=$(wall_seconds "$(time_field "$WORK/verify.time" "Elapsed (wall clock) time")")
v_cpu=$(python3 -c "print($(time_field "$WORK/verify.time" "User time (seconds)") + $(time_field "$WORK/verify.time" "System time (seconds)"))")
v_rss=$(time_field "$WORK/verify.time" "Maximum resident set size (kbytes)")

python3 - "$ROWS" "$t0" "$t1" "$t2" "$v_s" "$v_cpu" "$v_rss" "$status" "$PAGE" <<'PY'
import sys
rows = int(sys.argv[1]); t0, t1, t2 = map(float, sys.argv[2:5])
v, vcpu, vrss, status, page = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), sys.argv[8], sys.argv[9]
src, dst = t1 - t0, t2 - t1
plain = src + dst
print(f"rows                                  {rows}")
print(f"source COUNT(*) + scan (mariadb -q)   {src:8.2f} s  {rows/src:12.0f} rows/s")
print(f"emulator FE COUNT(*) + scan           {dst:8.2f} s  {rows/dst:12.0f} rows/s")
print(f"both plain reads, one after the other {plain:8.2f} s  {rows/plain:12.0f} rows/s")
print(f"smt verify (pages of {page})         {v:8.2f} s  {rows/v:12.0f} rows/s  peak RSS {vrss/1024:6.1f} MiB  CPU {vcpu:.2f} s  result: {status}")
print(f"ratio verify/plain reads (rows/s)     {plain/v:8.2f}")
PY
sql -e "DROP DATABASE $DB"
