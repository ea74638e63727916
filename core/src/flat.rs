//! One-call flattening of a task that returns a `Result`: a
//! `Future<Result<T, E>>` read as `Result<T, FlatError<E>>`.

use std::fmt;
use std::time::Duration;

use crate::{Error, Future};

/// Why a `Future<Result<T, E>>` has no `T`: running the task failed (it was
/// cancelled, panicked, timed out, its worker was lost, ...), or the task ran
/// and returned `Err(E)`.
///
/// Made by [`Future::result_flat`] and [`Future::flatten`]. It implements
/// `std::error::Error` when `E` does, with the inner error as its
/// [`source`](std::error::Error::source), so `?` into `Box<dyn Error>` or an
/// `anyhow::Error` keeps both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlatError<E> {
    /// The task did not produce a value: concur's own error.
    Run(Error),
    /// The task ran and returned this error.
    Task(E),
}

impl<E> FlatError<E> {
    /// The task's own error, if that is what this is.
    pub fn task_error(&self) -> Option<&E> {
        match self {
            FlatError::Task(e) => Some(e),
            FlatError::Run(_) => None,
        }
    }

    /// concur's error, if the task did not run to completion.
    pub fn run_error(&self) -> Option<&Error> {
        match self {
            FlatError::Run(e) => Some(e),
            FlatError::Task(_) => None,
        }
    }
}

impl<E> From<Error> for FlatError<E> {
    fn from(e: Error) -> Self {
        FlatError::Run(e)
    }
}

impl<E: fmt::Display> fmt::Display for FlatError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlatError::Run(e) => fmt::Display::fmt(e, f),
            FlatError::Task(e) => write!(f, "the task returned an error: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for FlatError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FlatError::Run(e) => Some(e),
            FlatError::Task(e) => Some(e),
        }
    }
}

fn flat<T, E>(r: Result<Result<T, E>, Error>) -> Result<T, FlatError<E>> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(FlatError::Task(e)),
        Err(e) => Err(FlatError::Run(e)),
    }
}

impl<T: Send + 'static, E: Send + 'static> Future<Result<T, E>> {
    /// As [`result`](Future::result), with the task's own error and concur's
    /// in one `Result`.
    ///
    /// # Errors
    ///
    /// [`FlatError::Task`] when the task returned `Err`, [`FlatError::Run`]
    /// with what [`result`](Future::result) would have returned otherwise.
    ///
    /// ```
    /// use concur_core::{FlatError, Future};
    ///
    /// let ok: Future<Result<u8, String>> = Future::ready(Ok(1));
    /// assert_eq!(ok.result_flat(None), Ok(1));
    /// let bad: Future<Result<u8, String>> = Future::ready(Err("no".into()));
    /// assert_eq!(bad.result_flat(None), Err(FlatError::Task("no".into())));
    /// let gone: Future<Result<u8, String>> = Future::failed(concur_core::Error::Cancelled);
    /// assert_eq!(gone.result_flat(None), Err(FlatError::Run(concur_core::Error::Cancelled)));
    /// ```
    pub fn result_flat(&self, timeout: Option<Duration>) -> Result<T, FlatError<E>>
    where
        T: Clone,
        E: Clone,
    {
        flat(self.result(timeout))
    }

    /// As [`into_result`](Future::into_result) (blocking, moving the value
    /// out, no `Clone`), flattened as [`result_flat`](Future::result_flat).
    ///
    /// # Errors
    ///
    /// As [`result_flat`](Future::result_flat).
    ///
    /// ```
    /// use std::error::Error;
    /// let f = concur_core::Future::ready("7".parse::<u32>());
    /// let n: Result<u32, Box<dyn Error>> = f.flatten().map_err(Into::into);
    /// assert_eq!(n.unwrap(), 7);
    /// ```
    pub fn flatten(self) -> Result<T, FlatError<E>> {
        flat(self.into_result())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_and_display_name_both_layers() {
        use std::error::Error as _;
        let task: FlatError<std::num::ParseIntError> =
            FlatError::Task("x".parse::<u8>().unwrap_err());
        assert!(task.to_string().starts_with("the task returned an error: "));
        assert!(task.source().is_some());
        assert!(task.task_error().is_some() && task.run_error().is_none());
        let run: FlatError<std::num::ParseIntError> = Error::Shutdown.into();
        assert_eq!(run.to_string(), Error::Shutdown.to_string());
        assert_eq!(run.run_error(), Some(&Error::Shutdown));
    }
}
