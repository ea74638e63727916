//! The serde side of a [`RemoteTask`](super::RemoteTask), written once for
//! every out-of-process backend: what the parent encodes as the argument
//! ([`WireArg`]), what the worker decodes it with ([`ArgSeed`]), and what
//! the parent decodes the result with ([`ResultSeed`]). Each goes through the
//! backend's own codec, checks and bounds; these only erase and un-erase.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Serialize, Serializer};

use super::{Prepared, RemoteCall, RemoteResult};

/// A remote task's argument as it travels: the pair (the remote runner's
/// offset from the backend's anchor, the argument), a 2-tuple in the codec.
pub struct WireArg {
    runner: i64,
    arg: Box<dyn erased_serde::Serialize + Send>,
}

impl WireArg {
    /// The pair of `runner` (the offset of [`RemoteCall::runner`] from the
    /// anchor) and `arg` ([`RemoteTask::into_parts`](super::RemoteTask::into_parts)).
    pub fn new(runner: i64, arg: Box<dyn erased_serde::Serialize + Send>) -> Self {
        WireArg { runner, arg }
    }
}

impl Serialize for WireArg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut t = serializer.serialize_tuple(2)?;
        t.serialize_element(&self.runner)?;
        t.serialize_element(&*self.arg)?;
        t.end()
    }
}

impl fmt::Debug for WireArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireArg")
            .field("runner", &self.runner)
            .finish_non_exhaustive()
    }
}

/// The worker's seed of a [`WireArg`]: decodes the runner's offset, then the
/// argument through that runner, into the call ready to run.
pub struct ArgSeed<'a> {
    func: usize,
    address_of: fn(i64) -> usize,
    arg_type: &'a Cell<&'static str>,
}

impl<'a> ArgSeed<'a> {
    /// The seed of the argument of the task function at address `func`;
    /// `address_of` turns an offset from the backend's anchor into an
    /// address; `arg_type` gets the argument's type name as soon as the
    /// runner is known (for the error of a failed decode).
    ///
    /// # Safety
    ///
    /// `func` and the runner offset in the bytes this seed decodes come from
    /// one [`RemoteTask`](super::RemoteTask) made in a process running this
    /// very binary (the backend's handshake checks it), `address_of` inverts
    /// the offsets that process took: the conditions of
    /// [`RemoteCall::prepare`].
    pub unsafe fn new(
        func: usize,
        address_of: fn(i64) -> usize,
        arg_type: &'a Cell<&'static str>,
    ) -> Self {
        ArgSeed {
            func,
            address_of,
            arg_type,
        }
    }
}

impl fmt::Debug for ArgSeed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArgSeed").finish_non_exhaustive()
    }
}

impl<'de> DeserializeSeed<'de> for ArgSeed<'_> {
    type Value = Prepared;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Prepared, D::Error> {
        deserializer.deserialize_tuple(2, self)
    }
}

impl<'de> Visitor<'de> for ArgSeed<'_> {
    type Value = Prepared;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a task's runner and argument")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Prepared, S::Error> {
        let runner: i64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let run = RunSeed {
            call: RemoteCall::from_addresses(self.func, (self.address_of)(runner)),
            arg_type: self.arg_type,
        };
        seq.next_element_seed(run)?
            .ok_or_else(|| de::Error::invalid_length(1, &"a task's runner and argument"))
    }
}

/// Decodes the argument through the task's remote runner.
struct RunSeed<'a> {
    call: RemoteCall,
    arg_type: &'a Cell<&'static str>,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_> {
    type Value = Prepared;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Prepared, D::Error> {
        let mut erased = <dyn erased_serde::Deserializer>::erase(deserializer);
        let mut name = self.arg_type.get();
        // SAFETY: `ArgSeed::new`'s contract: both addresses come from one
        // `RemoteTask` of a process running this binary, offsets inverted.
        let prepared = unsafe { self.call.prepare(&mut erased, &mut name) };
        self.arg_type.set(name);
        prepared.map_err(de::Error::custom)
    }
}

/// The parent's seed of a remote task's result: decodes it into its
/// [`RemoteResult`], as the type fixed at submit. Made by
/// [`RemoteResult::seed`].
pub struct ResultSeed<'a>(pub(super) &'a mut RemoteResult);

impl fmt::Debug for ResultSeed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResultSeed").field(&self.0).finish()
    }
}

impl<'de> DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let mut erased = <dyn erased_serde::Deserializer>::erase(deserializer);
        self.0.decode(&mut erased).map_err(de::Error::custom)
    }
}
