//! STUB of the sync-source helper's `position.rs` (contract in SYNC_API.md) so the engine compiles
//! before the `sync` branch is merged. On merge, take the sync branch's version of this file.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BinlogPosition {
    pub file: String,
    pub pos: u64,
}

impl BinlogPosition {
    pub fn new(file: impl Into<String>, pos: u64) -> Self {
        BinlogPosition {
            file: file.into(),
            pos,
        }
    }
    fn file_index(&self) -> u64 {
        self.file
            .rsplit('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

impl Ord for BinlogPosition {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.file_index(), &self.file, self.pos).cmp(&(other.file_index(), &other.file, other.pos))
    }
}
impl PartialOrd for BinlogPosition {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl fmt::Display for BinlogPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)
    }
}
impl FromStr for BinlogPosition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (file, pos) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("bad binlog position `{s}`"))?;
        let pos = pos
            .parse()
            .map_err(|_| format!("bad binlog position `{s}`"))?;
        Ok(BinlogPosition {
            file: file.to_string(),
            pos,
        })
    }
}
