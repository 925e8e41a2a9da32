//! `smt diff` and `smt apply --alter` through the binary, from a real MariaDB source into the
//! StarRocks emulator (in-process; it follows the FE's ALTER TABLE rules, see
//! emulator/src/schema_change.rs): every kind of ALTER listed, shown by a dry run, applied,
//! and then nothing left to do; a key change reported as a rebuild and never applied;
//! `--allow-drop`; a missing table; `--format json`; an FE that cannot be reached.

#[path = "common/mariadb.rs"]
mod mariadb;

use mariadb::Maria;
use mysql::prelude::Queryable;
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SR_PW: &str = "diff-sr-pw";

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        password: SR_PW.into(),
        alter_job_ms: 200,
        ..EmulatorConfig::default()
    })
    .expect("emulator starts")
}

/// A source database of the test's own on the shared MariaDB, dropped at the end.
struct SourceDb {
    maria: Maria,
    name: String,
}

impl SourceDb {
    fn new(area: &str) -> SourceDb {
        let maria = Maria::from_env();
        let name = format!("{}db", mariadb::unique_prefix(area));
        let db = SourceDb { maria, name };
        db.exec(&format!("CREATE DATABASE `{}`", db.name));
        db
    }

    fn exec(&self, sql: &str) {
        let mut c = self.maria.conn();
        self.maria.exec(&mut c, sql);
    }

    /// `sql` with `DB.` replaced by this database.
    fn run(&self, sql: &str) {
        self.exec(&sql.replace("DB.", &format!("`{}`.", self.name)));
    }
}

impl Drop for SourceDb {
    fn drop(&mut self) {
        if let Ok(mut c) = std::panic::catch_unwind(|| self.maria.conn()) {
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
        }
    }
}

/// A config reading `db` and writing to the emulator; `extra` goes into the rule.
fn config(dir: &Path, db: &SourceDb, emu: &Emulator, extra: &str) -> PathBuf {
    let p = dir.join("diff.ini");
    std::fs::write(
        &p,
        format!(
            "[db]\nhost = {}\nport = {}\nuser = {}\npassword = ${{SMT_MARIADB_PASSWORD}}\ntype = mariadb\n\n\
             [other]\nbe_num = 1\noutput_dir = {}\n\n\
             [table-rule.1]\ndatabase = ^{}$\ntable = ^\\w+$\n\
             flink.starrocks.jdbc-url = jdbc:mysql://{}\n\
             flink.starrocks.username = root\nflink.starrocks.password = ${{SR_PW}}\n{extra}",
            db.maria.host,
            db.maria.port,
            db.maria.user,
            dir.join("result").display(),
            db.name,
            emu.fe_query_addr(),
        ),
    )
    .unwrap();
    p
}

fn smt(args: &[&str], cfg: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(args)
        .arg("-c")
        .arg(cfg)
        .env("SMT_MARIADB_PASSWORD", Maria::from_env().password)
        .env("SR_PW", SR_PW)
        .env_remove("RUST_LOG")
        .output()
        .expect("run smt")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", show(o)))
}

fn sr_conn(emu: &Emulator) -> mysql::Conn {
    mysql::Conn::new(
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(emu.fe_query_addr().port())
            .user(Some("root"))
            .pass(Some(SR_PW)),
    )
    .expect("connect to the emulator")
}

#[test]
fn every_alter_kind_is_applied_and_a_second_run_is_a_no_op() {
    let src = SourceDb::new("diff");
    src.run(
        "CREATE TABLE DB.t (id INT NOT NULL COMMENT 'id', name VARCHAR(10) COMMENT 'who', \
         n INT NOT NULL DEFAULT 0, k2 SMALLINT NOT NULL DEFAULT 3, amt DECIMAL(10,2), \
         memo VARCHAR(20) COMMENT 'memo', extra INT, PRIMARY KEY (id)) DEFAULT CHARSET=utf8mb4",
    );
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &src, &emu, "");
    let o = smt(&["apply"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let o = smt(&["diff"], &cfg);
    assert_eq!(o.status.code(), Some(0), "just created: {}", show(&o));
    assert!(
        stdout(&o).contains(&format!("{}.t: identical", src.name)),
        "{}",
        show(&o)
    );
    let mut sr = sr_conn(&emu);
    sr.query_drop(format!(
        "INSERT INTO `{}`.`t` (id, name, n, k2, amt, memo, extra) VALUES (1, \"ann\", 5, 3, 1.25, \"m\", 9)",
        src.name
    ))
    .unwrap();

    // The source moves on: a wider VARCHAR with another comment, INT → BIGINT (DEFAULT kept),
    // NOT NULL → NULL, a DECIMAL with more digits on both sides, a key column's comment, a
    // value column's comment, a new column in the middle, a dropped one, the table comment;
    // and the rule gains a property.
    src.run(
        "ALTER TABLE DB.t MODIFY id INT NOT NULL COMMENT 'the key', \
         MODIFY name VARCHAR(40) COMMENT 'buyer', MODIFY n BIGINT NOT NULL DEFAULT 0, \
         MODIFY k2 SMALLINT NULL DEFAULT 3, MODIFY amt DECIMAL(14,3), \
         MODIFY memo VARCHAR(20) COMMENT 'new memo', \
         ADD COLUMN note VARCHAR(20) COMMENT 'a note' AFTER name, DROP COLUMN extra, \
         COMMENT = 'people'",
    );
    let cfg = config(
        dir.path(),
        &src,
        &emu,
        "properties.bloom_filter_columns = name\n",
    );
    let t = format!("`{}`.`t`", src.name);
    let want = [
        format!("ALTER TABLE {t} MODIFY COLUMN `name` VARCHAR(160) NULL COMMENT \"buyer\""),
        format!("ALTER TABLE {t} MODIFY COLUMN `n` BIGINT NOT NULL DEFAULT \"0\""),
        format!("ALTER TABLE {t} MODIFY COLUMN `k2` SMALLINT NULL DEFAULT \"3\""),
        format!("ALTER TABLE {t} MODIFY COLUMN `amt` DECIMAL(14,3) NULL"),
        format!("ALTER TABLE {t} MODIFY COLUMN `id` COMMENT \"the key\""),
        format!("ALTER TABLE {t} MODIFY COLUMN `memo` VARCHAR(80) NULL COMMENT \"new memo\""),
        format!(
            "ALTER TABLE {t} ADD COLUMN `note` VARCHAR(80) NULL COMMENT \"a note\" AFTER `name`"
        ),
        format!("ALTER TABLE {t} COMMENT = \"people\""),
        format!("ALTER TABLE {t} SET (\"bloom_filter_columns\" = \"name\")"),
    ];
    let drop = format!("ALTER TABLE {t} DROP COLUMN `extra`");

    let o = smt(&["diff"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    let listed: String = want.iter().map(|w| format!("  {w};\n")).collect();
    let text = stdout(&o);
    assert!(
        text.contains(&format!(
            "{}.t: differs\n{listed}  would drop with --allow-drop: {drop};\n",
            src.name
        )),
        "{}",
        show(&o)
    );
    assert!(
        text.contains("9 ALTER statement(s) (smt apply --alter runs them), 1 drop(s) withheld"),
        "{text}"
    );

    // A dry run shows them and changes nothing.
    let before = emu.table_ddl(&src.name, "t").unwrap();
    let o = smt(&["apply", "--alter", "--dry-run"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    for w in &want {
        assert!(
            stdout(&o).contains(&format!("would alter     {}.t:\n{w};\n", src.name)),
            "{w}\n{}",
            show(&o)
        );
    }
    assert_eq!(emu.table_ddl(&src.name, "t").unwrap(), before);

    // apply --alter runs them one by one (each job waited for), the drop withheld.
    let o = smt(&["apply", "--alter"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    for w in &want {
        assert!(
            stdout(&o).contains(&format!("altered         {}.t: {w}\n", src.name)),
            "{w}\n{}",
            show(&o)
        );
    }
    assert!(
        stdout(&o).contains(&format!("withheld        {}.t: {drop} (", src.name)),
        "{}",
        show(&o)
    );
    let ddl = emu.table_ddl(&src.name, "t").unwrap();
    for w in [
        "`id` int(11) NOT NULL COMMENT \"the key\"",
        "`name` varchar(160) NULL COMMENT \"buyer\"",
        "`note` varchar(80) NULL COMMENT \"a note\"",
        "`n` bigint(20) NOT NULL DEFAULT \"0\" COMMENT \"\"",
        "`k2` smallint(6) NULL DEFAULT \"3\"",
        "`amt` decimal(14, 3) NULL",
        "`memo` varchar(80) NULL COMMENT \"new memo\"",
        "`extra` int(11) NULL",
        "COMMENT \"people\"",
        "\"bloom_filter_columns\" = \"name\"",
    ] {
        assert!(ddl.contains(w), "{w}\n{ddl}");
    }
    assert_eq!(
        emu.columns(&src.name, "t").unwrap(),
        vec!["id", "name", "note", "n", "k2", "amt", "memo", "extra"]
    );
    assert_eq!(
        emu.rows(&src.name, "t").unwrap(),
        vec![vec![
            Some("1".into()),
            Some("ann".into()),
            None,
            Some("5".into()),
            Some("3".into()),
            Some("1.250".into()),
            Some("m".into()),
            Some("9".into())
        ]]
    );

    // Only the drop is left: diff still differs, --allow-drop lists it as a statement.
    let o = smt(&["diff"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("would drop with --allow-drop: {drop};")),
        "{}",
        show(&o)
    );
    let o = smt(&["diff", "--allow-drop"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("{}.t: differs\n  {drop};\n", src.name)),
        "{}",
        show(&o)
    );
    let o = smt(&["apply", "--alter", "--allow-drop"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("altered         {}.t: {drop}\n", src.name)),
        "{}",
        show(&o)
    );
    assert!(!emu
        .columns(&src.name, "t")
        .unwrap()
        .contains(&"extra".to_string()));

    // Nothing left: diff exits 0 and apply --alter runs nothing.
    let o = smt(&["diff"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("{}.t: identical\n", src.name)),
        "{}",
        show(&o)
    );
    let after = emu.table_ddl(&src.name, "t").unwrap();
    let o = smt(&["apply", "--alter", "--allow-drop"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(!stdout(&o).contains("altered "), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("exists          {}.t (identical)", src.name)),
        "{}",
        show(&o)
    );
    assert_eq!(emu.table_ddl(&src.name, "t").unwrap(), after);
}

#[test]
fn a_key_change_needs_a_rebuild_and_is_never_applied() {
    let src = SourceDb::new("diffkey");
    src.run("CREATE TABLE DB.r (id INT NOT NULL, k INT NOT NULL, v BIGINT, PRIMARY KEY (id))");
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &src, &emu, "");
    assert_eq!(smt(&["apply"], &cfg).status.code(), Some(0));
    src.run("ALTER TABLE DB.r DROP PRIMARY KEY, ADD PRIMARY KEY (id, k), MODIFY v INT");
    let before = emu.table_ddl(&src.name, "r").unwrap();

    let o = smt(&["diff"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    let text = stdout(&o);
    for want in [
        "  needs a rebuild: key columns: (id) in StarRocks, planned (id, k) (a table's key cannot be changed)\n",
        "  needs a rebuild: column v: type BIGINT in StarRocks, planned INT (StarRocks converts only to a wider type of the same kind)\n",
        "  needs a rebuild: distribution: HASH(id) in StarRocks, planned HASH(id, k)",
    ] {
        assert!(text.contains(want), "{want}\n{}", show(&o));
    }
    assert!(
        !text.contains("  ALTER TABLE"),
        "no statement for a rebuild: {text}"
    );
    assert!(
        text.contains("0 ALTER statement(s), 3 difference(s) need a rebuild"),
        "{text}"
    );

    let o = smt(&["apply", "--alter", "--allow-drop"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("exists, DIFFERS {}.r:", src.name)),
        "{}",
        show(&o)
    );
    assert!(
        stdout(&o).contains("key columns: (id) in StarRocks, planned (id, k)"),
        "{}",
        show(&o)
    );
    assert!(!stdout(&o).contains("altered "), "{}", show(&o));
    assert_eq!(
        emu.table_ddl(&src.name, "r").unwrap(),
        before,
        "nothing was altered"
    );
    assert_eq!(smt(&["diff"], &cfg).status.code(), Some(6), "still differs");
}

#[test]
fn a_missing_table_in_json_and_an_unreachable_fe() {
    let src = SourceDb::new("diffjson");
    src.run("CREATE TABLE DB.a (id INT PRIMARY KEY, v VARCHAR(5))");
    src.run("CREATE TABLE DB.b (id INT PRIMARY KEY)");
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &src, &emu, "");
    let o = smt(&["apply", "--only", r"\.a$"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));

    let o = smt(&["diff", "--format", "json"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    let r = json(&o);
    assert_eq!(r["exit_code"], 6);
    let tables = r["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), 2, "{r:#}");
    assert_eq!(tables[0]["table"], "a");
    assert_eq!(tables[0]["status"], "identical");
    assert_eq!(
        tables[0]["alter"]["statements"].as_array().unwrap().len(),
        0
    );
    assert_eq!(tables[1]["table"], "b");
    assert_eq!(tables[1]["status"], "missing");
    assert!(tables[1].get("alter").is_none(), "{r:#}");
    assert_eq!(r["summary"]["missing"], 1);
    assert_eq!(r["summary"]["identical"], 1);
    let o = smt(&["diff"], &cfg);
    assert!(
        stdout(&o).contains(&format!("{}.b: missing (smt apply creates it)\n", src.name)),
        "{}",
        show(&o)
    );

    // A difference in JSON: the change kinds and the statements.
    src.run("ALTER TABLE DB.a MODIFY v VARCHAR(9)");
    let o = smt(&["diff", "--format", "json", "--only", r"\.a$"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    let r = json(&o);
    assert_eq!(r["tables"][0]["status"], "differs");
    assert_eq!(r["tables"][0]["alter"]["changes"][0]["kind"], "widen");
    assert_eq!(
        r["tables"][0]["alter"]["statements"][0],
        format!(
            "ALTER TABLE `{}`.`a` MODIFY COLUMN `v` VARCHAR(36) NULL",
            src.name
        )
    );
    assert_eq!(r["summary"]["filtered_out"], 1);
    // After apply creates b and alters a, nothing differs.
    assert_eq!(smt(&["apply", "--alter"], &cfg).status.code(), Some(0));
    let o = smt(&["diff", "--format", "json"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(json(&o)["summary"]["identical"], 2);

    // An FE that is not there: exit 4 with a JSON error, the password never shown.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = smt(
        &[
            "diff",
            "--format",
            "json",
            "--fe",
            &format!("127.0.0.1:{port}"),
        ],
        &cfg,
    );
    assert_eq!(o.status.code(), Some(4), "{}", show(&o));
    let r = json(&o);
    assert_eq!(r["error"]["kind"], "target");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach the StarRocks FE"),
        "{r}"
    );
    assert!(!show(&o).contains(SR_PW), "{}", show(&o));
}

#[test]
fn a_failed_alter_is_exit_6_and_the_next_run_finishes_the_job() {
    let src = SourceDb::new("difffail");
    src.run("CREATE TABLE DB.f (id INT PRIMARY KEY, a VARCHAR(5), b VARCHAR(5)) DEFAULT CHARSET=utf8mb4");
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &src, &emu, "");
    assert_eq!(smt(&["apply"], &cfg).status.code(), Some(0));
    src.run("ALTER TABLE DB.f MODIFY a VARCHAR(6), MODIFY b VARCHAR(7)");
    let f = format!("`{}`.`f`", src.name);
    let (alter_a, alter_b) = (
        format!("ALTER TABLE {f} MODIFY COLUMN `a` VARCHAR(24) NULL"),
        format!("ALTER TABLE {f} MODIFY COLUMN `b` VARCHAR(28) NULL"),
    );

    // The first ALTER is refused: reported with the FE's message, the second not run.
    emu.faults().fail_next_ddl(1, 1064, "injected refusal");
    let o = smt(&["apply", "--alter"], &cfg);
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("FAILED          {}.f: injected refusal", src.name)),
        "{}",
        show(&o)
    );
    assert!(
        out.contains(&format!(
            "skipped         {}.f (not run: an ALTER of {}.f failed before it",
            src.name, src.name
        )),
        "{}",
        show(&o)
    );
    assert!(emu
        .table_ddl(&src.name, "f")
        .unwrap()
        .contains("`b` varchar(20) NULL"));

    // --continue-on-error runs the rest.
    emu.faults().fail_next_ddl(1, 1064, "injected refusal");
    let o = smt(
        &[
            "apply",
            "--alter",
            "--continue-on-error",
            "--format",
            "json",
        ],
        &cfg,
    );
    assert_eq!(o.status.code(), Some(6), "{}", show(&o));
    // apply prints its report, then (a failure) the error document: read the first.
    let r: serde_json::Value = serde_json::Deserializer::from_slice(&o.stdout)
        .into_iter()
        .next()
        .expect("a report")
        .unwrap_or_else(|e| panic!("{e}: {}", show(&o)));
    let alters: Vec<(String, String)> = r["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["sql"].as_str().unwrap().starts_with("ALTER"))
        .map(|s| {
            (
                s["sql"].as_str().unwrap().to_string(),
                s["outcome"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        alters,
        vec![
            (alter_a.clone(), "failed".to_string()),
            (alter_b.clone(), "altered".to_string())
        ]
    );
    assert_eq!(r["summary"]["failed"], 1);
    assert_eq!(r["summary"]["altered"], 1);

    // The next run finds only what is left.
    let o = smt(&["apply", "--alter"], &cfg);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("altered         {}.f: {alter_a}\n", src.name)),
        "{}",
        show(&o)
    );
    assert!(!stdout(&o).contains(&alter_b), "{}", show(&o));
    assert_eq!(smt(&["diff"], &cfg).status.code(), Some(0));
}
