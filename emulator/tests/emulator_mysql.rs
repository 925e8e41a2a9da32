//! FE over the MySQL protocol: auth, DDL accepted/rejected per the semantic rules, SHOW, SELECT.
mod common;
use common::*;
use mysql::prelude::Queryable;
use starrocks_emulator::EmulatorConfig;

const OK_PK: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL COMMENT \"pk\", `name` VARCHAR(100) NULL DEFAULT \"x\", `amt` DECIMAL(10, 2) NULL) \
    ENGINE = OLAP PRIMARY KEY (`id`) COMMENT \"table c\" DISTRIBUTED BY HASH(`id`) BUCKETS 4 ORDER BY (`id`) \
    PROPERTIES (\"replication_num\" = \"1\", \"enable_persistent_index\" = \"true\")";

#[test]
fn auth_ok_and_wrong_password() {
    let emu = start();
    let mut c = conn(&emu);
    assert_eq!(
        rows_text(&mut c, "SELECT 1"),
        vec![vec![Some("1".to_string())]]
    );
    let Err(e) = conn_pw(&emu, "wrong") else {
        panic!("wrong password must fail")
    };
    match e {
        mysql::Error::MySqlError(m) => {
            assert_eq!(m.code, 1045);
            assert!(
                m.message.starts_with("Access denied for user 'root'@"),
                "{}",
                m.message
            );
        }
        other => panic!("unexpected {other}"),
    }
    c.query_drop("SET NAMES utf8mb4").unwrap();
    assert!(c.ping().is_ok());
}

#[test]
fn empty_password_works() {
    let emu = start_with(EmulatorConfig::default());
    let a = emu.fe_query_addr();
    let opts = mysql::OptsBuilder::new()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(a.port())
        .user(Some("root"));
    let mut c = mysql::Conn::new(opts).expect("connect without password");
    assert_eq!(
        rows_text(&mut c, "SELECT current_version()"),
        vec![vec![Some("3.3.2 emulator".to_string())]]
    );
}

#[test]
fn versions_backends_and_vars() {
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        backends: 3,
        version: "3.4.1 abc".into(),
        ..Default::default()
    });
    let mut c = conn(&emu);
    assert_eq!(
        rows_text(&mut c, "SELECT version()")[0][0].as_deref(),
        Some("5.1.0")
    );
    assert_eq!(
        rows_text(&mut c, "SELECT @@version")[0][0].as_deref(),
        Some("5.1.0")
    );
    assert_eq!(
        rows_text(&mut c, "select current_version()")[0][0].as_deref(),
        Some("3.4.1 abc")
    );
    assert_eq!(
        rows_text(&mut c, "SELECT 'a' AS x, NULL, -2 FROM DUAL"),
        vec![vec![Some("a".into()), None, Some("-2".into())]]
    );
    let v: Vec<mysql::Row> = c.query("SELECT @@version_comment LIMIT 1").unwrap();
    let vc: String = v[0].get(0).unwrap();
    assert!(vc.contains("emulator"), "{vc}");
    let rows: Vec<mysql::Row> = c.query("SHOW BACKENDS").unwrap();
    assert_eq!(rows.len(), 3);
    let cols: Vec<String> = rows[0]
        .columns_ref()
        .iter()
        .map(|c| c.name_str().to_string())
        .collect();
    assert_eq!(&cols[..3], &["BackendId", "IP", "HeartbeatPort"]);
    let alive: String = rows[0].get("Alive").unwrap();
    assert_eq!(alive, "true");
    let http_port: String = rows[0].get("HttpPort").unwrap();
    assert_eq!(http_port, emu.be_http_addr().port().to_string());
    let (code, msg) = err_of(&mut c, "SELECT @@no_such_var");
    assert_eq!(code, 1193, "{msg}");
}

#[test]
fn database_lifecycle_and_use() {
    let emu = start();
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE it_db1").unwrap();
    c.query_drop("CREATE DATABASE IF NOT EXISTS it_db1")
        .unwrap();
    c.query_drop("CREATE SCHEMA `it_db2`").unwrap();
    let (code, msg) = err_of(&mut c, "CREATE DATABASE it_db1");
    assert_eq!(code, 1007, "{msg}");
    let dbs: Vec<String> = c.query("SHOW DATABASES").unwrap();
    assert!(
        dbs.contains(&"it_db1".to_string()) && dbs.contains(&"it_db2".to_string()),
        "{dbs:?}"
    );
    c.query_drop("USE it_db1").unwrap();
    c.query_drop(
        "CREATE TABLE t1 (id INT) DUPLICATE KEY(id) PROPERTIES (\"replication_num\" = \"1\")",
    )
    .unwrap();
    let t: Vec<String> = c.query("SHOW TABLES").unwrap();
    assert_eq!(t, vec!["t1"]);
    let t: Vec<String> = c.query("SHOW TABLES FROM it_db2").unwrap();
    assert!(t.is_empty());
    let (code, _) = err_of(&mut c, "USE nope");
    assert_eq!(code, 1049);
    c.select_db("it_db2").expect("COM_INIT_DB");
    c.query_drop("DROP DATABASE it_db2").unwrap();
    c.query_drop("DROP DATABASE IF EXISTS it_db2").unwrap();
    let (code, _) = err_of(&mut c, "DROP DATABASE it_db2");
    assert_eq!(code, 1008);
    c.query_drop("DROP TABLE it_db1.t1").unwrap();
    c.query_drop("DROP TABLE IF EXISTS it_db1.t1").unwrap();
    let (code, _) = err_of(&mut c, "DROP TABLE it_db1.t1");
    assert_eq!(code, 1051);
    let (code, msg) = err_of(&mut c, "CREATE TABLE t9 (id INT)");
    assert_eq!(code, 1046, "no database selected: {msg}");
}

#[test]
fn create_table_accepted_and_show_create_round_trip() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_rt", &[OK_PK]);
    c.query_drop(
        OK_PK
            .replace("{db}", "it_rt")
            .replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"),
    )
    .unwrap();
    let (code, msg) = err_of(&mut c, &OK_PK.replace("{db}", "it_rt"));
    assert_eq!(code, 1050, "{msg}");
    let rows = rows_text(&mut c, "SHOW CREATE TABLE it_rt.t");
    let ddl = rows[0][1].clone().unwrap();
    assert!(
        ddl.contains("`id` bigint(20) NOT NULL COMMENT \"pk\""),
        "{ddl}"
    );
    assert!(ddl.contains("PRIMARY KEY(`id`)"), "{ddl}");
    assert!(ddl.contains("DISTRIBUTED BY HASH(`id`) BUCKETS 4"), "{ddl}");
    assert!(ddl.contains("\"replication_num\" = \"1\""), "{ddl}");
    assert_eq!(emu.table_ddl("it_rt", "t").unwrap(), ddl);
    // Round trip: the rendered DDL creates an identical table.
    c.query_drop("CREATE DATABASE it_rt2").unwrap();
    c.query_drop("USE it_rt2").unwrap();
    c.query_drop(&ddl).unwrap();
    assert_eq!(emu.table_ddl("it_rt2", "t").unwrap(), ddl);
    // Various accepted shapes.
    let ok = [
        "CREATE TABLE it_rt.d1 (`a``b` INT(11), v STRING, j JSON, b VARBINARY(10), dt DATETIME DEFAULT CURRENT_TIMESTAMP, ar ARRAY<INT>) DUPLICATE KEY(`a``b`) DISTRIBUTED BY RANDOM PROPERTIES ('replication_num' = '1')",
        "CREATE TABLE it_rt.d2 (k DATE NOT NULL, v INT SUM NULL) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) PROPERTIES (\"replication_num\" = \"1\")",
        "CREATE TABLE it_rt.d3 (k VARCHAR(20) NOT NULL, v CHAR(10) CHARSET utf8) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES (\"replication_num\" = \"1\")",
        "CREATE TABLE it_rt.d4 (k BIGINT, dt DATE NOT NULL, v DOUBLE) PRIMARY KEY(k, dt) PARTITION BY RANGE(dt) (PARTITION p1 VALUES LESS THAN (\"2024-01-01\")) DISTRIBUTED BY HASH(k) PROPERTIES (\"replication_num\" = \"1\")",
        "CREATE TABLE it_rt.d5 (k LARGEINT NOT NULL, v DECIMAL(38, 38)) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) PROPERTIES (\"replication_num\" = \"1\");",
        "CREATE TABLE it_rt.d6 (k INT, v VARCHAR(1048576), INDEX idx_v (v) USING BITMAP COMMENT 'i') DUPLICATE KEY(k) PROPERTIES (\"replication_num\" = \"1\")",
    ];
    for q in ok {
        c.query_drop(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    // PK column unspecified nullability becomes NOT NULL
    let ddl = emu.table_ddl("it_rt", "d5").unwrap();
    assert!(ddl.contains("`k` largeint(40) NOT NULL"), "{ddl}");
    // A column name with a backtick round-trips.
    let ddl = emu.table_ddl("it_rt", "d1").unwrap();
    assert!(ddl.contains("`a``b` int(11)"), "{ddl}");
}

/// Every rejection rule of the brief, with the message we expect.
#[test]
fn create_table_rejections() {
    let emu = start();
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE it_rej").unwrap();
    c.query_drop("USE it_rej").unwrap();
    let p = "PROPERTIES (\"replication_num\" = \"1\")";
    let cases: Vec<(String, &str)> = vec![
        // clause order → syntax errors
        (format!("CREATE TABLE t (id INT) DISTRIBUTED BY HASH(id) PRIMARY KEY(id) {p}"), "Getting syntax error at line 1, column "),
        (format!("CREATE TABLE t (id INT) PRIMARY KEY(id) ORDER BY (id) DISTRIBUTED BY HASH(id) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) {p} COMMENT \"late\""), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT NOT NULL, v INT DEFAULT \"0\" NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT NOT NULL, PRIMARY KEY (id)) DISTRIBUTED BY HASH(id) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT NOT NULL) PRIMARY KEY(id) COMMENT = \"x\" DISTRIBUTED BY HASH(id) {p}"), "Getting syntax error"),
        // types
        (format!("CREATE TABLE t (id INT, d DATETIME(6)) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT UNSIGNED) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, e ENUM('a')) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, e SET('a')) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, e BLOB) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, e TEXT) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, e MEDIUMTEXT) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, e TIMESTAMP) {p}"), "Getting syntax error"),
        (format!("CREATE TABLE t (id INT, v VARCHAR(0)) {p}"), "Varchar size must be between 1 and 1048576"),
        (format!("CREATE TABLE t (id INT, v VARCHAR(1048577)) {p}"), "Varchar size must be between 1 and 1048576"),
        (format!("CREATE TABLE t (id INT, v CHAR(256)) {p}"), "Char size must be between 1 and 255"),
        (format!("CREATE TABLE t (id INT, v CHAR(0)) {p}"), "Char size must be between 1 and 255"),
        (format!("CREATE TABLE t (id INT, v DECIMAL(39, 2)) {p}"), "DECIMAL's precision should range from 1 to 38"),
        (format!("CREATE TABLE t (id INT, v DECIMAL(0)) {p}"), "DECIMAL's precision should range from 1 to 38"),
        (format!("CREATE TABLE t (id INT, v DECIMAL(5, 6)) {p}"), "should be less than or equal to precision"),
        // keys
        (format!("CREATE TABLE t (v INT, id INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) {p}"), "Key columns should be a ordered prefix of the schema"),
        (format!("CREATE TABLE t (a INT, b INT) PRIMARY KEY(b, a) DISTRIBUTED BY HASH(a) {p}"), "Key columns should be a ordered prefix of the schema"),
        (format!("CREATE TABLE t (a INT) PRIMARY KEY(zz) DISTRIBUTED BY HASH(a) {p}"), "Key column[zz] doesn't exist"),
        (format!("CREATE TABLE t (f FLOAT, v INT) DUPLICATE KEY(f) {p}"), "Invalid data type of key column 'f'"),
        (format!("CREATE TABLE t (f DOUBLE NOT NULL) PRIMARY KEY(f) DISTRIBUTED BY HASH(f) {p}"), "Invalid data type of primary key column 'f'"),
        (format!("CREATE TABLE t (f DECIMAL(10,2) NOT NULL) PRIMARY KEY(f) DISTRIBUTED BY HASH(f) {p}"), "Invalid data type of primary key column 'f'"),
        (format!("CREATE TABLE t (f CHAR(10) NOT NULL) PRIMARY KEY(f) DISTRIBUTED BY HASH(f) {p}"), "Invalid data type of primary key column 'f'"),
        (format!("CREATE TABLE t (f JSON) DUPLICATE KEY(f) {p}"), "Invalid data type of key column 'f'"),
        (format!("CREATE TABLE t (id INT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) {p}"), "primary key column[id] cannot be nullable"),
        (format!("CREATE TABLE t (id INT, v INT) AGGREGATE KEY(id) DISTRIBUTED BY HASH(id) {p}"), "Aggregate table must specify aggregate type for value column 'v'"),
        (format!("CREATE TABLE t (id INT, v INT SUM) DUPLICATE KEY(id) {p}"), "should not specify aggregate type SUM"),
        // columns
        (format!("CREATE TABLE t (id INT, id BIGINT) {p}"), "Duplicate column name 'id'"),
        (format!("CREATE TABLE t (id INT, ID BIGINT) {p}"), "Duplicate column name 'ID'"),
        (format!("CREATE TABLE t (id INT, `__op` INT) {p}"), "Column name [__op] is a system reserved name"),
        (format!("CREATE TABLE t (id INT, `__row` INT) {p}"), "Column name [__row] is a system reserved name"),
        (format!("CREATE TABLE t (id INT, `a=b` INT) {p}"), "Incorrect column name 'a=b'"),
        (format!("CREATE TABLE t (id INT, v INT DEFAULT \"abc\") {p}"), "Invalid default value for 'v'"),
        (format!("CREATE TABLE t (id INT, v TINYINT DEFAULT \"300\") {p}"), "Invalid default value for 'v'"),
        (format!("CREATE TABLE t (id INT, v VARCHAR(2) DEFAULT \"abc\") {p}"), "Invalid default value for 'v'"),
        (format!("CREATE TABLE t (id INT, v DATE DEFAULT CURRENT_TIMESTAMP) {p}"), "CURRENT_TIMESTAMP is only supported for DATETIME"),
        (format!("CREATE TABLE t (id INT, v INT NOT NULL DEFAULT NULL) {p}"), "Invalid default value for 'v'"),
        (format!("CREATE TABLE t (id INT, v VARCHAR(10) CHARSET latin1) {p}"), "Unknown charset name: latin1"),
        // distribution
        (format!("CREATE TABLE t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(nope) {p}"), "Distribution column(nope) doesn't exist"),
        (format!("CREATE TABLE t (id INT NOT NULL, v INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(v) {p}"), "Distribution column[v] is not key column"),
        (format!("CREATE TABLE t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 0 {p}"), "Number of hash distribution should be greater than zero"),
        (format!("CREATE TABLE t (id INT NOT NULL) PRIMARY KEY(id) DISTRIBUTED BY RANDOM {p}"), "Random distribution type is not supported for PRIMARY KEY table"),
        (format!("CREATE TABLE t (id INT NOT NULL) PRIMARY KEY(id) {p}"), "should contain distribution desc"),
        (format!("CREATE TABLE t (id INT NOT NULL, d DATE NOT NULL) PRIMARY KEY(id) PARTITION BY RANGE(d) () DISTRIBUTED BY HASH(id) {p}"), "must be a key column: d"),
        (format!("CREATE TABLE t (id INT) DUPLICATE KEY(id) ORDER BY (zz) {p}"), "Unknown column 'zz' in order by clause"),
        // properties
        ("CREATE TABLE t (id INT) PROPERTIES (\"replication_num\" = 1)".to_string(), "Getting syntax error"),
        ("CREATE TABLE t (id INT) PROPERTIES (replication_num = \"1\")".to_string(), "Getting syntax error"),
        ("CREATE TABLE t (id INT) PROPERTIES (\"replication_num\" = \"2\")".to_string(), "Table replication num should be less than or equal to the number of available BE nodes"),
        ("CREATE TABLE t (id INT)".to_string(), "Table replication num should be less than or equal to the number of available BE nodes"),
        ("CREATE TABLE t (id INT) PROPERTIES (\"replication_num\" = \"1\", \"bogus\" = \"x\")".to_string(), "Unknown properties: {bogus=x}"),
        ("CREATE TABLE t (id INT) ENGINE = MYSQL PROPERTIES (\"replication_num\" = \"1\")".to_string(), "Unknown engine name"),
    ];
    for (q, want) in &cases {
        let (code, msg) = err_of(&mut c, q);
        assert!(msg.contains(want), "for {q}\n  got: {msg}\n  want: {want}");
        assert_eq!(code, 1064, "{q}: {msg}");
    }
    // nothing was created
    let t: Vec<String> = c.query("SHOW TABLES").unwrap();
    assert!(t.is_empty(), "{t:?}");
    // names
    let (_, msg) = err_of(&mut c, "CREATE DATABASE `1abc`");
    assert!(msg.contains("Incorrect database name '1abc'"), "{msg}");
    let (_, msg) = err_of(&mut c, "CREATE DATABASE `a b`");
    assert!(msg.contains("Incorrect database name"), "{msg}");
    // unknown statements are never a silent OK
    for q in [
        "INSERT INTO t SELECT 1",
        "SHOW PROCESSLIST",
        "DELETE FROM t USING u WHERE t.id = u.id",
        "UPDATE t SET a = 1",
        "CREATE VIEW v AS SELECT 1",
        "SELECT * FROM t WHERE id BETWEEN 1 AND 2",
        "SELECT * FROM t WHERE (id, k) > (1, 2)",
        "SELECT a, COUNT(*) FROM t GROUP BY a",
    ] {
        let (code, msg) = err_of(&mut c, q);
        assert_eq!(code, 1064);
        assert!(
            msg.contains("not supported by the StarRocks emulator"),
            "{q}: {msg}"
        );
    }
}

#[test]
fn syntax_error_position() {
    let emu = start();
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE it_pos").unwrap();
    let (_, msg) = err_of(&mut c, "CREATE TABLE it_pos.t (id INT UNSIGNED)");
    assert!(msg.starts_with("Getting syntax error at line 1, column 30. Detail message: Unexpected input 'UNSIGNED'"), "{msg}");
}

#[test]
fn alter_truncate_and_select() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_alt", &[OK_PK]);
    let r = stream_load(
        &emu,
        "it_alt",
        "t",
        &[("label", "l1"), ("column_separator", ",")],
        b"2,b,1.5\n1,a,\\N\n3,c,2\n",
    );
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM it_alt.t"),
        vec![vec![Some("3".into())]]
    );
    assert_eq!(
        rows_text(&mut c, "SELECT * FROM it_alt.t"),
        vec![
            vec![Some("1".into()), Some("a".into()), None],
            vec![Some("2".into()), Some("b".into()), Some("1.50".into())],
            vec![Some("3".into()), Some("c".into()), Some("2.00".into())],
        ]
    );
    assert_eq!(
        rows_text(
            &mut c,
            "SELECT id, name FROM it_alt.t ORDER BY name DESC LIMIT 2"
        ),
        vec![
            vec![Some("3".into()), Some("c".into())],
            vec![Some("2".into()), Some("b".into())]
        ]
    );
    c.query_drop("ALTER TABLE it_alt.t ADD COLUMN flag BOOLEAN NULL DEFAULT \"1\"")
        .unwrap();
    // A MODIFY restates the column's DEFAULT (StarRocks: "Can not change default value").
    let (_, msg) = err_of(
        &mut c,
        "ALTER TABLE it_alt.t MODIFY COLUMN name VARCHAR(200) NULL",
    );
    assert_eq!(msg, "Can not change default value");
    c.query_drop("ALTER TABLE it_alt.t MODIFY COLUMN name VARCHAR(200) NULL DEFAULT \"x\"")
        .unwrap();
    // MODIFY COLUMN is a schema-change job (ADD/DROP of a value column is fast schema
    // evolution on 3.3): a second ALTER is refused while it runs.
    let (_, msg) = err_of(&mut c, "ALTER TABLE it_alt.t DROP COLUMN amt");
    assert!(
        msg.starts_with("A schema change operation is in progress on the table \"t\""),
        "{msg}"
    );
    let jobs = rows_text(&mut c, "SHOW ALTER TABLE COLUMN FROM it_alt");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0][1].as_deref(), Some("t"));
    assert_eq!(jobs[0][3].as_deref(), Some("NULL"));
    assert_eq!(jobs[0][9].as_deref(), Some("RUNNING"));
    emu.faults()
        .advance_clock(std::time::Duration::from_millis(1000));
    let jobs = rows_text(&mut c, "SHOW ALTER TABLE COLUMN FROM it_alt");
    assert_eq!(jobs[0][9].as_deref(), Some("FINISHED"));
    c.query_drop("ALTER TABLE it_alt.t DROP COLUMN amt")
        .unwrap();
    assert_eq!(
        emu.columns("it_alt", "t").unwrap(),
        vec!["id", "name", "flag"]
    );
    assert_eq!(
        emu.rows("it_alt", "t").unwrap()[0],
        vec![Some("1".into()), Some("a".into()), Some("1".into())]
    );
    let (_, msg) = err_of(&mut c, "ALTER TABLE it_alt.t DROP COLUMN id");
    assert!(msg.contains("Can not drop key column id"), "{msg}");
    let (_, msg) = err_of(&mut c, "ALTER TABLE it_alt.t ADD COLUMN flag INT");
    assert!(msg.contains("Duplicate column name 'flag'"), "{msg}");
    let (_, msg) = err_of(
        &mut c,
        "ALTER TABLE it_alt.t MODIFY COLUMN flag BOOLEAN NULL",
    );
    assert_eq!(msg, "Can not change default value");
    c.query_drop("ALTER TABLE it_alt.t ADD COLUMN word VARCHAR(10) NULL")
        .unwrap();
    c.query_drop("INSERT INTO it_alt.t (id, name, word) VALUES (9, \"i\", \"nine\")")
        .unwrap();
    let (_, msg) = err_of(&mut c, "ALTER TABLE it_alt.t MODIFY COLUMN word INT NULL");
    assert!(msg.contains("does not convert"), "{msg}");
    let ddl = emu.table_ddl("it_alt", "t").unwrap();
    assert!(ddl.contains("`name` varchar(200) NULL"), "{ddl}");
    c.query_drop("TRUNCATE TABLE it_alt.t").unwrap();
    assert_eq!(
        rows_text(&mut c, "SELECT COUNT(*) FROM it_alt.t"),
        vec![vec![Some("0".into())]]
    );
    let (code, _) = err_of(&mut c, "SELECT * FROM it_alt.nope");
    assert_eq!(code, 1146);
}

#[test]
fn mariadb_cli_client_works() {
    let emu = start();
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE it_cli").unwrap();
    let port = emu.fe_query_addr().port().to_string();
    let out = std::process::Command::new("mariadb")
        .args([
            "-h127.0.0.1",
            "-P",
            &port,
            "-uroot",
            &format!("-p{PASSWORD}"),
            "--skip-ssl",
            "-e",
            "SHOW DATABASES; SELECT current_version()",
        ])
        .output()
        .expect("mariadb CLI is installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("it_cli"), "{stdout}");
    assert!(stdout.contains("3.3.2 emulator"), "{stdout}");
    let out = std::process::Command::new("mariadb")
        .args([
            "-h127.0.0.1",
            "-P",
            &port,
            "-uroot",
            "-pwrong",
            "--skip-ssl",
            "-e",
            "SELECT 1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Access denied"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ddl_fault_fails_next_ddl_only() {
    let emu = start();
    let mut c = conn(&emu);
    emu.faults().fail_next_ddl(1, 1064, "injected ddl failure");
    let (_, msg) = err_of(&mut c, "CREATE DATABASE it_fault_ddl");
    assert_eq!(msg, "injected ddl failure");
    c.query_drop("CREATE DATABASE it_fault_ddl").unwrap();
    assert!(emu.database_names().contains(&"it_fault_ddl".to_string()));
}

#[test]
fn insert_values_describe_and_like() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_ins", &[OK_PK]);
    c.query_drop("INSERT INTO it_ins.t (id, name, amt) VALUES (2, 'b', 1.5), (1, NULL, -3)")
        .unwrap();
    c.query_drop("INSERT INTO it_ins.t (id) VALUES (3)")
        .unwrap();
    assert_eq!(
        emu.rows("it_ins", "t").unwrap(),
        vec![
            vec![Some("1".into()), None, Some("-3.00".into())],
            vec![Some("2".into()), Some("b".into()), Some("1.50".into())],
            vec![Some("3".into()), Some("x".into()), None],
        ]
    );
    let (_, msg) = err_of(&mut c, "INSERT INTO it_ins.t (id, amt) VALUES (4, 'abc')");
    assert!(msg.contains("column 'amt'"), "{msg}");
    let (_, msg) = err_of(&mut c, "INSERT INTO it_ins.t (name) VALUES ('z')");
    assert!(msg.contains("column 'id' is NOT NULL"), "{msg}");
    assert_eq!(emu.rows("it_ins", "t").unwrap().len(), 3);
    assert_eq!(
        emu.load_count("it_ins", "t"),
        0,
        "INSERT is not a Stream Load"
    );
    let d = rows_text(&mut c, "DESC it_ins.t");
    assert_eq!(
        d[0],
        vec![
            Some("id".into()),
            Some("bigint(20)".into()),
            Some("NO".into()),
            Some("true".into()),
            None,
            Some("".into())
        ]
    );
    assert_eq!(d[1][4].as_deref(), Some("x"));
    assert_eq!(
        rows_text(&mut c, "SHOW COLUMNS FROM t FROM it_ins").len(),
        3
    );
    c.query_drop("CREATE DATABASE it_ins_other").unwrap();
    let dbs: Vec<String> = c.query("SHOW DATABASES LIKE 'it_ins%'").unwrap();
    assert_eq!(dbs, vec!["it_ins", "it_ins_other"]);
    let t: Vec<String> = c.query("SHOW TABLES FROM it_ins LIKE 't'").unwrap();
    assert_eq!(t, vec!["t"]);
    let t: Vec<String> = c.query("SHOW TABLES FROM it_ins LIKE 'x_'").unwrap();
    assert!(t.is_empty());
}

#[test]
fn connect_with_default_database() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_conn_db", &[OK_PK]);
    let a = emu.fe_query_addr();
    let opts = |db: &str| {
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(a.port())
            .user(Some("root"))
            .pass(Some(PASSWORD))
            .db_name(Some(db))
    };
    let mut c2 = mysql::Conn::new(opts("it_conn_db")).expect("connect with a db");
    assert_eq!(
        rows_text(&mut c2, "SELECT COUNT(*) FROM t"),
        vec![vec![Some("0".into())]]
    );
    assert_eq!(
        rows_text(&mut c2, "SELECT DATABASE()"),
        vec![vec![Some("it_conn_db".into())]]
    );
    let Err(mysql::Error::MySqlError(e)) = mysql::Conn::new(opts("it_no_such_db")) else {
        panic!("unknown db must fail")
    };
    assert_eq!(e.code, 1049);
}
