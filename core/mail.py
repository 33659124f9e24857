"""The one entry point that sends e-mail: templates rendered in the recipient's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Brand:
    """Who the mail comes from and the HTML part's colours; empty: the configured ones."""

    name: str = ""
    colour: str = ""
    text_colour: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail (a winner's cover mock-up)."""

    filename: str
    content: bytes
    mimetype: str


def sender(name: str = "") -> str:
    """DEFAULT_FROM_EMAIL's address under `name` (a contest's operator), or as configured."""
    if not name:
        return settings.DEFAULT_FROM_EMAIL
    # Address quotes what needs quoting ("Bus, Tram & Co"); Django encodes it when sending.
    return str(Address(display_name=name, addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def send_templated_mail(
    *,
    to: str,
    template: str,
    context: dict[str, object],
    language: str,
    sender_name: str = "",
    brand: Brand | None = None,
    unsubscribe_url: str = "",
    attachments: Sequence[Attachment] = (),
) -> None:
    """Renders templates/<template>_subject.txt, _body.txt and _body.html in `language`,
    then sends them as one multipart/alternative message.

    The brand's name (a contest's operator) signs the mail: riders get mail from the network
    they know, not from the product. `unsubscribe_url` adds the List-Unsubscribe headers
    (RFC 8058 one-click) and a footer line; essential mail is sent without.
    """
    brand = brand or Brand(name=sender_name)
    context = {
        **context,
        "email_brand": Brand(
            name=brand.name or settings.EMAIL_BRAND_NAME,
            colour=brand.colour or settings.EMAIL_BRAND_COLOUR,
            text_colour=brand.text_colour or settings.EMAIL_BRAND_TEXT_COLOUR,
        ),
        "unsubscribe_url": unsubscribe_url,
        "attachments": [attachment.filename for attachment in attachments],
    }
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body: str = render_to_string(f"{template}_body.txt", context)
        try:
            html = get_template(f"{template}_body.html").render({**context, "subject": subject})
        except TemplateDoesNotExist:
            html = ""
        if unsubscribe_url:
            body = body.rstrip() + "\n\n-- \n" + _("To stop receiving these e-mails:") + "\n"
            body += unsubscribe_url + "\n"
        headers = {"Content-Language": language}
        if unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(subject, body, sender(brand.name), [to], headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()
