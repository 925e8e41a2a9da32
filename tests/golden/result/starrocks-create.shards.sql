CREATE DATABASE IF NOT EXISTS `edu_db__auto_shard`;

CREATE TABLE IF NOT EXISTS `edu_db__auto_shard`.`course__auto_shard` (
  `_src_db` VARCHAR(256) NOT NULL,
  `_src_table` VARCHAR(256) NOT NULL,
  `id` INT NOT NULL,
  `title` VARCHAR(400) NULL
) ENGINE = OLAP
PRIMARY KEY (`_src_db`, `_src_table`, `id`)
DISTRIBUTED BY HASH(`_src_db`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1"
);
