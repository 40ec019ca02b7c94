"""Timing shared by the benchmarks: the median of several runs after a warm-up."""

import statistics
import time

WARM_UP_RUNS = 3


def median_ms(operation, *, runs: int) -> float:
    """Milliseconds ``operation()`` takes, the median of ``runs`` timed runs after ``WARM_UP_RUNS``."""
    for _ in range(WARM_UP_RUNS):
        operation()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        operation()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)
