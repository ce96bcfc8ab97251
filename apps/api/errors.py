"""Errors in OpenAI's JSON shape (and ElevenLabs', for its endpoints), so each official SDK
raises the matching exception."""

from django.http import JsonResponse

from apps.engines.errors import ErrorKind, ProviderError

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry: bool | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        # Whether the SDK should try again by itself (None: as the status says).
        self.retry = status in (429, 503, 504) if retry is None else retry

    @classmethod
    def from_provider(cls, exc: ProviderError) -> "ApiError":
        return cls(exc.http_status, exc.message, code=exc.kind.value)

    @classmethod
    def from_job(cls, message: str, kind: str) -> "ApiError":
        return cls.from_provider(ProviderError(message, kind=ErrorKind(kind or "internal")))


def error_response(error: ApiError) -> JsonResponse:
    body = {
        "error": {
            "message": error.message,
            "type": _TYPES.get(error.status, "server_error"),
            "param": error.param,
            "code": error.code,
        }
    }
    response = JsonResponse(body, status=error.status)
    # The SDK retries 429 and 5xx by default; the portal's own errors will not pass by waiting.
    response["x-should-retry"] = "true" if error.retry else "false"
    return response


def elevenlabs_error_response(error: ApiError) -> JsonResponse:
    """ElevenLabs' shape: FastAPI's list for a 422 (a field is wrong), else
    {"detail": {"status": code, "message": message}}."""
    if error.status == 422:
        loc = ["body", error.param] if error.param else ["body"]
        detail = [{"loc": loc, "msg": error.message, "type": "value_error"}]
    else:
        detail = {"status": error.code or "error", "message": error.message}
    return JsonResponse({"detail": detail}, status=error.status)
