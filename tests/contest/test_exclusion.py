"""Staff exclusion: the operator's staff are refused, or kept to the gallery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from contest import exclusion, services
from contest.admin import ContestAdminForm
from contest.models import Contest, Entry, Participant
from contest.selectors import entries_public
from photos import imaging
from photos.models import Photo
from photos.services import upload_policy
from tests.factories import EnrollmentFactory, ParticipantFactory, UserFactory
from tests.http import csrf_post, upload_data
from tests.images import upload

pytestmark = pytest.mark.django_db


def _draft(seed: int) -> services.EntryDraft:
    file = upload(f"p{seed}.jpg", seed=seed)
    info = imaging.inspect_upload(file, size=file.size, policy=upload_policy())
    return services.EntryDraft(upload=file, info=info, title="T", caption="C", theme=None)


def _rider(contest: Contest, email: str) -> Participant:
    participant = ParticipantFactory(user=UserFactory(email=email))
    EnrollmentFactory(contest=contest, participant=participant)
    return participant


def _exclude(contest: Contest, *, domains: str = "", emails: str = "", policy: str) -> None:
    contest.excluded_domains = domains
    contest.excluded_emails = emails
    contest.excluded_policy = policy
    contest.save()


def test_it_normalises_the_lists_typed_one_a_line_or_comma_separated(contest: Contest) -> None:
    data = {
        key: value
        for key, value in model_to_dict(contest).items()
        if value is not None and key not in ("brand_logo", "brand_header", "network")
    }
    data["opens_at"] = contest.opens_at.strftime("%Y-%m-%d %H:%M:%S")
    data["closes_at"] = contest.closes_at.strftime("%Y-%m-%d %H:%M:%S")
    data["excluded_domains"] = " Reseau.Example, @Staff.Other.example\n\nreseau.example;"
    data["excluded_emails"] = "Jean.Dupont@Gmail.com , jean.dupont@gmail.com\nami@asso.example"
    form = ContestAdminForm(data=data, instance=contest)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["excluded_domains"] == "reseau.example\nstaff.other.example"
    assert form.cleaned_data["excluded_emails"] == "jean.dupont@gmail.com\nami@asso.example"

    data["excluded_domains"] = "reseau.example, pas un domaine"
    data["excluded_emails"] = "jean@"
    form = ContestAdminForm(data=data, instance=contest)
    assert not form.is_valid()
    assert form.errors["excluded_domains"] == [
        "« pas » n'est pas un domaine d'adresse e-mail : écrivez-le comme reseau.example."
    ]
    assert form.errors["excluded_emails"] == ["« jean@ » n'est pas une adresse e-mail."]


def test_it_matches_a_domain_its_subdomains_and_an_address_but_not_a_lookalike() -> None:
    staff = exclusion.Exclusion(
        domains=("reseau.example",), emails=("ami@asso.example",), policy="refused"
    )
    assert staff.matches("Agent@Reseau.Example")
    assert staff.matches("agent@depot.reseau.example")
    assert staff.matches("ami@asso.example")
    assert not staff.matches("agent@notreseau.example")
    assert not staff.matches("reseau.example@gmail.com")
    assert not staff.matches("autre@asso.example")


def test_it_refuses_a_staff_entry_before_storing_anything(contest: Contest, tmp_path: Path) -> None:
    _exclude(contest, domains="reseau.example", policy=Contest.ExcludedPolicy.REFUSED)
    agent = _rider(contest, "agent@depot.reseau.example")
    named = _rider(contest, "ami@asso.example")
    contest.excluded_emails = "ami@asso.example"
    contest.save()

    for participant in (agent, named):
        with pytest.raises(services.EntryRefused) as refused:
            services.entry_submit(contest=contest, participant=participant, drafts=[_draft(1)])
        assert refused.value.message == (
            "Ce concours n'accepte pas les photos du personnel de l'exploitant, "
            "et votre adresse e-mail en fait partie."
        )
    assert not Entry.objects.exists()
    assert not Photo.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_it_takes_a_staff_entry_for_the_gallery_only(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    _exclude(contest, domains="reseau.example", policy=Contest.ExcludedPolicy.GALLERY_ONLY)
    agent = _rider(contest, "agent@reseau.example")
    [sent] = services.entry_submit(contest=contest, participant=agent, drafts=[_draft(1)])
    assert sent.pk

    staff_photo = approved(seed=2, participant=agent)
    rider_photo = approved(seed=3)
    assert set(entries_public(contest_id=contest.pk)) == {staff_photo, rider_photo}
    assert list(exclusion.entries_judgeable(contest=contest)) == [rider_photo]


def test_it_keeps_from_the_jury_a_photo_sent_before_its_address_was_listed(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    agent = _rider(contest, "agent@reseau.example")
    staff_photo = approved(seed=1, participant=agent)
    assert list(exclusion.entries_judgeable(contest=contest)) == [staff_photo]

    # "Refused" stops new entries; one already there is still never judged.
    _exclude(contest, emails="agent@reseau.example", policy=Contest.ExcludedPolicy.REFUSED)
    assert not exclusion.entries_judgeable(contest=contest).exists()
    assert list(exclusion.entries_excluded(contest=contest)) == [staff_photo]


def test_the_rules_page_names_the_policy_and_the_domains_but_no_address(
    contest: Contest, entrant_client: Client
) -> None:
    url = reverse("contest:rules", args=[contest.slug])
    assert "Le personnel de l'exploitant" not in entrant_client.get(url).content.decode()

    _exclude(
        contest,
        domains="reseau.example\nmistral.example",
        emails="secret.agent@gmail.com",
        policy=Contest.ExcludedPolicy.GALLERY_ONLY,
    )
    page = entrant_client.get(url).content.decode()
    assert "ne participent pas à la sélection du jury" in page
    assert "reseau.example, mistral.example" in page
    assert "secret.agent" not in page

    _exclude(contest, emails="secret.agent@gmail.com", policy=Contest.ExcludedPolicy.REFUSED)
    page = entrant_client.get(url).content.decode()
    assert "ses photos ne sont pas acceptées" in page
    assert "Sont concernées" not in page
    assert "secret.agent" not in page


def test_the_upload_page_tells_a_refused_staff_member_why(
    contest: Contest, entrant: Participant, entrant_client: Client, tmp_path: Path
) -> None:
    _exclude(contest, emails="Camille@Example.org", policy=Contest.ExcludedPolicy.REFUSED)
    url = reverse("contest:upload", args=[contest.slug])
    answer = csrf_post(
        entrant_client,
        url,
        upload_data((upload(seed=4), "Tram", "Un tram.", contest.themes.first())),
    )
    assert answer.status_code == 400
    assert "votre adresse e-mail en fait partie" in answer.content.decode()
    assert not Entry.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
