//! Fault injection: a queue of one-shot (or N-shot) faults consumed by the endpoints they target.
//!
//! Invariant: a fault is consumed (its count decremented) exactly when an endpoint of its target
//! starts handling a request, so "fail the next N loads" affects exactly N requests.

use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A one-shot Stream Load (`/api/{db}/{table}/_stream_load`, the data-carrying request).
    #[default]
    StreamLoad,
    TxnBegin,
    TxnLoad,
    TxnPrepare,
    TxnCommit,
    TxnRollback,
    /// Any of the above.
    Any,
    /// DDL / statements over the MySQL protocol.
    Ddl,
    /// The FE's 307 step of a Stream Load or transaction load (before any BE work).
    FeRedirect,
}

impl Target {
    fn matches(&self, actual: Target) -> bool {
        *self == actual
            || (*self == Target::Any && actual != Target::Ddl && actual != Target::FeRedirect)
    }
}

/// What happens to the targeted request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this `Status` (e.g. "Fail") and `Message`; nothing is applied, the txn aborts.
    Status {
        status: String,
        #[serde(default = "default_msg")]
        message: String,
    },
    /// Apply and commit the load, answer `Status: "Publish Timeout"`; the txn stays COMMITTED
    /// for `visible_after_ms` (default 1000) of emulator clock, then becomes VISIBLE.
    PublishTimeout {
        #[serde(default = "default_visible_after")]
        visible_after_ms: u64,
    },
    /// `Status: "Fail"`, Message starting with `MEM_LIMIT_EXCEEDED`; nothing applied.
    MemLimitExceeded,
    /// Answer with this HTTP status (5xx) and a non-JSON body; nothing applied.
    Http { code: u16 },
    /// Sleep this long before handling the request (then handle it normally).
    Delay { ms: u64 },
    /// Read `after_bytes` of the body, then close the connection; nothing applied.
    DropMidBody {
        #[serde(default)]
        after_bytes: usize,
    },
    /// Apply and commit (VISIBLE), then close the connection without answering.
    DropAfterCommit,
    /// FE redirect step: answer 307 to the FE itself (a follower → leader hop), so the client
    /// must follow two redirects.
    RedirectToFe,
    /// MySQL side: fail the statement with this error.
    FailDdl {
        #[serde(default = "default_code")]
        code: u16,
        #[serde(default = "default_msg")]
        message: String,
    },
}

fn default_msg() -> String {
    "injected fault".to_string()
}
fn default_visible_after() -> u64 {
    1000
}
fn default_code() -> u16 {
    1064
}
fn default_count() -> u32 {
    1
}

/// One injected fault (JSON shape of `POST /_emulator/fault`):
/// `{"target":"stream_load","count":2,"kind":"status","status":"Fail","message":"boom"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    #[serde(default)]
    pub target: Target,
    #[serde(default = "default_count")]
    pub count: u32,
    #[serde(flatten)]
    pub kind: FaultKind,
}

#[derive(Debug, Default)]
pub struct Faults {
    pub queue: Vec<FaultSpec>,
    /// How many faults have been consumed (for tests asserting a fault fired).
    pub fired: u64,
}

impl Faults {
    pub fn take(&mut self, actual: Target) -> Option<FaultKind> {
        let i = self
            .queue
            .iter()
            .position(|f| f.target.matches(actual) && f.count > 0)?;
        let f = &mut self.queue[i];
        f.count -= 1;
        let kind = f.kind.clone();
        if f.count == 0 {
            self.queue.remove(i);
        }
        self.fired += 1;
        Some(kind)
    }
}

/// Handle to inject faults into a running emulator (in-process).
#[derive(Clone)]
pub struct FaultHandle {
    pub(crate) shared: Arc<crate::state::Shared>,
}

impl FaultHandle {
    pub fn inject(&self, spec: FaultSpec) {
        self.shared.faults().queue.push(spec);
    }
    fn add(&self, target: Target, count: u32, kind: FaultKind) {
        self.inject(FaultSpec {
            target,
            count,
            kind,
        });
    }
    /// Next `n` requests of `target` answer `Status: status` with `message`.
    pub fn fail_next(&self, target: Target, n: u32, status: &str, message: &str) {
        self.add(
            target,
            n,
            FaultKind::Status {
                status: status.into(),
                message: message.into(),
            },
        );
    }
    /// Next `n` requests of `target` commit but answer `Publish Timeout`.
    pub fn publish_timeout_next(&self, target: Target, n: u32) {
        self.add(
            target,
            n,
            FaultKind::PublishTimeout {
                visible_after_ms: default_visible_after(),
            },
        );
    }
    pub fn mem_limit_next(&self, target: Target, n: u32) {
        self.add(target, n, FaultKind::MemLimitExceeded);
    }
    pub fn http_error_next(&self, target: Target, n: u32, code: u16) {
        self.add(target, n, FaultKind::Http { code });
    }
    pub fn delay_next(&self, target: Target, n: u32, ms: u64) {
        self.add(target, n, FaultKind::Delay { ms });
    }
    pub fn drop_mid_body_next(&self, target: Target, n: u32, after_bytes: usize) {
        self.add(target, n, FaultKind::DropMidBody { after_bytes });
    }
    pub fn drop_after_commit_next(&self, target: Target, n: u32) {
        self.add(target, n, FaultKind::DropAfterCommit);
    }
    pub fn fail_next_ddl(&self, n: u32, code: u16, message: &str) {
        self.add(
            Target::Ddl,
            n,
            FaultKind::FailDdl {
                code,
                message: message.into(),
            },
        );
    }
    /// Next `n` FE redirects point at the FE itself first (FE → FE → BE).
    pub fn redirect_via_fe_next(&self, n: u32) {
        self.add(Target::FeRedirect, n, FaultKind::RedirectToFe);
    }
    /// Forget finished (VISIBLE or ABORTED) transactions of `db`, as the FE's periodic label
    /// cleanup does after `label_keep_max_second` / `label_keep_max_num`; their labels then
    /// report UNKNOWN and can be reused.
    pub fn expire_labels(&self, db: &str) -> usize {
        self.shared.expire_labels(db)
    }
    /// Restart BE `i` (0-based): it loses its in-memory transaction contexts (its PREPARE
    /// transactions answer TXN_NOT_EXISTS there and stay PREPARE on the FE until their
    /// timeout) and its open connections are cut. Returns how many contexts were dropped.
    pub fn restart_be(&self, i: usize) -> usize {
        self.shared.restart_be(i)
    }
    /// Remove all pending faults.
    pub fn clear(&self) {
        self.shared.faults().queue.clear();
    }
    /// Faults still pending.
    pub fn pending(&self) -> Vec<FaultSpec> {
        self.shared.faults().queue.clone()
    }
    /// How many faults have fired since start.
    pub fn fired(&self) -> u64 {
        self.shared.faults().fired
    }
    /// Move the emulator clock forward (drives transaction timeouts and Publish Timeout
    /// visibility without sleeping).
    pub fn advance_clock(&self, d: std::time::Duration) {
        self.shared
            .clock_offset_ms
            .fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }
}
