//! A worker that breaks its result ring, made by a real worker: each hostile
//! task maps its own beacon (the memfd named `concur-beacon` among its
//! descriptors, as any code in the worker could find it), writes into the
//! ring what an honest worker never would, and rings the doorbell on its
//! socket. In every case the parent lives, the hostile task fails with
//! `WorkerLost` (`LostCause::Misbehaved`, naming what was wrong), the other
//! tasks finish with their own values, and the pool serves afterwards.
//!
//! The layout is spelled out here as an outside program would see it (see
//! `src/ring.rs`): the head (bytes published) at byte 64, the data area from
//! byte 4096, 256 KiB long; a record is a little-endian u64 length, then the
//! frame, padded to 8 bytes. The beacon's first word holds the id (plus one)
//! of the task the worker runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use concur_core::{Error, Executor, Future, LostCause};
use concur_process::ProcessPool;

const LONG: Option<Duration> = Some(Duration::from_secs(60));
const CHUNK: usize = 64 * 1024;
const HEAD: usize = 8;
const DATA: usize = 512;
const CAPACITY: u64 = 256 * 1024;
const LEN: usize = 4096 + CAPACITY as usize;

fn square(x: u64) -> u64 {
    x * x
}

/// The beacon of this worker, mapped afresh (shared with the pool).
fn beacon() -> &'static [AtomicU64] {
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if !target.to_string_lossy().starts_with("/memfd:concur-beacon") {
            continue;
        }
        let fd: i32 = entry.file_name().to_string_lossy().parse().unwrap();
        // SAFETY: a fresh shared mapping of the beacon memfd (at least LEN
        // bytes: the pool sized it), page-aligned, never unmapped, accessed
        // only through atomics.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            return std::slice::from_raw_parts(p.cast::<AtomicU64>(), LEN / 8);
        }
    }
    panic!("no beacon among the worker's descriptors");
}

/// Writes a record of `len` (as announced) holding `frame` at the head, and
/// publishes `advance` bytes.
fn write_record(words: &[AtomicU64], len: u64, frame: &[u8], advance: u64) {
    let head = words[HEAD].load(Ordering::Relaxed);
    let slot = |i: u64| &words[DATA + ((head / 8 + i) % (CAPACITY / 8)) as usize];
    slot(0).store(len, Ordering::Relaxed);
    for (i, chunk) in frame.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        slot(1 + i as u64).store(u64::from_le_bytes(word), Ordering::Relaxed);
    }
    words[HEAD].store(head.wrapping_add(advance), Ordering::Release);
}

/// Rings the doorbell (bincode: `Results` = variant 6) on the worker's own
/// socket, with the transport's 17-byte header, then waits to be killed.
fn ring_and_wait() -> ! {
    let fd: i32 = std::env::var("CONCUR_PROCESS_FD").unwrap().parse().unwrap();
    let mut packet = 1u64.to_le_bytes().to_vec();
    packet.extend_from_slice(&0u64.to_le_bytes());
    packet.push(0);
    packet.push(6);
    assert!(packet.len() < CHUNK);
    // SAFETY: send on this process's socket, from a live buffer.
    let n = unsafe { libc::send(fd, packet.as_ptr().cast(), packet.len(), libc::MSG_NOSIGNAL) };
    assert_eq!(n, packet.len() as isize);
    loop {
        std::thread::park();
    }
}

/// A head published far past what the ring holds.
fn head_past_the_ring(_: ()) -> u64 {
    let words = beacon();
    let head = words[HEAD].load(Ordering::Relaxed);
    words[HEAD].store(head + (1 << 40), Ordering::Release);
    ring_and_wait()
}

/// A record announcing 2^40 bytes.
fn huge_record(_: ()) -> u64 {
    write_record(beacon(), 1 << 40, &[], 16);
    ring_and_wait()
}

/// A record longer than what was published.
fn record_past_the_head(_: ()) -> u64 {
    write_record(beacon(), 64, &[0; 8], 16);
    ring_and_wait()
}

/// A record of bytes that are no frame.
fn garbage_record(_: ()) -> u64 {
    write_record(beacon(), 8, &[0xff; 8], 16);
    ring_and_wait()
}

/// A well-formed record of a control message (`Ready`), not a result.
fn control_in_the_ring(_: ()) -> u64 {
    write_record(beacon(), 1, &[5], 16);
    ring_and_wait()
}

/// A well-formed result for the task after this one (submitted next, so not
/// given to this worker: it is queued or runs on the other worker), claiming
/// a value of 7. bincode: Done = variant 0, the id as a u32 varint (252),
/// Ok = 0, Body::Inline = 0, then the u64 7.
fn result_for_another_task(_: ()) -> u64 {
    let words = beacon();
    let mine = words[0].load(Ordering::Relaxed) - 1;
    let other = u32::try_from(mine + 1).unwrap();
    let mut frame = vec![0, 252];
    frame.extend_from_slice(&other.to_le_bytes());
    frame.extend_from_slice(&[0, 0, 7]);
    write_record(
        words,
        frame.len() as u64,
        &frame,
        8 + frame.len().div_ceil(8) as u64 * 8,
    );
    ring_and_wait()
}

/// Runs `hostile` beside 20 ordinary tasks (the first submitted right after
/// it) on a fresh 2-worker pool; the hostile task's error names what its
/// worker did (`said` is a fragment of it).
fn survive(said: &str, hostile: impl FnOnce(&ProcessPool) -> Future<u64>) {
    let pool = ProcessPool::builder().max_workers(2).build().unwrap();
    let bad = hostile(&pool);
    let good: Vec<Future<u64>> = (0..20).map(|i| pool.submit(square, i)).collect();
    match bad.result(LONG) {
        Err(Error::WorkerLost {
            cause: LostCause::Misbehaved { ref reason },
            attempts: 1,
            ..
        }) => assert!(reason.contains(said), "{reason:?} lacks {said:?}"),
        other => panic!("expected WorkerLost (misbehaved), got {other:?}"),
    }
    for (i, f) in good.into_iter().enumerate() {
        assert_eq!(
            f.result(LONG),
            Ok((i * i) as u64),
            "task {i} kept its own value"
        );
    }
    assert_eq!(
        pool.submit(square, 9).result(LONG),
        Ok(81),
        "the pool serves"
    );
    drop(pool); // shutdown returns
}

#[test]
fn a_head_past_the_ring() {
    survive("is not within the ring", |p| {
        p.submit(head_past_the_ring, ())
    });
}

#[test]
fn a_record_of_2_to_the_40_bytes() {
    survive("a record of 1099511627776 bytes", |p| {
        p.submit(huge_record, ())
    });
}

#[test]
fn a_record_longer_than_published() {
    survive("a record of 64 bytes in its result ring, where 16", |p| {
        p.submit(record_past_the_head, ())
    });
}

#[test]
fn a_garbage_record() {
    survive("an undecodable record", |p| p.submit(garbage_record, ()));
}

#[test]
fn a_control_message_in_the_ring() {
    survive("not a result", |p| p.submit(control_in_the_ring, ()));
}

#[test]
fn a_result_for_a_task_it_was_not_given() {
    survive("which it was not given", |p| {
        p.submit(result_for_another_task, ())
    });
}
