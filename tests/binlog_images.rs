//! `sync::rowimage` reads every row image of a rows event exactly as `mysql_common`'s own
//! `RowsEvent::rows` does: the same values, value by value, for every column type, NULLs, every
//! rows event kind, several rows per event, with and without the optional metadata that carries
//! signedness (`binlog_row_metadata=FULL` on a server of the test's own).

#[path = "common/mariadb.rs"]
mod mariadb;

use mariadb::{Maria, OwnMaria};
use mysql::binlog::events::{EventData, TableMapEvent};
use mysql::prelude::Queryable;
use mysql::{BinlogDumpFlags, BinlogRequest};
use smt::sync::rowimage::{images, ColumnCodec};
use std::collections::HashMap;

const TABLE: &str = "CREATE TABLE t (
  id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, su SMALLINT UNSIGNED, mi MEDIUMINT,
  mu MEDIUMINT UNSIGNED, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, de DECIMAL(30,6),
  de0 DECIMAL(5,0), fl FLOAT, db DOUBLE, bt BIT(10), yr YEAR, d DATE, tm TIME(3), t0 TIME,
  dt DATETIME(6), ts TIMESTAMP(2) NULL, ch CHAR(5), vc VARCHAR(300), bn BINARY(4),
  vb VARBINARY(10), tt TINYTEXT, tx TEXT, mb MEDIUMBLOB, lt LONGTEXT, en ENUM('a','b','c'),
  st SET('x','y','z'), js JSON)";

const WRITES: &[&str] = &[
    "INSERT INTO t VALUES
      (1, -128, 255, 65535, -8388608, 16777215, 4294967295, -9223372036854775808,
       18446744073709551615, -123456789012345678.123456, 99999, -1.5e-3, 2.2250738585072014e-308,
       b'1010101010', 2155, '1000-01-01', '-838:59:58.999', '12:00:00',
       '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.99', 'ab', 'héllo wörld ∑',
       x'00FF0001', x'', 'tiny', REPEAT('text ', 100), x'DEADBEEF00', REPEAT('L', 70000), 'b',
       'x,z', '{\"a\": [1, 2.5, null], \"b\": \"é\"}'),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL),
      (3, 127, 0, 0, 8388607, 0, 0, 9223372036854775807, 0, 0.000001, -99999, 3.4e38, -0.0,
       b'0', 1901, '2024-02-29', '00:00:00.001', '-00:00:01', '1970-01-01 00:00:00.000001',
       '1970-01-01 00:00:01.01', '', '', x'20', x'7F', '', '', x'', '', 'c', '', '[]')",
    "UPDATE t SET vc = CONCAT(vc, '!'), iu = iu DIV 2, tm = '-00:00:00.5', js = '\"s\"' WHERE id IN (1, 3)",
    "UPDATE t SET id = id + 10, ti = -1 WHERE id = 2",
    "DELETE FROM t WHERE id IN (1, 12)",
];

/// Write the rows, then read them back from the binlog both ways; returns the image count.
fn compare_on(server: &Maria, db: &str) -> usize {
    let mut c = server.conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    c.query_drop(format!("USE `{db}`")).unwrap();
    c.query_drop("SET SESSION binlog_format = 'ROW'").unwrap();
    c.query_drop("SET time_zone = '+00:00'").unwrap();
    c.query_drop(TABLE).unwrap();
    let (file, pos): (String, u64) = c
        .query_first("SHOW MASTER STATUS")
        .unwrap()
        .map(|r: mysql::Row| (r.get(0).unwrap(), r.get(1).unwrap()))
        .expect("binlog enabled");
    for w in WRITES {
        c.query_drop(*w).unwrap();
    }
    let mut dump = server.conn();
    dump.query_drop("SET @mariadb_slave_capability = 4")
        .unwrap();
    let req = BinlogRequest::new(4_000_000 + std::process::id() % 100_000)
        .with_filename(file.into_bytes())
        .with_pos(pos)
        .with_flags(BinlogDumpFlags::BINLOG_DUMP_NON_BLOCK);
    let stream = dump.get_binlog_stream(req).unwrap();
    let mut maps: HashMap<u64, TableMapEvent<'static>> = HashMap::new();
    let (mut events, mut compared) = (0usize, 0usize);
    for ev in stream {
        let ev = ev.unwrap();
        match ev.read_data().unwrap() {
            Some(EventData::TableMapEvent(t)) => {
                maps.insert(t.table_id(), t.into_owned());
            }
            Some(EventData::RowsEvent(re)) => {
                let tme = &maps[&re.table_id()];
                if tme.database_name() != db {
                    continue;
                }
                events += 1;
                let theirs: Vec<_> = re
                    .rows(tme)
                    .map(|r| {
                        let (b, a) = r.unwrap();
                        let values = |row: mysql::binlog::row::BinlogRow| row.unwrap();
                        (b.map(values), a.map(values))
                    })
                    .collect();
                let ours = images(&re, &ColumnCodec::of(tme).unwrap()).unwrap();
                assert_eq!(ours.len(), theirs.len(), "rows in an event");
                for (o, t) in ours.iter().zip(&theirs) {
                    assert_eq!(o, t);
                    compared += usize::from(o.0.is_some()) + usize::from(o.1.is_some());
                }
            }
            _ => {}
        }
    }
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
    // One INSERT of 3 rows, two UPDATEs (2 rows, 1 row), one DELETE (2 rows): at least 4 rows
    // events (the server splits a statement's rows at binlog_row_event_max_size).
    assert!(events >= 4, "{events} rows events of {db}");
    compared
}

#[test]
fn row_images_match_mysql_common_for_every_type_with_and_without_row_metadata() {
    // 3 after images, 3 (before, after) pairs, 2 before images.
    let shared = Maria::from_env();
    assert_eq!(compare_on(&shared, &mariadb::unique_prefix("rowimg")), 11);
    let own = OwnMaria::start_with(&["--binlog-row-metadata=FULL"]);
    let meta: String = own
        .conn()
        .query_first("SELECT @@binlog_row_metadata")
        .unwrap()
        .unwrap();
    assert_eq!(meta, "FULL");
    assert_eq!(compare_on(&own, "rowimg_full"), 11);
}
