"""Errors of the photo worker."""


class StorageUnavailable(Exception):
    """A transient storage error: the task retries later."""
