-- Flink SQL for rule shards (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 1 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id range (1 id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)
-- For rules with many tables prefer flink-cdc-pipeline.shards.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 1 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`edu_db__auto_shard`;

-- reads 3 shard(s): edu_db_1.course_1, edu_db_1.course_2, edu_db_2.course_1
CREATE TABLE IF NOT EXISTS `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_src` (
  `_src_db` STRING NOT NULL METADATA FROM 'database_name' VIRTUAL,
  `_src_table` STRING NOT NULL METADATA FROM 'table_name' VIRTUAL,
  `id` INT NOT NULL,
  `title` VARCHAR(100),
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'smt',
  'password' = 'pa''ss',
  'database-name' = '(edu_db_1|edu_db_2)',
  'table-name' = '(course_1(?<=edu_db_1\.course_1)|course_2(?<=edu_db_1\.course_2)|course_1(?<=edu_db_2\.course_1))',
  'server-id' = '5402',
  'server-time-zone' = 'UTC'
);

CREATE TABLE IF NOT EXISTS `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_sink` (
  `_src_db` VARCHAR(256) NOT NULL,
  `_src_table` STRING NOT NULL,
  `id` INT NOT NULL,
  `title` VARCHAR(100),
  PRIMARY KEY (`_src_db`, `_src_table`, `id`) NOT ENFORCED
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'edu_db__auto_shard',
  'table-name' = 'course__auto_shard',
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
INSERT INTO `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_sink`
SELECT CAST(`_src_db` AS VARCHAR(256)) AS `_src_db`, `_src_table`, `id`, `title`
FROM `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_src`;
END;
