//! Property: whatever the names, comments and defaults, the rendered SQL lexes back into exactly
//! the identifiers and strings that went in (nothing ends a quote early, nothing leaks out).

mod render_support;

use proptest::prelude::*;
use render_support::*;
use smt::plan::{Model, RulePlan, SrDefault, SrType};
use smt::render::{flink_rule, starrocks_table};

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
}

/// Lex StarRocks/Flink SQL: `` `..` `` (doubled backtick), `"..."` (backslash escapes) and
/// `'...'` (doubled quote). Everything else is skipped; `--` comments are skipped to line end.
fn lex(sql: &str) -> Vec<Tok> {
    let cs: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        match cs[i] {
            '-' if cs.get(i + 1) == Some(&'-') => {
                while i < cs.len() && cs[i] != '\n' {
                    i += 1;
                }
            }
            q @ ('`' | '\'') => {
                let mut s = String::new();
                i += 1;
                loop {
                    assert!(i < cs.len(), "unterminated {q} in:\n{sql}");
                    if cs[i] == q {
                        if cs.get(i + 1) == Some(&q) {
                            s.push(q);
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    s.push(cs[i]);
                    i += 1;
                }
                out.push(if q == '`' { Tok::Ident(s) } else { Tok::Str(s) });
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    assert!(i < cs.len(), "unterminated \" in:\n{sql}");
                    match cs[i] {
                        '"' => break,
                        '\\' => {
                            i += 1;
                            s.push(match cs[i] {
                                'n' => '\n',
                                'r' => '\r',
                                't' => '\t',
                                '0' => '\0',
                                c => c,
                            });
                        }
                        c => {
                            assert!(
                                c != '\n' && c != '\r',
                                "raw line break inside a string:\n{sql}"
                            );
                            s.push(c)
                        }
                    }
                    i += 1;
                }
                out.push(Tok::Str(s));
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn id(s: &str) -> Tok {
    Tok::Ident(s.to_string())
}
fn st(s: &str) -> Tok {
    Tok::Str(s.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn starrocks_ddl_round_trips(
        db in "[a-z][a-z0-9_]{0,8}",
        tname in "\\PC{1,12}|[`'\"\\\\ ]{1,6}",
        k in "\\PC{1,10}",
        c in "[`'\"\\\\a-z\u{e9}\u{8868} ]{1,10}",
        comment in "(\\PC|[\n\r\t\"\\\\'`])*",
        default in "(\\PC|[\n\"\\\\])*",
    ) {
        prop_assume!(k != c);
        let mut kc = col(&k, SrType::BigInt, "BIGINT", false, int(smt::schema::IntWidth::Big));
        kc.comment = comment.clone();
        let mut vc = col(&c, SrType::Varchar(40), "VARCHAR(10)", true, smt::schema::SourceType::Varchar(10));
        vc.default = Some(SrDefault::Literal(default.clone()));
        let mut t = table("1", &db, &tname, &[("src", &tname)], None, Model::Primary, &[&k], vec![kc, vc]);
        t.comment = comment.clone();
        let sql = starrocks_table(&t);
        let mut expected = vec![id(&db), id(&tname), id(&k)];
        if !comment.is_empty() { expected.push(st(&comment)); }
        expected.extend([id(&c), st(&default), id(&k)]);
        if !comment.is_empty() { expected.push(st(&comment)); }
        expected.extend([id(&k), st("replication_num"), st("1")]);
        prop_assert_eq!(lex(&sql), expected);
    }

    #[test]
    fn flink_sql_round_trips(
        tname in "\\PC{1,12}|[`'\"\\\\ ]{1,6}",
        k in "\\PC{1,10}",
        pw in "(\\PC|['\"\\\\])*",
    ) {
        let kc = col(&k, SrType::BigInt, "BIGINT", false, int(smt::schema::IntWidth::Big));
        let t = table_plan(&tname, &k, kc);
        let rp = RulePlan::new(std::sync::Arc::new(smt::config::RuleConfig::named("1")), vec![t]);
        let mut src = source();
        src.password = smt::config::Secret::new(pw.clone());
        let mut r = rule("1");
        starrocks_opts(&mut r);
        let mut ids = smt::render::ServerIds::new(1);
        let sql = flink_rule(&with_rule(rp, r), &src, &mut ids).expect("render");
        let toks = lex(&sql);
        let src_name = format!("{tname}_src");
        let sink_name = format!("{tname}_sink");
        // The source table: name, column, key, then its options in order.
        let start = toks.iter().position(|t| *t == id(&src_name)).expect("source table");
        prop_assert_eq!(&toks[start..start + 3], &[id(&src_name), id(&k), id(&k)][..]);
        let opt = |key: &str| toks.iter().skip(start).position(|t| *t == st(key)).map(|p| &toks[start + p + 1]);
        prop_assert_eq!(opt("password"), Some(&st(&pw)));
        prop_assert_eq!(opt("table-name"), Some(&st(&regex::escape(&tname))));
        let sink = toks.iter().position(|t| *t == id(&sink_name)).expect("sink table");
        let sopt = |key: &str| toks.iter().skip(sink).position(|t| *t == st(key)).map(|p| &toks[sink + p + 1]);
        prop_assert_eq!(sopt("table-name"), Some(&st(&tname)));
    }
}

fn table_plan(name: &str, k: &str, kc: smt::plan::TargetColumn) -> smt::plan::TablePlan {
    table(
        "1",
        "db",
        name,
        &[("db", name)],
        None,
        Model::Primary,
        &[k],
        vec![kc],
    )
}
