use super::fake::{json, redirect, status, Action, FakeServer};
use super::*;
use crate::config::sink::Separator;
use base64::Engine;

fn reply(status: &str) -> TxnReply {
    TxnReply {
        status: status.into(),
        ..TxnReply::default()
    }
}

fn counted(status: &str, total: u64, loaded: u64, filtered: u64) -> TxnReply {
    TxnReply {
        status: status.into(),
        total_rows: Some(total),
        loaded_rows: Some(loaded),
        filtered_rows: Some(filtered),
        unselected_rows: Some(0),
        ..TxnReply::default()
    }
}

// ---------------------------------------------------------------- pure classification

#[test]
fn success_with_matching_counts_is_loaded() {
    assert_eq!(
        classify_load_reply(&counted("Success", 3, 3, 0), 3),
        Ok(LoadDone::Loaded { rows: 3 })
    );
}

#[test]
fn success_with_wrong_counts_is_definite() {
    for r in [
        counted("Success", 2, 2, 0),
        counted("Success", 3, 2, 1),
        TxnReply {
            unselected_rows: Some(1),
            ..counted("Success", 3, 3, 0)
        },
        reply("Success"),
    ] {
        match classify_load_reply(&r, 3) {
            Err(LoadError::Definite(m)) => assert!(m.contains("row counts"), "{m}"),
            other => panic!("{r:?} gave {other:?}"),
        }
    }
}

#[test]
fn publish_timeout_is_done() {
    assert_eq!(
        classify_load_reply(&reply("Publish Timeout"), 9),
        Ok(LoadDone::PublishTimeout)
    );
}

#[test]
fn label_already_exists_depends_on_existing_job_status() {
    let mut r = reply("Label Already Exists");
    r.existing_job_status = Some("FINISHED".into());
    assert_eq!(classify_load_reply(&r, 5), Ok(LoadDone::AlreadyLoaded));
    r.existing_job_status = Some("RUNNING".into());
    assert!(matches!(
        classify_load_reply(&r, 5),
        Err(LoadError::LabelRunning(m)) if m.contains("RUNNING")
    ));
    r.existing_job_status = None;
    assert!(matches!(
        classify_load_reply(&r, 5),
        Err(LoadError::LabelRunning(_))
    ));
}

#[test]
fn fail_with_filtered_rows_is_a_rejection_naming_the_error_url() {
    let mut r = counted("Fail", 3, 2, 1);
    r.message = "too many filtered rows".into();
    r.error_url = Some("http://be:8040/api/_load_error_log?file=x".into());
    match classify_load_reply(&r, 3) {
        Err(LoadError::Rejected(m)) => {
            assert!(m.contains("1 row(s) filtered"), "{m}");
            assert!(m.contains("_load_error_log?file=x"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fail_messages_are_classified() {
    let cases = [
        ("[MEM_LIMIT_EXCEEDED] memory of process exceed limit", true),
        ("too many versions. tablet_id: 1", true),
        ("Reached timeout=600000ms", true),
        ("no available backend", true),
        ("Backend not found: be 10003 is not alive", true),
        ("Column count does not match", false),
        ("something nobody has seen before", true),
        ("Unknown table 't9'", false),
        ("Access denied; you need INSERT privilege", false),
        ("There is no 100-continue header", false),
        ("Database db1 does not exist", false),
    ];
    for (msg, transient) in cases {
        for st in ["Fail", "FAILED"] {
            let mut r = reply(st);
            r.message = msg.into();
            let got = classify_load_reply(&r, 1);
            match (&got, transient) {
                (Err(LoadError::Transient(m)), true) | (Err(LoadError::Definite(m)), false) => {
                    assert!(m.contains(msg), "{m}")
                }
                _ => panic!("{st} {msg:?} gave {got:?}"),
            }
        }
    }
}

#[test]
fn unexpected_status_is_unknown() {
    assert!(matches!(
        classify_load_reply(&reply("Weird"), 1),
        Err(LoadError::Unknown(_))
    ));
}

#[test]
fn txn_replies_are_classified_per_operation() {
    use TxnOp::*;
    for op in [Begin, Load, Prepare, Commit, Rollback] {
        assert_eq!(classify_txn_reply(op, &reply("OK")), Ok(()));
        assert!(matches!(
            classify_txn_reply(op, &reply("TXN_IN_PROCESSING")),
            Err(LoadError::Transient(_))
        ));
    }
    assert_eq!(
        classify_txn_reply(Commit, &reply("PUBLISH_TIMEOUT")),
        Ok(())
    );
    // TXN_NOT_EXISTS is its own answer for every op: the caller asks the label state. (A
    // rollback once counted it as success, hiding a transaction its restarted backend lost,
    // which then blocked the label until the FE timed it out.)
    for op in [Begin, Load, Prepare, Commit, Rollback] {
        assert!(matches!(
            classify_txn_reply(op, &reply("TXN_NOT_EXISTS")),
            Err(LoadError::TxnNotExists(_))
        ));
    }
    let mut r = reply("LABEL_ALREADY_EXISTS");
    r.existing_job_status = Some("RUNNING".into());
    assert!(matches!(
        classify_txn_reply(Begin, &r),
        Err(LoadError::LabelRunning(_))
    ));
    r.existing_job_status = Some("FINISHED".into());
    assert!(matches!(
        classify_txn_reply(Begin, &r),
        Err(LoadError::Definite(m)) if m.contains("already committed")
    ));
    let mut f = reply("FAILED");
    f.message = "commit rpc failed".into();
    assert!(matches!(
        classify_txn_reply(Commit, &f),
        Err(LoadError::Unknown(_))
    ));
    f.message = "Unknown table 'x'".into();
    assert!(matches!(
        classify_txn_reply(Begin, &f),
        Err(LoadError::Definite(_))
    ));
    let mut filtered = counted("FAILED", 2, 1, 1);
    filtered.error_url = Some("http://be/err".into());
    assert!(matches!(
        classify_txn_reply(Prepare, &filtered),
        Err(LoadError::Rejected(m)) if m.contains("http://be/err")
    ));
}

#[test]
fn only_transient_is_retryable() {
    assert!(LoadError::Transient("x".into()).is_retryable());
    assert!(!LoadError::Unknown("x".into()).is_retryable());
    assert!(!LoadError::LabelRunning("x".into()).is_retryable());
    assert!(!LoadError::Definite("x".into()).is_retryable());
}

#[test]
fn parses_be_and_fe_replies() {
    let r = TxnReply::parse(
        r#"{"TxnId": 1003, "Label": "l1", "Status": "Success", "Message": "OK",
        "NumberTotalRows": 10, "NumberLoadedRows": 9, "NumberFilteredRows": 1,
        "NumberUnselectedRows": 0, "ErrorURL": "http://be:8040/api/_load_error_log?file=a"}"#,
    )
    .expect("parse");
    assert_eq!(r.txn_id, Some(1003));
    assert_eq!(r.total_rows, Some(10));
    assert_eq!(r.loaded_rows, Some(9));
    assert_eq!(r.filtered_rows, Some(1));
    assert_eq!(
        r.error_url.as_deref(),
        Some("http://be:8040/api/_load_error_log?file=a")
    );
    let fe = TxnReply::parse(r#"{"status":"FAILED","msg":"no backend"}"#).expect("fe");
    assert_eq!(fe.status, "FAILED");
    assert_eq!(fe.message, "no backend");
    assert!(TxnReply::parse("<html>oops</html>").is_none());
    assert!(TxnReply::parse(r#"{"x":1}"#).is_none());
}

#[test]
fn labels_and_endpoints() {
    assert!(valid_label("job_t1_000123-a"));
    assert!(!valid_label(""));
    assert!(!valid_label("a.b"));
    assert!(!valid_label("名前"));
    assert!(!valid_label(&"a".repeat(129)));
    assert!(valid_label(&"a".repeat(128)));
    // The endpoint parser is config::target's (one parser for config, apply and sync).
    assert_eq!(
        crate::config::target::parse_load_url("http://fe1:8030/"),
        Ok(vec![HttpEndpoint {
            host: "fe1".into(),
            port: 8030
        }])
    );
    assert!(crate::config::target::parse_load_url("fe1").is_err());
    assert!(crate::config::target::parse_load_url("fe1:x").is_err());
    let l = crate::config::target::parse_load_url("a:1;b:2").expect("list");
    assert_eq!(l.len(), 2);
    assert_eq!(l[1].to_string(), "b:2");
    assert!(LabelState::parse("visible").is_some_and(|s| s.is_committed()));
    assert_eq!(LabelState::parse("PREPARE"), Some(LabelState::Prepare));
    assert_eq!(LabelState::parse("nope"), None);
}

// ---------------------------------------------------------------- HTTP flows (fake server)

const PW: &str = "s3cret-pw";

fn client(port: u16) -> StreamLoadClient {
    StreamLoadClient::new(
        HttpEndpoint {
            host: "127.0.0.1".into(),
            port,
        },
        "loader".into(),
        Secret::new(PW),
        Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(20),
        },
    )
    .with_retry_policy(RetryPolicy::immediate(4))
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("loader:{PW}"))
    )
}

const OK3: &str = r#"{"TxnId":7,"Status":"Success","Message":"OK","NumberTotalRows":3,"NumberLoadedRows":3,"NumberFilteredRows":0,"NumberUnselectedRows":0}"#;

fn json_opts() -> LoadOptions {
    LoadOptions {
        columns: Some("id,name,__op".into()),
        extra_headers: vec![
            ("label".into(), "evil".into()),
            ("strict_mode".into(), "false".into()),
            ("timezone".into(), "UTC".into()),
        ],
        ..LoadOptions::default()
    }
}

#[test]
fn probe_then_body_to_the_be_with_all_headers_and_auth() {
    let be = FakeServer::start(|_, _| json(OK3));
    let be_url = be.url("/api/db1/t1/_stream_load");
    let fe = FakeServer::start_fe(move |_, _| redirect(&be_url));
    let body = br#"[{"id":1},{"id":2},{"id":3}]"#;
    let got = client(fe.port).load("db1", "t1", "lab_1", &json_opts(), body, 3);
    assert_eq!(got, Ok(LoadDone::Loaded { rows: 3 }));

    let fr = fe.reqs();
    assert_eq!(
        fr.len(),
        1,
        "one request to the FE, answered before the body"
    );
    assert_eq!(fr[0].method, "PUT");
    assert_eq!(fr[0].path, "/api/db1/t1/_stream_load");
    assert!(fr[0].body.is_empty(), "the FE never receives the body");
    let br = be.reqs();
    assert_eq!(br.len(), 1, "one body PUT to the BE");
    assert_eq!(br[0].body, body.to_vec());
    for r in [&fr[0], &br[0]] {
        assert_eq!(r.header("authorization"), Some(basic().as_str()));
        assert_eq!(r.header("expect"), Some("100-continue"));
        assert_eq!(r.header("label"), Some("lab_1"));
        assert_eq!(r.header("format"), Some("json"));
        assert_eq!(r.header("strip_outer_array"), Some("true"));
        assert_eq!(r.header("strict_mode"), Some("true"));
        assert_eq!(r.header("max_filter_ratio"), Some("0"));
        assert_eq!(r.header("columns"), Some("id,name,__op"));
        assert_eq!(r.header("timeout"), Some("600"));
        assert_eq!(r.header("timezone"), Some("UTC"));
    }
    assert_eq!(
        br[0].header("content-length"),
        Some(body.len().to_string().as_str())
    );
}

#[test]
fn csv_separators_pass_through_verbatim_and_names_are_path_encoded() {
    let be = FakeServer::start(|_, _| json(OK3));
    let be_url = be.url("/x");
    let fe = FakeServer::start_fe(move |_, _| redirect(&be_url));
    let opts = LoadOptions {
        format: SinkFormat::Csv {
            column_separator: Separator::parse("\\x01").unwrap(),
            row_delimiter: Separator::parse("\\x02").unwrap(),
        },
        ..LoadOptions::default()
    };
    let got = client(fe.port).load("db 1", "t/é", "l2", &opts, b"1\x012\x02", 3);
    assert_eq!(got, Ok(LoadDone::Loaded { rows: 3 }));
    let fr = fe.reqs();
    assert_eq!(fr[0].path, "/api/db%201/t%2F%C3%A9/_stream_load");
    let br = be.reqs();
    assert_eq!(br[0].header("format"), Some("csv"));
    assert_eq!(br[0].header("column_separator"), Some("\\x01"));
    assert_eq!(br[0].header("row_delimiter"), Some("\\x02"));
    assert_eq!(br[0].header("strip_outer_array"), None);
}

#[test]
fn follows_fe_to_leader_to_be_and_caps_redirects() {
    let be = FakeServer::start(|_, _| json(OK3));
    let be_url = be.url("/api/d/t/_stream_load");
    let leader = FakeServer::start(move |_, _| redirect(&be_url));
    let leader_url = leader.url("/api/d/t/_stream_load");
    let fe = FakeServer::start_fe(move |_, _| redirect(&leader_url));
    let got = client(fe.port).load("d", "t", "l3", &LoadOptions::default(), b"[1]", 3);
    assert_eq!(got, Ok(LoadDone::Loaded { rows: 3 }));
    assert_eq!(be.reqs()[0].body, b"[1]".to_vec());
    assert_eq!(
        leader.reqs()[0].header("authorization"),
        Some(basic().as_str())
    );

    // A redirect loop stops after MAX_REDIRECTS and is not reported as loaded.
    let looping = FakeServer::start(|_, _| redirect("/api/d/t/_stream_load"));
    let got = client(looping.port).load("d", "t", "l4", &LoadOptions::default(), b"[1]", 1);
    assert!(matches!(got, Err(LoadError::Transient(m)) if m.contains("redirects")));
    assert_eq!(looping.reqs().len(), MAX_REDIRECTS + 1);
}

#[test]
fn unauthorized_is_definite_and_never_shows_the_password() {
    let fe = FakeServer::start_fe(|_, _| status(401, "denied"));
    let got = client(fe.port).load("d", "t", "l5", &LoadOptions::default(), b"[1]", 1);
    match got {
        Err(LoadError::Definite(m)) => {
            assert!(m.contains("authentication failed"), "{m}");
            assert!(!m.contains(PW), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let dbg = format!("{:?}", client(fe.port));
    assert!(!dbg.contains(PW), "{dbg}");
}

#[test]
fn filtered_rows_fetch_the_error_log() {
    let be = FakeServer::start(move |req, _| {
        if req.path.starts_with("/api/_load_error_log") {
            status(
                200,
                "Error: Value count does not match column count. Row: 1,2,3\n\
                 Error: Invalid value 'abc' for column id. Row: abc,x\n",
            )
        } else {
            Action::Reply {
                status: 200,
                headers: vec![],
                body: String::new(),
            }
        }
    });
    let err_url = be.url("/api/_load_error_log?file=e1");
    let be2 = FakeServer::start(move |_, _| {
        json(&format!(
            r#"{{"Status":"Fail","Message":"too many filtered rows","NumberTotalRows":2,"NumberLoadedRows":0,"NumberFilteredRows":2,"NumberUnselectedRows":0,"ErrorURL":"{err_url}"}}"#
        ))
    });
    let be2_url = be2.url("/api/d/t/_stream_load");
    let fe = FakeServer::start_fe(move |_, _| redirect(&be2_url));
    let got = client(fe.port).load("d", "t", "l6", &LoadOptions::default(), b"[1,2]", 2);
    match got {
        Err(LoadError::Rejected(m)) => {
            assert!(m.contains("2 row(s) filtered"), "{m}");
            assert!(m.contains("Invalid value 'abc' for column id"), "{m}");
            assert!(m.contains("_load_error_log?file=e1"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn outcome_after_the_body_is_unknown_but_before_it_transient() {
    // BE drops the connection after reading the body: unknown.
    let be = FakeServer::start(|_, _| Action::Drop);
    let be_url = be.url("/api/d/t/_stream_load");
    let fe = FakeServer::start_fe(move |_, _| redirect(&be_url));
    let got = client(fe.port).load("d", "t", "l7", &LoadOptions::default(), b"[1]", 1);
    assert!(matches!(got, Err(LoadError::Unknown(_))), "{got:?}");

    // BE answers 500 / non-JSON: unknown.
    for action in [500u16, 200] {
        let be = FakeServer::start(move |_, _| status(action, "<html>boom</html>"));
        let be_url = be.url("/api/d/t/_stream_load");
        let fe = FakeServer::start_fe(move |_, _| redirect(&be_url));
        let got = client(fe.port).load("d", "t", "l8", &LoadOptions::default(), b"[1]", 1);
        assert!(
            matches!(got, Err(LoadError::Unknown(_))),
            "{action}: {got:?}"
        );
    }

    // FE answers the probe with 503 or drops it: nothing was sent, transient.
    let fe = FakeServer::start_fe(|_, _| status(503, "busy"));
    let got = client(fe.port).load("d", "t", "l9", &LoadOptions::default(), b"[1]", 1);
    assert!(matches!(got, Err(LoadError::Transient(_))), "{got:?}");
    let fe = FakeServer::start_fe(|_, _| Action::Drop);
    let got = client(fe.port).load("d", "t", "l9", &LoadOptions::default(), b"[1]", 1);
    assert!(matches!(got, Err(LoadError::Transient(_))), "{got:?}");

    // Nobody listening: transient.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let got = client(port).load("d", "t", "l10", &LoadOptions::default(), b"[1]", 1);
    assert!(matches!(got, Err(LoadError::Transient(_))), "{got:?}");
}

#[test]
fn fe_failure_to_the_probe_is_classified_and_be_address_is_detected() {
    let fe =
        FakeServer::start(|_, _| json(r#"{"Status":"FAILED","Message":"Unknown table 'nope'"}"#));
    let got = client(fe.port).load("d", "nope", "l11", &LoadOptions::default(), b"[1]", 1);
    assert!(matches!(got, Err(LoadError::Definite(m)) if m.contains("Unknown table")));

    let be_as_fe = FakeServer::start(|_, _| json(OK3));
    let got = client(be_as_fe.port).load("d", "t", "l12", &LoadOptions::default(), b"[1]", 3);
    assert!(matches!(got, Err(LoadError::Definite(m)) if m.contains("BE address")));
}

#[test]
fn invalid_label_and_empty_body_are_refused_before_sending() {
    let fe = FakeServer::start_fe(|_, _| json(OK3));
    let c = client(fe.port);
    assert!(matches!(
        c.load("d", "t", "bad label", &LoadOptions::default(), b"[1]", 1),
        Err(LoadError::Definite(_))
    ));
    assert!(matches!(
        c.load("d", "t", "ok", &LoadOptions::default(), b"", 0),
        Err(LoadError::Definite(_))
    ));
    assert!(fe.reqs().is_empty());
}

#[test]
fn label_state_is_parsed_and_redirect_followed() {
    let leader = FakeServer::start(|req, _| {
        assert_eq!(req.method, "GET");
        json(r#"{"status":"OK","code":"0","msg":"Success","message":"OK","state":"VISIBLE"}"#)
    });
    let leader_base = leader.url("");
    let fe = FakeServer::start_fe(move |req, _| redirect(&format!("{leader_base}{}", req.path)));
    let got = client(fe.port).label_state("db1", "lab_9");
    assert_eq!(got, Ok(LabelState::Visible));
    assert_eq!(leader.reqs()[0].path, "/api/db1/get_load_state?label=lab_9");
    assert_eq!(
        leader.reqs()[0].header("authorization"),
        Some(basic().as_str())
    );
}

#[test]
fn load_resolving_asks_the_label_state_after_an_unknown_outcome() {
    // First load: the BE drops the connection (unknown). label_state says VISIBLE → done, and
    // the body is never sent a second time.
    let be = FakeServer::start(|_, _| Action::Drop);
    let be_url = be.url("/api/d/t/_stream_load");
    let fe = FakeServer::start_fe(move |req, _| {
        if req.path.contains("get_load_state") {
            json(r#"{"status":"OK","state":"VISIBLE"}"#)
        } else {
            redirect(&be_url)
        }
    });
    let got = client(fe.port).load_resolving("d", "t", "l13", &LoadOptions::default(), b"[1]", 1);
    assert_eq!(got, Ok(LoadDone::AlreadyLoaded));
    assert_eq!(be.reqs().len(), 1);

    // ABORTED → re-send with the same label, which then succeeds.
    let be = FakeServer::start(|_, i| if i == 0 { Action::Drop } else { json(OK3) });
    let be_url = be.url("/api/d/t/_stream_load");
    let fe = FakeServer::start_fe(move |req, _| {
        if req.path.contains("get_load_state") {
            json(r#"{"status":"OK","state":"ABORTED"}"#)
        } else {
            redirect(&be_url)
        }
    });
    let got = client(fe.port).load_resolving("d", "t", "l14", &LoadOptions::default(), b"[1]", 3);
    assert_eq!(got, Ok(LoadDone::Loaded { rows: 3 }));
    let br = be.reqs();
    assert_eq!(br.len(), 2);
    assert!(br.iter().all(|r| r.header("label") == Some("l14")));
}

#[test]
fn transaction_ops_post_with_headers_and_follow_307_or_direct_200() {
    let be = FakeServer::start(|req, _| {
        if req.path.ends_with("/prepare") {
            json(
                r#"{"Status":"OK","TxnId":5,"NumberTotalRows":2,"NumberLoadedRows":2,"NumberFilteredRows":0,"NumberUnselectedRows":0}"#,
            )
        } else {
            json(r#"{"Status":"OK","TxnId":5,"Label":"tx1"}"#)
        }
    });
    let be_base = be.url("");
    let fe = FakeServer::start_fe(move |req, _| {
        if req.path.ends_with("/commit") {
            json(r#"{"Status":"OK","TxnId":5,"Message":"Transaction already commited"}"#)
        } else {
            redirect(&format!("{be_base}{}", req.path))
        }
    });
    let c = client(fe.port);
    let b = c.begin("d", "t", "tx1", 300).expect("begin");
    assert_eq!(b.txn_id, Some(5));
    c.load_in_txn("d", "t", "tx1", &LoadOptions::default(), b"[1,2]")
        .expect("load");
    let p = c.prepare("d", "t", "tx1").expect("prepare");
    assert_eq!(verify_counts(&p, 2), Ok(()));
    assert!(verify_counts(&p, 3).is_err());
    c.commit_resolving("d", "t", "tx1").expect("commit");
    c.rollback("d", "t", "tx1").expect("rollback");

    let br = be.reqs();
    let paths: Vec<&str> = br.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/transaction/begin",
            "/api/transaction/load",
            "/api/transaction/prepare",
            "/api/transaction/rollback"
        ]
    );
    assert_eq!(br[0].method, "POST");
    assert_eq!(br[0].header("timeout"), Some("300"));
    assert_eq!(br[1].method, "PUT");
    assert_eq!(br[1].body, b"[1,2]".to_vec());
    assert_eq!(br[1].header("format"), Some("json"));
    for r in &br {
        assert_eq!(r.header("db"), Some("d"));
        assert_eq!(r.header("table"), Some("t"));
        assert_eq!(r.header("label"), Some("tx1"));
        assert_eq!(r.header("authorization"), Some(basic().as_str()));
        assert_eq!(r.header("expect"), Some("100-continue"));
    }
    // The FE redirected the load before its body was sent; it answered the commit directly.
    let fr = fe.reqs();
    let load_probe = fr
        .iter()
        .find(|r| r.path == "/api/transaction/load")
        .expect("probe");
    assert!(load_probe.body.is_empty());
    assert!(fr.iter().any(|r| r.path == "/api/transaction/commit"));
}

#[test]
fn commit_resolving_resolves_unknown_outcomes_with_the_label_state() {
    // commit is dropped, label state COMMITTED → Ok, one commit only.
    let fe = FakeServer::start_fe(|req, _| {
        if req.path.contains("get_load_state") {
            json(r#"{"status":"OK","state":"COMMITTED"}"#)
        } else {
            Action::Drop
        }
    });
    assert_eq!(client(fe.port).commit_resolving("d", "t", "c1"), Ok(()));
    let commits = fe
        .reqs()
        .iter()
        .filter(|r| r.path.ends_with("/commit"))
        .count();
    assert_eq!(commits, 1);

    // first commit dropped, state PREPARED → commit again → OK.
    let fe = FakeServer::start_fe(|req, i| {
        if req.path.contains("get_load_state") {
            json(r#"{"status":"OK","state":"PREPARED"}"#)
        } else if i == 0 {
            Action::Drop
        } else {
            json(r#"{"Status":"OK"}"#)
        }
    });
    assert_eq!(client(fe.port).commit_resolving("d", "t", "c2"), Ok(()));

    // ABORTED → Definite.
    let fe = FakeServer::start_fe(|req, _| {
        if req.path.contains("get_load_state") {
            json(r#"{"status":"OK","state":"ABORTED"}"#)
        } else {
            status(500, "oops")
        }
    });
    let got = client(fe.port).commit_resolving("d", "t", "c3");
    assert!(matches!(got, Err(LoadError::Definite(m)) if m.contains("NOT loaded")));
}
