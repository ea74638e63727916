//! A batch: several frames carried in the tail of one message, so that a
//! window refilled with several tasks costs one `sendmsg` and one wake-up of
//! the worker's reader instead of one per task.
//!
//! The tail is a sequence of records, each a frame's length (u32 LE) and the
//! frame. [`Batch`] builds one in a buffer that is kept and reused (no
//! allocation per message once it has grown); [`records`] splits one, bounded
//! by the bytes it came in: a length that runs past the end is an error, never
//! a read beyond the tail, and an empty record is refused (a batch cannot be
//! made to loop without consuming bytes).

use concur_core::Error;

use super::{ToWorker, encode_frame};

/// The largest batch message: what fits in one packet with the transport's
/// header (see `transport.rs`), so that a batch is read in place.
pub(crate) const MAX_BYTES: usize = crate::transport::CHUNK - 64;

/// The length prefix of a record.
const PREFIX: usize = 4;

/// The most bytes a `RunMany` header takes (a bincode enum tag, a varint).
const HEADER_MAX: usize = 5;

/// A `RunMany` message being built: its header, then records.
#[derive(Debug)]
pub(crate) struct Batch {
    bytes: Vec<u8>,
    /// The length of the `RunMany` header at the front of `bytes`.
    header: usize,
    count: usize,
}

impl Default for Batch {
    fn default() -> Self {
        let bytes = encode_frame(&ToWorker::RunMany, &[]);
        let header = bytes.len();
        debug_assert!(header <= HEADER_MAX);
        Batch {
            bytes,
            header,
            count: 0,
        }
    }
}

impl Batch {
    /// True if a frame of `len` bytes can join this batch.
    pub(crate) fn fits(&self, len: usize) -> bool {
        self.bytes.len() + PREFIX + len <= MAX_BYTES
    }

    /// True if a frame of `len` bytes fits in a batch at all (in an empty
    /// one). Asked once per task sent: it allocates nothing.
    pub(crate) fn fits_alone(len: usize) -> bool {
        HEADER_MAX + PREFIX + len <= MAX_BYTES
    }

    /// Adds a frame (which must [`fit`](Batch::fits)).
    pub(crate) fn push(&mut self, frame: &[u8]) {
        debug_assert!(self.fits(frame.len()));
        let len = u32::try_from(frame.len()).expect("a batch is smaller than 4 GiB");
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(frame);
        self.count += 1;
    }

    /// The frames added since the last [`clear`](Batch::clear).
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The one frame of a batch of one, as it would travel alone.
    pub(crate) fn single(&self) -> Option<&[u8]> {
        (self.count == 1).then(|| &self.bytes[self.header + PREFIX..])
    }

    /// The whole message: the `RunMany` header and the records.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Empties the batch, keeping its buffer.
    pub(crate) fn clear(&mut self) {
        self.bytes.truncate(self.header);
        self.count = 0;
    }
}

/// The records of a batch's tail, in order; an item is `Err` (and the last
/// one) when the tail is malformed: a length prefix cut short, a length past
/// the end of the tail, or an empty record.
pub(crate) fn records(tail: &[u8]) -> Records<'_> {
    Records { rest: tail }
}

/// The iterator of [`records`].
#[derive(Debug)]
pub(crate) struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<&'a [u8], Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let bad = |message: String| {
            Some(Err(Error::Decode {
                type_name: "a batch".to_owned(),
                message,
            }))
        };
        let Some((prefix, rest)) = self.rest.split_first_chunk::<PREFIX>() else {
            let left = self.rest.len();
            self.rest = &[];
            return bad(format!("a record's length cut short ({left} bytes left)"));
        };
        let len = u32::from_le_bytes(*prefix) as usize;
        if len == 0 || len > rest.len() {
            let left = rest.len();
            self.rest = &[];
            return bad(format!("a record of {len} bytes where {left} are left"));
        }
        let (record, rest) = rest.split_at(len);
        self.rest = rest;
        Some(Ok(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_frame;
    use proptest::prelude::*;

    #[test]
    fn a_batch_carries_its_frames_in_order_and_is_reused() {
        let mut batch = Batch::default();
        for round in 0..3u8 {
            batch.clear();
            batch.push(&[round, 1]);
            batch.push(&[round; 7]);
            assert_eq!(batch.count(), 2);
            let (header, tail) = decode_frame::<ToWorker>(batch.bytes()).unwrap();
            assert_eq!(header, ToWorker::RunMany);
            let got: Vec<&[u8]> = records(tail).map(Result::unwrap).collect();
            assert_eq!(got, [&[round, 1][..], &[round; 7][..]]);
            assert_eq!(batch.single(), None);
        }
        batch.clear();
        batch.push(&[4, 5, 6]);
        assert_eq!(batch.single(), Some(&[4, 5, 6][..]));
    }

    #[test]
    fn a_batch_stays_within_one_packet() {
        let mut batch = Batch::default();
        let frame = [9u8; 1000];
        while batch.fits(frame.len()) {
            batch.push(&frame);
        }
        assert!(batch.bytes().len() <= MAX_BYTES);
        assert!(!batch.fits(frame.len()));
        assert!(Batch::fits_alone(MAX_BYTES - 16));
        assert!(!Batch::fits_alone(MAX_BYTES));
        // What fits alone fits in an empty batch.
        let largest = MAX_BYTES - HEADER_MAX - PREFIX;
        assert!(Batch::fits_alone(largest) && !Batch::fits_alone(largest + 1));
        assert!(Batch::default().fits(largest));
    }

    #[test]
    fn malformed_tails_are_errors_not_reads_past_the_end() {
        for tail in [
            &[1u8][..],                   // a prefix cut short
            &[5, 0, 0, 0, 1, 2][..],      // 5 announced, 2 there
            &[0, 0, 0, 0][..],            // an empty record
            &[255, 255, 255, 255, 0][..], // 4 GiB announced
        ] {
            let items: Vec<_> = records(tail).collect();
            assert_eq!(items.len(), 1, "{tail:?}");
            assert!(items[0].is_err(), "{tail:?}");
        }
        let items: Vec<_> = records(&[1, 0, 0, 0, 7, 9]).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_ref().unwrap(), &[7]);
        assert!(items[1].is_err());
    }

    proptest! {
        /// Any bytes split into records that lie inside them, and the split
        /// ends (each step consumes bytes or ends the iteration).
        #[test]
        fn records_of_random_bytes_stay_inside_them(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut seen = 0;
            for item in records(&tail) {
                match item {
                    Ok(r) => {
                        prop_assert!(!r.is_empty());
                        seen += PREFIX + r.len();
                        prop_assert!(seen <= tail.len());
                    }
                    Err(_) => break,
                }
            }
        }
    }
}
