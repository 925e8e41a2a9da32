//! MariaDB GTID positions: one `domain-server-seq` per replication domain, the last event group
//! applied in that domain (`@@gtid_binlog_pos` semantics, `../shared/reference/gtid-resume.md`
//! §1). A checkpoint records the position after the last transaction it covers; a resume sends
//! it as `@slave_connect_state` and the server starts right after it — on the same server, or
//! on another server of the topology that has the same GTIDs in its binlog (a failover).
//!
//! Invariant: `apply` keeps, per domain, the GTID of the latest group seen; a position is
//! always complete (every domain seen so far), because MariaDB refuses a start position that
//! omits a domain its oldest binlog file knows (`REPL.cc` `contains_all_slave_gtid`).

use std::collections::BTreeMap;
use std::fmt;

/// One MariaDB GTID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gtid {
    pub domain: u32,
    pub server: u32,
    pub seq: u64,
}

impl Gtid {
    pub fn parse(s: &str) -> Option<Gtid> {
        let mut p = s.trim().split('-');
        let g = Gtid {
            domain: p.next()?.parse().ok()?,
            server: p.next()?.parse().ok()?,
            seq: p.next()?.parse().ok()?,
        };
        p.next().is_none().then_some(g)
    }
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain, self.server, self.seq)
    }
}

/// A GTID position: the last group per domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidPos(BTreeMap<u32, Gtid>);

impl GtidPos {
    /// `0-1-10,1-2-5` (empty text = empty position). None when an entry does not parse.
    pub fn parse(s: &str) -> Option<GtidPos> {
        let mut m = BTreeMap::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let g = Gtid::parse(part)?;
            m.insert(g.domain, g);
        }
        Some(GtidPos(m))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The group `g` has been applied: it becomes its domain's entry.
    pub fn apply(&mut self, g: Gtid) {
        self.0.insert(g.domain, g);
    }

    /// Whether `state` (a server's `@@gtid_binlog_state`: the last GTID per domain AND server)
    /// has every group of this position — i.e. the server's history contains ours: for each of
    /// our domains it has our server's sequence at least as far.
    pub fn contained_in(&self, state: &GtidState) -> bool {
        self.0.values().all(|g| {
            state
                .0
                .get(&(g.domain, g.server))
                .is_some_and(|&s| s >= g.seq)
        })
    }
}

impl fmt::Display for GtidPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.values().map(Gtid::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// `@@gtid_binlog_state`: the last sequence per (domain, server).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidState(BTreeMap<(u32, u32), u64>);

impl GtidState {
    pub fn parse(s: &str) -> Option<GtidState> {
        let mut m = BTreeMap::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let g = Gtid::parse(part)?;
            m.insert((g.domain, g.server), g.seq);
        }
        Some(GtidState(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_print_and_advance() {
        let mut p = GtidPos::parse("0-1-10, 1-2-5").unwrap();
        assert_eq!(p.to_string(), "0-1-10,1-2-5");
        p.apply(Gtid::parse("0-3-11").unwrap());
        p.apply(Gtid::parse("7-3-1").unwrap());
        assert_eq!(p.to_string(), "0-3-11,1-2-5,7-3-1");
        assert!(GtidPos::parse("").unwrap().is_empty());
        assert!(GtidPos::parse("0-1").is_none());
        assert!(GtidPos::parse("0-1-x").is_none());
        assert!(Gtid::parse("1-2-3-4").is_none());
    }

    #[test]
    fn containment_against_a_servers_state() {
        let p = GtidPos::parse("0-1-10").unwrap();
        // A replica that applied the primary's groups up to 12 (and wrote its own in domain 0
        // under server 2): it has ours.
        assert!(p.contained_in(&GtidState::parse("0-1-12,0-2-3").unwrap()));
        // After RESET MASTER the state restarted: it does not.
        assert!(!p.contained_in(&GtidState::parse("0-1-3").unwrap()));
        assert!(!p.contained_in(&GtidState::parse("").unwrap()));
        assert!(GtidPos::default().contained_in(&GtidState::default()));
    }
}
