//! `smt sync` through the operations that happen around a replication job, with the binary
//! users run (scripts/test.sh runs this file with the release build): starting it from another
//! directory, losing the state, `--reset`, a replaced binlog history (RESET MASTER), DDL while
//! it is stopped and while it runs, tables dropped and created again, a failover to a GTID
//! replica, and endpoints that accept a connection and never answer. Every scenario ends with
//! the full row sets compared (source rendered by SQL independently of smt vs the emulator's
//! rows).

mod sync_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use sync_support::mariadb::OwnMaria;
use sync_support::*;

/// Run the smt binary in `cwd` until it exits (at most `limit`); (exit code, stderr).
fn smt_in(cwd: &Path, args: &[&str], limit: Duration) -> (i32, String) {
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_smt"))
        .current_dir(cwd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(err.reopen().unwrap())
        .spawn()
        .expect("spawn smt");
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "smt {args:?} still running after {limit:?}; stderr:\n{}",
                std::fs::read_to_string(err.path()).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status.code().unwrap_or(-1),
        std::fs::read_to_string(err.path()).unwrap_or_default(),
    )
}

const MINUTE: Duration = Duration::from_secs(60);

/// `smt sync -c cfg --until-caught-up` in `cwd` (at most a minute): (exit code, stderr).
fn catch_up(cwd: &Path, cfg: &str) -> (i32, String) {
    smt_in(cwd, &["sync", "-c", cfg, "--until-caught-up"], MINUTE)
}

/// A config for `m` → `emu` capturing database `db`, with `output_dir` as written.
fn write_config(
    path: &Path,
    m: &Maria,
    emu: &starrocks_emulator::Emulator,
    output_dir: &str,
    db: &str,
) {
    let text = config_text(
        m,
        emu,
        Path::new(output_dir),
        &[&format!("database = ^{db}$\ntable = .*")],
    );
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every planned table of `cfg`: source rows == target rows.
fn assert_synced(what: &str, cfg: &Path, m: &Maria, emu: &starrocks_emulator::Emulator) {
    let (_, plan) = plan_for(cfg);
    let mut c = m.conn_utc();
    let mut n = 0;
    for tp in plan.tables() {
        assert_same_rows(
            &format!("{what}: {}", tp.target_name()),
            &source_rows(&mut c, tp),
            &target_rows(emu, tp),
        );
        n += 1;
    }
    assert!(n > 0, "{what}: no table planned");
}

fn setup_db(m: &Maria, db: &str) {
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
    m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {db}.t_pk (id INT PRIMARY KEY, v VARCHAR(20))"),
    );
    // No key: a DUPLICATE KEY target, where a second snapshot would double rows.
    m.exec(
        &mut c,
        &format!("CREATE TABLE {db}.t_dup (a INT, b VARCHAR(20))"),
    );
    insert_rows(m, db, 0, 5);
}

fn insert_rows(m: &Maria, db: &str, from: i32, n: i32) {
    let mut c = m.conn_utc();
    for i in from..from + n {
        m.exec(
            &mut c,
            &format!("INSERT INTO {db}.t_pk VALUES ({i}, 'v{i}')"),
        );
        m.exec(
            &mut c,
            &format!("INSERT INTO {db}.t_dup VALUES ({i}, 'd{i}')"),
        );
    }
}

/// `smt sync -c cfg` running (logging to `log`): after 1.5 s the statements run on `m`, then it
/// follows for `settle`, gets SIGTERM and must exit 0. Its log.
fn follow_while(
    cfg: &str,
    log: &Path,
    m: &Maria,
    statements: &[String],
    settle: Duration,
) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["sync", "-c", cfg])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let mut c = m.conn_utc();
    for sql in statements {
        m.exec(&mut c, sql);
    }
    std::thread::sleep(settle);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{text}");
    text
}

#[test]
fn the_job_is_the_config_not_the_shell_directory() {
    let m = Maria::from_env();
    let db = format!("it_ops_wd_{}", std::process::id());
    setup_db(&m, &db);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("conf").join("job.ini");
    // A relative output_dir, as SMT configs have it.
    write_config(&cfg, &m, &emu, "./result", &db);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();

    let (code, err) = catch_up(&a, "../conf/job.ini");
    assert_eq!(code, 0, "{err}");
    let state = dir.path().join("conf").join("result").join("sync-state");
    assert!(
        state.join("sync-state.json").exists(),
        "the state lives beside the config: {err}"
    );
    insert_rows(&m, &db, 5, 3);
    // Another directory, another spelling of the config path: the same job, no second snapshot.
    let abs = cfg.canonicalize().unwrap();
    let (code, err) = catch_up(&b, abs.to_str().unwrap());
    assert_eq!(code, 0, "{err}");
    assert_synced("from another directory", &cfg, &m, &emu);
    assert!(!a.join("result").exists() && !b.join("result").exists());

    // The state is lost: the targets hold rows the (new) checkpoint cannot account for.
    std::fs::remove_dir_all(&state).unwrap();
    insert_rows(&m, &db, 8, 1);
    let (code, err) = catch_up(&b, abs.to_str().unwrap());
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains(&format!("{db}.t_dup")) && err.contains(&format!("{db}.t_pk")),
        "names the tables: {err}"
    );
    assert!(
        err.contains("--reset") && err.contains("--state-dir"),
        "{err}"
    );

    // One command starts over, the first time.
    let args = [
        "sync",
        "-c",
        abs.to_str().unwrap(),
        "--until-caught-up",
        "--reset",
    ];
    let (code, err) = smt_in(&b, &args, MINUTE);
    assert_eq!(code, 0, "{err}");
    assert_synced("after --reset", &cfg, &m, &emu);
    // And a reset of a healthy job works too (new namespace, fresh snapshot).
    insert_rows(&m, &db, 9, 2);
    let (code, err) = smt_in(&b, &args, MINUTE);
    assert_eq!(code, 0, "{err}");
    assert_synced("after a second --reset", &cfg, &m, &emu);
    m.exec(&mut m.conn(), &format!("DROP DATABASE {db}"));
}

#[test]
fn a_replaced_binlog_history_is_a_stop_and_reset_recovers() {
    let own = OwnMaria::start();
    let db = "it_ops_reset_master";
    setup_db(&own, db);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("job.ini");
    write_config(&cfg, &own, &emu, "result", db);
    let cfg_s = cfg.to_str().unwrap();
    let (code, err) = catch_up(dir.path(), cfg_s);
    assert_eq!(code, 0, "{err}");
    insert_rows(&own, db, 5, 4);
    let (code, err) = catch_up(dir.path(), cfg_s);
    assert_eq!(code, 0, "{err}");
    let cp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("result/sync-state/sync-state.json")).unwrap(),
    )
    .unwrap();
    let at = cp["binlog"]["pos"].as_u64().unwrap();

    // A new history under the same file names, written past the checkpoint's offset with the
    // same statements (a second later: another file creation time).
    std::thread::sleep(Duration::from_millis(1100));
    own.exec(&mut own.conn(), "RESET MASTER");
    let mut i = 100;
    loop {
        insert_rows(&own, db, i, 1);
        i += 1;
        let pos: u64 = {
            use mysql::prelude::Queryable;
            let row: Option<mysql::Row> = own.conn().query_first("SHOW MASTER STATUS").unwrap();
            row.and_then(|r| r.get(1)).unwrap_or(0)
        };
        if pos > at + 2000 {
            break;
        }
    }
    let (code, err) = catch_up(dir.path(), cfg_s);
    assert_eq!(code, 7, "a replaced history must stop: {err}");
    assert!(
        err.contains("no longer the history") && err.contains("--reset"),
        "{err}"
    );
    let (code, err) = smt_in(
        dir.path(),
        &["sync", "-c", cfg_s, "--until-caught-up", "--reset"],
        MINUTE,
    );
    assert_eq!(code, 0, "{err}");
    assert_synced("after RESET MASTER and --reset", &cfg, &own, &emu);
}

#[test]
fn ddl_while_stopped_and_while_running_is_followed() {
    let m = Maria::from_env();
    let db = format!("it_ops_ddl_{}", std::process::id());
    setup_db(&m, &db);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("job.ini");
    write_config(&cfg, &m, &emu, "result", &db);
    let cfg_s = cfg.to_str().unwrap().to_string();
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "{err}");

    // Stopped: ADD COLUMN with a default (existing rows get it), rows in every shape, then a
    // DROP + MODIFY burst and more rows, an index, a column moved to the front of the values.
    let mut c = m.conn_utc();
    for sql in [
        format!("ALTER TABLE {db}.t_pk ADD COLUMN c INT NOT NULL DEFAULT 5"),
        format!("INSERT INTO {db}.t_pk VALUES (50, 'x50', 50)"),
        format!("UPDATE {db}.t_pk SET c = 6 WHERE id = 1"),
        format!("ALTER TABLE {db}.t_dup ADD COLUMN c DATE"),
        format!("INSERT INTO {db}.t_dup VALUES (50, 'd50', '2024-02-29')"),
        format!("ALTER TABLE {db}.t_pk DROP COLUMN v"),
        format!("ALTER TABLE {db}.t_pk MODIFY COLUMN c BIGINT"),
        format!("INSERT INTO {db}.t_pk VALUES (51, 1099511627776)"),
        format!("CREATE INDEX ix_c ON {db}.t_pk (c)"),
        format!("ALTER TABLE {db}.t_pk ADD COLUMN w VARCHAR(30) DEFAULT 'dflt' AFTER id"),
        format!("INSERT INTO {db}.t_pk (id, w, c) VALUES (52, 'w52', 52)"),
        format!("DELETE FROM {db}.t_pk WHERE id = 2"),
    ] {
        m.exec(&mut c, &sql);
    }
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "DDL while stopped is replayed: {err}");
    assert_synced("after DDL while stopped", &cfg, &m, &emu);

    // Running: a burst of DROP + MODIFY + ADD between rows, while smt follows.
    follow_while(
        &cfg_s,
        &dir.path().join("running.log"),
        &m,
        &[
            format!("INSERT INTO {db}.t_pk (id, w, c) VALUES (60, 'w60', 60)"),
            format!("ALTER TABLE {db}.t_pk DROP COLUMN w"),
            format!("ALTER TABLE {db}.t_pk MODIFY COLUMN c BIGINT UNSIGNED NOT NULL DEFAULT 0"),
            format!("INSERT INTO {db}.t_pk VALUES (61, 18446744073709551615)"),
            format!(
                "ALTER TABLE {db}.t_pk ADD COLUMN z DECIMAL(10,2) DEFAULT 1.50, ADD COLUMN y TEXT"
            ),
            format!("INSERT INTO {db}.t_pk VALUES (62, 62, 2.25, 'yy')"),
            format!("TRUNCATE TABLE {db}.t_dup"),
            format!("INSERT INTO {db}.t_dup VALUES (70, 'after truncate', NULL)"),
        ],
        Duration::from_secs(3),
    );
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "{err}");
    assert_synced("after DDL while running", &cfg, &m, &emu);
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}

#[test]
fn failover_to_a_gtid_replica_continues_without_loss_or_doubles() {
    let primary = OwnMaria::start_primary("fo-primary");
    let replica = OwnMaria::start_replica_of(&primary, "fo-replica");
    let db = "it_ops_failover";
    setup_db(&primary, db);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("job.ini");
    write_config(&cfg, &primary, &emu, "result", db);
    let cfg_s = cfg.to_str().unwrap().to_string();

    // A writer on the primary while smt follows it.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w = {
        let stop = stop.clone();
        let p = (*primary).clone();
        std::thread::spawn(move || {
            let mut c = p.conn_utc();
            let mut i = 1000;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                p.exec(
                    &mut c,
                    &format!("INSERT INTO {db}.t_pk VALUES ({i}, 'w{i}')"),
                );
                p.exec(
                    &mut c,
                    &format!("INSERT INTO {db}.t_dup VALUES ({i}, 'w{i}')"),
                );
                p.exec(
                    &mut c,
                    &format!("UPDATE {db}.t_pk SET v = 'u{i}' WHERE id = {}", i - 7),
                );
                i += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["sync", "-c", &cfg_s])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    child.kill().unwrap(); // the job dies with the primary's host
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    w.join().unwrap();
    replica.wait_caught_up(&primary);
    primary.stop();

    // Promote: point [db] at the replica; writes go on there.
    write_config(&cfg, &replica, &emu, "result", db);
    let mut c = replica.conn_utc();
    replica.exec(&mut c, "STOP SLAVE");
    replica.exec(
        &mut c,
        &format!("INSERT INTO {db}.t_pk VALUES (900000, 'on the replica')"),
    );
    replica.exec(&mut c, &format!("DELETE FROM {db}.t_pk WHERE id = 1"));
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("failover"), "{err}");
    assert_synced("after failover", &cfg, &replica, &emu);
    // And it keeps following the new primary by position from here.
    insert_rows(&replica, db, 500, 3);
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "{err}");
    assert_synced("after failover, next run", &cfg, &replica, &emu);
}

/// Accepts connections and never sends a byte.
fn silent_listener() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let h = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().take(16).flatten() {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(120));
    });
    (addr, h)
}

#[test]
fn an_endpoint_that_accepts_and_never_answers_times_out_clearly() {
    let m = Maria::from_env();
    let db = format!("it_ops_silent_{}", std::process::id());
    setup_db(&m, &db);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let base = config_text(
        &m,
        &emu,
        Path::new("result"),
        &[&format!("database = ^{db}$\ntable = .*")],
    );
    let (silent, _h) = silent_listener();
    let cases: Vec<(&str, String)> = vec![
        (
            "source",
            base.replace(
                &format!("port = {}", m.port),
                &format!("port = {}", silent.port()),
            ),
        ),
        (
            "FE",
            base.replace(&emu.fe_query_addr().to_string(), &silent.to_string()),
        ),
        (
            "Stream Load",
            base.replace(&emu.fe_http_addr().to_string(), &silent.to_string()),
        ),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(what, text)| {
            // Each its own directory: its own state (and state lock).
            let sub = dir.path().join(what.replace(' ', "_"));
            std::fs::create_dir_all(&sub).unwrap();
            let path: PathBuf = sub.join("job.ini");
            std::fs::write(&path, text).unwrap();
            let cwd = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let t0 = Instant::now();
                let (code, err) = smt_in(
                    &cwd,
                    &["sync", "-c", path.to_str().unwrap(), "--until-caught-up"],
                    Duration::from_secs(90),
                );
                (what, code, err, t0.elapsed())
            })
        })
        .collect();
    for h in handles {
        let (what, code, err, took) = h.join().unwrap();
        assert_ne!(code, 0, "{what}: {err}");
        assert!(err.contains("timed out"), "{what}: {err}");
        assert!(
            took < Duration::from_secs(60),
            "{what} took {took:?}: {err}"
        );
    }
    m.exec(&mut m.conn(), &format!("DROP DATABASE {db}"));
}

/// Tables created on the source that the rules match — a table of its own, and a new shard of
/// a merged `_auto_shard` target — while smt is stopped (the next start takes them in) and
/// while it runs (it plans again at the CREATE TABLE and takes them in): every row once. A shard
/// dropped from the source keeps its rows in the merged target; the other shards go on.
#[test]
fn tables_created_on_the_source_join_the_job() {
    let m = Maria::from_env();
    let db = format!("it_ops_new_{}", std::process::id());
    setup_db(&m, &db);
    let mut c = m.conn_utc();
    for sql in [
        format!("CREATE TABLE {db}.s_1 (id INT PRIMARY KEY, v VARCHAR(20))"),
        format!("CREATE TABLE {db}.s_2 LIKE {db}.s_1"),
        format!("INSERT INTO {db}.s_1 VALUES (1, 'a'), (2, 'b')"),
        format!("INSERT INTO {db}.s_2 VALUES (3, 'c')"),
    ] {
        m.exec(&mut c, &sql);
    }
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("job.ini");
    let text = config_text(
        &m,
        &emu,
        Path::new("result"),
        &[
            &format!("database = ^{db}$\ntable = ^t_"),
            &format!("database = ^{db}$\ntable = ^s_[0-9]+$"),
        ],
    );
    std::fs::write(&cfg, text).unwrap();
    let cfg_s = cfg.to_str().unwrap().to_string();
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "{err}");
    assert_synced("first run", &cfg, &m, &emu);

    // Stopped: a new table, a new shard (with rows), rows in the old ones.
    for sql in [
        format!("CREATE TABLE {db}.t_new (id INT PRIMARY KEY, v VARCHAR(20))"),
        format!("INSERT INTO {db}.t_new VALUES (1, 'n1'), (2, 'n2')"),
        format!("CREATE TABLE {db}.s_3 LIKE {db}.s_1"),
        format!("INSERT INTO {db}.s_3 VALUES (4, 'd'), (5, 'e')"),
        format!("INSERT INTO {db}.s_1 VALUES (6, 'f')"),
        format!("INSERT INTO {db}.t_dup VALUES (90, 'd90')"),
    ] {
        m.exec(&mut c, &sql);
    }
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "tables created while stopped: {err}");
    assert_synced("after tables created while stopped", &cfg, &m, &emu);

    // Running: the same kinds of change while smt follows; then a restart picks them up.
    let running_log = follow_while(
        &cfg_s,
        &dir.path().join("running.log"),
        &m,
        &[
            format!("CREATE TABLE {db}.t_new2 (id INT PRIMARY KEY, v VARCHAR(20))"),
            format!("INSERT INTO {db}.t_new2 VALUES (1, 'm1')"),
            format!("CREATE TABLE {db}.s_4 LIKE {db}.s_1"),
            format!("INSERT INTO {db}.s_4 VALUES (7, 'g')"),
            format!("INSERT INTO {db}.s_2 VALUES (8, 'h')"),
            format!("INSERT INTO {db}.t_pk VALUES (91, 'v91')"),
        ],
        Duration::from_secs(6),
    );
    // The running process planned again and took them in, without a restart.
    assert!(
        running_log.contains("planning again"),
        "the running sync did not notice the new tables:\n{running_log}"
    );
    assert_synced("tables created while running (no restart)", &cfg, &m, &emu);
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(
        code, 0,
        "tables created while running: {running_log}\n{err}"
    );
    assert_synced("after tables created while running", &cfg, &m, &emu);

    // A shard dropped while stopped: its rows stay in the merged target, the others go on.
    let merged = format!("{db}.s__auto_shard");
    let shard_rows = |emu: &starrocks_emulator::Emulator| {
        let (_, plan) = plan_for(&cfg);
        let tp = plan
            .tables()
            .find(|t| t.target_name() == merged)
            .expect("the merged target is planned")
            .clone();
        target_rows(emu, &tp)
    };
    let before = shard_rows(&emu);
    let from_s2 = before
        .iter()
        .filter(|r| r.iter().any(|v| v.as_deref() == Some("s_2")))
        .count();
    assert_eq!(from_s2, 2, "{before:?}");
    for sql in [
        format!("DROP TABLE {db}.s_2"),
        format!("INSERT INTO {db}.s_1 VALUES (9, 'i')"),
    ] {
        m.exec(&mut c, &sql);
    }
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "a dropped shard: {err}");
    let after = shard_rows(&emu);
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert!(
        after
            .iter()
            .any(|r| r.iter().any(|v| v.as_deref() == Some("i"))),
        "{after:?}"
    );
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}

#[test]
fn tables_dropped_created_again_or_swapped_by_rename_are_followed_stopped_or_running() {
    let m = Maria::from_env();
    let db = format!("it_ops_recreate_{}", std::process::id());
    setup_db(&m, &db);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("job.ini");
    write_config(&cfg, &m, &emu, "./result", &db);
    let cfg_s = cfg.to_str().unwrap().to_string();
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "first run: {err}");
    let mut c = m.conn_utc();

    // While stopped: both tables dropped and created again (same shape), with new rows; rows
    // written to the old tables before the DROP are gone from the source, so from the target.
    for sql in [
        format!("INSERT INTO {db}.t_pk VALUES (50, 'before the drop')"),
        format!("DROP TABLE {db}.t_pk"),
        format!("CREATE TABLE {db}.t_pk (id INT PRIMARY KEY, v VARCHAR(20))"),
        format!("INSERT INTO {db}.t_pk VALUES (100, 'new'), (101, 'new')"),
        format!("DROP TABLE {db}.t_dup"),
        format!("CREATE TABLE {db}.t_dup (a INT, b VARCHAR(20))"),
        format!("INSERT INTO {db}.t_dup VALUES (1, 'x'), (1, 'x')"),
    ] {
        m.exec(&mut c, &sql);
    }
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "re-created while stopped: {err}");
    assert_synced("re-created while stopped", &cfg, &m, &emu);

    // While running: dropped, created again with another column, written to.
    let log = dir.path().join("running.log");
    follow_while(
        &cfg_s,
        &log,
        &m,
        &[
            format!("DROP TABLE {db}.t_pk"),
            format!("CREATE TABLE {db}.t_pk (id INT PRIMARY KEY, v VARCHAR(20), extra INT)"),
            format!("INSERT INTO {db}.t_pk VALUES (200, 'running', 3)"),
            format!("CREATE OR REPLACE TABLE {db}.t_dup (a INT, b VARCHAR(20))"),
            format!("INSERT INTO {db}.t_dup VALUES (7, 'replaced')"),
        ],
        Duration::from_secs(4),
    );
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "after re-creation while running: {err}");
    assert_synced("re-created while running", &cfg, &m, &emu);

    // An online schema change the way gh-ost / pt-online-schema-change finish one, while
    // running: a shadow table with the new shape, filled, swapped in by one RENAME, the old
    // table dropped.
    let log = dir.path().join("swap.log");
    follow_while(
        &cfg_s,
        &log,
        &m,
        &[
            format!("CREATE TABLE {db}._t_pk_gho LIKE {db}.t_pk"),
            format!("ALTER TABLE {db}._t_pk_gho ADD COLUMN note VARCHAR(10) DEFAULT 'gho'"),
            format!("INSERT INTO {db}._t_pk_gho (id, v, extra) SELECT id, v, extra FROM {db}.t_pk"),
            format!("INSERT INTO {db}.t_pk VALUES (300, 'late', 1)"),
            format!("INSERT INTO {db}._t_pk_gho VALUES (300, 'late', 1, 'copied')"),
            format!("RENAME TABLE {db}.t_pk TO {db}._t_pk_del, {db}._t_pk_gho TO {db}.t_pk"),
            format!("INSERT INTO {db}.t_pk VALUES (301, 'after', 2, 'new')"),
            format!("DROP TABLE {db}._t_pk_del"),
        ],
        Duration::from_secs(4),
    );
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(code, 0, "after an online schema change: {err}");
    assert_synced("after an online schema change", &cfg, &m, &emu);

    // The same swap while smt is stopped (the shadow table never seen by it).
    for sql in [
        format!("CREATE TABLE {db}._t_pk_gho LIKE {db}.t_pk"),
        format!("ALTER TABLE {db}._t_pk_gho DROP COLUMN extra"),
        format!("INSERT INTO {db}._t_pk_gho (id, v, note) SELECT id, v, note FROM {db}.t_pk"),
        format!("RENAME TABLE {db}.t_pk TO {db}._t_pk_del, {db}._t_pk_gho TO {db}.t_pk"),
        format!("INSERT INTO {db}.t_pk VALUES (400, 'stopped', 'x')"),
        format!("DROP TABLE {db}._t_pk_del"),
    ] {
        m.exec(&mut c, &sql);
    }
    let (code, err) = catch_up(dir.path(), &cfg_s);
    assert_eq!(
        code, 0,
        "after an online schema change while stopped: {err}"
    );
    assert_synced(
        "after an online schema change while stopped",
        &cfg,
        &m,
        &emu,
    );
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}

/// A long snapshot does not hold fresh changes back: between snapshot rounds
/// (`sync_snapshot_catch_up_secs`) the binlog written meanwhile is applied, so a change to a row
/// already read shows in the target while the snapshot of its table still goes on, and so does a
/// column added meanwhile; a row not read yet that changes arrives changed; at the end source ==
/// target.
/// A config for `m` → `emu` capturing database `db` whose snapshot goes one 100-row chunk per
/// round, with one reader (rounds as short as can be): `dir`/job.ini.
fn one_chunk_rounds_config(
    m: &Maria,
    emu: &starrocks_emulator::Emulator,
    dir: &Path,
    db: &str,
) -> PathBuf {
    let cfg = dir.join("job.ini");
    let text = config_text(
        m,
        emu,
        &dir.join("result"),
        &[&format!(
            "database = ^{db}$\ntable = .*\nflink.starrocks.sink.buffer-flush.max-rows = 100"
        )],
    )
    .replacen(
        "[other]\n",
        "[other]\nsync_snapshot_catch_up_secs = 0.001\nsync_snapshot_parallelism = 1\n",
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// The chunks of `key` the checkpoint in `state` has committed (None: no snapshot in progress).
fn committed_chunks(state: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(state.join("sync-state.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["tables"][key]["progress"]["chunks"].as_u64()
}

#[test]
fn changes_reach_the_target_while_a_long_snapshot_goes_on() {
    let m = Maria::from_env();
    let db = format!("it_ops_rounds_{}", std::process::id());
    {
        let mut c = m.conn_utc();
        m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
        m.exec(&mut c, &format!("CREATE DATABASE {db}"));
        m.exec(
            &mut c,
            &format!("CREATE TABLE {db}.t_pk (id INT PRIMARY KEY, v VARCHAR(20))"),
        );
        for b in 0..3 {
            let v: Vec<String> = (b * 1000..(b + 1) * 1000)
                .map(|i| format!("({i}, 'v{i}')"))
                .collect();
            m.exec(
                &mut c,
                &format!("INSERT INTO {db}.t_pk VALUES {}", v.join(",")),
            );
        }
    }
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    // 30 chunks of 100 rows, one reader, a round as short as can be: one chunk per round.
    let cfg = one_chunk_rounds_config(&m, &emu, dir.path(), &db);
    let state = dir.path().join("state");
    let log = dir.path().join("smt.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["sync", "-c"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let key = format!("{db}.t_pk");
    // The checkpoint's committed chunks of t_pk (None: no snapshot in progress).
    let chunks = || committed_chunks(&state, &key);
    // Wait (at most a minute) until `done`, then, with `in_progress`, check that the snapshot
    // still goes on.
    let wait_for = |what: &str, done: &dyn Fn() -> bool, in_progress: bool| {
        let t0 = Instant::now();
        while !done() {
            assert!(
                t0.elapsed() < MINUTE,
                "waited a minute for {what}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let left = chunks();
        assert!(
            !in_progress || left.is_some_and(|n| n < 30),
            "the snapshot had ended ({left:?} chunks in progress) at {what}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    wait_for("a committed chunk", &|| chunks().unwrap_or(0) >= 1, false);
    // Row 0 is in the first chunk (read); row 2999 in the last (not read yet).
    let mut c = m.conn_utc();
    m.exec(
        &mut c,
        &format!("UPDATE {db}.t_pk SET v = 'fresh' WHERE id IN (0, 2999)"),
    );
    m.exec(&mut c, &format!("DELETE FROM {db}.t_pk WHERE id = 1"));
    let row = |id: &str| -> Option<Option<String>> {
        emu.rows(&db, "t_pk")
            .unwrap_or_default()
            .into_iter()
            .find(|r| r[0].as_deref() == Some(id))
            .map(|r| r[1].clone())
    };
    wait_for(
        "the change in the target",
        &|| row("0") == Some(Some("fresh".into())) && row("1").is_none(),
        true,
    );
    // A column added while the snapshot goes on: the catch-up follows it (the target gains
    // it), the rounds after it read it, and a change to it arrives.
    m.exec(
        &mut c,
        &format!("ALTER TABLE {db}.t_pk ADD COLUMN w INT NOT NULL DEFAULT 5"),
    );
    m.exec(
        &mut c,
        &format!("UPDATE {db}.t_pk SET w = 9 WHERE id IN (0, 2998)"),
    );
    wait_for(
        "the added column in the target",
        &|| {
            emu.table_ddl(&db, "t_pk")
                .is_some_and(|d| d.contains("`w`"))
        },
        true,
    );
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("applying the binlog written during the snapshot round"),
        "{text}"
    );
    // The ALTER was followed from the binlog: the table was not started over.
    assert!(
        !text.contains("the source schema changed before the snapshot"),
        "{text}"
    );
    let args = ["sync", "-c", cfg.to_str().unwrap(), "--state-dir"];
    let (code, err) = smt_in(
        dir.path(),
        &[&args[..], &[state.to_str().unwrap(), "--until-caught-up"]].concat(),
        MINUTE,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(row("2999"), Some(Some("fresh".into())));
    assert_synced("after a snapshot in rounds", &cfg, &m, &emu);
    m.exec(&mut m.conn(), &format!("DROP DATABASE {db}"));
}

#[test]
fn a_snapshot_killed_midway_resumes_after_the_source_grew() {
    // The checkpoint keeps each table's schema; information_schema's DATA_LENGTH grows with
    // every write. A snapshot stopped midway must resume after its committed keys when rows
    // were written meanwhile (only a change of columns or keys starts it over).
    let m = Maria::from_env();
    let db = format!("it_ops_grew_{}", std::process::id());
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {db}"));
    m.exec(&mut c, &format!("CREATE DATABASE {db}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {db}.t_pk (id INT PRIMARY KEY, v VARCHAR(200))"),
    );
    let insert = |c: &mut mysql::Conn, from: i32, n: i32| {
        for b in (from..from + n).step_by(1000) {
            let v: Vec<String> = (b..(b + 1000).min(from + n))
                .map(|i| format!("({i}, REPEAT('x', 190))"))
                .collect();
            m.exec(c, &format!("INSERT INTO {db}.t_pk VALUES {}", v.join(",")));
        }
    };
    insert(&mut c, 0, 3000);
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    // 30 chunks of 100 rows: slow enough to be killed midway.
    let cfg = one_chunk_rounds_config(&m, &emu, dir.path(), &db);
    let state = dir.path().join("state");
    let key = format!("{db}.t_pk");
    let chunks = || committed_chunks(&state, &key);
    let mut child = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["sync", "-c"])
        .arg(&cfg)
        .arg("--state-dir")
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while chunks().unwrap_or(0) < 2 {
        assert!(t0.elapsed() < MINUTE, "no chunk committed within a minute");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let left = chunks();
    assert!(
        left.is_some_and(|n| n < 30),
        "the snapshot must be unfinished at the kill (chunks in progress: {left:?})"
    );
    let data_length = |c: &mut mysql::Conn| -> u64 {
        m.exec(c, &format!("ANALYZE TABLE {db}.t_pk"));
        use mysql::prelude::Queryable;
        c.query_first(format!(
            "SELECT DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = 't_pk'"
        ))
        .unwrap()
        .unwrap()
    };
    let before = data_length(&mut c);
    insert(&mut c, 10_000, 5_000);
    let after = data_length(&mut c);
    assert!(
        after > before,
        "DATA_LENGTH did not grow ({before} → {after})"
    );

    // The rest in one round.
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "sync_snapshot_catch_up_secs = 0.001",
            "sync_snapshot_catch_up_secs = 30",
        ),
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let state_s = state.to_str().unwrap();
    let (code, log) = smt_in(
        dir.path(),
        &[
            "sync",
            "-c",
            cfg_s,
            "--state-dir",
            state_s,
            "--until-caught-up",
            "--log-level",
            "info",
        ],
        MINUTE,
    );
    assert_eq!(code, 0, "{log}");
    assert!(
        !log.contains("schema changed during the snapshot"),
        "the snapshot started over although only rows were written:\n{log}"
    );
    assert!(
        log.contains("resuming the snapshot after the last committed keys"),
        "the snapshot did not resume:\n{log}"
    );
    assert_synced("after the resumed snapshot", &cfg, &m, &emu);
    m.exec(&mut c, &format!("DROP DATABASE {db}"));
}
