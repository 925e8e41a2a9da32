//! What StarRocks can follow: the one place that compares a table as it is (SHOW CREATE TABLE,
//! or the plan of an earlier schema) with the plan, and classifies every difference. `apply`'s
//! report, `sync`'s preflight and schema evolution, `smt diff` and `apply --alter` all read
//! the same [`Change`]s, so they cannot disagree about what is compatible. Pure.
//!
//! Classification (StarRocks' schema change rules, `../shared/reference/starrocks-protocol.md`
//! §5 and the FE's `SchemaChangeHandler`):
//! - a planned column StarRocks lacks → `ADD COLUMN … AFTER <previous planned column>`
//!   (nullable, so existing rows read NULL);
//! - a non-key column StarRocks has and the plan does not → `DROP COLUMN` (only on request:
//!   it deletes data);
//! - a non-key column whose type grows in a way StarRocks converts in place (integers to a
//!   wider integer, VARCHAR longer, DECIMAL with more integer digits and the same scale,
//!   FLOAT → DOUBLE) → `MODIFY COLUMN`;
//! - NOT NULL in StarRocks, NULL planned (non-key) → `MODIFY COLUMN … NULL`;
//! - column order → reported only (loads name their columns, so order never matters for data);
//! - anything else (key model, key columns, a key column's type, narrowing, a change of kind,
//!   NULL → NOT NULL) → "needs a rebuild", with the reason.

use crate::ident::{quote, quote_qualified};
use crate::plan::{Model, TablePlan};
pub use crate::starrocks::show_create::{normalize_type, ColumnShape, KeyModel, TableShape};
use serde::Serialize;
use std::fmt;

/// One difference between a table as it is and as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Planned, missing in StarRocks. `after`: the planned column before it (None = first).
    Add {
        column: ColumnShape,
        after: Option<String>,
    },
    /// In StarRocks, not planned (a non-key column).
    Drop { name: String, ty: String },
    /// A non-key column's type grows in a way StarRocks converts in place (`nullable`: as
    /// planned; a NOT NULL → NULL change of the same column is part of it).
    Widen {
        name: String,
        from: String,
        to: String,
        nullable: bool,
    },
    /// A non-key column is NOT NULL in StarRocks and nullable in the plan (same type).
    Relax { name: String, ty: String },
    /// A column is nullable in StarRocks and NOT NULL in the plan: StarRocks cannot make a
    /// column NOT NULL; loading is unaffected (the plan's values are never NULL).
    Tighten { name: String },
    /// Same column, another position (informational).
    Position {
        name: String,
        existing: usize,
        planned: usize,
    },
    /// StarRocks cannot alter this in place: recreate the table (and reload it).
    Rebuild { what: String, reason: String },
}

impl Change {
    /// Whether `ALTER TABLE` can bring StarRocks to the plan for this change. A drop only with
    /// `allow_drop`.
    pub fn alterable(&self, allow_drop: bool) -> bool {
        match self {
            Change::Add { .. } | Change::Widen { .. } | Change::Relax { .. } => true,
            Change::Drop { .. } => allow_drop,
            Change::Tighten { .. } | Change::Position { .. } | Change::Rebuild { .. } => false,
        }
    }

    /// Whether the change is about nullability or position only (the column set and types
    /// agree).
    pub fn is_cosmetic(&self) -> bool {
        matches!(
            self,
            Change::Position { .. } | Change::Relax { .. } | Change::Tighten { .. }
        )
    }

    /// The ALTER TABLE statement for an alterable change.
    pub fn alter_sql(&self, db: &str, table: &str) -> Option<String> {
        let t = quote_qualified(db, table);
        match self {
            Change::Add { column, after } => {
                Some(add_column_sql(db, table, column, after.as_deref(), None))
            }
            Change::Drop { name, .. } => {
                Some(format!("ALTER TABLE {t} DROP COLUMN {}", quote(name)))
            }
            Change::Widen {
                name, to, nullable, ..
            } => Some(format!(
                "ALTER TABLE {t} MODIFY COLUMN {} {to} {}",
                quote(name),
                null_word(*nullable)
            )),
            Change::Relax { name, ty } => Some(format!(
                "ALTER TABLE {t} MODIFY COLUMN {} {ty} NULL",
                quote(name)
            )),
            Change::Tighten { .. } | Change::Position { .. } | Change::Rebuild { .. } => None,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Add { column, .. } => write!(
                f,
                "column {}: missing in StarRocks (planned {})",
                column.name, column.ty
            ),
            Change::Drop { name, ty } => {
                write!(f, "column {name}: in StarRocks ({ty}) but not planned")
            }
            Change::Widen { name, from, to, .. } => {
                write!(f, "column {name}: type {from} in StarRocks, planned {to}")
            }
            Change::Relax { name, .. } => {
                write!(f, "column {name}: NOT NULL in StarRocks, planned NULL")
            }
            Change::Tighten { name } => {
                write!(f, "column {name}: NULL in StarRocks, planned NOT NULL")
            }
            Change::Position {
                name,
                existing,
                planned,
            } => write!(
                f,
                "column {name}: position {existing} in StarRocks, planned {planned}"
            ),
            Change::Rebuild { what, reason } => write!(f, "{what} ({reason})"),
        }
    }
}

/// The planned shape of a table.
pub fn shape_of_plan(t: &TablePlan) -> TableShape {
    TableShape {
        database: Some(t.target_database.clone()),
        table: t.target_table.clone(),
        columns: t
            .columns
            .iter()
            .map(|c| ColumnShape {
                name: c.name.clone(),
                ty: normalize_type(&c.sr_type.to_string()),
                nullable: c.nullable,
            })
            .collect(),
        model: Some(match t.model {
            Model::Primary => KeyModel::Primary,
            Model::Duplicate => KeyModel::Duplicate,
        }),
        key: t.key.clone(),
    }
}

/// Every difference of `existing` against `planned`, columns in planned order, then extra
/// columns, then the key. Column names compare case-insensitively (as in StarRocks).
pub fn diff(existing: &TableShape, planned: &TableShape) -> Vec<Change> {
    let mut out = Vec::new();
    let find = |shape: &TableShape, name: &str| {
        shape
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    };
    let is_key = |name: &str| {
        planned.key.iter().any(|k| k.eq_ignore_ascii_case(name))
            || existing.key.iter().any(|k| k.eq_ignore_ascii_case(name))
    };
    for (pi, pc) in planned.columns.iter().enumerate() {
        let Some(ei) = find(existing, &pc.name) else {
            if is_key(&pc.name) {
                out.push(Change::Rebuild {
                    what: format!(
                        "column {}: missing in StarRocks (planned {})",
                        pc.name, pc.ty
                    ),
                    reason: "a key column cannot be added to an existing table".into(),
                });
            } else {
                out.push(Change::Add {
                    column: pc.clone(),
                    after: pi.checked_sub(1).map(|i| planned.columns[i].name.clone()),
                });
            }
            continue;
        };
        let ec = &existing.columns[ei];
        let key = is_key(&pc.name);
        let relax = !ec.nullable && pc.nullable && !key;
        if ec.ty != pc.ty {
            let what = format!(
                "column {}: type {} in StarRocks, planned {}",
                pc.name, ec.ty, pc.ty
            );
            match (key, widens(&ec.ty, &pc.ty)) {
                (false, true) => out.push(Change::Widen {
                    name: pc.name.clone(),
                    from: ec.ty.clone(),
                    to: pc.ty.clone(),
                    nullable: pc.nullable,
                }),
                (true, _) => out.push(Change::Rebuild {
                    what,
                    reason: "key column types cannot be changed".into(),
                }),
                (false, false) => out.push(Change::Rebuild {
                    what,
                    reason: "StarRocks converts only to a wider type of the same kind".into(),
                }),
            }
        }
        if ec.nullable != pc.nullable {
            if relax && ec.ty == pc.ty {
                out.push(Change::Relax {
                    name: pc.name.clone(),
                    ty: pc.ty.clone(),
                });
            } else if relax {
                // With a type change: the Widen's MODIFY carries the NULL too (see
                // [`alter_statements`]); reported on its own line all the same.
                out.push(Change::Relax {
                    name: pc.name.clone(),
                    ty: pc.ty.clone(),
                });
            } else if ec.nullable && !key {
                out.push(Change::Tighten {
                    name: pc.name.clone(),
                });
            } else {
                out.push(Change::Rebuild {
                    what: format!(
                        "column {}: {} in StarRocks, planned {}",
                        pc.name,
                        null_word(ec.nullable),
                        null_word(pc.nullable)
                    ),
                    reason: "key column nullability cannot be changed".into(),
                });
            }
        }
        if ei != pi {
            out.push(Change::Position {
                name: pc.name.clone(),
                existing: ei + 1,
                planned: pi + 1,
            });
        }
    }
    for ec in &existing.columns {
        if find(planned, &ec.name).is_some() {
            continue;
        }
        if is_key(&ec.name) {
            out.push(Change::Rebuild {
                what: format!(
                    "column {}: in StarRocks ({}) but not planned",
                    ec.name, ec.ty
                ),
                reason: "a key column cannot be dropped".into(),
            });
        } else {
            out.push(Change::Drop {
                name: ec.name.clone(),
                ty: ec.ty.clone(),
            });
        }
    }
    match (planned.model, existing.model) {
        (Some(p), Some(e)) if p != e => out.push(Change::Rebuild {
            what: format!("key model: {e} in StarRocks, planned {p}"),
            reason: "a table's model cannot be changed".into(),
        }),
        (Some(p), None) => out.push(Change::Rebuild {
            what: format!("key model: none shown in StarRocks, planned {p}"),
            reason: "a table's model cannot be changed".into(),
        }),
        _ => {}
    }
    let same_key = planned.key.len() == existing.key.len()
        && planned
            .key
            .iter()
            .zip(&existing.key)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    if planned.model.is_some() && !same_key {
        out.push(Change::Rebuild {
            what: format!(
                "key columns: ({}) in StarRocks, planned ({})",
                existing.key.join(", "),
                planned.key.join(", ")
            ),
            reason: "a table's key cannot be changed".into(),
        });
    }
    out
}

/// The ALTER TABLE statements that bring a table to the plan for the alterable `changes` (a
/// drop only with `allow_drop`), one column change per statement, in order: drops first (a
/// re-added name must be free), then modifications, then additions. A Relax of a column that is
/// also widened is part of that MODIFY.
pub fn alter_statements(
    db: &str,
    table: &str,
    changes: &[Change],
    allow_drop: bool,
) -> Vec<String> {
    let widened = |n: &str| {
        changes
            .iter()
            .any(|c| matches!(c, Change::Widen { name, .. } if name.eq_ignore_ascii_case(n)))
    };
    let rank = |c: &Change| match c {
        Change::Drop { .. } => 0,
        Change::Widen { .. } | Change::Relax { .. } => 1,
        _ => 2,
    };
    let mut picked: Vec<&Change> = changes
        .iter()
        .filter(|c| c.alterable(allow_drop))
        .filter(|c| !matches!(c, Change::Relax { name, .. } if widened(name)))
        .collect();
    picked.sort_by_key(|c| rank(c));
    picked
        .into_iter()
        .filter_map(|c| c.alter_sql(db, table))
        .collect()
}

/// `ALTER TABLE … ADD COLUMN` (nullable; StarRocks fills existing rows with `default`, else
/// NULL) at its planned place: after `after`, or first.
pub fn add_column_sql(
    db: &str,
    table: &str,
    column: &ColumnShape,
    after: Option<&str>,
    default: Option<&crate::plan::SrDefault>,
) -> String {
    let default = match default {
        Some(crate::plan::SrDefault::Literal(v)) => {
            format!(" DEFAULT {}", crate::ident::sr_string(v))
        }
        Some(crate::plan::SrDefault::CurrentTimestamp) => " DEFAULT CURRENT_TIMESTAMP".into(),
        None => String::new(),
    };
    format!(
        "ALTER TABLE {} ADD COLUMN {} {} NULL{default}{}",
        quote_qualified(db, table),
        quote(&column.name),
        column.ty,
        match after {
            Some(a) => format!(" AFTER {}", quote(a)),
            None => " FIRST".to_string(),
        }
    )
}

fn null_word(nullable: bool) -> &'static str {
    if nullable {
        "NULL"
    } else {
        "NOT NULL"
    }
}

/// `(base, args)` of a normalised type: `VARCHAR(10)` → (`VARCHAR`, [10]).
fn parts(ty: &str) -> (&str, Vec<u64>) {
    match ty.find('(') {
        Some(p) if ty.ends_with(')') => (
            &ty[..p],
            ty[p + 1..ty.len() - 1]
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect(),
        ),
        _ => (ty, Vec::new()),
    }
}

/// Whether StarRocks converts a `from` column to `to` in place without losing a value
/// (normalised type texts).
pub fn widens(from: &str, to: &str) -> bool {
    const INTS: [&str; 5] = ["TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT"];
    let (fb, fa) = parts(from);
    let (tb, ta) = parts(to);
    let rank = |b: &str| INTS.iter().position(|i| *i == b);
    match (fb, tb) {
        _ if from == to => true,
        (f, t) if rank(f).is_some() && rank(t).is_some() => rank(f) < rank(t),
        ("VARCHAR", "VARCHAR") => matches!((fa.first(), ta.first()), (Some(a), Some(b)) if b >= a),
        ("DECIMAL", "DECIMAL") => match (fa.as_slice(), ta.as_slice()) {
            ([p1, s1], [p2, s2]) => s1 == s2 && p2 >= p1,
            _ => false,
        },
        ("FLOAT", "DOUBLE") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str, nullable: bool) -> ColumnShape {
        ColumnShape {
            name: name.into(),
            ty: ty.into(),
            nullable,
        }
    }

    fn shape(cols: Vec<ColumnShape>, key: &[&str]) -> TableShape {
        TableShape {
            database: Some("d".into()),
            table: "t".into(),
            columns: cols,
            model: Some(KeyModel::Primary),
            key: key.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn identical_tables_have_no_changes() {
        let s = shape(
            vec![col("id", "BIGINT", false), col("v", "VARCHAR(10)", true)],
            &["id"],
        );
        assert!(diff(&s, &s).is_empty());
    }

    #[test]
    fn every_kind_is_classified() {
        let existing = shape(
            vec![
                col("id", "INT", false),
                col("gone", "INT", true),
                col("v", "VARCHAR(10)", true),
                col("n", "INT", false),
                col("d", "DECIMAL(10,2)", true),
                col("s", "VARCHAR(10)", true),
            ],
            &["id"],
        );
        let planned = shape(
            vec![
                col("id", "BIGINT", false),
                col("v", "VARCHAR(20)", true),
                col("n", "BIGINT", true),
                col("d", "DECIMAL(12,2)", true),
                col("s", "INT", true),
                col("new", "DATE", true),
            ],
            &["id"],
        );
        let ch = diff(&existing, &planned);
        let has = |p: &dyn Fn(&Change) -> bool| ch.iter().any(p);
        assert!(has(
            &|c| matches!(c, Change::Rebuild { what, .. } if what.contains("column id: type INT"))
        ));
        assert!(has(
            &|c| matches!(c, Change::Widen { name, .. } if name == "v")
        ));
        assert!(has(
            &|c| matches!(c, Change::Widen { name, nullable: true, .. } if name == "n")
        ));
        assert!(has(
            &|c| matches!(c, Change::Relax { name, .. } if name == "n")
        ));
        assert!(has(
            &|c| matches!(c, Change::Widen { name, .. } if name == "d")
        ));
        assert!(has(
            &|c| matches!(c, Change::Rebuild { what, .. } if what.contains("column s"))
        ));
        assert!(has(
            &|c| matches!(c, Change::Add { column, after } if column.name == "new" && after.as_deref() == Some("s"))
        ));
        assert!(has(
            &|c| matches!(c, Change::Drop { name, .. } if name == "gone")
        ));
        assert!(has(
            &|c| matches!(c, Change::Position { name, .. } if name == "v")
        ));
        let adds = alter_statements("d", "t", &ch, true);
        assert_eq!(
            adds[0], "ALTER TABLE `d`.`t` DROP COLUMN `gone`",
            "{adds:?}"
        );
        assert_eq!(
            adds.iter().filter(|a| a.contains("`n`")).count(),
            1,
            "one MODIFY for a widened and relaxed column: {adds:?}"
        );
        assert!(adds.contains(&"ALTER TABLE `d`.`t` MODIFY COLUMN `n` BIGINT NULL".to_string()));
        assert!(!alter_statements("d", "t", &ch, false)
            .iter()
            .any(|a| a.contains("DROP")));
        assert!(
            adds.contains(&"ALTER TABLE `d`.`t` ADD COLUMN `new` DATE NULL AFTER `s`".to_string()),
            "{adds:?}"
        );
        assert!(adds.contains(&"ALTER TABLE `d`.`t` DROP COLUMN `gone`".to_string()));
        assert!(!ch
            .iter()
            .find(|c| matches!(c, Change::Drop { .. }))
            .unwrap()
            .alterable(false));
    }

    #[test]
    fn key_changes_need_a_rebuild() {
        let existing = shape(
            vec![col("id", "INT", false), col("k2", "INT", false)],
            &["id", "k2"],
        );
        let planned = shape(vec![col("id", "INT", false)], &["id"]);
        let ch = diff(&existing, &planned);
        assert!(ch.iter().all(|c| !c.alterable(true)), "{ch:?}");
        assert!(ch.iter().any(|c| c
            .to_string()
            .contains("key columns: (id, k2) in StarRocks, planned (id)")));
    }

    #[test]
    fn diffs_parsed_tables_column_by_column() {
        use crate::starrocks::show_create::parse_create_table;
        let d = |planned: &TableShape, existing: &TableShape| -> Vec<String> {
            diff(existing, planned)
                .iter()
                .map(|c| c.to_string())
                .collect()
        };
        let planned = parse_create_table(
            "CREATE TABLE d.t (`id` BIGINT NOT NULL, `name` VARCHAR(20) NULL, `x` INT NULL) PRIMARY KEY(`id`)",
        )
        .expect("p");
        let same = parse_create_table(
            "CREATE TABLE `t` (`id` bigint(20) NOT NULL COMMENT \"\", `name` varchar(20) NULL, `x` int(11) NULL) ENGINE=OLAP PRIMARY KEY(`id`) DISTRIBUTED BY HASH(`id`)",
        )
        .expect("s");
        assert_eq!(d(&planned, &same), Vec::<String>::new());
        let changed = parse_create_table(
            "CREATE TABLE `t` (`id` bigint NOT NULL, `name` varchar(40) NOT NULL, `extra` int NULL) DUPLICATE KEY(`id`)",
        )
        .expect("c");
        let d1 = d(&planned, &changed);
        for want in [
            "column name: type VARCHAR(40) in StarRocks, planned VARCHAR(20)",
            "column name: NOT NULL in StarRocks, planned NULL",
            "column x: missing in StarRocks (planned INT)",
            "column extra: in StarRocks (INT) but not planned",
            "key model: DUPLICATE KEY in StarRocks, planned PRIMARY KEY",
        ] {
            assert!(d1.iter().any(|l| l.starts_with(want)), "{want}: {d1:?}");
        }
        let reordered = parse_create_table(
            "CREATE TABLE `t` (`id` bigint NOT NULL, `x` int NULL, `name` varchar(20) NULL) PRIMARY KEY(`id`)",
        )
        .expect("r");
        let d2 = d(&planned, &reordered);
        assert!(
            d2.iter().any(|s| s.starts_with("column name: position 3")),
            "{d2:?}"
        );
    }

    #[test]
    fn widening_rules() {
        assert!(widens("INT", "BIGINT") && widens("TINYINT", "LARGEINT"));
        assert!(!widens("BIGINT", "INT"));
        assert!(widens("VARCHAR(10)", "VARCHAR(65533)") && !widens("VARCHAR(10)", "VARCHAR(5)"));
        assert!(
            widens("DECIMAL(10,2)", "DECIMAL(20,2)") && !widens("DECIMAL(10,2)", "DECIMAL(12,3)")
        );
        assert!(widens("FLOAT", "DOUBLE") && !widens("DOUBLE", "FLOAT"));
        assert!(!widens("INT", "VARCHAR(20)") && !widens("DATE", "DATETIME"));
    }
}
