//! Stream Load over HTTP: redirect, auth, Expect, formats, __op, strict mode, labels, states.
mod common;
use common::*;
use mysql::prelude::Queryable;
use serde_json::Value;

const PK: &str =
    "CREATE TABLE `{db}`.`t` (`id` BIGINT NOT NULL, `name` VARCHAR(10) NULL, `score` INT NULL) \
    PRIMARY KEY (`id`) DISTRIBUTED BY HASH(`id`) PROPERTIES (\"replication_num\" = \"1\")";
const DUP: &str = "CREATE TABLE `{db}`.`d` (`id` BIGINT NOT NULL, `name` VARCHAR(10) NULL) \
    DUPLICATE KEY (`id`) PROPERTIES (\"replication_num\" = \"1\")";

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn setup(emu: &starrocks_emulator::Emulator, db: &str) {
    let mut c = conn(emu);
    setup_db(&mut c, db, &[PK, DUP]);
}

#[test]
fn fe_redirects_with_307_and_be_loads() {
    let emu = start();
    setup(&emu, "sl_redirect");
    // Manual follow with a real body on the FE request too (client that does not probe).
    let c = http();
    let r = c
        .put(format!(
            "http://{}/api/sl_redirect/t/_stream_load",
            emu.fe_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .header("label", "r1")
        .body("1\ta\t10\n")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        loc,
        format!(
            "http://{}/api/sl_redirect/t/_stream_load",
            emu.be_http_addr()
        )
    );
    let r = c
        .put(&loc)
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .header("label", "r1")
        .body("1\ta\t10\n2\tb\t20\n")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["Message"], "OK");
    assert_eq!(v["Label"], "r1");
    assert_eq!(v["NumberTotalRows"], 2);
    assert_eq!(v["NumberLoadedRows"], 2);
    assert_eq!(v["NumberFilteredRows"], 0);
    assert_eq!(v["NumberUnselectedRows"], 0);
    assert_eq!(v["LoadBytes"], 14);
    for k in [
        "TxnId",
        "LoadTimeMs",
        "BeginTxnTimeMs",
        "StreamLoadPlanTimeMs",
        "ReadDataTimeMs",
        "WriteDataTimeMs",
        "CommitAndPublishTimeMs",
    ] {
        assert!(v.get(k).is_some(), "missing {k}: {v}");
    }
    assert!(v.get("ErrorURL").is_none());
    assert_eq!(
        emu.rows("sl_redirect", "t").unwrap(),
        vec![vec![s("1"), s("a"), s("10")], vec![s("2"), s("b"), s("20")]]
    );
    assert_eq!(emu.load_count("sl_redirect", "t"), 1);
    // Readable over MySQL too.
    let mut m = conn(&emu);
    let n: Option<u64> = m.query_first("SELECT COUNT(*) FROM sl_redirect.t").unwrap();
    assert_eq!(n, Some(2));
}

#[test]
fn auth_and_expect_and_unknown_table() {
    let emu = start();
    setup(&emu, "sl_auth");
    let c = http();
    let fe = format!("http://{}/api/sl_auth/t/_stream_load", emu.fe_http_addr());
    let be = format!("http://{}/api/sl_auth/t/_stream_load", emu.be_http_addr());
    for url in [&fe, &be] {
        let r = c
            .put(url)
            .header("Expect", "100-continue")
            .body("1\ta\t1\n")
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{url}");
        let r = c
            .put(url)
            .header("Authorization", basic("root", "bad"))
            .header("Expect", "100-continue")
            .body("x")
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{url}");
    }
    let r = c
        .put(&fe)
        .header("Authorization", basic("root", PASSWORD))
        .header("Content-Length", "0")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(
        v,
        serde_json::json!({"Status":"FAILED","Message":"There is no 100-continue header"})
    );
    let r = c
        .put(format!(
            "http://{}/api/sl_auth/nope/_stream_load",
            emu.fe_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .header("Expect", "100-continue")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["Status"], "FAILED");
    assert!(v["Message"].as_str().unwrap().contains("nope"), "{v}");
    let r = c
        .put(format!(
            "http://{}/api/sl_auth/nope/_stream_load",
            emu.be_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .header("label", "x1")
        .body("1")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["Status"], "Fail");
    assert_eq!(emu.rows("sl_auth", "t").unwrap().len(), 0);
}

#[test]
fn raw_http_100_continue_and_chunked() {
    let emu = start();
    setup(&emu, "sl_raw");
    let auth = basic("root", PASSWORD);
    // Expect: 100-continue on the BE: interim 100, then the final answer.
    let body = "1\ta\t1\n";
    let head = format!(
        "PUT /api/sl_raw/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nlabel: c1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut sock = std::net::TcpStream::connect(emu.be_http_addr()).unwrap();
    use std::io::{Read, Write};
    sock.write_all(head.as_bytes()).unwrap();
    let mut first = [0u8; 25];
    sock.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 100 Continue\r\n\r\n");
    sock.write_all(body.as_bytes()).unwrap();
    let mut rest = String::new();
    sock.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("HTTP/1.1 200 OK"), "{rest}");
    assert!(rest.contains("\"Status\": \"Success\""), "{rest}");
    // Chunked body.
    let head = format!(
        "PUT /api/sl_raw/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nlabel: c2\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let (h, b) = raw_http(
        emu.be_http_addr(),
        &head,
        b"6\r\n2\tb\t2\n\r\n6\r\n3\tc\t3\n\r\n0\r\n\r\n",
    )
    .unwrap();
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["NumberLoadedRows"], 2, "{v}");
    assert_eq!(emu.rows("sl_raw", "t").unwrap().len(), 3);
    // FE probe: 307 without reading a body.
    let head = format!(
        "PUT /api/sl_raw/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"
    );
    let (h, _) = raw_http(emu.fe_http_addr(), &head, b"").unwrap();
    assert!(h.starts_with("HTTP/1.1 307"), "{h}");
    assert!(
        h.contains(&format!(
            "Location: http://{}/api/sl_raw/t/_stream_load",
            emu.be_http_addr()
        )),
        "{h}"
    );
}

#[test]
fn csv_hex_separators_and_null() {
    let emu = start();
    setup(&emu, "sl_csv");
    let body = b"1\x01a\x01\\N\x022\x01\x01\x02";
    let v = stream_load(
        &emu,
        "sl_csv",
        "t",
        &[
            ("label", "h1"),
            ("column_separator", "\\x01"),
            ("row_delimiter", "\\x02"),
        ],
        body,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_csv", "t").unwrap(),
        vec![vec![s("1"), s("a"), None], vec![s("2"), s(""), None]]
    );
    // enclose + escape, skip_header, trim_space
    let v = stream_load(
        &emu,
        "sl_csv",
        "t",
        &[
            ("label", "h3"),
            ("column_separator", ","),
            ("enclose", "\""),
            ("escape", "\\"),
            ("skip_header", "1"),
            ("trim_space", "true"),
        ],
        b"id,name,score\n 5 ,\"a,\\\"b\",1\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_csv", "t").unwrap()[2],
        vec![s("5"), s("a,\"b"), s("1")]
    );
    // CRLF via \x0D0A and a multi-char separator
    let v = stream_load(
        &emu,
        "sl_csv",
        "t",
        &[
            ("label", "h2"),
            ("column_separator", "||"),
            ("row_delimiter", "\\x0D0A"),
        ],
        b"3||c||3\r\n",
    );
    assert_eq!(v["NumberLoadedRows"], 1, "{v}");
    assert_eq!(
        emu.rows("sl_csv", "t").unwrap()[2],
        vec![s("3"), s("c"), s("3")]
    );
}

#[test]
fn json_strip_outer_array_and_jsonpaths() {
    let emu = start();
    setup(&emu, "sl_json");
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[("label", "j1"), ("format", "json"), ("strip_outer_array", "true")],
        br#"[{"id": 1, "name": "a", "score": 5}, {"id": "2", "name": null}, {"id": 3, "name": "c", "score": 7, "__op": 0}]"#,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberTotalRows"], 3);
    assert_eq!(
        emu.rows("sl_json", "t").unwrap(),
        vec![
            vec![s("1"), s("a"), s("5")],
            vec![s("2"), None, None],
            vec![s("3"), s("c"), s("7")]
        ]
    );
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[
            ("label", "j2"),
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("jsonpaths", r#"["$.k", "$.v.n"]"#),
            ("columns", "id,name"),
        ],
        br#"[{"k": 10, "v": {"n": "deep"}}]"#,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_json", "t").unwrap()[3],
        vec![s("10"), s("deep"), None]
    );
    // Array without strip_outer_array fails; invalid JSON fails.
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[("label", "j3"), ("format", "json")],
        br#"[{"id": 1}]"#,
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[("label", "j4"), ("format", "json")],
        br#"{"id": "#,
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    assert!(v["Message"].as_str().unwrap().contains("JSON"), "{v}");
    // JSON with a columns header naming __op (what a CSV-style client may send)
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[
            ("label", "j6"),
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("columns", "id,name,__op"),
        ],
        br#"[{"id": 20, "name": "u", "__op": 0}, {"id": 1, "name": "a", "__op": 1}]"#,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(emu.rows("sl_json", "t").unwrap().len(), 4);
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[
            ("label", "j7"),
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("columns", "id,name,__op"),
        ],
        br#"[{"id": 20, "__op": 1}]"#,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(emu.rows("sl_json", "t").unwrap().len(), 3);
    // JSON __op delete
    let v = stream_load(
        &emu,
        "sl_json",
        "t",
        &[("label", "j5"), ("format", "json")],
        br#"{"id": 10, "__op": 1}"#,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    let ids: Vec<Option<String>> = emu
        .rows("sl_json", "t")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids, vec![s("2"), s("3")]);
}

#[test]
fn op_deletes_on_pk_and_appends_on_dup() {
    let emu = start();
    setup(&emu, "sl_op");
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[("label", "o1"), ("column_separator", ",")],
        b"1,a,1\n2,b,2\n3,c,3\n",
    );
    assert_eq!(v["Status"], "Success");
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[
            ("label", "o2"),
            ("column_separator", ","),
            ("columns", "id,name,score,__op"),
        ],
        b"2,b,2,1\n3,cc,33,0\n4,d,4,0\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_op", "t").unwrap(),
        vec![
            vec![s("1"), s("a"), s("1")],
            vec![s("3"), s("cc"), s("33")],
            vec![s("4"), s("d"), s("4")]
        ]
    );
    // temp mapping __op=temp: the __op slot is a NOT NULL TINYINT, so data must say 0/1;
    // the words upsert/delete only work as a constant mapping
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[
            ("label", "o3"),
            ("column_separator", ","),
            ("columns", "id,name,score,tmp,__op=tmp"),
            ("max_filter_ratio", "0.5"),
        ],
        b"1,a,1,1\n3,cc,33,delete\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberFilteredRows"], 1, "{v}");
    // constant mapping: all-delete batch
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[
            ("label", "o4"),
            ("column_separator", ","),
            ("columns", "id,name,score,__op='delete'"),
        ],
        b"4,d,4\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_op", "t").unwrap(),
        vec![vec![s("3"), s("cc"), s("33")]]
    );
    // same key in one batch: last wins
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[("label", "o5"), ("column_separator", ",")],
        b"5,x,1\n5,y,2\n",
    );
    assert_eq!(v["NumberLoadedRows"], 2);
    assert_eq!(
        emu.rows("sl_op", "t").unwrap()[1],
        vec![s("5"), s("y"), s("2")]
    );
    // an assignment to a column that does not exist fails the load
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[
            ("label", "o7"),
            ("column_separator", ","),
            ("columns", "id,tmp,nope=tmp"),
        ],
        b"9,x\n",
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    assert!(
        v["Message"]
            .as_str()
            .unwrap()
            .contains("Unknown column 'nope'"),
        "{v}"
    );
    // a CSV field mapped to a temp name that is not used is skipped
    let v = stream_load(
        &emu,
        "sl_op",
        "t",
        &[
            ("label", "o8"),
            ("column_separator", ","),
            ("columns", "id,skipme,name"),
        ],
        b"9,zzz,nine\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_op", "t").unwrap().last().unwrap(),
        &vec![s("9"), s("nine"), None]
    );
    // DUPLICATE table: every row appends, __op ignored
    let v = stream_load(
        &emu,
        "sl_op",
        "d",
        &[
            ("label", "o6"),
            ("column_separator", ","),
            ("columns", "id,name,__op"),
        ],
        b"1,a,0\n1,a,1\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_op", "d").unwrap(),
        vec![vec![s("1"), s("a")], vec![s("1"), s("a")]]
    );
}

#[test]
fn strict_mode_filtering_error_url_and_max_filter_ratio() {
    let emu = start();
    setup(&emu, "sl_strict");
    // strict: a too-long VARCHAR and a bad INT filter their rows → ratio 0 → Fail
    let body = b"1,ok,1\n2,waytoolongvalue,2\n3,c,notanint\n";
    let v = stream_load(
        &emu,
        "sl_strict",
        "t",
        &[
            ("label", "s1"),
            ("column_separator", ","),
            ("strict_mode", "true"),
        ],
        body,
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    assert_eq!(v["Message"], "too many filtered rows");
    assert_eq!(v["NumberTotalRows"], 3);
    assert_eq!(v["NumberFilteredRows"], 2);
    let url = v["ErrorURL"].as_str().expect("ErrorURL").to_string();
    assert!(
        url.starts_with(&format!(
            "http://{}/api/_load_error_log?file=",
            emu.be_http_addr()
        )),
        "{url}"
    );
    let log = http().get(&url).send().unwrap().text().unwrap();
    assert!(
        log.contains("waytoolongvalue") && log.contains("too long"),
        "{log}"
    );
    assert!(log.contains("notanint"), "{log}");
    assert!(emu.rows("sl_strict", "t").unwrap().is_empty());
    assert_eq!(load_state(&emu, "sl_strict", "s1"), "ABORTED");
    // same with max_filter_ratio 0.7 → Success, 1 row, ErrorURL present
    let v = stream_load(
        &emu,
        "sl_strict",
        "t",
        &[
            ("label", "s1"),
            ("column_separator", ","),
            ("strict_mode", "true"),
            ("max_filter_ratio", "0.7"),
        ],
        body,
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberLoadedRows"], 1);
    assert_eq!(v["NumberFilteredRows"], 2);
    assert!(v["ErrorURL"].is_string());
    // non-strict: bad values become NULL (nullable columns)
    let v = stream_load(
        &emu,
        "sl_strict",
        "t",
        &[("label", "s2"), ("column_separator", ",")],
        b"7,waytoolongvalue,x\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberLoadedRows"], 1);
    assert_eq!(
        emu.rows("sl_strict", "t").unwrap()[1],
        vec![s("7"), None, None]
    );
    // non-strict but NOT NULL key column with a bad value: filtered
    let v = stream_load(
        &emu,
        "sl_strict",
        "t",
        &[("label", "s3"), ("column_separator", ",")],
        b"abc,x,1\n",
    );
    assert_eq!(v["Status"], "Fail", "{v}");
    // column count mismatch is filtered in both modes
    let v = stream_load(
        &emu,
        "sl_strict",
        "t",
        &[("label", "s4"), ("column_separator", ",")],
        b"8,x\n",
    );
    assert_eq!(v["NumberFilteredRows"], 1, "{v}");
}

#[test]
fn type_checks_per_column() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "sl_types",
        &["CREATE TABLE `{db}`.`ty` (`k` INT NOT NULL, `ti` TINYINT, `li` LARGEINT, `de` DECIMAL(5, 2), `ch` CHAR(2), \
           `da` DATE, `dt` DATETIME, `bo` BOOLEAN, `js` JSON, `vb` VARBINARY(2)) PRIMARY KEY(`k`) DISTRIBUTED BY HASH(`k`) \
           PROPERTIES (\"replication_num\" = \"1\")"],
    );
    // VARBINARY in CSV is base64 since v3.2 (VarBinaryConverter::read_string): 0A FF = "Cv8="
    let good = "1|-128|-170141183460469231731687303715884105728|999.99|ab|2024-02-29|2024-02-29 23:59:59.123456|true|{\"a\": [1, 2]}|Cv8=\n";
    let v = stream_load(
        &emu,
        "sl_types",
        "ty",
        &[
            ("label", "g"),
            ("column_separator", "|"),
            ("strict_mode", "true"),
        ],
        good.as_bytes(),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_types", "ty").unwrap()[0],
        vec![
            s("1"),
            s("-128"),
            s("-170141183460469231731687303715884105728"),
            s("999.99"),
            s("ab"),
            s("2024-02-29"),
            s("2024-02-29 23:59:59.123456"),
            s("1"),
            s("{\"a\": [1, 2]}"),
            s("0AFF")
        ]
    );
    let bad_fields = [
        (1, "128"),
        (2, "170141183460469231731687303715884105728"),
        (3, "1000"),
        (4, "abc"),
        (5, "2023-02-29"),
        (6, "2024-01-01 24:00:00"),
        (7, "maybe"),
        (8, "{bad"),
        (9, "AAECAw=="),
    ];
    for (i, (col, val)) in bad_fields.iter().enumerate() {
        let mut fields: Vec<String> = good.trim_end().split('|').map(|x| x.to_string()).collect();
        fields[0] = (100 + i).to_string();
        fields[*col] = val.to_string();
        let line = fields.join("|") + "\n";
        let label = format!("b{i}");
        let v = stream_load(
            &emu,
            "sl_types",
            "ty",
            &[
                ("label", &label),
                ("column_separator", "|"),
                ("strict_mode", "true"),
            ],
            line.as_bytes(),
        );
        assert_eq!(v["Status"], "Fail", "column {col} value {val}: {v}");
        assert_eq!(v["NumberFilteredRows"], 1);
    }
    assert_eq!(emu.rows("sl_types", "ty").unwrap().len(), 1);
}

#[test]
fn primary_key_longer_than_128_bytes_is_filtered() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(&mut c, "sl_pk", &["CREATE TABLE `{db}`.`k` (`k` VARCHAR(1000) NOT NULL, v INT) PRIMARY KEY(`k`) DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")"]);
    let long = "x".repeat(129);
    let ok = "y".repeat(128);
    let body = format!("{long}\t1\n{ok}\t2\n");
    let v = stream_load(
        &emu,
        "sl_pk",
        "k",
        &[("label", "p1"), ("max_filter_ratio", "0.5")],
        body.as_bytes(),
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(v["NumberFilteredRows"], 1);
    let log = http()
        .get(v["ErrorURL"].as_str().unwrap())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(log.contains("primary key size exceed the limit"), "{log}");
    assert_eq!(
        emu.rows("sl_pk", "k").unwrap(),
        vec![vec![Some(ok), s("2")]]
    );
}

#[test]
fn labels_already_exists_and_states() {
    let emu = start();
    setup(&emu, "sl_label");
    assert_eq!(load_state(&emu, "sl_label", "L1"), "UNKNOWN");
    let v = stream_load(&emu, "sl_label", "t", &[("label", "L1")], b"1\ta\t1\n");
    assert_eq!(v["Status"], "Success");
    let txn = v["TxnId"].as_u64().unwrap();
    assert_eq!(load_state(&emu, "sl_label", "L1"), "VISIBLE");
    // reuse of a finished label: Label Already Exists + FINISHED; nothing applied twice
    let v = stream_load(&emu, "sl_label", "t", &[("label", "L1")], b"2\tb\t2\n");
    assert_eq!(v["Status"], "Label Already Exists", "{v}");
    assert_eq!(v["ExistingJobStatus"], "FINISHED");
    assert_eq!(v["TxnId"].as_u64().unwrap(), txn);
    assert_eq!(emu.rows("sl_label", "t").unwrap().len(), 1);
    // labels are per database: same label in the DUP table of the same db also conflicts
    let v = stream_load(&emu, "sl_label", "d", &[("label", "L1")], b"2\tb\n");
    assert_eq!(v["Status"], "Label Already Exists");
    // but not in another database
    let mut c = conn(&emu);
    setup_db(&mut c, "sl_label2", &[PK]);
    let v = stream_load(&emu, "sl_label2", "t", &[("label", "L1")], b"2\tb\t2\n");
    assert_eq!(v["Status"], "Success");
    // RUNNING: a transaction in PREPARE holds the label
    let b = txn_op(&emu, "begin", "L2", "sl_label", "t", &[]);
    assert_eq!(b["Status"], "OK");
    let v = stream_load(&emu, "sl_label", "t", &[("label", "L2")], b"3\tc\t3\n");
    assert_eq!(v["Status"], "Label Already Exists");
    assert_eq!(v["ExistingJobStatus"], "RUNNING");
    assert_eq!(load_state(&emu, "sl_label", "L2"), "PREPARE");
    // ABORTED labels are reusable
    assert_eq!(
        txn_op(&emu, "rollback", "L2", "sl_label", "t", &[])["Status"],
        "OK"
    );
    assert_eq!(load_state(&emu, "sl_label", "L2"), "ABORTED");
    let v = stream_load(&emu, "sl_label", "t", &[("label", "L2")], b"3\tc\t3\n");
    assert_eq!(v["Status"], "Success", "{v}");
    // invalid label format
    let v = stream_load(
        &emu,
        "sl_label",
        "t",
        &[("label", "bad label!")],
        b"4\td\t4\n",
    );
    assert_eq!(v["Status"], "Fail");
    assert!(
        v["Message"].as_str().unwrap().contains("Invalid label"),
        "{v}"
    );
    let long = "a".repeat(129);
    let v = stream_load(&emu, "sl_label", "t", &[("label", &long)], b"4\td\t4\n");
    assert_eq!(v["Status"], "Fail");
    let ok128 = "a-".repeat(64);
    let v = stream_load(&emu, "sl_label", "t", &[("label", &ok128)], b"4\td\t4\n");
    assert_eq!(v["Status"], "Success", "{v}");
    // get_load_state of an unknown db
    let r: Value = http()
        .get(format!(
            "http://{}/api/nodb/get_load_state?label=x",
            emu.fe_http_addr()
        ))
        .header("Authorization", basic("root", PASSWORD))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_ne!(r["status"], "OK");
}

#[test]
fn partial_update_keeps_other_columns() {
    let emu = start();
    setup(&emu, "sl_partial");
    stream_load(
        &emu,
        "sl_partial",
        "t",
        &[("label", "a"), ("column_separator", ",")],
        b"1,a,1\n",
    );
    let v = stream_load(
        &emu,
        "sl_partial",
        "t",
        &[
            ("label", "b"),
            ("column_separator", ","),
            ("partial_update", "true"),
            ("columns", "id,score"),
        ],
        b"1,99\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_partial", "t").unwrap(),
        vec![vec![s("1"), s("a"), s("99")]]
    );
}

/// Prints throughput (run with `--ignored --nocapture`); asserts only on the data.
#[test]
#[ignore]
fn measure_throughput() {
    let emu = start();
    setup(&emu, "sl_perf");
    let n = 100_000u64;
    let mut csv = String::new();
    let mut js = String::from("[");
    for i in 0..n {
        csv.push_str(&format!("{i}\tname{}\t{}\n", i % 1000, i % 77));
        if i > 0 {
            js.push(',');
        }
        js.push_str(&format!(
            r#"{{"id":{i},"name":"n{}","score":{}}}"#,
            i % 1000,
            i % 77
        ));
    }
    js.push(']');
    for (label, hdrs, body) in [
        ("csv", vec![("label", "csv")], csv.as_bytes()),
        (
            "json",
            vec![
                ("label", "json"),
                ("format", "json"),
                ("strip_outer_array", "true"),
            ],
            js.as_bytes(),
        ),
    ] {
        let t = std::time::Instant::now();
        let v = stream_load(&emu, "sl_perf", "t", &hdrs, body);
        let el = t.elapsed();
        assert_eq!(v["NumberLoadedRows"], n, "{v}");
        println!(
            "{label}: {n} rows / {} bytes in {el:?} ({:.1} MB/s, {:.0} rows/s)",
            body.len(),
            body.len() as f64 / el.as_secs_f64() / 1e6,
            n as f64 / el.as_secs_f64()
        );
    }
    assert_eq!(emu.rows("sl_perf", "t").unwrap().len() as u64, n);
}

#[test]
fn aggregate_key_tables_combine_values() {
    let emu = start();
    let mut c = conn(&emu);
    setup_db(
        &mut c,
        "sl_agg",
        &["CREATE TABLE `{db}`.`a` (`k` INT NOT NULL, `s` BIGINT SUM NULL, `d` DECIMAL(6, 2) SUM NULL, \
           `mx` INT MAX NULL, `mn` VARCHAR(5) MIN NULL, `r` INT REPLACE_IF_NOT_NULL NULL, `rp` INT REPLACE NULL) \
           AGGREGATE KEY(`k`) DISTRIBUTED BY HASH(`k`) PROPERTIES (\"replication_num\" = \"1\")"],
    );
    let v = stream_load(
        &emu,
        "sl_agg",
        "a",
        &[("label", "a1"), ("column_separator", ",")],
        b"1,10,1.25,5,m,7,1\n1,-3,-0.5,9,b,\\N,\\N\n2,1,0,1,z,1,1\n",
    );
    assert_eq!(v["Status"], "Success", "{v}");
    assert_eq!(
        emu.rows("sl_agg", "a").unwrap(),
        vec![
            vec![s("1"), s("7"), s("0.75"), s("9"), s("b"), s("7"), None],
            vec![s("2"), s("1"), s("0.00"), s("1"), s("z"), s("1"), s("1")],
        ]
    );
}
