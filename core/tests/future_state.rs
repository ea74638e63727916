//! The future state machine, one behaviour per test, single-threaded where possible.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use concur_core::{Error, Future, Promise};

const LONG: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn pending_then_running_then_finished() {
    let p = Promise::new();
    let f = p.future();
    assert!(!f.is_done() && !f.is_running() && !f.is_cancelled());
    assert!(p.set_running());
    assert!(f.is_running() && !f.is_done());
    assert!(p.set_result(7u32));
    assert!(f.is_done() && !f.is_running() && !f.is_cancelled());
    assert_eq!(f.result(None), Ok(7));
    assert_eq!(f.result(None), Ok(7), "result can be read again");
}

#[test]
fn complete_from_pending_without_set_running() {
    let p = Promise::new();
    let f = p.future();
    assert!(p.set_result("x"));
    assert_eq!(f.result(Some(Duration::ZERO)), Ok("x"));
}

#[test]
fn cancel_only_while_pending() {
    // as test_future.py::test_cancel
    let p = Promise::<u8>::new();
    let f = p.future();
    assert!(f.cancel());
    assert!(f.is_cancelled() && f.is_done());
    assert!(f.cancel(), "true again on an already-cancelled future");
    assert!(!p.set_running(), "the producer is told to skip");
    assert!(!p.set_result(1), "completing a cancelled future is refused");
    assert_eq!(f.result(None), Err(Error::Cancelled));
    assert_eq!(f.error(None), Err(Error::Cancelled));

    let p = Promise::<u8>::new();
    let f = p.future();
    assert!(p.set_running());
    assert!(!f.cancel(), "running: cancel fails");
    assert!(f.is_running(), "and changes nothing");
    p.set_result(3);
    assert!(!f.cancel(), "finished: cancel fails");
    assert_eq!(f.result(None), Ok(3));
}

#[test]
fn timeout_leaves_future_untouched() {
    let p = Promise::new();
    let f = p.future();
    assert_eq!(
        f.result(Some(Duration::from_millis(20))),
        Err(Error::Timeout)
    );
    assert_eq!(f.error(Some(Duration::ZERO)), Err(Error::Timeout));
    assert!(!f.is_done());
    p.set_result(1u8);
    assert_eq!(f.result(Some(Duration::ZERO)), Ok(1));
}

#[test]
fn error_outcome() {
    let p = Promise::<u8>::new();
    let f = p.future();
    p.set_error(Error::broken("gone"));
    assert_eq!(f.result(None), Err(Error::broken("gone")));
    assert_eq!(f.error(None), Ok(Some(Error::broken("gone"))));
}

#[test]
fn into_result_moves_without_clone() {
    #[derive(Debug, PartialEq)]
    struct NoClone(Vec<u8>);
    let p = Promise::new();
    let f = p.future();
    let other = f.clone();
    p.set_result(NoClone(vec![1, 2]));
    assert_eq!(f.into_result(), Ok(NoClone(vec![1, 2])));
    assert!(matches!(other.error(None), Err(Error::InvalidState { .. })));
    assert!(matches!(
        other.into_result(),
        Err(Error::InvalidState { .. })
    ));
}

#[test]
fn dropped_promise_never_leaves_waiters_hanging() {
    let p = Promise::<u8>::new();
    let f = p.future();
    drop(p);
    assert_eq!(f.result(LONG), Err(Error::Cancelled));

    let p = Promise::<u8>::new();
    let f = p.future();
    assert!(p.set_running());
    let waiter = std::thread::spawn(move || f.result(LONG));
    drop(p);
    assert!(matches!(waiter.join().unwrap(), Err(Error::Broken { .. })));
}

#[test]
fn callbacks_run_once_in_order_and_immediately_when_done() {
    let p = Promise::new();
    let f = p.future();
    let log = Arc::new(Mutex::new(Vec::new()));
    for i in 0..3 {
        let log = log.clone();
        f.add_done_callback(move |f| log.lock().unwrap().push((i, f.result(None))));
    }
    assert!(log.lock().unwrap().is_empty());
    p.set_result(5u8);
    assert_eq!(
        *log.lock().unwrap(),
        vec![(0, Ok(5)), (1, Ok(5)), (2, Ok(5))]
    );
    let l2 = log.clone();
    let me = std::thread::current().id();
    f.add_done_callback(move |_| {
        assert_eq!(
            std::thread::current().id(),
            me,
            "runs on the caller's thread"
        );
        l2.lock().unwrap().push((3, Ok(0)));
    });
    assert_eq!(log.lock().unwrap().len(), 4, "ran immediately");
}

#[test]
fn callbacks_run_on_cancel() {
    let p = Promise::<u8>::new();
    let f = p.future();
    let (tx, rx) = mpsc::channel();
    f.add_done_callback(move |f| tx.send(f.is_cancelled()).unwrap());
    assert!(f.cancel());
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(true));
    drop(p);
}

#[test]
fn panicking_callback_does_not_stop_the_others() {
    let p = Promise::new();
    let f = p.future();
    let hits = Arc::new(AtomicUsize::new(0));
    f.add_done_callback(|_| panic!("callback boom"));
    let h = hits.clone();
    f.add_done_callback(move |_| {
        h.fetch_add(1, Ordering::SeqCst);
    });
    assert!(p.set_result(1u8));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(f.result(None), Ok(1));
}

/// A waker that counts its wake-ups, or panics on one.
struct TestWaker {
    woken: AtomicUsize,
    panics: bool,
}

impl std::task::Wake for TestWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.fetch_add(1, Ordering::SeqCst);
        assert!(!self.panics, "waker boom");
    }
}

#[test]
fn panicking_waker_does_not_stop_the_other_waiters() {
    // Two tasks of some runtime await the future (the first one's waker
    // panics when woken), then a thread blocks on it and a callback is
    // added: every one of them must hear of the completion, and the
    // completing call must return normally.
    let p = Promise::new();
    let f = p.future();
    let wakers: Vec<Arc<TestWaker>> = [true, false]
        .map(|panics| {
            Arc::new(TestWaker {
                woken: AtomicUsize::new(0),
                panics,
            })
        })
        .into();
    for w in &wakers {
        let waker = std::task::Waker::from(w.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let mut by_ref = &f;
        let polled = std::future::Future::poll(std::pin::Pin::new(&mut by_ref), &mut cx);
        assert!(polled.is_pending());
    }
    let (tx, rx) = mpsc::channel();
    let blocked = {
        let f = f.clone();
        std::thread::spawn(move || {
            tx.send(()).unwrap();
            f.result(LONG)
        })
    };
    rx.recv().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    f.add_done_callback(move |_| {
        h.fetch_add(1, Ordering::SeqCst);
    });
    assert!(p.set_result(5u8), "the completing call returns");
    assert_eq!(wakers[0].woken.load(Ordering::SeqCst), 1);
    assert_eq!(
        wakers[1].woken.load(Ordering::SeqCst),
        1,
        "the waker after the panicking one"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the callback after the panicking waker"
    );
    assert_eq!(blocked.join().unwrap(), Ok(5));
}

#[test]
fn blocking_result_wakes_on_completion_from_another_thread() {
    let p = Promise::new();
    let f = p.future();
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let f = f.clone();
            std::thread::spawn(move || f.result(LONG))
        })
        .collect();
    p.set_result(9u64);
    for w in waiters {
        assert_eq!(w.join().unwrap(), Ok(9));
    }
}

#[test]
fn await_by_value_and_by_reference() {
    let p = Promise::new();
    let f = p.future();
    let g = f.clone();
    let t = std::thread::spawn(move || p.set_result(String::from("hi")));
    assert_eq!(futures_lite::future::block_on(&f), Ok("hi".to_string()));
    assert_eq!(futures_lite::future::block_on(&f), Ok("hi".to_string()));
    assert_eq!(futures_lite::future::block_on(g), Ok("hi".to_string()));
    t.join().unwrap();
}

#[test]
fn await_sees_cancellation() {
    let p = Promise::<u8>::new();
    let f = p.future();
    let g = f.clone();
    let t = std::thread::spawn(move || futures_lite::future::block_on(g));
    // The awaiting thread may or may not have registered its waker yet: both orders must work.
    assert!(f.cancel());
    assert_eq!(t.join().unwrap(), Err(Error::Cancelled));
    drop(p);
}

#[test]
fn ready_and_failed_constructors() {
    assert_eq!(Future::ready(3).result(Some(Duration::ZERO)), Ok(3));
    let f: Future<u8> = Future::failed(Error::Shutdown);
    assert!(f.is_done());
    assert_eq!(f.error(None), Ok(Some(Error::Shutdown)));
}

#[test]
fn debug_shows_the_state() {
    let p = Promise::<u8>::new();
    let f = p.future();
    assert_eq!(format!("{f:?}"), "Future { state: \"pending\" }");
    f.cancel();
    assert_eq!(format!("{f:?}"), "Future { state: \"cancelled\" }");
}

#[test]
// Hash and Eq read the address only (see `Future`'s `Hash` docs).
#[allow(clippy::mutable_key_type)]
fn futures_are_keys_by_identity() {
    use std::collections::{BTreeSet, HashMap, HashSet};
    let promises: Vec<Promise<u8>> = (0..8).map(|_| Promise::new()).collect();
    let futures: Vec<_> = promises.iter().map(Promise::future).collect();
    // A clone is the same key; distinct futures never collide, even pending
    // ones with nothing to tell them apart but identity.
    let keyed: HashMap<_, usize> = futures.iter().cloned().zip(0..).collect();
    assert_eq!(keyed.len(), 8);
    for (i, f) in futures.iter().enumerate() {
        assert_eq!(keyed[&f.clone()], i);
        assert_eq!(keyed[&promises[i].future()], i);
    }
    let twice: HashSet<_> = futures.iter().chain(futures.iter()).cloned().collect();
    assert_eq!(twice.len(), 8);
    let ordered: BTreeSet<_> = futures.iter().cloned().collect();
    assert_eq!(ordered.len(), 8);
    // Completing a future does not change its identity.
    for (i, p) in promises.into_iter().enumerate() {
        p.set_result(i as u8);
    }
    for f in &futures {
        assert_eq!(u8::try_from(keyed[f]).unwrap(), f.result(None).unwrap());
    }
    let any: HashSet<_> = futures.iter().map(|f| f.as_any()).collect();
    assert_eq!(any.len(), 8);
    assert!(any.contains(&futures[3].clone().as_any()));
}
