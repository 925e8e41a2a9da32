//! One function per subcommand, wiring the pure modules to the I/O modules. The only place
//! (with the sync driver) where both sides meet.

use crate::cli::{Cli, Command, Format, GenerateArgs};
use crate::config::{Config, SourceKind};
use crate::error::{fail, Kind};
use crate::plan::{NoteKind, Plan};
use crate::schema::TableDesc;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub fn init_logging(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log_level));
    let json = matches!(&cli.command, Command::Sync(a) if a.format == Format::Json);
    // Colour only on a terminal (and not with NO_COLOR): never escape codes in files or pipes.
    // Log lines go above the snapshot's progress bars while they are drawn.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::sync::status::LogWriter)
        .with_ansi(crate::sync::status::colour_on_stderr())
        .with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Run a command; Ok(exit code).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Generate(a) => generate(&a),
        Command::Apply(a) => apply(&a),
        Command::Diff(a) => diff(&a),
        Command::Sync(a) => sync(&a),
        Command::Verify(a) => verify(&a),
    }
}

/// Config with the command-line overrides applied (`--dump`).
fn load_config(path: &Path, dump: Option<&Path>) -> anyhow::Result<Config> {
    let mut config = crate::config::load(path)?;
    if let Some(d) = dump {
        config.source.kind = SourceKind::Dump(d.to_path_buf());
    }
    Ok(config)
}

/// What introspection (or dump parsing) found.
pub struct SourceSchema {
    pub tables: Vec<TableDesc>,
    pub summary: SourceSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceSummary {
    pub kind: String,
    pub server_version: Option<String>,
    /// information_schema queries issued (0 for a dump).
    pub queries: u32,
    pub tables_read: usize,
    /// Set when the source user cannot see everything (its grants are not global): what it
    /// may read and the GRANT that would show more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
}

/// Read the source schema, restricted to databases some rule can match.
pub fn read_source(config: &Config) -> anyhow::Result<SourceSchema> {
    let want_db = |db: &str| config.wants_database(db);
    match &config.source.kind {
        SourceKind::Dump(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| fail(Kind::Config, format!("schema dump {}: {e}", path.display())))?;
            let all = crate::schema::dump::parse_dump(&text).map_err(|e| {
                fail(
                    Kind::Config,
                    format!("schema dump {}: {e:#}", path.display()),
                )
            })?;
            if all.is_empty() {
                return Err(fail(
                    Kind::Config,
                    format!(
                        "schema dump {}: no CREATE TABLE statement found; give a schema dump \
                         (mysqldump / mariadb-dump --no-data --databases ...) or a [db] server",
                        path.display()
                    ),
                ));
            }
            let tables: Vec<TableDesc> = all.into_iter().filter(|t| want_db(&t.database)).collect();
            Ok(SourceSchema {
                summary: SourceSummary {
                    kind: "dump".into(),
                    server_version: None,
                    queries: 0,
                    tables_read: tables.len(),
                    visibility: None,
                },
                tables,
            })
        }
        SourceKind::Mysql | SourceKind::Tidb => {
            let intro = crate::schema::introspect::introspect(&config.source, &want_db)?;
            Ok(SourceSchema {
                summary: SourceSummary {
                    kind: "server".into(),
                    server_version: Some(intro.server.version.clone()),
                    queries: intro.queries,
                    tables_read: intro.tables.len(),
                    visibility: intro.visibility.limits(&intro.server.current_user),
                },
                tables: intro.tables,
            })
        }
    }
}

/// Plan, or a Kind::Plan failure listing every problem.
pub fn plan_tables(config: &Config, tables: &[TableDesc]) -> anyhow::Result<Plan> {
    crate::plan::build(config, tables).map_err(|e| fail(Kind::Plan, e.to_string()))
}

/// [`plan_tables`] of what [`read_source`] found; when the source user cannot see everything,
/// a failure also says what it may see (the usual reason why nothing matched).
pub fn plan_source(config: &Config, source: &SourceSchema) -> anyhow::Result<Plan> {
    crate::plan::build(config, &source.tables).map_err(|e| {
        let mut msg = e.to_string();
        if let Some(v) = &source.summary.visibility {
            msg.push_str(&format!("  - {v}\n"));
        }
        fail(Kind::Plan, msg)
    })
}

#[derive(Debug, Serialize)]
struct GenerateSummary {
    config: PathBuf,
    source: SourceSummary,
    output_dir: PathBuf,
    tables_planned: usize,
    rules: Vec<RuleSummary>,
    notes: Vec<NoteSummary>,
    skipped: Vec<crate::plan::Skipped>,
    files: Vec<FileSummary>,
    /// Files named like ours in the output directory that this run did not write (left alone).
    stale_files: Vec<PathBuf>,
}

#[derive(Debug, Serialize)]
struct RuleSummary {
    rule: String,
    tables: usize,
    merged: Vec<MergeSummary>,
    /// Flink sink keys smt added beyond what the rule configured: (key, value, why).
    added_sink_options: Vec<(String, String, String)>,
}

#[derive(Debug, Serialize)]
struct MergeSummary {
    target: String,
    sources: Vec<String>,
}

#[derive(Debug, Serialize)]
struct NoteSummary {
    table: String,
    kind: NoteKind,
    column: Option<String>,
    message: String,
}

#[derive(Debug, Serialize)]
struct FileSummary {
    path: PathBuf,
    bytes: usize,
    secret: bool,
}

fn generate(args: &GenerateArgs) -> anyhow::Result<u8> {
    let mut config = load_config(&args.config.config, args.config.dump.as_deref())?;
    if let Some(dir) = &args.output_dir {
        config.other.output_dir = dir.clone();
    }
    let source = read_source(&config)?;
    let plan = plan_source(&config, &source)?;
    let files = crate::output::result_files(&plan)?;
    let out_dir = &config.other.output_dir;
    let written = crate::output::write_result_files(out_dir, &files).map_err(|e| {
        fail(
            Kind::Local,
            format!(
                "cannot write the result files to {}: {e:#}. Check the output directory \
                 ([other] output_dir, or -o) and its permissions",
                out_dir.display()
            ),
        )
    })?;

    let summary = GenerateSummary {
        config: config.path.clone(),
        source: source.summary,
        output_dir: config.other.output_dir.clone(),
        tables_planned: plan.rules.iter().map(|r| r.tables.len()).sum(),
        rules: plan
            .rules
            .iter()
            .map(|r| RuleSummary {
                rule: r.rule.clone(),
                tables: r.tables.len(),
                added_sink_options: crate::render::added_sink_options(&r.config)
                    .into_iter()
                    .map(|(k, v, why)| (k.to_string(), v.to_string(), why.to_string()))
                    .collect(),
                merged: r
                    .tables
                    .iter()
                    .filter(|t| t.is_merged())
                    .map(|t| MergeSummary {
                        target: format!("{}.{}", t.target_database, t.target_table),
                        sources: t
                            .sources
                            .iter()
                            .map(|s| format!("{}.{}", s.database, s.table))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        notes: plan
            .rules
            .iter()
            .flat_map(|r| r.tables.iter())
            .flat_map(|t| {
                t.notes.iter().map(move |n| NoteSummary {
                    table: format!("{}.{}", t.target_database, t.target_table),
                    kind: n.kind,
                    column: n.column.clone(),
                    message: n.message.clone(),
                })
            })
            .collect(),
        skipped: plan.skipped.clone(),
        stale_files: written.stale,
        files: files
            .iter()
            .map(|f| FileSummary {
                path: config.other.output_dir.join(&f.name),
                bytes: f.content.len(),
                secret: f.secret,
            })
            .collect(),
    };
    // Some tables could not be planned: the others are written, the exit code says "partial".
    let code = if summary.skipped.is_empty() {
        0
    } else {
        Kind::Partial.exit_code()
    };
    match args.format {
        Format::Json => {
            let mut v = serde_json::to_value(&summary)?;
            v["exit_code"] = code.into();
            println!("{}", serde_json::to_string_pretty(&v)?)
        }
        Format::Text => print!("{}", summary_text(&summary)),
    }
    Ok(code)
}

fn summary_text(s: &GenerateSummary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let src = match &s.source.server_version {
        Some(v) => format!(
            "server {v}, {} information_schema queries",
            s.source.queries
        ),
        None => "schema dump".to_string(),
    };
    let _ = writeln!(
        out,
        "smt generate: {} source tables ({src}) -> {} target tables in {}",
        s.source.tables_read,
        s.tables_planned,
        s.output_dir.display()
    );
    if let Some(v) = &s.source.visibility {
        let _ = writeln!(out, "warning: {v}");
    }
    for r in &s.rules {
        if r.tables == 0 {
            let _ = writeln!(out, "  rule {}: matched no table", r.rule);
            continue;
        }
        let _ = writeln!(out, "  rule {}: {} target tables", r.rule, r.tables);
        for (k, v, why) in &r.added_sink_options {
            let _ = writeln!(
                out,
                "    added to its Flink sinks: '{k}' = '{v}' ({why}; set flink.starrocks.{k} to choose)"
            );
        }
        for m in &r.merged {
            let _ = writeln!(
                out,
                "    merged {} shards -> {} ({})",
                m.sources.len(),
                m.target,
                m.sources.join(", ")
            );
        }
    }
    let kinds = [
        (
            NoteKind::Capped,
            "capped columns (the source can hold more than the target)",
        ),
        (NoteKind::Fallback, "fallbacks"),
        (NoteKind::ShardDrift, "shard schema drift (widened)"),
        (NoteKind::KeyWidth, "primary keys that may exceed 128 bytes"),
        (
            NoteKind::Generated,
            "generated columns (expression not carried)",
        ),
        (NoteKind::DroppedDefault, "defaults not carried"),
        (NoteKind::UnknownType, "unknown types mapped to text"),
    ];
    for (kind, title) in kinds {
        let notes: Vec<&NoteSummary> = s.notes.iter().filter(|n| n.kind == kind).collect();
        if notes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}: {}", notes.len());
        for n in notes {
            let col = n
                .column
                .as_deref()
                .map(|c| format!(".{c}"))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}{col}: {}", n.table, n.message);
        }
    }
    if !s.skipped.is_empty() {
        let _ = writeln!(
            out,
            "not planned (fix them, or leave them out with exclude_table / exclude_database in \
             the rule): {}",
            s.skipped.len()
        );
        for k in &s.skipped {
            let _ = writeln!(
                out,
                "  {}.{} (rule {}): {}",
                k.database, k.table, k.rule, k.reason
            );
        }
    }
    for p in &s.stale_files {
        let _ = writeln!(
            out,
            "left in place: {} (named like an smt output but not written by this run: \
             delete it if it belongs to a rule that no longer exists)",
            p.display()
        );
    }
    for f in &s.files {
        let mode = if f.secret {
            " (0600: holds a password)"
        } else {
            ""
        };
        let _ = writeln!(out, "wrote {} ({} bytes){mode}", f.path.display(), f.bytes);
    }
    out
}

fn apply(args: &crate::cli::ApplyArgs) -> anyhow::Result<u8> {
    let config = load_config(&args.config.config, args.config.dump.as_deref())?;
    let opts = crate::apply::ApplyOptions::from_args(args)?;
    let (statements, plan) = match &args.sql {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| fail(Kind::Config, format!("{}: {e}", file.display())))?;
            (crate::apply::statements_from_sql(&text)?, None)
        }
        None => {
            let source = read_source(&config)?;
            let plan = plan_source(&config, &source)?;
            (crate::render::starrocks_statements(&plan), Some(plan))
        }
    };
    let report = crate::apply::run_with_config(&config, &statements, plan.as_ref(), &opts)?;
    print!("{}", report.render(args.format));
    if let Some(err) = report.failure() {
        return Err(err);
    }
    match plan.as_ref().map(|p| p.skipped.as_slice()).unwrap_or(&[]) {
        [] => Ok(0),
        skipped => Err(fail(
            Kind::Partial,
            format!(
                "{} source table(s) could not be planned and were not applied: {}",
                skipped.len(),
                skipped_list(skipped)
            ),
        )),
    }
}

fn diff(args: &crate::cli::DiffArgs) -> anyhow::Result<u8> {
    let config = load_config(&args.config.config, args.config.dump.as_deref())?;
    let only = match &args.only {
        Some(re) => Some(regex::Regex::new(re).map_err(|e| {
            fail(
                Kind::Config,
                format!("--only {re:?} is not a valid regex: {e}"),
            )
        })?),
        None => None,
    };
    let source = read_source(&config)?;
    let plan = plan_source(&config, &source)?;
    let ep = crate::apply::resolve_fe(&config, args.fe.as_deref())?;
    let mut fe = crate::starrocks::fe::FeClient::connect_to(
        &ep,
        std::time::Duration::from_secs(args.timeout.max(1)),
    )?;
    let opts = crate::diff::DiffOptions {
        allow_drop: args.allow_drop,
        only,
    };
    let report = crate::diff::run(&mut fe, &plan, &opts)?;
    print!("{}", report.render(args.format));
    if args.format == Format::Json {
        println!();
    }
    Ok(report.exit_code)
}

/// `db.table (reason)` of each skipped table, `; `-separated.
fn skipped_list(skipped: &[crate::plan::Skipped]) -> String {
    skipped
        .iter()
        .map(|k| format!("{}.{} ({})", k.database, k.table, k.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

fn sync(a: &crate::cli::SyncArgs) -> anyhow::Result<u8> {
    let config = load_config(&a.config.config, a.config.dump.as_deref())?;
    match a.engine {
        crate::cli::Engine::Flink => return crate::sync::flink::run(&config.other.output_dir),
        crate::cli::Engine::FlinkCdc => {
            return crate::sync::flink::run_pipeline(&config.other.output_dir)
        }
        crate::cli::Engine::Builtin => {}
    }
    let plan_now = || -> anyhow::Result<crate::plan::Plan> {
        let schema = read_source(&config)?;
        let plan = plan_source(&config, &schema)?;
        if !plan.skipped.is_empty() {
            // A sync that quietly leaves a matched table behind is a lost table: refuse.
            return Err(fail(
                Kind::Plan,
                format!(
                    "{} source table(s) the rules match cannot be planned, so smt sync does not \
                     start: {}. Fix them, or leave them out explicitly with exclude_table / \
                     exclude_database in their rule",
                    plan.skipped.len(),
                    skipped_list(&plan.skipped)
                ),
            ));
        }
        Ok(plan)
    };
    let plan = plan_now()?;
    crate::sync::run(&config, &plan, a, &plan_now)
}

fn verify(a: &crate::cli::VerifyArgs) -> anyhow::Result<u8> {
    let config = load_config(&a.config.config, a.config.dump.as_deref())?;
    let schema = read_source(&config)?;
    let plan = plan_source(&config, &schema)?;
    crate::verify::run(&config, &plan, a)
}
