#!/usr/bin/env bash
# Benchmark: `smt generate` on a large catalogue versus the raw information_schema queries it needs,
# run through the `mariadb` client (the floor any introspecting tool has to pay).
#   scripts/bench-generate.sh [TABLES=10000] [DATABASES=50] [COLUMNS=20]
# Needs a MariaDB (scripts/mariadb.sh start) exported as SMT_MARIADB_*; builds smt in release mode.
# Prints: tables, wall times (median of 3), ratio smt/raw (goal <= 1.2), queries smt ran.
set -euo pipefail
cd "$(dirname "$0")/.."
TABLES="${1:-10000}"; DBS="${2:-50}"; COLS="${3:-20}"
: "${SMT_MARIADB_PORT:?start MariaDB first: eval \"\$(scripts/mariadb.sh start)\"}"
H=127.0.0.1; P="$SMT_MARIADB_PORT"; U="${SMT_MARIADB_USER:-root}"; PW="${SMT_MARIADB_PASSWORD:-smt-test}"
M=(mariadb --no-defaults -h"$H" -P"$P" -u"$U" -p"$PW")
per_db=$(( TABLES / DBS ))

if [ "$("${M[@]}" -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA REGEXP '^bench_gen_[a-z]+$' AND TABLE_NAME LIKE 't\_%' AND TABLE_NAME NOT REGEXP '[0-9]'")" != "$TABLES" ]; then
  echo "creating $TABLES tables ($DBS databases x $per_db, $COLS columns each)..." >&2
  "${M[@]}" -N -e "SELECT CONCAT('DROP DATABASE ', SCHEMA_NAME, ';') FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'bench_gen_%'" | "${M[@]}"
  python3 - "$DBS" "$per_db" "$COLS" <<'PY' | "${M[@]}"
import sys
dbs, per_db, cols = map(int, sys.argv[1:])
types = ["INT", "BIGINT UNSIGNED", "VARCHAR(64)", "DECIMAL(12,2)", "DATETIME(3)", "TEXT", "TINYINT(1)",
         "DOUBLE", "DATE", "CHAR(8)", "JSON", "ENUM('a','b','c')", "TIMESTAMP(6) NULL", "BLOB", "SMALLINT"]
print("SET SESSION sql_log_bin=0;")
for d in range(dbs):
    db = "bench_gen_" + "".join(chr(97 + (d // 26 ** i) % 26) for i in range(2))
    print(f"CREATE DATABASE {db}; USE {db};")
    for t in range(per_db):
        cs = ["id BIGINT NOT NULL AUTO_INCREMENT"] + [f"c{i} {types[i % len(types)]}" for i in range(cols - 1)]
        # Letter suffixes: numbered names would be shards of one table and merge into one target.
        name = "t_" + "".join(chr(97 + (t // 26 ** i) % 26) for i in range(3))
        print(f"CREATE TABLE {name} ({', '.join(cs)}, PRIMARY KEY (id), UNIQUE KEY u_c0 (c0)) COMMENT 'bench';")
PY
fi

cargo build --release --quiet
dir=$(mktemp -d)
cat > "$dir/bench.ini" <<INI
[db]
host = $H
port = $P
user = $U
password = \${SMT_MARIADB_PASSWORD}
type = mysql
[other]
be_num = 3
output_dir = $dir/result
[table-rule.1]
database = ^bench_gen_[a-z]+\$
table = .*
flink.starrocks.jdbc-url = jdbc:mysql://127.0.0.1:9030
flink.starrocks.load-url = 127.0.0.1:8030
flink.starrocks.username = root
flink.starrocks.password =
INI
export SMT_MARIADB_PASSWORD="$PW"

# The same information_schema reads smt issues (same columns, same filters), through the
# mariadb client, output discarded: the floor for any tool that introspects this catalogue.
raw() {
  local dbs in_list
  dbs=$("${M[@]}" -N -e "SELECT VERSION(), @@global.time_zone, @@system_time_zone; SELECT SCHEMA_NAME FROM information_schema.SCHEMATA" | grep -E '^bench_gen_[a-z]+$')
  in_list=$(printf "'%s'," $dbs); in_list="${in_list%,}"
  "${M[@]}" -N -e "
    SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COMMENT, DATA_LENGTH FROM information_schema.TABLES
      WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA IN ($in_list);
    SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE,
      COLUMN_TYPE, CHARACTER_OCTET_LENGTH, CHARACTER_SET_NAME, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ($in_list);
    SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS
      WHERE NON_UNIQUE = 0 AND TABLE_SCHEMA IN ($in_list) ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX;
    SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA IN ($in_list);" > /dev/null
}
now() { date +%s.%N; }
calc() { python3 -c "print(round($1, 3))"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
smt_times=(); raw_times=()
for i in 1 2 3; do
  t0=$(now); raw; t1=$(now); raw_times+=("$(calc "$t1 - $t0")")
  t0=$(now); target/release/smt generate -c "$dir/bench.ini" --format json > "$dir/summary.json"; t1=$(now)
  smt_times+=("$(calc "$t1 - $t0")")
done
raw_m=$(printf '%s\n' "${raw_times[@]}" | median); smt_m=$(printf '%s\n' "${smt_times[@]}" | median)
queries=$(python3 -c "import json,sys; d=json.load(open('$dir/summary.json')); print(d.get('source',{}).get('queries','?'))")
planned=$(python3 -c "import json,sys; d=json.load(open('$dir/summary.json')); print(d.get('tables_planned','?'))")
echo "tables: $TABLES in $DBS databases, $COLS columns each; planned: $planned"
echo "raw information_schema via mariadb client (median of 3): ${raw_m}s"
echo "smt generate, release (median of 3):                    ${smt_m}s"
echo "ratio smt/raw: $(calc "$smt_m / $raw_m")   (goal <= 1.2)"
echo "information_schema queries run by smt: $queries"
rm -rf "$dir"
