//! Tokenizer and recursive-descent parser for the SQL the emulated FE understands.
//!
//! Invariant: a statement is either parsed completely (every token consumed up to an optional
//! trailing `;`) into a [`Stmt`], or rejected with an error; nothing is silently ignored. The
//! CREATE TABLE grammar follows the clause order of protocol §5.1, so an out-of-order clause is
//! an unexpected token and therefore a syntax error, as on a real FE.

use crate::types::ColType;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// Backtick-quoted identifier.
    QIdent(String),
    Str(String),
    Num(String),
    Sym(String),
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// An error while parsing or analyzing a statement, rendered as a MySQL ERR packet.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlError {
    pub code: u16,
    pub state: &'static str,
    pub message: String,
}

impl SqlError {
    pub fn new(code: u16, state: &'static str, message: impl Into<String>) -> Self {
        SqlError {
            code,
            state,
            message: message.into(),
        }
    }
    /// An analyzer (semantic) error, shaped like StarRocks' SemanticException text.
    pub fn analysis(msg: impl std::fmt::Display) -> Self {
        SqlError::new(
            1064,
            "42000",
            format!("Getting analyzing error. Detail message: {msg}."),
        )
    }
    pub fn unsupported(what: impl std::fmt::Display) -> Self {
        SqlError::new(
            1064,
            "42000",
            format!("not supported by the StarRocks emulator: {what}"),
        )
    }
}

fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = &src[..pos.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = match before.rfind('\n') {
        Some(i) => before[i + 1..].chars().count(),
        None => before.chars().count(),
    };
    (line, col)
}

pub fn tokenize(src: &str) -> Result<Vec<Token>, SqlError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let syntax = |pos: usize, msg: &str| {
        let (l, c) = line_col(src, pos);
        SqlError::new(
            1064,
            "42000",
            format!("Getting syntax error at line {l}, column {c}. Detail message: {msg}."),
        )
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match src[i + 2..].find("*/") {
                Some(e) => i = i + 2 + e + 2,
                None => return Err(syntax(i, "Unterminated comment")),
            }
            continue;
        }
        let start = i;
        if c == b'`' {
            let mut s = String::new();
            i += 1;
            loop {
                match src[i..].chars().next() {
                    None => return Err(syntax(start, "Unterminated backtick identifier")),
                    Some('`') => {
                        if b.get(i + 1) == Some(&b'`') {
                            s.push('`');
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(ch) => {
                        s.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            out.push(Token {
                tok: Tok::QIdent(s),
                start,
                end: i,
            });
            continue;
        }
        if c == b'"' || c == b'\'' {
            let q = c as char;
            let mut s = String::new();
            i += 1;
            loop {
                match src[i..].chars().next() {
                    None => return Err(syntax(start, "Unterminated string literal")),
                    Some('\\') => {
                        let n = src[i + 1..].chars().next();
                        match n {
                            None => return Err(syntax(start, "Unterminated string literal")),
                            Some(nc) => {
                                s.push(match nc {
                                    'n' => '\n',
                                    't' => '\t',
                                    'r' => '\r',
                                    '0' => '\0',
                                    other => other,
                                });
                                i += 1 + nc.len_utf8();
                            }
                        }
                    }
                    Some(ch) if ch == q => {
                        if src[i + 1..].starts_with(q) {
                            s.push(q);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(ch) => {
                        s.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            out.push(Token {
                tok: Tok::Str(s),
                start,
                end: i,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
                i += 1;
            }
            let text = &src[start..i];
            if text.bytes().all(|x| x.is_ascii_digit() || x == b'.') {
                out.push(Token {
                    tok: Tok::Num(text.to_string()),
                    start,
                    end: i,
                });
            } else {
                out.push(Token {
                    tok: Tok::Ident(text.to_string()),
                    start,
                    end: i,
                });
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || c == b'@' || c == b'$' {
            let mut j = i;
            // `@@var` / `@@session.var`
            while j < b.len() && b[j] == b'@' {
                j += 1;
            }
            while j < b.len() {
                let ch = src[j..].chars().next().unwrap_or(' ');
                if ch.is_alphanumeric() || ch == '_' || ch == '$' || (ch == '.' && b[i] == b'@') {
                    j += ch.len_utf8();
                } else {
                    break;
                }
            }
            if j == i {
                return Err(syntax(i, &format!("Unexpected character '{}'", c as char)));
            }
            out.push(Token {
                tok: Tok::Ident(src[i..j].to_string()),
                start,
                end: j,
            });
            i = j;
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        if ["<=", ">=", "!=", "<>"].contains(&two) {
            out.push(Token {
                tok: Tok::Sym(two.to_string()),
                start,
                end: i + 2,
            });
            i += 2;
            continue;
        }
        if "(),;=.*<>+-/!:[]{}%".contains(c as char) {
            out.push(Token {
                tok: Tok::Sym((c as char).to_string()),
                start,
                end: i + 1,
            });
            i += 1;
            continue;
        }
        return Err(syntax(i, &format!("Unexpected character '{}'", c as char)));
    }
    out.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// AST

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeysType {
    Duplicate,
    Aggregate,
    Unique,
    Primary,
}

impl KeysType {
    pub fn sql(&self) -> &'static str {
        match self {
            KeysType::Duplicate => "DUPLICATE KEY",
            KeysType::Aggregate => "AGGREGATE KEY",
            KeysType::Unique => "UNIQUE KEY",
            KeysType::Primary => "PRIMARY KEY",
        }
    }
    pub fn upserts(&self) -> bool {
        match self {
            KeysType::Duplicate => false,
            KeysType::Aggregate | KeysType::Unique | KeysType::Primary => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefaultValue {
    Null,
    Literal(String),
    CurrentTimestamp,
    /// `DEFAULT fn()` (e.g. `uuid()`), kept as text.
    Func(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub ty: ColType,
    /// `Some(true)` = explicit `NULL`, `Some(false)` = `NOT NULL`, `None` = unspecified.
    pub null_spec: Option<bool>,
    pub nullable: bool,
    pub key_flag: bool,
    pub agg: Option<String>,
    pub default: Option<DefaultValue>,
    pub auto_increment: bool,
    pub generated: Option<String>,
    pub comment: Option<String>,
    pub charset: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    Hash {
        cols: Vec<String>,
        buckets: Option<u64>,
    },
    Random {
        buckets: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub keys_type: KeysType,
    pub key_cols: Vec<String>,
    pub comment: Option<String>,
    pub partition: Option<String>,
    pub partition_cols: Vec<String>,
    pub distribution: Option<Distribution>,
    pub order_by: Vec<String>,
    pub properties: Vec<(String, String)>,
    pub indexes: Vec<String>,
}

impl TableDef {
    pub fn col_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
    pub fn key_indexes(&self) -> Vec<usize> {
        self.key_cols
            .iter()
            .filter_map(|k| self.col_index(k))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableName {
    pub db: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AlterOp {
    AddColumn {
        col: ColumnDef,
        after: Option<String>,
        first: bool,
    },
    DropColumn(String),
    ModifyColumn {
        col: ColumnDef,
    },
    /// `MODIFY COLUMN c COMMENT "…"` (FE `ModifyColumnCommentClause`): the comment only.
    ModifyColumnComment {
        name: String,
        comment: String,
    },
    /// `SET ("k" = "v", …)` (FE `ModifyTablePropertiesClause`).
    SetProperties(Vec<(String, String)>),
    /// `COMMENT = "…"` (FE `AlterTableCommentClause`, from v3.1).
    TableComment(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelItem {
    Literal(String, bool /* numeric */),
    Null,
    SysVar(String),
    Func(String),
    Star,
    Column(String),
    CountStar,
    /// `COUNT(col)`: rows where `col` is not NULL.
    Count(String),
    Min(String),
    Max(String),
    /// `hex(col)`.
    Hex(String),
    /// `CAST(col AS VARCHAR|CHAR|STRING)`.
    CastVarchar(String),
}

impl SelItem {
    pub fn is_aggregate(&self) -> bool {
        matches!(
            self,
            SelItem::CountStar | SelItem::Count(_) | SelItem::Min(_) | SelItem::Max(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub items: Vec<(SelItem, String /* column label */)>,
    pub from: Option<TableName>,
    pub order_by: Vec<(String, bool /* desc */)>,
    pub limit: Option<u64>,
    /// `WHERE`.
    pub filter: Option<Pred>,
    /// Per `order_by` entry: `NULLS FIRST` (true) / `NULLS LAST` (false) / default (None).
    pub order_nulls: Vec<Option<bool>>,
    /// `LIMIT off, n` / `LIMIT n OFFSET off`.
    pub offset: Option<u64>,
}

/// A literal in a predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    /// Integer or decimal text as written (with its sign).
    Num(String),
    Str(String),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator with its operands swapped (`5 < c` is `c > 5`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A WHERE predicate: comparisons of a column with literals, combined with AND / OR / NOT.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    /// `col op lit`; `lit_left`: it was written `lit op col` (and `op` is flipped).
    Cmp {
        col: String,
        op: CmpOp,
        lit: Lit,
        lit_left: bool,
    },
    IsNull {
        col: String,
        negated: bool,
    },
    In {
        col: String,
        list: Vec<Lit>,
        negated: bool,
    },
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    Not(Box<Pred>),
    /// `TRUE` / `FALSE`.
    Const(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    CreateDb {
        name: String,
        if_not_exists: bool,
    },
    DropDb {
        name: String,
        if_exists: bool,
    },
    Use(String),
    CreateTable {
        table: TableName,
        def: TableDef,
        if_not_exists: bool,
    },
    DropTable {
        table: TableName,
        if_exists: bool,
    },
    Truncate(TableName),
    Alter {
        table: TableName,
        op: AlterOp,
    },
    ShowDatabases(Option<String>),
    ShowTables(Option<String>, Option<String>),
    Describe(TableName),
    Insert {
        table: TableName,
        columns: Option<Vec<String>>,
        rows: Vec<Vec<Option<String>>>,
    },
    ShowCreateTable(TableName),
    ShowBackends,
    /// `SHOW ALTER TABLE COLUMN [FROM db] [WHERE col = 'v' [AND ...]] [ORDER BY col [ASC|DESC]]
    /// [LIMIT n]`.
    ShowAlterColumn {
        db: Option<String>,
        filters: Vec<(String, String)>,
        order: Option<(String, bool)>,
        limit: Option<u64>,
    },
    Select(Select),
    /// `DELETE FROM t [PARTITION p] [WHERE pred]`.
    Delete {
        table: TableName,
        partition: Option<String>,
        filter: Option<Pred>,
    },
    Set,
    Empty,
}

/// One side of a comparison.
enum Operand {
    Col(String),
    Lit(Lit),
}

// ---------------------------------------------------------------------------------------------
// Parser

pub struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

const KNOWN_PROPERTIES: &[&str] = &[
    "replication_num",
    "replication_allocation",
    "enable_persistent_index",
    "persistent_index_type",
    "compression",
    "storage_medium",
    "storage_cooldown_time",
    "storage_cooldown_ttl",
    "bloom_filter_columns",
    "bloom_filter_fpp",
    "colocate_with",
    "in_memory",
    "fast_schema_evolution",
    "primary_index_cache_expire_sec",
    "partition_live_number",
    "partition_ttl",
    "partition_ttl_number",
    "partition_retention_condition",
    "replicated_storage",
    "write_quorum",
    "storage_volume",
    "datacache.enable",
    "datacache.partition_duration",
    "enable_async_write_back",
    "labels.location",
    "bucket_size",
    "mutable_bucket_num",
    "enable_load_profile",
    "base_compaction_forbidden_time_ranges",
    "file_bundling",
    "compaction_strategy",
    "unique_constraints",
    "foreign_key_constraints",
    "storage_format",
    "time_drift_constraint",
    "flat_json.enable",
    "flat_json.null.factor",
    "flat_json.sparsity.factor",
    "flat_json.column.max",
    "enable_dynamic_tablet",
];

const AGG_FNS: &[&str] = &[
    "SUM",
    "MAX",
    "MIN",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
];

impl<'a> Parser<'a> {
    pub fn new(src: &'a str) -> Result<Self, SqlError> {
        Ok(Parser {
            src,
            toks: tokenize(src)?,
            pos: 0,
        })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn peek_at(&self, n: usize) -> &Tok {
        let i = (self.pos + n).min(self.toks.len() - 1);
        &self.toks[i].tok
    }
    fn advance(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn tok_text(&self, t: &Token) -> String {
        match &t.tok {
            Tok::Eof => "<EOF>".to_string(),
            _ => self.src[t.start..t.end].to_string(),
        }
    }

    /// StarRocks-shaped syntax error at the current token.
    pub fn syntax_error(&self, expected: &str) -> SqlError {
        let t = &self.toks[self.pos];
        let (l, c) = line_col(self.src, t.start);
        SqlError::new(
            1064,
            "42000",
            format!(
                "Getting syntax error at line {l}, column {c}. Detail message: Unexpected input '{}', the most similar input is {{{expected}}}.",
                self.tok_text(t)
            ),
        )
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.advance();
            true
        } else {
            false
        }
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), SqlError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.syntax_error(&format!("'{kw}'")))
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if x == s)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.advance();
            true
        } else {
            false
        }
    }
    fn expect_sym(&mut self, s: &str) -> Result<(), SqlError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.syntax_error(&format!("'{s}'")))
        }
    }

    fn ident(&mut self) -> Result<String, SqlError> {
        match self.peek().clone() {
            Tok::Ident(s) if !s.starts_with('@') && !is_reserved(&s) => {
                self.advance();
                Ok(s)
            }
            Tok::QIdent(s) => {
                self.advance();
                Ok(s)
            }
            _ => Err(self.syntax_error("a legal identifier")),
        }
    }

    fn string(&mut self) -> Result<String, SqlError> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.advance();
                Ok(s)
            }
            _ => Err(self.syntax_error("a string literal")),
        }
    }

    fn number(&mut self) -> Result<u64, SqlError> {
        match self.peek().clone() {
            Tok::Num(s) => match s.parse::<u64>() {
                Ok(n) => {
                    self.advance();
                    Ok(n)
                }
                Err(_) => Err(self.syntax_error("an integer")),
            },
            _ => Err(self.syntax_error("an integer")),
        }
    }

    fn table_name(&mut self) -> Result<TableName, SqlError> {
        let first = self.ident()?;
        if self.eat_sym(".") {
            let second = self.ident()?;
            Ok(TableName {
                db: Some(first),
                name: second,
            })
        } else {
            Ok(TableName {
                db: None,
                name: first,
            })
        }
    }

    fn end(&mut self) -> Result<(), SqlError> {
        while self.eat_sym(";") {}
        if matches!(self.peek(), Tok::Eof) {
            Ok(())
        } else {
            Err(self.syntax_error("';'"))
        }
    }

    fn ident_list(&mut self) -> Result<Vec<String>, SqlError> {
        self.expect_sym("(")?;
        let mut v = vec![self.ident()?];
        while self.eat_sym(",") {
            v.push(self.ident()?);
        }
        self.expect_sym(")")?;
        Ok(v)
    }

    // -----------------------------------------------------------------------------------------

    pub fn parse_statement(&mut self) -> Result<Stmt, SqlError> {
        if matches!(self.peek(), Tok::Eof) || self.is_sym(";") {
            self.end()?;
            return Ok(Stmt::Empty);
        }
        let stmt = if self.eat_kw("CREATE") {
            if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
                let if_not_exists = self.if_not_exists()?;
                let name = self.ident()?;
                // optional charset / collate / properties are accepted and ignored
                loop {
                    if self.eat_kw("DEFAULT") {
                        continue;
                    }
                    if self.eat_kw("CHARSET") || self.eat_kw("COLLATE") {
                        self.eat_sym("=");
                        self.ident_or_string()?;
                        continue;
                    }
                    if self.is_kw("CHARACTER") {
                        self.advance();
                        self.expect_kw("SET")?;
                        self.eat_sym("=");
                        self.ident_or_string()?;
                        continue;
                    }
                    break;
                }
                if self.is_kw("PROPERTIES") {
                    self.advance();
                    self.properties_body()?;
                }
                Stmt::CreateDb {
                    name,
                    if_not_exists,
                }
            } else if self.eat_kw("TABLE") {
                self.create_table()?
            } else if self.is_kw("EXTERNAL")
                || self.is_kw("TEMPORARY")
                || self.is_kw("MATERIALIZED")
                || self.is_kw("VIEW")
            {
                return Err(SqlError::unsupported(format!(
                    "CREATE {}",
                    self.tok_text(&self.toks[self.pos].clone())
                )));
            } else {
                return Err(self.syntax_error("'DATABASE', 'SCHEMA', 'TABLE'"));
            }
        } else if self.eat_kw("DROP") {
            if self.eat_kw("DATABASE") || self.eat_kw("SCHEMA") {
                let if_exists = self.if_exists()?;
                let name = self.ident()?;
                self.eat_kw("FORCE");
                Stmt::DropDb { name, if_exists }
            } else if self.eat_kw("TABLE") {
                let if_exists = self.if_exists()?;
                let table = self.table_name()?;
                self.eat_kw("FORCE");
                Stmt::DropTable { table, if_exists }
            } else {
                return Err(self.syntax_error("'DATABASE', 'SCHEMA', 'TABLE'"));
            }
        } else if self.eat_kw("USE") {
            Stmt::Use(self.ident()?)
        } else if self.eat_kw("TRUNCATE") {
            self.expect_kw("TABLE")?;
            Stmt::Truncate(self.table_name()?)
        } else if self.eat_kw("ALTER") {
            self.expect_kw("TABLE")?;
            let table = self.table_name()?;
            let op = if self.eat_kw("ADD") {
                self.expect_kw("COLUMN")?;
                let col = self.column_def()?;
                let mut after = None;
                let mut first = false;
                if self.eat_kw("AFTER") {
                    after = Some(self.ident()?);
                } else if self.eat_kw("FIRST") {
                    first = true;
                }
                AlterOp::AddColumn { col, after, first }
            } else if self.eat_kw("DROP") {
                self.expect_kw("COLUMN")?;
                AlterOp::DropColumn(self.ident()?)
            } else if self.eat_kw("MODIFY") {
                self.expect_kw("COLUMN")?;
                if self.is_kw_at(1, "COMMENT") {
                    let name = self.ident()?;
                    self.expect_kw("COMMENT")?;
                    AlterOp::ModifyColumnComment {
                        name,
                        comment: self.string()?,
                    }
                } else {
                    AlterOp::ModifyColumn {
                        col: self.column_def()?,
                    }
                }
            } else if self.eat_kw("SET") {
                AlterOp::SetProperties(self.properties_body()?)
            } else if self.eat_kw("COMMENT") {
                self.eat_sym("=");
                AlterOp::TableComment(self.string()?)
            } else {
                return Err(SqlError::unsupported(format!(
                    "ALTER TABLE ... {}",
                    self.tok_text(&self.toks[self.pos].clone())
                )));
            };
            Stmt::Alter { table, op }
        } else if self.eat_kw("SHOW") {
            if self.eat_kw("DATABASES") || self.eat_kw("SCHEMAS") {
                Stmt::ShowDatabases(self.opt_like()?)
            } else if self.eat_kw("TABLES") {
                let db = if self.eat_kw("FROM") || self.eat_kw("IN") {
                    Some(self.ident()?)
                } else {
                    None
                };
                Stmt::ShowTables(db, self.opt_like()?)
            } else if self.eat_kw("COLUMNS") || self.eat_kw("FIELDS") {
                if !(self.eat_kw("FROM") || self.eat_kw("IN")) {
                    return Err(self.syntax_error("'FROM'"));
                }
                let mut t = self.table_name()?;
                if self.eat_kw("FROM") || self.eat_kw("IN") {
                    t.db = Some(self.ident()?);
                }
                Stmt::Describe(t)
            } else if self.eat_kw("CREATE") {
                self.expect_kw("TABLE")?;
                Stmt::ShowCreateTable(self.table_name()?)
            } else if self.eat_kw("BACKENDS") {
                Stmt::ShowBackends
            } else if self.eat_kw("ALTER") {
                self.expect_kw("TABLE")?;
                if !self.eat_kw("COLUMN") {
                    return Err(SqlError::unsupported(
                        "SHOW ALTER TABLE other than SHOW ALTER TABLE COLUMN",
                    ));
                }
                let db = if self.eat_kw("FROM") || self.eat_kw("IN") {
                    Some(self.ident()?)
                } else {
                    None
                };
                let mut filters = Vec::new();
                if self.eat_kw("WHERE") {
                    loop {
                        let col = self.ident()?;
                        self.expect_sym("=")?;
                        let v = self.ident_or_string()?;
                        filters.push((col, v));
                        if !self.eat_kw("AND") {
                            break;
                        }
                    }
                }
                let mut order = None;
                if self.eat_kw("ORDER") {
                    self.expect_kw("BY")?;
                    let col = self.ident()?;
                    let desc = if self.eat_kw("DESC") {
                        true
                    } else {
                        self.eat_kw("ASC");
                        false
                    };
                    order = Some((col, desc));
                }
                let limit = if self.eat_kw("LIMIT") {
                    Some(self.number()?)
                } else {
                    None
                };
                Stmt::ShowAlterColumn {
                    db,
                    filters,
                    order,
                    limit,
                }
            } else {
                return Err(SqlError::unsupported(format!(
                    "SHOW {}",
                    self.tok_text(&self.toks[self.pos].clone())
                )));
            }
        } else if self.eat_kw("DESC") || self.eat_kw("DESCRIBE") {
            Stmt::Describe(self.table_name()?)
        } else if self.eat_kw("INSERT") {
            self.expect_kw("INTO")?;
            let table = self.table_name()?;
            let columns = if self.is_sym("(") {
                Some(self.ident_list()?)
            } else {
                None
            };
            if !(self.eat_kw("VALUES") || self.eat_kw("VALUE")) {
                return Err(SqlError::unsupported("INSERT other than INSERT ... VALUES"));
            }
            let mut rows = Vec::new();
            loop {
                self.expect_sym("(")?;
                let mut row = Vec::new();
                loop {
                    row.push(self.literal()?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.expect_sym(")")?;
                rows.push(row);
                if !self.eat_sym(",") {
                    break;
                }
            }
            Stmt::Insert {
                table,
                columns,
                rows,
            }
        } else if self.eat_kw("SELECT") {
            Stmt::Select(self.select()?)
        } else if self.eat_kw("DELETE") {
            self.expect_kw("FROM")?;
            let table = self.table_name()?;
            let partition = if self.eat_kw("PARTITION") {
                Some(self.ident()?)
            } else {
                None
            };
            if self.is_kw("USING") {
                return Err(SqlError::unsupported("DELETE ... USING"));
            }
            let filter = if self.eat_kw("WHERE") {
                Some(self.pred()?)
            } else {
                None
            };
            Stmt::Delete {
                table,
                partition,
                filter,
            }
        } else if self.is_kw("WITH") {
            return Err(SqlError::unsupported("WITH (common table expressions)"));
        } else if self.eat_kw("SET") {
            // SET NAMES ..., SET [SESSION|GLOBAL] var = value, ... : accepted, no effect.
            while !matches!(self.peek(), Tok::Eof) && !self.is_sym(";") {
                self.advance();
            }
            Stmt::Set
        } else {
            let t = self.toks[self.pos].clone();
            return Err(SqlError::unsupported(format!(
                "statement starting with '{}'",
                self.tok_text(&t)
            )));
        };
        self.end()?;
        Ok(stmt)
    }

    fn opt_like(&mut self) -> Result<Option<String>, SqlError> {
        if self.eat_kw("LIKE") {
            Ok(Some(self.string()?))
        } else {
            Ok(None)
        }
    }

    /// A literal in INSERT VALUES: string, (signed) number, NULL, TRUE/FALSE.
    fn literal(&mut self) -> Result<Option<String>, SqlError> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.advance();
                Ok(Some(s))
            }
            Tok::Num(n) => {
                self.advance();
                Ok(Some(n))
            }
            Tok::Sym(m) if m == "-" => {
                self.advance();
                match self.peek().clone() {
                    Tok::Num(n) => {
                        self.advance();
                        Ok(Some(format!("-{n}")))
                    }
                    _ => Err(self.syntax_error("a number")),
                }
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("NULL") => {
                self.advance();
                Ok(None)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE") => {
                self.advance();
                Ok(Some(w.to_ascii_lowercase()))
            }
            _ => Err(SqlError::unsupported("INSERT values other than literals")),
        }
    }

    fn ident_or_string(&mut self) -> Result<String, SqlError> {
        match self.peek().clone() {
            Tok::Str(s) | Tok::Ident(s) | Tok::QIdent(s) => {
                self.advance();
                Ok(s)
            }
            _ => Err(self.syntax_error("a name")),
        }
    }

    fn if_not_exists(&mut self) -> Result<bool, SqlError> {
        if self.eat_kw("IF") {
            self.expect_kw("NOT")?;
            self.expect_kw("EXISTS")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }
    fn if_exists(&mut self) -> Result<bool, SqlError> {
        if self.eat_kw("IF") {
            self.expect_kw("EXISTS")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn select(&mut self) -> Result<Select, SqlError> {
        let mut items = Vec::new();
        loop {
            let start = self.toks[self.pos].start;
            let item = match self.peek().clone() {
                Tok::Sym(s) if s == "*" => {
                    self.advance();
                    SelItem::Star
                }
                Tok::Num(n) => {
                    self.advance();
                    SelItem::Literal(n, true)
                }
                Tok::Sym(s) if s == "-" && matches!(self.peek_at(1), Tok::Num(_)) => {
                    self.advance();
                    let Tok::Num(n) = self.advance().tok else {
                        unreachable!()
                    };
                    SelItem::Literal(format!("-{n}"), true)
                }
                Tok::Str(s) => {
                    self.advance();
                    SelItem::Literal(s, false)
                }
                Tok::Ident(s) if s.starts_with("@@") => {
                    self.advance();
                    let name = s.trim_start_matches('@').to_string();
                    let name = name
                        .strip_prefix("session.")
                        .or_else(|| name.strip_prefix("SESSION."))
                        .or_else(|| name.strip_prefix("global."))
                        .or_else(|| name.strip_prefix("GLOBAL."))
                        .unwrap_or(&name)
                        .to_string();
                    SelItem::SysVar(name)
                }
                Tok::Ident(s) if s.eq_ignore_ascii_case("NULL") => {
                    self.advance();
                    SelItem::Null
                }
                Tok::Ident(s) | Tok::QIdent(s) if matches!(self.peek_at(1), Tok::Sym(p) if p == "(") =>
                {
                    self.advance();
                    self.advance();
                    if s.eq_ignore_ascii_case("COUNT") {
                        let item = if self.eat_sym("*")
                            || matches!(self.peek(), Tok::Num(_)) && {
                                self.advance();
                                true
                            } {
                            SelItem::CountStar
                        } else if self.is_kw("DISTINCT") {
                            return Err(SqlError::unsupported("COUNT(DISTINCT ...)"));
                        } else if matches!(self.peek(), Tok::Ident(_) | Tok::QIdent(_)) {
                            SelItem::Count(self.column_ref()?)
                        } else {
                            return Err(SqlError::unsupported("COUNT of an expression"));
                        };
                        self.expect_sym(")")?;
                        item
                    } else if ["MIN", "MAX", "HEX"]
                        .iter()
                        .any(|f| s.eq_ignore_ascii_case(f))
                        && matches!(self.peek(), Tok::Ident(_) | Tok::QIdent(_))
                    {
                        let c = self.column_ref()?;
                        self.expect_sym(")")?;
                        match s.to_ascii_uppercase().as_str() {
                            "MIN" => SelItem::Min(c),
                            "MAX" => SelItem::Max(c),
                            _ => SelItem::Hex(c),
                        }
                    } else if s.eq_ignore_ascii_case("CAST") {
                        let c = self.column_ref()?;
                        self.expect_kw("AS")?;
                        let ty = self.ident_or_string()?;
                        if !["VARCHAR", "CHAR", "STRING"]
                            .iter()
                            .any(|t| ty.eq_ignore_ascii_case(t))
                        {
                            return Err(SqlError::unsupported(format!(
                                "CAST(... AS {ty}) (only AS VARCHAR / CHAR / STRING)"
                            )));
                        }
                        if self.eat_sym("(") {
                            self.number()?;
                            self.expect_sym(")")?;
                        }
                        self.expect_sym(")")?;
                        SelItem::CastVarchar(c)
                    } else {
                        self.expect_sym(")")?;
                        SelItem::Func(s.to_ascii_lowercase())
                    }
                }
                Tok::Ident(_) | Tok::QIdent(_) => SelItem::Column(self.column_ref()?),
                _ => return Err(SqlError::unsupported("this SELECT expression")),
            };
            let end = self.toks[self.pos.saturating_sub(1)].end;
            let mut label = self.src[start..end].to_string();
            if self.eat_kw("AS") {
                label = self.ident_or_string()?;
            } else if let Tok::QIdent(a) = self.peek().clone() {
                self.advance();
                label = a;
            } else if let Tok::Ident(a) = self.peek().clone() {
                if !is_reserved(&a) && !a.eq_ignore_ascii_case("FROM") {
                    self.advance();
                    label = a;
                }
            }
            items.push((item, label));
            if !self.eat_sym(",") {
                break;
            }
        }
        let mut from = None;
        let mut order_by = Vec::new();
        let mut order_nulls = Vec::new();
        let mut limit = None;
        let mut offset = None;
        let mut filter = None;
        if self.eat_kw("FROM") {
            from = Some(self.table_name()?);
            // An alias: `FROM t AS x` / `FROM t x` (qualified column names use the last part).
            let bare_alias = matches!(self.peek(), Tok::QIdent(_))
                || matches!(self.peek(), Tok::Ident(a) if !is_reserved(a)
                    && !["WHERE", "ORDER", "LIMIT", "GROUP"].iter().any(|k| a.eq_ignore_ascii_case(k)));
            if self.eat_kw("AS") || bare_alias {
                self.ident()?;
            }
            if self.eat_kw("WHERE") {
                filter = Some(self.pred()?);
            }
            if self.is_kw("GROUP") || self.is_kw("HAVING") {
                return Err(SqlError::unsupported("GROUP BY / HAVING"));
            }
        }
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let c = self.column_ref()?;
                let desc = if self.eat_kw("DESC") {
                    true
                } else {
                    self.eat_kw("ASC");
                    false
                };
                let nulls = if self.eat_kw("NULLS") {
                    if self.eat_kw("FIRST") {
                        Some(true)
                    } else {
                        self.expect_kw("LAST")?;
                        Some(false)
                    }
                } else {
                    None
                };
                order_by.push((c, desc));
                order_nulls.push(nulls);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        if self.eat_kw("LIMIT") {
            let first = self.number()?;
            if self.eat_sym(",") {
                offset = Some(first);
                limit = Some(self.number()?);
            } else {
                limit = Some(first);
                if self.eat_kw("OFFSET") {
                    offset = Some(self.number()?);
                }
            }
        }
        Ok(Select {
            items,
            from,
            order_by,
            limit,
            filter,
            order_nulls,
            offset,
        })
    }

    /// A column reference, possibly qualified (`t.c`, `db.t.c`): the column name.
    fn column_ref(&mut self) -> Result<String, SqlError> {
        let mut name = self.ident()?;
        while self.eat_sym(".") {
            name = self.ident()?;
        }
        Ok(name)
    }

    /// A WHERE predicate: `OR` of `AND` of `[NOT] primary`.
    fn pred(&mut self) -> Result<Pred, SqlError> {
        let mut l = self.pred_and()?;
        while self.eat_kw("OR") {
            let r = self.pred_and()?;
            l = Pred::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn pred_and(&mut self) -> Result<Pred, SqlError> {
        let mut l = self.pred_not()?;
        while self.eat_kw("AND") {
            let r = self.pred_not()?;
            l = Pred::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn pred_not(&mut self) -> Result<Pred, SqlError> {
        if self.eat_kw("NOT") {
            return Ok(Pred::Not(Box::new(self.pred_not()?)));
        }
        self.pred_primary()
    }

    fn pred_primary(&mut self) -> Result<Pred, SqlError> {
        if self.is_sym("(")
            && matches!(self.peek_at(2), Tok::Sym(c) if c == ",")
            && matches!(
                self.peek_at(1),
                Tok::Ident(_) | Tok::QIdent(_) | Tok::Num(_) | Tok::Str(_)
            )
        {
            return Err(SqlError::unsupported(
                "row constructors in WHERE (StarRocks has no (a, b) > (x, y); write a > x OR (a = x AND b > y))",
            ));
        }
        if self.eat_sym("(") {
            let p = self.pred()?;
            self.expect_sym(")")?;
            return Ok(p);
        }
        let left = self.operand()?;
        let col = |side: &Operand| match side {
            Operand::Col(c) => Some(c.clone()),
            Operand::Lit(_) => None,
        };
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            return match col(&left) {
                Some(c) => Ok(Pred::IsNull { col: c, negated }),
                None => Err(SqlError::unsupported("IS NULL of a literal")),
            };
        }
        let not_in = self.is_kw("NOT") && self.is_kw_at(1, "IN");
        if not_in || self.is_kw("IN") {
            if not_in {
                self.advance();
            }
            self.advance();
            self.expect_sym("(")?;
            let mut list = Vec::new();
            loop {
                match self.operand()? {
                    Operand::Lit(l) => list.push(l),
                    Operand::Col(_) => {
                        return Err(SqlError::unsupported("IN with a column in the list"))
                    }
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(")")?;
            return match col(&left) {
                Some(c) => Ok(Pred::In {
                    col: c,
                    list,
                    negated: not_in,
                }),
                None => Err(SqlError::unsupported("IN of a literal")),
            };
        }
        if self.is_kw("BETWEEN") || self.is_kw("LIKE") || self.is_kw("REGEXP") {
            return Err(SqlError::unsupported(format!(
                "{} in WHERE",
                self.tok_text(&self.toks[self.pos].clone()).to_uppercase()
            )));
        }
        let op = match self.peek() {
            Tok::Sym(s) => match s.as_str() {
                "=" => Some(CmpOp::Eq),
                "!=" | "<>" => Some(CmpOp::Ne),
                "<" => Some(CmpOp::Lt),
                "<=" => Some(CmpOp::Le),
                ">" => Some(CmpOp::Gt),
                ">=" => Some(CmpOp::Ge),
                _ => None,
            },
            _ => None,
        };
        let Some(op) = op else {
            return match left {
                Operand::Lit(Lit::Bool(b)) => Ok(Pred::Const(b)),
                _ => Err(self.syntax_error("'=', '<>', '<', '<=', '>', '>=', 'IS', 'IN'")),
            };
        };
        self.advance();
        if self.is_sym("=") {
            // `<=>`, tokenized as `<=` `>` would not reach here; `==` is not SQL.
            return Err(self.syntax_error("a value"));
        }
        let right = self.operand()?;
        match (left, right) {
            (Operand::Col(c), Operand::Lit(l)) => Ok(Pred::Cmp {
                col: c,
                op,
                lit: l,
                lit_left: false,
            }),
            (Operand::Lit(l), Operand::Col(c)) => Ok(Pred::Cmp {
                col: c,
                op: op.flip(),
                lit: l,
                lit_left: true,
            }),
            (Operand::Col(_), Operand::Col(_)) => Err(SqlError::unsupported(
                "comparing two columns in WHERE (only column op literal)",
            )),
            (Operand::Lit(_), Operand::Lit(_)) => Err(SqlError::unsupported(
                "comparing two literals in WHERE (only column op literal)",
            )),
        }
    }

    /// A column name or a literal (integer, decimal, quoted string, NULL, TRUE/FALSE,
    /// `DATE '...'` / `DATETIME '...'` / `TIMESTAMP '...'`).
    fn operand(&mut self) -> Result<Operand, SqlError> {
        match self.peek().clone() {
            Tok::Num(n) => {
                self.advance();
                Ok(Operand::Lit(Lit::Num(n)))
            }
            Tok::Sym(m) if (m == "-" || m == "+") && matches!(self.peek_at(1), Tok::Num(_)) => {
                self.advance();
                let Tok::Num(n) = self.advance().tok else {
                    return Err(self.syntax_error("a number"));
                };
                Ok(Operand::Lit(Lit::Num(if m == "-" {
                    format!("-{n}")
                } else {
                    n
                })))
            }
            Tok::Str(s) => {
                self.advance();
                Ok(Operand::Lit(Lit::Str(s)))
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("NULL") => {
                self.advance();
                Ok(Operand::Lit(Lit::Null))
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("TRUE") || w.eq_ignore_ascii_case("FALSE") => {
                self.advance();
                Ok(Operand::Lit(Lit::Bool(w.eq_ignore_ascii_case("TRUE"))))
            }
            Tok::Ident(w)
                if ["DATE", "DATETIME", "TIMESTAMP"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                    && matches!(self.peek_at(1), Tok::Str(_)) =>
            {
                self.advance();
                Ok(Operand::Lit(Lit::Str(self.string()?)))
            }
            Tok::Sym(s) if s == "(" => Err(SqlError::unsupported(
                "row constructors or expressions in WHERE (StarRocks has no (a, b) > (x, y); write a > x OR (a = x AND b > y))",
            )),
            Tok::Ident(_) | Tok::QIdent(_) => {
                let name = self.column_ref()?;
                if self.is_sym("(") {
                    return Err(SqlError::unsupported(format!("function {name}() in WHERE")));
                }
                Ok(Operand::Col(name))
            }
            _ => Err(self.syntax_error("a column or a value")),
        }
    }

    fn create_table(&mut self) -> Result<Stmt, SqlError> {
        let if_not_exists = self.if_not_exists()?;
        let table = self.table_name()?;
        self.expect_sym("(")?;
        let mut columns = Vec::new();
        let mut indexes = Vec::new();
        loop {
            if self.is_kw("INDEX") {
                let start = self.toks[self.pos].start;
                self.advance();
                self.ident()?;
                self.ident_list()?;
                if self.eat_kw("USING") {
                    self.ident_or_string()?;
                }
                if self.is_kw("COMMENT") {
                    self.advance();
                    self.string()?;
                }
                let end = self.toks[self.pos - 1].end;
                indexes.push(self.src[start..end].to_string());
            } else {
                columns.push(self.column_def()?);
            }
            if self.eat_sym(",") {
                continue;
            }
            self.expect_sym(")")?;
            break;
        }
        // Clause order is fixed (protocol §5.1).
        if self.eat_kw("ENGINE") {
            self.expect_sym("=")?;
            let engine = self.ident()?;
            if !engine.eq_ignore_ascii_case("OLAP") {
                return Err(SqlError::analysis(format!("Unknown engine name: {engine}")));
            }
        }
        let mut keys = None;
        for (kw, kt) in [
            ("DUPLICATE", KeysType::Duplicate),
            ("AGGREGATE", KeysType::Aggregate),
            ("UNIQUE", KeysType::Unique),
            ("PRIMARY", KeysType::Primary),
        ] {
            if self.is_kw(kw) && self.is_kw_at(1, "KEY") {
                self.advance();
                self.advance();
                keys = Some((kt, self.ident_list()?));
                break;
            }
        }
        let mut comment = None;
        if self.eat_kw("COMMENT") {
            comment = Some(self.string()?);
        }
        let mut partition = None;
        let mut partition_cols = Vec::new();
        if self.is_kw("PARTITION") {
            let start = self.toks[self.pos].start;
            self.advance();
            self.expect_kw("BY")?;
            if self.is_kw("RANGE") || self.is_kw("LIST") {
                self.advance();
                partition_cols = self.ident_list()?;
            } else if self.is_sym("(") {
                // expression partitioning by columns: PARTITION BY (c1, c2)
                let save = self.pos;
                match self.ident_list() {
                    Ok(c) => partition_cols = c,
                    Err(_) => self.pos = save,
                }
            }
            // Keep the rest (partition definitions, expressions) as text.
            let mut depth = 0i32;
            loop {
                match self.peek() {
                    Tok::Eof => break,
                    Tok::Sym(s) if s == "(" => depth += 1,
                    Tok::Sym(s) if s == ")" => {
                        depth -= 1;
                        if depth < 0 {
                            return Err(self.syntax_error("'DISTRIBUTED', 'ORDER', 'PROPERTIES'"));
                        }
                    }
                    Tok::Sym(s) if s == ";" && depth == 0 => break,
                    Tok::Ident(s)
                        if depth == 0
                            && [
                                "DISTRIBUTED",
                                "ORDER",
                                "PROPERTIES",
                                "COMMENT",
                                "ENGINE",
                                "DUPLICATE",
                                "PRIMARY",
                                "UNIQUE",
                                "AGGREGATE",
                            ]
                            .iter()
                            .any(|k| s.eq_ignore_ascii_case(k)) =>
                    {
                        break
                    }
                    _ => {}
                }
                self.advance();
            }
            let end = self.toks[self.pos - 1].end;
            partition = Some(self.src[start..end].to_string());
        }
        let mut distribution = None;
        if self.eat_kw("DISTRIBUTED") {
            self.expect_kw("BY")?;
            if self.eat_kw("HASH") {
                let cols = self.ident_list()?;
                let buckets = if self.eat_kw("BUCKETS") {
                    Some(self.number()?)
                } else {
                    None
                };
                distribution = Some(Distribution::Hash { cols, buckets });
            } else if self.eat_kw("RANDOM") {
                let buckets = if self.eat_kw("BUCKETS") {
                    Some(self.number()?)
                } else {
                    None
                };
                distribution = Some(Distribution::Random { buckets });
            } else {
                return Err(self.syntax_error("'HASH', 'RANDOM'"));
            }
        }
        let mut order_by = Vec::new();
        if self.is_kw("ORDER") {
            self.advance();
            self.expect_kw("BY")?;
            order_by = self.ident_list()?;
        }
        let mut properties = Vec::new();
        if self.eat_kw("PROPERTIES") {
            properties = self.properties_body()?;
        }
        self.end()?;
        let (keys_type, key_cols, explicit_keys) = match keys {
            Some((kt, cols)) => (kt, cols, true),
            None => (KeysType::Duplicate, Vec::new(), false),
        };
        let mut def = TableDef {
            name: table.name.clone(),
            columns,
            keys_type,
            key_cols,
            comment,
            partition,
            partition_cols,
            distribution,
            order_by,
            properties,
            indexes,
        };
        if !explicit_keys {
            // StarRocks picks leading columns as the duplicate key: up to 3 columns, stopping after
            // a string column (simplified).
            for c in &def.columns {
                if def.key_cols.len() >= 3 || !c.ty.allowed_in_key() {
                    break;
                }
                def.key_cols.push(c.name.clone());
                if matches!(
                    c.ty,
                    ColType::Varchar(_) | ColType::String | ColType::Char(_)
                ) {
                    break;
                }
            }
        }
        Ok(Stmt::CreateTable {
            table,
            def,
            if_not_exists,
        })
    }

    fn properties_body(&mut self) -> Result<Vec<(String, String)>, SqlError> {
        self.expect_sym("(")?;
        let mut props = Vec::new();
        if self.eat_sym(")") {
            return Ok(props);
        }
        loop {
            let k = self.string()?;
            self.expect_sym("=")?;
            let v = self.string()?;
            props.push((k, v));
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        Ok(props)
    }

    pub fn column_def(&mut self) -> Result<ColumnDef, SqlError> {
        let name = self.ident()?;
        let ty = self.col_type()?;
        let mut charset = None;
        if self.eat_kw("CHARSET") {
            charset = Some(self.ident_or_string()?);
        } else if self.is_kw("CHARACTER") && self.is_kw_at(1, "SET") {
            self.advance();
            self.advance();
            charset = Some(self.ident_or_string()?);
        }
        let key_flag = self.eat_kw("KEY");
        let mut agg = None;
        if let Tok::Ident(s) = self.peek().clone() {
            if AGG_FNS.iter().any(|a| a.eq_ignore_ascii_case(&s)) {
                self.advance();
                agg = Some(s.to_ascii_uppercase());
            }
        }
        let mut null_spec = None;
        if self.eat_kw("NOT") {
            self.expect_kw("NULL")?;
            null_spec = Some(false);
        } else if self.eat_kw("NULL") {
            null_spec = Some(true);
        }
        let mut default = None;
        let mut auto_increment = false;
        let mut generated = None;
        if self.eat_kw("DEFAULT") {
            default = Some(match self.peek().clone() {
                Tok::Str(s) => {
                    self.advance();
                    DefaultValue::Literal(s)
                }
                Tok::Ident(s) if s.eq_ignore_ascii_case("NULL") => {
                    self.advance();
                    DefaultValue::Null
                }
                Tok::Ident(s) if s.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
                    self.advance();
                    if self.eat_sym("(") {
                        self.expect_sym(")")?;
                    }
                    DefaultValue::CurrentTimestamp
                }
                Tok::Ident(s) if matches!(self.peek_at(1), Tok::Sym(p) if p == "(") => {
                    self.advance();
                    self.advance();
                    self.expect_sym(")")?;
                    DefaultValue::Func(s.to_ascii_lowercase())
                }
                Tok::Sym(p) if p == "(" => {
                    self.advance();
                    let f = self.ident()?;
                    self.expect_sym("(")?;
                    self.expect_sym(")")?;
                    self.expect_sym(")")?;
                    DefaultValue::Func(f.to_ascii_lowercase())
                }
                _ => return Err(self.syntax_error("a string literal, 'NULL', 'CURRENT_TIMESTAMP'")),
            });
        } else if self.eat_kw("AUTO_INCREMENT") {
            auto_increment = true;
        } else if self.is_kw("AS") {
            let start = self.toks[self.pos].start;
            self.advance();
            let mut depth = 0i32;
            loop {
                match self.peek() {
                    Tok::Eof => break,
                    Tok::Sym(s) if s == "(" => depth += 1,
                    Tok::Sym(s) if s == ")" => {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1
                    }
                    Tok::Sym(s) if s == "," && depth == 0 => break,
                    Tok::Ident(s) if depth == 0 && s.eq_ignore_ascii_case("COMMENT") => break,
                    _ => {}
                }
                self.advance();
            }
            let end = self.toks[self.pos - 1].end;
            generated = Some(self.src[start + 2..end].trim().to_string());
        }
        let mut comment = None;
        if self.eat_kw("COMMENT") {
            comment = Some(self.string()?);
        }
        Ok(ColumnDef {
            name,
            ty,
            null_spec,
            nullable: null_spec.unwrap_or(true),
            key_flag,
            agg,
            default,
            auto_increment,
            generated,
            comment,
            charset,
        })
    }

    fn opt_len(&mut self) -> Result<Option<u64>, SqlError> {
        if self.eat_sym("(") {
            let n = self.number()?;
            self.expect_sym(")")?;
            Ok(Some(n))
        } else {
            Ok(None)
        }
    }

    fn col_type(&mut self) -> Result<ColType, SqlError> {
        let Tok::Ident(name) = self.peek().clone() else {
            return Err(self.syntax_error("a column type"));
        };
        let up = name.to_ascii_uppercase();
        let ty = match up.as_str() {
            "BOOLEAN" | "BOOL" => {
                self.advance();
                ColType::Boolean
            }
            "TINYINT" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "LARGEINT" => {
                self.advance();
                self.opt_len()?; // display width: parsed and ignored
                match up.as_str() {
                    "TINYINT" => ColType::TinyInt,
                    "SMALLINT" => ColType::SmallInt,
                    "INT" | "INTEGER" => ColType::Int,
                    "BIGINT" => ColType::BigInt,
                    _ => ColType::LargeInt,
                }
            }
            "FLOAT" => {
                self.advance();
                ColType::Float
            }
            "DOUBLE" => {
                self.advance();
                ColType::Double
            }
            "DECIMAL" | "DECIMALV2" | "DECIMALV3" | "DECIMAL32" | "DECIMAL64" | "DECIMAL128"
            | "NUMERIC" => {
                self.advance();
                let (mut p, mut s) = (10u64, 0u64);
                if self.eat_sym("(") {
                    p = self.number()?;
                    if self.eat_sym(",") {
                        s = self.number()?;
                    }
                    self.expect_sym(")")?;
                }
                let max_p = if up == "DECIMALV2" { 27 } else { 38 };
                if p < 1 || p > max_p {
                    return Err(SqlError::analysis(format!(
                        "DECIMAL's precision should range from 1 to {max_p}, but got {p}"
                    )));
                }
                if s > p {
                    return Err(SqlError::analysis(format!(
                        "DECIMAL's scale({s}) should be less than or equal to precision({p})"
                    )));
                }
                if up == "DECIMALV2" && s > 9 {
                    return Err(SqlError::analysis(format!(
                        "DECIMALV2's scale should be at most 9, but got {s}"
                    )));
                }
                ColType::Decimal {
                    precision: p as u32,
                    scale: s as u32,
                }
            }
            "CHAR" => {
                self.advance();
                let n = self.opt_len()?.unwrap_or(1);
                if !(1..=255).contains(&n) {
                    return Err(SqlError::analysis(format!(
                        "Char size must be between 1 and 255, but got {n}"
                    )));
                }
                ColType::Char(n as u32)
            }
            "VARCHAR" => {
                self.advance();
                let n = self.opt_len()?.unwrap_or(1);
                if !(1..=VARCHAR_MAX_U64).contains(&n) {
                    return Err(SqlError::analysis(format!(
                        "Varchar size must be between 1 and {VARCHAR_MAX_U64}, but got {n}"
                    )));
                }
                ColType::Varchar(n as u32)
            }
            "STRING" => {
                self.advance();
                ColType::String
            }
            "DATE" => {
                self.advance();
                ColType::Date
            }
            "DATETIME" => {
                self.advance();
                ColType::DateTime
            }
            "JSON" => {
                self.advance();
                ColType::Json
            }
            "VARBINARY" | "BINARY" => {
                self.advance();
                let n = self.opt_len()?.unwrap_or(crate::types::BINARY_MAX as u64);
                if !(1..=crate::types::BINARY_MAX as u64).contains(&n) {
                    return Err(SqlError::analysis(format!(
                        "{up} size must be between 1 and {}, but got {n}",
                        crate::types::BINARY_MAX
                    )));
                }
                if up == "VARBINARY" {
                    ColType::Varbinary(n as u32)
                } else {
                    ColType::Binary(n as u32)
                }
            }
            "BITMAP" => {
                self.advance();
                ColType::Bitmap
            }
            "HLL" => {
                self.advance();
                ColType::Hll
            }
            "PERCENTILE" => {
                self.advance();
                ColType::Percentile
            }
            "ARRAY" => {
                self.advance();
                self.expect_sym("<")?;
                let inner = self.col_type()?;
                self.expect_sym(">")?;
                ColType::Array(Box::new(inner))
            }
            "MAP" => {
                self.advance();
                self.expect_sym("<")?;
                let k = self.col_type()?;
                self.expect_sym(",")?;
                let v = self.col_type()?;
                self.expect_sym(">")?;
                ColType::Map(Box::new(k), Box::new(v))
            }
            "STRUCT" => {
                self.advance();
                self.expect_sym("<")?;
                let mut fields = Vec::new();
                loop {
                    let n = self.ident()?;
                    let t = self.col_type()?;
                    fields.push((n, t));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.expect_sym(">")?;
                ColType::Struct(fields)
            }
            // TEXT, MEDIUMTEXT, BLOB, ENUM, SET, TIMESTAMP, YEAR, TIME, ...: not StarRocks types.
            _ => return Err(self.syntax_error("a column type")),
        };
        Ok(ty)
    }
}

const VARCHAR_MAX_U64: u64 = crate::types::VARCHAR_MAX as u64;

/// Words that need backticks when used as names (a subset of protocol §5.5 that matters here).
pub fn is_reserved(word: &str) -> bool {
    const R: &[&str] = &[
        "ADD",
        "ALL",
        "ALTER",
        "AND",
        "ARRAY",
        "AS",
        "ASC",
        "BETWEEN",
        "BIGINT",
        "BITMAP",
        "BY",
        "CASE",
        "CHAR",
        "CHARACTER",
        "CHECK",
        "COLLATE",
        "COLUMN",
        "CREATE",
        "CROSS",
        "CURRENT_TIMESTAMP",
        "DATABASE",
        "DATABASES",
        "DECIMAL",
        "DEFAULT",
        "DELETE",
        "DESC",
        "DESCRIBE",
        "DISTINCT",
        "DOUBLE",
        "DROP",
        "ELSE",
        "EXISTS",
        "EXPLAIN",
        "FALSE",
        "FLOAT",
        "FOR",
        "FROM",
        "FULL",
        "FUNCTION",
        "GRANT",
        "GROUP",
        "HAVING",
        "HLL",
        "IF",
        "IN",
        "INDEX",
        "INNER",
        "INSERT",
        "INT",
        "INTEGER",
        "INTO",
        "IS",
        "JOIN",
        "JSON",
        "KEY",
        "KEYS",
        "LARGEINT",
        "LEFT",
        "LIKE",
        "LIMIT",
        "LOAD",
        "NOT",
        "NULL",
        "ON",
        "OR",
        "ORDER",
        "OUTER",
        "PARTITION",
        "PERCENTILE",
        "PRIMARY",
        "RANGE",
        "REPLACE",
        "RIGHT",
        "SCHEMA",
        "SCHEMAS",
        "SELECT",
        "SET",
        "SHOW",
        "SMALLINT",
        "TABLE",
        "TEXT",
        "THEN",
        "TINYINT",
        "TO",
        "TRUE",
        "UNION",
        "UNIQUE",
        "UNSIGNED",
        "UPDATE",
        "USE",
        "USING",
        "VALUES",
        "VARCHAR",
        "WHEN",
        "WHERE",
        "WITH",
    ];
    R.iter().any(|r| r.eq_ignore_ascii_case(word))
}

pub fn parse(src: &str) -> Result<Stmt, SqlError> {
    Parser::new(src)?.parse_statement()
}

/// SQL LIKE with `%` and `_` (case-sensitive, no escape).
pub fn like(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('%') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('_') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

pub fn is_known_property(k: &str) -> bool {
    KNOWN_PROPERTIES.contains(&k)
        || k.starts_with("dynamic_partition.")
        || k.starts_with("session.")
}

// ---------------------------------------------------------------------------------------------
// Rendering (SHOW CREATE TABLE)

pub fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

pub fn quote_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn render_column(c: &ColumnDef) -> String {
    let mut s = format!("{} {}", quote_ident(&c.name), c.ty.render());
    if let Some(a) = &c.agg {
        s.push(' ');
        s.push_str(a);
    }
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if c.auto_increment {
        s.push_str(" AUTO_INCREMENT");
    }
    match &c.default {
        None => {}
        Some(DefaultValue::Null) => s.push_str(" DEFAULT NULL"),
        Some(DefaultValue::Literal(v)) => {
            s.push_str(" DEFAULT ");
            s.push_str(&quote_str(v));
        }
        Some(DefaultValue::CurrentTimestamp) => s.push_str(" DEFAULT CURRENT_TIMESTAMP"),
        Some(DefaultValue::Func(f)) => s.push_str(&format!(" DEFAULT ({f}())")),
    }
    if let Some(g) = &c.generated {
        s.push_str(" AS ");
        s.push_str(g);
    }
    s.push_str(" COMMENT ");
    s.push_str(&quote_str(c.comment.as_deref().unwrap_or("")));
    s
}

pub fn render_create_table(def: &TableDef) -> String {
    let mut lines: Vec<String> = def
        .columns
        .iter()
        .map(|c| format!("  {}", render_column(c)))
        .collect();
    for i in &def.indexes {
        lines.push(format!("  {i}"));
    }
    let mut out = format!(
        "CREATE TABLE {} (\n{}\n) ENGINE=OLAP \n",
        quote_ident(&def.name),
        lines.join(",\n")
    );
    let keys: Vec<String> = def.key_cols.iter().map(|k| quote_ident(k)).collect();
    out.push_str(&format!("{}({})\n", def.keys_type.sql(), keys.join(", ")));
    out.push_str(&format!(
        "COMMENT {}\n",
        quote_str(def.comment.as_deref().unwrap_or("OLAP"))
    ));
    if let Some(p) = &def.partition {
        out.push_str(p);
        out.push('\n');
    }
    match &def.distribution {
        Some(Distribution::Hash { cols, buckets }) => {
            let c: Vec<String> = cols.iter().map(|k| quote_ident(k)).collect();
            out.push_str(&format!("DISTRIBUTED BY HASH({})", c.join(", ")));
            if let Some(b) = buckets {
                out.push_str(&format!(" BUCKETS {b}"));
            }
            out.push_str(" \n");
        }
        Some(Distribution::Random { buckets }) => {
            out.push_str("DISTRIBUTED BY RANDOM");
            if let Some(b) = buckets {
                out.push_str(&format!(" BUCKETS {b}"));
            }
            out.push_str(" \n");
        }
        None => {}
    }
    if !def.order_by.is_empty() {
        let c: Vec<String> = def.order_by.iter().map(|k| quote_ident(k)).collect();
        out.push_str(&format!("ORDER BY({})\n", c.join(", ")));
    }
    let props: Vec<String> = def
        .properties
        .iter()
        .map(|(k, v)| format!("{} = {}", quote_str(k), quote_str(v)))
        .collect();
    out.push_str(&format!("PROPERTIES (\n{}\n);", props.join(",\n")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_quotes() {
        let t = tokenize("`a``b` \"x\\\"y\" 'it''s'").unwrap();
        assert_eq!(t[0].tok, Tok::QIdent("a`b".into()));
        assert_eq!(t[1].tok, Tok::Str("x\"y".into()));
        assert_eq!(t[2].tok, Tok::Str("it's".into()));
    }

    #[test]
    fn parses_create_table_shape() {
        let s = parse(
            "CREATE TABLE IF NOT EXISTS `d`.`t` (`id` BIGINT NOT NULL COMMENT \"pk\", `v` VARCHAR(10) NULL DEFAULT \"x\") \
             ENGINE = OLAP PRIMARY KEY (`id`) COMMENT \"tc\" DISTRIBUTED BY HASH(`id`) BUCKETS 4 ORDER BY (`id`) \
             PROPERTIES (\"replication_num\" = \"1\");",
        )
        .unwrap();
        let Stmt::CreateTable {
            table,
            def,
            if_not_exists,
        } = s
        else {
            panic!("not create")
        };
        assert!(if_not_exists);
        assert_eq!(table.db.as_deref(), Some("d"));
        assert_eq!(def.key_cols, vec!["id"]);
        assert_eq!(
            def.columns[1].default,
            Some(DefaultValue::Literal("x".into()))
        );
        assert_eq!(def.properties, vec![("replication_num".into(), "1".into())]);
        let rendered = render_create_table(&def);
        let again = parse(&rendered).unwrap();
        let Stmt::CreateTable { def: def2, .. } = again else {
            panic!()
        };
        assert_eq!(render_create_table(&def2), rendered);
    }

    #[test]
    fn clause_order_is_enforced() {
        let e =
            parse("CREATE TABLE t (id INT) DISTRIBUTED BY HASH(id) PRIMARY KEY(id)").unwrap_err();
        assert!(
            e.message
                .starts_with("Getting syntax error at line 1, column "),
            "{}",
            e.message
        );
        assert!(parse("CREATE TABLE t (id DATETIME(6))").is_err());
        assert!(parse("CREATE TABLE t (id INT UNSIGNED)").is_err());
        assert!(parse("CREATE TABLE t (id INT) PROPERTIES (\"replication_num\" = 1)").is_err());
    }
}

#[cfg(test)]
mod like_tests {
    #[test]
    fn like_patterns() {
        assert!(super::like("a%", "abc"));
        assert!(super::like("a_c", "abc"));
        assert!(!super::like("a_c", "abbc"));
        assert!(super::like("%", ""));
        assert!(!super::like("x%", "abc"));
    }
}
