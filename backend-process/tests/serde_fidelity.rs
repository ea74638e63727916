//! Serde fidelity, row by row of the crate docs' table (serde feature × codec):
//! through a real pool, a value either arrives equal to what was sent — as an
//! argument (encoded on the caller's thread, decoded in the worker) and as a
//! result (encoded in the worker, decoded in the parent) — or its task fails
//! with `Error::Encode` / `Error::Decode` naming what the codec cannot carry.
//! Never a changed value.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::time::Duration;

use concur_core::{Error, Executor, Payload};
use concur_process::{Codec, ProcessPool};
use serde::{Deserialize, Serialize};

mod dyn_executor;

const LONG: Option<Duration> = Some(Duration::from_secs(60));

/// A value of a row, made the same way in the parent and in the worker.
trait Case: Payload + PartialEq + Debug + Clone {
    fn sample() -> Self;
}

fn echo<T: Case>(value: T) -> T {
    value
}

fn check_in_worker<T: Case>(value: T) -> bool {
    value == T::sample()
}

fn produce<T: Case>((): ()) -> T {
    T::sample()
}

/// What a row expects of a codec.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Works,
    /// `Error::Encode` whose message contains the text.
    Encode(&'static str),
    /// `Error::Decode` whose message contains the text.
    Decode(&'static str),
}

fn outcome_matches<T: Debug>(what: &str, got: Result<T, Error>, expect: Expect) {
    match (expect, &got) {
        (Expect::Encode(text), Err(Error::Encode { message, .. }))
        | (Expect::Decode(text), Err(Error::Decode { message, .. })) => {
            assert!(message.contains(text), "{what}: `{text}` not in: {message}")
        }
        _ => panic!("{what}: expected {expect:?}, got {got:?}"),
    }
}

/// Runs one row both ways on `pool`.
fn row<T: Case>(pool: &ProcessPool, codec: Codec, name: &str, expect: Expect) {
    let codec = format!("{name} on {codec:?}");
    match expect {
        Expect::Works => {
            assert_eq!(
                pool.submit(echo::<T>, T::sample()).result(LONG),
                Ok(T::sample()),
                "{codec}: argument and result"
            );
            assert_eq!(
                pool.submit(check_in_worker::<T>, T::sample()).result(LONG),
                Ok(true),
                "{codec}: the worker sees the value sent"
            );
            assert_eq!(
                pool.submit(produce::<T>, ()).result(LONG),
                Ok(T::sample()),
                "{codec}: a result made in the worker"
            );
        }
        _ => {
            let arg = pool.submit(check_in_worker::<T>, T::sample()).result(LONG);
            outcome_matches(&format!("{codec}, as an argument"), arg, expect);
            let res = pool.submit(produce::<T>, ()).result(LONG);
            outcome_matches(&format!("{codec}, as a result"), res, expect);
        }
    }
}

// ---- the rows ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Rect(u32, u32),
    Poly { corners: Vec<(i32, i32)> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meters(f32);

/// Everything that has one shape: structs, tuples, externally tagged enums,
/// maps, options, wide integers, chars, durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Plain {
    name: String,
    shapes: Vec<Shape>,
    counts: BTreeMap<String, u64>,
    ids: HashMap<u32, Option<String>>,
    pair: (i8, char),
    wide: (i128, u128),
    unit: Unit,
    meters: Meters,
    maybe: Option<Box<Plain>>,
    took: Duration,
    bytes: Vec<u8>,
}

impl Case for Plain {
    fn sample() -> Self {
        let leaf = Plain {
            name: "leaf".into(),
            shapes: vec![],
            counts: BTreeMap::new(),
            ids: HashMap::new(),
            pair: (0, 'a'),
            wide: (0, 0),
            unit: Unit,
            meters: Meters(0.5),
            maybe: None,
            took: Duration::ZERO,
            bytes: vec![],
        };
        Plain {
            name: "größe ✓".into(),
            shapes: vec![
                Shape::Dot,
                Shape::Circle(1.5),
                Shape::Rect(3, 4),
                Shape::Poly {
                    corners: vec![(0, 0), (-1, 7)],
                },
            ],
            counts: [("a".to_owned(), 1), ("b".to_owned(), u64::MAX)].into(),
            ids: [(7, Some("seven".to_owned())), (8, None)].into(),
            pair: (-128, 'ß'),
            wide: (i128::MIN, u128::MAX),
            unit: Unit,
            meters: Meters(-2.25),
            maybe: Some(Box::new(leaf)),
            took: Duration::new(3, 141_592_653),
            bytes: vec![0, 255, 1],
        }
    }
}

/// The issue's case: `coupon: None` once arrived as `Some(251)` with the
/// other fields shifted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    #[serde(skip_serializing_if = "Option::is_none")]
    coupon: Option<u8>,
    quantity: u32,
    price_cents: u64,
}

impl Case for Order {
    fn sample() -> Self {
        Order {
            coupon: None,
            quantity: 1,
            price_cents: 300,
        }
    }
}

/// The same type with the field present: nothing is skipped, bincode carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OrderWithCoupon(Vec<Order>);

impl Case for OrderWithCoupon {
    fn sample() -> Self {
        OrderWithCoupon(vec![Order {
            coupon: Some(251),
            quantity: 44,
            price_cents: 1,
        }])
    }
}

/// The same attribute on tuple fields: serde's derive announces a field fewer
/// and says nothing else; `T(None, 1, 300)` decoded as `T(Some(251), 44, 1)`.
/// No codec carries it (a tuple has no names): both refuse it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TupleOrder(
    #[serde(skip_serializing_if = "Option::is_none")] Option<u8>,
    u32,
    u64,
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Line {
    Priced(
        #[serde(skip_serializing_if = "Option::is_none")] Option<u8>,
        u32,
        u64,
    ),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TupleSkips(TupleOrder, Vec<Line>);

impl Case for TupleSkips {
    fn sample() -> Self {
        TupleSkips(
            TupleOrder(None, 1, 300),
            vec![Line::Priced(Some(3), 2, 5), Line::Priced(None, 1, 300)],
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    x: u32,
    label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Flattened {
    id: u64,
    #[serde(flatten)]
    inner: Inner,
}

impl Case for Flattened {
    fn sample() -> Self {
        Flattened {
            id: 9,
            inner: Inner {
                x: 3,
                label: "in".into(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
enum Internally {
    Start { at: u64 },
    Stop { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct InternallyTagged(Vec<Internally>);

impl Case for InternallyTagged {
    fn sample() -> Self {
        InternallyTagged(vec![
            Internally::Start { at: 5 },
            Internally::Stop {
                reason: "done".into(),
            },
        ])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacently {
    Num(i64),
    Text(String),
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AdjacentlyTagged(Vec<Adjacently>);

impl Case for AdjacentlyTagged {
    fn sample() -> Self {
        AdjacentlyTagged(vec![
            Adjacently::Num(-4),
            Adjacently::Text("t".into()),
            Adjacently::Nothing,
        ])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Untagged {
    Pair(String, String),
    Record { key: String, value: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UntaggedEnum(Vec<Untagged>);

impl Case for UntaggedEnum {
    fn sample() -> Self {
        UntaggedEnum(vec![
            Untagged::Pair("a".into(), "b".into()),
            Untagged::Record {
                key: "k".into(),
                value: -1,
            },
        ])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Json(serde_json::Value);

impl Case for Json {
    fn sample() -> Self {
        Json(serde_json::json!({
            "name": "x", "n": 3, "neg": -7, "f": 1.25, "ok": true, "none": null,
            "list": [1, "two", [3.5], {"deep": {}}],
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Nested(Vec<Option<Option<u8>>>);

impl Case for Nested {
    fn sample() -> Self {
        Nested(vec![None, Some(None), Some(Some(4))])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Skipped {
    kept: u32,
    #[serde(skip)]
    cache: Option<String>,
    #[serde(rename = "renamed", alias = "old_name")]
    field: String,
    #[serde(default)]
    defaulted: Vec<u8>,
}

impl Case for Skipped {
    fn sample() -> Self {
        Skipped {
            kept: 1,
            cache: None,
            field: "f".into(),
            defaulted: vec![2],
        }
    }
}

/// `skip_serializing` alone: the type's `Deserialize` still asks for a field
/// its `Serialize` never writes (no codec can carry that).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WriteOnly {
    a: u32,
    #[serde(skip_serializing)]
    b: u32,
}

impl Case for WriteOnly {
    fn sample() -> Self {
        WriteOnly { a: 1, b: 2 }
    }
}

fn table(codec: Codec) {
    let pool = ProcessPool::builder()
        .max_workers(1)
        .codec(codec)
        .build()
        .unwrap();
    let pid = pool.worker_pids();
    let mp = codec == Codec::MessagePack;
    let either = |bincode: Expect, msgpack: Expect| if mp { msgpack } else { bincode };
    use Expect::*;

    row::<Plain>(&pool, codec, "plain types", Works);
    row::<Order>(
        &pool,
        codec,
        "skip_serializing_if (skipped)",
        either(Encode("skip_serializing_if"), Works),
    );
    row::<OrderWithCoupon>(&pool, codec, "skip_serializing_if (present)", Works);
    row::<TupleSkips>(
        &pool,
        codec,
        "skip_serializing_if on tuple fields",
        either(
            Decode("tuple struct or tuple variant"),
            Decode("invalid length 2"),
        ),
    );
    row::<Flattened>(&pool, codec, "flatten", either(Encode("flatten"), Works));
    row::<InternallyTagged>(
        &pool,
        codec,
        "internally tagged",
        either(Decode("self-describing"), Works),
    );
    row::<AdjacentlyTagged>(
        &pool,
        codec,
        "adjacently tagged",
        either(Decode("tag = "), Works),
    );
    row::<UntaggedEnum>(
        &pool,
        codec,
        "untagged",
        either(Decode("self-describing"), Works),
    );
    row::<Json>(
        &pool,
        codec,
        "serde_json::Value",
        either(Decode("serde_json::Value"), Works),
    );
    row::<Nested>(
        &pool,
        codec,
        "Option<Option<_>>",
        either(Works, Encode("Some(None)")),
    );
    row::<Skipped>(&pool, codec, "skip, rename, alias, default", Works);
    row::<WriteOnly>(&pool, codec, "skip_serializing alone", Decode(""));

    assert_eq!(pool.worker_pids(), pid, "no row cost the worker");
}

#[test]
fn bincode_carries_its_rows_or_says_why() {
    table(Codec::Bincode);
}

#[test]
fn messagepack_carries_its_rows_or_says_why() {
    table(Codec::MessagePack);
}

#[test]
fn the_issue_order_never_arrives_changed() {
    // As reported: `Order { coupon: None, quantity: 1, price_cents: 300 }`
    // arrived as `Order { coupon: Some(251), quantity: 44, price_cents: 1 }`.
    let pool = ProcessPool::builder().max_workers(1).build().unwrap();
    let f = pool.submit(echo::<Order>, Order::sample());
    assert!(f.is_done(), "refused on the caller's thread, at submit");
    match f.result(LONG) {
        Err(Error::Encode { type_name, message }) => {
            assert!(type_name.contains("Order"), "{type_name}");
            assert!(message.contains("`coupon`"), "{message}");
            assert!(message.contains("Codec::MessagePack"), "{message}");
        }
        other => panic!("expected Encode, got {other:?}"),
    }
}

/// `T` both ways through `dyn Executor` and through the typed path.
fn both<T: Case>(pool: &ProcessPool) {
    let what = std::any::type_name::<T>();
    dyn_executor::same_both_ways(pool, check_in_worker::<T>, T::sample, what);
    dyn_executor::same_both_ways(pool, produce::<T>, || (), what);
}

#[test]
fn a_dyn_executor_reports_exactly_what_the_typed_path_does() {
    for codec in [Codec::Bincode, Codec::MessagePack] {
        let pool = ProcessPool::builder()
            .max_workers(1)
            .codec(codec)
            .build()
            .unwrap();
        both::<Plain>(&pool);
        both::<Order>(&pool);
        both::<TupleSkips>(&pool);
        both::<Flattened>(&pool);
        both::<InternallyTagged>(&pool);
        both::<AdjacentlyTagged>(&pool);
        both::<UntaggedEnum>(&pool);
        both::<Json>(&pool);
        both::<Nested>(&pool);
        both::<WriteOnly>(&pool);
    }
}
