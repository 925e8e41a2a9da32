//! Builders for plan tests: configs, rules, tables and columns without any I/O.
#![allow(dead_code)]

use regex::Regex;
use smt::config::{Config, OtherConfig, RuleConfig, Secret, SourceConfig, SourceKind};
use smt::schema::{ColumnDefault, ColumnDesc, IntWidth, KeyDesc, KeyKind, SourceType, TableDesc};

pub fn other() -> OtherConfig {
    OtherConfig {
        be_num: 3,
        use_decimal_v3: true,
        output_dir: "result".into(),
        tinyint1_as_boolean: false,
        unknown_type_as_string: false,
        shard_origin_columns: true,
        auto_buckets: false,
        sync_duplicate_key_changes: smt::config::DupChanges::Stop,
        sync_follow_truncate: true,
        sync_quarantine: false,
        sync_snapshot_parallelism: None,
        sync_snapshot_catch_up: std::time::Duration::from_secs(30),
        starrocks_version: (3, 3),
    }
}

pub fn rule(name: &str, db: &str, table: &str) -> RuleConfig {
    RuleConfig::new(
        name,
        1,
        Regex::new(db).expect("test regex"),
        Regex::new(table).expect("test regex"),
    )
}

pub fn config(rules: Vec<RuleConfig>) -> Config {
    Config {
        path: "config.ini".into(),
        source: SourceConfig {
            kind: SourceKind::Mysql,
            host: "127.0.0.1".into(),
            port: 3306,
            user: "root".into(),
            password: Secret::new("pw"),
            time_zone: None,
        },
        other: other(),
        rules,
    }
}

/// A column with nothing but its name and type: nullable, ordinal 0, empty `column_type`, no
/// charset or octet length, no default, comment or generation expression.
pub fn bare_col(name: &str, ty: SourceType) -> ColumnDesc {
    ColumnDesc {
        name: name.into(),
        ordinal: 0,
        ty,
        column_type: String::new(),
        nullable: true,
        default: ColumnDefault::None,
        comment: String::new(),
        generated: None,
        charset: None,
        octet_length: None,
        on_update_current_timestamp: false,
    }
}

/// A column as introspection describes one: [`bare_col`] with `nullable`, a `column_type` text
/// and, for CHAR/VARCHAR, charset utf8mb4 with its octet length. Ordinal 0 ([`table`] numbers
/// the columns; [`ColumnDescExt::with_ordinal`] sets one).
pub fn col(name: &str, ty: SourceType, nullable: bool) -> ColumnDesc {
    let (charset, octet_length) = match &ty {
        SourceType::Char(n) | SourceType::Varchar(n) => {
            (Some("utf8mb4".to_string()), Some(*n as u64 * 4))
        }
        _ => (None, None),
    };
    ColumnDesc {
        column_type: format!("{ty:?}").to_lowercase(),
        nullable,
        charset,
        octet_length,
        ..bare_col(name, ty)
    }
}

/// Chained settings for a built column (`ColumnDesc` is smt's type, so a trait adds them).
pub trait ColumnDescExt {
    /// The column's 1-based position in its table.
    fn with_ordinal(self, ordinal: u32) -> Self;
    /// NOT NULL.
    fn not_null(self) -> Self;
    /// The column's character set (e.g. `latin1`).
    fn with_charset(self, charset: &str) -> Self;
}

impl ColumnDescExt for ColumnDesc {
    fn with_ordinal(self, ordinal: u32) -> Self {
        ColumnDesc { ordinal, ..self }
    }
    fn not_null(self) -> Self {
        ColumnDesc {
            nullable: false,
            ..self
        }
    }
    fn with_charset(self, charset: &str) -> Self {
        ColumnDesc {
            charset: Some(charset.into()),
            ..self
        }
    }
}

/// `INT`-family source type without a display width.
pub fn int_type(width: IntWidth, unsigned: bool) -> SourceType {
    SourceType::Int {
        width,
        unsigned,
        display: None,
    }
}

pub fn int(name: &str) -> ColumnDesc {
    col(name, int_type(IntWidth::Int, false), false)
}
pub fn bigint(name: &str) -> ColumnDesc {
    col(name, int_type(IntWidth::Big, false), false)
}
pub fn varchar(name: &str, n: u32, nullable: bool) -> ColumnDesc {
    col(name, SourceType::Varchar(n), nullable)
}

pub fn key(name: &str, kind: KeyKind, cols: &[&str]) -> KeyDesc {
    KeyDesc {
        name: name.into(),
        kind,
        columns: cols.iter().map(|c| c.to_string()).collect(),
    }
}
pub fn pk(cols: &[&str]) -> KeyDesc {
    key("PRIMARY", KeyKind::Primary, cols)
}

pub fn table(db: &str, name: &str, mut columns: Vec<ColumnDesc>, keys: Vec<KeyDesc>) -> TableDesc {
    for (i, c) in columns.iter_mut().enumerate() {
        c.ordinal = i as u32 + 1;
    }
    TableDesc {
        database: db.into(),
        name: name.into(),
        columns,
        keys,
        comment: format!("{name} comment"),
        data_length: 0,
    }
}
