//! [`RemoteTask`]: a [`TaskObj`](super::TaskObj) taken apart for a worker in
//! another process that runs the same binary — the process and MPI pools.
//!
//! Three things travel or stay:
//!
//! - [`RemoteCall`]: the task's function and the *remote runner*
//!   `runner::<A, R, S>`, both as addresses in this binary, monomorphized at
//!   the generic submit. A backend sends them as it sends its own
//!   trampolines (offsets from an anchor, checked by its handshake); the
//!   worker calls [`RemoteCall::prepare`] with an erased deserializer over the
//!   argument's bytes (its codec's, bounded by the frame), then
//!   [`Prepared::run`] with an encoder for the result.
//! - the argument, as an erased `Serialize` ([`RemoteTask::arg`]) the pool's
//!   codec encodes on the submitting thread — once, with the codec's own
//!   checks: erasing forwards every serde call unchanged.
//! - a [`RemoteResult`], kept by the parent: it decodes the worker's bytes as
//!   the output type fixed at submit, never one the worker names, and
//!   completes the future.

use std::any::type_name;
use std::fmt;

use super::Shape;
use crate::backend::task;
use crate::task_fn::{self, Crossing};
use crate::{AnyFuture, Error, Payload, Promise, StatsCounter, TaskFn, catch_panic};

/// The remote runner's signature: the function's address, an erased
/// deserializer over the argument, and where to write the argument's type
/// name (for the error of a failed decode).
type Runner = for<'de> unsafe fn(
    usize,
    &mut dyn erased_serde::Deserializer<'de>,
    &mut &'static str,
) -> Result<Prepared, erased_serde::Error>;

/// The address that stands for the task function `f` in a worker process
/// running this binary, for [`fn_from_address`] there: `0` for a zero-sized
/// function (a fn item, a closure that captures nothing: nothing travels),
/// the function's address for a fn pointer.
///
/// Out-of-process backends send it (as an offset from their anchor) beside
/// a trampoline monomorphized for `F`.
///
/// # Errors
///
/// [`Error::Encode`] for a closure that captures values: what it captured
/// lives in this process only (a pointer, a `String`'s buffer...), and
/// sending its bytes would be sending dangling pointers. The message says
/// what to do instead.
pub fn fn_address<F: TaskFn<A, R, M>, A, R, M>(f: F) -> Result<usize, Error> {
    match task_fn::crossing(f) {
        Some(Crossing::ZeroSized) => Ok(0),
        Some(Crossing::Pointer(addr)) => Ok(addr),
        None => Err(Error::capturing_closure(type_name::<F>())),
    }
}

/// The task function again, in the worker, from what [`fn_address`] gave.
///
/// # Safety
///
/// `addr` is what [`fn_address`]`::<F, ..>` returned for a value of this
/// very `F` in a process running this very binary, carried over unchanged
/// (the backend's handshake checks the binary). For a zero-sized `F` the
/// value is made from no bytes: it existed at submit (so `F` is inhabited),
/// is `Copy`, `Send` and `'static`, and is one of Rust's own callables
/// ([`TaskFn`] is sealed) of the same binary; the one thing those bounds
/// leave open is a closure that captures a zero-sized token whose meaning
/// belongs to one process (proof of a CPU feature, say), which should not
/// be sent to another process (`TaskFn`'s docs say so).
pub unsafe fn fn_from_address<F: TaskFn<A, R, M>, A, R, M>(addr: usize) -> F {
    // SAFETY: this function's contract is `conjure`'s.
    unsafe { task_fn::conjure(addr) }
}

/// The remote runner of the task function `F` in shape `S`: decodes the
/// input, and returns the call, ready to run.
///
/// # Safety
///
/// `func` is what [`fn_address`] gave for a value of this very `F`, in a
/// process running this binary.
unsafe fn runner<F: TaskFn<A, R, M>, A: Payload, R: Payload, M, S: Shape<A, R>>(
    func: usize,
    arg: &mut dyn erased_serde::Deserializer<'_>,
    arg_type: &mut &'static str,
) -> Result<Prepared, erased_serde::Error> {
    *arg_type = type_name::<S::Input>();
    // SAFETY: by this function's contract, `fn_from_address`'s.
    let f: F = unsafe { fn_from_address(func) };
    let input: S::Input = erased_serde::deserialize(arg)?;
    Ok(Prepared {
        call: Box::new(move |encode| {
            let output = catch_panic(|| S::call(|a| f.call(a), input))?;
            encode(&output, type_name::<S::Output>())
        }),
    })
}

/// A task's function and remote runner, as addresses in this binary: what a
/// worker running the same binary needs to run it.
///
/// A backend turns both into offsets from a function of its own (ASLR moves
/// the whole binary, not its parts) and back; its handshake makes sure the
/// worker runs the same binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteCall {
    func: usize,
    runner: usize,
}

impl RemoteCall {
    /// The task function's address.
    pub fn func(&self) -> usize {
        self.func
    }

    /// The remote runner's address.
    pub fn runner(&self) -> usize {
        self.runner
    }

    /// The call of [`func`](RemoteCall::func) and
    /// [`runner`](RemoteCall::runner) addresses, as a worker rebuilds it
    /// from what its pool sent. Only [`prepare`](RemoteCall::prepare) uses them.
    pub fn from_addresses(func: usize, runner: usize) -> RemoteCall {
        RemoteCall { func, runner }
    }

    /// The worker's side: decodes the argument from `arg` (an erased
    /// deserializer of the pool's codec, over the argument's bytes only) and
    /// returns the call ready to run. `arg_type` gets the argument's type
    /// name first thing, for the error of a failed decode.
    ///
    /// # Errors
    ///
    /// What the deserializer reports when the bytes are not the argument.
    ///
    /// # Safety
    ///
    /// Both addresses come from a [`RemoteTask::call`] made in a process
    /// running this very binary, carried over without change (the backend's
    /// handshake checks the binary's identity).
    pub unsafe fn prepare(
        self,
        arg: &mut dyn erased_serde::Deserializer<'_>,
        arg_type: &mut &'static str,
    ) -> Result<Prepared, erased_serde::Error> {
        // SAFETY: by this function's contract `runner` is the address of a
        // `runner::<A, R, S>` of this binary, all of which have the `Runner`
        // signature.
        let runner = unsafe { std::mem::transmute::<usize, Runner>(self.runner) };
        // SAFETY: and `func` what `fn_address` gave for the `F` that runner
        // was made with.
        unsafe { runner(self.func, arg, arg_type) }
    }
}

/// The encoder of a task's output, given by the worker: the value and its
/// type name in, the codec's verdict out.
pub type Encode<'a> =
    dyn FnMut(&dyn erased_serde::Serialize, &'static str) -> Result<(), Error> + 'a;

/// The call of a [`Prepared`] task: runs it and hands its output to the encoder.
type Call = Box<dyn FnOnce(&mut Encode<'_>) -> Result<(), Error> + Send>;

/// A remote task whose argument is decoded, ready to run in the worker.
pub struct Prepared {
    call: Call,
}

impl Prepared {
    /// Calls the task function with its panic caught, then hands its output
    /// to `encode`.
    ///
    /// # Errors
    ///
    /// [`Error::Panicked`] if the task panicked; what `encode` returned.
    pub fn run(self, encode: &mut Encode<'_>) -> Result<(), Error> {
        (self.call)(encode)
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prepared")
    }
}

/// The parent's side of a remote task's outcome.
trait Slot: Send {
    fn set_running(&self) -> bool;
    fn future(&self) -> AnyFuture;
    fn type_name(&self) -> &'static str;
    fn decode(
        &mut self,
        de: &mut dyn erased_serde::Deserializer<'_>,
    ) -> Result<(), erased_serde::Error>;
    fn finish(self: Box<Self>, outcome: Result<(), Error>, stats: &StatsCounter);
    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter);
    fn start(&self, stats: &StatsCounter) -> bool;
    fn fail_queued(self: Box<Self>, error: Error, stats: &StatsCounter);
    fn cancel_queued(self: Box<Self>, stats: &StatsCounter);
}

struct TypedSlot<O: Payload> {
    promise: Promise<O>,
    value: Option<O>,
}

impl<O: Payload> Slot for TypedSlot<O> {
    fn set_running(&self) -> bool {
        self.promise.set_running()
    }

    fn future(&self) -> AnyFuture {
        self.promise.future().as_any()
    }

    fn type_name(&self) -> &'static str {
        type_name::<O>()
    }

    fn decode(
        &mut self,
        de: &mut dyn erased_serde::Deserializer<'_>,
    ) -> Result<(), erased_serde::Error> {
        self.value = Some(erased_serde::deserialize(de)?);
        Ok(())
    }

    fn finish(self: Box<Self>, outcome: Result<(), Error>, stats: &StatsCounter) {
        let TypedSlot { promise, value } = *self;
        let outcome = outcome.and_then(|()| {
            value.ok_or_else(|| Error::Decode {
                type_name: type_name::<O>().to_owned(),
                message: "the backend reported success without decoding the value".to_owned(),
            })
        });
        task::finish(promise, stats, outcome);
    }

    fn fail(self: Box<Self>, error: Error, stats: &StatsCounter) {
        task::finish(self.promise, stats, Err(error));
    }

    fn start(&self, stats: &StatsCounter) -> bool {
        task::start(&self.promise, stats)
    }

    fn fail_queued(self: Box<Self>, error: Error, stats: &StatsCounter) {
        task::fail(self.promise, stats, error);
    }

    fn cancel_queued(self: Box<Self>, stats: &StatsCounter) {
        task::cancel(self.promise, stats);
    }
}

/// Where a remote task's result goes, in the parent: decoded as the type
/// fixed at submit (never one a worker names), then counted and completed.
///
/// Dropped without [`finish`](RemoteResult::finish) or
/// [`fail`](RemoteResult::fail), it cancels its future.
pub struct RemoteResult {
    slot: Box<dyn Slot>,
}

impl RemoteResult {
    /// Marks the task running; false if its future was cancelled meanwhile
    /// (then it must not be sent, and is dropped).
    pub fn set_running(&self) -> bool {
        self.slot.set_running()
    }

    /// The task's future, type-erased.
    pub fn future(&self) -> AnyFuture {
        self.slot.future()
    }

    /// The name of the result's type, for a decode error.
    pub fn type_name(&self) -> &'static str {
        self.slot.type_name()
    }

    /// Decodes the result from `de` (the pool's codec, bounded by the
    /// result's frame) and keeps it for [`finish`](RemoteResult::finish).
    ///
    /// # Errors
    ///
    /// What the deserializer reports when the bytes are not the result.
    pub fn decode(
        &mut self,
        de: &mut dyn erased_serde::Deserializer<'_>,
    ) -> Result<(), erased_serde::Error> {
        self.slot.decode(de)
    }

    /// The seed that [`decode`](RemoteResult::decode)s through a codec's
    /// deserializer (`DeserializeSeed`, for a codec that takes seeds).
    pub fn seed(&mut self) -> super::ResultSeed<'_> {
        super::ResultSeed(self)
    }

    /// Counts the outcome in `stats` and completes the future: `Ok(())`
    /// with the value [`decode`](RemoteResult::decode) kept, or the error.
    pub fn finish(self, outcome: Result<(), Error>, stats: &StatsCounter) {
        self.slot.finish(outcome, stats);
    }

    /// Counts a failure in `stats` and fails the future with `error`: a
    /// started task that ended without a result (`task::finish` with the
    /// error).
    pub fn fail(self, error: Error, stats: &StatsCounter) {
        self.slot.fail(error, stats);
    }

    /// Marks the task running and counts it started; false, counted
    /// cancelled, if its future was cancelled while it waited
    /// ([`backend::task::start`](crate::backend::task::start)).
    pub fn start(&self, stats: &StatsCounter) -> bool {
        self.slot.start(stats)
    }

    /// Ends a task that never started with `error`, unless its future was
    /// cancelled meanwhile ([`backend::task::fail`](crate::backend::task::fail)).
    pub fn fail_queued(self, error: Error, stats: &StatsCounter) {
        self.slot.fail_queued(error, stats);
    }

    /// Ends a task that never started: its future is cancelled, counted in
    /// `stats` ([`backend::task::cancel`](crate::backend::task::cancel)).
    pub fn cancel_queued(self, stats: &StatsCounter) {
        self.slot.cancel_queued(stats);
    }
}

impl fmt::Debug for RemoteResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteResult")
            .field("type_name", &self.type_name())
            .finish_non_exhaustive()
    }
}

/// A [`TaskObj`](super::TaskObj) taken apart for another process: what
/// travels ([`call`](RemoteTask::call), [`arg`](RemoteTask::arg)) and what
/// stays ([`into_result`](RemoteTask::into_result)).
///
/// ```
/// use concur_core::backend::{RemoteCall, TaskObj, erased_serde};
/// use concur_core::StatsCounter;
///
/// fn double(x: u32) -> u32 { 2 * x }
///
/// let (task, future) = TaskObj::new(double, 21);
/// let remote = task.into_remote().expect("a fn item crosses to another process");
/// // The pool encodes the argument with its codec (JSON here, for the example).
/// let bytes = serde_json::to_vec(remote.arg()).unwrap();
/// let call = remote.call();
///
/// // The worker, running the same binary, decodes, runs and encodes.
/// let call = RemoteCall::from_addresses(call.func(), call.runner());
/// let mut de = serde_json::Deserializer::from_slice(&bytes);
/// let mut arg_type = "";
/// // SAFETY: both addresses come from `remote.call()` in this very process.
/// let prepared = unsafe { call.prepare(&mut <dyn erased_serde::Deserializer>::erase(&mut de), &mut arg_type) }
///     .unwrap();
/// assert_eq!(arg_type, "u32");
/// let mut out = Vec::new();
/// prepared.run(&mut |value, _type_name| {
///     out = serde_json::to_vec(value).unwrap();
///     Ok(())
/// }).unwrap();
///
/// // The parent decodes the result as the type it knows.
/// let mut result = remote.into_result();
/// assert!(result.set_running());
/// let mut de = serde_json::Deserializer::from_slice(&out);
/// result.decode(&mut <dyn erased_serde::Deserializer>::erase(&mut de)).unwrap();
/// result.finish(Ok(()), &StatsCounter::default());
/// assert_eq!(future.result(None), Ok(42));
/// ```
pub struct RemoteTask {
    call: RemoteCall,
    arg: Box<dyn erased_serde::Serialize + Send>,
    arg_type: &'static str,
    result: RemoteResult,
}

impl RemoteTask {
    /// The remote task of `f` over `input`, or, for a function that cannot
    /// cross ([`fn_address`]), its error — with which `promise` fails.
    pub(super) fn new<F: TaskFn<A, R, M>, A: Payload, R: Payload, M, S: Shape<A, R>>(
        f: F,
        input: S::Input,
        promise: Promise<S::Output>,
    ) -> Result<RemoteTask, Error> {
        let func = match fn_address(f) {
            Ok(func) => func,
            Err(e) => {
                // Never submitted, so counted nowhere.
                task::fail(promise, &StatsCounter::default(), e.clone());
                return Err(e);
            }
        };
        let runner: Runner = runner::<F, A, R, M, S>;
        Ok(RemoteTask {
            call: RemoteCall {
                func,
                runner: runner as usize,
            },
            arg: Box::new(input),
            arg_type: type_name::<S::Input>(),
            result: RemoteResult {
                slot: Box::new(TypedSlot {
                    promise,
                    value: None,
                }),
            },
        })
    }

    /// The function and remote runner to send.
    pub fn call(&self) -> RemoteCall {
        self.call
    }

    /// The argument, for the pool's codec to encode (on the submitting
    /// thread: a value that cannot be encoded fails its own task there).
    pub fn arg(&self) -> &(dyn erased_serde::Serialize + Send) {
        &*self.arg
    }

    /// The name of the argument's type, for an encode error.
    pub fn arg_type_name(&self) -> &'static str {
        self.arg_type
    }

    /// The parent's side of the outcome; the argument is dropped (encode it
    /// first).
    pub fn into_result(self) -> RemoteResult {
        self.result
    }

    /// The argument and the parent's side of the outcome, apart: for a
    /// backend that makes the outcome's sink before it encodes the argument.
    pub fn into_parts(self) -> (Box<dyn erased_serde::Serialize + Send>, RemoteResult) {
        (self.arg, self.result)
    }
}

impl fmt::Debug for RemoteTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteTask")
            .field("call", &self.call)
            .field("arg_type", &self.arg_type)
            .field("result", &self.result)
            .finish_non_exhaustive()
    }
}
