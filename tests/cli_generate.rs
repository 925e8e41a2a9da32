//! `smt generate` as a user runs it: the binary, its exit codes and messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn smt(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .output()
        .expect("run smt")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A dump-based config around `rules`, writing into `<dir>/out`.
fn dump_config(dir: &Path, rules: &str) -> PathBuf {
    let dump = repo().join("examples/sample-schema.sql");
    write(
        dir,
        "c.ini",
        &format!(
            "[db]\ntype = dump\ndump_file = {}\n\n[other]\nbe_num = 1\nuse_decimal_v3 = true\noutput_dir = {}\n\n{rules}",
            dump.display(),
            dir.join("out").display()
        ),
    )
}

#[test]
fn missing_config_file_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = smt(&["generate", "-c", "nope.ini"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope.ini"), "{}", stderr(&o));
}

#[test]
fn ini_syntax_error_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.ini",
        "[db]\nhost = x\n[other\nbe_num = 1\n",
    );
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(":3"), "line 3 expected: {}", stderr(&o));
}

#[test]
fn invalid_regex_names_rule_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dump_config(
        dir.path(),
        "[table-rule.7]\ndatabase = ^edu_(\ntable = .*\n",
    );
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("table-rule.7") && e.contains("database"), "{e}");
}

#[test]
fn unknown_key_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dump_config(dir.path(), "[table-rule.1]\ndatabase = .*\ntabel = .*\n");
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("tabel"), "{}", stderr(&o));
}

#[test]
fn no_table_matched_exits_5_and_names_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let p = dump_config(
        dir.path(),
        "[table-rule.9]\ndatabase = ^no_such_db$\ntable = .*\n",
    );
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("table-rule.9") || stderr(&o).contains("rule 9"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unreachable_source_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let p = write(
        dir.path(),
        "c.ini",
        "[db]\nhost = 127.0.0.1\nport = 1\nuser = root\npassword = s3cret-pw\ntype = mysql\n[other]\nbe_num = 1\n[table-rule.1]\ndatabase = .*\ntable = .*\n",
    );
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("127.0.0.1:1"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("s3cret-pw"),
        "password leaked: {}",
        stderr(&o)
    );
}

#[test]
fn help_documents_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let o = smt(&["--help"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Exit codes") && out.contains("5  nothing to plan"),
        "{out}"
    );
}

#[test]
fn example_config_generates_smt_named_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    let cfg = repo().join("config.ini.example");
    let o = smt(
        &[
            "generate",
            "-c",
            cfg.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json summary");
    assert!(
        summary["tables_planned"].as_u64().unwrap() >= 2,
        "{summary}"
    );
    for f in ["starrocks-create.all.sql", "flink-create.all.sql"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let sr = std::fs::read_to_string(out.join("starrocks-create.all.sql")).unwrap();
    assert!(
        sr.contains("`edu_db__auto_shard`.`course__auto_shard`"),
        "{sr}"
    );
    let fl = std::fs::read_to_string(out.join("flink-create.all.sql")).unwrap();
    assert!(fl.contains("EXECUTE STATEMENT SET"), "{fl}");
}

#[test]
fn output_dir_is_never_wiped_and_unknown_lookalikes_are_listed_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("res");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("starrocks-create.old.sql"), "-- my own file").unwrap();
    let cfg = repo().join("config.ini.example");
    let o = smt(
        &[
            "generate",
            "-c",
            cfg.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("left in place") && text.contains("starrocks-create.old.sql"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("starrocks-create.old.sql")).unwrap(),
        "-- my own file"
    );
}
