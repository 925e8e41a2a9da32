//! `smt verify` end to end: real MariaDB → `smt sync` → in-process StarRocks emulator, then
//! verify. An every-type table, merged shards and a table without a key compare equal after a
//! sync; a damaged target (a row deleted, a value changed, an extra row, a shard row changed and
//! one removed, an extra row without a key) is found with its keys, repaired, and verifies
//! equal again; verify while a writer and sync run reports no differences.

mod sync_support;

use mysql::prelude::Queryable;
use smt::sync::engine::{Options, Outcome};
use smt::verify::{Report, Status};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_support::*;

#[allow(non_snake_case)]
fn setup(m: &Maria, DB: &str, SH: &str) {
    let mut c = m.conn_utc();
    for db in [DB, SH] {
        m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
        m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    }
    // The every-type table of tests/sync_e2e.rs.
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
    // Keys that order differently on the two sides: text under a case-insensitive collation,
    // a DECIMAL key (text in StarRocks), a composite key.
    m.exec(
        &mut c,
        &format!(
            "CREATE TABLE {DB}.t_text (k VARCHAR(20) COLLATE utf8mb4_general_ci NOT NULL, \
             d DECIMAL(8,2) NOT NULL, v INT, PRIMARY KEY (k, d))"
        ),
    );
    for n in 1..=2 {
        m.exec(
            &mut c,
            &format!(
                "CREATE TABLE {SH}.orders_{n} (id INT PRIMARY KEY, amt DECIMAL(10,2), note VARCHAR(30))"
            ),
        );
    }
    for k in 0..25usize {
        let sql = format!(
            "INSERT INTO {DB}.t_all (ti, si, mi, i, bi, bu, b1, bit1, bit8, f, d, dec1, dec2, c, vc, tx,
             bin, vb, bl, dt, dtm, dtm6, ts, tm, tm6, y, e, st, js) VALUES
             ({ti}, {si}, -{k}, 4294967295, -9223372036854775808, 18446744073709551615, {b1}, b'{bit1}', b'10100101',
              1.5, -2.25e-10, -12345678.{k:02}, 12345678901234567890.0123456789, 'ab{k}',
              'q\"u''o\\\\te\\ttab\\nnl {k} é€', REPEAT('x', {k}), 0x00ff{k:02}, 0xdeadbeef, 0x0102,
              '2024-02-{day:02}', '2024-02-03 04:05:06', '2024-02-03 04:05:06.{k:06}', '2024-03-01 10:00:00.125',
              '-12:34:56', '838:59:59.{k:06}', 2024, '{e}', '{st}', '{{\"k\": {k}, \"s\": \"x\", \"a\": [1, 2.5, null, 1.0e300]}}')",
            ti = (k as i64 % 200) - 100,
            si = 65535 - k,
            b1 = k % 2,
            bit1 = k % 2,
            day = 1 + k % 28,
            e = ["a", "b", "c"][k % 3],
            st = ["", "x", "x,z", "x,y,z"][k % 4],
        );
        m.exec(&mut c, &sql);
    }
    m.exec(
        &mut c,
        &format!("INSERT INTO {DB}.t_all (id) VALUES (NULL)"),
    );
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
    for (k, d) in [
        ("a", "10.00"),
        ("B", "9.00"),
        ("c", "-1.50"),
        ("Ä", "0.00"),
        ("b2", "100.25"),
        ("_", "1.00"),
    ] {
        for extra in ["0", "1"] {
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_text VALUES ('{k}{extra}', {d}, 1)"),
            );
        }
    }
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
}

struct Fixture {
    _dir: tempfile::TempDir,
    cfg: std::path::PathBuf,
    state: std::path::PathBuf,
    config: smt::config::Config,
    plan: smt::plan::Plan,
}

fn fixture(m: &Maria, emu: &starrocks_emulator::Emulator, rules: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("smt.ini");
    std::fs::write(&cfg, config_text(m, emu, &dir.path().join("result"), rules)).unwrap();
    let state = dir.path().join("state");
    let (config, plan) = plan_for(&cfg);
    Fixture {
        _dir: dir,
        cfg,
        state,
        config,
        plan,
    }
}

impl Fixture {
    fn sync_once(&self) {
        let mut job = smt::sync::Job::from_config(
            &self.config,
            &self.plan,
            &sync_args(&self.cfg, &self.state),
        )
        .unwrap();
        job.reader.heartbeat = Duration::from_millis(200);
        job.chunk_rows = 7;
        let o = job
            .run(Options {
                until_caught_up: true,
                progress: false,
                ..Options::default()
            })
            .expect("sync");
        assert_eq!(o, Outcome::CaughtUp);
    }

    fn args(&self, repair: bool) -> smt::cli::VerifyArgs {
        smt::cli::VerifyArgs {
            config: smt::cli::ConfigArgs {
                config: self.cfg.clone(),
                dump: None,
            },
            only: None,
            format: smt::cli::Format::Json,
            repair,
            wait: 30,
            state_dir: Some(self.state.clone()),
            fe: None,
            load_url: None,
            chunk_rows: 4,
            show_keys: 10,
        }
    }

    fn verify(&self, repair: bool) -> Report {
        smt::verify::Verify::from_config(&self.config, &self.plan, &self.args(repair))
            .unwrap()
            .run()
            .expect("verify runs")
    }

    /// The binary: (exit code, JSON report).
    fn verify_binary(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_smt"))
            .args(["verify", "-c"])
            .arg(&self.cfg)
            .arg("--state-dir")
            .arg(&self.state)
            .args(["--format", "json", "--chunk-rows", "5"])
            .args(extra)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "verify printed no JSON ({e}): {text}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), json)
    }
}

fn table<'a>(r: &'a Report, name: &str) -> &'a smt::verify::TableReport {
    r.tables
        .iter()
        .find(|t| t.table.ends_with(name))
        .unwrap_or_else(|| panic!("no {name} in {r:#?}"))
}

fn keys_json(v: &[smt::verify::Key]) -> Vec<String> {
    v.iter().map(|k| k.to_string()).collect()
}

fn fe(emu: &starrocks_emulator::Emulator) -> mysql::Conn {
    let a = emu.fe_query_addr();
    mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some(a.ip().to_string()))
            .tcp_port(a.port())
            .user(Some("root"))
            .prefer_socket(false),
    )
    .unwrap()
}

#[test]
#[allow(non_snake_case)]
fn equal_after_sync_damage_found_repaired_and_equal_again() {
    let (DB, SH) = ("it_verify_main", "it_verify_sh");
    let m = Maria::from_env();
    setup(&m, DB, SH);
    let emu = emulator(None);
    let f = fixture(
        &m,
        &emu,
        &[
            &format!("database = ^{DB}$\ntable = .*"),
            // CSV bodies for the shards: the repair goes through the rule's format too.
            &format!(
                "database = ^{SH}$\ntable = ^orders_\\d+$\ntarget_table = orders\n\
                 flink.starrocks.sink.properties.format = csv\n\
                 flink.starrocks.sink.properties.column_separator = \\x01\n\
                 flink.starrocks.sink.properties.row_delimiter = \\x02"
            ),
        ],
    );
    f.sync_once();

    // Every value type compares equal after a sync; the keyless table by count and checksum.
    let r = f.verify(false);
    for t in ["t_all", "t_text", "orders"] {
        let tr = table(&r, t);
        assert_eq!(tr.status, Status::Equal, "{tr:#?}");
        assert!(tr.compared_rows > 0);
        assert_eq!(tr.source_rows, tr.target_rows);
    }
    let nopk = table(&r, "t_nopk");
    assert_eq!(nopk.status, Status::NotComparable, "{nopk:#?}");
    let ck = nopk.checksum.as_ref().unwrap();
    assert_eq!((ck.source_rows, &ck.source), (11, &ck.target));
    assert!(r.all_equal());
    let (code, json) = f.verify_binary(&[]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["all_equal"], true);

    // Damage the target.
    let mut c = fe(&emu);
    let orders = format!("`{SH}`.`orders`");
    c.query_drop(format!("DELETE FROM `{DB}`.`t_all` WHERE id = 3"))
        .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{DB}`.`t_all` (id, vc) VALUES (9999, 'not in the source')"
    ))
    .unwrap();
    // A value changed: an upsert of row 7 with another DOUBLE (and NULL elsewhere).
    c.query_drop(format!(
        "INSERT INTO `{DB}`.`t_all` (id, d) VALUES (7, 1.25)"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO {orders} (id, _smt_source_db, _smt_source_table, amt, note) \
         VALUES (4, '{SH}', 'orders_2', 4.25, 'changed')"
    ))
    .unwrap();
    c.query_drop(format!(
        "DELETE FROM {orders} WHERE id = 5 AND _smt_source_table = 'orders_1'"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{DB}`.`t_text` (k, d, v) VALUES ('zz', '1.00', 1)"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{DB}`.`t_nopk` (a, b) VALUES (42, 'extra')"
    ))
    .unwrap();

    let r = f.verify(false);
    let all = table(&r, "t_all");
    assert_eq!(all.status, Status::Differs, "{all:#?}");
    assert_eq!(
        (all.missing, all.extra, all.different),
        (1, 1, 1),
        "{all:#?}"
    );
    assert_eq!(keys_json(&all.first_missing), vec!["id=\"3\""]);
    assert_eq!(keys_json(&all.first_extra), vec!["id=\"9999\""]);
    assert_eq!(keys_json(&all.first_different), vec!["id=\"7\""]);
    let o = table(&r, "orders");
    assert_eq!((o.missing, o.extra, o.different), (1, 0, 1), "{o:#?}");
    assert_eq!(
        keys_json(&o.first_missing),
        vec![format!(
            "id=\"5\", _smt_source_db=\"{SH}\", _smt_source_table=\"orders_1\""
        )]
    );
    assert_eq!(
        keys_json(&o.first_different),
        vec![format!(
            "id=\"4\", _smt_source_db=\"{SH}\", _smt_source_table=\"orders_2\""
        )]
    );
    let tt = table(&r, "t_text");
    assert_eq!((tt.missing, tt.extra, tt.different), (0, 1, 0), "{tt:#?}");
    let nopk = table(&r, "t_nopk");
    assert_eq!(nopk.status, Status::Differs);
    let ck = nopk.checksum.as_ref().unwrap();
    assert_eq!((ck.source_rows, ck.target_rows), (11, 12));
    assert_ne!(ck.source, ck.target);
    let (code, json) = f.verify_binary(&[]);
    assert_eq!(code, 6, "{json:#}");
    assert_eq!(json["all_equal"], false);
    let t_all = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == format!("{DB}.t_all"))
        .unwrap();
    assert_eq!(t_all["first_missing"][0]["id"], "3", "{t_all:#}");
    // The text report names the keys too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["verify", "-c"])
        .arg(&f.cfg)
        .arg("--state-dir")
        .arg(&f.state)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(6), "{text}");
    assert!(
        text.contains(&format!(
            "! {DB}.t_all: differs — 1 missing, 1 extra, 1 different"
        )),
        "{text}"
    );
    assert!(text.contains("    missing: id=\"3\""), "{text}");
    assert!(
        text.contains(&format!("= {DB}.t_text")) || text.contains(&format!("! {DB}.t_text")),
        "{text}"
    );
    assert!(text.contains("not equal"), "{text}");
    eprintln!("{text}");

    // Repair: PRIMARY KEY tables repaired and checked again; the keyless table cannot be.
    let r = f.verify(true);
    for t in ["t_all", "orders", "t_text"] {
        let rep = table(&r, t)
            .repair
            .as_ref()
            .unwrap_or_else(|| panic!("{t} not repaired"));
        assert_eq!(rep.status, "repaired", "{t}: {rep:#?}");
        assert_eq!(rep.remaining, 0);
        assert!(
            rep.labels.iter().all(|l| l.starts_with("smtrepair_")),
            "{rep:#?}"
        );
        assert!(table(&r, t).ok());
    }
    assert_eq!(table(&r, "t_all").repair.as_ref().unwrap().deleted, 1);
    assert_eq!(table(&r, "t_all").repair.as_ref().unwrap().upserted, 2);
    let nr = table(&r, "t_nopk").repair.as_ref().unwrap();
    assert_eq!(nr.status, "not_possible", "{nr:#?}");
    assert!(!r.all_equal());
    // The keyless row removed by hand (StarRocks' DELETE rules for DUPLICATE tables), then a
    // second verify: everything equal, exit 0; and sync still runs on top.
    c.query_drop(format!(
        "DELETE FROM `{DB}`.`t_nopk` WHERE a = 42 AND b = 'extra'"
    ))
    .unwrap();
    let (code, json) = f.verify_binary(&[]);
    assert_eq!(code, 0, "{json:#}");
    f.sync_once();
    let (code, json) = f.verify_binary(&["--only", "orders$"]);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["tables"].as_array().unwrap().len(), 1);
}

#[test]
#[allow(non_snake_case)]
fn behind_when_sync_runs_late_and_said_when_it_is_stopped() {
    let DB = "it_verify_behind";
    let m = Maria::from_env();
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {DB}"));
    m.exec(&mut c, &format!("CREATE DATABASE {DB}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.t (id INT PRIMARY KEY, v INT)"),
    );
    m.exec(&mut c, &format!("INSERT INTO {DB}.t VALUES (1, 1), (2, 2)"));
    let emu = emulator(None);
    let f = fixture(&m, &emu, &[&format!("database = ^{DB}$\ntable = .*")]);
    f.sync_once();
    assert!(f.verify(false).all_equal());
    // A change sync has not loaded, sync stopped: the difference, and how far behind it is.
    m.exec(&mut c, &format!("UPDATE {DB}.t SET v = 5 WHERE id = 2"));
    let r = f.verify(false);
    let t = table(&r, ".t");
    assert_eq!(t.status, Status::Differs, "{t:#?}");
    assert_eq!(t.different, 1);
    let b = t.behind.as_ref().expect("the distance is reported");
    assert!(
        b.bytes.is_some_and(|n| n > 0) || b.files.is_some(),
        "{b:#?}"
    );
    assert!(
        t.note.as_deref().unwrap_or("").contains("not running"),
        "{t:#?}"
    );
    // "Sync runs" (a live pid holds its lock) but its checkpoint stays behind: after --wait,
    // the table is reported behind, not compared, and the exit code is 6.
    std::fs::write(
        f.state.join("sync.lock"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let mut args = f.args(false);
    args.wait = 1;
    let started = Instant::now();
    let r = smt::verify::Verify::from_config(&f.config, &f.plan, &args)
        .unwrap()
        .run()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    let t = table(&r, ".t");
    assert_eq!(t.status, Status::Behind, "{t:#?}");
    assert_eq!((t.compared_rows, t.different), (0, 0), "not compared");
    assert!(t.behind.as_ref().unwrap().bytes.is_some_and(|n| n > 0));
    assert!(!r.all_equal());
    // --repair refuses while sync runs.
    args.repair = true;
    std::fs::remove_file(f.state.join("sync.lock")).unwrap();
    let r = f.verify(true);
    assert_eq!(table(&r, ".t").repair.as_ref().unwrap().status, "repaired");
    f.sync_once();
    assert!(f.verify(false).all_equal());
}

#[test]
#[allow(non_snake_case)]
fn no_false_differences_while_a_writer_and_sync_run() {
    let DB = "it_verify_live";
    let m = Maria::from_env();
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {DB}"));
    m.exec(&mut c, &format!("CREATE DATABASE {DB}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.w (id INT PRIMARY KEY, v INT, s VARCHAR(40), ts DATETIME(3))"),
    );
    let mut vals = Vec::new();
    for id in 0..3000 {
        vals.push(format!("({id}, {id}, 'row {id}', NOW(3))"));
    }
    m.exec(
        &mut c,
        &format!("INSERT INTO {DB}.w VALUES {}", vals.join(",")),
    );
    let emu = emulator(None);
    let f = fixture(&m, &emu, &[&format!("database = ^{DB}$\ntable = .*")]);
    f.sync_once();

    let stop = Arc::new(AtomicBool::new(false));
    // The sync job, following the binlog in a thread.
    let sync = {
        let (config, plan) = (f.config.clone(), f.plan.clone());
        let args = sync_args(&f.cfg, &f.state);
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut job = smt::sync::Job::from_config(&config, &plan, &args).unwrap();
            job.reader.heartbeat = Duration::from_millis(100);
            job.run(Options {
                until_caught_up: false,
                progress: false,
                stop,
                ..Options::default()
            })
        })
    };
    // A writer: updates, inserts and deletes, single-row transactions.
    let writer = {
        let stop = stop.clone();
        let m = Maria::from_env();
        std::thread::spawn(move || {
            let mut c = m.conn_utc();
            let mut n: u64 = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let id = (n * 7919) % 3000;
                let sql = match n % 10 {
                    0 => format!("DELETE FROM {DB}.w WHERE id = {}", 3000 + n % 500),
                    1..=3 => format!(
                        "REPLACE INTO {DB}.w VALUES ({}, {n}, 'new {n}', NOW(3))",
                        3000 + n % 500
                    ),
                    _ => format!(
                        "UPDATE {DB}.w SET v = {n}, s = 'upd {n}', ts = NOW(3) WHERE id = {id}"
                    ),
                };
                c.query_drop(sql).unwrap();
                std::thread::sleep(Duration::from_millis(3));
            }
            n
        })
    };
    // Let the writer and sync get going, then verify twice while they run.
    std::thread::sleep(Duration::from_secs(2));
    for round in 0..2 {
        let started = Instant::now();
        let r = f.verify(false);
        let t = table(&r, ".w");
        assert!(r.sync_running, "verify saw sync running");
        assert_eq!(t.status, Status::Equal, "round {round}: {t:#?}");
        assert_eq!((t.missing, t.extra, t.different, t.unsettled), (0, 0, 0, 0));
        assert!(t.compared_rows >= 3000);
        eprintln!(
            "verify round {round}: {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().unwrap();
    assert!(writes > 100, "the writer wrote {writes} transactions");
    assert_eq!(sync.join().unwrap().expect("sync"), Outcome::Stopped);
    // Stopped and caught up: equal.
    f.sync_once();
    assert!(f.verify(false).all_equal());
    let _ = m.conn().query_drop(format!("DROP DATABASE {DB}"));
}
