"""Small helpers that read settings from the environment and fail loudly on bad values."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, not {value!r}")
    return value


def env_database(name: str, *, pool_size: int) -> dict | None:
    """A DATABASES entry from a URL such as postgres://user:pass@host:5432/name, or
    postgres://user@/name?host=/run/postgresql for a Unix socket; None when unset. Other
    query parameters (sslmode=require…) go to psycopg as they are."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    raw = os.environ.get(name, "")
    if not raw:
        return None
    url = urlsplit(raw)
    if url.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"{name} must be a postgres:// URL, not {url.scheme}://")
    options = dict(parse_qsl(url.query))
    host = options.pop("host", "") or unquote(url.hostname or "")
    database = unquote(url.path.lstrip("/"))
    if not database:
        raise ImproperlyConfigured(f"{name} must name a database (postgres://…/NAME)")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": host,
        "PORT": str(url.port or ""),
        # psycopg 3's pool: each process keeps up to pool_size connections open and shares
        # them between its threads (web requests, a worker's heartbeat and reaper).
        "OPTIONS": {**options, "pool": {"min_size": 1, "max_size": pool_size, "timeout": 30}},
    }


def redis_channel_layer(url: str) -> dict:
    """The CHANNEL_LAYERS entry for Redis at `url`.

    channels-redis waits for messages with 5-second blocking pops, and redis-py 8 gives every
    read a 5-second socket timeout by default: an idle listener (a page's socket, a live
    worker) would fail with a timeout at the first quiet moment. Reads may take longer than
    the pops, not as long as forever (a dead Redis is still noticed)."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": 30}]},
    }


def env_json_object(name: str) -> dict:
    """A JSON object ({"key": value, …}); {} when unset."""
    import json

    raw = os.environ.get(name, "")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, not {raw!r}")
    return value
