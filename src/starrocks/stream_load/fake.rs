//! A tiny scripted HTTP/1.1 server for unit tests (std TcpListener, one thread, one request per
//! connection, `Connection: close`). Records every request it receives.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the handler wants to do with a request.
pub enum Action {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without answering (after reading the request).
    Drop,
}

pub fn json(body: &str) -> Action {
    Action::Reply {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string(),
    }
}

pub fn redirect(location: &str) -> Action {
    Action::Reply {
        status: 307,
        headers: vec![("Location".into(), location.to_string())],
        body: String::new(),
    }
}

pub fn status(code: u16, body: &str) -> Action {
    Action::Reply {
        status: code,
        headers: vec![],
        body: body.to_string(),
    }
}

type Handler = Box<dyn FnMut(&Req, usize) -> Action + Send>;

pub struct FakeServer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Req>>>,
}

impl FakeServer {
    /// Start a BE-like server (answers `100 Continue`, reads the body); `handler(request,
    /// index)` decides each answer (index counts from 0).
    pub fn start(handler: impl FnMut(&Req, usize) -> Action + Send + 'static) -> FakeServer {
        Self::start_as(true, handler)
    }

    /// Start an FE-like server: like StarRocks' FE it never sends `100 Continue` and never
    /// reads a body; it answers after the headers (the recorded body is empty).
    pub fn start_fe(handler: impl FnMut(&Req, usize) -> Action + Send + 'static) -> FakeServer {
        Self::start_as(false, handler)
    }

    fn start_as(
        reads_body: bool,
        handler: impl FnMut(&Req, usize) -> Action + Send + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let mut handler: Handler = Box::new(handler);
        std::thread::spawn(move || {
            for (i, conn) in listener.incoming().enumerate() {
                let Ok(stream) = conn else { continue };
                serve(stream, i, reads_body, &mut handler, &log);
            }
        });
        FakeServer { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub fn reqs(&self) -> Vec<Req> {
        self.requests.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

fn serve(
    stream: TcpStream,
    i: usize,
    reads_body: bool,
    handler: &mut Handler,
    log: &Arc<Mutex<Vec<Req>>>,
) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut w = stream;
    let expects = headers
        .iter()
        .any(|(k, v)| k == "expect" && v.eq_ignore_ascii_case("100-continue"));
    let mut body = Vec::new();
    if reads_body {
        if expects && len > 0 {
            let _ = w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
    }
    let req = Req {
        method,
        path,
        headers,
        body,
    };
    if let Ok(mut g) = log.lock() {
        g.push(req.clone());
    }
    match handler(&req, i) {
        Action::Drop => {}
        Action::Reply {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status} X\r\n");
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ));
            let _ = w.write_all(out.as_bytes());
        }
    }
}
