//! `smt generate` end to end against the real MariaDB fixture: every generated CREATE TABLE is
//! checked against StarRocks' semantic rules (tests/common/sr_rules.rs), and the SQL is asserted
//! on, not just the files' existence.

#[path = "common/mariadb.rs"]
mod mariadb;
#[path = "common/sr_rules.rs"]
mod sr_rules;

use mariadb::Maria;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn config(dir: &Path, rules: &str, password: &str) -> PathBuf {
    let e = Maria::from_env();
    let p = dir.join("gen.ini");
    std::fs::write(
        &p,
        format!(
            "[db]\nhost = {}\nport = {}\nuser = {}\npassword = {password}\ntype = mariadb\n\n\
             [other]\nbe_num = 3\noutput_dir = {}\n\n{rules}",
            e.host,
            e.port,
            e.user,
            dir.join("result").display()
        ),
    )
    .unwrap();
    p
}

fn generate(cfg: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["generate", "--format", "json", "-c"])
        .arg(cfg)
        .output()
        .unwrap()
}

/// Statements of a result file (they are joined with ";\n\n").
fn statements(text: &str) -> Vec<String> {
    text.split(";\n\n")
        .map(|s| s.trim().trim_end_matches(';').to_string())
        .filter(|s| !s.is_empty() && !s.starts_with("--"))
        .collect()
}

fn create_table<'a>(stmts: &'a [String], qualified: &str) -> &'a str {
    stmts
        .iter()
        .find(|s| s.starts_with(&format!("CREATE TABLE IF NOT EXISTS {qualified} (")))
        .unwrap_or_else(|| {
            panic!(
                "no CREATE TABLE for {qualified} in:\n{}",
                stmts.join("\n\n")
            )
        })
}

#[test]
fn fixture_generates_valid_lossless_ddl() {
    let dbs = mariadb::TempDbs::load("gen", "tests/fixtures/mariadb_all.sql");
    let dir = tempfile::tempdir().unwrap();
    let all = dbs.db("all");
    let rules = format!(
        "[table-rule.main]\ndatabase = ^{all}$\n# every table whose name StarRocks can hold\ntable = ^\\w+$\n\n\
         [table-rule.shards]\ndatabase = ^{}sh_db_\\d+$\ntable = ^orders_\\d+$\n",
        dbs.prefix
    );
    let o = generate(&config(dir.path(), &rules, &Maria::from_env().password));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // A fixed number of information_schema queries, whatever the table count.
    assert_eq!(summary["source"]["queries"], 7, "{summary}");

    let sr = std::fs::read_to_string(dir.path().join("result/starrocks-create.all.sql")).unwrap();
    let stmts = statements(&sr);
    let mut tables = 0;
    for s in &stmts {
        if s.starts_with("CREATE TABLE") {
            sr_rules::assert_create_table_ok(s, 3, (3, 3));
            tables += 1;
        }
    }
    assert!(tables >= 20, "only {tables} tables generated");

    let q = |t: &str| format!("`{all}`.`{t}`");
    // Lossless types.
    let at = create_table(&stmts, &q("all_types"));
    assert!(at.contains("LARGEINT"), "BIGINT UNSIGNED → LARGEINT: {at}");
    assert!(
        at.contains(" JSON "),
        "MariaDB json_valid LONGTEXT → JSON: {at}"
    );
    assert!(
        !at.contains("UNSIGNED") && !at.contains("DATETIME("),
        "{at}"
    );
    // Key shapes.
    let fk = create_table(&stmts, &q("k_fk_only"));
    assert!(
        fk.contains("DUPLICATE KEY"),
        "a foreign key is not a unique key: {fk}"
    );
    let un = create_table(&stmts, &q("k_unique_not_null"));
    assert!(
        un.contains("PRIMARY KEY"),
        "unique NOT NULL → PRIMARY KEY: {un}"
    );
    let unn = create_table(&stmts, &q("k_unique_nullable"));
    // uk_nullable (a, b) has a nullable column; uk_a (a) is NOT NULL and becomes the key.
    assert!(
        unn.contains("PRIMARY KEY (`a`)\n"),
        "unique key with a nullable column skipped: {unn}"
    );
    let fl = create_table(&stmts, &q("k_float_pk"));
    assert!(
        fl.contains("DUPLICATE KEY"),
        "FLOAT key cannot be a StarRocks PK: {fl}"
    );
    let dec = create_table(&stmts, &q("k_decimal_pk"));
    assert!(
        dec.contains("`d` VARCHAR(22) NOT NULL"),
        "DECIMAL(20,4) key → VARCHAR(22): {dec}"
    );
    let bin = create_table(&stmts, &q("k_binary_pk"));
    assert!(
        bin.contains("`b` VARCHAR(32) NOT NULL"),
        "BINARY(16) key → hex VARCHAR(32): {bin}"
    );
    let ch = create_table(&stmts, &q("k_char_pk"));
    assert!(
        ch.contains("`c` VARCHAR(32) NOT NULL"),
        "CHAR(8) utf8mb4 key → VARCHAR(32): {ch}"
    );
    let comp = create_table(&stmts, &q("k_composite_pk"));
    assert!(
        comp.contains("PRIMARY KEY (`b`, `a`)"),
        "key order kept: {comp}"
    );
    // Reserved words and unicode are quoted.
    create_table(&stmts, &q("select"));
    create_table(&stmts, &q("名前"));

    // Shards merged into one target with origin columns in the key; drift reported.
    let merged_db = format!("{}sh_db__auto_shard", dbs.prefix);
    let m = create_table(&stmts, &format!("`{merged_db}`.`orders__auto_shard`"));
    assert!(
        m.contains("PRIMARY KEY (`id`, `_smt_source_db`, `_smt_source_table`)"),
        "{m}"
    );
    assert!(m.contains("`qty` BIGINT"), "INT vs BIGINT widened: {m}");
    assert!(
        m.contains("`note` VARCHAR"),
        "column of one shard kept: {m}"
    );
    let drift: Vec<&serde_json::Value> = summary["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "shard_drift")
        .collect();
    for col in ["qty", "customer", "note"] {
        assert!(
            drift
                .iter()
                .any(|n| n["column"] == col || n["message"].as_str().unwrap_or("").contains(col)),
            "drift of {col} not reported: {drift:?}"
        );
    }
    // The Flink file reads all shards with one source and fills the origin columns.
    let fl = std::fs::read_to_string(dir.path().join("result/flink-create.shards.sql")).unwrap();
    assert_eq!(fl.matches("'connector' = 'mysql-cdc'").count(), 1, "{fl}");
    assert!(fl.contains("METADATA FROM 'database_name'"), "{fl}");
    assert!(fl.contains("EXECUTE STATEMENT SET"), "{fl}");
    // The Flink files hold the source password: 0600.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("result/flink-create.all.sql"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_name_starrocks_cannot_hold_is_an_error_naming_it() {
    let dbs = mariadb::TempDbs::load("genbad", "tests/fixtures/mariadb_all.sql");
    let dir = tempfile::tempdir().unwrap();
    let rules = format!(
        "[table-rule.1]\ndatabase = ^{}$\ntable = ^odd\n",
        dbs.db("all")
    );
    let o = generate(&config(dir.path(), &rules, &Maria::from_env().password));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("back`tick") && err.contains("backtick"),
        "{err}"
    );
}

#[test]
fn an_unsupported_type_names_db_table_column() {
    let dbs = mariadb::TempDbs::load("genunk", "tests/fixtures/mariadb_all.sql");
    let dir = tempfile::tempdir().unwrap();
    let unk = dbs.db("unknown");
    let rules = format!("[table-rule.1]\ndatabase = ^{unk}$\ntable = .*\n");
    let o = generate(&config(dir.path(), &rules, &Maria::from_env().password));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(err.contains(&format!("{unk}.unknown_types.u")), "{err}");
    assert!(err.to_lowercase().contains("uuid"), "{err}");
}

#[test]
fn wrong_password_exits_3_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = generate(&config(
        dir.path(),
        "[table-rule.1]\ndatabase = .*\ntable = .*\n",
        "Wr0ng-Pa55",
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.to_lowercase().contains("access denied"), "{err}");
    assert!(!err.contains("Wr0ng-Pa55"), "{err}");
}
