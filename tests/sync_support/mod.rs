//! Shared helpers of the sync integration tests: the emulator, config text, and the full-row-set
//! comparison (source rendered by SQL independently of smt vs emulator rows). MariaDB access is
//! tests/common/mariadb.rs, re-exported here.
#![allow(dead_code)]

#[path = "../common/mariadb.rs"]
pub mod mariadb;

pub use mariadb::Maria;
use mysql::prelude::Queryable;
use smt::plan::{ColumnOrigin, Encoding, SrType, TablePlan};
use smt::schema::SourceType;
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::collections::BTreeMap;

pub fn emulator(data_dir: Option<std::path::PathBuf>) -> Emulator {
    Emulator::start(EmulatorConfig {
        data_dir,
        ..EmulatorConfig::default()
    })
    .expect("start the emulator")
}

/// An INI config for the MariaDB source and the emulator target. `rules` are extra
/// `[table-rule.N]` bodies (database/table lines etc.); the target lines are appended to each.
pub fn config_text(m: &Maria, emu: &Emulator, out: &std::path::Path, rules: &[&str]) -> String {
    let mut s = format!(
        "[db]\ntype = mysql\nhost = {}\nport = {}\nuser = {}\npassword = {}\ntime_zone = +00:00\n\n\
         [other]\nbe_num = 1\noutput_dir = {}\n\n",
        m.host,
        m.port,
        m.user,
        m.password,
        out.display()
    );
    for (i, r) in rules.iter().enumerate() {
        s.push_str(&format!(
            "[table-rule.{}]\n{}\nflink.starrocks.jdbc-url = jdbc:mysql://{}\nflink.starrocks.load-url = {}\n\
             flink.starrocks.username = root\nflink.starrocks.password =\n\
             flink.starrocks.sink.buffer-flush.interval-ms = 100\n\n",
            i + 1,
            r.trim(),
            emu.fe_query_addr(),
            emu.fe_http_addr()
        ));
    }
    s
}

/// Source expression rendering a column as the target stores it (independent of smt's renderer).
/// Documented differences are rendered the way StarRocks holds them: a zero or partial-zero date
/// is NULL outside a PRIMARY KEY and `0000-01-01` (time kept) in one; a JSON `null` document is
/// SQL NULL. JSON numbers StarRocks keeps as doubles are matched in [`normalize`].
fn source_expr(name: &str, enc: Encoding, ty: &SourceType) -> String {
    let q = smt::ident::quote(name);
    let zero_to_null = |e: String| format!("IF(MONTH({q}) = 0 OR DAYOFMONTH({q}) = 0, NULL, {e})");
    let all_zero = format!("(YEAR({q}) = 0 AND MONTH({q}) = 0 AND DAYOFMONTH({q}) = 0)");
    match enc {
        Encoding::Plain if *ty == SourceType::Date => zero_to_null(q.clone()),
        Encoding::Plain | Encoding::DecimalText | Encoding::EnumLabel | Encoding::SetLabels => q,
        Encoding::Json => format!("IF(JSON_TYPE({q}) = 'NULL', NULL, {q})"),
        Encoding::Bool | Encoding::BitAsInteger => format!("{q}+0"),
        Encoding::Hex => format!("LOWER(HEX({q}))"),
        Encoding::DateTime | Encoding::Timestamp => {
            zero_to_null(format!("DATE_FORMAT({q}, '%Y-%m-%d %H:%i:%s.%f')"))
        }
        Encoding::KeyDate if *ty == SourceType::Date => {
            format!("IF({all_zero}, '0000-01-01', DATE_FORMAT({q}, '%Y-%m-%d'))")
        }
        Encoding::KeyDate => format!(
            "IF({all_zero}, CONCAT('0000-01-01', DATE_FORMAT({q}, ' %H:%i:%s.%f')), \
             DATE_FORMAT({q}, '%Y-%m-%d %H:%i:%s.%f'))"
        ),
        Encoding::Time => format!("CAST({q} AS CHAR)"),
        Encoding::Wkt => format!("ST_AsText({q})"),
    }
}

/// MariaDB's `json_valid` takes numbers ending in a bare dot (`1.`, `1.e5`); JSON parsers do
/// not. Complete them (`1.0`) outside strings so the text parses.
fn complete_bare_dots(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 4);
    let (mut in_str, mut esc) = (false, false);
    for (i, c) in text.char_indices() {
        out.push(c);
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
        } else if c == '"' {
            in_str = true;
        } else if c == '.'
            && i > 0
            && b[i - 1].is_ascii_digit()
            && !b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            out.push('0');
        }
    }
    out
}

/// JSON in the form both sides can be compared in: keys sorted, strings decoded and re-escaped,
/// numbers by value — one within ±2^53 (where every integer is a double) as an integer, any other
/// as the double it reads as. StarRocks prints a double without `.0` and, below 1e17 or so,
/// without an exponent (VelocyPack's dumper: 2^64 as `18446744073709552000`), so its text does not
/// tell an integer from a double; integers beyond 2^53 are compared as doubles here and exactly
/// in tests/json_values.rs.
pub fn canonical_json(text: &str) -> Option<String> {
    fn walk(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            J::Number(n) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() <= 2f64.powi(53) {
                    J::from(f as i64)
                } else {
                    J::String(format!("double {f:e}"))
                }
            }
            J::Array(a) => J::Array(a.into_iter().map(walk).collect()),
            J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, walk(v))).collect()),
            other => other,
        }
    }
    let v: serde_json::Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(&complete_bare_dots(text)))
        .ok()?;
    Some(walk(v).to_string())
}

fn trim_fraction(s: &str) -> String {
    match s.split_once('.') {
        Some((a, b)) if b.bytes().all(|c| c.is_ascii_digit()) => {
            let b = b.trim_end_matches('0');
            if b.is_empty() {
                a.to_string()
            } else {
                format!("{a}.{b}")
            }
        }
        _ => s.to_string(),
    }
}

/// Canonical text of a value of a target column type (both sides go through this).
pub fn normalize(ty: SrType, v: Option<String>) -> Option<String> {
    let v = v?;
    Some(match ty {
        SrType::Float | SrType::Double => match v.parse::<f64>() {
            Ok(f) => format!("{:.5e}", f),
            Err(_) => v,
        },
        SrType::Decimal(..) => {
            let t = trim_fraction(&v);
            let (neg, body) = t
                .strip_prefix('-')
                .map_or((false, t.as_str()), |b| (true, b));
            let body = body.trim_start_matches('0');
            let body = if body.is_empty() || body.starts_with('.') {
                format!("0{body}")
            } else {
                body.to_string()
            };
            if neg && body != "0" {
                format!("-{body}")
            } else {
                body
            }
        }
        SrType::DateTime => trim_fraction(&v),
        SrType::Json => canonical_json(&v).unwrap_or(v),
        SrType::Varbinary(_) => v.to_ascii_uppercase(),
        SrType::Boolean => match v.as_str() {
            "true" => "1".into(),
            "false" => "0".into(),
            _ => v,
        },
        SrType::Varchar(_) | SrType::Char(_) => {
            // TIME text: fractions trimmed the same way on both sides.
            if v.contains(':')
                && v.bytes()
                    .all(|b| b.is_ascii_digit() || b == b':' || b == b'.' || b == b'-')
            {
                trim_fraction(&v)
            } else {
                v
            }
        }
        SrType::TinyInt
        | SrType::SmallInt
        | SrType::Int
        | SrType::BigInt
        | SrType::LargeInt
        | SrType::Date => v,
    })
}

pub type Rows = Vec<Vec<Option<String>>>;

/// Every row of every source of `tp`, rendered and normalised, sorted.
pub fn source_rows(c: &mut mysql::Conn, tp: &TablePlan) -> Rows {
    let mut out = Vec::new();
    for s in &tp.sources {
        let exprs: Vec<String> = tp
            .columns
            .iter()
            .map(|col| match &col.origin {
                ColumnOrigin::Source { name, ty } => source_expr(name, col.encoding, ty),
                ColumnOrigin::ShardDatabase => format!("'{}'", s.database),
                ColumnOrigin::ShardTable => format!("'{}'", s.table),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {}",
            exprs.join(", "),
            smt::ident::quote_qualified(&s.database, &s.table)
        );
        let rows: Vec<mysql::Row> = c.query(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        for r in rows {
            let vals: Vec<Option<String>> = r
                .unwrap()
                .into_iter()
                .map(|v| match v {
                    mysql::Value::NULL => None,
                    mysql::Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                    other => Some(other.as_sql(true).trim_matches('\'').to_string()),
                })
                .collect();
            out.push(
                tp.columns
                    .iter()
                    .zip(vals)
                    .map(|(col, v)| normalize(col.sr_type, v))
                    .collect(),
            );
        }
    }
    out.sort();
    out
}

/// The emulator's rows of `tp`'s target, normalised, sorted.
pub fn target_rows(emu: &Emulator, tp: &TablePlan) -> Rows {
    let rows = emu
        .rows(&tp.target_database, &tp.target_table)
        .unwrap_or_default();
    let mut out: Rows = rows
        .into_iter()
        .map(|r| {
            tp.columns
                .iter()
                .zip(r)
                .map(|(col, v)| normalize(col.sr_type, v))
                .collect()
        })
        .collect();
    out.sort();
    out
}

/// Assert equal row sets, printing the first differences.
pub fn assert_same_rows(what: &str, src: &Rows, dst: &Rows) {
    if src == dst {
        return;
    }
    let mut count: BTreeMap<&Vec<Option<String>>, i64> = BTreeMap::new();
    for r in src {
        *count.entry(r).or_default() += 1;
    }
    for r in dst {
        *count.entry(r).or_default() -= 1;
    }
    let diff: Vec<String> = count
        .iter()
        .filter(|(_, n)| **n != 0)
        .take(10)
        .map(|(r, n)| {
            format!(
                "{} {:?}",
                if *n > 0 {
                    "missing in target"
                } else {
                    "extra in target"
                },
                r
            )
        })
        .collect();
    panic!(
        "{what}: source has {} rows, target {}; differences:\n{}",
        src.len(),
        dst.len(),
        diff.join("\n")
    );
}

/// Load config text, introspect, plan.
pub fn plan_for(cfg_path: &std::path::Path) -> (smt::config::Config, smt::plan::Plan) {
    let config = smt::config::load(cfg_path).expect("config loads");
    let schema = smt::app::read_source(&config).expect("introspect");
    let plan = smt::app::plan_tables(&config, &schema.tables).expect("plan");
    (config, plan)
}

pub fn sync_args(cfg: &std::path::Path, state_dir: &std::path::Path) -> smt::cli::SyncArgs {
    smt::cli::SyncArgs {
        config: smt::cli::ConfigArgs {
            config: cfg.to_path_buf(),
            dump: None,
        },
        engine: smt::cli::Engine::Builtin,
        state_dir: Some(state_dir.to_path_buf()),
        fe: None,
        load_url: None,
        until_caught_up: true,
        snapshot_only: false,
        format: smt::cli::Format::Text,
        status_interval: 5,
        reset: false,
    }
}
