//! The streaming comparison: two streams of canonical rows, each in key order, merged like a
//! sort-merge join. Pure (no I/O): the streams are anything that yields rows.
//!
//! Invariant: memory is what the streams buffer (a page each) plus the differing keys kept for
//! the re-check (at most `keep` of them); every row is looked at once. When a stream is not in
//! the comparator's order (a collation quirk the source's ORDER BY expression does not cover),
//! the merge reports a missing and an extra key instead of an equal row — never an equality
//! that is not one — and the point re-check of those keys finds them equal.

use super::canon::{cmp_key, Row};
use crate::plan::SrType;
use std::cmp::Ordering;

/// A stream of canonical rows in key order.
pub trait RowStream {
    fn next_row(&mut self) -> anyhow::Result<Option<Row>>;
}

/// How a key differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// In the source, not in the target.
    Missing,
    /// In the target, not in the source.
    Extra,
    /// In both, with different values.
    Different,
}

/// What the merge found.
#[derive(Debug, Default)]
pub struct Merged {
    pub source_rows: u64,
    pub target_rows: u64,
    /// Differing keys, in key order, at most `keep`.
    pub keys: Vec<(DiffKind, Row)>,
    /// Differences found beyond `keep` (not re-checked; counted by kind).
    pub overflow: [u64; 3],
}

impl Merged {
    pub fn differences(&self) -> u64 {
        self.keys.len() as u64 + self.overflow.iter().sum::<u64>()
    }
}

fn kind_index(k: DiffKind) -> usize {
    match k {
        DiffKind::Missing => 0,
        DiffKind::Extra => 1,
        DiffKind::Different => 2,
    }
}

/// Overflow counts by kind.
pub fn overflow_of(m: &Merged, k: DiffKind) -> u64 {
    m.overflow[kind_index(k)]
}

/// Merge `src` and `dst`; `key` = indexes of the key columns in a row, `tys` their types.
/// `progress` is called with (source rows, target rows) every `every` rows.
pub fn merge(
    src: &mut dyn RowStream,
    dst: &mut dyn RowStream,
    key: &[usize],
    tys: &[SrType],
    keep: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> anyhow::Result<Merged> {
    let mut m = Merged::default();
    let key_of = |r: &Row| -> Row { key.iter().map(|&i| r.get(i).cloned().flatten()).collect() };
    let mut a = src.next_row()?;
    let mut b = dst.next_row()?;
    let note = |m: &mut Merged, k: DiffKind, key: Row| {
        if m.keys.len() < keep {
            m.keys.push((k, key));
        } else {
            m.overflow[kind_index(k)] += 1;
        }
    };
    let mut seen = 0u64;
    loop {
        let step = match (&a, &b) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => cmp_key(tys, &key_of(x), &key_of(y)),
        };
        match step {
            Ordering::Less => {
                let x = a.take().unwrap_or_default();
                note(&mut m, DiffKind::Missing, key_of(&x));
                m.source_rows += 1;
                a = src.next_row()?;
            }
            Ordering::Greater => {
                let y = b.take().unwrap_or_default();
                note(&mut m, DiffKind::Extra, key_of(&y));
                m.target_rows += 1;
                b = dst.next_row()?;
            }
            Ordering::Equal => {
                let (x, y) = (a.take().unwrap_or_default(), b.take().unwrap_or_default());
                if x != y {
                    note(&mut m, DiffKind::Different, key_of(&x));
                }
                m.source_rows += 1;
                m.target_rows += 1;
                a = src.next_row()?;
                b = dst.next_row()?;
            }
        }
        seen += 1;
        if seen.is_multiple_of(50_000) {
            progress(m.source_rows, m.target_rows);
        }
    }
    progress(m.source_rows, m.target_rows);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct V(std::vec::IntoIter<Row>);
    impl RowStream for V {
        fn next_row(&mut self) -> anyhow::Result<Option<Row>> {
            Ok(self.0.next())
        }
    }
    fn rows(v: &[(&str, &str)]) -> V {
        V(v.iter()
            .map(|(k, x)| vec![Some(k.to_string()), Some(x.to_string())])
            .collect::<Vec<_>>()
            .into_iter())
    }

    #[test]
    fn finds_missing_extra_and_different_keys() {
        let mut s = rows(&[("1", "a"), ("2", "b"), ("3", "c"), ("10", "x")]);
        let mut t = rows(&[("1", "a"), ("3", "C"), ("4", "d"), ("10", "x"), ("10", "x")]);
        let m = merge(&mut s, &mut t, &[0], &[SrType::Int], 100, &mut |_, _| {}).unwrap();
        let got: Vec<(DiffKind, &str)> = m
            .keys
            .iter()
            .map(|(k, r)| (*k, r[0].as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                (DiffKind::Missing, "2"),
                (DiffKind::Different, "3"),
                (DiffKind::Extra, "4"),
                (DiffKind::Extra, "10"),
            ]
        );
        assert_eq!((m.source_rows, m.target_rows), (4, 5));
    }

    #[test]
    fn keeps_at_most_keep_keys_and_counts_the_rest() {
        let mut s = rows(&[("1", "a"), ("2", "b"), ("3", "c")]);
        let mut t = rows(&[]);
        let m = merge(&mut s, &mut t, &[0], &[SrType::Int], 1, &mut |_, _| {}).unwrap();
        assert_eq!(m.keys.len(), 1);
        assert_eq!(overflow_of(&m, DiffKind::Missing), 2);
        assert_eq!(m.differences(), 3);
    }
}
