//! The builder vocabulary every pool shares — `max_workers`, `max_queued`,
//! `thread_name_prefix` — validated in one place, so every backend refuses
//! the same values with the same words.

use crate::Error;

/// The number of workers: `requested`, or the available parallelism (1 if
/// unknown) when unset.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for 0.
///
/// ```
/// use concur_core::backend::check_max_workers;
/// assert_eq!(check_max_workers(Some(3)), Ok(3));
/// assert!(check_max_workers(None).unwrap() >= 1);
/// assert!(check_max_workers(Some(0)).is_err());
/// ```
pub fn check_max_workers(requested: Option<usize>) -> Result<usize, Error> {
    match requested {
        Some(0) => Err(Error::invalid_config("max_workers must be at least 1")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, usize::from)),
    }
}

/// The `max_queued` bound, `None` for unbounded.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for `Some(0)`: a bound of zero would refuse every
/// `try_submit`.
///
/// ```
/// use concur_core::backend::check_max_queued;
/// assert_eq!(check_max_queued(None), Ok(None));
/// assert_eq!(check_max_queued(Some(8)), Ok(Some(8)));
/// assert!(check_max_queued(Some(0)).is_err());
/// ```
pub fn check_max_queued(requested: Option<usize>) -> Result<Option<usize>, Error> {
    match requested {
        Some(0) => Err(Error::invalid_config(
            "max_queued must be at least 1 (or None for no bound)",
        )),
        other => Ok(other),
    }
}

/// The prefix worker threads are named with (`{prefix}-{index}`): `requested`,
/// or `default` when unset.
///
/// # Errors
///
/// [`Error::InvalidConfig`] for a prefix with a NUL byte, which the operating
/// system cannot take as a thread name (std would panic when spawning).
///
/// ```
/// use concur_core::backend::check_thread_name_prefix;
/// assert_eq!(check_thread_name_prefix(None, "concur-worker").unwrap(), "concur-worker");
/// assert_eq!(check_thread_name_prefix(Some("io".into()), "x").unwrap(), "io");
/// assert!(check_thread_name_prefix(Some("a\0b".into()), "x").is_err());
/// ```
pub fn check_thread_name_prefix(requested: Option<String>, default: &str) -> Result<String, Error> {
    let prefix = requested.unwrap_or_else(|| default.to_owned());
    if prefix.contains('\0') {
        return Err(Error::invalid_config(
            "thread_name_prefix must not contain a NUL byte",
        ));
    }
    Ok(prefix)
}
