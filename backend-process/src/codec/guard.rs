//! The decode-side guard: a [`Deserializer`] that wraps the codec's own and
//! keeps every decode inside the frame it came in.
//!
//! A decoder trusts the lengths it reads. bincode's `String` and `Vec<u8>`
//! allocate the announced length before reading a byte, so a frame whose length
//! prefix says 2^40 asked for a terabyte; a sequence announcing 2^60 unit values
//! loops for ever without reading anything; a recursive type nested a million
//! deep overflows the stack. The guard, wrapped around every nested value:
//!
//! - decodes owned strings and byte buffers as borrowed slices of the frame
//!   first (the codec checks the length against the bytes left), then copies
//!   them: an allocation is never larger than the frame;
//! - caps every size hint (what `Vec` and `HashMap` preallocate from) at the
//!   frame's length;
//! - bounds the elements of all sequences and maps together
//!   ([`MAX_ZERO_SIZED`] beyond the frame's length: only zero-sized elements
//!   take no byte), and the nesting depth ([`MAX_DEPTH`]);
//! - on a codec that is not self-describing (bincode), turns `deserialize_any`
//!   — what `#[serde(untagged)]`, `#[serde(tag = "..")]`, `#[serde(flatten)]`
//!   and `serde_json::Value` need — into an error that names them and says
//!   which codec carries them, instead of bincode's `AnyNotSupported`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use super::check::{ARITY_SEED, USE_SELF_DESCRIBING, mix};

/// The deepest nesting a payload may have. Deeper than any data type written
/// by hand, and shallow enough for the 2 MiB stack of a pool's threads in a
/// debug build.
pub(crate) const MAX_DEPTH: usize = 256;

/// How many elements beyond the frame's length (one byte each at least) a
/// payload may hold: room for sequences of zero-sized values, a bound on the
/// work a hostile frame can ask for.
pub(crate) const MAX_ZERO_SIZED: usize = 1 << 20;

/// The limits of one decode and the first refusal.
pub(crate) struct Bounds {
    frame: usize,
    self_describing: bool,
    depth: Cell<usize>,
    elements: Cell<usize>,
    /// The arity digest of what was decoded (see `check::mix`).
    pub(crate) arity: Cell<u32>,
    pub(crate) found: RefCell<Option<String>>,
}

impl Bounds {
    /// The limits for a decode of `frame` bytes.
    pub(crate) fn new(frame: usize, self_describing: bool) -> Self {
        Bounds {
            frame,
            self_describing,
            depth: Cell::new(0),
            elements: Cell::new(0),
            arity: Cell::new(ARITY_SEED),
            found: RefCell::new(None),
        }
    }

    fn refuse<E: de::Error>(&self, message: String) -> E {
        let err = E::custom(&message);
        self.found.borrow_mut().get_or_insert(message);
        err
    }

    fn enter<E: de::Error>(&self) -> Result<Depth<'_>, E> {
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(self.refuse(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth.set(depth);
        Ok(Depth(&self.depth))
    }

    fn element<E: de::Error>(&self) -> Result<(), E> {
        let n = self.elements.get() + 1;
        if n > self.frame.saturating_add(MAX_ZERO_SIZED) {
            return Err(self.refuse(format!(
                "more elements than a frame of {} bytes can hold",
                self.frame
            )));
        }
        self.elements.set(n);
        Ok(())
    }

    fn arity(&self, name: &str, len: usize) {
        if !self.self_describing {
            self.arity.set(mix(self.arity.get(), name, len));
        }
    }

    fn hint(&self, hint: Option<usize>) -> Option<usize> {
        hint.map(|n| n.min(self.frame))
    }
}

/// One level of nesting, left on drop.
struct Depth<'a>(&'a Cell<usize>);

impl Drop for Depth<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// The seed that decodes a `T` through the guard.
pub(crate) fn seed<T>(bounds: &Bounds) -> Seed<'_, PhantomData<T>> {
    Seed {
        seed: PhantomData,
        bounds,
    }
}

/// `seed`, with its deserializer guarded.
pub(crate) fn seed_of<S>(seed: S, bounds: &Bounds) -> Seed<'_, S> {
    Seed { seed, bounds }
}

/// A seed whose deserializer is guarded.
pub(crate) struct Seed<'a, S> {
    seed: S,
    bounds: &'a Bounds,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Guard {
            inner: deserializer,
            bounds: self.bounds,
        })
    }
}

struct Guard<'a, D> {
    inner: D,
    bounds: &'a Bounds,
}

fn wrap<V>(inner: V, bounds: &Bounds, owned: bool) -> Wrap<'_, V> {
    Wrap {
        inner,
        bounds,
        owned,
    }
}

/// Forwards a deserialize method whose value holds no other (no depth to count).
macro_rules! flat {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* wrap(visitor, self.bounds, false))
            }
        )*
    };
}

/// Forwards a deserialize method whose value nests others, one level deeper.
macro_rules! nested {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                let _depth = self.bounds.enter::<D::Error>()?;
                self.inner.$method($($arg,)* wrap(visitor, self.bounds, false))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Guard<'_, D> {
    type Error = D::Error;

    flat! {
        deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
        deserialize_i64(), deserialize_i128(), deserialize_u8(), deserialize_u16(),
        deserialize_u32(), deserialize_u64(), deserialize_u128(), deserialize_f32(),
        deserialize_f64(), deserialize_char(), deserialize_str(), deserialize_bytes(),
        deserialize_unit(), deserialize_unit_struct(name: &'static str),
        deserialize_identifier(),
    }

    nested! {
        deserialize_option(), deserialize_newtype_struct(name: &'static str), deserialize_seq(),
        deserialize_tuple(len: usize), deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.bounds.arity(name, len);
        let _depth = self.bounds.enter::<D::Error>()?;
        self.inner
            .deserialize_tuple_struct(name, len, wrap(visitor, self.bounds, false))
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if !self.bounds.self_describing {
            return Err(self.bounds.refuse(needs_any()));
        }
        let _depth = self.bounds.enter::<D::Error>()?;
        self.inner
            .deserialize_any(wrap(visitor, self.bounds, false))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if !self.bounds.self_describing {
            return Err(self.bounds.refuse(needs_any()));
        }
        let _depth = self.bounds.enter::<D::Error>()?;
        self.inner
            .deserialize_ignored_any(wrap(visitor, self.bounds, false))
    }

    // Owned strings and buffers are read as slices of the frame, then copied.
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_str(wrap(visitor, self.bounds, true))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_bytes(wrap(visitor, self.bounds, true))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

pub(crate) fn needs_any() -> String {
    format!(
        "this type needs a self-describing format (it calls `deserialize_any`, as \
         `#[serde(untagged)]`, `#[serde(tag = \"...\")]`, `#[serde(flatten)]` and \
         `serde_json::Value` do), which bincode is not; {USE_SELF_DESCRIBING}"
    )
}

/// A visitor whose nested deserializers are guarded; `owned`: the caller asked
/// for an owned string or buffer, decoded as a borrowed one.
struct Wrap<'a, V> {
    inner: V,
    bounds: &'a Bounds,
    owned: bool,
}

macro_rules! visit_forward {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    visit_forward! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char),
        visit_string(String), visit_byte_buf(Vec<u8>),
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        if self.owned {
            self.inner.visit_string(v.to_owned())
        } else {
            self.inner.visit_str(v)
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        if self.owned {
            self.inner.visit_string(v.to_owned())
        } else {
            self.inner.visit_borrowed_str(v)
        }
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        if self.owned {
            self.inner.visit_byte_buf(v.to_owned())
        } else {
            self.inner.visit_bytes(v)
        }
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        if self.owned {
            self.inner.visit_byte_buf(v.to_owned())
        } else {
            self.inner.visit_borrowed_bytes(v)
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Guard {
            inner: d,
            bounds: self.bounds,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Guard {
            inner: d,
            bounds: self.bounds,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Access {
            inner: seq,
            bounds: self.bounds,
        })
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Access {
            inner: map,
            bounds: self.bounds,
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Access {
            inner: data,
            bounds: self.bounds,
        })
    }
}

/// A sequence, map, enum or variant access whose values are guarded.
struct Access<'a, A> {
    inner: A,
    bounds: &'a Bounds,
}

impl<'a, A> Access<'a, A> {
    fn seed<S>(&self, seed: S) -> Seed<'a, S> {
        Seed {
            seed,
            bounds: self.bounds,
        }
    }
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.bounds.element::<A::Error>()?;
        self.inner.next_element_seed(self.seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.bounds.hint(self.inner.size_hint())
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.bounds.element::<A::Error>()?;
        self.inner.next_key_seed(self.seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(self.seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.bounds.hint(self.inner.size_hint())
    }
}

impl<'a, 'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Access<'a, A> {
    type Error = A::Error;
    type Variant = Access<'a, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let bounds = self.bounds;
        let seed = self.seed(seed);
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            Access {
                inner: variant,
                bounds,
            },
        ))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Access<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.seed(seed);
        self.inner.newtype_variant_seed(seed)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.bounds.arity("", len);
        self.inner
            .tuple_variant(len, wrap(visitor, self.bounds, false))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, wrap(visitor, self.bounds, false))
    }
}
