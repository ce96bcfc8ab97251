"""An upload handler that stops an upload as soon as it passes the size limit."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class UploadTooLarge(Exception):
    pass


class LimitedSizeUploadHandler(FileUploadHandler):
    """Counts file bytes as they stream in and aborts past VOICEPORTAL_MAX_UPLOAD_BYTES.

    Sits before the temporary-file handler; it stores nothing itself. The request is marked
    so views can answer with a clear error (413) instead of a missing file.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = settings.VOICEPORTAL_MAX_UPLOAD_BYTES
        self.received = 0
        self.request.upload_too_large = False
        # When the whole body is already known to be too big, refuse at the first chunk.
        self.refuse = bool(content_length and content_length > self.limit + 1024 * 1024)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.refuse or self.received > self.limit:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
