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
    // only the database's snapshot and log, no temp files (p_gone's files are gone)
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let hex: String = "p_db".bytes().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        names,
        vec![format!("db_{hex}.json"), format!("db_{hex}.log")],
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

// ---------------------------------------------------------------------------------------------
// Append-only log: crash safety and compaction

/// Record boundaries of a log file (`[len u32 LE][crc32 u32 LE][payload]`).
fn log_frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        if pos + 8 + len > bytes.len() {
            break;
        }
        out.push((pos, 8 + len));
        pos += 8 + len;
    }
    out
}

fn log_file(dir: &std::path::Path, db: &str) -> std::path::PathBuf {
    let hex: String = db.bytes().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("db_{hex}.log"))
}

fn dir_cfg(dir: &std::path::Path) -> EmulatorConfig {
    EmulatorConfig {
        password: PASSWORD.into(),
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

const DUP: &str =
    "CREATE TABLE `{db}`.`d` (`id` INT NULL, `v` VARCHAR(10) NULL) DUPLICATE KEY(`id`) \
    PROPERTIES (\"replication_num\" = \"1\")";

fn ids_of(emu: &starrocks_emulator::Emulator, db: &str, t: &str) -> Vec<String> {
    emu.rows(db, t)
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

#[test]
fn torn_or_corrupt_log_tail_is_dropped() {
    for corrupt in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let emu = start_with(dir_cfg(dir.path()));
        let mut c = conn(&emu);
        setup_db(&mut c, "tl", &[DUP]);
        assert_eq!(
            stream_load(&emu, "tl", "d", &[("label", "a")], b"1\ta\n2\ta\n")["Status"],
            "Success"
        );
        assert_eq!(
            stream_load(&emu, "tl", "d", &[("label", "b")], b"3\tb\n")["Status"],
            "Success"
        );
        drop(c);
        emu.stop();
        // Damage the last record (load b's commit): cut it short, or flip a byte of it.
        let path = log_file(dir.path(), "tl");
        let mut bytes = std::fs::read(&path).unwrap();
        let frames = log_frames(&bytes);
        let (start, len) = *frames.last().unwrap();
        assert_eq!(start + len, bytes.len());
        if corrupt {
            bytes[start + len - 3] ^= 0x20;
        } else {
            bytes.truncate(start + len / 2);
        }
        std::fs::write(&path, &bytes).unwrap();
        let emu = start_with(dir_cfg(dir.path()));
        assert_eq!(ids_of(&emu, "tl", "d"), ["1", "2"], "corrupt={corrupt}");
        assert_eq!(emu.label_state("tl", "a"), "VISIBLE");
        // b's begin record is intact, its commit record was dropped
        assert_eq!(emu.label_state("tl", "b"), "PREPARE");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len() as usize,
            start,
            "tail cut off"
        );
        // the log goes on after the good records
        assert_eq!(
            stream_load(&emu, "tl", "d", &[("label", "c")], b"4\tc\n")["Status"],
            "Success"
        );
        assert!(
            emu.persist_errors().is_empty(),
            "{:?}",
            emu.persist_errors()
        );
        emu.stop();
        let emu = start_with(dir_cfg(dir.path()));
        assert_eq!(ids_of(&emu, "tl", "d"), ["1", "2", "4"]);
        assert_eq!(emu.label_state("tl", "c"), "VISIBLE");
    }
}

#[test]
fn compaction_then_a_stale_log_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_with(dir_cfg(dir.path()));
    let mut c = conn(&emu);
    setup_db(&mut c, "cp", &[DUP]);
    assert_eq!(
        stream_load(&emu, "cp", "d", &[("label", "a")], b"1\ta\n")["Status"],
        "Success"
    );
    assert_eq!(
        stream_load(&emu, "cp", "d", &[("label", "b")], b"2\tb\n")["Status"],
        "Success"
    );
    drop(c);
    emu.stop();
    let stale = std::fs::read(log_file(dir.path(), "cp")).unwrap();
    assert!(
        log_frames(&stale).len() >= 4,
        "begin + commit records per load"
    );
    // Compact at every write: the snapshot then holds everything and the log is emptied.
    let emu = start_with(EmulatorConfig {
        log_compact_bytes: 0,
        ..dir_cfg(dir.path())
    });
    assert_eq!(
        stream_load(&emu, "cp", "d", &[("label", "c")], b"3\tc\n")["Status"],
        "Success"
    );
    emu.stop();
    assert_eq!(
        std::fs::metadata(log_file(dir.path(), "cp")).unwrap().len(),
        0
    );
    // A crash after the snapshot's rename but before the log was truncated leaves the old
    // records behind: they are already in the snapshot and are skipped.
    std::fs::write(log_file(dir.path(), "cp"), &stale).unwrap();
    let emu = start_with(dir_cfg(dir.path()));
    assert_eq!(ids_of(&emu, "cp", "d"), ["1", "2", "3"]);
    assert_eq!(emu.load_count("cp", "d"), 3);
    assert_eq!(emu.rows_committed("cp", "d"), Some(3));
    // and new records after them still count
    assert_eq!(
        stream_load(&emu, "cp", "d", &[("label", "e")], b"5\te\n")["Status"],
        "Success"
    );
    emu.stop();
    let emu = start_with(dir_cfg(dir.path()));
    assert_eq!(ids_of(&emu, "cp", "d"), ["1", "2", "3", "5"]);
}

#[test]
fn ddl_delete_and_jobs_are_logged() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = EmulatorConfig {
        alter_job_ms: 10,
        ..dir_cfg(dir.path())
    };
    let emu = start_with(cfg.clone());
    let mut c = conn(&emu);
    use mysql::prelude::Queryable;
    setup_db(
        &mut c,
        "dl",
        &[
            DUP,
            "CREATE TABLE `{db}`.`p` (`k` INT NOT NULL, `v` VARCHAR(10) NULL) PRIMARY KEY(`k`) \
             DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")",
            "CREATE TABLE `{db}`.`gone` (`k` INT NOT NULL) DUPLICATE KEY(`k`) \
             PROPERTIES (\"replication_num\" = \"1\")",
        ],
    );
    assert_eq!(
        stream_load(&emu, "dl", "d", &[("label", "a")], b"1\ta\n1\ta\n2\tb\n")["Status"],
        "Success"
    );
    assert_eq!(
        stream_load(&emu, "dl", "p", &[("label", "a2")], b"1\ta\n2\tb\n3\tc\n")["Status"],
        "Success"
    );
    c.query_drop("DELETE FROM dl.d WHERE id = 1").unwrap();
    c.query_drop("DELETE FROM dl.p WHERE v > 'a'").unwrap();
    let del_label = c.info_str().split('\'').nth(3).unwrap().to_string();
    c.query_drop("ALTER TABLE dl.d ADD COLUMN x INT NULL DEFAULT \"5\"")
        .unwrap();
    c.query_drop("ALTER TABLE dl.p MODIFY COLUMN v VARCHAR(20) NULL")
        .unwrap();
    c.query_drop("INSERT INTO dl.d VALUES (7, 'i', 8)").unwrap();
    c.query_drop("DROP TABLE dl.gone").unwrap();
    // the schema-change job finishes on the emulator clock
    emu.faults()
        .advance_clock(std::time::Duration::from_millis(50));
    let jobs = rows_text(&mut c, "SHOW ALTER TABLE COLUMN FROM dl");
    assert_eq!(jobs[0][9].as_deref(), Some("FINISHED"), "{jobs:?}");
    let before = (
        emu.rows("dl", "d"),
        emu.rows("dl", "p"),
        emu.table_ddl("dl", "d"),
        emu.table_ddl("dl", "p"),
        emu.columns("dl", "gone"),
        emu.label_state("dl", &del_label),
    );
    assert_eq!(
        before.0,
        Some(vec![
            vec![Some("2".into()), Some("b".into()), Some("5".into())],
            vec![Some("7".into()), Some("i".into()), Some("8".into())],
        ])
    );
    assert!(
        before.3.as_deref().unwrap().contains("varchar(20)"),
        "{:?}",
        before.3
    );
    assert!(
        emu.persist_errors().is_empty(),
        "{:?}",
        emu.persist_errors()
    );
    drop(c);
    emu.stop();
    let emu = start_with(cfg);
    let after = (
        emu.rows("dl", "d"),
        emu.rows("dl", "p"),
        emu.table_ddl("dl", "d"),
        emu.table_ddl("dl", "p"),
        emu.columns("dl", "gone"),
        emu.label_state("dl", &del_label),
    );
    assert_eq!(before, after);
    assert_eq!(after.5, "VISIBLE");
    let mut c = conn(&emu);
    let jobs = rows_text(&mut c, "SHOW ALTER TABLE COLUMN FROM dl");
    assert_eq!(jobs[0][9].as_deref(), Some("FINISHED"), "{jobs:?}");
}

/// Loads through HTTP that never panic (the emulator is killed under them).
mod kill {
    use super::*;
    use serde_json::Value;
    use std::net::SocketAddr;

    fn client() -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap()
    }

    fn addr_of(location: &str) -> Result<SocketAddr, String> {
        let u: reqwest::Url = location.parse().map_err(|e| format!("{e}"))?;
        format!("127.0.0.1:{}", u.port().unwrap_or(80))
            .parse()
            .map_err(|e| format!("{e}"))
    }

    /// PUT with the documented 307 handling: a body-less probe to the FE, the body to the BE.
    pub fn put(
        fe: SocketAddr,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Value, String> {
        let c = client();
        let mut probe = c
            .put(format!("http://{fe}{path}"))
            .header("Authorization", basic("root", PASSWORD))
            .header("Expect", "100-continue")
            .header("Content-Length", "0");
        for (k, v) in headers {
            probe = probe.header(*k, *v);
        }
        let r = probe.send().map_err(|e| e.to_string())?;
        if r.status().as_u16() != 307 {
            return r.json().map_err(|e| e.to_string());
        }
        let loc = r.headers()["location"]
            .to_str()
            .map_err(|e| e.to_string())?
            .to_string();
        let be = addr_of(&loc)?;
        let mut rq = c
            .put(format!("http://{be}{path}"))
            .header("Authorization", basic("root", PASSWORD))
            .header("Expect", "100-continue")
            .body(body.to_vec());
        for (k, v) in headers {
            rq = rq.header(*k, *v);
        }
        let r = rq.send().map_err(|e| e.to_string())?;
        r.json().map_err(|e| e.to_string())
    }

    /// A body-less transaction operation, following redirects.
    pub fn op(mut addr: SocketAddr, op: &str, headers: &[(&str, &str)]) -> Result<Value, String> {
        for _ in 0..4 {
            let mut rq = client()
                .post(format!("http://{addr}/api/transaction/{op}"))
                .header("Authorization", basic("root", PASSWORD));
            for (k, v) in headers {
                rq = rq.header(*k, *v);
            }
            let r = rq.send().map_err(|e| e.to_string())?;
            if r.status().as_u16() == 307 {
                addr = addr_of(
                    r.headers()["location"]
                        .to_str()
                        .map_err(|e| e.to_string())?,
                )?;
                continue;
            }
            return r.json().map_err(|e| e.to_string());
        }
        Err("too many redirects".into())
    }

    pub fn spawn(dir: &std::path::Path) -> (std::process::Child, SocketAddr, SocketAddr) {
        let exe = env!("CARGO_BIN_EXE_starrocks-emulator");
        let mut child = std::process::Command::new(exe)
            .args([
                "--fe-query-port",
                "0",
                "--fe-http-port",
                "0",
                "--be-http-port",
                "0",
            ])
            .args([
                "--password",
                PASSWORD,
                "--backends",
                "2",
                "--log-compact-bytes",
                "20000",
                // Every label stays answerable: a release build loads more than the default
                // 1,000 per database before the last restart, and the oldest would expire.
                "--label-keep-max-num",
                "1000000",
            ])
            .arg("--data-dir")
            .arg(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        let fe = v["fe_http"].as_str().unwrap().parse().unwrap();
        let q = v["fe_query"].as_str().unwrap().parse().unwrap();
        (child, fe, q)
    }
}

/// SIGKILL the emulator binary again and again while two clients load into it (one-shot Stream
/// Loads into a DUPLICATE table, transaction loads into a PRIMARY KEY table), with a log small
/// enough to be compacted often. After every restart with the same data directory: every
/// acknowledged load is there (all its rows, once), every row belongs to a load that was sent,
/// and a load is there with all its rows or not at all (a load whose answer the kill cut off may
/// be either way, and then its label state says which).
#[test]
fn kill_dash_nine_loses_no_acknowledged_commit() {
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    const ROWS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let sent: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let anomalies: Arc<Mutex<Vec<String>>> = Arc::default();
    let check = |fe: std::net::SocketAddr, acked: &BTreeSet<String>, sent: &BTreeSet<String>| {
        let mut present = BTreeSet::new();
        for table in ["d", "p"] {
            let v: Value =
                reqwest::blocking::get(format!("http://{fe}/_emulator/rows?db=kd&table={table}"))
                    .unwrap()
                    .json()
                    .unwrap();
            let mut by_label: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for r in v["rows"].as_array().unwrap() {
                by_label
                    .entry(r[1].as_str().unwrap().to_string())
                    .or_default()
                    .push(r[0].as_str().unwrap().to_string());
            }
            for (label, ids) in &by_label {
                assert!(
                    sent.contains(label),
                    "{table}: rows of a load never sent: {label}"
                );
                assert_eq!(
                    ids.len(),
                    ROWS,
                    "{table}: {label} is there partly or twice: {ids:?}"
                );
                present.insert(label.clone());
            }
        }
        for label in acked {
            assert!(present.contains(label), "acknowledged load {label} is lost");
        }
        for label in &present {
            let st = load_state_at(fe, "kd", label);
            assert_eq!(st, "VISIBLE", "{label} has rows but is {st}");
        }
        present.len()
    };
    let mut total_present = 0;
    for iter in 0..8u64 {
        let (mut child, fe, q) = kill::spawn(dir.path());
        if iter == 0 {
            let opts = mysql::OptsBuilder::new()
                .ip_or_hostname(Some("127.0.0.1"))
                .tcp_port(q.port())
                .user(Some("root"))
                .pass(Some(PASSWORD));
            let mut c = mysql::Conn::new(opts).unwrap();
            use mysql::prelude::Queryable;
            c.query_drop("CREATE DATABASE kd").unwrap();
            c.query_drop(
                "CREATE TABLE kd.d (`id` BIGINT NULL, `l` VARCHAR(40) NULL) DUPLICATE KEY(`id`) \
                 PROPERTIES (\"replication_num\" = \"1\")",
            )
            .unwrap();
            c.query_drop(
                "CREATE TABLE kd.p (`id` BIGINT NOT NULL, `l` VARCHAR(40) NULL) PRIMARY KEY(`id`) \
                 DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")",
            )
            .unwrap();
        }
        total_present = check(fe, &acked.lock().unwrap(), &sent.lock().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let mut loaders = Vec::new();
        for table in ["d", "p"] {
            let (acked, sent, anomalies, stop) =
                (acked.clone(), sent.clone(), anomalies.clone(), stop.clone());
            loaders.push(std::thread::spawn(move || {
                for k in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let label = format!("{table}_{iter}_{k}");
                    let base = (iter * 100_000 + k) * 10;
                    let body: String = (0..ROWS as u64)
                        .map(|i| format!("{}\t{label}\n", base + i))
                        .collect();
                    sent.lock().unwrap().insert(label.clone());
                    let h = [("label", label.as_str()), ("db", "kd"), ("table", table)];
                    let ok = if table == "d" {
                        match kill::put(fe, "/api/kd/d/_stream_load", &h, body.as_bytes()) {
                            Ok(v) if v["Status"] == "Success" => true,
                            Ok(v) => {
                                anomalies.lock().unwrap().push(format!("{label}: {v}"));
                                false
                            }
                            Err(_) => break,
                        }
                    } else {
                        let steps = kill::op(fe, "begin", &h)
                            .and_then(|_| {
                                kill::put(fe, "/api/transaction/load", &h, body.as_bytes())
                            })
                            .and_then(|_| kill::op(fe, "commit", &h));
                        match steps {
                            Ok(v) if v["Status"] == "OK" && v["NumberLoadedRows"] == ROWS => true,
                            Ok(v) => {
                                anomalies.lock().unwrap().push(format!("{label}: {v}"));
                                false
                            }
                            Err(_) => break,
                        }
                    };
                    if ok {
                        acked.lock().unwrap().insert(label);
                    }
                }
            }));
        }
        std::thread::sleep(std::time::Duration::from_millis(120 + (iter * 71) % 260));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        stop.store(true, Ordering::SeqCst);
        for l in loaders {
            l.join().unwrap();
        }
    }
    let (mut child, fe, _) = kill::spawn(dir.path());
    let present = check(fe, &acked.lock().unwrap(), &sent.lock().unwrap());
    let _ = child.kill();
    let _ = child.wait();
    let anomalies = anomalies.lock().unwrap();
    assert!(anomalies.is_empty(), "{anomalies:?}");
    let acked = acked.lock().unwrap().len();
    assert!(acked > 40, "only {acked} loads were acknowledged");
    assert!(present >= acked && present >= total_present);
    let sizes: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            format!(
                "{} {} B",
                e.file_name().to_string_lossy(),
                e.metadata().unwrap().len()
            )
        })
        .collect();
    println!(
        "kill -9 x8: {acked} acknowledged loads, {present} present, {} sent; {sizes:?}",
        sent.lock().unwrap().len()
    );
}

fn load_state_at(fe: std::net::SocketAddr, db: &str, label: &str) -> String {
    let v: serde_json::Value = http()
        .get(format!("http://{fe}/api/{db}/get_load_state?label={label}"))
        .header("Authorization", basic("root", PASSWORD))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["state"].as_str().unwrap_or("").to_string()
}
