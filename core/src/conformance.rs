//! The conformance suite (filled in by the next commit).
