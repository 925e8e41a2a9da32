//! Flink CDC 3 pipeline YAML (`flink-cdc-pipeline.<rule>.yaml`, `flink-cdc-pipeline.all.yaml`),
//! rendered through `templates/flink-cdc/pipeline.yaml`.
//!
//! One pipeline has one MySQL source: one binlog reader for all of its tables (the Flink SQL opens
//! one per table). What it holds, and why (Flink CDC release-3.6.0, see
//! `../shared/reference/flink-cdc-pipeline.md`):
//! - `source.tables`: the plan's actual source tables as exact `db.table` items, names
//!   regex-escaped (Selectors: items split on unescaped `,`, each on its unescaped `.`; a `\.` is a
//!   regex dot), never the rule's own regexes (Rust syntax, and they may match tables the plan
//!   left out). `server-id` is a range of the pipeline's parallelism.
//! - a chunk key (`db.table:column;...`) for each table without a source PRIMARY KEY (the
//!   pipeline source always snapshots in chunks);
//! - `transform`: origin columns of merged shards (`__schema_name__` is the MySQL database,
//!   `__namespace_name__` is NULL for MySQL; transforms run before routes, so both names are the
//!   shard's own) and `primary-keys` where the StarRocks key is not the source's PRIMARY KEY;
//! - `route`: every target whose name is not its source's (merged shards, renames), listing
//!   exactly its source tables;
//! - the StarRocks sink only writes PRIMARY KEY tables (`StarRocksUtils#toStarRocksTable` throws
//!   for a schema without one), so a table smt plans as DUPLICATE KEY is left out, with a comment.

use super::flink::{self, chunk_key_for, id_text, source_has_primary_key, ServerIds};
use super::{one_line, render, sorted_tables};
use crate::config::{RuleConfig, SourceConfig, SourceKind};
use crate::plan::{ColumnOrigin, Model, Plan, RulePlan, TablePlan};
use crate::schema::SourceType;
use askama::Template;
use std::collections::BTreeSet;

/// Keys of the pipeline MySQL source a rule's `flink.cdc.*` may set (MySqlDataSourceOptions,
/// release-3.6.0); `tables`, `server-id` and the chunk key are smt's.
const SOURCE_KEYS: &[&str] = &[
    "hostname",
    "port",
    "username",
    "password",
    "server-time-zone",
    "scan.startup.mode",
    "scan.startup.specific-offset.file",
    "scan.startup.specific-offset.pos",
    "scan.startup.specific-offset.gtid-set",
    "scan.startup.specific-offset.skip-events",
    "scan.startup.specific-offset.skip-rows",
    "scan.startup.timestamp-millis",
    "scan.incremental.snapshot.chunk.size",
    "scan.snapshot.fetch.size",
    "chunk-key.even-distribution.factor.lower-bound",
    "chunk-key.even-distribution.factor.upper-bound",
    "chunk-meta.group.size",
    "connect.timeout",
    "connect.max-retries",
    "connection.pool.size",
    "heartbeat.interval",
    "scan.incremental.close-idle-reader.enabled",
    "scan.incremental.snapshot.unbounded-chunk-first.enabled",
    "scan.incremental.snapshot.backfill.skip",
    "scan.newly-added-table.enabled",
    "scan.parse.online.schema.changes.enabled",
    "schema-change.enabled",
    "include-comments.enabled",
    "treat-tinyint1-as-boolean.enabled",
    "use.legacy.json.format",
    "metadata.list",
];
const SOURCE_PREFIXES: &[&str] = &["jdbc.properties.", "debezium."];
/// Keys of the pipeline StarRocks sink a rule's `flink.starrocks.*` may set
/// (StarRocksDataSinkOptions, release-3.6.0), besides `sink.properties.*`.
const SINK_KEYS: &[&str] = &[
    "jdbc-url",
    "load-url",
    "username",
    "password",
    "sink.label-prefix",
    "sink.connect.timeout-ms",
    "sink.socket.timeout-ms",
    "sink.wait-for-continue.timeout-ms",
    "sink.buffer-flush.max-bytes",
    "sink.buffer-flush.interval-ms",
    "sink.scan-frequency.ms",
    "sink.io.thread-count",
    "sink.at-least-once.use-transaction-stream-load",
    "sink.metric.histogram-window-size",
    "table.schema-change.timeout",
];
/// Stream Load headers the pipeline sink fixes itself (StarRocksDataSinkFactory: JSON) or that
/// mean CSV.
const SINK_FIXED_PROPERTIES: &[&str] = &[
    "sink.properties.format",
    "sink.properties.strip_outer_array",
    "sink.properties.ignore_json_size",
    "sink.properties.column_separator",
    "sink.properties.row_delimiter",
];
/// Ranges the bundled StarRocks connector checks (StarRocksSinkOptions#validateParamsRange):
/// a value outside is moved to the nearest bound, with a comment.
const SINK_RANGES: &[(&str, u64, u64)] = &[
    ("sink.buffer-flush.interval-ms", 1000, 3_600_000),
    ("sink.buffer-flush.max-bytes", 67_108_864, 10_737_418_240),
];

/// Options carried and notes (or names) of options not carried.
type OptionsAndNotes = (Vec<(String, String)>, Vec<String>);
/// (rule, file text).
type Named = (String, String);

// ---------------------------------------------------------------------------------------------
// Template

struct Entry {
    comments: Vec<String>,
    key: String,
    value: String,
}

struct Item {
    comments: Vec<String>,
    entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "flink-cdc/pipeline.yaml", escape = "none")]
struct PipelineYaml {
    header: Vec<String>,
    source: Vec<Entry>,
    sink: Vec<Entry>,
    transforms: Vec<Item>,
    routes: Vec<Item>,
    pipeline: Vec<Entry>,
}

fn entry(key: &str, value: String) -> Entry {
    Entry {
        comments: Vec::new(),
        key: yaml_key(key),
        value,
    }
}

fn noted(mut e: Entry, comments: Vec<String>) -> Entry {
    e.comments = comments;
    e
}

/// A YAML scalar holding exactly `s` as a string: single-quoted (backslashes literal, `'`
/// doubled), or double-quoted with escapes when `s` holds a control character.
pub fn yaml_scalar(s: &str) -> String {
    if s.chars().any(char::is_control) {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// A mapping key: plain when it is a simple option name, else quoted.
fn yaml_key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && k.starts_with(|c: char| c.is_ascii_alphabetic());
    if plain {
        k.to_string()
    } else {
        yaml_scalar(k)
    }
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A table the pipeline carries.
struct Carried<'a> {
    t: &'a TablePlan,
    rule: &'a RuleConfig,
    /// Exact `db.table` items (Selectors and route syntax alike), one per shard.
    items: Vec<String>,
    /// `db.table:column` when the source has no PRIMARY KEY.
    chunk_key: Option<(String, String)>,
    transform: Option<Item>,
    route: Option<Item>,
    /// One-line notes for the YAML (types the pipeline converts its own way, chunk key notes).
    notes: Vec<String>,
}

/// Characters a name cannot hold in Flink CDC's table lists (`,` splits items and route
/// alternatives, `;`/`:` split the chunk key list) or in one YAML line.
fn unrepresentable(name: &str) -> bool {
    name.contains([',', ';', ':', '\\']) || name.chars().any(char::is_control)
}

/// `db.table` as an exact table pattern: both names regex-escaped (a `.` in a name becomes `\.`,
/// which Flink CDC reads as a regex dot: the only way to match it).
fn item(db: &str, table: &str) -> String {
    format!("{}.{}", regex::escape(db), regex::escape(table))
}

/// Identifier in a transform projection: plain when simple, else backquoted.
fn projection_name(n: &str) -> String {
    if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    {
        n.to_string()
    } else {
        format!("`{}`", n.replace('`', "``"))
    }
}

/// Columns whose values the pipeline converts its own way (its MySQL source and StarRocks sink
/// types), unlike smt's mapping.
fn type_warnings(t: &TablePlan) -> Vec<String> {
    let mut out = Vec::new();
    for c in &t.columns {
        let ColumnOrigin::Source { name, ty } = &c.origin else {
            continue;
        };
        let why = match ty {
            SourceType::Bit(n) if *n > 1 => "BIT(n>1) arrives as BINARY bytes, not smt's integer",
            SourceType::Binary(_) | SourceType::Varbinary(_) | SourceType::Blob(_) => {
                "binary values go as the sink's JSON encoding of bytes, not smt's"
            }
            SourceType::Time { .. } => {
                "TIME becomes HH:mm:ss text (no negative or > 24 h values), smt keeps [-]HHH:MM:SS"
            }
            SourceType::Geometry(_) => "geometry arrives as Flink CDC's JSON form, smt writes WKT",
            _ => continue,
        };
        out.push(one_line(&format!("WARNING column {name}: {why}")));
    }
    out
}

/// The source's PRIMARY KEY columns when every shard has the same one; for a plan without source
/// descriptions (tests, embedding) the plan's source-side key.
fn source_pk_columns(t: &TablePlan) -> Option<Vec<String>> {
    if t.source_tables.is_empty() {
        let key = flink::source_key(t);
        return (!key.is_empty()).then_some(key);
    }
    if !source_has_primary_key(t) {
        return None;
    }
    let first = t.source_tables[0].primary_key()?.columns.clone();
    t.source_tables
        .iter()
        .all(|d| d.primary_key().is_some_and(|k| k.columns == first))
        .then_some(first)
}

/// Whether the pipeline can carry `t`, and how; `Err` says why not.
fn carry<'a>(
    t: &'a TablePlan,
    rule: &'a RuleConfig,
) -> anyhow::Result<Result<Carried<'a>, String>> {
    if t.model != Model::Primary || t.key.is_empty() {
        return Ok(Err(
            "smt plans it as a DUPLICATE KEY table (no primary key, no NOT NULL unique key); the \
             StarRocks pipeline sink writes only PRIMARY KEY tables (StarRocksUtils#toStarRocksTable) \
             and a primary-keys transform would collapse rows with equal keys: replicate it with \
             the Flink SQL job or smt sync"
                .into(),
        ));
    }
    if let Some(s) = t
        .sources
        .iter()
        .find(|s| unrepresentable(&s.database) || unrepresentable(&s.table))
    {
        return Ok(Err(format!(
            "{}.{} has a character (, ; : \\ or a control character) Flink CDC's table lists cannot hold",
            s.database, s.table
        )));
    }
    for c in &t.columns {
        if let ColumnOrigin::Source { name, .. } = &c.origin {
            if name != &c.name {
                return Ok(Err(format!(
                    "source column {name} is {} in StarRocks; the pipeline writes source names",
                    c.name
                )));
            }
        }
    }
    if let Some(k) = t.key.iter().find(|k| k.contains(',')) {
        return Ok(Err(format!(
            "key column {k} has a ',' (primary-keys is a comma list)"
        )));
    }
    let items: Vec<String> = t
        .sources
        .iter()
        .map(|s| item(&s.database, &s.table))
        .collect();
    if items.is_empty() {
        return Ok(Err("the plan names no source table".into()));
    }
    let mut notes = type_warnings(t);
    let source_pk = source_pk_columns(t);
    let chunk_key = if source_pk.is_some() {
        None
    } else {
        match chunk_key_for(t, rule, &mut notes)? {
            Ok((col, why)) if !unrepresentable(&col) => {
                notes.push(one_line(&format!(
                    "no primary key in the source: the snapshot is split by {col} ({why})"
                )));
                Some((items.join(","), col))
            }
            Ok((col, _)) => {
                return Ok(Err(format!(
                    "its chunk key column {col} has a character the chunk key list cannot hold"
                )))
            }
            Err(why) => {
                return Ok(Err(format!(
                    "the pipeline's MySQL source always snapshots in chunks and this table has no chunk key: {why}"
                )))
            }
        }
    };
    let origin: Vec<(&str, &str)> = t
        .columns
        .iter()
        .filter_map(|c| match c.origin {
            ColumnOrigin::ShardDatabase => Some(("__schema_name__", c.name.as_str())),
            ColumnOrigin::ShardTable => Some(("__table_name__", c.name.as_str())),
            ColumnOrigin::Source { .. } => None,
        })
        .collect();
    let pk_is_source_pk = source_pk.as_deref() == Some(t.key.as_slice());
    let sources_label = t
        .sources
        .iter()
        .map(|s| format!("{}.{}", s.database, s.table))
        .collect::<Vec<_>>()
        .join(", ");
    let transform = (!origin.is_empty() || !pk_is_source_pk).then(|| {
        let mut entries = vec![entry("source-table", yaml_scalar(&items.join(",")))];
        let mut what = Vec::new();
        if !origin.is_empty() {
            let cols: Vec<String> = origin
                .iter()
                .map(|(meta, col)| format!("{meta} AS {}", projection_name(col)))
                .collect();
            entries.push(entry(
                "projection",
                yaml_scalar(&format!("\\*, {}", cols.join(", "))),
            ));
            what.push("shard origin columns");
        }
        if !pk_is_source_pk {
            entries.push(entry("primary-keys", yaml_scalar(&t.key.join(","))));
            what.push("the StarRocks key");
        }
        entries.push(entry(
            "description",
            yaml_scalar(&one_line(&format!(
                "{} of {}",
                what.join(" and "),
                t.target_name()
            ))),
        ));
        Item {
            comments: Vec::new(),
            entries,
        }
    });
    let renamed = t.sources.len() != 1
        || t.sources[0].database != t.target_database
        || t.sources[0].table != t.target_table;
    let route = renamed.then(|| Item {
        comments: Vec::new(),
        entries: vec![
            entry("source-table", yaml_scalar(&items.join(","))),
            entry(
                "sink-table",
                yaml_scalar(&format!("{}.{}", t.target_database, t.target_table)),
            ),
            entry(
                "description",
                yaml_scalar(&one_line(&format!(
                    "{sources_label} into {}",
                    t.target_name()
                ))),
            ),
        ],
    });
    Ok(Ok(Carried {
        t,
        rule,
        items,
        chunk_key,
        transform,
        route,
        notes,
    }))
}

// ---------------------------------------------------------------------------------------------
// One pipeline

/// Options the rules agree on: a key goes in when every rule sets it to the same value; the
/// others are listed.
fn agreed(sets: &[Vec<(String, String)>]) -> (Vec<(String, String)>, Vec<String>) {
    let Some(first) = sets.first() else {
        return (Vec::new(), Vec::new());
    };
    let last_of = |set: &Vec<(String, String)>, k: &str| {
        set.iter()
            .rev()
            .find(|(ok, _)| ok == k)
            .map(|(_, v)| v.clone())
    };
    let mut keys: Vec<String> = Vec::new();
    for set in sets {
        for (k, _) in set {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let mut out = Vec::new();
    let mut differ = Vec::new();
    for k in keys {
        let v = last_of(first, &k);
        if v.is_some() && sets.iter().all(|s| last_of(s, &k) == v) {
            out.push((k, v.unwrap_or_default()));
        } else {
            differ.push(k);
        }
    }
    (out, differ)
}

/// The rule's `flink.cdc.*` keys the pipeline source takes, and the names of those it does not.
fn source_options(rule: &RuleConfig) -> (Vec<(String, String)>, Vec<String>) {
    let mut out = Vec::new();
    let mut dropped = Vec::new();
    for (k, v) in &rule.flink_cdc {
        if SOURCE_KEYS.contains(&k.as_str()) || SOURCE_PREFIXES.iter().any(|p| k.starts_with(p)) {
            out.push((k.clone(), v.clone()));
        } else if !["server-id", flink::CHUNK_KEY_OPTION].contains(&k.as_str()) {
            dropped.push(k.clone());
        }
    }
    (out, dropped)
}

/// The rule's `flink.starrocks.*` keys the pipeline sink takes (values clamped into the
/// connector's ranges, with a note), and notes on the others.
fn sink_options(rule: &RuleConfig) -> (Vec<(String, String)>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (k, v) in &rule.flink_starrocks {
        if SINK_FIXED_PROPERTIES.contains(&k.as_str()) {
            continue; // the pipeline sink always loads JSON
        }
        if !(SINK_KEYS.contains(&k.as_str()) || k.starts_with("sink.properties.")) {
            notes.push(k.clone());
            continue;
        }
        let mut v = v.clone();
        if let Some((_, lo, hi)) = SINK_RANGES.iter().find(|(rk, _, _)| rk == k) {
            if let Ok(n) = v.trim().parse::<u64>() {
                let c = n.clamp(*lo, *hi);
                if c != n {
                    notes.push(format!(
                        "{k} = {n} is outside the connector's range {lo}..{hi}: {c} used"
                    ));
                    v = c.to_string();
                }
            }
        }
        out.push((k.clone(), v));
    }
    (out, notes)
}

/// A pipeline over `rules` (one rule's, or all of them). None when no table fits.
fn pipeline_yaml(
    name: &str,
    file_of: &str,
    rules: &[&RulePlan],
    src: &SourceConfig,
    ids: &mut ServerIds,
) -> anyhow::Result<Option<String>> {
    let mut carried = Vec::new();
    let mut left_out = Vec::new();
    for rp in rules {
        for t in sorted_tables(rp.tables.iter()) {
            match carry(t, &rp.config)? {
                Ok(c) => carried.push(c),
                Err(why) => left_out.push(one_line(&format!(
                    "left out: {} (rule {}): {why}",
                    t.target_name(),
                    rp.rule
                ))),
            }
        }
    }
    if carried.is_empty() {
        return Ok(None);
    }
    let par = rules
        .iter()
        .filter(|r| !r.tables.is_empty())
        .map(|r| r.config.flink_parallelism)
        .max()
        .unwrap_or(1);
    let server_id = ids.take(par)?;
    let mut used_rules: Vec<&RuleConfig> = Vec::new();
    for c in &carried {
        if !used_rules.iter().any(|r| r.name == c.rule.name) {
            used_rules.push(c.rule);
        }
    }

    let mut header = vec![
        format!("Flink CDC 3 pipeline for {file_of} (smt generate): MySQL -> StarRocks"),
        "Docs: https://nightlies.apache.org/flink/flink-cdc-docs-release-3.6/docs/core-concept/data-pipeline/ (blocks),".into(),
        "  .../connectors/pipeline-connectors/mysql/ and .../starrocks/ (keys), .../core-concept/route/ and .../transform/".into(),
        format!("Run: $FLINK_CDC_HOME/bin/flink-cdc.sh {name} (smt sync --engine flink-cdc runs the .all one)"),
        format!(
            "One MySQL source: one binlog reader (server-id {}, one id per reader at parallelism {par}) for all {} table(s) below.",
            id_text(server_id),
            carried.len()
        ),
        "Create the tables first with `smt apply` (starrocks-create.*.sql): the StarRocks pipeline sink creates a missing".into(),
        "table itself with its own type mapping (StarRocksUtils#toStarRocksTable: CHAR/VARCHAR x3 bytes, DECIMAL keys as".into(),
        "VARCHAR, no partitions), and it keeps a table that exists (StarRocksMetadataApplier#applyCreateTable calls".into(),
        "createTable(table, ignoreIfExists = true)), so smt's lossless types are the ones used.".into(),
    ];
    if !left_out.is_empty() {
        header.push(String::new());
        header.extend(left_out);
    }

    // source
    let mut source = vec![
        entry("type", "mysql".into()),
        entry(
            "name",
            yaml_scalar(&format!("MySQL {}:{}", src.host, src.port)),
        ),
        entry("hostname", yaml_scalar(&src.host)),
        entry("port", src.port.to_string()),
        entry("username", yaml_scalar(&src.user)),
        entry("password", yaml_scalar(src.password.expose())),
    ];
    let items: Vec<String> = carried
        .iter()
        .flat_map(|c| c.items.iter().cloned())
        .collect();
    source.push(noted(
        entry("tables", yaml_scalar(&items.join(","))),
        vec![
            "the plan's source tables, exact (names regex-escaped; Selectors split on ',' and '.')"
                .into(),
        ],
    ));
    source.push(entry("server-id", yaml_scalar(&id_text(server_id))));
    if let Some(tz) = &src.time_zone {
        source.push(entry("server-time-zone", yaml_scalar(tz)));
    }
    let chunk: Vec<String> = carried
        .iter()
        .filter_map(|c| c.chunk_key.as_ref())
        .flat_map(|(items, col)| items.split(',').map(move |i| format!("{i}:{col}")))
        .collect();
    if !chunk.is_empty() {
        source.push(noted(
            entry(
                "scan.incremental.snapshot.chunk.key-column",
                yaml_scalar(&chunk.join(";")),
            ),
            vec![
                "tables without a source PRIMARY KEY: the column each snapshot is split by".into(),
            ],
        ));
    }
    let per_rule: Vec<OptionsAndNotes> = used_rules.iter().map(|r| source_options(r)).collect();
    let (user_src, differ) = agreed(&per_rule.iter().map(|p| p.0.clone()).collect::<Vec<_>>());
    let mut src_notes: Vec<String> = Vec::new();
    let dropped: Vec<String> = per_rule
        .iter()
        .flat_map(|p| p.1.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !dropped.is_empty() {
        src_notes.push(one_line(&format!(
            "not carried from flink.cdc.* (the pipeline's MySQL source has no such key): {}",
            dropped.join(", ")
        )));
    }
    if !differ.is_empty() {
        src_notes.push(one_line(&format!(
            "not carried: the rules set flink.cdc.{} differently (see the per-rule pipelines)",
            differ.join(", flink.cdc.")
        )));
    }
    merge_entries(&mut source, user_src, src_notes);

    // sink
    let first = used_rules[0];
    let mut sink = vec![
        entry("type", "starrocks".into()),
        entry("name", yaml_scalar("StarRocks")),
    ];
    let mut sink_notes = Vec::new();
    for k in ["jdbc-url", "load-url", "username", "password"] {
        match first.starrocks_option(k) {
            Some(v) => sink.push(entry(k, yaml_scalar(v))),
            None => sink_notes.push(format!("missing flink.starrocks.{k}: set it in the rule")),
        }
        if used_rules
            .iter()
            .any(|r| r.starrocks_option(k) != first.starrocks_option(k))
        {
            sink_notes.push(one_line(&format!(
                "the rules name different flink.starrocks.{k}: this pipeline uses rule {}'s (use the per-rule pipelines)",
                first.name
            )));
        }
    }
    let per_rule: Vec<OptionsAndNotes> = used_rules.iter().map(|r| sink_options(r)).collect();
    let (user_sink, differ) = agreed(&per_rule.iter().map(|p| p.0.clone()).collect::<Vec<_>>());
    let odd: Vec<String> = per_rule
        .iter()
        .flat_map(|p| p.1.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for n in odd {
        if n.contains(' ') {
            sink_notes.push(one_line(&n));
        } else {
            sink_notes.push(one_line(&format!(
                "flink.starrocks.{n} is not carried: the pipeline's StarRocks sink has no such key"
            )));
        }
    }
    if !differ.is_empty() {
        sink_notes.push(one_line(&format!(
            "not carried: the rules set flink.starrocks.{} differently",
            differ.join(", flink.starrocks.")
        )));
    }
    let user_sink: Vec<(String, String)> = user_sink
        .into_iter()
        .filter(|(k, _)| !["jdbc-url", "load-url", "username", "password"].contains(&k.as_str()))
        .collect();
    merge_entries(&mut sink, user_sink, sink_notes);
    let buckets: Vec<u32> = carried.iter().filter_map(|c| c.t.buckets).collect();
    if let Some(max) = buckets.iter().max() {
        let mut notes = Vec::new();
        if buckets.iter().any(|b| b != max) {
            notes.push("for tables the sink creates itself (smt plans some with fewer buckets: create them with smt apply)".into());
        }
        sink.push(noted(
            entry("table.create.num-buckets", max.to_string()),
            notes,
        ));
    }
    let props: Vec<Vec<(String, String)>> =
        carried.iter().map(|c| c.t.properties.clone()).collect();
    let (props, differ) = agreed(&props);
    for (i, (k, v)) in props.into_iter().enumerate() {
        let mut e = entry(&format!("table.create.properties.{k}"), yaml_scalar(&v));
        if i == 0 {
            e.comments.push("PROPERTIES of tables the sink creates itself (smt's, from be_num and properties.*)".into());
        }
        sink.push(e);
    }
    if !differ.is_empty() {
        if let Some(last) = sink.last_mut() {
            last.comments.push(one_line(&format!(
                "tables differ in PROPERTIES {}: create them with smt apply",
                differ.join(", ")
            )));
        }
    }

    // transform, route
    let mut transforms = Vec::new();
    let mut routes = Vec::new();
    for c in &mut carried {
        if let Some(mut tr) = c.transform.take() {
            tr.comments = std::mem::take(&mut c.notes);
            transforms.push(tr);
        } else if !c.notes.is_empty() {
            // notes of a table without a transform go with the tables list
            if let Some(e) = source.iter_mut().find(|e| e.key == "tables") {
                e.comments.extend(
                    c.notes
                        .iter()
                        .map(|n| one_line(&format!("{}: {n}", c.t.target_name()))),
                );
            }
        }
        if let Some(r) = c.route.take() {
            routes.push(r);
        }
    }

    let pipeline = vec![
        entry("name", yaml_scalar(&one_line(&format!("smt {file_of}")))),
        entry("parallelism", par.to_string()),
        noted(
            entry("schema.change.behavior", "lenient".into()),
            vec!["explicit: the CLI's conf/flink-cdc.yaml would say EVOLVE".into()],
        ),
    ];
    let text = render(&PipelineYaml {
        header,
        source,
        sink,
        transforms,
        routes,
        pipeline,
    });
    Ok(Some(text + "\n"))
}

/// Append `user` options to `entries` (a user value replaces ours in place); `notes` become
/// comments above the last entry.
fn merge_entries(entries: &mut Vec<Entry>, user: Vec<(String, String)>, notes: Vec<String>) {
    for (k, v) in user {
        let key = yaml_key(&k);
        let value = if k == "port" && v.trim().parse::<u16>().is_ok() {
            v.trim().to_string()
        } else {
            yaml_scalar(&v)
        };
        match entries.iter_mut().find(|e| e.key == key) {
            Some(e) => e.value = value,
            None => entries.push(Entry {
                comments: Vec::new(),
                key,
                value,
            }),
        }
    }
    if let Some(last) = entries.last_mut() {
        last.comments.extend(notes);
    }
}

/// Every pipeline of the plan: one per rule that has a table the pipeline carries, then the
/// one for all rules. Server ids come from `ids` (after the Flink SQL's).
pub fn pipelines(plan: &Plan, ids: &mut ServerIds) -> anyhow::Result<(Vec<Named>, Option<String>)> {
    if matches!(plan.source.kind, SourceKind::Tidb) {
        return Ok((Vec::new(), None)); // Flink CDC has no TiDB pipeline source
    }
    let mut per_rule = Vec::new();
    for rp in &plan.rules {
        let name = format!("flink-cdc-pipeline.{}.yaml", rp.rule);
        let what = format!("rule {}", one_line(&rp.rule));
        if let Some(y) = pipeline_yaml(&name, &what, &[rp], &plan.source, ids)? {
            per_rule.push((rp.rule.clone(), y));
        }
    }
    let all: Vec<&RulePlan> = plan.rules.iter().collect();
    let names: Vec<String> = all
        .iter()
        .filter(|r| !r.tables.is_empty())
        .map(|r| one_line(&r.rule))
        .collect();
    let what = format!("all rules ({})", names.join(", "));
    let all = pipeline_yaml(
        "flink-cdc-pipeline.all.yaml",
        &what,
        &all,
        &plan.source,
        ids,
    )?;
    Ok((per_rule, all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_keep_their_text() {
        assert_eq!(yaml_scalar(r"a\.b"), r"'a\.b'");
        assert_eq!(yaml_scalar("it's"), "'it''s'");
        assert_eq!(yaml_scalar("a\nb\"c"), "\"a\\nb\\\"c\"");
        assert_eq!(
            yaml_key("table.create.properties.x"),
            "table.create.properties.x"
        );
        assert_eq!(yaml_key("a b"), "'a b'");
    }

    #[test]
    fn items_are_exact() {
        assert_eq!(item("edu_db_1", "course_1"), "edu_db_1.course_1");
        assert_eq!(item("a.b", "t$1"), r"a\.b.t\$1");
    }
}
