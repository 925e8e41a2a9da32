//! The plan's types: what a target table is (model, keys, columns, StarRocks types, value
//! encodings) and what the user should know about it (notes). Pure data; `mapping` produces the
//! column types, `plan::table` the tables.

use crate::config::{RuleConfig, SourceConfig};
use crate::schema::{SourceType, TableDesc};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// The whole output of planning.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    /// One entry per config rule, in config order (rules that matched nothing included, empty).
    pub rules: Vec<RulePlan>,
    /// Source tables that were matched but not planned, and why.
    pub skipped: Vec<Skipped>,
    /// The source the tables are read from (`[db]`): the Flink source tables connect to it.
    #[serde(skip)]
    pub source: Arc<SourceConfig>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RulePlan {
    /// The rule's name (`N` of `[table-rule.N]`).
    pub rule: String,
    /// The rule itself, with its typed options (Flink keys, sink options, endpoints).
    #[serde(skip)]
    pub config: Arc<RuleConfig>,
    pub tables: Vec<TablePlan>,
}

impl RulePlan {
    pub fn new(config: Arc<RuleConfig>, tables: Vec<TablePlan>) -> Self {
        RulePlan {
            rule: config.name.clone(),
            config,
            tables,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub database: String,
    pub table: String,
    pub rule: String,
    pub reason: String,
}

/// A source table feeding a target (one for a plain table, several for merged shards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub database: String,
    pub table: String,
}

impl SourceRef {
    /// `d` describes this table (names compared exactly).
    pub fn names(&self, d: &TableDesc) -> bool {
        d.database == self.database && d.name == self.table
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Model {
    Primary,
    Duplicate,
}

#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    /// The rule's name (`N` of `[table-rule.N]`).
    pub rule: String,
    /// The rule that planned this table, with its typed options: consumers read the sink
    /// format, flush limits and Flink keys here, never by looking the rule up again.
    #[serde(skip)]
    pub rule_config: Arc<RuleConfig>,
    /// The description of each source table, in the order of `sources` (one per shard).
    #[serde(skip)]
    pub source_tables: Vec<TableDesc>,
    pub target_database: String,
    pub target_table: String,
    /// Source tables, sorted by (database, table).
    pub sources: Vec<SourceRef>,
    /// For merged shards: the regexes that match every shard (for the Flink source).
    pub shard_regex: Option<(String, String)>,
    /// Target columns in target order (key columns first, in key order).
    pub columns: Vec<TargetColumn>,
    pub model: Model,
    /// Names of the key columns (PRIMARY KEY or DUPLICATE KEY), a prefix of `columns`.
    pub key: Vec<String>,
    pub distributed_by: Vec<String>,
    /// None = omit BUCKETS (auto bucketing).
    pub buckets: Option<u32>,
    /// PROPERTIES in output order; replication_num first.
    pub properties: Vec<(String, String)>,
    pub comment: String,
    /// Raw `PARTITION BY ...` clause text (from the rule's partition_key/partitions), if any.
    pub partition_clause: Option<String>,
    /// Everything the user should know about this table: capped columns, fallbacks,
    /// dropped defaults, shard drift, generated columns, PK width > 128 bytes, ...
    pub notes: Vec<Note>,
}

impl TablePlan {
    pub fn column(&self, name: &str) -> Option<&TargetColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
    pub fn is_merged(&self) -> bool {
        self.sources.len() > 1 || self.shard_regex.is_some()
    }
    /// The description of source table `s` (exact name first, then case-insensitively).
    pub fn source_desc(&self, s: &SourceRef) -> Option<&TableDesc> {
        self.source_tables.iter().find(|d| s.names(d)).or_else(|| {
            self.source_tables.iter().find(|d| {
                d.database.eq_ignore_ascii_case(&s.database)
                    && d.name.eq_ignore_ascii_case(&s.table)
            })
        })
    }
    /// `db.table` of the target.
    pub fn target_name(&self) -> String {
        format!("{}.{}", self.target_database, self.target_table)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetColumn {
    pub name: String,
    pub sr_type: SrType,
    /// Flink SQL type text for this column in the SINK table (matches `sr_type`; e.g.
    /// `DECIMAL(20, 0)`, `TIMESTAMP(6)`, `STRING`).
    pub flink_type: String,
    /// Flink SQL type text for this column in the mysql-cdc SOURCE table (the connector's
    /// documented mapping). When it differs from `flink_type`, the INSERT must
    /// `CAST(col AS <flink_type>)`. Empty for shard origin columns (they are metadata columns).
    pub flink_source_type: String,
    pub nullable: bool,
    pub default: Option<SrDefault>,
    pub comment: String,
    pub origin: ColumnOrigin,
    /// How a source value must be rendered for this column (snapshot and binlog alike).
    pub encoding: Encoding,
}

/// Where a target column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ColumnOrigin {
    /// A source column (same name in every shard); `ty` is the (widened) source type.
    Source { name: String, ty: SourceType },
    /// Shard origin: the source database name.
    ShardDatabase,
    /// Shard origin: the source table name.
    ShardTable,
}

/// Rendering of a source value into the target column's text form. Decided by planning so that
/// the snapshot and the binlog paths render identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    /// Numbers, strings, dates as the source gives them.
    Plain,
    /// BOOLEAN from BIT(1) / TINYINT(1): `0`/`1`.
    Bool,
    /// BIT(n) → unsigned integer text.
    BitAsInteger,
    /// DECIMAL as canonical decimal text (for DECIMAL held in VARCHAR, or DECIMAL).
    DecimalText,
    /// Binary bytes as lowercase hex text (VARBINARY via CSV, or binary key columns in VARCHAR).
    Hex,
    /// DATETIME with fractions kept.
    DateTime,
    /// TIMESTAMP: epoch → configured zone, fractions kept.
    Timestamp,
    /// TIME → `[-]HHH:MM:SS[.ffffff]`.
    Time,
    /// ENUM index → label.
    EnumLabel,
    /// SET bitmask → comma-joined labels.
    SetLabels,
    /// Geometry WKB → WKT.
    Wkt,
    /// JSON text.
    Json,
    /// A DATE / DATETIME / TIMESTAMP column of a PRIMARY KEY (which StarRocks keeps NOT NULL):
    /// rendered like `Plain` / `DateTime` / `Timestamp` for its source type, except that a zero
    /// date (`0000-00-00`) is [`ZERO_DATE_KEY`] (the time of day kept) instead of NULL, and a
    /// partial zero date (`2024-00-15`) refuses the row.
    KeyDate,
}

/// What the date part of a zero date (`0000-00-00`) of a PRIMARY KEY column loads as
/// ([`Encoding::KeyDate`]): StarRocks' smallest DATE, so every zero-date key stays one distinct
/// key (a source row holding `0000-01-01` itself would share it). `0000-00-00 00:00:00` loads
/// as `0000-01-01 00:00:00`.
pub const ZERO_DATE_KEY: &str = "0000-01-01";

/// A StarRocks column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SrType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    LargeInt,
    Float,
    Double,
    Decimal(u32, u32),
    Char(u32),
    Varchar(u32),
    Varbinary(u32),
    Date,
    DateTime,
    Json,
}

impl fmt::Display for SrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SrType::Boolean => f.write_str("BOOLEAN"),
            SrType::TinyInt => f.write_str("TINYINT"),
            SrType::SmallInt => f.write_str("SMALLINT"),
            SrType::Int => f.write_str("INT"),
            SrType::BigInt => f.write_str("BIGINT"),
            SrType::LargeInt => f.write_str("LARGEINT"),
            SrType::Float => f.write_str("FLOAT"),
            SrType::Double => f.write_str("DOUBLE"),
            SrType::Decimal(p, s) => write!(f, "DECIMAL({p}, {s})"),
            SrType::Char(n) => write!(f, "CHAR({n})"),
            SrType::Varchar(n) => write!(f, "VARCHAR({n})"),
            SrType::Varbinary(n) => write!(f, "VARBINARY({n})"),
            SrType::Date => f.write_str("DATE"),
            SrType::DateTime => f.write_str("DATETIME"),
            SrType::Json => f.write_str("JSON"),
        }
    }
}

impl SrType {
    /// An integer, BOOLEAN or DECIMAL type: exact numbers.
    pub fn is_exact_number(&self) -> bool {
        matches!(
            self,
            SrType::Boolean
                | SrType::TinyInt
                | SrType::SmallInt
                | SrType::Int
                | SrType::BigInt
                | SrType::LargeInt
                | SrType::Decimal(..)
        )
    }

    /// A number type (exact, FLOAT or DOUBLE): StarRocks compares and orders it by value.
    pub fn is_number(&self) -> bool {
        self.is_exact_number() || matches!(self, SrType::Float | SrType::Double)
    }

    /// A StarRocks SQL literal for a value of this type as the sync decoder writes it (None =
    /// NULL): numbers bare (a quoted number against a number column compares as text), anything
    /// else a quoted string with `\\`, `'` and NUL escaped. Text that is not a number is never
    /// written bare, whatever the type says.
    pub fn literal(&self, v: Option<&str>) -> String {
        let Some(t) = v else {
            return "NULL".into();
        };
        let numeric = self.is_exact_number()
            && !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
        if numeric {
            return t.to_string();
        }
        let mut s = String::with_capacity(t.len() + 2);
        s.push('\'');
        for ch in t.chars() {
            match ch {
                '\\' => s.push_str("\\\\"),
                '\'' => s.push_str("\\'"),
                '\0' => s.push_str("\\0"),
                c => s.push(c),
            }
        }
        s.push('\'');
        s
    }
}

/// A DEFAULT that StarRocks accepts for the column's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SrDefault {
    /// A literal, rendered as a double-quoted string.
    Literal(String),
    CurrentTimestamp,
}

/// A fact about a planned table for the summary report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub kind: NoteKind,
    /// Column name, when the note is about one column.
    pub column: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Source can hold more than the target column (VARCHAR capped at 1048576, ...).
    Capped,
    /// A type or model fell back (no PK possible → DUPLICATE KEY, DECIMAL → VARCHAR, ...).
    Fallback,
    /// A default that could not be carried.
    DroppedDefault,
    /// A generated column carried as a plain column.
    Generated,
    /// Shards whose schemas differ were widened into one.
    ShardDrift,
    /// PRIMARY KEY may exceed StarRocks' 128-byte encoded key limit.
    KeyWidth,
    /// Unknown source type mapped to text by option.
    UnknownType,
}

/// Names of the shard origin columns (before de-collision suffixing).
pub const ORIGIN_DB_COLUMN: &str = "_smt_source_db";
pub const ORIGIN_TABLE_COLUMN: &str = "_smt_source_table";
/// Type length of origin columns: MySQL identifiers are ≤ 64 characters of utf8mb3.
pub const ORIGIN_COLUMN_LEN: u32 = 192;
/// StarRocks' limit on the encoded PRIMARY KEY width, in bytes.
pub const PK_WIDTH_LIMIT: u64 = 128;

impl Plan {
    /// Every planned table, rules in config order.
    pub fn tables(&self) -> impl Iterator<Item = &TablePlan> {
        self.rules.iter().flat_map(|r| r.tables.iter())
    }
    /// Names of rules that matched no table (kept as empty `RulePlan`s; the summary says so).
    pub fn unmatched_rules(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|r| r.tables.is_empty())
            .map(|r| r.rule.as_str())
            .collect()
    }
}

#[cfg(test)]
mod literal_tests {
    use super::SrType;

    #[test]
    fn literals_by_type() {
        assert_eq!(SrType::BigInt.literal(Some("-5")), "-5");
        assert_eq!(
            SrType::LargeInt.literal(Some("18446744073709551615")),
            "18446744073709551615"
        );
        assert_eq!(SrType::Varchar(9).literal(Some("5")), "'5'");
        assert_eq!(
            SrType::Varchar(9).literal(Some("it's \\ x")),
            "'it\\'s \\\\ x'"
        );
        assert_eq!(
            SrType::DateTime.literal(Some("2024-01-01 00:00:00.5")),
            "'2024-01-01 00:00:00.5'"
        );
        assert_eq!(SrType::Int.literal(None), "NULL");
        assert_eq!(SrType::Int.literal(Some("1 OR 1=1")), "'1 OR 1=1'");
    }
}
