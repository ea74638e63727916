//! [`Map`]: the lazy, windowed iterator behind [`Executor::map`](crate::Executor::map).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::collector::Collector;
use crate::executor::ChunkResult;
use crate::{Error, Future, MapOptions};

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
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
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
        let deadline = options.timeout.and_then(|t| Instant::now().checked_add(t));
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
