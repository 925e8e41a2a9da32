//! Value post-processing: surrounding quotes and `${VAR}` expansion.
//!
//! - `'...'` (whole value in single quotes): quotes stripped, content literal (no expansion).
//! - `"..."` (whole value in double quotes): quotes stripped, then `${}` expanded.
//! - `${VAR}`: the variable's value; unset → error. `${VAR:-default}`: default when unset or empty.
//! - `$$` and a `$` not followed by `{` stay as they are (passwords contain `$`).

/// Strip one layer of matching surrounding quotes and expand `${...}`.
pub(crate) fn value(raw: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let b = raw.as_bytes();
    if b.len() >= 2 && b[0] == b'\'' && b[b.len() - 1] == b'\'' {
        return Ok(raw[1..raw.len() - 1].to_string());
    }
    let body = if b.len() >= 2 && b[0] == b'"' && b[b.len() - 1] == b'"' {
        &raw[1..raw.len() - 1]
    } else {
        raw
    };
    expand(body, env)
}

fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push_str("$$");
            rest = tail;
        } else if let Some(inner_start) = after.strip_prefix('{') {
            let Some(close) = inner_start.find('}') else {
                return Err(
                    "unterminated \"${\": write ${NAME}, or wrap the whole value in single quotes \
                            to keep it literal"
                        .to_string(),
                );
            };
            let inner = &inner_start[..close];
            let (name, default) = match inner.find(":-") {
                Some(i) => (&inner[..i], Some(&inner[i + 2..])),
                None => (inner, None),
            };
            if !valid_name(name) {
                return Err(format!(
                    "invalid environment variable name {name:?} in \"${{...}}\" (letters, digits, _); \
                     wrap the whole value in single quotes to keep it literal"
                ));
            }
            match (env(name), default) {
                (Some(v), None) => out.push_str(&v),
                (Some(v), Some(_)) if !v.is_empty() => out.push_str(&v),
                (_, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "environment variable {name} is not set: export it, or write ${{{name}:-default}}"
                    ))
                }
            }
            rest = &inner_start[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PW" => Some("s3cr$t".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_set_variable_and_default() {
        assert_eq!(value("a${PW}b", &env).unwrap(), "as3cr$tb");
        assert_eq!(value("${NOPE:-fallback}", &env).unwrap(), "fallback");
        assert_eq!(value("${NOPE:-}", &env).unwrap(), "");
        assert_eq!(value("${EMPTY:-d}", &env).unwrap(), "d");
        assert_eq!(value("${EMPTY}", &env).unwrap(), "");
    }

    #[test]
    fn unset_variable_is_an_error_naming_it() {
        let e = value("x${MISSING_VAR}", &env).unwrap_err();
        assert!(e.contains("MISSING_VAR") && e.contains("not set"), "{e}");
    }

    #[test]
    fn dollars_stay_literal() {
        assert_eq!(value("pa$$word", &env).unwrap(), "pa$$word");
        assert_eq!(value("p$ss", &env).unwrap(), "p$ss");
        assert_eq!(value("^db$", &env).unwrap(), "^db$");
        assert_eq!(value("$", &env).unwrap(), "$");
        assert_eq!(value("$${PW}", &env).unwrap(), "$${PW}");
    }

    #[test]
    fn quotes() {
        assert_eq!(value("'${PW}'", &env).unwrap(), "${PW}");
        assert_eq!(value("\"${PW} x\"", &env).unwrap(), "s3cr$t x");
        assert_eq!(value("\"", &env).unwrap(), "\"");
        assert_eq!(value("a\"b\"", &env).unwrap(), "a\"b\"");
        assert_eq!(value("\"C:\\temp\\\"", &env).unwrap(), "C:\\temp\\");
    }

    #[test]
    fn malformed_references() {
        assert!(value("a${PW", &env).unwrap_err().contains("unterminated"));
        assert!(value("${1X}", &env)
            .unwrap_err()
            .contains("invalid environment variable name"));
    }
}
