//! Which source table goes to which rule. Pure.
//!
//! Invariant: every table appears under at most one rule, the LAST rule in file order whose
//! database and table regexes both match (SMT precedence: later, more specific rules override
//! earlier catch-alls). Tables no rule matches are not planned at all.

use crate::config::RuleConfig;
use crate::schema::TableDesc;

/// The result of matching tables to rules.
#[derive(Debug)]
pub struct Assignment<'a> {
    /// One entry per rule, in config order; tables sorted by (database, table).
    pub rules: Vec<RuleTables<'a>>,
}

#[derive(Debug)]
pub struct RuleTables<'a> {
    /// Index of the rule in `Config::rules`.
    pub index: usize,
    /// The rule's name.
    pub rule: String,
    pub tables: Vec<&'a TableDesc>,
}

impl<'a> Assignment<'a> {
    /// Names of rules that matched no table (in config order).
    pub fn unmatched(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|r| r.tables.is_empty())
            .map(|r| r.rule.as_str())
            .collect()
    }
    /// True when no rule matched any table.
    pub fn is_empty(&self) -> bool {
        self.rules.iter().all(|r| r.tables.is_empty())
    }
}

/// Assign each table to the last rule (file order) matching its database and table names.
pub fn assign<'a>(rules: &[RuleConfig], tables: &'a [TableDesc]) -> Assignment<'a> {
    let mut out: Vec<RuleTables<'a>> = rules
        .iter()
        .enumerate()
        .map(|(index, r)| RuleTables {
            index,
            rule: r.name.clone(),
            tables: Vec::new(),
        })
        .collect();
    for t in tables {
        if let Some(i) = rules.iter().rposition(|r| r.matches(&t.database, &t.name)) {
            out[i].tables.push(t);
        }
    }
    for r in &mut out {
        r.tables
            .sort_by(|a, b| (&a.database, &a.name).cmp(&(&b.database, &b.name)));
    }
    Assignment { rules: out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    fn rule(name: &str, db: &str, t: &str) -> RuleConfig {
        RuleConfig::new(name, 1, Regex::new(db).unwrap(), Regex::new(t).unwrap())
    }
    fn table(db: &str, t: &str) -> TableDesc {
        TableDesc {
            database: db.into(),
            name: t.into(),
            columns: vec![],
            keys: vec![],
            comment: String::new(),
            data_length: 0,
        }
    }

    #[test]
    fn last_matching_rule_wins_and_tables_sorted() {
        let rules = vec![
            rule("all", "^shop$", ".*"),
            rule("orders", "^shop$", "^order"),
            rule("none", "^nothing$", ".*"),
        ];
        let tables = vec![
            table("shop", "users"),
            table("shop", "orders"),
            table("shop", "order_items"),
            table("other", "x"),
            table("shop", "addr"),
        ];
        let a = assign(&rules, &tables);
        let names =
            |i: usize| -> Vec<&str> { a.rules[i].tables.iter().map(|t| t.name.as_str()).collect() };
        assert_eq!(names(0), vec!["addr", "users"]);
        assert_eq!(names(1), vec!["order_items", "orders"]);
        assert!(names(2).is_empty());
        assert_eq!(a.unmatched(), vec!["none"]);
        assert!(!a.is_empty());
    }

    #[test]
    fn nothing_matched() {
        let rules = vec![rule("1", "^x$", ".*")];
        let tables = vec![table("y", "t")];
        let a = assign(&rules, &tables);
        assert!(a.is_empty());
        assert_eq!(a.unmatched(), vec!["1"]);
    }
}
