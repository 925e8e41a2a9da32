//! `smt sync --engine flink`: hand the generated Flink SQL to a Flink cluster with
//! `$FLINK_HOME/bin/sql-client.sh -f <file>`. smt gives no exactly-once guarantee of its own
//! here: Flink's checkpointing and the StarRocks connector's 2PC sink do (see the generated SQL).
//!
//! `smt sync --engine flink-cdc`: hand `flink-cdc-pipeline.all.yaml` to Flink CDC 3 with
//! `$FLINK_CDC_HOME/bin/flink-cdc.sh <file> --flink-home $FLINK_HOME` (the script needs a Flink
//! installation; its connector jars live in `$FLINK_CDC_HOME/lib`). The StarRocks pipeline sink is
//! at-least-once (idempotent through the PRIMARY KEY tables it writes).

use crate::error::{fail, Kind};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The SQL files to submit: `flink-create.all.sql` if present, else every `flink-create.<rule>.sql`
/// in name order.
pub fn sql_files(output_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let all = output_dir.join("flink-create.all.sql");
    if all.is_file() {
        return Ok(vec![all]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(output_dir)
        .map_err(|e| {
            fail(
                Kind::Config,
                format!(
                    "cannot read the output directory {}: {e}. Run `smt generate` first",
                    output_dir.display()
                ),
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("flink-create.") && n.ends_with(".sql"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(fail(
            Kind::Config,
            format!(
                "no flink-create.*.sql in {}: run `smt generate` first",
                output_dir.display()
            ),
        ));
    }
    Ok(files)
}

/// Run `sql-client.sh -f` for each file; Ok(0) when all succeed.
pub fn run_with(flink_home: Option<&Path>, output_dir: &Path) -> anyhow::Result<u8> {
    let Some(home) = flink_home else {
        return Err(fail(
            Kind::Config,
            "FLINK_HOME is not set: point it at a Flink installation (with the mysql-cdc and \
             starrocks connector jars in lib/), or use `--engine builtin`",
        ));
    };
    let script = home.join("bin").join("sql-client.sh");
    if !script.is_file() {
        return Err(fail(
            Kind::Config,
            format!(
                "{} does not exist: FLINK_HOME must be a Flink distribution (bin/sql-client.sh)",
                script.display()
            ),
        ));
    }
    for file in sql_files(output_dir)? {
        tracing::info!(file = %file.display(), "submitting to Flink with sql-client.sh");
        let status = Command::new(&script)
            .arg("-f")
            .arg(&file)
            .env("FLINK_HOME", home)
            .status()
            .map_err(|e| fail(Kind::Sync, format!("cannot run {}: {e}", script.display())))?;
        if !status.success() {
            return Err(fail(
                Kind::Sync,
                format!(
                    "{} -f {} failed ({status}); see Flink's output above",
                    script.display(),
                    file.display()
                ),
            ));
        }
    }
    Ok(0)
}

pub fn run(output_dir: &Path) -> anyhow::Result<u8> {
    run_with(env_dir("FLINK_HOME").as_deref(), output_dir)
}

/// A directory from the environment; unset or empty is None.
fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The pipeline `--engine flink-cdc` submits.
pub const PIPELINE_FILE: &str = "flink-cdc-pipeline.all.yaml";

/// Run `$FLINK_CDC_HOME/bin/flink-cdc.sh <output_dir>/flink-cdc-pipeline.all.yaml --flink-home
/// $FLINK_HOME`; Ok(0) when it succeeds. Every missing piece is a config error (exit 2) that
/// says what to set; a failing submission is exit 7.
pub fn run_pipeline_with(
    flink_cdc_home: Option<&Path>,
    flink_home: Option<&Path>,
    output_dir: &Path,
) -> anyhow::Result<u8> {
    let Some(cdc_home) = flink_cdc_home else {
        return Err(fail(
            Kind::Config,
            "FLINK_CDC_HOME is not set: point it at a Flink CDC 3 distribution (bin/flink-cdc.sh, \
             with the MySQL and StarRocks pipeline connector jars in lib/), or use `--engine flink` \
             or `--engine builtin`",
        ));
    };
    let script = cdc_home.join("bin").join("flink-cdc.sh");
    if !script.is_file() {
        return Err(fail(
            Kind::Config,
            format!(
                "{} does not exist: FLINK_CDC_HOME must be a Flink CDC 3 distribution (bin/flink-cdc.sh)",
                script.display()
            ),
        ));
    }
    let Some(home) = flink_home else {
        return Err(fail(
            Kind::Config,
            "FLINK_HOME is not set: flink-cdc.sh submits the pipeline to a Flink installation; \
             point FLINK_HOME at one (the MySQL JDBC driver goes into its lib/)",
        ));
    };
    let file = output_dir.join(PIPELINE_FILE);
    if !file.is_file() {
        return Err(fail(
            Kind::Config,
            format!(
                "{} does not exist: run `smt generate` first (it is not written when no table \
                 fits a pipeline: see the generate summary and the left-out notes of the per-rule files)",
                file.display()
            ),
        ));
    }
    tracing::info!(file = %file.display(), "submitting to Flink CDC with flink-cdc.sh");
    let status = Command::new(&script)
        .arg(&file)
        .arg("--flink-home")
        .arg(home)
        .env("FLINK_HOME", home)
        .env("FLINK_CDC_HOME", cdc_home)
        .status()
        .map_err(|e| fail(Kind::Sync, format!("cannot run {}: {e}", script.display())))?;
    if !status.success() {
        return Err(fail(
            Kind::Sync,
            format!(
                "{} {} failed ({status}); see Flink CDC's output above",
                script.display(),
                file.display()
            ),
        ));
    }
    Ok(0)
}

/// [`run_pipeline_with`] with `FLINK_CDC_HOME` and `FLINK_HOME` from the environment.
pub fn run_pipeline(output_dir: &Path) -> anyhow::Result<u8> {
    run_pipeline_with(
        env_dir("FLINK_CDC_HOME").as_deref(),
        env_dir("FLINK_HOME").as_deref(),
        output_dir,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn stand_in(dir: &Path, exit: i32) -> PathBuf {
        let home = dir.join("flink");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        let log = dir.join("calls.log");
        let script = home.join("bin/sql-client.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$FLINK_HOME|$*\" >> '{}'\nexit {exit}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    #[test]
    fn submits_all_sql_with_dash_f() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("result");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("flink-create.1.sql"), "x").unwrap();
        std::fs::write(out.join("flink-create.all.sql"), "x").unwrap();
        let home = stand_in(d.path(), 0);
        assert_eq!(run_with(Some(&home), &out).unwrap(), 0);
        let log = std::fs::read_to_string(d.path().join("calls.log")).unwrap();
        assert_eq!(
            log.trim(),
            format!(
                "{}|-f {}",
                home.display(),
                out.join("flink-create.all.sql").display()
            )
        );
    }

    #[test]
    fn per_rule_files_when_no_all_file() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("result");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("flink-create.2.sql"), "x").unwrap();
        std::fs::write(out.join("flink-create.1.sql"), "x").unwrap();
        std::fs::write(out.join("starrocks-create.1.sql"), "x").unwrap();
        let home = stand_in(d.path(), 0);
        run_with(Some(&home), &out).unwrap();
        let log = std::fs::read_to_string(d.path().join("calls.log")).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].ends_with("flink-create.1.sql") && lines[1].ends_with("flink-create.2.sql")
        );
    }

    fn cdc_stand_in(dir: &Path, exit: i32) -> PathBuf {
        let home = dir.join("flink-cdc");
        std::fs::create_dir_all(home.join("bin")).unwrap();
        let log = dir.join("cdc-calls.log");
        let script = home.join("bin/flink-cdc.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$FLINK_CDC_HOME|$FLINK_HOME|$*\" >> '{}'\nexit {exit}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    #[test]
    fn submits_the_all_pipeline_to_flink_cdc() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("result");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(PIPELINE_FILE), "x").unwrap();
        std::fs::write(out.join("flink-cdc-pipeline.1.yaml"), "x").unwrap();
        let cdc = cdc_stand_in(d.path(), 0);
        let flink = d.path().join("flink");
        assert_eq!(
            run_pipeline_with(Some(&cdc), Some(&flink), &out).unwrap(),
            0
        );
        let log = std::fs::read_to_string(d.path().join("cdc-calls.log")).unwrap();
        assert_eq!(
            log.trim(),
            format!(
                "{}|{}|{} --flink-home {}",
                cdc.display(),
                flink.display(),
                out.join(PIPELINE_FILE).display(),
                flink.display()
            )
        );
    }

    #[test]
    fn flink_cdc_errors_say_what_to_set() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("result");
        std::fs::create_dir_all(&out).unwrap();
        let flink = d.path().join("flink");
        let e = run_pipeline_with(None, Some(&flink), &out).unwrap_err();
        assert!(e.to_string().contains("FLINK_CDC_HOME is not set"), "{e}");
        assert_eq!(crate::error::exit_code_of(&e), 2);
        let e = run_pipeline_with(Some(d.path()), Some(&flink), &out).unwrap_err();
        assert!(e.to_string().contains("flink-cdc.sh does not exist"), "{e}");
        let cdc = cdc_stand_in(d.path(), 0);
        let e = run_pipeline_with(Some(&cdc), None, &out).unwrap_err();
        assert!(e.to_string().contains("FLINK_HOME is not set"), "{e}");
        assert_eq!(crate::error::exit_code_of(&e), 2);
        let e = run_pipeline_with(Some(&cdc), Some(&flink), &out).unwrap_err();
        assert!(
            e.to_string()
                .contains("flink-cdc-pipeline.all.yaml does not exist"),
            "{e}"
        );
        assert!(e.to_string().contains("smt generate"), "{e}");
        assert!(!d.path().join("cdc-calls.log").exists(), "nothing ran");
        std::fs::write(out.join(PIPELINE_FILE), "x").unwrap();
        let bad = cdc_stand_in(&d.path().join("b"), 3);
        let e = run_pipeline_with(Some(&bad), Some(&flink), &out).unwrap_err();
        assert_eq!(crate::error::exit_code_of(&e), 7);
    }

    #[test]
    fn clear_errors() {
        let d = tempfile::tempdir().unwrap();
        let e = run_with(None, d.path()).unwrap_err();
        assert!(e.to_string().contains("FLINK_HOME is not set"));
        assert_eq!(crate::error::exit_code_of(&e), 2);
        let e = run_with(Some(d.path()), d.path()).unwrap_err();
        assert!(
            e.to_string().contains("sql-client.sh does not exist"),
            "{e}"
        );
        let home = stand_in(d.path(), 0);
        let e = run_with(Some(&home), &d.path().join("nope")).unwrap_err();
        assert!(e.to_string().contains("smt generate"), "{e}");
        let out = d.path().join("r");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("flink-create.all.sql"), "x").unwrap();
        let bad = stand_in(&d.path().join("b"), 3);
        let e = run_with(Some(&bad), &out).unwrap_err();
        assert_eq!(crate::error::exit_code_of(&e), 7);
    }
}
