//! The verify report: per table what was found, as text or one JSON document.

use super::canon::Row;
use super::compare::DiffKind;
use super::source::KeySpec;
use super::Rechecked;
use crate::cli::Format;
use crate::plan::TablePlan;
use crate::sync::position::BinlogPosition;
use serde::ser::SerializeMap;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every row equal.
    Equal,
    /// Keys missing, extra or different (or, without a key, the checksums differ).
    Differs,
    /// The target has not loaded up to the source position: not (or not conclusively) compared.
    Behind,
    /// No key to compare by: counts and checksums equal.
    NotComparable,
    /// The table could not be compared (see `error`).
    Error,
}

/// A key: column name → canonical value, in key order.
#[derive(Debug, Clone)]
pub struct Key(pub Vec<(String, Option<String>)>);

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match v {
                Some(v) => write!(f, "{k}={}", serde_json::Value::String(v.clone()))?,
                None => write!(f, "{k}=NULL")?,
            }
        }
        Ok(())
    }
}

/// How far the target is behind a source position.
#[derive(Debug, Clone, Serialize)]
pub struct Behind {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// The checkpoint's position for the table (None: it has none yet).
    pub checkpoint: Option<String>,
    pub source: String,
    pub reason: String,
}

impl Behind {
    pub fn new(at: Option<&BinlogPosition>, p: &BinlogPosition, reason: &str) -> Behind {
        let (bytes, files) = at.map_or((None, None), |a| super::syncstate::distance(a, p));
        Behind {
            bytes,
            files,
            checkpoint: at.map(|a| a.to_string()),
            source: p.to_string(),
            reason: reason.to_string(),
        }
    }
    pub fn text(&self) -> String {
        let by = match (self.bytes, self.files) {
            (Some(b), _) => format!("by {b} bytes"),
            (_, Some(f)) => format!("by {f} binlog file(s)"),
            _ => String::new(),
        };
        format!(
            "target behind {by} ({}; checkpoint {} < source {})",
            self.reason,
            self.checkpoint.as_deref().unwrap_or("none"),
            self.source
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Checksum {
    pub source: String,
    pub target: String,
    pub source_rows: u64,
    pub target_rows: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairReport {
    /// `repaired`, `nothing_to_do`, `not_possible`, `refused`, `failed`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub labels: Vec<String>,
    pub upserted: u64,
    pub deleted: u64,
    /// Differences left after the repair (its keys checked again).
    pub remaining: u64,
}

#[derive(Debug, Serialize)]
pub struct TableReport {
    pub table: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'static str>,
    pub source_rows: Option<u64>,
    pub target_rows: Option<u64>,
    /// Source rows streamed through the comparison.
    pub compared_rows: u64,
    pub missing: u64,
    pub extra: u64,
    pub different: u64,
    /// Keys that kept changing (or whose target lagged) through every re-check.
    pub unsettled: u64,
    pub first_missing: Vec<Key>,
    pub first_extra: Vec<Key>,
    pub first_different: Vec<Key>,
    pub first_unsettled: Vec<Key>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behind: Option<Behind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<RepairReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub seconds: f64,
    pub rows_per_s: f64,
    /// More differences than verify keeps: counts beyond them are unconfirmed.
    #[serde(skip)]
    pub overflow: bool,
    /// The confirmed differing keys (for the repair).
    #[serde(skip)]
    pub confirmed: Vec<(DiffKind, Row)>,
}

pub fn key_of(t: &TablePlan, key: &KeySpec, k: &Row) -> Key {
    Key(key
        .cols
        .iter()
        .zip(k)
        .map(|(&i, v)| (t.columns[i].name.clone(), v.clone()))
        .collect())
}

impl TableReport {
    /// Add `note` to the table's note (after any earlier one, `; `-separated).
    pub fn add_note(&mut self, note: String) {
        self.note = Some(match self.note.take() {
            Some(n) => format!("{n}; {note}"),
            None => note,
        });
    }
    pub fn new(table: String) -> TableReport {
        TableReport {
            table,
            status: Status::Equal,
            model: None,
            source_rows: None,
            target_rows: None,
            compared_rows: 0,
            missing: 0,
            extra: 0,
            different: 0,
            unsettled: 0,
            first_missing: Vec::new(),
            first_extra: Vec::new(),
            first_different: Vec::new(),
            first_unsettled: Vec::new(),
            behind: None,
            checksum: None,
            note: None,
            repair: None,
            error: None,
            seconds: 0.0,
            rows_per_s: 0.0,
            overflow: false,
            confirmed: Vec::new(),
        }
    }

    /// Counts and first keys from a re-check.
    pub(crate) fn set_keys(&mut self, t: &TablePlan, key: &KeySpec, r: &Rechecked, show: usize) {
        self.missing = 0;
        self.extra = 0;
        self.different = 0;
        self.first_missing.clear();
        self.first_extra.clear();
        self.first_different.clear();
        for (kind, k) in &r.confirmed {
            let (n, first) = match kind {
                DiffKind::Missing => (&mut self.missing, &mut self.first_missing),
                DiffKind::Extra => (&mut self.extra, &mut self.first_extra),
                DiffKind::Different => (&mut self.different, &mut self.first_different),
            };
            *n += 1;
            if first.len() < show {
                first.push(key_of(t, key, k));
            }
        }
        self.unsettled = r.unsettled.len() as u64;
        self.first_unsettled = r
            .unsettled
            .iter()
            .take(show)
            .map(|k| key_of(t, key, k))
            .collect();
        if r.behind.is_some() && self.behind.is_none() {
            self.behind = r.behind.clone();
        }
    }

    /// Whether this table is as wanted (after a repair, when one ran).
    pub fn ok(&self) -> bool {
        match self.status {
            Status::Equal | Status::NotComparable => true,
            Status::Differs => self
                .repair
                .as_ref()
                .is_some_and(|r| r.status == "repaired" && r.remaining == 0),
            Status::Behind | Status::Error => false,
        }
    }

    fn text(&self) -> String {
        let rows = |n: Option<u64>| n.map_or("?".to_string(), |n| n.to_string());
        let counts = format!(
            "source {} rows, target {} rows",
            rows(self.source_rows),
            rows(self.target_rows)
        );
        let timing = format!("{:.1} s, {:.0} rows/s", self.seconds, self.rows_per_s);
        let mut out = match self.status {
            Status::Equal => format!("= {}: equal ({counts}; {timing})\n", self.table),
            Status::NotComparable => format!(
                "~ {}: not comparable by key; counts and checksums equal ({counts}; {timing})\n",
                self.table
            ),
            Status::Differs if self.checksum.is_some() => format!(
                "! {}: differs by row count or checksum (no key to compare by; {counts}; {timing})\n",
                self.table
            ),
            Status::Differs | Status::Behind => {
                let head = if self.status == Status::Differs {
                    "differs".to_string()
                } else {
                    self.behind.as_ref().map_or("behind".into(), Behind::text)
                };
                let mut s = format!(
                    "! {}: {head} — {} missing, {} extra, {} different, {} unsettled ({counts}; {timing})\n",
                    self.table, self.missing, self.extra, self.different, self.unsettled
                );
                for (what, keys) in [
                    ("missing", &self.first_missing),
                    ("extra", &self.first_extra),
                    ("different", &self.first_different),
                    ("unsettled", &self.first_unsettled),
                ] {
                    for k in keys {
                        s.push_str(&format!("    {what}: {k}\n"));
                    }
                }
                s
            }
            Status::Error => format!(
                "! {}: not verified: {}\n",
                self.table,
                self.error.as_deref().unwrap_or("")
            ),
        };
        if let Some(c) = &self.checksum {
            out.push_str(&format!(
                "    checksum: source {} ({} rows), target {} ({} rows)\n",
                c.source, c.source_rows, c.target, c.target_rows
            ));
        }
        if let Some(n) = &self.note {
            out.push_str(&format!("    note: {n}\n"));
        }
        if let Some(r) = &self.repair {
            out.push_str(&format!(
                "    repair: {}{} — {} upserted, {} deleted, {} left{}\n",
                r.status,
                r.reason
                    .as_ref()
                    .map_or(String::new(), |x| format!(" ({x})")),
                r.upserted,
                r.deleted,
                r.remaining,
                if r.labels.is_empty() {
                    String::new()
                } else {
                    format!("; labels {}", r.labels.join(", "))
                }
            ));
        }
        out
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    /// The source binlog position the comparison is at.
    pub source_position: String,
    pub state_dir: String,
    pub sync_running: bool,
    /// The sync checkpoint's binlog position when verify started.
    pub checkpoint: Option<String>,
    pub tables: Vec<TableReport>,
}

impl Report {
    pub fn all_equal(&self) -> bool {
        self.tables.iter().all(TableReport::ok)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                #[derive(Serialize)]
                struct Doc<'a> {
                    all_equal: bool,
                    #[serde(flatten)]
                    report: &'a Report,
                }
                let doc = Doc {
                    all_equal: self.all_equal(),
                    report: self,
                };
                let mut s = serde_json::to_string_pretty(&doc)
                    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
                s.push('\n');
                s
            }
            Format::Text => {
                let mut s = String::new();
                for t in &self.tables {
                    s.push_str(&t.text());
                }
                let bad = self.tables.iter().filter(|t| !t.ok()).count();
                s.push_str(&format!(
                    "verify at source position {}{}: {} table(s), {}\n",
                    self.source_position,
                    if self.sync_running {
                        " (smt sync running)"
                    } else {
                        ""
                    },
                    self.tables.len(),
                    if bad == 0 {
                        "all equal".to_string()
                    } else {
                        format!("{bad} not equal")
                    }
                ));
                s
            }
        }
    }
}
