-- Flink SQL for rule 2 (Flink 1.17+; needs flink-sql-connector-mysql-cdc and flink-connector-starrocks)
-- 2 binlog connection(s): every mysql-cdc source table below opens its own, with its own server-id range (1 id(s) each: one per reader, so at least the parallelism; no range overlaps another in result/)
-- For rules with many tables prefer flink-cdc-pipeline.2.yaml: one binlog reader for all of them
-- Run: $FLINK_HOME/bin/sql-client.sh -f <this file> (smt sync --engine flink); 2 job(s), each EXECUTE STATEMENT SET is one Flink job, at parallelism 1
SET 'parallelism.default' = '1';

CREATE DATABASE IF NOT EXISTS `default_catalog`.`demo_db`;

CREATE TABLE IF NOT EXISTS `default_catalog`.`demo_db`.`all_types_src` (
  `id` BIGINT NOT NULL,
  `c_tinyint` TINYINT,
  `c_bool` TINYINT NOT NULL,
  `c_smallint` SMALLINT,
  `c_mediumint` INT,
  `c_int` INT,
  `c_bigint` BIGINT,
  `c_bigint_u` DECIMAL(20, 0),
  `c_bit` BYTES,
  `c_float` FLOAT,
  `c_double` DOUBLE,
  `c_decimal` DECIMAL(10, 2),
  `c_decimal_big` STRING,
  `c_char` CHAR(10),
  `c_varchar` VARCHAR(255),
  `c_latin1` VARCHAR(100),
  `c_tinytext` STRING,
  `c_text` STRING,
  `c_mediumtext` STRING,
  `c_longtext` STRING,
  `c_tinyblob` BYTES,
  `c_blob` BYTES,
  `c_mediumblob` BYTES,
  `c_longblob` BYTES,
  `c_binary` BYTES,
  `c_varbinary` BYTES,
  `c_date` DATE,
  `c_datetime` TIMESTAMP(3),
  `c_timestamp` TIMESTAMP_LTZ(6),
  `c_time` TIME(0),
  `c_year` INT,
  `c_enum` STRING,
  `c_set` STRING,
  `c_json` STRING,
  `c_geometry` STRING,
  `c_point` STRING,
  `c_total` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'root',
  'password' = '',
  'database-name' = 'demo_db',
  'table-name' = 'all_types',
  'server-id' = '5401'
);

-- WARNING column c_bit: Flink SQL has no conversion from BIT bytes (BYTES) to BIGINT; this job writes NULL into it: replicate the table with `smt sync` (built-in engine) to keep its values
CREATE TABLE IF NOT EXISTS `default_catalog`.`demo_db`.`all_types_sink` (
  `id` BIGINT NOT NULL,
  `c_tinyint` TINYINT,
  `c_bool` TINYINT NOT NULL,
  `c_smallint` SMALLINT,
  `c_mediumint` INT,
  `c_int` INT,
  `c_bigint` BIGINT,
  `c_bigint_u` STRING,
  `c_bit` BIGINT,
  `c_float` FLOAT,
  `c_double` DOUBLE,
  `c_decimal` DECIMAL(10, 2),
  `c_decimal_big` STRING,
  `c_char` CHAR(10),
  `c_varchar` VARCHAR(255),
  `c_latin1` VARCHAR(100),
  `c_tinytext` STRING,
  `c_text` STRING,
  `c_mediumtext` STRING,
  `c_longtext` STRING,
  `c_tinyblob` BYTES,
  `c_blob` BYTES,
  `c_mediumblob` BYTES,
  `c_longblob` BYTES,
  `c_binary` BYTES,
  `c_varbinary` BYTES,
  `c_date` DATE,
  `c_datetime` TIMESTAMP(3),
  `c_timestamp` TIMESTAMP(6),
  `c_time` STRING,
  `c_year` SMALLINT,
  `c_enum` STRING,
  `c_set` STRING,
  `c_json` STRING,
  `c_geometry` STRING,
  `c_point` STRING,
  `c_total` INT,
  PRIMARY KEY (`id`) NOT ENFORCED
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'demo_db',
  'table-name' = 'all_types',
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
INSERT INTO `default_catalog`.`demo_db`.`all_types_sink`
SELECT `id`, `c_tinyint`, `c_bool`, `c_smallint`, `c_mediumint`, `c_int`, `c_bigint`, CAST(`c_bigint_u` AS STRING) AS `c_bigint_u`, CAST(NULL AS BIGINT) AS `c_bit`, `c_float`, `c_double`, `c_decimal`, `c_decimal_big`, `c_char`, `c_varchar`, `c_latin1`, `c_tinytext`, `c_text`, `c_mediumtext`, `c_longtext`, `c_tinyblob`, `c_blob`, `c_mediumblob`, `c_longblob`, `c_binary`, `c_varbinary`, `c_date`, `c_datetime`, CAST(`c_timestamp` AS TIMESTAMP(6)) AS `c_timestamp`, CAST(`c_time` AS STRING) AS `c_time`, CAST(`c_year` AS SMALLINT) AS `c_year`, `c_enum`, `c_set`, `c_json`, `c_geometry`, `c_point`, `c_total`
FROM `default_catalog`.`demo_db`.`all_types_src`;
END;

-- Tables without a safe chunk key, read with 'scan.incremental.snapshot.enabled' = 'false': mysql-cdc's legacy source (one reader and one server id per table; a brief global read lock during the snapshot unless debezium.snapshot.locking.mode = none; a failed snapshot starts over)
-- no safe chunk key (no PRIMARY KEY, and no PRIMARY/UNIQUE key column that is NOT NULL and of a comparable type (smt does not read plain indexes)): read without incremental snapshot, in the job of its own below
CREATE TABLE IF NOT EXISTS `default_catalog`.`demo_db`.`events_no_pk_src` (
  `event_time` TIMESTAMP(0),
  `source` VARCHAR(64) NOT NULL,
  `payload` STRING
) WITH (
  'connector' = 'mysql-cdc',
  'hostname' = '127.0.0.1',
  'port' = '3306',
  'username' = 'root',
  'password' = '',
  'database-name' = 'demo_db',
  'table-name' = 'events_no_pk',
  'server-id' = '5402',
  'scan.incremental.snapshot.enabled' = 'false'
);

CREATE TABLE IF NOT EXISTS `default_catalog`.`demo_db`.`events_no_pk_sink` (
  `event_time` TIMESTAMP(0),
  `source` VARCHAR(64) NOT NULL,
  `payload` STRING
) WITH (
  'connector' = 'starrocks',
  'database-name' = 'demo_db',
  'table-name' = 'events_no_pk',
  'jdbc-url' = 'jdbc:mysql://127.0.0.1:9030',
  'load-url' = '127.0.0.1:8030',
  'username' = 'root',
  'password' = '',
  'sink.properties.format' = 'json',
  'sink.properties.strip_outer_array' = 'true',
  'sink.buffer-flush.interval-ms' = '15000'
);

-- Job 2 of this file
EXECUTE STATEMENT SET
BEGIN
INSERT INTO `default_catalog`.`demo_db`.`events_no_pk_sink`
SELECT `event_time`, `source`, `payload`
FROM `default_catalog`.`demo_db`.`events_no_pk_src`;
END;
