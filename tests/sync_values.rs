//! Every value arrives (issue 13): zero dates in PRIMARY KEY columns (DATE, DATETIME(6),
//! TIMESTAMP) and JSON documents of every kind, from a real MariaDB through `smt sync` into the
//! in-process StarRocks emulator, with JSON bodies and with CSV bodies, snapshot then binlog. The
//! full row sets are compared after each phase; the source side is rendered by SQL
//! (`sync_support::source_rows`), with the documented differences rendered the way StarRocks holds
//! them (a zero-date key is `0000-01-01`, a zero date elsewhere NULL, a JSON `null` document SQL
//! NULL, JSON numbers compared by value — integers beyond 64 bits are doubles there). Values smt
//! must refuse (a partial zero date in a key, a JSON document StarRocks cannot take) stop the sync
//! with exit 7 and a message naming the table, the column and the value.

mod sync_support;

use smt::sync::engine::{Options, Outcome};
use std::time::Duration;
use sync_support::*;

/// The tables, created in `db` (dropped first).
fn setup(m: &Maria, db: &str) -> mysql::Conn {
    let mut c = m.conn_utc();
    // Zero dates need a session without NO_ZERO_DATE / NO_ZERO_IN_DATE (MariaDB 10.11's default
    // sql_mode has neither; be explicit).
    m.exec(&mut c, "SET SESSION sql_mode = ''");
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
    m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    for ddl in [
        "CREATE TABLE {db}.zd (d DATE NOT NULL, n INT NOT NULL, seen DATE NOT NULL, v VARCHAR(20), \
         PRIMARY KEY (d, n))",
        "CREATE TABLE {db}.zdt (t DATETIME(6) NOT NULL, ts TIMESTAMP NOT NULL DEFAULT '2000-01-01 00:00:00', \
         v VARCHAR(20), PRIMARY KEY (t, ts))",
        "CREATE TABLE {db}.js (id INT NOT NULL PRIMARY KEY, j JSON, jn JSON NOT NULL)",
    ] {
        m.exec(&mut c, &ddl.replace("{db}", db));
    }
    c
}

/// JSON documents of every kind (MariaDB stores the text as it is; json_valid takes them all).
fn documents() -> Vec<String> {
    let deep_arr = format!("{}1{}", "[".repeat(30), "]".repeat(30));
    let deep_obj = format!("{}{{}}{}", r#"{"a": "#.repeat(30), "}".repeat(30));
    [
        r#"{"b": 1, "a": {"d": [true, false, null], "c": "x"}, "": 0}"#,
        r#"[3, "x", null, [], {}, [1, [2]]]"#,
        r#""abc""#,
        r#""{\"a\":1}""#,
        r#"["\u00e9\ud83d\ude00", "\u0001 \/ \\ \"", "é€😀"]"#,
        "123456789012345678901234567890",
        r#"{"big": 18446744073709551616, "neg": -9223372036854775809, "max": 18446744073709551615, "min": -9223372036854775808}"#,
        "[0.1000000000000000055511151231257827, 1.0, 2.50, 1e21, -1E-7, 123456789012345678901.5]",
        "true",
        "false",
        "null",
        "[null]",
        "0",
        "-12.5",
        &deep_arr,
        &deep_obj,
        "1.",
        r#"{"a": 1.e5}"#,
        "  {\"spaced\" :\t1 }\n",
        "{\"multi\":\n[1,\n2]}",
        "{}",
        "[]",
        r#""""#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Rows of the three tables; `from` offsets keys so later calls add new rows.
fn insert_rows(m: &Maria, c: &mut mysql::Conn, db: &str, from: i32) {
    let n = |k: i32| from + k;
    for (d, k, seen, v) in [
        ("0000-00-00", 1, "2024-01-01", "zero key"),
        ("0000-00-00", 2, "0000-00-00", "zero key, zero seen"),
        ("2024-02-29", 1, "2024-00-15", "partial seen"),
        ("1000-01-01", 1, "9999-12-31", "bounds"),
    ] {
        m.exec(
            c,
            &format!(
                "INSERT INTO {db}.zd VALUES ('{d}', {}, '{seen}', '{v}')",
                n(k)
            ),
        );
    }
    let zdt: &[(&str, &str)] = if from == 0 {
        &[
            ("0000-00-00 00:00:00", "0000-00-00 00:00:00"),
            ("0000-00-00 12:34:56.000007", "2024-01-02 03:04:05"),
            ("2024-01-02 03:04:05.5", "0000-00-00 00:00:00"),
        ]
    } else {
        &[
            ("0000-00-00 01:00:00", "0000-00-00 00:00:00"),
            ("0000-00-00 00:00:00", "2024-01-02 03:04:05"),
            ("2024-01-02 03:04:05.5", "2024-06-01 00:00:00"),
        ]
    };
    for (t, ts) in zdt {
        m.exec(
            c,
            &format!("INSERT INTO {db}.zdt VALUES ('{t}', '{ts}', 'row {from}')"),
        );
    }
    for (i, doc) in documents().iter().enumerate() {
        let id = from + i as i32;
        let jn = if i % 3 == 0 { "null" } else { "{\"n\": 1}" };
        m.exec(
            c,
            &format!(
                "INSERT INTO {db}.js VALUES ({id}, {}, '{jn}')",
                sql_text(doc)
            ),
        );
    }
    m.exec(
        c,
        &format!("INSERT INTO {db}.js VALUES ({}, NULL, '[]')", from + 999),
    );
}

fn run_job(
    config: &smt::config::Config,
    plan: &smt::plan::Plan,
    cfg: &std::path::Path,
    state: &std::path::Path,
    chunk_rows: usize,
) -> anyhow::Result<Outcome> {
    let mut job = smt::sync::Job::from_config(config, plan, &sync_args(cfg, state)).unwrap();
    job.reader.heartbeat = Duration::from_millis(200);
    job.chunk_rows = chunk_rows;
    job.run(Options {
        until_caught_up: true,
        progress: false,
        ..Options::default()
    })
}

/// Snapshot, then binlog (inserts, updates of zero-date keys, a key changed to and from the zero
/// date, deletes), then an idle restart; full row sets after each.
fn round_trip(db: &str, bodies: &str, sink: &str) {
    let m = Maria::from_env();
    let mut c = setup(&m, db);
    insert_rows(&m, &mut c, db, 0);

    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smt.ini");
    let text = config_text(
        &m,
        &emu,
        &dir.path().join("result"),
        &[&format!("database = ^{db}$\ntable = .*{sink}")],
    );
    std::fs::write(&cfg, text).unwrap();
    let state = dir.path().join("state");
    let (config, plan) = plan_for(&cfg);
    let targets: Vec<smt::plan::TablePlan> = plan.tables().cloned().collect();
    assert_eq!(targets.len(), 3);
    // The plan says what zero-date keys load as (generate's summary lists these notes).
    let zd = targets.iter().find(|t| t.target_table == "zd").unwrap();
    let note = zd
        .notes
        .iter()
        .find(|n| n.column.as_deref() == Some("d"))
        .expect("a note on the key column d");
    assert!(note.message.contains("0000-01-01"), "{}", note.message);
    assert_eq!(
        zd.column("d").unwrap().encoding,
        smt::plan::Encoding::KeyDate
    );
    assert!(zd.column("seen").unwrap().nullable);
    let js = targets.iter().find(|t| t.target_table == "js").unwrap();
    assert!(
        js.column("jn").unwrap().nullable,
        "NOT NULL JSON is nullable"
    );

    let compare = |phase: &str| {
        let mut c = m.conn_utc();
        for tp in &targets {
            assert_same_rows(
                &format!(
                    "{phase} ({bodies} bodies): {}.{}",
                    tp.target_database, tp.target_table
                ),
                &source_rows(&mut c, tp),
                &target_rows(&emu, tp),
            );
        }
    };
    // One row per snapshot chunk: with CSV bodies, a chunk of a document CSV can carry goes as
    // CSV and one of a bare scalar as JSON.
    assert_eq!(
        run_job(&config, &plan, &cfg, &state, 1).expect("snapshot"),
        Outcome::CaughtUp
    );
    compare("after snapshot");
    // Spot checks of what StarRocks holds (the comparison above is by value).
    let rows = emu.rows(db, "zd").unwrap();
    assert!(
        rows.iter()
            .any(|r| r[0].as_deref() == Some("0000-01-01") && r[2].is_none()),
        "{rows:?}"
    );
    let rows = emu.rows(db, "zdt").unwrap();
    assert!(
        rows.iter()
            .any(|r| r[0].as_deref() == Some("0000-01-01 12:34:56.000007")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r[0].as_deref() == Some("0000-01-01 00:00:00")
                && r[1].as_deref() == Some("0000-01-01 00:00:00")),
        "{rows:?}"
    );
    let rows = emu.rows(db, "js").unwrap();
    let doc = |id: &str| {
        rows.iter()
            .find(|r| r[0].as_deref() == Some(id))
            .and_then(|r| r[1].clone())
    };
    assert_eq!(doc("5").as_deref(), Some("1.2345678901234568e+29"));
    assert_eq!(doc("3").as_deref(), Some(r#""{\"a\":1}""#));
    assert_eq!(doc("10"), None, "a JSON null document is SQL NULL");
    assert_eq!(doc("16").as_deref(), Some("1"));
    assert_eq!(doc("8").as_deref(), Some("true"));

    // Binlog phase.
    insert_rows(&m, &mut c, db, 100);
    for sql in [
        "UPDATE {db}.zd SET v = 'updated' WHERE d = '0000-00-00' AND n = 1",
        "UPDATE {db}.zd SET d = '0000-00-00', n = 50 WHERE d = '1000-01-01' AND n = 1",
        "UPDATE {db}.zd SET d = '2023-03-03', seen = '0000-00-00' WHERE d = '0000-00-00' AND n = 2",
        "DELETE FROM {db}.zd WHERE d = '0000-00-00' AND n = 101",
        "UPDATE {db}.zdt SET ts = '2001-01-01 00:00:00' WHERE t = '0000-00-00 00:00:00' AND ts = '0000-00-00 00:00:00'",
        "UPDATE {db}.js SET j = '[12345678901234567890123]' WHERE id = 1",
        "UPDATE {db}.js SET j = 'null', jn = 'null' WHERE id = 2",
        "DELETE FROM {db}.js WHERE id = 105",
    ] {
        m.exec(&mut c, &sql.replace("{db}", db));
    }
    assert_eq!(
        run_job(&config, &plan, &cfg, &state, 1).expect("binlog"),
        Outcome::CaughtUp
    );
    compare("after binlog");
    assert_eq!(
        run_job(&config, &plan, &cfg, &state, 1).expect("idle"),
        Outcome::CaughtUp
    );
    compare("after idle restart");
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}

#[test]
fn zero_date_keys_and_json_values_json_bodies() {
    round_trip("it_values_json", "JSON", "");
}

#[test]
fn zero_date_keys_and_json_values_csv_bodies() {
    round_trip(
        "it_values_csv",
        "CSV",
        "\nflink.starrocks.sink.properties.format = csv\n\
         flink.starrocks.sink.properties.column_separator = \\x01\n\
         flink.starrocks.sink.properties.row_delimiter = \\x02",
    );
}

/// A value smt must refuse stops the sync (exit 7) naming the table, the column and the value:
/// in the snapshot, and in the binlog after a clean snapshot. Nothing of the refused row loads.
#[test]
fn refused_values_stop_the_sync_saying_what_they_are() {
    let m = Maria::from_env();
    let db = "it_values_refused";
    let mut c = setup(&m, db);
    m.exec(
        &mut c,
        &format!("INSERT INTO {db}.zd VALUES ('2024-00-15', 1, '2024-01-01', 'partial key')"),
    );
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smt.ini");
    std::fs::write(
        &cfg,
        config_text(
            &m,
            &emu,
            &dir.path().join("result"),
            &[&format!("database = ^{db}$\ntable = .*")],
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let (config, plan) = plan_for(&cfg);
    let e = run_job(&config, &plan, &cfg, &state, 100).expect_err("a partial zero-date key");
    let text = smt::error::display(&e);
    assert_eq!(smt::error::exit_code_of(&e), 7, "{text}");
    for part in [
        &format!("{db}.zd"),
        "`d`",
        "2024-00-15",
        "partial zero date",
    ] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    let refused = e
        .downcast_ref::<smt::sync::decode::RefusedValue>()
        .expect("a RefusedValue");
    assert_eq!(refused.column, "d");

    // Corrected in the source: the snapshot completes; then a refused JSON document and a
    // partial zero date arrive through the binlog.
    m.exec(&mut c, &format!("DELETE FROM {db}.zd"));
    assert_eq!(
        run_job(&config, &plan, &cfg, &state, 100).expect("snapshot"),
        Outcome::CaughtUp
    );
    m.exec(
        &mut c,
        &format!(r#"INSERT INTO {db}.js VALUES (1, '{{"a": "\\x41"}}', '{{}}')"#),
    );
    let e = run_job(&config, &plan, &cfg, &state, 100).expect_err("an escape JSON does not have");
    let text = smt::error::display(&e);
    assert_eq!(smt::error::exit_code_of(&e), 7, "{text}");
    for part in [
        &format!("{db}.js"),
        "`j`",
        r#"\\x41"#,
        "not a JSON document",
    ] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    assert!(emu.rows(db, "js").unwrap_or_default().is_empty());
    m.exec(&mut c, &format!("DELETE FROM {db}.js"));
    // The refused event stays in the binlog: take a fresh snapshot past it.
    let mut args = sync_args(&cfg, &state);
    args.reset = true;
    let mut job = smt::sync::Job::from_config(&config, &plan, &args).unwrap();
    job.reader.heartbeat = Duration::from_millis(200);
    assert_eq!(
        job.run(Options {
            until_caught_up: true,
            progress: false,
            ..Options::default()
        })
        .expect("reset"),
        Outcome::CaughtUp
    );
    m.exec(
        &mut c,
        &format!("INSERT INTO {db}.zdt VALUES ('2024-05-00 10:00:00', '2024-01-01 00:00:00', 'x')"),
    );
    let e = run_job(&config, &plan, &cfg, &state, 100).expect_err("a partial zero-date key");
    let text = smt::error::display(&e);
    assert_eq!(smt::error::exit_code_of(&e), 7, "{text}");
    for part in [&format!("{db}.zdt"), "`t`", "2024-05-00 10:00:00"] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}
