//! Persistence: stop and restart with the same data directory.
mod common;
use common::*;
use starrocks_emulator::EmulatorConfig;

#[test]
fn state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EmulatorConfig {
        password: PASSWORD.into(),
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let emu = start_with(cfg.clone());
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "p_db",
        &[
            "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(10) NULL) PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")",
            "CREATE TABLE `{db}`.`d` (`id` INT) DUPLICATE KEY(`id`) PROPERTIES (\"replication_num\" = \"1\")",
        ],
    );
    c.query_drop_helper("CREATE DATABASE p_gone");
    c.query_drop_helper("DROP DATABASE p_gone");
    assert_eq!(
        stream_load(&emu, "p_db", "t", &[("label", "a")], b"2\tb\n1\ta\n")["Status"],
        "Success"
    );
    assert_eq!(
        stream_load(&emu, "p_db", "d", &[("label", "b")], b"3\n1\n")["Status"],
        "Success"
    );
    // a PREPARED transaction survives and can be committed after the restart
    txn_op(&emu, "begin", "tx", "p_db", "t", &[]);
    txn_load(&emu, "tx", "p_db", "t", &[], b"9\tz\n");
    assert_eq!(
        txn_op(&emu, "prepare", "tx", "p_db", "t", &[])["Status"],
        "OK"
    );
    let ddl = emu.table_ddl("p_db", "t").unwrap();
    assert!(
        emu.persist_errors().is_empty(),
        "{:?}",
        emu.persist_errors()
    );
    drop(c);
    emu.stop();

    let emu = start_with(cfg);
    assert_eq!(emu.database_names(), vec!["p_db".to_string()]);
    assert_eq!(emu.table_ddl("p_db", "t").unwrap(), ddl);
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        emu.rows("p_db", "t").unwrap(),
        vec![vec![s("1"), s("a")], vec![s("2"), s("b")]]
    );
    assert_eq!(
        emu.rows("p_db", "d").unwrap(),
        vec![vec![s("3")], vec![s("1")]]
    );
    assert_eq!(load_state(&emu, "p_db", "a"), "VISIBLE");
    assert_eq!(load_state(&emu, "p_db", "tx"), "PREPARED");
    let v = stream_load(&emu, "p_db", "t", &[("label", "a")], b"5\te\n");
    assert_eq!(v["Status"], "Label Already Exists", "labels persist");
    assert_eq!(
        txn_op(&emu, "commit", "tx", "p_db", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(emu.rows("p_db", "t").unwrap().len(), 3);
    // txn ids keep increasing across restarts
    let v = stream_load(&emu, "p_db", "t", &[("label", "c")], b"6\tf\n");
    assert!(v["TxnId"].as_u64().unwrap() > 1003, "{v}");
    let mut c = conn(&emu);
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM p_db.t"),
        vec![vec![s("4")]]
    );
    // only the database file and no temp files are left
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("db_") && names[0].ends_with(".json"),
        "{names:?}"
    );
}

trait QueryDropHelper {
    fn query_drop_helper(&mut self, q: &str);
}
impl QueryDropHelper for mysql::Conn {
    fn query_drop_helper(&mut self, q: &str) {
        use mysql::prelude::Queryable;
        self.query_drop(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

#[test]
fn binary_prints_addresses_and_serves() {
    let exe = env!("CARGO_BIN_EXE_starrocks-emulator");
    let mut child = std::process::Command::new(exe)
        .args([
            "--fe-query-port",
            "0",
            "--fe-http-port",
            "0",
            "--be-http-port",
            "0",
            "--password",
            "pw",
            "--backends",
            "2",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let q: std::net::SocketAddr = v["fe_query"].as_str().unwrap().parse().unwrap();
    assert!(v["fe_http"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(v["be_http"].as_str().unwrap().starts_with("127.0.0.1:"));
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(q.port())
        .user(Some("root"))
        .pass(Some("pw"));
    let mut c = mysql::Conn::new(opts).unwrap();
    use mysql::prelude::Queryable;
    let rows: Vec<mysql::Row> = c.query("SHOW BACKENDS").unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(rows.len(), 2);
}

#[test]
fn stop_cuts_connections_and_frees_ports_for_a_restart() {
    use mysql::prelude::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    });
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE p_ports").unwrap();
    let (q, f, b) = (emu.fe_query_addr(), emu.fe_http_addr(), emu.be_http_addr());
    emu.stop();
    assert!(
        c.query_drop("SELECT 1").is_err(),
        "open connections are cut by stop()"
    );
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        data_dir: Some(dir.path().to_path_buf()),
        fe_query_port: q.port(),
        fe_http_port: f.port(),
        be_http_port: b.port(),
        ..Default::default()
    });
    assert_eq!(emu.fe_query_addr(), q);
    let mut c = conn(&emu);
    let dbs: Vec<String> = c.query("SHOW DATABASES LIKE 'p_ports'").unwrap();
    assert_eq!(dbs, vec!["p_ports"]);
}
