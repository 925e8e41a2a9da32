//! `starrocks-emulator` binary: runs the test-fixture emulator until killed.
use clap::Parser;
use starrocks_emulator::{Emulator, EmulatorConfig};

/// A StarRocks FE + Stream Load emulator for tests (a fixture following the documented protocol,
/// not StarRocks).
#[derive(Parser, Debug)]
#[command(name = "starrocks-emulator", version)]
struct Args {
    /// FE MySQL-protocol port (0 = pick a free port).
    #[arg(long, default_value_t = 9030)]
    fe_query_port: u16,
    /// FE HTTP port (Stream Load redirects, transaction API, get_load_state, /_emulator/*).
    #[arg(long, default_value_t = 8030)]
    fe_http_port: u16,
    /// BE HTTP port (Stream Load data, error logs).
    #[arg(long, default_value_t = 8040)]
    be_http_port: u16,
    #[arg(long, default_value = "root")]
    user: String,
    #[arg(long, default_value = "")]
    password: String,
    /// Number of BEs (SHOW BACKENDS rows, replication_num limit, BE HTTP listeners: BE 0 on
    /// --be-http-port, the others on free ports).
    #[arg(long, default_value_t = 1)]
    backends: u32,
    /// What `SELECT current_version()` answers.
    #[arg(long, default_value = "3.3.2 emulator")]
    current_version: String,
    /// Persist state here (per database a snapshot and an append-only log) and reload it on
    /// start.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Follower FE HTTP listeners (free ports) that redirect transaction operations to the
    /// leader FE.
    #[arg(long, default_value_t = 0)]
    fe_followers: usize,
    /// FE label_keep_max_second.
    #[arg(long, default_value_t = 259_200)]
    label_keep_max_second: u64,
    /// FE label_keep_max_num.
    #[arg(long, default_value_t = 1000)]
    label_keep_max_num: usize,
    /// Duration (ms of emulator clock) of a schema-change job.
    #[arg(long, default_value_t = 1000)]
    alter_job_ms: u64,
    /// Benchmark mode: follow the protocol and check every row, but only count committed rows
    /// per table instead of storing them (SELECT answers COUNT(*) only).
    #[arg(long)]
    no_store: bool,
    /// With --no-store: count each load's records (JSON objects, CSV rows) without reading or
    /// checking their values; nothing is filtered. For benchmarks where the emulator's parsing
    /// would take CPU from the tool measured.
    #[arg(long, requires = "no_store")]
    no_check: bool,
    /// With --data-dir: compact a database's log into a new snapshot once the log exceeds this
    /// many bytes and the snapshot's size.
    #[arg(long, default_value_t = starrocks_emulator::persist::DEFAULT_LOG_COMPACT_BYTES)]
    log_compact_bytes: u64,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let emu = Emulator::start(EmulatorConfig {
        fe_query_port: a.fe_query_port,
        fe_http_port: a.fe_http_port,
        be_http_port: a.be_http_port,
        user: a.user,
        password: a.password,
        backends: a.backends,
        version: a.current_version,
        data_dir: a.data_dir,
        fe_followers: a.fe_followers,
        label_keep_max_second: a.label_keep_max_second,
        label_keep_max_num: a.label_keep_max_num,
        alter_job_ms: a.alter_job_ms,
        store_rows: !a.no_store,
        check_rows: !a.no_check,
        log_compact_bytes: a.log_compact_bytes,
    })?;
    println!(
        "{}",
        serde_json::json!({
            "fe_query": emu.fe_query_addr().to_string(),
            "fe_http": emu.fe_http_addr().to_string(),
            "be_http": emu.be_http_addr().to_string(),
            "be_https": emu.be_http_addrs().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "fe_followers": emu.fe_follower_http_addrs().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        })
    );
    use std::io::Write;
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
