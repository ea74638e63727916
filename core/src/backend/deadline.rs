//! Deadline arithmetic: a caller's timeout turned into an instant once, and
//! back into what is left of it, the same way everywhere.

use std::time::{Duration, Instant};

/// The instant `timeout` from now; `None` for no timeout, and for a timeout
/// so long that the clock cannot represent its end (which is no deadline in
/// any lifetime).
///
/// ```
/// use concur_core::backend::deadline;
/// use std::time::{Duration, Instant};
///
/// assert_eq!(deadline(None), None);
/// assert_eq!(deadline(Some(Duration::MAX)), None);
/// let d = deadline(Some(Duration::from_secs(1))).unwrap();
/// assert!(d > Instant::now());
/// ```
pub fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

/// What is left until `deadline` (zero once it passed); `None` for no
/// deadline. The inverse of [`deadline`], for APIs that take a timeout.
///
/// ```
/// use concur_core::backend::{deadline, remaining};
/// use std::time::{Duration, Instant};
///
/// assert_eq!(remaining(None), None);
/// assert_eq!(remaining(Some(Instant::now())), Some(Duration::ZERO));
/// let left = remaining(deadline(Some(Duration::from_secs(60)))).unwrap();
/// assert!(left <= Duration::from_secs(60) && left > Duration::from_secs(59));
/// ```
pub fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// True once `deadline` has passed; never for no deadline.
///
/// ```
/// use concur_core::backend::expired;
/// use std::time::{Duration, Instant};
///
/// assert!(!expired(None));
/// assert!(expired(Some(Instant::now())));
/// assert!(!expired(Instant::now().checked_add(Duration::from_secs(60))));
/// ```
pub fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}
