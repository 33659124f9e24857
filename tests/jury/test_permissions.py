"""Every jury URL, both halves, against every persona: who gets in, who is sent away.

The URLs come from jury.urls itself, so a page added later is checked too (its arguments
need a sample below, or the test says which one is missing). Jurors and riders sign in by
link, staff with their password, as they do for real:

- jurors' pages: the contest's jurors get them (200 or a redirect; 400 for an empty form),
  everyone else 403, anonymous visitors are sent to the sign-in page;
- the chair's pages: the chair only; other staff 403; anyone signed in by link (a juror, a
  rider, even the chair) and anonymous visitors are sent to the staff login;
- results, report and scores export: the chair and marketing, never through a link.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from contest.models import Contest
from core.access import PASSWORD_BACKEND
from jury import urls
from jury.models import Juror, JuryEvent, Round, RoundEntry, Task
from tests.conftest import _staff_in
from tests.jury.conftest import JURY_PERSONAS

pytestmark = pytest.mark.django_db

LINK_BACKEND = "sesame.backends.ModelBackend"
# Riders and jurors sign in by e-mailed link; the chair, moderators and marketing by password.
SIGNED_IN_BY_LINK = {"entrant", "other_entrant", "juror", "other_juror"}
JURORS = {"juror", "other_juror"}
CHAIR_PAGES = {
    "chair",
    "juror_invite",
    "juror_remove",
    "panel_update",
    "round_create",
    "round",
    "round_activate",
    "round_start_status",
    "round_pause",
    "round_quorum",
    "round_close",
    "round_entry_disqualify",
    "round_rules",
    "round_casting",
}
RESULTS_PAGES = {"results", "report", "scores_csv"}
CHAIR_ACTIONS = {
    JuryEvent.Action.INVITE,
    JuryEvent.Action.REMOVE,
    JuryEvent.Action.CREATE,
    JuryEvent.Action.START,
    JuryEvent.Action.ACTIVATE,
    JuryEvent.Action.PAUSE,
    JuryEvent.Action.RESUME,
    JuryEvent.Action.CLOSE,
    JuryEvent.Action.QUORUM,
    JuryEvent.Action.DISQUALIFY,
    JuryEvent.Action.REQUALIFY,
    JuryEvent.Action.CASTING,
}


def kind_of(name: str) -> str:
    if name in CHAIR_PAGES:
        return "chair"
    if name in RESULTS_PAGES:
        return "results"
    return "juror"


# Who may open each kind of page (the persona a 405 is checked against, too).
ALLOWED = {"juror": JURORS, "chair": {"chair"}, "results": {"chair", "marketing"}}
PRIVILEGED = {"juror": "juror", "chair": "chair", "results": "marketing"}


def login(request: pytest.FixtureRequest, persona: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if persona != "anonymous":
        person = request.getfixturevalue(persona)
        backend = LINK_BACKEND if persona in SIGNED_IN_BY_LINK else PASSWORD_BACKEND
        client.force_login(getattr(person, "user", person), backend=backend)
    return client


@pytest.fixture
def samples(
    request: pytest.FixtureRequest,
    contest: Contest,
    active_round: Any,
    juror: object,
    other_juror: object,
) -> dict[str, Any]:
    """A started yes/no round, and a fourth juror the chair may remove."""
    round: Round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=3)
    fourth = _staff_in("Jury", "quatre@studio.example")
    leaver = Juror.objects.create(contest=contest, user=fourth, alias="J4")  # type: ignore[misc]
    tasks = {
        seat.user_id: Task.objects.filter(round=round, juror=seat).order_by("pk").first()
        for seat in Juror.objects.filter(contest=contest)
    }
    return {
        "contest": contest,
        "round": round,
        "leaver": leaver,
        "round_entry": RoundEntry.objects.filter(round=round).order_by("pk").first(),
        "tasks": tasks,
        "juror": juror,
        "other_juror": other_juror,
    }


def url_of(pattern: URLPattern, samples: dict[str, Any], persona: str) -> str:
    person = samples.get(persona)
    # A juror's own task, for the jurors; someone's for the others (who must not get it).
    task = (
        samples["tasks"].get(getattr(person, "pk", None)) or samples["tasks"][samples["juror"].pk]
    )
    values = {
        "slug": samples["contest"].slug,
        "round_id": samples["round"].pk,
        "juror_id": samples["leaver"].pk,
        "round_entry_id": samples["round_entry"].pk,
        "task_id": task.pk,
        "spec": "thumb",
        "fmt": "jpeg",
    }
    names = set(pattern.pattern.converters)  # type: ignore[attr-defined]
    missing = names - set(values)
    assert not missing, f"no sample for {missing} of jury:{pattern.name}: add one to this test"
    return reverse(f"jury:{pattern.name}", kwargs={name: values[name] for name in names})


def check(kind: str, persona: str, method: str, response: Any, where: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    if persona in ALLOWED[kind]:
        allowed = {200, 302} if method == "get" else {200, 302, 400}
        assert status in allowed, f"{where}: {status}"
        if status == 302:
            assert not location.startswith((reverse("admin:login"), reverse("contest:signin"))), (
                f"{where}: sent to {location}"
            )
        return
    if kind == "juror":
        if persona == "anonymous":
            assert status == 302 and location.startswith(reverse("contest:signin")), where
        else:
            assert status == 403, f"{where}: {status}"
        return
    if persona == "anonymous" or persona in SIGNED_IN_BY_LINK:
        # A link proves a mailbox, not a staff member: the staff login, with its password.
        assert status == 302 and location.startswith(reverse("admin:login")), f"{where}: {status}"
    else:
        assert status == 403, f"{where}: {status}"


@pytest.mark.parametrize("persona", JURY_PERSONAS)
def test_every_jury_page_opens_only_to_whom_it_belongs(
    persona: str, request: pytest.FixtureRequest, samples: dict[str, Any]
) -> None:
    client = login(request, persona)
    probes = {kind: login(request, who) for kind, who in PRIVILEGED.items()}
    before = JuryEvent.objects.filter(action__in=CHAIR_ACTIONS).count()
    seen = set()
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        assert pattern.name
        kind = kind_of(pattern.name)
        url = url_of(pattern, samples, persona)
        for method in ("get", "post"):
            response = _send(client, method, url)
            where = f"{persona} {method.upper()} jury:{pattern.name} {url}"
            if response.status_code == 405:
                # The page does not take this method at all: it says so to everyone, the
                # persona it is for included, and so reveals nothing.
                probe = _send(probes[kind], method, url_of(pattern, samples, PRIVILEGED[kind]))
                assert probe.status_code == 405, f"{where}: 405 for this persona only"
                continue
            check(kind, persona, method, response, where)
        seen.add(pattern.name)
    assert seen >= CHAIR_PAGES | RESULTS_PAGES
    if persona != "chair":
        # Nobody but the chair changed anything the chair decides.
        assert JuryEvent.objects.filter(action__in=CHAIR_ACTIONS).count() == before
        samples["leaver"].refresh_from_db()
        assert samples["leaver"].active


def _send(client: Client, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    if "csrftoken" not in client.cookies:
        client.get(reverse("contest:home"))
    return client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})


@pytest.mark.parametrize("name", sorted(CHAIR_PAGES | RESULTS_PAGES))
def test_the_chair_signed_in_by_link_is_sent_to_the_staff_login(
    name: str, chair: object, samples: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(chair, backend=LINK_BACKEND)  # type: ignore[arg-type]
    pattern = next(p for p in urls.urlpatterns if p.name == name)
    response = client.get(url_of(pattern, samples, "chair"))  # type: ignore[arg-type]
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_chair_page_of_an_unknown_round_or_contest_is_not_found(
    chair: object, samples: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(chair)  # type: ignore[arg-type]
    slug = samples["contest"].slug
    assert client.get(reverse("jury:round", args=[slug, 999_999])).status_code == 404
    assert client.get(reverse("jury:chair", args=["pas-un-concours"])).status_code == 404
    assert client.get(reverse("jury:results", args=["pas-un-concours"])).status_code == 404
