//! Shard merge: grouping, SMT naming, drift widening, incompatible shards, origin columns.

#[path = "common/plan_fixtures.rs"]
mod fx;
#[path = "common/sr_rules.rs"]
mod sr_rules;

use fx::*;
use smt::config::Config;
use smt::plan::{self, ColumnOrigin, Model, NoteKind, Plan, SrType, TablePlan};
use smt::schema::{IntWidth, SourceType, TableDesc};

fn build(cfg: &Config, tables: &[TableDesc]) -> Plan {
    let p = plan::build(cfg, tables).unwrap_or_else(|e| panic!("{e}"));
    for tp in p.tables() {
        sr_rules::assert_plan_ok(tp, cfg.other.be_num, cfg.other.starrocks_version);
    }
    p
}

fn all(p: &Plan) -> Vec<TablePlan> {
    p.tables().cloned().collect()
}

fn course(db: &str, t: &str) -> TableDesc {
    let mut t = table(
        db,
        t,
        vec![bigint("id"), varchar("name", 20, true)],
        vec![pk(&["id"])],
    );
    t.data_length = 1 << 30;
    t
}

fn names(tp: &TablePlan) -> Vec<&str> {
    tp.columns.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn naming_helpers() {
    assert_eq!(plan::shard_stem("edu_db_1"), "edu_db");
    assert_eq!(plan::shard_stem("t12"), "t");
    assert_eq!(plan::shard_stem("plain"), "plain");
    assert_eq!(
        plan::merged_name(&["edu_db_1", "edu_db_2"], "db"),
        "edu_db__auto_shard"
    );
    assert_eq!(
        plan::merged_name(&["course_1", "course_2"], "table"),
        "course__auto_shard"
    );
    assert_eq!(plan::merged_name(&["course", "course"], "table"), "course");
    assert_eq!(plan::merged_name(&["a1", "b1"], "db"), "db_auto_shard");
    assert_eq!(plan::merged_name(&["é1", "é2"], "db"), "é_auto_shard");
    assert_eq!(plan::exact_alternation(&["b.1", "a", "a"]), r"(a|b\.1)");
}

#[test]
fn identical_shards_merge_with_origin_columns_in_key() {
    let tables = vec![
        course("edu_db_2", "course_2"),
        course("edu_db_1", "course_1"),
        course("edu_db_1", "course_3"),
    ];
    let p = build(&config(vec![rule("1", "^edu_db_", "^course_")]), &tables);
    let tps = all(&p);
    assert_eq!(tps.len(), 1, "{tps:#?}");
    let tp = &tps[0];
    assert_eq!(tp.target_database, "edu_db__auto_shard");
    assert_eq!(tp.target_table, "course__auto_shard");
    assert_eq!(tp.sources.len(), 3);
    assert_eq!(tp.sources[0].database, "edu_db_1");
    assert_eq!(tp.sources[0].table, "course_1");
    assert_eq!(tp.sources[2].database, "edu_db_2");
    assert!(tp.is_merged());
    assert_eq!(
        tp.shard_regex,
        Some((
            "(edu_db_1|edu_db_2)".to_string(),
            "(course_1|course_2|course_3)".to_string()
        ))
    );
    assert_eq!(tp.model, Model::Primary);
    assert_eq!(tp.key, vec!["id", "_smt_source_db", "_smt_source_table"]);
    assert_eq!(
        names(tp),
        vec!["id", "_smt_source_db", "_smt_source_table", "name"]
    );
    let o = tp.column("_smt_source_db").unwrap();
    assert_eq!(o.origin, ColumnOrigin::ShardDatabase);
    assert!(!o.nullable);
    assert_eq!(o.sr_type, SrType::Varchar(192));
    assert_eq!(
        tp.column("_smt_source_table").unwrap().origin,
        ColumnOrigin::ShardTable
    );
    assert_eq!(tp.distributed_by, tp.key);
    // 3 GiB over 3 BEs
    assert_eq!(tp.buckets, Some(3));
    assert!(!tp.notes.iter().any(|n| n.kind == NoteKind::ShardDrift));
}

#[test]
fn option_off_is_smt_identical() {
    let tables = vec![
        course("edu_db_1", "course_1"),
        course("edu_db_2", "course_2"),
    ];
    let mut cfg = config(vec![rule("1", ".*", ".*")]);
    cfg.other.shard_origin_columns = false;
    let tp = all(&build(&cfg, &tables)).remove(0);
    assert_eq!(names(&tp), vec!["id", "name"]);
    assert_eq!(tp.key, vec!["id"]);
    // Same table as planning one shard alone, apart from names, sources and size.
    let single = all(&build(&cfg, &tables[..1])).remove(0);
    let shape = |t: &TablePlan| {
        t.columns
            .iter()
            .map(|c| (c.name.clone(), c.sr_type, c.nullable, c.flink_type.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&tp), shape(&single));
    assert_eq!(
        (&tp.model, &tp.key, &tp.distributed_by),
        (&single.model, &single.key, &single.distributed_by)
    );
    assert_eq!(tp.properties, single.properties);
    // A per-rule override wins over [other].
    let mut r = rule("1", ".*", ".*");
    r.shard_origin_columns = Some(true);
    let mut cfg = config(vec![r]);
    cfg.other.shard_origin_columns = false;
    let tp = all(&build(&cfg, &tables)).remove(0);
    assert_eq!(tp.key.len(), 3);
    // And the other way round.
    let mut r = rule("1", ".*", ".*");
    r.shard_origin_columns = Some(false);
    let tp = all(&build(&config(vec![r]), &tables)).remove(0);
    assert_eq!(tp.key, vec!["id"]);
}

#[test]
fn origin_names_do_not_collide() {
    let mk = |db: &str| {
        table(
            db,
            "t",
            vec![
                int("id"),
                varchar("_smt_source_db", 5, true),
                varchar("_SMT_SOURCE_DB_2", 5, true),
            ],
            vec![pk(&["id"])],
        )
    };
    let tp = all(&build(
        &config(vec![rule("1", ".*", ".*")]),
        &[mk("s1"), mk("s2")],
    ))
    .remove(0);
    assert_eq!(tp.target_database, "s_auto_shard");
    assert_eq!(tp.target_table, "t");
    assert_eq!(tp.key, vec!["id", "_smt_source_db_3", "_smt_source_table"]);
}

#[test]
fn rename_rules_apply_to_merged_targets() {
    let mut r = rule("1", ".*", ".*");
    r.target_database = Some("edu".into());
    r.target_table = Some("course".into());
    let tables = vec![
        course("edu_db_1", "course_1"),
        course("edu_db_2", "course_2"),
    ];
    let tp = all(&build(&config(vec![r]), &tables)).remove(0);
    assert_eq!(
        (tp.target_database.as_str(), tp.target_table.as_str()),
        ("edu", "course")
    );
}

#[test]
fn drift_is_widened_and_noted() {
    let dec = |p, s| SourceType::Decimal {
        precision: p,
        scale: s,
        unsigned: false,
    };
    let i = |w, u| SourceType::Int {
        width: w,
        unsigned: u,
        display: None,
    };
    let a = table(
        "db",
        "t_1",
        vec![
            bigint("id"),
            varchar("name", 10, false),
            col("n", i(IntWidth::Int, false), true),
            col("u", i(IntWidth::Int, true), true),
            col("d", dec(10, 2), true),
            col("big", i(IntWidth::Big, true), true),
        ],
        vec![pk(&["id"])],
    );
    let b = table(
        "db",
        "t_2",
        vec![
            bigint("id"),
            varchar("name", 20, false),
            col("n", i(IntWidth::Big, false), true),
            col("u", i(IntWidth::Int, false), true),
            col("d", dec(8, 4), true),
            col("big", i(IntWidth::Big, false), true),
            col("extra", SourceType::Date, true),
        ],
        vec![pk(&["id"])],
    );
    let tp = all(&build(&config(vec![rule("1", ".*", ".*")]), &[a, b])).remove(0);
    assert_eq!(tp.target_table, "t__auto_shard");
    let c = |n: &str| tp.column(n).unwrap_or_else(|| panic!("{n}"));
    assert_eq!(c("name").sr_type, SrType::Varchar(80));
    assert!(!c("name").nullable);
    assert_eq!(c("n").sr_type, SrType::BigInt);
    assert_eq!(c("u").sr_type, SrType::BigInt);
    assert_eq!(c("d").sr_type, SrType::Decimal(12, 4));
    assert_eq!(c("big").sr_type, SrType::Decimal(20, 0));
    assert!(c("extra").nullable);
    let drift: Vec<_> = tp
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::ShardDrift)
        .collect();
    for col in ["name", "n", "u", "d", "big", "extra"] {
        let n = drift
            .iter()
            .find(|n| n.column.as_deref() == Some(col))
            .unwrap_or_else(|| panic!("no drift note for {col}: {drift:#?}"));
        assert!(
            n.message.contains("db.t_1") || n.message.contains("db.t_2"),
            "{}",
            n.message
        );
    }
    assert!(drift
        .iter()
        .any(|n| n.message.contains("exists only in db.t_2")));
}

#[test]
fn not_null_column_missing_in_a_shard_becomes_nullable() {
    let a = table("db", "t_1", vec![bigint("id"), int("x")], vec![pk(&["id"])]);
    let b = table("db", "t_2", vec![bigint("id")], vec![pk(&["id"])]);
    let tp = all(&build(&config(vec![rule("1", ".*", ".*")]), &[a, b])).remove(0);
    assert!(tp.column("x").unwrap().nullable);
}

#[test]
fn incompatible_shards_are_planned_separately_with_a_reason() {
    let a = table(
        "db",
        "t_1",
        vec![bigint("id"), varchar("x", 5, true)],
        vec![pk(&["id"])],
    );
    let b = table("db", "t_2", vec![bigint("id"), int("x")], vec![pk(&["id"])]);
    let tps = all(&build(
        &config(vec![rule("1", ".*", ".*")]),
        &[a.clone(), b],
    ));
    assert_eq!(
        tps.iter()
            .map(|t| t.target_table.as_str())
            .collect::<Vec<_>>(),
        vec!["t_1", "t_2"]
    );
    for tp in &tps {
        assert!(!tp.is_merged());
        let n = tp
            .notes
            .iter()
            .find(|n| n.kind == NoteKind::ShardDrift)
            .expect("reason note");
        assert!(
            n.message.contains("not merged") && n.message.contains("`x`"),
            "{}",
            n.message
        );
    }
    // Different primary keys.
    let c = table(
        "db",
        "t_2",
        vec![bigint("id"), varchar("x", 5, false)],
        vec![pk(&["id", "x"])],
    );
    let tps = all(&build(&config(vec![rule("1", ".*", ".*")]), &[a, c]));
    assert_eq!(tps.len(), 2);
    assert!(tps[0]
        .notes
        .iter()
        .any(|n| n.message.contains("different keys")));
}

#[test]
fn duplicate_model_shards_append_origin_columns() {
    let mk = |t: &str| {
        table(
            "db",
            t,
            vec![
                int("a"),
                col("f", SourceType::Double { unsigned: false }, true),
            ],
            vec![],
        )
    };
    let tp = all(&build(
        &config(vec![rule("1", ".*", ".*")]),
        &[mk("log1"), mk("log2")],
    ))
    .remove(0);
    assert_eq!(tp.target_table, "log_auto_shard");
    assert_eq!(tp.model, Model::Duplicate);
    assert_eq!(tp.key, vec!["a"]);
    assert_eq!(
        names(&tp),
        vec!["a", "f", "_smt_source_db", "_smt_source_table"]
    );
}

#[test]
fn shards_are_grouped_only_within_a_rule() {
    let tables = vec![course("s", "c_1"), course("s", "c_2"), course("s", "c_3")];
    let p = build(
        &config(vec![rule("a", ".*", ".*"), rule("b", ".*", "^c_3$")]),
        &tables,
    );
    assert_eq!(p.rules[0].tables.len(), 1);
    assert_eq!(p.rules[0].tables[0].sources.len(), 2);
    assert_eq!(p.rules[0].tables[0].target_table, "c__auto_shard");
    assert_eq!(p.rules[1].tables[0].target_table, "c_3");
}
