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
use std::time::Duration;

/// Failure of one Loader call, classified (mirrors `stream_load::LoadError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadFailure {
    /// Not applied; retrying (the whole transaction, same label) after back-off is safe.
    Transient(String),
    /// Outcome unknown (timeout, reset, non-JSON): never assume either way.
    Unknown(String),
    /// A human must act (auth, rejected data, unknown table, count mismatch).
    Definite(String),
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadFailure::Transient(m) => write!(f, "transient failure: {m}"),
            LoadFailure::Unknown(m) => write!(f, "outcome unknown: {m}"),
            LoadFailure::Definite(m) => f.write_str(m),
        }
    }
}

/// Result of `begin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginOutcome {
    Begun,
    /// LABEL_ALREADY_EXISTS with ExistingJobStatus RUNNING (PREPARE/PREPARED).
    ExistsRunning,
    /// LABEL_ALREADY_EXISTS with ExistingJobStatus FINISHED (COMMITTED/VISIBLE).
    ExistsFinished,
}

/// `get_load_state` answer: the Stream Load client's own type.
pub use crate::starrocks::stream_load::LabelState;

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
    ) -> Result<BeginOutcome, LoadFailure>;
    fn load(
        &self,
        db: &str,
        table: &str,
        label: &str,
        body: &Body,
        extra_headers: &[(String, String)],
    ) -> Result<(), LoadFailure>;
    fn prepare(&self, db: &str, table: &str, label: &str) -> Result<Counts, LoadFailure>;
    /// Commit, resolving an unknown outcome with the label state (COMMITTED/VISIBLE = Ok).
    fn commit(&self, db: &str, table: &str, label: &str) -> Result<(), LoadFailure>;
    fn rollback(&self, db: &str, table: &str, label: &str) -> Result<(), LoadFailure>;
    fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadFailure>;
}

/// Retry policy for transient failures (capped exponential back-off).
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 8,
            base: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

impl Retry {
    pub fn delay(&self, attempt: u32) -> Duration {
        let d = self.base.saturating_mul(1u32 << attempt.min(16));
        d.min(self.max)
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
}

impl SinkError {
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            SinkError::Retry(m) => anyhow::anyhow!(m),
            SinkError::Fatal(e) => e,
        }
    }
}

fn definite(db: &str, table: &str, label: &str, what: &str, m: &str) -> SinkError {
    SinkError::Fatal(fail(
        Kind::Target,
        format!("StarRocks refused {what} of `{db}`.`{table}` (label {label}): {m}"),
    ))
}

/// Begin a transaction with `label`, clearing a lingering RUNNING transaction of a crashed
/// attempt first. FINISHED means the checkpoint is behind the target: a stop.
pub fn begin_fresh(
    loader: &dyn Loader,
    db: &str,
    table: &str,
    label: &str,
    timeout_s: u64,
    retry: &Retry,
) -> Result<(), SinkError> {
    let mut last = String::new();
    for attempt in 0..retry.attempts.max(1) {
        match loader.begin(db, table, label, timeout_s) {
            Ok(BeginOutcome::Begun) => return Ok(()),
            Ok(BeginOutcome::ExistsRunning) => {
                tracing::info!(
                    label,
                    "rolling back a lingering transaction of an earlier attempt"
                );
                if let Err(e) = loader.rollback(db, table, label) {
                    last = e.to_string();
                    if let LoadFailure::Definite(m) = e {
                        // The label may have finished meanwhile; the next begin tells.
                        tracing::warn!(label, "rollback refused: {m}");
                    }
                }
                continue;
            }
            Ok(BeginOutcome::ExistsFinished) => {
                return Err(SinkError::Fatal(fail(
                    Kind::Sync,
                    format!(
                        "label {label} of `{db}`.`{table}` is already committed in StarRocks, but \
                         the checkpoint says its data was not loaded yet: the state directory is \
                         older than the target (restored from a backup, or shared by two jobs?). \
                         Stopping to avoid loading rows twice. Use the state directory that \
                         belongs to this target, or truncate the target tables and delete the \
                         state directory for a fresh snapshot"
                    ),
                )))
            }
            Err(LoadFailure::Definite(m)) => return Err(definite(db, table, label, "begin", &m)),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(retry.delay(attempt));
    }
    Err(SinkError::Retry(format!(
        "begin of `{db}`.`{table}` (label {label}): {last}"
    )))
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
    retry: &Retry,
) -> Result<(), SinkError> {
    let sent: u64 = bodies.iter().map(|b| b.rows).sum();
    let mut last = String::new();
    'attempt: for attempt in 0..retry.attempts.max(1) {
        if attempt > 0 {
            std::thread::sleep(retry.delay(attempt - 1));
        }
        begin_fresh(loader, db, table, label, timeout_s, retry)?;
        for body in bodies {
            match loader.load(db, table, label, body, extra_headers) {
                Ok(()) => {}
                Err(LoadFailure::Definite(m)) => {
                    let _ = loader.rollback(db, table, label);
                    return Err(definite(db, table, label, "a load", &m));
                }
                Err(e) => {
                    last = e.to_string();
                    let _ = loader.rollback(db, table, label);
                    continue 'attempt;
                }
            }
        }
        match loader.prepare(db, table, label) {
            Ok(c) => {
                if let Err(e) = check_counts(db, table, label, &c, sent) {
                    let _ = loader.rollback(db, table, label);
                    return Err(e);
                }
                return Ok(());
            }
            Err(LoadFailure::Definite(m)) => {
                let _ = loader.rollback(db, table, label);
                return Err(definite(db, table, label, "prepare", &m));
            }
            Err(e) => {
                last = e.to_string();
                let _ = loader.rollback(db, table, label);
            }
        }
    }
    Err(SinkError::Retry(format!(
        "loading `{db}`.`{table}` (label {label}): {last}"
    )))
}

fn lost_message(p: &PendingLabel, state: &str) -> String {
    format!(
        "the prepared transaction {} of `{}`.`{}` is {state} in StarRocks, but the checkpoint \
         recorded it as prepared and not yet committed: its rows are not in the target. This \
         happens when smt was stopped longer than the FE's prepared_transaction_default_timeout_second \
         (default 86400 s) or label_keep_max_second, or the FE lost the transaction. The target \
         is missing data: truncate the target tables, delete the state directory and run `smt \
         sync` again for a fresh snapshot",
        p.label, p.db, p.table
    )
}

/// Commit one PREPARED label, retrying transient failures; a definite failure means lost data.
pub fn commit(loader: &dyn Loader, p: &PendingLabel, retry: &Retry) -> anyhow::Result<()> {
    let mut last = String::new();
    for attempt in 0..retry.attempts.max(1) {
        match loader.commit(&p.db, &p.table, &p.label) {
            Ok(()) => return Ok(()),
            Err(LoadFailure::Definite(m)) => {
                // Ask what StarRocks knows before declaring data loss.
                return match loader.label_state(&p.db, &p.label) {
                    Ok(LabelState::Committed | LabelState::Visible) => Ok(()),
                    Ok(s) => Err(fail(Kind::Sync, format!("{} ({m})", lost_message(p, &format!("{s:?}"))))),
                    Err(e) => Err(fail(
                        Kind::Target,
                        format!("commit of label {} failed ({m}) and its state is unknown ({e}); run smt sync again to retry", p.label),
                    )),
                };
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(retry.delay(attempt));
    }
    Err(fail(
        Kind::Target,
        format!(
            "cannot commit label {} of `{}`.`{}`: {last}. It stays PREPARED in StarRocks and is \
             listed in the checkpoint: run smt sync again to commit it",
            p.label, p.db, p.table
        ),
    ))
}

/// Restart: commit every label the checkpoint lists as prepared.
pub fn resolve_pending(
    loader_for: &dyn Fn(&PendingLabel) -> Option<std::sync::Arc<dyn Loader>>,
    pending: &[PendingLabel],
    retry: &Retry,
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
        let state = state_with_retry(&*loader, p, retry)?;
        match state {
            LabelState::Prepared => commit(&*loader, p, retry)?,
            LabelState::Committed | LabelState::Visible => {}
            LabelState::Prepare | LabelState::Aborted | LabelState::Unknown => {
                return Err(fail(Kind::Sync, lost_message(p, &format!("{state:?}"))))
            }
        }
        tracing::info!(label = %p.label, "committed a transaction prepared before the restart");
    }
    Ok(())
}

fn state_with_retry(
    loader: &dyn Loader,
    p: &PendingLabel,
    retry: &Retry,
) -> anyhow::Result<LabelState> {
    let mut last = String::new();
    for attempt in 0..retry.attempts.max(1) {
        match loader.label_state(&p.db, &p.label) {
            Ok(s) => return Ok(s),
            Err(LoadFailure::Definite(m)) => {
                return Err(fail(
                    Kind::Target,
                    format!("cannot ask StarRocks for label {}: {m}", p.label),
                ))
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(retry.delay(attempt));
    }
    Err(fail(
        Kind::Target,
        format!("cannot ask StarRocks for label {}: {last}", p.label),
    ))
}

/// The real target: the transaction API of `StreamLoadClient`.
mod real {
    use super::*;
    use crate::starrocks::stream_load::{self as sl, LoadError, LoadOptions, StreamLoadClient};

    fn map(e: LoadError) -> LoadFailure {
        match e {
            LoadError::Transient(m) => LoadFailure::Transient(m),
            LoadError::Unknown(m) | LoadError::LabelRunning(m) => LoadFailure::Unknown(m),
            // The transaction was aborted or timed out under us: redo it (same label).
            LoadError::Definite(m) if m.contains("does not exist") => LoadFailure::Transient(m),
            LoadError::Definite(m) => LoadFailure::Definite(m),
        }
    }

    impl Loader for StreamLoadClient {
        fn begin(
            &self,
            db: &str,
            table: &str,
            label: &str,
            timeout_s: u64,
        ) -> Result<BeginOutcome, LoadFailure> {
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
                        _ => Err(LoadFailure::Definite(m)),
                    }
                }
                Err(e) => Err(map(e)),
            }
        }

        fn load(
            &self,
            db: &str,
            table: &str,
            label: &str,
            body: &Body,
            extra_headers: &[(String, String)],
        ) -> Result<(), LoadFailure> {
            let format = body.format.clone();
            let opts = LoadOptions {
                format,
                columns: body.columns.clone(),
                jsonpaths: body.jsonpaths.clone(),
                extra_headers: extra_headers.to_vec(),
                strict_mode: true,
                timeout_s: 600,
            };
            self.load_in_txn(db, table, label, &opts, &body.bytes)
                .map(|_| ())
                .map_err(map)
        }

        fn prepare(&self, db: &str, table: &str, label: &str) -> Result<Counts, LoadFailure> {
            let r = StreamLoadClient::prepare(self, db, table, label).map_err(map)?;
            Ok(Counts {
                total: r.total_rows,
                loaded: r.loaded_rows,
                filtered: r.filtered_rows,
                unselected: r.unselected_rows,
            })
        }

        fn commit(&self, db: &str, table: &str, label: &str) -> Result<(), LoadFailure> {
            self.commit_resolving(db, table, label)
                .map_err(|e| match e {
                    LoadError::Definite(m) => LoadFailure::Definite(m),
                    other => map(other),
                })
        }

        fn rollback(&self, db: &str, table: &str, label: &str) -> Result<(), LoadFailure> {
            StreamLoadClient::rollback(self, db, table, label)
                .map(|_| ())
                .map_err(map)
        }

        fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadFailure> {
            StreamLoadClient::label_state(self, db, label).map_err(map)
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
        fn step(&self, g: &mut Inner) -> Result<bool, LoadFailure> {
            let n = g.calls;
            g.calls += 1;
            if g.crash_at.is_some_and(|c| n >= c) {
                return Err(LoadFailure::Definite("crashed".into()));
            }
            if g.transient_at.contains(&n) {
                return Err(LoadFailure::Transient(format!("injected at call {n}")));
            }
            Ok(g.unknown_after.contains(&n))
        }
    }

    fn after(unknown: bool) -> Result<(), LoadFailure> {
        if unknown {
            Err(LoadFailure::Unknown("injected unknown".into()))
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
        ) -> Result<BeginOutcome, LoadFailure> {
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
            _table: &str,
            label: &str,
            body: &Body,
            _x: &[(String, String)],
        ) -> Result<(), LoadFailure> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            let Some(t) = g.txns.get_mut(&key) else {
                return Err(LoadFailure::Definite("TXN_NOT_EXISTS".into()));
            };
            if t.state != TxnState::Prepare {
                return Err(LoadFailure::Definite(format!(
                    "load in state {:?}",
                    t.state
                )));
            }
            let v: Vec<serde_json::Value> = serde_json::from_slice(&body.bytes)
                .map_err(|e| LoadFailure::Definite(format!("bad body: {e}")))?;
            t.rows.extend(v);
            after(unknown)
        }
        fn prepare(&self, db: &str, _table: &str, label: &str) -> Result<Counts, LoadFailure> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            let Some(t) = g.txns.get_mut(&key) else {
                return Err(LoadFailure::Definite("TXN_NOT_EXISTS".into()));
            };
            if t.state != TxnState::Prepare {
                return Err(LoadFailure::Definite(format!(
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
        fn commit(&self, db: &str, _table: &str, label: &str) -> Result<(), LoadFailure> {
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
                    return Err(LoadFailure::Definite(format!(
                        "commit in state {:?}",
                        t.state
                    )))
                }
                None => return Err(LoadFailure::Definite("TXN_NOT_EXISTS".into())),
            };
            g.commits += 1;
            g.tables.entry(tkey).or_default().extend(rows);
            after(unknown)
        }
        fn rollback(&self, db: &str, _table: &str, label: &str) -> Result<(), LoadFailure> {
            let mut g = self.inner.lock().unwrap();
            let unknown = self.step(&mut g)?;
            let key = (db.to_string(), label.to_string());
            match g.txns.get_mut(&key) {
                Some(t) if matches!(t.state, TxnState::Prepare | TxnState::Prepared) => {
                    t.state = TxnState::Aborted;
                    t.rows.clear();
                }
                Some(t) => {
                    return Err(LoadFailure::Definite(format!(
                        "rollback in state {:?}",
                        t.state
                    )))
                }
                None => return Err(LoadFailure::Definite("TXN_NOT_EXISTS".into())),
            }
            after(unknown)
        }
        fn label_state(&self, db: &str, label: &str) -> Result<LabelState, LoadFailure> {
            let mut g = self.inner.lock().unwrap();
            self.step(&mut g)?;
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
    fn quick() -> Retry {
        Retry {
            attempts: 5,
            base: Duration::from_millis(0),
            max: Duration::from_millis(0),
        }
    }
    fn pl(label: &str) -> PendingLabel {
        PendingLabel {
            db: "d".into(),
            table: "t".into(),
            label: label.into(),
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
