//! Semantic checks the real FE analyzer applies to CREATE TABLE / ALTER TABLE
//! (reference: starrocks-ddl-semantic-rules.md and protocol §5).
//!
//! Invariant: a [`TableDef`] that passes [`check_table`] satisfies every rule listed there that the
//! emulator models; the catalog stores only checked definitions.

use crate::sql::{ColumnDef, DefaultValue, Distribution, KeysType, SqlError, TableDef};
use crate::types::{convert, ColType};

pub fn check_db_name(name: &str) -> Result<(), SqlError> {
    let mut chars = name.chars();
    let ok_first = match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => true,
        Some('_') => name
            .chars()
            .nth(1)
            .is_some_and(|c| c.is_ascii_alphanumeric()),
        _ => false,
    };
    let rest_ok = name
        .chars()
        .skip(1)
        .all(|c| c.is_ascii_alphanumeric() || "_-~!@#$%^&<>=+".contains(c));
    if !ok_first || !rest_ok || name.chars().count() > 256 {
        return Err(SqlError::new(
            1064,
            "42000",
            format!("Getting analyzing error. Detail message: Incorrect database name '{name}'."),
        ));
    }
    Ok(())
}

pub fn check_table_name(name: &str) -> Result<(), SqlError> {
    if name.is_empty() || name.chars().count() > 1024 || name.contains('\0') {
        return Err(SqlError::analysis(format!("Incorrect table name '{name}'")));
    }
    Ok(())
}

pub fn check_column_name(name: &str) -> Result<(), SqlError> {
    if name.is_empty()
        || name.chars().count() > 1024
        || name.contains('\0')
        || name.contains(['=', '<', '>', '!', '*'])
    {
        return Err(SqlError::analysis(format!(
            "Incorrect column name '{name}'"
        )));
    }
    let lower = name.to_ascii_lowercase();
    if lower == "__op"
        || lower == "__row"
        || lower.starts_with("__starrocks_shadow_")
        || lower.starts_with("__generated_partition_column_")
    {
        return Err(SqlError::analysis(format!(
            "Column name [{name}] is a system reserved name. Please choose a different one"
        )));
    }
    Ok(())
}

/// Checks that apply to one column on its own (CREATE and ALTER).
pub fn check_column(c: &ColumnDef) -> Result<(), SqlError> {
    check_column_name(&c.name)?;
    if let Some(cs) = &c.charset {
        if !cs.eq_ignore_ascii_case("utf8") {
            return Err(SqlError::analysis(format!("Unknown charset name: {cs}")));
        }
    }
    if c.ty.is_agg_only() && c.agg.is_none() {
        return Err(SqlError::analysis(format!(
            "No aggregate function specified for '{}' of type {}",
            c.name,
            c.ty.render().to_uppercase()
        )));
    }
    match &c.default {
        None => {}
        Some(DefaultValue::Null) if c.null_spec == Some(false) => {
            return Err(SqlError::analysis(format!(
                "Invalid default value for '{}'",
                c.name
            )));
        }
        Some(DefaultValue::Null) => {}
        Some(DefaultValue::CurrentTimestamp) if c.ty != ColType::DateTime => {
            return Err(SqlError::analysis(format!(
                "Invalid default value for '{}': CURRENT_TIMESTAMP is only supported for DATETIME columns",
                c.name
            )));
        }
        Some(DefaultValue::CurrentTimestamp) => {}
        Some(DefaultValue::Literal(v)) => {
            if c.ty.is_complex() || c.ty.is_agg_only() || c.ty == ColType::Json {
                return Err(SqlError::analysis(format!(
                    "Invalid default value for '{}': type {} does not support a default value",
                    c.name,
                    c.ty.render().to_uppercase()
                )));
            }
            if let Err(e) = convert(&c.ty, v) {
                return Err(SqlError::analysis(format!(
                    "Invalid default value for '{}': {e}",
                    c.name
                )));
            }
        }
        Some(DefaultValue::Func(f))
            if !matches!(
                f.as_str(),
                "uuid" | "uuid_numeric" | "now" | "current_timestamp"
            ) =>
        {
            return Err(SqlError::analysis(format!(
                "Invalid default value for '{}': unknown function {f}()",
                c.name
            )));
        }
        Some(DefaultValue::Func(_)) => {}
    }
    Ok(())
}

fn prop<'a>(def: &'a TableDef, key: &str) -> Option<&'a str> {
    def.properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Full CREATE TABLE analysis. `backends` is the number of alive BEs (for replication_num).
pub fn check_table(
    def: &mut TableDef,
    backends: u32,
    version: (u32, u32, u32),
) -> Result<(), SqlError> {
    check_table_name(&def.name)?;
    if def.columns.is_empty() {
        return Err(SqlError::analysis(
            "Table should contain at least one column",
        ));
    }
    // duplicates
    for (i, c) in def.columns.iter().enumerate() {
        check_column(c)?;
        if def.columns[..i]
            .iter()
            .any(|o| o.name.eq_ignore_ascii_case(&c.name))
        {
            return Err(SqlError::analysis(format!(
                "Duplicate column name '{}'",
                c.name
            )));
        }
    }
    // keys exist, leading, in order
    for k in &def.key_cols {
        if def.col_index(k).is_none() {
            return Err(SqlError::analysis(format!("Key column[{k}] doesn't exist")));
        }
    }
    for (i, k) in def.key_cols.iter().enumerate() {
        if !def.columns[i].name.eq_ignore_ascii_case(k) {
            return Err(SqlError::analysis(
                "Key columns should be a ordered prefix of the schema",
            ));
        }
    }
    if def.key_cols.is_empty() {
        return Err(SqlError::analysis(
            "Data type of first column cannot be used as a key column",
        ));
    }
    let nkeys = def.key_cols.len();
    for (i, c) in def.columns.iter_mut().enumerate() {
        let is_key = i < nkeys;
        if is_key {
            if def.keys_type == KeysType::Primary {
                if !c.ty.allowed_in_primary_key() {
                    return Err(SqlError::analysis(format!(
                        "Invalid data type of primary key column '{}': '{}'",
                        c.name,
                        c.ty.render().to_uppercase()
                    )));
                }
                if c.null_spec == Some(true) {
                    return Err(SqlError::analysis(format!(
                        "primary key column[{}] cannot be nullable",
                        c.name
                    )));
                }
                c.nullable = false;
            } else if !c.ty.allowed_in_key() {
                return Err(SqlError::analysis(format!(
                    "Invalid data type of key column '{}': '{}', use decimal instead",
                    c.name,
                    c.ty.render().to_uppercase()
                )));
            }
            if c.agg.is_some() {
                return Err(SqlError::analysis(format!(
                    "Key column '{}' should not specify aggregate type",
                    c.name
                )));
            }
        } else {
            match def.keys_type {
                KeysType::Aggregate => {
                    if c.agg.is_none() {
                        return Err(SqlError::analysis(format!(
                            "Aggregate table must specify aggregate type for value column '{}'",
                            c.name
                        )));
                    }
                }
                KeysType::Duplicate | KeysType::Unique | KeysType::Primary => {
                    if let Some(a) = &c.agg {
                        if a != "REPLACE" {
                            return Err(SqlError::analysis(format!(
                                "{} table should not specify aggregate type {a} for column '{}'",
                                def.keys_type.sql(),
                                c.name
                            )));
                        }
                    }
                }
            }
        }
        if c.default == Some(DefaultValue::Null) && !c.nullable {
            return Err(SqlError::analysis(format!(
                "Invalid default value for '{}'",
                c.name
            )));
        }
    }
    // ORDER BY
    for o in &def.order_by {
        let Some(i) = def.col_index(o) else {
            return Err(SqlError::analysis(format!(
                "Unknown column '{o}' in order by clause"
            )));
        };
        if !def.columns[i].ty.allowed_in_primary_key() && !def.columns[i].ty.allowed_in_key() {
            return Err(SqlError::analysis(format!(
                "Invalid data type of sort key column '{}': '{}'",
                o,
                def.columns[i].ty.render().to_uppercase()
            )));
        }
    }
    // partition columns
    for p in &def.partition_cols {
        if def.col_index(p).is_none() {
            return Err(SqlError::analysis(format!(
                "Partition column[{p}] does not exist"
            )));
        }
        if def.keys_type == KeysType::Primary
            && !def.key_cols.iter().any(|k| k.eq_ignore_ascii_case(p))
        {
            return Err(SqlError::analysis(format!(
                "The partition column could not be aggregated column and must be a key column: {p}"
            )));
        }
    }
    // distribution
    match &def.distribution {
        Some(Distribution::Hash { cols, buckets }) => {
            if *buckets == Some(0) {
                return Err(SqlError::analysis(
                    "Number of hash distribution should be greater than zero",
                ));
            }
            for c in cols {
                let Some(i) = def.col_index(c) else {
                    return Err(SqlError::analysis(format!(
                        "Distribution column({c}) doesn't exist"
                    )));
                };
                let ty = &def.columns[i].ty;
                // FE `Type.canDistributedBy`: VARBINARY became a valid distribution column with
                // "Support varbinary as sort/distribution key" (#61812, Aug 2025), taken here
                // as v4.0 (the release it first shipped in was not determined from the source).
                let binary_ok = matches!(ty, ColType::Varbinary(_) | ColType::Binary(_))
                    && version >= (4, 0, 0);
                if !ty.allowed_in_key() && !binary_ok {
                    return Err(SqlError::analysis(format!(
                        "Distribution column({c}) is not allowed for type {}",
                        ty.render().to_uppercase()
                    )));
                }
                if def.keys_type == KeysType::Primary
                    && !def.key_cols.iter().any(|k| k.eq_ignore_ascii_case(c))
                {
                    return Err(SqlError::analysis(format!(
                        "Distribution column[{c}] is not key column"
                    )));
                }
            }
        }
        Some(Distribution::Random { buckets }) => {
            if *buckets == Some(0) {
                return Err(SqlError::analysis(
                    "Number of hash distribution should be greater than zero",
                ));
            }
            if def.keys_type != KeysType::Duplicate {
                return Err(SqlError::analysis(format!(
                    "Random distribution type is not supported for {} table",
                    def.keys_type.sql()
                )));
            }
        }
        None => {
            if def.keys_type != KeysType::Duplicate {
                return Err(SqlError::analysis(format!(
                    "Create {} table should contain distribution desc",
                    def.keys_type.sql()
                )));
            }
        }
    }
    // properties
    let unknown: Vec<String> = def
        .properties
        .iter()
        .filter(|(k, _)| !crate::sql::is_known_property(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !unknown.is_empty() {
        return Err(SqlError::analysis(format!(
            "Unknown properties: {{{}}}",
            unknown.join(", ")
        )));
    }
    let repl: u64 = match prop(def, "replication_num") {
        None => 3,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(SqlError::analysis(format!(
                    "Replication num should larger than 0. (replication_num={v})"
                )))
            }
        },
    };
    if repl > backends as u64 {
        return Err(SqlError::analysis(format!(
            "Table replication num should be less than or equal to the number of available BE nodes. \
             You can change this default by setting the replication_num table properties. \
             Current alive backend is [{}]. , table={}, default_replication_num=3",
            (0..backends).map(|i| (10001 + i).to_string()).collect::<Vec<_>>().join(","),
            def.name
        )));
    }
    for (k, v) in &def.properties {
        if matches!(
            k.as_str(),
            "enable_persistent_index"
                | "in_memory"
                | "fast_schema_evolution"
                | "replicated_storage"
        ) && !matches!(v.to_ascii_lowercase().as_str(), "true" | "false")
        {
            return Err(SqlError::analysis(format!(
                "Property {k} must be bool type(false/true)"
            )));
        }
        if k == "bloom_filter_columns" {
            for c in v.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if def.col_index(c).is_none() {
                    return Err(SqlError::analysis(format!(
                        "Bloom filter column does not exist in table. invalid column: {c}"
                    )));
                }
            }
        }
    }
    Ok(())
}
