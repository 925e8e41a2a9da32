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
    /// Each view opened sees one transaction more (writes between the readers' views).
    advance_per_view: bool,
}

#[derive(Clone, Default, Debug, PartialEq)]
struct Tables {
    pk: BTreeMap<i64, String>,
    dup: Vec<(i64, String)>,
    /// A second DUPLICATE KEY table (target 2, where a test has one).
    dup2: Vec<(i64, String)>,
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
                    (2, RowChange::Insert(r)) => t.dup2.push(id_v(r)),
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
        (lo, hi): (Option<&serde_json::Value>, Option<&serde_json::Value>),
        max_rows: usize,
        _encode: Option<&BodySpec>,
    ) -> anyhow::Result<SnapChunk> {
        let all: Vec<(i64, String)> = if target == 0 {
            let from = after.and_then(|v| v.as_i64());
            let (lo, hi) = (lo.and_then(|v| v.as_i64()), hi.and_then(|v| v.as_i64()));
            self.snap
                .pk
                .iter()
                .filter(|(k, _)| from.is_none_or(|f| **k > f))
                .filter(|(k, _)| lo.is_none_or(|l| **k >= l) && hi.is_none_or(|h| **k < h))
                .map(|(k, v)| (*k, v.clone()))
                .collect()
        } else {
            let off = after.and_then(|v| v.as_u64()).unwrap_or(0) as usize;
            let dup = if target == 2 {
                &self.snap.dup2
            } else {
                &self.snap.dup
            };
            dup[off.min(dup.len())..].to_vec()
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
            body: None,
        })
    }
    fn estimate_rows(&mut self, _target: usize) -> anyhow::Result<u64> {
        Ok(0)
    }
    fn split(
        &mut self,
        target: usize,
        _source: usize,
        n: usize,
    ) -> anyhow::Result<Vec<(Option<serde_json::Value>, Option<serde_json::Value>)>> {
        // Cuts at evenly spaced keys of this view (ranges cover every key, present or not).
        let keys: Vec<i64> = self.snap.pk.keys().copied().collect();
        if target != 0 || n < 2 || keys.len() < n {
            return Ok(vec![(None, None)]);
        }
        let mut out = Vec::new();
        let mut lo = None;
        for k in 1..n {
            let cut = serde_json::json!(keys[k * keys.len() / n]);
            out.push((lo.take(), Some(cut.clone())));
            lo = Some(cut);
        }
        out.push((lo, None));
        Ok(out)
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
                source: std::sync::Arc::new(crate::plan::SourceRef {
                    database: "d".into(),
                    table: "t".into(),
                }),
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
    fn snapshot(
        &mut self,
        _tables: &[TablePlan],
        _todo: &[usize],
        _held: bool,
    ) -> anyhow::Result<View> {
        let mut db = self.0.lock().unwrap();
        if db.advance_per_view && db.visible < db.txns.len() {
            db.visible += 1;
        }
        Ok(View::Open(
            Box::new(FakeReader {
                snap: db.state_at(db.visible),
            }),
            pos(db.visible),
            None,
        ))
    }
    fn binlog(
        &mut self,
        from: &BinlogPosition,
        _mark: Option<&PositionMark>,
        _tables: &[TablePlan],
    ) -> anyhow::Result<Box<dyn ChangeStream>> {
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

struct FakeAdmin(Arc<FakeLoader>, Mutex<Vec<String>>);
fn fake_admin(l: Arc<FakeLoader>) -> FakeAdmin {
    FakeAdmin(l, Mutex::new(Vec::new()))
}
impl Admin for FakeAdmin {
    fn truncate(&self, db: &str, table: &str) -> anyhow::Result<()> {
        self.0
            .inner
            .lock()
            .unwrap()
            .tables
            .remove(&format!("{db}.{table}"));
        self.1
            .lock()
            .unwrap()
            .push(format!("TRUNCATE {db}.{table}"));
        Ok(())
    }
    fn alter(&self, _db: &str, _table: &str, sql: &str) -> anyhow::Result<()> {
        self.1.lock().unwrap().push(sql.to_string());
        Ok(())
    }
}

/// The source description of a test table `d`.`name` (id BIGINT key, v VARCHAR(20)).
fn desc(name: &str, pk: bool) -> TableDesc {
    let key = if pk { ", PRIMARY KEY (`id`)" } else { "" };
    crate::schema::dump::parse_create_table(
        &format!("CREATE TABLE `{name}` (`id` bigint NOT NULL, `v` varchar(20) DEFAULT NULL{key})"),
        "d",
        None,
    )
    .unwrap()
}

fn targets(loader: &Arc<FakeLoader>, limits: FlushLimits) -> Vec<Target> {
    let mk = |name: &str, model: Model| {
        let mut p = plan(
            "d",
            name,
            model,
            vec![col("id", SrType::BigInt), col("v", SrType::Varchar(20))],
        );
        p.source_tables = vec![desc(name, p.model == Model::Primary)];
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
    for r in loader.rows("d.dup2") {
        t.dup2.push((
            r["id"].as_i64().unwrap(),
            r["v"].as_str().unwrap().to_string(),
        ));
    }
    t.dup.sort();
    t.dup2.sort();
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
#[allow(clippy::too_many_arguments)]
fn crash_run(
    seed: u64,
    n: usize,
    crashes: &[u64],
    chunk_rows: usize,
    limits: FlushLimits,
    transient: &[u64],
    readers: usize,
    pipeline_min_rows: usize,
    round: Option<Duration>,
) -> (Tables, Tables, usize) {
    let txns = workload(seed, n, 8);
    let total = txns.len();
    let db = Arc::new(Mutex::new(Db {
        txns,
        visible: 8,
        // With several readers or rounds, each view sees a later state (writes between the
        // views).
        advance_per_view: readers > 1 || round.is_some(),
    }));
    let dir = tempfile::tempdir().unwrap();
    let loader = Arc::new(FakeLoader::default());
    loader.inner.lock().unwrap().transient_at = transient.to_vec();
    let admin = fake_admin(loader.clone());
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
            snapshot_parallelism: readers,
            pipeline_min_rows,
            snapshot_round: round,
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
    let (got, want, _) = crash_run(7, 40, &[], 3, lim, &[], 1, 1, None);
    assert_eq!(got, want);
    assert!(!want.pk.is_empty() && !want.dup.is_empty());
}

/// Snapshot rounds: the binlog written while the snapshot runs reaches the target between its
/// rounds (a binlog batch commits before the last chunk), and the target ends equal to the
/// source, on PRIMARY KEY and DUPLICATE KEY tables alike, with no table started over.
#[test]
fn the_binlog_is_applied_between_snapshot_rounds() {
    let lim = FlushLimits {
        max_rows: 4,
        max_bytes: 1 << 20,
        interval: Duration::from_secs(3600),
    };
    for readers in [1, 2] {
        // A second DUPLICATE KEY table takes a copy of every insert into the first: one of the
        // two waits for a later round (its reader began the other).
        let mut txns = workload(5, 40, 30);
        for t in &mut txns {
            let copies: Vec<(usize, RowChange)> = t
                .iter()
                .filter(|(target, _)| *target == 1)
                .map(|(_, ch)| (2, ch.clone()))
                .collect();
            t.extend(copies);
        }
        let total = txns.len();
        let db = Arc::new(Mutex::new(Db {
            txns,
            visible: 30,
            advance_per_view: true,
        }));
        let dir = tempfile::tempdir().unwrap();
        let loader = Arc::new(FakeLoader::default());
        let admin = fake_admin(loader.clone());
        let mut src = FakeSource(db.clone());
        let opts = Options {
            chunk_rows: 2,
            snapshot_parallelism: readers,
            snapshot_round: Some(Duration::ZERO),
            ..quick_opts()
        };
        let mut tgts = targets(&loader, lim);
        let mut dup2 = tgts[1].clone();
        dup2.plan.target_table = "dup2".into();
        dup2.plan.source_tables = vec![desc("dup2", false)];
        dup2.plan.sources[0].table = "dup2".into();
        tgts.push(dup2);
        let mut eng = Engine::new(
            tgts,
            Store::new(dir.path()),
            "job1",
            "test",
            opts,
            &mut src,
            &admin,
        )
        .unwrap();
        // Each view sees one more transaction: keep going until the source is all visible.
        let mut runs = 0;
        loop {
            runs += 1;
            assert_eq!(eng.run().unwrap(), Outcome::CaughtUp);
            let mut g = db.lock().unwrap();
            if g.visible >= total {
                break;
            }
            g.visible = (g.visible + 5).min(total);
        }
        let order = loader.inner.lock().unwrap().committed.clone();
        let last_chunk = order
            .iter()
            .rposition(|l| l.contains("_s"))
            .expect("snapshot chunks");
        let first_binlog = order
            .iter()
            .position(|l| l.contains("_b_"))
            .expect("binlog batches");
        assert!(
            first_binlog < last_chunk,
            "no binlog batch before the snapshot ended: {order:?}"
        );
        let mut want = db.lock().unwrap().state_at(total);
        want.dup.sort();
        want.dup2.sort();
        assert!(!want.dup2.is_empty());
        assert_eq!(target_tables(&loader), want, "{readers} readers");
        // A table waiting for a later round kept no progress: nothing to truncate.
        assert_eq!(admin.1.lock().unwrap().clone(), Vec::<String>::new());
        // Interrupted transactions are looked for once per run (3 targets), not once per
        // round.
        let (looked, batches) = (
            loader.inner.lock().unwrap().label_states,
            order.iter().filter(|l| l.contains("_b_")).count(),
        );
        assert!(
            batches > 3 * runs && looked <= 3 * runs as u64,
            "{looked} label lookups in {runs} runs ({batches} binlog batches)"
        );
    }
}

#[test]
fn streaming_mid_transaction_and_transients() {
    let lim = FlushLimits {
        max_rows: 1000,
        max_bytes: 40,
        interval: Duration::from_secs(3600),
    };
    let (got, want, _) = crash_run(11, 60, &[], 2, lim, &[3, 17, 30, 31, 77, 120], 2, 2, None);
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
        let (got, want, _) = crash_run(
            3,
            20,
            &[c, c / 2, c / 3],
            2,
            lim,
            &[],
            1 + (c as usize % 3),
            1 + (c as usize % 4),
            (c % 2 == 1).then_some(Duration::ZERO),
        );
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
        ..Default::default()
    }));
    let loader = Arc::new(FakeLoader::default());
    let admin = fake_admin(loader.clone());
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
                dup_changes: if skip {
                    crate::config::DupChanges::Skip
                } else {
                    crate::config::DupChanges::Stop
                },
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

/// A binlog of scripted events after the snapshot; `replan` adds the source's new columns.
struct DdlSource(Vec<SourceEvent>);
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
    fn snapshot(
        &mut self,
        _tables: &[TablePlan],
        _todo: &[usize],
        _held: bool,
    ) -> anyhow::Result<View> {
        unreachable!()
    }
    fn binlog(
        &mut self,
        _from: &BinlogPosition,
        _mark: Option<&PositionMark>,
        _tables: &[TablePlan],
    ) -> anyhow::Result<Box<dyn ChangeStream>> {
        Ok(Box::new(DdlStream(std::mem::take(&mut self.0))))
    }
    fn replan(&mut self, current: &TablePlan, sources: &[TableDesc]) -> Result<TablePlan, String> {
        let mut p = current.clone();
        for c in &sources[0].columns {
            if p.column(&c.name).is_none() {
                p.columns.push(col(&c.name, SrType::Int));
            }
        }
        p.source_tables = sources.to_vec();
        Ok(p)
    }
}

fn ddl_events(sql: &str) -> Vec<SourceEvent> {
    let rows = |id: i64| SourceEvent::Rows {
        target: 0,
        source: std::sync::Arc::new(crate::plan::SourceRef {
            database: "d".into(),
            table: "pk".into(),
        }),
        changes: vec![RowChange::Insert(row(id, "z"))],
    };
    let commit = |n: usize| SourceEvent::Commit {
        end: pos(n),
        gtid: None,
        server_ts: 1,
    };
    vec![
        rows(999),
        commit(3),
        SourceEvent::Ddl {
            database: "d".into(),
            sql: sql.into(),
            end: pos(4),
            gtid: None,
        },
        rows(1000),
        commit(5),
    ]
}

/// Snapshot, then the scripted binlog of `sql`; the engine's result.
fn run_ddl(
    sql: &str,
) -> (
    anyhow::Result<Outcome>,
    Arc<FakeLoader>,
    Vec<String>,
    Store,
    tempfile::TempDir,
) {
    let db = Arc::new(Mutex::new(Db {
        txns: workload(5, 6, 2),
        visible: 2,
        ..Default::default()
    }));
    let loader = Arc::new(FakeLoader::default());
    let admin = fake_admin(loader.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    {
        let mut src = FakeSource(db.clone());
        let mut eng = Engine::new(
            targets(&loader, FlushLimits::default()),
            store.clone(),
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
        eng.run().unwrap();
    }
    let mut src = DdlSource(ddl_events(sql));
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
    let r = eng.run();
    drop(eng);
    let log = admin.1.lock().unwrap().clone();
    (r, loader, log, store, dir)
}

#[test]
fn a_followable_ddl_alters_the_target_and_evolves_the_checkpoint_schema() {
    let (r, loader, log, store, _dir) = run_ddl("ALTER TABLE pk ADD COLUMN c INT AFTER v");
    assert_eq!(r.unwrap(), Outcome::CaughtUp);
    assert_eq!(
        log,
        vec!["ALTER TABLE `d`.`pk` ADD COLUMN `c` INT NULL AFTER `v`".to_string()]
    );
    let t = target_tables(&loader);
    assert!(t.pk.contains_key(&999) && t.pk.contains_key(&1000), "{t:?}");
    let st = store.load().unwrap().unwrap();
    assert_eq!(st.binlog, Some(pos(5)));
    assert!(st.schema_change.is_none());
    let cols: Vec<&str> = st.tables["d.pk"].schema[0]
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(cols, ["id", "v", "c"]);
}

#[test]
fn a_ddl_smt_cannot_follow_stops_before_it_with_the_statement() {
    let (r, loader, log, store, _dir) = run_ddl("ALTER TABLE pk DROP COLUMN nope");
    let e = r.unwrap_err();
    assert_eq!(crate::error::exit_code_of(&e), 7);
    let m = e.to_string();
    assert!(
        m.contains("ALTER TABLE pk DROP COLUMN nope") && m.contains("--reset"),
        "{m}"
    );
    assert!(log.is_empty(), "{log:?}");
    assert!(
        target_tables(&loader).pk.contains_key(&999),
        "rows before the DDL are loaded"
    );
    // The checkpoint stays before the statement.
    assert_eq!(store.load().unwrap().unwrap().binlog, Some(pos(3)));
}

#[test]
fn a_dropped_source_table_empties_its_target_and_leaves_the_job() {
    let (r, loader, log, store, _dir) = run_ddl("DROP TABLE pk");
    assert_eq!(r.unwrap(), Outcome::Dropped(vec!["d.pk".to_string()]));
    assert_eq!(log, vec!["TRUNCATE d.pk".to_string()]);
    assert!(target_tables(&loader).pk.is_empty());
    let st = store.load().unwrap().unwrap();
    assert!(!st.tables.contains_key("d.pk"), "{:?}", st.tables.keys());
    assert!(st.tables.contains_key("d.dup"));
    // The checkpoint is past the statement: the next run does not meet it again.
    assert!(st.binlog > Some(pos(3)), "{:?}", st.binlog);
}

#[test]
fn a_truncate_truncates_the_target() {
    let (r, loader, log, _store, _dir) = run_ddl("TRUNCATE TABLE pk");
    r.unwrap();
    assert_eq!(log, vec!["TRUNCATE d.pk".to_string()]);
    let t = target_tables(&loader);
    assert_eq!(t.pk.keys().copied().collect::<Vec<_>>(), vec![1000]);
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
        readers in 1usize..4,
        // Batches of this many rows or more load beside the reading (1: every batch; 1000:
        // none, every flush inline).
        pipeline_min_rows in prop_oneof![Just(1usize), Just(2), Just(1000)],
        // Snapshot rounds of one chunk per reader, the binlog applied between them.
        rounds in any::<bool>(),
    ) {
        let lim = FlushLimits {
            max_rows,
            max_bytes: if small_bytes { 50 } else { 1 << 20 },
            interval: if interval0 { Duration::ZERO } else { Duration::from_secs(3600) },
        };
        let (got, want, _runs) =
            crash_run(seed, 30, &crashes, chunk_rows, lim, &transient, readers, pipeline_min_rows,
                rounds.then_some(Duration::ZERO));
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
    fn snapshot(
        &mut self,
        tables: &[TablePlan],
        todo: &[usize],
        held: bool,
    ) -> anyhow::Result<View> {
        self.inner.snapshot(tables, todo, held)
    }
    fn binlog(
        &mut self,
        from: &BinlogPosition,
        mark: Option<&PositionMark>,
        tables: &[TablePlan],
    ) -> anyhow::Result<Box<dyn ChangeStream>> {
        Ok(Box::new(FlakyStream {
            inner: self.inner.binlog(from, mark, tables)?,
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
            let db = Arc::new(Mutex::new(Db {
                txns,
                visible: 4,
                ..Default::default()
            }));
            let loader = Arc::new(FakeLoader::default());
            let admin = fake_admin(loader.clone());
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
fn schema_change_statements_follow_what_starrocks_can() {
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
            col("b", SrType::BigInt),
            col("c w", SrType::Varchar(8)),
        ],
    );
    assert_eq!(
        schema_change_statements(&old, &new, None).unwrap(),
        vec![
            "ALTER TABLE `d`.`t` DROP COLUMN `a`".to_string(),
            "ALTER TABLE `d`.`t` MODIFY COLUMN `b` BIGINT NULL".to_string(),
            "ALTER TABLE `d`.`t` ADD COLUMN `c w` VARCHAR(8) NULL AFTER `b`".to_string(),
        ]
    );
    // Against the table as it is: nothing left to do once applied (a replay after a crash).
    let applied = crate::compat::shape_of_plan(&new);
    assert!(schema_change_statements(&old, &new, Some(&applied))
        .unwrap()
        .is_empty());
    // A narrower source type keeps the wider StarRocks column.
    assert!(schema_change_statements(&new, &old, Some(&applied))
        .unwrap()
        .iter()
        .all(|s| !s.contains("MODIFY")));
    let retyped = plan(
        "d",
        "t",
        Model::Primary,
        vec![
            col("id", SrType::BigInt),
            col("a", SrType::Varchar(3)),
            col("b", SrType::Int),
        ],
    );
    assert!(schema_change_statements(&old, &retyped, None).is_err());
    let dup = plan("d", "t", Model::Duplicate, old.columns.clone());
    assert!(schema_change_statements(&old, &dup, None).is_err());
    let rekeyed = plan("d", "t", Model::Primary, vec![col("a", SrType::Int)]);
    assert!(schema_change_statements(&old, &rekeyed, None).is_err());
}

/// The quarantine under crashes at many points: the target gets every change StarRocks
/// accepts exactly once, the dead-letter table exactly the refused ones, once each.
#[test]
fn quarantine_sets_aside_exactly_the_refused_rows_across_crashes() {
    let mut txns = workload(11, 40, 8);
    let mut refused_changes = 0usize;
    for (i, txn) in txns.iter_mut().enumerate().skip(12) {
        if i % 4 != 0 {
            continue;
        }
        for (_, ch) in txn.iter_mut() {
            if let RowChange::Insert(r) | RowChange::Upsert(r) = ch {
                if let Cell::Str(v) = &mut r[1] {
                    v.push_str("BAD");
                    refused_changes += 1;
                }
            }
        }
    }
    assert!(refused_changes > 3, "the workload refuses some rows");
    let total = txns.len();
    let expected = {
        // Every change except the refused ones (none is in the first snapshot).
        let mut t = Tables::default();
        for txn in &txns {
            for (target, ch) in txn {
                match (target, ch) {
                    (_, RowChange::Insert(r) | RowChange::Upsert(r))
                        if id_v(r).1.ends_with("BAD") => {}
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
        t.dup.sort();
        t
    };
    let db = Arc::new(Mutex::new(Db {
        txns,
        visible: 8,
        ..Default::default()
    }));
    let dir = tempfile::tempdir().unwrap();
    let loader = Arc::new(FakeLoader::default());
    loader.inner.lock().unwrap().refuse_containing = Some("BAD".into());
    let admin = fake_admin(loader.clone());
    let limits = FlushLimits {
        max_rows: 7,
        max_bytes: 1 << 20,
        interval: Duration::from_secs(3600),
    };
    let opts = || Options {
        quarantine: true,
        chunk_rows: 4,
        ..quick_opts()
    };
    // The snapshot, cleanly.
    {
        let mut src = FakeSource(db.clone());
        let mut eng = Engine::new(
            targets(&loader, limits),
            Store::new(dir.path()),
            "job1",
            "t",
            opts(),
            &mut src,
            &admin,
        )
        .unwrap();
        eng.run().unwrap();
    }
    db.lock().unwrap().visible = total;
    // Then crashes at growing call offsets until a run gets through.
    let mut runs = 0;
    for crash in (5u64..400).step_by(9).map(Some).chain([None]) {
        runs += 1;
        {
            let mut g = loader.inner.lock().unwrap();
            g.crash_at = crash.map(|c| g.calls + c);
        }
        let mut src = FakeSource(db.clone());
        let mut eng = Engine::new(
            targets(&loader, limits),
            Store::new(dir.path()),
            "job1",
            "t",
            opts(),
            &mut src,
            &admin,
        )
        .unwrap();
        let r = eng.run();
        if r.is_ok() && !loader.crashed() {
            break;
        }
        assert!(loader.crashed(), "a genuine failure: {:?}", r.err());
    }
    assert!(runs > 3, "some runs crashed");
    let mut got = target_tables(&loader);
    got.dup.sort();
    assert_eq!(got, expected);
    let dl = loader.rows("d.smt_quarantine");
    let mut keys: Vec<(String, u64)> = dl
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap().to_string(),
                r["row_no"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(dl
        .iter()
        .all(|r| r["row_data"].as_str().unwrap().contains("BAD")));
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), dl.len(), "a refused row is set aside once");
    assert_eq!(dl.len(), refused_changes, "every refused row is set aside");
    let st = Store::new(dir.path()).load().unwrap().unwrap();
    let counted: u64 = st.tables.values().map(|t| t.quarantined).sum();
    assert_eq!(counted as usize, refused_changes);
    assert!(loader.open_labels().is_empty(), "nothing left open");
}

/// A binlog whose transactions become available at a fixed rate (one every `every`), like a
/// live source: what arrives while a flush runs waits for the engine.
struct TimedStream {
    events: std::collections::VecDeque<(Instant, SourceEvent)>,
    /// The last transaction's end (the server's position once everything was read).
    last: BinlogPosition,
}

impl ChangeStream for TimedStream {
    fn next_event(&mut self) -> anyhow::Result<Option<SourceEvent>> {
        let Some((at, _)) = self.events.front() else {
            return Ok(None);
        };
        let wait = at.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait.min(Duration::from_millis(5)));
            if !self
                .events
                .front()
                .unwrap()
                .0
                .saturating_duration_since(Instant::now())
                .is_zero()
            {
                return Ok(None);
            }
        }
        Ok(self.events.pop_front().map(|(_, e)| e))
    }
    fn server_position(&mut self) -> anyhow::Result<BinlogPosition> {
        // The server is at the last transaction's end (the writer "has written" them all).
        Ok(self
            .events
            .back()
            .and_then(|(_, e)| match e {
                SourceEvent::Commit { end, .. } => Some(end.clone()),
                _ => None,
            })
            .unwrap_or_else(|| self.last.clone()))
    }
}

struct TimedSource(Option<TimedStream>);
impl Source for TimedSource {
    fn snapshot(
        &mut self,
        _tables: &[TablePlan],
        _todo: &[usize],
        _held: bool,
    ) -> anyhow::Result<View> {
        unreachable!()
    }
    fn binlog(
        &mut self,
        _from: &BinlogPosition,
        _mark: Option<&PositionMark>,
        _tables: &[TablePlan],
    ) -> anyhow::Result<Box<dyn ChangeStream>> {
        Ok(Box::new(self.0.take().expect("opened once")))
    }
}

#[test]
fn batches_grow_when_the_target_is_slow() {
    let loader = Arc::new(FakeLoader::default());
    let admin = fake_admin(loader.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    // Both tables done; the binlog phase starts at pos(0).
    let mut st = State::new("j", "t");
    for k in ["d.pk", "d.dup"] {
        st.table_mut(k).snapshot = SnapshotStatus::Done {
            position: pos(0),
            epoch: 1,
            mark: None,
        };
    }
    store.save(&st).unwrap();
    // 300 source transactions, one every 2 ms (600 ms), into a target that takes 15 ms a call
    // (a flush = begin + load + prepare + commit ≈ 60 ms), with a 20 ms flush interval.
    let t0 = Instant::now();
    let mut events = std::collections::VecDeque::new();
    let n = 300;
    for i in 0..n {
        let at = t0 + Duration::from_millis(2 * i as u64);
        events.push_back((
            at,
            SourceEvent::Rows {
                target: 0,
                source: std::sync::Arc::new(crate::plan::SourceRef {
                    database: "d".into(),
                    table: "pk".into(),
                }),
                changes: vec![RowChange::Insert(row(i as i64, "v"))],
            },
        ));
        events.push_back((
            at,
            SourceEvent::Commit {
                end: BinlogPosition::new("bin.000001", 1000 + i as u64),
                gtid: None,
                server_ts: 1,
            },
        ));
    }
    loader.inner.lock().unwrap().delay = Duration::from_millis(15);
    let limits = FlushLimits {
        max_rows: 1_000_000,
        max_bytes: 1 << 30,
        interval: Duration::from_millis(20),
    };
    let last = BinlogPosition::new("bin.000001", 1000 + n as u64 - 1);
    let mut src = TimedSource(Some(TimedStream { events, last }));
    let mut eng = Engine::new(
        targets(&loader, limits),
        store.clone(),
        "j",
        "t",
        quick_opts(),
        &mut src,
        &admin,
    )
    .unwrap();
    eng.run().unwrap();
    let commits = loader.inner.lock().unwrap().commits;
    assert_eq!(target_tables(&loader).pk.len(), n);
    // Timed from the start of a flush, every transaction would find the interval passed and
    // ship alone (~n loads); timed from its end, a batch gathers what arrived meanwhile.
    assert!(
        commits <= 40,
        "{commits} loads for {n} source transactions against a slow target"
    );
}
