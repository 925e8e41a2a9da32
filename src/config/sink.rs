//! The Stream Load side of a rule (`flink.starrocks.sink.*`), parsed once into typed options:
//! the body format (CSV separators decoded the way StarRocks decodes them), the flush limits and
//! the pass-through `sink.properties.*` headers. The generated Flink sink and `smt sync` read
//! the same [`SinkOptions`], so they cannot disagree about the format.

/// A CSV `column_separator` / `row_delimiter`: the header text as configured, and the bytes
/// StarRocks makes of it. StarRocks decodes only a whole-string hex form `\xHH..` / `0xHH..`
/// (FE `analysis/Delimiter.java` `convertDelimiter`); anything else is taken literally, so `\t`
/// is the two characters `\` and `t`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Separator {
    pub text: String,
    pub bytes: Vec<u8>,
}

/// StarRocks' limit on a separator or delimiter, in bytes.
pub const SEPARATOR_MAX_BYTES: usize = 50;

impl Separator {
    pub fn parse(text: &str) -> Result<Separator, String> {
        if text.is_empty() {
            return Err("is empty".into());
        }
        let upper = text.get(..2).map(str::to_ascii_uppercase);
        let bytes = if matches!(upper.as_deref(), Some("\\X") | Some("0X")) {
            let hex = &text[2..];
            if hex.is_empty()
                || !hex.len().is_multiple_of(2)
                || !hex.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return Err(format!(
                    "{text:?}: after \\x (or 0x) StarRocks expects an even number of hex digits"
                ));
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0))
                .collect()
        } else {
            text.as_bytes().to_vec()
        };
        if bytes.len() > SEPARATOR_MAX_BYTES {
            return Err(format!(
                "{text:?} is longer than StarRocks' {SEPARATOR_MAX_BYTES}-byte limit"
            ));
        }
        Ok(Separator {
            text: text.to_string(),
            bytes,
        })
    }

    /// The separator for raw bytes, written in the hex form StarRocks decodes.
    pub fn from_bytes(bytes: &[u8]) -> Separator {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Separator {
            text: format!("\\x{hex}"),
            bytes: bytes.to_vec(),
        }
    }
}

/// Body format of Stream Loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkFormat {
    Csv {
        column_separator: Separator,
        row_delimiter: Separator,
    },
    /// `strip_outer_array: true`, an array of objects keyed by column name.
    Json,
}

/// Why the format is what it is (the summary says so when smt chose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatSource {
    /// `sink.properties.format` is set.
    Configured,
    /// No format, but CSV separators are set: CSV.
    ImpliedBySeparators,
    /// Nothing set: smt's default (JSON).
    Default,
}

/// `sink.buffer-flush.*` as configured (None = the consumer's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushOptions {
    pub max_rows: Option<u64>,
    pub max_bytes: Option<u64>,
    pub interval_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkOptions {
    pub format: SinkFormat,
    pub format_source: FormatSource,
    pub flush: FlushOptions,
    /// `sink.properties.*` other than the ones smt manages ([`MANAGED_HEADERS`]), in file order,
    /// sent as Stream Load headers.
    pub headers: Vec<(String, String)>,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            format: SinkFormat::Json,
            format_source: FormatSource::Default,
            flush: FlushOptions::default(),
            headers: Vec::new(),
        }
    }
}

/// Stream Load headers smt sets itself from the plan and the options above.
pub const MANAGED_HEADERS: [&str; 11] = [
    "format",
    "column_separator",
    "row_delimiter",
    "label",
    "strict_mode",
    "strip_outer_array",
    "columns",
    "max_filter_ratio",
    "jsonpaths",
    "json_root",
    "ignore_json_size",
];

/// One problem with a sink option: the option key (without `flink.starrocks.`) and the message.
pub type SinkProblem = (String, String);

impl SinkOptions {
    /// From a rule's `flink.starrocks.*` options (prefix stripped), later keys winning.
    pub fn from_options(opts: &[(String, String)]) -> Result<SinkOptions, Vec<SinkProblem>> {
        let get = |k: &str| {
            opts.iter()
                .rev()
                .find(|(kk, _)| kk == k)
                .map(|(_, v)| v.as_str())
        };
        let mut problems: Vec<SinkProblem> = Vec::new();
        let mut num = |k: &str, min: u64| -> Option<u64> {
            let v = get(k)?;
            match v.trim().parse::<u64>() {
                Ok(n) if n >= min => Some(n),
                _ => {
                    problems.push((
                        k.to_string(),
                        format!("{v:?} is not a whole number ≥ {min}"),
                    ));
                    None
                }
            }
        };
        let flush = FlushOptions {
            max_rows: num("sink.buffer-flush.max-rows", 1),
            max_bytes: num("sink.buffer-flush.max-bytes", 1),
            interval_ms: num("sink.buffer-flush.interval-ms", 0),
        };
        let mut sep = |k: &str, default: &[u8]| -> Separator {
            match get(k) {
                None => Separator::from_bytes(default),
                Some(v) => Separator::parse(v).unwrap_or_else(|e| {
                    problems.push((k.to_string(), e));
                    Separator::from_bytes(default)
                }),
            }
        };
        let col = "sink.properties.column_separator";
        let row = "sink.properties.row_delimiter";
        let has_separators = get(col).is_some() || get(row).is_some();
        // StarRocks' CSV defaults are a tab and a newline.
        let column_separator = sep(col, b"\t");
        let row_delimiter = sep(row, b"\n");
        let csv = SinkFormat::Csv {
            column_separator,
            row_delimiter,
        };
        let (format, format_source) = match get("sink.properties.format") {
            Some(f) if f.trim().eq_ignore_ascii_case("csv") => (csv, FormatSource::Configured),
            Some(f) if f.trim().eq_ignore_ascii_case("json") => {
                (SinkFormat::Json, FormatSource::Configured)
            }
            Some(f) => {
                problems.push((
                    "sink.properties.format".into(),
                    format!("{f:?}: use csv or json"),
                ));
                (SinkFormat::Json, FormatSource::Configured)
            }
            None if has_separators => (csv, FormatSource::ImpliedBySeparators),
            None => (SinkFormat::Json, FormatSource::Default),
        };
        let headers = opts
            .iter()
            .filter_map(|(k, v)| {
                let h = k.strip_prefix("sink.properties.")?;
                (!MANAGED_HEADERS.contains(&h)).then(|| (h.to_string(), v.clone()))
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SinkOptions {
            format,
            format_source,
            flush,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn separators_decode_like_starrocks() {
        assert_eq!(Separator::parse("\\x01").unwrap().bytes, vec![1]);
        assert_eq!(Separator::parse("0x0d0A").unwrap().bytes, vec![13, 10]);
        assert_eq!(Separator::parse("\\X7C").unwrap().bytes, b"|");
        // Not hex: literal, like StarRocks (\t is two characters).
        assert_eq!(Separator::parse("\\t").unwrap().bytes, b"\\t");
        assert_eq!(Separator::parse("||").unwrap().bytes, b"||");
        assert!(Separator::parse("\\x1").is_err());
        assert!(Separator::parse("\\xzz").is_err());
        assert!(Separator::parse("").is_err());
        assert!(Separator::parse(&"a".repeat(51)).is_err());
        assert_eq!(Separator::from_bytes(b"\t").text, "\\x09");
    }

    #[test]
    fn format_follows_the_users_keys() {
        let d = SinkOptions::from_options(&[]).unwrap();
        assert_eq!(
            (d.format, d.format_source),
            (SinkFormat::Json, FormatSource::Default)
        );
        let s = SinkOptions::from_options(&o(&[
            ("sink.properties.column_separator", "\\x01"),
            ("sink.properties.row_delimiter", "\\x02"),
        ]))
        .unwrap();
        assert_eq!(s.format_source, FormatSource::ImpliedBySeparators);
        match s.format {
            SinkFormat::Csv {
                column_separator,
                row_delimiter,
            } => {
                assert_eq!(column_separator.bytes, vec![1]);
                assert_eq!(row_delimiter.bytes, vec![2]);
                assert_eq!(column_separator.text, "\\x01");
            }
            SinkFormat::Json => panic!("separators imply CSV"),
        }
        let c = SinkOptions::from_options(&o(&[("sink.properties.format", "CSV")])).unwrap();
        assert_eq!(
            c.format,
            SinkFormat::Csv {
                column_separator: Separator::from_bytes(b"\t"),
                row_delimiter: Separator::from_bytes(b"\n"),
            }
        );
        let j = SinkOptions::from_options(&o(&[
            ("sink.properties.column_separator", "\\x01"),
            ("sink.properties.format", "json"),
        ]))
        .unwrap();
        assert_eq!(j.format, SinkFormat::Json);
    }

    #[test]
    fn problems_are_listed_and_headers_pass_through() {
        let e = SinkOptions::from_options(&o(&[
            ("sink.properties.format", "parquet"),
            ("sink.buffer-flush.max-rows", "many"),
            ("sink.properties.column_separator", "\\x1"),
        ]))
        .unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        let s = SinkOptions::from_options(&o(&[
            ("sink.properties.timeout", "600"),
            ("sink.properties.format", "json"),
            ("sink.buffer-flush.interval-ms", "250"),
        ]))
        .unwrap();
        assert_eq!(s.headers, o(&[("timeout", "600")]));
        assert_eq!(s.flush.interval_ms, Some(250));
    }
}
