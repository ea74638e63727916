//! [`Backend`]: the name of a backend, chosen at run time (a `--backend` flag).

use std::fmt;
use std::str::FromStr;

/// One of concur's backends, named at run time — for a `--backend
/// threads|process|async|mpi` flag — and handed to [`Pool::builder`](crate::Pool::builder).
///
/// Every variant exists whatever features are enabled, so a program parses the
/// flag the same way in every build; [`Backend::is_enabled`] says whether the
/// backend was compiled in, and building a [`Pool`](crate::Pool) on one that
/// was not is an [`Error::InvalidConfig`](crate::Error::InvalidConfig) naming
/// the cargo feature to enable.
///
/// ```
/// use concur::Backend;
///
/// let backend: Backend = "process".parse()?;
/// assert_eq!(backend, Backend::Process);
/// assert_eq!(backend.feature(), "process");
///
/// let err = "fibers".parse::<Backend>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown backend `fibers`: expected one of threads, process, async, mpi");
/// # Ok::<(), concur::ParseBackendError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The work-stealing thread pool (`concur::threads`, feature `threads`).
    Threads,
    /// The pool of worker processes (`concur::process`, feature `process`).
    Process,
    /// The async pool on smol (`concur::asyncio`, feature `async`).
    Async,
    /// The pool across an MPI job (`concur::mpi`, feature `mpi` with
    /// `RUSTFLAGS="--cfg concur_mpi"`); the program runs under `mpirun`.
    Mpi,
}

impl Backend {
    /// Every backend, in the order of the `--backend` help text.
    pub const ALL: [Backend; 4] = [
        Backend::Threads,
        Backend::Process,
        Backend::Async,
        Backend::Mpi,
    ];

    /// The name used by [`FromStr`] and [`Display`](fmt::Display): `threads`,
    /// `process`, `async` or `mpi`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Threads => "threads",
            Backend::Process => "process",
            Backend::Async => "async",
            Backend::Mpi => "mpi",
        }
    }

    /// The cargo feature of `concur` that compiles this backend in.
    pub fn feature(self) -> &'static str {
        // The feature names happen to be the backend names.
        self.name()
    }

    /// True if this backend was compiled in (its feature is enabled).
    ///
    /// ```
    /// use concur::Backend;
    /// assert_eq!(Backend::Threads.is_enabled(), cfg!(feature = "threads"));
    /// ```
    pub fn is_enabled(self) -> bool {
        match self {
            Backend::Threads => cfg!(feature = "threads"),
            Backend::Process => cfg!(feature = "process"),
            Backend::Async => cfg!(feature = "async"),
            Backend::Mpi => cfg!(all(feature = "mpi", concur_mpi)),
        }
    }

    /// The backends compiled into this build, in the order of [`Backend::ALL`].
    pub fn enabled() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|b| b.is_enabled())
            .collect()
    }

    /// True if a pool on this backend can be built in this process: it was
    /// compiled in and, for [`Backend::Mpi`], the program was started by an
    /// MPI launcher (`mpirun`, `srun`), which an MPI pool needs.
    ///
    /// ```
    /// use concur::Backend;
    /// assert_eq!(Backend::Threads.is_available(), Backend::Threads.is_enabled());
    /// // Not started by mpirun: no MPI pool, whatever the build.
    /// assert!(!Backend::Mpi.is_available());
    /// ```
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(all(feature = "mpi", concur_mpi))]
            Backend::Mpi => concur_mpi::launched(),
            other => other.is_enabled(),
        }
    }

    /// The backends a pool can be built on in this process
    /// ([`is_available`](Backend::is_available)), in the order of
    /// [`Backend::ALL`]: what a program runs on when no `--backend` is given.
    ///
    /// ```
    /// use concur::{Backend, Pool};
    /// for backend in Backend::available() {
    ///     assert!(Pool::new(backend).is_ok(), "{backend}");
    /// }
    /// ```
    pub fn available() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|b| b.is_available())
            .collect()
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = ParseBackendError;

    /// Parses `threads`, `process`, `async` or `mpi`, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseBackendError {
                input: s.to_owned(),
            })
    }
}

/// The error of parsing a [`Backend`] name: the input, and the valid names in
/// the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseBackendError {
    input: String,
}

impl ParseBackendError {
    /// The name that was not recognised.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseBackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Backend::ALL.iter().map(|b| b.name()).collect();
        write!(
            f,
            "unknown backend `{}`: expected one of {}",
            self.input,
            names.join(", ")
        )
    }
}

impl std::error::Error for ParseBackendError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Backend::ALL {
            assert_eq!(b.to_string().parse::<Backend>(), Ok(b));
        }
        assert_eq!("THREADS".parse::<Backend>(), Ok(Backend::Threads));
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "".parse::<Backend>().unwrap_err();
        assert_eq!(err.input(), "");
        assert!(
            err.to_string().contains("threads, process, async, mpi"),
            "{err}"
        );
    }

    #[test]
    fn enabled_follows_the_features() {
        assert_eq!(
            Backend::enabled().contains(&Backend::Process),
            cfg!(feature = "process")
        );
    }
}
