-- Flink SQL for rule 1 (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 1 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id (one id each)
-- For rules with many tables prefer flink-cdc-pipeline.1.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 1 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`shop`;

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
  'server-id' = '5400',
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

-- Job 1 of this file
EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`shop`.`access_log_sink`
SELECT `ts`, `host`, `msg`
FROM `default_catalog`.`shop`.`access_log_src`;
END;
