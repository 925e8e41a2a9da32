//! Binlog positions (`file:pos`).
//!
//! Invariant: `Ord` orders positions the way the server writes them — first by the numeric suffix of
//! the file name (`mysql-bin.000010` > `mysql-bin.000009`, and `.1000000` > `.999999` once the suffix
//! grows a digit), then by the byte offset. It is a total order consistent with `Eq` because ties of
//! the numeric suffix fall back to comparing the whole file name.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A position in the source's binary log: the file name and the byte offset inside it.
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

    /// After every real position (file number and offset at their maximum): the snapshot
    /// position of a table not read yet, whose binlog events all wait for its snapshot.
    pub fn never() -> Self {
        BinlogPosition::new(format!("never.{}", u64::MAX), u64::MAX)
    }

    /// The numeric suffix of the file name (`mysql-bin.000042` → 42), if it has one.
    pub fn file_number(&self) -> Option<u64> {
        file_number(&self.file)
    }
}

/// The numeric suffix after the last `.` of a binlog file name.
pub fn file_number(file: &str) -> Option<u64> {
    let (_, suffix) = file.rsplit_once('.')?;
    if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    suffix.parse().ok()
}

impl Ord for BinlogPosition {
    fn cmp(&self, other: &Self) -> Ordering {
        // Files without a numeric suffix sort before numbered ones (None < Some).
        self.file_number()
            .cmp(&other.file_number())
            .then_with(|| self.file.cmp(&other.file))
            .then_with(|| self.pos.cmp(&other.pos))
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

/// What a position is within its binlog history, beyond `file:pos` (which a `RESET MASTER`, a
/// restore or another server reuses for other data): recorded with every checkpoint position
/// and checked at start and on reconnect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionMark {
    /// When the server created the position's binlog file: the timestamp of the file's format
    /// description event, Unix seconds (0 = unknown). A recreated file has a new one.
    #[serde(default)]
    pub file_created: u32,
    /// The event that ends at the position (None for a position read with SHOW MASTER STATUS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventMark>,
    /// MariaDB: the GTID position (`domain-server-seq,...`) at the position — where a resume by
    /// GTID starts, also on another server of the topology (failover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtid: Option<String>,
}

/// The header of one binlog event (enough to tell it from any other event at that offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMark {
    /// Offset of the event's first byte.
    pub start: u64,
    /// Header timestamp (Unix seconds).
    pub timestamp: u32,
    /// Header server id (the server that wrote the transaction).
    pub server_id: u32,
    /// Event type code.
    pub type_code: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid binlog position {0:?}: expected FILE:OFFSET, e.g. mysql-bin.000003:1234")]
pub struct ParsePositionError(pub String);

impl FromStr for BinlogPosition {
    type Err = ParsePositionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (file, pos) = s
            .rsplit_once(':')
            .ok_or_else(|| ParsePositionError(s.to_string()))?;
        if file.is_empty() || pos.is_empty() || !pos.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParsePositionError(s.to_string()));
        }
        let pos = pos.parse().map_err(|_| ParsePositionError(s.to_string()))?;
        Ok(BinlogPosition {
            file: file.to_string(),
            pos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn orders_by_numeric_suffix_then_offset() {
        let a = BinlogPosition::new("mysql-bin.000009", 99999);
        let b = BinlogPosition::new("mysql-bin.000010", 4);
        let c = BinlogPosition::new("mysql-bin.000010", 5);
        let d = BinlogPosition::new("mysql-bin.1000000", 4);
        let e = BinlogPosition::new("mysql-bin.999999", 4);
        assert!(a < b && b < c && e < d);
    }

    #[test]
    fn display_and_parse() {
        let p: BinlogPosition = "mysql-bin.000003:1234".parse().unwrap();
        assert_eq!(p, BinlogPosition::new("mysql-bin.000003", 1234));
        assert_eq!(p.to_string(), "mysql-bin.000003:1234");
        assert!("mysql-bin.000003".parse::<BinlogPosition>().is_err());
        assert!(":12".parse::<BinlogPosition>().is_err());
        assert!("f:-1".parse::<BinlogPosition>().is_err());
        assert!("f:".parse::<BinlogPosition>().is_err());
        // A colon inside the file name survives (the offset is after the last colon).
        let q: BinlogPosition = "c:\\bin.000001:4".parse().unwrap();
        assert_eq!(q.file, "c:\\bin.000001");
    }

    fn arb_pos() -> impl Strategy<Value = BinlogPosition> {
        (
            "[a-z:-]{1,8}",
            0u64..2_000_000,
            prop::bool::ANY,
            0u64..u64::MAX,
        )
            .prop_map(|(stem, n, pad, pos)| {
                let file = if pad {
                    format!("{stem}.{n:06}")
                } else {
                    format!("{stem}.{n}")
                };
                BinlogPosition { file, pos }
            })
    }

    proptest! {
        #[test]
        fn round_trip(p in arb_pos()) {
            let back: BinlogPosition = p.to_string().parse().unwrap();
            prop_assert_eq!(back, p);
        }

        #[test]
        fn ord_consistent(a in arb_pos(), b in arb_pos(), c in arb_pos()) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
            if a <= b && b <= c { prop_assert!(a <= c); }
            if a.file_number() < b.file_number() { prop_assert!(a < b); }
            if a.file == b.file { prop_assert_eq!(a.cmp(&b), a.pos.cmp(&b.pos)); }
        }
    }
}
