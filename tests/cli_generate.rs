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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A dump with one good table and one whose column name StarRocks cannot hold.
fn mixed_dump(dir: &Path) -> PathBuf {
    write(
        dir,
        "mixed.sql",
        "USE `shop`;\nCREATE TABLE `good` (`id` int NOT NULL, PRIMARY KEY (`id`));\n\
         CREATE TABLE `bad` (`id` int NOT NULL, `we``ird` int, PRIMARY KEY (`id`));\n",
    )
}

fn mixed_config(dir: &Path, extra: &str) -> PathBuf {
    let dump = mixed_dump(dir);
    write(
        dir,
        "m.ini",
        &format!(
            "[db]\ntype = dump\ndump_file = {}\n[other]\nbe_num = 1\noutput_dir = {}\n\
             [table-rule.1]\ndatabase = ^shop$\ntable = .*\n{extra}",
            dump.display(),
            dir.join("out").display()
        ),
    )
}

#[test]
fn one_unplannable_table_is_reported_and_the_others_are_written_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let p = mixed_config(dir.path(), "");
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("shop.bad") && out.contains("backtick"),
        "{out}"
    );
    assert!(
        out.contains("exclude_table"),
        "says how to leave it out: {out}"
    );
    let ddl = std::fs::read_to_string(dir.path().join("out/starrocks-create.1.sql")).unwrap();
    assert!(
        ddl.contains("`shop`.`good`") && !ddl.contains("`bad`"),
        "{ddl}"
    );
    // The JSON summary says the same, with the exit code.
    let o = smt(
        &["generate", "-c", p.to_str().unwrap(), "--format", "json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(6));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exit_code"], 6);
    assert_eq!(v["skipped"][0]["table"], "bad");
}

#[test]
fn exclude_table_leaves_a_table_out_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let p = mixed_config(dir.path(), "exclude_table = ^bad$\n");
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("shop.bad"), "{}", stdout(&o));
    let p = mixed_config(dir.path(), "exclude_database = ^sh\n");
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(
        o.status.code(),
        Some(5),
        "everything excluded: {}",
        stderr(&o)
    );
}

#[test]
fn a_dump_without_create_table_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("empty.sql", ""),
        ("garbage.sql", "this is not SQL at all\n\u{1}\u{2}"),
    ] {
        write(dir.path(), name, text);
        let p = write(
            dir.path(),
            "d.ini",
            &format!("[db]\ntype = dump\ndump_file = {name}\n[other]\nbe_num = 1\n[table-rule.1]\ndatabase = .*\ntable = .*\n"),
        );
        let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("no CREATE TABLE"),
            "{name}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn json_format_prints_errors_as_json_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let o = smt(
        &["generate", "-c", "nope.ini", "--format", "json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(&o)));
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["error"]["kind"], "config");
    assert!(v["error"]["message"].as_str().unwrap().contains("nope.ini"));
}

#[test]
fn an_unwritable_output_dir_is_a_local_error_not_a_bug() {
    let dir = tempfile::tempdir().unwrap();
    // output_dir names an existing regular file: it cannot be a directory.
    write(dir.path(), "blocker", "x");
    let p = dump_config(dir.path(), "[table-rule.1]\ndatabase = .*\ntable = .*\n");
    let o = smt(
        &[
            "generate",
            "-c",
            p.to_str().unwrap(),
            "-o",
            dir.path().join("blocker").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(8), "{}", stderr(&o));
    assert!(stderr(&o).contains("output directory"), "{}", stderr(&o));
}

/// What the user configured is written as is; where smt picks a format, it is the one the
/// user's keys imply (separators → CSV), and the summary says which keys smt added.
#[test]
fn csv_separators_are_kept_and_added_keys_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dump_config(
        dir.path(),
        "[table-rule.1]\ndatabase = ^demo_db$\ntable = .*\n\
         flink.starrocks.sink.properties.column_separator = \\x01\n\
         flink.starrocks.sink.properties.row_delimiter = \\x02\n\
         [table-rule.2]\ndatabase = ^edu_db_1$\ntable = .*\n",
    );
    let o = smt(&["generate", "-c", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f1 = std::fs::read_to_string(dir.path().join("out/flink-create.1.sql")).unwrap();
    assert!(
        f1.contains("'sink.properties.column_separator' = '\\x01'"),
        "{f1}"
    );
    assert!(f1.contains("'sink.properties.format' = 'csv'"), "{f1}");
    assert!(
        !f1.contains("'json'") && !f1.contains("strip_outer_array"),
        "{f1}"
    );
    let f2 = std::fs::read_to_string(dir.path().join("out/flink-create.2.sql")).unwrap();
    assert!(f2.contains("'sink.properties.format' = 'json'"), "{f2}");
    let out = stdout(&o);
    assert!(
        out.contains("added to its Flink sinks: 'sink.properties.format' = 'csv' (the rule sets CSV separators"),
        "{out}"
    );
    assert!(
        out.contains("added to its Flink sinks: 'sink.properties.format' = 'json'"),
        "{out}"
    );
}
