//! The row images of a binlog rows event, decoded without building per-row column metadata.
//!
//! `mysql_common`'s `RowsEvent::rows` builds, for every row, a `Column` per column (schema,
//! table and column names copied into fresh `Arc`s, a `format!` for each unnamed column) and
//! copies every value out of the event; in a backlog replay that was a fifth of the reading
//! thread's time. smt never reads that metadata: it decodes by the schema it follows. This module
//! reads the same wire format (the values through `mysql_common`'s own `BinlogValue` decoder, so
//! every value decodes exactly as before) and leaves the values borrowed from the event.
//!
//! Layout of one row (`binlog_event.h`, `Rows_event`): for each image the event has (before:
//! UPDATE/DELETE; after: WRITE/UPDATE), a null bitmap of the columns present in that image,
//! then the non-NULL values of the present columns in column order. Partial JSON updates
//! (`PARTIAL_UPDATE_ROWS_EVENT`, a shared image) are refused by the caller before this runs.

use mysql::binlog::events::{OptionalMetaExtractor, RowsEventData, TableMapEvent};
use mysql::binlog::value::BinlogValue;
use mysql::consts::ColumnType;
use mysql_common::io::ParseBuf;
use std::io;

/// The values of one image: one per column present in the image, in column order (a NULL is
/// `BinlogValue::Value(Value::NULL)`, as `mysql_common` gives).
pub type Image<'a> = Vec<BinlogValue<'a>>;

/// How to decode each column of a table map: its type, metadata and signedness.
pub struct ColumnCodec<'a> {
    columns: Vec<(ColumnType, &'a [u8], bool)>,
}

impl<'a> ColumnCodec<'a> {
    /// The decoding context of every column of `tme` (signedness from the optional metadata
    /// when the server sent it, else signed, as `mysql_common` does).
    pub fn of(tme: &'a TableMapEvent<'a>) -> io::Result<ColumnCodec<'a>> {
        let meta = OptionalMetaExtractor::new(tme.iter_optional_meta())?;
        let mut signedness = meta.iter_signedness();
        let mut columns = Vec::with_capacity(tme.columns_count() as usize);
        for i in 0..tme.columns_count() as usize {
            let ty = match tme.get_column_type(i) {
                Ok(Some(ty)) => ty,
                Ok(None) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "No column type"))
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            };
            let unsigned = ty.is_numeric_type() && signedness.next().unwrap_or(false);
            columns.push((ty, tme.get_column_metadata(i).unwrap_or(&[]), unsigned));
        }
        Ok(ColumnCodec { columns })
    }
}

/// Every (before, after) image pair of `re`.
pub fn images<'a>(
    re: &'a RowsEventData<'a>,
    codec: &ColumnCodec<'a>,
) -> io::Result<Vec<(Option<Image<'a>>, Option<Image<'a>>)>> {
    let n = re.num_columns() as usize;
    if n > codec.columns.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "rows event has {n} columns, its table map {}",
                codec.columns.len()
            ),
        ));
    }
    // The columns each image holds (the event's column bitmaps), once per event.
    let [before, after] = [re.columns_before_image(), re.columns_after_image()].map(|bits| {
        bits.map(|b| {
            (0..n)
                .filter(|&i| b.get(i).is_some_and(|x| *x))
                .collect::<Vec<usize>>()
        })
    });
    let mut buf = ParseBuf(re.rows_data());
    let mut out = Vec::new();
    while !buf.is_empty() {
        let b = before
            .as_deref()
            .map(|p| image(&mut buf, p, codec))
            .transpose()?;
        let a = after
            .as_deref()
            .map(|p| image(&mut buf, p, codec))
            .transpose()?;
        out.push((b, a));
    }
    Ok(out)
}

/// One image at the start of `buf`: its null bitmap, then the values of the `present` columns
/// (their indices, ascending).
fn image<'a>(
    buf: &mut ParseBuf<'a>,
    present: &[usize],
    codec: &ColumnCodec<'a>,
) -> io::Result<Image<'a>> {
    let nulls: &'a [u8] = buf.parse(present.len().div_ceil(8))?;
    let mut values = Vec::with_capacity(present.len());
    // `at`: the column's place among the image's columns (its bit in the null bitmap).
    for (at, &i) in present.iter().enumerate() {
        let null = nulls.get(at / 8).is_none_or(|b| b >> (at % 8) & 1 == 1);
        if null {
            values.push(BinlogValue::Value(mysql::Value::NULL));
            continue;
        }
        let (ty, meta, unsigned) = codec.columns[i];
        values.push(buf.parse::<BinlogValue<'a>>((ty, meta, unsigned, false))?);
    }
    Ok(values)
}
