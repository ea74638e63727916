//! The task bodies of `xtask/bench/WORKLOADS.md`, shared by every suite (plain
//! `fn`s: the process pools send them to their workers as function pointers).

/// W1's and W6's task: the identity.
pub(crate) fn ident(x: u64) -> u64 {
    x
}

/// W2's task.
pub(crate) fn square(x: u64) -> u64 {
    x * x
}

/// The squares of `lo..hi`: W2 as one task per chunk, as a user chunking by hand
/// writes it.
pub(crate) fn squares(range: (u64, u64)) -> Vec<u64> {
    (range.0..range.1).map(square).collect()
}

/// Sum of x*x for x in 0..n, to check W2's result.
pub(crate) fn sum_of_squares(n: u64) -> u128 {
    let n = u128::from(n);
    n.saturating_sub(1) * n * (2 * n).saturating_sub(1) / 6
}

/// W3's task: primes up to `limit` by naive trial division.
pub(crate) fn count_primes(limit: u64) -> u64 {
    let mut count = 0;
    for i in 2..=limit {
        let mut prime = true;
        for j in 2..i {
            if i % j == 0 {
                prime = false;
                break;
            }
        }
        count += u64::from(prime);
    }
    count
}

/// W4's task, as the Python docs example.
pub(crate) fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n == 2 {
        return true;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let sqrt_n = (n as f64).sqrt().floor() as u64;
    (3..=sqrt_n).step_by(2).all(|i| !n.is_multiple_of(i))
}

/// W4's input, from the Python docs.
pub(crate) const PRIMES: [u64; 6] = [
    112_272_535_095_293,
    112_582_705_942_171,
    112_272_535_095_293,
    115_280_095_190_773,
    115_797_848_077_099,
    1_099_726_899_285_419,
];

/// W4's expected output.
pub(crate) const PRIMES_EXPECTED: [bool; 6] = [true, true, true, true, true, false];

/// W7's crash in a worker process.
pub(crate) fn abort(_: u64) -> u64 {
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_bodies_compute_what_the_workloads_check() {
        assert_eq!(count_primes(1), 0);
        assert_eq!(count_primes(2), 1);
        assert_eq!(count_primes(100), 25);
        assert_eq!(sum_of_squares(0), 0);
        assert_eq!(sum_of_squares(4), 14);
        assert_eq!(
            squares((2, 5)).iter().map(|&x| u128::from(x)).sum::<u128>(),
            sum_of_squares(5) - sum_of_squares(2)
        );
        assert!(is_prime(2) && is_prime(97) && !is_prime(1) && !is_prime(91));
        assert_eq!(PRIMES.map(is_prime), PRIMES_EXPECTED);
    }
}
