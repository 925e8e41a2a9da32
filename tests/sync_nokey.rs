//! `[other] sync_duplicate_key_changes = exact`: UPDATE and DELETE of source tables without a
//! key, applied to their DUPLICATE KEY targets with the whole row as its identity (see
//! `sync::nokey`), with the binary users run (scripts/test.sh runs this file in the release
//! build too). Identical rows are copies: one UPDATE/DELETE ... LIMIT 1 must change exactly one
//! of them. Every scenario ends with the full row multisets compared (source rendered by SQL
//! independently of smt vs the emulator's rows).

mod sync_support;

use std::path::Path;
use std::process::Command;
use sync_support::*;

/// `smt sync -c cfg --until-caught-up`: (exit code, stderr).
fn catch_up(cfg: &Path, state: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["sync", "--until-caught-up", "-c"])
        .arg(cfg)
        .arg("--state-dir")
        .arg(state)
        .output()
        .expect("run smt");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_synced(what: &str, cfg: &Path, m: &Maria, emu: &starrocks_emulator::Emulator) {
    let (_, plan) = plan_for(cfg);
    let mut c = m.conn_utc();
    let mut n = 0;
    for tp in plan.tables() {
        let src = source_rows(&mut c, tp);
        assert!(
            !src.is_empty() || what.contains("empty"),
            "{what}: no source rows"
        );
        assert_same_rows(
            &format!("{what}: {}", tp.target_name()),
            &src,
            &target_rows(emu, tp),
        );
        n += 1;
    }
    assert!(n > 0, "{what}: no table planned");
}

/// A config capturing `rules`, with `policy` as `sync_duplicate_key_changes`.
fn config(
    dir: &Path,
    m: &Maria,
    emu: &starrocks_emulator::Emulator,
    rules: &[&str],
    policy: &str,
) -> std::path::PathBuf {
    let text = config_text(m, emu, &dir.join("result"), rules).replacen(
        "[other]\n",
        &format!("[other]\nsync_duplicate_key_changes = {policy}\n"),
        1,
    );
    let cfg = dir.join("smt.ini");
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn run_all(m: &Maria, sql: &[String]) {
    let mut c = m.conn_utc();
    for s in sql {
        m.exec(&mut c, s);
    }
}

#[test]
fn exact_mode_changes_one_copy_of_identical_rows_and_keeps_the_others() {
    let db = "it_sync_nokey_exact";
    let sh = "it_sync_nokey_shards";
    let m = Maria::from_env();
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let q = |s: &str| s.replace("{db}", db).replace("{sh}", sh);
    run_all(
        &m,
        &[
            q("DROP DATABASE IF EXISTS {db}"),
            q("DROP DATABASE IF EXISTS {sh}"),
            q("CREATE DATABASE {db}"),
            q("CREATE DATABASE {sh}"),
            q(
                "CREATE TABLE {db}.t (a INT, s VARCHAR(40), d DATETIME(3), x DECIMAL(10,2), \
               n INT NULL, day DATE, b TINYINT(1))",
            ),
            // Three identical rows, two identical rows holding quotes, a backslash and a
            // newline, rows with NULLs.
            q("INSERT INTO {db}.t VALUES \
               (1, 'same', '2024-01-02 03:04:05.678', 1.50, NULL, '2024-01-02', 1), \
               (1, 'same', '2024-01-02 03:04:05.678', 1.50, NULL, '2024-01-02', 1), \
               (1, 'same', '2024-01-02 03:04:05.678', 1.50, NULL, '2024-01-02', 1), \
               (2, 'it''s \\\\ a \"q\"\\nline', NULL, -0.01, 7, NULL, 0), \
               (2, 'it''s \\\\ a \"q\"\\nline', NULL, -0.01, 7, NULL, 0), \
               (3, NULL, NULL, NULL, NULL, NULL, NULL), \
               (4, 'four', '2024-01-02 03:04:05.000', 4.00, 4, '2024-01-02', 1)"),
            // Shards of one merged target: the same row in both shards is two rows of the
            // target, told apart by the origin columns.
            q("CREATE TABLE {sh}.log_1 (k INT, v VARCHAR(10))"),
            q("CREATE TABLE {sh}.log_2 (k INT, v VARCHAR(10))"),
            q("INSERT INTO {sh}.log_1 VALUES (1, 'x'), (1, 'x')"),
            q("INSERT INTO {sh}.log_2 VALUES (1, 'x')"),
        ],
    );
    let rules = [
        format!("database = ^{db}$\ntable = .*"),
        format!("database = ^{sh}$\ntable = ^log_\\d+$\ntarget_table = log"),
    ];
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    let cfg = config(dir.path(), &m, &emu, &rules, "exact");
    let state = dir.path().join("state");
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "snapshot: {err}");
    assert_synced("after the snapshot", &cfg, &m, &emu);

    run_all(
        &m,
        &[
            q("UPDATE {db}.t SET n = 9 WHERE a = 1 LIMIT 1"),
            q("DELETE FROM {db}.t WHERE a = 2 LIMIT 1"),
            // Inserted, deleted and inserted again within one transaction.
            q("BEGIN"),
            q("INSERT INTO {db}.t (a, s) VALUES (5, 'tmp'), (5, 'tmp')"),
            q("DELETE FROM {db}.t WHERE a = 5 LIMIT 1"),
            q("COMMIT"),
            // NULLs become values; a row becomes a copy of one that already exists.
            q("UPDATE {db}.t SET s = 'was null' WHERE a = 3"),
            q(
                "UPDATE {db}.t SET a = 1, s = 'same', d = '2024-01-02 03:04:05.678', x = 1.50, \
               n = NULL, day = '2024-01-02', b = 1 WHERE a = 4",
            ),
            q("DELETE FROM {sh}.log_1 LIMIT 1"),
            q("UPDATE {sh}.log_2 SET v = 'y'"),
        ],
    );
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "changes: {err}");
    assert_synced("after updates and deletes of copies", &cfg, &m, &emu);

    // Every copy of an image removed, in several transactions of one batch.
    run_all(
        &m,
        &[
            q("DELETE FROM {db}.t WHERE a = 1 LIMIT 2"),
            q("DELETE FROM {db}.t WHERE a = 1"),
            q("UPDATE {db}.t SET a = 20 WHERE a = 2"),
            q("DELETE FROM {sh}.log_1"),
        ],
    );
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "removing all copies: {err}");
    assert_synced("after removing every copy", &cfg, &m, &emu);
    let cp = std::fs::read_to_string(state.join("sync-state.json")).unwrap();
    assert!(
        !cp.contains("pending_deletes") && !cp.contains("skipped_changes"),
        "nothing pending, nothing skipped: {cp}"
    );
    run_all(&m, &[q("DROP DATABASE {db}"), q("DROP DATABASE {sh}")]);
}

#[test]
fn a_delete_that_failed_after_the_checkpoint_runs_before_the_commit_on_restart() {
    let db = "it_sync_nokey_restart";
    let m = Maria::from_env();
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let q = |s: &str| s.replace("{db}", db);
    run_all(
        &m,
        &[
            q("DROP DATABASE IF EXISTS {db}"),
            q("CREATE DATABASE {db}"),
            q("CREATE TABLE {db}.t (a INT, s VARCHAR(10))"),
            q("INSERT INTO {db}.t VALUES (1, 'a'), (1, 'a'), (1, 'a'), (2, 'b')"),
        ],
    );
    let rule = format!("database = ^{db}$\ntable = .*");
    let cfg = config(dir.path(), &m, &emu, &[&rule], "exact");
    let state = dir.path().join("state");
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "snapshot: {err}");

    run_all(
        &m,
        &[
            q("UPDATE {db}.t SET s = 'z' WHERE a = 1 LIMIT 1"),
            q("INSERT INTO {db}.t VALUES (3, 'c')"),
        ],
    );
    // The DELETE fails after the batch is prepared and recorded: the run stops with the
    // transaction PREPARED and its DELETE pending in the checkpoint, as a crash there would.
    emu.faults()
        .fail_next_ddl(1, 1064, "injected: the FE lost the DELETE");
    let (code, err) = catch_up(&cfg, &state);
    assert_ne!(code, 0, "the injected DELETE failure stops the run: {err}");
    let cp = std::fs::read_to_string(state.join("sync-state.json")).unwrap();
    assert!(
        cp.contains("pending_deletes") && cp.contains("before_label"),
        "the checkpoint records the DELETE with its label: {cp}"
    );
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "restart: {err}");
    assert!(
        err.contains("running the DELETEs of a batch prepared before the restart"),
        "{err}"
    );
    assert_synced("after the restart", &cfg, &m, &emu);
    run_all(&m, &[q("DROP DATABASE {db}")]);
}

#[test]
fn exact_mode_stops_on_columns_starrocks_cannot_match_and_stop_mode_names_exact() {
    let db = "it_sync_nokey_float";
    let m = Maria::from_env();
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let q = |s: &str| s.replace("{db}", db);
    run_all(
        &m,
        &[
            q("DROP DATABASE IF EXISTS {db}"),
            q("CREATE DATABASE {db}"),
            q("CREATE TABLE {db}.t (a INT, f DOUBLE, j JSON)"),
            q("INSERT INTO {db}.t VALUES (1, 0.5, '{\"k\": 1}')"),
        ],
    );
    let rule = format!("database = ^{db}$\ntable = .*");
    let cfg = config(dir.path(), &m, &emu, &[&rule], "exact");
    let state = dir.path().join("state");
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "snapshot: {err}");
    run_all(&m, &[q("UPDATE {db}.t SET a = 2")]);
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 7, "{err}");
    assert!(
        err.contains("f DOUBLE") && err.contains("j JSON") && err.contains("UPDATE"),
        "names the statement kind and the columns: {err}"
    );

    // The default policy stops too, and names the exact mode as a choice.
    let cfg = config(dir.path(), &m, &emu, &[&rule], "stop");
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 7, "{err}");
    assert!(err.contains("sync_duplicate_key_changes = exact"), "{err}");
    run_all(&m, &[q("DROP DATABASE {db}")]);
}

#[test]
fn a_removal_after_part_of_its_transaction_was_streamed_rereads_the_batch_whole() {
    let db = "it_sync_nokey_streamed";
    let m = Maria::from_env();
    let emu = emulator(None);
    let dir = tempfile::tempdir().unwrap();
    let q = |s: &str| s.replace("{db}", db);
    run_all(
        &m,
        &[
            q("DROP DATABASE IF EXISTS {db}"),
            q("CREATE DATABASE {db}"),
            q("CREATE TABLE {db}.t (a INT, s VARCHAR(2000))"),
            q("INSERT INTO {db}.t VALUES (1, 'keep'), (1, 'keep')"),
        ],
    );
    // A 64 KiB buffer: the transaction below streams into an open StarRocks transaction
    // before its DELETE arrives.
    let rule = format!(
        "database = ^{db}$\ntable = .*\nflink.starrocks.sink.buffer-flush.max-bytes = 65536"
    );
    let cfg = config(dir.path(), &m, &emu, &[&rule], "exact");
    let state = dir.path().join("state");
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "snapshot: {err}");
    let big = "x".repeat(1500);
    let mut sql = vec!["BEGIN".to_string()];
    for i in 0..200 {
        sql.push(q(&format!("INSERT INTO {{db}}.t VALUES ({i}, '{big}')")));
    }
    sql.push(q("DELETE FROM {db}.t WHERE a = 1 AND s = 'keep' LIMIT 1"));
    sql.push("COMMIT".to_string());
    run_all(&m, &sql);
    let (code, err) = catch_up(&cfg, &state);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("reading the batch again, held whole"), "{err}");
    assert_synced(
        "after a streamed transaction with a removal",
        &cfg,
        &m,
        &emu,
    );
    run_all(&m, &[q("DROP DATABASE {db}")]);
}
