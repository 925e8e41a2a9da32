//! What `smt sync` has loaded, read from its checkpoint (never written), and whether it runs.
//!
//! Invariant: a table "has reached" source position P when the checkpoint says its data up to
//! P is committed: its snapshot is done, its position (the later of the binlog checkpoint and
//! its snapshot position) is ≥ P, no reset is pending, and no prepared transaction of it waits
//! for its commit (the checkpoint lists those before committing them and clears them after).
//! From then on the target holds the source at P or later.

use crate::sync::checkpoint::{SnapshotStatus, State, Store};
use crate::sync::position::BinlogPosition;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct SyncState {
    pub dir: PathBuf,
    store: Store,
}

/// Where one table's target is, relative to a source position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Reached,
    /// Not there: where it is (when known) and why.
    Behind {
        at: Option<BinlogPosition>,
        reason: String,
    },
}

/// `N bytes` (same file) or `N binlog file(s)` from `at` to `p`.
pub fn distance(at: &BinlogPosition, p: &BinlogPosition) -> (Option<u64>, Option<u64>) {
    if at.file == p.file {
        return (Some(p.pos.saturating_sub(at.pos)), None);
    }
    match (at.file_number(), p.file_number()) {
        (Some(a), Some(b)) => (None, Some(b.saturating_sub(a))),
        _ => (None, None),
    }
}

impl SyncState {
    pub fn new(dir: &Path) -> SyncState {
        SyncState {
            dir: dir.to_path_buf(),
            store: Store::new(dir),
        }
    }

    pub fn load(&self) -> anyhow::Result<Option<State>> {
        self.store.load()
    }

    /// The pid of a live `smt sync` holding the state directory (its `sync.lock`; this very
    /// process too, when it runs a sync job in a thread).
    pub fn running(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.dir.join("sync.lock")).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    /// Wait (at most `timeout`) until every table of `keys` has reached `p`; the last answer
    /// per table.
    pub fn wait(
        &self,
        keys: &[String],
        p: &BinlogPosition,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Reach>> {
        let start = Instant::now();
        loop {
            let state = self.load()?;
            let r: Vec<Reach> = keys.iter().map(|k| reach(state.as_ref(), k, p)).collect();
            if r.iter().all(|x| *x == Reach::Reached) || start.elapsed() >= timeout {
                return Ok(r);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where table `key` is, per the checkpoint, relative to `p`.
pub fn reach(state: Option<&State>, key: &str, p: &BinlogPosition) -> Reach {
    let Some(s) = state else {
        return Reach::Behind {
            at: None,
            reason: "no checkpoint yet".into(),
        };
    };
    let behind = |at: Option<BinlogPosition>, reason: &str| Reach::Behind {
        at,
        reason: reason.into(),
    };
    if s.truncate_pending.iter().any(|t| t == key) {
        return behind(None, "a `smt sync --reset` is in progress");
    }
    let Some(t) = s.tables.get(key) else {
        return behind(None, "smt sync has not started this table");
    };
    let snap = match &t.snapshot {
        SnapshotStatus::Done { position, .. } => position.clone(),
        SnapshotStatus::Pending => return behind(None, "its snapshot has not finished"),
    };
    let at = match &s.binlog {
        Some(b) if *b > snap => b.clone(),
        _ => snap,
    };
    if s.pending_commit
        .iter()
        .any(|l| format!("{}.{}", l.db, l.table) == key)
    {
        return behind(Some(at), "a prepared transaction awaits its commit");
    }
    if at < *p {
        return behind(Some(at), "the checkpoint is before the source position");
    }
    Reach::Reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::checkpoint::PendingLabel;

    fn state(snapshot: Option<u64>, binlog: Option<u64>) -> State {
        let mut s = State::new("job", "");
        s.table_mut("d.t").snapshot = match snapshot {
            Some(p) => SnapshotStatus::Done {
                position: BinlogPosition::new("b.000001", p),
                epoch: 1,
                mark: None,
            },
            None => SnapshotStatus::Pending,
        };
        s.binlog = binlog.map(|p| BinlogPosition::new("b.000001", p));
        s
    }

    #[test]
    fn reached_only_when_committed_up_to_the_position() {
        let p = BinlogPosition::new("b.000001", 500);
        assert_eq!(
            reach(Some(&state(Some(100), Some(500))), "d.t", &p),
            Reach::Reached
        );
        // A snapshot taken after P counts, even with the binlog checkpoint behind.
        assert_eq!(
            reach(Some(&state(Some(600), Some(100))), "d.t", &p),
            Reach::Reached
        );
        assert!(matches!(
            reach(Some(&state(Some(100), Some(499))), "d.t", &p),
            Reach::Behind { at: Some(_), .. }
        ));
        assert!(matches!(
            reach(Some(&state(None, None)), "d.t", &p),
            Reach::Behind { at: None, .. }
        ));
        assert!(matches!(
            reach(Some(&state(Some(1), Some(1))), "d.x", &p),
            Reach::Behind { .. }
        ));
        let mut s = state(Some(100), Some(900));
        s.pending_commit.push(PendingLabel {
            db: "d".into(),
            table: "t".into(),
            label: "l".into(),
            prepared_at: None,
        });
        assert!(matches!(reach(Some(&s), "d.t", &p), Reach::Behind { .. }));
        s.truncate_pending.push("d.t".into());
        assert!(matches!(
            reach(Some(&s), "d.t", &p),
            Reach::Behind { at: None, .. }
        ));
    }

    #[test]
    fn distance_in_bytes_or_files() {
        let a = BinlogPosition::new("b.000001", 100);
        assert_eq!(
            distance(&a, &BinlogPosition::new("b.000001", 350)),
            (Some(250), None)
        );
        assert_eq!(
            distance(&a, &BinlogPosition::new("b.000003", 4)),
            (None, Some(2))
        );
    }
}
