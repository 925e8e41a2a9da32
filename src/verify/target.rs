//! The target side of `smt verify`: reads over the FE's MySQL protocol, in key order, a page at a
//! time: `SELECT cols FROM t WHERE <after the last key> ORDER BY key LIMIT n`, the keyset
//! condition written out (`a > x OR (a = x AND b > y)`: StarRocks has no row-constructor
//! comparison). VARBINARY columns are read as `hex(c)`. Every value goes through
//! [`super::canon`] with its column's type.

use super::canon::{self, Row};
use super::source::KeySpec;
use crate::error::{fail, Kind};
use crate::ident::{quote, quote_qualified};
use crate::plan::{SrType, TablePlan};
use crate::starrocks::fe::FeClient;
use anyhow::Result;
use std::collections::{HashMap, HashSet, VecDeque};

/// The SELECT list of every plan column.
pub fn select_list(plan: &TablePlan) -> String {
    plan.columns
        .iter()
        .map(|c| match c.sr_type {
            SrType::Varbinary(_) => format!("hex({})", quote(&c.name)),
            _ => quote(&c.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn from(plan: &TablePlan) -> String {
    quote_qualified(&plan.target_database, &plan.target_table)
}

/// `k1 > v1 OR (k1 = v1 AND (k2 > v2 OR (k2 = v2 AND k3 > v3)))`.
pub fn after_condition(plan: &TablePlan, key: &KeySpec, last: &Row) -> String {
    fn rec(plan: &TablePlan, key: &KeySpec, last: &Row, i: usize) -> String {
        let c = quote(&plan.columns[key.cols[i]].name);
        let v = key.tys[i].literal(last[i].as_deref());
        if i + 1 == key.cols.len() {
            format!("{c} > {v}")
        } else {
            format!(
                "{c} > {v} OR ({c} = {v} AND ({}))",
                rec(plan, key, last, i + 1)
            )
        }
    }
    rec(plan, key, last, 0)
}

fn order_by(plan: &TablePlan, key: &KeySpec) -> String {
    key.cols
        .iter()
        .map(|&i| quote(&plan.columns[i].name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn canon_row(plan: &TablePlan, vals: Vec<Option<String>>) -> Row {
    vals.iter()
        .zip(&plan.columns)
        .map(|(v, c)| canon::of_text(&c.sr_type, v.as_deref()))
        .collect()
}

fn query(fe: &mut FeClient, plan: &TablePlan, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
    let rows = fe.query_rows(sql).map_err(|e| {
        fail(
            Kind::Target,
            format!(
                "reading {} on StarRocks failed: {e} (query: {sql})",
                plan.target_name()
            ),
        )
    })?;
    if !rows.rows.is_empty() && rows.columns.len() != plan.columns.len() {
        return Err(fail(
            Kind::Target,
            format!(
                "{} answered {} columns, the plan has {}",
                plan.target_name(),
                rows.columns.len(),
                plan.columns.len()
            ),
        ));
    }
    Ok(rows.rows)
}

/// `SELECT COUNT(*)` of the target table.
pub fn count(fe: &mut FeClient, plan: &TablePlan) -> Result<u64> {
    let sql = format!("SELECT COUNT(*) FROM {}", from(plan));
    let rows = fe.query_rows(&sql).map_err(|e| {
        fail(
            Kind::Target,
            format!("counting the rows of {} failed: {e}", plan.target_name()),
        )
    })?;
    let n = rows
        .rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|t| t.trim().parse::<u64>().ok());
    n.ok_or_else(|| {
        fail(
            Kind::Target,
            format!("COUNT(*) of {} gave no number", plan.target_name()),
        )
    })
}

/// The target's rows in key order, a page at a time.
pub struct TableRows<'a> {
    fe: &'a mut FeClient,
    plan: &'a TablePlan,
    key: &'a KeySpec,
    page: usize,
    last: Option<Row>,
    buf: VecDeque<Row>,
    done: bool,
}

impl<'a> TableRows<'a> {
    pub fn new(fe: &'a mut FeClient, plan: &'a TablePlan, key: &'a KeySpec, page: usize) -> Self {
        TableRows {
            fe,
            plan,
            key,
            page: page.max(1),
            last: None,
            buf: VecDeque::new(),
            done: false,
        }
    }

    fn fill(&mut self) -> Result<()> {
        let mut sql = format!("SELECT {} FROM {}", select_list(self.plan), from(self.plan));
        if let Some(last) = &self.last {
            sql.push_str(" WHERE ");
            sql.push_str(&after_condition(self.plan, self.key, last));
        }
        sql.push_str(&format!(
            " ORDER BY {} LIMIT {}",
            order_by(self.plan, self.key),
            self.page
        ));
        let rows = query(self.fe, self.plan, &sql)?;
        if rows.len() < self.page {
            self.done = true;
        }
        for r in rows {
            let row = canon_row(self.plan, r);
            self.last = Some(self.key.of(&row));
            self.buf.push_back(row);
        }
        Ok(())
    }
}

impl super::compare::RowStream for TableRows<'_> {
    fn next_row(&mut self) -> Result<Option<Row>> {
        if self.buf.is_empty() && !self.done {
            self.fill()?;
        }
        Ok(self.buf.pop_front())
    }
}

/// The target rows of `keys` (canonical compare keys), batched, and the keys the target holds
/// more than once (a DUPLICATE KEY table; the map keeps the first row).
pub fn lookup(
    fe: &mut FeClient,
    plan: &TablePlan,
    key: &KeySpec,
    keys: &[Row],
) -> Result<(HashMap<Row, Row>, HashSet<Row>)> {
    let mut out = HashMap::new();
    let mut dups = HashSet::new();
    for batch in keys.chunks(200) {
        let cond = if key.cols.len() == 1 {
            let c = quote(&plan.columns[key.cols[0]].name);
            let nulls = batch.iter().any(|k| k[0].is_none());
            let vals: Vec<String> = batch
                .iter()
                .filter(|k| k[0].is_some())
                .map(|k| key.tys[0].literal(k[0].as_deref()))
                .collect();
            let mut parts = Vec::new();
            if !vals.is_empty() {
                parts.push(format!("{c} IN ({})", vals.join(", ")));
            }
            if nulls {
                parts.push(format!("{c} IS NULL"));
            }
            parts.join(" OR ")
        } else {
            batch
                .iter()
                .map(|k| {
                    let parts: Vec<String> = key
                        .cols
                        .iter()
                        .zip(&key.tys)
                        .zip(k.iter())
                        .map(|((&i, ty), v)| {
                            let c = quote(&plan.columns[i].name);
                            match v {
                                None => format!("{c} IS NULL"),
                                Some(_) => format!("{c} = {}", ty.literal(v.as_deref())),
                            }
                        })
                        .collect();
                    format!("({})", parts.join(" AND "))
                })
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE {cond}",
            select_list(plan),
            from(plan)
        );
        for r in query(fe, plan, &sql)? {
            let row = canon_row(plan, r);
            let k = key.of(&row);
            if batch.contains(&k) {
                match out.entry(k) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        dups.insert(e.key().clone());
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(row);
                    }
                }
            }
        }
    }
    Ok((out, dups))
}

/// Every target row, streamed (tables without a key: the checksum).
pub fn each_row(
    fe: &mut FeClient,
    plan: &TablePlan,
    f: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<()> {
    let sql = format!("SELECT {} FROM {}", select_list(plan), from(plan));
    fe.query_each(&sql, &mut |vals| f(canon_row(plan, vals)))
        .map_err(|e| {
            fail(
                Kind::Target,
                format!("reading {} on StarRocks failed: {e:#}", plan.target_name()),
            )
        })
}
