"""Uploaded files stop being read past a limit: the rest is skipped (neither kept in memory nor
written to a temporary file) and the request is marked, so the view answers "too big" instead of
parsing anything.

- A portal (mutations, salary declaration): each file up to PORTAL_UPLOAD_MAX_BYTES.
- Support's admin (documents one by one or a batch of PDFs or ZIP archives): all files of one
  request together up to ADMIN_UPLOAD_MAX_BYTES; a request announcing more is skipped whole.
  The admin refuses such an upload entirely (policies/admin.py reads `request.upload_too_big`:
  the domain apps do not import this module); each PDF's own limit is checked there.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.request_total = 0
        self.skip_all = False

    def _admin(self) -> bool:
        return self.request is not None and self.request.path.startswith("/admin/")

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if self._admin() and content_length > settings.ADMIN_UPLOAD_MAX_BYTES + 64 * 1024:
            self.skip_all = True
        return None

    def receive_data_chunk(self, raw_data, start):
        if self.request is None:
            return raw_data
        if self._admin():
            self.request_total += len(raw_data)
            too_big = self.skip_all or self.request_total > settings.ADMIN_UPLOAD_MAX_BYTES
        else:
            too_big = start + len(raw_data) > settings.PORTAL_UPLOAD_MAX_BYTES
        if too_big:
            self.request.upload_too_big = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_too_big(request) -> bool:
    return bool(getattr(request, "upload_too_big", False))
