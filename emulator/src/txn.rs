//! Transaction Stream Load (protocol §4): `/api/transaction/{begin,load,prepare,commit,rollback}`
//! on the leader FE and on the BEs.
//!
//! Modelled on StarRocks (newest stored sources):
//! - leader FE, `http/rest/TransactionLoadAction.executeTransaction` and
//!   `transaction/TransactionWithoutChannelHandler.handle`: `begin` is redirected (307) to a BE
//!   chosen by `TransactionLoadCoordinatorMgr.allocate` and cached for the label; `load` and
//!   `prepare` are redirected to the cached BE, or to the coordinator BE recorded in the FE
//!   transaction (`getNodeFromTransactionState`); `commit`/`rollback` of a PREPARE transaction
//!   are redirected there too, while a PREPARED/COMMITTED/VISIBLE/ABORTED transaction's
//!   commit/rollback is answered by the FE itself. `prepare`/`commit`/`rollback` of a label the
//!   FE knows nothing about: "No transaction found with db[..] and label[..]"
//!   (`getTxnOperationHandler`). FE errors answer `{"Status":"FAILED","Message":"<exception
//!   class>: <message>"}` (`executeWithoutPassword`'s catch).
//! - BE, `runtime/stream_load/transaction_mgr.cpp` (`TransactionMgr`) and
//!   `http/action/transaction_stream_load.cpp`: the transaction's context lives in the memory of
//!   the BE that ran `begin` (`stream_context_mgr`, keyed by label); any other BE — or the same BE
//!   after a restart — answers TXN_NOT_EXISTS. Loads append their bodies to one stream pipe
//!   (CSV: one byte stream, a row may span two loads; JSON: one complete JSON document per
//!   load) that the load's plan consumes; rows are counted and checked when `prepare`/`commit`
//!   finishes the pipe. The first load's headers are the plan; a later load whose
//!   `TStreamLoadPutRequest` differs fails with "load request not equal last." and the
//!   transaction is rolled back. `prepare`/`commit` without any loaded data fail with
//!   "transaction ... hasn't send any data yet" and roll back. A successful `prepare` or
//!   `commit` removes the context, so a second `prepare`, a load after `prepare`, or a commit
//!   sent to the BE after `prepare` answer TXN_NOT_EXISTS. BE answers carry the
//!   `TStatusCode` name as `Status` (`StreamLoadContext::to_resp_json`).

use crate::faults::{FaultKind, Target};
use crate::http::{Conn, Request};
use crate::load::{
    error_log, fe_failed, fe_redirect_fault, finish_json, new_txn, next_be, now_text, redirect,
    take_fault, uuid_like, valid_label, DEFAULT_PREPARED_TIMEOUT_S,
};
use crate::parse::{self, Format, LoadKind};
use crate::state::{BeCtx, Shared, State, TxnState};
use serde_json::{json, Value};

/// Java class name the FE prefixes to exception messages (`e.getClass() + ": " + ...`).
const EXC: &str = "class com.starrocks.common.StarRocksException";

fn fe_exc(conn: Conn, msg: String) {
    fe_failed(conn, format!("{EXC}: {msg}"));
}

/// Where the FE sends a transaction's `load`/`prepare` (`TransactionLoadCoordinatorMgr.get`).
fn coordinator(st: &State, db: &str, label: &str) -> Result<usize, String> {
    if let Some(be) = st.coord_cache.get(label) {
        return Ok(*be);
    }
    let Some(t) = st.dbs.get(db).and_then(|d| d.txns.get(label)) else {
        return Err(format!(
            "Can't find the transaction with db [{db}] and label[{label}]. The possible reasons: \
             1. FE leader is started or switched; 2. The transaction timeouts and is cleaned."
        ));
    };
    t.coordinator_be.ok_or_else(|| {
        format!(
            "The source type for transaction stream load with db [{db}] and label[{label}] should be BE, but is FE."
        )
    })
}

fn redirect_to_be(shared: &Shared, conn: Conn, req: &Request, be: usize) {
    let Some((conn, to_fe)) = fe_redirect_fault(shared, conn) else {
        return;
    };
    let target = if to_fe {
        shared.fe_http_addr.lock().ok().and_then(|a| *a)
    } else {
        shared.be_addr(be)
    };
    match target {
        Some(a) => redirect(conn, req, a),
        None => fe_exc(conn, format!("Can't find node id {be}.")),
    }
}

/// Leader FE.
pub fn fe_txn(shared: &Shared, req: &Request, conn: Conn, op: &str) {
    let db = req.header("db").unwrap_or("").trim().to_string();
    let label = req.header("label").unwrap_or("").trim().to_string();
    if db.is_empty() {
        return fe_exc(conn, "No database selected.".into());
    }
    if label.is_empty() {
        return fe_exc(conn, "Empty label.".into());
    }
    let op = op.to_ascii_lowercase();
    if !["begin", "load", "prepare", "commit", "rollback"].contains(&op.as_str()) {
        return fe_exc(conn, format!("Unknown transaction operation: {op}"));
    }
    if req.header("channel_id").is_some() || req.header("channel_num").is_some() {
        return fe_failed(
            conn,
            "not supported by the StarRocks emulator: parallel transaction stream load (channel_id/channel_num)"
                .into(),
        );
    }
    let mut st = shared.lock();
    if !st.dbs.contains_key(&db) {
        drop(st);
        return fe_exc(conn, format!("Database[{db}] does not exist."));
    }
    match op.as_str() {
        "begin" => {
            // TransactionLoadCoordinatorMgr.allocate: a cached BE keeps the label; else choose.
            let be = match st.coord_cache.get(&label) {
                Some(b) => *b,
                None => {
                    drop(st);
                    let b = next_be(shared);
                    st = shared.lock();
                    st.coord_cache.insert(label.clone(), b);
                    b
                }
            };
            drop(st);
            redirect_to_be(shared, conn, req, be)
        }
        "load" => match coordinator(&st, &db, &label) {
            Ok(be) => {
                drop(st);
                redirect_to_be(shared, conn, req, be)
            }
            Err(m) => {
                drop(st);
                fe_exc(conn, m)
            }
        },
        _ => {
            let cached = st.coord_cache.contains_key(&label);
            let txn = st
                .dbs
                .get(&db)
                .and_then(|d| d.txns.get(&label))
                .map(|t| (t.id, t.state));
            if !cached && txn.is_none() {
                drop(st);
                return fe_exc(
                    conn,
                    format!("No transaction found with db[{db}] and label[{label}]"),
                );
            }
            let be = coordinator(&st, &db, &label);
            drop(st);
            let go_be = |conn: Conn| match &be {
                Ok(b) => redirect_to_be(shared, conn, req, *b),
                Err(m) => fe_exc(conn, m.clone()),
            };
            if op == "prepare" {
                return go_be(conn);
            }
            let Some((id, state)) = txn else {
                return fe_exc(conn, format!("No transaction found by label {label}"));
            };
            match (op.as_str(), state) {
                (_, TxnState::Prepare) => go_be(conn),
                ("commit", TxnState::Prepared) => fe_commit_prepared(shared, conn, &db, &label),
                ("commit", TxnState::Committed | TxnState::Visible) => finish_json(
                    conn,
                    json!({"Status":"OK","Message":format!("Transaction {id} has already committed, label is {label}"),
                        "TxnId": id, "Label": label}),
                ),
                ("commit", TxnState::Aborted) => fe_exc(
                    conn,
                    format!("Can not commit ABORTED transaction {id}, label is {label}"),
                ),
                ("rollback", TxnState::Prepared) => fe_rollback_prepared(shared, conn, &db, &label),
                ("rollback", TxnState::Aborted) => finish_json(
                    conn,
                    json!({"Status":"OK","Message":format!("Transaction {id} has already aborted, label is {label}"),
                        "TxnId": id, "Label": label}),
                ),
                (_, s) => fe_exc(
                    conn,
                    format!(
                        "Can not abort {} transaction {id}, label is {label}",
                        s.name()
                    ),
                ),
            }
        }
    }
}

/// FE-side fault handling for commit/rollback of a PREPARED transaction. `Err(())`: answered.
fn fe_fault(conn: Conn, fault: &Option<FaultKind>, label: &str) -> Result<Conn, ()> {
    let mut conn = conn;
    match fault {
        Some(FaultKind::Status { status, message }) => {
            finish_json(
                conn,
                json!({"Status": status, "Message": message, "Label": label}),
            );
            Err(())
        }
        Some(FaultKind::MemLimitExceeded) => {
            finish_json(
                conn,
                json!({"Status":"FAILED","Message":"MEM_LIMIT_EXCEEDED: Memory of process exceed limit (injected by the StarRocks emulator)","Label": label}),
            );
            Err(())
        }
        Some(FaultKind::Http { code }) => {
            let _ = conn.respond(
                *code,
                &[],
                format!("injected HTTP {code} by the StarRocks emulator").as_bytes(),
                "text/plain",
            );
            conn.finish();
            Err(())
        }
        Some(FaultKind::DropMidBody { .. }) => {
            conn.drop_now();
            Err(())
        }
        _ => Ok(conn),
    }
}

/// `GlobalTransactionMgr.commitPreparedTransaction` (FE).
fn fe_commit_prepared(shared: &Shared, conn: Conn, db: &str, label: &str) {
    let fault = take_fault(shared, Target::TxnCommit);
    let Ok(conn) = fe_fault(conn, &fault, label) else {
        return;
    };
    let now = shared.now_ms();
    let mut st = shared.lock();
    let Some(d) = st.dbs.get_mut(db) else {
        drop(st);
        return fe_exc(conn, format!("Database[{db}] does not exist."));
    };
    let Some(t) = d
        .txns
        .get_mut(label)
        .filter(|t| t.state == TxnState::Prepared)
    else {
        drop(st);
        return fe_exc(conn, format!("No transaction found by label {label}"));
    };
    let publish_timeout = match &fault {
        Some(FaultKind::PublishTimeout { visible_after_ms }) => {
            t.state = TxnState::Committed;
            t.visible_at_ms = Some(now + visible_after_ms);
            true
        }
        _ => {
            t.state = TxnState::Visible;
            false
        }
    };
    let ops = std::mem::take(&mut t.ops);
    let (id, table, loaded) = (t.id, t.table.clone(), t.loaded_rows);
    d.commit_rows(&table, ops, loaded, true, shared.rows_mode());
    shared.persist_db(&mut st, db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    let v = if publish_timeout {
        json!({"Status":"PUBLISH_TIMEOUT","Message":"publish timeout","TxnId": id, "Label": label})
    } else {
        json!({"Status":"OK","Message":"","TxnId": id, "Label": label})
    };
    finish_json(conn, v)
}

/// `GlobalTransactionMgr.abortTransaction(.., "User Aborted")` (FE).
fn fe_rollback_prepared(shared: &Shared, conn: Conn, db: &str, label: &str) {
    let fault = take_fault(shared, Target::TxnRollback);
    let Ok(conn) = fe_fault(conn, &fault, label) else {
        return;
    };
    let mut st = shared.lock();
    let Some(t) = st
        .dbs
        .get_mut(db)
        .and_then(|d| d.txns.get_mut(label))
        .filter(|t| t.state == TxnState::Prepared)
    else {
        drop(st);
        return fe_exc(conn, format!("No transaction found by label {label}"));
    };
    t.state = TxnState::Aborted;
    t.reason = "User Aborted".into();
    t.ops.clear();
    let id = t.id;
    shared.persist_db(&mut st, db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    finish_json(
        conn,
        json!({"Status":"OK","Message":"","TxnId": id, "Label": label}),
    )
}

// ---------------------------------------------------------------------------------------------
// BE

/// A BE answer (`StreamLoadContext::to_resp_json`).
fn be_resp(status: &str, message: &str, label: &str) -> Value {
    let mut v = json!({"Status": status, "Message": message});
    if status == "TXN_IN_PROCESSING" || status == "OK" {
        v["Label"] = json!(label);
    }
    v
}

/// BE `StreamLoadContext::brief()`.
fn brief(ctx: &BeCtx) -> String {
    format!(
        "id={}, job_id=-1, txn_id: {}, label={}, db={}",
        ctx.load_id, ctx.txn_id, ctx.label, ctx.db
    )
}

/// BE `_rollback_transaction`: the FE transaction aborts with `reason`, the context is removed.
fn rollback(st: &mut State, be: usize, label: &str, reason: &str) {
    if let Some(ctx) = st.be_ctx.get_mut(be).and_then(|m| m.remove(label)) {
        if let Some(t) = st
            .dbs
            .get_mut(&ctx.db)
            .and_then(|d| d.txns.get_mut(label))
            .filter(|t| t.id == ctx.txn_id && t.state == TxnState::Prepare)
        {
            t.state = TxnState::Aborted;
            t.reason = reason.to_string();
            t.ops.clear();
        }
    }
}

pub fn be_txn(shared: &Shared, req: &Request, conn: Conn, op: &str, be: usize) {
    let label = req.header("label").unwrap_or("").to_string();
    let op = op.to_ascii_lowercase();
    if label.is_empty() {
        let msg = if op == "load" {
            "Invalid label ".to_string()
        } else {
            "empty label".to_string()
        };
        return finish_json(conn, be_resp("INVALID_ARGUMENT", &msg, ""));
    }
    match op.as_str() {
        "begin" => be_begin(shared, req, conn, &label, be),
        "load" => be_load(shared, req, conn, &label, be),
        "prepare" => be_commit(shared, req, conn, &label, be, true),
        "commit" => be_commit(shared, req, conn, &label, be, false),
        "rollback" => be_rollback(shared, req, conn, &label, be),
        other => finish_json(
            conn,
            be_resp(
                "INVALID_ARGUMENT",
                &format!("unsupport transaction operation {other}"),
                &label,
            ),
        ),
    }
}

/// BE-side fault handling before an operation. `Err(())`: answered.
fn be_fault(conn: Conn, fault: &Option<FaultKind>, label: &str) -> Result<Conn, ()> {
    let mut conn = conn;
    match fault {
        Some(FaultKind::Status { status, message }) => {
            finish_json(
                conn,
                json!({"Status": status, "Message": message, "Label": label}),
            );
            Err(())
        }
        Some(FaultKind::MemLimitExceeded) => {
            finish_json(
                conn,
                be_resp(
                    "MEM_LIMIT_EXCEEDED",
                    "Memory of process exceed limit (injected by the StarRocks emulator)",
                    label,
                ),
            );
            Err(())
        }
        Some(FaultKind::Http { code }) => {
            let _ = conn.respond(
                *code,
                &[],
                format!("injected HTTP {code} by the StarRocks emulator").as_bytes(),
                "text/plain",
            );
            conn.finish();
            Err(())
        }
        Some(FaultKind::DropMidBody { .. }) => {
            conn.drop_now();
            Err(())
        }
        _ => Ok(conn),
    }
}

fn parse_secs(v: Option<&str>) -> Result<Option<u64>, ()> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.trim().parse::<u64>().map(Some).map_err(|_| ()),
    }
}

fn be_begin(shared: &Shared, req: &Request, conn: Conn, label: &str, be: usize) {
    let fault = take_fault(shared, Target::TxnBegin);
    let Ok(conn) = be_fault(conn, &fault, label) else {
        return;
    };
    let db = req.header("db").unwrap_or("").to_string();
    let table = req.header("table").unwrap_or("").to_string();
    let (Ok(timeout), Ok(idle)) = (
        parse_secs(req.header("timeout")),
        parse_secs(req.header("idle_transaction_timeout")),
    ) else {
        return finish_json(
            conn,
            be_resp("INVALID_ARGUMENT", "Invalid timeout format", label),
        );
    };
    let now = shared.now_ms();
    let mut st = shared.lock();
    if st.be_ctx[be].contains_key(label) {
        drop(st);
        return finish_json(
            conn,
            json!({"Status":"LABEL_ALREADY_EXISTS","ExistingJobStatus":"","Message":""}),
        );
    }
    let id = st.alloc_txn_id();
    // FE loadTxnBegin (reached from BE StreamLoadExecutor::begin_txn).
    let err = |m: String| be_resp("ANALYSIS_ERROR", &m, label);
    let Some(d) = st.dbs.get_mut(&db) else {
        drop(st);
        return finish_json(conn, err(format!("Database[{db}] does not exist")));
    };
    if table.is_empty() || !d.tables.contains_key(&table) {
        drop(st);
        return finish_json(
            conn,
            err(format!("Table[{table}] does not exist in database[{db}]")),
        );
    }
    if !valid_label(label) {
        drop(st);
        return finish_json(
            conn,
            err(format!(
                "Invalid label format. regex: ^[-\\w]{{1,128}}$, label: {label}"
            )),
        );
    }
    if let Some(existing) = d.txns.get(label) {
        if existing.state != TxnState::Aborted {
            let v = json!({"Status":"LABEL_ALREADY_EXISTS",
                "ExistingJobStatus": existing.state.existing_job_status(),
                "Message": format!("Label [{label}] has already been used.")});
            drop(st);
            return finish_json(conn, v);
        }
    }
    let mut t = new_txn(
        id,
        label,
        &table,
        true,
        now,
        timeout
            .filter(|t| *t > 0)
            .unwrap_or(parse::DEFAULT_TIMEOUT_S),
    );
    t.coordinator_be = Some(be);
    d.txns.insert(label.to_string(), t);
    let load_id = uuid_like(shared, id);
    st.be_ctx[be].insert(
        label.to_string(),
        BeCtx {
            db: db.clone(),
            table,
            label: label.to_string(),
            txn_id: id,
            sig: None,
            params: None,
            csv: Vec::new(),
            json: Vec::new(),
            received_bytes: 0,
            has_sink: false,
            failed: None,
            busy: false,
            last_active_ms: now,
            idle_timeout_s: idle,
            load_id,
        },
    );
    shared.persist_db(&mut st, &db);
    drop(st);
    finish_json(
        conn,
        json!({"Status":"OK","Message":"","Label":label,"TxnId":id,"BeginTxnTimeMs":0}),
    )
}

fn be_load(shared: &Shared, req: &Request, mut conn: Conn, label: &str, be: usize) {
    let fault = take_fault(shared, Target::TxnLoad);
    let db = req.header("db").unwrap_or("").to_string();
    let table = req.header("table").unwrap_or("").to_string();
    let now = shared.now_ms();
    {
        let mut st = shared.lock();
        let Some(ctx) = st.be_ctx[be].get_mut(label) else {
            drop(st);
            return finish_json(
                conn,
                be_resp(
                    "TXN_NOT_EXISTS",
                    &format!("Transaction with label {label} not exists"),
                    label,
                ),
            );
        };
        if ctx.db != db {
            let m = format!(
                "Request database {db} not equal transaction database {}",
                ctx.db
            );
            drop(st);
            return finish_json(conn, be_resp("INVALID_ARGUMENT", &m, label));
        }
        if ctx.table != table {
            let m = format!(
                "Request table {table} not equal transaction table {}",
                ctx.table
            );
            drop(st);
            return finish_json(conn, be_resp("INVALID_ARGUMENT", &m, label));
        }
        if ctx.busy {
            drop(st);
            return finish_json(
                conn,
                be_resp(
                    "TXN_IN_PROCESSING",
                    "Transaction in processing, please retry later",
                    label,
                ),
            );
        }
        ctx.last_active_ms = now;
        // Checks of TransactionStreamLoadAction::_on_header; each failure rolls back.
        let check = (|| -> Result<(), (String, String)> {
            if ctx.failed.is_some() {
                return Err(("ABORTED".into(), "current transaction is aborted".into()));
            }
            let sig = parse::txn_signature(req);
            match &ctx.sig {
                Some(first) if *first != sig => {
                    return Err((
                        "INTERNAL_ERROR".into(),
                        "load request not equal last.".into(),
                    ))
                }
                Some(_) => {}
                None => {
                    let params = parse::parse_params(req, LoadKind::Txn, shared.version())
                        .map_err(|m| ("INVALID_ARGUMENT".to_string(), m))?;
                    ctx.sig = Some(sig);
                    ctx.params = Some(params);
                }
            }
            Ok(())
        })();
        if let Err((code, msg)) = check {
            rollback(&mut st, be, label, &msg);
            shared.persist_db(&mut st, &db);
            drop(st);
            return finish_json(conn, be_resp(&code, &msg, label));
        }
        // The first load plans the transaction (FE streamLoadPut).
        if !ctx.has_sink {
            let params = ctx.params.clone();
            let tname = ctx.table.clone();
            let def = st
                .dbs
                .get(&db)
                .and_then(|d| d.tables.get(&tname))
                .map(|t| t.def.clone());
            let planned = match (params, def) {
                (Some(p), Some(def)) => parse::plan_check(&p, &def),
                (_, None) => Err(format!("Table[{tname}] does not exist in database[{db}]")),
                (None, _) => Err("no plan".into()),
            };
            if let Err(m) = planned {
                rollback(&mut st, be, label, &m);
                shared.persist_db(&mut st, &db);
                drop(st);
                return finish_json(conn, be_resp("INTERNAL_ERROR", &m, label));
            }
            if let Some(ctx) = st.be_ctx[be].get_mut(label) {
                ctx.has_sink = true;
            }
        }
        if let Some(ctx) = st.be_ctx[be].get_mut(label) {
            ctx.busy = true;
        }
    }
    let limit = match &fault {
        Some(FaultKind::DropMidBody { after_bytes }) => Some(*after_bytes),
        _ => None,
    };
    let body = conn.read_body(req, limit);
    let mut st = shared.lock();
    let fail = match (&body, &fault) {
        (Err(e), _) => Some(format!("connection error while reading the body: {e}")),
        (Ok(_), Some(FaultKind::DropMidBody { .. })) => {
            Some("connection dropped while reading the body (injected fault)".to_string())
        }
        _ => None,
    };
    if let Some(m) = fail {
        rollback(&mut st, be, label, &m);
        shared.persist_db(&mut st, &db);
        drop(st);
        return conn.drop_now();
    }
    let body = body.unwrap_or_default();
    let injected = match &fault {
        Some(FaultKind::Status { status, message }) => Some((status.clone(), message.clone())),
        Some(FaultKind::MemLimitExceeded) => Some((
            "MEM_LIMIT_EXCEEDED".to_string(),
            "Memory of process exceed limit (injected by the StarRocks emulator)".to_string(),
        )),
        Some(FaultKind::Http { .. }) => {
            Some(("INTERNAL_ERROR".into(), "injected HTTP error".into()))
        }
        _ => None,
    };
    if let Some((status, msg)) = injected {
        rollback(&mut st, be, label, &msg);
        shared.persist_db(&mut st, &db);
        drop(st);
        if let Some(FaultKind::Http { code }) = &fault {
            let _ = conn.respond(
                *code,
                &[],
                format!("injected HTTP {code} by the StarRocks emulator").as_bytes(),
                "text/plain",
            );
            return conn.finish();
        }
        return finish_json(conn, be_resp(&status, &msg, label));
    }
    let Some(ctx) = st.be_ctx[be].get_mut(label) else {
        // Rolled back (or the BE restarted) while the body was read.
        let reason = st
            .dbs
            .get(&db)
            .and_then(|d| d.txns.get(label))
            .map(|t| t.reason.clone())
            .unwrap_or_default();
        drop(st);
        return finish_json(conn, be_resp("ABORTED", &reason, label));
    };
    ctx.busy = false;
    ctx.last_active_ms = shared.now_ms();
    ctx.received_bytes += body.len() as u64;
    let txn_id = ctx.txn_id;
    let body_len = body.len();
    match ctx.params.as_ref().map(|p| p.format) {
        Some(Format::Json) => ctx.json.push(body),
        _ if ctx.csv.is_empty() => ctx.csv = body,
        _ => ctx.csv.extend_from_slice(&body),
    }
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    finish_json(
        conn,
        json!({"Status":"OK","Message":"","Label":label,"TxnId":txn_id,"LoadBytes":body_len,
            "StreamLoadPlanTimeMs":0,"ReceivedDataTimeMs":0}),
    )
}

fn be_commit(shared: &Shared, req: &Request, conn: Conn, label: &str, be: usize, prepare: bool) {
    let fault = take_fault(
        shared,
        if prepare {
            Target::TxnPrepare
        } else {
            Target::TxnCommit
        },
    );
    let db = req.header("db").unwrap_or("").to_string();
    let now = shared.now_ms();
    let st = shared.lock();
    let Some(ctx) = st.be_ctx[be].get(label) else {
        drop(st);
        return finish_json(
            conn,
            be_resp(
                "TXN_NOT_EXISTS",
                &format!("transaction with label {label} not exists"),
                label,
            ),
        );
    };
    if ctx.db != db {
        let m = format!("request db {db} transaction db {} not match", ctx.db);
        drop(st);
        return finish_json(conn, be_resp("INVALID_ARGUMENT", &m, label));
    }
    // prepared_timeout: honoured from v3.5.4 (FE `TransactionState` per-transaction prepared
    // timeout); earlier versions use `prepared_transaction_default_timeout_second`.
    let mut prepared_timeout = DEFAULT_PREPARED_TIMEOUT_S;
    if prepare {
        if let Some(v) = req.header("prepared_timeout").filter(|v| !v.is_empty()) {
            match v.trim().parse::<i64>() {
                Ok(n) if n > 0 => {
                    if shared.version() >= (3, 5, 4) {
                        prepared_timeout = n as u64;
                    }
                }
                _ => {
                    drop(st);
                    return finish_json(
                        conn,
                        be_resp(
                            "INVALID_ARGUMENT",
                            &format!("Invalid prepared_timeout: {v}"),
                            label,
                        ),
                    );
                }
            }
        }
    }
    if ctx.busy {
        drop(st);
        return finish_json(
            conn,
            be_resp("TXN_IN_PROCESSING", "Transaction is in processing", label),
        );
    }
    drop(st);
    let Ok(conn) = be_fault(conn, &fault, label) else {
        return;
    };
    let mut st = shared.lock();
    let Some(ctx) = st.be_ctx[be].get(label) else {
        drop(st);
        return finish_json(
            conn,
            be_resp(
                "TXN_NOT_EXISTS",
                &format!("transaction with label {label} not exists"),
                label,
            ),
        );
    };
    if ctx.busy {
        drop(st);
        return finish_json(
            conn,
            be_resp("TXN_IN_PROCESSING", "Transaction is in processing", label),
        );
    }
    // TransactionMgr::_commit_transaction
    let fail = |st: &mut State, code: &str, msg: String, url: Option<String>| -> Value {
        rollback(st, be, label, &msg);
        let mut v = be_resp(code, &msg, label);
        if let Some(u) = url {
            v["ErrorURL"] = json!(u);
        }
        v
    };
    if ctx.failed.is_some() {
        let v = fail(&mut st, "ABORTED", "transaction is aborted".into(), None);
        shared.persist_db(&mut st, &db);
        drop(st);
        return finish_json(conn, v);
    }
    if !ctx.has_sink {
        let msg = format!("transaction {} hasn't send any data yet", brief(ctx));
        let v = fail(&mut st, "INTERNAL_ERROR", msg, None);
        shared.persist_db(&mut st, &db);
        drop(st);
        return finish_json(conn, v);
    }
    let Some(params) = ctx.params.clone() else {
        drop(st);
        return finish_json(conn, be_resp("INTERNAL_ERROR", "no plan", label));
    };
    let (txn_id, table, received_bytes) = (ctx.txn_id, ctx.table.clone(), ctx.received_bytes);
    let Some(def) = st
        .dbs
        .get(&db)
        .and_then(|d| d.tables.get(&table))
        .map(|t| t.def.clone())
    else {
        let v = fail(
            &mut st,
            "INTERNAL_ERROR",
            format!("Table[{table}] does not exist in database[{db}]"),
            None,
        );
        shared.persist_db(&mut st, &db);
        drop(st);
        return finish_json(conn, v);
    };
    // Finish the stream outside the state lock (other loads go on meanwhile); the context stays,
    // held (`busy`), so another prepare/commit answers TXN_IN_PROCESSING. Every way on from here
    // ends the context, so its data can be taken.
    let (csv, json_bufs) = match st.be_ctx[be].get_mut(label) {
        Some(c) => {
            c.busy = true;
            (std::mem::take(&mut c.csv), std::mem::take(&mut c.json))
        }
        None => (Vec::new(), Vec::new()),
    };
    drop(st);
    let nt = now_text(shared);
    let store = shared.cfg.store_rows;
    let parsed = match params.format {
        _ if !store && !shared.cfg.check_rows => {
            let bufs: Vec<&[u8]> = match params.format {
                Format::Csv => vec![csv.as_slice()],
                Format::Json => json_bufs.iter().map(|b| b.as_slice()).collect(),
            };
            parse::count_body(&bufs, &params, &def, &nt)
        }
        Format::Csv => Ok(parse::csv_body(&csv, &params, &def, &nt, store)),
        Format::Json => {
            let bufs: Vec<&[u8]> = json_bufs.iter().map(|b| b.as_slice()).collect();
            parse::json_body(&bufs, &params, &def, &nt, store)
        }
    };
    drop(csv);
    drop(json_bufs);
    let mut st = shared.lock();
    match st.be_ctx[be].get_mut(label) {
        Some(c) if c.txn_id == txn_id => c.busy = false,
        _ => {
            // Rolled back (or timed out, or the BE restarted) while the stream was finished.
            let reason = st
                .dbs
                .get(&db)
                .and_then(|d| d.txns.get(label))
                .map(|t| t.reason.clone())
                .unwrap_or_default();
            drop(st);
            return finish_json(conn, be_resp("ABORTED", &reason, label));
        }
    }
    let parsed = match parsed {
        Ok(p) => p,
        Err(m) => {
            let v = fail(&mut st, "INTERNAL_ERROR", m, None);
            shared.persist_db(&mut st, &db);
            drop(st);
            return finish_json(conn, v);
        }
    };
    let url = error_log(shared, &mut st, be, label, &parsed.rejected);
    if parse::too_many_filtered(parsed.filtered, parsed.total, params.max_filter_ratio) {
        let v = fail(
            &mut st,
            "INTERNAL_ERROR",
            "too many filtered rows".into(),
            url.clone(),
        );
        if let Some(t) = st.dbs.get_mut(&db).and_then(|d| d.txns.get_mut(label)) {
            t.total_rows = parsed.total;
            t.filtered_rows = parsed.filtered;
            t.error_url = url;
        }
        shared.persist_db(&mut st, &db);
        drop(st);
        return finish_json(conn, v);
    }
    st.be_ctx[be].remove(label);
    let Some(d) = st.dbs.get_mut(&db) else {
        drop(st);
        return finish_json(conn, be_resp("INTERNAL_ERROR", "database vanished", label));
    };
    let Some(t) = d
        .txns
        .get_mut(label)
        .filter(|t| t.id == txn_id && t.state == TxnState::Prepare)
    else {
        drop(st);
        return finish_json(
            conn,
            be_resp(
                "TXN_NOT_EXISTS",
                &format!("transaction with label {label} not exists"),
                label,
            ),
        );
    };
    t.total_rows = parsed.total;
    t.filtered_rows = parsed.filtered;
    t.loaded_rows = parsed.loaded();
    t.load_bytes = received_bytes;
    t.max_filter_ratio = params.max_filter_ratio;
    t.error_url = url.clone();
    let mut status = "OK";
    let mut message = "";
    if prepare {
        t.state = TxnState::Prepared;
        t.prepared_ms = Some(now);
        t.prepared_timeout_s = prepared_timeout;
        t.ops = parsed.ops;
    } else {
        match &fault {
            Some(FaultKind::PublishTimeout { visible_after_ms }) => {
                t.state = TxnState::Committed;
                t.visible_at_ms = Some(now + visible_after_ms);
                status = "PUBLISH_TIMEOUT";
                message = "publish timeout";
            }
            _ => t.state = TxnState::Visible,
        }
        let loaded = t.loaded_rows;
        d.commit_rows(&table, parsed.ops, loaded, true, shared.rows_mode());
    }
    let t = &d.txns[label];
    let mut v = json!({"Status": status, "Message": message, "Label": label, "TxnId": t.id,
        "NumberTotalRows": t.total_rows, "NumberLoadedRows": t.loaded_rows,
        "NumberFilteredRows": t.filtered_rows, "NumberUnselectedRows": t.unselected_rows,
        "LoadBytes": t.load_bytes, "LoadTimeMs": 1, "StreamLoadPlanTimeMs": 0,
        "ReceivedDataTimeMs": 0, "WriteDataTimeMs": 0, "CommitAndPublishTimeMs": 0});
    if let Some(u) = url {
        v["ErrorURL"] = json!(u);
    }
    shared.persist_db(&mut st, &db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    finish_json(conn, v)
}

fn be_rollback(shared: &Shared, req: &Request, conn: Conn, label: &str, be: usize) {
    let fault = take_fault(shared, Target::TxnRollback);
    let Ok(conn) = be_fault(conn, &fault, label) else {
        return;
    };
    let db = req.header("db").unwrap_or("").to_string();
    let mut st = shared.lock();
    let Some(ctx) = st.be_ctx[be].get(label) else {
        drop(st);
        return finish_json(
            conn,
            be_resp(
                "TXN_NOT_EXISTS",
                &format!("transaction with label {label} not exists"),
                label,
            ),
        );
    };
    if ctx.db != db {
        let m = format!("request db {db} transaction db {} not match", ctx.db);
        drop(st);
        return finish_json(conn, be_resp("INVALID_ARGUMENT", &m, label));
    }
    // TransactionMgr::rollback_transaction does not take the context lock: it rolls back even
    // while a load is running.
    rollback(&mut st, be, label, "transaction is aborted by user.");
    shared.persist_db(&mut st, &db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    finish_json(conn, be_resp("OK", "", label))
}
