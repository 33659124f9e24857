"""Django's disk upload handler, made safe for any file name a post can carry."""

from __future__ import annotations

import os
from typing import Any

from django.core.files import uploadhandler

# Room left for the suffix of the temporary file ("/tmp/tmpXXXXXXXX.upload" + extension)
# under the 255 bytes a file name may take on Linux, with a margin.
TEMPORARY_SUFFIX_MAX = 32


class TemporaryFileUploadHandler(uploadhandler.TemporaryFileUploadHandler):
    """Spools to disk like Django's, whatever the length of the sent name's extension.

    Django names its temporary file with the sent extension, uncut: "p.jjj…" with a few
    hundred j's (the part's headers may take up to 1 KiB) makes the operating system refuse
    the name, an OSError and a 500, but only for posts over FILE_UPLOAD_MAX_MEMORY_SIZE (the
    memory handler takes small ones). Photos are recognised by decoding, never by extension,
    so the temporary file gets a short one; the upload keeps the sent name, cut to 255
    characters by Django as for small posts.
    """

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        stem, extension = os.path.splitext(file_name)
        super().new_file(field_name, stem + extension[:TEMPORARY_SUFFIX_MAX], *args, **kwargs)
        self.file.name = file_name
