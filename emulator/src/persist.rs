//! Persistence of a data directory: per database a snapshot `db_<hex name>.json` and an
//! append-only log `db_<hex name>.log` of the changes made since the snapshot.
//!
//! Invariants:
//! - A change is acknowledged only after its log record is written and `fsync`ed (every caller
//!   persists before it answers), so a process killed at any point (SIGKILL) loses nothing that
//!   was acknowledged. All writes happen under the state lock, in the order of the changes.
//! - A log record is `[payload length: u32 LE][CRC-32 of the payload: u32 LE][payload: JSON]`.
//!   Loading stops at the first record that is incomplete, fails its checksum or does not parse
//!   (a write torn by a crash can only be the last one) and truncates the log there.
//! - Each record carries a sequence number; the snapshot names the last one it contains
//!   (`log_seq`). Compaction writes the new snapshot to a temporary file, fsyncs it, renames it
//!   over the old one (and fsyncs the directory), then truncates the log: a crash between the
//!   rename and the truncation leaves records the snapshot already holds, which loading skips.
//! - What a record holds is found by comparing the database with what was last written
//!   ([`DbJournal`]): row operations of committed loads (queued by `Database::commit_rows`), whole
//!   tables whose definition or rows were replaced (DDL), dropped tables, changed or removed
//!   transactions, and the schema-change job list. So a record is proportional to the change,
//!   not to the database (a DDL that rewrites a table writes that table).

use crate::sql::TableDef;
use crate::state::{AlterJob, Database, Row, RowOp, Table, Txn};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Default `log_compact_bytes`: compact when the log is larger than this and than the snapshot.
pub const DEFAULT_LOG_COMPACT_BYTES: u64 = 16 << 20;

/// What was last written for one database.
#[derive(Debug, Default)]
pub struct DbJournal {
    /// The snapshot exists (the database was written at least once).
    exists: bool,
    file: Option<File>,
    log_bytes: u64,
    snapshot_bytes: u64,
    /// Sequence number of the last record written.
    seq: u64,
    /// Table name → generation written.
    tables: HashMap<String, u64>,
    /// Label → fingerprint of the transaction written.
    txns: HashMap<String, u64>,
    jobs: u64,
}

/// One change in a log record.
#[derive(Deserialize)]
enum LogOp {
    Apply {
        table: String,
        ops: Vec<RowOp>,
        load_count: u64,
        rows_committed: u64,
    },
    Table(Box<TableFile>),
    DropTable(String),
    Txn(Box<Txn>),
    TxnRemove(String),
    AlterJobs(Vec<AlterJob>),
}

/// [`LogOp`], borrowed for writing (same serialized form).
#[derive(Serialize)]
enum LogOpRef<'a> {
    Apply {
        table: &'a str,
        ops: &'a [RowOp],
        load_count: u64,
        rows_committed: u64,
    },
    Table(TableFileRef<'a>),
    DropTable(&'a str),
    Txn(&'a Txn),
    TxnRemove(&'a str),
    AlterJobs(&'a [AlterJob]),
}

#[derive(Deserialize)]
struct LogRecord {
    seq: u64,
    next_txn_id: u64,
    next_job_id: u64,
    ops: Vec<LogOp>,
}

#[derive(Deserialize)]
struct TableFile {
    def: TableDef,
    rows: Vec<Row>,
    load_count: u64,
    #[serde(default)]
    rows_committed: Option<u64>,
}

#[derive(Serialize)]
struct TableFileRef<'a> {
    def: &'a TableDef,
    rows: RowsRef<'a>,
    load_count: u64,
    rows_committed: u64,
}

/// A table's rows, serialized without copying them.
struct RowsRef<'a>(&'a Table);

impl Serialize for RowsRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.row_count()))?;
        for r in self.0.row_iter() {
            seq.serialize_element(r)?;
        }
        seq.end()
    }
}

fn table_ref(t: &Table) -> TableFileRef<'_> {
    TableFileRef {
        def: &t.def,
        rows: RowsRef(t),
        load_count: t.load_count,
        rows_committed: t.rows_committed,
    }
}

/// The snapshot file (the format of earlier versions, plus `log_seq` and `rows_committed`).
#[derive(Deserialize)]
struct DbFile {
    name: String,
    next_txn_id: u64,
    tables: Vec<TableFile>,
    txns: Vec<Txn>,
    #[serde(default)]
    alter_jobs: Vec<AlterJob>,
    #[serde(default)]
    next_job_id: u64,
    #[serde(default)]
    log_seq: u64,
}

#[derive(Serialize)]
struct DbFileRef<'a> {
    name: &'a str,
    next_txn_id: u64,
    tables: Vec<TableFileRef<'a>>,
    txns: Vec<&'a Txn>,
    alter_jobs: &'a [AlterJob],
    next_job_id: u64,
    log_seq: u64,
}

/// Queue a committed row change of `table` for the next log record.
pub fn queue_apply(d: &mut Database, table: &str, ops: &[RowOp]) {
    let Some(t) = d.tables.get(table) else { return };
    let op = LogOpRef::Apply {
        table,
        ops,
        load_count: t.load_count,
        rows_committed: t.rows_committed,
    };
    if let Ok(b) = serde_json::to_vec(&op) {
        d.pending.push((table.to_string(), b));
    }
}

fn hex_name(db: &str) -> String {
    db.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn snapshot_path(dir: &Path, db: &str) -> PathBuf {
    dir.join(format!("db_{}.json", hex_name(db)))
}

pub fn log_path(dir: &Path, db: &str) -> PathBuf {
    dir.join(format!("db_{}.log", hex_name(db)))
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    let mut c = !0u32;
    for &b in data {
        c = table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The complete records at the start of `bytes` (payloads) and the length they cover.
fn read_frames(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    while bytes.len() - pos >= 8 {
        let len = u32::from_le_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        let crc = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]);
        let Some(payload) = bytes.get(pos + 8..pos + 8 + len) else {
            break;
        };
        if crc32(payload) != crc {
            break;
        }
        out.push(payload);
        pos += 8 + len;
    }
    (out, pos)
}

fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A fingerprint of everything about a transaction that can change (its row operations change
/// only together with its state).
fn txn_fingerprint(t: &Txn) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    t.id.hash(&mut h);
    t.table.hash(&mut h);
    t.state.name().hash(&mut h);
    t.explicit.hash(&mut h);
    t.ops.len().hash(&mut h);
    (
        t.total_rows,
        t.loaded_rows,
        t.filtered_rows,
        t.unselected_rows,
        t.load_bytes,
    )
        .hash(&mut h);
    t.max_filter_ratio.to_bits().hash(&mut h);
    t.error_url.hash(&mut h);
    (
        t.created_ms,
        t.last_activity_ms,
        t.timeout_s,
        t.idle_timeout_s,
    )
        .hash(&mut h);
    (t.prepared_ms, t.prepared_timeout_s, t.visible_at_ms).hash(&mut h);
    t.reason.hash(&mut h);
    (t.coordinator_be, t.finished_ms).hash(&mut h);
    h.finish()
}

fn jobs_fingerprint(jobs: &[AlterJob]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for j in jobs {
        (
            j.id,
            &j.table,
            &j.state,
            &j.msg,
            j.finish_ms,
            j.op.is_some(),
        )
            .hash(&mut h);
    }
    jobs.len().hash(&mut h);
    h.finish()
}

impl DbJournal {
    /// Remember `d` as written.
    fn mark_all(&mut self, d: &Database) {
        self.tables = d
            .tables
            .iter()
            .map(|(n, t)| (n.clone(), t.generation))
            .collect();
        self.txns = d
            .txns
            .iter()
            .map(|(l, t)| (l.clone(), txn_fingerprint(t)))
            .collect();
        self.jobs = jobs_fingerprint(&d.alter_jobs);
    }
}

/// Ids shared by all databases (written with every record and snapshot).
#[derive(Debug, Clone, Copy)]
pub struct Ids {
    pub next_txn_id: u64,
    pub next_job_id: u64,
}

/// Write the snapshot of `d` (temp file, fsync, rename, fsync dir), then empty its log.
fn write_snapshot(dir: &Path, d: &Database, j: &mut DbJournal, ids: Ids) -> std::io::Result<()> {
    let file = DbFileRef {
        name: &d.name,
        next_txn_id: ids.next_txn_id,
        tables: d.tables.values().map(table_ref).collect(),
        txns: d.txns.values().collect(),
        alter_jobs: &d.alter_jobs,
        next_job_id: ids.next_job_id,
        log_seq: j.seq,
    };
    let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
    let path = snapshot_path(dir, &d.name);
    let tmp = path.with_extension("json.tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    fsync_dir(dir)?;
    if j.log_bytes > 0 {
        if let Some(f) = &j.file {
            f.set_len(0)?;
            f.sync_all()?;
        }
    }
    j.log_bytes = 0;
    j.snapshot_bytes = bytes.len() as u64;
    j.exists = true;
    j.mark_all(d);
    Ok(())
}

/// Write what changed in `d` since the last write as one log record (fsynced), compacting when
/// the log has grown past `max(compact_at, snapshot size)`; `compact_at = 0` compacts after
/// every record (a whole snapshot per change, how persistence worked before the log).
pub fn write_changes(
    dir: &Path,
    d: &mut Database,
    j: &mut DbJournal,
    ids: Ids,
    compact_at: u64,
) -> std::io::Result<()> {
    let pending = std::mem::take(&mut d.pending);
    if !j.exists {
        return write_snapshot(dir, d, j, ids);
    }
    let mut ops: Vec<Vec<u8>> = Vec::new();
    let enc = |op: &LogOpRef| serde_json::to_vec(op).map_err(std::io::Error::other);
    let mut rewritten: HashSet<&str> = HashSet::new();
    for (name, t) in &d.tables {
        if j.tables.get(name) != Some(&t.generation) {
            ops.push(enc(&LogOpRef::Table(table_ref(t)))?);
            rewritten.insert(name);
        }
    }
    for name in j.tables.keys() {
        if !d.tables.contains_key(name) {
            ops.push(enc(&LogOpRef::DropTable(name))?);
        }
    }
    for (table, blob) in pending {
        if d.tables.contains_key(&table) && !rewritten.contains(table.as_str()) {
            ops.push(blob);
        }
    }
    let mut txn_marks = Vec::new();
    for (label, t) in &d.txns {
        let fp = txn_fingerprint(t);
        if j.txns.get(label) != Some(&fp) {
            ops.push(enc(&LogOpRef::Txn(t))?);
            txn_marks.push((label.clone(), fp));
        }
    }
    let removed: Vec<String> = j
        .txns
        .keys()
        .filter(|l| !d.txns.contains_key(*l))
        .cloned()
        .collect();
    for l in &removed {
        ops.push(enc(&LogOpRef::TxnRemove(l))?);
    }
    let jobs = jobs_fingerprint(&d.alter_jobs);
    if jobs != j.jobs {
        ops.push(enc(&LogOpRef::AlterJobs(&d.alter_jobs))?);
    }
    if ops.is_empty() {
        return Ok(());
    }
    let seq = j.seq + 1;
    let mut payload = format!(
        "{{\"seq\":{seq},\"next_txn_id\":{},\"next_job_id\":{},\"ops\":[",
        ids.next_txn_id, ids.next_job_id
    )
    .into_bytes();
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            payload.push(b',');
        }
        payload.extend_from_slice(op);
    }
    payload.extend_from_slice(b"]}");
    let bytes = frame(&payload);
    if j.file.is_none() {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path(dir, &d.name))?;
        fsync_dir(dir)?;
        j.log_bytes = f.metadata()?.len();
        j.file = Some(f);
    }
    let Some(f) = j.file.as_mut() else {
        return Err(std::io::Error::other("log file not open"));
    };
    if let Err(e) = f.write_all(&bytes).and_then(|_| f.sync_data()) {
        // Leave no partial record behind that would hide later ones.
        let _ = f.set_len(j.log_bytes);
        return Err(e);
    }
    j.seq = seq;
    j.log_bytes += bytes.len() as u64;
    for (name, t) in &d.tables {
        j.tables.insert(name.clone(), t.generation);
    }
    j.tables.retain(|n, _| d.tables.contains_key(n));
    for (l, fp) in txn_marks {
        j.txns.insert(l, fp);
    }
    for l in removed {
        j.txns.remove(&l);
    }
    j.jobs = jobs;
    if compact_at == 0 || j.log_bytes > compact_at.max(j.snapshot_bytes) {
        write_snapshot(dir, d, j, ids)?;
    }
    Ok(())
}

/// Remove a dropped database's files (the snapshot first: that is the drop's commit point).
pub fn remove_db(dir: &Path, db: &str) -> std::io::Result<()> {
    for p in [snapshot_path(dir, db), log_path(dir, db)] {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    fsync_dir(dir)
}

/// A database read back from its snapshot and log.
pub struct Loaded {
    pub db: Database,
    pub journal: DbJournal,
    pub ids: Ids,
    /// Bytes of a torn or corrupt log tail that were dropped.
    pub dropped_bytes: u64,
}

fn table_from_file(tf: TableFile, store_rows: bool) -> Table {
    let mut t = Table::new(tf.def);
    let n = tf.rows.len() as u64;
    if store_rows {
        t.set_rows(tf.rows);
    }
    t.load_count = tf.load_count;
    t.rows_committed = tf.rows_committed.unwrap_or(n);
    t
}

/// Read one database: its snapshot, then the records of its log newer than the snapshot. A torn
/// or corrupt log tail is cut off (the file is truncated to the good records).
pub fn load_db(dir: &Path, snapshot: &Path, store_rows: bool) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(snapshot)?;
    let file: DbFile = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "cannot parse {}: {e}; delete it or fix it",
            snapshot.display()
        )
    })?;
    let mut ids = Ids {
        next_txn_id: file.next_txn_id,
        next_job_id: file.next_job_id,
    };
    let mut db = Database {
        name: file.name.clone(),
        alter_jobs: file.alter_jobs,
        ..Default::default()
    };
    for tf in file.tables {
        let t = table_from_file(tf, store_rows);
        db.tables.insert(t.def.name.clone(), t);
    }
    for t in file.txns {
        ids.next_txn_id = ids.next_txn_id.max(t.id);
        db.txns.insert(t.label.clone(), t);
    }
    let mut journal = DbJournal {
        exists: true,
        snapshot_bytes: bytes.len() as u64,
        seq: file.log_seq,
        ..Default::default()
    };
    let mut dropped_bytes = 0;
    let lp = log_path(dir, &file.name);
    if let Ok(log) = std::fs::read(&lp) {
        let (frames, good) = read_frames(&log);
        let mut good_len = 0usize;
        for payload in frames {
            let Ok(rec) = serde_json::from_slice::<LogRecord>(payload) else {
                break;
            };
            good_len += payload.len() + 8;
            ids.next_txn_id = ids.next_txn_id.max(rec.next_txn_id);
            ids.next_job_id = ids.next_job_id.max(rec.next_job_id);
            if rec.seq <= journal.seq {
                continue;
            }
            journal.seq = rec.seq;
            for op in rec.ops {
                replay(&mut db, op, store_rows, &mut ids);
            }
        }
        debug_assert!(good_len <= good);
        if good_len < log.len() {
            dropped_bytes = (log.len() - good_len) as u64;
            let f = OpenOptions::new().write(true).open(&lp)?;
            f.set_len(good_len as u64)?;
            f.sync_all()?;
        }
        let f = OpenOptions::new().append(true).open(&lp)?;
        journal.log_bytes = good_len as u64;
        journal.file = Some(f);
    }
    journal.mark_all(&db);
    Ok(Loaded {
        db,
        journal,
        ids,
        dropped_bytes,
    })
}

fn replay(db: &mut Database, op: LogOp, store_rows: bool, ids: &mut Ids) {
    match op {
        LogOp::Apply {
            table,
            ops,
            load_count,
            rows_committed,
        } => {
            if let Some(t) = db.tables.get_mut(&table) {
                if store_rows {
                    t.apply(ops);
                }
                t.load_count = load_count;
                t.rows_committed = rows_committed;
            }
        }
        LogOp::Table(tf) => {
            let t = table_from_file(*tf, store_rows);
            db.tables.insert(t.def.name.clone(), t);
        }
        LogOp::DropTable(name) => {
            db.tables.remove(&name);
        }
        LogOp::Txn(t) => {
            ids.next_txn_id = ids.next_txn_id.max(t.id);
            db.txns.insert(t.label.clone(), *t);
        }
        LogOp::TxnRemove(label) => {
            db.txns.remove(&label);
        }
        LogOp::AlterJobs(jobs) => db.alter_jobs = jobs,
    }
}

/// Files of the data directory that are not a database's snapshot or log: temporary snapshots
/// (a crash before their rename) and logs without a snapshot (a crash while dropping).
pub fn leftovers(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut snapshots = HashSet::new();
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !name.starts_with("db_") {
            continue;
        }
        if let Some(stem) = name.strip_suffix(".json") {
            snapshots.insert(stem.to_string());
        } else {
            others.push((name, path));
        }
    }
    Ok(others
        .into_iter()
        .filter(|(name, _)| match name.strip_suffix(".log") {
            Some(stem) => !snapshots.contains(stem),
            None => name.ends_with(".json.tmp"),
        })
        .map(|(_, p)| p)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn frames_stop_at_a_torn_or_corrupt_record() {
        let mut log = frame(b"{\"a\":1}");
        log.extend(frame(b"{\"b\":2}"));
        let whole = log.len();
        let (f, n) = read_frames(&log);
        assert_eq!((f.len(), n), (2, whole));
        // torn: the last record is cut anywhere
        for cut in 1..frame(b"{\"b\":2}").len() {
            let (f, n) = read_frames(&log[..whole - cut]);
            assert_eq!(f.len(), 1, "cut {cut}");
            assert_eq!(n, frame(b"{\"a\":1}").len());
        }
        // corrupt: a flipped payload byte fails the checksum
        let mut bad = log.clone();
        let last = bad.len() - 2;
        bad[last] ^= 1;
        assert_eq!(read_frames(&bad).0.len(), 1);
        // an absurd length is a torn record, not a panic
        let mut huge = log.clone();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0, 0, 0, 0, 1]);
        assert_eq!(read_frames(&huge).0.len(), 2);
    }
}
