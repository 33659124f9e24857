"""CSV exports that a spreadsheet opens safely."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheet software
# (=HYPERLINK(...) exfiltrating data, DDE commands...): OWASP's "CSV injection".
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """The value as text, with a leading quote when it could be taken for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_row(values: list[object]) -> list[str]:
    return [csv_cell(value) for value in values]
