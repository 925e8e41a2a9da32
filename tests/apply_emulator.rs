//! `apply` against the StarRocks emulator (a test fixture following the documented FE
//! behaviour; not a real StarRocks).

use smt::apply::{self, ApplyOptions, Outcome};
use smt::config::Secret;
use smt::error::exit_code_of;
use smt::plan::{ColumnOrigin, Encoding, Model, Plan, RulePlan, SrType, TablePlan, TargetColumn};
use smt::render::DdlStatement;
use smt::schema::SourceType;
use smt::starrocks::fe::FeClient;
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::time::Duration;

const PW: &str = "apply-pw";

fn start() -> Emulator {
    Emulator::start(EmulatorConfig {
        password: PW.into(),
        ..Default::default()
    })
    .expect("emulator starts")
}

fn fe(emu: &Emulator) -> FeClient {
    FeClient::connect(
        "127.0.0.1",
        emu.fe_query_addr().port(),
        "root",
        &Secret::new(PW),
        Duration::from_secs(10),
    )
    .expect("connect FE")
}

/// What `smt generate` would write for two tables in `db` (plus a third in `db`_other).
fn ddl(db: &str) -> String {
    format!(
        "-- generated\n\
         CREATE DATABASE IF NOT EXISTS `{db}`;\n\n\
         CREATE TABLE IF NOT EXISTS `{db}`.`orders` (\n\
           `id` BIGINT NOT NULL COMMENT \"order id; primary\",\n\
           `customer` VARCHAR(765) NULL COMMENT 'who''s buying',\n\
           `amount` DECIMAL(12, 2) NULL DEFAULT \"0\",\n\
           `created` DATETIME NULL,\n\
           `flag` BOOLEAN NULL,\n\
           `doc` JSON NULL\n\
         ) ENGINE=OLAP\n\
         PRIMARY KEY(`id`)\n\
         COMMENT \"orders\"\n\
         DISTRIBUTED BY HASH(`id`)\n\
         PROPERTIES (\"replication_num\" = \"1\");\n\n\
         CREATE TABLE IF NOT EXISTS `{db}`.`events` (\n\
           `ts` DATETIME NOT NULL,\n\
           `kind` VARCHAR(40) NULL,\n\
           `n` INT NULL\n\
         ) ENGINE=OLAP\n\
         DUPLICATE KEY(`ts`)\n\
         DISTRIBUTED BY HASH(`ts`)\n\
         PROPERTIES (\"replication_num\" = \"1\");\n\n\
         CREATE DATABASE IF NOT EXISTS `{db}_other`;\n\
         CREATE TABLE IF NOT EXISTS `{db}_other`.`misc` (`k` INT NOT NULL) DUPLICATE KEY(`k`) \
         PROPERTIES (\"replication_num\" = \"1\");\n"
    )
}

fn statements(db: &str) -> Vec<DdlStatement> {
    apply::statements_from_sql(&ddl(db)).expect("split")
}

fn outcomes(r: &apply::ApplyReport) -> Vec<(String, Outcome)> {
    r.statements
        .iter()
        .map(|s| (s.object(), s.outcome.clone()))
        .collect()
}

fn identical() -> Outcome {
    Outcome::AlreadyExisted {
        identical: true,
        differences: vec![],
    }
}

#[test]
fn creates_then_second_run_reports_everything_identical() {
    let emu = start();
    let st = statements("ap_twice");
    assert_eq!(st.len(), 5);
    let mut c = fe(&emu);
    let r1 = apply::run(&st, None, &mut c, &ApplyOptions::default());
    assert_eq!(
        outcomes(&r1),
        vec![
            ("ap_twice".to_string(), Outcome::Created),
            ("ap_twice.orders".to_string(), Outcome::Created),
            ("ap_twice.events".to_string(), Outcome::Created),
            ("ap_twice_other".to_string(), Outcome::Created),
            ("ap_twice_other.misc".to_string(), Outcome::Created),
        ],
        "{}",
        r1.to_text()
    );
    assert_eq!(r1.summary.created, 5);
    assert_eq!(r1.exit_code(), 0);
    assert!(r1.failure().is_none());
    assert_eq!(
        emu.columns("ap_twice", "orders").expect("orders"),
        vec!["id", "customer", "amount", "created", "flag", "doc"]
    );

    let r2 = apply::run(&st, None, &mut c, &ApplyOptions::default());
    assert!(
        r2.statements.iter().all(|s| s.outcome == identical()),
        "{}",
        r2.to_text()
    );
    assert_eq!(r2.summary.already_existed_identical, 5);
    assert_eq!(r2.exit_code(), 0);
    let text = r2.to_text();
    assert!(
        text.contains("exists          ap_twice.orders (identical)"),
        "{text}"
    );
}

#[test]
fn a_table_changed_in_starrocks_is_reported_as_differing() {
    let emu = start();
    let st = statements("ap_diff");
    let mut c = fe(&emu);
    apply::run(&st, None, &mut c, &ApplyOptions::default());
    c.exec("ALTER TABLE `ap_diff`.`events` ADD COLUMN `extra` VARCHAR(10) NULL")
        .expect("alter");
    let r = apply::run(&st, None, &mut c, &ApplyOptions::default());
    let ev = r
        .statements
        .iter()
        .find(|s| s.object() == "ap_diff.events")
        .expect("events");
    match &ev.outcome {
        Outcome::AlreadyExisted {
            identical: false,
            differences,
        } => assert_eq!(
            differences,
            &vec!["column extra: in StarRocks (VARCHAR(10)) but not planned".to_string()]
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.summary.already_existed_different, 1);
    assert_eq!(r.summary.already_existed_identical, 4);
    // Differences are reported, not failures; nothing was altered back.
    assert_eq!(r.exit_code(), 0);
    assert!(r.to_text().contains("exists, DIFFERS ap_diff.events:"));
    assert_eq!(emu.columns("ap_diff", "events").expect("cols").len(), 4);
}

#[test]
fn compares_against_the_plan_when_given() {
    let emu = start();
    let st = statements("ap_plan");
    let mut c = fe(&emu);
    apply::run(&st, None, &mut c, &ApplyOptions::default());
    let col = |name: &str, ty: SrType, nullable: bool| TargetColumn {
        name: name.into(),
        sr_type: ty,
        flink_type: String::new(),
        flink_source_type: String::new(),
        nullable,
        default: None,
        comment: String::new(),
        origin: ColumnOrigin::Source {
            name: name.into(),
            ty: SourceType::Json,
        },
        encoding: Encoding::Plain,
    };
    let events = TablePlan {
        rule: "1".into(),
        rule_config: Default::default(),
        source_tables: vec![],
        target_database: "ap_plan".into(),
        target_table: "events".into(),
        sources: vec![],
        shard_regex: None,
        // The plan says `n` is a BIGINT now: a difference against what exists.
        columns: vec![
            col("ts", SrType::DateTime, false),
            col("kind", SrType::Varchar(40), true),
            col("n", SrType::BigInt, true),
        ],
        model: Model::Duplicate,
        key: vec!["ts".into()],
        distributed_by: vec!["ts".into()],
        buckets: None,
        properties: vec![],
        comment: String::new(),
        partition_clause: None,
        notes: vec![],
    };
    let plan = Plan {
        rules: vec![RulePlan::new(
            std::sync::Arc::new(smt::config::RuleConfig::named("1")),
            vec![events],
        )],
        ..Plan::default()
    };
    let r = apply::run(&st, Some(&plan), &mut c, &ApplyOptions::default());
    let ev = r
        .statements
        .iter()
        .find(|s| s.object() == "ap_plan.events")
        .expect("events");
    assert_eq!(
        ev.outcome,
        Outcome::AlreadyExisted {
            identical: false,
            differences: vec!["column n: type INT in StarRocks, planned BIGINT".into()]
        }
    );
}

#[test]
fn a_rejected_statement_fails_with_the_fe_message_and_exit_code_6() {
    let emu = start();
    let mut st = statements("ap_fail");
    st[1].sql = st[1].sql.replace("VARCHAR(765)", "VARCHAR(2000000)");
    let mut c = fe(&emu);
    let r = apply::run(&st, None, &mut c, &ApplyOptions::default());
    let o = outcomes(&r);
    assert_eq!(o[0].1, Outcome::Created);
    match &o[1].1 {
        Outcome::Failed { message } => {
            assert!(
                message.to_ascii_lowercase().contains("varchar"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    for (obj, out) in &o[2..] {
        assert!(matches!(out, Outcome::Skipped { .. }), "{obj}: {out:?}");
    }
    assert_eq!(r.summary.failed, 1);
    assert_eq!(r.summary.skipped, 3);
    assert_eq!(r.exit_code(), 6);
    let err = r.failure().expect("failure");
    assert_eq!(exit_code_of(&err), 6);
    assert!(err.to_string().contains("ap_fail.orders"), "{err}");

    // --continue-on-error runs the rest.
    let opts = ApplyOptions {
        continue_on_error: true,
        ..ApplyOptions::default()
    };
    let r = apply::run(&st, None, &mut c, &opts);
    let o = outcomes(&r);
    assert!(matches!(o[1].1, Outcome::Failed { .. }));
    assert_eq!(o[2].1, Outcome::Created);
    assert_eq!(o[3].1, Outcome::Created);
    assert_eq!(o[4].1, Outcome::Created);
    assert_eq!(r.exit_code(), 6);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
    assert_eq!(json["statements"][1]["outcome"]["status"], "failed");
    assert_eq!(json["summary"]["failed"], 1);
}

#[test]
fn only_and_dry_run() {
    let emu = start();
    let st = statements("ap_only");
    let mut c = fe(&emu);
    let opts = ApplyOptions {
        only: Some(regex::Regex::new(r"^ap_only\.events$").expect("re")),
        ..ApplyOptions::default()
    };
    let r = apply::run(&st, None, &mut c, &opts);
    assert_eq!(
        outcomes(&r),
        vec![
            ("ap_only".to_string(), Outcome::Created),
            ("ap_only.events".to_string(), Outcome::Created),
        ]
    );
    assert_eq!(r.summary.filtered_out, 3);
    assert!(emu.columns("ap_only", "orders").is_none());
    assert!(!emu.database_names().contains(&"ap_only_other".to_string()));

    let dry = ApplyOptions {
        dry_run: true,
        ..ApplyOptions::default()
    };
    // With a connection a dry run compares (see dry_run_asks_the_fe_and_changes_nothing);
    // without one it only lists the statements.
    let r = apply::run(&statements("ap_dry"), None, &mut c, &dry);
    assert!(r.dry_run);
    assert_eq!(r.summary.would_create, 5);
    let r = apply::dry_run(&statements("ap_dry"), &dry);
    assert_eq!(r.summary.skipped, 5);
    assert!(!emu.database_names().iter().any(|d| d.starts_with("ap_dry")));
}

#[test]
fn unreachable_fe_and_wrong_password_are_clear_target_errors() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let e = FeClient::connect(
        "127.0.0.1",
        port,
        "root",
        &Secret::new(PW),
        Duration::from_secs(5),
    )
    .expect_err("unreachable");
    assert_eq!(exit_code_of(&e), 4);
    assert!(
        e.to_string().contains("cannot reach the StarRocks FE"),
        "{e}"
    );

    let emu = start();
    let e = FeClient::connect(
        "127.0.0.1",
        emu.fe_query_addr().port(),
        "root",
        &Secret::new("not-the-password"),
        Duration::from_secs(5),
    )
    .expect_err("denied");
    assert_eq!(exit_code_of(&e), 4);
    let m = e.to_string();
    assert!(m.contains("refused user \"root\""), "{m}");
    assert!(m.contains("flink.starrocks.username/password"), "{m}");
    assert!(!m.contains("not-the-password"), "{m}");
}

#[test]
fn fe_client_queries() {
    let emu = start();
    let mut c = fe(&emu);
    assert_eq!(c.current_version(), Some((3, 3, 2)));
    assert_eq!(c.alive_backends(), Some(1));
    assert!(!c.database_exists("ap_q").expect("dbs"));
    apply::run(&statements("ap_q"), None, &mut c, &ApplyOptions::default());
    assert!(c.database_exists("ap_q").expect("dbs"));
    assert!(c.table_exists("ap_q", "orders").expect("t"));
    assert!(!c.table_exists("ap_q", "nope").expect("t"));
    assert!(!c.table_exists("nope_db", "orders").expect("t"));
    assert_eq!(c.show_create_table("ap_q", "nope").expect("none"), None);
    let text = c
        .show_create_table("ap_q", "orders")
        .expect("show")
        .expect("exists");
    assert!(text.contains("PRIMARY KEY"), "{text}");
    let rows = c.query_rows("SHOW DATABASES").expect("rows");
    assert!(rows.rows.iter().any(|r| r[0].as_deref() == Some("ap_q")));
}

#[test]
fn a_statement_that_times_out_is_retried_on_a_new_connection() {
    let emu = start();
    let st = statements("ap_slow");
    let mut c = FeClient::connect(
        "127.0.0.1",
        emu.fe_query_addr().port(),
        "root",
        &Secret::new(PW),
        Duration::from_secs(1),
    )
    .expect("connect");
    // The first DDL (CREATE DATABASE) stalls past the 1 s statement timeout.
    emu.faults()
        .delay_next(starrocks_emulator::Target::Ddl, 1, 2500);
    let opts = ApplyOptions {
        timeout: Duration::from_secs(1),
        ..ApplyOptions::default()
    };
    let r = apply::run(&st, None, &mut c, &opts);
    assert_eq!(r.summary.failed, 0, "{}", r.to_text());
    // The stalled CREATE DATABASE may or may not have finished by the time the retry looks:
    // either way it is not a failure, and everything after it was created.
    assert!(
        matches!(
            r.statements[0].outcome,
            Outcome::Created
                | Outcome::AlreadyExisted {
                    identical: true,
                    ..
                }
        ),
        "{}",
        r.to_text()
    );
    assert!(
        r.statements[1..]
            .iter()
            .all(|s| s.outcome == Outcome::Created),
        "{}",
        r.to_text()
    );
    assert!(emu.columns("ap_slow", "events").is_some());

    // Without retries the timeout is a failure with the connection error.
    emu.faults()
        .delay_next(starrocks_emulator::Target::Ddl, 1, 2500);
    let opts = ApplyOptions {
        timeout: Duration::from_secs(1),
        retry: smt::retry::RetryPolicy::none(),
        ..ApplyOptions::default()
    };
    let st2 = statements("ap_slow2");
    let r = apply::run(&st2, None, &mut c, &opts);
    assert!(
        matches!(&r.statements[0].outcome, Outcome::Failed { .. }),
        "{}",
        r.to_text()
    );
    assert_eq!(r.exit_code(), 6);
}

/// `--dry-run` changes nothing but asks the FE when it can: per statement "would create",
/// "exists (identical)" or "exists, DIFFERS" with the differences; an FE it cannot reach is
/// named, and the SQL is printed instead.
#[test]
fn dry_run_asks_the_fe_and_changes_nothing() {
    let emu = start();
    let st = statements("ap_dry");
    let mut c = fe(&emu);
    let dry = ApplyOptions {
        dry_run: true,
        ..ApplyOptions::default()
    };
    let r = apply::run(&st, None, &mut c, &dry);
    assert!(
        r.statements
            .iter()
            .all(|s| s.outcome == Outcome::WouldCreate),
        "{}",
        r.to_text()
    );
    assert_eq!(r.summary.would_create, 5);
    assert!(
        r.to_text().contains("would create    ap_dry.orders:"),
        "{}",
        r.to_text()
    );
    assert!(
        emu.table_ddl("ap_dry", "orders").is_none(),
        "a dry run creates nothing"
    );

    apply::run(&st, None, &mut c, &ApplyOptions::default());
    c.exec("ALTER TABLE `ap_dry`.`events` ADD COLUMN `extra` INT NULL")
        .expect("alter");
    let r = apply::run(&st, None, &mut c, &dry);
    let text = r.to_text();
    assert!(
        text.contains("exists          ap_dry.orders (identical)"),
        "{text}"
    );
    assert!(
        text.contains("exists, DIFFERS ap_dry.events:") && text.contains("column extra"),
        "{text}"
    );
    assert_eq!(r.summary.would_create, 0);
    assert_eq!(r.summary.already_existed_different, 1);

    // No FE to ask: the reason, then the SQL.
    let config = smt::config::parse(
        "[db]\nhost = h\nuser = u\n[other]\nbe_num = 1\n[table-rule.1]\ndatabase = .*\ntable = .*\n\
         flink.starrocks.jdbc-url = jdbc:mysql://127.0.0.1:1\n",
        std::path::Path::new("t.ini"),
    )
    .unwrap();
    let r = apply::run_with_config(
        &config,
        &st,
        None,
        &ApplyOptions {
            timeout: Duration::from_secs(2),
            ..dry
        },
    )
    .expect("a dry run without an FE still reports");
    let text = r.to_text();
    assert!(
        text.contains("the FE could not be asked") && text.contains("127.0.0.1:1"),
        "{text}"
    );
    assert!(text.contains("would run       ap_dry.orders:"), "{text}");
}
