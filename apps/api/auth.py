from functools import wraps

from asgiref.sync import sync_to_async

from apps.core.throttle import Limit, client_ip, throttle_fail, throttle_wait

from .errors import ApiError, error_response
from .services import api_key_use

# Wrong keys an address may send before each next try waits (doubling).
KEY_FREE_FAILURES = 10


def api_key_required(view):
    """Authenticate `Authorization: Bearer <key>` for an async view; errors become OpenAI JSON."""

    @wraps(view)
    async def wrapper(request, *args, **kwargs):
        limits = [Limit(f"apikey:ip:{client_ip(request)}", KEY_FREE_FAILURES)]
        if wait := await sync_to_async(throttle_wait)(limits):
            return _too_many(wait)
        header = request.headers.get("Authorization", "")
        scheme, _, raw_key = header.partition(" ")
        key = None
        if scheme.lower() == "bearer":
            key = await sync_to_async(api_key_use)(raw_key.strip())
        if key is None:
            await sync_to_async(throttle_fail)(limits)
            return error_response(
                ApiError(
                    401,
                    "Incorrect API key provided. Create one on your account settings page.",
                    code="invalid_api_key",
                )
            )
        request.api_user, request.api_key = key.owner, key
        try:
            return await view(request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc)

    return wrapper


def _too_many(wait: int):
    response = error_response(
        ApiError(
            429,
            f"Too many requests with a wrong API key; retry in {wait} seconds.",
            code="rate_limit_exceeded",
        )  # fmt: skip
    )
    response["Retry-After"] = str(wait)
    return response
