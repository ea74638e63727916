//! A counting global allocator: how many allocations (and bytes) a workload
//! makes per task, in this process. For the process suites that is the parent
//! only: the workers are other processes.
//!
//! Every allocation adds to a counter; to keep the counting from becoming a
//! point of contention itself (a submitter and a worker allocating on two cores
//! would bounce one shared cache line on every allocation), each thread counts
//! into one of [`STRIPES`] cache-line-sized stripes, picked once per thread, and
//! [`snapshot`] adds them up. What remains is a thread-local read and an
//! uncontended relaxed add per allocation, the same for every implementation.
//! `--no-alloc-count` turns the counting off ([`set_counting`]), to measure
//! what it costs: a run with it and one without differ by that alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// The number of stripes: more than the threads that allocate at once.
const STRIPES: usize = 64;

/// One thread's (or a few threads') counters, alone on a cache line (128 bytes:
/// the adjacent-line prefetcher pairs 64-byte lines).
#[repr(align(128))]
struct Stripe {
    allocations: AtomicU64,
    bytes: AtomicU64,
}

static COUNTS: [Stripe; STRIPES] = [const {
    Stripe {
        allocations: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    }
}; STRIPES];

/// Whether allocations are counted.
static COUNTING: AtomicBool = AtomicBool::new(true);

/// Turns the counting on or off (before the workloads start).
pub(crate) fn set_counting(on: bool) {
    // Relaxed: set once in `main` before the threads that allocate exist (their
    // spawn orders it before their first allocation).
    COUNTING.store(on, Ordering::Relaxed);
}

/// The next stripe to hand to a thread.
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe, `usize::MAX` until its first allocation. A const
    /// initialiser and no destructor: reading it never allocates and never
    /// fails, so the allocator can use it.
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn count(bytes: usize) {
    // Relaxed: see `set_counting`.
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let index = STRIPE
        .try_with(|slot| {
            let mut index = slot.get();
            if index == usize::MAX {
                // Relaxed: only spreads threads over stripes; no data is published.
                index = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES;
                slot.set(index);
            }
            index
        })
        .unwrap_or(0);
    let stripe = &COUNTS[index];
    // Relaxed: plain counters. `snapshot` runs after the workload's results were
    // received, which happens-after every allocation made for them, and a load
    // sees at least every store that happens-before it.
    stripe.allocations.fetch_add(1, Ordering::Relaxed);
    stripe.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// The system allocator, counting.
#[derive(Debug)]
pub(crate) struct Counting;

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; the counting touches no memory
// the allocator hands out and never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which is
        // `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract: `ptr` was
        // allocated by this allocator (so by `System`) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract: `ptr` was
        // allocated by this allocator (so by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// The allocations made so far by this process (a `realloc` counts as one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Allocs {
    pub(crate) allocations: u64,
    pub(crate) bytes: u64,
}

impl Allocs {
    /// What was allocated between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Allocs) -> Allocs {
        Allocs {
            allocations: self.allocations.saturating_sub(earlier.allocations),
            bytes: self.bytes.saturating_sub(earlier.bytes),
        }
    }
}

/// The counts so far, every stripe added up.
pub(crate) fn snapshot() -> Allocs {
    COUNTS.iter().fold(Allocs::default(), |sum, stripe| Allocs {
        // Relaxed: see `count`.
        allocations: sum.allocations + stripe.allocations.load(Ordering::Relaxed),
        bytes: sum.bytes + stripe.bytes.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_on_other_threads_are_counted() {
        // The test binary has this allocator too (it is declared in main.rs).
        let before = snapshot();
        let boxes: Vec<Box<[u8; 4096]>> = std::thread::scope(|s| {
            let a = s.spawn(|| (0..100).map(|_| Box::new([1u8; 4096])).collect::<Vec<_>>());
            let b = s.spawn(|| (0..100).map(|_| Box::new([2u8; 4096])).collect::<Vec<_>>());
            let mut all = a.join().expect("no panic");
            all.extend(b.join().expect("no panic"));
            all
        });
        let made = snapshot().since(before);
        assert_eq!(boxes.len(), 200);
        assert!(made.allocations >= 200, "{made:?}");
        assert!(made.bytes >= 200 * 4096, "{made:?}");
        assert_eq!(
            Allocs {
                allocations: 5,
                bytes: 9
            }
            .since(Allocs {
                allocations: 7,
                bytes: 1
            }),
            Allocs {
                allocations: 0,
                bytes: 8
            }
        );
    }
}
