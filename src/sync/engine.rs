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
//! - with snapshot rounds (`Engine::run_phases`) the chunks of a PRIMARY KEY table and the
//!   binlog catch-ups that apply its changes interleave; the argument there shows the table
//!   converges to the same final state; a DUPLICATE KEY table is never interleaved (read whole
//!   in one view, its changes applied only after);
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

use super::batch::{self, Body, BodySpec, Op};
use super::binlog::{RowChange, SourceEvent};
use super::cell::Row;
use super::checkpoint::{
    PendingDelete, PendingLabel, RangeProgress, SnapshotProgress, SnapshotStatus, State, Store,
};
use super::gtid::{Gtid, GtidPos};
use super::position::{BinlogPosition, PositionMark};
use super::sink::{self, Loader, SinkError};
use super::status::Stats;
use crate::config::{DupChanges, SinkFormat};
use crate::error::{fail, Kind};
use crate::plan::{Model, TablePlan};
use crate::retry::RetryPolicy;
use crate::schema::TableDesc;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The binlog as the engine sees it (the real one: `binlog::BinlogReader`).
pub trait ChangeStream {
    /// Next event; Ok(None) on an idle timeout.
    fn next_event(&mut self) -> anyhow::Result<Option<SourceEvent>>;
    /// The server's current binlog position (for lag and "caught up").
    fn server_position(&mut self) -> anyhow::Result<BinlogPosition>;
    /// What the position of the last `Commit`/`Ddl` returned is in the source's history (file
    /// creation time, that event's header; the engine adds the GTID position).
    fn mark(&self) -> Option<PositionMark> {
        None
    }
    /// Decode the following events with these tables (same order as the stream was opened
    /// with): the schema in force after a DDL.
    fn set_tables(&mut self, _tables: &[TablePlan]) {}
    /// The snapshot position of each table (same order): rows of transactions that end at or
    /// before it need not be decoded (the engine drops them; they may be written with an older
    /// schema).
    fn set_starts(&mut self, _starts: &[BinlogPosition]) {}
}

/// One snapshot chunk, keys already in checkpoint (JSON) form.
#[derive(Debug, Clone, Default)]
pub struct SnapChunk {
    pub rows: Vec<Row>,
    /// The rows already encoded (then `rows` is empty): the reader thread encodes its chunk,
    /// so rows are allocated and freed on one thread and bodies are built in parallel.
    pub body: Option<batch::Body>,
    pub last_key: Option<serde_json::Value>,
    /// The source is exhausted (this chunk may be empty).
    pub done: bool,
    pub bytes: usize,
}

impl SnapChunk {
    /// Rows in the chunk.
    pub fn len(&self) -> u64 {
        self.body
            .as_ref()
            .map_or(self.rows.len() as u64, |b| b.rows)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Rows for the next chunk of its table, from the body bytes per row this one took
    /// (`rows_for_bytes`, at most `cap`); None for an empty chunk.
    fn next_rows(&self, cap: usize) -> Option<usize> {
        let rows = self.len() as usize;
        let bytes = self.body.as_ref().map_or(self.bytes, |b| b.bytes.len());
        (rows > 0).then(|| rows_for_bytes(bytes.div_ceil(rows), cap))
    }
    /// Encode the rows into the body (see `body`).
    fn encode(&mut self, spec: &BodySpec) {
        if self.body.is_none() && !self.rows.is_empty() {
            let refs: Vec<(Op, &Row)> = self.rows.iter().map(|r| (Op::Upsert, r)).collect();
            self.body = Some(spec.encode(&refs, false));
            drop(refs);
            self.rows = Vec::new();
        }
    }
}

/// One consistent view of the source (the real one: `snapshot::Snapshot`).
pub trait SnapshotReader: Send {
    /// Rows of source `source` (index into the target's `plan.sources`) of target `target`,
    /// after `after` in key order, within `range` (`[lo, hi)` of the first key column, see
    /// [`SnapshotReader::split`]). With `encode` the reader may return the chunk already
    /// encoded by that spec (`body` set, `rows` empty); the engine encodes what it gets as rows.
    fn read_chunk(
        &mut self,
        target: usize,
        source: usize,
        after: Option<&serde_json::Value>,
        range: (Option<&serde_json::Value>, Option<&serde_json::Value>),
        max_rows: usize,
        encode: Option<&BodySpec>,
    ) -> anyhow::Result<SnapChunk>;
    fn estimate_rows(&mut self, target: usize) -> anyhow::Result<u64>;
    /// Average row size in bytes (0 = unknown), to size chunks by bytes.
    fn avg_row_bytes(&mut self, _target: usize) -> anyhow::Result<u64> {
        Ok(0)
    }
    /// Cut source `source` of target `target` into up to `n` ranges `[lo, hi)` of its first key
    /// column (None = unbounded), covering every key; one unbounded range when it cannot.
    #[allow(clippy::type_complexity)]
    fn split(
        &mut self,
        _target: usize,
        _source: usize,
        _n: usize,
    ) -> anyhow::Result<Vec<(Option<serde_json::Value>, Option<serde_json::Value>)>> {
        Ok(vec![(None, None)])
    }
}

/// A consistent view of the source, as [`Source::snapshot`] opens it.
pub enum View {
    /// The view, its binlog position and what that position is (its mark).
    Open(
        Box<dyn SnapshotReader>,
        BinlogPosition,
        Option<PositionMark>,
    ),
    /// The source tables' schema is not the one the targets were planned with (DDL since):
    /// per target, its source tables as they are now (None: unchanged). No view is open; the
    /// caller re-plans and asks again.
    Changed(Vec<Option<Vec<TableDesc>>>),
}

/// Opens views and binlog streams.
pub trait Source {
    /// A consistent view of the tables of `tables`, where the schema of `tables[i]` for `i` in
    /// `todo` (the ones about to be read) at the view's position is the one they were planned
    /// with (or [`View::Changed`] for those). `held`: an earlier view, still open, holds these
    /// tables (a DDL on them waits for it) and found them as planned, so this one may skip the
    /// comparison.
    fn snapshot(
        &mut self,
        tables: &[TablePlan],
        todo: &[usize],
        held: bool,
    ) -> anyhow::Result<View>;
    /// The binlog from `from` (whose mark is `mark`: a resume by GTID starts after
    /// `mark.gtid`), decoded for `tables`.
    fn binlog(
        &mut self,
        from: &BinlogPosition,
        mark: Option<&PositionMark>,
        tables: &[TablePlan],
    ) -> anyhow::Result<Box<dyn ChangeStream>>;
    /// Plan target `current` again from new descriptions of its source tables (after a DDL;
    /// `sources` in the order of `current.sources`, renamed tables under their new name).
    /// Err(why) when the tables no longer plan into that target.
    fn replan(&mut self, current: &TablePlan, _sources: &[TableDesc]) -> Result<TablePlan, String> {
        Err(format!(
            "this source cannot re-plan {}.{}",
            current.target_database, current.target_table
        ))
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
    /// The table as StarRocks has it now (None: unknown, e.g. SHOW CREATE TABLE unreadable).
    fn shape(&self, _db: &str, _table: &str) -> anyhow::Result<Option<crate::compat::TableShape>> {
        Ok(None)
    }
    /// `SELECT COUNT(*) FROM db.table WHERE <pred>` (exact changes of tables without a key).
    fn count(&self, _db: &str, _table: &str, _pred: &str) -> anyhow::Result<u64> {
        Err(anyhow::anyhow!("this target cannot count rows"))
    }
    /// `SELECT <list> FROM db.table WHERE <pred>`: rows as the FE prints them.
    fn select(
        &self,
        _db: &str,
        _table: &str,
        _list: &str,
        _pred: &str,
    ) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        Err(anyhow::anyhow!("this target cannot read rows"))
    }
    /// `DELETE FROM db.table WHERE <pred>`, returning once StarRocks has committed it.
    fn delete(&self, _db: &str, _table: &str, _pred: &str) -> anyhow::Result<()> {
        Err(anyhow::anyhow!("this target cannot delete rows"))
    }
}

/// The `ALTER TABLE` statements that bring the target of `new` from how it is (`existing`, or
/// as `old` planned it when StarRocks' table cannot be read) to `new`, for a source schema
/// change StarRocks can follow: columns added (nullable, filled with the planned default),
/// non-key columns dropped, types widened in place, NOT NULL relaxed. A column the source
/// narrowed keeps its wider StarRocks type (every value still fits). Computed against the table
/// as it is, so running them again after a crash finds nothing to do. Err(why): a key or model
/// change, a type StarRocks cannot convert in place, or a changed value encoding.
pub fn schema_change_statements(
    old: &TablePlan,
    new: &TablePlan,
    existing: Option<&crate::compat::TableShape>,
) -> Result<Vec<String>, String> {
    use crate::compat::{add_column_sql, alter_statements, diff, shape_of_plan, widens, Change};
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
    let have = existing.cloned().unwrap_or_else(|| shape_of_plan(old));
    let mut want = shape_of_plan(new);
    for w in &mut want.columns {
        if let Some(h) = have
            .columns
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(&w.name))
        {
            if h.ty != w.ty && widens(&w.ty, &h.ty) && !new.key.contains(&w.name) {
                w.ty = h.ty.clone();
            }
        }
    }
    let mut follow = Vec::new();
    for ch in diff(&have, &want) {
        match ch {
            Change::Rebuild { what, reason } => return Err(format!("{what}: {reason}")),
            Change::Tighten { .. } | Change::Position { .. } => {}
            other => follow.push(other),
        }
    }
    let (db, t) = (&new.target_database, &new.target_table);
    let others: Vec<Change> = follow
        .iter()
        .filter(|c| !matches!(c, Change::Add { .. }))
        .cloned()
        .collect();
    let mut out = alter_statements(db, t, &others, true);
    for ch in &follow {
        if let Change::Add { column, after } = ch {
            let default = new.column(&column.name).and_then(|c| c.default.as_ref());
            out.push(add_column_sql(db, t, column, after.as_deref(), default));
        }
    }
    Ok(out)
}

/// The plan `new` made from a changed source schema, as the existing target `old` can hold
/// it: a DUPLICATE KEY table keeps its sort key (the planner picks it from the first columns,
/// which a new column can change; StarRocks cannot change it, and for an append-only table it
/// decides only the order on disk), as long as those columns remain with their types.
pub fn as_existing(old: &TablePlan, new: TablePlan) -> TablePlan {
    if old.model != Model::Duplicate || new.model != Model::Duplicate || old.key == new.key {
        return new;
    }
    let kept = old.key.iter().all(|k| {
        let (o, n) = (old.column(k), new.column(k));
        o.is_some() && n.is_some_and(|n| Some(&n.sr_type) == o.map(|o| &o.sr_type))
    });
    if !kept {
        return new;
    }
    with_duplicate_key(new, &old.key)
}

/// `p` (a DUPLICATE KEY plan) with the sort key `key` (columns of `p`, matched ignoring case):
/// the key columns first, in key order. Unchanged when a key column is missing.
pub fn with_duplicate_key(mut p: TablePlan, key: &[String]) -> TablePlan {
    if p.model != Model::Duplicate {
        return p;
    }
    let find = |name: &str| {
        p.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    };
    let Some(at) = key.iter().map(|k| find(k)).collect::<Option<Vec<usize>>>() else {
        return p;
    };
    let mut cols: Vec<crate::plan::TargetColumn> =
        at.iter().map(|&i| p.columns[i].clone()).collect();
    for (i, c) in p.columns.iter().enumerate() {
        if !at.contains(&i) {
            cols.push(c.clone());
        }
    }
    p.key = cols[..key.len()].iter().map(|c| c.name.clone()).collect();
    p.columns = cols;
    p
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
            interval: Duration::from_millis(300),
        }
    }
}

/// One target table.
#[derive(Clone)]
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
    /// `[other] sync_duplicate_key_changes`: UPDATE/DELETE on DUPLICATE KEY targets stop, are
    /// skipped (counted, warned) or are applied exactly (`nokey`).
    pub dup_changes: DupChanges,
    /// Set by SIGINT/SIGTERM: finish the current batch, checkpoint, return.
    pub stop: Arc<AtomicBool>,
    pub status_interval: Duration,
    /// Draw progress bars (snapshot) when stderr is a terminal.
    pub progress: bool,
    /// Consecutive restarts from the checkpoint after retryable failures before giving up.
    pub max_restarts: u32,
    /// Snapshot readers (views, source connections) at once: `[other]
    /// sync_snapshot_parallelism`, default the number of cores.
    pub snapshot_parallelism: usize,
    /// `[other] sync_follow_truncate` (default true): a source TRUNCATE truncates the target.
    pub follow_truncate: bool,
    /// `[other] sync_reject_policy = quarantine`: rows StarRocks refuses go to the dead-letter
    /// table (see `quarantine`) instead of stopping. Batches are then never streamed into an
    /// open transaction (a refused batch must be in memory to be split).
    pub quarantine: bool,
    /// Tables the rules capture: a CREATE/RENAME TABLE in the binlog that makes one ends the
    /// run with [`Outcome::NewTables`].
    pub new_table: TableMatcher,
    /// Binlog batches of at least this many rows (or full ones) load on a thread of their own
    /// while the binlog is read on (see `Engine::flush_pipelined`); smaller ones load inline.
    pub pipeline_min_rows: usize,
    /// `[other] sync_snapshot_catch_up_secs` (default 30): while tables are still being
    /// snapshotted, every this long the readers finish their chunks and the binlog written
    /// meanwhile is applied to every table begun (see `Engine::run_phases`), so changes reach
    /// StarRocks during a long backfill. None: the binlog starts after the whole snapshot.
    /// `Some(ZERO)`: one chunk per reader per round (tests).
    pub snapshot_round: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            until_caught_up: false,
            snapshot_only: false,
            chunk_rows: 100_000,
            retry: sink::default_retry(),
            txn_timeout_s: 600,
            dup_changes: DupChanges::Stop,
            stop: Arc::new(AtomicBool::new(false)),
            status_interval: Duration::from_secs(5),
            progress: true,
            max_restarts: 10,
            snapshot_parallelism: 1,
            follow_truncate: true,
            quarantine: false,
            new_table: TableMatcher::default(),
            pipeline_min_rows: 10_000,
            snapshot_round: None,
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
    /// The source created tables the rules match (`Options::new_table`): everything before the
    /// statement is loaded and the checkpoint is after it; plan again and run again (the new
    /// tables are snapshotted then).
    NewTables(Vec<String>),
    /// The source dropped the only source tables of these targets (`db.table`): they are
    /// truncated (`sync_follow_truncate`) and out of the checkpoint, which is after the
    /// statement; plan again and run again.
    Dropped(Vec<String>),
}

/// Whether the config's rules capture a source table (database, table), for tables created
/// while sync runs. None: such tables are left to the next start.
#[derive(Clone, Default)]
pub struct TableMatcher(pub Option<Arc<MatchFn>>);

/// (database, table) → captured by a rule.
pub type MatchFn = dyn Fn(&str, &str) -> bool + Send + Sync;

impl std::fmt::Debug for TableMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "TableMatcher(rules)"
        } else {
            "TableMatcher(none)"
        })
    }
}

enum PhaseError {
    /// Restart from the checkpoint.
    Retry(String),
    Fatal(anyhow::Error),
    /// A table with snapshot progress changed schema before a round's view: apply the binlog
    /// up to now first (its DDL is followed there), then open the round again.
    CatchUpFirst,
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

/// A target-side error from the FE (`Admin`): one carrying a [`crate::error::Failure`] stops,
/// anything else (a dropped connection, a timeout) restarts from the checkpoint.
fn target_error(e: anyhow::Error) -> PhaseError {
    if crate::error::is_transient(&e) {
        PhaseError::Retry(format!("StarRocks: {e:#}"))
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
            SinkError::Rejected(m) => PhaseError::Fatal(sink::rejected_stop(&m)),
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
    /// Tables without a key whose batch met a removal after part of it was streamed: never
    /// streamed from now on (a removal needs the whole batch, see `nokey`).
    hold_whole: Vec<bool>,
    /// The last snapshot round of this process ended with every chunk it read committed: the
    /// next one has no interrupted transactions to clean up.
    clean_round: bool,
    /// A binlog catch-up of this process ended with everything it read committed: the next
    /// pass starts where it ended, where no batch of ours was ever loaded.
    clean_catch_up: bool,
    /// Per target, what the snapshot knows of its rows (read once per process).
    row_stats: Vec<Option<RowStats>>,
}

/// A table's row estimate (progress bars) and the rows its next chunk should have.
#[derive(Debug, Clone, Copy)]
struct RowStats {
    estimate: u64,
    chunk_rows: usize,
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
        let state = match store.load()? {
            Some(s) => s,
            None => State::new(job, description),
        };
        Ok(Self::with_state(targets, store, state, opts, source, admin))
    }

    /// Run with a checkpoint the caller prepared (`smt sync`'s preflight: a reset, a failover).
    pub fn with_state(
        targets: Vec<Target>,
        store: Store,
        mut state: State,
        opts: Options,
        source: &'a mut dyn Source,
        admin: &'a dyn Admin,
    ) -> Self {
        for t in &targets {
            let ts = state.table_mut(&t.key());
            if ts.schema.is_empty() {
                ts.schema = t.plan.source_tables.clone();
            }
        }
        let n = targets.len();
        // Counters over the job's life (the status line shows them).
        let mut stats = Stats::default();
        for t in state.tables.values() {
            stats.skipped_dup += t.skipped_changes;
            stats.quarantined += t.quarantined;
        }
        Engine {
            targets,
            store,
            state,
            opts,
            source,
            admin,
            stats,
            force_json: vec![false; n],
            hold_whole: vec![false; n],
            clean_round: false,
            clean_catch_up: false,
            row_stats: vec![None; n],
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Target `i` has snapshot progress: committed chunks, or key ranges whose binlog applies.
    fn begun(&self, i: usize) -> bool {
        self.state
            .table(&self.targets[i].key())
            .is_some_and(|t| t.progress.is_some())
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
            .find(|t| {
                t.db() == p.db && (t.table() == p.table || p.table == super::quarantine::TABLE)
            })
            .map(|t| t.loader.clone())
    }

    /// Roll back `label` of target `i` if StarRocks still holds it open (PREPARE/PREPARED): a
    /// transaction of a crashed attempt that the checkpoint never recorded. Best effort: it
    /// would otherwise only time out (it can never be committed by us).
    fn abort_lingering(&self, i: usize, label: &str) {
        if let Err(e) = self.try_abort_lingering(i, label) {
            tracing::debug!(label, "label state unknown: {e}");
        }
    }

    /// [`Engine::abort_lingering`], failing when StarRocks cannot say or cannot roll back: the
    /// snapshot's clean-up must not be skipped before a new epoch is recorded (the labels of
    /// the old one would never be looked at again).
    fn try_abort_lingering(&self, i: usize, label: &str) -> Result<(), sink::LoadError> {
        let t = &self.targets[i];
        match t.loader.label_state(t.db(), label)? {
            sink::LabelState::Prepare | sink::LabelState::Prepared => {
                tracing::info!(
                    label,
                    "rolling back a lingering transaction of a crashed run"
                );
                match t.loader.rollback(t.db(), t.table(), label) {
                    Ok(()) | Err(sink::LoadError::TxnNotExists(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(()),
        }
    }

    /// Commit what the checkpoint lists as prepared, then clear it. The DELETEs recorded with
    /// a batch run first, unless their label is already committed (then they had run).
    fn resolve_pending(&mut self) -> anyhow::Result<()> {
        if self.state.pending_commit.is_empty() && self.state.pending_deletes.is_empty() {
            return Ok(());
        }
        for d in &self.state.pending_deletes {
            if let Some(label) = &d.before_label {
                let p = PendingLabel {
                    db: d.db.clone(),
                    table: d.table.clone(),
                    label: label.clone(),
                    prepared_at: None,
                };
                let Some(loader) = self.loader_for(&p) else {
                    continue; // sink::resolve_pending stops on it below
                };
                match sink::label_state(&*loader, &d.db, label, &self.opts.retry)? {
                    sink::LabelState::Prepared => {}
                    // Committed: the DELETEs ran before. Anything else: the load is lost,
                    // which sink::resolve_pending reports below.
                    _ => continue,
                }
            }
            tracing::info!(table = %format!("{}.{}", d.db, d.table), deletes = d.wheres.len(), "running the DELETEs of a batch prepared before the restart");
            for w in &d.wheres {
                self.admin.delete(&d.db, &d.table, w)?;
            }
        }
        let pending = self.state.pending_commit.clone();
        let get = |p: &PendingLabel| self.loader_for(p);
        sink::resolve_pending(&get, &pending, &self.opts.retry)?;
        self.state.pending_commit.clear();
        self.state.pending_deletes.clear();
        self.save()
    }

    /// Truncate the tables a reset listed (each is removed from the list, durably, once done:
    /// a crash in between truncates it again, which changes nothing).
    fn truncate_pending(&mut self) -> anyhow::Result<()> {
        while let Some(key) = self.state.truncate_pending.first().cloned() {
            if let Some(t) = self.targets.iter().find(|t| t.key() == key) {
                tracing::info!(table = %key, "truncating (smt sync --reset)");
                self.admin.truncate(t.db(), t.table())?;
            }
            self.state.truncate_pending.remove(0);
            self.save()?;
        }
        Ok(())
    }

    /// Run until stopped, caught up, or a failure a human must act on.
    pub fn run(&mut self) -> anyhow::Result<Outcome> {
        self.resolve_pending()?;
        self.save()?;
        self.truncate_pending()?;
        let mut restarts = 0u32;
        loop {
            let r = self.run_phases();
            match r {
                Ok(o) => return Ok(o),
                Err(PhaseError::Fatal(e)) => return Err(e),
                Err(PhaseError::CatchUpFirst) => {
                    return Err(anyhow::anyhow!(
                        "internal: a catch-up request escaped the snapshot rounds"
                    ))
                }
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
                    let until = Instant::now() + self.opts.retry.delay_after(restarts.min(7));
                    while Instant::now() < until {
                        if self.stopping() {
                            return Ok(Outcome::Stopped);
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    // The checkpoint on disk is the truth: reload it.
                    self.clean_round = false;
                    self.clean_catch_up = false;
                    if let Some(s) = self.store.load()? {
                        self.state = s;
                    }
                    self.resolve_pending()?;
                }
            }
        }
    }

    /// The snapshot, in rounds when `opts.snapshot_round` is set, then the binlog.
    ///
    /// Rounds (the binlog during the backfill): a round reads chunks in fresh views until its
    /// time is up (each reader reads at least one; a DUPLICATE KEY table a reader began is read
    /// to its end, one not begun waits for a later round) and commits them; then the binlog
    /// from the checkpoint's position up to the server's position at that moment is applied to
    /// every table begun (a PRIMARY KEY table with any progress, from its first view's
    /// position; a table not begun takes nothing) and checkpointed; then the next round opens
    /// its views. Why a PRIMARY KEY table still ends equal to the source: every binlog event
    /// from its first view's position on is applied exactly once, in order, as a full row image
    /// (an upsert or a delete of its key); every chunk is its key range's state at its view's
    /// position V, loaded before any event after V is applied (the events applied before it
    /// are those up to the previous catch-up's end, which V follows, because the view opened
    /// after that catch-up). So for each key, the last write the target received is either the
    /// key's last event (and nothing read later can hold an older state of that key), or a
    /// chunk read after the key's last event, which holds the key's final state. Earlier writes
    /// may show an older image for a moment (an event a later chunk already held, re-applied),
    /// never at the end. A key range not read yet takes events too: its chunk, read later,
    /// overwrites them with a newer state, and a row deleted meanwhile was deleted by its event.
    ///
    /// A DDL on a table begun, between a catch-up and the next round's views, shows when the
    /// first view compares the schema: the round gives way to another catch-up, which follows
    /// the DDL from the binlog (the target is altered, the table goes on), instead of starting
    /// the table over; only if the view still differs after that does it start over.
    fn run_phases(&mut self) -> Result<Outcome, PhaseError> {
        let mut ddl_catch_up = false;
        loop {
            match self.snapshot_phase(ddl_catch_up) {
                Ok(Some(o)) => return Ok(o),
                Ok(None) => ddl_catch_up = false,
                Err(PhaseError::CatchUpFirst) => ddl_catch_up = true,
                Err(e) => return Err(e),
            }
            let all_done = self.targets.iter().all(|t| self.state.is_done(&t.key()));
            if all_done || self.opts.snapshot_only {
                break;
            }
            match self.binlog_phase(true)? {
                Outcome::CaughtUp => self.clean_catch_up = true,
                o => return Ok(o),
            }
        }
        if self.opts.snapshot_only {
            return Ok(Outcome::SnapshotDone);
        }
        self.binlog_phase(false)
    }

    // ------------------------------------------------------------------------------ snapshot

    /// Some(outcome) when the run must end here (stop requested).
    ///
    /// Readers: `opts.snapshot_parallelism` views, each on its own connection (MariaDB: lock-free
    /// consistent snapshots, each with its own exact binlog position; MySQL: each a brief global
    /// read lock). A PRIMARY KEY table is cut into key ranges read by whichever reader is free;
    /// a table without a usable key (DUPLICATE KEY target) is read whole by one reader, in one
    /// view. Why a row is never lost or resurrected across ranges and views: every chunk is the
    /// state of its key range at its view's position, and the table's binlog replay starts at
    /// the lowest position of any view it was read in; replaying full row images from an older
    /// position over a newer state converges to the same final state (an upsert or a delete of
    /// a key is applied again in order; a row that moved between ranges is deleted or upserted
    /// by the event that moved it). A DUPLICATE KEY table cannot take a replay, so it comes from
    /// exactly one view and its position is that view's.
    ///
    /// In rounds, a table with progress whose schema changed before the first view makes the
    /// phase return [`PhaseError::CatchUpFirst`] instead of starting the table over; called
    /// again `after_ddl_catch_up`, a table the catch-up altered to fit goes on.
    fn snapshot_phase(&mut self, after_ddl_catch_up: bool) -> Result<Option<Outcome>, PhaseError> {
        let todo: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !self.state.is_done(&self.targets[i].key()))
            .collect();
        if todo.is_empty() {
            return Ok(None);
        }
        let prev_epoch = self.state.last_epoch;
        // The next round of this process (not a restart): nothing to clean up or announce.
        let next_round = std::mem::take(&mut self.clean_round);
        if prev_epoch > 0 && !next_round {
            // A crashed run may have left prepared chunks the checkpoint does not list.
            let window = (GROUP_COMMIT + 2 * self.opts.snapshot_parallelism.max(1)) as u64;
            for &i in &todo {
                let t = &self.targets[i];
                let chunks = self
                    .state
                    .table(&t.key())
                    .and_then(|s| s.progress.as_ref())
                    .map_or(0, |p| p.chunks);
                for c in chunks..chunks + window {
                    let l = batch::snapshot_label(
                        &self.state.label_prefix(),
                        t.db(),
                        t.table(),
                        prev_epoch,
                        c,
                    );
                    self.try_abort_lingering(i, &l).map_err(|e| {
                        PhaseError::Retry(format!(
                            "cleaning up label {l} of an interrupted snapshot: {e}"
                        ))
                    })?;
                }
            }
        }
        let n_readers = self.opts.snapshot_parallelism.max(1);
        let mut views = Vec::with_capacity(n_readers);
        let catch_up_on_ddl =
            !after_ddl_catch_up && self.opts.snapshot_round.is_some() && !self.opts.snapshot_only;
        for _ in 0..n_readers {
            let held = !views.is_empty();
            views.push(self.open_view(&todo, held, catch_up_on_ddl, after_ddl_catch_up)?);
        }
        self.state.last_epoch += 1;
        let epoch = self.state.last_epoch;
        let lowest = views
            .iter()
            .map(|(_, p, m)| (p.clone(), m.clone()))
            .min_by(|a, b| a.0.cmp(&b.0))
            .unwrap_or_else(|| (BinlogPosition::new("", 0), None));
        tracing::info!(epoch, position = %lowest.0, readers = n_readers, tables = todo.len(), "snapshot views opened");

        // Work: key ranges. PRIMARY KEY tables are shared by all readers; a DUPLICATE KEY table
        // belongs to one reader (and that reader's view position).
        let mut shared: VecDeque<Item> = VecDeque::new();
        let mut private: Vec<VecDeque<Item>> = vec![VecDeque::new(); n_readers];
        let mut dup_reader = 0usize;
        for &i in &todo {
            let key = self.targets[i].key();
            // The schema the rows (and the binlog after them) are decoded with.
            self.state.table_mut(&key).schema = self.targets[i].plan.source_tables.clone();
            let n_sources = self.targets[i].plan.sources.len().max(1);
            let is_pk = self.targets[i].plan.model == Model::Primary;
            let prog = self.state.table(&key).and_then(|t| t.progress.clone());
            let mut prog = match (is_pk, prog) {
                (true, Some(mut p)) => {
                    if next_round {
                        tracing::debug!(table = %key, chunks = p.chunks, "next snapshot round");
                    } else {
                        tracing::info!(table = %key, chunks = p.chunks, "resuming the snapshot after the last committed keys");
                    }
                    if p.ranges.is_empty() {
                        // A checkpoint from before ranges: its cursor as ranges.
                        p.ranges = (0..n_sources)
                            .map(|s| RangeProgress {
                                source: s,
                                lo: None,
                                hi: None,
                                last_key: (s == p.source).then(|| p.last_key.clone()).flatten(),
                                done: s < p.source,
                            })
                            .collect();
                    }
                    p
                }
                (false, Some(_)) => {
                    tracing::info!(table = %key, "DUPLICATE KEY table with a partial snapshot: truncating it and starting over");
                    self.admin
                        .truncate(self.targets[i].db(), self.targets[i].table())?;
                    self.fresh_progress(i, epoch, &lowest, &mut views, dup_reader, n_readers)?
                }
                (_, None) => {
                    self.fresh_progress(i, epoch, &lowest, &mut views, dup_reader, n_readers)?
                }
            };
            prog.epoch = epoch;
            for (r, rg) in prog.ranges.iter().enumerate() {
                if rg.done {
                    continue;
                }
                let item = Item {
                    target: i,
                    range: r,
                    source: rg.source,
                    lo: rg.lo.clone(),
                    hi: rg.hi.clone(),
                    after: rg.last_key.clone(),
                    owner: (!is_pk).then_some(dup_reader % n_readers),
                };
                match item.owner {
                    Some(o) => private[o].push_back(item),
                    None => shared.push_back(item),
                }
            }
            if !is_pk {
                dup_reader += 1;
            }
            let all_done = prog.ranges.iter().all(|r| r.done);
            let ts = self.state.table_mut(&key);
            if all_done {
                ts.snapshot = SnapshotStatus::Done {
                    position: prog.position.clone(),
                    epoch,
                    mark: prog.mark.clone(),
                };
                ts.progress = None;
            } else {
                ts.progress = Some(prog);
            }
        }
        self.save()?;

        let bars = super::status::Bars::new(self.opts.progress);
        let mut bar_of = std::collections::HashMap::new();
        // A table's source estimates are read once per process, not per round.
        for &i in &todo {
            if self.row_stats[i].is_none() {
                let est = views[0].0.estimate_rows(i).unwrap_or(0);
                let avg = views[0].0.avg_row_bytes(i).unwrap_or(0) as usize;
                self.row_stats[i] = Some(RowStats {
                    estimate: est,
                    chunk_rows: rows_for_bytes(
                        avg + self.targets[i].spec.row_framing(),
                        usize::MAX,
                    ),
                });
            }
        }
        for &i in &todo {
            let est = self.row_stats[i].as_ref().map_or(0, |s| s.estimate);
            let done_rows = self
                .state
                .table(&self.targets[i].key())
                .and_then(|t| t.progress.as_ref())
                .map_or(0, |p| p.rows);
            let b = bars.add(&self.targets[i].key(), est, done_rows);
            if self.state.is_done(&self.targets[i].key()) {
                b.finish();
            }
            bar_of.insert(i, b);
        }
        // Rows per chunk (= per transaction): about CHUNK_BYTES of load body, capped by the
        // option and the table's max-rows. The first chunk of a table guesses from the source's
        // average row length; each reader then sizes its next chunk of that table by the bytes
        // per row its last one really took (a wide table's JSON names every column in every
        // row, so its body can be several times the source row), and a round starts from the
        // size of the last chunk loaded in the round before.
        let row_caps: Vec<usize> = self
            .targets
            .iter()
            .map(|t| self.opts.chunk_rows.min(t.limits.max_rows).max(1))
            .collect();
        let chunk_rows: Vec<usize> = (0..self.targets.len())
            .map(|i| {
                self.row_stats[i]
                    .as_ref()
                    .map_or(1, |s| s.chunk_rows)
                    .min(row_caps[i])
            })
            .collect();
        let stop = self.opts.stop.clone();
        // Readers encode their chunks unless the quarantine may need the rows to split one.
        let specs: Option<Vec<BodySpec>> =
            (!self.opts.quarantine).then(|| self.targets.iter().map(|t| t.spec.clone()).collect());
        // The round's end (see `run_phases`): no round without a binlog to apply after it.
        let deadline = self
            .opts
            .snapshot_round
            .filter(|_| !self.opts.snapshot_only)
            .map(|d| Instant::now() + d);
        let queue = Mutex::new((shared, private));
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<anyhow::Result<(Item, SnapChunk)>>(n_readers.max(2));

        let out = std::thread::scope(|s| -> Result<Option<Outcome>, PhaseError> {
            let mut handles = Vec::new();
            for (me, (mut reader, _, _)) in views.into_iter().enumerate() {
                let (tx, queue, stop, row_caps, specs) =
                    (tx.clone(), &queue, &stop, &row_caps, &specs);
                let mut chunk_rows = chunk_rows.clone();
                // DUPLICATE KEY tables this reader began (read to their end in this view).
                let mut begun: Vec<usize> = Vec::new();
                let mut first = true;
                handles.push(s.spawn(move || loop {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let over = !first && deadline.is_some_and(|d| Instant::now() >= d);
                    let next = {
                        let Ok(mut q) = queue.lock() else { return };
                        let (shared, private) = &mut *q;
                        if over {
                            match private[me].front() {
                                Some(it) if begun.contains(&it.target) => private[me].pop_front(),
                                _ => None,
                            }
                        } else {
                            private[me].pop_front().or_else(|| shared.pop_front())
                        }
                    };
                    let Some(item) = next else { return };
                    first = false;
                    if item.owner.is_some() && !begun.contains(&item.target) {
                        begun.push(item.target);
                    }
                    let r = reader.read_chunk(
                        item.target,
                        item.source,
                        item.after.as_ref(),
                        (item.lo.as_ref(), item.hi.as_ref()),
                        chunk_rows[item.target],
                        specs.as_ref().map(|s| &s[item.target]),
                    );
                    match r {
                        Ok(mut chunk) => {
                            if let Some(specs) = specs {
                                chunk.encode(&specs[item.target]);
                            }
                            if let Some(n) = chunk.next_rows(row_caps[item.target]) {
                                chunk_rows[item.target] = n;
                            }
                            // The range goes back to the queue only after its chunk is in the
                            // channel: chunks of one range reach the loader in key order.
                            let again = (!chunk.done).then(|| {
                                let mut again = item.clone();
                                again.after = chunk.last_key.clone();
                                again
                            });
                            if tx.send(Ok((item, chunk))).is_err() {
                                return;
                            }
                            if let Some(again) = again {
                                let Ok(mut q) = queue.lock() else { return };
                                let (shared, private) = &mut *q;
                                match again.owner {
                                    Some(o) => private[o].push_front(again),
                                    None => shared.push_back(again),
                                }
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }));
            }
            drop(tx);

            let mut result = Ok(None);
            let mut last_status = Instant::now();
            let started = Instant::now();
            let mut group: Vec<(usize, PendingLabel)> = Vec::new();
            let mut finished: Vec<usize> = Vec::new();
            let mut next = rx.recv().ok();
            while let Some(msg) = next.take() {
                let (item, chunk) = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        result = Err(source_error(e));
                        break;
                    }
                };
                let i = item.target;
                let n = chunk.len();
                if let (Some(s), Some(next)) =
                    (self.row_stats[i].as_mut(), chunk.next_rows(usize::MAX))
                {
                    s.chunk_rows = next;
                }
                match self.load_chunk(&item, chunk, epoch) {
                    Ok((labels, done)) => {
                        group.extend(labels.into_iter().map(|l| (i, l)));
                        if done {
                            finished.push(i);
                        }
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
                if let Some(b) = bar_of.get(&i) {
                    b.inc(n);
                }
                // Group commit: one checkpoint write for every chunk prepared meanwhile.
                next = match rx.try_recv() {
                    Ok(m) if group.len() < GROUP_COMMIT => Some(m),
                    Ok(m) => {
                        if let Err(e) = self.commit_group(&mut group) {
                            result = Err(e);
                            break;
                        }
                        Some(m)
                    }
                    Err(_) => {
                        if let Err(e) = self.commit_group(&mut group) {
                            result = Err(e);
                            break;
                        }
                        rx.recv().ok()
                    }
                };
                for &t in &finished {
                    if let Some(b) = bar_of.get(&t) {
                        b.finish();
                    }
                    tracing::info!(table = %self.targets[t].key(), "snapshot done");
                }
                finished.clear();
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
            if result.is_ok() {
                if let Err(e) = self.commit_group(&mut group) {
                    result = Err(e);
                }
            } else {
                for (i, p) in group.drain(..) {
                    let _ = self.targets[i].loader.rollback(&p.db, &p.table, &p.label);
                }
            }
            drop(rx);
            for h in handles {
                let _ = h.join();
            }
            if result.is_ok() && self.stopping() {
                return Ok(Some(Outcome::Stopped));
            }
            result
        })?;
        for b in bar_of.values() {
            b.clear();
        }
        if let Some(o) = out {
            return Ok(Some(o));
        }
        // The round ended with every chunk it read committed. A DUPLICATE KEY table no reader
        // began keeps no progress: its position is that of the view it will be read in.
        for &i in &todo {
            let key = self.targets[i].key();
            if self.targets[i].plan.model == Model::Primary || self.state.is_done(&key) {
                continue;
            }
            let ts = self.state.table_mut(&key);
            if ts.progress.as_ref().is_some_and(|p| p.chunks == 0) {
                ts.progress = None;
            }
        }
        self.save()?;
        self.clean_round = true;
        Ok(None)
    }

    /// The progress of a table whose snapshot starts now: its key ranges (a PRIMARY KEY table
    /// with an integer leading key column is cut into several; anything else is one range per
    /// source) and the position its binlog replay starts at (the lowest view for a PRIMARY KEY
    /// table, which any reader may read; its one reader's view for a DUPLICATE KEY table).
    #[allow(clippy::type_complexity)]
    fn fresh_progress(
        &mut self,
        i: usize,
        epoch: u32,
        lowest: &(BinlogPosition, Option<PositionMark>),
        views: &mut [(
            Box<dyn SnapshotReader>,
            BinlogPosition,
            Option<PositionMark>,
        )],
        dup_reader: usize,
        n_readers: usize,
    ) -> Result<SnapshotProgress, PhaseError> {
        let t = &self.targets[i];
        let is_pk = t.plan.model == Model::Primary;
        let n_sources = t.plan.sources.len().max(1);
        let mut ranges = Vec::new();
        for src in 0..n_sources {
            let cuts = if is_pk && n_readers > 1 {
                views[0]
                    .0
                    .split(i, src, n_readers * 2)
                    .map_err(source_error)?
            } else {
                vec![(None, None)]
            };
            for (lo, hi) in cuts {
                ranges.push(RangeProgress {
                    source: src,
                    lo,
                    hi,
                    last_key: None,
                    done: false,
                });
            }
        }
        let (position, mark) = if is_pk {
            lowest.clone()
        } else {
            let v = &views[dup_reader % n_readers];
            (v.1.clone(), v.2.clone())
        };
        Ok(SnapshotProgress {
            epoch,
            position,
            mark,
            chunks: 0,
            rows: 0,
            source: 0,
            last_key: None,
            ranges,
        })
    }

    /// Load one chunk as a prepared transaction and record it in the table's progress (in
    /// memory; `commit_group` writes the checkpoint). Ok(the prepared labels, the table is done).
    fn load_chunk(
        &mut self,
        item: &Item,
        chunk: SnapChunk,
        epoch: u32,
    ) -> Result<(Vec<PendingLabel>, bool), PhaseError> {
        let i = item.target;
        let t = &self.targets[i];
        let key = t.key();
        let Some(mut prog) = self.state.table(&key).and_then(|s| s.progress.clone()) else {
            return Err(PhaseError::Fatal(anyhow::anyhow!(
                "internal: a chunk of `{key}` without snapshot progress"
            )));
        };
        let n = chunk.len();
        let mut pending = Vec::new();
        if n > 0 {
            let l = batch::snapshot_label(
                &self.state.label_prefix(),
                t.db(),
                t.table(),
                epoch,
                prog.chunks,
            );
            let loaded = match &chunk.body {
                Some(body) => load_encoded(t, &l, body, &self.opts)?,
                None => {
                    let rows: Vec<(Op, &Row)> =
                        chunk.rows.iter().map(|r| (Op::Upsert, r)).collect();
                    let at = format!("snapshot epoch {epoch} chunk {}", prog.chunks);
                    load_batch(
                        t,
                        &self.state.job,
                        &l,
                        &rows,
                        self.force_json[i],
                        &self.opts,
                        &at,
                    )?
                }
            };
            prog.chunks += 1;
            prog.rows += loaded.rows;
            if loaded.refused > 0 {
                self.stats.quarantined += loaded.refused;
                self.state.table_mut(&key).quarantined += loaded.refused;
            }
            pending = loaded
                .labels
                .into_iter()
                .map(|(db, table, label)| PendingLabel {
                    db,
                    table,
                    label,
                    prepared_at: Some(sink::unix_now()),
                })
                .collect();
        }
        prog.epoch = epoch;
        if let Some(r) = prog.ranges.get_mut(item.range) {
            r.last_key = chunk.last_key;
            r.done = chunk.done;
        }
        let all_done = prog.ranges.iter().all(|r| r.done);
        let ts = self.state.table_mut(&key);
        if all_done {
            ts.snapshot = SnapshotStatus::Done {
                position: prog.position.clone(),
                epoch,
                mark: prog.mark.clone(),
            };
            ts.progress = None;
        } else {
            ts.progress = Some(prog);
        }
        self.stats.snapshot_rows += n;
        Ok((pending, all_done))
    }

    /// Write the checkpoint once for every chunk of `group` (their progress and labels), then
    /// commit them.
    fn commit_group(&mut self, group: &mut Vec<(usize, PendingLabel)>) -> Result<(), PhaseError> {
        self.state.pending_commit = group.iter().map(|(_, p)| p.clone()).collect();
        self.save()?;
        for (i, p) in group.iter() {
            let loader = self.targets[*i].loader.clone();
            sink::commit(&*loader, p, &self.opts.retry)?;
        }
        group.clear();
        self.state.pending_commit.clear();
        self.save()?;
        Ok(())
    }

    /// A view whose schema is the one the targets are planned with: after a DDL between the
    /// plan and the view (this process started, or a restart), the targets still to snapshot
    /// are re-planned and their StarRocks tables altered first; a table with committed chunks
    /// of the old shape starts over.
    #[allow(clippy::type_complexity)]
    fn open_view(
        &mut self,
        todo: &[usize],
        held: bool,
        catch_up_on_ddl: bool,
        ddl_followed: bool,
    ) -> Result<
        (
            Box<dyn SnapshotReader>,
            BinlogPosition,
            Option<PositionMark>,
        ),
        PhaseError,
    > {
        for _ in 0..5 {
            let plans: Vec<TablePlan> = self.targets.iter().map(|t| t.plan.clone()).collect();
            let changed = match self
                .source
                .snapshot(&plans, todo, held)
                .map_err(source_error)?
            {
                View::Open(r, p, m) => return Ok((r, p, m)),
                View::Changed(c) => c,
            };
            if catch_up_on_ddl
                && changed
                    .iter()
                    .enumerate()
                    .any(|(i, d)| d.is_some() && todo.contains(&i) && self.begun(i))
            {
                tracing::info!("a table being snapshotted changed schema: following the binlog to the DDL first");
                return Err(PhaseError::CatchUpFirst);
            }
            for (i, descs) in changed.into_iter().enumerate() {
                let Some(descs) = descs else { continue };
                if !todo.contains(&i) {
                    continue;
                }
                let old = self.targets[i].plan.clone();
                let key = self.targets[i].key();
                let new =
                    self.source
                        .replan(&old, &descs)
                        .map(|n| as_existing(&old, n))
                        .map_err(|why| {
                            PhaseError::Fatal(fail(
                        Kind::Sync,
                        format!("the source schema of `{key}` changed before its snapshot: {why}"),
                    ))
                        })?;
                let existing = self
                    .admin
                    .shape(old.target_database.as_str(), old.target_table.as_str())?;
                let stmts =
                    schema_change_statements(&old, &new, existing.as_ref()).map_err(|why| {
                        PhaseError::Fatal(fail(
                            Kind::Sync,
                            format!(
                                "the source schema of `{key}` changed before its snapshot and its \
                             StarRocks table cannot follow ({why}): start over with `smt sync \
                             --reset` (it re-creates a table that does not fit)"
                            ),
                        ))
                    })?;
                let had_rows = self.begun(i);
                // Just followed from the binlog (the target already fits): the schema as the
                // source describes it replaces the one the DDL was modelled into; the rows
                // loaded so far stay.
                let followed = had_rows && ddl_followed && stmts.is_empty();
                if followed {
                    tracing::debug!(table = %key, "the source schema, followed from the binlog, read again");
                } else {
                    tracing::info!(table = %key, "the source schema changed before the snapshot: following it");
                }
                for stmt in &stmts {
                    self.admin
                        .alter(&new.target_database, &new.target_table, stmt)?;
                }
                if had_rows && !followed {
                    self.admin
                        .truncate(&new.target_database, &new.target_table)?;
                }
                let ts = self.state.table_mut(&key);
                if !followed {
                    ts.progress = None;
                }
                ts.schema = new.source_tables.clone();
                self.targets[i].spec = BodySpec::new(&new);
                self.targets[i].plan = new;
            }
            self.save()?;
        }
        Err(PhaseError::Retry(
            "the source schema kept changing while the snapshot view opened".into(),
        ))
    }

    // -------------------------------------------------------------------------------- binlog

    fn binlog_start(&self) -> Option<(BinlogPosition, Option<PositionMark>)> {
        let keys: Vec<String> = self.targets.iter().map(Target::key).collect();
        self.state.resume_point(&keys)
    }

    /// Follow the binlog. `catch_up` (between snapshot rounds, see `run_phases`): up to the
    /// server's position now, for the tables begun (a table with snapshot progress from its
    /// progress' position; a table not begun takes nothing), then `Outcome::CaughtUp`.
    fn binlog_phase(&mut self, catch_up: bool) -> Result<Outcome, PhaseError> {
        let Some((start, start_mark)) = self.binlog_start() else {
            return Err(PhaseError::Fatal(fail(Kind::Sync, "no table to replicate")));
        };
        let snap_pos: Vec<BinlogPosition> = self
            .targets
            .iter()
            .map(|t| {
                let ts = self.state.table(&t.key());
                match (
                    ts.map(|s| &s.snapshot),
                    ts.and_then(|s| s.progress.as_ref()),
                ) {
                    (Some(SnapshotStatus::Done { position, .. }), _) => position.clone(),
                    (_, Some(p)) if catch_up => p.position.clone(),
                    _ if catch_up => BinlogPosition::never(),
                    _ => start.clone(),
                }
            })
            .collect();
        if catch_up {
            tracing::info!(position = %start, "applying the binlog written during the snapshot round");
        } else {
            tracing::info!(position = %start, "following the binlog");
        }
        // A crashed run may have left a batch of ours prepared at `start` (its label is the
        // start's); not after a catch-up of this process, which committed all it loaded.
        if self.state.binlog.as_ref() == Some(&start) && !std::mem::take(&mut self.clean_catch_up) {
            for i in 0..self.targets.len() {
                let t = &self.targets[i];
                let l = batch::binlog_label(&self.state.label_prefix(), t.db(), t.table(), &start);
                self.abort_lingering(i, &l);
            }
        }
        let plans: Vec<TablePlan> = self.targets.iter().map(|t| t.plan.clone()).collect();
        let mut stream = self
            .source
            .binlog(&start, start_mark.as_ref(), &plans)
            .map_err(source_error)?;
        stream.set_starts(&snap_pos);
        let until = if catch_up {
            Some(stream.server_position().map_err(source_error)?)
        } else {
            None
        };
        let mut run = BinlogRun {
            until,
            batch_start: start.clone(),
            cur: start,
            gtid: start_mark
                .as_ref()
                .and_then(|m| m.gtid.as_deref())
                .and_then(GtidPos::parse),
            mark: start_mark,
            bufs: (0..self.targets.len())
                .map(|_| TableBuf::default())
                .collect(),
            inflight: None,
            in_txn: false,
            last_flush: Instant::now(),
            last_status: Instant::now(),
            since_status: 0,
            idle_polls: 0,
            prev_server: None,
            heartbeat: None,
            snap_pos,
        };
        if run.until.as_ref().is_some_and(|u| run.cur >= *u) {
            // Nothing written since: no wait for the stream's first idle poll.
            return Ok(Outcome::CaughtUp);
        }
        loop {
            if !run.in_txn && self.stopping() {
                self.flush(&mut run)?;
                self.rollback_streams(&mut run);
                return Ok(Outcome::Stopped);
            }
            // The clock is read every 16 events and at every idle poll (a clock read per event
            // was a visible part of a backlog replay).
            run.since_status += 1;
            if run.since_status >= 16 {
                run.since_status = 0;
                if run.last_status.elapsed() >= self.opts.status_interval {
                    run.last_status = Instant::now();
                    let sp = stream.server_position().ok();
                    self.stats.report(&run.cur, sp.as_ref());
                }
            }
            if run.inflight.as_ref().is_some_and(InFlight::is_finished) {
                if let Err(e) = self.finish_inflight(&mut run) {
                    self.rollback_streams(&mut run);
                    return Err(e);
                }
            }
            let ev = match stream.next_event() {
                Ok(e) => e,
                Err(e) => {
                    self.rollback_streams(&mut run);
                    return Err(source_error(e));
                }
            };
            if matches!(ev, None | Some(SourceEvent::Heartbeat { .. })) {
                run.since_status = 16;
            }
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
                let until_caught_up = self.opts.until_caught_up || run.until.is_some();
                if run.last_flush.elapsed() >= self.min_interval() || until_caught_up {
                    self.flush_pipelined(run)?;
                }
                if until_caught_up && run.is_empty() {
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
                    } else {
                        self.admit(target, ch, &mut run.bufs[target])?;
                    }
                }
                let b = &run.bufs[target];
                if !tentative
                    && !self.opts.quarantine
                    && !b.removals
                    && !self.hold_whole[target]
                    && b.bytes + b.txn_bytes >= self.targets[target].limits.max_bytes
                {
                    self.stream_out(run, target)?;
                }
            }
            Some(SourceEvent::Commit {
                end,
                server_ts,
                gtid,
            }) => {
                run.idle_polls = 0;
                run.in_txn = false;
                for i in 0..run.bufs.len() {
                    let held = std::mem::take(&mut run.bufs[i].held);
                    if !held.is_empty() && end > run.snap_pos[i] {
                        for ch in held {
                            self.admit(i, ch, &mut run.bufs[i])?;
                        }
                    }
                    let b = &mut run.bufs[i];
                    b.bytes += b.txn_bytes;
                    b.txn_bytes = 0;
                    let txn = std::mem::take(&mut b.txn);
                    b.rows.extend(txn);
                }
                run.advance(end, gtid.as_deref(), stream.mark());
                self.stats.committed_txn(server_ts);
                let full = run.bufs.iter().zip(&self.targets).any(|(b, t)| {
                    b.open.is_some()
                        || b.rows.len() >= t.limits.max_rows
                        || b.bytes >= t.limits.max_bytes
                });
                if full || run.last_flush.elapsed() >= self.min_interval() {
                    self.flush_pipelined(run)?;
                }
                if run.until.as_ref().is_some_and(|u| run.cur >= *u) {
                    self.flush(run)?;
                    return Ok(Some(Outcome::CaughtUp));
                }
            }
            Some(SourceEvent::Ddl {
                database,
                sql,
                end,
                gtid,
            }) => {
                if run.in_txn {
                    // A DDL ends any open transaction implicitly; the reader only sends one at
                    // a boundary, so this is not expected.
                    return Err(PhaseError::Retry("DDL inside a transaction".into()));
                }
                let mark = stream.mark();
                let gone = self.on_ddl(run, stream, &database, &sql, end, gtid.as_deref(), mark)?;
                if !gone.is_empty() {
                    // Past the statement, without those targets: plan again.
                    self.rollback_streams(run);
                    return Ok(Some(Outcome::Dropped(gone)));
                }
                if let Some(created) = self.new_tables(&database, &sql) {
                    // The checkpoint moves past the statement, so the next run does not meet
                    // it again; its tables are planned and snapshotted there.
                    self.flush(run)?;
                    self.rollback_streams(run);
                    return Ok(Some(Outcome::NewTables(created)));
                }
            }
        }
        Ok(None)
    }

    /// Tables `sql` creates that the rules capture and no target reads yet.
    fn new_tables(&self, database: &str, sql: &str) -> Option<Vec<String>> {
        let rules = self.opts.new_table.0.as_ref()?;
        let created: Vec<String> = super::ddl::created_tables(database, sql)
            .into_iter()
            .filter(|r| !self.targets.iter().any(|t| t.plan.sources.contains(r)))
            .filter(|r| rules(&r.database, &r.table))
            .map(|r| format!("{}.{}", r.database, r.table))
            .collect();
        (!created.is_empty()).then_some(created)
    }

    /// A DDL statement on a captured database at `end` (see `ddl`): evolve the schema of every
    /// table it changes (only tables whose snapshot is older than the statement: a newer
    /// snapshot's schema already has it), apply what StarRocks can follow (ALTER TABLE, TRUNCATE),
    /// move the checkpoint after the statement with the new schemas in one write, and decode
    /// what follows with them. What StarRocks cannot follow stops with the statement and the
    /// choices. Everything before the statement is loaded first. Returns the targets whose
    /// only source the statement dropped (truncated and out of the checkpoint).
    #[allow(clippy::too_many_arguments)]
    fn on_ddl(
        &mut self,
        run: &mut BinlogRun,
        stream: &mut dyn ChangeStream,
        database: &str,
        sql: &str,
        end: BinlogPosition,
        gtid: Option<&str>,
        mark: Option<PositionMark>,
    ) -> Result<Vec<String>, PhaseError> {
        let live: Vec<usize> = (0..self.targets.len())
            .filter(|&i| end > run.snap_pos[i])
            .collect();
        let mut known: Vec<TableDesc> = Vec::new();
        for &i in &live {
            for d in &self.targets[i].plan.source_tables {
                if !known
                    .iter()
                    .any(|k| k.database == d.database && k.name == d.name)
                {
                    known.push(d.clone());
                }
            }
        }
        let effects = super::ddl::effects(database, sql, &known);
        if effects.is_empty() {
            tracing::info!(%sql, "DDL changes no replicated table");
            run.advance(end, gtid, mark);
            return Ok(Vec::new());
        }
        self.flush(run)?;
        let stop = |table: String, why: String| {
            PhaseError::Fatal(fail(
                Kind::Sync,
                format!(
                    "the source ran DDL that smt cannot follow on {table} (at {end}): {sql}\n\
                     {why}.\nEverything before it is loaded (checkpoint at {}). To go on: make \
                     the source change one StarRocks can follow (add, drop or widen non-key \
                     columns), or start this table over with the new schema: `smt sync \
                     --reset` (it truncates the targets, re-creates those whose shape no longer \
                     fits, and takes a fresh snapshot)",
                    run.cur
                ),
            ))
        };
        // New source descriptions per target, and truncations.
        let mut descs: Vec<Option<Vec<TableDesc>>> = vec![None; self.targets.len()];
        let mut truncate: Vec<usize> = Vec::new();
        let mut lost_shard: Vec<usize> = Vec::new();
        let mut gone: Vec<usize> = Vec::new();
        let mut renamed: Vec<usize> = Vec::new();
        for e in effects {
            match e {
                super::ddl::Effect::Unsupported { table, reason } => {
                    let name = table.map_or_else(
                        || format!("a table of database `{database}`"),
                        |t| format!("`{}`.`{}`", t.database, t.table),
                    );
                    return Err(stop(name, reason));
                }
                super::ddl::Effect::Schema { table, new } => {
                    for &i in &live {
                        let plan = &self.targets[i].plan;
                        let Some(at) = plan.sources.iter().position(|s| *s == table) else {
                            continue;
                        };
                        if new.database != table.database || new.name != table.table {
                            renamed.push(i);
                        }
                        let d = descs[i].get_or_insert_with(|| plan.source_tables.clone());
                        d[at] = new.clone();
                    }
                }
                super::ddl::Effect::Dropped(table) => {
                    // One shard of a merged target: its rows stay in the target (they are
                    // the data it held), the other shards are followed on. A target's only
                    // (or last) source: the target is emptied like a TRUNCATE and leaves the
                    // job; a table created under that name later is a new table of the rules
                    // (snapshotted, then followed).
                    for &i in &live {
                        let plan = &self.targets[i].plan;
                        if !plan.sources.contains(&table) {
                            continue;
                        }
                        let d = descs[i].get_or_insert_with(|| plan.source_tables.clone());
                        d.retain(|x| !table.names(x));
                        if d.is_empty() {
                            descs[i] = None;
                            if !gone.contains(&i) {
                                gone.push(i);
                            }
                            continue;
                        }
                        lost_shard.push(i);
                        tracing::warn!(
                            table = %self.targets[i].key(),
                            shard = %format!("{}.{}", table.database, table.table),
                            "a shard of this merged target was dropped on the source: its rows stay in the target; the other shards are followed"
                        );
                    }
                }
                super::ddl::Effect::Truncate(table) => {
                    for &i in &live {
                        if self.targets[i].plan.sources.contains(&table) && !truncate.contains(&i) {
                            truncate.push(i);
                        }
                    }
                }
            }
        }
        // Re-plan, and the ALTERs each target needs (computed before anything changes).
        let mut changes: Vec<(usize, TablePlan, Vec<String>)> = Vec::new();
        for (i, d) in descs.into_iter().enumerate() {
            let Some(d) = d else { continue };
            let old = self.targets[i].plan.clone();
            let key = self.targets[i].key();
            let new = match self.source.replan(&old, &d) {
                Ok(n) => as_existing(&old, n),
                // The only source renamed to a name the rules put elsewhere (or nowhere), as
                // an online schema change's swap does: for this target it is gone, like a
                // DROP; the table now under its old name is a new table of the rules.
                Err(_) if renamed.contains(&i) && old.sources.len() == 1 => {
                    if !gone.contains(&i) {
                        gone.push(i);
                    }
                    continue;
                }
                Err(why) => return Err(stop(format!("`{key}`"), why)),
            };
            let existing = self
                .admin
                .shape(old.target_database.as_str(), old.target_table.as_str())
                .map_err(PhaseError::Fatal)?;
            if lost_shard.contains(&i) {
                // The dropped shard's rows stay: none of their columns may go.
                if let Some(c) = old.columns.iter().find(|c| {
                    !new.columns
                        .iter()
                        .any(|n| n.name.eq_ignore_ascii_case(&c.name))
                }) {
                    return Err(stop(
                        format!("`{key}`"),
                        format!(
                            "the dropped shard was the only source of column `{}`, which its \
                             rows in the target still hold",
                            c.name
                        ),
                    ));
                }
            }
            let stmts = schema_change_statements(&old, &new, existing.as_ref())
                .map_err(|why| stop(format!("`{key}`"), why))?;
            changes.push((i, new, stmts));
        }
        for &i in &truncate {
            if !self.opts.follow_truncate {
                tracing::warn!(table = %self.targets[i].key(), %sql, "the source table was truncated; the target keeps its rows ([other] sync_follow_truncate = false)");
                continue;
            }
            if self.targets[i].plan.sources.len() > 1 {
                return Err(stop(
                    format!("`{}`", self.targets[i].key()),
                    "one source table of a merged target was truncated; the target holds the \
                     other sources' rows too, so it cannot be truncated"
                        .into(),
                ));
            }
        }
        self.state.schema_change = Some(sql.to_string());
        self.save()?;
        for (i, _, stmts) in &changes {
            let t = &self.targets[*i];
            for stmt in stmts {
                tracing::info!(%stmt, cause = %sql, "following a source schema change");
                self.admin
                    .alter(t.db(), t.table(), stmt)
                    .map_err(PhaseError::Fatal)?;
            }
        }
        for &i in &truncate {
            if self.opts.follow_truncate {
                let t = &self.targets[i];
                tracing::info!(table = %t.key(), cause = %sql, "truncating the target (the source table was truncated)");
                self.admin
                    .truncate(t.db(), t.table())
                    .map_err(PhaseError::Fatal)?;
            }
        }
        for &i in &gone {
            let t = &self.targets[i];
            if self.opts.follow_truncate {
                tracing::warn!(table = %t.key(), cause = %sql, "the source table was dropped: the target is truncated and no longer followed (a table created under its name is snapshotted and followed)");
                self.admin
                    .truncate(t.db(), t.table())
                    .map_err(PhaseError::Fatal)?;
            } else {
                tracing::warn!(table = %t.key(), cause = %sql, "the source table was dropped: the target keeps its rows ([other] sync_follow_truncate = false) and is no longer followed");
            }
            self.state.tables.remove(&t.key());
        }
        for (i, new, _) in changes {
            let key = self.targets[i].key();
            self.state.table_mut(&key).schema = new.source_tables.clone();
            self.targets[i].spec = BodySpec::new(&new);
            self.targets[i].plan = new;
        }
        run.advance(end, gtid, mark);
        run.batch_start = run.cur.clone();
        self.state.binlog = Some(run.cur.clone());
        self.state.mark = run.checkpoint_mark();
        self.state.schema_change = None;
        self.save()?;
        let plans: Vec<TablePlan> = self.targets.iter().map(|t| t.plan.clone()).collect();
        stream.set_tables(&plans);
        Ok(gone.iter().map(|&i| self.targets[i].key()).collect())
    }

    fn min_interval(&self) -> Duration {
        self.targets
            .iter()
            .map(|t| t.limits.interval)
            .min()
            .unwrap_or(Duration::from_secs(1))
    }

    /// Turn a change into operations on target `i` in `b` (the current source transaction),
    /// applying `sync_duplicate_key_changes` to tables without a key.
    fn admit(&mut self, i: usize, ch: RowChange, b: &mut TableBuf) -> Result<(), PhaseError> {
        let t = &self.targets[i];
        let mut push = |op: Op, r: Row| {
            b.txn_bytes += batch::row_size(&r);
            b.txn.push((op, r));
        };
        let (what, removed, added) = match (&t.plan.model, ch) {
            (Model::Primary, RowChange::Insert(r) | RowChange::Upsert(r)) => {
                push(Op::Upsert, r);
                return Ok(());
            }
            (Model::Primary, RowChange::Delete(r)) => {
                push(Op::Delete, r);
                return Ok(());
            }
            (Model::Primary, RowChange::Replace { before, after }) => {
                // Not produced for PRIMARY KEY targets (the reader sends a delete of the old
                // key when the key changes); deleting and upserting means the same.
                if let Some(b) = before {
                    push(Op::Delete, b);
                }
                push(Op::Upsert, after);
                return Ok(());
            }
            (Model::Duplicate, RowChange::Insert(r)) => {
                push(Op::Upsert, r);
                return Ok(());
            }
            (Model::Duplicate, RowChange::Upsert(a)) => ("UPDATE", None, Some(a)),
            (Model::Duplicate, RowChange::Replace { before, after }) => {
                ("UPDATE", before, Some(after))
            }
            (Model::Duplicate, RowChange::Delete(r)) => ("DELETE", Some(r), None),
        };
        match self.opts.dup_changes {
            DupChanges::Exact if super::nokey::unsupported_columns(&t.plan).is_empty() => {
                if let Some(r) = removed {
                    if b.open.is_some() {
                        // Part of this batch is already in an open transaction: a removal
                        // needs the batch whole (see `nokey`). Read it again, held whole.
                        self.hold_whole[i] = true;
                        return Err(PhaseError::Retry(format!(
                            "`{}`: an {what} of a table without a key in a batch already \
                             streamed to StarRocks; reading the batch again, held whole",
                            t.key()
                        )));
                    }
                    b.removals = true;
                    push(Op::Delete, r);
                }
                if let Some(a) = added {
                    push(Op::Upsert, a);
                }
                Ok(())
            }
            DupChanges::Skip => {
                self.stats.skipped_dup += 1;
                let key = t.key();
                self.state.table_mut(&key).skipped_changes += 1;
                if self.stats.skipped_dup.is_power_of_two() {
                    tracing::warn!(
                        table = %key,
                        skipped = self.stats.skipped_dup,
                        "skipping an {what} on a DUPLICATE KEY target (sync_duplicate_key_changes = skip): the target diverges from the source"
                    );
                }
                Ok(())
            }
            DupChanges::Exact => Err(PhaseError::Fatal(fail(
                Kind::Sync,
                format!(
                    "the source ran an {what} on a table without a key whose StarRocks target \
                     `{}` is a DUPLICATE KEY table; sync_duplicate_key_changes = exact cannot \
                     apply it: a StarRocks DELETE can match none of its columns ({}). \
                     Add a primary key to the source table (then start over with `smt sync \
                     --reset`), or set sync_duplicate_key_changes = skip in [other] to skip \
                     such changes (the target diverges)",
                    t.key(),
                    super::nokey::unsupported_columns(&t.plan).join(", ")
                ),
            ))),
            DupChanges::Stop => Err(PhaseError::Fatal(fail(
                Kind::Sync,
                format!(
                    "the source ran an {what} on a table whose StarRocks target `{}` is a \
                     DUPLICATE KEY table (the source table has no primary key): appends only. \
                     Set sync_duplicate_key_changes = exact in [other] to apply such changes with \
                     the whole row as its identity (a DELETE on StarRocks per changed row image, \
                     its surviving copies loaded again), add a primary key to the source table \
                     (then start over with `smt sync --reset`), or set \
                     sync_duplicate_key_changes = skip to skip them (the target diverges)",
                    t.key()
                ),
            ))),
        }
    }

    /// Send table `i`'s buffer into its open StarRocks transaction (begin it if needed).
    fn stream_out(&mut self, run: &mut BinlogRun, i: usize) -> Result<(), PhaseError> {
        self.finish_inflight(run)?;
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
            Err(sink::LoadError::Rejected(m)) => {
                Err(PhaseError::Fatal(sink::rejected_stop(&format!(
                    "StarRocks refused rows of `{}` (label {label}): {m}",
                    t.key()
                ))))
            }
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
    /// The flush interval is timed from the END of a flush: when the target is slow, the next
    /// batch accumulates for a whole interval (batches grow), instead of every source
    /// transaction finding the interval already passed and shipping alone.
    /// A flush with nothing to load (only the position moves) does not restart the interval:
    /// the next lone transaction on a quiet source goes out at once.
    /// Rewrite the batches of tables without a key that remove rows into inserts plus the
    /// DELETEs to run before they commit (`nokey`; labels filled in by the caller).
    fn rewrite_removals(&mut self, run: &mut BinlogRun) -> Result<Vec<PendingDelete>, PhaseError> {
        let mut out = Vec::new();
        for (i, b) in run.bufs.iter_mut().enumerate() {
            if !b.removals {
                continue;
            }
            let t = &self.targets[i];
            let admin = self.admin;
            let rows = std::mem::take(&mut b.rows);
            let back = super::nokey::reads_back(&t.plan);
            let r = super::nokey::rewrite(&t.plan, rows, &mut |row| {
                let pred = super::nokey::predicate(&t.plan, row);
                if back {
                    let rows = admin.select(
                        t.db(),
                        t.table(),
                        &crate::verify::target::select_list(&t.plan),
                        &pred,
                    )?;
                    Ok(super::nokey::Held::Rows(
                        rows.iter()
                            .map(|r| super::cell::of_target_row(&t.plan, r))
                            .collect(),
                    ))
                } else {
                    Ok(super::nokey::Held::Copies(admin.count(
                        t.db(),
                        t.table(),
                        &pred,
                    )?))
                }
            })
            .map_err(target_error)?;
            if r.missing > 0 {
                tracing::warn!(
                    table = %t.key(),
                    rows = r.missing,
                    "the source removed rows StarRocks does not hold (set aside by the quarantine, or the target diverged: see smt verify)"
                );
            }
            b.bytes = r.rows.iter().map(|(_, row)| batch::row_size(row)).sum();
            b.rows = r.rows;
            b.removals = false;
            if !r.delete.is_empty() {
                out.push(PendingDelete {
                    db: t.db().to_string(),
                    table: t.table().to_string(),
                    wheres: r
                        .delete
                        .iter()
                        .map(|row| super::nokey::predicate(&t.plan, row))
                        .collect(),
                    before_label: None,
                });
            }
        }
        Ok(out)
    }

    /// Run the checkpoint's `pending_deletes` (recorded with their batch; see `nokey`).
    fn run_deletes(&self) -> Result<(), PhaseError> {
        for d in &self.state.pending_deletes {
            for w in &d.wheres {
                self.admin
                    .delete(&d.db, &d.table, w)
                    .map_err(target_error)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self, run: &mut BinlogRun) -> Result<(), PhaseError> {
        self.finish_inflight(run)?;
        let had_rows = run
            .bufs
            .iter()
            .any(|b| !b.rows.is_empty() || b.open.is_some());
        let r = self.flush_now(run);
        if had_rows {
            run.last_flush = Instant::now();
        }
        r
    }

    fn flush_now(&mut self, run: &mut BinlogRun) -> Result<(), PhaseError> {
        debug_assert!(!run.in_txn);
        let deletes = self.rewrite_removals(run)?;
        let work: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !run.bufs[i].rows.is_empty() || run.bufs[i].open.is_some())
            .collect();
        if work.is_empty() && deletes.is_empty() {
            if self.state.binlog.as_ref() != Some(&run.cur) {
                self.state.binlog = Some(run.cur.clone());
                self.state.mark = run.checkpoint_mark();
                self.save()?;
            }
            run.batch_start = run.cur.clone();
            return Ok(());
        }
        let job = self.state.label_prefix();
        let job_id = self.state.job.clone();
        let opts = &self.opts;
        let force_json = &self.force_json;
        let targets = &self.targets;
        let batch_start = run.batch_start.clone();
        let at = format!("binlog {}..{}", run.batch_start, run.cur);
        // Prepare every table in parallel (different tables; per table strictly serial).
        let results: Prepared = std::thread::scope(|s| {
            let handles: Vec<_> = work
                .iter()
                .map(|&i| {
                    let t = &targets[i];
                    let b = &run.bufs[i];
                    let (job, job_id, batch_start, at) = (&job, &job_id, &batch_start, &at);
                    s.spawn(move || {
                        let label = batch::binlog_label(job, t.db(), t.table(), batch_start);
                        let rows: Vec<(Op, &Row)> = b.rows.iter().map(|(o, r)| (*o, r)).collect();
                        let r = match b.open.as_ref() {
                            None => load_batch(t, job_id, &label, &rows, force_json[i], opts, at),
                            Some(open) => prepare_streamed(t, &label, &rows, open, force_json[i])
                                .map(|n| Loaded {
                                    labels: vec![(
                                        t.db().to_string(),
                                        t.table().to_string(),
                                        label.clone(),
                                    )],
                                    rows: n,
                                    refused: 0,
                                }),
                        };
                        (i, r)
                    })
                })
                .collect();
            join_loads(handles)
        });
        for b in &mut run.bufs {
            b.open = None;
        }
        let (end, mark) = (run.cur.clone(), run.checkpoint_mark());
        let rows_total = self.settle(results, deletes, end, mark)?;
        for &i in &work {
            run.bufs[i].rows.clear();
            run.bufs[i].bytes = 0;
        }
        run.batch_start = run.cur.clone();
        self.stats.batch(rows_total);
        Ok(())
    }
    /// The second half of a binlog flush, once its tables are prepared (`results`): roll all
    /// back if one failed; else record the labels (and the DELETEs to run first) with the
    /// batch's end `end` in one checkpoint write, run the DELETEs, commit, and write the
    /// checkpoint again. Returns the rows loaded.
    fn settle(
        &mut self,
        results: Prepared,
        mut deletes: Vec<PendingDelete>,
        end: BinlogPosition,
        mark: Option<PositionMark>,
    ) -> Result<u64, PhaseError> {
        let mut failure = None;
        let mut prepared: Vec<(usize, Loaded)> = Vec::new();
        let mut rows_total = 0;
        for (i, r) in results {
            match r {
                Ok(l) => {
                    rows_total += l.rows;
                    prepared.push((i, l))
                }
                Err(e) => {
                    if failure.is_none() || !matches!(e, SinkError::Retry(_)) {
                        failure = Some(e);
                    }
                }
            }
        }
        if let Some(e) = failure {
            for (i, l) in &prepared {
                let t = &self.targets[*i];
                for (db, table, label) in &l.labels {
                    let _ = t.loader.rollback(db, table, label);
                }
            }
            return Err(e.into());
        }
        for (i, l) in &prepared {
            if l.refused > 0 {
                self.stats.quarantined += l.refused;
                let key = self.targets[*i].key();
                self.state.table_mut(&key).quarantined += l.refused;
            }
        }
        let pending: Vec<(usize, PendingLabel)> = prepared
            .iter()
            .flat_map(|(i, l)| {
                l.labels.iter().map(move |(db, table, label)| {
                    (
                        *i,
                        PendingLabel {
                            db: db.clone(),
                            table: table.clone(),
                            label: label.clone(),
                            prepared_at: Some(sink::unix_now()),
                        },
                    )
                })
            })
            .collect();
        for d in &mut deletes {
            d.before_label = pending
                .iter()
                .find(|(_, p)| p.db == d.db && p.table == d.table)
                .map(|(_, p)| p.label.clone());
        }
        self.state.binlog = Some(end);
        self.state.mark = mark;
        self.state.pending_commit = pending.iter().map(|(_, p)| p.clone()).collect();
        self.state.pending_deletes = deletes;
        self.save()?;
        self.run_deletes()?;
        let commit_results: Vec<anyhow::Result<()>> = std::thread::scope(|s| {
            let hs: Vec<_> = pending
                .iter()
                .map(|(i, p)| {
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
        self.state.pending_deletes.clear();
        self.save()?;
        Ok(rows_total)
    }

    /// Finish the batch loading beside the reading, if any: wait for its prepares, then
    /// [`Engine::settle`] it at its own end (the position where it was cut).
    fn finish_inflight(&mut self, run: &mut BinlogRun) -> Result<(), PhaseError> {
        let Some(mut f) = run.inflight.take() else {
            return Ok(());
        };
        let results = f.join();
        let rows_total = self.settle(results, Vec::new(), f.end.clone(), f.mark.clone())?;
        self.stats.batch(rows_total);
        Ok(())
    }

    /// A flush at a batch boundary. A batch of `pipeline_min_rows` rows or more, or one that
    /// reached its `max-rows` / `max-bytes` (the source is busy), is cut here and loads
    /// (begin → load → prepare) on a thread of its own while the binlog is read on;
    /// the engine settles it (checkpoint, commit) as soon as it is prepared, and always before
    /// any other flush, stream, DDL or checkpoint write, so at most one batch is in flight and
    /// batches commit in order. The checkpoint names a batch only once it is prepared, exactly
    /// as an inline flush does: a crash while it loads leaves PREPARED labels the checkpoint
    /// does not name, which the next run's `begin_fresh` rolls back before it loads the batch
    /// again under the same label (its start position). The interval restarts at the cut: a
    /// batch accumulates while the one before loads, so batches grow when the target slows.
    /// Smaller batches (a lone commit on a quiet source is visible at once: a pipelined batch
    /// is settled at the next event, at the latest one heartbeat later), streamed transactions,
    /// tables without a key that remove rows, and the quarantine (which splits a refused batch)
    /// flush inline ([`Engine::flush`]).
    fn flush_pipelined(&mut self, run: &mut BinlogRun) -> Result<(), PhaseError> {
        self.finish_inflight(run)?;
        let work: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !run.bufs[i].rows.is_empty())
            .collect();
        let rows: usize = work.iter().map(|&i| run.bufs[i].rows.len()).sum();
        let full = work.iter().any(|&i| {
            let (b, l) = (&run.bufs[i], &self.targets[i].limits);
            b.rows.len() >= l.max_rows || b.bytes >= l.max_bytes
        });
        let inline = self.opts.quarantine
            || (!full && rows < self.opts.pipeline_min_rows.max(1))
            || run.bufs.iter().any(|b| b.open.is_some() || b.removals);
        if inline {
            return self.flush(run);
        }
        let job_id = self.state.job.clone();
        let prefix = self.state.label_prefix();
        let at = format!("binlog {}..{}", run.batch_start, run.cur);
        tracing::debug!(rows, at = %at, "batch loading beside the binlog reading");
        let mut parts = Vec::new();
        for &i in &work {
            let b = &mut run.bufs[i];
            let rows = std::mem::take(&mut b.rows);
            b.bytes = 0;
            let t = self.targets[i].clone();
            let label = batch::binlog_label(&prefix, t.db(), t.table(), &run.batch_start);
            parts.push((i, t, label, rows, self.force_json[i]));
        }
        let loaders = parts
            .iter()
            .map(|(i, t, ..)| (*i, t.loader.clone()))
            .collect();
        let opts = self.opts.clone();
        let thread = std::thread::Builder::new()
            .name("batch-load".into())
            .spawn(move || {
                // Tables in parallel, as an inline flush loads them.
                std::thread::scope(|s| {
                    let handles: Vec<_> = parts
                        .iter()
                        .map(|(i, t, label, rows, force_json)| {
                            let (job_id, opts, at) = (&job_id, &opts, &at);
                            s.spawn(move || {
                                let refs: Vec<(Op, &Row)> =
                                    rows.iter().map(|(o, r)| (*o, r)).collect();
                                (
                                    *i,
                                    load_batch(t, job_id, label, &refs, *force_json, opts, at),
                                )
                            })
                        })
                        .collect();
                    join_loads(handles)
                })
            })
            .map_err(|e| PhaseError::Retry(format!("cannot start a load thread: {e}")))?;
        run.inflight = Some(InFlight {
            thread: Some(thread),
            end: run.cur.clone(),
            mark: run.checkpoint_mark(),
            loaders,
        });
        run.batch_start = run.cur.clone();
        run.last_flush = Instant::now();
        Ok(())
    }
}

/// What each table of a batch became when it was loaded and prepared (table index, outcome).
type Prepared = Vec<(usize, Result<Loaded, SinkError>)>;

/// The outcome of a load thread that panicked (a retryable failure of the batch).
fn load_panicked() -> (usize, Result<Loaded, SinkError>) {
    (
        usize::MAX,
        Err(SinkError::Retry("a load thread panicked".into())),
    )
}

/// The outcomes of a batch's per-table load threads.
fn join_loads(
    handles: Vec<std::thread::ScopedJoinHandle<'_, (usize, Result<Loaded, SinkError>)>>,
) -> Prepared {
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| load_panicked()))
        .collect()
}

/// A binlog batch loading on a thread of its own (see [`Engine::flush_pipelined`]).
struct InFlight {
    thread: Option<std::thread::JoinHandle<Prepared>>,
    /// Where the batch ends (the checkpoint's position once it commits) and that position's
    /// mark in the source's history.
    end: BinlogPosition,
    mark: Option<PositionMark>,
    /// Its tables' loaders, to roll back what no one will commit.
    loaders: Vec<(usize, Arc<dyn Loader>)>,
}

impl InFlight {
    fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn join(&mut self) -> Prepared {
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| vec![load_panicked()]),
            None => Vec::new(),
        }
    }
}

impl Drop for InFlight {
    /// Left unsettled (the engine stopped on an error): what it prepared is rolled back. The
    /// checkpoint never named it, so the next run loads the batch again.
    fn drop(&mut self) {
        for (i, r) in self.join() {
            let (Ok(l), Some((_, loader))) = (r, self.loaders.iter().find(|(j, _)| *j == i)) else {
                continue;
            };
            for (db, table, label) in &l.labels {
                let _ = loader.rollback(db, table, label);
            }
        }
    }
}

/// What one table's batch became: the PREPARED transactions (db, table, label) and the rows
/// loaded and set aside.
#[derive(Debug, Default)]
struct Loaded {
    labels: Vec<(String, String, String)>,
    rows: u64,
    refused: u64,
}

/// Load and prepare `rows` of `t` as transaction `label`. With the quarantine, a batch
/// StarRocks refuses is split: the accepted rows load as `<label>q` and the refused ones go to
/// the dead-letter table as `<label>x` (see `quarantine`); `at` says where the rows come from.
/// Rows holding a value smt refuses ([`Cell::Refused`], only made with the quarantine on) are
/// set aside first, with smt's reason: they never reach StarRocks' table. The split is the same
/// on a replay of the batch (decoding is pure), so its labels are too.
fn load_batch(
    t: &Target,
    job: &str,
    label: &str,
    rows: &[(Op, &Row)],
    force_json: bool,
    opts: &Options,
    at: &str,
) -> Result<Loaded, SinkError> {
    use super::quarantine;
    // Rows smt refused while decoding (indices into `rows`) and the others.
    let pre: Vec<quarantine::Refused> = if opts.quarantine {
        rows.iter()
            .enumerate()
            .filter_map(|(index, (_, r))| {
                super::cell::Cell::refusal_of(r).map(|why| quarantine::Refused {
                    index,
                    reason: format!("refused by smt: {}", why.why),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    if pre.len() > quarantine::MAX_REFUSED {
        return Err(SinkError::Fatal(fail(
            Kind::Sync,
            format!(
                "smt refuses more than {} rows of one batch of `{}` (label {label}); the \
                 first reason: {}. This is not a stray value: check the table's columns against \
                 `smt generate` output",
                quarantine::MAX_REFUSED,
                t.key(),
                pre[0].reason
            ),
        )));
    }
    // The batch index of each row that is loaded (empty: all of them, in order).
    let to_batch: Vec<usize> = if pre.is_empty() {
        Vec::new()
    } else {
        (0..rows.len())
            .filter(|i| pre.binary_search_by_key(i, |r| r.index).is_err())
            .collect()
    };
    let kept: Vec<(Op, &Row)>;
    let loadable: &[(Op, &Row)] = if pre.is_empty() {
        rows
    } else {
        kept = to_batch.iter().map(|&i| rows[i]).collect();
        &kept
    };
    let mut refused = Vec::new();
    let mut out = Loaded::default();
    if !loadable.is_empty() {
        let body = t.spec.encode(loadable, force_json);
        match load_encoded(t, label, &body, opts) {
            Ok(l) if pre.is_empty() => return Ok(l),
            Ok(l) => out = l,
            Err(SinkError::Rejected(reason)) if opts.quarantine => {
                drop(body);
                let encode = |rs: &[(Op, &Row)]| t.spec.encode(rs, force_json);
                refused = quarantine::find_refused(
                    &*t.loader,
                    t.db(),
                    t.table(),
                    label,
                    loadable,
                    &encode,
                    &t.spec.extra_headers,
                    opts.txn_timeout_s,
                    &opts.retry,
                    &reason,
                )?;
            }
            Err(e) => return Err(e),
        }
    }
    if refused.is_empty() {
        // Loaded whole as `label` (or nothing left to load): only smt's refusals go aside.
        return set_aside(t, job, label, rows, pre, out, at, opts);
    }
    // StarRocks refused some of `loadable`: its indices back to the batch's, with smt's.
    if !to_batch.is_empty() {
        for r in &mut refused {
            r.index = to_batch[r.index];
        }
    }
    refused.extend(pre);
    refused.sort_by_key(|r| r.index);
    let (good_label, _) = quarantine::labels(label);
    let good = quarantine::accepted(rows, &refused);
    if !good.is_empty() {
        let body = t.spec.encode(&good, force_json);
        sink::load_txn(
            &*t.loader,
            t.db(),
            t.table(),
            &good_label,
            std::slice::from_ref(&body),
            &t.spec.extra_headers,
            opts.txn_timeout_s,
            &opts.retry,
        )
        .map_err(|e| match e {
            SinkError::Rejected(m) => SinkError::Fatal(fail(
                Kind::Target,
                format!(
                    "StarRocks refused rows it had accepted a moment before (`{}`, label \
                     {good_label}): {m}",
                    t.key()
                ),
            )),
            other => other,
        })?;
        out.labels
            .push((t.db().to_string(), t.table().to_string(), good_label));
        out.rows = body.rows;
    }
    set_aside(t, job, label, rows, refused, out, at, opts)
}

/// Load the `refused` rows of a batch (`label`) of `t` into the dead-letter table as
/// `<label>x`, next to `out` (what the batch loaded); on a failure, `out` is rolled back.
#[allow(clippy::too_many_arguments)]
fn set_aside(
    t: &Target,
    job: &str,
    label: &str,
    rows: &[(Op, &Row)],
    refused: Vec<super::quarantine::Refused>,
    mut out: Loaded,
    at: &str,
    opts: &Options,
) -> Result<Loaded, SinkError> {
    use super::quarantine;
    if refused.is_empty() {
        return Ok(out);
    }
    let (_, dead_label) = quarantine::labels(label);
    let body = quarantine::dead_letter_body(
        job,
        label,
        &t.plan,
        at,
        rows,
        &refused,
        &quarantine::now_text(),
    );
    let dl = quarantine::TABLE;
    let r = sink::load_txn(
        &*t.loader,
        t.db(),
        dl,
        &dead_label,
        std::slice::from_ref(&body),
        &[],
        opts.txn_timeout_s,
        &opts.retry,
    );
    if let Err(e) = r {
        for (db, table, l) in &out.labels {
            let _ = t.loader.rollback(db, table, l);
        }
        return Err(match e {
            SinkError::Rejected(m) => SinkError::Fatal(fail(
                Kind::Target,
                format!(
                    "StarRocks refused the dead-letter rows of `{}`: {m}",
                    t.key()
                ),
            )),
            other => other,
        });
    }
    // The first rows each on a line; a batch of many (up to MAX_REFUSED) in one more.
    const SHOWN: usize = 5;
    for r in refused.iter().take(SHOWN) {
        tracing::warn!(
            table = %t.key(),
            label,
            row = r.index,
            at,
            reason = %r.reason,
            "a refused row was set aside in {}.{dl}",
            t.db()
        );
    }
    if refused.len() > SHOWN {
        tracing::warn!(
            table = %t.key(),
            label,
            at,
            rows = refused.len() - SHOWN,
            "more refused rows of this batch were set aside in {}.{dl} (their reasons are there)",
            t.db()
        );
    }
    out.labels
        .push((t.db().to_string(), dl.to_string(), dead_label));
    out.refused = refused.len() as u64;
    Ok(out)
}

/// Load and prepare an encoded body of `t` as transaction `label`.
fn load_encoded(t: &Target, label: &str, body: &Body, opts: &Options) -> Result<Loaded, SinkError> {
    sink::load_txn(
        &*t.loader,
        t.db(),
        t.table(),
        label,
        std::slice::from_ref(body),
        &t.spec.extra_headers,
        opts.txn_timeout_s,
        &opts.retry,
    )?;
    Ok(Loaded {
        labels: vec![(t.db().to_string(), t.table().to_string(), label.to_string())],
        rows: body.rows,
        refused: 0,
    })
}

/// Finish a batch part of which is already in the open transaction: no in-place retry is
/// possible (that data is gone from memory); failures restart from the checkpoint. Ok(rows).
fn prepare_streamed(
    t: &Target,
    label: &str,
    rows: &[(Op, &Row)],
    o: &OpenTxn,
    force_json: bool,
) -> Result<u64, SinkError> {
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

fn retry_or_fatal(t: &Target, label: &str, e: sink::LoadError) -> SinkError {
    match e {
        sink::LoadError::Rejected(m) => SinkError::Rejected(format!(
            "StarRocks refused rows of `{}` (label {label}): {m}",
            t.key()
        )),
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

/// Chunks prepared before one checkpoint write (snapshot group commit).
const GROUP_COMMIT: usize = 8;

/// About how many bytes of load body one snapshot chunk (= one StarRocks transaction) holds.
const CHUNK_BYTES: usize = 16 << 20;

/// Rows in a snapshot chunk of rows of about `row_bytes` each: about [`CHUNK_BYTES`], at least
/// 1,000 rows (a chunk is a transaction: very wide rows still make few), at most `cap`.
fn rows_for_bytes(row_bytes: usize, cap: usize) -> usize {
    (CHUNK_BYTES / row_bytes.max(1)).max(1_000).min(cap).max(1)
}

/// One key range of a table still to read, and where its reading is.
#[derive(Debug, Clone)]
struct Item {
    target: usize,
    /// Index into the table's `SnapshotProgress.ranges`.
    range: usize,
    source: usize,
    lo: Option<serde_json::Value>,
    hi: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    /// The reader whose view must read it (a DUPLICATE KEY table); None = any reader.
    owner: Option<usize>,
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
    /// `rows`/`txn` hold removals of a table without a key (`Op::Delete` = one copy): the batch
    /// is rewritten at flush (`nokey`) and never streamed.
    removals: bool,
}

struct BinlogRun {
    /// A catch-up between snapshot rounds ends at the first transaction boundary here.
    until: Option<BinlogPosition>,
    /// Checkpoint position the current batch started from (its labels).
    batch_start: BinlogPosition,
    /// End of the last source transaction seen.
    cur: BinlogPosition,
    /// MariaDB GTID position at `cur` (None: the server has no GTIDs, or they are unknown).
    gtid: Option<GtidPos>,
    /// What `cur` is in the source's history (without the GTID position, kept in `gtid`).
    mark: Option<PositionMark>,
    bufs: Vec<TableBuf>,
    /// The batch loading beside the reading, if any (at most one).
    inflight: Option<InFlight>,
    in_txn: bool,
    last_flush: Instant,
    last_status: Instant,
    /// Events since the status clock was last read.
    since_status: u32,
    idle_polls: u32,
    prev_server: Option<BinlogPosition>,
    heartbeat: Option<BinlogPosition>,
    snap_pos: Vec<BinlogPosition>,
}

impl BinlogRun {
    /// A transaction (or DDL) ended at `end`: move the position, its mark and GTID position.
    fn advance(&mut self, end: BinlogPosition, gtid: Option<&str>, mark: Option<PositionMark>) {
        self.cur = end;
        if let (Some(pos), Some(g)) = (self.gtid.as_mut(), gtid.and_then(Gtid::parse)) {
            pos.apply(g);
        }
        self.mark = mark;
    }

    /// The checkpoint's mark of `cur`.
    fn checkpoint_mark(&self) -> Option<PositionMark> {
        let gtid = self.gtid.as_ref().map(|g| g.to_string());
        match (&self.mark, gtid) {
            (None, None) => None,
            (m, gtid) => Some(PositionMark {
                gtid,
                ..m.clone().unwrap_or_default()
            }),
        }
    }

    fn is_empty(&self) -> bool {
        self.bufs
            .iter()
            .all(|b| b.rows.is_empty() && b.txn.is_empty() && b.held.is_empty() && b.open.is_none())
    }
}

#[cfg(test)]
mod tests;
