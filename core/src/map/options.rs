//! [`MapOptions`]: what a [`Map`](super::Map) is asked for — its deadline,
//! chunk size, window and order — and their validation.

use std::time::Duration;

use crate::Error;
#[cfg(doc)]
use crate::Executor;

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
    /// Tasks in flight ahead of the consumer (at least 1). `None`: the
    /// executor's [`map_window`](crate::Executor::map_window), 4 × workers
    /// unless the backend asks for more.
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
