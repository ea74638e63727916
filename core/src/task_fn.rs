//! [`TaskFn`]: what a task's function may be — a function of zero to four
//! arguments, called with its arguments as one tuple, so that
//! `submit(add, (1, 2))` runs `add(1, 2)` and `submit(square, 5)` runs
//! `square(5)`.
//!
//! A task function is anything callable that is `Copy + Send + Sync +
//! 'static`: a `fn` item, a closure, a fn pointer. Every backend in this
//! process calls it as it is (no pointer, no allocation). A backend whose
//! workers are other processes sends it as an address in the binary, which
//! works for fn items and closures that capture nothing (they are
//! zero-sized: there is nothing to send) and for fn pointers; a closure that
//! captures values fails its task with [`Error::Encode`](crate::Error::Encode)
//! there — see `erased/remote.rs`, [`fn_address`], for the argument.
//!
//! [`ClosureFn`] is the same shapes without `Copy`, called by reference:
//! what the in-process pools' closure `map` takes.

use std::any::TypeId;
use std::mem::size_of;

mod sealed {
    /// Keeps [`TaskFn`](super::TaskFn) to the blanket impls below: only
    /// Rust's own callables (fn items, fn pointers, closures) are task
    /// functions, which the out-of-process path relies on.
    pub trait Sealed<Args, R, Marker> {}

    /// Keeps [`ClosureFn`](super::ClosureFn) to Rust's own callables.
    pub trait SealedClosure<Args, R, Marker> {}
}

/// A task's function: `Fn(A) -> R` called with `A`, `Fn(A, B) -> R` called
/// with `(A, B)`, and so on up to four arguments (and `Fn() -> R` with `()`).
///
/// It is implemented for every function, fn pointer and closure of those
/// shapes that is `Copy + Send + Sync + 'static`, and cannot be implemented
/// otherwise (it is sealed). `Marker` is only there to tell the shapes apart
/// (it is the fn pointer type of the shape, `fn(A, B) -> R`); it is always
/// inferred, never written.
///
/// # On a pool of worker processes
///
/// A worker runs the same binary, so a function travels as an address: a
/// fn pointer as its own, and a zero-sized function — every `fn` item, and
/// every closure that captures nothing — as nothing at all: the worker makes
/// the value again. A closure that captures values fails its task with
/// [`Error::Encode`](crate::Error::Encode) at submit (its captures live in
/// this process; pass them as arguments instead). One case the bounds do
/// not exclude: a closure that captures only zero-sized values is
/// zero-sized too, and crosses; a zero-sized capture whose meaning belongs
/// to one process (a token proving a CPU feature of this machine, say) is
/// then believed on another — keep such closures on in-process pools.
///
/// A function that takes one tuple is the one-argument shape: with
/// `fn f((a, b): (u64, u64))`, `submit(f, (1, 2))` calls `f((1, 2))`; with
/// `fn g(a: u64, b: u64)`, `submit(g, (1, 2))` calls `g(1, 2)`. No function
/// is both, so the call picks one.
///
/// ```
/// use concur_core::TaskFn;
///
/// fn add(a: u64, b: u64) -> u64 { a + b }
/// fn square(x: u64) -> u64 { x * x }
/// fn swap((a, b): (u8, u8)) -> (u8, u8) { (b, a) }
///
/// fn run<F: TaskFn<Args, R, M>, Args, R, M>(f: F, args: Args) -> R {
///     f.call(args)
/// }
/// assert_eq!(run(add, (1, 2)), 3);
/// assert_eq!(run(square, 5), 25);
/// assert_eq!(run(swap, (1, 2)), (2, 1));
/// assert_eq!(run(|a: u8, b: u8, c: u8, d: u8| a + b + c + d, (1, 2, 3, 4)), 10);
/// ```
pub trait TaskFn<Args, R, Marker>:
    Copy + Send + Sync + 'static + sealed::Sealed<Args, R, Marker>
{
    /// The fn pointer type of this shape (`fn(A, B) -> R`).
    #[doc(hidden)]
    type Pointer: Copy + 'static;

    /// Calls the function with `args` spread over its parameters.
    fn call(self, args: Args) -> R;
}

/// A function an in-process `map` calls: `Fn(A) -> R` called with `A`,
/// `Fn(A, B) -> R` with `(A, B)`, and so on up to four arguments (and
/// `Fn() -> R` with `()`), as [`TaskFn`] — but any closure of those shapes
/// that is `Send + Sync + 'static`, capturing what it likes (a `HashMap`, an
/// `Arc`, a `String`), and called by reference, since one value serves every
/// item.
///
/// It is what the thread and async pools' inherent `map` take (through
/// [`map_closure`](crate::backend::map_closure)), so that `pool.map(add,
/// pairs, ..)` calls `add(a, b)` there as it does through
/// [`Executor::map`](crate::Executor::map). Every [`TaskFn`] is one. Sealed,
/// like [`TaskFn`]; `Marker` tells the shapes apart and is always inferred.
///
/// The one thing the shape's freedom costs: a closure's parameter types come
/// from the closure, not from the bound, so a closure whose body calls a
/// method on its argument names the argument's type (`|s: &str| s.len()`),
/// as for [`TaskFn`].
///
/// ```
/// use concur_core::ClosureFn;
///
/// fn run<F: ClosureFn<Args, R, M>, Args, R, M>(f: &F, args: Args) -> R {
///     f.call_ref(args)
/// }
/// let names = vec!["ann".to_owned(), "bo".to_owned()]; // not `Copy`
/// let pick = move |i: usize, upper: bool| {
///     if upper { names[i].to_uppercase() } else { names[i].clone() }
/// };
/// assert_eq!(run(&pick, (1, true)), "BO");
/// assert_eq!(run(&pick, (0, false)), "ann");
/// assert_eq!(run(&|x: u64| x * x, 5), 25);
/// ```
pub trait ClosureFn<Args, R, Marker>:
    Send + Sync + 'static + sealed::SealedClosure<Args, R, Marker>
{
    /// Calls the function with `args` spread over its parameters.
    fn call_ref(&self, args: Args) -> R;
}

/// The impls of [`TaskFn`] and [`ClosureFn`] for each shape: the same
/// `Fn` bound, plus `Copy` for a task function.
macro_rules! task_fn {
    ($(($($arg:ident $v:ident),*) => $args:ty, $pat:pat,)*) => {$(
        impl<F, $($arg,)* R> sealed::Sealed<$args, R, fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R + Copy + Send + Sync + 'static,
        {
        }

        impl<F, $($arg,)* R> TaskFn<$args, R, fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R + Copy + Send + Sync + 'static,
            $($arg: 'static,)*
            R: 'static,
        {
            type Pointer = fn($($arg),*) -> R;

            #[inline(always)]
            fn call(self, args: $args) -> R {
                let $pat = args;
                self($($v),*)
            }
        }

        impl<F, $($arg,)* R> sealed::SealedClosure<$args, R, fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
        {
        }

        impl<F, $($arg,)* R> ClosureFn<$args, R, fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
        {
            #[inline(always)]
            fn call_ref(&self, args: $args) -> R {
                let $pat = args;
                self($($v),*)
            }
        }
    )*};
}

task_fn! {
    () => (), (),
    (A a) => A, a,
    (A a, B b) => (A, B), (a, b),
    (A a, B b, C c) => (A, B, C), (a, b, c),
    (A a, B b, C c, D d) => (A, B, C, D), (a, b, c, d),
}

/// How a task function crosses to another process running this binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Crossing {
    /// Zero-sized (a fn item, a closure that captures nothing): nothing
    /// travels, the worker makes the value again ([`conjure`]).
    ZeroSized,
    /// A fn pointer of the task's own shape: its address travels.
    Pointer(usize),
}

/// How `f` crosses to another process, or `None` for a function that
/// carries data (a capturing closure): its bytes would be pointers into
/// this process.
pub(crate) fn crossing<F: TaskFn<Args, R, M>, Args, R, M>(f: F) -> Option<Crossing> {
    if size_of::<F>() == 0 {
        Some(Crossing::ZeroSized)
    } else if TypeId::of::<F>() == TypeId::of::<F::Pointer>() {
        const { assert!(size_of::<usize>() >= size_of::<fn()>()) };
        // SAFETY: `F` is `F::Pointer`, a fn pointer type (checked just
        // above by `TypeId`), which has the size of a `usize` (every fn
        // pointer has the size of `fn()`, asserted at compile time).
        let pointer: fn() = unsafe { std::mem::transmute_copy::<F, fn()>(&f) };
        Some(Crossing::Pointer(pointer as usize))
    } else {
        None
    }
}

/// The task function again, in a worker process: `addr` is what
/// [`crossing`] gave (`0` for a zero-sized one).
///
/// # Safety
///
/// `addr` comes from [`crossing`]`::<F, ..>` on a value of this very `F`,
/// in a process running this very binary. Then:
///
/// - a zero-sized `F` (a fn item, or a closure that captures nothing, or
///   only zero-sized `Copy` values) has no bytes, so making it is reading
///   zero bytes; a value of `F` existed at submit, so `F` is inhabited. It
///   is `Copy` (so duplicating it breaks no uniqueness), `Send` (so it may
///   be used on another thread), `'static` (it borrows nothing) and one of
///   Rust's own callables (`TaskFn` is sealed), and it is the same type of
///   the same binary, so the same code runs. What the bounds cannot
///   exclude is a closure that captures a zero-sized token whose meaning is
///   local to one process (a proof that the submitting machine's CPU has a
///   feature, say): the worker gets the token too; such a closure belongs
///   on an in-process pool.
/// - any other `F` is its own fn pointer type (`crossing` checked its
///   `TypeId`) and `addr` the function's address in this binary.
pub(crate) unsafe fn conjure<F: TaskFn<Args, R, M>, Args, R, M>(addr: usize) -> F {
    if size_of::<F>() == 0 {
        // SAFETY: the zero-sized case of this function's contract: a read of
        // a zero-sized type through a dangling, aligned pointer reads no
        // byte, and the type is inhabited, `Copy`, `Send`, `'static`.
        unsafe { std::ptr::NonNull::<F>::dangling().read() }
    } else {
        assert!(
            TypeId::of::<F>() == TypeId::of::<F::Pointer>(),
            "a task function that is neither zero-sized nor a fn pointer never crosses"
        );
        let pointer = addr as *const ();
        // SAFETY: `F` is a fn pointer type (asserted above), so it has the
        // size of a pointer, and by this function's contract `addr` is the
        // address of a function of exactly that type in this binary.
        unsafe { std::mem::transmute_copy::<*const (), F>(&pointer) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: u64, b: u64) -> u64 {
        a + b
    }

    fn pair((a, b): (u64, u64)) -> u64 {
        a * b
    }

    fn zero() -> u8 {
        7
    }

    fn cross<F: TaskFn<Args, R, M>, Args, R, M>(f: F, args: Args) -> Option<R> {
        let addr = match crossing(f)? {
            Crossing::ZeroSized => 0,
            Crossing::Pointer(addr) => addr,
        };
        // SAFETY: `addr` comes from `crossing::<F>` in this process.
        let f: F = unsafe { conjure(addr) };
        Some(f.call(args))
    }

    #[test]
    fn every_shape_calls_with_its_arguments_spread() {
        assert_eq!(zero.call(()), 7);
        assert_eq!(add.call((1, 2)), 3);
        assert_eq!(pair.call((3, 4)), 12);
        assert_eq!((|a: u8, b: u8, c: u8| a + b + c).call((1, 2, 3)), 6);
        assert_eq!(
            (|a: u8, b: u8, c: u8, d: u8| a * b * c * d).call((1, 2, 3, 4)),
            24
        );
    }

    #[test]
    fn fn_items_closures_and_fn_pointers_cross_capturing_closures_do_not() {
        assert_eq!(crossing(add), Some(Crossing::ZeroSized));
        assert_eq!(cross(add, (1, 2)), Some(3));
        assert_eq!(cross(|x: u64| x + 1, 1), Some(2));
        let p: fn(u64, u64) -> u64 = add;
        assert_eq!(crossing(p), Some(Crossing::Pointer(p as usize)));
        assert_eq!(cross(p, (5, 6)), Some(11));
        let q: fn((u64, u64)) -> u64 = pair;
        assert_eq!(cross(q, (5, 6)), Some(30));
        let offset = 10u64;
        assert_eq!(crossing(move |x: u64| x + offset), None);
        // A reference to a function is not the fn pointer of its shape.
        static P: fn(u64) -> u64 = |x| x;
        #[allow(
            clippy::needless_borrows_for_generic_args,
            reason = "the reference is the case"
        )]
        let by_ref = crossing(&P);
        assert_eq!(by_ref, None);
    }
}
