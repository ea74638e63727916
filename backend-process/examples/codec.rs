//! Measures the payload codecs: the encode + decode round trip of the bench's
//! messages and of a typical struct with each codec crate alone, then the same
//! traffic through a 1-worker pool with each [`Codec`] (which adds the
//! encode-side check and the decode-side guard, and the IPC). Each figure is the
//! best of 5 runs.
//!
//! ```text
//! cargo run --release -p concur-process --example codec
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use concur_core::{Error, Executor, MapOptions};
use concur_process::{Codec, ProcessPool};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    sku: String,
    quantity: u32,
    price_cents: u64,
}

/// A typical struct: strings, a nested vector, options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u64,
    customer: String,
    items: Vec<Item>,
    coupon: Option<u8>,
    note: Option<String>,
}

fn order() -> Order {
    Order {
        id: 42,
        customer: "ACME Corporation".into(),
        items: (0..5)
            .map(|i| Item {
                sku: format!("SKU-{i:04}"),
                quantity: i,
                price_cents: 1999 * u64::from(i),
            })
            .collect(),
        coupon: Some(3),
        note: None,
    }
}

/// The best of 5 runs (the machine may be busy: the minimum is the least
/// disturbed).
const RUNS: usize = 5;

fn best(mut f: impl FnMut() -> Duration) -> Duration {
    (0..RUNS).map(|_| f()).min().expect("RUNS > 0")
}

fn per_op(iters: u32, f: impl Fn()) -> Duration {
    best(|| {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed() / iters
    })
}

fn crates_alone<T: Serialize + DeserializeOwned>(name: &str, value: &T, iters: u32) {
    let cfg = bincode::config::standard();
    let bin = per_op(iters, || {
        let b = bincode::serde::encode_to_vec(black_box(value), cfg).unwrap();
        let (v, _): (T, usize) = bincode::serde::decode_from_slice(&b, cfg).unwrap();
        black_box(v);
    });
    let rmp = per_op(iters, || {
        let b = rmp_serde::to_vec_named(black_box(value)).unwrap();
        black_box(rmp_serde::from_slice::<T>(&b).unwrap());
    });
    println!("| {name} | {bin:.2?} | {rmp:.2?} |");
}

fn ident(x: u64) -> u64 {
    x
}

fn square(x: u64) -> u64 {
    x * x
}

fn echo(o: Order) -> Order {
    o
}

fn through_pool(codec: Codec) -> Result<(), Error> {
    let pool = ProcessPool::builder().max_workers(1).codec(codec).build()?;
    for x in 0..10 {
        pool.submit(ident, x).result(None)?;
    }
    let n = 20_000;
    let w1 = best(|| {
        let start = Instant::now();
        let futures: Vec<_> = (0..n).map(|x| pool.submit(ident, x)).collect();
        for f in futures {
            black_box(f.result(None).unwrap());
        }
        start.elapsed()
    });
    let w2 = best(|| {
        let start = Instant::now();
        let sum: u64 = pool
            .map(square, 0..1_000_000u64, MapOptions::new().chunksize(1000))
            .unwrap()
            .map(|r| r.unwrap())
            .fold(0u64, u64::wrapping_add);
        black_box(sum);
        start.elapsed()
    });
    let orders = best(|| {
        let start = Instant::now();
        let futures: Vec<_> = (0..n).map(|_| pool.submit(echo, order())).collect();
        for f in futures {
            black_box(f.result(None).unwrap());
        }
        start.elapsed()
    });
    println!("| {codec:?} | {w1:.2?} | {w2:.2?} | {orders:.2?} |");
    Ok(())
}

fn main() -> Result<(), Error> {
    println!("round trip (encode + decode), per value, each crate alone:\n");
    println!("| value | bincode | rmp-serde |\n|---|---:|---:|");
    crates_alone("u64 (W1)", &123_456u64, 1_000_000);
    let chunk: Vec<u64> = (0..1000).map(|x| x * 1000).collect();
    crates_alone("1000 × u64 (a W2 chunk)", &chunk, 20_000);
    let results: Vec<Result<u64, Error>> = chunk.iter().map(|x| Ok(x * x)).collect();
    crates_alone("1000 × Result<u64, Error> (its result)", &results, 20_000);
    crates_alone("Order (5 items)", &order(), 200_000);

    println!("\nthrough a 1-worker pool (check, guard and IPC included):\n");
    println!(
        "| codec | W1: 20 000 submits | W2: map of 10^6, chunks of 1000 | 20 000 Orders echoed |"
    );
    println!("|---|---:|---:|---:|");
    through_pool(Codec::Bincode)?;
    through_pool(Codec::MessagePack)?;
    Ok(())
}
