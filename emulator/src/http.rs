//! Minimal hand-written HTTP/1.1 server for the FE and BE http ports.
//!
//! Hand-written (no HTTP library) so the emulator controls `Expect: 100-continue` (the interim
//! `100 Continue` is sent only after the headers were accepted) and can drop a connection in the
//! middle of a body or after a commit. Every response carries `Connection: close`.
//!
//! FE ports never read a request body (FE `http/rest/LoadAction`, `TransactionLoadAction`: the
//! FE answers a load with a redirect from the headers alone and forces `Connection: close`): the
//! FE answers, then closes the socket without reading what the client still sends, like a netty
//! channel close does — unread bytes make the kernel answer with a reset, so a client that sent
//! a body to an FE may see its request fail instead of the 307. BE ports drain unread bytes
//! briefly after answering so the client sees the response.

use crate::state::Shared;
use base64::Engine;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body the emulator reads (it keeps bodies in memory).
pub const MAX_BODY: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The leader FE.
    Fe,
    /// Follower FE `i`.
    FeFollower(usize),
    /// BE `i`.
    Be(usize),
}

impl Role {
    pub fn is_fe(&self) -> bool {
        !matches!(self, Role::Be(_))
    }
    pub fn be(&self) -> Option<usize> {
        match self {
            Role::Be(i) => Some(*i),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn expects_continue(&self) -> bool {
        self.header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    }
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
    }
    pub fn chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }
}

/// A connection: buffered reader plus the raw stream for writing.
pub struct Conn {
    pub reader: BufReader<TcpStream>,
    pub continue_sent: bool,
    /// The whole body has been read.
    pub body_done: bool,
    /// Accepted on an FE port: never drain an unread body (see the module doc).
    pub fe: bool,
}

impl Conn {
    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    pub fn send_continue(&mut self, req: &Request) -> std::io::Result<()> {
        if req.expects_continue() && !self.continue_sent {
            self.continue_sent = true;
            let mut s = self.stream();
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            s.flush()?;
        }
        Ok(())
    }

    /// Read the whole body (Content-Length or chunked). `limit`: stop after this many bytes and
    /// return them (for the drop-mid-body fault).
    pub fn read_body(&mut self, req: &Request, limit: Option<usize>) -> std::io::Result<Vec<u8>> {
        self.send_continue(req)?;
        let mut body = Vec::new();
        if req.chunked() {
            loop {
                let mut line = String::new();
                if self.reader.read_line(&mut line)? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "eof in chunk size",
                    ));
                }
                let size_txt = line
                    .trim()
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let size = usize::from_str_radix(&size_txt, 16).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunk size")
                })?;
                if size == 0 {
                    // trailers
                    loop {
                        let mut t = String::new();
                        if self.reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = body.len();
                if (start + size) as u64 > MAX_BODY {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "chunked body larger than the emulator accepts",
                    ));
                }
                read_n(&mut self.reader, &mut body, size)?;
                let mut crlf = [0u8; 2];
                self.reader.read_exact(&mut crlf)?;
                if let Some(l) = limit {
                    if body.len() >= l {
                        body.truncate(l);
                        return Ok(body);
                    }
                }
            }
        } else {
            let n = req.content_length().unwrap_or(0);
            if n > MAX_BODY {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("body of {n} bytes is larger than the emulator accepts ({MAX_BODY})"),
                ));
            }
            let n = n as usize;
            let want = limit.map(|l| l.min(n)).unwrap_or(n);
            read_n(&mut self.reader, &mut body, want)?;
            if want < n {
                return Ok(body);
            }
        }
        self.body_done = true;
        Ok(body)
    }

    pub fn respond(
        &mut self,
        code: u16,
        headers: &[(&str, String)],
        body: &[u8],
        content_type: &str,
    ) -> std::io::Result<()> {
        let mut out = format!("HTTP/1.1 {code} {}\r\n", reason(code));
        out.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        ));
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        // One write for head and body (no small-write delay between them).
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        let mut s = self.stream();
        s.write_all(&bytes)?;
        s.flush()
    }

    pub fn json(&mut self, v: &serde_json::Value) -> std::io::Result<()> {
        let body = serde_json::to_vec_pretty(v).unwrap_or_default();
        self.respond(200, &[], &body, "text/plain; charset=UTF-8")
    }

    /// End the exchange. On a BE: close the write side and drain what the client still sends
    /// (bounded), so it reads our response instead of getting a reset. On an FE: close at once
    /// without reading (see the module doc).
    pub fn finish(self) {
        if self.fe {
            let s = self.reader.get_ref();
            let _ = s.flush_stream();
            let _ = s.shutdown(Shutdown::Write);
            // Dropping the socket with unread data queued makes the kernel send a reset.
            return;
        }
        let s = self.reader.get_ref();
        let _ = s.shutdown(Shutdown::Write);
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut r = self.reader;
        let mut buf = [0u8; 64 * 1024];
        let mut total = 0usize;
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 || total > 256 * 1024 * 1024 {
                break;
            }
            total += n;
        }
    }

    /// Drop the connection abruptly (fault injection).
    pub fn drop_now(self) {
        let _ = self.reader.get_ref().shutdown(Shutdown::Both);
    }
}

trait FlushStream {
    fn flush_stream(&self) -> std::io::Result<()>;
}
impl FlushStream for TcpStream {
    fn flush_stream(&self) -> std::io::Result<()> {
        let mut s = self;
        s.flush()
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let (path, q) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let query = q
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (pct_decode(k), pct_decode(v)),
            None => (pct_decode(kv), String::new()),
        })
        .collect();
    Ok(Some(Request {
        method,
        path: pct_decode(&path),
        query,
        headers,
    }))
}

pub fn serve(listener: TcpListener, shared: Arc<Shared>, role: Role) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let sh = shared.clone();
        std::thread::spawn(move || {
            let _guard = sh.register(&stream, role.be());
            let mut reader = BufReader::new(stream);
            let Ok(Some(req)) = read_request(&mut reader) else {
                return;
            };
            let conn = Conn {
                reader,
                continue_sent: false,
                body_done: false,
                fe: role.is_fe(),
            };
            crate::load::route(&sh, role, req, conn);
        });
    }
}

/// Check `Authorization: Basic ...` against the configured user/password.
pub fn auth_ok(shared: &Shared, req: &Request) -> bool {
    let Some(v) = req.header("authorization") else {
        return false;
    };
    let Some(b64) = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))
    else {
        return false;
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
        return false;
    };
    let Ok(txt) = String::from_utf8(raw) else {
        return false;
    };
    let (u, p) = txt.split_once(':').unwrap_or((txt.as_str(), ""));
    u == shared.cfg.user && p == shared.cfg.password
}

/// Append exactly `n` bytes of `r` to `out`, read into its spare capacity (no zeroing first).
fn read_n(r: &mut impl std::io::Read, out: &mut Vec<u8>, n: usize) -> std::io::Result<()> {
    use std::io::Read;
    out.reserve_exact(n);
    let start = out.len();
    r.take(n as u64).read_to_end(out)?;
    if out.len() - start < n {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "body shorter than announced",
        ));
    }
    Ok(())
}
