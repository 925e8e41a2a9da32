//! StarRocks FE client over the MySQL protocol (port 9030): DDL, existence checks, SHOW CREATE
//! TABLE, version and backends. Text protocol only (COM_QUERY): the FE is not MySQL, so no
//! prepared statements and no session probing beyond what is listed here.

use crate::config::Secret;
use crate::error::{fail, Kind};
use crate::ident::{quote, quote_qualified};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Value};
use std::time::Duration;

/// Where and as whom to reach the FE's MySQL port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeEndpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
}

impl std::fmt::Display for FeEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}", self.user, self.host, self.port)
    }
}

/// An error from one statement, with the FE's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeError {
    /// The FE answered with an error packet.
    #[error("StarRocks error {code}: {message}")]
    Server { code: u16, message: String },
    /// The connection failed (timeout, reset): the statement's outcome is unknown.
    #[error("connection to the StarRocks FE failed: {0}")]
    Connection(String),
    /// Anything else the driver reported.
    #[error("{0}")]
    Other(String),
}

impl crate::retry::Retryable for FeError {
    /// Only connection failures: DDL here is `IF NOT EXISTS`, so running it again on a new
    /// connection is safe.
    fn is_retryable(&self) -> bool {
        match self {
            FeError::Connection(_) => true,
            FeError::Server { .. } | FeError::Other(_) => false,
        }
    }
}

impl FeError {
    fn from_mysql(e: mysql::Error) -> FeError {
        match e {
            mysql::Error::MySqlError(m) => FeError::Server {
                code: m.code,
                message: m.message,
            },
            mysql::Error::IoError(io) => FeError::Connection(io.to_string()),
            mysql::Error::CodecError(c) => FeError::Connection(c.to_string()),
            mysql::Error::DriverError(
                d @ (mysql::DriverError::CouldNotConnect(_)
                | mysql::DriverError::ConnectTimeout
                | mysql::DriverError::PacketOutOfSync),
            ) => FeError::Connection(d.to_string()),
            other => FeError::Other(other.to_string()),
        }
    }
    /// The FE's own message (without the code prefix) where there is one.
    pub fn message(&self) -> String {
        match self {
            FeError::Server { message, .. } => message.clone(),
            FeError::Connection(m) | FeError::Other(m) => m.clone(),
        }
    }
}

/// The result of a query: column names and rows as text (NULL = None).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    /// Index of a column by name, ignoring ASCII case.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
    }
}

pub struct FeClient {
    conn: Conn,
    opts: mysql::Opts,
    host: String,
    port: u16,
    user: String,
}

impl std::fmt::Debug for FeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FeClient({}@{}:{})", self.user, self.host, self.port)
    }
}

impl FeClient {
    /// Connect; `timeout` bounds the connect and every read/write of each statement.
    /// Errors are `Kind::Target` failures that say what to check.
    pub fn connect(
        host: &str,
        port: u16,
        user: &str,
        password: &Secret,
        timeout: Duration,
    ) -> anyhow::Result<FeClient> {
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(host))
            .tcp_port(port)
            .user(Some(user))
            .pass(Some(password.expose()))
            .prefer_socket(false)
            // Known up front, so the driver does not ask the FE with `SELECT @@...`.
            .max_allowed_packet(Some(16 * 1024 * 1024))
            .stmt_cache_size(0)
            .tcp_connect_timeout(Some(timeout))
            .read_timeout(Some(timeout))
            .write_timeout(Some(timeout));
        let opts: mysql::Opts = opts.into();
        let handshake = timeout.min(Duration::from_secs(10));
        let Some(attempt) = crate::source::connect_within(opts.clone(), handshake) else {
            return Err(fail(
                Kind::Target,
                format!(
                    "the StarRocks FE at {host}:{port} accepted the connection but did not \
                     complete the MySQL handshake within {} s (timed out) — check --fe or \
                     flink.starrocks.jdbc-url (the FE's query port, default 9030)",
                    handshake.as_secs() + 5
                ),
            ));
        };
        let conn = attempt.map_err(|e| {
            let what = match &e {
                mysql::Error::MySqlError(m)
                    if m.code == 1045
                        || m.message.to_ascii_lowercase().contains("access denied") =>
                {
                    format!(
                        "StarRocks FE {host}:{port} refused user {user:?}: {} — check \
                         flink.starrocks.username/password in the config",
                        m.message
                    )
                }
                mysql::Error::IoError(_)
                | mysql::Error::DriverError(
                    mysql::DriverError::CouldNotConnect(_) | mysql::DriverError::ConnectTimeout,
                ) => format!(
                    "cannot reach the StarRocks FE at {host}:{port} ({e}) — check --fe or \
                     flink.starrocks.jdbc-url and that the FE's query port (default 9030) is up"
                ),
                other => format!(
                    "cannot connect to the StarRocks FE at {host}:{port}: {other} — check --fe \
                     or flink.starrocks.jdbc-url"
                ),
            };
            fail(Kind::Target, what)
        })?;
        Ok(FeClient {
            conn,
            opts,
            host: host.to_string(),
            port,
            user: user.to_string(),
        })
    }

    /// Connect to an endpoint (see [`FeClient::connect`]).
    pub fn connect_to(ep: &FeEndpoint, timeout: Duration) -> anyhow::Result<FeClient> {
        FeClient::connect(&ep.host, ep.port, &ep.user, &ep.password, timeout)
    }

    /// `host:port` of the FE.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Replace the connection with a fresh one (after a timeout or reset left it unusable).
    pub fn reconnect(&mut self) -> Result<(), FeError> {
        tracing::info!(fe = %self.address(), "reconnecting to the StarRocks FE");
        self.conn = Conn::new(self.opts.clone()).map_err(FeError::from_mysql)?;
        Ok(())
    }

    /// Run one statement, discarding any result.
    pub fn exec(&mut self, sql: &str) -> Result<(), FeError> {
        tracing::debug!(sql, "FE exec");
        self.conn.query_drop(sql).map_err(FeError::from_mysql)
    }

    /// Run a query; values as text.
    pub fn query_rows(&mut self, sql: &str) -> Result<Rows, FeError> {
        tracing::debug!(sql, "FE query");
        let mut result = self.conn.query_iter(sql).map_err(FeError::from_mysql)?;
        let columns: Vec<String> = result
            .columns()
            .as_ref()
            .iter()
            .map(|c| c.name_str().into_owned())
            .collect();
        let mut rows = Vec::new();
        for row in result.by_ref() {
            let row = row.map_err(FeError::from_mysql)?;
            rows.push(row.unwrap().into_iter().map(value_text).collect());
        }
        Ok(Rows { columns, rows })
    }

    /// Run a query and hand each row (values as text) to `f` as it arrives: the result is
    /// streamed, never collected (`smt verify` reads whole tables this way).
    pub fn query_each(
        &mut self,
        sql: &str,
        f: &mut dyn FnMut(Vec<Option<String>>) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        tracing::debug!(sql, "FE query (streamed)");
        let mut result = self
            .conn
            .query_iter(sql)
            .map_err(|e| anyhow::Error::new(FeError::from_mysql(e)))?;
        for row in result.by_ref() {
            let row = row.map_err(|e| anyhow::Error::new(FeError::from_mysql(e)))?;
            f(row.unwrap().into_iter().map(value_text).collect())?;
        }
        Ok(())
    }

    /// `SELECT current_version()` parsed as (major, minor, patch); None when not available
    /// (the handshake version is always 5.1.0 and says nothing).
    pub fn current_version(&mut self) -> Option<(u32, u32, u32)> {
        let r = self.query_rows("SELECT current_version()").ok()?;
        let text = r.rows.first()?.first()?.clone()?;
        parse_version(&text)
    }

    pub fn database_exists(&mut self, db: &str) -> Result<bool, FeError> {
        let r = self.query_rows("SHOW DATABASES")?;
        Ok(r.rows
            .iter()
            .any(|row| row.first().and_then(|v| v.as_deref()) == Some(db)))
    }

    /// Whether `db`.`table` exists (false when the database does not).
    pub fn table_exists(&mut self, db: &str, table: &str) -> Result<bool, FeError> {
        if !self.database_exists(db)? {
            return Ok(false);
        }
        let r = self.query_rows(&format!("SHOW TABLES FROM {}", quote(db)))?;
        Ok(r.rows
            .iter()
            .any(|row| row.first().and_then(|v| v.as_deref()) == Some(table)))
    }

    /// The `SHOW CREATE TABLE` text, or None when the table does not exist.
    pub fn show_create_table(&mut self, db: &str, table: &str) -> Result<Option<String>, FeError> {
        match self.query_rows(&format!("SHOW CREATE TABLE {}", quote_qualified(db, table))) {
            Ok(r) => {
                let idx = r.column("Create Table").unwrap_or(1);
                Ok(r.rows
                    .first()
                    .and_then(|row| row.get(idx).cloned().flatten()))
            }
            Err(e @ FeError::Server { .. }) => {
                if self.table_exists(db, table)? {
                    Err(e)
                } else {
                    Ok(None)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Run one `ALTER TABLE` on `db`.`table` and wait until StarRocks has applied it. Without
    /// fast schema evolution (or for MODIFY COLUMN) StarRocks runs the change as a job and
    /// refuses another ALTER of the table, and loads keep the old schema, until it finishes
    /// (FE `alter/SchemaChangeHandler`, `InvalidOlapTableStateException`). The jobs of the
    /// table are polled in `SHOW ALTER TABLE COLUMN`: every job newer than the ones before the
    /// statement (by JobId; CreateTime has only seconds) must be FINISHED — none means it was
    /// applied at once (fast schema evolution); CANCELLED is an error with StarRocks' message.
    /// An ALTER refused because an earlier job still runs waits for that job first.
    pub fn alter_and_wait(
        &mut self,
        db: &str,
        table: &str,
        sql: &str,
        max_wait: Duration,
    ) -> Result<(), FeError> {
        let start = std::time::Instant::now();
        let mut delay = Duration::from_millis(100);
        let sleep = |delay: &mut Duration| {
            std::thread::sleep(*delay);
            *delay = (*delay * 2).min(Duration::from_secs(5));
        };
        let before = self.alter_jobs(db, table)?.iter().map(|j| j.0).max();
        loop {
            match self.exec(sql) {
                Ok(()) => break,
                Err(FeError::Server { message, .. })
                    if (message.contains("schema change operation is in progress")
                        || message.contains("is not NORMAL"))
                        && start.elapsed() < max_wait =>
                {
                    sleep(&mut delay)
                }
                Err(e) => return Err(e),
            }
        }
        loop {
            let ours: Vec<(u64, String, String)> = self
                .alter_jobs(db, table)?
                .into_iter()
                .filter(|j| before.is_none_or(|b| j.0 > b))
                .collect();
            if let Some((_, _, msg)) = ours.iter().find(|j| j.1.eq_ignore_ascii_case("CANCELLED")) {
                return Err(FeError::Server {
                    code: 0,
                    message: format!("the schema change `{sql}` was cancelled by StarRocks: {msg}"),
                });
            }
            let open: Vec<&str> = ours
                .iter()
                .filter(|j| !j.1.eq_ignore_ascii_case("FINISHED"))
                .map(|j| j.1.as_str())
                .collect();
            if open.is_empty() {
                return Ok(());
            }
            if start.elapsed() >= max_wait {
                return Err(FeError::Server {
                    code: 0,
                    message: format!(
                        "the schema change `{sql}` is still {} after {} s (SHOW ALTER TABLE COLUMN FROM {db})",
                        open.join(", "),
                        max_wait.as_secs()
                    ),
                });
            }
            sleep(&mut delay);
        }
    }

    /// (JobId, State, Msg) of the schema-change jobs of `db`.`table`.
    fn alter_jobs(&mut self, db: &str, table: &str) -> Result<Vec<(u64, String, String)>, FeError> {
        let q = format!(
            "SHOW ALTER TABLE COLUMN FROM {} WHERE TableName = '{}'",
            quote(db),
            table.replace('\\', "\\\\").replace('\'', "\\'")
        );
        let r = self.query_rows(&q)?;
        let (id, state, msg) = (
            r.column("JobId").unwrap_or(0),
            r.column("State").unwrap_or(9),
            r.column("Msg").unwrap_or(10),
        );
        let cell =
            |row: &Vec<Option<String>>, i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        Ok(r.rows
            .iter()
            .map(|row| {
                (
                    cell(row, id).parse().unwrap_or(0),
                    cell(row, state),
                    cell(row, msg),
                )
            })
            .collect())
    }

    /// Usable backends (`Alive` true and `SystemDecommissioned` false) from SHOW BACKENDS;
    /// None when the statement is denied (it needs OPERATE) or the columns are missing.
    pub fn alive_backends(&mut self) -> Option<u32> {
        let r = self.query_rows("SHOW BACKENDS").ok()?;
        let alive = r.column("Alive")?;
        let decom = r.column("SystemDecommissioned");
        let truthy = |v: Option<&Option<String>>| {
            v.and_then(|v| v.as_deref())
                .is_some_and(|s| s.eq_ignore_ascii_case("true") || s == "1")
        };
        let n = r
            .rows
            .iter()
            .filter(|row| truthy(row.get(alive)) && !decom.is_some_and(|d| truthy(row.get(d))))
            .count();
        u32::try_from(n).ok()
    }
}

fn value_text(v: Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Date(y, mo, d, h, mi, s, us) => Some(if us > 0 {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}")
        } else {
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        }),
        Value::Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(days) * 24 + u64::from(h);
            let sign = if neg { "-" } else { "" };
            Some(if us > 0 {
                format!("{sign}{hours:02}:{mi:02}:{s:02}.{us:06}")
            } else {
                format!("{sign}{hours:02}:{mi:02}:{s:02}")
            })
        }
    }
}

/// Parse `3.3.2 857dd73` / `3.3.2-ee` / `StarRocks version 3.3.2` → (3, 3, 2).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let mut parts = rest[..end].split('.').filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("3.3.2 857dd73"), Some((3, 3, 2)));
        assert_eq!(
            parse_version("StarRocks version 3.1.10-ee"),
            Some((3, 1, 10))
        );
        assert_eq!(parse_version("4.0"), Some((4, 0, 0)));
        assert_eq!(parse_version("unknown"), None);
    }

    #[test]
    fn value_text_renders_every_kind() {
        assert_eq!(value_text(Value::NULL), None);
        assert_eq!(
            value_text(Value::Bytes(b"true".to_vec())).as_deref(),
            Some("true")
        );
        assert_eq!(value_text(Value::Int(-3)).as_deref(), Some("-3"));
        assert_eq!(
            value_text(Value::Date(2024, 2, 29, 1, 2, 3, 0)).as_deref(),
            Some("2024-02-29 01:02:03")
        );
        assert_eq!(
            value_text(Value::Time(true, 1, 2, 3, 4, 0)).as_deref(),
            Some("-26:03:04")
        );
    }
}
