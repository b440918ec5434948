"""Counting requests in fixed windows on the shared cache (Redis in production), for the
quick-link rate limit and the password-reset limit."""

import math
import time

from django.core.cache import cache


def count_in_window(key: str, *, seconds: int) -> tuple[int, int]:
    """Counts one more request under `key` in the window its first request opened; returns the
    count so far and the seconds left in that window."""
    now = time.time()
    if cache.add(key, 0, timeout=seconds):
        cache.set(f"{key}:start", now, timeout=seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr: this request opens the next
        count = 1
    return count, max(1, math.ceil(cache.get(f"{key}:start", now) + seconds - now))
