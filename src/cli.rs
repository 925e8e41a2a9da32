//! Command-line types (clap). No logic here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "smt",
    version,
    about = "Move MySQL-family databases into StarRocks: DDL, apply, and exactly-once sync",
    long_about = "smt reads SMT-style INI rules ([db], [other], [table-rule.N]), introspects the \
source (a live MySQL/MariaDB server or a schema dump), and writes StarRocks CREATE TABLE \
statements and Flink SQL into the output directory (default ./result). `apply` runs the DDL on a \
StarRocks FE; `sync` replicates snapshot + binlog into StarRocks with Stream Load, exactly once.",
    after_long_help = crate::error::EXIT_CODES_HELP,
    after_help = crate::error::EXIT_CODES_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log level (error, warn, info, debug, trace); RUST_LOG overrides.
    #[arg(long, global = true, default_value = "info")]
    pub log_level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON document (generate, apply, diff) or JSON log lines (sync).
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate StarRocks DDL and Flink SQL from the config's rules into the output directory.
    Generate(GenerateArgs),
    /// Run the generated DDL on a StarRocks FE over the MySQL protocol (idempotent).
    ///
    /// Databases first, then tables, all with IF NOT EXISTS. A table that already exists is
    /// compared column by column with the plan (SHOW CREATE TABLE) and differences are reported;
    /// without --alter nothing is ever dropped or altered. With --alter, existing tables are
    /// brought to the plan with the ALTER TABLE statements `smt diff` lists, one at a time,
    /// each waited for (SHOW ALTER TABLE COLUMN); DROP COLUMN only with --allow-drop. Exit code
    /// 6 when any statement failed.
    Apply(ApplyArgs),
    /// Compare the StarRocks tables with the plan and print the ALTER TABLE statements that
    /// would bring them to it (changes nothing).
    ///
    /// Plans from the source like `apply`, reads SHOW CREATE TABLE of every planned table and
    /// lists per table: the ALTER TABLE statements StarRocks accepts (ADD COLUMN at its planned
    /// place, MODIFY COLUMN to a wider type, NOT NULL to NULL or another comment, restating
    /// the column's whole definition; the table comment; ALTER TABLE ... SET for properties
    /// StarRocks lets you change), DROP COLUMN of columns the plan no longer has (listed as
    /// "would drop with --allow-drop" unless --allow-drop), what "needs a rebuild" (key
    /// columns, key model, a narrower or other type, a DEFAULT, distribution, partitioning, a
    /// property only CREATE TABLE sets) with the reason, notes that need nothing (column
    /// order, NULL planned NOT NULL, bucket count), and tables that are "missing (smt apply
    /// creates it)". `smt apply --alter` runs the statements. Exit code 0 when nothing differs,
    /// 6 when a table differs, is missing or could not be planned, 4 when a table's SHOW
    /// CREATE TABLE cannot be read.
    Diff(DiffArgs),
    /// Replicate: consistent snapshot, then binlog, into StarRocks via Stream Load.
    ///
    /// Every matched table is snapshotted once, in key ranges over [other]
    /// sync_snapshot_parallelism consistent views (lock-free on MariaDB), then the binlog is
    /// followed from the recorded position. During a long snapshot, every
    /// sync_snapshot_catch_up_secs (default 30) the binlog written meanwhile is applied to the
    /// tables begun, so changes reach StarRocks before the snapshot ends. Each batch is one Stream Load transaction whose label
    /// comes from the source position it covers, committed only after the checkpoint
    /// (<state-dir>/sync-state.json) records it: a crash or `kill -9` at any moment, followed by a
    /// restart, neither loses nor duplicates a row. SIGINT/SIGTERM finish the current batch,
    /// checkpoint and exit 0. Batches follow the rule's flink.starrocks.sink.buffer-flush.*
    /// keys (sync default interval 300 ms). To start over: `smt sync --reset`.
    Sync(SyncArgs),
    /// Compare every planned target table with its source, row by row (exit 0: all equal).
    ///
    /// Per table: COUNT(*) on both sides, then both read in key order a page at a time and
    /// compared in one canonical form: the source rendered by sync's own renderer (the exact
    /// values sync loads), the target's text normalised per StarRocks type (numbers parsed,
    /// DATETIME fractions trimmed, JSON with sorted keys, VARBINARY as hex). Reports per table
    /// equal / differs (missing, extra and different keys, the first few of each) / behind /
    /// not comparable (a table without any key: row counts and an order-independent checksum).
    /// While smt sync runs, the source is read at one binlog position and verify waits (--wait)
    /// until the sync checkpoint has passed it; a differing key is checked again once sync has
    /// passed the source's then-current position, so rows changing under a running sync are
    /// not reported as differences. --repair loads exactly the differing keys of PRIMARY KEY
    /// tables again (one Stream Load transaction per table, labels `smtrepair_*`) and checks
    /// them once more; it refuses while smt sync runs. Exit code 6 when any table is not equal.
    Verify(VerifyArgs),
}

impl Command {
    /// The output format the command was asked for (errors follow it too).
    pub fn format(&self) -> Format {
        match self {
            Command::Generate(a) => a.format,
            Command::Apply(a) => a.format,
            Command::Diff(a) => a.format,
            Command::Sync(a) => a.format,
            Command::Verify(a) => a.format,
        }
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The INI config file (SMT format: [db], [other], [table-rule.N]).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,
    /// Read the schema from this dump (mysqldump/mariadb-dump --no-data) instead of a server.
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Override [other] output_dir.
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Summary format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// StarRocks FE MySQL endpoint host:port (default: from the rule's flink.starrocks.jdbc-url).
    #[arg(long, value_name = "HOST:PORT")]
    pub fe: Option<String>,
    /// Change nothing: when the FE is reachable, say per statement whether it would create
    /// the object or the object exists (identical, or how it differs); otherwise print the SQL.
    #[arg(long)]
    pub dry_run: bool,
    /// Only tables whose target `db.table` matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub only: Option<String>,
    /// Keep going after a failed statement (default: stop at the first failure).
    #[arg(long)]
    pub continue_on_error: bool,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Per-statement timeout in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Apply this SQL file (e.g. result/starrocks-create.all.sql) instead of planning afresh
    /// from the source. Existing tables are then compared with the file's statements.
    #[arg(long, value_name = "FILE")]
    pub sql: Option<PathBuf>,
    /// Also bring existing tables to the plan: run the ALTER TABLE statements `smt diff`
    /// lists, one at a time, waiting for each schema-change job. With --dry-run: show them.
    /// What StarRocks cannot alter is reported ("needs a rebuild"), never run.
    #[arg(long)]
    pub alter: bool,
    /// With --alter: also DROP COLUMN the non-key columns the plan no longer has (their data
    /// is deleted). Without it such drops are listed as withheld.
    #[arg(long, requires = "alter")]
    pub allow_drop: bool,
    /// With --alter: seconds to wait for each schema-change job to finish.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub alter_wait: u64,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// StarRocks FE MySQL endpoint host:port (default: from the rule's flink.starrocks.jdbc-url).
    #[arg(long, value_name = "HOST:PORT")]
    pub fe: Option<String>,
    /// List DROP COLUMN of the non-key columns the plan no longer has among the statements
    /// (as `smt apply --alter --allow-drop` would run them); without it they are listed as
    /// "would drop with --allow-drop".
    #[arg(long)]
    pub allow_drop: bool,
    /// Only tables whose target `db.table` matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub only: Option<String>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Per-statement timeout in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Engine {
    /// The built-in engine: one process, exactly once.
    #[default]
    Builtin,
    /// Hand the generated Flink SQL to `$FLINK_HOME/bin/sql-client.sh -f` (one mysql-cdc
    /// binlog connection per source table).
    Flink,
    /// Hand `flink-cdc-pipeline.all.yaml` to `$FLINK_CDC_HOME/bin/flink-cdc.sh` (Flink CDC 3;
    /// needs FLINK_HOME too): one binlog reader for every table.
    FlinkCdc,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Which engine runs the replication.
    #[arg(long, value_enum, default_value_t = Engine::Builtin)]
    pub engine: Engine,
    /// Directory for the checkpoint (state) file. Default: <output_dir>/sync-state, where a
    /// relative [other] output_dir is resolved against the config file's directory (never the
    /// shell's), so every run of one config finds its checkpoint.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Start over: truncate every target table of the config, start a new checkpoint (labels
    /// in a new namespace) and take a fresh snapshot. The way back after a stop that says the
    /// data can no longer be followed (purged binlog, replaced history, a schema change
    /// StarRocks cannot follow).
    #[arg(long)]
    pub reset: bool,
    /// StarRocks FE MySQL endpoint host:port (default: the rule's flink.starrocks.jdbc-url).
    #[arg(long, value_name = "HOST:PORT")]
    pub fe: Option<String>,
    /// StarRocks FE HTTP endpoint host:port (default: the rule's flink.starrocks.load-url).
    #[arg(long, value_name = "HOST:PORT")]
    pub load_url: Option<String>,
    /// Stop once the binlog is caught up (for tests and one-shot copies) instead of following it.
    #[arg(long)]
    pub until_caught_up: bool,
    /// Only take the snapshot; do not follow the binlog.
    #[arg(long)]
    pub snapshot_only: bool,
    /// Log format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Seconds between status lines.
    #[arg(long, default_value_t = 5)]
    pub status_interval: u64,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Only tables whose target `db.table` matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub only: Option<String>,
    /// Report format on stdout (progress goes to stderr).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Load the differing keys of PRIMARY KEY tables again from the source (upserts and
    /// `__op` deletes in one Stream Load transaction per table), then check them again.
    /// Refused while smt sync runs on the state directory or has a prepared transaction.
    #[arg(long)]
    pub repair: bool,
    /// Seconds to wait for a running smt sync to load up to the source position (and, for
    /// each re-check, up to the position then) before reporting the table as behind.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub wait: u64,
    /// The sync state directory (default: as smt sync: <output_dir>/sync-state).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// StarRocks FE MySQL endpoint host:port (default: the rule's flink.starrocks.jdbc-url).
    #[arg(long, value_name = "HOST:PORT")]
    pub fe: Option<String>,
    /// StarRocks FE HTTP endpoint host:port for --repair (default: flink.starrocks.load-url).
    #[arg(long, value_name = "HOST:PORT")]
    pub load_url: Option<String>,
    /// Rows per page read from each side (memory is about one page per side).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub chunk_rows: usize,
    /// How many keys of each kind (missing, extra, different) the report lists per table.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub show_keys: usize,
}
