//! HTTP routing, one-shot Stream Load (protocol §2), the label state query (§2.6), the error-log
//! endpoint, and the `/_emulator/*` control endpoints. The transaction API lives in `txn.rs`,
//! header and body parsing in `parse.rs`.
//!
//! Invariants:
//! - A label maps to at most one live transaction per database; a new transaction may take a label
//!   only if the previous one is ABORTED (§2.5), so a retried batch is applied at most once.
//! - Rows of a load are parsed and checked completely before anything is applied; they reach the
//!   table only at commit, in one critical section with the state change to COMMITTED/VISIBLE.
//!
//! Routing (StarRocks FE `http/rest/LoadAction`, `TransactionLoadAction`, `RestBaseAction`):
//! - any FE (leader or follower) answers a one-shot Stream Load with 307 to a BE chosen round
//!   robin (`LoadAction.processNormalStreamLoad` → `seqChooseBackendIds`); it does not redirect
//!   normal Stream Loads to the leader (only merge-commit loads are);
//! - a follower FE answers every `/api/transaction/*` request with 307 to the leader FE
//!   (`TransactionLoadAction.executeWithoutPassword` → `redirectToLeader`);
//! - the leader FE routes transaction operations (see `txn.rs`);
//! - FEs never read a request body (see `http.rs`).

use crate::faults::{FaultKind, Target};
use crate::http::{auth_ok, Conn, Request, Role};
use crate::parse::{self, LoadKind};
use crate::state::{Shared, Txn, TxnState};
use serde_json::{json, Value};
use std::time::Duration;

pub const DEFAULT_PREPARED_TIMEOUT_S: u64 = 86400;

pub fn route(shared: &Shared, role: Role, req: Request, mut conn: Conn) {
    let segs: Vec<String> = req
        .path
        .trim_matches('/')
        .split('/')
        .map(|s| s.to_string())
        .collect();
    let segs: Vec<&str> = segs.iter().map(|s| s.as_str()).collect();
    let m = req.method.to_ascii_uppercase();
    match (role, m.as_str(), segs.as_slice()) {
        (Role::Fe, "POST", ["_emulator", rest @ ..])
        | (Role::Fe, "GET", ["_emulator", rest @ ..]) => {
            let rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            control(shared, &req, &rest, conn)
        }
        (Role::Be(i), "GET", ["api", "_load_error_log"]) => {
            let file = req.query_param("file").unwrap_or("").to_string();
            let text = shared
                .lock()
                .error_logs
                .get(&file)
                .filter(|(be, _)| *be == i)
                .map(|(_, t)| t.clone());
            let _ = match text {
                Some(t) => conn.respond(200, &[], t.as_bytes(), "text/plain; charset=UTF-8"),
                None => conn.respond(404, &[], b"no such error log", "text/plain"),
            };
            conn.finish();
        }
        (Role::Fe | Role::FeFollower(_), "GET", ["api", db, "get_load_state"]) => {
            if !auth_ok(shared, &req) {
                return unauthorized(conn);
            }
            let label = req.query_param("label").unwrap_or("").to_string();
            let st = shared.lock();
            let v = match st.dbs.get(*db) {
                None => {
                    json!({"status":"FAILED","code":"1","msg":format!("database[{db}] does not exist"),
                    "message":format!("database[{db}] does not exist")})
                }
                Some(d) => {
                    let (state, reason) = d
                        .txns
                        .get(&label)
                        .map(|t| (t.state.name(), t.reason.clone()))
                        .unwrap_or(("UNKNOWN", String::new()));
                    json!({"status":"OK","code":"0","msg":"Success","message":"OK","state":state,"reason":reason})
                }
            };
            drop(st);
            let _ = conn.json(&v);
            conn.finish();
        }
        (_, "PUT", ["api", db, table, "_stream_load"]) => {
            let (db, table) = (db.to_string(), table.to_string());
            match role {
                Role::Fe | Role::FeFollower(_) => fe_stream_load(shared, &req, conn, &db, &table),
                Role::Be(i) => stream_load(shared, &req, conn, &db, &table, i),
            }
        }
        (_, "PUT" | "POST", ["api", "transaction", op]) => {
            if !auth_ok(shared, &req) {
                return unauthorized(conn);
            }
            let op = op.to_string();
            match role {
                Role::FeFollower(_) => {
                    // RestBaseAction.redirectToLeader: same path and query on the leader.
                    let leader = shared.fe_http_addr.lock().ok().and_then(|a| *a);
                    match leader {
                        Some(a) => redirect(conn, &req, a),
                        None => fe_failed(conn, "no leader FE".into()),
                    }
                }
                Role::Fe => crate::txn::fe_txn(shared, &req, conn, &op),
                Role::Be(i) => crate::txn::be_txn(shared, &req, conn, &op, i),
            }
        }
        _ => {
            let msg = format!(
                "not supported by the StarRocks emulator: {} {} on the {} http port",
                req.method,
                req.path,
                if role.is_fe() { "FE" } else { "BE" }
            );
            let _ = conn.respond(404, &[], msg.as_bytes(), "text/plain");
            conn.finish();
        }
    }
}

pub fn unauthorized(mut conn: Conn) {
    let _ = conn.respond(
        401,
        &[("WWW-Authenticate", "Basic realm=\"\"".to_string())],
        b"{\"Status\":\"FAILED\",\"Message\":\"Access denied: bad or missing Basic authorization\"}",
        "text/plain",
    );
    conn.finish();
}

pub fn fe_failed(mut conn: Conn, msg: String) {
    let _ = conn.json(&json!({"Status":"FAILED","Message":msg}));
    conn.finish();
}

/// 307 to `addr`, keeping path and query (RestBaseAction.redirectTo; no user info).
pub fn redirect(mut conn: Conn, req: &Request, addr: std::net::SocketAddr) {
    let mut path = req.path.clone();
    if !req.query.is_empty() {
        let q: Vec<String> = req.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        path = format!("{path}?{}", q.join("&"));
    }
    let location = format!("http://{addr}{path}");
    let _ = conn.respond(307, &[("Location", location)], b"", "text/plain");
    conn.finish();
}

/// Choose a BE round robin (`SystemInfoService.getNodeSelector().seqChooseBackendIds`).
pub fn next_be(shared: &Shared) -> usize {
    let mut st = shared.lock();
    let i = st.next_be % shared.be_count();
    st.next_be = st.next_be.wrapping_add(1);
    i
}

/// Apply a `FeRedirect` fault at an FE 307 step: `Some((conn, to_fe))` to go on, `None` when
/// the fault answered the request.
pub fn fe_redirect_fault(shared: &Shared, conn: Conn) -> Option<(Conn, bool)> {
    match take_fault(shared, Target::FeRedirect) {
        None => Some((conn, false)),
        Some(FaultKind::RedirectToFe) => Some((conn, true)),
        Some(FaultKind::Http { code }) => {
            let mut conn = conn;
            let body = format!("injected HTTP {code} by the StarRocks emulator");
            let _ = conn.respond(code, &[], body.as_bytes(), "text/plain");
            conn.finish();
            None
        }
        Some(FaultKind::Status { status, message }) => {
            let mut conn = conn;
            let _ = conn.json(&json!({"Status": status, "Message": message}));
            conn.finish();
            None
        }
        Some(_) => {
            conn.drop_now();
            None
        }
    }
}

/// FE side of a one-shot Stream Load: auth, `Expect: 100-continue` check, db/table existence,
/// 307 to a BE.
fn fe_stream_load(shared: &Shared, req: &Request, conn: Conn, db: &str, table: &str) {
    if !auth_ok(shared, req) {
        return unauthorized(conn);
    }
    if !req.expects_continue() {
        return fe_failed(conn, "There is no 100-continue header".into());
    }
    // The emulator checks db/table on the FE (a real FE checks the INSERT privilege here and
    // the BE's begin/plan then fails for a missing table).
    {
        let st = shared.lock();
        match st.dbs.get(db) {
            None => {
                drop(st);
                return fe_failed(conn, format!("Database[{db}] does not exist"));
            }
            Some(d) if !d.tables.contains_key(table) => {
                drop(st);
                return fe_failed(
                    conn,
                    format!("Table[{table}] does not exist in database[{db}]"),
                );
            }
            _ => {}
        }
    }
    let Some((conn, to_fe)) = fe_redirect_fault(shared, conn) else {
        return;
    };
    let target = if to_fe {
        shared.fe_http_addr.lock().ok().and_then(|a| *a)
    } else {
        shared.be_addr(next_be(shared))
    };
    match target {
        Some(a) => redirect(conn, req, a),
        None => fe_failed(conn, "No backend alive.".into()),
    }
}

pub fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 128
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn now_text(shared: &Shared) -> String {
    crate::fe_mysql::civil_from_unix((shared.now_ms() / 1000) as i64)
}

/// Store rejected rows on BE `be`; returns the `ErrorURL`.
pub fn error_log(
    shared: &Shared,
    st: &mut crate::state::State,
    be: usize,
    label: &str,
    rejected: &[String],
) -> Option<String> {
    if rejected.is_empty() {
        return None;
    }
    st.next_error_log += 1;
    let id = format!("error_log_{}_{}", label, st.next_error_log);
    st.error_logs
        .insert(id.clone(), (be, rejected.join("\n") + "\n"));
    let addr = shared
        .be_addr(be)
        .map(|a| a.to_string())
        .unwrap_or_default();
    Some(format!("http://{addr}/api/_load_error_log?file={id}"))
}

fn load_json(t: &Txn, status: &str, message: &str, with_existing: Option<&str>) -> Value {
    let mut v = json!({
        "TxnId": t.id, "Label": t.label, "Status": status, "Message": message,
        "NumberTotalRows": t.total_rows, "NumberLoadedRows": t.loaded_rows,
        "NumberFilteredRows": t.filtered_rows, "NumberUnselectedRows": t.unselected_rows,
        "LoadBytes": t.load_bytes, "LoadTimeMs": 1, "BeginTxnTimeMs": 0, "StreamLoadPlanTimeMs": 0,
        "ReadDataTimeMs": 0, "WriteDataTimeMs": 0, "CommitAndPublishTimeMs": 0
    });
    if let Some(u) = &t.error_url {
        v["ErrorURL"] = json!(u);
    }
    if let Some(e) = with_existing {
        v["ExistingJobStatus"] = json!(e);
    }
    v
}

/// Status line for a load that never got a transaction.
fn fail_json(label: &str, status: &str, message: &str) -> Value {
    json!({"TxnId": -1, "Label": label, "Status": status, "Message": message,
        "NumberTotalRows": 0, "NumberLoadedRows": 0, "NumberFilteredRows": 0, "NumberUnselectedRows": 0,
        "LoadBytes": 0, "LoadTimeMs": 0, "BeginTxnTimeMs": 0, "StreamLoadPlanTimeMs": 0,
        "ReadDataTimeMs": 0, "WriteDataTimeMs": 0, "CommitAndPublishTimeMs": 0})
}

pub fn finish_json(mut conn: Conn, v: Value) {
    let _ = conn.json(&v);
    conn.finish();
}

pub fn abort_txn(shared: &Shared, db: &str, label: &str, reason: &str) {
    let mut st = shared.lock();
    if let Some(t) = st.dbs.get_mut(db).and_then(|d| d.txns.get_mut(label)) {
        t.state = TxnState::Aborted;
        t.reason = reason.to_string();
        t.ops.clear();
        t.busy = false;
    }
    shared.persist_db(&mut st, db);
}

/// Take a fault for `target`; a Delay fault is served here (sleep) and not returned.
pub fn take_fault(shared: &Shared, target: Target) -> Option<FaultKind> {
    let f = shared.faults().take(target);
    match f {
        Some(FaultKind::Delay { ms }) => {
            std::thread::sleep(Duration::from_millis(ms));
            None
        }
        other => other,
    }
}

pub fn uuid_like(shared: &Shared, n: u64) -> String {
    format!("{:016x}-{:016x}", shared.now_ms(), n)
}

// ---------------------------------------------------------------------------------------------
// One-shot Stream Load (BE)

fn stream_load(shared: &Shared, req: &Request, mut conn: Conn, db: &str, table: &str, be: usize) {
    if !auth_ok(shared, req) {
        return unauthorized(conn);
    }
    let fault = take_fault(shared, Target::StreamLoad);
    let label = match req.header("label").filter(|l| !l.is_empty()) {
        Some(l) => l.to_string(),
        // BE `StreamLoadAction::on_header`: `generate_uuid_string()`.
        None => uuid_like(shared, 0),
    };
    if !valid_label(&label) {
        return finish_json(
            conn,
            fail_json(
                &label,
                "Fail",
                &format!("Invalid label format. regex: ^[-\\w]{{1,128}}$, label: {label}"),
            ),
        );
    }
    let params = match parse::parse_params(req, LoadKind::OneShot, shared.version()) {
        Ok(p) => p,
        Err(m) => return finish_json(conn, fail_json(&label, "Fail", &m)),
    };
    if req.content_length().is_none() && !req.chunked() {
        return finish_json(conn, fail_json(&label, "Fail", "The length of the body is unknown: send Content-Length or Transfer-Encoding: chunked"));
    }
    // Begin the transaction (label check), then plan (FE streamLoadPut) before any body byte.
    let now = shared.now_ms();
    let def = {
        let mut st = shared.lock();
        let id = st.alloc_txn_id();
        let Some(d) = st.dbs.get_mut(db) else {
            drop(st);
            return finish_json(
                conn,
                fail_json(&label, "Fail", &format!("Database[{db}] does not exist")),
            );
        };
        let Some(t) = d.tables.get(table) else {
            drop(st);
            return finish_json(
                conn,
                fail_json(
                    &label,
                    "Fail",
                    &format!("Table[{table}] does not exist in database[{db}]"),
                ),
            );
        };
        let def = t.def.clone();
        if let Some(existing) = d.txns.get(&label) {
            if existing.state != TxnState::Aborted {
                let mut v = load_json(
                    existing,
                    "Label Already Exists",
                    &format!(
                        "Label [{label}] has already been used, relate to txn [{}]",
                        existing.id
                    ),
                    Some(existing.state.existing_job_status()),
                );
                v["NumberTotalRows"] = json!(0);
                v["NumberLoadedRows"] = json!(0);
                v["NumberFilteredRows"] = json!(0);
                v["LoadBytes"] = json!(0);
                if let Some(o) = v.as_object_mut() {
                    o.remove("ErrorURL");
                }
                drop(st);
                return finish_json(conn, v);
            }
        }
        let mut t = new_txn(
            id,
            &label,
            table,
            false,
            now,
            params.timeout_s.unwrap_or(parse::DEFAULT_TIMEOUT_S),
        );
        t.coordinator_be = Some(be);
        t.busy = true;
        if let Err(m) = parse::plan_check(&params, &def) {
            t.busy = false;
            t.state = TxnState::Aborted;
            t.reason = m.clone();
            let v = load_json(&t, "Fail", &m, None);
            d.txns.insert(label.clone(), t);
            shared.persist_db(&mut st, db);
            drop(st);
            return finish_json(conn, v);
        }
        d.txns.insert(label.clone(), t);
        shared.persist_db(&mut st, db);
        def
    };
    // Read the body.
    let limit = match &fault {
        Some(FaultKind::DropMidBody { after_bytes }) => Some(*after_bytes),
        _ => None,
    };
    let body = match conn.read_body(req, limit) {
        Ok(b) => b,
        Err(e) => {
            abort_txn(
                shared,
                db,
                &label,
                &format!("connection error while reading the body: {e}"),
            );
            return conn.drop_now();
        }
    };
    if limit.is_some() {
        abort_txn(
            shared,
            db,
            &label,
            "connection dropped while reading the body (injected fault)",
        );
        return conn.drop_now();
    }
    let parsed = if shared.cfg.store_rows || shared.cfg.check_rows {
        parse::parse_body(
            &body,
            &params,
            &def,
            &now_text(shared),
            shared.cfg.store_rows,
        )
    } else {
        parse::count_body(&[&body], &params, &def, &now_text(shared))
    };
    let mut st = shared.lock();
    let error_url = match &parsed {
        Ok(p) => error_log(shared, &mut st, be, &label, &p.rejected),
        Err(_) => None,
    };
    let Some(d) = st.dbs.get_mut(db) else {
        drop(st);
        return finish_json(
            conn,
            fail_json(&label, "Fail", &format!("Database[{db}] does not exist")),
        );
    };
    let Some(txn) = d.txns.get_mut(&label) else {
        drop(st);
        return finish_json(conn, fail_json(&label, "Fail", "transaction vanished"));
    };
    txn.busy = false;
    txn.load_bytes = body.len() as u64;
    txn.error_url = error_url;
    let parsed = match parsed {
        Ok(p) => p,
        Err(msg) => {
            txn.state = TxnState::Aborted;
            txn.reason = msg.clone();
            let v = load_json(txn, "Fail", &msg, None);
            shared.persist_db(&mut st, db);
            drop(st);
            return finish_json(conn, v);
        }
    };
    txn.total_rows = parsed.total;
    txn.filtered_rows = parsed.filtered;
    txn.loaded_rows = parsed.total - parsed.filtered;
    let abort_with = |txn: &mut Txn, msg: &str| {
        txn.state = TxnState::Aborted;
        txn.reason = msg.to_string();
    };
    match &fault {
        Some(FaultKind::Http { code }) => {
            abort_with(txn, "injected HTTP error");
            shared.persist_db(&mut st, db);
            drop(st);
            let _ = conn.respond(
                *code,
                &[],
                format!("injected HTTP {code} by the StarRocks emulator").as_bytes(),
                "text/plain",
            );
            return conn.finish();
        }
        Some(FaultKind::Status { status, message }) => {
            abort_with(txn, message);
            let v = load_json(txn, status, message, None);
            shared.persist_db(&mut st, db);
            drop(st);
            return finish_json(conn, v);
        }
        Some(FaultKind::MemLimitExceeded) => {
            let msg = "MEM_LIMIT_EXCEEDED: Memory of process exceed limit (injected by the StarRocks emulator)";
            abort_with(txn, msg);
            let v = load_json(txn, "Fail", msg, None);
            shared.persist_db(&mut st, db);
            drop(st);
            return finish_json(conn, v);
        }
        _ => {}
    }
    if parse::too_many_filtered(txn.filtered_rows, txn.total_rows, params.max_filter_ratio) {
        let msg = "too many filtered rows";
        abort_with(txn, msg);
        let v = load_json(txn, "Fail", msg, None);
        shared.persist_db(&mut st, db);
        drop(st);
        return finish_json(conn, v);
    }
    // Commit: apply rows atomically with the state change.
    let (state, visible_at) = match &fault {
        Some(FaultKind::PublishTimeout { visible_after_ms }) => (
            TxnState::Committed,
            Some(shared.now_ms() + visible_after_ms),
        ),
        _ => (TxnState::Visible, None),
    };
    txn.state = state;
    txn.visible_at_ms = visible_at;
    let v = load_json(
        txn,
        if state == TxnState::Committed {
            "Publish Timeout"
        } else {
            "Success"
        },
        if state == TxnState::Committed {
            "publish timeout"
        } else {
            "OK"
        },
        None,
    );
    let loaded = parsed.loaded();
    d.commit_rows(table, parsed.ops, loaded, true, shared.rows_mode());
    shared.persist_db(&mut st, db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    let _ = conn.json(&v);
    conn.finish();
}

pub fn new_txn(id: u64, label: &str, table: &str, explicit: bool, now: u64, timeout_s: u64) -> Txn {
    Txn {
        id,
        label: label.to_string(),
        table: table.to_string(),
        state: TxnState::Prepare,
        explicit,
        ops: Vec::new(),
        total_rows: 0,
        loaded_rows: 0,
        filtered_rows: 0,
        unselected_rows: 0,
        load_bytes: 0,
        max_filter_ratio: 0.0,
        error_url: None,
        created_ms: now,
        last_activity_ms: now,
        timeout_s,
        idle_timeout_s: None,
        prepared_ms: None,
        prepared_timeout_s: DEFAULT_PREPARED_TIMEOUT_S,
        visible_at_ms: None,
        reason: String::new(),
        busy: false,
        coordinator_be: None,
        finished_ms: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Control endpoints (FE http port): /_emulator/...

fn control(shared: &Shared, req: &Request, rest: &[String], mut conn: Conn) {
    let body = conn.read_body(req, None).unwrap_or_default();
    let rest: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
    let reply: Result<Value, String> = match (
        req.method.to_ascii_uppercase().as_str(),
        rest.as_slice(),
    ) {
        ("POST", ["fault"]) => match serde_json::from_slice::<crate::faults::FaultSpec>(&body) {
            Ok(spec) => {
                shared.faults().queue.push(spec);
                Ok(json!({"ok": true}))
            }
            Err(e) => Err(format!("bad fault JSON: {e}")),
        },
        ("POST", ["fault", "clear"]) => {
            shared.faults().queue.clear();
            Ok(json!({"ok": true}))
        }
        ("GET", ["faults"]) => {
            let f = shared.faults();
            Ok(json!({"pending": f.queue, "fired": f.fired}))
        }
        ("POST", ["clock"]) => match serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("advance_ms").and_then(|x| x.as_u64()))
        {
            Some(ms) => {
                shared
                    .clock_offset_ms
                    .fetch_add(ms as i64, std::sync::atomic::Ordering::SeqCst);
                Ok(json!({"ok": true}))
            }
            None => Err("expected {\"advance_ms\": N}".into()),
        },
        ("POST", ["expire_labels"]) => {
            match serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("db").and_then(|x| x.as_str().map(|s| s.to_string())))
            {
                Some(db) => Ok(json!({"expired": shared.expire_labels(&db)})),
                None => Err("expected {\"db\": \"name\"}".into()),
            }
        }
        ("POST", ["restart_be"]) => {
            match serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("be").and_then(|x| x.as_u64()))
            {
                Some(i) if (i as usize) < shared.be_count() => {
                    Ok(json!({"dropped_contexts": shared.restart_be(i as usize)}))
                }
                _ => Err(format!(
                    "expected {{\"be\": N}} with N < {}",
                    shared.be_count()
                )),
            }
        }
        ("GET", ["rows"]) => {
            let db = req.query_param("db").unwrap_or("");
            let table = req.query_param("table").unwrap_or("");
            let st = shared.lock();
            match st.dbs.get(db).and_then(|d| d.tables.get(table)) {
                Some(t) => Ok(
                    json!({"columns": t.def.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                    // null when rows are not stored (store_rows = false)
                    "rows": if shared.cfg.store_rows { json!(t.all_rows()) } else { Value::Null },
                    "load_count": t.load_count, "rows_committed": t.rows_committed}),
                ),
                None => Err(format!("no table {db}.{table}")),
            }
        }
        _ => Err(format!(
            "unknown control endpoint {} /_emulator/{}",
            req.method,
            rest.join("/")
        )),
    };
    let _ = match reply {
        Ok(v) => conn.json(&v),
        Err(m) => conn.respond(
            400,
            &[],
            json!({"ok": false, "error": m}).to_string().as_bytes(),
            "application/json",
        ),
    };
    conn.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_filter_ratio() {
        assert!(valid_label("a-b_C9"));
        assert!(!valid_label("a b"));
        assert!(!valid_label(""));
        assert!(!valid_label(&"x".repeat(129)));
        assert!(parse::too_many_filtered(1, 10, 0.0));
        assert!(!parse::too_many_filtered(1, 10, 0.1));
        assert!(parse::too_many_filtered(2, 10, 0.1));
        assert!(!parse::too_many_filtered(0, 0, 0.0));
    }
}
