//! `smt apply`: run the generated DDL on a StarRocks FE, idempotently.
//!
//! Invariant: apply never destroys or alters anything that exists. Why it holds: the only
//! statements it runs are the given `CREATE DATABASE` / `CREATE TABLE` statements, each made
//! `IF NOT EXISTS`, and a `CREATE TABLE` runs only after the FE said the table does not exist;
//! an existing table is only read (`SHOW CREATE TABLE`) and compared with the plan, and the
//! differences are reported for a human to act on. So a second run changes nothing and reports
//! every object as already existing.
//!
//! Statements run in the given order (databases before their tables). After a failure the rest
//! is skipped unless `continue_on_error`; any failure makes the exit code 6 (`Kind::Partial`).
//!
//! `--alter` lifts the invariant on purpose, and only this far: an existing table is brought to
//! the plan with the statements [`crate::compat::AlterPlan`] calls safe (what `smt diff`
//! lists), each its own statement, run after the table's comparison and waited for with
//! [`FeClient::alter_and_wait`]; DROP COLUMN only with `allow_drop`. What StarRocks cannot
//! alter stays a reported difference. The statements come from comparing the table as it is,
//! so a second run finds nothing to do.

use crate::cli::{ApplyArgs, Format};
use crate::config::Config;
use crate::error::{fail, Kind};
use crate::plan::{Plan, TablePlan};
use crate::render::DdlStatement;
use crate::retry::{self, RetryPolicy};
use crate::starrocks::fe::{FeClient, FeEndpoint, FeError};
use crate::starrocks::show_create::{self, Spanned, TableShape, Tok};
use anyhow::Result;
use regex::Regex;
use serde::Serialize;
use std::time::Duration;

/// Options of `smt apply` (mirrors [`crate::cli::ApplyArgs`]).
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// `--fe host:port` (None = from the rules' `flink.starrocks.jdbc-url`).
    pub fe: Option<String>,
    /// Change nothing: connect when the FE is reachable and say per statement what would
    /// happen (would create / exists identical / exists and differs); otherwise print the SQL.
    pub dry_run: bool,
    /// Only tables whose `db.table` matches (unanchored; use `^...$` to anchor).
    pub only: Option<Regex>,
    /// Keep going after a failed statement.
    pub continue_on_error: bool,
    /// Report format.
    pub format: Format,
    /// Per-statement timeout (connect and each read/write on the FE connection).
    pub timeout: Duration,
    /// After a connection failure (timeout, reset) a statement is retried on a new
    /// connection per this policy (safe: every CREATE is IF NOT EXISTS, existence re-checked).
    pub retry: RetryPolicy,
    /// `--alter`: bring existing tables to the plan with ALTER TABLE.
    pub alter: bool,
    /// `--allow-drop`: with `alter`, DROP COLUMN too.
    pub allow_drop: bool,
    /// How long to wait for each schema-change job.
    pub alter_wait: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            fe: None,
            dry_run: false,
            only: None,
            continue_on_error: false,
            format: Format::Text,
            timeout: Duration::from_secs(60),
            retry: connection_retry(),
            alter: false,
            allow_drop: false,
            alter_wait: Duration::from_secs(3600),
        }
    }
}

impl ApplyOptions {
    /// From the parsed command line; a bad `--only` regex is a `Kind::Config` error.
    pub fn from_args(args: &ApplyArgs) -> Result<ApplyOptions> {
        let only = match &args.only {
            Some(re) => Some(Regex::new(re).map_err(|e| {
                fail(
                    Kind::Config,
                    format!("--only {re:?} is not a valid regex: {e}"),
                )
            })?),
            None => None,
        };
        Ok(ApplyOptions {
            fe: args.fe.clone(),
            dry_run: args.dry_run,
            only,
            continue_on_error: args.continue_on_error,
            format: args.format,
            timeout: Duration::from_secs(args.timeout.max(1)),
            retry: connection_retry(),
            alter: args.alter,
            allow_drop: args.allow_drop,
            alter_wait: Duration::from_secs(args.alter_wait.max(1)),
        })
    }
}

/// 3 attempts, 1 s then 2 s apart.
fn connection_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(10),
        multiplier: 2.0,
    }
}

/// What happened to one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Created,
    /// Dry run: the object does not exist; the statement would create it.
    WouldCreate,
    AlreadyExisted {
        identical: bool,
        /// Column-by-column differences (empty when identical).
        differences: Vec<String>,
    },
    Failed {
        message: String,
    },
    Skipped {
        reason: String,
    },
    /// `--alter`: the ALTER TABLE ran and StarRocks finished its schema change.
    Altered,
    /// `--alter --dry-run`: the ALTER TABLE would run.
    WouldAlter,
    /// `--alter` without `--allow-drop`: a DROP COLUMN not run.
    Withheld {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementReport {
    pub database: String,
    pub table: Option<String>,
    /// The statement as run (or as it would run).
    pub sql: String,
    pub outcome: Outcome,
}

impl StatementReport {
    /// `db` or `db.table`.
    pub fn object(&self) -> String {
        match &self.table {
            Some(t) => format!("{}.{}", self.database, t),
            None => self.database.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub created: usize,
    /// Dry run: statements that would create their object.
    pub would_create: usize,
    pub already_existed_identical: usize,
    pub already_existed_different: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Statements left out by `--only`.
    pub filtered_out: usize,
    /// `--alter`: ALTER TABLE statements run.
    pub altered: usize,
    /// `--alter --dry-run`: ALTER TABLE statements that would run.
    pub would_alter: usize,
    /// `--alter`: DROP COLUMN statements withheld (no `--allow-drop`).
    pub withheld: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// `host:port` of the FE (None when not connected).
    pub fe: Option<String>,
    pub dry_run: bool,
    /// Dry run only: why the FE could not be asked (then nothing was compared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fe_unreachable: Option<String>,
    pub statements: Vec<StatementReport>,
    pub summary: Summary,
}

impl ApplyReport {
    /// 6 when anything failed, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.summary.failed > 0 {
            Kind::Partial.exit_code()
        } else {
            0
        }
    }

    /// A `Kind::Partial` error when anything failed (for `main` to map to exit code 6).
    pub fn failure(&self) -> Option<anyhow::Error> {
        if self.summary.failed == 0 {
            return None;
        }
        let failed: Vec<String> = self
            .statements
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .map(|s| s.object())
            .collect();
        Some(fail(
            Kind::Partial,
            format!(
                "{} statement(s) failed ({}); see the report above, fix the cause and run \
                 apply again (it skips what already exists)",
                failed.len(),
                failed.join(", ")
            ),
        ))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        match (&self.fe, self.dry_run, &self.fe_unreachable) {
            (Some(fe), true, _) => out.push_str(&format!(
                "Dry run against StarRocks FE {fe}: nothing was changed.\n\n"
            )),
            (None, true, Some(why)) => out.push_str(&format!(
                "Dry run: the FE could not be asked ({why}); nothing was compared or changed.\n\n"
            )),
            (None, true, None) => out.push_str("Dry run: nothing was sent to StarRocks.\n\n"),
            (Some(fe), false, _) => out.push_str(&format!("StarRocks FE {fe}\n\n")),
            (None, false, _) => {}
        }
        for s in &self.statements {
            let line = match &s.outcome {
                Outcome::Created => format!("created         {}", s.object()),
                Outcome::WouldCreate => {
                    format!("would create    {}:\n{};\n", s.object(), s.sql)
                }
                Outcome::AlreadyExisted {
                    identical: true, ..
                } => format!("exists          {} (identical)", s.object()),
                Outcome::AlreadyExisted { differences, .. } => {
                    let mut l = format!("exists, DIFFERS {}:", s.object());
                    for d in differences {
                        l.push_str(&format!("\n                  - {d}"));
                    }
                    l
                }
                Outcome::Failed { message } => {
                    format!("FAILED          {}: {message}", s.object())
                }
                Outcome::Skipped { reason } if self.dry_run => {
                    let _ = reason;
                    format!("would run       {}:\n{};\n", s.object(), s.sql)
                }
                Outcome::Skipped { reason } => format!("skipped         {} ({reason})", s.object()),
                Outcome::Altered => format!("altered         {}: {}", s.object(), s.sql),
                Outcome::WouldAlter => format!("would alter     {}:\n{};\n", s.object(), s.sql),
                Outcome::Withheld { reason } => {
                    format!("withheld        {}: {} ({reason})", s.object(), s.sql)
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
        let m = &self.summary;
        let created = if self.dry_run {
            format!("{} would be created", m.would_create)
        } else {
            format!("{} created", m.created)
        };
        out.push_str(&format!(
            "\n{} statement(s): {created}, {} already existed identical, {} already existed \
             with differences, {} failed, {} skipped",
            m.total, m.already_existed_identical, m.already_existed_different, m.failed, m.skipped
        ));
        if m.filtered_out > 0 {
            out.push_str(&format!(", {} left out by --only", m.filtered_out));
        }
        if m.altered + m.would_alter + m.withheld > 0 {
            if self.dry_run {
                out.push_str(&format!(", {} ALTER(s) would run", m.would_alter));
            } else {
                out.push_str(&format!(", {} ALTER(s) run", m.altered));
            }
            if m.withheld > 0 {
                out.push_str(&format!(
                    ", {} DROP COLUMN withheld (--allow-drop runs them)",
                    m.withheld
                ));
            }
        }
        out.push('\n');
        out
    }

    /// The report in the requested format.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Text => self.to_text(),
            Format::Json => self.to_json(),
        }
    }
}

/// Apply `statements` on `fe` (see the module doc). `plan`, when given, is the source of the
/// planned column shapes; otherwise each CREATE TABLE's own text is parsed.
pub fn run(
    statements: &[DdlStatement],
    plan: Option<&Plan>,
    fe: &mut FeClient,
    opts: &ApplyOptions,
) -> ApplyReport {
    execute(statements, plan, Some(fe), opts)
}

/// What `run` would do, without any connection (every statement Skipped "dry run").
pub fn dry_run(statements: &[DdlStatement], opts: &ApplyOptions) -> ApplyReport {
    execute(statements, None, None, opts)
}

/// Resolve the FE, connect unless `opts.dry_run`, and apply. Connection failures are
/// `Kind::Target` errors; statement failures are in the report (see [`ApplyReport::failure`]).
pub fn run_with_config(
    config: &Config,
    statements: &[DdlStatement],
    plan: Option<&Plan>,
    opts: &ApplyOptions,
) -> Result<ApplyReport> {
    if opts.dry_run {
        // Ask the FE when it can be reached (a dry run never changes anything); otherwise say
        // why and print the SQL.
        let reached = resolve_fe(config, opts.fe.as_deref())
            .and_then(|ep| FeClient::connect_to(&ep, opts.timeout.min(Duration::from_secs(10))));
        return Ok(match reached {
            Ok(mut fe) => execute(statements, plan, Some(&mut fe), opts),
            Err(e) => {
                let mut r = dry_run(statements, opts);
                r.fe_unreachable = Some(crate::error::display(&e));
                r
            }
        });
    }
    let ep = resolve_fe(config, opts.fe.as_deref())?;
    let mut fe = FeClient::connect_to(&ep, opts.timeout)?;
    Ok(run(statements, plan, &mut fe, opts))
}

/// Keep the statements `--only` selects: tables whose `db.table` matches, and the databases
/// that keep at least one table. Returns the kept statements and how many were left out.
pub fn filter_only(
    statements: &[DdlStatement],
    only: Option<&Regex>,
) -> (Vec<DdlStatement>, usize) {
    let Some(re) = only else {
        return (statements.to_vec(), 0);
    };
    let kept_tables: Vec<&DdlStatement> = statements
        .iter()
        .filter(|s| {
            s.table
                .as_ref()
                .is_some_and(|t| re.is_match(&format!("{}.{}", s.database, t)))
        })
        .collect();
    let kept: Vec<DdlStatement> = statements
        .iter()
        .filter(|s| match &s.table {
            Some(_) => kept_tables.contains(s),
            None => kept_tables.iter().any(|k| k.database == s.database),
        })
        .cloned()
        .collect();
    let dropped = statements.len() - kept.len();
    (kept, dropped)
}

fn execute(
    statements: &[DdlStatement],
    plan: Option<&Plan>,
    mut fe: Option<&mut FeClient>,
    opts: &ApplyOptions,
) -> ApplyReport {
    let (kept, filtered_out) = filter_only(statements, opts.only.as_ref());
    let fe_addr = fe.as_ref().map(|f| f.address());
    let dry = opts.dry_run || fe.is_none();
    // A dry run with a connection compares; without one it can only print the SQL.
    let mut reports = Vec::with_capacity(kept.len());
    let mut stop_reason: Option<String> = None;
    for st in &kept {
        let sql = ensure_if_not_exists(&st.sql);
        let outcome = if dry {
            match fe.as_deref_mut() {
                Some(fe) => examine(fe, st, plan).unwrap_or_else(|e| Outcome::Failed {
                    message: e.message(),
                }),
                None => Outcome::Skipped {
                    reason: "dry run".into(),
                },
            }
        } else if let Some(reason) = &stop_reason {
            Outcome::Skipped {
                reason: reason.clone(),
            }
        } else if let Some(fe) = fe.as_deref_mut() {
            apply_one(fe, st, &sql, plan, &opts.retry)
        } else {
            Outcome::Skipped {
                reason: "no FE connection".into(),
            }
        };
        let mut outcome = outcome;
        let mut alters = Vec::new();
        if let (true, Some(table), Some(fe), Outcome::AlreadyExisted { .. }) =
            (opts.alter, &st.table, fe.as_deref_mut(), &outcome)
        {
            match alter_plan(fe, st, table, plan, opts.allow_drop) {
                Ok(ap) => {
                    outcome = Outcome::AlreadyExisted {
                        identical: ap.changes.is_empty(),
                        differences: ap.changes.iter().map(|c| c.to_string()).collect(),
                    };
                    for sql in &ap.statements {
                        let o = if dry {
                            Outcome::WouldAlter
                        } else if let Some(reason) = &stop_reason {
                            Outcome::Skipped {
                                reason: reason.clone(),
                            }
                        } else {
                            alter_one(fe, &st.database, table, sql, opts.alter_wait)
                        };
                        if let Outcome::Failed { message } = &o {
                            tracing::warn!(object = %object_of(st), %sql, %message, "ALTER failed");
                            if !opts.continue_on_error {
                                stop_reason = Some(format!(
                                    "not run: an ALTER of {} failed before it (use \
                                     --continue-on-error to keep going)",
                                    object_of(st)
                                ));
                            }
                        }
                        alters.push((sql.clone(), o));
                    }
                    for sql in &ap.withheld_drops {
                        alters.push((
                            sql.clone(),
                            Outcome::Withheld {
                                reason: "deletes the column's data: --allow-drop runs it".into(),
                            },
                        ));
                    }
                }
                Err(message) => outcome = Outcome::Failed { message },
            }
        }
        if let Outcome::Failed { message } = &outcome {
            tracing::warn!(object = %object_of(st), %message, "statement failed");
            if !opts.continue_on_error {
                stop_reason = Some(format!(
                    "not run: {} failed before it (use --continue-on-error to keep going)",
                    object_of(st)
                ));
            }
        }
        reports.push(StatementReport {
            database: st.database.clone(),
            table: st.table.clone(),
            sql,
            outcome,
        });
        for (sql, outcome) in alters {
            reports.push(StatementReport {
                database: st.database.clone(),
                table: st.table.clone(),
                sql,
                outcome,
            });
        }
    }
    let mut summary = Summary {
        total: reports.len(),
        filtered_out,
        ..Summary::default()
    };
    for r in &reports {
        match &r.outcome {
            Outcome::Created => summary.created += 1,
            Outcome::WouldCreate => summary.would_create += 1,
            Outcome::AlreadyExisted {
                identical: true, ..
            } => summary.already_existed_identical += 1,
            Outcome::AlreadyExisted {
                identical: false, ..
            } => summary.already_existed_different += 1,
            Outcome::Failed { .. } => summary.failed += 1,
            Outcome::Skipped { .. } => summary.skipped += 1,
            Outcome::Altered => summary.altered += 1,
            Outcome::WouldAlter => summary.would_alter += 1,
            Outcome::Withheld { .. } => summary.withheld += 1,
        }
    }
    ApplyReport {
        fe: fe_addr,
        dry_run: dry,
        fe_unreachable: None,
        statements: reports,
        summary,
    }
}

fn object_of(st: &DdlStatement) -> String {
    match &st.table {
        Some(t) => format!("{}.{}", st.database, t),
        None => st.database.clone(),
    }
}

fn apply_one(
    fe: &mut FeClient,
    st: &DdlStatement,
    sql: &str,
    plan: Option<&Plan>,
    policy: &RetryPolicy,
) -> Outcome {
    let result = retry::retry(policy, |attempt| {
        if attempt > 1 {
            fe.reconnect()?;
        }
        try_apply_one(fe, st, sql, plan)
    });
    match result {
        Ok(o) => o,
        Err(e) => Outcome::Failed {
            message: e.message(),
        },
    }
}

/// What a statement would do, without changing anything: WouldCreate, or AlreadyExisted with
/// the comparison against the plan.
fn examine(fe: &mut FeClient, st: &DdlStatement, plan: Option<&Plan>) -> Result<Outcome, FeError> {
    Ok(match &st.table {
        None => {
            if fe.database_exists(&st.database)? {
                Outcome::AlreadyExisted {
                    identical: true,
                    differences: vec![],
                }
            } else {
                Outcome::WouldCreate
            }
        }
        Some(table) => match fe.show_create_table(&st.database, table)? {
            Some(existing) => compare_existing(st, table, &existing, plan),
            None => Outcome::WouldCreate,
        },
    })
}

fn try_apply_one(
    fe: &mut FeClient,
    st: &DdlStatement,
    sql: &str,
    plan: Option<&Plan>,
) -> Result<Outcome, FeError> {
    match examine(fe, st, plan)? {
        Outcome::WouldCreate => {
            fe.exec(sql)?;
            Ok(Outcome::Created)
        }
        other => Ok(other),
    }
}

/// The table as planned: from the plan when given, else the CREATE TABLE's own text.
fn planned_shape(
    st: &DdlStatement,
    table: &str,
    plan: Option<&Plan>,
) -> Result<TableShape, String> {
    match plan.and_then(|p| find_table(p, &st.database, table)) {
        Some(tp) => Ok(crate::compat::shape_of_plan(tp)),
        None => show_create::parse_create_table(&st.sql),
    }
}

/// `--alter`: what to run on the existing table `table` of `st` (read afresh). Err: why it
/// cannot be compared.
fn alter_plan(
    fe: &mut FeClient,
    st: &DdlStatement,
    table: &str,
    plan: Option<&Plan>,
    allow_drop: bool,
) -> Result<crate::compat::AlterPlan, String> {
    let planned = planned_shape(st, table, plan)
        .map_err(|e| format!("cannot compare: the planned statement did not parse: {e}"))?;
    let text = fe
        .show_create_table(&st.database, table)
        .map_err(|e| e.message())?
        .ok_or_else(|| format!("{}.{table} disappeared while it was compared", st.database))?;
    let existing = show_create::parse_create_table(&text)
        .map_err(|e| format!("cannot compare: SHOW CREATE TABLE did not parse: {e}"))?;
    Ok(crate::compat::AlterPlan::new(
        &st.database,
        table,
        &existing,
        &planned,
        allow_drop,
    ))
}

/// Run one ALTER TABLE and wait for its schema change. Not retried: an ALTER whose connection
/// failed may have run (`smt diff` shows where the table stands).
fn alter_one(fe: &mut FeClient, db: &str, table: &str, sql: &str, wait: Duration) -> Outcome {
    tracing::info!(table = %format!("{db}.{table}"), %sql, "ALTER TABLE");
    match fe.alter_and_wait(db, table, sql, wait) {
        Ok(()) => Outcome::Altered,
        Err(e @ FeError::Connection(_)) => {
            let _ = fe.reconnect();
            Outcome::Failed {
                message: format!(
                    "{}; whether StarRocks ran it is unknown: `smt diff` shows where the table \
                     stands",
                    e.message()
                ),
            }
        }
        Err(e) => Outcome::Failed {
            message: e.message(),
        },
    }
}

fn compare_existing(
    st: &DdlStatement,
    table: &str,
    existing: &str,
    plan: Option<&Plan>,
) -> Outcome {
    let planned = planned_shape(st, table, plan);
    let differences = match (planned, show_create::parse_create_table(existing)) {
        (Ok(p), Ok(e)) => crate::compat::diff(&e, &p)
            .iter()
            .map(|c| c.to_string())
            .collect(),
        (Err(e), _) => vec![format!(
            "cannot compare: the planned statement did not parse: {e}"
        )],
        (_, Err(e)) => vec![format!(
            "cannot compare: SHOW CREATE TABLE did not parse: {e}"
        )],
    };
    Outcome::AlreadyExisted {
        identical: differences.is_empty(),
        differences,
    }
}

fn find_table<'a>(plan: &'a Plan, db: &str, table: &str) -> Option<&'a TablePlan> {
    plan.rules
        .iter()
        .flat_map(|r| r.tables.iter())
        .find(|t| t.target_database == db && t.target_table == table)
}

/// Insert `IF NOT EXISTS` after `CREATE DATABASE|SCHEMA|TABLE` when it is missing.
fn ensure_if_not_exists(sql: &str) -> String {
    let Ok(toks) = show_create::tokenize(sql) else {
        return sql.to_string();
    };
    let t = |i: usize| toks.get(i).map(|s| &s.tok);
    if !t(0).is_some_and(|x| x.is_kw("CREATE")) {
        return sql.to_string();
    }
    let Some(kind_idx) = (1..toks.len().min(3)).find(|&i| {
        t(i).is_some_and(|x| x.is_kw("TABLE") || x.is_kw("DATABASE") || x.is_kw("SCHEMA"))
    }) else {
        return sql.to_string();
    };
    if t(kind_idx + 1).is_some_and(|x| x.is_kw("IF")) {
        return sql.to_string();
    }
    let at = toks[kind_idx].end;
    format!("{} IF NOT EXISTS{}", &sql[..at], &sql[at..])
}

/// Split a `result/starrocks-create.*.sql` file into statements and recognise the CREATE
/// DATABASE / CREATE TABLE targets. Quote-aware (backticks, '...', "..." with backslash
/// escapes) and comment-aware (`-- `, `#`, `/* */`). Errors (`Kind::Config`) name the
/// statement's line.
pub fn statements_from_sql(text: &str) -> Result<Vec<DdlStatement>> {
    let toks =
        show_create::tokenize(text).map_err(|e| fail(Kind::Config, format!("SQL file: {e}")))?;
    let mut out = Vec::new();
    let mut current: Vec<&Spanned> = Vec::new();
    for s in toks.iter().chain(std::iter::once(&Spanned {
        tok: Tok::Punct(';'),
        start: text.len(),
        end: text.len(),
    })) {
        if s.tok.is_punct(';') {
            if let (Some(first), Some(last)) = (current.first(), current.last()) {
                let sql = text[first.start..last.end].to_string();
                let line = text[..first.start].matches('\n').count() + 1;
                out.push(recognise(&current, sql, line)?);
            }
            current.clear();
        } else {
            current.push(s);
        }
    }
    Ok(out)
}

fn recognise(toks: &[&Spanned], sql: String, line: usize) -> Result<DdlStatement> {
    let t = |i: usize| toks.get(i).map(|s| &s.tok);
    let head: String = sql.chars().take(60).collect();
    let unsupported = || {
        fail(
            Kind::Config,
            format!(
                "line {line}: only CREATE DATABASE and CREATE TABLE statements can be applied, \
                 found: {head}…"
            ),
        )
    };
    if !t(0).is_some_and(|x| x.is_kw("CREATE")) {
        return Err(unsupported());
    }
    let Some(kind) = (1..toks.len().min(4)).find(|&i| {
        t(i).is_some_and(|x| x.is_kw("TABLE") || x.is_kw("DATABASE") || x.is_kw("SCHEMA"))
    }) else {
        return Err(unsupported());
    };
    let mut i = kind + 1;
    if t(i).is_some_and(|x| x.is_kw("IF"))
        && t(i + 1).is_some_and(|x| x.is_kw("NOT"))
        && t(i + 2).is_some_and(|x| x.is_kw("EXISTS"))
    {
        i += 3;
    }
    let name = |i: usize| -> Result<String> {
        t(i).and_then(|x| x.ident())
            .map(str::to_string)
            .ok_or_else(|| {
                fail(
                    Kind::Config,
                    format!("line {line}: CREATE statement without a name: {head}…"),
                )
            })
    };
    let first = name(i)?;
    let is_table = t(kind).is_some_and(|x| x.is_kw("TABLE"));
    if !is_table {
        return Ok(DdlStatement {
            database: first,
            table: None,
            sql,
        });
    }
    if t(i + 1).is_some_and(|x| x.is_punct('.')) {
        let table = name(i + 2)?;
        Ok(DdlStatement {
            database: first,
            table: Some(table),
            sql,
        })
    } else {
        Err(fail(
            Kind::Config,
            format!(
                "line {line}: CREATE TABLE {first} is not qualified with a database; write \
                 `db`.`{first}`"
            ),
        ))
    }
}

/// The FE to apply on: `--fe host:port` when given, else the rules' `flink.starrocks.jdbc-url`
/// (all rules that set one must agree). User and password come from the rules'
/// `flink.starrocks.username` / `password` (default `root`, empty password); rules that set
/// different credentials are an error.
pub fn resolve_fe(config: &Config, fe_flag: Option<&str>) -> Result<FeEndpoint> {
    let cluster = config.cluster();
    let (user, password) = cluster.credentials.map_err(|e| fail(Kind::Config, e))?;
    let addr = match fe_flag {
        Some(flag) => crate::config::target::parse_flag(flag, 9030).map_err(|e| {
            fail(
                Kind::Config,
                format!("--fe {flag:?}: {e} (e.g. 127.0.0.1:9030)"),
            )
        })?,
        None => cluster
            .fe
            .map_err(|e| fail(Kind::Config, e))?
            .first()
            .cloned()
            .ok_or_else(|| {
                fail(
                    Kind::Config,
                    "no StarRocks FE given: pass --fe host:port or set flink.starrocks.jdbc-url \
                     (jdbc:mysql://host:9030) in the [table-rule] sections",
                )
            })?,
    };
    Ok(FeEndpoint {
        host: addr.host,
        port: addr.port,
        user,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(db: &str, table: Option<&str>) -> DdlStatement {
        DdlStatement {
            database: db.into(),
            table: table.map(str::to_string),
            sql: match table {
                Some(t) => {
                    format!("CREATE TABLE `{db}`.`{t}` (`id` INT NOT NULL) PRIMARY KEY(`id`)")
                }
                None => format!("CREATE DATABASE IF NOT EXISTS `{db}`"),
            },
        }
    }

    #[test]
    fn splits_sql_files_quote_and_comment_aware() {
        let text = "-- generated by smt; do not edit\n\
            CREATE DATABASE IF NOT EXISTS `shop`;\n\n\
            /* the orders; table */\n\
            CREATE TABLE IF NOT EXISTS `shop`.`ord;ers` (\n  `id` BIGINT NOT NULL COMMENT \"a;b \\\" c\",\n  `n` VARCHAR(10) NULL COMMENT 'it''s; fine'\n) ENGINE=OLAP PRIMARY KEY(`id`) DISTRIBUTED BY HASH(`id`);\n\
            # trailing comment ;\n\
            create schema other_db;\n\
            CREATE TABLE other_db.t2 (a INT) DUPLICATE KEY(a)\n";
        let v = statements_from_sql(text).expect("split");
        assert_eq!(v.len(), 4, "{v:#?}");
        assert_eq!(v[0].database, "shop");
        assert_eq!(v[0].table, None);
        assert_eq!(v[0].sql, "CREATE DATABASE IF NOT EXISTS `shop`");
        assert_eq!(v[1].table.as_deref(), Some("ord;ers"));
        assert!(v[1]
            .sql
            .starts_with("CREATE TABLE IF NOT EXISTS `shop`.`ord;ers` ("));
        assert!(v[1].sql.ends_with("DISTRIBUTED BY HASH(`id`)"));
        assert!(v[1].sql.contains("'it''s; fine'"));
        assert_eq!(v[2].database, "other_db");
        assert_eq!(v[3].database, "other_db");
        assert_eq!(v[3].table.as_deref(), Some("t2"));
    }

    #[test]
    fn sql_file_errors_are_clear() {
        let e = statements_from_sql("INSERT INTO t VALUES (1);").expect_err("insert");
        assert!(
            e.to_string()
                .contains("only CREATE DATABASE and CREATE TABLE"),
            "{e}"
        );
        assert_eq!(crate::error::exit_code_of(&e), 2);
        let e = statements_from_sql("\n\nCREATE TABLE t (a INT);").expect_err("unqualified");
        assert!(e.to_string().contains("line 3"), "{e}");
        assert!(e.to_string().contains("not qualified"), "{e}");
        let e =
            statements_from_sql("CREATE TABLE `a`.`b` (x INT COMMENT 'open);").expect_err("open");
        assert!(e.to_string().contains("unterminated"), "{e}");
        assert_eq!(
            statements_from_sql("  -- nothing\n").expect("empty").len(),
            0
        );
    }

    #[test]
    fn only_keeps_matching_tables_and_their_databases() {
        let all = vec![
            st("a", None),
            st("a", Some("t1")),
            st("a", Some("t2")),
            st("b", None),
            st("b", Some("t1")),
        ];
        let re = Regex::new(r"^a\.t2$").expect("re");
        let (kept, dropped) = filter_only(&all, Some(&re));
        assert_eq!(kept, vec![st("a", None), st("a", Some("t2"))]);
        assert_eq!(dropped, 3);
        let (kept, dropped) = filter_only(&all, None);
        assert_eq!(kept.len(), 5);
        assert_eq!(dropped, 0);
    }

    #[test]
    fn dry_run_connects_to_nothing_and_prints_the_sql() {
        let all = vec![st("a", None), st("a", Some("t1"))];
        let r = dry_run(&all, &ApplyOptions::default());
        assert!(r.dry_run);
        assert_eq!(r.summary.skipped, 2);
        assert_eq!(r.exit_code(), 0);
        let text = r.to_text();
        assert!(text.contains("would run       a.t1:"), "{text}");
        assert!(
            text.contains("CREATE TABLE IF NOT EXISTS `a`.`t1`"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
        assert_eq!(json["statements"][1]["outcome"]["status"], "skipped");
        assert_eq!(json["summary"]["skipped"], 2);
    }

    #[test]
    fn adds_if_not_exists_only_when_missing() {
        assert_eq!(
            ensure_if_not_exists("CREATE TABLE `a`.`b` (x INT)"),
            "CREATE TABLE IF NOT EXISTS `a`.`b` (x INT)"
        );
        assert_eq!(
            ensure_if_not_exists("create database d"),
            "create database IF NOT EXISTS d"
        );
        let same = "CREATE TABLE IF NOT EXISTS `a`.`b` (x INT)";
        assert_eq!(ensure_if_not_exists(same), same);
    }

    fn config_with(rules: &[(&str, &[(&str, &str)])]) -> Config {
        use crate::config::*;
        Config {
            path: "t.ini".into(),
            source: SourceConfig {
                kind: SourceKind::Mysql,
                host: "h".into(),
                port: 3306,
                user: "u".into(),
                password: Secret::new("p"),
                time_zone: None,
            },
            other: OtherConfig {
                be_num: 1,
                use_decimal_v3: true,
                output_dir: "result".into(),
                tinyint1_as_boolean: false,
                unknown_type_as_string: false,
                shard_origin_columns: true,
                auto_buckets: false,
                sync_duplicate_key_changes: crate::config::DupChanges::Stop,
                sync_follow_truncate: true,
                sync_quarantine: false,
                sync_snapshot_parallelism: None,
                sync_snapshot_catch_up: std::time::Duration::from_secs(30),
                starrocks_version: (3, 3),
            },
            rules: rules
                .iter()
                .map(|(name, opts)| {
                    let opts: Vec<(String, String)> = opts
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    RuleConfig {
                        starrocks: crate::config::StarRocksEndpoints::from_options(&opts)
                            .expect("valid options"),
                        flink_starrocks: opts,
                        ..RuleConfig::new(
                            *name,
                            1,
                            Regex::new(".*").expect("re"),
                            Regex::new(".*").expect("re"),
                        )
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn resolves_the_fe_from_rules_or_flag() {
        let c = config_with(&[
            (
                "1",
                &[
                    ("jdbc-url", "jdbc:mysql://fe:9030"),
                    ("username", "u1"),
                    ("password", "pw"),
                ],
            ),
            (
                "2",
                &[
                    ("jdbc-url", "jdbc:mysql://fe:9030"),
                    ("username", "u1"),
                    ("password", "pw"),
                ],
            ),
        ]);
        let ep = resolve_fe(&c, None).expect("resolve");
        assert_eq!(
            (ep.host.as_str(), ep.port, ep.user.as_str()),
            ("fe", 9030, "u1")
        );
        assert_eq!(ep.password.expose(), "pw");
        let ep = resolve_fe(&c, Some("other:19030")).expect("flag");
        assert_eq!((ep.host.as_str(), ep.port), ("other", 19030));

        let c = config_with(&[
            ("1", &[("jdbc-url", "jdbc:mysql://fe1:9030")]),
            ("2", &[("jdbc-url", "jdbc:mysql://fe2:9030")]),
        ]);
        let e = resolve_fe(&c, None).expect_err("disagree");
        let m = e.to_string();
        assert!(
            m.contains("[table-rule.1] fe1:9030") && m.contains("[table-rule.2] fe2:9030"),
            "{m}"
        );
        assert_eq!(
            resolve_fe(&c, Some("fe3:9030")).expect("flag wins").host,
            "fe3"
        );

        let c = config_with(&[("1", &[])]);
        let e = resolve_fe(&c, None).expect_err("none");
        assert!(e.to_string().contains("--fe"), "{e}");
        let ep = resolve_fe(&c, Some("x:1")).expect("flag");
        assert_eq!(ep.user, "root");

        let c = config_with(&[
            ("1", &[("username", "a"), ("password", "secret1")]),
            ("2", &[("username", "b"), ("password", "secret2")]),
        ]);
        let e = resolve_fe(&c, Some("x:1")).expect_err("creds");
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = resolve_fe(&config_with(&[("1", &[])]), Some("x:y")).expect_err("bad flag");
        assert!(e.to_string().contains("--fe"), "{e}");
    }
}
