//! Property: whatever the source types, keys and options, every plan passes the StarRocks
//! semantic-rules checker, and planning never panics.

#[path = "common/plan_fixtures.rs"]
mod fx;
#[path = "common/sr_rules.rs"]
mod sr_rules;

use fx::*;
use proptest::prelude::*;
use smt::plan;
use smt::schema::{
    ColumnDefault, ColumnDesc, GeometryKind, IntWidth, KeyKind, SourceType, TableDesc, TextKind,
};

fn width() -> impl Strategy<Value = IntWidth> {
    prop_oneof![
        Just(IntWidth::Tiny),
        Just(IntWidth::Small),
        Just(IntWidth::Medium),
        Just(IntWidth::Int),
        Just(IntWidth::Big)
    ]
}
fn kind() -> impl Strategy<Value = TextKind> {
    prop_oneof![
        Just(TextKind::Tiny),
        Just(TextKind::Text),
        Just(TextKind::Medium),
        Just(TextKind::Long)
    ]
}

fn source_type() -> impl Strategy<Value = SourceType> {
    prop_oneof![
        (width(), any::<bool>(), proptest::option::of(0u32..12)).prop_map(|(w, u, d)| {
            SourceType::Int {
                width: w,
                unsigned: u,
                display: d,
            }
        }),
        (1u32..=64).prop_map(SourceType::Bit),
        any::<bool>().prop_map(|u| SourceType::Float { unsigned: u }),
        any::<bool>().prop_map(|u| SourceType::Double { unsigned: u }),
        (1u32..=65, 0u32..=30, any::<bool>()).prop_map(|(p, s, u)| SourceType::Decimal {
            precision: p,
            scale: s.min(p),
            unsigned: u
        }),
        (0u32..=255).prop_map(SourceType::Char),
        (0u32..=400_000).prop_map(SourceType::Varchar),
        kind().prop_map(SourceType::Text),
        (0u32..=255).prop_map(SourceType::Binary),
        (0u32..=65_535).prop_map(SourceType::Varbinary),
        kind().prop_map(SourceType::Blob),
        Just(SourceType::Date),
        (0u8..=6).prop_map(|f| SourceType::DateTime { fsp: f }),
        (0u8..=6).prop_map(|f| SourceType::Timestamp { fsp: f }),
        (0u8..=6).prop_map(|f| SourceType::Time { fsp: f }),
        Just(SourceType::Year),
        proptest::collection::vec("[a-zé]{0,6}", 0..5).prop_map(SourceType::Enum),
        proptest::collection::vec("[a-z]{1,6}", 0..5).prop_map(SourceType::Set),
        Just(SourceType::Json),
        Just(SourceType::Geometry(GeometryKind::Point)),
        Just(SourceType::Unknown("uuid".into())),
    ]
}

fn default() -> impl Strategy<Value = ColumnDefault> {
    prop_oneof![
        Just(ColumnDefault::None),
        Just(ColumnDefault::Null),
        Just(ColumnDefault::CurrentTimestamp),
        Just(ColumnDefault::Expression("uuid()".into())),
        "[-0-9. :a-z]{0,20}".prop_map(ColumnDefault::Literal),
        Just(ColumnDefault::Literal("2024-01-31 10:00:00".into())),
        Just(ColumnDefault::Literal("0000-00-00".into())),
        Just(ColumnDefault::Literal("1".into())),
    ]
}

fn column() -> impl Strategy<Value = (SourceType, bool, ColumnDefault, Option<&'static str>, bool)>
{
    (
        source_type(),
        any::<bool>(),
        default(),
        prop_oneof![
            Just(None),
            Just(Some("utf8mb4")),
            Just(Some("latin1")),
            Just(Some("utf8mb3")),
            Just(Some("zz"))
        ],
        any::<bool>(),
    )
}

fn build_table(
    db: &str,
    name: &str,
    cols: &[(SourceType, bool, ColumnDefault, Option<&'static str>, bool)],
    key: &[usize],
    unique: bool,
) -> TableDesc {
    let columns: Vec<ColumnDesc> = cols
        .iter()
        .enumerate()
        .map(|(i, (ty, nullable, def, cs, with_octets))| {
            let mut c = col(&format!("c{i}"), ty.clone(), *nullable);
            c.default = def.clone();
            c.charset = cs.map(String::from);
            c.octet_length = match ty {
                SourceType::Char(n) | SourceType::Varchar(n) if *with_octets => Some(*n as u64 * 4),
                _ => None,
            };
            if key.contains(&i) && !unique {
                c.nullable = false;
            }
            c
        })
        .collect();
    let mut key_cols: Vec<String> = key
        .iter()
        .filter(|&&i| i < columns.len())
        .map(|i| format!("c{i}"))
        .collect();
    key_cols.dedup();
    let keys = if key_cols.is_empty() {
        vec![]
    } else if unique {
        vec![fx::key(
            "uk",
            KeyKind::Unique,
            &key_cols.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        )]
    } else {
        vec![pk(&key_cols.iter().map(|s| s.as_str()).collect::<Vec<_>>())]
    };
    table(db, name, columns, keys)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_plan_passes_the_checker(
        cols in proptest::collection::vec(column(), 1..8),
        cols2 in proptest::collection::vec(column(), 1..8),
        drift in any::<bool>(),
        key in proptest::collection::vec(0usize..8, 0..3),
        unique in any::<bool>(),
        shards in 1usize..4,
        be_num in 1u32..5,
        version in prop_oneof![Just((2u32, 5u32)), Just((3, 3)), Just((4, 0))],
        unknown_ok in any::<bool>(),
        tiny_bool in any::<bool>(),
        decimal_v3 in any::<bool>(),
        origin in any::<bool>(),
        data_length in 0u64..(1u64 << 40),
    ) {
        let mut cfg = config(vec![rule("1", ".*", ".*")]);
        cfg.other.be_num = be_num;
        cfg.other.starrocks_version = version;
        cfg.other.unknown_type_as_string = unknown_ok;
        cfg.other.tinyint1_as_boolean = tiny_bool;
        cfg.other.use_decimal_v3 = decimal_v3;
        cfg.other.shard_origin_columns = origin;
        let tables: Vec<TableDesc> = (0..shards)
            .map(|i| {
                let c = if drift && i == 1 { &cols2 } else { &cols };
                let mut t = build_table(&format!("db_{i}"), "t", c, &key, unique);
                t.data_length = data_length;
                t
            })
            .collect();
        match plan::build(&cfg, &tables) {
            Ok(p) => {
                for tp in p.tables() {
                    let v = sr_rules::check_plan(tp, be_num, version);
                    prop_assert!(v.is_empty(), "{:?}\n{:#?}", v, tp);
                }
            }
            Err(e) => {
                // The only expected failures: unknown types without the option, or tables
                // with no possible sort key.
                let msg = e.to_string();
                prop_assert!(
                    (!unknown_ok && msg.contains("unsupported type")) || msg.contains("no column can be a DUPLICATE KEY"),
                    "{}", msg
                );
            }
        }
    }
}

fn flink_type_ok(t: &str) -> bool {
    let re = regex::Regex::new(
        r"^(BOOLEAN|TINYINT|SMALLINT|INT|BIGINT|FLOAT|DOUBLE|STRING|BYTES|DATE|DECIMAL\((\d+), (\d+)\)|TIMESTAMP\([0-6]\)|TIMESTAMP_LTZ\([0-6]\)|TIME\([0-6]\)|CHAR\([1-9]\d*\)|VARCHAR\([1-9]\d*\))$",
    )
    .expect("regex");
    match re.captures(t) {
        None => false,
        Some(c) => match (c.get(2), c.get(3)) {
            (Some(p), Some(s)) => {
                let (p, s): (u32, u32) = (
                    p.as_str().parse().unwrap_or(99),
                    s.as_str().parse().unwrap_or(99),
                );
                (1..=38).contains(&p) && s <= p
            }
            _ => true,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn mapping_invariants(
        (ty, nullable, def, cs, with_octets) in column(),
        in_pk in any::<bool>(),
        version in prop_oneof![Just((2u32, 5u32)), Just((3, 3)), Just((4, 0))],
        tiny_bool in any::<bool>(),
        decimal_v3 in any::<bool>(),
    ) {
        use smt::mapping::{map_column, pk_type_ok, MapCtx};
        let t = build_table("d", "t", &[(ty, nullable, def, cs, with_octets)], &[], false);
        let c = &t.columns[0];
        let ctx = MapCtx {
            table: "d.t",
            use_decimal_v3: decimal_v3,
            tinyint1_as_boolean: tiny_bool,
            unknown_type_as_string: true,
            starrocks_version: version,
            in_primary_key: in_pk,
        };
        let m = map_column(c, &ctx).expect("unknown types allowed");
        prop_assert!(flink_type_ok(&m.flink_type), "sink {}", m.flink_type);
        prop_assert!(flink_type_ok(&m.flink_source_type), "source {}", m.flink_source_type);
        if in_pk && m.pk_ok {
            prop_assert!(pk_type_ok(m.sr_type), "{:?} in PK", m.sr_type);
        }
        // The type must be accepted by the checker as a plain column.
        let shape = sr_rules::Shape {
            table: "d.t".into(),
            columns: vec![("c".into(), m.sr_type.to_string(), true, None)],
            model: "DUPLICATE".into(),
            key: vec![],
            distributed_by: vec![],
            buckets: None,
            replication_num: Some(1),
        };
        let v: Vec<String> = sr_rules::check_shape(&shape, 1, version)
            .into_iter()
            .filter(|e| !e.contains("empty key") && !e.contains("distribution"))
            .collect();
        prop_assert!(v.is_empty(), "{:?}", v);
        if let Some(smt::plan::SrDefault::CurrentTimestamp) = m.default {
            prop_assert_eq!(m.sr_type, smt::plan::SrType::DateTime);
        }
    }
}
