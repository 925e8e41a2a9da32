//! STUB of the sync-source helper's `cell.rs` (contract in SYNC_API.md). On merge, take theirs.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Null,
    Num(String),
    Str(String),
    Json(String),
}
pub type Row = Vec<Cell>;
