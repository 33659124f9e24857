"""Logging filters, wired in settings.LOGGING."""

from __future__ import annotations

import logging
import re
from typing import Any


class RedactQueryParameter(logging.Filter):
    """Masks the value of one query parameter (a sign-in token) in a record's text.

    The access log line of the dev server arrives as arguments ("GET /path?x=… HTTP/1.1"),
    so each string argument is masked as well as the message itself. Records are never
    dropped.
    """

    def __init__(self, parameter: str) -> None:
        super().__init__()
        # `name=value` as written in a URL, or `name%3Dvalue` inside an encoded next URL.
        self._pattern = re.compile(
            rf"(?<![\w-])({re.escape(parameter)}(?:=|%3D))[^&%\s\"'#]+", re.IGNORECASE
        )

    def _redact(self, value: Any) -> Any:
        return self._pattern.sub(r"\1***", value) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: self._redact(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(self._redact(value) for value in record.args)
        return True
