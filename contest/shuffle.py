"""The "discover" key of an approved entry: pure arithmetic, no database.

The n-th entry approved in a contest gets the key (n * STEP) mod KEY_SPACE, STEP being
KEY_SPACE divided by the golden ratio (a Kronecker / golden-ratio sequence). Whatever the
number of entries, their keys cut the key space into near-equal gaps (three gap lengths at
most, in the golden ratio to each other), and each new key falls in one of the largest gaps:
a photo approved late gets the same share of the key space as an early one. The gallery's
"discover" order reads the keys from a point of the key space that differs per visitor
(gallery/discover.py), so equal gaps mean equal chances of being on a first page.
"""

from __future__ import annotations

KEY_BITS = 31
KEY_SPACE = 1 << KEY_BITS  # keys fit a 32-bit signed integer column on every database
# round(KEY_SPACE / golden ratio), made odd: coprime with KEY_SPACE, so the first KEY_SPACE
# serials all get different keys.
STEP = 1_327_217_885


def shuffle_key(serial: int) -> int:
    """The key of the contest's `serial`-th approved entry (serial >= 1)."""
    return (serial * STEP) % KEY_SPACE
