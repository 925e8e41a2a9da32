//! TablePlan → SQL text through the askama templates in `templates/`.
//!
//! Invariant: every identifier that reaches a template went through [`crate::ident::quote`], and
//! every string literal through [`crate::ident::sr_string`] (StarRocks, `"..."`) or
//! [`crate::ident::sq_string`] (Flink, `'...'`). Templates only place pre-quoted pieces, so no
//! input name or comment can end a literal or an identifier early. Output is a pure function of
//! its inputs (no maps with random order, no clocks), so the same plan renders byte-identically.
//!
//! The Flink SQL is rendered by [`flink`] (SMT's shape with its fixes, see there), the Flink CDC 3
//! pipeline YAML by [`pipeline`]; [`flink_outputs`] renders both for a plan.

pub mod flink;
pub mod pipeline;

pub use flink::{
    added_sink_options, flink_rule, ServerIds, SnapshotRead, DEFAULT_SERVER_ID_BASE, FLINK_CATALOG,
};

use crate::ident::{quote, quote_qualified, sr_string};
use crate::plan::{Model, Plan, RulePlan, SrDefault, TablePlan, TargetColumn};
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

/// Render a template into a String. Writing into a String cannot fail and our templates call
/// no fallible filters, so an error here is a bug in this module, not bad input.
pub(crate) fn render<T: Template>(t: &T) -> String {
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

pub(crate) fn quote_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn sorted_tables<'a>(tables: impl Iterator<Item = &'a TablePlan>) -> Vec<&'a TablePlan> {
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
// Flink (SQL in `flink`, Flink CDC pipeline YAML in `pipeline`)

/// A comment line safe to place after `-- ` or `# `: no line breaks.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Everything Flink of a plan: the Flink SQL of each rule and the Flink CDC pipelines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkOutputs {
    /// (rule, `flink-create.<rule>.sql` text), rules in config order.
    pub sql: Vec<(String, String)>,
    /// (rule, `flink-cdc-pipeline.<rule>.yaml` text) for each rule the pipeline can carry.
    pub pipelines: Vec<(String, String)>,
    /// `flink-cdc-pipeline.all.yaml`: every rule in one pipeline (None when no table fits).
    pub all_pipeline: Option<String>,
}

/// Render every Flink file of `plan`. Server-id ranges are distinct across all of them: users'
/// `flink.cdc.server-id` ranges are reserved first, then each Flink SQL source takes a range
/// as wide as the largest `flink_parallelism` of all rules (the `.all.sql` file holds every
/// rule's jobs), then each pipeline a range as wide as its own parallelism.
pub fn flink_outputs(plan: &Plan) -> anyhow::Result<FlinkOutputs> {
    let src = &plan.source;
    let width = plan
        .rules
        .iter()
        .filter(|r| !r.tables.is_empty())
        .map(|r| r.config.flink_parallelism)
        .max()
        .unwrap_or(1);
    let mut rules = plan
        .rules
        .iter()
        .map(|rp| flink::rule_sources(rp, src))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut ids = ServerIds::default();
    flink::assign_server_ids(&mut rules, &mut ids, width)?;
    let sql = rules
        .iter()
        .map(|rs| (rs.rule_plan.rule.clone(), flink::render_rule(rs, src)))
        .collect();
    let (pipelines, all_pipeline) = pipeline::pipelines(plan, &mut ids)?;
    Ok(FlinkOutputs {
        sql,
        pipelines,
        all_pipeline,
    })
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
    fn comment_lines_cannot_break_out() {
        assert_eq!(one_line("a\nb\r\nc"), "a b  c");
    }
}
