"""Logging filters and the JSON formatter, wired in settings.LOGGING."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
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


# The id of the request (or of the task) being handled in this thread or coroutine: set by
# core.middleware.RequestIdMiddleware, and by the worker from the task's headers
# (config/celery.py); read by every log record through RequestIdFilter.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)

# What a request id from the proxy may look like (nginx's $request_id is 32 hex digits, a
# UUID has 36 characters): anything else is replaced, so a client cannot write into the logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")


def valid_request_id(value: str | None) -> str | None:
    return value if value and _REQUEST_ID.fullmatch(value) else None


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id_of(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Without ensure_ascii, French text stays readable; default=str keeps odd arguments
        # (a path, a decimal) from ever breaking a line.
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_id_of(record: logging.LogRecord) -> str | None:
    request_id = getattr(record, "request_id", None) or current_request_id.get()
    return None if request_id == "-" else request_id


class GunicornAccessRequestId(logging.Filter):
    """Gunicorn's access records: the request id from the response's X-Request-ID.

    Gunicorn logs a request after the app returned (the id is no longer current), with the
    response's headers among the record's arguments (config/gunicorn.py wires this).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            request_id = valid_request_id(str(record.args.get("{x-request-id}o", "")))
            if request_id:
                record.request_id = request_id
        return True
