"""Every covers URL against every persona: who gets in, who is sent away, who changes nothing.

The URLs come from covers.urls itself, so a page added later is checked too. Staff pages
need the password login: marketing and the chair edit guides, crops and the allocation;
the chair alone locks and publishes. The winner's proof opens with its token only; the
winners page is public once the results are out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from contest.models import Contest, Entry, Participant
from core.access import PASSWORD_BACKEND
from covers import services, urls
from covers.models import CoverEvent, CreditProof, Guide, Mockup, Pick, PrintPackage

pytestmark = pytest.mark.django_db

LINK_BACKEND = "sesame.backends.ModelBackend"
PERSONAS = ("anonymous", "entrant", "other_entrant", "moderator", "juror", "chair", "marketing")
SIGNED_IN_BY_LINK = {"entrant", "other_entrant", "juror"}
LOCK_PAGES = {"lock", "unlock", "publish"}
PUBLIC_PAGES = {"proof", "proof_image", "winners", "winner_image"}
ALLOWED = {"edit": {"chair", "marketing"}, "lock": {"chair"}}


def kind_of(name: str) -> str:
    if name in PUBLIC_PAGES:
        return "public"
    return "lock" if name in LOCK_PAGES else "edit"


@pytest.fixture
def samples(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> dict[str, Any]:
    """A locked allocation: one cover, its mock-up, its built package and its proof."""
    [entry] = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    package = PrintPackage.objects.get(guide=guide)
    services.package_build(package_id=package.pk)
    return {
        "slug": contest.slug,
        "guide_id": guide.pk,
        "entry_id": entry.pk,
        "slot": 0,
        "package_id": package.pk,
        "mockup_id": Mockup.objects.get(guide=guide, entry=entry).pk,
        "token": CreditProof.objects.get(entry=entry).token,
        "pick_id": Pick.objects.get(guide=guide).pk,
    }


def login(request: pytest.FixtureRequest, persona: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        person = request.getfixturevalue(persona)
        backend = LINK_BACKEND if persona in SIGNED_IN_BY_LINK else PASSWORD_BACKEND
        client.force_login(getattr(person, "user", person), backend=backend)
    return client


def url_of(pattern: URLPattern, samples: dict[str, Any]) -> str:
    names = set(pattern.pattern.converters)  # type: ignore[attr-defined]
    missing = names - set(samples)
    assert not missing, f"no sample for {missing} of covers:{pattern.name}: add one"
    return reverse(f"covers:{pattern.name}", kwargs={name: samples[name] for name in names})


def _send(client: Client, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    if "csrftoken" not in client.cookies:
        client.get(reverse("contest:home"))
    return client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def check(kind: str, persona: str, method: str, response: Any, where: str) -> None:
    status, location = response.status_code, response.get("Location", "")
    if kind == "public":
        assert status in {200, 302, 400, 404, 405}, f"{where}: {status}"
        return
    if persona in ALLOWED[kind]:
        assert status in ({200, 302} if method == "get" else {200, 302, 400}), f"{where}: {status}"
        assert not location.startswith(reverse("admin:login")), f"{where}: sent to {location}"
    elif persona == "anonymous" or persona in SIGNED_IN_BY_LINK:
        # A link proves a mailbox, not a staff member: the staff login, with its password.
        assert status == 302 and location.startswith(reverse("admin:login")), f"{where}: {status}"
    else:
        assert status == 403, f"{where}: {status}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_covers_page_opens_only_to_whom_it_belongs(
    persona: str, request: pytest.FixtureRequest, samples: dict[str, Any]
) -> None:
    client = login(request, persona)
    before = CoverEvent.objects.exclude(action=CoverEvent.Action.CONFIRM).count()
    seen = set()
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern) and pattern.name
        url = url_of(pattern, samples)
        for method in ("get", "post"):
            response = _send(client, method, url)
            if response.status_code == 405:
                continue
            check(kind_of(pattern.name), persona, method, response, f"{persona} {method} {url}")
        seen.add(pattern.name)
    assert seen == {p.name for p in urls.urlpatterns}
    if persona not in ALLOWED["edit"]:
        # Nobody without the role changed anything.
        assert CoverEvent.objects.exclude(action=CoverEvent.Action.CONFIRM).count() == before


def test_the_proof_needs_its_token_and_shows_only_its_own_cover(
    samples: dict[str, Any], client: Client, contest: Contest
) -> None:
    assert (
        client.get("/couvertures/credit/00000000-0000-0000-0000-000000000000/").status_code == 404
    )
    other = Guide.objects.create(contest=contest, name="Autre")
    url = reverse("covers:proof_image", args=[samples["token"], other.pk])
    assert client.get(url).status_code == 404
    own = reverse("covers:proof_image", args=[samples["token"], samples["guide_id"]])
    response = client.get(own)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
