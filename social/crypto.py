"""Page access tokens encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

The key is SOCIAL_TOKEN_KEY, or one derived from SECRET_KEY when that is empty: a database
dump alone then reveals no token.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class TokenUnreadable(Exception):
    """The stored token was encrypted with another key (SECRET_KEY or SOCIAL_TOKEN_KEY
    changed): the account must be connected again."""


def _fernet() -> Fernet:
    key = settings.SOCIAL_TOKEN_KEY
    if not key:
        digest = hashlib.sha256(b"coverline.social-token\0" + settings.SECRET_KEY.encode())
        key = base64.urlsafe_b64encode(digest.digest()).decode()
    return Fernet(key)


def token_encrypt(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def token_decrypt(stored: str) -> str:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken as error:
        raise TokenUnreadable("the stored token cannot be decrypted with this key") from error
