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
    /// One JSON document (generate, apply) or JSON log lines (sync).
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
    /// nothing is ever dropped or altered. Exit code 6 when any statement failed.
    Apply(ApplyArgs),
    /// Replicate: consistent snapshot, then binlog, into StarRocks via Stream Load.
    ///
    /// Every matched table is snapshotted once from one consistent view, then the binlog is
    /// followed from the recorded position. Each batch is one Stream Load transaction whose label
    /// comes from the source position it covers, committed only after the checkpoint
    /// (<state-dir>/sync-state.json) records it: a crash or `kill -9` at any moment, followed by a
    /// restart, neither loses nor duplicates a row. SIGINT/SIGTERM finish the current batch,
    /// checkpoint and exit 0. Batches follow the rule's flink.starrocks.sink.buffer-flush.*
    /// keys (sync default interval 500 ms). To start over: `smt sync --reset`.
    Sync(SyncArgs),
}

impl Command {
    /// The output format the command was asked for (errors follow it too).
    pub fn format(&self) -> Format {
        match self {
            Command::Generate(a) => a.format,
            Command::Apply(a) => a.format,
            Command::Sync(a) => a.format,
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
