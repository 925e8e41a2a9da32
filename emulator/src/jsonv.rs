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

use std::borrow::Cow;
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

/// A field value of a JSON record as a load reads it, borrowed from the body where possible (the
/// streaming reader builds no tree for a record).
#[derive(Debug, Clone)]
pub enum JVal<'a> {
    Null,
    Bool(bool),
    /// Raw number token.
    Num(&'a str),
    Str(Cow<'a, str>),
    /// An array or object: its raw (validated) text.
    Raw(&'a [u8]),
    /// A value of a parsed tree (loads with `json_root` / `jsonpaths`).
    Tree(&'a Tok),
}

impl<'a> JVal<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, JVal::Null | JVal::Tree(Tok::Null))
    }
    /// An array or an object.
    pub fn is_container(&self) -> bool {
        matches!(
            self,
            JVal::Raw(_) | JVal::Tree(Tok::Arr(_)) | JVal::Tree(Tok::Obj(_))
        )
    }
    /// VARCHAR text of the field (`formats/json/binary_column.cpp` `add_binary_column`): strings
    /// without quotes, numbers as their raw token, booleans as `1`/`0`, arrays/objects minified;
    /// `None` for null.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            JVal::Null => None,
            JVal::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
            JVal::Num(n) => Some(Cow::Borrowed(n)),
            JVal::Str(s) => Some(s.clone()),
            JVal::Raw(span) => Some(Cow::Owned(minify_span(span))),
            JVal::Tree(t) => match t {
                Tok::Null => None,
                Tok::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
                Tok::Num(n) => Some(Cow::Borrowed(n.as_str())),
                Tok::Str(s) => Some(Cow::Borrowed(s.as_str())),
                other => Some(Cow::Owned(other.minified())),
            },
        }
    }
    /// Convert to a JSON-type value; numbers per `mode`.
    pub fn to_j(&self, mode: NumMode) -> Result<J, String> {
        match self {
            JVal::Null => Ok(J::Null),
            JVal::Bool(b) => Ok(J::Bool(*b)),
            JVal::Num(n) => number(n, mode),
            JVal::Str(s) => Ok(J::Str(s.to_string())),
            JVal::Raw(span) => parse_document(span)?.to_j(mode),
            JVal::Tree(t) => t.to_j(mode),
        }
    }
}

/// Minified text of a validated array/object span.
pub fn minify_span(span: &[u8]) -> String {
    match parse_document(span) {
        Ok(t) => t.minified(),
        Err(_) => String::from_utf8_lossy(span).to_string(),
    }
}

/// The callback of [`scan_records`]: a record's raw text and, when it is an object, its fields
/// (in document order; duplicate keys kept).
pub type OnRecord<'f, 'a> = dyn FnMut(&'a [u8], Option<&[(Cow<'a, str>, JVal<'a>)]>) + 'f;

/// Stream the records of a JSON load body without building a tree: each top-level document (a
/// body may hold several, whitespace-separated) is one record, or with `strip_outer_array`
/// each element of a top-level array. Checks exactly what parsing the whole body does: a
/// syntax error anywhere fails the body ("invalid JSON"), and wins over a document of the wrong
/// shape (an array without `strip_outer_array`, or a non-array with it), which fails the body
/// with the message `shape_error` gives. Records are passed to `f` as they are read; when an
/// error is returned, the caller discards what `f` saw.
pub fn scan_records<'a>(
    b: &'a [u8],
    strip_outer_array: bool,
    f: &mut OnRecord<'_, 'a>,
) -> Result<(), ScanError> {
    let mut p = Parser { b, i: 0 };
    let mut fields: Vec<(Cow<'a, str>, JVal<'a>)> = Vec::new();
    let mut shape: Option<&'static str> = None;
    loop {
        p.ws();
        if p.i >= b.len() {
            break;
        }
        let is_arr = b[p.i] == b'[';
        if strip_outer_array && is_arr && shape.is_none() {
            p.i += 1;
            p.ws();
            if b.get(p.i) == Some(&b']') {
                p.i += 1;
                continue;
            }
            loop {
                p.ws();
                p.record(&mut fields, f, 2).map_err(ScanError::Syntax)?;
                p.ws();
                match b.get(p.i) {
                    Some(b',') => p.i += 1,
                    Some(b']') => {
                        p.i += 1;
                        break;
                    }
                    _ => return Err(ScanError::Syntax(p.err_text("expected ',' or ']'"))),
                }
            }
        } else if strip_outer_array || is_arr || shape.is_some() {
            // Wrong shape: the body fails, but a syntax error later on still wins.
            if shape.is_none() {
                shape = Some(if is_arr {
                    "JSON data is an array, strip_outer_array must be set true"
                } else {
                    "JSON data is not an array-object, strip_outer_array must be set false"
                });
            }
            p.skip_value(0).map_err(ScanError::Syntax)?;
        } else {
            p.record(&mut fields, f, 1).map_err(ScanError::Syntax)?;
        }
    }
    match shape {
        Some(m) => Err(ScanError::Shape(m.to_string())),
        None => Ok(()),
    }
}

/// Why [`scan_records`] failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanError {
    /// Not valid JSON (message with the byte position).
    Syntax(String),
    /// Valid JSON of the wrong shape for `strip_outer_array`.
    Shape(String),
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(self.err_text(what))
    }
    fn err_text(&self, what: &str) -> String {
        format!("{what} at byte {}", self.i)
    }
    /// One record of [`scan_records`]: an object's fields are collected into `fields` (reused
    /// between records), anything else is passed as a non-object.
    /// `depth`: the record's own nesting level (1 at the top of the body, 2 inside the outer
    /// array): simdjson's limit of 1024 levels counts the whole body.
    fn record(
        &mut self,
        fields: &mut Vec<(Cow<'a, str>, JVal<'a>)>,
        f: &mut OnRecord<'_, 'a>,
        depth: usize,
    ) -> Result<(), String> {
        let start = self.i;
        if self.b.get(self.i) != Some(&b'{') {
            self.skip_value(depth)?;
            f(&self.b[start..self.i], None);
            return Ok(());
        }
        fields.clear();
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.b.get(self.i) != Some(&b'"') {
                    return self.err("expected a string key");
                }
                let k = self.string_cow()?;
                self.ws();
                if self.b.get(self.i) != Some(&b':') {
                    return self.err("expected ':'");
                }
                self.i += 1;
                self.ws();
                let v = self.field_value(depth + 1)?;
                fields.push((k, v));
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return self.err("expected ',' or '}'"),
                }
            }
        }
        f(&self.b[start..self.i], Some(fields));
        Ok(())
    }
    /// A field value without building a tree for arrays/objects (validated, kept as text).
    fn field_value(&mut self, depth: usize) -> Result<JVal<'a>, String> {
        match self.b.get(self.i) {
            Some(b'{') | Some(b'[') => {
                let start = self.i;
                self.skip_value(depth)?;
                Ok(JVal::Raw(&self.b[start..self.i]))
            }
            Some(b'"') => Ok(JVal::Str(self.string_cow()?)),
            Some(b't') => self.lit("true", Tok::Bool(true)).map(|_| JVal::Bool(true)),
            Some(b'f') => self
                .lit("false", Tok::Bool(false))
                .map(|_| JVal::Bool(false)),
            Some(b'n') => self.lit("null", Tok::Null).map(|_| JVal::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.num_end()?;
                // The token is ASCII digits, sign, '.', 'e'.
                Ok(JVal::Num(
                    std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0"),
                ))
            }
            Some(_) => self.err("unexpected character"),
            None => self.err("unexpected end of input"),
        }
    }
    /// Validate one value (as [`Parser::value`] does) without building it.
    fn skip_value(&mut self, depth: usize) -> Result<(), String> {
        if depth > 1024 {
            return self.err("nesting too deep");
        }
        match self.b.get(self.i) {
            None => self.err("unexpected end of input"),
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return self.err("expected a string key");
                    }
                    self.string_cow()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return self.err("expected ':'");
                    }
                    self.i += 1;
                    self.ws();
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err("expected ',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err("expected ',' or ']'"),
                    }
                }
            }
            Some(b'"') => self.string_cow().map(|_| ()),
            Some(b't') => self.lit("true", Tok::Null).map(|_| ()),
            Some(b'f') => self.lit("false", Tok::Null).map(|_| ()),
            Some(b'n') => self.lit("null", Tok::Null).map(|_| ()),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.num_end(),
            Some(_) => self.err("unexpected character"),
        }
    }
    /// A string, borrowed from the input when it holds no escape.
    fn string_cow(&mut self) -> Result<Cow<'a, str>, String> {
        let start = self.i + 1;
        let mut j = start + plain_len(&self.b[start..]);
        while j < self.b.len() {
            match self.b[j] {
                b'"' => {
                    return match std::str::from_utf8(&self.b[start..j]) {
                        Ok(s) => {
                            self.i = j + 1;
                            Ok(Cow::Borrowed(s))
                        }
                        Err(_) => {
                            self.i = j;
                            self.err("invalid UTF-8 in string")
                        }
                    };
                }
                b'\\' => break,
                c if c < 0x20 => break,
                _ => j += 1,
            }
        }
        self.string().map(Cow::Owned)
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
        self.num_end()?;
        Ok(Tok::Num(
            String::from_utf8_lossy(&self.b[start..self.i]).to_string(),
        ))
    }
    /// Move past a number token, checking its grammar.
    fn num_end(&mut self) -> Result<(), String> {
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
        Ok(())
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

/// Length of the run at the start of `b` holding no byte that ends a plain JSON string run (`"`,
/// `\\`, a control character). Whole 16-byte blocks are tested without an early exit inside a
/// block, which the compiler vectorises; the block that holds such a byte is scanned bytewise.
fn plain_len(b: &[u8]) -> usize {
    let stop = |x: u8| (x < 0x20) | (x == b'"') | (x == b'\\');
    let mut n = 0;
    for block in b.chunks_exact(16) {
        if block.iter().fold(false, |acc, &x| acc | stop(x)) {
            break;
        }
        n += 16;
    }
    n + b[n..].iter().position(|&x| stop(x)).unwrap_or(b.len() - n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_len_stops_at_the_first_quote_backslash_or_control_byte() {
        for stop in (0u8..0x20).chain([b'"', b'\\']) {
            for at in 0..41 {
                let mut b = vec![b'x'; 41];
                b[at] = stop;
                assert_eq!(plain_len(&b), at, "byte {stop:#x} at {at}");
                // A later stop byte does not move the answer.
                b[40] = b'"';
                assert_eq!(plain_len(&b), at, "byte {stop:#x} at {at}, quote at 40");
            }
        }
        assert_eq!(plain_len(&[b'y'; 37]), 37);
        assert_eq!(plain_len("é€𝄞".repeat(5).as_bytes()), 45);
        // Strings read through it: escapes and multi-byte text around block edges.
        for at in [0usize, 15, 16, 17, 31, 32] {
            let mut t = "a".repeat(40);
            t.insert_str(at, "\\n\\\"é");
            let doc = format!("[{{\"k\":\"{t}\"}}]");
            let mut got = Vec::new();
            scan_records(doc.as_bytes(), true, &mut |_, f| {
                if let Some(JVal::Str(s)) = f.and_then(|f| f.first()).map(|(_, v)| v.clone()) {
                    got.push(s.into_owned());
                }
            })
            .unwrap();
            let mut want = "a".repeat(40);
            want.insert_str(at, "\n\"é");
            assert_eq!(got, vec![want], "escape at {at}");
        }
    }

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

    /// The streaming reader sees the same records, fields and errors as parsing the whole body.
    #[test]
    fn scan_records_agrees_with_parse_stream() {
        let bodies: &[&str] = &[
            r#"[{"a":1,"b":"x\ny","c":[1,{"d":null}]},{"a":-2.5e3}]"#,
            r#"{"a":1} {"a":2}"#,
            r#"[]"#,
            r#"[1, "s", [2], {"k": true}]"#,
            r#"[{"a":1},]"#,
            r#"[{"a":1}"#,
            r#"{"a":01}"#,
            r#"[{"a":"\ud800"}]"#,
            r#"[{"a":1}] [{"b":2}]"#,
            r#"{"a":1} [1]"#,
            r#"[1] {"a":"#,
            "",
            "  \n ",
            r#"{"é":"ü","a":{"x":[1,2,{"y":"z"}]}}"#,
        ];
        for strip in [false, true] {
            for body in bodies {
                let b = body.as_bytes();
                // Reference: parse everything, then apply strip_outer_array.
                let reference: Result<Vec<String>, String> = match parse_stream(b) {
                    Err(e) => Err(format!("syntax {e}")),
                    Ok(docs) => {
                        let mut items = Vec::new();
                        let mut err = None;
                        for d in docs {
                            match (strip, d) {
                                (true, Tok::Arr(a)) => items.extend(a),
                                (true, _) => {
                                    err.get_or_insert("shape".to_string());
                                }
                                (false, Tok::Arr(_)) => {
                                    err.get_or_insert("shape".to_string());
                                }
                                (false, d) => items.push(d),
                            }
                        }
                        match err {
                            Some(e) => Err(e),
                            None => Ok(items.iter().map(|t| t.minified()).collect()),
                        }
                    }
                };
                let mut seen = Vec::new();
                let got = scan_records(b, strip, &mut |span, fields| {
                    let text = minify_span(span);
                    if let Some(fields) = fields {
                        let rebuilt: Vec<String> = fields
                            .iter()
                            .map(|(k, v)| {
                                let j = match v {
                                    JVal::Str(s) => quote(s),
                                    JVal::Raw(r) => minify_span(r),
                                    other => {
                                        other.text().map(|t| t.to_string()).unwrap_or("null".into())
                                    }
                                };
                                format!("{}:{}", quote(k), j)
                            })
                            .collect();
                        assert_eq!(
                            parse_document(span)
                                .unwrap()
                                .minified()
                                .replace("true", "1")
                                .replace("false", "0"),
                            format!("{{{}}}", rebuilt.join(",")),
                        );
                    }
                    seen.push(text);
                })
                .map(|_| seen)
                .map_err(|e| match e {
                    ScanError::Syntax(m) => format!("syntax {m}"),
                    ScanError::Shape(_) => "shape".to_string(),
                });
                match (&reference, &got) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{body} strip={strip}"),
                    (Err(a), Err(b)) => assert_eq!(
                        a.starts_with("syntax"),
                        b.starts_with("syntax"),
                        "{body} strip={strip}: {a} vs {b}"
                    ),
                    _ => panic!("{body} strip={strip}: {reference:?} vs {got:?}"),
                }
            }
        }
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
