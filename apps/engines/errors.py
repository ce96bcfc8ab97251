"""The one error type every engine raises, and where it maps to HTTP and job state."""

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID_INPUT = "invalid_input"  # the request or the media itself is at fault
    AUTHENTICATION = "authentication"  # the provider rejected our key
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # outage, 5xx, connection refused
    TIMEOUT = "timeout"
    INTERNAL = "internal"  # a bug or an unexpected reply


# Whether trying again later can help, by kind.
_RETRYABLE = {
    ErrorKind.INVALID_INPUT: False,
    ErrorKind.AUTHENTICATION: False,
    ErrorKind.RATE_LIMITED: True,
    ErrorKind.UNAVAILABLE: True,
    ErrorKind.TIMEOUT: True,
    ErrorKind.INTERNAL: True,
}

# What the portal's own API answers when an engine fails this way.
_HTTP_STATUS = {
    ErrorKind.INVALID_INPUT: 400,
    ErrorKind.AUTHENTICATION: 502,  # our provider key is wrong: not the caller's fault
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.TIMEOUT: 504,
    ErrorKind.INTERNAL: 500,
}


class ProviderError(Exception):
    """An engine failed. `permanent` says whether a retry can help."""

    def __init__(self, message: str, *, kind: ErrorKind = ErrorKind.INTERNAL, permanent=None):
        super().__init__(message)
        self.message = message
        self.kind = ErrorKind(kind)
        self.permanent = (not _RETRYABLE[self.kind]) if permanent is None else permanent

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self.kind]

    def __str__(self) -> str:
        return self.message
