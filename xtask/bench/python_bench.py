#!/usr/bin/env python3
"""The Python anchor of `cargo xtask bench`: W1-W3 on concurrent.futures.ThreadPoolExecutor,
W1 and W5 on asyncio, W1-W4, W6, W7 on ProcessPoolExecutor (W1, W2 also on multiprocessing.Pool).

Prints one JSON object per line, in the harness's format:
{"workload":"W1","impl":"python-threadpool","n":..,"seconds":..,"per_sec":..,"extra":{..}}
`seconds` is the median of --reps repetitions; min and max are in `extra`.

Notes (also in each record's `extra`):
- W2: ThreadPoolExecutor.map ignores `chunksize` (only ProcessPoolExecutor uses it) and
  creates one future per item, so n is 1/100 of the Rust runs to finish in seconds.
- W3: the limit is 12 000 (xtask/bench/WORKLOADS.md), not 30 000: pure-Python trial
  division is slow. Like the Rust runs, W3 keeps its size under --quick, runs one task per
  worker (--workers, default 2), and its implementations run round-robin.
- --workers N sizes the pools of W1, W2, W4 (default: the cores).
- The implementations of W1, W2 and W3 run round-robin (rep 1 of each, then rep 2 of
  each, ...), every pool set up first, as in the Rust harness.
"""

import argparse
import asyncio
import concurrent.futures as cf
import contextlib
import json
import os
import statistics
import sys
import time

# Pool size of W1, W2, W4 and tasks of W3: set from --workers in main().
WORKERS = os.cpu_count() or 2
W3_TASKS = 2
W3_LIMIT = 12_000
W3_NOTE = "Python limit 12 000 (xtask/bench/WORKLOADS.md), full size under --quick"


def ident(x):
    return x


def square(x):
    return x * x


def count_primes(limit):
    count = 0
    for i in range(2, limit + 1):
        prime = True
        for j in range(2, i):
            if i % j == 0:
                prime = False
                break
        count += prime
    return count


def sample(reps, once):
    """Runs `once` (which returns seconds) `reps` times: median, min, max."""
    times = sorted(once() for _ in range(reps))
    return statistics.median(times), times[0], times[-1]


def round_robin(workload, reps, benches):
    """Runs rep 1 of every bench, then rep 2 of every bench, ...; one record each.

    A bench is (impl, n, once, extra): `once` returns the seconds of one rep.
    """
    times = [[] for _ in benches]
    for _ in range(reps):
        for (_, _, once, _), ts in zip(benches, times):
            ts.append(once())
    for (impl, n, _, extra), ts in zip(benches, times):
        ts.sort()
        record(workload, impl, n, (statistics.median(ts), ts[0], ts[-1]), reps, **extra)


def submit_once(pool, n):
    """W1's rep on a concurrent.futures pool: n submits, then every result in order."""
    def once():
        start = time.perf_counter()
        futures = [pool.submit(ident, i) for i in range(n)]
        for i, f in enumerate(futures):
            assert f.result() == i
        return time.perf_counter() - start
    return once


def record(workload, impl, n, stats, reps, **extra):
    median, lo, hi = stats
    extra = {"min_seconds": lo, "max_seconds": hi, "reps": reps, **extra}
    print(json.dumps({
        "workload": workload,
        "impl": impl,
        "n": n,
        "seconds": median,
        "per_sec": n / median if median > 0 else 0.0,
        "extra": extra,
    }), flush=True)


def w1(n_threads, n_processes, reps):
    """W1: every pool set up and warmed, then round-robin."""
    import multiprocessing as mp
    workers = WORKERS
    with contextlib.ExitStack() as stack:
        threads = stack.enter_context(cf.ThreadPoolExecutor(max_workers=workers))
        processes = stack.enter_context(cf.ProcessPoolExecutor(max_workers=workers))
        mp_pool = stack.enter_context(mp.Pool(workers))
        loop = asyncio.new_event_loop()
        stack.callback(loop.close)

        async def asyncio_rep():
            start = time.perf_counter()
            tasks = [asyncio.ensure_future(ident_async(i)) for i in range(n_threads)]
            for i, t in enumerate(tasks):
                assert await t == i
            return time.perf_counter() - start

        def mp_rep():
            start = time.perf_counter()
            results = [mp_pool.apply_async(ident, (i,)) for i in range(n_processes)]
            for i, r in enumerate(results):
                assert r.get() == i
            return time.perf_counter() - start

        # Warm-up: 10 tasks each (the whole asyncio rep: it has no pool to start).
        for pool in (threads, processes):
            for f in [pool.submit(ident, i) for i in range(10)]:
                f.result()
        for r in [mp_pool.apply_async(ident, (i,)) for i in range(10)]:
            r.get()
        loop.run_until_complete(asyncio_rep())

        round_robin("W1", reps, [
            ("python-threadpool", n_threads, submit_once(threads, n_threads),
             {"workers": workers}),
            ("python-asyncio", n_threads, lambda: loop.run_until_complete(asyncio_rep()),
             {"threads": 1}),
            ("python-processpool", n_processes, submit_once(processes, n_processes),
             {"workers": workers}),
            ("python-mp-pool", n_processes, mp_rep, {"workers": workers}),
        ])


def w2(n_threads, n_processes, reps):
    """W2: the sum of squares by map(chunksize=1000) on each pool, round-robin."""
    import multiprocessing as mp
    workers = WORKERS
    expected_threads = sum(x * x for x in range(n_threads))
    expected_processes = sum(x * x for x in range(n_processes))
    with contextlib.ExitStack() as stack:
        threads = stack.enter_context(cf.ThreadPoolExecutor(max_workers=workers))
        processes = stack.enter_context(cf.ProcessPoolExecutor(max_workers=workers))
        mp_pool = stack.enter_context(mp.Pool(workers))

        def rep(map_fn, n, expected):
            def once():
                start = time.perf_counter()
                assert sum(map_fn(square, range(n), chunksize=1000)) == expected
                return time.perf_counter() - start
            return once

        round_robin("W2", reps, [
            ("python-threadpool", n_threads, rep(threads.map, n_threads, expected_threads),
             {"chunksize": 1000, "workers": workers,
              "note": "chunksize ignored by ThreadPoolExecutor; n is 1/100 of Rust's"}),
            ("python-processpool", n_processes,
             rep(processes.map, n_processes, expected_processes),
             {"chunksize": 1000, "workers": workers}),
            ("python-mp-pool", n_processes, rep(mp_pool.imap, n_processes, expected_processes),
             {"chunksize": 1000, "workers": workers}),
        ])


def w3(limit, reps):
    """W3: W3_TASKS calls in a row, on a thread pool, on a process pool; round-robin."""
    expected = count_primes(limit)
    tasks = W3_TASKS

    def check(counts):
        assert len(counts) == tasks and all(c == expected for c in counts), counts

    def serial():
        start = time.perf_counter()
        check([count_primes(limit) for _ in range(tasks)])
        return time.perf_counter() - start

    def on(executor):
        start = time.perf_counter()
        with executor(max_workers=tasks) as pool:
            futures = [pool.submit(count_primes, limit) for _ in range(tasks)]
            check([f.result() for f in futures])
        return time.perf_counter() - start

    times = {"serial": [], "threads": [], "processes": []}
    for _ in range(reps):
        times["serial"].append(serial())
        times["threads"].append(on(cf.ThreadPoolExecutor))
        times["processes"].append(on(cf.ProcessPoolExecutor))

    def stats(ts):
        ts = sorted(ts)
        return statistics.median(ts), ts[0], ts[-1]

    s = stats(times["serial"])
    t = stats(times["threads"])
    p = stats(times["processes"])
    record("W3", "python-serial", limit, s, reps, primes=expected, tasks=tasks, note=W3_NOTE)
    record("W3", "python-threadpool", limit, t, reps, speedup=round(s[0] / t[0], 2),
           tasks=tasks, note=W3_NOTE)
    record("W3", "python-processpool", limit, p, reps, speedup=round(s[0] / p[0], 2),
           tasks=tasks, note=W3_NOTE)


async def ident_async(x):
    return x


async def sleeper(x, seconds):
    await asyncio.sleep(seconds)
    return x


def w5_asyncio(n, reps):
    """W5 for asyncio: n tasks each awaiting a 10 ms timer; efficiency = 0.01 s / measured."""
    ideal = 0.01

    async def once():
        start = time.perf_counter()
        tasks = [asyncio.ensure_future(sleeper(i, ideal)) for i in range(n)]
        for i, t in enumerate(tasks):
            assert await t == i
        return time.perf_counter() - start

    async def run():
        return sorted([await once() for _ in range(reps)])

    times = asyncio.run(run())
    median = statistics.median(times)
    record("W5", "python-asyncio", n, (median, times[0], times[-1]), reps,
           threads=1, ideal_seconds=ideal, efficiency=round(ideal / median, 2))


# --- Process pools: ProcessPoolExecutor and multiprocessing.Pool, beside concur-process.

def is_prime(n):
    """The Python docs' ProcessPoolExecutor example."""
    if n < 2:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    sqrt_n = int(n ** 0.5)
    for i in range(3, sqrt_n + 1, 2):
        if n % i == 0:
            return False
    return True


PRIMES = [112272535095293, 112582705942171, 112272535095293, 115280095190773,
          115797848077099, 1099726899285419]


def w4_process(reps):
    def once():
        start = time.perf_counter()
        with cf.ProcessPoolExecutor(max_workers=WORKERS) as pool:
            got = list(pool.map(is_prime, PRIMES, chunksize=4))
        assert got == [True, True, True, True, True, False]
        return time.perf_counter() - start

    record("W4", "python-processpool", len(PRIMES), sample(reps, once), reps, chunksize=4,
           workers=WORKERS)


def w6_process(reps):
    def once():
        start = time.perf_counter()
        with cf.ProcessPoolExecutor(max_workers=2) as pool:
            assert pool.submit(ident, 7).result() == 7
        return time.perf_counter() - start

    reps = max(reps, 10)
    record("W6", "python-processpool", 1, sample(reps, once), reps, workers=2)


def w7_process():
    start = time.perf_counter()
    pool = cf.ProcessPoolExecutor(max_workers=2)
    crash = pool.submit(os.abort)
    others = []
    for i in range(10):
        # The pool may already be broken by the crash: submit itself raises.
        try:
            others.append(pool.submit(square, i))
        except Exception:  # noqa: BLE001 - reporting what Python does
            others.append(None)
    try:
        crash.result(timeout=60)
        crashed = "no error"
    except Exception as e:  # noqa: BLE001 - reporting what Python does
        crashed = type(e).__name__
    ok = 0
    for f in others:
        if f is None:
            continue
        try:
            f.result(timeout=60)
            ok += 1
        except Exception:  # noqa: BLE001
            pass
    try:
        after = pool.submit(square, 12).result(timeout=60) == 144
    except Exception:  # noqa: BLE001
        after = False
    pool.shutdown(wait=True)
    seconds = time.perf_counter() - start
    record("W7", "python-processpool", 11, (seconds, seconds, seconds), 1,
           crashed_task=crashed, others_ok=ok, accepts_work_after=after)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="divide n by 10 (W3 keeps its size)")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W3")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per figure")
    parser.add_argument("--workers", type=int, default=0,
                        help="pool size of W1, W2, W4 and tasks of W3 (default: cores; W3: 2)")
    args = parser.parse_args()
    global WORKERS, W3_TASKS
    if args.workers > 0:
        WORKERS = args.workers
        W3_TASKS = args.workers
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    scale = 10 if args.quick else 1

    def wants(w):
        return not only or w in only

    if wants("W1"):
        w1(100_000 // scale, 20_000 // scale, args.reps)
    if wants("W2"):
        w2(100_000 // scale, 1_000_000 // scale, args.reps)
    if wants("W5"):
        w5_asyncio(1000 // scale, args.reps)
    if wants("W3"):
        w3(W3_LIMIT, args.reps)
    if wants("W4"):
        w4_process(args.reps)
    if wants("W6"):
        w6_process(args.reps)
    if wants("W7"):
        w7_process()


if __name__ == "__main__":
    sys.exit(main())
