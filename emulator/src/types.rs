//! Column types of the emulated StarRocks catalog and value conversion for loads.
//!
//! Invariant: every value stored in a table went through [`convert`] for its column type, so the
//! stored text is canonical (e.g. DECIMAL padded to its scale, DATETIME without a zero fraction),
//! and rows compare and render consistently.

use serde::{Deserialize, Serialize};

/// A StarRocks column type, as far as the emulator models it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    LargeInt,
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    Char(u32),
    Varchar(u32),
    /// `STRING` (a VARCHAR of 65533 bytes).
    String,
    Date,
    DateTime,
    Json,
    Varbinary(u32),
    Binary(u32),
    Array(Box<ColType>),
    Map(Box<ColType>, Box<ColType>),
    Struct(Vec<(String, ColType)>),
    Bitmap,
    Hll,
    Percentile,
}

pub const STRING_MAX: u32 = 65533;
pub const VARCHAR_MAX: u32 = 1_048_576;
pub const BINARY_MAX: u32 = 1_048_576;

impl ColType {
    /// Rendering as `SHOW CREATE TABLE` prints it (lower case, StarRocks style).
    pub fn render(&self) -> String {
        match self {
            ColType::Boolean => "boolean".into(),
            ColType::TinyInt => "tinyint(4)".into(),
            ColType::SmallInt => "smallint(6)".into(),
            ColType::Int => "int(11)".into(),
            ColType::BigInt => "bigint(20)".into(),
            ColType::LargeInt => "largeint(40)".into(),
            ColType::Float => "float".into(),
            ColType::Double => "double".into(),
            ColType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
            ColType::Char(n) => format!("char({n})"),
            ColType::Varchar(n) => format!("varchar({n})"),
            ColType::String => format!("varchar({STRING_MAX})"),
            ColType::Date => "date".into(),
            ColType::DateTime => "datetime".into(),
            ColType::Json => "json".into(),
            ColType::Varbinary(n) => format!("varbinary({n})"),
            ColType::Binary(n) => format!("binary({n})"),
            ColType::Array(t) => format!("array<{}>", t.render()),
            ColType::Map(k, v) => format!("map<{},{}>", k.render(), v.render()),
            ColType::Struct(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{} {}", n, t.render()))
                    .collect();
                format!("struct<{}>", parts.join(", "))
            }
            ColType::Bitmap => "bitmap".into(),
            ColType::Hll => "hll".into(),
            ColType::Percentile => "percentile".into(),
        }
    }

    /// Types StarRocks allows as PRIMARY KEY columns (semantic rule 3).
    pub fn allowed_in_primary_key(&self) -> bool {
        match self {
            ColType::Boolean
            | ColType::TinyInt
            | ColType::SmallInt
            | ColType::Int
            | ColType::BigInt
            | ColType::LargeInt
            | ColType::Varchar(_)
            | ColType::String
            | ColType::Date
            | ColType::DateTime => true,
            ColType::Float
            | ColType::Double
            | ColType::Decimal { .. }
            | ColType::Char(_)
            | ColType::Json
            | ColType::Varbinary(_)
            | ColType::Binary(_)
            | ColType::Array(_)
            | ColType::Map(..)
            | ColType::Struct(_)
            | ColType::Bitmap
            | ColType::Hll
            | ColType::Percentile => false,
        }
    }

    /// Types allowed as (non-PK) key / bucket / sort columns (`Type.canDistributedBy`, rule 2).
    pub fn allowed_in_key(&self) -> bool {
        match self {
            ColType::Boolean
            | ColType::TinyInt
            | ColType::SmallInt
            | ColType::Int
            | ColType::BigInt
            | ColType::LargeInt
            | ColType::Decimal { .. }
            | ColType::Char(_)
            | ColType::Varchar(_)
            | ColType::String
            | ColType::Date
            | ColType::DateTime => true,
            ColType::Float
            | ColType::Double
            | ColType::Json
            | ColType::Varbinary(_)
            | ColType::Binary(_)
            | ColType::Array(_)
            | ColType::Map(..)
            | ColType::Struct(_)
            | ColType::Bitmap
            | ColType::Hll
            | ColType::Percentile => false,
        }
    }

    pub fn is_complex(&self) -> bool {
        matches!(
            self,
            ColType::Array(_) | ColType::Map(..) | ColType::Struct(_)
        )
    }

    pub fn is_agg_only(&self) -> bool {
        matches!(self, ColType::Bitmap | ColType::Hll | ColType::Percentile)
    }

    /// Bytes this column contributes to the encoded primary key (BE `primary_key_limit_size`).
    /// `last` is whether the column is the last key column (strings then need no terminator).
    pub fn encoded_key_len(&self, canonical: &str, last: bool) -> usize {
        self.encoded_key_len_n(canonical.len(), last)
    }

    /// [`ColType::encoded_key_len`] from the canonical text's length.
    pub fn encoded_key_len_n(&self, canonical_len: usize, last: bool) -> usize {
        match self {
            ColType::Boolean | ColType::TinyInt => 1,
            ColType::SmallInt => 2,
            ColType::Int | ColType::Date => 4,
            ColType::BigInt | ColType::DateTime => 8,
            ColType::LargeInt => 16,
            ColType::Varchar(_) | ColType::String | ColType::Char(_) => {
                canonical_len + if last { 0 } else { 2 }
            }
            ColType::Float
            | ColType::Double
            | ColType::Decimal { .. }
            | ColType::Json
            | ColType::Varbinary(_)
            | ColType::Binary(_)
            | ColType::Array(_)
            | ColType::Map(..)
            | ColType::Struct(_)
            | ColType::Bitmap
            | ColType::Hll
            | ColType::Percentile => canonical_len,
        }
    }

    /// Whether values of this type sort numerically.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            ColType::Boolean
                | ColType::TinyInt
                | ColType::SmallInt
                | ColType::Int
                | ColType::BigInt
                | ColType::LargeInt
        )
    }

    pub fn is_numeric(&self) -> bool {
        self.is_integer()
            || matches!(
                self,
                ColType::Float | ColType::Double | ColType::Decimal { .. }
            )
    }
}

/// A sortable key component (integers numerically, everything else by canonical text).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SortKey {
    Null,
    Int(i128),
    Num(OrdF64),
    Text(String),
}

/// f64 wrapper with a total order (for sorting query results).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrdF64(pub f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl std::hash::Hash for OrdF64 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state)
    }
}

pub fn sort_key(ty: &ColType, v: Option<&str>) -> SortKey {
    let Some(v) = v else { return SortKey::Null };
    // Canonical DECIMAL text has the column's scale: its digits without the point compare
    // exactly as integers (at most 38 digits).
    if let ColType::Decimal { .. } = ty {
        if let Ok(i) = v.replacen('.', "", 1).parse::<i128>() {
            return SortKey::Int(i);
        }
    }
    if ty.is_integer() {
        if let Ok(i) = v.parse::<i128>() {
            return SortKey::Int(i);
        }
    }
    if ty.is_numeric() {
        if let Ok(f) = v.parse::<f64>() {
            return SortKey::Num(OrdF64(f));
        }
    }
    SortKey::Text(v.to_string())
}

/// Convert a raw loaded value into the canonical stored text, or say why it does not fit.
pub fn convert(ty: &ColType, raw: &str) -> Result<String, String> {
    match ty {
        ColType::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Ok("1".into()),
            "0" | "false" => Ok("0".into()),
            _ => Err(format!("'{raw}' is not a valid BOOLEAN")),
        },
        ColType::TinyInt => int_in_range(raw, -128, 127, "TINYINT"),
        ColType::SmallInt => int_in_range(raw, -32768, 32767, "SMALLINT"),
        ColType::Int => int_in_range(raw, i32::MIN as i128, i32::MAX as i128, "INT"),
        ColType::BigInt => int_in_range(raw, i64::MIN as i128, i64::MAX as i128, "BIGINT"),
        ColType::LargeInt => int_in_range(raw, i128::MIN, i128::MAX, "LARGEINT"),
        ColType::Float | ColType::Double => {
            let t = raw.trim();
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() => {
                    if matches!(ty, ColType::Float) && f.abs() > f32::MAX as f64 {
                        return Err(format!("'{raw}' is out of range for FLOAT"));
                    }
                    Ok(format!("{f}"))
                }
                _ => Err(format!("'{raw}' is not a valid {}", ty.render().to_uppercase())),
            }
        }
        ColType::Decimal { precision, scale } => convert_decimal(raw, *precision, *scale),
        ColType::Char(n) | ColType::Varchar(n) | ColType::Varbinary(n) | ColType::Binary(n)
            if raw.len() > *n as usize && !matches!(ty, ColType::Varbinary(_) | ColType::Binary(_)) =>
        {
            Err(format!(
                "the length of input is too long than schema. input length: {} bytes, schema length: {n} bytes",
                raw.len()
            ))
        }
        ColType::Char(_) | ColType::Varchar(_) => Ok(raw.to_string()),
        ColType::String => {
            if raw.len() > STRING_MAX as usize {
                Err(format!(
                    "the length of input is too long than schema. input length: {} bytes, schema length: {STRING_MAX} bytes",
                    raw.len()
                ))
            } else {
                Ok(raw.to_string())
            }
        }
        ColType::Date => parse_datetime(raw)
            .map(|(d, _)| format!("{:04}-{:02}-{:02}", d.0, d.1, d.2))
            .ok_or_else(|| format!("'{raw}' is not a valid DATE")),
        ColType::DateTime => parse_datetime(raw)
            .map(|(d, t)| {
                let (h, mi, s, us) = t.unwrap_or((0, 0, 0, 0));
                let mut out =
                    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", d.0, d.1, d.2, h, mi, s);
                if us != 0 {
                    out.push_str(&format!(".{us:06}"));
                }
                out
            })
            .ok_or_else(|| format!("'{raw}' is not a valid DATETIME")),
        // String → JSON: BE `JsonValue::parse` (`parse_json_or_string`), see `jsonv`.
        ColType::Json => crate::jsonv::parse_json_or_string(raw),
        // INSERT literals and DEFAULT values: the emulator takes hex text here (x'..' style);
        // loads convert VARBINARY per format in `parse::convert_value`.
        ColType::Varbinary(n) | ColType::Binary(n) => {
            let t = raw.trim();
            if !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("'{raw}' is not a valid hex string for VARBINARY"));
            }
            if t.len() / 2 > *n as usize {
                return Err(format!(
                    "the length of input is too long than schema. input length: {} bytes, schema length: {n} bytes",
                    t.len() / 2
                ));
            }
            Ok(t.to_ascii_uppercase())
        }
        ColType::Array(_) | ColType::Map(..) | ColType::Struct(_) => {
            // Loose: accept JSON-looking text and keep it.
            match serde_json::from_str::<serde_json::Value>(raw) {
                Ok(v) => Ok(v.to_string()),
                Err(_) => Ok(raw.to_string()),
            }
        }
        ColType::Bitmap | ColType::Hll | ColType::Percentile => Ok(raw.to_string()),
    }
}

/// Whether `raw` converts for `ty` — exactly when [`convert`] succeeds — without building the
/// converted text (used when rows are only counted, `store_rows = false`). `Ok` holds the byte
/// length of the canonical text for CHAR/VARCHAR/STRING (what the primary-key size check needs)
/// and 0 for the types checked here without converting; other types are converted.
pub fn check(ty: &ColType, raw: &str) -> Result<usize, String> {
    match fast_check(ty, raw) {
        Some(n) => Ok(n),
        // Slow path: the conversion itself decides (and gives the error text).
        None => convert(ty, raw).map(|s| s.len()),
    }
}

/// `Some` only when the value certainly converts; `None` = let [`convert`] decide.
fn fast_check(ty: &ColType, raw: &str) -> Option<usize> {
    let int = |min: i128, max: i128| {
        raw.trim()
            .parse::<i128>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .map(|_| 0)
    };
    match ty {
        ColType::Boolean => {
            let t = raw.trim();
            (t == "1"
                || t == "0"
                || t.eq_ignore_ascii_case("true")
                || t.eq_ignore_ascii_case("false"))
            .then_some(0)
        }
        ColType::TinyInt => int(-128, 127),
        ColType::SmallInt => int(-32768, 32767),
        ColType::Int => int(i32::MIN as i128, i32::MAX as i128),
        ColType::BigInt => int(i64::MIN as i128, i64::MAX as i128),
        ColType::LargeInt => int(i128::MIN, i128::MAX),
        ColType::Float | ColType::Double => match raw.trim().parse::<f64>() {
            Ok(f)
                if f.is_finite()
                    && !(matches!(ty, ColType::Float) && f.abs() > f32::MAX as f64) =>
            {
                Some(0)
            }
            _ => None,
        },
        ColType::Decimal { precision, scale } => decimal_fits(raw, *precision, *scale).then_some(0),
        ColType::Char(n) | ColType::Varchar(n) => (raw.len() <= *n as usize).then_some(raw.len()),
        ColType::String => (raw.len() <= STRING_MAX as usize).then_some(raw.len()),
        ColType::Date | ColType::DateTime => parse_datetime(raw).map(|_| 0),
        _ => None,
    }
}

/// What [`convert_decimal`] accepts, decided without building its digits: after rounding half
/// up to `scale`, the integer part (without leading zeros) has at most `precision - scale`
/// digits.
fn decimal_fits(raw: &str, precision: u32, scale: u32) -> bool {
    let t = raw.trim();
    let body = match t.strip_prefix('-') {
        Some(b) => b,
        None => t.strip_prefix('+').unwrap_or(t),
    };
    let (ip, fp) = body.split_once('.').unwrap_or((body, ""));
    if (ip.is_empty() && fp.is_empty())
        || !ip.bytes().all(|b| b.is_ascii_digit())
        || !fp.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let scale = scale as usize;
    let ips = ip.trim_start_matches('0');
    let round_up = fp.as_bytes().get(scale).is_some_and(|d| *d >= b'5');
    // Rounding carries into the integer part when every kept fraction digit is 9.
    let carry = round_up && fp.as_bytes()[..scale].iter().all(|d| *d == b'9');
    let mut int_digits = ips.len();
    if carry && ips.bytes().all(|d| d == b'9') {
        int_digits += 1;
    }
    int_digits <= (precision as usize).saturating_sub(scale)
}

fn int_in_range(raw: &str, min: i128, max: i128, name: &str) -> Result<String, String> {
    let t = raw.trim();
    let v: i128 = t
        .parse()
        .map_err(|_| format!("'{raw}' is not a valid {name}"))?;
    if v < min || v > max {
        return Err(format!("'{raw}' is out of range for {name}"));
    }
    Ok(v.to_string())
}

fn convert_decimal(raw: &str, precision: u32, scale: u32) -> Result<String, String> {
    let t = raw.trim();
    let bad = || format!("'{raw}' is not a valid DECIMAL({precision}, {scale})");
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (ip, fp) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if (ip.is_empty() && fp.is_empty())
        || !ip.bytes().all(|b| b.is_ascii_digit())
        || !fp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // Digits as a big integer scaled by `scale`, rounding half up.
    let mut digits: Vec<u8> = ip.bytes().map(|b| b - b'0').collect();
    let fb: Vec<u8> = fp.bytes().map(|b| b - b'0').collect();
    for i in 0..scale as usize {
        digits.push(*fb.get(i).unwrap_or(&0));
    }
    let round_up = fb.get(scale as usize).is_some_and(|d| *d >= 5);
    if round_up {
        let mut i = digits.len();
        let mut carry = true;
        while carry && i > 0 {
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                carry = false;
            }
        }
        if carry {
            digits.insert(0, 1);
        }
    }
    while digits.len() > scale as usize + 1 && digits[0] == 0 {
        digits.remove(0);
    }
    let int_len = digits.len() - scale as usize;
    let int_digits = &digits[..int_len];
    let significant_int = if int_digits == [0] { 0 } else { int_len };
    if significant_int as u32 > precision - scale {
        return Err(format!(
            "'{raw}' is out of range for DECIMAL({precision}, {scale})"
        ));
    }
    let mut out = String::new();
    let is_zero = digits.iter().all(|d| *d == 0);
    if neg && !is_zero {
        out.push('-');
    }
    for d in int_digits {
        out.push((b'0' + d) as char);
    }
    if scale > 0 {
        out.push('.');
        for d in &digits[int_len..] {
            out.push((b'0' + d) as char);
        }
    }
    Ok(out)
}

type DatePart = (u32, u32, u32);
type TimePart = (u32, u32, u32, u32);

/// Parse `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-MM-DD HH:MM:SS[.ffffff]` (also with `T`).
pub fn parse_datetime(raw: &str) -> Option<(DatePart, Option<TimePart>)> {
    let t = raw.trim();
    let (dpart, tpart) = match t.find([' ', 'T']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    let date = if dpart.len() == 8 && dpart.bytes().all(|b| b.is_ascii_digit()) {
        (
            dpart[0..4].parse().ok()?,
            dpart[4..6].parse().ok()?,
            dpart[6..8].parse().ok()?,
        )
    } else {
        let mut it = dpart.split('-');
        let y: u32 = num(it.next()?, 4)?;
        let m: u32 = num(it.next()?, 2)?;
        let d: u32 = num(it.next()?, 2)?;
        if it.next().is_some() {
            return None;
        }
        (y, m, d)
    };
    if !valid_date(date) {
        return None;
    }
    let time = match tpart {
        None => None,
        Some(tp) => {
            let (hms, frac) = match tp.split_once('.') {
                Some((a, b)) => (a, Some(b)),
                None => (tp, None),
            };
            let mut it = hms.split(':');
            let h: u32 = num(it.next()?, 2)?;
            let mi: u32 = num(it.next()?, 2)?;
            let s: u32 = num(it.next()?, 2)?;
            if it.next().is_some() || h > 23 || mi > 59 || s > 59 {
                return None;
            }
            let us = match frac {
                None => 0,
                Some(f) => {
                    if f.is_empty() || f.len() > 6 || !f.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let v: u32 = f.parse().ok()?;
                    v * 10u32.pow(6 - f.len() as u32)
                }
            };
            Some((h, mi, s, us))
        }
    };
    Some((date, time))
}

fn num(s: &str, max_len: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid_date((y, m, d): DatePart) -> bool {
    if !(1..=12).contains(&m) || d == 0 || y > 9999 {
        return false;
    }
    // BE `date::is_leap`: year 0 is not a leap year there.
    let leap = y % 4 == 0 && (y % 100 != 0 || (y % 400 == 0 && y != 0));
    let dim = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if leap {
                29
            } else {
                28
            }
        }
    };
    d <= dim
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversion() {
        let d = ColType::Decimal {
            precision: 5,
            scale: 2,
        };
        assert_eq!(convert(&d, "1.5").unwrap(), "1.50");
        assert_eq!(convert(&d, "-0.005").unwrap(), "-0.01");
        assert_eq!(convert(&d, "999.99").unwrap(), "999.99");
        assert!(convert(&d, "1000").is_err());
        assert!(convert(&d, "999.995").is_err());
        assert!(convert(&d, "abc").is_err());
        assert_eq!(convert(&d, "007").unwrap(), "7.00");
    }

    #[test]
    fn check_agrees_with_convert() {
        let types = [
            ColType::Boolean,
            ColType::TinyInt,
            ColType::Int,
            ColType::BigInt,
            ColType::LargeInt,
            ColType::Float,
            ColType::Double,
            ColType::Decimal {
                precision: 5,
                scale: 2,
            },
            ColType::Decimal {
                precision: 3,
                scale: 0,
            },
            ColType::Decimal {
                precision: 38,
                scale: 10,
            },
            ColType::Varchar(3),
            ColType::Char(2),
            ColType::String,
            ColType::Date,
            ColType::DateTime,
            ColType::Json,
            ColType::Varbinary(2),
        ];
        let mut values: Vec<String> = [
            "",
            " ",
            "0",
            "1",
            "-1",
            "+5",
            "-+5",
            "127",
            "128",
            "-129",
            "true",
            "FALSE",
            "yes",
            "1.5",
            "1.",
            ".5",
            ".",
            "-.5",
            "0.95",
            "9.95",
            "99.95",
            "999.99",
            "999.995",
            "999.994",
            "1000",
            "0999.99",
            "00000.001",
            "-0.005",
            "abc",
            "1e3",
            "nan",
            "inf",
            "2024-02-29",
            "2023-02-29",
            "2024-02-29 10:11:12.5",
            "2024-02-29 10:11:12.1234567",
            "20240229",
            "2024-13-01",
            "{\"a\":1}",
            "0aff",
            "0a",
            "ab",
            "abcd",
            "170141183460469231731687303715884105727",
            "170141183460469231731687303715884105728",
            "3.4028236e38",
            "99999999999999999999999999.9999999999",
            "999999999999999999999999999.99999999995",
            " 7 ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for a in ["", "9", "99", "0", "09"] {
            for b in ["", "4", "5", "9", "99", "995", "994", "0"] {
                values.push(format!("{a}.{b}"));
                values.push(format!("-{a}.{b}"));
            }
        }
        for ty in &types {
            for v in &values {
                let c = convert(ty, v);
                let k = check(ty, v);
                assert_eq!(c.is_ok(), k.is_ok(), "{ty:?} {v:?}: {c:?} vs {k:?}");
                if let (Ok(c), Ok(n)) = (&c, &k) {
                    if matches!(ty, ColType::Varchar(_) | ColType::Char(_) | ColType::String) {
                        assert_eq!(c.len(), *n, "{ty:?} {v:?}");
                    }
                }
                if let (Err(a), Err(b)) = (&c, &k) {
                    assert_eq!(a, b);
                }
            }
        }
    }

    #[test]
    fn ints_and_dates() {
        assert!(convert(&ColType::TinyInt, "128").is_err());
        assert_eq!(convert(&ColType::TinyInt, "-128").unwrap(), "-128");
        assert_eq!(
            convert(
                &ColType::LargeInt,
                "170141183460469231731687303715884105727"
            )
            .unwrap(),
            "170141183460469231731687303715884105727"
        );
        assert!(convert(
            &ColType::LargeInt,
            "170141183460469231731687303715884105728"
        )
        .is_err());
        assert_eq!(
            convert(&ColType::DateTime, "2024-02-29 10:11:12.500000").unwrap(),
            "2024-02-29 10:11:12.500000"
        );
        assert_eq!(
            convert(&ColType::DateTime, "2024-02-29 10:11:12.000").unwrap(),
            "2024-02-29 10:11:12"
        );
        assert!(convert(&ColType::Date, "2023-02-29").is_err());
        // StarRocks' smallest date; year 0 is not a leap year in the BE (`date::is_leap`).
        assert_eq!(convert(&ColType::Date, "0000-01-01").unwrap(), "0000-01-01");
        assert_eq!(
            convert(&ColType::DateTime, "0000-01-01 00:00:00.000000").unwrap(),
            "0000-01-01 00:00:00"
        );
        assert!(convert(&ColType::Date, "0000-02-29").is_err());
        assert!(convert(&ColType::Date, "0000-00-00").is_err());
        assert_eq!(convert(&ColType::Date, "2000-02-29").unwrap(), "2000-02-29");
        assert!(convert(&ColType::Varchar(3), "abcd").is_err());
        assert_eq!(convert(&ColType::Varbinary(2), "0aff").unwrap(), "0AFF");
        assert!(convert(&ColType::Varbinary(1), "0aff").is_err());
        assert!(convert(&ColType::Json, "{bad").is_err());
        assert_eq!(convert(&ColType::Boolean, "true").unwrap(), "1");
    }
}
