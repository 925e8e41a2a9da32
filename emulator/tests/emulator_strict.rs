//! Behaviour modelled on StarRocks' source: VARBINARY per format, separators, JSON values,
//! label expiry, FE body handling, asynchronous ALTER, `__op` and partial update by table type.
mod common;
use base64::Engine;
use common::*;
use mysql::prelude::Queryable;
use serde_json::Value;
use starrocks_emulator::{Emulator, EmulatorConfig};
use std::io::{Read, Write};
use std::time::Duration;

const BIN: &str = "CREATE TABLE `{db}`.`b` (`id` INT NOT NULL, `b` VARBINARY(512) NULL) \
    DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";
const JS: &str = "CREATE TABLE `{db}`.`j` (`id` INT NOT NULL, `j` JSON NULL) \
    DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";
const PK: &str = "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(10) NULL) \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}
fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}
fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}
fn with_version(v: &str) -> Emulator {
    start_with(EmulatorConfig {
        password: PASSWORD.into(),
        version: v.into(),
        ..Default::default()
    })
}
fn msg(v: &Value) -> String {
    v["Message"].as_str().unwrap_or("").to_string()
}
fn col(emu: &Emulator, db: &str, t: &str, i: usize) -> Vec<Option<String>> {
    emu.rows(db, t)
        .unwrap()
        .into_iter()
        .map(|r| r[i].clone())
        .collect()
}

#[test]
fn varbinary_csv_direct_column_is_base64_with_raw_fallback() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "bin_csv", &[BIN]);
    let all = all_bytes();
    // base64 of every byte 0x00..0xFF (with separators, quotes, CR/LF among them) loads exactly
    let body = format!("1\t{}\n", b64(&all));
    let v = stream_load(&emu, "bin_csv", "b", &[("label", "a")], body.as_bytes());
    assert_eq!(v["Status"], "Success", "{v}");
    // hex text is valid base64 too: "0AFF" is read as base64, not as the two bytes 0A FF
    let v = stream_load(&emu, "bin_csv", "b", &[("label", "h")], b"2\t0AFF\n");
    assert_eq!(v["Status"], "Success", "{v}");
    // text that is not base64 is kept as it is (decode failure → raw bytes)
    let v = stream_load(
        &emu,
        "bin_csv",
        "b",
        &[("label", "r"), ("column_separator", "|")],
        b"3|a,b\"c*\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    // an all-blank field is an empty value, \N is NULL
    let v = stream_load(&emu, "bin_csv", "b", &[("label", "e")], b"4\t \n5\t\\N\n");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        col(&emu, "bin_csv", "b", 1),
        vec![
            Some(hex(&all)),
            s("D00145"),
            Some(hex(b"a,b\"c*")),
            s(""),
            None
        ]
    );
    // raw bytes that are not UTF-8 make the whole CSV row invalid
    let mut body = b"6\t".to_vec();
    body.extend_from_slice(&[0xFF, 0xFE, 0x80]);
    body.push(b'\n');
    let v = stream_load(&emu, "bin_csv", "b", &[("label", "u")], &body);
    assert_eq!(v["Status"], "Fail", "{v}");
    let log = http()
        .get(v["ErrorURL"].as_str().unwrap())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(log.contains("Error: Invalid UTF-8 row"), "{log}");
    // longer than the column after decoding
    let body = format!("7\t{}\n", b64(&[0u8; 513]));
    let v = stream_load(
        &emu,
        "bin_csv",
        "b",
        &[("label", "l"), ("strict_mode", "true")],
        body.as_bytes(),
    );
    assert_eq!(v["Status"], "Fail", "{v}");
}

#[test]
fn varbinary_csv_before_3_2_is_hex() {
    let emu = with_version("3.1.11 emulator");
    let mut c = conn(&emu);
    setup_db(&mut c, "bin_31", &[BIN]);
    let v = stream_load(&emu, "bin_31", "b", &[("label", "a")], b"1\t0AFF\n");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(col(&emu, "bin_31", "b", 1), vec![s("0AFF")]);
    let v = stream_load(
        &emu,
        "bin_31",
        "b",
        &[("label", "b"), ("strict_mode", "true")],
        b"2\tCv8=\n",
    );
    assert_eq!(v["Status"], "Fail", "base64 is not hex: {v}");
}

#[test]
fn varbinary_through_columns_mapping_functions() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "bin_map", &[BIN]);
    let all = all_bytes();
    let load = |label: &str, columns: &str, body: String| {
        stream_load(
            &emu,
            "bin_map",
            "b",
            &[
                ("label", label),
                ("column_separator", ","),
                ("columns", columns),
            ],
            body.as_bytes(),
        )
    };
    // the documented scheme: a temporary VARCHAR column and to_binary(tmp, 'hex')
    let v = load(
        "hex",
        "id,tmp,b=to_binary(tmp,'hex')",
        format!("1,{}\n", hex(&all).to_lowercase()),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let v = load(
        "b64",
        "id, tmp, b = to_binary(tmp, 'encode64')",
        format!("2,{}\n", b64(&all)),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let v = load(
        "unhex",
        "id,tmp,b=unhex(tmp)",
        format!("3,{}\n", hex(b"\",\n")),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let v = load(
        "fb64",
        "id,tmp,b=from_base64(tmp)",
        format!("4,{}\n", b64(b"\t\"'")),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    // invalid input: hex → empty binary (unhex), encode64 → NULL (from_base64)
    let v = load("badhex", "id,tmp,b=to_binary(tmp)", "5,xyz1\n".into());
    assert_eq!(v["Status"], "Success", "{v}");
    let v = load(
        "bad64",
        "id,tmp,b=to_binary(tmp,'encode64')",
        "6,*not*\n".into(),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    // b = tmp: a VARCHAR → VARBINARY cast keeps the text's bytes
    let v = load("cast", "id,tmp,b=tmp", "7,0AFF\n".into());
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        col(&emu, "bin_map", "b", 1),
        vec![
            Some(hex(&all)),
            Some(hex(&all)),
            Some(hex(b"\",\n")),
            Some(hex(b"\t\"'")),
            s(""),
            None,
            Some(hex(b"0AFF"))
        ]
    );
    // planning errors fail the load before any row
    let v = load("f1", "id,tmp,b=to_binary(tmp,'hex','x')", "8,00\n".into());
    assert_eq!(v["Status"], "Fail");
    assert_eq!(
        msg(&v),
        "No matching function with signature: to_binary(varchar, varchar, varchar)."
    );
    let v = load("f2", "id,tmp,b=to_binary(nope,'hex')", "8,00\n".into());
    assert_eq!(v["Status"], "Fail");
    assert_eq!(
        msg(&v),
        "unknown reference column, column=b, reference=nope"
    );
    let v = load("f3", "id,tmp,b=concat(tmp,'x')", "8,00\n".into());
    assert_eq!(v["Status"], "Fail");
    assert!(
        msg(&v).contains("not supported by the StarRocks emulator"),
        "{v}"
    );
}

#[test]
fn varbinary_from_json_is_the_string_bytes() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "bin_json", &[BIN]);
    let all = all_bytes();
    let h = [("format", "json"), ("strip_outer_array", "true")];
    // a JSON string's bytes (UTF-8) as they are — no hex or base64 decoding
    let v = stream_load(
        &emu,
        "bin_json",
        "b",
        &[h[0], h[1], ("label", "a")],
        br#"[{"id": 1, "b": "0AFF"}, {"id": 2, "b": "a\"b\\\u0001\u00e9"}, {"id": 3, "b": 12.50}]"#,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    // arbitrary bytes through the documented mapping
    let body = format!(r#"[{{"id": 4, "tmp": "{}"}}]"#, hex(&all));
    let v = stream_load(
        &emu,
        "bin_json",
        "b",
        &[
            h[0],
            h[1],
            ("label", "m"),
            ("columns", "id,tmp,b=to_binary(tmp,'hex')"),
        ],
        body.as_bytes(),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        col(&emu, "bin_json", "b", 1),
        vec![
            Some(hex(b"0AFF")),
            Some(hex("a\"b\\\u{1}é".as_bytes())),
            Some(hex(b"12.50")),
            Some(hex(&all))
        ]
    );
}

#[test]
fn separators_follow_convert_delimiter() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "sep", &[PK]);
    // no header: a real tab and a real newline
    let v = stream_load(&emu, "sep", "t", &[("label", "d")], b"1\ta\n");
    assert_eq!(v["Status"], "Success", "{v}");
    // `\t` is the two characters backslash and t, not a tab
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[("label", "bt"), ("column_separator", "\\t")],
        b"2\tb\n",
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    let log = http()
        .get(v["ErrorURL"].as_str().unwrap())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        log.contains("Target column count: 2 doesn't match source value column count: 1. Column separator: '\\t'"),
        "{log}"
    );
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[
            ("label", "bt2"),
            ("column_separator", "\\t"),
            ("row_delimiter", "\\n"),
        ],
        b"2\\tb\\n3\\tc",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberTotalRows"], 2);
    // hex forms: \x.. and 0x.., any case
    for (i, sep) in ["\\x2C", "0x2c", "\\X2c"].iter().enumerate() {
        let label = format!("x{i}");
        let body = format!("{},hex\n", 10 + i);
        let v = stream_load(
            &emu,
            "sep",
            "t",
            &[("label", &label), ("column_separator", sep)],
            body.as_bytes(),
        );
        assert_eq!(v["Status"], "Success", "{sep}: {v}");
    }
    // a byte >= 0x80 becomes the UTF-8 of the Java char (char) b: \x80 → EF BE 80
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[("label", "hi"), ("column_separator", "\\x80")],
        b"20\xEF\xBE\x80high\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    // errors of Delimiter.convertDelimiter and the 50-byte limit of StreamLoadScanNode
    for (sep, want) in [
        (
            "\\x0",
            "Invalid delimiter '\\x0: hex length must be a even number",
        ),
        ("\\xZZ", "Invalid delimiter '\\xZZ': invalid hex format"),
        ("0x", "Invalid delimiter '0x: empty hex string"),
    ] {
        let v = stream_load(
            &emu,
            "sep",
            "t",
            &[("label", "bad"), ("column_separator", sep)],
            b"1\n",
        );
        assert_eq!(v["Status"], "Fail");
        assert_eq!(msg(&v), want);
    }
    let long = "|".repeat(51);
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[("label", "long"), ("column_separator", &long)],
        b"1\n",
    );
    assert_eq!(
        msg(&v),
        "the column separator is limited to a maximum of 50 bytes"
    );
    let ok50 = "|".repeat(50);
    let body = format!("30{ok50}fifty\n");
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[("label", "ok50"), ("column_separator", &ok50)],
        body.as_bytes(),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[("label", "longr"), ("row_delimiter", &long)],
        b"1\n",
    );
    assert_eq!(
        msg(&v),
        "the row delimiter is limited to a maximum of 50 bytes"
    );
    // blank records are skipped and not counted
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[("label", "blank")],
        b"\n40\tx\n\n41\ty\n",
    );
    assert_eq!(v["NumberTotalRows"], 2, "{v}");
    // enclose is the header's first byte: `\x22` means a backslash, not a quote
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[
            ("label", "enc"),
            ("column_separator", ","),
            ("enclose", "\\x22"),
        ],
        b"50,\\a,b\\\n51,\"q\"\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let rows = emu.rows("sep", "t").unwrap();
    let r50 = rows.iter().find(|r| r[0] == s("50")).unwrap();
    let r51 = rows.iter().find(|r| r[0] == s("51")).unwrap();
    assert_eq!(r50[1], s("a,b"));
    assert_eq!(r51[1], s("\"q\""));
    // an enclosed field may hold the row delimiter
    let v = stream_load(
        &emu,
        "sep",
        "t",
        &[
            ("label", "ml"),
            ("column_separator", ","),
            ("enclose", "\""),
        ],
        b"60,\"l1\nl2\"\n",
    );
    assert_eq!(v["NumberLoadedRows"], 1, "{v}");
}

#[test]
fn json_column_values_by_kind_and_format() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "jsv", &[JS]);
    // format=json: the field's JSON value as it is
    let body = br#"[
        {"id": 1, "j": {"b": 1, "a": [true, null, "x"]}},
        {"id": 2, "j": "scalar string"},
        {"id": 3, "j": 42},
        {"id": 4, "j": -9223372036854775808},
        {"id": 5, "j": 18446744073709551615},
        {"id": 6, "j": 1.50},
        {"id": 7, "j": 3.141592653589793238462643383279},
        {"id": 8, "j": false},
        {"id": 9, "j": null},
        {"id": 10, "j": "\u00e9\ud83d\ude00\n"},
        {"id": 11, "j": "{\"a\":1}"},
        {"id": 12, "j": []}
    ]"#;
    let v = stream_load(
        &emu,
        "jsv",
        "j",
        &[
            ("label", "jf"),
            ("format", "json"),
            ("strip_outer_array", "true"),
        ],
        body,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        col(&emu, "jsv", "j", 1),
        vec![
            s(r#"{"a": [true, null, "x"], "b": 1}"#),
            s(r#""scalar string""#),
            s("42"),
            s("-9223372036854775808"),
            s("18446744073709551615"),
            s("1.5"),
            s("3.141592653589793"),
            s("false"),
            None,
            s("\"é😀\\n\""),
            s(r#""{\"a\":1}""#),
            s("[]"),
        ]
    );
    // an integer beyond 64 bits cannot be converted from simdjson: the row is rejected
    let v = stream_load(
        &emu,
        "jsv",
        "j",
        &[("label", "big"), ("format", "json")],
        br#"{"id": 13, "j": 18446744073709551616}"#,
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    assert_eq!(v["NumberFilteredRows"], 1);
    // format=csv: text starting with { [ or " is parsed; any other text becomes a JSON string
    let body = "20|{\"b\":1,\"a\":2}\n21|\"scalar string\"\n22|123\n23|null\n24|\\N\n25|\n26|[123456789012345678901234567890]\n27| [1]\n";
    let v = stream_load(
        &emu,
        "jsv",
        "j",
        &[("label", "jc"), ("column_separator", "|")],
        body.as_bytes(),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let got: Vec<Option<String>> = col(&emu, "jsv", "j", 1).into_iter().skip(12).collect();
    assert_eq!(
        got,
        vec![
            s(r#"{"a": 2, "b": 1}"#),
            s(r#""scalar string""#),
            s(r#""123""#),
            s(r#""null""#),
            None,
            s(r#""""#),
            s("[1.2345678901234568e+29]"),
            s("[1]"),
        ]
    );
    let v = stream_load(
        &emu,
        "jsv",
        "j",
        &[
            ("label", "jbad"),
            ("column_separator", "|"),
            ("strict_mode", "true"),
        ],
        b"30|{bad\n",
    );
    assert_eq!(v["Status"], "Fail", "{v}");
}

#[test]
fn labels_expire_by_count_and_by_age() {
    let emu = start_with(EmulatorConfig {
        password: PASSWORD.into(),
        label_keep_max_num: 3,
        ..Default::default()
    });
    let mut c = conn(&emu);
    setup_db(&mut c, "lx", &[PK]);
    // a running transaction counts towards label_keep_max_num but is never removed
    assert_eq!(txn_op(&emu, "begin", "run", "lx", "t", &[])["Status"], "OK");
    for i in 1..=4 {
        let body = format!("{i}\tv\n");
        let v = stream_load(
            &emu,
            "lx",
            "t",
            &[("label", &format!("L{i}"))],
            body.as_bytes(),
        );
        assert_eq!(v["Status"], "Success");
    }
    // 5 transactions, keep 3: the two oldest finished ones are gone
    assert_eq!(load_state(&emu, "lx", "L1"), "UNKNOWN");
    assert_eq!(load_state(&emu, "lx", "L2"), "UNKNOWN");
    assert_eq!(load_state(&emu, "lx", "L3"), "VISIBLE");
    assert_eq!(load_state(&emu, "lx", "L4"), "VISIBLE");
    assert_eq!(load_state(&emu, "lx", "run"), "PREPARE");
    // a forgotten label can be used again: the batch is applied a second time
    let v = stream_load(&emu, "lx", "t", &[("label", "L1")], b"100\tagain\n");
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(load_state(&emu, "lx", "L3"), "UNKNOWN");

    // age: (now - finishTime) / 1000 > label_keep_max_second (259200 by default)
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "la", &[PK]);
    let v = stream_load(&emu, "la", "t", &[("label", "old")], b"1\tv\n");
    assert_eq!(v["Status"], "Success");
    assert_eq!(load_state(&emu, "la", "old"), "VISIBLE");
    emu.faults().advance_clock(Duration::from_secs(259_200));
    assert_eq!(load_state(&emu, "la", "old"), "VISIBLE");
    emu.faults().advance_clock(Duration::from_secs(2));
    assert_eq!(load_state(&emu, "la", "old"), "UNKNOWN");
    let v = stream_load(&emu, "la", "t", &[("label", "old")], b"1\tv2\n");
    assert_eq!(v["Status"], "Success", "{v}");
}

#[test]
fn fe_does_not_read_a_body() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "febody", &[PK]);
    let auth = basic("root", PASSWORD);
    // Announce 8 MB and send nothing: the FE answers 307 at once from the headers.
    let head = format!(
        "PUT /api/febody/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nlabel: b1\r\nContent-Length: 8388608\r\n\r\n"
    );
    let mut sock = std::net::TcpStream::connect(emu.fe_http_addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.write_all(head.as_bytes()).unwrap();
    let mut buf = [0u8; 512];
    let n = sock.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(text.starts_with("HTTP/1.1 307"), "{text}");
    assert!(
        !text.contains("100 Continue"),
        "the FE never sends 100 Continue: {text}"
    );
    // The FE closed the connection without reading: sending the body fails.
    let chunk = vec![b'x'; 64 * 1024];
    let mut failed = false;
    for _ in 0..128 {
        if sock.write_all(&chunk).is_err() {
            failed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        failed,
        "writing the body to the FE must fail (connection reset)"
    );
    assert_eq!(load_state(&emu, "febody", "b1"), "UNKNOWN");
}

#[test]
fn alter_is_a_job_without_fast_schema_evolution() {
    // 3.1: no fast schema evolution in shared-nothing clusters; ADD COLUMN is a job
    let emu = with_version("3.1.11 emulator");
    let mut c = conn(&emu);
    setup_db(&mut c, "al", &[PK]);
    c.query_drop("ALTER TABLE al.t ADD COLUMN extra INT NULL")
        .unwrap();
    assert_eq!(emu.columns("al", "t").unwrap(), vec!["id", "name"]);
    let rows = rows_text(
        &mut c,
        "SHOW ALTER TABLE COLUMN FROM al WHERE TableName = 't'",
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r[1], s("t"));
    assert_eq!(r[3], s("NULL"), "FinishTime");
    assert_eq!(r[4], s("t"), "IndexName");
    assert_eq!(r[9], s("RUNNING"));
    assert_eq!(r[12], s("86400"), "Timeout");
    // a second ALTER is refused while the job runs
    let (_, m) = err_of(&mut c, "ALTER TABLE al.t DROP COLUMN name");
    assert!(
        m.starts_with("A schema change operation is in progress on the table \"t\". Please wait until the current operation completes."),
        "{m}"
    );
    // loads during the job use the old schema
    let v = stream_load(
        &emu,
        "al",
        "t",
        &[("label", "during"), ("columns", "id,name,extra")],
        b"1\ta\t5\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let v = stream_load(
        &emu,
        "al",
        "t",
        &[("label", "during2"), ("columns", "id,name,tmp,extra=tmp")],
        b"2\tb\t6\n",
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    assert!(msg(&v).contains("Unknown column 'extra'"), "{v}");
    emu.faults().advance_clock(Duration::from_millis(1000));
    let rows = rows_text(&mut c, "SHOW ALTER TABLE COLUMN FROM al");
    assert_eq!(rows[0][9], s("FINISHED"));
    assert_ne!(rows[0][3], s("NULL"));
    assert_eq!(emu.columns("al", "t").unwrap(), vec!["id", "name", "extra"]);
    assert_eq!(
        emu.rows("al", "t").unwrap(),
        vec![vec![s("1"), s("a"), None]]
    );
    c.query_drop("ALTER TABLE al.t DROP COLUMN extra").unwrap();
    let rows = rows_text(
        &mut c,
        "SHOW ALTER TABLE COLUMN FROM al ORDER BY CreateTime DESC LIMIT 1",
    );
    assert_eq!(rows[0][9], s("RUNNING"));

    // 3.3 with fast schema evolution: immediate, no job; the table property turns it off
    let emu = start();
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "af",
        &[PK, "CREATE TABLE `{db}`.`slow` (`id` BIGINT NOT NULL, `v` INT NULL) PRIMARY KEY (`id`) \
           DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\", \"fast_schema_evolution\" = \"false\")"],
    );
    c.query_drop("ALTER TABLE af.t ADD COLUMN extra INT NULL")
        .unwrap();
    assert_eq!(emu.columns("af", "t").unwrap(), vec!["id", "name", "extra"]);
    assert!(rows_text(&mut c, "SHOW ALTER TABLE COLUMN FROM af").is_empty());
    c.query_drop("ALTER TABLE af.slow ADD COLUMN extra INT NULL")
        .unwrap();
    assert_eq!(emu.columns("af", "slow").unwrap(), vec!["id", "v"]);
    let rows = rows_text(
        &mut c,
        "SHOW ALTER TABLE COLUMN FROM af WHERE TableName = 'slow'",
    );
    assert_eq!(rows[0][9], s("RUNNING"));
}

#[test]
fn op_and_partial_update_need_a_primary_key_table() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "opk",
        &[
            "CREATE TABLE `{db}`.`u` (`id` INT NOT NULL, `v` INT NULL) UNIQUE KEY(`id`) \
             DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")",
            "CREATE TABLE `{db}`.`a` (`id` INT NOT NULL, `v` INT SUM NULL) AGGREGATE KEY(`id`) \
             DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")",
        ],
    );
    for t in ["u", "a"] {
        let v = stream_load(
            &emu,
            "opk",
            t,
            &[("label", &format!("{t}1")), ("columns", "id,v,__op")],
            b"1\t5\t0\n1\t7\t1\n",
        );
        assert_eq!(v["Status"], "Success", "{v}");
    }
    // StreamLoadPlanner adds the __op slot only for PRIMARY KEY tables: no delete here
    assert_eq!(emu.rows("opk", "u").unwrap(), vec![vec![s("1"), s("7")]]);
    assert_eq!(emu.rows("opk", "a").unwrap(), vec![vec![s("1"), s("12")]]);
    let v = stream_load(
        &emu,
        "opk",
        "u",
        &[
            ("label", "pu"),
            ("partial_update", "true"),
            ("columns", "id,v"),
        ],
        b"1\t9\n",
    );
    assert_eq!(v["Status"], "Fail");
    assert_eq!(msg(&v), "Only primary key table support partial update");
}

#[test]
fn varbinary_bucket_column_from_4_0() {
    let ddl = "CREATE TABLE vb.t (`id` INT NOT NULL, `b` VARBINARY(16) NULL) DUPLICATE KEY(`id`) \
               DISTRIBUTED BY HASH(`b`) PROPERTIES (\"replication_num\" = \"1\")";
    let emu = start();
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE vb").unwrap();
    let (_, m) = err_of(&mut c, ddl);
    assert!(m.contains("Distribution column(b) is not allowed"), "{m}");
    let emu = with_version("4.0.1 emulator");
    let mut c = conn(&emu);
    c.query_drop("CREATE DATABASE vb").unwrap();
    c.query_drop(ddl).unwrap();
}
