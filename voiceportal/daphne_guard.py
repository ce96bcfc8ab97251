"""Body limits inside Daphne (twisted.web), where the bytes arrive.

Daphne hands a request to the application only once its whole body sits in a temporary file, so
an ASGI middleware sees a 300 MB upload after it was taken in full. These hooks on Daphne's
request refuse by Content-Length as soon as the headers are in, count the bytes of a chunked
body, hold the connection's reading while an upload's credentials are checked, and answer 408
when a body stops arriving. The policy is body_limits'.
"""

import logging

from django.conf import settings

from voiceportal import body_limits

logger = logging.getLogger(__name__)

_STATUS = {413: b"413 Content Too Large", 408: b"408 Request Timeout"}
_TIMEOUT_TEXT = b"The request body stopped arriving.\n"
_SLOW_TEXT = b"The request body arrived too slowly.\n"


def install_daphne_guard() -> None:
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # another ASGI server: BodyLimitMiddleware does the work
        return
    if getattr(WebRequest, "voiceportal_guard", False):
        return
    got_length, chunk, received = (
        WebRequest.gotLength,
        WebRequest.handleContentChunk,
        WebRequest.requestReceived,
    )

    def guarded_got_length(self, length):
        self.vp_refused, self.vp_received = False, 0
        self.vp_timer = self.vp_deadline = None
        path = self.channel._path.split(b"?")[0].decode("latin-1")
        cookie, authorization = _header(self, b"cookie"), _header(self, b"authorization")
        upload = body_limits.is_upload_route(path) and body_limits.has_credentials(
            cookie, authorization
        )
        self.vp_cap = body_limits.upload_cap() if upload else body_limits.small_cap()
        if length is not None and length > self.vp_cap:
            # No "100 Continue" after the refusal (twisted sends it once this returns).
            self.requestHeaders.removeHeader(b"expect")
            return _refuse(self, 413, body_limits.too_large_body())
        got_length(self, length)
        _arm_idle_timer(self)
        _arm_deadline(self, upload)
        if upload and (length is None or length > body_limits.small_cap()):
            _check_signed_in(self, cookie, authorization)

    def guarded_chunk(self, data):
        if self.vp_refused:
            return
        self.vp_received += len(data)
        if self.vp_received > self.vp_cap:
            return _refuse(self, 413, body_limits.too_large_body())
        if self.vp_timer is not None and self.vp_timer.active():
            self.vp_timer.reset(settings.VOICEPORTAL_BODY_IDLE_SECONDS)
        chunk(self, data)

    def guarded_received(self, command, path, version):
        if getattr(self, "vp_refused", False):
            return
        _cancel_timer(self)
        received(self, command, path, version)

    WebRequest.gotLength = guarded_got_length
    WebRequest.handleContentChunk = guarded_chunk
    WebRequest.requestReceived = guarded_received
    WebRequest.voiceportal_guard = True


def _header(request, name: bytes) -> str:
    values = request.requestHeaders.getRawHeaders(name) or []
    return "; ".join(v.decode("latin-1") for v in values)


def _arm_idle_timer(request) -> None:
    from twisted.internet import reactor

    request.vp_timer = reactor.callLater(
        settings.VOICEPORTAL_BODY_IDLE_SECONDS, _refuse, request, 408, _TIMEOUT_TEXT
    )


def _arm_deadline(request, upload: bool) -> None:
    """A whole body in so many seconds, however it trickles: a client sending a byte now and
    then would hold the connection for good under the idle timer alone."""
    from twisted.internet import reactor

    seconds = (
        settings.VOICEPORTAL_UPLOAD_BODY_SECONDS if upload else settings.VOICEPORTAL_BODY_SECONDS
    )
    request.vp_deadline = reactor.callLater(seconds, _refuse, request, 408, _SLOW_TEXT)


def _cancel_timer(request) -> None:
    for name in ("vp_timer", "vp_deadline"):
        timer = getattr(request, name, None)
        if timer is not None and timer.active():
            timer.cancel()


def _check_signed_in(request, cookie: str, authorization: str) -> None:
    """Stop reading the connection until the session or key is known to be real."""
    from twisted.internet import threads

    transport = request.channel.transport
    transport.pauseProducing()

    def decided(signed_in: bool) -> None:
        if request.vp_refused:
            return
        if signed_in:
            transport.resumeProducing()
        else:
            _refuse(request, 413, body_limits.too_large_body())

    def failed(failure) -> None:
        logger.error("Checking an upload's credentials failed: %s", failure.getTraceback())
        decided(False)

    threads.deferToThread(body_limits.is_signed_in, cookie, authorization).addCallbacks(
        decided, failed
    )


def _refuse(request, status: int, text: bytes) -> None:
    """Answer at once and stop reading; the client gets the answer before the connection goes
    (closing with unread bytes would reset it and lose the answer)."""
    if request.vp_refused:
        return
    request.vp_refused = True
    _cancel_timer(request)
    transport = request.channel.transport
    transport.write(
        b"HTTP/1.1 " + _STATUS[status] + b"\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: " + str(len(text)).encode() + b"\r\nConnection: close\r\n\r\n" + text
    )
    transport.pauseProducing()
    transport.loseWriteConnection()
    from twisted.internet import reactor

    reactor.callLater(5, transport.abortConnection)
    logger.info(
        "Refused a request body with %s after reading %d bytes of it (%s)",
        status, request.vp_received, request.channel._path[:200].decode("latin-1"),
    )  # fmt: skip
