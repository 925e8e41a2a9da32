#!/usr/bin/env bash
# Binlog throughput and latency of `smt sync` (following) into the StarRocks emulator.
#  1. max rate: a stored procedure inserts N single-row transactions as fast as MariaDB takes them;
#     reported: source rate, events/s applied by smt (until a marker row is visible in the target),
#     catch-up time after the writer ends, and the largest lag (seconds, bytes) in smt's status lines.
#  2. half rate: the writer paced at ~half the measured source rate, plus a probe writing one row
#     every 100 ms; a poller reads the target every 20 ms: p50/p99 commit→visible latency.
# Not a test: figures only.   N=200000 DURATION=20 INTERVAL_MS=1000 scripts/bench-binlog.sh
source "$(dirname "$0")/bench-common.sh"
N="${N:-200000}"
DURATION="${DURATION:-20}"
INTERVAL_MS="${INTERVAL_MS:-1000}"
DB=bench_sync_binlog

sql <<SQL
DROP DATABASE IF EXISTS $DB;
CREATE DATABASE $DB;
CREATE TABLE $DB.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, c CHAR(60) NOT NULL);
CREATE TABLE $DB.probe (id INT PRIMARY KEY, note VARCHAR(20));
DELIMITER //
CREATE PROCEDURE $DB.w(n INT, every INT, pause DOUBLE)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < n DO
    INSERT INTO $DB.t (k, c) VALUES (i, MD5(i));
    SET i = i + 1;
    IF every > 0 AND i % every = 0 THEN DO SLEEP(pause); END IF;
  END WHILE;
END//
DELIMITER ;
SQL

start_emulator
write_config "$DB" "flink.starrocks.sink.buffer-flush.interval-ms = $INTERVAL_MS"
"$SMT_BIN" sync -c "$WORK/smt.ini" --state-dir "$WORK/state" --format json --status-interval 1 \
  2> "$WORK/smt.log" &
SMT_PID=$!
trap 'kill $SMT_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 600); do grep -q '"binlog": {' "$WORK/state/sync-state.json" 2>/dev/null && break; sleep 0.1; done

visible() {  # visible TABLE ID → waits until row ID is in the target; prints the epoch seconds
  python3 - "$FE_HTTP" "$DB" "$1" "$2" <<'PY'
import json, sys, time, urllib.request
fe, db, t, want = sys.argv[1:5]
while True:
    with urllib.request.urlopen(f"http://{fe}/_emulator/rows?db={db}&table={t}") as r:
        rows = json.load(r).get("rows", [])
    if any(row[0] == want for row in rows):
        print(f"{time.time():.3f}"); break
    time.sleep(0.02)
PY
}

echo "phase 1: $N single-row transactions at max rate..." >&2
t0=$(date +%s.%N)
sql -e "CALL $DB.w($N, 0, 0)"
t1=$(date +%s.%N)
sql -e "INSERT INTO $DB.probe VALUES (1, 'marker')"
t2=$(visible probe 1)
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
rate=$(python3 -c "print(int($N / ($t1 - $t0)))")

echo "phase 2: ~half rate for $DURATION s with a latency probe..." >&2
half=$(( rate / 2 ))
# 100 rows per step, pause so that 100 rows take 100/half s in total.
pause=$(python3 -c "print(max(0.0, 100/$half - 100/$rate))")
steps=$(( half * DURATION ))
sql -e "CALL $DB.w($steps, 100, $pause)" &
W=$!
lat=$(python3 - "$FE_HTTP" "$DB" "$DURATION" "$SMT_MARIADB_HOST" "$SMT_MARIADB_PORT" "$SMT_MARIADB_USER" "$SMT_MARIADB_PASSWORD" <<'PY'
import json, subprocess, sys, threading, time, urllib.request
fe, db, dur, host, port, user, pw = sys.argv[1:8]
commit, seen = {}, {}
stop = False
def poll():
    while not stop or len(seen) < len(commit):
        with urllib.request.urlopen(f"http://{fe}/_emulator/rows?db={db}&table=probe") as r:
            now = time.time()
            for row in json.load(r).get("rows", []):
                seen.setdefault(int(row[0]), now)
        time.sleep(0.02)
th = threading.Thread(target=poll); th.start()
end = time.time() + float(dur); i = 10
while time.time() < end:
    subprocess.run(["mariadb", "--no-defaults", f"-h{host}", f"-P{port}", f"-u{user}", f"-p{pw}",
                    "-e", f"INSERT INTO {db}.probe VALUES ({i}, 'p')"], check=True)
    commit[i] = time.time(); i += 1
    time.sleep(0.1)
stop = True; th.join(timeout=120)
d = sorted(seen[k] - commit[k] for k in commit if k in seen)
p = lambda q: d[min(len(d) - 1, int(q * len(d)))] * 1000
print(f"{len(d)} probes: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {d[-1]*1000:.0f} ms")
PY
)
wait $W

echo
echo "source: MariaDB $(sql -e 'SELECT VERSION()'), flush interval $INTERVAL_MS ms"
echo "phase 1 (max rate)   source wrote $N txns at $rate txn/s"
python3 -c "print(f'                     smt applied {int($N/($t2-$t0))} events/s end to end; caught up {($t2-$t1):.2f} s after the writer stopped')"
echo "                     largest lag in status lines: $max_lag"
echo "phase 2 (~$half txn/s) commit→visible latency: $lat"
kill $SMT_PID 2>/dev/null || true
sql -e "DROP DATABASE $DB"
