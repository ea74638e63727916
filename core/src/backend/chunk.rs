//! [`ChunkResult`]: the outcome of one chunk of a `map`, as [`run_chunk`]
//! produces it — the values in one contiguous `Vec<R>`, the rare failures
//! beside it — and [`ChunkIter`], the cursor that walks it in item order with
//! no per-item allocation, lock or atomic.

use serde::{Deserialize, Serialize};

use super::cursor::Values;
use crate::Error;
use crate::panic::{in_task, unwind};

/// The outcome of a chunk of `map` items run as one task: one result per
/// item, stored as the successful values in item order plus the failed items'
/// positions and errors.
///
/// Build one with [`run_chunk`] or from per-item results
/// (`FromIterator<Result<R, Error>>`, `From<Vec<Result<R, Error>>>`); read it
/// back item by item with [`into_iter`](IntoIterator::into_iter).
///
/// ```
/// use concur_core::{ChunkResult, Error};
///
/// let chunk: ChunkResult<u32> = vec![Ok(1), Err(Error::Cancelled), Ok(3)].into();
/// assert_eq!(chunk.len(), 3);
/// assert_eq!(chunk.failures(), 1);
/// let back: Vec<Result<u32, Error>> = chunk.into_iter().collect();
/// assert_eq!(back, vec![Ok(1), Err(Error::Cancelled), Ok(3)]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkResult<R> {
    /// The successful items' values, in item order.
    values: Vec<R>,
    /// The failed items: (position in the chunk, error), positions increasing.
    errors: Vec<(usize, Error)>,
}

impl<R> Default for ChunkResult<R> {
    fn default() -> Self {
        ChunkResult {
            values: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl<R> ChunkResult<R> {
    /// An empty chunk with room for `capacity` values.
    pub fn with_capacity(capacity: usize) -> Self {
        ChunkResult {
            values: Vec::with_capacity(capacity),
            errors: Vec::new(),
        }
    }

    /// Appends the next item's outcome.
    #[inline]
    pub fn push(&mut self, outcome: Result<R, Error>) {
        match outcome {
            Ok(v) => self.values.push(v),
            Err(e) => self.errors.push((self.len(), e)),
        }
    }

    /// How many items the chunk holds.
    pub fn len(&self) -> usize {
        self.values.len() + self.errors.len()
    }

    /// Whether the chunk holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many items failed.
    pub fn failures(&self) -> usize {
        self.errors.len()
    }

    /// Whether this is a well-formed outcome of a chunk of `len` items: as
    /// many outcomes as items, failure positions increasing and in range. A
    /// chunk decoded from another process is checked before it is trusted.
    pub fn is_well_formed(&self, len: usize) -> bool {
        self.len() == len
            && self.errors.windows(2).all(|w| w[0].0 < w[1].0)
            && self.errors.last().is_none_or(|(i, _)| *i < len)
    }

    /// The outcomes one per item, as a `Vec`.
    pub fn into_vec(self) -> Vec<Result<R, Error>> {
        self.into_iter().collect()
    }
}

impl<R> FromIterator<Result<R, Error>> for ChunkResult<R> {
    fn from_iter<I: IntoIterator<Item = Result<R, Error>>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut chunk = ChunkResult::with_capacity(iter.size_hint().0);
        for outcome in iter {
            chunk.push(outcome);
        }
        chunk
    }
}

impl<R> From<Vec<Result<R, Error>>> for ChunkResult<R> {
    fn from(outcomes: Vec<Result<R, Error>>) -> Self {
        outcomes.into_iter().collect()
    }
}

impl<R> IntoIterator for ChunkResult<R> {
    type Item = Result<R, Error>;
    type IntoIter = ChunkIter<R>;

    fn into_iter(self) -> ChunkIter<R> {
        let mut errors = self.errors.into_iter();
        let next_error = errors.next();
        ChunkIter {
            values: Values::new(self.values),
            errors,
            next_error,
            position: 0,
        }
    }
}

/// The outcomes of a [`ChunkResult`] one per item, in item order: a cursor
/// over its values that steps aside at each failed position.
#[derive(Debug)]
pub struct ChunkIter<R> {
    values: Values<R>,
    errors: std::vec::IntoIter<(usize, Error)>,
    /// The next failure, if any: the item at its position is that error.
    next_error: Option<(usize, Error)>,
    /// Position of the next item in the chunk.
    position: usize,
}

impl<R> ChunkIter<R> {
    /// The failure at the current position, if there is one; steps past it.
    #[cold]
    fn take_error(&mut self) -> Option<Error> {
        let (_, e) = self.next_error.take()?;
        self.next_error = self.errors.next();
        self.position += 1;
        Some(e)
    }

    #[inline]
    fn error_here(&self) -> bool {
        matches!(&self.next_error, Some((i, _)) if *i == self.position)
    }

    /// Folds the items, the successful values in a tight loop between failures.
    #[inline]
    pub(crate) fn fold_items<B>(mut self, acc: B, g: impl FnMut(B, Result<R, Error>) -> B) -> B {
        self.fold_in_place(acc, g)
    }

    /// As [`fold_items`](ChunkIter::fold_items), keeping the cursor, whose
    /// buffer [`into_buffer`](ChunkIter::into_buffer) then gives back.
    #[inline]
    pub(crate) fn fold_in_place<B>(
        &mut self,
        mut acc: B,
        mut g: impl FnMut(B, Result<R, Error>) -> B,
    ) -> B {
        loop {
            // Values up to the next failure (or the end) need no check each.
            let run = match &self.next_error {
                Some((i, _)) => i.saturating_sub(self.position),
                // No failure left, the common case: every value in one loop.
                None => {
                    let left = self.values.len();
                    self.position += left;
                    return self.values.fold_n(left, acc, |acc, v| g(acc, Ok(v)));
                }
            };
            let before = self.values.len();
            acc = self.values.fold_n(run, acc, |acc, v| g(acc, Ok(v)));
            self.position += before - self.values.len();
            match self.take_error() {
                Some(e) => acc = g(acc, Err(e)),
                None => return acc,
            }
        }
    }

    /// The values' buffer, emptied, once every item was walked: room for a
    /// next chunk of the same layout.
    pub(crate) fn into_buffer(self) -> Option<Vec<R>> {
        if self.next_error.is_some() {
            return None;
        }
        self.values.into_buffer()
    }
}

impl<R> Iterator for ChunkIter<R> {
    type Item = Result<R, Error>;

    #[inline]
    fn next(&mut self) -> Option<Result<R, Error>> {
        if self.error_here() {
            return self.take_error().map(Err);
        }
        let v = self.values.next()?;
        self.position += 1;
        Some(Ok(v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.values.len() + self.errors.len() + usize::from(self.next_error.is_some());
        (n, Some(n))
    }

    fn fold<B, G>(self, init: B, g: G) -> B
    where
        G: FnMut(B, Self::Item) -> B,
    {
        self.fold_items(init, g)
    }
}

impl<R> ExactSizeIterator for ChunkIter<R> {}

/// Runs `f` over each item of a chunk in a tight loop, each item failing alone
/// (what `map` with a `chunksize` sends to one worker).
///
/// ```
/// let out = concur_core::run_chunk(|x: u32| 10 / x, vec![5, 0, 2]).into_vec();
/// assert_eq!(out[0], Ok(2));
/// assert!(out[1].is_err());
/// assert_eq!(out[2], Ok(5));
/// ```
pub fn run_chunk<A, R>(f: impl Fn(A) -> R, items: Vec<A>) -> ChunkResult<R> {
    // Mark the thread once for the whole chunk; each item still fails alone.
    in_task(|| {
        let mut chunk = ChunkResult::with_capacity(items.len());
        let mut items = items.into_iter();
        // The items in one `extend` of the values, which knows the exact count
        // and so writes each value with no capacity check. A panic in `f`
        // leaves the values before it in place (`extend` keeps its length
        // right while it unwinds) and the iterator past the item that
        // panicked: that item's error goes next, and the rest continue.
        while let Err(e) = unwind(|| chunk.values.extend(items.by_ref().map(&f))) {
            chunk.errors.push((chunk.len(), e));
        }
        chunk
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(pattern: &[bool]) -> Vec<Result<usize, Error>> {
        pattern
            .iter()
            .enumerate()
            .map(|(i, &ok)| if ok { Ok(i) } else { Err(Error::Cancelled) })
            .collect()
    }

    #[test]
    fn next_and_fold_give_back_every_pattern_unchanged() {
        // Every ok/failed pattern of up to 6 items, through both walks.
        for len in 0..=6 {
            for bits in 0..(1u32 << len) {
                let pattern: Vec<bool> = (0..len).map(|i| bits & (1 << i) == 0).collect();
                let expected = outcomes(&pattern);
                let chunk = ChunkResult::from(expected.clone());
                assert!(chunk.is_well_formed(len));
                assert_eq!(chunk.len(), len);
                assert_eq!(chunk.clone().into_iter().len(), len);
                let by_next: Vec<_> = chunk.clone().into_iter().collect();
                assert_eq!(by_next, expected);
                let by_fold = chunk.into_iter().fold(Vec::new(), |mut v, r| {
                    v.push(r);
                    v
                });
                assert_eq!(by_fold, expected);
            }
        }
    }

    #[test]
    fn a_forged_chunk_is_not_well_formed() {
        let good = ChunkResult::from(outcomes(&[true, false, true, false]));
        assert!(good.is_well_formed(4));
        assert!(!good.is_well_formed(3));
        assert!(!good.is_well_formed(5));
        let mut out_of_range = good.clone();
        out_of_range.errors[1].0 = 4;
        assert!(!out_of_range.is_well_formed(4));
        let mut unordered = good.clone();
        unordered.errors.swap(0, 1);
        assert!(!unordered.is_well_formed(4));
        let mut repeated = good;
        repeated.errors[1].0 = repeated.errors[0].0;
        assert!(!repeated.is_well_formed(4));
    }

    /// Every pattern of panicking items in chunks of up to 7 (first, last,
    /// runs of consecutive panics, all of them), item `i` giving `make(i)`:
    /// each item is run exactly once, in order, and its outcome, unchanged,
    /// lands at its own position.
    fn every_pattern<R: PartialEq + std::fmt::Debug>(make: impl Fn(usize) -> R) {
        for len in 0..=7usize {
            for bits in 0..(1u32 << len) {
                let panics = |i: usize| bits & (1 << i) != 0;
                let ran = std::cell::RefCell::new(Vec::new());
                let out = run_chunk(
                    |i: usize| {
                        ran.borrow_mut().push(i);
                        if panics(i) {
                            panic!("item {i}");
                        }
                        make(i)
                    },
                    (0..len).collect(),
                );
                assert!(out.is_well_formed(len), "{len} {bits:b}");
                assert_eq!(out.failures(), bits.count_ones() as usize);
                assert_eq!(*ran.borrow(), (0..len).collect::<Vec<_>>());
                for (i, r) in out.into_iter().enumerate() {
                    match r {
                        Ok(v) => assert!(!panics(i) && v == make(i), "{len} {bits:b} {i}: {v:?}"),
                        Err(Error::Panicked { message, .. }) => {
                            assert!(
                                panics(i) && message == format!("item {i}"),
                                "{len} {bits:b}"
                            );
                        }
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn every_item_runs_once_and_fails_alone_whatever_panics() {
        every_pattern(|i| i * 10);
        every_pattern(|i| format!("v{i}"));
    }

    #[test]
    fn every_item_and_value_is_dropped_once() {
        // Items and values owning a reference (`Rc`): a value dropped twice
        // or an item never dropped shows in the count.
        use std::rc::Rc;
        let token = Rc::new(());
        for bits in 0..(1u32 << 6) {
            let items: Vec<Rc<()>> = (0..6).map(|_| Rc::clone(&token)).collect();
            let seen = std::cell::Cell::new(0);
            let out = run_chunk(
                |item: Rc<()>| {
                    let i = seen.replace(seen.get() + 1);
                    if bits & (1 << i) != 0 {
                        drop(item);
                        panic!("item {i}");
                    }
                    item
                },
                items,
            );
            assert_eq!(out.failures(), bits.count_ones() as usize);
            let values = 6 - out.failures();
            assert_eq!(Rc::strong_count(&token), 1 + values, "{bits:b}");
            drop(out);
            assert_eq!(Rc::strong_count(&token), 1, "{bits:b}");
        }
    }

    #[test]
    fn a_chunk_fails_item_by_item() {
        let out = run_chunk(
            |x: u8| {
                if x == 2 {
                    panic!("two");
                }
                x
            },
            vec![1, 2, 3],
        )
        .into_vec();
        assert_eq!(out[0], Ok(1));
        assert!(matches!(&out[1], Err(Error::Panicked { message, .. }) if message == "two"));
        assert_eq!(out[2], Ok(3));
    }
}
