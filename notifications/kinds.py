"""What kind of mail each template sends, and which kinds always go (no opt-out)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    name: str
    label: str | Promise
    # Essential mail is what a person asked for to get in (a sign-in link, a parent's
    # confirmation): it always goes and offers no opt-out, which would lock them out.
    essential: bool = False


KINDS: dict[str, Kind] = {
    "contest/email/signin": Kind("signin", _("sign-in links"), essential=True),
    "contest/email/parent": Kind("parent", _("parental confirmations"), essential=True),
    # A participant's own request about their data (withdraw, erase): they asked for it.
    "contest/email/rights": Kind("rights", _("data request confirmations"), essential=True),
    "jury/email/invitation": Kind("jury_invitation", _("jury sign-in links"), essential=True),
    "jury/email/reminder": Kind("jury_reminder", _("jury reminders")),
    "moderation/email/approved": Kind("decision", _("news of the photos you sent")),
    "moderation/email/refused": Kind("decision", _("news of the photos you sent")),
    # What became of a rider's claim of their Instagram post: news of a photo they sent.
    "social/email/claim_entered": Kind("decision", _("news of the photos you sent")),
    "social/email/claim_refused": Kind("decision", _("news of the photos you sent")),
    # About the rider's own photo, like a decision; the person in it may opt out of requests.
    "contest/email/release_needed": Kind("release_needed", _("requests for a release")),
    "contest/email/release": Kind("release", _("requests to confirm a photo release")),
    "moderation/email/report_answer": Kind("report_answer", _("answers to your reports")),
    "moderation/email/digest": Kind("digest", _("the moderators' digest")),
    "covers/email/proof": Kind("cover_proof", _("cover credit checks")),
    "covers/email/results": Kind("results", _("contest results")),
}
# The kinds one may opt out of, with what the opt-out page calls them.
LABELS: dict[str, str | Promise] = {
    kind.name: kind.label for kind in KINDS.values() if not kind.essential
}


def kind_of(template: str) -> Kind:
    """The kind of `template`'s mail; an unknown template is its own, non-essential kind."""
    return KINDS.get(template) or Kind(template, template)
