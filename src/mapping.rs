//! MySQL/MariaDB column → StarRocks type, Flink types, value encoding and default. Pure.
//!
//! Policy: ../shared/reference/type-mapping.md ("lossless by default"). Invariants:
//! - every `SourceType` variant is matched explicitly (no `_ =>`), so a new variant fails to
//!   compile here instead of being mapped silently;
//! - every produced `SrType` is within StarRocks' parameter ranges (VARCHAR 1..=1048576,
//!   CHAR 1..=255, DECIMAL p ≤ 38 unless the target is ≥ 4.0) — lengths are clamped with
//!   `clamp_len`, and the clamping is reported as a `Capped` note;
//! - with `in_primary_key`, the type is one StarRocks accepts in a PRIMARY KEY, or
//!   `Mapped::pk_ok` is false (the planner then falls back to DUPLICATE KEY);
//! - a default is only kept when it converts to the target type; NOT NULL columns never get a
//!   NULL default (a `DEFAULT NULL` is simply not rendered).

use crate::config::OtherConfig;
use crate::plan::model::{Encoding, Note, NoteKind, SrDefault, SrType, ZERO_DATE_KEY};
use crate::schema::{ColumnDefault, ColumnDesc, GeometryKind, IntWidth, SourceType, TextKind};

/// StarRocks VARCHAR / VARBINARY maximum length in bytes (2.1 ..= 4.1).
pub const VARCHAR_MAX: u32 = 1_048_576;
/// StarRocks CHAR maximum length in bytes.
pub const CHAR_MAX: u32 = 255;
/// DECIMAL256 maximum precision (StarRocks ≥ 4.0).
pub const DECIMAL256_MAX: u32 = 76;
/// `[-]HHH:MM:SS.ffffff`: `-838:59:59.000000` is 17 characters.
pub const TIME_TEXT_LEN: u32 = 17;

/// Options that influence mapping of one column.
#[derive(Debug, Clone)]
pub struct MapCtx<'a> {
    /// `db.table` of the column's table, for messages.
    pub table: &'a str,
    pub use_decimal_v3: bool,
    pub tinyint1_as_boolean: bool,
    pub unknown_type_as_string: bool,
    /// Target StarRocks version (major, minor).
    pub starrocks_version: (u32, u32),
    /// The column is a key column of a PRIMARY KEY table.
    pub in_primary_key: bool,
}

impl<'a> MapCtx<'a> {
    pub fn new(table: &'a str, other: &OtherConfig) -> Self {
        MapCtx {
            table,
            use_decimal_v3: other.use_decimal_v3,
            tinyint1_as_boolean: other.tinyint1_as_boolean,
            unknown_type_as_string: other.unknown_type_as_string,
            starrocks_version: other.starrocks_version,
            in_primary_key: false,
        }
    }
    pub fn key(&self, in_primary_key: bool) -> Self {
        MapCtx {
            in_primary_key,
            ..self.clone()
        }
    }
    fn at_least(&self, major: u32, minor: u32) -> bool {
        self.starrocks_version >= (major, minor)
    }
}

/// The mapping of one column.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub sr_type: SrType,
    /// Flink type of the sink table column (matches `sr_type`).
    pub flink_type: String,
    /// Flink type of the mysql-cdc source table column (the connector's documented mapping).
    /// When it differs from `flink_type`, the INSERT must `CAST(col AS flink_type)`.
    pub flink_source_type: String,
    pub encoding: Encoding,
    pub default: Option<SrDefault>,
    /// False when the column cannot be part of a StarRocks PRIMARY KEY (only meaningful with
    /// `MapCtx::in_primary_key`).
    pub pk_ok: bool,
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error(
        "{column}: unsupported type `{ty}`; set `unknown_type_as_string = true` in [other] to \
         carry it as VARCHAR(1048576) text, or exclude the table from the rule"
    )]
    Unsupported { column: String, ty: String },
}

/// Maximum UTF-8 bytes of one character of a MySQL charset (StarRocks stores UTF-8, and its
/// VARCHAR/CHAR lengths are UTF-8 bytes). Unknown or missing charset → 4, the safe maximum.
pub fn utf8_bytes_per_char(charset: Option<&str>) -> u64 {
    let Some(c) = charset else { return 4 };
    match c.to_ascii_lowercase().as_str() {
        "ascii" | "binary" => 1,
        "utf8mb4" | "utf16" | "utf16le" | "utf32" | "gb18030" => 4,
        "utf8" | "utf8mb3" | "ucs2" | "gbk" | "gb2312" | "big5" | "sjis" | "cp932" | "ujis"
        | "eucjpms" | "euckr" => 3,
        // latin1 is cp1252 in MySQL: 0x80 is `€` (3 UTF-8 bytes); other single-byte charsets
        // hold characters up to U+FFFF at most.
        "latin1" | "latin2" | "latin5" | "latin7" | "cp1250" | "cp1251" | "cp1256" | "cp1257"
        | "cp850" | "cp852" | "cp866" | "koi8r" | "koi8u" | "greek" | "hebrew" | "tis620"
        | "armscii8" | "dec8" | "hp8" | "swe7" | "keybcs2" | "macce" | "macroman" | "geostd8" => 3,
        _ => 4,
    }
}

/// Upper bound of (UTF-8 bytes / source bytes) for a charset, as (numerator, denominator):
/// converts CHARACTER_OCTET_LENGTH (bytes in the column's own charset) into UTF-8 bytes.
fn utf8_expansion(charset: Option<&str>) -> (u64, u64) {
    let Some(c) = charset else { return (4, 1) };
    match c.to_ascii_lowercase().as_str() {
        "utf8" | "utf8mb3" | "utf8mb4" | "ascii" | "binary" | "utf32" => (1, 1),
        "ucs2" | "utf16" | "utf16le" | "gbk" | "gb2312" | "big5" | "sjis" | "cp932" | "ujis"
        | "eucjpms" | "euckr" | "gb18030" => (3, 2),
        _ => (3, 1),
    }
}

/// Maximum length in UTF-8 bytes (what StarRocks counts) of a character column of `chars`
/// characters: from CHARACTER_OCTET_LENGTH scaled from the column's charset to UTF-8 (equal for
/// utf8mb3/utf8mb4; latin1 `é`/`€` take 2/3 bytes in UTF-8), else chars × UTF-8 bytes per char.
pub fn octets(col: &ColumnDesc, chars: u64) -> u64 {
    match col.octet_length {
        Some(o) => {
            let (n, d) = utf8_expansion(col.charset.as_deref());
            o.saturating_mul(n).div_ceil(d)
        }
        None => chars.saturating_mul(utf8_bytes_per_char(col.charset.as_deref())),
    }
}

/// UTF-8 byte length StarRocks needs for a CHAR/VARCHAR/TEXT column (None for other types).
pub fn char_column_octets(col: &ColumnDesc) -> Option<u64> {
    match &col.ty {
        SourceType::Char(n) | SourceType::Varchar(n) => Some(octets(col, *n as u64)),
        SourceType::Text(k) => Some(match col.octet_length {
            Some(_) => octets(col, 0),
            None => {
                let (n, d) = utf8_expansion(col.charset.as_deref());
                text_kind_bytes(*k).saturating_mul(n).div_ceil(d)
            }
        }),
        SourceType::Int { .. }
        | SourceType::Bit(_)
        | SourceType::Float { .. }
        | SourceType::Double { .. }
        | SourceType::Decimal { .. }
        | SourceType::Binary(_)
        | SourceType::Varbinary(_)
        | SourceType::Blob(_)
        | SourceType::Date
        | SourceType::DateTime { .. }
        | SourceType::Timestamp { .. }
        | SourceType::Time { .. }
        | SourceType::Year
        | SourceType::Enum(_)
        | SourceType::Set(_)
        | SourceType::Json
        | SourceType::Geometry(_)
        | SourceType::Unknown(_) => None,
    }
}

/// Maximum bytes of the TEXT/BLOB kinds.
fn text_kind_bytes(k: TextKind) -> u64 {
    match k {
        TextKind::Tiny => 255,
        TextKind::Text => 65_535,
        TextKind::Medium => 16_777_215,
        TextKind::Long => 4_294_967_295,
    }
}

/// The encoding of a DATE/DATETIME/TIMESTAMP column: `plain` outside a PRIMARY KEY (zero dates
/// load as NULL, the column is nullable), [`Encoding::KeyDate`] in one, with a note saying what
/// its zero dates load as.
fn key_date(
    pk: bool,
    col: &str,
    zero: &str,
    time: &str,
    notes: &mut Vec<Note>,
    plain: Encoding,
) -> Encoding {
    if !pk {
        return plain;
    }
    notes.push(note(
        NoteKind::Fallback,
        col,
        format!(
            "PRIMARY KEY column: a MySQL zero date ({zero}) loads as {ZERO_DATE_KEY}{time} \
             (StarRocks' smallest date; a source row holding {ZERO_DATE_KEY}{time} itself would \
             share its key); a partial zero date (2024-00-15) refuses the row and stops the sync"
        ),
    ));
    Encoding::KeyDate
}

fn note(kind: NoteKind, col: &str, message: String) -> Note {
    Note {
        kind,
        column: Some(col.to_string()),
        message,
    }
}

/// Clamp a byte length into 1..=VARCHAR_MAX; returns (len, capped).
///
/// Written branch-free on purpose. The obvious form
/// `if n > MAX { (MAX, true) } else { (n.max(1) as u32, false) }` is miscompiled by rustc 1.95
/// (and nightly 1.97) at opt-level ≥ 1: LLVM hoists the `umax(n, 1)` of the else arm out of the
/// branch while keeping the range `n ≤ MAX` that only the else arm implies, then folds the select
/// away, so 16,777,215 came out as `(16777215, true)` in release builds only (MEDIUMTEXT →
/// `VARCHAR(16777215)`, which StarRocks rejects). Here the clamp is computed unconditionally on
/// the unconstrained input and the flag is a separate comparison: there is no branch whose
/// condition could lend a range to the min/max, so this bug class has nothing to act on.
/// `tests/release_build.rs` and the release-profile unit tests in CI guard the shipped binary.
fn clamp_len(n: u64) -> (u32, bool) {
    let capped = n > VARCHAR_MAX as u64;
    let len = n.clamp(1, VARCHAR_MAX as u64) as u32;
    (len, capped)
}

/// Flink string type for a character length (`CHAR(0)` / `VARCHAR(0)` are not valid Flink types).
fn flink_len_type(base: &str, n: u32) -> String {
    if n == 0 {
        "STRING".into()
    } else {
        format!("{base}({n})")
    }
}

/// The Flink type that corresponds to a StarRocks column type (sink side).
pub fn flink_sink_type(t: SrType, fsp: u8) -> String {
    match t {
        SrType::Boolean => "BOOLEAN".into(),
        SrType::TinyInt => "TINYINT".into(),
        SrType::SmallInt => "SMALLINT".into(),
        SrType::Int => "INT".into(),
        SrType::BigInt => "BIGINT".into(),
        // flink-connector-starrocks maps StarRocks LARGEINT to Flink STRING (its docs'
        // type table); the source's DECIMAL(20, 0) is CAST to it.
        SrType::LargeInt => "STRING".into(),
        SrType::Float => "FLOAT".into(),
        SrType::Double => "DOUBLE".into(),
        SrType::Decimal(p, s) if p <= 38 => format!("DECIMAL({p}, {s})"),
        SrType::Decimal(..) => "STRING".into(),
        SrType::Char(_) | SrType::Varchar(_) | SrType::Json => "STRING".into(),
        SrType::Varbinary(_) => "BYTES".into(),
        SrType::Date => "DATE".into(),
        SrType::DateTime => format!("TIMESTAMP({fsp})"),
    }
}

/// What a source type maps to, before defaults and the sink type are settled.
struct Base {
    sr: SrType,
    encoding: Encoding,
    /// The Flink type the source side declares.
    flink_source: String,
    /// A sink type that differs from `flink_sink_type(sr)`.
    sink_override: Option<String>,
    /// The type may be a StarRocks PRIMARY KEY column.
    pk_ok: bool,
}

impl Base {
    fn new(sr: SrType, encoding: Encoding, flink_source: impl Into<String>) -> Self {
        Base {
            sr,
            encoding,
            flink_source: flink_source.into(),
            sink_override: None,
            pk_ok: true,
        }
    }
    /// The sink side carries the value as text (`STRING`), CAST by the Flink job.
    fn sink(mut self, t: impl Into<String>) -> Self {
        self.sink_override = Some(t.into());
        self
    }
    /// Not usable in a PRIMARY KEY (the planner falls back to DUPLICATE KEY).
    fn no_key(mut self) -> Self {
        self.pk_ok = false;
        self
    }
    /// `no_key` only when the column is meant to be a key column.
    fn no_key_if(self, cond: bool) -> Self {
        if cond {
            self.no_key()
        } else {
            self
        }
    }
}

/// Map one column. `ctx.in_primary_key` selects the key-column variants.
pub fn map_column(col: &ColumnDesc, ctx: &MapCtx) -> Result<Mapped, MapError> {
    let mut notes = Vec::new();
    let name = col.name.as_str();
    let pk = ctx.in_primary_key;
    let base = match &col.ty {
        SourceType::Int {
            width,
            unsigned,
            display,
        } => map_integer(*width, *unsigned, *display, ctx),
        SourceType::Bit(n) => map_bit(*n),
        SourceType::Float { .. } => Base::new(SrType::Float, Encoding::Plain, "FLOAT").no_key(),
        SourceType::Double { .. } => Base::new(SrType::Double, Encoding::Plain, "DOUBLE").no_key(),
        SourceType::Decimal {
            precision, scale, ..
        } => map_decimal(*precision, *scale, name, ctx, &mut notes),
        SourceType::Char(_) | SourceType::Varchar(_) | SourceType::Text(_) => {
            map_text(col, pk, &mut notes)
        }
        SourceType::Binary(n) | SourceType::Varbinary(n) => {
            map_binary(*n as u64, name, ctx, &mut notes)
        }
        SourceType::Blob(k) => map_blob(col, *k, ctx, &mut notes),
        SourceType::Date
        | SourceType::DateTime { .. }
        | SourceType::Timestamp { .. }
        | SourceType::Time { .. }
        | SourceType::Year => map_temporal(&col.ty, name, pk, &mut notes),
        SourceType::Enum(labels) => {
            let max = labels
                .iter()
                .map(|l| label_octets(col, l))
                .max()
                .unwrap_or(0);
            Base::new(
                SrType::Varchar(clamp_len(max).0),
                Encoding::EnumLabel,
                "STRING",
            )
        }
        SourceType::Set(labels) => {
            let sum: u64 = labels.iter().map(|l| label_octets(col, l)).sum::<u64>()
                + labels.len().saturating_sub(1) as u64;
            Base::new(
                SrType::Varchar(clamp_len(sum).0),
                Encoding::SetLabels,
                "STRING",
            )
        }
        SourceType::Json => Base::new(SrType::Json, Encoding::Json, "STRING").no_key_if(pk),
        SourceType::Geometry(g) => {
            let _: GeometryKind = *g;
            Base::new(SrType::Varchar(VARCHAR_MAX), Encoding::Wkt, "STRING").no_key_if(pk)
        }
        SourceType::Unknown(raw) => map_unknown(col, raw, ctx, &mut notes)?,
    };

    let fsp = match &col.ty {
        SourceType::DateTime { fsp } | SourceType::Timestamp { fsp } => (*fsp).min(6),
        _ => 0,
    };
    let flink_type = match base.sink_override {
        Some(t) => t,
        // Keep the source's string/length types on the sink when the target is text, so no
        // CAST is needed for plain strings.
        None => match (&col.ty, base.sr) {
            (
                SourceType::Char(_) | SourceType::Varchar(_),
                SrType::Char(_) | SrType::Varchar(_),
            ) => base.flink_source.clone(),
            _ => flink_sink_type(base.sr, fsp),
        },
    };
    let sr_type = base.sr;
    if let Some(expr) = &col.generated {
        notes.push(note(
            NoteKind::Generated,
            name,
            format!("generated column AS ({expr}) is carried as a plain {sr_type} column (expression not kept)"),
        ));
    }
    let default = map_default(col, sr_type, base.encoding, &mut notes);
    Ok(Mapped {
        sr_type,
        flink_type,
        flink_source_type: base.flink_source,
        encoding: base.encoding,
        default,
        pk_ok: base.pk_ok,
        notes,
    })
}

/// Integers widen by one step when unsigned; `TINYINT(1)` is BOOLEAN when configured.
fn map_integer(width: IntWidth, unsigned: bool, display: Option<u32>, ctx: &MapCtx) -> Base {
    if width == IntWidth::Tiny && !unsigned && display == Some(1) && ctx.tinyint1_as_boolean {
        return Base::new(SrType::Boolean, Encoding::Bool, "BOOLEAN");
    }
    let (sr, fl) = match (width, unsigned) {
        (IntWidth::Tiny, false) => (SrType::TinyInt, "TINYINT"),
        (IntWidth::Tiny, true) => (SrType::SmallInt, "SMALLINT"),
        (IntWidth::Small, false) => (SrType::SmallInt, "SMALLINT"),
        (IntWidth::Small, true) => (SrType::Int, "INT"),
        (IntWidth::Medium, _) => (SrType::Int, "INT"),
        (IntWidth::Int, false) => (SrType::Int, "INT"),
        (IntWidth::Int, true) => (SrType::BigInt, "BIGINT"),
        (IntWidth::Big, false) => (SrType::BigInt, "BIGINT"),
        (IntWidth::Big, true) => (SrType::LargeInt, "DECIMAL(20, 0)"),
    };
    Base::new(sr, Encoding::Plain, fl)
}

/// BIT(1) is a boolean; wider BITs are their unsigned integer value.
fn map_bit(n: u32) -> Base {
    match n {
        0 | 1 => Base::new(SrType::Boolean, Encoding::Bool, "BOOLEAN"),
        2..=63 => Base::new(SrType::BigInt, Encoding::BitAsInteger, "BYTES"),
        _ => Base::new(SrType::LargeInt, Encoding::BitAsInteger, "BYTES"),
    }
}

/// DECIMAL stays DECIMAL where StarRocks can hold it; key columns and precisions beyond the
/// target's limit are exact text.
fn map_decimal(
    precision: u32,
    scale: u32,
    name: &str,
    ctx: &MapCtx,
    notes: &mut Vec<Note>,
) -> Base {
    // MySQL allows p ≤ 65; merged shards may widen further. Clamp so the text form
    // (sign + point + digits) always fits a VARCHAR.
    let p = precision.clamp(1, VARCHAR_MAX - 2);
    let s = scale.min(p);
    let flink_src = if p <= 38 {
        format!("DECIMAL({p}, {s})")
    } else {
        "STRING".into()
    };
    let text = Base::new(
        SrType::Varchar(p + 2),
        Encoding::DecimalText,
        flink_src.clone(),
    );
    if ctx.in_primary_key {
        return text;
    }
    let fallback = |why: &str, notes: &mut Vec<Note>| {
        notes.push(note(
            NoteKind::Fallback,
            name,
            format!(
                "DECIMAL({p},{s}) exceeds {why}: stored as VARCHAR({}) text",
                p + 2
            ),
        ));
    };
    if p > 38 {
        if ctx.at_least(4, 0) && p <= DECIMAL256_MAX {
            Base::new(SrType::Decimal(p, s), Encoding::DecimalText, flink_src).sink("STRING")
        } else {
            fallback("StarRocks' DECIMAL precision for the target version", notes);
            text
        }
    } else if !ctx.use_decimal_v3 && (p > 27 || s > 9) {
        fallback("DECIMALV2 (use_decimal_v3 = false)", notes);
        text
    } else {
        Base::new(SrType::Decimal(p, s), Encoding::DecimalText, flink_src)
    }
}

/// CHAR, VARCHAR and the TEXT family: byte lengths from the character set, clamped to
/// StarRocks' VARCHAR; a capped key column cannot stay a key (values could collide).
fn map_text(col: &ColumnDesc, pk: bool, notes: &mut Vec<Note>) -> Base {
    let name = col.name.as_str();
    let (octets_needed, flink) = match &col.ty {
        SourceType::Char(n) => (octets(col, *n as u64), flink_len_type("CHAR", *n)),
        SourceType::Varchar(n) => (octets(col, *n as u64), flink_len_type("VARCHAR", *n)),
        _ => (
            char_column_octets(col).unwrap_or(VARCHAR_MAX as u64),
            "STRING".to_string(),
        ),
    };
    let (len, capped) = clamp_len(octets_needed);
    if capped {
        notes.push(capped_note(name, octets_needed));
    }
    let sr = match col.ty {
        SourceType::Char(_) if len <= CHAR_MAX && !pk => SrType::Char(len),
        _ => SrType::Varchar(len),
    };
    Base::new(sr, Encoding::Plain, flink).no_key_if(pk && capped)
}

/// BINARY/VARBINARY: VARBINARY on StarRocks ≥ 3.0 outside keys; hex text (twice the length)
/// in keys and on older targets.
fn map_binary(n: u64, name: &str, ctx: &MapCtx, notes: &mut Vec<Note>) -> Base {
    let pk = ctx.in_primary_key;
    if pk || !ctx.at_least(3, 0) {
        let (len, capped) = clamp_len(n.saturating_mul(2));
        if capped {
            notes.push(capped_note(name, n.saturating_mul(2)));
        }
        Base::new(SrType::Varchar(len), Encoding::Hex, "BYTES")
            .sink("STRING")
            .no_key_if(pk && capped)
    } else {
        let (len, capped) = clamp_len(n);
        if capped {
            notes.push(capped_note(name, n));
        }
        Base::new(SrType::Varbinary(len), Encoding::Hex, "BYTES")
    }
}

/// BLOBs never key a table; VARBINARY on StarRocks ≥ 3.0, hex text before.
fn map_blob(col: &ColumnDesc, k: TextKind, ctx: &MapCtx, notes: &mut Vec<Note>) -> Base {
    let name = col.name.as_str();
    let o = col.octet_length.unwrap_or(text_kind_bytes(k));
    let base = if ctx.at_least(3, 0) {
        let (len, capped) = clamp_len(o);
        if capped {
            notes.push(capped_note(name, o));
        }
        Base::new(SrType::Varbinary(len), Encoding::Hex, "BYTES")
    } else {
        let (len, capped) = clamp_len(o.saturating_mul(2));
        if capped {
            notes.push(capped_note(name, o.saturating_mul(2)));
        }
        Base::new(SrType::Varchar(len), Encoding::Hex, "BYTES").sink("STRING")
    };
    base.no_key_if(ctx.in_primary_key)
}

/// DATE, DATETIME, TIMESTAMP (zero dates: NULL, or the key sentinel in key columns), TIME as
/// text, YEAR as SMALLINT.
fn map_temporal(ty: &SourceType, name: &str, pk: bool, notes: &mut Vec<Note>) -> Base {
    const ZERO_DT: &str = "0000-00-00 00:00:00";
    match ty {
        SourceType::Date => {
            let enc = key_date(pk, name, "0000-00-00", "", notes, Encoding::Plain);
            Base::new(SrType::Date, enc, "DATE")
        }
        SourceType::DateTime { fsp } => {
            let enc = key_date(pk, name, ZERO_DT, " 00:00:00", notes, Encoding::DateTime);
            Base::new(SrType::DateTime, enc, format!("TIMESTAMP({})", fsp.min(&6)))
        }
        SourceType::Timestamp { fsp } => {
            let enc = key_date(pk, name, ZERO_DT, " 00:00:00", notes, Encoding::Timestamp);
            let fsp = fsp.min(&6);
            Base::new(SrType::DateTime, enc, format!("TIMESTAMP_LTZ({fsp})"))
                .sink(format!("TIMESTAMP({fsp})"))
        }
        SourceType::Time { fsp } => Base::new(
            SrType::Varchar(TIME_TEXT_LEN),
            Encoding::Time,
            format!("TIME({})", fsp.min(&6)),
        ),
        // YEAR, the one other type routed here.
        _ => Base::new(SrType::SmallInt, Encoding::Plain, "INT"),
    }
}

/// A type smt does not know: refused, or carried as text when `unknown_type_as_string`.
fn map_unknown(
    col: &ColumnDesc,
    raw: &str,
    ctx: &MapCtx,
    notes: &mut Vec<Note>,
) -> Result<Base, MapError> {
    if !ctx.unknown_type_as_string {
        return Err(MapError::Unsupported {
            column: format!("{}.{}", ctx.table, col.name),
            ty: if col.column_type.is_empty() {
                raw.to_string()
            } else {
                col.column_type.clone()
            },
        });
    }
    notes.push(note(
        NoteKind::UnknownType,
        &col.name,
        format!("unknown type `{raw}` carried as VARCHAR({VARCHAR_MAX}) text"),
    ));
    Ok(
        Base::new(SrType::Varchar(VARCHAR_MAX), Encoding::Plain, "STRING")
            .no_key_if(ctx.in_primary_key),
    )
}

fn capped_note(col: &str, bytes: u64) -> Note {
    note(
        NoteKind::Capped,
        col,
        format!("source can hold {bytes} bytes; StarRocks column capped at {VARCHAR_MAX} bytes"),
    )
}

/// UTF-8 bytes of an ENUM/SET label (labels are held as Rust strings, i.e. UTF-8).
fn label_octets(_col: &ColumnDesc, label: &str) -> u64 {
    label.len() as u64
}

fn drop_note(col: &str, what: &str, why: &str) -> Note {
    note(
        NoteKind::DroppedDefault,
        col,
        format!("DEFAULT {what} dropped: {why}"),
    )
}

fn int_range(t: SrType) -> Option<(i128, i128)> {
    match t {
        SrType::Boolean => Some((0, 1)),
        SrType::TinyInt => Some((i8::MIN as i128, i8::MAX as i128)),
        SrType::SmallInt => Some((i16::MIN as i128, i16::MAX as i128)),
        SrType::Int => Some((i32::MIN as i128, i32::MAX as i128)),
        SrType::BigInt => Some((i64::MIN as i128, i64::MAX as i128)),
        SrType::LargeInt => Some((i128::MIN, i128::MAX)),
        SrType::Float
        | SrType::Double
        | SrType::Decimal(..)
        | SrType::Char(_)
        | SrType::Varchar(_)
        | SrType::Varbinary(_)
        | SrType::Date
        | SrType::DateTime
        | SrType::Json => None,
    }
}

fn is_decimal_text(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    !(i.is_empty() && f.is_empty())
        && i.bytes().all(|b| b.is_ascii_digit())
        && f.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD` with a non-zero month and day.
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = &s[r];
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let days = match m {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            y >= 1 && d >= 1 && d <= days
        }
        _ => false,
    }
}

/// `YYYY-MM-DD HH:MM:SS[.f{1,6}]` (a date alone is accepted too).
pub fn is_valid_datetime(s: &str) -> bool {
    let (d, t) = match s.split_once(' ') {
        Some(x) => x,
        None => return is_valid_date(s),
    };
    if !is_valid_date(d) {
        return false;
    }
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    if frac.len() > 6 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    let v: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    v.len() == 3 && v[0] < 24 && v[1] < 60 && v[2] < 60
}

fn map_default(
    col: &ColumnDesc,
    t: SrType,
    enc: Encoding,
    notes: &mut Vec<Note>,
) -> Option<SrDefault> {
    let name = col.name.as_str();
    let lit = match &col.default {
        ColumnDefault::None | ColumnDefault::Null => return None,
        ColumnDefault::CurrentTimestamp => {
            return match t {
                SrType::DateTime => Some(SrDefault::CurrentTimestamp),
                _ => {
                    notes.push(drop_note(
                        name,
                        "CURRENT_TIMESTAMP",
                        &format!("not allowed on {t}"),
                    ));
                    None
                }
            };
        }
        ColumnDefault::Expression(e) => {
            notes.push(drop_note(name, e, "expressions are not carried"));
            return None;
        }
        ColumnDefault::Literal(s) => s.as_str(),
    };
    let keep = |notes: &mut Vec<Note>, ok: bool, why: &str| {
        if ok {
            Some(SrDefault::Literal(lit.to_string()))
        } else {
            notes.push(drop_note(name, &format!("'{lit}'"), why));
            None
        }
    };
    match enc {
        Encoding::Bool => match lit.trim().parse::<i128>() {
            Ok(v) => Some(SrDefault::Literal(if v == 0 { "0" } else { "1" }.into())),
            Err(_) => keep(notes, false, "not a boolean value"),
        },
        Encoding::Hex | Encoding::Wkt | Encoding::Json => keep(
            notes,
            false,
            &format!("defaults are not carried for {t} columns"),
        ),
        Encoding::BitAsInteger => {
            let ok = lit.parse::<u128>().is_ok();
            keep(notes, ok, "not an integer")
        }
        Encoding::Plain
        | Encoding::DecimalText
        | Encoding::DateTime
        | Encoding::Timestamp
        | Encoding::KeyDate
        | Encoding::Time
        | Encoding::EnumLabel
        | Encoding::SetLabels => {
            if let Some((lo, hi)) = int_range(t) {
                let ok = lit.trim().parse::<i128>().is_ok_and(|v| v >= lo && v <= hi);
                return keep(notes, ok, &format!("does not convert to {t}"));
            }
            match t {
                SrType::Float | SrType::Double => {
                    let ok = lit.trim().parse::<f64>().is_ok_and(|v| v.is_finite());
                    keep(notes, ok, &format!("does not convert to {t}"))
                }
                SrType::Decimal(p, s) => {
                    let ok = is_decimal_text(lit) && decimal_fits(lit, p, s);
                    keep(notes, ok, &format!("does not fit {t}"))
                }
                SrType::Char(n) | SrType::Varchar(n) => {
                    let ok = lit.len() as u64 <= n as u64
                        && (enc != Encoding::DecimalText || is_decimal_text(lit));
                    keep(notes, ok, &format!("does not fit {t}"))
                }
                SrType::Date => {
                    let ok = is_valid_date(lit);
                    keep(notes, ok, "not a valid non-zero date")
                }
                SrType::DateTime => {
                    let ok = is_valid_datetime(lit);
                    keep(notes, ok, "not a valid non-zero datetime")
                }
                SrType::Varbinary(_) | SrType::Json => keep(
                    notes,
                    false,
                    &format!("defaults are not carried for {t} columns"),
                ),
                SrType::Boolean
                | SrType::TinyInt
                | SrType::SmallInt
                | SrType::Int
                | SrType::BigInt
                | SrType::LargeInt => keep(notes, false, "unreachable integer case"),
            }
        }
    }
}

fn decimal_fits(lit: &str, p: u32, s: u32) -> bool {
    let t = lit.strip_prefix(['-', '+']).unwrap_or(lit);
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    let i = i.trim_start_matches('0');
    let f = f.trim_end_matches('0');
    i.len() as u32 <= p.saturating_sub(s) && f.len() as u32 <= s
}

/// Maximum encoded width in bytes of a column of this type inside a PRIMARY KEY (estimate).
pub fn key_width(t: SrType) -> u64 {
    match t {
        SrType::Boolean | SrType::TinyInt => 1,
        SrType::SmallInt => 2,
        SrType::Int | SrType::Float | SrType::Date => 4,
        SrType::BigInt | SrType::Double | SrType::DateTime => 8,
        SrType::LargeInt => 16,
        SrType::Decimal(..) => 16,
        SrType::Char(n) | SrType::Varchar(n) | SrType::Varbinary(n) => n as u64,
        SrType::Json => VARCHAR_MAX as u64,
    }
}

/// May this StarRocks type be a PRIMARY KEY column?
pub fn pk_type_ok(t: SrType) -> bool {
    match t {
        SrType::Boolean
        | SrType::TinyInt
        | SrType::SmallInt
        | SrType::Int
        | SrType::BigInt
        | SrType::LargeInt
        | SrType::Varchar(_)
        | SrType::Date
        | SrType::DateTime => true,
        SrType::Float
        | SrType::Double
        | SrType::Decimal(..)
        | SrType::Char(_)
        | SrType::Varbinary(_)
        | SrType::Json => false,
    }
}

/// May this StarRocks type be a sort (DUPLICATE KEY) or bucket column?
pub fn sort_type_ok(t: SrType) -> bool {
    match t {
        SrType::Float | SrType::Double | SrType::Json | SrType::Varbinary(_) => false,
        SrType::Boolean
        | SrType::TinyInt
        | SrType::SmallInt
        | SrType::Int
        | SrType::BigInt
        | SrType::LargeInt
        | SrType::Decimal(..)
        | SrType::Char(_)
        | SrType::Varchar(_)
        | SrType::Date
        | SrType::DateTime => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SourceType as S;

    fn col(ty: SourceType) -> ColumnDesc {
        ColumnDesc {
            name: "c".into(),
            ordinal: 1,
            ty,
            column_type: "t".into(),
            nullable: true,
            default: ColumnDefault::None,
            comment: String::new(),
            generated: None,
            charset: None,
            octet_length: None,
            on_update_current_timestamp: false,
        }
    }
    fn chr(ty: SourceType, charset: &str, octets: Option<u64>) -> ColumnDesc {
        ColumnDesc {
            charset: Some(charset.into()),
            octet_length: octets,
            ..col(ty)
        }
    }
    fn ctx() -> MapCtx<'static> {
        MapCtx {
            table: "db.t",
            use_decimal_v3: true,
            tinyint1_as_boolean: false,
            unknown_type_as_string: false,
            starrocks_version: (3, 3),
            in_primary_key: false,
        }
    }
    fn m(c: &ColumnDesc) -> Mapped {
        map_column(c, &ctx()).unwrap()
    }
    fn mk(c: &ColumnDesc) -> Mapped {
        map_column(c, &ctx().key(true)).unwrap()
    }
    fn int(width: IntWidth, unsigned: bool) -> SourceType {
        S::Int {
            width,
            unsigned,
            display: None,
        }
    }
    fn has(notes: &[Note], k: NoteKind) -> bool {
        notes.iter().any(|n| n.kind == k)
    }

    #[test]
    fn integers_and_unsigned_widening() {
        let cases = [
            (IntWidth::Tiny, false, SrType::TinyInt, "TINYINT"),
            (IntWidth::Tiny, true, SrType::SmallInt, "SMALLINT"),
            (IntWidth::Small, false, SrType::SmallInt, "SMALLINT"),
            (IntWidth::Small, true, SrType::Int, "INT"),
            (IntWidth::Medium, false, SrType::Int, "INT"),
            (IntWidth::Medium, true, SrType::Int, "INT"),
            (IntWidth::Int, false, SrType::Int, "INT"),
            (IntWidth::Int, true, SrType::BigInt, "BIGINT"),
            (IntWidth::Big, false, SrType::BigInt, "BIGINT"),
            (IntWidth::Big, true, SrType::LargeInt, "DECIMAL(20, 0)"),
        ];
        for (w, u, sr, fl) in cases {
            let r = m(&col(int(w, u)));
            assert_eq!(r.sr_type, sr, "{w:?} {u}");
            assert_eq!(r.flink_source_type, fl, "{w:?} {u}");
            assert_eq!(r.encoding, Encoding::Plain);
            let sink = if sr == SrType::LargeInt { "STRING" } else { fl };
            assert_eq!(r.flink_type, sink, "{w:?} {u}");
            // Integers are PRIMARY KEY material.
            assert!(mk(&col(int(w, u))).pk_ok);
        }
    }

    #[test]
    fn tinyint1_boolean_only_with_option() {
        let c = col(S::Int {
            width: IntWidth::Tiny,
            unsigned: false,
            display: Some(1),
        });
        assert_eq!(m(&c).sr_type, SrType::TinyInt);
        assert_eq!(m(&c).flink_type, "TINYINT");
        let on = MapCtx {
            tinyint1_as_boolean: true,
            ..ctx()
        };
        let r = map_column(
            &ColumnDesc {
                default: ColumnDefault::Literal("5".into()),
                ..c.clone()
            },
            &on,
        )
        .unwrap();
        assert_eq!(r.sr_type, SrType::Boolean);
        assert_eq!(r.flink_type, "BOOLEAN");
        assert_eq!(r.encoding, Encoding::Bool);
        assert_eq!(r.default, Some(SrDefault::Literal("1".into())));
    }

    #[test]
    fn bits() {
        assert_eq!(m(&col(S::Bit(1))).sr_type, SrType::Boolean);
        assert_eq!(m(&col(S::Bit(1))).flink_source_type, "BOOLEAN");
        let b2 = m(&col(S::Bit(2)));
        assert_eq!(
            (b2.sr_type, b2.encoding),
            (SrType::BigInt, Encoding::BitAsInteger)
        );
        assert_eq!(b2.flink_source_type, "BYTES");
        assert_eq!(b2.flink_type, "BIGINT");
        assert_eq!(m(&col(S::Bit(63))).sr_type, SrType::BigInt);
        assert_eq!(m(&col(S::Bit(64))).sr_type, SrType::LargeInt);
        let d = ColumnDesc {
            default: ColumnDefault::Literal("5".into()),
            ..col(S::Bit(8))
        };
        assert_eq!(m(&d).default, Some(SrDefault::Literal("5".into())));
    }

    #[test]
    fn floats_never_keys() {
        let f = m(&col(S::Float { unsigned: true }));
        assert_eq!((f.sr_type, f.flink_type.as_str()), (SrType::Float, "FLOAT"));
        let d = m(&col(S::Double { unsigned: false }));
        assert_eq!(
            (d.sr_type, d.flink_type.as_str()),
            (SrType::Double, "DOUBLE")
        );
        assert!(!mk(&col(S::Float { unsigned: false })).pk_ok);
        assert!(!mk(&col(S::Double { unsigned: false })).pk_ok);
    }

    fn dec(p: u32, s: u32) -> SourceType {
        S::Decimal {
            precision: p,
            scale: s,
            unsigned: false,
        }
    }

    #[test]
    fn decimals() {
        let r = m(&col(dec(10, 2)));
        assert_eq!(r.sr_type, SrType::Decimal(10, 2));
        assert_eq!(r.flink_type, "DECIMAL(10, 2)");
        assert_eq!(m(&col(dec(38, 10))).sr_type, SrType::Decimal(38, 10));
        // p > 38 before 4.0 → text
        let big = m(&col(dec(65, 30)));
        assert_eq!(big.sr_type, SrType::Varchar(67));
        assert_eq!(big.encoding, Encoding::DecimalText);
        assert_eq!(big.flink_source_type, "STRING");
        assert_eq!(big.flink_type, "STRING");
        assert!(has(&big.notes, NoteKind::Fallback));
        // ≥ 4.0 → DECIMAL256
        let v4 = MapCtx {
            starrocks_version: (4, 0),
            ..ctx()
        };
        let r = map_column(&col(dec(65, 30)), &v4).unwrap();
        assert_eq!(r.sr_type, SrType::Decimal(65, 30));
        assert_eq!(r.flink_type, "STRING");
        // Beyond DECIMAL256 (merged shards can widen past 65) → text even on 4.0.
        let r = map_column(&col(dec(90, 30)), &v4).unwrap();
        assert_eq!(r.sr_type, SrType::Varchar(92));
        // use_decimal_v3 = false
        let v2 = MapCtx {
            use_decimal_v3: false,
            ..ctx()
        };
        assert_eq!(
            map_column(&col(dec(27, 9)), &v2).unwrap().sr_type,
            SrType::Decimal(27, 9)
        );
        assert_eq!(
            map_column(&col(dec(28, 2)), &v2).unwrap().sr_type,
            SrType::Varchar(30)
        );
        assert_eq!(
            map_column(&col(dec(20, 10)), &v2).unwrap().sr_type,
            SrType::Varchar(22)
        );
        // In a PRIMARY KEY → VARCHAR(p+2) text, key-legal.
        let k = mk(&col(dec(10, 2)));
        assert_eq!(
            (k.sr_type, k.encoding),
            (SrType::Varchar(12), Encoding::DecimalText)
        );
        assert!(k.pk_ok);
        assert_eq!(k.flink_source_type, "DECIMAL(10, 2)");
        assert_eq!(k.flink_type, "STRING");
    }

    #[test]
    fn char_and_varchar_octets() {
        // utf8mb4: octet_length = 4n
        let c = m(&chr(S::Char(10), "utf8mb4", Some(40)));
        assert_eq!(c.sr_type, SrType::Char(40));
        assert_eq!(c.flink_type, "CHAR(10)");
        // latin1: 1 byte in the source, up to 3 in UTF-8 (cp1252 `€`).
        assert_eq!(
            m(&chr(S::Char(10), "latin1", Some(10))).sr_type,
            SrType::Char(30)
        );
        assert_eq!(
            m(&chr(S::Varchar(10), "ascii", Some(10))).sr_type,
            SrType::Varchar(10)
        );
        assert_eq!(
            m(&chr(S::Varchar(10), "utf8mb3", Some(30))).sr_type,
            SrType::Varchar(30)
        );
        // No octet length: chars × bytes per char; unknown charset → 4.
        assert_eq!(
            m(&chr(S::Varchar(10), "utf8mb4", None)).sr_type,
            SrType::Varchar(40)
        );
        assert_eq!(
            m(&chr(S::Varchar(10), "utf8", None)).sr_type,
            SrType::Varchar(30)
        );
        assert_eq!(
            m(&chr(S::Varchar(10), "klingon", None)).sr_type,
            SrType::Varchar(40)
        );
        assert_eq!(m(&col(S::Varchar(10))).sr_type, SrType::Varchar(40));
        // CHAR over 255 bytes → VARCHAR
        assert_eq!(
            m(&chr(S::Char(64), "utf8mb4", Some(256))).sr_type,
            SrType::Varchar(256)
        );
        assert_eq!(
            m(&chr(S::Char(255), "latin1", Some(255))).sr_type,
            SrType::Varchar(765)
        );
        // CHAR in a PRIMARY KEY → VARCHAR
        let k = mk(&chr(S::Char(10), "utf8mb4", Some(40)));
        assert_eq!(k.sr_type, SrType::Varchar(40));
        assert!(k.pk_ok);
        // CHAR(0) is valid MySQL; StarRocks needs ≥ 1, Flink CHAR(0) is invalid.
        let z = m(&chr(S::Char(0), "utf8mb4", Some(0)));
        assert_eq!(z.sr_type, SrType::Char(1));
        assert_eq!(z.flink_type, "STRING");
        // VARCHAR cap
        let big = m(&chr(S::Varchar(300_000), "utf8mb4", Some(1_200_000)));
        assert_eq!(big.sr_type, SrType::Varchar(VARCHAR_MAX));
        assert!(has(&big.notes, NoteKind::Capped));
        assert!(!mk(&chr(S::Varchar(300_000), "utf8mb4", Some(1_200_000))).pk_ok);
        let edge = m(&chr(S::Varchar(262_144), "utf8mb4", Some(1_048_576)));
        assert_eq!(edge.sr_type, SrType::Varchar(VARCHAR_MAX));
        assert!(!has(&edge.notes, NoteKind::Capped));
    }

    #[test]
    fn texts() {
        let t = m(&chr(S::Text(TextKind::Text), "utf8mb4", Some(65535)));
        assert_eq!(t.sr_type, SrType::Varchar(65535));
        assert_eq!(t.flink_type, "STRING");
        assert!(t.notes.is_empty());
        let tiny = m(&chr(S::Text(TextKind::Tiny), "latin1", Some(255)));
        assert_eq!(tiny.sr_type, SrType::Varchar(765));
        let med = m(&chr(S::Text(TextKind::Medium), "utf8mb4", Some(16_777_215)));
        assert_eq!(med.sr_type, SrType::Varchar(VARCHAR_MAX));
        assert!(has(&med.notes, NoteKind::Capped));
        let long = m(&chr(S::Text(TextKind::Long), "utf8mb4", None));
        assert_eq!(long.sr_type, SrType::Varchar(VARCHAR_MAX));
        assert!(has(&long.notes, NoteKind::Capped));
        assert!(!mk(&chr(S::Text(TextKind::Long), "utf8mb4", None)).pk_ok);
        assert!(mk(&chr(S::Text(TextKind::Tiny), "utf8mb4", Some(255))).pk_ok);
    }

    #[test]
    fn binaries_and_blobs() {
        let b = m(&col(S::Binary(16)));
        assert_eq!(b.sr_type, SrType::Varbinary(16));
        assert_eq!(
            (b.flink_type.as_str(), b.flink_source_type.as_str()),
            ("BYTES", "BYTES")
        );
        assert_eq!(m(&col(S::Varbinary(200))).sr_type, SrType::Varbinary(200));
        let old = MapCtx {
            starrocks_version: (2, 5),
            ..ctx()
        };
        let o = map_column(&col(S::Varbinary(200)), &old).unwrap();
        assert_eq!(
            (o.sr_type, o.encoding),
            (SrType::Varchar(400), Encoding::Hex)
        );
        assert_eq!(o.flink_type, "STRING");
        let k = mk(&col(S::Binary(16)));
        assert_eq!(
            (k.sr_type, k.encoding),
            (SrType::Varchar(32), Encoding::Hex)
        );
        assert!(k.pk_ok);
        let blob = m(&ColumnDesc {
            octet_length: Some(65535),
            ..col(S::Blob(TextKind::Text))
        });
        assert_eq!(blob.sr_type, SrType::Varbinary(65535));
        let lb = m(&col(S::Blob(TextKind::Long)));
        assert_eq!(lb.sr_type, SrType::Varbinary(VARCHAR_MAX));
        assert!(has(&lb.notes, NoteKind::Capped));
        assert!(!mk(&col(S::Blob(TextKind::Tiny))).pk_ok);
    }

    #[test]
    fn temporal() {
        assert_eq!(m(&col(S::Date)).sr_type, SrType::Date);
        assert_eq!(m(&col(S::Date)).flink_type, "DATE");
        let dt = m(&col(S::DateTime { fsp: 6 }));
        assert_eq!(
            (dt.sr_type, dt.encoding),
            (SrType::DateTime, Encoding::DateTime)
        );
        assert_eq!(
            (dt.flink_source_type.as_str(), dt.flink_type.as_str()),
            ("TIMESTAMP(6)", "TIMESTAMP(6)")
        );
        let ts = m(&col(S::Timestamp { fsp: 3 }));
        assert_eq!(
            (ts.sr_type, ts.encoding),
            (SrType::DateTime, Encoding::Timestamp)
        );
        assert_eq!(ts.flink_source_type, "TIMESTAMP_LTZ(3)");
        assert_eq!(ts.flink_type, "TIMESTAMP(3)");
        let t = m(&col(S::Time { fsp: 6 }));
        assert_eq!(
            (t.sr_type, t.encoding),
            (SrType::Varchar(17), Encoding::Time)
        );
        assert_eq!("-838:59:59.000000".len() as u32, TIME_TEXT_LEN);
        assert_eq!(
            (t.flink_source_type.as_str(), t.flink_type.as_str()),
            ("TIME(6)", "STRING")
        );
        let y = m(&col(S::Year));
        assert_eq!(y.sr_type, SrType::SmallInt);
        assert_eq!(
            (y.flink_source_type.as_str(), y.flink_type.as_str()),
            ("INT", "SMALLINT")
        );
        assert!(mk(&col(S::DateTime { fsp: 0 })).pk_ok);
    }

    #[test]
    fn key_dates_load_zero_dates_as_the_sentinel_and_say_so() {
        for (ty, sr, zero) in [
            (S::Date, SrType::Date, "0000-01-01 ("),
            (
                S::DateTime { fsp: 6 },
                SrType::DateTime,
                "0000-01-01 00:00:00 (",
            ),
            (
                S::Timestamp { fsp: 0 },
                SrType::DateTime,
                "0000-01-01 00:00:00 (",
            ),
        ] {
            let k = mk(&col(ty.clone()));
            assert_eq!((k.sr_type, k.encoding), (sr, Encoding::KeyDate), "{ty:?}");
            assert!(k.pk_ok);
            assert_eq!(k.notes.len(), 1, "{:?}", k.notes);
            assert_eq!(k.notes[0].kind, NoteKind::Fallback);
            assert_eq!(k.notes[0].column.as_deref(), Some("c"));
            assert!(k.notes[0].message.contains(zero), "{}", k.notes[0].message);
            assert!(k.notes[0].message.contains("partial zero date"));
            // Outside a key: zero dates are NULL, no note here (the planner notes nullability).
            let v = m(&col(ty.clone()));
            assert_ne!(v.encoding, Encoding::KeyDate);
            assert!(v.notes.is_empty(), "{:?}", v.notes);
        }
    }

    #[test]
    fn enum_set_json_geometry() {
        let e = m(&col(S::Enum(vec!["a".into(), "ééé".into()])));
        assert_eq!(
            (e.sr_type, e.encoding),
            (SrType::Varchar(6), Encoding::EnumLabel)
        );
        assert_eq!(m(&col(S::Enum(vec![]))).sr_type, SrType::Varchar(1));
        let s = m(&col(S::Set(vec!["a".into(), "bb".into(), "ccc".into()])));
        assert_eq!(
            (s.sr_type, s.encoding),
            (SrType::Varchar(8), Encoding::SetLabels)
        );
        assert_eq!(m(&col(S::Set(vec![]))).sr_type, SrType::Varchar(1));
        let j = m(&col(S::Json));
        assert_eq!(
            (j.sr_type, j.encoding, j.flink_type.as_str()),
            (SrType::Json, Encoding::Json, "STRING")
        );
        assert!(!mk(&col(S::Json)).pk_ok);
        let g = m(&col(S::Geometry(GeometryKind::Point)));
        assert_eq!(
            (g.sr_type, g.encoding),
            (SrType::Varchar(VARCHAR_MAX), Encoding::Wkt)
        );
    }

    #[test]
    fn unknown_types() {
        let c = ColumnDesc {
            name: "u".into(),
            column_type: "uuid".into(),
            ..col(S::Unknown("uuid".into()))
        };
        let e = map_column(&c, &ctx()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("db.t.u")
                && msg.contains("uuid")
                && msg.contains("unknown_type_as_string"),
            "{msg}"
        );
        let on = MapCtx {
            unknown_type_as_string: true,
            ..ctx()
        };
        let r = map_column(&c, &on).unwrap();
        assert_eq!(r.sr_type, SrType::Varchar(VARCHAR_MAX));
        assert!(has(&r.notes, NoteKind::UnknownType));
    }

    #[test]
    fn generated_columns_noted() {
        let c = ColumnDesc {
            generated: Some("a + 1".into()),
            ..col(int(IntWidth::Int, false))
        };
        let r = m(&c);
        assert_eq!(r.sr_type, SrType::Int);
        assert!(has(&r.notes, NoteKind::Generated));
    }

    fn with_default(ty: SourceType, d: ColumnDefault) -> Mapped {
        m(&ColumnDesc {
            default: d,
            ..chr(ty, "utf8mb4", None)
        })
    }

    #[test]
    fn defaults() {
        use ColumnDefault as D;
        let lit = |s: &str| D::Literal(s.into());
        let kept = |s: &str| Some(SrDefault::Literal(s.into()));
        assert_eq!(
            with_default(int(IntWidth::Int, false), lit("42")).default,
            kept("42")
        );
        let r = with_default(int(IntWidth::Tiny, false), lit("300"));
        assert_eq!(r.default, None);
        assert!(has(&r.notes, NoteKind::DroppedDefault));
        assert_eq!(
            with_default(int(IntWidth::Int, false), D::Null).default,
            None
        );
        assert_eq!(with_default(S::Varchar(3), lit("abc")).default, kept("abc"));
        assert_eq!(with_default(dec(5, 2), lit("1.50")).default, kept("1.50"));
        assert_eq!(with_default(dec(5, 2), lit("1234.5")).default, None);
        assert_eq!(
            with_default(S::Date, lit("2024-02-29")).default,
            kept("2024-02-29")
        );
        let z = with_default(S::Date, lit("0000-00-00"));
        assert_eq!(z.default, None);
        assert!(has(&z.notes, NoteKind::DroppedDefault));
        assert_eq!(
            with_default(S::DateTime { fsp: 0 }, D::CurrentTimestamp).default,
            Some(SrDefault::CurrentTimestamp)
        );
        assert_eq!(
            with_default(S::Timestamp { fsp: 3 }, D::CurrentTimestamp).default,
            Some(SrDefault::CurrentTimestamp)
        );
        assert_eq!(
            with_default(S::DateTime { fsp: 0 }, lit("2024-01-01 10:00:00")).default,
            kept("2024-01-01 10:00:00")
        );
        assert_eq!(
            with_default(S::DateTime { fsp: 0 }, lit("0000-00-00 00:00:00")).default,
            None
        );
        let ex = with_default(S::Varchar(36), D::Expression("uuid()".into()));
        assert_eq!(ex.default, None);
        assert!(has(&ex.notes, NoteKind::DroppedDefault));
        assert_eq!(with_default(S::Json, lit("{}")).default, None);
        assert_eq!(with_default(S::Varbinary(4), lit("ab")).default, None);
        assert_eq!(
            with_default(S::Double { unsigned: false }, lit("1.5e3")).default,
            kept("1.5e3")
        );
        assert_eq!(
            with_default(S::Enum(vec!["x".into()]), lit("x")).default,
            kept("x")
        );
        assert_eq!(
            with_default(S::Time { fsp: 0 }, lit("12:00:00")).default,
            kept("12:00:00")
        );
        assert_eq!(with_default(S::Year, lit("2024")).default, kept("2024"));
    }
}
