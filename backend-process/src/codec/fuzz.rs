//! Every decoder against hostile bytes: random frames and mutations of valid
//! ones (flipped bytes, cuts, lengths of 2^32 and 2^40 spliced in) fed to the
//! header decoders and to payload decodes of many types through both codecs.
//! Each must return — `Ok` or a `Decode` error, never a panic (not even one the
//! codec catches) — and its peak allocation must stay within a small multiple
//! of the frame, measured by a counting global allocator.
//!
//! A unit test (the decoders are private), in the library's test binary: the
//! allocator counts per thread, so the other unit tests running beside it do
//! not disturb the measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use concur_core::Error;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::*;

// ---- the counting allocator ----

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn note(delta: i64) {
    // `try_with`: never panic inside the allocator, even while a thread's
    // locals are torn down.
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            let live = LIVE.with(|l| {
                l.set(l.get() + delta);
                l.get()
            });
            PEAK.with(|p| p.set(p.get().max(live)));
        }
    });
}

struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's; the counting
// touches only const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (the caller upholds `alloc`'s contract).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is: `ptr` came from this allocator, i.e. `System`.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f`; its result and the peak of bytes it held allocated at once.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    ARMED.with(|a| a.set(true));
    let out = f();
    ARMED.with(|a| a.set(false));
    (out, PEAK.with(|p| p.get()).max(0) as usize)
}

/// What a decode may hold at once: a small multiple of its frame (a `String`
/// in a `Vec` takes 24 bytes for one byte of frame; a hash map a little more),
/// plus room for the error message.
fn bound(frame: usize) -> usize {
    64 * frame + 16 * 1024
}

// ---- the types decoded ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Tree {
    Leaf(u8),
    Node(Vec<Tree>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: u64,
    name: String,
    tags: Vec<String>,
    score: Option<f64>,
    kind: Tree,
}

fn record() -> Record {
    Record {
        id: 300,
        name: "name".into(),
        tags: vec!["a".into(), "bc".into()],
        score: Some(0.5),
        kind: Tree::Node(vec![Tree::Leaf(1), Tree::Node(vec![])]),
    }
}

/// Decodes `frame` as `T` with `codec`, checking the promises.
fn try_payload<T: DeserializeOwned + Debug>(codec: Codec, frame: &[u8]) {
    let (out, peak) = peak_of(|| decode_payload::<T>(codec, frame));
    assert!(
        peak <= bound(frame.len()),
        "{codec:?} {}: {peak} bytes for a frame of {}",
        std::any::type_name::<T>(),
        frame.len()
    );
    if let Err(e) = out {
        let Error::Decode { message, .. } = &e else {
            panic!("not a Decode error: {e:?}")
        };
        assert!(
            !message.contains("panicked"),
            "the codec panicked: {message}"
        );
    }
}

/// Every decoder on `frame`.
fn every_decoder(frame: &[u8]) {
    for codec in [Codec::Bincode, Codec::MessagePack] {
        try_payload::<String>(codec, frame);
        try_payload::<Vec<u8>>(codec, frame);
        try_payload::<Vec<String>>(codec, frame);
        try_payload::<Option<Vec<u64>>>(codec, frame);
        try_payload::<(u64, String, Option<Vec<u32>>)>(codec, frame);
        try_payload::<HashMap<String, Vec<u8>>>(codec, frame);
        try_payload::<BTreeMap<u32, String>>(codec, frame);
        try_payload::<Vec<Result<u64, Error>>>(codec, frame);
        try_payload::<concur_core::ChunkResult<u64>>(codec, frame);
        try_payload::<Record>(codec, frame);
        try_payload::<Vec<Tree>>(codec, frame);
        try_payload::<serde_json::Value>(codec, frame);
        try_payload::<(char, f32, i128)>(codec, frame);
    }
    let (_, peak) = peak_of(|| {
        let _ = decode_frame::<ToWorker>(frame);
        let _ = decode_frame::<FromWorker>(frame);
        let _ = decode_value::<Hello>(frame);
        let _ = peek_version(frame);
    });
    assert!(peak <= bound(frame.len()), "headers: {peak} bytes");
}

/// Valid frames to mutate: each type's encoding in each codec, and headers.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for codec in [Codec::Bincode, Codec::MessagePack] {
        let enc = |v: &dyn Fn(Codec) -> Vec<u8>| v(codec);
        out.push(enc(&|c| encode_with_codec(c, "hello").unwrap()));
        out.push(enc(&|c| {
            encode_with_codec(c, &vec!["x".to_owned(); 3]).unwrap()
        }));
        out.push(enc(&|c| encode_with_codec(c, &record()).unwrap()));
        out.push(enc(&|c| encode_with_codec(c, &vec![record(); 2]).unwrap()));
        let map: HashMap<String, Vec<u8>> = [("k".to_owned(), vec![1, 2])].into();
        out.push(enc(&|c| encode_with_codec(c, &map).unwrap()));
        let chunk: Vec<Result<u64, Error>> = vec![Ok(1), Err(Error::Timeout)];
        out.push(enc(&|c| encode_with_codec(c, &chunk).unwrap()));
        let chunk = concur_core::ChunkResult::from(chunk);
        out.push(enc(&|c| encode_with_codec(c, &chunk).unwrap()));
    }
    let json = serde_json::json!({"a": [1, "b", null], "c": {"d": 1.5}});
    out.push(encode_with_codec(Codec::MessagePack, &json).unwrap());
    out.push(encode_frame(
        &FromWorker::Done {
            id: 3,
            outcome: Err(Error::Panicked {
                message: "boom".into(),
                location: Some("src/lib.rs:1:1".into()),
                backtrace: Some("bt".into()),
            }),
        },
        &[],
    ));
    out.push(encode_frame(
        &ToWorker::Run {
            id: 1,
            call: CallRef { func: 5, tramp: -5 },
            body: Body::Inline,
            report_now: false,
        },
        &[7, 7],
    ));
    out
}

/// Lengths that lie: bincode's varint for 2^40 and for 2^64-1, MessagePack's
/// str32, bin32, array32 and map32 of 2^32-1.
const LIES: &[&[u8]] = &[
    &[253, 0, 0, 0, 0, 0, 1, 0, 0],
    &[253, 255, 255, 255, 255, 255, 255, 255, 255],
    &[252, 255, 255, 255, 255],
    &[0xdb, 255, 255, 255, 255],
    &[0xc6, 255, 255, 255, 255],
    &[0xdd, 255, 255, 255, 255],
    &[0xdf, 255, 255, 255, 255],
];

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Lie(usize, usize),
    Cut(usize),
    Repeat(usize, usize),
}

fn mutate(mut frame: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let at = |i: usize| if frame.is_empty() { 0 } else { i % frame.len() };
        match *m {
            Mutation::Set(i, b) if !frame.is_empty() => {
                let i = at(i);
                frame[i] = b;
            }
            Mutation::Lie(i, which) => {
                let i = at(i);
                let lie = LIES[which % LIES.len()];
                frame.splice(i..i, lie.iter().copied());
            }
            Mutation::Cut(i) => frame.truncate(at(i)),
            Mutation::Repeat(i, n) if !frame.is_empty() => {
                let i = at(i);
                let end = (i + n % 16 + 1).min(frame.len());
                let piece = frame[i..end].to_vec();
                frame.splice(i..i, piece);
            }
            _ => {}
        }
    }
    frame
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, w)| Mutation::Lie(i, w)),
        any::<usize>().prop_map(Mutation::Cut),
        (any::<usize>(), any::<usize>()).prop_map(|(i, n)| Mutation::Repeat(i, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_frames_are_refused_cleanly(frame in proptest::collection::vec(any::<u8>(), 0..300)) {
        every_decoder(&frame);
    }

    #[test]
    fn mutated_frames_are_refused_cleanly(
        seed in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let seeds = seeds();
        let frame = mutate(seeds[seed.index(seeds.len())].clone(), &mutations);
        every_decoder(&frame);
    }
}

#[test]
fn every_lie_alone_and_in_every_seed() {
    for lie in LIES {
        every_decoder(lie);
        let mut padded = lie.to_vec();
        padded.extend_from_slice(b"abc");
        every_decoder(&padded);
    }
    for seed in seeds() {
        every_decoder(&seed);
        for at in 0..seed.len() {
            for which in 0..LIES.len() {
                every_decoder(&mutate(seed.clone(), &[Mutation::Lie(at, which)]));
            }
        }
    }
}

#[test]
fn the_counter_sees_what_an_unguarded_decode_allocates() {
    // A `String` of 2^20 bytes announced in a frame of 8: bincode alone
    // allocates the megabyte before it finds the frame short. The guarded
    // decode of the same frame stays within the bound.
    let frame = [252u8, 0, 0, 16, 0, b'a', b'b', b'c'];
    let (out, peak) = peak_of(|| bincode::serde::decode_from_slice::<String, _>(&frame, CONFIG));
    assert!(out.is_err());
    assert!(peak >= 1 << 20, "{peak}");
    assert!(peak > bound(frame.len()));
    try_payload::<String>(Codec::Bincode, &frame);
}

#[test]
fn a_frame_nested_beyond_the_depth_limit_is_refused_not_a_stack_overflow() {
    // Tree::Node(vec![Tree::Node(vec![..])]) 100 000 deep, written by hand.
    let bincode: Vec<u8> = [1u8, 1].repeat(100_000);
    let mut msgpack = Vec::new();
    for _ in 0..100_000 {
        msgpack.extend_from_slice(&[0x81, 0xa4, b'N', b'o', b'd', b'e', 0x91]);
    }
    for (codec, frame) in [(Codec::Bincode, bincode), (Codec::MessagePack, msgpack)] {
        match decode_payload::<Tree>(codec, &frame) {
            Err(Error::Decode { message, .. }) => {
                assert!(message.contains("nested deeper"), "{codec:?}: {message}")
            }
            other => panic!("{codec:?}: {other:?}"),
        }
    }
    // Within the limit, a deep value decodes.
    let mut deep = Tree::Leaf(1);
    for _ in 0..40 {
        deep = Tree::Node(vec![deep]);
    }
    for codec in [Codec::Bincode, Codec::MessagePack] {
        let bytes = encode_with_codec(codec, &deep).unwrap();
        assert_eq!(decode_payload::<Tree>(codec, &bytes), Ok(deep.clone()));
    }
}

#[test]
fn a_sequence_of_zero_sized_values_cannot_loop_for_ever() {
    // bincode: `Vec<()>` of 2^64-1 elements in 13 bytes (the length, then the
    // arity digest of an empty vector); each element reads nothing.
    let empty = encode_with_codec(Codec::Bincode, &Vec::<()>::new()).unwrap();
    let frame = [LIES[1], &empty[1..]].concat();
    match decode_payload::<Vec<()>>(Codec::Bincode, &frame) {
        Err(Error::Decode { message, .. }) => {
            assert!(message.contains("more elements"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // A real one of a thousand decodes.
    let bytes = encode_with_codec(Codec::Bincode, &vec![(); 1000]).unwrap();
    assert_eq!(
        decode_payload::<Vec<()>>(Codec::Bincode, &bytes),
        Ok(vec![(); 1000])
    );
}
