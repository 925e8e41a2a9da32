//! `smt sync`: consistent snapshot + binlog into StarRocks, exactly once.
//! Source side (position, cell, value, binlog, snapshot) and engine side (checkpoint, batch,
//! sink, engine, status, flink); see SYNC_API.md for the split.

pub mod binlog;
pub mod cell;
pub mod position;
pub mod snapshot;
pub mod value;

pub mod batch;
pub mod checkpoint;
pub mod engine;
pub mod sink;
pub mod status;
