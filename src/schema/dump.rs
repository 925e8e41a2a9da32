//! Offline schema: parse `mysqldump` / `mariadb-dump --no-data` output into [`TableDesc`]s.
//!
//! Invariant: for a dump of a schema, the result equals what [`super::introspect`] reads from
//! the live server (data_length is 0). This holds because the column text of `SHOW CREATE
//! TABLE` (which the dump contains) is the same text information_schema shows as COLUMN_TYPE,
//! COLUMN_DEFAULT (MariaDB form) and GENERATION_EXPRESSION, and both paths feed it to the same
//! functions in [`super::types`]. The integration test `schema_roundtrip` checks it.
//!
//! How: the dump is split into statements (quotes, comments and `DELIMITER` respected);
//! `/*!NNNNN ... */` comments are unwrapped, `/*M!... */` MariaDB comments dropped. Only
//! `CREATE DATABASE`, `USE` and `CREATE TABLE` are read; everything else (SET, LOCK, DROP,
//! views, triggers) is skipped. Each CREATE TABLE is first rewritten to dodge known sqlparser
//! 0.63 gaps (`zerofill`, `PARTITION BY`, `WITH SYSTEM VERSIONING`, `PAGE_CHECKSUM`,
//! `TRANSACTIONAL`) and must parse with `MySqlDialect` (else an error naming the table and the
//! line); sqlparser gives names, nullability, comments, keys and CHECKs, and the original
//! column text gives type, default, charset and generation expression verbatim.

use super::introspect::{json_valid_column, mark_json, sort_keys};
use super::types::{
    charset_of_collation, data_type_of, is_character_type, normalize_default, octet_length,
    parse_source_type, Flavor,
};
use super::{ColumnDefault, ColumnDesc, KeyDesc, KeyKind, SourceType, TableDesc};
use crate::error::{fail, Kind};
use anyhow::{anyhow, bail};
use regex::Regex;
use sqlparser::ast::{ColumnDef, ColumnOption, Expr, Statement, TableConstraint};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;
use std::collections::HashMap;
use std::sync::LazyLock;

/// One statement of the dump: clean text (comments handled) and the 1-based line it starts on.
#[derive(Debug)]
struct Stmt {
    text: String,
    line: usize,
}

/// Parse a whole dump. Tables come sorted by (database, name), like [`super::introspect`].
pub fn parse_dump(text: &str) -> anyhow::Result<Vec<TableDesc>> {
    static HEADER_DB: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^-- Host: .*Database: (\S+)\s*$").expect("regex"));
    static CREATE_DB: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)^CREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?(`(?:[^`]|``)+`|[^\s;]+)(.*)$")
            .expect("regex")
    });
    static USE_DB: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)^USE\s+(`(?:[^`]|``)+`|[^\s;]+)").expect("regex"));
    static CREATE_TABLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\b").expect("regex"));

    let mut current_db: String = HEADER_DB
        .captures(text)
        .map(|c| c[1].trim_matches('`').to_string())
        .unwrap_or_default();
    let mut db_charsets: HashMap<String, String> = HashMap::new();
    let mut tables = Vec::new();
    for stmt in split_statements(text) {
        let t = stmt.text.trim();
        if let Some(c) = CREATE_DB.captures(t) {
            let db = unquote_ident(&c[1]);
            if let Some(cs) = charset_in(&c[2]) {
                db_charsets.insert(db.clone(), cs);
            }
            continue;
        }
        if let Some(c) = USE_DB.captures(t) {
            current_db = unquote_ident(&c[1]);
            continue;
        }
        if CREATE_TABLE.is_match(t) {
            let db_cs = db_charsets.get(&current_db).map(String::as_str);
            let table = parse_create_table(t, &current_db, db_cs).map_err(|e| {
                fail(
                    Kind::Source,
                    format!("schema dump, statement at line {}: {e:#}", stmt.line),
                )
            })?;
            tables.push(table);
        }
    }
    tables.sort_by(|a, b| (&a.database, &a.name).cmp(&(&b.database, &b.name)));
    Ok(tables)
}

fn unquote_ident(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('`').and_then(|x| x.strip_suffix('`')) {
        Some(inner) => inner.replace("``", "`"),
        None => s.to_string(),
    }
}

/// `CHARACTER SET x` / `CHARSET=x` / `COLLATE x` (charset derived) in code text.
fn charset_in(code: &str) -> Option<String> {
    static CS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:CHARACTER\s+SET|CHARSET)\s*=?\s*'?(\w+)").expect("regex")
    });
    static COLL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bCOLLATE\s*=?\s*'?(\w+)").expect("regex"));
    if let Some(c) = CS.captures(code) {
        return Some(c[1].to_ascii_lowercase());
    }
    COLL.captures(code).map(|c| charset_of_collation(&c[1]))
}

/// Split dump text into statements. Plain comments are removed, `/*!NNNNN ...*/` unwrapped,
/// `/*M!NNNNNN ...*/` dropped. Quotes are respected; `DELIMITER x` lines are honoured.
fn split_statements(text: &str) -> Vec<Stmt> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start_line = 0usize;
    let mut line = 1usize;
    let mut delim: Vec<char> = vec![';'];
    let mut in_exec_comment = false;
    let mut i = 0;
    let n = chars.len();
    let at = |i: usize, s: &str| -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < n {
        let c = chars[i];
        // DELIMITER at the start of a statement.
        if cur.trim().is_empty() && (at(i, "DELIMITER ") || at(i, "delimiter ")) {
            let mut j = i + 10;
            let mut d = String::new();
            while j < n && chars[j] != '\n' {
                d.push(chars[j]);
                j += 1;
            }
            let d = d.trim();
            if !d.is_empty() {
                delim = d.chars().collect();
            }
            cur.clear();
            i = j;
            continue;
        }
        if c == '\n' {
            line += 1;
        }
        // Delimiter.
        if !delim.is_empty() && chars[i..].starts_with(&delim) {
            if !cur.trim().is_empty() {
                out.push(Stmt {
                    text: std::mem::take(&mut cur),
                    line: start_line,
                });
            }
            cur.clear();
            i += delim.len();
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                if cur.trim().is_empty() {
                    start_line = line;
                }
                cur.push(c);
                i += 1;
                while i < n {
                    let d = chars[i];
                    cur.push(d);
                    i += 1;
                    if d == '\n' {
                        line += 1;
                    }
                    if d == '\\' && c != '`' && i < n {
                        cur.push(chars[i]);
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                        continue;
                    }
                    if d == c {
                        if i < n && chars[i] == c {
                            cur.push(c);
                            i += 1;
                            continue;
                        }
                        break;
                    }
                }
            }
            '-' if at(i, "-- ") || at(i, "--\n") || at(i, "--\t") => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
            }
            '#' => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i, "/*!") => {
                i += 3;
                while i < n && chars[i].is_ascii_digit() {
                    i += 1;
                }
                in_exec_comment = true;
                cur.push(' ');
            }
            '/' if at(i, "/*M!") && !cur.trim().is_empty() => {
                // MariaDB-only comment inside a statement (`/*M!100301 COMPRESSED*/`): kept
                // verbatim, since information_schema shows it in COLUMN_TYPE too; the text
                // handed to sqlparser drops it (see `neutralise`).
                while i < n && !at(i, "*/") {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    cur.push(chars[i]);
                    i += 1;
                }
                cur.push_str("*/");
                i += 2;
            }
            '/' if at(i, "/*") => {
                // Plain comment (or a leading `/*M!` one): dropped.
                i += 2;
                while i < n && !at(i, "*/") {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
                cur.push(' ');
            }
            '*' if in_exec_comment && at(i, "*/") => {
                in_exec_comment = false;
                i += 2;
                cur.push(' ');
            }
            _ => {
                if cur.trim().is_empty() && !c.is_whitespace() {
                    start_line = line;
                }
                cur.push(c);
                i += 1;
            }
        }
    }
    if !cur.trim().is_empty() {
        out.push(Stmt {
            text: cur,
            line: start_line,
        });
    }
    out
}

/// A piece of statement text: code, or a quoted string/identifier (kept verbatim).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seg {
    Code,
    Quoted,
}

fn segments(text: &str) -> Vec<(Seg, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut code_start = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            // A comment left in by `split_statements` (`/*M!...*/`): one opaque segment.
            if code_start < i {
                out.push((Seg::Code, &text[code_start..i]));
            }
            let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            out.push((Seg::Quoted, &text[i..end]));
            i = end;
            code_start = i;
        } else if c == b'\'' || c == b'"' || c == b'`' {
            if code_start < i {
                out.push((Seg::Code, &text[code_start..i]));
            }
            let start = i;
            i += 1;
            while i < b.len() {
                if b[i] == b'\\' && c != b'`' {
                    i += 2;
                    continue;
                }
                if b[i] == c {
                    if i + 1 < b.len() && b[i + 1] == c {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            let end = (i + 1).min(b.len());
            out.push((Seg::Quoted, &text[start..end]));
            i = end;
            code_start = i;
        } else {
            i += 1;
        }
    }
    if code_start < b.len() {
        out.push((Seg::Code, &text[code_start..]));
    }
    out
}

/// Rewrite the parts sqlparser 0.63 cannot parse (code segments only).
fn neutralise(text: &str) -> String {
    static ZEROFILL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(unsigned\s+)?zerofill\b").expect("regex"));
    static SYSVER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bWITH(OUT)?\s+SYSTEM\s+VERSIONING\b").expect("regex"));
    static ARIA: LazyLock<Regex> = LazyLock::new(|| {
        // Aria options, and MySQL 8's `SRID n` on spatial columns.
        Regex::new(r"(?i)\b(PAGE_CHECKSUM\s*=?|TRANSACTIONAL\s*=?|SRID)\s*\d+").expect("regex")
    });
    static PARTITION: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bPARTITION\s+BY\b").expect("regex"));
    let mut out = String::with_capacity(text.len());
    let mut depth: i32 = 0;
    for (kind, s) in segments(text) {
        match kind {
            Seg::Quoted if s.starts_with("/*") => out.push(' '),
            Seg::Quoted => out.push_str(s),
            Seg::Code => {
                let s = ZEROFILL.replace_all(s, " unsigned ");
                let s = SYSVER.replace_all(&s, " ");
                let s = ARIA.replace_all(&s, " ");
                // PARTITION BY at depth 0 ends the useful part of the statement.
                if let Some(m) = PARTITION.find(&s) {
                    let before = &s[..m.start()];
                    let d = depth + paren_delta(before);
                    if d == 0 {
                        out.push_str(before);
                        return out;
                    }
                }
                depth += paren_delta(&s);
                out.push_str(&s);
            }
        }
    }
    out
}

fn paren_delta(code: &str) -> i32 {
    code.chars()
        .map(|c| match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        })
        .sum()
}

/// The text inside the outermost parentheses of CREATE TABLE, split into top-level items,
/// plus the text after the closing parenthesis (table options).
fn body_items(text: &str) -> Option<(Vec<String>, String)> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut after = String::new();
    let mut done = false;
    for (kind, s) in segments(text) {
        if done {
            after.push_str(s);
            continue;
        }
        match kind {
            Seg::Quoted => {
                if depth >= 1 {
                    cur.push_str(s);
                }
            }
            Seg::Code => {
                for (idx, c) in s.char_indices() {
                    if done {
                        after.push_str(&s[idx..]);
                        break;
                    }
                    match c {
                        '(' => {
                            depth += 1;
                            if depth > 1 {
                                cur.push(c);
                            }
                        }
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                items.push(std::mem::take(&mut cur));
                                done = true;
                            } else {
                                cur.push(c);
                            }
                        }
                        ',' if depth == 1 => items.push(std::mem::take(&mut cur)),
                        _ if depth >= 1 => cur.push(c),
                        _ => {}
                    }
                }
            }
        }
    }
    if !done {
        return None;
    }
    Some((
        items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        after,
    ))
}

const CONSTRAINT_WORDS: [&str; 11] = [
    "PRIMARY",
    "UNIQUE",
    "KEY",
    "INDEX",
    "CONSTRAINT",
    "FOREIGN",
    "FULLTEXT",
    "SPATIAL",
    "CHECK",
    "PERIOD",
    "VECTOR",
];

/// Keywords that end a column's type text.
const TYPE_END_WORDS: [&str; 23] = [
    "SRID",
    "NOT",
    "NULL",
    "DEFAULT",
    "CHARACTER",
    "CHARSET",
    "COLLATE",
    "COMMENT",
    "GENERATED",
    "AS",
    "AUTO_INCREMENT",
    "ON",
    "PRIMARY",
    "UNIQUE",
    "KEY",
    "CHECK",
    "INVISIBLE",
    "REFERENCES",
    "STORED",
    "VIRTUAL",
    "PERSISTENT",
    "WITH",
    "WITHOUT",
];

/// What the original column text says, verbatim: (type text, raw default, generation expr,
/// explicit charset).
#[derive(Debug, Default)]
struct RawColumn {
    type_text: String,
    default: Option<String>,
    generated: Option<String>,
    charset: Option<String>,
}

/// Tokens of a column item: words/numbers, quoted pieces, single punctuation.
fn tokens(item: &str) -> Vec<String> {
    let mut toks = Vec::new();
    for (kind, s) in segments(item) {
        match kind {
            Seg::Quoted => {
                // b'101' / x'ff' / _utf8mb4'..': glue to a preceding single-letter prefix.
                match toks.last_mut() {
                    Some(prev)
                        if {
                            let p: &String = prev;
                            (p.eq_ignore_ascii_case("b")
                                || p.eq_ignore_ascii_case("x")
                                || p.starts_with('_'))
                                && s.starts_with('\'')
                        } =>
                    {
                        prev.push_str(s)
                    }
                    _ => toks.push(s.to_string()),
                }
            }
            Seg::Code => {
                let mut word = String::new();
                for c in s.chars() {
                    if c.is_alphanumeric() || c == '_' || c == '.' || c == '$' {
                        word.push(c);
                    } else {
                        if !word.is_empty() {
                            toks.push(std::mem::take(&mut word));
                        }
                        if !c.is_whitespace() {
                            toks.push(c.to_string());
                        }
                    }
                }
                if !word.is_empty() {
                    // A prefix directly before a quote (b'..') stays separate here; glued above.
                    toks.push(word);
                }
            }
        }
    }
    toks
}

fn is_word(t: &str, w: &str) -> bool {
    t.eq_ignore_ascii_case(w)
}

/// Index just past the balanced group starting at `toks[i] == "("`.
fn group_end(toks: &[String], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < toks.len() {
        match toks[j].as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    toks.len()
}

/// Join tokens back to MariaDB's spelling: no space before `(`, `)`, `,` or after `(`,
/// a space elsewhere. Used for type text (`decimal(10,2) unsigned`) only.
fn join_type(toks: &[String]) -> String {
    let mut s = String::new();
    let mut prev = "";
    for t in toks {
        let no_space =
            s.is_empty() || t == "(" || t == ")" || t == "," || prev == "(" || prev == ",";
        if !no_space {
            s.push(' ');
        }
        if t.starts_with('\'') || t.starts_with("/*") {
            s.push_str(t);
        } else {
            s.push_str(&t.to_ascii_lowercase());
        }
        prev = t;
    }
    s
}

/// The verbatim text of the tokens' source span inside `item` for a balanced group's content.
fn group_text(item: &str, open_marker_after: usize) -> Option<String> {
    // `open_marker_after` is a byte offset of the `(`; return the content up to its match.
    let rest = &item[open_marker_after..];
    let mut depth = 0i32;
    let mut content_start = None;
    let mut pos = 0usize;
    for (kind, s) in segments(rest) {
        match kind {
            Seg::Quoted => {}
            Seg::Code => {
                for (i, c) in s.char_indices() {
                    match c {
                        '(' => {
                            depth += 1;
                            if depth == 1 {
                                content_start = Some(pos + i + 1);
                            }
                        }
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                let start = content_start?;
                                return Some(rest[start..pos + i].to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        pos += s.len();
    }
    None
}

/// Byte offset of the first code-level occurrence of keyword `w` (as a whole word) at
/// parenthesis depth 0 in `item`.
fn find_keyword(item: &str, w: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut pos = 0usize;
    for (kind, s) in segments(item) {
        if kind == Seg::Code {
            let bytes = s.as_bytes();
            for (i, c) in s.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0
                    && s[i..].len() >= w.len()
                    && s.is_char_boundary(i + w.len())
                    && s[i..i + w.len()].eq_ignore_ascii_case(w)
                {
                    let before_ok =
                        i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                    let after = bytes.get(i + w.len());
                    let after_ok = after.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'));
                    if before_ok && after_ok {
                        return Some(pos + i);
                    }
                }
            }
        }
        pos += s.len();
    }
    None
}

fn raw_column(item: &str) -> RawColumn {
    let toks = tokens(item);
    let mut rc = RawColumn::default();
    // toks[0] is the name.
    let mut i = 1;
    let mut ty = Vec::new();
    while i < toks.len() {
        let t = &toks[i];
        if TYPE_END_WORDS.iter().any(|w| is_word(t, w)) {
            break;
        }
        if t == "(" {
            let end = group_end(&toks, i);
            ty.extend_from_slice(&toks[i..end]);
            i = end;
            continue;
        }
        ty.push(t.clone());
        i += 1;
    }
    rc.type_text = join_type(&ty);
    while i < toks.len() {
        let t = &toks[i];
        if is_word(t, "DEFAULT") {
            if let Some(next) = toks.get(i + 1) {
                let mut v = next.clone();
                let mut j = i + 2;
                if next == "(" {
                    // Expression default: verbatim text with the parentheses.
                    let at = find_keyword(item, "DEFAULT").unwrap_or(0);
                    let open = item[at..].find('(').map(|o| at + o);
                    v = match open.and_then(|o| group_text(item, o)) {
                        Some(g) => format!("({g})"),
                        None => v,
                    };
                    j = group_end(&toks, i + 1);
                } else if next == "-" || next == "+" {
                    if let Some(num) = toks.get(i + 2) {
                        v = format!("{next}{num}");
                        j = i + 3;
                    }
                } else if toks.get(i + 2).is_some_and(|x| x == "(") {
                    // function call: current_timestamp(6), uuid()
                    let end = group_end(&toks, i + 2);
                    v = format!("{}({})", next, toks[i + 3..end - 1].join(""));
                    j = end;
                }
                rc.default = Some(v);
                i = j;
                continue;
            }
        }
        if (is_word(t, "CHARACTER") && toks.get(i + 1).is_some_and(|x| is_word(x, "SET")))
            || is_word(t, "CHARSET")
        {
            let k = if is_word(t, "CHARSET") { i + 1 } else { i + 2 };
            if let Some(cs) = toks.get(k) {
                rc.charset = Some(cs.to_ascii_lowercase());
            }
            i = k + 1;
            continue;
        }
        if is_word(t, "COLLATE") && rc.charset.is_none() {
            if let Some(coll) = toks.get(i + 1) {
                rc.charset = Some(charset_of_collation(coll));
            }
        }
        if is_word(t, "AS") && toks.get(i + 1).is_some_and(|x| x == "(") {
            if let Some(at) = find_keyword(item, "AS") {
                let open = item[at..].find('(').map(|o| at + o);
                rc.generated = open
                    .and_then(|o| group_text(item, o))
                    .map(|g| g.trim().to_string());
            }
            i = group_end(&toks, i + 1);
            continue;
        }
        i += 1;
    }
    rc
}

pub(crate) fn parse_create_table(
    stmt: &str,
    database: &str,
    db_charset: Option<&str>,
) -> anyhow::Result<TableDesc> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:`(?:[^`]|``)+`|[\w$]+)(?:\.(?:`(?:[^`]|``)+`|[\w$]+))?)")
            .expect("regex")
    });
    let shown_name = NAME
        .captures(stmt)
        .map(|c| c[1].to_string())
        .unwrap_or_else(|| "<unnamed>".into());
    let fixed = neutralise(stmt);
    let parsed = Parser::parse_sql(&MySqlDialect {}, &fixed).map_err(|e| {
        anyhow!(
            "cannot parse CREATE TABLE {shown_name}: {e}. Regenerate the dump with \
             `mariadb-dump --no-data` / `mysqldump --no-data`, or introspect the live server instead"
        )
    })?;
    let Some(Statement::CreateTable(ct)) = parsed.into_iter().next() else {
        bail!("CREATE TABLE {shown_name} did not parse as a CREATE TABLE");
    };
    let parts: Vec<String> = ct.name.0.iter().map(|p| p.to_string()).collect();
    let parts: Vec<String> = parts.iter().map(|p| unquote_ident(p)).collect();
    let (db, name) = match parts.as_slice() {
        [t] => (database.to_string(), t.clone()),
        [d, t] => (d.clone(), t.clone()),
        _ => bail!("CREATE TABLE {shown_name}: unexpected table name"),
    };

    // Original text (before neutralising: keeps `zerofill` in COLUMN_TYPE) split into items.
    let (items, after) = body_items(stmt)
        .ok_or_else(|| anyhow!("CREATE TABLE {shown_name}: unbalanced parentheses"))?;
    let col_items: Vec<&String> = items
        .iter()
        .filter(|it| {
            let first = it.split_whitespace().next().unwrap_or("");
            it.starts_with('`') || !CONSTRAINT_WORDS.iter().any(|w| is_word(first, w))
        })
        .collect();
    if col_items.len() != ct.columns.len() {
        bail!(
            "CREATE TABLE {shown_name}: found {} column definitions but the parser saw {}",
            col_items.len(),
            ct.columns.len()
        );
    }

    let (table_comment, table_charset) = table_options(&after, db_charset);

    let mut json_cols: Vec<String> = Vec::new();
    let mut keys: Vec<KeyDesc> = Vec::new();
    let mut columns = Vec::with_capacity(ct.columns.len());
    for (idx, (cd, item)) in ct.columns.iter().zip(col_items).enumerate() {
        columns.push(column_desc(
            cd,
            item,
            idx,
            &table_charset,
            &mut keys,
            &mut json_cols,
        ));
    }

    constraint_keys(&ct.constraints, &mut keys, &mut json_cols);
    // PK columns are NOT NULL even when not written so.
    if let Some(pk) = keys.iter().find(|k| k.kind == KeyKind::Primary) {
        for c in &mut columns {
            if pk.columns.contains(&c.name) && c.nullable {
                c.nullable = false;
            }
        }
    }
    sort_keys(&mut keys);
    let mut table = TableDesc {
        database: db,
        name,
        columns,
        keys,
        comment: table_comment,
        data_length: 0,
    };
    for col in json_cols {
        mark_json(&mut table, &col);
    }
    // MySQL `json` has no charset; MariaDB JSON (LONGTEXT) keeps its charset — as live.
    for c in &mut table.columns {
        if c.ty == SourceType::Json && c.column_type == "json" {
            c.charset = None;
            c.octet_length = None;
        }
    }
    Ok(table)
}

/// COMMENT and character set from the table options after the closing parenthesis.
fn table_options(after: &str, db_charset: Option<&str>) -> (String, String) {
    let mut table_comment = String::new();
    let mut opt_code = String::new();
    let segs = segments(after);
    for (k, (kind, s)) in segs.iter().enumerate() {
        if *kind == Seg::Code {
            opt_code.push_str(s);
            let trimmed = s.trim_end().trim_end_matches('=').trim_end();
            if trimmed.to_ascii_uppercase().ends_with("COMMENT") {
                if let Some((Seg::Quoted, q)) = segs.get(k + 1) {
                    table_comment = super::types::unquote_literal(q).unwrap_or_default();
                }
            }
        } else {
            opt_code.push_str(" '' ");
        }
    }
    let charset = charset_in(&opt_code)
        .or_else(|| db_charset.map(str::to_string))
        .unwrap_or_else(|| "utf8mb4".into());
    (table_comment, charset)
}

/// One column definition: the parser's options (NULL, COMMENT, inline keys, JSON_VALID
/// checks) and the original text's type, charset, default and generation expression.
fn column_desc(
    cd: &ColumnDef,
    item: &str,
    idx: usize,
    table_charset: &str,
    keys: &mut Vec<KeyDesc>,
    json_cols: &mut Vec<String>,
) -> ColumnDesc {
    let raw = raw_column(item);
    let cname = cd.name.value.clone();
    let mut nullable = true;
    let mut comment = String::new();
    let mut on_update = false;
    for opt in &cd.options {
        match &opt.option {
            ColumnOption::NotNull => nullable = false,
            ColumnOption::Null => nullable = true,
            ColumnOption::Comment(c) => comment = c.clone(),
            ColumnOption::OnUpdate(e) => {
                on_update = super::types::is_current_timestamp(&e.to_string())
            }
            ColumnOption::PrimaryKey(_) => {
                nullable = false;
                keys.push(KeyDesc {
                    name: "PRIMARY".into(),
                    kind: KeyKind::Primary,
                    columns: vec![cname.clone()],
                });
            }
            ColumnOption::Unique(_) => keys.push(KeyDesc {
                name: cname.clone(),
                kind: KeyKind::Unique,
                columns: vec![cname.clone()],
            }),
            ColumnOption::Check(c) => {
                if let Some(col) = json_valid_column(&c.expr.to_string()) {
                    json_cols.push(col);
                }
            }
            _ => {}
        }
    }
    let data_type = data_type_of(&raw.type_text);
    let ty = parse_source_type(&data_type, &raw.type_text);
    let charset = if is_character_type(&ty) {
        Some(
            raw.charset
                .clone()
                .unwrap_or_else(|| table_charset.to_string()),
        )
    } else {
        None
    };
    let octets = octet_length(&ty, charset.as_deref());
    let generated = raw.generated.clone().filter(|g| !g.is_empty());
    let default = if generated.is_some() {
        ColumnDefault::None
    } else {
        // SHOW CREATE TABLE writes defaults as MariaDB's information_schema does.
        normalize_default(
            match raw.default.as_deref() {
                Some(d) => Some(d),
                None if nullable => Some("NULL"),
                None => None,
            },
            nullable,
            Flavor::MariaDb,
            &ty,
            "",
        )
    };
    let default = match (default, raw.default.is_none(), nullable) {
        (_, true, false) => ColumnDefault::None,
        (d, _, _) => d,
    };
    ColumnDesc {
        name: cname,
        ordinal: idx as u32 + 1,
        ty,
        column_type: raw.type_text,
        nullable,
        default,
        comment,
        generated,
        charset,
        octet_length: octets,
        on_update_current_timestamp: on_update,
    }
}

/// PRIMARY KEY / UNIQUE constraints and table-level JSON_VALID checks.
fn constraint_keys(
    constraints: &[TableConstraint],
    keys: &mut Vec<KeyDesc>,
    json_cols: &mut Vec<String>,
) {
    for c in constraints {
        match c {
            TableConstraint::PrimaryKey(pk) => keys.push(KeyDesc {
                name: "PRIMARY".into(),
                kind: KeyKind::Primary,
                columns: pk
                    .columns
                    .iter()
                    .filter_map(|ic| index_column(&ic.column.expr))
                    .collect(),
            }),
            TableConstraint::Unique(u) => {
                let cols: Vec<String> = u
                    .columns
                    .iter()
                    .filter_map(|ic| index_column(&ic.column.expr))
                    .collect();
                let name = u
                    .index_name
                    .as_ref()
                    .or(u.name.as_ref())
                    .map(|i| i.value.clone())
                    .unwrap_or_else(|| cols.first().cloned().unwrap_or_default());
                keys.push(KeyDesc {
                    name,
                    kind: KeyKind::Unique,
                    columns: cols,
                });
            }
            TableConstraint::Check(ch) => {
                if let Some(col) = json_valid_column(&ch.expr.to_string()) {
                    json_cols.push(col);
                }
            }
            _ => {}
        }
    }
}

/// Column name of a key part: `a`, or `v(10)` (prefix index) → `v`.
fn index_column(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        Expr::Function(f) => f.name.0.last().map(|p| unquote_ident(&p.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_lines() {
        let text = "-- c\n/*!40101 SET NAMES utf8mb4 */;\n\nCREATE TABLE `a;b` (\n `x` int COMMENT 'semi;colon'\n);\n# hash\nUSE `d`;";
        let st = split_statements(text);
        let texts: Vec<String> = st.iter().map(|s| s.text.trim().to_string()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[0].starts_with("SET NAMES"));
        assert!(texts[1].starts_with("CREATE TABLE `a;b`"));
        assert!(texts[1].contains("'semi;colon'"));
        assert_eq!(st[1].line, 4);
        assert_eq!(texts[2], "USE `d`");
    }

    #[test]
    fn delimiter_blocks_are_one_statement() {
        let text = "DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END ;;\nDELIMITER ;\nUSE `d`;";
        let st = split_statements(text);
        assert_eq!(st.len(), 2);
        assert!(st[0].text.contains("SET @a = 1; END"));
    }

    #[test]
    fn raw_columns() {
        let r = raw_column(
            "`v` varchar(100) /*M!100301 COMPRESSED*/ CHARACTER SET latin1 DEFAULT 'a,b'",
        );
        assert_eq!(r.type_text, "varchar(100) /*M!100301 COMPRESSED*/");
        assert_eq!(r.charset.as_deref(), Some("latin1"));
        assert_eq!(r.default.as_deref(), Some("'a,b'"));
        let r = raw_column("`d` DECIMAL(10, 2) UNSIGNED NOT NULL DEFAULT -1.50");
        assert_eq!(r.type_text, "decimal(10,2) unsigned");
        assert_eq!(r.default.as_deref(), Some("-1.50"));
        let r = raw_column("`e` enum('A','b''c') COLLATE utf8mb3_bin DEFAULT current_timestamp(6)");
        assert_eq!(r.type_text, "enum('A','b''c')");
        assert_eq!(r.charset.as_deref(), Some("utf8mb3"));
        assert_eq!(r.default.as_deref(), Some("current_timestamp(6)"));
        let r = raw_column("`g` int(11) GENERATED ALWAYS AS (`a` + (`b` * 2)) STORED");
        assert_eq!(r.generated.as_deref(), Some("`a` + (`b` * 2)"));
        let r = raw_column("`p` point NOT NULL /*!80003 SRID 4326 */");
        assert_eq!(r.type_text, "point");
        let r = raw_column("`x` bit(3) DEFAULT b'101'");
        assert_eq!(r.default.as_deref(), Some("b'101'"));
    }

    #[test]
    fn neutralised_text() {
        let t = neutralise("CREATE TABLE t (a int(3) unsigned zerofill, b int zerofill, c varchar(3) COMMENT 'zerofill PARTITION BY') ENGINE=Aria PAGE_CHECKSUM=1 TRANSACTIONAL=1 PARTITION BY HASH (a) PARTITIONS 4");
        assert!(!t.to_lowercase().contains(" zerofill,"), "{t}");
        assert!(
            t.contains("'zerofill PARTITION BY'"),
            "quoted text untouched: {t}"
        );
        assert!(
            !t.contains("PAGE_CHECKSUM") && !t.contains("TRANSACTIONAL"),
            "{t}"
        );
        assert!(!t.contains("PARTITIONS"), "{t}");
        assert_eq!(t.matches("unsigned").count(), 2, "{t}");
    }
}
