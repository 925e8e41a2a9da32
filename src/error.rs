//! The one place that maps failures to exit codes. Library code raises a [`Failure`] (possibly
//! wrapped in anyhow context); `main` walks the error chain for it.

use std::fmt;

/// What kind of failure, and so which exit code. Documented in `smt --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad config file or command-line input (exit 2).
    Config,
    /// The source database: unreachable, bad credentials, introspection failed (exit 3).
    Source,
    /// The StarRocks target: unreachable, bad credentials, rejected request (exit 4).
    Target,
    /// Nothing to do, or a table/column that cannot be planned (exit 5).
    Plan,
    /// Some statements/tables failed while others succeeded; for `smt diff`, StarRocks
    /// differs from the plan (exit 6).
    Partial,
    /// Replication stopped for a reason a human must act on (exit 7).
    Sync,
    /// The local environment: a file or directory smt must write (output_dir, the state
    /// directory) cannot be written (exit 8).
    Local,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Config => 2,
            Kind::Source => 3,
            Kind::Target => 4,
            Kind::Plan => 5,
            Kind::Partial => 6,
            Kind::Sync => 7,
            Kind::Local => 8,
        }
    }

    /// A short stable name for JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Config => "config",
            Kind::Source => "source",
            Kind::Target => "target",
            Kind::Plan => "plan",
            Kind::Partial => "partial",
            Kind::Sync => "sync",
            Kind::Local => "local",
        }
    }
}

/// A failure with a message meant for a human, carrying its exit code, and whether repeating
/// the operation later may succeed (`transient`: a server restarting, a dropped connection)
/// or not (a human must act). The exit code never decides that; this flag does.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub transient: bool,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            transient: false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Shorthand: `Err(fail(Kind::Config, "..."))?` — a definite failure (a human must act).
pub fn fail(kind: Kind, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure::new(kind, message))
}

/// A failure that may go away by itself (retrying later is right); its `kind` is the exit code
/// if the retries run out.
pub fn fail_transient(kind: Kind, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        transient: true,
        ..Failure::new(kind, message)
    })
}

/// Whether an error may go away by itself: the first [`Failure`] in its chain says; an error
/// without one (an I/O error, a dropped connection) is transient.
pub fn is_transient(err: &anyhow::Error) -> bool {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .is_none_or(|f| f.transient)
}

/// The error as a human reads it: the whole chain, without the `mysql` crate's debug-style
/// wrappers (`DriverError { … }`, `MySqlError { … }`, `IoError { … }`) that its Display adds.
pub fn display(err: &anyhow::Error) -> String {
    unwrap_driver_text(&format!("{err:#}"))
}

fn unwrap_driver_text(text: &str) -> String {
    let mut s = text.to_string();
    for w in [
        "DriverError { ",
        "MySqlError { ",
        "IoError { ",
        "CodecError { ",
        "UrlError { ",
        "FromValueError { ",
        "FromRowError { ",
    ] {
        while let Some(i) = s.find(w) {
            // The wrapper's closing " }" is the first one after it at the same nesting.
            let body_start = i + w.len();
            let mut depth = 0usize;
            let mut end = None;
            for (j, c) in s[body_start..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        end = Some(body_start + j);
                        break;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            let Some(e) = end else { break };
            let body = s[body_start..e].trim_end().to_string();
            s.replace_range(i..=e, &body);
        }
    }
    s
}

/// The error as the JSON document `--format json` prints on stdout:
/// `{"error": {"kind": "config", "message": "..."}, "exit_code": 2}`.
pub fn to_json(err: &anyhow::Error) -> serde_json::Value {
    let kind = err
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or("internal", |f| f.kind.name());
    serde_json::json!({
        "error": { "kind": kind, "message": display(err) },
        "exit_code": exit_code_of(err),
    })
}

/// Exit code for an error: the first [`Failure`] in its chain, else 1.
pub fn exit_code_of(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map(|f| f.kind.exit_code())
        .unwrap_or(1)
}

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  internal error (a bug: please report it)
  2  bad input: config file missing or invalid, bad flag
  3  source database error: unreachable, access denied, introspection failed
  4  StarRocks error: unreachable, access denied, request rejected
  5  nothing to plan or unplannable: no table matched, unsupported column type, bad name
  6  partial failure: some statements or tables failed (see the report); `smt diff`: some
     StarRocks table differs from the plan or is missing; `smt verify`: some table is not
     equal to its source
  7  sync stopped: a condition a human must resolve (see the message)
  8  local environment: a file or directory smt must write cannot be written (output_dir,
     state directory): check the path and its permissions";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_wrappers_are_removed_from_messages() {
        assert_eq!(
            unwrap_driver_text(
                "reading x: DriverError { Could not connect to address `h:1': Connection refused }"
            ),
            "reading x: Could not connect to address `h:1': Connection refused"
        );
        assert_eq!(
            unwrap_driver_text("MySqlError { ERROR 1142 (42000): SELECT command denied }"),
            "ERROR 1142 (42000): SELECT command denied"
        );
        assert_eq!(
            unwrap_driver_text("plain {braces} kept"),
            "plain {braces} kept"
        );
    }

    #[test]
    fn json_errors_carry_kind_and_exit_code() {
        let e = fail(Kind::Config, "bad key");
        let j = to_json(&e);
        assert_eq!(j["error"]["kind"], "config");
        assert_eq!(j["error"]["message"], "bad key");
        assert_eq!(j["exit_code"], 2);
        assert!(is_transient(&anyhow::anyhow!("untyped")));
        assert!(!is_transient(&e));
        assert!(is_transient(&fail_transient(Kind::Source, "down")));
    }
}
