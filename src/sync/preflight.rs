//! What `smt sync` decides before the engine runs: where the state lives, whether the source's
//! binlog is still the history the checkpoint follows (or another server of its topology, a
//! failover), which schema each table is decoded with, and whether a target holds rows the
//! checkpoint does not account for.
//!
//! Invariant: the engine starts only from a checkpoint that names the data it resumes from —
//! same history at the same position, or the same GTIDs on a server that has them — and only
//! into targets whose rows the checkpoint accounts for (or that `--reset` empties first).
//! Everything else is a stop (exit 7) that says what happened and what to run.

use super::checkpoint::{SnapshotStatus, SourceHistory, State};
use super::gtid::{GtidPos, GtidState};
use super::position::{BinlogPosition, PositionMark};
use crate::config::{Config, SourceConfig};
use crate::error::{fail, Kind};
use crate::plan::TablePlan;
use crate::schema::TableDesc;
use crate::starrocks::fe::FeClient;
use mysql::Conn;
use std::path::{Path, PathBuf};

/// The default state directory: `<output_dir>/sync-state`, a relative `output_dir` taken from
/// the config file's directory (generate resolves it from the shell's, as SMT does; sync must
/// find its checkpoint from anywhere).
pub fn default_state_dir(config: &Config) -> PathBuf {
    let out = &config.other.output_dir;
    if out.is_absolute() {
        return out.join("sync-state");
    }
    let cfg = std::fs::canonicalize(&config.path).unwrap_or_else(|_| config.path.clone());
    let base = cfg
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    base.join(out).join("sync-state")
}

/// How the binlog is resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// At the checkpoint's `file:pos` on the same history.
    Position,
    /// After the checkpoint's GTID position, on another server of the topology.
    Gtid,
}

/// The server as the checkpoint records it.
pub fn history_of(identity: &crate::source::Identity, src: &SourceConfig) -> SourceHistory {
    SourceHistory {
        server_id: identity.server_id,
        server_uuid: identity.server_uuid.clone(),
        gtid_domain_id: identity.gtid_domain_id,
        address: format!("{}:{}", src.host, src.port),
    }
}

/// Check that the source still holds the history the checkpoint follows at `pos` (its resume
/// point, with `mark`), and decide how to resume. Another server (server id or uuid differs)
/// is followed by GTID when the checkpoint has a GTID position the server's binlog contains and
/// every table's snapshot lies behind the checkpoint; the checkpoint is then moved to a new
/// label namespace (labels derive from positions, which mean other data on that server) and the
/// tables' snapshot positions are set before any position of the new server.
#[allow(clippy::too_many_arguments)]
pub fn check_history(
    conn: &mut Conn,
    src: &SourceConfig,
    identity: &crate::source::Identity,
    probe_server_id: u32,
    state: &mut State,
    keys: &[String],
    pos: &BinlogPosition,
    mark: Option<&PositionMark>,
) -> anyhow::Result<Resume> {
    let here = history_of(identity, src);
    let other_server = state.source.as_ref().is_some_and(|was| {
        was.server_id != here.server_id
            || (was.server_uuid.is_some() && was.server_uuid != here.server_uuid)
    });
    if other_server {
        let was = state.source.clone().unwrap_or_else(|| here.clone());
        return failover(identity, state, keys, pos, mark, &was, &here);
    }
    match same_history(conn, src, probe_server_id, pos, mark)? {
        None => Ok(Resume::Position),
        Some(why) => Err(super::binlog::history_replaced(src, pos, &why)),
    }
}

/// None when the server's binlog at `pos` is the one `mark` describes; Some(why) otherwise.
fn same_history(
    conn: &mut Conn,
    src: &SourceConfig,
    probe_server_id: u32,
    pos: &BinlogPosition,
    mark: Option<&PositionMark>,
) -> anyhow::Result<Option<String>> {
    if !crate::source::position_exists(conn, pos)? {
        let files = crate::source::binary_logs(conn)?;
        let first = files.first().cloned().unwrap_or_default();
        let why = match files.iter().find(|(f, _)| *f == pos.file) {
            Some((_, size)) => format!(
                "the file {} is only {size} bytes long, the checkpoint is at offset {}",
                pos.file, pos.pos
            ),
            None if !first.0.is_empty() && pos < &BinlogPosition::new(first.0.clone(), 0) => {
                format!(
                    "the file {} was purged (the oldest binlog is {})",
                    pos.file, first.0
                )
            }
            None => format!("there is no binlog file {}", pos.file),
        };
        return Ok(Some(why));
    }
    let Some(m) = mark else { return Ok(None) };
    if m.file_created != 0 || m.event.is_some() {
        let start = m.event.map_or(4, |e| e.start);
        let probe = super::binlog::probe_position(src, probe_server_id, &pos.file, start)?;
        if m.file_created != 0 && probe.file_created != 0 && probe.file_created != m.file_created {
            return Ok(Some(format!(
                "the binlog file {} was created at {}, the checkpoint's at {}",
                pos.file,
                unix_text(probe.file_created),
                unix_text(m.file_created)
            )));
        }
        if let Some(e) = m.event {
            match probe.event {
                Some((found, end)) if found == e && end == pos.pos => {}
                Some((found, end)) => {
                    return Ok(Some(format!(
                        "the event at {}:{} is another one (type {} from server {} at {}, ending \
                         at {end}) than the checkpoint recorded (type {} from server {} at {})",
                        pos.file,
                        e.start,
                        found.type_code,
                        found.server_id,
                        unix_text(found.timestamp),
                        e.type_code,
                        e.server_id,
                        unix_text(e.timestamp)
                    )))
                }
                None => {
                    return Ok(Some(format!(
                        "no event starts at {}:{} any more",
                        pos.file, e.start
                    )))
                }
            }
        }
    }
    if let Some(g) = m.gtid.as_deref() {
        if let Some(found) = crate::source::binlog_gtid_pos(conn, pos)? {
            if GtidPos::parse(&found) != GtidPos::parse(g) {
                return Ok(Some(format!(
                    "the GTID position at {pos} is {found}, the checkpoint's is {g}"
                )));
            }
        }
    }
    Ok(None)
}

fn failover(
    identity: &crate::source::Identity,
    state: &mut State,
    keys: &[String],
    pos: &BinlogPosition,
    mark: Option<&PositionMark>,
    was: &SourceHistory,
    here: &SourceHistory,
) -> anyhow::Result<Resume> {
    let stop = |why: String| {
        fail(
            Kind::Sync,
            format!(
                "[db] names another server than the checkpoint's ({} with server id {} then, {} \
                 with server id {} now) and smt cannot resume there: {why}. Point [db] back at \
                 the server the checkpoint follows, or start over with `smt sync --reset` \
                 (truncates the targets and takes a fresh snapshot)",
                was.address, was.server_id, here.address, here.server_id
            ),
        )
    };
    let Some(ours) = mark.and_then(|m| m.gtid.as_deref()) else {
        return Err(stop(
            "the checkpoint has no GTID position (the old server did not log GTIDs), and \
             binlog positions of one server mean nothing on another"
                .into(),
        ));
    };
    let ours_pos = GtidPos::parse(ours).ok_or_else(|| {
        stop(format!(
            "the checkpoint's GTID position {ours:?} is not MariaDB's"
        ))
    })?;
    let theirs = identity.gtid_binlog_state.clone().unwrap_or_default();
    let has = GtidState::parse(&theirs).is_some_and(|s| ours_pos.contained_in(&s));
    if !has {
        return Err(stop(format!(
            "its binlog does not contain the checkpoint's GTID position {ours} (its GTID state \
             is {:?})",
            theirs
        )));
    }
    for k in keys {
        match state.tables.get(k) {
            Some(t) if t.progress.is_some() => {
                return Err(stop(format!("the snapshot of {k} is not finished")))
            }
            Some(t) => {
                if let SnapshotStatus::Done { position, .. } = &t.snapshot {
                    if position > pos {
                        return Err(stop(format!(
                            "the snapshot of {k} is newer than the checkpoint's binlog position"
                        )));
                    }
                }
            }
            None => {}
        }
    }
    tracing::warn!(
        from = %was.address,
        to = %here.address,
        gtid = ours,
        "the source is another server of the topology: resuming after the checkpoint's GTID position (failover)"
    );
    state.renew_namespace();
    let before_all = BinlogPosition::new("", 0);
    for t in state.tables.values_mut() {
        if let SnapshotStatus::Done { position, mark, .. } = &mut t.snapshot {
            *position = before_all.clone();
            *mark = None;
        }
    }
    state.mark = Some(PositionMark {
        file_created: 0,
        event: None,
        gtid: Some(ours_pos.to_string()),
    });
    state.source = Some(here.clone());
    Ok(Resume::Gtid)
}

fn unix_text(ts: u32) -> String {
    jiff::Timestamp::from_second(i64::from(ts)).map_or_else(|_| ts.to_string(), |t| t.to_string())
}

/// Plan the target `db`.`table` from `descs` (the rules of `config`). Err(why) when they no
/// longer plan into it.
pub fn replan(
    config: &Config,
    db: &str,
    table: &str,
    descs: &[TableDesc],
) -> Result<TablePlan, String> {
    let plan = crate::plan::build(config, descs).map_err(|e| format!("{e}"))?;
    if let Some(t) = plan
        .tables()
        .find(|t| t.target_database == db && t.target_table == table)
    {
        return Ok(t.clone());
    }
    let names: Vec<String> = descs.iter().map(TableDesc::qualified).collect();
    let why = plan
        .skipped
        .iter()
        .map(|s| format!("{}.{}: {}", s.database, s.table, s.reason))
        .collect::<Vec<_>>()
        .join("; ");
    Err(if why.is_empty() {
        format!(
            "{} no longer map to the target {db}.{table} under the config's rules",
            names.join(", ")
        )
    } else {
        format!("{} cannot be planned: {why}", names.join(", "))
    })
}

/// Targets that already hold rows although the checkpoint has no record of loading any:
/// a snapshot on top would duplicate (DUPLICATE KEY) or resurrect deleted rows (PRIMARY KEY).
/// Asked only for tables the checkpoint does not know (a first start: normally empty), with
/// COUNT(*) (also what a benchmark emulator that stores no rows answers).
pub fn unaccounted_rows(
    fe: &mut FeClient,
    captures: &[TablePlan],
    state: &State,
    state_dir: &Path,
) -> anyhow::Result<()> {
    let mut full = Vec::new();
    for c in captures {
        let key = format!("{}.{}", c.target_database, c.target_table);
        let known = state.tables.get(&key).is_some_and(|t| {
            matches!(t.snapshot, SnapshotStatus::Done { .. }) || t.progress.is_some()
        });
        if known || state.truncate_pending.contains(&key) {
            continue;
        }
        let n = count_rows(fe, c)?;
        if n > 0 {
            full.push(format!("{key} ({n} rows)"));
        }
    }
    if full.is_empty() {
        return Ok(());
    }
    Err(fail(
        Kind::Sync,
        format!(
            "the StarRocks table(s) {} already hold rows, but the checkpoint in {} has no record \
             of loading them: a snapshot on top would duplicate rows or bring back deleted \
             ones. If an earlier run of this job loaded them with another state directory, run \
             with --state-dir <that directory>; to start over, `smt sync --reset` truncates \
             them and takes a fresh snapshot",
            full.join(", "),
            state_dir.display()
        ),
    ))
}

/// `SELECT COUNT(*)` of a target table.
pub fn count_rows(fe: &mut FeClient, c: &TablePlan) -> anyhow::Result<u64> {
    let sql = format!(
        "SELECT COUNT(*) FROM {}",
        crate::ident::quote_qualified(&c.target_database, &c.target_table)
    );
    let rows = fe.query_rows(&sql).map_err(|e| {
        fail(
            Kind::Target,
            format!("{sql} on {} failed: {}", fe.address(), e.message()),
        )
    })?;
    Ok(rows
        .rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dir_follows_the_config_file_not_the_shell() {
        let d = tempfile::tempdir().unwrap();
        let cfg_path = d.path().join("job.ini");
        std::fs::write(
            &cfg_path,
            "[db]\nhost = h\nport = 3306\nuser = u\npassword = p\n\n[other]\nbe_num = 1\n\n\
             [table-rule.1]\ndatabase = d\ntable = t\n",
        )
        .unwrap();
        let mut config = crate::config::load(&cfg_path).unwrap();
        assert_eq!(config.other.output_dir, PathBuf::from("./result"));
        let dir = default_state_dir(&config);
        let canon = std::fs::canonicalize(d.path()).unwrap();
        assert_eq!(dir, canon.join("./result").join("sync-state"));
        config.other.output_dir = PathBuf::from("/var/lib/smt");
        assert_eq!(
            default_state_dir(&config),
            PathBuf::from("/var/lib/smt/sync-state")
        );
    }
}
