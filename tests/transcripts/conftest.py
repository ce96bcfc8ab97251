from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.transcripts import services
from apps.transcripts.options import options_validate


@pytest.fixture
def make_transcript(corpus):
    """A stored transcript of `name` for `owner`, queued with the given options (not run)."""

    def make(owner, name="jfk.flac", *, path: Path | None = None, django_capture=None, **options):
        data = (path or corpus / name).read_bytes()
        upload = SimpleUploadedFile((path or corpus / name).name, data)
        opts = options_validate(**({"engine": "fake", "model": "fake"} | options))
        return services.transcript_create(owner=owner, upload=upload, options=opts)

    return make
