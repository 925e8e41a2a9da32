-- Flink SQL for rule 1 (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 1 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id range (1 id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)
-- For rules with many tables prefer flink-cdc-pipeline.1.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 1 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`edu_db__auto_shard`;

-- reads 4 shard(s): edu_db_1.course_1, edu_db_1.course_2, edu_db_2.course_1, edu_db_2.course_2
CREATE TABLE IF NOT EXISTS `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_src` (
  `id` BIGINT NOT NULL,
  `_smt_source_db` STRING NOT NULL METADATA FROM 'database_name' VIRTUAL,
  `_smt_source_table` STRING NOT NULL METADATA FROM 'table_name' VIRTUAL,
  `title` VARCHAR(200) NOT NULL,
  `teacher` VARCHAR(100),
  `credits` SMALLINT NOT NULL,
  `created_at` TIMESTAMP(0),
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'root',
  'password' = '',
  'database-name' = '(edu_db_1|edu_db_2)',
  'table-name' = '(course_1|course_2)',
  'server-id' = '5400'
);

CREATE TABLE IF NOT EXISTS `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_sink` (
  `id` BIGINT NOT NULL,
  `_smt_source_db` STRING NOT NULL,
  `_smt_source_table` STRING NOT NULL,
  `title` VARCHAR(200) NOT NULL,
  `teacher` VARCHAR(100),
  `credits` SMALLINT NOT NULL,
  `created_at` TIMESTAMP(0),
  PRIMARY KEY (`id`, `_smt_source_db`, `_smt_source_table`) NOT ENFORCED
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'edu_db__auto_shard',
  'table-name' = 'course__auto_shard',
  'jdbc-url' = 'jdbc:mysql://127.0.0.1:9030',
  'load-url' = '127.0.0.1:8030',
  'username' = 'root',
  'password' = '',
  'sink.properties.format' = 'json',
  'sink.properties.strip_outer_array' = 'true',
  'sink.buffer-flush.interval-ms' = '15000'
);

-- Job 1 of this file
EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_sink`
SELECT `id`, `_smt_source_db`, `_smt_source_table`, `title`, `teacher`, `credits`, `created_at`
FROM `default_catalog`.`edu_db__auto_shard`.`course__auto_shard_src`;
END;
