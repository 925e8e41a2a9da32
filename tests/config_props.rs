//! Property: any single-line value (as long as it is not quoted, has no `${`, no surrounding
//! whitespace and no trailing backslash) comes out of the config byte for byte.

use proptest::prelude::*;
use smt::config;
use std::path::Path;

fn no_env(_: &str) -> Option<String> {
    None
}

fn plain_value() -> impl Strategy<Value = String> {
    "[ -~]{0,40}".prop_filter("representable as written", |v| {
        let b = v.as_bytes();
        let quoted = b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[0] == b[b.len() - 1];
        v.trim() == v && !v.ends_with('\\') && !v.contains("${") && !quoted
    })
}

proptest! {
    #[test]
    fn values_round_trip(pw in plain_value(), opt in plain_value()) {
        let text = format!(
            "[db]\nhost = h\nuser = u\npassword = {pw}\n[other]\nbe_num = 1\n\
             [table-rule.1]\ndatabase = .*\ntable = .*\nflink.starrocks.sink.properties.x = {opt}\n"
        );
        let (cfg, _) = match config::parse_with_env(&text, Path::new("p.ini"), &no_env) {
            Ok(c) => c,
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        prop_assert_eq!(cfg.source.password.expose(), pw.as_str());
        prop_assert_eq!(cfg.rules[0].starrocks_option("sink.properties.x"), Some(opt.as_str()));
    }
}

proptest! {
    /// Arbitrary text never panics, and every error names at least one problem, one per line.
    #[test]
    fn arbitrary_text_never_panics(text in "([\\[\\]=:;#$ {}\\\\\"'\r\nadbtel.-]|\\[table-rule\\.1\\]\n|\\[db\\]\n|host = |database = |\\PC){0,120}") {
        match config::parse_with_env(&text, Path::new("p.ini"), &no_env) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!(!e.problems.is_empty());
                prop_assert_eq!(e.to_string().lines().count(), e.problems.len());
                prop_assert!(!e.to_string().contains("internal:"), "{}", e);
            }
        }
    }
}
