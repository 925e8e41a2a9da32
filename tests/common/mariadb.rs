//! THE helper of integration tests that use a MariaDB: the shared test server and servers of
//! their own.
//!
//! Include it with `#[path = "common/mariadb.rs"] mod mariadb;` (no shared `mod.rs` needed;
//! `tests/sync_support` includes and re-exports it).
//!
//! - [`Maria::from_env`] reads SMT_MARIADB_HOST/PORT/USER/PASSWORD (the shared server that
//!   scripts/test.sh starts) and panics with "… not set: run scripts/test.sh" when they are
//!   missing (tests fail, they do not skip). A [`Maria`] gives connections ([`Maria::conn`],
//!   [`Maria::conn_utc`]), [`Maria::exec`], a `SourceConfig` for `smt`'s own code
//!   ([`Maria::source_config`]), the `mariadb` client ([`Maria::run_sql`]) and
//!   `mariadb-dump --no-data` ([`Maria::dump`]).
//! - [`conn`], [`source_config`], [`run_sql`] and [`dump`] are the same for the shared server.
//! - [`OwnMaria`] is a server of the test's own (stop/restart it, or a GTID primary and replica).
//! - [`TempDbs::load`] runs a `.sql` file with the `mariadb` client after rewriting the
//!   placeholder database prefix `smtfx_` to a prefix unique to the test; the databases are
//!   dropped when the guard goes out of scope.
#![allow(dead_code)]

use mysql::prelude::Queryable;
use smt::config::{Secret, SourceConfig, SourceKind};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

/// The placeholder prefix used by fixtures for database names.
pub const FIXTURE_PREFIX: &str = "smtfx_";

/// Where a MariaDB server is and how to log in (a plain value; cloning opens nothing).
#[derive(Clone, Debug)]
pub struct Maria {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set: run scripts/test.sh"))
}

impl Maria {
    /// The shared test server from SMT_MARIADB_PORT and SMT_MARIADB_PASSWORD (required),
    /// SMT_MARIADB_HOST (default 127.0.0.1) and SMT_MARIADB_USER (default root). Panics with
    /// "… not set: run scripts/test.sh" when a required one is missing.
    pub fn from_env() -> Maria {
        let port = var("SMT_MARIADB_PORT");
        Maria {
            host: std::env::var("SMT_MARIADB_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
            port: port
                .parse()
                .unwrap_or_else(|_| panic!("SMT_MARIADB_PORT={port} is not a port number")),
            user: std::env::var("SMT_MARIADB_USER").unwrap_or_else(|_| "root".into()),
            password: var("SMT_MARIADB_PASSWORD"),
        }
    }

    /// A connection over TCP with the server's default session settings.
    pub fn conn(&self) -> mysql::Conn {
        let opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some(self.host.clone()))
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .prefer_socket(false);
        mysql::Conn::new(opts)
            .unwrap_or_else(|e| panic!("connect to MariaDB at {}:{}: {e}", self.host, self.port))
    }

    /// [`Maria::conn`] with the session time zone `+00:00` (what the sync tests' configs say).
    pub fn conn_utc(&self) -> mysql::Conn {
        let mut c = self.conn();
        self.exec(&mut c, "SET time_zone = '+00:00'");
        c
    }

    /// Run one statement, panicking with the statement and the error.
    pub fn exec(&self, c: &mut mysql::Conn, sql: &str) {
        c.query_drop(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first column of the first row of `sql` as text (`""` for NULL), on a new connection.
    pub fn query_text(&self, sql: &str) -> String {
        let v: Option<Option<String>> = self
            .conn()
            .query_first(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        v.flatten().unwrap_or_default()
    }

    /// A live-source config for this server (no time zone set).
    pub fn source_config(&self) -> SourceConfig {
        SourceConfig {
            kind: SourceKind::Mysql,
            host: self.host.clone(),
            port: self.port,
            user: self.user.clone(),
            password: Secret::new(self.password.clone()),
            time_zone: None,
        }
    }

    /// `program` (`mariadb`, `mariadb-dump`) with this server's connection options: TCP, no
    /// option files, the password via MYSQL_PWD (not argv).
    fn client(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(["--no-defaults", "--protocol=TCP", "-h", &self.host])
            .args(["-P", &self.port.to_string(), "-u", &self.user])
            .env("MYSQL_PWD", &self.password);
        cmd
    }

    /// Run SQL text with the `mariadb` command-line client.
    pub fn run_sql(&self, sql: &str) {
        let mut child = self
            .client("mariadb")
            .arg("--default-character-set=utf8mb4")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the `mariadb` client (is mariadb-client installed?)");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(sql.as_bytes())
            .expect("write SQL to mariadb");
        let out = child.wait_with_output().expect("wait for mariadb");
        assert!(
            out.status.success(),
            "mariadb client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `mariadb-dump --no-data --databases <dbs>` output.
    pub fn dump(&self, dbs: &[String]) -> String {
        let out = run(
            self.client("mariadb-dump")
                .args(["--no-data", "--databases"])
                .args(dbs),
            "mariadb-dump (is mariadb-client installed?)",
        )
        .unwrap_or_else(|e| panic!("mariadb-dump failed: {e}"));
        String::from_utf8(out).expect("mariadb-dump output is UTF-8")
    }
}

/// Run `cmd` to its end (`what` names it when it cannot start): its stdout, or Err(its stderr)
/// when it exits with a failure.
fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// [`Maria::conn`] to the shared test server.
pub fn conn() -> mysql::Conn {
    Maria::from_env().conn()
}

/// [`Maria::source_config`] of the shared test server.
pub fn source_config() -> SourceConfig {
    Maria::from_env().source_config()
}

/// [`Maria::run_sql`] on the shared test server.
pub fn run_sql(sql: &str) {
    Maria::from_env().run_sql(sql)
}

/// [`Maria::dump`] of the shared test server.
pub fn dump(dbs: &[String]) -> String {
    Maria::from_env().dump(dbs)
}

/// A prefix unique to this process and call: `it_<area>_<pid>_<n>_`.
pub fn unique_prefix(area: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "it_{area}_{}_{}_",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Databases created from a fixture under a unique prefix; dropped on drop.
pub struct TempDbs {
    /// Replaces `smtfx_` in the fixture, e.g. `it_schema_1234_0_`.
    pub prefix: String,
}

impl TempDbs {
    /// Load `path` (relative to the crate root or absolute), with `smtfx_` → a unique prefix.
    pub fn load(area: &str, path: &str) -> TempDbs {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let sql = std::fs::read_to_string(&full)
            .unwrap_or_else(|e| panic!("read fixture {}: {e}", full.display()));
        Self::load_text(area, &sql)
    }

    /// As [`TempDbs::load`], from SQL text.
    pub fn load_text(area: &str, sql: &str) -> TempDbs {
        let prefix = unique_prefix(area);
        let guard = TempDbs { prefix };
        run_sql(&guard.rewrite(sql));
        guard
    }

    /// Text with the fixture placeholder prefix rewritten to this guard's prefix.
    pub fn rewrite(&self, sql: &str) -> String {
        sql.replace(FIXTURE_PREFIX, &self.prefix)
    }

    /// Real name of a fixture database: `db("sh_db_1")` → `it_schema_1234_0_sh_db_1`.
    pub fn db(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    /// Names of the databases that currently exist under this prefix, sorted.
    pub fn databases(&self) -> Vec<String> {
        let mut c = conn();
        let all: Vec<String> = c
            .query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
            .expect("list databases");
        let mut mine: Vec<String> = all
            .into_iter()
            .filter(|d| d.starts_with(&self.prefix))
            .collect();
        mine.sort();
        mine
    }
}

impl Drop for TempDbs {
    fn drop(&mut self) {
        let Ok(m) = std::panic::catch_unwind(Maria::from_env) else {
            return;
        };
        let mut c = m.conn();
        for db in self.databases() {
            let _ = c.query_drop(format!(
                "DROP DATABASE IF EXISTS {}",
                smt::ident::quote(&db)
            ));
        }
    }
}

/// How many times [`OwnMaria`] picks another port when mariadbd finds its port taken.
const PORT_RETRIES: usize = 5;

/// The next `--server-id` of an [`OwnMaria`] of this process: 1, 2, … (unique within a test
/// binary, which is what a replication topology of one test needs).
static NEXT_SERVER_ID: AtomicU32 = AtomicU32::new(1);

/// A MariaDB server of the test's own (scripts/mariadb.sh in a temp dir, 127.0.0.1, a free port,
/// user `root` with the shared server's password), for tests that stop, restart or replicate a
/// server. Stopped (and its dir removed) on drop. Derefs to its [`Maria`], so `own.conn()`,
/// `own.exec(..)`, `own.port` and `&own` where a `&Maria` is wanted all work.
pub struct OwnMaria {
    maria: Maria,
    dir: tempfile::TempDir,
    server_id: u32,
    extra_args: Vec<String>,
}

impl std::ops::Deref for OwnMaria {
    type Target = Maria;
    fn deref(&self) -> &Maria {
        &self.maria
    }
}

fn script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mariadb.sh")
}

/// A port nobody listens on right now (the kernel's choice for 127.0.0.1:0).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// The options that make a server a member of a GTID topology: binlogs named `<name>-bin.*`,
/// strict GTID order, and replicated transactions written to its own binlog (so a CDC reader
/// pointed at a replica sees the primary's GTIDs).
fn gtid_args(name: &str) -> Vec<String> {
    vec![
        "--log-slave-updates=1".into(),
        "--gtid-strict-mode=1".into(),
        format!("--log-basename={name}"),
    ]
}

impl OwnMaria {
    /// A plain server (the script's options; the next server id of this process).
    pub fn start() -> OwnMaria {
        OwnMaria::start_with(&[])
    }

    /// A server with more mariadbd options (`SMT_MARIADB_EXTRA_ARGS`). On a free port: when
    /// mariadbd still finds it taken ("Address already in use"), another one, up to
    /// [`PORT_RETRIES`] times, each in a new dir.
    pub fn start_with(extra_args: &[&str]) -> OwnMaria {
        OwnMaria::start_on(extra_args, free_port)
    }

    /// [`OwnMaria::start_with`] on the ports `pick_port` gives (one call per attempt); for the
    /// helper's own test of the retry.
    pub fn start_on(extra_args: &[&str], mut pick_port: impl FnMut() -> u16) -> OwnMaria {
        let password = Maria::from_env().password;
        let server_id = NEXT_SERVER_ID.fetch_add(1, Ordering::SeqCst);
        let extra_args: Vec<String> = extra_args.iter().map(|a| a.to_string()).collect();
        let mut attempt = 0;
        loop {
            let own = OwnMaria {
                maria: Maria {
                    host: "127.0.0.1".into(),
                    port: pick_port(),
                    user: "root".into(),
                    password: password.clone(),
                },
                dir: tempfile::Builder::new()
                    .prefix("smt-own-mariadb.")
                    .tempdir()
                    .expect("temp dir for an own MariaDB"),
                server_id,
                extra_args: extra_args.clone(),
            };
            match own.run_start() {
                Ok(()) => return own,
                Err(e) if attempt < PORT_RETRIES && e.contains("Address already in use") => {
                    eprintln!("own MariaDB: port {} taken, another one", own.port);
                    attempt += 1;
                }
                Err(e) => panic!("start an own MariaDB on port {}: {e}", own.port),
            }
        }
    }

    /// A GTID primary: [`OwnMaria::start_with`] the GTID options, binlogs named `<name>-bin.*`.
    pub fn start_primary(name: &str) -> OwnMaria {
        let args = gtid_args(name);
        OwnMaria::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// A GTID replica of `primary` (which should be a [`OwnMaria::start_primary`]): started with
    /// the GTID options, its own history cleared (the script's user setup was binlogged under
    /// this server's id and would break strict GTID order), then replicating from the start of
    /// the primary's binlog as `root`. Use [`OwnMaria::wait_caught_up`] before reading.
    pub fn start_replica_of(primary: &Maria, name: &str) -> OwnMaria {
        let args = gtid_args(name);
        let replica = OwnMaria::start_with(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let mut c = replica.conn();
        for sql in [
            "RESET MASTER".to_string(),
            "SET GLOBAL gtid_slave_pos = ''".to_string(),
            format!(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='{}', \
                 MASTER_PASSWORD='{}', MASTER_USE_GTID=slave_pos",
                primary.port, primary.user, primary.password
            ),
            "START SLAVE".to_string(),
        ] {
            replica.exec(&mut c, &sql);
        }
        replica
    }

    /// Wait (up to 60 s) until this replica has applied everything `primary` has binlogged:
    /// its `@@gtid_slave_pos` equals the primary's `@@gtid_binlog_pos`. Panics with the
    /// replication threads' state and errors when it does not get there, when a replication
    /// thread stopped with an error, or when this server replicates from nobody.
    pub fn wait_caught_up(&self, primary: &Maria) {
        let t0 = std::time::Instant::now();
        loop {
            let want = primary.query_text("SELECT @@GLOBAL.gtid_binlog_pos");
            let have = self.query_text("SELECT @@GLOBAL.gtid_slave_pos");
            if have == want {
                return;
            }
            let status = self.slave_status();
            let field = |k: &str| {
                status
                    .iter()
                    .find(|(n, _)| n == k)
                    .map_or("", |(_, v)| v.as_str())
            };
            let broken = status.is_empty()
                || (field("Slave_IO_Running") == "No" && !field("Last_IO_Error").is_empty())
                || (field("Slave_SQL_Running") == "No" && !field("Last_SQL_Error").is_empty());
            if broken || t0.elapsed() > std::time::Duration::from_secs(60) {
                panic!(
                    "replica on port {} not caught up with port {} (gtid_slave_pos '{have}', \
                     primary gtid_binlog_pos '{want}'): {status:?}",
                    self.port, primary.port
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// The replication threads' state and last errors from SHOW SLAVE STATUS (empty when this
    /// server replicates from nobody).
    pub fn slave_status(&self) -> Vec<(String, String)> {
        let row: Option<mysql::Row> = self
            .conn()
            .query_first("SHOW SLAVE STATUS")
            .expect("SHOW SLAVE STATUS");
        let Some(row) = row else {
            return Vec::new();
        };
        [
            "Slave_IO_Running",
            "Slave_SQL_Running",
            "Using_Gtid",
            "Last_IO_Error",
            "Last_SQL_Error",
        ]
        .iter()
        .map(|k| {
            let v: Option<String> = row.get_opt(*k).and_then(Result::ok);
            (k.to_string(), v.unwrap_or_default())
        })
        .collect()
    }

    /// Clean shutdown (SIGTERM, waits for the exit). Panics when the script fails.
    pub fn stop(&self) {
        if let Err(e) = run(
            Command::new(script()).arg("stop").arg(self.dir.path()),
            "scripts/mariadb.sh",
        ) {
            panic!("stop the own MariaDB on port {}: {e}", self.port);
        }
    }

    /// Start it again after [`OwnMaria::stop`]: same dir (data and binlogs kept), port, server
    /// id and options. The script's user setup runs again and is binlogged under this server's
    /// id — harmless on a primary, but on a GTID replica it breaks strict GTID order, so restart
    /// primaries only.
    pub fn start_again(&self) {
        if let Err(e) = self.run_start() {
            panic!("restart the own MariaDB on port {}: {e}", self.port);
        }
    }

    /// The server's dir (`data/`, `error.log`, `mysqld.sock`, …).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn server_id(&self) -> u32 {
        self.server_id
    }

    /// `scripts/mariadb.sh start` with this server's settings; Err(the script's stderr, which
    /// holds mariadbd's error log when the server did not come up).
    fn run_start(&self) -> Result<(), String> {
        run(
            Command::new(script())
                .arg("start")
                .env("SMT_MARIADB_PORT", self.port.to_string())
                .env("SMT_MARIADB_DIR", self.dir.path())
                .env("SMT_MARIADB_PASSWORD", &self.password)
                .env("SMT_MARIADB_SERVER_ID", self.server_id.to_string())
                .env("SMT_MARIADB_EXTRA_ARGS", self.extra_args.join(" ")),
            "scripts/mariadb.sh",
        )
        .map(drop)
    }
}

impl Drop for OwnMaria {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}
