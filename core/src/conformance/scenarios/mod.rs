//! The scenarios, one file per area. Each is `fn name<E: Executor>(ctx: &Ctx<E>) -> Outcome`
//! and is listed, by name, in its file's `list()`.
//!
//! Conventions every scenario follows:
//! - build the pool first and the gates after it, so that the gates (dropped
//!   first, in reverse order) open before the pool is dropped and waits for its
//!   tasks — also on an early `Err` return or a panic;
//! - tasks come from [`tasks`](super::tasks); nothing sleeps to order events.

/// Defines `list()`: the scenarios of a file, each named after its function.
macro_rules! scenario_list {
    ($($name:ident),* $(,)?) => {
        pub(super) fn list<E: crate::Executor + 'static>() -> Vec<(&'static str, super::Body<E>)> {
            vec![$((stringify!($name), $name::<E> as super::Body<E>)),*]
        }
    };
}

mod asyncs;
mod basics;
mod callbacks;
mod cancel;
mod completed;
mod edge;
mod map;
mod pressure;
mod shutdown;
mod waits;

use super::{Ctx, Outcome};
use crate::{Executor, Future};

/// A scenario body.
pub(crate) type Body<E> = fn(&Ctx<E>) -> Outcome;

/// Every scenario, in the order they run.
pub(crate) fn all<E: Executor + 'static>() -> Vec<(&'static str, Body<E>)> {
    let mut all = Vec::new();
    all.extend(basics::list::<E>());
    all.extend(cancel::list::<E>());
    all.extend(callbacks::list::<E>());
    all.extend(waits::list::<E>());
    all.extend(completed::list::<E>());
    all.extend(asyncs::list::<E>());
    all.extend(map::list::<E>());
    all.extend(shutdown::list::<E>());
    all.extend(pressure::list::<E>());
    all.extend(edge::list::<E>());
    all
}

/// What every scenario file uses.
mod prelude {
    pub(super) use super::super::check::{Check, LONG, SHORT, eventually, expect_panic, is_panic};
    pub(super) use super::super::gate::Gate;
    pub(super) use super::super::tasks::*;
    pub(super) use super::super::{Ctx, Outcome, PoolConfig};
    pub(super) use super::{LOOKAHEAD, saturate};
    pub(super) use crate::{Error, Executor, Future, MapOptions, ReturnWhen, as_completed, wait};
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
