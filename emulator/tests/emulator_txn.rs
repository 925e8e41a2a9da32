//! Transaction Stream Load (§4): state machine, invisibility before commit, timeouts, binding to
//! the coordinator BE, and the BE's transaction-context rules.
mod common;
use common::*;
use serde_json::Value;
use starrocks_emulator::EmulatorConfig;
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

fn msg(v: &Value) -> String {
    v["Message"].as_str().unwrap_or("").to_string()
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
    // begin again with the same label reaches the same BE, which already holds the context:
    // LABEL_ALREADY_EXISTS with an empty ExistingJobStatus (TransactionMgr::begin_transaction)
    let b2 = txn_op(&emu, "begin", "T1", "tx_sm", "t", &[]);
    assert_eq!(b2["Status"], "LABEL_ALREADY_EXISTS", "{b2}");
    assert_eq!(b2["ExistingJobStatus"], "");
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
    assert_eq!(p["LoadBytes"], 12);
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
    // prepare removed the BE context: a load or a second prepare answers TXN_NOT_EXISTS
    let l = txn_load(
        &emu,
        "T1",
        "tx_sm",
        "t",
        &[("column_separator", ",")],
        b"4,d\n",
    );
    assert_eq!(l["Status"], "TXN_NOT_EXISTS", "{l}");
    let p2 = txn_op(&emu, "prepare", "T1", "tx_sm", "t", &[]);
    assert_eq!(p2["Status"], "TXN_NOT_EXISTS", "{p2}");
    // the FE commits a PREPARED transaction itself: TxnId and Label, no row counts
    let cm = txn_op(&emu, "commit", "T1", "tx_sm", "t", &[]);
    assert_eq!(cm["Status"], "OK", "{cm}");
    assert_eq!(cm["Label"], "T1");
    assert_eq!(cm["TxnId"], b["TxnId"]);
    assert!(cm.get("NumberLoadedRows").is_none(), "{cm}");
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
    // commit again: OK, already committed; no double apply
    let cm = txn_op(&emu, "commit", "T1", "tx_sm", "t", &[]);
    assert_eq!(cm["Status"], "OK");
    assert_eq!(
        msg(&cm),
        format!(
            "Transaction {} has already committed, label is T1",
            b["TxnId"]
        )
    );
    assert_eq!(emu.load_count("tx_sm", "t"), 1);
    // rollback of committed fails; begin of committed label → LABEL_ALREADY_EXISTS FINISHED
    let rb = txn_op(&emu, "rollback", "T1", "tx_sm", "t", &[]);
    assert_eq!(rb["Status"], "FAILED");
    assert!(
        msg(&rb).contains("Can not abort VISIBLE transaction"),
        "{rb}"
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
    // TransactionLoadAction.getTxnOperationHandler: an unknown label
    for op in ["prepare", "commit", "rollback"] {
        let v = txn_op(&emu, op, "nope", "tx_err", "t", &[]);
        assert_eq!(v["Status"], "FAILED", "{op}: {v}");
        assert!(
            msg(&v).contains("No transaction found with db[tx_err] and label[nope]"),
            "{op}: {v}"
        );
    }
    let v = txn_load(&emu, "nope", "tx_err", "t", &[], b"1\ta\n");
    assert_eq!(v["Status"], "FAILED", "{v}");
    assert!(msg(&v).contains("Can't find the transaction"), "{v}");
    // on a BE the context is simply missing
    let v = txn_op_at(emu.be_http_addr(), "commit", "nope", "tx_err", "t", &[]);
    assert_eq!(v["Status"], "TXN_NOT_EXISTS", "{v}");
    // begin on unknown table (checked by the FE's begin, reached from the BE) / unknown db (FE)
    let v = txn_op(&emu, "begin", "x", "tx_err", "zz", &[]);
    assert_ne!(v["Status"], "OK", "{v}");
    assert!(msg(&v).contains("zz"), "{v}");
    let v = txn_op(&emu, "begin", "x", "nodb", "t", &[]);
    assert_eq!(v["Status"], "FAILED");
    assert!(msg(&v).contains("Database[nodb] does not exist."), "{v}");
    // rollback from PREPARED (the FE does it)
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
    let v = txn_op(&emu, "commit", "R1", "tx_err", "t", &[]);
    assert_eq!(v["Status"], "FAILED");
    assert!(
        msg(&v).contains("Can not commit ABORTED transaction"),
        "{v}"
    );
    let v = txn_op(&emu, "rollback", "R1", "tx_err", "t", &[]);
    assert_eq!(v["Status"], "OK");
    assert!(msg(&v).contains("has already aborted"), "{v}");
    assert!(emu.rows("tx_err", "t").unwrap().is_empty());
    // an aborted label can begin again
    assert_eq!(
        txn_op(&emu, "begin", "R1", "tx_err", "t", &[])["Status"],
        "OK"
    );
    // a body that does not parse is noticed when prepare finishes the stream: prepare fails
    // and rolls the transaction back (the load itself only appends to the pipe)
    let v = txn_load(&emu, "R1", "tx_err", "t", &[("format", "json")], b"{bad");
    assert_eq!(v["Status"], "OK", "{v}");
    let p = txn_op(&emu, "prepare", "R1", "tx_err", "t", &[]);
    assert_eq!(p["Status"], "INTERNAL_ERROR", "{p}");
    assert!(msg(&p).contains("The JSON is invalid"), "{p}");
    assert_eq!(load_state(&emu, "tx_err", "R1"), "ABORTED");
    // filtered rows beyond max_filter_ratio: prepare fails with the ErrorURL and aborts
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
    assert!(v.get("ErrorURL").is_none(), "{v}");
    let p = txn_op(&emu, "prepare", "F1", "tx_err", "t", &[]);
    assert_eq!(p["Status"], "INTERNAL_ERROR", "{p}");
    assert_eq!(msg(&p), "too many filtered rows");
    let log = http()
        .get(p["ErrorURL"].as_str().expect("ErrorURL"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(log.contains("Row: x\ta"), "{log}");
    assert_eq!(load_state(&emu, "tx_err", "F1"), "ABORTED");
    // commit directly from PREPARE (prepare is optional)
    txn_op(&emu, "begin", "D1", "tx_err", "t", &[]);
    txn_load(&emu, "D1", "tx_err", "t", &[], b"5\te\n");
    let cm = txn_op(&emu, "commit", "D1", "tx_err", "t", &[]);
    assert_eq!(cm["Status"], "OK", "{cm}");
    assert_eq!(
        cm["NumberLoadedRows"], 1,
        "the BE commits it and reports rows"
    );
    assert_eq!(emu.rows("tx_err", "t").unwrap(), vec![vec![s("5"), s("e")]]);
}

#[test]
fn timeouts_abort_prepare_and_prepared() {
    let emu = start();
    setup(&emu, "tx_to");
    let f = emu.faults();
    // PREPARE past `timeout`: the FE aborts it ("timeout by txn manager"), the BE context goes
    txn_op(&emu, "begin", "A", "tx_to", "t", &[("timeout", "5")]);
    txn_load(&emu, "A", "tx_to", "t", &[], b"1\ta\n");
    f.advance_clock(Duration::from_secs(6));
    assert_eq!(load_state(&emu, "tx_to", "A"), "ABORTED");
    assert_eq!(
        txn_op(&emu, "prepare", "A", "tx_to", "t", &[])["Status"],
        "TXN_NOT_EXISTS"
    );
    // idle_transaction_timeout: the BE's clean thread aborts once the context was idle longer
    // than the timeout plus its 30 s check interval (tsl_reach_idle_timeout)
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
    f.advance_clock(Duration::from_secs(30));
    assert_eq!(
        load_state(&emu, "tx_to", "B"),
        "PREPARE",
        "activity resets the idle timer; 30 s < 3 s + 30 s"
    );
    f.advance_clock(Duration::from_secs(4));
    assert_eq!(load_state(&emu, "tx_to", "B"), "ABORTED");
    // prepared_timeout is not honoured before v3.5.4: a PREPARED txn keeps the FE default
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
    f.advance_clock(Duration::from_secs(60));
    assert_eq!(load_state(&emu, "tx_to", "C"), "PREPARED");
    assert_eq!(
        txn_op(&emu, "commit", "C", "tx_to", "t", &[])["Status"],
        "OK"
    );
    // a PREPARED txn survives the load timeout
    txn_op(&emu, "begin", "D", "tx_to", "t", &[("timeout", "5")]);
    txn_load(&emu, "D", "tx_to", "t", &[], b"4\td\n");
    txn_op(&emu, "prepare", "D", "tx_to", "t", &[]);
    f.advance_clock(Duration::from_secs(60));
    assert_eq!(load_state(&emu, "tx_to", "D"), "PREPARED");
    assert_eq!(
        txn_op(&emu, "commit", "D", "tx_to", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(
        emu.rows("tx_to", "t").unwrap(),
        vec![vec![s("3"), s("c")], vec![s("4"), s("d")]]
    );
    // invalid prepared_timeout
    txn_op(&emu, "begin", "E", "tx_to", "t", &[]);
    txn_load(&emu, "E", "tx_to", "t", &[], b"5\te\n");
    let v = txn_op(
        &emu,
        "prepare",
        "E",
        "tx_to",
        "t",
        &[("prepared_timeout", "-1")],
    );
    assert_eq!(v["Status"], "INVALID_ARGUMENT", "{v}");
    assert_eq!(msg(&v), "Invalid prepared_timeout: -1");
}

#[test]
fn prepared_timeout_from_3_5_4() {
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        version: "3.5.4 emulator".into(),
        ..Default::default()
    });
    setup(&emu, "tx_pt");
    txn_op(&emu, "begin", "C", "tx_pt", "t", &[]);
    txn_load(&emu, "C", "tx_pt", "t", &[], b"3\tc\n");
    let p = txn_op(
        &emu,
        "prepare",
        "C",
        "tx_pt",
        "t",
        &[("prepared_timeout", "10")],
    );
    assert_eq!(p["Status"], "OK", "{p}");
    emu.faults().advance_clock(Duration::from_secs(9));
    assert_eq!(load_state(&emu, "tx_pt", "C"), "PREPARED");
    emu.faults().advance_clock(Duration::from_secs(2));
    assert_eq!(load_state(&emu, "tx_pt", "C"), "ABORTED");
    let v = txn_op(&emu, "commit", "C", "tx_pt", "t", &[]);
    assert_eq!(v["Status"], "FAILED", "{v}");
    assert!(emu.rows("tx_pt", "t").unwrap().is_empty());
}

#[test]
fn txn_in_processing_while_a_load_runs() {
    let emu = start();
    setup(&emu, "tx_busy");
    txn_op(&emu, "begin", "P", "tx_busy", "t", &[]);
    // Open a load on the BE with Expect: 100-continue and send headers only. The emulator marks
    // the context busy before it sends the interim 100, so after reading it the txn is busy.
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
    for op in ["commit", "prepare"] {
        let v = txn_op(&emu, op, "P", "tx_busy", "t", &[]);
        assert_eq!(v["Status"], "TXN_IN_PROCESSING", "{op}: {v}");
        assert_eq!(v["Label"], "P");
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
    // TransactionMgr::rollback_transaction takes no lock: a rollback during a load succeeds
    txn_op(&emu, "begin", "Q", "tx_busy", "t", &[]);
    let head = head.replace("label: P", "label: Q");
    let mut sock = std::net::TcpStream::connect(emu.be_http_addr()).unwrap();
    sock.write_all(head.as_bytes()).unwrap();
    sock.read_exact(&mut interim).unwrap();
    let v = txn_op(&emu, "rollback", "Q", "tx_busy", "t", &[]);
    assert_eq!(v["Status"], "OK", "{v}");
    assert_eq!(load_state(&emu, "tx_busy", "Q"), "ABORTED");
    sock.write_all(b"9\tz\n").unwrap();
    let mut resp = String::new();
    sock.read_to_string(&mut resp).unwrap();
    assert!(resp.contains("\"Status\": \"ABORTED\""), "{resp}");
}

fn multi_be() -> starrocks_emulator::Emulator {
    start_with(EmulatorConfig {
        password: PASSWORD.into(),
        backends: 3,
        ..Default::default()
    })
}

fn be_index(emu: &starrocks_emulator::Emulator, location: &str) -> usize {
    emu.be_http_addrs()
        .iter()
        .position(|a| location.contains(&a.to_string()))
        .unwrap_or_else(|| panic!("{location} is not a BE"))
}

#[test]
fn transaction_is_bound_to_the_be_that_began_it() {
    let emu = multi_be();
    setup(&emu, "tx_bind");
    let bes = emu.be_http_addrs();
    assert_eq!(bes.len(), 3);
    assert_eq!(bes[0], emu.be_http_addr());
    // begin on the FE is a 307 to a BE; the BE begins the transaction
    let (code, loc) = txn_op_once(emu.fe_http_addr(), "begin", "B1", "tx_bind", "t", &[]);
    assert_eq!(code, 307);
    let k = be_index(&emu, &loc);
    let b = txn_op_at(bes[k], "begin", "B1", "tx_bind", "t", &[]);
    assert_eq!(b["Status"], "OK", "{b}");
    // the FE sends load, prepare and commit/rollback of the PREPARE txn to that BE
    for op in ["load", "prepare", "commit", "rollback"] {
        let (code, loc) = txn_op_once(emu.fe_http_addr(), op, "B1", "tx_bind", "t", &[]);
        assert_eq!(code, 307, "{op}");
        assert_eq!(be_index(&emu, &loc), k, "{op} goes to the coordinator BE");
    }
    // another BE has no context for the label
    let other = bes[(k + 1) % 3];
    let v = txn_load_at(other, "B1", "tx_bind", "t", &[], b"1\ta\n");
    assert_eq!(v["Status"], "TXN_NOT_EXISTS", "{v}");
    assert_eq!(
        txn_op_at(other, "prepare", "B1", "tx_bind", "t", &[])["Status"],
        "TXN_NOT_EXISTS"
    );
    assert_eq!(
        txn_op_at(other, "rollback", "B1", "tx_bind", "t", &[])["Status"],
        "TXN_NOT_EXISTS"
    );
    let v = txn_load_at(bes[k], "B1", "tx_bind", "t", &[], b"1\ta\n");
    assert_eq!(v["Status"], "OK", "{v}");
    assert_eq!(
        txn_op_at(bes[k], "prepare", "B1", "tx_bind", "t", &[])["Status"],
        "OK"
    );
    // after prepare the context is gone on every BE; only the FE can commit now
    assert_eq!(
        txn_op_at(bes[k], "commit", "B1", "tx_bind", "t", &[])["Status"],
        "TXN_NOT_EXISTS"
    );
    let (code, body) = txn_op_once(emu.fe_http_addr(), "commit", "B1", "tx_bind", "t", &[]);
    assert_eq!(code, 200, "the FE answers a PREPARED commit itself: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Status"], "OK");
    assert_eq!(
        emu.rows("tx_bind", "t").unwrap(),
        vec![vec![s("1"), s("a")]]
    );
    // a client may also begin on a BE directly; the FE then finds the coordinator from the
    // transaction state
    let j = (k + 2) % 3;
    assert_eq!(
        txn_op_at(bes[j], "begin", "B2", "tx_bind", "t", &[])["Status"],
        "OK"
    );
    let (code, loc) = txn_op_once(emu.fe_http_addr(), "load", "B2", "tx_bind", "t", &[]);
    assert_eq!(code, 307);
    assert_eq!(be_index(&emu, &loc), j);
    // BE-side checks of a load
    let v = txn_load_at(bes[j], "B2", "tx_bind", "zz", &[], b"2\tb\n");
    assert_eq!(v["Status"], "INVALID_ARGUMENT");
    assert_eq!(msg(&v), "Request table zz not equal transaction table t");
}

#[test]
fn be_restart_drops_its_transaction_contexts() {
    let emu = multi_be();
    setup(&emu, "tx_rs");
    let b = txn_op(&emu, "begin", "R", "tx_rs", "t", &[("timeout", "100")]);
    assert_eq!(b["Status"], "OK");
    let (_, loc) = txn_op_once(emu.fe_http_addr(), "load", "R", "tx_rs", "t", &[]);
    let k = be_index(&emu, &loc);
    assert_eq!(
        txn_load(&emu, "R", "tx_rs", "t", &[], b"1\ta\n")["Status"],
        "OK"
    );
    assert_eq!(emu.faults().restart_be(k), 1);
    // the FE still says PREPARE; the BE knows nothing any more
    assert_eq!(load_state(&emu, "tx_rs", "R"), "PREPARE");
    let v = txn_load(&emu, "R", "tx_rs", "t", &[], b"2\tb\n");
    assert_eq!(v["Status"], "TXN_NOT_EXISTS", "{v}");
    for op in ["prepare", "commit", "rollback"] {
        let v = txn_op(&emu, op, "R", "tx_rs", "t", &[]);
        assert_eq!(v["Status"], "TXN_NOT_EXISTS", "{op}: {v}");
    }
    // the label stays taken until the FE's timeout aborts the transaction
    let v = txn_op(&emu, "begin", "R", "tx_rs", "t", &[]);
    assert_eq!(v["Status"], "LABEL_ALREADY_EXISTS", "{v}");
    assert_eq!(v["ExistingJobStatus"], "RUNNING");
    emu.faults().advance_clock(Duration::from_secs(101));
    assert_eq!(load_state(&emu, "tx_rs", "R"), "ABORTED");
    assert_eq!(
        txn_op(&emu, "begin", "R", "tx_rs", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(
        txn_load(&emu, "R", "tx_rs", "t", &[], b"3\tc\n")["Status"],
        "OK"
    );
    assert_eq!(
        txn_op(&emu, "commit", "R", "tx_rs", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(emu.rows("tx_rs", "t").unwrap(), vec![vec![s("3"), s("c")]]);
}

#[test]
fn be_context_rules_of_prepare_and_loads() {
    let emu = start();
    setup(&emu, "tx_ctx");
    // prepare without any loaded data fails and rolls back
    txn_op(&emu, "begin", "E", "tx_ctx", "t", &[]);
    let p = txn_op(&emu, "prepare", "E", "tx_ctx", "t", &[]);
    assert_eq!(p["Status"], "INTERNAL_ERROR", "{p}");
    assert!(msg(&p).contains("hasn't send any data yet"), "{p}");
    assert!(msg(&p).contains("label=E, db=tx_ctx"), "{p}");
    assert_eq!(load_state(&emu, "tx_ctx", "E"), "ABORTED");
    // the first load's headers are the plan; a load with other headers is refused and the
    // transaction rolled back
    txn_op(&emu, "begin", "H", "tx_ctx", "t", &[]);
    assert_eq!(
        txn_load(
            &emu,
            "H",
            "tx_ctx",
            "t",
            &[("column_separator", ",")],
            b"1,a\n"
        )["Status"],
        "OK"
    );
    let v = txn_load(
        &emu,
        "H",
        "tx_ctx",
        "t",
        &[("column_separator", "|")],
        b"2|b\n",
    );
    assert_eq!(v["Status"], "INTERNAL_ERROR", "{v}");
    assert_eq!(msg(&v), "load request not equal last.");
    assert_eq!(load_state(&emu, "tx_ctx", "H"), "ABORTED");
    // CSV bodies of one transaction are one stream: a row may span two loads
    txn_op(&emu, "begin", "S", "tx_ctx", "t", &[]);
    assert_eq!(
        txn_load(&emu, "S", "tx_ctx", "t", &[], b"7\tse")["Status"],
        "OK"
    );
    assert_eq!(
        txn_load(&emu, "S", "tx_ctx", "t", &[], b"ven\n8\teight")["Status"],
        "OK"
    );
    let p = txn_op(&emu, "prepare", "S", "tx_ctx", "t", &[]);
    assert_eq!(p["Status"], "OK", "{p}");
    assert_eq!(p["NumberTotalRows"], 2);
    assert_eq!(
        txn_op(&emu, "commit", "S", "tx_ctx", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(
        emu.rows("tx_ctx", "t").unwrap(),
        vec![vec![s("7"), s("seven")], vec![s("8"), s("eight")]]
    );
    // JSON: each load is one complete document
    txn_op(&emu, "begin", "J", "tx_ctx", "t", &[]);
    let h = [("format", "json")];
    assert_eq!(
        txn_load(&emu, "J", "tx_ctx", "t", &h, br#"{"id": 9, "name": "n"}"#)["Status"],
        "OK"
    );
    assert_eq!(
        txn_load(&emu, "J", "tx_ctx", "t", &h, br#"{"id": 10}"#)["Status"],
        "OK"
    );
    let p = txn_op(&emu, "prepare", "J", "tx_ctx", "t", &[]);
    assert_eq!(p["NumberLoadedRows"], 2, "{p}");
    // transaction loads do not forward enclose/escape/skip_header/trim_space
    // (TransactionStreamLoadAction::_parse_request): quotes stay data
    txn_op(&emu, "begin", "Q", "tx_ctx", "t", &[]);
    let h = [
        ("column_separator", ","),
        ("enclose", "\""),
        ("skip_header", "1"),
    ];
    assert_eq!(
        txn_load(&emu, "Q", "tx_ctx", "t", &h, b"11,\"q\"\n")["Status"],
        "OK"
    );
    assert_eq!(
        txn_op(&emu, "commit", "Q", "tx_ctx", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(
        emu.rows("tx_ctx", "t").unwrap().last().unwrap(),
        &vec![s("11"), s("\"q\"")]
    );
    // max_filter_ratio is taken from the first load only
    txn_op(&emu, "begin", "M", "tx_ctx", "t", &[]);
    assert_eq!(
        txn_load(
            &emu,
            "M",
            "tx_ctx",
            "t",
            &[("max_filter_ratio", "0.5")],
            b"x\tbad\n"
        )["Status"],
        "OK"
    );
    assert_eq!(
        txn_load(&emu, "M", "tx_ctx", "t", &[], b"12\tok\n")["Status"],
        "OK"
    );
    let p = txn_op(&emu, "prepare", "M", "tx_ctx", "t", &[]);
    assert_eq!(p["Status"], "OK", "{p}");
    assert_eq!(p["NumberFilteredRows"], 1);
}

#[test]
fn follower_fe_redirects_transactions_to_the_leader() {
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        fe_followers: 1,
        backends: 2,
        ..Default::default()
    });
    setup(&emu, "tx_fol");
    let follower = emu.fe_follower_http_addrs()[0];
    for op in ["begin", "load", "prepare", "commit", "rollback"] {
        let (code, loc) = txn_op_once(follower, op, "F", "tx_fol", "t", &[]);
        assert_eq!(code, 307, "{op}");
        assert_eq!(
            loc,
            format!("http://{}/api/transaction/{op}", emu.fe_http_addr()),
            "{op}"
        );
    }
    let b = txn_op_at(follower, "begin", "F", "tx_fol", "t", &[]);
    assert_eq!(b["Status"], "OK", "follower → leader → BE: {b}");
    // a one-shot Stream Load is redirected by the follower straight to a BE
    let r = http()
        .put(format!("http://{follower}/api/tx_fol/t/_stream_load"))
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .header("Content-Length", "0")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        emu.be_http_addrs()
            .iter()
            .any(|a| loc.contains(&a.to_string())),
        "{loc}"
    );
}
