//! ALTER TABLE as StarRocks' FE accepts and refuses it (shared-notes/starrocks-facts.md §A):
//! MODIFY COLUMN (type matrix, nullability, DEFAULT, lengths, key columns), the comment-only
//! MODIFY, ADD COLUMN positions, ALTER TABLE … SET and the table comment.
mod common;
use common::*;
use mysql::prelude::Queryable;
use std::time::Duration;

const PK: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL COMMENT \"pk\", \
    `name` VARCHAR(10) NULL DEFAULT \"x\" COMMENT \"who\", `n` INT NOT NULL DEFAULT \"0\", \
    `amt` DECIMAL(10, 2) NULL, `d` DATE NULL) \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 2 PROPERTIES (\"replication_num\" = \"1\")";

const DUP: &str = "CREATE TABLE `{db}`.`e` (`k` INT NOT NULL, `s` VARCHAR(10) NULL, `v` INT NULL) \
    DUPLICATE KEY (`k`, `s`) DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")";

fn jobs(c: &mut mysql::Conn, db: &str) -> Vec<Vec<Option<String>>> {
    rows_text(c, &format!("SHOW ALTER TABLE COLUMN FROM {db}"))
}

/// Run `sql`, then let its schema-change job (if any) finish.
fn alter_done(emu: &starrocks_emulator::Emulator, c: &mut mysql::Conn, sql: &str) {
    c.query_drop(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    emu.faults().advance_clock(Duration::from_millis(1000));
}

#[test]
fn modify_column_follows_check_schema_change_allowed() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_mod", &[PK, DUP]);
    c.query_drop(
        "INSERT INTO it_mod.t (id, name, n, amt, d) VALUES (1, \"a\", 5, 1.25, \"2024-02-03\")",
    )
    .unwrap();
    for (sql, want) in [
        // Key columns of a PRIMARY KEY table (3.3: any change).
        (
            "MODIFY COLUMN id BIGINT NOT NULL COMMENT \"pk\"",
            "Can not modify key column: id for primary key table",
        ),
        // The type matrix.
        (
            "MODIFY COLUMN n FLOAT NOT NULL DEFAULT \"0\"",
            "Can not change INT to FLOAT",
        ),
        (
            "MODIFY COLUMN n DECIMAL(20, 0) NOT NULL DEFAULT \"0\"",
            "Can not change INT to DECIMAL(20,0)",
        ),
        (
            "MODIFY COLUMN amt DECIMAL(10, 3) NULL",
            "Can not change DECIMAL(10,2) to DECIMAL(10,3)",
        ),
        (
            "MODIFY COLUMN d VARCHAR(20) NULL",
            "Can not change DATE to VARCHAR(20)",
        ),
        // Nullability, DEFAULT, lengths.
        (
            "MODIFY COLUMN name VARCHAR(10) NOT NULL DEFAULT \"x\" COMMENT \"who\"",
            "Can not change from nullable to non-nullable",
        ),
        (
            "MODIFY COLUMN n BIGINT NOT NULL",
            "Can not change default value",
        ),
        (
            "MODIFY COLUMN n BIGINT NOT NULL DEFAULT \"1\"",
            "Can not change default value",
        ),
        (
            "MODIFY COLUMN name VARCHAR(5) NULL DEFAULT \"x\"",
            "Cannot shorten string length",
        ),
    ] {
        let (_, msg) = err_of(&mut c, &format!("ALTER TABLE it_mod.t {sql}"));
        assert_eq!(msg, want, "{sql}");
    }
    // A DUPLICATE KEY column must stay a key column (KEY), and is not a bucket column here.
    let (_, msg) = err_of(
        &mut c,
        "ALTER TABLE it_mod.e MODIFY COLUMN s VARCHAR(20) NULL",
    );
    assert_eq!(
        msg,
        "Invalid column order. value should be after key. index[e]"
    );
    let (_, msg) = err_of(
        &mut c,
        "ALTER TABLE it_mod.e MODIFY COLUMN k BIGINT KEY NOT NULL",
    );
    assert_eq!(msg, "Can not modify distribution column[k]. index[e]");
    alter_done(
        &emu,
        &mut c,
        "ALTER TABLE it_mod.e MODIFY COLUMN s VARCHAR(20) KEY NULL",
    );
    assert!(emu
        .table_ddl("it_mod", "e")
        .unwrap()
        .contains("`s` varchar(20) NULL"));

    // Allowed, each a job: widening, NOT NULL → NULL, DECIMAL with more digits on both sides,
    // DATE → DATETIME; the restated DEFAULT and COMMENT are kept, a left-out COMMENT is lost.
    alter_done(
        &emu,
        &mut c,
        "ALTER TABLE it_mod.t MODIFY COLUMN name VARCHAR(40) NULL DEFAULT \"x\" COMMENT \"who\"",
    );
    alter_done(
        &emu,
        &mut c,
        "ALTER TABLE it_mod.t MODIFY COLUMN n BIGINT NULL DEFAULT \"0\" COMMENT \"count\"",
    );
    alter_done(
        &emu,
        &mut c,
        "ALTER TABLE it_mod.t MODIFY COLUMN amt DECIMAL(12, 3) NULL",
    );
    alter_done(
        &emu,
        &mut c,
        "ALTER TABLE it_mod.t MODIFY COLUMN d DATETIME NULL",
    );
    let ddl = emu.table_ddl("it_mod", "t").unwrap();
    for want in [
        "`name` varchar(40) NULL DEFAULT \"x\" COMMENT \"who\"",
        "`n` bigint(20) NULL DEFAULT \"0\" COMMENT \"count\"",
        "`amt` decimal(12, 3) NULL COMMENT \"\"",
        "`d` datetime NULL",
    ] {
        assert!(ddl.contains(want), "{want}\n{ddl}");
    }
    assert_eq!(
        rows_text(&mut c, "SELECT * FROM it_mod.t"),
        vec![vec![
            Some("1".into()),
            Some("a".into()),
            Some("5".into()),
            Some("1.250".into()),
            Some("2024-02-03 00:00:00".into())
        ]]
    );
    let j = jobs(&mut c, "it_mod");
    assert_eq!(j.len(), 5, "{j:?}");
    assert!(
        j.iter().all(|r| r[9].as_deref() == Some("FINISHED")),
        "{j:?}"
    );
}

#[test]
fn comments_and_properties_change_metadata_only() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_meta", &[PK]);
    // The comment-only MODIFY works on a key column too and creates no job.
    c.query_drop("ALTER TABLE it_meta.t MODIFY COLUMN id COMMENT \"the key\"")
        .unwrap();
    c.query_drop("ALTER TABLE it_meta.t MODIFY COLUMN `name` COMMENT 'it''s \"x\"'")
        .unwrap();
    c.query_drop("ALTER TABLE it_meta.t COMMENT = \"people\"")
        .unwrap();
    c.query_drop("ALTER TABLE it_meta.t SET (\"replication_num\" = \"1\")")
        .unwrap();
    c.query_drop("ALTER TABLE it_meta.t SET (\"bloom_filter_columns\" = \"name\")")
        .unwrap();
    c.query_drop("ALTER TABLE it_meta.t SET (\"in_memory\" = \"true\")")
        .unwrap();
    c.query_drop(
        "ALTER TABLE it_meta.t SET (\"dynamic_partition.enable\" = \"false\", \"dynamic_partition.time_unit\" = \"DAY\")",
    )
    .unwrap();
    assert!(jobs(&mut c, "it_meta").is_empty());
    let ddl = emu.table_ddl("it_meta", "t").unwrap();
    for want in [
        "`id` bigint(20) NOT NULL COMMENT \"the key\"",
        "`name` varchar(10) NULL DEFAULT \"x\" COMMENT \"it's \\\"x\\\"\"",
        "COMMENT \"people\"",
        "\"replication_num\" = \"1\"",
        "\"bloom_filter_columns\" = \"name\"",
        "\"dynamic_partition.time_unit\" = \"DAY\"",
    ] {
        assert!(ddl.contains(want), "{want}\n{ddl}");
    }
    assert!(!ddl.contains("in_memory"), "in_memory is dropped: {ddl}");

    for (sql, want) in [
        (
            "SET (\"replication_num\" = \"1\", \"bloom_filter_columns\" = \"n\")",
            "Can only set one table property at a time",
        ),
        ("SET (\"compression\" = \"ZSTD\")", "Unknown properties: {compression=ZSTD}"),
        (
            "SET (\"fast_schema_evolution\" = \"true\")",
            "Unknown properties: {fast_schema_evolution=true}",
        ),
        ("SET (\"storage_type\" = \"column\")", "Can't change storage type"),
        ("SET (\"replication_num\" = \"3\")", "Table replication num should be less than or equal to the number of available BE nodes"),
        ("SET ()", "Properties is not set"),
        ("MODIFY COLUMN nope COMMENT \"x\"", "Column[nope] does not exist"),
    ] {
        let (_, msg) = err_of(&mut c, &format!("ALTER TABLE it_meta.t {sql}"));
        assert!(msg.contains(want), "{sql}: {msg}");
    }
}

#[test]
fn add_column_positions_and_defaults() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "it_add", &[PK, DUP]);
    for (sql, want) in [
        (
            "ADD COLUMN x INT NULL FIRST",
            "Cannot add value column[x] at first",
        ),
        (
            "ADD COLUMN x INT NOT NULL AFTER d",
            "Field 'x' is not null but doesn't have a default value",
        ),
        (
            "ADD COLUMN x INT KEY NOT NULL DEFAULT \"1\"",
            "Can not add key column: x for primary key table",
        ),
    ] {
        let (_, msg) = err_of(&mut c, &format!("ALTER TABLE it_add.t {sql}"));
        assert!(msg.contains(want), "{sql}: {msg}");
    }
    let (_, msg) = err_of(&mut c, "ALTER TABLE it_add.e ADD COLUMN x INT NULL AFTER k");
    assert!(msg.contains("between key columns"), "{msg}");
    c.query_drop("INSERT INTO it_add.t (id, n) VALUES (1, 2)")
        .unwrap();
    c.query_drop(
        "ALTER TABLE it_add.t ADD COLUMN x INT NOT NULL DEFAULT \"7\" COMMENT \"seven\" AFTER n",
    )
    .unwrap();
    assert_eq!(
        emu.columns("it_add", "t").unwrap(),
        vec!["id", "name", "n", "x", "amt", "d"]
    );
    assert_eq!(
        rows_text(&mut c, "SELECT x FROM it_add.t"),
        vec![vec![Some("7".into())]]
    );
}
