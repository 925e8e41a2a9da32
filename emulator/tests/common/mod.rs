//! Shared helpers for the emulator's integration tests.
#![allow(dead_code)]

use base64::Engine;
use mysql::prelude::Queryable;
use serde_json::Value;
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub const PASSWORD: &str = "s3cret";

pub fn start() -> Emulator {
    start_with(EmulatorConfig {
        password: PASSWORD.into(),
        ..Default::default()
    })
}

pub fn start_with(cfg: EmulatorConfig) -> Emulator {
    Emulator::start(cfg).expect("emulator starts")
}

pub fn conn(emu: &Emulator) -> mysql::Conn {
    conn_pw(emu, PASSWORD).expect("connect to emulator FE")
}

pub fn conn_pw(emu: &Emulator, pw: &str) -> mysql::Result<mysql::Conn> {
    let a = emu.fe_query_addr();
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(a.port())
        .user(Some("root"))
        .pass(Some(pw));
    mysql::Conn::new(opts)
}

/// Run a statement and return the server error message, panicking if it succeeds.
pub fn err_of(c: &mut mysql::Conn, q: &str) -> (u16, String) {
    match c.query_drop(q) {
        Ok(()) => panic!("expected an error for: {q}"),
        Err(mysql::Error::MySqlError(e)) => (e.code, e.message),
        Err(e) => panic!("unexpected client error for {q}: {e}"),
    }
}

pub fn rows_text(c: &mut mysql::Conn, q: &str) -> Vec<Vec<Option<String>>> {
    let rows: Vec<mysql::Row> = c.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    rows.into_iter()
        .map(|r| {
            r.unwrap()
                .into_iter()
                .map(|v| match v {
                    mysql::Value::NULL => None,
                    mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).to_string()),
                    other => Some(other.as_sql(true)),
                })
                .collect()
        })
        .collect()
}

pub fn basic(user: &str, pw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
    )
}

pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The documented client approach: body-less probe PUT to the FE, then PUT the body to the
/// `Location` the 307 names. Returns the BE's JSON.
pub fn stream_load(
    emu: &Emulator,
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    let c = http();
    let url = format!(
        "http://{}/api/{db}/{table}/_stream_load",
        emu.fe_http_addr()
    );
    let mut probe = c
        .put(&url)
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .header("Content-Length", "0");
    for (k, v) in headers {
        probe = probe.header(*k, *v);
    }
    let r = probe.send().expect("probe PUT");
    assert_eq!(
        r.status().as_u16(),
        307,
        "FE answers 307: {:?}",
        r.text().ok()
    );
    let loc = r
        .headers()
        .get("location")
        .expect("Location")
        .to_str()
        .unwrap()
        .to_string();
    let mut put = c
        .put(&loc)
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .body(body.to_vec());
    for (k, v) in headers {
        put = put.header(*k, *v);
    }
    let r = put.send().expect("BE PUT");
    assert_eq!(r.status().as_u16(), 200);
    r.json().expect("JSON body")
}

/// A transaction op (begin/prepare/commit/rollback) as a StarRocks client must send it: POST to
/// the FE with an empty body, follow 307 redirects by hand (resending auth and headers), and
/// return the final JSON.
pub fn txn_op(
    emu: &Emulator,
    op: &str,
    label: &str,
    db: &str,
    table: &str,
    extra: &[(&str, &str)],
) -> Value {
    txn_op_at(emu.fe_http_addr(), op, label, db, table, extra)
}

/// Like `txn_op`, starting at `addr` (an FE or a BE).
pub fn txn_op_at(
    addr: SocketAddr,
    op: &str,
    label: &str,
    db: &str,
    table: &str,
    extra: &[(&str, &str)],
) -> Value {
    let (code, v) = txn_op_hops(addr, op, label, db, table, extra, 4);
    assert_eq!(code, 200, "{v}");
    v
}

/// POST once to `addr` without following a redirect: (HTTP status, Location or JSON body).
pub fn txn_op_once(
    addr: SocketAddr,
    op: &str,
    label: &str,
    db: &str,
    table: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut rq = http()
        .post(format!("http://{addr}/api/transaction/{op}"))
        .header("Authorization", basic("root", PASSWORD))
        .header("label", label)
        .header("db", db)
        .header("table", table);
    for (k, v) in extra {
        rq = rq.header(*k, *v);
    }
    let r = rq.send().expect("txn op");
    let code = r.status().as_u16();
    if code == 307 {
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        return (code, loc);
    }
    (code, r.text().unwrap_or_default())
}

fn txn_op_hops(
    addr: SocketAddr,
    op: &str,
    label: &str,
    db: &str,
    table: &str,
    extra: &[(&str, &str)],
    hops: usize,
) -> (u16, Value) {
    let (code, text) = txn_op_once(addr, op, label, db, table, extra);
    if code == 307 {
        assert!(hops > 0, "too many redirects");
        let loc: reqwest::Url = text.parse().expect("Location URL");
        let next: SocketAddr = format!("{}:{}", loc.host_str().unwrap(), loc.port().unwrap())
            .parse()
            .unwrap();
        return txn_op_hops(next, op, label, db, table, extra, hops - 1);
    }
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (code, v)
}

/// Transaction load straight to `addr` (a BE), no redirect.
pub fn txn_load_at(
    addr: SocketAddr,
    label: &str,
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    let mut put = http()
        .put(format!("http://{addr}/api/transaction/load"))
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .header("label", label)
        .header("db", db)
        .header("table", table)
        .body(body.to_vec());
    for (k, v) in headers {
        put = put.header(*k, *v);
    }
    let r = put.send().expect("load");
    assert_eq!(r.status().as_u16(), 200);
    r.json().expect("JSON")
}

/// Transaction load: FE probe → 307 → BE with body.
pub fn txn_load(
    emu: &Emulator,
    label: &str,
    db: &str,
    table: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Value {
    let c = http();
    let mut probe = c
        .put(format!(
            "http://{}/api/transaction/load",
            emu.fe_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .header("Content-Length", "0")
        .header("label", label)
        .header("db", db)
        .header("table", table);
    for (k, v) in headers {
        probe = probe.header(*k, *v);
    }
    let r = probe.send().expect("probe");
    if r.status().as_u16() == 200 {
        // The FE answered itself (e.g. it knows no coordinator for the label).
        return r.json().expect("JSON");
    }
    assert_eq!(r.status().as_u16(), 307);
    let loc = r
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mut put = c
        .put(&loc)
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .header("label", label)
        .header("db", db)
        .header("table", table)
        .body(body.to_vec());
    for (k, v) in headers {
        put = put.header(*k, *v);
    }
    let r = put.send().expect("load");
    assert_eq!(r.status().as_u16(), 200);
    r.json().expect("JSON")
}

pub fn load_state(emu: &Emulator, db: &str, label: &str) -> String {
    let r = http()
        .get(format!(
            "http://{}/api/{db}/get_load_state?label={label}",
            emu.fe_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .send()
        .expect("get_load_state");
    let v: Value = r.json().expect("json");
    assert_eq!(v["status"], "OK", "{v}");
    v["state"].as_str().unwrap().to_string()
}

/// Raw HTTP exchange on a TcpStream: returns (status line + headers, body) of the first final
/// response, or Err when the server closed without answering.
pub fn raw_http(
    addr: SocketAddr,
    request_head: &str,
    body: &[u8],
) -> std::io::Result<(String, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(request_head.as_bytes())?;
    let _ = s.write_all(body);
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    if buf.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed without a response",
        ));
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    // Skip interim 100 Continue responses.
    let mut rest = text.as_str();
    while rest.starts_with("HTTP/1.1 100") {
        match rest.find("\r\n\r\n") {
            Some(i) => rest = &rest[i + 4..],
            None => break,
        }
    }
    match rest.split_once("\r\n\r\n") {
        Some((h, b)) => Ok((h.to_string(), b.to_string())),
        None => Ok((rest.to_string(), String::new())),
    }
}

pub fn setup_db(c: &mut mysql::Conn, db: &str, ddl: &[&str]) {
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    for d in ddl {
        c.query_drop(d.replace("{db}", db))
            .unwrap_or_else(|e| panic!("{d}: {e}"));
    }
}
