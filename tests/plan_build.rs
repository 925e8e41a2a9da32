//! Planning of single tables: models, keys, buckets, properties, errors, rule precedence.

#[path = "common/plan_fixtures.rs"]
mod fx;
#[path = "common/sr_rules.rs"]
mod sr_rules;

use fx::*;
use smt::plan::{self, Encoding, Model, NoteKind, Plan, SrType, TablePlan};
use smt::schema::{KeyKind, SourceType, TableDesc, TextKind};

fn build_ok(rules: Vec<smt::config::RuleConfig>, tables: &[TableDesc]) -> Plan {
    let cfg = config(rules);
    let p = plan::build(&cfg, tables).unwrap_or_else(|e| panic!("{e}"));
    for tp in p.tables() {
        sr_rules::assert_plan_ok(tp, cfg.other.be_num, cfg.other.starrocks_version);
    }
    p
}

fn one(tables: &[TableDesc]) -> TablePlan {
    let p = build_ok(vec![rule("1", ".*", ".*")], tables);
    let all: Vec<_> = p.tables().cloned().collect();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

fn names(tp: &TablePlan) -> Vec<&str> {
    tp.columns.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn composite_pk_first_in_key_order_not_null() {
    let t = table(
        "shop",
        "orders",
        vec![
            varchar("note", 10, true),
            int("b"),
            bigint("a"),
            varchar("c", 5, true),
        ],
        vec![pk(&["a", "b"])],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Primary);
    assert_eq!(tp.key, vec!["a", "b"]);
    assert_eq!(names(&tp), vec!["a", "b", "note", "c"]);
    assert!(!tp.columns[0].nullable && !tp.columns[1].nullable);
    assert_eq!(tp.distributed_by, vec!["a", "b"]);
    assert_eq!(tp.target_database, "shop");
    assert_eq!(tp.target_table, "orders");
    assert_eq!(tp.comment, "orders comment");
    assert!(tp.shard_regex.is_none());
    assert_eq!(tp.buckets, Some(1));
    assert_eq!(
        tp.properties,
        vec![("replication_num".to_string(), "3".to_string())]
    );
}

#[test]
fn no_key_gives_duplicate_on_first_three_sortable_columns() {
    let t = table(
        "d",
        "log",
        vec![
            col("f", SourceType::Double { unsigned: false }, true),
            int("a"),
            col("j", SourceType::Json, true),
            varchar("b", 10, true),
            col("c", SourceType::Date, true),
            int("e"),
        ],
        vec![],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Duplicate);
    assert_eq!(tp.key, vec!["a", "b", "c"]);
    assert_eq!(names(&tp), vec!["a", "b", "c", "f", "j", "e"]);
    assert_eq!(tp.distributed_by, vec!["a", "b", "c"]);
    // Duplicate key columns keep their source nullability.
    assert!(tp.columns[1].nullable);
}

#[test]
fn duplicate_keys_from_rule() {
    let t = table(
        "d",
        "log",
        vec![int("a"), varchar("b", 10, false), int("c")],
        vec![],
    );
    let mut r = rule("1", ".*", ".*");
    r.duplicate_keys = Some(vec!["C".into()]);
    let p = build_ok(vec![r], &[t]);
    let tp = p.tables().next().unwrap();
    assert_eq!(tp.key, vec!["c"]);
    assert_eq!(names(tp), vec!["c", "a", "b"]);
}

#[test]
fn unique_not_null_becomes_primary_key_first_by_name() {
    let t = table(
        "d",
        "u",
        vec![
            int("id_nullable_free"),
            varchar("code", 8, false),
            varchar("x", 8, false),
            varchar("n", 8, true),
        ],
        vec![
            fx::key("z_uk", KeyKind::Unique, &["x"]),
            fx::key("b_uk", KeyKind::Unique, &["n"]),
            fx::key("c_uk", KeyKind::Unique, &["code"]),
        ],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Primary);
    assert_eq!(tp.key, vec!["code"]);
    assert_eq!(tp.columns[0].name, "code");
}

#[test]
fn unique_with_nullable_column_gives_duplicate() {
    let t = table(
        "d",
        "u",
        vec![int("a"), varchar("n", 8, true)],
        vec![fx::key("uk", KeyKind::Unique, &["a", "n"])],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Duplicate);
}

#[test]
fn decimal_char_binary_in_pk_become_varchar() {
    let t = table(
        "d",
        "k",
        vec![
            col(
                "dec",
                SourceType::Decimal {
                    precision: 10,
                    scale: 2,
                    unsigned: false,
                },
                false,
            ),
            col("ch", SourceType::Char(4), false),
            col("bin", SourceType::Binary(16), false),
            col("other_bin", SourceType::Binary(16), true),
        ],
        vec![pk(&["dec", "ch", "bin"])],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Primary);
    let c = |n: &str| tp.column(n).unwrap();
    assert_eq!(c("dec").sr_type, SrType::Varchar(12));
    assert_eq!(c("dec").encoding, Encoding::DecimalText);
    assert_eq!(c("ch").sr_type, SrType::Varchar(16));
    assert_eq!(c("bin").sr_type, SrType::Varchar(32));
    assert_eq!(c("bin").encoding, Encoding::Hex);
    assert_eq!(c("other_bin").sr_type, SrType::Varbinary(16));
}

#[test]
fn float_pk_falls_back_to_duplicate_with_note() {
    let t = table(
        "d",
        "f",
        vec![
            col("x", SourceType::Float { unsigned: false }, false),
            int("a"),
        ],
        vec![pk(&["x"])],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Duplicate);
    assert_eq!(tp.key, vec!["a"]);
    let n = tp
        .notes
        .iter()
        .find(|n| n.kind == NoteKind::Fallback)
        .expect("fallback note");
    assert!(n.message.contains("`x`"), "{}", n.message);
}

#[test]
fn wide_pk_is_noted() {
    let t = table(
        "d",
        "w",
        vec![varchar("a", 40, false), int("b")],
        vec![pk(&["a", "b"])],
    );
    let tp = one(&[t]);
    assert!(tp
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::KeyWidth && n.message.contains("164")));
    let narrow = one(&[table(
        "d",
        "w",
        vec![varchar("a", 10, false)],
        vec![pk(&["a"])],
    )]);
    assert!(!narrow.notes.iter().any(|n| n.kind == NoteKind::KeyWidth));
}

#[test]
fn bucket_formula() {
    const G: u64 = 1 << 30;
    assert_eq!(plan::buckets_for_size(0, 3), 1);
    assert_eq!(plan::buckets_for_size(G - 1, 3), 1);
    assert_eq!(plan::buckets_for_size(G, 3), 1);
    assert_eq!(plan::buckets_for_size(G + 1, 3), 2);
    assert_eq!(plan::buckets_for_size(3 * G - 1, 3), 3);
    assert_eq!(plan::buckets_for_size(3 * G, 3), 3);
    assert_eq!(plan::buckets_for_size(10 * G, 3), 12);
    assert_eq!(plan::buckets_for_size(10 * G, 0), 10);
    let mut t = table("d", "t", vec![int("a")], vec![pk(&["a"])]);
    t.data_length = 5 * G;
    assert_eq!(one(&[t.clone()]).buckets, Some(6));
    let mut cfg = config(vec![rule("1", ".*", ".*")]);
    cfg.other.auto_buckets = true;
    assert_eq!(
        plan::build(&cfg, &[t.clone()]).unwrap().rules[0].tables[0].buckets,
        None
    );
    let mut r = rule("1", ".*", ".*");
    r.bucket_num = Some(7);
    let cfg = config(vec![r]);
    assert_eq!(
        plan::build(&cfg, &[t]).unwrap().rules[0].tables[0].buckets,
        Some(7)
    );
}

#[test]
fn properties_order_and_override() {
    let t = table("d", "t", vec![int("a")], vec![pk(&["a"])]);
    let mut r = rule("1", ".*", ".*");
    r.properties = vec![
        ("in_memory".into(), "false".into()),
        ("replication_num".into(), "1".into()),
        ("storage_medium".into(), "SSD".into()),
    ];
    let mut cfg = config(vec![r]);
    cfg.other.be_num = 1;
    let p = plan::build(&cfg, &[t]).unwrap();
    let props = &p.rules[0].tables[0].properties;
    let pairs: Vec<(&str, &str)> = props
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("replication_num", "1"),
            ("in_memory", "false"),
            ("storage_medium", "SSD")
        ]
    );
    let mut cfg = config(vec![rule("1", ".*", ".*")]);
    cfg.other.be_num = 2;
    let t = table("d", "t", vec![int("a")], vec![pk(&["a"])]);
    assert_eq!(
        plan::build(&cfg, &[t]).unwrap().rules[0].tables[0].properties[0].1,
        "2"
    );
}

#[test]
fn rule_precedence_and_unmatched_rules_visible() {
    let tables = vec![
        table("shop", "users", vec![int("a")], vec![pk(&["a"])]),
        table("shop", "orders", vec![int("a")], vec![pk(&["a"])]),
    ];
    let mut special = rule("orders", "^shop$", "^orders$");
    special.target_table = Some("orders_copy".into());
    let p = build_ok(
        vec![
            rule("all", "^shop$", ".*"),
            special,
            rule("nothing", "^zzz$", ".*"),
        ],
        &tables,
    );
    assert_eq!(p.rules.len(), 3);
    assert_eq!(
        p.rules[0]
            .tables
            .iter()
            .map(|t| t.target_table.as_str())
            .collect::<Vec<_>>(),
        vec!["users"]
    );
    assert_eq!(p.rules[1].tables[0].target_table, "orders_copy");
    assert_eq!(p.rules[1].tables[0].rule, "orders");
    assert_eq!(p.unmatched_rules(), vec!["nothing"]);
}

#[test]
fn nothing_matched_is_an_error_naming_the_rules() {
    let cfg = config(vec![rule("first", "^nope$", ".*")]);
    let e = plan::build(&cfg, &[table("d", "t", vec![int("a")], vec![])]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("table-rule.first") && msg.contains("^nope$"),
        "{msg}"
    );
}

#[test]
fn all_errors_are_collected() {
    let mut bad_col = int("a`b");
    bad_col.nullable = true;
    let tables = vec![
        table(
            "d",
            "one",
            vec![int("a"), col("u", SourceType::Unknown("uuid".into()), true)],
            vec![],
        ),
        table(
            "d",
            "two",
            vec![
                int("a"),
                col("v", SourceType::Unknown("inet6".into()), true),
            ],
            vec![],
        ),
        table("d", "three", vec![int("a"), bad_col], vec![]),
        table("1db", "t4", vec![int("a")], vec![]),
        table("d", "ok", vec![int("a")], vec![]),
    ];
    // The four bad tables are left out with their reasons; the good one is planned.
    let p = plan::build(&config(vec![rule("1", ".*", ".*")]), &tables).unwrap();
    let msg: String = p
        .skipped
        .iter()
        .map(|k| format!("{}.{}: {}\n", k.database, k.table, k.reason))
        .collect();
    assert_eq!(p.skipped.len(), 4, "{msg}");
    assert!(msg.contains("d.one.u") && msg.contains("d.two.v"), "{msg}");
    assert!(msg.contains("a`b") && msg.contains("backtick"), "{msg}");
    assert!(msg.contains("`1db`"), "{msg}");
    assert_eq!(p.tables().count(), 1);
    assert_eq!(p.tables().next().unwrap().target_table, "ok");
    // Without the good table nothing can be planned: the run fails with every problem.
    let e = plan::build(&config(vec![rule("1", ".*", ".*")]), &tables[..4]).unwrap_err();
    assert_eq!(e.errors.len(), 4, "{e}");
}

#[test]
fn unknown_type_as_string_option() {
    let t = table(
        "d",
        "t",
        vec![int("a"), col("u", SourceType::Unknown("uuid".into()), true)],
        vec![pk(&["a"])],
    );
    let mut cfg = config(vec![rule("1", ".*", ".*")]);
    cfg.other.unknown_type_as_string = true;
    let p = plan::build(&cfg, &[t]).unwrap();
    let tp = &p.rules[0].tables[0];
    assert_eq!(tp.column("u").unwrap().sr_type, SrType::Varchar(1_048_576));
    assert!(tp.notes.iter().any(|n| n.kind == NoteKind::UnknownType));
}

#[test]
fn distributed_by_validated() {
    let t = table("d", "t", vec![int("a"), int("b")], vec![pk(&["a"])]);
    let mut r = rule("1", ".*", ".*");
    r.distributed_by = Some(vec!["b".into()]);
    let e = plan::build(&config(vec![r]), std::slice::from_ref(&t)).unwrap_err();
    assert!(e.to_string().contains("not part of the PRIMARY KEY"), "{e}");
    let mut r = rule("1", ".*", ".*");
    r.distributed_by = Some(vec!["zz".into()]);
    assert!(plan::build(&config(vec![r]), std::slice::from_ref(&t))
        .unwrap_err()
        .to_string()
        .contains("`zz` does not exist"));
    let mut r = rule("1", ".*", ".*");
    r.distributed_by = Some(vec!["A".into()]);
    let p = plan::build(&config(vec![r]), &[t]).unwrap();
    assert_eq!(p.rules[0].tables[0].distributed_by, vec!["a"]);
}

#[test]
fn partition_clause() {
    let t = table(
        "d",
        "t",
        vec![col("dt", SourceType::Date, false), int("a")],
        vec![pk(&["dt", "a"])],
    );
    let mut r = rule("1", ".*", ".*");
    r.partition_key = Some("dt".into());
    r.partitions =
        Some(r#"START ("2021-01-01") END ("2022-01-01") EVERY (INTERVAL 1 MONTH)"#.into());
    let p = plan::build(&config(vec![r]), std::slice::from_ref(&t)).unwrap();
    assert_eq!(
        p.rules[0].tables[0].partition_clause.as_deref(),
        Some(
            r#"PARTITION BY RANGE(`dt`) (START ("2021-01-01") END ("2022-01-01") EVERY (INTERVAL 1 MONTH))"#
        )
    );
    let mut r = rule("1", ".*", ".*");
    r.partition_key = Some("dt".into());
    let p = plan::build(&config(vec![r]), &[t]).unwrap();
    assert!(p.rules[0].tables[0].partition_clause.is_none());
    assert!(p.rules[0].tables[0]
        .notes
        .iter()
        .any(|n| n.message.contains("partition_key")));
}

#[test]
fn target_collision_is_an_error() {
    let tables = vec![
        table("d", "a", vec![int("x")], vec![pk(&["x"])]),
        table("d", "b", vec![int("x")], vec![pk(&["x"])]),
    ];
    let mut r = rule("1", ".*", ".*");
    r.target_table = Some("same".into());
    let e = plan::build(&config(vec![r]), &tables).unwrap_err();
    assert!(
        e.to_string().contains("d.same") && e.to_string().contains("d.a"),
        "{e}"
    );
}

#[test]
fn defaults_and_comments_carried() {
    let mut c = varchar("s", 10, false);
    c.default = smt::schema::ColumnDefault::Literal("x\"y".into());
    c.comment = "a \"quoted\" comment".into();
    let mut n = col(
        "n",
        SourceType::Int {
            width: smt::schema::IntWidth::Int,
            unsigned: false,
            display: None,
        },
        false,
    );
    n.default = smt::schema::ColumnDefault::Null;
    let t = table(
        "d",
        "t",
        vec![
            int("a"),
            c,
            n,
            col("blob", SourceType::Blob(TextKind::Long), true),
        ],
        vec![pk(&["a"])],
    );
    let tp = one(&[t]);
    let s = tp.column("s").unwrap();
    assert_eq!(
        s.default,
        Some(smt::plan::SrDefault::Literal("x\"y".into()))
    );
    assert_eq!(s.comment, "a \"quoted\" comment");
    assert_eq!(tp.column("n").unwrap().default, None);
    assert!(tp
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::Capped && n.column.as_deref() == Some("blob")));
}

#[test]
fn checker_catches_bad_statements() {
    let good = r#"CREATE TABLE IF NOT EXISTS `d`.`t` (
  `a` INT NOT NULL COMMENT "PRIMARY KEY(`zz`)",
  `b` DECIMAL(10, 2) NULL DEFAULT "1.5",
  `c` VARCHAR(10) NULL
) ENGINE=OLAP
PRIMARY KEY(`a`)
COMMENT "t"
DISTRIBUTED BY HASH(`a`) BUCKETS 2
PROPERTIES ("replication_num" = "3")"#;
    sr_rules::assert_create_table_ok(good, 3, (3, 3));
    let bad = r#"CREATE TABLE `d`.`t` (
  `b` DOUBLE NULL,
  `a` CHAR(300) NOT NULL,
  `A` DATETIME(6) NULL,
  `x` INT UNSIGNED NOT NULL DEFAULT NULL
) PRIMARY KEY(`a`, `b`)
DISTRIBUTED BY HASH(`x`) BUCKETS 0
PROPERTIES ("replication_num" = "3")"#;
    let v = sr_rules::check_create_table(bad, 1, (3, 3));
    let all = v.join("\n");
    for needle in [
        "key column `a` is at position 1",
        "CHAR(300)",
        "cannot be a PRIMARY KEY column",
        "DATETIME with precision",
        "UNSIGNED",
        "duplicate column",
        "DEFAULT NULL",
        "not in the PRIMARY KEY",
        "BUCKETS 0",
        "replication_num 3 with 1 BEs",
        "PRIMARY KEY column is nullable",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in {all}");
    }
}

#[test]
fn not_null_dates_become_nullable_unless_key() {
    let t = table(
        "d",
        "t",
        vec![
            col("k", SourceType::DateTime { fsp: 0 }, false),
            col("d", SourceType::Date, false),
            col("ts", SourceType::Timestamp { fsp: 6 }, false),
            int("i"),
        ],
        vec![pk(&["k"])],
    );
    let tp = one(&[t]);
    assert!(!tp.column("k").unwrap().nullable);
    assert!(tp.column("d").unwrap().nullable);
    assert!(tp.column("ts").unwrap().nullable);
    assert!(!tp.column("i").unwrap().nullable);
    assert!(tp
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::Fallback && n.message.contains("(d, ts)")));
}

/// Zero dates: NOT NULL date columns outside the key become nullable (zero dates load as
/// NULL); PRIMARY KEY date columns stay NOT NULL with Encoding::KeyDate and a note naming the
/// sentinel. A NOT NULL JSON column becomes nullable (a JSON null document is SQL NULL).
#[test]
fn zero_date_keys_and_not_null_json() {
    let t = table(
        "d",
        "z",
        vec![
            col("day", SourceType::Date, false),
            col("at", SourceType::DateTime { fsp: 0 }, false),
            col("seen", SourceType::Date, false),
            col("doc", SourceType::Json, false),
            col("opt", SourceType::Json, true),
        ],
        vec![pk(&["day", "at"])],
    );
    let tp = one(&[t]);
    assert_eq!(tp.model, Model::Primary);
    let c = |n: &str| tp.column(n).unwrap();
    assert_eq!(c("day").encoding, Encoding::KeyDate);
    assert_eq!(c("at").encoding, Encoding::KeyDate);
    assert!(!c("day").nullable && !c("at").nullable);
    assert_eq!(c("seen").encoding, Encoding::Plain);
    assert!(c("seen").nullable && c("doc").nullable && c("opt").nullable);
    let key_notes: Vec<_> = tp
        .notes
        .iter()
        .filter(|n| n.message.contains("PRIMARY KEY column: a MySQL zero date"))
        .map(|n| (n.column.clone().unwrap(), n.message.clone()))
        .collect();
    assert_eq!(key_notes.len(), 2, "{:?}", tp.notes);
    assert_eq!(key_notes[0].0, "day");
    assert!(
        key_notes[0].1.contains("loads as 0000-01-01 ("),
        "{}",
        key_notes[0].1
    );
    assert!(
        key_notes[1].1.contains("loads as 0000-01-01 00:00:00"),
        "{}",
        key_notes[1].1
    );
    assert!(tp
        .notes
        .iter()
        .any(|n| n.kind == NoteKind::Fallback
            && n.message.contains("NOT NULL date/time columns (seen)")));
    assert!(
        tp.notes
            .iter()
            .any(|n| n.kind == NoteKind::Fallback
                && n.message.contains("NOT NULL JSON columns (doc)"))
    );
}
