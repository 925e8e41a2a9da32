//! `smt diff`: how the StarRocks tables differ from the plan, as the ALTER TABLE statements
//! that would bring them to it. Read-only: the FE is only asked `SHOW CREATE TABLE` (and
//! `SHOW DATABASES` / `SHOW TABLES` when a table is missing). What is compatible is decided in
//! [`crate::compat`] (the same [`AlterPlan`] `apply --alter` runs).
//!
//! Exit code: 0 when every planned table exists and differs in notes at most, 6 when a table
//! differs, is missing, or a source table could not be planned, 4 when a table's SHOW CREATE
//! TABLE cannot be parsed (a failing FE is a `Kind::Target` error, also 4).

use crate::compat::{shape_of_plan, AlterPlan};
use crate::error::Kind;
use crate::plan::{Plan, Skipped, TablePlan};
use crate::starrocks::fe::{FeClient, FeError};
use crate::starrocks::show_create::{parse_create_table, TableShape};
use regex::Regex;
use serde::Serialize;

/// Options of `smt diff` (mirrors [`crate::cli::DiffArgs`]).
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// DROP COLUMN statements are listed among the statements (else withheld).
    pub allow_drop: bool,
    /// Only tables whose `db.table` matches (unanchored).
    pub only: Option<Regex>,
}

/// How one planned table stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TableStatus {
    /// Exists and matches the plan (notes at most).
    Identical,
    /// Exists and differs: see `alter`.
    Differs,
    /// Not in StarRocks: `smt apply` creates it.
    Missing,
    /// SHOW CREATE TABLE printed something smt cannot parse.
    Unreadable { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDiff {
    pub database: String,
    pub table: String,
    #[serde(flatten)]
    pub status: TableStatus,
    /// The comparison, for a table that exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alter: Option<AlterPlan>,
}

impl TableDiff {
    pub fn object(&self) -> String {
        format!("{}.{}", self.database, self.table)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    pub tables: usize,
    pub identical: usize,
    pub differs: usize,
    pub missing: usize,
    pub unreadable: usize,
    /// ALTER TABLE statements listed (what `apply --alter` runs).
    pub statements: usize,
    /// DROP COLUMN statements withheld (no `--allow-drop`).
    pub withheld_drops: usize,
    /// Differences that need a rebuild.
    pub rebuild: usize,
    /// Tables left out by `--only`.
    pub filtered_out: usize,
    /// Source tables that could not be planned.
    pub not_planned: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// `host:port` of the FE.
    pub fe: String,
    pub allow_drop: bool,
    pub tables: Vec<TableDiff>,
    /// Source tables the rules match that could not be planned (not compared).
    pub not_planned: Vec<Skipped>,
    pub summary: DiffSummary,
    pub exit_code: u8,
}

/// Compare one planned table (`planned`, `db`.`table`) with StarRocks.
pub fn examine_table(
    fe: &mut FeClient,
    db: &str,
    table: &str,
    planned: &TableShape,
    allow_drop: bool,
) -> Result<TableDiff, FeError> {
    let (status, alter) = match fe.show_create_table(db, table)? {
        None => (TableStatus::Missing, None),
        Some(text) => match parse_create_table(&text) {
            Err(e) => (
                TableStatus::Unreadable {
                    message: format!("SHOW CREATE TABLE did not parse: {e}"),
                },
                None,
            ),
            Ok(existing) => {
                let plan = AlterPlan::new(db, table, &existing, planned, allow_drop);
                let status = if plan.differs() {
                    TableStatus::Differs
                } else {
                    TableStatus::Identical
                };
                (status, Some(plan))
            }
        },
    };
    Ok(TableDiff {
        database: db.to_string(),
        table: table.to_string(),
        status,
        alter,
    })
}

/// Compare every planned table (sorted by target name) with StarRocks. A failing FE is a
/// `Kind::Target` error naming the table.
pub fn run(fe: &mut FeClient, plan: &Plan, opts: &DiffOptions) -> anyhow::Result<DiffReport> {
    let all = crate::render::sorted_tables(plan.tables());
    let kept: Vec<&TablePlan> = all
        .iter()
        .copied()
        .filter(|t| {
            opts.only
                .as_ref()
                .is_none_or(|re| re.is_match(&t.target_name()))
        })
        .collect();
    let mut tables = Vec::with_capacity(kept.len());
    for t in &kept {
        let d = examine_table(
            fe,
            &t.target_database,
            &t.target_table,
            &shape_of_plan(t),
            opts.allow_drop,
        )
        .map_err(|e| {
            crate::error::fail(
                Kind::Target,
                format!("reading {} from the StarRocks FE: {e}", t.target_name()),
            )
        })?;
        tables.push(d);
    }
    Ok(report(
        fe.address(),
        opts.allow_drop,
        tables,
        plan.skipped.clone(),
        all.len() - kept.len(),
    ))
}

/// The report of compared tables, with its summary and exit code.
pub fn report(
    fe: String,
    allow_drop: bool,
    tables: Vec<TableDiff>,
    not_planned: Vec<Skipped>,
    filtered_out: usize,
) -> DiffReport {
    let mut s = DiffSummary {
        tables: tables.len(),
        filtered_out,
        not_planned: not_planned.len(),
        ..DiffSummary::default()
    };
    for t in &tables {
        match &t.status {
            TableStatus::Identical => s.identical += 1,
            TableStatus::Differs => s.differs += 1,
            TableStatus::Missing => s.missing += 1,
            TableStatus::Unreadable { .. } => s.unreadable += 1,
        }
        if let Some(a) = &t.alter {
            s.statements += a.statements.len();
            s.withheld_drops += a.withheld_drops.len();
            s.rebuild += a.rebuild.len();
        }
    }
    let exit_code = if s.unreadable > 0 {
        Kind::Target.exit_code()
    } else if s.differs + s.missing + s.not_planned > 0 {
        Kind::Partial.exit_code()
    } else {
        0
    };
    DiffReport {
        fe,
        allow_drop,
        tables,
        not_planned,
        summary: s,
        exit_code,
    }
}

impl DiffReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "smt diff against StarRocks FE {}: {} planned table(s)\n",
            self.fe, self.summary.tables
        );
        for t in &self.tables {
            match &t.status {
                TableStatus::Missing => {
                    let _ = writeln!(out, "{}: missing (smt apply creates it)", t.object());
                }
                TableStatus::Unreadable { message } => {
                    let _ = writeln!(out, "{}: cannot compare: {message}", t.object());
                }
                TableStatus::Identical | TableStatus::Differs => {
                    let word = if t.status == TableStatus::Identical {
                        "identical"
                    } else {
                        "differs"
                    };
                    let _ = writeln!(out, "{}: {word}", t.object());
                }
            }
            let Some(a) = &t.alter else { continue };
            for sql in &a.statements {
                let _ = writeln!(out, "  {sql};");
            }
            for sql in &a.withheld_drops {
                let _ = writeln!(out, "  would drop with --allow-drop: {sql};");
            }
            for r in &a.rebuild {
                let _ = writeln!(out, "  needs a rebuild: {r}");
            }
            for n in &a.notes {
                let _ = writeln!(out, "  note: {n}");
            }
        }
        for k in &self.not_planned {
            let _ = writeln!(
                out,
                "{}.{} (rule {}): not planned, not compared: {}",
                k.database, k.table, k.rule, k.reason
            );
        }
        let s = &self.summary;
        let _ = write!(
            out,
            "\n{} table(s): {} identical, {} differ, {} missing",
            s.tables, s.identical, s.differs, s.missing
        );
        if s.unreadable > 0 {
            let _ = write!(out, ", {} unreadable", s.unreadable);
        }
        let _ = write!(
            out,
            "; {} ALTER statement(s){}",
            s.statements,
            if s.statements > 0 {
                " (smt apply --alter runs them)"
            } else {
                ""
            }
        );
        if s.withheld_drops > 0 {
            let _ = write!(out, ", {} drop(s) withheld", s.withheld_drops);
        }
        if s.rebuild > 0 {
            let _ = write!(out, ", {} difference(s) need a rebuild", s.rebuild);
        }
        if s.filtered_out > 0 {
            let _ = write!(out, ", {} table(s) left out by --only", s.filtered_out);
        }
        if s.not_planned > 0 {
            let _ = write!(out, ", {} source table(s) not planned", s.not_planned);
        }
        out.push('\n');
        out
    }

    /// The report in the requested format.
    pub fn render(&self, format: crate::cli::Format) -> String {
        match format {
            crate::cli::Format::Text => self.to_text(),
            crate::cli::Format::Json => self.to_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> TableShape {
        parse_create_table(sql).expect("parse")
    }

    #[test]
    fn text_and_exit_codes() {
        let planned = shape(
            "CREATE TABLE `d`.`t` (`id` INT NOT NULL, `v` VARCHAR(20) NULL, `w` INT NULL) PRIMARY KEY(`id`)",
        );
        let existing = shape(
            "CREATE TABLE `t` (`id` int NOT NULL, `v` varchar(10) NULL, `old` int NULL) DUPLICATE KEY(`id`)",
        );
        let differs = TableDiff {
            database: "d".into(),
            table: "t".into(),
            status: TableStatus::Differs,
            alter: Some(AlterPlan::new("d", "t", &existing, &planned, false)),
        };
        let missing = TableDiff {
            database: "d".into(),
            table: "new".into(),
            status: TableStatus::Missing,
            alter: None,
        };
        let r = report("fe:9030".into(), false, vec![differs, missing], vec![], 0);
        assert_eq!(r.exit_code, 6);
        let text = r.to_text();
        for want in [
            "d.t: differs\n  ALTER TABLE `d`.`t` MODIFY COLUMN `v` VARCHAR(20) NULL;\n  ALTER TABLE `d`.`t` ADD COLUMN `w` INT NULL AFTER `v`;\n",
            "  would drop with --allow-drop: ALTER TABLE `d`.`t` DROP COLUMN `old`;\n",
            "  needs a rebuild: key model: DUPLICATE KEY in StarRocks, planned PRIMARY KEY (a table's model cannot be changed)\n",
            "d.new: missing (smt apply creates it)\n",
            "2 table(s): 0 identical, 1 differ, 1 missing; 2 ALTER statement(s) (smt apply --alter runs them), 1 drop(s) withheld, 1 difference(s) need a rebuild\n",
        ] {
            assert!(text.contains(want), "{want}\n---\n{text}");
        }
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
        assert_eq!(json["tables"][0]["status"], "differs");
        assert_eq!(json["tables"][1]["status"], "missing");
        assert_eq!(
            json["tables"][0]["alter"]["statements"][1],
            "ALTER TABLE `d`.`t` ADD COLUMN `w` INT NULL AFTER `v`"
        );
        assert_eq!(json["exit_code"], 6);

        let same = TableDiff {
            database: "d".into(),
            table: "t".into(),
            status: TableStatus::Identical,
            alter: Some(AlterPlan::new("d", "t", &planned, &planned, false)),
        };
        let r = report("fe:9030".into(), false, vec![same], vec![], 0);
        assert_eq!(r.exit_code, 0);
        let bad = TableDiff {
            database: "d".into(),
            table: "x".into(),
            status: TableStatus::Unreadable {
                message: "no".into(),
            },
            alter: None,
        };
        assert_eq!(
            report("fe".into(), false, vec![bad], vec![], 0).exit_code,
            4
        );
    }
}
