CREATE DATABASE IF NOT EXISTS `shop`;

CREATE TABLE IF NOT EXISTS `shop`.`access_log` (
  `ts` DATETIME NULL,
  `host` VARCHAR(256) NULL,
  `msg` VARCHAR(65533) NULL
) ENGINE = OLAP
DUPLICATE KEY (`ts`, `host`)
PARTITION BY RANGE(`ts`) (START ("2024-01-01") END ("2024-03-01") EVERY (INTERVAL 1 MONTH))
DISTRIBUTED BY HASH(`ts`)
PROPERTIES (
  "replication_num" = "1"
);

CREATE TABLE IF NOT EXISTS `shop`.`orders` (
  `id` BIGINT NOT NULL COMMENT "order id",
  `c_bool` BOOLEAN NULL,
  `c_tiny` TINYINT NULL,
  `c_small` SMALLINT NULL,
  `c_int` INT NOT NULL DEFAULT "0",
  `c_big` BIGINT NULL,
  `c_ubig` LARGEINT NULL,
  `c_float` FLOAT NULL,
  `c_double` DOUBLE NULL,
  `c_dec` DECIMAL(10, 2) NULL,
  `c_char` CHAR(40) NULL,
  `c_varchar` VARCHAR(400) NULL DEFAULT "n/a" COMMENT "free text",
  `c_text` VARCHAR(1048576) NULL,
  `c_bin` VARBINARY(16) NULL,
  `c_date` DATE NULL,
  `c_dt` DATETIME NULL,
  `c_ts` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `c_json` JSON NULL
) ENGINE = OLAP
PRIMARY KEY (`id`)
COMMENT "all the orders"
DISTRIBUTED BY HASH(`id`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1",
  "enable_persistent_index" = "true"
);

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

CREATE DATABASE IF NOT EXISTS `shop`;

CREATE TABLE IF NOT EXISTS `shop`.`orders_copy` (
  `id` BIGINT NOT NULL COMMENT "order id",
  `c_bool` BOOLEAN NULL,
  `c_tiny` TINYINT NULL,
  `c_small` SMALLINT NULL,
  `c_int` INT NOT NULL DEFAULT "0",
  `c_big` BIGINT NULL,
  `c_ubig` LARGEINT NULL,
  `c_float` FLOAT NULL,
  `c_double` DOUBLE NULL,
  `c_dec` DECIMAL(10, 2) NULL,
  `c_char` CHAR(40) NULL,
  `c_varchar` VARCHAR(400) NULL DEFAULT "n/a" COMMENT "free text",
  `c_text` VARCHAR(1048576) NULL,
  `c_bin` VARBINARY(16) NULL,
  `c_date` DATE NULL,
  `c_dt` DATETIME NULL,
  `c_ts` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `c_json` JSON NULL
) ENGINE = OLAP
PRIMARY KEY (`id`)
COMMENT "all the orders"
DISTRIBUTED BY HASH(`id`) BUCKETS 1
PROPERTIES (
  "replication_num" = "1",
  "enable_persistent_index" = "true"
);

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
