-- Rows for the demo (scripts/demo.sh): shards with colliding primary keys, every type, a table
-- without a primary key.
INSERT INTO edu_db_1.course_1 (id, title, teacher, credits) VALUES (1, 'Algebra', 'Noether', 4), (2, 'Topology', NULL, 3);
INSERT INTO edu_db_1.course_2 (id, title, teacher, credits) VALUES (1, 'Rhetoric', 'Cicero', 2);
INSERT INTO edu_db_2.course_1 (id, title, teacher, credits) VALUES (1, 'Ethics', 'Spinoza', 3);
INSERT INTO edu_db_2.course_2 (id, title, teacher, credits) VALUES (1, 'Optics', 'Alhazen', 5), (7, 'Música ♫', 'Ñúñez', 1);
INSERT INTO demo_db.all_types (id, c_tinyint, c_bool, c_smallint, c_mediumint, c_int, c_bigint, c_bigint_u,
  c_bit, c_float, c_double, c_decimal, c_decimal_big, c_char, c_varchar, c_latin1, c_tinytext, c_text,
  c_mediumtext, c_longtext, c_tinyblob, c_blob, c_mediumblob, c_longblob, c_binary, c_varbinary, c_date,
  c_datetime, c_timestamp, c_time, c_year, c_enum, c_set, c_json, c_geometry, c_point)
VALUES (1, -128, 1, -32768, -8388608, -1073741824, -9223372036854775808, 18446744073709551615,
  b'1111111111', 1.5, 2.718281828459045, -12345678.90, -12345678901234567890123456789012345.123456789012345678901234567890,
  'chär', 'héllo ☃ "quoted"', 'Ærø', 'tiny', 'text', 'medium', 'long', x'00ff', x'deadbeef', x'01', x'02',
  x'000102030405060708090a0b0c0d0e0f', x'cafe', '2024-02-29', '2024-02-29 23:59:59.123',
  '2024-03-01 12:00:00.654321', '-838:59:59', 2155, 'large', 'a,c', '{"k": [1, 2.5, "x"]}',
  ST_GeomFromText('POLYGON((0 0,4 0,4 4,0 0))'), ST_GeomFromText('POINT(1.5 -2)')),
  (2, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-01 00:00:00', NULL, NULL, NULL, '',
  NULL, NULL, NULL);
INSERT INTO demo_db.events_no_pk VALUES ('2024-01-01 10:00:00', 'web', 'login'), ('2024-01-01 10:00:00', 'web', 'login');
