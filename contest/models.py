"""Contests, participants, their consent (enrollment) and their entries."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Contest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        JUDGING = "judging", _("Judging")
        RESULTS = "results", _("Results published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    pitch = models.TextField(_("pitch"), blank=True)
    rules_text = models.TextField(_("rules"))
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
    prizes = models.TextField(_("prizes"), blank=True)
    before_text = models.TextField(
        _("text before opening"), blank=True, help_text=_("Shown until entries open.")
    )
    after_text = models.TextField(
        _("text after closing"), blank=True, help_text=_("Shown once entries are closed.")
    )
    votes_open = models.BooleanField(_("public votes open"), default=True)
    show_votes = models.CharField(
        _("show vote counts"),
        max_length=10,
        choices=[("always", _("Always")), ("closed", _("Once entries are closed"))],
        default="closed",
    )
    # Bumped whenever a photo enters or leaves the public gallery: cached pages are keyed
    # by it, so a withdrawn photo is never served from a cache.
    gallery_version = models.PositiveIntegerField(default=0)
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

    def is_accepting_entries(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at


class Theme(models.Model):
    """A "mood" riders choose for their photo."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ("position", "name")
        constraints = [
            models.UniqueConstraint(fields=("contest", "name"), name="theme_unique_per_contest")
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
    """One photo entered in a contest. The file and its renditions are gallery.Photo."""

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
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="entries")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
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
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    flagged = models.BooleanField(_("reported since the last decision"), default=False)
    hidden = models.BooleanField(_("hidden after reports"), default=False)
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
        ]

    def __str__(self) -> str:
        return self.title


class ModerationEvent(models.Model):
    """The audit log: every decision on an entry, by whom, when, why, from which state."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REFUSE = "refuse", _("Refused")
        UNDO = "undo", _("Decision undone")
        ROTATE = "rotate", _("Rotated")
        REPORTED = "reported", _("Reported by the public")
        HIDE = "hide", _("Hidden after reports")

    class Email(models.TextChoices):
        NONE = "", _("No e-mail")
        PENDING = "pending", _("To send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=10)
    to_state = models.CharField(_("to"), max_length=10)
    reason = models.CharField(_("reason"), max_length=20, choices=Entry.Reason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    email = models.CharField(max_length=10, choices=Email.choices, blank=True, default="")
    email_sent_at = models.DateTimeField(null=True, blank=True)
    # The entry's report flags before this decision, so that an undo can put them back.
    was_flagged = models.BooleanField(default=False)
    was_hidden = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.action}"


class EntryReport(models.Model):
    """A visitor's "report this photo"."""

    class Reason(models.TextChoices):
        INAPPROPRIATE = "inappropriate", _("Shocking or inappropriate")
        ME = "me", _("I am in this photo and did not agree")
        COPYRIGHT = "copyright", _("This photo is mine, or someone else's work")
        OTHER = "other", _("Something else")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    message = models.TextField(_("message"), blank=True, max_length=1000)
    email = models.EmailField(_("e-mail"), blank=True)
    # A keyed hash, not the address: enough to spot a burst, nothing more kept.
    ip_hash = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # When the reporter was told the moderators' decision (only if they left an e-mail).
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.entry_id} {self.reason}"


class DuplicateMatch(models.Model):
    """Two entries whose photos look alike (perceptual-hash distance under a threshold)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="duplicate_matches")
    other = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    distance = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("entry", "other"), name="duplicate_match_unique")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} ~ {self.other_id} ({self.distance})"


class ModerationDigest(models.Model):
    """One row per digest sent to moderators: the unique period makes it sent once."""

    period = models.CharField(max_length=20, unique=True)
    waiting = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.period
