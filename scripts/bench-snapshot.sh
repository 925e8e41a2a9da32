#!/usr/bin/env bash
# Snapshot throughput of `smt sync --snapshot-only` against its peers, in one run on one table.
# The table is sbtest-shaped (id INT PK, k INT, c CHAR(120), pad CHAR(60); c and pad filled to 119 and
# 59 characters like sysbench's), ROWS rows (default 2,000,000). Each of these reads all of it:
#   smt → emulator --no-check   `smt sync --snapshot-only` (defaults: chunks of ~16 MiB of body, one
#                               transaction each) into the StarRocks emulator in benchmark mode
#                               (--no-store --no-check): it follows the protocol (labels,
#                               transactions, row counts) but neither keeps nor reads the values
#   smt → emulator --no-store   the same into an emulator that checks every value and keeps no
#                               rows (its parsing costs about as much CPU as smt on these cores)
#   smt → storing emulator      the same into an emulator that keeps every row (optional, STORE=0
#                               skips it): the target's cost on the same two cores shows here
#   mydumper --threads 1 / 2    to local files (--no-locks: a shared server is not write-locked;
#                               --long-query-guard: other clients' binlog dumps do not abort it)
#   mariadb --quick             `SELECT * FROM t` on one connection, > /dev/null: the floor of
#                               reading the rows through the protocol
# For each: rows/s, CPU-s per million rows (user+sys, /usr/bin/time -v), peak RSS, the MariaDB
# server's CPU meanwhile, and smt (no-check) ÷ peer: rows/s ratio and CPU-per-row ratio. The
# emulator's CPU is reported too (it shares the cores). Every tool runs RUNS times (default 5),
# round by round, the order reversed every other round; medians are printed. The rows that
# arrived are checked (the emulator's rows_committed; mydumper's dump lines).
# Then (WRITER=1, the default) the same snapshot into the storing emulator while a writer changes
# random rows at half its maximum rate, with the binlog applied between snapshot rounds every
# CATCH_UP seconds (`sync_snapshot_catch_up_secs`, default 2 here, 30 in smt; 0: after the
# snapshot), followed by `smt verify`: the rate, how often the binlog reached the target during
# the snapshot, and target == source. RUNS=0 runs only this part.
# Not a test: figures only.
#   ROWS=2000000 RUNS=5 STORE=1 scripts/bench-snapshot.sh      (ROWS=200000 RUNS=1 for a quick run)
# KEEP=1 keeps the table for the next run (it is reused when it has ROWS rows). FORMAT=csv has
# smt load CSV (separators \x01 / \x02) instead of its default JSON. WIDE=N adds N nullable
# columns to the shape (alternately VARCHAR(24) and INT, 15-character names, all filled; database
# bench_sync_snapshot_wN): a wide table, whose JSON bodies spell every column name in every row.
# Needs mydumper (apt-get install -y mydumper) and the MariaDB client (scripts/mariadb.sh install).
source "$(dirname "$0")/bench-common.sh"
ROWS="${ROWS:-2000000}"
RUNS="${RUNS:-5}"
STORE="${STORE:-1}"
WIDE="${WIDE:-0}"
DB=bench_sync_snapshot
extra_def="" extra_sel=""
if [ "$WIDE" -gt 0 ]; then
  DB=bench_sync_snapshot_w$WIDE
  for ((i = 0; i < WIDE; i++)); do
    name=$(printf 'w%02d_extra_column' "$i")
    if ((i % 2)); then
      extra_def+=", $name INT NULL"; extra_sel+=", seq * $((i + 3)) % 100003"
    else
      extra_def+=", $name VARCHAR(24) NULL"; extra_sel+=", CONCAT('v', seq, '_$i')"
    fi
  done
fi
command -v mydumper >/dev/null || { echo "mydumper missing: apt-get install -y mydumper" >&2; exit 1; }

have=$(sql -e "SELECT COUNT(*) FROM $DB.sbtest" 2>/dev/null || echo 0)
if [ "$have" != "$ROWS" ]; then
  echo "preparing $DB.sbtest with $ROWS rows (not binlogged)..." >&2
  sql -e "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB;
    CREATE TABLE $DB.sbtest (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL$extra_def);
    INSERT INTO $DB.sbtest SELECT seq, seq * 7 % 1000003,
      CONCAT_WS('-', MD5(seq), MD5(seq + 1), MD5(seq + 2), LEFT(MD5(seq + 3), 20)),
      CONCAT_WS('-', MD5(seq + 4), LEFT(MD5(seq + 5), 26))$extra_sel
      FROM $DB.seq_1_to_$ROWS;
    ANALYZE TABLE $DB.sbtest;" >/dev/null
fi
# Warm the buffer pool so the first tool does not pay for reading pages the others get from memory.
sql -e "SELECT COUNT(*), SUM(LENGTH(c)) FROM $DB.sbtest" >/dev/null
table_mib=$(sql -e "SELECT ROUND((DATA_LENGTH + INDEX_LENGTH) / 1048576) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='sbtest'")

R="$WORK/results.tsv"; : > "$R"
CHECKS="$WORK/checks.txt"; : > "$CHECKS"

run_smt() {  # run_smt LABEL [--no-store]
  local label="$1"; shift
  start_emulator "$@"
  if [ "${FORMAT:-json}" = csv ]; then
    write_config "$DB" 'flink.starrocks.sink.properties.column_separator = \x01' \
      'flink.starrocks.sink.properties.row_delimiter = \x02'
  else
    write_config "$DB"
  fi
  rm -rf "$WORK/state" "$WORK/result"
  measure "$label" "$R" "$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state" --snapshot-only --log-level warn
  local got; got=$(rows_committed "$DB" sbtest)
  echo "$label: $got rows committed in the target" >> "$CHECKS"
  [ "$got" = "$ROWS" ] || { echo "$label: the target has $got rows, not $ROWS" >&2; exit 1; }
  stop_emulator
}
run_mydumper() {  # run_mydumper THREADS
  rm -rf "$WORK/dump"
  measure "mydumper --threads $1" "$R" mydumper -h "$SMT_MARIADB_HOST" -P "$SMT_MARIADB_PORT" \
    -u "$SMT_MARIADB_USER" -p "$SMT_MARIADB_PASSWORD" -B "$DB" -T sbtest --threads "$1" \
    --rows 250000 --no-locks --long-query-guard 999999 -o "$WORK/dump"
  local got; got=$(cat "$WORK"/dump/"$DB".sbtest.*sql | grep -c '^(' || true)
  echo "mydumper --threads $1: $got rows in $(du -sm "$WORK/dump" | cut -f1) MiB of dump files" >> "$CHECKS"
  [ "$got" = "$ROWS" ] || { echo "mydumper --threads $1: $got rows dumped, not $ROWS" >&2; exit 1; }
  rm -rf "$WORK/dump"
}
run_client() {
  measure "mariadb --quick SELECT *" "$R" mariadb --no-defaults "${MDB_ARGS[@]}" --quick -e "SELECT * FROM $DB.sbtest"
}

if [ "$RUNS" -gt 0 ]; then
tools=("smt_nocheck" "smt_nostore" "mydumper1" "mydumper2" "client")
[ "$STORE" = 1 ] && tools+=("smt_store")
for run in $(seq "$RUNS"); do
  order=("${tools[@]}")
  if [ $((run % 2)) = 0 ]; then order=(); for ((i=${#tools[@]}-1; i>=0; i--)); do order+=("${tools[$i]}"); done; fi
  echo "round $run/$RUNS: ${order[*]}" >&2
  for t in "${order[@]}"; do
    case "$t" in
      smt_nocheck) run_smt "smt → emulator --no-check" --no-store --no-check ;;
      smt_nostore) run_smt "smt → emulator --no-store" --no-store ;;
      smt_store) run_smt "smt → storing emulator" ;;
      mydumper1) run_mydumper 1 ;;
      mydumper2) run_mydumper 2 ;;
      client) run_client ;;
    esac
  done
done

echo
echo "snapshot benchmark: $DB.sbtest, $ROWS rows (sbtest shape$( [ "$WIDE" -gt 0 ] && echo " + $WIDE columns"), $table_mib MiB in InnoDB); $RUNS run(s) of each, alternating order, medians"
conditions
python3 - "$R" "$ROWS" <<'PY'
import statistics, sys
from collections import OrderedDict
rows = int(sys.argv[2])
runs = OrderedDict()
for line in open(sys.argv[1]):
    label, wall, cpu, rss, scpu, ecpu = line.rstrip("\n").split("\t")
    runs.setdefault(label, []).append((float(wall), float(cpu), int(rss), float(scpu), float(ecpu)))
med = lambda xs: statistics.median(xs)
order = ["smt → emulator --no-check", "smt → emulator --no-store", "smt → storing emulator", "mydumper --threads 1",
         "mydumper --threads 2", "mariadb --quick SELECT *"]
m = {}
for label in order:
    if label not in runs: continue
    r = runs[label]
    m[label] = dict(n=len(r), wall=med([x[0] for x in r]), rps=med([rows / x[0] for x in r]),
                    cpu=med([x[1] for x in r]), rss=max(x[2] for x in r) / 1024,
                    srv=med([x[3] for x in r]), emu=med([x[4] for x in r]),
                    walls=[x[0] for x in r], cpus=[x[1] for x in r])
smt = m["smt → emulator --no-check"]
print(f"{'':28} {'wall s':>7} {'rows/s':>10} {'CPU-s/M rows':>12} {'peak RSS':>9} {'server CPU-s':>12}   {'smt÷tool rows/s':>15} {'smt÷tool CPU/row':>16}")
for label, x in m.items():
    cpm = x["cpu"] / rows * 1e6
    if label.startswith("smt"):
        ra = rc = "-"
    else:
        ra = f"{smt['rps'] / x['rps']:.2f}"
        rc = f"{smt['cpu'] / x['cpu']:.2f}"
    print(f"{label:28} {x['wall']:7.2f} {x['rps']:10.0f} {cpm:12.2f} {x['rss']:5.0f} MiB {x['srv']:12.2f}   {ra:>15} {rc:>16}")
print("CPU-s/M rows = µs of CPU per row (user+sys); peak RSS = the largest of the runs")
for label in ("smt → emulator --no-store", "smt → storing emulator"):
    if label in m and "mydumper --threads 2" in m:
        print(f"{label} ÷ mydumper --threads 2: {m[label]['rps'] / m['mydumper --threads 2']['rps']:.2f}× rows/s")
print("per run, wall s / CPU s:")
for k, v in m.items():
    print(f"  {k:28} " + "  ".join(f"{w:.2f}/{c:.2f}" for w, c in zip(v["walls"], v["cpus"])))
for label in ("smt → emulator --no-check", "smt → emulator --no-store", "smt → storing emulator"):
    if label in m:
        x = m[label]
        print(f"emulator CPU in '{label}': {x['emu']:.2f} s = {100 * x['emu'] / (x['emu'] + x['cpu']):.0f}% of smt + emulator CPU")
PY
sort -u "$CHECKS" | sed 's/^/rows check: /'
fi

# ---- The snapshot under a writer at half its maximum rate (WRITER=0 skips it): the incremental
# snapshot must finish and the target must equal the source.
if [ "${WRITER:-1}" = 1 ]; then
  # The writer: random-key UPDATEs, every 10th a REPLACE (a delete and an insert of the key), one
  # per transaction, values of the table's shape; paced to `rate` rows/s when rate > 0 (checked
  # every 100 statements). The row count stays ROWS, so KEEP=1 can reuse the table.
  sql <<SQL
DROP PROCEDURE IF EXISTS $DB.w;
DELIMITER //
CREATE PROCEDURE $DB.w(secs DOUBLE, rate DOUBLE)
BEGIN
  DECLARE t0 DOUBLE DEFAULT UNIX_TIMESTAMP(SYSDATE(6));
  DECLARE d DOUBLE;
  SET @i = 0;
  WHILE UNIX_TIMESTAMP(SYSDATE(6)) < t0 + secs DO
    SET @id = 1 + FLOOR(RAND() * $ROWS);
    IF @i % 10 = 9 THEN
      REPLACE INTO $DB.sbtest (id, k, c, pad) VALUES (@id, @i,
        CONCAT_WS('-', MD5(@i), MD5(@i + 1), MD5(@i + 2), LEFT(MD5(@i + 3), 20)),
        CONCAT_WS('-', MD5(@i + 4), LEFT(MD5(@i + 5), 26)));
    ELSE
      UPDATE $DB.sbtest SET k = k + 1,
        c = CONCAT_WS('-', MD5(@i), MD5(@i + 1), MD5(@i + 2), LEFT(MD5(@i + 3), 20)) WHERE id = @id;
    END IF;
    SET @i = @i + 1;
    IF rate > 0 AND @i % 100 = 0 THEN
      SET d = t0 + @i / rate - UNIX_TIMESTAMP(SYSDATE(6));
      IF d > 0 THEN DO SLEEP(d); END IF;
    END IF;
  END WHILE;
  SELECT @i;
END//
DELIMITER ;
SQL
  max_n=$(sql -e "CALL $DB.w(3, 0)")
  max_rate=$((max_n / 3)); half=$((max_rate / 2))
  echo "snapshot under a writer: the writer's maximum is $max_rate changes/s; running it at $half/s..." >&2
  start_emulator
  write_config "$DB"
  sed -i "s/^\[other\]\$/[other]\nsync_snapshot_catch_up_secs = ${CATCH_UP:-2}/" "$WORK/smt.ini"
  rm -rf "$WORK/state" "$WORK/result"
  # Long enough to outlast the snapshot (about 200k rows/s into the storing emulator).
  wsecs=$((ROWS / 200000 + 5))
  sql -e "CALL $DB.w($wsecs, $half)" > "$WORK/writer.out" 2>&1 &
  WPID=$!
  t0=$(date +%s.%N)
  "$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state" --format json --status-interval 1 \
    > /dev/null 2> "$WORK/sync-w.log" &
  SPID=$!
  # The snapshot is done when the checkpoint has a binlog position and no snapshot progress
  # (between rounds it has both).
  done_yet() {
    grep -q '"binlog": {' "$WORK/state/sync-state.json" 2>/dev/null \
      && ! grep -q '"progress": {' "$WORK/state/sync-state.json" 2>/dev/null
  }
  while kill -0 "$SPID" 2>/dev/null && ! done_yet; do
    sleep 0.05
  done
  t1=$(date +%s.%N)
  wait "$WPID" || true
  kill -TERM "$SPID" 2>/dev/null || true
  wait "$SPID" || { echo "smt sync under the writer failed:" >&2; tail -20 "$WORK/sync-w.log" >&2; exit 1; }
  "$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state" --until-caught-up --log-level warn \
    > /dev/null 2>> "$WORK/sync-w.log" || { tail -20 "$WORK/sync-w.log" >&2; exit 1; }
  if "$SMT_BIN" verify -c "$WORK/smt.ini" > "$WORK/verify.out" 2>&1; then verdict="target == source (smt verify: equal)"
  else verdict="DIFFERS (smt verify exit $?):"; fi
  stop_emulator
  wrote=$(tail -1 "$WORK/writer.out")
  python3 - "$t0" "$t1" "$ROWS" "$half" "$max_rate" "$verdict" "$wrote" "$WORK/sync-w.log" "${CATCH_UP:-2}" <<'PY'
import datetime, re, sys
t0, t1, rows, half, mx, verdict, wrote = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
print(f"snapshot under a writer at {half} changes/s (half of its {mx}/s maximum; {wrote} changes written): {rows} rows in {t1 - t0:.2f} s = {rows / (t1 - t0):.0f} rows/s (storing emulator, until the snapshot was done and the binlog followed); then {verdict}")
# When the binlog reached the target during the snapshot: the catch-ups between rounds.
stamps = []
for line in open(sys.argv[8], errors="replace"):
    if "applying the binlog written during the snapshot round" in line:
        m = re.search(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z", line)
        if m:
            stamps.append(datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp())
gaps = [b - a for a, b in zip([t0] + stamps, stamps + [t1])]
print(f"  binlog during the snapshot (sync_snapshot_catch_up_secs = {sys.argv[9]}): applied {len(stamps)} times; longest wait for it {max(gaps):.1f} s")
PY
  grep -v '^$' "$WORK/verify.out" | tail -3 | sed 's/^/  verify: /'
fi
[ "${KEEP:-0}" = 1 ] || sql -e "DROP DATABASE $DB"
