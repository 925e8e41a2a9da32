//! Binlog reader: turns the source's row-based binary log into [`SourceEvent`]s for the captured
//! targets, plus preflight checks of the server's binlog settings.
//!
//! Invariants:
//! - Positions: every event header's `log_pos` is the END offset of that event in the current
//!   file, so after an XID / COMMIT event the reader's position is exactly the first byte of the
//!   next transaction; `Commit.end` is that position and is the only point the reader resumes
//!   from (after a dropped connection it reconnects at the last `Commit.end` it returned and emits
//!   [`SourceEvent::Restarted`] first, so the consumer drops uncommitted rows and nothing is
//!   skipped). Artificial events (`log_pos == 0`: fake ROTATE, re-sent FDE) never move it.
//! - Decoding: rows are decoded by `sync::decode`, the same decoder the snapshot uses, so a
//!   binlog row equals the snapshot row of the same stored values.
//! - A rows event whose TableMap names an uncaptured table is skipped, and so is one of a
//!   transaction that ends at or before the table's snapshot position (`set_starts`: the
//!   snapshot holds it, and it may be written with an older schema); a TableMap of a captured
//!   table whose column count differs from the captured description is an error (the table
//!   changed: the consumer must re-plan), never a silent mis-mapping.

use crate::config::SourceConfig;
use crate::error::{fail, Kind};
use crate::plan::{Model, SourceRef, TablePlan};
use crate::retry::{retry, Attempt, RetryPolicy};
use crate::source::{self, master_status, position_exists};
use crate::sync::cell::{Cell, Row};
use crate::sync::decode::{
    decode_binlog, decode_row, or_set_aside, DecodeStats, RefusedValue, RowShape, TimeZoneSpec,
};
use crate::sync::gtid::{Gtid, GtidPos};
use crate::sync::position::{BinlogPosition, EventMark, PositionMark};
use crate::sync::rowimage;
use anyhow::{anyhow, Context, Result};
use mysql::binlog::events::{EventData, RowsEventData, TableMapEvent};
use mysql::binlog::value::BinlogValue;
use mysql::prelude::Queryable;
use mysql::{BinlogDumpFlags, BinlogRequest, BinlogStream, Conn};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// One change of one row, rendered for the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowChange {
    /// INSERT (WRITE_ROWS): the new row. (Added by sync-engine: DUPLICATE KEY targets take
    /// inserts exactly once but must refuse updates/deletes.)
    Insert(Row),
    Upsert(Row),
    Delete(Row),
    /// An UPDATE of a table whose target is a DUPLICATE KEY table: such a row has no identity
    /// but its whole image, so both images are kept. `before` is None when it held a value smt
    /// refuses (it never reached StarRocks).
    Replace {
        before: Option<Row>,
        after: Row,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEvent {
    /// Changes of one source table inside the current transaction, rendered for target `target`
    /// (index into the table list given to [`BinlogReader::open`]).
    Rows {
        target: usize,
        /// Shared by every event of the table map (no copy of the names per event).
        source: Arc<SourceRef>,
        changes: Vec<RowChange>,
    },
    /// A transaction committed; `end` is the position right after its commit (XID / COMMIT) event.
    Commit {
        end: BinlogPosition,
        gtid: Option<String>,
        server_ts: u32,
    },
    /// DDL (or a statement-logged DML) that touches a captured database/table: the raw SQL, its
    /// default database, and the position after it.
    Ddl {
        database: String,
        sql: String,
        end: BinlogPosition,
        /// The statement's GTID (MariaDB), when the server sends GTID events.
        gtid: Option<String>,
    },
    /// Idle keep-alive: the server is at `pos`.
    Heartbeat { pos: BinlogPosition, server_ts: u32 },
    /// The connection dropped and was re-established at `from` (the last `Commit.end` returned,
    /// or the opening position): drop any `Rows` received after the last `Commit`.
    Restarted { from: BinlogPosition },
}

/// Tunables of the reader (defaults fit production; tests shorten them).
#[derive(Clone, Debug)]
pub struct ReaderOptions {
    /// `@master_heartbeat_period`.
    pub heartbeat: Duration,
    /// Socket read timeout; a silent connection longer than this is treated as dropped.
    pub read_timeout: Duration,
    /// Reconnect attempts before giving up.
    pub max_reconnects: u32,
    /// First back-off delay; doubled per attempt, capped at 30 s.
    pub backoff: Duration,
    /// BINLOG_DUMP_NON_BLOCK: `next_event` returns Ok(None) once caught up (tests, one-shot reads).
    pub non_block: bool,
    /// Announce a GTID-aware MariaDB replica (`@mariadb_slave_capability=4`) to get real GTID
    /// events; when false, MariaDB rewrites them into `BEGIN` and `# Dummy event` queries (the
    /// MySQL-like flow), and Commit carries no GTID.
    pub mariadb_gtid_events: bool,
    /// Report every CREATE/RENAME TABLE as `Ddl`, also of uncaptured tables (sync decides
    /// whether the rules capture the new table); otherwise only DDL naming captured tables.
    pub report_created_tables: bool,
    /// `sync_reject_policy = quarantine`: a value smt refuses in a row image to load sets the
    /// row aside ([`crate::sync::decode::or_set_aside`]) instead of failing the event.
    pub set_aside: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            heartbeat: Duration::from_secs(1),
            read_timeout: Duration::from_secs(30),
            max_reconnects: 10,
            backoff: Duration::from_millis(500),
            non_block: false,
            mariadb_gtid_events: true,
            report_created_tables: false,
            set_aside: false,
        }
    }
}

struct MappedTable {
    tme: TableMapEvent<'static>,
    /// The source table, and the targets capturing it (several when more than one rule reads it).
    sref: Arc<SourceRef>,
    targets: Arc<[usize]>,
    /// The event's body, and whether `targets` holds every target capturing the table (none
    /// left out because the event came before its snapshot position): then the same body again
    /// (the next transaction's TABLE_MAP of the same table) maps to the same thing.
    raw: Vec<u8>,
    complete: bool,
}

pub struct BinlogReader {
    src: SourceConfig,
    server_id: u32,
    opts: ReaderOptions,
    tables: Vec<TablePlan>,
    tz: TimeZoneSpec,
    stream: Option<BinlogStream>,
    status_conn: Option<Conn>,
    /// Position of the next event to read (end of the last real event).
    pos: BinlogPosition,
    /// The resume point: the opening position or the last Commit.end / handled DDL end returned.
    resume: BinlogPosition,
    /// The MariaDB GTID position at `resume` when the reader resumes by GTID (see
    /// [`BinlogReader::open_at`]): a reconnect starts after it, on whichever server `[db]` names.
    resume_gtid: Option<GtidPos>,
    seen_fde: bool,
    /// The current stream was started by GTID: the first rotate names the real file.
    by_gtid: bool,
    gtid: Option<String>,
    /// The current MariaDB GTID is standalone (DDL without BEGIN/COMMIT).
    standalone: bool,
    /// Inside BEGIN (or a non-standalone MariaDB GTID) .. XID/COMMIT.
    in_txn: bool,
    /// Server-side id of the replication connection (for diagnostics and tests).
    conn_id: u32,
    table_maps: HashMap<u64, MappedTable>,
    pending: std::collections::VecDeque<SourceEvent>,
    restarted: bool,
    /// Per table (same order as `tables`): the position its snapshot was read at. Row events
    /// of transactions that end at or before it are not decoded for that table (the snapshot
    /// holds their effect, and they were written with the schema of their time, which may not
    /// be the one the snapshot was read with). Empty: every table from the start.
    starts: Vec<BinlogPosition>,
    stats: DecodeStats,
    /// Lower-cased captured database names and (db, table) pairs, for DDL attribution.
    captured_dbs: Vec<String>,
    captured_tables: Vec<(String, String)>,
    /// Creation time of the binlog file being read (its format description event).
    file_created: u32,
    /// The file and creation time the resume position must have (the checkpoint's, then the
    /// last seen): a reconnect into a recreated file (RESET MASTER) is a stop, never a resume.
    expect_created: Option<(String, u32)>,
    /// Header of the event being handled, and of the last one that ended a transaction.
    current: Option<EventMark>,
    last_end: Option<EventMark>,
}

const MARIADB_ANNOTATE_ROWS: u8 = 160;
const MARIADB_BINLOG_CHECKPOINT: u8 = 161;
const MARIADB_GTID: u8 = 162;
const MARIADB_GTID_LIST: u8 = 163;
const MARIADB_START_ENCRYPTION: u8 = 164;
/// MariaDB `log_bin_compress=ON`: QUERY_COMPRESSED (165) .. DELETE_ROWS_COMPRESSED (171).
const MARIADB_QUERY_COMPRESSED: u8 = 165;
const MARIADB_DELETE_ROWS_COMPRESSED: u8 = 171;

impl BinlogReader {
    /// Open a dedicated replication connection at `from` (see the module doc).
    pub fn open(
        src: &SourceConfig,
        server_id: u32,
        from: &BinlogPosition,
        tables: Vec<TablePlan>,
        tz: &TimeZoneSpec,
    ) -> Result<Self> {
        Self::open_with(src, server_id, from, tables, tz, ReaderOptions::default())
    }

    pub fn open_with(
        src: &SourceConfig,
        server_id: u32,
        from: &BinlogPosition,
        tables: Vec<TablePlan>,
        tz: &TimeZoneSpec,
        opts: ReaderOptions,
    ) -> Result<Self> {
        Self::open_at(src, server_id, from, None, None, tables, tz, opts)
    }

    /// Open at `from`, or — with `gtid` (MariaDB) — right after the GTID position `gtid`
    /// (`@slave_connect_state`; the server finds the file itself, so this also works on another
    /// server holding the same GTIDs, after a failover). `from` is then only the position the
    /// reader reports until the server's first rotate says where it really is. `mark`: what
    /// `from` is (see [`PositionMark`]); a file whose creation time differs is refused.
    #[allow(clippy::too_many_arguments)]
    pub fn open_at(
        src: &SourceConfig,
        server_id: u32,
        from: &BinlogPosition,
        mark: Option<&PositionMark>,
        gtid: Option<&GtidPos>,
        tables: Vec<TablePlan>,
        tz: &TimeZoneSpec,
        opts: ReaderOptions,
    ) -> Result<Self> {
        let (captured_dbs, captured_tables) = captured(&tables);
        let mut r = BinlogReader {
            src: src.clone(),
            server_id,
            opts,
            tables,
            tz: tz.clone(),
            stream: None,
            status_conn: None,
            pos: from.clone(),
            resume: from.clone(),
            resume_gtid: gtid.cloned(),
            seen_fde: false,
            by_gtid: false,
            gtid: None,
            standalone: false,
            in_txn: false,
            conn_id: 0,
            table_maps: HashMap::new(),
            pending: Default::default(),
            restarted: false,
            starts: Vec::new(),
            stats: DecodeStats::default(),
            captured_dbs,
            captured_tables,
            file_created: 0,
            expect_created: mark
                .filter(|m| m.file_created != 0 && gtid.is_none())
                .map(|m| (from.file.clone(), m.file_created)),
            current: None,
            last_end: None,
        };
        let mut conn = r.connect()?;
        if r.resume_gtid.is_none() && !position_exists(&mut conn, from)? {
            return Err(purged_error(src, from));
        }
        r.stream = Some(r.start_stream(conn, from)?);
        Ok(r)
    }

    /// What the position of the last returned `Commit`/`Ddl` is (file creation time, the
    /// header of the event that ended there); the GTID position is the caller's.
    pub fn mark(&self) -> Option<PositionMark> {
        (self.file_created != 0 || self.last_end.is_some()).then_some(PositionMark {
            file_created: self.file_created,
            event: self.last_end,
            gtid: None,
        })
    }

    /// Decode the following events for `tables` (after a DDL changed their schema).
    /// Decode rows for table `i` only in transactions that end after `starts[i]` (its snapshot
    /// position); see the field.
    pub fn set_starts(&mut self, starts: Vec<BinlogPosition>) {
        self.starts = starts;
        self.table_maps.clear();
    }

    pub fn set_tables(&mut self, tables: Vec<TablePlan>) {
        let (dbs, names) = captured(&tables);
        self.captured_dbs = dbs;
        self.captured_tables = names;
        self.tables = tables;
        self.table_maps.clear();
    }

    /// Counters of specially rendered values so far (zero dates → NULL).
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// The server-side connection id of the current replication connection.
    pub fn connection_id(&self) -> u32 {
        self.conn_id
    }

    /// The position of the next event to read.
    pub fn position(&self) -> &BinlogPosition {
        &self.pos
    }

    fn start_stream(&mut self, mut conn: Conn, from: &BinlogPosition) -> Result<BinlogStream> {
        let ns = self.opts.heartbeat.as_nanos().max(1_000_000);
        conn.query_drop(format!("SET @master_heartbeat_period = {ns}"))?;
        // GTID-aware MariaDB replica: real GTID events instead of BEGIN/dummy rewrites. MySQL
        // ignores the variable.
        if self.opts.mariadb_gtid_events {
            conn.query_drop("SET @mariadb_slave_capability = 4")?;
        }
        let by_gtid = self
            .resume_gtid
            .clone()
            .filter(|_| self.opts.mariadb_gtid_events);
        let mut req = BinlogRequest::new(self.server_id);
        match &by_gtid {
            // MariaDB GTID mode: the file/pos of the request are ignored; the server starts
            // after the given position in whichever of its files holds it (REPL.cc
            // `init_binlog_sender`), refusing (1236) a position its binlog does not have.
            Some(g) => {
                conn.exec_drop("SET @slave_connect_state = ?", (g.to_string(),))?;
                conn.query_drop("SET @slave_gtid_strict_mode = 1")?;
                conn.query_drop("SET @slave_gtid_ignore_duplicates = 0")?;
            }
            None => {
                req = req
                    .with_filename(from.file.as_bytes().to_vec())
                    .with_pos(from.pos);
            }
        }
        if self.opts.non_block {
            req = req.with_flags(BinlogDumpFlags::BINLOG_DUMP_NON_BLOCK);
        }
        self.pos = from.clone();
        self.by_gtid = by_gtid.is_some();
        self.seen_fde = false;
        self.gtid = None;
        self.standalone = false;
        self.in_txn = false;
        self.table_maps.clear();
        self.conn_id = conn.connection_id();
        conn.get_binlog_stream(req)
            .map_err(|e| self.classify_start_error(e, from))
    }

    fn classify_start_error(&self, e: mysql::Error, from: &BinlogPosition) -> anyhow::Error {
        if let mysql::Error::MySqlError(me) = &e {
            if me.code == 1236 {
                return self.fatal_dump_error(&me.message, from);
            }
        }
        anyhow!(e).context(format!(
            "starting the binlog stream at {from} on {}:{}",
            self.src.host, self.src.port
        ))
    }

    /// ER_MASTER_FATAL_ERROR_READING_BINLOG (1236): the server refuses to stream. A missing or
    /// purged file gets the "take a fresh snapshot" error; a server_id clash says so; anything
    /// else carries the server's message.
    fn fatal_dump_error(&self, message: &str, from: &BinlogPosition) -> anyhow::Error {
        let m = message.to_ascii_lowercase();
        if m.contains("same server") || m.contains("server_id") || m.contains("server_uuid") {
            return fail(
                Kind::Sync,
                format!(
                    "the source {}:{} dropped the binlog stream because another replica uses server id {} ({message}): \
                     give this sync job a unique server id",
                    self.src.host, self.src.port, self.server_id
                ),
            );
        }
        if m.contains("could not find")
            || m.contains("purged")
            || m.contains("first log file")
            || m.contains("not found")
        {
            return purged_error(&self.src, from).context(message.to_string());
        }
        fail(
            Kind::Sync,
            format!(
                "the source {}:{} refused to stream its binlog from {from}: {message}",
                self.src.host, self.src.port
            ),
        )
    }

    /// The server's current binlog end (SHOW MASTER STATUS on a separate connection), for lag.
    pub fn server_position(&mut self) -> Result<BinlogPosition> {
        if self.status_conn.is_none() {
            self.status_conn = Some(source::connect(&self.src)?);
        }
        let conn = self
            .status_conn
            .as_mut()
            .ok_or_else(|| anyhow!("no status connection"))?;
        match master_status(conn) {
            Ok(p) => Ok(p),
            Err(e) => {
                self.status_conn = None;
                Err(e)
            }
        }
    }

    /// The next event; Ok(None) only in non-blocking mode once caught up.
    pub fn next_event(&mut self) -> Result<Option<SourceEvent>> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Ok(Some(ev));
            }
            if self.restarted {
                self.restarted = false;
                return Ok(Some(SourceEvent::Restarted {
                    from: self.resume.clone(),
                }));
            }
            let Some(stream) = self.stream.as_mut() else {
                if self.opts.non_block {
                    // Caught up earlier: look again from where we are (a transaction boundary).
                    let from = self.pos.clone();
                    self.stream = Some(self.open_stream_retrying(&from)?);
                    continue;
                }
                self.reconnect()?;
                continue;
            };
            let ev = match stream.next() {
                None => {
                    self.stream = None;
                    if self.opts.non_block {
                        return Ok(None);
                    }
                    self.reconnect()?;
                    continue;
                }
                Some(Err(e)) => {
                    self.stream = None;
                    if let mysql::Error::MySqlError(me) = &e {
                        if me.code == 1236 {
                            return Err(self.fatal_dump_error(&me.message, &self.resume.clone()));
                        }
                    }
                    tracing::warn!(error = %e, "binlog connection to {}:{} lost; reconnecting", self.src.host, self.src.port);
                    self.reconnect()?;
                    continue;
                }
                Some(Ok(ev)) => ev,
            };
            if let Some(out) = self.handle(&ev)? {
                return Ok(Some(out));
            }
        }
    }

    /// A replication connection: the socket read timeout catches a silent, half-dead server
    /// (heartbeats keep a live one busy).
    fn connect(&self) -> Result<Conn> {
        let mut conn = source::connect_with(
            &self.src,
            source::Timeouts {
                read: self.opts.read_timeout,
                ..source::Timeouts::default()
            },
        )?;
        source::session_utc(&mut conn)?;
        Ok(conn)
    }

    /// Connect and start the stream at `from`, retrying with capped exponential back-off; a
    /// definite failure (a purged position, a refused dump) ends the retries at once.
    fn open_stream_retrying(&mut self, from: &BinlogPosition) -> Result<BinlogStream> {
        let policy = RetryPolicy {
            max_attempts: self.opts.max_reconnects.max(1),
            initial_delay: self.opts.backoff,
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
        };
        let (host, port) = (self.src.host.clone(), self.src.port);
        let r = retry(&policy, |attempt| {
            self.connect()
                .and_then(|conn| self.start_stream(conn, from))
                .map_err(|e| {
                    if crate::error::is_transient(&e) {
                        tracing::warn!(attempt, error = %format!("{e:#}"), "reconnecting to {host}:{port}");
                        Attempt::Again(e)
                    } else {
                        Attempt::Stop(e)
                    }
                })
        });
        r.map_err(|a| match a {
            Attempt::Stop(e) => e,
            Attempt::Again(last) => fail(
                Kind::Source,
                format!(
                    "lost the binlog connection to {host}:{port} and could not reconnect after {} \
                     attempts ({last:#}); check the source server, then run `smt sync` again (it \
                     resumes from the last checkpoint)",
                    policy.max_attempts
                ),
            ),
        })
    }

    fn reconnect(&mut self) -> Result<()> {
        let from = self.resume.clone();
        self.stream = Some(self.open_stream_retrying(&from)?);
        self.pending.clear();
        self.restarted = true;
        Ok(())
    }

    /// Handle one event; Some(event) to return to the caller.
    fn handle(&mut self, ev: &mysql::binlog::events::Event) -> Result<Option<SourceEvent>> {
        let hdr = ev.header();
        let log_pos = hdr.log_pos();
        let ts = hdr.timestamp();
        let raw_type = hdr.event_type_raw();
        self.current = (log_pos != 0).then(|| EventMark {
            start: u64::from(log_pos).saturating_sub(u64::from(hdr.event_size())),
            timestamp: ts,
            server_id: hdr.server_id(),
            type_code: raw_type,
        });
        // Advance the position for real events (artificial ones carry log_pos 0). Rotate and
        // heartbeat are handled below.
        // Positions only grow inside a file: the FDE re-sent when starting mid-file carries its
        // own (earlier) end offset and must not move us back.
        let advance = |me: &mut Self| {
            if log_pos != 0 {
                me.pos.pos = me.pos.pos.max(u64::from(log_pos));
            }
        };
        match raw_type {
            MARIADB_GTID => {
                advance(self);
                self.on_mariadb_gtid(ev.data(), hdr.server_id());
                return Ok(None);
            }
            MARIADB_ANNOTATE_ROWS
            | MARIADB_BINLOG_CHECKPOINT
            | MARIADB_GTID_LIST
            | MARIADB_START_ENCRYPTION => {
                advance(self);
                return Ok(None);
            }
            MARIADB_QUERY_COMPRESSED..=MARIADB_DELETE_ROWS_COMPRESSED => {
                return Err(fail(
                    Kind::Sync,
                    format!(
                        "the source {}:{} writes compressed binlog events (type {raw_type} at {}), which smt cannot read: \
                         SET GLOBAL log_bin_compress=OFF (and in my.cnf), then start over with `smt sync --reset`",
                        self.src.host, self.src.port, self.pos
                    ),
                ));
            }
            _ => {}
        }
        let data = ev.read_data().with_context(|| {
            format!(
                "decoding binlog event type {raw_type} ending at {}:{log_pos}",
                self.pos.file
            )
        })?;
        let Some(data) = data else {
            // Event types mysql_common does not know (MariaDB-specific): skip.
            advance(self);
            return Ok(None);
        };
        match data {
            EventData::RotateEvent(r) => {
                self.on_rotate(&r, log_pos);
                Ok(None)
            }
            EventData::FormatDescriptionEvent(_) => {
                advance(self);
                self.on_format_description(ts)?;
                Ok(None)
            }
            EventData::HeartbeatEvent => Ok(Some(SourceEvent::Heartbeat {
                pos: BinlogPosition::new(
                    self.pos.file.clone(),
                    u64::from(log_pos).max(self.pos.pos),
                ),
                server_ts: ts,
            })),
            EventData::GtidEvent(g) => {
                advance(self);
                self.gtid = Some(format!("{}:{}", uuid_text(&g.sid()), g.gno()));
                Ok(None)
            }
            EventData::TableMapEvent(t) => {
                advance(self);
                let same = self
                    .table_maps
                    .get(&t.table_id())
                    .is_some_and(|m| m.complete && m.raw == ev.data());
                if !same {
                    self.on_table_map(t, ev.data())?;
                }
                Ok(None)
            }
            EventData::RowsEvent(re) => {
                advance(self);
                let evs = self.rows_event(&re)?;
                self.pending.extend(evs);
                Ok(None)
            }
            EventData::XidEvent(_) => {
                advance(self);
                Ok(Some(self.commit(ts)))
            }
            EventData::QueryEvent(q) => {
                advance(self);
                Ok(self.on_query(&q, ts))
            }
            EventData::IncidentEvent(inc) => Err(fail(
                Kind::Sync,
                format!(
                    "the source {}:{} logged an incident at {} ({}): changes may be missing from its binlog; \
                     start over with `smt sync --reset`",
                    self.src.host,
                    self.src.port,
                    self.pos,
                    inc.message()
                ),
            )),
            EventData::TransactionPayloadEvent(_) => Err(fail(
                Kind::Sync,
                format!(
                    "the source {}:{} writes compressed transactions (binlog_transaction_compression=ON), which smt \
                     cannot read: SET GLOBAL binlog_transaction_compression=OFF (and in my.cnf), then start over with `smt sync --reset`",
                    self.src.host, self.src.port
                ),
            )),
            _ => {
                advance(self);
                Ok(None)
            }
        }
    }

    /// MariaDB's GTID event opens a transaction (or a standalone statement: DDL).
    fn on_mariadb_gtid(&mut self, d: &[u8], server_id: u32) {
        if d.len() >= 13 {
            let seq = u64::from_le_bytes(d[0..8].try_into().unwrap_or([0; 8]));
            let domain = u32::from_le_bytes(d[8..12].try_into().unwrap_or([0; 4]));
            self.gtid = Some(format!("{domain}-{server_id}-{seq}"));
            self.standalone = d[12] & 1 != 0;
            self.in_txn = !self.standalone;
        }
    }

    /// ROTATE: the next file (or, before the FDE, the name of the one we asked for).
    fn on_rotate(&mut self, r: &mysql::binlog::events::RotateEvent<'_>, log_pos: u32) {
        // The first (fake) ROTATE, sent before any FDE, carries 4 junk checksum bytes in
        // its name on MariaDB: ignore names seen before the FDE — we know the file we asked
        // for. Started by GTID we do not: its name is cut to `stem.digits`.
        if self.by_gtid && !self.seen_fde {
            let name = clean_rotate_name(r.name_raw());
            if !name.is_empty() {
                self.pos = BinlogPosition::new(name, r.position());
                if !self.in_txn {
                    self.resume = self.pos.clone();
                }
            }
            return;
        }
        if self.seen_fde || log_pos != 0 {
            let name = r.name().to_string();
            if !name.is_empty() && (self.seen_fde || name != self.pos.file) {
                self.pos = BinlogPosition::new(name, r.position());
                // A rotation is a transaction boundary: resuming there is safe when
                // nothing is in flight, and table ids restart.
                if !self.in_txn {
                    self.resume = self.pos.clone();
                }
            }
        }
    }

    /// FORMAT_DESCRIPTION: the file's creation time, checked against the one the checkpoint
    /// read (a recreated file with the same name is another history).
    fn on_format_description(&mut self, ts: u32) -> Result<()> {
        self.seen_fde = true;
        if ts != 0 {
            if let Some((file, want)) = &self.expect_created {
                if *file == self.pos.file && *want != ts {
                    return Err(history_replaced(
                        &self.src,
                        &self.pos,
                        &format!(
                            "its binlog file {file} was created at {} but the one the \
                             checkpoint read was created at {}",
                            unix_text(ts),
                            unix_text(*want)
                        ),
                    ));
                }
            }
            self.file_created = ts;
            self.expect_created = Some((self.pos.file.clone(), ts));
        }
        Ok(())
    }

    /// TABLE_MAP: which captured targets a table id feeds; its column count must be the one
    /// of the schema smt follows.
    fn on_table_map(&mut self, t: TableMapEvent<'_>, raw: &[u8]) -> Result<()> {
        let db = t.database_name().to_string();
        let name = t.table_name().to_string();
        let sref = SourceRef {
            database: db,
            table: name,
        };
        let capturing: Vec<usize> = self
            .tables
            .iter()
            .enumerate()
            .filter(|(_, ct)| ct.sources.contains(&sref) && ct.source_desc(&sref).is_some())
            .map(|(i, _)| i)
            .collect();
        let targets: Vec<usize> = capturing
            .iter()
            .copied()
            .filter(|i| self.after_start(*i))
            .collect();
        let complete = targets.len() == capturing.len();
        for &i in &targets {
            let desc = self.tables[i]
                .source_desc(&sref)
                .ok_or_else(|| anyhow!("no description"))?;
            if t.columns_count() as usize != desc.columns.len() {
                return Err(fail(
                    Kind::Sync,
                    format!(
                        "{} has {} columns in the binlog but {} were captured: the schema smt follows \
                         is not the one the binlog was written with (a DDL smt did not see); start over with \
                         `smt sync --reset`",
                        desc.qualified(),
                        t.columns_count(),
                        desc.columns.len()
                    ),
                ));
            }
        }
        self.table_maps.insert(
            t.table_id(),
            MappedTable {
                tme: t.into_owned(),
                sref: Arc::new(sref),
                targets: targets.into(),
                raw: raw.to_vec(),
                complete,
            },
        );
        Ok(())
    }

    /// Whether the event just read (its end: `pos`) belongs to a transaction that ends after
    /// table `i`'s snapshot position. A snapshot position is a transaction boundary, so a
    /// transaction's events are all before it or all after it.
    fn after_start(&self, i: usize) -> bool {
        self.starts.get(i).is_none_or(|s| self.pos > *s)
    }

    /// QUERY: BEGIN/COMMIT/XA boundaries, and statements (DDL) that end their own transaction.
    fn on_query(
        &mut self,
        q: &mysql::binlog::events::QueryEvent<'_>,
        ts: u32,
    ) -> Option<SourceEvent> {
        let sql = q.query().to_string();
        let trimmed = sql.trim();
        let upper: String = trimmed
            .chars()
            .take(16)
            .collect::<String>()
            .to_ascii_uppercase();
        if upper == "BEGIN" || upper.starts_with("XA START") {
            self.in_txn = true;
            return None;
        }
        if upper == "COMMIT"
            || upper == "ROLLBACK"
            || upper.starts_with("XA COMMIT")
            || upper.starts_with("XA END")
        {
            if upper.starts_with("XA END") {
                return None;
            }
            return Some(self.commit(ts));
        }
        if trimmed.starts_with('#') || trimmed.is_empty() {
            // "# Dummy event replacing event type ... that slave cannot handle."
            return None;
        }
        let database = q.schema().to_string();
        let end = self.pos.clone();
        // A statement outside BEGIN..COMMIT (DDL) ends its own transaction.
        let own_txn = !self.in_txn || is_ddl(trimmed);
        // A new table may be one the rules capture: the consumer decides (Ddl).
        let touches = self.ddl_touches_capture(&database, trimmed)
            || (self.opts.report_created_tables && creates_table(trimmed));
        if own_txn {
            self.in_txn = false;
            self.last_end = self.current;
            self.resume = end.clone();
            self.advance_resume_gtid();
            let gtid = self.gtid.take();
            self.standalone = false;
            if touches {
                return Some(SourceEvent::Ddl {
                    database,
                    sql,
                    end,
                    gtid,
                });
            }
            // Uncaptured DDL: still a committed boundary the consumer may checkpoint.
            return Some(SourceEvent::Commit {
                end,
                gtid,
                server_ts: ts,
            });
        }
        if touches {
            return Some(SourceEvent::Ddl {
                database,
                sql,
                end,
                gtid: None,
            });
        }
        None
    }

    fn commit(&mut self, ts: u32) -> SourceEvent {
        let end = self.pos.clone();
        self.last_end = self.current;
        self.resume = end.clone();
        self.advance_resume_gtid();
        self.standalone = false;
        self.in_txn = false;
        SourceEvent::Commit {
            end,
            gtid: self.gtid.take(),
            server_ts: ts,
        }
    }

    /// The group that just ended is applied: the GTID resume point moves past it.
    fn advance_resume_gtid(&mut self) {
        if let (Some(pos), Some(g)) = (
            self.resume_gtid.as_mut(),
            self.gtid.as_deref().and_then(Gtid::parse),
        ) {
            pos.apply(g);
        }
    }

    /// Whether a statement logged as text can affect a captured table: DDL or statement-logged
    /// DML whose text names a captured table, or a database-level statement on a captured
    /// database.
    fn ddl_touches_capture(&self, default_db: &str, sql: &str) -> bool {
        statement_touches(&self.captured_tables, &self.captured_dbs, default_db, sql)
    }

    /// One `Rows` event per capturing target (none for an uncaptured table).
    fn rows_event(&mut self, re: &RowsEventData<'_>) -> Result<Vec<SourceEvent>> {
        let Some(mapped) = self.table_maps.get(&re.table_id()) else {
            return Err(fail(
                Kind::Sync,
                format!(
                    "rows event for unknown table id {} at {}: the binlog stream is inconsistent",
                    re.table_id(),
                    self.pos
                ),
            ));
        };
        let sref = mapped.sref.clone();
        let targets = mapped.targets.clone();
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let kind = match re {
            RowsEventData::WriteRowsEventV1(_) | RowsEventData::WriteRowsEvent(_) => 0,
            RowsEventData::UpdateRowsEventV1(_) | RowsEventData::UpdateRowsEvent(_) => 1,
            RowsEventData::DeleteRowsEventV1(_) | RowsEventData::DeleteRowsEvent(_) => 2,
            RowsEventData::PartialUpdateRowsEvent(_) => {
                return Err(fail(
                    Kind::Sync,
                    format!(
                        "{}.{}: partial JSON update rows events cannot be replayed: set binlog_row_value_options='' on the source",
                        sref.database, sref.table
                    ),
                ))
            }
        };
        let mut out = Vec::new();
        for &target in targets.iter() {
            if let Some(ev) = self.decode_rows(re, target, &sref, kind)? {
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// Render the rows of `re` for `target`. `kind`: 0 write, 1 update, 2 delete.
    fn decode_rows(
        &mut self,
        re: &RowsEventData<'_>,
        target: usize,
        sref: &Arc<SourceRef>,
        kind: u8,
    ) -> Result<Option<SourceEvent>> {
        let mapped = self
            .table_maps
            .get(&re.table_id())
            .ok_or_else(|| anyhow!("table id {} vanished", re.table_id()))?;
        let ct = &self.tables[target];
        let desc = ct
            .source_desc(sref)
            .ok_or_else(|| anyhow!("no description of {}.{}", sref.database, sref.table))?;
        let key_idx: Vec<usize> = ct
            .key
            .iter()
            .filter_map(|k| ct.columns.iter().position(|c| &c.name == k))
            .collect();
        let mut changes = Vec::new();
        // mysql_common 0.37 overflows (a panic in debug builds) decoding negative TIME(1)/TIME(2)
        // values with a fraction; turn such a panic into an error instead of a crash.
        let tme = &mapped.tme;
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rowimage::images(re, &rowimage::ColumnCodec::of(tme)?)
        }))
        .map_err(|_| {
            fail(
                Kind::Sync,
                format!(
                    "the binlog decoder failed on a rows event of {}.{} at {} (mysql_common cannot decode \
                     negative TIME(1)/TIME(2) values with fractions in debug builds): use a release build of smt, \
                     or change the column to TIME(0) or TIME(3..6)",
                    sref.database, sref.table, self.pos
                ),
            )
        })?
        .with_context(|| {
            format!(
                "decoding a rows event of {}.{} at {}",
                sref.database, sref.table, self.pos
            )
        })?;
        let shape = RowShape::new(&ct.columns, desc)?;
        for (before, after) in decoded {
            let set_aside = self.opts.set_aside;
            let render = |row: &[BinlogValue], stats: &mut DecodeStats| -> Result<Row> {
                decode_row(
                    &ct.columns,
                    &shape,
                    sref,
                    |i, col, cd, tz, st| {
                        let r = row
                            .get(i)
                            .map(|v| decode_binlog(v, col, cd, tz, st))
                            .transpose();
                        or_set_aside(r, set_aside)
                    },
                    &self.tz,
                    stats,
                )
            };
            // The image a row had before (a delete, or the old key of an update). A value smt
            // refuses can never have reached StarRocks, so: a refused key column means no
            // StarRocks row has that key (nothing to delete: None); a refused value of another
            // column is NULL (a delete applies by key). Only what is loaded is refused.
            let render_old =
                |row: &[BinlogValue], stats: &mut DecodeStats| -> Result<Option<Row>> {
                    let mut keyless = false;
                    let r = decode_row(
                        &ct.columns,
                        &shape,
                        sref,
                        |i, col, cd, tz, st| match row
                            .get(i)
                            .map(|v| decode_binlog(v, col, cd, tz, st))
                            .transpose()
                        {
                            Err(e) if e.downcast_ref::<RefusedValue>().is_some() => {
                                keyless |= ct.key.iter().any(|k| k == &col.name);
                                Ok(Some(Cell::Null))
                            }
                            other => other,
                        },
                        &self.tz,
                        stats,
                    )?;
                    Ok((!keyless).then_some(r))
                };
            let missing = |what: &str| {
                fail(
                    Kind::Sync,
                    format!("{}.{}: a rows event lacks its {what} image: set binlog_row_image=FULL on the source", sref.database, sref.table),
                )
            };
            match kind {
                0 => {
                    let a = after.ok_or_else(|| missing("after"))?;
                    changes.push(RowChange::Insert(render(&a, &mut self.stats)?));
                }
                2 => {
                    let b = before.ok_or_else(|| missing("before"))?;
                    if let Some(b) = render_old(&b, &mut self.stats)? {
                        changes.push(RowChange::Delete(b));
                    }
                }
                _ => {
                    let b = render_old(&before.ok_or_else(|| missing("before"))?, &mut self.stats)?;
                    let a = render(&after.ok_or_else(|| missing("after"))?, &mut self.stats)?;
                    if ct.model == Model::Duplicate {
                        changes.push(RowChange::Replace {
                            before: b,
                            after: a,
                        });
                        continue;
                    }
                    match b {
                        Some(b) if key_idx.iter().any(|&i| b.get(i) != a.get(i)) => {
                            changes.push(RowChange::Delete(b));
                        }
                        _ => {}
                    }
                    changes.push(RowChange::Upsert(a));
                }
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        Ok(Some(SourceEvent::Rows {
            target,
            source: sref.clone(),
            changes,
        }))
    }
}

/// A rotate's file name as the server sent it, cut to `stem.digits`: the first fake rotate of a
/// MariaDB dump carries the 4 checksum bytes after the name (`environment.md` §2).
fn clean_rotate_name(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    match text.rfind('.') {
        Some(dot) => {
            let digits: String = text[dot + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if digits.is_empty() {
                text.trim_end_matches(|c: char| !c.is_ascii_graphic())
                    .to_string()
            } else {
                format!("{}.{digits}", &text[..dot])
            }
        }
        None => text
            .trim_end_matches(|c: char| !c.is_ascii_graphic())
            .to_string(),
    }
}

/// The statement text after leading whitespace and comments (`/* */`, `-- `, `#`); an executable
/// comment `/*!50100 ... */` counts as its contents.
fn strip_leading_comments(sql: &str) -> &str {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("/*!") {
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            return rest.trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            match rest.find("*/") {
                Some(e) => s = rest[e + 2..].trim_start(),
                None => return "",
            }
        } else if s.starts_with("-- ") || s.starts_with('#') {
            match s.find('\n') {
                Some(e) => s = s[e + 1..].trim_start(),
                None => return "",
            }
        } else {
            return s;
        }
    }
}

fn first_keyword(sql: &str) -> String {
    strip_leading_comments(sql)
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Whether a statement logged as text can affect a captured table: DDL or statement-logged DML
/// naming a captured table (in its database, or qualified), or a database-level statement on a
/// captured database.
pub fn statement_touches(
    captured_tables: &[(String, String)],
    captured_dbs: &[String],
    default_db: &str,
    sql: &str,
) -> bool {
    let relevant = matches!(
        first_keyword(sql).as_str(),
        "alter"
            | "create"
            | "drop"
            | "rename"
            | "truncate"
            | "insert"
            | "update"
            | "delete"
            | "replace"
            | "load"
    );
    if !relevant {
        return false;
    }
    let lower = sql.to_lowercase();
    let words = word_set(&lower);
    let named = |name: &str| {
        words.contains(name) || lower.contains(&format!("`{}`", name.replace('`', "``")))
    };
    let default_db = default_db.to_lowercase();
    for (db, t) in captured_tables {
        if named(t) && (db == &default_db || named(db)) {
            return true;
        }
    }
    if lower.contains("database") || lower.contains("schema") {
        return captured_dbs.iter().any(|d| named(d));
    }
    false
}

/// CREATE TABLE / RENAME TABLE (a statement that can bring a captured table into existence).
fn creates_table(sql: &str) -> bool {
    let first = first_keyword(sql);
    (first == "create" || first == "rename") && word_set(&sql.to_lowercase()).contains("table")
}

fn is_ddl(sql: &str) -> bool {
    let first = first_keyword(sql);
    matches!(
        first.as_str(),
        "alter"
            | "create"
            | "drop"
            | "rename"
            | "truncate"
            | "grant"
            | "revoke"
            | "analyze"
            | "optimize"
            | "repair"
            | "flush"
    )
}

/// Identifier-ish words of a statement (backticks and qualifiers split off).
fn word_set(lower: &str) -> std::collections::HashSet<&str> {
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn uuid_text(sid: &[u8; 16]) -> String {
    let h: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Lower-cased captured database names and (db, table) pairs of `tables`.
fn captured(tables: &[TablePlan]) -> (Vec<String>, Vec<(String, String)>) {
    let mut dbs = Vec::new();
    let mut names = Vec::new();
    for t in tables {
        for s in &t.sources {
            dbs.push(s.database.to_lowercase());
            names.push((s.database.to_lowercase(), s.table.to_lowercase()));
        }
    }
    dbs.sort();
    dbs.dedup();
    (dbs, names)
}

fn unix_text(ts: u32) -> String {
    jiff::Timestamp::from_second(i64::from(ts)).map_or_else(|_| ts.to_string(), |t| t.to_string())
}

/// The source's binlog at the checkpoint position is not the history the checkpoint recorded
/// (RESET MASTER, a restore, another server): resuming would skip or repeat changes.
pub fn history_replaced(src: &SourceConfig, pos: &BinlogPosition, why: &str) -> anyhow::Error {
    fail(
        Kind::Sync,
        format!(
            "the binlog of {}:{} is no longer the history the checkpoint follows ({why}): \
             resuming at {pos} would skip or repeat changes. If [db] now names another server of \
             the same replication topology, enable GTIDs there (MariaDB has them) so smt can \
             resume by GTID; otherwise start over with `smt sync --reset` (truncates the \
             targets and takes a fresh snapshot)",
            src.host, src.port
        ),
    )
}

/// What a server's binlog holds at a position (see [`probe_position`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probe {
    /// Creation time of the file (0 = unknown).
    pub file_created: u32,
    /// The first event at the probed offset, and the offset right after it.
    pub event: Option<(EventMark, u64)>,
}

/// Read the creation time of `file` and the header of the event starting at `start` (4 = the
/// file's own format description event) with a short-lived, non-blocking binlog dump.
pub fn probe_position(src: &SourceConfig, server_id: u32, file: &str, start: u64) -> Result<Probe> {
    let mut conn = source::connect_with(
        src,
        source::Timeouts {
            read: Duration::from_secs(30),
            ..source::Timeouts::default()
        },
    )?;
    source::session_utc(&mut conn)?;
    conn.query_drop("SET @mariadb_slave_capability = 4")?;
    let req = BinlogRequest::new(server_id)
        .with_filename(file.as_bytes().to_vec())
        .with_pos(start.max(4))
        .with_flags(BinlogDumpFlags::BINLOG_DUMP_NON_BLOCK);
    let mut stream = conn.get_binlog_stream(req).with_context(|| {
        format!(
            "reading the binlog of {}:{} at {file}:{start}",
            src.host, src.port
        )
    })?;
    let mut probe = Probe::default();
    for ev in stream.by_ref() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(mysql::Error::MySqlError(me)) if me.code == 1236 => break,
            Err(e) => return Err(anyhow!(e).context("reading the binlog")),
        };
        let h = ev.header();
        let fde = h.event_type_raw() == 15;
        if fde && probe.file_created == 0 {
            probe.file_created = h.timestamp();
        }
        if h.log_pos() == 0 || (fde && start > 4) {
            continue;
        }
        let end = u64::from(h.log_pos());
        probe.event = Some((
            EventMark {
                start: end.saturating_sub(u64::from(h.event_size())),
                timestamp: h.timestamp(),
                server_id: h.server_id(),
                type_code: h.event_type_raw(),
            },
            end,
        ));
        break;
    }
    Ok(probe)
}

fn purged_error(src: &SourceConfig, from: &BinlogPosition) -> anyhow::Error {
    fail(
        Kind::Sync,
        format!(
            "binlog position {from} no longer exists on {}:{} (the binlog was purged or the server was reset): \
             start over with `smt sync --reset` (truncates the targets and takes a fresh snapshot); keep \
             binlogs longer (binlog_expire_logs_seconds / expire_logs_days) to avoid this",
            src.host, src.port
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_attribution() {
        let tables = vec![
            ("shop".to_string(), "orders".to_string()),
            ("shop".to_string(), "my-t".to_string()),
        ];
        let dbs = vec!["shop".to_string()];
        let t = |db: &str, sql: &str| statement_touches(&tables, &dbs, db, sql);
        assert!(t("shop", "ALTER TABLE orders ADD COLUMN x INT"));
        assert!(t("other", "ALTER TABLE `shop`.`orders` ADD COLUMN x INT"));
        assert!(t("shop", "/* gh-ost */ RENAME TABLE orders TO orders_old"));
        assert!(t("shop", "/*!40000 ALTER TABLE `orders` DISABLE KEYS */"));
        assert!(t("shop", "-- note\nTRUNCATE orders"));
        assert!(t("shop", "DROP TABLE `my-t`"));
        assert!(t("x", "DROP DATABASE shop"));
        assert!(
            t("shop", "INSERT INTO orders VALUES (1)"),
            "statement-logged DML"
        );
        assert!(
            !t("other", "ALTER TABLE orders ADD COLUMN x INT"),
            "another database's orders"
        );
        assert!(!t("shop", "CREATE TABLE orders_archive (id INT)"));
        assert!(!t("shop", "GRANT SELECT ON shop.orders TO u"));
        assert!(!t("shop", "DROP TABLE my"));
        assert!(!t("x", "DROP DATABASE shopping"));
        assert_eq!(first_keyword("  /* a */ /* b */ create table"), "create");
        assert_eq!(first_keyword("# c\n drop table"), "drop");
        assert_eq!(first_keyword("/* unterminated"), "");
    }

    #[test]
    fn uuid_formatting() {
        let sid = [
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
            0x95, 0x63,
        ];
        assert_eq!(uuid_text(&sid), "3e11fa47-71ca-11e1-9e33-c80aa9429563");
    }
}
