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
//! - [`TempDbs::load`] runs a `.sql` file with the `mariadb` client after rewriting the
//!   placeholder database prefix `smtfx_` to a prefix unique to the test; the databases are
//!   dropped when the guard goes out of scope.
#![allow(dead_code)]

use mysql::prelude::Queryable;
use smt::config::{Secret, SourceConfig, SourceKind};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

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

    /// Run SQL text with the `mariadb` command-line client (password via MYSQL_PWD, not argv).
    pub fn run_sql(&self, sql: &str) {
        let mut child = Command::new("mariadb")
            .args([
                "--no-defaults",
                "--protocol=TCP",
                "-h",
                &self.host,
                "-P",
                &self.port.to_string(),
                "-u",
                &self.user,
                "--default-character-set=utf8mb4",
            ])
            .env("MYSQL_PWD", &self.password)
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
        let port = self.port.to_string();
        let mut args = vec![
            "--no-defaults",
            "--protocol=TCP",
            "-h",
            &self.host,
            "-P",
            &port,
            "-u",
            &self.user,
            "--no-data",
            "--databases",
        ];
        args.extend(dbs.iter().map(String::as_str));
        let out = Command::new("mariadb-dump")
            .args(&args)
            .env("MYSQL_PWD", &self.password)
            .output()
            .expect("run mariadb-dump (is mariadb-client installed?)");
        assert!(
            out.status.success(),
            "mariadb-dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("mariadb-dump output is UTF-8")
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
