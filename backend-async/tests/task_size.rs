//! What one spawn allocates on the spawning thread: the task alone
//! (async-task's header with the pool's metadata and the future's cell, and
//! the task's future), within 256 bytes; nothing else but the run queue's
//! blocks, one per 31 tasks. One test in this binary: it counts every
//! allocation of the process's spawning thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use concur_async::AsyncPool;

struct Counting;

/// Larger than a W1 task, smaller than a block of the run queue.
const SMALL_MAX: usize = 256;

thread_local! {
    /// Whether this thread's allocations are being recorded.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    /// Allocations of at most `SMALL_MAX` bytes, and of more, while recording.
    static SMALL: Cell<usize> = const { Cell::new(0) };
    static LARGE: Cell<usize> = const { Cell::new(0) };
    static LARGEST_SMALL: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to `System` unchanged; the bookkeeping
// only touches this thread's `Cell`s, which allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = RECORDING.try_with(|recording| {
            if recording.get() {
                if layout.size() <= SMALL_MAX {
                    SMALL.with(|n| n.set(n.get() + 1));
                    LARGEST_SMALL.with(|n| n.set(n.get().max(layout.size())));
                } else {
                    LARGE.with(|n| n.set(n.get() + 1));
                }
            }
        });
        // SAFETY: the caller's `layout` is passed on as it came.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn a_spawn_allocates_once_the_task_with_its_future_cell() {
    const N: usize = 3100;
    let pool = AsyncPool::new(2).expect("a pool");
    // Warm up: the threads' first tasks, the thread-locals.
    for i in 0..100u64 {
        assert_eq!(pool.spawn(async move { i }).into_result(), Ok(i));
    }
    let mut futures = Vec::with_capacity(N);
    RECORDING.with(|r| r.set(true));
    for i in 0..N as u64 {
        futures.push(pool.spawn(async move { i }));
    }
    RECORDING.with(|r| r.set(false));
    let (small, large) = (SMALL.with(Cell::get), LARGE.with(Cell::get));
    let largest = LARGEST_SMALL.with(Cell::get);
    for (i, f) in futures.into_iter().enumerate() {
        assert_eq!(f.into_result(), Ok(i as u64));
    }
    // One small allocation a task: the task, the future's cell inside it.
    assert_eq!(small, N, "small allocations (largest {largest} bytes)");
    // The queue's blocks of 31 slots (and a block more for where the warm-up
    // left the queue's tail).
    assert!(
        large <= N / 31 + 1,
        "{large} allocations over {SMALL_MAX} bytes (largest small {largest})"
    );
    eprintln!("a W1 task allocates {largest} bytes");
}
