//! `result/` in the repository is exactly what `smt generate -c config.ini.example` writes
//! (the README's main job), so the committed output can never drift from the code.
//! Regenerate with: `cargo run -- generate -c config.ini.example`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn committed_result_dir_matches_a_fresh_generate() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["generate", "-c", "config.ini.example", "-o"])
        .arg(out.path())
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut fresh: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fresh.sort();
    let mut committed: Vec<String> = std::fs::read_dir(repo.join("result"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql") || n.ends_with(".yaml"))
        .collect();
    committed.sort();
    assert_eq!(
        fresh, committed,
        "file sets differ: run `cargo run -- generate -c config.ini.example`"
    );
    for name in &fresh {
        let a = std::fs::read_to_string(out.path().join(name)).unwrap();
        let b = std::fs::read_to_string(repo.join("result").join(name)).unwrap();
        assert!(
            a == b,
            "result/{name} is stale: run `cargo run -- generate -c config.ini.example`"
        );
    }
}

#[test]
fn flink_sql_never_casts_what_flink_cannot_convert() {
    // BIT(n>1) arrives from mysql-cdc as BYTES; Flink has no BYTES → BIGINT conversion, so the
    // generated job must not contain that cast (Flink's validator rejects it) and must say so.
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let flink = std::fs::read_to_string(repo.join("result/flink-create.all.sql")).unwrap();
    assert!(!flink.contains("CAST(`c_bit` AS BIGINT)"), "{flink}");
    assert!(flink.contains("CAST(NULL AS BIGINT) AS `c_bit`"), "{flink}");
    assert!(flink.contains("WARNING column c_bit"), "{flink}");
}
