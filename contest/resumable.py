"""Resumable uploads (tus 1.0, contest.tus): a photo sent in pieces becomes an entry once
all of it is here, through the same entry_submit as the upload form.

Each piece received is stored as a file of its own in the private originals storage,
`uploads/<upload id>/`: a folder on the local disk, or objects in the originals bucket on
S3, where an object cannot be appended to. So the web replicas share them, and the next
piece may reach another replica or machine than the last. No lock either: a piece counts
once the row's offset moves from where the piece began (a conditional UPDATE); of two
requests sending the same piece (a retry while the first still trickles in), the loser's
file is deleted and it is told 409. Once complete, the pieces are copied in order into a
local temporary file, which goes through the checks of the upload form and entry_submit
(which stores the original under a name of its own, as for the form).

Whatever the outcome (an entry, or a refusal), the pieces are deleted; the row stays until
it expires, so that a client that lost the last answer can still read the result. The beat
job (tus_uploads_sweep) removes what was abandoned.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import posixpath
import secrets
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.utils import timezone
from django.utils.translation import gettext as _

from contest import selectors
from contest.exclusion import STAFF_REFUSED, entry_refused_as_staff
from contest.forms import REJECTION_MESSAGES, EntryDetailsForm
from contest.models import Contest, Entry, Participant, TusUpload
from contest.services import EntryDraft, EntryRefused, entry_submit, entry_upload_count
from core.errors import ApplicationError
from photos import imaging
from photos.services import originals_storage, upload_policy

logger = logging.getLogger(__name__)

# Algorithms of the checksum extension: what hashlib has, under tus's names.
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "md5")
READ_CHUNK = 64 * 1024
PARTS_DIR = "uploads"


class TusError(ApplicationError):
    """A tus request the protocol refuses; `status` is its HTTP answer."""

    status = 400

    def __init__(self, message: str = "", status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes


def parts_storage() -> Storage:
    return originals_storage()


def _delete_parts(folder: str, names: list[str] | None = None) -> None:
    """Deletes the pieces in `folder`: those listed, and any a crash left unlisted."""
    storage = parts_storage()
    found: set[str] = set(names or ())
    try:
        _directories, files = storage.listdir(folder)
        found |= {posixpath.join(folder, name) for name in files}
    except FileNotFoundError:
        pass
    for name in sorted(found):
        try:
            storage.delete(name)
        except Exception:  # one stuck piece must not keep the others; the sweep retries
            logger.exception("could not delete upload piece %s", name)
    # An empty folder stays on a disk (none in a bucket): remove it where there is one.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(storage.path(folder))


def tus_upload_check_allowed(*, contest: Contest, participant: Participant) -> None:
    """Raises EntryRefused unless the participant may send one more photo to the contest:
    the upload page's own conditions, asked before a byte is received."""
    if not contest.is_accepting_entries():
        raise EntryRefused(_("This contest is not taking entries at the moment."))
    if not participant.profile_complete or participant.needs_parent_confirmation:
        raise EntryRefused(_("Your profile is not complete yet."))
    if selectors.enrollment_current(contest=contest, participant=participant) is None:
        raise EntryRefused(_("Please accept the contest rules first."))
    if entry_refused_as_staff(contest=contest, email=participant.email):
        raise EntryRefused(str(STAFF_REFUSED))
    if selectors.photos_remaining(contest=contest, participant=participant) <= 0:
        raise EntryRefused(_("You have already sent all the photos this contest allows."))


def tus_upload_create(
    *,
    contest: Contest,
    participant: Participant,
    length: int,
    metadata: dict[str, str],
    ip_address: str | None,
) -> TusUpload:
    """Opens an upload of `length` bytes; nothing is received yet.

    Raises TusError (413) past PHOTO_MAX_BYTES, EntryRefused when the participant may not
    send a photo now, UploadRateLimited past the upload rate (each photo counts, as each
    post of the form does).
    """
    if length <= 0:
        raise TusError(str(REJECTION_MESSAGES["empty"]))
    if length > settings.PHOTO_MAX_BYTES:
        raise TusError(
            str(REJECTION_MESSAGES["too_large"])
            % {"max_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)},
            status=413,
        )
    tus_upload_check_allowed(contest=contest, participant=participant)
    entry_upload_count(participant=participant, ip_address=ip_address)
    upload_id = uuid.uuid4()
    return TusUpload.objects.create(
        id=upload_id,
        contest=contest,
        participant=participant,
        length=length,
        metadata=metadata,
        file_key=f"{PARTS_DIR}/{upload_id.hex}",
        expires_at=timezone.now() + settings.TUS_UPLOAD_EXPIRY,
    )


def tus_upload_live(*, upload_id: uuid.UUID, participant: Participant) -> TusUpload | None:
    """The participant's upload, unless it never was, is someone else's, or has expired
    (an expired one is removed at once rather than at the next sweep)."""
    upload = TusUpload.objects.filter(pk=upload_id, participant=participant).first()
    if upload is None:
        return None
    if upload.expires_at <= timezone.now() and upload.state == TusUpload.State.RECEIVING:
        tus_upload_delete(upload=upload)
        return None
    return upload


def tus_upload_append(
    *,
    upload: TusUpload,
    offset: int,
    body: Readable,
    body_length: int | None,
    checksum: Checksum | None,
) -> int:
    """Stores a piece that starts at `offset` and returns the new offset.

    Raises TusError: 409 when `offset` is not where the upload stands (or another request
    stored this piece first), 460 when the piece does not match its checksum (nothing is
    kept), 400 for a piece past the length. Without a checksum, what arrived before a
    dropped connection is kept, so the client resumes from there.
    """
    if upload.state != TusUpload.State.RECEIVING:
        if offset == upload.length:
            return upload.length  # the last piece again: its answer was lost
        raise TusError(status=409)
    if offset != upload.offset:
        raise TusError(status=409)
    room = upload.length - offset
    if body_length is not None and body_length > room:
        raise TusError(_("The piece goes past the announced length."))
    wanted = room if body_length is None else body_length
    # In memory up to Django's own limit for an uploaded file, on disk past it.
    with tempfile.SpooledTemporaryFile(
        max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as piece:
        hasher = hashlib.new(checksum.algorithm) if checksum else None
        received = _receive(body, wanted, piece, hasher)
        if checksum is not None and hasher is not None:
            whole = body_length is None or received == body_length
            if not whole or not hmac.compare_digest(hasher.digest(), checksum.digest):
                raise TusError(_("The piece does not match its checksum."), status=460)
        if not received:
            return offset
        piece.seek(0)
        name = parts_storage().save(
            f"{upload.file_key}/{offset:012d}-{secrets.token_hex(4)}.part", File(piece)
        )
    new_offset = offset + received
    # The parts listed were read with this offset; an offset never comes back, so the
    # list is still the row's when the filter matches.
    claimed = TusUpload.objects.filter(
        pk=upload.pk, offset=offset, state=TusUpload.State.RECEIVING
    ).update(
        offset=new_offset,
        parts=[*upload.parts, name],
        expires_at=timezone.now() + settings.TUS_UPLOAD_EXPIRY,
    )
    if not claimed:
        _delete_one(name)
        raise TusError(status=409)
    upload.offset = new_offset
    upload.parts = [*upload.parts, name]
    return new_offset


def _receive(body: Readable, wanted: int, out: IO[bytes], hasher: Any) -> int:
    """Copies up to `wanted` bytes of the body to `out`; how many came before it ended."""
    received = 0
    while received < wanted:
        try:
            chunk = body.read(min(READ_CHUNK, wanted - received))
        except OSError:  # the client went away mid-piece
            break
        if not chunk:
            break
        out.write(chunk)
        if hasher is not None:
            hasher.update(chunk)
        received += len(chunk)
    return received


def _delete_one(name: str) -> None:
    try:
        parts_storage().delete(name)
    except Exception:  # an orphan piece is the sweep's to remove
        logger.exception("could not delete upload piece %s", name)


def _refusal(exc: imaging.ImageRejected) -> str:
    message = REJECTION_MESSAGES.get(exc.code, REJECTION_MESSAGES["corrupt"])
    return str(message) % exc.params if exc.params else str(message)


@dataclass(frozen=True)
class Completion:
    upload: TusUpload
    size: tuple[int, int] | None = None  # the entry's photo, upright; None when not entered
    now: bool = False  # this call completed it (not an earlier one)


def tus_upload_complete(*, upload: TusUpload, device: str = "") -> Completion:
    """Turns a complete upload into an entry, once, or records why it is refused.

    The checks are the upload form's: the entry's fields again (a theme may have gone since),
    the upload policy on the assembled bytes, then entry_submit (rules, limit under the
    enrollment's lock, duplicates, all-or-nothing storage, processing enqueued on commit).
    The temporary file is deleted whatever the outcome. A second call (the last piece sent
    twice) finds the upload claimed and changes nothing.
    """
    claimed = TusUpload.objects.filter(
        pk=upload.pk, state=TusUpload.State.RECEIVING, offset=upload.length
    ).update(state=TusUpload.State.COMPLETING)
    if not claimed:
        upload.refresh_from_db()
        return Completion(upload)
    entry: Entry | None = None
    size: tuple[int, int] | None = None
    refusal = ""
    try:
        entry, size = _submit(upload, device)
    except EntryRefused as exc:
        refusal = exc.message
    except Exception:
        # Not the rider's fault (storage, database): the rider is told to send it again,
        # and the upload does not stay half-claimed.
        logger.exception("resumable upload %s could not be completed", upload.pk)
        refusal = str(REJECTION_MESSAGES["corrupt"])
    finally:
        _delete_parts(upload.file_key, upload.parts)
    upload.state = TusUpload.State.DONE if entry is not None else TusUpload.State.REFUSED
    upload.entry = entry
    upload.refusal = refusal[:300]
    upload.save(update_fields=["state", "entry", "refusal"])
    return Completion(upload, size, now=True)


def _submit(upload: TusUpload, device: str) -> tuple[Entry, tuple[int, int]]:
    contest = upload.contest
    form = EntryDetailsForm(details_data(upload.metadata), contest=contest)
    if not form.is_valid():
        first = next(iter(form.errors.values()))
        raise EntryRefused(str(first[0]))
    name = (upload.metadata.get("filename") or "photo")[:255]
    storage = parts_storage()
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as handle:
        for part in upload.parts:
            with storage.open(part, "rb") as source:
                shutil.copyfileobj(source, handle)
        if handle.tell() != upload.length:  # a piece lost in storage
            raise EntryRefused(str(REJECTION_MESSAGES["corrupt"]))
        photo = File(handle, name=name)
        try:
            info = imaging.inspect_upload(photo, size=upload.length, policy=upload_policy())
        except imaging.ImageRejected as exc:
            raise EntryRefused(_refusal(exc)) from None
        draft = EntryDraft(
            upload=photo,
            info=info,
            title=form.cleaned_data["title"],
            caption=form.cleaned_data["caption"],
            theme=form.cleaned_data.get("theme"),
            line=form.cleaned_data.get("line"),
            stop=form.cleaned_data.get("stop"),
        )
        (entry,) = entry_submit(
            contest=contest, participant=upload.participant, drafts=[draft], device=device
        )
    return entry, (info.width, info.height)


def details_data(metadata: dict[str, str]) -> dict[str, Any]:
    """The entry form's fields from an upload's metadata (the rest, filename, is ignored)."""
    fields = ("title", "caption", "theme", "line", "stop", "stop_id")
    return {name: metadata[name] for name in fields if name in metadata}


def tus_upload_delete(*, upload: TusUpload) -> None:
    """Termination, or expiry: the pieces and the row go."""
    _delete_parts(upload.file_key, upload.parts)
    TusUpload.objects.filter(pk=upload.pk).delete()


def tus_uploads_sweep(*, now: datetime | None = None) -> int:
    """Removes the uploads past their expiry (pieces and rows), and pieces left without a
    row (a crash between the two); returns how many uploads were removed.

    One being completed right now is left alone: its request deletes its own file.
    """
    now = now or timezone.now()
    expired = TusUpload.objects.filter(expires_at__lte=now).exclude(
        state=TusUpload.State.COMPLETING
    )
    removed = 0
    for upload in expired.iterator():
        tus_upload_delete(upload=upload)
        removed += 1
    # A stuck claim (its process died mid-check) goes once well past its expiry.
    stuck = TusUpload.objects.filter(
        state=TusUpload.State.COMPLETING, expires_at__lte=now - settings.TUS_UPLOAD_EXPIRY
    )
    for upload in stuck.iterator():
        tus_upload_delete(upload=upload)
        removed += 1
    # Folders of pieces without a row (a crash between the two), once as old as an expiry.
    storage = parts_storage()
    try:
        folders, _files = storage.listdir(PARTS_DIR)
    except FileNotFoundError:
        folders = []
    known = set(TusUpload.objects.values_list("file_key", flat=True))
    for folder in (posixpath.join(PARTS_DIR, name) for name in folders):
        if folder in known:
            continue
        _directories, files = storage.listdir(folder)
        times = [storage.get_modified_time(posixpath.join(folder, name)) for name in files]
        if all(time <= now - settings.TUS_UPLOAD_EXPIRY for time in times):
            _delete_parts(folder)
    return removed
