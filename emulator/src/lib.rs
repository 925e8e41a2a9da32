//! starrocks-emulator: an in-memory **test fixture** that follows the documented StarRocks FE
//! (MySQL protocol DDL) and Stream Load HTTP protocols (see `../shared/reference/
//! starrocks-protocol.md`) and, where behaviour was read from StarRocks' FE/BE source, that
//! source (cited next to each modelled behaviour; README table). It is not StarRocks and proves
//! nothing about a real cluster; it lets tests exercise a client against that behaviour,
//! including injected faults.
//!
//! Invariant: everything binds to 127.0.0.1 only; all state sits behind one mutex
//! (`state::Shared`), so every load and DDL is atomic with respect to readers.

pub mod analyze;
pub mod faults;
pub mod fe_mysql;
pub mod http;
pub mod jsonv;
pub mod load;
pub mod parse;
pub mod persist;
pub mod query;
pub mod schema_change;
pub mod sql;
pub mod state;
pub mod txn;
pub mod types;

pub use faults::{FaultHandle, FaultKind, FaultSpec, Target};

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Configuration of an emulator instance. Ports 0 = pick a free port.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub fe_query_port: u16,
    pub fe_http_port: u16,
    pub be_http_port: u16,
    pub user: String,
    pub password: String,
    /// Number of BEs: rows of SHOW BACKENDS, the limit for `replication_num`, and BE HTTP
    /// listeners (BE 0 on `be_http_port`, the others on free ports), each with its own
    /// transaction contexts.
    pub backends: u32,
    /// What `SELECT current_version()` answers; version-dependent behaviour follows it.
    pub version: String,
    /// Persist state here (per database a snapshot and an append-only log) and reload it on start.
    pub data_dir: Option<PathBuf>,
    /// Follower FE HTTP listeners (free ports): they redirect every transaction operation to
    /// the leader FE (`fe_http_addr`) and one-shot Stream Loads straight to a BE. Default 0.
    pub fe_followers: usize,
    /// FE `label_keep_max_second` (default 259200 = 3 days).
    pub label_keep_max_second: u64,
    /// FE `label_keep_max_num` (default 1000) transactions kept per database.
    pub label_keep_max_num: usize,
    /// How long (emulator clock) a schema-change job runs before it finishes (default 1000 ms).
    pub alter_job_ms: u64,
    /// Keep committed rows (default true). `false` is a benchmark mode: every load is parsed,
    /// checked and counted exactly as before (auth, redirects, labels, transaction states,
    /// strict mode, `NumberTotalRows` / `NumberLoadedRows`, error logs), but committed rows are
    /// only counted per table (`rows_committed`), not stored; `rows()` is `None` and SELECT
    /// answers only `COUNT(*)` (see the README).
    pub store_rows: bool,
    /// Check every row of a load (default true). `false`, with `store_rows = false`, counts a
    /// load's records without reading their values (`parse::count_body`): the protocol, labels,
    /// transaction states and row counts as before, no value checked, nothing filtered.
    pub check_rows: bool,
    /// With `data_dir`: compact a database's log into a new snapshot once the log is larger than
    /// this many bytes and larger than the snapshot (default 16 MiB). 0: write the whole snapshot
    /// on every change (no log; for comparisons).
    pub log_compact_bytes: u64,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            fe_query_port: 0,
            fe_http_port: 0,
            be_http_port: 0,
            user: "root".into(),
            password: String::new(),
            backends: 1,
            version: "3.3.2 emulator".into(),
            data_dir: None,
            fe_followers: 0,
            label_keep_max_second: 259_200,
            label_keep_max_num: 1000,
            alter_job_ms: 1000,
            store_rows: true,
            check_rows: true,
            log_compact_bytes: persist::DEFAULT_LOG_COMPACT_BYTES,
        }
    }
}

/// A running emulator; dropping it stops the listeners.
pub struct Emulator {
    shared: Arc<state::Shared>,
    accept_threads: Vec<std::thread::JoinHandle<()>>,
    fe_query: SocketAddr,
    fe_http: SocketAddr,
    be_http: Vec<SocketAddr>,
    fe_followers: Vec<SocketAddr>,
    stopped: bool,
}

fn bind(port: u16, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("cannot bind {what} port {port}: {e}"))
}

impl Emulator {
    pub fn start(cfg: EmulatorConfig) -> anyhow::Result<Emulator> {
        let q = bind(cfg.fe_query_port, "FE query")?;
        let fh = bind(cfg.fe_http_port, "FE http")?;
        let nbe = cfg.backends.max(1) as usize;
        let mut bes = vec![bind(cfg.be_http_port, "BE http")?];
        for _ in 1..nbe {
            bes.push(bind(0, "BE http")?);
        }
        let mut followers = Vec::new();
        for _ in 0..cfg.fe_followers {
            followers.push(bind(0, "follower FE http")?);
        }
        let shared = Arc::new(state::Shared::new(cfg));
        shared.load_from_disk()?;
        let (fe_query, fe_http) = (q.local_addr()?, fh.local_addr()?);
        let be_http: Vec<SocketAddr> = bes
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<_, _>>()?;
        let fe_followers: Vec<SocketAddr> = followers
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<_, _>>()?;
        if let Ok(mut g) = shared.be_addrs.lock() {
            *g = be_http.clone();
        }
        if let Ok(mut g) = shared.fe_http_addr.lock() {
            *g = Some(fe_http);
        }
        if let Ok(mut g) = shared.fe_follower_addrs.lock() {
            *g = fe_followers.clone();
        }
        let mut accept_threads = Vec::new();
        let s = shared.clone();
        accept_threads.push(std::thread::spawn(move || fe_mysql::serve(q, s)));
        let s = shared.clone();
        accept_threads.push(std::thread::spawn(move || {
            http::serve(fh, s, http::Role::Fe)
        }));
        for (i, l) in bes.into_iter().enumerate() {
            let s = shared.clone();
            accept_threads.push(std::thread::spawn(move || {
                http::serve(l, s, http::Role::Be(i))
            }));
        }
        for (i, l) in followers.into_iter().enumerate() {
            let s = shared.clone();
            accept_threads.push(std::thread::spawn(move || {
                http::serve(l, s, http::Role::FeFollower(i))
            }));
        }
        Ok(Emulator {
            shared,
            accept_threads,
            fe_query,
            fe_http,
            be_http,
            fe_followers,
            stopped: false,
        })
    }

    pub fn fe_query_addr(&self) -> SocketAddr {
        self.fe_query
    }
    /// HTTP address of the leader FE.
    pub fn fe_http_addr(&self) -> SocketAddr {
        self.fe_http
    }
    /// HTTP address of BE 0.
    pub fn be_http_addr(&self) -> SocketAddr {
        self.be_http[0]
    }
    /// HTTP addresses of all BEs, by index.
    pub fn be_http_addrs(&self) -> Vec<SocketAddr> {
        self.be_http.clone()
    }
    /// HTTP addresses of the follower FEs (`fe_followers`).
    pub fn fe_follower_http_addrs(&self) -> Vec<SocketAddr> {
        self.fe_followers.clone()
    }

    pub fn faults(&self) -> FaultHandle {
        FaultHandle {
            shared: self.shared.clone(),
        }
    }

    /// Rows of `db.table` as text (NULL = None): key order for PRIMARY/UNIQUE/AGGREGATE tables,
    /// insertion order for DUPLICATE tables. Only committed (COMMITTED/VISIBLE) data. `None`
    /// when the table does not exist, and always when rows are not stored (`store_rows = false`:
    /// use [`Emulator::rows_committed`]).
    pub fn rows(&self, db: &str, table: &str) -> Option<Vec<Vec<Option<String>>>> {
        if !self.shared.cfg.store_rows {
            return None;
        }
        let st = self.shared.lock();
        st.dbs.get(db)?.tables.get(table).map(|t| t.all_rows())
    }

    /// Rows committed into `db.table` by loads and INSERT since it was created or truncated
    /// (their `NumberLoadedRows`, summed; PRIMARY KEY deletes and upserts of existing keys count
    /// like new rows, DELETE statements do not count); counted whether or not rows are stored.
    /// `None` when the table does not exist.
    pub fn rows_committed(&self, db: &str, table: &str) -> Option<u64> {
        let st = self.shared.lock();
        st.dbs.get(db)?.tables.get(table).map(|t| t.rows_committed)
    }

    /// `SHOW CREATE TABLE` text of the stored definition.
    pub fn table_ddl(&self, db: &str, table: &str) -> Option<String> {
        let st = self.shared.lock();
        st.dbs
            .get(db)?
            .tables
            .get(table)
            .map(|t| sql::render_create_table(&t.def))
    }

    /// Column names of `db.table`, in order.
    pub fn columns(&self, db: &str, table: &str) -> Option<Vec<String>> {
        let st = self.shared.lock();
        st.dbs
            .get(db)?
            .tables
            .get(table)
            .map(|t| t.def.columns.iter().map(|c| c.name.clone()).collect())
    }

    /// How many loads were committed into `db.table` (one-shot Stream Loads and committed
    /// transactions).
    pub fn load_count(&self, db: &str, table: &str) -> u64 {
        let st = self.shared.lock();
        st.dbs
            .get(db)
            .and_then(|d| d.tables.get(table))
            .map(|t| t.load_count)
            .unwrap_or(0)
    }

    /// Transaction state of a label (`"UNKNOWN"` if none), as `get_load_state` reports it.
    pub fn label_state(&self, db: &str, label: &str) -> String {
        let st = self.shared.lock();
        st.dbs
            .get(db)
            .and_then(|d| d.txns.get(label))
            .map(|t| t.state.name().to_string())
            .unwrap_or_else(|| "UNKNOWN".to_string())
    }

    pub fn database_names(&self) -> Vec<String> {
        self.shared.lock().dbs.keys().cloned().collect()
    }

    /// Errors from writing the data directory (empty when persistence works).
    pub fn persist_errors(&self) -> Vec<String> {
        self.shared
            .persist_errors
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default()
    }

    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loops so they observe `stop`, then wait until they have closed their
        // listeners (so the ports can be bound again right away).
        let mut woken = true;
        let mut addrs = vec![self.fe_query, self.fe_http];
        addrs.extend(self.be_http.iter().copied());
        addrs.extend(self.fe_followers.iter().copied());
        for a in addrs {
            woken &= TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).is_ok();
        }
        if woken {
            for t in self.accept_threads.drain(..) {
                let _ = t.join();
            }
        }
        self.shared.close_all();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
