//! Load parameters (HTTP headers), the `columns` mapping, and turning a CSV or JSON body into
//! row operations — the parts of a load StarRocks' FE planner and BE scanners decide.
//!
//! Sources of the modelled behaviour (StarRocks repository, newest stored version):
//! - separators: FE `analysis/Delimiter.java` `convertDelimiter`, `sql/ast/ColumnSeparator.java`,
//!   `RowDelimiter.java`, FE `planner/StreamLoadScanNode.java` (default `\t` / `\n`, 50-byte
//!   limit); BE `http/action/stream_load.cpp` `_process_put` (empty headers are not forwarded;
//!   `enclose` / `escape` are the header's first byte).
//! - CSV records: BE `exec/csv_scanner.cpp` `_parse_csv` / `_parse_csv_v2` (blank records
//!   skipped, whole-record UTF-8 check, column-count message), `formats/csv/csv_reader.cpp`.
//! - source slot types: FE `load/Load.java` `initColumns` / `replaceSrcSlotDescType` (a column
//!   named in `columns` without expression is read with the table column's type; temporary
//!   columns and columns used as expression arguments are read as VARCHAR).
//! - JSON records: BE `exec/json_scanner.cpp` `_construct_json_types`,
//!   `formats/json/binary_column.cpp` `add_binary_column` (strings without quotes, numbers as
//!   their raw token, booleans as `1`/`0`, arrays/objects minified).
//! - `__op`: FE `planner/StreamLoadPlanner.java` `plan` adds the `__op` slot only for PRIMARY
//!   KEY tables; partial update on other tables fails there too.

use crate::http::Request;
use crate::jsonv::{self, JVal, NumMode, ScanError, Tok};
use crate::sql::{KeysType, TableDef};
use crate::state::{RowOp, Table};
use crate::types::{convert, ColType};
use base64::Engine;
use std::borrow::Cow;

pub const DEFAULT_TIMEOUT_S: u64 = 600;
const PK_LIMIT_BYTES: usize = 128;
/// FE `StreamLoadScanNode`: "the column separator is limited to a maximum of 50 bytes".
pub const MAX_SEPARATOR_BYTES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// Which request the headers came from: a one-shot Stream Load (BE `stream_load.cpp`) or a
/// transaction load (BE `transaction_stream_load.cpp` `_parse_request`, which forwards fewer
/// headers: no `enclose`, `escape`, `skip_header`, `trim_space`, and `timeout` comes from
/// `begin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadKind {
    OneShot,
    Txn,
}

/// A `columns` mapping expression (FE parses it as SQL: `StreamLoadInfo.setColumnToColumnExpr`).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Col(String),
    Str(String),
    Num(String),
    Null,
    Call(String, Vec<Expr>),
}

#[derive(Debug, Clone)]
pub struct Params {
    pub format: Format,
    pub col_sep: Vec<u8>,
    pub row_delim: Vec<u8>,
    /// `columns` header: source names in data order, and `target=expr` assignments.
    pub sources: Option<Vec<String>>,
    pub assigns: Vec<(String, Expr)>,
    pub strip_outer_array: bool,
    pub jsonpaths: Option<Vec<String>>,
    pub json_root: Option<String>,
    pub strict: bool,
    pub max_filter_ratio: f64,
    pub timeout_s: Option<u64>,
    pub partial_update: bool,
    pub skip_header: usize,
    pub trim_space: bool,
    pub enclose: Option<u8>,
    pub escape: Option<u8>,
    /// StarRocks version that governs version-dependent conversions.
    pub version: (u32, u32, u32),
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    // BE: `!http_req->header(X).empty()` — an empty header is as good as none.
    req.header(name).filter(|v| !v.is_empty())
}

/// `Delimiter.convertDelimiter`: `\x..` / `0x..` (case-insensitive prefix) is hex; anything else
/// is taken literally (so `\t` is the two bytes `\` and `t`). Each hex byte becomes the Java
/// `char` `(char) b` — a byte ≥ 0x80 sign-extends to U+FF80..U+FFFF — and the string reaches
/// the BE UTF-8 encoded (`StreamLoadScanNode`: `sep.getBytes(StandardCharsets.UTF_8)`), so
/// `\x80` is the three bytes EF BE 80 on the BE.
pub fn convert_delimiter(v: &str) -> Result<Vec<u8>, String> {
    if v.is_empty() {
        return Err("Delimiter cannot be empty or null".into());
    }
    let up = v.to_ascii_uppercase();
    if up.starts_with("\\X") || up.starts_with("0X") {
        let hex = &v[2..];
        if hex.is_empty() {
            return Err(format!("Invalid delimiter '{v}: empty hex string"));
        }
        if !hex.len().is_multiple_of(2) {
            return Err(format!(
                "Invalid delimiter '{v}: hex length must be a even number"
            ));
        }
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("Invalid delimiter '{v}': invalid hex format"));
        }
        let mut s = String::new();
        for i in (0..hex.len()).step_by(2) {
            let b = u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
            let ch = if b < 0x80 {
                b as u32
            } else {
                0xFF00 | b as u32
            };
            s.push(char::from_u32(ch).unwrap_or('\u{FFFD}'));
        }
        Ok(s.into_bytes())
    } else {
        Ok(v.as_bytes().to_vec())
    }
}

fn separator(req: &Request, name: &str, default: &[u8], what: &str) -> Result<Vec<u8>, String> {
    match header(req, name) {
        None => Ok(default.to_vec()),
        Some(v) => {
            let b = convert_delimiter(v)?;
            if b.len() > MAX_SEPARATOR_BYTES {
                return Err(format!(
                    "the {what} is limited to a maximum of {MAX_SEPARATOR_BYTES} bytes"
                ));
            }
            Ok(b)
        }
    }
}

/// C `strtod` on the header (BE: `ctx->max_filter_ratio = strtod(...)`): the longest numeric
/// prefix, 0 when there is none.
fn strtod(s: &str) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    for i in (1..=t.len()).rev() {
        if t.is_char_boundary(i) && t[..i].parse::<f64>().is_ok() {
            end = i;
            break;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

pub fn parse_params(
    req: &Request,
    kind: LoadKind,
    version: (u32, u32, u32),
) -> Result<Params, String> {
    let format = match header(req, "format") {
        None => Format::Csv,
        Some(f) if f.eq_ignore_ascii_case("csv") => Format::Csv,
        Some(f) if f.eq_ignore_ascii_case("json") => Format::Json,
        Some(f)
            if ["gzip", "bzip2", "lz4", "deflate", "zstd"]
                .iter()
                .any(|x| f.eq_ignore_ascii_case(x)) =>
        {
            return Err(format!(
                "not supported by the StarRocks emulator: compressed format {f}"
            ))
        }
        Some(f) => return Err(format!("unknown data format, format={f}")),
    };
    for h in [
        "where",
        "compression",
        "content-encoding",
        "merge_condition",
        "enable_merge_commit",
        "negative",
        "partitions",
        "temporary_partitions",
    ] {
        if let Some(v) = header(req, h) {
            if !((h == "enable_merge_commit" || h == "negative") && v.eq_ignore_ascii_case("false"))
            {
                return Err(format!(
                    "not supported by the StarRocks emulator: header {h}"
                ));
            }
        }
    }
    if header(req, "transaction_type").is_some_and(|v| v.eq_ignore_ascii_case("multi")) {
        return Err("not supported by the StarRocks emulator: multi-statement transactions".into());
    }
    let col_sep = separator(req, "column_separator", b"\t", "column separator")?;
    let row_delim = separator(req, "row_delimiter", b"\n", "row delimiter")?;
    let mut sources = None;
    let mut assigns = Vec::new();
    if let Some(cols) = header(req, "columns") {
        let mut src = Vec::new();
        for item in split_top(cols) {
            match split_assign(&item) {
                None => src.push(unquote_ident(&item)),
                Some((target, expr)) => {
                    let target = unquote_ident(target);
                    let ex = parse_expr(expr).map_err(|e| {
                        format!("Getting syntax error from columns header '{item}': {e}")
                    })?;
                    assigns.push((target, ex));
                }
            }
        }
        // Load.initColumns: when the mapping names no source field (only expressions), the
        // table's columns are the source fields.
        if !src.is_empty() {
            sources = Some(src);
        }
    }
    let jsonpaths = match header(req, "jsonpaths") {
        None => None,
        Some(j) => {
            let v: Vec<String> = serde_json::from_str(j)
                .map_err(|e| format!("Invalid json path: {j}, error: {e}"))?;
            Some(v)
        }
    };
    // strict_mode: "Invalid strict mode format. Must be bool type" (both BE parsers).
    let strict = match header(req, "strict_mode") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err("Invalid strict mode format. Must be bool type".into()),
    };
    let timeout_s = match (kind, header(req, "timeout")) {
        (LoadKind::Txn, _) | (_, None) => None,
        (LoadKind::OneShot, Some(v)) => match v.trim().parse::<u64>() {
            Ok(n) if (1..=259200).contains(&n) => Some(n),
            Ok(_) => return Err(format!("Invalid timeout: {v}, must be 1..259200 seconds")),
            Err(_) => return Err("Invalid timeout format".into()),
        },
    };
    let (skip_header, trim_space, enclose, escape) = match kind {
        LoadKind::Txn => (0, false, None, None),
        LoadKind::OneShot => {
            let skip = match header(req, "skip_header") {
                None => 0,
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| "Invalid csv load skip_header format".to_string())?,
            };
            let trim = match header(req, "trim_space") {
                None => false,
                Some(v) if v.eq_ignore_ascii_case("true") => true,
                Some(v) if v.eq_ignore_ascii_case("false") => false,
                Some(_) => return Err("Invalid trim space format. Must be bool type".into()),
            };
            (
                skip,
                trim,
                header(req, "enclose").map(|v| v.as_bytes()[0]),
                header(req, "escape").map(|v| v.as_bytes()[0]),
            )
        }
    };
    Ok(Params {
        format,
        col_sep,
        row_delim,
        sources,
        assigns,
        strip_outer_array: header(req, "strip_outer_array")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        jsonpaths,
        json_root: header(req, "json_root").map(|s| s.to_string()),
        strict,
        max_filter_ratio: header(req, "max_filter_ratio").map(strtod).unwrap_or(0.0),
        timeout_s,
        partial_update: header(req, "partial_update") == Some("true"),
        skip_header,
        trim_space,
        enclose,
        escape,
        version,
    })
}

/// The headers a transaction's loads must repeat identically: the fields of the
/// `TStreamLoadPutRequest` that BE `TransactionStreamLoadAction::_parse_request` builds
/// (compared in `_exec_plan_fragment`: "load request not equal last.").
pub fn txn_signature(req: &Request) -> Vec<(String, String)> {
    let norm_bool = |v: Option<&str>| -> String {
        match v {
            Some(v) if v.eq_ignore_ascii_case("true") => "true".into(),
            Some(v) if v.eq_ignore_ascii_case("false") => "false".into(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    };
    let format = match header(req, "format") {
        None => "csv".to_string(),
        Some(f) => f.to_ascii_lowercase(),
    };
    let mut sig = vec![("format".to_string(), format)];
    for h in [
        "columns",
        "where",
        "column_separator",
        "row_delimiter",
        "partitions",
        "temporary_partitions",
        "timezone",
        "load_mem_limit",
        "jsonpaths",
        "json_root",
        "transmission_compression_type",
        "load_dop",
    ] {
        sig.push((h.to_string(), header(req, h).unwrap_or("").to_string()));
    }
    sig.push((
        "negative".into(),
        (header(req, "negative") == Some("true")).to_string(),
    ));
    sig.push(("strict_mode".into(), norm_bool(header(req, "strict_mode"))));
    sig.push((
        "strip_outer_array".into(),
        header(req, "strip_outer_array")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            .to_string(),
    ));
    sig.push((
        "partial_update".into(),
        (header(req, "partial_update") == Some("true")).to_string(),
    ));
    sig
}

fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(ch) = chars.next() {
        match quote {
            Some(q) => {
                cur.push(ch);
                if ch == '\\' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if ch == q {
                    quote = None;
                }
            }
            None => match ch {
                '\'' | '"' | '`' => {
                    quote = Some(ch);
                    cur.push(ch);
                }
                '(' => {
                    depth += 1;
                    cur.push(ch);
                }
                ')' => {
                    depth -= 1;
                    cur.push(ch);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            },
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `target = expr` at top level (an `=` outside quotes/parentheses).
fn split_assign(item: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    let mut prev_backslash = false;
    for (i, ch) in item.char_indices() {
        match quote {
            Some(q) => {
                if prev_backslash {
                    prev_backslash = false;
                } else if ch == '\\' {
                    prev_backslash = true;
                } else if ch == q {
                    quote = None;
                }
            }
            None => match ch {
                '\'' | '"' | '`' => quote = Some(ch),
                '(' => return None,
                '=' => return Some((item[..i].trim(), item[i + 1..].trim())),
                _ => {}
            },
        }
    }
    None
}

fn unquote_ident(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2 && t.starts_with('`') && t.ends_with('`') {
        t[1..t.len() - 1].replace("``", "`")
    } else {
        t.to_string()
    }
}

/// Parse a mapping expression: column names, string/number literals, NULL, function calls.
pub fn parse_expr(s: &str) -> Result<Expr, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    let e = expr_at(&chars, &mut pos)?;
    skip_ws(&chars, &mut pos);
    if pos != chars.len() {
        return Err(format!(
            "unexpected '{}'",
            chars[pos..].iter().collect::<String>()
        ));
    }
    Ok(e)
}

fn skip_ws(c: &[char], pos: &mut usize) {
    while *pos < c.len() && c[*pos].is_whitespace() {
        *pos += 1;
    }
}

fn expr_at(c: &[char], pos: &mut usize) -> Result<Expr, String> {
    skip_ws(c, pos);
    let Some(&ch) = c.get(*pos) else {
        return Err("empty expression".into());
    };
    if ch == '\'' || ch == '"' {
        *pos += 1;
        let mut out = String::new();
        loop {
            let Some(&x) = c.get(*pos) else {
                return Err("unterminated string literal".into());
            };
            *pos += 1;
            if x == '\\' {
                if let Some(&n) = c.get(*pos) {
                    *pos += 1;
                    out.push(match n {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        o => o,
                    });
                }
            } else if x == ch {
                if c.get(*pos) == Some(&ch) {
                    out.push(ch);
                    *pos += 1;
                } else {
                    break;
                }
            } else {
                out.push(x);
            }
        }
        return Ok(Expr::Str(out));
    }
    if ch.is_ascii_digit()
        || ((ch == '-' || ch == '+') && c.get(*pos + 1).is_some_and(|d| d.is_ascii_digit()))
    {
        let start = *pos;
        *pos += 1;
        while *pos < c.len() && (c[*pos].is_ascii_alphanumeric() || c[*pos] == '.') {
            *pos += 1;
        }
        return Ok(Expr::Num(c[start..*pos].iter().collect()));
    }
    let name = if ch == '`' {
        *pos += 1;
        let mut out = String::new();
        loop {
            let Some(&x) = c.get(*pos) else {
                return Err("unterminated quoted identifier".into());
            };
            *pos += 1;
            if x == '`' {
                if c.get(*pos) == Some(&'`') {
                    out.push('`');
                    *pos += 1;
                } else {
                    break;
                }
            } else {
                out.push(x);
            }
        }
        out
    } else if ch.is_alphanumeric() || ch == '_' || ch == '$' {
        let start = *pos;
        while *pos < c.len() && (c[*pos].is_alphanumeric() || c[*pos] == '_' || c[*pos] == '$') {
            *pos += 1;
        }
        c[start..*pos].iter().collect()
    } else {
        return Err(format!("unexpected '{ch}'"));
    };
    skip_ws(c, pos);
    if c.get(*pos) == Some(&'(') {
        *pos += 1;
        let mut args = Vec::new();
        skip_ws(c, pos);
        if c.get(*pos) == Some(&')') {
            *pos += 1;
            return Ok(Expr::Call(name.to_ascii_lowercase(), args));
        }
        loop {
            args.push(expr_at(c, pos)?);
            skip_ws(c, pos);
            match c.get(*pos) {
                Some(',') => *pos += 1,
                Some(')') => {
                    *pos += 1;
                    return Ok(Expr::Call(name.to_ascii_lowercase(), args));
                }
                _ => return Err("expected ',' or ')'".into()),
            }
        }
    }
    if name.eq_ignore_ascii_case("null") {
        return Ok(Expr::Null);
    }
    Ok(Expr::Col(name))
}

fn collect_refs(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Col(c) => out.push(c.clone()),
        Expr::Call(_, a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Values

/// A value while a row is built: SQL NULL, VARCHAR text, VARBINARY bytes, or (format=json,
/// a field read with its own JSON type) the JSON field. Borrowed from the load body where
/// possible, so reading a row allocates only what the stored row needs.
#[derive(Debug, Clone)]
pub enum V<'a> {
    Null,
    Text(Cow<'a, str>),
    Bytes(Vec<u8>),
    Json(JVal<'a>),
}

/// How a value reached its target column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// The data field named like the column: read with the column's own type.
    Direct,
    /// Read as VARCHAR (a temporary column, or a column used as an expression argument), or
    /// produced by an expression: converted by a cast to the column type.
    Cast,
}

impl<'a> V<'a> {
    fn is_null(&self) -> bool {
        match self {
            V::Null => true,
            V::Json(j) => j.is_null(),
            _ => false,
        }
    }
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            V::Null => None,
            V::Text(s) => Some(Cow::Borrowed(s.as_ref())),
            V::Bytes(b) => Some(String::from_utf8_lossy(b)),
            V::Json(t) => t.text(),
        }
    }
    fn bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            V::Bytes(b) => Some(Cow::Borrowed(b.as_slice())),
            other => other.text().map(|s| match s {
                Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
                Cow::Owned(o) => Cow::Owned(o.into_bytes()),
            }),
        }
    }
    /// The value read as VARCHAR (a JSON field becomes its text).
    fn into_varchar(self) -> V<'a> {
        match self {
            V::Json(t) => t.text().map(V::Text).unwrap_or(V::Null),
            other => other,
        }
    }
}

/// Evaluate a mapping expression. Implemented functions: `to_binary(s[, 'hex'|'encode64'|
/// 'utf8'])` (BE `exprs/binary_functions.cpp`: `hex` → `StringFunctions::unhex`, `encode64` →
/// `EncryptionFunctions::from_base64`, `utf8` → the bytes as they are; an unknown format name
/// falls back to hex in `BinaryFormatState::to_binary_format`), `unhex(s)` (odd length, empty
/// or a non-hex digit → empty string: `unhexImpl`), `from_base64(s)` (empty or invalid → NULL).
fn eval<'a>(e: &Expr, lookup: &dyn Fn(&str) -> V<'a>) -> Result<V<'a>, String> {
    Ok(match e {
        Expr::Null => V::Null,
        Expr::Str(s) => V::Text(Cow::Owned(s.clone())),
        Expr::Num(n) => V::Text(Cow::Owned(n.clone())),
        Expr::Col(c) => lookup(c).into_varchar(),
        Expr::Call(f, args) => {
            let vals: Vec<V> = args
                .iter()
                .map(|a| eval(a, lookup))
                .collect::<Result<_, _>>()?;
            let sig = || {
                format!(
                    "No matching function with signature: {f}({}).",
                    vec!["varchar"; args.len()].join(", ")
                )
            };
            match (f.as_str(), vals.as_slice()) {
                ("to_binary", [s]) => unhex(s),
                ("to_binary", [s, fmt]) => {
                    let fmt = fmt.text().unwrap_or_default().to_ascii_lowercase();
                    match fmt.as_str() {
                        "encode64" => from_base64(s),
                        "utf8" => match s.bytes() {
                            Some(b) => V::Bytes(b.into_owned()),
                            None => V::Null,
                        },
                        _ => unhex(s),
                    }
                }
                ("to_binary", _) => return Err(sig()),
                ("unhex", [s]) => unhex(s),
                ("unhex", _) => return Err(sig()),
                ("from_base64", [s]) => from_base64(s),
                ("from_base64", _) => return Err(sig()),
                _ => {
                    return Err(format!(
                        "not supported by the StarRocks emulator: function {f}() in the columns header \
                         (implemented: to_binary, unhex, from_base64)"
                    ))
                }
            }
        }
    })
}

fn unhex<'a>(v: &V) -> V<'a> {
    let Some(b) = v.bytes() else { return V::Null };
    if b.is_empty() || !b.len().is_multiple_of(2) || !b.iter().all(|c| c.is_ascii_hexdigit()) {
        return V::Bytes(Vec::new());
    }
    V::Bytes(
        b.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
            .collect(),
    )
}

fn from_base64<'a>(v: &V) -> V<'a> {
    let Some(b) = v.bytes() else { return V::Null };
    if b.is_empty() {
        return V::Null;
    }
    match base64_decode2(&b) {
        Some(d) => V::Bytes(d),
        None => V::Null,
    }
}

/// BE `exprs/base64.cpp` `base64_decode2`: stops at NUL, skips tab/LF/CR/space, refuses other
/// non-alphabet bytes (bytes ≥ 0x80 are negative `char`s: refused), ignores `=` anywhere except
/// that `=` after a single leftover character is an error; a trailing partial group yields only
/// its complete bytes. `None` = the decoder's -1.
pub fn base64_decode2(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0usize;
    let mut cur: u8 = 0;
    let mut last_pad = false;
    for (idx, &c) in data.iter().enumerate() {
        if c == 0 {
            last_pad = false;
            break;
        }
        if c >= 0x80 {
            return None;
        }
        if c == b'=' {
            let next = data.get(idx + 1).copied();
            if idx + 1 < data.len() && next != Some(b'=') && i % 4 == 1 {
                return None;
            }
            last_pad = true;
            continue;
        }
        last_pad = false;
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'\t' | b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        match i % 4 {
            0 => cur = v << 2,
            1 => {
                out.push(cur | (v >> 4));
                cur = (v & 0x0f) << 4;
            }
            2 => {
                out.push(cur | (v >> 2));
                cur = (v & 0x03) << 6;
            }
            _ => out.push(cur | v),
        }
        i += 1;
    }
    if last_pad && i % 4 == 1 {
        return Some(Vec::new());
    }
    Some(out)
}

fn hex_upper(b: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(HEX[(x >> 4) as usize] as char);
        s.push(HEX[(x & 15) as usize] as char);
    }
    s
}

fn too_long(len: usize, n: u32) -> String {
    format!(
        "the length of input is too long than schema. input length: {len} bytes, schema length: {n} bytes"
    )
}

/// A converted cell: the canonical text when rows are stored, or only the canonical text's
/// length when they are only counted (the value was checked all the same).
enum Cell {
    S(String),
    N(usize),
}

impl Cell {
    fn len(&self) -> usize {
        match self {
            Cell::S(s) => s.len(),
            Cell::N(n) => *n,
        }
    }
    fn into_text(self) -> Option<String> {
        match self {
            Cell::S(s) => Some(s),
            Cell::N(_) => None,
        }
    }
}

/// Convert a value for a column, following how StarRocks reads it (see the module doc).
/// `store = false`: check it the same way, build no text.
fn convert_value(
    ty: &ColType,
    v: &V,
    origin: Origin,
    format: Format,
    version: (u32, u32, u32),
    store: bool,
) -> Result<Option<Cell>, String> {
    if v.is_null() {
        return Ok(None);
    }
    let cell = |s: String| {
        if store {
            Cell::S(s)
        } else {
            Cell::N(s.len())
        }
    };
    match ty {
        ColType::Varbinary(n) | ColType::Binary(n) => {
            let bytes: Cow<[u8]> = match (origin, format, v) {
                (_, _, V::Bytes(b)) => Cow::Borrowed(b.as_slice()),
                // CSV field read with the VARBINARY type: BE formats/csv/varbinary_converter.cpp
                // `VarBinaryConverter::read_string`. Since v3.2 (PR #26911 "CSV varbinary
                // converter using base64"): base64-decode, and on a decoding failure keep the
                // bytes as they are; an all-blank field is an empty value. Before v3.2 the field
                // had to be hex.
                (Origin::Direct, Format::Csv, V::Text(s)) => {
                    if version >= (3, 2, 0) {
                        if s.bytes().all(|c| c.is_ascii_whitespace()) {
                            Cow::Owned(Vec::new())
                        } else {
                            let start = s.len() - s.trim_start().len();
                            match base64_decode2(&s.as_bytes()[start..]) {
                                Some(d) => Cow::Owned(d),
                                None => Cow::Borrowed(s.as_bytes()),
                            }
                        }
                    } else {
                        let t = s.trim_start();
                        if !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(format!(
                                "Invalid input's not a legal hex-encoded value: {s}"
                            ));
                        }
                        Cow::Owned(
                            (0..t.len())
                                .step_by(2)
                                .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap_or(0))
                                .collect(),
                        )
                    }
                }
                // VARCHAR → VARBINARY cast (JSON reader reads VARBINARY fields as VARCHAR,
                // `JsonScanner::_construct_json_types`; temporary columns are VARCHAR): the bytes
                // of the text as they are.
                (_, _, other) => other.bytes().unwrap_or_default(),
            };
            if bytes.len() > *n as usize {
                return Err(too_long(bytes.len(), *n));
            }
            Ok(Some(if store {
                Cell::S(hex_upper(&bytes))
            } else {
                Cell::N(bytes.len() * 2)
            }))
        }
        ColType::Json => match (origin, v) {
            (Origin::Direct, V::Json(t)) => t
                .to_j(NumMode::Simdjson)
                .map(|j| Some(cell(j.render())))
                .map_err(|e| format!("Failed to parse value as json type: {e}")),
            _ => {
                let text = v.text().unwrap_or_default();
                jsonv::parse_json_or_string(&text).map(|s| Some(cell(s)))
            }
        },
        _ => {
            if ty.is_numeric() && matches!(v, V::Json(j) if j.is_container()) {
                return Err("Unsupported value type: array/object for a numeric column".into());
            }
            let text = v.text().unwrap_or_default();
            if store {
                convert(ty, &text).map(|s| Some(Cell::S(s)))
            } else {
                crate::types::check(ty, &text).map(|n| Some(Cell::N(n)))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// The raw text of a record, rendered for the error log only when the row is rejected.
enum Raw<'a> {
    Bytes(&'a [u8]),
    /// A record of the streaming JSON reader (rendered minified).
    JsonSpan(&'a [u8]),
    Tok(&'a Tok),
}

impl Raw<'_> {
    fn text(&self) -> String {
        match self {
            Raw::Bytes(b) => String::from_utf8_lossy(b).to_string(),
            Raw::JsonSpan(s) => jsonv::minify_span(s),
            Raw::Tok(t) => t.minified(),
        }
    }
}

/// What a load body produced: the row operations (only when rows are stored), the counts, and
/// the error-log lines of the filtered rows.
#[derive(Default, Debug)]
pub struct Parsed {
    pub ops: Vec<RowOp>,
    pub total: u64,
    pub filtered: u64,
    pub rejected: Vec<String>,
}

impl Parsed {
    pub fn loaded(&self) -> u64 {
        self.total - self.filtered
    }
}

/// Where a table column's value comes from, decided once per load (FE `Load.initColumns`): an
/// assignment in `columns` wins, else the source field of the same name (case-insensitive).
#[derive(Debug, Clone, Copy)]
enum Slot {
    Assign(usize),
    /// `cast`: the source is also an expression argument, so it is read as VARCHAR.
    Source {
        idx: usize,
        cast: bool,
    },
}

/// A load's per-column plan (computed once, used for every row).
struct RowPlan {
    /// Source names: CSV fields in data order, JSON keys.
    names: Vec<String>,
    cols: Vec<Option<Slot>>,
    /// `__op` (PRIMARY KEY tables only).
    op: Option<Slot>,
    op_constant: bool,
    /// Default of each column when the load does not supply it.
    defaults: Vec<Option<String>>,
}

impl RowPlan {
    fn new(p: &Params, def: &TableDef, names: Vec<String>, now_text: &str) -> RowPlan {
        // Source names used as expression arguments are read as VARCHAR (Load.initColumns).
        let mut expr_args = Vec::new();
        for (_, e) in &p.assigns {
            collect_refs(e, &mut expr_args);
        }
        let slot = |target: &str| -> Option<Slot> {
            if let Some(ai) = p
                .assigns
                .iter()
                .position(|(t, _)| t.eq_ignore_ascii_case(target))
            {
                return Some(Slot::Assign(ai));
            }
            names
                .iter()
                .position(|s| s.eq_ignore_ascii_case(target))
                .map(|idx| Slot::Source {
                    idx,
                    cast: expr_args.iter().any(|a| a.eq_ignore_ascii_case(target)),
                })
        };
        let cols = def.columns.iter().map(|c| slot(&c.name)).collect();
        let op = if def.keys_type == KeysType::Primary {
            slot("__op")
        } else {
            None
        };
        let op_constant = p
            .assigns
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case("__op"))
            .is_some_and(|(_, e)| matches!(e, Expr::Str(_) | Expr::Num(_)));
        let defaults = (0..def.columns.len())
            .map(|i| Table::default_for(def, i, now_text))
            .collect();
        RowPlan {
            names,
            cols,
            op,
            op_constant,
            defaults,
        }
    }
}

/// Turns the records of one load into row operations (or, with `store = false`, only checks
/// and counts them).
struct Loader<'p> {
    p: &'p Params,
    def: &'p TableDef,
    plan: RowPlan,
    store: bool,
    out: Parsed,
}

impl<'p> Loader<'p> {
    fn new(p: &'p Params, def: &'p TableDef, names: Vec<String>, now: &str, store: bool) -> Self {
        Loader {
            p,
            def,
            plan: RowPlan::new(p, def, names, now),
            store,
            out: Parsed::default(),
        }
    }

    /// A record rejected before its values were read.
    fn reject(&mut self, reason: &str, raw: &Raw) {
        self.out.total += 1;
        self.out.filtered += 1;
        self.out
            .rejected
            .push(format!("Error: {reason}. Row: {}", raw.text()));
    }

    /// A record with its values (aligned with `plan.names`, `None` = absent).
    fn row(&mut self, values: &[Option<V>], raw: &Raw) {
        self.out.total += 1;
        match self.build(values) {
            Ok(Some(op)) => self.out.ops.push(op),
            Ok(None) => {}
            Err(reason) => {
                self.out.filtered += 1;
                self.out
                    .rejected
                    .push(format!("Error: {reason}. Row: {}", raw.text()));
            }
        }
    }

    fn lookup<'a>(&self, values: &[Option<V<'a>>], name: &str) -> V<'a> {
        self.plan
            .names
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
            .and_then(|i| values.get(i).cloned().flatten())
            .unwrap_or(V::Null)
    }

    /// A target column's raw value and how it got there.
    fn resolve<'a>(
        &self,
        slot: Slot,
        values: &[Option<V<'a>>],
    ) -> Result<Option<(V<'a>, Origin)>, String> {
        match slot {
            Slot::Assign(ai) => {
                let look = |n: &str| self.lookup(values, n);
                Ok(Some((eval(&self.p.assigns[ai].1, &look)?, Origin::Cast)))
            }
            Slot::Source { idx, cast } => Ok(values.get(idx).cloned().flatten().map(|v| {
                if cast {
                    (v.into_varchar(), Origin::Cast)
                } else {
                    (v, Origin::Direct)
                }
            })),
        }
    }

    /// The row operation of a record (`Ok(None)` when rows are not stored and the row is good),
    /// or why the row is filtered.
    fn build(&self, values: &[Option<V>]) -> Result<Option<RowOp>, String> {
        let (p, def, plan, store) = (self.p, self.def, &self.plan, self.store);
        let primary = def.keys_type == KeysType::Primary;
        let nkeys = def.key_cols.len();
        let mut delete = false;
        if let Some(slot) = plan.op {
            if let Some((opv, _)) = self.resolve(slot, values)? {
                let o = opv.text().unwrap_or_default().trim().to_ascii_lowercase();
                delete = match o.as_str() {
                    "0" => false,
                    "1" => true,
                    // The documented constant mapping `__op='upsert'` / `__op='delete'`
                    // (docs/en/loading/Load_to_Primary_Key_tables.md). Data values go through
                    // the TINYINT `__op` slot.
                    "upsert" if plan.op_constant => false,
                    "delete" if plan.op_constant => true,
                    other => {
                        return Err(format!(
                            "Invalid __op value '{other}': the __op slot is a NOT NULL TINYINT (0 = upsert, 1 = delete)"
                        ))
                    }
                };
            }
        }
        let mut row = Vec::with_capacity(if store { def.columns.len() } else { 0 });
        let track_present = store && p.partial_update;
        let mut present = Vec::new();
        let mut key_len = 0usize;
        for (i, c) in def.columns.iter().enumerate() {
            let resolved = match plan.cols[i] {
                Some(slot) => self.resolve(slot, values)?,
                None => None,
            };
            let cell = match resolved {
                Some((val, origin)) => {
                    if track_present {
                        present.push(true);
                    }
                    match convert_value(&c.ty, &val, origin, p.format, p.version, store) {
                        Ok(None) => {
                            if !c.nullable {
                                return Err(format!(
                                    "NULL value in non-nullable column '{}'",
                                    c.name
                                ));
                            }
                            None
                        }
                        Ok(Some(v)) => Some(v),
                        Err(reason) => {
                            // A value the JSON reader cannot put into a JSON column is a row
                            // error of the reader (`JsonReader` counts it filtered), whatever
                            // strict_mode.
                            let reader_error = p.format == Format::Json
                                && origin == Origin::Direct
                                && c.ty == ColType::Json;
                            if p.strict || !c.nullable || i < nkeys || reader_error {
                                return Err(format!("column '{}': {reason}", c.name));
                            }
                            None
                        }
                    }
                }
                None => {
                    if track_present {
                        present.push(false);
                    }
                    let d = &plan.defaults[i];
                    let may_be_missing = d.is_some()
                        || c.nullable
                        || c.auto_increment
                        || (p.partial_update && i >= nkeys);
                    if !may_be_missing {
                        return Err(format!("column '{}' is NOT NULL, has no default value and is missing from the data", c.name));
                    }
                    d.as_ref().map(|s| {
                        if store {
                            Cell::S(s.clone())
                        } else {
                            Cell::N(s.len())
                        }
                    })
                }
            };
            if primary && i < nkeys {
                key_len +=
                    c.ty.encoded_key_len_n(cell.as_ref().map_or(0, Cell::len), i + 1 == nkeys);
            }
            if store {
                row.push(cell.and_then(Cell::into_text));
            }
        }
        if primary && key_len > PK_LIMIT_BYTES {
            return Err(format!(
                "primary key size exceed the limit. encoded key size {key_len} bytes, limit {PK_LIMIT_BYTES} bytes"
            ));
        }
        if !store {
            return Ok(None);
        }
        Ok(Some(RowOp {
            delete,
            row,
            present: if p.partial_update {
                Some(present)
            } else {
                None
            },
        }))
    }
}

/// Split CSV data into records, calling `f(fields, raw record)` for each. Without `enclose` /
/// `escape` the fields borrow from the body; with them (BE `_parse_csv_v2`) a record may span
/// row delimiters inside an enclosed field, and fields are unquoted/unescaped copies.
/// The callback of [`csv_split`]: a record's fields and its raw bytes.
type OnCsvRecord<'f, 'a> = dyn FnMut(&[Cow<'a, [u8]>], &'a [u8]) + 'f;

fn csv_split<'a>(body: &'a [u8], p: &Params, f: &mut OnCsvRecord<'_, 'a>) {
    let n = body.len();
    let (sep, delim) = (&p.col_sep[..], &p.row_delim[..]);
    let (Some(&sep0), Some(&delim0)) = (sep.first(), delim.first()) else {
        return;
    };
    let mut fields: Vec<Cow<'a, [u8]>> = Vec::new();
    let mut i = 0;
    if p.escape.is_none() && p.enclose.is_none() {
        while i < n {
            let start = i;
            fields.clear();
            let mut field_start = i;
            let mut end = n;
            let mut next = n;
            while i < n {
                let b = body[i];
                if b == delim0 && body[i..].starts_with(delim) {
                    end = i;
                    next = i + delim.len();
                    break;
                }
                if b == sep0 && body[i..].starts_with(sep) {
                    fields.push(Cow::Borrowed(&body[field_start..i]));
                    i += sep.len();
                    field_start = i;
                    continue;
                }
                i += 1;
            }
            fields.push(Cow::Borrowed(&body[field_start..i.min(end)]));
            f(&fields, &body[start..end]);
            i = next;
        }
        return;
    }
    while i < n {
        let start = i;
        fields.clear();
        let mut cur: Vec<u8> = Vec::new();
        let mut in_q = false;
        let mut field_start = true;
        let mut end_of_record = n;
        let mut next = n;
        while i < n {
            let b = body[i];
            if p.escape == Some(b) && i + 1 < n {
                cur.push(body[i + 1]);
                i += 2;
                field_start = false;
                continue;
            }
            if let Some(enc) = p.enclose {
                if b == enc {
                    if in_q {
                        if body.get(i + 1) == Some(&enc) {
                            cur.push(enc);
                            i += 2;
                            continue;
                        }
                        in_q = false;
                        i += 1;
                        continue;
                    } else if field_start {
                        in_q = true;
                        field_start = false;
                        i += 1;
                        continue;
                    }
                }
            }
            if !in_q && body[i..].starts_with(delim) {
                end_of_record = i;
                next = i + delim.len();
                break;
            }
            if !in_q && body[i..].starts_with(sep) {
                fields.push(Cow::Owned(std::mem::take(&mut cur)));
                i += sep.len();
                field_start = true;
                continue;
            }
            cur.push(b);
            field_start = false;
            i += 1;
        }
        fields.push(Cow::Owned(cur));
        f(&fields, &body[start..end_of_record]);
        i = next;
    }
}

fn trim_spaces(f: &[u8]) -> &[u8] {
    let s = f.iter().position(|b| *b != b' ').unwrap_or(f.len());
    let e = f
        .iter()
        .rposition(|b| *b != b' ')
        .map(|x| x + 1)
        .unwrap_or(s);
    &f[s..e.max(s)]
}

fn show_sep(b: &[u8]) -> String {
    let mut s = String::from("'");
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            c if (0x20..0x7f).contains(&c) => s.push(c as char),
            c => s.push_str(&format!("0x{c:x}")),
        }
    }
    s.push('\'');
    s
}

/// A CSV field as a VARCHAR value (`\N` is NULL).
fn csv_value<'a>(f: &Cow<'a, [u8]>, trim: bool) -> V<'a> {
    match f {
        Cow::Borrowed(b) => {
            let b: &'a [u8] = if trim { trim_spaces(b) } else { b };
            if b == b"\\N" {
                return V::Null;
            }
            V::Text(match std::str::from_utf8(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
            })
        }
        Cow::Owned(o) => {
            let b: &[u8] = if trim { trim_spaces(o) } else { o };
            if b == b"\\N" {
                return V::Null;
            }
            V::Text(Cow::Owned(String::from_utf8_lossy(b).into_owned()))
        }
    }
}

/// A CSV body (a one-shot load's data, or a transaction's concatenated stream).
pub fn csv_body(body: &[u8], p: &Params, def: &TableDef, now_text: &str, store: bool) -> Parsed {
    let names: Vec<String> = match &p.sources {
        Some(s) => s.clone(),
        None => def.columns.iter().map(|c| c.name.clone()).collect(),
    };
    let mut l = Loader::new(p, def, names, now_text, store);
    let mut skipped = 0;
    let mut values: Vec<Option<V>> = Vec::new();
    csv_split(body, p, &mut |fields, raw_bytes| {
        if skipped < p.skip_header {
            skipped += 1;
            return;
        }
        // "always skip blank rows" (`_parse_csv`).
        if raw_bytes.is_empty() {
            return;
        }
        let nn = l.plan.names.len();
        if fields.len() != nn {
            let msg = format!(
                "Target column count: {nn} doesn't match source value column count: {}. Column separator: {}, Row delimiter: {}",
                fields.len(),
                show_sep(&p.col_sep),
                show_sep(&p.row_delim)
            );
            l.reject(&msg, &Raw::Bytes(raw_bytes));
            return;
        }
        if std::str::from_utf8(raw_bytes).is_err() {
            l.reject("Invalid UTF-8 row", &Raw::Bytes(raw_bytes));
            return;
        }
        values.clear();
        values.extend(fields.iter().map(|f| Some(csv_value(f, p.trim_space))));
        l.row(&values, &Raw::Bytes(raw_bytes));
    });
    l.out
}

fn json_path<'a>(v: &'a Tok, path: &str) -> Option<&'a Tok> {
    let p = path.trim();
    let p = p.strip_prefix('$').unwrap_or(p);
    let mut cur = v;
    for seg in p.split('.').filter(|s| !s.is_empty()) {
        let (name, idx) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = idx {
            cur = cur.index(i)?;
        }
    }
    Some(cur)
}

/// JSON documents of the body (each load of a transaction is one complete JSON buffer).
pub fn json_docs(body: &[u8]) -> Result<Vec<Tok>, String> {
    jsonv::parse_stream(body).map_err(|e| format!("The JSON is invalid: {e}"))
}

/// The records of parsed documents (`json_root`, then `strip_outer_array`).
fn json_items(docs: Vec<Tok>, p: &Params) -> Result<Vec<Tok>, String> {
    let mut items = Vec::new();
    for d in docs {
        let d = match &p.json_root {
            Some(r) => json_path(&d, r)
                .cloned()
                .ok_or_else(|| format!("json_root {r} not found"))?,
            None => d,
        };
        if p.strip_outer_array {
            match d {
                Tok::Arr(a) => items.extend(a),
                _ => {
                    return Err(
                        "JSON data is not an array-object, strip_outer_array must be set false"
                            .into(),
                    )
                }
            }
        } else {
            if matches!(d, Tok::Arr(_)) {
                return Err("JSON data is an array, strip_outer_array must be set true".into());
            }
            items.push(d);
        }
    }
    Ok(items)
}

/// JSON load data: the buffers of a transaction's loads (one for a one-shot load), each a
/// stream of documents. Without `json_root` / `jsonpaths` the records are read as they stream
/// by (no tree is built); with them the documents are parsed first.
pub fn json_body(
    bufs: &[&[u8]],
    p: &Params,
    def: &TableDef,
    now_text: &str,
    store: bool,
) -> Result<Parsed, String> {
    let names: Vec<String> = match &p.sources {
        Some(s) => s.clone(),
        None => {
            let mut n: Vec<String> = def.columns.iter().map(|c| c.name.clone()).collect();
            n.push("__op".into());
            n
        }
    };
    let nn = names.len();
    let mut l = Loader::new(p, def, names, now_text, store);
    if p.json_root.is_some() || p.jsonpaths.is_some() {
        let mut docs = Vec::new();
        for b in bufs {
            docs.extend(json_docs(b)?);
        }
        let items = json_items(docs, p)?;
        for item in &items {
            if !matches!(item, Tok::Obj(_)) {
                l.reject("JSON record is not an object", &Raw::Tok(item));
                continue;
            }
            let mut values: Vec<Option<V>> = vec![None; nn];
            match &p.jsonpaths {
                Some(paths) => {
                    for (i, path) in paths.iter().enumerate().take(nn) {
                        if let Some(v) = json_path(item, path) {
                            values[i] = Some(V::Json(JVal::Tree(v)));
                        }
                    }
                }
                None => {
                    for (i, n) in l.plan.names.iter().enumerate() {
                        if let Some(v) = item.get_ci(n) {
                            values[i] = Some(V::Json(JVal::Tree(v)));
                        }
                    }
                }
            }
            l.row(&values, &Raw::Tok(item));
        }
        return Ok(l.out);
    }
    let mut values: Vec<Option<V>> = Vec::new();
    let mut exact: Vec<bool> = Vec::new();
    let mut shape_error: Option<String> = None;
    // When no two names are equal ignoring ASCII case, a key matches at most one name (exactly
    // or case-insensitively), so it is looked up, not compared with every name: first the name
    // the key at the same position of the previous record matched (records of one body almost
    // always list their keys in one order), else a scan. Otherwise every name is compared.
    let ci_unique = {
        let mut lower: Vec<String> = l
            .plan
            .names
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        lower.sort();
        lower.windows(2).all(|w| w[0] != w[1])
    };
    let mut hint: Vec<usize> = Vec::new();
    for b in bufs {
        let skipping = shape_error.is_some();
        let scanned = jsonv::scan_records(b, p.strip_outer_array, &mut |span, fields| {
            if skipping {
                return;
            }
            let Some(fields) = fields else {
                l.reject("JSON record is not an object", &Raw::JsonSpan(span));
                return;
            };
            // A key matches a name exactly (the last such key wins), else case-insensitively
            // (the first such key) — `Tok::get_ci`.
            values.clear();
            values.resize(nn, None);
            exact.clear();
            exact.resize(nn, false);
            for (f, (k, v)) in fields.iter().enumerate() {
                if ci_unique {
                    let names = &l.plan.names;
                    let at = |j: usize| names[j].eq_ignore_ascii_case(k);
                    let j = match hint.get(f) {
                        Some(&j) if j < nn && at(j) => Some(j),
                        _ => (0..nn).find(|&j| at(j)),
                    };
                    let Some(j) = j else { continue };
                    if hint.len() <= f {
                        hint.resize(f + 1, usize::MAX);
                    }
                    hint[f] = j;
                    if names[j].as_str() == k.as_ref() {
                        values[j] = Some(V::Json(v.clone()));
                        exact[j] = true;
                    } else if !exact[j] && values[j].is_none() {
                        values[j] = Some(V::Json(v.clone()));
                    }
                    continue;
                }
                for (j, name) in l.plan.names.iter().enumerate() {
                    if name.len() != k.len() {
                        continue;
                    }
                    if name.as_str() == k.as_ref() {
                        values[j] = Some(V::Json(v.clone()));
                        exact[j] = true;
                    } else if !exact[j] && values[j].is_none() && name.eq_ignore_ascii_case(k) {
                        values[j] = Some(V::Json(v.clone()));
                    }
                }
            }
            l.row(&values, &Raw::JsonSpan(span));
        });
        match scanned {
            Ok(()) => {}
            Err(ScanError::Syntax(m)) => return Err(format!("The JSON is invalid: {m}")),
            Err(ScanError::Shape(m)) => {
                shape_error.get_or_insert(m);
            }
        }
    }
    match shape_error {
        Some(m) => Err(m),
        None => Ok(l.out),
    }
}

/// FE-side planning checks of a load (`StreamLoadPlanner.plan`, `Load.initColumns`): run once
/// per load (per transaction: on its first load).
pub fn plan_check(p: &Params, def: &TableDef) -> Result<(), String> {
    let primary = def.keys_type == KeysType::Primary;
    if p.partial_update && !primary {
        return Err("Only primary key table support partial update".into());
    }
    let sources: Vec<String> = p
        .sources
        .clone()
        .unwrap_or_else(|| def.columns.iter().map(|c| c.name.clone()).collect());
    for (target, e) in &p.assigns {
        if !target.eq_ignore_ascii_case("__op") && def.col_index(target).is_none() {
            return Err(format!(
                "Unknown column '{target}' in the columns header: not a column of table '{}'",
                def.name
            ));
        }
        let mut refs = Vec::new();
        collect_refs(e, &mut refs);
        for r in refs {
            if !sources.iter().any(|s| s.eq_ignore_ascii_case(&r)) {
                // Load.analyzeMappingExprs
                return Err(format!(
                    "unknown reference column, column={target}, reference={r}"
                ));
            }
        }
        // Dry-run for unsupported functions / arity (FE analysis fails the whole load).
        eval(e, &|_| V::Text(Cow::Borrowed("")))?;
    }
    if p.partial_update {
        // Load.getPartialUpateColumns
        let named = |c: &str| {
            sources.iter().any(|s| s.eq_ignore_ascii_case(c))
                || p.assigns.iter().any(|(t, _)| t.eq_ignore_ascii_case(c))
        };
        for k in &def.key_cols {
            if !named(k) {
                return Err(format!("key column {k} not in partial update columns"));
            }
        }
    }
    Ok(())
}

/// Whole body of a one-shot load. `store = false`: rows are checked and counted, not built.
pub fn parse_body(
    body: &[u8],
    p: &Params,
    def: &TableDef,
    now_text: &str,
    store: bool,
) -> Result<Parsed, String> {
    plan_check(p, def)?;
    match p.format {
        Format::Csv => Ok(csv_body(body, p, def, now_text, store)),
        Format::Json => json_body(&[body], p, def, now_text, store),
    }
}

/// `check_rows = false` (with `store_rows = false`: `--no-store --no-check`): a body's records
/// counted without reading their values, for benchmarks in which the emulator's own parsing
/// would take the CPU it shares with the tool measured. JSON: each object at the top level (a
/// document, or an element of the top-level array with `strip_outer_array`), found by skipping
/// strings; a body whose braces do not balance, or that ends inside a string, fails like invalid
/// JSON. CSV: the row delimiters (a last row without one counts), less `skip_header`. Anything
/// this cannot count exactly (`jsonpaths`, `json_root`, an `enclose` character) is parsed and
/// checked as usual. Nothing is filtered: a value StarRocks would refuse is counted as loaded.
/// `bufs`: the body, or a transaction's loads (one CSV buffer; JSON, one per load).
pub fn count_body(
    bufs: &[&[u8]],
    p: &Params,
    def: &TableDef,
    now_text: &str,
) -> Result<Parsed, String> {
    if p.jsonpaths.is_some() || p.json_root.is_some() || p.enclose.is_some() {
        return match p.format {
            Format::Csv => Ok(csv_body(&bufs.concat(), p, def, now_text, false)),
            Format::Json => json_body(bufs, p, def, now_text, false),
        };
    }
    plan_check(p, def)?;
    let mut total = 0u64;
    for b in bufs {
        total += match p.format {
            Format::Csv => count_csv_rows(b, &p.row_delim),
            Format::Json => count_json_objects(b).ok_or_else(|| {
                "The data quality does not satisfy the requirements: invalid JSON (unbalanced \
                 braces or an unterminated string)"
                    .to_string()
            })?,
        };
    }
    if p.format == Format::Csv {
        total = total.saturating_sub(p.skip_header as u64);
    }
    Ok(Parsed {
        ops: Vec::new(),
        total,
        filtered: 0,
        rejected: Vec::new(),
    })
}

fn count_csv_rows(body: &[u8], delim: &[u8]) -> u64 {
    if body.is_empty() || delim.is_empty() {
        return 0;
    }
    let n = if delim.len() == 1 {
        memchr::memchr_iter(delim[0], body).count()
    } else {
        memchr::memmem::find_iter(body, delim).count()
    } as u64;
    n + u64::from(!body.ends_with(delim))
}

/// Objects at brace depth 0; None when the braces do not balance or a string is not closed.
/// The quotes are found with `memchr` over the whole body; a quote inside a string ends it
/// unless an odd run of backslashes precedes it; braces are counted between strings only.
fn count_json_objects(b: &[u8]) -> Option<u64> {
    let (mut depth, mut n) = (0usize, 0u64);
    let mut in_str = false;
    let mut outside = 0usize;
    let mut braces = |seg: &[u8], depth: &mut usize| -> Option<()> {
        for &c in seg {
            match c {
                b'{' => {
                    n += u64::from(*depth == 0);
                    *depth += 1;
                }
                b'}' => *depth = depth.checked_sub(1)?,
                _ => {}
            }
        }
        Some(())
    };
    for q in memchr::memchr_iter(b'"', b) {
        if in_str {
            let run = b[..q].iter().rev().take_while(|&&c| c == b'\\').count();
            if run % 2 == 0 {
                in_str = false;
                outside = q + 1;
            }
        } else {
            braces(&b[outside..q], &mut depth)?;
            in_str = true;
        }
    }
    if in_str {
        return None;
    }
    braces(&b[outside..], &mut depth)?;
    (depth == 0).then_some(n)
}

pub fn too_many_filtered(filtered: u64, total: u64, ratio: f64) -> bool {
    filtered > 0 && total > 0 && (filtered as f64) > ratio * (total as f64)
}

/// Base64 text of bytes (used by tests and docs).
pub fn base64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_follow_convert_delimiter() {
        assert_eq!(convert_delimiter("\\x01").unwrap(), vec![1u8]);
        assert_eq!(convert_delimiter("0x0D0A").unwrap(), b"\r\n".to_vec());
        assert_eq!(convert_delimiter("\\X2c").unwrap(), b",".to_vec());
        assert_eq!(convert_delimiter("\\t").unwrap(), b"\\t".to_vec());
        assert_eq!(convert_delimiter("||").unwrap(), b"||".to_vec());
        assert_eq!(convert_delimiter("\\x80").unwrap(), vec![0xEF, 0xBE, 0x80]);
        assert_eq!(
            convert_delimiter("\\x0").unwrap_err(),
            "Invalid delimiter '\\x0: hex length must be a even number"
        );
        assert_eq!(
            convert_delimiter("\\xZZ").unwrap_err(),
            "Invalid delimiter '\\xZZ': invalid hex format"
        );
        assert_eq!(
            convert_delimiter("0x").unwrap_err(),
            "Invalid delimiter '0x: empty hex string"
        );
        assert_eq!(strtod("0.5abc"), 0.5);
        assert_eq!(strtod("abc"), 0.0);
    }

    #[test]
    fn columns_and_expressions() {
        assert_eq!(
            split_top("a, `b`,tmp, __op = tmp, c=to_binary(d, 'x,y')"),
            vec!["a", "`b`", "tmp", "__op = tmp", "c=to_binary(d, 'x,y')"]
        );
        assert_eq!(
            parse_expr("to_binary(tmp, 'encode64')").unwrap(),
            Expr::Call(
                "to_binary".into(),
                vec![Expr::Col("tmp".into()), Expr::Str("encode64".into())]
            )
        );
        assert_eq!(
            split_assign("b = to_binary(x)"),
            Some(("b", "to_binary(x)"))
        );
        assert_eq!(split_assign("'a=b'"), None);
    }

    #[test]
    fn base64_decoder_matches_be() {
        assert_eq!(base64_decode2(b"YWJhYg==").unwrap(), b"abab".to_vec());
        assert_eq!(base64_decode2(b"YWJh Yg==").unwrap(), b"abab".to_vec());
        assert_eq!(base64_decode2(b"QQ").unwrap(), b"A".to_vec());
        assert!(base64_decode2(b"ab*c").is_none());
        assert!(base64_decode2("é".as_bytes()).is_none());
        // hex text is valid base64: "0AFF" decodes to three bytes
        assert_eq!(base64_decode2(b"0AFF").unwrap(), vec![0xD0, 0x01, 0x45]);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode2(base64(&all).as_bytes()).unwrap(), all);
    }
}
