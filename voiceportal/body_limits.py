"""Request body limits enforced while the bytes arrive, before Django reads any of them.

Every route takes at most VOICEPORTAL_MAX_BODY_BYTES; the upload routes take up to
VOICEPORTAL_MAX_UPLOAD_BYTES, and only from a signed-in user (a session or an API key, checked
before the body is taken). A body that stops arriving for VOICEPORTAL_BODY_IDLE_SECONDS is
answered with 408.

Two layers share one policy: `install_daphne_guard()` for Daphne, which otherwise writes a whole
body to a temporary file before the application sees the request (a 300 MB POST was taken in
full before a 413), and `BodyLimitMiddleware` for ASGI servers that stream the body to the
application. Lives in voiceportal/ because it needs the session store and API keys of the
feature apps, which apps/core may not import.
"""

import re

from django.conf import settings

UPLOAD_ROUTES = re.compile(
    r"^/(transcripts/new/|voices/new/|voices/[0-9a-f-]+/samples/"
    r"|v1/audio/(transcriptions|translations))$"
)
# Form fields and multipart framing around the file itself.
_FORM_SLACK = 1024 * 1024


def is_upload_route(path: str) -> bool:
    return bool(UPLOAD_ROUTES.match(path))


def small_cap() -> int:
    return settings.VOICEPORTAL_MAX_BODY_BYTES


def upload_cap() -> int:
    return settings.VOICEPORTAL_MAX_UPLOAD_BYTES + _FORM_SLACK


def has_credentials(cookie: str, authorization: str) -> bool:
    """Cheap first look: without a session cookie or a bearer key nobody can be signed in."""
    return f"{settings.SESSION_COOKIE_NAME}=" in cookie or authorization.lower().startswith(
        "bearer "
    )


def is_signed_in(cookie: str, authorization: str) -> bool:
    """A real session of an active user, or a valid API key (blocking: run off the loop)."""
    from django.db import close_old_connections

    close_old_connections()
    try:
        return _session_user(cookie) or _key_user(authorization)
    finally:
        close_old_connections()


def _session_user(cookie: str) -> bool:
    from http.cookies import SimpleCookie

    from django.contrib.auth import SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    morsel = SimpleCookie(cookie).get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return False
    user_id = SessionStore(session_key=morsel.value).get(SESSION_KEY)
    return (
        user_id is not None and get_user_model().objects.filter(pk=user_id, is_active=True).exists()
    )


def _key_user(authorization: str) -> bool:
    from apps.api.services import api_key_authenticate

    scheme, _, raw = authorization.partition(" ")
    return scheme.lower() == "bearer" and api_key_authenticate(raw.strip()) is not None


def too_large_body() -> bytes:
    return (
        f"The request is too large: uploads are at most "
        f"{settings.VOICEPORTAL_MAX_UPLOAD_BYTES // (1024 * 1024)} MB and need a signed-in "
        "user; other requests are small.\n"
    ).encode()


class BodyLimitMiddleware:
    """The same limits for ASGI servers that stream the body to the application (Daphne's
    are enforced earlier, by daphne_guard): refuse by Content-Length before reading, count the
    bytes as they come, and answer 408 when they stop."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cap = await self._cap(scope["path"], headers)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            return await _answer(send, 413, too_large_body())
        refused: list[int] = []
        counted = _counting_receive(receive, cap, refused)
        await self.app(scope, counted, send)
        if refused:  # Django saw a disconnect and answered nothing
            text = too_large_body() if refused[0] == 413 else b"The request body stopped.\n"
            await _answer(send, refused[0], text)

    async def _cap(self, path: str, headers: dict) -> int:
        from asgiref.sync import sync_to_async

        cookie, authorization = headers.get("cookie", ""), headers.get("authorization", "")
        if not (is_upload_route(path) and has_credentials(cookie, authorization)):
            return small_cap()
        signed_in = await sync_to_async(is_signed_in, thread_sensitive=False)(cookie, authorization)
        return upload_cap() if signed_in else small_cap()


def _counting_receive(receive, cap: int, refused: list[int]):
    import asyncio

    received, body_done = 0, False

    async def counted():
        nonlocal received, body_done
        if refused:
            return {"type": "http.disconnect"}
        if body_done:  # Django listens for the disconnect while it answers: no timeout then
            return await receive()
        try:
            message = await asyncio.wait_for(receive(), settings.VOICEPORTAL_BODY_IDLE_SECONDS)
        except TimeoutError:
            refused.append(408)
            return {"type": "http.disconnect"}
        body_done = not message.get("more_body", False)
        received += len(message.get("body", b""))
        if received > cap:
            refused.append(413)
            return {"type": "http.disconnect"}
        return message

    return counted


async def _answer(send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": text})
