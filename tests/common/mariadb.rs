//! Shared helper for integration tests against the test MariaDB.
//!
//! Include it with `#[path = "common/mariadb.rs"] mod mariadb;` (no shared `mod.rs` needed).
//!
//! - [`env`] reads SMT_MARIADB_HOST/PORT/USER/PASSWORD and panics with a clear message when
//!   they are missing (tests fail, they do not skip).
//! - [`source_config`] gives a `SourceConfig` for `smt`'s own code; [`conn`] a `mysql::Conn`.
//! - [`TempDbs::load`] runs a `.sql` file with the `mariadb` client after rewriting the
//!   placeholder database prefix `smtfx_` to a prefix unique to the test; the databases are
//!   dropped when the guard goes out of scope.
//! - [`dump`] runs `mariadb-dump --no-data --databases ...` and returns the text.
#![allow(dead_code)]

use mysql::prelude::Queryable;
use smt::config::{Secret, SourceConfig, SourceKind};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The placeholder prefix used by fixtures for database names.
pub const FIXTURE_PREFIX: &str = "smtfx_";

#[derive(Clone)]
pub struct Env {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set: run scripts/test.sh"))
}

/// Connection parameters from SMT_MARIADB_* (panics with "… not set: run scripts/test.sh").
pub fn env() -> Env {
    let port = var("SMT_MARIADB_PORT");
    Env {
        host: std::env::var("SMT_MARIADB_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
        port: port
            .parse()
            .unwrap_or_else(|_| panic!("SMT_MARIADB_PORT={port} is not a port number")),
        user: std::env::var("SMT_MARIADB_USER").unwrap_or_else(|_| "root".into()),
        password: var("SMT_MARIADB_PASSWORD"),
    }
}

/// A live-source config for the test server.
pub fn source_config() -> SourceConfig {
    let e = env();
    SourceConfig {
        kind: SourceKind::Mysql,
        host: e.host,
        port: e.port,
        user: e.user,
        password: Secret::new(e.password),
        time_zone: None,
    }
}

pub fn conn() -> mysql::Conn {
    let e = env();
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some(e.host))
        .tcp_port(e.port)
        .user(Some(e.user))
        .pass(Some(e.password))
        .prefer_socket(false);
    mysql::Conn::new(opts).expect("connect to the test MariaDB (SMT_MARIADB_*)")
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

/// Run SQL text with the `mariadb` command-line client (password via MYSQL_PWD, not argv).
pub fn run_sql(sql: &str) {
    let e = env();
    let mut child = Command::new("mariadb")
        .args([
            "--no-defaults",
            "--protocol=TCP",
            "-h",
            &e.host,
            "-P",
            &e.port.to_string(),
            "-u",
            &e.user,
            "--default-character-set=utf8mb4",
        ])
        .env("MYSQL_PWD", &e.password)
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
        let Ok(e) = std::panic::catch_unwind(env) else {
            return;
        };
        let _ = e;
        let mut c = conn();
        for db in self.databases() {
            let _ = c.query_drop(format!(
                "DROP DATABASE IF EXISTS {}",
                smt::ident::quote(&db)
            ));
        }
    }
}

/// `mariadb-dump --no-data --databases <dbs>` output.
pub fn dump(dbs: &[String]) -> String {
    let e = env();
    let port = e.port.to_string();
    let mut args = vec![
        "--no-defaults",
        "--protocol=TCP",
        "-h",
        &e.host,
        "-P",
        &port,
        "-u",
        &e.user,
        "--no-data",
        "--databases",
    ];
    args.extend(dbs.iter().map(String::as_str));
    let out = Command::new("mariadb-dump")
        .args(&args)
        .env("MYSQL_PWD", &e.password)
        .output()
        .expect("run mariadb-dump (is mariadb-client installed?)");
    assert!(
        out.status.success(),
        "mariadb-dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("mariadb-dump output is UTF-8")
}
