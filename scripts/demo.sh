#!/usr/bin/env bash
# The whole tool on one machine, no StarRocks needed: a private MariaDB as the source, the
# StarRocks emulator (a test fixture, not StarRocks) as the target.
#   generate → apply → sync (snapshot + binlog) → change the source → sync again → read back.
# Needs mariadb-server (scripts/mariadb.sh install). Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PATH:/usr/sbin"
work="$(mktemp -d "${TMPDIR:-/tmp}/smt-demo.XXXXXX")"
cleanup() {
  [ -n "${emu_pid:-}" ] && kill "$emu_pid" 2>/dev/null || true
  [ -d "$work/mariadb" ] && scripts/mariadb.sh stop "$work/mariadb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "build smt and the StarRocks emulator"
cargo build -q --bin smt -p smt
cargo build -q --bin starrocks-emulator -p starrocks-emulator

say "source: a private MariaDB with the sample schema and rows"
export SMT_MARIADB_PORT="${SMT_DEMO_PORT:-33081}" SMT_MARIADB_DIR="$work/mariadb"
eval "$(scripts/mariadb.sh start)"
src=(mariadb --no-defaults -h127.0.0.1 -P"$SMT_MARIADB_PORT" -uroot -p"$SMT_MARIADB_PASSWORD")
"${src[@]}" < examples/sample-schema.sql
"${src[@]}" < examples/sample-data.sql

say "target: the StarRocks emulator (test fixture)"
target/debug/starrocks-emulator --fe-query-port 0 --fe-http-port 0 --be-http-port 0 \
  --user root --password demo > "$work/emu.json" &
emu_pid=$!
for _ in $(seq 100); do [ -s "$work/emu.json" ] && break; sleep 0.1; done
fe=$(python3 -c "import json;print(json.load(open('$work/emu.json'))['fe_query'])")
http=$(python3 -c "import json;print(json.load(open('$work/emu.json'))['fe_http'])")
echo "FE MySQL $fe, FE HTTP $http"

# The example config, pointed at the live MariaDB and the emulator.
sed -e 's/^type = dump/type = mariadb/' -e 's/^dump_file = .*//' \
    -e "s/^port = 3306/port = $SMT_MARIADB_PORT/" \
    -e 's/^password = .*/password = ${SMT_MARIADB_PASSWORD}/' \
    -e "s#^output_dir = .*#output_dir = $work/result#" \
    -e "s#jdbc:mysql://127.0.0.1:9030#jdbc:mysql://$fe#" \
    -e "s#^flink.starrocks.load-url = .*#flink.starrocks.load-url = $http#" \
    config.ini.example > "$work/demo.ini"
export STARROCKS_PASSWORD=demo
smt() { target/debug/smt "$@"; }

say "smt generate"
smt generate -c "$work/demo.ini"
say "smt apply"
smt apply -c "$work/demo.ini"
say "smt sync --until-caught-up (snapshot, then the binlog)"
smt sync -c "$work/demo.ini" --state-dir "$work/state" --until-caught-up

say "change the source: insert, update (incl. a primary key change), delete"
"${src[@]}" -e "
  INSERT INTO edu_db_2.course_1 (id, title) VALUES (2, 'Logic');
  UPDATE edu_db_1.course_1 SET teacher = 'Emmy Noether' WHERE id = 1;
  UPDATE edu_db_2.course_2 SET id = 8 WHERE id = 7;
  DELETE FROM edu_db_1.course_2 WHERE id = 1;
  INSERT INTO demo_db.events_no_pk VALUES ('2024-01-02 09:00:00', 'app', 'logout');"
say "smt sync again: resumes from its checkpoint"
smt sync -c "$work/demo.ini" --state-dir "$work/state" --until-caught-up

say "read back from the emulator over the MySQL protocol"
tgt=(mariadb --no-defaults -h"${fe%:*}" -P"${fe##*:}" -uroot -pdemo --table)
"${tgt[@]}" -e "SELECT * FROM edu_db__auto_shard.course__auto_shard ORDER BY id"
"${tgt[@]}" -e "SELECT COUNT(*) FROM demo_db.events_no_pk"
"${tgt[@]}" -e "SELECT id, c_bigint_u, c_bit, c_decimal_big, c_datetime, c_time, c_set, c_json, c_point FROM demo_db.all_types ORDER BY id"
