#!/usr/bin/env bash
# Snapshot throughput of `smt sync --snapshot-only` against its peers, in one run on one table.
# The table is sbtest-shaped (id INT PK, k INT, c CHAR(120), pad CHAR(60); c and pad filled to 119 and
# 59 characters like sysbench's), ROWS rows (default 2,000,000). Each of these reads all of it:
#   smt → emulator --no-store   `smt sync --snapshot-only` (defaults: 50k-row chunks, one
#                               transaction each) into the StarRocks emulator in benchmark mode: it
#                               follows the protocol and checks every value but keeps no rows
#   smt → storing emulator      the same into an emulator that keeps every row (optional, STORE=0
#                               skips it): the target's cost on the same two cores shows here
#   mydumper --threads 1 / 2    to local files (--no-locks: a shared server is not write-locked;
#                               --long-query-guard: other clients' binlog dumps do not abort it)
#   mariadb --quick             `SELECT * FROM t` on one connection, > /dev/null: the floor of
#                               reading the rows through the protocol
# For each: rows/s, CPU-s per million rows (user+sys, /usr/bin/time -v), peak RSS, the MariaDB
# server's CPU meanwhile, and smt (no-store) ÷ peer: rows/s ratio and CPU-per-row ratio. The
# emulator's CPU is reported too (it shares the cores). Every tool runs RUNS times (default 5),
# round by round, the order reversed every other round; medians are printed. The rows that
# arrived are checked (the emulator's rows_committed; mydumper's dump lines).
# Not a test: figures only.
#   ROWS=2000000 RUNS=5 STORE=1 scripts/bench-snapshot.sh      (ROWS=200000 RUNS=1 for a quick run)
# KEEP=1 keeps the table for the next run (it is reused when it has ROWS rows).
# Needs mydumper (apt-get install -y mydumper) and the MariaDB client (scripts/mariadb.sh install).
source "$(dirname "$0")/bench-common.sh"
ROWS="${ROWS:-2000000}"
RUNS="${RUNS:-5}"
STORE="${STORE:-1}"
DB=bench_sync_snapshot
command -v mydumper >/dev/null || { echo "mydumper missing: apt-get install -y mydumper" >&2; exit 1; }

have=$(sql -e "SELECT COUNT(*) FROM $DB.sbtest" 2>/dev/null || echo 0)
if [ "$have" != "$ROWS" ]; then
  echo "preparing $DB.sbtest with $ROWS rows (not binlogged)..." >&2
  sql -e "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB;
    CREATE TABLE $DB.sbtest (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL);
    INSERT INTO $DB.sbtest SELECT seq, seq * 7 % 1000003,
      CONCAT_WS('-', MD5(seq), MD5(seq + 1), MD5(seq + 2), LEFT(MD5(seq + 3), 20)),
      CONCAT_WS('-', MD5(seq + 4), LEFT(MD5(seq + 5), 26))
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
  write_config "$DB"
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

tools=("smt_nostore" "mydumper1" "mydumper2" "client")
[ "$STORE" = 1 ] && tools+=("smt_store")
for run in $(seq "$RUNS"); do
  order=("${tools[@]}")
  if [ $((run % 2)) = 0 ]; then order=(); for ((i=${#tools[@]}-1; i>=0; i--)); do order+=("${tools[$i]}"); done; fi
  echo "round $run/$RUNS: ${order[*]}" >&2
  for t in "${order[@]}"; do
    case "$t" in
      smt_nostore) run_smt "smt → emulator --no-store" --no-store ;;
      smt_store) run_smt "smt → storing emulator" ;;
      mydumper1) run_mydumper 1 ;;
      mydumper2) run_mydumper 2 ;;
      client) run_client ;;
    esac
  done
done

echo
echo "snapshot benchmark: $DB.sbtest, $ROWS rows (sbtest shape, $table_mib MiB in InnoDB); $RUNS run(s) of each, alternating order, medians"
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
order = ["smt → emulator --no-store", "smt → storing emulator", "mydumper --threads 1",
         "mydumper --threads 2", "mariadb --quick SELECT *"]
m = {}
for label in order:
    if label not in runs: continue
    r = runs[label]
    m[label] = dict(n=len(r), wall=med([x[0] for x in r]), rps=med([rows / x[0] for x in r]),
                    cpu=med([x[1] for x in r]), rss=max(x[2] for x in r) / 1024,
                    srv=med([x[3] for x in r]), emu=med([x[4] for x in r]),
                    walls=[x[0] for x in r], cpus=[x[1] for x in r])
smt = m["smt → emulator --no-store"]
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
print("per run, wall s / CPU s:")
for k, v in m.items():
    print(f"  {k:28} " + "  ".join(f"{w:.2f}/{c:.2f}" for w, c in zip(v["walls"], v["cpus"])))
for label in ("smt → emulator --no-store", "smt → storing emulator"):
    if label in m:
        x = m[label]
        print(f"emulator CPU in '{label}': {x['emu']:.2f} s = {100 * x['emu'] / (x['emu'] + x['cpu']):.0f}% of smt + emulator CPU")
PY
sort -u "$CHECKS" | sed 's/^/rows check: /'
[ "${KEEP:-0}" = 1 ] || sql -e "DROP DATABASE $DB"
