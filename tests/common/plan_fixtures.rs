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
        sync_skip_duplicate_key_changes: false,
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

pub fn col(name: &str, ty: SourceType, nullable: bool) -> ColumnDesc {
    let (charset, octet_length) = match &ty {
        SourceType::Char(n) | SourceType::Varchar(n) => {
            (Some("utf8mb4".to_string()), Some(*n as u64 * 4))
        }
        _ => (None, None),
    };
    ColumnDesc {
        name: name.into(),
        ordinal: 0,
        column_type: format!("{ty:?}").to_lowercase(),
        ty,
        nullable,
        default: ColumnDefault::None,
        comment: String::new(),
        generated: None,
        charset,
        octet_length,
        on_update_current_timestamp: false,
    }
}

pub fn int(name: &str) -> ColumnDesc {
    col(
        name,
        SourceType::Int {
            width: IntWidth::Int,
            unsigned: false,
            display: None,
        },
        false,
    )
}
pub fn bigint(name: &str) -> ColumnDesc {
    col(
        name,
        SourceType::Int {
            width: IntWidth::Big,
            unsigned: false,
            display: None,
        },
        false,
    )
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
