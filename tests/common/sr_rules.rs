//! Test-side checker of StarRocks' semantic rules that the grammar cannot see
//! (reference/starrocks-ddl-semantic-rules.md §1–8, 12–13), usable on a `TablePlan` and on the
//! text of a rendered `CREATE TABLE`. Both feed one checker, so the two agree.
//!
//! Use: `#[path = "common/sr_rules.rs"] mod sr_rules;` then
//! `sr_rules::check_plan(&tp, be_num, version)` / `sr_rules::check_create_table(sql, be_num,
//! version)`; each returns the list of violations (empty = fine); `assert_*` panic with them.
#![allow(dead_code)]

use smt::plan::{Model, SrDefault, TablePlan};

const VARCHAR_MAX: u64 = 1_048_576;

/// The facts the rules are about, from either source.
#[derive(Debug, Default)]
pub struct Shape {
    pub table: String,
    /// (name, type text as StarRocks would read it, nullable, default text if any)
    pub columns: Vec<(String, String, bool, Option<String>)>,
    /// "PRIMARY" or "DUPLICATE" (or another model keyword from the text).
    pub model: String,
    pub key: Vec<String>,
    pub distributed_by: Vec<String>,
    pub buckets: Option<u64>,
    pub replication_num: Option<u64>,
}

pub fn shape_of_plan(tp: &TablePlan) -> Shape {
    Shape {
        table: format!("{}.{}", tp.target_database, tp.target_table),
        columns: tp
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.sr_type.to_string(),
                    c.nullable,
                    c.default.as_ref().map(|d| match d {
                        SrDefault::Literal(s) => s.clone(),
                        SrDefault::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
                    }),
                )
            })
            .collect(),
        model: match tp.model {
            Model::Primary => "PRIMARY".into(),
            Model::Duplicate => "DUPLICATE".into(),
        },
        key: tp.key.clone(),
        distributed_by: tp.distributed_by.clone(),
        buckets: tp.buckets.map(u64::from),
        replication_num: tp
            .properties
            .iter()
            .find(|(k, _)| k == "replication_num")
            .and_then(|(_, v)| v.parse().ok()),
    }
}

/// Check a planned table. Also checks plan-only invariants (replication_num first, merged
/// tables carry a shard regex).
pub fn check_plan(tp: &TablePlan, be_num: u32, version: (u32, u32)) -> Vec<String> {
    let mut v = check_shape(&shape_of_plan(tp), be_num, version);
    if tp.properties.first().map(|(k, _)| k.as_str()) != Some("replication_num") {
        v.push("replication_num is not the first property".into());
    }
    let mut keys: Vec<&str> = tp.properties.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        v.push("duplicate property key".into());
    }
    if tp.sources.len() > 1 && tp.shard_regex.is_none() {
        v.push("merged table without shard_regex".into());
    }
    if tp.buckets == Some(0) {
        v.push("BUCKETS 0".into());
    }
    v
}

pub fn assert_plan_ok(tp: &TablePlan, be_num: u32, version: (u32, u32)) {
    let v = check_plan(tp, be_num, version);
    assert!(
        v.is_empty(),
        "{}.{} violates StarRocks rules: {v:#?}\n{tp:#?}",
        tp.target_database,
        tp.target_table
    );
}

pub fn assert_create_table_ok(sql: &str, be_num: u32, version: (u32, u32)) {
    let v = check_create_table(sql, be_num, version);
    assert!(v.is_empty(), "violates StarRocks rules: {v:#?}\n{sql}");
}

/// The shape's violations.
pub fn check_shape(s: &Shape, be_num: u32, version: (u32, u32)) -> Vec<String> {
    let mut v = Vec::new();
    let t = &s.table;
    let find = |n: &str| s.columns.iter().position(|c| c.0.eq_ignore_ascii_case(n));
    // duplicate names
    let mut lower: Vec<String> = s.columns.iter().map(|c| c.0.to_lowercase()).collect();
    lower.sort();
    for w in lower.windows(2) {
        if w[0] == w[1] {
            v.push(format!("{t}: duplicate column `{}`", w[0]));
        }
    }
    if s.columns.is_empty() {
        v.push(format!("{t}: no columns"));
    }
    if s.key.is_empty() {
        v.push(format!("{t}: empty key"));
    }
    // keys leading and in order
    for (i, k) in s.key.iter().enumerate() {
        match find(k) {
            None => v.push(format!("{t}: key column `{k}` does not exist")),
            Some(p) if p != i => v.push(format!(
                "{t}: key column `{k}` is at position {p}, expected {i}"
            )),
            Some(_) => {}
        }
    }
    for (name, ty, nullable, default) in &s.columns {
        let up = ty.to_ascii_uppercase();
        let is_key = s.key.iter().any(|k| k.eq_ignore_ascii_case(name));
        if up.contains("UNSIGNED") {
            v.push(format!("{t}.{name}: UNSIGNED type {ty}"));
        }
        if up.starts_with("DATETIME(") {
            v.push(format!("{t}.{name}: DATETIME with precision {ty}"));
        }
        let args = params(&up);
        if up.starts_with("VARCHAR") {
            match args.first() {
                Some(&n) if (1..=VARCHAR_MAX).contains(&n) => {}
                _ => v.push(format!("{t}.{name}: bad length {ty}")),
            }
        }
        if up.starts_with("VARBINARY") {
            if let Some(&n) = args.first() {
                if !(1..=VARCHAR_MAX).contains(&n) {
                    v.push(format!("{t}.{name}: bad length {ty}"));
                }
            }
            if version < (3, 0) {
                v.push(format!("{t}.{name}: VARBINARY needs StarRocks ≥ 3.0"));
            }
        }
        if up.starts_with("CHAR") {
            match args.first() {
                Some(&n) if (1..=255).contains(&n) => {}
                _ => v.push(format!("{t}.{name}: bad length {ty}")),
            }
        }
        if up.starts_with("DECIMAL") {
            let maxp = if version >= (4, 0) { 76 } else { 38 };
            match (args.first(), args.get(1)) {
                (Some(&p), Some(&sc)) if (1..=maxp).contains(&p) && sc <= p => {}
                (Some(&p), None) if (1..=maxp).contains(&p) => {}
                _ => v.push(format!("{t}.{name}: bad precision {ty}")),
            }
        }
        let base: String = up.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if is_key {
            if s.model == "PRIMARY" {
                if !matches!(
                    base.as_str(),
                    "BOOLEAN"
                        | "TINYINT"
                        | "SMALLINT"
                        | "INT"
                        | "BIGINT"
                        | "LARGEINT"
                        | "VARCHAR"
                        | "STRING"
                        | "DATE"
                        | "DATETIME"
                ) {
                    v.push(format!("{t}.{name}: {ty} cannot be a PRIMARY KEY column"));
                }
            } else if matches!(base.as_str(), "FLOAT" | "DOUBLE" | "JSON" | "VARBINARY") {
                v.push(format!("{t}.{name}: {ty} cannot be a sort key column"));
            }
            if *nullable && s.model == "PRIMARY" {
                v.push(format!("{t}.{name}: PRIMARY KEY column is nullable"));
            }
        }
        if let Some(d) = default {
            if !nullable && d.eq_ignore_ascii_case("NULL") {
                v.push(format!("{t}.{name}: NOT NULL with DEFAULT NULL"));
            }
            if d == "CURRENT_TIMESTAMP" && base != "DATETIME" {
                v.push(format!("{t}.{name}: CURRENT_TIMESTAMP default on {ty}"));
            }
            if base == "JSON" || base == "VARBINARY" {
                v.push(format!("{t}.{name}: default on {ty}"));
            }
            if (base == "VARCHAR" || base == "CHAR") && d != "CURRENT_TIMESTAMP" {
                if let Some(&n) = args.first() {
                    if d.len() as u64 > n {
                        v.push(format!("{t}.{name}: default longer than {ty}"));
                    }
                }
            }
        }
    }
    for d in &s.distributed_by {
        match find(d) {
            None => v.push(format!("{t}: distributed column `{d}` does not exist")),
            Some(p) => {
                let ty = s.columns[p].1.to_ascii_uppercase();
                if ty.starts_with("FLOAT") || ty.starts_with("DOUBLE") || ty.starts_with("JSON") {
                    v.push(format!("{t}: distributed column `{d}` has type {ty}"));
                }
                if s.model == "PRIMARY" && !s.key.iter().any(|k| k.eq_ignore_ascii_case(d)) {
                    v.push(format!(
                        "{t}: distributed column `{d}` is not in the PRIMARY KEY"
                    ));
                }
            }
        }
    }
    if s.distributed_by.is_empty() {
        v.push(format!("{t}: no distribution columns"));
    }
    if s.buckets == Some(0) {
        v.push(format!("{t}: BUCKETS 0"));
    }
    match s.replication_num {
        Some(r) if r >= 1 && r <= be_num as u64 => {}
        Some(r) => v.push(format!("{t}: replication_num {r} with {be_num} BEs")),
        None => v.push(format!("{t}: no replication_num")),
    }
    v
}

/// Numbers inside the first parentheses of a type text: `DECIMAL(10, 2)` → [10, 2].
fn params(ty: &str) -> Vec<u64> {
    let Some(open) = ty.find('(') else {
        return vec![];
    };
    let Some(close) = ty[open..].find(')') else {
        return vec![];
    };
    ty[open + 1..open + close]
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

/// Replace the contents of '...' and "..." literals (and the quotes) by spaces, byte for byte,
/// so keyword searches cannot hit text inside comments or defaults. Backtick names are kept.
fn mask(sql: &str) -> Vec<u8> {
    let b = sql.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut state: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match state {
            None => {
                if c == b'\'' || c == b'"' {
                    state = Some(c);
                    out[i] = b' ';
                } else if c == b'`' {
                    state = Some(c);
                }
            }
            Some(q) => {
                if q != b'`' {
                    out[i] = b' ';
                }
                if q != b'`' && c == b'\\' && i + 1 < b.len() {
                    out[i + 1] = b' ';
                    i += 2;
                    continue;
                }
                if c == q {
                    if i + 1 < b.len() && b[i + 1] == q {
                        if q != b'`' {
                            out[i + 1] = b' ';
                        }
                        i += 2;
                        continue;
                    }
                    state = None;
                }
            }
        }
        i += 1;
    }
    out
}

/// Backtick or bare identifiers in a comma list: "`a`, `b``c`" → [a, b`c].
fn ident_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '`' {
            let mut name = String::new();
            i += 1;
            while i < b.len() {
                if b[i] == '`' {
                    if i + 1 < b.len() && b[i + 1] == '`' {
                        name.push('`');
                        i += 2;
                        continue;
                    }
                    break;
                }
                name.push(b[i]);
                i += 1;
            }
            out.push(name);
            i += 1;
        } else if b[i].is_alphanumeric() || b[i] == '_' {
            let mut name = String::new();
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                name.push(b[i]);
                i += 1;
            }
            out.push(name);
        } else {
            i += 1;
        }
    }
    out
}

/// Index of the `)` matching the `(` at `open` in the masked text.
fn matching(m: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_bt = false;
    for (i, &c) in m.iter().enumerate().skip(open) {
        if c == b'`' {
            in_bt = !in_bt;
        }
        if in_bt {
            continue;
        }
        if c == b'(' {
            depth += 1;
        } else if c == b')' {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

fn find_kw(m: &str, kw: &str, from: usize) -> Option<usize> {
    m[from..].to_ascii_uppercase().find(kw).map(|p| p + from)
}

/// Parse a rendered `CREATE TABLE` into a shape (None with a reason when it cannot).
pub fn shape_of_text(sql: &str) -> Result<Shape, String> {
    let masked = mask(sql);
    let m = String::from_utf8_lossy(&masked).into_owned();
    if m.len() != sql.len() {
        return Err("masking changed the length".into());
    }
    let ct = find_kw(&m, "CREATE TABLE", 0).ok_or("no CREATE TABLE")?;
    let open = m[ct..].find('(').map(|p| p + ct).ok_or("no column list")?;
    let close = matching(masked.as_slice(), open).ok_or("unbalanced column list")?;
    let head = ident_list(&sql[ct + "CREATE TABLE".len()..open]);
    let table = head
        .iter()
        .filter(|w| !["IF", "NOT", "EXISTS"].contains(&w.to_ascii_uppercase().as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .join(".");
    // Split column definitions at top-level commas.
    let mut defs = Vec::new();
    let mut depth = 0;
    let mut in_bt = false;
    let mut start = open + 1;
    for (i, &c) in masked.iter().enumerate().take(close).skip(open + 1) {
        if c == b'`' {
            in_bt = !in_bt;
        }
        if in_bt {
            continue;
        }
        match c {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                defs.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    defs.push((start, close));
    let mut columns = Vec::new();
    let mut implicit = Vec::new();
    for (a, b) in defs {
        let def = sql[a..b].trim();
        let mdef = m[a..b].trim();
        if def.is_empty() {
            continue;
        }
        let up = mdef.to_ascii_uppercase();
        if up.starts_with("INDEX") || up.starts_with("PRIMARY") || up.starts_with("KEY") {
            continue;
        }
        // name
        let (name, rest_off) = if def.starts_with('`') {
            let mb = mdef.as_bytes();
            let mut j = 1;
            while j < mb.len() {
                if mb[j] == b'`' {
                    if j + 1 < mb.len() && mb[j + 1] == b'`' {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            (def[1..j].replace("``", "`"), j + 1)
        } else {
            let j = def.find(char::is_whitespace).unwrap_or(def.len());
            (def[..j].to_string(), j)
        };
        let rest = &def[rest_off..];
        let mrest = mdef[rest_off..].trim_start();
        let rest = rest.trim_start();
        // type: up to whitespace at depth 0
        let mut d = 0;
        let mut end = mrest.len();
        for (i, ch) in mrest.char_indices() {
            match ch {
                '(' => d += 1,
                ')' => d -= 1,
                c if c.is_whitespace() && d == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let ty = rest[..end].to_string();
        let mut after = mrest[end..].to_ascii_uppercase();
        let after_orig = &rest[end..];
        if after.trim_start().starts_with("UNSIGNED") {
            after = after.replacen("UNSIGNED", "", 1);
        }
        let ty = if mrest[end..]
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("UNSIGNED")
        {
            format!("{ty} UNSIGNED")
        } else {
            ty
        };
        let not_null = after.contains("NOT NULL");
        // Absent NULL/NOT NULL: StarRocks makes key columns NOT NULL and others nullable.
        let explicit_null = !not_null
            && after
                .replace("DEFAULT NULL", "")
                .split_whitespace()
                .any(|w| w == "NULL");
        let after_up = mrest[end..].to_ascii_uppercase();
        let default = after_up.find("DEFAULT").map(|p| {
            let tail = after_orig[p + "DEFAULT".len()..].trim_start();
            if let Some(stripped) = tail.strip_prefix('"') {
                let mut s = String::new();
                let mut chars = stripped.chars();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                s.push(n)
                            }
                        }
                        '"' => break,
                        c => s.push(c),
                    }
                }
                s
            } else {
                tail.split_whitespace().next().unwrap_or("").to_string()
            }
        });
        columns.push((name, ty, explicit_null || !not_null, default));
        implicit.push(!not_null && !explicit_null);
    }
    let tail_m = &m[close..];
    let mut model = String::new();
    let mut key = Vec::new();
    for kw in ["PRIMARY", "DUPLICATE", "UNIQUE", "AGGREGATE"] {
        let up = tail_m.to_ascii_uppercase();
        if let Some(p) = up.find(&format!("{kw} KEY")) {
            let o = tail_m[p..]
                .find('(')
                .map(|x| x + p)
                .ok_or("key without (")?;
            let c = matching(&masked[close..], o).ok_or("unbalanced key")?;
            key = ident_list(&sql[close + o + 1..close + c]);
            model = kw.to_string();
            break;
        }
    }
    let mut distributed_by = Vec::new();
    let mut buckets = None;
    let up = tail_m.to_ascii_uppercase();
    if let Some(p) = up.find("DISTRIBUTED BY HASH") {
        let o = tail_m[p..]
            .find('(')
            .map(|x| x + p)
            .ok_or("hash without (")?;
        let c = matching(&masked[close..], o).ok_or("unbalanced hash")?;
        distributed_by = ident_list(&sql[close + o + 1..close + c]);
        if let Some(bp) = up[c..].find("BUCKETS") {
            let num: String = up[c + bp + 7..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            buckets = num.parse().ok();
        }
    }
    // Key columns without NULL/NOT NULL are NOT NULL in StarRocks.
    for (c, imp) in columns.iter_mut().zip(&implicit) {
        if *imp && key.iter().any(|k| k.eq_ignore_ascii_case(&c.0)) {
            c.2 = false;
        }
    }
    let re = regex::Regex::new(r#""replication_num"\s*=\s*"(\d+)""#).map_err(|e| e.to_string())?;
    let replication_num = up
        .find("PROPERTIES")
        .and_then(|p| re.captures(&sql[close + p..]))
        .and_then(|c| c[1].parse().ok());
    Ok(Shape {
        table,
        columns,
        model,
        key,
        distributed_by,
        buckets,
        replication_num,
    })
}

/// Check the text of one rendered `CREATE TABLE` statement.
pub fn check_create_table(sql: &str, be_num: u32, version: (u32, u32)) -> Vec<String> {
    match shape_of_text(sql) {
        Ok(s) => check_shape(&s, be_num, version),
        Err(e) => vec![format!("cannot read the statement: {e}")],
    }
}
