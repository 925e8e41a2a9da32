//! Measurements (ignored by default). Run optimised, one at a time:
//! `cargo test --release -p starrocks-emulator --test emulator_bench -- --ignored --nocapture --test-threads 1`
mod common;
use common::*;
use starrocks_emulator::EmulatorConfig;
use std::time::Instant;

const PK: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(64) NULL, \
    `amount` DECIMAL(18, 2) NULL, `ts` DATETIME NULL, `flag` BOOLEAN NULL, `note` VARCHAR(255) NULL) \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn csv_rows(from: u64, n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for i in from..from + n {
        out.extend_from_slice(
            format!(
                "{i}\tname-{i}\t{}.{:02}\t2024-01-{:02} 10:11:12.{:06}\t{}\tsome note text for row {i}\n",
                i % 100_000,
                i % 100,
                i % 28 + 1,
                i % 1_000_000,
                i % 2
            )
            .as_bytes(),
        );
    }
    out
}

fn json_rows(from: u64, n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 130);
    out.push(b'[');
    for i in from..from + n {
        if i > from {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                "{{\"id\":{i},\"name\":\"name-{i}\",\"amount\":{}.{:02},\"ts\":\"2024-01-{:02} 10:11:12.{:06}\",\"flag\":{},\"note\":\"some note text for row {i}\"}}",
                i % 100_000,
                i % 100,
                i % 28 + 1,
                i % 1_000_000,
                i % 2 == 0
            )
            .as_bytes(),
        );
    }
    out.push(b']');
    out
}

/// Fill a PRIMARY KEY table to ~30 MB of data directory, then time small Stream Loads (each
/// one persists twice: the transaction's begin and its commit with the rows).
fn persist_commit_ms(log_compact_bytes: u64) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        data_dir: Some(dir.path().to_path_buf()),
        log_compact_bytes,
        ..Default::default()
    });
    let mut c = conn(&emu);
    setup_db(&mut c, "bench_p", &[PK]);
    for part in 0..10 {
        let v = stream_load(
            &emu,
            "bench_p",
            "t",
            &[("label", &format!("fill{part}"))],
            &csv_rows(part * 30_000, 30_000),
        );
        assert_eq!(v["Status"], "Success", "{v}");
    }
    let snapshot: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let n = if log_compact_bytes == 0 { 10 } else { 50 };
    let t = Instant::now();
    for i in 0..n {
        let v = stream_load(
            &emu,
            "bench_p",
            "t",
            &[("label", &format!("small{i}"))],
            &csv_rows(1_000_000 + i * 10, 10),
        );
        assert_eq!(v["Status"], "Success", "{v}");
    }
    let per = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    assert!(
        emu.persist_errors().is_empty(),
        "{:?}",
        emu.persist_errors()
    );
    assert_eq!(emu.rows_committed("bench_p", "t"), Some(300_000 + n * 10));
    (snapshot as f64 / 1e6, per)
}

/// Time per committed load with `data_dir` on a database of ~30 MB: the append-only log
/// (default) against a whole snapshot per change (`log_compact_bytes = 0`, what persistence
/// did before the log).
#[test]
#[ignore]
fn persist_commit_time_on_30mb_database() {
    let (mb, full) = persist_commit_ms(0);
    println!(
        "BENCH persist: snapshot {mb:.1} MB; snapshot per change (old): {full:.1} ms per 10-row Stream Load"
    );
    let (mb, log) = persist_commit_ms(persist_default());
    println!(
        "BENCH persist: snapshot {mb:.1} MB; append-only log (new): {log:.2} ms per 10-row Stream Load ({:.0}x faster)",
        full / log
    );
}

fn persist_default() -> u64 {
    EmulatorConfig::default().log_compact_bytes
}

fn txn_json_load(store_rows: bool, rows: u64, per_load: u64) -> f64 {
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        store_rows,
        ..Default::default()
    });
    let mut c = conn(&emu);
    setup_db(&mut c, "bench_j", &[PK]);
    let bodies: Vec<Vec<u8>> = (0..rows / per_load)
        .map(|i| json_rows(i * per_load, per_load))
        .collect();
    let mb: usize = bodies.iter().map(|b| b.len()).sum();
    let h = [("format", "json"), ("strip_outer_array", "true")];
    let t = Instant::now();
    assert_eq!(
        txn_op(&emu, "begin", "J", "bench_j", "t", &[])["Status"],
        "OK"
    );
    for b in &bodies {
        let v = txn_load(&emu, "J", "bench_j", "t", &h, b);
        assert_eq!(v["Status"], "OK", "{v}");
    }
    let loaded = t.elapsed();
    let v = txn_op(&emu, "commit", "J", "bench_j", "t", &[]);
    assert_eq!(v["Status"], "OK", "{v}");
    assert_eq!(v["NumberLoadedRows"], rows, "{v}");
    let total = t.elapsed();
    let rps = rows as f64 / total.as_secs_f64();
    assert_eq!(emu.rows_committed("bench_j", "t"), Some(rows));
    println!(
        "BENCH txn json (store_rows={store_rows}): {rows} rows, {:.1} MB in {} loads: \
         loads {:.2} s, commit {:.2} s, total {:.2} s = {:.0} rows/s",
        mb as f64 / 1e6,
        bodies.len(),
        loaded.as_secs_f64(),
        (total - loaded).as_secs_f64(),
        total.as_secs_f64(),
        rps
    );
    rps
}

/// Rows per second of a 1M-row JSON load through the transaction API.
#[test]
#[ignore]
fn txn_json_1m_rows_per_second() {
    let stored = txn_json_load(true, 1_000_000, 100_000);
    let counted = txn_json_load(false, 1_000_000, 100_000);
    println!(
        "BENCH txn json: no-store mode is {:.1}x store mode",
        counted / stored
    );
}

/// Where the time of a no-store JSON load goes: reading the JSON (the streaming reader with a
/// callback that does nothing) against reading plus checking every value (no-store) and
/// building the rows (store), on the same 1M-row body, in-process.
#[test]
#[ignore]
fn json_parse_split() {
    use starrocks_emulator::parse::{json_body, Format, Params};
    use starrocks_emulator::sql::{parse, Stmt};
    let Ok(Stmt::CreateTable { mut def, .. }) = parse(&PK.replace("{db}", "b")) else {
        panic!("CREATE TABLE parses")
    };
    starrocks_emulator::analyze::check_table(&mut def, 1, (3, 3, 2)).unwrap();
    let p = Params {
        format: Format::Json,
        col_sep: b"\t".to_vec(),
        row_delim: b"\n".to_vec(),
        sources: None,
        assigns: Vec::new(),
        strip_outer_array: true,
        jsonpaths: None,
        json_root: None,
        strict: true,
        max_filter_ratio: 0.0,
        timeout_s: None,
        partial_update: false,
        skip_header: 0,
        trim_space: false,
        enclose: None,
        escape: None,
        version: (3, 3, 2),
    };
    let body = json_rows(0, 1_000_000);
    let t = Instant::now();
    let mut n = 0u64;
    starrocks_emulator::jsonv::scan_records(&body, true, &mut |_, f| {
        n += f.map_or(0, |f| f.len() as u64)
    })
    .unwrap();
    let scan = t.elapsed().as_secs_f64();
    assert_eq!(n, 6_000_000);
    let t = Instant::now();
    let counted = json_body(&[&body], &p, &def, "2024-01-01 00:00:00", false).unwrap();
    let check = t.elapsed().as_secs_f64();
    assert_eq!(counted.loaded(), 1_000_000);
    let t = Instant::now();
    let built = json_body(&[&body], &p, &def, "2024-01-01 00:00:00", true).unwrap();
    let build = t.elapsed().as_secs_f64();
    assert_eq!(built.ops.len(), 1_000_000);
    println!(
        "BENCH json parse split ({:.0} MB, 1M rows x 6 columns): read only {scan:.2} s; \
         read + check every value (no-store) {check:.2} s; read + check + build rows (store) {build:.2} s",
        body.len() as f64 / 1e6
    );
}
