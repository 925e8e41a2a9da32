//! Flink SQL (`flink-create.<rule>.sql`): per target a `<t>_src` mysql-cdc table, a `<t>_sink`
//! starrocks table and an INSERT, in SMT's shape, with these fixes: deterministic option order,
//! explicit column lists instead of `SELECT *`, one `EXECUTE STATEMENT SET` per job instead of one
//! job per table, `SET 'parallelism.default'` at the top, server-id ranges that hold the
//! parallelism and never overlap in the whole output, a chunk key (or a job of its own without
//! incremental snapshot) for every source table without a primary key, shard-origin metadata
//! columns for merged shards, and the source names regex-escaped (mysql-cdc reads
//! `database-name`/`table-name` as regexes and matches `<database-name>\.<table-name>`,
//! `MySqlTableSource#getScanRuntimeProvider`).
//!
//! A rule's file renders in named steps: [`rule_sources`] decides how each source table reads its
//! snapshot ([`SnapshotRead`]), [`ServerIds`] hands out the ids, [`flink_table`] renders one target
//! (columns, patterns, source options, sink), and [`render_rule`] lays out the jobs.

use super::{join_statements, one_line, quote_list, render, sorted_tables};
use crate::config::{FormatSource, RuleConfig, SourceConfig, SourceKind};
use crate::error::{fail, Kind};
use crate::ident::{quote, sq_string};
use crate::plan::{ColumnOrigin, Encoding, Model, RulePlan, SrType, TablePlan, TargetColumn};
use crate::schema::{KeyDesc, KeyKind, SourceType};
use askama::Template;
use regex::Regex;
use std::collections::BTreeSet;

/// First server id handed out.
pub const DEFAULT_SERVER_ID_BASE: u32 = 5400;
/// The Flink catalog every generated table lives in.
pub const FLINK_CATALOG: &str = "default_catalog";
/// mysql-cdc option naming the column the incremental snapshot splits a table by.
pub const CHUNK_KEY_OPTION: &str = "scan.incremental.snapshot.chunk.key-column";
/// mysql-cdc option switching the incremental snapshot off (legacy, single-reader source).
pub const INCREMENTAL_OPTION: &str = "scan.incremental.snapshot.enabled";
/// Largest server id mysql-cdc accepts (`ServerIdRange#parseServerId` uses Integer.parseInt).
const MAX_SERVER_ID: u32 = i32::MAX as u32;

// ---------------------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "flink/create_database.sql", escape = "none")]
struct FlinkCreateDatabase {
    db: String,
}

struct FlinkColumnView {
    name: String,
    ty: String,
    not_null: bool,
    /// Quoted metadata key, e.g. `'database_name'`.
    metadata: Option<String>,
}

#[derive(Template)]
#[template(path = "flink/create_table.sql", escape = "none")]
struct FlinkCreateTable {
    /// One-line comments placed before the statement.
    notes: Vec<String>,
    name: String,
    columns: Vec<FlinkColumnView>,
    primary_key: Option<String>,
    options: Vec<(String, String)>,
}

struct InsertView {
    sink: String,
    select: String,
    source: String,
}

#[derive(Template)]
#[template(path = "flink/statement_set.sql", escape = "none")]
struct FlinkStatementSet {
    /// One-line comments placed before the block.
    notes: Vec<String>,
    inserts: Vec<InsertView>,
}

// ---------------------------------------------------------------------------------------------
// Snapshot: primary key, chunk key, or no incremental snapshot

/// How the mysql-cdc source of one target reads its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotRead {
    /// The source table has a PRIMARY KEY and the Flink table declares it: mysql-cdc splits
    /// the snapshot by its first column.
    PrimaryKey,
    /// Split by `column` (`scan.incremental.snapshot.chunk.key-column`); `why` goes into a
    /// comment of the file.
    ChunkKey { column: String, why: String },
    /// No safe chunk key: `'scan.incremental.snapshot.enabled' = 'false'` (mysql-cdc's legacy
    /// source: one reader, one server id), in a job of its own.
    Legacy { why: String },
}

impl SnapshotRead {
    pub fn is_legacy(&self) -> bool {
        matches!(self, SnapshotRead::Legacy { .. })
    }
}

/// Types mysql-cdc's chunk splitter can compare and bound (numbers, short text, temporal
/// values); bytes, JSON, geometry, ENUM/SET and long text are never chosen.
fn chunkable(ty: &SourceType) -> bool {
    matches!(
        ty,
        SourceType::Int { .. }
            | SourceType::Decimal { .. }
            | SourceType::Float { .. }
            | SourceType::Double { .. }
            | SourceType::Char(_)
            | SourceType::Varchar(_)
            | SourceType::Date
            | SourceType::DateTime { .. }
            | SourceType::Timestamp { .. }
            | SourceType::Time { .. }
            | SourceType::Year
    )
}

/// Whether every shard of `t` has a PRIMARY KEY (false when the plan carries no description).
pub fn source_has_primary_key(t: &TablePlan) -> bool {
    !t.source_tables.is_empty() && t.source_tables.iter().all(|d| d.primary_key().is_some())
}

/// A physical column of the source table (a column of the Flink `_src` table, not metadata).
fn physical_source_column(t: &TablePlan, name: &str) -> bool {
    t.columns
        .iter()
        .any(|c| matches!(&c.origin, ColumnOrigin::Source { name: n, .. } if n == name))
}

/// The chunk key smt picks for a source table from what the plan knows of it (PRIMARY and
/// UNIQUE keys — plain indexes are not introspected): in this order, the first column of a key
/// whose columns are all NOT NULL, the NOT NULL leading column of a key, any NOT NULL key
/// column; always of a [`chunkable`] type and NOT NULL in every shard (a NULL chunk key value
/// falls outside every chunk's range). `Err` says why there is none.
pub fn auto_chunk_key(t: &TablePlan) -> Result<(String, String), String> {
    let Some(first) = t.source_tables.first() else {
        return Err("smt has no description of the source table".into());
    };
    let fits = |col: &str| {
        physical_source_column(t, col)
            && t.source_tables.iter().all(|d| {
                d.columns
                    .iter()
                    .find(|c| c.name == col)
                    .is_some_and(|c| !c.nullable && chunkable(&c.ty))
                    && d.keys.iter().any(|k| k.columns.iter().any(|k| k == col))
            })
    };
    let not_null = |col: &str| first.columns.iter().any(|c| c.name == col && !c.nullable);
    let label = |k: &KeyDesc| match k.kind {
        KeyKind::Primary => "the source's PRIMARY KEY".to_string(),
        KeyKind::Unique => format!("UNIQUE KEY {}", quote(&k.name)),
    };
    let keys: Vec<&KeyDesc> = first
        .keys
        .iter()
        .filter(|k| k.kind == KeyKind::Primary)
        .chain(first.keys.iter().filter(|k| k.kind == KeyKind::Unique))
        .collect();
    for k in &keys {
        if k.columns.iter().all(|c| not_null(c)) {
            if let Some(c) = k.columns.first().filter(|c| fits(c)) {
                return Ok((
                    c.clone(),
                    format!(
                        "first column of {} (all of its columns are NOT NULL: it identifies rows)",
                        label(k)
                    ),
                ));
            }
        }
    }
    for k in &keys {
        if let Some(c) = k.columns.first().filter(|c| fits(c)) {
            return Ok((
                c.clone(),
                format!(
                    "leading column of {}, NOT NULL (the key has nullable columns, so values may \
                     repeat: chunks stay correct, only less even)",
                    label(k)
                ),
            ));
        }
    }
    for k in &keys {
        if let Some(c) = k.columns.iter().skip(1).find(|c| fits(c)) {
            return Ok((
                c.clone(),
                format!(
                    "NOT NULL column of {}, not its leading column: each chunk query scans the table",
                    label(k)
                ),
            ));
        }
    }
    Err(
        "no PRIMARY KEY, and no PRIMARY/UNIQUE key column that is NOT NULL and of a comparable \
         type (smt does not read plain indexes)"
            .into(),
    )
}

/// One entry of the user's `flink.cdc.scan.incremental.snapshot.chunk.key-column`: a bare
/// column (every table of the rule that has it) or `db_regex.table_regex:column` (Flink CDC's
/// pipeline form; the tables it names).
struct UserChunkKey {
    pattern: Option<(Regex, Regex)>,
    column: String,
}

/// Parse the rule's chunk key option. Entries are `;`-separated; a `db.table` pattern is split on
/// its first unescaped `.` (a `\.` is a regex dot, as in Flink CDC's Selectors) and each part must
/// match the whole name.
fn user_chunk_keys(rule: &RuleConfig) -> anyhow::Result<Vec<UserChunkKey>> {
    let Some(v) = rule
        .flink_cdc
        .iter()
        .rev()
        .find(|(k, _)| k == CHUNK_KEY_OPTION)
        .map(|(_, v)| v.trim())
    else {
        return Ok(Vec::new());
    };
    let bad = |why: String| {
        fail(
            Kind::Config,
            format!(
                "[table-rule.{}] flink.cdc.{CHUNK_KEY_OPTION} = {v:?}: {why}; write a column \
                 name (used for every table of the rule that has it) or db_regex.table_regex:column \
                 entries separated by ';'",
                rule.name
            ),
        )
    };
    if !v.contains(':') {
        if v.is_empty() || v.contains(';') {
            return Err(bad("not a column name".into()));
        }
        return Ok(vec![UserChunkKey {
            pattern: None,
            column: v.to_string(),
        }]);
    }
    let mut out = Vec::new();
    for entry in v.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((pat, col)) = entry.split_once(':').filter(|(_, c)| !c.contains(':')) else {
            return Err(bad(format!("{entry:?} is not db.table:column")));
        };
        let (db, table) = split_unescaped_dot(pat.trim())
            .ok_or_else(|| bad(format!("{pat:?} is not db_regex.table_regex")))?;
        let full = |p: &str| {
            Regex::new(&format!("^(?:{})$", p.replace("\\.", ".")))
                .map_err(|e| bad(format!("{p:?} is not a regex: {e}")))
        };
        out.push(UserChunkKey {
            pattern: Some((full(db)?, full(table)?)),
            column: col.trim().to_string(),
        });
    }
    Ok(out)
}

/// `a.b` → (`a`, `b`) at the first `.` not preceded by a backslash.
fn split_unescaped_dot(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'.' => {
                return Some((&s[..i], &s[i + 1..])).filter(|(a, b)| !a.is_empty() && !b.is_empty())
            }
            _ => i += 1,
        }
    }
    None
}

/// The user's chunk key for `t`, if an entry names it and `t` has that column; entries that
/// name `t` but whose column it lacks are said in `notes` and skipped.
fn user_chunk_key_for(
    t: &TablePlan,
    keys: &[UserChunkKey],
    notes: &mut Vec<String>,
) -> Option<String> {
    for k in keys {
        let named = match &k.pattern {
            None => true,
            Some((db, table)) => {
                !t.sources.is_empty()
                    && t.sources
                        .iter()
                        .all(|s| db.is_match(&s.database) && table.is_match(&s.table))
            }
        };
        if !named {
            continue;
        }
        if physical_source_column(t, &k.column) {
            let nullable = t
                .source_tables
                .iter()
                .any(|d| d.columns.iter().any(|c| c.name == k.column && c.nullable));
            if nullable {
                notes.push(one_line(&format!(
                    "WARNING chunk key {} (flink.cdc.{CHUNK_KEY_OPTION}) is nullable: rows where it is NULL fall outside every chunk",
                    k.column
                )));
            }
            return Some(k.column.clone());
        }
        notes.push(one_line(&format!(
            "flink.cdc.{CHUNK_KEY_OPTION} = {} is not used for this table: it has no column of that name",
            k.column
        )));
    }
    None
}

/// The chunk key of a source table without a PRIMARY KEY for a reader that always snapshots in
/// chunks (the Flink CDC pipeline's MySQL source): the rule's chunk key for this table, else
/// [`auto_chunk_key`]. The inner `Err` says why there is none; notes go to `notes`.
pub(super) fn chunk_key_for(
    t: &TablePlan,
    rule: &RuleConfig,
    notes: &mut Vec<String>,
) -> anyhow::Result<Result<(String, String), String>> {
    let user = user_chunk_keys(rule)?;
    if let Some(column) = user_chunk_key_for(t, &user, notes) {
        let why = format!("flink.cdc.{CHUNK_KEY_OPTION} of the rule names it for this table");
        return Ok(Ok((column, why)));
    }
    Ok(auto_chunk_key(t))
}

/// The rule sets `flink.cdc.scan.incremental.snapshot.enabled = false`.
fn rule_disables_incremental(rule: &RuleConfig) -> bool {
    rule.flink_cdc
        .iter()
        .rev()
        .find(|(k, _)| k == INCREMENTAL_OPTION)
        .is_some_and(|(_, v)| v.trim().eq_ignore_ascii_case("false"))
}

/// Source-side key of the Flink table: the target key columns that come from source columns
/// (empty unless the target is a PRIMARY KEY table).
pub(super) fn source_key(t: &TablePlan) -> Vec<String> {
    if t.model != Model::Primary || t.key.is_empty() {
        return Vec::new();
    }
    t.key
        .iter()
        .filter_map(|k| t.column(k))
        .filter_map(|c| match &c.origin {
            ColumnOrigin::Source { name, .. } => Some(name.clone()),
            ColumnOrigin::ShardDatabase | ColumnOrigin::ShardTable => None,
        })
        .collect()
}

/// How `t` reads its snapshot in the Flink SQL job, and notes for its source table.
fn snapshot_read(
    t: &TablePlan,
    rule: &RuleConfig,
    user: &[UserChunkKey],
) -> (SnapshotRead, Vec<String>) {
    let mut notes = Vec::new();
    if rule_disables_incremental(rule) {
        let why = format!("the rule sets flink.cdc.{INCREMENTAL_OPTION} = false");
        return (SnapshotRead::Legacy { why }, notes);
    }
    if let Some(column) = user_chunk_key_for(t, user, &mut notes) {
        let why = format!("flink.cdc.{CHUNK_KEY_OPTION} of the rule names it for this table");
        return (SnapshotRead::ChunkKey { column, why }, notes);
    }
    let flink_pk = !source_key(t).is_empty();
    // Plans built without source descriptions (tests, embedding) trust the plan's key.
    if flink_pk && (source_has_primary_key(t) || t.source_tables.is_empty()) {
        return (SnapshotRead::PrimaryKey, notes);
    }
    let read = match auto_chunk_key(t) {
        Ok((column, why)) => SnapshotRead::ChunkKey { column, why },
        Err(why) => SnapshotRead::Legacy { why },
    };
    (read, notes)
}

// ---------------------------------------------------------------------------------------------
// Server ids

/// Hands out server-id ranges `(first, last)`; no two ranges of one output overlap, and none
/// overlaps a range reserved for a user's `flink.cdc.server-id`.
#[derive(Debug, Clone)]
pub struct ServerIds {
    next: u32,
    taken: Vec<(u32, u32)>,
}

impl Default for ServerIds {
    fn default() -> Self {
        ServerIds::new(DEFAULT_SERVER_ID_BASE)
    }
}

impl ServerIds {
    pub fn new(first: u32) -> Self {
        ServerIds {
            next: first.max(1),
            taken: Vec::new(),
        }
    }

    /// Mark `range` as used (a user's range); errors if it overlaps one already handed out.
    pub fn reserve(&mut self, range: (u32, u32), what: &str) -> anyhow::Result<()> {
        if let Some(&(a, b)) = self
            .taken
            .iter()
            .find(|(a, b)| range.0 <= *b && *a <= range.1)
        {
            return Err(fail(
                Kind::Config,
                format!(
                    "{what} uses server ids {} that overlap {} of another source: every binlog \
                     reader of a MySQL server needs its own ids; give the rules distinct \
                     flink.cdc.server-id ranges (or remove them and let smt choose)",
                    id_text(range),
                    id_text((a, b))
                ),
            ));
        }
        self.taken.push(range);
        Ok(())
    }

    /// The next free range of `width` ids.
    pub fn take(&mut self, width: u32) -> anyhow::Result<(u32, u32)> {
        let width = width.max(1);
        let mut start = self.next;
        loop {
            let end = start
                .checked_add(width - 1)
                .filter(|e| *e <= MAX_SERVER_ID)
                .ok_or_else(|| {
                    fail(
                        Kind::Config,
                        "server ids exhausted: mysql-cdc takes ids up to 2147483647; lower flink_parallelism",
                    )
                })?;
            match self.taken.iter().find(|(a, b)| start <= *b && *a <= end) {
                Some(&(_, b)) => start = b + 1,
                None => {
                    self.taken.push((start, end));
                    self.next = end + 1;
                    return Ok((start, end));
                }
            }
        }
    }
}

/// `N` or `N-M` as mysql-cdc writes it.
pub fn id_text((a, b): (u32, u32)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// Parse `N` or `N-M` (the user's `flink.cdc.server-id`) into (start, width).
pub fn parse_server_id(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let a: u32 = s.parse().ok()?;
            (a, a)
        }
    };
    (a >= 1 && b >= a && b <= MAX_SERVER_ID).then(|| (a, b - a + 1))
}

/// The rule's `flink.cdc.server-id`, parsed; an error when it is not `N` or `N-M`.
fn user_server_id(rule: &RuleConfig) -> anyhow::Result<Option<(u32, u32)>> {
    match rule.flink_cdc.iter().rev().find(|(k, _)| k == "server-id") {
        None => Ok(None),
        Some((_, v)) => parse_server_id(v).map(Some).ok_or_else(|| {
            fail(
                Kind::Config,
                format!(
                    "[table-rule.{}] flink.cdc.server-id = {v:?} is not N or N-M (1 ≤ N ≤ M ≤ 2147483647)",
                    rule.name
                ),
            )
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// A rule's sources

/// One target of a rule as its Flink job reads it.
pub struct RuleSource<'a> {
    pub table: &'a TablePlan,
    pub read: SnapshotRead,
    notes: Vec<String>,
    /// None for TiDB (tidb-cdc has no server id).
    pub server_id: Option<(u32, u32)>,
}

/// A rule's tables in output order with their snapshot reads (no server ids yet).
pub struct RuleSources<'a> {
    pub rule_plan: &'a RulePlan,
    pub sources: Vec<RuleSource<'a>>,
    /// The user's `flink.cdc.server-id` as (start, width).
    user_ids: Option<(u32, u32)>,
    tidb: bool,
}

/// Step 1 of a rule's file: how each table reads its snapshot.
pub fn rule_sources<'a>(
    rule_plan: &'a RulePlan,
    src: &SourceConfig,
) -> anyhow::Result<RuleSources<'a>> {
    let rule: &RuleConfig = &rule_plan.config;
    let tidb = matches!(src.kind, SourceKind::Tidb);
    let user = if tidb {
        Vec::new()
    } else {
        user_chunk_keys(rule)?
    };
    let sources = sorted_tables(rule_plan.tables.iter())
        .into_iter()
        .map(|t| {
            let (read, notes) = if tidb {
                (SnapshotRead::PrimaryKey, Vec::new())
            } else {
                snapshot_read(t, rule, &user)
            };
            RuleSource {
                table: t,
                read,
                notes,
                server_id: None,
            }
        })
        .collect();
    Ok(RuleSources {
        rule_plan,
        sources,
        user_ids: if tidb { None } else { user_server_id(rule)? },
        tidb,
    })
}

impl RuleSources<'_> {
    fn rule(&self) -> &RuleConfig {
        &self.rule_plan.config
    }

    fn any_incremental(&self) -> bool {
        self.sources.iter().any(|s| !s.read.is_legacy())
    }

    /// The ids the user's `flink.cdc.server-id` covers for this rule: its tables take consecutive
    /// ranges from `N` (the user's width for each incrementally read table, one id for each
    /// legacy one). Errors when the user's width is narrower than the rule's parallelism or
    /// `output_par`, the largest parallelism of the output's jobs (the `.all.sql` file holds every
    /// rule's jobs; the range must hold in every file it is in).
    fn user_block(&self, output_par: u32) -> anyhow::Result<Option<(u32, u32)>> {
        let Some((start, width)) = self.user_ids else {
            return Ok(None);
        };
        let par = self.rule().flink_parallelism;
        let need = par.max(output_par);
        if width < need && self.any_incremental() {
            let why = if need > par {
                format!(
                    "flink-create.all.sql holds every rule's jobs, the largest at parallelism {need} \
                     (this rule's flink_parallelism is {par})"
                )
            } else {
                format!("the rule's Flink job runs with parallelism {par} (flink_parallelism)")
            };
            return Err(fail(
                Kind::Config,
                format!(
                    "[table-rule.{}] flink.cdc.server-id = {} holds {width} id(s), but {why}, and \
                     every reader of a mysql-cdc source needs its own id (start + subtask index): \
                     give it a range of at least {need} ids, e.g. {}, or remove it and let smt choose",
                    self.rule().name,
                    id_text((start, start + width - 1)),
                    id_text((start, start.saturating_add(need - 1)))
                ),
            ));
        }
        let total: u64 = self
            .sources
            .iter()
            .map(|s| {
                if s.read.is_legacy() {
                    1
                } else {
                    u64::from(width)
                }
            })
            .sum();
        if total == 0 {
            return Ok(None);
        }
        let end = u64::from(start) + total - 1;
        if end > u64::from(MAX_SERVER_ID) {
            return Err(fail(
                Kind::Config,
                format!(
                    "[table-rule.{}] flink.cdc.server-id = {}: the rule's {} tables need ids up to {end}, beyond 2147483647",
                    self.rule().name,
                    id_text((start, start + width - 1)),
                    self.sources.len()
                ),
            ));
        }
        Ok(Some((start, end as u32)))
    }

    /// Step 2: server ids. Incremental sources take `width` ids each (from the user's range if
    /// the rule sets one), legacy sources one. User blocks must be reserved in `ids` first.
    fn assign_ids(&mut self, ids: &mut ServerIds, width: u32) -> anyhow::Result<()> {
        if self.tidb {
            return Ok(());
        }
        let mut user_next = self.user_ids;
        // file order: job 1's tables, then the legacy job's
        self.sources.sort_by_key(|s| s.read.is_legacy());
        for s in &mut self.sources {
            let w = if s.read.is_legacy() { 1 } else { width };
            s.server_id = Some(match &mut user_next {
                Some((next, uw)) => {
                    let w = if s.read.is_legacy() { 1 } else { *uw };
                    let r = (*next, *next + w - 1);
                    *next += w;
                    r
                }
                None => ids.take(w)?,
            });
        }
        Ok(())
    }
}

/// Every rule's sources with server ids, ranges distinct across the whole output: user ranges
/// are reserved first (overlaps between rules are errors), then ids are handed out in rule order.
/// Generated ranges hold `width` ids: the largest parallelism of the jobs they can run in.
pub fn assign_server_ids(
    rules: &mut [RuleSources<'_>],
    ids: &mut ServerIds,
    width: u32,
) -> anyhow::Result<()> {
    for r in rules.iter() {
        if let Some(block) = r.user_block(width)? {
            ids.reserve(
                block,
                &format!("[table-rule.{}] flink.cdc.server-id", r.rule().name),
            )?;
        }
    }
    for r in rules.iter_mut() {
        r.assign_ids(ids, width)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// One target

/// Flink type of the value the source table yields for a target column, and the metadata key
/// for shard-origin columns.
fn flink_source_side(c: &TargetColumn) -> (String, String, Option<&'static str>) {
    match &c.origin {
        ColumnOrigin::Source { name, .. } => {
            // The mysql-cdc side type; the plan leaves it empty only for origin columns.
            let ty = if c.flink_source_type.is_empty() {
                c.flink_type.clone()
            } else {
                c.flink_source_type.clone()
            };
            (name.clone(), ty, None)
        }
        ColumnOrigin::ShardDatabase => (c.name.clone(), "STRING".into(), Some("database_name")),
        ColumnOrigin::ShardTable => (c.name.clone(), "STRING".into(), Some("table_name")),
    }
}

fn flink_table_name(db: &str, table: &str) -> String {
    format!("{}.{}.{}", quote(FLINK_CATALOG), quote(db), quote(table))
}

/// Everything rendered for one target table.
struct FlinkTable {
    source_ddl: String,
    sink_ddl: String,
    /// The INSERT, or the warnings saying why this table cannot be loaded by Flink SQL.
    insert: Result<InsertView, Vec<String>>,
}

/// The `_src` table's columns and the INSERT's select list.
struct SourceColumns {
    columns: Vec<FlinkColumnView>,
    select: Vec<String>,
    /// Key or NOT NULL columns Flink SQL cannot fill: the INSERT is left out.
    unloadable: Vec<String>,
    /// Nullable columns Flink SQL cannot fill: loaded as NULL, said in the sink's notes.
    lossy: Vec<String>,
}

fn source_columns(t: &TablePlan) -> SourceColumns {
    let is_pk = t.model == Model::Primary && !t.key.is_empty();
    let mut out = SourceColumns {
        columns: Vec::new(),
        select: Vec::new(),
        unloadable: Vec::new(),
        lossy: Vec::new(),
    };
    for c in &t.columns {
        let (sname, sty, meta) = flink_source_side(c);
        let key_col = t.key.contains(&c.name);
        out.columns.push(FlinkColumnView {
            name: quote(&sname),
            ty: sty.clone(),
            not_null: meta.is_some() || (is_pk && key_col) || !c.nullable,
            metadata: meta.map(sq_string),
        });
        let expr = if let Some(why) = flink_cannot_convert(c) {
            if key_col || !c.nullable {
                out.unloadable.push(format!(
                    "column {}: {why}; it is a key or NOT NULL column, so this table's INSERT is \
                     left out of the statement set: replicate it with `smt sync` (built-in engine)",
                    c.name
                ));
            } else {
                out.lossy.push(format!(
                    "column {}: {why}; this job writes NULL into it: replicate the table with \
                     `smt sync` (built-in engine) to keep its values",
                    c.name
                ));
            }
            format!("CAST(NULL AS {})", c.flink_type)
        } else if sty == c.flink_type {
            quote(&sname)
        } else {
            format!("CAST({} AS {})", quote(&sname), c.flink_type)
        };
        out.select.push(if sname == c.name && sty == c.flink_type {
            expr
        } else {
            format!("{expr} AS {}", quote(&c.name))
        });
    }
    out
}

/// `database-name` / `table-name` of the source. mysql-cdc reads them as regexes joined to
/// `<database-name>\.<table-name>`, so names are escaped; tidb-cdc takes plain names. Merged
/// shards whose (database, table) pairs are not every combination of their databases and tables
/// get a table pattern that also checks the database (a look-behind per pair), so the source
/// reads exactly the shards.
fn source_patterns(t: &TablePlan, tidb: bool) -> (String, String) {
    let pattern = |s: &str| {
        if tidb {
            s.to_string()
        } else {
            regex::escape(s)
        }
    };
    let alternation = |names: BTreeSet<&str>| {
        let alts: Vec<String> = names.into_iter().map(regex::escape).collect();
        format!("({})", alts.join("|"))
    };
    let dbs: BTreeSet<&str> = t.sources.iter().map(|s| s.database.as_str()).collect();
    let tables: BTreeSet<&str> = t.sources.iter().map(|s| s.table.as_str()).collect();
    let cross_product = dbs.len() * tables.len() == t.sources.len();
    match (&t.shard_regex, t.sources.as_slice()) {
        (_, many) if many.len() > 1 && !cross_product && !tidb => {
            let pairs: Vec<String> = many
                .iter()
                .map(|s| {
                    format!(
                        "{}(?<={}\\.{})",
                        regex::escape(&s.table),
                        regex::escape(&s.database),
                        regex::escape(&s.table)
                    )
                })
                .collect();
            (alternation(dbs), format!("({})", pairs.join("|")))
        }
        (Some((d, tb)), _) => (d.clone(), tb.clone()),
        (None, [s]) => (pattern(&s.database), pattern(&s.table)),
        (None, []) => (pattern(&t.target_database), pattern(&t.target_table)),
        (None, _) => (alternation(dbs), alternation(tables)),
    }
}

/// The `_src` WITH clause: ours (connection, patterns, server id, zone, snapshot read) merged
/// with the rule's `flink.cdc.*` (theirs override, except the keys smt decides per table).
fn source_options(
    t: &TablePlan,
    rule: &RuleConfig,
    src: &SourceConfig,
    s: &RuleSource<'_>,
    tidb: bool,
    notes: &mut Vec<String>,
) -> Vec<(String, String)> {
    let (db_pattern, table_pattern) = source_patterns(t, tidb);
    if tidb {
        if !rule.flink_cdc.iter().any(|(k, _)| k == "pd-addresses") {
            notes.push(
                "TiDB source: set flink.cdc.pd-addresses (host:2379) in the rule".to_string(),
            );
        }
        let ours = vec![
            ("connector".into(), "tidb-cdc".into()),
            ("database-name".into(), db_pattern),
            ("table-name".into(), table_pattern),
        ];
        return merge_options(ours, &rule.flink_cdc);
    }
    let mut ours: Vec<(String, String)> = vec![
        ("connector".into(), "mysql-cdc".into()),
        ("hostname".into(), src.host.clone()),
        ("port".into(), src.port.to_string()),
        ("username".into(), src.user.clone()),
        ("password".into(), src.password.expose().to_string()),
        ("database-name".into(), db_pattern),
        ("table-name".into(), table_pattern),
    ];
    if let Some(r) = s.server_id {
        ours.push(("server-id".into(), id_text(r)));
    }
    if let Some(tz) = &src.time_zone {
        ours.push(("server-time-zone".into(), tz.clone()));
    }
    match &s.read {
        SnapshotRead::PrimaryKey => {}
        SnapshotRead::ChunkKey { column, why } => {
            ours.push((CHUNK_KEY_OPTION.into(), column.clone()));
            notes.push(one_line(&format!(
                "no primary key in the source: the snapshot is split by {} ({why})",
                quote(column)
            )));
        }
        SnapshotRead::Legacy { why } => {
            ours.push((INCREMENTAL_OPTION.into(), "false".into()));
            notes.push(one_line(&format!(
                "no safe chunk key ({why}): read without incremental snapshot, in the job of its own below"
            )));
        }
    }
    let decided = ["server-id", CHUNK_KEY_OPTION, INCREMENTAL_OPTION];
    let user: Vec<(String, String)> = rule
        .flink_cdc
        .iter()
        .filter(|(k, _)| !decided.contains(&k.as_str()))
        .cloned()
        .collect();
    merge_options(ours, &user)
}

/// The `_sink` table (starrocks connector), with `flink.starrocks.*` applied.
fn sink_table(t: &TablePlan, rule: &RuleConfig, lossy: &[String]) -> String {
    let is_pk = t.model == Model::Primary && !t.key.is_empty();
    let sink_cols = t
        .columns
        .iter()
        .map(|c| FlinkColumnView {
            name: quote(&c.name),
            ty: c.flink_type.clone(),
            not_null: !c.nullable || (is_pk && t.key.contains(&c.name)),
            metadata: None,
        })
        .collect();
    const RESERVED: [&str; 3] = ["connector", "database-name", "table-name"];
    let mut notes = Vec::new();
    let mut user_sr = Vec::new();
    for (k, v) in &rule.flink_starrocks {
        if RESERVED.contains(&k.as_str()) {
            notes.push(one_line(&format!(
                "flink.starrocks.{k} = {v:?} is not used: smt sets {k} for each table (SMT docs: do not set it)"
            )));
        } else {
            user_sr.push((k.clone(), v.clone()));
        }
    }
    let mut ours: Vec<(String, String)> = vec![
        ("connector".into(), "starrocks".into()),
        ("database-name".into(), t.target_database.clone()),
        ("table-name".into(), t.target_table.clone()),
    ];
    ours.extend(
        added_sink_options(rule)
            .into_iter()
            .map(|(k, v, _)| (k.to_string(), v.to_string())),
    );
    let options = merge_options(ours, &user_sr);
    for needed in ["jdbc-url", "load-url", "username"] {
        if !options.iter().any(|(k, _)| k == needed) {
            notes.push(format!(
                "missing flink.starrocks.{needed}: set it in the rule before running this job"
            ));
        }
    }
    notes.extend(lossy.iter().map(|n| one_line(&format!("WARNING {n}"))));
    render(&FlinkCreateTable {
        notes,
        name: flink_table_name(&t.target_database, &format!("{}_sink", t.target_table)),
        columns: sink_cols,
        primary_key: is_pk.then(|| quote_list(&t.key)),
        options: quote_options(&options),
    })
}

/// Step 3: one target — its `_src` table, `_sink` table and INSERT.
fn flink_table(
    s: &RuleSource<'_>,
    rule: &RuleConfig,
    src: &SourceConfig,
    tidb: bool,
) -> FlinkTable {
    let t = s.table;
    let src_name = flink_table_name(&t.target_database, &format!("{}_src", t.target_table));
    let sink_name = flink_table_name(&t.target_database, &format!("{}_sink", t.target_table));
    let cols = source_columns(t);
    let src_key = source_key(t);
    let mut notes = s.notes.clone();
    let options = source_options(t, rule, src, s, tidb, &mut notes);
    if t.is_merged() {
        let names: Vec<String> = t
            .sources
            .iter()
            .map(|s| format!("{}.{}", s.database, s.table))
            .collect();
        notes.push(one_line(&format!(
            "reads {} shard(s): {}",
            t.sources.len(),
            names.join(", ")
        )));
    }
    let source_ddl = render(&FlinkCreateTable {
        notes,
        name: src_name.clone(),
        columns: cols.columns,
        primary_key: (!src_key.is_empty()).then(|| quote_list(&src_key)),
        options: quote_options(&options),
    });
    let sink_ddl = sink_table(t, rule, &cols.lossy);
    FlinkTable {
        source_ddl,
        sink_ddl,
        insert: if cols.unloadable.is_empty() {
            Ok(InsertView {
                sink: sink_name,
                select: cols.select.join(", "),
                source: src_name,
            })
        } else {
            Err(cols
                .unloadable
                .iter()
                .map(|n| one_line(&format!("WARNING {sink_name}: {n}")))
                .collect())
        },
    }
}

/// Options with the user's overriding ours: our keys keep their position with the user's
/// value, then the user's other keys in file order; a key the user repeats takes its last value.
pub(super) fn merge_options(
    ours: Vec<(String, String)>,
    user: &[(String, String)],
) -> Vec<(String, String)> {
    let mut out = ours;
    for (k, v) in user {
        match out.iter_mut().find(|(ok, _)| ok == k) {
            Some(slot) => slot.1 = v.clone(),
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

/// Sink keys smt adds to a rule's Flink sink beyond what the rule configured, with the reason
/// (the generate summary lists them): only the format, and only when the rule does not set
/// one — JSON when nothing says otherwise (the connector's default CSV splits values holding a
/// tab or a newline into wrong columns and rows), CSV when the rule sets separators (they mean
/// CSV; adding JSON would silently void them).
pub fn added_sink_options(rule: &RuleConfig) -> Vec<(&'static str, &'static str, &'static str)> {
    match rule.sink.format_source {
        FormatSource::Configured => vec![],
        FormatSource::ImpliedBySeparators => vec![(
            "sink.properties.format",
            "csv",
            "the rule sets CSV separators and no format",
        )],
        FormatSource::Default => vec![
            (
                "sink.properties.format",
                "json",
                "no format configured: JSON carries tabs and newlines inside values",
            ),
            (
                "sink.properties.strip_outer_array",
                "true",
                "goes with the JSON format",
            ),
        ],
    }
}

/// Why Flink SQL cannot produce the target value of `c` from what mysql-cdc yields, if it
/// cannot: Flink has no function from BYTES to an integer (BIT(n>1) → BIGINT/LARGEINT) nor to
/// hex text (binary held as hex in VARCHAR), and no user-defined functions are shipped.
fn flink_cannot_convert(c: &TargetColumn) -> Option<String> {
    if !matches!(c.origin, ColumnOrigin::Source { .. }) {
        return None;
    }
    match (c.encoding, c.sr_type) {
        (Encoding::BitAsInteger, _) => Some(format!(
            "Flink SQL has no conversion from BIT bytes ({}) to {}",
            c.flink_source_type, c.sr_type
        )),
        (Encoding::Hex, SrType::Varchar(_)) => Some(format!(
            "Flink SQL has no conversion from BYTES to the hex text StarRocks holds in {}",
            c.sr_type
        )),
        _ => None,
    }
}

fn quote_options(opts: &[(String, String)]) -> Vec<(String, String)> {
    opts.iter()
        .map(|(k, v)| (sq_string(k), sq_string(v)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A rule's file

/// Step 4: the Flink SQL file of one rule (sources with their server ids): header, `SET
/// 'parallelism.default'`, CREATE DATABASE per target database, then job 1 (every source read
/// with incremental snapshot: tables and one `EXECUTE STATEMENT SET`) and, if any table has no
/// safe chunk key, job 2 (those tables, `'scan.incremental.snapshot.enabled' = 'false'`, their
/// own `EXECUTE STATEMENT SET`). sql-client runs each `EXECUTE STATEMENT SET` as its own job.
pub fn render_rule(rs: &RuleSources<'_>, src: &SourceConfig) -> String {
    let rule = rs.rule();
    let name = one_line(&rs.rule_plan.rule);
    let mut header = vec![format!(
        "-- Flink SQL for rule {name} (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)"
    )];
    if rs.sources.is_empty() {
        header.push("-- this rule matched no tables".into());
        return header.join("\n") + "\n";
    }
    let par = rule.flink_parallelism;
    let mut statements = vec![format!("SET 'parallelism.default' = '{par}'")];
    let dbs: BTreeSet<&str> = rs
        .sources
        .iter()
        .map(|s| s.table.target_database.as_str())
        .collect();
    for db in dbs {
        statements.push(render(&FlinkCreateDatabase {
            db: format!("{}.{}", quote(FLINK_CATALOG), quote(db)),
        }));
    }
    let mut warnings = Vec::new();
    // (legacy, DDL, INSERTs) of job 1 (incremental snapshot) and job 2 (legacy source)
    let mut jobs: Vec<(bool, Vec<String>, Vec<InsertView>)> = Vec::new();
    for legacy in [false, true] {
        let mut ddl = Vec::new();
        let mut inserts = Vec::new();
        for s in rs.sources.iter().filter(|s| s.read.is_legacy() == legacy) {
            let ft = flink_table(s, rule, src, rs.tidb);
            ddl.push(ft.source_ddl);
            ddl.push(ft.sink_ddl);
            match ft.insert {
                Ok(i) => inserts.push(i),
                Err(w) => warnings.extend(w.into_iter().map(|w| format!("-- {w}"))),
            }
        }
        if !ddl.is_empty() {
            jobs.push((legacy, ddl, inserts));
        }
    }
    // Only a source an INSERT reads opens a connection.
    let connections: usize = jobs.iter().map(|j| j.2.len()).sum();
    let runnable = jobs.iter().filter(|j| !j.2.is_empty()).count();
    if !rs.tidb {
        let widths: BTreeSet<u32> = rs
            .sources
            .iter()
            .filter(|s| !s.read.is_legacy())
            .filter_map(|s| s.server_id)
            .map(|(a, b)| b - a + 1)
            .collect();
        let width = widths.iter().next().copied();
        let mut line = format!(
            "-- {connections} binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id"
        );
        match width {
            Some(w) => line.push_str(&format!(
                " range ({w}{} id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)",
                if widths.len() > 1 { "+" } else { "" }
            )),
            None => line.push_str(" (one id each)"),
        }
        header.push(line);
        header.push(format!(
            "-- For rules with many tables prefer flink-cdc-pipeline.{name}.yaml: one binlog reader for all of them"
        ));
    }
    header.push(format!(
        "-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); {runnable} job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism {par}"
    ));
    header.extend(warnings);
    let mut job_no = 0;
    for (legacy, mut ddl, inserts) in jobs {
        if legacy {
            ddl[0] = format!(
                "-- Tables without a safe chunk key, read with '{INCREMENTAL_OPTION}' = 'false': mysql-cdc's \
                 legacy source (one reader and one server id per table; a brief global read lock during \
                 the snapshot unless debezium.snapshot.locking.mode = none; a failed snapshot starts over)\n{}",
                ddl[0]
            );
        }
        statements.extend(ddl);
        if inserts.is_empty() {
            continue;
        }
        job_no += 1;
        let notes = vec![format!("Job {job_no} of this file")];
        statements.push(render(&FlinkStatementSet { notes, inserts }));
    }
    if runnable == 0 {
        header.push("-- no table of this rule can be loaded by Flink SQL (see above)".into());
    }
    format!("{}\n{}", header.join("\n"), join_statements(&statements))
}

/// The Flink SQL file of one rule on its own: ids from `ids` (the rule's user range, else
/// generated ranges of the rule's parallelism). [`super::flink_outputs`] renders whole plans.
pub fn flink_rule(
    rule_plan: &RulePlan,
    src: &SourceConfig,
    ids: &mut ServerIds,
) -> anyhow::Result<String> {
    let mut rules = vec![rule_sources(rule_plan, src)?];
    let width = rule_plan.config.flink_parallelism;
    assign_server_ids(&mut rules, ids, width)?;
    Ok(render_rule(&rules[0], src))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_options_user_overrides_in_place() {
        let ours = vec![("a".into(), "1".into()), ("b".into(), "2".into())];
        let user = vec![
            ("c".to_string(), "3".to_string()),
            ("a".to_string(), "9".to_string()),
            ("c".to_string(), "4".to_string()),
        ];
        assert_eq!(
            merge_options(ours, &user),
            vec![
                ("a".to_string(), "9".to_string()),
                ("b".to_string(), "2".to_string()),
                ("c".to_string(), "4".to_string())
            ]
        );
    }

    #[test]
    fn parses_server_ids() {
        assert_eq!(parse_server_id("5500"), Some((5500, 1)));
        assert_eq!(parse_server_id("5500-5503"), Some((5500, 4)));
        assert_eq!(parse_server_id("5503-5500"), None);
        assert_eq!(parse_server_id("x"), None);
        assert_eq!(parse_server_id("0"), None);
        assert_eq!(parse_server_id("2147483648"), None);
        assert_eq!(id_text((7, 7)), "7");
        assert_eq!(id_text((7, 10)), "7-10");
    }

    #[test]
    fn server_ids_skip_reserved_ranges() {
        let mut ids = ServerIds::new(5400);
        ids.reserve((5402, 5403), "user").unwrap();
        assert_eq!(ids.take(2).unwrap(), (5400, 5401));
        assert_eq!(ids.take(1).unwrap(), (5404, 5404));
        let mut ids = ServerIds::new(5400);
        ids.reserve((5405, 5406), "user").unwrap();
        assert_eq!(ids.take(4).unwrap(), (5400, 5403));
        assert_eq!(ids.take(4).unwrap(), (5407, 5410));
        assert!(ids.reserve((5410, 5420), "user").is_err());
    }

    #[test]
    fn splits_patterns_at_the_first_unescaped_dot() {
        assert_eq!(split_unescaped_dot("db.t"), Some(("db", "t")));
        assert_eq!(split_unescaped_dot(r"d\.b.t\.x"), Some((r"d\.b", r"t\.x")));
        assert_eq!(split_unescaped_dot("dbt"), None);
        assert_eq!(split_unescaped_dot(".t"), None);
    }
}
