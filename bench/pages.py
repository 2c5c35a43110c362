"""What the page benchmarks share: request timings that take turns, and the machine's load."""

import os
import statistics
import time

WARM_UP = 3


def median_ms(cases: list, runs: int) -> dict[str, float]:
    """Each case's (label, client, url, params) median time in ms over ``runs`` requests after
    WARM_UP. The cases take turns, one request each a round, so that a change in the machine's
    load falls on all of them alike."""
    times = {label: [] for label, *_ in cases}
    for i in range(WARM_UP + runs):
        for label, client, url, params in cases:
            start = time.perf_counter()
            response = client.get(url, params)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, (url, params, response.status_code)
            if i >= WARM_UP:
                times[label].append(elapsed * 1000)
    return {label: statistics.median(values) for label, values in times.items()}


def load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def python_speed() -> str:
    """How fast this machine runs Python right now (a shared machine's speed varies by the
    hour): the time of ten million additions in a loop, to read page times against."""
    start, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return f"ten million Python additions in {time.perf_counter() - start:.2f} s"
