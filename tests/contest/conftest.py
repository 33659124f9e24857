"""Fixtures of the contest tests live in tests/conftest.py."""
