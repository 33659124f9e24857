"""The one base of the errors that services raise for a person to read."""

from __future__ import annotations

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A rule said no. `message` is translated, ready to show; views map it to a page."""

    def __init__(self, message: str | Promise = "") -> None:
        super().__init__(str(message))
        self.message = str(message)
