//! Value decoding: the one place that turns a source value into the target's [`Cell`], shared by
//! the snapshot and the binlog ("render" in this code base means SQL text: `crate::render`).
//!
//! Invariant: the same stored source value decodes to the same `Cell` on both paths. It holds
//! because (1) the snapshot SELECT list ([`snapshot_select_list`]) asks the server for the same
//! raw representation the binlog carries — TIMESTAMP as epoch seconds (`UNIX_TIMESTAMP`), ENUM as
//! its 1-based index and SET as its bitmask (`col+0`), geometry as the internal SRID+WKB bytes,
//! BIT as big-endian bytes — and is read through the binary protocol (typed values, like the
//! binlog), and (2) both [`decode_snapshot`] and [`decode_binlog`] funnel into [`decode_value`],
//! whose only per-path differences are normalisations of known binlog decoder quirks (unsigned
//! integers logged signed, YEAR 0000 decoded as "1900", SET as a little-endian byte mask).

use crate::plan::{ColumnOrigin, Encoding, SourceRef, SrType, TargetColumn, ZERO_DATE_KEY};
use crate::schema::{ColumnDesc, IntWidth, SourceType, TableDesc};
use crate::sync::cell::{Cell, Row};
use anyhow::{anyhow, bail, Result};
use mysql::binlog::value::BinlogValue;
use mysql::Value;

/// The zone TIMESTAMP values are rendered in (config `[db] time_zone`, else the server's).
#[derive(Clone, Debug)]
pub enum TimeZoneSpec {
    /// Seconds east of UTC.
    Fixed(i32),
    Named(jiff::tz::TimeZone),
}

impl TimeZoneSpec {
    /// Parse a configured zone: `+08:00`, `-05:30`, `UTC`, `Z`, or an IANA name (`Asia/Shanghai`).
    pub fn parse(s: &str) -> Result<TimeZoneSpec> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(TimeZoneSpec::Fixed(0));
        }
        if let Some(rest) = t
            .strip_prefix('+')
            .map(|r| (1, r))
            .or_else(|| t.strip_prefix('-').map(|r| (-1, r)))
        {
            let (sign, body) = rest;
            let (h, m) = body.split_once(':').unwrap_or((body, "0"));
            let h: i32 = h
                .parse()
                .map_err(|_| anyhow!("invalid time zone offset {t:?}: use +HH:MM"))?;
            let m: i32 = m
                .parse()
                .map_err(|_| anyhow!("invalid time zone offset {t:?}: use +HH:MM"))?;
            if !(0..=14).contains(&h) || !(0..60).contains(&m) {
                bail!("invalid time zone offset {t:?}: hours 0..14, minutes 0..59");
            }
            return Ok(TimeZoneSpec::Fixed(sign * (h * 3600 + m * 60)));
        }
        let tz = jiff::tz::TimeZone::get(t).map_err(|e| {
            anyhow!(
                "unknown time zone {t:?} ({e}): use +HH:MM, UTC or an IANA name like Asia/Shanghai"
            )
        })?;
        Ok(TimeZoneSpec::Named(tz))
    }

    fn jiff_tz(&self) -> Result<jiff::tz::TimeZone> {
        match self {
            TimeZoneSpec::Fixed(s) => {
                let off = jiff::tz::Offset::from_seconds(*s)
                    .map_err(|e| anyhow!("time zone offset {s}s: {e}"))?;
                Ok(jiff::tz::TimeZone::fixed(off))
            }
            TimeZoneSpec::Named(z) => Ok(z.clone()),
        }
    }
}

pub mod json;

/// Counters of values rendered specially (for the sync report). Each counter is also logged
/// (a warning naming the column) the first time and whenever it reaches a power of two.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Zero or partial-zero dates (`0000-00-00`, `2024-00-10`) and zero TIMESTAMPs rendered as
    /// NULL (columns outside a PRIMARY KEY).
    pub zero_dates: u64,
    /// Zero dates of PRIMARY KEY columns rendered as [`ZERO_DATE_KEY`] ([`Encoding::KeyDate`]).
    pub zero_date_keys: u64,
    /// Numbers inside JSON documents rewritten as the double StarRocks holds (integers beyond
    /// 64 bits, MariaDB's `1.`): see [`json`].
    pub json_numbers: u64,
}

/// Add `n` to `counter`; true when it reached its first value or a new power of two (the
/// moments worth a log line).
fn bump(counter: &mut u64, n: u64) -> bool {
    let before = *counter;
    *counter = before.saturating_add(n);
    n > 0 && (before == 0 || counter.ilog2() > before.ilog2())
}

/// A source value StarRocks cannot hold and smt cannot carry without changing what it means: the
/// row is refused. The error names the column and the value (`decode_row` adds the table); it
/// is a definite failure (exit 7), found with `anyhow::Error::downcast_ref::<RefusedValue>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedValue {
    pub column: String,
    /// The value as text, shortened when long.
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for RefusedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "column {} holds {}: {}",
            crate::ident::quote(&self.column),
            self.value,
            self.reason
        )
    }
}

impl std::error::Error for RefusedValue {}

/// With the quarantine on (`set_aside`), a value smt refuses becomes a [`Cell::Refused`] in its
/// row (the row then goes to the dead-letter table, not to its table) instead of an error that
/// stops the sync. Other errors pass.
#[inline(always)]
pub fn or_set_aside(r: Result<Option<Cell>>, set_aside: bool) -> Result<Option<Cell>> {
    match r {
        Err(e) if set_aside => set_aside_error(e),
        other => other,
    }
}

#[cold]
fn set_aside_error(e: anyhow::Error) -> Result<Option<Cell>> {
    match e.downcast_ref::<RefusedValue>() {
        Some(v) => Ok(Some(Cell::Refused(Box::new(super::cell::Refusal {
            value: v.value.clone(),
            why: v.to_string(),
        })))),
        None => Err(e),
    }
}

impl RefusedValue {
    fn error(column: &str, value: &str, reason: String) -> anyhow::Error {
        const MAX: usize = 120;
        let shown = if value.len() > MAX {
            let mut end = MAX;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            format!("{:?}… ({} bytes)", &value[..end], value.len())
        } else {
            format!("{value:?}")
        };
        // The Failure is the root (so the chain says: definite, exit 7); the RefusedValue is its
        // context (found with `anyhow::Error::downcast_ref`, through any outer context).
        anyhow::Error::new(crate::error::Failure::new(
            crate::error::Kind::Sync,
            "the row is refused; correct the value in the source",
        ))
        .context(RefusedValue {
            column: column.to_string(),
            value: shown,
            reason,
        })
    }
}

/// Which path a value came from (only used to normalise known binlog decoder quirks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Snapshot,
    Binlog,
}

/// The SELECT list reading every column of `table` in ordinal order, each in the raw form the
/// binlog carries (see the module doc). Row value `i` is then column ordinal `i + 1`, as in the
/// binlog.
pub fn snapshot_select_list(table: &TableDesc) -> String {
    let mut cols = table.columns.clone();
    cols.sort_by_key(|c| c.ordinal);
    let parts: Vec<String> = cols
        .iter()
        .map(|c| {
            let q = crate::ident::quote(&c.name);
            match &c.ty {
                SourceType::Timestamp { .. } => format!("UNIX_TIMESTAMP({q})"),
                SourceType::Enum(_) | SourceType::Set(_) => format!("({q}+0)"),
                SourceType::Int { .. }
                | SourceType::Bit(_)
                | SourceType::Float { .. }
                | SourceType::Double { .. }
                | SourceType::Decimal { .. }
                | SourceType::Char(_)
                | SourceType::Varchar(_)
                | SourceType::Text(_)
                | SourceType::Binary(_)
                | SourceType::Varbinary(_)
                | SourceType::Blob(_)
                | SourceType::Date
                | SourceType::DateTime { .. }
                | SourceType::Time { .. }
                | SourceType::Year
                | SourceType::Json
                | SourceType::Geometry(_)
                | SourceType::Unknown(_) => q,
            }
        })
        .collect();
    parts.join(", ")
}

/// Render one snapshot value (read with [`snapshot_select_list`] over the binary protocol).
pub fn decode_snapshot(
    v: &Value,
    col: &TargetColumn,
    src: &ColumnDesc,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
) -> Result<Cell> {
    decode_value(v, col, src, tz, stats, Path::Snapshot)
}

/// [`decode_snapshot`] of a value the caller owns: text of CHAR/VARCHAR/TEXT columns moves into
/// its cell instead of being copied (the bulk of a snapshot's bytes). The result is exactly
/// `decode_snapshot`'s; `v` may be left empty.
pub fn decode_snapshot_take(
    v: &mut Value,
    col: &TargetColumn,
    src: &ColumnDesc,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
) -> Result<Cell> {
    if col.encoding == Encoding::Plain
        && matches!(
            src.ty,
            SourceType::Char(_) | SourceType::Varchar(_) | SourceType::Text(_)
        )
    {
        if let Value::Bytes(b) = v {
            match String::from_utf8(std::mem::take(b)) {
                Ok(text) => return Ok(Cell::Str(text)),
                // Not UTF-8: put the bytes back for the shared path's error.
                Err(e) => *b = e.into_bytes(),
            }
        }
    }
    decode_snapshot(v, col, src, tz, stats)
}

/// Render one binlog value.
pub fn decode_binlog(
    v: &BinlogValue<'_>,
    col: &TargetColumn,
    src: &ColumnDesc,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
) -> Result<Cell> {
    match v {
        BinlogValue::Value(v) => decode_value(v, col, src, tz, stats, Path::Binlog),
        BinlogValue::Jsonb(j) => {
            let json = serde_json::Value::try_from(j.clone())
                .map_err(|e| anyhow!("column {}: cannot convert binary JSON: {e}", src.name))?;
            json_cell(json.to_string(), src, stats)
        }
        BinlogValue::JsonDiff(_) => bail!(
            "column {}: the binlog holds a partial JSON update, which cannot be replayed: \
             set binlog_row_value_options='' on the source",
            src.name
        ),
    }
}

/// Where each plan column's value comes from in one shard's source rows: its source column
/// (index = ordinal - 1), resolved by name once per table (or chunk, or rows event) rather than
/// per cell, or none (an origin column, or a column this shard lacks).
pub struct RowShape<'a> {
    desc: &'a TableDesc,
    cols: Vec<Option<(usize, &'a ColumnDesc)>>,
}

impl<'a> RowShape<'a> {
    /// Resolve `columns` (the plan's) against this shard's `desc`.
    pub fn new(columns: &[TargetColumn], desc: &'a TableDesc) -> Result<RowShape<'a>> {
        let cols = columns
            .iter()
            .map(|col| match &col.origin {
                ColumnOrigin::Source { name, .. } => match desc.column(name) {
                    None => Ok(None),
                    Some(cd) => {
                        let idx = (cd.ordinal as usize).checked_sub(1).ok_or_else(|| {
                            anyhow!("column {} of {} has ordinal 0", cd.name, desc.qualified())
                        })?;
                        Ok(Some((idx, cd)))
                    }
                },
                ColumnOrigin::ShardDatabase | ColumnOrigin::ShardTable => Ok(None),
            })
            .collect::<Result<_>>()?;
        Ok(RowShape { desc, cols })
    }

    /// How many columns the shard's source rows have.
    pub fn source_columns(&self) -> usize {
        self.desc.columns.len()
    }
}

/// Render the values of one source row (index = ordinal - 1) into a target row: one cell per
/// plan column, source columns where `shape` (built from the same `columns`) found them in this
/// shard, shard origin columns from `sref`, a column absent from this shard → NULL.
pub fn decode_row<F>(
    columns: &[TargetColumn],
    shape: &RowShape,
    sref: &SourceRef,
    mut value_at: F,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
) -> Result<Row>
where
    F: FnMut(
        usize,
        &TargetColumn,
        &ColumnDesc,
        &TimeZoneSpec,
        &mut DecodeStats,
    ) -> Result<Option<Cell>>,
{
    debug_assert_eq!(columns.len(), shape.cols.len());
    let desc = shape.desc;
    let mut row = Vec::with_capacity(columns.len());
    for (col, at) in columns.iter().zip(&shape.cols) {
        let cell = match (&col.origin, at) {
            (ColumnOrigin::ShardDatabase, _) => Cell::Str(sref.database.clone()),
            (ColumnOrigin::ShardTable, _) => Cell::Str(sref.table.clone()),
            (ColumnOrigin::Source { .. }, None) => Cell::Null,
            (ColumnOrigin::Source { .. }, Some((idx, cd))) => {
                let decoded = value_at(*idx, col, cd, tz, stats).map_err(|e| {
                    let at = format!("decoding {}.{}", desc.qualified(), cd.name);
                    // Decoding is pure: a value it cannot decode fails the same way on every
                    // retry, so an error that does not say otherwise is definite (exit 7),
                    // not one to restart from the checkpoint for.
                    let typed = e
                        .chain()
                        .any(|c| c.downcast_ref::<crate::error::Failure>().is_some());
                    if typed {
                        e.context(at)
                    } else {
                        crate::error::fail(
                            crate::error::Kind::Sync,
                            format!(
                                "{at}: {e:#}. smt cannot decode this value: exclude the \
                                 column or the table from the rule, or report the value"
                            ),
                        )
                    }
                })?;
                match decoded {
                    Some(c) => c,
                    None => bail!(
                        "{}: the row has no value for column {} (ordinal {}): set binlog_row_image=FULL on the \
                         source, or (if the table's definition changed) start over with `smt sync --reset`",
                        desc.qualified(),
                        cd.name,
                        cd.ordinal
                    ),
                }
            }
        };
        row.push(cell);
    }
    Ok(row)
}

fn is_text_target(col: &TargetColumn) -> bool {
    match col.sr_type {
        SrType::Char(_) | SrType::Varchar(_) | SrType::Varbinary(_) => true,
        SrType::Boolean
        | SrType::TinyInt
        | SrType::SmallInt
        | SrType::Int
        | SrType::BigInt
        | SrType::LargeInt
        | SrType::Float
        | SrType::Double
        | SrType::Decimal(..)
        | SrType::Date
        | SrType::DateTime
        | SrType::Json => false,
    }
}

/// A number: unquoted, unless the target column holds text.
fn num(text: String, col: &TargetColumn) -> Cell {
    if is_text_target(col) {
        Cell::Str(text)
    } else {
        Cell::Num(text)
    }
}

fn bytes_of<'v>(v: &'v Value, what: &str) -> Result<&'v [u8]> {
    match v {
        Value::Bytes(b) => Ok(b),
        other => bail!("expected {what} bytes, got {other:?}"),
    }
}

fn utf8(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec())
        .map_err(|_| anyhow!("value is not valid UTF-8 ({} bytes)", b.len()))
}

/// Any integer-ish value as i128 (text parsed).
fn int_of(v: &Value) -> Result<i128> {
    match v {
        Value::Int(i) => Ok(i128::from(*i)),
        Value::UInt(u) => Ok(i128::from(*u)),
        Value::Bytes(b) => {
            let s = std::str::from_utf8(b).map_err(|_| anyhow!("integer value is not text"))?;
            s.trim()
                .parse::<i128>()
                .map_err(|_| anyhow!("not an integer: {s:?}"))
        }
        Value::Float(f) if f.fract() == 0.0 => Ok(*f as i128),
        Value::Double(f) if f.fract() == 0.0 => Ok(*f as i128),
        other => bail!("expected an integer, got {other:?}"),
    }
}

/// Decimal text of an integer; the common 64-bit range takes std's 64-bit formatting (i128's
/// is several times slower, and every integer cell passes here).
fn int_text(i: i128) -> String {
    match i64::try_from(i) {
        Ok(small) => small.to_string(),
        Err(_) => i.to_string(),
    }
}

/// Lower-case hex of bytes (the text form binary values travel in).
fn hex_lower(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(b.len() * 2);
    for &x in b {
        out.push(DIGITS[usize::from(x >> 4)]);
        out.push(DIGITS[usize::from(x & 0x0f)]);
    }
    // Only ASCII hex digits were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Undo "unsigned logged as signed" (binlog_row_metadata=NO_LOG): a negative value of an
/// UNSIGNED column is its two's-complement at the column's width.
fn unsigned_fix(i: i128, ty: &SourceType) -> i128 {
    if let SourceType::Int {
        width,
        unsigned: true,
        ..
    } = ty
    {
        if i < 0 {
            let bits = match width {
                IntWidth::Tiny => 8,
                IntWidth::Small => 16,
                IntWidth::Medium => 24,
                IntWidth::Int => 32,
                IntWidth::Big => 64,
            };
            return i + (1i128 << bits);
        }
    }
    i
}

/// Big-endian bytes as an unsigned integer (BIT values).
fn be_uint(b: &[u8]) -> Result<u128> {
    if b.len() > 16 {
        bail!("BIT value of {} bytes is too wide", b.len());
    }
    Ok(b.iter().fold(0u128, |acc, x| (acc << 8) | u128::from(*x)))
}

/// Canonical decimal text: optional `-`, integer digits without leading zeros (at least `0`),
/// then exactly `scale` fraction digits when scale > 0; no exponent; `-0` → `0`.
pub fn canonical_decimal(s: &str, scale: Option<u32>) -> Result<String> {
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (ip, fp) = body.split_once('.').unwrap_or((body, ""));
    if (ip.is_empty() && fp.is_empty())
        || !ip.bytes().all(|b| b.is_ascii_digit())
        || !fp.bytes().all(|b| b.is_ascii_digit())
    {
        bail!("not a decimal number: {s:?}");
    }
    let ip = ip.trim_start_matches('0');
    let ip = if ip.is_empty() { "0" } else { ip };
    let mut frac = fp.to_string();
    if let Some(sc) = scale {
        let sc = sc as usize;
        if frac.len() > sc {
            if frac[sc..].bytes().any(|b| b != b'0') {
                bail!("decimal {s:?} has more than {sc} fraction digits");
            }
            frac.truncate(sc);
        }
        while frac.len() < sc {
            frac.push('0');
        }
    }
    let zero = ip == "0" && frac.bytes().all(|b| b == b'0');
    let mut out = String::with_capacity(t.len() + 2);
    if neg && !zero {
        out.push('-');
    }
    out.push_str(ip);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

fn frac_digits(usec: u32, fsp: u8) -> String {
    let fsp = fsp.min(6);
    if fsp == 0 {
        return String::new();
    }
    let v = usec / 10u32.pow(6 - u32::from(fsp));
    format!(".{:0width$}", v, width = fsp as usize)
}

fn fsp_of(ty: &SourceType) -> u8 {
    match ty {
        SourceType::DateTime { fsp } | SourceType::Timestamp { fsp } | SourceType::Time { fsp } => {
            *fsp
        }
        SourceType::Int { .. }
        | SourceType::Bit(_)
        | SourceType::Float { .. }
        | SourceType::Double { .. }
        | SourceType::Decimal { .. }
        | SourceType::Char(_)
        | SourceType::Varchar(_)
        | SourceType::Text(_)
        | SourceType::Binary(_)
        | SourceType::Varbinary(_)
        | SourceType::Blob(_)
        | SourceType::Date
        | SourceType::Year
        | SourceType::Enum(_)
        | SourceType::Set(_)
        | SourceType::Json
        | SourceType::Geometry(_)
        | SourceType::Unknown(_) => 6,
    }
}

/// Parse `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` (text-protocol dates).
fn parse_datetime_text(s: &str) -> Option<(u16, u8, u8, u8, u8, u8, u32)> {
    let (d, t) = s
        .trim()
        .split_once([' ', 'T'])
        .unwrap_or((s.trim(), "00:00:00"));
    let mut dp = d.split('-');
    let y = dp.next()?.parse().ok()?;
    let mo = dp.next()?.parse().ok()?;
    let da = dp.next()?.parse().ok()?;
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut tp = hms.split(':');
    let h = tp.next()?.parse().ok()?;
    let mi = tp.next()?.parse().ok()?;
    let se = tp.next()?.parse().ok()?;
    let us = parse_frac(frac)?;
    Some((y, mo, da, h, mi, se, us))
}

/// `"123"` → 123000 microseconds (digits beyond 6 must be zero-free of meaning: truncated).
fn parse_frac(frac: &str) -> Option<u32> {
    if frac.is_empty() {
        return Some(0);
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut f: String = frac.chars().take(6).collect();
    while f.len() < 6 {
        f.push('0');
    }
    f.parse().ok()
}

/// `[-]H:MM:SS[.ffffff]` (text-protocol times) → (neg, hours, min, sec, usec).
fn parse_time_text(s: &str) -> Option<(bool, u32, u8, u8, u32)> {
    let t = s.trim();
    let (neg, t) = t.strip_prefix('-').map_or((false, t), |r| (true, r));
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut p = hms.split(':');
    let h = p.next()?.parse().ok()?;
    let m = p.next()?.parse().ok()?;
    let sec = p.next()?.parse().ok()?;
    Some((neg, h, m, sec, parse_frac(frac)?))
}

#[allow(clippy::too_many_arguments)]
fn format_datetime(
    y: u16,
    mo: u8,
    d: u8,
    h: u8,
    mi: u8,
    s: u8,
    us: u32,
    date_only: bool,
    fsp: u8,
) -> String {
    if date_only {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{}",
            frac_digits(us, fsp)
        )
    }
}

/// A DATE / DATETIME value. A zero or partial-zero date (StarRocks has no such dates) is NULL,
/// or, in a PRIMARY KEY column (`key`), [`ZERO_DATE_KEY`] for the zero date and a refused row
/// for a partial one (no distinct StarRocks date can stand for it).
fn datetime_cell(v: &Value, src: &ColumnDesc, stats: &mut DecodeStats, key: bool) -> Result<Cell> {
    let (mut y, mut mo, mut d, h, mi, s, us) = match v {
        Value::Date(y, mo, d, h, mi, s, us) => (*y, *mo, *d, *h, *mi, *s, *us),
        Value::Bytes(b) => {
            let t = utf8(b)?;
            parse_datetime_text(&t).ok_or_else(|| anyhow!("not a date/time: {t:?}"))?
        }
        other => bail!("expected a date/time, got {other:?}"),
    };
    let date_only = matches!(src.ty, SourceType::Date);
    let fsp = fsp_of(&src.ty);
    if mo == 0 || d == 0 {
        if !key {
            if bump(&mut stats.zero_dates, 1) {
                tracing::warn!(
                    column = %src.name,
                    total = stats.zero_dates,
                    "zero dates (0000-00-00) load as NULL: StarRocks has no such date"
                );
            }
            return Ok(Cell::Null);
        }
        if y != 0 || mo != 0 || d != 0 {
            return Err(RefusedValue::error(
                &src.name,
                &format_datetime(y, mo, d, h, mi, s, us, date_only, fsp),
                format!(
                    "a partial zero date in a PRIMARY KEY column: StarRocks has no such date, \
                     and no StarRocks date can stand for it without possibly colliding with a \
                     real key (only the zero date 0000-00-00 has one, {ZERO_DATE_KEY})"
                ),
            ));
        }
        if bump(&mut stats.zero_date_keys, 1) {
            tracing::warn!(
                column = %src.name,
                total = stats.zero_date_keys,
                "zero dates (0000-00-00) of a PRIMARY KEY column load as {ZERO_DATE_KEY}"
            );
        }
        (y, mo, d) = ZERO_DATE_KEY_YMD;
    }
    Ok(Cell::Str(format_datetime(
        y, mo, d, h, mi, s, us, date_only, fsp,
    )))
}

/// [`ZERO_DATE_KEY`] as (year, month, day).
const ZERO_DATE_KEY_YMD: (u16, u8, u8) = (0, 1, 1);

/// Epoch seconds (`"sec[.usec]"` text, integer, or decimal text) → the zone's civil time.
fn timestamp_cell(
    v: &Value,
    src: &ColumnDesc,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
    key: bool,
) -> Result<Cell> {
    let (sec, usec): (i64, u32) = match v {
        Value::Int(i) => (*i, 0),
        Value::UInt(u) => (i64::try_from(*u).map_err(|_| anyhow!("epoch {u} out of range"))?, 0),
        Value::Bytes(b) => {
            let t = utf8(b)?;
            let (s, f) = t.trim().split_once('.').unwrap_or((t.trim(), ""));
            let sec = s.parse::<i64>().map_err(|_| anyhow!("not epoch seconds: {t:?}"))?;
            (sec, parse_frac(f).ok_or_else(|| anyhow!("not epoch seconds: {t:?}"))?)
        }
        Value::Date(..) => bail!(
            "TIMESTAMP column {} was read as a date, not as epoch seconds: select it with UNIX_TIMESTAMP()",
            src.name
        ),
        other => bail!("expected epoch seconds, got {other:?}"),
    };
    if sec == 0 && usec == 0 {
        // 0 is MySQL's zero TIMESTAMP ('0000-00-00 00:00:00'); real values start at 1 s.
        if !key {
            if bump(&mut stats.zero_dates, 1) {
                tracing::warn!(
                    column = %src.name,
                    total = stats.zero_dates,
                    "zero TIMESTAMPs (0000-00-00 00:00:00) load as NULL: StarRocks has no such date"
                );
            }
            return Ok(Cell::Null);
        }
        if bump(&mut stats.zero_date_keys, 1) {
            tracing::warn!(
                column = %src.name,
                total = stats.zero_date_keys,
                "zero TIMESTAMPs (0000-00-00 00:00:00) of a PRIMARY KEY column load as {ZERO_DATE_KEY} 00:00:00"
            );
        }
        let (y, mo, d) = ZERO_DATE_KEY_YMD;
        return Ok(Cell::Str(format_datetime(
            y,
            mo,
            d,
            0,
            0,
            0,
            0,
            false,
            fsp_of(&src.ty),
        )));
    }
    let ts =
        jiff::Timestamp::new(sec, (usec as i32) * 1000).map_err(|e| anyhow!("epoch {sec}: {e}"))?;
    let dt = ts.to_zoned(tz.jiff_tz()?).datetime();
    let y = u16::try_from(dt.year()).map_err(|_| anyhow!("year {} out of range", dt.year()))?;
    Ok(Cell::Str(format_datetime(
        y,
        dt.month() as u8,
        dt.day() as u8,
        dt.hour() as u8,
        dt.minute() as u8,
        dt.second() as u8,
        (dt.subsec_nanosecond() / 1000) as u32,
        false,
        fsp_of(&src.ty),
    )))
}

/// Undo mysql_common 0.37's wrap-around when decoding a negative TIME(1)/TIME(2) binlog value with
/// a fraction (release builds): it adds `K = 2_560_000 << 24` to the packed value. Such a decode
/// is recognisable when the result is non-negative, because its microseconds then exceed
/// 999 999 (a genuine TIME(1|2) value has at most 990 000). Values below -625 h decode negative
/// and cannot be told apart (documented gap).
pub fn fix_time2_wrap(v: &Value, fsp: u8) -> Value {
    const K: i64 = 2_560_000 << 24;
    match v {
        Value::Time(false, d, h, m, s, us) if (fsp == 1 || fsp == 2) && *us > 999_999 => {
            let hours = i64::from(*d) * 24 + i64::from(*h);
            let hms = (hours << 12) | (i64::from(*m) << 6) | i64::from(*s);
            let b = (hms << 24) | i64::from(*us);
            let t = K - b; // |correct value|, the correct value being b - K < 0
            if t <= 0 {
                return v.clone();
            }
            let hms = t >> 24;
            let hours = ((hms >> 12) % (1 << 10)) as u32;
            Value::Time(
                true,
                hours / 24,
                (hours % 24) as u8,
                ((hms >> 6) % (1 << 6)) as u8,
                (hms % (1 << 6)) as u8,
                (t % (1 << 24)) as u32,
            )
        }
        _ => v.clone(),
    }
}

fn time_cell(v: &Value, src: &ColumnDesc) -> Result<Cell> {
    let fixed = fix_time2_wrap(v, fsp_of(&src.ty));
    let v = &fixed;
    let (neg, hours, m, s, us) = match v {
        Value::Time(neg, days, h, m, s, us) => (*neg, days * 24 + u32::from(*h), *m, *s, *us),
        Value::Bytes(b) => {
            let t = utf8(b)?;
            parse_time_text(&t).ok_or_else(|| anyhow!("not a time: {t:?}"))?
        }
        other => bail!("expected a time, got {other:?}"),
    };
    let nonzero = hours != 0 || m != 0 || s != 0 || us != 0;
    let sign = if neg && nonzero { "-" } else { "" };
    Ok(Cell::Str(format!(
        "{sign}{hours:02}:{m:02}:{s:02}{}",
        frac_digits(us, fsp_of(&src.ty))
    )))
}

fn labels_of(ty: &SourceType) -> Result<&[String]> {
    match ty {
        SourceType::Enum(l) | SourceType::Set(l) => Ok(l),
        other => bail!("column type {other:?} has no labels"),
    }
}

fn set_mask(v: &Value, path: Path) -> Result<u64> {
    match (v, path) {
        // The binlog carries the raw little-endian bitmask bytes.
        (Value::Bytes(b), Path::Binlog) => {
            if b.len() > 8 {
                bail!("SET bitmask of {} bytes", b.len());
            }
            Ok(b.iter()
                .rev()
                .fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
        }
        _ => {
            let i = int_of(v)?;
            // A 64-member SET with the top bit set comes back from `col+0` as a negative BIGINT.
            match i64::try_from(i) {
                Ok(neg) if neg < 0 => Ok(neg as u64),
                _ => u64::try_from(i).map_err(|_| anyhow!("SET bitmask {i} out of range")),
            }
        }
    }
}

fn fmt_f64(f: f64) -> Result<String> {
    if !f.is_finite() {
        bail!("non-finite floating-point value {f}");
    }
    Ok(format!("{f}"))
}

/// Shortest round-trip text of a float: positional for ordinary magnitudes, scientific
/// (`1e300`, `-2.5e-7`) for very large or small ones, so `1e300` does not become 301 digits.
fn float_text(f: f64, shortest: impl Fn(bool) -> String) -> Result<String> {
    if !f.is_finite() {
        bail!("non-finite floating-point value {f}");
    }
    let a = f.abs();
    Ok(shortest(a != 0.0 && !(1e-5..1e16).contains(&a)))
}

/// The shared decoder.
pub fn decode_value(
    v: &Value,
    col: &TargetColumn,
    src: &ColumnDesc,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
    path: Path,
) -> Result<Cell> {
    if let Value::NULL = v {
        return Ok(Cell::Null);
    }
    // The binlog logs BINARY(n) without its trailing 0x00 padding; the table (and so the
    // snapshot) holds n bytes.
    let padded;
    let v = match (path, &src.ty, v) {
        (Path::Binlog, SourceType::Binary(n), Value::Bytes(b)) if b.len() < *n as usize => {
            let mut p = b.clone();
            p.resize(*n as usize, 0);
            padded = Value::Bytes(p);
            &padded
        }
        _ => v,
    };
    match col.encoding {
        Encoding::Plain => plain(v, col, src, tz, stats, path),
        Encoding::Bool => {
            let on = match v {
                Value::Bytes(b) if matches!(src.ty, SourceType::Bit(_)) => be_uint(b)? != 0,
                other => int_of(other)? != 0,
            };
            Ok(num(if on { "1" } else { "0" }.to_string(), col))
        }
        Encoding::BitAsInteger => {
            let n = match v {
                Value::Bytes(b) => be_uint(b)?,
                other => {
                    u128::try_from(int_of(other)?).map_err(|_| anyhow!("negative BIT value"))?
                }
            };
            Ok(num(n.to_string(), col))
        }
        Encoding::DecimalText => {
            let scale = match &src.ty {
                SourceType::Decimal { scale, .. } => Some(*scale),
                _ => None,
            };
            let text = match v {
                Value::Bytes(b) => utf8(b)?,
                Value::Int(i) => int_text(unsigned_fix(i128::from(*i), &src.ty)),
                Value::UInt(u) => u.to_string(),
                Value::Double(f) => fmt_f64(*f)?,
                Value::Float(f) => fmt_f64(f64::from(*f))?,
                other => bail!("expected a decimal, got {other:?}"),
            };
            Ok(num(canonical_decimal(&text, scale)?, col))
        }
        Encoding::Hex => match v {
            Value::Bytes(b) => Ok(Cell::Str(hex_lower(b))),
            other => bail!("expected binary bytes, got {other:?}"),
        },
        Encoding::DateTime => datetime_cell(v, src, stats, false),
        Encoding::Timestamp => timestamp_cell(v, src, tz, stats, false),
        Encoding::KeyDate => match src.ty {
            SourceType::Timestamp { .. } => timestamp_cell(v, src, tz, stats, true),
            SourceType::Date | SourceType::DateTime { .. } => datetime_cell(v, src, stats, true),
            ref other => bail!("column {} of type {other:?} cannot be a date key", src.name),
        },
        Encoding::Time => time_cell(v, src),
        Encoding::EnumLabel => {
            let labels = labels_of(&src.ty)?;
            let i = int_of(v)?;
            if i == 0 {
                return Ok(Cell::Str(String::new()));
            }
            let idx = usize::try_from(i - 1).map_err(|_| anyhow!("ENUM index {i} out of range"))?;
            let l = labels.get(idx).ok_or_else(|| {
                anyhow!(
                    "ENUM index {i} beyond the {} known labels: the column definition changed",
                    labels.len()
                )
            })?;
            Ok(Cell::Str(l.clone()))
        }
        Encoding::SetLabels => {
            let labels = labels_of(&src.ty)?;
            let mask = set_mask(v, path)?;
            let mut out: Vec<&str> = Vec::new();
            for bit in 0..64u32 {
                if mask & (1u64 << bit) != 0 {
                    let l = labels.get(bit as usize).ok_or_else(|| {
                        anyhow!("SET bit {bit} beyond the {} known labels: the column definition changed", labels.len())
                    })?;
                    out.push(l);
                }
            }
            Ok(Cell::Str(out.join(",")))
        }
        Encoding::Wkt => {
            let b = bytes_of(v, "geometry")?;
            Ok(Cell::Str(wkb::internal_to_wkt(b)?))
        }
        Encoding::Json => match v {
            Value::Bytes(b) => json_cell(utf8(b)?, src, stats),
            other => bail!("expected JSON text, got {other:?}"),
        },
    }
}

/// The `Cell::Json` of a source document: checked once here for the snapshot and the binlog,
/// and where StarRocks cannot hold a number as written, rewritten as the double it would hold
/// (see [`json`]). A document StarRocks cannot take refuses the row.
fn json_cell(text: String, src: &ColumnDesc, stats: &mut DecodeStats) -> Result<Cell> {
    let prepared = json::prepare(&text).map_err(|e| {
        RefusedValue::error(
            &src.name,
            &text,
            format!("not a JSON document StarRocks can load: {e}"),
        )
    })?;
    let changed = match prepared {
        json::Prepared::AsIs(t) if t.len() == text.len() => None,
        json::Prepared::AsIs(t) => Some(t.to_string()),
        json::Prepared::Rewritten { text: t, numbers } => {
            if bump(&mut stats.json_numbers, numbers) {
                tracing::warn!(
                    column = %src.name,
                    total = stats.json_numbers,
                    "JSON numbers StarRocks cannot hold as written (integers beyond 64 bits, \
                     MariaDB's `1.`) load as the double StarRocks holds for them"
                );
            }
            Some(t)
        }
    };
    Ok(Cell::Json(changed.unwrap_or(text)))
}

fn plain(
    v: &Value,
    col: &TargetColumn,
    src: &ColumnDesc,
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
    path: Path,
) -> Result<Cell> {
    match &src.ty {
        SourceType::Int { .. } => {
            let mut i = int_of(v)?;
            // mysql_common reads a signed MEDIUMINT from the binlog without sign extension
            // (-1 arrives as 16777215).
            if let (Path::Binlog, SourceType::Int { width: IntWidth::Medium, unsigned: false, .. }) = (path, &src.ty) {
                if ((1 << 23)..(1 << 24)).contains(&i) {
                    i -= 1 << 24;
                }
            }
            Ok(num(int_text(unsigned_fix(i, &src.ty)), col))
        }
        SourceType::Year => {
            let mut y = int_of(v)?;
            // mysql_common decodes the binlog's YEAR byte as 1900 + b, so 0000 arrives as 1900
            // (not a valid YEAR value otherwise).
            if path == Path::Binlog && y == 1900 {
                y = 0;
            }
            Ok(num(int_text(y), col))
        }
        SourceType::Bit(_) => {
            let n = match v {
                Value::Bytes(b) => be_uint(b)?,
                other => u128::try_from(int_of(other)?).map_err(|_| anyhow!("negative BIT value"))?,
            };
            Ok(num(n.to_string(), col))
        }
        SourceType::Float { .. } | SourceType::Double { .. } => {
            let t = match v {
                Value::Float(f) => {
                    let f = *f;
                    float_text(f64::from(f), |sci| if sci { format!("{f:e}") } else { format!("{f}") })?
                }
                Value::Double(f) => {
                    let f = *f;
                    float_text(f, |sci| if sci { format!("{f:e}") } else { format!("{f}") })?
                }
                Value::Int(i) => i.to_string(),
                Value::UInt(u) => u.to_string(),
                Value::Bytes(b) => {
                    let s = utf8(b)?;
                    let f: f64 = s.trim().parse().map_err(|_| anyhow!("not a number: {s:?}"))?;
                    float_text(f, |sci| if sci { format!("{f:e}") } else { format!("{f}") })?
                }
                other => bail!("expected a floating-point number, got {other:?}"),
            };
            Ok(num(t, col))
        }
        SourceType::Decimal { scale, .. } => {
            let text = match v {
                Value::Bytes(b) => utf8(b)?,
                Value::Int(i) => i.to_string(),
                Value::UInt(u) => u.to_string(),
                other => bail!("expected a decimal, got {other:?}"),
            };
            Ok(num(canonical_decimal(&text, Some(*scale))?, col))
        }
        SourceType::Date | SourceType::DateTime { .. } => datetime_cell(v, src, stats, false),
        SourceType::Timestamp { .. } => timestamp_cell(v, src, tz, stats, false),
        SourceType::Time { .. } => time_cell(v, src),
        SourceType::Json => match v {
            Value::Bytes(b) => json_cell(utf8(b)?, src, stats),
            other => bail!("expected JSON text, got {other:?}"),
        },
        SourceType::Char(_)
        | SourceType::Varchar(_)
        | SourceType::Text(_)
        | SourceType::Binary(_)
        | SourceType::Varbinary(_)
        | SourceType::Blob(_)
        | SourceType::Enum(_)
        | SourceType::Set(_)
        | SourceType::Geometry(_)
        | SourceType::Unknown(_) => match v {
            // Types smt does not know (MariaDB UUID, INET4/6, ...) are logged in their internal
            // binary form, which never equals the text the snapshot reads: refuse rather than
            // write values that differ from the snapshot's.
            Value::Bytes(_) if path == Path::Binlog && matches!(src.ty, SourceType::Unknown(_)) => {
                let raw = match &src.ty {
                    SourceType::Unknown(r) => r.as_str(),
                    _ => "",
                };
                bail!(
                    "column {} has type {raw}, which the binlog carries in the server's internal binary form \
                     that smt cannot render like the snapshot does: exclude the column or the table from the rule",
                    src.name
                )
            }
            // The binlog carries text in the column's own charset; the snapshot connection gets
            // it converted to utf8mb4 by the server.
            Value::Bytes(b)
                if path == Path::Binlog
                    && src.charset.as_deref().is_some_and(|cs| !is_utf8_charset(cs)) =>
            {
                let cs = src.charset.as_deref().unwrap_or("");
                Ok(Cell::Str(decode_charset(b, cs).map_err(|e| {
                    anyhow!("column {}: {e}", src.name)
                })?))
            }
            Value::Bytes(b) => Ok(Cell::Str(String::from_utf8(b.clone()).map_err(|_| {
                if let SourceType::Unknown(raw) = &src.ty {
                    anyhow!(
                        "column {} of type {raw} arrived as {} bytes that are not UTF-8 text (the binlog carries \
                         such types in the server's internal binary form): exclude the column or the table from the rule",
                        src.name,
                        b.len()
                    )
                } else {
                    anyhow!(
                        "column {} holds bytes that are not UTF-8 text: map it to hex (VARCHAR holding hex) or VARBINARY",
                        src.name
                    )
                }
            })?)),
            Value::Int(i) => Ok(Cell::Str(i.to_string())),
            Value::UInt(u) => Ok(Cell::Str(u.to_string())),
            other => bail!("expected text, got {other:?}"),
        },
    }
}

fn is_utf8_charset(cs: &str) -> bool {
    let cs = cs.to_ascii_lowercase();
    cs == "utf8" || cs == "utf8mb3" || cs == "utf8mb4" || cs == "binary"
}

/// MySQL's `latin1` is Windows-1252 (with 0x81, 0x8D, 0x8F, 0x90, 0x9D passed through).
const CP1252_80_9F: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
];

/// Decode text bytes of a column in charset `cs` (binlog path) into UTF-8.
pub fn decode_charset(b: &[u8], cs: &str) -> Result<String> {
    let lower = cs.to_ascii_lowercase();
    let units16 = |le: bool| -> Result<Vec<u16>> {
        if !b.len().is_multiple_of(2) {
            bail!("odd number of bytes in {cs} text");
        }
        Ok(b.chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect())
    };
    match lower.as_str() {
        "utf8" | "utf8mb3" | "utf8mb4" | "binary" => {
            String::from_utf8(b.to_vec()).map_err(|_| anyhow!("bytes are not valid {cs} text"))
        }
        "latin1" => Ok(b
            .iter()
            .map(|&x| match x {
                0x80..=0x9F => char::from_u32(u32::from(CP1252_80_9F[usize::from(x - 0x80)])).unwrap_or('\u{FFFD}'),
                _ => char::from(x),
            })
            .collect()),
        "ascii" => {
            if b.is_ascii() {
                Ok(b.iter().map(|&x| char::from(x)).collect())
            } else {
                bail!("bytes are not ASCII")
            }
        }
        "ucs2" | "utf16" => String::from_utf16(&units16(false)?).map_err(|_| anyhow!("invalid {cs} text")),
        "utf16le" => String::from_utf16(&units16(true)?).map_err(|_| anyhow!("invalid {cs} text")),
        "utf32" => {
            if !b.len().is_multiple_of(4) {
                bail!("bad utf32 text length");
            }
            b.chunks_exact(4)
                .map(|c| {
                    char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                        .ok_or_else(|| anyhow!("invalid utf32 text"))
                })
                .collect()
        }
        _ => bail!(
            "text in charset {cs} cannot be decoded from the binlog by smt: convert the column to utf8mb4 \
             (ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4)"
        ),
    }
}

/// MySQL JSON text → the compact form `serde_json` prints, which is also what the binlog's binary
/// JSON (`BinlogValue::Jsonb`) renders to. Used for MySQL snapshots only: MariaDB stores JSON as
/// text and both of its paths carry that text verbatim.
pub fn normalise_json(text: &str) -> Result<String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow!("invalid JSON from the source ({e})"))?;
    Ok(v.to_string())
}

/// A small WKB parser producing WKT.
pub mod wkb {
    use anyhow::{anyhow, bail, Result};

    /// MySQL/MariaDB internal geometry (4-byte little-endian SRID, then WKB) → WKT.
    pub fn internal_to_wkt(b: &[u8]) -> Result<String> {
        if b.len() < 4 {
            bail!("geometry value of {} bytes is too short", b.len());
        }
        wkb_to_wkt(&b[4..])
    }

    /// Standard WKB → WKT (`POINT(1 2)`, `POLYGON((0 0,1 0,1 1,0 0))`, ...).
    pub fn wkb_to_wkt(b: &[u8]) -> Result<String> {
        let mut r = Reader { b, at: 0 };
        let mut out = String::new();
        r.geometry(&mut out, 0)?;
        if r.at != b.len() {
            bail!("{} trailing bytes after the geometry", b.len() - r.at);
        }
        Ok(out)
    }

    struct Reader<'a> {
        b: &'a [u8],
        at: usize,
    }

    impl Reader<'_> {
        fn take(&mut self, n: usize) -> Result<&[u8]> {
            let end = self
                .at
                .checked_add(n)
                .filter(|e| *e <= self.b.len())
                .ok_or_else(|| anyhow!("truncated WKB"))?;
            let s = &self.b[self.at..end];
            self.at = end;
            Ok(s)
        }
        fn u32(&mut self, le: bool) -> Result<u32> {
            let s: [u8; 4] = self
                .take(4)?
                .try_into()
                .map_err(|_| anyhow!("truncated WKB"))?;
            Ok(if le {
                u32::from_le_bytes(s)
            } else {
                u32::from_be_bytes(s)
            })
        }
        fn f64(&mut self, le: bool) -> Result<f64> {
            let s: [u8; 8] = self
                .take(8)?
                .try_into()
                .map_err(|_| anyhow!("truncated WKB"))?;
            Ok(if le {
                f64::from_le_bytes(s)
            } else {
                f64::from_be_bytes(s)
            })
        }
        fn count(&mut self, le: bool, min_item: usize) -> Result<usize> {
            let n = self.u32(le)? as usize;
            // Guard against absurd counts before allocating.
            if n.saturating_mul(min_item) > self.b.len() - self.at {
                bail!("WKB count {n} exceeds the value's size");
            }
            Ok(n)
        }
        fn point_xy(&mut self, le: bool, out: &mut String) -> Result<()> {
            let x = self.f64(le)?;
            let y = self.f64(le)?;
            out.push_str(&fmt_coord(x));
            out.push(' ');
            out.push_str(&fmt_coord(y));
            Ok(())
        }
        fn points(&mut self, le: bool, out: &mut String) -> Result<()> {
            let n = self.count(le, 16)?;
            out.push('(');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                self.point_xy(le, out)?;
            }
            out.push(')');
            Ok(())
        }
        fn rings(&mut self, le: bool, out: &mut String) -> Result<()> {
            let n = self.count(le, 4)?;
            out.push('(');
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                self.points(le, out)?;
            }
            out.push(')');
            Ok(())
        }
        /// One geometry (with its own byte-order byte and type). `depth` bounds nesting.
        fn geometry(&mut self, out: &mut String, depth: u32) -> Result<u32> {
            if depth > 32 {
                bail!("geometry nested too deeply");
            }
            let order = self.take(1)?[0];
            let le = match order {
                0 => false,
                1 => true,
                x => bail!("bad WKB byte order {x}"),
            };
            let ty = self.u32(le)?;
            match ty {
                1 => {
                    out.push_str("POINT(");
                    self.point_xy(le, out)?;
                    out.push(')');
                }
                2 => {
                    out.push_str("LINESTRING");
                    self.points(le, out)?;
                }
                3 => {
                    out.push_str("POLYGON");
                    self.rings(le, out)?;
                }
                4..=7 => {
                    let name = match ty {
                        4 => "MULTIPOINT",
                        5 => "MULTILINESTRING",
                        6 => "MULTIPOLYGON",
                        _ => "GEOMETRYCOLLECTION",
                    };
                    let n = self.count(le, 5)?;
                    out.push_str(name);
                    if n == 0 && ty == 7 {
                        out.push_str(" EMPTY");
                        return Ok(ty);
                    }
                    out.push('(');
                    for i in 0..n {
                        if i > 0 {
                            out.push(',');
                        }
                        let mut inner = String::new();
                        let sub = self.geometry(&mut inner, depth + 1)?;
                        let want = match ty {
                            4 => Some(1),
                            5 => Some(2),
                            6 => Some(3),
                            _ => None,
                        };
                        match want {
                            Some(w) if w != sub => bail!("{name} holds a WKB type {sub} element"),
                            Some(_) => {
                                // Members of MULTI* print without their type name.
                                let body = inner.find('(').map_or(inner.as_str(), |p| &inner[p..]);
                                let body = if ty == 4 {
                                    // POINT(x y) → x y
                                    body.trim_start_matches('(').trim_end_matches(')')
                                } else {
                                    body
                                };
                                out.push_str(body);
                            }
                            None => out.push_str(&inner),
                        }
                    }
                    out.push(')');
                }
                other => bail!("unsupported WKB geometry type {other}"),
            }
            Ok(ty)
        }
    }

    fn fmt_coord(f: f64) -> String {
        if f == 0.0 {
            // -0 prints as 0.
            return "0".into();
        }
        format!("{f}")
    }
}

#[cfg(test)]
mod tests;
