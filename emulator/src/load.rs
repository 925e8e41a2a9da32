//! Stream Load (protocol §2), the transaction Stream Load API (§4), the label state query (§2.6),
//! the error-log endpoint, and the `/_emulator/*` control endpoints.
//!
//! Invariants:
//! - A label maps to at most one live transaction per database; a new transaction may take a label
//!   only if the previous one is ABORTED (§2.5), so a retried batch is applied at most once.
//! - Rows of a load are parsed and checked completely before anything is applied; they reach the
//!   table only at commit, in one critical section with the state change to COMMITTED/VISIBLE.
//!
//! Routing: the FE answers one-shot loads and `/api/transaction/load` with 307 to the BE; it
//! answers `begin`, `prepare`, `commit`, `rollback` and `get_load_state` itself (200). The BE
//! accepts every endpoint directly.

use crate::faults::{FaultKind, Target};
use crate::http::{auth_ok, Conn, Request, Role};
use crate::sql::{KeysType, TableDef};
use crate::state::{RowOp, Shared, Table, Txn, TxnState};
use crate::types::convert;
use serde_json::{json, Value};
use std::time::Duration;

const DEFAULT_TIMEOUT_S: u64 = 600;
const DEFAULT_PREPARED_TIMEOUT_S: u64 = 86400;
const PK_LIMIT_BYTES: usize = 128;

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
        (_, "GET", ["api", "_load_error_log"]) => {
            let file = req.query_param("file").unwrap_or("").to_string();
            let text = shared.lock().error_logs.get(&file).cloned();
            let _ = match text {
                Some(t) => conn.respond(200, &[], t.as_bytes(), "text/plain; charset=UTF-8"),
                None => conn.respond(404, &[], b"no such error log", "text/plain"),
            };
            conn.finish();
        }
        (_, "GET", ["api", db, "get_load_state"]) => {
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
                Role::Fe => fe_redirect(shared, &req, conn, Some((&db, &table))),
                Role::Be => stream_load(shared, &req, conn, &db, &table),
            }
        }
        (_, "PUT" | "POST", ["api", "transaction", op]) => {
            if !auth_ok(shared, &req) {
                return unauthorized(conn);
            }
            match (*op, role) {
                ("load", Role::Fe) => fe_redirect(shared, &req, conn, None),
                ("load", Role::Be) => txn_load(shared, &req, conn),
                ("begin", _) => txn_simple(shared, &req, conn, Target::TxnBegin),
                ("prepare", _) => txn_simple(shared, &req, conn, Target::TxnPrepare),
                ("commit", _) => txn_simple(shared, &req, conn, Target::TxnCommit),
                ("rollback", _) => txn_simple(shared, &req, conn, Target::TxnRollback),
                (other, _) => {
                    let _ = conn.json(&json!({"Status":"FAILED","Message":format!("unknown transaction operation: {other}")}));
                    conn.finish();
                }
            }
        }
        _ => {
            let msg = format!(
                "not supported by the StarRocks emulator: {} {} on the {} http port",
                req.method,
                req.path,
                if role == Role::Fe { "FE" } else { "BE" }
            );
            let _ = conn.respond(404, &[], msg.as_bytes(), "text/plain");
            conn.finish();
        }
    }
}

fn unauthorized(mut conn: Conn) {
    let _ = conn.respond(
        401,
        &[("WWW-Authenticate", "Basic realm=\"\"".to_string())],
        b"{\"Status\":\"FAILED\",\"Message\":\"Access denied: bad or missing Basic authorization\"}",
        "text/plain",
    );
    conn.finish();
}

fn fe_failed(mut conn: Conn, msg: String) {
    let _ = conn.json(&json!({"Status":"FAILED","Message":msg}));
    conn.finish();
}

/// FE side of a load: auth, Expect check (one-shot loads), db/table existence, 307 to the BE.
fn fe_redirect(shared: &Shared, req: &Request, conn: Conn, target: Option<(&str, &str)>) {
    if !auth_ok(shared, req) {
        return unauthorized(conn);
    }
    let (db, table) = match target {
        Some((d, t)) => {
            if !req.expects_continue() {
                return fe_failed(conn, "There is no 100-continue header".into());
            }
            (d.to_string(), t.to_string())
        }
        None => (
            req.header("db").unwrap_or("").to_string(),
            req.header("table").unwrap_or("").to_string(),
        ),
    };
    {
        let st = shared.lock();
        match st.dbs.get(&db) {
            None => {
                drop(st);
                return fe_failed(conn, format!("Database[{db}] does not exist"));
            }
            Some(d) if !d.tables.contains_key(&table) => {
                drop(st);
                return fe_failed(
                    conn,
                    format!("Table[{table}] does not exist in database[{db}]"),
                );
            }
            _ => {}
        }
    }
    let mut be = shared.be_addr.lock().ok().and_then(|a| *a);
    match take_fault(shared, Target::FeRedirect) {
        None => {}
        Some(FaultKind::RedirectToFe) => be = shared.fe_http_addr.lock().ok().and_then(|a| *a),
        Some(FaultKind::Http { code }) => {
            let mut conn = conn;
            let body = format!("injected HTTP {code} by the StarRocks emulator");
            let _ = conn.respond(code, &[], body.as_bytes(), "text/plain");
            return conn.finish();
        }
        Some(FaultKind::Status { status, message }) => {
            let mut conn = conn;
            let _ = conn.json(&json!({"Status": status, "Message": message}));
            return conn.finish();
        }
        Some(_) => return conn.drop_now(),
    }
    let Some(be) = be else {
        return fe_failed(conn, "No backend alive".into());
    };
    let mut path = req.path.clone();
    if !req.query.is_empty() {
        let q: Vec<String> = req.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        path = format!("{path}?{}", q.join("&"));
    }
    let location = format!("http://{be}{path}");
    let mut conn = conn;
    let _ = conn.respond(307, &[("Location", location)], b"", "text/plain");
    conn.finish();
}

// ---------------------------------------------------------------------------------------------
// Load parameters and row parsing

#[derive(Debug, Clone, PartialEq)]
enum Format {
    Csv,
    Json,
}

#[derive(Debug, Clone)]
enum Expr {
    Ref(String),
    Const(String),
}

#[derive(Debug, Clone)]
struct Params {
    format: Format,
    col_sep: Vec<u8>,
    row_delim: Vec<u8>,
    /// `columns` header: source names in data order, and `target=expr` assignments.
    sources: Option<Vec<String>>,
    assigns: Vec<(String, Expr)>,
    strip_outer_array: bool,
    jsonpaths: Option<Vec<String>>,
    json_root: Option<String>,
    strict: bool,
    max_filter_ratio: f64,
    timeout_s: u64,
    partial_update: bool,
    skip_header: usize,
    trim_space: bool,
    enclose: Option<u8>,
    escape: Option<u8>,
}

fn bool_header(req: &Request, name: &str) -> Result<bool, String> {
    match req.header(name) {
        None => Ok(false),
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("Invalid {name} value: {v}, must be true or false")),
        },
    }
}

/// `\t`, `\n`, `\x01`, `\x0D0A` → bytes.
fn parse_sep(v: &str, what: &str) -> Result<Vec<u8>, String> {
    let lower = v.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("\\x") {
        if hex.is_empty() || hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("invalid {what}: {v}"));
        }
        return Ok((0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect());
    }
    let out = match v {
        "\\t" => b"\t".to_vec(),
        "\\n" => b"\n".to_vec(),
        "\\r\\n" => b"\r\n".to_vec(),
        _ => v.as_bytes().to_vec(),
    };
    if out.is_empty() || out.len() > 50 {
        return Err(format!("invalid {what}: length must be 1..50 bytes"));
    }
    Ok(out)
}

fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match quote {
            Some(q) => {
                cur.push(ch);
                if ch == q {
                    quote = None;
                }
            }
            None => match ch {
                '\'' | '"' => {
                    quote = Some(ch);
                    cur.push(ch);
                }
                '(' => {
                    depth += 1;
                    cur.push(ch);
                }
                ')' => {
                    depth -= 1;
                    cur.push(ch);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            },
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn unquote_ident(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && t.starts_with('`') && t.ends_with('`') {
        t[1..t.len() - 1].replace("``", "`")
    } else {
        t.to_string()
    }
}

fn parse_params(req: &Request) -> Result<Params, String> {
    let format = match req.header("format").map(|s| s.to_ascii_lowercase()) {
        None => Format::Csv,
        Some(f) if f == "csv" => Format::Csv,
        Some(f) if f == "json" => Format::Json,
        Some(f) => {
            return Err(format!(
                "not supported by the StarRocks emulator: format {f}"
            ))
        }
    };
    for h in [
        "where",
        "compression",
        "content-encoding",
        "merge_condition",
        "enable_merge_commit",
    ] {
        if let Some(v) = req.header(h) {
            if !(h == "enable_merge_commit" && v.eq_ignore_ascii_case("false")) {
                return Err(format!(
                    "not supported by the StarRocks emulator: header {h}"
                ));
            }
        }
    }
    let col_sep = parse_sep(
        req.header("column_separator").unwrap_or("\\t"),
        "column_separator",
    )?;
    let row_delim = parse_sep(
        req.header("row_delimiter").unwrap_or("\\n"),
        "row_delimiter",
    )?;
    let mut sources = None;
    let mut assigns = Vec::new();
    if let Some(cols) = req.header("columns") {
        let mut src = Vec::new();
        for item in split_top(cols) {
            match item.split_once('=') {
                None => src.push(unquote_ident(&item)),
                Some((target, expr)) => {
                    let target = unquote_ident(target);
                    let e = expr.trim();
                    let ex = if (e.starts_with('\'') && e.ends_with('\'')
                        || e.starts_with('"') && e.ends_with('"'))
                        && e.len() >= 2
                    {
                        Expr::Const(e[1..e.len() - 1].to_string())
                    } else if e.parse::<f64>().is_ok() {
                        Expr::Const(e.to_string())
                    } else if e
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '`')
                    {
                        Expr::Ref(unquote_ident(e))
                    } else {
                        return Err(format!(
                            "not supported by the StarRocks emulator: columns expression '{item}'"
                        ));
                    };
                    assigns.push((target, ex));
                }
            }
        }
        sources = Some(src);
    }
    let jsonpaths = match req.header("jsonpaths") {
        None => None,
        Some(j) => {
            let v: Vec<String> =
                serde_json::from_str(j).map_err(|e| format!("Invalid jsonpaths: {j}: {e}"))?;
            Some(v)
        }
    };
    let max_filter_ratio = match req.header("max_filter_ratio") {
        None => 0.0,
        Some(v) => match v.trim().parse::<f64>() {
            Ok(f) if (0.0..=1.0).contains(&f) => f,
            _ => {
                return Err(format!(
                    "Invalid max_filter_ratio: {v}, must be between 0 and 1"
                ))
            }
        },
    };
    let timeout_s = match req.header("timeout") {
        None => DEFAULT_TIMEOUT_S,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=259200).contains(&n) => n,
            _ => return Err(format!("Invalid timeout: {v}, must be 1..259200 seconds")),
        },
    };
    let one_byte = |name: &str| -> Result<Option<u8>, String> {
        match req.header(name) {
            None => Ok(None),
            Some(v) => {
                let b = parse_sep(v, name)?;
                if b.len() != 1 {
                    return Err(format!("{name} must be a single byte"));
                }
                Ok(Some(b[0]))
            }
        }
    };
    Ok(Params {
        format,
        col_sep,
        row_delim,
        sources,
        assigns,
        strip_outer_array: bool_header(req, "strip_outer_array")?,
        jsonpaths,
        json_root: req.header("json_root").map(|s| s.to_string()),
        strict: bool_header(req, "strict_mode")?,
        max_filter_ratio,
        timeout_s,
        partial_update: bool_header(req, "partial_update")?,
        skip_header: req
            .header("skip_header")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        trim_space: bool_header(req, "trim_space")?,
        enclose: one_byte("enclose")?,
        escape: one_byte("escape")?,
    })
}

/// A parsed record, or (reason, raw text) for a record rejected while splitting.
type RecordResult = Result<Record, (String, String)>;

/// One source record: values by source name (None = NULL), plus the raw text for error logs.
struct Record {
    values: Vec<(String, Option<String>)>,
    raw: String,
}

#[derive(Default)]
struct Parsed {
    ops: Vec<RowOp>,
    total: u64,
    filtered: u64,
    rejected: Vec<String>,
}

fn split_bytes<'a>(data: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= data.len() {
        if &data[i..i + sep.len()] == sep {
            out.push(&data[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&data[start..]);
    out
}

/// CSV fields of one line, honoring `enclose`/`escape` when given.
fn csv_fields(line: &[u8], p: &Params) -> Vec<Vec<u8>> {
    let Some(enc) = p.enclose else {
        return split_bytes(line, &p.col_sep)
            .into_iter()
            .map(|f| f.to_vec())
            .collect();
    };
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    let mut in_q = false;
    while i < line.len() {
        let b = line[i];
        if Some(b) == p.escape && i + 1 < line.len() {
            cur.push(line[i + 1]);
            i += 2;
            continue;
        }
        if b == enc {
            if in_q && line.get(i + 1) == Some(&enc) {
                cur.push(enc);
                i += 2;
                continue;
            }
            in_q = !in_q;
            i += 1;
            continue;
        }
        if !in_q && line[i..].starts_with(&p.col_sep) {
            out.push(std::mem::take(&mut cur));
            i += p.col_sep.len();
            continue;
        }
        cur.push(b);
        i += 1;
    }
    out.push(cur);
    out
}

fn csv_records(body: &[u8], p: &Params, def: &TableDef) -> Result<Vec<RecordResult>, String> {
    let mut lines = split_bytes(body, &p.row_delim);
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let names: Vec<String> = match &p.sources {
        Some(s) => s.clone(),
        None => def.columns.iter().map(|c| c.name.clone()).collect(),
    };
    let mut out = Vec::new();
    for line in lines.into_iter().skip(p.skip_header) {
        let raw = String::from_utf8_lossy(line).to_string();
        let fields = csv_fields(line, p);
        if fields.len() != names.len() {
            out.push(Err((
                format!(
                    "Value count does not match column count. Expect {}, but got {}.",
                    names.len(),
                    fields.len()
                ),
                raw,
            )));
            continue;
        }
        let mut values = Vec::new();
        for (n, f) in names.iter().zip(fields) {
            let Ok(mut s) = String::from_utf8(f) else {
                out.push(Err(("Invalid UTF-8 in field".to_string(), raw.clone())));
                values.clear();
                break;
            };
            if p.trim_space {
                s = s.trim().to_string();
            }
            values.push((n.clone(), if s == "\\N" { None } else { Some(s) }));
        }
        if values.len() == names.len() {
            out.push(Ok(Record { values, raw }));
        }
    }
    Ok(out)
}

fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn json_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let p = path.trim();
    let p = p.strip_prefix('$').unwrap_or(p);
    let mut cur = v;
    for seg in p.split('.').filter(|s| !s.is_empty()) {
        let (name, idx) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

fn json_records(body: &[u8], p: &Params, def: &TableDef) -> Result<Vec<RecordResult>, String> {
    let mut docs = Vec::new();
    let stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    for d in stream {
        match d {
            Ok(v) => docs.push(v),
            Err(e) => return Err(format!("The JSON is invalid: {e}")),
        }
    }
    let mut items = Vec::new();
    for d in docs {
        let d = match &p.json_root {
            Some(r) => json_path(&d, r)
                .cloned()
                .ok_or_else(|| format!("json_root {r} not found"))?,
            None => d,
        };
        if p.strip_outer_array {
            match d {
                Value::Array(a) => items.extend(a),
                _ => {
                    return Err(
                        "JSON data is not an array-object, strip_outer_array must be set false"
                            .into(),
                    )
                }
            }
        } else {
            if d.is_array() {
                return Err("JSON data is an array, strip_outer_array must be set true".into());
            }
            items.push(d);
        }
    }
    let names: Vec<String> = match &p.sources {
        Some(s) => s.clone(),
        None => {
            let mut n: Vec<String> = def.columns.iter().map(|c| c.name.clone()).collect();
            n.push("__op".into());
            n
        }
    };
    let mut out = Vec::new();
    for item in items {
        let raw = item.to_string();
        if !item.is_object() {
            out.push(Err(("JSON record is not an object".to_string(), raw)));
            continue;
        }
        let mut values = Vec::new();
        match &p.jsonpaths {
            Some(paths) => {
                let targets: Vec<String> = match &p.sources {
                    Some(s) => s.clone(),
                    None => def.columns.iter().map(|c| c.name.clone()).collect(),
                };
                for (i, path) in paths.iter().enumerate() {
                    let Some(name) = targets.get(i) else { break };
                    if let Some(v) = json_path(&item, path) {
                        values.push((name.clone(), json_text(v)));
                    }
                }
            }
            None => {
                let obj = item.as_object();
                for n in &names {
                    let v = obj.and_then(|o| {
                        o.get(n).or_else(|| {
                            o.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                                .map(|(_, v)| v)
                        })
                    });
                    if let Some(v) = v {
                        values.push((n.clone(), json_text(v)));
                    }
                }
            }
        }
        out.push(Ok(Record { values, raw }));
    }
    Ok(out)
}

fn parse_body(body: &[u8], p: &Params, def: &TableDef, now_text: &str) -> Result<Parsed, String> {
    for (target, _) in &p.assigns {
        if !target.eq_ignore_ascii_case("__op") && def.col_index(target).is_none() {
            return Err(format!(
                "Unknown column '{target}' in the columns header: not a column of table '{}'",
                def.name
            ));
        }
    }
    let records = match p.format {
        Format::Csv => csv_records(body, p, def)?,
        Format::Json => json_records(body, p, def)?,
    };
    let primary = def.keys_type == KeysType::Primary;
    let keyed = def.keys_type.upserts();
    let nkeys = def.key_cols.len();
    let mut parsed = Parsed::default();
    for rec in records {
        parsed.total += 1;
        let rec = match rec {
            Ok(r) => r,
            Err((reason, raw)) => {
                parsed.filtered += 1;
                parsed.rejected.push(format!("Error: {reason}. Row: {raw}"));
                continue;
            }
        };
        match build_row(&rec, p, def, now_text, primary, keyed, nkeys) {
            Ok(op) => parsed.ops.push(op),
            Err(reason) => {
                parsed.filtered += 1;
                parsed
                    .rejected
                    .push(format!("Error: {reason}. Row: {}", rec.raw));
            }
        }
    }
    Ok(parsed)
}

fn lookup<'a>(rec: &'a Record, name: &str) -> Option<&'a Option<String>> {
    rec.values
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn build_row(
    rec: &Record,
    p: &Params,
    def: &TableDef,
    now_text: &str,
    primary: bool,
    keyed: bool,
    nkeys: usize,
) -> Result<RowOp, String> {
    // Resolve a target column's raw value: an assignment wins, else a source of the same name.
    let resolve = |target: &str| -> Option<Option<String>> {
        if let Some((_, e)) = p
            .assigns
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(target))
        {
            return Some(match e {
                Expr::Const(c) => Some(c.clone()),
                Expr::Ref(r) => lookup(rec, r).cloned().flatten(),
            });
        }
        lookup(rec, target).cloned()
    };
    let mut delete = false;
    if let Some(opv) = resolve("__op") {
        let o = opv.unwrap_or_default();
        delete = match o.trim().to_ascii_lowercase().as_str() {
            "0" | "upsert" => false,
            "1" | "delete" => true,
            other => {
                return Err(format!(
                    "Invalid __op value '{other}', must be 0/1/upsert/delete"
                ))
            }
        };
    }
    let mut row = Vec::with_capacity(def.columns.len());
    let mut present = Vec::with_capacity(def.columns.len());
    for (i, c) in def.columns.iter().enumerate() {
        let v = match resolve(&c.name) {
            Some(None) => {
                present.push(true);
                if !c.nullable {
                    return Err(format!("NULL value in non-nullable column '{}'", c.name));
                }
                None
            }
            Some(Some(raw)) => {
                present.push(true);
                match convert(&c.ty, &raw) {
                    Ok(v) => Some(v),
                    Err(reason) => {
                        if p.strict || !c.nullable || i < nkeys {
                            return Err(format!("column '{}': {reason}", c.name));
                        }
                        None
                    }
                }
            }
            None => {
                present.push(false);
                let d = Table::default_for(def, i, now_text);
                let may_be_missing = d.is_some()
                    || c.nullable
                    || c.auto_increment
                    || (p.partial_update && i >= nkeys);
                if !may_be_missing {
                    return Err(format!("column '{}' is NOT NULL, has no default value and is missing from the data", c.name));
                }
                d
            }
        };
        row.push(v);
    }
    if primary {
        let mut len = 0;
        for (i, cell) in row.iter().enumerate().take(nkeys) {
            let v = cell.as_deref().unwrap_or("");
            len += def.columns[i].ty.encoded_key_len(v, i + 1 == nkeys);
        }
        if len > PK_LIMIT_BYTES {
            return Err(format!(
                "primary key size exceed the limit. encoded key size {len} bytes, limit {PK_LIMIT_BYTES} bytes"
            ));
        }
    }
    let _ = keyed;
    Ok(RowOp {
        delete,
        row,
        present: if p.partial_update {
            Some(present)
        } else {
            None
        },
    })
}

pub fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 128
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn now_text(shared: &Shared) -> String {
    crate::fe_mysql::civil_from_unix((shared.now_ms() / 1000) as i64)
}

fn error_log(
    shared: &Shared,
    st: &mut crate::state::State,
    label: &str,
    rejected: &[String],
) -> Option<String> {
    if rejected.is_empty() {
        return None;
    }
    st.next_error_log += 1;
    let id = format!("error_log_{}_{}", label, st.next_error_log);
    st.error_logs.insert(id.clone(), rejected.join("\n") + "\n");
    let be = shared
        .be_addr
        .lock()
        .ok()
        .and_then(|a| *a)
        .map(|a| a.to_string())
        .unwrap_or_default();
    Some(format!("http://{be}/api/_load_error_log?file={id}"))
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

fn finish_json(mut conn: Conn, v: Value) {
    let _ = conn.json(&v);
    conn.finish();
}

fn abort_txn(shared: &Shared, db: &str, label: &str, reason: &str) {
    let mut st = shared.lock();
    if let Some(t) = st.dbs.get_mut(db).and_then(|d| d.txns.get_mut(label)) {
        t.state = TxnState::Aborted;
        t.reason = reason.to_string();
        t.ops.clear();
        t.busy = false;
    }
    shared.persist_db(&st, db);
}

/// Take a fault for `target`; a Delay fault is served here (sleep) and not returned.
fn take_fault(shared: &Shared, target: Target) -> Option<FaultKind> {
    let f = shared.faults().take(target);
    match f {
        Some(FaultKind::Delay { ms }) => {
            std::thread::sleep(Duration::from_millis(ms));
            None
        }
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// One-shot Stream Load (BE)

fn stream_load(shared: &Shared, req: &Request, mut conn: Conn, db: &str, table: &str) {
    if !auth_ok(shared, req) {
        return unauthorized(conn);
    }
    let fault = take_fault(shared, Target::StreamLoad);
    let label = match req.header("label") {
        Some(l) => l.to_string(),
        None => format!("emulator_{}", shared.now_ms()),
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
    let params = match parse_params(req) {
        Ok(p) => p,
        Err(m) => return finish_json(conn, fail_json(&label, "Fail", &m)),
    };
    if req.content_length().is_none() && !req.chunked() {
        return finish_json(conn, fail_json(&label, "Fail", "The length of the body is unknown: send Content-Length or Transfer-Encoding: chunked"));
    }
    // Begin the transaction (label check).
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
        d.txns.insert(
            label.clone(),
            new_txn(id, &label, table, false, now, params.timeout_s, None),
        );
        if let Some(t) = d.txns.get_mut(&label) {
            t.busy = true;
        }
        shared.persist_db(&st, db);
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
    let parsed = parse_body(&body, &params, &def, &now_text(shared));
    let mut st = shared.lock();
    let error_url = match &parsed {
        Ok(p) => error_log(shared, &mut st, &label, &p.rejected),
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
            shared.persist_db(&st, db);
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
            shared.persist_db(&st, db);
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
            shared.persist_db(&st, db);
            drop(st);
            return finish_json(conn, v);
        }
        Some(FaultKind::MemLimitExceeded) => {
            let msg = "MEM_LIMIT_EXCEEDED: Memory of process exceed limit (injected by the StarRocks emulator)";
            abort_with(txn, msg);
            let v = load_json(txn, "Fail", msg, None);
            shared.persist_db(&st, db);
            drop(st);
            return finish_json(conn, v);
        }
        _ => {}
    }
    if too_many_filtered(txn.filtered_rows, txn.total_rows, params.max_filter_ratio) {
        let msg = "too many filtered rows";
        abort_with(txn, msg);
        let v = load_json(txn, "Fail", msg, None);
        shared.persist_db(&st, db);
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
    if let Some(t) = d.tables.get_mut(table) {
        t.apply(&parsed.ops);
        t.load_count += 1;
    }
    shared.persist_db(&st, db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    let _ = conn.json(&v);
    conn.finish();
}

fn too_many_filtered(filtered: u64, total: u64, ratio: f64) -> bool {
    filtered > 0 && total > 0 && (filtered as f64) > ratio * (total as f64)
}

fn new_txn(
    id: u64,
    label: &str,
    table: &str,
    explicit: bool,
    now: u64,
    timeout_s: u64,
    idle: Option<u64>,
) -> Txn {
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
        idle_timeout_s: idle,
        prepared_ms: None,
        prepared_timeout_s: DEFAULT_PREPARED_TIMEOUT_S,
        visible_at_ms: None,
        reason: String::new(),
        busy: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Transaction Stream Load

fn txn_resp(t: &Txn, status: &str, message: &str, counts: bool) -> Value {
    let mut v = json!({"Status": status, "Message": message, "Label": t.label, "TxnId": t.id});
    if counts {
        v["NumberTotalRows"] = json!(t.total_rows);
        v["NumberLoadedRows"] = json!(t.loaded_rows);
        v["NumberFilteredRows"] = json!(t.filtered_rows);
        v["NumberUnselectedRows"] = json!(t.unselected_rows);
        v["LoadBytes"] = json!(t.load_bytes);
        v["LoadTimeMs"] = json!(1);
        v["StreamLoadPlanTimeMs"] = json!(0);
        v["ReceivedDataTimeMs"] = json!(0);
        v["WriteDataTimeMs"] = json!(0);
        v["CommitAndPublishTimeMs"] = json!(0);
    }
    if let Some(u) = &t.error_url {
        v["ErrorURL"] = json!(u);
    }
    v
}

fn txn_headers(req: &Request) -> Result<(String, String, String), String> {
    let label = req.header("label").unwrap_or("").to_string();
    let db = req.header("db").unwrap_or("").to_string();
    let table = req.header("table").unwrap_or("").to_string();
    if label.is_empty() {
        return Err("No label specified".into());
    }
    if db.is_empty() {
        return Err("No database specified".into());
    }
    Ok((label, db, table))
}

fn fault_response(conn: Conn, fault: &FaultKind) -> Option<Conn> {
    match fault {
        FaultKind::Http { code } => {
            let mut conn = conn;
            let _ = conn.respond(
                *code,
                &[],
                format!("injected HTTP {code} by the StarRocks emulator").as_bytes(),
                "text/plain",
            );
            conn.finish();
            None
        }
        FaultKind::DropMidBody { .. } => {
            conn.drop_now();
            None
        }
        _ => Some(conn),
    }
}

/// begin / prepare / commit / rollback.
fn txn_simple(shared: &Shared, req: &Request, conn: Conn, op: Target) {
    let fault = take_fault(shared, op);
    let (label, db, table) = match txn_headers(req) {
        Ok(x) => x,
        Err(m) => return fe_failed(conn, m),
    };
    let mut conn = conn;
    if let Some(f) = &fault {
        match fault_response(conn, f) {
            Some(c) => conn = c,
            // Answered (5xx) or dropped: the operation did not happen.
            None => return,
        }
        if let FaultKind::Status { status, message } = f {
            if matches!(op, Target::TxnBegin) {
                return finish_json(
                    conn,
                    json!({"Status": status, "Message": message, "Label": label}),
                );
            }
            let st = shared.lock();
            let t = st.dbs.get(&db).and_then(|d| d.txns.get(&label));
            let v = match t {
                Some(t) => txn_resp(t, status, message, false),
                None => json!({"Status": status, "Message": message, "Label": label}),
            };
            drop(st);
            return finish_json(conn, v);
        }
        if let FaultKind::MemLimitExceeded = f {
            return finish_json(
                conn,
                json!({"Status":"FAILED","Message":"MEM_LIMIT_EXCEEDED: Memory of process exceed limit (injected by the StarRocks emulator)","Label": label}),
            );
        }
    }
    let now = shared.now_ms();
    let mut st = shared.lock();
    if op == Target::TxnBegin {
        let id = st.alloc_txn_id();
        let Some(d) = st.dbs.get_mut(&db) else {
            drop(st);
            return fe_failed(conn, format!("Database[{db}] does not exist"));
        };
        if table.is_empty() || !d.tables.contains_key(&table) {
            drop(st);
            return fe_failed(
                conn,
                format!("Table[{table}] does not exist in database[{db}]"),
            );
        }
        if !valid_label(&label) {
            drop(st);
            return fe_failed(
                conn,
                format!("Invalid label format. regex: ^[-\\w]{{1,128}}$, label: {label}"),
            );
        }
        if let Some(existing) = d.txns.get(&label) {
            if existing.state != TxnState::Aborted {
                let v = json!({"Status":"LABEL_ALREADY_EXISTS","Message":format!("Label [{label}] has already been used."),
                    "Label": label, "ExistingJobStatus": existing.state.existing_job_status()});
                drop(st);
                return finish_json(conn, v);
            }
        }
        let timeout = match req.header("timeout").map(|v| v.trim().parse::<u64>()) {
            None => DEFAULT_TIMEOUT_S,
            Some(Ok(n)) if n >= 1 => n,
            Some(_) => {
                drop(st);
                return fe_failed(conn, "Invalid timeout header".into());
            }
        };
        let idle = req
            .header("idle_transaction_timeout")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let t = new_txn(id, &label, &table, true, now, timeout, idle);
        let v = json!({"Status":"OK","Message":"","Label":label,"TxnId":id,"BeginTxnTimeMs":0});
        d.txns.insert(label.clone(), t);
        shared.persist_db(&st, &db);
        drop(st);
        return finish_json(conn, v);
    }
    let Some(d) = st.dbs.get_mut(&db) else {
        drop(st);
        return fe_failed(conn, format!("Database[{db}] does not exist"));
    };
    let Some(t) = d.txns.get_mut(&label) else {
        let v = json!({"Status":"TXN_NOT_EXISTS","Message":format!("Transaction with label {label} not exists"),"Label":label});
        drop(st);
        return finish_json(conn, v);
    };
    if t.busy {
        let v = json!({"Status":"TXN_IN_PROCESSING","Message":format!("Transaction {label} is processing another request, retry later"),"Label":label,"TxnId":t.id});
        drop(st);
        return finish_json(conn, v);
    }
    t.last_activity_ms = now;
    let table = t.table.clone();
    let v = match op {
        Target::TxnPrepare => match t.state {
            TxnState::Prepare => {
                if too_many_filtered(t.filtered_rows, t.total_rows, t.max_filter_ratio) {
                    t.state = TxnState::Aborted;
                    t.reason = "too many filtered rows".into();
                    t.ops.clear();
                    txn_resp(t, "FAILED", "too many filtered rows", true)
                } else {
                    t.state = TxnState::Prepared;
                    t.prepared_ms = Some(now);
                    t.prepared_timeout_s = req
                        .header("prepared_timeout")
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(DEFAULT_PREPARED_TIMEOUT_S);
                    txn_resp(t, "OK", "", true)
                }
            }
            TxnState::Prepared => txn_resp(t, "OK", "Transaction already prepared", true),
            TxnState::Committed | TxnState::Visible => txn_resp(
                t,
                "FAILED",
                "Transaction already committed, can not prepare",
                false,
            ),
            TxnState::Aborted => txn_resp(
                t,
                "FAILED",
                &format!("Transaction is aborted: {}", t.reason),
                false,
            ),
        },
        Target::TxnCommit => match t.state {
            TxnState::Prepare | TxnState::Prepared => {
                if too_many_filtered(t.filtered_rows, t.total_rows, t.max_filter_ratio) {
                    t.state = TxnState::Aborted;
                    t.reason = "too many filtered rows".into();
                    t.ops.clear();
                    txn_resp(t, "FAILED", "too many filtered rows", true)
                } else {
                    let publish_timeout = matches!(fault, Some(FaultKind::PublishTimeout { .. }));
                    if let Some(FaultKind::PublishTimeout { visible_after_ms }) = &fault {
                        t.state = TxnState::Committed;
                        t.visible_at_ms = Some(now + visible_after_ms);
                    } else {
                        t.state = TxnState::Visible;
                    }
                    let ops = std::mem::take(&mut t.ops);
                    let v = if publish_timeout {
                        txn_resp(t, "PUBLISH_TIMEOUT", "publish timeout", true)
                    } else {
                        txn_resp(t, "OK", "", true)
                    };
                    if let Some(tb) = d.tables.get_mut(&table) {
                        tb.apply(&ops);
                        tb.load_count += 1;
                    }
                    v
                }
            }
            TxnState::Committed | TxnState::Visible => {
                txn_resp(t, "OK", "Transaction already commited", true)
            }
            TxnState::Aborted => txn_resp(
                t,
                "FAILED",
                &format!("Transaction is aborted: {}", t.reason),
                false,
            ),
        },
        Target::TxnRollback => match t.state {
            TxnState::Prepare | TxnState::Prepared => {
                t.state = TxnState::Aborted;
                t.reason = "rolled back by the client".into();
                t.ops.clear();
                txn_resp(t, "OK", "", false)
            }
            TxnState::Aborted => txn_resp(t, "OK", "Transaction already aborted", false),
            TxnState::Committed | TxnState::Visible => txn_resp(
                t,
                "FAILED",
                "Transaction already committed, can not rollback",
                false,
            ),
        },
        _ => json!({"Status":"FAILED","Message":"unexpected operation"}),
    };
    shared.persist_db(&st, &db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    finish_json(conn, v)
}

/// `PUT /api/transaction/load` on the BE: append rows to a PREPARE transaction.
fn txn_load(shared: &Shared, req: &Request, mut conn: Conn) {
    let fault = take_fault(shared, Target::TxnLoad);
    let (label, db, _table) = match txn_headers(req) {
        Ok(x) => x,
        Err(m) => return fe_failed(conn, m),
    };
    let now = shared.now_ms();
    let (def, params) = {
        let mut st = shared.lock();
        let Some(d) = st.dbs.get_mut(&db) else {
            drop(st);
            return fe_failed(conn, format!("Database[{db}] does not exist"));
        };
        let Some(t) = d.txns.get_mut(&label) else {
            let v = json!({"Status":"TXN_NOT_EXISTS","Message":format!("Transaction with label {label} not exists"),"Label":label});
            drop(st);
            return finish_json(conn, v);
        };
        if t.busy {
            let v = json!({"Status":"TXN_IN_PROCESSING","Message":format!("Transaction {label} is processing another request, retry later"),"Label":label,"TxnId":t.id});
            drop(st);
            return finish_json(conn, v);
        }
        if t.state != TxnState::Prepare {
            let v = txn_resp(
                t,
                "FAILED",
                &format!("Transaction state is {}, can not load data", t.state.name()),
                false,
            );
            drop(st);
            return finish_json(conn, v);
        }
        let params = match parse_params(req) {
            Ok(p) => p,
            Err(m) => {
                t.state = TxnState::Aborted;
                t.reason = m.clone();
                t.ops.clear();
                let v = txn_resp(t, "FAILED", &m, false);
                shared.persist_db(&st, &db);
                drop(st);
                return finish_json(conn, v);
            }
        };
        let tname = t.table.clone();
        t.busy = true;
        t.last_activity_ms = now;
        let Some(tb) = d.tables.get(&tname) else {
            if let Some(t) = d.txns.get_mut(&label) {
                t.busy = false;
            }
            drop(st);
            return fe_failed(conn, format!("Table[{tname}] does not exist"));
        };
        (tb.def.clone(), params)
    };
    let limit = match &fault {
        Some(FaultKind::DropMidBody { after_bytes }) => Some(*after_bytes),
        _ => None,
    };
    let body = match conn.read_body(req, limit) {
        Ok(b) => b,
        Err(e) => {
            abort_txn(
                shared,
                &db,
                &label,
                &format!("connection error while reading the body: {e}"),
            );
            return conn.drop_now();
        }
    };
    if limit.is_some() {
        abort_txn(
            shared,
            &db,
            &label,
            "connection dropped while reading the body (injected fault)",
        );
        return conn.drop_now();
    }
    if let Some(f) = &fault {
        let msg = match f {
            FaultKind::Status { message, .. } => Some(message.clone()),
            FaultKind::MemLimitExceeded => Some("MEM_LIMIT_EXCEEDED: Memory of process exceed limit (injected by the StarRocks emulator)".to_string()),
            FaultKind::Http { .. } => Some("injected HTTP error".to_string()),
            _ => None,
        };
        if let Some(m) = msg {
            abort_txn(shared, &db, &label, &m);
            if let FaultKind::Http { code } = f {
                let _ = conn.respond(
                    *code,
                    &[],
                    format!("injected HTTP {code} by the StarRocks emulator").as_bytes(),
                    "text/plain",
                );
                return conn.finish();
            }
            let status = match f {
                FaultKind::Status { status, .. } => status.clone(),
                _ => "FAILED".to_string(),
            };
            return finish_json(
                conn,
                json!({"Status": status, "Message": m, "Label": label}),
            );
        }
    }
    let parsed = parse_body(&body, &params, &def, &now_text(shared));
    let mut st = shared.lock();
    let url = match &parsed {
        Ok(p) => error_log(shared, &mut st, &label, &p.rejected),
        Err(_) => None,
    };
    let Some(t) = st.dbs.get_mut(&db).and_then(|d| d.txns.get_mut(&label)) else {
        drop(st);
        return fe_failed(conn, "transaction vanished".into());
    };
    t.busy = false;
    t.last_activity_ms = shared.now_ms();
    let v = match parsed {
        Err(m) => {
            t.state = TxnState::Aborted;
            t.reason = m.clone();
            t.ops.clear();
            txn_resp(t, "FAILED", &m, false)
        }
        Ok(p) => {
            t.total_rows += p.total;
            t.filtered_rows += p.filtered;
            t.loaded_rows += p.total - p.filtered;
            t.load_bytes += body.len() as u64;
            t.max_filter_ratio = params.max_filter_ratio;
            if url.is_some() {
                t.error_url = url;
            }
            t.ops.extend(p.ops);
            let mut v = json!({"Status":"OK","Message":"","Label":label,"TxnId":t.id,"LoadBytes":body.len(),
                "StreamLoadPlanTimeMs":0,"ReceivedDataTimeMs":0});
            if let Some(u) = &t.error_url {
                v["ErrorURL"] = json!(u);
            }
            v
        }
    };
    shared.persist_db(&st, &db);
    drop(st);
    if matches!(fault, Some(FaultKind::DropAfterCommit)) {
        return conn.drop_now();
    }
    finish_json(conn, v)
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
        ("GET", ["rows"]) => {
            let db = req.query_param("db").unwrap_or("");
            let table = req.query_param("table").unwrap_or("");
            let st = shared.lock();
            match st.dbs.get(db).and_then(|d| d.tables.get(table)) {
                Some(t) => Ok(
                    json!({"columns": t.def.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                    "rows": t.all_rows(), "load_count": t.load_count}),
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
    fn separators_and_column_lists() {
        assert_eq!(parse_sep("\\x01", "s").unwrap(), vec![1u8]);
        assert_eq!(parse_sep("\\x0D0A", "s").unwrap(), b"\r\n".to_vec());
        assert_eq!(parse_sep("\\t", "s").unwrap(), b"\t".to_vec());
        assert_eq!(parse_sep("||", "s").unwrap(), b"||".to_vec());
        assert!(parse_sep("\\x0", "s").is_err());
        assert!(parse_sep("\\xZZ", "s").is_err());
        assert_eq!(
            split_top("a, `b`,tmp, __op = tmp, c=concat('x,y', d)"),
            vec!["a", "`b`", "tmp", "__op = tmp", "c=concat('x,y', d)"]
        );
        assert!(valid_label("a-b_C9"));
        assert!(!valid_label("a b"));
        assert!(!valid_label(""));
        assert!(!valid_label(&"x".repeat(129)));
        assert!(too_many_filtered(1, 10, 0.0));
        assert!(!too_many_filtered(1, 10, 0.1));
        assert!(too_many_filtered(2, 10, 0.1));
        assert!(!too_many_filtered(0, 0, 0.0));
    }

    #[test]
    fn json_paths() {
        let v: Value = serde_json::from_str(r#"{"a": {"b": [10, 20]}, "c": 1}"#).unwrap();
        assert_eq!(json_path(&v, "$.a.b[1]"), Some(&json!(20)));
        assert_eq!(json_path(&v, "$.c"), Some(&json!(1)));
        assert_eq!(json_path(&v, "$.x"), None);
    }
}
