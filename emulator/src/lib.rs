//! starrocks-emulator: an in-memory **test fixture** that follows the documented StarRocks FE
//! (MySQL protocol DDL) and Stream Load HTTP protocols (see `../shared/reference/
//! starrocks-protocol.md`). It is not StarRocks and proves nothing about a real cluster; it lets
//! tests exercise a client against the documented behaviour, including injected faults.
//!
//! Invariant: everything binds to 127.0.0.1 only; all state sits behind one mutex
//! (`state::Shared`), so every load and DDL is atomic with respect to readers.

pub mod analyze;
pub mod faults;
pub mod fe_mysql;
pub mod http;
pub mod load;
pub mod sql;
pub mod state;
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
    /// Rows of SHOW BACKENDS (and the limit for `replication_num`).
    pub backends: u32,
    /// What `SELECT current_version()` answers.
    pub version: String,
    /// Persist state here (one JSON file per database) and reload it on start.
    pub data_dir: Option<PathBuf>,
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
        }
    }
}

/// A running emulator; dropping it stops the listeners.
pub struct Emulator {
    shared: Arc<state::Shared>,
    accept_threads: Vec<std::thread::JoinHandle<()>>,
    fe_query: SocketAddr,
    fe_http: SocketAddr,
    be_http: SocketAddr,
    stopped: bool,
}

impl Emulator {
    pub fn start(cfg: EmulatorConfig) -> anyhow::Result<Emulator> {
        let q = TcpListener::bind(("127.0.0.1", cfg.fe_query_port))
            .map_err(|e| anyhow::anyhow!("cannot bind FE query port {}: {e}", cfg.fe_query_port))?;
        let fh = TcpListener::bind(("127.0.0.1", cfg.fe_http_port))
            .map_err(|e| anyhow::anyhow!("cannot bind FE http port {}: {e}", cfg.fe_http_port))?;
        let bh = TcpListener::bind(("127.0.0.1", cfg.be_http_port))
            .map_err(|e| anyhow::anyhow!("cannot bind BE http port {}: {e}", cfg.be_http_port))?;
        let shared = Arc::new(state::Shared::new(cfg));
        shared.load_from_disk()?;
        let (fe_query, fe_http, be_http) = (q.local_addr()?, fh.local_addr()?, bh.local_addr()?);
        if let Ok(mut g) = shared.be_addr.lock() {
            *g = Some(be_http);
        }
        if let Ok(mut g) = shared.fe_http_addr.lock() {
            *g = Some(fe_http);
        }
        let s1 = shared.clone();
        let s2 = shared.clone();
        let s3 = shared.clone();
        let accept_threads = vec![
            std::thread::spawn(move || fe_mysql::serve(q, s1)),
            std::thread::spawn(move || http::serve(fh, s2, http::Role::Fe)),
            std::thread::spawn(move || http::serve(bh, s3, http::Role::Be)),
        ];
        Ok(Emulator {
            shared,
            accept_threads,
            fe_query,
            fe_http,
            be_http,
            stopped: false,
        })
    }

    pub fn fe_query_addr(&self) -> SocketAddr {
        self.fe_query
    }
    pub fn fe_http_addr(&self) -> SocketAddr {
        self.fe_http
    }
    pub fn be_http_addr(&self) -> SocketAddr {
        self.be_http
    }

    pub fn faults(&self) -> FaultHandle {
        FaultHandle {
            shared: self.shared.clone(),
        }
    }

    /// Rows of `db.table` as text (NULL = None): key order for PRIMARY/UNIQUE/AGGREGATE tables,
    /// insertion order for DUPLICATE tables. Only committed (COMMITTED/VISIBLE) data.
    pub fn rows(&self, db: &str, table: &str) -> Option<Vec<Vec<Option<String>>>> {
        let st = self.shared.lock();
        st.dbs.get(db)?.tables.get(table).map(|t| t.all_rows())
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
        for a in [self.fe_query, self.fe_http, self.be_http] {
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
