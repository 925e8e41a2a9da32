//! Evaluating the SELECT and DELETE forms the FE supports against a table: WHERE predicates with
//! StarRocks' comparison types, ORDER BY, aggregates, and the MySQL result-set column types.
//!
//! Modelled on StarRocks' FE analyzer (newest stored sources; not verified on a cluster):
//! - comparison type of `column op literal` (`sql/common/TypeManager.getCompatibleTypeForBinary`;
//!   older versions `analysis/BinaryPredicate.getCmpType`): `=` / `!=` between a string and an
//!   exact number (integer, DECIMAL, LARGEINT) compare as strings (`getEquivalenceBaseType`,
//!   session `cbo_eq_base_type` default); DATE/DATETIME against a string (or a date) compare as
//!   DATETIME; VARCHAR with VARCHAR as strings (byte order); integers and DECIMALs with
//!   integer/decimal literals exactly; everything else as DOUBLE. IN lists follow the `=` rule
//!   (`getCompatibleTypeForBetweenAndIn`, not BETWEEN: the same string special case). A literal
//!   that does not convert to the comparison type makes the comparison NULL.
//! - NULL: three-valued logic; `col op NULL` is NULL.
//! - ORDER BY: `NULLS FIRST` by default for ASC, `NULLS LAST` for DESC
//!   (`sql/parser/AstBuilder.getNullOrderingType`).
//! - DELETE on DUPLICATE / UNIQUE / AGGREGATE tables (`sql/analyzer/DeleteAnalyzer.analyzePredicate`,
//!   `load/DeleteMgr.checkDelete`): only AND-ed `col op literal`, `col [NOT] IN (...)`,
//!   `col IS [NOT] NULL`; any column on DUPLICATE tables, key columns only otherwise, never
//!   FLOAT/DOUBLE or complex columns; a literal must convert to the column type; `col = NULL` or
//!   an IN list of NULLs deletes nothing. PRIMARY KEY tables take any WHERE.
//! - result-set column types: FE `catalog/PrimitiveType.toMysqlType`.

use crate::sql::{CmpOp, KeysType, Lit, Pred, SqlError, TableDef};
use crate::state::Row;
use crate::types::{convert, sort_key, ColType};
use std::cmp::Ordering;

/// A literal prepared for comparing with one column.
#[derive(Debug, Clone)]
pub enum Prepared {
    Null,
    /// Exact numeric comparison with this (validated) integer/decimal text.
    Exact(String),
    Double(f64),
    /// Byte-order comparison with the column's text.
    Text(String),
    /// Canonical DATETIME text (`YYYY-MM-DD HH:MM:SS[.ffffff]`).
    DateTime(String),
    Bytes(Vec<u8>),
}

/// A predicate bound to a table's columns.
#[derive(Debug, Clone)]
pub enum Compiled {
    Cmp {
        col: usize,
        op: CmpOp,
        lit: Prepared,
    },
    IsNull {
        col: usize,
        negated: bool,
    },
    In {
        col: usize,
        list: Vec<Prepared>,
        negated: bool,
    },
    And(Box<Compiled>, Box<Compiled>),
    Or(Box<Compiled>, Box<Compiled>),
    Not(Box<Compiled>),
    Const(bool),
}

pub fn col_index(def: &TableDef, name: &str) -> Result<usize, SqlError> {
    def.col_index(name)
        .ok_or_else(|| SqlError::analysis(format!("Column '{name}' cannot be resolved")))
}

fn lit_text(l: &Lit) -> Option<String> {
    match l {
        Lit::Null => None,
        Lit::Num(n) => Some(n.clone()),
        Lit::Str(s) => Some(s.clone()),
        Lit::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
    }
}

fn is_exact_numeric(ty: &ColType) -> bool {
    ty.is_integer() || matches!(ty, ColType::Decimal { .. })
}

fn is_string(ty: &ColType) -> bool {
    matches!(ty, ColType::Char(_) | ColType::Varchar(_) | ColType::String)
}

/// Prepare `lit` for comparisons with a column of type `ty`. `string_eq`: the comparison is
/// `=`, `!=` or IN (not a range).
fn prepare(ty: &ColType, lit: &Lit, string_eq: bool, col: &str) -> Result<Prepared, SqlError> {
    let lit = match lit {
        Lit::Null => return Ok(Prepared::Null),
        Lit::Bool(b) => Lit::Num(if *b { "1" } else { "0" }.into()),
        other => other.clone(),
    };
    let double = |s: &str| {
        s.trim()
            .parse::<f64>()
            .map(Prepared::Double)
            .unwrap_or(Prepared::Null)
    };
    Ok(match (ty, &lit) {
        (t, Lit::Num(n)) if is_exact_numeric(t) => {
            if dec_parts(n).is_none() {
                return Err(SqlError::analysis(format!("Invalid number literal {n}")));
            }
            Prepared::Exact(n.clone())
        }
        (t, Lit::Str(s)) if is_exact_numeric(t) => {
            if string_eq {
                Prepared::Text(s.clone())
            } else {
                double(s)
            }
        }
        (ColType::Float | ColType::Double, Lit::Num(s) | Lit::Str(s)) => double(s),
        (t, Lit::Str(s)) if is_string(t) => Prepared::Text(s.clone()),
        (t, Lit::Num(n)) if is_string(t) => {
            if string_eq {
                Prepared::Text(n.clone())
            } else {
                double(n)
            }
        }
        (ColType::Date | ColType::DateTime, Lit::Str(s) | Lit::Num(s)) => {
            match convert(&ColType::DateTime, s) {
                Ok(dt) => Prepared::DateTime(dt),
                Err(_) => Prepared::Null,
            }
        }
        (ColType::Varbinary(_) | ColType::Binary(_), Lit::Str(s) | Lit::Num(s)) => {
            Prepared::Bytes(s.as_bytes().to_vec())
        }
        (t, _) => {
            return Err(SqlError::unsupported(format!(
                "comparing column '{col}' of type {} in WHERE",
                t.render()
            )))
        }
    })
}

/// Bind a predicate to `def`'s columns (SELECT, and DELETE on PRIMARY KEY tables).
pub fn compile(def: &TableDef, p: &Pred) -> Result<Compiled, SqlError> {
    Ok(match p {
        Pred::Cmp { col, op, lit, .. } => {
            let i = col_index(def, col)?;
            let string_eq = matches!(op, CmpOp::Eq | CmpOp::Ne);
            Compiled::Cmp {
                col: i,
                op: *op,
                lit: prepare(&def.columns[i].ty, lit, string_eq, col)?,
            }
        }
        Pred::IsNull { col, negated } => Compiled::IsNull {
            col: col_index(def, col)?,
            negated: *negated,
        },
        Pred::In { col, list, negated } => {
            let i = col_index(def, col)?;
            let list = list
                .iter()
                .map(|l| prepare(&def.columns[i].ty, l, true, col))
                .collect::<Result<_, _>>()?;
            Compiled::In {
                col: i,
                list,
                negated: *negated,
            }
        }
        Pred::And(a, b) => Compiled::And(Box::new(compile(def, a)?), Box::new(compile(def, b)?)),
        Pred::Or(a, b) => Compiled::Or(Box::new(compile(def, a)?), Box::new(compile(def, b)?)),
        Pred::Not(a) => Compiled::Not(Box::new(compile(def, a)?)),
        Pred::Const(b) => Compiled::Const(*b),
    })
}

/// DELETE conditions of a DUPLICATE / UNIQUE / AGGREGATE table (see the module doc): `Ok(None)`
/// when the statement deletes nothing (`col = NULL`, `col IN (NULL)`).
pub fn compile_delete_conditions(def: &TableDef, p: &Pred) -> Result<Option<Compiled>, SqlError> {
    fn conjuncts<'a>(p: &'a Pred, out: &mut Vec<&'a Pred>) -> Result<(), SqlError> {
        match p {
            Pred::And(a, b) => {
                conjuncts(a, out)?;
                conjuncts(b, out)
            }
            Pred::Or(..) => Err(SqlError::analysis("Compound predicate's op should be AND")),
            Pred::Cmp { lit_left: true, .. } => Err(SqlError::analysis(
                "Left expr of binary predicate should be column name",
            )),
            Pred::Cmp { .. } | Pred::IsNull { .. } | Pred::In { .. } => {
                out.push(p);
                Ok(())
            }
            Pred::Not(_) | Pred::Const(_) => Err(SqlError::analysis(
                "Where clause only supports compound predicate, binary predicate, is_null predicate and in predicate",
            )),
        }
    }
    let mut parts = Vec::new();
    conjuncts(p, &mut parts)?;
    let ddl = |m: String| SqlError::new(1064, "HY000", m);
    let mut out: Option<Compiled> = None;
    for part in parts {
        let name = match part {
            Pred::Cmp { col, .. } | Pred::IsNull { col, .. } | Pred::In { col, .. } => col,
            _ => unreachable!("conjuncts are simple predicates"),
        };
        let Some(i) = def.col_index(name) else {
            return Err(SqlError::new(
                1054,
                "42S22",
                format!("Unknown column '{name}' in '{}'", def.name),
            ));
        };
        let c = &def.columns[i];
        let is_key = i < def.key_cols.len();
        if (!is_key && def.keys_type != KeysType::Duplicate)
            || matches!(c.ty, ColType::Float | ColType::Double)
        {
            return Err(ddl(format!(
                "Column[{name}] is not key column or storage model is not duplicate or column type is float or double."
            )));
        }
        if c.ty.is_complex() {
            return Err(ddl(format!(
                "unsupported delete condition on Array/Map/Struct type column[{name}]"
            )));
        }
        // The literal is converted to the column type (`DeleteMgr.updatePredicate`).
        let binary = matches!(c.ty, ColType::Varbinary(_) | ColType::Binary(_));
        let typed = |l: &Lit| -> Result<Lit, SqlError> {
            let Some(text) = lit_text(l) else {
                return Ok(Lit::Null);
            };
            if binary {
                // Compared with the literal's bytes, as in SELECT.
                return Ok(l.clone());
            }
            let canon = convert(&c.ty, &text)
                .map_err(|e| ddl(format!("Invalid value for column {name}: {e}")))?;
            Ok(if is_exact_numeric(&c.ty) {
                Lit::Num(canon)
            } else {
                Lit::Str(canon)
            })
        };
        let compiled = match part {
            Pred::Cmp { op, lit, .. } => {
                if *lit == Lit::Null {
                    return Ok(None);
                }
                Compiled::Cmp {
                    col: i,
                    op: *op,
                    lit: prepare(&c.ty, &typed(lit)?, false, name)?,
                }
            }
            Pred::IsNull { negated, .. } => Compiled::IsNull {
                col: i,
                negated: *negated,
            },
            Pred::In { list, negated, .. } => {
                let list: Vec<Lit> = list.iter().filter(|l| **l != Lit::Null).cloned().collect();
                if list.is_empty() {
                    return Ok(None);
                }
                Compiled::In {
                    col: i,
                    list: list
                        .iter()
                        .map(|l| prepare(&c.ty, &typed(l)?, false, name))
                        .collect::<Result<_, _>>()?,
                    negated: *negated,
                }
            }
            _ => unreachable!("conjuncts are simple predicates"),
        };
        out = Some(match out {
            None => compiled,
            Some(prev) => Compiled::And(Box::new(prev), Box::new(compiled)),
        });
    }
    Ok(out)
}

/// Sign, integer digits (no leading zeros) and fraction digits (no trailing zeros) of a
/// number text.
fn dec_parts(s: &str) -> Option<(bool, &str, &str)> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (i, f) = body.split_once('.').unwrap_or((body, ""));
    if (i.is_empty() && f.is_empty())
        || !i.bytes().all(|b| b.is_ascii_digit())
        || !f.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let i = i.trim_start_matches('0');
    let f = f.trim_end_matches('0');
    Some((neg && !(i.is_empty() && f.is_empty()), i, f))
}

/// Exact comparison of two number texts.
fn cmp_dec(a: &str, b: &str) -> Option<Ordering> {
    let (an, ai, af) = dec_parts(a)?;
    let (bn, bi, bf) = dec_parts(b)?;
    if an != bn {
        return Some(if an {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let mag = ai
        .len()
        .cmp(&bi.len())
        .then_with(|| ai.cmp(bi))
        .then_with(|| af.cmp(bf));
    Some(if an { mag.reverse() } else { mag })
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn compare(ty: &ColType, v: &str, lit: &Prepared) -> Option<Ordering> {
    match lit {
        Prepared::Null => None,
        Prepared::Exact(l) => cmp_dec(v, l),
        Prepared::Double(l) => v.trim().parse::<f64>().ok()?.partial_cmp(l),
        Prepared::Text(l) => Some(v.as_bytes().cmp(l.as_bytes())),
        Prepared::DateTime(l) => Some(match ty {
            // A DATE is the DATETIME at midnight.
            ColType::Date => match v.cmp(l.get(..10).unwrap_or(l)) {
                Ordering::Equal => "00:00:00".cmp(l.get(11..).unwrap_or("")),
                o => o,
            },
            _ => v.cmp(l),
        }),
        Prepared::Bytes(l) => Some(unhex(v).as_slice().cmp(l.as_slice())),
    }
}

fn holds(op: CmpOp, o: Ordering) -> bool {
    match op {
        CmpOp::Eq => o == Ordering::Equal,
        CmpOp::Ne => o != Ordering::Equal,
        CmpOp::Lt => o == Ordering::Less,
        CmpOp::Le => o != Ordering::Greater,
        CmpOp::Gt => o == Ordering::Greater,
        CmpOp::Ge => o != Ordering::Less,
    }
}

/// Evaluate a predicate on a row: `Some(true)` selects it; `None` is SQL NULL.
pub fn eval(c: &Compiled, def: &TableDef, row: &Row) -> Option<bool> {
    let cell = |i: usize| row.get(i).and_then(|v| v.as_deref());
    match c {
        Compiled::Cmp { col, op, lit } => {
            let v = cell(*col)?;
            compare(&def.columns[*col].ty, v, lit).map(|o| holds(*op, o))
        }
        Compiled::IsNull { col, negated } => Some(cell(*col).is_none() != *negated),
        Compiled::In { col, list, negated } => {
            let v = cell(*col)?;
            let ty = &def.columns[*col].ty;
            let mut saw_null = false;
            let mut found = false;
            for l in list {
                match compare(ty, v, l) {
                    Some(Ordering::Equal) => {
                        found = true;
                        break;
                    }
                    Some(_) => {}
                    None => saw_null = true,
                }
            }
            let r = if found {
                Some(true)
            } else if saw_null {
                None
            } else {
                Some(false)
            };
            r.map(|b| b != *negated)
        }
        Compiled::And(a, b) => match (eval(a, def, row), eval(b, def, row)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Compiled::Or(a, b) => match (eval(a, def, row), eval(b, def, row)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Compiled::Not(a) => eval(a, def, row).map(|b| !b),
        Compiled::Const(b) => Some(*b),
    }
}

/// A value of column `col` (of type `ty`) that every row satisfying `c` is at least, in the
/// column's canonical text — so a scan in key order may start there (`smt verify`'s pages
/// `k > x OR (k = x AND ...)` then cost their size, not their position). Conservative: `None`
/// when no such bound follows from the predicate.
pub fn lower_bound(c: &Compiled, col: usize, ty: &ColType) -> Option<String> {
    let canonical = |lit: &Prepared| -> Option<String> {
        match lit {
            Prepared::Exact(s) if is_exact_numeric(ty) => convert(ty, s).ok(),
            Prepared::Text(s) if is_string(ty) => Some(s.clone()),
            Prepared::DateTime(s) if *ty == ColType::DateTime => Some(s.clone()),
            Prepared::DateTime(s) if *ty == ColType::Date => s.get(..10).map(str::to_string),
            _ => None,
        }
    };
    let key = |s: &String| sort_key(ty, Some(s));
    match c {
        Compiled::Cmp {
            col: c0,
            op: CmpOp::Gt | CmpOp::Ge | CmpOp::Eq,
            lit,
        } if *c0 == col => canonical(lit),
        Compiled::In {
            col: c0,
            list,
            negated: false,
        } if *c0 == col => {
            let mut low: Option<String> = None;
            for l in list {
                let v = canonical(l)?;
                if low.as_ref().is_none_or(|b| key(&v) < key(b)) {
                    low = Some(v);
                }
            }
            low
        }
        Compiled::And(a, b) => match (lower_bound(a, col, ty), lower_bound(b, col, ty)) {
            (Some(x), Some(y)) => Some(if key(&x) >= key(&y) { x } else { y }),
            (x, None) | (None, x) => x,
        },
        Compiled::Or(a, b) => {
            let (x, y) = (lower_bound(a, col, ty)?, lower_bound(b, col, ty)?);
            Some(if key(&x) <= key(&y) { x } else { y })
        }
        _ => None,
    }
}

/// One ORDER BY key bound to a column.
#[derive(Debug, Clone, Copy)]
pub struct OrderKey {
    pub col: usize,
    pub desc: bool,
    pub nulls_first: bool,
}

/// Compare two rows by ORDER BY keys (each column by its type: numbers numerically, DECIMAL
/// exactly, dates chronologically, strings and VARBINARY in byte order).
pub fn cmp_rows(def: &TableDef, keys: &[OrderKey], a: &Row, b: &Row) -> Ordering {
    for k in keys {
        let ty = &def.columns[k.col].ty;
        let (x, y) = (a[k.col].as_deref(), b[k.col].as_deref());
        let o = match (x, y) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (Some(_), None) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Some(_), Some(_)) => {
                let o = sort_key(ty, x).cmp(&sort_key(ty, y));
                if k.desc {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// How a result-set column is described and its values are sent (FE
/// `PrimitiveType.toMysqlType`): MySQL type code, character set (63 = binary, 33 = utf8),
/// decimals; `hex_bytes`: the stored text is VARBINARY hex, sent as the raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MysqlCol {
    pub code: u8,
    pub charset: u16,
    pub len: u32,
    pub decimals: u8,
    pub hex_bytes: bool,
}

pub const MYSQL_TYPE_TINY: u8 = 1;
pub const MYSQL_TYPE_SHORT: u8 = 2;
pub const MYSQL_TYPE_LONG: u8 = 3;
pub const MYSQL_TYPE_FLOAT: u8 = 4;
pub const MYSQL_TYPE_DOUBLE: u8 = 5;
pub const MYSQL_TYPE_LONGLONG: u8 = 8;
pub const MYSQL_TYPE_DATE: u8 = 10;
pub const MYSQL_TYPE_DATETIME: u8 = 12;
pub const MYSQL_TYPE_NEWDECIMAL: u8 = 246;
pub const MYSQL_TYPE_BLOB: u8 = 252;
pub const MYSQL_TYPE_VAR_STRING: u8 = 253;
pub const MYSQL_TYPE_STRING: u8 = 254;

pub fn mysql_col(ty: &ColType) -> MysqlCol {
    let (code, charset, len, decimals) = match ty {
        ColType::Boolean | ColType::TinyInt => (MYSQL_TYPE_TINY, 63, 4, 0),
        ColType::SmallInt => (MYSQL_TYPE_SHORT, 63, 6, 0),
        ColType::Int => (MYSQL_TYPE_LONG, 63, 11, 0),
        ColType::BigInt => (MYSQL_TYPE_LONGLONG, 63, 20, 0),
        ColType::Float => (MYSQL_TYPE_FLOAT, 63, 12, 31),
        ColType::Double => (MYSQL_TYPE_DOUBLE, 63, 22, 31),
        ColType::Date => (MYSQL_TYPE_DATE, 63, 10, 0),
        ColType::DateTime => (MYSQL_TYPE_DATETIME, 63, 26, 6),
        ColType::Decimal { precision, scale } => (
            MYSQL_TYPE_NEWDECIMAL,
            63,
            precision + 2,
            (*scale).min(255) as u8,
        ),
        ColType::Varchar(n) => (MYSQL_TYPE_VAR_STRING, 33, n.saturating_mul(3), 0),
        ColType::Varbinary(n) | ColType::Binary(n) => (MYSQL_TYPE_BLOB, 63, *n, 0),
        ColType::String => (MYSQL_TYPE_VAR_STRING, 33, crate::types::STRING_MAX * 3, 0),
        _ => (MYSQL_TYPE_STRING, 33, 65533, 0),
    };
    MysqlCol {
        code,
        charset,
        len,
        decimals,
        hex_bytes: matches!(ty, ColType::Varbinary(_) | ColType::Binary(_)),
    }
}

/// `VARCHAR` result columns (hex(), CAST AS VARCHAR).
pub fn varchar_col(hex_bytes: bool) -> MysqlCol {
    MysqlCol {
        code: MYSQL_TYPE_VAR_STRING,
        charset: 33,
        len: 65533,
        decimals: 0,
        hex_bytes,
    }
}

/// BE `StringFunctions::hex_int` (BIGINT: upper-case hex of the two's-complement 64-bit value)
/// and `hex_string` (each byte as two upper-case hex digits; VARBINARY: its bytes).
pub fn hex_of(ty: &ColType, v: &str) -> String {
    match ty {
        ColType::Varbinary(_) | ColType::Binary(_) => v.to_string(),
        t if t.is_integer() => match v.parse::<i64>() {
            Ok(i) => format!("{:X}", i as u64),
            Err(_) => v.bytes().map(|b| format!("{b:02X}")).collect(),
        },
        _ => v.bytes().map(|b| format!("{b:02X}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_number_comparison() {
        assert_eq!(cmp_dec("10", "9"), Some(Ordering::Greater));
        assert_eq!(cmp_dec("-10", "-9"), Some(Ordering::Less));
        assert_eq!(cmp_dec("1.50", "1.5"), Some(Ordering::Equal));
        assert_eq!(cmp_dec("0.5", "0.25"), Some(Ordering::Greater));
        assert_eq!(cmp_dec("-0.00", "0"), Some(Ordering::Equal));
        assert_eq!(cmp_dec("007", "7.000"), Some(Ordering::Equal));
        assert_eq!(
            cmp_dec(
                "170141183460469231731687303715884105727",
                "170141183460469231731687303715884105726.9"
            ),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp_dec("abc", "1"), None);
    }

    #[test]
    fn date_against_datetime() {
        let lit = Prepared::DateTime("2024-01-01 10:00:00".into());
        assert_eq!(
            compare(&ColType::Date, "2024-01-01", &lit),
            Some(Ordering::Less)
        );
        let lit = Prepared::DateTime("2024-01-01 00:00:00".into());
        assert_eq!(
            compare(&ColType::Date, "2024-01-01", &lit),
            Some(Ordering::Equal)
        );
        let lit = Prepared::DateTime("2024-01-01 00:00:00.000001".into());
        assert_eq!(
            compare(&ColType::DateTime, "2024-01-01 00:00:00", &lit),
            Some(Ordering::Less)
        );
        assert_eq!(hex_of(&ColType::BigInt, "-1"), "FFFFFFFFFFFFFFFF");
        assert_eq!(hex_of(&ColType::Int, "255"), "FF");
        assert_eq!(hex_of(&ColType::Varchar(3), "ab"), "6162");
    }
}
