//! JSON documents as StarRocks' JSON type can take them.
//!
//! StarRocks builds a JSON value from a Stream Load field in one of two ways
//! (shared-notes/starrocks-facts.md, D): `format=json` copies the field structurally through
//! simdjson — an integer must fit int64 or uint64 (anything larger is an error, the row is
//! refused), a number with a fraction or an exponent becomes a double (precision beyond a double
//! is lost), a string stays a string; `format=csv` parses the field's text with VelocyPack's
//! parser when it starts with `{`, `[` or `"`. smt hands StarRocks only documents that both
//! accept and that mean the same in both, decided once where the `Cell::Json` is made
//! ([`prepare`], called by `sync::decode` for the snapshot and the binlog alike):
//!
//! - an integer beyond the 64-bit range is rewritten as the double StarRocks would hold, in the
//!   shortest text that reads back as that double (`123456789012345678901234567890` →
//!   `1.2345678901234568e29`);
//! - MariaDB's `json_valid` accepts a number ending in a bare dot (`1.`, `1.e5`) and calls it a
//!   DOUBLE; JSON parsers do not, so it is written `1.0` / `1.0e5` (the same double);
//! - surrounding whitespace is dropped.
//!
//! Everything else that no JSON parser takes, or StarRocks cannot hold, is refused with the
//! reason: text that is not JSON (MariaDB also accepts unknown escapes such as `\x41`), a lone
//! surrogate escape (`"\ud800"`), a number beyond the double range (`1e400`, which MariaDB
//! accepts), nesting deeper than [`MAX_DEPTH`].
//!
//! The scanner is one pass over the bytes with no recursion and no allocation unless a number
//! is rewritten (render paths are hot).

use std::fmt;

/// Deepest nesting of arrays/objects accepted. StarRocks' JSON reader (simdjson) takes 1024
/// levels for the whole load body, which adds two (the array of rows and the row object);
/// MySQL documents nest at most 100 deep and MariaDB's at most 31.
pub const MAX_DEPTH: usize = 1000;

/// Why a document cannot be loaded into a StarRocks JSON column, and where (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub at: usize,
    pub what: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.what, self.at)
    }
}

impl std::error::Error for JsonError {}

/// A document ready for StarRocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared<'a> {
    /// The document as it is (whitespace around it trimmed).
    AsIs(&'a str),
    /// Rewritten: `numbers` numbers were replaced (see the module doc).
    Rewritten { text: String, numbers: u64 },
}

/// Check `text` and rewrite what StarRocks cannot hold as written (see the module doc).
pub fn prepare(text: &str) -> Result<Prepared<'_>, JsonError> {
    let mut out: Option<String> = None;
    // Copy from the document's first byte: leading whitespace is dropped.
    let mut copied = ws(text.as_bytes(), 0);
    let mut numbers = 0u64;
    let (start, end) = scan(text, true, |tok| {
        let Some(replacement) = rewrite(text, tok)? else {
            return Ok(());
        };
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
        buf.push_str(&text[copied..tok.start]);
        buf.push_str(&replacement);
        copied = tok.end;
        numbers += 1;
        Ok(())
    })?;
    Ok(match out {
        None => Prepared::AsIs(&text[start..end]),
        Some(mut buf) => {
            buf.push_str(&text[copied..end]);
            Prepared::Rewritten { text: buf, numbers }
        }
    })
}

/// Whether `text` is one strict JSON document (RFC 8259) no deeper than [`MAX_DEPTH`], whatever
/// its numbers' sizes. Stream Load bodies embed such a document as it is.
pub fn is_valid(text: &str) -> bool {
    scan(text, false, |_| Ok(())).is_ok()
}

/// One number token.
struct NumTok {
    start: usize,
    end: usize,
    /// No fraction and no exponent.
    integer: bool,
    /// The byte offset of a dot with no digit after it (MariaDB's `1.`).
    bare_dot: Option<usize>,
    /// The token has an exponent part.
    exponent: bool,
    /// Digits before the dot or exponent (after the sign).
    int_digits: usize,
}

/// The text a number token must be replaced with, if any.
fn rewrite(text: &str, tok: &NumTok) -> Result<Option<String>, JsonError> {
    let raw = &text[tok.start..tok.end];
    let neg = raw.starts_with('-');
    if tok.integer {
        if fits_64_bits(raw, neg, tok.int_digits) {
            return Ok(None);
        }
        let f: f64 = raw.parse().map_err(|_| JsonError {
            at: tok.start,
            what: "unreadable number",
        })?;
        if !f.is_finite() {
            return Err(JsonError {
                at: tok.start,
                what: "an integer beyond the range of a double; StarRocks' JSON type holds \
                   int64, uint64 and double numbers",
            });
        }
        return Ok(Some(format!("{f:e}")));
    }
    let fixed = tok.bare_dot.map(|dot| {
        let mut s = String::with_capacity(raw.len() + 1);
        s.push_str(&text[tok.start..=dot]);
        s.push('0');
        s.push_str(&text[dot + 1..tok.end]);
        s
    });
    // Only an exponent or more than 308 integer digits can leave the double range.
    if tok.exponent || tok.int_digits > 308 {
        let t = fixed.as_deref().unwrap_or(raw);
        let f: f64 = t.parse().map_err(|_| JsonError {
            at: tok.start,
            what: "unreadable number",
        })?;
        if !f.is_finite() {
            return Err(JsonError {
                at: tok.start,
                what: "a number beyond the range of a double; StarRocks' JSON type holds \
                       int64, uint64 and double numbers",
            });
        }
    }
    Ok(fixed)
}

/// An integer token (`-?digits`) within int64 (negative) or uint64 (otherwise).
fn fits_64_bits(raw: &str, neg: bool, digits: usize) -> bool {
    if digits < 19 {
        return true;
    }
    if digits > 20 {
        return false;
    }
    match raw.parse::<i128>() {
        Ok(v) if neg => v >= i128::from(i64::MIN),
        Ok(v) => v <= i128::from(u64::MAX),
        Err(_) => false,
    }
}

/// Open containers, one bit each (1 = object), inline: no allocation.
struct Stack {
    bits: [u64; MAX_DEPTH.div_ceil(64)],
    depth: usize,
}

impl Stack {
    /// Whether one more level may open at `at`.
    fn check_room(&self, at: usize) -> Result<(), JsonError> {
        if self.depth >= MAX_DEPTH {
            return err(at, "nesting deeper than 1000 levels");
        }
        Ok(())
    }
    fn push(&mut self, object: bool, at: usize) -> Result<(), JsonError> {
        self.check_room(at)?;
        let (w, b) = (self.depth / 64, self.depth % 64);
        if object {
            self.bits[w] |= 1 << b;
        } else {
            self.bits[w] &= !(1 << b);
        }
        self.depth += 1;
        Ok(())
    }
    /// Whether the innermost open container is an object; None at the top level.
    fn top(&self) -> Option<bool> {
        let d = self.depth.checked_sub(1)?;
        Some(self.bits[d / 64] & (1 << (d % 64)) != 0)
    }
    fn pop(&mut self) {
        self.depth -= 1;
    }
}

fn err<T>(at: usize, what: &'static str) -> Result<T, JsonError> {
    Err(JsonError { at, what })
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Scan one document, calling `number` for every number token; `lenient` accepts MariaDB's
/// bare-dot numbers. Returns the document's span without surrounding whitespace.
fn scan<F>(text: &str, lenient: bool, mut number: F) -> Result<(usize, usize), JsonError>
where
    F: FnMut(&NumTok) -> Result<(), JsonError>,
{
    let b = text.as_bytes();
    let start = ws(b, 0);
    if start == b.len() {
        return err(start, "an empty document");
    }
    let mut stack = Stack {
        bits: [0; MAX_DEPTH.div_ceil(64)],
        depth: 0,
    };
    let mut i = start;
    loop {
        // A value starts at `i`.
        match b.get(i) {
            None => return err(i, "the document ends where a value should be"),
            Some(b'{') => {
                let j = ws(b, i + 1);
                if b.get(j) == Some(&b'}') {
                    stack.check_room(i)?;
                    i = j + 1;
                } else {
                    stack.push(true, i)?;
                    i = key(b, j)?;
                    continue;
                }
            }
            Some(b'[') => {
                let j = ws(b, i + 1);
                if b.get(j) == Some(&b']') {
                    stack.check_room(i)?;
                    i = j + 1;
                } else {
                    stack.push(false, i)?;
                    i = j;
                    continue;
                }
            }
            Some(b'"') => i = string(b, i)?,
            Some(b't') => i = literal(b, i, b"true")?,
            Some(b'f') => i = literal(b, i, b"false")?,
            Some(b'n') => i = literal(b, i, b"null")?,
            Some(b'-' | b'0'..=b'9') => {
                let tok = number_token(b, i, lenient)?;
                i = tok.end;
                number(&tok)?;
            }
            Some(_) => return err(i, "a character that cannot start a JSON value"),
        }
        // After a value: close containers, or go on after a comma.
        loop {
            let end = i;
            i = ws(b, i);
            match stack.top() {
                None => {
                    if i != b.len() {
                        return err(i, "text after the document");
                    }
                    return Ok((start, end));
                }
                Some(object) => match (b.get(i), object) {
                    (Some(b','), true) => {
                        i = key(b, ws(b, i + 1))?;
                        break;
                    }
                    (Some(b','), false) => {
                        i = ws(b, i + 1);
                        break;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        stack.pop();
                        i += 1;
                    }
                    _ => return err(i, "a missing comma or closing bracket"),
                },
            }
        }
    }
}

/// An object key and its colon at `i`; returns where the value starts.
fn key(b: &[u8], i: usize) -> Result<usize, JsonError> {
    if b.get(i) != Some(&b'"') {
        return err(i, "an object key that is not a string");
    }
    let j = ws(b, string(b, i)?);
    if b.get(j) != Some(&b':') {
        return err(j, "a missing colon after an object key");
    }
    Ok(ws(b, j + 1))
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, JsonError> {
    if b[i..].starts_with(word) {
        Ok(i + word.len())
    } else {
        err(i, "an unknown literal; JSON has true, false and null")
    }
}

fn hex4(b: &[u8], i: usize) -> Result<u32, JsonError> {
    let mut v = 0u32;
    for k in 0..4 {
        let d = match b.get(i + k) {
            Some(c @ b'0'..=b'9') => c - b'0',
            Some(c @ b'a'..=b'f') => c - b'a' + 10,
            Some(c @ b'A'..=b'F') => c - b'A' + 10,
            _ => return err(i, "a \\u escape without four hex digits"),
        };
        v = (v << 4) | u32::from(d);
    }
    Ok(v)
}

/// A string starting at the quote at `i`; returns the offset after its closing quote.
fn string(b: &[u8], i: usize) -> Result<usize, JsonError> {
    let mut j = i + 1;
    loop {
        match b.get(j) {
            None => return err(i, "an unterminated string"),
            Some(b'"') => return Ok(j + 1),
            Some(b'\\') => match b.get(j + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => j += 2,
                Some(b'u') => {
                    let unit = hex4(b, j + 2)?;
                    j += 6;
                    if (0xD800..0xDC00).contains(&unit) {
                        let low = if b.get(j) == Some(&b'\\') && b.get(j + 1) == Some(&b'u') {
                            hex4(b, j + 2)?
                        } else {
                            0
                        };
                        if !(0xDC00..0xE000).contains(&low) {
                            return err(j - 6, "a lone surrogate \\u escape");
                        }
                        j += 6;
                    } else if (0xDC00..0xE000).contains(&unit) {
                        return err(j - 6, "a lone surrogate \\u escape");
                    }
                }
                _ => return err(j, "an escape JSON does not have"),
            },
            Some(c) if *c < 0x20 => return err(j, "a control character inside a string"),
            Some(_) => j += 1,
        }
    }
}

/// A number at `i` (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`; with `lenient` also `\d\.` and
/// `\d\.[eE]...`).
fn number_token(b: &[u8], i: usize, lenient: bool) -> Result<NumTok, JsonError> {
    let digits = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let mut j = i;
    if b[j] == b'-' {
        j += 1;
    }
    let int_start = j;
    match b.get(j) {
        Some(b'0') => j += 1,
        Some(b'1'..=b'9') => j = digits(j),
        _ => return err(i, "a minus sign without digits"),
    }
    if b.get(j).is_some_and(u8::is_ascii_digit) {
        return err(i, "a number with a leading zero");
    }
    let int_digits = j - int_start;
    let mut integer = true;
    let mut bare_dot = None;
    if b.get(j) == Some(&b'.') {
        integer = false;
        let k = digits(j + 1);
        if k == j + 1 {
            if !lenient {
                return err(j, "a decimal point without digits after it");
            }
            bare_dot = Some(j);
        }
        j = k;
    }
    let mut exponent = false;
    if matches!(b.get(j), Some(b'e' | b'E')) {
        integer = false;
        exponent = true;
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits(j);
        if k == j {
            return err(j, "an exponent without digits");
        }
        j = k;
    }
    Ok(NumTok {
        start: i,
        end: j,
        integer,
        bare_dot,
        exponent,
        int_digits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> (String, u64) {
        match prepare(text).unwrap() {
            Prepared::AsIs(s) => (s.to_string(), 0),
            Prepared::Rewritten { text, numbers } => (text, numbers),
        }
    }

    #[test]
    fn documents_that_need_nothing_are_borrowed() {
        for doc in [
            r#"{"a": [1, 2.5, null, true, false], "b": {"c": "d"}}"#,
            r#""{\"a\":1}""#,
            r#""\u00e9\ud83d\ude00 \/ \b\f\n\r\t \\ \"""#,
            "[]",
            "{}",
            "0",
            "-0",
            "1.5e-300",
            "-9223372036854775808",
            "18446744073709551615",
            "1e-400",
            "123456789012345678901234567890.5",
            "\"\"",
        ] {
            assert_eq!(prepare(doc).unwrap(), Prepared::AsIs(doc), "{doc}");
            assert!(is_valid(doc), "{doc}");
        }
        assert_eq!(
            prepare(" \n{\"a\": 1}\t ").unwrap(),
            Prepared::AsIs("{\"a\": 1}")
        );
    }

    #[test]
    fn integers_beyond_64_bits_become_the_double_starrocks_holds() {
        assert_eq!(
            rewritten("123456789012345678901234567890"),
            ("1.2345678901234568e29".into(), 1)
        );
        assert_eq!(
            rewritten(r#" {"big": 18446744073709551616, "small": -9223372036854775809, "s": "18446744073709551616"} "#),
            (
                r#"{"big": 1.8446744073709552e19, "small": -9.223372036854776e18, "s": "18446744073709551616"}"#
                    .into(),
                2
            )
        );
        assert_eq!(rewritten("[100000000000000000000]"), ("[1e20]".into(), 1));
        // Every rewritten number reads back as the double the source integer rounds to.
        let (t, _) = rewritten("[99999999999999999999999999999999999999999999]");
        let v: Vec<f64> = serde_json::from_str(&t).unwrap();
        assert_eq!(v[0], 99999999999999999999999999999999999999999999f64);
        assert!(is_valid("123456789012345678901234567890"));
    }

    #[test]
    fn mariadb_bare_dot_numbers_are_completed() {
        assert_eq!(rewritten("1."), ("1.0".into(), 1));
        assert_eq!(rewritten("[1.e5, -0.]"), ("[1.0e5, -0.0]".into(), 2));
        assert!(!is_valid("1."));
        assert!(!is_valid("[1.e5]"));
    }

    #[test]
    fn what_starrocks_cannot_take_is_refused_with_the_reason() {
        let e = |t: &str| prepare(t).unwrap_err().to_string();
        assert!(
            e("1e400").contains("beyond the range of a double"),
            "{}",
            e("1e400")
        );
        assert!(e("[-1.5E+400]").contains("beyond the range of a double"));
        assert!(e(&format!("1{}", "0".repeat(400))).contains("integer beyond the range"));
        assert!(e(r#""\x41""#).contains("an escape JSON does not have"));
        assert!(e(r#""\ud800""#).contains("lone surrogate"));
        assert!(e(r#""\udc00\ud800""#).contains("lone surrogate"));
        assert!(e(r#""\ud800\u0041""#).contains("lone surrogate"));
        assert!(e("\"a\tb\"").contains("control character"));
        assert!(e("").contains("empty"));
        assert!(e("  ").contains("empty"));
        for bad in [
            "[1,]",
            "{\"a\":1,}",
            "01",
            "+1",
            ".5",
            "-",
            "NaN",
            "tRue",
            "[1 2]",
            "{\"a\" 1}",
            "{1: 2}",
            "[",
            "{",
            "\"abc",
            "true false",
            "[1]]",
            "[}",
            "{\"a\":1]",
            "1e",
            "1e+",
            "'x'",
            "nul",
        ] {
            assert!(prepare(bad).is_err(), "{bad}");
            assert!(!is_valid(bad), "{bad}");
        }
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(is_valid(&deep(MAX_DEPTH)));
        assert!(e(&deep(MAX_DEPTH + 1)).contains("nesting deeper"));
        let deep_obj = format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert_eq!(
            prepare(&deep_obj).unwrap(),
            Prepared::AsIs(deep_obj.as_str())
        );
    }
}
