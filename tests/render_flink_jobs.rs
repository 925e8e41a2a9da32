//! The Flink SQL and the Flink CDC pipelines `smt generate` writes for tables the sample config
//! does not have: no primary key with and without a usable unique key, shards that are not every
//! database × table combination, per-rule parallelism, per-table chunk keys, user server ids.
//! Every generated file goes through the repository's checkers (`scripts/check-flink-options.py`,
//! `scripts/check-flink-cdc-pipeline.py`, stdlib Python), and the YAML's routes are read back.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const DUMP: &str = r#"
CREATE DATABASE `app`;
USE `app`;
CREATE TABLE `with_pk` (`id` int NOT NULL, `v` varchar(10), PRIMARY KEY (`id`));
CREATE TABLE `uniq_nn` (`code` varchar(20) NOT NULL, `n` int NOT NULL, `v` text,
  UNIQUE KEY `u_code` (`code`, `n`));
CREATE TABLE `uniq_lead` (`a` int NOT NULL, `b` int DEFAULT NULL, `v` text,
  UNIQUE KEY `u_ab` (`a`, `b`));
CREATE TABLE `no_key` (`ts` datetime NOT NULL, `msg` text, KEY `i_ts` (`ts`));
CREATE TABLE `named` (`k` int NOT NULL, `other` int NOT NULL, `v` text);
CREATE DATABASE `shop_1`;
USE `shop_1`;
CREATE TABLE `orders_1` (`id` bigint NOT NULL, `amount` int, PRIMARY KEY (`id`));
CREATE TABLE `orders_2` (`id` bigint NOT NULL, `amount` int, PRIMARY KEY (`id`));
CREATE DATABASE `shop_2`;
USE `shop_2`;
CREATE TABLE `orders_1` (`id` bigint NOT NULL, `amount` int, PRIMARY KEY (`id`));
CREATE TABLE `orders_2` (`id` bigint NOT NULL, `amount` int, PRIMARY KEY (`id`));
"#;

fn config(extra_app: &str, extra_shop: &str, other: &str) -> String {
    format!(
        r#"[db]
type = dump
dump_file = dump.sql
host = 10.0.0.5
port = 3307
user = cdc
password = s3cret

[other]
be_num = 3
{other}

[table-rule.app]
database = ^app$
table = .*
flink.starrocks.jdbc-url = jdbc:mysql://fe:9030
flink.starrocks.load-url = fe:8030
flink.starrocks.username = root
flink.starrocks.password = pw
{extra_app}

[table-rule.shop]
database = ^shop_\d+$
table = ^orders_\d+$
flink.starrocks.jdbc-url = jdbc:mysql://fe:9030
flink.starrocks.load-url = fe:8030
flink.starrocks.username = root
flink.starrocks.password = pw
{extra_shop}

# shop_2.orders_2 is this rule's (the last matching rule wins), so the shop rule merges three
# shards that are not every database x table combination
[table-rule.z]
database = ^shop_2$
table = ^orders_2$
flink.starrocks.jdbc-url = jdbc:mysql://fe:9030
flink.starrocks.load-url = fe:8030
flink.starrocks.username = root
flink.starrocks.password = pw
"#
    )
}

struct Generated {
    _dir: tempfile::TempDir,
    out: PathBuf,
    status: std::process::ExitStatus,
    stderr: String,
}

fn generate(config_text: &str) -> Generated {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dump.sql"), DUMP).expect("dump");
    std::fs::write(dir.path().join("smt.ini"), config_text).expect("config");
    let out = dir.path().join("result");
    let o = Command::new(env!("CARGO_BIN_EXE_smt"))
        .args(["generate", "-c"])
        .arg(dir.path().join("smt.ini"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run smt");
    Generated {
        _dir: dir,
        out,
        status: o.status,
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn read(g: &Generated, name: &str) -> String {
    std::fs::read_to_string(g.out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn checker(script: &str, dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("python3")
        .arg(root.join("scripts").join(script))
        .arg(dir)
        .output()
        .expect("python3");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains(": 0 error(s)"), "{stdout}");
}

/// The WITH clause of the `_src` table named `name` (text up to its closing `);`).
fn source_of<'a>(sql: &'a str, name: &str) -> &'a str {
    let start = sql
        .find(&format!("`{name}_src` ("))
        .unwrap_or_else(|| panic!("no {name}_src in\n{sql}"));
    let end = sql[start..].find(");").expect("end") + start;
    &sql[start..end]
}

/// The comment lines right above the `_src` table `name`.
fn notes_of(sql: &str, name: &str) -> String {
    let start = sql.find(&format!("`{name}_src` (")).expect("src");
    let head = &sql[..start];
    head.lines()
        .rev()
        .skip(1)
        .take_while(|l| l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn tables_without_primary_key_get_a_chunk_key_or_a_job_of_their_own() {
    let g = generate(&config("", "", ""));
    assert!(g.status.success(), "{}", g.stderr);
    let sql = read(&g, "flink-create.app.sql");

    // NOT NULL unique key: split by its first column, and the file says why.
    let u = source_of(&sql, "uniq_nn");
    assert!(
        u.contains("'scan.incremental.snapshot.chunk.key-column' = 'code'"),
        "{u}"
    );
    assert!(!u.contains("'scan.incremental.snapshot.enabled'"), "{u}");
    assert!(
        notes_of(&sql, "uniq_nn").contains("UNIQUE KEY `u_code`"),
        "{sql}"
    );
    // A unique key with a nullable column: its NOT NULL leading column.
    let l = source_of(&sql, "uniq_lead");
    assert!(
        l.contains("'scan.incremental.snapshot.chunk.key-column' = 'a'"),
        "{l}"
    );
    assert!(
        notes_of(&sql, "uniq_lead").contains("leading column"),
        "{sql}"
    );
    // A primary key needs nothing.
    assert!(!source_of(&sql, "with_pk").contains("chunk.key-column"));

    // No usable key: legacy source, one server id, in a second statement set after the first.
    for t in ["no_key", "named"] {
        let n = source_of(&sql, t);
        assert!(
            n.contains("'scan.incremental.snapshot.enabled' = 'false'"),
            "{n}"
        );
        assert!(!n.contains("chunk.key-column"), "{n}");
        let sid = n.split("'server-id' = '").nth(1).expect("server-id");
        let sid = &sid[..sid.find('\'').expect("quote")];
        assert!(
            sid.parse::<u32>().is_ok(),
            "one integer for the legacy source: {sid}"
        );
    }
    assert_eq!(
        sql.matches("EXECUTE STATEMENT SET\nBEGIN").count(),
        2,
        "{sql}"
    );
    let second = sql
        .rsplit("EXECUTE STATEMENT SET\nBEGIN")
        .next()
        .expect("second");
    assert!(second.contains("`no_key_sink`") && second.contains("`named_sink`"));
    assert!(!second.contains("`uniq_nn_sink`"));
    let first = sql
        .split("EXECUTE STATEMENT SET\nBEGIN")
        .nth(1)
        .expect("first");
    let first = &first[..first.find("END;").expect("END")];
    assert!(first.contains("`uniq_nn_sink`") && !first.contains("`no_key_sink`"));
    assert!(sql.contains("-- 5 binlog connection(s)"), "{sql}");
    assert!(sql.contains("SET 'parallelism.default' = '1';"));

    checker("check-flink-options.py", &g.out);
    checker("check-flink-cdc-pipeline.py", &g.out);
}

#[test]
fn chunk_key_of_the_rule_applies_only_to_tables_that_have_it() {
    let bare = "flink.cdc.scan.incremental.snapshot.chunk.key-column = other";
    let g = generate(&config(bare, "", ""));
    assert!(g.status.success(), "{}", g.stderr);
    let sql = read(&g, "flink-create.app.sql");
    let n = source_of(&sql, "named");
    assert!(
        n.contains("'scan.incremental.snapshot.chunk.key-column' = 'other'"),
        "{n}"
    );
    assert!(!n.contains("snapshot.enabled"), "{n}");
    // the other tables keep smt's choice and say why the rule's column is not theirs
    assert!(source_of(&sql, "uniq_nn").contains("chunk.key-column' = 'code'"));
    assert!(notes_of(&sql, "uniq_nn").contains("is not used for this table"));
    assert!(source_of(&sql, "no_key").contains("'scan.incremental.snapshot.enabled' = 'false'"));
    assert!(!source_of(&sql, "with_pk").contains("chunk.key-column"));

    let named = r"flink.cdc.scan.incremental.snapshot.chunk.key-column = app.named:k;app.no_key:ts";
    let g = generate(&config(named, "", ""));
    assert!(g.status.success(), "{}", g.stderr);
    let sql = read(&g, "flink-create.app.sql");
    assert!(source_of(&sql, "named").contains("chunk.key-column' = 'k'"));
    assert!(source_of(&sql, "no_key").contains("chunk.key-column' = 'ts'"));
    assert!(source_of(&sql, "uniq_lead").contains("chunk.key-column' = 'a'"));
    assert_eq!(
        sql.matches("EXECUTE STATEMENT SET\nBEGIN").count(),
        1,
        "{sql}"
    );
    // the pipeline uses the rule's choice too
    let y = read(&g, "flink-cdc-pipeline.app.yaml");
    // uniq_lead is a DUPLICATE KEY target (its unique key has a nullable column): not carried
    assert!(y.contains("chunk.key-column: 'app.uniq_nn:code'"), "{y}");
    assert!(y.contains("# left out: app.uniq_lead"), "{y}");
    checker("check-flink-options.py", &g.out);
    checker("check-flink-cdc-pipeline.py", &g.out);

    let g = generate(&config(
        "flink.cdc.scan.incremental.snapshot.chunk.key-column = app.(:k",
        "",
        "",
    ));
    assert!(!g.status.success());
    assert!(g.stderr.contains("chunk.key-column"), "{}", g.stderr);
}

/// (first, last) of every `'server-id'` in `sql`.
fn server_ids(sql: &str) -> Vec<(u32, u32)> {
    let re = regex::Regex::new(r"'server-id' = '(\d+)(?:-(\d+))?'").expect("re");
    re.captures_iter(sql)
        .map(|c| {
            let a: u32 = c[1].parse().expect("n");
            (a, c.get(2).map_or(a, |m| m.as_str().parse().expect("n")))
        })
        .collect()
}

fn yaml_server_id(y: &str) -> (u32, u32) {
    let line = y
        .lines()
        .find(|l| l.trim_start().starts_with("server-id:"))
        .expect("server-id");
    let v = line.split(':').nth(1).expect("v").trim().trim_matches('\'');
    match v.split_once('-') {
        Some((a, b)) => (a.parse().expect("a"), b.parse().expect("b")),
        None => (v.parse().expect("n"), v.parse().expect("n")),
    }
}

#[test]
fn parallelism_sizes_every_range_and_no_range_overlaps() {
    let g = generate(&config(
        "flink_parallelism = 3",
        "",
        "flink_parallelism = 2",
    ));
    assert!(g.status.success(), "{}", g.stderr);
    let app = read(&g, "flink-create.app.sql");
    let shop = read(&g, "flink-create.shop.sql");
    assert!(app.contains("SET 'parallelism.default' = '3';"));
    assert!(shop.contains("SET 'parallelism.default' = '2';"));
    let all = read(&g, "flink-create.all.sql");
    let mut ranges = server_ids(&all);
    for (a, b) in &ranges {
        let w = b - a + 1;
        assert!(
            w == 1 || w >= 3,
            "range {a}-{b} narrower than the largest parallelism"
        );
    }
    let app_y = read(&g, "flink-cdc-pipeline.app.yaml");
    let all_y = read(&g, "flink-cdc-pipeline.all.yaml");
    assert!(app_y.contains("  parallelism: 3\n"), "{app_y}");
    assert!(all_y.contains("  parallelism: 3\n"), "{all_y}");
    for y in [&app_y, &read(&g, "flink-cdc-pipeline.shop.yaml"), &all_y] {
        ranges.push(yaml_server_id(y));
    }
    assert_eq!(yaml_server_id(&app_y).1 - yaml_server_id(&app_y).0 + 1, 3);
    ranges.sort();
    for w in ranges.windows(2) {
        assert!(w[0].1 < w[1].0, "overlapping server-id ranges {ranges:?}");
    }
    checker("check-flink-options.py", &g.out);
    checker("check-flink-cdc-pipeline.py", &g.out);
}

#[test]
fn user_server_ids_are_reserved_and_checked() {
    // a user range narrower than the rule's parallelism is an error, not a silent overlap
    let g = generate(&config(
        "flink_parallelism = 2\nflink.cdc.server-id = 6000",
        "",
        "",
    ));
    assert!(!g.status.success());
    assert!(g.stderr.contains("holds 1 id(s)"), "{}", g.stderr);
    assert!(g.stderr.contains("parallelism 2"), "{}", g.stderr);

    // ... also when another rule's parallelism is larger: flink-create.all.sql holds both jobs
    let g = generate(&config(
        "flink.cdc.server-id = 6000",
        "flink_parallelism = 2",
        "",
    ));
    assert!(!g.status.success());
    assert!(g.stderr.contains("flink-create.all.sql"), "{}", g.stderr);

    // two rules whose user ranges overlap
    let g = generate(&config(
        "flink.cdc.server-id = 6000",
        "flink.cdc.server-id = 6002",
        "",
    ));
    assert!(!g.status.success());
    assert!(g.stderr.contains("overlap"), "{}", g.stderr);

    // a user range is the start of the rule's consecutive ranges; smt's own skip it
    let g = generate(&config(
        "flink.cdc.server-id = 5401-5402",
        "",
        "flink_parallelism = 2",
    ));
    assert!(g.status.success(), "{}", g.stderr);
    let app = server_ids(&read(&g, "flink-create.app.sql"));
    assert_eq!(app[0], (5401, 5402), "{app:?}");
    let mut all = server_ids(&read(&g, "flink-create.all.sql"));
    all.sort();
    for w in all.windows(2) {
        assert!(w[0].1 < w[1].0, "overlapping server-id ranges {all:?}");
    }
    assert!(!read(&g, "flink-create.shop.sql").contains("'server-id' = '5401"));

    let g = generate(&config("flink.cdc.server-id = 12-x", "", ""));
    assert!(!g.status.success());
    assert!(g.stderr.contains("is not N or N-M"), "{}", g.stderr);
}

/// `- source-table: ...` / `sink-table: ...` pairs of the YAML's `route:` block.
fn routes(y: &str) -> Vec<(String, String)> {
    let unq = |v: &str| v.trim().trim_matches('\'').to_string();
    let block = y.split("\nroute:\n").nth(1).unwrap_or("");
    let mut out = Vec::new();
    let mut src = None;
    for l in block.lines().take_while(|l| l.starts_with(' ')) {
        if let Some(v) = l.trim_start().strip_prefix("- source-table:") {
            src = Some(unq(v));
        } else if let Some(v) = l.trim_start().strip_prefix("sink-table:") {
            out.push((src.take().expect("source first"), unq(v)));
        }
    }
    out
}

#[test]
fn pipeline_routes_cover_exactly_the_shards_and_tables_are_exact() {
    let g = generate(&config("", "", ""));
    assert!(g.status.success(), "{}", g.stderr);
    let y = read(&g, "flink-cdc-pipeline.shop.yaml");
    // shop_2.orders_2 belongs to rule z: not a shard of the merged table
    let r = routes(&y);
    let merged: Vec<&(String, String)> = r
        .iter()
        .filter(|(_, s)| s.contains("_auto_shard"))
        .collect();
    assert_eq!(merged.len(), 1, "{y}");
    let items: BTreeSet<&str> = merged[0].0.split(',').collect();
    assert_eq!(
        items,
        BTreeSet::from(["shop_1.orders_1", "shop_1.orders_2", "shop_2.orders_1"]),
        "{y}"
    );
    let tables_line = y
        .lines()
        .find(|l| l.trim_start().starts_with("tables:"))
        .expect("tables");
    let tables: BTreeSet<&str> = tables_line
        .split_once(':')
        .expect(":")
        .1
        .trim()
        .trim_matches('\'')
        .split(',')
        .collect();
    assert_eq!(
        tables,
        BTreeSet::from(["shop_1.orders_1", "shop_1.orders_2", "shop_2.orders_1",]),
        "exact names, not the rule's regexes: {y}"
    );
    assert!(y.contains("__schema_name__ AS _smt_source_db, __table_name__ AS _smt_source_table"));
    assert!(
        y.contains("primary-keys: 'id,_smt_source_db,_smt_source_table'"),
        "{y}"
    );

    // the Flink SQL source of the merged table reads exactly its three pairs
    let sql = read(&g, "flink-create.shop.sql");
    assert!(sql.contains("(?<=shop_2\\.orders_1)"), "{sql}");
    assert!(!sql.contains("(?<=shop_2\\.orders_2)"), "{sql}");

    // app: DUPLICATE KEY targets are left out, with the reason; unique-key tables carried
    let a = read(&g, "flink-cdc-pipeline.app.yaml");
    assert!(a.contains("# left out: app.no_key"), "{a}");
    assert!(a.contains("# left out: app.named"), "{a}");
    assert!(a.contains("primary-keys: 'code,n'"), "{a}");
    assert!(a.contains("app.uniq_nn:code"), "{a}");
    let all = read(&g, "flink-cdc-pipeline.all.yaml");
    assert!(all.contains("password: 's3cret'"));
    // all rules in one pipeline: the merged route is the same, rule z's table has no route
    assert_eq!(routes(&all), r, "{all}");
    assert!(all.contains("shop_2.orders_1,shop_2.orders_2"), "{all}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["flink-cdc-pipeline.all.yaml", "flink-cdc-pipeline.app.yaml"] {
            let mode = std::fs::metadata(g.out.join(f))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f} holds passwords");
        }
    }
    checker("check-flink-options.py", &g.out);
    checker("check-flink-cdc-pipeline.py", &g.out);
}

#[test]
fn committed_result_passes_both_checkers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    checker("check-flink-options.py", &root.join("result"));
    checker("check-flink-cdc-pipeline.py", &root.join("result"));
    checker(
        "check-flink-cdc-pipeline.py",
        &root.join("tests/golden/result"),
    );
}
