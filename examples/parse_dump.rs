//! Parse a `mariadb-dump --no-data` file and print what `smt` sees (tables, columns, keys).
//!
//! `cargo run --example parse_dump -- examples/sample-schema.sql`
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/sample-schema.sql".into());
    let text = std::fs::read_to_string(&path)?;
    let start = Instant::now();
    let tables = smt::schema::dump::parse_dump(&text)?;
    let elapsed = start.elapsed();
    let columns: usize = tables.iter().map(|t| t.columns.len()).sum();
    for t in tables.iter().take(20) {
        let pk = t
            .primary_key()
            .map(|k| k.columns.join(", "))
            .unwrap_or_default();
        println!(
            "{:<40} {:>3} columns  pk=({pk})",
            t.qualified(),
            t.columns.len()
        );
    }
    println!(
        "{} tables, {} columns, {} bytes parsed in {:.1} ms",
        tables.len(),
        columns,
        text.len(),
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}
