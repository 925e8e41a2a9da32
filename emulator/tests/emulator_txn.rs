//! Transaction Stream Load (§4): state machine, invisibility before commit, timeouts.
mod common;
use common::*;
use std::time::Duration;

const PK: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(10) NULL) \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn setup(emu: &starrocks_emulator::Emulator, db: &str) {
    let mut c = conn(emu);
    setup_db(&mut c, db, &[PK]);
}

#[test]
fn full_state_machine_and_invisibility() {
    let emu = start();
    setup(&emu, "tx_sm");
    let b = txn_op(&emu, "begin", "T1", "tx_sm", "t", &[("timeout", "600")]);
    assert_eq!(b["Status"], "OK", "{b}");
    assert_eq!(b["Label"], "T1");
    assert!(b["TxnId"].as_u64().is_some());
    assert!(b.get("BeginTxnTimeMs").is_some());
    assert_eq!(load_state(&emu, "tx_sm", "T1"), "PREPARE");
    // begin again with the same label: LABEL_ALREADY_EXISTS
    let b2 = txn_op(&emu, "begin", "T1", "tx_sm", "t", &[]);
    assert_eq!(b2["Status"], "LABEL_ALREADY_EXISTS", "{b2}");
    assert_eq!(b2["ExistingJobStatus"], "RUNNING");
    let l = txn_load(
        &emu,
        "T1",
        "tx_sm",
        "t",
        &[("column_separator", ",")],
        b"1,a\n2,b\n",
    );
    assert_eq!(l["Status"], "OK", "{l}");
    assert_eq!(l["LoadBytes"], 8);
    assert!(l["TxnId"].as_u64().is_some());
    let l = txn_load(
        &emu,
        "T1",
        "tx_sm",
        "t",
        &[("column_separator", ",")],
        b"3,c\n",
    );
    assert_eq!(l["Status"], "OK", "{l}");
    assert!(
        emu.rows("tx_sm", "t").unwrap().is_empty(),
        "PREPARE data is invisible"
    );
    let p = txn_op(&emu, "prepare", "T1", "tx_sm", "t", &[]);
    assert_eq!(p["Status"], "OK", "{p}");
    assert_eq!(p["NumberTotalRows"], 3);
    assert_eq!(p["NumberLoadedRows"], 3);
    assert_eq!(p["NumberFilteredRows"], 0);
    assert_eq!(p["NumberUnselectedRows"], 0);
    assert_eq!(load_state(&emu, "tx_sm", "T1"), "PREPARED");
    assert!(
        emu.rows("tx_sm", "t").unwrap().is_empty(),
        "PREPARED data is invisible"
    );
    let mut c = conn(&emu);
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM tx_sm.t"),
        vec![vec![s("0")]]
    );
    // loads after prepare fail
    let l = txn_load(
        &emu,
        "T1",
        "tx_sm",
        "t",
        &[("column_separator", ",")],
        b"4,d\n",
    );
    assert_eq!(l["Status"], "FAILED", "{l}");
    let cm = txn_op(&emu, "commit", "T1", "tx_sm", "t", &[]);
    assert_eq!(cm["Status"], "OK", "{cm}");
    assert_eq!(cm["NumberLoadedRows"], 3);
    assert_eq!(load_state(&emu, "tx_sm", "T1"), "VISIBLE");
    assert_eq!(
        emu.rows("tx_sm", "t").unwrap(),
        vec![
            vec![s("1"), s("a")],
            vec![s("2"), s("b")],
            vec![s("3"), s("c")]
        ]
    );
    assert_eq!(emu.load_count("tx_sm", "t"), 1);
    // commit again: OK, already commited; no double apply
    let cm = txn_op(&emu, "commit", "T1", "tx_sm", "t", &[]);
    assert_eq!(cm["Status"], "OK");
    assert_eq!(cm["Message"], "Transaction already commited");
    assert_eq!(emu.load_count("tx_sm", "t"), 1);
    // rollback of committed fails; begin of committed label → LABEL_ALREADY_EXISTS FINISHED
    assert_eq!(
        txn_op(&emu, "rollback", "T1", "tx_sm", "t", &[])["Status"],
        "FAILED"
    );
    let b = txn_op(&emu, "begin", "T1", "tx_sm", "t", &[]);
    assert_eq!(b["Status"], "LABEL_ALREADY_EXISTS");
    assert_eq!(b["ExistingJobStatus"], "FINISHED");
    // plain Stream Load with a txn label → Label Already Exists / FINISHED
    let v = stream_load(&emu, "tx_sm", "t", &[("label", "T1")], b"9\tz\n");
    assert_eq!(v["Status"], "Label Already Exists");
    assert_eq!(v["ExistingJobStatus"], "FINISHED");
}

#[test]
fn unknown_txn_rollback_and_errors() {
    let emu = start();
    setup(&emu, "tx_err");
    for op in ["prepare", "commit", "rollback"] {
        let v = txn_op(&emu, op, "nope", "tx_err", "t", &[]);
        assert_eq!(v["Status"], "TXN_NOT_EXISTS", "{op}: {v}");
    }
    let v = txn_load(&emu, "nope", "tx_err", "t", &[], b"1\ta\n");
    assert_eq!(v["Status"], "TXN_NOT_EXISTS");
    // begin on unknown table/db → FAILED
    assert_eq!(
        txn_op(&emu, "begin", "x", "tx_err", "zz", &[])["Status"],
        "FAILED"
    );
    assert_eq!(
        txn_op(&emu, "begin", "x", "nodb", "t", &[])["Status"],
        "FAILED"
    );
    // rollback from PREPARED
    txn_op(&emu, "begin", "R1", "tx_err", "t", &[]);
    txn_load(&emu, "R1", "tx_err", "t", &[], b"1\ta\n");
    assert_eq!(
        txn_op(&emu, "prepare", "R1", "tx_err", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(
        txn_op(&emu, "rollback", "R1", "tx_err", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(load_state(&emu, "tx_err", "R1"), "ABORTED");
    assert_eq!(
        txn_op(&emu, "commit", "R1", "tx_err", "t", &[])["Status"],
        "FAILED"
    );
    assert!(emu.rows("tx_err", "t").unwrap().is_empty());
    // an aborted label can begin again
    assert_eq!(
        txn_op(&emu, "begin", "R1", "tx_err", "t", &[])["Status"],
        "OK"
    );
    // an error in load aborts the transaction (bad JSON)
    let v = txn_load(&emu, "R1", "tx_err", "t", &[("format", "json")], b"{bad");
    assert_eq!(v["Status"], "FAILED", "{v}");
    assert_eq!(load_state(&emu, "tx_err", "R1"), "ABORTED");
    // filtered rows beyond max_filter_ratio: prepare fails and aborts
    txn_op(&emu, "begin", "F1", "tx_err", "t", &[]);
    let v = txn_load(
        &emu,
        "F1",
        "tx_err",
        "t",
        &[("strict_mode", "true")],
        b"x\ta\n2\tb\n",
    );
    assert_eq!(v["Status"], "OK");
    assert!(v["ErrorURL"].is_string(), "{v}");
    let p = txn_op(&emu, "prepare", "F1", "tx_err", "t", &[]);
    assert_eq!(p["Status"], "FAILED", "{p}");
    assert_eq!(p["NumberFilteredRows"], 1);
    assert_eq!(load_state(&emu, "tx_err", "F1"), "ABORTED");
    // commit directly from PREPARE (prepare is optional)
    txn_op(&emu, "begin", "D1", "tx_err", "t", &[]);
    txn_load(&emu, "D1", "tx_err", "t", &[], b"5\te\n");
    assert_eq!(
        txn_op(&emu, "commit", "D1", "tx_err", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(emu.rows("tx_err", "t").unwrap(), vec![vec![s("5"), s("e")]]);
}

#[test]
fn timeouts_abort_prepare_and_prepared() {
    let emu = start();
    setup(&emu, "tx_to");
    let f = emu.faults();
    // PREPARE past `timeout`
    txn_op(&emu, "begin", "A", "tx_to", "t", &[("timeout", "5")]);
    txn_load(&emu, "A", "tx_to", "t", &[], b"1\ta\n");
    f.advance_clock(Duration::from_secs(6));
    assert_eq!(load_state(&emu, "tx_to", "A"), "ABORTED");
    assert_eq!(
        txn_op(&emu, "prepare", "A", "tx_to", "t", &[])["Status"],
        "FAILED"
    );
    // idle_transaction_timeout
    txn_op(
        &emu,
        "begin",
        "B",
        "tx_to",
        "t",
        &[("timeout", "600"), ("idle_transaction_timeout", "3")],
    );
    f.advance_clock(Duration::from_secs(2));
    txn_load(&emu, "B", "tx_to", "t", &[], b"2\tb\n");
    f.advance_clock(Duration::from_secs(2));
    assert_eq!(
        load_state(&emu, "tx_to", "B"),
        "PREPARE",
        "activity resets the idle timer"
    );
    f.advance_clock(Duration::from_secs(2));
    assert_eq!(load_state(&emu, "tx_to", "B"), "ABORTED");
    // PREPARED past prepared_timeout
    txn_op(&emu, "begin", "C", "tx_to", "t", &[]);
    txn_load(&emu, "C", "tx_to", "t", &[], b"3\tc\n");
    assert_eq!(
        txn_op(
            &emu,
            "prepare",
            "C",
            "tx_to",
            "t",
            &[("prepared_timeout", "10")]
        )["Status"],
        "OK"
    );
    f.advance_clock(Duration::from_secs(9));
    assert_eq!(load_state(&emu, "tx_to", "C"), "PREPARED");
    f.advance_clock(Duration::from_secs(2));
    assert_eq!(load_state(&emu, "tx_to", "C"), "ABORTED");
    assert_eq!(
        txn_op(&emu, "commit", "C", "tx_to", "t", &[])["Status"],
        "FAILED"
    );
    // a PREPARED txn without prepared_timeout survives the load timeout
    txn_op(&emu, "begin", "D", "tx_to", "t", &[("timeout", "5")]);
    txn_load(&emu, "D", "tx_to", "t", &[], b"4\td\n");
    txn_op(&emu, "prepare", "D", "tx_to", "t", &[]);
    f.advance_clock(Duration::from_secs(60));
    assert_eq!(load_state(&emu, "tx_to", "D"), "PREPARED");
    assert_eq!(
        txn_op(&emu, "commit", "D", "tx_to", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(emu.rows("tx_to", "t").unwrap(), vec![vec![s("4"), s("d")]]);
}

#[test]
fn txn_in_processing_while_a_load_runs() {
    let emu = start();
    setup(&emu, "tx_busy");
    txn_op(&emu, "begin", "P", "tx_busy", "t", &[]);
    // Open a load on the BE with Expect: 100-continue and send headers only. The emulator marks
    // the txn busy before it sends the interim 100, so after reading it the txn is busy.
    let auth = basic("root", PASSWORD);
    let head = format!(
        "PUT /api/transaction/load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nlabel: P\r\ndb: tx_busy\r\ntable: t\r\nContent-Length: 4\r\n\r\n"
    );
    use std::io::{Read, Write};
    let mut sock = std::net::TcpStream::connect(emu.be_http_addr()).unwrap();
    sock.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    sock.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    for op in ["commit", "prepare", "rollback"] {
        let v = txn_op(&emu, op, "P", "tx_busy", "t", &[]);
        assert_eq!(v["Status"], "TXN_IN_PROCESSING", "{op}: {v}");
    }
    let v = txn_load(&emu, "P", "tx_busy", "t", &[], b"2\tb\n");
    assert_eq!(v["Status"], "TXN_IN_PROCESSING", "{v}");
    sock.write_all(b"1\ta\n").unwrap();
    let mut resp = String::new();
    sock.read_to_string(&mut resp).unwrap();
    assert!(resp.contains("\"Status\": \"OK\""), "{resp}");
    assert_eq!(
        txn_op(&emu, "commit", "P", "tx_busy", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(
        emu.rows("tx_busy", "t").unwrap(),
        vec![vec![s("1"), s("a")]]
    );
}
