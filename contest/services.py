"""Writes for contests, participants, their consent and their entries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.core import signing
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from sesame.utils import get_query_string, get_user

from contest import shuffle
from contest.exclusion import STAFF_REFUSED, entry_refused_as_staff
from contest.models import Contest, Enrollment, Entry, Participant, RightsEvent, Theme
from contest.selectors import entries_counted, signin_link_lifetime
from core.errors import ApplicationError
from core.ratelimit import Limit, RateLimited, address_key, email_key, person_key, rate_limit
from notifications.services import fingerprint, message_queue
from photos import imaging
from photos.services import photo_create, photo_delete_original
from transit.models import Line, Stop
from transit.selectors import line_serves

PARENT_SALT = "coverline.parent-confirmation"
PARENT_LINK_MAX_AGE = 14 * 24 * 3600


class SignInRateLimited(RateLimited):
    """Too many sign-in links asked for one e-mail address or from one network address."""

    reason = gettext_lazy("Too many links were asked for: use the last one sent.")


class UploadRateLimited(RateLimited):
    """Too many uploads from one participant or one network address this hour."""

    reason = gettext_lazy("Too many uploads in a short time.")


class EntryRefused(ApplicationError):
    """An entry breaks a contest rule. `index` is the photo's position among the drafts, or
    None; `field` the form field the message belongs next to."""

    def __init__(self, message: str, index: int | None = None, field: str = "photo") -> None:
        super().__init__(message)
        self.index = index
        self.field = field


@dataclass(frozen=True)
class EntryDraft:
    upload: File
    info: imaging.UploadInfo
    title: str
    caption: str
    theme: Theme | None
    line: Line | None = None
    stop: Stop | None = None


def participant_request_signin(
    *,
    email: str,
    next_url: str,
    ip_address: str | None,
    language: str,
    base_url: str,
    for_vote: bool = False,
) -> None:
    """E-mails a sign-in link; creates the participant on first request.

    `base_url` is the site's address as the visitor reached it (scheme, host and port): the
    link must lead back to the server that sent it, whatever its port. `for_vote`: asked for
    by a vote button, so the e-mail says it confirms a vote rather than an entry.
    """
    email = email.strip().lower()
    rate_limit(
        Limit(email_key("signin", email), settings.SIGNIN_RATE_PER_HOUR),
        Limit(address_key("signin", ip_address), settings.SIGNIN_RATE_PER_HOUR_PER_ADDRESS),
        error=SignInRateLimited,
    )
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Participant.objects.get_or_create(user=user)
    link = (
        base_url.rstrip("/")
        + reverse("contest:signin_link")
        + get_query_string(user)
        + "&"
        + urlencode({"suite": next_url})
    )
    message_queue(
        key=f"signin:{user.pk}:{fingerprint(link)}",
        to=email,
        template="contest/email/signin",
        context={"link": link, "for_vote": for_vote, **signin_link_lifetime()},
        language=language,
    )


def participant_use_signin_link(*, token: str) -> User | None:
    """The user a sign-in link is for, once: using it voids it and every earlier link.

    None when the token is forged, expired, already used, or its rider signed out since.
    The caller logs the user in.
    """
    user = get_user(token, update_last_login=False)
    if user is None:
        return None
    # The token signs last_login (SESAME_ONE_TIME): moving it voids the token. Conditional,
    # so of two posts racing with one link (a double tap), only one signs in.
    now = timezone.now()
    claimed = (
        get_user_model()
        .objects.filter(pk=user.pk, last_login=user.last_login)
        .update(last_login=now)
    )
    if not claimed:
        return None
    user.last_login = now
    participant_verify_email(user=user)
    return user


def participant_revoke_signin_links(*, user: AbstractBaseUser) -> None:
    """Voids the sign-in links sent to the user and not used yet: they signed out."""
    # The tokens sign last_login (SESAME_ONE_TIME), so moving it is what voids them; it then
    # reads "last signed in or out". The sessions on other devices are left alone.
    get_user_model().objects.filter(pk=user.pk).update(last_login=timezone.now())


def participant_verify_email(*, user: AbstractBaseUser) -> Participant:
    """The participant followed a sign-in link: their address is proven."""
    participant, _created = Participant.objects.get_or_create(user=user)
    if participant.email_verified_at is None:
        Participant.objects.filter(pk=participant.pk, email_verified_at=None).update(
            email_verified_at=timezone.now()
        )
        participant.refresh_from_db()
    return participant


def participant_update_profile(
    *,
    participant: Participant,
    credit_name: str,
    age_bracket: str,
    parent_email: str,
    language: str,
    base_url: str,
) -> Participant:
    """Saves the credit name and age bracket; under 15, asks the parent to confirm by link."""
    parent_email = parent_email.strip().lower()
    under_15 = age_bracket == Participant.AgeBracket.UNDER_15
    parent_changed = under_15 and parent_email != participant.parent_email
    participant.credit_name = credit_name.strip()
    participant.age_bracket = age_bracket
    participant.parent_email = parent_email if under_15 else ""
    if parent_changed or not under_15:
        participant.parent_confirmed_at = None
    participant.save(
        update_fields=["credit_name", "age_bracket", "parent_email", "parent_confirmed_at"]
    )
    if parent_changed:
        participant_send_parent_request(
            participant=participant, language=language, base_url=base_url
        )
    return participant


def participant_send_parent_request(
    *, participant: Participant, language: str, base_url: str
) -> None:
    """E-mails the parent a consent link on `base_url` (the site as the child reached it)."""
    token = signing.dumps(
        {"p": participant.pk, "e": participant.parent_email}, salt=PARENT_SALT, compress=True
    )
    message_queue(
        key=f"parent:{participant.pk}:{fingerprint(token)}",
        to=participant.parent_email,
        template="contest/email/parent",
        context={
            "child_email": participant.email,
            "credit_name": participant.credit_name,
            "link": base_url.rstrip("/") + reverse("contest:parent_confirm", args=[token]),
            "days": PARENT_LINK_MAX_AGE // 86400,
        },
        language=language,
    )


def participant_parent_from_token(*, token: str) -> Participant | None:
    """The participant a parent link is for, or None if it is forged, expired or outdated."""
    try:
        data = signing.loads(token, salt=PARENT_SALT, max_age=PARENT_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    participant = Participant.objects.select_related("user").filter(pk=data.get("p")).first()
    # A link for an address the child has since replaced is void.
    if participant is None or participant.parent_email != data.get("e"):
        return None
    return participant


def participant_confirm_parent(*, token: str) -> Participant | None:
    participant = participant_parent_from_token(token=token)
    if participant is not None and participant.parent_confirmed_at is None:
        Participant.objects.filter(pk=participant.pk, parent_confirmed_at=None).update(
            parent_confirmed_at=timezone.now()
        )
        participant.refresh_from_db()
    return participant


def enrollment_accept(
    *,
    contest: Contest,
    participant: Participant,
    allows_gallery: bool,
    allows_social: bool,
    allows_print: bool,
    ip_address: str | None,
) -> Enrollment:
    """Records which rules version was accepted, when, from where, and which uses are allowed."""
    enrollment, _created = Enrollment.objects.update_or_create(
        contest=contest,
        participant=participant,
        defaults={
            "rules_version": contest.rules_version,
            "accepted_at": timezone.now(),
            "ip_address": ip_address,
            "allows_gallery": allows_gallery and contest.asks_gallery_use,
            "allows_social": allows_social and contest.asks_social_use,
            "allows_print": allows_print and contest.asks_print_use,
        },
    )
    # The consent's history, for the participant's download (contest.rights).
    allowed = [
        use for use in ("gallery", "social", "print") if getattr(enrollment, f"allows_{use}")
    ]
    RightsEvent.objects.create(
        action=RightsEvent.Action.CONSENT_GIVEN,
        participant=participant,
        contest=contest,
        detail=f"rules {enrollment.rules_version}; uses: {', '.join(allowed) or 'none'}",
    )
    return enrollment


def _check_room(*, contest: Contest, sent: int, more: int) -> None:
    """Raises EntryRefused when `more` photos would go over the contest's limit."""
    remaining = contest.max_photos_per_participant - sent
    if more <= remaining:
        return
    if remaining <= 0:
        raise EntryRefused(_("You have already sent all the photos this contest allows."))
    raise EntryRefused(
        ngettext(
            "You can send only %(n)s more photo to this contest.",
            "You can send only %(n)s more photos to this contest.",
            remaining,
        )
        % {"n": remaining}
    )


# Advice for a rider about a photo just received (not a refusal): the covers app, higher in
# the stack, registers whether a photo of this size can become one of the contest's covers.
UploadAdvice = Callable[[int, tuple[int, int]], str | None]
_upload_advisers: list[UploadAdvice] = []


def on_upload_advice(adviser: UploadAdvice) -> UploadAdvice:
    """Registers `adviser(contest_id, (width, height))`, asked after each accepted upload."""
    if adviser not in _upload_advisers:
        _upload_advisers.append(adviser)
    return adviser


def upload_advice(*, contest_id: int, size: tuple[int, int]) -> list[str]:
    """What the registered advisers have to say about a photo of `size` (upright pixels)."""
    return [text for adviser in _upload_advisers if (text := adviser(contest_id, size))]


def entry_place_check(
    *,
    contest: Contest,
    line: Line | None,
    stop: Stop | None,
    index: int | None = None,
    kept: tuple[int | None, int | None] = (None, None),
) -> None:
    """Raises EntryRefused unless the line and stop are the contest network's own, and the
    line calls at the stop (when the feed says which stops it serves). The riders' rule, and
    the moderators' when they correct a place (moderation.services.entry_place_correct).

    `kept`: the entry's current line and stop ids, which stay allowed once a newer feed
    has made them inactive (the entry keeps its tag).
    """
    kept_line, kept_stop = kept
    if line is not None and (
        line.network_id != contest.network_id or (not line.active and line.pk != kept_line)
    ):
        raise EntryRefused(
            _("Choose one of the lines of this contest's network."), index, field="line"
        )
    if stop is not None and (
        stop.network_id != contest.network_id or (not stop.active and stop.pk != kept_stop)
    ):
        raise EntryRefused(
            _("Choose one of the stops of this contest's network."), index, field="stop"
        )
    if line is not None and stop is not None and line_serves(line=line, stop=stop) is False:
        raise EntryRefused(
            _("Line %(line)s does not stop at “%(stop)s”: choose another stop or another line.")
            % {"line": line.short_name or line.long_name, "stop": stop.name},
            index,
            field="stop",
        )


def entry_update_place(
    *, entry: Entry, participant: Participant, line: Line | None, stop: Stop | None
) -> Entry:
    """Sets or changes where the rider's photo was taken, until it is moderated.

    Raises EntryRefused for a line or stop not of the contest's network, or not consistent,
    and once a moderator has decided: the conditional UPDATE below loses to a decision
    made in between, rather than overwriting what the moderator saw.
    """
    if entry.participant_id != participant.pk:
        raise EntryRefused(_("This photo is not yours."))
    entry_place_check(
        contest=entry.contest, line=line, stop=stop, kept=(entry.line_id, entry.stop_id)
    )
    # Not a decision: the entry's version (the moderators' guard) is left as it is.
    updated = Entry.objects.filter(
        pk=entry.pk, participant=participant, moderation=Entry.Moderation.PENDING
    ).update(line=line, stop=stop)
    if not updated:
        raise EntryRefused(
            _("This photo has been moderated: its line and stop can no longer be changed.")
        )
    entry.line, entry.stop = line, stop
    return entry


def _check_drafts(*, contest: Contest, drafts: Sequence[EntryDraft], hashes: list[str]) -> None:
    """The checks of one post that need no lock: each photo once, each place consistent."""
    for index, (draft, digest) in enumerate(zip(drafts, hashes, strict=True)):
        if digest in hashes[:index]:
            raise EntryRefused(_("You chose the same photo twice."), index)
        entry_place_check(contest=contest, line=draft.line, stop=draft.stop, index=index)


def entry_upload_count(*, participant: Participant, ip_address: str | None) -> None:
    """Counts one upload against UPLOADS_PER_HOUR (the participant's) and
    UPLOADS_PER_HOUR_PER_ADDRESS; raises UploadRateLimited past either.

    Called before the photos are read: a refused upload is neither decoded nor stored. Every
    post counts, one refused by a contest rule too, since each costs as much to receive.
    """
    rate_limit(
        Limit(person_key("upload", participant.user_id), settings.UPLOADS_PER_HOUR),
        Limit(address_key("upload", ip_address), settings.UPLOADS_PER_HOUR_PER_ADDRESS),
        error=UploadRateLimited,
    )


def entry_submit(
    *,
    contest: Contest,
    participant: Participant,
    drafts: Sequence[EntryDraft],
    device: str = "",
) -> list[Entry]:
    """Stores the photos and enqueues their processing; all of them or none.

    Raises EntryRefused when a contest rule is broken; nothing is then stored.
    """
    if not contest.is_accepting_entries():
        raise EntryRefused(_("This contest is not taking entries at the moment."))
    if not participant.profile_complete or participant.needs_parent_confirmation:
        raise EntryRefused(_("Your profile is not complete yet."))
    if entry_refused_as_staff(contest=contest, email=participant.email):
        raise EntryRefused(str(STAFF_REFUSED))
    hashes = [imaging.sha256_of(draft.upload) for draft in drafts]
    _check_drafts(contest=contest, drafts=drafts, hashes=hashes)

    stored: list[str] = []
    try:
        with transaction.atomic():
            # Locking the enrollment row serialises one participant's concurrent posts, so
            # two tabs cannot together go over the contest's limit.
            enrollment = (
                Enrollment.objects.select_for_update()
                .filter(contest=contest, participant=participant)
                .first()
            )
            if enrollment is None or enrollment.rules_version != contest.rules_version:
                raise EntryRefused(_("Please accept the contest rules first."))
            # Refused and failed photos free their place, but the same bytes are never
            # entered twice, refused or not.
            sent = entries_counted(contest=contest, participant=participant).count()
            _check_room(contest=contest, sent=sent, more=len(drafts))
            already = Entry.objects.filter(contest=contest, participant=participant)
            known = set(already.filter(sha256__in=hashes).values_list("sha256", flat=True))
            entries = []
            for index, (draft, digest) in enumerate(zip(drafts, hashes, strict=True)):
                if digest in known:
                    raise EntryRefused(_("You have already sent this photo."), index)
                if draft.theme is not None and draft.theme.contest_id != contest.pk:
                    raise EntryRefused(_("Choose one of this contest's themes."), index)
                photo = photo_create(upload=draft.upload, info=draft.info)
                stored.append(photo.original)
                try:
                    with transaction.atomic():
                        entry = Entry.objects.create(
                            contest=contest,
                            participant=participant,
                            photo=photo,
                            theme=draft.theme,
                            line=draft.line,
                            stop=draft.stop,
                            title=draft.title.strip(),
                            caption=draft.caption.strip(),
                            sha256=digest,
                            device=device,
                        )
                except IntegrityError:  # the same photo in a racing request
                    raise EntryRefused(_("You have already sent this photo."), index) from None
                entries.append(entry)
    except BaseException:
        # The rows were rolled back; the files are not transactional, so remove them too.
        # Only failures inside the transaction come here: the processing jobs are enqueued
        # after commit, and a broker error there is logged, not raised (core.tasks).
        for name in stored:
            photo_delete_original(name=name)
        raise
    return entries


def contest_gallery_changed(*, contest_id: int) -> None:
    """A photo entered or left the public gallery: every cached gallery page is stale."""
    Contest.objects.filter(pk=contest_id).update(gallery_version=F("gallery_version") + 1)


def entry_shuffle_key_give(*, entry_id: int, contest_id: int) -> None:
    """Gives an approved entry its place in the gallery's "discover" order (contest.shuffle),
    the next of its contest's serials; once: an entry approved again keeps its place."""
    with transaction.atomic():
        if not Entry.objects.filter(pk=entry_id, shuffle_key=None).exists():
            return
        # The UPDATE locks the contest's row until the end of the transaction: two approvals
        # at once get consecutive serials, never the same one.
        Contest.objects.filter(pk=contest_id).update(shuffle_serial=F("shuffle_serial") + 1)
        serial = Contest.objects.values_list("shuffle_serial", flat=True).get(pk=contest_id)
        Entry.objects.filter(pk=entry_id, shuffle_key=None).update(
            shuffle_key=shuffle.shuffle_key(serial)
        )


def entry_photo_ready(photo_id: int) -> None:
    """Hook of the photo worker: an approved photo's remade renditions are not what its
    approval covers (it leaves the gallery), so cached gallery pages must not outlive them.

    Only then: a photo awaiting moderation is on no public page before or after, and
    bumping the version for each one would leave the gallery uncached throughout an upload
    burst. "My photos", which shows it becoming ready, is never cached.
    """
    contest_id = Entry.objects.filter(
        photo_id=photo_id, moderation=Entry.Moderation.APPROVED
    ).values_list("contest_id", flat=True)
    Contest.objects.filter(pk__in=contest_id).update(gallery_version=F("gallery_version") + 1)
