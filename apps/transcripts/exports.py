"""A transcript document as a download in one of EXPORT_FORMATS (the page's export links, and
the apps built on transcripts that export a document of their own, like a redacted copy)."""

import json

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header

from . import formats
from .docx import to_docx


def export_response(document: formats.TranscriptDocument, fmt: str, *, name: str) -> HttpResponse:
    """The document as an attachment `name`.<extension>; 404 for an unknown format."""
    if fmt not in formats.EXPORT_FORMATS:
        raise Http404("Unknown export format")
    extension, content_type = formats.EXPORT_FORMATS[fmt]
    if fmt == "txt":
        body = formats.to_dialogue(document)
    elif fmt == "json":
        body = json.dumps(formats.to_export_json(document), ensure_ascii=False, indent=2)
    elif fmt == "docx":
        body = to_docx(document)
    else:
        body = formats.render(document, fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{extension}")
    return response
