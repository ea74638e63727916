//! A worker that breaks the protocol, made by a real worker: each hostile task
//! writes raw packets on its worker's own socket (the descriptor named in its
//! environment) or rewires it. In every case the parent lives, the hostile
//! task fails with `WorkerLost`, its cause naming what the worker did
//! (`LostCause::Misbehaved`), the other tasks finish, and shutdown returns.

use std::os::fd::RawFd;
use std::time::Duration;

use concur_core::{Error, Executor, Future, LostCause};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));
const CHUNK: usize = 64 * 1024;

fn square(x: u64) -> u64 {
    x * x
}

fn own_socket() -> RawFd {
    std::env::var("CONCUR_PROCESS_FD").unwrap().parse().unwrap()
}

fn header(total: u64, region: u64, flags: u8) -> Vec<u8> {
    let mut h = total.to_le_bytes().to_vec();
    h.extend_from_slice(&region.to_le_bytes());
    h.push(flags);
    h
}

fn send_raw(bytes: &[u8], fds: &[RawFd]) {
    let fd = own_socket();
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    let mut cmsg = [0u64; 8];
    // SAFETY: an all-zero msghdr is a valid empty one; it points at live
    // buffers for the duration of sendmsg; the control buffer (64 bytes) holds
    // CMSG_SPACE of up to 8 descriptors.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            let len = std::mem::size_of_val(fds) as u32;
            msg.msg_control = cmsg.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(len) as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(len) as _;
            std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(c).cast(), fds.len());
        }
        assert!(libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) >= 0);
    }
}

fn forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// A header announcing 2^40 bytes, one whole chunk, then silence.
fn huge_length_prefix(_: ()) -> u64 {
    let mut packet = header(1 << 40, 0, 0);
    packet.resize(CHUNK, 0);
    send_raw(&packet, &[]);
    forever()
}

/// A first packet shorter than a header.
fn truncated_frame(_: ()) -> u64 {
    send_raw(&[1, 2, 3, 4, 5], &[]);
    forever()
}

/// A message whose bytes are not a frame at all.
fn garbage_frame(_: ()) -> u64 {
    let mut packet = header(8, 0, 0);
    packet.extend_from_slice(&[0xff; 8]);
    send_raw(&packet, &[]);
    forever()
}

/// A region announced, a pipe attached.
fn pipe_for_a_region(_: ()) -> u64 {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into the array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    send_raw(&header(0, 4096, 1), &fds[..1]);
    forever()
}

/// Three descriptors where none was announced.
fn stray_descriptors(_: ()) -> u64 {
    send_raw(&header(0, 0, 0), &[0, 1, 2]);
    forever()
}

/// An unsealed region (one the worker could shrink under the parent), with a
/// `Done` frame of the right shape for the running task.
fn shrinking_region(id: u64) -> u64 {
    // SAFETY: memfd_create with a literal name; ftruncate on the new descriptor.
    let fd = unsafe {
        let fd = libc::memfd_create(c"hostile".as_ptr(), libc::MFD_CLOEXEC);
        assert!(fd >= 0);
        assert_eq!(libc::ftruncate(fd, 1 << 20), 0);
        fd
    };
    // bincode: Done = variant 0, id, Ok = 0, Body::Shared = 1.
    let frame = [0, id as u8, 0, 1];
    let mut packet = header(frame.len() as u64, 1 << 20, 1);
    packet.extend_from_slice(&frame);
    send_raw(&packet, &[fd]);
    // SAFETY: ftruncate on our descriptor: the shrink the seal check prevents.
    unsafe { libc::ftruncate(fd, 0) };
    forever()
}

/// Says it retires (bincode: Retire = variant 3, rss 0), keeps running.
fn retires_and_stays(_: ()) -> u64 {
    let mut packet = header(2, 0, 0);
    packet.extend_from_slice(&[3, 0]);
    send_raw(&packet, &[]);
    forever()
}

/// Claims its initializer failed, long after it said it was ready (bincode:
/// InitFailed = variant 2, `Error::Cancelled` = variant 0): a worker cannot
/// break the pool that way.
fn late_init_failure(_: ()) -> u64 {
    let mut packet = header(2, 0, 0);
    packet.extend_from_slice(&[2, 0]);
    send_raw(&packet, &[]);
    forever()
}

/// Leaves the worker alive with its socket held open but unread: the reader
/// now listens on a socket nobody writes to (deaf), the original is kept by a
/// duplicate that nothing reads.
fn deafen(_: ()) -> u64 {
    let fd = own_socket();
    let mut pair = [0; 2];
    // SAFETY: dup, socketpair and dup2 on descriptors of this process; the
    // worker's socket stays open through `keep`.
    unsafe {
        let keep = libc::dup(fd);
        assert!(keep >= 0);
        assert_eq!(
            libc::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET, 0, pair.as_mut_ptr()),
            0
        );
        assert!(libc::dup2(pair[0], fd) >= 0);
    }
    forever()
}

/// Runs `hostile` beside 20 ordinary tasks on a 2-worker pool; the hostile
/// task's error names what its worker did (`said` is a fragment of it).
fn survive(said: &str, hostile: impl FnOnce(&ProcessPool) -> Future<u64>) {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let bad = hostile(&pool);
    let good: Vec<Future<u64>> = (0..20).map(|i| pool.submit(square, i)).collect();
    match bad.result(LONG) {
        Err(
            ref e @ Error::WorkerLost {
                cause: LostCause::Misbehaved { ref reason },
                attempts: 1,
                ..
            },
        ) => {
            assert!(reason.contains(said), "{reason:?} lacks {said:?}");
            assert!(e.to_string().contains("killed by the pool"), "{e}");
        }
        other => panic!("expected WorkerLost (misbehaved), got {other:?}"),
    }
    for (i, f) in good.into_iter().enumerate() {
        assert_eq!(f.result(LONG), Ok((i * i) as u64));
    }
    assert_eq!(
        pool.submit(square, 9).result(LONG),
        Ok(81),
        "the pool serves"
    );
    drop(pool); // shutdown returns
}

#[test]
fn a_huge_length_prefix() {
    survive("of 1099511627776", |p| p.submit(huge_length_prefix, ()));
}

#[test]
fn a_truncated_frame() {
    survive("a first packet of 5 bytes", |p| {
        p.submit(truncated_frame, ())
    });
}

#[test]
fn a_garbage_frame() {
    survive("an undecodable frame", |p| p.submit(garbage_frame, ()));
}

#[test]
fn a_pipe_for_a_region() {
    survive("not a shared-memory file", |p| {
        p.submit(pipe_for_a_region, ())
    });
}

#[test]
fn stray_descriptors_on_a_message() {
    survive("3 descriptors where 0", |p| p.submit(stray_descriptors, ()));
}

#[test]
fn a_region_that_could_shrink() {
    // The first task of a fresh pool has id 0.
    survive("not sealed", |p| p.submit(shrinking_region, 0));
}

#[test]
fn a_retiring_worker_that_keeps_running() {
    survive("told to exit or said it would", |p| {
        p.submit(retires_and_stays, ())
    });
}

#[test]
fn an_initializer_failure_after_ready() {
    survive("initializer failure after Ready", |p| {
        p.submit(late_init_failure, ())
    });
}

#[test]
fn a_deaf_worker() {
    survive("reader is deaf", |p| p.submit(deafen, ()));
}
