//! Status reporting of `smt sync`: counters, the periodic status line (text or JSON through
//! `tracing`), and snapshot progress bars (hidden when stderr is not a terminal).

use super::position::BinlogPosition;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct Stats {
    pub started: Instant,
    pub snapshot_rows: u64,
    pub binlog_rows: u64,
    pub batches: u64,
    pub txns: u64,
    pub skipped_dup: u64,
    /// Rows set aside in the dead-letter table (sync_reject_policy = quarantine).
    pub quarantined: u64,
    pub streamed_bytes: u64,
    /// server_ts of the last source transaction seen (seconds since the epoch).
    pub last_server_ts: u32,
    /// The reader was idle (caught up) at the last report.
    pub idle: bool,
    last_report: Instant,
    rows_at_last_report: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            snapshot_rows: 0,
            binlog_rows: 0,
            batches: 0,
            txns: 0,
            skipped_dup: 0,
            quarantined: 0,
            streamed_bytes: 0,
            last_server_ts: 0,
            idle: false,
            last_report: Instant::now(),
            rows_at_last_report: 0,
        }
    }
}

/// Bytes between our position and the server's (None when in different files).
pub fn lag_bytes(ours: &BinlogPosition, server: &BinlogPosition) -> Option<u64> {
    (ours.file == server.file).then(|| server.pos.saturating_sub(ours.pos))
}

impl Stats {
    pub fn committed_txn(&mut self, server_ts: u32) {
        self.txns += 1;
        self.idle = false;
        if server_ts > 0 {
            self.last_server_ts = server_ts;
        }
    }
    pub fn idle(&mut self, _server_ts: u32) {
        self.idle = true;
    }
    pub fn batch(&mut self, rows: u64) {
        self.batches += 1;
        self.binlog_rows += rows;
    }

    /// Lag in seconds: now − the commit time of the last source transaction loaded; 0 when idle.
    pub fn lag_seconds(&self) -> Option<u64> {
        if self.idle {
            return Some(0);
        }
        if self.last_server_ts == 0 {
            return None;
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(now.saturating_sub(u64::from(self.last_server_ts)))
    }

    /// Emit one status line (a tracing event: text or JSON depending on the subscriber).
    pub fn report(&mut self, ours: &BinlogPosition, server: Option<&BinlogPosition>) {
        let dt = self.last_report.elapsed().as_secs_f64().max(0.001);
        let rows = self.binlog_rows;
        let rate = (rows - self.rows_at_last_report) as f64 / dt;
        self.last_report = Instant::now();
        self.rows_at_last_report = rows;
        let lag_b = server.and_then(|s| lag_bytes(ours, s));
        tracing::info!(
            rows_per_s = format!("{rate:.0}"),
            rows,
            batches = self.batches,
            txns = self.txns,
            lag_s = self.lag_seconds(),
            lag_bytes = lag_b,
            position = %ours,
            server = server.map(|s| s.to_string()),
            skipped_duplicate_key_changes = self.skipped_dup,
            quarantined = self.quarantined,
            "status"
        );
    }
}

/// Whether stderr gets terminal decorations (progress bars, colour): a terminal, and no
/// `NO_COLOR` (https://no-color.org) for colour.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Colour on stderr: a terminal and `NO_COLOR` unset or empty.
pub fn colour_on_stderr() -> bool {
    stderr_is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The bars being drawn, if any: log lines are printed above them (`MultiProgress::println`)
/// instead of under them, so the bars are redrawn in place rather than scrolling.
static ACTIVE: std::sync::Mutex<Option<MultiProgress>> = std::sync::Mutex::new(None);

/// The log writer for stderr: through the active bars when there are some.
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let active = ACTIVE.lock().ok().and_then(|g| g.clone());
        match active {
            Some(m) => {
                let text = String::from_utf8_lossy(buf);
                m.println(text.trim_end_matches('\n'))?;
                Ok(buf.len())
            }
            None => std::io::stderr().write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter
    }
}

/// Snapshot progress bars, one per table.
pub struct Bars {
    multi: Option<MultiProgress>,
}

impl Drop for Bars {
    fn drop(&mut self) {
        if let Ok(mut g) = ACTIVE.lock() {
            *g = None;
        }
    }
}

/// One table's bar (a no-op when bars are hidden).
pub struct Bar(Option<ProgressBar>);

impl Bars {
    pub fn new(enabled: bool) -> Self {
        let show = enabled && stderr_is_terminal();
        let multi = show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        if let (Some(m), Ok(mut g)) = (&multi, ACTIVE.lock()) {
            *g = Some(m.clone());
        }
        Bars { multi }
    }
    pub fn add(&self, name: &str, estimate: u64, done: u64) -> Bar {
        let Some(m) = &self.multi else {
            return Bar(None);
        };
        let pb = m.add(ProgressBar::new(estimate.max(done)));
        // Whole rows per second (indicatif's {per_sec} prints four decimals).
        let style = ProgressStyle::with_template(
            "{prefix:30!} {bar:30} {pos}/~{len} rows {rate} ETA {eta}",
        )
        .map(|st| {
            st.with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", s.per_sec());
                },
            )
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        pb.set_style(style);
        pb.set_prefix(name.to_string());
        pb.set_position(done);
        Bar(Some(pb))
    }
}

impl Bar {
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            if b.position() + n > b.length().unwrap_or(0) {
                b.set_length(b.position() + n);
            }
            b.inc(n);
        }
    }
    /// The round ended before the table did: the bar goes (the next round draws it again).
    pub fn clear(&self) {
        if let Some(b) = &self.0 {
            if !b.is_finished() {
                b.finish_and_clear();
            }
        }
    }
    /// The table is done: its bar shows the rows actually read (not the estimate).
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.set_length(b.position());
            b.set_style(
                ProgressStyle::with_template("{prefix:30!} {bar:30} {pos} rows, done")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_in_bytes_same_file_only() {
        let a = BinlogPosition::new("mysql-bin.000001", 100);
        let b = BinlogPosition::new("mysql-bin.000001", 350);
        assert_eq!(lag_bytes(&a, &b), Some(250));
        assert_eq!(lag_bytes(&b, &a), Some(0));
        assert_eq!(
            lag_bytes(&a, &BinlogPosition::new("mysql-bin.000002", 4)),
            None
        );
    }

    #[test]
    fn lag_seconds_zero_when_idle() {
        let mut s = Stats::default();
        assert_eq!(s.lag_seconds(), None);
        s.committed_txn(1);
        assert!(s.lag_seconds().unwrap() > 1_000_000);
        s.idle(0);
        assert_eq!(s.lag_seconds(), Some(0));
    }
}
