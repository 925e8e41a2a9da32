//! Labels and Stream Load bodies. Pure: no I/O.
//!
//! Invariant (labels): a label is a function of facts the checkpoint holds — the job id, the
//! label namespace, the target table, and the batch's START position (binlog) or (epoch, chunk
//! number) (snapshot) — never of a clock at load time. A retry or a restart after a crash that
//! re-reads the same source range therefore uses the same label, and StarRocks' label dedup (a
//! label whose transaction is not ABORTED cannot begin again) makes a second commit impossible.
//! The namespace (see `checkpoint::State::namespace`) is drawn when a checkpoint is created
//! (first start, `--reset`) and renewed when the source history changes (failover): the same
//! position of two histories never names one label.
//! Every label matches `^[A-Za-z0-9_]{1,128}$` (the safe subset of StarRocks' label regex).
//!
//! Job id: 12 hex digits of FNV-1a-64 over `"<source host>:<port>|<target load-url>|<sorted
//! target tables>"` — what the job is, never where it was started from — computed when the
//! checkpoint is created and then read from the checkpoint (so renaming a host does not change
//! the labels of a running job).

use super::cell::{Cell, Row};
use super::position::BinlogPosition;
use crate::config::sink::Separator;
use crate::config::SinkFormat;
use crate::plan::{Model, SrType, TablePlan};

/// FNV-1a, 64 bit: stable across Rust versions and platforms (unlike `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Job id from the facts that identify a job (see the module doc): the source address, the
/// target's load address and the target tables (`db.table`, any order).
pub fn job_id(source: &str, target: &str, tables: &[String]) -> String {
    let mut tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    tables.sort_unstable();
    tables.dedup();
    let h = fnv1a64(format!("{source}|{target}|{}", tables.join(",")).as_bytes());
    format!("{:012x}", h >> 16)
}

/// Short stable tag of a target table (labels are unique per database; the tag keeps a label
/// short whatever the table name).
pub fn table_tag(db: &str, table: &str) -> String {
    let h = fnv1a64(format!("{db}.{table}").as_bytes());
    format!("{:08x}", h >> 32)
}

/// The numeric suffix of a binlog file name (`mysql-bin.000012` → 12); a hash when the name has
/// no numeric suffix (keeps labels inside the label alphabet).
fn file_index(file: &str) -> String {
    match file.rsplit('.').next().and_then(|s| s.parse::<u64>().ok()) {
        Some(n) => n.to_string(),
        None => format!("h{:08x}", fnv1a64(file.as_bytes()) >> 32),
    }
}

/// Label of a binlog batch starting at `start` (the checkpoint position it resumes from).
pub fn binlog_label(job: &str, db: &str, table: &str, start: &BinlogPosition) -> String {
    format!(
        "smt_{job}_{}_b_{}_{}",
        table_tag(db, table),
        file_index(&start.file),
        start.pos
    )
}

/// Label of snapshot chunk `chunk` read in `epoch`.
pub fn snapshot_label(job: &str, db: &str, table: &str, epoch: u32, chunk: u64) -> String {
    format!("smt_{job}_{}_s{epoch}_{chunk}", table_tag(db, table))
}

pub fn is_valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 128
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What a row does to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Upsert,
    Delete,
}

/// One encoded Stream Load body. Its buffer goes back to the encoding thread's spare when it
/// is dropped (see [`body_buffer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub rows: u64,
    pub format: SinkFormat,
    /// `columns` header: CSV always; JSON when a binary column needs a mapping.
    pub columns: Option<String>,
    /// `jsonpaths` header (JSON with a binary column: fields are bound by position).
    pub jsonpaths: Option<String>,
}

impl Drop for Body {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.bytes);
        if bytes.capacity() == 0 || bytes.capacity() > SPARE_MAX {
            return;
        }
        if let Ok(mut spare) = SPARE.lock() {
            if spare.len() < SPARES {
                spare.push(bytes);
            }
        }
    }
}

/// Largest buffer kept for reuse (a batch's byte budget is 64 MiB by default), and how many.
const SPARE_MAX: usize = 96 << 20;
const SPARES: usize = 4;

/// Body buffers dropped after their load, for the next bodies: snapshot readers encode one
/// chunk after another, and a reused buffer keeps its pages where a new one of 10–20 MiB per
/// chunk is zeroed by the kernel page by page each time (a figure in the README).
static SPARE: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// An empty buffer of at least `cap` bytes, a spare one when there is one.
fn body_buffer(cap: usize) -> Vec<u8> {
    let mut v = SPARE
        .lock()
        .ok()
        .and_then(|mut s| s.pop())
        .unwrap_or_default();
    v.clear();
    v.reserve(cap);
    v
}

/// Bytes `rows` take encoded, give or take: `per_row` for the framing of each row, plus
/// each value's length and a little for quoting.
fn encoded_size(rows: &[(Op, &Row)], per_row: usize) -> usize {
    rows.iter()
        .map(|(_, r)| {
            per_row
                + r.iter()
                    .map(|c| c.text().map_or(4, |t| t.len() + 3))
                    .sum::<usize>()
        })
        .sum::<usize>()
        + 2
}

/// CSV separators of a rule: (column separator, row delimiter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvSpec {
    pub sep: Separator,
    pub delim: Separator,
}

/// How to encode rows of one target table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodySpec {
    /// (target column name, the column is JSON, value must be quoted in JSON).
    pub columns: Vec<ColSpec>,
    /// PRIMARY KEY target: add `__op`.
    pub with_op: bool,
    /// Some = the rule asks for CSV.
    pub csv: Option<CsvSpec>,
    /// `sink.properties.*` headers passed through (not format/separators/label/strict_mode).
    pub extra_headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColSpec {
    pub name: String,
    pub json: bool,
    /// Send numbers as JSON strings (DECIMAL, LARGEINT, strings): no float rounding.
    pub quote_num: bool,
    /// A VARBINARY column: its value travels as hex text under a temporary name and the
    /// `columns` header decodes it (`name=to_binary(tmp,'hex')`). StarRocks would otherwise
    /// read a CSV field as base64 (3.2+) or hex (older) and a JSON string as its UTF-8 bytes
    /// (BE `formats/csv/varbinary_converter.cpp`, `formats/json/binary_column.cpp`), so no
    /// direct mapping carries arbitrary bytes in both formats; `to_binary` does (StarRocks ≥ 3.0).
    pub binary_source: Option<String>,
}

impl BodySpec {
    /// From the plan and its rule's sink options.
    pub fn new(plan: &TablePlan) -> Self {
        let sink = &plan.rule_config.sink;
        let taken = |n: &str| plan.columns.iter().any(|c| c.name.eq_ignore_ascii_case(n));
        let columns = plan
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| ColSpec {
                name: c.name.clone(),
                json: c.sr_type == SrType::Json,
                quote_num: matches!(
                    c.sr_type,
                    SrType::Decimal(..)
                        | SrType::LargeInt
                        | SrType::Char(_)
                        | SrType::Varchar(_)
                        | SrType::Varbinary(_)
                        | SrType::Date
                        | SrType::DateTime
                        | SrType::Json
                ),
                binary_source: matches!(c.sr_type, SrType::Varbinary(_)).then(|| {
                    let mut tmp = format!("__smt_hex_{i}");
                    while taken(&tmp) {
                        tmp.push('_');
                    }
                    tmp
                }),
            })
            .collect();
        let csv = match &sink.format {
            SinkFormat::Csv {
                column_separator,
                row_delimiter,
            } => Some(CsvSpec {
                sep: column_separator.clone(),
                delim: row_delimiter.clone(),
            }),
            SinkFormat::Json => None,
        };
        BodySpec {
            columns,
            with_op: plan.model == Model::Primary,
            csv,
            extra_headers: sink.headers.clone(),
        }
    }

    /// About how many bytes of a body a row takes besides its values' text: in JSON its keys,
    /// quotes and separators (a wide table's keys can outweigh its values); in CSV its
    /// separators.
    pub fn row_framing(&self) -> usize {
        let n = self.columns.len() + usize::from(self.with_op);
        if self.csv.is_some() {
            return n + 1;
        }
        self.columns.iter().map(|c| c.name.len() + 6).sum::<usize>()
            + if self.with_op { 10 } else { 0 }
            + 3
    }

    /// A writer of a JSON body row by row, when this spec encodes JSON (CSV needs the whole
    /// batch first: a value holding a separator sends the batch as JSON instead).
    pub fn json_writer(&self, capacity: usize) -> Option<JsonWriter<'_>> {
        self.csv.is_none().then(|| JsonWriter::new(self, capacity))
    }

    /// Encode rows. CSV when configured and possible; JSON when `force_json` or when a value
    /// contains the separator/delimiter (or is the literal `\N`), which CSV cannot carry.
    pub fn encode(&self, rows: &[(Op, &Row)], force_json: bool) -> Body {
        if let (Some(csv), false) = (&self.csv, force_json) {
            if let Some(body) = self.encode_csv(csv, rows) {
                return body;
            }
            tracing::debug!(
                "a value contains the CSV separator or delimiter: this batch is sent as JSON"
            );
        }
        self.encode_json(rows)
    }

    fn encode_csv(&self, csv: &CsvSpec, rows: &[(Op, &Row)]) -> Option<Body> {
        let mut out = body_buffer(encoded_size(rows, 4));
        for (op, row) in rows {
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(&csv.sep.bytes);
                }
                match cell {
                    // A refused value's row is never in a body (`load_batch` sets it aside).
                    Cell::Null | Cell::Refused(_) => out.extend_from_slice(b"\\N"),
                    Cell::Json(s) if !csv_carries_json(s) => return None,
                    Cell::Num(s) | Cell::Str(s) | Cell::Json(s) => {
                        let b = s.as_bytes();
                        if b == b"\\N"
                            || contains(b, &csv.sep.bytes)
                            || contains(b, &csv.delim.bytes)
                        {
                            return None;
                        }
                        out.extend_from_slice(b);
                    }
                }
            }
            if self.with_op {
                if !row.is_empty() {
                    out.extend_from_slice(&csv.sep.bytes);
                }
                out.push(if *op == Op::Delete { b'1' } else { b'0' });
            }
            out.extend_from_slice(&csv.delim.bytes);
        }
        Some(Body {
            bytes: out,
            rows: rows.len() as u64,
            format: SinkFormat::Csv {
                column_separator: csv.sep.clone(),
                row_delimiter: csv.delim.clone(),
            },
            columns: Some(self.columns_header()),
            jsonpaths: None,
        })
    }

    /// The `columns` header: every field in body order (binary columns under their temporary
    /// name), `__op`, then the `to_binary` mappings.
    fn columns_header(&self) -> String {
        let mut cols: Vec<String> = self
            .columns
            .iter()
            .map(|c| csv_column_name(c.binary_source.as_deref().unwrap_or(&c.name)))
            .collect();
        if self.with_op {
            cols.push("__op".into());
        }
        for c in &self.columns {
            if let Some(tmp) = &c.binary_source {
                cols.push(format!(
                    "{}=to_binary({},'hex')",
                    csv_column_name(&c.name),
                    csv_column_name(tmp)
                ));
            }
        }
        cols.join(",")
    }

    fn has_binary(&self) -> bool {
        self.columns.iter().any(|c| c.binary_source.is_some())
    }

    fn encode_json(&self, rows: &[(Op, &Row)]) -> Body {
        let mut w = JsonWriter::new(self, 0);
        w.out.reserve(encoded_size(rows, w.key_bytes + 12));
        for (op, row) in rows {
            w.push(*op, row);
        }
        w.finish()
    }
}

/// A JSON body written one row at a time (what [`BodySpec::encode`] writes for JSON, without
/// the rows held first): the snapshot reader streams source rows through it.
pub struct JsonWriter<'s> {
    spec: &'s BodySpec,
    /// With a binary column the fields are bound by position (`jsonpaths` + `columns`):
    /// keys `c0, c1, ..`, `op`; otherwise by name (keys = column names).
    positional: bool,
    /// Each field's key (`"name":`), escaped once per body, not once per value.
    keys: Vec<Vec<u8>>,
    key_bytes: usize,
    out: Vec<u8>,
    rows: u64,
}

impl<'s> JsonWriter<'s> {
    /// A writer whose buffer (from the pool) holds `capacity` bytes before it grows.
    pub fn new(spec: &'s BodySpec, capacity: usize) -> JsonWriter<'s> {
        let positional = spec.has_binary();
        let keys: Vec<Vec<u8>> = spec
            .columns
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let mut k = Vec::with_capacity(col.name.len() + 3);
                if positional {
                    k.extend_from_slice(format!("\"c{i}\"").as_bytes());
                } else {
                    json_string(&mut k, &col.name);
                }
                k.push(b':');
                k
            })
            .collect();
        let key_bytes = keys.iter().map(Vec::len).sum();
        let mut out = body_buffer(capacity);
        out.push(b'[');
        JsonWriter {
            spec,
            positional,
            keys,
            key_bytes,
            out,
            rows: 0,
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Append one row.
    pub fn push(&mut self, op: Op, row: &Row) {
        let out = &mut self.out;
        if self.rows > 0 {
            out.push(b',');
        }
        self.rows += 1;
        out.push(b'{');
        for (i, ((cell, col), key)) in row
            .iter()
            .zip(&self.spec.columns)
            .zip(&self.keys)
            .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            match cell {
                // A refused value's row is never in a body (`load_batch` sets it aside).
                Cell::Null | Cell::Refused(_) => out.extend_from_slice(b"null"),
                Cell::Num(s) => {
                    if !col.quote_num && is_json_number(s) {
                        out.extend_from_slice(s.as_bytes());
                    } else {
                        json_string(out, s);
                    }
                }
                Cell::Str(s) => json_string(out, s),
                Cell::Json(s) => {
                    // `sync::decode` hands over checked documents; a JSON column takes the
                    // document itself (StarRocks copies it structurally), anything else its
                    // text as a string.
                    if col.json && crate::sync::decode::json::is_valid(s) {
                        out.extend_from_slice(s.trim().as_bytes());
                    } else {
                        json_string(out, s);
                    }
                }
            }
        }
        if self.spec.with_op {
            if !row.is_empty() {
                out.push(b',');
            }
            let key: &[u8] = if self.positional {
                b"\"op\":"
            } else {
                b"\"__op\":"
            };
            out.extend_from_slice(key);
            out.push(if op == Op::Delete { b'1' } else { b'0' });
        }
        out.push(b'}');
    }

    /// The body.
    pub fn finish(mut self) -> Body {
        self.out.push(b']');
        let spec = self.spec;
        let (columns, jsonpaths) = if self.positional {
            let mut paths: Vec<String> = (0..spec.columns.len())
                .map(|i| format!("\"$.c{i}\""))
                .collect();
            if spec.with_op {
                paths.push("\"$.op\"".into());
            }
            (
                Some(spec.columns_header()),
                Some(format!("[{}]", paths.join(","))),
            )
        } else {
            (None, None)
        };
        Body {
            bytes: std::mem::take(&mut self.out),
            rows: self.rows,
            format: SinkFormat::Json,
            columns,
            jsonpaths,
        }
    }
}

/// Approximate encoded size of a row (for the byte budget), without encoding it.
pub fn row_size(row: &Row) -> usize {
    row.iter()
        .map(|c| match c {
            Cell::Null | Cell::Refused(_) => 4,
            Cell::Num(s) | Cell::Str(s) | Cell::Json(s) => s.len() + 4,
        })
        .sum::<usize>()
        + 16
}

fn csv_column_name(name: &str) -> String {
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.bytes().next().is_some_and(|b| !b.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        crate::ident::quote(name)
    }
}

/// StarRocks parses a CSV field of a JSON column as JSON only when it starts with `{`, `[` or
/// `"`; any other text (a number, `true`, `null`) is stored as a JSON *string*
/// (BE `types/json_value.cpp` `parse_json_or_string`). Such a document goes as JSON instead.
fn csv_carries_json(doc: &str) -> bool {
    matches!(
        doc.trim_start().as_bytes().first(),
        Some(b'{' | b'[' | b'"')
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    match needle {
        [] => false,
        // The common one-byte separator: the standard library's byte search.
        [b] => hay.contains(b),
        _ => hay.windows(needle.len()).any(|w| w == needle),
    }
}

fn json_string(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if !needs_json_escape(b) {
        // Most text has nothing to escape: copy it whole.
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
        return;
    }
    // serde_json writes a valid escaped JSON string; writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Whether a string has a byte JSON must escape (a control character, `"` or `\`): exactly the
/// bytes serde_json escapes, so the fast path above writes what serde_json would. Checked 16
/// bytes at a time without early exit inside a block, which the compiler vectorises.
fn needs_json_escape(b: &[u8]) -> bool {
    let bad = |x: u8| (x < 0x20) | (x == b'"') | (x == b'\\');
    let mut blocks = b.chunks_exact(16);
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &x| acc | bad(x)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&x| bad(x))
}

/// JSON number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let st = i;
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if i == st {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let st = i;
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if i == st {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::{ColumnOrigin, Encoding, TargetColumn};
    use crate::schema::{IntWidth, SourceType};

    #[test]
    fn json_strings_are_what_serde_json_writes() {
        // Every ASCII byte at every offset of a 16-byte block and in the remainder, plus
        // multi-byte UTF-8 around the block edges.
        let mut cases: Vec<String> = vec![String::new(), "plain".into(), "é€𝄞".repeat(7)];
        for c in 0u8..0x80 {
            for at in [0usize, 5, 15, 16, 17, 31, 40] {
                let mut t = "x".repeat(41);
                t.replace_range(at..at + 1, std::str::from_utf8(&[c]).unwrap());
                cases.push(t);
            }
        }
        for t in cases {
            let mut ours = Vec::new();
            json_string(&mut ours, &t);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }

    pub(crate) fn col(name: &str, sr: SrType) -> TargetColumn {
        TargetColumn {
            name: name.into(),
            sr_type: sr,
            flink_type: "STRING".into(),
            flink_source_type: String::new(),
            nullable: true,
            default: None,
            comment: String::new(),
            origin: ColumnOrigin::Source {
                name: name.into(),
                ty: SourceType::Int {
                    width: IntWidth::Int,
                    unsigned: false,
                    display: None,
                },
            },
            encoding: Encoding::Plain,
        }
    }

    pub(crate) fn plan(db: &str, t: &str, model: Model, cols: Vec<TargetColumn>) -> TablePlan {
        let key = vec![cols[0].name.clone()];
        TablePlan {
            rule: "1".into(),
            rule_config: Default::default(),
            source_tables: vec![],
            target_database: db.into(),
            target_table: t.into(),
            sources: vec![crate::plan::SourceRef {
                database: db.into(),
                table: t.into(),
            }],
            shard_regex: None,
            columns: cols,
            model,
            key,
            distributed_by: vec![],
            buckets: None,
            properties: vec![],
            comment: String::new(),
            partition_clause: None,
            notes: vec![],
        }
    }

    fn spec(model: Model, opts: &[(&str, &str)]) -> BodySpec {
        let p = plan(
            "d",
            "t",
            model,
            vec![
                col("id", SrType::BigInt),
                col("name", SrType::Varchar(40)),
                col("doc", SrType::Json),
                col("amount", SrType::Decimal(20, 2)),
            ],
        );
        let opts: Vec<(String, String)> = opts
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut rule = crate::config::RuleConfig::named("1");
        rule.sink = crate::config::SinkOptions::from_options(&opts).unwrap();
        let mut p = p;
        p.rule_config = std::sync::Arc::new(rule);
        BodySpec::new(&p)
    }

    fn row(id: &str, name: Cell) -> Row {
        vec![
            Cell::Num(id.into()),
            name,
            Cell::Json(r#"{"a": [1, 2]}"#.into()),
            Cell::Num("12345678901234567.89".into()),
        ]
    }

    #[test]
    fn labels_are_deterministic_and_valid() {
        let tables = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let job = job_id("127.0.0.1:3306", "127.0.0.1:8030", &tables(&["d.a", "d.b"]));
        assert_eq!(job.len(), 12);
        // The same job whatever the table order; another source, target or table set differs.
        assert_eq!(
            job,
            job_id("127.0.0.1:3306", "127.0.0.1:8030", &tables(&["d.b", "d.a"]))
        );
        for other in [
            job_id("127.0.0.1:3307", "127.0.0.1:8030", &tables(&["d.a", "d.b"])),
            job_id("127.0.0.1:3306", "127.0.0.2:8030", &tables(&["d.a", "d.b"])),
            job_id("127.0.0.1:3306", "127.0.0.1:8030", &tables(&["d.a"])),
        ] {
            assert_ne!(job, other);
        }
        let p = BinlogPosition::new("mysql-bin.000012", 4567);
        let l = binlog_label(&job, "db", "t", &p);
        assert_eq!(l, format!("smt_{job}_{}_b_12_4567", table_tag("db", "t")));
        assert!(is_valid_label(&l));
        assert_ne!(l, binlog_label(&job, "db", "t2", &p));
        let s = snapshot_label(&job, "db", "weird `name` é", 3, 17);
        assert!(is_valid_label(&s), "{s}");
        assert!(s.ends_with("_s3_17"));
        let odd = binlog_label(&job, "db", "t", &BinlogPosition::new("binlog", u64::MAX));
        assert!(is_valid_label(&odd) && odd.len() <= 128, "{odd}");
        // Pinned: the hash must never change between versions (labels of a running job).
        assert_eq!(
            table_tag("db", "t"),
            format!("{:08x}", fnv1a64(b"db.t") >> 32)
        );
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn row_framing_is_what_a_row_of_empty_values_takes() {
        for (model, opts) in [
            (Model::Primary, &[][..]),
            (Model::Duplicate, &[][..]),
            (
                Model::Primary,
                &[
                    ("sink.properties.format", "csv"),
                    ("sink.properties.column_separator", "\\x01"),
                ][..],
            ),
        ] {
            let s = spec(model.clone(), opts);
            let empty: Row = s.columns.iter().map(|_| Cell::Str(String::new())).collect();
            let one = s.encode(&[(Op::Upsert, &empty)], false).bytes.len();
            let two = s
                .encode(&[(Op::Upsert, &empty), (Op::Upsert, &empty)], false)
                .bytes
                .len();
            let per_row = two - one;
            let framing = s.row_framing();
            assert!(
                framing >= per_row && framing <= per_row + 2,
                "{model:?} {opts:?}: framing {framing}, a row of empty values takes {per_row}"
            );
        }
    }

    #[test]
    fn json_body_pk_with_op() {
        let s = spec(Model::Primary, &[]);
        let r1 = row("1", Cell::Str("a\"b\n".into()));
        let r2 = row("2", Cell::Null);
        let b = s.encode(&[(Op::Upsert, &r1), (Op::Delete, &r2)], false);
        assert_eq!(b.format, SinkFormat::Json);
        assert_eq!(b.rows, 2);
        let v: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"id": 1, "name": "a\"b\n", "doc": {"a": [1, 2]}, "amount": "12345678901234567.89", "__op": 0},
                {"id": 2, "name": null, "doc": {"a": [1, 2]}, "amount": "12345678901234567.89", "__op": 1}
            ])
        );
    }

    #[test]
    fn json_body_duplicate_has_no_op_and_bad_numbers_are_quoted() {
        let s = spec(Model::Duplicate, &[]);
        let r = vec![
            Cell::Num("1.".into()),
            Cell::Null,
            Cell::Json("not json".into()),
            Cell::Null,
        ];
        let b = s.encode(&[(Op::Upsert, &r)], false);
        let v: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{"id": "1.", "name": null, "doc": "not json", "amount": null}])
        );
    }

    #[test]
    fn csv_body_with_hex_separators_and_null() {
        let s = spec(
            Model::Primary,
            &[
                ("sink.properties.format", "csv"),
                ("sink.properties.column_separator", "\\x01"),
                ("sink.properties.row_delimiter", "\\x02"),
                ("sink.properties.timeout", "600"),
            ],
        );
        assert_eq!(
            s.extra_headers,
            vec![("timeout".to_string(), "600".to_string())]
        );
        let r = row("7", Cell::Null);
        let b = s.encode(&[(Op::Delete, &r)], false);
        assert_eq!(
            b.format,
            SinkFormat::Csv {
                column_separator: Separator::parse("\\x01").unwrap(),
                row_delimiter: Separator::parse("\\x02").unwrap()
            }
        );
        assert_eq!(b.columns.as_deref(), Some("id,name,doc,amount,__op"));
        assert_eq!(
            b.bytes,
            b"7\x01\\N\x01{\"a\": [1, 2]}\x0112345678901234567.89\x011\x02".to_vec()
        );
    }

    #[test]
    fn csv_falls_back_to_json_on_separator_or_literal_null_marker() {
        let s = spec(Model::Duplicate, &[("sink.properties.format", "CSV")]);
        let tab = row("1", Cell::Str("a\tb".into()));
        assert_eq!(
            s.encode(&[(Op::Upsert, &tab)], false).format,
            SinkFormat::Json
        );
        let nl = row("1", Cell::Str("a\nb".into()));
        assert_eq!(
            s.encode(&[(Op::Upsert, &nl)], false).format,
            SinkFormat::Json
        );
        let nm = row("1", Cell::Str("\\N".into()));
        assert_eq!(
            s.encode(&[(Op::Upsert, &nm)], false).format,
            SinkFormat::Json
        );
        let ok = row("1", Cell::Str("a b".into()));
        let b = s.encode(&[(Op::Upsert, &ok)], false);
        assert!(matches!(b.format, SinkFormat::Csv { .. }));
        assert_eq!(b.columns.as_deref(), Some("id,name,doc,amount"));
        assert_eq!(
            s.encode(&[(Op::Upsert, &ok)], true).format,
            SinkFormat::Json
        );
    }

    /// Every kind of JSON document in both formats: CSV carries a document StarRocks parses
    /// (`{`, `[`, `"` first), anything else switches the batch to JSON, where the document is
    /// the field itself (StarRocks copies it structurally).
    #[test]
    fn json_documents_of_every_kind_in_both_formats() {
        let csv = spec(Model::Duplicate, &[("sink.properties.format", "csv")]);
        let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
        for (doc, csv_ok) in [
            (r#"{"a": [1, 2]}"#, true),
            ("[1, \"x\", null]", true),
            (r#""{\"a\":1}""#, true),
            (r#""\u00e9\ud83d\ude00""#, true),
            ("1.2345678901234568e29", false),
            ("18446744073709551615", false),
            ("true", false),
            ("false", false),
            ("null", false),
            ("0.1000000000000000055511151231257827", false),
            (deep.as_str(), true),
        ] {
            let r = vec![
                Cell::Num("1".into()),
                Cell::Null,
                Cell::Json(doc.into()),
                Cell::Null,
            ];
            let b = csv.encode(&[(Op::Upsert, &r)], false);
            assert_eq!(matches!(b.format, SinkFormat::Csv { .. }), csv_ok, "{doc}");
            if csv_ok {
                assert_eq!(b.bytes, format!("1\t\\N\t{doc}\t\\N\n").into_bytes());
            }
            let j = csv.encode(&[(Op::Upsert, &r)], true);
            let text = String::from_utf8(j.bytes.clone()).unwrap();
            // The document itself, not a string holding it (serde_json would refuse the deep
            // one: its recursion limit is 128).
            assert_eq!(
                text,
                format!("[{{\"id\":1,\"name\":null,\"doc\":{doc},\"amount\":null}}]"),
                "{doc}"
            );
        }
    }

    #[test]
    fn json_numbers() {
        for ok in ["0", "-1", "1.5", "1e10", "-0.5E-3", "123456"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["", "01", "1.", ".5", "+1", "NaN", "1e", "0x1", "1 "] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn json_body_round_trips(vals in proptest::collection::vec(proptest::option::of(".{0,20}"), 1..20)) {
            let s = spec(Model::Primary, &[("sink.properties.format", "csv")]);
            let rows: Vec<Row> = vals.iter().enumerate().map(|(i, v)| row(&i.to_string(), v.clone().map_or(Cell::Null, Cell::Str))).collect();
            let refs: Vec<(Op, &Row)> = rows.iter().map(|r| (Op::Upsert, r)).collect();
            let b = s.encode(&refs, false);
            match b.format {
                SinkFormat::Json => {
                    let v: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
                    for (i, val) in vals.iter().enumerate() {
                        let got = &v[i]["name"];
                        match val { None => proptest::prop_assert!(got.is_null()), Some(t) => proptest::prop_assert_eq!(got.as_str(), Some(t.as_str())) }
                    }
                }
                SinkFormat::Csv { .. } => {
                    let text = String::from_utf8(b.bytes.clone()).unwrap();
                    let lines: Vec<&str> = text.split_terminator('\n').collect();
                    proptest::prop_assert_eq!(lines.len(), vals.len());
                    for (line, val) in lines.iter().zip(&vals) {
                        let f: Vec<&str> = line.split('\t').collect();
                        proptest::prop_assert_eq!(f.len(), 5);
                        match val { None => proptest::prop_assert_eq!(f[1], "\\N"), Some(t) => proptest::prop_assert_eq!(f[1], t.as_str()) }
                    }
                }
            }
        }
    }
}
