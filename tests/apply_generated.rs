//! Generated DDL applied to the StarRocks emulator through the `smt` binary: every statement
//! `generate` produces must pass the emulator's analyzer (which enforces StarRocks' documented
//! CREATE TABLE rules), SHOW CREATE TABLE must read back as planned, and a second run is a no-op.

#[path = "common/mariadb.rs"]
mod mariadb;

use mariadb::Maria;
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::path::PathBuf;
use std::process::{Command, Output};

fn emulator(backends: u32) -> Emulator {
    Emulator::start(EmulatorConfig {
        password: "sr-pw".into(),
        backends,
        ..EmulatorConfig::default()
    })
    .unwrap()
}

fn smt(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_smt"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn example_config_applies_cleanly_and_twice_is_a_noop() {
    let emu = emulator(1);
    let fe = emu.fe_query_addr().to_string();
    let env = [("STARROCKS_PASSWORD", "sr-pw")];
    let args = [
        "apply",
        "-c",
        "config.ini.example",
        "--fe",
        &fe,
        "--format",
        "json",
    ];

    let first = smt(&args, &env);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let r = json(&first);
    assert_eq!(r["summary"]["failed"], 0, "{r}");
    assert!(r["summary"]["created"].as_u64().unwrap() >= 5, "{r}");
    let ddl = emu
        .table_ddl("edu_db__auto_shard", "course__auto_shard")
        .expect("merged table");
    assert!(ddl.contains("_smt_source_db"), "{ddl}");

    let second = smt(&args, &env);
    assert_eq!(second.status.code(), Some(0));
    let r2 = json(&second);
    assert_eq!(r2["summary"]["created"], 0, "{r2}");
    assert_eq!(r2["summary"]["failed"], 0, "{r2}");
}

#[test]
fn apply_from_a_result_file_and_wrong_password() {
    let emu = emulator(1);
    let fe = emu.fe_query_addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let g = smt(
        &[
            "generate",
            "-c",
            "config.ini.example",
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(g.status.success());
    let sql = out.join("starrocks-create.all.sql");
    let ok = smt(
        &[
            "apply",
            "-c",
            "config.ini.example",
            "--fe",
            &fe,
            "--sql",
            sql.to_str().unwrap(),
        ],
        &[("STARROCKS_PASSWORD", "sr-pw")],
    );
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(emu.table_ddl("demo_db", "all_types").is_some());

    let bad = smt(
        &[
            "apply",
            "-c",
            "config.ini.example",
            "--fe",
            &fe,
            "--sql",
            sql.to_str().unwrap(),
        ],
        &[("STARROCKS_PASSWORD", "nope-pw")],
    );
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(4), "{err}");
    assert!(!err.contains("nope-pw"), "{err}");
}

/// The whole MariaDB fixture (every type and key shape) goes through generate and apply: the
/// emulator's analyzer is a second, independent check of StarRocks' rules.
#[test]
fn every_fixture_table_is_accepted_by_the_emulator() {
    let dbs = mariadb::TempDbs::load("apply", "tests/fixtures/mariadb_all.sql");
    let emu = emulator(3);
    let e = Maria::from_env();
    let dir = tempfile::tempdir().unwrap();
    let cfg: PathBuf = dir.path().join("a.ini");
    std::fs::write(
        &cfg,
        format!(
            "[db]\nhost = {}\nport = {}\nuser = {}\npassword = ${{SMT_MARIADB_PASSWORD}}\n\n[other]\nbe_num = 3\n\n\
             [table-rule.1]\ndatabase = ^{}$\ntable = ^\\w+$\nflink.starrocks.jdbc-url = jdbc:mysql://{}\n\
             flink.starrocks.username = root\nflink.starrocks.password = sr-pw\n\n\
             [table-rule.2]\ndatabase = ^{}sh_db_\\d+$\ntable = ^orders_\\d+$\nflink.starrocks.jdbc-url = jdbc:mysql://{}\n\
             flink.starrocks.username = root\nflink.starrocks.password = sr-pw\n",
            e.host,
            e.port,
            e.user,
            dbs.db("all"),
            emu.fe_query_addr(),
            dbs.prefix,
            emu.fe_query_addr()
        ),
    )
    .unwrap();
    let o = smt(
        &[
            "apply",
            "-c",
            cfg.to_str().unwrap(),
            "--format",
            "json",
            "--continue-on-error",
        ],
        &[("SMT_MARIADB_PASSWORD", &e.password)],
    );
    let r = json(&o);
    assert_eq!(
        r["summary"]["failed"], 0,
        "emulator rejected generated DDL: {r:#}"
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(r["summary"]["created"].as_u64().unwrap() >= 20, "{r}");
    let merged = emu
        .table_ddl(
            &format!("{}sh_db__auto_shard", dbs.prefix),
            "orders__auto_shard",
        )
        .expect("merged shards table");
    assert!(merged.contains("PRIMARY KEY"), "{merged}");
}
