//! The link between a pool and one worker: a `SOCK_SEQPACKET` socket pair that
//! the pool creates and the worker inherits, carrying messages of bytes and at
//! most one shared-memory [`Region`] each.
//!
//! # Why not a named socket
//!
//! The worker is handed its end of the pair across `exec` (the only descriptor
//! it inherits on purpose; everything else the pool opens is close-on-exec).
//! The pair has no name in the file system or the abstract namespace, so no
//! other process can connect to it whatever it reads from `/proc`: there is no
//! rendezvous to race, no secret to steal and nothing left in the temporary
//! directory if the pool is killed. Only a process that can take a descriptor
//! out of another one (`ptrace`, `pidfd_getfd`: the power to ptrace the pool or
//! its worker) could reach it, and that process could as well write into the
//! pool's memory. The first message, the worker's hello, is received with
//! `SO_PASSCRED`, so the kernel's word on the sender's pid is checked against
//! the child that was spawned.
//!
//! # Framing, and why the receiver trusts nothing
//!
//! A message is one packet with a 17-byte header — total length (u64 LE),
//! region length (u64 LE), flags (1: a sealed region's descriptor is
//! attached; 2: a plain descriptor, which only a worker accepts, from its pool) —
//! and the first bytes of the message, then as many continuation packets as the
//! rest needs, each at most [`CHUNK`] bytes. The receiver never allocates
//! beyond twice what has arrived (a header announcing 2^40 bytes costs nothing
//! until the bytes come), refuses a packet larger than a chunk, a descriptor it
//! did not expect, more than one descriptor, truncated control data and a
//! region that is not sealed (see [`crate::shm`]); each refusal is a
//! [`RecvError::Protocol`], which the pool treats as the worker being lost.
//! Senders hold a lock for a whole message, so messages never interleave.

use std::borrow::Cow;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;
use std::time::Duration;

use crate::shm::Region;

/// The largest packet: 64 KiB of message bytes (below the default socket
/// buffer of ~208 KiB, so a packet always fits).
pub(crate) const CHUNK: usize = 64 * 1024;

const HEADER: usize = 17;

/// Header flag: the descriptor attached is a sealed [`Region`].
const FLAG_REGION: u8 = 1;
/// Header flag: the descriptor attached is a plain one (accepted only by an
/// inbox made with [`Inbox::accepting_plain_fds`]).
const FLAG_PLAIN_FD: u8 = 2;

/// One received message. A message of one packet (every task and every
/// result below [`CHUNK`] bytes) is read in place from the inbox's scratch
/// buffer, which it borrows: no allocation and no copy per message. A longer
/// one is assembled in a buffer of its own.
#[derive(Debug)]
pub(crate) struct Message<'a> {
    /// The message's bytes (a frame: see `codec.rs`).
    pub(crate) bytes: Cow<'a, [u8]>,
    /// The shared-memory region sent with it, checked and sealed.
    pub(crate) region: Option<Region>,
    /// A plain descriptor sent with it (only to an inbox that accepts them).
    pub(crate) fd: Option<OwnedFd>,
    /// The sender's pid as the kernel reports it, when credentials are passed.
    pub(crate) sender_pid: Option<i32>,
}

/// Why a receive failed.
#[derive(Debug)]
pub(crate) enum RecvError {
    /// The peer closed its end (it exited or died).
    Closed,
    /// The socket failed (or the receive timed out).
    Io(io::Error),
    /// The peer broke the framing.
    Protocol(String),
}

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecvError::Closed => f.write_str("the channel closed"),
            RecvError::Io(e) => write!(f, "{e}"),
            RecvError::Protocol(m) => write!(f, "broken framing: {m}"),
        }
    }
}

/// One end of a pool–worker socket pair.
#[derive(Debug)]
pub(crate) struct Channel {
    fd: OwnedFd,
    /// Held for a whole message, so that messages of several threads never
    /// interleave.
    send_lock: Mutex<()>,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `None` (or zero) is no timeout; anything else is at least a microsecond.
fn timeval(t: Option<Duration>) -> libc::timeval {
    let t = t.unwrap_or_default();
    let micros = if t.is_zero() {
        0
    } else {
        t.subsec_micros().max(1)
    };
    libc::timeval {
        tv_sec: libc::time_t::try_from(t.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_usec: libc::suseconds_t::from(micros as i32),
    }
}

impl Channel {
    /// A connected pair, both ends close-on-exec.
    pub(crate) fn pair() -> io::Result<(Channel, Channel)> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: socketpair writes two descriptors into the array it is given.
        check(unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        })?;
        // SAFETY: both descriptors were just created and are owned by nobody else.
        let (a, b) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok((Channel::from_fd(a), Channel::from_fd(b)))
    }

    /// Wraps an end (the worker's, inherited).
    pub(crate) fn from_fd(fd: OwnedFd) -> Channel {
        Channel {
            fd,
            send_lock: Mutex::new(()),
        }
    }

    /// The raw descriptor (to hand it to a child).
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn set_opt<T>(&self, level: i32, name: i32, value: &T) -> io::Result<()> {
        // SAFETY: setsockopt reads `size_of::<T>()` bytes from `value`.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (value as *const T).cast(),
                size_of::<T>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// Attaches the sender's credentials (checked by the kernel) to every
    /// message received from now on.
    pub(crate) fn pass_credentials(&self, on: bool) -> io::Result<()> {
        self.set_opt(libc::SOL_SOCKET, libc::SO_PASSCRED, &libc::c_int::from(on))
    }

    /// A receive that waits longer than `t` fails with `WouldBlock`.
    pub(crate) fn set_recv_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_opt(libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeval(t))
    }

    /// A send that waits longer than `t` for room fails with `WouldBlock`.
    pub(crate) fn set_send_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.set_opt(libc::SOL_SOCKET, libc::SO_SNDTIMEO, &timeval(t))
    }

    /// Sends one message: `bytes`, and `region`'s descriptor with it.
    ///
    /// # Errors
    ///
    /// The socket's error (`EPIPE` once the peer is gone, `WouldBlock` past the
    /// send timeout). A failed send may leave a partial message: the caller
    /// must give up on the channel.
    pub(crate) fn send(&self, bytes: &[u8], region: Option<&Region>) -> io::Result<()> {
        let fd = region.map(|r| (r.fd().as_raw_fd(), r.len() as u64, FLAG_REGION));
        self.send_raw(bytes, fd)
    }

    /// Sends one message with a plain descriptor (the pool's beacon, to a
    /// worker: a pool's inbox refuses plain descriptors).
    ///
    /// # Errors
    ///
    /// As [`Channel::send`].
    pub(crate) fn send_fd(&self, bytes: &[u8], fd: &OwnedFd) -> io::Result<()> {
        self.send_raw(bytes, Some((fd.as_raw_fd(), 0, FLAG_PLAIN_FD)))
    }

    fn send_raw(&self, bytes: &[u8], fd: Option<(RawFd, u64, u8)>) -> io::Result<()> {
        let _guard = crate::sync::lock(&self.send_lock);
        let mut header = [0u8; HEADER];
        header[..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
        header[8..16].copy_from_slice(&fd.map_or(0, |(_, len, _)| len).to_le_bytes());
        header[16] = fd.map_or(0, |(_, _, flag)| flag);
        let first = bytes.len().min(CHUNK - HEADER);
        let mut iov = [
            libc::iovec {
                iov_base: header.as_mut_ptr().cast(),
                iov_len: HEADER,
            },
            libc::iovec {
                iov_base: bytes.as_ptr().cast_mut().cast(),
                iov_len: first,
            },
        ];
        // Room for one descriptor.
        let mut cmsg = [0u64; 4];
        // SAFETY: an all-zero msghdr is a valid empty one.
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = 2;
        if let Some((raw, _, _)) = fd {
            // SAFETY: CMSG_SPACE is arithmetic.
            let space = unsafe { libc::CMSG_SPACE(size_of::<RawFd>() as u32) } as usize;
            msg.msg_control = cmsg.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            // SAFETY: the control buffer is 32 bytes, at least CMSG_SPACE(4) = 24,
            // and aligned for cmsghdr (u64); CMSG_FIRSTHDR points into it.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
                libc::CMSG_DATA(c).cast::<RawFd>().write_unaligned(raw);
            }
        }
        loop {
            // SAFETY: `msg` points at live buffers (header, bytes, control) for
            // the duration of the call; MSG_NOSIGNAL turns a closed peer into
            // EPIPE instead of SIGPIPE.
            let n = unsafe { libc::sendmsg(self.fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
            if n >= 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        for chunk in bytes[first..].chunks(CHUNK) {
            loop {
                // SAFETY: `chunk` is a live slice for the duration of the call.
                let n = unsafe {
                    libc::send(
                        self.fd.as_raw_fd(),
                        chunk.as_ptr().cast(),
                        chunk.len(),
                        libc::MSG_NOSIGNAL,
                    )
                };
                if n >= 0 {
                    break;
                }
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// The receiving side of a [`Channel`], with its scratch buffer.
#[derive(Debug)]
pub(crate) struct Inbox {
    scratch: Box<[u8]>,
    plain_fds: bool,
}

impl Default for Inbox {
    /// An inbox that accepts sealed regions only (the pool's).
    fn default() -> Self {
        Inbox {
            scratch: vec![0; CHUNK].into_boxed_slice(),
            plain_fds: false,
        }
    }
}

/// What one `recvmsg` returned.
struct Packet {
    len: usize,
    fds: Vec<OwnedFd>,
    pid: Option<i32>,
}

impl Inbox {
    /// An inbox that also accepts a plain descriptor (a worker's: it trusts its pool).
    pub(crate) fn accepting_plain_fds() -> Self {
        Inbox {
            plain_fds: true,
            ..Inbox::default()
        }
    }

    fn recv_packet(&mut self, chan: &Channel) -> Result<Packet, RecvError> {
        let mut iov = libc::iovec {
            iov_base: self.scratch.as_mut_ptr().cast(),
            iov_len: self.scratch.len(),
        };
        // Room for a few descriptors and credentials (more descriptors than
        // fit set MSG_CTRUNC, and the kernel closes the excess).
        let mut cmsg = [0u64; 16];
        // SAFETY: an all-zero msghdr is a valid empty one.
        let mut msg: libc::msghdr = unsafe { zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cmsg.as_mut_ptr().cast();
        msg.msg_controllen = size_of::<[u64; 16]>() as _;
        let n = loop {
            // SAFETY: `msg` points at the live scratch and control buffers, whose
            // sizes it states.
            let n = unsafe { libc::recvmsg(chan.fd.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            // A peer that closed with data of ours unread makes the next receive
            // report ECONNRESET once, before the packets it sent: keep reading
            // them (then the end of the channel).
            if !matches!(e.raw_os_error(), Some(libc::EINTR | libc::ECONNRESET)) {
                return Err(RecvError::Io(e));
            }
        };
        let mut fds = Vec::new();
        let mut pid = None;
        // SAFETY: the kernel filled `msg_controllen` bytes of the control buffer
        // with well-formed cmsg headers; CMSG_FIRSTHDR/NXTHDR stay inside it,
        // and SCM_RIGHTS data holds descriptors now owned by this process.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                let data = libc::CMSG_DATA(c);
                let payload = (*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                match ((*c).cmsg_level, (*c).cmsg_type) {
                    (libc::SOL_SOCKET, libc::SCM_RIGHTS) => {
                        for i in 0..payload / size_of::<RawFd>() {
                            let fd = data.cast::<RawFd>().add(i).read_unaligned();
                            fds.push(OwnedFd::from_raw_fd(fd));
                        }
                    }
                    (libc::SOL_SOCKET, libc::SCM_CREDENTIALS)
                        if payload >= size_of::<libc::ucred>() =>
                    {
                        pid = Some(data.cast::<libc::ucred>().read_unaligned().pid);
                    }
                    _ => {}
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        if msg.msg_flags & libc::MSG_CTRUNC != 0 {
            return Err(RecvError::Protocol("too many descriptors".into()));
        }
        if msg.msg_flags & libc::MSG_TRUNC != 0 {
            return Err(RecvError::Protocol(format!(
                "a packet larger than {CHUNK} bytes"
            )));
        }
        if n == 0 && fds.is_empty() {
            return Err(RecvError::Closed);
        }
        Ok(Packet { len: n, fds, pid })
    }

    /// Receives one whole message.
    ///
    /// # Errors
    ///
    /// [`RecvError::Closed`] when the peer is gone, [`RecvError::Protocol`]
    /// when it broke the framing (see the module docs), [`RecvError::Io`].
    pub(crate) fn recv(&mut self, chan: &Channel) -> Result<Message<'_>, RecvError> {
        let first = self.recv_packet(chan)?;
        if first.len < HEADER {
            return Err(RecvError::Protocol(format!(
                "a first packet of {} bytes",
                first.len
            )));
        }
        let word = |at: usize| u64::from_le_bytes(self.scratch[at..at + 8].try_into().expect("8"));
        let (total, region_len, flags) = (word(0), word(8), self.scratch[16]);
        let data = first.len - HEADER;
        let total = usize::try_from(total)
            .map_err(|_| RecvError::Protocol(format!("a message of {total} bytes")))?;
        if data > total || (data < total && data != CHUNK - HEADER) || flags > FLAG_PLAIN_FD {
            return Err(RecvError::Protocol(format!(
                "a header announcing {total} bytes (flags {flags}) on a packet of {data}"
            )));
        }
        let mut fds = first.fds;
        let mut fd = None;
        let region = match (flags, fds.len()) {
            (0, 0) => None,
            (FLAG_REGION, 1) => Some(
                Region::from_peer(fds.pop().expect("one"), region_len)
                    .map_err(RecvError::Protocol)?,
            ),
            (FLAG_PLAIN_FD, 1) if self.plain_fds => {
                fd = fds.pop();
                None
            }
            (_, n) => {
                return Err(RecvError::Protocol(format!(
                    "{n} descriptors where {flags} was announced"
                )));
            }
        };
        if data == total {
            return Ok(Message {
                bytes: Cow::Borrowed(&self.scratch[HEADER..first.len]),
                region,
                fd,
                sender_pid: first.pid,
            });
        }
        let mut bytes = self.scratch[HEADER..first.len].to_vec();
        while bytes.len() < total {
            // Never more than twice what has arrived.
            let want = (total - bytes.len()).min(bytes.len().max(CHUNK));
            bytes.reserve_exact(want);
            let p = self.recv_packet(chan)?;
            if !p.fds.is_empty() {
                return Err(RecvError::Protocol(
                    "a descriptor on a continuation packet".into(),
                ));
            }
            // Every continuation but the last is a whole chunk: a packet of
            // another message cannot pass for the rest of this one.
            let last = bytes.len() + p.len == total;
            if p.len == 0 || bytes.len() + p.len > total || (!last && p.len != CHUNK) {
                return Err(RecvError::Protocol(format!(
                    "a continuation of {} bytes past {} of {total}",
                    p.len,
                    bytes.len()
                )));
            }
            bytes.extend_from_slice(&self.scratch[..p.len]);
        }
        Ok(Message {
            bytes: Cow::Owned(bytes),
            region,
            fd,
            sender_pid: first.pid,
        })
    }
}
