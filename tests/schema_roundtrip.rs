//! Live introspection vs. parsing a real `mariadb-dump --no-data` of the same schema.
#[path = "common/mariadb.rs"]
mod mariadb;

use smt::schema::dump::parse_dump;
use smt::schema::introspect::{introspect, Flavor};
use smt::schema::{ColumnDefault, KeyKind, SourceType, TableDesc, TextKind};

fn live(prefix: &str) -> smt::schema::introspect::Introspection {
    let p = prefix.to_string();
    introspect(&mariadb::source_config(), &move |db: &str| {
        db.starts_with(&p)
    })
    .expect("introspect")
}

fn table<'a>(ts: &'a [TableDesc], db: &str, name: &str) -> &'a TableDesc {
    ts.iter()
        .find(|t| t.database == db && t.name == name)
        .unwrap_or_else(|| panic!("table {db}.{name} missing"))
}

#[test]
fn live_and_dump_describe_the_fixture_identically() {
    let dbs = mariadb::TempDbs::load("schema", "tests/fixtures/mariadb_all.sql");
    let got = live(&dbs.prefix);
    assert_eq!(got.server.flavor, Flavor::MariaDb);
    let names = dbs.databases();
    assert_eq!(names.len(), 4, "{names:?}");
    let dump = mariadb::dump(&names);
    let parsed = parse_dump(&dump).expect("parse dump");

    let mut live_tables = got.tables.clone();
    for t in &mut live_tables {
        t.data_length = 0;
    }
    assert_eq!(live_tables.len(), parsed.len());
    for (l, d) in live_tables.iter().zip(&parsed) {
        assert_eq!(l.qualified(), d.qualified());
        for (lc, dc) in l.columns.iter().zip(&d.columns) {
            assert_eq!(lc, dc, "{}.{}", l.qualified(), lc.name);
        }
        assert_eq!(l, d, "{}", l.qualified());
    }
}

#[test]
fn live_introspection_details() {
    let dbs = mariadb::TempDbs::load("schema", "tests/fixtures/mariadb_all.sql");
    let got = live(&dbs.prefix);
    let ts = &got.tables;
    let all = dbs.db("all");
    // The view is not a table; 26 base tables.
    assert_eq!(ts.len(), 26);
    let misc = table(ts, &all, "t_misc");
    assert_eq!(
        misc.column("doc").map(|c| c.ty.clone()),
        Some(SourceType::Json),
        "table-level CHECK"
    );
    assert_eq!(
        misc.column("j").map(|c| c.ty.clone()),
        Some(SourceType::Json)
    );
    assert_eq!(
        misc.column("j").and_then(|c| c.charset.clone()).as_deref(),
        Some("utf8mb4")
    );
    assert!(
        misc.column("inv").is_some(),
        "invisible columns are columns"
    );
    assert!(misc
        .keys
        .iter()
        .any(|k| k.name == "uk_t" && k.columns == ["t"]));
    assert!(!ts.iter().any(|t| t.name == "orders_view"));

    let at = table(ts, &all, "all_types");
    assert_eq!(at.comment, "every mapped type");
    assert!(at.data_length > 0, "DATA_LENGTH read");
    let col = |n: &str| at.column(n).unwrap_or_else(|| panic!("column {n}"));
    assert_eq!(col("c_json").ty, SourceType::Json);
    assert_eq!(col("c_longtext").ty, SourceType::Text(TextKind::Long));
    assert_eq!(col("c_varchar").octet_length, Some(1020));
    assert_eq!(col("c_varchar").charset.as_deref(), Some("utf8mb4"));
    assert_eq!(col("c_varchar_latin1").octet_length, Some(255));
    assert_eq!(col("c_varchar_latin1").charset.as_deref(), Some("latin1"));
    assert_eq!(col("c_char0").ty, SourceType::Char(0));
    assert_eq!(col("c_int_zf").column_type, "int(10) unsigned zerofill");
    assert!(col("c_int_zf").ty.is_unsigned());
    assert_eq!(col("c_generated").generated.as_deref(), Some("`c_int` * 2"));
    assert_eq!(col("c_generated").default, ColumnDefault::None);
    assert_eq!(col("c_bit10").default, ColumnDefault::Literal("5".into()));
    assert_eq!(
        col("c_enum").ty,
        SourceType::Enum(vec![
            "small".into(),
            "medium".into(),
            "large".into(),
            "it's".into()
        ])
    );
    assert_eq!(col("c_binary").charset, None);
    assert_eq!(col("c_binary").octet_length, Some(16));
    let ordinals: Vec<u32> = at.columns.iter().map(|c| c.ordinal).collect();
    assert_eq!(ordinals, (1..=at.columns.len() as u32).collect::<Vec<_>>());

    // FK is not a key; unique keys are.
    assert!(table(ts, &all, "k_fk_only").keys.is_empty());
    let un = table(ts, &all, "k_unique_not_null");
    assert_eq!(un.keys.len(), 1);
    assert_eq!(un.keys[0].kind, KeyKind::Unique);
    assert_eq!(un.keys[0].columns, ["a", "b"]);
    assert_eq!(
        table(ts, &all, "k_composite_pk")
            .primary_key()
            .map(|k| k.columns.clone()),
        Some(vec!["b".to_string(), "a".to_string()])
    );
    assert!(
        table(ts, &all, "k_no_pk").keys.is_empty(),
        "plain KEY is not a key"
    );

    // Defaults.
    let d = table(ts, &all, "defaults");
    let def = |n: &str| {
        d.column(n)
            .map(|c| c.default.clone())
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(def("d_str"), ColumnDefault::Literal("it's".into()));
    assert_eq!(
        def("d_str_backslash"),
        ColumnDefault::Literal("a\\b".into())
    );
    assert_eq!(
        def("d_str_null_word"),
        ColumnDefault::Literal("NULL".into())
    );
    assert_eq!(def("d_null_explicit"), ColumnDefault::Null);
    assert_eq!(def("d_no_default_nn"), ColumnDefault::None);
    assert_eq!(def("d_dt"), ColumnDefault::CurrentTimestamp);
    assert_eq!(def("d_ts"), ColumnDefault::CurrentTimestamp);
    assert_eq!(def("d_expr"), ColumnDefault::Expression("uuid()".into()));
    assert!(d
        .column("d_dt")
        .is_some_and(|c| c.on_update_current_timestamp));
    assert_eq!(
        d.column("d_comment").map(|c| c.comment.as_str()),
        Some("it's a \"quoted\"\nmulti-line comment")
    );
    assert_eq!(d.comment, "table comment with 'quotes' and\na newline");

    // Names as stored.
    assert!(ts
        .iter()
        .any(|t| t.name == "select" && t.column("order").is_some()));
    assert!(ts.iter().any(|t| t.name == "名前" && t.comment == "表"));
    let odd = table(ts, &all, "odd name's");
    assert_eq!(
        odd.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["col with space", "it's", "back`tick"]
    );

    // Unknown types stay unknown.
    let u = table(ts, &dbs.db("unknown"), "unknown_types");
    assert_eq!(
        u.column("u").map(|c| c.ty.clone()),
        Some(SourceType::Unknown("uuid".into()))
    );
    assert_eq!(
        u.column("ip6").map(|c| c.ty.clone()),
        Some(SourceType::Unknown("inet6".into()))
    );

    // Shard drift.
    let o2 = table(ts, &dbs.db("sh_db_1"), "orders_2");
    assert_eq!(
        o2.column("customer").map(|c| c.ty.clone()),
        Some(SourceType::Varchar(100))
    );
    assert!(o2.column("note").is_some_and(|c| c.nullable));
    let s2 = table(ts, &dbs.db("sh_db_2"), "orders_1");
    assert!(matches!(
        s2.column("qty").map(|c| &c.ty),
        Some(SourceType::Int {
            width: smt::schema::IntWidth::Big,
            ..
        })
    ));
    assert_eq!(
        s2.column("customer").and_then(|c| c.octet_length),
        Some(50),
        "latin1 database default"
    );
}

#[test]
fn query_count_does_not_grow_with_tables() {
    let mut one =
        String::from("CREATE DATABASE smtfx_q;\nCREATE TABLE smtfx_q.t0 (id INT PRIMARY KEY);\n");
    let a = mariadb::TempDbs::load_text("schema", &one);
    for i in 1..50 {
        one.push_str(&format!(
            "CREATE TABLE smtfx_q.t{i} (id INT PRIMARY KEY, v VARCHAR(10), UNIQUE KEY u (v));\n"
        ));
    }
    let b = mariadb::TempDbs::load_text("schema", &one);
    let qa = live(&a.prefix);
    let qb = live(&b.prefix);
    assert_eq!(qa.tables.len(), 1);
    assert_eq!(qb.tables.len(), 50);
    assert_eq!(qa.queries, qb.queries);
    assert_eq!(
        qa.queries, 7,
        "version, grants, schemata, tables, columns, statistics, checks"
    );
}

#[test]
fn wrong_password_is_a_source_error_without_the_password() {
    let mut cfg = mariadb::source_config();
    cfg.password = smt::config::Secret::new("definitely-wrong-pw-xyz");
    let err = introspect(&cfg, &|_| true).expect_err("must fail");
    let msg = format!("{err:#}");
    assert!(msg.to_lowercase().contains("access denied"), "{msg}");
    assert!(!msg.contains("definitely-wrong-pw-xyz"), "{msg}");
    assert_eq!(smt::error::exit_code_of(&err), 3);
}

#[test]
fn unreachable_port_is_a_clear_source_error() {
    let mut cfg = mariadb::source_config();
    cfg.host = "127.0.0.1".into();
    cfg.port = 1; // nothing listens on port 1
    let err = introspect(&cfg, &|_| true).expect_err("must fail");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("cannot reach the source database at 127.0.0.1:1"),
        "{msg}"
    );
    assert_eq!(smt::error::exit_code_of(&err), 3);
}
