//! `smt sync`: consistent snapshot + binlog into StarRocks, exactly once.
//! Source side (position, cell, value, binlog, snapshot) and engine side (checkpoint, batch,
//! sink, engine, status, flink). [`run`] wires them: preflight,
//! then [`engine::Engine`] over the real source (MySQL/MariaDB) and target (Stream Load).
//!
//! Operation, in short:
//! - State: `<state_dir>/sync-state.json` (default `<output_dir>/sync-state`, a relative
//!   `output_dir` resolved against the config file's directory; `--state-dir`), see
//!   [`checkpoint`]; `sync.lock` keeps a second process off the same state. The job id in every
//!   label comes from the source address, the target and the target tables (never the shell's
//!   directory); the label namespace from the checkpoint (new on a fresh start or `--reset`).
//! - Preflight ([`preflight`]): binlog ROW/FULL + privileges on the source; the checkpoint's
//!   position still in the same binlog history (file creation time, the event there, the
//!   MariaDB GTID position) — another server of the topology is followed by GTID (failover),
//!   a replaced history is a stop; FE (MySQL port) and Stream Load (HTTP) reachable; target
//!   tables present (missing ones are created with `smt apply`'s code) and shaped like the
//!   schema the checkpoint is at; no target holding rows the checkpoint does not account for.
//! - `--reset`: a new checkpoint (new label namespace) that first truncates every target
//!   (re-creating one whose shape no longer fits), then a fresh snapshot.
//! - Snapshot of every table not yet done (one consistent view; chunk = one StarRocks
//!   transaction of at most `sink.buffer-flush.max-rows` rows), then the binlog from the lowest
//!   table position; batches flush at transaction boundaries on `sink.buffer-flush.max-rows`,
//!   `max-bytes` or `interval-ms` (sync default 300 ms). Every load is a transaction with a
//!   deterministic label (see [`batch`]) committed only after the checkpoint records it.
//! - `--until-caught-up` exits 0 once everything up to the server's position is committed;
//!   `--snapshot-only` after the snapshot; SIGINT/SIGTERM finish the batch, checkpoint, exit 0.
//! - Schema history ([`ddl`]): each table's source schema is kept in the checkpoint and evolved
//!   by the DDL in the binlog, so rows are decoded with the schema in force at their position —
//!   DDL run while smt was stopped is replayed the same way. Target changes StarRocks can
//!   follow (add, drop non-key, widen) are applied with ALTER TABLE; TRUNCATE truncates the
//!   target (`[other] sync_follow_truncate`); anything else stops before the statement.
//! - Stops (exit 7) with a message when a human must act: a DDL StarRocks cannot follow, an
//!   UPDATE/DELETE on a DUPLICATE KEY target (unless `[other] sync_duplicate_key_changes` is
//!   `skip` or `exact`, see [`nokey`]),
//!   a purged or replaced binlog history, unaccounted target rows, a prepared transaction
//!   StarRocks lost, a checkpoint behind the target. Each names the remedy (`--reset` where
//!   starting over is the way).

pub mod binlog;
pub mod cell;
pub mod decode;
pub mod position;
pub mod snapshot;

pub mod batch;
pub mod checkpoint;
pub mod ddl;
pub mod engine;
pub mod flink;
pub mod gtid;
pub mod nokey;
pub mod preflight;
pub mod quarantine;
pub mod rowimage;
pub mod sink;
pub mod status;

use crate::cli::SyncArgs;
use crate::config::{Config, Secret, SourceConfig};
use crate::error::{fail, Kind};
use crate::plan::{Plan, TablePlan};
use crate::starrocks::fe::{FeClient, FeEndpoint};
use crate::starrocks::stream_load::{HttpEndpoint, StreamLoadClient, Timeouts};
use binlog::{BinlogReader, ReaderOptions};
use decode::TimeZoneSpec;
use engine::{
    Admin, ChangeStream, FlushLimits, Options, SnapChunk, SnapshotReader, Source, Target,
};
use position::{BinlogPosition, PositionMark};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Entry point of `smt sync` (the lead's CLI wiring calls this). Ok(exit code).
/// `replan`: the plan again from the source (after the source created tables the rules match).
pub fn run(
    config: &Config,
    plan: &Plan,
    args: &SyncArgs,
    replan: &dyn Fn() -> anyhow::Result<Plan>,
) -> anyhow::Result<u8> {
    let mut job = Job::from_config(config, plan, args)?;
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
        dup_changes: job.dup_changes,
        new_table: engine::TableMatcher(Some(Arc::new({
            let rules = config.rules.clone();
            move |db: &str, t: &str| rules.iter().any(|r| r.matches(db, t))
        }))),
        ..Options::default()
    };
    loop {
        let outcome = job.run(opts.clone())?;
        match &outcome {
            engine::Outcome::NewTables(tables) => tracing::warn!(
                tables = %tables.join(", "),
                "the source created tables the rules capture: planning again (they are snapshotted, and a merged target that gains a shard is read again)"
            ),
            engine::Outcome::Dropped(tables) => tracing::info!(
                tables = %tables.join(", "),
                "planning again without the targets whose source tables were dropped"
            ),
            _ => {
                tracing::info!(?outcome, "sync finished");
                return Ok(0);
            }
        }
        job = Job::from_config(config, &replan_settled(replan)?, args)?;
    }
}

/// Plan again once the source's schema has settled: MariaDB's information_schema leaves out
/// the columns of a table it cannot open while DDL on it is in flight (a shadow table being
/// altered right after its CREATE), which plans as "a table without columns". Such a failure
/// is asked again for a few seconds before it stands.
fn replan_settled(replan: &dyn Fn() -> anyhow::Result<Plan>) -> anyhow::Result<Plan> {
    let plan_failure = crate::error::Kind::Plan.exit_code();
    let mut tries = 0;
    loop {
        match replan() {
            Err(e) if tries < 20 && crate::error::exit_code_of(&e) == plan_failure => {
                tries += 1;
                tracing::debug!("planning again in 250 ms: {e:#}");
                std::thread::sleep(Duration::from_millis(250));
            }
            other => return other,
        }
    }
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
    /// `--reset`: start over (truncate the targets, new checkpoint, fresh snapshot).
    pub reset: bool,
    /// `[other] sync_duplicate_key_changes`.
    pub dup_changes: crate::config::DupChanges,
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
            .unwrap_or_else(|| preflight::default_state_dir(config));
        Ok(Job {
            config: config.clone(),
            source: config.source.clone(),
            captures,
            fe,
            http,
            state_dir,
            reset: args.reset,
            dup_changes: config.other.sync_duplicate_key_changes,
            reader: ReaderOptions::default(),
            chunk_rows: 50_000,
        })
    }

    /// Job id: see `batch` (source, target load-url, target tables).
    pub fn job_id(&self) -> String {
        let tables: Vec<String> = self.captures.iter().map(target_key).collect();
        batch::job_id(
            &format!("{}:{}", self.source.host, self.source.port),
            &self.http.to_string(),
            &tables,
        )
    }

    /// Preflight, then run the engine.
    pub fn run(&self, mut opts: Options) -> anyhow::Result<engine::Outcome> {
        opts.chunk_rows = self.chunk_rows;
        opts.follow_truncate = self.config.other.sync_follow_truncate;
        opts.quarantine = self.config.other.sync_quarantine;
        opts.snapshot_parallelism = self
            .config
            .other
            .sync_snapshot_parallelism
            .map(|n| n as usize)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .clamp(1, 16);
        let round = self.config.other.sync_snapshot_catch_up;
        opts.snapshot_round = (!round.is_zero()).then_some(round);
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
        let identity = crate::source::identity(&mut conn, &server)?;
        let job = self.job_id();
        let server_id = 1_000_000 + (batch::fnv1a64(job.as_bytes()) % 1_000_000_000) as u32;
        let description = format!(
            "source {}:{} -> StarRocks {} (FE {}:{})",
            self.source.host, self.source.port, self.http, self.fe.host, self.fe.port
        );

        // The checkpoint: the one on disk, or a new one (first start, --reset).
        let store = checkpoint::Store::new(&self.state_dir);
        let mut stale_pending = Vec::new();
        // --reset replaces a checkpoint that cannot even be read.
        let loaded = if self.reset {
            store.load().unwrap_or(None)
        } else {
            store.load()?
        };
        let mut state = match loaded {
            Some(s) if !self.reset => s,
            old => {
                let mut s = checkpoint::State::new(&job, &description);
                if self.reset {
                    s.truncate_pending = self.captures.iter().map(target_key).collect();
                    if let Some(o) = old {
                        stale_pending = o.pending_commit;
                    }
                    tracing::warn!(
                        tables = %s.truncate_pending.join(", "),
                        "--reset: the targets are truncated and snapshotted again"
                    );
                }
                s
            }
        };

        // Which schema each table is decoded with: the checkpoint's (DDL the binlog still
        // holds evolves it), else the source's current one.
        let captures = self.captures_at(&mut state)?;
        let keys: Vec<String> = captures.iter().map(target_key).collect();

        // The source history the checkpoint follows.
        let mut resume = preflight::Resume::Position;
        if let Some((pos, mark)) = state.resume_point(&keys) {
            resume = preflight::check_history(
                &mut conn,
                &self.source,
                &identity,
                server_id.wrapping_add(1),
                &mut state,
                &keys,
                &pos,
                mark.as_ref(),
            )?;
        }
        state.source = Some(preflight::history_of(&identity, &self.source));
        drop(conn);

        // Target: FE (MySQL protocol) and tables.
        let mut fe = FeClient::connect_to(&self.fe, Duration::from_secs(30))?;
        {
            // A table whose rows are discarded anyway (--reset, a snapshot starting over) or
            // that holds none yet (its snapshot has not committed a chunk) is dropped and
            // created again below when its shape no longer fits the source's schema.
            for c in &captures {
                let key = target_key(c);
                let discarded = self.reset || state.truncate_pending.contains(&key);
                let unstarted = state
                    .tables
                    .get(&key)
                    .is_none_or(|t| !state.is_done(&key) && t.progress.is_none());
                if !(discarded || unstarted)
                    || !table_exists(&mut fe, c)?
                    || shape_problems(&mut fe, c)?.is_empty()
                {
                    continue;
                }
                if !discarded && preflight::count_rows(&mut fe, c)? > 0 {
                    continue; // someone else's rows: the checks below say so
                }
                let sql = format!(
                    "DROP TABLE {}",
                    crate::ident::quote_qualified(&c.target_database, &c.target_table)
                );
                tracing::warn!(%sql, "the table's rows are discarded and its shape no longer fits the source schema: it is created again");
                fe.exec(&sql)
                    .map_err(|e| fail(Kind::Target, format!("{sql} failed: {}", e.message())))?;
            }
        }
        let mut missing = Vec::new();
        for c in &captures {
            if !table_exists(&mut fe, c)? {
                missing.push(c.clone());
            }
        }
        if !missing.is_empty() {
            create_tables(&mut fe, &missing)?;
        }
        // A DUPLICATE KEY target keeps the sort key it was created with (see
        // engine::as_existing): plan with it.
        let captures: Vec<TablePlan> = captures
            .into_iter()
            .map(|c| existing_duplicate_key(&mut fe, c))
            .collect();
        if opts.quarantine {
            create_dead_letter_tables(&mut fe, &captures)?;
        }
        if state.schema_change.is_none() {
            check_target_shapes(&mut fe, &captures)?;
        } else {
            tracing::info!(
                "a source schema change was being applied when smt stopped: it is replayed"
            );
        }
        if !self.reset {
            preflight::unaccounted_rows(&mut fe, &captures, &state, &self.state_dir)?;
        }
        let admin = FeAdmin(Mutex::new(fe));

        // Target: HTTP (Stream Load).
        let client = StreamLoadClient::new(
            self.http.clone(),
            self.fe.user.clone(),
            self.fe.password.clone(),
            Timeouts::default(),
        );
        let probe_db = &captures[0].target_database;
        if let Err(e) = client.probe(probe_db, Duration::from_secs(15)) {
            return Err(fail(
                Kind::Target,
                format!(
                    "cannot reach StarRocks Stream Load at {} ({e}): check --load-url or \
                     flink.starrocks.load-url (the FE http port, default 8030)",
                    self.http
                ),
            ));
        }
        for p in &stale_pending {
            // Prepared by the checkpoint a reset discards: never to be committed.
            let _ = client.rollback(&p.db, &p.table, &p.label);
        }
        let loader: Arc<dyn sink::Loader> = Arc::new(client);

        let mut targets = Vec::new();
        for c in &captures {
            targets.push(Target {
                plan: c.clone(),
                spec: batch::BodySpec::new(c),
                loader: loader.clone(),
                limits: flush_limits(&c.rule_config.sink),
            });
        }
        // Heartbeats at least twice per flush interval: on a quiet source the last batch goes
        // out within about one interval, not at the next 1 s heartbeat.
        let mut reader = self.reader.clone();
        // The engine asks the rules about every new table (`Options::new_table`).
        reader.report_created_tables = true;
        // With the quarantine, a value smt refuses sets its row aside (as StarRocks' refusals).
        reader.set_aside = self.config.other.sync_quarantine;
        if let Some(min) = targets.iter().map(|t| t.limits.interval).min() {
            reader.heartbeat = reader.heartbeat.min(min / 2).max(Duration::from_millis(50));
        }
        let mut source = MysqlSource {
            config: self.config.clone(),
            src: self.source.clone(),
            captures: captures.clone(),
            tz,
            server,
            server_id,
            reader,
            by_gtid: resume == preflight::Resume::Gtid,
        };
        let store = checkpoint::Store::new(&self.state_dir);
        let mut eng = engine::Engine::with_state(targets, store, state, opts, &mut source, &admin);
        eng.run()
    }

    /// The tables to capture, each planned from the schema the checkpoint records for it (the
    /// schema in force at the checkpoint position: DDL run since, while smt was stopped, is
    /// still in the binlog and replayed in order). Tables the checkpoint knows that today's
    /// schema no longer plans are kept: the binlog holds their changes up to the DDL that
    /// removed them (which then stops with its statement). A table whose snapshot is not done
    /// and whose schema changed starts its snapshot over, and so does a done target that gains
    /// a source table the checkpoint never read (a new shard): nothing of that source is in
    /// the target, and its rows before the checkpoint position are only in the source's
    /// current state, so the target is truncated and read again with all its sources.
    fn captures_at(&self, state: &mut checkpoint::State) -> anyhow::Result<Vec<TablePlan>> {
        let mut out: Vec<TablePlan> = Vec::new();
        let mut seen = Vec::new();
        for c in &self.captures {
            let key = target_key(c);
            seen.push(key.clone());
            let Some(ts) = state.tables.get(&key) else {
                out.push(c.clone());
                continue;
            };
            if ts.schema.is_empty() || same_tables(&ts.schema, &c.source_tables) {
                out.push(c.clone());
                continue;
            }
            let done = matches!(ts.snapshot, checkpoint::SnapshotStatus::Done { .. });
            // Source tables the rules now put into this target that the checkpoint has never
            // read (a new shard of a merged target, created since): their rows, including those
            // written before the binlog position the job is at, exist only in the source's
            // current state. The target starts over — truncated, then read again in one view
            // with all its sources — like a `--reset` of this one table.
            let new_sources: Vec<String> = c
                .source_tables
                .iter()
                .filter(|d| {
                    !ts.schema
                        .iter()
                        .any(|s| s.database == d.database && s.name == d.name)
                })
                .map(crate::schema::TableDesc::qualified)
                .collect();
            if done && !new_sources.is_empty() {
                tracing::warn!(
                    table = %key,
                    new_sources = %new_sources.join(", "),
                    "new source tables plan into this target: it is truncated and snapshotted again with them"
                );
                let t = state.table_mut(&key);
                t.snapshot = checkpoint::SnapshotStatus::Pending;
                t.progress = None;
                t.schema = c.source_tables.clone();
                if !state.truncate_pending.contains(&key) {
                    state.truncate_pending.push(key.clone());
                }
                out.push(c.clone());
                continue;
            }
            if !done {
                tracing::warn!(table = %key, "the source schema changed during the snapshot: it starts over");
                let had_rows = ts.progress.is_some();
                let t = state.table_mut(&key);
                t.progress = None;
                t.schema = c.source_tables.clone();
                if had_rows && !state.truncate_pending.contains(&key) {
                    state.truncate_pending.push(key.clone());
                }
                out.push(c.clone());
                continue;
            }
            let schema = ts.schema.clone();
            let p = preflight::replan(&self.config, &c.target_database, &c.target_table, &schema)
                .map_err(|why| stale_schema(&key, &why))?;
            tracing::info!(table = %key, "decoding with the checkpoint's schema (the source changed since; its DDL is replayed)");
            out.push(p);
        }
        for (key, ts) in &state.tables {
            if seen.contains(key) || ts.schema.is_empty() || state.truncate_pending.contains(key) {
                continue;
            }
            if !matches!(ts.snapshot, checkpoint::SnapshotStatus::Done { .. }) {
                continue;
            }
            let Some((db, t)) = key.split_once('.') else {
                continue;
            };
            if let Ok(p) = preflight::replan(&self.config, db, t, &ts.schema) {
                tracing::info!(table = %key, "the source table no longer plans into this target; following it until the DDL that changed it");
                out.push(p);
            }
        }
        Ok(out)
    }
}

fn target_key(c: &TablePlan) -> String {
    format!("{}.{}", c.target_database, c.target_table)
}

fn stale_schema(key: &str, why: &str) -> anyhow::Error {
    fail(
        Kind::Sync,
        format!(
            "the schema the checkpoint records for {key} no longer plans with this config \
             ({why}): the config's rules changed since the job started. Restore the rules, or \
             start over with `smt sync --reset`"
        ),
    )
}

fn table_exists(fe: &mut FeClient, c: &TablePlan) -> anyhow::Result<bool> {
    let (db, t) = (&c.target_database, &c.target_table);
    fe.table_exists(db, t).map_err(|e| {
        fail(
            Kind::Target,
            format!(
                "cannot check the target table {db}.{t} on {}: {e}",
                fe.address()
            ),
        )
    })
}

/// Create tables with the same code `smt apply` uses.
fn create_tables(fe: &mut FeClient, tables: &[TablePlan]) -> anyhow::Result<()> {
    let names: Vec<String> = tables.iter().map(target_key).collect();
    tracing::info!(tables = %names.join(", "), "creating missing target tables");
    let plan = Plan {
        rules: vec![crate::plan::RulePlan::new(
            std::sync::Arc::new(crate::config::RuleConfig::named("sync")),
            tables.to_vec(),
        )],
        ..Plan::default()
    };
    let stmts = crate::render::starrocks_statements(&plan);
    let report = crate::apply::run(
        &stmts,
        Some(&plan),
        fe,
        &crate::apply::ApplyOptions::default(),
    );
    if let Some(e) = report.failure() {
        return Err(e.context(format!(
            "creating the missing target tables {} failed",
            names.join(", ")
        )));
    }
    Ok(())
}

/// `<db>.smt_quarantine` in every target database (sync_reject_policy = quarantine).
fn create_dead_letter_tables(fe: &mut FeClient, captures: &[TablePlan]) -> anyhow::Result<()> {
    let mut done: Vec<&str> = Vec::new();
    for c in captures {
        if done.contains(&c.target_database.as_str()) {
            continue;
        }
        done.push(&c.target_database);
        let replication = c
            .properties
            .iter()
            .find(|(k, _)| k == "replication_num")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let sql = quarantine::create_table_sql(&c.target_database, replication);
        fe.exec(&sql).map_err(|e| {
            fail(
                Kind::Target,
                format!(
                    "cannot create the dead-letter table {}.{} (sync_reject_policy = \
                     quarantine): {}",
                    c.target_database,
                    quarantine::TABLE,
                    e.message()
                ),
            )
        })?;
    }
    Ok(())
}

/// `c` with the sort key its existing DUPLICATE KEY table has.
fn existing_duplicate_key(fe: &mut FeClient, c: TablePlan) -> TablePlan {
    if c.model != crate::plan::Model::Duplicate {
        return c;
    }
    let shape = fe
        .show_create_table(&c.target_database, &c.target_table)
        .ok()
        .flatten()
        .and_then(|t| crate::starrocks::show_create::parse_create_table(&t).ok());
    match shape {
        Some(s) if s.model == Some(crate::compat::KeyModel::Duplicate) && !s.key.is_empty() => {
            engine::with_duplicate_key(c, &s.key)
        }
        _ => c,
    }
}

/// How the StarRocks table differs from the plan (columns, types, key; order and nullability
/// aside). Empty when it fits, or when SHOW CREATE TABLE cannot be read or parsed.
fn shape_problems(fe: &mut FeClient, c: &TablePlan) -> anyhow::Result<Vec<String>> {
    use crate::starrocks::show_create;
    let (db, t) = (&c.target_database, &c.target_table);
    let text = match fe.show_create_table(db, t) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Vec::new()),
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
            return Ok(Vec::new());
        }
    };
    Ok(
        crate::compat::diff(&existing, &crate::compat::shape_of_plan(c))
            .iter()
            .filter(|ch| !ch.is_cosmetic())
            .map(|ch| ch.to_string())
            .collect(),
    )
}

/// Each target table must have the columns of the schema the checkpoint is at (names and
/// types; order and nullability aside). A difference means the table was changed by hand, or
/// by something other than this job: binlog events cannot be loaded into it as planned, so this
/// is a stop, never a guess.
fn check_target_shapes(fe: &mut FeClient, captures: &[TablePlan]) -> anyhow::Result<()> {
    for c in captures {
        let changes = shape_problems(fe, c)?;
        if !changes.is_empty() {
            return Err(fail(
                Kind::Sync,
                format!(
                    "the StarRocks table {} does not match the schema this job follows ({}). \
                     It was changed by hand or by another tool; smt cannot load the source's \
                     rows into it as they are. Change it back to match (see `smt generate` \
                     output), or start over with `smt sync --reset` (it re-creates a table \
                     that does not fit and takes a fresh snapshot)",
                    target_key(c),
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
/// 64 MiB, 300 ms — short, since latency matters for replication: a change waits up to one
/// interval, then its load (p99 commit→visible < 500 ms in scripts/bench-binlog.sh); that is
/// about 3 loads per second per changing table, so raise it for fewer, larger loads).
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

/// TRUNCATE, ALTER, DELETE and counts on the FE.
struct FeAdmin(Mutex<FeClient>);

impl FeAdmin {
    /// Run `f` on the connection: an FE error is definite (a Failure), a lost connection is
    /// transient (reconnected for the next call; the engine restarts from the checkpoint).
    fn on_fe<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut FeClient) -> Result<T, crate::starrocks::fe::FeError>,
    ) -> anyhow::Result<T> {
        use crate::starrocks::fe::FeError;
        let mut fe = self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("FE connection poisoned"))?;
        match f(&mut fe) {
            Ok(v) => Ok(v),
            Err(e @ FeError::Connection(_)) => {
                let _ = fe.reconnect();
                Err(anyhow::anyhow!("{sql} failed: {e}"))
            }
            Err(e) => Err(fail(Kind::Target, format!("{sql} failed: {e}"))),
        }
    }
}

impl Admin for FeAdmin {
    fn count(&self, db: &str, table: &str, pred: &str) -> anyhow::Result<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE {pred}",
            crate::ident::quote_qualified(db, table)
        );
        let rows = self.on_fe(&sql, |fe| fe.query_rows(&sql))?;
        rows.rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| fail(Kind::Target, format!("{sql} returned no count")))
    }
    fn select(
        &self,
        db: &str,
        table: &str,
        list: &str,
        pred: &str,
    ) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        let sql = format!(
            "SELECT {list} FROM {} WHERE {pred}",
            crate::ident::quote_qualified(db, table)
        );
        Ok(self.on_fe(&sql, |fe| fe.query_rows(&sql))?.rows)
    }
    fn delete(&self, db: &str, table: &str, pred: &str) -> anyhow::Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE {pred}",
            crate::ident::quote_qualified(db, table)
        );
        self.on_fe(&sql, |fe| fe.exec(&sql))
    }
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
    fn shape(&self, db: &str, table: &str) -> anyhow::Result<Option<crate::compat::TableShape>> {
        let mut fe = self
            .0
            .lock()
            .map_err(|_| anyhow::anyhow!("FE connection poisoned"))?;
        let text = fe.show_create_table(db, table).map_err(|e| {
            fail(
                Kind::Target,
                format!("SHOW CREATE TABLE {db}.{table} failed: {e}"),
            )
        })?;
        Ok(text.and_then(|t| crate::starrocks::show_create::parse_create_table(&t).ok()))
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
    /// Resume by GTID (after a failover, until this process ends).
    by_gtid: bool,
}

impl MysqlSource {
    /// The view `snap` (begun at `pos`, its tables held) with what its position is: the binlog
    /// file's creation time and (MariaDB) the GTID position.
    fn open_view(
        &mut self,
        snap: snapshot::Snapshot,
        pos: BinlogPosition,
        tables: &[TablePlan],
    ) -> anyhow::Result<engine::View> {
        self.captures = tables.to_vec();
        let probe =
            binlog::probe_position(&self.src, self.server_id.wrapping_add(1), &pos.file, 4)?;
        let gtid = if self.server.is_mariadb() {
            let mut conn = crate::source::connect(&self.src)?;
            crate::source::binlog_gtid_pos(&mut conn, &pos)?
        } else {
            None
        };
        let mark = PositionMark {
            file_created: probe.file_created,
            event: None,
            gtid,
        };
        Ok(engine::View::Open(
            Box::new(SnapAdapter {
                snap,
                captures: self.captures.clone(),
                tz: self.tz.clone(),
                body_bytes: Vec::new(),
            }),
            pos,
            Some(mark),
        ))
    }
}

impl Source for MysqlSource {
    fn snapshot(
        &mut self,
        tables: &[TablePlan],
        todo: &[usize],
        held: bool,
    ) -> anyhow::Result<engine::View> {
        let (mut snap, pos) = snapshot::Snapshot::begin(&self.src, &self.server)?;
        snap.set_aside = self.config.other.sync_quarantine;
        // Hold the tables to read (a DDL now waits for the view to end), then compare their
        // schema with the plans': a DDL between the plan and the view shows here. Not when an
        // earlier view still holds them: no DDL on them can have finished since its comparison.
        let refs: Vec<crate::plan::SourceRef> = todo
            .iter()
            .filter_map(|&i| tables.get(i))
            .flat_map(|t| t.sources.iter().cloned())
            .collect();
        snap.hold(&refs)?;
        if held {
            return self.open_view(snap, pos, tables);
        }
        let config = &self.config;
        let want = |db: &str| refs.iter().any(|r| r.database == db) || config.wants_database(db);
        let now = crate::schema::introspect::introspect(&self.src, &want)?.tables;
        let mut changed = Vec::new();
        let mut any = false;
        for (i, t) in tables.iter().enumerate() {
            if !todo.contains(&i) {
                changed.push(None);
                continue;
            }
            let cur: Vec<crate::schema::TableDesc> = t
                .sources
                .iter()
                .filter_map(|r| now.iter().find(|d| r.names(d)).cloned())
                .collect();
            let same = cur.len() == t.source_tables.len()
                && cur
                    .iter()
                    .zip(&t.source_tables)
                    .all(|(a, b)| same_schema(a, b));
            if same || cur.len() != t.sources.len() {
                changed.push(None);
            } else {
                any = true;
                changed.push(Some(cur));
            }
        }
        if any {
            let _ = snap.finish();
            return Ok(engine::View::Changed(changed));
        }
        self.open_view(snap, pos, tables)
    }
    fn binlog(
        &mut self,
        from: &BinlogPosition,
        mark: Option<&PositionMark>,
        tables: &[TablePlan],
    ) -> anyhow::Result<Box<dyn ChangeStream>> {
        let gtid = if self.by_gtid {
            mark.and_then(|m| m.gtid.as_deref())
                .and_then(gtid::GtidPos::parse)
        } else {
            None
        };
        let r = BinlogReader::open_at(
            &self.src,
            self.server_id,
            from,
            mark,
            gtid.as_ref(),
            tables.to_vec(),
            &self.tz,
            self.reader.clone(),
        )?;
        Ok(Box::new(ReaderAdapter(r)))
    }
    fn replan(
        &mut self,
        current: &TablePlan,
        sources: &[crate::schema::TableDesc],
    ) -> Result<TablePlan, String> {
        preflight::replan(
            &self.config,
            &current.target_database,
            &current.target_table,
            sources,
        )
    }
}

struct SnapAdapter {
    snap: snapshot::Snapshot,
    captures: Vec<TablePlan>,
    tz: TimeZoneSpec,
    /// Per target, the size of the largest body this reader encoded: the next body's buffer
    /// is reserved at that size once, instead of growing (and copying) as rows arrive.
    body_bytes: Vec<usize>,
}

impl SnapshotReader for SnapAdapter {
    fn read_chunk(
        &mut self,
        target: usize,
        source: usize,
        after: Option<&serde_json::Value>,
        (lo, hi): (Option<&serde_json::Value>, Option<&serde_json::Value>),
        max_rows: usize,
        encode: Option<&batch::BodySpec>,
    ) -> anyhow::Result<SnapChunk> {
        let (ct, sref) = self.source_of(target, source)?;
        let key = after.map(snapshot::key_from_json).transpose()?;
        let bound = |v: Option<&serde_json::Value>| -> anyhow::Result<Option<mysql::Value>> {
            v.map(|j| snapshot::key_from_json(&serde_json::Value::Array(vec![j.clone()])))
                .transpose()
                .map(|o| o.and_then(|mut k| k.pop()))
        };
        let range = (bound(lo)?, bound(hi)?);
        let range = (range.0.as_ref(), range.1.as_ref());
        let key = key.as_deref();
        // A JSON body is written as the rows arrive; otherwise the rows are collected.
        if self.body_bytes.len() <= target {
            self.body_bytes.resize(target + 1, 0);
        }
        let hint = self.body_bytes[target];
        let (c, body) = match encode.and_then(|spec| spec.json_writer(hint + hint / 8)) {
            Some(mut w) => {
                let c = self.snap.read_chunk_with(
                    &ct,
                    &sref,
                    key,
                    range,
                    max_rows,
                    &self.tz,
                    &mut |row| {
                        w.push(batch::Op::Upsert, &row);
                        Ok(())
                    },
                )?;
                let body = (w.rows() > 0).then(|| w.finish());
                if let Some(b) = &body {
                    self.body_bytes[target] = self.body_bytes[target].max(b.bytes.len());
                }
                (c, body)
            }
            None => (
                self.snap
                    .read_chunk(&ct, &sref, key, range, max_rows, &self.tz)?,
                None,
            ),
        };
        Ok(SnapChunk {
            rows: c.rows,
            last_key: c.last_key.as_deref().map(snapshot::key_to_json),
            done: c.done,
            bytes: c.bytes,
            body,
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
    fn avg_row_bytes(&mut self, target: usize) -> anyhow::Result<u64> {
        match self.captures.get(target).and_then(|c| c.sources.first()) {
            Some(s) => self.snap.avg_row_bytes(s),
            None => Ok(0),
        }
    }
    fn split(
        &mut self,
        target: usize,
        source: usize,
        n: usize,
    ) -> anyhow::Result<Vec<(Option<serde_json::Value>, Option<serde_json::Value>)>> {
        let (ct, sref) = self.source_of(target, source)?;
        let cuts = self.snap.split_points(&ct, &sref, n)?;
        let json = |v: &mysql::Value| snapshot::key_to_json(std::slice::from_ref(v));
        let first = |j: serde_json::Value| match j {
            serde_json::Value::Array(mut a) if !a.is_empty() => a.remove(0),
            other => other,
        };
        let mut out = Vec::with_capacity(cuts.len() + 1);
        let mut lo: Option<serde_json::Value> = None;
        for c in &cuts {
            let v = first(json(c));
            out.push((lo.take(), Some(v.clone())));
            lo = Some(v);
        }
        out.push((lo, None));
        Ok(out)
    }
}

impl SnapAdapter {
    fn source_of(
        &self,
        target: usize,
        source: usize,
    ) -> anyhow::Result<(TablePlan, crate::plan::SourceRef)> {
        let ct = self
            .captures
            .get(target)
            .ok_or_else(|| anyhow::anyhow!("no target {target}"))?;
        let sref = ct
            .sources
            .get(source)
            .ok_or_else(|| anyhow::anyhow!("no source {source} of target {target}"))?
            .clone();
        Ok((ct.clone(), sref))
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
    fn mark(&self) -> Option<PositionMark> {
        self.0.mark()
    }
    fn set_starts(&mut self, starts: &[BinlogPosition]) {
        self.0.set_starts(starts.to_vec());
    }
    fn set_tables(&mut self, tables: &[TablePlan]) {
        self.0.set_tables(tables.to_vec());
    }
}

/// Two descriptions of a table with the same columns and keys (sizes and comments aside).
fn same_schema(a: &crate::schema::TableDesc, b: &crate::schema::TableDesc) -> bool {
    a.columns == b.columns && a.keys == b.keys
}

/// The same tables (names), in the same order, with the same columns and keys. Sizes aside:
/// `data_length` grows with every write, so a checkpoint's schema and information_schema's
/// must not differ because rows were written.
fn same_tables(a: &[crate::schema::TableDesc], b: &[crate::schema::TableDesc]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.database == b.database && a.name == b.name && same_schema(a, b))
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
            (500_000, 64 << 20, Duration::from_millis(300))
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
