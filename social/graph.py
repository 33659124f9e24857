"""A small client of Meta's Graph API: the Page photo, Instagram content publishing and
hashtag search requests the relay makes, and the Graph API's error object sorted into what
the caller does about it (retry soon, retry later, reconnect, or give up).

Pure: no Django, no database. The base URL is given (settings.GRAPH_API_BASE_URL), so the
tests talk to a stand-in on loopback and production to graph.facebook.com.

References (Meta for Developers): Pages API "Posting to a Page" and the Page Photos edge;
Instagram Platform "Content Publishing", IG User Media, IG Container, IG User Media Publish,
IG User Content Publishing Limit, IG Hashtag Search and Recent Media, IG User Business
Discovery; Graph API "Handling Errors" and "Rate Limiting".
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

# Graph API error codes (Graph API, "Handling Errors" and "Rate Limiting").
TRANSIENT_CODES = frozenset({1, 2})  # "unknown error", "service temporarily unavailable"
# App (4), user (17), Page (32) and custom (613) rate limits, and the Business Use Case
# limits of Pages and Instagram (80001-80014): wait longer, then try again.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
EXPIRED_TOKEN_CODES = frozenset({190, 102})  # OAuthException: expired, revoked, invalid token
# Instagram's "the account has reached its publishing limit" (code 9, subcode 2207042).
IG_LIMIT_SUBCODE = 2207042
# "Unsupported request: the object does not exist" (code 100, subcode 33): already deleted.
MISSING_OBJECT_SUBCODE = 33

# Instagram usernames: letters, digits, periods and underscores, 30 at most.
USERNAME_RE = re.compile(r"[A-Za-z0-9._]{1,30}")

# A container's status_code (IG Container reference).
CONTAINER_FINISHED = "FINISHED"
CONTAINER_IN_PROGRESS = "IN_PROGRESS"
CONTAINER_ERROR = "ERROR"
CONTAINER_EXPIRED = "EXPIRED"
CONTAINER_PUBLISHED = "PUBLISHED"


class GraphError(Exception):
    """The API's error object ({"error": {message, type, code, error_subcode, fbtrace_id}}),
    or a network failure (code 0) or a body that is not the API's (code -1)."""

    def __init__(
        self,
        *,
        message: str,
        code: int,
        subcode: int = 0,
        type: str = "",
        fbtrace_id: str = "",
        status: int = 0,
        is_transient_flag: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.fbtrace_id = fbtrace_id
        self.status = status
        self.is_transient_flag = is_transient_flag

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments: pickled (by Celery's retry) through a helper.
        return (_graph_error, (self.__dict__.copy(),))

    def __str__(self) -> str:
        trace = f", fbtrace_id {self.fbtrace_id}" if self.fbtrace_id else ""
        sub = f"/{self.subcode}" if self.subcode else ""
        return f"{self.message} (code {self.code}{sub}{trace})"

    @property
    def is_network(self) -> bool:
        return self.code == 0

    @property
    def is_rate_limit(self) -> bool:
        return self.code in RATE_LIMIT_CODES

    @property
    def is_publishing_limit(self) -> bool:
        return self.subcode == IG_LIMIT_SUBCODE

    @property
    def is_expired_token(self) -> bool:
        return self.code in EXPIRED_TOKEN_CODES

    @property
    def is_missing_object(self) -> bool:
        return self.code == 100 and self.subcode == MISSING_OBJECT_SUBCODE

    @property
    def is_transient(self) -> bool:
        """Worth trying again soon: a network failure, a server error, codes 1 and 2, or
        what the API itself flags as transient."""
        return (
            self.is_network
            or self.code in TRANSIENT_CODES
            or self.is_transient_flag
            or self.status >= 500
        )


@dataclass(frozen=True)
class PublishingLimit:
    usage: int
    total: int
    duration_seconds: int

    @property
    def reached(self) -> bool:
        return self.usage >= self.total


@dataclass(frozen=True)
class DiscoveredMedia:
    id: str
    caption: str
    media_type: str
    media_url: str
    permalink: str
    timestamp: str


@dataclass(frozen=True)
class DiscoveredAccount:
    """Another business or creator account, as Business Discovery shows it."""

    id: str
    username: str
    media: list[DiscoveredMedia]


@dataclass(frozen=True)
class HashtagMedia:
    id: str
    caption: str
    media_type: str
    media_url: str
    permalink: str
    timestamp: str


class GraphClient:
    """One access token's requests. Each method makes one HTTP request."""

    def __init__(self, *, base_url: str, access_token: str, timeout: float = 20.0) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("https", "http"):
            raise ValueError("the Graph API base URL must be http(s)")
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.timeout = timeout

    # --- transport ---------------------------------------------------------------------

    def _request(
        self, method: str, path: str, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        params = {**(params or {}), "access_token": self.access_token}
        encoded = urllib.parse.urlencode(params)
        url = f"{self.base_url}/{path.lstrip('/')}"
        data = None
        if method == "POST":
            data = encoded.encode()  # form-encoded body, as the API documents it
        else:
            url = f"{url}?{encoded}"
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise GraphError(message=f"network: {error}", code=0) from error
        return _parse(status, body)

    # --- Facebook Page -------------------------------------------------------------------

    def page_photo_create(self, *, page_id: str, url: str, caption: str) -> tuple[str, str]:
        """Posts a photo on the Page's timeline from a public URL: (photo id, post id)."""
        data = self._request(
            "POST", f"{page_id}/photos", {"url": url, "caption": caption, "published": "true"}
        )
        return str(data["id"]), str(data.get("post_id") or data["id"])

    def object_delete(self, *, object_id: str) -> bool:
        """Deletes a Page post (DELETE /{post-id}); True on {"success": true}."""
        return bool(self._request("DELETE", object_id).get("success"))

    def object_fields(self, *, object_id: str, fields: str) -> dict[str, Any]:
        return self._request("GET", object_id, {"fields": fields})

    # --- Instagram content publishing ----------------------------------------------------

    def ig_container_create(self, *, ig_user_id: str, image_url: str, caption: str) -> str:
        """Step 1: a media container made from a public JPEG URL; its id."""
        data = self._request(
            "POST", f"{ig_user_id}/media", {"image_url": image_url, "caption": caption}
        )
        return str(data["id"])

    def ig_container_status(self, *, container_id: str) -> str:
        data = self.object_fields(object_id=container_id, fields="status_code")
        return str(data.get("status_code", ""))

    def ig_container_publish(self, *, ig_user_id: str, container_id: str) -> str:
        """Step 2: publishes a FINISHED container; the IG media id."""
        data = self._request("POST", f"{ig_user_id}/media_publish", {"creation_id": container_id})
        return str(data["id"])

    def ig_publishing_limit(self, *, ig_user_id: str) -> PublishingLimit:
        data = self._request(
            "GET", f"{ig_user_id}/content_publishing_limit", {"fields": "quota_usage,config"}
        )
        rows = data.get("data") or [{}]
        config = rows[0].get("config") or {}
        return PublishingLimit(
            usage=int(rows[0].get("quota_usage", 0)),
            # The documented limit when the answer leaves it out (100 a rolling day).
            total=int(config.get("quota_total", 100)),
            duration_seconds=int(config.get("quota_duration", 86400)),
        )

    # --- Instagram hashtag search --------------------------------------------------------

    def ig_hashtag_id(self, *, ig_user_id: str, hashtag: str) -> str | None:
        """The hashtag's id, or None. Each search counts towards 30 hashtags a rolling week."""
        data = self._request(
            "GET", "ig_hashtag_search", {"user_id": ig_user_id, "q": hashtag.lstrip("#")}
        )
        rows = data.get("data") or []
        return str(rows[0]["id"]) if rows else None

    def ig_hashtag_recent_media(
        self, *, ig_user_id: str, hashtag_id: str, after: str = ""
    ) -> tuple[list[HashtagMedia], str]:
        """One page of the hashtag's media of the last 24 hours, and the cursor of the next."""
        params = {
            "user_id": ig_user_id,
            "fields": "id,caption,media_type,media_url,permalink,timestamp",
        }
        if after:
            params["after"] = after
        data = self._request("GET", f"{hashtag_id}/recent_media", params)
        media = [
            HashtagMedia(
                id=str(row["id"]),
                caption=str(row.get("caption", "")),
                media_type=str(row.get("media_type", "")),
                media_url=str(row.get("media_url", "")),
                permalink=str(row.get("permalink", "")),
                timestamp=str(row.get("timestamp", "")),
            )
            for row in data.get("data") or []
        ]
        paging = data.get("paging") or {}
        following = (paging.get("cursors") or {}).get("after", "") if paging.get("next") else ""
        return media, str(following)

    # --- Instagram Business Discovery ----------------------------------------------------

    def ig_business_discovery(self, *, ig_user_id: str, username: str) -> DiscoveredAccount:
        """Another Instagram business or creator account and its latest media (the first
        page), by username. A personal account or an unknown username is an error of the
        API (GraphError), as is a username that is not one."""
        if not USERNAME_RE.fullmatch(username):
            # The username goes inside the field expansion: nothing else may.
            raise GraphError(message=f"not an Instagram username: {username!r}", code=100)
        fields = (
            f"business_discovery.username({username})"
            "{id,username,media{id,caption,media_type,media_url,permalink,timestamp}}"
        )
        data = self._request("GET", ig_user_id, {"fields": fields})
        found = data.get("business_discovery") or {}
        rows = (found.get("media") or {}).get("data") or []
        return DiscoveredAccount(
            id=str(found.get("id", "")),
            username=str(found.get("username", username)),
            media=[
                DiscoveredMedia(
                    id=str(row["id"]),
                    caption=str(row.get("caption", "")),
                    media_type=str(row.get("media_type", "")),
                    media_url=str(row.get("media_url", "")),
                    permalink=str(row.get("permalink", "")),
                    timestamp=str(row.get("timestamp", "")),
                )
                for row in rows
            ],
        )


def _graph_error(state: dict[str, Any]) -> GraphError:
    return GraphError(**state)


def _parse(status: int, body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise GraphError(
            message=f"HTTP {status}: not a Graph API answer", code=-1, status=status
        ) from None
    if not isinstance(data, dict):
        raise GraphError(message=f"HTTP {status}: not a Graph API answer", code=-1, status=status)
    error = data.get("error")
    if isinstance(error, dict):
        raise GraphError(
            message=str(error.get("error_user_msg") or error.get("message") or "error"),
            code=_int(error.get("code")),
            subcode=_int(error.get("error_subcode")),
            type=str(error.get("type", "")),
            fbtrace_id=str(error.get("fbtrace_id", "")),
            status=status,
            is_transient_flag=bool(error.get("is_transient")),
        )
    if status >= 400:
        raise GraphError(message=f"HTTP {status}", code=-1, status=status)
    return data


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0
