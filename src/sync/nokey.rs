//! Exact changes of tables without a key (`[other] sync_duplicate_key_changes = exact`).
//!
//! A source table with no primary or unique key lands in a DUPLICATE KEY table, which only
//! appends: a row there has no identity but its whole image, and identical rows are
//! indistinguishable copies. The table is a multiset, and a batch of changes is applied as a
//! change of multiplicities:
//!
//! - an INSERT of image r adds one copy of r; a DELETE removes one; an UPDATE b → a removes one
//!   copy of b and adds one of a;
//! - for every image a that the batch removes a copy of (the set A), StarRocks is asked how many
//!   copies it holds, k(a) (`SELECT COUNT(*) … WHERE` every column equals a's value, `IS NULL`
//!   for NULL); the batch's net count is n(a) = k(a) + (copies of a it inserts) − (copies it
//!   removes), in any order (a multiset's changes commute);
//! - the batch becomes: `DELETE FROM t WHERE <a>` for each a with k(a) > 0 (a DUPLICATE KEY
//!   DELETE removes every matching row), and one Stream Load transaction holding the inserts of
//!   images outside A plus n(a) copies of each a.
//!
//! Order, and why a crash loses or doubles nothing: the transaction is loaded and PREPARED
//! first; the checkpoint then records, in one atomic write, the new binlog position, the
//! prepared label and the DELETEs that must run before it commits (`PendingDelete`); then the
//! DELETEs run, then the commit. A DELETE is its own StarRocks transaction, versioned when it
//! commits (FE `load/DeleteMgr.createJob` begins it, `OlapDeleteJob.commitImpl` commits and
//! publishes it), so it only removes rows of versions before it: the prepared rows, committed
//! after it, are not touched. After a crash: a label still PREPARED means its DELETEs may not
//! have run — they run again (a second run matches nothing: the old copies are gone and no
//! other writer loads this table), then the commit; a label COMMITTED/VISIBLE means they had
//! run. A batch with removals and nothing to load records its DELETEs alone and runs them on
//! restart the same way. Before the checkpoint write nothing has changed in StarRocks (the
//! prepared transaction is rolled back as a lingering one), and the batch is read again.
//!
//! The counts are exact because the target holds exactly the source's multiset up to the
//! batch (the engine's invariant) and a batch is built from whole source transactions.
//!
//! Limits (stated where the policy is documented): every column must be one StarRocks can
//! compare in a DELETE of a DUPLICATE KEY table — not FLOAT/DOUBLE (FE `DeleteMgr.checkDelete`
//! refuses them), nor JSON or VARBINARY (no exact literal). A table with such a column stops at
//! its first UPDATE/DELETE, naming them. Cost per batch: one COUNT query and one DELETE per
//! distinct removed image, and the surviving copies of each such image loaded again.

use super::batch::Op;
use super::cell::{Cell, Row};
use crate::ident::quote;
use crate::plan::{SrType, TablePlan};
use std::collections::HashMap;

/// Columns of `plan` that a DELETE predicate of a DUPLICATE KEY table cannot compare exactly
/// (empty: the table can take exact changes).
pub fn unsupported_columns(plan: &TablePlan) -> Vec<String> {
    plan.columns
        .iter()
        .filter(|c| {
            matches!(
                c.sr_type,
                SrType::Float | SrType::Double | SrType::Json | SrType::Varbinary(_)
            )
        })
        .map(|c| format!("{} {}", c.name, c.sr_type))
        .collect()
}

/// `c1 = v1 AND c2 IS NULL AND …` over every column: the rows identical to `row`.
pub fn predicate(plan: &TablePlan, row: &Row) -> String {
    let mut out = String::new();
    for (c, v) in plan.columns.iter().zip(row) {
        if !out.is_empty() {
            out.push_str(" AND ");
        }
        out.push_str(&quote(&c.name));
        match v {
            Cell::Null => out.push_str(" IS NULL"),
            v => {
                out.push_str(" = ");
                out.push_str(&c.sr_type.literal(v.text()));
            }
        }
    }
    out
}

/// A batch of a DUPLICATE KEY table rewritten as DELETEs plus one load.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Rows to load (all inserts).
    pub rows: Vec<(Op, Row)>,
    /// Images whose copies StarRocks holds and that are deleted (then loaded again as many
    /// times as survive) before the load commits.
    pub delete: Vec<Row>,
    /// Removals of images StarRocks did not hold (a row set aside by the quarantine, or a
    /// target that diverged): nothing to remove, counted and warned.
    pub missing: u64,
}

/// Rewrite `rows` (in order; `Op::Delete` = remove one copy) given `held`, the copies
/// StarRocks holds of an image (asked once per distinct removed image).
pub fn rewrite(
    rows: Vec<(Op, Row)>,
    held: &mut dyn FnMut(&Row) -> anyhow::Result<u64>,
) -> anyhow::Result<Rewritten> {
    // Net count per removed image, in first-removal order.
    let mut order: Vec<Row> = Vec::new();
    let mut count: HashMap<Row, (u64, u64)> = HashMap::new(); // image → (held, net)
    for (op, r) in &rows {
        if *op == Op::Delete && !count.contains_key(r) {
            let k = held(r)?;
            count.insert(r.clone(), (k, k));
            order.push(r.clone());
        }
    }
    let mut out = Rewritten::default();
    for (op, r) in rows {
        match (op, count.get_mut(&r)) {
            (Op::Upsert, None) => out.rows.push((Op::Upsert, r)),
            (Op::Upsert, Some((_, n))) => *n += 1,
            (Op::Delete, Some((_, n))) if *n > 0 => *n -= 1,
            (Op::Delete, _) => out.missing += 1,
        }
    }
    for r in order {
        let (k, n) = count[&r];
        for _ in 0..n {
            out.rows.push((Op::Upsert, r.clone()));
        }
        if k > 0 {
            out.delete.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: &str) -> Row {
        vec![Cell::Num("1".into()), Cell::Str(v.into())]
    }

    fn run(rows: Vec<(Op, Row)>, held: &[(&str, u64)]) -> Rewritten {
        let held: HashMap<Row, u64> = held.iter().map(|(v, k)| (r(v), *k)).collect();
        let mut asked = Vec::new();
        let out = rewrite(rows, &mut |row| {
            asked.push(row.clone());
            Ok(held.get(row).copied().unwrap_or(0))
        })
        .unwrap();
        let mut distinct = asked.clone();
        distinct.dedup();
        assert_eq!(asked, distinct, "each image is counted once");
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
}
