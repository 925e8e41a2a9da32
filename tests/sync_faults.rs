//! Fault injection: the emulator fails, delays, drops or double-reports transaction requests
//! during the snapshot and the binlog phase; every scenario must still end with the source's
//! exact row sets (PRIMARY KEY and DUPLICATE KEY tables) and the fault must have fired.

mod sync_support;

use smt::sync::engine::{Options, Outcome};
use starrocks_emulator::faults::Target;
use starrocks_emulator::Emulator;
use std::time::Duration;
use sync_support::*;

const DB: &str = "it_sync_faults";

type Inject = fn(&Emulator);

fn scenarios() -> Vec<(&'static str, Inject)> {
    vec![
        ("5xx on load", |e| {
            e.faults().http_error_next(Target::TxnLoad, 2, 503)
        }),
        ("5xx on prepare", |e| {
            e.faults().http_error_next(Target::TxnPrepare, 1, 500)
        }),
        ("5xx on begin", |e| {
            e.faults().http_error_next(Target::TxnBegin, 1, 502)
        }),
        ("5xx on commit", |e| {
            e.faults().http_error_next(Target::TxnCommit, 1, 503)
        }),
        ("MEM_LIMIT_EXCEEDED on load", |e| {
            e.faults().mem_limit_next(Target::TxnLoad, 2)
        }),
        ("transient Fail on load", |e| {
            e.faults().fail_next(
                Target::TxnLoad,
                1,
                "Fail",
                "too many tablet versions, retry later",
            )
        }),
        ("connection dropped mid body", |e| {
            e.faults().drop_mid_body_next(Target::TxnLoad, 1, 5)
        }),
        ("dropped after commit (applied, no answer)", |e| {
            e.faults().drop_after_commit_next(Target::TxnCommit, 2)
        }),
        ("publish timeout on commit", |e| {
            e.faults().publish_timeout_next(Target::TxnCommit, 2)
        }),
        ("delay on prepare", |e| {
            e.faults().delay_next(Target::TxnPrepare, 2, 700)
        }),
        ("label already exists (running) on begin", |e| {
            e.faults().fail_next(
                Target::TxnBegin,
                1,
                "LABEL_ALREADY_EXISTS",
                "Label has already been used",
            )
        }),
    ]
}

#[test]
fn every_fault_converges_to_the_source() {
    let m = Maria::from_env();
    let mut c = m.conn_utc();
    m.exec(&mut c, &format!("DROP DATABASE IF EXISTS {DB}"));
    m.exec(&mut c, &format!("CREATE DATABASE {DB}"));
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.t_pk (id INT PRIMARY KEY, v VARCHAR(20))"),
    );
    m.exec(
        &mut c,
        &format!("CREATE TABLE {DB}.t_dup (a INT, b VARCHAR(20))"),
    );
    for i in 0..40 {
        m.exec(
            &mut c,
            &format!("INSERT INTO {DB}.t_pk VALUES ({i}, 'v{i}')"),
        );
        m.exec(
            &mut c,
            &format!("INSERT INTO {DB}.t_dup VALUES ({}, 'd{i}')", i % 3),
        );
    }
    let mut next = 1000;
    for (name, inject) in scenarios() {
        let emu = emulator(None);
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("smt.ini");
        let rule = format!(
            "database = ^{DB}$\ntable = .*\nflink.starrocks.sink.buffer-flush.max-rows = 15"
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
            let retry = smt::retry::RetryPolicy {
                max_attempts: 6,
                initial_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(200),
                multiplier: 2.0,
            };
            job.run(Options {
                until_caught_up: true,
                progress: false,
                retry,
                ..Options::default()
            })
        };
        // Snapshot under the fault (the table must exist first: the run creates it).
        inject(&emu);
        let fired0 = emu.faults().fired();
        assert_eq!(
            run().unwrap_or_else(|e| panic!("{name}: snapshot run: {e:#}")),
            Outcome::CaughtUp
        );
        let fired1 = emu.faults().fired();
        assert!(
            fired1 > fired0,
            "{name}: the fault did not fire in the snapshot"
        );
        // Binlog under the fault.
        for _ in 0..5 {
            next += 1;
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_pk VALUES ({next}, 'n{next}')"),
            );
            m.exec(
                &mut c,
                &format!(
                    "UPDATE {DB}.t_pk SET v = 'u{next}' WHERE id = {}",
                    next % 40
                ),
            );
            m.exec(
                &mut c,
                &format!("DELETE FROM {DB}.t_pk WHERE id = {}", (next + 7) % 40),
            );
            m.exec(
                &mut c,
                &format!("INSERT INTO {DB}.t_dup VALUES ({next}, 'n{next}'), (1, 'again')"),
            );
        }
        emu.faults().clear();
        inject(&emu);
        assert_eq!(
            run().unwrap_or_else(|e| panic!("{name}: binlog run: {e:#}")),
            Outcome::CaughtUp
        );
        assert!(
            emu.faults().fired() > fired1,
            "{name}: the fault did not fire in the binlog phase"
        );
        for tp in plan.rules.iter().flat_map(|r| r.tables.iter()) {
            assert_same_rows(
                &format!("{name}: {}", tp.target_table),
                &source_rows(&mut c, tp),
                &target_rows(&emu, tp),
            );
        }
        eprintln!("ok: {name}");
    }
    m.exec(&mut c, &format!("DROP DATABASE {DB}"));
}
