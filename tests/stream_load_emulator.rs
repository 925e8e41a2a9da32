//! Stream Load + transaction client against the StarRocks emulator (a test fixture that
//! follows the documented protocol; nothing here is verified against a real StarRocks).

use smt::config::Secret;
use smt::config::{sink::Separator, SinkFormat};
use smt::retry::RetryPolicy;
use smt::starrocks::fe::FeClient;
use smt::starrocks::stream_load::{
    verify_counts, HttpEndpoint, LabelState, LoadDone, LoadError, LoadOptions, StreamLoadClient,
    Timeouts,
};
use starrocks_emulator::{Emulator, EmulatorConfig, Target};
use std::time::Duration;

const PW: &str = "emu-pw";

fn start() -> Emulator {
    Emulator::start(EmulatorConfig {
        password: PW.into(),
        ..Default::default()
    })
    .expect("emulator starts")
}

fn fe(emu: &Emulator) -> FeClient {
    FeClient::connect(
        "127.0.0.1",
        emu.fe_query_addr().port(),
        "root",
        &Secret::new(PW),
        Duration::from_secs(10),
    )
    .expect("connect FE")
}

/// A PRIMARY KEY table `t` and a DUPLICATE KEY table `d` in `db`.
fn setup(emu: &Emulator, db: &str) {
    let mut c = fe(emu);
    c.exec(&format!("CREATE DATABASE `{db}`")).expect("db");
    c.exec(&format!(
        "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(5) NULL) PRIMARY KEY (`id`) \
         DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")"
    ))
    .expect("t");
    c.exec(&format!(
        "CREATE TABLE `{db}`.`d` (`id` BIGINT NOT NULL, `name` VARCHAR(5) NULL) DUPLICATE KEY (`id`) \
         PROPERTIES (\"replication_num\" = \"1\")"
    ))
    .expect("d");
}

fn client_pw(emu: &Emulator, pw: &str) -> StreamLoadClient {
    StreamLoadClient::new(
        HttpEndpoint {
            host: "127.0.0.1".into(),
            port: emu.fe_http_addr().port(),
        },
        "root".into(),
        Secret::new(pw),
        Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
        },
    )
    .with_retry_policy(RetryPolicy::immediate(5))
}

fn client(emu: &Emulator) -> StreamLoadClient {
    client_pw(emu, PW)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

const TWO: &[u8] = br#"[{"id":1,"name":"a"},{"id":2,"name":"b"}]"#;

fn json() -> LoadOptions {
    LoadOptions::default()
}

#[test]
fn probe_redirect_and_load_json_and_csv() {
    let emu = start();
    setup(&emu, "slc_basic");
    let c = client(&emu);
    assert_eq!(
        c.load("slc_basic", "t", "b1", &json(), TWO, 2),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    let csv = LoadOptions {
        format: SinkFormat::Csv {
            column_separator: Separator::parse("\\x01").unwrap(),
            row_delimiter: Separator::parse("\\x02").unwrap(),
        },
        columns: Some("id,name,__op".into()),
        ..LoadOptions::default()
    };
    // Upsert id 3, delete id 1.
    assert_eq!(
        c.load(
            "slc_basic",
            "t",
            "b2",
            &csv,
            b"3\x01c\x010\x021\x01a\x011\x02",
            2
        ),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    assert_eq!(
        emu.rows("slc_basic", "t").expect("rows"),
        vec![vec![s("2"), s("b")], vec![s("3"), s("c")]]
    );
    assert_eq!(c.label_state("slc_basic", "b1"), Ok(LabelState::Visible));
    assert_eq!(c.label_state("slc_basic", "nope"), Ok(LabelState::Unknown));
}

#[test]
fn wrong_password_is_a_definite_auth_error() {
    let emu = start();
    setup(&emu, "slc_auth");
    let got = client_pw(&emu, "wrong").load("slc_auth", "t", "a1", &json(), TWO, 2);
    match got {
        Err(LoadError::Definite(m)) => {
            assert!(m.contains("authentication failed"), "{m}");
            assert!(!m.contains("wrong"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.load_count("slc_auth", "t"), 0);
}

#[test]
fn same_label_twice_is_already_loaded_and_not_duplicated() {
    let emu = start();
    setup(&emu, "slc_dup");
    let c = client(&emu);
    assert_eq!(
        c.load("slc_dup", "d", "x1", &json(), TWO, 2),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    assert_eq!(
        c.load("slc_dup", "d", "x1", &json(), TWO, 2),
        Ok(LoadDone::AlreadyLoaded)
    );
    assert_eq!(emu.rows("slc_dup", "d").expect("rows").len(), 2);
    assert_eq!(emu.load_count("slc_dup", "d"), 1);
}

#[test]
fn label_of_a_running_transaction_is_label_running() {
    let emu = start();
    setup(&emu, "slc_run");
    let c = client(&emu);
    c.begin("slc_run", "t", "r1", 60).expect("begin");
    let got = c.load("slc_run", "t", "r1", &json(), TWO, 2);
    assert!(matches!(got, Err(LoadError::LabelRunning(_))), "{got:?}");
    assert_eq!(c.label_state("slc_run", "r1"), Ok(LabelState::Prepare));
}

#[test]
fn filtered_row_is_a_rejection_with_the_reason_from_the_error_url() {
    let emu = start();
    setup(&emu, "slc_filt");
    let c = client(&emu);
    let body = br#"[{"id":1,"name":"ok"},{"id":2,"name":"much too long"}]"#;
    let got = c.load("slc_filt", "t", "f1", &json(), body, 2);
    match got {
        Err(LoadError::Rejected(m)) => {
            assert!(m.contains("1 row(s) filtered"), "{m}");
            assert!(m.contains("_load_error_log"), "{m}");
            assert!(m.contains("first rejected rows:"), "{m}");
            assert!(m.contains("much too long"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.rows("slc_filt", "t").expect("rows").len(), 0);
}

#[test]
fn unknown_table_is_definite() {
    let emu = start();
    setup(&emu, "slc_unk");
    let got = client(&emu).load("slc_unk", "nope", "u1", &json(), TWO, 2);
    assert!(matches!(got, Err(LoadError::Definite(_))), "{got:?}");
}

#[test]
fn http_5xx_from_the_be_is_unknown_and_resolves_to_one_load() {
    let emu = start();
    setup(&emu, "slc_5xx");
    let c = client(&emu);
    emu.faults().http_error_next(Target::StreamLoad, 1, 503);
    let got = c.load("slc_5xx", "d", "h1", &json(), TWO, 2);
    assert!(matches!(got, Err(LoadError::Unknown(_))), "{got:?}");
    // The label is not loaded: resolving re-sends the same label once.
    emu.faults().http_error_next(Target::StreamLoad, 1, 503);
    assert_eq!(
        c.load_resolving("slc_5xx", "d", "h2", &json(), TWO, 2),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    assert_eq!(emu.rows("slc_5xx", "d").expect("rows").len(), 2);
    assert_eq!(emu.load_count("slc_5xx", "d"), 1);
}

#[test]
fn transient_failures_are_retryable_with_the_same_label() {
    let emu = start();
    setup(&emu, "slc_mem");
    let c = client(&emu);
    emu.faults().mem_limit_next(Target::StreamLoad, 1);
    let got = c.load("slc_mem", "d", "m1", &json(), TWO, 2);
    assert!(
        matches!(&got, Err(e @ LoadError::Transient(_)) if e.is_retryable()),
        "{got:?}"
    );
    assert_eq!(
        c.load("slc_mem", "d", "m1", &json(), TWO, 2),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    emu.faults().mem_limit_next(Target::StreamLoad, 2);
    assert_eq!(
        c.load_resolving("slc_mem", "d", "m2", &json(), TWO, 2),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    assert_eq!(emu.rows("slc_mem", "d").expect("rows").len(), 4);
}

#[test]
fn publish_timeout_is_done_and_becomes_visible() {
    let emu = start();
    setup(&emu, "slc_pub");
    let c = client(&emu);
    emu.faults().publish_timeout_next(Target::StreamLoad, 1);
    assert_eq!(
        c.load("slc_pub", "t", "p1", &json(), TWO, 2),
        Ok(LoadDone::PublishTimeout)
    );
    emu.faults().advance_clock(Duration::from_secs(5));
    assert_eq!(c.label_state("slc_pub", "p1"), Ok(LabelState::Visible));
}

#[test]
fn dropped_connection_after_commit_resolves_to_already_loaded() {
    let emu = start();
    setup(&emu, "slc_drop");
    let c = client(&emu);
    emu.faults().drop_after_commit_next(Target::StreamLoad, 1);
    let got = c.load("slc_drop", "d", "dr1", &json(), TWO, 2);
    assert!(matches!(got, Err(LoadError::Unknown(_))), "{got:?}");
    emu.faults().drop_after_commit_next(Target::StreamLoad, 1);
    assert_eq!(
        c.load_resolving("slc_drop", "d", "dr2", &json(), TWO, 2),
        Ok(LoadDone::AlreadyLoaded)
    );
    // dr1 was committed too (its reply was lost): 2 loads, 4 rows, never 6.
    assert_eq!(emu.load_count("slc_drop", "d"), 2);
    assert_eq!(emu.rows("slc_drop", "d").expect("rows").len(), 4);

    // Dropped mid-body: nothing applied; resolving loads it exactly once.
    emu.faults().drop_mid_body_next(Target::StreamLoad, 1, 5);
    assert_eq!(
        c.load_resolving("slc_drop", "d", "dr3", &json(), TWO, 2),
        Ok(LoadDone::Loaded { rows: 2 })
    );
    assert_eq!(emu.rows("slc_drop", "d").expect("rows").len(), 6);
}

#[test]
fn full_transaction_cycle() {
    let emu = start();
    setup(&emu, "slc_txn");
    let c = client(&emu);
    let b = c.begin("slc_txn", "d", "tx1", 120).expect("begin");
    assert!(b.txn_id.is_some(), "{b:?}");
    c.load_in_txn("slc_txn", "d", "tx1", &json(), TWO)
        .expect("load 1");
    c.load_in_txn("slc_txn", "d", "tx1", &json(), br#"[{"id":3,"name":"c"}]"#)
        .expect("load 2");
    assert_eq!(
        emu.rows("slc_txn", "d").expect("rows").len(),
        0,
        "not visible before commit"
    );
    let p = c.prepare("slc_txn", "d", "tx1").expect("prepare");
    assert_eq!(verify_counts(&p, 3), Ok(()), "{p:?}");
    assert_eq!(c.label_state("slc_txn", "d"), Ok(LabelState::Unknown));
    assert_eq!(c.label_state("slc_txn", "tx1"), Ok(LabelState::Prepared));
    c.commit_resolving("slc_txn", "d", "tx1").expect("commit");
    assert_eq!(emu.rows("slc_txn", "d").expect("rows").len(), 3);
    assert!(c
        .label_state("slc_txn", "tx1")
        .expect("state")
        .is_committed());

    // Rollback: nothing lands; the label can be reused after ABORTED.
    c.begin("slc_txn", "d", "tx2", 120).expect("begin 2");
    c.load_in_txn("slc_txn", "d", "tx2", &json(), TWO)
        .expect("load");
    c.rollback("slc_txn", "d", "tx2").expect("rollback");
    assert_eq!(c.label_state("slc_txn", "tx2"), Ok(LabelState::Aborted));
    assert_eq!(emu.rows("slc_txn", "d").expect("rows").len(), 3);
    c.begin("slc_txn", "d", "tx2", 120)
        .expect("reuse an aborted label");
    c.rollback("slc_txn", "d", "tx2").expect("rollback again");
}

#[test]
fn commit_resolving_after_a_dropped_commit_reply() {
    let emu = start();
    setup(&emu, "slc_cr");
    let c = client(&emu);
    c.begin("slc_cr", "d", "c1", 120).expect("begin");
    c.load_in_txn("slc_cr", "d", "c1", &json(), TWO)
        .expect("load");
    c.prepare("slc_cr", "d", "c1").expect("prepare");
    emu.faults().drop_after_commit_next(Target::TxnCommit, 1);
    let fired = emu.faults().fired();
    c.commit_resolving("slc_cr", "d", "c1").expect("resolved");
    assert_eq!(emu.faults().fired(), fired + 1, "the fault fired");
    assert_eq!(emu.rows("slc_cr", "d").expect("rows").len(), 2);
    assert_eq!(emu.load_count("slc_cr", "d"), 1);

    // A txn rolled back behind our back: commit_resolving says Definite, not Ok.
    c.begin("slc_cr", "d", "c2", 120).expect("begin");
    c.load_in_txn("slc_cr", "d", "c2", &json(), TWO)
        .expect("load");
    c.rollback("slc_cr", "d", "c2").expect("rollback");
    let got = c.commit_resolving("slc_cr", "d", "c2");
    assert!(matches!(got, Err(LoadError::Definite(_))), "{got:?}");
    assert_eq!(emu.rows("slc_cr", "d").expect("rows").len(), 2);
}

/// Prints a throughput figure (run with `--ignored --nocapture`); asserts only on the data.
#[test]
#[ignore]
fn measure_load_throughput() {
    let emu = start();
    setup(&emu, "slc_perf");
    let c = client(&emu);
    let n = 100_000u64;
    let mut body = String::from("[");
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(r#"{{"id":{i},"name":"n{}"}}"#, i % 1000));
    }
    body.push(']');
    let t = std::time::Instant::now();
    assert_eq!(
        c.load("slc_perf", "t", "perf1", &json(), body.as_bytes(), n),
        Ok(LoadDone::Loaded { rows: n })
    );
    let el = t.elapsed();
    println!(
        "loaded {n} rows / {} bytes in {:?} ({:.1} MB/s, {:.0} rows/s)",
        body.len(),
        el,
        body.len() as f64 / el.as_secs_f64() / 1e6,
        n as f64 / el.as_secs_f64()
    );
    assert_eq!(emu.rows("slc_perf", "t").expect("rows").len() as u64, n);
}

fn start_with(backends: u32, fe_followers: usize) -> Emulator {
    Emulator::start(EmulatorConfig {
        password: PW.into(),
        backends,
        fe_followers,
        ..Default::default()
    })
    .expect("emulator starts")
}

fn body(rows: &[(i64, &str)]) -> smt::sync::batch::Body {
    let v: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, n)| serde_json::json!({"id": id, "name": n, "__op": 0}))
        .collect();
    smt::sync::batch::Body {
        bytes: serde_json::to_vec(&v).unwrap(),
        rows: rows.len() as u64,
        format: SinkFormat::Json,
        columns: None,
        jsonpaths: None,
    }
}

fn pending(db: &str, table: &str, label: &str) -> smt::sync::checkpoint::PendingLabel {
    smt::sync::checkpoint::PendingLabel {
        db: db.into(),
        table: table.into(),
        label: label.into(),
        prepared_at: Some(smt::sync::sink::unix_now()),
    }
}

/// Transactions are bound to the backend that began them (the FE redirects every op there),
/// and an FE → leader FE → BE chain carries no body until a BE asks for it: a whole transaction
/// through a follower FE, on a 3-backend cluster, loads its rows exactly once.
#[test]
fn transactions_through_a_follower_fe_on_several_backends() {
    let emu = start_with(3, 1);
    setup(&emu, "slc_multi");
    let follower = emu.fe_follower_http_addrs()[0];
    let c = StreamLoadClient::new(
        HttpEndpoint {
            host: "127.0.0.1".into(),
            port: follower.port(),
        },
        "root".into(),
        Secret::new(PW),
        Timeouts::default(),
    );
    let retry = RetryPolicy::immediate(3);
    for (i, label) in ["m1", "m2", "m3", "m4"].iter().enumerate() {
        let id = i as i64 * 10;
        smt::sync::sink::load_txn(
            &c,
            "slc_multi",
            "t",
            label,
            &[body(&[(id, "a")]), body(&[(id + 1, "b")])],
            &[],
            60,
            &retry,
        )
        .unwrap_or_else(|e| panic!("{label}: {}", e.into_anyhow()));
        smt::sync::sink::commit(&c, &pending("slc_multi", "t", label), &retry).unwrap();
    }
    let rows = emu.rows("slc_multi", "t").unwrap();
    assert_eq!(rows.len(), 8, "{rows:?}");
}

/// A backend restart loses the contexts of its open transactions: rollback answers
/// TXN_NOT_EXISTS and the label stays taken until the FE times the transaction out. smt waits
/// for that abort (here the emulator's clock is moved past the timeout) and redoes the
/// transaction with the same label: rows exactly once, never a spin or a false success.
#[test]
fn a_transaction_lost_with_a_restarted_backend_is_waited_out_and_redone() {
    let emu = start_with(2, 0);
    setup(&emu, "slc_berestart");
    let c = client(&emu);
    c.begin("slc_berestart", "t", "lost1", 30).unwrap();
    c.load_in_txn("slc_berestart", "t", "lost1", &json(), TWO)
        .unwrap();
    let dropped: usize = (0..2).map(|i| emu.faults().restart_be(i)).sum();
    assert_eq!(dropped, 1, "one backend held the transaction");
    assert!(matches!(
        c.rollback("slc_berestart", "t", "lost1"),
        Err(LoadError::TxnNotExists(_))
    ));
    assert_eq!(emu.label_state("slc_berestart", "lost1"), "PREPARE");
    // Let the FE's timeout abort it while smt waits.
    let faults = emu.faults();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(600));
        faults.advance_clock(Duration::from_secs(120));
    });
    let retry = RetryPolicy::immediate(4);
    smt::sync::sink::load_txn(
        &c,
        "slc_berestart",
        "t",
        "lost1",
        &[body(&[(1, "x"), (2, "y"), (3, "z")])],
        &[],
        30,
        &retry,
    )
    .unwrap_or_else(|e| panic!("{}", e.into_anyhow()));
    t.join().unwrap();
    smt::sync::sink::commit(&c, &pending("slc_berestart", "t", "lost1"), &retry).unwrap();
    let rows = emu.rows("slc_berestart", "t").unwrap();
    assert_eq!(
        rows.len(),
        3,
        "only the redone transaction's rows: {rows:?}"
    );
}

/// StarRocks forgets finished labels (here: beyond `label_keep_max_num`): a transaction that
/// was committed before a crash, whose label has since been cleaned, is UNKNOWN on restart.
/// Inside the FE's prepared timeout that can only mean "committed" — no false "data lost"
/// stop; an old checkpoint entry without a prepare time still stops.
#[test]
fn an_expired_label_of_a_committed_transaction_is_not_a_false_alarm() {
    let emu = Emulator::start(EmulatorConfig {
        password: PW.into(),
        label_keep_max_num: 3,
        ..Default::default()
    })
    .unwrap();
    setup(&emu, "slc_expire");
    let c = client(&emu);
    let retry = RetryPolicy::immediate(3);
    for i in 0..6 {
        let label = format!("e{i}");
        smt::sync::sink::load_txn(
            &c,
            "slc_expire",
            "t",
            &label,
            &[body(&[(i, "v")])],
            &[],
            60,
            &retry,
        )
        .unwrap_or_else(|e| panic!("{}", e.into_anyhow()));
        smt::sync::sink::commit(&c, &pending("slc_expire", "t", &label), &retry).unwrap();
    }
    assert_eq!(c.label_state("slc_expire", "e0"), Ok(LabelState::Unknown));
    let loader: std::sync::Arc<dyn smt::sync::sink::Loader> = std::sync::Arc::new(c.clone());
    let get = move |_: &smt::sync::checkpoint::PendingLabel| Some(loader.clone());
    smt::sync::sink::resolve_pending(&get, &[pending("slc_expire", "t", "e0")], &retry)
        .expect("a cleaned label prepared moments ago was committed");
    let mut old = pending("slc_expire", "t", "e0");
    old.prepared_at = None;
    let e = smt::sync::sink::resolve_pending(&get, &[old], &retry).unwrap_err();
    assert_eq!(smt::error::exit_code_of(&e), 7, "{e:#}");
    assert_eq!(emu.rows("slc_expire", "t").unwrap().len(), 6);
}

/// Without fast schema evolution an ALTER is a job: a second ALTER of the table is refused
/// while it runs, and loads keep the old schema. `alter_and_wait` retries the refused one and
/// returns only when StarRocks reports the job FINISHED.
#[test]
fn alters_wait_for_the_schema_change_job() {
    let emu = Emulator::start(EmulatorConfig {
        password: PW.into(),
        version: "3.1.5 emulator".into(),
        alter_job_ms: 300,
        ..Default::default()
    })
    .unwrap();
    setup(&emu, "slc_alter");
    let mut c = fe(&emu);
    c.exec("ALTER TABLE `slc_alter`.`t` ADD COLUMN `a` INT NULL")
        .expect("first ALTER starts a job");
    let e = c
        .exec("ALTER TABLE `slc_alter`.`t` ADD COLUMN `x` INT NULL")
        .expect_err("a second ALTER is refused while the job runs");
    assert!(
        e.message()
            .contains("schema change operation is in progress"),
        "{e:?}"
    );
    c.alter_and_wait(
        "slc_alter",
        "t",
        "ALTER TABLE `slc_alter`.`t` ADD COLUMN `b` INT NULL",
        Duration::from_secs(20),
    )
    .expect("waits for the running job, then for its own");
    let r = c
        .query_rows("SHOW ALTER TABLE COLUMN FROM `slc_alter` WHERE TableName = 't'")
        .unwrap();
    let state = r.column("State").unwrap();
    assert_eq!(r.rows.len(), 2, "two jobs: a and b");
    assert!(r
        .rows
        .iter()
        .all(|row| row[state].as_deref() == Some("FINISHED")));
    let mut cols = emu.columns("slc_alter", "t").unwrap();
    cols.sort();
    assert_eq!(cols, vec!["a", "b", "id", "name"]);
}

#[test]
fn a_transaction_on_a_table_named_outside_ascii_loads() {
    // StarRocks table names may hold any character but NUL; the transaction API names the
    // table in a header on every call, so begin and load must send the same bytes.
    let emu = start();
    let mut fe = fe(&emu);
    fe.exec("CREATE DATABASE `slc_utf8`").expect("db");
    fe.exec(
        "CREATE TABLE `slc_utf8`.`表 ünï` (`id` BIGINT NOT NULL, `name` VARCHAR(5) NULL) \
         PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")",
    )
    .expect("table");
    let c = client(&emu);
    c.begin("slc_utf8", "表 ünï", "u1", 120).expect("begin");
    c.load_in_txn("slc_utf8", "表 ünï", "u1", &json(), TWO)
        .expect("load");
    let p = c.prepare("slc_utf8", "表 ünï", "u1").expect("prepare");
    assert_eq!(verify_counts(&p, 2), Ok(()), "{p:?}");
    c.commit_resolving("slc_utf8", "表 ünï", "u1")
        .expect("commit");
    assert_eq!(emu.rows("slc_utf8", "表 ünï").expect("rows").len(), 2);
}
