//! A pool behind `&dyn Executor`, as `concur::Pool` holds a backend: every
//! generic call goes through `submit_task` and the type-erased path
//! (`pool/erased.rs`), whose argument and result cross the same codec.

use std::fmt::Debug;

use concur_core::{Executor, Payload};

/// A pool seen only through `Executor`'s dyn-compatible base (core's
/// conformance crate has it, for every backend's tests).
pub(crate) use concur_conformance::Erased;

/// `f(arg())` on `pool` itself and through [`Erased`]: the same outcome,
/// error messages and type names included — erasing the argument and result
/// types changes nothing the codec carries or refuses.
pub(crate) fn same_both_ways<A: Payload, R: Payload + PartialEq + Debug>(
    pool: &impl Executor,
    f: fn(A) -> R,
    arg: impl Fn() -> A,
    what: &str,
) {
    let typed = pool.submit(f, arg()).into_result();
    let erased = Erased(pool).submit(f, arg()).into_result();
    assert_eq!(erased, typed, "{what}");
}
