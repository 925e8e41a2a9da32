/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: edu_db_1
-- ------------------------------------------------------
-- Server version	10.11.19-MariaDB-0+deb12u1-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Current Database: `edu_db_1`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `edu_db_1` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `edu_db_1`;

--
-- Table structure for table `course_1`
--

DROP TABLE IF EXISTS `course_1`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `course_1` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `title` varchar(200) NOT NULL,
  `teacher` varchar(100) DEFAULT NULL,
  `credits` tinyint(3) unsigned NOT NULL DEFAULT 3,
  `created_at` datetime NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='courses, shard 1';
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Table structure for table `course_2`
--

DROP TABLE IF EXISTS `course_2`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `course_2` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `title` varchar(200) NOT NULL,
  `teacher` varchar(100) DEFAULT NULL,
  `credits` tinyint(3) unsigned NOT NULL DEFAULT 3,
  `created_at` datetime NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='courses, shard 1';
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Current Database: `edu_db_2`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `edu_db_2` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `edu_db_2`;

--
-- Table structure for table `course_1`
--

DROP TABLE IF EXISTS `course_1`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `course_1` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `title` varchar(200) NOT NULL,
  `teacher` varchar(100) DEFAULT NULL,
  `credits` tinyint(3) unsigned NOT NULL DEFAULT 3,
  `created_at` datetime NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='courses, shard 1';
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Table structure for table `course_2`
--

DROP TABLE IF EXISTS `course_2`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `course_2` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `title` varchar(200) NOT NULL,
  `teacher` varchar(100) DEFAULT NULL,
  `credits` tinyint(3) unsigned NOT NULL DEFAULT 3,
  `created_at` datetime NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='courses, shard 1';
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Current Database: `demo_db`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `demo_db` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `demo_db`;

--
-- Table structure for table `all_types`
--

DROP TABLE IF EXISTS `all_types`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `all_types` (
  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `c_tinyint` tinyint(4) DEFAULT NULL,
  `c_bool` tinyint(1) NOT NULL DEFAULT 0,
  `c_smallint` smallint(6) DEFAULT NULL,
  `c_mediumint` mediumint(9) DEFAULT NULL,
  `c_int` int(11) DEFAULT NULL,
  `c_bigint` bigint(20) DEFAULT NULL,
  `c_bigint_u` bigint(20) unsigned DEFAULT NULL,
  `c_bit` bit(10) DEFAULT b'101',
  `c_float` float DEFAULT NULL,
  `c_double` double DEFAULT NULL,
  `c_decimal` decimal(10,2) DEFAULT 0.00,
  `c_decimal_big` decimal(65,30) DEFAULT NULL,
  `c_char` char(10) DEFAULT NULL,
  `c_varchar` varchar(255) DEFAULT 'it''s',
  `c_latin1` varchar(100) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL,
  `c_tinytext` tinytext DEFAULT NULL,
  `c_text` text DEFAULT NULL,
  `c_mediumtext` mediumtext DEFAULT NULL,
  `c_longtext` longtext DEFAULT NULL,
  `c_tinyblob` tinyblob DEFAULT NULL,
  `c_blob` blob DEFAULT NULL,
  `c_mediumblob` mediumblob DEFAULT NULL,
  `c_longblob` longblob DEFAULT NULL,
  `c_binary` binary(16) DEFAULT NULL,
  `c_varbinary` varbinary(64) DEFAULT NULL,
  `c_date` date DEFAULT NULL,
  `c_datetime` datetime(3) DEFAULT NULL,
  `c_timestamp` timestamp(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6),
  `c_time` time DEFAULT NULL,
  `c_year` year(4) DEFAULT NULL,
  `c_enum` enum('small','medium','large') DEFAULT 'small',
  `c_set` set('a','b','c') DEFAULT NULL,
  `c_json` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`c_json`)),
  `c_geometry` geometry DEFAULT NULL,
  `c_point` point DEFAULT NULL,
  `c_total` int(11) GENERATED ALWAYS AS (`c_int` * 2) VIRTUAL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uk_varchar` (`c_varchar`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='one column per mapped type';
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Table structure for table `events_no_pk`
--

DROP TABLE IF EXISTS `events_no_pk`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `events_no_pk` (
  `event_time` datetime NOT NULL,
  `source` varchar(64) NOT NULL,
  `payload` text DEFAULT NULL,
  KEY `idx_time` (`event_time`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='no primary key: a DUPLICATE KEY table';
/*!40101 SET character_set_client = @saved_cs_client */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2026-01-15 10:00:00
