from functools import wraps

from asgiref.sync import sync_to_async

from apps.core.throttle import Limit, client_ip, throttle_fail, throttle_wait

from .errors import ApiError, elevenlabs_error_response, error_response
from .services import api_key_use

# Wrong keys an address may send before each next try waits (doubling).
KEY_FREE_FAILURES = 10


def _key_required(render_error):
    """Authenticate the per-user key for an async view, sent as `Authorization: Bearer <key>`
    (OpenAI's SDK) or `xi-api-key: <key>` (ElevenLabs'); errors are rendered by
    `render_error(ApiError)` in the shape the client's SDK reads."""

    def decorator(view):
        @wraps(view)
        async def wrapper(request, *args, **kwargs):
            limits = [Limit(f"apikey:ip:{client_ip(request)}", KEY_FREE_FAILURES)]
            if wait := await sync_to_async(throttle_wait)(limits):
                return _too_many(wait, render_error)
            raw_key = _raw_key(request)
            key = await sync_to_async(api_key_use)(raw_key) if raw_key else None
            if key is None:
                await sync_to_async(throttle_fail)(limits)
                return render_error(
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
                return render_error(exc)

        return wrapper

    return decorator


def _raw_key(request) -> str:
    scheme, _, raw_key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw_key.strip():
        return raw_key.strip()
    return request.headers.get("xi-api-key", "").strip()


api_key_required = _key_required(error_response)
# ElevenLabs-compatible endpoints answer in ElevenLabs' error shape.
elevenlabs_key_required = _key_required(elevenlabs_error_response)


def _too_many(wait: int, render_error):
    response = render_error(
        ApiError(
            429,
            f"Too many requests with a wrong API key; retry in {wait} seconds.",
            code="rate_limit_exceeded",
        )  # fmt: skip
    )
    response["Retry-After"] = str(wait)
    return response
