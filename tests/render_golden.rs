//! Golden tests for the StarRocks DDL and Flink SQL renderers. `SMT_BLESS=1` rewrites goldens.

mod render_support;

use render_support::*;
use smt::plan::{Plan, RulePlan, TablePlan};
use smt::render::{flink_rule, starrocks_statements, starrocks_table, ServerIds};

fn one_rule_flink(t: TablePlan, rule: smt::config::RuleConfig) -> String {
    let rp = RulePlan::new(std::sync::Arc::new(rule.clone()), vec![t]);
    flink_rule(&rp, &source(), &mut ServerIds::default()).expect("render")
}

fn with_sr(mut r: smt::config::RuleConfig) -> smt::config::RuleConfig {
    starrocks_opts(&mut r);
    r
}

#[test]
fn golden_all_types_pk_table() {
    check_golden(
        "all_types.starrocks.sql",
        &(starrocks_table(&all_types()) + "\n"),
    );
    check_golden(
        "all_types.flink.sql",
        &one_rule_flink(all_types(), with_sr(rule("1"))),
    );
}

#[test]
fn golden_duplicate_key_table() {
    check_golden(
        "duplicate.starrocks.sql",
        &(starrocks_table(&duplicate()) + "\n"),
    );
    check_golden(
        "duplicate.flink.sql",
        &one_rule_flink(duplicate(), with_sr(rule("1"))),
    );
}

#[test]
fn golden_merged_shards() {
    check_golden("merged.starrocks.sql", &(starrocks_table(&merged()) + "\n"));
    check_golden(
        "merged.flink.sql",
        &one_rule_flink(merged(), with_sr(rule("shards"))),
    );
}

#[test]
fn golden_rule_with_options() {
    let mut t = all_types();
    t.rule = "opts".into();
    check_golden("options.flink.sql", &one_rule_flink(t, options_rule()));
}

#[test]
fn golden_result_dir() {
    let (plan, config) = full();
    let files = render_support::files(&plan, &config).expect("result files");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "starrocks-create.1.sql",
            "starrocks-create.shards.sql",
            "starrocks-create.opts.sql",
            "starrocks-create.odd.sql",
            "flink-create.1.sql",
            "flink-create.shards.sql",
            "flink-create.opts.sql",
            "flink-create.odd.sql",
            "flink-cdc-pipeline.1.yaml",
            "flink-cdc-pipeline.shards.yaml",
            "flink-cdc-pipeline.opts.yaml",
            "flink-cdc-pipeline.odd.yaml",
            "starrocks-create.all.sql",
            "flink-create.all.sql",
            "flink-cdc-pipeline.all.yaml",
        ]
    );
    for f in &files {
        check_golden(&format!("result/{}", f.name), &f.content);
    }
}

#[test]
fn starrocks_ddl_shape() {
    let sql = starrocks_table(&all_types());
    let lines: Vec<&str> = sql.lines().collect();
    assert_eq!(lines[0], "CREATE TABLE IF NOT EXISTS `shop`.`orders` (");
    assert_eq!(lines[1], "  `id` BIGINT NOT NULL COMMENT \"order id\",");
    assert!(sql.contains("  `c_int` INT NOT NULL DEFAULT \"0\",\n"));
    assert!(
        sql.contains("  `c_varchar` VARCHAR(400) NULL DEFAULT \"n/a\" COMMENT \"free text\",\n")
    );
    assert!(sql.contains("  `c_ts` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"));
    assert!(sql.contains("  `c_json` JSON NULL\n) ENGINE = OLAP\nPRIMARY KEY (`id`)\nCOMMENT \"all the orders\"\nDISTRIBUTED BY HASH(`id`) BUCKETS 1\nPROPERTIES (\n  \"replication_num\" = \"1\",\n  \"enable_persistent_index\" = \"true\"\n)"));
    assert!(!sql.ends_with(';'));

    let dup = starrocks_table(&duplicate());
    assert!(dup.contains("DUPLICATE KEY (`ts`, `host`)\nPARTITION BY RANGE(`ts`)"));
    assert!(
        dup.contains("\nDISTRIBUTED BY HASH(`ts`)\nPROPERTIES"),
        "BUCKETS omitted when None:\n{dup}"
    );
    assert!(
        dup.contains("`ts` DATETIME NULL"),
        "duplicate key columns keep their nullability"
    );
}

#[test]
fn pk_columns_are_not_null_even_if_plan_says_nullable() {
    let mut t = all_types();
    t.columns[0].nullable = true;
    assert!(starrocks_table(&t).contains("`id` BIGINT NOT NULL"));
}

#[test]
fn statements_are_ordered_and_deduplicated() {
    let mut other = duplicate();
    other.target_database = "aaa".into();
    let plan = Plan {
        rules: vec![
            RulePlan::new(
                std::sync::Arc::new(smt::config::RuleConfig::named("1")),
                vec![all_types(), duplicate()],
            ),
            RulePlan::new(
                std::sync::Arc::new(smt::config::RuleConfig::named("2")),
                vec![other],
            ),
        ],
        ..Plan::default()
    };
    let st = starrocks_statements(&plan);
    let ids: Vec<(String, Option<String>)> = st
        .iter()
        .map(|s| (s.database.clone(), s.table.clone()))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("aaa".into(), None),
            ("shop".into(), None),
            ("aaa".into(), Some("access_log".into())),
            ("shop".into(), Some("access_log".into())),
            ("shop".into(), Some("orders".into())),
        ]
    );
    assert_eq!(st[0].sql, "CREATE DATABASE IF NOT EXISTS `aaa`");
    assert!(st.iter().all(|s| !s.sql.trim_end().ends_with(';')));
}

#[test]
fn hostile_identifiers_render_safely() {
    let sql = starrocks_table(&hostile());
    assert!(sql.starts_with("CREATE TABLE IF NOT EXISTS `weird_db`.`tab``le 'x' \"y\" 表` (\n"));
    assert!(sql.contains(
        "  `select` BIGINT NOT NULL COMMENT \"key \\\"quoted\\\" \\\\ back\\nslash\",\n"
    ));
    assert!(sql.contains(
        "  `a``b 'c\" 名前` VARCHAR(40) NULL DEFAULT \"it's \\\"x\\\" \\\\n\" COMMENT \"line1\\nline2\\t\\\"q\\\"\"\n"
    ));
    assert!(sql.contains("COMMENT \"table \\\"comment\\\" \\\\ with\\nnewline\""));
    // No raw newline inside any literal: every line is a whole clause.
    assert_eq!(sql.lines().count(), 10, "{sql}");

    let flink = one_rule_flink(hostile(), with_sr(rule("odd")));
    assert!(flink.contains("`default_catalog`.`weird_db`.`tab``le 'x' \"y\" 表_src`"));
    assert!(
        flink.contains("'table-name' = 'tab`le ''x'' \"y\" 表'"),
        "{flink}"
    );
    assert!(
        flink.contains("'database-name' = 'src\\.db'"),
        "names are regex-escaped:\n{flink}"
    );
    assert!(flink.contains("'password' = 'pa''ss'"));
    assert!(flink.contains("SELECT `select`, `a``b 'c\" 名前`\nFROM"));
}

#[test]
fn flink_shape_and_options() {
    let f = one_rule_flink(all_types(), with_sr(rule("1")));
    assert!(f.contains("CREATE DATABASE IF NOT EXISTS `default_catalog`.`shop`;"));
    assert!(f.contains("  PRIMARY KEY (`id`) NOT ENFORCED\n) WITH (\n  'connector' = 'mysql-cdc',\n  'hostname' = '127.0.0.1',\n  'port' = '3306',\n  'username' = 'smt',\n  'password' = 'pa''ss',\n  'database-name' = 'shop',\n  'table-name' = 'orders',\n  'server-id' = '5400',\n  'server-time-zone' = 'UTC'\n);"), "{f}");
    assert!(f.contains("'connector' = 'starrocks',\n  'database-name' = 'shop',\n  'table-name' = 'orders',\n  'sink.properties.format' = 'json',\n  'sink.properties.strip_outer_array' = 'true',\n  'jdbc-url'"));
    assert_eq!(f.matches("EXECUTE STATEMENT SET\nBEGIN\n").count(), 1);
    assert!(f.trim_end().ends_with("END;"));
    assert!(!f.contains("SELECT *"));

    let o = one_rule_flink(all_types(), options_rule());
    assert!(
        o.contains("'hostname' = 'replica.internal'"),
        "user overrides ours in place"
    );
    assert!(!o.contains("'hostname' = '127.0.0.1'"));
    assert!(
        o.contains("'server-id' = '6000-6001'"),
        "user's server-id is the base:\n{o}"
    );
    assert_eq!(o.matches("'server-id'").count(), 1);
    assert!(o.contains("-- flink.starrocks.table-name = \"ignored\" is not used: smt sets table-name for each table"));
    assert_eq!(o.matches("'table-name' = 'orders'").count(), 2);
    assert!(!o.contains("'table-name' = 'ignored'"));
    let sink_opts = o.split("_sink").nth(1).expect("sink");
    let pos = |k: &str| sink_opts.find(k).expect(k);
    assert!(pos("'jdbc-url'") < pos("'load-url'") && pos("'load-url'") < pos("'sink.semantic'"));
}

#[test]
fn merged_shards_read_all_shards_with_metadata() {
    let f = one_rule_flink(merged(), with_sr(rule("shards")));
    assert_eq!(
        f.matches("_src` (").count(),
        1,
        "one source table for all shards"
    );
    assert!(f.contains("  `_src_db` STRING NOT NULL METADATA FROM 'database_name' VIRTUAL,"));
    assert!(f.contains("  `_src_table` STRING NOT NULL METADATA FROM 'table_name' VIRTUAL,"));
    // Three of the four (database, table) pairs: the source names exactly those (a look-behind
    // per pair), never edu_db_2.course_2, which the plan's regexes would also match.
    assert!(f.contains("'database-name' = '(edu_db_1|edu_db_2)'"), "{f}");
    assert!(f.contains("'table-name' = '(course_1(?<=edu_db_1\\.course_1)|course_2(?<=edu_db_1\\.course_2)|course_1(?<=edu_db_2\\.course_1))'"), "{f}");
    // Source PK: source-side key columns only; sink PK: the full target key.
    assert!(f.contains("  PRIMARY KEY (`id`) NOT ENFORCED\n) WITH (\n  'connector' = 'mysql-cdc'"));
    assert!(f.contains("  PRIMARY KEY (`_src_db`, `_src_table`, `id`) NOT ENFORCED\n) WITH (\n  'connector' = 'starrocks'"));
    assert!(
        f.contains(
            "SELECT CAST(`_src_db` AS VARCHAR(256)) AS `_src_db`, `_src_table`, `id`, `title`"
        ),
        "{f}"
    );
}

#[test]
fn server_ids_are_distinct_across_the_output() {
    let (plan, config) = full();
    let files = render_support::files(&plan, &config).expect("files");
    let all = &files
        .iter()
        .find(|f| f.name == "flink-create.all.sql")
        .expect("all")
        .content;
    let re = regex::Regex::new(r"'server-id' = '(\d+)(?:-(\d+))?'").expect("re");
    let mut ranges: Vec<(u32, u32)> = re
        .captures_iter(all)
        .map(|c| {
            let a: u32 = c[1].parse().expect("n");
            let b: u32 = c
                .get(2)
                .map(|m| m.as_str().parse().expect("n"))
                .unwrap_or(a);
            (a, b)
        })
        .collect();
    assert_eq!(ranges.len(), 5, "one per source table");
    ranges.sort();
    for w in ranges.windows(2) {
        assert!(w[0].1 < w[1].0, "overlapping server-id ranges {:?}", ranges);
    }
}

#[test]
fn all_files_are_concatenations() {
    let (plan, config) = full();
    let files = render_support::files(&plan, &config).expect("files");
    let get = |n: &str| files.iter().find(|f| f.name == n).expect(n).content.clone();
    for prefix in ["starrocks-create", "flink-create"] {
        let parts: Vec<String> = ["1", "shards", "opts", "odd"]
            .iter()
            .map(|r| get(&format!("{prefix}.{r}.sql")))
            .collect();
        assert_eq!(get(&format!("{prefix}.all.sql")), parts.join("\n"));
    }
    assert!(files
        .iter()
        .filter(|f| f.name.starts_with("flink"))
        .all(|f| f.secret));
    assert!(files
        .iter()
        .filter(|f| f.name.starts_with("starrocks"))
        .all(|f| !f.secret));
    // Same input, same bytes.
    assert_eq!(files, render_support::files(&plan, &config).expect("files"));
}

#[test]
fn no_password_means_not_secret() {
    let mut r = rule("1");
    starrocks_opts(&mut r); // password = ""
    let plan = Plan {
        rules: vec![RulePlan::new(
            std::sync::Arc::new(smt::config::RuleConfig::named("1")),
            vec![all_types()],
        )],
        ..Plan::default()
    };
    let files = render_support::files(&plan, &config(vec![r], "")).expect("files");
    assert!(files.iter().all(|f| !f.secret));
}

#[test]
fn rule_named_all_is_rejected() {
    let plan = Plan {
        rules: vec![RulePlan::new(
            std::sync::Arc::new(smt::config::RuleConfig::named("all")),
            vec![all_types()],
        )],
        ..Plan::default()
    };
    let err = render_support::files(&plan, &config(vec![rule("all")], "")).expect_err("must fail");
    assert!(err.to_string().contains("collide"), "{err}");
}

#[test]
fn tidb_source_uses_tidb_cdc() {
    let rp = RulePlan::new(
        std::sync::Arc::new(smt::config::RuleConfig::named("1")),
        vec![all_types()],
    );
    let mut src = source();
    src.kind = smt::config::SourceKind::Tidb;
    let mut ids = ServerIds::default();
    let f = flink_rule(&with_rule(rp, with_sr(rule("1"))), &src, &mut ids).expect("render");
    assert!(
        f.contains(
            "'connector' = 'tidb-cdc',\n  'database-name' = 'shop',\n  'table-name' = 'orders'\n)"
        ),
        "{f}"
    );
    assert!(!f.contains("'server-id'") && !f.contains("'hostname'"));
    assert!(f.contains("-- TiDB source: set flink.cdc.pd-addresses"));
    assert_eq!(ids.take(1).unwrap(), (5400, 5400), "no server ids used");
}

#[test]
fn sink_defaults_to_json_and_user_can_override() {
    let f = one_rule_flink(all_types(), with_sr(rule("1")));
    assert!(f.contains(
        "'sink.properties.format' = 'json',\n  'sink.properties.strip_outer_array' = 'true',"
    ));
    let mut r = with_sr(rule("1"));
    r.flink_starrocks
        .push(("sink.properties.format".into(), "csv".into()));
    let f = one_rule_flink(all_types(), r);
    assert!(f.contains("'sink.properties.format' = 'csv'"));
    assert_eq!(f.matches("'sink.properties.format'").count(), 1);
}

#[test]
fn merged_without_plan_regex_reads_every_source() {
    let mut t = merged();
    t.shard_regex = None;
    t.sources.push(smt::plan::SourceRef {
        database: "edu_db_2".into(),
        table: "course_2".into(),
    });
    let f = one_rule_flink(t, with_sr(rule("shards")));
    assert!(f.contains("'database-name' = '(edu_db_1|edu_db_2)'"), "{f}");
    assert!(f.contains("'table-name' = '(course_1|course_2)'"), "{f}");
    // every pair exists: the plan's own regexes are used as they are
    let mut t = merged();
    t.sources.push(smt::plan::SourceRef {
        database: "edu_db_2".into(),
        table: "course_2".into(),
    });
    let f = one_rule_flink(t, with_sr(rule("shards")));
    assert!(f.contains("'database-name' = 'edu_db_[0-9]+'"), "{f}");
    assert!(f.contains("'table-name' = 'course_[0-9]+'"), "{f}");
}

#[test]
fn source_side_type_differs_then_insert_casts() {
    let f = one_rule_flink(all_types(), with_sr(rule("1")));
    let src = f.split("_sink` (").next().expect("src part");
    assert!(
        src.contains("  `c_ts` TIMESTAMP_LTZ(0) NOT NULL,\n"),
        "{src}"
    );
    assert!(
        f.contains("`c_dt`, CAST(`c_ts` AS TIMESTAMP(0)) AS `c_ts`, `c_json`"),
        "{f}"
    );
    let sink = f.split("_sink` (").nth(1).expect("sink part");
    assert!(sink.contains("  `c_ts` TIMESTAMP(0) NOT NULL,\n"));
}

#[test]
fn empty_rule_gets_commented_files() {
    let plan = Plan {
        rules: vec![RulePlan::new(
            std::sync::Arc::new(smt::config::RuleConfig::named("7")),
            vec![],
        )],
        ..Plan::default()
    };
    let files = render_support::files(&plan, &config(vec![rule("7")], "")).expect("files");
    let get = |n: &str| files.iter().find(|f| f.name == n).expect(n).content.clone();
    assert_eq!(
        get("starrocks-create.7.sql"),
        "-- rule 7 matched no tables\n"
    );
    assert!(get("flink-create.7.sql").ends_with("-- this rule matched no tables\n"));
    assert!(!get("flink-create.7.sql").contains("EXECUTE"));
}
