#!/usr/bin/env bash
# Binlog figures of `smt sync` against MariaDB's own decoder. Not a test: figures only.
#
#  (a) backlog replay capacity. `smt sync --snapshot-only` of the (empty) tables takes a
#      checkpoint; then a writer (a stored procedure, one client) inserts N sbtest-shaped rows,
#      TXN_ROWS single-row INSERTs per transaction, as fast as MariaDB takes them, and stops. The
#      binlog range it wrote is then read RUNS times (default 5) by each, alternating which goes
#      first:
#        smt            `smt sync --until-caught-up` from a copy of that checkpoint into a fresh
#                       copy of the emulator in --no-store mode (it follows the protocol and checks
#                       every value but keeps no rows); timed to the moment the emulator counts
#                       all N rows committed (GET /_emulator/rows, rows_committed), and as a whole
#                       process (that adds the caught-up detection: a heartbeat or idle polls)
#        mariadb-binlog `--read-from-remote-server --base64-output=decode-rows --verbose` of the
#                       same range (start/stop positions) to /dev/null: every row decoded to text
#      Printed: the range (events as stored in the binlog, rows, bytes), the writer's rate, and for
#      both the medians of events/s, rows/s, CPU-s (user+sys), peak RSS, the server's CPU; the
#      ratio smt ÷ mariadb-binlog. Also smt's steady rate: the rows committed between its first
#      commit and the last one before the final batch, over that time (start-up and the final
#      batch, which waits for the caught-up detection, left out).
#  (b) commit → visible latency at half the writer's maximum rate (the rate measured in (a)):
#      a fresh `smt sync` (snapshot of the table, then following) into a fresh no-store emulator
#      (no data dir: no fsync per commit); once it follows, the writer runs paced to half that
#      rate (it sleeps whenever it is ahead of schedule) for DURATION s while a probe inserts one
#      row every 100 ms on its own connection and notes the server's clock right after each
#      commit; a poller reads the probe table's rows_committed every 20 ms (probe rows are
#      committed in order, so k rows committed means probes 1..k are visible). Printed: the
#      writer's achieved rate, p50 / p90 / p99 / max over the probes, the largest lag in smt's
#      status lines, and the CPU smt, the emulator and the server used meanwhile (the writer runs
#      5 s past the probes). Then the latency of 10 probes on a quiet source (no writer).
#
#   N=500000 TXN_ROWS=1 RUNS=5 DURATION=30 [INTERVAL_MS=500] scripts/bench-binlog.sh
# INTERVAL_MS sets the rule's sink.buffer-flush.interval-ms (default: unset, sync's own default).
# LAT_DUMP=FILE writes each probe's commit time (epoch s) and latency (ms, -1 = not seen).
# Needs mariadb-binlog (in mariadb-client: scripts/mariadb.sh install, or apt-get install -y
# mariadb-client).
source "$(dirname "$0")/bench-common.sh"
N="${N:-500000}"
TXN_ROWS="${TXN_ROWS:-1}"
RUNS="${RUNS:-5}"
DURATION="${DURATION:-30}"
INTERVAL_MS="${INTERVAL_MS:-}"
DB=bench_sync_binlog
command -v mariadb-binlog >/dev/null || { echo "mariadb-binlog missing: apt-get install -y mariadb-client" >&2; exit 1; }
SMT_PID=""
trap '[ -n "$SMT_PID" ] && kill $SMT_PID 2>/dev/null; cleanup' EXIT

sql <<SQL
DROP DATABASE IF EXISTS $DB;
CREATE DATABASE $DB;
CREATE TABLE $DB.t (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL);
CREATE TABLE $DB.probe (id INT PRIMARY KEY, note VARCHAR(20));
DELIMITER //
-- n rows, per_txn single-row INSERTs per transaction; rate > 0: paced to about that many rows/s
-- (checked every 100 rows against the clock). The INSERT names user variables, not the
-- procedure's own: those would be logged as NAME_CONST(...) and bloat every ANNOTATE_ROWS event.
CREATE PROCEDURE $DB.w(n INT, per_txn INT, rate DOUBLE)
BEGIN
  DECLARE t0 DOUBLE DEFAULT UNIX_TIMESTAMP(SYSDATE(6));
  DECLARE d DOUBLE;
  SET @i = 0;
  WHILE @i < n DO
    IF per_txn > 1 AND @i % per_txn = 0 THEN START TRANSACTION; END IF;
    SET @m = MD5(@i);
    INSERT INTO $DB.t (k, c, pad) VALUES (@i * 7 % 1000003, CONCAT_WS('-', @m, @m, @m, LEFT(@m, 20)), CONCAT_WS('-', @m, LEFT(@m, 26)));
    SET @i = @i + 1;
    IF per_txn > 1 AND (@i % per_txn = 0 OR @i = n) THEN COMMIT; END IF;
    IF rate > 0 AND @i % 100 = 0 THEN
      SET d = t0 + @i / rate - UNIX_TIMESTAMP(SYSDATE(6));
      IF d > 0 THEN DO SLEEP(d); END IF;
    END IF;
  END WHILE;
END//
DELIMITER ;
SQL
rules=()
[ -n "$INTERVAL_MS" ] && rules+=("flink.starrocks.sink.buffer-flush.interval-ms = $INTERVAL_MS")

# ---- (a) the checkpoint, then the backlog
start_emulator --no-store --data-dir "$WORK/emu0"
write_config "$DB" ${rules[@]+"${rules[@]}"}
"$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state0" --snapshot-only --log-level warn \
  > /dev/null 2> "$WORK/snap.log" || { cat "$WORK/snap.log" >&2; exit 1; }
stop_emulator
read -r FILE0 POS0 < <(sql -e "SHOW MASTER STATUS" | cut -f1,2)

echo "(a) writer: $N rows, $TXN_ROWS per transaction, at the highest rate one client gets..." >&2
t0=$(date +%s.%N)
sql -e "CALL $DB.w($N, $TXN_ROWS, 0)"
t1=$(date +%s.%N)
read -r FILE1 POS1 < <(sql -e "SHOW MASTER STATUS" | cut -f1,2)
FILES=$(sql -e "SHOW BINARY LOGS" | cut -f1 | awk -v a="$FILE0" -v b="$FILE1" '$1 >= a && $1 <= b' | tr '\n' ' ')
BYTES=$(sql -e "SHOW BINARY LOGS" | awk -v a="$FILE0" -v b="$FILE1" -v p0="$POS0" -v p1="$POS1" \
  '$1 >= a && $1 <= b { s += ($1 == b ? p1 : $2) - ($1 == a ? p0 : 0) } END { print s }')
MB=(mariadb-binlog --no-defaults "${MDB_ARGS[@]}" --read-from-remote-server
    --base64-output=decode-rows --verbose --start-position="$POS0" --stop-position="$POS1")
# Events and rows in the range, counted once (untimed).
# shellcheck disable=SC2086
read -r EVENTS BROWS < <("${MB[@]}" $FILES | awk '/^# at /{e++} /^### (INSERT INTO|UPDATE|DELETE FROM) /{r++} END{print e+0, r+0}')
[ "$BROWS" = "$N" ] || echo "note: mariadb-binlog decoded $BROWS rows in the range, the writer wrote $N" >&2

R="$WORK/results.tsv"; : > "$R"
DONE="$WORK/done.tsv"; : > "$DONE"
run_smt() {  # run_smt RUN
  rm -rf "$WORK/emu.$1" "$WORK/state.$1"
  cp -a "$WORK/emu0" "$WORK/emu.$1"; cp -a "$WORK/state0" "$WORK/state.$1"
  start_emulator --no-store --data-dir "$WORK/emu.$1"
  write_config "$DB" ${rules[@]+"${rules[@]}"}
  # Poller: "epoch rows_committed" at every change of the count, until all N rows are committed.
  python3 - "$FE_HTTP" "$DB" "$N" > "$WORK/done.$1" <<'PY' &
import json, sys, time, urllib.request
fe, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
end, last = time.time() + 3600, 0
while time.time() < end:
    with urllib.request.urlopen(f"http://{fe}/_emulator/rows?db={db}&table=t") as r:
        c = json.load(r).get("rows_committed") or 0
    if c != last:
        print(f"{time.time():.3f} {c}", flush=True); last = c
    if c >= n: break
    time.sleep(0.01)
PY
  local poller=$!
  measure smt "$R" "$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state.$1" --until-caught-up --log-level warn
  local start; start=$(cat "$WORK/last_start")
  for _ in $(seq 50); do [ "$(tail -1 "$WORK/done.$1" | cut -d' ' -f2)" = "$N" ] && break; sleep 0.1; done
  kill "$poller" 2>/dev/null || true; wait "$poller" 2>/dev/null || true
  local got; got=$(rows_committed "$DB" t)
  [ "$got" = "$N" ] || { echo "smt: the target has $got rows of $DB.t, not $N" >&2; exit 1; }
  # to-last-row seconds, then the steady rate: rows/s between the first commit and the last one
  # before the final batch (start-up and the final flush left out), or 0 with too few commits.
  python3 - "$start" "$WORK/done.$1" >> "$DONE" <<'PY'
import sys
start = float(sys.argv[1])
pts = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
steady = (pts[-2][1] - pts[0][1]) / (pts[-2][0] - pts[0][0]) if len(pts) >= 3 else 0
gap = pts[-1][0] - pts[-2][0] if len(pts) >= 2 else 0
print(f"{pts[-1][0] - start:.3f}\t{steady:.0f}\t{pts[0][0] - start:.3f}\t{gap:.3f}\t{len(pts)}")
PY
  stop_emulator
  rm -rf "$WORK/emu.$1" "$WORK/state.$1"
}
run_mb() {
  # shellcheck disable=SC2086
  measure mariadb-binlog "$R" "${MB[@]}" $FILES
}
for run in $(seq "$RUNS"); do
  if [ $((run % 2)) = 1 ]; then echo "(a) round $run/$RUNS: smt, mariadb-binlog" >&2; run_smt "$run"; run_mb
  else echo "(a) round $run/$RUNS: mariadb-binlog, smt" >&2; run_mb; run_smt "$run"; fi
done

# ---- (b) latency at half the writer's rate: a fresh smt sync (snapshot of t, then following)
# into a fresh no-store emulator without a data dir (no fsync per commit)
rate=$(python3 -c "print(int($N / ($t1 - $t0)))")
half=$(( rate / 2 ))
rm -rf "$WORK/emu.$RUNS" "$WORK/state.$RUNS"
start_emulator --no-store
write_config "$DB" ${rules[@]+"${rules[@]}"}
"$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state.b" --format json --status-interval 1 \
  2>> "$WORK/smt.log" &
SMT_PID=$!
sql -e "INSERT INTO $DB.probe VALUES (1, 'marker')"
for _ in $(seq 600); do [ "$(rows_committed "$DB" probe)" -ge 1 ] && break; sleep 0.1; done
[ "$(rows_committed "$DB" probe)" -ge 1 ] || { echo "smt is not following:" >&2; cat "$WORK/smt.log" >&2; exit 1; }
: > "$WORK/smt.log"

echo "(b) writer at ~$half rows/s for $DURATION s with a latency probe..." >&2
# The writer runs 5 s longer than the probes: the last probes see a busy source too.
rows_b=$(( half * (DURATION + 5) ))
tb0=$(date +%s.%N)
cpu_b0="$(proc_cpu "$SMT_PID") $(proc_cpu "$EMU_PID") $(proc_cpu "$MDB_PID")"
( sql -e "CALL $DB.w($rows_b, $TXN_ROWS, $half)"; date +%s.%N > "$WORK/tb1" ) &
W=$!
lat=$(python3 - "$FE_HTTP" "$DB" "$DURATION" "$SMT_MARIADB_HOST" "$SMT_MARIADB_PORT" "$SMT_MARIADB_USER" "$SMT_MARIADB_PASSWORD" <<'PY'
import json, os, subprocess, sys, threading, time, urllib.request
fe, db, dur, host, port, user, pw = sys.argv[1:8]
commit, seen = {}, {}
stop = False
def poll():
    deadline = None
    while True:
        with urllib.request.urlopen(f"http://{fe}/_emulator/rows?db={db}&table=probe") as r:
            now = time.time()
            n = json.load(r).get("rows_committed") or 0
        for k in range(2, n + 1):
            seen.setdefault(k, now)
        if stop:
            deadline = deadline or now + 60
            if all(k in seen for k in commit) or now > deadline:
                return
        time.sleep(0.02)
th = threading.Thread(target=poll); th.start()
# One connection for all probes; the server's clock right after each commit is its commit time.
cli = subprocess.Popen(["mariadb", "--no-defaults", f"-h{host}", f"-P{port}", f"-u{user}", f"-p{pw}", "-N", "-B", "--unbuffered"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
end = time.time() + float(dur); i = 2
while time.time() < end:
    cli.stdin.write(f"INSERT INTO {db}.probe VALUES ({i}, 'p'); SELECT UNIX_TIMESTAMP(NOW(6));\n")
    cli.stdin.flush()
    commit[i] = float(cli.stdout.readline()); i += 1
    time.sleep(0.1)
cli.stdin.close(); cli.wait()
stop = True; th.join()
d = sorted(seen[k] - commit[k] for k in commit if k in seen)
missing = len(commit) - len(d)
if os.environ.get("LAT_DUMP"):
    with open(os.environ["LAT_DUMP"], "w") as f:
        for k in sorted(commit):
            f.write(f"{commit[k]:.3f} {(seen[k] - commit[k]) * 1000 if k in seen else -1:.0f}\n")
p = lambda q: d[min(len(d) - 1, int(q * len(d)))] * 1000
print(f"{len(d)} probes: p50 {p(0.5):.0f} ms, p90 {p(0.9):.0f} ms, p99 {p(0.99):.0f} ms, max {d[-1]*1000:.0f} ms" + (f" ({missing} not seen within 60 s)" if missing else ""))
PY
)
wait $W
cpu_b1="$(proc_cpu "$SMT_PID") $(proc_cpu "$EMU_PID") $(proc_cpu "$MDB_PID")"
# A quiet source: 10 probes 0.3-1.3 s apart with no writer (each waits until visible).
quiet=$(python3 - "$FE_HTTP" "$DB" "$SMT_MARIADB_HOST" "$SMT_MARIADB_PORT" "$SMT_MARIADB_USER" "$SMT_MARIADB_PASSWORD" <<'PY'
import json, random, subprocess, sys, time, urllib.request
fe, db, host, port, user, pw = sys.argv[1:7]
def committed():
    with urllib.request.urlopen(f"http://{fe}/_emulator/rows?db={db}&table=probe") as r:
        return json.load(r).get("rows_committed") or 0
cli = subprocess.Popen(["mariadb", "--no-defaults", f"-h{host}", f"-P{port}", f"-u{user}", f"-p{pw}", "-N", "-B", "--unbuffered"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
n0 = committed(); d = []
for j in range(10):
    time.sleep(random.uniform(0.3, 1.3))
    cli.stdin.write(f"INSERT INTO {db}.probe VALUES ({1000000 + j}, 'q'); SELECT UNIX_TIMESTAMP(NOW(6));\n")
    cli.stdin.flush()
    c = float(cli.stdout.readline()); end = time.time() + 30
    while committed() < n0 + j + 1 and time.time() < end:
        time.sleep(0.02)
    d.append(time.time() - c)
cli.stdin.close(); cli.wait()
d.sort()
print(f"{len(d)} probes: p50 {d[len(d) // 2] * 1000:.0f} ms, min {d[0] * 1000:.0f} ms, max {d[-1] * 1000:.0f} ms")
PY
)
achieved=$(python3 -c "print(int($rows_b / ($(cat "$WORK/tb1") - $tb0)))")
max_lag=$(python3 - "$WORK/smt.log" <<'PY'
import json, sys
ls, lb = 0, 0
for line in open(sys.argv[1]):
    try: j = json.loads(line)
    except Exception: continue
    f = j.get("fields", {})
    if f.get("message") == "status":
        ls = max(ls, int(f.get("lag_s") or 0)); lb = max(lb, int(f.get("lag_bytes") or 0))
print(f"{ls} s / {lb} bytes")
PY
)
kill $SMT_PID 2>/dev/null || true; wait $SMT_PID 2>/dev/null || true; SMT_PID=""

echo
echo "binlog benchmark: $DB.t (sbtest shape), $TXN_ROWS row(s) per transaction; flush interval ${INTERVAL_MS:-default}"
conditions
python3 - "$R" "$DONE" "$N" "$EVENTS" "$BROWS" "$BYTES" "$t0" "$t1" "$FILES" "$POS0" "$POS1" "$TXN_ROWS" <<'PY'
import statistics, sys
res, done = sys.argv[1], sys.argv[2]
n, events, brows, nbytes = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
t0, t1 = float(sys.argv[7]), float(sys.argv[8])
files, p0, p1, per = sys.argv[9].split(), sys.argv[10], sys.argv[11], int(sys.argv[12])
runs = {}
for line in open(res):
    label, wall, cpu, rss, scpu, ecpu = line.rstrip("\n").split("\t")
    runs.setdefault(label, []).append((float(wall), float(cpu), int(rss), float(scpu), float(ecpu)))
dn = [l.split("\t") for l in open(done)]
to_last = [float(x[0]) for x in dn]
steady = [float(x[1]) for x in dn]
med = statistics.median
print(f"(a) backlog: {files[0]}:{p0} .. {files[-1]}:{p1}: {events} events, {brows} rows, {nbytes / 1048576:.1f} MiB of binlog")
print(f"    writer: {n} rows in {n // per} transactions in {t1 - t0:.2f} s = {n / (t1 - t0):.0f} rows/s ({n / per / (t1 - t0):.0f} txn/s)")
print(f"    {len(to_last)} run(s) of each, alternating order; medians")
s, m = runs["smt"], runs["mariadb-binlog"]
st, mt = med(to_last), med([x[0] for x in m])
print(f"    {'':26} {'s':>7} {'events/s':>10} {'rows/s':>10} {'CPU-s':>7} {'µs CPU/event':>12} {'peak RSS':>9} {'server CPU-s':>12}")
def line(label, t, r):
    cpu = med([x[1] for x in r])
    print(f"    {label:26} {t:7.2f} {events / t:10.0f} {brows / t:10.0f} {cpu:7.2f} {cpu / events * 1e6:12.2f} {max(x[2] for x in r) / 1024:5.0f} MiB {med([x[3] for x in r]):12.2f}")
line("smt (to last row visible)", st, s)
print(f"    {'smt (whole process)':26} {med([x[0] for x in s]):7.2f} {events / med([x[0] for x in s]):10.0f} {brows / med([x[0] for x in s]):10.0f}   (includes start-up and the caught-up detection)")
if all(steady):
    sr = med(steady)
    print(f"    {'smt (steady, see below)':26} {'':7} {sr * events / brows:10.0f} {sr:10.0f}")
line("mariadb-binlog", mt, m)
print(f"    ratio smt ÷ mariadb-binlog: rate {mt / st:.2f} (to last row visible), {mt / med([x[0] for x in s]):.2f} (whole process)"
      + (f", {med(steady) / (brows / mt):.2f} (steady)" if all(steady) else "")
      + f"; CPU per event {med([x[1] for x in s]) / med([x[1] for x in m]):.2f}")
print(f"    emulator (no-store) CPU during smt: {med([x[4] for x in s]):.2f} s")
print("    smt steady = between its first commit and the last one before the final batch; per run: first commit "
      + " ".join(f"{float(x[2]):.2f}" for x in dn) + " s after start, final batch " + " ".join(f"{float(x[3]):.2f}" for x in dn)
      + " s after the one before it, commits seen " + " ".join(x[4].strip() for x in dn))
print("    per run: smt to last row " + " ".join(f"{x:.2f}" for x in to_last) + " s, whole " + " ".join(f"{x[0]:.2f}" for x in s)
      + " s; mariadb-binlog " + " ".join(f"{x[0]:.2f}" for x in m) + " s")
PY
echo "(b) writer max rate $rate rows/s (from (a)); target half $half rows/s, achieved $achieved rows/s for $rows_b rows"
echo "    commit→visible latency: $lat"
echo "    then on a quiet source (no writer): $quiet"
echo "    largest lag in smt's status lines: $max_lag"
python3 -c 'import sys
a, b, t = list(map(float, sys.argv[1].split())), list(map(float, sys.argv[2].split())), float(sys.argv[3])
print(f"    CPU meanwhile ({t:.1f} s): smt {b[0]-a[0]:.2f} s, emulator {b[1]-a[1]:.2f} s, MariaDB server (writer, probe, binlog) {b[2]-a[2]:.2f} s")' \
  "$cpu_b0" "$cpu_b1" "$(python3 -c "print($(cat "$WORK/tb1") - $tb0)")"
sql -e "DROP DATABASE $DB"
