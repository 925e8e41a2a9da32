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

CREATE DATABASE IF NOT EXISTS `demo_db`;

CREATE TABLE IF NOT EXISTS `demo_db`.`all_types` (
  `id` BIGINT NOT NULL,
  `c_tinyint` TINYINT NULL,
  `c_bool` TINYINT NOT NULL DEFAULT "0",
  `c_smallint` SMALLINT NULL,
  `c_mediumint` INT NULL,
  `c_int` INT NULL,
  `c_bigint` BIGINT NULL,
  `c_bigint_u` LARGEINT NULL,
  `c_bit` BIGINT NULL DEFAULT "5",
  `c_float` FLOAT NULL,
  `c_double` DOUBLE NULL,
  `c_decimal` DECIMAL(10, 2) NULL DEFAULT "0.00",
  `c_decimal_big` VARCHAR(67) NULL,
  `c_char` CHAR(40) NULL,
  `c_varchar` VARCHAR(1020) NULL DEFAULT "it's",
  `c_latin1` VARCHAR(300) NULL,
  `c_tinytext` VARCHAR(255) NULL,
  `c_text` VARCHAR(65535) NULL,
  `c_mediumtext` VARCHAR(1048576) NULL,
  `c_longtext` VARCHAR(1048576) NULL,
  `c_tinyblob` VARBINARY(255) NULL,
  `c_blob` VARBINARY(65535) NULL,
  `c_mediumblob` VARBINARY(1048576) NULL,
  `c_longblob` VARBINARY(1048576) NULL,
  `c_binary` VARBINARY(16) NULL,
  `c_varbinary` VARBINARY(64) NULL,
  `c_date` DATE NULL,
  `c_datetime` DATETIME NULL,
  `c_timestamp` DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
  `c_time` VARCHAR(17) NULL,
  `c_year` SMALLINT NULL,
  `c_enum` VARCHAR(6) NULL DEFAULT "small",
  `c_set` VARCHAR(5) NULL,
  `c_json` JSON NULL,
  `c_geometry` VARCHAR(1048576) NULL,
  `c_point` VARCHAR(1048576) NULL,
  `c_total` INT NULL
) ENGINE = OLAP
PRIMARY KEY (`id`)
COMMENT "one column per mapped type"
DISTRIBUTED BY HASH(`id`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1",
  "compression" = "LZ4"
);

CREATE TABLE IF NOT EXISTS `demo_db`.`events_no_pk` (
  `event_time` DATETIME NULL,
  `source` VARCHAR(256) NOT NULL,
  `payload` VARCHAR(65535) NULL
) ENGINE = OLAP
DUPLICATE KEY (`event_time`, `source`, `payload`)
COMMENT "no primary key: a DUPLICATE KEY table"
DISTRIBUTED BY HASH(`event_time`, `source`, `payload`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1",
  "compression" = "LZ4"
);
