//! Fault injection, in-process (FaultHandle) and over HTTP (POST /_emulator/fault).
mod common;
use common::*;
use serde_json::{json, Value};
use starrocks_emulator::Target;
use std::time::Duration;

const PK: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(10) NULL) \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn setup(emu: &starrocks_emulator::Emulator, db: &str) {
    let mut c = conn(emu);
    setup_db(&mut c, db, &[PK]);
}

/// Send a load straight to the BE over a raw socket; Err when the server drops the connection.
fn raw_load(
    emu: &starrocks_emulator::Emulator,
    db: &str,
    label: &str,
    body: &str,
) -> std::io::Result<(String, String)> {
    let head = format!(
        "PUT /api/{db}/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nlabel: {label}\r\nContent-Length: {}\r\n\r\n",
        basic("root", PASSWORD),
        body.len()
    );
    raw_http(emu.be_http_addr(), &head, body.as_bytes())
}

#[test]
fn fail_status_next_n_loads_then_retry_same_label() {
    let emu = start();
    setup(&emu, "f_fail");
    emu.faults()
        .fail_next(Target::StreamLoad, 2, "Fail", "injected transient failure");
    for _ in 0..2 {
        let v = stream_load(&emu, "f_fail", "t", &[("label", "a")], b"1\tx\n");
        assert_eq!(v["Status"], "Fail", "{v}");
        assert_eq!(v["Message"], "injected transient failure");
        assert_eq!(load_state(&emu, "f_fail", "a"), "ABORTED");
    }
    let v = stream_load(&emu, "f_fail", "t", &[("label", "a")], b"1\tx\n");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(emu.rows("f_fail", "t").unwrap().len(), 1);
    assert_eq!(emu.faults().fired(), 2);
}

#[test]
fn publish_timeout_commits_and_becomes_visible() {
    let emu = start();
    setup(&emu, "f_pub");
    emu.faults().publish_timeout_next(Target::StreamLoad, 1);
    let v = stream_load(&emu, "f_pub", "t", &[("label", "p")], b"1\tx\n");
    assert_eq!(v["Status"], "Publish Timeout", "{v}");
    assert_eq!(load_state(&emu, "f_pub", "p"), "COMMITTED");
    assert_eq!(
        emu.rows("f_pub", "t").unwrap().len(),
        1,
        "committed data is applied"
    );
    let again = stream_load(&emu, "f_pub", "t", &[("label", "p")], b"1\tx\n");
    assert_eq!(again["Status"], "Label Already Exists");
    assert_eq!(again["ExistingJobStatus"], "FINISHED");
    emu.faults().advance_clock(Duration::from_secs(2));
    assert_eq!(load_state(&emu, "f_pub", "p"), "VISIBLE");
    assert_eq!(emu.load_count("f_pub", "t"), 1);
}

#[test]
fn mem_limit_and_http_5xx() {
    let emu = start();
    setup(&emu, "f_mem");
    emu.faults().mem_limit_next(Target::StreamLoad, 1);
    let v = stream_load(&emu, "f_mem", "t", &[("label", "m")], b"1\tx\n");
    assert_eq!(v["Status"], "Fail");
    assert!(
        v["Message"]
            .as_str()
            .unwrap()
            .starts_with("MEM_LIMIT_EXCEEDED"),
        "{v}"
    );
    assert!(emu.rows("f_mem", "t").unwrap().is_empty());
    emu.faults().http_error_next(Target::StreamLoad, 1, 503);
    let (h, b) = raw_load(&emu, "f_mem", "m", "1\tx\n").unwrap();
    assert!(h.starts_with("HTTP/1.1 503"), "{h}");
    assert!(
        serde_json::from_str::<Value>(&b).is_err(),
        "5xx body is not JSON"
    );
    assert!(emu.rows("f_mem", "t").unwrap().is_empty());
    assert_eq!(load_state(&emu, "f_mem", "m"), "ABORTED");
    let (h, _) = raw_load(&emu, "f_mem", "m", "1\tx\n").unwrap();
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(emu.rows("f_mem", "t").unwrap().len(), 1);
}

#[test]
fn drop_mid_body_applies_nothing_and_drop_after_commit_applies() {
    let emu = start();
    setup(&emu, "f_drop");
    emu.faults().drop_mid_body_next(Target::StreamLoad, 1, 3);
    let r = raw_load(&emu, "f_drop", "d1", "1\tx\n2\ty\n");
    assert!(r.is_err(), "connection dropped: {r:?}");
    assert!(emu.rows("f_drop", "t").unwrap().is_empty());
    assert_eq!(load_state(&emu, "f_drop", "d1"), "ABORTED");
    emu.faults().drop_after_commit_next(Target::StreamLoad, 1);
    let r = raw_load(&emu, "f_drop", "d2", "1\tx\n2\ty\n");
    assert!(r.is_err(), "no answer after commit: {r:?}");
    assert_eq!(
        emu.rows("f_drop", "t").unwrap().len(),
        2,
        "the load IS applied"
    );
    assert_eq!(load_state(&emu, "f_drop", "d2"), "VISIBLE");
    // the client's retry with the same label is answered with Label Already Exists / FINISHED
    let (_, b) = raw_load(&emu, "f_drop", "d2", "1\tx\n2\ty\n").unwrap();
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["Status"], "Label Already Exists");
    assert_eq!(v["ExistingJobStatus"], "FINISHED");
    assert_eq!(emu.load_count("f_drop", "t"), 1);
}

#[test]
fn delay_then_normal() {
    let emu = start();
    setup(&emu, "f_delay");
    emu.faults().delay_next(Target::StreamLoad, 1, 200);
    let v = stream_load(&emu, "f_delay", "t", &[("label", "x")], b"1\tx\n");
    assert_eq!(v["Status"], "Success");
    assert_eq!(emu.faults().fired(), 1);
    assert!(emu.faults().pending().is_empty());
    // a delay longer than the client timeout looks like a timeout to the client
    emu.faults().delay_next(Target::StreamLoad, 1, 1500);
    let c = reqwest::blocking::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let r = c
        .put(format!(
            "http://{}/api/f_delay/t/_stream_load",
            emu.be_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .header("label", "y")
        .body("2\ty\n")
        .send();
    assert!(r.is_err(), "client timed out");
    // ... and the load still completes on the server: get_load_state tells the truth
    let mut state = String::new();
    for _ in 0..100 {
        state = load_state(&emu, "f_delay", "y");
        if state == "VISIBLE" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(state, "VISIBLE");
}

#[test]
fn transaction_endpoint_faults() {
    let emu = start();
    setup(&emu, "f_txn");
    let f = emu.faults();
    // commit fails once (txn stays PREPARED), retry commits
    txn_op(&emu, "begin", "c1", "f_txn", "t", &[]);
    txn_load(&emu, "c1", "f_txn", "t", &[], b"1\ta\n");
    txn_op(&emu, "prepare", "c1", "f_txn", "t", &[]);
    f.fail_next(Target::TxnCommit, 1, "FAILED", "injected commit failure");
    let v = txn_op(&emu, "commit", "c1", "f_txn", "t", &[]);
    assert_eq!(v["Status"], "FAILED");
    assert_eq!(load_state(&emu, "f_txn", "c1"), "PREPARED");
    assert_eq!(
        txn_op(&emu, "commit", "c1", "f_txn", "t", &[])["Status"],
        "OK"
    );
    // commit applied but the connection dropped: state says VISIBLE, retry says already commited
    txn_op(&emu, "begin", "c2", "f_txn", "t", &[]);
    txn_load(&emu, "c2", "f_txn", "t", &[], b"2\tb\n");
    txn_op(&emu, "prepare", "c2", "f_txn", "t", &[]);
    f.drop_after_commit_next(Target::TxnCommit, 1);
    let r = http()
        .post(format!(
            "http://{}/api/transaction/commit",
            emu.fe_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .header("label", "c2")
        .header("db", "f_txn")
        .header("table", "t")
        .send();
    assert!(r.is_err(), "dropped: {r:?}");
    assert_eq!(load_state(&emu, "f_txn", "c2"), "VISIBLE");
    let v = txn_op(&emu, "commit", "c2", "f_txn", "t", &[]);
    assert_eq!(v["Status"], "OK");
    assert!(
        v["Message"]
            .as_str()
            .unwrap()
            .ends_with("has already committed, label is c2"),
        "{v}"
    );
    // publish timeout on commit
    txn_op(&emu, "begin", "c3", "f_txn", "t", &[]);
    txn_load(&emu, "c3", "f_txn", "t", &[], b"3\tc\n");
    f.publish_timeout_next(Target::TxnCommit, 1);
    assert_eq!(
        txn_op(&emu, "commit", "c3", "f_txn", "t", &[])["Status"],
        "PUBLISH_TIMEOUT"
    );
    assert_eq!(load_state(&emu, "f_txn", "c3"), "COMMITTED");
    // load fault aborts the transaction
    txn_op(&emu, "begin", "c4", "f_txn", "t", &[]);
    f.mem_limit_next(Target::TxnLoad, 1);
    let v = txn_load(&emu, "c4", "f_txn", "t", &[], b"4\td\n");
    assert_eq!(v["Status"], "MEM_LIMIT_EXCEEDED", "{v}");
    assert_eq!(load_state(&emu, "f_txn", "c4"), "ABORTED");
    // begin 5xx: the fault fires on the BE the FE redirects begin to
    f.http_error_next(Target::TxnBegin, 1, 500);
    let (code, loc) = txn_op_once(emu.fe_http_addr(), "begin", "c5", "f_txn", "t", &[]);
    assert_eq!(code, 307);
    let r = http()
        .post(&loc)
        .header("Authorization", basic("root", PASSWORD))
        .header("label", "c5")
        .header("db", "f_txn")
        .header("table", "t")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
    assert_eq!(load_state(&emu, "f_txn", "c5"), "UNKNOWN");
    assert_eq!(emu.rows("f_txn", "t").unwrap().len(), 3);
}

#[test]
fn faults_over_http_control_endpoint() {
    let emu = start();
    setup(&emu, "f_http");
    let c = http();
    let base = format!("http://{}/_emulator", emu.fe_http_addr());
    let r = c
        .post(format!("{base}/fault"))
        .body(json!({"target":"stream_load","count":1,"kind":"status","status":"Fail","message":"over http"}).to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let pending: Value = c
        .get(format!("{base}/faults"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(pending["pending"].as_array().unwrap().len(), 1);
    let v = stream_load(&emu, "f_http", "t", &[("label", "h")], b"1\tx\n");
    assert_eq!(v["Message"], "over http");
    // bad JSON → 400
    let r = c
        .post(format!("{base}/fault"))
        .body("{\"kind\":\"nope\"}")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // clear
    c.post(format!("{base}/fault"))
        .body(json!({"kind":"drop_after_commit"}).to_string())
        .send()
        .unwrap();
    c.post(format!("{base}/fault/clear")).send().unwrap();
    assert!(emu.faults().pending().is_empty());
    // clock + rows
    txn_op(&emu, "begin", "k", "f_http", "t", &[("timeout", "5")]);
    c.post(format!("{base}/clock"))
        .body(json!({"advance_ms": 6000}).to_string())
        .send()
        .unwrap();
    assert_eq!(load_state(&emu, "f_http", "k"), "ABORTED");
    let v = stream_load(&emu, "f_http", "t", &[("label", "h")], b"7\tseven\n");
    assert_eq!(v["Status"], "Success");
    let rows: Value = c
        .get(format!("{base}/rows?db=f_http&table=t"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(rows["rows"], json!([["7", "seven"]]));
    assert_eq!(rows["columns"], json!(["id", "name"]));
}

#[test]
fn fe_redirect_faults_two_hops_and_errors() {
    let emu = start();
    setup(&emu, "f_fe");
    emu.faults().redirect_via_fe_next(1);
    let c = http();
    let url = format!("http://{}/api/f_fe/t/_stream_load", emu.fe_http_addr());
    let probe = |u: &str| {
        c.put(u)
            .header("Authorization", basic("root", PASSWORD))
            .header("Expect", "100-continue")
            .header("Content-Length", "0")
            .header("label", "two")
            .send()
            .unwrap()
    };
    let r = probe(&url);
    assert_eq!(r.status().as_u16(), 307);
    let hop1 = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(hop1, url, "first hop points at the FE again");
    let r = probe(&hop1);
    assert_eq!(r.status().as_u16(), 307);
    let hop2 = r.headers()["location"].to_str().unwrap().to_string();
    assert!(hop2.contains(&emu.be_http_addr().to_string()), "{hop2}");
    // FE-side 5xx and FAILED
    let f = emu.faults();
    f.http_error_next(Target::FeRedirect, 1, 503);
    assert_eq!(probe(&url).status().as_u16(), 503);
    f.fail_next(Target::FeRedirect, 1, "FAILED", "No backend alive");
    let v: Value = probe(&url).json().unwrap();
    assert_eq!(
        v,
        json!({"Status": "FAILED", "Message": "No backend alive"})
    );
    // stream_load-target faults do not fire at the FE step
    f.fail_next(Target::Any, 1, "Fail", "data step");
    assert_eq!(probe(&url).status().as_u16(), 307);
    let v = stream_load(&emu, "f_fe", "t", &[("label", "z")], b"1\tx\n");
    assert_eq!(v["Message"], "data step");
}

#[test]
fn expired_labels_report_unknown_and_can_be_reused() {
    let emu = start();
    setup(&emu, "f_exp");
    assert_eq!(
        stream_load(&emu, "f_exp", "t", &[("label", "e1")], b"1\tx\n")["Status"],
        "Success"
    );
    txn_op(&emu, "begin", "open", "f_exp", "t", &[]);
    assert_eq!(emu.faults().expire_labels("f_exp"), 1);
    assert_eq!(load_state(&emu, "f_exp", "e1"), "UNKNOWN");
    assert_eq!(
        load_state(&emu, "f_exp", "open"),
        "PREPARE",
        "running txns are kept"
    );
    // reuse after expiry applies the batch again: the emulator does what the FE would
    let v = stream_load(&emu, "f_exp", "t", &[("label", "e1")], b"2\ty\n");
    assert_eq!(v["Status"], "Success");
    assert_eq!(emu.rows("f_exp", "t").unwrap().len(), 2);
    let r: Value = http()
        .post(format!(
            "http://{}/_emulator/expire_labels",
            emu.fe_http_addr()
        ))
        .body(json!({"db": "f_exp"}).to_string())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["expired"], 1);
}
