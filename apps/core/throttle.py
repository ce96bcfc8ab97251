"""Throttling of failures by key (an account, an address): a few are free, then each next try
waits twice as long as the one before (VOICEPORTAL_THROTTLE_FIRST_SECONDS, twice that… up to
VOICEPORTAL_THROTTLE_MAX_SECONDS), and a try that comes sooner is answered 429 with Retry-After.
Guessing passwords or keys gets slower with every miss; a user who mistypes twice notices
nothing.

Counts live in Django's cache: per process with the default local-memory cache, which is right
for the one web process of `make run`; several web processes need a shared cache (CACHES).
"""

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Limit:
    key: str
    free: int  # failures before any wait


def throttle_wait(limits: Iterable[Limit]) -> int:
    """Whole seconds to wait before the next try (0: go ahead)."""
    now = time.time()
    waits = [0.0]
    for limit in limits:
        failures, last = cache.get(_key(limit), (0, 0.0))
        if failures >= limit.free:
            waits.append(last + _delay(failures - limit.free) - now)
    return max(0, math.ceil(max(waits)))


def throttle_fail(limits: Iterable[Limit]) -> None:
    """Count one failure (or, for sign-up, one try) against each key."""
    window = settings.VOICEPORTAL_THROTTLE_WINDOW_SECONDS
    for limit in limits:
        failures, _ = cache.get(_key(limit), (0, 0.0))
        cache.set(_key(limit), (failures + 1, time.time()), timeout=window)


def throttle_clear(limits: Iterable[Limit]) -> None:
    cache.delete_many([_key(limit) for limit in limits])


def _delay(over: int) -> float:
    first = settings.VOICEPORTAL_THROTTLE_FIRST_SECONDS
    return min(first * 2.0**over, settings.VOICEPORTAL_THROTTLE_MAX_SECONDS)


def _key(limit: Limit) -> str:
    return f"throttle:{limit.key}"


def client_ip(request: HttpRequest) -> str:
    # The proxy's address behind a reverse proxy unless the server is told to trust its header
    # (daphne --proxy-headers): then all clients share one limit, which is safe, not open.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def too_many_tries(wait: int, *, text: str = "") -> HttpResponse:
    message = text or f"Too many failed tries. Try again in {wait} seconds."
    response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(wait)
    return response
