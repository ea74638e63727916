//! Loom models of the future state machine (`core/src/state.rs`): every
//! interleaving of two or three threads, and every weak-memory outcome loom
//! can produce, for the races a future lives through. Built only with
//! `RUSTFLAGS="--cfg loom"`: run them with `cargo xtask loom`.
//!
//! Each model asserts the contract, not the implementation: exactly one of
//! complete / cancel wins; a waiter registered while the future completes
//! wakes (a lost wake-up is a deadlock loom reports); a callback runs exactly
//! once; a consuming read and a clone's read never both see the value moved
//! and never race on it (loom checks the value slot's accesses); dropping the
//! last promise handle ends every waiter.
#![cfg(loom)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use concur_core::{Error, Promise, ReturnWhen, as_completed, wait};
use loom::thread;

/// `loom::model`, exhaustive unless `LOOM_MAX_PREEMPTIONS` bounds it
/// (`cargo xtask loom --bounded` sets 2 for a quick run).
fn model(f: impl Fn() + Sync + Send + 'static) {
    loom::model::Builder::new().check(f);
}

#[test]
fn complete_races_cancel_and_exactly_one_wins() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let canceller = {
            let f = f.clone();
            thread::spawn(move || f.cancel())
        };
        let completed = p.set_result(7u32);
        let cancelled = canceller.join().unwrap();
        assert!(completed != cancelled, "exactly one wins");
        let expected = if cancelled {
            Err(Error::Cancelled)
        } else {
            Ok(7)
        };
        assert_eq!(f.result(None), expected);
        assert!(f.is_done());
    });
}

#[test]
fn set_running_races_cancel() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let canceller = {
            let f = f.clone();
            thread::spawn(move || f.cancel())
        };
        let running = p.set_running();
        let cancelled = canceller.join().unwrap();
        assert!(
            running != cancelled,
            "a task runs or is cancelled, never both"
        );
        if running {
            assert!(p.set_result(1u8));
            assert_eq!(f.result(None), Ok(1));
        } else {
            assert!(!p.set_result(1u8), "a cancelled future takes no result");
            assert_eq!(f.result(None), Err(Error::Cancelled));
        }
    });
}

#[test]
fn a_parked_waiter_registered_during_completion_wakes() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let waiter = thread::spawn(move || f.result(None));
        p.set_result(5u8);
        assert_eq!(waiter.join().unwrap(), Ok(5));
    });
}

#[test]
fn wait_registered_during_completion_sees_it() {
    model(|| {
        let p = Promise::new();
        let futures = vec![p.future()];
        let waiter = thread::spawn(move || {
            let done = wait(&futures, None, ReturnWhen::AllCompleted);
            (done.done.len(), done.not_done.len())
        });
        p.set_result(1u8);
        assert_eq!(waiter.join().unwrap(), (1, 0));
    });
}

#[test]
fn as_completed_registered_during_completion_yields_it() {
    model(|| {
        let p = Promise::new();
        let futures = vec![p.future()];
        let waiter = thread::spawn(move || {
            let got: Vec<_> = as_completed(&futures, None).collect();
            got.len() == 1 && got[0].as_ref().is_ok_and(|f| f.result(None) == Ok(3))
        });
        p.set_result(3u8);
        assert!(waiter.join().unwrap());
    });
}

#[test]
fn a_callback_registered_during_completion_runs_exactly_once() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let runs = Arc::new(AtomicUsize::new(0));
        let registrar = {
            let runs = runs.clone();
            thread::spawn(move || {
                f.add_done_callback(move |f| {
                    assert_eq!(f.result(None), Ok(9));
                    runs.fetch_add(1, Ordering::SeqCst);
                });
            })
        };
        p.set_result(9u8);
        registrar.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn the_consuming_read_and_a_clone_read_never_race() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let g = f.clone();
        p.set_result(String::from("v"));
        let reader = thread::spawn(move || g.result(None));
        let taken = f.into_result();
        let read = reader.join().unwrap();
        assert_eq!(
            taken,
            Ok(String::from("v")),
            "the consuming read gets the value"
        );
        match read {
            Ok(v) => assert_eq!(v, "v"),
            Err(Error::InvalidState { .. }) => {}
            other => panic!("a clone's read is the value or `moved out`, saw {other:?}"),
        }
    });
}

#[test]
fn the_consuming_read_races_completion() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let completer = thread::spawn(move || p.set_result(4u16));
        assert_eq!(f.into_result(), Ok(4));
        assert!(completer.join().unwrap());
    });
}

#[test]
fn dropping_the_last_promise_wakes_a_waiter_with_cancelled() {
    model(|| {
        let p = Promise::<u8>::new();
        let f = p.future();
        let waiter = {
            let f = f.clone();
            thread::spawn(move || f.result(None))
        };
        drop(p);
        assert_eq!(waiter.join().unwrap(), Err(Error::Cancelled));
        assert!(f.is_cancelled());
    });
}

#[test]
fn dropping_a_running_promise_fails_the_future_broken() {
    model(|| {
        let p = Promise::<u8>::new();
        let f = p.future();
        assert!(p.set_running());
        let dropper = thread::spawn(move || drop(p));
        assert!(matches!(f.result(None), Err(Error::Broken { .. })));
        dropper.join().unwrap();
    });
}

#[test]
fn dropping_the_last_promise_races_cancel() {
    model(|| {
        let p = Promise::<u8>::new();
        let f = p.future();
        let canceller = {
            let f = f.clone();
            thread::spawn(move || f.cancel())
        };
        drop(p);
        // Whoever comes first cancels; `cancel` on a cancelled future is true.
        assert!(canceller.join().unwrap());
        assert_eq!(f.result(None), Err(Error::Cancelled));
    });
}

#[test]
fn completion_wakes_a_parked_thread_and_runs_a_callback_registered_at_once() {
    model(|| {
        let p = Promise::new();
        let f = p.future();
        let runs = Arc::new(AtomicUsize::new(0));
        let waiter = {
            let f = f.clone();
            thread::spawn(move || f.result(None))
        };
        let registrar = {
            let runs = runs.clone();
            thread::spawn(move || {
                f.add_done_callback(move |_| {
                    runs.fetch_add(1, Ordering::SeqCst);
                });
            })
        };
        p.set_result(6u8);
        assert_eq!(waiter.join().unwrap(), Ok(6));
        registrar.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}
