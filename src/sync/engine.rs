//! The sync driver: snapshot of tables not yet done, then the binlog, batched per target table
//! and loaded with one StarRocks transaction per table per batch (see `sink`).
//!
//! Invariant (exactly once): for every target table T, the rows in StarRocks are the snapshot of
//! T at its position S_T followed by exactly the changes of the source transactions that end
//! after S_T and at or before the checkpoint's binlog position — each once. It holds because
//! - a snapshot chunk commits in its own transaction whose label names (epoch, chunk); the
//!   checkpoint records the chunk (last key, pending label) between prepare and commit, so a
//!   restart either commits the pending label or re-reads after the recorded key; a DUPLICATE KEY
//!   table with partial progress is truncated and read again in one view (appends cannot be
//!   deduplicated by key), a PRIMARY KEY table resumes after its last key in a newer view and
//!   keeps its first view's position: replaying binlog events whose full after-images are
//!   already in the newer rows converges to the same final state;
//! - binlog batches are cut only at source transaction boundaries; the checkpoint position moves
//!   from P0 to P1 in the same atomic write that lists the PREPARED labels of the batch (all
//!   changes of transactions in (P0, P1]); commits happen after that write and are re-done from
//!   the checkpoint after a crash; a crash before the write leaves P0 and the batch is re-read
//!   with the same labels (the lingering transactions are rolled back first);
//! - a change of transaction X is applied to T only if X ends after S_T: either X starts at or
//!   after S_T (known when its rows arrive) or, undecided, its rows are held until its Commit.
//!
//! Memory is bounded by the flush limits: a table buffer over its byte budget in the middle of a
//! source transaction is streamed into the open StarRocks transaction (`load`) and only prepared
//! at the next transaction boundary. Backpressure: the reader waits while we load.

use super::batch::{self, BodySpec, Op};
use super::binlog::{RowChange, SourceEvent};
use super::cell::Row;
use super::checkpoint::{PendingLabel, SnapshotProgress, SnapshotStatus, State, Store};
use super::position::BinlogPosition;
use super::sink::{self, Loader, SinkError};
use super::status::Stats;
use crate::config::SinkFormat;
use crate::error::{fail, Kind};
use crate::plan::{Model, TablePlan};
use crate::retry::RetryPolicy;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The binlog as the engine sees it (the real one: `binlog::BinlogReader`).
pub trait ChangeStream {
    /// Next event; Ok(None) on an idle timeout.
    fn next_event(&mut self) -> anyhow::Result<Option<SourceEvent>>;
    /// The server's current binlog position (for lag and "caught up").
    fn server_position(&mut self) -> anyhow::Result<BinlogPosition>;
}

/// One snapshot chunk, keys already in checkpoint (JSON) form.
#[derive(Debug, Clone, Default)]
pub struct SnapChunk {
    pub rows: Vec<Row>,
    pub last_key: Option<serde_json::Value>,
    /// The source is exhausted (this chunk may be empty).
    pub done: bool,
    pub bytes: usize,
}

/// One consistent view of the source (the real one: `snapshot::Snapshot`).
pub trait SnapshotReader: Send {
    /// Rows of source `source` (index into the target's `plan.sources`) of target `target`,
    /// after `after` in key order.
    fn read_chunk(
        &mut self,
        target: usize,
        source: usize,
        after: Option<&serde_json::Value>,
        max_rows: usize,
    ) -> anyhow::Result<SnapChunk>;
    fn estimate_rows(&mut self, target: usize) -> anyhow::Result<u64>;
}

/// Opens views and binlog streams.
pub trait Source {
    fn snapshot(&mut self) -> anyhow::Result<(Box<dyn SnapshotReader>, BinlogPosition)>;
    fn binlog(&mut self, from: &BinlogPosition) -> anyhow::Result<Box<dyn ChangeStream>>;
    /// After DDL on the source: re-read the schema and re-plan the targets (same order as
    /// `current`); later `binlog` streams use the new schema. Ok(None): cannot tell.
    fn refresh(&mut self, _current: &[TablePlan]) -> anyhow::Result<Option<Vec<TablePlan>>> {
        Ok(None)
    }
}

/// Target-side DDL the engine needs.
pub trait Admin {
    fn truncate(&self, db: &str, table: &str) -> anyhow::Result<()>;
    /// Run one `ALTER TABLE` of `db`.`table` on the FE (schema evolution) and return once
    /// StarRocks has applied it (a schema change job finished).
    fn alter(&self, _db: &str, _table: &str, _sql: &str) -> anyhow::Result<()> {
        Err(anyhow::anyhow!("this target cannot run DDL"))
    }
}

/// What a source DDL did to one target table, when smt can follow it: columns added (appended
/// to the StarRocks table, nullable) and columns dropped. Anything else (type, key, model,
/// encoding, a table gone) is not followed.
#[derive(Debug, Clone, Default)]
pub struct ColumnDiff {
    pub added: Vec<crate::plan::TargetColumn>,
    pub dropped: Vec<String>,
}

/// Ok(diff) when `new` differs from `old` only by added/dropped non-key columns (compared by
/// [`crate::compat::diff`], plus the value encodings the plan chose).
pub fn column_diff(old: &TablePlan, new: &TablePlan) -> Result<ColumnDiff, String> {
    use crate::compat::{diff, shape_of_plan, Change};
    let mut d = ColumnDiff::default();
    for ch in diff(&shape_of_plan(old), &shape_of_plan(new)) {
        match ch {
            Change::Add { column, .. } => {
                if let Some(c) = new.column(&column.name) {
                    d.added.push(c.clone());
                }
            }
            Change::Drop { name, .. } => d.dropped.push(name),
            Change::Widen { name, from, to, .. } => {
                return Err(format!("column `{name}` changed from {from} to {to}"))
            }
            Change::Rebuild { what, reason } => {
                return Err(if what.starts_with("key") {
                    format!("the table model or key changed ({what})")
                } else {
                    format!("{what}: {reason}")
                })
            }
            Change::Relax { .. } | Change::Tighten { .. } | Change::Position { .. } => {}
        }
    }
    for c in &old.columns {
        if let Some(n) = new.column(&c.name) {
            if n.encoding != c.encoding {
                return Err(format!(
                    "column `{}` changed its value encoding ({:?} to {:?})",
                    c.name, c.encoding, n.encoding
                ));
            }
        }
    }
    Ok(d)
}

/// `ALTER TABLE` statements for a diff (added columns are nullable: existing rows get NULL).
pub fn alter_statements(db: &str, table: &str, d: &ColumnDiff) -> Vec<String> {
    let t = crate::ident::quote_qualified(db, table);
    let mut out = Vec::new();
    for c in &d.dropped {
        out.push(format!(
            "ALTER TABLE {t} DROP COLUMN {}",
            crate::ident::quote(c)
        ));
    }
    for c in &d.added {
        out.push(format!(
            "ALTER TABLE {t} ADD COLUMN {} {} NULL",
            crate::ident::quote(&c.name),
            c.sr_type
        ));
    }
    out
}

/// When to cut a batch (`sink.buffer-flush.*`).
#[derive(Debug, Clone, Copy)]
pub struct FlushLimits {
    pub max_rows: usize,
    pub max_bytes: usize,
    pub interval: Duration,
}

impl Default for FlushLimits {
    fn default() -> Self {
        FlushLimits {
            max_rows: 500_000,
            max_bytes: 64 << 20,
            interval: Duration::from_millis(500),
        }
    }
}

/// One target table.
pub struct Target {
    pub plan: TablePlan,
    pub spec: BodySpec,
    pub loader: Arc<dyn Loader>,
    pub limits: FlushLimits,
}

impl Target {
    pub fn key(&self) -> String {
        format!("{}.{}", self.plan.target_database, self.plan.target_table)
    }
    fn db(&self) -> &str {
        &self.plan.target_database
    }
    fn table(&self) -> &str {
        &self.plan.target_table
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub until_caught_up: bool,
    pub snapshot_only: bool,
    /// Rows per snapshot chunk (capped per table by its `sink.buffer-flush.max-rows`).
    pub chunk_rows: usize,
    pub retry: RetryPolicy,
    /// StarRocks transaction timeout (begin → prepare), seconds.
    pub txn_timeout_s: u64,
    /// `[other] sync_skip_duplicate_key_changes`: skip UPDATE/DELETE on DUPLICATE KEY targets
    /// (counted, warned) instead of stopping.
    pub skip_dup_changes: bool,
    /// Set by SIGINT/SIGTERM: finish the current batch, checkpoint, return.
    pub stop: Arc<AtomicBool>,
    pub status_interval: Duration,
    /// Draw progress bars (snapshot) when stderr is a terminal.
    pub progress: bool,
    /// Consecutive restarts from the checkpoint after retryable failures before giving up.
    pub max_restarts: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            until_caught_up: false,
            snapshot_only: false,
            chunk_rows: 100_000,
            retry: sink::default_retry(),
            txn_timeout_s: 600,
            skip_dup_changes: false,
            stop: Arc::new(AtomicBool::new(false)),
            status_interval: Duration::from_secs(5),
            progress: true,
            max_restarts: 10,
        }
    }
}

/// How a run ended (all are exit 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// SIGINT/SIGTERM: checkpoint written.
    Stopped,
    /// `--until-caught-up`: at the server's position, everything committed.
    CaughtUp,
    /// `--snapshot-only`: every table's snapshot is done.
    SnapshotDone,
}

enum PhaseError {
    /// Restart from the checkpoint.
    Retry(String),
    /// Reopen the binlog at the checkpoint (after a followed schema change); not a failure.
    Reopen,
    Fatal(anyhow::Error),
}

/// A source-side error: one that carries a [`crate::error::Failure`] (a human must act) stops;
/// anything else (a dropped connection, a timeout) restarts from the checkpoint.
fn source_error(e: anyhow::Error) -> PhaseError {
    if crate::error::is_transient(&e) {
        PhaseError::Retry(format!("source: {e:#}"))
    } else {
        PhaseError::Fatal(e)
    }
}

impl From<anyhow::Error> for PhaseError {
    fn from(e: anyhow::Error) -> Self {
        PhaseError::Fatal(e)
    }
}
impl From<SinkError> for PhaseError {
    fn from(e: SinkError) -> Self {
        match e {
            SinkError::Retry(m) => PhaseError::Retry(m),
            SinkError::Fatal(e) => PhaseError::Fatal(e),
        }
    }
}

pub struct Engine<'a> {
    targets: Vec<Target>,
    store: Store,
    state: State,
    opts: Options,
    source: &'a mut dyn Source,
    admin: &'a dyn Admin,
    pub stats: Stats,
    /// Tables whose CSV bodies hit a separator inside a streamed transaction: JSON from now on.
    force_json: Vec<bool>,
}

impl<'a> Engine<'a> {
    /// Load (or start) the checkpoint. `job`/`description` are used for a new checkpoint only:
    /// an existing one keeps its job id (labels must not change under a running job).
    pub fn new(
        targets: Vec<Target>,
        store: Store,
        job: &str,
        description: &str,
        opts: Options,
        source: &'a mut dyn Source,
        admin: &'a dyn Admin,
    ) -> anyhow::Result<Self> {
        let mut state = match store.load()? {
            Some(s) => s,
            None => State::new(job, description),
        };
        for t in &targets {
            state.table_mut(&t.key());
        }
        let n = targets.len();
        Ok(Engine {
            targets,
            store,
            state,
            opts,
            source,
            admin,
            stats: Stats::default(),
            force_json: vec![false; n],
        })
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    fn save(&self) -> anyhow::Result<()> {
        self.store.save(&self.state)
    }

    fn stopping(&self) -> bool {
        self.opts.stop.load(Ordering::SeqCst)
    }

    fn loader_for(&self, p: &PendingLabel) -> Option<Arc<dyn Loader>> {
        self.targets
            .iter()
            .find(|t| t.db() == p.db && t.table() == p.table)
            .map(|t| t.loader.clone())
    }

    /// Roll back `label` of target `i` if StarRocks still holds it open (PREPARE/PREPARED): a
    /// transaction of a crashed attempt that the checkpoint never recorded. Best effort: it
    /// would otherwise only time out (it can never be committed by us).
    fn abort_lingering(&self, i: usize, label: &str) {
        let t = &self.targets[i];
        match t.loader.label_state(t.db(), label) {
            Ok(sink::LabelState::Prepare | sink::LabelState::Prepared) => {
                tracing::info!(
                    label,
                    "rolling back a lingering transaction of a crashed run"
                );
                if let Err(e) = t.loader.rollback(t.db(), t.table(), label) {
                    tracing::warn!(label, "could not roll back a lingering transaction: {e}");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(label, "label state unknown: {e}"),
        }
    }

    /// Commit what the checkpoint lists as prepared, then clear it.
    fn resolve_pending(&mut self) -> anyhow::Result<()> {
        if self.state.pending_commit.is_empty() {
            return Ok(());
        }
        let pending = self.state.pending_commit.clone();
        let get = |p: &PendingLabel| self.loader_for(p);
        sink::resolve_pending(&get, &pending, &self.opts.retry)?;
        self.state.pending_commit.clear();
        self.save()
    }

    /// Run until stopped, caught up, or a failure a human must act on.
    pub fn run(&mut self) -> anyhow::Result<Outcome> {
        self.resolve_pending()?;
        self.save()?;
        let mut restarts = 0u32;
        loop {
            let r = self.run_phases();
            match r {
                Ok(o) => return Ok(o),
                Err(PhaseError::Fatal(e)) => return Err(e),
                Err(PhaseError::Reopen) => continue,
                Err(PhaseError::Retry(m)) => {
                    restarts += 1;
                    if restarts > self.opts.max_restarts {
                        return Err(fail(
                            Kind::Target,
                            format!(
                                "giving up after {} restarts from the checkpoint: {m}. The \
                                 checkpoint is consistent; run smt sync again when StarRocks is \
                                 healthy",
                                self.opts.max_restarts
                            ),
                        ));
                    }
                    tracing::warn!("restarting from the checkpoint: {m}");
                    std::thread::sleep(self.opts.retry.delay_after(restarts.min(7)));
                    // The checkpoint on disk is the truth: reload it.
                    if let Some(s) = self.store.load()? {
                        self.state = s;
                    }
                    self.resolve_pending()?;
                }
            }
        }
    }

    fn run_phases(&mut self) -> Result<Outcome, PhaseError> {
        if let Some(o) = self.snapshot_phase()? {
            return Ok(o);
        }
        if self.opts.snapshot_only {
            return Ok(Outcome::SnapshotDone);
        }
        self.binlog_phase()
    }

    // ------------------------------------------------------------------------------ snapshot

    /// Some(outcome) when the run must end here (stop requested).
    fn snapshot_phase(&mut self) -> Result<Option<Outcome>, PhaseError> {
        let todo: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !self.state.is_done(&self.targets[i].key()))
            .collect();
        if todo.is_empty() {
            return Ok(None);
        }
        let prev_epoch = self.state.last_epoch;
        if prev_epoch > 0 {
            for &i in &todo {
                let t = &self.targets[i];
                let chunks = self
                    .state
                    .table(&t.key())
                    .and_then(|s| s.progress.as_ref())
                    .map_or(0, |p| p.chunks);
                let l = batch::snapshot_label(
                    &self.state.label_prefix(),
                    t.db(),
                    t.table(),
                    prev_epoch,
                    chunks,
                );
                self.abort_lingering(i, &l);
            }
        }
        let (mut reader, view) = self.source.snapshot().map_err(source_error)?;
        self.state.last_epoch += 1;
        let epoch = self.state.last_epoch;
        tracing::info!(epoch, position = %view, tables = todo.len(), "snapshot view opened");

        // Cursors: (target, source index, last key).
        let mut cursors: Vec<(usize, usize, Option<serde_json::Value>)> = Vec::new();
        for &i in &todo {
            let key = self.targets[i].key();
            let prog = self.state.table_mut(&key).progress.clone();
            match (&self.targets[i].plan.model, prog) {
                (Model::Primary, Some(p)) => {
                    tracing::info!(table = %key, chunks = p.chunks, "resuming the snapshot after the last committed key");
                    cursors.push((i, p.source, p.last_key.clone()));
                }
                (Model::Duplicate, Some(_)) => {
                    tracing::info!(table = %key, "DUPLICATE KEY table with a partial snapshot: truncating it and starting over");
                    self.admin
                        .truncate(self.targets[i].db(), self.targets[i].table())?;
                    self.state.table_mut(&key).progress = None;
                    cursors.push((i, 0, None));
                }
                (_, None) => cursors.push((i, 0, None)),
            }
        }
        self.save()?;

        let bars = super::status::Bars::new(self.opts.progress);
        let mut bar_of = std::collections::HashMap::new();
        for &(i, _, _) in &cursors {
            let est = reader.estimate_rows(i).unwrap_or(0);
            let done_rows = self
                .state
                .table(&self.targets[i].key())
                .and_then(|t| t.progress.as_ref())
                .map_or(0, |p| p.rows);
            bar_of.insert(i, bars.add(&self.targets[i].key(), est, done_rows));
        }

        let n_sources: Vec<usize> = self
            .targets
            .iter()
            .map(|t| t.plan.sources.len().max(1))
            .collect();
        // Rows per chunk (= per transaction): the option, capped by the table's max-rows.
        let chunk_rows: Vec<usize> = self
            .targets
            .iter()
            .map(|t| self.opts.chunk_rows.min(t.limits.max_rows).max(1))
            .collect();
        let stop = self.opts.stop.clone();
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<anyhow::Result<(usize, usize, SnapChunk)>>(1);

        std::thread::scope(|s| -> Result<Option<Outcome>, PhaseError> {
            let ns = n_sources.clone();
            let reader_thread = s.spawn(move || {
                let mut active = cursors;
                while !active.is_empty() && !stop.load(Ordering::SeqCst) {
                    let mut next = Vec::with_capacity(active.len());
                    for (i, src, key) in std::mem::take(&mut active) {
                        let r = reader.read_chunk(i, src, key.as_ref(), chunk_rows[i]);
                        let (cont, item) = match r {
                            Ok(chunk) => {
                                let (nsrc, nkey) = if chunk.done {
                                    (src + 1, None)
                                } else {
                                    (src, chunk.last_key.clone())
                                };
                                if nsrc < ns[i] {
                                    next.push((i, nsrc, nkey));
                                }
                                (true, Ok((i, src, chunk)))
                            }
                            Err(e) => (false, Err(e)),
                        };
                        if tx.send(item).is_err() || !cont {
                            return;
                        }
                    }
                    active = next;
                }
            });

            let mut result = Ok(None);
            let mut last_status = Instant::now();
            let started = Instant::now();
            for msg in rx.iter() {
                let (i, src, chunk) = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        result = Err(source_error(e));
                        break;
                    }
                };
                let n = chunk.rows.len() as u64;
                if let Err(e) = self.commit_chunk(i, src, chunk, epoch, &view, n_sources[i]) {
                    result = Err(e);
                    break;
                }
                if let Some(b) = bar_of.get(&i) {
                    b.inc(n);
                    if self.state.is_done(&self.targets[i].key()) {
                        b.finish();
                    }
                }
                if last_status.elapsed() >= self.opts.status_interval {
                    last_status = Instant::now();
                    let rows = self.stats.snapshot_rows;
                    let secs = started.elapsed().as_secs_f64().max(0.001);
                    let done = self
                        .targets
                        .iter()
                        .filter(|t| self.state.is_done(&t.key()))
                        .count();
                    tracing::info!(
                        rows,
                        rows_per_s = format!("{:.0}", rows as f64 / secs),
                        tables_done = done,
                        tables = self.targets.len(),
                        "snapshot status"
                    );
                }
                if self.stopping() {
                    result = Ok(Some(Outcome::Stopped));
                    break;
                }
            }
            drop(rx);
            let _ = reader_thread.join();
            if result.is_ok() && self.stopping() {
                return Ok(Some(Outcome::Stopped));
            }
            result
        })
    }

    fn commit_chunk(
        &mut self,
        i: usize,
        src: usize,
        chunk: SnapChunk,
        epoch: u32,
        view: &BinlogPosition,
        n_sources: usize,
    ) -> Result<(), PhaseError> {
        let t = &self.targets[i];
        let key = t.key();
        let prev = self.state.table(&key).and_then(|s| s.progress.clone());
        let mut prog = prev.unwrap_or(SnapshotProgress {
            epoch,
            position: view.clone(),
            chunks: 0,
            rows: 0,
            source: src,
            last_key: None,
        });
        let n = chunk.rows.len() as u64;
        let source_done = chunk.done;
        let mut label = None;
        if n > 0 {
            let l = batch::snapshot_label(
                &self.state.label_prefix(),
                t.db(),
                t.table(),
                epoch,
                prog.chunks,
            );
            let rows: Vec<(Op, &Row)> = chunk.rows.iter().map(|r| (Op::Upsert, r)).collect();
            let body = t.spec.encode(&rows, self.force_json[i]);
            sink::load_txn(
                &*t.loader,
                t.db(),
                t.table(),
                &l,
                std::slice::from_ref(&body),
                &t.spec.extra_headers,
                self.opts.txn_timeout_s,
                &self.opts.retry,
            )?;
            prog.chunks += 1;
            prog.rows += n;
            label = Some(l);
        }
        prog.epoch = epoch;
        if source_done {
            prog.source = src + 1;
            prog.last_key = None;
        } else {
            prog.source = src;
            prog.last_key = chunk.last_key;
        }
        let pending = label.map(|l| PendingLabel {
            db: t.db().to_string(),
            table: t.table().to_string(),
            label: l,
            prepared_at: Some(sink::unix_now()),
        });
        let all_done = source_done && src + 1 >= n_sources;
        {
            let ts = self.state.table_mut(&key);
            if all_done {
                ts.snapshot = SnapshotStatus::Done {
                    position: prog.position.clone(),
                    epoch,
                };
                ts.progress = None;
            } else {
                ts.progress = Some(prog);
            }
        }
        if let Some(p) = pending {
            self.state.pending_commit = vec![p.clone()];
            self.save()?;
            let loader = self.targets[i].loader.clone();
            sink::commit(&*loader, &p, &self.opts.retry)?;
            self.state.pending_commit.clear();
        }
        self.save()?;
        self.stats.snapshot_rows += n;
        if all_done {
            tracing::info!(table = %key, "snapshot done");
        }
        Ok(())
    }

    // -------------------------------------------------------------------------------- binlog

    fn binlog_start(&self) -> Option<BinlogPosition> {
        if let Some(b) = &self.state.binlog {
            return Some(b.clone());
        }
        self.targets
            .iter()
            .filter_map(|t| match self.state.table(&t.key()).map(|s| &s.snapshot) {
                Some(SnapshotStatus::Done { position, .. }) => Some(position.clone()),
                _ => None,
            })
            .min()
    }

    fn binlog_phase(&mut self) -> Result<Outcome, PhaseError> {
        let Some(start) = self.binlog_start() else {
            return Err(PhaseError::Fatal(fail(Kind::Sync, "no table to replicate")));
        };
        let snap_pos: Vec<BinlogPosition> = self
            .targets
            .iter()
            .map(|t| match self.state.table(&t.key()).map(|s| &s.snapshot) {
                Some(SnapshotStatus::Done { position, .. }) => position.clone(),
                _ => start.clone(),
            })
            .collect();
        tracing::info!(position = %start, "following the binlog");
        if self.state.binlog.as_ref() == Some(&start) {
            for i in 0..self.targets.len() {
                let t = &self.targets[i];
                let l = batch::binlog_label(&self.state.label_prefix(), t.db(), t.table(), &start);
                self.abort_lingering(i, &l);
            }
        }
        let mut stream = self.source.binlog(&start).map_err(source_error)?;
        let mut run = BinlogRun {
            batch_start: start.clone(),
            cur: start,
            bufs: (0..self.targets.len())
                .map(|_| TableBuf::default())
                .collect(),
            in_txn: false,
            last_flush: Instant::now(),
            last_status: Instant::now(),
            idle_polls: 0,
            prev_server: None,
            heartbeat: None,
            snap_pos,
        };
        loop {
            if !run.in_txn && self.stopping() {
                self.flush(&mut run)?;
                self.rollback_streams(&mut run);
                return Ok(Outcome::Stopped);
            }
            if run.last_status.elapsed() >= self.opts.status_interval {
                run.last_status = Instant::now();
                let sp = stream.server_position().ok();
                self.stats.report(&run.cur, sp.as_ref());
            }
            let ev = match stream.next_event() {
                Ok(e) => e,
                Err(e) => {
                    self.rollback_streams(&mut run);
                    return Err(source_error(e));
                }
            };
            let r = self.on_event(&mut run, &mut *stream, ev);
            match r {
                Ok(Some(o)) => return Ok(o),
                Ok(None) => {}
                Err(e) => {
                    self.rollback_streams(&mut run);
                    return Err(e);
                }
            }
        }
    }

    fn on_event(
        &mut self,
        run: &mut BinlogRun,
        stream: &mut dyn ChangeStream,
        ev: Option<SourceEvent>,
    ) -> Result<Option<Outcome>, PhaseError> {
        match ev {
            None | Some(SourceEvent::Heartbeat { .. }) => {
                if let Some(SourceEvent::Heartbeat { pos, server_ts }) = &ev {
                    run.heartbeat = Some(pos.clone());
                    self.stats.idle(*server_ts);
                }
                if run.in_txn {
                    return Ok(None);
                }
                run.idle_polls += 1;
                if run.last_flush.elapsed() >= self.min_interval() || self.opts.until_caught_up {
                    self.flush(run)?;
                }
                if self.opts.until_caught_up && run.is_empty() {
                    let sp = stream.server_position()?;
                    let at_end = run.cur >= sp
                        || run.heartbeat.as_ref().is_some_and(|h| *h >= sp)
                        || (run.idle_polls >= 3 && run.prev_server.as_ref() == Some(&sp));
                    run.prev_server = Some(sp);
                    if at_end {
                        self.flush(run)?;
                        return Ok(Some(Outcome::CaughtUp));
                    }
                }
            }
            Some(SourceEvent::Restarted { .. }) => {
                if run.bufs.iter().any(|b| b.open.is_some()) && run.in_txn {
                    return Err(PhaseError::Retry(
                        "the binlog connection restarted inside a transaction that was partly \
                         streamed to StarRocks"
                            .into(),
                    ));
                }
                for b in &mut run.bufs {
                    b.txn.clear();
                    b.txn_bytes = 0;
                }
                run.in_txn = false;
            }
            Some(SourceEvent::Rows {
                target, changes, ..
            }) => {
                run.idle_polls = 0;
                run.in_txn = true;
                if target >= self.targets.len() {
                    return Err(PhaseError::Fatal(anyhow::anyhow!(
                        "binlog reader returned unknown target index {target}"
                    )));
                }
                let tentative = run.cur < run.snap_pos[target];
                for ch in changes {
                    if tentative {
                        run.bufs[target].held.push(ch);
                    } else if let Some((op, row)) = self.admit(target, ch)? {
                        let b = &mut run.bufs[target];
                        b.txn_bytes += batch::row_size(&row);
                        b.txn.push((op, row));
                    }
                }
                let b = &run.bufs[target];
                if !tentative && b.bytes + b.txn_bytes >= self.targets[target].limits.max_bytes {
                    self.stream_out(run, target)?;
                }
            }
            Some(SourceEvent::Commit { end, server_ts, .. }) => {
                run.idle_polls = 0;
                run.in_txn = false;
                for i in 0..run.bufs.len() {
                    let held = std::mem::take(&mut run.bufs[i].held);
                    if !held.is_empty() && end > run.snap_pos[i] {
                        for ch in held {
                            if let Some((op, row)) = self.admit(i, ch)? {
                                run.bufs[i].txn_bytes += batch::row_size(&row);
                                run.bufs[i].txn.push((op, row));
                            }
                        }
                    }
                    let b = &mut run.bufs[i];
                    b.bytes += b.txn_bytes;
                    b.txn_bytes = 0;
                    let txn = std::mem::take(&mut b.txn);
                    b.rows.extend(txn);
                }
                run.cur = end;
                self.stats.committed_txn(server_ts);
                let full = run.bufs.iter().zip(&self.targets).any(|(b, t)| {
                    b.open.is_some()
                        || b.rows.len() >= t.limits.max_rows
                        || b.bytes >= t.limits.max_bytes
                });
                if full || run.last_flush.elapsed() >= self.min_interval() {
                    self.flush(run)?;
                }
            }
            Some(SourceEvent::Ddl {
                database, sql, end, ..
            }) => {
                if run.in_txn {
                    // A DDL ends any open transaction implicitly; the reader only sends one at
                    // a boundary, so this is not expected.
                    return Err(PhaseError::Retry("DDL inside a transaction".into()));
                }
                if run.snap_pos.iter().all(|s| end <= *s) {
                    tracing::info!(%sql, "DDL before every table's snapshot position: ignored");
                    run.cur = end;
                    return Ok(None);
                }
                self.flush(run)?;
                self.state.binlog = Some(end.clone());
                self.save()?;
                match self.follow_schema_change(&sql) {
                    Ok(true) => {
                        run.cur = end.clone();
                        run.batch_start = end;
                        return Err(PhaseError::Reopen);
                    }
                    Ok(false) => {}
                    Err(why) => tracing::warn!(%sql, "cannot follow the schema change: {why}"),
                }
                return Err(PhaseError::Fatal(fail(
                    Kind::Sync,
                    format!(
                        "the source ran DDL on a replicated table (database `{database}`, at \
                         {end}): {sql}\nEverything before it is loaded and the checkpoint is \
                         after it. Change the StarRocks table to match (re-run `smt generate` \
                         and apply the difference, or `smt apply` for new tables), then run \
                         `smt sync` again; for TRUNCATE/DROP or a changed key, truncate the \
                         target, delete the state directory and take a fresh snapshot"
                    ),
                )));
            }
        }
        Ok(None)
    }

    /// Try to follow a source DDL: re-plan, and when only non-key columns were added or
    /// dropped, ALTER the StarRocks tables and switch the targets to the new plans.
    /// Ok(true) = followed (reopen the binlog at the checkpoint); Ok(false) = not possible.
    fn follow_schema_change(&mut self, sql: &str) -> Result<bool, String> {
        let current: Vec<TablePlan> = self.targets.iter().map(|t| t.plan.clone()).collect();
        let Some(new) = self
            .source
            .refresh(&current)
            .map_err(|e| format!("{e:#}"))?
        else {
            return Ok(false);
        };
        if new.len() != current.len() {
            return Err("the set of replicated tables changed".into());
        }
        let mut diffs = Vec::new();
        for (o, n) in current.iter().zip(&new) {
            let d = column_diff(o, n)
                .map_err(|e| format!("{}.{}: {e}", o.target_database, o.target_table))?;
            diffs.push(d);
        }
        for ((t, d), n) in self.targets.iter().zip(&diffs).zip(&new) {
            for stmt in alter_statements(t.db(), t.table(), d) {
                tracing::info!(%stmt, cause = %sql, "following a source schema change");
                self.admin
                    .alter(t.db(), t.table(), &stmt)
                    .map_err(|e| format!("{stmt}: {e:#}"))?;
            }
            let _ = n;
        }
        for ((t, n), d) in self.targets.iter_mut().zip(new).zip(&diffs) {
            if d.added.is_empty() && d.dropped.is_empty() {
                continue;
            }
            t.spec = BodySpec::new(&n);
            t.plan = n;
        }
        Ok(true)
    }

    fn min_interval(&self) -> Duration {
        self.targets
            .iter()
            .map(|t| t.limits.interval)
            .min()
            .unwrap_or(Duration::from_secs(1))
    }

    /// Turn a change into an operation on target `i`, applying the DUPLICATE KEY rule.
    fn admit(&mut self, i: usize, ch: RowChange) -> Result<Option<(Op, Row)>, PhaseError> {
        let t = &self.targets[i];
        match (&t.plan.model, ch) {
            (Model::Primary, RowChange::Insert(r) | RowChange::Upsert(r)) => {
                Ok(Some((Op::Upsert, r)))
            }
            (Model::Primary, RowChange::Delete(r)) => Ok(Some((Op::Delete, r))),
            (Model::Duplicate, RowChange::Insert(r)) => Ok(Some((Op::Upsert, r))),
            (Model::Duplicate, ch @ (RowChange::Upsert(_) | RowChange::Delete(_))) => {
                let what = if matches!(ch, RowChange::Delete(_)) {
                    "DELETE"
                } else {
                    "UPDATE"
                };
                if self.opts.skip_dup_changes {
                    self.stats.skipped_dup += 1;
                    if self.stats.skipped_dup.is_power_of_two() {
                        tracing::warn!(
                            table = %t.key(),
                            skipped = self.stats.skipped_dup,
                            "skipping an {what} on a DUPLICATE KEY target (sync_skip_duplicate_key_changes): the target diverges from the source"
                        );
                    }
                    Ok(None)
                } else {
                    Err(PhaseError::Fatal(fail(
                        Kind::Sync,
                        format!(
                            "the source ran an {what} on a table whose StarRocks target `{}` is a \
                             DUPLICATE KEY table (the source table has no primary key): it cannot \
                             be applied exactly (appends only). Add a primary key to the source \
                             table (then re-run `smt generate`/`apply` and take a fresh snapshot), \
                             or set `sync_skip_duplicate_key_changes = true` in [other] to skip \
                             such changes with a warning",
                            t.key()
                        ),
                    )))
                }
            }
        }
    }

    /// Send table `i`'s buffer into its open StarRocks transaction (begin it if needed).
    fn stream_out(&mut self, run: &mut BinlogRun, i: usize) -> Result<(), PhaseError> {
        let t = &self.targets[i];
        let b = &mut run.bufs[i];
        let mut rows = std::mem::take(&mut b.rows);
        rows.append(&mut b.txn);
        b.bytes = 0;
        b.txn_bytes = 0;
        if rows.is_empty() {
            return Ok(());
        }
        let label = batch::binlog_label(
            &self.state.label_prefix(),
            t.db(),
            t.table(),
            &run.batch_start,
        );
        if b.open.is_none() {
            sink::begin_fresh(
                &*t.loader,
                t.db(),
                t.table(),
                &label,
                self.opts.txn_timeout_s,
                &self.opts.retry,
            )?;
            b.open = Some(OpenTxn {
                label: label.clone(),
                sent: 0,
                format: None,
            });
        }
        let refs: Vec<(Op, &Row)> = rows.iter().map(|(o, r)| (*o, r)).collect();
        let open = b
            .open
            .as_mut()
            .ok_or_else(|| PhaseError::Retry("no open transaction".into()))?;
        let body = t.spec.encode(
            &refs,
            self.force_json[i] || open.format == Some(SinkFormat::Json),
        );
        if let Some(f) = &open.format {
            if *f != body.format {
                self.force_json[i] = true;
                return Err(PhaseError::Retry(format!(
                    "`{}`: a value contains the CSV separator inside a streamed transaction; \
                     redoing the batch as JSON",
                    t.key()
                )));
            }
        }
        open.format = Some(body.format.clone());
        match t
            .loader
            .load(t.db(), t.table(), &label, &body, &t.spec.extra_headers)
        {
            Ok(()) => {
                open.sent += body.rows;
                self.stats.streamed_bytes += body.bytes.len() as u64;
                Ok(())
            }
            Err(sink::LoadError::Definite(m)) => Err(PhaseError::Fatal(fail(
                Kind::Target,
                format!(
                    "StarRocks refused a load into `{}` (label {label}): {m}",
                    t.key()
                ),
            ))),
            Err(e) => Err(PhaseError::Retry(format!(
                "streaming into `{}`: {e}",
                t.key()
            ))),
        }
    }

    fn rollback_streams(&self, run: &mut BinlogRun) {
        for (b, t) in run.bufs.iter_mut().zip(&self.targets) {
            if let Some(o) = b.open.take() {
                let _ = t.loader.rollback(t.db(), t.table(), &o.label);
            }
        }
    }

    /// Load every buffered table at the boundary `run.cur` and move the checkpoint there.
    /// With nothing buffered, only the position moves (a position-only checkpoint).
    fn flush(&mut self, run: &mut BinlogRun) -> Result<(), PhaseError> {
        debug_assert!(!run.in_txn);
        let work: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !run.bufs[i].rows.is_empty() || run.bufs[i].open.is_some())
            .collect();
        run.last_flush = Instant::now();
        if work.is_empty() {
            if self.state.binlog.as_ref() != Some(&run.cur) {
                self.state.binlog = Some(run.cur.clone());
                self.save()?;
            }
            run.batch_start = run.cur.clone();
            return Ok(());
        }
        let job = self.state.label_prefix();
        let opts = &self.opts;
        let force_json = &self.force_json;
        let targets = &self.targets;
        let batch_start = run.batch_start.clone();
        // Prepare every table in parallel (different tables; per table strictly serial).
        let results: Vec<(usize, String, Result<u64, SinkError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = work
                .iter()
                .map(|&i| {
                    let t = &targets[i];
                    let b = &run.bufs[i];
                    let job = &job;
                    let batch_start = &batch_start;
                    s.spawn(move || {
                        let label = batch::binlog_label(job, t.db(), t.table(), batch_start);
                        let rows: Vec<(Op, &Row)> = b.rows.iter().map(|(o, r)| (*o, r)).collect();
                        let r =
                            prepare_table(t, &label, &rows, b.open.as_ref(), force_json[i], opts);
                        (i, label, r)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        (
                            usize::MAX,
                            String::new(),
                            Err(SinkError::Retry("a load thread panicked".into())),
                        )
                    })
                })
                .collect()
        });
        let mut failure = None;
        let mut prepared = Vec::new();
        let mut rows_total = 0;
        for (i, label, r) in results {
            match r {
                Ok(n) => {
                    rows_total += n;
                    prepared.push((i, label))
                }
                Err(e) => {
                    if failure.is_none() || matches!(e, SinkError::Fatal(_)) {
                        failure = Some(e);
                    }
                }
            }
        }
        for b in &mut run.bufs {
            b.open = None;
        }
        if let Some(e) = failure {
            for (i, label) in &prepared {
                let t = &self.targets[*i];
                let _ = t.loader.rollback(t.db(), t.table(), label);
            }
            return Err(e.into());
        }
        let pending: Vec<PendingLabel> = prepared
            .iter()
            .map(|(i, label)| PendingLabel {
                db: self.targets[*i].db().to_string(),
                table: self.targets[*i].table().to_string(),
                label: label.clone(),
                prepared_at: Some(sink::unix_now()),
            })
            .collect();
        self.state.binlog = Some(run.cur.clone());
        self.state.pending_commit = pending.clone();
        self.save()?;
        let commit_results: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
            let hs: Vec<_> = prepared
                .iter()
                .zip(&pending)
                .map(|((i, _), p)| {
                    let loader = self.targets[*i].loader.clone();
                    let retry = self.opts.retry.clone();
                    s.spawn(move || sink::commit(&*loader, p, &retry))
                })
                .collect();
            hs.into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("a commit thread panicked")))
                })
                .collect()
        });
        for r in commit_results {
            r?;
        }
        self.state.pending_commit.clear();
        self.save()?;
        for &i in &work {
            run.bufs[i].rows.clear();
            run.bufs[i].bytes = 0;
        }
        run.batch_start = run.cur.clone();
        self.stats.batch(rows_total);
        Ok(())
    }
}

/// Load and prepare one table's batch; Ok(rows).
fn prepare_table(
    t: &Target,
    label: &str,
    rows: &[(Op, &Row)],
    open: Option<&OpenTxn>,
    force_json: bool,
    opts: &Options,
) -> Result<u64, SinkError> {
    match open {
        None => {
            let body = t.spec.encode(rows, force_json);
            sink::load_txn(
                &*t.loader,
                t.db(),
                t.table(),
                label,
                std::slice::from_ref(&body),
                &t.spec.extra_headers,
                opts.txn_timeout_s,
                &opts.retry,
            )?;
            Ok(body.rows)
        }
        Some(o) => {
            // Part of the batch is already in the open transaction: no in-place retry is
            // possible (that data is gone from memory); failures restart from the checkpoint.
            let mut sent = o.sent;
            if !rows.is_empty() {
                let body = t
                    .spec
                    .encode(rows, force_json || o.format == Some(SinkFormat::Json));
                if o.format.as_ref().is_some_and(|f| *f != body.format) {
                    return Err(SinkError::Retry(format!(
                        "`{}`: CSV/JSON switch inside a transaction",
                        t.key()
                    )));
                }
                t.loader
                    .load(t.db(), t.table(), label, &body, &t.spec.extra_headers)
                    .map_err(|e| retry_or_fatal(t, label, e))?;
                sent += body.rows;
            }
            let c = t
                .loader
                .prepare(t.db(), t.table(), label)
                .map_err(|e| retry_or_fatal(t, label, e))?;
            sink::check_counts(t.db(), t.table(), label, &c, sent)?;
            Ok(sent)
        }
    }
}

fn retry_or_fatal(t: &Target, label: &str, e: sink::LoadError) -> SinkError {
    match e {
        sink::LoadError::Definite(m) => SinkError::Fatal(fail(
            Kind::Target,
            format!(
                "StarRocks refused a load into `{}` (label {label}): {m}",
                t.key()
            ),
        )),
        other => SinkError::Retry(format!("`{}` (label {label}): {other}", t.key())),
    }
}

struct OpenTxn {
    label: String,
    /// Rows already sent into it.
    sent: u64,
    /// Body format of its loads (must stay the same within a transaction).
    format: Option<SinkFormat>,
}

#[derive(Default)]
struct TableBuf {
    /// Changes of committed source transactions not yet sent.
    rows: Vec<(Op, Row)>,
    bytes: usize,
    /// Admitted changes of the current (uncommitted) source transaction.
    txn: Vec<(Op, Row)>,
    txn_bytes: usize,
    /// Changes of the current transaction that may precede the table's snapshot position:
    /// decided at Commit.
    held: Vec<RowChange>,
    open: Option<OpenTxn>,
}

struct BinlogRun {
    /// Checkpoint position the current batch started from (its labels).
    batch_start: BinlogPosition,
    /// End of the last source transaction seen.
    cur: BinlogPosition,
    bufs: Vec<TableBuf>,
    in_txn: bool,
    last_flush: Instant,
    last_status: Instant,
    idle_polls: u32,
    prev_server: Option<BinlogPosition>,
    heartbeat: Option<BinlogPosition>,
    snap_pos: Vec<BinlogPosition>,
}

impl BinlogRun {
    fn is_empty(&self) -> bool {
        self.bufs
            .iter()
            .all(|b| b.rows.is_empty() && b.txn.is_empty() && b.held.is_empty() && b.open.is_none())
    }
}

#[cfg(test)]
mod tests;
