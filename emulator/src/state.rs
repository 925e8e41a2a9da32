//! The emulator's catalog, table rows, load transactions, and their persistence.
//!
//! Invariants:
//! - All state lives behind one mutex ([`Shared::state`]); a load's rows are applied to a table in
//!   one critical section together with the transaction's state change, so a reader never sees a
//!   half-applied load, and a PREPARE/PREPARED transaction's rows are never in the table.
//! - With a data directory, each change is appended (and fsynced) to the database's log before it
//!   is acknowledged, and the log is compacted into a snapshot now and then (`persist.rs`).
//! - Time-driven transitions (txn timeouts, Publish Timeout → VISIBLE) are evaluated lazily by
//!   [`State::tick`] before every access, against a clock tests can advance ([`Shared::now_ms`]).

use crate::faults::Faults;
use crate::sql::{DefaultValue, KeysType, TableDef};
use crate::types::{sort_key, ColType, SortKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

pub type Row = Vec<Option<String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    Prepare,
    Prepared,
    Committed,
    Visible,
    Aborted,
}

impl TxnState {
    pub fn name(&self) -> &'static str {
        match self {
            TxnState::Prepare => "PREPARE",
            TxnState::Prepared => "PREPARED",
            TxnState::Committed => "COMMITTED",
            TxnState::Visible => "VISIBLE",
            TxnState::Aborted => "ABORTED",
        }
    }
    /// `ExistingJobStatus` for "Label Already Exists" (LabelAlreadyUsedException mapping).
    pub fn existing_job_status(&self) -> &'static str {
        match self {
            TxnState::Prepare | TxnState::Prepared => "RUNNING",
            TxnState::Committed | TxnState::Visible => "FINISHED",
            TxnState::Aborted => "CANCELLED",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowOp {
    pub delete: bool,
    pub row: Row,
    /// Partial update: which columns the load supplied.
    pub present: Option<Vec<bool>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Txn {
    pub id: u64,
    pub label: String,
    pub table: String,
    pub state: TxnState,
    /// true for the transaction API (begin/load/prepare/commit), false for a one-shot Stream Load.
    pub explicit: bool,
    pub ops: Vec<RowOp>,
    pub total_rows: u64,
    pub loaded_rows: u64,
    pub filtered_rows: u64,
    pub unselected_rows: u64,
    pub load_bytes: u64,
    pub max_filter_ratio: f64,
    pub error_url: Option<String>,
    pub created_ms: u64,
    pub last_activity_ms: u64,
    pub timeout_s: u64,
    pub idle_timeout_s: Option<u64>,
    pub prepared_ms: Option<u64>,
    pub prepared_timeout_s: u64,
    pub visible_at_ms: Option<u64>,
    pub reason: String,
    #[serde(skip)]
    pub busy: bool,
    /// The BE that coordinates the transaction (transaction API: the BE that ran `begin`, FE
    /// `TransactionState.getCoordinator()`); `None` for one-shot Stream Loads.
    #[serde(default)]
    pub coordinator_be: Option<usize>,
    /// When the transaction became VISIBLE or ABORTED (its `finishTime`, for label expiry).
    #[serde(default)]
    pub finished_ms: Option<u64>,
}

/// A transaction's context on its coordinator BE (BE `runtime/stream_load/stream_context_mgr`,
/// keyed by label): lives only in that BE's memory.
#[derive(Debug, Clone)]
pub struct BeCtx {
    pub db: String,
    pub table: String,
    pub label: String,
    pub txn_id: u64,
    /// The first load's `TStreamLoadPutRequest` fields; later loads must be equal.
    pub sig: Option<Vec<(String, String)>>,
    /// The plan of the first load (headers parsed once).
    pub params: Option<crate::parse::Params>,
    /// CSV: every load's body appended to one stream pipe.
    pub csv: Vec<u8>,
    /// JSON: one complete JSON buffer per load.
    pub json: Vec<Vec<u8>>,
    pub received_bytes: u64,
    /// A load has planned the transaction (`ctx->body_sink` set).
    pub has_sink: bool,
    /// `ctx->status` is not OK (a failed load): later loads answer "current transaction is
    /// aborted".
    pub failed: Option<String>,
    /// A request holds `ctx->lock`.
    pub busy: bool,
    pub last_active_ms: u64,
    pub idle_timeout_s: Option<u64>,
    pub load_id: String,
}

/// A schema-change job (FE `alter/SchemaChangeJobV2`), as `SHOW ALTER TABLE COLUMN` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlterJob {
    pub id: u64,
    pub table: String,
    pub create_ms: u64,
    pub due_ms: u64,
    pub finish_ms: Option<u64>,
    pub index_id: u64,
    pub origin_index_id: u64,
    pub schema_version: u32,
    pub txn_id: u64,
    /// PENDING / WAITING_TXN / RUNNING / FINISHED / CANCELLED
    pub state: String,
    pub msg: String,
    pub timeout_s: u64,
    pub op: Option<crate::sql::AlterOp>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub def: TableDef,
    /// PRIMARY/UNIQUE/AGGREGATE tables: rows by key.
    pub keyed: BTreeMap<Vec<SortKey>, Row>,
    /// DUPLICATE tables: rows in insertion order.
    pub dup: Vec<Row>,
    pub load_count: u64,
    /// Rows committed by loads and INSERT since the table was created or truncated (their
    /// `NumberLoadedRows`, summed). Counted also when rows are not stored (`store_rows = false`);
    /// not a count of distinct keys.
    pub rows_committed: u64,
    /// A new value whenever the rows or the definition are replaced as a whole (DDL): the log
    /// then records the whole table instead of row operations.
    pub generation: u64,
}

static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

fn new_generation() -> u64 {
    NEXT_GENERATION.fetch_add(1, Ordering::Relaxed)
}

impl Table {
    pub fn new(def: TableDef) -> Self {
        Table {
            def,
            keyed: BTreeMap::new(),
            dup: Vec::new(),
            load_count: 0,
            rows_committed: 0,
            generation: new_generation(),
        }
    }
    pub fn keyed(&self) -> bool {
        self.def.keys_type.upserts()
    }
    pub fn key_of(&self, row: &Row) -> Vec<SortKey> {
        self.def
            .key_indexes()
            .into_iter()
            .map(|i| {
                sort_key(
                    &self.def.columns[i].ty,
                    row.get(i).and_then(|v| v.as_deref()),
                )
            })
            .collect()
    }
    pub fn all_rows(&self) -> Vec<Row> {
        self.row_iter().cloned().collect()
    }
    /// Rows in `all_rows` order, borrowed.
    pub fn row_iter(&self) -> Box<dyn Iterator<Item = &Row> + '_> {
        if self.keyed() {
            Box::new(self.keyed.values())
        } else {
            Box::new(self.dup.iter())
        }
    }
    pub fn row_count(&self) -> usize {
        if self.keyed() {
            self.keyed.len()
        } else {
            self.dup.len()
        }
    }
    /// Replace all rows (DDL, restart): the table counts as rewritten.
    pub fn set_rows(&mut self, rows: Vec<Row>) {
        self.generation = new_generation();
        self.keyed.clear();
        self.dup.clear();
        for r in rows {
            if self.keyed() {
                let k = self.key_of(&r);
                self.keyed.insert(k, r);
            } else {
                self.dup.push(r);
            }
        }
    }
    /// Apply row operations in order. Keyed tables: upsert (partial update, aggregation) or
    /// delete by key. DUPLICATE tables: append; a delete removes every row equal to its row
    /// (what a DELETE statement whose predicate matched that row removes).
    pub fn apply(&mut self, ops: Vec<RowOp>) {
        if !self.keyed() {
            let mut deletes: std::collections::HashSet<Row> = std::collections::HashSet::new();
            for op in ops {
                if op.delete {
                    deletes.insert(op.row);
                    continue;
                }
                if !deletes.is_empty() {
                    self.dup.retain(|r| !deletes.contains(r));
                    deletes.clear();
                }
                self.dup.push(op.row);
            }
            if !deletes.is_empty() {
                self.dup.retain(|r| !deletes.contains(r));
            }
            return;
        }
        for op in ops {
            let k = self.key_of(&op.row);
            if op.delete {
                self.keyed.remove(&k);
                continue;
            }
            match (&op.present, self.keyed.get_mut(&k)) {
                (Some(present), Some(existing)) => {
                    for (i, (p, v)) in present.iter().zip(op.row).enumerate() {
                        if *p {
                            if let Some(slot) = existing.get_mut(i) {
                                *slot = v;
                            }
                        }
                    }
                }
                (None, Some(existing)) if self.def.keys_type == KeysType::Aggregate => {
                    let nkeys = self.def.key_cols.len();
                    for (i, (c, v)) in self.def.columns.iter().zip(op.row).enumerate().skip(nkeys) {
                        if let Some(slot) = existing.get_mut(i) {
                            *slot = aggregate(&c.ty, c.agg.as_deref(), slot.take(), v);
                        }
                    }
                }
                _ => {
                    self.keyed.insert(k, op.row);
                }
            }
        }
    }
    /// Default value text for a column when a load or ALTER does not supply it.
    pub fn default_for(def: &TableDef, idx: usize, now_text: &str) -> Option<String> {
        match &def.columns[idx].default {
            Some(DefaultValue::Literal(v)) => crate::types::convert(&def.columns[idx].ty, v).ok(),
            Some(DefaultValue::CurrentTimestamp) => Some(now_text.to_string()),
            Some(DefaultValue::Func(_)) => Some(String::new()),
            Some(DefaultValue::Null) | None => None,
        }
    }
}

/// Combine a stored value with a new one for an AGGREGATE KEY value column. SUM of integers and
/// DECIMALs is exact (DECIMAL via the canonical text's fixed scale), of FLOAT/DOUBLE in f64;
/// MAX/MIN compare like ORDER BY; REPLACE takes the new value; REPLACE_IF_NOT_NULL keeps the old
/// one when the new one is NULL; HLL/BITMAP/PERCENTILE unions are not modelled (REPLACE).
fn aggregate(
    ty: &ColType,
    agg: Option<&str>,
    old: Option<String>,
    new: Option<String>,
) -> Option<String> {
    match agg.unwrap_or("REPLACE") {
        "SUM" => match (old, new) {
            (None, n) => n,
            (o, None) => o,
            (Some(o), Some(n)) => Some(sum_text(ty, &o, &n).unwrap_or(n)),
        },
        "MAX" | "MIN" => match (old, new) {
            (None, n) => n,
            (o, None) => o,
            (Some(o), Some(n)) => {
                let (ko, kn) = (sort_key(ty, Some(&o)), sort_key(ty, Some(&n)));
                let take_new = if agg == Some("MAX") { kn > ko } else { kn < ko };
                Some(if take_new { n } else { o })
            }
        },
        "REPLACE_IF_NOT_NULL" => new.or(old),
        _ => new,
    }
}

fn sum_text(ty: &ColType, a: &str, b: &str) -> Option<String> {
    match ty {
        ColType::Decimal { scale, .. } => {
            let parse = |s: &str| -> Option<i128> { s.replace('.', "").parse::<i128>().ok() };
            let total = parse(a)?.checked_add(parse(b)?)?;
            let neg = total < 0;
            let digits = format!(
                "{:0>width$}",
                total.unsigned_abs(),
                width = *scale as usize + 1
            );
            let (ip, fp) = digits.split_at(digits.len() - *scale as usize);
            let mut out = String::new();
            if neg {
                out.push('-');
            }
            out.push_str(ip);
            if *scale > 0 {
                out.push('.');
                out.push_str(fp);
            }
            Some(out)
        }
        ColType::Float | ColType::Double => Some(format!(
            "{}",
            a.parse::<f64>().ok()? + b.parse::<f64>().ok()?
        )),
        _ => Some(
            a.parse::<i128>()
                .ok()?
                .checked_add(b.parse::<i128>().ok()?)?
                .to_string(),
        ),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Database {
    pub name: String,
    pub tables: BTreeMap<String, Table>,
    /// Latest transaction per label (labels are scoped to a database).
    pub txns: BTreeMap<String, Txn>,
    /// Schema-change jobs (SHOW ALTER TABLE COLUMN).
    pub alter_jobs: Vec<AlterJob>,
    /// Committed row changes not yet in the log: (table, serialized log op).
    pub pending: Vec<(String, Vec<u8>)>,
}

/// How committed rows are handled (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct RowsMode {
    /// `store_rows`: keep the rows (false: only count them).
    pub store: bool,
    /// A data directory is configured: queue row changes for the log.
    pub journal: bool,
}

impl Database {
    /// Commit row operations to `table`, in the caller's critical section together with the
    /// transaction's state change: add `loaded` (the load's `NumberLoadedRows`) to
    /// `rows_committed`, count a load when `is_load`, queue the change for the log, and apply the
    /// operations when rows are stored.
    pub fn commit_rows(
        &mut self,
        table: &str,
        ops: Vec<RowOp>,
        loaded: u64,
        is_load: bool,
        mode: RowsMode,
    ) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        if is_load {
            t.load_count += 1;
        }
        t.rows_committed += loaded;
        if mode.journal {
            crate::persist::queue_apply(self, table, &ops);
        }
        if mode.store {
            if let Some(t) = self.tables.get_mut(table) {
                t.apply(ops);
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct State {
    pub dbs: BTreeMap<String, Database>,
    pub next_txn_id: u64,
    /// Error logs by file id: (index of the BE that wrote it, text).
    pub error_logs: HashMap<String, (usize, String)>,
    pub next_error_log: u64,
    /// Per BE: transaction contexts by label (in memory only; a BE restart drops them).
    pub be_ctx: Vec<BTreeMap<String, BeCtx>>,
    /// FE `TransactionLoadCoordinatorMgr` cache: label → coordinator BE.
    pub coord_cache: HashMap<String, usize>,
    /// Round-robin cursor for choosing a BE (`seqChooseBackendIds`).
    pub next_be: usize,
    pub next_job_id: u64,
    /// Persistence bookkeeping per database (what was last written).
    pub journal: HashMap<String, crate::persist::DbJournal>,
}

/// Settings the lazy time-driven transitions need.
#[derive(Debug, Clone, Copy)]
pub struct TickCfg {
    pub label_keep_max_second: u64,
    pub label_keep_max_num: usize,
}

impl State {
    /// Apply time-driven transitions (see module doc).
    pub fn tick(&mut self, now: u64, cfg: TickCfg) -> Vec<String> {
        let mut changed: BTreeSet<String> = BTreeSet::new();
        let State { dbs, be_ctx, .. } = self;
        // BE contexts (BE `TransactionMgr::_clean_stream_context`): a context whose FE
        // transaction is no longer PREPARE is gone; an idle one is rolled back once it has been
        // idle longer than `idle_transaction_timeout` plus the 30 s check interval
        // (`StreamLoadContext::tsl_reach_idle_timeout(interval)`).
        for be in be_ctx.iter_mut() {
            be.retain(|label, ctx| {
                let txn = dbs
                    .get_mut(&ctx.db)
                    .and_then(|d| d.txns.get_mut(label))
                    .filter(|t| t.id == ctx.txn_id);
                let Some(t) = txn else { return false };
                if t.state != TxnState::Prepare {
                    return false;
                }
                if let Some(idle) = ctx.idle_timeout_s.filter(|s| *s > 0) {
                    if !ctx.busy && now > ctx.last_active_ms + (idle + 30) * 1000 {
                        t.state = TxnState::Aborted;
                        t.reason =
                            format!("transaction is aborted by idle timeout {idle} seconds.");
                        t.ops.clear();
                        changed.insert(ctx.db.clone());
                        return false;
                    }
                }
                true
            });
        }
        for (dbname, db) in dbs.iter_mut() {
            let mut dirty = false;
            for t in db.txns.values_mut() {
                if t.busy {
                    continue;
                }
                match t.state {
                    TxnState::Prepare => {
                        // FE `TransactionState.isTimeout` → `abortTimeoutTxns`.
                        let hard = t.created_ms + t.timeout_s.saturating_mul(1000);
                        if now > hard {
                            t.state = TxnState::Aborted;
                            t.reason = "timeout by txn manager".to_string();
                            t.ops.clear();
                            dirty = true;
                        }
                    }
                    TxnState::Prepared => {
                        let limit = t.prepared_ms.unwrap_or(t.created_ms)
                            + t.prepared_timeout_s.saturating_mul(1000);
                        if now > limit {
                            t.state = TxnState::Aborted;
                            t.reason = "timeout by txn manager".to_string();
                            t.ops.clear();
                            dirty = true;
                        }
                    }
                    TxnState::Committed => {
                        if t.visible_at_ms.is_none_or(|v| now >= v) {
                            t.state = TxnState::Visible;
                            dirty = true;
                        }
                    }
                    TxnState::Visible | TxnState::Aborted => {}
                }
                if matches!(t.state, TxnState::Visible | TxnState::Aborted)
                    && t.finished_ms.is_none()
                {
                    t.finished_ms = Some(now);
                    dirty = true;
                }
            }
            // Label expiry: FE `DatabaseTransactionMgr.removeExpiredTxns`. Finished transactions
            // are removed oldest-finished first while they are expired
            // (`(now - finishTime) / 1000 > label_keep_max_second`,
            // `TransactionState.isExpired`) or while the database holds more transactions
            // (running + finished, `getTransactionNum`) than `label_keep_max_num`.
            let mut finals: Vec<(u64, u64, String)> = db
                .txns
                .values()
                .filter(|t| matches!(t.state, TxnState::Visible | TxnState::Aborted))
                .map(|t| (t.finished_ms.unwrap_or(now), t.id, t.label.clone()))
                .collect();
            finals.sort();
            let mut to_remove = db.txns.len() as i64 - cfg.label_keep_max_num as i64;
            for (fin, _, label) in finals {
                let expired = now.saturating_sub(fin) / 1000 > cfg.label_keep_max_second;
                if expired || to_remove > 0 {
                    db.txns.remove(&label);
                    to_remove -= 1;
                    dirty = true;
                } else {
                    break;
                }
            }
            // Schema-change jobs that are due finish now (emulator clock).
            let due: Vec<usize> = db
                .alter_jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| j.state == "RUNNING" && now >= j.due_ms)
                .map(|(i, _)| i)
                .collect();
            for i in due {
                let job = &mut db.alter_jobs[i];
                let now_text = crate::fe_mysql::civil_from_unix((now / 1000) as i64);
                let result = match (db.tables.get_mut(&job.table), job.op.take()) {
                    (Some(t), Some(op)) => {
                        crate::fe_mysql::alter(t, op, &now_text).map_err(|e| e.message)
                    }
                    (None, _) => Err("table does not exist".to_string()),
                    (_, None) => Ok(()),
                };
                match result {
                    Ok(()) => job.state = "FINISHED".into(),
                    Err(m) => {
                        job.state = "CANCELLED".into();
                        job.msg = m;
                    }
                }
                job.finish_ms = Some(now);
                dirty = true;
            }
            if dirty {
                changed.insert(dbname.clone());
            }
        }
        changed.into_iter().collect()
    }

    pub fn alloc_txn_id(&mut self) -> u64 {
        if self.next_txn_id == 0 {
            self.next_txn_id = 1000;
        }
        self.next_txn_id += 1;
        self.next_txn_id
    }
}

pub struct Shared {
    pub cfg: crate::EmulatorConfig,
    pub state: Mutex<State>,
    pub faults: Mutex<Faults>,
    pub clock_offset_ms: AtomicI64,
    pub stop: AtomicBool,
    /// HTTP addresses of the BEs, by index (index 0 = `be_http_addr()`).
    pub be_addrs: Mutex<Vec<std::net::SocketAddr>>,
    /// HTTP address of the leader FE.
    pub fe_http_addr: Mutex<Option<std::net::SocketAddr>>,
    /// HTTP addresses of the follower FEs.
    pub fe_follower_addrs: Mutex<Vec<std::net::SocketAddr>>,
    pub persist_errors: Mutex<Vec<String>>,
    /// Open client connections with the node that accepted them (so `stop` can cut them, like
    /// a process exit would, and a BE restart can cut that BE's connections).
    conns: Mutex<HashMap<u64, (Option<usize>, std::net::TcpStream)>>,
    next_conn: AtomicU64,
}

/// Removes a connection from the registry when its handler ends.
pub struct ConnGuard<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for ConnGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut g) = self.shared.conns.lock() {
            g.remove(&self.id);
        }
    }
}

impl Shared {
    pub fn new(cfg: crate::EmulatorConfig) -> Self {
        let st = State {
            be_ctx: vec![BTreeMap::new(); cfg.backends.max(1) as usize],
            ..Default::default()
        };
        Shared {
            cfg,
            state: Mutex::new(st),
            faults: Mutex::new(Faults::default()),
            clock_offset_ms: AtomicI64::new(0),
            stop: AtomicBool::new(false),
            be_addrs: Mutex::new(Vec::new()),
            fe_http_addr: Mutex::new(None),
            fe_follower_addrs: Mutex::new(Vec::new()),
            persist_errors: Mutex::new(Vec::new()),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
        }
    }

    /// The configured StarRocks version (`current_version` text, e.g. `3.3.2 emulator`) as
    /// (major, minor, patch); unparsable parts are 0.
    pub fn version(&self) -> (u32, u32, u32) {
        parse_version(&self.cfg.version)
    }

    pub fn be_addr(&self, i: usize) -> Option<std::net::SocketAddr> {
        self.be_addrs.lock().ok().and_then(|g| g.get(i).copied())
    }

    pub fn be_count(&self) -> usize {
        self.cfg.backends.max(1) as usize
    }

    /// Restart BE `i`: its in-memory transaction contexts are gone and its open connections
    /// are cut (a process restart). FE-side transaction states are not touched: a PREPARE
    /// transaction it coordinated stays PREPARE until the FE's timeout aborts it.
    pub fn restart_be(&self, i: usize) -> usize {
        let n = {
            let mut st = self.lock();
            match st.be_ctx.get_mut(i) {
                Some(m) => {
                    let n = m.len();
                    m.clear();
                    n
                }
                None => 0,
            }
        };
        if let Ok(mut g) = self.conns.lock() {
            g.retain(|_, (node, s)| {
                if *node == Some(i) {
                    let _ = s.shutdown(std::net::Shutdown::Both);
                    false
                } else {
                    true
                }
            });
        }
        n
    }

    /// Track an accepted connection until the returned guard is dropped. `be`: the BE that
    /// accepted it, if any.
    pub fn register(&self, s: &std::net::TcpStream, be: Option<usize>) -> ConnGuard<'_> {
        let id = self.next_conn.fetch_add(1, Ordering::SeqCst);
        if let (Ok(c), Ok(mut g)) = (s.try_clone(), self.conns.lock()) {
            g.insert(id, (be, c));
        }
        ConnGuard { shared: self, id }
    }

    /// Cut every open client connection (used by `Emulator::stop`).
    pub fn close_all(&self) {
        if let Ok(mut g) = self.conns.lock() {
            for (_, (_, s)) in g.drain() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    pub fn now_ms(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        (real + self.clock_offset_ms.load(Ordering::SeqCst)).max(0) as u64
    }

    /// Lock the state and apply due time-driven transitions (persisting what changed).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let changed = g.tick(
            self.now_ms(),
            TickCfg {
                label_keep_max_second: self.cfg.label_keep_max_second,
                label_keep_max_num: self.cfg.label_keep_max_num,
            },
        );
        for db in changed {
            self.persist_db(&mut g, &db);
        }
        g
    }

    /// Forget finished (VISIBLE/ABORTED) transactions of `db` (label cleanup); returns how many.
    pub fn expire_labels(&self, db: &str) -> usize {
        let mut st = self.lock();
        let n = match st.dbs.get_mut(db) {
            Some(d) => {
                let before = d.txns.len();
                d.txns
                    .retain(|_, t| !matches!(t.state, TxnState::Visible | TxnState::Aborted));
                before - d.txns.len()
            }
            None => 0,
        };
        self.persist_db(&mut st, db);
        n
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn data_dir(&self) -> Option<&Path> {
        self.cfg.data_dir.as_deref()
    }

    /// How committed rows are handled.
    pub fn rows_mode(&self) -> RowsMode {
        RowsMode {
            store: self.cfg.store_rows,
            journal: self.cfg.data_dir.is_some(),
        }
    }

    /// Persist what changed in one database (or remove its files when it is gone): one log record,
    /// written and fsynced before the caller answers. Errors are kept for `persist_errors()`.
    pub fn persist_db(&self, st: &mut State, db: &str) {
        let State {
            dbs,
            journal,
            next_txn_id,
            next_job_id,
            ..
        } = st;
        let dir = match self.data_dir() {
            // A stopped instance behaves like a killed process: nothing more reaches the disk.
            Some(dir) if !self.stop.load(Ordering::SeqCst) => dir,
            _ => {
                if let Some(d) = dbs.get_mut(db) {
                    d.pending.clear();
                }
                return;
            }
        };
        let ids = crate::persist::Ids {
            next_txn_id: *next_txn_id,
            next_job_id: *next_job_id,
        };
        let result = match dbs.get_mut(db) {
            None => {
                journal.remove(db);
                crate::persist::remove_db(dir, db)
            }
            Some(d) => {
                let j = journal.entry(db.to_string()).or_default();
                crate::persist::write_changes(dir, d, j, ids, self.cfg.log_compact_bytes)
            }
        };
        if let Err(e) = result {
            self.persist_errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(format!(
                    "{}: {e}",
                    crate::persist::log_path(dir, db).display()
                ));
        }
    }

    pub fn load_from_disk(&self) -> anyhow::Result<()> {
        let Some(dir) = self.data_dir() else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        for p in crate::persist::leftovers(dir)? {
            std::fs::remove_file(&p)?;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(name.starts_with("db_") && name.ends_with(".json")) {
                continue;
            }
            let loaded = crate::persist::load_db(dir, &path, self.cfg.store_rows)?;
            if loaded.dropped_bytes > 0 {
                eprintln!(
                    "starrocks-emulator: {}: dropped a torn or corrupt log tail of {} bytes",
                    crate::persist::log_path(dir, &loaded.db.name).display(),
                    loaded.dropped_bytes
                );
            }
            st.next_txn_id = st.next_txn_id.max(loaded.ids.next_txn_id);
            st.next_job_id = st.next_job_id.max(loaded.ids.next_job_id);
            st.journal.insert(loaded.db.name.clone(), loaded.journal);
            st.dbs.insert(loaded.db.name.clone(), loaded.db);
        }
        Ok(())
    }
}

/// Leading `major.minor.patch` of a version text (`"3.3.2 857dd73"` → (3, 3, 2)).
pub fn parse_version(v: &str) -> (u32, u32, u32) {
    let head = v.split_whitespace().next().unwrap_or("");
    let mut it = head
        .trim_start_matches(['v', 'V'])
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

pub fn keys_type_is_primary(def: &TableDef) -> bool {
    def.keys_type == KeysType::Primary
}
