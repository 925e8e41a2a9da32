//! The one identifier-quoting function, and the checks of names StarRocks can hold.
//! Templates receive names quoted here, never raw ones.

/// Backtick-quote an identifier for StarRocks or MySQL. A backtick inside is doubled (MySQL
/// rule); callers must first reject names StarRocks cannot hold (see [`check_starrocks_name`]),
/// since StarRocks 2.x strips backticks from quoted names.
pub fn quote(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('`');
    for ch in name.chars() {
        if ch == '`' {
            s.push('`');
        }
        s.push(ch);
    }
    s.push('`');
    s
}

/// `db`.`table`.
pub fn quote_qualified(db: &str, table: &str) -> String {
    format!("{}.{}", quote(db), quote(table))
}

/// What a name is used for; StarRocks' rules differ per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Database,
    Table,
    Column,
}

/// Check that StarRocks can hold `name` as a `kind` name. Returns a reason when it cannot.
/// Rules: reference/starrocks-ddl-semantic-rules.md §11 (3.x FeNameFormat), plus: no backtick
/// anywhere (not portable across FE versions).
pub fn check_starrocks_name(kind: NameKind, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty name".into());
    }
    if name.contains('\0') {
        return Err("contains a NUL character".into());
    }
    if name.contains('`') {
        return Err("contains a backtick, which StarRocks cannot hold in a quoted name".into());
    }
    match kind {
        NameKind::Database => {
            let mut chars = name.chars();
            let first = chars.next().unwrap_or(' ');
            let ok_first = first.is_ascii_alphabetic()
                || (first == '_'
                    && name
                        .chars()
                        .nth(1)
                        .is_some_and(|c| c.is_ascii_alphanumeric()));
            if !ok_first {
                return Err(
                    "a StarRocks database name must start with a letter (or _ and a letter/digit)"
                        .into(),
                );
            }
            if name.chars().count() > 256 {
                return Err("longer than 256 characters".into());
            }
            if let Some(bad) = name
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || "_-~!@#$%^&<>=+".contains(*c)))
            {
                return Err(format!(
                    "character {bad:?} is not allowed in a StarRocks database name \
                     (letters, digits, _ and -~!@#$%^&<>=+ only)"
                ));
            }
        }
        NameKind::Table => {
            if name.chars().count() > 1024 {
                return Err("longer than 1024 characters".into());
            }
        }
        NameKind::Column => {
            if name.chars().count() > 1024 {
                return Err("longer than 1024 characters".into());
            }
            if let Some(bad) = name.chars().find(|c| "=<>!*".contains(*c)) {
                return Err(format!(
                    "character {bad:?} is not allowed in a StarRocks column name"
                ));
            }
            let lower = name.to_ascii_lowercase();
            if lower == "__op" || lower == "__row" {
                return Err(format!("{name} is reserved by StarRocks"));
            }
            if lower.starts_with("__starrocks_shadow_")
                || lower.starts_with("__generated_partition_column_")
            {
                return Err("the prefix is reserved by StarRocks".into());
            }
        }
    }
    Ok(())
}

/// Escape text for a double-quoted StarRocks/Flink-free string literal: `"..."` with `\` and `"`
/// backslash-escaped and control characters written as escapes.
pub fn sr_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Single-quoted string literal for Flink SQL (and MySQL): `'` doubled. Flink SQL string
/// literals do not process backslash escapes, so backslashes stay as they are.
pub fn sq_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_hostile_names() {
        assert_eq!(quote("a"), "`a`");
        assert_eq!(quote("a`b"), "`a``b`");
        assert_eq!(quote("select"), "`select`");
        assert_eq!(quote("名前"), "`名前`");
        assert_eq!(quote("x'\"y"), "`x'\"y`");
    }

    #[test]
    fn rejects_names_starrocks_cannot_hold() {
        assert!(check_starrocks_name(NameKind::Table, "a`b").is_err());
        assert!(check_starrocks_name(NameKind::Column, "__op").is_err());
        assert!(check_starrocks_name(NameKind::Column, "a=b").is_err());
        assert!(check_starrocks_name(NameKind::Database, "1db").is_err());
        assert!(check_starrocks_name(NameKind::Database, "db.x").is_err());
        assert!(check_starrocks_name(NameKind::Database, "edu_db__auto_shard").is_ok());
        assert!(check_starrocks_name(NameKind::Table, "表 with space").is_ok());
        assert!(check_starrocks_name(NameKind::Column, "名前").is_ok());
    }

    #[test]
    fn escapes_strings() {
        assert_eq!(sr_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(sq_string("it's"), "'it''s'");
    }
}
