//! The source server: the one module that connects to it and knows what it is (flavor, version,
//! time zone, binlog settings, binlog position). Introspection, the snapshot and the binlog
//! reader borrow connections and facts from here; value decoding receives the time zone and
//! does no I/O.
//!
//! Every connection has a connect timeout and a read timeout, so a host that accepts and never
//! answers ends in a "timed out" error instead of a hang; errors name host:port and the user,
//! never the password.

use crate::config::SourceConfig;
use crate::error::{fail, fail_transient, Kind};
use crate::schema::types::Flavor;
use crate::sync::decode::TimeZoneSpec;
use crate::sync::position::BinlogPosition;
use anyhow::{anyhow, Context, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Row};
use std::time::Duration;

/// Connection timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Socket read/write timeout; a silent server longer than this is an error.
    pub read: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect; 300 s per read (a long information_schema query or a snapshot chunk).
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(300),
        }
    }
}

/// Open a connection to the source with `timeouts`. The session keeps the server's defaults.
pub fn connect_with(src: &SourceConfig, timeouts: Timeouts) -> Result<Conn> {
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some(src.host.clone()))
        .tcp_port(src.port)
        .user(Some(src.user.clone()))
        .pass(Some(src.password.expose().to_string()))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(timeouts.connect))
        .read_timeout(Some(timeouts.read))
        .write_timeout(Some(timeouts.read))
        .tcp_keepalive_time_ms(Some(30_000));
    match connect_within(opts.into(), timeouts.connect) {
        Some(r) => r.map_err(|e| connect_error(src, &e)),
        None => Err(fail_transient(
            Kind::Source,
            format!(
                "the source database at {}:{} accepted the connection but did not complete the \
                 MySQL handshake within {} s (timed out): check that [db] host and port name a \
                 MySQL/MariaDB server that is not hung",
                src.host,
                src.port,
                timeouts.connect.as_secs() + 5
            ),
        )),
    }
}

/// `Conn::new` with the handshake bounded by `connect` (plus the TCP connect itself): the
/// driver's read timeout, which is also the handshake's, must stay long for queries. None =
/// timed out; the attempt finishes (and its connection closes) in the background.
pub fn connect_within(opts: mysql::Opts, connect: Duration) -> Option<mysql::Result<Conn>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Conn::new(opts));
    });
    rx.recv_timeout(connect + Duration::from_secs(5)).ok()
}

/// [`connect_with`] the default timeouts.
pub fn connect(src: &SourceConfig) -> Result<Conn> {
    connect_with(src, Timeouts::default())
}

/// Set the session time zone to UTC (snapshot reads: `UNIX_TIMESTAMP`, `NOW()` independent of
/// the server's zone).
pub fn session_utc(conn: &mut Conn) -> Result<()> {
    conn.query_drop("SET time_zone = '+00:00'")
        .context("setting the session time zone")
}

/// A connection failure, classified: a wrong user or password is definite (a human must act);
/// anything else — unreachable, timed out, too many connections, a locked account — may pass
/// (the server may be restarting), and the caller's retry policy bounds the attempts.
fn connect_error(src: &SourceConfig, e: &mysql::Error) -> anyhow::Error {
    let at = format!("{}:{}", src.host, src.port);
    match e {
        mysql::Error::IoError(io)
            if io.kind() == std::io::ErrorKind::TimedOut
                || io.kind() == std::io::ErrorKind::WouldBlock =>
        {
            fail_transient(
                Kind::Source,
                format!(
                    "the source database at {at} accepted the connection but did not answer \
                     (timed out): check that [db] host and port name a MySQL/MariaDB server"
                ),
            )
        }
        mysql::Error::IoError(io) => fail_transient(
            Kind::Source,
            format!(
                "cannot reach the source database at {at}: {io}. Check [db] host and port, and \
                 that the server is running and accepts TCP connections"
            ),
        ),
        mysql::Error::DriverError(mysql::DriverError::ConnectTimeout) => fail_transient(
            Kind::Source,
            format!(
                "cannot reach the source database at {at}: the connection timed out. Check [db] \
                 host and port, and that the server is running"
            ),
        ),
        mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(inner)) => fail_transient(
            Kind::Source,
            format!(
                "cannot reach the source database at {at}{}. Check [db] host and port, and that \
                 the server is running",
                inner
                    .as_ref()
                    .map(|(_, m, _)| format!(": {m}"))
                    .unwrap_or_default()
            ),
        ),
        mysql::Error::MySqlError(me) if me.code == 1045 || me.code == 1044 || me.code == 1698 => {
            fail(
                Kind::Source,
                format!(
                    "access denied for user '{}' at {at} (server said: {}). Check [db] user and \
                     password",
                    src.user, me.message
                ),
            )
        }
        // Too many connections, a locked account, a server shutting down, ...: may pass; the
        // caller's retry policy bounds the attempts.
        mysql::Error::MySqlError(me) => fail_transient(
            Kind::Source,
            format!(
                "the source database at {at} refused the connection as '{}': {} (error {})",
                src.user, me.message, me.code
            ),
        ),
        other => fail_transient(
            Kind::Source,
            format!(
                "cannot connect to the source database at {at} as '{}': {}",
                src.user,
                one_line(&other.to_string())
            ),
        ),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the server is, read in one query on a fresh connection (before any session setting).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    /// `SELECT VERSION()`, e.g. `10.11.19-MariaDB-0+deb12u1-log` (the handshake's version is
    /// `5.5.5-…` for MariaDB and is not used).
    pub version: String,
    pub flavor: Flavor,
    /// `@@global.time_zone`, with `SYSTEM` resolved to `@@system_time_zone`.
    pub time_zone: String,
    /// The server's current UTC offset in seconds (from `NOW()` in a default session).
    pub utc_offset: i64,
    /// `CURRENT_USER()`, e.g. `cdc@%`.
    pub current_user: String,
}

impl ServerInfo {
    pub fn is_mariadb(&self) -> bool {
        self.flavor == Flavor::MariaDb
    }
}

/// Read [`ServerInfo`] (one query). Call on a connection whose session time zone is the
/// server's default.
pub fn probe(conn: &mut Conn) -> Result<ServerInfo> {
    let row: Option<Row> = conn
        .query_first(
            "SELECT VERSION(), @@global.time_zone, @@system_time_zone, \
             TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()), CURRENT_USER()",
        )
        .map_err(|e| {
            fail(
                Kind::Source,
                format!("reading the source server's version failed: {e}"),
            )
        })?;
    let row = row.ok_or_else(|| fail(Kind::Source, "SELECT VERSION() returned no row"))?;
    let text = |i: usize| -> String {
        row.get_opt::<Option<String>, usize>(i)
            .and_then(|r| r.ok())
            .flatten()
            .unwrap_or_default()
    };
    let version = text(0);
    let tz = text(1);
    let time_zone = if tz.eq_ignore_ascii_case("SYSTEM") {
        let sys = text(2);
        if sys.is_empty() {
            tz
        } else {
            sys
        }
    } else {
        tz
    };
    let utc_offset = row
        .get_opt::<Option<i64>, usize>(3)
        .and_then(|r| r.ok())
        .flatten()
        .unwrap_or(0);
    Ok(ServerInfo {
        flavor: Flavor::from_version(&version),
        version,
        time_zone,
        utc_offset,
        current_user: text(4),
    })
}

/// Who the server is and where its binlog history stands (read at sync start and after a
/// reconnect): a checkpoint's positions are only meaningful on the server and history they were
/// taken from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    pub server_id: u32,
    /// MySQL `@@server_uuid`.
    pub server_uuid: Option<String>,
    /// MariaDB `@@gtid_domain_id`.
    pub gtid_domain_id: Option<u32>,
    /// MariaDB `@@gtid_binlog_state` (the last GTID per domain and server ever binlogged here).
    pub gtid_binlog_state: Option<String>,
}

/// Read [`Identity`] (one query, flavor-specific).
pub fn identity(conn: &mut Conn, info: &ServerInfo) -> Result<Identity> {
    if info.is_mariadb() {
        let r: Option<(u32, u32, Option<String>)> = conn
            .query_first("SELECT @@server_id, @@gtid_domain_id, @@gtid_binlog_state")
            .context("reading the source's server id and GTID state")?;
        let (server_id, domain, state) = r.unwrap_or_default();
        Ok(Identity {
            server_id,
            server_uuid: None,
            gtid_domain_id: Some(domain),
            gtid_binlog_state: state.filter(|s| !s.trim().is_empty()),
        })
    } else {
        let r: Option<(u32, Option<String>)> = conn
            .query_first("SELECT @@server_id, @@server_uuid")
            .context("reading the source's server id and uuid")?;
        let (server_id, uuid) = r.unwrap_or_default();
        Ok(Identity {
            server_id,
            server_uuid: uuid,
            gtid_domain_id: None,
            gtid_binlog_state: None,
        })
    }
}

/// MariaDB: the GTID position (`domain-server-seq,...`) at `pos` in this server's binlog, or
/// None when the position is not in it (`BINLOG_GTID_POS`).
pub fn binlog_gtid_pos(conn: &mut Conn, pos: &BinlogPosition) -> Result<Option<String>> {
    let r: Option<Option<String>> = conn
        .exec_first("SELECT BINLOG_GTID_POS(?, ?)", (pos.file.as_str(), pos.pos))
        .context("BINLOG_GTID_POS")?;
    Ok(r.flatten())
}

/// The zone TIMESTAMP values are rendered in: the configured `[db] time_zone`, else the
/// server's: its zone name when it is an IANA name (or offset) agreeing with the server's
/// current offset, else that offset as a fixed zone.
pub fn time_zone(info: &ServerInfo, configured: Option<&str>) -> Result<TimeZoneSpec> {
    if let Some(c) = configured {
        return TimeZoneSpec::parse(c);
    }
    if let Ok(spec) = TimeZoneSpec::parse(&info.time_zone) {
        let now = jiff::Timestamp::now();
        let off = match &spec {
            TimeZoneSpec::Fixed(s) => i64::from(*s),
            TimeZoneSpec::Named(z) => i64::from(z.to_offset(now).seconds()),
        };
        // Within a minute: NOW() and UTC_TIMESTAMP() may straddle a second.
        if (off - info.utc_offset).abs() < 60 {
            return Ok(spec);
        }
    }
    Ok(TimeZoneSpec::Fixed(
        i32::try_from(info.utc_offset).unwrap_or(0),
    ))
}

/// The server's current binlog end (`SHOW MASTER STATUS`; MySQL 8.4: `SHOW BINARY LOG STATUS`).
pub fn master_status(conn: &mut Conn) -> Result<BinlogPosition> {
    let row: Option<mysql::Row> = match conn.query_first("SHOW MASTER STATUS") {
        Ok(r) => r,
        Err(_) => conn.query_first("SHOW BINARY LOG STATUS")?,
    };
    let row = row.ok_or_else(|| {
        fail(
            Kind::Source,
            "SHOW MASTER STATUS returned nothing: the binary log is off; enable log_bin on the source",
        )
    })?;
    let file: String = row
        .get(0)
        .ok_or_else(|| anyhow!("SHOW MASTER STATUS: no file"))?;
    let pos: u64 = row
        .get(1)
        .ok_or_else(|| anyhow!("SHOW MASTER STATUS: no position"))?;
    Ok(BinlogPosition::new(file, pos))
}

/// Whether `pos` is inside the server's current binary logs (SHOW BINARY LOGS).
pub fn position_exists(conn: &mut Conn, pos: &BinlogPosition) -> Result<bool> {
    Ok(binary_logs(conn)?
        .iter()
        .any(|(name, size)| *name == pos.file && pos.pos >= 4 && pos.pos <= *size))
}

/// SHOW BINARY LOGS: (file, size in bytes), oldest first.
pub fn binary_logs(conn: &mut Conn) -> Result<Vec<(String, u64)>> {
    let rows: Vec<mysql::Row> = conn
        .query("SHOW BINARY LOGS")
        .context("SHOW BINARY LOGS (needs REPLICATION CLIENT)")?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let name: Option<String> = r.get(0);
            let size: Option<u64> = r.get(1);
            name.map(|n| (n, size.unwrap_or(u64::MAX)))
        })
        .collect())
}

/// The server's binlog settings and the connecting user's grants, as read by
/// [`check_binlog_settings`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinlogSettings {
    pub log_bin: Option<String>,
    pub binlog_format: Option<String>,
    pub binlog_row_image: Option<String>,
    /// MySQL `binlog_transaction_compression` / MariaDB `log_bin_compress` (None when the server
    /// has no such variable).
    pub compression: Option<(String, String)>,
    /// Lines of SHOW GRANTS.
    pub grants: Vec<String>,
    pub user: String,
}

/// Check the server for CDC: log_bin ON, binlog_format ROW, binlog_row_image FULL, and the
/// REPLICATION SLAVE + REPLICATION CLIENT privileges. Each failure says what to change.
pub fn check_binlog_settings(conn: &mut Conn) -> std::result::Result<(), Vec<String>> {
    let read = |conn: &mut Conn| -> Result<BinlogSettings> {
        let var = |conn: &mut Conn, name: &str| -> Result<Option<String>> {
            let r: Option<(String, String)> =
                conn.query_first(format!("SHOW GLOBAL VARIABLES LIKE '{name}'"))?;
            Ok(r.map(|(_, v)| v))
        };
        let user: Option<String> = conn.query_first("SELECT CURRENT_USER()")?;
        let mut compression = None;
        for name in ["binlog_transaction_compression", "log_bin_compress"] {
            if let Some(v) = var(conn, name)? {
                if compression.is_none() || v.eq_ignore_ascii_case("ON") {
                    compression = Some((name.to_string(), v));
                }
            }
        }
        let grants: Vec<String> = conn.query("SHOW GRANTS")?;
        Ok(BinlogSettings {
            log_bin: var(conn, "log_bin")?,
            binlog_format: var(conn, "binlog_format")?,
            binlog_row_image: var(conn, "binlog_row_image")?,
            compression,
            grants,
            user: user.unwrap_or_default(),
        })
    };
    match read(conn) {
        Ok(s) => binlog_settings_problems(&s),
        Err(e) => Err(vec![format!("could not read the binlog settings: {e}")]),
    }
}

/// `CURRENT_USER()` (`user@host`) as a quoted account for a GRANT: `'user'@'host'`.
pub fn quoted_account(current_user: &str) -> String {
    match current_user.rsplit_once('@') {
        Some((u, h)) => format!("'{}'@'{}'", u.replace('\'', "''"), h.replace('\'', "''")),
        None if current_user.is_empty() => "'user'@'%'".to_string(),
        None => format!("'{}'@'%'", current_user.replace('\'', "''")),
    }
}

/// What the connecting user may read, from its SHOW GRANTS lines: information_schema shows
/// only the databases and tables a user has some privilege on, so anything outside these is
/// invisible to introspection (and silently absent from the plan without this report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibility {
    /// SELECT (or ALL PRIVILEGES) on `*.*`: everything is visible.
    pub global: bool,
    /// Otherwise the scopes with SELECT: `` `shop`.* ``, `` `shop`.`orders` ``.
    pub scopes: Vec<String>,
}

impl Visibility {
    pub fn from_grants(grants: &[String]) -> Visibility {
        let mut v = Visibility::default();
        for g in grants {
            let upper = g.to_ascii_uppercase();
            let Some(rest) = upper.strip_prefix("GRANT ") else {
                continue;
            };
            let Some(on) = rest.find(" ON ") else {
                continue;
            };
            let privs = &rest[..on];
            let reads =
                privs.contains("ALL PRIVILEGES") || privs.split(',').any(|p| p.trim() == "SELECT");
            if !reads {
                continue;
            }
            // The scope as written in the original line (names keep their case).
            let start = "GRANT ".len() + on + " ON ".len();
            let scope = g[start..]
                .split(" TO ")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if scope == "*.*" {
                v.global = true;
            } else if !scope.is_empty() {
                v.scopes.push(scope);
            }
        }
        v
    }

    /// A sentence for reports; None when everything is visible.
    pub fn limits(&self, account: &str) -> Option<String> {
        if self.global {
            return None;
        }
        let seen = if self.scopes.is_empty() {
            "no database at all".to_string()
        } else {
            self.scopes.join(", ")
        };
        Some(format!(
            "the source user {} may read only {seen}: information_schema shows nothing else, so \
             tables outside that are not seen, not planned, and shards outside it are not merged. \
             Grant what the rules need, e.g. GRANT SELECT ON `db`.* TO {} (or ON *.*)",
            quoted_account(account),
            quoted_account(account)
        ))
    }
}

/// The pure part of [`check_binlog_settings`].
pub fn binlog_settings_problems(s: &BinlogSettings) -> std::result::Result<(), Vec<String>> {
    let mut p = Vec::new();
    let is =
        |v: &Option<String>, want: &str| v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(want));
    if !is(&s.log_bin, "ON") {
        p.push(format!(
            "log_bin is {}: enable the binary log (start the server with --log-bin, e.g. log_bin=mysql-bin in my.cnf) and restart it",
            s.log_bin.as_deref().unwrap_or("not set")
        ));
    }
    if !is(&s.binlog_format, "ROW") {
        p.push(format!(
            "binlog_format is {}: set binlog_format=ROW (SET GLOBAL binlog_format='ROW' and in my.cnf)",
            s.binlog_format.as_deref().unwrap_or("not set")
        ));
    }
    if !is(&s.binlog_row_image, "FULL") {
        p.push(format!(
            "binlog_row_image is {}: set binlog_row_image=FULL (SET GLOBAL binlog_row_image='FULL' and in my.cnf)",
            s.binlog_row_image.as_deref().unwrap_or("not set")
        ));
    }
    if let Some((name, v)) = &s.compression {
        if v.eq_ignore_ascii_case("ON") {
            p.push(format!("{name} is ON: smt cannot read compressed binlog events; SET GLOBAL {name}=OFF (and in my.cnf)"));
        }
    }
    let g = s.grants.join("\n").to_uppercase();
    let all = g.contains("ALL PRIVILEGES ON *.*");
    let slave = all || g.contains("REPLICATION SLAVE") || g.contains("REPLICATION REPLICA");
    let client = all || g.contains("REPLICATION CLIENT") || g.contains("BINLOG MONITOR");
    let mut missing = Vec::new();
    if !slave {
        missing.push("REPLICATION SLAVE");
    }
    if !client {
        missing.push("REPLICATION CLIENT");
    }
    if !missing.is_empty() {
        p.push(format!(
            "the user {} lacks {}: run GRANT {} ON *.* TO {}",
            s.user,
            missing.join(" and "),
            missing.join(", "),
            quoted_account(&s.user)
        ));
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> BinlogSettings {
        BinlogSettings {
            log_bin: Some("ON".into()),
            binlog_format: Some("ROW".into()),
            binlog_row_image: Some("FULL".into()),
            compression: Some(("log_bin_compress".into(), "OFF".into())),
            grants: vec!["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `cdc`@`%`".into()],
            user: "cdc@%".into(),
        }
    }

    #[test]
    fn settings_ok() {
        assert_eq!(binlog_settings_problems(&good()), Ok(()));
        let mut s = good();
        s.grants =
            vec!["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION".into()];
        assert_eq!(binlog_settings_problems(&s), Ok(()));
    }

    #[test]
    fn statement_format_named() {
        let mut s = good();
        s.binlog_format = Some("STATEMENT".into());
        let p = binlog_settings_problems(&s).unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(
            p[0].contains("binlog_format is STATEMENT") && p[0].contains("binlog_format=ROW"),
            "{p:?}"
        );
    }

    #[test]
    fn every_problem_listed() {
        let s = BinlogSettings {
            log_bin: Some("OFF".into()),
            binlog_format: Some("MIXED".into()),
            binlog_row_image: Some("MINIMAL".into()),
            compression: Some(("binlog_transaction_compression".into(), "ON".into())),
            grants: vec!["GRANT SELECT ON `shop`.* TO `u`@`%`".into()],
            user: "u@%".into(),
        };
        let p = binlog_settings_problems(&s).unwrap_err();
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p[0].contains("log_bin is OFF"));
        assert!(p[2].contains("binlog_row_image=FULL"));
        assert!(
            p[3].contains("SET GLOBAL binlog_transaction_compression=OFF"),
            "{}",
            p[3]
        );
        // A GRANT a user can paste: the account quoted as MySQL expects.
        assert!(
            p[4].contains("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'u'@'%'"),
            "{}",
            p[4]
        );
    }

    #[test]
    fn accounts_are_quoted_for_grant() {
        assert_eq!(quoted_account("cdc@%"), "'cdc'@'%'");
        assert_eq!(quoted_account("o'brien@10.0.0.%"), "'o''brien'@'10.0.0.%'");
        assert_eq!(quoted_account("a@b@host"), "'a@b'@'host'");
        assert_eq!(quoted_account(""), "'user'@'%'");
    }

    #[test]
    fn visibility_from_grants() {
        let g = |v: &[&str]| {
            Visibility::from_grants(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert!(g(&["GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION"]).global);
        assert!(g(&["GRANT SELECT, RELOAD ON *.* TO `cdc`@`%`"]).global);
        let v = g(&[
            "GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*x'",
            "GRANT SELECT ON `Shop`.* TO `u`@`%`",
            "GRANT SELECT, INSERT ON `edu_db_1`.`course_1` TO `u`@`%`",
            "GRANT INSERT ON `other`.* TO `u`@`%`",
        ]);
        assert!(!v.global);
        assert_eq!(v.scopes, vec!["`Shop`.*", "`edu_db_1`.`course_1`"]);
        let msg = v.limits("u@%").unwrap();
        assert!(
            msg.contains("`Shop`.*, `edu_db_1`.`course_1`") && msg.contains("TO 'u'@'%'"),
            "{msg}"
        );
        assert!(g(&["GRANT USAGE ON *.* TO `u`@`%`"])
            .limits("u@%")
            .unwrap()
            .contains("no database at all"));
    }

    #[test]
    fn server_zone_from_probe() {
        let info = |tz: &str, off: i64| ServerInfo {
            version: "10.11.19-MariaDB".into(),
            flavor: Flavor::MariaDb,
            time_zone: tz.into(),
            utc_offset: off,
            current_user: "u@%".into(),
        };
        assert!(matches!(
            time_zone(&info("UTC", 0), None).unwrap(),
            TimeZoneSpec::Fixed(0)
        ));
        assert!(matches!(
            time_zone(&info("+05:30", 19800), None).unwrap(),
            TimeZoneSpec::Fixed(19800)
        ));
        // A zone name that disagrees with the offset (or is unknown): the offset wins.
        assert!(matches!(
            time_zone(&info("CEST", 7200), None).unwrap(),
            TimeZoneSpec::Fixed(7200)
        ));
        assert!(matches!(
            time_zone(&info("UTC", 3600), None).unwrap(),
            TimeZoneSpec::Fixed(3600)
        ));
        assert!(matches!(
            time_zone(&info("UTC", 0), Some("+08:00")).unwrap(),
            TimeZoneSpec::Fixed(28800)
        ));
    }
}
