//! The source side of `smt verify`: one consistent view (the sync snapshot's: MariaDB's
//! lock-free `START TRANSACTION WITH CONSISTENT SNAPSHOT` with its binlog position, MySQL's
//! brief `FLUSH TABLES WITH READ LOCK`), read in keyset pages like the snapshot reader, every
//! row decoded by the sync decoder (`sync::decode`, the cells sync loads) and then put in the
//! canonical form of [`super::canon`].
//!
//! Order: the pages follow the TARGET's key order, so the merge needs no buffer. A key column
//! whose source order is the target's (integers, dates, binary strings, `_bin` collations) is
//! ordered by the column itself (an index range scan per page); one that StarRocks orders
//! differently (text under a case-insensitive collation, DECIMAL/TIME/ENUM keys that the target
//! holds as text) is ordered by its text as bytes, `CAST(CONVERT(c USING utf8mb4) AS BINARY)`,
//! which the server sorts per page (correct, slower; said in the README).

use super::canon::{self, Row};
use crate::config::SourceConfig;
use crate::error::{fail, Kind};
use crate::ident::{quote, quote_qualified};
use crate::plan::{ColumnOrigin, Encoding, SourceRef, SrType, TablePlan};
use crate::schema::{ColumnDesc, SourceType, TableDesc};
use crate::source::ServerInfo;
use crate::sync::cell::Cell;
use crate::sync::decode::{
    decode_row, decode_snapshot, or_set_aside, snapshot_select_list, DecodeStats, RowShape,
    TimeZoneSpec,
};
use crate::sync::position::BinlogPosition;
use crate::sync::snapshot::Snapshot;
use anyhow::{anyhow, Context, Result};
use mysql::prelude::Queryable;
use mysql::Value;
use std::collections::{HashMap, VecDeque};

/// One consistent view of the source.
pub struct SourceView {
    snap: Snapshot,
    pub position: BinlogPosition,
    tz: TimeZoneSpec,
    stats: DecodeStats,
    /// Source rows read so far that hold a value smt refuses (`decode::RefusedValue`): not
    /// compared, since sync never loads them (it stops, or its quarantine sets them aside).
    pub set_aside: u64,
}

/// The compare key of a target: which plan columns, their types.
#[derive(Debug, Clone)]
pub struct KeySpec {
    /// Indexes into `TablePlan.columns`, in key order.
    pub cols: Vec<usize>,
    pub tys: Vec<SrType>,
}

impl KeySpec {
    pub fn of(&self, row: &Row) -> Row {
        self.cols
            .iter()
            .map(|&i| row.get(i).cloned().flatten())
            .collect()
    }
}

impl SourceView {
    pub fn begin(src: &SourceConfig, server: &ServerInfo, tz: &TimeZoneSpec) -> Result<SourceView> {
        let (snap, position) = Snapshot::begin(src, server)?;
        Ok(SourceView {
            snap,
            position,
            tz: tz.clone(),
            stats: DecodeStats::default(),
            set_aside: 0,
        })
    }

    pub fn finish(self) {
        let _ = self.snap.finish();
    }

    fn conn(&mut self) -> &mut mysql::Conn {
        self.snap.conn()
    }

    /// `COUNT(*)` of every source of `plan`, in the view.
    pub fn count(&mut self, plan: &TablePlan) -> Result<u64> {
        let mut n = 0u64;
        for s in &plan.sources {
            let sql = format!(
                "SELECT COUNT(*) FROM {}",
                quote_qualified(&s.database, &s.table)
            );
            let c: Option<u64> = self
                .conn()
                .query_first(&sql)
                .with_context(|| format!("counting the rows of {}.{}", s.database, s.table))?;
            n += c.unwrap_or(0);
        }
        Ok(n)
    }

    /// Render one raw row of `desc` (values in ordinal order, as `snapshot_select_list` reads
    /// them) into a canonical target row (None: it holds a value smt refuses; counted).
    fn render(
        &mut self,
        plan: &TablePlan,
        shape: &RowShape,
        sref: &SourceRef,
        vals: &[Value],
    ) -> Result<Option<Row>> {
        render_canon(
            &self.tz,
            &mut self.stats,
            &mut self.set_aside,
            plan,
            shape,
            sref,
            vals,
        )
    }

    /// Every row of every source of `plan`, in no particular order (tables without a key: the
    /// checksum), streamed from the server (nothing collected).
    pub fn each_row(
        &mut self,
        plan: &TablePlan,
        f: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<()> {
        let SourceView {
            snap,
            tz,
            stats,
            set_aside,
            ..
        } = self;
        for (sref, desc) in plan.sources.iter().zip(&plan.source_tables) {
            let sql = format!(
                "SELECT {} FROM {}",
                snapshot_select_list(desc),
                quote_qualified(&desc.database, &desc.name)
            );
            let mut result = snap
                .conn()
                .exec_iter(&sql, ())
                .with_context(|| format!("reading {}", desc.qualified()))?;
            let shape = RowShape::new(&plan.columns, desc)?;
            for r in result.by_ref() {
                let r = r.with_context(|| format!("reading {}", desc.qualified()))?;
                let vals = r.unwrap();
                if let Some(row) = render_canon(tz, stats, set_aside, plan, &shape, sref, &vals)? {
                    f(row)?;
                }
            }
        }
        Ok(())
    }
}

/// The sync decoder's cells of one raw source row, in canonical form; None (counted in
/// `set_aside`) for a row holding a value smt refuses.
fn render_canon(
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
    set_aside: &mut u64,
    plan: &TablePlan,
    shape: &RowShape,
    sref: &SourceRef,
    vals: &[Value],
) -> Result<Option<Row>> {
    let cells = render_cells(tz, stats, plan, shape, sref, vals)?;
    if Cell::refusal_of(&cells).is_some() {
        *set_aside += 1;
        return Ok(None);
    }
    Ok(Some(canon_of(plan, &cells)))
}

fn canon_of(plan: &TablePlan, cells: &[Cell]) -> Row {
    cells
        .iter()
        .zip(&plan.columns)
        .map(|(c, col)| canon::of_cell(&col.sr_type, c))
        .collect()
}

/// The sync decoder's cells of one raw source row (what sync loads; a value smt refuses is a
/// [`Cell::Refused`], as sync's quarantine makes it).
fn render_cells(
    tz: &TimeZoneSpec,
    stats: &mut DecodeStats,
    plan: &TablePlan,
    shape: &RowShape,
    sref: &SourceRef,
    vals: &[Value],
) -> Result<Vec<Cell>> {
    let ncols = shape.source_columns();
    decode_row(
        &plan.columns,
        shape,
        sref,
        |i, col, cd, tz, st| {
            let r = vals
                .get(i)
                .filter(|_| i < ncols)
                .map(|v| decode_snapshot(v, col, cd, tz, st))
                .transpose();
            or_set_aside(r, true)
        },
        tz,
        stats,
    )
}

/// How the source orders and looks up one key column of one shard.
#[derive(Debug, Clone)]
struct KeyCol {
    /// The order expression (also what the keyset condition compares).
    order: String,
    /// Placeholder of a keyset value of `order`.
    keyset_ph: String,
    /// The source column (None: a shard origin column).
    column: Option<ColumnDesc>,
    encoding: Encoding,
}

fn text_target(ty: &SrType) -> bool {
    matches!(ty, SrType::Char(_) | SrType::Varchar(_))
}

/// A collation that orders UTF-8/ASCII text by its bytes (code points).
fn byte_order_collation(collation: Option<&str>) -> bool {
    collation.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        (c.starts_with("utf8") || c.starts_with("ascii")) && c.ends_with("_bin")
    })
}

fn key_col(cd: &ColumnDesc, ty: &SrType, encoding: Encoding, collation: Option<&str>) -> KeyCol {
    let q = quote(&cd.name);
    let bytes_of_text = |e: String| format!("CAST({e} AS BINARY)");
    let order = if text_target(ty) {
        match &cd.ty {
            SourceType::Binary(_) | SourceType::Varbinary(_) | SourceType::Blob(_) => q.clone(),
            SourceType::Char(_) | SourceType::Varchar(_) | SourceType::Text(_) => {
                if byte_order_collation(collation) {
                    q.clone()
                } else {
                    bytes_of_text(format!("CONVERT({q} USING utf8mb4)"))
                }
            }
            _ => bytes_of_text(format!("CONVERT(CAST({q} AS CHAR) USING utf8mb4)")),
        }
    } else {
        match &cd.ty {
            SourceType::Enum(_) | SourceType::Set(_) | SourceType::Bit(_) => format!("({q}+0)"),
            _ => q.clone(),
        }
    };
    let keyset_ph = match &cd.ty {
        SourceType::Decimal {
            precision, scale, ..
        } if order == q => format!("CAST(? AS DECIMAL({precision},{scale}))"),
        _ => "?".into(),
    };
    KeyCol {
        order,
        keyset_ph,
        column: Some(cd.clone()),
        encoding,
    }
}

/// `e1 > v1 OR (e1 = v1 AND e2 > v2) ...`, written so MariaDB range-scans the first column:
/// `e1 >= v1 AND (e1 > v1 OR (e2 >= v2 AND (e2 > v2 OR ... en > vn)))`.
fn keyset(cols: &[&KeyCol], after: &[Value]) -> (String, Vec<Value>) {
    let mut cond = String::new();
    let mut params = Vec::new();
    let n = cols.len();
    for (i, (c, v)) in cols.iter().zip(after).enumerate() {
        if i + 1 == n {
            cond.push_str(&format!("{} > {}", c.order, c.keyset_ph));
            params.push(v.clone());
        } else {
            cond.push_str(&format!(
                "{o} >= {p} AND ({o} > {p} OR (",
                o = c.order,
                p = c.keyset_ph
            ));
            params.push(v.clone());
            params.push(v.clone());
        }
    }
    for _ in 1..n {
        cond.push_str("))");
    }
    (cond, params)
}

/// One source table of a target, read page by page in target key order.
struct Shard {
    sref: SourceRef,
    desc: TableDesc,
    /// Per compare-key column (None for origin columns).
    keys: Vec<Option<KeyCol>>,
    after: Option<Vec<Value>>,
    buf: VecDeque<Row>,
    done: bool,
}

impl Shard {
    fn order_cols(&self) -> Vec<&KeyCol> {
        self.keys.iter().flatten().collect()
    }
}

/// The collation of each column of a source table.
fn collations(conn: &mut mysql::Conn, desc: &TableDesc) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, Option<String>)> = conn
        .exec(
            "SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (&desc.database, &desc.name),
        )
        .with_context(|| format!("reading the collations of {}", desc.qualified()))?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, k)| k.map(|k| (c.to_ascii_lowercase(), k)))
        .collect())
}

/// Per shard: how each compare-key column is ordered on the source.
fn shard_keys(conn: &mut mysql::Conn, plan: &TablePlan, key: &KeySpec) -> Result<Vec<Shard>> {
    let mut out = Vec::new();
    for (sref, desc) in plan.sources.iter().zip(&plan.source_tables) {
        let colls = collations(conn, desc)?;
        let mut keys = Vec::new();
        for (&i, ty) in key.cols.iter().zip(&key.tys) {
            let col = &plan.columns[i];
            match &col.origin {
                ColumnOrigin::Source { name, .. } => {
                    let cd = desc.column(name).ok_or_else(|| {
                        fail(
                            Kind::Plan,
                            format!(
                                "{}: the key column {name} is missing from the source table",
                                desc.qualified()
                            ),
                        )
                    })?;
                    let coll = colls.get(&cd.name.to_ascii_lowercase()).map(String::as_str);
                    keys.push(Some(key_col(cd, ty, col.encoding, coll)));
                }
                ColumnOrigin::ShardDatabase | ColumnOrigin::ShardTable => keys.push(None),
            }
        }
        out.push(Shard {
            sref: sref.clone(),
            desc: desc.clone(),
            keys,
            after: None,
            buf: VecDeque::new(),
            done: false,
        });
    }
    Ok(out)
}

/// The rows of a target's sources, merged in target key order (shards k-way).
pub struct TableRows<'a> {
    view: &'a mut SourceView,
    plan: &'a TablePlan,
    key: &'a KeySpec,
    shards: Vec<Shard>,
    page: usize,
}

impl<'a> TableRows<'a> {
    pub fn new(
        view: &'a mut SourceView,
        plan: &'a TablePlan,
        key: &'a KeySpec,
        page: usize,
    ) -> Result<Self> {
        let shards = shard_keys(view.conn(), plan, key)?;
        Ok(TableRows {
            view,
            plan,
            key,
            shards,
            page: page.max(1),
        })
    }

    fn fill(&mut self, s: usize) -> Result<()> {
        let TableRows {
            view,
            plan,
            shards,
            page,
            ..
        } = self;
        let sh = &mut shards[s];
        let (sql, params, has_order) = {
            let order = sh.order_cols();
            let exprs: Vec<&str> = order.iter().map(|k| k.order.as_str()).collect();
            let mut sql = format!(
                "SELECT {}{}{} FROM {}",
                snapshot_select_list(&sh.desc),
                if exprs.is_empty() { "" } else { ", " },
                exprs.join(", "),
                quote_qualified(&sh.desc.database, &sh.desc.name)
            );
            let mut params = Vec::new();
            if let Some(after) = &sh.after {
                let (cond, p) = keyset(&order, after);
                sql.push_str(" WHERE ");
                sql.push_str(&cond);
                params = p;
            }
            if !exprs.is_empty() {
                sql.push_str(&format!(" ORDER BY {}", exprs.join(", ")));
            }
            sql.push_str(&format!(" LIMIT {page}"));
            (sql, params, !exprs.is_empty())
        };
        let raw: Vec<mysql::Row> = if params.is_empty() {
            view.conn().exec(&sql, ())
        } else {
            view.conn().exec(&sql, params)
        }
        .with_context(|| format!("reading {} for verify", sh.desc.qualified()))?;
        let ncols = sh.desc.columns.len();
        let nraw = raw.len();
        let mut last = None;
        let shape = RowShape::new(&plan.columns, &sh.desc)?;
        for r in raw {
            let vals = r.unwrap();
            let split = ncols.min(vals.len());
            if let Some(row) = view.render(plan, &shape, &sh.sref, &vals[..split])? {
                sh.buf.push_back(row);
            }
            last = Some(vals[split..].to_vec());
        }
        if !has_order || nraw < *page {
            sh.done = true;
        }
        if last.is_some() {
            sh.after = last;
        }
        Ok(())
    }
}

impl super::compare::RowStream for TableRows<'_> {
    fn next_row(&mut self) -> Result<Option<Row>> {
        for s in 0..self.shards.len() {
            // A page may hold only rows that are not compared (values smt refuses).
            while self.shards[s].buf.is_empty() && !self.shards[s].done {
                self.fill(s)?;
            }
        }
        let mut best: Option<usize> = None;
        for (i, sh) in self.shards.iter().enumerate() {
            let Some(r) = sh.buf.front() else { continue };
            best = match best {
                None => Some(i),
                Some(b) => {
                    let cur = self.shards[b]
                        .buf
                        .front()
                        .map(|x| self.key.of(x))
                        .unwrap_or_default();
                    if canon::cmp_key(&self.key.tys, &self.key.of(r), &cur).is_lt() {
                        Some(i)
                    } else {
                        Some(b)
                    }
                }
            };
        }
        Ok(best.and_then(|b| self.shards[b].buf.pop_front()))
    }
}

/// A lookup value for a canonical key text of a source column.
fn lookup_param(kc: &KeyCol, text: &str, tz: &TimeZoneSpec) -> Result<(String, Value)> {
    let cd = kc.column.as_ref().ok_or_else(|| anyhow!("origin column"))?;
    let q = quote(&cd.name);
    if kc.encoding == Encoding::Hex {
        return Ok((
            format!("{q} = UNHEX(?)"),
            Value::Bytes(text.as_bytes().to_vec()),
        ));
    }
    Ok(match &cd.ty {
        SourceType::Timestamp { .. } => (
            format!("{q} = FROM_UNIXTIME(?)"),
            Value::Bytes(epoch_of(text, tz)?.into_bytes()),
        ),
        SourceType::Decimal {
            precision, scale, ..
        } => (
            format!("{q} = CAST(? AS DECIMAL({precision},{scale}))"),
            Value::Bytes(text.as_bytes().to_vec()),
        ),
        SourceType::Int { .. } | SourceType::Year | SourceType::Bit(_) => {
            let i: i128 = text
                .parse()
                .map_err(|_| anyhow!("not an integer key: {text:?}"))?;
            let v = if let Ok(x) = i64::try_from(i) {
                Value::Int(x)
            } else {
                Value::UInt(u64::try_from(i).map_err(|_| anyhow!("key {i} out of range"))?)
            };
            (format!("{q} = ?"), v)
        }
        _ => (format!("{q} = ?"), Value::Bytes(text.as_bytes().to_vec())),
    })
}

/// `YYYY-MM-DD HH:MM:SS[.f]` in `tz` → epoch seconds text (`sec.micros`).
fn epoch_of(text: &str, tz: &TimeZoneSpec) -> Result<String> {
    let dt: jiff::civil::DateTime = text
        .trim()
        .parse()
        .map_err(|e| anyhow!("not a date and time: {text:?} ({e})"))?;
    let zone = match tz {
        TimeZoneSpec::Fixed(s) => jiff::tz::TimeZone::fixed(
            jiff::tz::Offset::from_seconds(*s).map_err(|e| anyhow!("time zone offset {s}: {e}"))?,
        ),
        TimeZoneSpec::Named(z) => z.clone(),
    };
    let ts = dt
        .to_zoned(zone)
        .map_err(|e| anyhow!("{text:?} in the source's time zone: {e}"))?
        .timestamp();
    Ok(format!("{}.{:06}", ts.as_second(), ts.subsec_microsecond()))
}

impl SourceView {
    /// The source rows of `keys` (canonical compare keys) in this view, by point lookups,
    /// batched: the canonical row and the sync decoder's cells (what a repair loads). A key
    /// whose shard origin names no source table has no row.
    pub fn lookup(
        &mut self,
        plan: &TablePlan,
        key: &KeySpec,
        keys: &[Row],
    ) -> Result<HashMap<Row, (Row, Vec<Cell>)>> {
        let shards = shard_keys(self.conn(), plan, key)?;
        let mut out = HashMap::new();
        for sh in &shards {
            // The keys that belong to this shard (origin columns name it).
            let mine: Vec<&Row> = keys
                .iter()
                .filter(|k| {
                    key.cols
                        .iter()
                        .zip(k.iter())
                        .all(|(&i, v)| match &plan.columns[i].origin {
                            ColumnOrigin::ShardDatabase => {
                                v.as_deref() == Some(sh.sref.database.as_str())
                            }
                            ColumnOrigin::ShardTable => {
                                v.as_deref() == Some(sh.sref.table.as_str())
                            }
                            ColumnOrigin::Source { .. } => true,
                        })
                })
                .collect();
            for batch in mine.chunks(200) {
                let mut conds = Vec::new();
                let mut params = Vec::new();
                for k in batch {
                    let mut parts = Vec::new();
                    for (kc, v) in sh.keys.iter().zip(k.iter()) {
                        let Some(kc) = kc else { continue };
                        match v {
                            Some(t) => {
                                let (c, p) = lookup_param(kc, t, &self.tz)?;
                                parts.push(c);
                                params.push(p);
                            }
                            None => parts.push(format!(
                                "{} IS NULL",
                                quote(
                                    &kc.column
                                        .as_ref()
                                        .map(|c| c.name.clone())
                                        .unwrap_or_default()
                                )
                            )),
                        }
                    }
                    conds.push(format!("({})", parts.join(" AND ")));
                }
                let sql = format!(
                    "SELECT {} FROM {} WHERE {}",
                    snapshot_select_list(&sh.desc),
                    quote_qualified(&sh.desc.database, &sh.desc.name),
                    conds.join(" OR ")
                );
                let raw: Vec<mysql::Row> = self
                    .conn()
                    .exec(&sql, params)
                    .with_context(|| format!("looking up keys of {}", sh.desc.qualified()))?;
                let shape = RowShape::new(&plan.columns, &sh.desc)?;
                for r in raw {
                    let vals = r.unwrap();
                    let cells =
                        render_cells(&self.tz, &mut self.stats, plan, &shape, &sh.sref, &vals)?;
                    if Cell::refusal_of(&cells).is_some() {
                        continue;
                    }
                    let row = canon_of(plan, &cells);
                    let k = key.of(&row);
                    // A lookup may match more than asked (text compared under the collation):
                    // only the exact canonical keys count.
                    if batch.iter().any(|b| **b == k) {
                        out.insert(k, (row, cells));
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_expands_like_the_snapshot_reader() {
        let k = |o: &str| KeyCol {
            order: o.into(),
            keyset_ph: "?".into(),
            column: None,
            encoding: Encoding::Plain,
        };
        let (a, b) = (k("`a`"), k("CAST(`b` AS BINARY)"));
        let (c, p) = keyset(&[&a, &b], &[Value::Int(1), Value::Bytes(b"x".to_vec())]);
        assert_eq!(c, "`a` >= ? AND (`a` > ? OR (CAST(`b` AS BINARY) > ?))");
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn collations_that_order_by_bytes() {
        assert!(byte_order_collation(Some("utf8mb4_bin")));
        assert!(byte_order_collation(Some("utf8mb4_nopad_bin")));
        assert!(!byte_order_collation(Some("utf8mb4_general_ci")));
        assert!(
            !byte_order_collation(Some("latin1_bin")),
            "cp1252 bytes are not code point order"
        );
        assert!(!byte_order_collation(None));
    }

    #[test]
    fn epoch_in_the_configured_zone() {
        let tz = TimeZoneSpec::parse("+08:00").unwrap();
        assert_eq!(epoch_of("1970-01-01 08:00:01.5", &tz).unwrap(), "1.500000");
    }
}
