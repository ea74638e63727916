//! The encode-side check: a [`Serializer`] that wraps the codec's own and
//! refuses, on the caller's thread and before a byte is sent, every value the
//! codec would carry wrongly.
//!
//! bincode writes a struct as its fields one after the other, by position,
//! without names or a count. A field that `#[serde(skip_serializing_if)]` leaves
//! out is therefore not missing on the other side: the decoder reads the next
//! field in its place, and the value arrives changed (an `Order { coupon: None,
//! quantity: 1, price_cents: 300 }` once arrived as `Order { coupon: Some(251),
//! quantity: 44, price_cents: 1 }`). serde's derive reports such a field through
//! `SerializeStruct::skip_field`, which this wrapper turns into an error naming
//! the attribute. It also refuses what a length-prefixed format cannot carry
//! (a sequence or map of unknown length, which is what `#[serde(flatten)]`
//! produces) with a message that says what to do, and, for every codec, a
//! `Serialize` impl that announces one length and writes another (the decoder
//! would read the announced count).
//!
//! The wrapper forwards every call, so its cost is a few predictable branches
//! per value (see the crate docs for the measurement).

use std::cell::{Cell, RefCell};

use serde::ser::{self, Serialize, Serializer};

/// The advice every refusal ends with.
pub(crate) const USE_SELF_DESCRIBING: &str =
    "build the pool with `.codec(Codec::MessagePack)`, which carries it";

/// What to refuse, and where the first refusal is kept (its text, unwrapped by
/// the codec's error type, becomes the `Error::Encode` message).
#[derive(Clone, Copy)]
pub(crate) struct Check<'a> {
    /// The codec writes structs by position and needs lengths up front (bincode).
    pub(crate) positional: bool,
    /// The first refusal.
    pub(crate) found: &'a RefCell<Option<String>>,
    /// The arity digest (see [`mix`]), kept on positional codecs.
    pub(crate) arity: &'a Cell<u32>,
}

/// The digest of the arities of every tuple struct and tuple variant a value
/// holds, in order, before any: a positional codec carries it after the value,
/// and the decoder compares it with the arities the type asks for.
///
/// serde's derive leaves a tuple field out under `#[serde(skip_serializing_if)]`
/// by announcing one element fewer, and calls nothing that says so (a named
/// field gets `skip_field`): `T(None, 1, 300)` of `T(#[serde(skip_serializing_if
/// = "Option::is_none")] Option<u8>, u32, u64)` would decode as
/// `T(Some(251), 44, 1)`. The digest turns that into a `Decode` error.
pub(crate) const ARITY_SEED: u32 = 0x811c_9dc5;

/// Mixes one tuple struct (`name`, or `""` for a tuple variant, whose name a
/// decoder does not see) and its arity into the digest `acc` (FNV-1a).
pub(crate) fn mix(acc: u32, name: &str, len: usize) -> u32 {
    let mut h = acc;
    for b in name.bytes().chain((len as u32).to_le_bytes()) {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

impl Check<'_> {
    fn arity(self, name: &str, len: usize) {
        if self.positional {
            self.arity.set(mix(self.arity.get(), name, len));
        }
    }

    fn refuse<E: ser::Error>(self, message: String) -> E {
        let err = E::custom(&message);
        self.found.borrow_mut().get_or_insert(message);
        err
    }
}

/// `value`, serialized through the check.
pub(crate) struct Checked<'a, T: ?Sized> {
    pub(crate) value: &'a T,
    pub(crate) check: Check<'a>,
}

/// `value`, the content of a `Some` (see [`CheckSer::in_some`]).
struct InSome<'a, T: ?Sized> {
    value: &'a T,
    check: Check<'a>,
}

impl<T: Serialize + ?Sized> Serialize for InSome<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(CheckSer {
            inner: serializer,
            check: self.check,
            in_some: true,
        })
    }
}

impl<T: Serialize + ?Sized> Serialize for Checked<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(CheckSer {
            inner: serializer,
            check: self.check,
            in_some: false,
        })
    }
}

fn checked<'a, T: ?Sized>(value: &'a T, check: Check<'a>) -> Checked<'a, T> {
    Checked { value, check }
}

struct CheckSer<'a, S> {
    inner: S,
    check: Check<'a>,
    /// This value is the content of a `Some`: in a self-describing codec
    /// (MessagePack writes `None` and `()` both as `nil`) a
    /// `Some(None)` or `Some(())` would arrive as `None`.
    in_some: bool,
}

impl<S> CheckSer<'_, S> {
    fn nil_in_some<E: ser::Error>(&self, what: &str) -> Result<(), E> {
        if self.in_some && !self.check.positional {
            return Err(self.check.refuse(format!(
                "`Some({what})` (an `Option<Option<_>>`, `Option<()>` or `Some(Value::Null)`): \
                 MessagePack writes `None` and `{what}` alike, so it would arrive as `None`; \
                 bincode (the default codec) carries it"
            )));
        }
        Ok(())
    }
}

/// A compound value being written: counts what it writes against what it
/// announced.
struct Compound<'a, C> {
    inner: C,
    check: Check<'a>,
    what: What,
    announced: Option<usize>,
    written: usize,
}

#[derive(Clone, Copy)]
enum What {
    Seq,
    Map,
    Tuple,
    TupleStruct(&'static str),
    TupleVariant(&'static str, &'static str),
    Struct(&'static str),
    StructVariant(&'static str, &'static str),
}

impl std::fmt::Display for What {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Seq => f.write_str("a sequence"),
            What::Map => f.write_str("a map"),
            What::Tuple => f.write_str("a tuple"),
            What::TupleStruct(name) | What::Struct(name) => write!(f, "`{name}`"),
            What::TupleVariant(name, variant) | What::StructVariant(name, variant) => {
                write!(f, "`{name}::{variant}`")
            }
        }
    }
}

impl<'a, C> Compound<'a, C> {
    fn new(inner: C, check: Check<'a>, what: What, announced: Option<usize>) -> Self {
        Compound {
            inner,
            check,
            what,
            announced,
            written: 0,
        }
    }

    fn verify<E: ser::Error>(&self) -> Result<(), E> {
        match self.announced {
            Some(n) if n != self.written => Err(self.check.refuse(format!(
                "{} announced {n} elements and wrote {}: its `Serialize` does not match \
                 the length it gives the serializer, so the decoder would read {n}",
                self.what, self.written
            ))),
            _ => Ok(()),
        }
    }
}

macro_rules! forward_primitives {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'a, S: Serializer> Serializer for CheckSer<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'a, S::SerializeSeq>;
    type SerializeTuple = Compound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'a, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'a, S::SerializeMap>;
    type SerializeStruct = Compound<'a, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'a, S::SerializeStructVariant>;

    forward_primitives! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_str(&str), serialize_bytes(&[u8]),
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.nil_in_some("None")?;
        self.inner.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&InSome {
            value,
            check: self.check,
        })
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.nil_in_some("()")?;
        self.inner.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_struct(name)
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // A newtype is written as its content: `Some(Newtype(None))` is `Some(None)`.
        if self.in_some {
            let value = InSome {
                value,
                check: self.check,
            };
            return self.inner.serialize_newtype_struct(name, &value);
        }
        self.inner
            .serialize_newtype_struct(name, &checked(value, self.check))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, &checked(value, self.check))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        if len.is_none() && self.check.positional {
            return Err(self.check.refuse(unknown_length("sequence", "seq")));
        }
        let inner = self.inner.serialize_seq(len)?;
        Ok(Compound::new(inner, self.check, What::Seq, len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        let inner = self.inner.serialize_tuple(len)?;
        Ok(Compound::new(inner, self.check, What::Tuple, Some(len)))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.check.arity(name, len);
        let inner = self.inner.serialize_tuple_struct(name, len)?;
        let what = What::TupleStruct(name);
        Ok(Compound::new(inner, self.check, what, Some(len)))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.check.arity("", len);
        let inner = self
            .inner
            .serialize_tuple_variant(name, index, variant, len)?;
        let what = What::TupleVariant(name, variant);
        Ok(Compound::new(inner, self.check, what, Some(len)))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        if len.is_none() && self.check.positional {
            return Err(self.check.refuse(unknown_length("map", "map")));
        }
        let inner = self.inner.serialize_map(len)?;
        Ok(Compound::new(inner, self.check, What::Map, len))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        let inner = self.inner.serialize_struct(name, len)?;
        Ok(Compound::new(
            inner,
            self.check,
            What::Struct(name),
            Some(len),
        ))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let inner = self
            .inner
            .serialize_struct_variant(name, index, variant, len)?;
        let what = What::StructVariant(name, variant);
        Ok(Compound::new(inner, self.check, what, Some(len)))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

fn unknown_length(kind: &str, method: &str) -> String {
    format!(
        "a {kind} of unknown length (`#[serde(flatten)]`, or a `Serialize` that calls \
         `serialize_{method}(None)`, such as `collect_{method}` over an iterator of unknown \
         size): bincode writes every length up front and cannot carry it; {USE_SELF_DESCRIBING}"
    )
}

fn skipped(what: What, key: &'static str) -> String {
    format!(
        "field `{key}` of {what} was left out (`#[serde(skip_serializing_if = ...)]`): bincode \
         writes fields by position, so the decoder would read the next field in its place; \
         {USE_SELF_DESCRIBING}"
    )
}

macro_rules! element_compound {
    ($trait:ident, $method:ident) => {
        impl<C: ser::$trait> ser::$trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                self.written += 1;
                self.inner.$method(&checked(value, self.check))
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.verify()?;
                self.inner.end()
            }
        }
    };
}

element_compound!(SerializeSeq, serialize_element);
element_compound!(SerializeTuple, serialize_element);
element_compound!(SerializeTupleStruct, serialize_field);
element_compound!(SerializeTupleVariant, serialize_field);

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.written += 1;
        self.inner.serialize_key(&checked(key, self.check))
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&checked(value, self.check))
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        self.written += 1;
        self.inner
            .serialize_entry(&checked(key, self.check), &checked(value, self.check))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.verify()?;
        self.inner.end()
    }
}

macro_rules! field_compound {
    ($trait:ident) => {
        impl<C: ser::$trait> ser::$trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), C::Error> {
                self.written += 1;
                self.inner.serialize_field(key, &checked(value, self.check))
            }

            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                if self.check.positional {
                    return Err(self.check.refuse(skipped(self.what, key)));
                }
                self.inner.skip_field(key)
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.verify()?;
                self.inner.end()
            }
        }
    };
}

field_compound!(SerializeStruct);
field_compound!(SerializeStructVariant);
