//! One target value, already rendered per the plan's `Encoding`.
//!
//! Invariant: a `Cell` of a source value is produced only by `sync::decode`, the one decoder
//! shared by the snapshot and the binlog paths, so the same source value yields the same `Cell`
//! on both paths. [`of_target_row`] makes cells of values StarRocks already holds (to load them
//! again: verify's repair, exact changes of tables without a key).

/// One rendered target value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    Null,
    /// Integer / decimal / float / boolean literal text: written unquoted in JSON.
    Num(String),
    /// Text (quoted in JSON).
    Str(String),
    /// A JSON document's text.
    Json(String),
    /// A source value smt refuses (`decode::RefusedValue`), kept in its place when the
    /// quarantine (`sync_reject_policy = quarantine`) sets the row aside instead of stopping:
    /// such a row is never loaded into its table, only into the dead-letter table.
    Refused(Box<Refusal>),
}

/// Why a value was refused, for the dead-letter row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Refusal {
    /// The value as text (shortened when long).
    pub value: String,
    /// The column, the value and the reason, as the stop message would say them.
    pub why: String,
}

/// One value per `TablePlan.columns` entry, in plan column order.
pub type Row = Vec<Cell>;

impl Cell {
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }
    /// The text of a non-NULL cell (none for a refused value).
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Null | Cell::Refused(_) => None,
            Cell::Num(s) | Cell::Str(s) | Cell::Json(s) => Some(s),
        }
    }
    /// The refusal of a row with a value smt refuses (the first such cell).
    pub fn refusal_of(row: &[Cell]) -> Option<&Refusal> {
        row.iter().find_map(|c| match c {
            Cell::Refused(r) => Some(&**r),
            _ => None,
        })
    }
    /// Approximate size in bytes (for memory and batch accounting).
    pub fn byte_len(&self) -> usize {
        self.text().map_or(4, str::len)
    }
}

/// A row as StarRocks printed it over the FE (VARBINARY through `hex()`), as cells that load
/// back the same values: StarRocks' text parses back to what it stores.
pub fn of_target_row(plan: &crate::plan::TablePlan, row: &[Option<String>]) -> Row {
    use crate::plan::SrType;
    row.iter()
        .zip(&plan.columns)
        .map(|(v, c)| match v {
            None => Cell::Null,
            Some(s) if c.sr_type == SrType::Json => Cell::Json(s.clone()),
            Some(s) if c.sr_type.is_number() => Cell::Num(s.clone()),
            Some(s) if matches!(c.sr_type, SrType::Varbinary(_)) => {
                Cell::Str(s.to_ascii_lowercase())
            }
            Some(s) => Cell::Str(s.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn empty_string_is_not_null() {
        assert_ne!(Cell::Str(String::new()), Cell::Null);
        assert_eq!(Cell::Str(String::new()).text(), Some(""));
        assert_eq!(Cell::Null.text(), None);
    }
}
