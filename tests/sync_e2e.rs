//! End to end: real MariaDB → `smt sync` engine → in-process StarRocks emulator. Snapshot of an
//! every-type table, a no-PK table and merged shards with colliding keys, then inserts, updates
//! (incl. a primary key change) and deletes through the binlog; the FULL row sets of source and
//! target are compared after each phase (not counts).

mod sync_support;

use smt::sync::engine::{Options, Outcome};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use sync_support::*;

#[allow(non_snake_case)]
fn setup(m: &Maria, (DB, SH): (&str, &str)) {
    let mut c = m.conn_utc();
    for db in [DB, SH] {
        m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
        m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    }
    m.exec(
        &mut c,
        &format!(
            "CREATE TABLE {DB}.t_all (
            id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, i INT UNSIGNED, bi BIGINT,
            bu BIGINT UNSIGNED, b1 TINYINT(1), bit1 BIT(1), bit8 BIT(8), f FLOAT, d DOUBLE,
            dec1 DECIMAL(10,2), dec2 DECIMAL(30,10), c CHAR(5), vc VARCHAR(50), tx TEXT,
            bin BINARY(4), vb VARBINARY(10), bl BLOB, dt DATE, dtm DATETIME, dtm6 DATETIME(6),
            ts TIMESTAMP(3) NULL DEFAULT NULL, tm TIME, tm6 TIME(6), y YEAR,
            e ENUM('a','b','c'), st SET('x','y','z'), js JSON)"
        ),
    );
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.t_nopk (a INT, b VARCHAR(20))"),
    );
    for n in 1..=2 {
        m.exec(
            &mut c,
            &format!("CREATE TABLE {SH}.orders_{n} (id INT PRIMARY KEY, amt DECIMAL(10,2), note VARCHAR(30))"),
        );
    }
}

#[allow(non_snake_case)]
fn insert_all(m: &Maria, c: &mut mysql::Conn, DB: &str, n: usize, tag: &str) {
    for k in 0..n {
        let sql = format!(
            "INSERT INTO {DB}.t_all (ti, si, mi, i, bi, bu, b1, bit1, bit8, f, d, dec1, dec2, c, vc, tx,
             bin, vb, bl, dt, dtm, dtm6, ts, tm, tm6, y, e, st, js) VALUES
             ({ti}, {si}, -{k}, 4294967295, -9223372036854775808, 18446744073709551615, {b1}, b'{bit1}', b'10100101',
              1.5, -2.25e-10, -12345678.{k:02}, 12345678901234567890.0123456789, 'ab{k}',
              'q\"u''o\\\\te\\ttab\\nnl {tag}{k} é€', REPEAT('x', {k}), 0x00ff{k:02}, 0xdeadbeef, 0x0102,
              '2024-02-{day:02}', '2024-02-03 04:05:06', '2024-02-03 04:05:06.{k:06}', '2024-03-01 10:00:00.125',
              '-12:34:56', '838:59:59.{k:06}', 2024, '{e}', '{st}', '{{\"k\": {k}, \"s\": \"{tag}\", \"a\": [1, 2.5, null]}}')",
            ti = (k as i64 % 200) - 100,
            si = 65535 - k,
            b1 = k % 2,
            bit1 = k % 2,
            day = 1 + k % 28,
            e = ["a", "b", "c"][k % 3],
            st = ["", "x", "x,z", "x,y,z"][k % 4],
        );
        m.exec(c, &sql);
    }
    // A row of NULLs.
    m.exec(c, &format!("INSERT INTO {DB}.t_all (id) VALUES (NULL)"));
}

/// The every-type table with JSON bodies (smt's default), the shards with CSV.
#[test]
fn snapshot_then_binlog_full_row_sets() {
    every_type_round_trip(("it_sync_e2e_main", "it_sync_e2e_sh"), "");
}

/// The same with CSV bodies for every table (`\x01`/`\x02`): binary values through the
/// `to_binary` mapping, tabs, newlines and quotes inside values, JSON documents, NULLs.
#[test]
fn snapshot_then_binlog_full_row_sets_csv() {
    every_type_round_trip(
        ("it_sync_e2e_csvall", "it_sync_e2e_csvsh"),
        "\nflink.starrocks.sink.properties.column_separator = \\x01\n\
         flink.starrocks.sink.properties.row_delimiter = \\x02",
    );
}

#[allow(non_snake_case)]
fn every_type_round_trip((DB, SH): (&str, &str), format: &str) {
    let m = Maria::from_env();
    setup(&m, (DB, SH));
    let mut c = m.conn_utc();
    insert_all(&m, &mut c, DB, 25, "s");
    for k in 0..10 {
        m.exec(
            &mut c,
            &format!("INSERT INTO {DB}.t_nopk VALUES ({}, 'dup{}')", k % 3, k % 4),
        );
    }
    m.exec(
        &mut c,
        &format!("INSERT INTO {DB}.t_nopk VALUES (NULL, NULL)"),
    );
    for n in 1..=2 {
        for id in 1..=12 {
            m.exec(
                &mut c,
                &format!(
                    "INSERT INTO {SH}.orders_{n} VALUES ({id}, {id}.{n}5, 'shard {n} row {id}')"
                ),
            );
        }
    }

    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smt.ini");
    let text = config_text(
        &m,
        &emu,
        &dir.path().join("result"),
        &[
            &format!("database = ^{DB}$\ntable = .*{format}"),
            &format!(
                "database = ^{SH}$\ntable = ^orders_\\d+$\ntarget_table = orders\n\
                 flink.starrocks.sink.properties.format = csv\n\
                 flink.starrocks.sink.properties.column_separator = \\x01\n\
                 flink.starrocks.sink.properties.row_delimiter = \\x02"
            ),
        ],
    );
    std::fs::write(&cfg, text).unwrap();
    let state = dir.path().join("state");
    let (config, plan) = plan_for(&cfg);
    let targets: Vec<smt::plan::TablePlan> =
        plan.rules.iter().flat_map(|r| r.tables.clone()).collect();
    assert_eq!(targets.len(), 3, "t_all, t_nopk, merged orders");

    let run = || {
        let mut job =
            smt::sync::Job::from_config(&config, &plan, &sync_args(&cfg, &state)).unwrap();
        job.reader.heartbeat = Duration::from_millis(200);
        job.chunk_rows = 7;
        job.run(Options {
            until_caught_up: true,
            progress: false,
            ..Options::default()
        })
    };
    assert_eq!(run().expect("first sync (snapshot)"), Outcome::CaughtUp);
    let compare = |phase: &str| {
        let mut c = m.conn_utc();
        for tp in &targets {
            assert_same_rows(
                &format!("{phase}: {}.{}", tp.target_database, tp.target_table),
                &source_rows(&mut c, tp),
                &target_rows(&emu, tp),
            );
        }
    };
    compare("after snapshot");
    let st = std::fs::read_to_string(state.join("sync-state.json")).unwrap();
    assert!(st.contains("\"status\": \"done\""), "{st}");
    assert!(
        !st.contains("smt-test"),
        "the checkpoint never holds passwords"
    );

    // Binlog phase: inserts, updates (incl. a PK change), deletes, all tables.
    insert_all(&m, &mut c, DB, 6, "b");
    m.exec(&mut c, &format!("UPDATE {DB}.t_all SET vc = 'updated', js = '{{\"u\": true}}', dec1 = NULL WHERE id % 4 = 1"));
    m.exec(
        &mut c,
        &format!("UPDATE {DB}.t_all SET id = id + 1000 WHERE id = 3"),
    );
    m.exec(
        &mut c,
        &format!("DELETE FROM {DB}.t_all WHERE id IN (5, 6, 7)"),
    );
    m.exec(&mut c, "BEGIN");
    m.exec(
        &mut c,
        &format!("INSERT INTO {DB}.t_nopk VALUES (1, 'dup1'), (7, 'later')"),
    );
    m.exec(
        &mut c,
        &format!("UPDATE {SH}.orders_1 SET id = 100, note = 'moved' WHERE id = 1"),
    );
    m.exec(&mut c, &format!("DELETE FROM {SH}.orders_2 WHERE id = 2"));
    m.exec(
        &mut c,
        &format!("INSERT INTO {SH}.orders_2 VALUES (50, 1.00, 'tab\tin value')"),
    );
    m.exec(&mut c, "COMMIT");
    assert_eq!(run().expect("second sync (binlog)"), Outcome::CaughtUp);
    compare("after binlog");

    // Restart with nothing new: nothing changes, nothing duplicates.
    assert_eq!(run().expect("third sync (idle)"), Outcome::CaughtUp);
    compare("after idle restart");

    let mut c = m.conn_utc();
    for db in [DB, SH] {
        m.exec(&mut c, &format!("DROP DATABASE {db}"));
    }
}

/// CSV rule, a tiny byte budget so one big source transaction is streamed into the open
/// StarRocks transaction in pieces, and a value containing the column separator arriving after
/// CSV pieces were sent: the batch is redone from the checkpoint as JSON; rows exact.
#[test]
fn csv_separator_inside_a_streamed_transaction_falls_back_to_json() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let m = Maria::from_env();
    let db = "it_sync_e2e_csv";
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
    m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(50))"),
    );
    m.exec(&mut c, &format!("INSERT INTO {db}.t VALUES (0, 'zero')"));
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smt.ini");
    let rule = format!(
        "database = ^{db}$\ntable = .*\nflink.starrocks.sink.properties.format = csv\n\
         flink.starrocks.sink.buffer-flush.max-bytes = 300"
    );
    std::fs::write(
        &cfg,
        config_text(&m, &emu, &dir.path().join("result"), &[&rule]),
    )
    .unwrap();
    let state = dir.path().join("state");
    let (config, plan) = plan_for(&cfg);
    let run = || {
        let mut job =
            smt::sync::Job::from_config(&config, &plan, &sync_args(&cfg, &state)).unwrap();
        job.reader.heartbeat = Duration::from_millis(200);
        job.run(Options {
            until_caught_up: true,
            progress: false,
            ..Options::default()
        })
    };
    assert_eq!(run().unwrap(), Outcome::CaughtUp);
    m.exec(&mut c, "BEGIN");
    for i in 1..=40 {
        m.exec(
            &mut c,
            &format!("INSERT INTO {db}.t VALUES ({i}, 'plain value number {i}')"),
        );
    }
    m.exec(
        &mut c,
        &format!("INSERT INTO {db}.t VALUES (41, 'tab\\there'), (42, 'new\\nline')"),
    );
    m.exec(&mut c, "COMMIT");
    assert_eq!(run().unwrap(), Outcome::CaughtUp);
    let tp = &plan.rules[0].tables[0];
    assert_same_rows(
        "csv fallback",
        &source_rows(&mut c, tp),
        &target_rows(&emu, tp),
    );
    assert_eq!(target_rows(&emu, tp).len(), 43);
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}

/// DDL on a replicated table while sync follows the binlog. ADD/DROP of a non-key column is
/// followed (the StarRocks table is altered, the stream continues with the new shape; rows
/// exact); a type change stops with exit 7 after loading everything before it, checkpoint past
/// it; a restart then refuses to guess (the target no longer matches the source schema).
#[test]
fn ddl_mid_stream_add_drop_widen_followed_key_change_stops_reset_recovers() {
    let m = Maria::from_env();
    let db = "it_sync_e2e_ddl";
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
    m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(20), old INT)"),
    );
    m.exec(&mut c, &format!("INSERT INTO {db}.t VALUES (1, 'a', 10)"));
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
    // Like the binary: introspect and plan at start.
    let job = || {
        let (config, plan) = plan_for(&cfg);
        let mut job =
            smt::sync::Job::from_config(&config, &plan, &sync_args(&cfg, &state)).unwrap();
        job.reader.heartbeat = Duration::from_millis(200);
        job
    };
    let opts = |until: bool, stop: &Arc<AtomicBool>| Options {
        until_caught_up: until,
        progress: false,
        stop: stop.clone(),
        ..Options::default()
    };
    let never = Arc::new(AtomicBool::new(false));
    assert_eq!(job().run(opts(true, &never)).unwrap(), Outcome::CaughtUp);

    // Following; the DDL arrives mid-stream.
    let stop = Arc::new(AtomicBool::new(false));
    let j = job();
    let r = std::thread::scope(|s| {
        let h = s.spawn(|| j.run(opts(false, &stop)));
        std::thread::sleep(Duration::from_millis(800));
        m.exec(
            &mut c,
            &format!("INSERT INTO {db}.t VALUES (2, 'b', 20), (3, 'c', 30)"),
        );
        m.exec(
            &mut c,
            &format!("ALTER TABLE {db}.t ADD COLUMN extra INT, DROP COLUMN old"),
        );
        m.exec(&mut c, &format!("INSERT INTO {db}.t VALUES (4, 'd', 40)"));
        m.exec(&mut c, &format!("UPDATE {db}.t SET extra = 7 WHERE id = 1"));
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap()
    });
    assert_eq!(r.expect("ADD/DROP COLUMN is followed"), Outcome::Stopped);
    let mut cols = emu.columns(db, "t").unwrap();
    cols.sort();
    assert_eq!(cols, vec!["extra", "id", "v"]);
    let (_, plan) = plan_for(&cfg);
    let tp = &plan.rules[0].tables[0];
    assert_same_rows(
        "after ADD/DROP COLUMN",
        &source_rows(&mut c, tp),
        &target_rows(&emu, tp),
    );

    // A widening mid-stream is followed (MODIFY on StarRocks), with the rows around it.
    let j = job();
    let stop = Arc::new(AtomicBool::new(false));
    let r = std::thread::scope(|s| {
        let h = s.spawn(|| j.run(opts(false, &stop)));
        std::thread::sleep(Duration::from_millis(800));
        m.exec(&mut c, &format!("INSERT INTO {db}.t VALUES (5, 'e', 50)"));
        m.exec(
            &mut c,
            &format!("ALTER TABLE {db}.t MODIFY COLUMN extra BIGINT"),
        );
        m.exec(
            &mut c,
            &format!("INSERT INTO {db}.t VALUES (6, 'f', 1099511627776)"),
        );
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap()
    });
    assert_eq!(r.expect("a widening is followed"), Outcome::Stopped);
    let ddl = emu.table_ddl(db, "t").unwrap();
    assert!(ddl.contains("`extra` bigint"), "{ddl}");
    let (_, plan) = plan_for(&cfg);
    let tp = &plan.rules[0].tables[0];
    assert_same_rows(
        "after MODIFY to BIGINT",
        &source_rows(&mut c, tp),
        &target_rows(&emu, tp),
    );

    // A key change mid-stream stops before the statement, naming it and the remedy.
    let j = job();
    let stop = Arc::new(AtomicBool::new(false));
    let r = std::thread::scope(|s| {
        let h = s.spawn(|| j.run(opts(false, &stop)));
        std::thread::sleep(Duration::from_millis(800));
        m.exec(&mut c, &format!("INSERT INTO {db}.t VALUES (7, 'g', 70)"));
        m.exec(
            &mut c,
            &format!("ALTER TABLE {db}.t DROP PRIMARY KEY, ADD PRIMARY KEY (id, v)"),
        );
        m.exec(&mut c, &format!("INSERT INTO {db}.t VALUES (8, 'h', 80)"));
        let t0 = std::time::Instant::now();
        while !h.is_finished() && t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap()
    });
    let e = r.expect_err("a key change stops the sync");
    assert_eq!(smt::error::exit_code_of(&e), 7, "{e:#}");
    let msg = format!("{e:#}");
    assert!(
        msg.contains("DROP PRIMARY KEY, ADD PRIMARY KEY (id, v)") && msg.contains("--reset"),
        "{msg}"
    );
    let mut ids: Vec<String> = emu
        .rows(db, "t")
        .unwrap()
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec!["1", "2", "3", "4", "5", "6", "7"],
        "rows before the DDL are loaded, none after"
    );
    let cp = smt::sync::checkpoint::Store::new(&state)
        .load()
        .unwrap()
        .unwrap();
    assert!(cp.pending_commit.is_empty());
    // A restart replays the statement from the checkpoint's schema and stops the same way.
    let e = job()
        .run(opts(true, &never))
        .expect_err("still cannot follow it");
    assert_eq!(smt::error::exit_code_of(&e), 7, "{e:#}");
    assert!(
        format!("{e:#}").contains("ADD PRIMARY KEY (id, v)"),
        "{e:#}"
    );
    // --reset re-creates the table with the new key and takes a fresh snapshot: one command.
    let mut j = job();
    j.reset = true;
    assert_eq!(j.run(opts(true, &never)).unwrap(), Outcome::CaughtUp);
    let ddl = emu.table_ddl(db, "t").unwrap();
    assert!(ddl.contains("PRIMARY KEY(`id`, `v`)"), "{ddl}");
    let (_, plan) = plan_for(&cfg);
    let tp = &plan.rules[0].tables[0];
    assert_same_rows(
        "after --reset",
        &source_rows(&mut c, tp),
        &target_rows(&emu, tp),
    );
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}
