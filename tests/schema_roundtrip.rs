//! Live introspection vs. parsing a real `mariadb-dump --no-data` of the same schema.
#[path = "common/mariadb.rs"]
mod mariadb;

use smt::schema::dump::parse_dump;
use smt::schema::introspect::{introspect, Flavor};
use smt::schema::{ColumnDefault, KeyKind, SourceType, TableDesc};

fn live(prefix: &str) -> smt::schema::introspect::Introspection {
    let p = prefix.to_string();
    introspect(&mariadb::source_config(), &move |db: &str| db.starts_with(&p)).expect("introspect")
}

fn table<'a>(ts: &'a [TableDesc], db: &str, name: &str) -> &'a TableDesc {
    ts.iter()
        .find(|t| t.database == db && t.name == name)
        .unwrap_or_else(|| panic!("table {db}.{name} missing"))
}

#[test]
fn live_and_dump_describe_the_fixture_identically() {
    let dbs = mariadb::TempDbs::load("schema", "tests/fixtures/mariadb_all.sql");
    let got = live(&dbs.prefix);
    assert_eq!(got.server.flavor, Flavor::MariaDb);
    let names = dbs.databases();
    assert_eq!(names.len(), 4, "{names:?}");
    let dump = mariadb::dump(&names);
    let parsed = parse_dump(&dump).expect("parse dump");

    let mut live_tables = got.tables.clone();
    for t in &mut live_tables {
        t.data_length = 0;
    }
    assert_eq!(live_tables.len(), parsed.len());
    for (l, d) in live_tables.iter().zip(&parsed) {
        assert_eq!(l.qualified(), d.qualified());
        for (lc, dc) in l.columns.iter().zip(&d.columns) {
            assert_eq!(lc, dc, "{}.{}", l.qualified(), lc.name);
        }
        assert_eq!(l, d, "{}", l.qualified());
    }
}
