//! The sync checkpoint: `<state_dir>/sync-state.json`, the single source of truth for "what is
//! in StarRocks" from the engine's point of view.
//!
//! Invariant: the file on disk is always a complete, parseable state that is *behind or equal
//! to* what StarRocks holds, never ahead of it, except for `pending_commit`, which names
//! transactions that are PREPARED in StarRocks and must be committed before anything else
//! happens. It holds because
//! - a write is atomic: temp file in the same directory, `fsync`, `rename` over the old file,
//!   `fsync` of the directory (a crash leaves the old or the new file, never a torn one);
//! - the engine writes a position only after every transaction covering the data before it is
//!   PREPARED (row counts verified), and lists those labels in `pending_commit` in the same write;
//!   it clears `pending_commit` only after each of them is COMMITTED/VISIBLE.
//!
//! The format is versioned (`"version": 1`); a test pins a literal v1 file. The file names hosts
//! (never passwords) and is created with mode 0600.

use super::position::{BinlogPosition, PositionMark};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "sync-state.json";
/// Version 2 adds the label namespace, the job and source identity, the GTID position, the
/// captured tables' schemas and the counters; version 1 files load (no namespace: their labels
/// keep the version 1 form, so a running job's labels never change under it).
pub const VERSION: u32 = 2;

/// Whole checkpoint. Keys of `tables` are target `db.table`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// Job id (see [`super::batch::job_id`]); part of every label.
    pub job: String,
    /// Label namespace: chosen when the checkpoint is created (a fresh start, `--reset`) and
    /// renewed when the source history changes (a failover): labels are unique per history,
    /// not only per position. Empty in version 1 checkpoints (labels without it).
    #[serde(default)]
    pub namespace: String,
    /// Free text for humans: source and target endpoints (no secrets).
    #[serde(default)]
    pub description: String,
    /// What the positions belong to: the source server and its binlog history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceHistory>,
    /// What `binlog` is in the source's history (file creation time, the event ending there,
    /// the MariaDB GTID position): a replaced history is detected at start, and a failover
    /// resumes by GTID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<PositionMark>,
    /// A source DDL whose target changes (ALTER on StarRocks) are being applied: set before the
    /// first ALTER, cleared with the checkpoint after the DDL. A restart that finds it knows the
    /// targets may already be ahead of `tables.*.schema` (the DDL is replayed, idempotently).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_change: Option<String>,
    /// Target tables (`db.table`) to truncate before anything else (a reset in progress).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncate_pending: Vec<String>,
    pub tables: BTreeMap<String, TableState>,
    /// End of the last fully loaded source transaction (binlog phase); None before the first
    /// snapshot finished.
    pub binlog: Option<BinlogPosition>,
    /// Epoch counter: one per consistent snapshot view ever opened by this job.
    #[serde(default)]
    pub last_epoch: u32,
    /// Transactions PREPARED in StarRocks whose commit may not have happened yet.
    #[serde(default)]
    pub pending_commit: Vec<PendingLabel>,
    /// DELETEs of tables without a key (`sync::nokey`) recorded with the batch: each runs
    /// before its label commits (again after a crash, while the label is still PREPARED).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_deletes: Vec<PendingDelete>,
}

/// `DELETE FROM db.table WHERE <each of wheres>` (each removes every copy of one row image),
/// to run before `before_label` commits; None: the batch loaded nothing for the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDelete {
    pub db: String,
    pub table: String,
    pub wheres: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableState {
    pub snapshot: SnapshotStatus,
    /// Progress of a snapshot in flight (None when none started or done).
    #[serde(default)]
    pub progress: Option<SnapshotProgress>,
    /// The source tables' schemas as of `binlog` (evolved by the DDL the binlog carries): rows
    /// are decoded with the schema in force at their position, whether smt was running or not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema: Vec<crate::schema::TableDesc>,
    /// Changes of a table without a key that the target could not take and were skipped
    /// (`sync_duplicate_key_changes = skip`), counted over the job's life.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_changes: u64,
    /// Rows StarRocks refused that went to `<db>.smt_quarantine` (sync_reject_policy =
    /// quarantine), counted over the job's life.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub quarantined: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The source server a checkpoint's positions belong to. A position means nothing on another
/// server, or on the same server after `RESET MASTER`: smt checks these at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHistory {
    /// `@@server_id`.
    pub server_id: u32,
    /// MySQL `@@server_uuid` (None on MariaDB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_uuid: Option<String>,
    /// MariaDB `@@gtid_domain_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtid_domain_id: Option<u32>,
    /// `host:port` the job read it from (for messages).
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SnapshotStatus {
    Pending,
    /// Snapshot complete; binlog changes of transactions ending after `position` apply.
    Done {
        position: BinlogPosition,
        epoch: u32,
        /// What `position` is in the source's history (absent in version 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mark: Option<PositionMark>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotProgress {
    /// Epoch (view) the committed chunks were read in (the last one that committed).
    pub epoch: u32,
    /// The binlog position of the view the FIRST committed chunk was read in: the position the
    /// table's binlog replay must start from (PK tables resume in later epochs and keep it).
    pub position: BinlogPosition,
    /// What `position` is in the source's history (absent in version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<PositionMark>,
    /// Chunks committed (across epochs).
    pub chunks: u64,
    /// Rows committed (across epochs), for progress bars.
    #[serde(default)]
    pub rows: u64,
    /// Index into the target's sorted source list of the source being read.
    #[serde(default)]
    pub source: usize,
    /// Key of the last committed row of `source` (JSON, see key_to_json), None = from the start.
    #[serde(default)]
    pub last_key: Option<serde_json::Value>,
    /// The key ranges the table is read in (several readers at once; each range is the unit of
    /// resume). Empty in checkpoints written before ranges: `source`/`last_key` are the cursor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<RangeProgress>,
}

/// One key range of a table's snapshot: the rows of source `source` whose first key column is
/// in `[lo, hi)` (None = unbounded), read in key order; `last_key` = the last committed key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeProgress {
    pub source: usize,
    #[serde(default)]
    pub lo: Option<serde_json::Value>,
    #[serde(default)]
    pub hi: Option<serde_json::Value>,
    #[serde(default)]
    pub last_key: Option<serde_json::Value>,
    #[serde(default)]
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLabel {
    pub db: String,
    pub table: String,
    pub label: String,
    /// When the transaction was prepared (Unix seconds): lets a restart tell a label StarRocks
    /// has since cleaned up after our commit from one it aborted (see `sink`). Absent in
    /// checkpoints written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepared_at: Option<u64>,
}

impl State {
    pub fn new(job: impl Into<String>, description: impl Into<String>) -> Self {
        State {
            version: VERSION,
            job: job.into(),
            namespace: new_namespace(),
            description: description.into(),
            source: None,
            mark: None,
            schema_change: None,
            truncate_pending: Vec::new(),
            tables: BTreeMap::new(),
            binlog: None,
            last_epoch: 0,
            pending_commit: Vec::new(),
            pending_deletes: Vec::new(),
        }
    }

    /// What labels start with: the job id, and the namespace when there is one (version 1
    /// checkpoints have none).
    pub fn label_prefix(&self) -> String {
        if self.namespace.is_empty() {
            self.job.clone()
        } else {
            format!("{}{}", self.job, self.namespace)
        }
    }

    /// Start a new label namespace (a new source history): labels used from now on cannot
    /// collide with any label of an earlier history.
    pub fn renew_namespace(&mut self) {
        let old = self.namespace.clone();
        while self.namespace == old {
            self.namespace = new_namespace();
        }
    }

    pub fn table(&self, key: &str) -> Option<&TableState> {
        self.tables.get(key)
    }

    pub fn table_mut(&mut self, key: &str) -> &mut TableState {
        self.tables.entry(key.to_string()).or_insert(TableState {
            snapshot: SnapshotStatus::Pending,
            progress: None,
            schema: Vec::new(),
            skipped_changes: 0,
            quarantined: 0,
        })
    }

    /// Where the binlog phase of `tables` (target keys) starts, with what that position is: the
    /// checkpoint position, else the lowest snapshot position of a table done or begun.
    pub fn resume_point(
        &self,
        tables: &[String],
    ) -> Option<(BinlogPosition, Option<PositionMark>)> {
        if let Some(b) = &self.binlog {
            return Some((b.clone(), self.mark.clone()));
        }
        tables
            .iter()
            .filter_map(|k| {
                let t = self.tables.get(k)?;
                match (&t.snapshot, &t.progress) {
                    (SnapshotStatus::Done { position, mark, .. }, _) => {
                        Some((position.clone(), mark.clone()))
                    }
                    // A table begun (snapshot rounds): its replay starts at its first view.
                    (_, Some(p)) => Some((p.position.clone(), p.mark.clone())),
                    _ => None,
                }
            })
            .min_by(|a, b| a.0.cmp(&b.0))
    }

    pub fn is_done(&self, key: &str) -> bool {
        matches!(
            self.tables.get(key).map(|t| &t.snapshot),
            Some(SnapshotStatus::Done { .. })
        )
    }
}

/// A label namespace: 6 lowercase hex digits. Chosen once and stored in the checkpoint before
/// any label uses it, so retries and restarts read it back (labels stay deterministic); it only
/// has to differ from the namespaces of earlier histories of the job.
fn new_namespace() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos}:{}", std::process::id());
    format!("{:06x}", super::batch::fnv1a64(seed.as_bytes()) >> 40)
}

/// The checkpoint file of one state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Ok(None) when there is no checkpoint yet (a fresh job).
    pub fn load(&self) -> anyhow::Result<Option<State>> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(crate::error::fail(
                    crate::error::Kind::Sync,
                    format!("cannot read the checkpoint {}: {e}", path.display()),
                ))
            }
        };
        parse(&text).map(Some).map_err(|e| {
            crate::error::fail(
                crate::error::Kind::Sync,
                format!(
                    "the checkpoint {} is not valid: {e}. Restore it from a backup, or start \
                     over with `smt sync --reset` (truncates the targets and takes a fresh \
                     snapshot)",
                    path.display()
                ),
            )
        })
    }

    /// Atomic, durable write (temp + fsync + rename + fsync dir), mode 0600. A failure is a
    /// local-environment error (exit 8): the state directory cannot be written.
    pub fn save(&self, state: &State) -> anyhow::Result<()> {
        self.save_inner(state).map_err(|e| {
            crate::error::fail(
                crate::error::Kind::Local,
                format!(
                    "cannot write the checkpoint in {}: {e:#}; check the state directory \
                     (--state-dir) and its permissions",
                    self.dir.display()
                ),
            )
        })
    }

    fn save_inner(&self, state: &State) -> anyhow::Result<()> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the state directory {}", self.dir.display()))?;
        let text = serde_json::to_string_pretty(state).context("serialising the checkpoint")?;
        let tmp = self.dir.join(format!("{FILE_NAME}.tmp"));
        {
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts
                .open(&tmp)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.write_all(b"\n"))
                .and_then(|_| f.sync_all())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
        }
        let path = self.path();
        fs::rename(&tmp, &path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
        #[cfg(unix)]
        {
            let d = fs::File::open(&self.dir)
                .with_context(|| format!("cannot open {}", self.dir.display()))?;
            d.sync_all()
                .with_context(|| format!("cannot fsync {}", self.dir.display()))?;
        }
        Ok(())
    }
}

/// Parse a checkpoint text, checking the version.
pub fn parse(text: &str) -> Result<State, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match v.get("version").and_then(|v| v.as_u64()) {
        Some(1) | Some(2) => {}
        Some(n) => {
            return Err(format!(
                "checkpoint version {n} is not supported by this smt (knows version {VERSION})"
            ))
        }
        None => return Err("no \"version\" field".into()),
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A literal v1 file. If this test fails, the format changed: bump VERSION and keep a reader
    /// for version 1.
    const V1: &str = r#"{
  "version": 1,
  "job": "a1b2c3d4",
  "description": "source 127.0.0.1:3306 -> target 127.0.0.1:8030",
  "tables": {
    "db1.t_done": {
      "snapshot": { "status": "done", "position": { "file": "mysql-bin.000003", "pos": 1234 }, "epoch": 1 },
      "progress": null
    },
    "db1.t_flight": {
      "snapshot": { "status": "pending" },
      "progress": { "epoch": 2, "position": { "file": "mysql-bin.000003", "pos": 99 }, "chunks": 7,
                    "rows": 7000, "source": 1, "last_key": [42, "x"] }
    }
  },
  "binlog": { "file": "mysql-bin.000004", "pos": 4 },
  "last_epoch": 2,
  "pending_commit": [ { "db": "db1", "table": "t_done", "label": "smt_a1b2c3d4_0011aabb_b_4_4" } ]
}"#;

    #[test]
    fn literal_v1_loads() {
        let s = parse(V1).unwrap();
        assert_eq!(s.job, "a1b2c3d4");
        assert_eq!(
            s.tables["db1.t_done"].snapshot,
            SnapshotStatus::Done {
                position: BinlogPosition::new("mysql-bin.000003", 1234),
                epoch: 1,
                mark: None,
            }
        );
        let p = s.tables["db1.t_flight"].progress.as_ref().unwrap();
        assert_eq!(p.chunks, 7);
        assert_eq!(p.source, 1);
        assert_eq!(p.last_key, Some(serde_json::json!([42, "x"])));
        assert_eq!(s.binlog, Some(BinlogPosition::new("mysql-bin.000004", 4)));
        assert_eq!(s.pending_commit[0].label, "smt_a1b2c3d4_0011aabb_b_4_4");
        assert_eq!(s.last_epoch, 2);
    }

    /// A literal v2 file (namespace, source history, GTID position, schema, counters). If this
    /// test fails, the format changed: bump VERSION and keep a reader for version 2.
    const V2: &str = r#"{
  "version": 2,
  "job": "a1b2c3d4e5f6",
  "namespace": "0a1b2c",
  "description": "source 127.0.0.1:3306 -> StarRocks 127.0.0.1:8030",
  "source": { "server_id": 1, "gtid_domain_id": 0, "address": "127.0.0.1:3306" },
  "mark": { "file_created": 1790000000, "event": { "start": 1200, "timestamp": 1790000100, "server_id": 1, "type_code": 16 }, "gtid": "0-1-42" },
  "tables": {
    "db1.t": {
      "snapshot": { "status": "done", "position": { "file": "mysql-bin.000003", "pos": 1234 }, "epoch": 1 },
      "progress": null,
      "schema": [ { "database": "db1", "name": "t", "columns": [], "keys": [], "comment": "", "data_length": 0 } ],
      "skipped_changes": 3
    }
  },
  "binlog": { "file": "mysql-bin.000004", "pos": 4 },
  "last_epoch": 1,
  "pending_commit": []
}"#;

    #[test]
    fn literal_v2_loads() {
        let s = parse(V2).unwrap();
        assert_eq!(s.label_prefix(), "a1b2c3d4e5f60a1b2c");
        let m = s.mark.as_ref().unwrap();
        assert_eq!(m.gtid.as_deref(), Some("0-1-42"));
        assert_eq!((m.file_created, m.event.unwrap().start), (1790000000, 1200));
        assert_eq!(s.source.as_ref().unwrap().server_id, 1);
        assert_eq!(s.source.as_ref().unwrap().gtid_domain_id, Some(0));
        let t = &s.tables["db1.t"];
        assert_eq!(t.schema[0].name, "t");
        assert_eq!(t.skipped_changes, 3);
        // A version 1 file has no namespace: its labels keep the version 1 form.
        assert_eq!(parse(V1).unwrap().label_prefix(), "a1b2c3d4");
    }

    #[test]
    fn namespaces_are_new_and_renewable() {
        let mut s = State::new("job", "");
        assert_eq!(s.namespace.len(), 6);
        let before = s.label_prefix();
        s.renew_namespace();
        assert_ne!(s.label_prefix(), before);
        assert!(s.label_prefix().starts_with("job"));
    }

    #[test]
    fn minimal_v1_loads_with_defaults() {
        let s = parse(r#"{"version":1,"job":"j","tables":{},"binlog":null}"#).unwrap();
        assert!(s.pending_commit.is_empty());
        assert_eq!(s.last_epoch, 0);
    }

    #[test]
    fn other_versions_rejected() {
        let e = parse(r#"{"version":3,"job":"j","tables":{},"binlog":null}"#).unwrap_err();
        assert!(e.contains("version 3"), "{e}");
        assert!(parse(r#"{"job":"j"}"#).unwrap_err().contains("version"));
    }

    #[test]
    fn save_load_round_trip_atomic_0600() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("state"));
        assert!(store.load().unwrap().is_none());
        let mut s = parse(V1).unwrap();
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap().unwrap(), s);
        s.binlog = Some(BinlogPosition::new("mysql-bin.000009", 77));
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap().unwrap(), s);
        // No temp file left behind.
        let names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![FILE_NAME.to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn torn_temp_file_does_not_affect_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let s = parse(V1).unwrap();
        store.save(&s).unwrap();
        // A crash mid-write leaves a partial temp file: the real file is untouched.
        fs::write(
            dir.path().join(format!("{FILE_NAME}.tmp")),
            "{\"version\":1,\"jo",
        )
        .unwrap();
        assert_eq!(store.load().unwrap().unwrap(), s);
        store.save(&s).unwrap();
        assert_eq!(store.load().unwrap().unwrap(), s);
    }

    #[test]
    fn corrupt_file_is_a_sync_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        fs::write(store.path(), "not json").unwrap();
        let e = store.load().unwrap_err();
        assert_eq!(crate::error::exit_code_of(&e), 7);
        assert!(format!("{e}").contains("smt sync --reset"));
    }
}
