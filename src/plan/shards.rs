//! Shards: tables of one rule whose names differ only by a trailing number are one logical table;
//! their schemas are merged (widened) into one description, or they are planned apart with the
//! reason. SMT's naming (`<common prefix>_auto_shard`) for the merged target.

use super::model::{Note, NoteKind, SourceRef};
use crate::config::RuleConfig;
use crate::mapping;
use crate::schema::{ColumnDefault, ColumnDesc, IntWidth, SourceType, TableDesc, TextKind};
use std::collections::BTreeMap;

/// Strip a trailing numeric suffix (digits, optionally preceded by `_`): `edu_db_1` → `edu_db`.
pub fn shard_stem(name: &str) -> &str {
    let t = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if t.len() == name.len() {
        name
    } else {
        t.strip_suffix('_').unwrap_or(t)
    }
}

/// SMT's merged name: longest common prefix; equal to the first name → kept; empty →
/// `<fallback>_auto_shard`; else prefix + `_auto_shard`.
pub fn merged_name(names: &[&str], fallback: &str) -> String {
    let Some(first) = names.first() else {
        return format!("{fallback}_auto_shard");
    };
    let mut len = first.len();
    for n in &names[1..] {
        let common = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map(|((i, a), _)| i + a.len_utf8())
            .unwrap_or(0);
        len = len.min(common);
    }
    let prefix = &first[..len];
    if prefix == *first {
        first.to_string()
    } else if prefix.is_empty() {
        format!("{fallback}_auto_shard")
    } else {
        format!("{prefix}_auto_shard")
    }
}

/// Regex (Java and RE2 compatible) matching exactly the given names: `(a|b)`, with every
/// non-alphanumeric ASCII character escaped. No `^`/`$`: mysql-cdc joins `database-name` and
/// `table-name` into one `db.table` pattern that Debezium matches against the whole name.
pub fn exact_alternation(names: &[&str]) -> String {
    let mut uniq: Vec<&str> = names.to_vec();
    uniq.sort();
    uniq.dedup();
    let esc: Vec<String> = uniq
        .iter()
        .map(|n| {
            let mut s = String::new();
            for c in n.chars() {
                if c.is_ascii() && !c.is_ascii_alphanumeric() && c != '_' {
                    s.push('\\');
                }
                s.push(c);
            }
            s
        })
        .collect();
    format!("({})", esc.join("|"))
}

/// One target table to plan: a single source table or a merged shard group.
pub(super) struct Unit {
    pub(super) desc: TableDesc,
    pub(super) sources: Vec<SourceRef>,
    /// Each source's own description, in the order of `sources`.
    pub(super) source_tables: Vec<TableDesc>,
    pub(super) merged: bool,
    pub(super) notes: Vec<Note>,
    pub(super) target_database: String,
    pub(super) target_table: String,
    /// Longest database / table name among the sources, in bytes (for the key width).
    pub(super) name_bytes: (u64, u64),
}

pub(super) fn units_for_rule(rule: &RuleConfig, tables: &[&TableDesc]) -> Vec<Unit> {
    let mut groups: BTreeMap<(&str, &str), Vec<&TableDesc>> = BTreeMap::new();
    for t in tables {
        groups
            .entry((shard_stem(&t.database), shard_stem(&t.name)))
            .or_default()
            .push(t);
    }
    let mut units = Vec::new();
    for group in groups.into_values() {
        if group.len() >= 2 {
            match merge_shards(&group) {
                Ok((desc, notes)) => {
                    let dbs: Vec<&str> = group.iter().map(|t| t.database.as_str()).collect();
                    let tbls: Vec<&str> = group.iter().map(|t| t.name.as_str()).collect();
                    units.push(Unit {
                        target_database: rule
                            .target_database
                            .clone()
                            .unwrap_or_else(|| merged_name(&dbs, "db")),
                        target_table: rule
                            .target_table
                            .clone()
                            .unwrap_or_else(|| merged_name(&tbls, "table")),
                        sources: group
                            .iter()
                            .map(|t| SourceRef {
                                database: t.database.clone(),
                                table: t.name.clone(),
                            })
                            .collect(),
                        source_tables: group.iter().map(|t| (*t).clone()).collect(),
                        merged: true,
                        notes,
                        name_bytes: (
                            dbs.iter().map(|s| s.len() as u64).max().unwrap_or(0),
                            tbls.iter().map(|s| s.len() as u64).max().unwrap_or(0),
                        ),
                        desc,
                    });
                    continue;
                }
                Err(reason) => {
                    let all = group
                        .iter()
                        .map(|t| t.qualified())
                        .collect::<Vec<_>>()
                        .join(", ");
                    for t in &group {
                        let mut u = single_unit(rule, t);
                        u.notes.push(Note {
                            kind: NoteKind::ShardDrift,
                            column: None,
                            message: format!(
                                "looks like a shard of {all} but was not merged: {reason}; planned as its own table"
                            ),
                        });
                        units.push(u);
                    }
                    continue;
                }
            }
        }
        for t in group {
            units.push(single_unit(rule, t));
        }
    }
    units
}

fn single_unit(rule: &RuleConfig, t: &TableDesc) -> Unit {
    Unit {
        desc: t.clone(),
        sources: vec![SourceRef {
            database: t.database.clone(),
            table: t.name.clone(),
        }],
        source_tables: vec![t.clone()],
        merged: false,
        notes: Vec::new(),
        target_database: rule
            .target_database
            .clone()
            .unwrap_or_else(|| t.database.clone()),
        target_table: rule.target_table.clone().unwrap_or_else(|| t.name.clone()),
        name_bytes: (t.database.len() as u64, t.name.len() as u64),
    }
}

// ----- shard merge ---------------------------------------------------------------------------

fn int_bounds(w: IntWidth, unsigned: bool) -> (i128, i128) {
    match (w, unsigned) {
        (IntWidth::Tiny, false) => (-128, 127),
        (IntWidth::Tiny, true) => (0, 255),
        (IntWidth::Small, false) => (-32768, 32767),
        (IntWidth::Small, true) => (0, 65535),
        (IntWidth::Medium, false) => (-8_388_608, 8_388_607),
        (IntWidth::Medium, true) => (0, 16_777_215),
        (IntWidth::Int, false) => (i32::MIN as i128, i32::MAX as i128),
        (IntWidth::Int, true) => (0, u32::MAX as i128),
        (IntWidth::Big, false) => (i64::MIN as i128, i64::MAX as i128),
        (IntWidth::Big, true) => (0, u64::MAX as i128),
    }
}

/// Decimal digits an integer type needs.
fn int_digits(w: IntWidth, unsigned: bool) -> u32 {
    let (lo, hi) = int_bounds(w, unsigned);
    lo.unsigned_abs().max(hi.unsigned_abs()).to_string().len() as u32
}

fn text_rank(k: TextKind) -> u8 {
    match k {
        TextKind::Tiny => 0,
        TextKind::Text => 1,
        TextKind::Medium => 2,
        TextKind::Long => 3,
    }
}

fn max_kind(a: TextKind, b: TextKind) -> TextKind {
    if text_rank(a) >= text_rank(b) {
        a
    } else {
        b
    }
}

/// The narrowest source type that holds every value of `a` and `b`, if the two are compatible.
fn widen(a: &SourceType, b: &SourceType) -> Option<SourceType> {
    use SourceType as S;
    if a == b {
        return Some(a.clone());
    }
    let dec = |p: u32, s: u32, unsigned: bool| S::Decimal {
        precision: p,
        scale: s,
        unsigned,
    };
    Some(match (a, b) {
        (
            S::Int {
                width: wa,
                unsigned: ua,
                display: da,
            },
            S::Int {
                width: wb,
                unsigned: ub,
                display: db,
            },
        ) => {
            let (la, ha) = int_bounds(*wa, *ua);
            let (lb, hb) = int_bounds(*wb, *ub);
            let (lo, hi) = (la.min(lb), ha.max(hb));
            let widths = [
                IntWidth::Tiny,
                IntWidth::Small,
                IntWidth::Medium,
                IntWidth::Int,
                IntWidth::Big,
            ];
            let found = widths
                .iter()
                .flat_map(|w| [(*w, false), (*w, true)])
                .find(|(w, u)| {
                    let (l, h) = int_bounds(*w, *u);
                    l <= lo && hi <= h
                });
            match found {
                Some((width, unsigned)) => S::Int {
                    width,
                    unsigned,
                    display: if da == db { *da } else { None },
                },
                // BIGINT UNSIGNED with signed BIGINT: only a DECIMAL(20,0) holds both.
                None => dec(20, 0, false),
            }
        }
        (
            S::Decimal {
                precision: pa,
                scale: sa,
                unsigned: ua,
            },
            S::Decimal {
                precision: pb,
                scale: sb,
                unsigned: ub,
            },
        ) => {
            let int = (pa - sa.min(pa)).max(pb - sb.min(pb));
            let s = *sa.max(sb);
            dec(int + s, s, *ua && *ub)
        }
        (
            S::Int {
                width, unsigned, ..
            },
            S::Decimal { .. },
        )
        | (
            S::Decimal { .. },
            S::Int {
                width, unsigned, ..
            },
        ) => {
            let other = if matches!(a, S::Decimal { .. }) { a } else { b };
            return widen(other, &dec(int_digits(*width, *unsigned), 0, *unsigned));
        }
        (S::Float { unsigned: ua }, S::Float { unsigned: ub }) => S::Float {
            unsigned: *ua && *ub,
        },
        (
            S::Float { unsigned: ua } | S::Double { unsigned: ua },
            S::Float { unsigned: ub } | S::Double { unsigned: ub },
        ) => S::Double {
            unsigned: *ua && *ub,
        },
        (S::Bit(x), S::Bit(y)) => S::Bit(*x.max(y)),
        (S::Char(x), S::Char(y)) => S::Char(*x.max(y)),
        (S::Char(x) | S::Varchar(x), S::Char(y) | S::Varchar(y)) => S::Varchar(*x.max(y)),
        (S::Text(x), S::Text(y)) => S::Text(max_kind(*x, *y)),
        (S::Text(k), S::Char(_) | S::Varchar(_)) | (S::Char(_) | S::Varchar(_), S::Text(k)) => {
            S::Text(*k)
        }
        (S::Binary(x), S::Binary(y)) => S::Binary(*x.max(y)),
        (S::Binary(x) | S::Varbinary(x), S::Binary(y) | S::Varbinary(y)) => S::Varbinary(*x.max(y)),
        (S::Blob(x), S::Blob(y)) => S::Blob(max_kind(*x, *y)),
        (S::Blob(k), S::Binary(_) | S::Varbinary(_))
        | (S::Binary(_) | S::Varbinary(_), S::Blob(k)) => S::Blob(*k),
        (S::DateTime { fsp: x }, S::DateTime { fsp: y }) => S::DateTime { fsp: *x.max(y) },
        (S::Timestamp { fsp: x }, S::Timestamp { fsp: y }) => S::Timestamp { fsp: *x.max(y) },
        (S::Time { fsp: x }, S::Time { fsp: y }) => S::Time { fsp: *x.max(y) },
        (S::Enum(x), S::Enum(y)) => S::Enum(union_labels(x, y)),
        (S::Set(x), S::Set(y)) => S::Set(union_labels(x, y)),
        (S::Geometry(_), S::Geometry(_)) => S::Geometry(crate::schema::GeometryKind::Geometry),
        // Everything else differs in kind (string vs number, DATETIME vs TIMESTAMP, ...).
        (S::Int { .. }, _)
        | (S::Bit(_), _)
        | (S::Float { .. }, _)
        | (S::Double { .. }, _)
        | (S::Decimal { .. }, _)
        | (S::Char(_), _)
        | (S::Varchar(_), _)
        | (S::Text(_), _)
        | (S::Binary(_), _)
        | (S::Varbinary(_), _)
        | (S::Blob(_), _)
        | (S::Date, _)
        | (S::DateTime { .. }, _)
        | (S::Timestamp { .. }, _)
        | (S::Time { .. }, _)
        | (S::Year, _)
        | (S::Enum(_), _)
        | (S::Set(_), _)
        | (S::Json, _)
        | (S::Geometry(_), _)
        | (S::Unknown(_), _) => return None,
    })
}

fn union_labels(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for l in b {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    out
}

/// Character types, whose widened length is counted in UTF-8 bytes (see `char_octets`).
fn is_char_type(t: &SourceType) -> bool {
    matches!(
        t,
        SourceType::Char(_) | SourceType::Varchar(_) | SourceType::Text(_)
    )
}

/// UTF-8 bytes a character column can hold.
fn char_octets(c: &ColumnDesc) -> u64 {
    mapping::char_column_octets(c).unwrap_or(0)
}

/// Merge shards into one logical table description, or say why they cannot be merged.
fn merge_shards(shards: &[&TableDesc]) -> Result<(TableDesc, Vec<Note>), String> {
    let first = shards[0];
    let key0 = first.usable_key();
    for s in &shards[1..] {
        let k = s.usable_key();
        let same = match (&key0, &k) {
            (None, None) => true,
            (Some(a), Some(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
            }
            _ => false,
        };
        if !same {
            let show = |k: &Option<Vec<String>>| match k {
                Some(v) => format!("({})", v.join(", ")),
                None => "no usable key".into(),
            };
            return Err(format!(
                "different keys: {} has {}, {} has {}",
                first.qualified(),
                show(&key0),
                s.qualified(),
                show(&k)
            ));
        }
    }
    // Columns: first shard's order, then new columns in order of appearance.
    let mut cols: Vec<ColumnDesc> = Vec::new();
    let mut present: Vec<Vec<usize>> = Vec::new();
    let mut types_seen: Vec<Vec<(usize, String)>> = Vec::new();
    let mut notes = Vec::new();
    for (si, s) in shards.iter().enumerate() {
        for c in &s.columns {
            match cols
                .iter()
                .position(|m| m.name.eq_ignore_ascii_case(&c.name))
            {
                None => {
                    cols.push(c.clone());
                    present.push(vec![si]);
                    types_seen.push(vec![(si, c.column_type.clone())]);
                }
                Some(i) => {
                    let m = &mut cols[i];
                    present[i].push(si);
                    types_seen[i].push((si, c.column_type.clone()));
                    let Some(ty) = widen(&m.ty, &c.ty) else {
                        return Err(format!(
                            "column `{}` is `{}` in {} but `{}` in {}",
                            c.name,
                            types_seen[i][0].1,
                            shards[types_seen[i][0].0].qualified(),
                            c.column_type,
                            s.qualified()
                        ));
                    };
                    if is_char_type(&ty) {
                        let o = char_octets(m).max(char_octets(c));
                        m.charset = Some("utf8mb4".into());
                        m.octet_length = Some(o);
                    } else if matches!(
                        ty,
                        SourceType::Blob(_) | SourceType::Binary(_) | SourceType::Varbinary(_)
                    ) {
                        m.octet_length = match (m.octet_length, c.octet_length) {
                            (Some(x), Some(y)) => Some(x.max(y)),
                            _ => None,
                        };
                    }
                    m.ty = ty;
                    if m.nullable != c.nullable {
                        m.nullable = true;
                    }
                    if m.default != c.default && m.default != ColumnDefault::None {
                        notes.push(Note {
                            kind: NoteKind::ShardDrift,
                            column: Some(m.name.clone()),
                            message: format!(
                                "default of `{}` differs across shards ({} vs {}): no default kept",
                                m.name,
                                first.qualified(),
                                s.qualified()
                            ),
                        });
                        m.default = ColumnDefault::None;
                    }
                    if m.comment.is_empty() {
                        m.comment = c.comment.clone();
                    }
                    if m.generated.is_none() {
                        m.generated = c.generated.clone();
                    }
                    m.on_update_current_timestamp |= c.on_update_current_timestamp;
                }
            }
        }
    }
    let key_cols = key0.unwrap_or_default();
    for (i, m) in cols.iter_mut().enumerate() {
        m.ordinal = i as u32 + 1;
        let names = |idx: &[usize]| {
            idx.iter()
                .map(|&j| shards[j].qualified())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if present[i].len() < shards.len() {
            if key_cols.iter().any(|k| k.eq_ignore_ascii_case(&m.name)) {
                return Err(format!("key column `{}` is missing in some shards", m.name));
            }
            m.nullable = true;
            notes.push(Note {
                kind: NoteKind::ShardDrift,
                column: Some(m.name.clone()),
                message: format!(
                    "column `{}` exists only in {}: NULL for rows of the other shards",
                    m.name,
                    names(&present[i])
                ),
            });
        }
        let mut distinct: Vec<&str> = types_seen[i].iter().map(|(_, t)| t.as_str()).collect();
        distinct.sort();
        distinct.dedup();
        if distinct.len() > 1 {
            let detail: Vec<String> = types_seen[i]
                .iter()
                .map(|(j, t)| format!("{}: {t}", shards[*j].qualified()))
                .collect();
            notes.push(Note {
                kind: NoteKind::ShardDrift,
                column: Some(m.name.clone()),
                message: format!(
                    "type of `{}` differs across shards ({}); widened to hold all of them",
                    m.name,
                    detail.join("; ")
                ),
            });
        }
    }
    let desc = TableDesc {
        database: first.database.clone(),
        name: first.name.clone(),
        columns: cols,
        keys: first.keys.clone(),
        comment: first.comment.clone(),
        data_length: shards
            .iter()
            .map(|s| s.data_length)
            .fold(0u64, u64::saturating_add),
    };
    Ok((desc, notes))
}
