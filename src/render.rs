//! TablePlan → SQL text through the askama templates in `templates/`.
//!
//! Invariant: every identifier that reaches a template went through [`crate::ident::quote`], and
//! every string literal through [`crate::ident::sr_string`] (StarRocks, `"..."`) or
//! [`crate::ident::sq_string`] (Flink, `'...'`). Templates only place pre-quoted pieces, so no
//! input name or comment can end a literal or an identifier early. Output is a pure function of
//! its inputs (no maps with random order, no clocks), so the same plan renders byte-identically.
//!
//! The Flink SQL follows SMT's shape (`<t>_src` mysql-cdc table, `<t>_sink` starrocks table,
//! INSERT) with these fixes: deterministic option order, explicit column lists instead of
//! `SELECT *`, one `EXECUTE STATEMENT SET` per rule file (one job instead of one per table),
//! distinct `server-id` ranges per source table across the whole output, shard-origin metadata
//! columns for merged shards, and the source names regex-escaped (mysql-cdc reads
//! `database-name`/`table-name` as regexes).

use crate::config::{FormatSource, RuleConfig, SourceConfig, SourceKind};
use crate::ident::{quote, quote_qualified, sq_string, sr_string};
use crate::plan::{
    ColumnOrigin, Encoding, Model, Plan, RulePlan, SrDefault, SrType, TablePlan, TargetColumn,
};
use askama::Template;
use std::collections::BTreeSet;

/// One DDL statement with what it creates, so `apply` can report per object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DdlStatement {
    /// Target database the statement creates or creates into.
    pub database: String,
    /// `None` for CREATE DATABASE.
    pub table: Option<String>,
    /// The statement text, without a trailing `;`.
    pub sql: String,
}

/// First server id handed out when no rule sets `flink.cdc.server-id`.
pub const DEFAULT_SERVER_ID_BASE: u32 = 5400;
/// Width of the server-id range given to each source table (its maximum source parallelism).
pub const SERVER_ID_RANGE: u32 = 4;
/// The Flink catalog every generated table lives in.
pub const FLINK_CATALOG: &str = "default_catalog";

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "starrocks/create_database.sql", escape = "none")]
struct SrCreateDatabase<'a> {
    db: &'a str,
}

struct SrColumnView {
    name: String,
    ty: String,
    null: &'static str,
    default: Option<String>,
    comment: Option<String>,
}

#[derive(Template)]
#[template(path = "starrocks/create_table.sql", escape = "none")]
struct SrCreateTable {
    name: String,
    columns: Vec<SrColumnView>,
    key: Option<String>,
    comment: Option<String>,
    partition: Option<String>,
    distributed: Option<String>,
    buckets: Option<u32>,
    properties: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "flink/create_database.sql", escape = "none")]
struct FlinkCreateDatabase {
    db: String,
}

struct FlinkColumnView {
    name: String,
    ty: String,
    not_null: bool,
    /// Quoted metadata key, e.g. `'database_name'`.
    metadata: Option<String>,
}

#[derive(Template)]
#[template(path = "flink/create_table.sql", escape = "none")]
struct FlinkCreateTable {
    /// One-line comments placed before the statement.
    notes: Vec<String>,
    name: String,
    columns: Vec<FlinkColumnView>,
    primary_key: Option<String>,
    options: Vec<(String, String)>,
}

struct InsertView {
    sink: String,
    select: String,
    source: String,
}

#[derive(Template)]
#[template(path = "flink/statement_set.sql", escape = "none")]
struct FlinkStatementSet {
    inserts: Vec<InsertView>,
}

/// Render a template into a String. Writing into a String cannot fail and our templates call
/// no fallible filters, so an error here is a bug in this module, not bad input.
fn render<T: Template>(t: &T) -> String {
    match t.render() {
        Ok(s) => s.trim().to_string(),
        Err(e) => panic!("bug: template rendering failed: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// StarRocks

fn sr_create_database(db: &str) -> DdlStatement {
    DdlStatement {
        database: db.to_string(),
        table: None,
        sql: render(&SrCreateDatabase { db: &quote(db) }),
    }
}

/// `CREATE TABLE IF NOT EXISTS ...` for one planned table (no trailing `;`).
/// Clause order per StarRocks' grammar: columns, ENGINE, key, COMMENT, PARTITION BY,
/// DISTRIBUTED BY, PROPERTIES. PRIMARY KEY columns are always `NOT NULL`; other columns
/// (DUPLICATE KEY columns included, which StarRocks allows to be NULL) follow `nullable`.
pub fn starrocks_table(t: &TablePlan) -> String {
    let is_pk = |c: &TargetColumn| t.model == Model::Primary && t.key.contains(&c.name);
    let columns = t
        .columns
        .iter()
        .map(|c| SrColumnView {
            name: quote(&c.name),
            ty: c.sr_type.to_string(),
            null: if is_pk(c) || !c.nullable {
                "NOT NULL"
            } else {
                "NULL"
            },
            default: c.default.as_ref().map(|d| match d {
                SrDefault::Literal(s) => sr_string(s),
                SrDefault::CurrentTimestamp => "CURRENT_TIMESTAMP".to_string(),
            }),
            comment: (!c.comment.is_empty()).then(|| sr_string(&c.comment)),
        })
        .collect();
    let key = (!t.key.is_empty()).then(|| {
        let kind = match t.model {
            Model::Primary => "PRIMARY KEY",
            Model::Duplicate => "DUPLICATE KEY",
        };
        format!("{kind} ({})", quote_list(&t.key))
    });
    let view = SrCreateTable {
        name: quote_qualified(&t.target_database, &t.target_table),
        columns,
        key,
        comment: (!t.comment.is_empty()).then(|| sr_string(&t.comment)),
        partition: t
            .partition_clause
            .as_ref()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty()),
        distributed: (!t.distributed_by.is_empty()).then(|| quote_list(&t.distributed_by)),
        buckets: t.buckets,
        properties: t
            .properties
            .iter()
            .map(|(k, v)| (sr_string(k), sr_string(v)))
            .collect(),
    };
    render(&view)
}

fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sorted_tables<'a>(tables: impl Iterator<Item = &'a TablePlan>) -> Vec<&'a TablePlan> {
    let mut v: Vec<&TablePlan> = tables.collect();
    v.sort_by(|a, b| {
        (&a.target_database, &a.target_table, &a.rule).cmp(&(
            &b.target_database,
            &b.target_table,
            &b.rule,
        ))
    });
    v
}

fn statements_for<'a>(tables: impl Iterator<Item = &'a TablePlan>) -> Vec<DdlStatement> {
    let tables = sorted_tables(tables);
    let dbs: BTreeSet<&str> = tables.iter().map(|t| t.target_database.as_str()).collect();
    let mut out: Vec<DdlStatement> = dbs.into_iter().map(sr_create_database).collect();
    out.extend(tables.into_iter().map(|t| DdlStatement {
        database: t.target_database.clone(),
        table: Some(t.target_table.clone()),
        sql: starrocks_table(t),
    }));
    out
}

/// All StarRocks DDL of a plan: CREATE DATABASE statements first (deduplicated, sorted by
/// name), then CREATE TABLE statements sorted by (database, table, rule).
pub fn starrocks_statements(plan: &Plan) -> Vec<DdlStatement> {
    statements_for(plan.rules.iter().flat_map(|r| r.tables.iter()))
}

/// The StarRocks DDL of one rule, ordered like [`starrocks_statements`].
pub fn starrocks_rule_statements(rule_plan: &RulePlan) -> Vec<DdlStatement> {
    statements_for(rule_plan.tables.iter())
}

/// Statements joined as a file: each ends with `;`, separated by a blank line (SMT style),
/// with a final newline. Empty input gives an empty string.
pub fn join_statements<S: AsRef<str>>(statements: &[S]) -> String {
    let mut out = String::new();
    for (i, s) in statements.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(s.as_ref());
        out.push(';');
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Flink

/// A comment line safe to place after `-- `: no line breaks.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Options with the user's overriding ours: our keys keep their position with the user's
/// value, then the user's other keys in file order; a key the user repeats takes its last value.
fn merge_options(ours: Vec<(String, String)>, user: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = ours;
    for (k, v) in user {
        match out.iter_mut().find(|(ok, _)| ok == k) {
            Some(slot) => slot.1 = v.clone(),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

/// How the server-id range of the tables of one rule is chosen.
struct ServerIds {
    next: u32,
    width: u32,
}

/// Parse `N` or `N-M` (the user's `flink.cdc.server-id`).
fn parse_server_id(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    match s.split_once('-') {
        Some((a, b)) => {
            let a: u32 = a.trim().parse().ok()?;
            let b: u32 = b.trim().parse().ok()?;
            (a >= 1 && b >= a).then(|| (a, b - a + 1))
        }
        None => {
            let a: u32 = s.parse().ok()?;
            (a >= 1).then_some((a, 1))
        }
    }
}

fn server_id_text(start: u32, width: u32) -> String {
    if width <= 1 {
        start.to_string()
    } else {
        format!("{start}-{}", start.saturating_add(width - 1))
    }
}

/// Flink type of the value the source table yields for a target column, and the metadata key
/// for shard-origin columns.
fn flink_source_side(c: &TargetColumn) -> (String, String, Option<&'static str>) {
    match &c.origin {
        ColumnOrigin::Source { name, .. } => {
            // The mysql-cdc side type; the plan leaves it empty only for origin columns.
            let ty = if c.flink_source_type.is_empty() {
                c.flink_type.clone()
            } else {
                c.flink_source_type.clone()
            };
            (name.clone(), ty, None)
        }
        ColumnOrigin::ShardDatabase => (c.name.clone(), "STRING".into(), Some("database_name")),
        ColumnOrigin::ShardTable => (c.name.clone(), "STRING".into(), Some("table_name")),
    }
}

fn flink_table_name(db: &str, table: &str) -> String {
    format!("{}.{}.{}", quote(FLINK_CATALOG), quote(db), quote(table))
}

/// Everything rendered for one target table.
struct FlinkTable {
    source_ddl: String,
    sink_ddl: String,
    /// The INSERT, or the warnings saying why this table cannot be loaded by Flink SQL.
    insert: Result<InsertView, Vec<String>>,
}

fn flink_table(
    t: &TablePlan,
    rule: &RuleConfig,
    src: &SourceConfig,
    ids: &mut ServerIds,
) -> FlinkTable {
    let is_pk = t.model == Model::Primary && !t.key.is_empty();
    let src_name = flink_table_name(&t.target_database, &format!("{}_src", t.target_table));
    let sink_name = flink_table_name(&t.target_database, &format!("{}_sink", t.target_table));

    // --- source table
    let mut unloadable = Vec::new();
    let mut lossy = Vec::new();
    let mut src_cols = Vec::new();
    let mut select = Vec::new();
    for c in &t.columns {
        let (sname, sty, meta) = flink_source_side(c);
        let key_col = is_pk && t.key.contains(&c.name);
        src_cols.push(FlinkColumnView {
            name: quote(&sname),
            ty: sty.clone(),
            not_null: meta.is_some() || key_col || !c.nullable,
            metadata: meta.map(sq_string),
        });
        let expr = if let Some(why) = flink_cannot_convert(c) {
            let key_col = t.key.contains(&c.name);
            if key_col || !c.nullable {
                unloadable.push(format!(
                    "column {}: {why}; it is a key or NOT NULL column, so this table's INSERT is \
                     left out of the statement set: replicate it with `smt sync` (built-in engine)",
                    c.name
                ));
            } else {
                lossy.push(format!(
                    "column {}: {why}; this job writes NULL into it: replicate the table with \
                     `smt sync` (built-in engine) to keep its values",
                    c.name
                ));
            }
            format!("CAST(NULL AS {})", c.flink_type)
        } else if sty == c.flink_type {
            quote(&sname)
        } else {
            format!("CAST({} AS {})", quote(&sname), c.flink_type)
        };
        select.push(if sname == c.name && sty == c.flink_type {
            expr
        } else {
            format!("{expr} AS {}", quote(&c.name))
        });
    }
    // Source-side key: the target key columns that come from source columns.
    let src_key: Vec<String> = if is_pk {
        t.key
            .iter()
            .filter_map(|k| t.column(k))
            .filter_map(|c| match &c.origin {
                ColumnOrigin::Source { name, .. } => Some(name.clone()),
                ColumnOrigin::ShardDatabase | ColumnOrigin::ShardTable => None,
            })
            .collect()
    } else {
        Vec::new()
    };

    let tidb = match src.kind {
        SourceKind::Tidb => true,
        SourceKind::Mysql | SourceKind::Dump(_) => false,
    };
    // mysql-cdc reads database-name/table-name as regexes, so plain names are escaped;
    // tidb-cdc takes plain names.
    let pattern = |s: &str| {
        if tidb {
            s.to_string()
        } else {
            regex::escape(s)
        }
    };
    // Several sources without a plan regex: an alternation of the names (mysql-cdc matches
    // `<database-name>.<table-name>`, so the groups keep the alternatives apart).
    let alternation = |names: BTreeSet<&str>| {
        let alts: Vec<String> = names.into_iter().map(regex::escape).collect();
        format!("({})", alts.join("|"))
    };
    let (db_pattern, table_pattern) = match (&t.shard_regex, t.sources.as_slice()) {
        (Some((d, tb)), _) => (d.clone(), tb.clone()),
        (None, [s]) => (pattern(&s.database), pattern(&s.table)),
        (None, []) => (pattern(&t.target_database), pattern(&t.target_table)),
        (None, many) => (
            alternation(many.iter().map(|s| s.database.as_str()).collect()),
            alternation(many.iter().map(|s| s.table.as_str()).collect()),
        ),
    };
    let mut src_notes = Vec::new();
    let mut ours: Vec<(String, String)> = if tidb {
        if !rule.flink_cdc.iter().any(|(k, _)| k == "pd-addresses") {
            src_notes.push(
                "TiDB source: set flink.cdc.pd-addresses (host:2379) in the rule".to_string(),
            );
        }
        vec![
            ("connector".into(), "tidb-cdc".into()),
            ("database-name".into(), db_pattern),
            ("table-name".into(), table_pattern),
        ]
    } else {
        let server_id = server_id_text(ids.next, ids.width);
        ids.next = ids.next.saturating_add(ids.width);
        vec![
            ("connector".into(), "mysql-cdc".into()),
            ("hostname".into(), src.host.clone()),
            ("port".into(), src.port.to_string()),
            ("username".into(), src.user.clone()),
            ("password".into(), src.password.expose().to_string()),
            ("database-name".into(), db_pattern),
            ("table-name".into(), table_pattern),
            ("server-id".into(), server_id),
        ]
    };
    if let (Some(tz), false) = (&src.time_zone, tidb) {
        ours.push(("server-time-zone".into(), tz.clone()));
    }
    let user_cdc: Vec<(String, String)> = rule
        .flink_cdc
        .iter()
        .filter(|(k, _)| k != "server-id" || tidb)
        .cloned()
        .collect();
    let src_options = merge_options(ours, &user_cdc);

    if src_key.is_empty()
        && !tidb
        && !src_options.iter().any(|(k, _)| {
            k == "scan.incremental.snapshot.chunk.key-column"
                || k == "scan.incremental.snapshot.enabled"
        })
    {
        src_notes.push(
            "no primary key: mysql-cdc needs flink.cdc.scan.incremental.snapshot.chunk.key-column \
             (or flink.cdc.scan.incremental.snapshot.enabled = false) for this table"
                .to_string(),
        );
    }
    if t.is_merged() {
        let names: Vec<String> = t
            .sources
            .iter()
            .map(|s| format!("{}.{}", s.database, s.table))
            .collect();
        src_notes.push(one_line(&format!(
            "reads {} shard(s): {}",
            t.sources.len(),
            names.join(", ")
        )));
    }
    let source_ddl = render(&FlinkCreateTable {
        notes: src_notes,
        name: src_name.clone(),
        columns: src_cols,
        primary_key: (!src_key.is_empty()).then(|| quote_list(&src_key)),
        options: quote_options(&src_options),
    });

    // --- sink table
    let sink_cols = t
        .columns
        .iter()
        .map(|c| FlinkColumnView {
            name: quote(&c.name),
            ty: c.flink_type.clone(),
            not_null: !c.nullable || (is_pk && t.key.contains(&c.name)),
            metadata: None,
        })
        .collect();
    const RESERVED: [&str; 3] = ["connector", "database-name", "table-name"];
    let mut sink_notes = Vec::new();
    let mut user_sr = Vec::new();
    for (k, v) in &rule.flink_starrocks {
        if RESERVED.contains(&k.as_str()) {
            sink_notes.push(one_line(&format!(
                "flink.starrocks.{k} = {v:?} is not used: smt sets {k} for each table (SMT docs: do not set it)"
            )));
        } else {
            user_sr.push((k.clone(), v.clone()));
        }
    }
    let mut ours: Vec<(String, String)> = vec![
        ("connector".into(), "starrocks".into()),
        ("database-name".into(), t.target_database.clone()),
        ("table-name".into(), t.target_table.clone()),
    ];
    ours.extend(
        added_sink_options(rule)
            .into_iter()
            .map(|(k, v, _)| (k.to_string(), v.to_string())),
    );
    let sink_options = merge_options(ours, &user_sr);
    for needed in ["jdbc-url", "load-url", "username"] {
        if !sink_options.iter().any(|(k, _)| k == needed) {
            sink_notes.push(format!(
                "missing flink.starrocks.{needed}: set it in the rule before running this job"
            ));
        }
    }
    sink_notes.extend(lossy.iter().map(|n| one_line(&format!("WARNING {n}"))));
    let sink_ddl = render(&FlinkCreateTable {
        notes: sink_notes,
        name: sink_name.clone(),
        columns: sink_cols,
        primary_key: is_pk.then(|| quote_list(&t.key)),
        options: quote_options(&sink_options),
    });

    FlinkTable {
        source_ddl,
        sink_ddl,
        insert: if unloadable.is_empty() {
            Ok(InsertView {
                sink: sink_name,
                select: select.join(", "),
                source: src_name,
            })
        } else {
            Err(unloadable
                .iter()
                .map(|n| one_line(&format!("WARNING {sink_name}: {n}")))
                .collect())
        },
    }
}

/// Sink keys smt adds to a rule's Flink sink beyond what the rule configured, with the reason
/// (the generate summary lists them): only the format, and only when the rule does not set
/// one — JSON when nothing says otherwise (the connector's default CSV splits values holding a
/// tab or a newline into wrong columns and rows), CSV when the rule sets separators (they mean
/// CSV; adding JSON would silently void them).
pub fn added_sink_options(rule: &RuleConfig) -> Vec<(&'static str, &'static str, &'static str)> {
    match rule.sink.format_source {
        FormatSource::Configured => vec![],
        FormatSource::ImpliedBySeparators => vec![(
            "sink.properties.format",
            "csv",
            "the rule sets CSV separators and no format",
        )],
        FormatSource::Default => vec![
            (
                "sink.properties.format",
                "json",
                "no format configured: JSON carries tabs and newlines inside values",
            ),
            (
                "sink.properties.strip_outer_array",
                "true",
                "goes with the JSON format",
            ),
        ],
    }
}

/// Why Flink SQL cannot produce the target value of `c` from what mysql-cdc yields, if it
/// cannot: Flink has no function from BYTES to an integer (BIT(n>1) → BIGINT/LARGEINT) nor to
/// hex text (binary held as hex in VARCHAR), and no user-defined functions are shipped.
fn flink_cannot_convert(c: &TargetColumn) -> Option<String> {
    if !matches!(c.origin, ColumnOrigin::Source { .. }) {
        return None;
    }
    match (c.encoding, c.sr_type) {
        (Encoding::BitAsInteger, _) => Some(format!(
            "Flink SQL has no conversion from BIT bytes ({}) to {}",
            c.flink_source_type, c.sr_type
        )),
        (Encoding::Hex, SrType::Varchar(_)) => Some(format!(
            "Flink SQL has no conversion from BYTES to the hex text StarRocks holds in {}",
            c.sr_type
        )),
        _ => None,
    }
}

fn quote_options(opts: &[(String, String)]) -> Vec<(String, String)> {
    opts.iter()
        .map(|(k, v)| (sq_string(k), sq_string(v)))
        .collect()
}

/// The Flink SQL file of one rule: CREATE DATABASE per target database, a `<t>_src`
/// (mysql-cdc) and `<t>_sink` (starrocks) table per target, and all INSERTs in one
/// `EXECUTE STATEMENT SET`. `server_id_base` is the next free server id; each source table takes
/// a range of [`SERVER_ID_RANGE`] ids and the base advances past it. If the rule sets
/// `flink.cdc.server-id` (`N` or `N-M`), its tables take consecutive ranges from `N` of the
/// same width (a single id each for `N`), and the base moves past them if they reach beyond it.
pub fn flink_rule(rule_plan: &RulePlan, src: &SourceConfig, server_id_base: &mut u32) -> String {
    let rule: &RuleConfig = &rule_plan.config;
    let mut statements: Vec<String> = Vec::new();
    let mut header = vec![format!(
        "-- Flink SQL for rule {} (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)",
        one_line(&rule_plan.rule)
    )];

    let user_sid = rule.flink_cdc.iter().rev().find(|(k, _)| k == "server-id");
    let mut ids = match user_sid.map(|(_, v)| (v, parse_server_id(v))) {
        Some((_, Some((start, width)))) => ServerIds { next: start, width },
        Some((v, None)) => {
            header.push(one_line(&format!(
                "-- flink.cdc.server-id = {v} is not N or N-M; using generated ranges"
            )));
            ServerIds {
                next: *server_id_base,
                width: SERVER_ID_RANGE,
            }
        }
        None => ServerIds {
            next: *server_id_base,
            width: SERVER_ID_RANGE,
        },
    };

    let tables = sorted_tables(rule_plan.tables.iter());
    if tables.is_empty() {
        header.push("-- this rule matched no tables".into());
        return header.join("\n") + "\n";
    }
    let dbs: BTreeSet<&str> = tables.iter().map(|t| t.target_database.as_str()).collect();
    for db in dbs {
        statements.push(render(&FlinkCreateDatabase {
            db: format!("{}.{}", quote(FLINK_CATALOG), quote(db)),
        }));
    }
    let mut inserts = Vec::new();
    for t in tables {
        let ft = flink_table(t, rule, src, &mut ids);
        statements.push(ft.source_ddl);
        statements.push(ft.sink_ddl);
        match ft.insert {
            Ok(insert) => inserts.push(insert),
            Err(warnings) => header.extend(warnings.into_iter().map(|w| format!("-- {w}"))),
        }
    }
    if inserts.is_empty() {
        header.push("-- no table of this rule can be loaded by Flink SQL (see above)".into());
        return format!("{}\n{}", header.join("\n"), join_statements(&statements));
    }
    if ids.next > *server_id_base {
        *server_id_base = ids.next;
    }
    statements.push(render(&FlinkStatementSet { inserts }));
    format!("{}\n{}", header.join("\n"), join_statements(&statements))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_smt() {
        assert_eq!(join_statements(&["a", "b"]), "a;\n\nb;\n");
        assert_eq!(join_statements::<&str>(&[]), "");
    }

    #[test]
    fn merges_options_user_overrides_in_place() {
        let ours = vec![("a".into(), "1".into()), ("b".into(), "2".into())];
        let user = vec![
            ("c".to_string(), "3".to_string()),
            ("a".to_string(), "9".to_string()),
            ("c".to_string(), "4".to_string()),
        ];
        assert_eq!(
            merge_options(ours, &user),
            vec![
                ("a".to_string(), "9".to_string()),
                ("b".to_string(), "2".to_string()),
                ("c".to_string(), "4".to_string())
            ]
        );
    }

    #[test]
    fn parses_server_ids() {
        assert_eq!(parse_server_id("5500"), Some((5500, 1)));
        assert_eq!(parse_server_id("5500-5503"), Some((5500, 4)));
        assert_eq!(parse_server_id("5503-5500"), None);
        assert_eq!(parse_server_id("x"), None);
        assert_eq!(parse_server_id("0"), None);
        assert_eq!(server_id_text(7, 1), "7");
        assert_eq!(server_id_text(7, 4), "7-10");
    }

    #[test]
    fn comment_lines_cannot_break_out() {
        assert_eq!(one_line("a\nb\r\nc"), "a b  c");
    }
}
