from functools import wraps

from asgiref.sync import sync_to_async

from .errors import ApiError, error_response
from .services import api_key_authenticate


def api_key_required(view):
    """Authenticate `Authorization: Bearer <key>` for an async view; errors become OpenAI JSON."""

    @wraps(view)
    async def wrapper(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, raw_key = header.partition(" ")
        user = None
        if scheme.lower() == "bearer":
            user = await sync_to_async(api_key_authenticate)(raw_key.strip())
        if user is None:
            return error_response(
                ApiError(
                    401,
                    "Incorrect API key provided. Create one on your account settings page.",
                    code="invalid_api_key",
                )
            )
        request.api_user = user
        try:
            return await view(request, *args, **kwargs)
        except ApiError as exc:
            return error_response(exc)

    return wrapper
