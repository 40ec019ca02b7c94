"""An upload handler that stops storing a request's file as soon as it passes a size limit."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class CappedUploadHandler(FileUploadHandler):
    """Put first in ``request.upload_handlers``: counts the bytes of the request's files as they arrive
    and, past ``limit`` in all or at file number ``max_files + 1`` (the panel sends one, a ticket message
    a few), stops the upload (the rest of the body is read and dropped, never written to disk) and marks
    the request (``upload_too_large``) so the view can say why the files are missing."""

    def __init__(self, request, *, limit: int, max_files: int = 1) -> None:
        super().__init__(request)
        self.limit = limit
        self.max_files = max_files
        self.received = 0
        self.files = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.files += 1
        if self.files > self.max_files:
            self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._stop()
        return raw_data

    def _stop(self) -> None:
        setattr(self.request, "upload_too_large", True)  # noqa: B010  # read back by the view
        raise StopUpload(connection_reset=False)

    def file_complete(self, file_size: int) -> None:
        return None
