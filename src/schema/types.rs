//! Parsing of MySQL/MariaDB column type text and column defaults into [`SourceType`] /
//! [`ColumnDefault`], shared by live introspection and dump parsing so both paths describe a
//! column identically.
//!
//! Invariant: the same column gives the same `SourceType`, `ColumnDefault` and octet length
//! whether it was read from information_schema or from `SHOW CREATE TABLE` text, because both
//! paths go through the functions here (the dump path renders its type back to COLUMN_TYPE
//! form first). Nothing here panics on input: unknown text becomes `SourceType::Unknown`.

use super::{ColumnDefault, GeometryKind, IntWidth, SourceType, TextKind};
use serde::Serialize;

/// Which server family described the schema. Drives default normalisation (MariaDB quotes
/// string defaults in information_schema, MySQL does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Flavor {
    MariaDb,
    MySql57,
    MySql80,
    TiDb,
}

impl Flavor {
    /// Classify a `SELECT VERSION()` string (`10.11.19-MariaDB-0+deb12u1-log`,
    /// `8.0.36`, `5.7.44-log`, `8.0.11-TiDB-v7.5.0`).
    pub fn from_version(version: &str) -> Flavor {
        let lower = version.to_ascii_lowercase();
        if lower.contains("tidb") {
            return Flavor::TiDb;
        }
        if lower.contains("mariadb") {
            return Flavor::MariaDb;
        }
        match version_triple(version) {
            Some((major, _, _)) if major >= 8 => Flavor::MySql80,
            Some((major, _, _)) if major >= 10 => Flavor::MariaDb,
            _ => Flavor::MySql57,
        }
    }
}

/// `major.minor.patch` from the start of a version string (`10.11.19-MariaDB` → (10, 11, 19)).
pub fn version_triple(version: &str) -> Option<(u32, u32, u32)> {
    let head: String = version
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = head.split('.').filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// Parse information_schema `DATA_TYPE` + `COLUMN_TYPE` (e.g. `int`, `int(10) unsigned
/// zerofill`). `zerofill` implies unsigned. Unknown types give `SourceType::Unknown(column_type)`.
pub fn parse_source_type(data_type: &str, column_type: &str) -> SourceType {
    let dt = data_type.trim().to_ascii_lowercase();
    let ct = column_type.trim();
    let ct_lower = ct.to_ascii_lowercase();
    // Words after the closing parenthesis (or after the name): unsigned / zerofill / signed.
    let tail = match ct_lower.rfind(')') {
        Some(i) if !matches!(dt.as_str(), "enum" | "set") => &ct_lower[i + 1..],
        Some(_) => "",
        None => ct_lower.get(dt.len()..).unwrap_or(""),
    };
    let unsigned = tail
        .split_whitespace()
        .any(|w| w == "unsigned" || w == "zerofill");
    let args = numeric_args(&ct_lower);
    let first = args.first().copied();
    let fsp = first.map(|n| n.min(6) as u8).unwrap_or(0);
    let int = |width| SourceType::Int {
        width,
        unsigned,
        display: first,
    };
    match dt.as_str() {
        "tinyint" | "int1" => int(IntWidth::Tiny),
        "bool" | "boolean" => SourceType::Int {
            width: IntWidth::Tiny,
            unsigned: false,
            display: Some(1),
        },
        "smallint" | "int2" => int(IntWidth::Small),
        "mediumint" | "int3" | "middleint" => int(IntWidth::Medium),
        "int" | "integer" | "int4" => int(IntWidth::Int),
        "bigint" | "int8" => int(IntWidth::Big),
        "bit" => SourceType::Bit(first.unwrap_or(1)),
        "float" | "float4" => SourceType::Float { unsigned },
        "double" | "real" | "double precision" | "float8" => SourceType::Double { unsigned },
        "decimal" | "numeric" | "fixed" | "dec" => SourceType::Decimal {
            precision: first.unwrap_or(10),
            scale: args.get(1).copied().unwrap_or(0),
            unsigned,
        },
        "char" | "character" | "nchar" => SourceType::Char(first.unwrap_or(1)),
        "varchar" | "character varying" | "nvarchar" => SourceType::Varchar(first.unwrap_or(0)),
        "tinytext" => SourceType::Text(TextKind::Tiny),
        "text" => SourceType::Text(TextKind::Text),
        "mediumtext" | "long varchar" => SourceType::Text(TextKind::Medium),
        "longtext" => SourceType::Text(TextKind::Long),
        "binary" => SourceType::Binary(first.unwrap_or(1)),
        "varbinary" => SourceType::Varbinary(first.unwrap_or(0)),
        "tinyblob" => SourceType::Blob(TextKind::Tiny),
        "blob" => SourceType::Blob(TextKind::Text),
        "mediumblob" | "long varbinary" => SourceType::Blob(TextKind::Medium),
        "longblob" => SourceType::Blob(TextKind::Long),
        "date" => SourceType::Date,
        "datetime" => SourceType::DateTime { fsp },
        "timestamp" => SourceType::Timestamp { fsp },
        "time" => SourceType::Time { fsp },
        "year" => SourceType::Year,
        "enum" => match parse_value_list(ct) {
            Some(v) => SourceType::Enum(v),
            None => SourceType::Unknown(ct.to_string()),
        },
        "set" => match parse_value_list(ct) {
            Some(v) => SourceType::Set(v),
            None => SourceType::Unknown(ct.to_string()),
        },
        "json" => SourceType::Json,
        "geometry" => SourceType::Geometry(GeometryKind::Geometry),
        "point" => SourceType::Geometry(GeometryKind::Point),
        "linestring" => SourceType::Geometry(GeometryKind::LineString),
        "polygon" => SourceType::Geometry(GeometryKind::Polygon),
        "multipoint" => SourceType::Geometry(GeometryKind::MultiPoint),
        "multilinestring" => SourceType::Geometry(GeometryKind::MultiLineString),
        "multipolygon" => SourceType::Geometry(GeometryKind::MultiPolygon),
        "geometrycollection" | "geomcollection" => {
            SourceType::Geometry(GeometryKind::GeometryCollection)
        }
        _ => SourceType::Unknown(ct.to_string()),
    }
}

/// The DATA_TYPE word of a COLUMN_TYPE text: `int(10) unsigned` → `int`,
/// `double precision` → `double precision`.
pub fn data_type_of(column_type: &str) -> String {
    let lower = column_type.trim().to_ascii_lowercase();
    let end = lower.find(['(', ' ']).unwrap_or(lower.len());
    let word = &lower[..end];
    // Two-word type names.
    for two in [
        "double precision",
        "character varying",
        "long varchar",
        "long varbinary",
    ] {
        if lower.starts_with(two) {
            return two.to_string();
        }
    }
    word.to_string()
}

/// Numbers inside the first parenthesis: `decimal(10,2) unsigned` → [10, 2].
fn numeric_args(ct_lower: &str) -> Vec<u32> {
    let Some(open) = ct_lower.find('(') else {
        return Vec::new();
    };
    let Some(close) = ct_lower[open..].find(')') else {
        return Vec::new();
    };
    ct_lower[open + 1..open + close]
        .split(',')
        .filter_map(|p| p.trim().parse::<u32>().ok())
        .collect()
}

/// Values of `enum('a','b''c')` / `set(...)`, unescaped (`''` → `'`, `\\` → `\`).
/// None when the text is not a well-formed list.
pub fn parse_value_list(column_type: &str) -> Option<Vec<String>> {
    let open = column_type.find('(')?;
    let mut chars = column_type[open + 1..].chars().peekable();
    let mut values = Vec::new();
    loop {
        // Expect a quoted value (or `)` for an empty list).
        match chars.next()? {
            '\'' => {}
            ')' if values.is_empty() => return Some(values),
            c if c.is_whitespace() => continue,
            _ => return None,
        }
        let mut v = String::new();
        loop {
            match chars.next()? {
                '\'' => {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        v.push('\'');
                    } else {
                        break;
                    }
                }
                '\\' => v.push(unescape_char(chars.next()?)),
                c => v.push(c),
            }
        }
        values.push(v);
        loop {
            match chars.next()? {
                ',' => break,
                ')' => return Some(values),
                c if c.is_whitespace() => continue,
                _ => return None,
            }
        }
    }
}

/// MySQL backslash escape → character (`n` → newline, `0` → NUL, unknown → itself).
fn unescape_char(c: char) -> char {
    match c {
        '0' => '\0',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'b' => '\u{8}',
        'Z' => '\u{1a}',
        other => other,
    }
}

/// Unquote a single-quoted MySQL string literal (`'a''b'` → `a'b`). None if not quoted.
pub fn unquote_literal(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                // A doubled quote; a lone one would be malformed, keep it.
                if chars.peek() == Some(&'\'') {
                    chars.next();
                }
                out.push('\'');
            }
            '\\' => match chars.next() {
                Some(n) => out.push(unescape_char(n)),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// `CURRENT_TIMESTAMP`, `current_timestamp()`, `current_timestamp(6)`, `now()`,
/// `localtimestamp`, ... (any case).
pub fn is_current_timestamp(expr: &str) -> bool {
    let lower = expr.trim().to_ascii_lowercase();
    let name_end = lower.find('(').unwrap_or(lower.len());
    let (name, rest) = lower.split_at(name_end);
    let name_ok = matches!(
        name.trim(),
        "current_timestamp" | "now" | "localtime" | "localtimestamp"
    );
    let rest_ok = rest.is_empty()
        || (rest.starts_with('(')
            && rest.ends_with(')')
            && rest[1..rest.len() - 1]
                .trim()
                .chars()
                .all(|c| c.is_ascii_digit()));
    name_ok && rest_ok
}

/// A bit literal `b'101'` (or `0b101`) → its decimal value text.
fn bit_literal_value(s: &str) -> Option<String> {
    let t = s.trim();
    let quoted = t.strip_prefix("b'").or_else(|| t.strip_prefix("B'"));
    let digits = match quoted {
        Some(rest) => rest.strip_suffix('\'')?,
        None => t.strip_prefix("0b")?,
    };
    if digits.is_empty() {
        return Some("0".into());
    }
    u64::from_str_radix(digits, 2).ok().map(|v| v.to_string())
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && t.starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// Normalise information_schema `COLUMN_DEFAULT` across flavours.
///
/// - `raw = None` (SQL NULL): `Null` for a nullable column (MySQL writes `DEFAULT NULL` for it),
///   `None` for NOT NULL.
/// - MariaDB: the string `NULL` = `DEFAULT NULL`; `'...'` = string literal; numbers = literal;
///   `b'101'` = bit literal; anything else is an expression (`current_timestamp()`, `uuid()`).
/// - MySQL 5.7 / 8.0 / TiDB: unquoted literals; `extra` containing `DEFAULT_GENERATED` (8.0.13+)
///   marks an expression; `CURRENT_TIMESTAMP` on a temporal column is the timestamp default.
pub fn normalize_default(
    raw: Option<&str>,
    nullable: bool,
    flavor: Flavor,
    ty: &SourceType,
    extra: &str,
) -> ColumnDefault {
    let Some(raw) = raw else {
        return if nullable {
            ColumnDefault::Null
        } else {
            ColumnDefault::None
        };
    };
    let is_bit = matches!(ty, SourceType::Bit(_));
    let temporal = matches!(
        ty,
        SourceType::DateTime { .. } | SourceType::Timestamp { .. }
    );
    match flavor {
        Flavor::MariaDb => {
            let t = raw.trim();
            if t.eq_ignore_ascii_case("NULL") {
                return ColumnDefault::Null;
            }
            if let Some(v) = unquote_literal(t) {
                return ColumnDefault::Literal(v);
            }
            if let Some(v) = bit_literal_value(t) {
                return ColumnDefault::Literal(v);
            }
            if looks_numeric(t) {
                return ColumnDefault::Literal(t.to_string());
            }
            if is_current_timestamp(t) {
                return ColumnDefault::CurrentTimestamp;
            }
            ColumnDefault::Expression(t.to_string())
        }
        Flavor::MySql57 | Flavor::MySql80 | Flavor::TiDb => {
            let generated = extra.to_ascii_uppercase().contains("DEFAULT_GENERATED");
            if (generated || temporal) && is_current_timestamp(raw) {
                return ColumnDefault::CurrentTimestamp;
            }
            if generated {
                return ColumnDefault::Expression(raw.trim().to_string());
            }
            if is_bit {
                if let Some(v) = bit_literal_value(raw) {
                    return ColumnDefault::Literal(v);
                }
            }
            ColumnDefault::Literal(raw.to_string())
        }
    }
}

/// Maximum bytes per character of a MySQL character set (`utf8mb4` → 4). Unknown → 1.
pub fn charset_max_len(charset: &str) -> u64 {
    match charset.to_ascii_lowercase().as_str() {
        "utf8mb4" | "utf16" | "utf16le" | "utf32" | "gb18030" => 4,
        "utf8" | "utf8mb3" | "ujis" | "eucjpms" => 3,
        "ucs2" | "gbk" | "gb2312" | "big5" | "sjis" | "cp932" | "euckr" => 2,
        _ => 1,
    }
}

/// The character set of a collation name (`latin1_swedish_ci` → `latin1`).
pub fn charset_of_collation(collation: &str) -> String {
    let lower = collation.to_ascii_lowercase();
    match lower.find('_') {
        Some(i) => lower[..i].to_string(),
        None => lower,
    }
}

/// Whether a type carries a character set (CHARACTER_SET_NAME non-NULL).
pub fn is_character_type(ty: &SourceType) -> bool {
    match ty {
        SourceType::Char(_)
        | SourceType::Varchar(_)
        | SourceType::Text(_)
        | SourceType::Enum(_)
        | SourceType::Set(_) => true,
        // MariaDB JSON is LONGTEXT (utf8mb4); MySQL JSON has no charset.
        SourceType::Json => false,
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
        | SourceType::Geometry(_)
        | SourceType::Unknown(_) => false,
    }
}

fn text_bytes(kind: TextKind) -> u64 {
    match kind {
        TextKind::Tiny => 255,
        TextKind::Text => 65_535,
        TextKind::Medium => 16_777_215,
        TextKind::Long => 4_294_967_295,
    }
}

/// CHARACTER_OCTET_LENGTH as the server computes it, for a dump (no server to ask).
/// `charset` is the column's effective character set (None for binary types).
pub fn octet_length(ty: &SourceType, charset: Option<&str>) -> Option<u64> {
    let mb = charset.map(charset_max_len).unwrap_or(1);
    match ty {
        SourceType::Char(n) | SourceType::Varchar(n) => Some(u64::from(*n) * mb),
        SourceType::Text(k) | SourceType::Blob(k) => Some(text_bytes(*k)),
        SourceType::Binary(n) | SourceType::Varbinary(n) => Some(u64::from(*n)),
        SourceType::Enum(values) => Some(
            values
                .iter()
                .map(|v| v.chars().count() as u64)
                .max()
                .unwrap_or(0)
                * mb,
        ),
        SourceType::Set(values) => {
            let chars: u64 = values.iter().map(|v| v.chars().count() as u64).sum::<u64>()
                + values.len().saturating_sub(1) as u64;
            Some(chars * mb)
        }
        // MariaDB JSON = LONGTEXT.
        SourceType::Json => Some(text_bytes(TextKind::Long)),
        SourceType::Int { .. }
        | SourceType::Bit(_)
        | SourceType::Float { .. }
        | SourceType::Double { .. }
        | SourceType::Decimal { .. }
        | SourceType::Date
        | SourceType::DateTime { .. }
        | SourceType::Timestamp { .. }
        | SourceType::Time { .. }
        | SourceType::Year
        | SourceType::Geometry(_)
        | SourceType::Unknown(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ct: &str) -> SourceType {
        parse_source_type(&data_type_of(ct), ct)
    }

    #[test]
    fn ints() {
        assert_eq!(
            parse_source_type("int", "int(10) unsigned zerofill"),
            SourceType::Int {
                width: IntWidth::Int,
                unsigned: true,
                display: Some(10)
            }
        );
        assert_eq!(
            p("tinyint(1)"),
            SourceType::Int {
                width: IntWidth::Tiny,
                unsigned: false,
                display: Some(1)
            }
        );
        assert_eq!(
            p("bigint(20) unsigned"),
            SourceType::Int {
                width: IntWidth::Big,
                unsigned: true,
                display: Some(20)
            }
        );
        assert_eq!(
            p("mediumint"),
            SourceType::Int {
                width: IntWidth::Medium,
                unsigned: false,
                display: None
            }
        );
        assert_eq!(
            p("SMALLINT(6) ZEROFILL"),
            SourceType::Int {
                width: IntWidth::Small,
                unsigned: true,
                display: Some(6)
            }
        );
    }

    #[test]
    fn numerics() {
        assert_eq!(
            p("decimal(65,30)"),
            SourceType::Decimal {
                precision: 65,
                scale: 30,
                unsigned: false
            }
        );
        assert_eq!(
            p("decimal(10,2) unsigned"),
            SourceType::Decimal {
                precision: 10,
                scale: 2,
                unsigned: true
            }
        );
        assert_eq!(
            p("decimal"),
            SourceType::Decimal {
                precision: 10,
                scale: 0,
                unsigned: false
            }
        );
        assert_eq!(p("double unsigned"), SourceType::Double { unsigned: true });
        assert_eq!(p("float(7,4)"), SourceType::Float { unsigned: false });
        assert_eq!(p("bit(10)"), SourceType::Bit(10));
        assert_eq!(p("bit"), SourceType::Bit(1));
        assert_eq!(p("bit(64)"), SourceType::Bit(64));
    }

    #[test]
    fn strings_and_times() {
        assert_eq!(p("varchar(255)"), SourceType::Varchar(255));
        assert_eq!(p("char(0)"), SourceType::Char(0));
        assert_eq!(p("longtext"), SourceType::Text(TextKind::Long));
        assert_eq!(p("mediumblob"), SourceType::Blob(TextKind::Medium));
        assert_eq!(p("binary(16)"), SourceType::Binary(16));
        assert_eq!(p("varbinary(10)"), SourceType::Varbinary(10));
        assert_eq!(p("datetime(6)"), SourceType::DateTime { fsp: 6 });
        assert_eq!(p("datetime"), SourceType::DateTime { fsp: 0 });
        assert_eq!(p("timestamp(3)"), SourceType::Timestamp { fsp: 3 });
        assert_eq!(p("time(6)"), SourceType::Time { fsp: 6 });
        assert_eq!(p("year(4)"), SourceType::Year);
        assert_eq!(p("date"), SourceType::Date);
        assert_eq!(p("json"), SourceType::Json);
        assert_eq!(p("point"), SourceType::Geometry(GeometryKind::Point));
        assert_eq!(p("geometry"), SourceType::Geometry(GeometryKind::Geometry));
        assert_eq!(
            p("geomcollection"),
            SourceType::Geometry(GeometryKind::GeometryCollection)
        );
    }

    #[test]
    fn enums_and_sets_with_escapes() {
        assert_eq!(
            parse_source_type("enum", r"enum('a','b''c','d\\e','x,y')"),
            SourceType::Enum(vec!["a".into(), "b'c".into(), r"d\e".into(), "x,y".into()])
        );
        assert_eq!(
            p("set('a','bb','ccc')"),
            SourceType::Set(vec!["a".into(), "bb".into(), "ccc".into()])
        );
        assert_eq!(
            p("enum('É',') ')"),
            SourceType::Enum(vec!["É".into(), ") ".into()])
        );
        // Malformed → Unknown, not a panic.
        assert_eq!(p("enum('a"), SourceType::Unknown("enum('a".into()));
    }

    #[test]
    fn unknown_types_keep_text() {
        assert_eq!(p("uuid"), SourceType::Unknown("uuid".into()));
        assert_eq!(p("inet6"), SourceType::Unknown("inet6".into()));
        assert_eq!(p("inet4"), SourceType::Unknown("inet4".into()));
        assert_eq!(p("vector(3)"), SourceType::Unknown("vector(3)".into()));
    }

    #[test]
    fn flavors() {
        assert_eq!(
            Flavor::from_version("10.11.19-MariaDB-0+deb12u1-log"),
            Flavor::MariaDb
        );
        assert_eq!(Flavor::from_version("8.0.36"), Flavor::MySql80);
        assert_eq!(Flavor::from_version("5.7.44-log"), Flavor::MySql57);
        assert_eq!(Flavor::from_version("8.0.11-TiDB-v7.5.0"), Flavor::TiDb);
        assert_eq!(version_triple("10.11.19-MariaDB"), Some((10, 11, 19)));
    }

    const INT: SourceType = SourceType::Int {
        width: IntWidth::Int,
        unsigned: false,
        display: None,
    };

    #[test]
    fn mariadb_defaults() {
        let f = Flavor::MariaDb;
        let v = SourceType::Varchar(10);
        assert_eq!(
            normalize_default(Some("NULL"), true, f, &v, ""),
            ColumnDefault::Null
        );
        assert_eq!(
            normalize_default(None, false, f, &v, ""),
            ColumnDefault::None
        );
        assert_eq!(
            normalize_default(None, true, f, &v, ""),
            ColumnDefault::Null
        );
        assert_eq!(
            normalize_default(Some("'a''b'"), true, f, &v, ""),
            ColumnDefault::Literal("a'b".into())
        );
        assert_eq!(
            normalize_default(Some(r"'q\\z''w'"), true, f, &v, ""),
            ColumnDefault::Literal(r"q\z'w".into())
        );
        assert_eq!(
            normalize_default(Some("'NULL'"), true, f, &v, ""),
            ColumnDefault::Literal("NULL".into())
        );
        assert_eq!(
            normalize_default(Some("''"), true, f, &v, ""),
            ColumnDefault::Literal("".into())
        );
        assert_eq!(
            normalize_default(Some("5"), true, f, &INT, ""),
            ColumnDefault::Literal("5".into())
        );
        assert_eq!(
            normalize_default(Some("-1.50"), true, f, &INT, ""),
            ColumnDefault::Literal("-1.50".into())
        );
        assert_eq!(
            normalize_default(Some("b'101'"), true, f, &SourceType::Bit(10), ""),
            ColumnDefault::Literal("5".into())
        );
        let ts = SourceType::Timestamp { fsp: 6 };
        assert_eq!(
            normalize_default(Some("current_timestamp(6)"), false, f, &ts, ""),
            ColumnDefault::CurrentTimestamp
        );
        assert_eq!(
            normalize_default(Some("current_timestamp()"), false, f, &ts, ""),
            ColumnDefault::CurrentTimestamp
        );
        assert_eq!(
            normalize_default(Some("uuid()"), true, f, &v, ""),
            ColumnDefault::Expression("uuid()".into())
        );
        assert_eq!(
            normalize_default(Some("(1 + 2)"), true, f, &INT, ""),
            ColumnDefault::Expression("(1 + 2)".into())
        );
    }

    #[test]
    fn mysql_defaults() {
        let v = SourceType::Varchar(10);
        let ts = SourceType::Timestamp { fsp: 0 };
        for f in [Flavor::MySql57, Flavor::MySql80] {
            assert_eq!(
                normalize_default(None, true, f, &v, ""),
                ColumnDefault::Null
            );
            assert_eq!(
                normalize_default(None, false, f, &v, ""),
                ColumnDefault::None
            );
            assert_eq!(
                normalize_default(Some("a'b"), true, f, &v, ""),
                ColumnDefault::Literal("a'b".into())
            );
            // A string default that happens to read NULL is a literal in MySQL.
            assert_eq!(
                normalize_default(Some("NULL"), true, f, &v, ""),
                ColumnDefault::Literal("NULL".into())
            );
            assert_eq!(
                normalize_default(Some(""), true, f, &v, ""),
                ColumnDefault::Literal("".into())
            );
            assert_eq!(
                normalize_default(Some("CURRENT_TIMESTAMP"), false, f, &ts, ""),
                ColumnDefault::CurrentTimestamp
            );
            assert_eq!(
                normalize_default(Some("b'101'"), true, f, &SourceType::Bit(3), ""),
                ColumnDefault::Literal("5".into())
            );
        }
        assert_eq!(
            normalize_default(
                Some("CURRENT_TIMESTAMP(3)"),
                false,
                Flavor::MySql80,
                &ts,
                "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)"
            ),
            ColumnDefault::CurrentTimestamp
        );
        assert_eq!(
            normalize_default(
                Some("uuid()"),
                true,
                Flavor::MySql80,
                &v,
                "DEFAULT_GENERATED"
            ),
            ColumnDefault::Expression("uuid()".into())
        );
        // Without DEFAULT_GENERATED, the same text is a string literal.
        assert_eq!(
            normalize_default(Some("uuid()"), true, Flavor::MySql80, &v, ""),
            ColumnDefault::Literal("uuid()".into())
        );
    }

    #[test]
    fn octets() {
        assert_eq!(
            octet_length(&SourceType::Varchar(255), Some("utf8mb4")),
            Some(1020)
        );
        assert_eq!(
            octet_length(&SourceType::Varchar(255), Some("latin1")),
            Some(255)
        );
        assert_eq!(octet_length(&SourceType::Char(3), Some("utf8mb3")), Some(9));
        assert_eq!(
            octet_length(
                &SourceType::Set(vec!["a".into(), "bb".into(), "ccc".into()]),
                Some("latin1")
            ),
            Some(8)
        );
        assert_eq!(
            octet_length(
                &SourceType::Enum(vec!["a".into(), "b'c".into()]),
                Some("utf8mb4")
            ),
            Some(12)
        );
        assert_eq!(
            octet_length(&SourceType::Text(TextKind::Tiny), Some("utf8mb4")),
            Some(255)
        );
        assert_eq!(octet_length(&SourceType::Binary(4), None), Some(4));
        assert_eq!(octet_length(&INT, None), None);
        assert_eq!(charset_of_collation("utf8mb4_general_ci"), "utf8mb4");
    }

    #[test]
    fn current_timestamp_forms() {
        for s in [
            "CURRENT_TIMESTAMP",
            "current_timestamp()",
            "current_timestamp(6)",
            "now()",
            "NOW(3)",
        ] {
            assert!(is_current_timestamp(s), "{s}");
        }
        for s in ["curdate()", "current_timestamp(x)", "'CURRENT_TIMESTAMP'"] {
            assert!(!is_current_timestamp(s), "{s}");
        }
    }
}
