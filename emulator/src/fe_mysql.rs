//! FE query port: a hand-written MySQL protocol server (HandshakeV10 + mysql_native_password,
//! COM_QUERY / COM_PING / COM_QUIT / COM_INIT_DB, text result sets).
//!
//! Invariant: every client command gets exactly one reply (OK, result set, or ERR); statements the
//! emulator does not implement get ERR 1064 "not supported by the StarRocks emulator: ...", never a
//! silent OK (only `SET ...` is accepted as a no-op, like session settings on a real FE).

use crate::analyze;
use crate::faults::{FaultKind, Target};
use crate::sql::{self, AlterOp, SelItem, Select, SqlError, Stmt, TableName};
use crate::state::{Row, Shared, Table};
use crate::types::sort_key;
use sha1::{Digest, Sha1};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

const CLIENT_LONG_PASSWORD: u32 = 1;
const CLIENT_FOUND_ROWS: u32 = 2;
const CLIENT_LONG_FLAG: u32 = 4;
const CLIENT_CONNECT_WITH_DB: u32 = 8;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_TRANSACTIONS: u32 = 0x2000;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_MULTI_RESULTS: u32 = 0x20000;
const CLIENT_PLUGIN_AUTH: u32 = 0x80000;
const CLIENT_CONNECT_ATTRS: u32 = 0x100000;
const CLIENT_PLUGIN_AUTH_LENENC: u32 = 0x200000;

const SERVER_CAPS: u32 = CLIENT_LONG_PASSWORD
    | CLIENT_FOUND_ROWS
    | CLIENT_LONG_FLAG
    | CLIENT_CONNECT_WITH_DB
    | CLIENT_PROTOCOL_41
    | CLIENT_TRANSACTIONS
    | CLIENT_SECURE_CONNECTION
    | CLIENT_MULTI_RESULTS
    | CLIENT_PLUGIN_AUTH
    | CLIENT_CONNECT_ATTRS
    | CLIENT_PLUGIN_AUTH_LENENC;

const STATUS_AUTOCOMMIT: u16 = 2;
pub const MYSQL_SERVER_VERSION: &str = "5.1.0";

static CONN_ID: AtomicU32 = AtomicU32::new(1);

pub fn serve(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let sh = shared.clone();
        std::thread::spawn(move || {
            let _guard = sh.register(&stream, None);
            let _ = handle_conn(stream, sh.clone());
        });
    }
}

/// MySQL packet framing. Written packets are buffered and sent in one write when the next
/// command is read (or the connection ends), so a result set is one TCP send.
struct PacketIo {
    s: TcpStream,
    seq: u8,
    pending: Vec<u8>,
}

impl Drop for PacketIo {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl PacketIo {
    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let r = self.s.write_all(&self.pending);
        self.pending.clear();
        r
    }
    fn read(&mut self) -> std::io::Result<Vec<u8>> {
        self.flush()?;
        let mut out = Vec::new();
        loop {
            let mut h = [0u8; 4];
            self.s.read_exact(&mut h)?;
            let len = h[0] as usize | (h[1] as usize) << 8 | (h[2] as usize) << 16;
            self.seq = h[3].wrapping_add(1);
            let start = out.len();
            out.resize(start + len, 0);
            self.s.read_exact(&mut out[start..])?;
            if len < 0xFF_FFFF {
                return Ok(out);
            }
        }
    }
    fn write(&mut self, payload: &[u8]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(payload.len() + 4);
        let mut chunks = payload.chunks(0xFF_FFFF).peekable();
        if payload.is_empty() {
            buf.extend_from_slice(&[0, 0, 0, self.seq]);
            self.seq = self.seq.wrapping_add(1);
        }
        while let Some(c) = chunks.next() {
            let n = c.len();
            buf.extend_from_slice(&[n as u8, (n >> 8) as u8, (n >> 16) as u8, self.seq]);
            self.seq = self.seq.wrapping_add(1);
            buf.extend_from_slice(c);
            if n == 0xFF_FFFF && chunks.peek().is_none() {
                buf.extend_from_slice(&[0, 0, 0, self.seq]);
                self.seq = self.seq.wrapping_add(1);
            }
        }
        self.pending.extend_from_slice(&buf);
        if self.pending.len() > 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }
    fn ok(&mut self, affected: u64) -> std::io::Result<()> {
        self.ok_info(affected, "")
    }
    /// OK packet with an info message (StarRocks puts a DML's label, status and txn id there).
    fn ok_info(&mut self, affected: u64, info: &str) -> std::io::Result<()> {
        let mut p = vec![0u8];
        lenenc_int(&mut p, affected);
        lenenc_int(&mut p, 0);
        p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
        p.extend_from_slice(&0u16.to_le_bytes());
        if !info.is_empty() {
            // MySQL's `net_send_ok` writes the info as a length-encoded string.
            lenenc_str(&mut p, info.as_bytes());
        }
        self.write(&p)
    }
    fn err(&mut self, e: &SqlError) -> std::io::Result<()> {
        let mut p = vec![0xFFu8];
        p.extend_from_slice(&e.code.to_le_bytes());
        p.push(b'#');
        let mut st = e.state.as_bytes().to_vec();
        st.resize(5, b'0');
        p.extend_from_slice(&st);
        p.extend_from_slice(e.message.as_bytes());
        self.write(&p)
    }
    fn eof(&mut self) -> std::io::Result<()> {
        let mut p = vec![0xFEu8];
        p.extend_from_slice(&0u16.to_le_bytes());
        p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
        self.write(&p)
    }
    fn result_set(&mut self, rs: &ResultSet) -> std::io::Result<()> {
        let mut p = Vec::new();
        lenenc_int(&mut p, rs.cols.len() as u64);
        self.write(&p)?;
        for (name, kind) in &rs.cols {
            let mut c = Vec::new();
            lenenc_str(&mut c, b"def");
            lenenc_str(&mut c, b"");
            lenenc_str(&mut c, b"");
            lenenc_str(&mut c, b"");
            lenenc_str(&mut c, name.as_bytes());
            lenenc_str(&mut c, name.as_bytes());
            c.push(0x0c);
            let m = kind.mysql();
            c.extend_from_slice(&m.charset.to_le_bytes());
            c.extend_from_slice(&m.len.to_le_bytes());
            c.push(m.code);
            c.extend_from_slice(&0u16.to_le_bytes());
            c.push(m.decimals);
            c.extend_from_slice(&[0, 0]);
            self.write(&c)?;
        }
        self.eof()?;
        let hex: Vec<bool> = rs.cols.iter().map(|(_, k)| k.mysql().hex_bytes).collect();
        for row in &rs.rows {
            let mut r = Vec::new();
            for (i, v) in row.iter().enumerate() {
                match v {
                    None => r.push(0xFB),
                    // VARBINARY is stored as hex text and sent as its bytes.
                    Some(s) if hex.get(i) == Some(&true) => {
                        let b: Vec<u8> = (0..s.len() / 2)
                            .filter_map(|j| u8::from_str_radix(s.get(2 * j..2 * j + 2)?, 16).ok())
                            .collect();
                        lenenc_str(&mut r, &b)
                    }
                    Some(s) => lenenc_str(&mut r, s.as_bytes()),
                }
            }
            self.write(&r)?;
        }
        self.eof()
    }
}

fn lenenc_int(p: &mut Vec<u8>, v: u64) {
    if v < 251 {
        p.push(v as u8);
    } else if v < 1 << 16 {
        p.push(0xFC);
        p.extend_from_slice(&(v as u16).to_le_bytes());
    } else if v < 1 << 24 {
        p.push(0xFD);
        p.extend_from_slice(&(v as u32).to_le_bytes()[..3]);
    } else {
        p.push(0xFE);
        p.extend_from_slice(&v.to_le_bytes());
    }
}

fn lenenc_str(p: &mut Vec<u8>, s: &[u8]) {
    lenenc_int(p, s.len() as u64);
    p.extend_from_slice(s);
}

fn read_lenenc(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let first = *buf.get(*pos)?;
    *pos += 1;
    let n = match first {
        0xFC => 2,
        0xFD => 3,
        0xFE => 8,
        x => return Some(x as u64),
    };
    let bytes = buf.get(*pos..*pos + n)?;
    *pos += n;
    let mut v = 0u64;
    for (i, b) in bytes.iter().enumerate() {
        v |= (*b as u64) << (8 * i);
    }
    Some(v)
}

fn read_nul(buf: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let rest = buf.get(*pos..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    *pos += end + 1;
    Some(rest[..end].to_vec())
}

pub fn make_scramble() -> [u8; 20] {
    static CTR: AtomicU32 = AtomicU32::new(0);
    let mut h = Sha1::new();
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(t.to_le_bytes());
    h.update(CTR.fetch_add(1, Ordering::SeqCst).to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let d = h.finalize();
    let mut out = [0u8; 20];
    for (i, b) in d.iter().enumerate() {
        out[i] = (b % 94) + 33;
    }
    out
}

/// mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))).
pub fn native_password_token(password: &str, scramble: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let h1 = Sha1::digest(password.as_bytes());
    let h2 = Sha1::digest(h1);
    let mut h = Sha1::new();
    h.update(scramble);
    h.update(h2);
    let h3 = h.finalize();
    h1.iter().zip(h3.iter()).map(|(a, b)| a ^ b).collect()
}

fn handle_conn(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let peer_ip = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|_| "127.0.0.1".into());
    let _ = stream.set_nodelay(true);
    let mut io = PacketIo {
        s: stream,
        seq: 0,
        pending: Vec::new(),
    };
    let conn_id = CONN_ID.fetch_add(1, Ordering::SeqCst);
    let scramble = make_scramble();
    // HandshakeV10
    let mut p = vec![10u8];
    p.extend_from_slice(MYSQL_SERVER_VERSION.as_bytes());
    p.push(0);
    p.extend_from_slice(&conn_id.to_le_bytes());
    p.extend_from_slice(&scramble[..8]);
    p.push(0);
    p.extend_from_slice(&(SERVER_CAPS as u16).to_le_bytes());
    p.push(33);
    p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
    p.extend_from_slice(&((SERVER_CAPS >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0u8; 10]);
    p.extend_from_slice(&scramble[8..]);
    p.push(0);
    p.extend_from_slice(b"mysql_native_password\0");
    io.write(&p)?;

    let resp = io.read()?;
    let bad = |io: &mut PacketIo| io.err(&SqlError::new(1043, "08S01", "Bad handshake"));
    if resp.len() < 32 {
        return bad(&mut io);
    }
    let caps = u32::from_le_bytes([resp[0], resp[1], resp[2], resp[3]]);
    if caps & CLIENT_PROTOCOL_41 == 0 {
        return bad(&mut io);
    }
    let mut pos = 32;
    let Some(user) = read_nul(&resp, &mut pos) else {
        return bad(&mut io);
    };
    let user = String::from_utf8_lossy(&user).to_string();
    let auth: Vec<u8> = if caps & CLIENT_PLUGIN_AUTH_LENENC != 0 {
        let Some(n) = read_lenenc(&resp, &mut pos) else {
            return bad(&mut io);
        };
        let v = resp
            .get(pos..pos + n as usize)
            .map(|s| s.to_vec())
            .unwrap_or_default();
        pos += n as usize;
        v
    } else if caps & CLIENT_SECURE_CONNECTION != 0 {
        let n = *resp.get(pos).unwrap_or(&0) as usize;
        pos += 1;
        let v = resp
            .get(pos..pos + n)
            .map(|s| s.to_vec())
            .unwrap_or_default();
        pos += n;
        v
    } else {
        read_nul(&resp, &mut pos).unwrap_or_default()
    };
    let mut db = None;
    if caps & CLIENT_CONNECT_WITH_DB != 0 {
        if let Some(d) = read_nul(&resp, &mut pos) {
            if !d.is_empty() {
                db = Some(String::from_utf8_lossy(&d).to_string());
            }
        }
    }
    let mut plugin = b"mysql_native_password".to_vec();
    if caps & CLIENT_PLUGIN_AUTH != 0 {
        if let Some(pl) = read_nul(&resp, &mut pos) {
            if !pl.is_empty() {
                plugin = pl;
            }
        }
    }
    let mut auth = auth;
    let mut used_scramble = scramble.to_vec();
    if plugin != b"mysql_native_password" {
        // AuthSwitchRequest to mysql_native_password with a fresh scramble.
        let s2 = make_scramble();
        let mut sw = vec![0xFEu8];
        sw.extend_from_slice(b"mysql_native_password\0");
        sw.extend_from_slice(&s2);
        sw.push(0);
        io.write(&sw)?;
        auth = io.read()?;
        used_scramble = s2.to_vec();
    }
    let expected = native_password_token(&shared.cfg.password, &used_scramble);
    if user != shared.cfg.user || auth != expected {
        let using = if auth.is_empty() { "NO" } else { "YES" };
        return io.err(&SqlError::new(
            1045,
            "28000",
            format!("Access denied for user '{user}'@'{peer_ip}' (using password: {using})"),
        ));
    }
    let mut session = Session {
        db: None,
        conn_id,
        user: user.clone(),
    };
    if let Some(d) = db {
        if !shared.lock().dbs.contains_key(&d) {
            return io.err(&SqlError::new(
                1049,
                "42000",
                format!("Unknown database '{d}'"),
            ));
        }
        session.db = Some(d);
    }
    io.ok(0)?;

    loop {
        let pkt = match io.read() {
            Ok(p) => p,
            Err(_) => return Ok(()),
        };
        let Some(&cmd) = pkt.first() else {
            return Ok(());
        };
        match cmd {
            0x01 => return Ok(()), // COM_QUIT
            0x0e => io.ok(0)?,     // COM_PING
            0x02 => {
                // COM_INIT_DB
                let name = String::from_utf8_lossy(&pkt[1..]).to_string();
                match exec_stmt(&shared, &mut session, Stmt::Use(name)) {
                    Ok(_) => io.ok(0)?,
                    Err(e) => io.err(&e)?,
                }
            }
            0x03 => {
                let q = String::from_utf8_lossy(&pkt[1..]).to_string();
                match run_query(&shared, &mut session, &q) {
                    Ok(Reply::Ok(n)) => io.ok(n)?,
                    Ok(Reply::OkInfo(n, info)) => io.ok_info(n, &info)?,
                    Ok(Reply::Rows(rs)) => io.result_set(&rs)?,
                    Err(e) => io.err(&e)?,
                }
            }
            0x1f | 0x11 => io.ok(0)?, // COM_RESET_CONNECTION, COM_CHANGE_USER (not re-authenticated)
            0x1b => io.eof()?,        // COM_SET_OPTION
            0x16 => io.err(&SqlError::unsupported(
                "prepared statements (COM_STMT_PREPARE); use text queries",
            ))?,
            other => io.err(&SqlError::unsupported(format!(
                "MySQL command 0x{other:02x}"
            )))?,
        }
    }
}

pub struct Session {
    pub db: Option<String>,
    pub conn_id: u32,
    pub user: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColKind {
    /// BIGINT (counts, numeric variables).
    Int,
    /// VARCHAR.
    Text,
    /// As StarRocks describes a value of a column type (`query::mysql_col`).
    Mysql(crate::query::MysqlCol),
}

impl ColKind {
    fn mysql(&self) -> crate::query::MysqlCol {
        match self {
            ColKind::Int => crate::query::MysqlCol {
                code: crate::query::MYSQL_TYPE_LONGLONG,
                charset: 63,
                len: 20,
                decimals: 0,
                hex_bytes: false,
            },
            ColKind::Text => crate::query::varchar_col(false),
            ColKind::Mysql(m) => *m,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ResultSet {
    pub cols: Vec<(String, ColKind)>,
    pub rows: Vec<Vec<Option<String>>>,
}

pub enum Reply {
    Ok(u64),
    /// OK with affected rows and an info message.
    OkInfo(u64, String),
    Rows(ResultSet),
}

pub fn run_query(shared: &Shared, session: &mut Session, q: &str) -> Result<Reply, SqlError> {
    let stmt = sql::parse(q)?;
    let is_ddl = matches!(
        stmt,
        Stmt::CreateDb { .. }
            | Stmt::DropDb { .. }
            | Stmt::CreateTable { .. }
            | Stmt::DropTable { .. }
            | Stmt::Truncate(_)
            | Stmt::Alter { .. }
            | Stmt::Insert { .. }
            | Stmt::Delete { .. }
    );
    if is_ddl {
        if let Some(f) = shared.faults().take(Target::Ddl) {
            match f {
                FaultKind::FailDdl { code, message } => {
                    return Err(SqlError::new(code, "HY000", message))
                }
                FaultKind::Delay { ms } => std::thread::sleep(std::time::Duration::from_millis(ms)),
                other => {
                    return Err(SqlError::new(
                        1064,
                        "HY000",
                        format!("injected fault: {other:?}"),
                    ))
                }
            }
        }
    }
    exec_stmt(shared, session, stmt)
}

fn resolve_db(session: &Session, t: &TableName) -> Result<String, SqlError> {
    match (&t.db, &session.db) {
        (Some(d), _) => Ok(d.clone()),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(SqlError::new(1046, "3D000", "No database selected")),
    }
}

fn unknown_db(name: &str) -> SqlError {
    SqlError::new(1049, "42000", format!("Unknown database '{name}'"))
}
fn unknown_table(db: &str, name: &str) -> SqlError {
    SqlError::new(1146, "42S02", format!("Table '{db}.{name}' doesn't exist"))
}

fn text_rs(cols: &[&str], rows: Vec<Vec<Option<String>>>) -> Reply {
    Reply::Rows(ResultSet {
        cols: cols
            .iter()
            .map(|c| (c.to_string(), ColKind::Text))
            .collect(),
        rows,
    })
}

pub fn exec_stmt(shared: &Shared, session: &mut Session, stmt: Stmt) -> Result<Reply, SqlError> {
    match stmt {
        Stmt::Empty | Stmt::Set => Ok(Reply::Ok(0)),
        Stmt::CreateDb {
            name,
            if_not_exists,
        } => {
            analyze::check_db_name(&name)?;
            let mut st = shared.lock();
            if st.dbs.contains_key(&name) {
                if if_not_exists {
                    return Ok(Reply::Ok(0));
                }
                return Err(SqlError::new(
                    1007,
                    "HY000",
                    format!("Can't create database '{name}'; database exists"),
                ));
            }
            st.dbs.insert(
                name.clone(),
                crate::state::Database {
                    name: name.clone(),
                    ..Default::default()
                },
            );
            shared.persist_db(&mut st, &name);
            Ok(Reply::Ok(1))
        }
        Stmt::DropDb { name, if_exists } => {
            let mut st = shared.lock();
            if st.dbs.remove(&name).is_none() {
                if if_exists {
                    return Ok(Reply::Ok(0));
                }
                return Err(SqlError::new(
                    1008,
                    "HY000",
                    format!("Can't drop database '{name}'; database doesn't exist"),
                ));
            }
            shared.persist_db(&mut st, &name);
            if session.db.as_deref() == Some(&name) {
                session.db = None;
            }
            Ok(Reply::Ok(0))
        }
        Stmt::Use(name) => {
            if !shared.lock().dbs.contains_key(&name) {
                return Err(unknown_db(&name));
            }
            session.db = Some(name);
            Ok(Reply::Ok(0))
        }
        Stmt::CreateTable {
            table,
            mut def,
            if_not_exists,
        } => {
            let dbn = resolve_db(session, &table)?;
            analyze::check_table(&mut def, shared.cfg.backends, shared.version())?;
            let mut st = shared.lock();
            let db = st.dbs.get_mut(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            if db.tables.contains_key(&def.name) {
                if if_not_exists {
                    return Ok(Reply::Ok(0));
                }
                return Err(SqlError::new(
                    1050,
                    "42S01",
                    format!("Table '{}' already exists", def.name),
                ));
            }
            db.tables.insert(def.name.clone(), Table::new(def));
            shared.persist_db(&mut st, &dbn);
            Ok(Reply::Ok(0))
        }
        Stmt::DropTable { table, if_exists } => {
            let dbn = resolve_db(session, &table)?;
            let mut st = shared.lock();
            let db = st.dbs.get_mut(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            if db.tables.remove(&table.name).is_none() {
                if if_exists {
                    return Ok(Reply::Ok(0));
                }
                return Err(SqlError::new(
                    1051,
                    "42S02",
                    format!("Unknown table '{}'", table.name),
                ));
            }
            shared.persist_db(&mut st, &dbn);
            Ok(Reply::Ok(0))
        }
        Stmt::Truncate(table) => {
            let dbn = resolve_db(session, &table)?;
            let mut st = shared.lock();
            let db = st.dbs.get_mut(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            let t = db
                .tables
                .get_mut(&table.name)
                .ok_or_else(|| unknown_table(&dbn, &table.name))?;
            t.set_rows(Vec::new());
            t.rows_committed = 0;
            shared.persist_db(&mut st, &dbn);
            Ok(Reply::Ok(0))
        }
        Stmt::Alter { table, op } => {
            let dbn = resolve_db(session, &table)?;
            let now_text = now_text(shared);
            let now = shared.now_ms();
            let version = shared.version();
            let mut st = shared.lock();
            st.next_job_id = st.next_job_id.max(20000) + 1;
            let job_id = st.next_job_id;
            let watershed = st.next_txn_id;
            let db = st.dbs.get_mut(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            let running = db
                .alter_jobs
                .iter()
                .any(|j| j.table == table.name && j.state == "RUNNING");
            let t = db
                .tables
                .get_mut(&table.name)
                .ok_or_else(|| unknown_table(&dbn, &table.name))?;
            // FE `InvalidOlapTableStateException.of(SCHEMA_CHANGE, table)`: a second ALTER is
            // refused while the table's schema-change job runs.
            if running {
                return Err(SqlError::new(
                    1064,
                    "HY000",
                    format!(
                        "A schema change operation is in progress on the table \"{}\". Please wait until \
                         the current operation completes.\nTo check the status of the operation, see {}",
                        table.name, SHOW_ALTER_DOC
                    ),
                ));
            }
            if let AlterOp::SetProperties(props) = &op {
                crate::schema_change::check_set_properties(&t.def, props, shared.cfg.backends)?;
            }
            // Validate on a copy; the job applies the change when it finishes.
            let mut probe = t.clone();
            alter(&mut probe, op.clone(), &now_text)?;
            // Fast schema evolution (FE `SchemaChangeHandler`; shared-nothing since v3.2, FE
            // config `enable_fast_schema_evolution` default true, table property
            // `fast_schema_evolution`): adding or dropping a value column changes metadata only
            // and is done when the statement returns. Everything else is a schema-change job.
            let prop_off = t
                .def
                .properties
                .iter()
                .any(|(k, v)| k == "fast_schema_evolution" && v.eq_ignore_ascii_case("false"));
            let light = matches!(op, AlterOp::AddColumn { .. } | AlterOp::DropColumn(_));
            // A comment (`processModifyColumnComment`, `AlterTableCommentClause`) and table
            // properties change metadata only, and never create a job.
            let metadata = matches!(
                op,
                AlterOp::ModifyColumnComment { .. }
                    | AlterOp::SetProperties(_)
                    | AlterOp::TableComment(_)
            );
            if metadata || (version >= (3, 2, 0) && !prop_off && light) {
                *t = probe;
            } else {
                db.alter_jobs.push(crate::state::AlterJob {
                    id: job_id,
                    table: table.name.clone(),
                    create_ms: now,
                    due_ms: now + shared.cfg.alter_job_ms,
                    finish_ms: None,
                    index_id: job_id + 1,
                    origin_index_id: 10000 + job_id % 10000,
                    schema_version: 1,
                    txn_id: watershed,
                    state: "RUNNING".into(),
                    msg: String::new(),
                    timeout_s: 86400,
                    op: Some(op),
                });
            }
            shared.persist_db(&mut st, &dbn);
            Ok(Reply::Ok(0))
        }
        Stmt::ShowAlterColumn {
            db,
            filters,
            order,
            limit,
        } => {
            let dbn = match db.or_else(|| session.db.clone()) {
                Some(d) => d,
                None => return Err(SqlError::new(1046, "3D000", "No database selected")),
            };
            let st = shared.lock();
            let d = st.dbs.get(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            // FE `SchemaChangeProcDir.TITLE_NAMES` and `SchemaChangeJobV2.getInfo`.
            let cols = [
                "JobId",
                "TableName",
                "CreateTime",
                "FinishTime",
                "IndexName",
                "IndexId",
                "OriginIndexId",
                "SchemaVersion",
                "TransactionId",
                "State",
                "Msg",
                "Progress",
                "Timeout",
            ];
            let time = |ms: u64| civil_from_unix((ms / 1000) as i64);
            let mut rows: Vec<Vec<Option<String>>> = d
                .alter_jobs
                .iter()
                .map(|j| {
                    vec![
                        Some(j.id.to_string()),
                        Some(j.table.clone()),
                        Some(time(j.create_ms)),
                        Some(j.finish_ms.map(time).unwrap_or_else(|| "NULL".into())),
                        Some(j.table.clone()),
                        Some(j.index_id.to_string()),
                        Some(j.origin_index_id.to_string()),
                        Some(format!("{}:0", j.schema_version)),
                        Some(j.txn_id.to_string()),
                        Some(j.state.clone()),
                        Some(j.msg.clone()),
                        Some("NULL".into()),
                        Some(j.timeout_s.to_string()),
                    ]
                })
                .collect();
            for (col, v) in &filters {
                let Some(i) = cols.iter().position(|c| c.eq_ignore_ascii_case(col)) else {
                    return Err(SqlError::analysis(format!("Unknown column '{col}'")));
                };
                rows.retain(|r| r[i].as_deref() == Some(v.as_str()));
            }
            if let Some((col, desc)) = order {
                let Some(i) = cols.iter().position(|c| c.eq_ignore_ascii_case(&col)) else {
                    return Err(SqlError::analysis(format!("Unknown column '{col}'")));
                };
                rows.sort_by(|a, b| {
                    let (x, y) = (
                        a[i].clone().unwrap_or_default(),
                        b[i].clone().unwrap_or_default(),
                    );
                    let o = match (x.parse::<i64>(), y.parse::<i64>()) {
                        (Ok(p), Ok(q)) => p.cmp(&q),
                        _ => x.cmp(&y),
                    };
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                });
            }
            if let Some(n) = limit {
                rows.truncate(n as usize);
            }
            Ok(text_rs(&cols, rows))
        }
        Stmt::ShowDatabases(pat) => {
            let st = shared.lock();
            let mut names = vec!["information_schema".to_string()];
            names.extend(st.dbs.keys().cloned());
            let rows = names
                .into_iter()
                .filter(|n| pat.as_deref().is_none_or(|p| sql::like(p, n)))
                .map(|n| vec![Some(n)])
                .collect();
            Ok(text_rs(&["Database"], rows))
        }
        Stmt::Describe(table) => {
            let dbn = resolve_db(session, &table)?;
            let st = shared.lock();
            let d = st.dbs.get(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            let t = d
                .tables
                .get(&table.name)
                .ok_or_else(|| unknown_table(&dbn, &table.name))?;
            let nkeys = t.def.key_cols.len();
            let rows = t
                .def
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let default = match &c.default {
                        None | Some(sql::DefaultValue::Null) => None,
                        Some(sql::DefaultValue::Literal(v)) => Some(v.clone()),
                        Some(sql::DefaultValue::CurrentTimestamp) => {
                            Some("CURRENT_TIMESTAMP".into())
                        }
                        Some(sql::DefaultValue::Func(f)) => Some(format!("{f}()")),
                    };
                    vec![
                        Some(c.name.clone()),
                        Some(c.ty.render()),
                        Some(if c.nullable { "YES" } else { "NO" }.to_string()),
                        Some(if i < nkeys { "true" } else { "false" }.to_string()),
                        default,
                        Some(c.agg.clone().unwrap_or_default()),
                    ]
                })
                .collect();
            Ok(text_rs(
                &["Field", "Type", "Null", "Key", "Default", "Extra"],
                rows,
            ))
        }
        Stmt::Insert {
            table,
            columns,
            rows,
        } => {
            let dbn = resolve_db(session, &table)?;
            let now = now_text(shared);
            let mut st = shared.lock();
            let d = st.dbs.get_mut(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            let t = d
                .tables
                .get_mut(&table.name)
                .ok_or_else(|| unknown_table(&dbn, &table.name))?;
            let ops = insert_rows(t, columns, rows, &now)?;
            let n = ops.len() as u64;
            let ops = if shared.cfg.store_rows {
                ops
            } else {
                Vec::new()
            };
            d.commit_rows(&table.name, ops, n, false, shared.rows_mode());
            shared.persist_db(&mut st, &dbn);
            Ok(Reply::Ok(n))
        }
        Stmt::ShowTables(db, pat) => {
            let dbn = match db.or_else(|| session.db.clone()) {
                Some(d) => d,
                None => return Err(SqlError::new(1046, "3D000", "No database selected")),
            };
            let st = shared.lock();
            let d = st.dbs.get(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            let rows = d
                .tables
                .keys()
                .filter(|n| pat.as_deref().is_none_or(|p| sql::like(p, n)))
                .map(|k| vec![Some(k.clone())])
                .collect();
            Ok(text_rs(&[&format!("Tables_in_{dbn}")], rows))
        }
        Stmt::ShowCreateTable(table) => {
            let dbn = resolve_db(session, &table)?;
            let st = shared.lock();
            let d = st.dbs.get(&dbn).ok_or_else(|| unknown_db(&dbn))?;
            let t = d
                .tables
                .get(&table.name)
                .ok_or_else(|| unknown_table(&dbn, &table.name))?;
            Ok(text_rs(
                &["Table", "Create Table"],
                vec![vec![
                    Some(table.name.clone()),
                    Some(sql::render_create_table(&t.def)),
                ]],
            ))
        }
        Stmt::ShowBackends => Ok(show_backends(shared)),
        Stmt::Select(sel) => select(shared, session, sel),
        Stmt::Delete {
            table,
            partition,
            filter,
        } => delete(shared, session, table, partition, filter),
    }
}

/// FE `FeConstants.DOCUMENT_SHOW_ALTER`.
const SHOW_ALTER_DOC: &str =
    "https://docs.starrocks.io/en-us/latest/sql-reference/sql-statements/data-manipulation/SHOW%20ALTER";

fn now_text(shared: &Shared) -> String {
    let secs = (shared.now_ms() / 1000) as i64;
    civil_from_unix(secs)
}

/// UTC "YYYY-MM-DD HH:MM:SS" for a unix timestamp.
pub fn civil_from_unix(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        y,
        m,
        d,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

pub(crate) fn alter(t: &mut Table, op: AlterOp, now_text: &str) -> Result<(), SqlError> {
    let mut rows = t.all_rows();
    let mut def = t.def.clone();
    match op {
        AlterOp::AddColumn {
            mut col,
            after,
            first,
        } => {
            analyze::check_column(&col)?;
            if def.col_index(&col.name).is_some() {
                return Err(SqlError::analysis(format!(
                    "Duplicate column name '{}'",
                    col.name
                )));
            }
            // FE `AlterTableClauseAnalyzer.visitAddColumnClause` and
            // `SchemaChangeHandler.addColumnInternal`.
            if col.key_flag && def.keys_type == sql::KeysType::Primary {
                return Err(SqlError::new(
                    1064,
                    "HY000",
                    format!("Can not add key column: {} for primary key table", col.name),
                ));
            }
            if col.key_flag {
                return Err(SqlError::unsupported("adding a key column"));
            }
            if first {
                return Err(SqlError::analysis(format!(
                    "Cannot add value column[{}] at first",
                    col.name
                )));
            }
            if !col.nullable && col.default.is_none() {
                return Err(SqlError::analysis(format!(
                    "Field '{}' is not null but doesn't have a default value",
                    col.name
                )));
            }
            if def.keys_type == sql::KeysType::Aggregate && col.agg.is_none() {
                col.agg = Some("REPLACE".into());
            }
            let pos = match after {
                Some(a) => {
                    let i = def
                        .col_index(&a)
                        .ok_or_else(|| SqlError::analysis(format!("Column[{a}] does not exist")))?;
                    if i + 1 < def.key_cols.len() {
                        return Err(SqlError::analysis(
                            "Can not add a value column between key columns",
                        ));
                    }
                    i + 1
                }
                None => def.columns.len(),
            };
            def.columns.insert(pos, col);
            let v = Table::default_for(&def, pos, now_text);
            for r in rows.iter_mut() {
                r.insert(pos, v.clone());
            }
        }
        AlterOp::DropColumn(name) => {
            let i = def
                .col_index(&name)
                .ok_or_else(|| SqlError::analysis(format!("Column does not exists: {name}")))?;
            if i < def.key_cols.len() {
                return Err(SqlError::analysis(format!(
                    "Can not drop key column {name} in {} table",
                    def.keys_type.sql()
                )));
            }
            if def.columns.len() == 1 {
                return Err(SqlError::analysis("Can not drop the last column"));
            }
            def.columns.remove(i);
            for r in rows.iter_mut() {
                r.remove(i);
            }
        }
        AlterOp::ModifyColumn { mut col } => {
            analyze::check_column(&col)?;
            let i = def.col_index(&col.name).ok_or_else(|| {
                SqlError::analysis(format!("Column[{}] does not exist", col.name))
            })?;
            let is_key = i < def.key_cols.len();
            crate::schema_change::check_modify(&def, i, &col)?;
            if def.keys_type == sql::KeysType::Aggregate && !is_key && col.agg.is_none() {
                col.agg = def.columns[i].agg.clone();
            }
            for r in rows.iter_mut() {
                if let Some(v) = r[i].clone() {
                    let nv = crate::types::convert(&col.ty, &v).map_err(|e| {
                        SqlError::analysis(format!(
                            "Can not change column type: existing value does not convert: {e}"
                        ))
                    })?;
                    r[i] = Some(nv);
                } else if !col.nullable {
                    return Err(SqlError::analysis(format!(
                        "Can not change column '{}' to NOT NULL: it holds NULL values",
                        col.name
                    )));
                }
            }
            col.name = def.columns[i].name.clone();
            def.columns[i] = col;
        }
        AlterOp::ModifyColumnComment { name, comment } => {
            let i = def
                .col_index(&name)
                .ok_or_else(|| SqlError::analysis(format!("Column[{name}] does not exist")))?;
            def.columns[i].comment = Some(comment);
        }
        AlterOp::SetProperties(props) => crate::schema_change::apply_properties(&mut def, props),
        AlterOp::TableComment(comment) => def.comment = Some(comment),
    }
    t.def = def;
    t.set_rows(rows);
    Ok(())
}

/// INSERT ... VALUES: convert strictly (any bad value fails the whole statement, like a real
/// INSERT in strict mode).
fn insert_rows(
    t: &Table,
    columns: Option<Vec<String>>,
    rows: Vec<Vec<Option<String>>>,
    now: &str,
) -> Result<Vec<crate::state::RowOp>, SqlError> {
    let def = &t.def;
    let targets: Vec<usize> = match &columns {
        None => (0..def.columns.len()).collect(),
        Some(cols) => {
            let mut v = Vec::new();
            for c in cols {
                v.push(def.col_index(c).ok_or_else(|| {
                    SqlError::analysis(format!("Unknown column '{c}' in '{}'", def.name))
                })?);
            }
            v
        }
    };
    let mut ops = Vec::new();
    for r in rows {
        if r.len() != targets.len() {
            return Err(SqlError::analysis(format!(
                "Column count doesn't match value count: expected {}, got {}",
                targets.len(),
                r.len()
            )));
        }
        let mut row: crate::state::Row = (0..def.columns.len())
            .map(|i| Table::default_for(def, i, now))
            .collect();
        for (ti, v) in targets.iter().zip(r) {
            let c = &def.columns[*ti];
            row[*ti] = match v {
                None => None,
                Some(raw) => Some(
                    crate::types::convert(&c.ty, &raw)
                        .map_err(|e| SqlError::analysis(format!("column '{}': {e}", c.name)))?,
                ),
            };
        }
        for (i, c) in def.columns.iter().enumerate() {
            if row[i].is_none() && !c.nullable {
                return Err(SqlError::analysis(format!(
                    "column '{}' is NOT NULL and got no value",
                    c.name
                )));
            }
        }
        ops.push(crate::state::RowOp {
            delete: false,
            row,
            present: None,
        });
    }
    Ok(ops)
}

fn show_backends(shared: &Shared) -> Reply {
    let cols = [
        "BackendId",
        "IP",
        "HeartbeatPort",
        "BePort",
        "HttpPort",
        "BrpcPort",
        "LastStartTime",
        "LastHeartbeat",
        "Alive",
        "SystemDecommissioned",
        "ClusterDecommissioned",
        "TabletNum",
        "DataUsedCapacity",
        "AvailCapacity",
        "TotalCapacity",
        "UsedPct",
        "MaxDiskUsedPct",
        "ErrMsg",
        "Version",
        "Status",
        "DataTotalCapacity",
        "DataUsedPct",
        "CpuCores",
        "MemLimit",
        "NumRunningQueries",
        "MemUsedPct",
        "CpuUsedPct",
        "DataCacheMetrics",
        "Location",
        "StatusCode",
    ];
    let now = now_text(shared);
    let rows = (0..shared.cfg.backends)
        .map(|i| {
            let vals: Vec<String> = vec![
                (10001 + i).to_string(),
                "127.0.0.1".into(),
                "9050".into(),
                "9060".into(),
                shared
                    .be_addr(i as usize)
                    .map(|a| a.port())
                    .unwrap_or(8040)
                    .to_string(),
                "8060".into(),
                now.clone(),
                now.clone(),
                "true".into(),
                "false".into(),
                "false".into(),
                "0".into(),
                "0.000 B".into(),
                "100.000 GB".into(),
                "100.000 GB".into(),
                "0.00 %".into(),
                "0.00 %".into(),
                "".into(),
                shared.cfg.version.clone(),
                "{\"lastSuccessReportTabletsTime\":\"N/A\"}".into(),
                "100.000 GB".into(),
                "0.00 %".into(),
                "2".into(),
                "2.000GB".into(),
                "0".into(),
                "0.00 %".into(),
                "0.0 %".into(),
                "N/A".into(),
                "".into(),
                "OK".into(),
            ];
            vals.into_iter().map(Some).collect()
        })
        .collect();
    text_rs(&cols, rows)
}

fn sys_var(shared: &Shared, name: &str) -> Result<(Option<String>, ColKind), SqlError> {
    let v = match name.to_ascii_lowercase().as_str() {
        "max_allowed_packet" => (Some("33554432".into()), ColKind::Int),
        // The mysql crate (v28) panics on a NULL @@socket; an empty string means "no socket".
        "socket" => (Some(String::new()), ColKind::Text),
        "version" => (Some(MYSQL_SERVER_VERSION.into()), ColKind::Text),
        "version_comment" => (
            Some(format!(
                "StarRocks version {} (StarRocks emulator test fixture)",
                shared.cfg.version
            )),
            ColKind::Text,
        ),
        "wait_timeout" | "interactive_timeout" => (Some("28800".into()), ColKind::Int),
        "autocommit" => (Some("1".into()), ColKind::Int),
        "sql_mode" => (Some("ONLY_FULL_GROUP_BY".into()), ColKind::Text),
        "time_zone" | "system_time_zone" => (Some("Asia/Shanghai".into()), ColKind::Text),
        "tx_isolation" | "transaction_isolation" => (Some("REPEATABLE-READ".into()), ColKind::Text),
        "lower_case_table_names" => (Some("0".into()), ColKind::Int),
        "character_set_client"
        | "character_set_connection"
        | "character_set_results"
        | "character_set_server" => (Some("utf8".into()), ColKind::Text),
        "collation_connection" | "collation_server" | "collation_database" => {
            (Some("utf8_general_ci".into()), ColKind::Text)
        }
        "net_write_timeout" | "net_read_timeout" => (Some("60".into()), ColKind::Int),
        "query_timeout" => (Some("300".into()), ColKind::Int),
        _ => {
            return Err(SqlError::new(
                1193,
                "HY000",
                format!("Unknown system variable '{name}'"),
            ))
        }
    };
    Ok(v)
}

fn select(shared: &Shared, session: &Session, sel: Select) -> Result<Reply, SqlError> {
    let from = sel
        .from
        .clone()
        .filter(|f| !(f.db.is_none() && f.name.eq_ignore_ascii_case("dual")));
    let Some(from) = from else {
        let mut cols = Vec::new();
        let mut row = Vec::new();
        for (item, label) in &sel.items {
            let (v, k) = match item {
                SelItem::Literal(s, num) => (
                    Some(s.clone()),
                    if *num { ColKind::Int } else { ColKind::Text },
                ),
                SelItem::Null => (None, ColKind::Text),
                SelItem::SysVar(n) => sys_var(shared, n)?,
                SelItem::Func(f) => match f.as_str() {
                    "version" => (Some(MYSQL_SERVER_VERSION.into()), ColKind::Text),
                    "current_version" => (Some(shared.cfg.version.clone()), ColKind::Text),
                    "database" | "schema" => (session.db.clone(), ColKind::Text),
                    "user" | "current_user" => {
                        (Some(format!("'{}'@'%'", session.user)), ColKind::Text)
                    }
                    "connection_id" => (Some(session.conn_id.to_string()), ColKind::Int),
                    "now" | "current_timestamp" => (Some(now_text(shared)), ColKind::Text),
                    other => return Err(SqlError::unsupported(format!("function {other}()"))),
                },
                SelItem::Star
                | SelItem::Column(_)
                | SelItem::CountStar
                | SelItem::Count(_)
                | SelItem::Min(_)
                | SelItem::Max(_)
                | SelItem::Hex(_)
                | SelItem::CastVarchar(_) => {
                    return Err(SqlError::analysis("No tables used"));
                }
            };
            cols.push((label.clone(), k));
            row.push(v);
        }
        let rows = if sel.limit == Some(0) {
            vec![]
        } else {
            vec![row]
        };
        return Ok(Reply::Rows(ResultSet { cols, rows }));
    };
    let dbn = resolve_db(session, &from)?;
    let st = shared.lock();
    let d = st.dbs.get(&dbn).ok_or_else(|| unknown_db(&dbn))?;
    let t = d
        .tables
        .get(&from.name)
        .ok_or_else(|| unknown_table(&dbn, &from.name))?;
    select_table(shared, t, &sel)
}

/// SELECT from a table: WHERE, ORDER BY, LIMIT / OFFSET, projections (`*`, columns, `hex(c)`,
/// `CAST(c AS VARCHAR)`) or aggregates (`COUNT(*)`, `COUNT(c)`, `MIN(c)`, `MAX(c)`), see
/// `query.rs`. Without stored rows (`store_rows = false`) only `COUNT(*)` without WHERE answers
/// (the committed row count).
fn select_table(shared: &Shared, t: &Table, sel: &Select) -> Result<Reply, SqlError> {
    use crate::query::{self, OrderKey};
    let def = &t.def;
    let count_only = sel.items.iter().all(|(i, _)| *i == SelItem::CountStar);
    if !shared.cfg.store_rows {
        if count_only && sel.filter.is_none() {
            let n = t.rows_committed.to_string();
            let cols = sel
                .items
                .iter()
                .map(|(_, l)| (l.clone(), ColKind::Int))
                .collect();
            let row = sel.items.iter().map(|_| Some(n.clone())).collect();
            let rows = if sel.limit == Some(0) || sel.offset.unwrap_or(0) > 0 {
                vec![]
            } else {
                vec![row]
            };
            return Ok(Reply::Rows(ResultSet { cols, rows }));
        }
        return Err(SqlError::unsupported(
            "reading rows: they are not stored (store_rows = false / --no-store); \
             only SELECT COUNT(*) FROM t without WHERE answers (the committed row count)",
        ));
    }
    let filter = match &sel.filter {
        Some(p) => Some(query::compile(def, p)?),
        None => None,
    };
    let matches = |r: &Row| -> bool {
        filter
            .as_ref()
            .is_none_or(|f| query::eval(f, def, r) == Some(true))
    };
    let aggregate = sel.items.iter().any(|(i, _)| i.is_aggregate());
    if aggregate {
        if let Some((i, _)) = sel.items.iter().find(|(i, _)| !i.is_aggregate()) {
            return Err(SqlError::analysis(format!(
                "'{}' must be an aggregate expression or appear in GROUP BY clause",
                match i {
                    SelItem::Column(c) | SelItem::Hex(c) | SelItem::CastVarchar(c) => c.clone(),
                    other => format!("{other:?}"),
                }
            )));
        }
        let mut specs = Vec::new();
        for (item, label) in &sel.items {
            let spec = match item {
                SelItem::CountStar => (None, 0u8),
                SelItem::Count(c) => (Some(query::col_index(def, c)?), 0),
                SelItem::Min(c) => (Some(query::col_index(def, c)?), 1),
                SelItem::Max(c) => (Some(query::col_index(def, c)?), 2),
                _ => unreachable!("all items are aggregates"),
            };
            specs.push((spec, label.clone()));
        }
        let mut counts = vec![0u64; specs.len()];
        let mut best: Vec<Option<&str>> = vec![None; specs.len()];
        for r in t.row_iter().filter(|r| matches(r)) {
            for (k, ((col, kind), _)) in specs.iter().enumerate() {
                let v = col.and_then(|c| r[c].as_deref());
                match (col, kind) {
                    (None, _) => counts[k] += 1,
                    (Some(_), 0) => counts[k] += v.is_some() as u64,
                    (Some(c), _) => {
                        if let Some(v) = v {
                            let ty = &def.columns[*c].ty;
                            let better = match best[k] {
                                None => true,
                                Some(b) => {
                                    let o = sort_key(ty, Some(v)).cmp(&sort_key(ty, Some(b)));
                                    if *kind == 1 {
                                        o.is_lt()
                                    } else {
                                        o.is_gt()
                                    }
                                }
                            };
                            if better {
                                best[k] = Some(v);
                            }
                        }
                    }
                }
            }
        }
        let cols = specs
            .iter()
            .map(|((col, kind), l)| match (col, kind) {
                (Some(c), 1 | 2) => (
                    l.clone(),
                    ColKind::Mysql(query::mysql_col(&def.columns[*c].ty)),
                ),
                _ => (l.clone(), ColKind::Int),
            })
            .collect();
        let row: Vec<Option<String>> = specs
            .iter()
            .enumerate()
            .map(|(k, ((_, kind), _))| match kind {
                0 => Some(counts[k].to_string()),
                _ => best[k].map(|s| s.to_string()),
            })
            .collect();
        let rows = if sel.limit == Some(0) || sel.offset.unwrap_or(0) > 0 {
            vec![]
        } else {
            vec![row]
        };
        return Ok(Reply::Rows(ResultSet { cols, rows }));
    }
    // Projection: (column index, label, how the value is shown).
    enum Show {
        Value,
        Hex,
        Varchar,
    }
    let mut proj: Vec<(usize, String, Show)> = Vec::new();
    for (item, label) in &sel.items {
        let plain = |c: &str| {
            if label.contains('.') || label.starts_with('`') {
                c.to_string()
            } else {
                label.clone()
            }
        };
        match item {
            SelItem::Star => {
                for (i, c) in def.columns.iter().enumerate() {
                    proj.push((i, c.name.clone(), Show::Value));
                }
            }
            SelItem::Column(c) => proj.push((query::col_index(def, c)?, plain(c), Show::Value)),
            SelItem::Hex(c) => proj.push((query::col_index(def, c)?, label.clone(), Show::Hex)),
            SelItem::CastVarchar(c) => {
                proj.push((query::col_index(def, c)?, label.clone(), Show::Varchar))
            }
            _ => {
                return Err(SqlError::unsupported(
                    "this SELECT list with FROM (use *, columns, hex(c), CAST(c AS VARCHAR), COUNT(*), COUNT(c), MIN(c), MAX(c))",
                ))
            }
        }
    }
    let mut keys = Vec::new();
    for (k, (c, desc)) in sel.order_by.iter().enumerate() {
        let col = query::col_index(def, c)?;
        let nulls_first = sel.order_nulls.get(k).copied().flatten().unwrap_or(!desc);
        keys.push(OrderKey {
            col,
            desc: *desc,
            nulls_first,
        });
    }
    let offset = sel.offset.unwrap_or(0) as usize;
    let want = sel.limit.map(|l| offset.saturating_add(l as usize));
    // Rows already come in key order (PRIMARY/UNIQUE/AGGREGATE tables) when the ORDER BY is a
    // prefix of the key, all in one direction with default NULL ordering: then stop early.
    let key_idx = def.key_indexes();
    let in_storage_order = keys.is_empty()
        || (t.keyed()
            && keys.len() <= key_idx.len()
            && keys.iter().zip(&key_idx).all(|(k, i)| k.col == *i)
            && keys
                .iter()
                .all(|k| k.desc == keys[0].desc && k.nulls_first != k.desc));
    let mut picked: Vec<&Row> = Vec::new();
    if in_storage_order {
        let descending = keys.first().is_some_and(|k| k.desc);
        // Ascending over a keyed table: start at the lowest first-key value the WHERE allows.
        let start = match (&filter, key_idx.first()) {
            (Some(f), Some(&k0)) if t.keyed() && !descending => {
                query::lower_bound(f, k0, &def.columns[k0].ty)
                    .map(|b| vec![sort_key(&def.columns[k0].ty, Some(&b))])
            }
            _ => None,
        };
        let it: Box<dyn Iterator<Item = &Row>> = match (descending, start) {
            (true, _) if t.keyed() => Box::new(t.keyed.values().rev()),
            (true, _) => Box::new(t.dup.iter().rev()),
            (false, Some(from)) => Box::new(t.keyed.range(from..).map(|(_, r)| r)),
            (false, None) => t.row_iter(),
        };
        for r in it.filter(|r| matches(r)) {
            if want.is_some_and(|w| picked.len() >= w) {
                break;
            }
            picked.push(r);
        }
    } else {
        picked = t.row_iter().filter(|r| matches(r)).collect();
        picked.sort_by(|a, b| query::cmp_rows(def, &keys, a, b));
        if let Some(w) = want {
            picked.truncate(w);
        }
    }
    let picked = picked.get(offset.min(picked.len())..).unwrap_or(&[]);
    let cols = proj
        .iter()
        .map(|(i, l, show)| {
            let ty = &def.columns[*i].ty;
            let kind = match show {
                Show::Value => ColKind::Mysql(query::mysql_col(ty)),
                Show::Hex => ColKind::Mysql(query::varchar_col(false)),
                Show::Varchar => ColKind::Mysql(query::varchar_col(query::mysql_col(ty).hex_bytes)),
            };
            (l.clone(), kind)
        })
        .collect();
    let rows = picked
        .iter()
        .map(|r| {
            proj.iter()
                .map(|(i, _, show)| {
                    let v = r[*i].as_deref()?;
                    Some(match show {
                        Show::Hex => query::hex_of(&def.columns[*i].ty, v),
                        _ => v.to_string(),
                    })
                })
                .collect()
        })
        .collect();
    Ok(Reply::Rows(ResultSet { cols, rows }))
}

/// A DELETE statement: StarRocks' rules per table type (see `query.rs`); every matching row goes
/// (all duplicates on DUPLICATE tables), atomically, as one VISIBLE transaction with a label
/// `delete_...` (FE `DeleteMgr.createJob` for DUPLICATE/UNIQUE/AGGREGATE tables:
/// `"delete_" + UUID`; PRIMARY KEY tables run it as DML, `MetaUtils.genDeleteLabel`:
/// `"delete_" + DebugUtil.printId(executionId)`). Not counted in `load_count`. The OK packet's
/// info is `{'label':'...', 'status':'VISIBLE', 'txnId':'N'}` (`DeleteJob.commit`); affected rows
/// are the deleted rows on PRIMARY KEY tables, 0 otherwise.
fn delete(
    shared: &Shared,
    session: &Session,
    table: TableName,
    partition: Option<String>,
    filter: Option<sql::Pred>,
) -> Result<Reply, SqlError> {
    use crate::query;
    let dbn = resolve_db(session, &table)?;
    let now = shared.now_ms();
    let mut st = shared.lock();
    let (primary, keyed) = {
        let d = st.dbs.get(&dbn).ok_or_else(|| unknown_db(&dbn))?;
        let t = d
            .tables
            .get(&table.name)
            .ok_or_else(|| unknown_table(&dbn, &table.name))?;
        (t.def.keys_type == sql::KeysType::Primary, t.keyed())
    };
    // DeleteAnalyzer.analyze / analyzeNonPrimaryKey
    if partition.is_some() {
        return Err(if primary {
            SqlError::analysis("Delete for primary key table do not support specifying partitions")
        } else {
            SqlError::unsupported("DELETE ... PARTITION (partitions are not modelled)")
        });
    }
    let Some(filter) = filter else {
        return Err(SqlError::analysis(if primary {
            "Delete must specify where clause to prevent full table delete"
        } else {
            "Where clause is not set"
        }));
    };
    let matched: Vec<Row> = {
        let t = &st.dbs[&dbn].tables[&table.name];
        let compiled = if primary {
            query::compile(&t.def, &filter)?
        } else {
            match query::compile_delete_conditions(&t.def, &filter)? {
                Some(c) => c,
                // `col = NULL` / `col IN (NULL)`: nothing to delete, no transaction.
                None => return Ok(Reply::Ok(0)),
            }
        };
        let mut rows: Vec<Row> = t
            .row_iter()
            .filter(|r| query::eval(&compiled, &t.def, r) == Some(true))
            .cloned()
            .collect();
        if !keyed {
            // One delete op per distinct row removes all its duplicates.
            let mut seen = std::collections::HashSet::new();
            rows.retain(|r| seen.insert(r.clone()));
        }
        rows
    };
    let deleted = if keyed {
        matched.len() as u64
    } else {
        let t = &st.dbs[&dbn].tables[&table.name];
        let set: std::collections::HashSet<&Row> = matched.iter().collect();
        t.dup.iter().filter(|r| set.contains(r)).count() as u64
    };
    let id = st.alloc_txn_id();
    let label = delete_label(shared, primary, id);
    let mut txn = crate::load::new_txn(id, &label, &table.name, false, now, 0);
    txn.state = crate::state::TxnState::Visible;
    txn.total_rows = deleted;
    txn.loaded_rows = deleted;
    let ops = matched
        .into_iter()
        .map(|row| crate::state::RowOp {
            delete: true,
            row,
            present: None,
        })
        .collect();
    let mode = shared.rows_mode();
    let d = st.dbs.get_mut(&dbn).ok_or_else(|| unknown_db(&dbn))?;
    d.txns.insert(label.clone(), txn);
    d.commit_rows(&table.name, ops, 0, false, mode);
    shared.persist_db(&mut st, &dbn);
    let info = format!("{{'label':'{label}', 'status':'VISIBLE', 'txnId':'{id}'}}");
    Ok(Reply::OkInfo(if primary { deleted } else { 0 }, info))
}

/// `delete_<uuid>` (DUPLICATE/UNIQUE/AGGREGATE) or `delete_<hi>-<lo>` (PRIMARY KEY, a query id
/// printed by `DebugUtil.printId`), from a hash of the clock and the transaction id.
fn delete_label(shared: &Shared, primary: bool, id: u64) -> String {
    let mut h = Sha1::new();
    h.update(shared.now_ms().to_le_bytes());
    h.update(id.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let d = h.finalize();
    let hi = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    let lo = u64::from_be_bytes([d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]]);
    if primary {
        format!("delete_{hi:x}-{lo:x}")
    } else {
        let x = format!("{hi:016x}{lo:016x}");
        format!(
            "delete_{}-{}-4{}-{}-{}",
            &x[0..8],
            &x[8..12],
            &x[13..16],
            &x[16..20],
            &x[20..32]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time() {
        assert_eq!(civil_from_unix(0), "1970-01-01 00:00:00");
        assert_eq!(civil_from_unix(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(civil_from_unix(1_700_000_000), "2023-11-14 22:13:20");
    }

    #[test]
    fn native_password_scramble_round_trip() {
        // The server check: SHA1(token XOR SHA1(scramble + SHA1(SHA1(pw)))) == SHA1(SHA1(pw)).
        let scramble = make_scramble();
        let tok = native_password_token("pw", &scramble);
        let h2 = Sha1::digest(Sha1::digest(b"pw"));
        let mut h = Sha1::new();
        h.update(scramble);
        h.update(h2);
        let x = h.finalize();
        let h1: Vec<u8> = tok.iter().zip(x.iter()).map(|(a, b)| a ^ b).collect();
        assert_eq!(Sha1::digest(&h1).to_vec(), h2.to_vec());
        assert!(native_password_token("", &scramble).is_empty());
        assert!(scramble.iter().all(|b| *b != 0));
    }

    #[test]
    fn lenenc() {
        let mut p = Vec::new();
        lenenc_int(&mut p, 250);
        lenenc_int(&mut p, 251);
        lenenc_int(&mut p, 70000);
        lenenc_int(&mut p, 1 << 30);
        let mut pos = 0;
        assert_eq!(read_lenenc(&p, &mut pos), Some(250));
        assert_eq!(read_lenenc(&p, &mut pos), Some(251));
        assert_eq!(read_lenenc(&p, &mut pos), Some(70000));
        assert_eq!(read_lenenc(&p, &mut pos), Some(1 << 30));
    }
}
