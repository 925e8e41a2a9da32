//! Runs Flink's own parser/planner (PyFlink, via scripts/flink-check.sh) over the golden Flink
//! SQL. Opt-in because the first run installs PyFlink (~0.7 GB, ~1.5 min):
//! `cargo test --test render_flink_check -- --ignored`.

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs PyFlink; run with --ignored (scripts/flink-check.sh installs it into .flink-venv)"]
fn golden_flink_sql_passes_flink_planner() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("scripts").join("flink-check.sh"))
        .arg(root.join("tests").join("golden").join("result"))
        .output()
        .expect("run scripts/flink-check.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "flink-check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with(" 0 failed"), "{last}");
    assert!(last.starts_with("5 files, "), "{last}");
}
