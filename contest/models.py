"""Contests, participants, their consent (enrollment) and their entries."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.colour import first_readable, normalise_hex
from core.translated import translated

# The product's own colours (static/css/site.css's --brand and --brand-ink).
DEFAULT_BRAND_COLOURS = ("#0b5c8a", "#ffffff")
LIGHTEST_TEXT_BACKGROUND = "#e6eef3"


class Contest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        JUDGING = "judging", _("Judging")
        RESULTS = "results", _("Results published")
        ARCHIVED = "archived", _("Archived")

    class ExcludedPolicy(models.TextChoices):
        REFUSED = "refused", _("Their photos are refused")
        GALLERY_ONLY = "gallery", _("Gallery only: never for the jury or a cover")

    # The contest's own texts are written per language (title_fr, title_en...), read in the
    # visitor's language, French where the English one was left empty.
    title = translated(models.CharField(_("title"), max_length=120))
    slug = models.SlugField(_("slug"), unique=True)
    pitch = translated(models.TextField(_("pitch"), blank=True))
    rules_text = translated(models.TextField(_("rules")))
    rules_version = models.CharField(
        _("rules version"),
        max_length=20,
        default="1",
        help_text=_("Change it when the rules change: participants accept one version."),
    )
    opens_at = models.DateTimeField(_("entries open"))
    closes_at = models.DateTimeField(_("entries close"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    max_photos_per_participant = models.PositiveSmallIntegerField(
        _("maximum photos per participant"), default=3
    )
    asks_gallery_use = models.BooleanField(_("ask to allow the public gallery"), default=True)
    asks_social_use = models.BooleanField(_("ask to allow social media"), default=True)
    asks_print_use = models.BooleanField(_("ask to allow the printed cover"), default=True)
    prizes = translated(models.TextField(_("prizes"), blank=True))
    before_text = translated(
        models.TextField(_("text before opening"), blank=True),
        help_text=_("Shown until entries open."),
    )
    after_text = translated(
        models.TextField(_("text after closing"), blank=True),
        help_text=_("Shown once entries are closed."),
    )
    # The transit network (a GTFS import) whose lines and stops riders tag their photos with.
    network = models.ForeignKey(
        "transit.Network",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contests",
        verbose_name=_("transit network"),
    )
    votes_open = models.BooleanField(_("public votes open"), default=True)
    show_votes = models.CharField(
        _("show vote counts"),
        max_length=10,
        choices=[("always", _("Always")), ("closed", _("Once entries are closed"))],
        default="closed",
    )
    # The operator's branding on the public pages, the embed and the e-mails (contest.branding
    # prepares the images; the admin form checks the two colours read well together).
    brand_name = models.CharField(
        _("operator's name"),
        max_length=80,
        blank=True,
        help_text=_("Shown in the page header and signs the e-mails, e.g. “Réseau Mistral”."),
    )
    brand_colour = models.CharField(
        _("main colour"),
        max_length=7,
        default=DEFAULT_BRAND_COLOURS[0],
        help_text=_("The header band and the buttons, as #rrggbb."),
    )
    brand_text_colour = models.CharField(
        _("text colour on the main colour"),
        max_length=7,
        default=DEFAULT_BRAND_COLOURS[1],
        help_text=_("Must stay readable on the main colour (contrast of at least 4.5:1)."),
    )
    brand_logo = models.FileField(
        _("logo"),
        upload_to="branding/",
        blank=True,
        help_text=_("PNG (transparent background), JPEG or WebP; scaled to 480 × 96 px."),
    )
    brand_header = models.FileField(
        _("header image"),
        upload_to="branding/",
        blank=True,
        help_text=_("A wide picture for the top of the contest's pages (PNG, JPEG or WebP)."),
    )
    # The phone-sized copy of the header image, and the large one's size (srcset, and no
    # layout shift while it loads).
    brand_header_small = models.FileField(upload_to="branding/", blank=True, editable=False)
    brand_header_width = models.PositiveSmallIntegerField(default=0, editable=False)
    brand_header_height = models.PositiveSmallIntegerField(default=0, editable=False)
    # Bumped whenever a photo enters or leaves the public gallery: cached pages are keyed
    # by it, so a withdrawn photo is never served from a cache.
    gallery_version = models.PositiveIntegerField(default=0)
    # How many entries have been given a "discover" key (contest.shuffle): the serial of the
    # next one. Counted once per entry, whether it stays public or not.
    shuffle_serial = models.PositiveIntegerField(default=0, editable=False)
    # Retention (contest.retention, shown on the rules page): how long the full-size originals
    # are kept once they are of no more use. Renditions are not concerned.
    refused_originals_days = models.PositiveSmallIntegerField(
        _("keep originals of refused photos (days)"),
        default=30,
        help_text=_("Counted from the refusal; the photo itself stays visible to moderators."),
    )
    non_winner_originals_months = models.PositiveSmallIntegerField(
        _("keep originals of photos not chosen for a cover (months)"),
        default=6,
        help_text=_("Counted from the archiving of the contest; the winners' originals stay."),
    )
    # When the contest was first seen archived (stamped by contest.retention): the clock of
    # the non-winners' retention, which the status alone does not date.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)
    # The operator's staff (contest.exclusion): their photos are refused, or shown in the
    # gallery but kept from the jury and the covers. Stored normalised by the admin form.
    excluded_domains = models.TextField(
        _("staff e-mail domains"),
        blank=True,
        help_text=_(
            "One a line or separated by commas, e.g. reseau.example (its subdomains too). "
            "Named on the rules page."
        ),
    )
    excluded_emails = models.TextField(
        _("other excluded addresses"),
        blank=True,
        help_text=_("One a line or separated by commas. Never shown publicly."),
    )
    excluded_policy = models.CharField(
        _("photos from these addresses"),
        max_length=10,
        choices=ExcludedPolicy.choices,
        default=ExcludedPolicy.REFUSED,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ("-opens_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="contest_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def brand_colours(self) -> tuple[str, str]:
        """(main, text on main) as safe #rrggbb for CSS; the product's own where unset or bad."""
        try:
            return normalise_hex(self.brand_colour), normalise_hex(self.brand_text_colour)
        except ValueError:
            return DEFAULT_BRAND_COLOURS

    @property
    def brand_text_colour_on_page(self) -> str:
        """The colour of links and light buttons' text on the light page: the main colour
        when it reads well there (a yellow does not), else its text colour, else ours."""
        main, text = self.brand_colours
        # The darkest light background the site puts such text on (.button.secondary).
        return first_readable([main, text], on=LIGHTEST_TEXT_BACKGROUND) or DEFAULT_BRAND_COLOURS[0]

    @property
    def brand_css_version(self) -> str:
        """A key that changes with the colours; empty when they are the product's own."""
        colours = self.brand_colours
        if colours == DEFAULT_BRAND_COLOURS:
            return ""
        return hashlib.sha256(" ".join(colours).encode()).hexdigest()[:10]

    def is_accepting_entries(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at


class Theme(models.Model):
    """A "mood" riders choose for their photo."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="themes")
    name = translated(models.CharField(_("name"), max_length=60))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ("position", "name_fr")
        constraints = [
            models.UniqueConstraint(fields=("contest", "name_fr"), name="theme_unique_per_contest")
        ]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A rider. They sign in by e-mail link and never have a password."""

    class AgeBracket(models.TextChoices):
        UNDER_15 = "under_15", _("Under 15")
        FROM_15_TO_17 = "15_17", _("15 to 17")
        ADULT = "adult", _("18 or over")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participant"
    )
    credit_name = models.CharField(_("credit name"), max_length=40, blank=True)
    age_bracket = models.CharField(
        _("age bracket"), max_length=10, choices=AgeBracket.choices, blank=True
    )
    parent_email = models.EmailField(_("parent's e-mail"), blank=True)
    parent_confirmed_at = models.DateTimeField(_("parent confirmed at"), null=True, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    # The language of the last sign-in: the participant's e-mails are written in it.
    language = models.CharField(_("language"), max_length=8, default="fr")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return self.credit_name or self.user.email

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def profile_complete(self) -> bool:
        return bool(self.credit_name and self.age_bracket)

    @property
    def needs_parent_confirmation(self) -> bool:
        return self.age_bracket == self.AgeBracket.UNDER_15 and self.parent_confirmed_at is None


class Enrollment(models.Model):
    """A participant's acceptance of a contest's rules and of the uses of their photos."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="enrollments")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="enrollments"
    )
    rules_version = models.CharField(_("rules version accepted"), max_length=20)
    accepted_at = models.DateTimeField(_("accepted at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    allows_gallery = models.BooleanField(_("allows the public gallery"), default=False)
    allows_social = models.BooleanField(_("allows social media"), default=False)
    allows_print = models.BooleanField(_("allows the printed cover"), default=False)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(
                fields=("contest", "participant"), name="enrollment_unique_per_contest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.contest}"


class Entry(models.Model):
    """One photo entered in a contest. The file and its renditions are photos.Photo.

    The moderation state lives here (the queue, the gallery and the jury all filter on it);
    the moderation app alone writes it, with its audit rows.
    """

    class Moderation(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    class Reason(models.TextChoices):
        OFF_TOPIC = "off_topic", _("Off-topic")
        LOW_QUALITY = "low_quality", _("Quality too low")
        PERSON = "person", _("Identifiable person without consent")
        COPYRIGHT = "copyright", _("Copyright doubt")
        OFFENSIVE = "offensive", _("Offensive")
        DUPLICATE = "duplicate", _("Duplicate")
        OTHER = "other", _("Other")

    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="entries")
    photo = models.OneToOneField(
        "photos.Photo", on_delete=models.CASCADE, related_name="entry", verbose_name=_("photo")
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="entries")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    # Where it was taken, from the contest's transit network (optional). Lines and stops
    # are never deleted by an import, only marked inactive: the tag stays.
    line = models.ForeignKey(
        "transit.Line",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("line"),
    )
    stop = models.ForeignKey(
        "transit.Stop",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("stop"),
    )
    title = models.CharField(_("title"), max_length=80)
    caption = models.CharField(
        _("caption"),
        max_length=300,
        help_text=_("Describe the photo: it is read aloud to blind visitors."),
    )
    # Of the file as sent: a participant cannot enter the same bytes twice in a contest.
    sha256 = models.CharField(max_length=64)
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.PENDING
    )
    refusal_code = models.CharField(
        _("refusal reason"), max_length=20, choices=Reason.choices, blank=True
    )
    refusal_reason = models.CharField(_("refusal note"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Bumped by every decision: a decision names the version its moderator saw, so of two
    # moderators deciding at once only the first one's conditional UPDATE matches.
    version = models.PositiveIntegerField(default=0)
    # What the moderator approved: the hash of the renditions they saw. The public gallery
    # shows the photo only while its renditions still have this hash.
    approved_renditions = models.CharField(max_length=64, blank=True)
    report_count = models.PositiveIntegerField(_("public reports"), default=0)
    # A counter of gallery.Vote rows, kept by gallery.services.vote_cast in the vote's own
    # transaction: here so that the "most voted" order is one index scan.
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    # The kind of browser it was sent from, for marketing's figures ("phone", "computer",
    # or "" when unknown): the class only, never the User-Agent itself (contest/devices.py).
    device = models.CharField(_("sent from"), max_length=10, blank=True, default="")
    flagged = models.BooleanField(_("reported since the last decision"), default=False)
    hidden = models.BooleanField(_("hidden after reports"), default=False)
    # Set when the participant withdrew it (contest.rights): its files are deleted and it
    # leaves every public page and the jury, but the row stays for the moderation and jury
    # audit and a printed cover's record.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Its place in the gallery's "discover" order (contest.shuffle), given at its first
    # approval and kept for good; empty until then.
    shuffle_key = models.IntegerField(null=True, blank=True, editable=False)
    # Set by a moderator (moderation.services.entry_mark_identifiable): someone recognisable
    # is in the photo, so it needs their release (contest.releases) before a printed cover.
    needs_release = models.BooleanField(_("identifiable person: release needed"), default=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ("-created_at", "-id")
        permissions = [("moderate_entry", _("Can moderate entries"))]
        constraints = [
            models.UniqueConstraint(
                fields=("contest", "participant", "sha256"), name="entry_photo_unique"
            )
        ]
        indexes = [
            models.Index(fields=("moderation", "created_at", "id"), name="entry_queue"),
            models.Index(fields=("contest", "moderation", "decided_at", "id"), name="entry_public"),
            models.Index(fields=("contest", "moderation", "vote_count", "id"), name="entry_votes"),
            # The "discover" order: a page is a range of keys, read from this index alone.
            models.Index(
                fields=("contest", "shuffle_key"),
                name="entry_discover",
                condition=models.Q(moderation="approved", hidden=False, withdrawn_at=None),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Release(models.Model):
    """The release of a person recognisable in an entry's photo (contest.releases).

    A moderator's mark opens it (requested); the rider names the person, who is e-mailed a
    link (asked; their parent's address for a minor); the person (or parent) confirms or
    refuses on that page. Withdrawing the entry erases the person's name and address.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("To ask for")
        ASKED = "asked", _("Waiting for the person's answer")
        CONFIRMED = "confirmed", _("Confirmed")
        REFUSED = "refused", _("Refused")

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="release")
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    depicted_name = models.CharField(
        _("name of the person in the photo"), max_length=80, blank=True
    )
    depicted_email = models.EmailField(_("their e-mail address"), blank=True)
    # The participants' age brackets: anything but adult is a minor, whose parent answers.
    age_bracket = models.CharField(
        _("their age"), max_length=10, choices=Participant.AgeBracket.choices, blank=True
    )
    parent_name = models.CharField(_("parent's name"), max_length=80, blank=True)
    parent_email = models.EmailField(_("parent's e-mail address"), blank=True)
    # The uses the rider allowed when the link was sent ("gallery,print"): what the page
    # showed and so what a confirmation covers.
    uses = models.CharField(_("uses shown"), max_length=40, blank=True)
    # Bumped at each request: a link names the version it was sent for, so an older link
    # (to a mistyped address) is void once the rider asks again.
    link_version = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(_("asked of the participant at"), auto_now_add=True)
    asked_at = models.DateTimeField(_("link sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.state}"

    @property
    def is_minor(self) -> bool:
        return bool(self.age_bracket) and self.age_bracket != Participant.AgeBracket.ADULT

    @property
    def answer_email(self) -> str:
        """Where the link goes: the person, or their parent for a minor."""
        return self.parent_email if self.is_minor else self.depicted_email


class RightsEvent(models.Model):
    """The audit of what a participant did with their data rights (withdrawals, export,
    erasure). Once the account is deleted, `participant` is cleared and `reference` (the
    same random value on all their rows) is all that links the rows together."""

    class Action(models.TextChoices):
        CONSENT_GIVEN = "consent_given", _("Rules and uses accepted")
        ENTRY_WITHDRAWN = "entry_withdrawn", _("Entry withdrawn")
        USE_WITHDRAWN = "use_withdrawn", _("Use withdrawn")
        DATA_EXPORTED = "data_exported", _("Data downloaded")
        ACCOUNT_DELETED = "account_deleted", _("Account deleted")
        PARENT_WITHDRAWN = "parent_withdrawn", _("Parent's confirmation withdrawn")

    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rights_events",
        verbose_name=_("participant"),
    )
    reference = models.CharField(_("anonymous reference"), max_length=32, blank=True)
    contest = models.ForeignKey(
        Contest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entry = models.ForeignKey(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="rights_events"
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data rights event")
        verbose_name_plural = _("data rights events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RetentionRun(models.Model):
    """One run of contest.retention: when, whether it only looked, and what it removed."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    originals_removed = models.PositiveIntegerField(_("originals removed"), default=0)
    # [{"entry": id, "photo": id, "contest": id, "reason": "refused" | "not_winner",
    #   "file": storage key}, ...]: what was (or, in a dry run, would have been) removed.
    removed = models.JSONField(_("what was removed"), default=list, blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class TusUpload(models.Model):
    """A photo being sent in pieces by the tus protocol (contest.resumable), until it becomes
    an entry or is refused. Its pieces wait in the originals storage, in `parts` order."""

    class State(models.TextChoices):
        RECEIVING = "receiving", _("receiving the photo")
        COMPLETING = "completing", _("checking the photo")
        DONE = "done", _("entry made")
        REFUSED = "refused", _("photo refused")

    id = models.UUIDField(primary_key=True)
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    length = models.PositiveBigIntegerField(_("length"))
    offset = models.PositiveBigIntegerField(_("bytes received"), default=0)
    # The entry's fields, from the tus Upload-Metadata: filename, title, caption, theme, line,
    # stop (ids as strings).
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # The folder of its pieces in the originals storage, and their names in order.
    file_key = models.CharField(_("temporary folder"), max_length=100)
    parts = models.JSONField(_("pieces"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.RECEIVING
    )
    entry = models.ForeignKey(
        Entry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The refusal as the rider was told it, in their language at the time.
    refusal = models.CharField(_("refusal"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("resumable upload")
        verbose_name_plural = _("resumable uploads")

    def __str__(self) -> str:
        return f"{self.id} ({self.offset}/{self.length})"
