//! Config problems: every one found is collected, then reported together, one per line, as
//! `config.ini:12 [table-rule.1] tabel: unknown key (did you mean "table"?)`.

use std::fmt;
use std::path::PathBuf;

/// One problem in the config file. Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Section name without brackets (`table-rule.1`), if the problem belongs to one.
    pub section: Option<String>,
    pub key: Option<String>,
    /// 1-based line, if the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub(crate) fn new(
        section: Option<&str>,
        key: Option<&str>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            section: section.map(str::to_string),
            key: key.map(str::to_string),
            line,
            message: message.into(),
        }
    }
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        Problem::new(None, None, Some(line), message)
    }
    pub(crate) fn global(message: impl Into<String>) -> Self {
        Problem::new(None, None, None, message)
    }

    /// `path:line [section] key: message` (pieces that are absent are left out).
    pub fn render(&self, path: &std::path::Path) -> String {
        let mut s = path.display().to_string();
        if let Some(line) = self.line {
            s.push_str(&format!(":{line}"));
        }
        if let Some(sec) = &self.section {
            s.push_str(&format!(" [{sec}]"));
        }
        if let Some(key) = &self.key {
            s.push(' ');
            s.push_str(key);
        }
        s.push_str(": ");
        s.push_str(&self.message);
        s
    }
}

/// All problems found in one config file.
#[derive(Debug, Clone, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    /// Sorted by line (problems without a line last), never empty.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&p.render(&self.path))?;
        }
        Ok(())
    }
}

/// Levenshtein distance over chars, case-insensitive.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a small distance, for "did you mean".
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_basics() {
        assert_eq!(distance("table", "table"), 0);
        assert_eq!(distance("tabel", "table"), 2);
        assert_eq!(distance("Host", "host"), 0);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggest_picks_closest_or_none() {
        assert_eq!(suggest("tabel", ["database", "table"]), Some("table"));
        assert_eq!(suggest("zzzzzzzz", ["database", "table"]), None);
    }

    #[test]
    fn render_format() {
        let p = Problem::new(Some("table-rule.1"), Some("tabel"), Some(12), "unknown key");
        assert_eq!(
            p.render(std::path::Path::new("config.ini")),
            "config.ini:12 [table-rule.1] tabel: unknown key"
        );
        let p = Problem::at(3, "bad");
        assert_eq!(p.render(std::path::Path::new("c.ini")), "c.ini:3: bad");
    }
}
