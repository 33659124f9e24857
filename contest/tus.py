"""The tus 1.0 endpoint of resumable uploads: core protocol, creation, checksum, expiration,
termination (https://tus.io/protocols/resumable-upload). The work is contest.resumable's.

POST .../envoi/ opens an upload (the entry's fields in Upload-Metadata), HEAD says how much
arrived, PATCH appends a piece; the last piece makes the entry. GET on an upload (not part
of tus) says, as JSON, what became of it: the page shows the entry or the refusal. Only
the signed-in participant may upload, with the checks of the upload page; the CSRF token
comes in X-CSRFToken, as htmx sends it.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from contest import resumable, selectors, services
from contest.devices import device_class
from contest.forms import REJECTION_MESSAGES, EntryDetailsForm
from contest.models import Contest, Participant, TusUpload
from core.network import client_ip

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,checksum,expiration,termination"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
# Upload-Metadata keys: the entry form's fields, and the file's name.
METADATA_KEYS = frozenset(
    {"filename", "filetype", "title", "caption", "theme", "line", "stop", "stop_id"}
)
METADATA_MAX_CHARS = 4096
_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
_NUMBER = re.compile(r"^[0-9]{1,19}$")


class BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _answer(status: int, data: dict[str, Any] | None = None, **headers: str) -> HttpResponse:
    """A tus answer: JSON `data` if any, and `headers` (Upload_Offset for Upload-Offset)."""
    response: HttpResponse = (
        JsonResponse(data, status=status) if data is not None else HttpResponse(status=status)
    )
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _refused(status: int, message: str, **extra: Any) -> HttpResponse:
    return _answer(status, {"message": message, **extra})


def _options() -> HttpResponse:
    return _answer(
        204,
        Tus_Version=TUS_VERSION,
        Tus_Extension=EXTENSIONS,
        Tus_Max_Size=str(settings.PHOTO_MAX_BYTES),
        Tus_Checksum_Algorithm=",".join(resumable.CHECKSUM_ALGORITHMS),
    )


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated "key base64(value)" pairs, a value may be absent."""
    if len(header) > METADATA_MAX_CHARS:
        raise BadRequest(_("The photo's details are too long."))
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _sep, encoded = pair.partition(" ")
        if not _KEY.match(key) or key in metadata:
            raise BadRequest(_("The photo's details could not be read."))
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(_("The photo's details could not be read.")) from None
        if key in METADATA_KEYS:
            metadata[key] = value
    return metadata


def parse_checksum(header: str | None) -> resumable.Checksum | None:
    """Upload-Checksum: "algorithm base64(digest)"."""
    if header is None:
        return None
    algorithm, _sep, encoded = header.strip().partition(" ")
    if algorithm not in resumable.CHECKSUM_ALGORITHMS:
        raise BadRequest(_("This checksum algorithm is not supported."))
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise BadRequest(_("The checksum could not be read.")) from None
    return resumable.Checksum(algorithm, digest)


def _number(request: HttpRequest, header: str) -> int:
    value = request.headers.get(header, "").strip()
    if not _NUMBER.match(value):
        raise BadRequest(_("The %(header)s header is missing or wrong.") % {"header": header})
    return int(value)


def _participant(request: HttpRequest) -> Participant | None:
    if not request.user.is_authenticated:
        return None
    return Participant.objects.filter(user=request.user).first()


def _version_refused(request: HttpRequest) -> HttpResponse | None:
    if request.headers.get("Tus-Resumable") == TUS_VERSION:
        return None
    response = _refused(412, _("This upload client speaks another version of tus."))
    response["Tus-Version"] = TUS_VERSION
    return response


def _expires(upload: TusUpload) -> str:
    return http_date(upload.expires_at.timestamp())


def _state_headers(upload: TusUpload) -> dict[str, str]:
    headers = {"Upload_Offset": str(upload.offset), "Upload_Expires": _expires(upload)}
    if upload.state in (TusUpload.State.DONE, TusUpload.State.REFUSED):
        headers["Upload_Result"] = upload.state
    return headers


@never_cache
def endpoint(request: HttpRequest, slug: str) -> HttpResponse:
    """OPTIONS (what this server speaks) and POST (creation)."""
    if request.method == "OPTIONS":
        return _options()
    if request.method != "POST":
        return _answer(405, Allow="OPTIONS, POST")
    if (refused := _version_refused(request)) is not None:
        return refused
    contest = selectors.contest_get_public(slug=slug)
    if contest is None:
        return _refused(404, _("This contest does not exist."))
    try:
        if "Upload-Defer-Length" in request.headers:
            raise BadRequest(_("Give the photo's size (Upload-Length)."))
        length = _number(request, "Upload-Length")
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
    except BadRequest as exc:
        return _refused(400, exc.message)
    if length > settings.PHOTO_MAX_BYTES:
        # Said before anything else, and not a byte of it is received.
        return _refused(413, _too_large())
    participant = _participant(request)
    if participant is None:
        return _refused(403, _("Sign in to send photos."))
    form = EntryDetailsForm(resumable.details_data(metadata), contest=contest)
    if not form.is_valid():
        errors = {name: [str(error) for error in errs] for name, errs in form.errors.items()}
        return _refused(400, _("Check the photo's details."), errors=errors)
    return _create(request, contest, participant, length, metadata)


def _too_large() -> str:
    return str(REJECTION_MESSAGES["too_large"]) % {
        "max_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)
    }


def _create(
    request: HttpRequest,
    contest: Contest,
    participant: Participant,
    length: int,
    metadata: dict[str, str],
) -> HttpResponse:
    try:
        upload = resumable.tus_upload_create(
            contest=contest,
            participant=participant,
            length=length,
            metadata=metadata,
            ip_address=client_ip(request),
        )
    except resumable.TusError as exc:
        return _refused(exc.status, exc.message)
    except services.UploadRateLimited as limited:
        response = _refused(429, limited.message)
        response["Retry-After"] = str(limited.retry_after)
        return response
    except services.EntryRefused as exc:
        return _refused(403, exc.message)
    location = request.build_absolute_uri(
        reverse("contest:tus_upload", args=[contest.slug, upload.pk])
    )
    return _answer(201, Location=location, Upload_Expires=_expires(upload))


@never_cache
def upload(request: HttpRequest, slug: str, upload_id: uuid.UUID) -> HttpResponse:
    """HEAD (the offset), PATCH (a piece), DELETE (termination), GET (the outcome)."""
    if request.method == "OPTIONS":
        return _options()
    if request.method not in ("HEAD", "PATCH", "DELETE", "GET"):
        return _answer(405, Allow="OPTIONS, HEAD, PATCH, DELETE, GET")
    if request.method != "GET" and (refused := _version_refused(request)) is not None:
        return refused
    participant = _participant(request)
    found = (
        resumable.tus_upload_live(upload_id=upload_id, participant=participant)
        if participant is not None
        else None
    )
    if found is None or found.contest.slug != slug:
        return _refused(404, _("This upload does not exist or has expired."))
    if request.method == "HEAD":
        return _answer(200, None, Upload_Length=str(found.length), **_state_headers(found))
    if request.method == "DELETE":
        if found.state == TusUpload.State.COMPLETING:
            return _refused(423, _("This photo is being checked."))
        resumable.tus_upload_delete(upload=found)
        return _answer(204)
    if request.method == "GET":
        return _outcome(found)
    return _patch(request, found)


def _outcome(upload: TusUpload) -> HttpResponse:
    data: dict[str, Any] = {
        "state": upload.state,
        "offset": upload.offset,
        "length": upload.length,
        "entry": upload.entry_id,
        "message": upload.refusal,
        "next": reverse("contest:my_entries", args=[upload.contest.slug]),
    }
    return _answer(200, data)


def _patch(request: HttpRequest, found: TusUpload) -> HttpResponse:
    try:
        offset = _number(request, "Upload-Offset")
        checksum = parse_checksum(request.headers.get("Upload-Checksum"))
        has_length = bool(request.headers.get("Content-Length"))
        body_length = _number(request, "Content-Length") if has_length else 0
    except BadRequest as exc:
        return _refused(400, exc.message)
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
    # An empty piece (asking "are you done?") is let through without one.
    if content_type != OFFSET_CONTENT_TYPE and body_length:
        return _refused(415, _("A piece is sent as application/offset+octet-stream."))
    try:
        resumable.tus_upload_append(
            upload=found, offset=offset, body=request, body_length=body_length, checksum=checksum
        )
    except resumable.TusError as exc:
        if exc.status == 409:
            # Where the upload stands, so that a client can resume from there.
            found.refresh_from_db()
            return _refused(
                409, _("The piece is not where the upload stands."), offset=found.offset
            )
        return _refused(exc.status, exc.message)
    if found.offset == found.length and found.state == TusUpload.State.RECEIVING:
        completion = resumable.tus_upload_complete(
            upload=found, device=device_class(request.headers.get("User-Agent", ""))
        )
        if completion.now and completion.upload.state == TusUpload.State.DONE:
            _tell_received(request, completion)
    found.refresh_from_db()
    return _answer(204, None, **_state_headers(found))


def _tell_received(request: HttpRequest, completion: resumable.Completion) -> None:
    """The messages "My photos" shows next: the photo arrived, and the contest's advice."""
    upload = completion.upload
    messages.success(
        request,
        _("Your photo “%(title)s” is received. We are preparing it.")
        % {"title": upload.metadata.get("title", "").strip()},
    )
    if completion.size is None:
        return
    name = upload.metadata.get("filename", "")
    for advice in services.upload_advice(contest_id=upload.contest_id, size=completion.size):
        messages.warning(request, _("%(file)s: %(advice)s") % {"file": name, "advice": advice})
