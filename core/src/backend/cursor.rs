//! [`Values`]: the values of a `Vec` moved out one at a time, in order, with
//! the `Vec`'s buffer kept — so that once a chunk's values are walked, the
//! buffer can carry the next chunk's items ([`reuse`]) instead of being freed
//! by one thread while another allocates the same size again.
//!
//! `std::vec::IntoIter` walks as fast but never gives its buffer back.

use std::mem::{ManuallyDrop, align_of, size_of};
use std::ptr;

/// A `Vec`'s values, moved out front to back; the buffer stays for
/// [`into_buffer`](Values::into_buffer).
///
/// Invariant: `buf.len()` is 0 and `buf`'s slots `read..end` hold values this
/// cursor owns (each is read out or dropped exactly once); the slots before
/// `read` were moved out and are not touched again.
pub(crate) struct Values<R> {
    buf: Vec<R>,
    read: usize,
    end: usize,
}

impl<R> Values<R> {
    pub(crate) fn new(mut buf: Vec<R>) -> Self {
        let end = buf.len();
        // SAFETY: a length of 0 is within the capacity, and the slots `0..end`
        // stay initialized: from here on this cursor owns them (see the
        // invariant), so the `Vec` never drops or exposes them again.
        unsafe { buf.set_len(0) };
        Values { buf, read: 0, end }
    }

    /// How many values are left.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.end - self.read
    }

    /// The emptied buffer, when every value has been moved out.
    pub(crate) fn into_buffer(mut self) -> Option<Vec<R>> {
        // With values left, dropping `self` drops them.
        if self.read != self.end {
            return None;
        }
        // The cursor left behind owns nothing: an empty `Vec`, no slots.
        (self.read, self.end) = (0, 0);
        Some(std::mem::take(&mut self.buf))
    }
}

impl<R> Iterator for Values<R> {
    type Item = R;

    #[inline]
    fn next(&mut self) -> Option<R> {
        if self.read == self.end {
            return None;
        }
        // SAFETY: `read < end`, so the slot holds a value this cursor owns; it
        // is moved out once, and `read` moves past it before anything else
        // (a panic included) can look at the slot again.
        let v = unsafe { ptr::read(self.buf.as_ptr().add(self.read)) };
        self.read += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<R> Values<R> {
    /// Folds the next `n` values (or as many as are left).
    #[inline]
    pub(crate) fn fold_n<B>(&mut self, n: usize, mut acc: B, mut g: impl FnMut(B, R) -> B) -> B {
        let stop = self.read + n.min(self.len());
        let base = self.buf.as_ptr();
        while self.read < stop {
            // SAFETY: as in `next`: `read < stop <= end`, and `read` moves
            // past the slot before `g` (which may panic) sees the value.
            let v = unsafe { ptr::read(base.add(self.read)) };
            self.read += 1;
            acc = g(acc, v);
        }
        acc
    }
}

impl<R> Drop for Values<R> {
    fn drop(&mut self) {
        let left = ptr::slice_from_raw_parts_mut(
            // SAFETY: `read <= end <= capacity`: the offset stays within the
            // buffer (or one past its end).
            unsafe { self.buf.as_mut_ptr().add(self.read) },
            self.len(),
        );
        // SAFETY: the slots `read..end` hold values this cursor owns and has
        // not moved out (the invariant); they are dropped here once, and the
        // `Vec` (of length 0) then frees only the buffer.
        unsafe { ptr::drop_in_place(left) };
    }
}

impl<R> std::fmt::Debug for Values<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Values").field("left", &self.len()).finish()
    }
}

/// An empty buffer of `R`s as a buffer of `A`s, when the two are laid out
/// alike (same size, not zero, same alignment): the allocation is the same
/// either way. `None` otherwise, or if `buf` still holds values.
pub(crate) fn reuse<R, A>(buf: Vec<R>) -> Option<Vec<A>> {
    let alike = size_of::<R>() == size_of::<A>()
        && size_of::<A>() != 0
        && align_of::<R>() == align_of::<A>();
    if !alike || !buf.is_empty() {
        return None;
    }
    let mut buf = ManuallyDrop::new(buf);
    let (ptr, capacity) = (buf.as_mut_ptr(), buf.capacity());
    // SAFETY: `ptr` was allocated by the global allocator for `capacity`
    // `R`s, which is the same size and alignment as `capacity` `A`s (checked
    // above, and neither is zero-sized, so the pointer is a real allocation
    // when `capacity` > 0 and dangling-but-aligned for `A` when it is 0). The
    // length is 0: no `R` is read as an `A`. `ManuallyDrop` keeps the old
    // `Vec` from freeing the buffer the new one now owns.
    Some(unsafe { Vec::from_raw_parts(ptr.cast::<A>(), 0, capacity) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn values_come_out_in_order_and_the_buffer_comes_back() {
        let v: Vec<String> = (0..5).map(|i| format!("v{i}")).collect();
        let ptr = v.as_ptr();
        let mut values = Values::new(v);
        assert_eq!(values.next().as_deref(), Some("v0"));
        let rest = values.fold_n(10, Vec::new(), |mut acc, s| {
            acc.push(s);
            acc
        });
        assert_eq!(rest, ["v1", "v2", "v3", "v4"]);
        assert_eq!(values.next(), None);
        let buf = values.into_buffer().expect("all moved out");
        assert!(buf.is_empty() && buf.capacity() >= 5 && buf.as_ptr() == ptr);
    }

    #[test]
    fn every_value_is_dropped_once_however_the_walk_stops() {
        let token = Rc::new(());
        for taken in 0..=4 {
            for folded in 0..=4 {
                let v: Vec<Rc<()>> = (0..4).map(|_| Rc::clone(&token)).collect();
                let mut values = Values::new(v);
                let out: Vec<Rc<()>> = (0..taken).filter_map(|_| values.next()).collect();
                let out = values.fold_n(folded, out, |mut acc, r| {
                    acc.push(r);
                    acc
                });
                assert_eq!(out.len(), (taken + folded).min(4));
                assert_eq!(Rc::strong_count(&token), 1 + 4, "{taken} {folded}");
                // Values left: no buffer back, and dropping drops them.
                let back = values.into_buffer();
                assert_eq!(back.is_some(), out.len() == 4);
                drop(out);
                assert_eq!(Rc::strong_count(&token), 1, "{taken} {folded}");
            }
        }
    }

    #[test]
    fn a_panic_in_the_fold_drops_neither_twice_nor_never() {
        let token = Rc::new(());
        let v: Vec<Rc<()>> = (0..6).map(|_| Rc::clone(&token)).collect();
        let mut values = Values::new(v);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            values.fold_n(6, 0, |n, r| {
                drop(r);
                assert!(n < 2, "third");
                n + 1
            })
        }));
        assert!(caught.is_err());
        // Three moved out and dropped by the fold, three left in the cursor.
        assert_eq!(values.len(), 3);
        assert_eq!(Rc::strong_count(&token), 1 + 3);
        drop(values);
        assert_eq!(Rc::strong_count(&token), 1);
    }

    #[test]
    fn a_buffer_is_reused_only_for_a_type_laid_out_alike_and_only_empty() {
        let mut v: Vec<u64> = Vec::with_capacity(8);
        let ptr = v.as_ptr() as usize;
        let as_i64: Vec<i64> = reuse(std::mem::take(&mut v)).expect("same layout");
        assert_eq!((as_i64.as_ptr() as usize, as_i64.capacity()), (ptr, 8));
        let mut back: Vec<f64> = reuse(as_i64).expect("same layout");
        back.extend([1.5, 2.5]);
        assert_eq!(back, [1.5, 2.5]);
        assert!(reuse::<f64, f64>(back).is_none(), "not empty");
        assert!(reuse::<u64, u32>(Vec::with_capacity(4)).is_none(), "size");
        assert!(
            reuse::<[u8; 8], u64>(Vec::with_capacity(4)).is_none(),
            "alignment"
        );
        assert!(reuse::<(), ()>(Vec::new()).is_none(), "zero-sized");
    }
}
