"""Each e-mail's words in French and English, text and HTML; dedup keys; the opt-out page."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

import pytest
from django.core import mail, signing
from django.test import Client

from core.mail import send_templated_mail
from notifications import services
from notifications.models import OptOut, OutboxMessage
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db

CONTEST = {"title": "Couvertures 2027", "brand_name": ""}
ENTRY = {"title": "Quai <nord>", "contest": CONTEST}
DIGEST = {
    "backlog": {
        "waiting": 2,
        "new": 1,
        "reported": 1,
        "oldest_since": datetime(2027, 3, 13, 7, 30, tzinfo=UTC),
        "contests": [{"title": "Couvertures 2027", "waiting": 2}],
    },
    "now": datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
    "hours": 24,
    "period_hours": 6,
    "queue_url": "http://testserver/moderation/",
}
LINK = "http://testserver/l?jeton=abc"
# template, context, French subject, English subject, words of the French and English bodies
EMAILS = [
    (
        "contest/email/signin",
        {"link": LINK, "for_vote": False, "hours": 1, "minutes": 0},
        "Votre lien de connexion au concours photo",
        "Your sign-in link for the photo contest",
        ("Ouvrez ce lien", "Open this link"),
    ),
    (
        "contest/email/parent",
        {"link": LINK, "child_email": "kid@example.org", "credit_name": "Lou", "days": 7},
        "Votre enfant souhaite participer à un concours photo",
        "Your child wants to take part in a photo contest",
        ("accord d'un parent", "agreement of a parent"),
    ),
    (
        "jury/email/invitation",
        {"contest": "Couvertures 2027", "link": LINK, "hours": 72},
        "Vous faites partie du jury de « Couvertures 2027 »",
        "You are on the jury of “Couvertures 2027”",
        ("jury du concours photo", "jury of the photo contest"),
    ),
    (
        "jury/email/reminder",
        {
            "contest": "Couvertures 2027",
            "done": 3,
            "total": 10,
            "deadline": "2027-04-01T18:00:00+00:00",
            "link": LINK,
        },
        "Des photos attendent votre vote : « Couvertures 2027 »",
        "Photos are waiting for your vote: “Couvertures 2027”",
        ("2027-04-01", "2027-04-01"),
    ),
    (
        "covers/email/proof",
        {
            "contest": "Couvertures 2027",
            "guide": "Ligne 7",
            "title": "Quai",
            "credit": "Photo : Lou",
            "url": LINK,
        },
        "Votre photo sera en couverture : Couvertures 2027",
        "Your photo will be on a cover: Couvertures 2027",
        ("Félicitations", "Congratulations"),
    ),
    (
        "covers/email/results",
        {"contest": "Couvertures 2027", "url": LINK},
        "Les résultats de « Couvertures 2027 » sont publiés",
        "The results of “Couvertures 2027” are out",
        ("Merci", "Thank you"),
    ),
    (
        "moderation/email/approved",
        {
            "entry": ENTRY,
            "contest": CONTEST,
            "credit_name": "Lou",
            "my_entries_url": LINK,
        },
        "Votre photo « Quai <nord> » est publiée",
        "Your photo “Quai <nord>” is published",
        ("Bonne nouvelle", "Good news"),
    ),
    (
        "moderation/email/refused",
        {
            "entry": ENTRY,
            "contest": CONTEST,
            "credit_name": "Lou",
            "reason": "Hors sujet",
            "note": "",
            "my_entries_url": LINK,
            "resend_url": LINK,
        },
        "Votre photo « Quai <nord> » n'a pas été retenue",
        "Your photo “Quai <nord>” was not accepted",
        ("Hors sujet", "Hors sujet"),
    ),
    (
        "moderation/email/report_answer",
        {"entry": ENTRY, "kept": True},
        "Votre signalement d'une photo du concours",
        "Your report on a contest photo",
        ("reste dans la galerie", "stays in the gallery"),
    ),
    (
        "moderation/email/digest",
        DIGEST,
        "2 photos en attente de modération",
        "2 photos waiting for moderation",
        ("Couvertures 2027 : 2 photos", "Couvertures 2027: 2 photos"),
    ),
]


@pytest.mark.parametrize(("template", "context", "subject_fr", "subject_en", "words"), EMAILS)
def test_it_writes_each_email_in_french_and_english_as_text_and_html(
    template: str,
    context: dict[str, object],
    subject_fr: str,
    subject_en: str,
    words: tuple[str, str],
) -> None:
    for language, subject, word in (("fr", subject_fr, words[0]), ("en", subject_en, words[1])):
        send_templated_mail(
            to="a@example.org", template=template, context=context, language=language
        )
        message = mail.outbox[-1]
        assert message.subject == subject
        [(html, mimetype)] = message.alternatives  # type: ignore[attr-defined]
        assert mimetype == "text/html"
        assert word in message.body
        assert f'lang="{language}"' in html
        # The HTML escapes what riders typed; the text part keeps it as typed.
        if "Quai <nord>" in message.body:
            assert "Quai &lt;nord&gt;" in html and "<nord>" not in html
        assert word in unescape(html)
        assert "&amp;" not in message.body and "&#x27;" not in message.body


def test_it_queues_a_key_once_however_often_it_is_queued(db: None) -> None:
    first = services.message_queue(
        key="results:1:2", to="a@example.org", template="t", context={}, language="fr"
    )
    again = services.message_queue(
        key="results:1:2", to="a@example.org", template="t", context={"x": 1}, language="en"
    )
    assert first == again
    assert OutboxMessage.objects.get().context == {}


def test_it_never_sends_a_sent_message_again_when_the_sweep_runs(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.message_queue(
        key="signin:1:x",
        to="a@example.org",
        template="contest/email/signin",
        context={"link": LINK, "hours": 1, "minutes": 0},
        language="fr",
    )
    assert len(deliver_mail()) == 1
    swept: list[int] = []
    monkeypatch.setattr(services.tasks.send_message, "delay", swept.append)
    assert services.messages_requeue() == 0
    assert not swept
    assert len(deliver_mail()) == 1


def _optout_path(email: str, kind: str) -> str:
    return services.optout_url(email=email, kind=kind).removeprefix("http://testserver")


def test_it_asks_before_opting_out_and_records_it_on_the_button(db: None) -> None:
    path = _optout_path("Sam@Example.org", "decision")
    page = Client().get(path)
    assert page.status_code == 200
    assert "Ne plus envoyer les nouvelles des photos que vous avez envoyées" in page.text
    assert not OptOut.objects.exists()  # a link scanner opening it opts nobody out
    done = Client(enforce_csrf_checks=True).post(path)
    assert "ne recevra plus" in done.text
    assert Client(enforce_csrf_checks=True).post(path).status_code == 200  # twice: no error
    assert list(OptOut.objects.values_list("email", "kind")) == [("sam@example.org", "decision")]


def test_it_lets_someone_who_opted_out_receive_the_mail_again(db: None) -> None:
    path = _optout_path("sam@example.org", "decision")
    client = Client(enforce_csrf_checks=True)
    client.post(path)
    again = Client().get(path)
    assert "ne reçoit déjà plus" in again.text
    assert "Recevoir à nouveau ces e-mails" in again.text
    back = client.post(path, {"action": "resubscribe"})
    assert "recevra à nouveau" in back.text
    assert not OptOut.objects.exists()
    assert "Ne plus recevoir ces e-mails" in back.text  # and can change their mind again


def test_it_refuses_a_forged_link_or_one_for_essential_mail(db: None) -> None:
    assert Client().post("/e-mails/desabonnement/forged/").status_code == 400
    token = signing.dumps({"e": "a@example.org", "k": "signin"}, salt=services.OPTOUT_SALT)
    response = Client().post(f"/e-mails/desabonnement/{token}/")
    assert response.status_code == 400
    assert "pas valide" in response.text
    assert not OptOut.objects.exists()


def test_it_sends_essential_mail_to_an_address_that_opted_out_of_everything(db: None) -> None:
    for kind in ("decision", "digest", "signin", "parent", "jury_invitation"):
        OptOut.objects.create(email="a@example.org", kind=kind)
    services.message_queue(
        key="signin:1:y",
        to="a@example.org",
        template="contest/email/signin",
        context={"link": LINK, "hours": 1, "minutes": 0},
        language="fr",
    )
    [message] = deliver_mail()
    assert "List-Unsubscribe" not in message.extra_headers
