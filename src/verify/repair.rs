//! `smt verify --repair`: load exactly the differing keys again, through the exactly-once path.
//!
//! Per PRIMARY KEY table and chunk of keys, one Stream Load transaction (begin → load → prepare
//! with row counts checked → commit, `sync::sink`) holding the source's current rows of the
//! keys (upserts, decoded by the sync decoder like every sync load) and `__op` deletes of the
//! keys the source no longer has. Labels are `smtrepair_<run>_<table tag>_<n>`: a namespace of
//! their own (sync's labels all start `smt_`), new for every run, the same on a retry within it.
//!
//! Safety: a repair writes rows that sync also writes, so it runs only when sync does not: a live
//! `smt sync` on the state directory is a refusal, and the repair holds the directory's
//! `sync.lock` itself so none starts meanwhile; a checkpoint with a prepared transaction not yet
//! committed is a refusal too (its commit could land after the repair, with older rows). Sync,
//! started later, replays the binlog from its checkpoint onto keys that are then already
//! current: on PRIMARY KEY tables the replay ends at the same rows.
//!
//! DUPLICATE KEY tables are not repaired: removing one wrong row needs a DELETE, which StarRocks
//! runs on DUPLICATE tables as a predicate deleting every row that matches (duplicates
//! included), as its own transaction — it cannot share a transaction with the reload, so a
//! failure between the two would leave the rows deleted and not reloaded.

use super::report::{RepairReport, Report, Status};
use super::source::SourceView;
use super::{mode_of, Ctx, Mode};
use crate::error::{fail, Kind};
use crate::plan::{Model, TablePlan};
use crate::starrocks::fe::FeClient;
use crate::starrocks::stream_load::{HttpEndpoint, StreamLoadClient, Timeouts};
use crate::sync::batch::{self, BodySpec, Op};
use crate::sync::cell::Cell;
use crate::sync::checkpoint::{PendingLabel, SnapshotStatus};
use crate::sync::sink;
use std::path::PathBuf;

/// Keys per repair transaction.
const CHUNK: usize = 5_000;

/// Holds `<state_dir>/sync.lock` while repairing (a sync started meanwhile refuses to run).
struct Lock(Option<PathBuf>);

impl Lock {
    fn take(ctx: &Ctx) -> anyhow::Result<Lock> {
        let dir = &ctx.v.state.dir;
        if !dir.is_dir() {
            return Ok(Lock(None));
        }
        if let Some(pid) = ctx.v.state.running() {
            return Err(refusal(pid));
        }
        let path = dir.join("sync.lock");
        std::fs::write(&path, format!("{}\n", std::process::id()))
            .map_err(|e| fail(Kind::Local, format!("cannot write {}: {e}", path.display())))?;
        Ok(Lock(Some(path)))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn refusal(pid: u32) -> anyhow::Error {
    fail(
        Kind::Sync,
        format!(
            "smt sync (pid {pid}) runs on this state directory: --repair writes the rows sync \
             writes and would race it. Stop it (SIGTERM), run smt verify --repair, then start it again"
        ),
    )
}

fn http_endpoint(ctx: &Ctx) -> anyhow::Result<HttpEndpoint> {
    if let Some(f) = &ctx.v.load_url {
        return crate::config::target::parse_flag(f, 8030)
            .map_err(|e| fail(Kind::Config, format!("--load-url {f:?}: {e}")));
    }
    let http = ctx
        .v
        .config
        .cluster()
        .http
        .map_err(|e| fail(Kind::Config, e))?;
    http.first().cloned().ok_or_else(|| {
        fail(
            Kind::Config,
            "no StarRocks http endpoint for --repair: set flink.starrocks.load-url in a rule or pass --load-url host:8030",
        )
    })
}

fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{:010x}",
        batch::fnv1a64(format!("{nanos}:{}", std::process::id()).as_bytes()) >> 24
    )
}

pub(super) fn run(ctx: &Ctx, fe: &mut FeClient, report: &mut Report) -> anyhow::Result<()> {
    let wanted: Vec<usize> = (0..report.tables.len())
        .filter(|&i| report.tables[i].status == Status::Differs)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let refuse_all = |report: &mut Report, why: String| {
        for &i in &wanted {
            report.tables[i].repair = Some(RepairReport {
                status: "refused".into(),
                reason: Some(why.clone()),
                ..RepairReport::default()
            });
        }
    };
    let _lock = match Lock::take(ctx) {
        Ok(l) => l,
        Err(e) => {
            refuse_all(report, crate::error::display(&e));
            return Ok(());
        }
    };
    let state = ctx.v.state.load()?;
    if let Some(s) = &state {
        if !s.pending_commit.is_empty() || !s.pending_deletes.is_empty() {
            let labels: Vec<&str> = s.pending_commit.iter().map(|p| p.label.as_str()).collect();
            refuse_all(
                report,
                format!(
                    "the sync checkpoint lists prepared transactions not yet committed ({}): \
                     run smt sync once to commit them, then verify again",
                    labels.join(", ")
                ),
            );
            return Ok(());
        }
    }
    let http = http_endpoint(ctx)?;
    let client = StreamLoadClient::new(
        http,
        ctx.v.fe.user.clone(),
        ctx.v.fe.password.clone(),
        Timeouts::default(),
    );
    let run = run_id();
    for i in wanted {
        let name = report.tables[i].table.clone();
        let Some(t) = ctx.v.tables.iter().find(|t| t.target_name() == name) else {
            continue;
        };
        let r = table(
            ctx,
            fe,
            &client,
            &run,
            t,
            state.as_ref(),
            &mut report.tables[i],
        );
        let rep = &mut report.tables[i];
        match r {
            Ok(rr) => rep.repair = Some(rr),
            Err(e) => {
                rep.repair = Some(RepairReport {
                    status: "failed".into(),
                    reason: Some(crate::error::display(&e)),
                    ..RepairReport::default()
                })
            }
        }
    }
    Ok(())
}

fn table(
    ctx: &Ctx,
    fe: &mut FeClient,
    client: &StreamLoadClient,
    run: &str,
    t: &TablePlan,
    state: Option<&crate::sync::checkpoint::State>,
    rep: &mut super::TableReport,
) -> anyhow::Result<RepairReport> {
    let not = |status: &str, why: &str| RepairReport {
        status: status.into(),
        reason: Some(why.into()),
        ..RepairReport::default()
    };
    if t.model != Model::Primary {
        return Ok(not(
            "not_possible",
            "a DUPLICATE KEY table: a wrong row can only be removed by a DELETE, which StarRocks \
             runs on DUPLICATE tables as its own transaction deleting every row matching its \
             predicate, so it cannot be done together with the reload exactly once; re-sync \
             the table with `smt sync --reset`",
        ));
    }
    let Mode::Keyed(key) = mode_of(t) else {
        return Ok(not("not_possible", "no key to repair by"));
    };
    if rep.overflow {
        return Ok(not(
            "refused",
            &format!(
                "more than {} keys differ: start the table over with `smt sync --reset` instead",
                super::KEEP
            ),
        ));
    }
    if let Some(s) = state {
        let done = s
            .tables
            .get(&t.target_name())
            .is_some_and(|ts| matches!(ts.snapshot, SnapshotStatus::Done { .. }));
        if !done {
            return Ok(not(
                "refused",
                "smt sync has not finished this table's snapshot: run it first",
            ));
        }
    }
    let keys: Vec<Vec<Option<String>>> = rep.confirmed.iter().map(|(_, k)| k.clone()).collect();
    if keys.is_empty() {
        return Ok(not(
            "nothing_to_do",
            "no confirmed difference (only keys that kept changing)",
        ));
    }
    let spec = BodySpec::new(t);
    let tag = batch::table_tag(&t.target_database, &t.target_table);
    let mut out = RepairReport {
        status: "repaired".into(),
        ..RepairReport::default()
    };
    for (n, chunk) in keys.chunks(CHUNK).enumerate() {
        let mut view = SourceView::begin(&ctx.v.config.source, ctx.server, ctx.tz)?;
        let src = view.lookup(t, &key, chunk)?;
        view.finish();
        let (tgt, _) = super::target::lookup(fe, t, &key, chunk)?;
        let mut rows: Vec<(Op, Vec<Cell>)> = Vec::new();
        for k in chunk {
            if let Some((_, cells)) = src.get(k) {
                rows.push((Op::Upsert, cells.clone()));
                out.upserted += 1;
            } else if let Some(trow) = tgt.get(k) {
                rows.push((Op::Delete, crate::sync::cell::of_target_row(t, trow)));
                out.deleted += 1;
            }
        }
        if rows.is_empty() {
            continue;
        }
        let refs: Vec<(Op, &Vec<Cell>)> = rows.iter().map(|(o, r)| (*o, r)).collect();
        let body = spec.encode(&refs, false);
        let label = format!("smtrepair_{run}_{tag}_{n}");
        debug_assert!(batch::is_valid_label(&label));
        let policy = sink::default_retry();
        tracing::info!(table = %t.target_name(), %label, rows = rows.len(), "repair: loading");
        sink::load_txn(
            client,
            &t.target_database,
            &t.target_table,
            &label,
            &[body],
            &spec.extra_headers,
            600,
            &policy,
        )
        .map_err(sink::SinkError::into_anyhow)?;
        sink::commit(
            client,
            &PendingLabel {
                db: t.target_database.clone(),
                table: t.target_table.clone(),
                label: label.clone(),
                prepared_at: Some(sink::unix_now()),
            },
            &policy,
        )?;
        out.labels.push(label);
    }
    // The repaired keys, checked again.
    let after = ctx.recheck(fe, t, &key, keys)?;
    out.remaining = (after.confirmed.len() + after.unsettled.len()) as u64;
    if out.remaining > 0 {
        out.status = "failed".into();
        out.reason = Some(format!(
            "{} key(s) still differ after the repair",
            out.remaining
        ));
    }
    Ok(out)
}
