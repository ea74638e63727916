//! [`Builder`]: how a [`ProcessPool`] is configured.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use concur_core::{Error, Payload, backend};

use crate::ProcessPool;
use crate::codec::{self, CallRef, Codec};
use crate::handshake::SELF_EXE;
use crate::spawn::SpawnConfig;
use crate::task;

/// Everything the builder decided, checked.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) max_queued: Option<usize>,
    pub(crate) max_tasks_per_child: Option<u64>,
    pub(crate) task_timeout: Option<Duration>,
    pub(crate) window: usize,
    pub(crate) break_on_worker_loss: bool,
    /// Runs a task whose worker was lost gets beyond its first.
    pub(crate) retries: u32,
    /// How task arguments and results are encoded.
    pub(crate) codec: Codec,
    pub(crate) spawn: SpawnConfig,
}

/// Configures and starts a [`ProcessPool`].
///
/// The vocabulary is every pool's — [`max_workers`](Builder::max_workers),
/// [`max_queued`](Builder::max_queued), [`initializer`](Builder::initializer) —
/// validated by the same checks (`concur_core::backend::check_*`), so a value
/// the thread pool refuses is refused here with the same words. Two differ
/// because a worker is another process: the initializer is a plain `fn(A)` with
/// its argument, which can cross to it, where the thread pool takes a closure;
/// and there is no `thread_name_prefix`, because no task runs on a thread the
/// pool names (each runs on its worker's main thread).
///
/// ```
/// use concur_process::ProcessPool;
/// use concur_core::{Error, Executor};
/// use std::time::Duration;
///
/// fn setup(level: u8) { assert_eq!(level, 3) }
///
/// let pool = ProcessPool::builder()
///     .max_workers(2)
///     .initializer(setup, 3)
///     .max_tasks_per_child(100)
///     .task_timeout(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(pool.max_workers(), 2);
///
/// let err = ProcessPool::builder().max_workers(0).build().unwrap_err();
/// assert!(matches!(err, Error::InvalidConfig { .. }));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder {
    max_workers: Option<usize>,
    max_queued: Option<usize>,
    max_tasks_per_child: Option<usize>,
    max_memory_per_child: Option<u64>,
    task_timeout: Option<Duration>,
    inflight_per_worker: usize,
    break_on_worker_loss: bool,
    initializer: Option<Initializer>,
    program: Option<PathBuf>,
    shared_threshold: usize,
    retries: u32,
    codec: Codec,
}

/// The initializer and its argument, encoded once the codec is known.
#[derive(Clone)]
struct Initializer(Arc<EncodeInitializer>);

/// Encodes the initializer's argument with a codec, and its call.
type EncodeInitializer = dyn Fn(Codec) -> Result<(CallRef, Vec<u8>), Error> + Send + Sync;

impl std::fmt::Debug for Initializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Initializer")
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The default of [`inflight_per_worker`](Builder::inflight_per_worker):
    /// large enough that refilling a window of short tasks is one message per
    /// 16 tasks each way (the worker announces its results to the pool once
    /// per half window too), small enough that the tasks a fast worker holds
    /// ahead are a few milliseconds of work at most (W1 on 2 workers: 3.3-3.9
    /// µs per task with 16, 2.0-2.6 with 32, `examples/process_w1.rs`).
    pub const DEFAULT_WINDOW: usize = 32;

    /// The defaults: as many workers as the machine's available parallelism, no
    /// queue bound, no recycling, no task timeout,
    /// [`DEFAULT_WINDOW`](Builder::DEFAULT_WINDOW) tasks in flight per worker,
    /// a lost worker costs only its task.
    pub fn new() -> Self {
        Builder {
            max_workers: None,
            max_queued: None,
            max_tasks_per_child: None,
            max_memory_per_child: None,
            task_timeout: None,
            inflight_per_worker: Self::DEFAULT_WINDOW,
            break_on_worker_loss: false,
            initializer: None,
            program: None,
            shared_threshold: codec::SHARED_THRESHOLD,
            retries: 0,
            codec: Codec::default(),
        }
    }

    /// The number of worker processes (default: available parallelism). 0 is
    /// refused by `build`.
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Bounds the tasks accepted but not started: `try_submit` beyond it fails
    /// with [`Error::Full`]. Takes a `usize` or an `Option<usize>` (`None`:
    /// unbounded, the default). `Some(0)` is refused by `build`. `submit` never
    /// refuses for the bound, but its tasks count towards it.
    ///
    /// ```
    /// use concur_core::Error;
    /// use concur_process::ProcessPool;
    ///
    /// let err = ProcessPool::builder().max_queued(0).build().unwrap_err();
    /// assert!(matches!(err, Error::InvalidConfig { .. }));
    /// ```
    pub fn max_queued(mut self, n: impl Into<Option<usize>>) -> Self {
        self.max_queued = n.into();
        self
    }

    /// Replaces a worker after it ran `n` tasks (Python's `max_tasks_per_child`).
    pub fn max_tasks_per_child(mut self, n: usize) -> Self {
        self.max_tasks_per_child = Some(n);
        self
    }

    /// Replaces a worker once its resident memory passes `bytes`, checked after
    /// each task (loky's memory-leak protection).
    pub fn max_memory_per_child(mut self, bytes: u64) -> Self {
        self.max_memory_per_child = Some(bytes);
        self
    }

    /// A deadline for every task's run; see
    /// [`ProcessPool::submit_with_timeout`].
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        self.task_timeout = Some(timeout);
        self
    }

    /// Tasks sent ahead to each worker (at least 1; default
    /// [`DEFAULT_WINDOW`](Builder::DEFAULT_WINDOW)), so that a worker finds
    /// its next task waiting instead of idling while the parent reacts. Only a
    /// worker whose last task took under 1 ms gets tasks sent ahead, and its
    /// window is topped up in one message once it has drained to half, so
    /// that a stream of short tasks costs one message per `n / 2` tasks.
    ///
    /// A task sent ahead is marked running (see the crate docs'
    /// *Scheduling*): `Future::cancel` no longer stops it, but
    /// [`ProcessPool::kill`](crate::ProcessPool::kill) takes it back, and a
    /// task stuck behind a long one while another worker idles is moved
    /// there after 5 ms. `inflight_per_worker(1)` sends nothing ahead.
    pub fn inflight_per_worker(mut self, n: usize) -> Self {
        self.inflight_per_worker = n;
        self
    }

    /// Python's behaviour on a lost worker: the pool breaks, every pending task
    /// fails with [`Error::Broken`] and new submissions are refused. By default
    /// (`false`) only the tasks the lost worker was running fail, with
    /// [`Error::WorkerLost`], and a new worker takes its place.
    pub fn break_on_worker_loss(mut self, yes: bool) -> Self {
        self.break_on_worker_loss = yes;
        self
    }

    /// Runs `f(arg)` in each worker before its first task (Python's
    /// `initializer`). If it panics the pool breaks, as in Python.
    pub fn initializer<A: Payload>(mut self, f: fn(A), arg: A) -> Self {
        // Encoded at `build`, in the codec chosen by then. Behind a lock: a
        // payload is `Send`, not necessarily `Sync`, and the builder is shared.
        let arg = std::sync::Mutex::new(arg);
        self.initializer = Some(Initializer(Arc::new(move |codec| {
            let arg = arg.lock().unwrap_or_else(|e| e.into_inner());
            let bytes = codec::encode_with_codec(codec, &*arg)?;
            Ok((task::init_ref(f, codec), bytes))
        })));
        self
    }

    /// Arguments and results larger than `bytes` travel through shared memory
    /// (a memfd region passed as a file descriptor) instead of the socket.
    /// Default 512 KiB; see the crate docs for the measurement behind it.
    pub fn shared_memory_threshold(mut self, bytes: usize) -> Self {
        self.shared_threshold = bytes;
        self
    }

    /// How task arguments and results (and the initializer's argument) are
    /// encoded: [`Codec::Bincode`] (the default) or [`Codec::MessagePack`], for
    /// types that use `#[serde(skip_serializing_if)]`, `#[serde(flatten)]`,
    /// internally tagged or untagged enums, `serde_json::Value` and whatever
    /// else needs a self-describing format. With bincode such a value fails its
    /// task with an [`Error::Encode`] or [`Error::Decode`] that says so; it is
    /// never carried changed. See the crate docs for the table.
    ///
    /// ```
    /// use concur_core::Executor;
    /// use concur_process::{Codec, ProcessPool};
    /// use serde::{Deserialize, Serialize};
    ///
    /// #[derive(Debug, PartialEq, Serialize, Deserialize)]
    /// struct Order {
    ///     #[serde(skip_serializing_if = "Option::is_none")]
    ///     coupon: Option<u8>,
    ///     quantity: u32,
    /// }
    /// fn quantity(o: Order) -> u32 { o.quantity }
    ///
    /// let order = || Order { coupon: None, quantity: 3 };
    /// let bincode = ProcessPool::builder().max_workers(1).build()?;
    /// let err = bincode.submit(quantity, order()).result(None).unwrap_err();
    /// assert!(err.to_string().contains("skip_serializing_if"), "{err}");
    ///
    /// let msgpack = ProcessPool::builder().max_workers(1).codec(Codec::MessagePack).build()?;
    /// assert_eq!(msgpack.submit(quantity, order()).result(None)?, 3);
    /// # Ok::<(), concur_core::Error>(())
    /// ```
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// The executable workers are started from. The default, `/proc/self/exe`,
    /// is the running binary even if its file was replaced since; any other path
    /// must be the very same file, or the handshake refuses the worker.
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    /// Starts the workers and waits for their handshakes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for 0 workers, `max_queued(Some(0))`, a window
    /// of 0 or a `max_tasks_per_child` of 0; [`Error::Encode`] if the initializer's argument
    /// cannot be encoded; [`Error::Broken`] if a worker cannot be started or is
    /// refused by the handshake.
    pub fn build(self) -> Result<ProcessPool, Error> {
        let max_workers = backend::check_max_workers(self.max_workers)?;
        let max_queued = backend::check_max_queued(self.max_queued)?;
        if self.inflight_per_worker == 0 {
            return Err(Error::invalid_config(
                "inflight_per_worker must be at least 1",
            ));
        }
        if self.max_tasks_per_child == Some(0) {
            return Err(Error::invalid_config(
                "max_tasks_per_child must be at least 1",
            ));
        }
        let initializer = self.initializer.map(|i| (i.0)(self.codec)).transpose()?;
        ProcessPool::start(Config {
            max_workers,
            max_queued,
            max_tasks_per_child: self.max_tasks_per_child.map(|n| n as u64),
            task_timeout: self.task_timeout,
            window: self.inflight_per_worker,
            break_on_worker_loss: self.break_on_worker_loss,
            retries: self.retries,
            codec: self.codec,
            spawn: SpawnConfig {
                program: self.program.unwrap_or_else(|| PathBuf::from(SELF_EXE)),
                initializer,
                max_memory: self.max_memory_per_child,
                shared_threshold: self.shared_threshold,
                results_batch: (self.inflight_per_worker as u64 / 2).max(1),
            },
        })
    }
}

impl Builder {
    /// Runs a task whose worker was lost (killed, crashed, broke the protocol)
    /// again, on another worker, up to `n` more times before it fails with
    /// [`Error::WorkerLost`] (Ray's `max_retries` for system failures; default
    /// 0). A task that panics, times out or is cancelled is not retried, and
    /// neither is any task in [`break_on_worker_loss`](Builder::break_on_worker_loss)
    /// mode. A task sent ahead to a worker and not started is always requeued
    /// when the worker is lost, retries or not: it never ran.
    ///
    /// A retried task may have run partly (or wholly, if the worker died after
    /// the task returned and before its result was sent): retry tasks whose
    /// side effects can repeat.
    ///
    /// ```
    /// use concur_process::ProcessPool;
    /// use concur_core::Executor;
    ///
    /// fn id(x: u8) -> u8 { x }
    ///
    /// let pool = ProcessPool::builder().max_workers(1).retries(2).build()?;
    /// assert_eq!(pool.submit(id, 1).result(None), Ok(1));
    /// # Ok::<(), concur_core::Error>(())
    /// ```
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }
}
