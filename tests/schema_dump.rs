//! Offline dump parsing: the shipped example and the syntax sqlparser 0.63 cannot read alone.
use smt::schema::dump::parse_dump;
use smt::schema::{ColumnDefault, IntWidth, KeyKind, SourceType, TableDesc};

fn table<'a>(ts: &'a [TableDesc], db: &str, name: &str) -> &'a TableDesc {
    ts.iter()
        .find(|t| t.database == db && t.name == name)
        .unwrap_or_else(|| panic!("table {db}.{name} missing"))
}

#[test]
fn sample_schema_example_parses() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sample-schema.sql"
    ))
    .expect("read example");
    let ts = parse_dump(&text).expect("parse");
    let names: Vec<String> = ts.iter().map(|t| t.qualified()).collect();
    assert_eq!(
        names,
        [
            "demo_db.all_types",
            "demo_db.events_no_pk",
            "edu_db_1.course_1",
            "edu_db_1.course_2",
            "edu_db_2.course_1",
            "edu_db_2.course_2"
        ]
    );
    let c1 = table(&ts, "edu_db_1", "course_1");
    assert_eq!(
        c1.primary_key().map(|k| k.columns.clone()),
        Some(vec!["id".to_string()])
    );
    // Identical shards.
    let c4 = table(&ts, "edu_db_2", "course_2");
    assert_eq!(c1.columns, c4.columns);
    assert_eq!(c1.data_length, 0);

    let at = table(&ts, "demo_db", "all_types");
    let col = |n: &str| at.column(n).unwrap_or_else(|| panic!("{n}"));
    assert_eq!(col("c_json").ty, SourceType::Json);
    assert_eq!(col("c_varchar").octet_length, Some(1020));
    assert_eq!(col("c_latin1").octet_length, Some(100));
    assert_eq!(
        col("c_varchar").default,
        ColumnDefault::Literal("it's".into())
    );
    assert_eq!(col("c_bit").default, ColumnDefault::Literal("5".into()));
    assert_eq!(col("c_timestamp").default, ColumnDefault::CurrentTimestamp);
    assert!(col("c_timestamp").on_update_current_timestamp);
    assert_eq!(col("c_total").generated.as_deref(), Some("`c_int` * 2"));
    assert_eq!(
        col("c_bool").ty,
        SourceType::Int {
            width: IntWidth::Tiny,
            unsigned: false,
            display: Some(1)
        }
    );
    assert!(at
        .keys
        .iter()
        .any(|k| k.kind == KeyKind::Unique && k.name == "uk_varchar"));
    assert_eq!(at.comment, "one column per mapped type");
    assert!(table(&ts, "demo_db", "events_no_pk").keys.is_empty());
}

const TRICKY: &str = r#"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS `z`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `z` (
  `id` int(5) unsigned zerofill NOT NULL,
  `b` int zerofill DEFAULT NULL,
  `j` json DEFAULT NULL,
  `n` int NOT NULL DEFAULT '0',
  `ts` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `c` varchar(10) /*M!100301 COMPRESSED*/ DEFAULT NULL,
  `p` int NOT NULL,
  PRIMARY KEY (`id`,`p`),
  UNIQUE KEY `u_c` (`c`),
  KEY `k_n` (`n`),
  CONSTRAINT `fk` FOREIGN KEY (`n`) REFERENCES `other` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COMMENT='zerofill & friends'
/*!50100 PARTITION BY RANGE (`p`)
(PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB,
 PARTITION p1 VALUES LESS THAN MAXVALUE ENGINE = InnoDB) */;
LOCK TABLES `z` WRITE;
UNLOCK TABLES;
CREATE TABLE `aria` (
  `id` int(11) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=Aria DEFAULT CHARSET=utf8mb4 PAGE_CHECKSUM=1 TRANSACTIONAL=1;
CREATE TABLE `versioned` (
  `id` int(11) NOT NULL,
  `v` varchar(3) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB WITH SYSTEM VERSIONING;
/*!50001 DROP VIEW IF EXISTS `v1`*/;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */
/*!50001 VIEW `v1` AS select `z`.`id` AS `id` from `z` */;
CREATE VIEW `v2` AS SELECT 1;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`%`*/ /*!50003 TRIGGER `trg` BEFORE INSERT ON `z` FOR EACH ROW BEGIN SET NEW.n = 1; END */;;
DELIMITER ;
"#;

#[test]
fn tricky_syntax_is_neutralised() {
    let ts = parse_dump(TRICKY).expect("parse");
    let names: Vec<String> = ts.iter().map(|t| t.qualified()).collect();
    assert_eq!(names, ["shop.aria", "shop.versioned", "shop.z"]);
    let z = table(&ts, "shop", "z");
    let id = z.column("id").expect("id");
    assert_eq!(id.column_type, "int(5) unsigned zerofill");
    assert_eq!(
        id.ty,
        SourceType::Int {
            width: IntWidth::Int,
            unsigned: true,
            display: Some(5)
        }
    );
    assert!(
        z.column("b").is_some_and(|c| c.ty.is_unsigned()),
        "zerofill implies unsigned"
    );
    let j = z.column("j").expect("j");
    assert_eq!(j.ty, SourceType::Json);
    assert_eq!(j.charset, None);
    assert_eq!(
        z.column("n").map(|c| c.default.clone()),
        Some(ColumnDefault::Literal("0".into()))
    );
    assert_eq!(
        z.column("ts").map(|c| c.default.clone()),
        Some(ColumnDefault::CurrentTimestamp)
    );
    let c = z.column("c").expect("c");
    assert_eq!(c.octet_length, Some(10), "latin1 table charset");
    assert_eq!(z.comment, "zerofill & friends");
    assert_eq!(
        z.keys.len(),
        2,
        "PK + unique; FK and plain KEY ignored: {:?}",
        z.keys
    );
    assert_eq!(z.keys[0].columns, ["id", "p"]);
    assert_eq!(z.keys[1].name, "u_c");
}

#[test]
fn database_default_charset_and_use() {
    let text = "CREATE DATABASE `a` /*!40100 DEFAULT CHARACTER SET latin1 */;\nUSE `a`;\n\
                CREATE TABLE `t` (`v` varchar(10) DEFAULT NULL);\n\
                CREATE DATABASE `b`;\nUSE `b`;\nCREATE TABLE `t` (`v` varchar(10) CHARACTER SET utf8mb3 DEFAULT NULL, `w` char(2));\n";
    let ts = parse_dump(text).expect("parse");
    assert_eq!(table(&ts, "a", "t").columns[0].octet_length, Some(10));
    let bt = table(&ts, "b", "t");
    assert_eq!(bt.columns[0].octet_length, Some(30));
    assert_eq!(bt.columns[0].charset.as_deref(), Some("utf8mb3"));
    assert_eq!(
        bt.columns[1].octet_length,
        Some(8),
        "utf8mb4 when nothing says otherwise"
    );
    assert_eq!(bt.columns[1].default, ColumnDefault::Null);
}

#[test]
fn unparsable_statement_names_table_and_line() {
    let text = "-- header\n\nUSE `d`;\n\nCREATE TABLE `broken` (\n  `a` int NOT NULL,\n  `b` int FROBNICATE\n);\n";
    let err = parse_dump(text).expect_err("must fail");
    let msg = format!("{err:#}");
    assert!(msg.contains("`broken`"), "{msg}");
    assert!(msg.contains("line 5"), "{msg}");
}

#[test]
fn empty_and_non_table_dumps_give_no_tables() {
    assert!(parse_dump("").expect("empty").is_empty());
    assert!(
        parse_dump("SET NAMES utf8mb4;\n-- nothing\nCREATE VIEW v AS SELECT 1;")
            .expect("ok")
            .is_empty()
    );
}

#[test]
fn mysql8_style_dump() {
    let text = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n\
-- Host: 127.0.0.1    Database: app\n\
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci */ /*!80016 DEFAULT ENCRYPTION='N' */;\n\
USE `app`;\n\
CREATE TABLE `geo` (\n\
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,\n\
  `loc` point NOT NULL /*!80003 SRID 4326 */,\n\
  `doc` json DEFAULT NULL,\n\
  `tag` varchar(36) COLLATE utf8mb4_bin DEFAULT (uuid()),\n\
  `hidden` int DEFAULT NULL /*!80023 INVISIBLE */,\n\
  `at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),\n\
  PRIMARY KEY (`id`),\n\
  SPATIAL KEY `sp` (`loc`)\n\
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n";
    let ts = parse_dump(text).expect("parse");
    let g = table(&ts, "app", "geo");
    assert_eq!(
        g.column("id").map(|c| c.ty.clone()),
        Some(SourceType::Int {
            width: IntWidth::Big,
            unsigned: true,
            display: None
        })
    );
    assert_eq!(
        g.column("loc").map(|c| c.column_type.as_str()),
        Some("point")
    );
    assert_eq!(
        g.column("doc").map(|c| c.ty.clone()),
        Some(SourceType::Json)
    );
    assert_eq!(
        g.column("tag").map(|c| c.default.clone()),
        Some(ColumnDefault::Expression("(uuid())".into()))
    );
    assert_eq!(
        g.column("at").map(|c| c.default.clone()),
        Some(ColumnDefault::CurrentTimestamp)
    );
    assert_eq!(g.keys.len(), 1);
}

#[test]
fn dump_errors_are_source_errors() {
    let err = parse_dump("USE d;\nCREATE TABLE t (a int FROBNICATE);").expect_err("fails");
    assert_eq!(smt::error::exit_code_of(&err), 3);
}
