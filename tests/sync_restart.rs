//! The source MariaDB restarts in the middle of the binlog stream: the reader reconnects and
//! resumes at the last committed transaction, the engine drops the partial transaction it held,
//! and the target ends with exactly the source's rows. Runs its OWN MariaDB (`OwnMaria`: its own
//! dir and a free port) so it can stop and start it.

mod sync_support;

use smt::sync::engine::{Options, Outcome};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use sync_support::mariadb::OwnMaria;
use sync_support::*;

const DB: &str = "it_sync_restart";

#[test]
fn source_restart_mid_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let own = OwnMaria::start();
    let m: &Maria = &own;
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
            m,
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
        own.start_again();
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
