use super::*;
use std::path::Path;

fn env(name: &str) -> Option<String> {
    match name {
        "SR_PW" => Some("from-env".to_string()),
        "DB_HOST" => Some("10.0.0.5".to_string()),
        _ => None,
    }
}

fn ok(text: &str) -> Config {
    ok_warn(text).0
}

fn ok_warn(text: &str) -> (Config, Vec<String>) {
    match parse_with_env(text, Path::new("/etc/smt/config.ini"), &env) {
        Ok(c) => c,
        Err(e) => panic!("expected to parse, got:\n{e}"),
    }
}

fn err(text: &str) -> ConfigError {
    match parse_with_env(text, Path::new("config.ini"), &env) {
        Ok((c, _)) => panic!("expected an error, parsed: {c:?}"),
        Err(e) => e,
    }
}

const BASE: &str = "[db]\nhost = h\nuser = u\n[other]\nbe_num = 3\n";

fn with_rule(rule_body: &str) -> String {
    format!("{BASE}[table-rule.1]\ndatabase = ^db$\ntable = .*\n{rule_body}")
}

#[test]
fn minimal_config_and_defaults() {
    let (c, w) = ok_warn(&with_rule(""));
    assert_eq!(c.source.kind, SourceKind::Mysql);
    assert_eq!(
        (
            c.source.host.as_str(),
            c.source.port,
            c.source.user.as_str()
        ),
        ("h", 3306, "u")
    );
    assert_eq!(c.source.password.expose(), "");
    assert_eq!(c.source.time_zone, None);
    assert_eq!(c.other.be_num, 3);
    assert!(c.other.use_decimal_v3);
    assert_eq!(c.other.output_dir, PathBuf::from("./result"));
    assert!(
        !c.other.tinyint1_as_boolean && !c.other.unknown_type_as_string && !c.other.auto_buckets
    );
    assert!(c.other.shard_origin_columns);
    assert_eq!(c.other.starrocks_version, (3, 3));
    assert_eq!(c.rules.len(), 1);
    assert_eq!(c.rules[0].name, "1");
    assert_eq!(c.rules[0].line, 6);
    assert!(c.rules[0].matches("db", "anything"));
    assert!(!c.rules[0].matches("db2", "t"));
    assert!(w.is_empty(), "{:?}", w);
}

#[test]
fn syntax_error_has_line() {
    let e = err("[db]\nhost = h\nthis line has no separator\n");
    assert_eq!(e.problems[0].line, Some(3));
    assert!(
        e.to_string()
            .starts_with("config.ini:3: expected `key = value`"),
        "{e}"
    );
    let e = err("[db\nhost = h\n");
    assert!(
        e.to_string()
            .contains("config.ini:1: section header without a closing ']'"),
        "{e}"
    );
    let e = err("host = h\n[db]\n");
    assert!(
        e.to_string()
            .contains("config.ini:1: key \"host\" outside any section"),
        "{e}"
    );
    let e = err("[db]\n = h\n");
    assert!(e.to_string().contains("config.ini:2: missing key"), "{e}");
}

#[test]
fn trailing_backslash_is_rejected_but_quoted_is_fine() {
    let e = err(&with_rule("partitions = a\\\n"));
    assert!(
        e.to_string()
            .contains("config.ini:9: the value of \"partitions\" ends with a backslash"),
        "{e}"
    );
    let c = ok(&with_rule("partitions = \"a\\\"\n"));
    assert_eq!(c.rules[0].partitions.as_deref(), Some("a\\"));
}

#[test]
fn missing_required_keys() {
    let e = err("[db]\nport = 3306\n[other]\nbe_num=1\n[table-rule.x]\ntable = t\n");
    let s = e.to_string();
    assert!(
        s.contains("config.ini:1 [db] host: missing (required unless type = dump)"),
        "{s}"
    );
    assert!(s.contains("config.ini:1 [db] user: missing"), "{s}");
    assert!(
        s.contains(
            "config.ini:5 [table-rule.x] database: missing: every rule needs database = <regex>"
        ),
        "{s}"
    );
    assert_eq!(e.problems.len(), 3, "{s}");
}

#[test]
fn missing_sections() {
    let s = err("[other]\nbe_num = 1\n").to_string();
    assert!(s.contains("config.ini: missing [db] section"), "{s}");
    assert!(s.contains("config.ini: no [table-rule.N] section"), "{s}");
}

#[test]
fn bad_regex_names_rule_key_line_and_reason() {
    let e = err(&format!(
        "{BASE}[table-rule.shards]\ndatabase = ^edu_db_(\\d+$\ntable = .*\n"
    ));
    let s = e.to_string();
    assert!(
        s.contains("config.ini:7 [table-rule.shards] database: invalid regex \"^edu_db_(\\\\d+$\": unclosed group"),
        "{s}"
    );
    assert_eq!(e.problems.len(), 1, "{s}");
    assert!(!s.contains('\n'), "one line per problem: {s}");
}

#[test]
fn unknown_key_with_line_and_suggestion() {
    let e = err(&format!("{BASE}[table-rule.1]\ndatabase = a\ntabel = b\n"));
    let s = e.to_string();
    assert!(
        s.contains("config.ini:8 [table-rule.1] tabel: unknown key (did you mean \"table\"?)"),
        "{s}"
    );
    let s = err(&with_rule("flink.starock.sink.max-retries = 3\n")).to_string();
    assert!(
        s.contains("unknown key (did you mean \"flink.starrocks.sink.max-retries\"?)"),
        "{s}"
    );
    let s = err("[db]\nhots = h\nuser = u\n[table-rule.1]\ndatabase=a\ntable=b\n").to_string();
    assert!(
        s.contains("config.ini:2 [db] hots: unknown key (did you mean \"host\"?)"),
        "{s}"
    );
    let s = err(&format!("{BASE}[other]\n")).to_string();
    assert!(s.contains("duplicate section"), "{s}");
    let s = err(&with_rule("[tabel-rule.2]\ndatabase = a\n")).to_string();
    assert!(
        s.contains("config.ini:9 [tabel-rule.2]: unknown section (did you mean [table-rule.2]?)"),
        "{s}"
    );
    let s = err(&with_rule("[starrocks]\nhost = x\n")).to_string();
    assert!(
        s.contains("[starrocks]: unknown section; smt knows [db], [other] and [table-rule.N]"),
        "{s}"
    );
}

#[test]
fn duplicate_section_names_both_lines() {
    let text = format!(
        "{BASE}[table-rule.1]\ndatabase = a\ntable = b\n[table-rule.1]\ndatabase = c\ntable = d\n"
    );
    let e = err(&text);
    assert_eq!(e.problems.len(), 1, "{e}");
    assert_eq!(e.to_string(), "config.ini:9 [table-rule.1]: duplicate section (first at line 6); merge the two or rename one");
}

#[test]
fn duplicate_key_names_both_lines() {
    let s = err(&with_rule("bucket_num = 2\nbucket_num = 3\n")).to_string();
    assert_eq!(
        s,
        "config.ini:10 [table-rule.1] bucket_num: set twice (first at line 9); keep one"
    );
}

#[test]
fn bad_bool_and_int() {
    let text = "[db]\nhost=h\nuser=u\nport=70000\n[other]\nbe_num=0\nuse_decimal_v3=maybe\nstarrocks_version=three\n\
                [table-rule.1]\ndatabase=a\ntable=b\nbucket_num=-1\nshard_origin_columns=yep\n";
    let e = err(text);
    let s = e.to_string();
    assert!(
        s.contains("config.ini:4 [db] port: \"70000\" is not a port number (1..65535)"),
        "{s}"
    );
    assert!(
        s.contains("config.ini:6 [other] be_num: \"0\" is not a whole number ≥ 1"),
        "{s}"
    );
    assert!(
        s.contains("config.ini:7 [other] use_decimal_v3: \"maybe\" is not a boolean"),
        "{s}"
    );
    assert!(
        s.contains("config.ini:8 [other] starrocks_version: \"three\" is not a version"),
        "{s}"
    );
    assert!(
        s.contains("config.ini:12 [table-rule.1] bucket_num: \"-1\" is not a whole number"),
        "{s}"
    );
    assert!(
        s.contains("config.ini:13 [table-rule.1] shard_origin_columns: \"yep\" is not a boolean"),
        "{s}"
    );
    assert_eq!(e.problems.len(), 6, "{s}");
    // sorted by line
    let lines: Vec<_> = e.problems.iter().map(|p| p.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn booleans_accept_the_documented_spellings() {
    for (v, want) in [
        ("true", true),
        ("YES", true),
        ("1", true),
        ("False", false),
        ("no", false),
        ("0", false),
    ] {
        let c = ok(&format!(
            "{BASE}tinyint1_as_boolean = {v}\n[table-rule.1]\ndatabase=a\ntable=b\n"
        ));
        assert_eq!(c.other.tinyint1_as_boolean, want, "{v}");
    }
}

#[test]
fn env_expansion_and_unset_variable() {
    let c = ok(
        "[db]\nhost = ${DB_HOST}\nuser = u\npassword = p$$w${SR_PW}\n[other]\nbe_num=1\n\
         [table-rule.1]\ndatabase=a\ntable=b\nflink.starrocks.password = ${NOPE:-dflt}\n",
    );
    assert_eq!(c.source.host, "10.0.0.5");
    assert_eq!(c.source.password.expose(), "p$$wfrom-env");
    assert_eq!(c.rules[0].starrocks_option("password"), Some("dflt"));
    let s = err(&with_rule("flink.starrocks.password = ${SR_MISSING}\n")).to_string();
    assert_eq!(
        s,
        "config.ini:9 [table-rule.1] flink.starrocks.password: environment variable SR_MISSING is not set: \
         export it, or write ${SR_MISSING:-default}"
    );
}

#[test]
fn special_characters_in_values_are_preserved() {
    let c = ok(
        "[db]\nhost=h\nuser=u\npassword = p@ss;word#1\\x\n[other]\nbe_num=1\n\
         [table-rule.1]\ndatabase = ^db_\\d+$\ntable = ^t;#$\n\
         flink.starrocks.sink.properties.column_separator=\\x01\n\
         flink.starrocks.sink.properties.row_delimiter = \\x02\n",
    );
    assert_eq!(c.source.password.expose(), "p@ss;word#1\\x");
    assert_eq!(c.rules[0].database.as_str(), "^db_\\d+$");
    assert!(c.rules[0].matches("db_12", "t;#"));
    assert_eq!(
        c.rules[0].starrocks_option("sink.properties.column_separator"),
        Some("\\x01")
    );
    assert_eq!(
        c.rules[0].starrocks_option("sink.properties.row_delimiter"),
        Some("\\x02")
    );
}

#[test]
fn option_order_is_file_order_and_prefixes_are_stripped() {
    let c = ok(&with_rule(
        "flink.starrocks.z = 1\nproperties.b = x\nflink.starrocks.a = 2\nflink.cdc.server-id = 5400\n\
         properties.a = y\nflink.starrocks.m = 3\nflink.cdc.a = b\n",
    ));
    let r = &c.rules[0];
    let keys: Vec<&str> = r.flink_starrocks.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["z", "a", "m"]);
    assert_eq!(
        r.flink_cdc,
        vec![
            ("server-id".to_string(), "5400".to_string()),
            ("a".to_string(), "b".to_string())
        ]
    );
    assert_eq!(
        r.properties,
        vec![
            ("b".to_string(), "x".to_string()),
            ("a".to_string(), "y".to_string())
        ]
    );
}

#[test]
fn rule_order_is_file_order() {
    let c = ok(&format!(
        "{BASE}[table-rule.b]\ndatabase=a\ntable=b\n[table-rule.a]\ndatabase=a\ntable=b\n[table-rule.0]\ndatabase=a\ntable=b\n"
    ));
    let names: Vec<&str> = c.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["b", "a", "0"]);
}

#[test]
fn debug_never_shows_passwords() {
    let c = ok(
        "[db]\nhost=h\nuser=u\npassword = hunter2-db\n[other]\nbe_num=1\n[table-rule.1]\ndatabase=a\ntable=b\n\
         flink.starrocks.password = hunter2-sr\nflink.cdc.password = hunter2-cdc\nflink.starrocks.username = bob\n"
    );
    let dbg = format!("{c:?} {:#?}", c);
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(dbg.contains("bob"), "other options still shown: {dbg}");
    let t = &c.rules[0].starrocks;
    assert!(!format!("{t:?}").contains("hunter2"));
    assert_eq!(t.password.as_ref().map(Secret::expose), Some("hunter2-sr"));
}

#[test]
fn starrocks_target_accessor() {
    let c = ok(&with_rule(
        "flink.starrocks.jdbc-url = jdbc:mysql://fe1:9030,fe2:9030/mydb?x=1\nflink.starrocks.load-url = fe1:8030;fe2:8030\n\
         flink.starrocks.username = root\n",
    ));
    let t = &c.rules[0].starrocks;
    assert_eq!(t.fe[0], HostPort::new("fe1", 9030));
    assert_eq!(t.fe[1], HostPort::new("fe2", 9030));
    assert_eq!(t.jdbc_database.as_deref(), Some("mydb"));
    assert_eq!(
        t.http,
        vec![HostPort::new("fe1", 8030), HostPort::new("fe2", 8030)]
    );
    assert_eq!(t.user.as_deref(), Some("root"));
    assert!(t.password.is_none());
    let bare = ok(&with_rule("")).rules[0].starrocks.clone();
    assert_eq!(bare, StarRocksEndpoints::default());
    let s = err(&with_rule("flink.starrocks.jdbc-url = http://fe:9030\n")).to_string();
    assert!(s.contains("config.ini:9 [table-rule.1] flink.starrocks.jdbc-url: \"http://fe:9030\" is not a jdbc:mysql:// URL"), "{s}");
}

#[test]
fn generated_sink_options_are_rejected() {
    let s = err(&with_rule("flink.starrocks.table-name = x\n")).to_string();
    assert!(
        s.contains("flink.starrocks.table-name: smt generates this option itself"),
        "{s}"
    );
}

#[test]
fn dump_source_resolves_against_config_dir() {
    let c = ok("[db]\ndump_file = schema/dump.sql\n[other]\nbe_num=1\n[table-rule.1]\ndatabase=a\ntable=b\n");
    assert_eq!(
        c.source.kind,
        SourceKind::Dump(PathBuf::from("/etc/smt/schema/dump.sql"))
    );
    let c = ok("[db]\ntype = DUMP\ndump_file = /abs/d.sql\n[other]\nbe_num=1\n[table-rule.1]\ndatabase=a\ntable=b\n");
    assert_eq!(c.source.kind, SourceKind::Dump(PathBuf::from("/abs/d.sql")));
    let s = err("[db]\ntype = dump\n[table-rule.1]\ndatabase=a\ntable=b\n").to_string();
    assert!(
        s.contains("config.ini:2 [db] type: type = dump needs dump_file"),
        "{s}"
    );
    let s = err("[db]\nhost=h\nuser=u\ntype = mysql\ndump_file = d.sql\n[table-rule.1]\ndatabase=a\ntable=b\n").to_string();
    assert!(
        s.contains("type = mysql contradicts dump_file (line 5)"),
        "{s}"
    );
}

#[test]
fn source_types() {
    for (t, want) in [
        ("mysql", SourceKind::Mysql),
        ("MariaDB", SourceKind::Mysql),
        ("tidb", SourceKind::Tidb),
    ] {
        let c = ok(&format!("[db]\nhost=h\nuser=u\ntype={t}\n[other]\nbe_num=1\n[table-rule.1]\ndatabase=a\ntable=b\n"));
        assert_eq!(c.source.kind, want);
    }
    let s =
        err("[db]\nhost=h\nuser=u\ntype=pgsql\n[table-rule.1]\ndatabase=a\ntable=b\n").to_string();
    assert!(
        s.contains("type = pgsql is an SMT source smt does not support"),
        "{s}"
    );
    let s =
        err("[db]\nhost=h\nuser=u\ntype=mysq\n[table-rule.1]\ndatabase=a\ntable=b\n").to_string();
    assert!(
        s.contains("unknown type \"mysq\" (did you mean \"mysql\"?)"),
        "{s}"
    );
}

#[test]
fn time_zone_values() {
    for tz in [
        "+08:00",
        "-05:30",
        "UTC",
        "SYSTEM",
        "Asia/Shanghai",
        "America/Argentina/Buenos_Aires",
    ] {
        let c = ok(&format!("[db]\nhost=h\nuser=u\ntime_zone = {tz}\n[other]\nbe_num=1\n[table-rule.1]\ndatabase=a\ntable=b\n"));
        assert_eq!(c.source.time_zone.as_deref(), Some(tz));
    }
    let s = err("[db]\nhost=h\nuser=u\ntime_zone = +25:00\n[table-rule.1]\ndatabase=a\ntable=b\n")
        .to_string();
    assert!(
        s.contains("config.ini:4 [db] time_zone: \"+25:00\" is not a time zone"),
        "{s}"
    );
}

#[test]
fn rule_options_are_typed() {
    let (c, w) = ok_warn(&with_rule(
        "bucket_num = 16\ndistributed_by = id, `tenant_id` \nduplicate_keys = a,b\npartition_key = created_at\n\
         partitions = START (\"2021-01-02\") END (\"2021-01-04\") EVERY (INTERVAL 1 day)\n\
         target_database = tgt\ntarget_table = merged\nshard_origin_columns = false\nschema = ^.*$\n\
         external.properties.x = y\n",
    ));
    let r = &c.rules[0];
    assert_eq!(r.bucket_num, Some(16));
    assert_eq!(
        r.distributed_by,
        Some(vec!["id".to_string(), "tenant_id".to_string()])
    );
    assert_eq!(
        r.duplicate_keys,
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(r.partition_key.as_deref(), Some("created_at"));
    assert_eq!(
        r.partitions.as_deref(),
        Some("START (\"2021-01-02\") END (\"2021-01-04\") EVERY (INTERVAL 1 day)")
    );
    assert_eq!(
        (r.target_database.as_deref(), r.target_table.as_deref()),
        (Some("tgt"), Some("merged"))
    );
    assert_eq!(r.shard_origin_columns, Some(false));
    assert_eq!(w.len(), 1, "{:?}", w);
    assert!(w[0].contains("external.properties.x: ignored"), "{:?}", w);
    let s = err(&with_rule("distributed_by = a,,b\n")).to_string();
    assert!(s.contains("distributed_by: empty column name"), "{s}");
}

#[test]
fn other_section_options() {
    let c = ok(
        "[db]\nhost=h\nuser=u\n[other]\nbe_num = 5\nuse_decimal_v3 = false\noutput_dir =\n\
         unknown_type_as_string = yes\nshard_origin_columns = no\nauto_buckets = 1\nstarrocks_version = 3.1.4\n\
         [table-rule.1]\ndatabase=a\ntable=b\n"
    );
    assert_eq!(c.other.be_num, 5);
    assert!(
        !c.other.use_decimal_v3 && c.other.unknown_type_as_string && !c.other.shard_origin_columns
    );
    assert!(c.other.auto_buckets);
    assert_eq!(c.other.output_dir, PathBuf::from("./result"));
    assert_eq!(c.other.starrocks_version, (3, 1));
}

#[test]
fn be_num_missing_warns_and_defaults() {
    let (c, w) = ok_warn(
        "[db]\nhost=h\nuser=u\n[other]\nuse_decimal_v3=true\n[table-rule.1]\ndatabase=a\ntable=b\n",
    );
    assert_eq!(c.other.be_num, 1);
    assert_eq!(w, vec!["/etc/smt/config.ini:4 [other] be_num: not set (SMT requires it): using 1; set it to your number of BEs".to_string()]);
}

#[test]
fn comments_quotes_crlf_bom_and_header_comments() {
    let text = "\u{feff}; top comment\r\n[db] # the source\r\n  # indented comment: with colon = and equals\r\n\
                host = 'h;x'\r\nuser: \"${SR_PW}\"\r\npassword = '${NOT_EXPANDED}'\r\n[table-rule.1]\r\ndatabase=a\r\ntable=b\r\n";
    let c = ok(text);
    assert_eq!(c.source.host, "h;x");
    assert_eq!(c.source.user, "from-env");
    assert_eq!(c.source.password.expose(), "${NOT_EXPANDED}");
}

#[test]
fn empty_regex_and_empty_rule_name() {
    let s = err(&format!("{BASE}[table-rule.1]\ndatabase =\ntable = t\n")).to_string();
    assert!(s.contains("database: empty regex"), "{s}");
    let s = err(&format!("{BASE}[table-rule.]\ndatabase = a\ntable = t\n")).to_string();
    assert!(s.contains("[table-rule.]: rule name missing"), "{s}");
}

#[test]
fn backslash_in_key_is_rejected_before_rust_ini_misreads_it() {
    // rust-ini treats `\=` in a key as an escaped '=', the line scan splits at the first '='.
    let s = err(&with_rule("properties.a\\=b = c\n")).to_string();
    assert!(s.contains("config.ini:9: backslash in key name"), "{s}");
}

#[test]
fn stray_carriage_return_is_a_syntax_error() {
    let s = err(&with_rule("partitions = a\rb = c\n")).to_string();
    assert!(s.contains("config.ini:9: stray carriage return"), "{s}");
}

#[test]
fn empty_urls_count_as_absent() {
    let c = ok(&with_rule(
        "flink.starrocks.jdbc-url =\nflink.starrocks.load-url =\nflink.starrocks.password =\n",
    ));
    let t = &c.rules[0].starrocks;
    assert!(t.fe.is_empty() && t.http.is_empty());
    assert_eq!(t.password.as_ref().map(Secret::expose), Some(""));
}

/// A URL that passes config validation is one apply and sync can use: the endpoint parser is
/// the same everywhere (once, config accepted `jdbc:mariadb://`, `https://` and a missing port,
/// which apply and the Stream Load client then refused with exit 2 at run time).
#[test]
fn endpoints_that_validate_are_endpoints_that_work() {
    for (opt, why) in [
        (
            "flink.starrocks.jdbc-url = jdbc:mariadb://fe:9030",
            "write jdbc:mysql://",
        ),
        ("flink.starrocks.jdbc-url = jdbc:mysql://fe", "no port"),
        (
            "flink.starrocks.load-url = https://fe:8030",
            "https is not supported",
        ),
        ("flink.starrocks.load-url = fe", "no port"),
    ] {
        let s = err(&with_rule(&format!("{opt}\n"))).to_string();
        assert!(s.contains("config.ini:9") && s.contains(why), "{opt}: {s}");
    }
    let c = ok(&with_rule(
        "flink.starrocks.jdbc-url = jdbc:mysql://fe:9030\nflink.starrocks.load-url = http://fe:8030/\n",
    ));
    let cluster = c.cluster();
    assert_eq!(cluster.fe.unwrap(), vec![HostPort::new("fe", 9030)]);
    assert_eq!(cluster.http.unwrap(), vec![HostPort::new("fe", 8030)]);
}

#[test]
fn sink_options_are_typed_at_load_with_their_line() {
    let s = err(&with_rule(
        "flink.starrocks.sink.buffer-flush.max-rows = many\nflink.starrocks.sink.properties.format = xml\n",
    ))
    .to_string();
    assert!(
        s.contains("config.ini:9 [table-rule.1] flink.starrocks.sink.buffer-flush.max-rows"),
        "{s}"
    );
    assert!(
        s.contains("config.ini:10 [table-rule.1] flink.starrocks.sink.properties.format"),
        "{s}"
    );
    let c = ok(&with_rule(
        "flink.starrocks.sink.properties.column_separator = \\x01\nflink.starrocks.sink.properties.row_delimiter = \\x02\n",
    ));
    assert_eq!(
        c.rules[0].sink.format_source,
        FormatSource::ImpliedBySeparators
    );
}

#[test]
fn duplicate_key_changes_policy_and_its_older_spelling() {
    let policy = |extra: &str| {
        ok(&format!(
            "{BASE}{extra}[table-rule.1]\ndatabase=a\ntable=b\n"
        ))
        .other
        .sync_duplicate_key_changes
    };
    assert_eq!(policy(""), DupChanges::Stop);
    assert_eq!(
        policy("sync_duplicate_key_changes = EXACT\n"),
        DupChanges::Exact
    );
    assert_eq!(
        policy("sync_duplicate_key_changes = skip\n"),
        DupChanges::Skip
    );
    assert_eq!(
        policy("sync_skip_duplicate_key_changes = true\n"),
        DupChanges::Skip
    );
    assert_eq!(
        policy("sync_skip_duplicate_key_changes = false\n"),
        DupChanges::Stop
    );
    let e = err(&format!(
        "{BASE}sync_duplicate_key_changes = merge\n[table-rule.1]\ndatabase=a\ntable=b\n"
    ))
    .to_string();
    assert!(
        e.contains("sync_duplicate_key_changes: \"merge\" is not a policy") && e.contains("exact"),
        "{e}"
    );
}

#[test]
fn snapshot_catch_up_seconds() {
    use std::time::Duration;
    let at = |v: &str| {
        ok(&format!(
            "{BASE}sync_snapshot_catch_up_secs = {v}\n{}",
            "[table-rule.1]\ndatabase = ^db$\ntable = .*\n"
        ))
        .other
        .sync_snapshot_catch_up
    };
    assert_eq!(
        ok(&with_rule("")).other.sync_snapshot_catch_up,
        Duration::from_secs(30)
    );
    assert_eq!(at("0.25"), Duration::from_millis(250));
    assert_eq!(at("0"), Duration::ZERO);
    assert_eq!(at("86400"), Duration::from_secs(86_400));
    for bad in ["-1", "soon", "NaN", "inf", "86401"] {
        let s = err(&format!(
            "{BASE}sync_snapshot_catch_up_secs = {bad}\n[table-rule.1]\ndatabase = ^db$\ntable = .*\n"
        ))
        .to_string();
        assert!(
            s.contains(&format!(
                "config.ini:6 [other] sync_snapshot_catch_up_secs: \"{bad}\" is not a number of \
                 seconds from 0 to 86400"
            )),
            "{s}"
        );
    }
}
