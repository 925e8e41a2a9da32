//! Binlog reader (in progress)
