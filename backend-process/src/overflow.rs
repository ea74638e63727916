//! Stack overflow in a worker, reported as Rust's `main` would: a worker never
//! reaches `main`, so the runtime's guard-page handler is not installed, and a
//! task that overflows its stack would die of a bare `SIGSEGV`. This installs
//! the same kind of handler for the worker's main thread (where tasks run): on
//! an alternate signal stack, a fault just below the stack prints "has
//! overflowed its stack" and aborts; any other fault gets the default action.
//!
//! Before it aborts, the handler sets a word of the pool's beacon (see
//! [`report_to`]), so the pool reports the task's `Error::WorkerLost` with
//! `LostCause::StackOverflow`, not only a `SIGABRT`.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// The range of addresses below the main thread's stack whose fault is an
/// overflow; written once before the handler is installed, read by the
/// handler (`Relaxed`: `sigaction` orders the writes before any delivery).
static GUARD_START: AtomicUsize = AtomicUsize::new(0);
static GUARD_END: AtomicUsize = AtomicUsize::new(0);

/// How far below the lowest stack address a fault still counts as an
/// overflow: the kernel's stack guard gap (256 pages of 4 KiB).
const GAP: usize = 256 * 4096;

/// The beacon word to set on an overflow (null: none). Release in
/// [`report_to`] pairs with the Acquire load in the handler.
static REPORT: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());

/// Makes the handler set `flag` (to 1) before it aborts on an overflow.
pub(crate) fn report_to(flag: &'static AtomicU64) {
    REPORT.store(std::ptr::from_ref(flag).cast_mut(), Ordering::Release);
}

const MESSAGE: &[u8] =
    b"\nthread 'main' has overflowed its stack (in a concur-process worker)\nfatal runtime error: stack overflow, aborting\n";

extern "C" fn on_fault(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let (start, end) = (
        GUARD_START.load(Ordering::Relaxed),
        GUARD_END.load(Ordering::Relaxed),
    );
    if (start..end).contains(&addr) {
        let flag = REPORT.load(Ordering::Acquire);
        if !flag.is_null() {
            // SAFETY: a non-null `REPORT` came from a `&'static AtomicU64`
            // (`report_to`); a lock-free atomic store is async-signal-safe.
            // Relaxed: the pool reads it after this process is reaped.
            unsafe { (*flag).store(1, Ordering::Relaxed) };
        }
        // SAFETY: write and abort are async-signal-safe.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::abort();
        }
    }
    // Not an overflow: restore the default action and raise the signal again
    // (blocked until this handler returns), so the process ends as it would
    // have, whether the signal came from a fault or from `kill`/`raise`.
    // SAFETY: an all-zero sigaction with SIG_DFL is a valid disposition;
    // sigaction and raise are async-signal-safe.
    unsafe {
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &dfl, std::ptr::null_mut());
        libc::raise(signal);
    }
}

/// Installs the handler for the calling thread (the worker's main thread).
/// Does nothing if the stack's bounds or an alternate stack cannot be had.
pub(crate) fn install() {
    // SAFETY: pthread_getattr_np fills the attribute object it is given, which
    // is then read and destroyed; the calling thread is alive.
    let low = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        if !ok {
            return;
        }
        addr as usize
    };
    GUARD_START.store(low.saturating_sub(GAP), Ordering::Relaxed);
    GUARD_END.store(low + 4096, Ordering::Relaxed);
    let size = 64 * 1024;
    // SAFETY: a fresh anonymous mapping, kept for the life of the process (the
    // alternate stack must outlive every signal delivery); sigaltstack and
    // sigaction read the structures they are given.
    unsafe {
        let stack = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if stack == libc::MAP_FAILED {
            return;
        }
        let alt = libc::stack_t {
            ss_sp: stack,
            ss_flags: 0,
            ss_size: size,
        };
        if libc::sigaltstack(&alt, std::ptr::null_mut()) != 0 {
            return;
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_fault
            as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
            as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}
