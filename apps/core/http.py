"""Serving files with HTTP Range support, so players can seek without downloading everything."""

import mimetypes
import re
from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def ranged_file_response(
    request: HttpRequest, path: Path, *, content_type: str = "", download_name: str = ""
) -> HttpResponse:
    size = path.stat().st_size
    content_type = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not match or (not match[1] and not match[2]):
        # FileResponse closes the file when the response is done.
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115
        response["Accept-Ranges"] = "bytes"
        return _named(response, download_name)
    start, end = _bounds(match, size)
    if start is None:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    response = StreamingHttpResponse(_read(path, start, end), status=206, content_type=content_type)
    response["Content-Length"] = str(end - start + 1)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
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


def _read(path: Path, start: int, end: int):
    with open(path, "rb") as f:
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
