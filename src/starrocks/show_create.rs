//! A small hand parser for StarRocks `CREATE TABLE` text — what `SHOW CREATE TABLE` prints and
//! what `smt generate` writes — reduced to what `apply` and `smt diff` compare: columns (name,
//! normalised type, nullability, DEFAULT, COMMENT, in order), the key model with its key
//! columns, the table COMMENT, the partitioning (kind and columns), DISTRIBUTED BY / BUCKETS
//! and PROPERTIES. sqlparser does not know
//! StarRocks' clauses (KEY models, DISTRIBUTED BY, PROPERTIES), hence this parser.
//!
//! Also holds the quote-aware SQL tokenizer shared with `apply::statements_from_sql`.

use serde::Serialize;

/// One lexical token of StarRocks/MySQL SQL. Comments and whitespace are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A `` `quoted` `` identifier, unescaped (doubled backticks become one).
    Quoted(String),
    /// A bare word: keyword, unquoted identifier or number.
    Word(String),
    /// A '...' or "..." string literal, unescaped.
    Str(String),
    /// Any other single character (`(`, `)`, `,`, `.`, `;`, `=`, `<`, ...).
    Punct(char),
}

/// A token with its byte span in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    /// Bare word equal to `kw`, ignoring ASCII case.
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
    pub fn is_punct(&self, c: char) -> bool {
        matches!(self, Tok::Punct(p) if *p == c)
    }
    /// An identifier: quoted, or a bare word.
    pub fn ident(&self) -> Option<&str> {
        match self {
            Tok::Quoted(s) | Tok::Word(s) => Some(s),
            Tok::Str(_) | Tok::Punct(_) => None,
        }
    }
}

/// Split SQL text into tokens. Handles `` `...` `` (doubled backtick), '...' and "..." with
/// backslash escapes and doubled quotes, `-- ` / `#` line comments and `/* */` comments.
pub fn tokenize(text: &str) -> Result<Vec<Spanned>, String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    let line_of = |pos: usize| text[..pos].matches('\n').count() + 1;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if c == b'#'
            || (c == b'-'
                && b.get(i + 1) == Some(&b'-')
                && b.get(i + 2).is_none_or(|x| x.is_ascii_whitespace()))
        {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match text[i + 2..].find("*/") {
                Some(p) => {
                    i = i + 2 + p + 2;
                    continue;
                }
                None => {
                    return Err(format!(
                        "unterminated /* comment starting on line {}",
                        line_of(i)
                    ))
                }
            }
        }
        let start = i;
        if c == b'`' {
            let mut s = String::new();
            i += 1;
            loop {
                match text[i..].find('`') {
                    None => {
                        return Err(format!(
                            "unterminated `quoted identifier` starting on line {}",
                            line_of(start)
                        ))
                    }
                    Some(p) => {
                        s.push_str(&text[i..i + p]);
                        i += p + 1;
                        if b.get(i) == Some(&b'`') {
                            s.push('`');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            out.push(Spanned {
                tok: Tok::Quoted(s),
                start,
                end: i,
            });
            continue;
        }
        if c == b'\'' || c == b'"' {
            let q = c as char;
            let mut s = String::new();
            i += 1;
            let mut closed = false;
            while i < b.len() {
                let ch = text[i..].chars().next().unwrap_or('\0');
                if ch == '\\' {
                    if let Some(next) = text[i + 1..].chars().next() {
                        s.push(match next {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            '0' => '\0',
                            other => other,
                        });
                        i += 1 + next.len_utf8();
                        continue;
                    }
                    i += 1;
                    continue;
                }
                if ch == q {
                    if text[i + 1..].starts_with(q) {
                        s.push(q);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    closed = true;
                    break;
                }
                s.push(ch);
                i += ch.len_utf8();
            }
            if !closed {
                return Err(format!(
                    "unterminated {q}string{q} starting on line {}",
                    line_of(start)
                ));
            }
            out.push(Spanned {
                tok: Tok::Str(s),
                start,
                end: i,
            });
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or('\0');
        if ch.is_alphanumeric() || ch == '_' || ch == '$' {
            while i < b.len() {
                let ch = text[i..].chars().next().unwrap_or('\0');
                if ch.is_alphanumeric() || ch == '_' || ch == '$' {
                    i += ch.len_utf8();
                } else {
                    break;
                }
            }
            out.push(Spanned {
                tok: Tok::Word(text[start..i].to_string()),
                start,
                end: i,
            });
            continue;
        }
        i += ch.len_utf8();
        out.push(Spanned {
            tok: Tok::Punct(ch),
            start,
            end: i,
        });
    }
    Ok(out)
}

/// StarRocks table models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyModel {
    Duplicate,
    Aggregate,
    Unique,
    Primary,
}

impl std::fmt::Display for KeyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyModel::Duplicate => "DUPLICATE KEY",
            KeyModel::Aggregate => "AGGREGATE KEY",
            KeyModel::Unique => "UNIQUE KEY",
            KeyModel::Primary => "PRIMARY KEY",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnShape {
    pub name: String,
    /// Normalised type text (see [`normalize_type`]).
    pub ty: String,
    pub nullable: bool,
    /// The column's DEFAULT (None: none, or `DEFAULT NULL`, which reads the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    /// The column's COMMENT ("" when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

impl ColumnShape {
    /// A column with no default and no comment.
    pub fn new(name: impl Into<String>, ty: impl Into<String>, nullable: bool) -> ColumnShape {
        ColumnShape {
            name: name.into(),
            ty: ty.into(),
            nullable,
            default: None,
            comment: String::new(),
        }
    }
}

/// A column's DEFAULT as StarRocks holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ColumnDefault {
    /// A literal value (its text, unquoted).
    Literal(String),
    CurrentTimestamp,
    /// Anything else (`(uuid())`), as SQL rebuilt from its tokens with every name and string
    /// quoted again, so it can be restated as it is.
    Expr(String),
}

impl ColumnDefault {
    /// The SQL after `DEFAULT`.
    pub fn sql(&self) -> String {
        match self {
            ColumnDefault::Literal(v) => crate::ident::sr_string(v),
            ColumnDefault::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
            ColumnDefault::Expr(e) => e.clone(),
        }
    }
}

impl std::fmt::Display for ColumnDefault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sql())
    }
}

/// `DISTRIBUTED BY HASH(columns)` (or RANDOM when `columns` is empty) `[BUCKETS n]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistributionShape {
    /// Bucket columns; empty for `DISTRIBUTED BY RANDOM`.
    pub columns: Vec<String>,
    /// None: no BUCKETS clause (automatic bucketing).
    pub buckets: Option<u32>,
}

impl std::fmt::Display for DistributionShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.columns.is_empty() {
            f.write_str("RANDOM")
        } else {
            write!(f, "HASH({})", self.columns.join(", "))
        }
    }
}

/// How a table is partitioned: `RANGE`/`LIST` and their columns, or `EXPR` and the
/// expression's text (expression partitioning). Partition definitions (the ranges and
/// values) are not part of it: dynamic partitioning and `ALTER TABLE ADD PARTITION` change
/// them all the time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionShape {
    pub kind: String,
    pub columns: Vec<String>,
}

impl PartitionShape {
    /// Same kind and columns, names compared ignoring case.
    pub fn same_as(&self, other: &PartitionShape) -> bool {
        self.kind == other.kind
            && self.columns.len() == other.columns.len()
            && self
                .columns
                .iter()
                .zip(&other.columns)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl std::fmt::Display for PartitionShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind.as_str() {
            "EXPR" => write!(f, "{}", self.columns.join(", ")),
            k => write!(f, "{k}({})", self.columns.join(", ")),
        }
    }
}

/// The comparable shape of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableShape {
    pub database: Option<String>,
    pub table: String,
    pub columns: Vec<ColumnShape>,
    /// None when the text has no key clause.
    pub model: Option<KeyModel>,
    pub key: Vec<String>,
    /// The table COMMENT (None: none given).
    pub comment: Option<String>,
    /// None when the text has no DISTRIBUTED BY clause.
    pub distribution: Option<DistributionShape>,
    /// None when the table is not partitioned.
    pub partition: Option<PartitionShape>,
    /// PROPERTIES in the order written.
    pub properties: Vec<(String, String)>,
}

/// Normalise a type text so that what we write and what SHOW CREATE TABLE prints compare
/// equal: upper case, no spaces, integer display widths dropped (`int(11)` = `INT`),
/// `STRING` = `VARCHAR(65533)`, `DECIMALV3`/`DECIMAL32/64/128(p,s)` = `DECIMAL(p,s)`,
/// `DECIMAL` alone = `DECIMAL(10,0)`, `INTEGER` = `INT`, `BOOL` = `BOOLEAN`.
pub fn normalize_type(ty: &str) -> String {
    let t: String = ty
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let (base, args) = match t.find('(') {
        Some(p) if t.ends_with(')') => (&t[..p], Some(&t[p + 1..t.len() - 1])),
        _ => (t.as_str(), None),
    };
    match base {
        "TINYINT" | "SMALLINT" | "INT" | "BIGINT" | "LARGEINT" => base.to_string(),
        "INTEGER" => "INT".to_string(),
        "BOOL" => "BOOLEAN".to_string(),
        "STRING" => "VARCHAR(65533)".to_string(),
        "DECIMAL" | "DECIMALV2" | "DECIMALV3" | "DECIMAL32" | "DECIMAL64" | "DECIMAL128"
        | "NUMERIC" => match args {
            Some(a) if a.contains(',') => format!("DECIMAL({a})"),
            Some(a) => format!("DECIMAL({a},0)"),
            None => "DECIMAL(10,0)".to_string(),
        },
        "DATETIMEV2" => "DATETIME".to_string(),
        "DATEV2" => "DATE".to_string(),
        _ => t.clone(),
    }
}

const COLUMN_ATTR_WORDS: &[&str] = &[
    "KEY",
    "NULL",
    "NOT",
    "DEFAULT",
    "COMMENT",
    "AUTO_INCREMENT",
    "AS",
    "SUM",
    "MAX",
    "MIN",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
    "CHARSET",
    "CHARACTER",
    "COLLATE",
    "ON",
];

/// Parse a `CREATE TABLE` statement (from `SHOW CREATE TABLE` or our own DDL).
pub fn parse_create_table(text: &str) -> Result<TableShape, String> {
    let toks = tokenize(text)?;
    let t: Vec<&Tok> = toks.iter().map(|s| &s.tok).collect();
    let mut i = 0;
    let expect_kw = |i: usize, kw: &str| t.get(i).is_some_and(|x| x.is_kw(kw));
    if !expect_kw(0, "CREATE") {
        return Err("not a CREATE TABLE statement".into());
    }
    i += 1;
    while i < t.len() && !t[i].is_kw("TABLE") {
        // CREATE [EXTERNAL|TEMPORARY] TABLE
        if t[i].is_punct('(') || i > 3 {
            return Err("not a CREATE TABLE statement".into());
        }
        i += 1;
    }
    if !expect_kw(i, "TABLE") {
        return Err("not a CREATE TABLE statement".into());
    }
    i += 1;
    if expect_kw(i, "IF") && expect_kw(i + 1, "NOT") && expect_kw(i + 2, "EXISTS") {
        i += 3;
    }
    let first = t
        .get(i)
        .and_then(|x| x.ident())
        .ok_or("CREATE TABLE without a table name")?
        .to_string();
    i += 1;
    let (database, table) = if t.get(i).is_some_and(|x| x.is_punct('.')) {
        let second = t
            .get(i + 1)
            .and_then(|x| x.ident())
            .ok_or("CREATE TABLE db. without a table name")?
            .to_string();
        i += 2;
        (Some(first), second)
    } else {
        (None, first)
    };
    if !t.get(i).is_some_and(|x| x.is_punct('(')) {
        return Err(format!("CREATE TABLE {table}: expected ( after the name"));
    }
    i += 1;
    // Column definitions up to the matching ')'.
    let mut defs: Vec<Vec<&Tok>> = vec![Vec::new()];
    let mut depth = 0i32;
    loop {
        let Some(tok) = t.get(i) else {
            return Err(format!("CREATE TABLE {table}: unbalanced parentheses"));
        };
        i += 1;
        match tok {
            Tok::Punct('(') | Tok::Punct('<') => depth += 1,
            Tok::Punct(')') | Tok::Punct('>') if depth > 0 => depth -= 1,
            Tok::Punct(')') => break,
            Tok::Punct(',') if depth == 0 => {
                defs.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(d) = defs.last_mut() {
            d.push(tok);
        }
    }
    let mut columns = Vec::new();
    let mut inline_pk: Option<Vec<String>> = None;
    let mut explicit_null: Vec<Option<bool>> = Vec::new();
    for d in defs.iter().filter(|d| !d.is_empty()) {
        let head = d[0];
        if matches!(head, Tok::Word(_))
            && ["INDEX", "KEY", "CONSTRAINT", "UNIQUE", "PRIMARY"]
                .iter()
                .any(|k| head.is_kw(k))
        {
            if head.is_kw("PRIMARY") {
                inline_pk = Some(paren_names(d, 1));
            }
            continue;
        }
        let name = head
            .ident()
            .ok_or_else(|| format!("CREATE TABLE {table}: a column definition has no name"))?
            .to_string();
        // Type: tokens until an attribute word at depth 0.
        let mut ty = String::new();
        let mut j = 1;
        let mut depth = 0i32;
        while j < d.len() {
            let tok = d[j];
            if depth == 0 && ty_is_done(tok) && !ty.is_empty() {
                break;
            }
            match tok {
                Tok::Punct('(') | Tok::Punct('<') => depth += 1,
                Tok::Punct(')') | Tok::Punct('>') => depth -= 1,
                _ => {}
            }
            match tok {
                Tok::Word(w) => {
                    if ty.ends_with(|c: char| c.is_alphanumeric()) {
                        ty.push(' ');
                    }
                    ty.push_str(w);
                }
                Tok::Quoted(w) => ty.push_str(w),
                Tok::Str(s) => ty.push_str(&format!("'{s}'")),
                Tok::Punct(p) => ty.push(*p),
            }
            j += 1;
        }
        if ty.is_empty() {
            return Err(format!("CREATE TABLE {table}: column {name} has no type"));
        }
        // Attributes: nullability (DEFAULT NULL is not it), DEFAULT and COMMENT.
        let mut null: Option<bool> = None;
        let mut default = None;
        let mut comment = String::new();
        let mut k = j;
        while k < d.len() {
            if d[k].is_kw("NOT") && d.get(k + 1).is_some_and(|x| x.is_kw("NULL")) {
                null = Some(false);
                k += 2;
                continue;
            }
            if d[k].is_kw("DEFAULT") {
                let (v, next) = default_at(d, k + 1);
                default = v;
                k = next;
                continue;
            }
            if d[k].is_kw("COMMENT") {
                if let Some(Tok::Str(c)) = d.get(k + 1) {
                    comment = c.clone();
                }
                k += 2;
                continue;
            }
            if d[k].is_kw("NULL") {
                null = Some(true);
            }
            k += 1;
        }
        explicit_null.push(null);
        columns.push(ColumnShape {
            name,
            ty: normalize_type(&ty),
            nullable: null.unwrap_or(true),
            default,
            comment,
        });
    }
    // Table clauses after the column list.
    let mut model = None;
    let mut key = Vec::new();
    let mut comment = None;
    let mut distribution = None;
    let mut partition = None;
    let mut properties = Vec::new();
    while i < t.len() {
        let m = [
            ("DUPLICATE", KeyModel::Duplicate),
            ("AGGREGATE", KeyModel::Aggregate),
            ("UNIQUE", KeyModel::Unique),
            ("PRIMARY", KeyModel::Primary),
        ]
        .iter()
        .find(|(kw, _)| t[i].is_kw(kw))
        .map(|(_, m)| *m);
        if let Some(m) = m {
            if t.get(i + 1).is_some_and(|x| x.is_kw("KEY")) {
                model = Some(m);
                key = paren_names(&t[i + 1..], 0);
                i = after_group(&t, i + 2);
                continue;
            }
        }
        if t[i].is_kw("COMMENT") {
            let at = if t.get(i + 1).is_some_and(|x| x.is_punct('=')) {
                i + 2
            } else {
                i + 1
            };
            if let Some(Tok::Str(c)) = t.get(at) {
                comment = Some(c.clone());
            }
            i = at + 1;
            continue;
        }
        if t[i].is_kw("PARTITION") && t.get(i + 1).is_some_and(|x| x.is_kw("BY")) {
            let (p, next) = partition_at(&t, i + 2);
            partition = Some(p);
            i = next;
            continue;
        }
        if t[i].is_kw("DISTRIBUTED") && t.get(i + 1).is_some_and(|x| x.is_kw("BY")) {
            let mut j = i + 2;
            let columns = if t.get(j).is_some_and(|x| x.is_kw("HASH")) {
                let c = paren_names(&t[j..], 0);
                j = after_group(&t, j + 1);
                c
            } else {
                j += 1; // RANDOM
                Vec::new()
            };
            let mut buckets = None;
            if t.get(j).is_some_and(|x| x.is_kw("BUCKETS")) {
                buckets = t
                    .get(j + 1)
                    .and_then(|x| x.ident())
                    .and_then(|n| n.parse().ok());
                j += 2;
            }
            distribution = Some(DistributionShape { columns, buckets });
            i = j;
            continue;
        }
        if t[i].is_kw("PROPERTIES") && t.get(i + 1).is_some_and(|x| x.is_punct('(')) {
            let mut j = i + 2;
            while let (Some(Tok::Str(k)), Some(eq), Some(Tok::Str(v))) =
                (t.get(j), t.get(j + 1), t.get(j + 2))
            {
                if !eq.is_punct('=') {
                    break;
                }
                properties.push((k.clone(), v.clone()));
                j += 3;
                if t.get(j).is_some_and(|x| x.is_punct(',')) {
                    j += 1;
                }
            }
            i = after_group(&t, i + 1);
            continue;
        }
        i = if t[i].is_punct('(') {
            after_group(&t, i)
        } else {
            i + 1
        };
    }
    if model.is_none() {
        if let Some(pk) = inline_pk {
            model = Some(KeyModel::Primary);
            key = pk;
        }
    }
    // Primary key columns without an explicit NULL/NOT NULL are NOT NULL.
    if model == Some(KeyModel::Primary) {
        for (c, n) in columns.iter_mut().zip(explicit_null) {
            if n.is_none() && key.iter().any(|k| k.eq_ignore_ascii_case(&c.name)) {
                c.nullable = false;
            }
        }
    }
    Ok(TableShape {
        database,
        table,
        columns,
        model,
        key,
        comment,
        distribution,
        partition,
        properties,
    })
}

/// The index after the balanced `( ... )` group that starts at or after `from` (`t.len()` when
/// there is none or it does not close).
fn after_group(t: &[&Tok], from: usize) -> usize {
    let Some(open) = (from..t.len()).find(|&j| t[j].is_punct('(')) else {
        return t.len();
    };
    let mut depth = 0usize;
    for (j, tok) in t.iter().enumerate().skip(open) {
        if tok.is_punct('(') {
            depth += 1;
        } else if tok.is_punct(')') {
            depth -= 1;
            if depth == 0 {
                return j + 1;
            }
        }
    }
    t.len()
}

/// Tokens as SQL again, every name and string quoted anew.
fn tokens_sql(t: &[&Tok]) -> String {
    let mut out = String::new();
    for tok in t {
        let piece = match tok {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => crate::ident::quote(q),
            Tok::Str(s) => crate::ident::sr_string(s),
            Tok::Punct(p) => p.to_string(),
        };
        let word_like = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if word_like(out.chars().last()) && word_like(piece.chars().next()) {
            out.push(' ');
        }
        out.push_str(&piece);
    }
    out
}

/// The DEFAULT value whose first token is `d[at]`, and the index after it.
fn default_at(d: &[&Tok], at: usize) -> (Option<ColumnDefault>, usize) {
    match d.get(at) {
        Some(Tok::Str(s)) => (Some(ColumnDefault::Literal(s.clone())), at + 1),
        Some(tok) if tok.is_kw("NULL") => (None, at + 1),
        Some(tok) if tok.is_kw("CURRENT_TIMESTAMP") => {
            let next = if d.get(at + 1).is_some_and(|x| x.is_punct('('))
                && d.get(at + 2).is_some_and(|x| x.is_punct(')'))
            {
                at + 3
            } else {
                at + 1
            };
            (Some(ColumnDefault::CurrentTimestamp), next)
        }
        Some(Tok::Punct('(')) => {
            let end = after_group(d, at);
            (Some(ColumnDefault::Expr(tokens_sql(&d[at..end]))), end)
        }
        Some(Tok::Punct('-')) => match d.get(at + 1) {
            Some(Tok::Word(n)) => (Some(ColumnDefault::Literal(format!("-{n}"))), at + 2),
            _ => (None, at + 1),
        },
        Some(Tok::Word(_)) if d.get(at + 1).is_some_and(|x| x.is_punct('(')) => {
            let end = after_group(d, at + 1);
            (Some(ColumnDefault::Expr(tokens_sql(&d[at..end]))), end)
        }
        Some(Tok::Word(w)) => (Some(ColumnDefault::Literal(w.clone())), at + 1),
        _ => (None, at + 1),
    }
}

/// Words that start a table clause after `PARTITION BY ...`.
const TABLE_CLAUSE_WORDS: &[&str] = &[
    "DISTRIBUTED",
    "ORDER",
    "PROPERTIES",
    "COMMENT",
    "ENGINE",
    "DUPLICATE",
    "AGGREGATE",
    "UNIQUE",
    "PRIMARY",
    "BROKER",
    "ROLLUP",
];

/// The partitioning after `PARTITION BY` (its first token at `at`) and the index after the
/// clause, partition definitions included.
fn partition_at(t: &[&Tok], at: usize) -> (PartitionShape, usize) {
    if let Some(kind) = ["RANGE", "LIST"]
        .iter()
        .find(|k| t.get(at).is_some_and(|x| x.is_kw(k)))
    {
        let columns = paren_names(&t[at..], 0);
        let mut next = after_group(t, at + 1);
        if t.get(next).is_some_and(|x| x.is_punct('(')) {
            next = after_group(t, next);
        }
        return (
            PartitionShape {
                kind: kind.to_string(),
                columns,
            },
            next,
        );
    }
    // Expression partitioning: `date_trunc('day', dt)`, `(a, b)`, `a, b`.
    let mut end = at;
    let mut depth = 0i32;
    while end < t.len() {
        let tok = t[end];
        if depth == 0 && TABLE_CLAUSE_WORDS.iter().any(|k| tok.is_kw(k)) {
            break;
        }
        if tok.is_punct('(') {
            depth += 1;
        } else if tok.is_punct(')') {
            depth -= 1;
        }
        end += 1;
    }
    let columns = vec![tokens_sql(&t[at..end]).to_ascii_lowercase()];
    (
        PartitionShape {
            kind: "EXPR".into(),
            columns,
        },
        end,
    )
}

/// The partitioning a `PARTITION BY ...` clause (as smt writes it) gives.
pub fn partition_shape(clause: &str) -> Option<PartitionShape> {
    let toks = tokenize(clause).ok()?;
    let t: Vec<&Tok> = toks.iter().map(|s| &s.tok).collect();
    if !(t.first()?.is_kw("PARTITION") && t.get(1)?.is_kw("BY")) {
        return None;
    }
    Some(partition_at(&t, 2).0)
}

fn ty_is_done(tok: &Tok) -> bool {
    match tok {
        Tok::Word(w) => COLUMN_ATTR_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)),
        Tok::Quoted(_) | Tok::Str(_) | Tok::Punct(_) => false,
    }
}

/// Names inside the first `( ... )` at or after `from`.
fn paren_names(d: &[&Tok], from: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Some(open) = (from..d.len()).find(|&j| d[j].is_punct('(')) else {
        return out;
    };
    for tok in &d[open + 1..] {
        if tok.is_punct(')') {
            break;
        }
        if let Some(n) = tok.ident() {
            out.push(n.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWN: &str = r#"CREATE TABLE `orders` (
  `id` bigint(20) NOT NULL COMMENT "",
  `user` varchar(765) NULL DEFAULT "a,b (c)" COMMENT "who, really",
  `amount` decimal(10, 2) NULL COMMENT "",
  `tags` ARRAY<varchar(10)> NULL COMMENT "",
  `note` string NULL DEFAULT NULL COMMENT "it's",
  `created` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT "",
  INDEX idx_user (`user`) USING BITMAP COMMENT 'x'
) ENGINE=OLAP
PRIMARY KEY(`id`)
COMMENT "OLAP"
DISTRIBUTED BY HASH(`id`) BUCKETS 3
PROPERTIES (
"replication_num" = "1",
"in_memory" = "false"
);"#;

    #[test]
    fn parses_show_create_table_output() {
        let s = parse_create_table(SHOWN).expect("parse");
        assert_eq!(s.table, "orders");
        assert_eq!(s.database, None);
        assert_eq!(s.model, Some(KeyModel::Primary));
        assert_eq!(s.key, vec!["id"]);
        let got: Vec<(&str, &str, bool)> = s
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty.as_str(), c.nullable))
            .collect();
        assert_eq!(
            got,
            vec![
                ("id", "BIGINT", false),
                ("user", "VARCHAR(765)", true),
                ("amount", "DECIMAL(10,2)", true),
                ("tags", "ARRAY<VARCHAR(10)>", true),
                ("note", "VARCHAR(65533)", true),
                ("created", "DATETIME", false),
            ]
        );
    }

    #[test]
    fn reads_defaults_comments_and_table_clauses() {
        let s = parse_create_table(SHOWN).expect("parse");
        let c = |n: &str| s.columns.iter().find(|c| c.name == n).expect(n);
        assert_eq!(
            c("user").default,
            Some(ColumnDefault::Literal("a,b (c)".into()))
        );
        assert_eq!(c("user").comment, "who, really");
        assert_eq!(c("note").default, None, "DEFAULT NULL reads as none");
        assert_eq!(c("note").comment, "it's");
        assert_eq!(c("created").default, Some(ColumnDefault::CurrentTimestamp));
        assert_eq!(c("id").comment, "");
        assert_eq!(s.comment.as_deref(), Some("OLAP"));
        assert_eq!(
            s.distribution,
            Some(DistributionShape {
                columns: vec!["id".into()],
                buckets: Some(3)
            })
        );
        assert_eq!(s.partition, None);
        assert_eq!(
            s.properties,
            vec![
                ("replication_num".to_string(), "1".to_string()),
                ("in_memory".to_string(), "false".to_string())
            ]
        );
        let s = parse_create_table(
            "CREATE TABLE `t` (`k` int NOT NULL DEFAULT \"-1\", `u` varchar(36) NULL DEFAULT (uuid()), \
             `m` int NULL DEFAULT -5, `dt` date NOT NULL) DUPLICATE KEY(`k`) COMMENT \"x\" \
             PARTITION BY RANGE(`dt`)\n(PARTITION p1 VALUES [(\"2020-01-01\"), (\"2020-02-01\")))\n\
             DISTRIBUTED BY RANDOM PROPERTIES (\"a\" = \"1\")",
        )
        .expect("parse");
        assert_eq!(
            s.columns[0].default,
            Some(ColumnDefault::Literal("-1".into()))
        );
        assert_eq!(
            s.columns[1].default,
            Some(ColumnDefault::Expr("(uuid())".into()))
        );
        assert_eq!(
            s.columns[2].default,
            Some(ColumnDefault::Literal("-5".into()))
        );
        assert_eq!(s.comment.as_deref(), Some("x"));
        assert_eq!(
            s.partition,
            Some(PartitionShape {
                kind: "RANGE".into(),
                columns: vec!["dt".into()]
            })
        );
        assert_eq!(
            s.distribution,
            Some(DistributionShape {
                columns: vec![],
                buckets: None
            })
        );
        assert_eq!(s.properties, vec![("a".to_string(), "1".to_string())]);
        // What smt writes for partition_key / partitions reads the same.
        let ours = partition_shape(
            "PARTITION BY RANGE(`dt`) (START (\"2020-01-01\") END (\"2021-01-01\") EVERY (INTERVAL 1 MONTH))",
        )
        .expect("ours");
        assert!(ours.same_as(s.partition.as_ref().expect("p")));
        let expr = parse_create_table(
            "CREATE TABLE t (dt datetime) DUPLICATE KEY(dt) PARTITION BY date_trunc('day', `dt`) DISTRIBUTED BY HASH(dt)",
        )
        .expect("expr");
        assert_eq!(
            expr.partition.map(|p| p.to_string()).as_deref(),
            Some("date_trunc(\"day\",`dt`)")
        );
    }

    #[test]
    fn parses_our_ddl_and_smt_style_unquoted_keys() {
        let s = parse_create_table(
            "CREATE TABLE IF NOT EXISTS `db 1`.`t``x` (\n  `k` INT NOT NULL,\n  `v` DECIMAL(38, 9) NULL\n) \
             ENGINE=olap DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 8",
        )
        .expect("parse");
        assert_eq!(s.database.as_deref(), Some("db 1"));
        assert_eq!(s.table, "t`x");
        assert_eq!(s.model, Some(KeyModel::Duplicate));
        assert_eq!(s.key, vec!["k"]);
        assert_eq!(s.columns[1].ty, "DECIMAL(38,9)");
        // PK columns without NULL/NOT NULL are NOT NULL; others are nullable.
        let s = parse_create_table("CREATE TABLE t (a INT, b INT) PRIMARY KEY (a)").expect("pk");
        assert!(!s.columns[0].nullable);
        assert!(s.columns[1].nullable);
    }

    #[test]
    fn rejects_what_is_not_a_create_table() {
        assert!(parse_create_table("SELECT 1").is_err());
        assert!(parse_create_table("CREATE DATABASE x").is_err());
        assert!(parse_create_table("CREATE TABLE t (a INT").is_err());
        assert!(parse_create_table("CREATE TABLE t (a INT COMMENT 'x)").is_err());
    }

    #[test]
    fn normalizes_types() {
        assert_eq!(normalize_type("int(11)"), "INT");
        assert_eq!(normalize_type("BIGINT"), "BIGINT");
        assert_eq!(normalize_type("decimal128(38, 2)"), "DECIMAL(38,2)");
        assert_eq!(normalize_type("DECIMAL(20)"), "DECIMAL(20,0)");
        assert_eq!(normalize_type("varchar(65533)"), normalize_type("STRING"));
        assert_eq!(normalize_type("VARBINARY(16)"), "VARBINARY(16)");
        assert_ne!(normalize_type("VARCHAR(10)"), normalize_type("VARCHAR(20)"));
    }

    #[test]
    fn tokenizer_handles_quotes_escapes_and_comments() {
        let toks =
            tokenize("a /* x; */ 'it''s \\' ; ' -- c;\n \"q\\\"\" `b``c` # z;\n;").expect("t");
        let kinds: Vec<Tok> = toks.into_iter().map(|s| s.tok).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::Word("a".into()),
                Tok::Str("it's ' ; ".into()),
                Tok::Str("q\"".into()),
                Tok::Quoted("b`c".into()),
                Tok::Punct(';'),
            ]
        );
        assert!(tokenize("`open").is_err());
        assert!(tokenize("/* open").is_err());
        // `--x` is not a comment (MySQL needs a space after --).
        let t = tokenize("1--2").expect("t");
        assert_eq!(t.len(), 4);
    }
}
