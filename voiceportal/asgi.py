import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voiceportal.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from voiceportal.body_limits import BodyLimitMiddleware  # noqa: E402
from voiceportal.daphne_guard import install_daphne_guard  # noqa: E402


def _abort_responses_that_fail_midway() -> None:
    """Make daphne drop the connection when the application raises after the response started
    (a stream whose source failed), so the client sees an incomplete chunked body instead of a
    response that never ends.

    daphne 4.2 answers any exception from the application with a 500 page. Once the headers
    are out it cannot, and raises instead: the client waits forever, and the exception stops
    daphne's periodic check that reaps finished applications for every later request too. An
    ASGI application has no message that aborts a response, hence this fix at the source.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # another ASGI server
        return
    if getattr(WebRequest.handle_exception, "aborts_started_responses", False):
        return
    answer_500 = WebRequest.handle_exception

    def handle_exception(self, exception):
        if self._response_started:
            self.loseConnection()  # sends what is buffered, then closes: no last chunk
        else:
            answer_500(self, exception)

    handle_exception.aborts_started_responses = True
    WebRequest.handle_exception = handle_exception


_abort_responses_that_fail_midway()
install_daphne_guard()

from apps.api.routing import websocket_urlpatterns as api_sockets  # noqa: E402
from apps.conversation.routing import websocket_urlpatterns as conversation_sockets  # noqa: E402
from apps.jobs.routing import websocket_urlpatterns as job_sockets  # noqa: E402
from apps.live.routing import websocket_urlpatterns as live_sockets  # noqa: E402

browser_sockets = live_sockets + conversation_sockets + job_sockets


class _SocketsByPath:
    """API sockets (/v1/…) check a Bearer key in their consumer; every other socket is a
    browser's, whose Origin and session are checked here."""

    def __init__(self, api, browser):
        self.api, self.browser = api, browser

    async def __call__(self, scope, receive, send):
        app = self.api if scope["path"].startswith("/v1/") else self.browser
        return await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(django_asgi_app),
        "websocket": _SocketsByPath(
            URLRouter(api_sockets),
            AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(browser_sockets))),
        ),
    }
)
