use super::*;
use crate::schema::{ColumnDefault, GeometryKind};

fn cd(ty: SourceType) -> ColumnDesc {
    ColumnDesc {
        name: "c".into(),
        ordinal: 1,
        ty,
        column_type: String::new(),
        nullable: true,
        default: ColumnDefault::None,
        comment: String::new(),
        generated: None,
        charset: None,
        octet_length: None,
        on_update_current_timestamp: false,
    }
}

fn tc(sr: SrType, enc: Encoding, ty: &SourceType) -> TargetColumn {
    TargetColumn {
        name: "c".into(),
        sr_type: sr,
        flink_type: String::new(),
        flink_source_type: String::new(),
        nullable: true,
        default: None,
        comment: String::new(),
        origin: ColumnOrigin::Source {
            name: "c".into(),
            ty: ty.clone(),
        },
        encoding: enc,
    }
}

/// Render `v` on both paths and require the same result; return it.
fn both(v: Value, ty: SourceType, sr: SrType, enc: Encoding) -> Cell {
    both_tz(v, ty, sr, enc, &TimeZoneSpec::Fixed(0))
}

fn both_tz(v: Value, ty: SourceType, sr: SrType, enc: Encoding, tz: &TimeZoneSpec) -> Cell {
    let c = cd(ty.clone());
    let t = tc(sr, enc, &ty);
    let mut st = DecodeStats::default();
    let a = decode_snapshot(&v, &t, &c, tz, &mut st).unwrap();
    let taken = decode_snapshot_take(&mut v.clone(), &t, &c, tz, &mut st).unwrap();
    assert_eq!(a, taken, "the owned snapshot path decodes alike");
    let b = decode_binlog(&BinlogValue::Value(v), &t, &c, tz, &mut st).unwrap();
    assert_eq!(a, b);
    a
}

fn int(width: IntWidth, unsigned: bool) -> SourceType {
    SourceType::Int {
        width,
        unsigned,
        display: None,
    }
}

fn n(s: &str) -> Cell {
    Cell::Num(s.into())
}
fn s(x: &str) -> Cell {
    Cell::Str(x.into())
}

#[test]
fn unsigned_logged_signed_is_reinterpreted() {
    assert_eq!(
        both(
            Value::Int(-1),
            int(IntWidth::Big, true),
            SrType::LargeInt,
            Encoding::Plain
        ),
        n("18446744073709551615")
    );
    assert_eq!(
        both(
            Value::UInt(u64::MAX),
            int(IntWidth::Big, true),
            SrType::LargeInt,
            Encoding::Plain
        ),
        n("18446744073709551615")
    );
    assert_eq!(
        both(
            Value::Int(-1),
            int(IntWidth::Int, true),
            SrType::BigInt,
            Encoding::Plain
        ),
        n("4294967295")
    );
    assert_eq!(
        both(
            Value::Int(4294967295),
            int(IntWidth::Int, true),
            SrType::BigInt,
            Encoding::Plain
        ),
        n("4294967295")
    );
    assert_eq!(
        both(
            Value::Int(-1),
            int(IntWidth::Medium, true),
            SrType::Int,
            Encoding::Plain
        ),
        n("16777215")
    );
    assert_eq!(
        both(
            Value::Int(-1),
            int(IntWidth::Small, true),
            SrType::Int,
            Encoding::Plain
        ),
        n("65535")
    );
    assert_eq!(
        both(
            Value::Int(-56),
            int(IntWidth::Tiny, true),
            SrType::SmallInt,
            Encoding::Plain
        ),
        n("200")
    );
    // Signed columns keep their sign.
    assert_eq!(
        both(
            Value::Int(-128),
            int(IntWidth::Tiny, false),
            SrType::TinyInt,
            Encoding::Plain
        ),
        n("-128")
    );
    assert_eq!(
        both(
            Value::Int(i64::MIN),
            int(IntWidth::Big, false),
            SrType::BigInt,
            Encoding::Plain
        ),
        n("-9223372036854775808")
    );
    // An int held in a text target is a string.
    assert_eq!(
        both(
            Value::Int(7),
            int(IntWidth::Int, false),
            SrType::Varchar(11),
            Encoding::Plain
        ),
        s("7")
    );
}

#[test]
fn null_and_empty_string_stay_distinct() {
    assert_eq!(
        both(
            Value::NULL,
            SourceType::Varchar(5),
            SrType::Varchar(20),
            Encoding::Plain
        ),
        Cell::Null
    );
    assert_eq!(
        both(
            Value::Bytes(vec![]),
            SourceType::Varchar(5),
            SrType::Varchar(20),
            Encoding::Plain
        ),
        s("")
    );
    assert_eq!(
        both(
            Value::NULL,
            SourceType::Timestamp { fsp: 0 },
            SrType::DateTime,
            Encoding::Timestamp
        ),
        Cell::Null
    );
}

#[test]
fn utf8mb4_text_and_invalid_bytes() {
    assert_eq!(
        both(
            Value::Bytes("héllo 😀".as_bytes().to_vec()),
            SourceType::Text(crate::schema::TextKind::Text),
            SrType::Varchar(100),
            Encoding::Plain
        ),
        s("héllo 😀")
    );
    let c = cd(SourceType::Varchar(5));
    let t = tc(SrType::Varchar(5), Encoding::Plain, &c.ty);
    let err = decode_snapshot(
        &Value::Bytes(vec![0xff, 0]),
        &t,
        &c,
        &TimeZoneSpec::Fixed(0),
        &mut DecodeStats::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    let taken = decode_snapshot_take(
        &mut Value::Bytes(vec![0xff, 0]),
        &t,
        &c,
        &TimeZoneSpec::Fixed(0),
        &mut DecodeStats::default(),
    )
    .unwrap_err();
    assert_eq!(taken.to_string(), err.to_string());
}

#[test]
fn bool_and_bits() {
    assert_eq!(
        both(
            Value::Bytes(vec![1]),
            SourceType::Bit(1),
            SrType::Boolean,
            Encoding::Bool
        ),
        n("1")
    );
    assert_eq!(
        both(
            Value::Bytes(vec![0]),
            SourceType::Bit(1),
            SrType::Boolean,
            Encoding::Bool
        ),
        n("0")
    );
    assert_eq!(
        both(
            Value::Int(1),
            int(IntWidth::Tiny, false),
            SrType::Boolean,
            Encoding::Bool
        ),
        n("1")
    );
    assert_eq!(
        both(
            Value::Int(0),
            int(IntWidth::Tiny, false),
            SrType::Boolean,
            Encoding::Bool
        ),
        n("0")
    );
    assert_eq!(
        both(
            Value::Bytes(vec![0xff; 8]),
            SourceType::Bit(64),
            SrType::LargeInt,
            Encoding::BitAsInteger
        ),
        n("18446744073709551615")
    );
    assert_eq!(
        both(
            Value::Bytes(vec![0x02, 0xaa]),
            SourceType::Bit(10),
            SrType::BigInt,
            Encoding::BitAsInteger
        ),
        n("682")
    );
}

#[test]
fn decimals_are_canonical() {
    let ty = SourceType::Decimal {
        precision: 65,
        scale: 30,
        unsigned: false,
    };
    let v = "-12345678901234567890123456789012345.123456789012345678901234567890";
    assert_eq!(
        both(
            Value::Bytes(v.into()),
            ty.clone(),
            SrType::Varchar(67),
            Encoding::DecimalText
        ),
        s(v)
    );
    assert_eq!(
        both(
            Value::Bytes("-0.000000000000000000000000000001".into()),
            ty.clone(),
            SrType::Varchar(67),
            Encoding::DecimalText
        ),
        s("-0.000000000000000000000000000001")
    );
    let ty4 = SourceType::Decimal {
        precision: 20,
        scale: 4,
        unsigned: false,
    };
    assert_eq!(
        both(
            Value::Bytes("-.5".into()),
            ty4.clone(),
            SrType::Decimal(20, 4),
            Encoding::DecimalText
        ),
        n("-0.5000")
    );
    assert_eq!(
        both(
            Value::Bytes("-0.0000".into()),
            ty4.clone(),
            SrType::Decimal(20, 4),
            Encoding::Plain
        ),
        n("0.0000")
    );
    assert_eq!(
        both(
            Value::Bytes("007.1".into()),
            ty4,
            SrType::Decimal(20, 4),
            Encoding::Plain
        ),
        n("7.1000")
    );
    assert_eq!(canonical_decimal("12", Some(0)).unwrap(), "12");
    assert!(canonical_decimal("1e5", None).is_err());
    assert!(canonical_decimal("1.23456", Some(2)).is_err());
}

#[test]
fn floats_shortest_round_trip() {
    assert_eq!(
        both(
            Value::Double(0.1),
            SourceType::Double { unsigned: false },
            SrType::Double,
            Encoding::Plain
        ),
        n("0.1")
    );
    assert_eq!(
        both(
            Value::Float(1.1),
            SourceType::Float { unsigned: false },
            SrType::Float,
            Encoding::Plain
        ),
        n("1.1")
    );
    assert_eq!(
        both(
            Value::Double(-1.5e300),
            SourceType::Double { unsigned: false },
            SrType::Double,
            Encoding::Plain
        ),
        n("-1.5e300")
    );
    let d = |f: f64| {
        both(
            Value::Double(f),
            SourceType::Double { unsigned: false },
            SrType::Double,
            Encoding::Plain,
        )
    };
    assert_eq!(d(2.5e-7), n("2.5e-7"));
    assert_eq!(d(123456.789), n("123456.789"));
    assert_eq!(d(-0.0), n("-0"));
    assert_eq!(d(1e15), n("1000000000000000"));
    assert_eq!(d(1e16), n("1e16"));
    let f = both(
        Value::Float(3.0e38),
        SourceType::Float { unsigned: false },
        SrType::Float,
        Encoding::Plain,
    );
    assert_eq!(f, n("3e38"));
}

#[test]
fn hex_of_binary_with_nul() {
    assert_eq!(
        both(
            Value::Bytes(vec![0, 0xAB, 0x10, 0]),
            SourceType::Varbinary(4),
            SrType::Varchar(8),
            Encoding::Hex
        ),
        s("00ab1000")
    );
    assert_eq!(
        both(
            Value::Bytes(vec![]),
            SourceType::Varbinary(4),
            SrType::Varchar(8),
            Encoding::Hex
        ),
        s("")
    );
}

#[test]
fn datetimes_keep_fsp_and_zero_dates_are_null() {
    let ty = SourceType::DateTime { fsp: 6 };
    assert_eq!(
        both(
            Value::Date(2024, 2, 29, 23, 59, 59, 1),
            ty.clone(),
            SrType::DateTime,
            Encoding::DateTime
        ),
        s("2024-02-29 23:59:59.000001")
    );
    assert_eq!(
        both(
            Value::Date(2024, 2, 29, 23, 59, 59, 123000),
            SourceType::DateTime { fsp: 3 },
            SrType::DateTime,
            Encoding::DateTime
        ),
        s("2024-02-29 23:59:59.123")
    );
    assert_eq!(
        both(
            Value::Date(1000, 1, 1, 0, 0, 0, 0),
            SourceType::DateTime { fsp: 0 },
            SrType::DateTime,
            Encoding::DateTime
        ),
        s("1000-01-01 00:00:00")
    );
    assert_eq!(
        both(
            Value::Date(2024, 12, 31, 0, 0, 0, 0),
            SourceType::Date,
            SrType::Date,
            Encoding::Plain
        ),
        s("2024-12-31")
    );
    let c = cd(ty.clone());
    let t = tc(SrType::DateTime, Encoding::DateTime, &ty);
    let mut st = DecodeStats::default();
    assert_eq!(
        decode_snapshot(
            &Value::Date(0, 0, 0, 0, 0, 0, 0),
            &t,
            &c,
            &TimeZoneSpec::Fixed(0),
            &mut st
        )
        .unwrap(),
        Cell::Null
    );
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Date(2024, 0, 5, 0, 0, 0, 0)),
            &t,
            &c,
            &TimeZoneSpec::Fixed(0),
            &mut st
        )
        .unwrap(),
        Cell::Null
    );
    assert_eq!(st.zero_dates, 2);
    // Text form (text protocol) renders the same.
    assert_eq!(
        both(
            Value::Bytes("2024-02-29 23:59:59.000001".into()),
            ty,
            SrType::DateTime,
            Encoding::DateTime
        ),
        s("2024-02-29 23:59:59.000001")
    );
}

#[test]
fn timestamps_in_configured_zone() {
    let ty = SourceType::Timestamp { fsp: 6 };
    let utc = TimeZoneSpec::Fixed(0);
    let cst = TimeZoneSpec::parse("+08:00").unwrap();
    // Binlog text "sec.usec" and the snapshot's UNIX_TIMESTAMP decimal both parse the same.
    assert_eq!(
        both_tz(
            Value::Bytes("1704164645.000001".into()),
            ty.clone(),
            SrType::DateTime,
            Encoding::Timestamp,
            &utc
        ),
        s("2024-01-02 03:04:05.000001")
    );
    assert_eq!(
        both_tz(
            Value::Bytes("1704164645.000001".into()),
            ty.clone(),
            SrType::DateTime,
            Encoding::Timestamp,
            &cst
        ),
        s("2024-01-02 11:04:05.000001")
    );
    let ty0 = SourceType::Timestamp { fsp: 0 };
    assert_eq!(
        both_tz(
            Value::Int(1704164645),
            ty0.clone(),
            SrType::DateTime,
            Encoding::Timestamp,
            &cst
        ),
        s("2024-01-02 11:04:05")
    );
    assert_eq!(
        both_tz(
            Value::Bytes("1704164645".into()),
            ty0.clone(),
            SrType::DateTime,
            Encoding::Timestamp,
            &cst
        ),
        s("2024-01-02 11:04:05")
    );
    let named = TimeZoneSpec::parse("Asia/Shanghai").unwrap();
    assert_eq!(
        both_tz(
            Value::Int(1704164645),
            ty0.clone(),
            SrType::DateTime,
            Encoding::Timestamp,
            &named
        ),
        s("2024-01-02 11:04:05")
    );
    assert_eq!(
        both_tz(
            Value::Bytes("2147483647".into()),
            ty0.clone(),
            SrType::DateTime,
            Encoding::Timestamp,
            &utc
        ),
        s("2038-01-19 03:14:07")
    );
    // Zero TIMESTAMP → NULL.
    assert_eq!(
        both_tz(
            Value::Int(0),
            ty0,
            SrType::DateTime,
            Encoding::Timestamp,
            &utc
        ),
        Cell::Null
    );
    assert!(TimeZoneSpec::parse("Mars/Base").is_err());
    assert!(TimeZoneSpec::parse("+25:00").is_err());
    assert!(matches!(
        TimeZoneSpec::parse("-05:30").unwrap(),
        TimeZoneSpec::Fixed(-19800)
    ));
}

#[test]
fn times_and_years() {
    assert_eq!(
        both(
            Value::Time(true, 34, 22, 59, 59, 0),
            SourceType::Time { fsp: 6 },
            SrType::Varchar(17),
            Encoding::Time
        ),
        s("-838:59:59.000000")
    );
    assert_eq!(
        both(
            Value::Time(false, 0, 1, 2, 3, 500000),
            SourceType::Time { fsp: 1 },
            SrType::Varchar(17),
            Encoding::Time
        ),
        s("01:02:03.5")
    );
    assert_eq!(
        both(
            Value::Time(true, 0, 0, 0, 0, 0),
            SourceType::Time { fsp: 0 },
            SrType::Varchar(17),
            Encoding::Time
        ),
        s("00:00:00")
    );
    assert_eq!(
        both(
            Value::Bytes("-838:59:59".into()),
            SourceType::Time { fsp: 0 },
            SrType::Varchar(17),
            Encoding::Time
        ),
        s("-838:59:59")
    );
    assert_eq!(
        both(
            Value::Int(2155),
            SourceType::Year,
            SrType::SmallInt,
            Encoding::Plain
        ),
        n("2155")
    );
    let c = cd(SourceType::Year);
    let t = tc(SrType::SmallInt, Encoding::Plain, &c.ty);
    let mut st = DecodeStats::default();
    // mysql_common decodes binlog YEAR as text 1900+b: 0000 arrives as "1900", 2155 as "2155".
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Bytes("1900".into())),
            &t,
            &c,
            &TimeZoneSpec::Fixed(0),
            &mut st
        )
        .unwrap(),
        n("0")
    );
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Bytes("2155".into())),
            &t,
            &c,
            &TimeZoneSpec::Fixed(0),
            &mut st
        )
        .unwrap(),
        n("2155")
    );
    assert_eq!(
        decode_snapshot(&Value::Int(0), &t, &c, &TimeZoneSpec::Fixed(0), &mut st).unwrap(),
        n("0")
    );
}

#[test]
fn enum_and_set_labels() {
    let e = SourceType::Enum(vec!["a".into(), "b".into(), "c".into()]);
    assert_eq!(
        both(
            Value::Int(2),
            e.clone(),
            SrType::Varchar(1),
            Encoding::EnumLabel
        ),
        s("b")
    );
    assert_eq!(
        both(
            Value::Int(0),
            e.clone(),
            SrType::Varchar(1),
            Encoding::EnumLabel
        ),
        s("")
    );
    let st = SourceType::Set(vec!["x".into(), "y".into(), "z".into()]);
    let c = cd(st.clone());
    let t = tc(SrType::Varchar(5), Encoding::SetLabels, &st);
    let tz = TimeZoneSpec::Fixed(0);
    let mut rs = DecodeStats::default();
    // Binlog: little-endian mask bytes; snapshot: (col+0) integer.
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Bytes(vec![5])),
            &t,
            &c,
            &tz,
            &mut rs
        )
        .unwrap(),
        s("x,z")
    );
    assert_eq!(
        decode_snapshot(&Value::Int(5), &t, &c, &tz, &mut rs).unwrap(),
        s("x,z")
    );
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Bytes(vec![0])),
            &t,
            &c,
            &tz,
            &mut rs
        )
        .unwrap(),
        s("")
    );
    assert_eq!(
        decode_snapshot(&Value::Int(0), &t, &c, &tz, &mut rs).unwrap(),
        s("")
    );
    // A 9..16-member set: two mask bytes, little-endian.
    let labels: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    let st2 = SourceType::Set(labels);
    let c2 = cd(st2.clone());
    let t2 = tc(SrType::Varchar(50), Encoding::SetLabels, &st2);
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Bytes(vec![0x01, 0x02])),
            &t2,
            &c2,
            &tz,
            &mut rs
        )
        .unwrap(),
        s("l0,l9")
    );
    assert_eq!(
        decode_snapshot(&Value::Int(0x201), &t2, &c2, &tz, &mut rs).unwrap(),
        s("l0,l9")
    );
    // Out of range → an error, never a wrong label.
    assert!(decode_snapshot(
        &Value::Int(4),
        &tc(SrType::Varchar(1), Encoding::EnumLabel, &e),
        &cd(e.clone()),
        &tz,
        &mut rs
    )
    .is_err());
}

fn le_point(x: f64, y: f64) -> Vec<u8> {
    let mut v = vec![1u8];
    v.extend(1u32.to_le_bytes());
    v.extend(x.to_le_bytes());
    v.extend(y.to_le_bytes());
    v
}

#[test]
fn geometry_wkb_to_wkt() {
    let g = SourceType::Geometry(GeometryKind::Geometry);
    let mut internal = 0u32.to_le_bytes().to_vec();
    internal.extend(le_point(1.0, -2.5));
    assert_eq!(
        both(
            Value::Bytes(internal),
            g.clone(),
            SrType::Varchar(1048576),
            Encoding::Wkt
        ),
        s("POINT(1 -2.5)")
    );
    // Polygon with one ring, big-endian WKB.
    let mut poly = vec![0u8];
    poly.extend(3u32.to_be_bytes());
    poly.extend(1u32.to_be_bytes());
    poly.extend(4u32.to_be_bytes());
    for (x, y) in [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 0.0)] {
        poly.extend(f64::to_be_bytes(x));
        poly.extend(f64::to_be_bytes(y));
    }
    assert_eq!(
        wkb::wkb_to_wkt(&poly).unwrap(),
        "POLYGON((0 0,10 0,10 10,0 0))"
    );
    // MultiPoint and GeometryCollection.
    let mut mp = vec![1u8];
    mp.extend(4u32.to_le_bytes());
    mp.extend(2u32.to_le_bytes());
    mp.extend(le_point(1.0, 1.0));
    mp.extend(le_point(2.0, 2.0));
    assert_eq!(wkb::wkb_to_wkt(&mp).unwrap(), "MULTIPOINT(1 1,2 2)");
    let mut gc = vec![1u8];
    gc.extend(7u32.to_le_bytes());
    gc.extend(2u32.to_le_bytes());
    gc.extend(le_point(1.0, 1.0));
    gc.extend(&mp);
    assert_eq!(
        wkb::wkb_to_wkt(&gc).unwrap(),
        "GEOMETRYCOLLECTION(POINT(1 1),MULTIPOINT(1 1,2 2))"
    );
    let mut empty = vec![1u8];
    empty.extend(7u32.to_le_bytes());
    empty.extend(0u32.to_le_bytes());
    assert_eq!(wkb::wkb_to_wkt(&empty).unwrap(), "GEOMETRYCOLLECTION EMPTY");
    // Truncated / absurd input is an error, not a panic.
    assert!(wkb::wkb_to_wkt(&poly[..20]).is_err());
    let mut huge = vec![1u8];
    huge.extend(2u32.to_le_bytes());
    huge.extend(u32::MAX.to_le_bytes());
    assert!(wkb::wkb_to_wkt(&huge).is_err());
    assert!(wkb::internal_to_wkt(&[1, 2]).is_err());
}

#[test]
fn json_text_and_jsonb() {
    let j = SourceType::Json;
    assert_eq!(
        both(
            Value::Bytes(br#"{"k": [1, "a"]}"#.to_vec()),
            j.clone(),
            SrType::Json,
            Encoding::Json
        ),
        Cell::Json(r#"{"k": [1, "a"]}"#.into())
    );
    let c = cd(j.clone());
    let t = tc(SrType::Json, Encoding::Json, &j);
    let err = decode_binlog(
        &BinlogValue::JsonDiff(vec![]),
        &t,
        &c,
        &TimeZoneSpec::Fixed(0),
        &mut DecodeStats::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("binlog_row_value_options"),
        "{err}"
    );
}

#[test]
fn select_list_uses_raw_forms() {
    let mut t = TableDesc {
        database: "d".into(),
        name: "t".into(),
        columns: vec![],
        keys: vec![],
        comment: String::new(),
        data_length: 0,
    };
    let mut a = cd(SourceType::Timestamp { fsp: 3 });
    a.name = "ts".into();
    a.ordinal = 2;
    let mut b = cd(SourceType::Enum(vec!["x".into()]));
    b.name = "e`v".into();
    b.ordinal = 1;
    let mut c = cd(SourceType::Geometry(GeometryKind::Point));
    c.name = "g".into();
    c.ordinal = 3;
    t.columns = vec![a, b, c];
    assert_eq!(
        snapshot_select_list(&t),
        "(`e``v`+0), UNIX_TIMESTAMP(`ts`), `g`"
    );
}

#[test]
fn decode_row_maps_by_name_and_fills_origin() {
    let desc = TableDesc {
        database: "shard_1".into(),
        name: "t_7".into(),
        columns: vec![
            ColumnDesc {
                name: "b".into(),
                ordinal: 1,
                ..cd(SourceType::Varchar(5))
            },
            ColumnDesc {
                name: "a".into(),
                ordinal: 2,
                ..cd(int(IntWidth::Int, false))
            },
        ],
        keys: vec![],
        comment: String::new(),
        data_length: 0,
    };
    let a = TargetColumn {
        name: "a".into(),
        ..tc(SrType::Int, Encoding::Plain, &int(IntWidth::Int, false))
    };
    let mut a_origin = a.clone();
    a_origin.origin = ColumnOrigin::Source {
        name: "a".into(),
        ty: int(IntWidth::Int, false),
    };
    let mut b = tc(SrType::Varchar(5), Encoding::Plain, &SourceType::Varchar(5));
    b.origin = ColumnOrigin::Source {
        name: "b".into(),
        ty: SourceType::Varchar(5),
    };
    let mut missing = b.clone();
    missing.origin = ColumnOrigin::Source {
        name: "only_elsewhere".into(),
        ty: SourceType::Varchar(5),
    };
    let mut db = b.clone();
    db.origin = ColumnOrigin::ShardDatabase;
    let mut tb = b.clone();
    tb.origin = ColumnOrigin::ShardTable;
    let cols = vec![a_origin, b, missing, db, tb];
    let values = [Value::Bytes(b"x".to_vec()), Value::Int(5)];
    let sref = SourceRef {
        database: "shard_1".into(),
        table: "t_7".into(),
    };
    let row = decode_row(
        &cols,
        &RowShape::new(&cols, &desc).unwrap(),
        &sref,
        |i, col, cdesc, tz, st| {
            values
                .get(i)
                .map(|v| decode_snapshot(v, col, cdesc, tz, st))
                .transpose()
        },
        &TimeZoneSpec::Fixed(0),
        &mut DecodeStats::default(),
    )
    .unwrap();
    assert_eq!(
        row,
        vec![n("5"), s("x"), Cell::Null, s("shard_1"), s("t_7")]
    );
}

#[test]
fn mysql_json_text_normalises_to_the_binlog_form() {
    // MySQL prints `{"k": [1, "a"]}`; the binlog's binary JSON renders through serde_json.
    let via_binlog = serde_json::json!({"k": [1, "a"], "big": 18446744073709551615u64}).to_string();
    assert_eq!(
        normalise_json(r#"{"big": 18446744073709551615, "k": [1, "a"]}"#).unwrap(),
        via_binlog
    );
    assert!(normalise_json("{nope").is_err());
}

#[test]
fn binlog_text_in_other_charsets_is_decoded() {
    assert_eq!(
        decode_charset(&[b'c', b'a', b'f', 0xE9, b' ', 0x80], "latin1").unwrap(),
        "café €"
    );
    assert_eq!(
        decode_charset(&[0x00, 0x41, 0x00, 0xE9], "ucs2").unwrap(),
        "Aé"
    );
    assert_eq!(decode_charset(&[0x41, 0x00], "utf16le").unwrap(), "A");
    assert_eq!(decode_charset(&[0, 1, 0xF6, 0x00], "utf32").unwrap(), "😀");
    assert!(decode_charset(&[0xC8], "ascii").is_err());
    let err = decode_charset(b"x", "gbk").unwrap_err().to_string();
    assert!(err.contains("gbk") && err.contains("utf8mb4"), "{err}");
    // Through the renderer: the binlog path decodes, the snapshot path (already utf8mb4) does not.
    let mut c = cd(SourceType::Varchar(10));
    c.charset = Some("latin1".into());
    let t = tc(SrType::Varchar(30), Encoding::Plain, &c.ty);
    let tz = TimeZoneSpec::Fixed(0);
    let mut st = DecodeStats::default();
    let b = decode_binlog(
        &BinlogValue::Value(Value::Bytes(vec![0xF1])),
        &t,
        &c,
        &tz,
        &mut st,
    )
    .unwrap();
    let s_ = decode_snapshot(&Value::Bytes("ñ".as_bytes().to_vec()), &t, &c, &tz, &mut st).unwrap();
    assert_eq!(b, s("ñ"));
    assert_eq!(b, s_);
}

#[test]
fn binlog_binary_n_gets_its_zero_padding_back() {
    let ty = SourceType::Binary(4);
    let c = cd(ty.clone());
    let t = tc(SrType::Varchar(8), Encoding::Hex, &ty);
    let tz = TimeZoneSpec::Fixed(0);
    let mut st = DecodeStats::default();
    let b = decode_binlog(
        &BinlogValue::Value(Value::Bytes(vec![1])),
        &t,
        &c,
        &tz,
        &mut st,
    )
    .unwrap();
    assert_eq!(b, s("01000000"));
    let snap = decode_snapshot(&Value::Bytes(vec![1, 0, 0, 0]), &t, &c, &tz, &mut st).unwrap();
    assert_eq!(b, snap);
}

#[test]
fn time2_wraparound_of_the_binlog_decoder_is_undone() {
    // What mysql_common (release build) makes of -00:00:00.5 in a TIME(1) column.
    let buggy = Value::Time(false, 26, 0, 63, 63, 16_277_216);
    assert_eq!(
        fix_time2_wrap(&buggy, 1),
        Value::Time(true, 0, 0, 0, 0, 500_000)
    );
    assert_eq!(
        both(
            buggy,
            SourceType::Time { fsp: 1 },
            SrType::Varchar(17),
            Encoding::Time
        ),
        s("-00:00:00.5")
    );
    // Genuine values are untouched.
    let ok = Value::Time(false, 26, 0, 39, 59, 990_000);
    assert_eq!(fix_time2_wrap(&ok, 2), ok);
    assert_eq!(
        fix_time2_wrap(&Value::Time(false, 0, 0, 0, 0, 16_277_216), 6),
        Value::Time(false, 0, 0, 0, 0, 16_277_216)
    );
}

/// mysql_common's `time_from_packed`, to simulate its wrapped decode.
fn time_from_packed(mut tmp: i64) -> Value {
    let neg = tmp < 0;
    if neg {
        tmp = -tmp;
    }
    let hms = tmp >> 24;
    let h = ((hms >> 12) as u32) % (1 << 10);
    Value::Time(
        neg,
        h / 24,
        (h % 24) as u8,
        ((hms >> 6) % 64) as u8,
        (hms % 64) as u8,
        (tmp % (1 << 24)) as u32,
    )
}

#[test]
fn time2_wraparound_fix_over_many_values() {
    const K: i64 = 2_560_000 << 24;
    for hours in [0i64, 1, 23, 24, 100, 500, 624] {
        for (m, s_) in [(0i64, 0i64), (30, 15), (59, 59)] {
            for hundredths in [1i64, 25, 50, 99] {
                let hms = (hours << 12) | (m << 6) | s_;
                let g = -((hms << 24) + hundredths * 10_000);
                let buggy = time_from_packed(g + K);
                let want = time_from_packed(g);
                assert_eq!(
                    fix_time2_wrap(&buggy, 2),
                    want,
                    "{hours}:{m}:{s_}.{hundredths}"
                );
            }
        }
    }
}

#[test]
fn binlog_signed_mediumint_is_sign_extended() {
    let ty = int(IntWidth::Medium, false);
    let c = cd(ty.clone());
    let t = tc(SrType::Int, Encoding::Plain, &ty);
    let tz = TimeZoneSpec::Fixed(0);
    let mut st = DecodeStats::default();
    let b = |i: i64, st: &mut DecodeStats| {
        decode_binlog(&BinlogValue::Value(Value::Int(i)), &t, &c, &tz, st).unwrap()
    };
    assert_eq!(b(16_777_215, &mut st), n("-1"));
    assert_eq!(b(8_388_608, &mut st), n("-8388608"));
    assert_eq!(b(8_388_607, &mut st), n("8388607"));
    // The snapshot's values are already right.
    assert_eq!(
        decode_snapshot(&Value::Int(-8_388_608), &t, &c, &tz, &mut st).unwrap(),
        n("-8388608")
    );
    // Unsigned MEDIUMINT keeps its full range.
    let uty = int(IntWidth::Medium, true);
    let uc = cd(uty.clone());
    let ut = tc(SrType::Int, Encoding::Plain, &uty);
    assert_eq!(
        decode_binlog(
            &BinlogValue::Value(Value::Int(16_777_215)),
            &ut,
            &uc,
            &tz,
            &mut st
        )
        .unwrap(),
        n("16777215")
    );
}

/// Render `v` on both paths with fresh counters each; require the same result and counts.
fn both_counted(
    v: Value,
    ty: SourceType,
    sr: SrType,
    enc: Encoding,
) -> (Result<Cell>, DecodeStats) {
    let c = cd(ty.clone());
    let t = tc(sr, enc, &ty);
    let tz = TimeZoneSpec::Fixed(0);
    let (mut sa, mut sb) = (DecodeStats::default(), DecodeStats::default());
    let a = decode_snapshot(&v, &t, &c, &tz, &mut sa);
    let b = decode_binlog(&BinlogValue::Value(v), &t, &c, &tz, &mut sb);
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y),
        (Err(x), Err(y)) => assert_eq!(format!("{x:#}"), format!("{y:#}")),
        _ => panic!("the paths disagree: {a:?} / {b:?}"),
    }
    assert_eq!(sa, sb);
    (a, sa)
}

#[test]
fn zero_dates_of_key_columns_load_as_the_sentinel() {
    let date = SourceType::Date;
    let (c, st) = both_counted(
        Value::Date(0, 0, 0, 0, 0, 0, 0),
        date.clone(),
        SrType::Date,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("0000-01-01"));
    assert_eq!((st.zero_date_keys, st.zero_dates), (1, 0));
    // The text protocol's form renders the same.
    let (c, _) = both_counted(
        Value::Bytes("0000-00-00".into()),
        date.clone(),
        SrType::Date,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("0000-01-01"));
    // Real dates are untouched, and 0000-01-01 itself is the sentinel's value (the documented collision).
    let (c, st) = both_counted(
        Value::Date(2024, 2, 29, 0, 0, 0, 0),
        date.clone(),
        SrType::Date,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("2024-02-29"));
    assert_eq!(st, DecodeStats::default());
    let (c, _) = both_counted(
        Value::Date(0, 1, 1, 0, 0, 0, 0),
        date.clone(),
        SrType::Date,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("0000-01-01"));

    let dt6 = SourceType::DateTime { fsp: 6 };
    let (c, st) = both_counted(
        Value::Date(0, 0, 0, 0, 0, 0, 0),
        dt6.clone(),
        SrType::DateTime,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("0000-01-01 00:00:00.000000"));
    assert_eq!(st.zero_date_keys, 1);
    // A zero date with a time of day keeps the time: distinct keys stay distinct.
    let (c, _) = both_counted(
        Value::Date(0, 0, 0, 12, 34, 56, 7),
        dt6.clone(),
        SrType::DateTime,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("0000-01-01 12:34:56.000007"));
    let dt0 = SourceType::DateTime { fsp: 0 };
    let (c, _) = both_counted(
        Value::Date(0, 0, 0, 0, 0, 0, 0),
        dt0.clone(),
        SrType::DateTime,
        Encoding::KeyDate,
    );
    assert_eq!(c.unwrap(), s("0000-01-01 00:00:00"));

    // TIMESTAMP: epoch 0 is the zero TIMESTAMP; the sentinel is not moved by the zone.
    let ts = SourceType::Timestamp { fsp: 0 };
    let c = cd(ts.clone());
    let t = tc(SrType::DateTime, Encoding::KeyDate, &ts);
    let cst = TimeZoneSpec::parse("+08:00").unwrap();
    let mut st = DecodeStats::default();
    for v in [
        Value::Int(0),
        Value::Bytes("0".into()),
        Value::Bytes("0.000000".into()),
    ] {
        assert_eq!(
            decode_snapshot(&v, &t, &c, &cst, &mut st).unwrap(),
            s("0000-01-01 00:00:00")
        );
        assert_eq!(
            decode_binlog(&BinlogValue::Value(v), &t, &c, &cst, &mut st).unwrap(),
            s("0000-01-01 00:00:00")
        );
    }
    assert_eq!(st.zero_date_keys, 6);
    assert_eq!(
        decode_snapshot(&Value::Int(1704164645), &t, &c, &cst, &mut st).unwrap(),
        s("2024-01-02 11:04:05")
    );

    // Outside a key nothing changed: NULL, counted as before.
    let (c, st) = both_counted(
        Value::Date(0, 0, 0, 0, 0, 0, 0),
        date,
        SrType::Date,
        Encoding::Plain,
    );
    assert_eq!(c.unwrap(), Cell::Null);
    assert_eq!((st.zero_date_keys, st.zero_dates), (0, 1));
}

#[test]
fn partial_zero_dates_of_key_columns_refuse_the_row_naming_the_value() {
    for (v, ty, shown) in [
        (
            Value::Date(2024, 0, 15, 0, 0, 0, 0),
            SourceType::Date,
            "\"2024-00-15\"",
        ),
        (
            Value::Date(2024, 5, 0, 0, 0, 0, 0),
            SourceType::Date,
            "\"2024-05-00\"",
        ),
        (
            Value::Bytes("0000-00-15".into()),
            SourceType::Date,
            "\"0000-00-15\"",
        ),
        (
            Value::Date(2024, 0, 0, 1, 2, 3, 0),
            SourceType::DateTime { fsp: 0 },
            "\"2024-00-00 01:02:03\"",
        ),
    ] {
        let sr = if matches!(ty, SourceType::Date) {
            SrType::Date
        } else {
            SrType::DateTime
        };
        let (r, st) = both_counted(v, ty, sr, Encoding::KeyDate);
        let e = r.unwrap_err();
        let refused = e.downcast_ref::<RefusedValue>().expect("a RefusedValue");
        assert_eq!(refused.column, "c");
        assert_eq!(refused.value, shown);
        let text = format!("{e:#}");
        assert!(
            text.contains("column `c` holds") && text.contains(shown),
            "{text}"
        );
        assert!(text.contains("partial zero date"), "{text}");
        assert!(
            !crate::error::is_transient(&e),
            "a refused row is not retried"
        );
        assert_eq!(crate::error::exit_code_of(&e), 7);
        assert_eq!(st, DecodeStats::default());
    }
}

/// Snapshot-decode `v` as the one column `name` of `db`.`t` through `decode_row` (the row
/// path, whose errors name the table and the column).
fn decode_one(
    name: &str,
    ty: SourceType,
    sr: SrType,
    enc: Encoding,
    v: Value,
) -> anyhow::Result<Row> {
    let mut c = cd(ty.clone());
    c.name = name.into();
    let desc = TableDesc {
        database: "db".into(),
        name: "t".into(),
        columns: vec![c],
        keys: vec![],
        comment: String::new(),
        data_length: 0,
    };
    let mut t = tc(sr, enc, &ty);
    t.name = name.into();
    t.origin = ColumnOrigin::Source {
        name: name.into(),
        ty,
    };
    let sref = SourceRef {
        database: "db".into(),
        table: "t".into(),
    };
    let vals = [v];
    let cols = [t];
    decode_row(
        &cols,
        &RowShape::new(&cols, &desc)?,
        &sref,
        |i, col, cd, tz, st| Ok(Some(decode_snapshot(&vals[i], col, cd, tz, st)?)),
        &TimeZoneSpec::Fixed(0),
        &mut DecodeStats::default(),
    )
}

#[test]
fn decode_row_names_the_table_of_a_refused_value() {
    let e = decode_one(
        "d",
        SourceType::Date,
        SrType::Date,
        Encoding::KeyDate,
        Value::Date(2024, 0, 15, 0, 0, 0, 0),
    )
    .unwrap_err();
    let text = format!("{e:#}");
    assert!(
        text.contains("db.t.d") && text.contains("2024-00-15"),
        "{text}"
    );
    assert_eq!(
        e.downcast_ref::<RefusedValue>().unwrap().value,
        "\"2024-00-15\""
    );
    assert_eq!(crate::error::exit_code_of(&e), 7);
}

#[test]
fn a_value_smt_cannot_decode_is_a_definite_failure_naming_the_column() {
    let e = decode_one(
        "c",
        int(IntWidth::Int, false),
        SrType::Int,
        Encoding::Plain,
        Value::Bytes(b"twelve".to_vec()),
    )
    .unwrap_err();
    assert!(!crate::error::is_transient(&e), "{e:#}");
    assert_eq!(crate::error::exit_code_of(&e), 7);
    let text = format!("{e:#}");
    assert!(
        text.contains("decoding db.t.c") && text.contains("twelve"),
        "{text}"
    );
}

#[test]
fn json_documents_are_checked_and_big_integers_become_doubles_on_both_paths() {
    let j = SourceType::Json;
    let json = |text: &str| {
        both_counted(
            Value::Bytes(text.into()),
            j.clone(),
            SrType::Json,
            Encoding::Json,
        )
    };
    let (c, st) = json(r#"{"k": [1, "a"], "s": "{\"a\":1}", "u": "\u00e9\ud83d\ude00"}"#);
    assert_eq!(
        c.unwrap(),
        Cell::Json(r#"{"k": [1, "a"], "s": "{\"a\":1}", "u": "\u00e9\ud83d\ude00"}"#.into())
    );
    assert_eq!(st, DecodeStats::default());
    let (c, st) =
        json(" [123456789012345678901234567890, 18446744073709551615, -9223372036854775809, 1.] ");
    assert_eq!(
        c.unwrap(),
        Cell::Json(
            "[1.2345678901234568e29, 18446744073709551615, -9.223372036854776e18, 1.0]".into()
        )
    );
    assert_eq!(st.json_numbers, 3);
    for scalar in ["true", "false", "null", "0", "\"x\"", "1.5", "-0"] {
        assert_eq!(json(scalar).0.unwrap(), Cell::Json(scalar.into()));
    }
    let (r, st) = json(r#"{"a": "\x41"}"#);
    let text = format!("{:#}", r.unwrap_err());
    assert!(
        text.contains("column `c` holds") && text.contains("an escape JSON does not have"),
        "{text}"
    );
    assert_eq!(st, DecodeStats::default());
    let (r, _) = json("[1e400]");
    assert!(format!("{:#}", r.unwrap_err()).contains("beyond the range of a double"));
    // A long refused value is shortened in the message.
    let long = format!("[\"{}\", 1e999]", "x".repeat(500));
    let (r, _) = json(&long);
    let text = format!("{:#}", r.unwrap_err());
    assert!(
        text.contains("(511 bytes)") && !text.contains(&"x".repeat(200)),
        "{text}"
    );
}

#[test]
fn counters_log_at_powers_of_two() {
    let mut c = 0u64;
    let mut logged = Vec::new();
    for _ in 1..=9 {
        if bump(&mut c, 1) {
            logged.push(c);
        }
    }
    assert_eq!(logged, vec![1, 2, 4, 8]);
    let mut c = 3u64;
    assert!(bump(&mut c, 2)); // 3 -> 5 crosses 4
    assert!(!bump(&mut c, 0));
    assert!(!bump(&mut c, 1));
}

#[test]
fn mysql_json_doubles_keep_their_value() {
    // serde_json's default float parser is not correctly rounded (1.2523309803005e135 read as
    // 1.2523309803005001e135); smt enables `float_roundtrip`, so normalising MySQL's text keeps
    // every double as the source (and the binlog's binary JSON) holds it.
    assert_eq!(
        normalise_json("[1.2523309803005e135, 0.1, 5e-324, 1.7976931348623157e308]").unwrap(),
        "[1.2523309803005e+135,0.1,5e-324,1.7976931348623157e+308]"
    );
}
