//! Schema history: what a DDL statement from the binlog does to the captured source tables.
//!
//! The binlog carries DDL as SQL text (QUERY events) and row events as bare positional values,
//! so rows can only be decoded with the table's schema *as of their position*. smt keeps each
//! captured table's [`TableDesc`] in the checkpoint and evolves it here, statement by statement,
//! whether the DDL was written while smt ran or while it was stopped.
//!
//! Invariant: for a statement MySQL/MariaDB accepted, [`effects`] returns the descriptions the
//! server's information_schema would show afterwards (columns in ordinal order, their types,
//! nullability, defaults, charsets, and the PRIMARY/UNIQUE keys), or says it cannot tell
//! ([`Effect::Unsupported`]) — never a guess. Column definitions are read by the same code as a
//! schema dump ([`crate::schema::dump`]), which is tested to equal introspection.
//!
//! Followed: `ALTER TABLE` ADD/DROP/MODIFY/CHANGE/RENAME COLUMN (with FIRST/AFTER), ALTER COLUMN
//! SET/DROP DEFAULT, ADD/DROP PRIMARY KEY and UNIQUE keys, ADD/DROP of plain indexes, foreign
//! keys and checks (no-ops for us), ALGORITHM/LOCK/AUTO_INCREMENT, RENAME TO; `RENAME TABLE`;
//! `TRUNCATE`; `CREATE [UNIQUE] INDEX` / `DROP INDEX`; `DROP TABLE` and a re-creation (`CREATE
//! OR REPLACE`, or `CREATE` of a table known here) are [`Effect::Dropped`] (sync keeps a
//! dropped shard's rows in its merged target, and truncates a target whose only source is
//! gone; a table created under the name is a new table). Anything sqlparser cannot read is
//! [`Effect::Unsupported`].

use crate::plan::SourceRef;
use crate::schema::{ColumnDefault, ColumnDesc, KeyDesc, KeyKind, TableDesc};
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, ColumnOptionDef,
    MySQLColumnPosition, ObjectName, ObjectType, RenameTableNameKind, Statement, TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// What one statement does to one captured table.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The table's description after the statement (a rename shows as a new name in `new`).
    Schema { table: SourceRef, new: TableDesc },
    /// All rows of the table were removed.
    Truncate(SourceRef),
    /// The table was dropped (DROP TABLE, or re-created: CREATE OR REPLACE).
    Dropped(SourceRef),
    /// smt cannot tell what the statement did to the table (or cannot follow it).
    Unsupported {
        table: Option<SourceRef>,
        reason: String,
    },
}

/// The effects of `sql` (run with default database `default_db`) on the `known` tables.
/// Empty when the statement changes none of them.
pub fn effects(default_db: &str, sql: &str, known: &[TableDesc]) -> Vec<Effect> {
    let text = prepare(sql);
    let stmts = match Parser::parse_sql(&MySqlDialect {}, &text) {
        Ok(s) => s,
        Err(e) => {
            if harmless_keyword(&text) {
                return Vec::new();
            }
            return vec![Effect::Unsupported {
                table: None,
                reason: format!("smt cannot parse this statement ({e})"),
            }];
        }
    };
    let mut work = Work {
        default_db,
        known,
        changed: Vec::new(),
        out: Vec::new(),
    };
    for st in stmts {
        work.statement(st);
    }
    let mut out = work.out;
    for (orig, desc) in work.changed {
        let unchanged = known.iter().any(|k| orig.names(k) && *k == desc);
        if !unchanged {
            out.push(Effect::Schema {
                table: orig,
                new: desc,
            });
        }
    }
    out
}

/// The tables `sql` (run with default database `default_db`) brings into existence: CREATE
/// TABLE (also `LIKE` and `AS SELECT`) and the new names of RENAME TABLE. Empty when the
/// statement does not parse.
pub fn created_tables(default_db: &str, sql: &str) -> Vec<SourceRef> {
    let Ok(stmts) = Parser::parse_sql(&MySqlDialect {}, &prepare(sql)) else {
        return Vec::new();
    };
    let work = Work {
        default_db,
        known: &[],
        changed: Vec::new(),
        out: Vec::new(),
    };
    let mut out = Vec::new();
    for st in stmts {
        match st {
            Statement::CreateTable(ct) if !ct.temporary => out.push(work.name_of(&ct.name)),
            Statement::RenameTable(renames) => {
                out.extend(renames.iter().map(|rt| work.name_of(&rt.new_name)))
            }
            _ => {}
        }
    }
    out
}

/// Statements that never change a table's columns or keys (parsed or not).
fn harmless_keyword(text: &str) -> bool {
    let first = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "ANALYZE"
            | "OPTIMIZE"
            | "REPAIR"
            | "CHECK"
            | "CHECKSUM"
            | "GRANT"
            | "REVOKE"
            | "FLUSH"
            | "SET"
            | "SAVEPOINT"
            | "RELEASE"
            | "LOCK"
            | "UNLOCK"
    ) || {
        let up = text.trim_start().to_ascii_uppercase();
        up.starts_with("CREATE TRIGGER")
            || up.starts_with("DROP TRIGGER")
            || up.starts_with("CREATE DEFINER")
            || up.starts_with("CREATE VIEW")
            || up.starts_with("CREATE OR REPLACE VIEW")
            || up.starts_with("DROP VIEW")
            || up.starts_with("CREATE PROCEDURE")
            || up.starts_with("CREATE FUNCTION")
            || up.starts_with("DROP PROCEDURE")
            || up.starts_with("DROP FUNCTION")
            || up.starts_with("CREATE EVENT")
            || up.starts_with("DROP EVENT")
    }
}

/// The statement text sqlparser can read: comments the server adds removed, MariaDB-only
/// words that change nothing for us (`ONLINE`, `IGNORE`, `WAIT n`, `NOWAIT`) dropped.
fn prepare(sql: &str) -> String {
    use regex::Regex;
    use std::sync::LazyLock;
    static COMMENT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)/\*[^!M].*?\*/").expect("regex"));
    static ALTER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+((?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)\s*(?:WAIT\s+\d+|NOWAIT)?")
            .expect("regex")
    });
    let s = COMMENT.replace_all(sql, " ");
    let s = s.trim().trim_end_matches(';').trim();
    match ALTER_WORDS.captures(s) {
        Some(c) => {
            let whole = c.get(0).map_or(0, |m| m.end());
            format!("ALTER TABLE {} {}", &c[1], &s[whole..])
        }
        None => s.to_string(),
    }
}

struct Work<'a> {
    default_db: &'a str,
    known: &'a [TableDesc],
    /// (original name, current description) of every table changed so far.
    changed: Vec<(SourceRef, TableDesc)>,
    out: Vec<Effect>,
}

impl Work<'_> {
    /// `db`.`table` of an object name (default database when unqualified).
    fn name_of(&self, n: &ObjectName) -> SourceRef {
        let parts: Vec<String> =
            n.0.iter()
                .map(|p| {
                    p.as_ident()
                        .map(|i| i.value.clone())
                        .unwrap_or_else(|| p.to_string())
                })
                .collect();
        match parts.as_slice() {
            [d, t] => SourceRef {
                database: d.clone(),
                table: t.clone(),
            },
            [.., t] => SourceRef {
                database: self.default_db.to_string(),
                table: t.clone(),
            },
            [] => SourceRef {
                database: self.default_db.to_string(),
                table: String::new(),
            },
        }
    }

    /// Index into `changed` of the table now called `r`, adding it from `known` on first use.
    fn find(&mut self, r: &SourceRef) -> Option<usize> {
        let same = |d: &TableDesc| r.names(d);
        let similar = |d: &TableDesc| {
            d.database.eq_ignore_ascii_case(&r.database) && d.name.eq_ignore_ascii_case(&r.table)
        };
        if let Some(i) = self.changed.iter().position(|(_, d)| same(d)) {
            return Some(i);
        }
        if let Some(i) = self.changed.iter().position(|(_, d)| similar(d)) {
            return Some(i);
        }
        let d = self
            .known
            .iter()
            .find(|d| same(d))
            .or_else(|| self.known.iter().find(|d| similar(d)))?;
        // A table renamed earlier in this statement is not known under its old name.
        if self.changed.iter().any(|(o, _)| o.names(d)) {
            return None;
        }
        self.changed.push((
            SourceRef {
                database: d.database.clone(),
                table: d.name.clone(),
            },
            d.clone(),
        ));
        Some(self.changed.len() - 1)
    }

    fn unsupported(&mut self, i: Option<usize>, reason: String) {
        let table = i.map(|i| self.changed[i].0.clone());
        self.out.push(Effect::Unsupported { table, reason });
    }

    fn statement(&mut self, st: Statement) {
        match st {
            Statement::AlterTable(at) => {
                let r = self.name_of(&at.name);
                let Some(i) = self.find(&r) else { return };
                for op in at.operations {
                    if let Err(why) = self.alter_op(i, op) {
                        self.unsupported(Some(i), why);
                        return;
                    }
                }
            }
            Statement::RenameTable(renames) => {
                for rt in renames {
                    let from = self.name_of(&rt.old_name);
                    let to = self.name_of(&rt.new_name);
                    if let Some(i) = self.find(&from) {
                        self.changed[i].1.database = to.database;
                        self.changed[i].1.name = to.table;
                    }
                }
            }
            Statement::Truncate(t) => {
                for target in t.table_names {
                    let r = self.name_of(&target.name);
                    if let Some(i) = self.find(&r) {
                        self.out.push(Effect::Truncate(self.changed[i].0.clone()));
                    }
                }
            }
            Statement::Drop {
                object_type,
                names,
                table,
                ..
            } => match object_type {
                ObjectType::Table => {
                    for n in names {
                        let r = self.name_of(&n);
                        if let Some(i) = self.find(&r) {
                            self.out.push(Effect::Dropped(self.changed[i].0.clone()));
                        }
                    }
                }
                ObjectType::Index => {
                    let Some(t) = table else { return };
                    let r = self.name_of(&t);
                    let Some(i) = self.find(&r) else { return };
                    for n in names {
                        let name = self.name_of(&n).table;
                        drop_key(&mut self.changed[i].1, &name);
                    }
                }
                _ => {}
            },
            Statement::CreateIndex(ci) => {
                let r = self.name_of(&ci.table_name);
                let Some(i) = self.find(&r) else { return };
                if ci.unique {
                    let cols: Vec<String> = ci
                        .columns
                        .iter()
                        .filter_map(|c| key_part(&c.column.expr))
                        .collect();
                    let name = ci
                        .name
                        .as_ref()
                        .map(|n| self.name_of(n).table)
                        .unwrap_or_else(|| cols.first().cloned().unwrap_or_default());
                    add_key(&mut self.changed[i].1, name, KeyKind::Unique, cols);
                }
            }
            Statement::CreateTable(ct) => {
                // Re-created (CREATE OR REPLACE, or CREATE after a DROP the schema here has
                // not seen): the table we knew is gone; the new one is a new table.
                let r = self.name_of(&ct.name);
                if let Some(i) = self.find(&r) {
                    if ct.or_replace || !ct.if_not_exists {
                        self.out.push(Effect::Dropped(self.changed[i].0.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    fn alter_op(&mut self, i: usize, op: AlterTableOperation) -> Result<(), String> {
        use AlterTableOperation as Op;
        let t = &mut self.changed[i].1;
        match op {
            Op::AddColumn {
                if_not_exists,
                column_def,
                column_position,
                ..
            } => {
                if t.column(&column_def.name.value).is_some() {
                    return if if_not_exists {
                        Ok(())
                    } else {
                        Err(format!("column `{}` already exists", column_def.name.value))
                    };
                }
                let (col, keys) = column_from_def(t, &column_def, None)?;
                let at = position_index(t, column_position.as_ref(), t.columns.len())?;
                t.columns.insert(at, col);
                for k in keys {
                    add_key(t, k.name, k.kind, k.columns);
                }
            }
            Op::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for n in column_names {
                    match t
                        .columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(&n.value))
                    {
                        Some(at) => {
                            let name = t.columns.remove(at).name;
                            for k in &mut t.keys {
                                k.columns.retain(|c| !c.eq_ignore_ascii_case(&name));
                            }
                            t.keys.retain(|k| !k.columns.is_empty());
                        }
                        None if if_exists => {}
                        None => return Err(format!("no column `{}`", n.value)),
                    }
                }
            }
            Op::ModifyColumn {
                col_name,
                data_type,
                options,
                column_position,
            } => {
                let def = ColumnDef {
                    name: col_name.clone(),
                    data_type,
                    options: options
                        .into_iter()
                        .map(|option| ColumnOptionDef { name: None, option })
                        .collect(),
                };
                replace_column(t, &col_name.value, &def, column_position.as_ref())?;
            }
            Op::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                column_position,
            } => {
                let def = ColumnDef {
                    name: new_name,
                    data_type,
                    options: options
                        .into_iter()
                        .map(|option| ColumnOptionDef { name: None, option })
                        .collect(),
                };
                replace_column(t, &old_name.value, &def, column_position.as_ref())?;
            }
            Op::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let c = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&old_column_name.value))
                    .ok_or_else(|| format!("no column `{}`", old_column_name.value))?;
                let old = std::mem::replace(&mut c.name, new_column_name.value.clone());
                rename_in_keys(t, &old, &new_column_name.value);
            }
            Op::AlterColumn { column_name, op } => {
                let c = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(&column_name.value))
                    .ok_or_else(|| format!("no column `{}`", column_name.value))?;
                match op {
                    AlterColumnOperation::SetDefault { value } => {
                        c.default = default_of(c, &value.to_string());
                    }
                    AlterColumnOperation::DropDefault => {
                        c.default = ColumnDefault::None;
                    }
                    other => return Err(format!("ALTER COLUMN {other} is not MySQL")),
                }
            }
            Op::RenameTable { table_name } => {
                let n = match table_name {
                    RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => n,
                };
                let r = self.name_of(&n);
                let t = &mut self.changed[i].1;
                t.database = r.database;
                t.name = r.table;
            }
            Op::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::PrimaryKey(pk) => {
                    let cols: Vec<String> = pk
                        .columns
                        .iter()
                        .filter_map(|c| key_part(&c.column.expr))
                        .collect();
                    for c in &mut t.columns {
                        if cols.iter().any(|k| k.eq_ignore_ascii_case(&c.name)) {
                            c.nullable = false;
                            if c.default == ColumnDefault::Null {
                                c.default = ColumnDefault::None;
                            }
                        }
                    }
                    add_key(t, "PRIMARY".into(), KeyKind::Primary, cols);
                }
                TableConstraint::Unique(u) => {
                    let cols: Vec<String> = u
                        .columns
                        .iter()
                        .filter_map(|c| key_part(&c.column.expr))
                        .collect();
                    let name = u
                        .index_name
                        .as_ref()
                        .or(u.name.as_ref())
                        .map(|i| i.value.clone())
                        .unwrap_or_else(|| cols.first().cloned().unwrap_or_default());
                    add_key(t, name, KeyKind::Unique, cols);
                }
                // Plain, full-text and spatial indexes, foreign keys, checks: not keys for us.
                _ => {}
            },
            Op::DropPrimaryKey { .. } => {
                t.keys.retain(|k| k.kind != KeyKind::Primary);
            }
            Op::DropIndex { name } => drop_key(t, &name.value),
            Op::DropConstraint { name, .. } => drop_key(t, &name.value),
            Op::DropForeignKey { .. }
            | Op::Algorithm { .. }
            | Op::Lock { .. }
            | Op::AutoIncrement { .. } => {}
            other => {
                return Err(format!("smt does not follow `{other}`"));
            }
        }
        renumber(&mut self.changed[i].1);
        Ok(())
    }
}

fn renumber(t: &mut TableDesc) {
    for (i, c) in t.columns.iter_mut().enumerate() {
        c.ordinal = i as u32 + 1;
    }
    crate::schema::introspect::sort_keys(&mut t.keys);
}

fn key_part(e: &sqlparser::ast::Expr) -> Option<String> {
    use sqlparser::ast::Expr;
    match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.clone()),
        // A prefix key part `v(10)` parses as a call.
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.clone()),
        _ => None,
    }
}

fn add_key(t: &mut TableDesc, name: String, kind: KeyKind, columns: Vec<String>) {
    if columns.is_empty() {
        return;
    }
    // Key columns use the table's spelling.
    let columns = columns
        .into_iter()
        .map(|k| t.column(&k).map(|c| c.name.clone()).unwrap_or(k))
        .collect();
    t.keys
        .retain(|k| !(k.kind == kind && kind == KeyKind::Primary) && k.name != name);
    t.keys.push(KeyDesc {
        name,
        kind,
        columns,
    });
}

fn drop_key(t: &mut TableDesc, name: &str) {
    if name.eq_ignore_ascii_case("PRIMARY") {
        t.keys.retain(|k| k.kind != KeyKind::Primary);
    } else {
        t.keys
            .retain(|k| k.kind == KeyKind::Primary || !k.name.eq_ignore_ascii_case(name));
    }
}

fn rename_in_keys(t: &mut TableDesc, old: &str, new: &str) {
    for k in &mut t.keys {
        for c in &mut k.columns {
            if c.eq_ignore_ascii_case(old) {
                *c = new.to_string();
            }
        }
    }
}

/// Index where a column goes: `FIRST`, `AFTER x`, or `default`.
fn position_index(
    t: &TableDesc,
    pos: Option<&MySQLColumnPosition>,
    default: usize,
) -> Result<usize, String> {
    match pos {
        None => Ok(default),
        Some(MySQLColumnPosition::First) => Ok(0),
        Some(MySQLColumnPosition::After(a)) => t
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(&a.value))
            .map(|i| i + 1)
            .ok_or_else(|| format!("AFTER `{}`: no such column", a.value)),
    }
}

/// MODIFY / CHANGE: the column `old` takes the definition `def` (and its new place).
fn replace_column(
    t: &mut TableDesc,
    old: &str,
    def: &ColumnDef,
    pos: Option<&MySQLColumnPosition>,
) -> Result<(), String> {
    let at = t
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(old))
        .ok_or_else(|| format!("no column `{old}`"))?;
    let prev = t.columns[at].clone();
    let (mut col, keys) = column_from_def(t, def, Some(&prev))?;
    let in_pk = t
        .primary_key()
        .is_some_and(|k| k.columns.iter().any(|c| c.eq_ignore_ascii_case(old)));
    if in_pk {
        // A primary key column stays NOT NULL whatever the definition says.
        col.nullable = false;
        if col.default == ColumnDefault::Null {
            col.default = ColumnDefault::None;
        }
    }
    let new_name = col.name.clone();
    t.columns.remove(at);
    let to = match pos {
        None => at,
        Some(p) => position_index(t, Some(p), at)?,
    };
    t.columns.insert(to.min(t.columns.len()), col);
    if !new_name.eq_ignore_ascii_case(&prev.name) || new_name != prev.name {
        rename_in_keys(t, &prev.name, &new_name);
    }
    for k in keys {
        add_key(t, k.name, k.kind, k.columns);
    }
    Ok(())
}

/// A source column from a column definition, read the way a schema dump is (same code, same
/// result as introspection). `prev`: the column it replaces (MODIFY/CHANGE), whose character set
/// is the best guess for an unstated one (the table's default is not in the description).
fn column_from_def(
    t: &TableDesc,
    def: &ColumnDef,
    prev: Option<&ColumnDesc>,
) -> Result<(ColumnDesc, Vec<KeyDesc>), String> {
    let charset = prev
        .and_then(|p| p.charset.clone())
        .or_else(|| table_charset(t))
        .unwrap_or_else(|| "utf8mb4".into());
    let text = column_text(def);
    let stmt = format!("CREATE TABLE `t` ({text}) DEFAULT CHARSET={charset}");
    let mini = crate::schema::dump::parse_create_table(&stmt, &t.database, None)
        .map_err(|e| format!("cannot read the column definition `{text}`: {e:#}"))?;
    let mut col = mini
        .columns
        .into_iter()
        .next()
        .ok_or_else(|| format!("no column in `{text}`"))?;
    col.column_type = lower_outside_quotes(&col.column_type);
    Ok((col, mini.keys))
}

/// A column definition as MySQL's SHOW CREATE TABLE would spell its type (`BOOLEAN` is
/// `tinyint(1)`, `INTEGER` is `int`).
fn column_text(def: &ColumnDef) -> String {
    let ty = def.data_type.to_string();
    let up = ty.to_ascii_uppercase();
    let ty = match up.as_str() {
        "BOOL" | "BOOLEAN" => "tinyint(1)".to_string(),
        "INTEGER" => "int".to_string(),
        _ if up.starts_with("INTEGER ") => format!("int{}", &ty[7..]),
        _ => ty,
    };
    let mut s = format!("{} {ty}", crate::ident::quote(&def.name.value));
    for o in &def.options {
        s.push(' ');
        s.push_str(&option_text(&o.option));
    }
    s
}

fn option_text(o: &ColumnOption) -> String {
    o.to_string()
}

/// The character set most character columns of the table use (the table default, in practice).
fn table_charset(t: &TableDesc) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for c in &t.columns {
        if let Some(cs) = &c.charset {
            match counts.iter_mut().find(|(n, _)| n == cs) {
                Some(e) => e.1 += 1,
                None => counts.push((cs.clone(), 1)),
            }
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(n, _)| n)
}

/// `ALTER COLUMN c SET DEFAULT x`: the default as introspection would show it.
fn default_of(c: &ColumnDesc, expr: &str) -> ColumnDefault {
    let stmt = format!(
        "CREATE TABLE `t` ({} {}{} DEFAULT {expr})",
        crate::ident::quote(&c.name),
        c.column_type,
        if c.nullable { "" } else { " NOT NULL" }
    );
    crate::schema::dump::parse_create_table(&stmt, "", None)
        .ok()
        .and_then(|m| m.columns.into_iter().next())
        .map_or(ColumnDefault::Expression(expr.to_string()), |m| m.default)
}

/// Lower-case a type text except inside quotes (`ENUM('A','b')` → `enum('A','b')`).
fn lower_outside_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match quote {
            Some(q) => {
                out.push(ch);
                if ch == q {
                    quote = None;
                }
            }
            None => {
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                    out.push(ch);
                } else {
                    out.push(ch.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_tables_are_named_with_their_database() {
        let r = |d: &str, t: &str| SourceRef {
            database: d.into(),
            table: t.into(),
        };
        assert_eq!(
            created_tables("d", "CREATE TABLE `s_3` LIKE s_1"),
            vec![r("d", "s_3")]
        );
        assert_eq!(
            created_tables(
                "d",
                "create table if not exists other.t (id int primary key)"
            ),
            vec![r("other", "t")]
        );
        assert_eq!(
            created_tables("d", "RENAME TABLE a TO b, x.c TO y.c"),
            vec![r("d", "b"), r("y", "c")]
        );
        assert!(created_tables("d", "ALTER TABLE a ADD COLUMN c INT").is_empty());
        assert!(created_tables("d", "not sql at all").is_empty());
        assert!(created_tables("d", "CREATE TEMPORARY TABLE tmp (id INT)").is_empty());
    }

    fn table(sql: &str) -> TableDesc {
        crate::schema::dump::parse_create_table(sql, "db", None).unwrap()
    }

    fn base() -> TableDesc {
        table(
            "CREATE TABLE `t` (`id` int(11) NOT NULL, `a` varchar(10) DEFAULT NULL, \
             `b` int(11) DEFAULT NULL, PRIMARY KEY (`id`)) DEFAULT CHARSET=latin1",
        )
    }

    fn one(sql: &str) -> TableDesc {
        let e = effects("db", sql, &[base()]);
        match e.as_slice() {
            [Effect::Schema { new, .. }] => new.clone(),
            other => panic!("{sql}: {other:?}"),
        }
    }

    fn names(t: &TableDesc) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn add_columns_with_positions() {
        let t = one("ALTER TABLE t ADD COLUMN c bigint unsigned NOT NULL DEFAULT 5");
        assert_eq!(names(&t), ["id", "a", "b", "c"]);
        let c = &t.columns[3];
        assert_eq!(c.column_type, "bigint unsigned");
        assert!(!c.nullable);
        assert_eq!(c.default, ColumnDefault::Literal("5".into()));
        assert_eq!(c.ordinal, 4);
        let t = one("ALTER TABLE `db`.`t` ADD c varchar(3) FIRST, ADD d date AFTER a");
        assert_eq!(names(&t), ["c", "id", "a", "d", "b"]);
        // The table's charset for an unstated one; ordinals follow the new order.
        assert_eq!(t.columns[0].charset.as_deref(), Some("latin1"));
        assert_eq!(t.columns[3].ordinal, 4);
    }

    #[test]
    fn drop_modify_change_rename() {
        let t = one("ALTER TABLE t DROP COLUMN a, MODIFY b bigint NOT NULL");
        assert_eq!(names(&t), ["id", "b"]);
        assert_eq!(t.columns[1].column_type, "bigint");
        assert!(!t.columns[1].nullable);
        let t = one("ALTER TABLE t CHANGE COLUMN a a2 varchar(40) CHARACTER SET utf8mb4 AFTER b");
        assert_eq!(names(&t), ["id", "b", "a2"]);
        assert_eq!(t.columns[2].charset.as_deref(), Some("utf8mb4"));
        assert_eq!(t.columns[2].octet_length, Some(160));
        let t = one("ALTER TABLE t RENAME COLUMN id TO pk");
        assert_eq!(t.primary_key().unwrap().columns, ["pk"]);
        let t = one("ALTER TABLE t ALTER COLUMN b SET DEFAULT 7");
        assert_eq!(t.columns[2].default, ColumnDefault::Literal("7".into()));
    }

    #[test]
    fn keys_and_no_ops() {
        let t = one("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)");
        assert_eq!(t.primary_key().unwrap().columns, ["id", "b"]);
        assert!(!t.columns[2].nullable);
        assert!(effects(
            "db",
            "ALTER TABLE t ADD INDEX ix (a), ALGORITHM=INPLACE, LOCK=NONE",
            &[base()]
        )
        .is_empty());
        let t = one("ALTER ONLINE TABLE t ADD UNIQUE KEY uq (a)");
        assert!(t
            .keys
            .iter()
            .any(|k| k.kind == KeyKind::Unique && k.columns == ["a"]));
        assert!(effects("db", "CREATE INDEX i ON t (a)", &[base()]).is_empty());
        assert!(effects("db", "DROP INDEX i ON t", &[base()]).is_empty());
        assert!(effects("db", "ALTER TABLE other ADD x int", &[base()]).is_empty());
        assert!(effects("db2", "ALTER TABLE t ADD x int", &[base()]).is_empty());
        assert!(effects("db", "ANALYZE TABLE t", &[base()]).is_empty());
    }

    #[test]
    fn renames_truncate_and_drops() {
        let e = effects("db", "RENAME TABLE t TO t_new, x TO y", &[base()]);
        match e.as_slice() {
            [Effect::Schema { table, new }] => {
                assert_eq!(table.table, "t");
                assert_eq!(new.name, "t_new");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(one("ALTER TABLE t RENAME TO db.t2").name, "t2");
        let e = effects("other", "TRUNCATE TABLE db.t", &[base()]);
        assert!(
            matches!(
                e.as_slice(),
                [Effect::Truncate(r)] if r.table == "t"
            ),
            "{e:?}"
        );
        assert!(matches!(
            effects("db", "DROP TABLE IF EXISTS `t` /* generated by server */", &[base()]).as_slice(),
            [Effect::Dropped(r)] if r.table == "t"
        ));
        assert!(effects("db", "DROP TABLE IF EXISTS `zz`", &[base()]).is_empty());
    }

    #[test]
    fn what_cannot_be_followed_says_so() {
        for sql in [
            "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
            "ALTER TABLE t ADD COLUMN a int",
            "ALTER TABLE t DROP COLUMN nope",
            "ALTER TABLE t frobnicate",
        ] {
            let e = effects("db", sql, &[base()]);
            assert!(
                e.iter().any(|e| matches!(e, Effect::Unsupported { .. })),
                "{sql}: {e:?}"
            );
        }
    }

    #[test]
    fn a_burst_is_applied_in_order() {
        let mut t = base();
        for sql in [
            "ALTER TABLE t ADD COLUMN c int",
            "ALTER TABLE t DROP COLUMN a",
            "ALTER TABLE t MODIFY c bigint",
            "ALTER TABLE t ADD COLUMN a text",
        ] {
            match effects("db", sql, std::slice::from_ref(&t)).as_slice() {
                [Effect::Schema { new, .. }] => t = new.clone(),
                other => panic!("{sql}: {other:?}"),
            }
        }
        assert_eq!(names(&t), ["id", "b", "c", "a"]);
        assert_eq!(t.columns[2].column_type, "bigint");
        assert_eq!(t.columns[3].column_type, "text");
    }
}
