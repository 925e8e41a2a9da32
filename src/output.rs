//! Writes `result/`: SMT's file names (`starrocks-create.<N>.sql`, `flink-create.<N>.sql`,
//! `starrocks-create.all.sql`, `flink-create.all.sql`) and the Flink CDC pipelines
//! (`flink-cdc-pipeline.<N>.yaml`, `flink-cdc-pipeline.all.yaml`), atomically and without wiping
//! anything.
//!
//! Invariants, and why they hold:
//! - A reader never sees a half-written file: each file is written to a temp file in the same
//!   directory (same filesystem), fsynced, given its final mode, then `rename`d over the target
//!   (atomic on POSIX); the directory is fsynced after the renames.
//! - A file with a password is never readable by others, not even briefly: the temp file is
//!   created with mode 0600 (`O_EXCL`, so it is a new inode) before any byte is written.
//! - Nothing but our own files is touched. SMT deletes the whole output directory; we don't.
//!   The only removals are our own temp files (`.smt-tmp.*`) left by a crashed run. Files named
//!   like our outputs (`starrocks-create.<X>.sql`, `flink-create.<X>.sql`,
//!   `flink-cdc-pipeline.<X>.yaml`) that this run did not
//!   write (a rule that no longer exists, or a user's own file) are left in place and listed in
//!   [`WriteReport::stale`], which `generate` prints, so a user decides what to delete.
//! - Same input → byte-identical files (rendering is deterministic; see `render`).

use crate::plan::Plan;
use crate::render;
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prefix of our temp files; `.` first so shell globs skip them.
const TMP_PREFIX: &str = ".smt-tmp.";
/// Our output families (SMT's prefixes).
pub const STARROCKS_PREFIX: &str = "starrocks-create";
pub const FLINK_PREFIX: &str = "flink-create";
/// Flink CDC 3 pipeline definitions (`flink-cdc-pipeline.<N>.yaml`, `.all.yaml`).
pub const PIPELINE_PREFIX: &str = "flink-cdc-pipeline";

/// One file of `result/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultFile {
    /// Plain file name (no directory).
    pub name: String,
    pub content: String,
    /// Contains a password: written with mode 0600.
    pub secret: bool,
}

impl ResultFile {
    pub fn as_tuple(&self) -> (String, String, bool) {
        (self.name.clone(), self.content.clone(), self.secret)
    }
}

/// What [`write_results`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files written (full paths), in input order.
    pub written: Vec<PathBuf>,
    /// Temp files of crashed runs removed (full paths), sorted.
    pub removed: Vec<PathBuf>,
    /// Files named like our outputs that this run did not write (a rule that no longer exists,
    /// or a user's own file): left in place, never deleted, and listed so the user can decide.
    pub stale: Vec<PathBuf>,
}

/// Build the list of result files for a plan: per rule (config order) `starrocks-create.<N>.sql`,
/// `flink-create.<N>.sql` and `flink-cdc-pipeline.<N>.yaml` (for rules the pipeline can carry),
/// then the two `.all.sql` files, which are the concatenation of the per-rule files in config
/// order, and `flink-cdc-pipeline.all.yaml` (all rules in one pipeline). Flink files (SQL and
/// YAML) are secret (0600) when any password they carry is non-empty. Server-id ranges are
/// distinct across all of them (see [`render::flink_outputs`]).
///
/// Errors when a rule name cannot be part of a file name (path separators, NUL, leading `.`) or
/// is `all` (it would collide with the `.all.sql` files).
pub fn result_files(plan: &Plan) -> Result<Vec<ResultFile>> {
    let mut per_rule_sr = Vec::new();
    let mut any_secret = !plan.source.password.expose().is_empty();
    for rp in &plan.rules {
        check_rule_name(&rp.rule)?;
        let rule = &rp.config;
        any_secret |= rule
            .flink_starrocks
            .iter()
            .chain(rule.flink_cdc.iter())
            .any(|(k, v)| k == "password" && !v.is_empty());
        let sr: Vec<String> = render::starrocks_rule_statements(rp)
            .into_iter()
            .map(|s| s.sql)
            .collect();
        let sr_text = if sr.is_empty() {
            format!(
                "-- rule {} matched no tables\n",
                rp.rule.replace(|c: char| c.is_control(), " ")
            )
        } else {
            render::join_statements(&sr)
        };
        per_rule_sr.push((rp.rule.clone(), sr_text));
    }
    let flink = render::flink_outputs(plan)?;
    let mut files = Vec::new();
    for (name, content) in &per_rule_sr {
        files.push(ResultFile {
            name: format!("{STARROCKS_PREFIX}.{name}.sql"),
            content: content.clone(),
            secret: false,
        });
    }
    for (name, content) in &flink.sql {
        files.push(ResultFile {
            name: format!("{FLINK_PREFIX}.{name}.sql"),
            content: content.clone(),
            secret: any_secret,
        });
    }
    for (name, content) in &flink.pipelines {
        files.push(ResultFile {
            name: format!("{PIPELINE_PREFIX}.{name}.yaml"),
            content: content.clone(),
            secret: any_secret,
        });
    }
    files.push(ResultFile {
        name: format!("{STARROCKS_PREFIX}.all.sql"),
        content: concat(per_rule_sr.iter().map(|(_, c)| c.as_str())),
        secret: false,
    });
    files.push(ResultFile {
        name: format!("{FLINK_PREFIX}.all.sql"),
        content: concat(flink.sql.iter().map(|(_, c)| c.as_str())),
        secret: any_secret,
    });
    if let Some(all) = flink.all_pipeline {
        files.push(ResultFile {
            name: format!("{PIPELINE_PREFIX}.all.yaml"),
            content: all,
            secret: any_secret,
        });
    }
    Ok(files)
}

/// Per-rule files joined with one blank line between them.
fn concat<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let parts: Vec<&str> = parts.filter(|p| !p.is_empty()).collect();
    parts.join("\n")
}

fn check_rule_name(name: &str) -> Result<()> {
    let bad = if name == "all" {
        Some("`all` would collide with the .all.sql files")
    } else if name.is_empty() {
        Some("it is empty")
    } else if name.contains(['/', '\\', '\0']) || name.chars().any(char::is_control) {
        Some("it contains a path separator or control character")
    } else if name.starts_with('.') {
        Some("it starts with '.'")
    } else {
        None
    };
    match bad {
        Some(why) => Err(crate::error::fail(
            crate::error::Kind::Config,
            format!(
                "[table-rule.{name}]: the rule name becomes part of the result file names, but {why}; \
                 rename the section"
            ),
        )),
        None => Ok(()),
    }
}

/// Is `name` one of our output names (`starrocks-create.<X>.sql`, `flink-create.<X>.sql`,
/// `flink-cdc-pipeline.<X>.yaml`)?
fn is_our_output(name: &str) -> bool {
    [
        (STARROCKS_PREFIX, ".sql"),
        (FLINK_PREFIX, ".sql"),
        (PIPELINE_PREFIX, ".yaml"),
    ]
    .iter()
    .any(|(p, ext)| {
        name.strip_prefix(p)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|r| r.strip_suffix(ext))
            .is_some_and(|mid| !mid.is_empty())
    })
}

fn check_file_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.starts_with(TMP_PREFIX)
        || name.contains(['/', '\\', '\0'])
    {
        return Err(crate::error::fail(
            crate::error::Kind::Config,
            format!("{name:?} is not a plain file name for the output directory"),
        ));
    }
    Ok(())
}

/// Write `files` (name, content, secret) into `dir` atomically; see the module doc for what is
/// guaranteed, removed and listed. Creates `dir` (and parents) if missing.
pub fn write_results(dir: &Path, files: &[(String, String, bool)]) -> Result<WriteReport> {
    let mut names = BTreeSet::new();
    for (name, _, _) in files {
        check_file_name(name)?;
        if !names.insert(name.as_str()) {
            return Err(crate::error::fail(
                crate::error::Kind::Config,
                format!("two result files are both named {name:?}; rename one of the rules"),
            ));
        }
    }
    fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create output directory {}; check the path and permissions of output_dir",
            dir.display()
        )
    })?;

    let mut report = WriteReport::default();
    for (name, content, secret) in files {
        let target = dir.join(name);
        write_atomic(dir, &target, content.as_bytes(), *secret)
            .with_context(|| format!("cannot write {}", target.display()))?;
        report.written.push(target);
    }

    // Remove temp files of crashed runs (only ours can carry TMP_PREFIX); list, never delete,
    // files named like our outputs that this run did not write: they may be a user's.
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot list output directory {}", dir.display()))?;
    let mut leftovers = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        if name.starts_with(TMP_PREFIX) {
            leftovers.push(entry.path());
        } else if is_our_output(&name) && !names.contains(name.as_str()) {
            report.stale.push(entry.path());
        }
    }
    leftovers.sort();
    report.stale.sort();
    for p in leftovers {
        fs::remove_file(&p).with_context(|| format!("cannot remove stale {}", p.display()))?;
        report.removed.push(p);
    }
    sync_dir(dir)?;
    Ok(report)
}

/// [`write_results`] for [`ResultFile`]s.
pub fn write_result_files(dir: &Path, files: &[ResultFile]) -> Result<WriteReport> {
    let tuples: Vec<_> = files.iter().map(ResultFile::as_tuple).collect();
    write_results(dir, &tuples)
}

fn write_atomic(dir: &Path, target: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!("{TMP_PREFIX}{}.{file_name}", std::process::id()));
    let mode = if secret { 0o600 } else { 0o644 };
    let result = (|| -> Result<()> {
        let _ = fs::remove_file(&tmp); // a leftover of ours with the same pid
        let mut f = open_new(&tmp, mode)?;
        f.write_all(bytes)?;
        set_mode(&f, mode)?; // umask may have narrowed it; make it exact
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, target)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn open_new(path: &Path, mode: u32) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path, _mode: u32) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn set_mode(f: &fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_f: &fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot fsync {}", dir.display()))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_our_names() {
        assert!(is_our_output("starrocks-create.1.sql"));
        assert!(is_our_output("flink-create.all.sql"));
        assert!(is_our_output("flink-create.a.b.sql"));
        assert!(!is_our_output("starrocks-create..sql"));
        assert!(!is_our_output("starrocks-create.1.sql.bak"));
        assert!(!is_our_output("starrocks-external-create.1.sql"));
        assert!(!is_our_output("notes.sql"));
        assert!(is_our_output("flink-cdc-pipeline.all.yaml"));
        assert!(is_our_output("flink-cdc-pipeline.1.yaml"));
        assert!(!is_our_output("flink-cdc-pipeline.1.sql"));
    }

    #[test]
    fn rejects_bad_rule_names() {
        assert!(check_rule_name("all").is_err());
        assert!(check_rule_name("../x").is_err());
        assert!(check_rule_name(".hidden").is_err());
        assert!(check_rule_name("a\nb").is_err());
        assert!(check_rule_name("orders-2024").is_ok());
    }
}
