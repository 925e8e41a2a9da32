//! Exact changes of tables without a key (`[other] sync_duplicate_key_changes = exact`).
//!
//! A source table with no primary or unique key lands in a DUPLICATE KEY table, which only
//! appends: a row there has no identity but its whole image, and identical rows are
//! indistinguishable copies. The table is a multiset, and a batch of changes is applied as a
//! change of multiplicities:
//!
//! - an INSERT of image r adds one copy of r; a DELETE removes one; an UPDATE b → a removes one
//!   copy of b and adds one of a;
//! - for every image a that the batch removes a copy of, StarRocks is asked what it holds
//!   under a's predicate P(a) (every column equals a's value, `IS NULL` for NULL): with every
//!   column in P, how many copies, k(a) (`SELECT COUNT(*) … WHERE P(a)`); with columns a
//!   DELETE cannot match (FLOAT/DOUBLE — FE `DeleteMgr.checkDelete` refuses them —, JSON and
//!   VARBINARY — no exact literal), P leaves them out and the rows it matches are read back
//!   (`SELECT …` with `hex()` for VARBINARY), grouped by whole-row image in verify's canonical
//!   form (`verify::canon`: StarRocks prints FLOAT/DOUBLE shortest round-trip, BE
//!   `util/mysql_row_buffer.cpp`, so its text loads back the same value);
//! - the batch's net count of every image under P(a) is what StarRocks holds plus the copies
//!   the batch inserts minus those it removes, in any order (a multiset's changes commute);
//! - the batch becomes: `DELETE FROM t WHERE P(a)` for each P(a) under which StarRocks holds
//!   rows (a DUPLICATE KEY DELETE removes every matching row), and one Stream Load transaction
//!   holding the inserts outside those predicates plus the net copies of every image under them
//!   (rows read back that the batch did not touch are loaded again as they were).
//!
//! Order, and why a crash loses or doubles nothing: the transaction is loaded and PREPARED
//! first; the checkpoint then records, in one atomic write, the new binlog position, the
//! prepared label and the DELETEs that must run before it commits (`PendingDelete`); then the
//! DELETEs run, then the commit. A DELETE is its own StarRocks transaction, versioned when it
//! commits (FE `load/DeleteMgr.createJob` begins it, `OlapDeleteJob.commitImpl` commits and
//! publishes it), so it only removes rows of versions before it: the prepared rows, committed
//! after it, are not touched. After a crash: a label still PREPARED means its DELETEs may not
//! have run — they run again (a second run matches nothing: the old rows are gone and no other
//! writer loads this table), then the commit; a label COMMITTED/VISIBLE means they had run. A
//! batch with removals and nothing to load records its DELETEs alone and runs them on restart
//! the same way. Before the checkpoint write nothing has changed in StarRocks (the prepared
//! transaction is rolled back as a lingering one), and the batch is read again.
//!
//! The counts are exact because the target holds exactly the source's multiset up to the
//! batch (the engine's invariant) and a batch is built from whole source transactions.
//!
//! Cost per batch: one COUNT (or SELECT) and one DELETE per distinct removed predicate, and the
//! rows under it loaded again. A table none of whose columns a DELETE can match could not take
//! it; such a table cannot be planned either (it has no sort key column), so the check is
//! defensive.

use super::batch::Op;
use super::cell::{Cell, Row};
use crate::ident::quote;
use crate::plan::{SrType, TablePlan};
use crate::verify::canon;
use std::collections::HashMap;

/// Whether StarRocks can match a column of this type exactly in a DELETE of a DUPLICATE KEY
/// table: not FLOAT/DOUBLE (FE `DeleteMgr.checkDelete` refuses them), nor JSON or VARBINARY
/// (no literal carries them exactly).
fn in_predicate(ty: &SrType) -> bool {
    !matches!(
        ty,
        SrType::Float | SrType::Double | SrType::Json | SrType::Varbinary(_)
    )
}

/// Why `plan` cannot take exact changes: every column is of a type a DELETE cannot match
/// (there would be no WHERE). Empty when it can.
pub fn unsupported_columns(plan: &TablePlan) -> Vec<String> {
    if plan.columns.iter().any(|c| in_predicate(&c.sr_type)) {
        return Vec::new();
    }
    plan.columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.sr_type))
        .collect()
}

/// Whether some columns are left out of the predicate: the rows a DELETE matches are then read
/// back, and those that are not copies of a removed image are loaded again.
pub fn reads_back(plan: &TablePlan) -> bool {
    plan.columns.iter().any(|c| !in_predicate(&c.sr_type))
}

/// `c1 = v1 AND c2 IS NULL AND …` over every column a DELETE can match: the rows identical to
/// `row` (and, when [`reads_back`], rows differing only in the other columns).
pub fn predicate(plan: &TablePlan, row: &Row) -> String {
    let mut out = String::new();
    for (c, v) in plan.columns.iter().zip(row) {
        if !in_predicate(&c.sr_type) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" AND ");
        }
        out.push_str(&quote(&c.name));
        match v {
            Cell::Null | Cell::Refused(_) => out.push_str(" IS NULL"),
            v => {
                out.push_str(" = ");
                out.push_str(&c.sr_type.literal(v.text()));
            }
        }
    }
    out
}

/// What StarRocks holds that `DELETE … WHERE predicate(row)` would remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// That many copies of the row (every column in the predicate).
    Copies(u64),
    /// These rows (as StarRocks printed them, see `cell::of_target_row`).
    Rows(Vec<Row>),
}

/// A batch of a DUPLICATE KEY table rewritten as DELETEs plus one load.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Rows to load (all inserts).
    pub rows: Vec<(Op, Row)>,
    /// Rows whose predicate is run as a DELETE before the load commits (each stands for the
    /// rows StarRocks holds that it matches, loaded again as many times as survive).
    pub delete: Vec<Row>,
    /// Removals of images StarRocks did not hold (a row set aside by the quarantine, or a
    /// target that diverged): nothing to remove, counted and warned.
    pub missing: u64,
}

/// The canonical form of a row, columns `which` only (verify's one definition of "the same
/// value", applied to source cells and StarRocks' text alike).
fn key(plan: &TablePlan, row: &Row, which: impl Fn(&SrType) -> bool) -> Vec<Option<String>> {
    plan.columns
        .iter()
        .zip(row)
        .filter(|(c, _)| which(&c.sr_type))
        .map(|(c, v)| canon::of_cell(&c.sr_type, v))
        .collect()
}

/// One DELETE's worth: the rows StarRocks holds under one predicate, by whole-row image:
/// image → (a row to load for it, copies), in first-seen order.
#[derive(Default)]
struct Group {
    images: Vec<(Row, u64)>,
    index: HashMap<Vec<Option<String>>, usize>,
    held_any: bool,
}

impl Group {
    fn slot(&mut self, k: Vec<Option<String>>, row: &Row) -> &mut u64 {
        let next = self.images.len();
        let at = *self.index.entry(k).or_insert(next);
        if at == next {
            self.images.push((row.clone(), 0));
        }
        &mut self.images[at].1
    }
}

/// Rewrite `rows` (in order; `Op::Delete` = remove one copy) of target `plan` given `held`,
/// what StarRocks holds under a removed row's predicate (asked once per distinct predicate).
pub fn rewrite(
    plan: &TablePlan,
    rows: Vec<(Op, Row)>,
    held: &mut dyn FnMut(&Row) -> anyhow::Result<Held>,
) -> anyhow::Result<Rewritten> {
    // One group per distinct predicate among the removed rows, in first-removal order.
    let mut groups: Vec<(Row, Group)> = Vec::new();
    let mut group_of: HashMap<Vec<Option<String>>, usize> = HashMap::new();
    for (op, r) in &rows {
        let g = key(plan, r, in_predicate);
        if *op != Op::Delete || group_of.contains_key(&g) {
            continue;
        }
        let mut group = Group::default();
        match held(r)? {
            Held::Copies(k) => {
                *group.slot(key(plan, r, |_| true), r) += k;
                group.held_any = k > 0;
            }
            Held::Rows(rs) => {
                group.held_any = !rs.is_empty();
                for t in rs {
                    *group.slot(key(plan, &t, |_| true), &t) += 1;
                }
            }
        }
        group_of.insert(g, groups.len());
        groups.push((r.clone(), group));
    }
    let mut out = Rewritten::default();
    for (op, r) in rows {
        let Some(&gi) = group_of.get(&key(plan, &r, in_predicate)) else {
            out.rows.push((op, r));
            continue;
        };
        let n = groups[gi].1.slot(key(plan, &r, |_| true), &r);
        match op {
            Op::Upsert => *n += 1,
            Op::Delete if *n > 0 => *n -= 1,
            Op::Delete => out.missing += 1,
        }
    }
    for (r, g) in groups {
        for (row, n) in g.images {
            for _ in 0..n {
                out.rows.push((Op::Upsert, row.clone()));
            }
        }
        if g.held_any {
            out.delete.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Model;
    use crate::sync::batch::tests::{col, plan};

    fn r(v: &str) -> Row {
        vec![Cell::Num("1".into()), Cell::Str(v.into())]
    }

    /// (a INT, s VARCHAR): every column in the predicate, StarRocks asked for counts.
    fn run(rows: Vec<(Op, Row)>, held: &[(&str, u64)]) -> Rewritten {
        let p = plan(
            "d",
            "t",
            Model::Duplicate,
            vec![col("a", SrType::Int), col("s", SrType::Varchar(9))],
        );
        let held: HashMap<Row, u64> = held.iter().map(|(v, k)| (r(v), *k)).collect();
        let mut asked = Vec::new();
        let out = rewrite(&p, rows, &mut |row| {
            asked.push(row.clone());
            Ok(Held::Copies(held.get(row).copied().unwrap_or(0)))
        })
        .unwrap();
        let mut distinct = asked.clone();
        distinct.dedup();
        assert_eq!(asked, distinct, "each image is asked for once");
        out
    }

    fn multiset(rows: &[(Op, Row)]) -> Vec<Row> {
        let mut v: Vec<Row> = rows.iter().map(|(_, r)| r.clone()).collect();
        v.sort_by_key(|r| format!("{r:?}"));
        v
    }

    #[test]
    fn inserts_alone_pass_through_without_queries() {
        let out = run(vec![(Op::Upsert, r("a")), (Op::Upsert, r("a"))], &[]);
        assert_eq!(out.rows.len(), 2);
        assert!(out.delete.is_empty());
    }

    #[test]
    fn deleting_one_of_three_copies_keeps_two() {
        let out = run(vec![(Op::Delete, r("a"))], &[("a", 3)]);
        assert_eq!(out.delete, vec![r("a")]);
        assert_eq!(multiset(&out.rows), vec![r("a"), r("a")]);
    }

    #[test]
    fn update_of_one_copy_moves_it() {
        let out = run(
            vec![(Op::Delete, r("a")), (Op::Upsert, r("b"))],
            &[("a", 2)],
        );
        assert_eq!(out.delete, vec![r("a")]);
        assert_eq!(multiset(&out.rows), vec![r("a"), r("b")]);
    }

    #[test]
    fn a_copy_inserted_and_removed_in_the_batch_needs_no_delete() {
        let out = run(
            vec![
                (Op::Upsert, r("a")),
                (Op::Delete, r("a")),
                (Op::Upsert, r("a")),
            ],
            &[],
        );
        assert!(out.delete.is_empty(), "StarRocks holds no copy of it");
        assert_eq!(multiset(&out.rows), vec![r("a")]);
    }

    #[test]
    fn the_last_copy_removed_leaves_only_the_delete() {
        let out = run(
            vec![
                (Op::Delete, r("a")),
                (Op::Upsert, r("b")),
                (Op::Delete, r("b")),
            ],
            &[("a", 1)],
        );
        assert_eq!(out.delete, vec![r("a")]);
        assert!(out.rows.is_empty());
        assert_eq!(out.missing, 0);
    }

    #[test]
    fn removing_an_image_starrocks_lacks_is_counted_not_negative() {
        let out = run(vec![(Op::Delete, r("z")), (Op::Upsert, r("z"))], &[]);
        assert_eq!(out.missing, 1);
        assert_eq!(multiset(&out.rows), vec![r("z")]);
        assert!(out.delete.is_empty());
    }

    #[test]
    fn rows_sharing_the_predicate_but_not_the_image_are_loaded_again() {
        // (a INT, f DOUBLE): the DELETE matches on `a` only; StarRocks prints its DOUBLE its
        // own way (`1.50` from the source is `1.5` there) and they are the same value.
        let p = plan(
            "d",
            "t",
            Model::Duplicate,
            vec![col("a", SrType::Int), col("f", SrType::Double)],
        );
        let row = |f: &str| vec![Cell::Num("1".into()), Cell::Num(f.into())];
        assert!(reads_back(&p));
        assert_eq!(predicate(&p, &row("2.5")), "`a` = 1");
        let target = vec![row("1.5"), row("1.5"), row("2"), row("3e-7")];
        let out = rewrite(
            &p,
            vec![(Op::Delete, row("1.50")), (Op::Upsert, row("9"))],
            &mut |_| Ok(Held::Rows(target.clone())),
        )
        .unwrap();
        assert_eq!(out.delete.len(), 1);
        assert_eq!(out.missing, 0);
        let f: Vec<f64> = out
            .rows
            .iter()
            .map(|(_, r)| r[1].text().unwrap().parse().unwrap())
            .collect();
        let mut f = f;
        f.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(
            f,
            vec![3e-7, 1.5, 2.0, 9.0],
            "one 1.5 removed, the rest kept"
        );
    }

    #[test]
    fn a_table_no_delete_can_match_is_named() {
        let p = plan(
            "d",
            "t",
            Model::Duplicate,
            vec![col("f", SrType::Double), col("j", SrType::Json)],
        );
        assert_eq!(unsupported_columns(&p), vec!["f DOUBLE", "j JSON"]);
    }
}
