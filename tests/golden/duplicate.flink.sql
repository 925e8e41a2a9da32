-- Flink SQL for rule 1 (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
CREATE DATABASE IF NOT EXISTS `default_catalog`.`shop`;

-- no primary key: mysql-cdc needs flink.cdc.scan.incremental.snapshot.chunk.key-column (or flink.cdc.scan.incremental.snapshot.enabled = false) for this table
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
  'server-id' = '5400-5403',
  'server-time-zone' = 'UTC'
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

EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`shop`.`access_log_sink`
SELECT `ts`, `host`, `msg`
FROM `default_catalog`.`shop`.`access_log_src`;
END;
