//! The result ring: finished results written by a worker into memory its pool
//! owns, so that a stream of short tasks costs the worker one message (a
//! doorbell) per several results instead of one per result, and so that a
//! result already written survives its worker's death.
//!
//! The ring lives in the worker's beacon (`shm.rs`): a memfd the pool creates,
//! sealed against shrinking and growing (reading it never faults), mapped
//! read-write by both. Its words, after the beacon's own:
//!
//! - [`HEAD`]: the bytes the worker has published (written by the worker only,
//!   with `Release`, once a record is whole);
//! - [`TAIL`]: the bytes the pool has consumed (written by the pool only; the
//!   pool keeps its own copy and never reads this word back);
//! - the data area, [`CAPACITY`] bytes from [`DATA`], used modulo its size.
//!
//! A record is 8-byte aligned: a word holding the frame's length `L`
//! (`1..=`[`MAX_RECORD`]), then the frame (a `Done` frame, exactly what would
//! have crossed the socket) in `ceil(L / 8)` words. Every word is read and
//! written through an atomic, so the two processes never race on plain memory.
//!
//! The worker is untrusted. The pool reads `HEAD` once per record, checks that
//! it lies within a ring's capacity past its own tail and on a word boundary,
//! that the length is in range and fits in what was published, and copies the
//! record out before it is decoded (the worker may rewrite it meanwhile: the
//! copy is what is judged). Anything out of bounds is [`Corrupt`], which loses
//! that worker; nothing read from the ring indexes memory outside it.
//!
//! When the worker announces results (the doorbell, `FromWorker::Results`) is
//! decided in `worker.rs`; the pool drains the ring before it handles any
//! message from the worker, and once more after the worker is dead, before it
//! settles the tasks the worker held (`pool/slot.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

/// The word (of the beacon) holding the bytes published by the worker.
pub(crate) const HEAD: usize = 8;
/// The word holding the bytes consumed by the pool (another cache line).
pub(crate) const TAIL: usize = 16;
/// The first word of the data area (the beacon's second page).
pub(crate) const DATA: usize = 4096 / 8;
/// The data area's size in bytes: a power of two, a multiple of 8.
pub(crate) const CAPACITY: usize = 256 * 1024;
/// The longest frame a record holds; a longer result takes the socket.
pub(crate) const MAX_RECORD: usize = 32 * 1024;
/// The words the ring needs in its beacon.
pub(crate) const WORDS: usize = DATA + CAPACITY / 8;

const SLOTS: u64 = (CAPACITY / 8) as u64;

/// The bytes a record of a frame of `len` bytes takes: its length word and
/// the frame rounded up to words.
fn footprint(len: usize) -> u64 {
    8 + len.div_ceil(8) as u64 * 8
}

/// A ring whose worker broke its bounds: what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Corrupt(pub(crate) String);

/// The worker's side: writes records, publishes them.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    words: &'a [AtomicU64],
}

impl<'a> Writer<'a> {
    /// The writer over a beacon's words (at least [`WORDS`] of them).
    pub(crate) fn new(words: &'a [AtomicU64]) -> Self {
        assert!(words.len() >= WORDS);
        Writer { words }
    }

    /// The bytes published so far.
    pub(crate) fn head(&self) -> u64 {
        // Relaxed: only this side writes it.
        self.words[HEAD].load(Ordering::Relaxed)
    }

    /// The bytes published and not yet consumed by the pool.
    pub(crate) fn used(&self) -> u64 {
        // Acquire: the pool's copy of a record happens before it frees it.
        self.head()
            .wrapping_sub(self.words[TAIL].load(Ordering::Acquire))
    }

    /// Writes `frame` as one record and publishes it; false (nothing written)
    /// if it is empty, longer than [`MAX_RECORD`] or does not fit in the room
    /// left.
    pub(crate) fn push(&self, frame: &[u8]) -> bool {
        if frame.is_empty() || frame.len() > MAX_RECORD {
            return false;
        }
        let need = footprint(frame.len());
        if self.used().saturating_add(need) > CAPACITY as u64 {
            return false;
        }
        let head = self.head();
        let mut at = head / 8;
        let mut put = |word: u64| {
            self.words[DATA + (at % SLOTS) as usize].store(word, Ordering::Relaxed);
            at += 1;
        };
        put(frame.len() as u64);
        for chunk in frame.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            put(u64::from_le_bytes(word));
        }
        // Release: the record's words are visible before the head that
        // publishes them.
        self.words[HEAD].store(head + need, Ordering::Release);
        true
    }
}

/// The pool's side: reads records out of an untrusted worker's ring.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    /// The bytes consumed: the pool's own copy, never read back from the ring.
    tail: u64,
}

impl Reader {
    /// Copies the next published record's frame into the end of `out` and
    /// frees it; `Ok(None)` when none is published.
    ///
    /// # Errors
    ///
    /// [`Corrupt`] when the published head or the record's length is out of
    /// bounds (nothing is appended then, and the ring stays where it was).
    pub(crate) fn pop(
        &mut self,
        words: &[AtomicU64],
        out: &mut Vec<u8>,
    ) -> Result<Option<std::ops::Range<usize>>, Corrupt> {
        assert!(words.len() >= WORDS);
        // Acquire: pairs with the worker's Release store of the head.
        let head = words[HEAD].load(Ordering::Acquire);
        let published = head.wrapping_sub(self.tail);
        if published == 0 {
            return Ok(None);
        }
        if published > CAPACITY as u64 || !published.is_multiple_of(8) {
            return Err(Corrupt(format!(
                "its result ring's head ({head}) is not within the ring past the pool's tail ({})",
                self.tail
            )));
        }
        let slot = |i: u64| &words[DATA + ((self.tail / 8 + i) % SLOTS) as usize];
        let len = slot(0).load(Ordering::Relaxed);
        let fits = usize::try_from(len)
            .ok()
            .filter(|&l| (1..=MAX_RECORD).contains(&l) && footprint(l) <= published);
        let Some(len) = fits else {
            return Err(Corrupt(format!(
                "a record of {len} bytes in its result ring, where {published} are published \
                 and at most {MAX_RECORD} allowed"
            )));
        };
        let start = out.len();
        out.reserve(len.div_ceil(8) * 8);
        for i in 0..len.div_ceil(8) as u64 {
            out.extend_from_slice(&slot(1 + i).load(Ordering::Relaxed).to_le_bytes());
        }
        out.truncate(start + len);
        self.tail += footprint(len);
        // Release: the copy above is done before the worker may reuse the room.
        words[TAIL].store(self.tail, Ordering::Release);
        Ok(Some(start..start + len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Vec<AtomicU64> {
        (0..WORDS).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn records_come_out_as_they_went_in_across_the_wrap() {
        let words = ring();
        let (w, mut r) = (Writer::new(&words), Reader::default());
        let mut out = Vec::new();
        for round in 0..2000usize {
            let frame: Vec<u8> = (0..1 + round % 300).map(|i| (i + round) as u8).collect();
            assert!(w.push(&frame));
            out.clear();
            let got = r.pop(&words, &mut out).unwrap().unwrap();
            assert_eq!(&out[got], &frame[..]);
            assert_eq!(r.pop(&words, &mut out), Ok(None));
        }
    }

    #[test]
    fn a_full_ring_refuses_and_takes_again_once_drained() {
        let words = ring();
        let (w, mut r) = (Writer::new(&words), Reader::default());
        let frame = vec![7u8; MAX_RECORD];
        let fit = CAPACITY as u64 / footprint(MAX_RECORD);
        for _ in 0..fit {
            assert!(w.push(&frame));
        }
        assert!(!w.push(&frame), "full");
        let mut out = Vec::new();
        assert!(r.pop(&words, &mut out).unwrap().is_some());
        assert!(w.push(&frame), "room again");
    }

    #[test]
    fn the_inline_limit_is_exact() {
        let words = ring();
        let w = Writer::new(&words);
        assert!(w.push(&vec![1; MAX_RECORD]));
        assert!(!w.push(&vec![1; MAX_RECORD + 1]));
        assert!(!w.push(&[]));
    }

    #[test]
    fn a_corrupt_head_or_length_is_refused_without_reading_past_the_ring() {
        let mut out = Vec::new();
        for (head, len) in [
            (CAPACITY as u64 + 8, 8), // more published than the ring holds
            (12, 4),                  // not on a word boundary
            (u64::MAX - 7, 8),        // "behind" the tail
            (16, 0),                  // an empty record
            (16, 9),                  // a record longer than published
            (16, u64::MAX),           // a huge length
            (CAPACITY as u64, MAX_RECORD as u64 + 1), // over the limit
        ] {
            let words = ring();
            words[HEAD].store(head, Ordering::Relaxed);
            words[DATA].store(len, Ordering::Relaxed);
            let mut r = Reader::default();
            assert!(r.pop(&words, &mut out).is_err(), "{head} {len}");
            assert!(out.is_empty());
            assert!(r.pop(&words, &mut out).is_err(), "stays corrupt");
            assert_eq!(words[TAIL].load(Ordering::Relaxed), 0, "nothing freed");
        }
    }
}
