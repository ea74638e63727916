//! Payload encoding: serde + bincode 2 in its standard configuration, the same
//! codec as the process backend, with errors that name the type.
//!
//! A decode must consume its whole input: a frame with trailing bytes is a
//! `Decode` error, never a silently shortened value.

use std::any::type_name;

use bincode::config::{Configuration, standard};
use concur_core::Error;
use serde::Serialize;
use serde::de::DeserializeOwned;

const CONFIG: Configuration = standard();

fn encode_error<T: ?Sized>(message: impl std::fmt::Display) -> Error {
    Error::Encode {
        type_name: type_name::<T>().to_owned(),
        message: message.to_string(),
    }
}

fn decode_error<T: ?Sized>(message: impl std::fmt::Display) -> Error {
    Error::Decode {
        type_name: type_name::<T>().to_owned(),
        message: message.to_string(),
    }
}

/// Encodes `value`.
///
/// # Errors
///
/// [`Error::Encode`] naming `T`.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    bincode::serde::encode_to_vec(value, CONFIG).map_err(encode_error::<T>)
}

/// Decodes a whole `T` from `bytes`.
///
/// # Errors
///
/// [`Error::Decode`] naming `T`, also when bytes are left over.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let (value, used) = decode_prefix::<T>(bytes)?;
    if used != bytes.len() {
        return Err(decode_error::<T>(format!(
            "{} trailing bytes",
            bytes.len() - used
        )));
    }
    Ok(value)
}

/// As [`decode`], for a value `seed` decodes (an erased task's argument or
/// result: `erased.rs`).
///
/// # Errors
///
/// [`Error::Decode`] naming `T`, also when bytes are left over.
pub(crate) fn decode_seed<T, S: for<'de> serde::de::DeserializeSeed<'de, Value = T>>(
    seed: S,
    bytes: &[u8],
) -> Result<T, Error> {
    let (value, used) =
        bincode::serde::seed_decode_from_slice(seed, bytes, CONFIG).map_err(decode_error::<T>)?;
    if used != bytes.len() {
        return Err(decode_error::<T>(format!(
            "{} trailing bytes",
            bytes.len() - used
        )));
    }
    Ok(value)
}

/// Decodes a `T` from the front of `bytes`; returns it and the bytes it took.
///
/// # Errors
///
/// [`Error::Decode`] naming `T`.
pub(crate) fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, usize), Error> {
    bincode::serde::decode_from_slice::<T, _>(bytes, CONFIG).map_err(decode_error::<T>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_trailing_bytes_are_refused() {
        let bytes = encode(&(7u64, "seven".to_owned())).unwrap();
        assert_eq!(
            decode::<(u64, String)>(&bytes).unwrap(),
            (7, "seven".to_owned())
        );
        let mut longer = bytes.clone();
        longer.push(0);
        let err = decode::<(u64, String)>(&longer).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref message, .. } if message.contains("trailing")),
            "{err:?}"
        );
        let err = decode::<(u64, String)>(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref type_name, .. } if type_name.contains("String")),
            "{err:?}"
        );
    }
}
