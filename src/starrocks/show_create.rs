//! A small hand parser for StarRocks `CREATE TABLE` text — what `SHOW CREATE TABLE` prints and
//! what `smt generate` writes — reduced to what `apply` compares: columns (name, normalised
//! type, nullability, in order) and the key model with its key columns. sqlparser does not know
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
        // Nullability among the attributes (ignore DEFAULT NULL).
        let mut null: Option<bool> = None;
        let mut k = j;
        while k < d.len() {
            if d[k].is_kw("NOT") && d.get(k + 1).is_some_and(|x| x.is_kw("NULL")) {
                null = Some(false);
                k += 2;
                continue;
            }
            if d[k].is_kw("DEFAULT") || d[k].is_kw("COMMENT") {
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
        });
    }
    // Table clauses after the column list.
    let mut model = None;
    let mut key = Vec::new();
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
                let d: Vec<&Tok> = t[i + 1..].to_vec();
                key = paren_names(&d, 1);
                break;
            }
        }
        i += 1;
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
    })
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
