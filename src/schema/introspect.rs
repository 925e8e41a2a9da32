//! Live introspection of a MySQL-family server through `information_schema`.
//!
//! Invariant: a FIXED number of queries, whatever the number of tables. One query for the
//! server version and time zone, one for the user's grants (what it may see), one for SCHEMATA (database names are filtered in Rust with
//! the caller's predicate, so the rules' Rust regexes are never translated to SQL), then, per
//! chunk of at most [`IN_CHUNK`] database names, one query each for TABLES, COLUMNS,
//! STATISTICS and (MariaDB only) CHECK_CONSTRAINTS. Rows are streamed and folded into the
//! per-table descriptions as they arrive. Foreign keys are never read (no KEY_COLUMN_USAGE):
//! keys are PRIMARY and UNIQUE indexes only.
//!
//! The output is sorted by (database, table) byte order, keys PRIMARY first then UNIQUE by
//! name, columns by ORDINAL_POSITION, so it compares equal to [`super::dump::parse_dump`] of a
//! dump of the same schema.

use super::types::{normalize_default, parse_source_type, version_triple};
use super::{ColumnDesc, KeyDesc, KeyKind, SourceType, TableDesc, TextKind};
use crate::config::SourceConfig;
use crate::error::{fail, Kind};
use mysql::prelude::Queryable;
use mysql::{Conn, Params, Row, Value};
use std::collections::{BTreeMap, HashSet};

pub use super::types::Flavor;

/// Database names per `TABLE_SCHEMA IN (...)` query.
pub const IN_CHUNK: usize = 1000;

/// Databases never introspected: the server's own.
pub const SYSTEM_DATABASES: [&str; 4] =
    ["information_schema", "performance_schema", "mysql", "sys"];

pub use crate::source::ServerInfo;

#[derive(Debug, Clone)]
pub struct Introspection {
    pub tables: Vec<TableDesc>,
    pub server: ServerInfo,
    /// What the connecting user may see (from SHOW GRANTS).
    pub visibility: crate::source::Visibility,
    /// Number of SQL queries sent (fixed for a given number of database chunks).
    pub queries: u32,
}

fn query_error(what: &str, e: mysql::Error) -> anyhow::Error {
    fail(
        Kind::Source,
        format!(
            "reading {what} from the source failed: {e}. The user needs SELECT on the databases \
             to migrate (information_schema shows only what the user may see)"
        ),
    )
}

/// Introspect every base table of every database accepted by `want_db` (system databases
/// excluded).
pub fn introspect(
    src: &SourceConfig,
    want_db: &dyn Fn(&str) -> bool,
) -> anyhow::Result<Introspection> {
    let mut conn = crate::source::connect(src)?;
    introspect_conn(&mut conn, want_db)
}

/// As [`introspect`], on an open connection.
pub fn introspect_conn(
    conn: &mut Conn,
    want_db: &dyn Fn(&str) -> bool,
) -> anyhow::Result<Introspection> {
    let mut queries = 0u32;

    // 1. Server.
    queries += 1;
    let server = crate::source::probe(conn)?;
    let (version, flavor) = (server.version.clone(), server.flavor);

    // 2. What the user may see: information_schema hides what it has no privilege on.
    queries += 1;
    let grants: Vec<String> = conn
        .query("SHOW GRANTS")
        .map_err(|e| query_error("the user's grants", e))?;
    let visibility = crate::source::Visibility::from_grants(&grants);

    // 3. Databases, filtered in Rust.
    queries += 1;
    let mut dbs: Vec<String> = Vec::new();
    for row in conn
        .query_iter("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
        .map_err(|e| query_error("the database list", e))?
    {
        let row = row.map_err(|e| query_error("the database list", e))?;
        if let Some(name) = text(&row, 0) {
            let system = SYSTEM_DATABASES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&name));
            if !system && want_db(&name) {
                dbs.push(name);
            }
        }
    }
    dbs.sort();

    let with_checks = match (flavor, version_triple(&version)) {
        // information_schema.CHECK_CONSTRAINTS exists since MariaDB 10.2.22 / 10.3.10. MySQL's
        // has no TABLE_NAME, and MySQL JSON is a real type, so it is not needed there.
        (Flavor::MariaDb, Some(v)) => v >= (10, 3, 10) || (v.0 == 10 && v.1 == 2 && v.2 >= 22),
        (Flavor::MariaDb, None) => false,
        (Flavor::MySql57 | Flavor::MySql80 | Flavor::TiDb, _) => false,
    };

    // COLUMNS.GENERATION_EXPRESSION exists since MySQL 5.7.6 / MariaDB 10.2.5.
    let with_generation = match (flavor, version_triple(&version)) {
        (Flavor::MariaDb, Some(v)) => v >= (10, 2, 5),
        (Flavor::MySql57, Some(v)) => v >= (5, 7, 6),
        (Flavor::MariaDb | Flavor::MySql57, None) => false,
        (Flavor::MySql80 | Flavor::TiDb, _) => true,
    };

    let mut tables: BTreeMap<(String, String), TableDesc> = BTreeMap::new();
    for chunk in dbs.chunks(IN_CHUNK) {
        let caps = Caps {
            flavor,
            checks: with_checks,
            generation: with_generation,
        };
        queries += read_chunk(conn, chunk, caps, &mut tables)?;
    }

    let mut out: Vec<TableDesc> = tables.into_values().collect();
    for t in &mut out {
        t.columns.sort_by_key(|c| c.ordinal);
        sort_keys(&mut t.keys);
    }
    Ok(Introspection {
        tables: out,
        server,
        visibility,
        queries,
    })
}

/// PRIMARY first, then UNIQUE keys by name (both paths use this order).
pub fn sort_keys(keys: &mut [KeyDesc]) {
    keys.sort_by(|a, b| {
        let rank = |k: &KeyDesc| match k.kind {
            KeyKind::Primary => 0,
            KeyKind::Unique => 1,
        };
        rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name))
    });
}

fn in_list(n: usize) -> String {
    let mut s = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s
}

fn params(chunk: &[String]) -> Params {
    Params::Positional(chunk.iter().map(|d| Value::from(d.as_str())).collect())
}

/// What the server's information_schema offers.
#[derive(Debug, Clone, Copy)]
struct Caps {
    flavor: Flavor,
    /// information_schema.CHECK_CONSTRAINTS with TABLE_NAME (MariaDB).
    checks: bool,
    /// COLUMNS.GENERATION_EXPRESSION.
    generation: bool,
}

/// The four (or three) queries for one chunk of databases. Returns the number of queries.
fn read_chunk(
    conn: &mut Conn,
    chunk: &[String],
    caps: Caps,
    tables: &mut BTreeMap<(String, String), TableDesc>,
) -> anyhow::Result<u32> {
    let list = in_list(chunk.len());
    let mut queries = 0;

    // TABLES: base tables (and MariaDB system-versioned ones), never views or sequences.
    queries += 1;
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COMMENT, DATA_LENGTH \
         FROM information_schema.TABLES \
         WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA IN ({list})"
    );
    for row in conn
        .exec_iter(sql, params(chunk))
        .map_err(|e| query_error("information_schema.TABLES", e))?
    {
        let row = row.map_err(|e| query_error("information_schema.TABLES", e))?;
        let db = text(&row, 0).unwrap_or_default();
        let name = text(&row, 1).unwrap_or_default();
        tables.insert(
            (db.clone(), name.clone()),
            TableDesc {
                database: db,
                name,
                columns: Vec::new(),
                keys: Vec::new(),
                comment: text(&row, 2).unwrap_or_default(),
                data_length: number(&row, 3).unwrap_or(0),
            },
        );
    }

    // COLUMNS.
    queries += 1;
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, \
         IS_NULLABLE, DATA_TYPE, COLUMN_TYPE, CHARACTER_OCTET_LENGTH, CHARACTER_SET_NAME, EXTRA, \
         COLUMN_COMMENT, {generation} \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({list})",
        generation = if caps.generation {
            "GENERATION_EXPRESSION"
        } else {
            "''"
        }
    );
    for row in conn
        .exec_iter(sql, params(chunk))
        .map_err(|e| query_error("information_schema.COLUMNS", e))?
    {
        let row = row.map_err(|e| query_error("information_schema.COLUMNS", e))?;
        let key = (
            text(&row, 0).unwrap_or_default(),
            text(&row, 1).unwrap_or_default(),
        );
        // Columns of views (and of tables filtered out above) are dropped here.
        let Some(table) = tables.get_mut(&key) else {
            continue;
        };
        let name = text(&row, 2).unwrap_or_default();
        let ordinal = number(&row, 3).unwrap_or(0) as u32;
        let raw_default = text(&row, 4);
        let nullable = text(&row, 5).is_some_and(|s| s.eq_ignore_ascii_case("YES"));
        let data_type = text(&row, 6).unwrap_or_default();
        let column_type = text(&row, 7).unwrap_or_default();
        let octet_length = number(&row, 8);
        let charset = text(&row, 9);
        let extra = text(&row, 10).unwrap_or_default();
        let comment = text(&row, 11).unwrap_or_default();
        let generated = text(&row, 12).filter(|g| !g.trim().is_empty());
        let ty = parse_source_type(&data_type, &column_type);
        let is_generated = generated.is_some();
        let default = if is_generated {
            super::ColumnDefault::None
        } else {
            normalize_default(raw_default.as_deref(), nullable, caps.flavor, &ty, &extra)
        };
        let on_update = extra
            .to_ascii_lowercase()
            .contains("on update current_timestamp");
        table.columns.push(ColumnDesc {
            name,
            ordinal,
            ty,
            column_type,
            nullable,
            default,
            comment,
            generated,
            charset,
            octet_length,
            on_update_current_timestamp: on_update,
        });
    }

    // STATISTICS: PRIMARY and UNIQUE indexes only, in SEQ_IN_INDEX order.
    queries += 1;
    let sql = format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME \
         FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0 AND TABLE_SCHEMA IN ({list}) \
         ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    );
    // Keys with a functional part (COLUMN_NAME NULL, MySQL 8) are not column keys: dropped.
    let mut broken: HashSet<(String, String, String)> = HashSet::new();
    for row in conn
        .exec_iter(sql, params(chunk))
        .map_err(|e| query_error("information_schema.STATISTICS", e))?
    {
        let row = row.map_err(|e| query_error("information_schema.STATISTICS", e))?;
        let key = (
            text(&row, 0).unwrap_or_default(),
            text(&row, 1).unwrap_or_default(),
        );
        let Some(table) = tables.get_mut(&key) else {
            continue;
        };
        let index = text(&row, 2).unwrap_or_default();
        let Some(column) = text(&row, 4) else {
            broken.insert((key.0, key.1, index));
            continue;
        };
        let kind = if index == "PRIMARY" {
            KeyKind::Primary
        } else {
            KeyKind::Unique
        };
        match table.keys.iter_mut().find(|k| k.name == index) {
            Some(k) => k.columns.push(column),
            None => table.keys.push(KeyDesc {
                name: index,
                kind,
                columns: vec![column],
            }),
        }
    }
    for (db, t, index) in broken {
        if let Some(table) = tables.get_mut(&(db, t)) {
            table.keys.retain(|k| k.name != index);
        }
    }

    // CHECK_CONSTRAINTS: MariaDB JSON = LONGTEXT + CHECK (json_valid(`col`)).
    if caps.checks {
        queries += 1;
        let sql = format!(
            "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CHECK_CLAUSE \
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA IN ({list})"
        );
        for row in conn
            .exec_iter(sql, params(chunk))
            .map_err(|e| query_error("information_schema.CHECK_CONSTRAINTS", e))?
        {
            let row = row.map_err(|e| query_error("information_schema.CHECK_CONSTRAINTS", e))?;
            let key = (
                text(&row, 0).unwrap_or_default(),
                text(&row, 1).unwrap_or_default(),
            );
            let Some(table) = tables.get_mut(&key) else {
                continue;
            };
            let Some(col) = text(&row, 2).and_then(|c| json_valid_column(&c)) else {
                continue;
            };
            mark_json(table, &col);
        }
    }
    Ok(queries)
}

/// Turn a LONGTEXT column into `SourceType::Json` (MariaDB's JSON alias).
pub(crate) fn mark_json(table: &mut TableDesc, column: &str) {
    let wanted = column.to_lowercase();
    if let Some(c) = table
        .columns
        .iter_mut()
        .find(|c| c.name.to_lowercase() == wanted)
    {
        if c.ty == SourceType::Text(TextKind::Long) {
            c.ty = SourceType::Json;
        }
    }
}

/// `json_valid(`col`)` → `col` (backticks optional, doubled backticks unescaped).
pub fn json_valid_column(clause: &str) -> Option<String> {
    let t = clause.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(t)
        .trim();
    let lower = t.to_ascii_lowercase();
    if !lower.starts_with("json_valid") {
        return None;
    }
    let inner = t["json_valid".len()..].trim_start();
    let inner = inner.strip_prefix('(')?.strip_suffix(')')?.trim();
    if let Some(q) = inner.strip_prefix('`').and_then(|x| x.strip_suffix('`')) {
        // Inside, a backtick must be doubled.
        if q.replace("``", "").contains('`') {
            return None;
        }
        return Some(q.replace("``", "`"));
    }
    if !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    {
        return Some(inner.to_string());
    }
    None
}

/// A text cell (NULL → None). information_schema text is UTF-8; invalid bytes are replaced.
fn text(row: &Row, i: usize) -> Option<String> {
    match row.as_ref(i)? {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(f) => Some(f.to_string()),
        v @ (Value::Date(..) | Value::Time(..)) => Some(v.as_sql(true)),
    }
}

/// A numeric cell (NULL or non-numeric → None).
fn number(row: &Row, i: usize) -> Option<u64> {
    match row.as_ref(i)? {
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::UInt(n) => Some(*n),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        Value::NULL | Value::Float(_) | Value::Double(_) | Value::Date(..) | Value::Time(..) => {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_valid_clause() {
        assert_eq!(json_valid_column("json_valid(`j`)"), Some("j".into()));
        assert_eq!(
            json_valid_column("(json_valid(`a``b`))"),
            Some("a`b".into())
        );
        assert_eq!(
            json_valid_column("json_valid(c_json)"),
            Some("c_json".into())
        );
        assert_eq!(json_valid_column("JSON_VALID(`名前`)"), Some("名前".into()));
        assert_eq!(json_valid_column("json_valid(`a`) and 1"), None);
        assert_eq!(json_valid_column("`a` > 0"), None);
    }

    #[test]
    fn in_lists() {
        assert_eq!(in_list(1), "?");
        assert_eq!(in_list(3), "?, ?, ?");
    }

    #[test]
    fn key_order() {
        let k = |n: &str, kind| KeyDesc {
            name: n.into(),
            kind,
            columns: vec![],
        };
        let mut keys = vec![
            k("u_b", KeyKind::Unique),
            k("PRIMARY", KeyKind::Primary),
            k("u_a", KeyKind::Unique),
        ];
        sort_keys(&mut keys);
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["PRIMARY", "u_a", "u_b"]);
    }
}
