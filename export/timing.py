"""Latency of a call as the benchmarks report it: the median over repeats, after a warm-up; and
the read bandwidth that puts a floor under a memory-bound call."""
import time

import numpy as np


def interleaved_median_ms(fns: dict, repeats: int, rounds: int = 10, warmup: int = 20) -> dict[str, float]:
    """The median call of each function in ms, measured in turns (rounds of repeats/rounds calls
    each), so that a machine whose load changes over the run slows all of them alike."""
    times = {name: [] for name in fns}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(max(1, repeats // rounds)):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: 1000 * float(np.median(t)) for name, t in times.items()}


def median_ms(fn, repeats: int, warmup: int = 20) -> float:
    return interleaved_median_ms({"fn": fn}, repeats, rounds=1, warmup=warmup)["fn"]


def read_bandwidth_gbs(nbytes: int, repeats: int = 200) -> float:
    """One core's read bandwidth in GB/s: the max of an nbytes float32 buffer, a pass that only
    reads (SIMD compares, no writes), over a buffer as large as what a call reads, so it sits in
    the same cache level."""
    buffer = np.ones(nbytes // 4, np.float32)
    return nbytes / median_ms(buffer.max, repeats) / 1e6
