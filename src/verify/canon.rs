//! The one canonical form both sides of `smt verify` are compared in.
//!
//! Invariant: a source value and a target value are equal for verify exactly when their
//! canonical texts are equal, and both texts come from [`canon`] with the target column's
//! StarRocks type — one definition per type. The source side feeds it the cell the sync
//! decoder (`sync::decode`) produces, i.e. exactly what sync loads; the target side feeds it the
//! text the FE prints (VARBINARY read through `hex()`). Each definition removes only the
//! differences of spelling that StarRocks introduces on the way in and out (numbers parsed,
//! DATETIME fractions trimmed, JSON re-printed with sorted keys, hex case), never a difference
//! of value.
//!
//! Key order ([`cmp_key`]) is StarRocks' `ORDER BY` order of the key columns' types: numbers
//! numerically, DECIMAL exactly, strings and dates in byte order of their canonical text.

use crate::plan::SrType;
use std::cmp::Ordering;

/// One canonical cell: None = NULL.
pub type Value = Option<String>;
/// One canonical row, in plan column order.
pub type Row = Vec<Value>;

/// Text that did not parse as its type: kept (so it compares unequal to every canonical value
/// of that type, and shows in reports) behind a marker no canonical text starts with.
fn unparsed(text: &str) -> String {
    format!("\u{1}unparsed:{text}")
}

/// The canonical text of `text`, a value of a column of StarRocks type `ty`.
pub fn canon(ty: &SrType, text: &str) -> String {
    match ty {
        SrType::Boolean => match text.trim() {
            "1" | "true" | "TRUE" => "1".into(),
            "0" | "false" | "FALSE" => "0".into(),
            t => t
                .parse::<i128>()
                .map(|i| if i != 0 { "1" } else { "0" }.to_string())
                .unwrap_or_else(|_| unparsed(text)),
        },
        SrType::TinyInt | SrType::SmallInt | SrType::Int | SrType::BigInt | SrType::LargeInt => {
            text.trim()
                .parse::<i128>()
                .map(|i| i.to_string())
                .unwrap_or_else(|_| unparsed(text))
        }
        // Shortest round-trip text of the parsed value at the column's precision (the FE may
        // print either positional or scientific text, and a FLOAT through f64).
        SrType::Float => match text.trim().parse::<f32>() {
            Ok(0.0) => "0".into(),
            Ok(f) if f.is_finite() => format!("{f}"),
            _ => unparsed(text),
        },
        SrType::Double => match text.trim().parse::<f64>() {
            Ok(0.0) => "0".into(),
            Ok(f) if f.is_finite() => format!("{f}"),
            _ => unparsed(text),
        },
        SrType::Decimal(_, scale) => crate::sync::decode::canonical_decimal(text, Some(*scale))
            .unwrap_or_else(|_| unparsed(text)),
        SrType::Char(_) | SrType::Varchar(_) => text.to_string(),
        // VARBINARY values are hex text on both sides (the sync decoder's hex; `hex()` on the FE).
        SrType::Varbinary(_) => {
            if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                text.to_ascii_lowercase()
            } else {
                unparsed(text)
            }
        }
        SrType::Date => {
            let t = text.trim();
            let d = t.split_once([' ', 'T']).map_or(t, |(d, _)| d);
            d.to_string()
        }
        SrType::DateTime => {
            let t = text.trim().replacen('T', " ", 1);
            trim_fraction(&t)
        }
        SrType::Json => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => {
                let mut out = String::with_capacity(text.len());
                json_canon(&v, &mut out);
                out
            }
            Err(_) => unparsed(text),
        },
    }
}

/// `a.b000` → `a.b`, `a.000` → `a` (DATETIME fractions: StarRocks prints six digits or none).
fn trim_fraction(s: &str) -> String {
    match s.rsplit_once('.') {
        Some((a, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                a.to_string()
            } else {
                format!("{a}.{f}")
            }
        }
        _ => s.to_string(),
    }
}

/// JSON with object keys sorted, no spaces, numbers as their parsed value: an integral number
/// is an integer whatever its spelling (`1.0` = `1`; StarRocks keeps integers as int64 and
/// prints doubles its own way), other numbers the shortest round-trip text of the f64.
fn json_canon(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                    out.push_str(&format!("{}", f as i64));
                } else {
                    out.push_str(&format!("{f:e}"));
                }
            }
        }
        J::String(s) => out.push_str(&J::String(s.clone()).to_string()),
        J::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_canon(x, out);
            }
            out.push(']');
        }
        J::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&J::String(k.clone()).to_string());
                out.push(':');
                json_canon(&m[k], out);
            }
            out.push('}');
        }
    }
}

/// The canonical cell of a source cell decoded by the sync decoder.
pub fn of_cell(ty: &SrType, cell: &crate::sync::cell::Cell) -> Value {
    cell.text().map(|t| canon(ty, t))
}

/// The canonical cell of a value the FE printed.
pub fn of_text(ty: &SrType, text: Option<&str>) -> Value {
    text.map(|t| canon(ty, t))
}

/// Order of two canonical values of one key column as StarRocks' ORDER BY sorts them (NULL
/// first, as ASC does).
pub fn cmp_value(ty: &SrType, a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) if ty.is_number() => cmp_number(x, y),
        (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
    }
}

/// Compare two canonical numbers (integers or canonical decimals; floats by value) exactly.
pub fn cmp_number(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.parse::<i128>(), b.parse::<i128>()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (Decimal::parse(a), Decimal::parse(b)) {
        return x.cmp(&y);
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// A plain decimal number (no exponent), for exact ordering.
#[derive(PartialEq, Eq)]
struct Decimal<'a> {
    neg: bool,
    int: &'a str,
    frac: &'a str,
}

impl<'a> Decimal<'a> {
    fn parse(s: &'a str) -> Option<Decimal<'a>> {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        Some(Decimal {
            neg: neg && !zero,
            int,
            frac,
        })
    }
    fn cmp_abs(&self, o: &Decimal) -> Ordering {
        self.int
            .len()
            .cmp(&o.int.len())
            .then_with(|| self.int.cmp(o.int))
            .then_with(|| self.frac.cmp(o.frac))
    }
}

impl Ord for Decimal<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_abs(o),
            (true, true) => o.cmp_abs(self),
        }
    }
}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Order of two keys (canonical values of the key columns, types `tys`).
pub fn cmp_key(tys: &[SrType], a: &[Value], b: &[Value]) -> Ordering {
    for ((ty, x), y) in tys.iter().zip(a).zip(b) {
        let o = cmp_value(ty, x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// FNV-1a, 128 bit, of one canonical row (each cell length-prefixed, NULL its own marker):
/// the summand of the order-independent table checksum.
pub fn row_hash(row: &[Value]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u128::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for v in row {
        match v {
            None => eat(&[0xff]),
            Some(s) => {
                eat(&[0x01]);
                eat(&(s.len() as u32).to_le_bytes());
                eat(s.as_bytes());
            }
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_definition_per_type() {
        // DOUBLE: any spelling of one f64 is one text.
        assert_eq!(
            canon(&SrType::Double, "-2.25e-10"),
            canon(&SrType::Double, "-0.000000000225")
        );
        assert_eq!(
            canon(&SrType::Double, "1e300"),
            canon(&SrType::Double, &format!("1{}", "0".repeat(300)))
        );
        assert_ne!(
            canon(&SrType::Double, "0.1"),
            canon(&SrType::Double, "0.10000000000000002")
        );
        assert_eq!(canon(&SrType::Double, "-0"), "0");
        // FLOAT through f64 is the same f32.
        assert_eq!(
            canon(&SrType::Float, "0.1"),
            canon(&SrType::Float, "0.10000000149011612")
        );
        // DATETIME fractions: six digits or none on the FE, fsp digits from the decoder.
        assert_eq!(
            canon(&SrType::DateTime, "2024-02-03 04:05:06.120000"),
            "2024-02-03 04:05:06.12"
        );
        assert_eq!(
            canon(&SrType::DateTime, "2024-02-03 04:05:06.000"),
            "2024-02-03 04:05:06"
        );
        // DECIMAL: scale digits kept.
        assert_eq!(canon(&SrType::Decimal(10, 2), "1.5"), "1.50");
        assert_eq!(canon(&SrType::Decimal(10, 2), "-0.00"), "0.00");
        // JSON: structure, sorted keys, integral numbers as integers.
        assert_eq!(
            canon(&SrType::Json, r#"{"k": 1, "a": [1, 2.5, null], "s": "x"}"#),
            canon(&SrType::Json, r#"{"a":[1.0,2.5,null],"k":1,"s":"x"}"#)
        );
        assert_ne!(
            canon(&SrType::Json, r#"{"a":"1"}"#),
            canon(&SrType::Json, r#"{"a":1}"#)
        );
        // VARBINARY hex in either case.
        assert_eq!(canon(&SrType::Varbinary(4), "DEADBEEF"), "deadbeef");
        assert!(canon(&SrType::Varbinary(4), "xyz").starts_with('\u{1}'));
        assert_eq!(canon(&SrType::Boolean, "true"), "1");
        assert_eq!(
            canon(&SrType::LargeInt, "018446744073709551615"),
            "18446744073709551615"
        );
        assert_eq!(canon(&SrType::Varchar(5), " a "), " a ");
        // Unparsable text stays different from every value.
        assert_ne!(canon(&SrType::Int, "x"), canon(&SrType::Int, "0"));
    }

    #[test]
    fn key_order_is_starrocks_order() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(cmp_value(&SrType::Int, &s("9"), &s("10")), Ordering::Less);
        assert_eq!(
            cmp_value(&SrType::Varchar(9), &s("9"), &s("10")),
            Ordering::Greater
        );
        assert_eq!(
            cmp_value(&SrType::Decimal(9, 2), &s("-1.50"), &s("-1.25")),
            Ordering::Less
        );
        assert_eq!(
            cmp_value(&SrType::Decimal(9, 2), &s("0.00"), &s("-0.01")),
            Ordering::Greater
        );
        assert_eq!(
            cmp_value(
                &SrType::LargeInt,
                &s("-170141183460469231731687303715884105728"),
                &s("1")
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp_value(
                &SrType::DateTime,
                &s("2024-01-01 00:00:00"),
                &s("2024-01-01 00:00:00.5")
            ),
            Ordering::Less
        );
        assert_eq!(cmp_value(&SrType::Int, &None, &s("-5")), Ordering::Less);
        let tys = [SrType::Int, SrType::Varchar(10)];
        assert_eq!(
            cmp_key(&tys, &[s("1"), s("b")], &[s("1"), s("a")]),
            Ordering::Greater
        );
    }

    #[test]
    fn row_hash_tells_cells_apart() {
        let s = |x: &str| Some(x.to_string());
        assert_ne!(row_hash(&[s("ab"), s("")]), row_hash(&[s("a"), s("b")]));
        assert_ne!(row_hash(&[None]), row_hash(&[s("")]));
        assert_eq!(row_hash(&[s("x"), None]), row_hash(&[s("x"), None]));
    }
}
