-- Flink SQL for rule opts (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 1 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id range (2 id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)
-- For rules with many tables prefer flink-cdc-pipeline.opts.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 1 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`shop`;

CREATE TABLE IF NOT EXISTS `default_catalog`.`shop`.`orders_copy_src` (
  `id` BIGINT NOT NULL,
  `c_bool` BOOLEAN,
  `c_tiny` TINYINT,
  `c_small` SMALLINT,
  `c_int` INT NOT NULL,
  `c_big` BIGINT,
  `c_ubig` DECIMAL(20, 0),
  `c_float` FLOAT,
  `c_double` DOUBLE,
  `c_dec` DECIMAL(10, 2),
  `c_char` CHAR(10),
  `c_varchar` VARCHAR(100),
  `c_text` STRING,
  `c_bin` BYTES,
  `c_date` DATE,
  `c_dt` TIMESTAMP(6),
  `c_ts` TIMESTAMP_LTZ(0) NOT NULL,
  `c_json` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = 'replica.internal',
  'port' = '3306',
  'username' = 'smt',
  'password' = 'pa''ss',
  'database-name' = 'shop',
  'table-name' = 'orders',
  'server-id' = '6000-6001',
  'server-time-zone' = 'UTC',
  'scan.startup.mode' = 'initial'
);

-- flink.starrocks.table-name = "ignored" is not used: smt sets table-name for each table (SMT docs: do not set it)
CREATE TABLE IF NOT EXISTS `default_catalog`.`shop`.`orders_copy_sink` (
  `id` BIGINT NOT NULL,
  `c_bool` BOOLEAN,
  `c_tiny` TINYINT,
  `c_small` SMALLINT,
  `c_int` INT NOT NULL,
  `c_big` BIGINT,
  `c_ubig` DECIMAL(20, 0),
  `c_float` FLOAT,
  `c_double` DOUBLE,
  `c_dec` DECIMAL(10, 2),
  `c_char` CHAR(10),
  `c_varchar` VARCHAR(100),
  `c_text` STRING,
  `c_bin` BYTES,
  `c_date` DATE,
  `c_dt` TIMESTAMP(6),
  `c_ts` TIMESTAMP(0) NOT NULL,
  `c_json` STRING,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'shop',
  'table-name' = 'orders_copy',
  'sink.properties.format' = 'json',
  'sink.properties.strip_outer_array' = 'true',
  'jdbc-url' = 'jdbc:mysql://fe:9030',
  'load-url' = 'fe:8030',
  'username' = 'root',
  'password' = 'sr''pw',
  'sink.semantic' = 'exactly-once',
  'sink.label-prefix' = 'smt_opts'
);

-- Job 1 of this file
EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`shop`.`orders_copy_sink`
SELECT `id`, `c_bool`, `c_tiny`, `c_small`, `c_int`, `c_big`, `c_ubig`, `c_float`, `c_double`, `c_dec`, `c_char`, `c_varchar`, `c_text`, `c_bin`, `c_date`, `c_dt`, CAST(`c_ts` AS TIMESTAMP(0)) AS `c_ts`, `c_json`
FROM `default_catalog`.`shop`.`orders_copy_src`;
END;
