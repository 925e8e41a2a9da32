//! TableDesc + rules → TablePlan: model, keys, column order, types, buckets, shard merge.
//! Pure: no I/O. The plan is the one description of a target table that `render` (DDL, Flink
//! SQL), `apply` and `sync` all read, so they can never disagree.
//!
//! Invariants of [`build`] (tests/common/sr_rules.rs checks them on every plan the tests
//! produce, including a property test over random source types):
//! - key columns are the leading columns of `columns`, in key order; PRIMARY KEY columns are
//!   NOT NULL and of a type StarRocks accepts in a PRIMARY KEY (columns are mapped with
//!   `in_primary_key`; when one cannot be, the table falls back to DUPLICATE KEY and says so);
//! - every type is within StarRocks' parameter ranges (see `mapping`);
//! - every name was checked with `ident::check_starrocks_name`; column names are unique
//!   case-insensitively (StarRocks column names are case-insensitive);
//! - distribution and partition columns exist (and are key columns for PRIMARY KEY tables);
//! - no two plans write the same target table;
//! - every problem of every table is collected (like a compiler): a table that cannot be planned
//!   is listed in `Plan::skipped` with every reason, never dropped silently, and the other
//!   tables are planned; when none can be, the run fails with the full list;
//! - merged shards keep every row apart: with origin columns on, (source db, source table) is
//!   part of the PRIMARY KEY, so equal keys in different shards cannot overwrite each other;
//! - output is deterministic: rules in config order, targets sorted by (database, table),
//!   sources sorted by (database, table).

pub mod model;
mod shards;
mod table;

pub use model::*;
use shards::units_for_rule;
pub use shards::{exact_alternation, merged_name, shard_stem};
use table::plan_unit;

use crate::config::Config;
use crate::schema::TableDesc;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// One problem that prevents planning a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    /// `db.table` of the source table (first shard for merged tables), or `rule N`.
    pub table: String,
    /// Full message, naming the table/column and what to do.
    pub message: String,
}

/// Planning failed: every problem found, for all tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub errors: Vec<TableError>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "cannot plan the target tables ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            writeln!(f, "  - {}", e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanError {}

/// SMT's bucket formula: S < 1 GiB → 1; S < be_num GiB → ceil(S / 1 GiB);
/// else ceil(S / 1 GiB / be_num) × be_num.
pub fn buckets_for_size(data_length: u64, be_num: u32) -> u32 {
    const GIB: u64 = 1 << 30;
    let be = be_num.max(1) as u64;
    let n = if data_length < GIB {
        1
    } else if data_length < be.saturating_mul(GIB) {
        data_length.div_ceil(GIB)
    } else {
        data_length
            .div_ceil(GIB.saturating_mul(be))
            .saturating_mul(be)
    };
    n.min(u32::MAX as u64) as u32
}

/// Build the plan for all tables. Every problem is collected: a table that cannot be planned is
/// left out and listed in `Plan::skipped` with its reasons (never silently); when no table at
/// all can be planned, the whole run fails with every problem.
pub fn build(config: &Config, tables: &[TableDesc]) -> Result<Plan, PlanError> {
    let assignment = crate::rules::assign(&config.rules, tables);
    if assignment.is_empty() {
        let rules: Vec<String> = config
            .rules
            .iter()
            .map(|r| {
                format!(
                    "[table-rule.{}] (line {}: database = {}, table = {})",
                    r.name,
                    r.line,
                    r.database.as_str(),
                    r.table.as_str()
                )
            })
            .collect();
        let message = if config.rules.is_empty() {
            "no [table-rule.N] section in the config: add one with `database` and `table` regexes"
                .to_string()
        } else {
            format!(
                "no source table matched any rule ({} base tables seen); rules that matched nothing: {}. \
                 Check the `database`/`table` regexes (they are unanchored unless you write ^...$)",
                tables.len(),
                rules.join(", ")
            )
        };
        return Err(PlanError {
            errors: vec![TableError {
                table: "rules".into(),
                message,
            }],
        });
    }
    let mut errors = Vec::new();
    let mut plan = Plan {
        source: Arc::new(config.source.clone()),
        ..Plan::default()
    };
    for rt in &assignment.rules {
        let Some(rule) = config.rules.get(rt.index) else {
            continue;
        };
        let rule = Arc::new(rule.clone());
        let mut planned = Vec::new();
        for unit in units_for_rule(&rule, &rt.tables) {
            let sources = unit.sources.clone();
            match plan_unit(&rule, &config.other, unit) {
                Ok(tp) => planned.push(tp),
                Err(es) => {
                    let reason: Vec<&str> = es.iter().map(|e| e.message.as_str()).collect();
                    for s in &sources {
                        plan.skipped.push(Skipped {
                            database: s.database.clone(),
                            table: s.table.clone(),
                            rule: rule.name.clone(),
                            reason: reason.join("; "),
                        });
                    }
                    errors.extend(es);
                }
            }
        }
        planned.sort_by(|a, b| {
            (&a.target_database, &a.target_table).cmp(&(&b.target_database, &b.target_table))
        });
        plan.rules.push(RulePlan::new(rule, planned));
    }
    // Two plans writing one target table would silently mix rows: both are left out.
    let mut writers: HashMap<(String, String), Vec<(usize, usize)>> = HashMap::new();
    for (ri, rp) in plan.rules.iter().enumerate() {
        for (ti, tp) in rp.tables.iter().enumerate() {
            writers
                .entry((tp.target_database.clone(), tp.target_table.clone()))
                .or_default()
                .push((ri, ti));
        }
    }
    let mut drop: Vec<(usize, usize)> = Vec::new();
    let mut collisions: Vec<_> = writers.into_iter().filter(|(_, w)| w.len() > 1).collect();
    collisions.sort();
    for ((db, t), w) in collisions {
        let who: Vec<String> = w
            .iter()
            .map(|&(ri, ti)| {
                let tp = &plan.rules[ri].tables[ti];
                format!("{} (rule {})", sources_label(&tp.sources), tp.rule)
            })
            .collect();
        let message = format!(
            "target table {db}.{t} would be written by {}: set distinct `target_table` values or \
             narrow the rules' regexes (exclude_table / exclude_database)",
            who.join(" and ")
        );
        errors.push(TableError {
            table: format!("{db}.{t}"),
            message: message.clone(),
        });
        for &(ri, ti) in &w {
            let tp = &plan.rules[ri].tables[ti];
            for s in &tp.sources {
                plan.skipped.push(Skipped {
                    database: s.database.clone(),
                    table: s.table.clone(),
                    rule: tp.rule.clone(),
                    reason: message.clone(),
                });
            }
        }
        drop.extend(w);
    }
    drop.sort_unstable_by(|a, b| b.cmp(a));
    for (ri, ti) in drop {
        plan.rules[ri].tables.remove(ti);
    }
    // Nothing at all could be planned: the run fails as a whole (every problem listed).
    if plan.tables().next().is_none() && !errors.is_empty() {
        return Err(PlanError { errors });
    }
    Ok(plan)
}

fn sources_label(s: &[SourceRef]) -> String {
    let v: Vec<String> = s
        .iter()
        .map(|r| format!("{}.{}", r.database, r.table))
        .collect();
    v.join(", ")
}
