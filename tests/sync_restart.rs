//! The source MariaDB restarts in the middle of the binlog stream: the reader reconnects and
//! resumes at the last committed transaction, the engine drops the partial transaction it held,
//! and the target ends with exactly the source's rows. Runs its OWN MariaDB (scripts/mariadb.sh,
//! another port) so it can stop and start it.

mod sync_support;

use smt::sync::engine::{Options, Outcome};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_support::*;

const DB: &str = "it_sync_restart";

struct OwnMaria {
    dir: std::path::PathBuf,
    port: u16,
}

impl OwnMaria {
    fn start(&self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mariadb.sh");
        let out = Command::new(script)
            .arg("start")
            .env("SMT_MARIADB_PORT", self.port.to_string())
            .env("SMT_MARIADB_DIR", &self.dir)
            .output()
            .expect("run scripts/mariadb.sh");
        assert!(
            out.status.success(),
            "mariadb start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fn stop(&self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mariadb.sh");
        let out = Command::new(script)
            .arg("stop")
            .arg(&self.dir)
            .output()
            .expect("stop");
        assert!(
            out.status.success(),
            "mariadb stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for OwnMaria {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mariadb.sh");
        let _ = Command::new(script).arg("stop").arg(&self.dir).output();
    }
}

#[test]
fn source_restart_mid_stream() {
    // Needs the shared server's env too (fails clearly when the test environment is missing).
    let shared = Maria::from_env();
    let tmp = tempfile::tempdir().unwrap();
    let own = OwnMaria {
        dir: tmp.path().join("mdb"),
        port: 34000 + (std::process::id() % 1000) as u16,
    };
    own.start();
    let m = Maria {
        host: "127.0.0.1".into(),
        port: own.port,
        user: "root".into(),
        password: shared.password.clone(),
    };
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("CREATE DATABASE {DB}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.t_pk (id INT PRIMARY KEY, v VARCHAR(20))"),
    );
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.t_dup (a INT, b VARCHAR(20))"),
    );
    for i in 0..50 {
        m.exec(
            &mut c,
            &format!("INSERT INTO {DB}.t_pk VALUES ({i}, 'v{i}')"),
        );
        m.exec(
            &mut c,
            &format!("INSERT INTO {DB}.t_dup VALUES ({}, 'd{i}')", i % 4),
        );
    }
    drop(c);

    let emu = emulator(None);
    let cfg = tmp.path().join("smt.ini");
    std::fs::write(
        &cfg,
        config_text(
            &m,
            &emu,
            &tmp.path().join("result"),
            &[&format!("database = ^{DB}$\ntable = .*")],
        ),
    )
    .unwrap();
    let state = tmp.path().join("state");
    let (config, plan) = plan_for(&cfg);
    let mk_job = || {
        let mut job =
            smt::sync::Job::from_config(&config, &plan, &sync_args(&cfg, &state)).unwrap();
        job.reader.heartbeat = Duration::from_millis(200);
        job.reader.read_timeout = Duration::from_secs(2);
        job.reader.backoff = Duration::from_millis(200);
        job.reader.max_reconnects = 30;
        job
    };
    let stop = Arc::new(AtomicBool::new(false));
    let outcome = std::thread::scope(|s| {
        let job = mk_job();
        let st = stop.clone();
        let h = s.spawn(move || {
            job.run(Options {
                stop: st,
                progress: false,
                ..Options::default()
            })
        });
        // Wait for the snapshot to finish (the checkpoint gets a binlog position).
        let t0 = Instant::now();
        while !std::fs::read_to_string(state.join("sync-state.json"))
            .unwrap_or_default()
            .contains("\"binlog\": {")
        {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "snapshot did not finish"
            );
            assert!(!h.is_finished(), "engine ended early");
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut c = m.conn_utc();
        for i in 100..130 {
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_pk VALUES ({i}, 'before')"),
            );
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_dup VALUES ({i}, 'before')"),
            );
        }
        m.exec(
            &mut c,
            &format!("UPDATE {DB}.t_pk SET v = 'upd' WHERE id < 10"),
        );
        drop(c);
        own.stop();
        std::thread::sleep(Duration::from_millis(800));
        own.start();
        let mut c = m.conn_utc();
        for i in 200..230 {
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_pk VALUES ({i}, 'after')"),
            );
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_dup VALUES ({i}, 'after')"),
            );
        }
        m.exec(
            &mut c,
            &format!("DELETE FROM {DB}.t_pk WHERE id BETWEEN 20 AND 29"),
        );
        // Let it catch up while following, then stop it like SIGTERM would.
        std::thread::sleep(Duration::from_secs(4));
        stop.store(true, Ordering::SeqCst);
        h.join().unwrap()
    });
    assert_eq!(
        outcome.expect("engine survives the source restart"),
        Outcome::Stopped
    );
    // The rows written after the restart arrived while following (before the final run).
    let after = emu.rows(DB, "t_dup").unwrap_or_default();
    assert_eq!(
        after
            .iter()
            .filter(|r| r.get(1) == Some(&Some("after".to_string())))
            .count(),
        30
    );
    // Whatever was left: one run to the end.
    assert_eq!(
        mk_job()
            .run(Options {
                until_caught_up: true,
                progress: false,
                ..Options::default()
            })
            .unwrap(),
        Outcome::CaughtUp
    );
    let mut c = m.conn_utc();
    for tp in plan.rules.iter().flat_map(|r| r.tables.iter()) {
        assert_same_rows(
            &tp.target_table,
            &source_rows(&mut c, tp),
            &target_rows(&emu, tp),
        );
    }
    drop(c);
    own.stop();
}
