"""Files people upload to a portal stop being read past PORTAL_UPLOAD_MAX_BYTES: the rest of
the file is skipped (neither kept in memory nor written to a temporary file) and the request is
marked, so the view answers "too big" instead of parsing anything. Support's uploads in the
admin (documents, letters) are not limited here."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitUploadHandler(FileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        if (self.request is not None and not self.request.path.startswith("/admin/")
                and start + len(raw_data) > settings.PORTAL_UPLOAD_MAX_BYTES):
            self.request.upload_too_big = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_too_big(request) -> bool:
    return bool(getattr(request, "upload_too_big", False))
