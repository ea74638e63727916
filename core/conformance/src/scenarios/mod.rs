//! The scenarios, one file per area. Each is `pub fn name<E: Executor>(ctx: &Ctx<E>) -> Outcome`
//! and is listed, by area and name, in [`suite!`](crate::suite), which makes it a `#[test]`.
//!
//! Conventions every scenario follows:
//! - build the pool first and the gates after it, so that the gates (dropped
//!   first, in reverse order) open before the pool is dropped and waits for its
//!   tasks — also on an early `Err` return or a panic;
//! - tasks come from `tasks.rs`; nothing sleeps to order events.

pub mod args;
pub mod asyncs;
pub mod basics;
pub mod callbacks;
pub mod cancel;
pub mod completed;
pub mod edge;
pub mod map;
pub mod pressure;
pub mod shutdown;
pub mod waits;

use concur_core::{Executor, Future};

/// What every scenario file uses.
mod prelude {
    pub(super) use super::super::check::{Check, LONG, SHORT, eventually, expect_panic, is_panic};
    pub(super) use super::super::gate::Gate;
    pub(super) use super::super::tasks::*;
    pub(super) use super::super::{Ctx, Outcome, PoolConfig};
    pub(super) use super::{LOOKAHEAD, saturate};
    pub(super) use concur_core::{
        Error, Executor, Future, MapOptions, ReturnWhen, as_completed, wait,
    };
    pub(super) use std::time::Duration;
}

/// How many tasks a backend may dispatch ahead to each busy worker (a process
/// backend's in-flight window); tasks submitted after that many stay pending.
pub(crate) const LOOKAHEAD: usize = 8;

/// Occupies every one of the pool's `workers` with a task blocked on `gate`
/// (and checks they all started), then submits `LOOKAHEAD` more blocked tasks per
/// worker, so that any task submitted next stays pending until the gate opens.
/// Returns the futures of the blocked tasks, the running ones first; each yields
/// its index.
pub(crate) fn saturate<E: Executor>(
    pool: &E,
    gate: &super::gate::Gate,
    workers: usize,
) -> Result<Vec<Future<u64>>, String> {
    let mut futs: Vec<Future<u64>> = (0..workers as u64)
        .map(|i| pool.submit(super::tasks::gated, (gate.ticket(), i)))
        .collect();
    gate.expect_started(workers)?;
    let more = workers + LOOKAHEAD * workers;
    futs.extend(
        (workers as u64..more as u64).map(|i| pool.submit(super::tasks::gated, (gate.ticket(), i))),
    );
    Ok(futs)
}
