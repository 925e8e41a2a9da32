//! Reading the INI text into sections and entries with line numbers.
//!
//! Invariant: every entry handed to validation carries the value rust-ini read for it and the
//! 1-based line it came from. rust-ini gives no positions, so a light line scan of our own
//! classifies each line (blank, comment, `[section]`, `key = value`) and the two readings are
//! compared section by section and key by key; any disagreement is reported as a problem
//! instead of guessing. Lines rust-ini would misread (a key line without `=`, a value ending in
//! a backslash = line continuation) are rejected by the scan before rust-ini sees the text.

use super::error::Problem;
use ini::{Ini, ParseOption};

/// One `key = value` line. `value` is raw (no quote handling, no `${}` expansion yet).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
}

struct ScannedSection {
    name: String,
    line: usize,
    keys: Vec<(String, usize)>,
}

/// Split `text` into sections. Syntax problems go into `problems`; returns None if there were any.
pub(crate) fn read(text: &str, problems: &mut Vec<Problem>) -> Option<Vec<Section>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = problems.len();
    let mut scanned: Vec<ScannedSection> = Vec::new();
    // The text handed to rust-ini: comment lines blanked (rust-ini mistakes indented comments
    // for keys), headers normalised to `[name]` (so `[db] ; note` is accepted). Same line count.
    let mut clean: Vec<String> = Vec::new();

    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let t = line.trim();
        if line.contains('\r') {
            problems.push(Problem::at(
                line_no,
                "stray carriage return inside the line; save the file with \\n or \\r\\n line endings",
            ));
            clean.push(String::new());
            continue;
        }
        if t.is_empty() || t.starts_with(';') || t.starts_with('#') {
            clean.push(String::new());
            continue;
        }
        if let Some(after) = t.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                problems.push(Problem::at(
                    line_no,
                    "section header without a closing ']': write it as [name]",
                ));
                clean.push(String::new());
                continue;
            };
            let name = after[..end].trim();
            let rest = after[end + 1..].trim();
            if !rest.is_empty() && !rest.starts_with(';') && !rest.starts_with('#') {
                problems.push(Problem::at(
                    line_no,
                    format!("unexpected text {rest:?} after the section header; put it on its own line as a comment (# ...)"),
                ));
            }
            if name.is_empty() {
                problems.push(Problem::at(line_no, "empty section name []"));
            } else if name.contains('[') || name.contains('\\') {
                problems.push(Problem::at(
                    line_no,
                    format!("invalid section name {name:?}"),
                ));
            }
            scanned.push(ScannedSection {
                name: name.to_string(),
                line: line_no,
                keys: Vec::new(),
            });
            clean.push(format!("[{name}]"));
            continue;
        }
        // rust-ini splits a key line at the first '=' or ':'.
        let Some(sep) = line.find(['=', ':']) else {
            problems.push(Problem::at(
                line_no,
                format!(
                    "expected `key = value`, a [section] header or a comment (# or ;), found {:?}",
                    clip(t)
                ),
            ));
            clean.push(String::new());
            continue;
        };
        let key = line[..sep].trim();
        if key.is_empty() {
            problems.push(Problem::at(line_no, "missing key before '='"));
            clean.push(String::new());
            continue;
        }
        if line[..sep].contains('\\') {
            problems.push(Problem::at(
                line_no,
                format!("backslash in key name {key:?}: key names cannot contain \\"),
            ));
            clean.push(String::new());
            continue;
        }
        if line.ends_with('\\') {
            problems.push(Problem::at(
                line_no,
                format!(
                    "the value of {key:?} ends with a backslash, which INI reads as a line continuation; \
                     wrap the value in quotes (\"...\\\") to keep the backslash"
                ),
            ));
            clean.push(String::new());
            continue;
        }
        match scanned.last_mut() {
            Some(s) => s.keys.push((key.to_string(), line_no)),
            None => problems.push(Problem::at(
                line_no,
                format!(
                    "key {key:?} outside any section; put it under [db], [other] or [table-rule.N]"
                ),
            )),
        }
        clean.push(line.to_string());
    }
    if problems.len() > start {
        return None;
    }

    let opt = ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: false,
        enabled_preserve_key_leading_whitespace: false,
    };
    let ini = match Ini::load_from_str_opt(&clean.join("\n"), opt) {
        Ok(ini) => ini,
        Err(e) => {
            problems.push(Problem::at(
                e.line,
                format!("INI syntax error at {}:{}: {}", e.line, e.col, e.msg),
            ));
            return None;
        }
    };

    let parsed: Vec<(&str, &ini::Properties)> = ini
        .iter()
        .filter_map(|(name, props)| name.map(|n| (n, props)))
        .collect();
    if parsed.len() != scanned.len() {
        problems.push(Problem::global(format!(
            "internal: the INI parser found {} sections, the line scan {}; please report this file",
            parsed.len(),
            scanned.len()
        )));
        return None;
    }
    let mut out = Vec::with_capacity(scanned.len());
    for (s, (name, props)) in scanned.into_iter().zip(parsed) {
        let pairs: Vec<(&str, &str)> = props.iter().collect();
        let same = name == s.name
            && pairs.len() == s.keys.len()
            && pairs.iter().zip(&s.keys).all(|((k, _), (sk, _))| k == sk);
        if !same {
            problems.push(Problem::at(
                s.line,
                format!("internal: the INI parser read section [{}] differently from the line scan; please report this file", s.name),
            ));
            continue;
        }
        let entries = pairs
            .into_iter()
            .zip(s.keys)
            .map(|((k, v), (_, line))| Entry {
                key: k.to_string(),
                value: v.to_string(),
                line,
            })
            .collect();
        out.push(Section {
            name: s.name,
            line: s.line,
            entries,
        });
    }
    if problems.len() > start {
        return None;
    }
    Some(out)
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut c: String = s.chars().take(40).collect();
        c.push('…');
        c
    } else {
        s.to_string()
    }
}
