//! Planning one target table from one (possibly merged) source description.

use super::model::*;
use super::shards::{exact_alternation, Unit};
use super::{buckets_for_size, sources_label, TableError};
use crate::config::{OtherConfig, RuleConfig};
use crate::ident::{check_starrocks_name, NameKind};
use crate::mapping::{self, MapCtx};
use crate::schema::{SourceType, TableDesc};
use std::sync::Arc;

// ----- planning one target -------------------------------------------------------------------

/// One target table in the making: the problems and notes collected so far, and the names used
/// in messages. Each step below reads the unit and adds to these.
struct Planner<'a> {
    rule: &'a RuleConfig,
    other: &'a OtherConfig,
    unit: &'a Unit,
    /// `db.table` of the (first) source table.
    label: String,
    /// How messages name the table (merged shards name all of them).
    what: String,
    errors: Vec<TableError>,
    notes: Vec<Note>,
}

/// Model, key and the mapped source columns, before ordering.
struct Keyed {
    model: Model,
    /// Key columns (PRIMARY KEY or DUPLICATE KEY), without shard origin columns.
    key: Vec<String>,
    mapped: Vec<TargetColumn>,
}

pub(super) fn plan_unit(
    rule: &Arc<RuleConfig>,
    other: &OtherConfig,
    unit: Unit,
) -> Result<TablePlan, Vec<TableError>> {
    let mut p = Planner::new(rule, other, &unit);
    p.check_names();
    let (model, key) = p.choose_model();
    let mapped = p.map_columns(model.clone(), &key);
    let mut keyed = Keyed { model, key, mapped };
    let origin_cols = p.origin_columns();
    p.choose_duplicate_key(&mut keyed);
    let (columns, full_key) =
        order_columns(keyed.model.clone(), &keyed.key, keyed.mapped, origin_cols);
    if keyed.model == Model::Primary {
        p.check_key_width(&columns, &full_key);
    }
    let distributed_by = p.distribution(&columns, &keyed.model, &full_key);
    let buckets = p.buckets();
    let properties = properties(rule, other);
    let partition_clause = p.partition_clause(&columns, &keyed.model, &full_key);
    p.check_unique_names(&columns);
    let shard_regex = unit.merged.then(|| {
        let dbs: Vec<&str> = unit.sources.iter().map(|s| s.database.as_str()).collect();
        let tbls: Vec<&str> = unit.sources.iter().map(|s| s.table.as_str()).collect();
        (exact_alternation(&dbs), exact_alternation(&tbls))
    });
    if !p.errors.is_empty() {
        return Err(p.errors);
    }
    let notes = p.notes;
    let mut sources: Vec<(SourceRef, TableDesc)> =
        unit.sources.into_iter().zip(unit.source_tables).collect();
    sources.sort_by(|a, b| (&a.0.database, &a.0.table).cmp(&(&b.0.database, &b.0.table)));
    let (sources, source_tables) = sources.into_iter().unzip();
    Ok(TablePlan {
        rule: rule.name.clone(),
        rule_config: rule.clone(),
        source_tables,
        target_database: unit.target_database,
        target_table: unit.target_table,
        sources,
        shard_regex,
        columns,
        model: keyed.model,
        key: full_key,
        distributed_by,
        buckets,
        properties,
        comment: unit.desc.comment.clone(),
        partition_clause,
        notes,
    })
}

impl<'a> Planner<'a> {
    fn new(rule: &'a RuleConfig, other: &'a OtherConfig, unit: &'a Unit) -> Self {
        let label = unit.desc.qualified();
        let what = if unit.merged {
            format!(
                "{}.{} (merged shards {})",
                unit.target_database,
                unit.target_table,
                sources_label(&unit.sources)
            )
        } else {
            label.clone()
        };
        Planner {
            rule,
            other,
            unit,
            label,
            what,
            errors: Vec::new(),
            notes: unit.notes.clone(),
        }
    }

    fn err(&mut self, message: String) {
        self.errors.push(TableError {
            table: self.label.clone(),
            message,
        });
    }

    fn desc(&self) -> &'a TableDesc {
        &self.unit.desc
    }

    /// Target database/table and every column name must be valid StarRocks names.
    fn check_names(&mut self) {
        let (unit, rule, what) = (self.unit, self.rule, self.what.clone());
        if let Err(e) = check_starrocks_name(NameKind::Database, &unit.target_database) {
            self.err(format!(
                "{what}: target database name `{}` cannot be used in StarRocks: {e}; set `target_database` in [table-rule.{}]",
                unit.target_database, rule.name
            ));
        }
        if let Err(e) = check_starrocks_name(NameKind::Table, &unit.target_table) {
            self.err(format!(
                "{what}: target table name `{}` cannot be used in StarRocks: {e}; set `target_table` in [table-rule.{}]",
                unit.target_table, rule.name
            ));
        }
        for c in &self.desc().columns {
            if let Err(e) = check_starrocks_name(NameKind::Column, &c.name) {
                let label = self.label.clone();
                self.err(format!(
                    "{label}.{}: column name cannot be used in StarRocks: {e}; rename the column in the source or exclude the table",
                    c.name
                ));
            }
        }
        if self.desc().columns.is_empty() {
            self.err(format!("{what}: the table has no columns"));
        }
    }

    /// PRIMARY KEY on the source key when every key column can be a StarRocks PRIMARY KEY
    /// column; otherwise (no key, or a FLOAT/DOUBLE/... key) DUPLICATE KEY, with a note.
    fn choose_model(&mut self) -> (Model, Vec<String>) {
        let desc = self.desc();
        let key: Vec<String> = desc.usable_key().unwrap_or_default();
        if key.is_empty() {
            return (Model::Duplicate, key);
        }
        let ctx = MapCtx::new(&self.label, self.other).key(true);
        let mut bad = Vec::new();
        for k in &key {
            if let Some(c) = desc.column(k) {
                match mapping::map_column(c, &ctx) {
                    Ok(m) if m.pk_ok && mapping::pk_type_ok(m.sr_type) => {}
                    Ok(_) => bad.push(format!("`{}` ({})", c.name, c.column_type)),
                    Err(_) => {} // reported by map_columns
                }
            }
        }
        if bad.is_empty() {
            return (Model::Primary, key);
        }
        self.notes.push(Note {
            kind: NoteKind::Fallback,
            column: None,
            message: format!(
                "key ({}) cannot be a StarRocks PRIMARY KEY because of {}: DUPLICATE KEY table \
                 (rows are not deduplicated; updates and deletes cannot be applied by key)",
                key.join(", "),
                bad.join(", ")
            ),
        });
        (Model::Duplicate, Vec::new())
    }

    /// Every source column as a target column, in source order.
    fn map_columns(&mut self, model: Model, key: &[String]) -> Vec<TargetColumn> {
        let desc = self.desc();
        let label = self.label.clone();
        let ctx = MapCtx::new(&label, self.other);
        let is_key = |name: &str| key.iter().any(|k| k.eq_ignore_ascii_case(name));
        let mut mapped = Vec::new();
        let mut relaxed: Vec<String> = Vec::new();
        let mut relaxed_json: Vec<String> = Vec::new();
        for c in &desc.columns {
            let in_pk = model == Model::Primary && is_key(&c.name);
            let m = match mapping::map_column(c, &ctx.key(in_pk)) {
                Ok(m) => m,
                Err(e) => {
                    self.err(e.to_string());
                    continue;
                }
            };
            self.notes.extend(m.notes.iter().cloned());
            // MySQL zero dates (0000-00-00) load as NULL (reference/type-mapping.md), so a
            // NOT NULL date column must accept NULL in StarRocks unless it is a key column.
            let zero_date = matches!(
                c.ty,
                SourceType::Date | SourceType::DateTime { .. } | SourceType::Timestamp { .. }
            );
            let nullable = if in_pk {
                false
            } else if !c.nullable && zero_date {
                relaxed.push(c.name.clone());
                true
            } else if !c.nullable && c.ty == SourceType::Json {
                // A JSON `null` document is SQL NULL in StarRocks (its JSON reader makes a
                // `null` field NULL, and CSV text `null` would be the string "null").
                relaxed_json.push(c.name.clone());
                true
            } else {
                c.nullable
            };
            mapped.push(TargetColumn {
                name: c.name.clone(),
                sr_type: m.sr_type,
                flink_type: m.flink_type,
                flink_source_type: m.flink_source_type,
                nullable,
                default: m.default,
                comment: c.comment.clone(),
                origin: ColumnOrigin::Source {
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                },
                encoding: m.encoding,
            });
        }
        if !relaxed.is_empty() {
            self.notes.push(Note {
                kind: NoteKind::Fallback,
                column: None,
                message: format!(
                    "NOT NULL date/time columns ({}) are nullable in StarRocks: MySQL zero dates \
                     (0000-00-00) cannot be stored and load as NULL",
                    relaxed.join(", ")
                ),
            });
        }
        if !relaxed_json.is_empty() {
            self.notes.push(Note {
                kind: NoteKind::Fallback,
                column: None,
                message: format!(
                    "NOT NULL JSON columns ({}) are nullable in StarRocks: a JSON null document \
                     loads as SQL NULL (StarRocks' JSON reader makes a null field NULL)",
                    relaxed_json.join(", ")
                ),
            });
        }
        mapped
    }

    /// `_smt_source_db` / `_smt_source_table` for merged shards (suffixed when a source column
    /// already has that name), unless the rule or `[other]` turns them off.
    fn origin_columns(&self) -> Vec<TargetColumn> {
        let on = self.unit.merged
            && self
                .rule
                .shard_origin_columns
                .unwrap_or(self.other.shard_origin_columns);
        if !on {
            return Vec::new();
        }
        let mut taken: Vec<String> = self
            .desc()
            .columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        let mut out = Vec::new();
        for (base, origin, comment) in [
            (
                ORIGIN_DB_COLUMN,
                ColumnOrigin::ShardDatabase,
                "source database of the row (added by smt for merged shards)",
            ),
            (
                ORIGIN_TABLE_COLUMN,
                ColumnOrigin::ShardTable,
                "source table of the row (added by smt for merged shards)",
            ),
        ] {
            let mut name = base.to_string();
            let mut i = 2;
            while taken.contains(&name.to_ascii_lowercase()) {
                name = format!("{base}_{i}");
                i += 1;
            }
            taken.push(name.to_ascii_lowercase());
            out.push(TargetColumn {
                name,
                sr_type: SrType::Varchar(ORIGIN_COLUMN_LEN),
                flink_type: "STRING".into(),
                flink_source_type: String::new(),
                nullable: false,
                default: None,
                comment: comment.into(),
                origin,
                encoding: Encoding::Plain,
            });
        }
        out
    }

    /// DUPLICATE KEY sort columns: the rule's `duplicate_keys`, else the first three columns
    /// whose types can be sort keys. A PRIMARY KEY table ignores `duplicate_keys` (noted).
    fn choose_duplicate_key(&mut self, k: &mut Keyed) {
        let (rule, what) = (self.rule, self.what.clone());
        if k.model == Model::Primary {
            if rule.duplicate_keys.is_some() {
                self.notes.push(Note {
                    kind: NoteKind::Fallback,
                    column: None,
                    message: format!(
                        "duplicate_keys of [table-rule.{}] ignored: the table has a usable primary/unique key",
                        rule.name
                    ),
                });
            }
            return;
        }
        let Some(dk) = &rule.duplicate_keys else {
            k.key = k
                .mapped
                .iter()
                .filter(|c| mapping::sort_type_ok(c.sr_type))
                .take(3)
                .map(|c| c.name.clone())
                .collect();
            if k.key.is_empty() && !k.mapped.is_empty() {
                self.err(format!(
                    "{what}: no column can be a DUPLICATE KEY sort column (all are FLOAT/DOUBLE/JSON/binary); \
                     there is no valid StarRocks table for it — exclude it from the rule"
                ));
            }
            return;
        };
        for name in dk {
            match k.mapped.iter().find(|c| c.name.eq_ignore_ascii_case(name)) {
                None => self.err(format!(
                    "{what}: duplicate_keys column `{name}` does not exist (rule [table-rule.{}])",
                    rule.name
                )),
                Some(c) if !mapping::sort_type_ok(c.sr_type) => {
                    let ty = c.sr_type;
                    self.err(format!(
                        "{what}: duplicate_keys column `{name}` is {ty}, which cannot be a StarRocks sort key"
                    ))
                }
                Some(c) => {
                    if !k.key.iter().any(|x| x == &c.name) {
                        k.key.push(c.name.clone())
                    }
                }
            }
        }
    }

    /// Note a PRIMARY KEY whose encoded width may exceed StarRocks' 128-byte limit.
    fn check_key_width(&mut self, columns: &[TargetColumn], full_key: &[String]) {
        let names = self.unit.name_bytes;
        let width: u64 = columns
            .iter()
            .filter(|c| full_key.contains(&c.name))
            .map(|c| match c.origin {
                ColumnOrigin::ShardDatabase => names.0,
                ColumnOrigin::ShardTable => names.1,
                ColumnOrigin::Source { .. } => mapping::key_width(c.sr_type),
            })
            .sum();
        if width > PK_WIDTH_LIMIT {
            self.notes.push(Note {
                kind: NoteKind::KeyWidth,
                column: None,
                message: format!(
                    "PRIMARY KEY ({}) can be up to {width} bytes; StarRocks rejects rows whose encoded key exceeds {PK_WIDTH_LIMIT} bytes at load time",
                    full_key.join(", ")
                ),
            });
        }
    }

    /// `DISTRIBUTED BY HASH(...)` columns: the rule's `distributed_by`, else the key.
    fn distribution(
        &mut self,
        columns: &[TargetColumn],
        model: &Model,
        full_key: &[String],
    ) -> Vec<String> {
        let (rule, what) = (self.rule, self.what.clone());
        let Some(cols) = &rule.distributed_by else {
            return full_key.to_vec();
        };
        let mut out = Vec::new();
        for d in cols {
            match columns.iter().find(|c| c.name.eq_ignore_ascii_case(d)) {
                None => self.err(format!(
                    "{what}: distributed_by column `{d}` does not exist (rule [table-rule.{}])",
                    rule.name
                )),
                Some(c) if *model == Model::Primary && !full_key.contains(&c.name) => self.err(format!(
                    "{what}: distributed_by column `{d}` is not part of the PRIMARY KEY ({}); StarRocks requires bucket columns of a PRIMARY KEY table to be key columns",
                    full_key.join(", ")
                )),
                Some(c) if !mapping::sort_type_ok(c.sr_type) => {
                    let ty = c.sr_type;
                    self.err(format!(
                        "{what}: distributed_by column `{d}` is {ty}, which cannot be a bucket column"
                    ))
                }
                Some(c) => out.push(c.name.clone()),
            }
        }
        out
    }

    /// BUCKETS: the rule's `bucket_num`, none with `auto_buckets`, else SMT's size formula.
    fn buckets(&mut self) -> Option<u32> {
        match self.rule.bucket_num {
            Some(0) => {
                let what = self.what.clone();
                self.err(format!(
                    "{what}: bucket_num = 0 is invalid; use a positive number"
                ));
                None
            }
            Some(n) => Some(n),
            None if self.other.auto_buckets => None,
            None => Some(buckets_for_size(self.desc().data_length, self.other.be_num)),
        }
    }

    /// `PARTITION BY RANGE(col) (...)` from the rule's `partition_key` + `partitions`.
    fn partition_clause(
        &mut self,
        columns: &[TargetColumn],
        model: &Model,
        full_key: &[String],
    ) -> Option<String> {
        let what = self.what.clone();
        let (pk, parts) = match (&self.rule.partition_key, &self.rule.partitions) {
            (Some(pk), Some(parts)) => (pk, parts),
            (Some(_), None) | (None, Some(_)) => {
                self.notes.push(Note {
                    kind: NoteKind::Fallback,
                    column: None,
                    message: "partition_key and partitions must both be set; the one given is ignored (table not partitioned)".into(),
                });
                return None;
            }
            (None, None) => return None,
        };
        let Some(c) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(pk)) else {
            self.err(format!(
                "{what}: partition_key column `{pk}` does not exist"
            ));
            return None;
        };
        if *model == Model::Primary && !full_key.contains(&c.name) {
            self.err(format!(
                "{what}: partition_key column `{pk}` is not part of the PRIMARY KEY ({}); StarRocks requires it",
                full_key.join(", ")
            ));
            return None;
        }
        let p = parts.trim();
        let body = if p.starts_with('(') && p.ends_with(')') {
            p.to_string()
        } else {
            format!("({p})")
        };
        Some(format!(
            "PARTITION BY RANGE({}) {body}",
            crate::ident::quote(&c.name)
        ))
    }

    /// Column names must be unique case-insensitively (StarRocks column names are).
    fn check_unique_names(&mut self, columns: &[TargetColumn]) {
        let mut lower: Vec<String> = columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
        lower.sort();
        let what = self.what.clone();
        for w in lower.windows(2) {
            if w[0] == w[1] {
                self.err(format!(
                    "{what}: two columns named `{}` (StarRocks column names are case-insensitive)",
                    w[0]
                ));
            }
        }
    }
}

/// Column order: key columns (key order), origin columns (part of a PRIMARY KEY), the other
/// columns in source order, origin columns of a DUPLICATE KEY table last. Returns the columns
/// and the full key (origin columns included for PRIMARY KEY tables).
fn order_columns(
    model: Model,
    key: &[String],
    mut mapped: Vec<TargetColumn>,
    mut origin_cols: Vec<TargetColumn>,
) -> (Vec<TargetColumn>, Vec<String>) {
    let mut columns: Vec<TargetColumn> = Vec::new();
    for k in key {
        if let Some(pos) = mapped.iter().position(|c| &c.name == k) {
            columns.push(mapped.remove(pos));
        }
    }
    let mut full_key = key.to_vec();
    if model == Model::Primary {
        full_key.extend(origin_cols.iter().map(|oc| oc.name.clone()));
        columns.append(&mut origin_cols);
    }
    columns.append(&mut mapped);
    columns.append(&mut origin_cols);
    (columns, full_key)
}

/// PROPERTIES: `replication_num = min(3, be_num)` first, then the rule's `properties.*` (a
/// rule's `replication_num` replaces the default in place).
fn properties(rule: &RuleConfig, other: &OtherConfig) -> Vec<(String, String)> {
    let mut properties = vec![(
        "replication_num".to_string(),
        other.be_num.clamp(1, 3).to_string(),
    )];
    for (k, v) in &rule.properties {
        match properties.iter_mut().find(|(pk, _)| pk == k) {
            Some(p) => p.1 = v.clone(),
            None => properties.push((k.clone(), v.clone())),
        }
    }
    properties
}
