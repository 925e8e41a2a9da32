//! Stream Load and Transaction Stream Load client (reference/starrocks-protocol.md §2, §4).
//!
//! Invariant: this client never loads a batch twice and never reports a batch loaded that is
//! not. Why it holds:
//! - Every request carries the caller's label, and nothing here ever makes up a new one: a
//!   retry (by the caller or by [`StreamLoadClient::load_resolving`]) re-sends the same label
//!   and the same bytes, so StarRocks refuses the second transaction (§2.5).
//! - `Ok` from [`StreamLoadClient::load`] means exactly: `Success` with verified counts
//!   (§2.9), `Publish Timeout` (committed), or `Label Already Exists` + `FINISHED`. Everything
//!   else is an error whose variant says what the caller may do next ([`LoadError`]): an
//!   outcome that could have committed (timeout or reset after the body was sent, a non-JSON or
//!   5xx reply from the node that got the body) is [`LoadError::Unknown`], never `Transient`,
//!   so nobody retries it blindly; it must be resolved with `get_load_state` first (§2.6).
//! - Redirects are followed by hand (reqwest's policy is `none`), re-sending every header and
//!   the Basic auth on each hop (reqwest would drop `Authorization`). The body goes only to
//!   the node the configured FE redirects to: the first request to the FE is a body-less probe
//!   (hyper does not wait for `100 Continue`), and a probe is never sent to a redirect target,
//!   which may be a BE where a body-less PUT would be an empty load consuming the label.
//! - Strict mode is on and `max_filter_ratio` is 0, and passthrough headers cannot override
//!   `label`, `format`, `strict_mode` or `max_filter_ratio`: a bad value fails the batch
//!   instead of silently becoming NULL or being dropped.
//!
//! The password is only handed to reqwest's `basic_auth` (which marks the header sensitive);
//! it is never formatted into a message or a log line.

use crate::config::Secret;
use crate::retry::{retry, Attempt, RetryPolicy, Retryable};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, EXPECT, LOCATION};
use reqwest::{Method, StatusCode, Url};
use std::io::Read;
use std::time::Duration;

/// At most this many redirects per request (FE → leader FE → BE, plus one spare).
const MAX_REDIRECTS: usize = 3;
/// Reply bodies longer than this are cut (a Stream Load reply is a small JSON document).
const MAX_REPLY_BYTES: u64 = 1 << 20;
/// How much of an ErrorURL page is read, and how many rejected rows are quoted from it.
const MAX_ERROR_LOG_BYTES: u64 = 64 * 1024;
const MAX_ERROR_ROWS: usize = 5;
const MAX_ERROR_ROW_CHARS: usize = 400;

/// FE http endpoint (`load-url`), e.g. `127.0.0.1:8030`: parsed by `config::target` only.
pub use crate::config::HostPort as HttpEndpoint;
pub use crate::config::SinkFormat;

fn base_url(e: &HttpEndpoint) -> Result<Url, LoadError> {
    Url::parse(&format!("http://{e}/"))
        .map_err(|err| LoadError::Definite(format!("invalid FE http endpoint {e}: {err}")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Whole-request timeout for small requests (probe, label state, begin/prepare/commit).
    /// A load request waits at least its `timeout_s` + 30 s.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    pub format: SinkFormat,
    /// `columns` header (e.g. `id,name,__op`).
    pub columns: Option<String>,
    /// `jsonpaths` header (JSON fields bound by position).
    pub jsonpaths: Option<String>,
    /// sink.properties.* passthrough; never overrides label/format/strict_mode/max_filter_ratio.
    pub extra_headers: Vec<(String, String)>,
    pub strict_mode: bool,
    pub timeout_s: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            format: SinkFormat::Json,
            columns: None,
            jsonpaths: None,
            extra_headers: Vec::new(),
            strict_mode: true,
            timeout_s: 600,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadDone {
    Loaded { rows: u64 },
    AlreadyLoaded,
    PublishTimeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelState {
    Unknown,
    Prepare,
    Prepared,
    Committed,
    Visible,
    Aborted,
}

impl LabelState {
    /// Parse the `state` of `get_load_state` (§2.6).
    pub fn parse(s: &str) -> Option<LabelState> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" => Some(LabelState::Unknown),
            "PREPARE" => Some(LabelState::Prepare),
            "PREPARED" => Some(LabelState::Prepared),
            "COMMITTED" => Some(LabelState::Committed),
            "VISIBLE" => Some(LabelState::Visible),
            "ABORTED" => Some(LabelState::Aborted),
            _ => None,
        }
    }
    /// COMMITTED or VISIBLE: the label's data is in StarRocks.
    pub fn is_committed(self) -> bool {
        match self {
            LabelState::Committed | LabelState::Visible => true,
            LabelState::Unknown
            | LabelState::Prepare
            | LabelState::Prepared
            | LabelState::Aborted => false,
        }
    }
}

/// A parsed Stream Load / transaction reply (BE or FE JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxnReply {
    pub status: String,
    pub message: String,
    pub txn_id: Option<i64>,
    pub total_rows: Option<u64>,
    pub loaded_rows: Option<u64>,
    pub filtered_rows: Option<u64>,
    pub unselected_rows: Option<u64>,
    pub error_url: Option<String>,
    pub existing_job_status: Option<String>,
}

impl TxnReply {
    /// Parse a reply body; `None` when it is not a JSON object with a status.
    pub fn parse(text: &str) -> Option<TxnReply> {
        let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
        let obj = v.as_object()?;
        let get = |keys: &[&str]| keys.iter().find_map(|k| obj.get(*k));
        let text_of = |keys: &[&str]| -> Option<String> {
            get(keys).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        let u64_of = |keys: &[&str]| -> Option<u64> {
            get(keys).and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
        };
        let status = text_of(&["Status", "status"])?;
        Some(TxnReply {
            status,
            message: text_of(&["Message", "message", "msg"]).unwrap_or_default(),
            txn_id: get(&["TxnId", "txnId"]).and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            total_rows: u64_of(&["NumberTotalRows"]),
            loaded_rows: u64_of(&["NumberLoadedRows"]),
            filtered_rows: u64_of(&["NumberFilteredRows"]),
            unselected_rows: u64_of(&["NumberUnselectedRows"]),
            error_url: text_of(&["ErrorURL"]).filter(|s| !s.is_empty()),
            existing_job_status: text_of(&["ExistingJobStatus"]),
        })
    }

    fn status_is(&self, s: &str) -> bool {
        self.status.trim().eq_ignore_ascii_case(s)
    }

    fn summary(&self) -> String {
        let mut s = format!("Status {:?}", self.status);
        if !self.message.is_empty() {
            s.push_str(&format!(", Message {:?}", self.message));
        }
        if let Some(id) = self.txn_id {
            s.push_str(&format!(", TxnId {id}"));
        }
        s
    }
}

/// What a failed Stream Load / transaction call means for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Not loaded; safe to retry the SAME label with the SAME body after back-off (BE busy, Fail
    /// with a transient message, MEM_LIMIT_EXCEEDED, 5xx before any body was sent, connection
    /// refused). For transaction ops: that op may be repeated; if the server aborted the
    /// transaction, restart it (begin again with the same label).
    #[error("transient StarRocks failure (retry with the same label): {0}")]
    Transient(String),
    /// Outcome unknown (timeout / reset after the body was sent / non-JSON reply): ask
    /// label_state before doing anything else.
    #[error("StarRocks load outcome unknown (check the label state before retrying): {0}")]
    Unknown(String),
    /// Label exists and its txn is still running (PREPARE/PREPARED): poll label_state.
    #[error("StarRocks label still in progress: {0}")]
    LabelRunning(String),
    /// `TXN_NOT_EXISTS`: the node asked holds no context for the transaction — it finished (a
    /// lost reply to prepare/commit), timed out, or the BE that coordinated it restarted and
    /// lost it (BE `transaction_mgr.cpp`). Ask label_state: the FE knows which.
    #[error("StarRocks has no open transaction for the label: {0}")]
    TxnNotExists(String),
    /// A human must act: auth failure (401), data rejected (filtered rows: includes the
    /// ErrorURL and the first rejected rows fetched from it), unknown table, counts mismatch.
    #[error("StarRocks rejected the load: {0}")]
    Definite(String),
    /// StarRocks refused rows of the body (filtered rows in strict mode): the message carries
    /// the reason and the first rejected rows from the ErrorURL. Not loaded; the same rows
    /// are refused again.
    #[error("StarRocks refused rows of the load: {0}")]
    Rejected(String),
}

impl LoadError {
    /// Only [`LoadError::Transient`] may be retried directly.
    pub fn is_retryable(&self) -> bool {
        match self {
            LoadError::Transient(_) => true,
            LoadError::Unknown(_)
            | LoadError::LabelRunning(_)
            | LoadError::TxnNotExists(_)
            | LoadError::Definite(_)
            | LoadError::Rejected(_) => false,
        }
    }
    pub fn message(&self) -> &str {
        match self {
            LoadError::Transient(m)
            | LoadError::Unknown(m)
            | LoadError::LabelRunning(m)
            | LoadError::TxnNotExists(m)
            | LoadError::Definite(m)
            | LoadError::Rejected(m) => m,
        }
    }
}

impl Retryable for LoadError {
    fn is_retryable(&self) -> bool {
        LoadError::is_retryable(self)
    }
}

/// Is a label acceptable to StarRocks (`^[-\w]{1,128}$`, ASCII)? §2.5.
pub fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 128
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Message fragments (lower case) meaning a human must act; checked before the transient ones.
const DEFINITE_PATTERNS: &[&str] = &[
    "too many filtered rows",
    "filtered rows",
    "unknown table",
    "unknown database",
    "does not exist",
    "doesn't exist",
    "not exist",
    "not found",
    "access denied",
    "privilege",
    "permission",
    "authenticat",
    "password",
    "no 100-continue",
    "100-continue header",
    "parse",
    "invalid",
    "illegal",
    "not supported",
    "unsupported",
    "no such column",
    "unknown column",
    "column count",
    "strict mode",
    "out of range",
    "too long",
    "schema",
    "label is not valid",
];

/// Message fragments that mark a failure as transient even when a "definite" word also
/// appears (e.g. "Backend not found ... timeout"); checked first.
const STRONG_TRANSIENT_PATTERNS: &[&str] = &[
    "mem_limit_exceeded",
    "mem limit",
    "memory exceed",
    "too many versions",
    "too many tablet versions",
    "timeout",
    "timed out",
    "busy",
    "not alive",
    "unavailable",
    "no available",
    "no backend",
];

/// Message fragments meaning the server could not do it now but nothing was committed.
const TRANSIENT_PATTERNS: &[&str] = &[
    "memory",
    "connection",
    "rpc",
    "cancel",
    "retry",
    "try again",
    "too many",
    "not ready",
    "leader",
];

/// Classify the message of a `Fail`/`FAILED` reply. Unrecognised messages are transient: the
/// retry policy bounds how often they are tried, and the last error keeps the message.
fn classify_failure_message(context: &str, message: &str) -> LoadError {
    let lower = message.to_ascii_lowercase();
    if STRONG_TRANSIENT_PATTERNS.iter().any(|p| lower.contains(p)) {
        return LoadError::Transient(format!("{context}: {message}"));
    }
    if DEFINITE_PATTERNS.iter().any(|p| lower.contains(p)) {
        return LoadError::Definite(format!("{context}: {message}"));
    }
    if TRANSIENT_PATTERNS.iter().any(|p| lower.contains(p)) {
        return LoadError::Transient(format!("{context}: {message}"));
    }
    LoadError::Transient(format!(
        "{context}: {message} (unrecognised failure, treated as transient)"
    ))
}

/// Check the counts of a successful load or a prepared transaction (§2.9): total and loaded
/// rows equal the rows sent, none filtered, none unselected.
pub fn verify_counts(reply: &TxnReply, rows_sent: u64) -> Result<(), LoadError> {
    let mut problems = Vec::new();
    match reply.total_rows {
        Some(n) if n == rows_sent => {}
        Some(n) => problems.push(format!("NumberTotalRows {n} != {rows_sent} rows sent")),
        None => problems.push("reply has no NumberTotalRows".to_string()),
    }
    match reply.loaded_rows {
        Some(n) if n == rows_sent => {}
        Some(n) => problems.push(format!("NumberLoadedRows {n} != {rows_sent} rows sent")),
        None => problems.push("reply has no NumberLoadedRows".to_string()),
    }
    if let Some(n) = reply.filtered_rows.filter(|n| *n != 0) {
        problems.push(format!("NumberFilteredRows {n} != 0"));
    }
    if let Some(n) = reply.unselected_rows.filter(|n| *n != 0) {
        problems.push(format!("NumberUnselectedRows {n} != 0"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let mut msg = format!("row counts do not match ({})", problems.join("; "));
        if let Some(url) = &reply.error_url {
            msg.push_str(&format!("; rejected rows: {url}"));
        }
        Err(LoadError::Definite(msg))
    }
}

/// Pure classification of one Stream Load JSON reply, so it can be unit-tested on every
/// Status (§2.4).
pub fn classify_load_reply(reply: &TxnReply, rows_sent: u64) -> Result<LoadDone, LoadError> {
    let status = reply.status.trim();
    if reply.status_is("Success") || reply.status_is("OK") {
        verify_counts(reply, rows_sent)?;
        return Ok(LoadDone::Loaded { rows: rows_sent });
    }
    if reply.status_is("Publish Timeout") || reply.status_is("PUBLISH_TIMEOUT") {
        return Ok(LoadDone::PublishTimeout);
    }
    if reply.status_is("Label Already Exists") || reply.status_is("LABEL_ALREADY_EXISTS") {
        return match reply.existing_job_status.as_deref().map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("FINISHED") => Ok(LoadDone::AlreadyLoaded),
            Some(s) => Err(LoadError::LabelRunning(format!(
                "label already used; its transaction is {s} ({})",
                reply.summary()
            ))),
            None => Err(LoadError::LabelRunning(format!(
                "label already used and the reply does not say whether it finished ({})",
                reply.summary()
            ))),
        };
    }
    if reply.status_is("Fail") || reply.status_is("FAILED") {
        let filtered = reply.filtered_rows.unwrap_or(0);
        if filtered > 0 || reply.error_url.is_some() {
            let mut msg = format!(
                "data rejected: {filtered} row(s) filtered ({})",
                reply.summary()
            );
            if let Some(url) = &reply.error_url {
                msg.push_str(&format!("; ErrorURL: {url}"));
            }
            return Err(LoadError::Rejected(msg));
        }
        return Err(classify_failure_message(
            &format!("load failed (Status {status:?})"),
            &reply.message,
        ));
    }
    Err(LoadError::Unknown(format!(
        "unexpected Stream Load status ({})",
        reply.summary()
    )))
}

/// Transaction operations (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnOp {
    Begin,
    Load,
    Prepare,
    Commit,
    Rollback,
}

impl TxnOp {
    fn path(self) -> &'static str {
        match self {
            TxnOp::Begin => "begin",
            TxnOp::Load => "load",
            TxnOp::Prepare => "prepare",
            TxnOp::Commit => "commit",
            TxnOp::Rollback => "rollback",
        }
    }
}

/// Pure classification of one transaction-API reply (§4.2).
///
/// - every op: `OK` → Ok; `TXN_IN_PROCESSING` → Transient (repeat the op after back-off).
/// - begin: `LABEL_ALREADY_EXISTS` + RUNNING → LabelRunning; + FINISHED → Definite (the label
///   was already committed: check `label_state` before beginning a label again).
/// - every op: `TXN_NOT_EXISTS` → TxnNotExists (ask label_state: finished, timed out, or lost
///   with a restarted backend).
/// - commit: `PUBLISH_TIMEOUT` → Ok (committed).
/// - commit: `FAILED` → Unknown (the txn may still be PREPARED); other ops: by message.
pub fn classify_txn_reply(op: TxnOp, reply: &TxnReply) -> Result<(), LoadError> {
    let ctx = format!("transaction {} ({})", op.path(), reply.summary());
    let st = reply.status.trim().to_ascii_uppercase();
    match st.as_str() {
        "OK" | "SUCCESS" => Ok(()),
        "TXN_IN_PROCESSING" => Err(LoadError::Transient(format!(
            "{ctx}: another operation on this label is running"
        ))),
        "PUBLISH_TIMEOUT" | "PUBLISH TIMEOUT" => match op {
            TxnOp::Commit => Ok(()),
            TxnOp::Begin | TxnOp::Load | TxnOp::Prepare | TxnOp::Rollback => {
                Err(LoadError::Unknown(ctx))
            }
        },
        "LABEL_ALREADY_EXISTS" | "LABEL ALREADY EXISTS" => {
            let finished = reply
                .existing_job_status
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("FINISHED"));
            if finished {
                Err(LoadError::Definite(format!(
                    "{ctx}: the label was already committed (ExistingJobStatus FINISHED); \
                     its data is loaded, do not load it again"
                )))
            } else {
                Err(LoadError::LabelRunning(ctx))
            }
        }
        "TXN_NOT_EXISTS" => Err(LoadError::TxnNotExists(format!(
            "{ctx}: ask the label state (finished, timed out, or lost with a restarted backend)"
        ))),
        _ => {
            let filtered = reply.filtered_rows.unwrap_or(0);
            if filtered > 0 || reply.error_url.is_some() {
                let mut msg = format!("{ctx}: data rejected: {filtered} row(s) filtered");
                if let Some(url) = &reply.error_url {
                    msg.push_str(&format!("; ErrorURL: {url}"));
                }
                return Err(LoadError::Rejected(msg));
            }
            match op {
                TxnOp::Commit => Err(LoadError::Unknown(format!(
                    "{ctx}: commit not confirmed; ask the label state"
                ))),
                TxnOp::Begin | TxnOp::Load | TxnOp::Prepare | TxnOp::Rollback => {
                    Err(classify_failure_message(&ctx, &reply.message))
                }
            }
        }
    }
}

/// One HTTP exchange after redirects.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    body: String,
    url: Url,
    /// The final answer came to the body-less probe (the FE did not redirect).
    to_probe: bool,
    /// A request that can change state (body, or a state-changing POST) reached a server.
    state_sent: bool,
}

/// Stream Load + transaction API client. Cheap to clone.
#[derive(Clone)]
pub struct StreamLoadClient {
    http: Client,
    fe: HttpEndpoint,
    user: String,
    password: Secret,
    timeouts: Timeouts,
    retry: RetryPolicy,
}

impl std::fmt::Debug for StreamLoadClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamLoadClient")
            .field("fe", &self.fe)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

impl StreamLoadClient {
    pub fn new(fe_http: HttpEndpoint, user: String, password: Secret, timeouts: Timeouts) -> Self {
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap_or_else(|_| Client::new());
        StreamLoadClient {
            http,
            fe: fe_http,
            user,
            password,
            timeouts,
            retry: RetryPolicy::default(),
        }
    }

    /// Replace the back-off policy used by [`Self::commit_resolving`] and
    /// [`Self::load_resolving`] (default: [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    pub fn endpoint(&self) -> &HttpEndpoint {
        &self.fe
    }

    fn url(&self, segments: &[&str], query: Option<(&str, &str)>) -> Result<Url, LoadError> {
        let mut url = base_url(&self.fe)?;
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| LoadError::Definite(format!("cannot build a URL on {}", self.fe)))?;
            path.clear();
            for s in segments {
                path.push(s);
            }
        }
        if let Some((k, v)) = query {
            url.query_pairs_mut().append_pair(k, v);
        }
        Ok(url)
    }

    fn load_timeout(&self, timeout_s: u64) -> Duration {
        self.timeouts
            .request
            .max(Duration::from_secs(timeout_s.saturating_add(30)))
    }

    /// Send `method` to `url`, following up to [`MAX_REDIRECTS`] redirects by hand (auth and
    /// every header resent at each hop). A body goes with `Expect: 100-continue` through
    /// [`http1`](super::http1): only the server that answers `100 Continue` (a BE) receives it,
    /// an FE's redirect is followed before a byte of it is sent.
    fn exchange(
        &self,
        method: Method,
        mut url: Url,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        timeout: Duration,
        state_changing: bool,
    ) -> Result<Reply, LoadError> {
        if let Some(body) = body {
            return self.exchange_with_body(method, url, headers, body, timeout);
        }
        let mut hops = 0usize;
        loop {
            let mut h = headers.clone();
            h.insert(EXPECT, HeaderValue::from_static("100-continue"));
            h.insert(CONTENT_LENGTH, HeaderValue::from(0usize));
            tracing::debug!(%method, %url, "stream load request");
            let resp = self
                .http
                .request(method.clone(), url.clone())
                .headers(h)
                .basic_auth(&self.user, Some(self.password.expose()))
                .timeout(timeout)
                .body(Vec::new())
                .send()
                .map_err(|e| transport_error(&e, &url, state_changing, "sending the request"))?;
            let status = resp.status();
            if status.is_redirection() {
                let loc = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                url = next_hop(&url, loc.as_deref(), status.as_u16(), &mut hops)?;
                continue;
            }
            let text = read_text(resp, MAX_REPLY_BYTES);
            return Ok(Reply {
                status,
                body: text,
                url,
                to_probe: false,
                state_sent: state_changing,
            });
        }
    }

    fn exchange_with_body(
        &self,
        method: Method,
        mut url: Url,
        headers: &HeaderMap,
        body: &[u8],
        timeout: Duration,
    ) -> Result<Reply, LoadError> {
        let auth = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{}:{}", self.user, self.password.expose())
            )
        );
        let mut list: Vec<(String, String)> = vec![("Authorization".into(), auth)];
        for (k, v) in headers {
            let name = k.as_str();
            if name == "content-length" || name == "expect" || name == "connection" {
                continue;
            }
            // The bytes as `put_header` took them from a `str` (`to_str` would drop a value
            // outside visible ASCII, such as a table name in another script).
            list.push((
                name.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            ));
        }
        let mut hops = 0usize;
        loop {
            let host = url
                .host_str()
                .unwrap_or_default()
                .trim_matches(['[', ']'])
                .to_string();
            let port = url.port_or_known_default().unwrap_or(80);
            let target = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            tracing::debug!(%method, %url, bytes = body.len(), "stream load request with a body");
            let r = super::http1::send(&super::http1::Request {
                method: method.as_str(),
                host: &host,
                port,
                target: &target,
                headers: &list,
                body,
                connect_timeout: self.timeouts.connect,
                io_timeout: timeout,
                max_reply: MAX_REPLY_BYTES as usize,
            })
            .map_err(|e| match e {
                super::http1::Error::Connect(m) => LoadError::Transient(format!(
                    "sending the request to {url}: cannot connect: {m}"
                )),
                super::http1::Error::Io { message, body_sent } => {
                    let msg = format!("sending the request to {url}: {message}");
                    if body_sent {
                        LoadError::Unknown(msg)
                    } else {
                        LoadError::Transient(msg)
                    }
                }
                super::http1::Error::Protocol(m) => {
                    LoadError::Unknown(format!("{url} answered something that is not HTTP: {m}"))
                }
            })?;
            if (300..400).contains(&r.status) {
                url = next_hop(&url, r.header("location"), r.status, &mut hops)?;
                continue;
            }
            return Ok(Reply {
                status: StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY),
                body: r.body,
                url,
                // The first server asked for the body itself: not an FE.
                to_probe: hops == 0 && r.body_sent,
                state_sent: r.body_sent,
            });
        }
    }

    /// Turn an HTTP reply into a parsed JSON reply, or a classified error.
    fn parse_reply(&self, r: &Reply) -> Result<TxnReply, LoadError> {
        let st = r.status;
        if st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN {
            return Err(LoadError::Definite(format!(
                "authentication failed for user {:?} at {} (HTTP {st}): check \
                 flink.starrocks.username/password and the user's INSERT privilege",
                self.user, r.url
            )));
        }
        if st == StatusCode::NOT_FOUND {
            return Err(LoadError::Definite(format!(
                "{} answered 404: is {} the FE http port (load-url)? {}",
                r.url,
                self.fe,
                snippet(&r.body)
            )));
        }
        if st.is_server_error() {
            let msg = format!("{} answered HTTP {st}: {}", r.url, snippet(&r.body));
            return Err(if r.state_sent {
                LoadError::Unknown(msg)
            } else {
                LoadError::Transient(msg)
            });
        }
        match TxnReply::parse(&r.body) {
            Some(reply) => Ok(reply),
            None => {
                let msg = format!(
                    "{} answered HTTP {st} with a body that is not a Stream Load reply: {}",
                    r.url,
                    snippet(&r.body)
                );
                Err(if r.state_sent {
                    LoadError::Unknown(msg)
                } else if st.is_client_error() {
                    LoadError::Definite(msg)
                } else {
                    LoadError::Transient(msg)
                })
            }
        }
    }

    fn auth_and_label_headers(
        &self,
        label: &str,
        extra: &[(&str, &str)],
    ) -> Result<HeaderMap, LoadError> {
        if !valid_label(label) {
            return Err(LoadError::Definite(format!(
                "label {label:?} is not valid for StarRocks (1..128 of A-Z a-z 0-9 _ -)"
            )));
        }
        let mut h = HeaderMap::new();
        put_header(&mut h, "label", label)?;
        for (k, v) in extra {
            put_header(&mut h, k, v)?;
        }
        Ok(h)
    }

    fn data_headers(&self, h: &mut HeaderMap, opts: &LoadOptions) -> Result<(), LoadError> {
        match &opts.format {
            SinkFormat::Json => {
                put_header(h, "format", "json")?;
                put_header(h, "strip_outer_array", "true")?;
                put_header(h, "ignore_json_size", "true")?;
            }
            SinkFormat::Csv {
                column_separator,
                row_delimiter,
            } => {
                put_header(h, "format", "csv")?;
                put_header(h, "column_separator", &column_separator.text)?;
                put_header(h, "row_delimiter", &row_delimiter.text)?;
            }
        }
        if let Some(c) = &opts.columns {
            put_header(h, "columns", c)?;
        }
        if let Some(p) = &opts.jsonpaths {
            put_header(h, "jsonpaths", p)?;
        }
        put_header(
            h,
            "strict_mode",
            if opts.strict_mode { "true" } else { "false" },
        )?;
        put_header(h, "max_filter_ratio", "0")?;
        put_header(h, "timeout", &opts.timeout_s.to_string())?;
        const PROTECTED: &[&str] = &[
            "label",
            "format",
            "strict_mode",
            "max_filter_ratio",
            "db",
            "table",
            "expect",
            "authorization",
            "content-length",
            "transfer-encoding",
            "host",
        ];
        for (k, v) in &opts.extra_headers {
            let lk = k.trim().to_ascii_lowercase();
            if PROTECTED.contains(&lk.as_str()) {
                tracing::warn!(header = %lk, "ignoring a Stream Load property that smt sets itself");
                continue;
            }
            put_header(h, &lk, v)?;
        }
        Ok(())
    }

    /// Plain auto-commit Stream Load (one request): body-less probe PUT to the FE with all
    /// headers + `Expect: 100-continue` → 307 Location → PUT body to the BE with all headers
    /// and Basic auth again. Ok only when the load is done: Success (counts verified ==
    /// rows), Publish Timeout, or Label Already Exists + ExistingJobStatus FINISHED (=>
    /// LoadDone::AlreadyLoaded).
    pub fn load(
        &self,
        db: &str,
        table: &str,
        label: &str,
        opts: &LoadOptions,
        body: &[u8],
        rows: u64,
    ) -> Result<LoadDone, LoadError> {
        if body.is_empty() {
            return Err(LoadError::Definite(format!(
                "refusing to send an empty body for label {label}"
            )));
        }
        let mut h = self.auth_and_label_headers(label, &[])?;
        self.data_headers(&mut h, opts)?;
        let url = self.url(&["api", db, table, "_stream_load"], None)?;
        let r = self.exchange(
            Method::PUT,
            url,
            &h,
            Some(body),
            self.load_timeout(opts.timeout_s),
            true,
        )?;
        let reply = self.parse_reply(&r)?;
        if r.to_probe && (reply.status_is("Success") || reply.status_is("OK")) {
            return Err(LoadError::Definite(format!(
                "{} answered the body-less probe with a load result instead of a redirect \
                 ({}): is the load-url a BE address? Point flink.starrocks.load-url at the FE \
                 http port (default 8030)",
                r.url,
                reply.summary()
            )));
        }
        match classify_load_reply(&reply, rows) {
            Ok(done) => {
                tracing::debug!(db, table, label, ?done, "stream load done");
                Ok(done)
            }
            Err(LoadError::Definite(msg)) => {
                Err(LoadError::Definite(self.with_error_rows(msg, &reply)))
            }
            Err(LoadError::Rejected(msg)) => {
                Err(LoadError::Rejected(self.with_error_rows(msg, &reply)))
            }
            Err(e) => Err(e),
        }
    }

    /// [`Self::load`] that resolves every outcome with the same label: Transient → back off
    /// and re-send; Unknown / LabelRunning / TxnNotExists → poll `label_state` (COMMITTED/VISIBLE
    /// → done as AlreadyLoaded; PREPARE/PREPARED → wait; ABORTED/UNKNOWN → re-send). Returns a
    /// Definite error, or the last error when the retry policy is used up.
    pub fn load_resolving(
        &self,
        db: &str,
        table: &str,
        label: &str,
        opts: &LoadOptions,
        body: &[u8],
        rows: u64,
    ) -> Result<LoadDone, LoadError> {
        let mut ask_first = false;
        retry(&self.retry, |_| {
            if ask_first {
                match self.label_state(db, label) {
                    Ok(LabelState::Committed | LabelState::Visible) => {
                        return Ok(LoadDone::AlreadyLoaded)
                    }
                    Ok(LabelState::Prepare | LabelState::Prepared) => {
                        return Err(Attempt::Again(LoadError::LabelRunning(format!(
                            "label {label} did not reach a final state in time"
                        ))))
                    }
                    Ok(LabelState::Aborted | LabelState::Unknown) => ask_first = false,
                    Err(e) => return Err(Attempt::of(e)),
                }
            }
            match self.load(db, table, label, opts, body, rows) {
                Ok(done) => Ok(done),
                Err(
                    e @ (LoadError::Definite(_) | LoadError::Rejected(_) | LoadError::Transient(_)),
                ) => Err(Attempt::of(e)),
                Err(
                    e @ (LoadError::Unknown(_)
                    | LoadError::LabelRunning(_)
                    | LoadError::TxnNotExists(_)),
                ) => {
                    ask_first = true;
                    Err(Attempt::Again(e))
                }
            }
        })
        .map_err(Attempt::into_inner)
    }

    /// GET `/api/{db}/get_load_state?label=` (§2.6), following redirects to the leader FE.
    pub fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadError> {
        self.label_state_within(db, label, self.timeouts.request)
    }

    /// Whether the endpoint answers like a StarRocks FE, within `limit` (a silent host is an
    /// error after `limit`, not after the long request timeout): a label state query.
    pub fn probe(&self, db: &str, limit: Duration) -> Result<LabelState, LoadError> {
        self.label_state_within(db, "smt_preflight_probe", limit.min(self.timeouts.request))
    }

    fn label_state_within(
        &self,
        db: &str,
        label: &str,
        timeout: Duration,
    ) -> Result<LabelState, LoadError> {
        let url = self.url(&["api", db, "get_load_state"], Some(("label", label)))?;
        let r = self.exchange(Method::GET, url, &HeaderMap::new(), None, timeout, false)?;
        let reply = self.parse_reply(&r)?;
        let v: serde_json::Value = serde_json::from_str(r.body.trim()).unwrap_or_default();
        let state = v
            .get("state")
            .or_else(|| v.get("State"))
            .and_then(|s| s.as_str())
            .map(str::to_string);
        if !(reply.status_is("OK") || reply.status_is("Success")) {
            return Err(classify_failure_message(
                &format!("get_load_state for label {label} in {db} failed"),
                &reply.message,
            ));
        }
        match state.as_deref().and_then(LabelState::parse) {
            Some(s) => Ok(s),
            None => Err(LoadError::Transient(format!(
                "get_load_state for label {label} gave no known state: {}",
                snippet(&r.body)
            ))),
        }
    }

    fn txn_call(
        &self,
        op: TxnOp,
        db: &str,
        table: &str,
        label: &str,
        extra: &[(&str, &str)],
        data: Option<(&LoadOptions, &[u8])>,
    ) -> Result<TxnReply, LoadError> {
        let mut h = self.auth_and_label_headers(label, &[("db", db), ("table", table)])?;
        for (k, v) in extra {
            put_header(&mut h, k, v)?;
        }
        let url = self.url(&["api", "transaction", op.path()], None)?;
        let (method, body, timeout) = match data {
            Some((opts, body)) => {
                self.data_headers(&mut h, opts)?;
                (Method::PUT, Some(body), self.load_timeout(opts.timeout_s))
            }
            None => (Method::POST, None, self.timeouts.request),
        };
        let r = self.exchange(method, url, &h, body, timeout, true)?;
        let reply = self.parse_reply(&r)?;
        match classify_txn_reply(op, &reply) {
            Ok(()) => Ok(reply),
            Err(LoadError::Definite(msg)) => {
                Err(LoadError::Definite(self.with_error_rows(msg, &reply)))
            }
            Err(LoadError::Rejected(msg)) => {
                Err(LoadError::Rejected(self.with_error_rows(msg, &reply)))
            }
            Err(e) => Err(e),
        }
    }

    /// POST /api/transaction/begin (headers label, db, table, timeout).
    pub fn begin(
        &self,
        db: &str,
        table: &str,
        label: &str,
        timeout_s: u64,
    ) -> Result<TxnReply, LoadError> {
        let t = timeout_s.to_string();
        self.txn_call(TxnOp::Begin, db, table, label, &[("timeout", &t)], None)
    }

    /// PUT /api/transaction/load with the body (probe to the FE first, body to the BE).
    pub fn load_in_txn(
        &self,
        db: &str,
        table: &str,
        label: &str,
        opts: &LoadOptions,
        body: &[u8],
    ) -> Result<TxnReply, LoadError> {
        if body.is_empty() {
            return Err(LoadError::Definite(format!(
                "refusing to send an empty body for label {label}"
            )));
        }
        self.txn_call(TxnOp::Load, db, table, label, &[], Some((opts, body)))
    }

    /// POST /api/transaction/prepare; the reply has the row counts (check them with
    /// [`verify_counts`] before committing).
    pub fn prepare(&self, db: &str, table: &str, label: &str) -> Result<TxnReply, LoadError> {
        self.txn_call(TxnOp::Prepare, db, table, label, &[], None)
    }

    /// POST /api/transaction/commit.
    pub fn commit(&self, db: &str, table: &str, label: &str) -> Result<TxnReply, LoadError> {
        self.txn_call(TxnOp::Commit, db, table, label, &[], None)
    }

    /// POST /api/transaction/rollback (a missing transaction counts as rolled back).
    pub fn rollback(&self, db: &str, table: &str, label: &str) -> Result<TxnReply, LoadError> {
        self.txn_call(TxnOp::Rollback, db, table, label, &[], None)
    }

    /// commit; on an unknown outcome (timeout, reset, 5xx, non-JSON, TXN_NOT_EXISTS) ask
    /// label_state until final: COMMITTED/VISIBLE => Ok; PREPARED => commit again;
    /// ABORTED/UNKNOWN/PREPARE => Err(Definite). Transient failures are retried per the retry
    /// policy.
    pub fn commit_resolving(&self, db: &str, table: &str, label: &str) -> Result<(), LoadError> {
        let mut ask_first: Option<LoadError> = None;
        retry(&self.retry, |_| {
            if let Some(last) = &ask_first {
                match self.label_state(db, label) {
                    Ok(LabelState::Committed | LabelState::Visible) => return Ok(()),
                    Ok(LabelState::Prepared) => ask_first = None,
                    Ok(s @ (LabelState::Aborted | LabelState::Unknown)) => {
                        return Err(Attempt::Stop(LoadError::Definite(format!(
                            "commit of label {label} in {db}: the transaction is {s:?} (aborted \
                             or expired) after: {}; its data is NOT loaded and must be sent \
                             again in a new transaction with the same label",
                            last.message()
                        ))))
                    }
                    Ok(LabelState::Prepare) => {
                        return Err(Attempt::Stop(LoadError::Definite(format!(
                            "commit of label {label} in {db}: the transaction is still PREPARE \
                             (never prepared), so it cannot be committed; roll it back and \
                             load again with the same label (last error: {})",
                            last.message()
                        ))))
                    }
                    Err(e) => return Err(Attempt::of(e)),
                }
            }
            match self.commit(db, table, label) {
                Ok(_) => Ok(()),
                Err(
                    e @ (LoadError::Definite(_) | LoadError::Rejected(_) | LoadError::Transient(_)),
                ) => Err(Attempt::of(e)),
                Err(
                    e @ (LoadError::Unknown(_)
                    | LoadError::LabelRunning(_)
                    | LoadError::TxnNotExists(_)),
                ) => {
                    ask_first = Some(e.clone());
                    Err(Attempt::Again(e))
                }
            }
        })
        .map_err(Attempt::into_inner)
    }

    /// Append the first rejected rows from the reply's ErrorURL to a Definite message.
    fn with_error_rows(&self, mut msg: String, reply: &TxnReply) -> String {
        let Some(url) = reply.error_url.as_deref() else {
            return msg;
        };
        match self.fetch_error_rows(url) {
            Ok(rows) if !rows.is_empty() => {
                msg.push_str("; first rejected rows:");
                for r in rows {
                    msg.push_str("\n  ");
                    msg.push_str(&r);
                }
            }
            Ok(_) => {}
            Err(e) => msg.push_str(&format!(" (could not read the error log: {e})")),
        }
        msg
    }

    fn fetch_error_rows(&self, url: &str) -> Result<Vec<String>, String> {
        let url = Url::parse(url).map_err(|e| format!("bad ErrorURL: {e}"))?;
        let resp = self
            .http
            .get(url)
            .basic_auth(&self.user, Some(self.password.expose()))
            .timeout(self.timeouts.request.min(Duration::from_secs(30)))
            .send()
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        let text = read_text(resp, MAX_ERROR_LOG_BYTES);
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(MAX_ERROR_ROWS)
            .map(|l| truncate_chars(l, MAX_ERROR_ROW_CHARS))
            .collect())
    }
}

fn put_header(h: &mut HeaderMap, name: &str, value: &str) -> Result<(), LoadError> {
    let n = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| LoadError::Definite(format!("invalid HTTP header name {name:?}")))?;
    let v = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
        LoadError::Definite(format!(
            "value of HTTP header {name:?} contains characters HTTP cannot carry: {value:?}"
        ))
    })?;
    h.insert(n, v);
    Ok(())
}

/// Read at most `limit` bytes of a reply. A failure mid-body yields a marker text, which no
/// caller can mistake for a JSON reply (so it is classified as a non-JSON answer).
fn read_text(resp: Response, limit: u64) -> String {
    let mut buf = Vec::new();
    let mut r = resp.take(limit);
    if let Err(e) = r.read_to_end(&mut buf) {
        return format!("<reply cut short after {} bytes: {e}>", buf.len());
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The URL a redirect points at (hops counted, at most [`MAX_REDIRECTS`]).
fn next_hop(
    url: &Url,
    location: Option<&str>,
    status: u16,
    hops: &mut usize,
) -> Result<Url, LoadError> {
    *hops += 1;
    let Some(loc) = location else {
        return Err(LoadError::Transient(format!(
            "{url} answered {status} without a Location header"
        )));
    };
    if *hops > MAX_REDIRECTS {
        return Err(LoadError::Transient(format!(
            "more than {MAX_REDIRECTS} redirects, last from {url} to {loc}"
        )));
    }
    url.join(loc).map_err(|e| {
        LoadError::Transient(format!("{url} redirected to a bad Location {loc:?}: {e}"))
    })
}

fn transport_error(e: &reqwest::Error, url: &Url, state_sent: bool, doing: &str) -> LoadError {
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        src = s.source();
    }
    let msg = format!("{doing} to {url}: {detail}");
    if e.is_connect() || !state_sent {
        LoadError::Transient(msg)
    } else {
        LoadError::Unknown(msg)
    }
}

fn snippet(s: &str) -> String {
    truncate_chars(s.trim(), 300)
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod fake;

#[cfg(test)]
mod tests;
