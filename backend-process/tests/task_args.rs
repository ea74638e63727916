//! Tasks of several arguments on worker processes: each argument arrives
//! unchanged in both codecs, on the typed path and through `dyn Executor`
//! (the erased one); fn items, closures that capture nothing and fn pointers
//! chosen at run time cross; a closure that captures values is refused at
//! submit with an `Encode` error that says what to do, on every method, and
//! nothing else is affected.

use std::fmt::Debug;
use std::time::Duration;

use concur_core::{Error, Executor, MapOptions, TaskFn};
use concur_process::{Codec, ProcessPool};

mod dyn_executor;

use dyn_executor::{Erased, same_both_ways};

const LONG: Option<Duration> = Some(Duration::from_secs(60));

fn pool(codec: Codec) -> ProcessPool {
    ProcessPool::builder()
        .max_workers(2)
        .codec(codec)
        .build()
        .expect("a pool")
}

/// `f(args)` on `pool` and through [`Erased`]: the same outcome both ways,
/// returned.
fn both_ways<F, A, R, M>(pool: &ProcessPool, f: F, args: A) -> Result<R, Error>
where
    F: TaskFn<A, R, M>,
    A: concur_core::Payload + Clone,
    R: concur_core::Payload + PartialEq + Debug,
{
    let typed = pool.submit(f, args.clone()).into_result();
    let erased = Erased(pool).submit(f, args).into_result();
    assert_eq!(erased, typed, "the erased path agrees with the typed one");
    typed
}

/// Echoes four arguments of four shapes, each checked against what the
/// parent sent.
fn four(text: String, bits: u64, floats: Vec<f64>, nested: Option<(i8, char)>) -> String {
    let bits_of: Vec<u64> = floats.iter().map(|f| f.to_bits()).collect();
    format!("{text}|{bits:#x}|{bits_of:?}|{nested:?}")
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn sub(a: u64, b: u64) -> u64 {
    a - b
}

/// One argument that is a pair: it gets the pair.
fn swap((a, b): (u64, String)) -> (String, u64) {
    (b, a)
}

fn fails(a: u64, b: u64) -> u64 {
    panic!("fails({a}, {b})")
}

#[test]
fn every_argument_arrives_unchanged_in_both_codecs() {
    let floats = vec![-0.0, f64::INFINITY, f64::MIN_POSITIVE, 1.0 / 3.0];
    let nested = Some((i8::MIN, '\u{10FFFF}'));
    let text = "naïve \0 \u{1F980}".to_owned();
    let want = four(text.clone(), u64::MAX, floats.clone(), nested);
    for codec in [Codec::Bincode, Codec::MessagePack] {
        let pool = pool(codec);
        let args = (text.clone(), u64::MAX, floats.clone(), nested);
        assert_eq!(both_ways(&pool, four, args), Ok(want.clone()), "{codec:?}");
        assert_eq!(
            both_ways(&pool, add, (u64::MAX - 1, 1)),
            Ok(u64::MAX),
            "{codec:?}"
        );
        assert_eq!(
            both_ways(
                &pool,
                |a: u8, b: i128, c: bool| (c, b, a),
                (7, i128::MIN, true)
            ),
            Ok((true, i128::MIN, 7)),
            "a closure that captures nothing, {codec:?}"
        );
        same_both_ways(
            &pool,
            swap,
            || (3, "three".to_owned()),
            "a function of one pair",
        );
        assert_eq!(
            pool.submit(swap, (3, "three".to_owned())).result(LONG),
            Ok(("three".to_owned(), 3))
        );
        let got = both_ways(&pool, fails, (1, 2));
        assert!(
            matches!(&got, Err(Error::Panicked { message, location: Some(_), .. }) if message == "fails(1, 2)"),
            "a panic of a two-argument task, with its location: {got:?}"
        );
    }
}

#[test]
fn a_fn_pointer_chosen_at_run_time_crosses() {
    let pool = pool(Codec::Bincode);
    let ops: [fn(u64, u64) -> u64; 3] = [add, sub, |a, b| a * b];
    // The index is opaque to the compiler: the pointer is only known at run
    // time.
    let pick = std::hint::black_box(0);
    for (i, want) in [(pick, 12), (pick + 1, 8), (pick + 2, 20)] {
        assert_eq!(both_ways(&pool, ops[i], (10, 2)), Ok(want), "ops[{i}]");
    }
    let chunk = pool
        .submit_chunk(ops[1], vec![(5, 1), (9, 4)])
        .into_result();
    assert_eq!(chunk.map(|c| c.into_vec()), Ok(vec![Ok(4), Ok(5)]));
    let timed = pool.submit_with_timeout(ops[0], (1, 1), Duration::from_secs(60));
    assert_eq!(
        timed.result(LONG),
        Ok(2),
        "submit_with_timeout of two arguments"
    );
}

#[test]
fn a_capturing_closure_is_refused_at_submit_saying_what_to_do() {
    let pool = pool(Codec::Bincode);
    let offset: u64 = 1000;
    let f = move |x: u64| x + offset;
    let is_refusal = |e: &Error| match e {
        Error::Encode { type_name, message } => {
            type_name.contains("closure")
                && message.contains("captures values")
                && message.contains("as arguments")
        }
        _ => false,
    };

    let typed = pool.submit(f, 1);
    assert!(typed.is_done(), "refused at submit, on the caller's thread");
    let typed = typed.into_result().unwrap_err();
    assert!(is_refusal(&typed), "{typed:?}");
    let shown = typed.to_string();
    assert!(
        shown.contains("pass a `fn` item"),
        "the message says what to do: {shown}"
    );

    let erased = Erased(&pool).submit(f, 1).into_result().unwrap_err();
    assert_eq!(erased, typed, "the same refusal through dyn Executor");

    let tried = pool.try_submit(f, 1).unwrap_err();
    assert!(is_refusal(&tried), "try_submit: {tried:?}");
    let chunk = pool.submit_chunk(f, vec![1, 2]).into_result().unwrap_err();
    assert!(is_refusal(&chunk), "submit_chunk: {chunk:?}");
    let timed = pool.submit_with_timeout(f, 1, Duration::from_secs(60));
    assert!(
        is_refusal(&timed.into_result().unwrap_err()),
        "submit_with_timeout"
    );
    let mapped: Vec<_> = pool
        .map(f, [1, 2], MapOptions::new())
        .expect("the map starts")
        .collect();
    assert_eq!(mapped.len(), 2, "one result per item");
    assert!(
        mapped.iter().all(|r| r.as_ref().is_err_and(is_refusal)),
        "{mapped:?}"
    );

    assert_eq!(pool.stats().submitted, 0, "nothing refused was counted");
    assert_eq!(
        pool.submit(add, (2, 3)).result(LONG),
        Ok(5),
        "the pool goes on"
    );
}

#[test]
fn a_closure_of_zero_sized_captures_crosses() {
    // A closure whose captures are all zero-sized is itself zero-sized: there
    // are no bytes to send, and the worker makes it again.
    #[derive(Clone, Copy)]
    struct Doubler;
    impl Doubler {
        fn apply(self, x: u64) -> u64 {
            2 * x
        }
    }
    let doubler = Doubler;
    let f = move |x: u64, y: u64| doubler.apply(x) + y;
    assert_eq!(std::mem::size_of_val(&f), 0);
    let pool = pool(Codec::MessagePack);
    assert_eq!(both_ways(&pool, f, (20, 2)), Ok(42));
}
