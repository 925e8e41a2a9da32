-- Flink SQL for rule 1 (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 2 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id range (1 id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)
-- For rules with many tables prefer flink-cdc-pipeline.1.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 2 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`shop`;

CREATE TABLE IF NOT EXISTS `default_catalog`.`shop`.`orders_src` (
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
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'smt',
  'password' = 'pa''ss',
  'database-name' = 'shop',
  'table-name' = 'orders',
  'server-id' = '5400',
  'server-time-zone' = 'UTC'
);

CREATE TABLE IF NOT EXISTS `default_catalog`.`shop`.`orders_sink` (
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
  'table-name' = 'orders',
  'sink.properties.format' = 'json',
  'sink.properties.strip_outer_array' = 'true',
  'jdbc-url' = 'jdbc:mysql://127.0.0.1:9030',
  'load-url' = '127.0.0.1:8030',
  'username' = 'root',
  'password' = ''
);

-- Job 1 of this file
EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`shop`.`orders_sink`
SELECT `id`, `c_bool`, `c_tiny`, `c_small`, `c_int`, `c_big`, `c_ubig`, `c_float`, `c_double`, `c_dec`, `c_char`, `c_varchar`, `c_text`, `c_bin`, `c_date`, `c_dt`, CAST(`c_ts` AS TIMESTAMP(0)) AS `c_ts`, `c_json`
FROM `default_catalog`.`shop`.`orders_src`;
END;

-- Tables without a safe chunk key, read with 'scan.incremental.snapshot.enabled' = 'false': mysql-cdc's legacy source (one reader and one server id per table; a brief global read lock during the snapshot unless debezium.snapshot.locking.mode = none; a failed snapshot starts over)
-- no safe chunk key (smt has no description of the source table): read without incremental snapshot, in the job of its own below
CREATE TABLE IF NOT EXISTS `default_catalog`.`shop`.`access_log_src` (
  `ts` TIMESTAMP(0),
  `host` VARCHAR(64),
  `msg` STRING
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'smt',
  'password' = 'pa''ss',
  'database-name' = 'shop',
  'table-name' = 'access_log',
  'server-id' = '5401',
  'server-time-zone' = 'UTC',
  'scan.incremental.snapshot.enabled' = 'false'
);

CREATE TABLE IF NOT EXISTS `default_catalog`.`shop`.`access_log_sink` (
  `ts` TIMESTAMP(0),
  `host` VARCHAR(64),
  `msg` STRING
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'shop',
  'table-name' = 'access_log',
  'sink.properties.format' = 'json',
  'sink.properties.strip_outer_array' = 'true',
  'jdbc-url' = 'jdbc:mysql://127.0.0.1:9030',
  'load-url' = '127.0.0.1:8030',
  'username' = 'root',
  'password' = ''
);

-- Job 2 of this file
EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`shop`.`access_log_sink`
SELECT `ts`, `host`, `msg`
FROM `default_catalog`.`shop`.`access_log_src`;
END;
