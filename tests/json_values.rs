//! JSON documents through smt into StarRocks' JSON type, as a property: a generated document
//! (objects, arrays, strings with any characters and escapes, integers of every size, decimals
//! with many digits, true/false/null, nesting) is rendered by `sync::value` (snapshot and binlog
//! paths, which must agree), encoded by `sync::batch` with JSON bodies and with CSV bodies,
//! loaded into the emulator with strict mode, and read back. What comes back equals the source
//! document, up to what StarRocks' JSON type documents it cannot hold: an integer beyond 64 bits
//! and a decimal are doubles, a `null` document is SQL NULL, keys come out sorted. The expected
//! value is computed from the generated tree, not from smt's or the emulator's parsers; the
//! stored text is read with serde_json.

use proptest::prelude::*;
use smt::plan::{Model, TablePlan};
use smt::starrocks::stream_load::{HttpEndpoint, LoadOptions, StreamLoadClient, Timeouts};
use smt::sync::batch::{BodySpec, Op};
use smt::sync::cell::{Cell, Row};
use smt::sync::decode::{decode_binlog, decode_snapshot, DecodeStats, TimeZoneSpec};
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

#[path = "common/plan_fixtures.rs"]
mod fx;

/// A generated JSON value. Numbers carry their source text.
#[derive(Debug, Clone)]
enum G {
    Null,
    Bool(bool),
    Int(String),
    Dec(String),
    /// The string, and whether its text escapes every non-ASCII character (`\uXXXX`).
    Str(String, bool),
    Arr(Vec<G>),
    Obj(Vec<(String, G)>),
}

fn int_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|u| u.to_string()),
        Just("-0".to_string()),
        Just("9223372036854775808".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-9223372036854775809".to_string()),
        // Beyond 64 bits, up to 60 digits.
        ("-?", "[1-9][0-9]{19,59}").prop_map(|(s, d)| format!("{s}{d}")),
    ]
}

fn dec_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite() && f.abs() < 1e15)
            .prop_map(|f| format!("{f:?}")),
        // Many digits: more than a double holds.
        ("-?", "[0-9]{1,25}", "[0-9]{1,40}").prop_map(|(s, i, f)| {
            let i = i.trim_start_matches('0');
            format!("{s}{}.{f}", if i.is_empty() { "0" } else { i })
        }),
        ("-?", "[1-9]", "[0-9]{0,20}", "[eE]", "[+-]?", 0u32..300).prop_map(
            |(s, a, b, e, es, x)| format!(
                "{s}{a}.{}{e}{es}{x}",
                if b.is_empty() { "0" } else { &b }
            )
        ),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,12}",
        Just(r#"{"a":1}"#.to_string()),
        Just("[1, 2]".to_string()),
        Just("\"quoted\" \\ back\\slash / \u{0}\u{1f}\u{7f}\t\n\r".to_string()),
        Just("é€😀\u{10ffff}".to_string()),
        Just(String::new()),
    ]
}

fn leaf() -> impl Strategy<Value = G> {
    prop_oneof![
        Just(G::Null),
        any::<bool>().prop_map(G::Bool),
        int_text().prop_map(G::Int),
        dec_text().prop_map(G::Dec),
        (text(), any::<bool>()).prop_map(|(s, e)| G::Str(s, e)),
    ]
}

fn value() -> impl Strategy<Value = G> {
    leaf().prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(G::Arr),
            prop::collection::vec((text(), inner), 0..6).prop_map(|kv| {
                // Unique keys (VelocyPack keeps duplicates; which one a reader sees is not
                // documented), in generated order (StarRocks sorts them).
                let mut seen = std::collections::HashSet::new();
                G::Obj(
                    kv.into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

/// JSON text of `s`, escaping as `ascii` asks; `/` escaped too when `ascii`.
fn write_str(s: &str, ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '/' if ascii => out.push_str("\\/"),
            c if (c as u32) < 0x20 || (ascii && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The source document's text; `ws` adds whitespace between tokens.
fn write(g: &G, ws: bool, out: &mut String) {
    let sep = if ws { " " } else { "" };
    match g {
        G::Null => out.push_str("null"),
        G::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        G::Int(t) | G::Dec(t) => out.push_str(t),
        G::Str(s, ascii) => write_str(s, *ascii, out),
        G::Arr(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    out.push_str(sep);
                }
                write(v, ws, out);
            }
            out.push(']');
        }
        G::Obj(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    out.push_str(sep);
                }
                write_str(k, false, out);
                out.push(':');
                out.push_str(sep);
                write(v, ws, out);
            }
            out.push('}');
        }
    }
}

/// What StarRocks' JSON type holds for a generated value.
#[derive(Debug)]
enum Held {
    Null,
    Bool(bool),
    /// int64 or uint64: exact.
    Int(i128),
    /// A double: integers beyond 64 bits and every number with a fraction or an exponent.
    Double(f64),
    Str(String),
    Arr(Vec<Held>),
    Obj(std::collections::BTreeMap<String, Held>),
}

fn held(g: &G) -> Held {
    match g {
        G::Null => Held::Null,
        G::Bool(b) => Held::Bool(*b),
        G::Int(t) => match (t.parse::<i64>(), t.parse::<u64>()) {
            (Ok(i), _) => Held::Int(i128::from(i)),
            (_, Ok(u)) => Held::Int(i128::from(u)),
            _ => Held::Double(t.parse().unwrap()),
        },
        G::Dec(t) => Held::Double(t.parse().unwrap()),
        G::Str(s, _) => Held::Str(s.clone()),
        G::Arr(a) => Held::Arr(a.iter().map(held).collect()),
        G::Obj(m) => Held::Obj(m.iter().map(|(k, v)| (k.clone(), held(v))).collect()),
    }
}

/// Whether the JSON read back (`got`, parsed by serde_json with exact floats) is `want`: an
/// integer must come back as the same integer; a double as any number text that reads as that
/// double (StarRocks prints 1.0 as `1` and 2^64 as `18446744073709552000`).
fn same(want: &Held, got: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (want, got) {
        (Held::Null, J::Null) => true,
        (Held::Bool(a), J::Bool(b)) => a == b,
        (Held::Int(i), J::Number(n)) => {
            n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) == Some(*i)
        }
        (Held::Double(f), J::Number(n)) => {
            n.as_f64() == Some(*f) || (*f == 0.0 && n.as_f64() == Some(0.0))
        }
        (Held::Str(a), J::String(b)) => a == b,
        (Held::Arr(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Held::Obj(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => false,
    }
}

struct Target {
    emu: Emulator,
    json: TablePlan,
    csv: TablePlan,
    client: StreamLoadClient,
    labels: AtomicU32,
}

const DB: &str = "pt_json";

/// One emulator and two planned tables `(id BIGINT PRIMARY KEY, j JSON)`: JSON bodies, CSV bodies.
fn target() -> &'static Target {
    static T: OnceLock<Target> = OnceLock::new();
    T.get_or_init(|| {
        let emu = Emulator::start(EmulatorConfig::default()).expect("emulator");
        let plan_of = |name: &str, sink: &[(&str, &str)]| {
            let t = fx::table(
                DB,
                name,
                vec![
                    fx::bigint("id"),
                    fx::col("j", smt::schema::SourceType::Json, true),
                ],
                vec![fx::pk(&["id"])],
            );
            let mut rule = fx::rule("1", ".*", ".*");
            let opts: Vec<(String, String)> = sink
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            rule.sink = smt::config::SinkOptions::from_options(&opts).expect("sink options");
            let mut cfg = fx::config(vec![rule]);
            cfg.other.be_num = 1;
            let p = smt::plan::build(&cfg, &[t]).expect("plan");
            let tp = p.tables().next().cloned().expect("one table");
            tp
        };
        let json = plan_of("tj", &[]);
        let csv = plan_of(
            "tc",
            &[
                ("sink.properties.format", "csv"),
                ("sink.properties.column_separator", "\\x01"),
                ("sink.properties.row_delimiter", "\\x02"),
            ],
        );
        assert_eq!(json.model, Model::Primary);
        let mut fe = smt::starrocks::fe::FeClient::connect(
            "127.0.0.1",
            emu.fe_query_addr().port(),
            "root",
            &smt::config::Secret::new(""),
            Duration::from_secs(10),
        )
        .expect("FE");
        fe.exec(&format!("CREATE DATABASE `{DB}`")).expect("db");
        for tp in [&json, &csv] {
            let ddl = smt::render::starrocks_table(tp);
            fe.exec(&ddl).unwrap_or_else(|e| panic!("{ddl}: {e}"));
        }
        let client = StreamLoadClient::new(
            HttpEndpoint {
                host: "127.0.0.1".into(),
                port: emu.fe_http_addr().port(),
            },
            "root".into(),
            smt::config::Secret::new(""),
            Timeouts {
                connect: Duration::from_secs(5),
                request: Duration::from_secs(30),
            },
        );
        Target {
            emu,
            json,
            csv,
            client,
            labels: AtomicU32::new(0),
        }
    })
}

/// The JSON column's cell of `text`, both paths agreeing.
fn cell_of(tp: &TablePlan, text: &str) -> Cell {
    let col = tp.column("j").unwrap();
    let src = tp.source_tables[0].column("j").unwrap();
    let tz = TimeZoneSpec::Fixed(0);
    let v = mysql::Value::Bytes(text.as_bytes().to_vec());
    let mut st = DecodeStats::default();
    let a = decode_snapshot(&v, col, src, &tz, &mut st).unwrap_or_else(|e| panic!("{text}: {e:#}"));
    let b = decode_binlog(
        &mysql::binlog::value::BinlogValue::Value(v),
        col,
        src,
        &tz,
        &mut st,
    )
    .unwrap();
    assert_eq!(a, b, "{text}");
    a
}

/// Load `text` as row `id` of `tp` (its own batch) and read the stored JSON text back.
fn load_and_read(tp: &TablePlan, id: u64, text: &str) -> (Option<String>, bool) {
    let t = target();
    let row: Row = vec![Cell::Num(id.to_string()), cell_of(tp, text)];
    let body = BodySpec::new(tp).encode(&[(Op::Upsert, &row)], false);
    let csv = matches!(body.format, smt::config::SinkFormat::Csv { .. });
    let label = format!("pt_{}", t.labels.fetch_add(1, Ordering::SeqCst));
    let opts = LoadOptions {
        format: body.format.clone(),
        columns: body.columns.clone(),
        jsonpaths: body.jsonpaths.clone(),
        extra_headers: Vec::new(),
        strict_mode: true,
        timeout_s: 60,
    };
    t.client
        .load(DB, &tp.target_table, &label, &opts, &body.bytes, 1)
        .unwrap_or_else(|e| panic!("{text} ({}): {e}", if csv { "CSV" } else { "JSON" }));
    let rows = t.emu.rows(DB, &tp.target_table).unwrap();
    let stored = rows
        .iter()
        .find(|r| r[0].as_deref() == Some(&id.to_string()))
        .expect("the row")[1]
        .clone();
    (stored, csv)
}

static IDS: AtomicU32 = AtomicU32::new(0);

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn every_json_value_reads_back_as_starrocks_holds_it(g in value(), ws in any::<bool>(), pad in any::<bool>()) {
        let mut text = String::new();
        write(&g, ws, &mut text);
        if pad {
            text = format!(" \n{text}\t ");
        }
        let want = held(&g);
        for tp in [&target().json, &target().csv] {
            let id = u64::from(IDS.fetch_add(1, Ordering::SeqCst));
            let (stored, csv) = load_and_read(tp, id, &text);
            let body = if csv { "CSV" } else { "JSON" };
            match (&want, &stored) {
                // A JSON null document is SQL NULL.
                (Held::Null, None) => {}
                (_, Some(s)) => {
                    let got: serde_json::Value = serde_json::from_str(s)
                        .unwrap_or_else(|e| panic!("stored text is not JSON ({e}): {s}"));
                    prop_assert!(same(&want, &got), "{} ({} body) stored as {}; StarRocks holds {:?}", text, body, s, want);
                }
                (_, None) => prop_assert!(false, "{} ({} body) stored as NULL", text, body),
            }
        }
    }
}

/// The CSV table really gets CSV bodies for documents CSV can carry, and JSON ones otherwise.
#[test]
fn csv_bodies_carry_documents_and_fall_back_for_scalars() {
    let t = target();
    let id = || u64::from(IDS.fetch_add(1, Ordering::SeqCst));
    assert!(
        load_and_read(
            &t.csv,
            id(),
            r#"{"a": [1, 123456789012345678901234567890]}"#
        )
        .1
    );
    assert!(load_and_read(&t.csv, id(), r#""{\"a\":1}""#).1);
    assert!(!load_and_read(&t.csv, id(), "123456789012345678901234567890").1);
    assert!(!load_and_read(&t.csv, id(), "null").1);
    assert!(!load_and_read(&t.json, id(), "[]").1);
    // What StarRocks holds, spelled as it prints it.
    let (s, _) = load_and_read(
        &t.csv,
        id(),
        r#"{"b": 1.0, "a": [123456789012345678901234567890, 1.]}"#,
    );
    assert_eq!(
        s.as_deref(),
        Some(r#"{"a": [1.2345678901234568e+29, 1], "b": 1}"#)
    );
    let (s, _) = load_and_read(&t.json, id(), "18446744073709551616");
    assert_eq!(s.as_deref(), Some("18446744073709552000"));
    let (s, _) = load_and_read(&t.json, id(), "null");
    assert_eq!(s, None);
}
