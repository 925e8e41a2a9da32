//! Fixtures shared by the render/output integration tests. TablePlans are built through ONE
//! function ([`table`]) so a field added to `TablePlan` is a one-line fix here.
#![allow(dead_code)]

use regex::Regex;
use smt::config::{Config, OtherConfig, RuleConfig, Secret, SourceConfig, SourceKind};
use smt::plan::{
    ColumnOrigin, Encoding, Model, Plan, RulePlan, SourceRef, SrDefault, SrType, TablePlan,
    TargetColumn,
};
use smt::schema::{IntWidth, SourceType, TextKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The one TablePlan constructor of the tests.
#[allow(clippy::too_many_arguments)]
pub fn table(
    rule: &str,
    db: &str,
    name: &str,
    sources: &[(&str, &str)],
    shard_regex: Option<(&str, &str)>,
    model: Model,
    key: &[&str],
    columns: Vec<TargetColumn>,
) -> TablePlan {
    TablePlan {
        rule: rule.into(),
        rule_config: Arc::new(smt::config::RuleConfig::named(rule)),
        source_tables: vec![],
        target_database: db.into(),
        target_table: name.into(),
        sources: sources
            .iter()
            .map(|(d, t)| SourceRef {
                database: d.to_string(),
                table: t.to_string(),
            })
            .collect(),
        shard_regex: shard_regex.map(|(d, t)| (d.to_string(), t.to_string())),
        columns,
        model,
        key: key.iter().map(|k| k.to_string()).collect(),
        distributed_by: key.iter().take(1).map(|k| k.to_string()).collect(),
        buckets: Some(1),
        properties: vec![("replication_num".into(), "1".into())],
        comment: String::new(),
        partition_clause: None,
        notes: vec![],
    }
}

pub fn col(name: &str, sr: SrType, flink: &str, nullable: bool, src: SourceType) -> TargetColumn {
    TargetColumn {
        name: name.into(),
        sr_type: sr,
        flink_type: flink.into(),
        flink_source_type: flink.into(),
        nullable,
        default: None,
        comment: String::new(),
        origin: ColumnOrigin::Source {
            name: name.into(),
            ty: src,
        },
        encoding: Encoding::Plain,
    }
}

pub fn int(width: IntWidth) -> SourceType {
    SourceType::Int {
        width,
        unsigned: false,
        display: None,
    }
}

/// A PRIMARY KEY table with every StarRocks column type, defaults and comments.
pub fn all_types() -> TablePlan {
    let mut cols = vec![
        col("id", SrType::BigInt, "BIGINT", false, int(IntWidth::Big)),
        col(
            "c_bool",
            SrType::Boolean,
            "BOOLEAN",
            true,
            SourceType::Bit(1),
        ),
        col(
            "c_tiny",
            SrType::TinyInt,
            "TINYINT",
            true,
            int(IntWidth::Tiny),
        ),
        col(
            "c_small",
            SrType::SmallInt,
            "SMALLINT",
            true,
            int(IntWidth::Small),
        ),
        col("c_int", SrType::Int, "INT", false, int(IntWidth::Int)),
        col("c_big", SrType::BigInt, "BIGINT", true, int(IntWidth::Big)),
        col(
            "c_ubig",
            SrType::LargeInt,
            "DECIMAL(20, 0)",
            true,
            SourceType::Int {
                width: IntWidth::Big,
                unsigned: true,
                display: None,
            },
        ),
        col(
            "c_float",
            SrType::Float,
            "FLOAT",
            true,
            SourceType::Float { unsigned: false },
        ),
        col(
            "c_double",
            SrType::Double,
            "DOUBLE",
            true,
            SourceType::Double { unsigned: false },
        ),
        col(
            "c_dec",
            SrType::Decimal(10, 2),
            "DECIMAL(10, 2)",
            true,
            SourceType::Decimal {
                precision: 10,
                scale: 2,
                unsigned: false,
            },
        ),
        col(
            "c_char",
            SrType::Char(40),
            "CHAR(10)",
            true,
            SourceType::Char(10),
        ),
        col(
            "c_varchar",
            SrType::Varchar(400),
            "VARCHAR(100)",
            true,
            SourceType::Varchar(100),
        ),
        col(
            "c_text",
            SrType::Varchar(1048576),
            "STRING",
            true,
            SourceType::Text(TextKind::Long),
        ),
        col(
            "c_bin",
            SrType::Varbinary(16),
            "BYTES",
            true,
            SourceType::Varbinary(16),
        ),
        col("c_date", SrType::Date, "DATE", true, SourceType::Date),
        col(
            "c_dt",
            SrType::DateTime,
            "TIMESTAMP(6)",
            true,
            SourceType::DateTime { fsp: 6 },
        ),
        col(
            "c_ts",
            SrType::DateTime,
            "TIMESTAMP(0)",
            false,
            SourceType::Timestamp { fsp: 0 },
        ),
        col("c_json", SrType::Json, "STRING", true, SourceType::Json),
    ];
    cols[0].comment = "order id".into();
    cols[4].default = Some(SrDefault::Literal("0".into()));
    cols[11].default = Some(SrDefault::Literal("n/a".into()));
    cols[11].comment = "free text".into();
    cols[16].default = Some(SrDefault::CurrentTimestamp);
    // mysql-cdc reads TIMESTAMP as TIMESTAMP_LTZ: the INSERT must CAST.
    cols[16].flink_source_type = "TIMESTAMP_LTZ(0)".into();
    let mut t = table(
        "1",
        "shop",
        "orders",
        &[("shop", "orders")],
        None,
        Model::Primary,
        &["id"],
        cols,
    );
    t.comment = "all the orders".into();
    t.properties
        .push(("enable_persistent_index".into(), "true".into()));
    t
}

/// A DUPLICATE KEY table (no source PK) with a partition clause and auto buckets.
pub fn duplicate() -> TablePlan {
    let cols = vec![
        col(
            "ts",
            SrType::DateTime,
            "TIMESTAMP(0)",
            true,
            SourceType::DateTime { fsp: 0 },
        ),
        col(
            "host",
            SrType::Varchar(256),
            "VARCHAR(64)",
            true,
            SourceType::Varchar(64),
        ),
        col(
            "msg",
            SrType::Varchar(65533),
            "STRING",
            true,
            SourceType::Text(TextKind::Text),
        ),
    ];
    let mut t = table(
        "1",
        "shop",
        "access_log",
        &[("shop", "access_log")],
        None,
        Model::Duplicate,
        &["ts", "host"],
        cols,
    );
    t.buckets = None;
    t.partition_clause = Some(
        "PARTITION BY RANGE(`ts`) (START (\"2024-01-01\") END (\"2024-03-01\") EVERY (INTERVAL 1 MONTH))".into(),
    );
    t
}

/// Merged shards with origin columns in the key; the sink's origin columns are VARCHAR (CAST).
pub fn merged() -> TablePlan {
    // Origin columns: no source-side type (metadata columns).
    let mut db_col = col(
        "_src_db",
        SrType::Varchar(256),
        "VARCHAR(256)",
        false,
        SourceType::Varchar(64),
    );
    db_col.origin = ColumnOrigin::ShardDatabase;
    db_col.flink_source_type = String::new();
    let mut tb_col = col(
        "_src_table",
        SrType::Varchar(256),
        "STRING",
        false,
        SourceType::Varchar(64),
    );
    tb_col.origin = ColumnOrigin::ShardTable;
    tb_col.flink_source_type = String::new();
    let cols = vec![
        db_col,
        tb_col,
        col("id", SrType::Int, "INT", false, int(IntWidth::Int)),
        col(
            "title",
            SrType::Varchar(400),
            "VARCHAR(100)",
            true,
            SourceType::Varchar(100),
        ),
    ];
    table(
        "shards",
        "edu_db__auto_shard",
        "course__auto_shard",
        &[
            ("edu_db_1", "course_1"),
            ("edu_db_1", "course_2"),
            ("edu_db_2", "course_1"),
        ],
        Some(("edu_db_[0-9]+", "course_[0-9]+")),
        Model::Primary,
        &["_src_db", "_src_table", "id"],
        cols,
    )
}

/// Hostile names and comments: backtick, quotes, unicode, reserved words, `\`, newline.
pub fn hostile() -> TablePlan {
    let mut k = col(
        "select",
        SrType::BigInt,
        "BIGINT",
        false,
        int(IntWidth::Big),
    );
    k.comment = "key \"quoted\" \\ back\nslash".into();
    let mut a = col(
        "a`b 'c\" 名前",
        SrType::Varchar(40),
        "VARCHAR(10)",
        true,
        SourceType::Varchar(10),
    );
    a.default = Some(SrDefault::Literal("it's \"x\" \\n".into()));
    a.comment = "line1\nline2\t\"q\"".into();
    let mut t = table(
        "odd",
        "weird_db",
        "tab`le 'x' \"y\" 表",
        &[("src.db", "tab`le 'x' \"y\" 表")],
        None,
        Model::Primary,
        &["select"],
        vec![k, a],
    );
    t.comment = "table \"comment\" \\ with\nnewline".into();
    t
}

pub fn rule(name: &str) -> RuleConfig {
    RuleConfig::new(
        name,
        1,
        Regex::new(".*").expect("regex"),
        Regex::new(".*").expect("regex"),
    )
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A rule with flink.cdc / flink.starrocks options (including ones SMT says not to set).
pub fn options_rule() -> RuleConfig {
    let mut r = rule("opts");
    r.flink_cdc = kv(&[
        ("server-id", "6000-6001"),
        ("scan.startup.mode", "initial"),
        ("hostname", "replica.internal"),
    ]);
    r.flink_starrocks = kv(&[
        ("jdbc-url", "jdbc:mysql://fe:9030"),
        ("load-url", "fe:8030"),
        ("username", "root"),
        ("password", "sr'pw"),
        ("sink.semantic", "exactly-once"),
        ("sink.label-prefix", "smt_opts"),
        ("table-name", "ignored"),
    ]);
    r
}

pub fn starrocks_opts(r: &mut RuleConfig) {
    r.flink_starrocks = kv(&[
        ("jdbc-url", "jdbc:mysql://127.0.0.1:9030"),
        ("load-url", "127.0.0.1:8030"),
        ("username", "root"),
        ("password", ""),
    ]);
}

pub fn source() -> SourceConfig {
    SourceConfig {
        kind: SourceKind::Mysql,
        host: "127.0.0.1".into(),
        port: 3306,
        user: "smt".into(),
        password: Secret::new("pa'ss"),
        time_zone: Some("UTC".into()),
    }
}

pub fn config(rules: Vec<RuleConfig>, password: &str) -> Config {
    let mut source = source();
    source.password = Secret::new(password);
    Config {
        path: PathBuf::from("config.ini"),
        source,
        other: OtherConfig {
            be_num: 1,
            use_decimal_v3: true,
            output_dir: PathBuf::from("result"),
            tinyint1_as_boolean: false,
            unknown_type_as_string: false,
            shard_origin_columns: true,
            auto_buckets: false,
            sync_duplicate_key_changes: smt::config::DupChanges::Stop,
            sync_follow_truncate: true,
            sync_quarantine: false,
            sync_snapshot_parallelism: None,
            sync_snapshot_catch_up: std::time::Duration::from_secs(30),
            starrocks_version: (3, 3),
        },
        rules,
    }
}

/// The plan + config used for the golden `result/` directory: four rules covering every case.
pub fn full() -> (Plan, Config) {
    let mut r1 = rule("1");
    starrocks_opts(&mut r1);
    let mut shards = rule("shards");
    starrocks_opts(&mut shards);
    let opts = options_rule();
    let mut odd = rule("odd");
    starrocks_opts(&mut odd);
    let mut opts_table = all_types();
    opts_table.rule = "opts".into();
    opts_table.target_table = "orders_copy".into();
    let plan = Plan {
        rules: vec![
            RulePlan::new(
                Arc::new(smt::config::RuleConfig::named("1")),
                vec![all_types(), duplicate()],
            ),
            RulePlan::new(
                Arc::new(smt::config::RuleConfig::named("shards")),
                vec![merged()],
            ),
            RulePlan::new(
                Arc::new(smt::config::RuleConfig::named("opts")),
                vec![opts_table],
            ),
            RulePlan::new(
                Arc::new(smt::config::RuleConfig::named("odd")),
                vec![hostile()],
            ),
        ],
        ..Plan::default()
    };
    let config = config(vec![r1, shards, opts, odd], "pa'ss");
    (attach(plan, &config), config)
}

/// The plan as `plan::build` would make it for `config`: each rule plan and table plan carries
/// its rule (found by name) and the plan carries the source.
pub fn attach(mut plan: Plan, config: &Config) -> Plan {
    plan.source = Arc::new(config.source.clone());
    for rp in &mut plan.rules {
        if let Some(r) = config.rules.iter().find(|r| r.name == rp.rule) {
            rp.config = Arc::new(r.clone());
            for t in &mut rp.tables {
                t.rule_config = rp.config.clone();
            }
        }
    }
    plan
}

/// `rp` planned by `rule`.
pub fn with_rule(mut rp: RulePlan, rule: RuleConfig) -> RulePlan {
    rp.rule = rule.name.clone();
    rp.config = Arc::new(rule);
    for t in &mut rp.tables {
        t.rule_config = rp.config.clone();
    }
    rp
}

/// `result_files` of `plan` attached to `config`.
pub fn files(plan: &Plan, config: &Config) -> anyhow::Result<Vec<smt::output::ResultFile>> {
    smt::output::result_files(&attach(plan.clone(), config))
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Compare `actual` with the golden file, or rewrite it when `SMT_BLESS=1`.
pub fn check_golden(rel: &str, actual: &str) {
    let path = golden_dir().join(rel);
    if std::env::var("SMT_BLESS").as_deref() == Ok("1") {
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).expect("create golden dir");
        }
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read golden {}: {e}; run with SMT_BLESS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the rendered output (run with SMT_BLESS=1 to accept):\n--- actual ---\n{actual}",
        path.display()
    );
}
