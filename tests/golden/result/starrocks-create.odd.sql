CREATE DATABASE IF NOT EXISTS `weird_db`;

CREATE TABLE IF NOT EXISTS `weird_db`.`tab``le 'x' "y" 表` (
  `select` BIGINT NOT NULL COMMENT "key \"quoted\" \\ back\nslash",
  `a``b 'c" 名前` VARCHAR(40) NULL DEFAULT "it's \"x\" \\n" COMMENT "line1\nline2\t\"q\""
) ENGINE = OLAP
PRIMARY KEY (`select`)
COMMENT "table \"comment\" \\ with\nnewline"
DISTRIBUTED BY HASH(`select`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1"
);
