//! The SQL `smt verify` sends: SELECT with WHERE / ORDER BY / LIMIT, COUNT / MIN / MAX, hex(),
//! CAST(.. AS VARCHAR), how values are printed, and DELETE — with StarRocks' comparison types.
mod common;
use common::*;
use mysql::prelude::Queryable;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Rows as text, `None` = NULL.
fn q(c: &mut mysql::Conn, sql: &str) -> Vec<Vec<Option<String>>> {
    rows_text(c, sql)
}

/// First column of each row.
fn col0(c: &mut mysql::Conn, sql: &str) -> Vec<Option<String>> {
    q(c, sql).into_iter().map(|mut r| r.remove(0)).collect()
}

fn ids(c: &mut mysql::Conn, sql: &str) -> Vec<i64> {
    col0(c, sql)
        .into_iter()
        .map(|v| v.unwrap().parse().unwrap())
        .collect()
}

const TYPES: &str = "CREATE TABLE `{db}`.`t` (
    `id` BIGINT NOT NULL,
    `i` INT NULL,
    `big` LARGEINT NULL,
    `d` DECIMAL(10, 3) NULL,
    `v` VARCHAR(20) NULL,
    `dt` DATETIME NULL,
    `day` DATE NULL,
    `b` BOOLEAN NULL,
    `j` JSON NULL,
    `bin` VARBINARY(8) NULL,
    `f` DOUBLE NULL
) PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn setup_types(emu: &starrocks_emulator::Emulator, db: &str) -> mysql::Conn {
    let mut c = conn(emu);
    setup_db(&mut c, db, &[TYPES]);
    let body = concat!(
        "1\t9\t9\t9.5\t9\t2024-01-01 10:00:00\t2024-01-01\t1\t{\"b\":2,\"a\":[1,2]}\t\\N\t1.5\n",
        "2\t10\t10\t10.25\t10\t2024-01-01 10:00:00.5\t2024-01-02\t0\t\"x\"\t\\N\t-2\n",
        "3\t-1\t170141183460469231731687303715884105727\t-0.001\tit's\t2024-01-01 09:59:59.999999\t2023-12-31\t\\N\t\\N\t\\N\t\\N\n",
        "4\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n",
        "5\t100\t-5\t100\ta\\b\t2024-02-29 23:59:59\t2024-02-29\t1\t[]\t\\N\t0\n",
    );
    let v = stream_load(emu, db, "t", &[("label", "l1")], body.as_bytes());
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberLoadedRows"], 5, "{v}");
    // VARBINARY by bytes: to_binary(hex)
    for (id, hex) in [(1, "00FF41"), (2, "0041"), (5, "FF")] {
        let v = stream_load(
            emu,
            db,
            "t",
            &[
                ("label", &format!("bin{id}")),
                ("columns", "id, tmp, bin=to_binary(tmp, 'hex')"),
                ("partial_update", "true"),
            ],
            format!("{id}\t{hex}\n").as_bytes(),
        );
        assert_eq!(v["Status"], "Success", "{v}");
    }
    c
}

#[test]
fn where_comparisons_use_the_column_type() {
    let emu = start();
    let mut c = setup_types(&emu, "qw");
    // integers compare as numbers: 9 < 10 (as strings "10" < "9")
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE i > 9 ORDER BY id"),
        [2, 5]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE i < 10 ORDER BY id"),
        [1, 3]
    );
    // ... and strings in byte order: '10' < '9'
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE v < '9' ORDER BY id"),
        [2]
    );
    assert_eq!(
        col0(&mut c, "SELECT v FROM qw.t WHERE v IS NOT NULL ORDER BY v"),
        [s("10"), s("9"), s("a\\b"), s("it's")]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t ORDER BY i, id"),
        [4, 3, 1, 2, 5],
        "NULL first ascending, then -1 < 9 < 10 < 100"
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t ORDER BY i DESC"),
        [5, 2, 1, 3, 4],
        "NULL last descending"
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t ORDER BY i ASC NULLS LAST"),
        [3, 1, 2, 5, 4]
    );
    // LARGEINT and DECIMAL exactly
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE big >= 170141183460469231731687303715884105727"
        ),
        [3]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t ORDER BY big, id"),
        [4, 5, 1, 2, 3]
    );
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE d = 9.500"), [1]);
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE d > 9.5 ORDER BY id"),
        [2, 5]
    );
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE d < 0"), [3]);
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE i > 9.5 ORDER BY id"),
        [2, 5]
    );
    // = between an exact number and a string compares as strings (TypeManager)
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE i = '9'"), [1]);
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE i = '09'").is_empty());
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE d = '9.5'").is_empty());
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE d = '9.500'"), [1]);
    // ... a range compares as DOUBLE
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE i > '09' ORDER BY id"),
        [2, 5]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE v > 9 ORDER BY id"),
        [2]
    );
    // DATETIME with fractions, DATE against DATETIME literals
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE dt > '2024-01-01 10:00:00' ORDER BY id"
        ),
        [2, 5]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE dt = '2024-01-01 10:00:00.500000'"
        ),
        [2]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE dt = '2024-01-01 10:00:00.5'"
        ),
        [2]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE dt < '2024-01-01 10:00:00' AND dt IS NOT NULL"
        ),
        [3]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t ORDER BY dt DESC, id"),
        [5, 2, 1, 3, 4]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE day = '2024-01-01 00:00:00'"
        ),
        [1]
    );
    assert!(ids(
        &mut c,
        "SELECT id FROM qw.t WHERE day = '2024-01-01 10:00:00'"
    )
    .is_empty());
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE day < '2024-01-01 10:00:00' ORDER BY id"
        ),
        [1, 3]
    );
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE dt > 'not a date'").is_empty());
    // strings with both escapes
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE v = 'it\\'s'"), [3]);
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE v = 'it''s'"), [3]);
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE v = \"it's\""), [3]);
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE v = 'a\\\\b'"), [5]);
    // NULL: three-valued logic
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE i = NULL").is_empty());
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE i <> NULL").is_empty());
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE i IS NULL"), [4]);
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE NOT (i > 9) ORDER BY id"),
        [1, 3]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE i > 9 OR i IS NULL ORDER BY id"
        ),
        [2, 4, 5]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE i IN (9, 100) ORDER BY id"
        ),
        [1, 5]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE i NOT IN (9, 100) ORDER BY id"
        ),
        [2, 3]
    );
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE i NOT IN (9, NULL)").is_empty());
    // IN compares an exact number with strings as strings, like `=`
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE d IN ('9.5')").is_empty());
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE d IN ('9.500', '1')"),
        [1]
    );
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE i IN (9, NULL)"), [1]);
    // BOOLEAN, DOUBLE, VARBINARY by bytes
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE b = TRUE ORDER BY id"),
        [1, 5]
    );
    assert_eq!(ids(&mut c, "SELECT id FROM qw.t WHERE b = 0"), [2]);
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE f < 0.5 ORDER BY id"),
        [2, 5]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t ORDER BY bin, id"),
        [3, 4, 2, 1, 5]
    );
    assert!(ids(&mut c, "SELECT id FROM qw.t WHERE bin = 'A'").is_empty());
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE bin = 'A' OR bin > ''"),
        [1, 2, 5]
    );
    // literal on the left, parentheses, qualified names
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE 10 <= t.i ORDER BY id"),
        [2, 5]
    );
    assert_eq!(
        ids(
            &mut c,
            "SELECT id FROM qw.t WHERE (i > 0 AND (v = '9' OR v = '10')) ORDER BY id DESC"
        ),
        [2, 1]
    );
    assert_eq!(
        ids(&mut c, "SELECT id FROM qw.t WHERE TRUE AND id = 4"),
        [4]
    );
    // errors
    let (code, msg) = err_of(&mut c, "SELECT id FROM qw.t WHERE nope = 1");
    assert_eq!(code, 1064);
    assert!(msg.contains("Column 'nope' cannot be resolved"), "{msg}");
    let (_, msg) = err_of(&mut c, "SELECT id FROM qw.t WHERE j = '{}'");
    assert!(
        msg.contains("not supported by the StarRocks emulator"),
        "{msg}"
    );
    let (_, msg) = err_of(&mut c, "SELECT id FROM qw.t WHERE (id, i) > (1, 2)");
    assert!(msg.contains("a > x OR (a = x AND b > y)"), "{msg}");
}

#[test]
fn values_print_as_starrocks_prints_them() {
    let emu = start();
    let mut c = setup_types(&emu, "qv");
    let r: Vec<mysql::Row> = c
        .query("SELECT id, d, dt, day, b, j, bin, hex(bin), CAST(bin AS VARCHAR), hex(v), hex(i), CAST(i AS VARCHAR(10)) FROM qv.t WHERE id <= 2 ORDER BY id")
        .unwrap();
    let cols: Vec<(String, mysql::consts::ColumnType)> = r[0]
        .columns_ref()
        .iter()
        .map(|c| (c.name_str().to_string(), c.column_type()))
        .collect();
    use mysql::consts::ColumnType::*;
    assert_eq!(
        cols.iter().map(|c| c.1).collect::<Vec<_>>(),
        [
            MYSQL_TYPE_LONGLONG,
            MYSQL_TYPE_NEWDECIMAL,
            MYSQL_TYPE_DATETIME,
            MYSQL_TYPE_DATE,
            MYSQL_TYPE_TINY,
            MYSQL_TYPE_STRING,
            MYSQL_TYPE_BLOB,
            MYSQL_TYPE_VAR_STRING,
            MYSQL_TYPE_VAR_STRING,
            MYSQL_TYPE_VAR_STRING,
            MYSQL_TYPE_VAR_STRING,
            MYSQL_TYPE_VAR_STRING,
        ]
    );
    assert_eq!(cols[7].0, "hex(bin)");
    let raw = |row: &mysql::Row, i: usize| -> Option<Vec<u8>> {
        match row.as_ref(i).unwrap() {
            mysql::Value::NULL => None,
            mysql::Value::Bytes(b) => Some(b.clone()),
            other => panic!("{other:?}"),
        }
    };
    let text = |row: &mysql::Row, i: usize| raw(row, i).map(|b| String::from_utf8(b).unwrap());
    assert_eq!(text(&r[0], 1), s("9.500"), "DECIMAL with all scale digits");
    assert_eq!(
        text(&r[0], 2),
        s("2024-01-01 10:00:00"),
        "no fraction when zero"
    );
    assert_eq!(
        text(&r[1], 2),
        s("2024-01-01 10:00:00.500000"),
        "6 fraction digits"
    );
    assert_eq!(text(&r[0], 3), s("2024-01-01"));
    assert_eq!(text(&r[0], 4), s("1"));
    assert_eq!(text(&r[1], 4), s("0"));
    assert_eq!(text(&r[0], 5), s("{\"a\": [1, 2], \"b\": 2}"));
    assert_eq!(text(&r[1], 5), s("\"x\""));
    assert_eq!(
        raw(&r[0], 6),
        Some(vec![0x00, 0xFF, 0x41]),
        "VARBINARY raw bytes"
    );
    assert_eq!(text(&r[0], 7), s("00FF41"), "hex() upper case");
    assert_eq!(raw(&r[0], 8), Some(vec![0x00, 0xFF, 0x41]));
    assert_eq!(text(&r[0], 9), s("39"));
    assert_eq!(text(&r[1], 10), s("A"));
    assert_eq!(text(&r[1], 11), s("10"));
    // rows() keeps VARBINARY as hex text
    assert_eq!(emu.rows("qv", "t").unwrap()[0][9], s("00FF41"));
}

#[test]
fn keyset_pagination_over_a_composite_key() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "qp",
        &["CREATE TABLE `{db}`.`t` (`a` INT NOT NULL, `b` VARCHAR(5) NOT NULL, `x` INT NULL) \
           PRIMARY KEY (`a`, `b`) DISTRIBUTED BY HASH(`a`) PROPERTIES (\"replication_num\" = \"1\")"],
    );
    let mut body = String::new();
    let mut expect = Vec::new();
    for a in [10, 9, 100, -3] {
        for b in ["b", "a", "10", "9"] {
            body.push_str(&format!("{a}\t{b}\t{a}\n"));
            expect.push((a, b.to_string()));
        }
    }
    expect.sort();
    let v = stream_load(&emu, "qp", "t", &[("label", "p")], body.as_bytes());
    assert_eq!(v["NumberLoadedRows"], 16, "{v}");
    // the queries `smt verify` sends: a > x OR (a = x AND b > y), ORDER BY the key, LIMIT n
    let mut seen: Vec<(i64, String)> = Vec::new();
    let mut last: Option<(i64, String)> = None;
    loop {
        let sql = match &last {
            None => "SELECT a, b FROM qp.t ORDER BY a ASC, b ASC LIMIT 3".to_string(),
            Some((a, b)) => format!(
                "SELECT a, b FROM qp.t WHERE a > {a} OR (a = {a} AND b > '{b}') ORDER BY a ASC, b ASC LIMIT 3"
            ),
        };
        let page = q(&mut c, &sql);
        if page.is_empty() {
            break;
        }
        for r in &page {
            seen.push((
                r[0].as_ref().unwrap().parse().unwrap(),
                r[1].clone().unwrap(),
            ));
        }
        last = seen.last().cloned();
    }
    assert_eq!(seen, expect);
    // predicates that bound the first key column, and ones that do not
    for (sql, want) in [
        (
            "a > 50 OR b = '9'",
            vec![
                (-3, "9"),
                (9, "9"),
                (10, "9"),
                (100, "10"),
                (100, "9"),
                (100, "a"),
                (100, "b"),
            ],
        ),
        (
            "a >= 10 AND a IN (9, 10, 11)",
            vec![(10, "10"), (10, "9"), (10, "a"), (10, "b")],
        ),
        ("a IN (100, 9) AND b = 'a'", vec![(9, "a"), (100, "a")]),
        ("a = 10 AND b > 'a' OR a > 10 AND b < '10'", vec![(10, "b")]),
        ("a > 9.5 AND b = 'b'", vec![(10, "b"), (100, "b")]),
        (
            "b = 'b' AND a >= -3",
            vec![(-3, "b"), (9, "b"), (10, "b"), (100, "b")],
        ),
    ] {
        let got: Vec<(i64, String)> = q(
            &mut c,
            &format!("SELECT a, b FROM qp.t WHERE {sql} ORDER BY a, b"),
        )
        .into_iter()
        .map(|r| {
            (
                r[0].as_ref().unwrap().parse().unwrap(),
                r[1].clone().unwrap(),
            )
        })
        .collect();
        let want: Vec<(i64, String)> = want.into_iter().map(|(a, b)| (a, b.to_string())).collect();
        assert_eq!(got, want, "{sql}");
    }
    // counts and bounds of a range
    assert_eq!(
        q(
            &mut c,
            "SELECT MIN(a), MAX(a), COUNT(*) FROM qp.t WHERE a >= 9 AND a <= 10"
        ),
        vec![vec![s("9"), s("10"), s("8")]]
    );
    assert_eq!(
        q(
            &mut c,
            "SELECT MIN(b), MAX(b), COUNT(*), COUNT(x) FROM qp.t WHERE a = 100"
        ),
        vec![vec![s("10"), s("b"), s("4"), s("4")]]
    );
    assert_eq!(
        q(&mut c, "SELECT COUNT(*) FROM qp.t WHERE a > 1000"),
        vec![vec![s("0")]]
    );
    assert_eq!(
        q(&mut c, "SELECT MIN(a), MAX(a) FROM qp.t WHERE a > 1000"),
        vec![vec![None, None]]
    );
    assert_eq!(q(&mut c, "SELECT COUNT(*) FROM qp.t"), vec![vec![s("16")]]);
    // DESC, OFFSET
    assert_eq!(
        q(
            &mut c,
            "SELECT a, b FROM qp.t ORDER BY a DESC, b DESC LIMIT 2"
        ),
        vec![vec![s("100"), s("b")], vec![s("100"), s("a")]]
    );
    assert_eq!(
        q(
            &mut c,
            "SELECT a, b FROM qp.t ORDER BY a, b LIMIT 2 OFFSET 1"
        ),
        vec![vec![s("-3"), s("9")], vec![s("-3"), s("a")]]
    );
    assert_eq!(
        q(&mut c, "SELECT a, b FROM qp.t ORDER BY b, a LIMIT 1, 2"),
        vec![vec![s("9"), s("10")], vec![s("10"), s("10")]]
    );
    let (_, msg) = err_of(&mut c, "SELECT a, COUNT(*) FROM qp.t");
    assert!(msg.contains("must be an aggregate expression"), "{msg}");
}

#[test]
fn delete_follows_starrocks_rules() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "qd",
        &[
            "CREATE TABLE `{db}`.`dup` (`k` INT NULL, `v` VARCHAR(5) NULL, `f` DOUBLE NULL) \
             DUPLICATE KEY(`k`) PROPERTIES (\"replication_num\" = \"1\")",
            "CREATE TABLE `{db}`.`uniq` (`k` INT NOT NULL, `v` VARCHAR(5) NULL) UNIQUE KEY(`k`) \
             DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")",
            "CREATE TABLE `{db}`.`pk` (`k` INT NOT NULL, `v` VARCHAR(5) NULL) PRIMARY KEY(`k`) \
             DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")",
        ],
    );
    let body = b"1\ta\t1\n2\tb\t2\n1\ta\t1\n1\tz\t1\n3\t\\N\t3\n\\N\tn\t0\n";
    assert_eq!(
        stream_load(&emu, "qd", "dup", &[("label", "d")], body)["Status"],
        "Success"
    );
    for t in ["uniq", "pk"] {
        let v = stream_load(
            &emu,
            "qd",
            t,
            &[("label", &format!("u_{t}"))],
            b"1\ta\n2\tb\n3\tc\n4\t\\N\n",
        );
        assert_eq!(v["Status"], "Success", "{v}");
    }
    // DUPLICATE: every matching row goes, all duplicates
    c.query_drop("DELETE FROM qd.dup WHERE k = 1 AND v = 'a'")
        .unwrap();
    let info = c.info_str().to_string();
    assert!(info.starts_with("{'label':'delete_"), "{info}");
    assert!(info.contains("'status':'VISIBLE'"), "{info}");
    assert_eq!(c.affected_rows(), 0);
    let label = info.split('\'').nth(3).unwrap().to_string();
    // delete_ + a UUID
    assert_eq!(label.len(), "delete_".len() + 36, "{label}");
    assert_eq!(load_state(&emu, "qd", &label), "VISIBLE");
    assert_eq!(emu.label_state("qd", &label), "VISIBLE");
    let rows = |emu: &starrocks_emulator::Emulator, t: &str| emu.rows("qd", t).unwrap();
    assert_eq!(
        rows(&emu, "dup"),
        vec![
            vec![s("2"), s("b"), s("2")],
            vec![s("1"), s("z"), s("1")],
            vec![s("3"), None, s("3")],
            vec![None, s("n"), s("0")]
        ]
    );
    assert_eq!(emu.load_count("qd", "dup"), 1, "DELETE is not a load");
    c.query_drop("DELETE FROM qd.dup WHERE v IS NULL").unwrap();
    c.query_drop("DELETE FROM qd.dup WHERE k IN (2, NULL)")
        .unwrap();
    assert_eq!(
        rows(&emu, "dup"),
        vec![vec![s("1"), s("z"), s("1")], vec![None, s("n"), s("0")]]
    );
    // `k = NULL` deletes nothing (and starts no transaction)
    c.query_drop("DELETE FROM qd.dup WHERE k = NULL").unwrap();
    assert_eq!(c.info_str(), "");
    c.query_drop("DELETE FROM qd.dup WHERE k NOT IN (5) AND k <= 1")
        .unwrap();
    assert_eq!(rows(&emu, "dup"), vec![vec![None, s("n"), s("0")]]);
    for (sql, want) in [
        (
            "DELETE FROM qd.dup WHERE k = 1 OR k = 2",
            "Compound predicate's op should be AND",
        ),
        (
            "DELETE FROM qd.dup WHERE NOT k = 1",
            "Where clause only supports compound predicate",
        ),
        (
            "DELETE FROM qd.dup WHERE 1 = k",
            "Left expr of binary predicate should be column name",
        ),
        ("DELETE FROM qd.dup", "Where clause is not set"),
        (
            "DELETE FROM qd.dup WHERE f = 1",
            "column type is float or double",
        ),
        (
            "DELETE FROM qd.dup WHERE k = 'abc'",
            "Invalid value for column k",
        ),
        (
            "DELETE FROM qd.dup WHERE nope = 1",
            "Unknown column 'nope' in 'dup'",
        ),
        (
            "DELETE FROM qd.uniq WHERE v = 'a'",
            "Column[v] is not key column",
        ),
        ("DELETE FROM qd.pk", "Delete must specify where clause"),
    ] {
        let (_, msg) = err_of(&mut c, sql);
        assert!(msg.contains(want), "{sql}: {msg}");
    }
    // UNIQUE by key; PRIMARY KEY: any WHERE, affected rows, `delete_<hi>-<lo>` label
    c.query_drop("DELETE FROM qd.uniq WHERE k >= 3").unwrap();
    assert_eq!(
        rows(&emu, "uniq"),
        vec![vec![s("1"), s("a")], vec![s("2"), s("b")]]
    );
    c.query_drop("DELETE FROM qd.pk WHERE v = 'a' OR v IS NULL")
        .unwrap();
    assert_eq!(c.affected_rows(), 2);
    let info = c.info_str().to_string();
    let label = info.split('\'').nth(3).unwrap().to_string();
    let hex = label.strip_prefix("delete_").unwrap();
    assert!(
        hex.split('-').count() == 2 && hex.chars().all(|ch| ch == '-' || ch.is_ascii_hexdigit()),
        "{label}"
    );
    assert_eq!(
        rows(&emu, "pk"),
        vec![vec![s("2"), s("b")], vec![s("3"), s("c")]]
    );
    assert_eq!(emu.load_count("qd", "pk"), 1);
    assert_eq!(emu.rows_committed("qd", "pk"), Some(4));
}
