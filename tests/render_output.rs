//! result/ writer: atomic, no temp files left, 0600 for secrets, unrelated files untouched,
//! stale outputs of ours removed, re-runs byte-identical.

mod render_support;

use render_support::full;
use smt::output::{write_result_files, write_results};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn t(name: &str, content: &str, secret: bool) -> (String, String, bool) {
    (name.into(), content.into(), secret)
}

#[test]
fn writes_creates_dir_sets_modes_and_leaves_no_temp_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("nested").join("result");
    let report = write_results(
        &dir,
        &[
            t("starrocks-create.1.sql", "CREATE DATABASE x;\n", false),
            t("flink-create.1.sql", "pw\n", true),
        ],
    )
    .expect("write");
    assert_eq!(
        report.written,
        vec![
            dir.join("starrocks-create.1.sql"),
            dir.join("flink-create.1.sql")
        ]
    );
    assert!(report.removed.is_empty());
    assert_eq!(
        listing(&dir),
        ["flink-create.1.sql", "starrocks-create.1.sql"]
    );
    assert_eq!(
        fs::read_to_string(dir.join("starrocks-create.1.sql")).expect("read"),
        "CREATE DATABASE x;\n"
    );
    assert_eq!(mode(&dir.join("flink-create.1.sql")), 0o600);
    assert_eq!(mode(&dir.join("starrocks-create.1.sql")), 0o644);
}

#[test]
fn secret_file_that_existed_world_readable_becomes_0600() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = tmp.path().join("flink-create.1.sql");
    fs::write(&p, "old").expect("write");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).expect("chmod");
    write_results(tmp.path(), &[t("flink-create.1.sql", "new", true)]).expect("write");
    assert_eq!(mode(&p), 0o600);
    assert_eq!(fs::read_to_string(&p).expect("read"), "new");
}

#[test]
fn unrelated_files_untouched_and_stale_outputs_listed_not_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    for (n, c) in [
        ("notes.txt", "mine"),
        ("starrocks-create.old.sql", "stale"),
        ("flink-create.old.sql", "stale"),
        ("starrocks-create.1.sql.bak", "backup"),
        ("starrocks-external-create.1.sql", "other tool"),
        (".smt-tmp.999.flink-create.1.sql", "crash leftover"),
    ] {
        fs::write(d.join(n), c).expect("write");
    }
    fs::create_dir(d.join("sub")).expect("mkdir");
    fs::write(d.join("sub").join("starrocks-create.x.sql"), "nested").expect("write");

    let report = write_results(d, &[t("starrocks-create.1.sql", "a;\n", false)]).expect("write");
    assert_eq!(
        report.removed,
        vec![d.join(".smt-tmp.999.flink-create.1.sql")]
    );
    // Files named like ours that this run did not write are listed, never deleted.
    assert_eq!(
        report.stale,
        vec![
            d.join("flink-create.old.sql"),
            d.join("starrocks-create.old.sql")
        ]
    );
    assert_eq!(
        listing(d),
        [
            "flink-create.old.sql",
            "notes.txt",
            "starrocks-create.1.sql",
            "starrocks-create.1.sql.bak",
            "starrocks-create.old.sql",
            "starrocks-external-create.1.sql",
            "sub"
        ]
    );
    assert_eq!(
        fs::read_to_string(d.join("notes.txt")).expect("read"),
        "mine"
    );
    assert_eq!(
        fs::read_to_string(d.join("sub").join("starrocks-create.x.sql")).expect("read"),
        "nested"
    );
}

#[test]
fn rerun_is_byte_identical() {
    let (plan, config) = full();
    let tmp = tempfile::tempdir().expect("tempdir");
    let files = render_support::files(&plan, &config).expect("files");
    write_result_files(tmp.path(), &files).expect("write 1");
    let first: Vec<(String, Vec<u8>)> = listing(tmp.path())
        .into_iter()
        .map(|n| (n.clone(), fs::read(tmp.path().join(&n)).expect("read")))
        .collect();
    let again = render_support::files(&plan, &config).expect("files");
    let report = write_result_files(tmp.path(), &again).expect("write 2");
    assert!(report.removed.is_empty());
    let second: Vec<(String, Vec<u8>)> = listing(tmp.path())
        .into_iter()
        .map(|n| (n.clone(), fs::read(tmp.path().join(&n)).expect("read")))
        .collect();
    assert_eq!(first, second);
    assert_eq!(first.len(), 15);
    assert_eq!(mode(&tmp.path().join("flink-create.all.sql")), 0o600);
    // the pipeline YAML carries the same passwords
    assert_eq!(mode(&tmp.path().join("flink-cdc-pipeline.all.yaml")), 0o600);
    assert_eq!(mode(&tmp.path().join("flink-cdc-pipeline.1.yaml")), 0o600);
    assert_eq!(mode(&tmp.path().join("starrocks-create.all.sql")), 0o644);
}

#[test]
fn rejects_path_like_and_duplicate_names_without_writing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for bad in ["../x.sql", "a/b.sql", "", "..", ".smt-tmp.1.x"] {
        assert!(
            write_results(tmp.path(), &[t(bad, "x", false)]).is_err(),
            "{bad:?} accepted"
        );
    }
    let dup = [
        t("starrocks-create.1.sql", "a", false),
        t("starrocks-create.1.sql", "b", false),
    ];
    assert!(write_results(tmp.path(), &dup).is_err());
    assert!(listing(tmp.path()).is_empty());
}
