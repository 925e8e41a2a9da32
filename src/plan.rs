//! TableDesc + rules → TablePlan: model, keys, column order, types, buckets, shard merge.
//! Pure: no I/O. The plan is the one description of a target table that `render` (DDL, Flink
//! SQL), `apply` and `sync` all read, so they can never disagree.
//!
//! Invariants of [`build`] (tests/common/sr_rules.rs checks them on every plan the tests
//! produce, including a property test over random source types):
//! - key columns are the leading columns of `columns`, in key order; PRIMARY KEY columns are
//!   NOT NULL and of a type StarRocks accepts in a PRIMARY KEY (columns are mapped with
//!   `in_primary_key`; when one cannot be, the table falls back to DUPLICATE KEY and says so);
//! - every type is within StarRocks' parameter ranges (see `mapping`);
//! - every name was checked with `ident::check_starrocks_name`; column names are unique
//!   case-insensitively (StarRocks column names are case-insensitive);
//! - distribution and partition columns exist (and are key columns for PRIMARY KEY tables);
//! - no two plans write the same target table;
//! - every problem of every table is collected and the run fails as a whole with the full list
//!   (like a compiler): a table is never skipped silently;
//! - merged shards keep every row apart: with origin columns on, (source db, source table) is
//!   part of the PRIMARY KEY, so equal keys in different shards cannot overwrite each other;
//! - output is deterministic: rules in config order, targets sorted by (database, table),
//!   sources sorted by (database, table).

use crate::schema::SourceType;
use serde::Serialize;
use std::fmt;

/// The whole output of planning.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    /// One entry per config rule, in config order (rules that matched nothing included, empty).
    pub rules: Vec<RulePlan>,
    /// Source tables that were matched but not planned, and why.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RulePlan {
    /// The rule's name (`N` of `[table-rule.N]`).
    pub rule: String,
    pub tables: Vec<TablePlan>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Model {
    Primary,
    Duplicate,
}

#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    pub rule: String,
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
}

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

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

use crate::config::{Config, OtherConfig, RuleConfig};
use crate::ident::{check_starrocks_name, NameKind};
use crate::mapping::{self, MapCtx};
use crate::schema::{ColumnDefault, ColumnDesc, IntWidth, KeyKind, TableDesc, TextKind};
use std::collections::{BTreeMap, HashMap};

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

/// One problem that prevents planning a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    /// `db.table` of the source table (first shard for merged tables), or `rule N`.
    pub table: String,
    /// Full message, naming the table/column and what to do.
    pub message: String,
}

/// Planning failed: every problem found, for all tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub errors: Vec<TableError>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "cannot plan the target tables ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            writeln!(f, "  - {}", e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanError {}

impl PlanError {
    /// As a program-ending failure (exit code of `Kind::Plan`).
    pub fn into_failure(self) -> anyhow::Error {
        crate::error::fail(crate::error::Kind::Plan, self.to_string())
    }
}

/// SMT's bucket formula: S < 1 GiB → 1; S < be_num GiB → ceil(S / 1 GiB);
/// else ceil(S / 1 GiB / be_num) × be_num.
pub fn buckets_for_size(data_length: u64, be_num: u32) -> u32 {
    const GIB: u64 = 1 << 30;
    let be = be_num.max(1) as u64;
    let n = if data_length < GIB {
        1
    } else if data_length < be.saturating_mul(GIB) {
        data_length.div_ceil(GIB)
    } else {
        data_length
            .div_ceil(GIB.saturating_mul(be))
            .saturating_mul(be)
    };
    n.min(u32::MAX as u64) as u32
}

/// Strip a trailing numeric suffix (digits, optionally preceded by `_`): `edu_db_1` → `edu_db`.
pub fn shard_stem(name: &str) -> &str {
    let t = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if t.len() == name.len() {
        name
    } else {
        t.strip_suffix('_').unwrap_or(t)
    }
}

/// SMT's merged name: longest common prefix; equal to the first name → kept; empty →
/// `<fallback>_auto_shard`; else prefix + `_auto_shard`.
pub fn merged_name(names: &[&str], fallback: &str) -> String {
    let Some(first) = names.first() else {
        return format!("{fallback}_auto_shard");
    };
    let mut len = first.len();
    for n in &names[1..] {
        let common = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map(|((i, a), _)| i + a.len_utf8())
            .unwrap_or(0);
        len = len.min(common);
    }
    let prefix = &first[..len];
    if prefix == *first {
        first.to_string()
    } else if prefix.is_empty() {
        format!("{fallback}_auto_shard")
    } else {
        format!("{prefix}_auto_shard")
    }
}

/// Regex (Java and RE2 compatible) matching exactly the given names: `(a|b)`, with every
/// non-alphanumeric ASCII character escaped. No `^`/`$`: mysql-cdc joins `database-name` and
/// `table-name` into one `db.table` pattern that Debezium matches against the whole name.
pub fn exact_alternation(names: &[&str]) -> String {
    let mut uniq: Vec<&str> = names.to_vec();
    uniq.sort();
    uniq.dedup();
    let esc: Vec<String> = uniq
        .iter()
        .map(|n| {
            let mut s = String::new();
            for c in n.chars() {
                if c.is_ascii() && !c.is_ascii_alphanumeric() && c != '_' {
                    s.push('\\');
                }
                s.push(c);
            }
            s
        })
        .collect();
    format!("({})", esc.join("|"))
}

/// Build the plan for all tables. Every problem is collected; nothing is skipped silently.
pub fn build(config: &Config, tables: &[TableDesc]) -> Result<Plan, PlanError> {
    let assignment = crate::rules::assign(&config.rules, tables);
    if assignment.is_empty() {
        let rules: Vec<String> = config
            .rules
            .iter()
            .map(|r| {
                format!(
                    "[table-rule.{}] (line {}: database = {}, table = {})",
                    r.name,
                    r.line,
                    r.database.as_str(),
                    r.table.as_str()
                )
            })
            .collect();
        let message = if config.rules.is_empty() {
            "no [table-rule.N] section in the config: add one with `database` and `table` regexes"
                .to_string()
        } else {
            format!(
                "no source table matched any rule ({} base tables seen); rules that matched nothing: {}. \
                 Check the `database`/`table` regexes (they are unanchored unless you write ^...$)",
                tables.len(),
                rules.join(", ")
            )
        };
        return Err(PlanError {
            errors: vec![TableError {
                table: "rules".into(),
                message,
            }],
        });
    }
    let mut errors = Vec::new();
    let mut plan = Plan::default();
    for rt in &assignment.rules {
        let Some(rule) = config.rules.get(rt.index) else {
            continue;
        };
        let mut planned = Vec::new();
        for unit in units_for_rule(rule, &rt.tables) {
            match plan_unit(rule, &config.other, unit) {
                Ok(tp) => planned.push(tp),
                Err(es) => errors.extend(es),
            }
        }
        planned.sort_by(|a, b| {
            (&a.target_database, &a.target_table).cmp(&(&b.target_database, &b.target_table))
        });
        plan.rules.push(RulePlan {
            rule: rt.rule.clone(),
            tables: planned,
        });
    }
    // Two plans writing one target table would silently mix rows: refuse.
    let mut seen: HashMap<(&str, &str), &TablePlan> = HashMap::new();
    for tp in plan.tables() {
        let k = (tp.target_database.as_str(), tp.target_table.as_str());
        if let Some(prev) = seen.get(&k) {
            errors.push(TableError {
                table: format!("{}.{}", k.0, k.1),
                message: format!(
                    "target table {}.{} would be written by both {} (rule {}) and {} (rule {}): \
                     set distinct `target_table` values or narrow the rules' regexes",
                    k.0,
                    k.1,
                    sources_label(&prev.sources),
                    prev.rule,
                    sources_label(&tp.sources),
                    tp.rule
                ),
            });
        } else {
            seen.insert(k, tp);
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(PlanError { errors })
    }
}

fn sources_label(s: &[SourceRef]) -> String {
    let v: Vec<String> = s
        .iter()
        .map(|r| format!("{}.{}", r.database, r.table))
        .collect();
    v.join(", ")
}

/// One target table to plan: a single source table or a merged shard group.
struct Unit {
    desc: TableDesc,
    sources: Vec<SourceRef>,
    merged: bool,
    notes: Vec<Note>,
    target_database: String,
    target_table: String,
    /// Longest database / table name among the sources, in bytes (for the key width).
    name_bytes: (u64, u64),
}

fn units_for_rule(rule: &RuleConfig, tables: &[&TableDesc]) -> Vec<Unit> {
    let mut groups: BTreeMap<(&str, &str), Vec<&TableDesc>> = BTreeMap::new();
    for t in tables {
        groups
            .entry((shard_stem(&t.database), shard_stem(&t.name)))
            .or_default()
            .push(t);
    }
    let mut units = Vec::new();
    for group in groups.into_values() {
        if group.len() >= 2 {
            match merge_shards(&group) {
                Ok((desc, notes)) => {
                    let dbs: Vec<&str> = group.iter().map(|t| t.database.as_str()).collect();
                    let tbls: Vec<&str> = group.iter().map(|t| t.name.as_str()).collect();
                    units.push(Unit {
                        target_database: rule
                            .target_database
                            .clone()
                            .unwrap_or_else(|| merged_name(&dbs, "db")),
                        target_table: rule
                            .target_table
                            .clone()
                            .unwrap_or_else(|| merged_name(&tbls, "table")),
                        sources: group
                            .iter()
                            .map(|t| SourceRef {
                                database: t.database.clone(),
                                table: t.name.clone(),
                            })
                            .collect(),
                        merged: true,
                        notes,
                        name_bytes: (
                            dbs.iter().map(|s| s.len() as u64).max().unwrap_or(0),
                            tbls.iter().map(|s| s.len() as u64).max().unwrap_or(0),
                        ),
                        desc,
                    });
                    continue;
                }
                Err(reason) => {
                    let all = group
                        .iter()
                        .map(|t| t.qualified())
                        .collect::<Vec<_>>()
                        .join(", ");
                    for t in &group {
                        let mut u = single_unit(rule, t);
                        u.notes.push(Note {
                            kind: NoteKind::ShardDrift,
                            column: None,
                            message: format!(
                                "looks like a shard of {all} but was not merged: {reason}; planned as its own table"
                            ),
                        });
                        units.push(u);
                    }
                    continue;
                }
            }
        }
        for t in group {
            units.push(single_unit(rule, t));
        }
    }
    units
}

fn single_unit(rule: &RuleConfig, t: &TableDesc) -> Unit {
    Unit {
        desc: t.clone(),
        sources: vec![SourceRef {
            database: t.database.clone(),
            table: t.name.clone(),
        }],
        merged: false,
        notes: Vec::new(),
        target_database: rule
            .target_database
            .clone()
            .unwrap_or_else(|| t.database.clone()),
        target_table: rule.target_table.clone().unwrap_or_else(|| t.name.clone()),
        name_bytes: (t.database.len() as u64, t.name.len() as u64),
    }
}

/// The key a table would get: its PRIMARY KEY, else the first UNIQUE key (by name) whose
/// columns are all NOT NULL. Returns actual column names (the column's own spelling).
fn choose_key(desc: &TableDesc) -> Option<Vec<String>> {
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

// ----- shard merge ---------------------------------------------------------------------------

fn int_bounds(w: IntWidth, unsigned: bool) -> (i128, i128) {
    match (w, unsigned) {
        (IntWidth::Tiny, false) => (-128, 127),
        (IntWidth::Tiny, true) => (0, 255),
        (IntWidth::Small, false) => (-32768, 32767),
        (IntWidth::Small, true) => (0, 65535),
        (IntWidth::Medium, false) => (-8_388_608, 8_388_607),
        (IntWidth::Medium, true) => (0, 16_777_215),
        (IntWidth::Int, false) => (i32::MIN as i128, i32::MAX as i128),
        (IntWidth::Int, true) => (0, u32::MAX as i128),
        (IntWidth::Big, false) => (i64::MIN as i128, i64::MAX as i128),
        (IntWidth::Big, true) => (0, u64::MAX as i128),
    }
}

/// Decimal digits an integer type needs.
fn int_digits(w: IntWidth, unsigned: bool) -> u32 {
    let (lo, hi) = int_bounds(w, unsigned);
    lo.unsigned_abs().max(hi.unsigned_abs()).to_string().len() as u32
}

fn text_rank(k: TextKind) -> u8 {
    match k {
        TextKind::Tiny => 0,
        TextKind::Text => 1,
        TextKind::Medium => 2,
        TextKind::Long => 3,
    }
}

fn max_kind(a: TextKind, b: TextKind) -> TextKind {
    if text_rank(a) >= text_rank(b) {
        a
    } else {
        b
    }
}

/// The narrowest source type that holds every value of `a` and `b`, if the two are compatible.
fn widen(a: &SourceType, b: &SourceType) -> Option<SourceType> {
    use SourceType as S;
    if a == b {
        return Some(a.clone());
    }
    let dec = |p: u32, s: u32, unsigned: bool| S::Decimal {
        precision: p,
        scale: s,
        unsigned,
    };
    Some(match (a, b) {
        (
            S::Int {
                width: wa,
                unsigned: ua,
                display: da,
            },
            S::Int {
                width: wb,
                unsigned: ub,
                display: db,
            },
        ) => {
            let (la, ha) = int_bounds(*wa, *ua);
            let (lb, hb) = int_bounds(*wb, *ub);
            let (lo, hi) = (la.min(lb), ha.max(hb));
            let widths = [
                IntWidth::Tiny,
                IntWidth::Small,
                IntWidth::Medium,
                IntWidth::Int,
                IntWidth::Big,
            ];
            let found = widths
                .iter()
                .flat_map(|w| [(*w, false), (*w, true)])
                .find(|(w, u)| {
                    let (l, h) = int_bounds(*w, *u);
                    l <= lo && hi <= h
                });
            match found {
                Some((width, unsigned)) => S::Int {
                    width,
                    unsigned,
                    display: if da == db { *da } else { None },
                },
                // BIGINT UNSIGNED with signed BIGINT: only a DECIMAL(20,0) holds both.
                None => dec(20, 0, false),
            }
        }
        (
            S::Decimal {
                precision: pa,
                scale: sa,
                unsigned: ua,
            },
            S::Decimal {
                precision: pb,
                scale: sb,
                unsigned: ub,
            },
        ) => {
            let int = (pa - sa.min(pa)).max(pb - sb.min(pb));
            let s = *sa.max(sb);
            dec(int + s, s, *ua && *ub)
        }
        (
            S::Int {
                width, unsigned, ..
            },
            S::Decimal { .. },
        )
        | (
            S::Decimal { .. },
            S::Int {
                width, unsigned, ..
            },
        ) => {
            let other = if matches!(a, S::Decimal { .. }) { a } else { b };
            return widen(other, &dec(int_digits(*width, *unsigned), 0, *unsigned));
        }
        (S::Float { unsigned: ua }, S::Float { unsigned: ub }) => S::Float {
            unsigned: *ua && *ub,
        },
        (
            S::Float { unsigned: ua } | S::Double { unsigned: ua },
            S::Float { unsigned: ub } | S::Double { unsigned: ub },
        ) => S::Double {
            unsigned: *ua && *ub,
        },
        (S::Bit(x), S::Bit(y)) => S::Bit(*x.max(y)),
        (S::Char(x), S::Char(y)) => S::Char(*x.max(y)),
        (S::Char(x) | S::Varchar(x), S::Char(y) | S::Varchar(y)) => S::Varchar(*x.max(y)),
        (S::Text(x), S::Text(y)) => S::Text(max_kind(*x, *y)),
        (S::Text(k), S::Char(_) | S::Varchar(_)) | (S::Char(_) | S::Varchar(_), S::Text(k)) => {
            S::Text(*k)
        }
        (S::Binary(x), S::Binary(y)) => S::Binary(*x.max(y)),
        (S::Binary(x) | S::Varbinary(x), S::Binary(y) | S::Varbinary(y)) => S::Varbinary(*x.max(y)),
        (S::Blob(x), S::Blob(y)) => S::Blob(max_kind(*x, *y)),
        (S::Blob(k), S::Binary(_) | S::Varbinary(_))
        | (S::Binary(_) | S::Varbinary(_), S::Blob(k)) => S::Blob(*k),
        (S::DateTime { fsp: x }, S::DateTime { fsp: y }) => S::DateTime { fsp: *x.max(y) },
        (S::Timestamp { fsp: x }, S::Timestamp { fsp: y }) => S::Timestamp { fsp: *x.max(y) },
        (S::Time { fsp: x }, S::Time { fsp: y }) => S::Time { fsp: *x.max(y) },
        (S::Enum(x), S::Enum(y)) => S::Enum(union_labels(x, y)),
        (S::Set(x), S::Set(y)) => S::Set(union_labels(x, y)),
        (S::Geometry(_), S::Geometry(_)) => S::Geometry(crate::schema::GeometryKind::Geometry),
        // Everything else differs in kind (string vs number, DATETIME vs TIMESTAMP, ...).
        (S::Int { .. }, _)
        | (S::Bit(_), _)
        | (S::Float { .. }, _)
        | (S::Double { .. }, _)
        | (S::Decimal { .. }, _)
        | (S::Char(_), _)
        | (S::Varchar(_), _)
        | (S::Text(_), _)
        | (S::Binary(_), _)
        | (S::Varbinary(_), _)
        | (S::Blob(_), _)
        | (S::Date, _)
        | (S::DateTime { .. }, _)
        | (S::Timestamp { .. }, _)
        | (S::Time { .. }, _)
        | (S::Year, _)
        | (S::Enum(_), _)
        | (S::Set(_), _)
        | (S::Json, _)
        | (S::Geometry(_), _)
        | (S::Unknown(_), _) => return None,
    })
}

fn union_labels(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for l in b {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

/// Character types, whose widened length is counted in UTF-8 bytes (see `char_octets`).
fn is_char_type(t: &SourceType) -> bool {
    matches!(
        t,
        SourceType::Char(_) | SourceType::Varchar(_) | SourceType::Text(_)
    )
}

/// UTF-8 bytes a character column can hold.
fn char_octets(c: &ColumnDesc) -> u64 {
    mapping::char_column_octets(c).unwrap_or(0)
}

/// Merge shards into one logical table description, or say why they cannot be merged.
fn merge_shards(shards: &[&TableDesc]) -> Result<(TableDesc, Vec<Note>), String> {
    let first = shards[0];
    let key0 = choose_key(first);
    for s in &shards[1..] {
        let k = choose_key(s);
        let same = match (&key0, &k) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
            }
            _ => false,
        };
        if !same {
            let show = |k: &Option<Vec<String>>| match k {
                Some(v) => format!("({})", v.join(", ")),
                None => "no usable key".into(),
            };
            return Err(format!(
                "different keys: {} has {}, {} has {}",
                first.qualified(),
                show(&key0),
                s.qualified(),
                show(&k)
            ));
        }
    }
    // Columns: first shard's order, then new columns in order of appearance.
    let mut cols: Vec<ColumnDesc> = Vec::new();
    let mut present: Vec<Vec<usize>> = Vec::new();
    let mut types_seen: Vec<Vec<(usize, String)>> = Vec::new();
    let mut notes = Vec::new();
    for (si, s) in shards.iter().enumerate() {
        for c in &s.columns {
            match cols
                .iter()
                .position(|m| m.name.eq_ignore_ascii_case(&c.name))
            {
                None => {
                    cols.push(c.clone());
                    present.push(vec![si]);
                    types_seen.push(vec![(si, c.column_type.clone())]);
                }
                Some(i) => {
                    let m = &mut cols[i];
                    present[i].push(si);
                    types_seen[i].push((si, c.column_type.clone()));
                    let Some(ty) = widen(&m.ty, &c.ty) else {
                        return Err(format!(
                            "column `{}` is `{}` in {} but `{}` in {}",
                            c.name,
                            types_seen[i][0].1,
                            shards[types_seen[i][0].0].qualified(),
                            c.column_type,
                            s.qualified()
                        ));
                    };
                    if is_char_type(&ty) {
                        let o = char_octets(m).max(char_octets(c));
                        m.charset = Some("utf8mb4".into());
                        m.octet_length = Some(o);
                    } else if matches!(
                        ty,
                        SourceType::Blob(_) | SourceType::Binary(_) | SourceType::Varbinary(_)
                    ) {
                        m.octet_length = match (m.octet_length, c.octet_length) {
                            (Some(x), Some(y)) => Some(x.max(y)),
                            _ => None,
                        };
                    }
                    m.ty = ty;
                    if m.nullable != c.nullable {
                        m.nullable = true;
                    }
                    if m.default != c.default && m.default != ColumnDefault::None {
                        notes.push(Note {
                            kind: NoteKind::ShardDrift,
                            column: Some(m.name.clone()),
                            message: format!(
                                "default of `{}` differs across shards ({} vs {}): no default kept",
                                m.name,
                                first.qualified(),
                                s.qualified()
                            ),
                        });
                        m.default = ColumnDefault::None;
                    }
                    if m.comment.is_empty() {
                        m.comment = c.comment.clone();
                    }
                    if m.generated.is_none() {
                        m.generated = c.generated.clone();
                    }
                    m.on_update_current_timestamp |= c.on_update_current_timestamp;
                }
            }
        }
    }
    let key_cols = key0.unwrap_or_default();
    for (i, m) in cols.iter_mut().enumerate() {
        m.ordinal = i as u32 + 1;
        let names = |idx: &[usize]| {
            idx.iter()
                .map(|&j| shards[j].qualified())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if present[i].len() < shards.len() {
            if key_cols.iter().any(|k| k.eq_ignore_ascii_case(&m.name)) {
                return Err(format!("key column `{}` is missing in some shards", m.name));
            }
            m.nullable = true;
            notes.push(Note {
                kind: NoteKind::ShardDrift,
                column: Some(m.name.clone()),
                message: format!(
                    "column `{}` exists only in {}: NULL for rows of the other shards",
                    m.name,
                    names(&present[i])
                ),
            });
        }
        let mut distinct: Vec<&str> = types_seen[i].iter().map(|(_, t)| t.as_str()).collect();
        distinct.sort();
        distinct.dedup();
        if distinct.len() > 1 {
            let detail: Vec<String> = types_seen[i]
                .iter()
                .map(|(j, t)| format!("{}: {t}", shards[*j].qualified()))
                .collect();
            notes.push(Note {
                kind: NoteKind::ShardDrift,
                column: Some(m.name.clone()),
                message: format!(
                    "type of `{}` differs across shards ({}); widened to hold all of them",
                    m.name,
                    detail.join("; ")
                ),
            });
        }
    }
    let desc = TableDesc {
        database: first.database.clone(),
        name: first.name.clone(),
        columns: cols,
        keys: first.keys.clone(),
        comment: first.comment.clone(),
        data_length: shards
            .iter()
            .map(|s| s.data_length)
            .fold(0u64, u64::saturating_add),
    };
    Ok((desc, notes))
}

// ----- planning one target -------------------------------------------------------------------

fn plan_unit(
    rule: &RuleConfig,
    other: &OtherConfig,
    unit: Unit,
) -> Result<TablePlan, Vec<TableError>> {
    let desc = &unit.desc;
    let label = desc.qualified();
    let mut errors: Vec<TableError> = Vec::new();
    let mut err = |msg: String| {
        errors.push(TableError {
            table: label.clone(),
            message: msg,
        })
    };
    let mut notes = unit.notes.clone();
    let target_q = format!("{}.{}", unit.target_database, unit.target_table);
    let what = if unit.merged {
        format!(
            "{} (merged shards {})",
            target_q,
            sources_label(&unit.sources)
        )
    } else {
        label.clone()
    };

    if let Err(e) = check_starrocks_name(NameKind::Database, &unit.target_database) {
        err(format!(
            "{what}: target database name `{}` cannot be used in StarRocks: {e}; set `target_database` in [table-rule.{}]",
            unit.target_database, rule.name
        ));
    }
    if let Err(e) = check_starrocks_name(NameKind::Table, &unit.target_table) {
        err(format!(
            "{what}: target table name `{}` cannot be used in StarRocks: {e}; set `target_table` in [table-rule.{}]",
            unit.target_table, rule.name
        ));
    }
    for c in &desc.columns {
        if let Err(e) = check_starrocks_name(NameKind::Column, &c.name) {
            err(format!(
                "{label}.{}: column name cannot be used in StarRocks: {e}; rename the column in the source or exclude the table",
                c.name
            ));
        }
    }
    if desc.columns.is_empty() {
        err(format!("{what}: the table has no columns"));
    }

    let ctx = MapCtx::new(&label, other);
    // Key choice and PRIMARY KEY feasibility.
    let mut key: Vec<String> = choose_key(desc).unwrap_or_default();
    let mut model = if key.is_empty() {
        Model::Duplicate
    } else {
        Model::Primary
    };
    if model == Model::Primary {
        let mut bad = Vec::new();
        for k in &key {
            if let Some(c) = desc.column(k) {
                match mapping::map_column(c, &ctx.key(true)) {
                    Ok(m) if m.pk_ok && mapping::pk_type_ok(m.sr_type) => {}
                    Ok(_) => bad.push(format!("`{}` ({})", c.name, c.column_type)),
                    Err(_) => {} // reported below
                }
            }
        }
        if !bad.is_empty() {
            notes.push(Note {
                kind: NoteKind::Fallback,
                column: None,
                message: format!(
                    "key ({}) cannot be a StarRocks PRIMARY KEY because of {}: DUPLICATE KEY table \
                     (rows are not deduplicated; updates and deletes cannot be applied by key)",
                    key.join(", "),
                    bad.join(", ")
                ),
            });
            model = Model::Duplicate;
            key.clear();
        }
    }

    // Map all columns.
    let is_key = |name: &str| key.iter().any(|k| k.eq_ignore_ascii_case(name));
    let mut mapped: Vec<TargetColumn> = Vec::new();
    let mut relaxed: Vec<String> = Vec::new();
    for c in &desc.columns {
        let in_pk = model == Model::Primary && is_key(&c.name);
        match mapping::map_column(c, &ctx.key(in_pk)) {
            Ok(m) => {
                notes.extend(m.notes.iter().cloned());
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
            Err(e) => err(e.to_string()),
        }
    }

    if !relaxed.is_empty() {
        notes.push(Note {
            kind: NoteKind::Fallback,
            column: None,
            message: format!(
                "NOT NULL date/time columns ({}) are nullable in StarRocks: MySQL zero dates \
                 (0000-00-00) cannot be stored and load as NULL",
                relaxed.join(", ")
            ),
        });
    }
    // Origin columns for merged shards.
    let origin_on = unit.merged
        && rule
            .shard_origin_columns
            .unwrap_or(other.shard_origin_columns);
    let mut origin_cols = Vec::new();
    if origin_on {
        let mut taken: Vec<String> = desc
            .columns
            .iter()
            .map(|c| c.name.to_ascii_lowercase())
            .collect();
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
            origin_cols.push(TargetColumn {
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
    }

    if model == Model::Primary && rule.duplicate_keys.is_some() {
        notes.push(Note {
            kind: NoteKind::Fallback,
            column: None,
            message: format!(
                "duplicate_keys of [table-rule.{}] ignored: the table has a usable primary/unique key",
                rule.name
            ),
        });
    }
    // Duplicate key choice.
    if model == Model::Duplicate {
        if let Some(dk) = &rule.duplicate_keys {
            for k in dk {
                match mapped.iter().find(|c| c.name.eq_ignore_ascii_case(k)) {
                    None => err(format!(
                        "{what}: duplicate_keys column `{k}` does not exist (rule [table-rule.{}])",
                        rule.name
                    )),
                    Some(c) if !mapping::sort_type_ok(c.sr_type) => err(format!(
                        "{what}: duplicate_keys column `{k}` is {}, which cannot be a StarRocks sort key",
                        c.sr_type
                    )),
                    Some(c) => {
                        if !key.iter().any(|x| x == &c.name) {
                            key.push(c.name.clone())
                        }
                    }
                }
            }
        } else {
            key = mapped
                .iter()
                .filter(|c| mapping::sort_type_ok(c.sr_type))
                .take(3)
                .map(|c| c.name.clone())
                .collect();
            if key.is_empty() && !mapped.is_empty() {
                err(format!(
                    "{what}: no column can be a DUPLICATE KEY sort column (all are FLOAT/DOUBLE/JSON/binary); \
                     there is no valid StarRocks table for it — exclude it from the rule"
                ));
            }
        }
    }

    // Order: key columns (key order), origin columns (PRIMARY KEY), others, origin (DUPLICATE).
    let mut columns: Vec<TargetColumn> = Vec::new();
    for k in &key {
        if let Some(pos) = mapped.iter().position(|c| &c.name == k) {
            columns.push(mapped.remove(pos));
        }
    }
    let mut full_key = key.clone();
    if model == Model::Primary {
        for oc in &origin_cols {
            full_key.push(oc.name.clone());
        }
        columns.append(&mut origin_cols);
    }
    columns.append(&mut mapped);
    columns.append(&mut origin_cols);

    // Key width.
    if model == Model::Primary {
        let width: u64 = columns
            .iter()
            .filter(|c| full_key.contains(&c.name))
            .map(|c| match c.origin {
                ColumnOrigin::ShardDatabase => unit.name_bytes.0,
                ColumnOrigin::ShardTable => unit.name_bytes.1,
                ColumnOrigin::Source { .. } => mapping::key_width(c.sr_type),
            })
            .sum();
        if width > PK_WIDTH_LIMIT {
            notes.push(Note {
                kind: NoteKind::KeyWidth,
                column: None,
                message: format!(
                    "PRIMARY KEY ({}) can be up to {width} bytes; StarRocks rejects rows whose encoded key exceeds {PK_WIDTH_LIMIT} bytes at load time",
                    full_key.join(", ")
                ),
            });
        }
    }

    // Distribution.
    let distributed_by = match &rule.distributed_by {
        Some(cols) => {
            let mut out = Vec::new();
            for d in cols {
                match columns.iter().find(|c| c.name.eq_ignore_ascii_case(d)) {
                    None => err(format!(
                        "{what}: distributed_by column `{d}` does not exist (rule [table-rule.{}])",
                        rule.name
                    )),
                    Some(c) if model == Model::Primary && !full_key.contains(&c.name) => err(format!(
                        "{what}: distributed_by column `{d}` is not part of the PRIMARY KEY ({}); StarRocks requires bucket columns of a PRIMARY KEY table to be key columns",
                        full_key.join(", ")
                    )),
                    Some(c) if !mapping::sort_type_ok(c.sr_type) => err(format!(
                        "{what}: distributed_by column `{d}` is {}, which cannot be a bucket column",
                        c.sr_type
                    )),
                    Some(c) => out.push(c.name.clone()),
                }
            }
            out
        }
        None => full_key.clone(),
    };

    let buckets = match rule.bucket_num {
        Some(0) => {
            err(format!(
                "{what}: bucket_num = 0 is invalid; use a positive number"
            ));
            None
        }
        Some(n) => Some(n),
        None if other.auto_buckets => None,
        None => Some(buckets_for_size(desc.data_length, other.be_num)),
    };

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

    let partition_clause = match (&rule.partition_key, &rule.partitions) {
        (Some(pk), Some(parts)) => match columns.iter().find(|c| c.name.eq_ignore_ascii_case(pk)) {
            None => {
                err(format!(
                    "{what}: partition_key column `{pk}` does not exist"
                ));
                None
            }
            Some(c) if model == Model::Primary && !full_key.contains(&c.name) => {
                err(format!(
                    "{what}: partition_key column `{pk}` is not part of the PRIMARY KEY ({}); StarRocks requires it",
                    full_key.join(", ")
                ));
                None
            }
            Some(c) => {
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
        },
        (Some(_), None) | (None, Some(_)) => {
            notes.push(Note {
                kind: NoteKind::Fallback,
                column: None,
                message: "partition_key and partitions must both be set; the one given is ignored (table not partitioned)".into(),
            });
            None
        }
        (None, None) => None,
    };

    // Unique column names (StarRocks column names are case-insensitive).
    let mut lower: Vec<String> = columns
        .iter()
        .map(|c| c.name.to_ascii_lowercase())
        .collect();
    lower.sort();
    for w in lower.windows(2) {
        if w[0] == w[1] {
            err(format!(
                "{what}: two columns named `{}` (StarRocks column names are case-insensitive)",
                w[0]
            ));
        }
    }

    let shard_regex = if unit.merged {
        let dbs: Vec<&str> = unit.sources.iter().map(|s| s.database.as_str()).collect();
        let tbls: Vec<&str> = unit.sources.iter().map(|s| s.table.as_str()).collect();
        Some((exact_alternation(&dbs), exact_alternation(&tbls)))
    } else {
        None
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let mut sources = unit.sources;
    sources.sort_by(|a, b| (&a.database, &a.table).cmp(&(&b.database, &b.table)));
    Ok(TablePlan {
        rule: rule.name.clone(),
        target_database: unit.target_database,
        target_table: unit.target_table,
        sources,
        shard_regex,
        columns,
        model,
        key: full_key,
        distributed_by,
        buckets,
        properties,
        comment: desc.comment.clone(),
        partition_clause,
        notes,
    })
}
