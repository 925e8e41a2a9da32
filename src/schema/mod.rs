//! Source-side descriptions of MySQL/MariaDB tables, independent of where they came from
//! (a live server's information_schema, see [`introspect`], or a schema dump, see [`dump`]).
//!
//! These types are the contract between introspection and planning: introspection fills them
//! exactly as the source describes itself (no mapping decisions here), planning reads them.

pub mod dump;
pub mod introspect;
pub mod types;

use serde::Serialize;

/// One source table, as the source describes it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TableDesc {
    pub database: String,
    pub name: String,
    /// Columns in ORDINAL_POSITION order.
    pub columns: Vec<ColumnDesc>,
    /// PRIMARY KEY and UNIQUE keys only (never plain indexes, never foreign keys).
    pub keys: Vec<KeyDesc>,
    pub comment: String,
    /// information_schema.TABLES.DATA_LENGTH in bytes (0 when unknown, e.g. from a dump).
    pub data_length: u64,
}

impl TableDesc {
    /// The key a table would get: its PRIMARY KEY, else the first UNIQUE key (by name) whose
    /// columns are all NOT NULL. Returns actual column names (the column's own spelling).
    pub fn usable_key(&self) -> Option<Vec<String>> {
        let desc = self;
        let resolve = |cols: &[String]| -> Option<Vec<String>> {
            let mut out = Vec::new();
            for c in cols {
                let col = desc.column(c)?;
                if out
                    .iter()
                    .any(|o: &String| o.eq_ignore_ascii_case(&col.name))
                {
                    continue;
                }
                out.push(col.name.clone());
            }
            (!out.is_empty()).then_some(out)
        };
        if let Some(pk) = desc.primary_key() {
            if let Some(k) = resolve(&pk.columns) {
                return Some(k);
            }
        }
        let mut uniques: Vec<_> = desc
            .keys
            .iter()
            .filter(|k| k.kind == KeyKind::Unique)
            .collect();
        uniques.sort_by(|a, b| a.name.cmp(&b.name));
        for u in uniques {
            if let Some(k) = resolve(&u.columns) {
                if k.iter()
                    .all(|c| desc.column(c).is_some_and(|c| !c.nullable))
                {
                    return Some(k);
                }
            }
        }
        None
    }
    pub fn primary_key(&self) -> Option<&KeyDesc> {
        self.keys.iter().find(|k| k.kind == KeyKind::Primary)
    }
    pub fn column(&self, name: &str) -> Option<&ColumnDesc> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
    /// `db.table`, for messages.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.database, self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum KeyKind {
    Primary,
    Unique,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct KeyDesc {
    /// Constraint/index name (`PRIMARY` for the primary key).
    pub name: String,
    pub kind: KeyKind,
    /// Column names in key order (SEQ_IN_INDEX). A prefix index (`KEY (v(10))`) still lists `v`.
    pub columns: Vec<String>,
}

/// One source column.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ColumnDesc {
    pub name: String,
    /// 1-based ORDINAL_POSITION; also the column's index + 1 in binlog rows events.
    pub ordinal: u32,
    pub ty: SourceType,
    /// Raw information_schema.COLUMNS.COLUMN_TYPE (e.g. `int(10) unsigned`), for messages.
    pub column_type: String,
    pub nullable: bool,
    pub default: ColumnDefault,
    pub comment: String,
    /// `Some(expr)` for a generated (VIRTUAL/STORED) column.
    pub generated: Option<String>,
    /// CHARACTER_SET_NAME for character columns (`utf8mb4`, `latin1`, ...).
    pub charset: Option<String>,
    /// CHARACTER_OCTET_LENGTH for character/binary columns: the maximum length in bytes.
    pub octet_length: Option<u64>,
    /// `ON UPDATE CURRENT_TIMESTAMP` present (informational only).
    pub on_update_current_timestamp: bool,
}

/// A column's default, normalised across MySQL 5.7/8.0 and MariaDB spellings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum ColumnDefault {
    /// No default clause.
    None,
    /// `DEFAULT NULL`.
    Null,
    /// A literal value, unquoted and unescaped (`'a''b'` → `a'b`; `0`, `1.5`, `2024-01-01`).
    /// Bit literals `b'101'` are normalised to their decimal value text.
    Literal(String),
    /// `CURRENT_TIMESTAMP`, `current_timestamp()`, `now()`, with an optional precision.
    CurrentTimestamp,
    /// Any other expression, as written (`(uuid())`, `curdate()`).
    Expression(String),
}

/// Integer widths of MySQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum IntWidth {
    Tiny,
    Small,
    Medium,
    Int,
    Big,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum TextKind {
    Tiny,
    Text,
    Medium,
    Long,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum GeometryKind {
    Geometry,
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    GeometryCollection,
}

/// A MySQL/MariaDB column type, parsed once from COLUMN_TYPE / DATA_TYPE.
/// Lengths of character types are in characters; bytes are in `ColumnDesc::octet_length`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum SourceType {
    /// `display` is the display width when written (`tinyint(1)` → Some(1)).
    Int {
        width: IntWidth,
        unsigned: bool,
        display: Option<u32>,
    },
    /// BIT(n), 1 ≤ n ≤ 64.
    Bit(u32),
    Float {
        unsigned: bool,
    },
    Double {
        unsigned: bool,
    },
    Decimal {
        precision: u32,
        scale: u32,
        unsigned: bool,
    },
    Char(u32),
    Varchar(u32),
    Text(TextKind),
    Binary(u32),
    Varbinary(u32),
    Blob(TextKind),
    Date,
    /// fsp = fractional seconds precision 0..=6.
    DateTime {
        fsp: u8,
    },
    Timestamp {
        fsp: u8,
    },
    Time {
        fsp: u8,
    },
    Year,
    Enum(Vec<String>),
    Set(Vec<String>),
    /// MySQL JSON, or MariaDB LONGTEXT with a `json_valid(col)` CHECK constraint.
    Json,
    Geometry(GeometryKind),
    /// Anything else (MariaDB UUID, INET4/INET6, VECTOR, ...): the raw type text.
    Unknown(String),
}

impl SourceType {
    pub fn is_unsigned(&self) -> bool {
        matches!(
            self,
            SourceType::Int { unsigned: true, .. }
                | SourceType::Float { unsigned: true }
                | SourceType::Double { unsigned: true }
                | SourceType::Decimal { unsigned: true, .. }
        )
    }
}
