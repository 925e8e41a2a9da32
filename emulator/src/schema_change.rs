//! The FE's rules for changing an existing table (`ALTER TABLE`): which `MODIFY COLUMN` a
//! column accepts, and which properties `ALTER TABLE … SET` changes. Sources (read from
//! StarRocks' FE, collected in `shared-notes/starrocks-facts.md` §A):
//! `catalog/Column.checkSchemaChangeAllowed`, `catalog/SchemaChangeTypeCompatibility`,
//! `alter/SchemaChangeHandler.processModifyColumn` and
//! `sql/analyzer/AlterTableClauseAnalyzer.visitModifyTablePropertiesClause`.
//!
//! Where StarRocks' behaviour changed across versions the emulator follows the 3.3 line (its
//! default `current_version()`): any change to a PRIMARY KEY column is refused (PR #70747
//! later allows a VARCHAR widening), a full-definition MODIFY that changes only the comment is
//! a schema-change job (PR #75325 later makes it metadata-only), and partition and
//! distribution columns cannot be modified at all.

use crate::sql::{ColumnDef, DefaultValue, Distribution, KeysType, SqlError, TableDef};
use crate::types::ColType;

/// A `DdlException` from the FE's alter code: its text as it is.
fn ddl_error(msg: impl Into<String>) -> SqlError {
    SqlError::new(1064, "HY000", msg)
}

/// The type as the FE's messages print it (`INT`, `VARCHAR(10)`, `DECIMAL(10,2)`).
pub fn type_name(ty: &ColType) -> String {
    match ty {
        ColType::TinyInt => "TINYINT".into(),
        ColType::SmallInt => "SMALLINT".into(),
        ColType::Int => "INT".into(),
        ColType::BigInt => "BIGINT".into(),
        ColType::LargeInt => "LARGEINT".into(),
        ColType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
        other => other.render().to_uppercase(),
    }
}

/// `SchemaChangeTypeCompatibility.isSchemaChangeAllowed` (its matrix) and
/// `isSchemaChangeAllowedInvolvingDecimalV3`. Lengths are checked separately
/// ("Cannot shorten string length").
pub fn type_change_allowed(from: &ColType, to: &ColType) -> bool {
    use ColType::*;
    let varchar = |t: &ColType| matches!(t, Varchar(_) | String);
    match (from, to) {
        (
            Decimal {
                precision: p1,
                scale: s1,
            },
            Decimal {
                precision: p2,
                scale: s2,
            },
        ) => s1 <= s2 && p1 - s1 <= p2 - s2,
        // `mysqlResultSetFieldLength` of a DECIMAL: its digits, sign and point.
        (Decimal { precision, .. }, Varchar(n)) => precision + 2 <= *n,
        (Decimal { .. }, String) => true,
        (f, t) if varchar(f) && varchar(t) => true,
        (f, t) if std::mem::discriminant(f) == std::mem::discriminant(t) => match (f, t) {
            (Char(_), Char(_)) | (Varbinary(_), Varbinary(_)) | (Binary(_), Binary(_)) => true,
            (Array(_), _) | (Map(..), _) | (Struct(_), _) => f == t,
            _ => true,
        },
        (TinyInt, SmallInt | Int | BigInt | LargeInt | Double) => true,
        (SmallInt, Int | BigInt | LargeInt | Double) => true,
        (Int, BigInt | LargeInt | Double | Date) => true,
        (BigInt, LargeInt | Double) => true,
        (Float, Double) => true,
        (TinyInt | SmallInt | Int | BigInt | LargeInt | Float | Double, t) if varchar(t) => true,
        (Char(_), t) if varchar(t) => true,
        (f, TinyInt | SmallInt | Int | BigInt | LargeInt | Float | Double | Date | Json)
            if varchar(f) =>
        {
            true
        }
        (f, Decimal { .. }) if varchar(f) => true,
        (Json, t) if varchar(t) => true,
        (Date, DateTime) | (DateTime, Date) => true,
        _ => false,
    }
}

fn string_len(t: &ColType) -> Option<u32> {
    match t {
        ColType::Char(n) | ColType::Varchar(n) => Some(*n),
        ColType::String => Some(crate::types::STRING_MAX),
        _ => None,
    }
}

fn same_default(a: &Option<DefaultValue>, b: &Option<DefaultValue>) -> bool {
    let norm = |d: &Option<DefaultValue>| match d {
        None | Some(DefaultValue::Null) => None,
        Some(other) => Some(other.clone()),
    };
    norm(a) == norm(b)
}

/// Whether `MODIFY COLUMN new` may replace column `i` of `def` (the checks that come before any
/// data is converted), with StarRocks' messages.
pub fn check_modify(def: &TableDef, i: usize, new: &ColumnDef) -> Result<(), SqlError> {
    let old = &def.columns[i];
    let is_key = def
        .key_cols
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&old.name));
    if is_key && def.keys_type == KeysType::Primary {
        return Err(ddl_error(format!(
            "Can not modify key column: {} for primary key table",
            old.name
        )));
    }
    if is_key && !new.key_flag && def.keys_type != KeysType::Aggregate {
        // The column becomes a value column before the remaining key columns.
        return Err(ddl_error(format!(
            "Invalid column order. value should be after key. index[{}]",
            def.name
        )));
    }
    if old.auto_increment {
        return Err(ddl_error("Can't not modify a AUTO_INCREMENT column"));
    }
    if def
        .partition_cols
        .iter()
        .any(|c| c.eq_ignore_ascii_case(&old.name))
    {
        return Err(ddl_error(format!(
            "Can not modify partition column[{}]. index[{}]",
            old.name, def.name
        )));
    }
    if let Some(Distribution::Hash { cols, .. }) = &def.distribution {
        if cols.iter().any(|c| c.eq_ignore_ascii_case(&old.name)) {
            return Err(ddl_error(format!(
                "Can not modify distribution column[{}]. index[{}]",
                old.name, def.name
            )));
        }
    }
    // Column.checkSchemaChangeAllowed, in its order.
    if old.ty != new.ty && !type_change_allowed(&old.ty, &new.ty) {
        return Err(ddl_error(format!(
            "Can not change {} to {}",
            type_name(&old.ty),
            type_name(&new.ty)
        )));
    }
    if def.keys_type == KeysType::Aggregate && new.agg.is_some() && new.agg != old.agg {
        return Err(ddl_error("Can not change aggregation type"));
    }
    if old.nullable && !new.nullable {
        return Err(ddl_error("Can not change from nullable to non-nullable"));
    }
    if !same_default(&old.default, &new.default) {
        return Err(ddl_error("Can not change default value"));
    }
    if let (Some(a), Some(b)) = (string_len(&old.ty), string_len(&new.ty)) {
        if b < a {
            return Err(ddl_error("Cannot shorten string length"));
        }
    }
    Ok(())
}

/// The keys `ALTER TABLE … SET` accepts (`visitModifyTablePropertiesClause`), besides the
/// prefixed families in [`ALTERABLE_PREFIXES`].
pub const ALTERABLE_PROPERTIES: &[&str] = &[
    "colocate_with",
    "distribution_type",
    "send_clear_alter_tasks",
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
    "in_memory",
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

/// Property families `ALTER TABLE … SET` accepts.
pub const ALTERABLE_PREFIXES: &[&str] =
    &["dynamic_partition.", "binlog.", "datacache.", "flat_json."];

/// `visitModifyTablePropertiesClause`: one property per statement (or several of one
/// `dynamic_partition.` / `binlog.` family), known keys only, values of the right form.
/// `backends`: alive BEs, for `replication_num`.
pub fn check_set_properties(
    def: &TableDef,
    props: &[(String, String)],
    backends: u32,
) -> Result<(), SqlError> {
    if props.is_empty() {
        return Err(SqlError::analysis("Properties is not set"));
    }
    let family = |k: &str| {
        ["dynamic_partition.", "binlog."]
            .into_iter()
            .find(|p| k.starts_with(p))
    };
    if props.len() > 1 {
        let first = family(&props[0].0);
        if first.is_none() || props.iter().any(|(k, _)| family(k) != first) {
            return Err(SqlError::analysis(
                "Can only set one table property at a time",
            ));
        }
    }
    for (k, v) in props {
        if k == "storage_type" {
            return Err(SqlError::analysis("Can't change storage type"));
        }
        let known = ALTERABLE_PROPERTIES.contains(&k.as_str())
            || ALTERABLE_PREFIXES.iter().any(|p| k.starts_with(p));
        if !known {
            return Err(SqlError::analysis(format!(
                "Unknown properties: {{{k}={v}}}"
            )));
        }
        match k.as_str() {
            "replication_num" | "default.replication_num" => {
                let n: u32 = match v.trim().parse() {
                    Ok(n) if n >= 1 => n,
                    _ => {
                        return Err(SqlError::analysis(format!(
                            "Replication num should larger than 0. (replication_num={v})"
                        )))
                    }
                };
                if n > backends {
                    return Err(SqlError::analysis(format!(
                        "Table replication num should be less than or equal to the number of \
                         available BE nodes. You can change this default by setting the \
                         replication_num table properties. Current alive backend is [{}]. , \
                         table={}, default_replication_num=3",
                        (0..backends)
                            .map(|i| (10001 + i).to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                        def.name
                    )));
                }
            }
            "enable_persistent_index" | "replicated_storage" | "enable_load_profile"
                if !matches!(v.to_ascii_lowercase().as_str(), "true" | "false") =>
            {
                return Err(SqlError::analysis(format!(
                    "Property {k} must be bool type(false/true)"
                )));
            }
            "bloom_filter_columns" => {
                for c in v.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    if def.col_index(c).is_none() {
                        return Err(SqlError::analysis(format!(
                            "Bloom filter column does not exist in table. invalid column: {c}"
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Apply checked properties: each replaces the table's value or is added; `in_memory` is
/// dropped, as the FE does.
pub fn apply_properties(def: &mut TableDef, props: Vec<(String, String)>) {
    for (k, v) in props {
        if k == "in_memory" {
            continue;
        }
        match def.properties.iter_mut().find(|(pk, _)| *pk == k) {
            Some(p) => p.1 = v,
            None => def.properties.push((k, v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColType::*;

    #[test]
    fn the_matrix() {
        assert!(type_change_allowed(&Int, &BigInt) && type_change_allowed(&Int, &Date));
        assert!(!type_change_allowed(&BigInt, &Int) && !type_change_allowed(&Int, &Float));
        assert!(!type_change_allowed(&LargeInt, &Double));
        assert!(type_change_allowed(&Varchar(10), &Int) && type_change_allowed(&Varchar(3), &Json));
        assert!(!type_change_allowed(&Varchar(10), &DateTime));
        assert!(!type_change_allowed(&Date, &Varchar(20)) && !type_change_allowed(&Boolean, &Int));
        let dec = |precision, scale| Decimal { precision, scale };
        assert!(type_change_allowed(&dec(10, 2), &dec(12, 3)));
        assert!(!type_change_allowed(&dec(10, 2), &dec(10, 3)));
        assert!(!type_change_allowed(&dec(10, 2), &dec(12, 1)));
        assert!(
            type_change_allowed(&dec(10, 2), &Varchar(12))
                && !type_change_allowed(&dec(10, 2), &Varchar(11))
        );
        assert!(!type_change_allowed(&Int, &dec(20, 0)));
        assert!(
            type_change_allowed(&Char(3), &Varchar(3)) && type_change_allowed(&Date, &DateTime)
        );
    }
}
