//! `wait` and `as_completed` over promises completed by plain threads.

use std::time::Duration;

use concur_core::{AnyFuture, Error, Future, Promise, ReturnWhen, as_completed, wait};
use futures_lite::StreamExt;

const LONG: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn first_completed_returns_on_the_first() {
    // as test_wait.py::test_first_completed
    let a = Promise::new();
    let b = Promise::<u8>::new();
    let futs = vec![a.future(), b.future()];
    let t = std::thread::spawn(move || a.set_result(1u8));
    let r = wait(&futs, LONG, ReturnWhen::FirstCompleted);
    assert_eq!(r.done.len(), 1);
    assert!(r.done[0].same_as(&futs[0]));
    assert!(r.not_done[0].same_as(&futs[1]));
    t.join().unwrap();
}

#[test]
fn first_exception_ignores_successes_and_cancellations() {
    // as test_wait.py::test_first_exception
    let ok = Promise::new();
    let cancelled = Promise::<u8>::new();
    let bad = Promise::<u8>::new();
    let pending = Promise::<u8>::new();
    let futs = vec![
        ok.future(),
        cancelled.future(),
        bad.future(),
        pending.future(),
    ];
    ok.set_result(1);
    futs[1].cancel();
    let t = std::thread::spawn(move || bad.set_error(Error::broken("x")));
    let r = wait(&futs, LONG, ReturnWhen::FirstException);
    t.join().unwrap();
    assert_eq!(r.done.len(), 3);
    assert_eq!(r.not_done.len(), 1);
    assert!(r.not_done[0].same_as(&futs[3]));
    drop(pending);
}

#[test]
fn first_exception_without_exception_waits_for_all() {
    let a = Promise::new();
    let b = Promise::new();
    let futs = vec![a.future(), b.future()];
    let t = std::thread::spawn(move || {
        a.set_result(1u8);
        b.set_result(2u8);
    });
    let r = wait(&futs, LONG, ReturnWhen::FirstException);
    t.join().unwrap();
    assert_eq!((r.done.len(), r.not_done.len()), (2, 0));
}

#[test]
fn all_completed_with_timeout_splits() {
    let a = Promise::new();
    let b = Promise::<u8>::new();
    let futs = vec![a.future(), b.future()];
    a.set_result(1u8);
    let r = wait(
        &futs,
        Some(Duration::from_millis(30)),
        ReturnWhen::AllCompleted,
    );
    assert_eq!((r.done.len(), r.not_done.len()), (1, 1));
    drop(b);
}

#[test]
fn wait_mixes_types_and_dedupes() {
    let a = Promise::new();
    let b = Promise::new();
    let fa = a.future();
    let fb = b.future();
    let all: Vec<AnyFuture> = vec![fa.as_any(), fb.as_any(), fa.as_any()];
    let t = std::thread::spawn(move || {
        a.set_result(1u8);
        b.set_result("b");
    });
    let r = wait(all, LONG, ReturnWhen::AllCompleted);
    t.join().unwrap();
    assert_eq!(r.done.len(), 2, "the duplicate is counted once");
}

#[test]
fn cancelled_future_wakes_wait_at_once() {
    let p = Promise::<u8>::new();
    let f = p.future();
    let g = f.clone();
    let t = std::thread::spawn(move || wait([g], LONG, ReturnWhen::AllCompleted));
    f.cancel();
    let r = t.join().unwrap();
    assert_eq!(r.done.len(), 1);
    drop(p);
}

#[test]
fn as_completed_yields_done_first_then_in_completion_order() {
    let done = Promise::new();
    let later1 = Promise::new();
    let later2 = Promise::new();
    let futs = vec![later1.future(), done.future(), later2.future()];
    done.set_result(0u8);
    let mut it = as_completed(&futs, LONG);
    assert!(it.next().unwrap().unwrap().same_as(&futs[1]));
    later2.set_result(2);
    assert!(it.next().unwrap().unwrap().same_as(&futs[2]));
    later1.set_result(1);
    assert!(it.next().unwrap().unwrap().same_as(&futs[0]));
    assert!(it.next().is_none());
}

#[test]
fn as_completed_duplicates_once() {
    let f = Future::ready(1u8);
    let v: Vec<_> = as_completed([&f, &f, &f], None).collect();
    assert_eq!(v.len(), 1);
}

#[test]
fn as_completed_timeout_once_then_stops() {
    // as test_as_completed.py::test_timeout
    let done = Promise::new();
    let never = Promise::<u8>::new();
    let futs = vec![done.future(), never.future()];
    done.set_result(1u8);
    let out: Vec<_> = as_completed(&futs, Some(Duration::from_millis(30))).collect();
    assert_eq!(out.len(), 2);
    assert!(out[0].is_ok());
    assert_eq!(out[1].as_ref().err(), Some(&Error::Timeout));
    drop(never);
}

#[test]
fn as_completed_stream_with_timeout() {
    let a = Promise::new();
    let never = Promise::<u8>::new();
    let futs = vec![a.future(), never.future()];
    let t = std::thread::spawn(move || a.set_result(1u8));
    let out: Vec<_> = futures_lite::future::block_on(
        as_completed(futs.clone(), Some(Duration::from_millis(200)))
            .into_stream()
            .collect::<Vec<_>>(),
    );
    t.join().unwrap();
    assert_eq!(out.len(), 2);
    assert!(out[0].as_ref().unwrap().same_as(&futs[0]));
    assert_eq!(out[1].as_ref().err(), Some(&Error::Timeout));
    drop(never);
}

#[test]
fn timed_out_wait_leaves_no_listener_behind() {
    // Waiting repeatedly with a short timeout must not grow the future's waiter list without bound;
    // completion afterwards still works.
    let p = Promise::<u8>::new();
    let f = p.future();
    for _ in 0..1000 {
        assert_eq!(
            wait(
                [&f],
                Some(Duration::from_micros(1)),
                ReturnWhen::AllCompleted
            )
            .done
            .len(),
            0
        );
        assert!(f.result(Some(Duration::from_micros(1))).is_err());
    }
    p.set_result(1);
    assert_eq!(f.result(None), Ok(1));
}
