//! STUB of the sync-source helper's `binlog.rs` event types (contract in SYNC_API.md).
//! On merge, take theirs.

use super::cell::Row;
use super::position::BinlogPosition;

#[derive(Clone, Debug, PartialEq)]
pub enum RowChange {
    Insert(Row),
    Upsert(Row),
    Delete(Row),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SourceEvent {
    Rows {
        target: usize,
        source: crate::plan::SourceRef,
        changes: Vec<RowChange>,
    },
    Commit {
        end: BinlogPosition,
        gtid: Option<String>,
        server_ts: u32,
    },
    Ddl {
        database: String,
        sql: String,
        end: BinlogPosition,
    },
    Heartbeat {
        pos: BinlogPosition,
        server_ts: u32,
    },
    Restarted,
}
