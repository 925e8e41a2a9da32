//! The binary users run: `scripts/test.sh` runs this file in the debug profile and again with
//! `cargo test --release`, so `CARGO_BIN_EXE_smt` is the shipped release build there. Every
//! character and binary type size goes through `generate` → `apply` on the StarRocks emulator,
//! and every length in the generated DDL is checked against the documented cap (release builds
//! once emitted `VARCHAR(16777215)` for MEDIUMTEXT: an LLVM miscompile of the clamp).

use starrocks_emulator::{Emulator, EmulatorConfig};
use std::path::Path;
use std::process::{Command, Output};

const CAP: u64 = 1_048_576;

fn smt(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .output()
        .expect("run smt")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// (column definition, expected StarRocks type). Octet lengths: utf8mb4 = 4/char, utf8mb3 = 3,
/// latin1 is sized ×3 (cp1252 → UTF-8), binary = 1.
const COLUMNS: &[(&str, &str)] = &[
    ("c_tinytext tinytext", "VARCHAR(255)"),
    ("c_text text", "VARCHAR(65535)"),
    ("c_mediumtext mediumtext", "VARCHAR(1048576)"),
    ("c_longtext longtext", "VARCHAR(1048576)"),
    ("c_tinytext4 tinytext CHARACTER SET utf8mb4", "VARCHAR(255)"),
    ("c_text4 text CHARACTER SET utf8mb4", "VARCHAR(65535)"),
    (
        "c_mediumtext4 mediumtext CHARACTER SET utf8mb4",
        "VARCHAR(1048576)",
    ),
    (
        "c_longtext4 longtext CHARACTER SET utf8mb4",
        "VARCHAR(1048576)",
    ),
    ("c_tinyblob tinyblob", "VARBINARY(255)"),
    ("c_blob blob", "VARBINARY(65535)"),
    ("c_mediumblob mediumblob", "VARBINARY(1048576)"),
    ("c_longblob longblob", "VARBINARY(1048576)"),
    (
        "c_vc4 varchar(16383) CHARACTER SET utf8mb4",
        "VARCHAR(65532)",
    ),
    (
        "c_vc3 varchar(21844) CHARACTER SET utf8mb3",
        "VARCHAR(65532)",
    ),
    (
        "c_vcl varchar(65532) CHARACTER SET latin1",
        "VARCHAR(196596)",
    ),
    ("c_char4 char(255) CHARACTER SET utf8mb4", "VARCHAR(1020)"),
    ("c_char1 char(1) CHARACTER SET utf8mb4", "CHAR(4)"),
    ("c_bin binary(255)", "VARBINARY(255)"),
    ("c_varbin varbinary(65000)", "VARBINARY(65000)"),
];

fn dump() -> String {
    let cols: Vec<String> = COLUMNS
        .iter()
        .map(|(def, _)| format!("  {def} DEFAULT NULL"))
        .collect();
    format!(
        "CREATE TABLE `sizes` (\n  `id` int(11) NOT NULL,\n{},\n  PRIMARY KEY (`id`)\n) \
         ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;\n",
        cols.join(",\n")
    )
}

fn config(dir: &Path, fe: &str) -> std::path::PathBuf {
    let dump_path = dir.join("schema.sql");
    std::fs::write(&dump_path, format!("USE `sz`;\n{}", dump())).unwrap();
    let path = dir.join("c.ini");
    std::fs::write(
        &path,
        format!(
            "[db]\ntype = dump\ndump_file = {}\n\n[other]\nbe_num = 1\noutput_dir = {}\n\n\
             [table-rule.1]\ndatabase = ^sz$\ntable = .*\n\
             flink.starrocks.jdbc-url = jdbc:mysql://{fe}\n\
             flink.starrocks.load-url = 127.0.0.1:8030\n\
             flink.starrocks.username = root\nflink.starrocks.password = sr-pw\n",
            dump_path.display(),
            dir.join("out").display()
        ),
    )
    .unwrap();
    path
}

/// `(column, type)` pairs of the column list of a CREATE TABLE.
fn column_types(ddl: &str) -> Vec<(String, String)> {
    ddl.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix('`')?;
            let (name, after) = rest.split_once('`')?;
            let ty = after.split_whitespace().next()?.trim_end_matches(',');
            Some((name.to_string(), ty.to_string()))
        })
        .collect()
}

fn lengths(ty: &str) -> Option<u64> {
    let open = ty.find('(')?;
    ty[open + 1..ty.find(')')?].parse().ok()
}

#[test]
fn every_text_and_blob_size_generates_within_limits_and_applies() {
    let emu = Emulator::start(EmulatorConfig {
        password: "sr-pw".into(),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fe = emu.fe_query_addr().to_string();
    let cfg = config(dir.path(), &fe);
    let cfg = cfg.to_str().unwrap();

    let g = smt(&["generate", "-c", cfg], dir.path());
    assert_eq!(g.status.code(), Some(0), "{}", text(&g));
    let ddl = std::fs::read_to_string(dir.path().join("out/starrocks-create.1.sql")).unwrap();
    let got = column_types(&ddl);
    for (def, want) in COLUMNS {
        let name = def.split_whitespace().next().unwrap();
        let ty = got
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| panic!("{name} missing in\n{ddl}"));
        assert_eq!(ty, *want, "{def}\n{ddl}");
    }
    for (name, ty) in &got {
        if let Some(n) = lengths(ty) {
            assert!((1..=CAP).contains(&n), "{name} {ty} outside 1..={CAP}");
        }
    }
    // The summary reports every capped column.
    let summary = String::from_utf8_lossy(&g.stdout);
    for capped in ["c_mediumtext", "c_longtext", "c_mediumblob", "c_longblob"] {
        assert!(
            summary.contains(capped),
            "{capped} not reported:\n{summary}"
        );
    }

    let a = smt(&["apply", "-c", cfg, "--format", "json"], dir.path());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    let back = emu.table_ddl("sz", "sizes").expect("table created");
    let applied = column_types(&back);
    for (def, want) in COLUMNS {
        let name = def.split_whitespace().next().unwrap();
        assert!(
            applied
                .iter()
                .any(|(n, t)| n == name && t.eq_ignore_ascii_case(want)),
            "{name}: want {want} in\n{back}"
        );
    }
}
