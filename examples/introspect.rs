//! Introspect a live server and print a summary (tables, queries, time).
//!
//! `source /tmp/smt-mdb/env.sh && cargo run --example introspect -- '^edu_db_'`
//! Connection from SMT_MARIADB_HOST/PORT/USER/PASSWORD; the argument is a database regex.
use smt::config::{Secret, SourceConfig, SourceKind};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let re = regex::Regex::new(&std::env::args().nth(1).unwrap_or_else(|| ".*".into()))?;
    let var =
        |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} not set: run scripts/test.sh"));
    let src = SourceConfig {
        kind: SourceKind::Mysql,
        host: var("SMT_MARIADB_HOST")?,
        port: var("SMT_MARIADB_PORT")?.parse()?,
        user: var("SMT_MARIADB_USER")?,
        password: Secret::new(var("SMT_MARIADB_PASSWORD")?),
        time_zone: None,
    };
    let start = Instant::now();
    let got = smt::schema::introspect::introspect(&src, &|db| re.is_match(db))?;
    let elapsed = start.elapsed();
    let columns: usize = got.tables.iter().map(|t| t.columns.len()).sum();
    println!(
        "server {} ({:?}, time zone {}): {} tables, {} columns, {} queries, {:.1} ms",
        got.server.version,
        got.server.flavor,
        got.server.time_zone,
        got.tables.len(),
        columns,
        got.queries,
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}
