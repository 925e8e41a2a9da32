//! Source side of `smt sync` against the real MariaDB: the snapshot and the binlog render the
//! same stored values to the same cells; updates, deletes, PK changes and rotation are followed.

#[path = "common/plan_fixtures.rs"]
mod fx;
#[path = "common/mariadb.rs"]
mod mariadb;

use fx::{bare_col, int_type, ColumnDescExt};
use mariadb::{conn, source_config};
use mysql::prelude::Queryable;
use mysql::Conn;
use smt::config::Secret;
use smt::plan::{ColumnOrigin, Encoding, Model, SourceRef, SrType, TablePlan, TargetColumn};
use smt::schema::{
    ColumnDesc, GeometryKind, IntWidth, KeyDesc, KeyKind, SourceType, TableDesc, TextKind,
};
use smt::source::{check_binlog_settings, master_status, position_exists};
use smt::sync::binlog::{BinlogReader, ReaderOptions, RowChange, SourceEvent};
use smt::sync::cell::{Cell, Row};
use smt::sync::decode::TimeZoneSpec;
use smt::sync::position::BinlogPosition;
use smt::sync::snapshot::{key_from_json, key_to_json, Snapshot};
use std::collections::BTreeMap;

/// Drops the test database when the test ends, also when it fails.
struct DropDb(String);

impl Drop for DropDb {
    fn drop(&mut self) {
        let _ = conn().query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.0));
    }
}

/// What the test server is (probed once per call on a fresh connection).
fn server() -> smt::source::ServerInfo {
    smt::source::probe(&mut smt::source::connect(&source_config()).unwrap()).unwrap()
}

/// THE one helper that builds a TablePlan by hand (planning is another module's job): every
/// source column becomes a target column of the same name with the encoding the type mapping
/// prescribes; `shard_cols` adds shard origin columns; the key is the source PK.
/// A plan with the descriptions of its sources, as `plan::build` makes it.
fn captured(mut plan: TablePlan, sources: Vec<TableDesc>) -> TablePlan {
    plan.source_tables = sources;
    plan
}

fn plan_for(desc: &TableDesc, sources: Vec<SourceRef>, shard_cols: bool) -> TablePlan {
    let mut columns: Vec<TargetColumn> = desc
        .columns
        .iter()
        .map(|c| {
            let (sr_type, encoding) = match &c.ty {
                SourceType::Int {
                    width, unsigned, ..
                } => (
                    match (width, unsigned) {
                        (IntWidth::Big, true) => SrType::LargeInt,
                        (IntWidth::Big, false) | (IntWidth::Int, true) => SrType::BigInt,
                        _ => SrType::Int,
                    },
                    Encoding::Plain,
                ),
                SourceType::Bit(1) => (SrType::Boolean, Encoding::Bool),
                SourceType::Bit(_) => (SrType::LargeInt, Encoding::BitAsInteger),
                SourceType::Float { .. } => (SrType::Float, Encoding::Plain),
                SourceType::Double { .. } => (SrType::Double, Encoding::Plain),
                SourceType::Decimal {
                    precision, scale, ..
                } if *precision > 38 => {
                    let _ = scale;
                    (SrType::Varchar(precision + 2), Encoding::DecimalText)
                }
                SourceType::Decimal {
                    precision, scale, ..
                } => (SrType::Decimal(*precision, *scale), Encoding::Plain),
                SourceType::Char(_) | SourceType::Varchar(_) | SourceType::Text(_) => {
                    (SrType::Varchar(65533), Encoding::Plain)
                }
                SourceType::Binary(n) | SourceType::Varbinary(n) => {
                    (SrType::Varchar(2 * n), Encoding::Hex)
                }
                SourceType::Blob(_) => (SrType::Varchar(65533), Encoding::Hex),
                SourceType::Date => (SrType::Date, Encoding::Plain),
                SourceType::DateTime { .. } => (SrType::DateTime, Encoding::DateTime),
                SourceType::Timestamp { .. } => (SrType::DateTime, Encoding::Timestamp),
                SourceType::Time { .. } => (SrType::Varchar(17), Encoding::Time),
                SourceType::Year => (SrType::SmallInt, Encoding::Plain),
                SourceType::Enum(_) => (SrType::Varchar(10), Encoding::EnumLabel),
                SourceType::Set(_) => (SrType::Varchar(20), Encoding::SetLabels),
                SourceType::Json => (SrType::Json, Encoding::Json),
                SourceType::Geometry(_) => (SrType::Varchar(1048576), Encoding::Wkt),
                SourceType::Unknown(_) => (SrType::Varchar(1048576), Encoding::Plain),
            };
            TargetColumn {
                name: c.name.clone(),
                sr_type,
                flink_type: String::new(),
                flink_source_type: String::new(),
                nullable: c.nullable,
                default: None,
                comment: String::new(),
                origin: ColumnOrigin::Source {
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                },
                encoding,
            }
        })
        .collect();
    let key = desc
        .primary_key()
        .map(|k| k.columns.clone())
        .unwrap_or_default();
    if shard_cols {
        for (name, origin) in [
            ("_src_db", ColumnOrigin::ShardDatabase),
            ("_src_table", ColumnOrigin::ShardTable),
        ] {
            columns.push(TargetColumn {
                name: name.into(),
                sr_type: SrType::Varchar(64),
                flink_type: String::new(),
                flink_source_type: String::new(),
                nullable: false,
                default: None,
                comment: String::new(),
                origin,
                encoding: Encoding::Plain,
            });
        }
    }
    TablePlan {
        rule: "t".into(),
        rule_config: Default::default(),
        source_tables: vec![],
        target_database: "sr".into(),
        target_table: desc.name.clone(),
        sources,
        shard_regex: None,
        columns,
        model: Model::Primary,
        key: key.clone(),
        distributed_by: key,
        buckets: None,
        properties: vec![],
        comment: String::new(),
        partition_clause: None,
        notes: vec![],
    }
}

/// One captured table `db`.`t` whose primary key is its `id` column, planned by [`plan_for`].
fn single_table(db: &str, columns: Vec<ColumnDesc>) -> (TablePlan, SourceRef) {
    let desc = TableDesc {
        database: db.to_string(),
        name: "t".into(),
        columns,
        keys: vec![KeyDesc {
            name: "PRIMARY".into(),
            kind: KeyKind::Primary,
            columns: vec!["id".into()],
        }],
        comment: String::new(),
        data_length: 0,
    };
    let sref = SourceRef {
        database: db.to_string(),
        table: "t".into(),
    };
    let table = captured(plan_for(&desc, vec![sref.clone()], false), vec![desc]);
    (table, sref)
}

const DDL: &str = "CREATE TABLE t_all (
  id BIGINT UNSIGNED NOT NULL, k2 VARCHAR(20) NOT NULL,
  ti TINYINT, tiu TINYINT UNSIGNED, siu SMALLINT UNSIGNED, miu MEDIUMINT UNSIGNED, iu INT UNSIGNED,
  bi BIGINT, bu BIGINT UNSIGNED, b1 BIT(1), b64 BIT(64), b10 BIT(10),
  f FLOAT, d DOUBLE, dec1 DECIMAL(65,30), dec2 DECIMAL(20,4),
  c CHAR(10), vc VARCHAR(50), tx TEXT, bin VARBINARY(16), bl BLOB,
  dt DATE, dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(6) NULL DEFAULT NULL, ts0 TIMESTAMP NULL DEFAULT NULL,
  tm TIME(6), yr YEAR, en ENUM('a','b','c'), st SET('x','y','z'), js JSON, g GEOMETRY, pt POINT,
  PRIMARY KEY (id, k2)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

fn t_all_desc(db: &str) -> TableDesc {
    let enm = SourceType::Enum(vec!["a".into(), "b".into(), "c".into()]);
    let set = SourceType::Set(vec!["x".into(), "y".into(), "z".into()]);
    let cols = vec![
        ("id", int_type(IntWidth::Big, true)),
        ("k2", SourceType::Varchar(20)),
        ("ti", int_type(IntWidth::Tiny, false)),
        ("tiu", int_type(IntWidth::Tiny, true)),
        ("siu", int_type(IntWidth::Small, true)),
        ("miu", int_type(IntWidth::Medium, true)),
        ("iu", int_type(IntWidth::Int, true)),
        ("bi", int_type(IntWidth::Big, false)),
        ("bu", int_type(IntWidth::Big, true)),
        ("b1", SourceType::Bit(1)),
        ("b64", SourceType::Bit(64)),
        ("b10", SourceType::Bit(10)),
        ("f", SourceType::Float { unsigned: false }),
        ("d", SourceType::Double { unsigned: false }),
        (
            "dec1",
            SourceType::Decimal {
                precision: 65,
                scale: 30,
                unsigned: false,
            },
        ),
        (
            "dec2",
            SourceType::Decimal {
                precision: 20,
                scale: 4,
                unsigned: false,
            },
        ),
        ("c", SourceType::Char(10)),
        ("vc", SourceType::Varchar(50)),
        ("tx", SourceType::Text(TextKind::Text)),
        ("bin", SourceType::Varbinary(16)),
        ("bl", SourceType::Blob(TextKind::Text)),
        ("dt", SourceType::Date),
        ("dtm", SourceType::DateTime { fsp: 6 }),
        ("dtm0", SourceType::DateTime { fsp: 0 }),
        ("ts", SourceType::Timestamp { fsp: 6 }),
        ("ts0", SourceType::Timestamp { fsp: 0 }),
        ("tm", SourceType::Time { fsp: 6 }),
        ("yr", SourceType::Year),
        ("en", enm),
        ("st", set),
        ("js", SourceType::Json),
        ("g", SourceType::Geometry(GeometryKind::Geometry)),
        ("pt", SourceType::Geometry(GeometryKind::Point)),
    ];
    TableDesc {
        database: db.into(),
        name: "t_all".into(),
        columns: cols
            .into_iter()
            .enumerate()
            .map(|(i, (n, t))| bare_col(n, t).with_ordinal(i as u32 + 1))
            .collect(),
        keys: vec![KeyDesc {
            name: "PRIMARY".into(),
            kind: KeyKind::Primary,
            columns: vec!["id".into(), "k2".into()],
        }],
        comment: String::new(),
        data_length: 0,
    }
}

const COLS: &str = "id,k2,ti,tiu,siu,miu,iu,bi,bu,b1,b64,b10,f,d,dec1,dec2,c,vc,tx,bin,bl,dt,dtm,dtm0,ts,ts0,tm,yr,en,st,js,g,pt";

fn insert_edge_rows(c: &mut Conn, db: &str) {
    c.query_drop(format!("USE `{db}`")).unwrap();
    c.query_drop("SET SESSION sql_mode = '', time_zone = '+00:00'")
        .unwrap();
    c.query_drop(format!(
        "INSERT INTO t_all ({COLS}) VALUES
         (18446744073709551615, 'max', -128, 255, 65535, 16777215, 4294967295, -9223372036854775808, 18446744073709551615,
          b'1', b'1111111111111111111111111111111111111111111111111111111111111111', b'1010101010',
          1.5, 0.1, -12345678901234567890123456789012345.123456789012345678901234567890, -0.0001,
          'ch', 'héllo 😀', '', x'00ff00', x'000102',
          '2024-02-29', '2024-02-29 23:59:59.000001', '1000-01-01 00:00:00', '2024-01-02 03:04:05.000001', '2038-01-19 03:14:07',
          '-838:59:59.000000', 2155, 'b', 'x,z', '{{\"k\": [1, \"a\"], \"e\": \"😀\"}}',
          ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))'), ST_GeomFromText('POINT(1.5 -2.25)')),
         (1, '', 0, 0, 0, 0, 0, 0, 0, b'0', b'0', b'0', -0.0, -1e300, 0, 0, '', '', '', '', '',
          '0000-00-00', '0000-00-00 00:00:00', '2024-00-10 00:00:00', '0000-00-00 00:00:00', NULL,
          '00:00:00', 0, 'zzz', '', '[]', ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'),
          ST_GeomFromText('POINT(0 0)')),
         (2, 'nulls', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
    ))
    .unwrap();
    for i in 3..8 {
        c.query_drop(format!(
            "INSERT INTO t_all (id, k2, vc, ts0, g) VALUES ({i}, 'k{i}', 'v{i}', '2024-06-01 12:00:00', ST_GeomFromText('MULTIPOINT(1 1,2 2)'))"
        ))
        .unwrap();
    }
}

fn key_of(row: &Row) -> (String, String) {
    (
        row[0].text().unwrap_or("").to_string(),
        row[1].text().unwrap_or("").to_string(),
    )
}

fn snapshot_rows(
    table: &TablePlan,
    sref: &SourceRef,
    tz: &TimeZoneSpec,
) -> BTreeMap<(String, String), Row> {
    let (mut snap, pos) = Snapshot::begin(&source_config(), &server()).unwrap();
    assert!(pos.pos >= 4, "snapshot position {pos}");
    let mut out = BTreeMap::new();
    let mut after: Option<Vec<mysql::Value>> = None;
    let mut chunks = 0;
    loop {
        let ch = snap
            .read_chunk(table, sref, after.as_deref(), (None, None), 2, tz)
            .unwrap();
        chunks += 1;
        assert!(ch.rows.len() <= 2);
        for r in ch.rows {
            assert_eq!(r.len(), table.columns.len());
            assert!(out.insert(key_of(&r), r).is_none(), "a row was read twice");
        }
        // The resume key survives the checkpoint's JSON form.
        after = ch.last_key.map(|k| {
            key_from_json(&serde_json::from_str(&key_to_json(&k).to_string()).unwrap()).unwrap()
        });
        if ch.done {
            break;
        }
        assert!(chunks < 100, "pagination does not advance");
    }
    snap.finish().unwrap();
    out
}

/// Read the binlog until caught up, applying changes of `target` 0; returns the events seen.
fn drain(
    reader: &mut BinlogReader,
    state: &mut BTreeMap<(String, String), Row>,
) -> Vec<SourceEvent> {
    let mut seen = Vec::new();
    let mut pending: Vec<RowChange> = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        match &ev {
            SourceEvent::Rows {
                target, changes, ..
            } => {
                assert_eq!(*target, 0);
                pending.extend(changes.iter().cloned());
            }
            SourceEvent::Commit { .. } => {
                for ch in pending.drain(..) {
                    match ch {
                        RowChange::Insert(r) | RowChange::Upsert(r) => {
                            state.insert(key_of(&r), r);
                        }
                        RowChange::Delete(r) => {
                            state.remove(&key_of(&r));
                        }
                        RowChange::Replace { .. } => {
                            panic!("a PRIMARY KEY table yielded a keyless update")
                        }
                    }
                }
            }
            SourceEvent::Restarted { .. } => pending.clear(),
            SourceEvent::Ddl { .. } | SourceEvent::Heartbeat { .. } => {}
        }
        seen.push(ev);
    }
    seen
}

fn assert_same(
    a: &BTreeMap<(String, String), Row>,
    b: &BTreeMap<(String, String), Row>,
    names: &[String],
) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, ra) in a {
        let rb = &b[k];
        for (i, n) in names.iter().enumerate() {
            assert_eq!(ra[i], rb[i], "row {k:?} column {n}: snapshot vs binlog");
        }
    }
}

#[test]
fn snapshot_and_binlog_render_identically() {
    let db = format!("it_sync_src_rt_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    let p0 = master_status(&mut c).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!("USE `{db}`")).unwrap();
    c.query_drop(DDL).unwrap();
    insert_edge_rows(&mut c, &db);

    let desc = t_all_desc(&db);
    let sref = SourceRef {
        database: db.clone(),
        table: "t_all".into(),
    };
    let table = captured(
        plan_for(&desc, vec![sref.clone()], false),
        vec![desc.clone()],
    );
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let tz = TimeZoneSpec::parse("+08:00").unwrap();

    let snap = snapshot_rows(&table, &sref, &tz);
    assert_eq!(snap.len(), 8);
    let idx = |n: &str| names.iter().position(|x| x == n).unwrap();
    let get = |r: &Row, n: &str| r[idx(n)].clone();
    let max = &snap[&("18446744073709551615".to_string(), "max".to_string())];
    let num = |s: &str| Cell::Num(s.into());
    let st = |s: &str| Cell::Str(s.into());
    assert_eq!(get(max, "ti"), num("-128"));
    assert_eq!(get(max, "tiu"), num("255"));
    assert_eq!(get(max, "siu"), num("65535"));
    assert_eq!(get(max, "miu"), num("16777215"));
    assert_eq!(get(max, "iu"), num("4294967295"));
    assert_eq!(get(max, "bi"), num("-9223372036854775808"));
    assert_eq!(get(max, "bu"), num("18446744073709551615"));
    assert_eq!(get(max, "b1"), num("1"));
    assert_eq!(get(max, "b64"), num("18446744073709551615"));
    assert_eq!(get(max, "b10"), num("682"));
    assert_eq!(get(max, "f"), num("1.5"));
    assert_eq!(get(max, "d"), num("0.1"));
    assert_eq!(
        get(max, "dec1"),
        st("-12345678901234567890123456789012345.123456789012345678901234567890")
    );
    assert_eq!(get(max, "dec2"), num("-0.0001"));
    assert_eq!(get(max, "vc"), st("héllo 😀"));
    assert_eq!(get(max, "tx"), st(""));
    assert_eq!(get(max, "bin"), st("00ff00"));
    assert_eq!(get(max, "bl"), st("000102"));
    assert_eq!(get(max, "dt"), st("2024-02-29"));
    assert_eq!(get(max, "dtm"), st("2024-02-29 23:59:59.000001"));
    assert_eq!(get(max, "dtm0"), st("1000-01-01 00:00:00"));
    assert_eq!(
        get(max, "ts"),
        st("2024-01-02 11:04:05.000001"),
        "TIMESTAMP rendered in +08:00"
    );
    assert_eq!(get(max, "ts0"), st("2038-01-19 11:14:07"));
    assert_eq!(get(max, "tm"), st("-838:59:59.000000"));
    assert_eq!(get(max, "yr"), num("2155"));
    assert_eq!(get(max, "en"), st("b"));
    assert_eq!(get(max, "st"), st("x,z"));
    assert_eq!(
        get(max, "js"),
        Cell::Json(r#"{"k": [1, "a"], "e": "😀"}"#.into())
    );
    assert_eq!(
        get(max, "g"),
        st("POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))")
    );
    assert_eq!(get(max, "pt"), st("POINT(1.5 -2.25)"));
    let zero = &snap[&("1".to_string(), String::new())];
    assert_eq!(get(zero, "k2"), st(""), "'' stays a string");
    assert_eq!(get(zero, "dt"), Cell::Null, "zero date → NULL");
    assert_eq!(get(zero, "dtm"), Cell::Null);
    assert_eq!(get(zero, "dtm0"), Cell::Null, "partial zero date → NULL");
    assert_eq!(get(zero, "ts"), Cell::Null, "zero TIMESTAMP → NULL");
    assert_eq!(get(zero, "yr"), num("0"));
    assert_eq!(get(zero, "en"), st(""), "invalid ENUM value → ''");
    assert_eq!(get(zero, "st"), st(""), "empty SET");
    assert_eq!(get(zero, "d"), num("-1e300"));
    assert_eq!(get(zero, "f"), num("0"), "-0.0 is stored as 0");
    assert_eq!(
        get(zero, "g"),
        st("GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))")
    );
    let nulls = &snap[&("2".to_string(), "nulls".to_string())];
    assert!(nulls[2..].iter().all(Cell::is_null), "{nulls:?}");

    // The binlog from before the CREATE: the rendered rows equal the snapshot's.
    let opts = ReaderOptions {
        non_block: true,
        ..ReaderOptions::default()
    };
    let server_id = 40_000 + (std::process::id() % 10_000);
    let mut reader = BinlogReader::open_with(
        &source_config(),
        server_id,
        &p0,
        vec![table.clone()],
        &tz,
        opts,
    )
    .unwrap();
    let mut state = BTreeMap::new();
    let events = drain(&mut reader, &mut state);
    assert!(
        events.iter().any(
            |e| matches!(e, SourceEvent::Ddl { sql, .. } if sql.contains("CREATE TABLE t_all"))
        ),
        "the CREATE TABLE of a captured table is reported as DDL"
    );
    let commits: Vec<&SourceEvent> = events
        .iter()
        .filter(|e| matches!(e, SourceEvent::Commit { .. }))
        .collect();
    assert!(
        commits
            .iter()
            .any(|e| matches!(e, SourceEvent::Commit { gtid: Some(g), .. } if g.starts_with("0-"))),
        "MariaDB GTIDs parsed"
    );
    assert_same(&snap, &state, &names);
    let last_commit = events
        .iter()
        .rev()
        .find_map(|e| match e {
            SourceEvent::Commit { end, .. } => Some(end.clone()),
            _ => None,
        })
        .unwrap();
    assert!(last_commit > p0);

    // Updates (one changing the PK), a delete, a rotation, then more writes.
    c.query_drop("UPDATE t_all SET vc = 'changed', ts0 = '2024-06-01 13:00:00' WHERE id = 3")
        .unwrap();
    c.query_drop("UPDATE t_all SET k2 = 'moved', iu = 4294967295 WHERE id = 4")
        .unwrap();
    c.query_drop("DELETE FROM t_all WHERE id = 5").unwrap();
    let before_rotation = master_status(&mut c).unwrap();
    c.query_drop("FLUSH BINARY LOGS").unwrap();
    c.query_drop("INSERT INTO t_all (id, k2, bu, b64) VALUES (100, 'after-rotate', 18446744073709551615, b'1')").unwrap();
    c.query_drop("UPDATE t_all SET tm = '838:59:59.999999' WHERE id = 1")
        .unwrap();

    let events = drain(&mut reader, &mut state);
    let pk_change = events.iter().find_map(|e| match e {
        SourceEvent::Rows { changes, .. } if changes.len() == 2 => Some(changes.clone()),
        _ => None,
    });
    let pk_change = pk_change.expect("the PK-changing update yields two changes");
    assert!(
        matches!(&pk_change[0], RowChange::Delete(r) if key_of(r) == ("4".into(), "k4".into())),
        "{pk_change:?}"
    );
    assert!(
        matches!(&pk_change[1], RowChange::Upsert(r) if key_of(r) == ("4".into(), "moved".into()))
    );
    let rotated = events
        .iter()
        .rev()
        .find_map(|e| match e {
            SourceEvent::Commit { end, .. } => Some(end.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        rotated.file_number() > before_rotation.file_number(),
        "the reader followed the rotation: {before_rotation} → {rotated}"
    );
    assert!(state.contains_key(&("100".to_string(), "after-rotate".to_string())));
    assert!(!state.contains_key(&("5".to_string(), "k5".to_string())));

    let snap2 = snapshot_rows(&table, &sref, &tz);
    assert_same(&snap2, &state, &names);
    assert_eq!(
        get(&snap2[&("1".to_string(), String::new())], "tm"),
        st("838:59:59.999999")
    );

    // Resuming from a commit position mid-stream yields exactly the later changes.
    let mut reader2 = BinlogReader::open_with(
        &source_config(),
        server_id + 1,
        &last_commit,
        vec![table.clone()],
        &tz,
        ReaderOptions {
            non_block: true,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let mut state2 = snap.clone();
    drain(&mut reader2, &mut state2);
    assert_same(&snap2, &state2, &names);

    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn merged_shards_map_columns_by_name() {
    let db = format!("it_sync_src_sh_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    let p0 = master_status(&mut c).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!("USE `{db}`")).unwrap();
    // Shard 1 has columns in another order and lacks `extra`.
    c.query_drop(
        "CREATE TABLE s_1 (id INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(10), extra INT)",
    )
    .unwrap();
    c.query_drop("CREATE TABLE s_2 (name VARCHAR(10), id INT UNSIGNED NOT NULL PRIMARY KEY)")
        .unwrap();
    c.query_drop("CREATE TABLE other (id INT PRIMARY KEY)")
        .unwrap();
    c.query_drop("INSERT INTO s_1 VALUES (4294967295, 'a', 7)")
        .unwrap();
    c.query_drop("INSERT INTO s_2 VALUES ('b', 2)").unwrap();
    c.query_drop("INSERT INTO other VALUES (1)").unwrap();
    let pk = vec![KeyDesc {
        name: "PRIMARY".into(),
        kind: KeyKind::Primary,
        columns: vec!["id".into()],
    }];
    let d1 = TableDesc {
        database: db.clone(),
        name: "s_1".into(),
        columns: vec![
            bare_col("id", int_type(IntWidth::Int, true)).with_ordinal(1),
            bare_col("name", SourceType::Varchar(10)).with_ordinal(2),
            bare_col("extra", int_type(IntWidth::Int, false)).with_ordinal(3),
        ],
        keys: pk.clone(),
        comment: String::new(),
        data_length: 0,
    };
    let d2 = TableDesc {
        database: db.clone(),
        name: "s_2".into(),
        columns: vec![
            bare_col("name", SourceType::Varchar(10)).with_ordinal(1),
            bare_col("id", int_type(IntWidth::Int, true)).with_ordinal(2),
        ],
        keys: pk,
        comment: String::new(),
        data_length: 0,
    };
    let r1 = SourceRef {
        database: db.clone(),
        table: "s_1".into(),
    };
    let r2 = SourceRef {
        database: db.clone(),
        table: "s_2".into(),
    };
    let table = captured(
        plan_for(&d1, vec![r1.clone(), r2.clone()], true),
        vec![d1, d2],
    );
    let tz = TimeZoneSpec::Fixed(0);
    let mut reader = BinlogReader::open_with(
        &source_config(),
        50_000 + (std::process::id() % 10_000),
        &p0,
        vec![table],
        &tz,
        ReaderOptions {
            non_block: true,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let mut rows = Vec::new();
    let mut ddl = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        match ev {
            SourceEvent::Rows {
                source, changes, ..
            } => {
                for ch in changes {
                    if let RowChange::Insert(r) | RowChange::Upsert(r) = ch {
                        rows.push((source.table.clone(), r));
                    }
                }
            }
            SourceEvent::Ddl { sql, database, .. } if database == db || sql.contains(&db) => {
                ddl.push(sql)
            }
            _ => {}
        }
    }
    assert!(
        ddl.iter().any(|s| s.starts_with("CREATE TABLE s_1")),
        "{ddl:?}"
    );
    assert!(
        ddl.iter().any(|s| s.starts_with("CREATE TABLE s_2")),
        "{ddl:?}"
    );
    assert!(
        !ddl.iter().any(|s| s.contains("other")),
        "DDL of an uncaptured table is not reported: {ddl:?}"
    );
    let s = |x: &str| Cell::Str(x.into());
    let n = |x: &str| Cell::Num(x.into());
    assert_eq!(
        rows,
        vec![
            (
                "s_1".to_string(),
                vec![n("4294967295"), s("a"), n("7"), s(&db), s("s_1")]
            ),
            (
                "s_2".to_string(),
                vec![n("2"), s("b"), Cell::Null, s(&db), s("s_2")]
            ),
        ],
        "rows of `other` are ignored; shard columns mapped by name; missing column NULL"
    );
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn purged_or_unknown_position_is_a_clear_error() {
    let mut c = conn();
    let now = master_status(&mut c).unwrap();
    assert!(position_exists(&mut c, &now).unwrap());
    assert!(!position_exists(
        &mut c,
        &BinlogPosition::new(now.file.clone(), now.pos + 1_000_000_000)
    )
    .unwrap());
    let gone = BinlogPosition::new("mysql-bin.999999", 4);
    assert!(!position_exists(&mut c, &gone).unwrap());
    let err = BinlogReader::open(
        &source_config(),
        60_001,
        &gone,
        vec![],
        &TimeZoneSpec::Fixed(0),
    )
    .err()
    .expect("must fail");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("mysql-bin.999999:4") && msg.contains("smt sync --reset"),
        "{msg}"
    );
}

#[test]
fn preflight_on_the_test_server_passes() {
    let mut c = conn();
    assert_eq!(check_binlog_settings(&mut c), Ok(()));
}

#[test]
fn server_time_zone_resolves() {
    let info = server();
    let tz = smt::source::time_zone(&info, None).unwrap();
    // The test server runs in UTC (SYSTEM = UTC).
    match tz {
        TimeZoneSpec::Fixed(s) => assert_eq!(s, 0),
        TimeZoneSpec::Named(z) => assert_eq!(z.to_offset(jiff::Timestamp::now()).seconds(), 0),
    }
    assert!(matches!(
        smt::source::time_zone(&info, Some("+08:00")).unwrap(),
        TimeZoneSpec::Fixed(28800)
    ));
}

fn simple_table(db: &str, name: &str, with_pk: bool) -> TablePlan {
    let desc = TableDesc {
        database: db.into(),
        name: name.into(),
        columns: vec![
            bare_col("id", int_type(IntWidth::Int, false))
                .with_ordinal(1)
                .not_null(),
            bare_col("v", SourceType::Varchar(20)).with_ordinal(2),
        ],
        keys: if with_pk {
            vec![KeyDesc {
                name: "PRIMARY".into(),
                kind: KeyKind::Primary,
                columns: vec!["id".into()],
            }]
        } else {
            vec![]
        },
        comment: String::new(),
        data_length: 0,
    };
    let sref = SourceRef {
        database: db.into(),
        table: name.into(),
    };
    captured(plan_for(&desc, vec![sref], false), vec![desc])
}

#[test]
fn keyless_tables_are_paged_completely() {
    let db = format!("it_sync_src_nk_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.nk (id INT NOT NULL, v VARCHAR(20))"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{db}`.nk VALUES (1,'a'),(1,'a'),(2,NULL),(3,''),(4,'d')"
    ))
    .unwrap();
    c.query_drop(format!("ANALYZE TABLE `{db}`.nk")).unwrap();
    let table = simple_table(&db, "nk", false);
    let sref = table.sources[0].clone();
    let (mut snap, _) = Snapshot::begin(&source_config(), &server()).unwrap();
    // Rows written after the snapshot began are invisible to it.
    c.query_drop(format!("INSERT INTO `{db}`.nk VALUES (99,'late')"))
        .unwrap();
    let est = snap.estimate_rows(&sref).unwrap();
    assert!(est <= 6, "estimate {est}");
    let mut all = Vec::new();
    let mut after: Option<Vec<mysql::Value>> = None;
    loop {
        let ch = snap
            .read_chunk(
                &table,
                &sref,
                after.as_deref(),
                (None, None),
                2,
                &TimeZoneSpec::Fixed(0),
            )
            .unwrap();
        assert!(ch.rows.len() <= 2);
        assert!(ch.bytes > 0 || ch.rows.is_empty());
        all.extend(ch.rows);
        after = ch.last_key;
        if ch.done {
            break;
        }
    }
    let mut texts: Vec<Vec<Option<String>>> = all
        .iter()
        .map(|r| r.iter().map(|c| c.text().map(str::to_string)).collect())
        .collect();
    texts.sort();
    let o = |s: &str| Some(s.to_string());
    assert_eq!(
        texts,
        vec![
            vec![o("1"), o("a")],
            vec![o("1"), o("a")],
            vec![o("2"), None],
            vec![o("3"), o("")],
            vec![o("4"), o("d")],
        ]
    );
    snap.finish().unwrap();
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn blocking_reader_follows_live_writes_and_survives_a_killed_connection() {
    let db = format!("it_sync_src_bl_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))"
    ))
    .unwrap();
    let table = simple_table(&db, "t", true);
    let start = master_status(&mut c).unwrap();
    let mut reader = BinlogReader::open(
        &source_config(),
        61_000 + (std::process::id() % 1000),
        &start,
        vec![table],
        &TimeZoneSpec::Fixed(0),
    )
    .unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (1, 'one')"))
        .unwrap();

    // Read (blocking) until the marker row's transaction commits.
    let read_until = |reader: &mut BinlogReader,
                      want: &str|
     -> (Vec<SourceEvent>, BinlogPosition) {
        let mut seen = Vec::new();
        let mut got = false;
        loop {
            let ev = reader
                .next_event()
                .unwrap()
                .expect("a blocking reader never reports idle as None");
            if let SourceEvent::Rows { changes, .. } = &ev {
                got |= changes.iter().any(
                        |c| matches!(c, RowChange::Insert(r) | RowChange::Upsert(r) if r[1] == Cell::Str(want.into())),
                    );
            }
            if let SourceEvent::Commit { end, .. } = &ev {
                if got {
                    seen.push(ev.clone());
                    return (seen, end.clone());
                }
            }
            seen.push(ev);
            assert!(seen.len() < 100_000, "marker never arrived");
        }
    };
    let (_, commit1) = read_until(&mut reader, "one");
    assert!(commit1 > start);

    // Kill the replication connection; the reader reconnects at its last commit and says so.
    let id = reader.connection_id();
    assert!(id > 0);
    c.query_drop(format!("KILL CONNECTION {id}")).unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (2, 'two')"))
        .unwrap();
    let (seen, _) = read_until(&mut reader, "two");
    // The reader resumes at the last Commit it returned (other sessions' transactions may have
    // committed between ours and the kill).
    let at = seen
        .iter()
        .position(|e| matches!(e, SourceEvent::Restarted { .. }))
        .expect("a Restarted event");
    let last_commit = seen[..at]
        .iter()
        .rev()
        .find_map(|e| match e {
            SourceEvent::Commit { end, .. } => Some(end.clone()),
            _ => None,
        })
        .unwrap_or_else(|| commit1.clone());
    assert_eq!(
        seen[at],
        SourceEvent::Restarted { from: last_commit },
        "{seen:?}"
    );
    assert_ne!(reader.connection_id(), id);
    assert!(reader.server_position().unwrap() >= commit1);
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn snapshot_position_plus_binlog_equals_final_state() {
    snapshot_plus_binlog("cp", 62_000, true);
}

/// Without `@mariadb_slave_capability` MariaDB sends BEGIN queries and `# Dummy event`s instead of
/// its GTID events: the MySQL-like flow.
#[test]
fn snapshot_plus_binlog_without_mariadb_gtid_events() {
    snapshot_plus_binlog("cq", 70_000, false);
}

fn snapshot_plus_binlog(tag: &str, server_id_base: u32, gtid_events: bool) {
    let db = format!("it_sync_src_{tag}_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))"
    ))
    .unwrap();
    c.query_drop(format!(
        "INSERT INTO `{db}`.t VALUES (1,'a'),(2,'b'),(3,'c')"
    ))
    .unwrap();
    let table = simple_table(&db, "t", true);
    let sref = table.sources[0].clone();
    let tz = TimeZoneSpec::Fixed(0);

    let (mut snap, pos) = Snapshot::begin(&source_config(), &server()).unwrap();
    // Writes after the snapshot began: invisible to it, visible in the binlog after `pos`.
    c.query_drop(format!("UPDATE `{db}`.t SET v = 'b2' WHERE id = 2"))
        .unwrap();
    c.query_drop(format!("DELETE FROM `{db}`.t WHERE id = 3"))
        .unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (4,'d')"))
        .unwrap();
    c.query_drop(format!("ALTER TABLE `{db}`.t COMMENT 'c'"))
        .unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (5,'e')"))
        .unwrap();
    let ch = snap
        .read_chunk(&table, &sref, None, (None, None), 100, &tz)
        .unwrap();
    assert!(ch.done);
    let mut state: BTreeMap<(String, String), Row> = BTreeMap::new();
    for r in ch.rows {
        state.insert((r[0].text().unwrap().to_string(), String::new()), r);
    }
    let snap_keys: Vec<&str> = state.keys().map(|k| k.0.as_str()).collect();
    assert_eq!(
        snap_keys,
        vec!["1", "2", "3"],
        "the snapshot sees the state at its start"
    );
    snap.finish().unwrap();

    let mut reader = BinlogReader::open_with(
        &source_config(),
        server_id_base + (std::process::id() % 1000),
        &pos,
        vec![table],
        &tz,
        ReaderOptions {
            non_block: true,
            mariadb_gtid_events: gtid_events,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let mut pending = Vec::new();
    let mut applied = 0;
    let mut ddl = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        match ev {
            SourceEvent::Ddl { sql, .. } if sql.contains(&db) => {
                assert!(pending.is_empty(), "DDL is its own transaction");
                ddl.push((applied, sql));
            }
            SourceEvent::Rows { changes, .. } => pending.extend(changes),
            SourceEvent::Commit { gtid, .. } => {
                if !pending.is_empty() {
                    assert_eq!(
                        gtid.is_some(),
                        gtid_events,
                        "GTID of our transaction: {gtid:?}"
                    );
                }
                for ch in pending.drain(..) {
                    applied += 1;
                    match ch {
                        RowChange::Insert(r) | RowChange::Upsert(r) => {
                            state.insert((r[0].text().unwrap().to_string(), String::new()), r);
                        }
                        RowChange::Delete(r) => {
                            state.remove(&(r[0].text().unwrap().to_string(), String::new()));
                        }
                        RowChange::Replace { .. } => {
                            panic!("a PRIMARY KEY table yielded a keyless update")
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        applied, 4,
        "exactly the four later changes are in the binlog after the snapshot position"
    );
    assert_eq!(ddl.len(), 1, "the ALTER: {ddl:?}");
    assert_eq!(ddl[0].0, 3, "the ALTER comes after three changes: {ddl:?}");
    let fin: Vec<(String, Option<String>)> = state
        .values()
        .map(|r| {
            (
                r[0].text().unwrap().to_string(),
                r[1].text().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        fin,
        vec![
            ("1".into(), Some("a".into())),
            ("2".into(), Some("b2".into())),
            ("4".into(), Some("d".into())),
            ("5".into(), Some("e".into()))
        ]
    );
}

#[test]
fn unreachable_source_error_names_host_and_port() {
    let mut src = source_config();
    src.port = 1; // nothing listens there
    let err = Snapshot::begin(&src, &server()).err().expect("must fail");
    let msg = format!("{err:#}");
    assert!(msg.contains(&format!("{}:1", src.host)), "{msg}");
    assert!(
        !msg.contains(src.password.expose()),
        "never print the password"
    );
}

#[test]
fn one_table_feeds_two_targets_and_idle_gives_heartbeats() {
    let db = format!("it_sync_src_hb_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))"
    ))
    .unwrap();
    let a = simple_table(&db, "t", true);
    let mut b = simple_table(&db, "t", true);
    b.target_table = "t_copy".into();
    let start = master_status(&mut c).unwrap();
    let opts = ReaderOptions {
        heartbeat: std::time::Duration::from_millis(100),
        ..ReaderOptions::default()
    };
    let mut reader = BinlogReader::open_with(
        &source_config(),
        63_000 + (std::process::id() % 1000),
        &start,
        vec![a, b],
        &TimeZoneSpec::Fixed(0),
        opts,
    )
    .unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (7, 'seven')"))
        .unwrap();
    let mut targets = Vec::new();
    let mut heartbeat = None;
    for _ in 0..1_000_000 {
        match reader.next_event().unwrap().expect("blocking") {
            SourceEvent::Rows {
                target, changes, ..
            } => {
                assert_eq!(
                    changes,
                    vec![RowChange::Insert(vec![
                        Cell::Num("7".into()),
                        Cell::Str("seven".into())
                    ])]
                );
                targets.push(target);
            }
            SourceEvent::Heartbeat { pos, .. } if targets.len() == 2 => {
                heartbeat = Some(pos);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(targets, vec![0, 1], "one Rows event per capturing target");
    let hb = heartbeat.expect("an idle stream sends heartbeats");
    assert!(hb > start, "heartbeat position {hb} is past {start}");
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn keyset_pages_decimal_and_bit_keys_exactly() {
    let db = format!("it_sync_src_dk_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (d DECIMAL(30,10) NOT NULL, b BIT(8) NOT NULL, e ENUM('x','y') NOT NULL, PRIMARY KEY (d, b, e))"
    ))
    .unwrap();
    // Keys that differ only beyond double precision.
    c.query_drop(format!(
        "INSERT INTO `{db}`.t VALUES (12345678901234567890.0000000001, 1, 'x'), (12345678901234567890.0000000002, 1, 'x'),
         (12345678901234567890.0000000002, 2, 'x'), (12345678901234567890.0000000002, 2, 'y'), (-1, 255, 'y')"
    ))
    .unwrap();
    let desc = TableDesc {
        database: db.clone(),
        name: "t".into(),
        columns: vec![
            bare_col(
                "d",
                SourceType::Decimal {
                    precision: 30,
                    scale: 10,
                    unsigned: false,
                },
            )
            .with_ordinal(1)
            .not_null(),
            bare_col("b", SourceType::Bit(8)).with_ordinal(2).not_null(),
            bare_col("e", SourceType::Enum(vec!["x".into(), "y".into()]))
                .with_ordinal(3)
                .not_null(),
        ],
        keys: vec![KeyDesc {
            name: "PRIMARY".into(),
            kind: KeyKind::Primary,
            columns: vec!["d".into(), "b".into(), "e".into()],
        }],
        comment: String::new(),
        data_length: 0,
    };
    let sref = SourceRef {
        database: db.clone(),
        table: "t".into(),
    };
    let table = captured(plan_for(&desc, vec![sref.clone()], false), vec![desc]);
    let (mut snap, _) = Snapshot::begin(&source_config(), &server()).unwrap();
    let mut got = Vec::new();
    let mut after: Option<Vec<mysql::Value>> = None;
    for _ in 0..20 {
        let ch = snap
            .read_chunk(
                &table,
                &sref,
                after.as_deref(),
                (None, None),
                1,
                &TimeZoneSpec::Fixed(0),
            )
            .unwrap();
        got.extend(ch.rows.into_iter().map(|r| {
            r.iter()
                .map(|c| c.text().unwrap_or("NULL").to_string())
                .collect::<Vec<_>>()
                .join("|")
        }));
        after = ch.last_key;
        if ch.done {
            break;
        }
    }
    assert_eq!(
        got,
        vec![
            "-1.0000000000|255|y",
            "12345678901234567890.0000000001|1|x",
            "12345678901234567890.0000000002|1|x",
            "12345678901234567890.0000000002|2|x",
            "12345678901234567890.0000000002|2|y",
        ]
    );
    snap.finish().unwrap();
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn binary_padding_and_latin1_text_agree() {
    let db = format!("it_sync_src_cs_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    let p0 = master_status(&mut c).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, bn BINARY(4), l1 VARCHAR(10) CHARACTER SET latin1,
         c1 CHAR(5) CHARACTER SET latin1, c2 CHAR(5)) DEFAULT CHARSET=utf8mb4"
    ))
    .unwrap();
    c.query_drop("SET NAMES utf8mb4").unwrap();
    c.query_drop(format!(
        "INSERT INTO `{db}`.t VALUES (1, x'0100', 'café €', 'ñ  ', 'ü '), (2, x'00000000', '', '', ''), (3, 'abcd', 'x', 'y', 'z')"
    ))
    .unwrap();
    let l1 = bare_col("l1", SourceType::Varchar(10))
        .with_ordinal(3)
        .with_charset("latin1");
    let c1 = bare_col("c1", SourceType::Char(5))
        .with_ordinal(4)
        .with_charset("latin1");
    let c2 = bare_col("c2", SourceType::Char(5))
        .with_ordinal(5)
        .with_charset("utf8mb4");
    let (table, sref) = single_table(
        &db,
        vec![
            bare_col("id", int_type(IntWidth::Int, false))
                .with_ordinal(1)
                .not_null(),
            bare_col("bn", SourceType::Binary(4)).with_ordinal(2),
            l1,
            c1,
            c2,
        ],
    );
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let tz = TimeZoneSpec::Fixed(0);
    let snap = snapshot_rows(&table, &sref, &tz);
    let one = snap
        .values()
        .find(|r| r[0] == Cell::Num("1".into()))
        .unwrap();
    // key_of uses the first two cells; here the 2nd is `bn`.
    assert_eq!(
        one[1],
        Cell::Str("01000000".into()),
        "BINARY(4) keeps its zero padding"
    );
    assert_eq!(one[2], Cell::Str("café €".into()));
    assert_eq!(one[3], Cell::Str("ñ".into()), "CHAR drops trailing spaces");
    let mut reader = BinlogReader::open_with(
        &source_config(),
        64_000 + (std::process::id() % 1000),
        &p0,
        vec![table],
        &tz,
        ReaderOptions {
            non_block: true,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let mut state = BTreeMap::new();
    drain(&mut reader, &mut state);
    let _ = &names;
    let snap_rows: Vec<&Row> = snap.values().collect();
    let bin_rows: Vec<&Row> = state.values().collect();
    assert_eq!(snap_rows, bin_rows);
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

/// Create `ddl` in a fresh database, run `inserts`, then render the table through the snapshot
/// and through the binlog (from before the CREATE) and require identical rows. Returns the rows.
fn snapshot_equals_binlog(
    tag: &str,
    ddl: &str,
    inserts: &[&str],
    cols: Vec<(&str, SourceType)>,
) -> Vec<Row> {
    let db = format!("it_sync_src_{tag}_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    let p0 = master_status(&mut c).unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!("USE `{db}`")).unwrap();
    c.query_drop("SET SESSION sql_mode = '', time_zone = '+00:00'")
        .unwrap();
    c.query_drop(ddl).unwrap();
    for i in inserts {
        c.query_drop(*i).unwrap();
    }
    let (table, sref) = single_table(
        &db,
        cols.into_iter()
            .enumerate()
            .map(|(i, (n, t))| bare_col(n, t).with_ordinal(i as u32 + 1))
            .collect(),
    );
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let tz = TimeZoneSpec::parse("Asia/Shanghai").unwrap();
    let snap = snapshot_rows(&table, &sref, &tz);
    let mut reader = BinlogReader::open_with(
        &source_config(),
        65_000 + (std::process::id() % 1000),
        &p0,
        vec![table],
        &tz,
        ReaderOptions {
            non_block: true,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let mut state = BTreeMap::new();
    drain(&mut reader, &mut state);
    assert_same(&snap, &state, &names);
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
    snap.into_values().collect()
}

#[test]
fn more_types_render_identically() {
    let e300: Vec<String> = (0..300).map(|i| format!("e{i}")).collect();
    let enum_ddl = e300
        .iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(",");
    let s12: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    let set_ddl = s12
        .iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(",");
    let ddl = format!(
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, k2 INT, mi MEDIUMINT, si SMALLINT, du DECIMAL(10,0) UNSIGNED,
         fl FLOAT, tt TINYTEXT, mt MEDIUMTEXT, lb LONGBLOB, d3 DATETIME(3), t0 TIME, t1 TIME(1), ts3 TIMESTAMP(3) NULL DEFAULT NULL,
         en ENUM({enum_ddl}), st SET({set_ddl}), b9 BIT(9), yr YEAR, ls LINESTRING, mls MULTILINESTRING, mpg MULTIPOLYGON,
         gc GEOMETRYCOLLECTION, js JSON, gv INT AS (id * 2) VIRTUAL, gs VARCHAR(20) AS (CONCAT('g', id)) STORED)"
    );
    let cols = vec![
        ("id", int_type(IntWidth::Int, false)),
        ("k2", int_type(IntWidth::Int, false)),
        ("mi", int_type(IntWidth::Medium, false)),
        ("si", int_type(IntWidth::Small, false)),
        (
            "du",
            SourceType::Decimal {
                precision: 10,
                scale: 0,
                unsigned: true,
            },
        ),
        ("fl", SourceType::Float { unsigned: false }),
        ("tt", SourceType::Text(TextKind::Tiny)),
        ("mt", SourceType::Text(TextKind::Medium)),
        ("lb", SourceType::Blob(TextKind::Long)),
        ("d3", SourceType::DateTime { fsp: 3 }),
        ("t0", SourceType::Time { fsp: 0 }),
        ("t1", SourceType::Time { fsp: 1 }),
        ("ts3", SourceType::Timestamp { fsp: 3 }),
        ("en", SourceType::Enum(e300.clone())),
        ("st", SourceType::Set(s12.clone())),
        ("b9", SourceType::Bit(9)),
        ("yr", SourceType::Year),
        ("ls", SourceType::Geometry(GeometryKind::LineString)),
        ("mls", SourceType::Geometry(GeometryKind::MultiLineString)),
        ("mpg", SourceType::Geometry(GeometryKind::MultiPolygon)),
        ("gc", SourceType::Geometry(GeometryKind::GeometryCollection)),
        ("js", SourceType::Json),
        ("gv", int_type(IntWidth::Int, false)),
        ("gs", SourceType::Varchar(20)),
    ];
    let ins1 = "INSERT INTO t (id,k2,mi,si,du,fl,tt,mt,lb,d3,t0,t1,ts3,en,st,b9,yr,ls,mls,mpg,gc,js) VALUES
        (1, -2147483648, -8388608, -32768, 9999999999, 3.40282e38, 'tiny', REPEAT('m', 70000), REPEAT(x'00ff', 40000),
         '2024-12-31 23:59:59.999', '-00:00:01', '-00:00:00.5', '1970-01-01 00:00:01.001', 'e299', 's0,s11', b'100000001', 1901,
         ST_GeomFromText('LINESTRING(0 0,1.25 -1,2 2)'), ST_GeomFromText('MULTILINESTRING((0 0,1 1),(2 2,3 3))'),
         ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))'), ST_GeomFromText('GEOMETRYCOLLECTION EMPTY'),
         '\"\\\\u00e9 \\\\n\"')";
    let ins2 = "INSERT INTO t (id) VALUES (2)";
    let rows = snapshot_equals_binlog("mt", &ddl, &[ins1, ins2], cols);
    let r1 = rows.iter().find(|r| r[0] == Cell::Num("1".into())).unwrap();
    let t = |i: usize| r1[i].text().map(str::to_string);
    assert_eq!(t(2).as_deref(), Some("-8388608"));
    assert_eq!(t(4).as_deref(), Some("9999999999"));
    assert_eq!(t(7).map(|s| s.len()), Some(70000));
    assert_eq!(t(8).map(|s| s.len()), Some(160000));
    assert_eq!(t(9).as_deref(), Some("2024-12-31 23:59:59.999"));
    assert_eq!(t(10).as_deref(), Some("-00:00:01"));
    assert_eq!(t(11).as_deref(), Some("-00:00:00.5"));
    assert_eq!(
        t(12).as_deref(),
        Some("1970-01-01 08:00:01.001"),
        "Asia/Shanghai"
    );
    assert_eq!(t(13).as_deref(), Some("e299"), "2-byte ENUM index");
    assert_eq!(t(14).as_deref(), Some("s0,s11"), "2-byte SET mask");
    assert_eq!(t(15).as_deref(), Some("257"));
    assert_eq!(t(16).as_deref(), Some("1901"));
    assert_eq!(t(17).as_deref(), Some("LINESTRING(0 0,1.25 -1,2 2)"));
    assert_eq!(
        t(18).as_deref(),
        Some("MULTILINESTRING((0 0,1 1),(2 2,3 3))")
    );
    assert_eq!(
        t(19).as_deref(),
        Some("MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))")
    );
    assert_eq!(t(20).as_deref(), Some("GEOMETRYCOLLECTION EMPTY"));
    assert_eq!(t(22).as_deref(), Some("2"), "VIRTUAL column value");
    assert_eq!(t(23).as_deref(), Some("g1"), "STORED column value");
}

#[test]
fn decimal_and_temporal_extremes_render_identically() {
    let s64: Vec<String> = (0..64).map(|i| format!("m{i}")).collect();
    let set_ddl = s64
        .iter()
        .map(|l| format!("'{l}'"))
        .collect::<Vec<_>>()
        .join(",");
    let ddl = format!(
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, d1 DECIMAL(1,0), d5 DECIMAL(5,5), d18 DECIMAL(18,9), d65 DECIMAL(65,30),
         dz DECIMAL(65,0) UNSIGNED, dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL, t3 TIME(3), t5 TIME(5), t6 TIME(6),
         st SET({set_ddl}), g GEOMETRY, dbl DOUBLE)"
    );
    let cols = vec![
        ("id", int_type(IntWidth::Int, false)),
        (
            "d1",
            SourceType::Decimal {
                precision: 1,
                scale: 0,
                unsigned: false,
            },
        ),
        (
            "d5",
            SourceType::Decimal {
                precision: 5,
                scale: 5,
                unsigned: false,
            },
        ),
        (
            "d18",
            SourceType::Decimal {
                precision: 18,
                scale: 9,
                unsigned: false,
            },
        ),
        (
            "d65",
            SourceType::Decimal {
                precision: 65,
                scale: 30,
                unsigned: false,
            },
        ),
        (
            "dz",
            SourceType::Decimal {
                precision: 65,
                scale: 0,
                unsigned: true,
            },
        ),
        ("dt", SourceType::Date),
        ("dtm", SourceType::DateTime { fsp: 6 }),
        ("ts", SourceType::Timestamp { fsp: 6 }),
        ("t3", SourceType::Time { fsp: 3 }),
        ("t5", SourceType::Time { fsp: 5 }),
        ("t6", SourceType::Time { fsp: 6 }),
        ("st", SourceType::Set(s64)),
        ("g", SourceType::Geometry(GeometryKind::Geometry)),
        ("dbl", SourceType::Double { unsigned: false }),
    ];
    let all_set = (0..64)
        .map(|i| format!("m{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let ins = [
        format!(
            "INSERT INTO t VALUES (1, -9, -0.99999, -123456789.123456789,
             99999999999999999999999999999999999.999999999999999999999999999999, 99999999999999999999999999999999999999999999999999999999999999999,
             '0001-01-01', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '-838:59:59.999', '-00:00:00.00001', '838:59:59.999999',
             '{all_set}', ST_GeomFromText('POINT(116.4 39.9)', 4326), -0.0)"
        ),
        "INSERT INTO t VALUES (2, 0, 0.00001, 0.000000001, -0.000000000000000000000000000001, 0, '1000-01-01', '1000-01-01 00:00:00.000001',
         '1970-01-01 00:00:01', '-00:00:00.001', '00:00:00', '-838:59:59.999999', 'm63', ST_GeomFromText('POLYGON EMPTY'), 1e-300)"
            .to_string(),
        "INSERT INTO t VALUES (3, 5, 0.5, 100000000.000000001, 1.5, 1000000000000000000000, '2024-02-29', '2024-02-29 00:00:00',
         '2024-02-29 12:00:00', '12:00:00.5', '-12:00:00.12345', '-01:00:00.000001', '', NULL, 123456789012345680000)"
            .to_string(),
    ];
    let ins_ref: Vec<&str> = ins.iter().map(String::as_str).collect();
    let rows = snapshot_equals_binlog("dx", &ddl, &ins_ref, cols);
    let r = |id: &str| {
        rows.iter()
            .find(|r| r[0] == Cell::Num(id.into()))
            .unwrap()
            .iter()
            .map(|c| c.text().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let r1 = r("1");
    assert_eq!(r1[3].as_deref(), Some("-123456789.123456789"));
    assert_eq!(
        r1[5].as_deref(),
        Some("99999999999999999999999999999999999999999999999999999999999999999")
    );
    assert_eq!(r1[6].as_deref(), Some("0001-01-01"));
    assert_eq!(
        r1[8].as_deref(),
        Some("2038-01-19 11:14:07.999999"),
        "Asia/Shanghai"
    );
    assert_eq!(r1[9].as_deref(), Some("-838:59:59.999"));
    assert_eq!(r1[10].as_deref(), Some("-00:00:00.00001"));
    assert_eq!(r1[12].as_deref(), Some(all_set.as_str()));
    assert_eq!(
        r1[13].as_deref(),
        Some("POINT(116.4 39.9)"),
        "SRID prefix skipped"
    );
    let r2 = r("2");
    assert_eq!(r2[4].as_deref(), Some("-0.000000000000000000000000000001"));
    assert_eq!(r2[11].as_deref(), Some("-838:59:59.999999"));
    let r3 = r("3");
    assert_eq!(r3[3].as_deref(), Some("100000000.000000001"));
    assert_eq!(r3[10].as_deref(), Some("-12:00:00.12345"));
    assert_eq!(r3[11].as_deref(), Some("-01:00:00.000001"));
}

#[test]
fn unknown_types_fail_clearly_in_the_binlog() {
    let db = format!("it_sync_src_uk_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, u UUID)"
    ))
    .unwrap();
    let p0 = master_status(&mut c).unwrap();
    c.query_drop(format!(
        "INSERT INTO `{db}`.t VALUES (1, '123e4567-e89b-12d3-a456-426655440000')"
    ))
    .unwrap();
    let (table, sref) = single_table(
        &db,
        vec![
            bare_col("id", int_type(IntWidth::Int, false))
                .with_ordinal(1)
                .not_null(),
            bare_col("u", SourceType::Unknown("uuid".into())).with_ordinal(2),
        ],
    );
    let tz = TimeZoneSpec::Fixed(0);
    let snap = snapshot_rows(&table, &sref, &tz);
    assert_eq!(
        snap.values().next().unwrap()[1],
        Cell::Str("123e4567-e89b-12d3-a456-426655440000".into())
    );
    let mut reader = BinlogReader::open_with(
        &source_config(),
        66_000 + (std::process::id() % 1000),
        &p0,
        vec![table],
        &tz,
        ReaderOptions {
            non_block: true,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let err = loop {
        match reader.next_event() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the UUID row must not render silently"),
            Err(e) => break format!("{e:#}"),
        }
    };
    assert!(
        err.contains("type uuid") && err.contains("exclude the column"),
        "{err}"
    );
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn limited_user_preflight_and_reconnect_giving_up() {
    let tag = std::process::id();
    let db = format!("it_sync_src_us_{tag}");
    let user = format!("it_sync_src_u{tag}");
    let mut c = conn();
    c.query_drop(format!("DROP USER IF EXISTS '{user}'@'%'"))
        .unwrap();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))"
    ))
    .unwrap();
    c.query_drop(format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{tag}'"))
        .unwrap();
    struct DropUser(String);
    impl Drop for DropUser {
        fn drop(&mut self) {
            let _ = conn().query_drop(format!("DROP USER IF EXISTS '{}'@'%'", self.0));
        }
    }
    let _drop_user = DropUser(user.clone());
    c.query_drop(format!("GRANT SELECT ON `{db}`.* TO '{user}'@'%'"))
        .unwrap();
    c.query_drop(format!("GRANT REPLICATION SLAVE ON *.* TO '{user}'@'%'"))
        .unwrap();
    let mut src = source_config();
    src.user = user.clone();
    src.password = Secret::new(format!("pw-{tag}"));
    let mut uc = smt::source::connect(&src).unwrap();
    let problems = check_binlog_settings(&mut uc).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("lacks REPLICATION CLIENT")
            && problems[0].contains("GRANT REPLICATION CLIENT ON *.*"),
        "{problems:?}"
    );
    c.query_drop(format!("GRANT REPLICATION CLIENT ON *.* TO '{user}'@'%'"))
        .unwrap();
    let mut uc = smt::source::connect(&src).unwrap();
    assert_eq!(check_binlog_settings(&mut uc), Ok(()));

    let start = master_status(&mut c).unwrap();
    let table = simple_table(&db, "t", true);
    let opts = ReaderOptions {
        max_reconnects: 2,
        backoff: std::time::Duration::from_millis(10),
        ..ReaderOptions::default()
    };
    let mut reader = BinlogReader::open_with(
        &src,
        67_000 + (tag % 1000),
        &start,
        vec![table],
        &TimeZoneSpec::Fixed(0),
        opts,
    )
    .unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (1, 'x')"))
        .unwrap();
    loop {
        if let SourceEvent::Rows { .. } = reader.next_event().unwrap().expect("blocking") {
            break;
        }
    }
    // The account is locked and the connection killed: reconnecting fails, and after the
    // configured attempts the error names the server.
    c.query_drop(format!("ALTER USER '{user}'@'%' ACCOUNT LOCK"))
        .unwrap();
    c.query_drop(format!("KILL CONNECTION {}", reader.connection_id()))
        .unwrap();
    let err = loop {
        match reader.next_event() {
            Ok(_) => continue,
            Err(e) => break format!("{e:#}"),
        }
    };
    let want = format!("{}:{}", src.host, src.port);
    assert!(
        err.contains(&want) && err.contains("after 2 attempts"),
        "{err}"
    );
    assert!(!err.contains(&format!("pw-{tag}")), "no password in errors");
    c.query_drop(format!("DROP USER '{user}'@'%'")).unwrap();
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

/// Throughput numbers for the report (not a correctness test): `cargo test --test
/// sync_source_roundtrip measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_snapshot_and_binlog_throughput() {
    let db = format!("it_sync_src_me_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))"
    ))
    .unwrap();
    let start = master_status(&mut c).unwrap();
    let n = 200_000;
    c.query_drop(format!(
        "INSERT INTO `{db}`.t SELECT seq, CONCAT('value-', seq) FROM `{db}`.seq_1_to_{n}"
    ))
    .unwrap();
    let table = simple_table(&db, "t", true);
    let sref = table.sources[0].clone();
    let tz = TimeZoneSpec::Fixed(0);
    let t0 = std::time::Instant::now();
    let (mut snap, _) = Snapshot::begin(&source_config(), &server()).unwrap();
    let mut after: Option<Vec<mysql::Value>> = None;
    let mut rows = 0;
    loop {
        let ch = snap
            .read_chunk(&table, &sref, after.as_deref(), (None, None), 10_000, &tz)
            .unwrap();
        rows += ch.rows.len();
        after = ch.last_key;
        if ch.done {
            break;
        }
    }
    let snap_s = t0.elapsed().as_secs_f64();
    snap.finish().unwrap();
    assert_eq!(rows, n);
    let t1 = std::time::Instant::now();
    let mut reader = BinlogReader::open_with(
        &source_config(),
        68_000 + (std::process::id() % 1000),
        &start,
        vec![table],
        &tz,
        ReaderOptions {
            non_block: true,
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let mut changes = 0;
    while let Some(ev) = reader.next_event().unwrap() {
        if let SourceEvent::Rows { changes: ch, .. } = ev {
            changes += ch.len();
        }
    }
    let bin_s = t1.elapsed().as_secs_f64();
    assert_eq!(changes, n);
    println!(
        "snapshot: {n} rows in {snap_s:.2}s ({:.0} rows/s); binlog: {n} rows in {bin_s:.2}s ({:.0} rows/s)",
        n as f64 / snap_s,
        n as f64 / bin_s
    );
    c.query_drop(format!("DROP DATABASE `{db}`")).unwrap();
}

#[test]
fn a_connection_lost_inside_a_transaction_redelivers_it_whole() {
    let db = format!("it_sync_src_mx_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL PRIMARY KEY, v VARCHAR(400))"
    ))
    .unwrap();
    let table = simple_table(&db, "t", true);
    let start = master_status(&mut c).unwrap();
    let mut reader = BinlogReader::open(
        &source_config(),
        69_000 + (std::process::id() % 1000),
        &start,
        vec![table],
        &TimeZoneSpec::Fixed(0),
    )
    .unwrap();
    // One transaction far larger than the socket buffers (~40 MB), so the server is still
    // sending it when the connection is killed.
    c.query_drop(format!(
        "INSERT INTO `{db}`.t SELECT seq, REPEAT('x', 400) FROM `{db}`.seq_1_to_100000"
    ))
    .unwrap();
    let first_batch = loop {
        if let SourceEvent::Rows { changes, .. } = reader.next_event().unwrap().expect("blocking") {
            break changes.len();
        }
    };
    assert!(
        first_batch > 0 && first_batch < 100_000,
        "several rows events: {first_batch}"
    );
    c.query_drop(format!("KILL CONNECTION {}", reader.connection_id()))
        .unwrap();
    let mut after_restart = 0;
    let mut restarted = false;
    loop {
        match reader.next_event().unwrap().expect("blocking") {
            SourceEvent::Restarted { .. } => {
                restarted = true;
                after_restart = 0;
            }
            SourceEvent::Rows { changes, .. } => after_restart += changes.len(),
            SourceEvent::Commit { .. } if after_restart > 0 => break,
            _ => {}
        }
    }
    assert!(
        restarted,
        "the consumer is told to drop the partial transaction"
    );
    assert_eq!(
        after_restart, 100_000,
        "the whole transaction is delivered again after the restart"
    );
}

/// A table whose snapshot is newer than where the binlog replay starts (another table's older
/// snapshot, a re-read after a crash) was altered in between: the reader must not decode the
/// older transactions with the newer schema (they are the snapshot's, and their column count
/// differs), and must decode the ones after the snapshot position.
#[test]
fn rows_before_a_tables_snapshot_position_are_not_decoded_with_its_newer_schema() {
    let db = format!("it_sync_src_st_{}", std::process::id());
    let mut c = conn();
    c.query_drop(format!("DROP DATABASE IF EXISTS `{db}`"))
        .unwrap();
    c.query_drop(format!("CREATE DATABASE `{db}`")).unwrap();
    let _drop_db = DropDb(db.clone());
    c.query_drop(format!(
        "CREATE TABLE `{db}`.t (id INT NOT NULL, v VARCHAR(20))"
    ))
    .unwrap();
    let replay_from = master_status(&mut c).unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (1, 'old')"))
        .unwrap();
    c.query_drop(format!("ALTER TABLE `{db}`.t ADD COLUMN w INT"))
        .unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (2, 'old', 2)"))
        .unwrap();
    // The table's snapshot is read here, with three columns.
    let snapshot_at = master_status(&mut c).unwrap();
    c.query_drop(format!("INSERT INTO `{db}`.t VALUES (3, 'new', 3)"))
        .unwrap();

    let mut table = simple_table(&db, "t", false);
    let mut w = bare_col("w", int_type(IntWidth::Int, false)).with_ordinal(3);
    w.nullable = true;
    table.source_tables[0].columns.push(w);
    let table = captured(
        plan_for(&table.source_tables[0], table.sources.clone(), false),
        table.source_tables.clone(),
    );
    let opts = ReaderOptions {
        non_block: true,
        ..ReaderOptions::default()
    };
    let open = || {
        BinlogReader::open_with(
            &source_config(),
            62_000 + (std::process::id() % 1000),
            &replay_from,
            vec![table.clone()],
            &TimeZoneSpec::Fixed(0),
            opts.clone(),
        )
        .unwrap()
    };
    // Without the table's start: the two-column insert cannot be decoded with three columns.
    let mut reader = open();
    let mut err = None;
    for _ in 0..10_000 {
        match reader.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                err = Some(format!("{e:#}"));
                break;
            }
        }
    }
    let err = err.expect("decoding a two-column event with three columns is refused");
    assert!(err.contains("2 columns in the binlog but 3"), "{err}");

    // With it: only the row after the snapshot position arrives, decoded with three columns.
    let mut reader = open();
    reader.set_starts(vec![snapshot_at]);
    let mut rows = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        if let SourceEvent::Rows { changes, .. } = ev {
            rows.extend(changes);
        }
    }
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (RowChange::Insert(r) | RowChange::Upsert(r)) = &rows[0] else {
        panic!("{rows:?}")
    };
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!(r[1], Cell::Str("new".into()), "{r:?}");
}
