//! Sync engine (stub)

pub mod binlog;
pub mod cell;
pub mod position;
pub mod snapshot;
pub mod value;
