//! JSON columns through Stream Load, one test per kind of JSON value, each in both formats:
//! what the emulator stores is what StarRocks' BE builds (shared-notes/starrocks-facts.md, D;
//! `jsonv` module doc) — format=json copies the field structurally (a string stays a string,
//! an integer must fit 64 bits, `null` is SQL NULL), format=csv parses text that starts with
//! `{`, `[` or `"` and keeps any other text as a JSON string — and reads back as VelocyPack dumps
//! it (keys sorted, `": "` and `", "`, doubles without `.0`).

mod common;

use common::*;
use serde_json::Value;

const DDL: &[&str] = &[
    "CREATE TABLE `{db}`.`t` (`k` INT NOT NULL, `j` JSON NULL) PRIMARY KEY(`k`) \
     DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")",
    "CREATE TABLE `{db}`.`nn` (`k` INT NOT NULL, `j` JSON NOT NULL) PRIMARY KEY(`k`) \
     DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")",
];

/// One emulator with the tables in `db`.
fn emu(db: &str) -> starrocks_emulator::Emulator {
    let e = start();
    setup_db(&mut conn(&e), db, DDL);
    e
}

/// Load the field `doc` of row `k` into `db`.`table` with format=json (strict mode, as smt
/// loads); the reply.
fn json_load(e: &starrocks_emulator::Emulator, db: &str, table: &str, k: u32, doc: &str) -> Value {
    let body = format!("[{{\"k\": {k}, \"j\": {doc}}}]");
    let label = format!("j{k}_{table}");
    stream_load(
        e,
        db,
        table,
        &[
            ("label", &label),
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("strict_mode", "true"),
        ],
        body.as_bytes(),
    )
}

/// Load the CSV field `text` of row `k` (tab separated); the reply.
fn csv_load(e: &starrocks_emulator::Emulator, db: &str, table: &str, k: u32, text: &str) -> Value {
    let body = format!("{k}\t{text}\n");
    let label = format!("c{k}_{table}");
    stream_load(
        e,
        db,
        table,
        &[("label", &label), ("strict_mode", "true")],
        body.as_bytes(),
    )
}

/// The stored JSON text of row `k` of `t` (None: SQL NULL).
fn stored(e: &starrocks_emulator::Emulator, db: &str, k: u32) -> Option<String> {
    let rows = e.rows(db, "t").unwrap();
    let row = rows
        .iter()
        .find(|r| r[0].as_deref() == Some(&k.to_string()))
        .unwrap_or_else(|| panic!("no row {k}: {rows:?}"));
    row[1].clone()
}

/// Load `json_field` with format=json as row 1 and `csv_field` as CSV row 2; both must load
/// and be stored as the given texts.
fn both(
    db: &str,
    json_field: &str,
    csv_field: &str,
    want_json: Option<&str>,
    want_csv: Option<&str>,
) {
    let e = emu(db);
    let v = json_load(&e, db, "t", 1, json_field);
    assert_eq!(v["Status"], "Success", "format=json {json_field}: {v}");
    let v = csv_load(&e, db, "t", 2, csv_field);
    assert_eq!(v["Status"], "Success", "format=csv {csv_field}: {v}");
    assert_eq!(
        stored(&e, db, 1).as_deref(),
        want_json,
        "format=json {json_field}"
    );
    assert_eq!(
        stored(&e, db, 2).as_deref(),
        want_csv,
        "format=csv {csv_field}"
    );
}

#[test]
fn objects_are_stored_with_sorted_keys() {
    let doc = r#"{"b": 1, "a": {"d": [true, false, null], "c": "x"}, "": 0}"#;
    let want = r#"{"": 0, "a": {"c": "x", "d": [true, false, null]}, "b": 1}"#;
    both("js_obj", doc, doc, Some(want), Some(want));
}

#[test]
fn arrays_keep_their_order() {
    let doc = r#"[3, "x", null, [], {}, [1, [2]]]"#;
    both("js_arr", doc, doc, Some(doc), Some(doc));
}

#[test]
fn strings_stay_strings_even_when_they_hold_json() {
    both(
        "js_str",
        r#""abc""#,
        r#""abc""#,
        Some(r#""abc""#),
        Some(r#""abc""#),
    );
    // A string holding a JSON document is a string scalar in both formats: not parsed again.
    let held = r#""{\"a\":1}""#;
    both("js_held", held, held, Some(held), Some(held));
    // CSV text that does not start with {, [ or " is a JSON string of that text.
    let e = emu("js_bare");
    let v = csv_load(&e, "js_bare", "t", 1, "abc");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(stored(&e, "js_bare", 1).as_deref(), Some(r#""abc""#));
    let v = csv_load(&e, "js_bare", "t", 3, "");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(stored(&e, "js_bare", 3).as_deref(), Some(r#""""#));
}

#[test]
fn unicode_escapes_are_decoded_and_control_characters_escaped() {
    let doc = r#"["\u00e9\ud83d\ude00", "\u0001\u001f\t\"\\\/"]"#;
    let want = "[\"é😀\", \"\\u0001\\u001F\\t\\\"\\\\/\"]";
    both("js_uni", doc, doc, Some(want), Some(want));
}

#[test]
fn integers_within_64_bits_stay_integers() {
    let doc = "[9223372036854775807, -9223372036854775808, 18446744073709551615, 0, -0]";
    let want = "[9223372036854775807, -9223372036854775808, 18446744073709551615, 0, 0]";
    both("js_int", doc, doc, Some(want), Some(want));
}

#[test]
fn integers_beyond_64_bits_are_refused_by_json_and_doubles_in_csv() {
    let e = emu("js_big");
    for (k, doc) in [
        (1, "123456789012345678901234567890"),
        (2, "[18446744073709551616]"),
        (3, r#"{"a": -9223372036854775809}"#),
    ] {
        let v = json_load(&e, "js_big", "t", k, doc);
        assert_eq!(v["Status"], "Fail", "{doc}: {v}");
        assert_eq!(v["NumberFilteredRows"], 1, "{v}");
    }
    assert!(e.rows("js_big", "t").unwrap().is_empty());
    // VelocyPack's parser (CSV) turns them into doubles; a bare number is a string there.
    for (k, text, want) in [
        (4, "[18446744073709551616]", "[18446744073709552000]"),
        (
            5,
            r#"{"a": -9223372036854775809}"#,
            r#"{"a": -9223372036854776000}"#,
        ),
        (
            6,
            "[123456789012345678901234567890]",
            "[1.2345678901234568e+29]",
        ),
        (
            7,
            "123456789012345678901234567890",
            r#""123456789012345678901234567890""#,
        ),
    ] {
        let v = csv_load(&e, "js_big", "t", k, text);
        assert_eq!(v["Status"], "Success", "{text}: {v}");
        assert_eq!(stored(&e, "js_big", k).as_deref(), Some(want), "{text}");
    }
}

#[test]
fn decimals_with_many_digits_are_doubles() {
    let doc =
        "[0.1000000000000000055511151231257827, 1.0, 2.50, 1e21, 1E-7, 123456789012345678901.5]";
    let want = "[0.1, 1, 2.5, 1e+21, 1e-7, 123456789012345680000]";
    both("js_dec", doc, doc, Some(want), Some(want));
    // A number beyond the double range is refused in both (strict mode; without it a CSV field
    // that does not convert is NULL).
    let e = emu("js_inf");
    let v = json_load(&e, "js_inf", "t", 1, "[1e400]");
    assert_eq!(v["Status"], "Fail", "{v}");
    let v = csv_load(&e, "js_inf", "t", 2, "[1e400]");
    assert_eq!(v["Status"], "Fail", "{v}");
}

#[test]
fn true_false_and_null() {
    // format=json: the scalars as they are; a null field is SQL NULL.
    // format=csv: text that does not start with {, [ or " is a JSON string.
    both("js_true", "true", "true", Some("true"), Some(r#""true""#));
    both(
        "js_false",
        "false",
        "false",
        Some("false"),
        Some(r#""false""#),
    );
    both("js_null", "null", "null", None, Some(r#""null""#));
    both(
        "js_nested",
        "[null, true]",
        "[null, true]",
        Some("[null, true]"),
        Some("[null, true]"),
    );
    // CSV's \N is SQL NULL.
    let e = emu("js_csvnull");
    let v = csv_load(&e, "js_csvnull", "t", 1, "\\N");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(stored(&e, "js_csvnull", 1), None);
    // A JSON null into a NOT NULL JSON column is refused (the reader makes it SQL NULL).
    let v = json_load(&e, "js_csvnull", "nn", 2, "null");
    assert_eq!(v["Status"], "Fail", "{v}");
    assert_eq!(v["NumberFilteredRows"], 1, "{v}");
    let v = json_load(&e, "js_csvnull", "nn", 3, "[null]");
    assert_eq!(v["Status"], "Success", "{v}");
}

#[test]
fn deep_nesting_is_kept_within_the_readers_limit() {
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let obj = format!("{}{{}}{}", r#"{"a": "#.repeat(300), "}".repeat(300));
    both(
        "js_deep",
        &deep(1000),
        &deep(1000),
        Some(&deep(1000)),
        Some(&deep(1000)),
    );
    both("js_deepo", &obj, &obj, Some(&obj), Some(&obj));
    // simdjson's 1024 levels count the load body's own array and row object.
    let e = emu("js_toodeep");
    let v = json_load(&e, "js_toodeep", "t", 1, &deep(1023));
    assert_eq!(v["Status"], "Fail", "{v}");
}

/// Record keys are bound to columns by name whatever their order, which changes from record to
/// record here (the emulator guesses each key's column from the record before): an exact name
/// wins over a case-insensitive one, the last exact key wins, and the first case-insensitive key
/// is taken when no key is exact.
#[test]
fn record_keys_bind_by_name_in_any_order_and_case() {
    let e = start();
    setup_db(
        &mut conn(&e),
        "ko",
        &["CREATE TABLE `{db}`.`t` (`k` INT NOT NULL, `a` VARCHAR(10) NULL, `b` VARCHAR(10) NULL, \
           `c` VARCHAR(10) NULL) PRIMARY KEY(`k`) DISTRIBUTED BY HASH(`k`) \
           PROPERTIES (\"replication_num\" = \"1\")"],
    );
    let body = r#"[
        {"k": 1, "a": "a1", "b": "b1", "c": "c1"},
        {"c": "c2", "b": "b2", "a": "a2", "k": 2},
        {"k": 3, "B": "b3", "a": "a3", "C": "c3"},
        {"A": "x", "k": 4, "a": "a4", "b": "first", "b": "b4"},
        {"k": 5, "C": "c5", "c": "x", "C": "y"},
        {"b": "b6", "k": 6},
        {"k": 7, "a": "a7", "b": "b7", "c": "c7"}
    ]"#;
    let r = stream_load(
        &e,
        "ko",
        "t",
        &[
            ("label", "keys_in_any_order"),
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("strict_mode", "true"),
        ],
        body.as_bytes(),
    );
    assert_eq!(r["Status"], "Success", "{r}");
    let mut rows = e.rows("ko", "t").unwrap();
    rows.sort_by_key(|r| r[0].as_deref().unwrap().parse::<i32>().unwrap());
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        vec![
            vec![s("1"), s("a1"), s("b1"), s("c1")],
            vec![s("2"), s("a2"), s("b2"), s("c2")],
            vec![s("3"), s("a3"), s("b3"), s("c3")],
            vec![s("4"), s("a4"), s("b4"), None],
            vec![s("5"), None, None, s("x")],
            vec![s("6"), None, s("b6"), None],
            vec![s("7"), s("a7"), s("b7"), s("c7")],
        ]
    );
}
