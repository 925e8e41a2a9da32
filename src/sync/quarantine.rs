//! Quarantine (`[other] sync_reject_policy = quarantine`): rows StarRocks refuses are set
//! aside instead of stopping every table.
//!
//! Invariant: for a batch StarRocks refused, the target receives exactly the rows it accepts
//! and the dead-letter table `<target db>.smt_quarantine` exactly the refused ones (each with
//! its source position and StarRocks' reason), both in PREPARED transactions that the checkpoint
//! lists with the position they cover — so they commit together, once. It holds because
//! - the refused rows are found by loading halves of the batch into throwaway transactions
//!   (begun, loaded, prepared, always rolled back: nothing of a probe is ever visible), down to single
//!   rows; StarRocks refuses a row for what it holds, so a replay of the same batch after a
//!   crash finds the same rows;
//! - the accepted rows and the dead-letter rows then load under labels derived from the batch's
//!   label (`<label>q`, `<label>x`), which a replay derives again; a replay clears a lingering
//!   transaction of a crashed attempt before it begins (`sink::begin_fresh`);
//! - the dead-letter table's key is (job, label, row_no): even a row written twice would be one.
//!
//! Cost: about 2·log2(n) probe loads per refused row of an n-row batch (each probe is begin,
//! load, prepare, rollback). More than [`MAX_REFUSED`] refused rows in one batch is a stop: something
//! systematic (a type or a table definition) is wrong, not a stray value.

use super::batch::{Body, Op};
use super::cell::{Cell, Row};
use super::sink::{self, LoadError, Loader, SinkError};
use crate::config::SinkFormat;
use crate::error::{fail, Kind};
use crate::plan::TablePlan;
use crate::retry::RetryPolicy;

/// The dead-letter table, one per target database.
pub const TABLE: &str = "smt_quarantine";

/// Refused rows of one batch beyond which the batch stops the sync instead.
pub const MAX_REFUSED: usize = 1000;

/// How much of a refused row's text the dead-letter table keeps (a row refused for a value
/// too long for StarRocks would be refused again in full).
const MAX_ROW_TEXT: usize = 60_000;

/// `CREATE TABLE IF NOT EXISTS` of the dead-letter table of database `db`.
pub fn create_table_sql(db: &str, replication_num: u32) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n  `job` VARCHAR(64) NOT NULL COMMENT \"smt sync job id\",\n  \
         `label` VARCHAR(128) NOT NULL COMMENT \"label of the refused batch\",\n  \
         `row_no` INT NOT NULL COMMENT \"row of the batch\",\n  \
         `target_table` VARCHAR(256) NOT NULL COMMENT \"the table the row was for\",\n  \
         `source_position` VARCHAR(512) NULL COMMENT \"where the row comes from\",\n  \
         `reason` VARCHAR(65533) NULL COMMENT \"StarRocks' reason\",\n  \
         `row_key` VARCHAR(65533) NULL COMMENT \"the row's key columns (JSON)\",\n  \
         `row_data` VARCHAR(262144) NULL COMMENT \"the row (JSON, cut at 60000 bytes)\",\n  \
         `quarantined_at` DATETIME NULL\n) ENGINE=OLAP\nPRIMARY KEY(`job`, `label`, `row_no`)\n\
         COMMENT \"rows smt sync set aside: StarRocks refused them (sync_reject_policy = quarantine)\"\n\
         DISTRIBUTED BY HASH(`job`)\nPROPERTIES (\"replication_num\" = \"{replication_num}\")",
        crate::ident::quote_qualified(db, TABLE)
    )
}

/// One refused row: its index in the batch and StarRocks' reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub index: usize,
    pub reason: String,
}

/// How to load a slice of the batch (the table's body encoder).
pub type Encode<'a> = &'a dyn Fn(&[(Op, &Row)]) -> Body;

/// The rows of `rows` StarRocks refuses (`first_reason`: its message for the whole batch),
/// found by loading halves into throwaway transactions `<label>p<n>` that are always rolled
/// back.
#[allow(clippy::too_many_arguments)]
pub fn find_refused(
    loader: &dyn Loader,
    db: &str,
    table: &str,
    label: &str,
    rows: &[(Op, &Row)],
    encode: Encode<'_>,
    extra_headers: &[(String, String)],
    timeout_s: u64,
    policy: &RetryPolicy,
    first_reason: &str,
) -> Result<Vec<Refused>, SinkError> {
    let mut refused = Vec::new();
    let mut probes = 0usize;
    // Ranges known to hold at least one refused row, with the reason StarRocks gave for them.
    let mut stack: Vec<(usize, usize, String)> = vec![(0, rows.len(), first_reason.to_string())];
    while let Some((lo, hi, reason)) = stack.pop() {
        if hi - lo <= 1 {
            if hi > lo {
                refused.push(Refused {
                    index: lo,
                    reason: reason.clone(),
                });
            }
            if refused.len() > MAX_REFUSED {
                return Err(SinkError::Fatal(fail(
                    Kind::Target,
                    format!(
                        "StarRocks refuses more than {MAX_REFUSED} rows of one batch of \
                         `{db}`.`{table}` (label {label}); the last reason: {reason}. This is \
                         not a stray value: check the table's columns against `smt generate` \
                         output"
                    ),
                )));
            }
            continue;
        }
        let mid = lo + (hi - lo) / 2;
        for (a, b) in [(mid, hi), (lo, mid)] {
            let probe = format!("{label}p{probes}");
            probes += 1;
            match probe_load(
                loader,
                db,
                table,
                &probe,
                &encode(&rows[a..b]),
                extra_headers,
                timeout_s,
                policy,
            )? {
                None => {}
                Some(why) => stack.push((a, b, why)),
            }
        }
    }
    refused.sort_by_key(|r| r.index);
    tracing::info!(
        table = %format!("{db}.{table}"),
        label,
        refused = refused.len(),
        rows = rows.len(),
        probes,
        "found the rows StarRocks refuses"
    );
    Ok(refused)
}

/// Load `body` into a transaction (up to prepare) that is rolled back whatever happens: None
/// when StarRocks accepts every row, Some(reason) when it refuses some.
#[allow(clippy::too_many_arguments)]
fn probe_load(
    loader: &dyn Loader,
    db: &str,
    table: &str,
    label: &str,
    body: &Body,
    extra_headers: &[(String, String)],
    timeout_s: u64,
    policy: &RetryPolicy,
) -> Result<Option<String>, SinkError> {
    sink::begin_fresh(loader, db, table, label, timeout_s, policy)?;
    // StarRocks may accept the load and refuse at prepare (strict mode counts filtered rows
    // there): a probe goes as far as prepare.
    let r = loader
        .load(db, table, label, body, extra_headers)
        .and_then(|()| loader.prepare(db, table, label).map(drop));
    let _ = loader.rollback(db, table, label);
    match r {
        Ok(()) => Ok(None),
        Err(LoadError::Rejected(m)) => Ok(Some(m)),
        Err(LoadError::Definite(m)) => Err(SinkError::Fatal(fail(
            Kind::Target,
            format!("StarRocks refused a probe load of `{db}`.`{table}` (label {label}): {m}"),
        ))),
        Err(e) => Err(SinkError::Retry(format!(
            "probe load of `{db}`.`{table}` (label {label}): {e}"
        ))),
    }
}

/// The dead-letter rows for `refused` rows of a batch of `plan`'s table: a JSON body for
/// `<db>.smt_quarantine`.
pub fn dead_letter_body(
    job: &str,
    label: &str,
    plan: &TablePlan,
    position: &str,
    rows: &[(Op, &Row)],
    refused: &[Refused],
    now: &str,
) -> Body {
    let target = format!("{}.{}", plan.target_database, plan.target_table);
    let mut out = Vec::with_capacity(refused.len() * 256 + 2);
    out.push(b'[');
    for (n, r) in refused.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let Some((op, row)) = rows.get(r.index) else {
            continue;
        };
        let mut data = serde_json::Map::new();
        let mut key = serde_json::Map::new();
        for (c, cell) in plan.columns.iter().zip(row.iter()) {
            let v = cell_json(cell);
            if plan.key.contains(&c.name) {
                key.insert(c.name.clone(), v.clone());
            }
            data.insert(c.name.clone(), v);
        }
        if *op == Op::Delete {
            data.insert("__op".into(), serde_json::Value::String("delete".into()));
        }
        let mut text = serde_json::Value::Object(data).to_string();
        if text.len() > MAX_ROW_TEXT {
            let mut cut = MAX_ROW_TEXT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let total = text.len();
            text.truncate(cut);
            text.push_str(&format!("…(cut, {total} bytes)"));
        }
        let doc = serde_json::json!({
            "job": job,
            "label": label,
            "row_no": r.index,
            "target_table": target,
            "source_position": position,
            "reason": cut_reason(&r.reason),
            "row_key": serde_json::Value::Object(key).to_string(),
            "row_data": text,
            "quarantined_at": now,
        });
        out.extend_from_slice(doc.to_string().as_bytes());
    }
    out.push(b']');
    Body {
        bytes: out,
        rows: refused.len() as u64,
        format: SinkFormat::Json,
        columns: None,
        jsonpaths: None,
    }
}

fn cut_reason(r: &str) -> String {
    let mut s = r.to_string();
    if s.len() > 60_000 {
        let mut cut = 60_000;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn cell_json(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Null => serde_json::Value::Null,
        Cell::Num(s) | Cell::Str(s) | Cell::Json(s) => serde_json::Value::String(s.clone()),
        Cell::Refused(r) => serde_json::Value::String(r.value.clone()),
    }
}

/// The rows of `rows` not in `refused` (indices sorted).
pub fn accepted<'r>(rows: &[(Op, &'r Row)], refused: &[Refused]) -> Vec<(Op, &'r Row)> {
    let mut out = Vec::with_capacity(rows.len().saturating_sub(refused.len()));
    let mut k = 0;
    for (i, r) in rows.iter().enumerate() {
        if refused.get(k).is_some_and(|x| x.index == i) {
            k += 1;
            continue;
        }
        out.push(*r);
    }
    out
}

/// Labels of a quarantined batch: accepted rows, dead-letter rows.
pub fn labels(label: &str) -> (String, String) {
    (format!("{label}q"), format!("{label}x"))
}

/// "now" for the dead-letter rows (UTC, StarRocks DATETIME text).
pub fn now_text() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::sink::fake::FakeLoader;

    #[test]
    fn accepted_skips_exactly_the_refused() {
        let rows: Vec<Row> = (0..6).map(|i| vec![Cell::Num(i.to_string())]).collect();
        let refs: Vec<(Op, &Row)> = rows.iter().map(|r| (Op::Upsert, r)).collect();
        let refused = vec![
            Refused {
                index: 1,
                reason: "x".into(),
            },
            Refused {
                index: 4,
                reason: "y".into(),
            },
        ];
        let got: Vec<String> = accepted(&refs, &refused)
            .iter()
            .map(|(_, r)| r[0].text().unwrap().to_string())
            .collect();
        assert_eq!(got, ["0", "2", "3", "5"]);
    }

    #[test]
    fn bisection_finds_every_refused_row_and_leaves_nothing_open() {
        let loader = FakeLoader::default();
        // The fake refuses rows whose text contains "BAD".
        loader.inner.lock().unwrap().refuse_containing = Some("BAD".into());
        let rows: Vec<Row> = (0..37)
            .map(|i| {
                vec![Cell::Str(if i % 11 == 3 {
                    format!("BAD{i}")
                } else {
                    format!("ok{i}")
                })]
            })
            .collect();
        let refs: Vec<(Op, &Row)> = rows.iter().map(|r| (Op::Upsert, r)).collect();
        let encode = |rs: &[(Op, &Row)]| {
            let docs: Vec<serde_json::Value> = rs
                .iter()
                .map(|(_, r)| serde_json::json!({ "v": r[0].text().unwrap() }))
                .collect();
            Body {
                bytes: serde_json::to_vec(&docs).unwrap(),
                rows: rs.len() as u64,
                format: SinkFormat::Json,
                columns: None,
                jsonpaths: None,
            }
        };
        let got = find_refused(
            &loader,
            "d",
            "t",
            "L",
            &refs,
            &encode,
            &[],
            60,
            &crate::retry::RetryPolicy::immediate(2),
            "refused",
        )
        .unwrap();
        let idx: Vec<usize> = got.iter().map(|r| r.index).collect();
        assert_eq!(idx, [3, 14, 25, 36]);
        assert!(got.iter().all(|r| r.reason.contains("BAD")), "{got:?}");
        assert!(
            loader.open_labels().is_empty(),
            "every probe is rolled back"
        );
    }
}
