//! StarRocks' JSON column type: what a JSON value may hold, how each load path builds it, and
//! how the emulator renders it back.
//!
//! StarRocks stores a JSON column as a VelocyPack value (BE `util/json.cpp`, class `JsonValue`).
//! Two load paths build it differently:
//!
//! - **format=json** (`JsonValue::from_simdjson` → `SimdJsonConverter::convert`, reached from
//!   `formats/json/binary_column.cpp` `add_native_json_column`): the JSON value of the field is
//!   converted as it is — an object stays an object, a string stays a *string* (its text is not
//!   parsed again), numbers keep their simdjson number type: signed 64-bit integer, unsigned
//!   64-bit integer, or double. An integer that needs more than 64 bits makes simdjson's
//!   `get_number()` fail (`BIGINT_ERROR`), the conversion throws, and the row is rejected
//!   ("Failed to convert simdjson value"). A JSON `null` field is SQL NULL
//!   (`formats/json/nullable_column.cpp` `add_nullable_native_json_column`: `value->is_null()` →
//!   `append_nulls`).
//! - **format=csv** and string → JSON casts (`formats/csv/json_converter.cpp`
//!   `JsonConverter::read_string` → `JsonValue::parse` → `JsonValue::parse_json_or_string`): text
//!   longer than 16 MB is refused (`kJSONLengthLimit`); empty text is the JSON string `""`; text
//!   whose first non-blank character is `{`, `[` or `"` is parsed as JSON by
//!   `vpack::Parser::fromJson`; **any other text becomes a JSON string holding that text**
//!   (`123` → `"123"`, `true` → `"true"`, `null` → `"null"`). VelocyPack's parser keeps integers
//!   that fit 64 bits and turns larger ones into doubles (emulated; the VelocyPack parser source
//!   was not read).
//!
//! Rendering (the emulator's canonical text, modelled on `JsonValue::to_string`, which dumps
//! with VelocyPack's default options plus `singleLinePrettyPrint`, BE `types/json_value.cpp`,
//! velocypack `Dumper.cpp`): `{"a": 1, "b": [1, 2]}` — `": "` after keys, `", "` between
//! elements, object keys in byte order (VelocyPack's sorted object index, dumped in index order;
//! duplicate keys kept in input order), strings escaped as `Dumper::dumpString` does
//! ([`dump_string`]), integers in decimal, doubles as `fpconv_dtoa` writes them ([`dump_double`]:
//! `1.0` dumps as `1`, `1e21` as `1e+21`). Not verified on a real cluster.

use std::fmt::Write;

/// Largest JSON text `parse_json_or_string` accepts (`kJSONLengthLimit = 16 << 20`).
pub const JSON_LENGTH_LIMIT: usize = 16 << 20;

/// A JSON value as StarRocks' JSON type holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// How numbers beyond 64 bits are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumMode {
    /// simdjson (format=json): integers beyond 64 bits are an error.
    Simdjson,
    /// VelocyPack's parser (format=csv, casts): integers beyond 64 bits become doubles.
    Vpack,
}

/// A parsed JSON value together with the raw text of a number token (the JSON reader copies a
/// number's raw token into VARCHAR columns: `add_column_with_numeric_value`).
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Null,
    Bool(bool),
    /// Raw token text, exactly as in the input.
    Num(String),
    Str(String),
    Arr(Vec<Tok>),
    Obj(Vec<(String, Tok)>),
}

impl Tok {
    pub fn get(&self, key: &str) -> Option<&Tok> {
        match self {
            Tok::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn get_ci(&self, key: &str) -> Option<&Tok> {
        match self {
            Tok::Obj(m) => self.get(key).or_else(|| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            }),
            _ => None,
        }
    }
    pub fn index(&self, i: usize) -> Option<&Tok> {
        match self {
            Tok::Arr(a) => a.get(i),
            _ => None,
        }
    }
    /// Minified JSON text (what `simdjson::minify` gives for arrays/objects; numbers keep their
    /// raw token).
    pub fn minified(&self) -> String {
        let mut s = String::new();
        self.write_min(&mut s);
        s
    }
    fn write_min(&self, out: &mut String) {
        match self {
            Tok::Null => out.push_str("null"),
            Tok::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Tok::Num(n) => out.push_str(n),
            Tok::Str(s) => out.push_str(&quote(s)),
            Tok::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_min(out);
                }
                out.push(']');
            }
            Tok::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote(k));
                    out.push(':');
                    v.write_min(out);
                }
                out.push('}');
            }
        }
    }
    /// Convert to a JSON-type value; numbers per `mode`.
    pub fn to_j(&self, mode: NumMode) -> Result<J, String> {
        Ok(match self {
            Tok::Null => J::Null,
            Tok::Bool(b) => J::Bool(*b),
            Tok::Num(n) => number(n, mode)?,
            Tok::Str(s) => J::Str(s.clone()),
            Tok::Arr(a) => J::Arr(a.iter().map(|v| v.to_j(mode)).collect::<Result<_, _>>()?),
            Tok::Obj(m) => J::Obj(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_j(mode)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

fn number(raw: &str, mode: NumMode) -> Result<J, String> {
    let is_int = !raw.contains(['.', 'e', 'E']);
    if is_int {
        if let Ok(i) = raw.parse::<i64>() {
            return Ok(J::Int(i));
        }
        if let Ok(u) = raw.parse::<u64>() {
            return Ok(J::UInt(u));
        }
        if mode == NumMode::Simdjson {
            return Err(format!(
                "Failed to convert simdjson value, json={raw}, error=Big integer value that cannot be represented using 64 bits"
            ));
        }
    }
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(J::Double(f)),
        _ => Err(format!(
            "Failed to convert simdjson value, json={raw}, error=The JSON number is too large or too small to fit within the requested type"
        )),
    }
}

pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl J {
    /// The emulator's canonical text (see the module doc).
    pub fn render(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }
    fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => {
                let _ = write!(out, "{i}");
            }
            J::UInt(u) => {
                let _ = write!(out, "{u}");
            }
            J::Double(f) => dump_double(*f, out),
            J::Str(s) => dump_string(s, out),
            J::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out);
                }
                out.push(']');
            }
            J::Obj(m) => {
                let mut sorted: Vec<&(String, J)> = m.iter().collect();
                sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out.push('{');
                for (i, (k, v)) in sorted.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    dump_string(k, out);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A string as VelocyPack's `Dumper::dumpString` writes it with the default options: `"` and
/// `\` escaped, the control characters as `\b \t \n \f \r` or `\u00XX` (upper-case hex),
/// everything else (`/`, DEL, non-ASCII) as it is.
fn dump_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A double as VelocyPack's `Dumper::appendDouble` writes it (`fpconv_dtoa`, `emit_digits`):
/// the digits with their decimal exponent, then written as a plain integer when the exponent
/// is small (`1`, `18446744073709552000`: no `.0`), as a decimal fraction when it is slightly
/// negative (`0.001`, `1.5`), and in scientific form otherwise (`1e+20`, `1.5e-7`). The
/// digits here are the shortest that read back as the double; `fpconv` computes them with
/// Grisu2, which in rare cases gives a longer (still exact) digit string.
pub fn dump_double(f: f64, out: &mut String) {
    if !f.is_finite() {
        // VelocyPack refuses to dump NaN/Infinity; no load path produces them.
        out.push_str("null");
        return;
    }
    let neg = f.is_sign_negative();
    if neg {
        out.push('-');
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, e10) = sci.split_once('e').unwrap_or((&sci, "0"));
    let e10: i32 = e10.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let nd = digits.len() as i32;
    // value = digits × 10^k
    let k = e10 - (nd - 1);
    let exp = e10.abs();
    if k >= 0 && exp < nd + 7 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', k as usize));
        return;
    }
    if k < 0 && (k > -7 || exp < 4) {
        let offset = nd + k;
        if offset <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-offset) as usize));
            out.push_str(&digits);
        } else {
            out.push_str(&digits[..offset as usize]);
            out.push('.');
            out.push_str(&digits[offset as usize..]);
        }
        return;
    }
    let keep = digits.len().min(if neg { 17 } else { 18 });
    out.push_str(&digits[..1]);
    if keep > 1 {
        out.push('.');
        out.push_str(&digits[1..keep]);
    }
    out.push('e');
    out.push(if e10 < 0 { '-' } else { '+' });
    let _ = write!(out, "{exp}");
}

/// CSV / cast path: `JsonValue::parse_json_or_string` (see the module doc). Returns the
/// canonical text.
pub fn parse_json_or_string(text: &str) -> Result<String, String> {
    if text.len() > JSON_LENGTH_LIMIT {
        return Err("JSON string exceed maximum length 16MB".into());
    }
    let first = text.chars().find(|c| !c.is_whitespace());
    match first {
        Some('{') | Some('[') | Some('"') => {
            let tok = parse_document(text.as_bytes())
                .map_err(|e| format!("'{text}' is not valid JSON: {e}"))?;
            Ok(tok.to_j(NumMode::Vpack)?.render())
        }
        _ => Ok(J::Str(text.to_string()).render()),
    }
}

/// Parse exactly one JSON document (surrounding whitespace allowed).
pub fn parse_document(b: &[u8]) -> Result<Tok, String> {
    let mut p = Parser { b, i: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != b.len() {
        return Err(format!("unexpected trailing content at byte {}", p.i));
    }
    Ok(v)
}

/// Parse a stream of whitespace-separated JSON documents (a JSON Stream Load body).
pub fn parse_stream(b: &[u8]) -> Result<Vec<Tok>, String> {
    let mut p = Parser { b, i: 0 };
    let mut out = Vec::new();
    loop {
        p.ws();
        if p.i >= b.len() {
            break;
        }
        out.push(p.value(0)?);
    }
    Ok(out)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }
    fn value(&mut self, depth: usize) -> Result<Tok, String> {
        if depth > 1024 {
            return self.err("nesting too deep");
        }
        match self.b.get(self.i) {
            None => self.err("unexpected end of input"),
            Some(b'{') => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Tok::Obj(m));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return self.err("expected a string key");
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return self.err("expected ':'");
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    m.push((k, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Tok::Obj(m));
                        }
                        _ => return self.err("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Tok::Arr(a));
                }
                loop {
                    self.ws();
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Tok::Arr(a));
                        }
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'"') => Ok(Tok::Str(self.string()?)),
            Some(b't') => self.lit("true", Tok::Bool(true)),
            Some(b'f') => self.lit("false", Tok::Bool(false)),
            Some(b'n') => self.lit("null", Tok::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.num(),
            Some(_) => self.err("unexpected character"),
        }
    }
    fn lit(&mut self, word: &str, v: Tok) -> Result<Tok, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            self.err("invalid literal")
        }
    }
    fn num(&mut self) -> Result<Tok, String> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        let int_start = self.i;
        let n = digits(self);
        if n == 0 {
            return self.err("invalid number");
        }
        if n > 1 && self.b[int_start] == b'0' {
            return self.err("leading zero in number");
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return self.err("invalid number");
            }
        }
        if matches!(self.b.get(self.i), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err("invalid number");
            }
        }
        Ok(Tok::Num(
            String::from_utf8_lossy(&self.b[start..self.i]).to_string(),
        ))
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| u32::from_str_radix(s, 16).ok());
        match h {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => self.err("invalid \\u escape"),
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return self.err("unterminated string");
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).map_err(|_| "invalid UTF-8 in string".into());
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return self.err("unterminated escape");
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return self.err("lone surrogate in \\u escape");
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.err("invalid surrogate pair");
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return self.err("lone surrogate in \\u escape");
                            } else {
                                hi
                            };
                            match char::from_u32(cp) {
                                Some(c) => c,
                                None => return self.err("invalid \\u escape"),
                            }
                        }
                        _ => return self.err("invalid escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return self.err("control character in string"),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_path_parses_or_wraps() {
        assert_eq!(
            parse_json_or_string("{\"b\":1,\"a\":[1,2]}").unwrap(),
            "{\"a\": [1, 2], \"b\": 1}"
        );
        assert_eq!(
            parse_json_or_string("\"scalar string\"").unwrap(),
            "\"scalar string\""
        );
        assert_eq!(parse_json_or_string("123").unwrap(), "\"123\"");
        assert_eq!(parse_json_or_string("null").unwrap(), "\"null\"");
        assert_eq!(parse_json_or_string("").unwrap(), "\"\"");
        assert!(parse_json_or_string("{bad").is_err());
        assert_eq!(
            parse_json_or_string("[123456789012345678901234567890]").unwrap(),
            "[1.2345678901234568e+29]"
        );
    }
    #[test]
    fn doubles_dump_as_fpconv_writes_them() {
        let d = |f: f64| {
            let mut s = String::new();
            dump_double(f, &mut s);
            s
        };
        for (f, text) in [
            (1.0, "1"),
            (-1.0, "-1"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (100.0, "100"),
            (0.001, "0.001"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1e6, "1000000"),
            (1e7, "10000000"),
            (1e8, "1e+8"),
            (1e15, "1e+15"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (1e-7, "1e-7"),
            (2.5e-6, "2.5e-6"),
            (2.5e-5, "0.000025"),
            (12345.678901234, "1.2345678901234e+4"),
            (123456789012.0, "123456789012"),
            (18446744073709551616.0, "18446744073709552000"),
            (1.2345678901234568e29, "1.2345678901234568e+29"),
            (-1.5e300, "-1.5e+300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ] {
            assert_eq!(d(f), text, "{f:e}");
            // What is dumped reads back as the same double.
            assert_eq!(text.parse::<f64>().unwrap(), f, "{text}");
        }
    }

    #[test]
    fn strings_dump_as_velocypack_writes_them() {
        let t =
            parse_document(br#""\u0001\u001f\b\t\n\f\r\"\\\/\u007f\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(
            t.to_j(NumMode::Simdjson).unwrap().render(),
            r#""\u0001\u001F\b\t\n\f\r\"\\/"#.to_string() + "\u{7f}é😀\""
        );
    }

    #[test]
    fn json_path_numbers() {
        let t = parse_document(b"[1, -1, 18446744073709551615, 1.50, 1e2]").unwrap();
        assert_eq!(
            t.to_j(NumMode::Simdjson).unwrap().render(),
            "[1, -1, 18446744073709551615, 1.5, 100]"
        );
        let big = parse_document(b"18446744073709551616").unwrap();
        assert!(big.to_j(NumMode::Simdjson).is_err());
        assert_eq!(
            parse_document(b"\"\\u00e9\\ud83d\\ude00\"").unwrap(),
            Tok::Str("é😀".into())
        );
        assert!(parse_document(b"\"\\ud800\"").is_err());
        assert_eq!(
            parse_document(b"{\"a\": 1.0}").unwrap().minified(),
            "{\"a\":1.0}"
        );
    }
}
