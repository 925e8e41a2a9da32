//! `smt verify`: is every planned target table what the source holds?
//!
//! Per table: `COUNT(*)` on both sides, then both sides streamed in the target's key order a
//! page at a time and merged ([`compare`]), the source decoded by the sync decoder and both in
//! the one canonical form of [`canon`]. Memory is a page per side (per shard on the source) and
//! the differing keys kept for the re-check (at most [`KEEP`]).
//!
//! Guarantee, while `smt sync` runs: the source is read in one consistent view at binlog
//! position P, and the comparison starts only once the sync checkpoint says every compared
//! table has committed everything up to P ([`syncstate`]); otherwise the table is reported
//! "behind" (by bytes or binlog files), not compared. The target keeps moving while it is read,
//! so a key found different is checked again ([`recheck`]): the source row at a new position Q
//! (a new view), the target row once the checkpoint has passed Q, and the source row again; the
//! key agrees when the target row is one of the two source rows, and is a difference when the
//! source held still (both source reads equal) and the target still differs. A key that kept
//! changing in every round is reported as unsettled, never as a difference.
//!
//! `--repair` ([`repair`]) loads the source rows of the differing keys (and `__op` deletes of
//! the extra ones) into PRIMARY KEY targets as one Stream Load transaction per table and
//! chunk, with labels of their own namespace, then checks those keys again.

pub mod canon;
pub mod compare;
mod repair;
mod report;
pub mod source;
pub mod syncstate;
pub mod target;

use crate::cli::VerifyArgs;
use crate::config::Config;
use crate::error::{fail, Kind};
use crate::plan::{ColumnOrigin, Model, SrType, TablePlan};
use crate::starrocks::fe::{FeClient, FeEndpoint};
use crate::sync::decode::TimeZoneSpec;
use crate::sync::position::BinlogPosition;
use canon::Row;
use compare::DiffKind;
pub use report::{Behind, Checksum, Key, RepairReport, Report, Status, TableReport};
use source::{KeySpec, SourceView};
use std::time::{Duration, Instant};
use syncstate::{Reach, SyncState};

/// Differing keys kept per table for the re-check and the repair; beyond it they are counted.
pub const KEEP: usize = 100_000;
/// Keys per re-check round (one source view and one checkpoint wait each).
const RECHECK_CHUNK: usize = 5_000;
/// Re-check rounds for keys that keep changing.
const ROUNDS: usize = 4;

/// Everything `smt verify` needs, resolved from the config, the plan and the flags.
pub struct Verify {
    pub config: Config,
    pub tables: Vec<TablePlan>,
    pub fe: FeEndpoint,
    pub state: SyncState,
    pub wait: Duration,
    pub page: usize,
    pub show: usize,
    pub repair: bool,
    pub load_url: Option<String>,
}

/// Entry point (`smt verify`): Ok(exit code): 0 all equal, 6 anything else.
pub fn run(config: &Config, plan: &crate::plan::Plan, args: &VerifyArgs) -> anyhow::Result<u8> {
    let v = Verify::from_config(config, plan, args)?;
    let report = v.run()?;
    print!("{}", report.render(args.format));
    Ok(if report.all_equal() { 0 } else { 6 })
}

impl Verify {
    pub fn from_config(
        config: &Config,
        plan: &crate::plan::Plan,
        args: &VerifyArgs,
    ) -> anyhow::Result<Verify> {
        if let crate::config::SourceKind::Dump(path) = &config.source.kind {
            return Err(fail(
                Kind::Config,
                format!(
                    "smt verify reads the source's rows, but the config reads the schema dump {}: \
                     set [db] type = mysql with host, port, user and password",
                    path.display()
                ),
            ));
        }
        let only = match &args.only {
            Some(re) => Some(regex::Regex::new(re).map_err(|e| {
                fail(
                    Kind::Config,
                    format!("--only {re:?} is not a valid regex: {e}"),
                )
            })?),
            None => None,
        };
        let tables: Vec<TablePlan> = plan
            .tables()
            .filter(|t| only.as_ref().is_none_or(|re| re.is_match(&t.target_name())))
            .cloned()
            .collect();
        if tables.is_empty() {
            return Err(fail(
                Kind::Plan,
                match &args.only {
                    Some(re) => format!("no planned target table matches --only {re:?}"),
                    None => "no table to verify: no rule matched a source table".into(),
                },
            ));
        }
        let fe = crate::apply::resolve_fe(config, args.fe.as_deref())?;
        let dir = args
            .state_dir
            .clone()
            .unwrap_or_else(|| crate::sync::preflight::default_state_dir(config));
        Ok(Verify {
            config: config.clone(),
            tables,
            fe,
            state: SyncState::new(&dir),
            wait: Duration::from_secs(args.wait),
            page: args.chunk_rows.max(1),
            show: args.show_keys,
            repair: args.repair,
            load_url: args.load_url.clone(),
        })
    }

    pub fn run(&self) -> anyhow::Result<Report> {
        let src = &self.config.source;
        let mut conn = crate::source::connect(src)?;
        let server = crate::source::probe(&mut conn)?;
        let tz = crate::source::time_zone(&server, src.time_zone.as_deref())?;
        drop(conn);
        let mut fe = FeClient::connect_to(&self.fe, Duration::from_secs(120))?;
        let running = self.state.running();
        let checkpoint = self.state.load()?;
        let ctx = Ctx {
            v: self,
            server: &server,
            tz: &tz,
            running: running.is_some(),
        };

        let mut view = SourceView::begin(src, &server, &tz)?;
        let p = view.position.clone();
        tracing::info!(position = %p, tables = self.tables.len(), "verify: source view opened");
        let keys: Vec<String> = self.tables.iter().map(TablePlan::target_name).collect();
        // Where each target is relative to P.
        let reach: Vec<Reach> = match (&checkpoint, running) {
            (None, _) => vec![Reach::Reached; keys.len()],
            (Some(_), Some(pid)) => {
                tracing::info!(
                    pid,
                    wait_s = self.wait.as_secs(),
                    "smt sync runs: waiting until its checkpoint passes the source position"
                );
                self.state.wait(&keys, &p, self.wait)?
            }
            (Some(s), None) => keys
                .iter()
                .map(|k| syncstate::reach(Some(s), k, &p))
                .collect(),
        };

        let mut tables = Vec::new();
        for (t, r) in self.tables.iter().zip(reach) {
            let started = Instant::now();
            let mut rep = TableReport::new(t.target_name());
            let result = match (&r, running) {
                (Reach::Behind { .. }, Some(_)) => Ok(()),
                _ => ctx.table(&mut view, &mut fe, t, &mut rep),
            };
            if let Err(e) = result {
                // This table could not be compared (its target missing, a value that does not
                // render, a failed read): said in its report; the others go on.
                tracing::warn!(table = %t.target_name(), "cannot verify: {}", crate::error::display(&e));
                rep.status = Status::Error;
                rep.error = Some(crate::error::display(&e));
            }
            if let Reach::Behind { at, reason } = &r {
                let behind = report::Behind::new(at.as_ref(), &p, reason);
                if running.is_some() {
                    // Sync runs but did not get to P within the wait: not compared.
                    rep.behind = Some(behind);
                    if rep.status != Status::Error {
                        rep.status = Status::Behind;
                    }
                } else if rep.status == Status::Differs {
                    // Sync is stopped behind P: the differences are real now, but some may be
                    // changes it has not loaded yet.
                    rep.note = Some(format!(
                        "smt sync is not running and its checkpoint is behind the source ({}): \
                         some differences may be changes it has not loaded yet; start it, and \
                         verify waits for it",
                        behind.text()
                    ));
                    rep.behind = Some(behind);
                }
            }
            let quarantined = checkpoint
                .as_ref()
                .and_then(|s| s.tables.get(&t.target_name()))
                .map_or(0, |ts| ts.quarantined);
            if quarantined > 0 && rep.status == Status::Differs {
                let q = format!(
                    "smt sync quarantined {quarantined} row(s) of this table that StarRocks \
                     refused (see smt_quarantine in its database): they are missing or old here"
                );
                rep.add_note(q);
            }
            rep.seconds = started.elapsed().as_secs_f64();
            tables.push(rep);
        }
        view.finish();
        let mut report = Report {
            source_position: p.to_string(),
            state_dir: self.state.dir.display().to_string(),
            sync_running: running.is_some(),
            checkpoint: checkpoint
                .as_ref()
                .and_then(|s| s.binlog.as_ref())
                .map(|b| b.to_string()),
            tables,
        };
        if self.repair {
            repair::run(&ctx, &mut fe, &mut report)?;
        }
        Ok(report)
    }
}

/// What one run shares.
pub(crate) struct Ctx<'a> {
    v: &'a Verify,
    server: &'a crate::source::ServerInfo,
    tz: &'a TimeZoneSpec,
    /// `smt sync` runs: re-checks wait for its checkpoint.
    running: bool,
}

/// How a table is compared.
pub(crate) enum Mode {
    Keyed(KeySpec),
    /// Why not.
    Checksum(String),
}

/// The compare key of a target: its PRIMARY KEY; for a DUPLICATE KEY table the source's key
/// (PRIMARY, else a NOT NULL UNIQUE key, with the shard origin columns of a merged target) when
/// every shard has the same one and no column of it is FLOAT/DOUBLE (whose order and literals
/// do not survive text); else none.
pub(crate) fn mode_of(t: &TablePlan) -> Mode {
    let idx = |name: &str| t.columns.iter().position(|c| c.name == name);
    let names: Vec<String> = match t.model {
        Model::Primary => t.key.clone(),
        Model::Duplicate => {
            let per_shard: Vec<Option<Vec<String>>> = t
                .source_tables
                .iter()
                .map(crate::sync::snapshot::scan_key_columns)
                .collect();
            let Some(Some(first)) = per_shard.first().cloned() else {
                return Mode::Checksum(
                    "a DUPLICATE KEY table whose source has no PRIMARY or NOT NULL UNIQUE key"
                        .into(),
                );
            };
            if per_shard.iter().any(|k| k.as_ref() != Some(&first)) {
                return Mode::Checksum("its shards have different keys".into());
            }
            let mut names: Vec<String> = Vec::new();
            for k in &first {
                match t
                    .columns
                    .iter()
                    .find(|c| matches!(&c.origin, ColumnOrigin::Source { name, .. } if name == k))
                {
                    Some(c) => names.push(c.name.clone()),
                    None => {
                        return Mode::Checksum(format!("the key column {k} is not in the target"))
                    }
                }
            }
            for c in &t.columns {
                if matches!(
                    c.origin,
                    ColumnOrigin::ShardDatabase | ColumnOrigin::ShardTable
                ) {
                    names.push(c.name.clone());
                }
            }
            names
        }
    };
    let mut cols = Vec::new();
    let mut tys = Vec::new();
    for n in &names {
        let Some(i) = idx(n) else {
            return Mode::Checksum(format!("the key column {n} is not in the plan"));
        };
        let ty = t.columns[i].sr_type;
        if matches!(ty, SrType::Float | SrType::Double | SrType::Json) {
            return Mode::Checksum(format!("its key column {n} is {ty}"));
        }
        cols.push(i);
        tys.push(ty);
    }
    if cols.is_empty() {
        return Mode::Checksum("no key".into());
    }
    Mode::Keyed(KeySpec { cols, tys })
}

/// Progress on stderr every few seconds: rows compared, rows/s.
struct Progress {
    table: String,
    started: Instant,
    last: Instant,
    last_rows: u64,
}

impl Progress {
    fn new(table: &str) -> Progress {
        Progress {
            table: table.to_string(),
            started: Instant::now(),
            last: Instant::now(),
            last_rows: 0,
        }
    }
    fn tick(&mut self, rows: u64, force: bool) {
        let dt = self.last.elapsed().as_secs_f64();
        if !force && dt < 5.0 {
            return;
        }
        let rate = (rows - self.last_rows.min(rows)) as f64 / dt.max(0.001);
        let avg = rows as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        tracing::info!(
            table = %self.table,
            rows_compared = rows,
            rows_per_s = format!("{rate:.0}"),
            avg_rows_per_s = format!("{avg:.0}"),
            "verify progress"
        );
        self.last = Instant::now();
        self.last_rows = rows;
    }
}

impl Ctx<'_> {
    fn table(
        &self,
        view: &mut SourceView,
        fe: &mut FeClient,
        t: &TablePlan,
        rep: &mut TableReport,
    ) -> anyhow::Result<()> {
        let name = t.target_name();
        if !fe
            .table_exists(&t.target_database, &t.target_table)
            .map_err(|e| {
                fail(
                    Kind::Target,
                    format!("cannot check {name} on StarRocks: {e}"),
                )
            })?
        {
            return Err(fail(
                Kind::Target,
                format!("the target table {name} does not exist on StarRocks (run smt apply or smt sync)"),
            ));
        }
        rep.model = Some(match t.model {
            Model::Primary => "primary",
            Model::Duplicate => "duplicate",
        });
        rep.source_rows = Some(view.count(t)?);
        rep.target_rows = Some(target::count(fe, t)?);
        let set_aside = view.set_aside;
        let r = self.compare_table(view, fe, t, rep, &name);
        let n = view.set_aside - set_aside;
        if n > 0 {
            let q = format!(
                "{n} source row(s) hold a value smt refuses (StarRocks cannot hold it as it is; \
                 see the warnings): not compared and not in the target — smt sync stops on \
                 them, or with sync_reject_policy = quarantine sets them aside in smt_quarantine"
            );
            rep.add_note(q);
            tracing::warn!(table = %name, rows = n, "source rows holding a value smt refuses were not compared");
        }
        r
    }

    fn compare_table(
        &self,
        view: &mut SourceView,
        fe: &mut FeClient,
        t: &TablePlan,
        rep: &mut TableReport,
        name: &str,
    ) -> anyhow::Result<()> {
        match mode_of(t) {
            Mode::Checksum(why) => self.checksum(view, fe, t, rep, why),
            Mode::Keyed(key) => {
                let mut prog = Progress::new(name);
                let started = Instant::now();
                let merged = {
                    let mut s = source::TableRows::new(view, t, &key, self.v.page)?;
                    let mut d = target::TableRows::new(fe, t, &key, self.v.page);
                    compare::merge(&mut s, &mut d, &key.cols, &key.tys, KEEP, &mut |a, _| {
                        prog.tick(a, false)
                    })?
                };
                rep.compared_rows = merged.source_rows;
                rep.rows_per_s = merged.source_rows.max(merged.target_rows) as f64
                    / started.elapsed().as_secs_f64().max(0.001);
                prog.tick(merged.source_rows, true);
                let found = merged.differences();
                let overflow = merged.overflow;
                let out = if merged.keys.is_empty() {
                    Rechecked::default()
                } else {
                    tracing::info!(table = %name, keys = merged.keys.len(), "re-checking the differing keys");
                    let keys: Vec<Row> = merged.keys.into_iter().map(|(_, k)| k).collect();
                    self.recheck(fe, t, &key, keys)?
                };
                rep.set_keys(t, &key, &out, self.v.show);
                rep.missing += overflow[0];
                rep.extra += overflow[1];
                rep.different += overflow[2];
                if overflow.iter().any(|n| *n > 0) {
                    rep.note = Some(format!(
                        "{found} differences: more than the {KEEP} keys verify re-checks; the counts \
                         beyond them are from the streamed comparison only"
                    ));
                    rep.overflow = true;
                }
                rep.status = if rep.missing + rep.extra + rep.different + rep.unsettled == 0 {
                    Status::Equal
                } else {
                    Status::Differs
                };
                rep.confirmed = out.confirmed;
                Ok(())
            }
        }
    }

    fn checksum(
        &self,
        view: &mut SourceView,
        fe: &mut FeClient,
        t: &TablePlan,
        rep: &mut TableReport,
        why: String,
    ) -> anyhow::Result<()> {
        let mut prog = Progress::new(&t.target_name());
        let started = Instant::now();
        let (mut sn, mut ss) = (0u64, 0u128);
        view.each_row(t, &mut |r| {
            sn += 1;
            ss = ss.wrapping_add(canon::row_hash(&r));
            prog.tick(sn, false);
            Ok(())
        })?;
        let (mut tn, mut ts) = (0u64, 0u128);
        target::each_row(fe, t, &mut |r| {
            tn += 1;
            ts = ts.wrapping_add(canon::row_hash(&r));
            prog.tick(sn + tn, false);
            Ok(())
        })?;
        rep.compared_rows = sn;
        rep.rows_per_s = (sn + tn) as f64 / started.elapsed().as_secs_f64().max(0.001);
        rep.checksum = Some(report::Checksum {
            source: format!("{ss:032x}"),
            target: format!("{ts:032x}"),
            source_rows: sn,
            target_rows: tn,
        });
        rep.note = Some(format!(
            "not comparable row by row ({why}): compared by row count and an order-independent \
             checksum of the canonical rows"
        ));
        rep.status = if sn == tn && ss == ts {
            Status::NotComparable
        } else {
            Status::Differs
        };
        Ok(())
    }

    /// Wait until the checkpoint passes `q` for `t` (only while sync runs). Err = not within
    /// the wait.
    fn wait_for(&self, t: &TablePlan, q: &BinlogPosition) -> anyhow::Result<Result<(), Reach>> {
        if !self.running {
            return Ok(Ok(()));
        }
        let r = self.v.state.wait(&[t.target_name()], q, self.v.wait)?;
        Ok(match r.into_iter().next() {
            Some(Reach::Reached) | None => Ok(()),
            Some(b) => Err(b),
        })
    }

    /// Check `keys` again (see the module doc).
    pub(crate) fn recheck(
        &self,
        fe: &mut FeClient,
        t: &TablePlan,
        key: &KeySpec,
        keys: Vec<Row>,
    ) -> anyhow::Result<Rechecked> {
        let mut out = Rechecked::default();
        let mut pending = keys;
        for round in 0..ROUNDS {
            if pending.is_empty() {
                break;
            }
            let mut moving = Vec::new();
            for chunk in pending.chunks(RECHECK_CHUNK) {
                let mut q = SourceView::begin(&self.v.config.source, self.server, self.tz)?;
                let s_q = q.lookup(t, key, chunk)?;
                let qpos = q.position.clone();
                q.finish();
                if let Err(Reach::Behind { at, reason }) = self.wait_for(t, &qpos)? {
                    // The target did not get to Q within the wait: these keys stay unsettled.
                    out.behind = Some(report::Behind::new(at.as_ref(), &qpos, &reason));
                    out.unsettled.extend(chunk.iter().cloned());
                    continue;
                }
                let (tgt, dups) = target::lookup(fe, t, key, chunk)?;
                let mut now = SourceView::begin(&self.v.config.source, self.server, self.tz)?;
                let s_now = now.lookup(t, key, chunk)?;
                now.finish();
                for k in chunk {
                    let a = s_q.get(k).map(|x| &x.0);
                    let c = s_now.get(k).map(|x| &x.0);
                    let b = tgt.get(k);
                    let doubled = dups.contains(k);
                    if !doubled && (b == a || b == c) {
                        continue;
                    }
                    if a == c {
                        let kind = match (a, b) {
                            (_, Some(_)) if doubled => DiffKind::Extra,
                            (Some(_), None) => DiffKind::Missing,
                            (None, Some(_)) => DiffKind::Extra,
                            _ => DiffKind::Different,
                        };
                        out.confirmed.push((kind, k.clone()));
                    } else {
                        moving.push(k.clone());
                    }
                }
            }
            if !moving.is_empty() {
                tracing::info!(table = %t.target_name(), round = round + 1, keys = moving.len(), "keys changed while being re-checked: again");
            }
            pending = moving;
        }
        out.unsettled.extend(pending);
        Ok(out)
    }
}

/// The outcome of a re-check.
#[derive(Debug, Default)]
pub(crate) struct Rechecked {
    /// Differences that held (the source still, the target different).
    pub confirmed: Vec<(DiffKind, Row)>,
    /// Keys that changed in every round, or whose target did not catch up within the wait.
    pub unsettled: Vec<Row>,
    pub behind: Option<report::Behind>,
}
