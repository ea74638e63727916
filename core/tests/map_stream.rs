//! `Map::into_stream`: the map's window as a `Stream`, woken only by what it
//! waits for — the head task in input order, any task in completion order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use concur_core::backend::TaskObj;
use concur_core::{Error, Executor, MapOptions, Stats, StatsCounter};
use futures_core::Stream;

/// Holds every task until the test runs it: `run(i)` completes task `i`.
/// A held task: completes its promise when called.
type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Held {
    tasks: Mutex<Vec<Option<Task>>>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("submitted", &self.submitted())
            .finish()
    }
}

impl Held {
    fn run(&self, i: usize) {
        let task = self.tasks.lock().unwrap()[i].take().expect("run once");
        task();
    }
    fn submitted(&self) -> usize {
        self.tasks.lock().unwrap().len()
    }
}

impl Executor for Held {
    fn submit_task(&self, task: TaskObj) -> Result<(), Error> {
        self.tasks.lock().unwrap().push(Some(Box::new(move || {
            task.run(&StatsCounter::default());
        })));
        Ok(())
    }
    fn max_workers(&self) -> usize {
        4
    }
    fn stats(&self) -> Stats {
        Stats::default()
    }
    fn shutdown(&self, _: bool, _: bool) {}
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn square(x: u64) -> u64 {
    x * x
}

fn poll<S: Stream + Unpin>(s: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    std::pin::Pin::new(s).poll_next(&mut Context::from_waker(waker))
}

#[test]
fn completion_order_is_woken_by_the_task_that_finished_only() {
    let pool = Held::default();
    let options = MapOptions::new().ordered(false).buffersize(50);
    let mut stream = pool.map(square, 0..50u64, options).unwrap().into_stream();
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    assert!(poll(&mut stream, &waker).is_pending());
    assert_eq!(pool.submitted(), 50, "the window is full");
    assert_eq!(count.0.load(Ordering::SeqCst), 0);
    pool.run(37);
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        1,
        "one task finished: one wake-up"
    );
    assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some(Ok(37 * 37))));
    assert!(poll(&mut stream, &waker).is_pending());
    pool.run(3);
    pool.run(49);
    assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some(Ok(9))));
    assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some(Ok(49 * 49))));
    assert!(poll(&mut stream, &waker).is_pending());
}

#[test]
fn input_order_is_woken_by_the_head_task_only() {
    let pool = Held::default();
    let options = MapOptions::new().buffersize(10);
    let mut stream = pool.map(square, 0..10u64, options).unwrap().into_stream();
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    assert!(poll(&mut stream, &waker).is_pending());
    for i in 1..10 {
        pool.run(i);
    }
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        0,
        "tasks behind the head do not wake the stream"
    );
    assert!(poll(&mut stream, &waker).is_pending());
    pool.run(0);
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    let all: Vec<_> = (0..10)
        .map(|_| match poll(&mut stream, &waker) {
            Poll::Ready(Some(r)) => r.unwrap(),
            other => panic!("expected an item, saw {other:?}"),
        })
        .collect();
    assert_eq!(all, (0..10).map(square).collect::<Vec<_>>());
    assert_eq!(poll(&mut stream, &waker), Poll::Ready(None));
}

#[test]
fn the_stream_refills_the_window_and_chunks_as_the_iterator_does() {
    let pool = Held::default();
    let options = MapOptions::new().chunksize(3).buffersize(2);
    let mut stream = pool.map(square, 0..10u64, options).unwrap().into_stream();
    let waker = Waker::from(Arc::new(Count::default()));
    assert!(poll(&mut stream, &waker).is_pending());
    assert_eq!(pool.submitted(), 2, "two chunks in flight");
    pool.run(0);
    for x in 0..3u64 {
        assert_eq!(poll(&mut stream, &waker), Poll::Ready(Some(Ok(x * x))));
    }
    assert_eq!(
        pool.submitted(),
        3,
        "a finished chunk makes room for the next"
    );
    pool.run(1);
    pool.run(2);
    let mut next = || match poll(&mut stream, &waker) {
        Poll::Ready(Some(r)) => Some(r.unwrap()),
        _ => None,
    };
    let middle: Vec<u64> = (0..6).filter_map(|_| next()).collect();
    assert_eq!(middle, (3..9).map(square).collect::<Vec<_>>());
    assert_eq!(pool.submitted(), 4, "the last, short chunk");
    pool.run(3);
    assert_eq!(next(), Some(81));
    assert_eq!(poll(&mut stream, &waker), Poll::Ready(None));
}

#[test]
fn a_map_is_send_so_a_stream_can_move_into_a_task() {
    fn assert_send<T: Send>(_: &T) {}
    let pool = Held::default();
    let map = pool.map(square, vec![1, 2, 3], MapOptions::new()).unwrap();
    assert_send(&map);
    let stream = map.into_stream();
    assert_send(&stream);
}
