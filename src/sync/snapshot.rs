//! Consistent snapshot reads of captured source tables.
//!
//! Invariant: every chunk of every table is read inside ONE transaction opened with
//! `START TRANSACTION WITH CONSISTENT SNAPSHOT` (REPEATABLE READ), and the binlog position returned
//! by [`Snapshot::begin`] is exactly the point that view corresponds to: on MariaDB the server
//! reports it atomically with the snapshot (`binlog_snapshot_file/position`, lock-free); on MySQL
//! it is read while `FLUSH TABLES WITH READ LOCK` holds writers off. Replaying the binlog from that
//! position on top of the snapshot therefore neither misses nor double-applies a transaction
//! (re-applying is idempotent anyway for primary-key targets).
//!
//! Memory is bounded by `max_rows` per chunk: keyset pagination by primary key
//! (`WHERE (k1,k2) > (?,?) ORDER BY k1,k2 LIMIT n`); tables without a usable key are paged with
//! `LIMIT n OFFSET m` in the same snapshot (the same view scanned in the same clustered order).

use crate::config::SourceConfig;
use crate::error::{fail, Kind};
use crate::ident::quote;
use crate::plan::SourceRef;
use crate::schema::{SourceType, TableDesc};
use crate::source::{master_status, ServerInfo};
use crate::sync::cell::{Cell, Row};
use crate::sync::decode::{
    decode_row, decode_snapshot, decode_snapshot_take, normalise_json, or_set_aside,
    snapshot_select_list, DecodeStats, RowShape, TimeZoneSpec,
};
use crate::sync::position::BinlogPosition;
use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use mysql::prelude::Queryable;
use mysql::{Conn, Value};

/// One consistent view of the source.
pub struct Snapshot {
    conn: Conn,
    /// MySQL (not MariaDB): JSON columns come back in MySQL's text form and are normalised to
    /// the form the binlog's binary JSON renders to.
    mysql_json: bool,
    /// `sync_reject_policy = quarantine`: a value smt refuses sets its row aside
    /// ([`crate::sync::decode::or_set_aside`]) instead of failing the chunk.
    pub set_aside: bool,
    stats: DecodeStats,
}

/// One chunk of rows of one source table.
#[derive(Debug)]
pub struct Chunk {
    /// The rows ([`Snapshot::read_chunk`]; empty from [`Snapshot::read_chunk_with`]).
    pub rows: Vec<Row>,
    /// Rows read.
    pub count: usize,
    /// Resume point: the key of the last row (for keyless tables: `[UInt(rows read so far)]`,
    /// valid only inside the same snapshot).
    pub last_key: Option<Vec<Value>>,
    pub done: bool,
    /// Approximate rendered size of `rows`.
    pub bytes: usize,
}

impl Snapshot {
    /// Open the consistent view and return the binlog position it corresponds to. `server`
    /// says which flavor the source is (MariaDB reports the view's position lock-free).
    pub fn begin(src: &SourceConfig, server: &ServerInfo) -> Result<(Snapshot, BinlogPosition)> {
        let mut conn = crate::source::connect(src)?;
        crate::source::session_utc(&mut conn)?;
        let maria = server.is_mariadb();
        conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
        let pos = if maria {
            conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")?;
            let rows: Vec<(String, String)> = conn.query("SHOW STATUS LIKE 'binlog_snapshot_%'")?;
            let get = |k: &str| {
                rows.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.clone())
            };
            let file = get("Binlog_snapshot_file").unwrap_or_default();
            let pos = get("Binlog_snapshot_position").unwrap_or_default();
            if file.is_empty() {
                return Err(fail(
                    Kind::Source,
                    format!(
                        "the source {}:{} reports no binlog snapshot position: enable the binary log (log_bin) and restart it",
                        src.host, src.port
                    ),
                ));
            }
            let pos: u64 = pos
                .parse()
                .map_err(|_| anyhow!("bad Binlog_snapshot_position {pos:?}"))?;
            BinlogPosition::new(file, pos)
        } else {
            conn.query_drop("FLUSH TABLES WITH READ LOCK")
                .map_err(|e| {
                    fail(
                        Kind::Source,
                        format!(
                            "FLUSH TABLES WITH READ LOCK failed on {}:{}: {e}; grant RELOAD to {}",
                            src.host, src.port, src.user
                        ),
                    )
                })?;
            let res = (|| -> Result<BinlogPosition> {
                conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")?;
                master_status(&mut conn)
            })();
            conn.query_drop("UNLOCK TABLES")?;
            res?
        };
        Ok((
            Snapshot {
                conn,
                mysql_json: !maria,
                set_aside: false,
                stats: DecodeStats::default(),
            },
            pos,
        ))
    }

    /// The view's connection, for readers other than [`Snapshot::read_chunk`] (`smt verify`
    /// reads in its own order inside the same kind of view).
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// Counters of specially rendered values so far (zero dates → NULL).
    pub fn stats(&self) -> &DecodeStats {
        &self.stats
    }

    /// Read the next chunk of `source` (a source of `table`) after `after_key`.
    /// `range`: `[lo, hi)` of the first key column (None = unbounded; see [`Snapshot::split_points`]).
    pub fn read_chunk(
        &mut self,
        table: &crate::plan::TablePlan,
        source: &SourceRef,
        after_key: Option<&[Value]>,
        range: (Option<&Value>, Option<&Value>),
        max_rows: usize,
        tz: &TimeZoneSpec,
    ) -> Result<Chunk> {
        let mut rows = Vec::new();
        let mut c =
            self.read_chunk_with(table, source, after_key, range, max_rows, tz, &mut |r| {
                rows.push(r);
                Ok(())
            })?;
        c.rows = rows;
        Ok(c)
    }

    /// [`Snapshot::read_chunk`], each row handed to `on_row` as it arrives from the server
    /// instead of collected (the returned chunk's `rows` is empty; `count` says how many).
    #[allow(clippy::too_many_arguments)]
    pub fn read_chunk_with(
        &mut self,
        table: &crate::plan::TablePlan,
        source: &SourceRef,
        after_key: Option<&[Value]>,
        range: (Option<&Value>, Option<&Value>),
        max_rows: usize,
        tz: &TimeZoneSpec,
        on_row: &mut dyn FnMut(Row) -> Result<()>,
    ) -> Result<Chunk> {
        let desc = table.source_desc(source).ok_or_else(|| {
            anyhow!(
                "{}.{} is not a source of target {}.{}",
                source.database,
                source.table,
                table.target_database,
                table.target_table
            )
        })?;
        let max_rows = max_rows.max(1);
        let select = snapshot_select_list(desc);
        let from = crate::ident::quote_qualified(&desc.database, &desc.name);
        let ncols = desc.columns.len();
        let key = scan_key(desc);
        let (sql, params): (String, Vec<Value>) = match &key {
            Some(kcols) => {
                let key_exprs: Vec<String> = kcols.iter().map(|(n, ty)| key_expr(n, ty)).collect();
                let order: Vec<String> = kcols.iter().map(|(n, _)| quote(n)).collect();
                let mut sql = format!("SELECT {select}, {} FROM {from}", key_exprs.join(", "));
                let mut params = Vec::new();
                let mut conds = Vec::new();
                let first = quote(&kcols[0].0);
                if let Some(k) = after_key {
                    if k.len() != kcols.len() {
                        bail!(
                            "resume key of {} has {} values, the table's key has {}: start over with `smt sync --reset`",
                            desc.qualified(),
                            k.len(),
                            kcols.len()
                        );
                    }
                    let (cond, p) = keyset_condition(kcols, k);
                    conds.push(cond);
                    params = p;
                } else if let Some(lo) = range.0 {
                    conds.push(format!("{first} >= ?"));
                    params.push(lo.clone());
                }
                if let Some(hi) = range.1 {
                    conds.push(format!("{first} < ?"));
                    params.push(hi.clone());
                }
                if !conds.is_empty() {
                    sql.push_str(" WHERE ");
                    sql.push_str(&conds.join(" AND "));
                }
                sql.push_str(&format!(" ORDER BY {} LIMIT {max_rows}", order.join(", ")));
                (sql, params)
            }
            None => {
                let offset = match after_key {
                    None => 0,
                    Some([Value::UInt(n)]) => *n,
                    Some([Value::Int(n)]) => u64::try_from(*n).unwrap_or(0),
                    Some(other) => bail!(
                        "bad resume offset {other:?} for keyless table {}",
                        desc.qualified()
                    ),
                };
                (
                    format!("SELECT {select} FROM {from} LIMIT {max_rows} OFFSET {offset}"),
                    Vec::new(),
                )
            }
        };
        let context = || format!("reading {} for the snapshot", desc.qualified());
        let raw = if params.is_empty() {
            self.conn.exec_iter(&sql, ())
        } else {
            self.conn.exec_iter(&sql, params)
        }
        .with_context(context)?;
        // Values can be moved out of the source row when no source column feeds two target
        // columns (the plan never makes such a table; checked, not assumed).
        let take = {
            let mut seen = std::collections::HashSet::new();
            table.columns.iter().all(|c| match &c.origin {
                crate::plan::ColumnOrigin::Source { name, .. } => seen.insert(name.to_lowercase()),
                _ => true,
            })
        };
        let shape = RowShape::new(&table.columns, desc)?;
        let set_aside = self.set_aside;
        let mut count = 0usize;
        let mut bytes = 0usize;
        // The values of the last row read (its key columns are the resume point).
        let mut last: Option<Vec<Value>> = None;
        for r in raw {
            let mut vals = r.with_context(context)?.unwrap();
            let mut row = decode_row(
                &table.columns,
                &shape,
                source,
                |i, col, cd, tz, st| {
                    let r = vals
                        .get_mut(i)
                        .filter(|_| i < ncols)
                        .map(|v| {
                            if take {
                                decode_snapshot_take(v, col, cd, tz, st)
                            } else {
                                decode_snapshot(v, col, cd, tz, st)
                            }
                        })
                        .transpose();
                    or_set_aside(r, set_aside)
                },
                tz,
                &mut self.stats,
            )?;
            if self.mysql_json {
                for cell in row.iter_mut() {
                    if let Cell::Json(t) = cell {
                        *t = normalise_json(t)?;
                    }
                }
            }
            bytes += row.iter().map(|c| c.byte_len() + 1).sum::<usize>();
            count += 1;
            on_row(row)?;
            last = Some(vals);
        }
        let mut last_key = match (&key, last) {
            (Some(_), Some(vals)) => Some(vals[ncols.min(vals.len())..].to_vec()),
            _ => None,
        };
        let done = count < max_rows;
        if key.is_none() {
            let before = match after_key {
                Some([Value::UInt(n)]) => *n,
                Some([Value::Int(n)]) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            };
            last_key = Some(vec![Value::UInt(before + count as u64)]);
        } else if last_key.is_none() {
            last_key = after_key.map(<[Value]>::to_vec);
        }
        Ok(Chunk {
            rows: Vec::new(),
            count,
            last_key,
            done,
            bytes,
        })
    }

    /// Open `tables` inside the view's transaction: each keeps a shared metadata lock until the
    /// view ends, so a DDL on them waits for the snapshot (and cannot slip between reading the
    /// schema and reading the rows).
    pub fn hold(&mut self, tables: &[SourceRef]) -> Result<()> {
        // A DDL that waits for an earlier view's hold makes this one wait behind it (metadata
        // locks queue): give up after 30 s (a retry from the checkpoint, the DDL done by then)
        // instead of the server's default wait of a day or more.
        self.conn.query_drop("SET SESSION lock_wait_timeout = 30")?;
        for t in tables {
            self.conn.query_drop(format!(
                "SELECT 1 FROM {} LIMIT 0",
                crate::ident::quote_qualified(&t.database, &t.table)
            ))?;
        }
        Ok(())
    }

    /// information_schema.TABLES.AVG_ROW_LENGTH (0 when unknown).
    pub fn avg_row_bytes(&mut self, source: &SourceRef) -> Result<u64> {
        let n: Option<Option<u64>> = self.conn.exec_first(
            "SELECT AVG_ROW_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (&source.database, &source.table),
        )?;
        Ok(n.flatten().unwrap_or(0))
    }

    /// Up to `n - 1` increasing values of the first key column that cut `source` into `n`
    /// ranges of about equal width, read in this view (MIN and MAX by the key's index). Only
    /// for an integer leading key column; empty otherwise (one range).
    pub fn split_points(
        &mut self,
        table: &crate::plan::TablePlan,
        source: &SourceRef,
        n: usize,
    ) -> Result<Vec<Value>> {
        let Some(desc) = table.source_desc(source) else {
            return Ok(Vec::new());
        };
        let Some(kcols) = scan_key(desc) else {
            return Ok(Vec::new());
        };
        let (name, ty) = &kcols[0];
        if n < 2 || !matches!(ty, SourceType::Int { .. }) {
            return Ok(Vec::new());
        }
        let c = quote(name);
        let sql = format!(
            "SELECT CAST(MIN({c}) AS DECIMAL(65,0)), CAST(MAX({c}) AS DECIMAL(65,0)) FROM {}",
            crate::ident::quote_qualified(&desc.database, &desc.name)
        );
        let r: Option<(Option<String>, Option<String>)> = self.conn.query_first(&sql)?;
        let (Some(Some(lo)), Some(Some(hi))) = (
            r.as_ref()
                .map(|r| r.0.as_ref().and_then(|v| v.parse::<i128>().ok())),
            r.as_ref()
                .map(|r| r.1.as_ref().and_then(|v| v.parse::<i128>().ok())),
        ) else {
            return Ok(Vec::new());
        };
        let width = (hi - lo) / n as i128;
        if width < 2 {
            return Ok(Vec::new());
        }
        Ok((1..n as i128)
            .map(|k| {
                let v = lo + k * width;
                match i64::try_from(v) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::UInt(u64::try_from(v).unwrap_or(u64::MAX)),
                }
            })
            .collect())
    }

    /// information_schema.TABLES.TABLE_ROWS (an estimate), for progress bars.
    pub fn estimate_rows(&mut self, source: &SourceRef) -> Result<u64> {
        let n: Option<Option<u64>> = self.conn.exec_first(
            "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (&source.database, &source.table),
        )?;
        Ok(n.flatten().unwrap_or(0))
    }

    /// End the snapshot transaction.
    pub fn finish(mut self) -> Result<()> {
        self.conn.query_drop("COMMIT")?;
        Ok(())
    }
}

/// The columns the snapshot of `desc` pages by (see [`Snapshot::read_chunk`]); None = the
/// table has no usable key and is paged by offset, so its `last_key` is only valid inside the
/// same snapshot: after a restart with a new snapshot such a table must be read from the start.
pub fn scan_key_columns(desc: &TableDesc) -> Option<Vec<String>> {
    scan_key(desc).map(|k| k.into_iter().map(|(n, _)| n).collect())
}

/// The key the scan pages by: the PRIMARY KEY, else the first UNIQUE key whose columns are all
/// NOT NULL; None = keyless.
fn scan_key(desc: &TableDesc) -> Option<Vec<(String, SourceType)>> {
    let pick = |cols: &[String]| -> Option<Vec<(String, SourceType)>> {
        cols.iter()
            .map(|n| desc.column(n).map(|c| (c.name.clone(), c.ty.clone())))
            .collect()
    };
    if let Some(pk) = desc.primary_key() {
        return pick(&pk.columns);
    }
    desc.keys
        .iter()
        .filter(|k| {
            k.columns
                .iter()
                .all(|n| desc.column(n).is_some_and(|c| !c.nullable))
        })
        .find_map(|k| pick(&k.columns))
}

/// The expression whose value, compared with `col > ?`, continues the scan: ENUM/SET/BIT
/// compare by their numeric value.
fn key_expr(name: &str, ty: &SourceType) -> String {
    match ty {
        SourceType::Enum(_) | SourceType::Set(_) | SourceType::Bit(_) => {
            format!("({}+0)", quote(name))
        }
        _ => quote(name),
    }
}

/// The placeholder for a key value: DECIMAL keys compare as DECIMAL (a string parameter would
/// compare as a double and lose digits).
fn key_placeholder(ty: &SourceType) -> String {
    match ty {
        SourceType::Decimal {
            precision, scale, ..
        } => format!("CAST(? AS DECIMAL({precision},{scale}))"),
        _ => "?".into(),
    }
}

/// `(k1,..,kn) > (v1,..,vn)` written so that MariaDB uses a range scan on the key (it does not
/// for a row-constructor comparison, which would make every chunk rescan from the start):
/// `k1 >= v1 AND (k1 > v1 OR (k2 >= v2 AND (k2 > v2 OR ... kn > vn)))`.
fn keyset_condition(kcols: &[(String, SourceType)], key: &[Value]) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let mut cond = String::new();
    let n = kcols.len();
    for (i, ((name, ty), v)) in kcols.iter().zip(key).enumerate() {
        let c = quote(name);
        let ph = key_placeholder(ty);
        if i + 1 == n {
            cond.push_str(&format!("{c} > {ph}"));
            params.push(v.clone());
        } else {
            cond.push_str(&format!("{c} >= {ph} AND ({c} > {ph} OR ("));
            params.push(v.clone());
            params.push(v.clone());
        }
    }
    for _ in 1..n {
        cond.push_str("))");
    }
    (cond, params)
}

/// A resume key as JSON for the checkpoint (typed, lossless).
pub fn key_to_json(key: &[Value]) -> serde_json::Value {
    use serde_json::json;
    serde_json::Value::Array(
        key.iter()
            .map(|v| match v {
                Value::NULL => serde_json::Value::Null,
                Value::Int(i) => json!({ "i": i }),
                Value::UInt(u) => json!({ "u": u }),
                Value::Float(f) => json!({ "f": f }),
                Value::Double(f) => json!({ "d": f }),
                Value::Bytes(b) => {
                    json!({ "b": base64::engine::general_purpose::STANDARD.encode(b) })
                }
                Value::Date(y, mo, d, h, mi, s, us) => json!({ "date": [y, mo, d, h, mi, s, us] }),
                Value::Time(neg, d, h, m, s, us) => json!({ "time": [neg, d, h, m, s, us] }),
            })
            .collect(),
    )
}

/// The inverse of [`key_to_json`].
pub fn key_from_json(j: &serde_json::Value) -> Result<Vec<Value>> {
    let arr = j
        .as_array()
        .ok_or_else(|| anyhow!("resume key is not a JSON array"))?;
    arr.iter()
        .map(|e| -> Result<Value> {
            if e.is_null() {
                return Ok(Value::NULL);
            }
            let o = e
                .as_object()
                .ok_or_else(|| anyhow!("bad resume key element {e}"))?;
            let (k, v) = o
                .iter()
                .next()
                .ok_or_else(|| anyhow!("empty resume key element"))?;
            let bad = || anyhow!("bad resume key element {e}");
            let nums = |n: usize| -> Result<Vec<u64>> {
                let a = v.as_array().filter(|a| a.len() == n).ok_or_else(bad)?;
                a.iter()
                    .map(|x| {
                        x.as_u64()
                            .or_else(|| x.as_bool().map(u64::from))
                            .ok_or_else(bad)
                    })
                    .collect()
            };
            Ok(match k.as_str() {
                "i" => Value::Int(v.as_i64().ok_or_else(bad)?),
                "u" => Value::UInt(v.as_u64().ok_or_else(bad)?),
                "f" => Value::Float(v.as_f64().ok_or_else(bad)? as f32),
                "d" => Value::Double(v.as_f64().ok_or_else(bad)?),
                "b" => Value::Bytes(
                    base64::engine::general_purpose::STANDARD
                        .decode(v.as_str().ok_or_else(bad)?)
                        .map_err(|_| bad())?,
                ),
                "date" => {
                    let n = nums(7)?;
                    let t = |i: usize| u8::try_from(n[i]).map_err(|_| bad());
                    Value::Date(
                        u16::try_from(n[0]).map_err(|_| bad())?,
                        t(1)?,
                        t(2)?,
                        t(3)?,
                        t(4)?,
                        t(5)?,
                        u32::try_from(n[6]).map_err(|_| bad())?,
                    )
                }
                "time" => {
                    let n = nums(6)?;
                    let t = |i: usize| u8::try_from(n[i]).map_err(|_| bad());
                    Value::Time(
                        n[0] != 0,
                        u32::try_from(n[1]).map_err(|_| bad())?,
                        t(2)?,
                        t(3)?,
                        t(4)?,
                        u32::try_from(n[5]).map_err(|_| bad())?,
                    )
                }
                _ => return Err(bad()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(keys: Vec<crate::schema::KeyDesc>, nullable_b: bool) -> TableDesc {
        use crate::schema::{ColumnDefault, ColumnDesc, IntWidth};
        let c = |name: &str, ordinal: u32, nullable: bool| ColumnDesc {
            name: name.into(),
            ordinal,
            ty: SourceType::Int {
                width: IntWidth::Int,
                unsigned: false,
                display: None,
            },
            column_type: "int".into(),
            nullable,
            default: ColumnDefault::None,
            comment: String::new(),
            generated: None,
            charset: None,
            octet_length: None,
            on_update_current_timestamp: false,
        };
        TableDesc {
            database: "d".into(),
            name: "t".into(),
            columns: vec![c("a", 1, false), c("b", 2, nullable_b)],
            keys,
            comment: String::new(),
            data_length: 0,
        }
    }

    #[test]
    fn scan_key_prefers_pk_then_not_null_unique() {
        use crate::schema::{KeyDesc, KeyKind};
        let k = |name: &str, kind, cols: &[&str]| KeyDesc {
            name: name.into(),
            kind,
            columns: cols.iter().map(|c| c.to_string()).collect(),
        };
        let uq = k("u", KeyKind::Unique, &["b"]);
        let pk = k("PRIMARY", KeyKind::Primary, &["a", "b"]);
        assert_eq!(
            scan_key_columns(&desc(vec![uq.clone(), pk], false)),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            scan_key_columns(&desc(vec![uq.clone()], false)),
            Some(vec!["b".into()])
        );
        assert_eq!(
            scan_key_columns(&desc(vec![uq], true)),
            None,
            "a nullable unique key cannot page"
        );
        assert_eq!(scan_key_columns(&desc(vec![], false)), None);
    }

    #[test]
    fn keyset_condition_expands_for_range_scans() {
        let int = SourceType::Int {
            width: crate::schema::IntWidth::Int,
            unsigned: false,
            display: None,
        };
        let dec = SourceType::Decimal {
            precision: 30,
            scale: 10,
            unsigned: false,
        };
        let (c, p) = keyset_condition(&[("a".into(), int.clone())], &[Value::Int(1)]);
        assert_eq!(c, "`a` > ?");
        assert_eq!(p, vec![Value::Int(1)]);
        let cols = vec![
            ("a".into(), int.clone()),
            ("b".into(), dec),
            ("c".into(), int),
        ];
        let (c, p) = keyset_condition(
            &cols,
            &[Value::Int(1), Value::Bytes(b"2.5".to_vec()), Value::Int(3)],
        );
        assert_eq!(
            c,
            "`a` >= ? AND (`a` > ? OR (`b` >= CAST(? AS DECIMAL(30,10)) AND (`b` > CAST(? AS DECIMAL(30,10)) OR (`c` > ?))))"
        );
        assert_eq!(p.len(), 5);
        assert_eq!(p[2], Value::Bytes(b"2.5".to_vec()));
    }

    #[test]
    fn key_json_round_trip() {
        let k = vec![
            Value::NULL,
            Value::Int(-5),
            Value::UInt(u64::MAX),
            Value::Double(1.5),
            Value::Float(0.25),
            Value::Bytes(vec![0, 255, b'a']),
            Value::Date(2024, 2, 29, 1, 2, 3, 4),
            Value::Time(true, 34, 22, 59, 59, 1),
        ];
        let j = key_to_json(&k);
        let text = j.to_string();
        let back = key_from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, k);
        assert!(key_from_json(&serde_json::json!([{"x": 1}])).is_err());
        assert!(key_from_json(&serde_json::json!({"i": 1})).is_err());
    }
}
