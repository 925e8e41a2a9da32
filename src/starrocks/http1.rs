//! The one HTTP/1.1 request reqwest cannot make: a PUT whose body is sent only after the server
//! answers `100 Continue`. StarRocks needs it: an FE never reads a Stream Load body — it answers
//! `307` (to a BE, or from a follower to the leader FE) and closes the connection, so a body sent
//! to an FE is lost in a reset, and smt would have to guess whether it was loaded. With
//! `Expect: 100-continue` the body goes only to the server that asks for it (a BE), exactly as
//! `curl --location-trusted` does against StarRocks (`../shared/reference/starrocks-protocol.md`
//! §2.1). Bodiless requests (transaction control, label state) go through reqwest.
//!
//! Scope: plain HTTP, one request per connection (`Connection: close`), `Content-Length` or
//! chunked or close-delimited responses, replies capped in size. Every step has a timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long to wait for `100 Continue` before sending the body anyway (RFC 9110 §10.1.1: a
/// server may ignore Expect; curl waits 1 s).
pub const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// A request to one server (no redirect handling: the caller follows `Location`).
pub struct Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub port: u16,
    /// Path and query, already percent-encoded (`/api/db/t/_stream_load`).
    pub target: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub connect_timeout: Duration,
    /// Read/write timeout of each socket operation after connecting.
    pub io_timeout: Duration,
    /// Reply bodies longer than this are cut.
    pub max_reply: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The request body was written to the socket (the server may have acted on it).
    pub body_sent: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No connection was made: nothing reached the server.
    #[error("cannot connect to {0}")]
    Connect(String),
    /// The connection broke or timed out. `body_sent`: the request body had been written.
    #[error("{message}")]
    Io { message: String, body_sent: bool },
    /// The server answered something that is not HTTP/1.x.
    #[error("not an HTTP reply: {0}")]
    Protocol(String),
}

/// Send `req` and read the final response.
pub fn send(req: &Request<'_>) -> Result<Response, Error> {
    let at = if req.host.contains(':') {
        format!("[{}]:{}", req.host, req.port)
    } else {
        format!("{}:{}", req.host, req.port)
    };
    let addrs: Vec<_> = (req.host, req.port)
        .to_socket_addrs()
        .map_err(|e| Error::Connect(format!("{at}: {e}")))?
        .collect();
    let mut stream = None;
    let mut last = String::new();
    for a in &addrs {
        match TcpStream::connect_timeout(a, req.connect_timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let stream = stream.ok_or_else(|| Error::Connect(format!("{at}: {last}")))?;
    let _ = stream.set_nodelay(true);
    let io = |message: String, body_sent: bool| Error::Io { message, body_sent };
    stream
        .set_write_timeout(Some(req.io_timeout))
        .and_then(|_| stream.set_read_timeout(Some(req.io_timeout)))
        .map_err(|e| io(format!("{at}: {e}"), false))?;

    let mut head = format!("{} {} HTTP/1.1\r\nHost: {at}\r\n", req.method, req.target);
    for (k, v) in req.headers {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    let with_body = !req.body.is_empty();
    head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    if with_body {
        head.push_str("Expect: 100-continue\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut w = &stream;
    w.write_all(head.as_bytes())
        .map_err(|e| io(format!("{at}: sending the request: {e}"), false))?;

    let mut reader = BufReader::new(&stream);
    let mut body_sent = false;
    if with_body {
        // Wait briefly for the interim answer: 100 → send the body; a final status (a redirect
        // from an FE) → return it without ever sending the body; silence → send it anyway.
        let _ = stream.set_read_timeout(Some(CONTINUE_WAIT.min(req.io_timeout)));
        let interim = read_head(&mut reader);
        let _ = stream.set_read_timeout(Some(req.io_timeout));
        match interim {
            Ok((100, _)) => {}
            Ok((status, headers)) => {
                return finish(&mut reader, status, headers, false, req.max_reply, &at)
            }
            Err(HeadError::Timeout) => {}
            Err(HeadError::Io(e)) => return Err(io(format!("{at}: {e}"), false)),
            Err(HeadError::Bad(e)) => return Err(Error::Protocol(format!("{at}: {e}"))),
        }
        w.write_all(req.body)
            .and_then(|_| w.flush())
            .map_err(|e| io(format!("{at}: sending the body: {e}"), true))?;
        body_sent = true;
    }
    loop {
        match read_head(&mut reader) {
            // A late (or repeated) interim answer.
            Ok((100, _)) => continue,
            Ok((status, headers)) => {
                return finish(&mut reader, status, headers, body_sent, req.max_reply, &at)
            }
            Err(HeadError::Timeout) => {
                return Err(io(
                    format!("{at}: timed out waiting for the reply"),
                    body_sent,
                ))
            }
            Err(HeadError::Io(e)) => return Err(io(format!("{at}: {e}"), body_sent)),
            Err(HeadError::Bad(e)) => return Err(Error::Protocol(format!("{at}: {e}"))),
        }
    }
}

enum HeadError {
    Timeout,
    Io(String),
    Bad(String),
}

/// Status line and headers of one response.
fn read_head<R: BufRead>(r: &mut R) -> Result<(u16, Vec<(String, String)>), HeadError> {
    let mut line = String::new();
    let status = loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => return Err(HeadError::Io("connection closed before a reply".into())),
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return Err(HeadError::Timeout)
            }
            Err(e) => return Err(HeadError::Io(e.to_string())),
        }
        let t = line.trim_end();
        if t.is_empty() {
            continue;
        }
        let mut parts = t.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(HeadError::Bad(format!("status line {t:?}")));
        }
        break parts
            .next()
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| HeadError::Bad(format!("status line {t:?}")))?;
    };
    let mut headers = Vec::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(HeadError::Io(e.to_string())),
        }
        let t = line.trim_end();
        if t.is_empty() {
            break;
        }
        if let Some((k, v)) = t.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn finish<R: BufRead>(
    r: &mut R,
    status: u16,
    headers: Vec<(String, String)>,
    body_sent: bool,
    max: usize,
    at: &str,
) -> Result<Response, Error> {
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let io = |e: std::io::Error| Error::Io {
        message: format!("{at}: reading the reply: {e}"),
        body_sent,
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).map_err(io)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| Error::Protocol(format!("{at}: bad chunk size {size:?}")))?;
            if n == 0 {
                break;
            }
            let mut chunk = vec![0u8; n];
            r.read_exact(&mut chunk).map_err(io)?;
            if body.len() < max {
                body.extend_from_slice(&chunk[..n.min(max - body.len())]);
            }
            let mut crlf = String::new();
            r.read_line(&mut crlf).map_err(io)?;
        }
    } else if let Some(len) = get("content-length").and_then(|v| v.trim().parse::<usize>().ok()) {
        let mut take = r.take(len.min(max) as u64);
        take.read_to_end(&mut body).map_err(io)?;
    } else if status != 204 && status != 304 && !(100..200).contains(&status) {
        let mut take = r.take(max as u64);
        take.read_to_end(&mut body).map_err(io)?;
    }
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        body_sent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server thread that runs `f` on the first connection.
    fn serve(f: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((s, _)) = l.accept() {
                f(s)
            }
        });
        port
    }

    fn head_of(s: &TcpStream) -> String {
        let mut r = BufReader::new(s);
        let mut out = String::new();
        loop {
            let mut l = String::new();
            if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                break;
            }
            out.push_str(&l);
        }
        out
    }

    fn req<'a>(port: u16, body: &'a [u8], headers: &'a [(String, String)]) -> Request<'a> {
        Request {
            method: "PUT",
            host: "127.0.0.1",
            port,
            target: "/api/d/t/_stream_load",
            headers,
            body,
            connect_timeout: Duration::from_secs(2),
            io_timeout: Duration::from_secs(5),
            max_reply: 1 << 20,
        }
    }

    #[test]
    fn a_redirect_before_100_continue_never_receives_the_body() {
        let (tx, rx) = std::sync::mpsc::channel();
        let port = serve(move |mut s| {
            let head = head_of(&s);
            s.write_all(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://be:8040/x\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            tx.send((head, rest)).unwrap();
        });
        let h = vec![("label".to_string(), "l1".to_string())];
        let r = send(&req(port, b"1,2\n", &h)).unwrap();
        assert_eq!(r.status, 307);
        assert_eq!(r.header("location"), Some("http://be:8040/x"));
        assert!(!r.body_sent);
        let (head, rest) = rx.recv().unwrap();
        assert!(
            head.contains("Expect: 100-continue") && head.contains("label: l1"),
            "{head}"
        );
        assert!(head.contains("Content-Length: 4"), "{head}");
        assert!(rest.is_empty(), "the FE must not see the body: {rest:?}");
    }

    #[test]
    fn the_body_follows_100_continue() {
        let port = serve(|mut s| {
            let _ = head_of(&s);
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
            let mut body = [0u8; 4];
            s.read_exact(&mut body).unwrap();
            let reply = format!(
                "{{\"Status\":\"OK\",\"got\":\"{}\"}}",
                String::from_utf8_lossy(&body).trim()
            );
            s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{reply}",
                    reply.len()
                )
                .as_bytes(),
            )
            .unwrap();
        });
        let r = send(&req(port, b"abc\n", &[])).unwrap();
        assert_eq!(r.status, 200);
        assert!(r.body_sent);
        assert_eq!(r.body, "{\"Status\":\"OK\",\"got\":\"abc\"}");
    }

    #[test]
    fn a_server_that_ignores_expect_gets_the_body_after_the_wait() {
        let port = serve(|mut s| {
            let _ = head_of(&s);
            let mut body = [0u8; 2];
            s.read_exact(&mut body).unwrap();
            s.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            )
            .unwrap();
        });
        let r = send(&req(port, b"xy", &[])).unwrap();
        assert_eq!((r.status, r.body.as_str(), r.body_sent), (200, "ok", true));
    }

    #[test]
    fn failures_say_whether_the_body_was_sent() {
        let port = serve(|mut s| {
            let _ = head_of(&s);
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
            let mut body = [0u8; 3];
            let _ = s.read_exact(&mut body);
            // Close without answering.
        });
        match send(&req(port, b"abc", &[])) {
            Err(Error::Io { body_sent, .. }) => assert!(body_sent),
            other => panic!("{other:?}"),
        }
        // Nothing listening: a connect error, nothing sent.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = l.local_addr().unwrap().port();
        drop(l);
        assert!(matches!(
            send(&req(dead, b"abc", &[])),
            Err(Error::Connect(_))
        ));
    }
}
