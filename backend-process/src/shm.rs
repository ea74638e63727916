//! [`Region`]: a shared-memory payload that neither side can change once sent.
//!
//! A large argument or result is encoded into a fresh `memfd` (created with
//! `MFD_ALLOW_SEALING`), whose writable mapping is then dropped and which is
//! *sealed* against shrinking, growing and writing (`F_SEAL_SHRINK |
//! F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL`) before its descriptor crosses the
//! socket. The receiver refuses a descriptor that is not a regular file, whose
//! seals are missing or whose size differs from what the frame announced, and
//! maps it read-only. A sealed file cannot be truncated (so reading it cannot
//! fault with `SIGBUS`) nor written (so the bytes decoded are the bytes that
//! were checked, and a task requeued to another worker carries the same
//! argument), whoever holds another descriptor to it.
//!
//! Sealing costs two system calls and one `munmap`/`mmap` pair per region
//! against an unsealed one; next to the copy of a payload above the threshold
//! (512 KiB by default) it does not show (see the crate docs).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

/// The seals every region carries before it is sent.
const SEALS: i32 = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;

/// The seals a received region must carry: it cannot shrink under the reader
/// nor change.
const REQUIRED: i32 = libc::F_SEAL_SHRINK | libc::F_SEAL_WRITE;

/// A shared-memory region: writable while it is being filled ([`RegionMut`]),
/// sealed and read-only once it is a `Region`.
#[derive(Debug)]
pub(crate) struct Region {
    fd: OwnedFd,
    map: Mapping,
}

/// A region being filled; [`RegionMut::seal`] makes it a [`Region`].
#[derive(Debug)]
pub(crate) struct RegionMut {
    fd: OwnedFd,
    map: Mapping,
}

/// A mapping of `len` bytes at `ptr` (none for an empty region).
#[derive(Debug)]
struct Mapping {
    ptr: Option<NonNull<u8>>,
    len: usize,
}

// SAFETY: a `Mapping` is an address range owned by its value (unmapped on drop);
// the bytes are plain memory, and a `Region`'s are read-only and sealed, so
// sharing or sending the handle between threads cannot race with a write.
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` only ever gives `&[u8]`.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(fd: &OwnedFd, len: usize, prot: i32) -> io::Result<Self> {
        if len == 0 {
            return Ok(Mapping { ptr: None, len });
        }
        // SAFETY: a fresh mapping chosen by the kernel (null hint) overlaps no
        // memory of this process; `fd` is open for the duration of the call.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: NonNull::new(ptr.cast()),
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        match self.ptr {
            // SAFETY: `ptr..ptr+len` is mapped for as long as `self` lives.
            Some(p) => unsafe { std::slice::from_raw_parts(p.as_ptr(), self.len) },
            None => &[],
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if let Some(p) = self.ptr {
            // SAFETY: the range was mapped by `Mapping::new` and no borrow of it
            // outlives `self`.
            unsafe { libc::munmap(p.as_ptr().cast(), self.len) };
        }
    }
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl RegionMut {
    /// A new zeroed region of `len` bytes.
    pub(crate) fn new(len: usize) -> io::Result<Self> {
        Self::named(c"concur-payload", len)
    }

    /// A new zeroed region of `len` bytes, its memfd named `name` (as
    /// `/proc/PID/fd` shows it).
    fn named(name: &std::ffi::CStr, len: usize) -> io::Result<Self> {
        // SAFETY: the name is NUL-terminated; memfd_create returns a new
        // descriptor (or -1) and touches no other memory.
        let fd = check(unsafe {
            libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
        })?;
        // SAFETY: `fd` was just returned by memfd_create and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let size = libc::off_t::try_from(len).map_err(|_| io::ErrorKind::InvalidInput)?;
        // SAFETY: ftruncate on a descriptor we own.
        check(unsafe { libc::ftruncate(fd.as_raw_fd(), size) })?;
        let map = Mapping::new(&fd, len, libc::PROT_READ | libc::PROT_WRITE)?;
        if let Some(p) = map.ptr {
            // Not copied into a child forked meanwhile (a worker spawned by
            // another thread, between its fork and its exec): `F_SEAL_WRITE`
            // is refused with EBUSY while any process holds a writable mapping
            // of the file, so an inherited copy would fail `seal`.
            // SAFETY: madvise on the range this mapping owns; MADV_DONTFORK
            // changes only what a future fork copies.
            check(unsafe { libc::madvise(p.as_ptr().cast(), len, libc::MADV_DONTFORK) })?;
        }
        Ok(RegionMut { fd, map })
    }

    /// The bytes to fill.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        match self.map.ptr {
            // SAFETY: the range is mapped writable while `self` lives, and the
            // memfd is not shared with anyone before `seal`, so this is the only
            // access to it.
            Some(p) => unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), self.map.len) },
            None => &mut [],
        }
    }

    /// Drops the writable mapping, seals the file and maps it read-only.
    pub(crate) fn seal(self) -> io::Result<Region> {
        let RegionMut { fd, map } = self;
        let len = map.len;
        // F_SEAL_WRITE is refused while a writable shared mapping exists.
        drop(map);
        // SAFETY: fcntl on a descriptor we own, with an integer argument.
        check(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, SEALS) })?;
        let map = Mapping::new(&fd, len, libc::PROT_READ)?;
        Ok(Region { fd, map })
    }
}

impl Region {
    /// A region received from a peer: accepted only if `fd` is a regular file
    /// of exactly `len` bytes that can neither shrink nor change.
    ///
    /// # Errors
    ///
    /// A message naming what was wrong with the descriptor.
    pub(crate) fn from_peer(fd: OwnedFd, len: u64) -> Result<Self, String> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: fstat writes a `stat` into the buffer it is given.
        if unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) } != 0 {
            return Err(format!("fstat: {}", io::Error::last_os_error()));
        }
        // SAFETY: fstat succeeded, so it initialised the buffer.
        let st = unsafe { st.assume_init() };
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err("the descriptor is not a shared-memory file".into());
        }
        // SAFETY: fcntl with no argument on a descriptor we own.
        let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
        if seals < 0 || seals & REQUIRED != REQUIRED {
            return Err(format!(
                "the region is not sealed against shrinking and writing (seals {seals:#x})"
            ));
        }
        if u64::try_from(st.st_size).ok() != Some(len) {
            return Err(format!(
                "the region has {} bytes, the frame announced {len}",
                st.st_size
            ));
        }
        let len = usize::try_from(len).map_err(|_| "the region does not fit in memory")?;
        let map = Mapping::new(&fd, len, libc::PROT_READ).map_err(|e| format!("mmap: {e}"))?;
        Ok(Region { fd, map })
    }

    /// The descriptor to send.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// The length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.map.len
    }
}

impl std::ops::Deref for Region {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.map.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_region_cannot_shrink_or_change() {
        let mut region = RegionMut::new(4096).unwrap();
        region.as_mut_slice()[..3].copy_from_slice(b"abc");
        let region = region.seal().unwrap();
        assert_eq!(&region[..3], b"abc");
        let fd = region.fd().as_raw_fd();
        // SAFETY: ftruncate and pwrite on a descriptor `region` keeps open.
        unsafe {
            assert_eq!(libc::ftruncate(fd, 0), -1, "shrinking is refused");
            assert_eq!(
                libc::pwrite(fd, b"x".as_ptr().cast(), 1, 0),
                -1,
                "writes are refused"
            );
        }
        let copy = region.fd().try_clone().unwrap();
        let back = Region::from_peer(copy, 4096).unwrap();
        assert_eq!(&back[..3], b"abc");
    }

    /// A child forked while a region is being filled (as a worker spawned by
    /// another thread is, until it execs) does not keep the region's
    /// writable mapping, which would make `seal` fail with EBUSY.
    #[test]
    fn a_region_seals_while_a_forked_child_lives() {
        let mut region = RegionMut::new(1 << 20).unwrap();
        region.as_mut_slice()[0] = 7;
        let mut pipe = [0; 2];
        // SAFETY: pipe writes two descriptors into the array.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        // SAFETY: the child calls only async-signal-safe functions (read,
        // _exit) before it exits; the parent closes its end and reaps it.
        let child = unsafe { libc::fork() };
        assert!(child >= 0);
        if child == 0 {
            let mut byte = 0u8;
            // SAFETY: read into a local byte, then exit without unwinding.
            unsafe {
                libc::close(pipe[1]);
                libc::read(pipe[0], (&raw mut byte).cast(), 1);
                libc::_exit(0);
            }
        }
        let sealed = region.seal();
        // SAFETY: closing our write end lets the child's read return; waitpid
        // reaps the child we forked.
        unsafe {
            libc::close(pipe[1]);
            libc::close(pipe[0]);
            libc::waitpid(child, std::ptr::null_mut(), 0);
        }
        let sealed = sealed.expect("sealed while the forked child lived");
        assert_eq!(sealed[0], 7);
    }

    #[test]
    fn an_unsealed_or_wrong_sized_region_is_refused() {
        let region = RegionMut::new(64).unwrap();
        let err = Region::from_peer(region.fd.try_clone().unwrap(), 64).unwrap_err();
        assert!(err.contains("not sealed"), "{err}");
        let sealed = region.seal().unwrap();
        let err = Region::from_peer(sealed.fd().try_clone().unwrap(), 65).unwrap_err();
        assert!(err.contains("announced 65"), "{err}");
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let err = Region::from_peer(OwnedFd::from(a), 0).unwrap_err();
        assert!(err.contains("not a shared-memory file"), "{err}");
    }
}

/// A shared word the worker writes and the pool reads: the id (plus one) of
/// the task the worker last started, so that when a worker is lost the pool
/// knows whether the first task of its window had started at all (a task sent
/// and never started is requeued, never reported lost). One relaxed store per
/// task in the worker, nothing on the pool's side until a worker is lost.
/// A second word says that the worker died of a stack overflow (its handler
/// sets it before it aborts), so the pool can report the cause.
///
/// The pool creates it, sealed against shrinking and growing (so reading it
/// cannot fault) but writable, and hands it over with `Welcome`. Past its
/// first words it holds the worker's result ring (`ring.rs`); its memfd is
/// named `concur-beacon`.
#[derive(Debug)]
pub(crate) struct Beacon {
    fd: OwnedFd,
    map: Mapping,
}

impl Beacon {
    const LEN: usize = crate::ring::WORDS * 8;

    /// A new beacon reading 0 (no task started).
    pub(crate) fn new() -> io::Result<Self> {
        let RegionMut { fd, map } = RegionMut::named(c"concur-beacon", Self::LEN)?;
        // SAFETY: fcntl with an integer argument on a descriptor we own.
        check(unsafe {
            libc::fcntl(
                fd.as_raw_fd(),
                libc::F_ADD_SEALS,
                libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL,
            )
        })?;
        Ok(Beacon { fd, map })
    }

    /// The worker's side of the pool's beacon (trusted: it comes from the pool).
    pub(crate) fn from_pool(fd: OwnedFd) -> io::Result<Self> {
        let map = Mapping::new(&fd, Self::LEN, libc::PROT_READ | libc::PROT_WRITE)?;
        Ok(Beacon { fd, map })
    }

    /// The descriptor to send.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Every word of the beacon, the result ring's included.
    pub(crate) fn words(&self) -> &[std::sync::atomic::AtomicU64] {
        let p = self.map.ptr.expect("a beacon is never empty");
        // SAFETY: the mapping is `LEN` bytes (a multiple of 8), page-aligned
        // (so aligned for u64), lives as long as `self` (the borrow), and is
        // only ever accessed through these atomics, in this process and the
        // other one. The file is sealed against shrinking, so no access faults.
        unsafe {
            std::slice::from_raw_parts(
                p.as_ptr().cast::<std::sync::atomic::AtomicU64>(),
                Self::LEN / 8,
            )
        }
    }

    /// The `i`-th word of the beacon ([`Self::STARTED`] or [`Self::OVERFLOWED`]).
    fn word(&self, i: usize) -> &std::sync::atomic::AtomicU64 {
        &self.words()[i]
    }

    /// The word that names the task the worker last started.
    const STARTED: usize = 0;
    /// The word the worker's stack-overflow handler sets before it aborts.
    const OVERFLOWED: usize = 1;

    /// The word a worker's stack-overflow handler sets (non-zero) before it
    /// aborts; the beacon must live as long as the process, hence `'static`.
    pub(crate) fn overflow_flag(&'static self) -> &'static std::sync::atomic::AtomicU64 {
        self.word(Self::OVERFLOWED)
    }

    /// True if the worker said, as it died, that a task overflowed its stack.
    /// A worker can lie about this as about anything it sends; it only mislabels
    /// its own death.
    pub(crate) fn overflowed(&self) -> bool {
        // Relaxed: read after the worker is dead and reaped, as in `has_started`.
        self.word(Self::OVERFLOWED)
            .load(std::sync::atomic::Ordering::Relaxed)
            != 0
    }

    /// Records that the task `id` starts now.
    pub(crate) fn started(&self, id: u64) {
        // Relaxed: the pool reads it only after the worker is dead and reaped,
        // which orders everything the worker did before.
        self.word(Self::STARTED)
            .store(id.wrapping_add(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// True if the task `id` was the last one the worker started.
    pub(crate) fn has_started(&self, id: u64) -> bool {
        // Relaxed: see `started`.
        self.word(Self::STARTED)
            .load(std::sync::atomic::Ordering::Relaxed)
            == id.wrapping_add(1)
    }
}
