"""Staff exclusion: the operator's staff (e-mail domains and single addresses a contest lists)
either may not enter, or may enter for the public gallery only, never for the jury's rounds
or a printed cover.

Read from the participant's address when asked, never stamped on the entry: a domain added
after the first entries still keeps them from the jury. The jury's own "staff domain"
(jury.Panel) is a different rule, about which jurors judge which photos; both share the
domain parsing below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from contest.models import Contest, Entry
from contest.selectors import entries_public

# Lists are short (a few domains, a few addresses): a cap keeps a pasted address book out.
MAX_ITEMS = 200
_SEPARATORS = re.compile(r"[\s,;]+")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")

STAFF_REFUSED = _(
    "This contest does not accept photos from the operator's staff, and your e-mail "
    "address is one of theirs."
)


class ExclusionListError(ValueError):
    """A list item that is not a domain (or an address): `item` is what was typed."""

    def __init__(self, item: str) -> None:
        super().__init__(item)
        self.item = item


def normalise_domain(value: str) -> str:
    """ "@Reseau.Example " -> "reseau.example"; raises ExclusionListError if not a domain."""
    domain = value.strip().lower().lstrip("@").rstrip(".")
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ExclusionListError(value.strip())
    return domain


def normalise_email(value: str) -> str:
    """ " Jean@Reseau.Example" -> "jean@reseau.example"; raises ExclusionListError otherwise."""
    local, at, domain = value.strip().lower().rpartition("@")
    if not at or not _LOCAL.match(local):
        raise ExclusionListError(value.strip())
    try:
        return f"{local}@{normalise_domain(domain)}"
    except ExclusionListError:
        raise ExclusionListError(value.strip()) from None


def _items(text: str) -> list[str]:
    return [item for item in _SEPARATORS.split(text or "") if item]


def parse_domains(text: str) -> list[str]:
    """The domains of a list typed one a line or comma-separated: lower case, once each."""
    return list(dict.fromkeys(normalise_domain(item) for item in _items(text)))


def parse_emails(text: str) -> list[str]:
    """The addresses of a list typed one a line or comma-separated: lower case, once each."""
    return list(dict.fromkeys(normalise_email(item) for item in _items(text)))


def _stored(text: str, parse: Callable[[str], str]) -> list[str]:
    # Stored lists were normalised by the admin form; one typed some other way (a shell, a
    # fixture) is read leniently rather than failing a rider's upload.
    found = []
    for item in _items(text):
        try:
            found.append(parse(item))
        except ExclusionListError:
            continue
    return found


@dataclass(frozen=True)
class Exclusion:
    """A contest's staff list, as read for a check."""

    domains: tuple[str, ...]
    emails: tuple[str, ...]
    policy: str

    @property
    def active(self) -> bool:
        return bool(self.domains or self.emails)

    def matches(self, email: str) -> bool:
        """Whether the address is on the list: one of its addresses, or at one of its
        domains or their subdomains (staff.reseau.example is reseau.example's staff)."""
        email = email.strip().lower()
        domain = email.rpartition("@")[2]
        if email in self.emails:
            return True
        return any(domain == d or domain.endswith("." + d) for d in self.domains)

    def query(self, prefix: str = "participant__user__email") -> Q:
        """The same test as a filter on entries (or on whatever `prefix` leads from)."""
        q = Q(pk__in=[])
        for email in self.emails:
            q |= Q(**{f"{prefix}__iexact": email})
        for domain in self.domains:
            q |= Q(**{f"{prefix}__iendswith": "@" + domain})
            q |= Q(**{f"{prefix}__iendswith": "." + domain})
        return q


def exclusion_of(contest: Contest) -> Exclusion:
    return Exclusion(
        domains=tuple(_stored(contest.excluded_domains, normalise_domain)),
        emails=tuple(_stored(contest.excluded_emails, normalise_email)),
        policy=contest.excluded_policy,
    )


def entry_refused_as_staff(*, contest: Contest, email: str) -> bool:
    """Whether the contest refuses entries from this address outright."""
    exclusion = exclusion_of(contest)
    return exclusion.policy == Contest.ExcludedPolicy.REFUSED and exclusion.matches(email)


def entries_excluded(*, contest: Contest) -> QuerySet[Entry]:
    """The contest's entries sent from a listed address, whatever the policy: "refused"
    only stops new ones, so one sent before the address was listed is kept out too."""
    exclusion = exclusion_of(contest)
    if not exclusion.active:
        return Entry.objects.none()
    return Entry.objects.filter(contest=contest).filter(exclusion.query())


def entries_judgeable(*, contest: Contest) -> QuerySet[Entry]:
    """The public entries the jury may judge and the covers may use: entries_public, less
    those of the contest's listed staff. The jury's first round and the covers' candidates
    both start from it."""
    entries = entries_public(contest_id=contest.pk)
    exclusion = exclusion_of(contest)
    if not exclusion.active:
        return entries
    return entries.exclude(exclusion.query())


def public_domains(contest: Contest) -> list[str]:
    """What the rules page may name: the domains only, never a person's address."""
    return list(exclusion_of(contest).domains)
