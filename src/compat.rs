//! What StarRocks can follow: the one place that compares a table as it is (SHOW CREATE TABLE,
//! or the plan of an earlier schema) with the plan, and classifies every difference. `apply`'s
//! report, `sync`'s preflight and schema evolution, `smt diff` and `apply --alter` all read
//! the same [`Change`]s, so they cannot disagree about what is compatible. Pure.
//!
//! Classification (StarRocks' schema change rules, `../shared/reference/starrocks-protocol.md`
//! §5, the FE's `SchemaChangeHandler` / `Column.checkSchemaChangeAllowed` /
//! `SchemaChangeTypeCompatibility` / `AlterTableClauseAnalyzer`, collected in
//! `shared-notes/starrocks-facts.md` §A):
//! - a planned column StarRocks lacks → `ADD COLUMN … AFTER <previous planned column>` (never
//!   between key columns, never FIRST: StarRocks refuses a value column there);
//! - a non-key column StarRocks has and the plan does not → `DROP COLUMN` (only on request:
//!   it deletes data);
//! - a non-key column whose type StarRocks converts in place without losing a value
//!   ([`widens`]: integers to a wider integer, VARCHAR/CHAR longer, CHAR → VARCHAR, DECIMAL
//!   with neither fewer integer nor fewer fraction digits, FLOAT → DOUBLE, DATE → DATETIME)
//!   → `MODIFY COLUMN`;
//! - NOT NULL in StarRocks, NULL planned (non-key) → `MODIFY COLUMN … NULL`;
//! - a column comment → `MODIFY COLUMN` (value columns: the full definition; key columns:
//!   `MODIFY COLUMN c COMMENT "…"`, which changes only the comment);
//! - the table comment → `ALTER TABLE … COMMENT = "…"`; a planned property StarRocks lets
//!   `ALTER TABLE … SET` change → `SET ("k" = "v")`, one per statement;
//! - column order, NULL planned NOT NULL, the bucket count → reported only (loads name their
//!   columns and never write NULL into a NOT NULL planned column; buckets are a layout choice);
//! - anything else (key model, key columns, a key column's type or nullability, narrowing, a
//!   change of kind, a DEFAULT, the distribution columns, the partitioning, a property only
//!   CREATE TABLE sets) → "needs a rebuild", with the reason.
//!
//! Every `MODIFY COLUMN` restates the column's whole definition: StarRocks replaces the column
//! with the one given, so a left-out COMMENT is lost, and refuses a DEFAULT that is not the
//! column's current one ("Can not change default value") and a NULL column made NOT NULL
//! ("Can not change from nullable to non-nullable"). The statements restate the planned type
//! and comment, the current DEFAULT, and NULL whenever either side is nullable.
//!
//! [`diff`] compares columns, types, nullability and keys (what `apply`'s report and `sync`
//! read); [`diff_table`] adds comments, defaults, the table comment, distribution,
//! partitioning and properties (what `smt diff` and `apply --alter` read).

use crate::ident::{quote, quote_qualified, sr_string};
use crate::plan::{Model, SrDefault, TablePlan};
pub use crate::starrocks::show_create::{
    normalize_type, ColumnDefault, ColumnShape, DistributionShape, KeyModel, PartitionShape,
    TableShape,
};
use serde::Serialize;
use std::fmt;

/// One difference between a table as it is and as planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Planned, missing in StarRocks. `after`: the column to place it after (None = first).
    Add {
        column: ColumnShape,
        after: Option<String>,
    },
    /// In StarRocks, not planned (a non-key column).
    Drop { name: String, ty: String },
    /// A non-key column's type grows in a way StarRocks converts in place. The MODIFY restates
    /// `nullable` (NULL when either side is), the column's current `default` and the planned
    /// `comment`; a NOT NULL → NULL change of the same column is part of it.
    Widen {
        name: String,
        from: String,
        to: String,
        nullable: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        default: Option<ColumnDefault>,
        #[serde(skip_serializing_if = "String::is_empty")]
        comment: String,
    },
    /// A non-key column is NOT NULL in StarRocks and nullable in the plan (same type); the
    /// MODIFY restates the current `default` and the planned `comment`.
    Relax {
        name: String,
        ty: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        default: Option<ColumnDefault>,
        #[serde(skip_serializing_if = "String::is_empty")]
        comment: String,
    },
    /// A column is nullable in StarRocks and NOT NULL in the plan: StarRocks cannot make a
    /// column NOT NULL; loading is unaffected (the plan's values are never NULL).
    Tighten { name: String },
    /// Same column, another position (informational).
    Position {
        name: String,
        existing: usize,
        planned: usize,
    },
    /// A column's comment differs. `column` is the definition to restate (type, nullability
    /// and DEFAULT as StarRocks has them, the planned comment); `key`: a key column, whose
    /// comment is changed alone (`MODIFY COLUMN c COMMENT`).
    Comment {
        column: ColumnShape,
        from: String,
        key: bool,
    },
    /// The table comment differs (None in StarRocks: none).
    TableComment { from: Option<String>, to: String },
    /// A planned property StarRocks lets `ALTER TABLE … SET` change differs (None: StarRocks
    /// does not show it).
    Property {
        key: String,
        from: Option<String>,
        to: String,
    },
    /// Another bucket count than planned (informational: StarRocks ≥ 3.2 can change it only
    /// by rewriting every tablet, and the plan's count follows the source's size).
    Buckets { existing: u32, planned: u32 },
    /// StarRocks cannot alter this in place: recreate the table (and reload it).
    Rebuild { what: String, reason: String },
}

impl Change {
    /// Whether `ALTER TABLE` can bring StarRocks to the plan for this change. A drop only with
    /// `allow_drop`.
    pub fn alterable(&self, allow_drop: bool) -> bool {
        match self {
            Change::Add { .. }
            | Change::Widen { .. }
            | Change::Relax { .. }
            | Change::Comment { .. }
            | Change::TableComment { .. }
            | Change::Property { .. } => true,
            Change::Drop { .. } => allow_drop,
            Change::Tighten { .. }
            | Change::Position { .. }
            | Change::Buckets { .. }
            | Change::Rebuild { .. } => false,
        }
    }

    /// Whether the column set and types agree (the change is about nullability, position,
    /// comments, properties or buckets only).
    pub fn is_cosmetic(&self) -> bool {
        matches!(
            self,
            Change::Position { .. }
                | Change::Relax { .. }
                | Change::Tighten { .. }
                | Change::Comment { .. }
                | Change::TableComment { .. }
                | Change::Property { .. }
                | Change::Buckets { .. }
        )
    }

    /// A difference that needs neither an ALTER nor a rebuild (column order, NULL planned NOT
    /// NULL, the bucket count): reported, and not counted as the table differing.
    pub fn is_note(&self) -> bool {
        matches!(
            self,
            Change::Position { .. } | Change::Tighten { .. } | Change::Buckets { .. }
        )
    }

    /// The ALTER TABLE statement for an alterable change on its own (see
    /// [`alter_statements`] for a table's changes together).
    pub fn alter_sql(&self, db: &str, table: &str) -> Option<String> {
        let t = quote_qualified(db, table);
        match self {
            Change::Add { column, after } => {
                // NOT NULL only with a DEFAULT for the rows already there (StarRocks: "is not
                // null but doesn't have a default value").
                let nullable = column.nullable || column.default.is_none();
                Some(format!(
                    "ALTER TABLE {t} ADD COLUMN {}{}",
                    column_definition(
                        &column.name,
                        &column.ty,
                        nullable,
                        column.default.as_ref(),
                        &column.comment
                    ),
                    match after {
                        Some(a) => format!(" AFTER {}", quote(a)),
                        None => " FIRST".to_string(),
                    }
                ))
            }
            Change::Drop { name, .. } => {
                Some(format!("ALTER TABLE {t} DROP COLUMN {}", quote(name)))
            }
            Change::Widen {
                name,
                to,
                nullable,
                default,
                comment,
                ..
            } => Some(modify_sql(
                db,
                table,
                name,
                to,
                *nullable,
                default.as_ref(),
                comment,
            )),
            Change::Relax {
                name,
                ty,
                default,
                comment,
            } => Some(modify_sql(
                db,
                table,
                name,
                ty,
                true,
                default.as_ref(),
                comment,
            )),
            Change::Comment {
                column, key: true, ..
            } => Some(format!(
                "ALTER TABLE {t} MODIFY COLUMN {} COMMENT {}",
                quote(&column.name),
                sr_string(&column.comment)
            )),
            Change::Comment { column, .. } => Some(modify_sql(
                db,
                table,
                &column.name,
                &column.ty,
                column.nullable,
                column.default.as_ref(),
                &column.comment,
            )),
            Change::TableComment { to, .. } => {
                Some(format!("ALTER TABLE {t} COMMENT = {}", sr_string(to)))
            }
            Change::Property { key, to, .. } => Some(format!(
                "ALTER TABLE {t} SET ({} = {})",
                sr_string(key),
                sr_string(to)
            )),
            Change::Tighten { .. }
            | Change::Position { .. }
            | Change::Buckets { .. }
            | Change::Rebuild { .. } => None,
        }
    }
}

/// `` `c` TYPE NULL|NOT NULL [DEFAULT …] [COMMENT "…"] ``.
fn column_definition(
    name: &str,
    ty: &str,
    nullable: bool,
    default: Option<&ColumnDefault>,
    comment: &str,
) -> String {
    let mut s = format!("{} {ty} {}", quote(name), null_word(nullable));
    if let Some(d) = default {
        s.push_str(&format!(" DEFAULT {}", d.sql()));
    }
    if !comment.is_empty() {
        s.push_str(&format!(" COMMENT {}", sr_string(comment)));
    }
    s
}

/// `ALTER TABLE … MODIFY COLUMN` with the column's whole definition.
fn modify_sql(
    db: &str,
    table: &str,
    name: &str,
    ty: &str,
    nullable: bool,
    default: Option<&ColumnDefault>,
    comment: &str,
) -> String {
    format!(
        "ALTER TABLE {} MODIFY COLUMN {}",
        quote_qualified(db, table),
        column_definition(name, ty, nullable, default, comment)
    )
}

fn quoted_text(s: &str) -> String {
    sr_string(s)
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
            Change::Comment { column, from, .. } => write!(
                f,
                "column {}: comment {} in StarRocks, planned {}",
                column.name,
                quoted_text(from),
                quoted_text(&column.comment)
            ),
            Change::TableComment { from, to } => write!(
                f,
                "table comment: {} in StarRocks, planned {}",
                from.as_deref().map_or("none".to_string(), quoted_text),
                quoted_text(to)
            ),
            Change::Property { key, from, to } => write!(
                f,
                "property {key}: {} in StarRocks, planned {}",
                from.as_deref().map_or("not shown".to_string(), quoted_text),
                quoted_text(to)
            ),
            Change::Buckets { existing, planned } => {
                write!(f, "buckets: {existing} in StarRocks, planned {planned}")
            }
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
                default: c.default.as_ref().map(|d| match d {
                    SrDefault::Literal(v) => ColumnDefault::Literal(v.clone()),
                    SrDefault::CurrentTimestamp => ColumnDefault::CurrentTimestamp,
                }),
                comment: c.comment.clone(),
            })
            .collect(),
        model: Some(match t.model {
            Model::Primary => KeyModel::Primary,
            Model::Duplicate => KeyModel::Duplicate,
        }),
        key: t.key.clone(),
        comment: (!t.comment.is_empty()).then(|| t.comment.clone()),
        distribution: (!t.distributed_by.is_empty()).then(|| DistributionShape {
            columns: t.distributed_by.clone(),
            buckets: t.buckets,
        }),
        partition: t
            .partition_clause
            .as_deref()
            .and_then(crate::starrocks::show_create::partition_shape),
        properties: t.properties.clone(),
    }
}

/// Every difference of `existing` against `planned` in columns, types, nullability and keys:
/// columns in planned order, then extra columns, then the key. Column names compare
/// case-insensitively (as in StarRocks).
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
                    after: add_position(existing, planned, pi),
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
                    nullable: ec.nullable || pc.nullable,
                    default: ec.default.clone(),
                    comment: pc.comment.clone(),
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
            if relax {
                // With a type change the Widen's MODIFY carries the NULL too (see
                // [`alter_statements`]); reported on its own line all the same.
                out.push(Change::Relax {
                    name: pc.name.clone(),
                    ty: pc.ty.clone(),
                    default: ec.default.clone(),
                    comment: pc.comment.clone(),
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
        // Order among the columns both sides have: a missing or extra column moves the
        // others without reordering them.
        let rank = |shape: &TableShape, other: &TableShape, idx: usize| {
            shape.columns[..idx]
                .iter()
                .filter(|c| find(other, &c.name).is_some())
                .count()
        };
        if rank(existing, planned, ei) != rank(planned, existing, pi) {
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
    let same_key = same_names(&planned.key, &existing.key);
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

/// Where a missing planned column (index `pi`) goes: after the planned column before it, but
/// never between or before StarRocks' key columns (StarRocks refuses a value column there:
/// "Cannot add value column[…] at first", and "value should be after key").
fn add_position(existing: &TableShape, planned: &TableShape, pi: usize) -> Option<String> {
    let last_key = existing
        .key
        .last()
        .and_then(|k| {
            existing
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(k))
        })
        .map(|c| c.name.clone());
    let Some(prev) = pi.checked_sub(1).map(|i| planned.columns[i].name.clone()) else {
        return last_key;
    };
    let inner_key = existing
        .key
        .iter()
        .rev()
        .skip(1)
        .any(|k| k.eq_ignore_ascii_case(&prev));
    if inner_key {
        last_key
    } else {
        Some(prev)
    }
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// [`diff`], then what `smt diff` and `apply --alter` also compare: each column's comment and
/// DEFAULT, the table comment, the distribution (columns, and the bucket count when both
/// sides name one), the partitioning (kind and columns) and every planned property
/// (properties StarRocks adds on its own are not compared).
pub fn diff_table(existing: &TableShape, planned: &TableShape) -> Vec<Change> {
    let mut out = diff(existing, planned);
    let is_key = |name: &str| {
        planned.key.iter().any(|k| k.eq_ignore_ascii_case(name))
            || existing.key.iter().any(|k| k.eq_ignore_ascii_case(name))
    };
    for pc in &planned.columns {
        let Some(ec) = existing
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&pc.name))
        else {
            continue;
        };
        if ec.default != pc.default {
            let show = |d: &Option<ColumnDefault>| {
                d.as_ref()
                    .map_or("no DEFAULT".to_string(), |d| format!("DEFAULT {d}"))
            };
            out.push(Change::Rebuild {
                what: format!(
                    "column {}: {} in StarRocks, planned {}",
                    pc.name,
                    show(&ec.default),
                    show(&pc.default)
                ),
                reason: "StarRocks cannot change a column's DEFAULT: MODIFY COLUMN must restate \
                         the current one"
                    .into(),
            });
        }
        if ec.comment != pc.comment {
            out.push(Change::Comment {
                column: ColumnShape {
                    name: ec.name.clone(),
                    ty: ec.ty.clone(),
                    nullable: ec.nullable,
                    default: ec.default.clone(),
                    comment: pc.comment.clone(),
                },
                from: ec.comment.clone(),
                key: is_key(&pc.name),
            });
        }
    }
    let table_comment = |c: &Option<String>| match c.as_deref() {
        // StarRocks shows `COMMENT "OLAP"` for a table created without one.
        None | Some("") | Some("OLAP") => String::new(),
        Some(c) => c.to_string(),
    };
    if table_comment(&existing.comment) != table_comment(&planned.comment) {
        out.push(Change::TableComment {
            from: Some(table_comment(&existing.comment)).filter(|c| !c.is_empty()),
            to: table_comment(&planned.comment),
        });
    }
    if let (Some(e), Some(p)) = (&existing.distribution, &planned.distribution) {
        if !same_names(&e.columns, &p.columns) {
            out.push(Change::Rebuild {
                what: format!("distribution: {e} in StarRocks, planned {p}"),
                reason: "smt does not redistribute tables; StarRocks ≥ 3.2 can with ALTER TABLE … \
                         DISTRIBUTED BY, an OPTIMIZE job that rewrites all the data"
                    .into(),
            });
        } else if let (Some(eb), Some(pb)) = (e.buckets, p.buckets) {
            if eb != pb {
                out.push(Change::Buckets {
                    existing: eb,
                    planned: pb,
                });
            }
        }
    }
    match (&existing.partition, &planned.partition) {
        (Some(e), Some(p)) if !e.same_as(p) => out.push(Change::Rebuild {
            what: format!("partitioning: {e} in StarRocks, planned {p}"),
            reason: "a table's partitioning cannot be changed".into(),
        }),
        (None, Some(p)) => out.push(Change::Rebuild {
            what: format!("partitioning: none in StarRocks, planned {p}"),
            reason: "a table's partitioning cannot be changed".into(),
        }),
        (Some(e), None) => out.push(Change::Rebuild {
            what: format!("partitioning: {e} in StarRocks, planned none"),
            reason: "a table's partitioning cannot be changed".into(),
        }),
        _ => {}
    }
    for (k, v) in &planned.properties {
        if IGNORED_PROPERTIES.contains(&k.as_str()) {
            continue;
        }
        let shown = existing
            .properties
            .iter()
            .find(|(ek, _)| ek == k)
            .map(|(_, ev)| ev.clone())
            .or_else(|| {
                DEFAULT_WHEN_NOT_SHOWN
                    .iter()
                    .find(|(dk, _)| dk == k)
                    .map(|(_, dv)| dv.to_string())
            });
        if shown
            .as_deref()
            .is_some_and(|s| same_property_value(k, s, v))
        {
            continue;
        }
        if settable_property(k) {
            out.push(Change::Property {
                key: k.clone(),
                from: shown,
                to: v.clone(),
            });
        } else {
            out.push(Change::Rebuild {
                what: format!(
                    "property {k}: {} in StarRocks, planned {}",
                    shown
                        .as_deref()
                        .map_or("not shown".to_string(), quoted_text),
                    quoted_text(v)
                ),
                reason: "StarRocks sets it only in CREATE TABLE; ALTER TABLE … SET refuses it"
                    .into(),
            });
        }
    }
    out
}

/// Properties StarRocks accepts and drops (`in_memory`: `visitModifyTablePropertiesClause`
/// removes it), so no value can be compared.
const IGNORED_PROPERTIES: &[&str] = &["in_memory"];

/// What a property StarRocks does not print means (`fast_schema_evolution` is printed only
/// when true).
const DEFAULT_WHEN_NOT_SHOWN: &[(&str, &str)] = &[("fast_schema_evolution", "false")];

/// The keys `ALTER TABLE … SET ("k" = "v")` accepts (FE `AlterTableClauseAnalyzer.
/// visitModifyTablePropertiesClause`; facts §A.5). Everything else is "Unknown properties"
/// (`compression`, `fast_schema_evolution`, …) or refused (`storage_type`).
const SETTABLE_PROPERTIES: &[&str] = &[
    "colocate_with",
    "distribution_type",
    "bloom_filter_columns",
    "bloom_filter_fpp",
    "write_quorum",
    "labels.location",
    "partition_live_number",
    "partition_ttl",
    "partition_retention_condition",
    "time_drift_constraint",
    "replication_num",
    "default.replication_num",
    "storage_cooldown_ttl",
    "default.storage_medium",
    "primary_index_cache_expire_sec",
    "enable_persistent_index",
    "persistent_index_type",
    "file_bundling",
    "replicated_storage",
    "bucket_size",
    "mutable_bucket_num",
    "enable_load_profile",
    "enable_statistic_collect_on_first_load",
    "base_compaction_forbidden_time_ranges",
    "foreign_key_constraints",
    "unique_constraints",
    "compaction_strategy",
    "cloud_native_fast_schema_evolution_v2",
    "lake_compaction_max_parallel",
    "light_weight_tablet_creation",
];

/// Prefixes of settable property families.
const SETTABLE_PREFIXES: &[&str] = &["dynamic_partition.", "binlog.", "datacache.", "flat_json."];

/// Whether `ALTER TABLE … SET` can change property `key`.
pub fn settable_property(key: &str) -> bool {
    SETTABLE_PROPERTIES.contains(&key) || SETTABLE_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Property values compare trimmed and ignoring ASCII case (`true` / `TRUE`); column lists as
/// sets of names.
fn same_property_value(key: &str, a: &str, b: &str) -> bool {
    if key == "bloom_filter_columns" {
        let set = |s: &str| {
            let mut v: Vec<String> = s
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty())
                .collect();
            v.sort();
            v
        };
        return set(a) == set(b);
    }
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The ALTER TABLE statements that bring a table to the plan for the alterable `changes` (a
/// drop only with `allow_drop`), one change per statement, in order: drops first (a re-added
/// name must be free), then column modifications, then additions, then the table comment and
/// properties. The changes of one column (Widen, Relax, Comment) are one MODIFY with its whole
/// definition.
pub fn alter_statements(
    db: &str,
    table: &str,
    changes: &[Change],
    allow_drop: bool,
) -> Vec<String> {
    let modifies = |n: &str| {
        changes
            .iter()
            .any(|c| matches!(c, Change::Widen { name, .. } if name.eq_ignore_ascii_case(n)))
    };
    let relaxes = |n: &str| {
        changes
            .iter()
            .any(|c| matches!(c, Change::Relax { name, .. } if name.eq_ignore_ascii_case(n)))
    };
    // Folded: a Relax into its column's Widen, a value column's Comment into its Widen/Relax
    // (both restate the planned comment).
    let folded = |c: &Change| match c {
        Change::Relax { name, .. } => modifies(name),
        Change::Comment {
            column, key: false, ..
        } => modifies(&column.name) || relaxes(&column.name),
        _ => false,
    };
    let rank = |c: &Change| match c {
        Change::Drop { .. } => 0,
        Change::Widen { .. } | Change::Relax { .. } | Change::Comment { .. } => 1,
        Change::Add { .. } => 2,
        Change::TableComment { .. } => 3,
        _ => 4,
    };
    let mut picked: Vec<&Change> = changes
        .iter()
        .filter(|c| c.alterable(allow_drop))
        .filter(|c| !folded(c))
        .collect();
    picked.sort_by_key(|c| rank(c));
    picked
        .into_iter()
        .filter_map(|c| c.alter_sql(db, table))
        .collect()
}

/// What `smt diff` and `apply --alter` do with one existing table: its changes against the
/// plan, and those sorted into statements to run, drops held back, rebuilds and notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlterPlan {
    /// Every difference ([`diff_table`]).
    pub changes: Vec<Change>,
    /// The ALTER TABLE statements to run, in order ([`alter_statements`]).
    pub statements: Vec<String>,
    /// The DROP COLUMN statements left out without `allow_drop`.
    pub withheld_drops: Vec<String>,
    /// What StarRocks cannot alter: `what (reason)`.
    pub rebuild: Vec<String>,
    /// Differences that need nothing (column order, NULL planned NOT NULL, buckets).
    pub notes: Vec<String>,
}

impl AlterPlan {
    /// Compare `existing` with `planned` (`db`.`table`).
    pub fn new(
        db: &str,
        table: &str,
        existing: &TableShape,
        planned: &TableShape,
        allow_drop: bool,
    ) -> AlterPlan {
        let changes = diff_table(existing, planned);
        let statements = alter_statements(db, table, &changes, allow_drop);
        let withheld_drops = if allow_drop {
            Vec::new()
        } else {
            changes
                .iter()
                .filter(|c| matches!(c, Change::Drop { .. }))
                .filter_map(|c| c.alter_sql(db, table))
                .collect()
        };
        let rebuild = changes
            .iter()
            .filter(|c| matches!(c, Change::Rebuild { .. }))
            .map(|c| c.to_string())
            .collect();
        let notes = changes
            .iter()
            .filter(|c| c.is_note())
            .map(|c| c.to_string())
            .collect();
        AlterPlan {
            changes,
            statements,
            withheld_drops,
            rebuild,
            notes,
        }
    }

    /// Whether StarRocks' table differs from the plan in anything but notes.
    pub fn differs(&self) -> bool {
        !(self.statements.is_empty() && self.withheld_drops.is_empty() && self.rebuild.is_empty())
    }
}

/// `ALTER TABLE … ADD COLUMN` (nullable; StarRocks fills existing rows with `default`, else
/// NULL) at its planned place: after `after`, or first. What `sync` runs for a column the
/// source added.
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
/// (normalised type texts): the lossless part of the FE's `SchemaChangeTypeCompatibility`
/// matrix (facts §A.1) — an integer to a wider integer, FLOAT → DOUBLE, VARCHAR/CHAR to one
/// at least as long (CHAR → VARCHAR too), DECIMAL to one with at least as many fraction and
/// integer digits (`isSchemaChangeAllowedInvolvingDecimalV3`), DATE → DATETIME.
pub fn widens(from: &str, to: &str) -> bool {
    const INTS: [&str; 5] = ["TINYINT", "SMALLINT", "INT", "BIGINT", "LARGEINT"];
    let (fb, fa) = parts(from);
    let (tb, ta) = parts(to);
    let rank = |b: &str| INTS.iter().position(|i| *i == b);
    let longer = || matches!((fa.first(), ta.first()), (Some(a), Some(b)) if b >= a);
    match (fb, tb) {
        _ if from == to => true,
        (f, t) if rank(f).is_some() && rank(t).is_some() => rank(f) < rank(t),
        ("VARCHAR", "VARCHAR") | ("CHAR", "CHAR") | ("CHAR", "VARCHAR") => longer(),
        ("DECIMAL", "DECIMAL") => match (fa.as_slice(), ta.as_slice()) {
            ([p1, s1], [p2, s2]) => s1 <= s2 && p1.saturating_sub(*s1) <= p2.saturating_sub(*s2),
            _ => false,
        },
        ("FLOAT", "DOUBLE") | ("DATE", "DATETIME") => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str, nullable: bool) -> ColumnShape {
        ColumnShape::new(name, ty, nullable)
    }

    fn shape(cols: Vec<ColumnShape>, key: &[&str]) -> TableShape {
        TableShape {
            database: Some("d".into()),
            table: "t".into(),
            columns: cols,
            model: Some(KeyModel::Primary),
            key: key.iter().map(|k| k.to_string()).collect(),
            comment: None,
            distribution: None,
            partition: None,
            properties: vec![],
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
        // `v` moved up only because `gone` is not planned: not a reordering.
        assert!(!has(&|c| matches!(c, Change::Position { .. })), "{ch:?}");
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
        assert!(widens("CHAR(10)", "VARCHAR(10)") && !widens("CHAR(10)", "VARCHAR(9)"));
        assert!(widens("CHAR(10)", "CHAR(20)") && !widens("VARCHAR(10)", "CHAR(20)"));
        // DECIMAL: neither the fraction nor the integer part may shrink.
        assert!(widens("DECIMAL(10,2)", "DECIMAL(20,2)"));
        assert!(widens("DECIMAL(10,2)", "DECIMAL(12,3)"));
        assert!(widens("DECIMAL(10,2)", "DECIMAL(11,3)"));
        assert!(
            !widens("DECIMAL(10,2)", "DECIMAL(10,3)") && !widens("DECIMAL(10,2)", "DECIMAL(10,1)")
        );
        assert!(widens("FLOAT", "DOUBLE") && !widens("DOUBLE", "FLOAT"));
        assert!(widens("DATE", "DATETIME") && !widens("DATETIME", "DATE"));
        // In StarRocks' matrix but not lossless, or not in it at all.
        assert!(!widens("BIGINT", "DOUBLE") && !widens("INT", "VARCHAR(20)"));
        assert!(!widens("INT", "FLOAT") && !widens("INT", "DECIMAL(20,0)"));
        assert!(!widens("BOOLEAN", "TINYINT") && !widens("VARCHAR(10)", "INT"));
    }

    fn parsed(sql: &str) -> TableShape {
        crate::starrocks::show_create::parse_create_table(sql).expect(sql)
    }

    const PLANNED: &str = "CREATE TABLE `d`.`t` (\n\
          `id` BIGINT NOT NULL COMMENT \"the id\",\n\
          `name` VARCHAR(40) NULL DEFAULT \"anon\" COMMENT \"who\",\n\
          `n` BIGINT NULL DEFAULT \"0\",\n\
          `note` VARCHAR(20) NOT NULL DEFAULT \"-\" COMMENT \"a note\",\n\
          `at` DATETIME NULL\n\
        ) ENGINE=OLAP PRIMARY KEY(`id`) COMMENT \"people\" \
        DISTRIBUTED BY HASH(`id`) BUCKETS 8 \
        PROPERTIES (\"replication_num\" = \"3\", \"bloom_filter_columns\" = \"name, n\", \"in_memory\" = \"true\")";

    #[test]
    fn modify_restates_the_whole_definition() {
        // As SHOW CREATE TABLE prints it: narrower `name`, NOT NULL `n` of INT, other comments.
        let existing = parsed(
            "CREATE TABLE `t` (\n\
              `id` bigint(20) NOT NULL COMMENT \"\",\n\
              `name` varchar(20) NULL DEFAULT \"anon\" COMMENT \"who\",\n\
              `n` int(11) NOT NULL DEFAULT \"0\" COMMENT \"\",\n\
              `note` varchar(20) NOT NULL DEFAULT \"-\" COMMENT \"old\",\n\
              `at` datetime NULL COMMENT \"\"\n\
            ) ENGINE=OLAP PRIMARY KEY(`id`) COMMENT \"OLAP\" DISTRIBUTED BY HASH(`id`) BUCKETS 8 \
            PROPERTIES (\"replication_num\" = \"1\", \"bloom_filter_columns\" = \"n,name\", \"in_memory\" = \"false\")",
        );
        let plan = AlterPlan::new("d", "t", &existing, &parsed(PLANNED), false);
        assert_eq!(
            plan.statements,
            vec![
                "ALTER TABLE `d`.`t` MODIFY COLUMN `name` VARCHAR(40) NULL DEFAULT \"anon\" COMMENT \"who\"",
                "ALTER TABLE `d`.`t` MODIFY COLUMN `n` BIGINT NULL DEFAULT \"0\"",
                "ALTER TABLE `d`.`t` MODIFY COLUMN `id` COMMENT \"the id\"",
                "ALTER TABLE `d`.`t` MODIFY COLUMN `note` VARCHAR(20) NOT NULL DEFAULT \"-\" COMMENT \"a note\"",
                "ALTER TABLE `d`.`t` COMMENT = \"people\"",
                "ALTER TABLE `d`.`t` SET (\"replication_num\" = \"3\")",
            ],
            "{:#?}",
            plan.changes
        );
        assert!(
            plan.rebuild.is_empty() && plan.notes.is_empty(),
            "{plan:#?}"
        );
        assert!(plan.differs());
        // The plan against itself: nothing.
        let same = AlterPlan::new("d", "t", &parsed(PLANNED), &parsed(PLANNED), true);
        assert!(same.changes.is_empty(), "{:?}", same.changes);
        assert!(!same.differs());
    }

    #[test]
    fn what_cannot_be_altered_needs_a_rebuild_and_notes_need_nothing() {
        let existing = parsed(
            "CREATE TABLE `t` (`id` bigint NOT NULL COMMENT \"the id\", `name` varchar(40) NULL DEFAULT \"x\" COMMENT \"who\", \
             `n` bigint NULL DEFAULT \"0\", `note` varchar(20) NULL DEFAULT \"-\" COMMENT \"a note\", \
             `at` datetime NULL, `old` int NULL) \
             PRIMARY KEY(`id`) COMMENT \"people\" PARTITION BY RANGE(`at`) (PARTITION p1 VALUES LESS THAN (\"2020-01-01\")) \
             DISTRIBUTED BY HASH(`id`) BUCKETS 3 \
             PROPERTIES (\"replication_num\" = \"3\", \"bloom_filter_columns\" = \"n, name\")",
        );
        let mut planned = parsed(PLANNED);
        planned
            .properties
            .push(("compression".into(), "ZSTD".into()));
        let plan = AlterPlan::new("d", "t", &existing, &planned, false);
        let joined = plan.rebuild.join("\n");
        for want in [
            "column name: DEFAULT \"x\" in StarRocks, planned DEFAULT \"anon\" (StarRocks cannot change a column's DEFAULT: MODIFY COLUMN must restate",
            "partitioning: RANGE(at) in StarRocks, planned none",
            "property compression: not shown in StarRocks, planned \"ZSTD\" (StarRocks sets it only in CREATE TABLE; ALTER TABLE … SET refuses it)",
        ] {
            assert!(joined.contains(want), "{want}\n{joined}");
        }
        assert_eq!(plan.rebuild.len(), 3, "{joined}");
        assert_eq!(
            plan.notes,
            vec![
                "column note: NULL in StarRocks, planned NOT NULL".to_string(),
                "buckets: 3 in StarRocks, planned 8".to_string()
            ]
        );
        assert_eq!(
            plan.withheld_drops,
            vec!["ALTER TABLE `d`.`t` DROP COLUMN `old`".to_string()]
        );
        assert!(plan.statements.is_empty(), "{:?}", plan.statements);
        let dropping = AlterPlan::new("d", "t", &existing, &planned, true);
        assert_eq!(dropping.statements, plan.withheld_drops);
        assert!(dropping.withheld_drops.is_empty());

        // Distribution columns and a partitioning only StarRocks has.
        let mut other = existing.clone();
        other.distribution = Some(DistributionShape {
            columns: vec!["name".into()],
            buckets: Some(8),
        });
        other.partition = None;
        planned.partition = crate::starrocks::show_create::partition_shape(
            "PARTITION BY RANGE(`at`) (START (\"2020-01-01\") END (\"2021-01-01\") EVERY (INTERVAL 1 MONTH))",
        );
        let plan = AlterPlan::new("d", "t", &other, &planned, false);
        let joined = plan.rebuild.join("\n");
        assert!(joined.contains("distribution: HASH(name) in StarRocks, planned HASH(id) (smt does not redistribute tables; StarRocks ≥ 3.2 can"), "{joined}");
        assert!(
            joined.contains("partitioning: none in StarRocks, planned RANGE(at)"),
            "{joined}"
        );
        // Only notes: the table does not differ.
        let mut moved = parsed(PLANNED);
        moved.columns.swap(3, 4);
        moved.distribution = Some(DistributionShape {
            columns: vec!["id".into()],
            buckets: Some(2),
        });
        let plan = AlterPlan::new("d", "t", &moved, &parsed(PLANNED), false);
        assert!(!plan.differs(), "{plan:#?}");
        assert_eq!(plan.notes.len(), 3, "{:?}", plan.notes);
    }

    #[test]
    fn added_columns_land_after_the_keys_with_their_definition() {
        let existing = parsed(
            "CREATE TABLE `t` (`k1` int NOT NULL, `k2` int NOT NULL, `v` int NULL) DUPLICATE KEY(`k1`, `k2`)",
        );
        let planned = parsed(
            "CREATE TABLE `t` (`new` int NOT NULL DEFAULT \"7\" COMMENT \"n\", `k1` int NOT NULL, `k2` int NOT NULL, \
             `v` int NULL, `w` varchar(3) NOT NULL COMMENT \"no default\") DUPLICATE KEY(`k1`, `k2`)",
        );
        let ch = diff_table(&existing, &planned);
        let adds = alter_statements("d", "t", &ch, false);
        assert_eq!(
            adds,
            vec![
                "ALTER TABLE `d`.`t` ADD COLUMN `new` INT NOT NULL DEFAULT \"7\" COMMENT \"n\" AFTER `k2`",
                "ALTER TABLE `d`.`t` ADD COLUMN `w` VARCHAR(3) NULL COMMENT \"no default\" AFTER `v`",
            ]
        );
        // After a column between the keys: after the last key instead.
        let planned = parsed(
            "CREATE TABLE `t` (`k1` int NOT NULL, `x` int NULL, `k2` int NOT NULL, `v` int NULL) DUPLICATE KEY(`k1`, `k2`)",
        );
        let ch = diff(&existing, &planned);
        assert!(
            ch.iter()
                .any(|c| matches!(c, Change::Add { after: Some(a), .. } if a == "k2")),
            "{ch:?}"
        );
    }

    #[test]
    fn one_modify_per_column() {
        // NOT NULL → NULL with another comment; a wider type with another comment; a comment
        // alone: one statement each, the comment restated in it.
        let existing = parsed(
            "CREATE TABLE `t` (`id` int NOT NULL, `a` int NOT NULL DEFAULT \"1\" COMMENT \"x\", \
             `b` int NULL COMMENT \"x\", `c` int NULL COMMENT \"x\") PRIMARY KEY(`id`)",
        );
        let planned = parsed(
            "CREATE TABLE `t` (`id` int NOT NULL, `a` int NULL DEFAULT \"1\" COMMENT \"y\", \
             `b` bigint NULL COMMENT \"y\", `c` int NULL) PRIMARY KEY(`id`)",
        );
        assert_eq!(
            AlterPlan::new("d", "t", &existing, &planned, false).statements,
            vec![
                "ALTER TABLE `d`.`t` MODIFY COLUMN `a` INT NULL DEFAULT \"1\" COMMENT \"y\"",
                "ALTER TABLE `d`.`t` MODIFY COLUMN `b` BIGINT NULL COMMENT \"y\"",
                // The comment removed: StarRocks keeps none when the definition has none.
                "ALTER TABLE `d`.`t` MODIFY COLUMN `c` INT NULL",
            ]
        );
    }

    #[test]
    fn sync_gets_what_it_got_for_plain_columns() {
        // No comments or defaults: the statements sync has always run.
        let existing = shape(
            vec![col("id", "INT", false), col("b", "INT", true)],
            &["id"],
        );
        let planned = shape(
            vec![col("id", "INT", false), col("b", "BIGINT", false)],
            &["id"],
        );
        let ch = diff(&existing, &planned);
        assert_eq!(
            alter_statements("d", "t", &ch, true),
            vec!["ALTER TABLE `d`.`t` MODIFY COLUMN `b` BIGINT NULL".to_string()],
            "never NOT NULL for a NULL column: {ch:?}"
        );
        assert!(ch.iter().any(|c| matches!(c, Change::Tighten { .. })));
    }
}
