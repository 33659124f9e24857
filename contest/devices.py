"""The kind of device a photo was sent from, from the browser's User-Agent (pure).

Marketing wants "phone vs computer" (dashboard/): only this class is kept on the entry, never
the User-Agent string, which identifies a browser far more precisely than the figure needs.
"""

from __future__ import annotations

import re

PHONE = "phone"
COMPUTER = "computer"

# Tablets count as phones: both are handheld, with a camera, and the upload page treats them
# alike. "Mobile" alone covers iOS and Android phones; iPads and Android tablets say
# "iPad"/"Android" without it.
_HANDHELD = re.compile(r"Mobile|Android|iPhone|iPad|iPod|Windows Phone|Opera Mini|KAIOS", re.I)
_DESKTOP = re.compile(r"Windows NT|Macintosh|X11|CrOS|Linux x86_64", re.I)


def device_class(user_agent: str) -> str:
    """ "phone", "computer", or "" when the User-Agent says neither (a bot, a blank one)."""
    if _HANDHELD.search(user_agent):
        return PHONE
    if _DESKTOP.search(user_agent):
        return COMPUTER
    return ""
