//! INI text → validated [`Config`], once ("parse, don't validate"). Later code never sees raw
//! strings. SMT-compatible: `[db]`, `[other]`, `[table-rule.N]` with the same keys.
//!
//! Every problem found is collected and reported together (section, key, line).
//!
//! Invariants, and why they hold:
//! - A `Config` exists only if the whole file validated: [`parse`] returns `Err` with every
//!   problem it found, or a `Config` whose fields are all typed and checked.
//! - Values are read byte for byte: rust-ini runs with escapes off (`\x01`, `\d` stay as
//!   written) and without inline comments (`;`/`#` inside a value stay). The only rewriting is
//!   one layer of surrounding quotes and `${VAR}` expansion (see `expand.rs`).
//! - Passwords never reach Debug output or error messages: `[db] password` is a [`Secret`],
//!   and the `Debug` of [`RuleConfig`] masks every option whose key contains `password`.
//!
//! Rule precedence: when several `[table-rule.N]` sections match one table, the LAST matching
//! rule in file order wins (as in SMT).

mod error;
mod expand;
mod parse;
mod scan;
pub mod sink;
pub mod target;

pub use error::{ConfigError, Problem};
pub use parse::{load, parse, parse_with_env};
pub use sink::{FormatSource, SinkFormat, SinkOptions};
pub use target::{HostPort, StarRocksEndpoints};

use regex::Regex;
use std::fmt;
use std::path::PathBuf;

/// A secret value (password). Never printed by Debug/Display.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The real value. Call only where the value must go on the wire or into a 0600 file.
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}
impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Path the config was read from (for messages).
    pub path: PathBuf,
    pub source: SourceConfig,
    pub other: OtherConfig,
    /// In file order. When several rules match one table, the LAST matching rule wins (SMT).
    pub rules: Vec<RuleConfig>,
}

impl Config {
    /// Whether some rule can match a table of database `db` (introspection reads only these).
    pub fn wants_database(&self, db: &str) -> bool {
        self.rules.iter().any(|r| {
            r.database.is_match(db) && !r.exclude_database.as_ref().is_some_and(|x| x.is_match(db))
        })
    }

    /// The one StarRocks cluster the rules name (see [`target::one_cluster`]).
    pub fn cluster(&self) -> target::Cluster {
        target::one_cluster(self.rules.iter().map(|r| (r.name.as_str(), &r.starrocks)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// `type = mysql` (also `mariadb`, `tidb`): a live server.
    #[default]
    Mysql,
    Tidb,
    /// `type = dump` (or `dump_file` set / `--dump`): a `mysqldump --no-data` file, no server.
    Dump(PathBuf),
}

#[derive(Debug, Clone, Default)]
pub struct SourceConfig {
    pub kind: SourceKind,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    /// Zone in which TIMESTAMP values are rendered (snapshot and binlog alike);
    /// None = the source server's time zone. `[db] time_zone`.
    pub time_zone: Option<String>,
}

/// What `smt sync` does with an UPDATE or DELETE of a source table that has no key (its target
/// is a DUPLICATE KEY table, which only appends): `[other] sync_duplicate_key_changes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DupChanges {
    /// Stop with the choices (the default: nothing diverges silently).
    #[default]
    Stop,
    /// Skip the change, counted per table in the status line and the checkpoint: the target
    /// diverges from the source.
    Skip,
    /// Apply it exactly: the full row image is the row's identity (see `sync::nokey`).
    Exact,
}

#[derive(Debug, Clone)]
pub struct OtherConfig {
    /// `be_num`: number of StarRocks BEs; drives buckets and replication_num = min(3, be_num).
    pub be_num: u32,
    /// `use_decimal_v3`.
    pub use_decimal_v3: bool,
    /// `output_dir`, resolved relative to the working directory; default `./result`.
    pub output_dir: PathBuf,
    /// `tinyint1_as_boolean` (default false): map TINYINT(1) to BOOLEAN.
    pub tinyint1_as_boolean: bool,
    /// `unknown_type_as_string` (default false): map unknown source types to VARCHAR(1048576).
    pub unknown_type_as_string: bool,
    /// `shard_origin_columns` (default true): add source db/table columns to merged tables.
    pub shard_origin_columns: bool,
    /// `auto_buckets` (default false): omit BUCKETS (StarRocks ≥ 2.5.7 chooses).
    pub auto_buckets: bool,
    /// `sync_duplicate_key_changes` (`stop`, the default, `skip` or `exact`): what `smt sync`
    /// does with an UPDATE/DELETE of a source table without a key (a DUPLICATE KEY target).
    /// `sync_skip_duplicate_key_changes = true`, the older spelling, is `skip`.
    pub sync_duplicate_key_changes: DupChanges,
    /// `sync_follow_truncate` (default true): a TRUNCATE of a replicated source table truncates
    /// its StarRocks target too (false: the target keeps its rows, with a warning).
    pub sync_follow_truncate: bool,
    /// `sync_reject_policy` (`stop`, the default, or `quarantine`): what `smt sync` does with a
    /// row StarRocks refuses — stop, or set it aside in `<target db>.smt_quarantine`.
    pub sync_quarantine: bool,
    /// `sync_snapshot_parallelism` (default: the number of cores): snapshot readers at once,
    /// each a source connection with its own consistent view.
    pub sync_snapshot_parallelism: Option<u32>,
    /// `sync_snapshot_catch_up_secs` (default 30, decimals allowed; 0: off): during a snapshot,
    /// every this many seconds the binlog written meanwhile is applied to the tables begun, so
    /// changes reach StarRocks while a long backfill goes on.
    pub sync_snapshot_catch_up: std::time::Duration,
    /// `starrocks_version` (default "3.3"): target version, gates VARBINARY (≥3.0),
    /// DECIMAL256 (≥4.0) and VARCHAR limits.
    pub starrocks_version: (u32, u32),
}

#[derive(Clone)]
pub struct RuleConfig {
    /// The `N` of `[table-rule.N]`; any string. Becomes the result file suffix.
    pub name: String,
    /// 1-based line of the section header.
    pub line: usize,
    pub database: Regex,
    pub table: Regex,
    /// `exclude_database` / `exclude_table`: a table whose database (or name) matches is not
    /// matched by this rule (Rust's regex has no negative look-ahead; SMT users ask for this).
    pub exclude_database: Option<Regex>,
    pub exclude_table: Option<Regex>,
    /// Options copied to the Flink StarRocks sink WITH clause, in file order
    /// (`flink.starrocks.` prefix stripped).
    pub flink_starrocks: Vec<(String, String)>,
    /// Options copied to the Flink mysql-cdc source WITH clause (`flink.cdc.` stripped).
    pub flink_cdc: Vec<(String, String)>,
    /// Extra CREATE TABLE PROPERTIES (`properties.` stripped), in file order.
    pub properties: Vec<(String, String)>,
    pub bucket_num: Option<u32>,
    pub distributed_by: Option<Vec<String>>,
    pub duplicate_keys: Option<Vec<String>>,
    pub partition_key: Option<String>,
    pub partitions: Option<String>,
    /// Rename the target database / table (for merged shards, or any single-table rule).
    pub target_database: Option<String>,
    pub target_table: Option<String>,
    /// Per-rule override of `[other] shard_origin_columns`.
    pub shard_origin_columns: Option<bool>,
    /// `flink.starrocks.{jdbc-url,load-url,username,password}`, parsed.
    pub starrocks: StarRocksEndpoints,
    /// `flink.starrocks.sink.*`, parsed.
    pub sink: SinkOptions,
    /// The rule's own `flink_parallelism`, if set.
    pub own_flink_parallelism: Option<u32>,
    /// Parallelism of this rule's Flink jobs (Flink SQL `SET 'parallelism.default'`, pipeline
    /// `parallelism`): the rule's `flink_parallelism`, else `[other] flink_parallelism`, else 1
    /// (resolved when the config is loaded; `[other]`'s value lives only here).
    pub flink_parallelism: u32,
}

impl RuleConfig {
    /// A rule with its name, header line and regexes, and every optional key unset.
    pub fn new(name: impl Into<String>, line: usize, database: Regex, table: Regex) -> Self {
        RuleConfig {
            name: name.into(),
            line,
            database,
            table,
            exclude_database: None,
            exclude_table: None,
            flink_starrocks: Vec::new(),
            flink_cdc: Vec::new(),
            properties: Vec::new(),
            bucket_num: None,
            distributed_by: None,
            duplicate_keys: None,
            partition_key: None,
            partitions: None,
            target_database: None,
            target_table: None,
            shard_origin_columns: None,
            starrocks: StarRocksEndpoints::default(),
            sink: SinkOptions::default(),
            own_flink_parallelism: None,
            flink_parallelism: 1,
        }
    }

    /// A rule with only a name (tests, and plans built outside a config). Matches nothing.
    pub fn named(name: impl Into<String>) -> Self {
        let never = Regex::new("[^\\s\\S]").expect("constant regex");
        RuleConfig::new(name, 0, never.clone(), never)
    }

    pub fn matches(&self, database: &str, table: &str) -> bool {
        self.database.is_match(database)
            && self.table.is_match(table)
            && !self
                .exclude_database
                .as_ref()
                .is_some_and(|r| r.is_match(database))
            && !self
                .exclude_table
                .as_ref()
                .is_some_and(|r| r.is_match(table))
    }
    pub fn starrocks_option(&self, key: &str) -> Option<&str> {
        self.flink_starrocks
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig::named("")
    }
}

/// True for option keys whose values are secrets (any key containing `password`).
pub fn is_secret_key(key: &str) -> bool {
    key.to_ascii_lowercase().contains("password")
}

/// Options for display: secret values replaced by `***`.
pub fn redacted(options: &[(String, String)]) -> Vec<(&str, &str)> {
    options
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                if is_secret_key(k) { "***" } else { v.as_str() },
            )
        })
        .collect()
}

impl fmt::Debug for RuleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleConfig")
            .field("name", &self.name)
            .field("line", &self.line)
            .field("database", &self.database.as_str())
            .field("table", &self.table.as_str())
            .field(
                "exclude_database",
                &self.exclude_database.as_ref().map(|r| r.as_str()),
            )
            .field(
                "exclude_table",
                &self.exclude_table.as_ref().map(|r| r.as_str()),
            )
            .field("flink_starrocks", &redacted(&self.flink_starrocks))
            .field("flink_cdc", &redacted(&self.flink_cdc))
            .field("properties", &redacted(&self.properties))
            .field("bucket_num", &self.bucket_num)
            .field("distributed_by", &self.distributed_by)
            .field("duplicate_keys", &self.duplicate_keys)
            .field("partition_key", &self.partition_key)
            .field("partitions", &self.partitions)
            .field("target_database", &self.target_database)
            .field("target_table", &self.target_table)
            .field("shard_origin_columns", &self.shard_origin_columns)
            .field("starrocks", &self.starrocks)
            .field("sink", &self.sink)
            .field("flink_parallelism", &self.flink_parallelism)
            .finish()
    }
}

#[cfg(test)]
mod tests;
