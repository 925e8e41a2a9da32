//! The exactly-once state machine against an in-memory source and a fake StarRocks that
//! crashes at random points: whatever the crash points, the target ends with each row exactly
//! once (PRIMARY KEY: the source's final state; DUPLICATE KEY insert-only: the same multiset).

use super::*;
use crate::plan::SrType;
use crate::sync::batch::tests::{col, plan};
use crate::sync::cell::Cell;
use crate::sync::sink::fake::FakeLoader;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Mutex;

type Txn = Vec<(usize, RowChange)>;

/// Position after `n` transactions (7 per file, so batches cross file rotations).
fn pos(n: usize) -> BinlogPosition {
    BinlogPosition::new(format!("bin.{:06}", 1 + n / 7), 100 + 10 * (n % 7) as u64)
}

#[derive(Default)]
struct Db {
    txns: Vec<Txn>,
    /// Transactions committed on the "server" so far.
    visible: usize,
}

#[derive(Clone, Default, Debug, PartialEq)]
struct Tables {
    pk: BTreeMap<i64, String>,
    dup: Vec<(i64, String)>,
}

fn id_v(r: &Row) -> (i64, String) {
    let id = match &r[0] {
        Cell::Num(s) => s.parse().unwrap(),
        other => panic!("{other:?}"),
    };
    let v = match &r[1] {
        Cell::Str(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    (id, v)
}

fn row(id: i64, v: &str) -> Row {
    vec![Cell::Num(id.to_string()), Cell::Str(v.to_string())]
}

impl Db {
    fn state_at(&self, k: usize) -> Tables {
        let mut t = Tables::default();
        for txn in &self.txns[..k] {
            for (target, ch) in txn {
                match (target, ch) {
                    (0, RowChange::Insert(r) | RowChange::Upsert(r)) => {
                        let (id, v) = id_v(r);
                        t.pk.insert(id, v);
                    }
                    (0, RowChange::Delete(r)) => {
                        t.pk.remove(&id_v(r).0);
                    }
                    (1, RowChange::Insert(r)) => t.dup.push(id_v(r)),
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        t
    }
}

struct FakeSource(Arc<Mutex<Db>>);

struct FakeReader {
    snap: Tables,
}

impl SnapshotReader for FakeReader {
    fn read_chunk(
        &mut self,
        target: usize,
        _source: usize,
        after: Option<&serde_json::Value>,
        max_rows: usize,
    ) -> anyhow::Result<SnapChunk> {
        let all: Vec<(i64, String)> = if target == 0 {
            let from = after.and_then(|v| v.as_i64());
            self.snap
                .pk
                .iter()
                .filter(|(k, _)| from.is_none_or(|f| **k > f))
                .map(|(k, v)| (*k, v.clone()))
                .collect()
        } else {
            let off = after.and_then(|v| v.as_u64()).unwrap_or(0) as usize;
            self.snap.dup[off.min(self.snap.dup.len())..].to_vec()
        };
        let take: Vec<(i64, String)> = all.iter().take(max_rows).cloned().collect();
        let done = take.len() == all.len();
        let last_key = if target == 0 {
            take.last().map(|(k, _)| serde_json::json!(k))
        } else {
            let off = after.and_then(|v| v.as_u64()).unwrap_or(0) as usize;
            Some(serde_json::json!(off + take.len()))
        };
        Ok(SnapChunk {
            rows: take.iter().map(|(k, v)| row(*k, v)).collect(),
            last_key,
            done,
            bytes: 0,
        })
    }
    fn estimate_rows(&mut self, _target: usize) -> anyhow::Result<u64> {
        Ok(0)
    }
}

struct FakeStream {
    db: Arc<Mutex<Db>>,
    next: usize,
    end: usize,
    queue: std::collections::VecDeque<SourceEvent>,
}

impl ChangeStream for FakeStream {
    fn next_event(&mut self) -> anyhow::Result<Option<SourceEvent>> {
        if let Some(e) = self.queue.pop_front() {
            return Ok(Some(e));
        }
        if self.next >= self.end {
            return Ok(None);
        }
        let db = self.db.lock().unwrap();
        let txn = &db.txns[self.next];
        for (target, ch) in txn {
            self.queue.push_back(SourceEvent::Rows {
                target: *target,
                source: crate::plan::SourceRef {
                    database: "d".into(),
                    table: "t".into(),
                },
                changes: vec![ch.clone()],
            });
        }
        self.next += 1;
        self.queue.push_back(SourceEvent::Commit {
            end: pos(self.next),
            gtid: None,
            server_ts: 1,
        });
        drop(db);
        Ok(self.queue.pop_front())
    }
    fn server_position(&mut self) -> anyhow::Result<BinlogPosition> {
        Ok(pos(self.end))
    }
}

impl Source for FakeSource {
    fn snapshot(&mut self) -> anyhow::Result<(Box<dyn SnapshotReader>, BinlogPosition)> {
        let db = self.0.lock().unwrap();
        Ok((
            Box::new(FakeReader {
                snap: db.state_at(db.visible),
            }),
            pos(db.visible),
        ))
    }
    fn binlog(&mut self, from: &BinlogPosition) -> anyhow::Result<Box<dyn ChangeStream>> {
        let db = self.0.lock().unwrap();
        let n = (0..=db.visible)
            .find(|n| pos(*n) == *from)
            .ok_or_else(|| anyhow::anyhow!("position {from} not found"))?;
        Ok(Box::new(FakeStream {
            db: self.0.clone(),
            next: n,
            end: db.visible,
            queue: Default::default(),
        }))
    }
}

struct FakeAdmin(Arc<FakeLoader>);
impl Admin for FakeAdmin {
    fn truncate(&self, db: &str, table: &str) -> anyhow::Result<()> {
        self.0
            .inner
            .lock()
            .unwrap()
            .tables
            .remove(&format!("{db}.{table}"));
        Ok(())
    }
}

fn targets(loader: &Arc<FakeLoader>, limits: FlushLimits) -> Vec<Target> {
    let mk = |name: &str, model: Model| {
        let p = plan(
            "d",
            name,
            model,
            vec![col("id", SrType::BigInt), col("v", SrType::Varchar(20))],
        );
        let spec = BodySpec::new(&p);
        let l: Arc<dyn Loader> = loader.clone();
        Target {
            plan: p,
            spec,
            loader: l,
            limits,
        }
    };
    vec![mk("pk", Model::Primary), mk("dup", Model::Duplicate)]
}

/// Fold what the fake target committed into the final tables.
fn target_tables(loader: &FakeLoader) -> Tables {
    let mut t = Tables::default();
    for r in loader.rows("d.pk") {
        let id = r["id"].as_i64().unwrap();
        let v = r["v"].as_str().unwrap().to_string();
        if r["__op"] == 1 {
            t.pk.remove(&id);
        } else {
            t.pk.insert(id, v);
        }
    }
    for r in loader.rows("d.dup") {
        assert!(r.get("__op").is_none());
        t.dup.push((
            r["id"].as_i64().unwrap(),
            r["v"].as_str().unwrap().to_string(),
        ));
    }
    t.dup.sort();
    t
}

/// Deterministic workload from a seed.
fn workload(seed: u64, n: usize, initial: usize) -> Vec<Txn> {
    let mut rng = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m.max(1)
    };
    let mut keys: Vec<i64> = Vec::new();
    let mut next_id = 1i64;
    let mut dup_id = 1i64;
    let mut txns = Vec::new();
    for i in 0..(n + initial) {
        let mut txn = Vec::new();
        let ops = if i < initial { 3 } else { 1 + next(4) as usize };
        for _ in 0..ops {
            match next(6) {
                0 | 1 if !keys.is_empty() => {
                    let k = keys[next(keys.len() as u64) as usize];
                    txn.push((0, RowChange::Upsert(row(k, &format!("u{i}")))));
                }
                2 if !keys.is_empty() => {
                    let idx = next(keys.len() as u64) as usize;
                    let k = keys.swap_remove(idx);
                    txn.push((0, RowChange::Delete(row(k, "x"))));
                }
                3 if !keys.is_empty() => {
                    // Key change: Delete(before) + Upsert(after).
                    let idx = next(keys.len() as u64) as usize;
                    let k = keys[idx];
                    keys[idx] = next_id;
                    txn.push((0, RowChange::Delete(row(k, "x"))));
                    txn.push((0, RowChange::Upsert(row(next_id, &format!("m{i}")))));
                    next_id += 1;
                }
                4 => {
                    txn.push((1, RowChange::Insert(row(dup_id % 5, &format!("d{dup_id}")))));
                    dup_id += 1;
                }
                _ => {
                    keys.push(next_id);
                    txn.push((0, RowChange::Insert(row(next_id, &format!("i{i}")))));
                    next_id += 1;
                }
            }
        }
        txns.push(txn);
    }
    txns
}

fn quick_opts() -> Options {
    Options {
        until_caught_up: true,
        retry: crate::retry::RetryPolicy::immediate(3),
        progress: false,
        max_restarts: 3,
        ..Options::default()
    }
}

/// Run to completion with crashes at the given call offsets (one per run), growing the source
/// between runs. Returns the number of runs.
fn crash_run(
    seed: u64,
    n: usize,
    crashes: &[u64],
    chunk_rows: usize,
    limits: FlushLimits,
    transient: &[u64],
) -> (Tables, Tables, usize) {
    let txns = workload(seed, n, 8);
    let total = txns.len();
    let db = Arc::new(Mutex::new(Db { txns, visible: 8 }));
    let dir = tempfile::tempdir().unwrap();
    let loader = Arc::new(FakeLoader::default());
    loader.inner.lock().unwrap().transient_at = transient.to_vec();
    let admin = FakeAdmin(loader.clone());
    let mut runs = 0;
    let mut crash_iter = crashes.iter();
    loop {
        runs += 1;
        assert!(runs < 200, "no progress");
        let crash = crash_iter.next().copied();
        {
            let mut g = loader.inner.lock().unwrap();
            g.crash_at = crash.map(|c| g.calls + c);
        }
        let mut src = FakeSource(db.clone());
        let opts = Options {
            chunk_rows,
            ..quick_opts()
        };
        let mut eng = Engine::new(
            targets(&loader, limits),
            Store::new(dir.path()),
            "job1",
            "test",
            opts,
            &mut src,
            &admin,
        )
        .unwrap();
        let r = eng.run();
        let crashed = loader.crashed();
        match r {
            Ok(o) => {
                assert_eq!(o, Outcome::CaughtUp);
                assert!(!crashed);
                let mut g = db.lock().unwrap();
                if g.visible == total && crash.is_none() {
                    break;
                }
                g.visible = (g.visible + 5).min(total);
            }
            Err(e) => {
                assert!(crashed, "a genuine failure (not the injected crash): {e:#}");
                let mut g = db.lock().unwrap();
                // The "writer" keeps going while smt is down.
                g.visible = (g.visible + 2).min(total);
            }
        }
    }
    assert_eq!(
        loader.prepared_labels(),
        Vec::<String>::new(),
        "lingering prepared transactions"
    );
    let expected = {
        let g = db.lock().unwrap();
        let mut t = g.state_at(total);
        t.dup.sort();
        t
    };
    (target_tables(&loader), expected, runs)
}

#[test]
fn no_crash_snapshot_then_binlog() {
    let lim = FlushLimits {
        max_rows: 4,
        max_bytes: 1 << 20,
        interval: Duration::from_secs(3600),
    };
    let (got, want, _) = crash_run(7, 40, &[], 3, lim, &[]);
    assert_eq!(got, want);
    assert!(!want.pk.is_empty() && !want.dup.is_empty());
}

#[test]
fn streaming_mid_transaction_and_transients() {
    let lim = FlushLimits {
        max_rows: 1000,
        max_bytes: 40,
        interval: Duration::from_secs(3600),
    };
    let (got, want, _) = crash_run(11, 60, &[], 2, lim, &[3, 17, 30, 31, 77, 120]);
    assert_eq!(got, want);
}

#[test]
fn crash_at_every_early_call() {
    // Crash at call c of the first run, for every c up to well past the snapshot.
    for c in 0..60 {
        let lim = FlushLimits {
            max_rows: 3,
            max_bytes: 1 << 20,
            interval: Duration::ZERO,
        };
        let (got, want, _) = crash_run(3, 20, &[c, c / 2, c / 3], 2, lim, &[]);
        assert_eq!(got, want, "crash at {c}");
    }
}

#[test]
fn dup_update_stops_unless_skipped() {
    let db = Arc::new(Mutex::new(Db {
        txns: vec![
            vec![(1, RowChange::Insert(row(1, "a")))],
            vec![(1, RowChange::Upsert(row(1, "b")))],
        ],
        visible: 1,
    }));
    let loader = Arc::new(FakeLoader::default());
    let admin = FakeAdmin(loader.clone());
    let dir = tempfile::tempdir().unwrap();
    let lim = FlushLimits::default();
    let run = |skip: bool| {
        let mut src = FakeSource(db.clone());
        let mut eng = Engine::new(
            targets(&loader, lim),
            Store::new(dir.path()),
            "job1",
            "test",
            Options {
                skip_dup_changes: skip,
                ..quick_opts()
            },
            &mut src,
            &admin,
        )
        .unwrap();
        eng.run()
    };
    run(false).unwrap();
    db.lock().unwrap().visible = 2;
    let e = run(false).unwrap_err();
    assert_eq!(crate::error::exit_code_of(&e), 7);
    assert!(
        e.to_string().contains("d.dup") && e.to_string().contains("UPDATE"),
        "{e}"
    );
    assert_eq!(run(true).unwrap(), Outcome::CaughtUp);
    assert_eq!(loader.rows("d.dup").len(), 1);
}

#[test]
fn ddl_flushes_checkpoints_and_stops() {
    let db = Arc::new(Mutex::new(Db {
        txns: workload(5, 6, 2),
        visible: 2,
    }));
    let loader = Arc::new(FakeLoader::default());
    let admin = FakeAdmin(loader.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    // Snapshot first.
    {
        let mut src = FakeSource(db.clone());
        let mut eng = Engine::new(
            targets(&loader, FlushLimits::default()),
            store.clone(),
            "j",
            "t",
            quick_opts(),
            &mut src,
            &admin,
        )
        .unwrap();
        eng.run().unwrap();
    }
    struct DdlSource;
    struct DdlStream(Vec<SourceEvent>);
    impl ChangeStream for DdlStream {
        fn next_event(&mut self) -> anyhow::Result<Option<SourceEvent>> {
            Ok(if self.0.is_empty() {
                None
            } else {
                Some(self.0.remove(0))
            })
        }
        fn server_position(&mut self) -> anyhow::Result<BinlogPosition> {
            Ok(pos(100))
        }
    }
    impl Source for DdlSource {
        fn snapshot(&mut self) -> anyhow::Result<(Box<dyn SnapshotReader>, BinlogPosition)> {
            unreachable!()
        }
        fn binlog(&mut self, _from: &BinlogPosition) -> anyhow::Result<Box<dyn ChangeStream>> {
            Ok(Box::new(DdlStream(vec![
                SourceEvent::Rows {
                    target: 0,
                    source: crate::plan::SourceRef {
                        database: "d".into(),
                        table: "pk".into(),
                    },
                    changes: vec![RowChange::Insert(row(999, "z"))],
                },
                SourceEvent::Commit {
                    end: pos(3),
                    gtid: None,
                    server_ts: 1,
                },
                SourceEvent::Ddl {
                    database: "d".into(),
                    sql: "ALTER TABLE pk ADD c INT".into(),
                    end: pos(4),
                    gtid: None,
                },
            ])))
        }
    }
    let mut src = DdlSource;
    let mut eng = Engine::new(
        targets(&loader, FlushLimits::default()),
        store.clone(),
        "j",
        "t",
        quick_opts(),
        &mut src,
        &admin,
    )
    .unwrap();
    let e = eng.run().unwrap_err();
    assert_eq!(crate::error::exit_code_of(&e), 7);
    assert!(e.to_string().contains("ALTER TABLE pk ADD c INT"), "{e}");
    assert!(
        target_tables(&loader).pk.contains_key(&999),
        "rows before the DDL are loaded"
    );
    assert_eq!(store.load().unwrap().unwrap().binlog, Some(pos(4)));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]
    #[test]
    fn exactly_once_under_random_crashes(
        seed in 0u64..1000,
        crashes in proptest::collection::vec(0u64..80, 1..8),
        chunk_rows in 1usize..6,
        max_rows in 1usize..8,
        small_bytes in any::<bool>(),
        interval0 in any::<bool>(),
        transient in proptest::collection::vec(0u64..300, 0..4),
    ) {
        let lim = FlushLimits {
            max_rows,
            max_bytes: if small_bytes { 50 } else { 1 << 20 },
            interval: if interval0 { Duration::ZERO } else { Duration::from_secs(3600) },
        };
        let (got, want, _runs) = crash_run(seed, 30, &crashes, chunk_rows, lim, &transient);
        prop_assert_eq!(got, want);
    }
}

/// A source whose binlog stream fails once (like a dropped connection) after `after` events.
struct Flaky {
    inner: FakeSource,
    after: usize,
    failed: Arc<Mutex<bool>>,
    definite: bool,
}

struct FlakyStream {
    inner: Box<dyn ChangeStream>,
    left: usize,
    failed: Arc<Mutex<bool>>,
    definite: bool,
}

impl ChangeStream for FlakyStream {
    fn next_event(&mut self) -> anyhow::Result<Option<SourceEvent>> {
        let mut f = self.failed.lock().unwrap();
        if !*f {
            if self.left == 0 {
                *f = true;
                return Err(if self.definite {
                    fail(Kind::Source, "binlog purged (definite)")
                } else {
                    anyhow::anyhow!("connection reset by peer")
                });
            }
            self.left -= 1;
        }
        drop(f);
        self.inner.next_event()
    }
    fn server_position(&mut self) -> anyhow::Result<BinlogPosition> {
        self.inner.server_position()
    }
}

impl Source for Flaky {
    fn snapshot(&mut self) -> anyhow::Result<(Box<dyn SnapshotReader>, BinlogPosition)> {
        self.inner.snapshot()
    }
    fn binlog(&mut self, from: &BinlogPosition) -> anyhow::Result<Box<dyn ChangeStream>> {
        Ok(Box::new(FlakyStream {
            inner: self.inner.binlog(from)?,
            left: self.after,
            failed: self.failed.clone(),
            definite: self.definite,
        }))
    }
}

#[test]
fn dropped_source_restarts_from_checkpoint_definite_stops() {
    for definite in [false, true] {
        for after in [0usize, 3, 10, 25] {
            let txns = workload(9, 20, 4);
            let total = txns.len();
            let db = Arc::new(Mutex::new(Db { txns, visible: 4 }));
            let loader = Arc::new(FakeLoader::default());
            let admin = FakeAdmin(loader.clone());
            let dir = tempfile::tempdir().unwrap();
            let lim = FlushLimits {
                max_rows: 3,
                max_bytes: 1 << 20,
                interval: Duration::ZERO,
            };
            // Snapshot at 4, then the rest through the flaky binlog.
            {
                let mut src = FakeSource(db.clone());
                let mut eng = Engine::new(
                    targets(&loader, lim),
                    Store::new(dir.path()),
                    "j",
                    "t",
                    Options {
                        snapshot_only: true,
                        ..quick_opts()
                    },
                    &mut src,
                    &admin,
                )
                .unwrap();
                assert_eq!(eng.run().unwrap(), Outcome::SnapshotDone);
            }
            db.lock().unwrap().visible = total;
            let mut src = Flaky {
                inner: FakeSource(db.clone()),
                after,
                failed: Arc::new(Mutex::new(false)),
                definite,
            };
            let mut eng = Engine::new(
                targets(&loader, lim),
                Store::new(dir.path()),
                "j",
                "t",
                quick_opts(),
                &mut src,
                &admin,
            )
            .unwrap();
            let r = eng.run();
            if definite {
                let e = r.unwrap_err();
                assert_eq!(crate::error::exit_code_of(&e), 3, "{e}");
            } else {
                assert_eq!(r.unwrap(), Outcome::CaughtUp);
                let mut want = db.lock().unwrap().state_at(total);
                want.dup.sort();
                assert_eq!(target_tables(&loader), want, "after {after}");
            }
        }
    }
}

#[test]
fn column_diff_follows_only_added_and_dropped_non_key_columns() {
    let old = plan(
        "d",
        "t",
        Model::Primary,
        vec![
            col("id", SrType::BigInt),
            col("a", SrType::Int),
            col("b", SrType::Int),
        ],
    );
    let new = plan(
        "d",
        "t",
        Model::Primary,
        vec![
            col("id", SrType::BigInt),
            col("b", SrType::Int),
            col("c w", SrType::Varchar(8)),
        ],
    );
    let d = column_diff(&old, &new).unwrap();
    assert_eq!(d.dropped, vec!["a".to_string()]);
    assert_eq!(
        d.added.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["c w"]
    );
    assert_eq!(
        alter_statements("d", "t", &d),
        vec![
            "ALTER TABLE `d`.`t` DROP COLUMN `a`".to_string(),
            "ALTER TABLE `d`.`t` ADD COLUMN `c w` VARCHAR(8) NULL".to_string()
        ]
    );
    let retyped = plan(
        "d",
        "t",
        Model::Primary,
        vec![
            col("id", SrType::BigInt),
            col("a", SrType::BigInt),
            col("b", SrType::Int),
        ],
    );
    assert!(column_diff(&old, &retyped)
        .unwrap_err()
        .contains("`a` changed from INT to BIGINT"));
    let dup = plan("d", "t", Model::Duplicate, old.columns.clone());
    assert!(column_diff(&old, &dup).is_err());
    assert!(alter_statements("d", "t", &column_diff(&old, &old).unwrap()).is_empty());
}
