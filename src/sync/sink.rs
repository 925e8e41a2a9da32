//! The target side of the exactly-once protocol: one StarRocks transaction (Stream Load
//! transaction API, protocol §4) per target table per batch, driven through the small
//! [`Loader`] trait so the protocol can be tested against an in-memory fake that fails or
//! "crashes" at every step.
//!
//! Invariant: a batch's rows become visible in StarRocks at most once, and exactly once when the
//! engine's checkpoint says they are loaded. It holds because
//! - every batch has a deterministic label (see `batch`), and StarRocks refuses to begin a
//!   second transaction with a label whose transaction is not ABORTED;
//! - [`begin_fresh`] treats a RUNNING label (a lingering transaction of a crashed attempt, never
//!   recorded as prepared in the checkpoint) by rolling it back before beginning again, and a
//!   FINISHED label as "the checkpoint is behind the target" — a stop, never a silent reload;
//! - [`load_txn`] only returns Ok after `prepare` reported row counts equal to the rows sent;
//!   the engine records the label in the checkpoint (`pending_commit`) before [`commit`];
//! - [`resolve_pending`] on restart commits exactly the labels the checkpoint says are
//!   PREPARED, and stops when StarRocks no longer knows them (the data would be lost).

use super::batch::Body;
use super::checkpoint::PendingLabel;
use crate::error::{fail, Kind};
use crate::retry::{retry, Attempt, RetryPolicy};
use std::time::Duration;

/// A Loader call's failure: the Stream Load client's own type (one classification, by type).
pub use crate::starrocks::stream_load::LoadError;

/// `get_load_state` answer: the Stream Load client's own type.
pub use crate::starrocks::stream_load::LabelState;

/// Result of `begin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginOutcome {
    Begun,
    /// LABEL_ALREADY_EXISTS with ExistingJobStatus RUNNING (PREPARE/PREPARED).
    ExistsRunning,
    /// LABEL_ALREADY_EXISTS with ExistingJobStatus FINISHED (COMMITTED/VISIBLE).
    ExistsFinished,
}

/// Row counts reported by `prepare`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: Option<u64>,
    pub loaded: Option<u64>,
    pub filtered: Option<u64>,
    pub unselected: Option<u64>,
}

/// The transaction API of one StarRocks cluster. `StreamLoadClient` implements it; tests use a
/// fake. Implementations must be usable from several threads (one per table).
pub trait Loader: Send + Sync {
    fn begin(
        &self,
        db: &str,
        table: &str,
        label: &str,
        timeout_s: u64,
    ) -> Result<BeginOutcome, LoadError>;
    fn load(
        &self,
        db: &str,
        table: &str,
        label: &str,
        body: &Body,
        extra_headers: &[(String, String)],
    ) -> Result<(), LoadError>;
    fn prepare(&self, db: &str, table: &str, label: &str) -> Result<Counts, LoadError>;
    /// Commit, resolving an unknown outcome with the label state (COMMITTED/VISIBLE = Ok).
    fn commit(&self, db: &str, table: &str, label: &str) -> Result<(), LoadError>;
    fn rollback(&self, db: &str, table: &str, label: &str) -> Result<(), LoadError>;
    fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadError>;
}

/// The default policy of the sink: 8 attempts, 200 ms doubling to 10 s.
pub fn default_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        initial_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(10),
        multiplier: 2.0,
    }
}

/// Why a table's transaction did not get PREPARED.
#[derive(Debug)]
pub enum SinkError {
    /// Gave up after retries, or the data is no longer in memory: the engine restarts from the
    /// checkpoint (re-reading the source), which is always safe.
    Retry(String),
    /// A human must act.
    Fatal(anyhow::Error),
    /// StarRocks refused rows of the data (the message names them and the reason); nothing of
    /// the transaction is loaded. A stop, or the quarantine's cue.
    Rejected(String),
}

impl SinkError {
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            SinkError::Retry(m) => anyhow::anyhow!(m),
            SinkError::Fatal(e) => e,
            SinkError::Rejected(m) => rejected_stop(&m),
        }
    }
}

/// The stop for refused rows (the default `[other] sync_reject_policy = stop`).
pub fn rejected_stop(m: &str) -> anyhow::Error {
    fail(
        Kind::Target,
        format!(
            "{m}. Nothing of the batch was loaded and the checkpoint is before it. Fix the value \
             at the source (or the target column), or set `sync_reject_policy = quarantine` in \
             [other] to load the other rows and set refused ones aside in \
             <target database>.smt_quarantine"
        ),
    )
}

fn definite(db: &str, table: &str, label: &str, what: &str, m: &str) -> SinkError {
    SinkError::Fatal(fail(
        Kind::Target,
        format!("StarRocks refused {what} of `{db}`.`{table}` (label {label}): {m}"),
    ))
}

fn rejected(db: &str, table: &str, label: &str, m: &str) -> SinkError {
    SinkError::Rejected(format!(
        "StarRocks refused rows of `{db}`.`{table}` (label {label}): {m}"
    ))
}

/// How long StarRocks takes at most to abort a transaction whose coordinating backend lost it
/// (the begin `timeout` plus the FE's 30 s sweep): PREPARE transactions are aborted by the FE's
/// timeout check only (FE `DatabaseTransactionMgr.abortTimeoutTxns`).
fn abort_wait(timeout_s: u64) -> Duration {
    Duration::from_secs(timeout_s.saturating_add(60))
}

/// Wait until `label` is no longer PREPARE/PREPARED (a transaction that nobody can finish: the
/// backend that held it restarted, so rollback answers TXN_NOT_EXISTS). Polls with back-off up
/// to `max_wait`; the final state, or an error.
pub fn wait_until_final(
    loader: &dyn Loader,
    db: &str,
    label: &str,
    max_wait: Duration,
) -> Result<LabelState, LoadError> {
    tracing::warn!(
        label,
        wait_s = max_wait.as_secs(),
        "StarRocks lost the transaction with a restarted backend: waiting for the FE to abort it"
    );
    // 200 ms doubling to 10 s: enough attempts to cover `max_wait`.
    let policy = RetryPolicy {
        max_attempts: 8 + (max_wait.as_secs() / 10) as u32,
        initial_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(10),
        multiplier: 2.0,
    };
    retry(&policy, |_| match loader.label_state(db, label) {
        Ok(LabelState::Prepare | LabelState::Prepared) => {
            Err(Attempt::Again(LoadError::LabelRunning(format!(
                "label {label} is still open {} s after its backend lost it",
                max_wait.as_secs()
            ))))
        }
        Ok(s) => Ok(s),
        Err(e @ (LoadError::Definite(_) | LoadError::Rejected(_))) => Err(Attempt::Stop(e)),
        Err(e) => Err(Attempt::Again(e)),
    })
    .map_err(Attempt::into_inner)
}

/// Begin a transaction with `label`, clearing a lingering RUNNING transaction of a crashed
/// attempt first (rolled back, or — when its backend lost it — waited out until the FE aborts
/// it). FINISHED means the checkpoint is behind the target: a stop.
pub fn begin_fresh(
    loader: &dyn Loader,
    db: &str,
    table: &str,
    label: &str,
    timeout_s: u64,
    policy: &RetryPolicy,
) -> Result<(), SinkError> {
    let r = retry(policy, |_| {
        match loader.begin(db, table, label, timeout_s) {
            Ok(BeginOutcome::Begun) => Ok(()),
            Ok(BeginOutcome::ExistsRunning) => {
                tracing::info!(
                    label,
                    "rolling back a lingering transaction of an earlier attempt"
                );
                match loader.rollback(db, table, label) {
                    Ok(()) => {}
                    Err(LoadError::TxnNotExists(_)) => {
                        if let Err(e) = wait_until_final(loader, db, label, abort_wait(timeout_s)) {
                            return Err(Attempt::Again(SinkError::Retry(e.to_string())));
                        }
                    }
                    // The label may have finished meanwhile; the next begin tells.
                    Err(e) => tracing::warn!(label, "rollback refused: {e}"),
                }
                Err(Attempt::Again(SinkError::Retry(format!(
                "begin of `{db}`.`{table}` (label {label}): a lingering transaction was cleared"
            ))))
            }
            Ok(BeginOutcome::ExistsFinished) => Err(Attempt::Stop(SinkError::Fatal(fail(
                Kind::Sync,
                format!(
                    "label {label} of `{db}`.`{table}` is already committed in StarRocks, but \
                 the checkpoint says its data was not loaded yet: the state directory is \
                 older than the target (restored from a backup, or shared by two jobs?). \
                 Stopping to avoid loading rows twice. Use the state directory that \
                 belongs to this target, or start over with `smt sync --reset`"
                ),
            )))),
            Err(LoadError::Definite(m) | LoadError::Rejected(m)) => {
                Err(Attempt::Stop(definite(db, table, label, "begin", &m)))
            }
            Err(e) => Err(Attempt::Again(SinkError::Retry(format!(
                "begin of `{db}`.`{table}` (label {label}): {e}"
            )))),
        }
    });
    r.map_err(Attempt::into_inner)
}

impl crate::retry::Retryable for SinkError {
    fn is_retryable(&self) -> bool {
        matches!(self, SinkError::Retry(_))
    }
}

/// Check prepare's counts against the rows sent.
pub fn check_counts(
    db: &str,
    table: &str,
    label: &str,
    c: &Counts,
    sent: u64,
) -> Result<(), SinkError> {
    let bad = c.total.is_some_and(|n| n != sent)
        || c.loaded.is_some_and(|n| n != sent)
        || c.filtered.is_some_and(|n| n != 0)
        || c.unselected.is_some_and(|n| n != 0);
    if bad {
        return Err(SinkError::Fatal(fail(
            Kind::Target,
            format!(
                "StarRocks loaded a different number of rows than sent into `{db}`.`{table}` \
                 (label {label}): sent {sent}, total {:?}, loaded {:?}, filtered {:?}, \
                 unselected {:?}. The transaction was rolled back; check the target table's \
                 columns and types against `smt generate` output",
                c.total, c.loaded, c.filtered, c.unselected
            ),
        )));
    }
    Ok(())
}

/// One whole transaction from bodies held in memory: begin, load each body, prepare, check the
/// counts. Transient/unknown failures roll back and redo the whole transaction with the same
/// label. On success the transaction is PREPARED (not committed).
#[allow(clippy::too_many_arguments)]
pub fn load_txn(
    loader: &dyn Loader,
    db: &str,
    table: &str,
    label: &str,
    bodies: &[Body],
    extra_headers: &[(String, String)],
    timeout_s: u64,
    policy: &RetryPolicy,
) -> Result<(), SinkError> {
    let sent: u64 = bodies.iter().map(|b| b.rows).sum();
    // Roll back after a failed step; a transaction its backend lost is waited out instead (it
    // cannot be rolled back), so that the next attempt can begin the label again.
    let abandon = |e: &LoadError| {
        let lost = matches!(e, LoadError::TxnNotExists(_))
            || matches!(
                loader.rollback(db, table, label),
                Err(LoadError::TxnNotExists(_))
            );
        if lost {
            let _ = wait_until_final(loader, db, label, abort_wait(timeout_s));
        }
    };
    let r = retry(policy, |_| {
        begin_fresh(loader, db, table, label, timeout_s, policy).map_err(Attempt::Stop)?;
        for body in bodies {
            match loader.load(db, table, label, body, extra_headers) {
                Ok(()) => {}
                Err(LoadError::Definite(m)) => {
                    let _ = loader.rollback(db, table, label);
                    return Err(Attempt::Stop(definite(db, table, label, "a load", &m)));
                }
                Err(LoadError::Rejected(m)) => {
                    let _ = loader.rollback(db, table, label);
                    return Err(Attempt::Stop(rejected(db, table, label, &m)));
                }
                Err(e) => {
                    abandon(&e);
                    return Err(Attempt::Again(SinkError::Retry(format!(
                        "loading `{db}`.`{table}` (label {label}): {e}"
                    ))));
                }
            }
        }
        match loader.prepare(db, table, label) {
            Ok(c) => {
                if let Err(e) = check_counts(db, table, label, &c, sent) {
                    let _ = loader.rollback(db, table, label);
                    return Err(Attempt::Stop(e));
                }
                Ok(())
            }
            Err(LoadError::Definite(m)) => {
                let _ = loader.rollback(db, table, label);
                Err(Attempt::Stop(definite(db, table, label, "prepare", &m)))
            }
            Err(LoadError::Rejected(m)) => {
                let _ = loader.rollback(db, table, label);
                Err(Attempt::Stop(rejected(db, table, label, &m)))
            }
            Err(e) => {
                // The outcome of prepare is unknown (or its reply lost): without counts the
                // transaction cannot be trusted; redo it.
                abandon(&e);
                Err(Attempt::Again(SinkError::Retry(format!(
                    "preparing `{db}`.`{table}` (label {label}): {e}"
                ))))
            }
        }
    });
    r.map_err(Attempt::into_inner)
}

fn lost_message(p: &PendingLabel, state: &str) -> String {
    format!(
        "the prepared transaction {} of `{}`.`{}` is {state} in StarRocks, but the checkpoint \
         recorded it as prepared and not yet committed: its rows are not in the target. This \
         happens when smt was stopped longer than the FE's prepared_transaction_default_timeout_second \
         (default 86400 s) or label_keep_max_second, or the FE lost the transaction. The target \
         is missing data: start over with `smt sync --reset` (truncates the targets and takes a \
         fresh snapshot)",
        p.label, p.db, p.table
    )
}

/// The FE aborts a PREPARED transaction after `prepared_transaction_default_timeout_second`
/// (default 86400 s; per transaction `prepared_timeout` from 3.5.4, FE `TransactionState.isTimeout`).
pub const PREPARED_TIMEOUT_S: u64 = 86_400;

/// Seconds since the Unix epoch (the checkpoint's clock for `prepared_at`).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A label StarRocks no longer knows (UNKNOWN) that the checkpoint recorded as PREPARED at
/// `prepared_at`: inside the FE's prepared timeout nothing but our own commit can have
/// finished a PREPARED transaction (label cleanup removes finished ones only, FE
/// `DatabaseTransactionMgr.removeExpiredTxns`), so it was committed and its label has since
/// been cleaned (`label_keep_max_num` = 1000 per database turns over in minutes on a busy
/// database). Outside that window the FE may have aborted it first: undecidable.
pub fn unknown_means_committed(p: &PendingLabel, now: u64) -> bool {
    p.prepared_at
        .is_some_and(|t| now.saturating_sub(t) < PREPARED_TIMEOUT_S * 9 / 10)
}

/// Commit one PREPARED label, retrying transient failures; a definite failure means lost data.
pub fn commit(loader: &dyn Loader, p: &PendingLabel, policy: &RetryPolicy) -> anyhow::Result<()> {
    let r = retry(policy, |_| match loader.commit(&p.db, &p.table, &p.label) {
        Ok(()) => Ok(()),
        Err(LoadError::Transient(m)) => Err(Attempt::Again(fail(
            Kind::Target,
            format!(
                "cannot commit label {} of `{}`.`{}`: {m}. It stays PREPARED in StarRocks and is \
                 listed in the checkpoint: run smt sync again to commit it",
                p.label, p.db, p.table
            ),
        ))),
        Err(e) => {
            // Ask what StarRocks knows before declaring data loss.
            let m = e.to_string();
            match loader.label_state(&p.db, &p.label) {
                Ok(LabelState::Committed | LabelState::Visible) => Ok(()),
                Ok(LabelState::Unknown) if unknown_means_committed(p, unix_now()) => Ok(()),
                Ok(LabelState::Prepared) => Err(Attempt::Again(fail(
                    Kind::Target,
                    format!("commit of label {} failed ({m}); it is still PREPARED", p.label),
                ))),
                Ok(s) => Err(Attempt::Stop(fail(
                    Kind::Sync,
                    format!("{} ({m})", lost_message(p, &format!("{s:?}"))),
                ))),
                Err(se) => Err(Attempt::Stop(fail(
                    Kind::Target,
                    format!(
                        "commit of label {} failed ({m}) and its state is unknown ({se}); run smt sync again to retry",
                        p.label
                    ),
                ))),
            }
        }
    });
    r.map_err(Attempt::into_inner)
}

/// What StarRocks says of `label`, asked again while the answer is a transient failure.
pub fn label_state(
    loader: &dyn Loader,
    db: &str,
    label: &str,
    policy: &RetryPolicy,
) -> anyhow::Result<LabelState> {
    retry(policy, |_| {
        loader.label_state(db, label).map_err(|e| match e {
            LoadError::Definite(m) | LoadError::Rejected(m) => Attempt::Stop(m),
            other => Attempt::Again(other.to_string()),
        })
    })
    .map_err(|e| {
        fail(
            Kind::Target,
            format!("cannot ask StarRocks for label {label}: {}", e.into_inner()),
        )
    })
}

/// Restart: commit every label the checkpoint lists as prepared.
pub fn resolve_pending(
    loader_for: &dyn Fn(&PendingLabel) -> Option<std::sync::Arc<dyn Loader>>,
    pending: &[PendingLabel],
    policy: &RetryPolicy,
) -> anyhow::Result<()> {
    for p in pending {
        let Some(loader) = loader_for(p) else {
            return Err(fail(
                Kind::Sync,
                format!(
                    "the checkpoint lists a prepared transaction {} for `{}`.`{}`, a table no \
                     longer in the config. Put the rule back and run smt sync once to commit it",
                    p.label, p.db, p.table
                ),
            ));
        };
        let state = label_state(&*loader, &p.db, &p.label, policy)?;
        match state {
            LabelState::Prepared => commit(&*loader, p, policy)?,
            LabelState::Committed | LabelState::Visible => {}
            LabelState::Unknown if unknown_means_committed(p, unix_now()) => {
                tracing::info!(
                    label = %p.label,
                    "StarRocks no longer remembers this label (cleaned after its commit); it was \
                     prepared within the FE's prepared timeout, so its commit is what finished it"
                );
            }
            LabelState::Prepare | LabelState::Aborted | LabelState::Unknown => {
                return Err(fail(Kind::Sync, lost_message(p, &format!("{state:?}"))))
            }
        }
        tracing::info!(label = %p.label, "committed a transaction prepared before the restart");
    }
    Ok(())
}

/// The real target: the transaction API of `StreamLoadClient`.
mod real {
    use super::*;
    use crate::starrocks::stream_load::{self as sl, LoadOptions, StreamLoadClient};

    impl Loader for StreamLoadClient {
        fn begin(
            &self,
            db: &str,
            table: &str,
            label: &str,
            timeout_s: u64,
        ) -> Result<BeginOutcome, LoadError> {
            match StreamLoadClient::begin(self, db, table, label, timeout_s) {
                Ok(_) => Ok(BeginOutcome::Begun),
                Err(LoadError::LabelRunning(_)) => Ok(BeginOutcome::ExistsRunning),
                Err(LoadError::Definite(m)) => {
                    // FINISHED labels come back as Definite: ask, don't parse messages.
                    match self.label_state(db, label) {
                        Ok(s) if s.is_committed() => Ok(BeginOutcome::ExistsFinished),
                        Ok(sl::LabelState::Prepare | sl::LabelState::Prepared) => {
                            Ok(BeginOutcome::ExistsRunning)
                        }
                        _ => Err(LoadError::Definite(m)),
                    }
                }
                Err(e) => Err(e),
            }
        }

        fn load(
            &self,
            db: &str,
            table: &str,
            label: &str,
            body: &Body,
            extra_headers: &[(String, String)],
        ) -> Result<(), LoadError> {
            let opts = LoadOptions {
                format: body.format.clone(),
                columns: body.columns.clone(),
                jsonpaths: body.jsonpaths.clone(),
                extra_headers: extra_headers.to_vec(),
                strict_mode: true,
                timeout_s: 600,
            };
            self.load_in_txn(db, table, label, &opts, &body.bytes)
                .map(|_| ())
        }

        fn prepare(&self, db: &str, table: &str, label: &str) -> Result<Counts, LoadError> {
            let r = StreamLoadClient::prepare(self, db, table, label)?;
            Ok(Counts {
                total: r.total_rows,
                loaded: r.loaded_rows,
                filtered: r.filtered_rows,
                unselected: r.unselected_rows,
            })
        }

        fn commit(&self, db: &str, table: &str, label: &str) -> Result<(), LoadError> {
            self.commit_resolving(db, table, label)
        }

        fn rollback(&self, db: &str, table: &str, label: &str) -> Result<(), LoadError> {
            StreamLoadClient::rollback(self, db, table, label).map(|_| ())
        }

        fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadError> {
            StreamLoadClient::label_state(self, db, label)
        }
    }
}

#[cfg(test)]
pub mod fake {
    //! In-memory StarRocks transaction semantics, with fault and crash injection.
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum TxnState {
        Prepare,
        Prepared,
        Visible,
        Aborted,
    }

    #[derive(Debug)]
    struct Txn {
        db: String,
        table: String,
        state: TxnState,
        rows: Vec<serde_json::Value>,
    }

    #[derive(Default)]
    pub struct Inner {
        txns: HashMap<(String, String), Txn>,
        /// Committed rows per `db.table` (JSON objects as sent; `__op` kept).
        pub tables: HashMap<String, Vec<serde_json::Value>>,
        /// Number of calls so far.
        pub calls: u64,
        /// Crash: every call with number >= this fails Definite("crashed") without effect.
        pub crash_at: Option<u64>,
        /// Transient failure on these call numbers (before any effect).
        pub transient_at: Vec<u64>,
        /// Unknown outcome AFTER the effect on these call numbers.
        pub unknown_after: Vec<u64>,
        pub commits: u64,
        /// Labels in the order they were committed.
        pub committed: Vec<String>,
        /// Label state lookups so far.
        pub label_states: u64,
        /// Refuse (LoadError::Rejected, no effect) a load with a row whose JSON text holds this
        /// (not into the dead-letter table).
        pub refuse_containing: Option<String>,
        /// Every call takes this long (a slow target).
        pub delay: std::time::Duration,
    }

    #[derive(Default)]
    pub struct FakeLoader {
        pub inner: Mutex<Inner>,
    }

    impl FakeLoader {
        pub fn crashed(&self) -> bool {
            let g = self.inner.lock().unwrap();
            g.crash_at.is_some_and(|c| g.calls > c)
        }
        pub fn rows(&self, key: &str) -> Vec<serde_json::Value> {
            self.inner
                .lock()
                .unwrap()
                .tables
                .get(key)
                .cloned()
                .unwrap_or_default()
        }
        /// Labels of transactions still open (PREPARE or PREPARED).
        pub fn open_labels(&self) -> Vec<String> {
            let g = self.inner.lock().unwrap();
            g.txns
                .iter()
                .filter(|(_, t)| matches!(t.state, TxnState::Prepare | TxnState::Prepared))
                .map(|((_, l), _)| l.clone())
                .collect()
        }
        pub fn prepared_labels(&self) -> Vec<String> {
            let g = self.inner.lock().unwrap();
            g.txns
                .iter()
                .filter(|(_, t)| t.state == TxnState::Prepared)
                .map(|((_, l), _)| l.clone())
                .collect()
        }
        /// Step bookkeeping: Err = fail this call before any effect; Ok(true) = report unknown
        /// after the effect.
        fn step(&self, g: &mut Inner) -> Result<bool, LoadError> {
            if !g.delay.is_zero() {
                std::thread::sleep(g.delay);
            }
            let n = g.calls;
            g.calls += 1;
            if g.crash_at.is_some_and(|c| n >= c) {
                return Err(LoadError::Definite("crashed".into()));
            }
            if g.transient_at.contains(&n) {
                return Err(LoadError::Transient(format!("injected at call {n}")));
            }
            Ok(g.unknown_after.contains(&n))
        }
    }

    fn after(unknown: bool) -> Result<(), LoadError> {
        if unknown {
            Err(LoadError::Unknown("injected unknown".into()))
        } else {
            Ok(())
        }
    }

    impl Loader for FakeLoader {
        fn begin(
            &self,
            db: &str,
            table: &str,
            label: &str,
            _t: u64,
        ) -> Result<BeginOutcome, LoadError> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            let out = match g.txns.get(&key).map(|t| t.state) {
                Some(TxnState::Prepare | TxnState::Prepared) => BeginOutcome::ExistsRunning,
                Some(TxnState::Visible) => BeginOutcome::ExistsFinished,
                Some(TxnState::Aborted) | None => {
                    g.txns.insert(
                        key,
                        Txn {
                            db: db.into(),
                            table: table.into(),
                            state: TxnState::Prepare,
                            rows: vec![],
                        },
                    );
                    BeginOutcome::Begun
                }
            };
            after(unknown)?;
            Ok(out)
        }
        fn load(
            &self,
            db: &str,
            table: &str,
            label: &str,
            body: &Body,
            _x: &[(String, String)],
        ) -> Result<(), LoadError> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            match g.txns.get(&key).map(|t| t.state) {
                None => return Err(LoadError::TxnNotExists("TXN_NOT_EXISTS".into())),
                Some(TxnState::Prepare) => {}
                Some(s) => return Err(LoadError::Definite(format!("load in state {s:?}"))),
            }
            let v: Vec<serde_json::Value> = serde_json::from_slice(&body.bytes)
                .map_err(|e| LoadError::Definite(format!("bad body: {e}")))?;
            if let Some(bad) = g
                .refuse_containing
                .clone()
                .filter(|_| table != crate::sync::quarantine::TABLE)
            {
                if let Some(r) = v.iter().find(|r| r.to_string().contains(&bad)) {
                    return Err(LoadError::Rejected(format!(
                        "data rejected: 1 row(s) filtered; row: {r}"
                    )));
                }
            }
            let Some(t) = g.txns.get_mut(&key) else {
                return Err(LoadError::TxnNotExists("TXN_NOT_EXISTS".into()));
            };
            t.rows.extend(v);
            after(unknown)
        }
        fn prepare(&self, db: &str, _table: &str, label: &str) -> Result<Counts, LoadError> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            let Some(t) = g.txns.get_mut(&key) else {
                return Err(LoadError::TxnNotExists("TXN_NOT_EXISTS".into()));
            };
            if t.state != TxnState::Prepare {
                return Err(LoadError::Definite(format!(
                    "prepare in state {:?}",
                    t.state
                )));
            }
            t.state = TxnState::Prepared;
            let n = t.rows.len() as u64;
            after(unknown)?;
            Ok(Counts {
                total: Some(n),
                loaded: Some(n),
                filtered: Some(0),
                unselected: Some(0),
            })
        }
        fn commit(&self, db: &str, _table: &str, label: &str) -> Result<(), LoadError> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            let (tkey, rows) = match g.txns.get_mut(&key) {
                Some(t) if t.state == TxnState::Prepared => {
                    t.state = TxnState::Visible;
                    (format!("{}.{}", t.db, t.table), std::mem::take(&mut t.rows))
                }
                Some(t) if t.state == TxnState::Visible => return after(unknown),
                Some(t) => {
                    return Err(LoadError::Definite(format!(
                        "commit in state {:?}",
                        t.state
                    )))
                }
                None => return Err(LoadError::TxnNotExists("TXN_NOT_EXISTS".into())),
            };
            g.commits += 1;
            g.committed.push(label.to_string());
            g.tables.entry(tkey).or_default().extend(rows);
            after(unknown)
        }
        fn rollback(&self, db: &str, _table: &str, label: &str) -> Result<(), LoadError> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            match g.txns.get_mut(&key) {
                Some(t) if matches!(t.state, TxnState::Prepare | TxnState::Prepared) => {
                    t.state = TxnState::Aborted;
                    t.rows.clear();
                }
                Some(t) => {
                    return Err(LoadError::Definite(format!(
                        "rollback in state {:?}",
                        t.state
                    )))
                }
                None => return Err(LoadError::TxnNotExists("TXN_NOT_EXISTS".into())),
            }
            after(unknown)
        }
        fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadError> {
            let mut g = self.inner.lock().unwrap();
            self.step(&mut g)?;
            g.label_states += 1;
            let key = (db.to_string(), label.to_string());
            Ok(match g.txns.get(&key).map(|t| t.state) {
                None => LabelState::Unknown,
                Some(TxnState::Prepare) => LabelState::Prepare,
                Some(TxnState::Prepared) => LabelState::Prepared,
                Some(TxnState::Visible) => LabelState::Visible,
                Some(TxnState::Aborted) => LabelState::Aborted,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeLoader;
    use super::*;
    use crate::config::SinkFormat as BodyFormat;

    fn body(n: u64) -> Body {
        let v: Vec<serde_json::Value> = (0..n).map(|i| serde_json::json!({"id": i})).collect();
        Body {
            bytes: serde_json::to_vec(&v).unwrap(),
            rows: n,
            format: BodyFormat::Json,
            columns: None,
            jsonpaths: None,
        }
    }
    fn quick() -> RetryPolicy {
        RetryPolicy::immediate(5)
    }
    fn pl(label: &str) -> PendingLabel {
        PendingLabel {
            db: "d".into(),
            table: "t".into(),
            label: label.into(),
            prepared_at: None,
        }
    }

    #[test]
    fn txn_then_commit_loads_once() {
        let f = FakeLoader::default();
        load_txn(&f, "d", "t", "l1", &[body(3), body(2)], &[], 60, &quick()).unwrap();
        assert!(f.rows("d.t").is_empty(), "prepared is not visible");
        commit(&f, &pl("l1"), &quick()).unwrap();
        assert_eq!(f.rows("d.t").len(), 5);
        // Committing again (a retried commit) does not duplicate.
        commit(&f, &pl("l1"), &quick()).unwrap();
        assert_eq!(f.rows("d.t").len(), 5);
    }

    #[test]
    fn lingering_running_label_is_rolled_back_and_redone() {
        let f = FakeLoader::default();
        load_txn(&f, "d", "t", "l1", &[body(3)], &[], 60, &quick()).unwrap();
        // Crash before the checkpoint recorded it: restart redoes the batch with the same label.
        load_txn(&f, "d", "t", "l1", &[body(4)], &[], 60, &quick()).unwrap();
        commit(&f, &pl("l1"), &quick()).unwrap();
        assert_eq!(f.rows("d.t").len(), 4);
    }

    #[test]
    fn finished_label_is_a_sync_stop() {
        let f = FakeLoader::default();
        load_txn(&f, "d", "t", "l1", &[body(1)], &[], 60, &quick()).unwrap();
        commit(&f, &pl("l1"), &quick()).unwrap();
        let Err(SinkError::Fatal(e)) = load_txn(&f, "d", "t", "l1", &[body(1)], &[], 60, &quick())
        else {
            panic!("expected a fatal error")
        };
        assert_eq!(crate::error::exit_code_of(&e), 7);
        assert!(e.to_string().contains("already committed"), "{e}");
        assert_eq!(f.rows("d.t").len(), 1);
    }

    #[test]
    fn transient_and_unknown_failures_are_retried_without_duplicates() {
        for n in 0..8u64 {
            let f = FakeLoader::default();
            f.inner.lock().unwrap().transient_at = vec![n];
            load_txn(&f, "d", "t", "l", &[body(2), body(1)], &[], 60, &quick()).unwrap();
            commit(&f, &pl("l"), &quick()).unwrap();
            assert_eq!(f.rows("d.t").len(), 3, "transient at {n}");

            let f = FakeLoader::default();
            f.inner.lock().unwrap().unknown_after = vec![n];
            load_txn(&f, "d", "t", "l", &[body(2), body(1)], &[], 60, &quick()).unwrap();
            commit(&f, &pl("l"), &quick()).unwrap();
            assert_eq!(f.rows("d.t").len(), 3, "unknown after {n}");
        }
    }

    #[test]
    fn count_mismatch_is_fatal() {
        let f = FakeLoader::default();
        let mut b = body(3);
        b.rows = 4; // claims more rows than the body has
        let r = load_txn(&f, "d", "t", "l", &[b], &[], 60, &quick());
        assert!(matches!(r, Err(SinkError::Fatal(_))));
        assert!(f.prepared_labels().is_empty(), "rolled back");
    }

    #[test]
    fn resolve_pending_commits_prepared_and_stops_on_lost() {
        let f = std::sync::Arc::new(FakeLoader::default());
        load_txn(&*f, "d", "t", "a", &[body(2)], &[], 60, &quick()).unwrap();
        load_txn(&*f, "d", "t", "b", &[body(1)], &[], 60, &quick()).unwrap();
        commit(&*f, &pl("b"), &quick()).unwrap();
        let lf: std::sync::Arc<dyn Loader> = f.clone();
        let get = move |_: &PendingLabel| Some(lf.clone());
        resolve_pending(&get, &[pl("a"), pl("b")], &quick()).unwrap();
        assert_eq!(f.rows("d.t").len(), 3);
        let e = resolve_pending(&get, &[pl("never")], &quick()).unwrap_err();
        assert_eq!(crate::error::exit_code_of(&e), 7);
        assert!(
            e.to_string()
                .contains("prepared_transaction_default_timeout_second"),
            "{e}"
        );
    }
}
