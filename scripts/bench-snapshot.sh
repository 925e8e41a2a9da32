#!/usr/bin/env bash
# Snapshot throughput: `smt sync --snapshot-only` of one sbtest-shaped table (id INT PK, k INT,
# c CHAR(120), pad CHAR(60)) into the StarRocks emulator, against `mydumper` dumping the same table
# to local files (apt-get install -y mydumper; run with --no-locks so a shared server is not
# write-locked, and a long-query guard so other clients' binlog dumps do not abort it). Prints rows/s of both, the ratio, and peak RSS.
# Not a test: figures only. The machine is shared; both run back to back in this script.
#   ROWS=5000000 scripts/bench-snapshot.sh        (default 5M rows; ROWS=500000 for a quick run)
# Note: the emulator is the target and runs on the same cores (it parses and stores every row),
# so smt's figure is a lower bound of what it would do against a real cluster.
source "$(dirname "$0")/bench-common.sh"
ROWS="${ROWS:-5000000}"
DB=bench_sync_snapshot
command -v mydumper >/dev/null || { echo "mydumper missing: apt-get install -y mydumper" >&2; exit 1; }

echo "preparing $DB.sbtest with $ROWS rows..." >&2
sql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB;
  CREATE TABLE $DB.sbtest (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL);
  INSERT INTO $DB.sbtest SELECT seq, seq * 7 % 1000003,
    CONCAT(MD5(seq), '-', MD5(seq + 1), '-', MD5(seq + 2)), CONCAT(MD5(seq + 3), '-x')
    FROM $DB.seq_1_to_$ROWS;
  ANALYZE TABLE $DB.sbtest;" >/dev/null

start_emulator
write_config "$DB" "flink.starrocks.sink.buffer-flush.max-rows = 100000"

echo "smt sync --snapshot-only ..." >&2
/usr/bin/time -v "$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state" --snapshot-only \
  --log-level warn 2> "$WORK/smt.time" || { cat "$WORK/smt.time" >&2; exit 1; }
echo "mydumper ..." >&2
/usr/bin/time -v mydumper -h "$SMT_MARIADB_HOST" -P "$SMT_MARIADB_PORT" -u "$SMT_MARIADB_USER" \
  -p "$SMT_MARIADB_PASSWORD" -B "$DB" -T sbtest --threads 2 --rows 250000 --no-locks --long-query-guard 999999 -o "$WORK/dump" \
  2> "$WORK/mydumper.time" >/dev/null || { cat "$WORK/mydumper.time" >&2; exit 1; }

smt_s=$(wall_seconds "$(time_field "$WORK/smt.time" "Elapsed (wall clock) time")")
mdd_s=$(wall_seconds "$(time_field "$WORK/mydumper.time" "Elapsed (wall clock) time")")
smt_cpu=$(python3 -c "print($(time_field "$WORK/smt.time" "User time (seconds)") + $(time_field "$WORK/smt.time" "System time (seconds)"))")
mdd_cpu=$(python3 -c "print($(time_field "$WORK/mydumper.time" "User time (seconds)") + $(time_field "$WORK/mydumper.time" "System time (seconds)"))")
smt_rss=$(time_field "$WORK/smt.time" "Maximum resident set size (kbytes)")
mdd_rss=$(time_field "$WORK/mydumper.time" "Maximum resident set size (kbytes)")
emu_rss=$(ps -o rss= -p "$EMU_PID" | tr -d ' ')
emu_cpu=$(python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$EMU_PID")
dump_mb=$(du -sm "$WORK/dump" | cut -f1)
loaded=$(curl -s "http://$FE_HTTP/_emulator/rows?db=$DB&table=sbtest" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rows"]))')
python3 - "$ROWS" "$smt_s" "$mdd_s" "$smt_rss" "$mdd_rss" "$emu_rss" "$loaded" "$dump_mb" "$smt_cpu" "$mdd_cpu" "$emu_cpu" <<'PY'
import sys
rows, s, m, srss, mrss, ersss, loaded = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6] or 0), int(sys.argv[7])
print(f"rows                      {rows}")
print(f"smt snapshot → emulator   {s:8.2f} s  {rows/s:12.0f} rows/s  peak RSS {srss/1024:7.1f} MiB  (rows in target: {loaded})")
print(f"mydumper → local files    {m:8.2f} s  {rows/m:12.0f} rows/s  peak RSS {mrss/1024:7.1f} MiB  ({sys.argv[8]} MiB of dump files)")
print(f"ratio smt/mydumper        {(rows/s)/(rows/m):8.2f}")
print(f"CPU seconds (user+sys)    smt {float(sys.argv[9]):.2f}, mydumper {float(sys.argv[10]):.2f} ; emulator (target fixture) {float(sys.argv[11]):.2f}")
print(f"emulator RSS at the end   {ersss/1024:7.1f} MiB (the target fixture, same machine)")
PY
sql -e "DROP DATABASE $DB"
