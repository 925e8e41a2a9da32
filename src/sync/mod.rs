//! `smt sync`: consistent snapshot + binlog into StarRocks, exactly once.
//! Source side (position, cell, value, binlog, snapshot) and engine side (checkpoint, batch,
//! sink, engine, status, flink). [`run`] wires them: preflight,
//! then [`engine::Engine`] over the real source (MySQL/MariaDB) and target (Stream Load).
//!
//! Operation, in short:
//! - State: `<state_dir>/sync-state.json` (default `<output_dir>/sync-state`, `--state-dir`),
//!   see [`checkpoint`]; `sync.lock` keeps a second process off the same state. Delete the state
//!   directory (and truncate the targets) to start over with a fresh snapshot.
//! - Preflight: binlog ROW/FULL + privileges on the source, FE (MySQL port) and Stream Load (HTTP)
//!   reachable, target tables present (missing ones are created with `smt apply`'s code), the
//!   checkpoint's binlog position still on the server.
//! - Snapshot of every table not yet done (one consistent view; chunk = one StarRocks
//!   transaction of at most `sink.buffer-flush.max-rows` rows), then the binlog from the lowest
//!   table position; batches flush at transaction boundaries on `sink.buffer-flush.max-rows`,
//!   `max-bytes` or `interval-ms` (sync default 500 ms). Every load is a transaction with a
//!   deterministic label (see [`batch`]) committed only after the checkpoint records it.
//! - `--until-caught-up` exits 0 once everything up to the server's position is committed;
//!   `--snapshot-only` after the snapshot; SIGINT/SIGTERM finish the batch, checkpoint, exit 0.
//! - Schema changes: ADD/DROP of non-key columns on a replicated table are followed while
//!   running (re-introspect, re-plan, `ALTER TABLE` on StarRocks, continue after the DDL); at
//!   start, a target whose columns differ from the plan is a stop (the DDL happened while smt was
//!   not running; older events cannot be decoded with today's schema).
//! - Stops (exit 7) with a message when a human must act: other DDL on a replicated table, an
//!   UPDATE/DELETE on a DUPLICATE KEY target (unless `[other] sync_skip_duplicate_key_changes`),
//!   a purged checkpoint position, a prepared transaction StarRocks lost, a checkpoint behind the
//!   target.

pub mod binlog;
pub mod cell;
pub mod position;
pub mod snapshot;
pub mod value;

pub mod batch;
pub mod checkpoint;
pub mod engine;
pub mod flink;
pub mod gtid;
pub mod sink;
pub mod status;

use crate::cli::SyncArgs;
use crate::config::{Config, Secret, SourceConfig};
use crate::error::{fail, Kind};
use crate::plan::{Plan, TablePlan};
use crate::starrocks::fe::{FeClient, FeEndpoint};
use crate::starrocks::stream_load::{HttpEndpoint, StreamLoadClient, Timeouts};
use binlog::{BinlogReader, ReaderOptions};
use engine::{
    Admin, ChangeStream, FlushLimits, Options, SnapChunk, SnapshotReader, Source, Target,
};
use position::BinlogPosition;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use value::TimeZoneSpec;

/// Entry point of `smt sync` (the lead's CLI wiring calls this). Ok(exit code).
pub fn run(config: &Config, plan: &Plan, args: &SyncArgs) -> anyhow::Result<u8> {
    let job = Job::from_config(config, plan, args)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())
            .map_err(|e| anyhow::anyhow!("cannot install the signal handler: {e}"))?;
    }
    let opts = Options {
        until_caught_up: args.until_caught_up,
        snapshot_only: args.snapshot_only,
        stop,
        status_interval: Duration::from_secs(args.status_interval.max(1)),
        skip_dup_changes: job.skip_dup_changes,
        ..Options::default()
    };
    let outcome = job.run(opts)?;
    tracing::info!(?outcome, "sync finished");
    Ok(0)
}

/// Everything `smt sync` needs, resolved from the config and the plan.
pub struct Job {
    /// The whole config (re-planning after a source schema change).
    pub config: Config,
    pub source: SourceConfig,
    /// The planned tables, each with its rule's options and its source descriptions.
    pub captures: Vec<TablePlan>,
    pub fe: FeEndpoint,
    pub http: HttpEndpoint,
    pub state_dir: PathBuf,
    pub skip_dup_changes: bool,
    /// Reader tunables (tests shorten them).
    pub reader: ReaderOptions,
    /// Rows per snapshot chunk.
    pub chunk_rows: usize,
}

impl Job {
    pub fn from_config(config: &Config, plan: &Plan, args: &SyncArgs) -> anyhow::Result<Job> {
        if let crate::config::SourceKind::Dump(path) = &config.source.kind {
            return Err(fail(
                Kind::Config,
                format!(
                    "smt sync needs a live source server, but the config reads the schema dump {} \
                     ([db] type = dump / dump_file, or --dump): set [db] type = mysql with host, \
                     port, user and password",
                    path.display()
                ),
            ));
        }
        let captures = plan
            .tables()
            .map(capture)
            .collect::<anyhow::Result<Vec<_>>>()?;
        if captures.is_empty() {
            return Err(fail(
                Kind::Plan,
                "no table to sync: no rule matched a source table (check [table-rule.N] database/table regexes)",
            ));
        }
        let fe = crate::apply::resolve_fe(config, args.fe.as_deref())?;
        let http = resolve_http(config, args.load_url.as_deref())?;
        let state_dir = args
            .state_dir
            .clone()
            .unwrap_or_else(|| config.other.output_dir.join("sync-state"));
        Ok(Job {
            config: config.clone(),
            source: config.source.clone(),
            captures,
            fe,
            http,
            state_dir,
            skip_dup_changes: config.other.sync_skip_duplicate_key_changes,
            reader: ReaderOptions::default(),
            chunk_rows: 50_000,
        })
    }

    /// Job id: see `batch` (source, target load-url, canonical state dir).
    pub fn job_id(&self) -> String {
        let dir = std::fs::canonicalize(&self.state_dir).unwrap_or_else(|_| self.state_dir.clone());
        batch::job_id(
            &format!("{}:{}", self.source.host, self.source.port),
            &self.http.to_string(),
            &dir.display().to_string(),
        )
    }

    /// Preflight, then run the engine.
    pub fn run(&self, mut opts: Options) -> anyhow::Result<engine::Outcome> {
        opts.chunk_rows = self.chunk_rows;
        let _lock = StateLock::acquire(&self.state_dir)?;
        // Source: what it is, binlog settings and privileges.
        let mut conn = crate::source::connect(&self.source)?;
        let server = crate::source::probe(&mut conn)?;
        if let Err(problems) = crate::source::check_binlog_settings(&mut conn) {
            return Err(fail(
                Kind::Source,
                format!(
                    "the source {}:{} is not ready for replication:\n  - {}",
                    self.source.host,
                    self.source.port,
                    problems.join("\n  - ")
                ),
            ));
        }
        let tz = crate::source::time_zone(&server, self.source.time_zone.as_deref())?;

        // Target: FE (MySQL protocol) and tables.
        let mut fe = FeClient::connect_to(&self.fe, Duration::from_secs(30))?;
        let mut missing = Vec::new();
        for c in &self.captures {
            let (db, t) = (&c.target_database, &c.target_table);
            match fe.table_exists(db, t) {
                Ok(true) => {}
                Ok(false) => missing.push(format!("{db}.{t}")),
                Err(e) => {
                    return Err(fail(
                        Kind::Target,
                        format!(
                            "cannot check the target table {db}.{t} on {}: {e}",
                            fe.address()
                        ),
                    ))
                }
            }
        }
        if !missing.is_empty() {
            // Create them with the same code `smt apply` uses.
            tracing::info!(tables = %missing.join(", "), "creating missing target tables");
            let plan = Plan {
                rules: vec![crate::plan::RulePlan::new(
                    std::sync::Arc::new(crate::config::RuleConfig::named("sync")),
                    self.captures
                        .iter()
                        .filter(|c| {
                            missing.contains(&format!("{}.{}", c.target_database, c.target_table))
                        })
                        .cloned()
                        .collect(),
                )],
                ..Plan::default()
            };
            let stmts = crate::render::starrocks_statements(&plan);
            let report = crate::apply::run(
                &stmts,
                Some(&plan),
                &mut fe,
                &crate::apply::ApplyOptions::default(),
            );
            if let Some(e) = report.failure() {
                return Err(e.context(format!(
                    "creating the missing target tables {} failed",
                    missing.join(", ")
                )));
            }
        }
        check_target_shapes(&mut fe, &self.captures)?;
        let admin = FeAdmin(Mutex::new(fe));

        // Target: HTTP (Stream Load).
        let client = StreamLoadClient::new(
            self.http.clone(),
            self.fe.user.clone(),
            self.fe.password.clone(),
            Timeouts::default(),
        );
        let probe_db = &self.captures[0].target_database;
        if let Err(e) = client.label_state(probe_db, "smt_preflight_probe") {
            return Err(fail(
                Kind::Target,
                format!(
                    "cannot reach StarRocks Stream Load at {} ({e}): check --load-url or \
                     flink.starrocks.load-url (the FE http port, default 8030)",
                    self.http
                ),
            ));
        }
        let loader: Arc<dyn sink::Loader> = Arc::new(client);

        // Checkpoint position still on the server?
        let store = checkpoint::Store::new(&self.state_dir);
        if let Some(state) = store.load()? {
            if let Some(pos) = &state.binlog {
                if !crate::source::position_exists(&mut conn, pos)? {
                    return Err(fail(
                        Kind::Sync,
                        format!(
                            "the checkpoint position {pos} is no longer in the source's binary \
                             logs (purged): the changes since then are lost to replication. \
                             Truncate the target tables, delete the state directory {} and run \
                             smt sync again for a fresh snapshot; keep binlogs longer \
                             (binlog_expire_logs_seconds) to avoid this",
                            self.state_dir.display()
                        ),
                    ));
                }
            }
        }
        drop(conn);

        let mut targets = Vec::new();
        for c in &self.captures {
            targets.push(Target {
                plan: c.clone(),
                spec: batch::BodySpec::new(c),
                loader: loader.clone(),
                limits: flush_limits(&c.rule_config.sink),
            });
        }
        let job = self.job_id();
        let server_id = 1_000_000 + (batch::fnv1a64(job.as_bytes()) % 1_000_000_000) as u32;
        let mut source = MysqlSource {
            config: self.config.clone(),
            src: self.source.clone(),
            captures: self.captures.clone(),
            tz,
            server,
            server_id,
            reader: self.reader.clone(),
        };
        let description = format!(
            "source {}:{} -> StarRocks {} (FE {}:{})",
            self.source.host, self.source.port, self.http, self.fe.host, self.fe.port
        );
        let mut eng = engine::Engine::new(
            targets,
            store,
            &job,
            &description,
            opts,
            &mut source,
            &admin,
        )?;
        eng.run()
    }
}

/// Each target table must have the planned columns (names and types; order and nullability
/// aside). A difference means the source schema changed while smt was not running (or the table
/// was changed by hand): binlog events from before that DDL cannot be decoded with today's
/// schema, so this is a stop, never a guess. A SHOW CREATE TABLE smt cannot parse is skipped.
fn check_target_shapes(fe: &mut FeClient, captures: &[TablePlan]) -> anyhow::Result<()> {
    use crate::starrocks::show_create;
    for c in captures {
        let (db, t) = (&c.target_database, &c.target_table);
        let text = match fe.show_create_table(db, t) {
            Ok(Some(text)) => text,
            Ok(None) => continue,
            Err(e) => {
                return Err(fail(
                    Kind::Target,
                    format!("SHOW CREATE TABLE {db}.{t} failed: {e}"),
                ))
            }
        };
        let existing = match show_create::parse_create_table(&text) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(table = %format!("{db}.{t}"), "cannot parse SHOW CREATE TABLE ({e}); column check skipped");
                continue;
            }
        };
        let changes: Vec<String> = crate::compat::diff(&existing, &crate::compat::shape_of_plan(c))
            .iter()
            .filter(|ch| !ch.is_cosmetic())
            .map(|ch| ch.to_string())
            .collect();
        if !changes.is_empty() {
            return Err(fail(
                Kind::Sync,
                format!(
                    "the StarRocks table {db}.{t} does not match the source's current schema \
                     ({}). \
                     The source schema changed while smt sync was not running, or the table was \
                     changed by hand; binlog events from before that change cannot be decoded \
                     with today's schema. If the checkpoint is already past the change, alter \
                     the StarRocks table to match (see `smt generate` output); otherwise \
                     truncate the target tables, delete the state directory and run smt sync \
                     again for a fresh snapshot",
                    changes.join("; ")
                ),
            ));
        }
    }
    Ok(())
}

/// A planned table ready to capture: every source has its description (the plan carries them).
fn capture(tp: &TablePlan) -> anyhow::Result<TablePlan> {
    if tp.source_tables.len() != tp.sources.len() {
        return Err(fail(
            Kind::Plan,
            format!(
                "internal: the plan of {} lacks descriptions of its source tables",
                tp.target_name()
            ),
        ));
    }
    Ok(tp.clone())
}

/// The FE http endpoint: `--load-url`, else the rules' `flink.starrocks.load-url` (first host;
/// rules that set one must agree).
fn resolve_http(config: &Config, flag: Option<&str>) -> anyhow::Result<HttpEndpoint> {
    if let Some(f) = flag {
        return crate::config::target::parse_flag(f, 8030)
            .map_err(|e| fail(Kind::Config, format!("--load-url {f:?}: {e}")));
    }
    let http = config.cluster().http.map_err(|e| fail(Kind::Config, e))?;
    http.first().cloned().ok_or_else(|| {
        fail(
            Kind::Config,
            "no StarRocks http endpoint: set flink.starrocks.load-url in a rule or pass --load-url host:8030",
        )
    })
}

/// `sink.buffer-flush.{max-rows,max-bytes,interval-ms}` of a rule (sync defaults: 500000 rows,
/// 64 MiB, 500 ms — short, since latency matters for replication: p99 commit→visible < 1 s in
/// scripts/bench-binlog.sh; raise it for fewer, larger loads).
pub fn flush_limits(sink: &crate::config::SinkOptions) -> FlushLimits {
    let d = FlushLimits::default();
    let f = &sink.flush;
    FlushLimits {
        max_rows: f.max_rows.map_or(d.max_rows, |n| n.max(1) as usize),
        max_bytes: f.max_bytes.map_or(d.max_bytes, |n| n.max(1) as usize),
        interval: f.interval_ms.map_or(d.interval, Duration::from_millis),
    }
}

/// One `smt sync` per state directory: `<state_dir>/sync.lock` holds the owner's pid. A lock
/// whose pid no longer runs (a crash, SIGKILL) is taken over. Two processes writing one
/// checkpoint would break exactly-once, so a live owner is a stop.
struct StateLock(PathBuf);

impl StateLock {
    fn acquire(dir: &std::path::Path) -> anyhow::Result<StateLock> {
        std::fs::create_dir_all(dir).map_err(|e| {
            fail(
                Kind::Local,
                format!("cannot create the state directory {}: {e}", dir.display()),
            )
        })?;
        let path = dir.join("sync.lock");
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(pid) = text.trim().parse::<u32>() {
                let alive = pid != std::process::id()
                    && std::path::Path::new(&format!("/proc/{pid}")).exists();
                if alive {
                    return Err(fail(
                        Kind::Sync,
                        format!(
                            "another smt sync (pid {pid}) uses the state directory {}: stop it \
                             first (two writers of one checkpoint would duplicate data), or \
                             delete {} if that process is not smt",
                            dir.display(),
                            path.display()
                        ),
                    ));
                }
            }
        }
        std::fs::write(&path, format!("{}\n", std::process::id()))
            .map_err(|e| fail(Kind::Local, format!("cannot write {}: {e}", path.display())))?;
        Ok(StateLock(path))
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// TRUNCATE on the FE.
struct FeAdmin(Mutex<FeClient>);

impl Admin for FeAdmin {
    fn truncate(&self, db: &str, table: &str) -> anyhow::Result<()> {
        let mut fe = self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("FE connection poisoned"))?;
        let sql = format!(
            "TRUNCATE TABLE {}",
            crate::ident::quote_qualified(db, table)
        );
        fe.exec(&sql)
            .map_err(|e| fail(Kind::Target, format!("{sql} failed: {e}")))
    }
    fn alter(&self, db: &str, table: &str, sql: &str) -> anyhow::Result<()> {
        let mut fe = self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("FE connection poisoned"))?;
        fe.alter_and_wait(db, table, sql, Duration::from_secs(3600))
            .map_err(|e| fail(Kind::Target, format!("{sql} failed: {e}")))
    }
}

/// The real source: MySQL/MariaDB snapshots and binlog.
struct MysqlSource {
    config: Config,
    src: SourceConfig,
    captures: Vec<TablePlan>,
    tz: TimeZoneSpec,
    server: crate::source::ServerInfo,
    server_id: u32,
    reader: ReaderOptions,
}

impl Source for MysqlSource {
    fn snapshot(&mut self) -> anyhow::Result<(Box<dyn SnapshotReader>, BinlogPosition)> {
        let (snap, pos) = snapshot::Snapshot::begin(&self.src, &self.server)?;
        Ok((
            Box::new(SnapAdapter {
                snap,
                captures: self.captures.clone(),
                tz: self.tz.clone(),
            }),
            pos,
        ))
    }
    fn binlog(&mut self, from: &BinlogPosition) -> anyhow::Result<Box<dyn ChangeStream>> {
        let r = BinlogReader::open_with(
            &self.src,
            self.server_id,
            from,
            self.captures.clone(),
            &self.tz,
            self.reader.clone(),
        )?;
        Ok(Box::new(ReaderAdapter(r)))
    }
    fn refresh(&mut self, current: &[TablePlan]) -> anyhow::Result<Option<Vec<TablePlan>>> {
        let config = &self.config;
        let want_db = |db: &str| config.wants_database(db);
        let intro = crate::schema::introspect::introspect(&self.src, &want_db)?;
        let plan = crate::plan::build(&self.config, &intro.tables)
            .map_err(|e| anyhow::anyhow!("re-planning after the schema change: {e}"))?;
        let all: Vec<&TablePlan> = plan.rules.iter().flat_map(|r| r.tables.iter()).collect();
        let mut out = Vec::new();
        let mut caps = Vec::new();
        for c in current {
            let Some(n) = all.iter().find(|n| {
                n.target_database == c.target_database && n.target_table == c.target_table
            }) else {
                return Ok(None);
            };
            caps.push(capture(n)?);
            out.push((*n).clone());
        }
        self.captures = caps;
        Ok(Some(out))
    }
}

struct SnapAdapter {
    snap: snapshot::Snapshot,
    captures: Vec<TablePlan>,
    tz: TimeZoneSpec,
}

impl SnapshotReader for SnapAdapter {
    fn read_chunk(
        &mut self,
        target: usize,
        source: usize,
        after: Option<&serde_json::Value>,
        max_rows: usize,
    ) -> anyhow::Result<SnapChunk> {
        let ct = self
            .captures
            .get(target)
            .ok_or_else(|| anyhow::anyhow!("no target {target}"))?;
        let sref = ct
            .sources
            .get(source)
            .ok_or_else(|| anyhow::anyhow!("no source {source} of target {target}"))?
            .clone();
        let key = after.map(snapshot::key_from_json).transpose()?;
        let c = self
            .snap
            .read_chunk(ct, &sref, key.as_deref(), max_rows, &self.tz)?;
        Ok(SnapChunk {
            rows: c.rows,
            last_key: c.last_key.as_deref().map(snapshot::key_to_json),
            done: c.done,
            bytes: c.bytes,
        })
    }
    fn estimate_rows(&mut self, target: usize) -> anyhow::Result<u64> {
        let mut n = 0;
        if let Some(ct) = self.captures.get(target) {
            for s in &ct.sources {
                n += self.snap.estimate_rows(s)?;
            }
        }
        Ok(n)
    }
}

struct ReaderAdapter(BinlogReader);

impl ChangeStream for ReaderAdapter {
    fn next_event(&mut self) -> anyhow::Result<Option<binlog::SourceEvent>> {
        self.0.next_event()
    }
    fn server_position(&mut self) -> anyhow::Result<BinlogPosition> {
        self.0.server_position()
    }
}

/// A secret-free summary of a job for logs.
pub fn describe(job: &Job) -> String {
    let _: &Secret = &job.fe.password;
    format!(
        "{} table(s), source {}:{}, StarRocks {} / {}:{}, state {}",
        job.captures.len(),
        job.source.host,
        job.source.port,
        job.http,
        job.fe.host,
        job.fe.port,
        job.state_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_lock_refuses_a_live_owner_and_takes_over_a_dead_one() {
        let d = tempfile::tempdir().unwrap();
        // A live foreign pid: pid 1 always runs.
        std::fs::write(d.path().join("sync.lock"), "1\n").unwrap();
        let e = StateLock::acquire(d.path()).err().expect("locked");
        assert_eq!(crate::error::exit_code_of(&e), 7);
        // A dead pid is taken over; the lock is removed on drop.
        std::fs::write(d.path().join("sync.lock"), "4000000\n").unwrap();
        {
            let _l = StateLock::acquire(d.path()).unwrap();
            let pid = std::fs::read_to_string(d.path().join("sync.lock")).unwrap();
            assert_eq!(pid.trim(), std::process::id().to_string());
        }
        assert!(!d.path().join("sync.lock").exists());
    }

    #[test]
    fn flush_limits_from_rule_options() {
        let o = |v: &[(&str, &str)]| {
            let v: Vec<(String, String)> = v
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            crate::config::SinkOptions::from_options(&v)
        };
        let d = flush_limits(&o(&[]).unwrap());
        assert_eq!(
            (d.max_rows, d.max_bytes, d.interval),
            (500_000, 64 << 20, Duration::from_millis(500))
        );
        let l = flush_limits(
            &o(&[
                ("sink.buffer-flush.max-rows", "10"),
                ("sink.buffer-flush.max-bytes", "2048"),
                ("sink.buffer-flush.interval-ms", "250"),
            ])
            .unwrap(),
        );
        assert_eq!(
            (l.max_rows, l.max_bytes, l.interval),
            (10, 2048, Duration::from_millis(250))
        );
        // A bad value is a config error at load time (exit 2, with its line).
        assert!(o(&[("sink.buffer-flush.max-rows", "many")]).is_err());
    }
}
