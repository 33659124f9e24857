"""The operator's Facebook Page and Instagram account, and the queue of posts to them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SocialAccount(models.Model):
    """A Facebook Page and the Instagram professional account linked to it, with a Page
    access token (stored encrypted: social.crypto). Entered in the admin."""

    name = models.CharField(_("name"), max_length=80)
    facebook_page_id = models.CharField(_("Facebook Page id"), max_length=40, blank=True)
    instagram_user_id = models.CharField(
        _("Instagram professional account id"), max_length=40, blank=True
    )
    token_encrypted = models.TextField(editable=False, blank=True)
    # The last characters only, so staff can tell two tokens apart without seeing one.
    token_hint = models.CharField(_("token"), max_length=8, blank=True, editable=False)
    token_expires_at = models.DateTimeField(
        _("token expires at"),
        null=True,
        blank=True,
        help_text=_("As shown by Meta's access token debugger; empty if it never expires."),
    )
    # Set when the API answered that the token expired or was revoked (code 190).
    token_rejected_at = models.DateTimeField(
        _("token refused by Meta at"), null=True, blank=True, editable=False
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("social media account")
        verbose_name_plural = _("social media accounts")
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.name


class SocialPost(models.Model):
    """A photo to post, or posted, on one network.

    scheduled → publishing (claimed by one worker) → posted | failed; a post waiting for a
    retry or for Instagram's daily limit is scheduled again with a later `next_attempt_at`.
    Once the photo or its social use is withdrawn: cancelled (never posted), deleted (taken
    down through the API) or remove_by_hand (Instagram: the API cannot delete media).
    """

    class Network(models.TextChoices):
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"

    class Crop(models.TextChoices):
        SQUARE = "carre", _("Square (1:1)")
        PORTRAIT = "portrait", _("Portrait (4:5)")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("social post", "Scheduled")
        PUBLISHING = "publishing", pgettext_lazy("social post", "Publishing")
        POSTED = "posted", pgettext_lazy("social post", "Posted")
        FAILED = "failed", pgettext_lazy("social post", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("social post", "Cancelled")
        DELETED = "deleted", pgettext_lazy("social post", "Deleted from the network")
        REMOVE_BY_HAND = "remove_by_hand", pgettext_lazy("social post", "To delete by hand")

    entry = models.ForeignKey(
        "contest.Entry", on_delete=models.CASCADE, related_name="social_posts"
    )
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="posts")
    network = models.CharField(_("network"), max_length=10, choices=Network.choices)
    caption = models.TextField(_("caption"))
    crop = models.CharField(_("crop"), max_length=10, choices=Crop.choices)
    scheduled_at = models.DateTimeField(_("scheduled for"))
    # When the worker may try next: scheduled_at, then later after a retryable error.
    next_attempt_at = models.DateTimeField(db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The crop in media storage under an unguessable name: the public URL the networks
    # fetch the image from. Deleted with the post's take-down.
    image_name = models.CharField(max_length=200, blank=True, editable=False)
    container_id = models.CharField(_("Instagram container id"), max_length=40, blank=True)
    remote_id = models.CharField(_("post id on the network"), max_length=80, blank=True)
    permalink = models.URLField(_("link to the post"), max_length=300, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    scheduled_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    # Set when the photo or its social use was withdrawn: the post must come down.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("social media post")
        verbose_name_plural = _("social media posts")
        ordering = ("-scheduled_at", "-id")
        constraints = [
            # A photo waits, or is live, once per network: a double click schedules once.
            models.UniqueConstraint(
                fields=("entry", "network"),
                condition=models.Q(state__in=("scheduled", "publishing", "posted")),
                name="social_post_once_per_network",
            )
        ]
        indexes = [models.Index(fields=("state", "next_attempt_at"), name="social_post_due")]

    def __str__(self) -> str:
        return f"{self.network} {self.entry_id} {self.state}"


class HashtagSource(models.Model):
    """The contest's campaign hashtag on Instagram, with its id once searched: Instagram
    allows an account 30 distinct hashtag searches a rolling week, so each is searched once."""

    contest = models.OneToOneField(
        "contest.Contest", on_delete=models.CASCADE, related_name="hashtag_source"
    )
    hashtag = models.CharField(_("hashtag"), max_length=100)
    hashtag_id = models.CharField(max_length=40, blank=True)
    searched_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("campaign hashtag")
        verbose_name_plural = _("campaign hashtags")

    def __str__(self) -> str:
        return self.hashtag


class HashtagCandidate(models.Model):
    """A public Instagram post found under the campaign's hashtag. Shown to marketing only,
    never publicly: it becomes an entry once its author claims it (signs in, accepts the
    rules and uses, names their Instagram account) and the claim is verified, then goes
    through moderation like any upload.

    new → awaiting (a claim is open: being checked, verified, or its image failed) →
    claimed (the entry is made); a claim refused or closed (image unavailable) puts it back to new.
    """

    class State(models.TextChoices):
        NEW = "new", pgettext_lazy("hashtag post", "New")
        AWAITING = "awaiting", pgettext_lazy("hashtag post", "Claim being checked")
        CLAIMED = "claimed", pgettext_lazy("hashtag post", "Claimed")
        DISMISSED = "dismissed", pgettext_lazy("hashtag post", "Dismissed")

    contest = models.ForeignKey(
        "contest.Contest", on_delete=models.CASCADE, related_name="hashtag_candidates"
    )
    media_id = models.CharField(max_length=40)
    media_type = models.CharField(max_length=20, blank=True)
    caption = models.TextField(_("caption"), blank=True)
    # Instagram's CDN address of the image, as large as offered; it expires after a while.
    media_url = models.URLField(max_length=1000, blank=True)
    permalink = models.URLField(_("link to the post"), max_length=300, blank=True)
    taken_at = models.DateTimeField(_("posted on Instagram at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    entry = models.OneToOneField(
        "contest.Entry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hashtag_candidate",
    )
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hashtag post")
        verbose_name_plural = _("hashtag posts")
        ordering = ("-taken_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("contest", "media_id"), name="hashtag_candidate_once_per_contest"
            )
        ]

    def __str__(self) -> str:
        return self.permalink or self.media_id


CLAIM_CODE_PREFIX = "COVERLINE"


class HashtagClaim(models.Model):
    """Someone says a hashtag post is theirs, naming their Instagram account.

    Instagram's hashtag search does not say who posted, so a claim is checked before it
    becomes an entry: automatically when the account is a business or creator one (Business
    Discovery lists its media), otherwise by the community manager from the post's page.

    The author's username is printed on the public post, so naming it proves nothing: the
    claim has a random `code` that the claimant adds to the post's caption (or, checked by
    hand, comments under it from the same account); only the post's author can.

    The image is fetched from Instagram's CDN as soon as the claim is recorded (its
    addresses expire within a day) and kept privately (`image_name`) until the entry is made
    or the claim closed; a fetch that fails closes the claim at once: unavailable.

    awaiting → verified (the worker makes the entry) → entered | failed (the stored image
    could not be entered: the community manager may retry) ; awaiting | failed → refused ;
    awaiting | verified → unavailable.
    """

    class State(models.TextChoices):
        AWAITING = "awaiting", pgettext_lazy("hashtag claim", "Awaiting check")
        VERIFIED = "verified", pgettext_lazy("hashtag claim", "Verified, entry being made")
        ENTERED = "entered", pgettext_lazy("hashtag claim", "Entry made")
        FAILED = "failed", pgettext_lazy("hashtag claim", "Image could not be fetched")
        REFUSED = "refused", pgettext_lazy("hashtag claim", "Refused")
        UNAVAILABLE = "unavailable", pgettext_lazy("hashtag claim", "Image unavailable")

    class VerifiedBy(models.TextChoices):
        NONE = "", _("Not verified")
        INSTAGRAM = "instagram", _("Instagram (Business Discovery)")
        STAFF = "staff", _("Community manager")

    candidate = models.ForeignKey(HashtagCandidate, on_delete=models.CASCADE, related_name="claims")
    participant = models.ForeignKey(
        "contest.Participant", on_delete=models.CASCADE, related_name="hashtag_claims"
    )
    handle = models.CharField(_("Instagram username"), max_length=30)
    # The proof of control, without its prefix (shown as COVERLINE-7K3QX9): random, from an
    # alphabet without look-alike characters.
    code = models.CharField(_("code"), max_length=12, blank=True)
    title = models.CharField(_("title"), max_length=80)
    caption = models.CharField(_("description"), max_length=300)
    theme = models.ForeignKey(
        "contest.Theme", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.AWAITING
    )
    # The image fetched at claim time, in the originals storage under claims/ (private);
    # emptied once the file is deleted.
    image_name = models.CharField(max_length=200, blank=True, editable=False)
    # The claimant's "check again" clicks, rate-limited.
    check_asked_at = models.DateTimeField(null=True, blank=True, editable=False)
    checks_asked = models.PositiveSmallIntegerField(default=0, editable=False)
    verified_by = models.CharField(
        _("verified by"), max_length=10, choices=VerifiedBy.choices, blank=True, default=""
    )
    # What the automatic check found ("a personal account", "not among its posts"), for
    # the community manager.
    check_note = models.CharField(_("automatic check"), max_length=500, blank=True)
    checked_at = models.DateTimeField(_("checked automatically at"), null=True, blank=True)
    # Why it was refused or failed, shown to the claimant and the community manager.
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # The upload's advice on the image ("too small to print"), shown to the claimant.
    advice = models.JSONField(default=list, blank=True)
    entry = models.OneToOneField(
        "contest.Entry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hashtag_claim",
    )
    created_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hashtag post claim")
        verbose_name_plural = _("hashtag post claims")
        ordering = ("-created_at", "-id")
        constraints = [
            # One open claim per post: a second claimant is refused even past the
            # candidate's own conditional UPDATE.
            models.UniqueConstraint(
                fields=("candidate",),
                condition=~models.Q(state__in=("refused", "unavailable")),
                name="hashtag_claim_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"@{self.handle} {self.candidate_id} {self.state}"

    @property
    def display_code(self) -> str:
        return f"{CLAIM_CODE_PREFIX}-{self.code}" if self.code else ""


class HashtagClaimEvent(models.Model):
    """The audit log of claims: who confirmed, refused or retried one, when and why (an
    automatic verification is recorded too, with no one as its actor)."""

    class Action(models.TextChoices):
        VERIFIED = "verified", _("Verified by Instagram")
        CONFIRM = "confirm", _("Confirmed by hand")
        REFUSE = "refuse", _("Refused")
        RETRY = "retry", _("Image fetch retried")

    claim = models.ForeignKey(HashtagClaim, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=12)
    to_state = models.CharField(_("to"), max_length=12)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("hashtag claim event")
        verbose_name_plural = _("hashtag claim events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.claim_id} {self.action}"
