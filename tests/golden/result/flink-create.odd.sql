-- Flink SQL for rule odd (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 1 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id range (1 id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)
-- For rules with many tables prefer flink-cdc-pipeline.odd.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 1 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`weird_db`;

CREATE TABLE IF NOT EXISTS `default_catalog`.`weird_db`.`tab``le 'x' "y" 表_src` (
  `select` BIGINT NOT NULL,
  `a``b 'c" 名前` VARCHAR(10),
  PRIMARY KEY (`select`) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'smt',
  'password' = 'pa''ss',
  'database-name' = 'src\.db',
  'table-name' = 'tab`le ''x'' "y" 表',
  'server-id' = '5403',
  'server-time-zone' = 'UTC'
);

CREATE TABLE IF NOT EXISTS `default_catalog`.`weird_db`.`tab``le 'x' "y" 表_sink` (
  `select` BIGINT NOT NULL,
  `a``b 'c" 名前` VARCHAR(10),
  PRIMARY KEY (`select`) NOT ENFORCED
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'weird_db',
  'table-name' = 'tab`le ''x'' "y" 表',
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
INSERT INTO `default_catalog`.`weird_db`.`tab``le 'x' "y" 表_sink`
SELECT `select`, `a``b 'c" 名前`
FROM `default_catalog`.`weird_db`.`tab``le 'x' "y" 表_src`;
END;
