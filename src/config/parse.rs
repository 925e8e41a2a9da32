//! Validation: sections and entries (from `scan`) → typed [`Config`], collecting every problem.

use super::error::{suggest, ConfigError, Problem};
use super::scan::{self, Section};
use super::{
    expand, Config, DupChanges, OtherConfig, RuleConfig, Secret, SinkOptions, SourceConfig,
    SourceKind, StarRocksEndpoints,
};
use crate::error::{fail, Kind};
use regex::Regex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const DB_KEYS: &[&str] = &[
    "host",
    "port",
    "user",
    "password",
    "type",
    "dump_file",
    "time_zone",
];
const OTHER_KEYS: &[&str] = &[
    "be_num",
    "use_decimal_v3",
    "output_dir",
    "tinyint1_as_boolean",
    "unknown_type_as_string",
    "shard_origin_columns",
    "auto_buckets",
    "starrocks_version",
    "sync_skip_duplicate_key_changes",
    "sync_duplicate_key_changes",
    "sync_follow_truncate",
    "sync_reject_policy",
    "sync_snapshot_parallelism",
    "sync_snapshot_catch_up_secs",
    "flink_parallelism",
];
const RULE_KEYS: &[&str] = &[
    "database",
    "table",
    "exclude_database",
    "exclude_table",
    "schema",
    "bucket_num",
    "distributed_by",
    "duplicate_keys",
    "partition_key",
    "partitions",
    "target_database",
    "target_table",
    "shard_origin_columns",
    "flink_parallelism",
];
const RULE_PREFIXES: &[&str] = &[
    "flink.starrocks.",
    "flink.cdc.",
    "properties.",
    "external.properties.",
];
/// Sink options smt writes itself (SMT: "DO NOT set connector, table-name, database-name").
const GENERATED_SINK_KEYS: &[&str] = &["connector", "table-name", "database-name"];
const RULE_PREFIX: &str = "table-rule.";

/// Read and validate the config file. Errors carry [`Kind::Config`] (exit 2).
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(
            Kind::Config,
            format!(
                "config file {}: {e} (pass the right file with -c/--config; config.ini.example lists every key)",
                path.display()
            ),
        )
    })?;
    match parse(&text, path) {
        Ok(cfg) => Ok(cfg),
        Err(e) => {
            let n = e.problems.len();
            let plural = if n == 1 { "" } else { "s" };
            Err(fail(
                Kind::Config,
                format!(
                    "config file {} has {n} problem{plural}; fix and run again:\n{e}",
                    path.display()
                ),
            ))
        }
    }
}

/// Validate INI `text` read from `path` (used for messages and to resolve `dump_file`).
/// `${VAR}` references are looked up in the process environment. Warnings (ignored keys,
/// defaults applied) are logged with `tracing::warn!`.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let (cfg, warnings) = parse_with_env(text, path, &|name| std::env::var(name).ok())?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}

/// [`parse`] with an explicit environment lookup (tests, embedding). Returns the config and
/// its warnings, rendered like problems (`path:line [section] key: message`), not logged.
pub fn parse_with_env(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, Vec<String>), ConfigError> {
    let mut v = Validator {
        env,
        problems: Vec::new(),
        warnings: Vec::new(),
        flink_parallelism: 1,
    };
    let result = scan::read(text, &mut v.problems).and_then(|sections| v.config(&sections, path));
    match result {
        Some(cfg) if v.problems.is_empty() => {
            let warnings = v.warnings.iter().map(|p| p.render(path)).collect();
            Ok((cfg, warnings))
        }
        _ => {
            let mut problems = v.problems;
            if problems.is_empty() {
                problems.push(Problem::global(
                    "internal: validation failed without a reason; please report this file",
                ));
            }
            problems.sort_by_key(|p| (p.line.is_none(), p.line));
            Err(ConfigError {
                path: path.to_path_buf(),
                problems,
            })
        }
    }
}

/// One resolved entry: quotes handled, `${}` expanded.
struct Item<'a> {
    key: &'a str,
    value: String,
    line: usize,
}

struct Validator<'e> {
    env: &'e dyn Fn(&str) -> Option<String>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// `[other] flink_parallelism` (default 1); it becomes each rule's default.
    flink_parallelism: u32,
}

impl Validator<'_> {
    fn problem(&mut self, sec: &str, key: Option<&str>, line: usize, msg: impl Into<String>) {
        self.problems
            .push(Problem::new(Some(sec), key, Some(line), msg));
    }

    fn warn(&mut self, sec: &str, key: Option<&str>, line: usize, msg: impl Into<String>) {
        self.warnings
            .push(Problem::new(Some(sec), key, Some(line), msg));
    }

    fn config(&mut self, sections: &[Section], path: &Path) -> Option<Config> {
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        let mut db = None;
        let mut other = None;
        let mut rule_sections = Vec::new();
        for s in sections {
            if let Some(first) = first_seen.get(s.name.as_str()) {
                let msg = format!(
                    "duplicate section (first at line {first}); merge the two or rename one"
                );
                self.problem(&s.name, None, s.line, msg);
                continue;
            }
            first_seen.insert(&s.name, s.line);
            match s.name.as_str() {
                "db" => db = Some(s),
                "other" => other = Some(s),
                n if n.starts_with(RULE_PREFIX) => {
                    if n.len() == RULE_PREFIX.len() {
                        self.problem(
                            n,
                            None,
                            s.line,
                            "rule name missing: write [table-rule.1] (any name after the dot)",
                        );
                    } else {
                        rule_sections.push(s);
                    }
                }
                n => {
                    let rest = n.split_once('.').map(|(_, r)| r).unwrap_or("1");
                    let as_rule = format!("{RULE_PREFIX}{rest}");
                    let msg = match suggest(n, ["db", "other", as_rule.as_str()]) {
                        Some(c) => format!("unknown section (did you mean [{c}]?)"),
                        None => "unknown section; smt knows [db], [other] and [table-rule.N]"
                            .to_string(),
                    };
                    self.problem(n, None, s.line, msg);
                }
            }
        }

        let source = match db {
            Some(s) => self.db(s, path),
            None => {
                self.problems.push(Problem::global(
                    "missing [db] section: add [db] with host, port, user, password (or type = dump with dump_file)",
                ));
                None
            }
        };
        let other = self.other(other);
        let mut rules = Vec::new();
        for s in &rule_sections {
            if let Some(r) = self.rule(s) {
                rules.push(r);
            }
        }
        if rule_sections.is_empty() {
            self.problems.push(Problem::global(
                "no [table-rule.N] section: add at least one with database = <regex> and table = <regex>",
            ));
        }
        let (source, other) = (source?, other?);
        if !self.problems.is_empty() || rules.len() != rule_sections.len() {
            return None;
        }
        for r in &mut rules {
            r.flink_parallelism = r.own_flink_parallelism.unwrap_or(self.flink_parallelism);
        }
        Some(Config {
            path: path.to_path_buf(),
            source,
            other,
            rules,
        })
    }

    /// Entries of a section with values resolved; duplicate keys reported.
    fn items<'s>(&mut self, s: &'s Section) -> Vec<Item<'s>> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut out = Vec::new();
        for e in &s.entries {
            if let Some(first) = seen.get(e.key.as_str()) {
                let msg = format!("set twice (first at line {first}); keep one");
                self.problem(&s.name, Some(&e.key), e.line, msg);
                continue;
            }
            seen.insert(&e.key, e.line);
            match expand::value(&e.value, self.env) {
                Ok(value) => out.push(Item {
                    key: &e.key,
                    value,
                    line: e.line,
                }),
                Err(msg) => self.problem(&s.name, Some(&e.key), e.line, msg),
            }
        }
        out
    }

    fn unknown_key(&mut self, sec: &str, key: &str, line: usize, candidates: &[&str]) {
        let msg = match suggest(key, candidates.iter().copied()) {
            Some(c) => format!("unknown key (did you mean \"{c}\"?)"),
            None => format!(
                "unknown key; known keys in [{sec}]: {}",
                candidates.join(", ")
            ),
        };
        self.problem(sec, Some(key), line, msg);
    }

    fn db(&mut self, s: &Section, path: &Path) -> Option<SourceConfig> {
        let sec = s.name.as_str();
        let mut host = None;
        let mut port = None;
        let mut user = None;
        let mut password = None;
        let mut kind_raw = None;
        let mut dump_file = None;
        let mut time_zone = None;
        for it in self.items(s) {
            let slot = match it.key {
                "host" => &mut host,
                "port" => &mut port,
                "user" => &mut user,
                "password" => &mut password,
                "type" => &mut kind_raw,
                "dump_file" => &mut dump_file,
                "time_zone" => &mut time_zone,
                k => {
                    self.unknown_key(sec, k, it.line, DB_KEYS);
                    continue;
                }
            };
            *slot = Some((it.value, it.line));
        }
        let start = self.problems.len();

        let dump_path = match dump_file {
            Some((v, line)) if v.trim().is_empty() => {
                self.problem(
                    sec,
                    Some("dump_file"),
                    line,
                    "empty: give the path of a mysqldump --no-data file",
                );
                None
            }
            Some((v, line)) => {
                let p = PathBuf::from(v.trim());
                let p = if p.is_relative() {
                    path.parent().map(|d| d.join(&p)).unwrap_or(p)
                } else {
                    p
                };
                Some((p, line))
            }
            None => None,
        };
        let kind = match kind_raw {
            None => Some(match &dump_path {
                Some((p, _)) => SourceKind::Dump(p.clone()),
                None => SourceKind::Mysql,
            }),
            Some((t, line)) => {
                let t = t.trim().to_ascii_lowercase();
                match (t.as_str(), &dump_path) {
                    ("mysql" | "mariadb", None) => Some(SourceKind::Mysql),
                    ("tidb", None) => Some(SourceKind::Tidb),
                    ("dump", Some((p, _))) => Some(SourceKind::Dump(p.clone())),
                    ("dump", None) => {
                        self.problem(
                            sec,
                            Some("type"),
                            line,
                            "type = dump needs dump_file = <path to a mysqldump --no-data file>",
                        );
                        None
                    }
                    ("mysql" | "mariadb" | "tidb", Some((_, dline))) => {
                        let msg = format!(
                            "type = {t} contradicts dump_file (line {dline}), which means type = dump; remove one"
                        );
                        self.problem(sec, Some("type"), line, msg);
                        None
                    }
                    ("pgsql" | "oracle" | "sqlserver" | "clickhouse" | "hive", _) => {
                        let msg = format!(
                            "type = {t} is an SMT source smt does not support; use mysql, mariadb, tidb or dump"
                        );
                        self.problem(sec, Some("type"), line, msg);
                        None
                    }
                    (other, _) => {
                        let msg = match suggest(other, ["mysql", "mariadb", "tidb", "dump"]) {
                            Some(c) => format!("unknown type {other:?} (did you mean \"{c}\"?)"),
                            None => {
                                format!("unknown type {other:?}; use mysql, mariadb, tidb or dump")
                            }
                        };
                        self.problem(sec, Some("type"), line, msg);
                        None
                    }
                }
            }
        };
        let offline = matches!(kind, Some(SourceKind::Dump(_)));
        let required = |v: &mut Self, key: &str, val: Option<(String, usize)>| -> String {
            match val {
                Some((x, _)) if !x.trim().is_empty() => x.trim().to_string(),
                Some((_, line)) if !offline => {
                    v.problem(sec, Some(key), line, "empty (required unless type = dump)");
                    String::new()
                }
                None if !offline => {
                    v.problem(
                        sec,
                        Some(key),
                        s.line,
                        "missing (required unless type = dump)",
                    );
                    String::new()
                }
                Some((x, _)) => x.trim().to_string(),
                None => String::new(),
            }
        };
        let host = required(self, "host", host);
        let user = required(self, "user", user);
        let port = match port {
            None => 3306,
            Some((p, line)) => match p.trim().parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => {
                    self.problem(
                        sec,
                        Some("port"),
                        line,
                        format!("{:?} is not a port number (1..65535)", p.trim()),
                    );
                    0
                }
            },
        };
        let time_zone = match time_zone {
            Some((tz, line)) => {
                let tz = tz.trim().to_string();
                if tz.is_empty() {
                    None
                } else if valid_time_zone(&tz) {
                    Some(tz)
                } else {
                    let msg = format!("{tz:?} is not a time zone: use an offset like +08:00, UTC, or a name like Asia/Shanghai");
                    self.problem(sec, Some("time_zone"), line, msg);
                    None
                }
            }
            None => None,
        };
        let password = Secret::new(password.map(|(p, _)| p).unwrap_or_default());
        if self.problems.len() > start {
            return None;
        }
        Some(SourceConfig {
            kind: kind?,
            host,
            port,
            user,
            password,
            time_zone,
        })
    }

    fn other(&mut self, s: Option<&Section>) -> Option<OtherConfig> {
        let mut cfg = OtherConfig {
            be_num: 1,
            use_decimal_v3: true,
            output_dir: PathBuf::from("./result"),
            tinyint1_as_boolean: false,
            unknown_type_as_string: false,
            shard_origin_columns: true,
            auto_buckets: false,
            starrocks_version: (3, 3),
            sync_duplicate_key_changes: DupChanges::Stop,
            sync_follow_truncate: true,
            sync_quarantine: false,
            sync_snapshot_parallelism: None,
            sync_snapshot_catch_up: std::time::Duration::from_secs(30),
        };
        let Some(s) = s else {
            self.warnings.push(Problem::global(
                "no [other] section: using be_num = 1 and the defaults",
            ));
            return Some(cfg);
        };
        let sec = s.name.as_str();
        let start = self.problems.len();
        let mut have_be_num = false;
        for it in self.items(s) {
            let (key, v, line) = (it.key, it.value.trim(), it.line);
            match key {
                "be_num" => {
                    have_be_num = true;
                    if let Some(n) = self.positive(sec, key, v, line) {
                        cfg.be_num = n;
                    }
                }
                "use_decimal_v3" => self.boolean(sec, key, v, line, &mut cfg.use_decimal_v3),
                "output_dir" => {
                    cfg.output_dir = PathBuf::from(if v.is_empty() { "./result" } else { v });
                }
                "tinyint1_as_boolean" => {
                    self.boolean(sec, key, v, line, &mut cfg.tinyint1_as_boolean)
                }
                "unknown_type_as_string" => {
                    self.boolean(sec, key, v, line, &mut cfg.unknown_type_as_string)
                }
                "shard_origin_columns" => {
                    self.boolean(sec, key, v, line, &mut cfg.shard_origin_columns)
                }
                "auto_buckets" => self.boolean(sec, key, v, line, &mut cfg.auto_buckets),
                "sync_skip_duplicate_key_changes" => {
                    let mut skip = false;
                    self.boolean(sec, key, v, line, &mut skip);
                    if skip {
                        cfg.sync_duplicate_key_changes = DupChanges::Skip;
                    }
                }
                "sync_duplicate_key_changes" => match v.trim().to_ascii_lowercase().as_str() {
                    "stop" => cfg.sync_duplicate_key_changes = DupChanges::Stop,
                    "skip" => cfg.sync_duplicate_key_changes = DupChanges::Skip,
                    "exact" => cfg.sync_duplicate_key_changes = DupChanges::Exact,
                    _ => {
                        let msg = format!(
                            "{v:?} is not a policy for changes of tables without a key: write \
                             stop (the default: such an UPDATE/DELETE stops the sync), skip (it is \
                             skipped and counted; the target diverges) or exact (it is applied \
                             with the whole row as its identity: a DELETE on StarRocks and the \
                             surviving copies loaded again)"
                        );
                        self.problem(sec, Some(key), line, msg);
                    }
                },
                "sync_follow_truncate" => {
                    self.boolean(sec, key, v, line, &mut cfg.sync_follow_truncate)
                }
                "sync_snapshot_parallelism" => {
                    if let Some(n) = self.positive(sec, key, v, line) {
                        cfg.sync_snapshot_parallelism = Some(n);
                    }
                }
                "sync_snapshot_catch_up_secs" => match v.parse::<f64>() {
                    Ok(n) if (0.0..=86_400.0).contains(&n) => {
                        cfg.sync_snapshot_catch_up = std::time::Duration::from_secs_f64(n)
                    }
                    _ => self.problem(
                        sec,
                        Some(key),
                        line,
                        format!(
                            "{v:?} is not a number of seconds from 0 to 86400 (0 turns the \
                             binlog during the snapshot off: it starts after the whole snapshot)"
                        ),
                    ),
                },
                "sync_reject_policy" => match v.trim().to_ascii_lowercase().as_str() {
                    "stop" => cfg.sync_quarantine = false,
                    "quarantine" => cfg.sync_quarantine = true,
                    _ => {
                        let msg = format!(
                            "{v:?} is not a reject policy: write stop (the default: a row StarRocks \
                             refuses stops the sync) or quarantine (it goes to \
                             <target database>.smt_quarantine and the rest loads)"
                        );
                        self.problem(sec, Some(key), line, msg);
                    }
                },
                "flink_parallelism" => {
                    if let Some(n) = self.positive(sec, key, v, line) {
                        self.flink_parallelism = n;
                    }
                }
                "starrocks_version" => match parse_version(v) {
                    Some(ver) => cfg.starrocks_version = ver,
                    None => {
                        let msg = format!("{v:?} is not a version: write it as X.Y, e.g. 3.3");
                        self.problem(sec, Some(key), line, msg);
                    }
                },
                k => self.unknown_key(sec, k, line, OTHER_KEYS),
            }
        }
        if !have_be_num {
            self.warn(
                sec,
                Some("be_num"),
                s.line,
                "not set (SMT requires it): using 1; set it to your number of BEs",
            );
        }
        (self.problems.len() == start).then_some(cfg)
    }

    fn rule(&mut self, s: &Section) -> Option<RuleConfig> {
        let sec = s.name.as_str();
        let start = self.problems.len();
        let mut database = None;
        let mut table = None;
        // Placeholder regexes; replaced below or the rule is dropped with a problem.
        let mut r = RuleConfig::new(
            sec[RULE_PREFIX.len()..].to_string(),
            s.line,
            Regex::new("").ok()?,
            Regex::new("").ok()?,
        );
        // Line of each flink.starrocks.* option, for problems found when they are typed.
        let mut sink_lines: Vec<(String, usize)> = Vec::new();
        for it in self.items(s) {
            let (key, line) = (it.key, it.line);
            let v = it.value.trim();
            if let Some(opt) = key.strip_prefix("flink.starrocks.") {
                if opt.is_empty() {
                    self.problem(
                        sec,
                        Some(key),
                        line,
                        "option name missing after \"flink.starrocks.\"",
                    );
                } else if GENERATED_SINK_KEYS.contains(&opt) {
                    self.problem(
                        sec,
                        Some(key),
                        line,
                        "smt generates this option itself; remove the line",
                    );
                } else {
                    sink_lines.push((opt.to_string(), line));
                    r.flink_starrocks.push((opt.to_string(), it.value.clone()));
                }
                continue;
            }
            if let Some((prefix, opt)) = [
                ("flink.cdc.", &mut r.flink_cdc),
                ("properties.", &mut r.properties),
            ]
            .into_iter()
            .find_map(|(p, list)| key.strip_prefix(p).map(|o| ((p, list), o)))
            {
                let (p, list) = prefix;
                if opt.is_empty() {
                    self.problem(
                        sec,
                        Some(key),
                        line,
                        format!("option name missing after \"{p}\""),
                    );
                } else {
                    list.push((opt.to_string(), it.value.clone()));
                }
                continue;
            }
            if key.starts_with("external.properties.") {
                self.warn(
                    sec,
                    Some(key),
                    line,
                    "ignored: smt generates no external tables",
                );
                continue;
            }
            match key {
                "database" => database = self.regex(sec, key, v, line),
                "table" => table = self.regex(sec, key, v, line),
                "exclude_database" => r.exclude_database = self.regex(sec, key, v, line),
                "exclude_table" => r.exclude_table = self.regex(sec, key, v, line),
                "schema" => {
                    // SMT uses it for PostgreSQL/Oracle/SQL Server and forces .* for MySQL.
                }
                "bucket_num" => r.bucket_num = self.positive(sec, key, v, line),
                "flink_parallelism" => r.own_flink_parallelism = self.positive(sec, key, v, line),
                "distributed_by" => r.distributed_by = self.columns(sec, key, v, line),
                "duplicate_keys" => r.duplicate_keys = self.columns(sec, key, v, line),
                "partition_key" => r.partition_key = self.non_empty(sec, key, v, line),
                "partitions" => r.partitions = self.non_empty(sec, key, v, line),
                "target_database" => r.target_database = self.non_empty(sec, key, v, line),
                "target_table" => r.target_table = self.non_empty(sec, key, v, line),
                "shard_origin_columns" => {
                    let mut b = true;
                    let before = self.problems.len();
                    self.boolean(sec, key, v, line, &mut b);
                    if self.problems.len() == before {
                        r.shard_origin_columns = Some(b);
                    }
                }
                k => {
                    let mut candidates: Vec<String> =
                        RULE_KEYS.iter().map(|c| c.to_string()).collect();
                    // `flink.starock.sink.x` → suggest `flink.starrocks.sink.x`.
                    for (i, _) in k.match_indices('.') {
                        let (head, tail) = (&k[..=i], &k[i + 1..]);
                        for p in RULE_PREFIXES {
                            if super::error::distance(head, p) <= 2 && !tail.is_empty() {
                                candidates.push(format!("{p}{tail}"));
                            }
                        }
                    }
                    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
                    let msg = match suggest(k, refs.iter().copied()) {
                        Some(c) => format!("unknown key (did you mean \"{c}\"?)"),
                        None => format!(
                            "unknown key; known keys: {}, and options prefixed {}",
                            RULE_KEYS.join(", "),
                            RULE_PREFIXES.join(", ")
                        ),
                    };
                    self.problem(sec, Some(k), line, msg);
                }
            }
        }
        for (key, val) in [("database", &database), ("table", &table)] {
            if val.is_none()
                && !self.problems[start..]
                    .iter()
                    .any(|p| p.key.as_deref() == Some(key))
            {
                self.problem(
                    sec,
                    Some(key),
                    s.line,
                    format!("missing: every rule needs {key} = <regex>"),
                );
            }
        }
        let endpoints = StarRocksEndpoints::from_options(&r.flink_starrocks);
        let sink = SinkOptions::from_options(&r.flink_starrocks);
        let mut typed_problems = Vec::new();
        match endpoints {
            Ok(e) => r.starrocks = e,
            Err(p) => typed_problems.extend(p),
        }
        match sink {
            Ok(o) => r.sink = o,
            Err(p) => typed_problems.extend(p),
        }
        for (opt, msg) in typed_problems {
            let line = sink_lines
                .iter()
                .rev()
                .find(|(o, _)| *o == opt)
                .map_or(s.line, |(_, l)| *l);
            self.problem(sec, Some(&format!("flink.starrocks.{opt}")), line, msg);
        }
        if self.problems.len() > start {
            return None;
        }
        r.database = database?;
        r.table = table?;
        Some(r)
    }

    fn regex(&mut self, sec: &str, key: &str, v: &str, line: usize) -> Option<Regex> {
        if v.is_empty() {
            self.problem(
                sec,
                Some(key),
                line,
                "empty regex: write .* to match every name",
            );
            return None;
        }
        match Regex::new(v) {
            Ok(r) => Some(r),
            Err(e) => {
                let text = e.to_string();
                let reason = text
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("error: "))
                    .map(str::to_string)
                    .unwrap_or_else(|| text.replace('\n', " "));
                self.problem(
                    sec,
                    Some(key),
                    line,
                    format!("invalid regex {v:?}: {reason}"),
                );
                None
            }
        }
    }

    fn positive(&mut self, sec: &str, key: &str, v: &str, line: usize) -> Option<u32> {
        match v.parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                self.problem(
                    sec,
                    Some(key),
                    line,
                    format!("{v:?} is not a whole number ≥ 1"),
                );
                None
            }
        }
    }

    fn boolean(&mut self, sec: &str, key: &str, v: &str, line: usize, out: &mut bool) {
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => *out = true,
            "false" | "0" | "no" => *out = false,
            _ => self.problem(
                sec,
                Some(key),
                line,
                format!("{v:?} is not a boolean: use true or false"),
            ),
        }
    }

    fn non_empty(&mut self, sec: &str, key: &str, v: &str, line: usize) -> Option<String> {
        if v.is_empty() {
            self.problem(
                sec,
                Some(key),
                line,
                "empty: give a value or remove the line",
            );
            None
        } else {
            Some(v.to_string())
        }
    }

    fn columns(&mut self, sec: &str, key: &str, v: &str, line: usize) -> Option<Vec<String>> {
        let cols: Vec<String> = v
            .split(',')
            .map(|c| {
                let c = c.trim();
                c.strip_prefix('`')
                    .and_then(|c| c.strip_suffix('`'))
                    .unwrap_or(c)
                    .to_string()
            })
            .collect();
        if cols.iter().any(String::is_empty) {
            self.problem(
                sec,
                Some(key),
                line,
                "empty column name: write a comma-separated list like id, created_at",
            );
            None
        } else {
            Some(cols)
        }
    }
}

/// `X.Y` (or `X.Y.Z`, patch ignored) → (X, Y).
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((major, minor)),
        (Some(patch), None) if patch.parse::<u32>().is_ok() => Some((major, minor)),
        _ => None,
    }
}

/// `+08:00` / `-05:30`, `UTC`/`SYSTEM`, or an IANA-style name (`Asia/Shanghai`).
fn valid_time_zone(tz: &str) -> bool {
    if let Some(rest) = tz.strip_prefix(['+', '-']) {
        let Some((h, m)) = rest.split_once(':') else {
            return false;
        };
        let ok_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(ok_digits(h, 2) || ok_digits(h, 1)) || !ok_digits(m, 2) {
            return false;
        }
        let (h, m): (u32, u32) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
        return h <= 14 && m < 60;
    }
    tz.split('/').all(|part| {
        !part.is_empty()
            && part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
    })
}
