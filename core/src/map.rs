//! [`Map`]: the lazy, windowed iterator behind [`Executor::map`](crate::Executor::map),
//! and [`MapOptions`], what it is asked for.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::collector::Collector;
use crate::executor::ChunkResult;
use crate::{Error, Future};

/// Options of [`Executor::map`], built by chaining:
///
/// ```
/// use concur_core::MapOptions;
/// use std::time::Duration;
/// let o = MapOptions::new().chunksize(100).buffersize(8).ordered(false).timeout(Duration::from_secs(5));
/// assert_eq!(o.chunksize, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapOptions {
    /// Deadline for the whole map, from the call. `None`: no deadline.
    pub timeout: Option<Duration>,
    /// Items per task (at least 1). Larger chunks cut per-task overhead.
    pub chunksize: usize,
    /// Tasks in flight ahead of the consumer (at least 1). `None`: 4 × workers.
    pub buffersize: Option<usize>,
    /// Input order (true, the default) or completion order (false, `imap_unordered`).
    pub ordered: bool,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            timeout: None,
            chunksize: 1,
            buffersize: None,
            ordered: true,
        }
    }
}

impl MapOptions {
    /// The defaults: no timeout, `chunksize` 1, default window, input order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the deadline for the whole map.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the items per task.
    pub fn chunksize(mut self, chunksize: usize) -> Self {
        self.chunksize = chunksize;
        self
    }

    /// Sets the number of tasks in flight ahead of the consumer.
    pub fn buffersize(mut self, buffersize: usize) -> Self {
        self.buffersize = Some(buffersize);
        self
    }

    /// Input order (`true`) or completion order (`false`).
    pub fn ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// Checks the values.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for a `chunksize` or `buffersize` of 0.
    pub fn validate(&self) -> Result<(), Error> {
        if self.chunksize == 0 {
            return Err(Error::invalid_config("map: chunksize must be at least 1"));
        }
        if self.buffersize == Some(0) {
            return Err(Error::invalid_config("map: buffersize must be at least 1"));
        }
        Ok(())
    }
}

/// One submitted unit of a map: a single item or a chunk of `len` items.
pub(crate) enum Task<R: Send + Sync + 'static> {
    Single(Future<R>),
    Chunk(Future<ChunkResult<R>>, usize),
}

impl<R: Send + Sync + 'static> Task<R> {
    fn any(&self) -> crate::AnyFuture {
        match self {
            Task::Single(f) => f.as_any(),
            Task::Chunk(f, _) => f.as_any(),
        }
    }

    fn cancel(&self) {
        match self {
            Task::Single(f) => f.cancel(),
            Task::Chunk(f, _) => f.cancel(),
        };
    }

    fn wait(&self, deadline: Option<Instant>) -> bool {
        let timeout = crate::backend::remaining(deadline);
        match self {
            Task::Single(f) => f.wait_timeout(timeout),
            Task::Chunk(f, _) => f.wait_timeout(timeout),
        }
    }

    /// The items' outcomes; the task is done.
    fn outcomes(self) -> Outcomes<R> {
        match self {
            Task::Single(f) => Outcomes::One(Some(f.into_result())),
            Task::Chunk(f, len) => match f.into_result() {
                Ok(items) => Outcomes::Chunk(items.into_iter()),
                Err(e) => Outcomes::Failed(e, len),
            },
        }
    }
}

/// The outcomes of one finished task, yielded without copying them again.
enum Outcomes<R> {
    One(Option<Result<R, Error>>),
    Chunk(std::vec::IntoIter<Result<R, Error>>),
    /// The whole chunk failed (cancelled, worker lost, ...): every item gets the error.
    Failed(Error, usize),
}

impl<R> Outcomes<R> {
    fn empty() -> Self {
        Outcomes::One(None)
    }
}

impl<R> Iterator for Outcomes<R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Outcomes::One(item) => item.take(),
            Outcomes::Chunk(items) => items.next(),
            Outcomes::Failed(_, 0) => None,
            Outcomes::Failed(e, left) => {
                *left -= 1;
                Some(Err(e.clone()))
            }
        }
    }
}

/// Pulls the next chunk from the input and submits it; `None` when the input ends.
pub(crate) type Source<'a, R> = Box<dyn FnMut() -> Option<Task<R>> + 'a>;

/// The results of [`Executor::map`](crate::Executor::map), one `Result` per input item.
///
/// Dropping it cancels every task that has not started.
#[must_use = "map submits lazily: iterate to run the tasks"]
pub struct Map<'a, R: Send + Sync + 'static> {
    source: Source<'a, R>,
    input_done: bool,
    window: usize,
    deadline: Option<Instant>,
    ordered: bool,
    /// Ordered mode: tasks in input order.
    queue: VecDeque<Task<R>>,
    /// Unordered mode: tasks by token, and the collector they report to.
    by_token: HashMap<usize, (Task<R>, Option<u64>)>,
    collector: Arc<Collector>,
    next_token: usize,
    /// Outcomes of the last finished task not yet yielded.
    items: Outcomes<R>,
    ended: bool,
}

impl<'a, R: Send + Sync + 'static> Map<'a, R> {
    pub(crate) fn new(source: Source<'a, R>, window: usize, options: MapOptions) -> Self {
        let deadline = crate::backend::deadline(options.timeout);
        let mut map = Map {
            source,
            input_done: false,
            window,
            deadline,
            ordered: options.ordered,
            queue: VecDeque::new(),
            by_token: HashMap::new(),
            collector: Arc::new(Collector::default()),
            next_token: 0,
            items: Outcomes::empty(),
            ended: false,
        };
        map.refill();
        map
    }

    fn in_flight(&self) -> usize {
        self.queue.len() + self.by_token.len()
    }

    /// Submits tasks until the window is full or the input ends.
    fn refill(&mut self) {
        while !self.input_done && self.in_flight() < self.window {
            match (self.source)() {
                None => self.input_done = true,
                Some(task) if self.ordered => self.queue.push_back(task),
                Some(task) => {
                    let token = self.next_token;
                    self.next_token += 1;
                    let id = task.any().inner.listen(self.collector.clone(), token);
                    if id.is_none() {
                        self.collector.push(token);
                    }
                    self.by_token.insert(token, (task, id));
                }
            }
        }
    }

    fn cancel_outstanding(&mut self) {
        for task in self.queue.drain(..) {
            task.cancel();
        }
        for (_, (task, id)) in self.by_token.drain() {
            if let Some(id) = id {
                task.any().inner.unlisten(id);
            }
            task.cancel();
        }
    }

    fn time_out(&mut self) -> Option<Result<R, Error>> {
        self.ended = true;
        self.cancel_outstanding();
        Some(Err(Error::Timeout))
    }
}

impl<R: Send + Sync + 'static> Iterator for Map<'_, R> {
    type Item = Result<R, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.items.next() {
                return Some(item);
            }
            if self.ended {
                return None;
            }
            self.refill();
            if self.in_flight() == 0 {
                self.ended = true;
                return None;
            }
            let task = if self.ordered {
                if !self.queue[0].wait(self.deadline) {
                    return self.time_out();
                }
                self.queue.pop_front().expect("non-empty")
            } else {
                match self.collector.next_blocking(self.deadline) {
                    Some(token) => self.by_token.remove(&token).expect("a live token").0,
                    None => return self.time_out(),
                }
            };
            self.items = task.outcomes();
            // Keep the window full while the caller consumes this task's items.
            self.refill();
        }
    }
}

impl<R: Send + Sync + 'static> Drop for Map<'_, R> {
    fn drop(&mut self) {
        self.cancel_outstanding();
    }
}

impl<R: Send + Sync + 'static> fmt::Debug for Map<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight())
            .field("window", &self.window)
            .field("ordered", &self.ordered)
            .field("ended", &self.ended)
            .finish()
    }
}
