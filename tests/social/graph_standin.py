"""A stand-in for Meta's Graph API on loopback: exactly the requests the relay makes, answered
as the documentation shows them, with the documented error object.

Endpoints (under /v21.0): POST /{page-id}/photos, DELETE /{post-id}, GET /{id}?fields=...,
POST /{ig-user-id}/media, POST /{ig-user-id}/media_publish,
GET /{ig-user-id}/content_publishing_limit, GET /ig_hashtag_search,
GET /{hashtag-id}/recent_media,
GET /{ig-user-id}?fields=business_discovery.username(NAME){...} (Business Discovery: the
accounts in `business_accounts` are business or creator ones; any other username answers
the API's "cannot find user" error, as for a personal account). Anything else answers the
API's "unsupported request".

Scripted failures: `fail(method, edge, code=..., ...)` makes the next matching request answer
that error once; `expired_tokens` answer every request with OAuthException 190.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = "v21.0"
PERMALINK_FB = "https://www.facebook.com/{page}/posts/{post}"
PERMALINK_IG = "https://www.instagram.com/p/{code}/"


@dataclass
class Call:
    method: str
    path: str  # without the version
    params: dict[str, str]


@dataclass
class Scripted:
    method: str
    edge: str  # the last segment of the path ("photos", "media", "media_publish"...) or "*"
    status: int
    error: dict[str, Any]


@dataclass
class GraphStandIn:
    tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    # Instagram: publishes counted in the rolling day, and the documented limit.
    quota_usage: int = 0
    quota_total: int = 100
    # How many status polls a new container answers IN_PROGRESS before FINISHED.
    container_polls_in_progress: int = 0
    # Given the image URL, what the "network" fetched there (falsy: nothing usable), kept
    # in `fetched` by URL, as the image is copied when the post or container is made.
    image_check: Callable[[str], Any] = lambda url: True
    fetched: dict[str, Any] = field(default_factory=dict)
    hashtags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Instagram's CDN: the images that media_url addresses point at (GET /cdn/<name>).
    images: dict[str, bytes] = field(default_factory=dict)
    # Business Discovery: username (lower case) -> its media, newest first, each a dict of
    # id, caption, media_type, media_url, permalink, timestamp (only the fields asked for
    # are answered). A test edits a caption in place, as its author would on Instagram.
    business_accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    calls: list[Call] = field(default_factory=list)
    scripted: list[Scripted] = field(default_factory=list)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # FB post id -> post
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(17_900_000_000_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    # --- the test's controls -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.origin}/{VERSION}"

    @property
    def origin(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def cdn_url(self, name: str, data: bytes) -> str:
        self.images[name] = data
        return f"{self.origin}/cdn/{name}"

    def fail(
        self,
        method: str,
        edge: str,
        *,
        code: int,
        message: str = "An error occurred",
        type: str = "OAuthException",
        subcode: int | None = None,
        status: int = 400,
        transient: bool | None = None,
    ) -> None:
        error: dict[str, Any] = {
            "message": message,
            "type": type,
            "code": code,
            "fbtrace_id": "AbCdEfGh123",
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient is not None:
            error["is_transient"] = transient
        self.scripted.append(Scripted(method, edge, status, error))

    def calls_to(self, method: str, edge: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path.endswith(edge)]

    def start(self) -> GraphStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                if method == "GET" and url.path.startswith("/cdn/"):
                    image = standin.images.get(url.path.removeprefix("/cdn/"))
                    self.send_response(200 if image else 404)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(image or b"")))
                    self.end_headers()
                    self.wfile.write(image or b"")
                    return
                params = dict(urllib.parse.parse_qsl(url.query))
                if method == "POST":
                    length = int(self.headers.get("Content-Length") or 0)
                    params.update(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                status, body = standin.answer(method, url.path, params)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- the API -------------------------------------------------------------------------

    def _fetch(self, url: str) -> Any:
        self.fetched[url] = self.image_check(url)
        return self.fetched[url]

    def _new_id(self) -> str:
        return str(next(self._ids))

    def answer(self, method: str, path: str, params: dict[str, str]) -> tuple[int, Any]:
        prefix = f"/{VERSION}/"
        if not path.startswith(prefix):
            return _unsupported(method, path)
        path = path[len(prefix) :]
        with self._lock:
            self.calls.append(Call(method, path, params))
            token = params.get("access_token", "")
            if token in self.expired_tokens:
                return 400, {
                    "error": {
                        "message": "Error validating access token: Session has expired on "
                        "Tuesday, 01-Dec-26 10:00:00 PST.",
                        "type": "OAuthException",
                        "code": 190,
                        "error_subcode": 463,
                        "fbtrace_id": "AxYz987",
                    }
                }
            if token not in self.tokens:
                return 400, {
                    "error": {
                        "message": "Invalid OAuth access token - Cannot parse access token",
                        "type": "OAuthException",
                        "code": 190,
                        "fbtrace_id": "AxYz988",
                    }
                }
            edge = path.rsplit("/", 1)[-1]
            for scripted in self.scripted:
                if scripted.method == method and scripted.edge in (edge, "*"):
                    self.scripted.remove(scripted)
                    return scripted.status, {"error": scripted.error}
            return self._route(method, path, params)

    def _route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, Any]:
        parts = path.split("/")
        if method == "POST" and len(parts) == 2 and parts[1] == "photos":
            return self._page_photo(parts[0], params)
        if method == "POST" and len(parts) == 2 and parts[1] == "media":
            return self._ig_container(parts[0], params)
        if method == "POST" and len(parts) == 2 and parts[1] == "media_publish":
            return self._ig_publish(params)
        if method == "GET" and len(parts) == 2 and parts[1] == "content_publishing_limit":
            return 200, {
                "data": [
                    {
                        "quota_usage": self.quota_usage,
                        "config": {"quota_total": self.quota_total, "quota_duration": 86400},
                    }
                ]
            }
        if method == "GET" and path == "ig_hashtag_search":
            found = params.get("q", "").lower() in self.hashtags
            return 200, {"data": [{"id": f"hashtag-{params['q'].lower()}"}] if found else []}
        if method == "GET" and len(parts) == 2 and parts[1] == "recent_media":
            tag = parts[0].removeprefix("hashtag-")
            return 200, {"data": self.hashtags.get(tag, [])}
        if method == "DELETE" and len(parts) == 1 and parts[0] in self.posts:
            del self.posts[parts[0]]
            return 200, {"success": True}
        if method == "GET" and len(parts) == 1:
            if params.get("fields", "").startswith("business_discovery."):
                return self._business_discovery(parts[0], params["fields"])
            return self._read(parts[0], params.get("fields", ""))
        return _unsupported(method, path)

    def _page_photo(self, page_id: str, params: dict[str, str]) -> tuple[int, Any]:
        if not params.get("url") or not self._fetch(params["url"]):
            return 400, {
                "error": {
                    "message": "(#324) Requires upload file",
                    "type": "OAuthException",
                    "code": 324,
                    "fbtrace_id": "AqQq1",
                }
            }
        photo_id = self._new_id()
        post_id = f"{page_id}_{self._new_id()}"
        self.posts[post_id] = {"page": page_id, "caption": params.get("caption", "")}
        return 200, {"id": photo_id, "post_id": post_id}

    def _ig_container(self, ig_user: str, params: dict[str, str]) -> tuple[int, Any]:
        if not params.get("image_url"):
            return 400, {
                "error": {
                    "message": "The parameter image_url is required",
                    "type": "OAuthException",
                    "code": 100,
                    "fbtrace_id": "AqQq2",
                }
            }
        container_id = self._new_id()
        fetched = self._fetch(params["image_url"])
        self.containers[container_id] = {
            "user": ig_user,
            "caption": params.get("caption", ""),
            "polls_left": self.container_polls_in_progress,
            "status": "IN_PROGRESS" if fetched else "ERROR",
        }
        return 200, {"id": container_id}

    def _ig_publish(self, params: dict[str, str]) -> tuple[int, Any]:
        container = self.containers.get(params.get("creation_id", ""))
        if container is None or container["status"] != "FINISHED":
            return 400, {
                "error": {
                    "message": "Media ID is not available",
                    "type": "OAuthException",
                    "code": 9007,
                    "error_subcode": 2207027,
                    "fbtrace_id": "AqQq3",
                }
            }
        if self.quota_usage >= self.quota_total:
            return 400, {
                "error": {
                    "message": "Application request limit reached",
                    "type": "OAuthException",
                    "code": 9,
                    "error_subcode": 2207042,
                    "fbtrace_id": "AqQq4",
                }
            }
        media_id = self._new_id()
        container["status"] = "PUBLISHED"
        self.media[media_id] = {"caption": container["caption"], "code": f"C{media_id[-6:]}"}
        self.quota_usage += 1
        return 200, {"id": media_id}

    def _business_discovery(self, ig_user: str, fields: str) -> tuple[int, Any]:
        found = re.fullmatch(r"business_discovery\.username\(([^)]*)\)\{(.*)\}", fields)
        if found is None:
            return _unsupported("GET", ig_user)
        username, wanted = found.group(1), found.group(2)
        media = self.business_accounts.get(username.lower())
        if media is None:
            return 400, {
                "error": {
                    "message": "Invalid user id",
                    "type": "OAuthException",
                    "code": 110,
                    "error_subcode": 2207013,
                    "is_transient": False,
                    "error_user_title": "Cannot find User",
                    "error_user_msg": f"The user with username: {username} cannot be found.",
                    "fbtrace_id": "AqQq7",
                }
            }
        account: dict[str, Any] = {"id": f"1784{abs(hash(username.lower())) % 10**13:013d}"}
        if "username" in wanted:
            account["username"] = username.lower()
        if "media{" in wanted:
            asked = set(wanted.split("media{", 1)[1].split("}", 1)[0].split(","))
            account["media"] = {
                "data": [
                    {key: value for key, value in item.items() if key in asked}
                    for item in media[:25]
                ],
                "paging": {"cursors": {"before": "QVFIUk1", "after": "QVFIUlp"}},
            }
        return 200, {"business_discovery": account, "id": ig_user}

    def _read(self, object_id: str, fields: str) -> tuple[int, Any]:
        if object_id in self.containers:
            container = self.containers[object_id]
            if container["status"] == "IN_PROGRESS":
                if container["polls_left"] > 0:
                    container["polls_left"] -= 1
                else:
                    container["status"] = "FINISHED"
            return 200, {"status_code": container["status"], "id": object_id}
        if object_id in self.posts:
            page, post = object_id.split("_", 1)
            return 200, {
                "permalink_url": PERMALINK_FB.format(page=page, post=post),
                "id": object_id,
            }
        if object_id in self.media:
            return 200, {
                "permalink": PERMALINK_IG.format(code=self.media[object_id]["code"]),
                "id": object_id,
            }
        return 400, {
            "error": {
                "message": f"Unsupported get request. Object with ID '{object_id}' does not "
                "exist, cannot be loaded due to missing permissions, or does not support "
                "this operation.",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
                "fbtrace_id": "AqQq5",
            }
        }


def _unsupported(method: str, path: str) -> tuple[int, Any]:
    return 400, {
        "error": {
            "message": f"Unsupported {method.lower()} request.",
            "type": "GraphMethodException",
            "code": 100,
            "error_subcode": 33,
            "fbtrace_id": "AqQq6",
        }
    }
