CREATE DATABASE IF NOT EXISTS `edu_db__auto_shard`;

CREATE TABLE IF NOT EXISTS `edu_db__auto_shard`.`course__auto_shard` (
  `id` BIGINT NOT NULL,
  `_smt_source_db` VARCHAR(192) NOT NULL COMMENT "source database of the row (added by smt for merged shards)",
  `_smt_source_table` VARCHAR(192) NOT NULL COMMENT "source table of the row (added by smt for merged shards)",
  `title` VARCHAR(800) NOT NULL,
  `teacher` VARCHAR(400) NULL,
  `credits` SMALLINT NOT NULL DEFAULT "3",
  `created_at` DATETIME NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE = OLAP
PRIMARY KEY (`id`, `_smt_source_db`, `_smt_source_table`)
COMMENT "courses, shard 1"
DISTRIBUTED BY HASH(`id`, `_smt_source_db`, `_smt_source_table`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1"
);
