"""Rate limits for sign-in, password reset and public forms: in memory, or Redis for replicas."""

from __future__ import annotations

import threading
import time
from functools import wraps
from typing import Callable

from flask import abort, current_app, request


class MemoryBackend:
    """Fixed windows in this process: right for the embedded demo and a single worker."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def incr(self, key: str, window: int) -> int:
        with self._lock:
            if len(self._counts) > 100_000:  # old windows are never read again
                self._counts.clear()
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisBackend:
    """Fixed windows in Redis, shared by every replica."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2)

    def incr(self, key: str, window: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr(key)
        pipe.expire(key, window + 1)
        count, _ = pipe.execute()
        return int(count)

    def reset(self) -> None:
        for key in self.client.scan_iter("samverka:rl:*"):
            self.client.delete(key)

    def close(self) -> None:
        self.client.close()


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self.backend = RedisBackend(redis_url) if redis_url else MemoryBackend()

    def hit(self, name: str, subject: str, limit: int, window: int, now: float | None = None) -> int | None:
        """Count one attempt; None while within ``limit`` per ``window`` seconds, else the
        seconds until the window ends."""
        now = time.time() if now is None else now
        bucket = int(now) // window
        count = self.backend.incr(f"samverka:rl:{name}:{subject}:{bucket}", window)
        if count <= limit:
            return None
        return window - int(now) % window

    def reset(self) -> None:
        self.backend.reset()


def limited(name: str, limit: int, window: int = 60, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Refuse with 429 (and Retry-After) when one client address passes ``limit`` per ``window``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in methods:
                limiter: RateLimiter = current_app.extensions["samverka"].limiter
                retry_after = limiter.hit(name, request.remote_addr or "unknown", limit, window)
                if retry_after is not None:
                    abort(429, description=f"retry after {retry_after} seconds")
            return view(*args, **kwargs)

        return wrapper

    return decorate
