//! `store_rows = false` (benchmark mode): the protocol and every check of a load stay as they
//! are; committed rows are only counted.
mod common;
use common::*;
use mysql::prelude::Queryable;
use serde_json::Value;
use starrocks_emulator::{Emulator, EmulatorConfig};

const T: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `n` TINYINT NULL, \
    `d` DECIMAL(5, 2) NULL, `s` VARCHAR(4) NULL, `dt` DATETIME NULL, `b` BOOLEAN NULL, \
    `j` JSON NULL, `bin` VARBINARY(2) NULL, `nn` INT NOT NULL DEFAULT \"7\") \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn pair() -> (Emulator, Emulator) {
    let stored = start();
    let counted = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        store_rows: false,
        ..Default::default()
    });
    for e in [&stored, &counted] {
        let mut c = conn(e);
        setup_db(&mut c, "ns", &[T]);
    }
    (stored, counted)
}

/// The fields of a load answer that must not depend on whether rows are stored.
fn visible(v: &Value) -> Value {
    let mut o = serde_json::Map::new();
    for k in [
        "Status",
        "Message",
        "Label",
        "NumberTotalRows",
        "NumberLoadedRows",
        "NumberFilteredRows",
        "NumberUnselectedRows",
        "LoadBytes",
        "ExistingJobStatus",
    ] {
        if let Some(x) = v.get(k) {
            o.insert(k.into(), x.clone());
        }
    }
    o.insert(
        "has_error_url".into(),
        Value::Bool(v.get("ErrorURL").is_some()),
    );
    Value::Object(o)
}

fn error_log(v: &Value) -> Option<String> {
    let url = v.get("ErrorURL")?.as_str()?;
    Some(http().get(url).send().unwrap().text().unwrap())
}

/// CSV rows: one good row per line, then one bad value per column (strict mode filters each).
const CSV: &str = "1\t1\t1.5\tab\t2024-01-01 10:00:00.5\ttrue\t{\"a\":1}\tQUI=\t1\n\
    2\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t2\n\
    3\t128\t1\ta\t2024-01-01\t1\t1\t\\N\t3\n\
    4\t1\t1000\ta\t2024-01-01\t1\t1\t\\N\t4\n\
    5\t1\t999.995\ta\t2024-01-01\t1\t1\t\\N\t5\n\
    6\t1\t1\tabcde\t2024-01-01\t1\t1\t\\N\t6\n\
    7\t1\t1\ta\t2023-02-29\t1\t1\t\\N\t7\n\
    8\t1\t1\ta\t2024-01-01\tyes\t1\t\\N\t8\n\
    9\t1\t1\ta\t2024-01-01\t1\t{bad\t\\N\t9\n\
    10\t1\t1\ta\t2024-01-01\t1\t1\tQUJD\t10\n\
    11\t1\t1\ta\t2024-01-01\t1\t1\t\\N\t\\N\n\
    x\t1\t1\ta\t2024-01-01\t1\t1\t\\N\t12\n\
    13\t1\t1\ta\n\
    \n\
    14\t-128\t-0.005\t\t2024-02-29 23:59:59.999999\t0\t\"s\"\t\t14\n";

#[test]
fn counts_instead_of_storing_with_the_same_answers() {
    let (stored, counted) = pair();
    let mut answers = Vec::new();
    for e in [&stored, &counted] {
        let mut a = Vec::new();
        for strict in ["true", "false"] {
            let v = stream_load(
                e,
                "ns",
                "t",
                &[
                    ("label", &format!("csv_{strict}")),
                    ("strict_mode", strict),
                    ("max_filter_ratio", "1"),
                ],
                CSV.as_bytes(),
            );
            a.push((visible(&v), error_log(&v)));
        }
        // enclosed / escaped fields, trimmed spaces, a skipped header, a columns mapping
        let v = stream_load(
            e,
            "ns",
            "t",
            &[
                ("label", "enc"),
                ("column_separator", ","),
                ("enclose", "\""),
                ("escape", "\\"),
                ("trim_space", "true"),
                ("skip_header", "1"),
                ("strict_mode", "true"),
                ("max_filter_ratio", "1"),
                (
                    "columns",
                    "id, s, tmp, bin = to_binary(tmp, 'hex'), nn = id",
                ),
            ],
            b"id,s,bin\n40,\"a,b\" ,0aff\n41,\"x\\\"y\",zz\n42,\"toolong\",00\n43,ab,0a0b0c\n",
        );
        a.push((visible(&v), error_log(&v)));
        // the same label again
        let v = stream_load(
            e,
            "ns",
            "t",
            &[("label", "csv_true")],
            b"99\t1\t1\ta\t\\N\t1\t1\t\\N\t1\n",
        );
        a.push((visible(&v), None));
        // too many filtered rows fails the load
        let v = stream_load(
            e,
            "ns",
            "t",
            &[("label", "bad"), ("strict_mode", "true")],
            CSV.as_bytes(),
        );
        a.push((visible(&v), error_log(&v)));
        // JSON through the transaction API, strict
        let h = [
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("strict_mode", "true"),
            ("max_filter_ratio", "1"),
        ];
        assert_eq!(txn_op(e, "begin", "J", "ns", "t", &[])["Status"], "OK");
        let l = txn_load(
            e,
            "J",
            "ns",
            "t",
            &h,
            br#"[{"id":20,"n":1,"d":"1.25","s":"abcd","dt":"2024-01-01 00:00:00","b":true,"j":{"x":[1]},"bin":"ab","nn":1},
                 {"id":21,"n":300},{"id":22,"d":1e9},{"ID":23,"S":"toolong"},{"id":24,"j":12345678901234567890123},
                 {"id":25,"bin":"abc"},[1],{"n":1},{"id":26,"__op":1}]"#,
        );
        assert_eq!(l["Status"], "OK", "{l}");
        let l = txn_load(
            e,
            "J",
            "ns",
            "t",
            &h,
            br#"[{"id":27}] [{"id":28,"dt":"2024-13-01"}]"#,
        );
        assert_eq!(l["Status"], "OK", "{l}");
        let p = txn_op(e, "prepare", "J", "ns", "t", &[]);
        a.push((visible(&p), error_log(&p)));
        let c = txn_op(e, "commit", "J", "ns", "t", &[]);
        a.push((visible(&c), None));
        // an invalid JSON body fails the transaction in both modes
        assert_eq!(txn_op(e, "begin", "K", "ns", "t", &[])["Status"], "OK");
        txn_load(e, "K", "ns", "t", &h, br#"[{"id":30}"#);
        let c = txn_op(e, "commit", "K", "ns", "t", &[]);
        a.push((visible(&c), None));
        a.push((serde_json::json!(load_state(e, "ns", "J")), None));
        a.push((serde_json::json!(load_state(e, "ns", "K")), None));
        a.push((serde_json::json!(e.load_count("ns", "t")), None));
        a.push((serde_json::json!(e.rows_committed("ns", "t")), None));
        answers.push(a);
    }
    // error-log URLs name each emulator's own BE; the texts must be equal
    assert_eq!(answers[0].len(), answers[1].len());
    for (x, y) in answers[0].iter().zip(&answers[1]) {
        assert_eq!(x, y);
    }
    // the first strict CSV load filters one row per bad value
    let first = &answers[0][0].0;
    assert_eq!(first["NumberTotalRows"], 14, "{first}");
    assert_eq!(first["NumberLoadedRows"], 3, "{first}");
    let enc = &answers[0][2].0;
    assert_eq!(enc["Label"], "enc", "{enc}");
    assert_eq!(enc["NumberTotalRows"], 4, "{enc}");
    assert_eq!(enc["NumberLoadedRows"], 2, "{enc} {:?}", answers[0][2].1);
    let log = answers[1][0].1.clone().unwrap();
    for want in [
        "'128' is out of range for TINYINT",
        "'1000' is out of range for DECIMAL(5, 2)",
        "'999.995' is out of range for DECIMAL(5, 2)",
        "input length: 5 bytes, schema length: 4 bytes",
        "'2023-02-29' is not a valid DATETIME",
        "'yes' is not a valid BOOLEAN",
        "'{bad' is not valid JSON",
        "input length: 3 bytes, schema length: 2 bytes",
        "NULL value in non-nullable column 'nn'",
        "'x' is not a valid BIGINT",
        "Target column count: 9 doesn't match source value column count: 4",
    ] {
        assert!(log.contains(want), "{want}: {log}");
    }
    // no-store: counts only
    let committed = counted.rows_committed("ns", "t").unwrap();
    assert_eq!(Some(committed), stored.rows_committed("ns", "t"));
    assert!(counted.rows("ns", "t").is_none());
    assert!(stored.rows("ns", "t").unwrap().len() as u64 <= committed);
    let mut c = conn(&counted);
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM ns.t"),
        vec![vec![Some(committed.to_string())]]
    );
    for q in [
        "SELECT * FROM ns.t",
        "SELECT COUNT(*) FROM ns.t WHERE id = 1",
    ] {
        let (_, msg) = err_of(&mut c, q);
        assert!(msg.contains("they are not stored"), "{q}: {msg}");
    }
    // INSERT and DELETE keep working (DELETE deletes nothing: no rows are kept)
    c.query_drop("INSERT INTO ns.t (id, nn) VALUES (100, 1), (101, 2)")
        .unwrap();
    assert_eq!(counted.rows_committed("ns", "t"), Some(committed + 2));
    c.query_drop("DELETE FROM ns.t WHERE id = 100").unwrap();
    assert_eq!(c.affected_rows(), 0);
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM ns.t"),
        vec![vec![Some((committed + 2).to_string())]]
    );
    // the HTTP view for out-of-process benchmarks
    let v: Value = http()
        .get(format!(
            "http://{}/_emulator/rows?db=ns&table=t",
            counted.fe_http_addr()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["rows_committed"], committed + 2, "{v}");
    assert_eq!(v["rows"], Value::Null, "{v}");
    assert_eq!(v["load_count"], counted.load_count("ns", "t"), "{v}");
    let v: Value = http()
        .get(format!(
            "http://{}/_emulator/rows?db=ns&table=t",
            stored.fe_http_addr()
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["rows_committed"], committed, "{v}");
    assert!(v["rows"].is_array(), "{v}");
    // TRUNCATE empties the count too
    c.query_drop("TRUNCATE TABLE ns.t").unwrap();
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM ns.t"),
        vec![vec![Some("0".to_string())]]
    );
}

#[test]
fn no_store_binary_flag_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_starrocks-emulator");
    let run = || {
        let mut child = std::process::Command::new(exe)
            .args([
                "--fe-query-port",
                "0",
                "--fe-http-port",
                "0",
                "--be-http-port",
                "0",
            ])
            .args(["--password", PASSWORD, "--no-store", "--data-dir"])
            .arg(dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        (child, v)
    };
    let (mut child, v) = run();
    let fe: std::net::SocketAddr = v["fe_http"].as_str().unwrap().parse().unwrap();
    let q: std::net::SocketAddr = v["fe_query"].as_str().unwrap().parse().unwrap();
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(q.port())
        .user(Some("root"))
        .pass(Some(PASSWORD));
    let mut c = mysql::Conn::new(opts).unwrap();
    c.query_drop("CREATE DATABASE nsb").unwrap();
    c.query_drop(T.replace("{db}", "nsb")).unwrap();
    assert_eq!(txn_op_at(fe, "begin", "a", "nsb", "t", &[])["Status"], "OK");
    let loc = txn_op_once(fe, "load", "a", "nsb", "t", &[]).1;
    let be: reqwest::Url = loc.parse().unwrap();
    let be: std::net::SocketAddr = format!("127.0.0.1:{}", be.port().unwrap()).parse().unwrap();
    let l = txn_load_at(
        be,
        "a",
        "nsb",
        "t",
        &[],
        b"1\t1\t1\ta\t\\N\t1\t1\t\\N\t1\n2\t1\t1\ta\t\\N\t1\t1\t\\N\t1\n",
    );
    assert_eq!(l["Status"], "OK", "{l}");
    let v = txn_op_at(fe, "commit", "a", "nsb", "t", &[]);
    assert_eq!(v["NumberLoadedRows"], 2, "{v}");
    let _ = child.kill();
    let _ = child.wait();
    let (mut child, v) = run();
    let fe: std::net::SocketAddr = v["fe_http"].as_str().unwrap().parse().unwrap();
    let r: Value = http()
        .get(format!("http://{fe}/_emulator/rows?db=nsb&table=t"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r["rows_committed"], 2, "{r}");
    assert_eq!(r["load_count"], 1, "{r}");
}

/// `--no-store --no-check`: a valid body's records are counted exactly as the checking modes
/// count them (strings holding braces, quotes and backslashes, nested JSON values, several
/// documents per load, `strip_outer_array`, CSV with a two-byte delimiter, no final delimiter, a
/// skipped header), through a stream load and the transaction API; unbalanced JSON still fails.
#[test]
fn counting_only_counts_the_records_the_checking_modes_count() {
    let checked = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        store_rows: false,
        ..Default::default()
    });
    let counting = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        store_rows: false,
        check_rows: false,
        ..Default::default()
    });
    let json: &[u8] = br#"[{"id":1,"s":"{\"}","j":{"a":{"b":[1,{"c":"}{"}]}}},
        {"id":2,"s":"a\\","j":"x\"}"},{"id":3,"s":"]["},{"id":4}]"#;
    let stream: &[u8] = br#"{"id":5,"s":"\\\""} {"id":6,"j":[{},{}]}
        {"id":7}"#;
    let csv: &[u8] = b"id|s\r\n8|a{\r\n9|\"}\r\n10|b";
    let mut totals = Vec::new();
    for e in [&checked, &counting] {
        setup_db(&mut conn(e), "ns", &[T]);
        let mut t = Vec::new();
        let j = [("format", "json"), ("strip_outer_array", "true")];
        let v = stream_load(e, "ns", "t", &[&j[..], &[("label", "j1")]].concat(), json);
        t.push(visible(&v));
        let v = stream_load(e, "ns", "t", &[("label", "j2"), ("format", "json")], stream);
        t.push(visible(&v));
        let c = [
            ("label", "c1"),
            ("column_separator", "|"),
            ("row_delimiter", "\\x0d0a"),
            ("skip_header", "1"),
            ("columns", "id, s"),
        ];
        let v = stream_load(e, "ns", "t", &c, csv);
        t.push(visible(&v));
        assert_eq!(txn_op(e, "begin", "T", "ns", "t", &[])["Status"], "OK");
        for body in [json, br#"[]"#, br#"[{"id":11}]"#] {
            let l = txn_load(e, "T", "ns", "t", &j, body);
            assert_eq!(l["Status"], "OK", "{l}");
        }
        let p = txn_op(e, "prepare", "T", "ns", "t", &[]);
        t.push(visible(&p));
        t.push(visible(&txn_op(e, "commit", "T", "ns", "t", &[])));
        // Unbalanced braces fail the transaction in every mode.
        assert_eq!(txn_op(e, "begin", "U", "ns", "t", &[])["Status"], "OK");
        txn_load(e, "U", "ns", "t", &j, br#"[{"id":12,"s":"}"]"#);
        let p = txn_op(e, "prepare", "U", "ns", "t", &[]);
        assert_ne!(p["Status"], "OK", "{p}");
        t.push(serde_json::json!(e.rows_committed("ns", "t")));
        totals.push(t);
    }
    assert_eq!(totals[0], totals[1]);
    let t = &totals[1];
    assert_eq!(t[0]["NumberTotalRows"], 4, "{}", t[0]);
    assert_eq!(t[1]["NumberTotalRows"], 3, "{}", t[1]);
    assert_eq!(t[2]["NumberTotalRows"], 3, "{}", t[2]);
    assert_eq!(t[3]["NumberTotalRows"], 5, "{}", t[3]);
    assert_eq!(t[5], serde_json::json!(Some(15)));
}
