# The ProcessPoolExecutor example of Python's concurrent.futures docs, as the
# article on threading, multiprocessing and concurrent.futures drawn from
# Corey Schafer's videos shows it. The port is ../is_prime.rs.
import math
import concurrent.futures

NUMBERS = [
    112272535095293,
    112582705942171,
    112272535095293,
    115280095190773,
    115797848077099,
    1099726899285419,
]


def isPrime(n):
    if n < 2:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    sqrt_n = int(math.floor(math.sqrt(n)))
    for i in range(3, sqrt_n + 1, 2):
        if n % i == 0:
            return False
    return True


if __name__ == "__main__":
    with concurrent.futures.ProcessPoolExecutor() as executor:
        for num, is_prime in zip(NUMBERS, executor.map(isPrime, NUMBERS, chunksize=4)):
            print(f"{num} is prime: {is_prime}")
