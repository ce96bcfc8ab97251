"""Serving stored files with HTTP Range support, so players can seek without downloading
everything. Files are read from their storage in chunks, whatever the storage is."""

import mimetypes
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

from .storage import Stored

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def ranged_file_response(
    request: HttpRequest,
    file: Stored,
    *,
    content_type: str | Callable[[Stored], str] = "",
    download_name: str = "",
) -> HttpResponse:
    """The stored file (404 when its storage has none), whole or the asked-for range; or, with
    VOICEPORTAL_MEDIA_REDIRECT, a redirect to the storage's own URL for it (a signed one that
    expires, for a private S3 bucket), so players fetch ranges from the store itself. The
    caller has checked that the user may have the file."""
    if settings.VOICEPORTAL_MEDIA_REDIRECT:
        if not file.name or not file.storage.exists(file.name):
            raise Http404("The file is missing.")
        return HttpResponseRedirect(file.storage.url(file.name))
    try:
        size = file.storage.size(file.name) if file.name else None
    except (FileNotFoundError, OSError):
        size = None
    if size is None:
        raise Http404("The file is missing.")
    name = PurePosixPath(file.name).name
    if callable(content_type):  # found only when the portal serves the file (it may probe it)
        content_type = content_type(file)
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match[1] and not match[2]):
        response = StreamingHttpResponse(_read(file, 0, size - 1), content_type=content_type)
    else:
        start, end = _bounds(match, size)
        if start is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        response = StreamingHttpResponse(
            _read(file, start, end), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        size = end - start + 1
    response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    return _named(response, download_name)


def _bounds(match, size: int) -> tuple[int | None, int]:
    first, last = match[1], match[2]
    if not first:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None, 0
    return start, end


def _read(file: Stored, start: int, end: int):
    with file.storage.open(file.name, "rb") as f:
        if start:
            f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            data = f.read(min(_CHUNK, remaining))
            if not data:
                return
            remaining -= len(data)
            yield data


def _named(response: HttpResponse, download_name: str) -> HttpResponse:
    # Whatever the middleware says: a browser must never guess a stored file's type.
    response["X-Content-Type-Options"] = "nosniff"
    if download_name:
        response["Content-Disposition"] = content_disposition_header(False, download_name)
    return response
