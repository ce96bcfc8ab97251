"""What every cloud engine shares: default timeouts and retries, and turning an SDK's exceptions
into `ProviderError`, so a failure at OpenAI, AssemblyAI or ElevenLabs means the same thing to
jobs and to the portal's API.

Add one `<sdk>_error(exc)` classifier per SDK here. SDKs that raise a single exception carrying
an HTTP status (the httpx-based ones) can lean on `kind_for_status`.
"""

from .errors import ErrorKind, ProviderError

# An hour of audio can take minutes to upload and transcribe; fail only when truly stuck.
DEFAULT_TIMEOUT = 600.0
# The SDKs honour retry-after on 429 and retry 5xx; a couple of tries rides out a blip, and the
# job queue retries beyond that.
DEFAULT_MAX_RETRIES = 2


def openai_client(*, api_key: str, base_url: str | None, timeout: float, max_retries: int):
    """The one place OpenAI (and OpenAI-compatible) clients are built. Built lazily by each
    backend and then reused: the client keeps a connection pool."""
    import openai  # only backends that talk to OpenAI need the SDK imported

    return openai.OpenAI(
        api_key=api_key, base_url=base_url or None, timeout=timeout, max_retries=max_retries
    )


_KIND_BY_STATUS = {
    400: ErrorKind.INVALID_INPUT,
    401: ErrorKind.AUTHENTICATION,
    403: ErrorKind.AUTHENTICATION,  # the key is valid but not allowed this model or feature
    404: ErrorKind.INVALID_INPUT,  # unknown model or resource: the request names it
    408: ErrorKind.TIMEOUT,
    409: ErrorKind.UNAVAILABLE,  # a provider-side lock; trying again later works
    413: ErrorKind.INVALID_INPUT,
    415: ErrorKind.INVALID_INPUT,
    422: ErrorKind.INVALID_INPUT,
    429: ErrorKind.RATE_LIMITED,
}


def kind_for_status(status: int) -> ErrorKind:
    """The kind of failure an HTTP status from a provider means."""
    if status >= 500:
        return ErrorKind.UNAVAILABLE
    if status in _KIND_BY_STATUS:
        return _KIND_BY_STATUS[status]
    # Any other 4xx: the provider says our request is wrong, so repeating it will not help.
    return ErrorKind.INVALID_INPUT if 400 <= status < 500 else ErrorKind.INTERNAL


def openai_error(exc: Exception) -> ProviderError:
    """A `ProviderError` for an exception raised by the `openai` SDK."""
    import openai  # here, so the portal runs without the SDK when no OpenAI engine is set up

    # APITimeoutError is a subclass of APIConnectionError, so it is checked first.
    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("OpenAI did not answer in time.", kind=ErrorKind.TIMEOUT)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"Could not reach OpenAI: {exc.message}", kind=ErrorKind.UNAVAILABLE)
    if isinstance(exc, openai.APIStatusError):
        return ProviderError(
            f"OpenAI: {_openai_message(exc)}", kind=kind_for_status(exc.status_code)
        )
    return ProviderError(f"OpenAI: {exc}", kind=ErrorKind.INTERNAL)


def _openai_message(exc) -> str:
    # The SDK keeps the body's "error" object; its message is what the provider meant us to read.
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message else exc.message


def assemblyai_error(exc: Exception) -> ProviderError:
    """A `ProviderError` for an exception raised by the `assemblyai` SDK. The SDK lets httpx's
    transport errors through, and pydantic's or json's ValueError for a reply it cannot read."""
    import assemblyai as aai  # here, so the portal runs without the SDK when no engine uses it
    import httpx

    # httpx's TimeoutException is a TransportError, so it is checked first.
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError("AssemblyAI did not answer in time.", kind=ErrorKind.TIMEOUT)
    if isinstance(exc, httpx.TransportError):
        return ProviderError(f"Could not reach AssemblyAI: {exc}", kind=ErrorKind.UNAVAILABLE)
    if isinstance(exc, aai.AssemblyAIError) and exc.status_code:
        # The SDK's message names the step and ends with the API's own "error" text.
        return ProviderError(f"AssemblyAI: {exc}", kind=kind_for_status(exc.status_code))
    return ProviderError(f"AssemblyAI: {exc}", kind=ErrorKind.INTERNAL)


# A failed AssemblyAI transcript carries only a message, no code, so these phrases are all there
# is to tell a file it cannot use (a retry fails the same way) from a failure on its side.
_ASSEMBLYAI_AUDIO_PROBLEMS = (
    "audio duration is too short",
    "does not appear to contain audio",
    "no spoken audio",
    "transcoding failed",
)


def assemblyai_transcript_error(message: str) -> ProviderError:
    """A `ProviderError` for an AssemblyAI transcript that ended with status "error"."""
    lowered = message.lower()
    if any(phrase in lowered for phrase in _ASSEMBLYAI_AUDIO_PROBLEMS):
        return ProviderError(
            f"AssemblyAI could not transcribe this file: {message}", kind=ErrorKind.INVALID_INPUT
        )
    return ProviderError(
        f"AssemblyAI failed to transcribe: {message or 'no reason given'}",
        kind=ErrorKind.UNAVAILABLE,
    )


def elevenlabs_error(exc: Exception) -> ProviderError:
    """A `ProviderError` for an exception raised by the `elevenlabs` SDK. The SDK raises its
    `ApiError` (status and parsed body) for any non-2xx reply and lets httpx's transport errors
    through, also while an audio stream is being read."""
    import httpx
    from elevenlabs.core import ApiError  # here, so the portal runs without the SDK

    # httpx's TimeoutException is a TransportError, so it is checked first.
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError("ElevenLabs did not answer in time.", kind=ErrorKind.TIMEOUT)
    if isinstance(exc, httpx.TransportError):
        return ProviderError(f"Could not reach ElevenLabs: {exc}", kind=ErrorKind.UNAVAILABLE)
    if isinstance(exc, ApiError) and exc.status_code:
        code, message = _elevenlabs_detail(exc.body)
        message = f"ElevenLabs: {message or f'HTTP {exc.status_code}'}"
        if code == "quota_exceeded":
            # Sent as a 401, yet the key is fine: the account is out of credits until it is
            # topped up or renewed, so the job queue should not keep trying.
            return ProviderError(message, kind=ErrorKind.RATE_LIMITED, permanent=True)
        return ProviderError(message, kind=kind_for_status(exc.status_code))
    return ProviderError(f"ElevenLabs: {exc}", kind=ErrorKind.INTERNAL)


def _elevenlabs_detail(body) -> tuple[str, str]:
    """The machine-readable status and the message of an ElevenLabs error body: usually
    {"detail": {"status", "message"}}, a list of FastAPI errors for a 422, or a bare string."""
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, dict):
        return str(detail.get("status") or ""), str(detail.get("message") or "")
    if isinstance(detail, list):
        messages = [str(d.get("msg", "")) for d in detail if isinstance(d, dict)]
        return "", "; ".join(m for m in messages if m)
    return "", detail if isinstance(detail, str) else ""
