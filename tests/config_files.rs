//! The config layer on real files: the shipped example, an SMT config copied as-is, load errors.

use smt::config::{self, SourceKind};
use std::path::{Path, PathBuf};

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn config_ini_example_parses_without_env() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.ini.example");
    let text = std::fs::read_to_string(&path).expect("config.ini.example exists at the repo root");
    let (cfg, warnings) = match config::parse_with_env(&text, &path, &no_env) {
        Ok(c) => c,
        Err(e) => panic!("config.ini.example does not parse:\n{e}"),
    };
    assert_eq!(
        cfg.source.kind,
        SourceKind::Dump(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-schema.sql"))
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(cfg.other.be_num, 1);
    assert_eq!(cfg.other.output_dir, PathBuf::from("./result"));
    let names: Vec<&str> = cfg.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["1", "2"]);
    let edu = &cfg.rules[0];
    assert!(edu.matches("edu_db_1", "course_2") && edu.matches("edu_db_2", "course_1"));
    assert!(!edu.matches("demo_db", "course_1") && !edu.matches("edu_db_1", "course_x"));
    assert_eq!(edu.target_table, None, "the example shows SMT naming");
    assert_eq!(
        edu.starrocks_option("password"),
        Some(""),
        "${{STARROCKS_PASSWORD:-}} defaults to empty"
    );
    assert_eq!(
        edu.flink_cdc,
        vec![("server-id".to_string(), "5400".to_string())]
    );
    let t = &edu.starrocks;
    assert_eq!(
        t.fe.first().map(|h| (h.host.as_str(), h.port)),
        Some(("127.0.0.1", 9030))
    );
    assert_eq!(
        t.http.first().map(|h| (h.host.as_str(), h.port)),
        Some(("127.0.0.1", 8030))
    );
    let demo = &cfg.rules[1];
    assert!(demo.matches("demo_db", "all_types"));
    let keys: Vec<&str> = demo
        .flink_starrocks
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "jdbc-url",
            "load-url",
            "username",
            "password",
            "sink.properties.format",
            "sink.properties.strip_outer_array",
            "sink.buffer-flush.interval-ms"
        ]
    );
}

/// SMT's shipped `conf/config_prod.conf` layout, as users have it (MySQL source).
const SMT_SHIPPED: &str = r#"[db]
host = 192.168.1.1
port = 3306
user = root
password =
# currently available types: `mysql`, `pgsql`, `oracle`, `hive`, `clickhouse`, `sqlserver`, `tidb`
type = mysql
# # only takes effect on `type == hive`.
# # Available values: kerberos, none, nosasl, kerberos_http, none_http, zk, ldap
# authentication = kerberos

[other]
# number of backends in StarRocks
be_num = 1
# `decimal_v3` is supported since StarRocks-1.18.1
use_decimal_v3 = true
# directory to save the converted DDL SQL
output_dir = ./result


# !!!Notice: If the source type is SQLServer,Oracle or PG, you should configure the `schema` in [table-rule] section!!!
[table-rule.1]
# pattern to match databases for setting properties
database = ^db$
# pattern to match tables for setting properties
table = ^table$
# pattern to match schemas for setting properties
schema = ^.*$

############################################
### flink sink configurations
### DO NOT set `connector`, `table-name`, `database-name`, they are auto-generated
############################################
flink.starrocks.jdbc-url=jdbc:mysql://192.168.1.1:9030
flink.starrocks.load-url= 192.168.1.1:8030
flink.starrocks.username=root
flink.starrocks.password=
flink.starrocks.sink.max-retries=10
flink.starrocks.sink.buffer-flush.interval-ms=15000
flink.starrocks.sink.properties.format=json
flink.starrocks.sink.properties.strip_outer_array=true

[table-rule.2]
# pattern to match databases for setting properties
database = ^database1.*$
# pattern to match tables for setting properties
table = ^.*$
schema = ^.*$

############################################
### flink sink configurations
### DO NOT set `connector`, `table-name`, `database-name`, they are auto-generated
############################################
flink.starrocks.jdbc-url=jdbc:mysql://192.168.1.1:9030
flink.starrocks.load-url= 192.168.1.1:8030
flink.starrocks.username=root
flink.starrocks.password=
flink.starrocks.sink.max-retries=10
flink.starrocks.sink.buffer-flush.interval-ms=15000
flink.starrocks.sink.properties.column_separator=\x01
flink.starrocks.sink.properties.row_delimiter=\x02
"#;

#[test]
fn smt_shipped_config_parses_unchanged() {
    let (cfg, warnings) =
        match config::parse_with_env(SMT_SHIPPED, Path::new("conf/config_prod.conf"), &no_env) {
            Ok(c) => c,
            Err(e) => panic!("SMT's config does not parse:\n{e}"),
        };
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(cfg.source.kind, SourceKind::Mysql);
    assert_eq!(
        (cfg.source.host.as_str(), cfg.source.port),
        ("192.168.1.1", 3306)
    );
    assert_eq!(cfg.source.password.expose(), "");
    assert!(cfg.other.use_decimal_v3);
    assert_eq!(cfg.rules.len(), 2);
    assert!(cfg.rules[0].matches("db", "table"));
    assert!(cfg.rules[1].matches("database1_x", "anything"));
    let r2 = &cfg.rules[1];
    assert_eq!(
        r2.starrocks_option("sink.properties.column_separator"),
        Some(r"\x01")
    );
    assert_eq!(
        r2.starrocks_option("sink.properties.row_delimiter"),
        Some(r"\x02")
    );
    assert_eq!(r2.starrocks_option("load-url"), Some("192.168.1.1:8030"));
    assert_eq!(r2.flink_starrocks.len(), 8);
    assert_eq!(r2.flink_starrocks[0].0, "jdbc-url");
    assert_eq!(r2.flink_starrocks[7].0, "sink.properties.row_delimiter");
}

#[test]
fn load_missing_file_is_a_config_error() {
    let err = config::load(Path::new("/nonexistent/dir/smt.ini")).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.starts_with("config file /nonexistent/dir/smt.ini: "),
        "{msg}"
    );
    assert!(msg.contains("-c/--config"), "{msg}");
    assert_eq!(smt::error::exit_code_of(&err), 2);
}

#[test]
fn load_invalid_file_lists_every_problem_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ini");
    std::fs::write(
        &path,
        "[db]\nhost = h\nuser = u\n[table-rule.1]\ndatabase = (\ntabel = t\n",
    )
    .unwrap();
    let err = config::load(&path).unwrap_err();
    assert_eq!(smt::error::exit_code_of(&err), 2);
    let msg = format!("{err:#}");
    let p = path.display();
    assert!(msg.contains("has 3 problems"), "{msg}");
    assert!(
        msg.contains(&format!(
            "{p}:5 [table-rule.1] database: invalid regex \"(\""
        )),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "{p}:6 [table-rule.1] tabel: unknown key (did you mean \"table\"?)"
        )),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("{p}:4 [table-rule.1] table: missing")),
        "{msg}"
    );
}

#[test]
fn load_reads_dump_path_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("c.ini");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "[db]\ndump_file = s.sql\n[other]\nbe_num = 2\n[table-rule.1]\ndatabase = .*\ntable = .*\n",
    )
    .unwrap();
    let cfg = config::load(&path).unwrap();
    assert_eq!(
        cfg.source.kind,
        SourceKind::Dump(dir.path().join("sub").join("s.sql"))
    );
    assert_eq!(cfg.other.be_num, 2);
}

#[test]
fn load_config_ini_example_from_disk() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.ini.example");
    let cfg = config::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(cfg.rules.len(), 2);
}
