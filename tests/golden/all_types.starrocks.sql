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
)
