"""The one entry point that sends e-mail: templates rendered in the recipient's language."""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def sender(name: str = "") -> str:
    """DEFAULT_FROM_EMAIL's address under `name` (a contest's operator), or as configured."""
    if not name:
        return settings.DEFAULT_FROM_EMAIL
    # Address quotes what needs quoting ("Bus, Tram & Co"); Django encodes it when sending.
    return str(Address(display_name=name, addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def send_templated_mail(
    *, to: str, template: str, context: dict[str, object], language: str, sender_name: str = ""
) -> None:
    """Renders templates/<template>_subject.txt and _body.txt in `language`, then sends.

    `sender_name` is the operator's name a contest is branded with: riders get mail from
    the network they know, not from the product.
    """
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    send_mail(subject, body, sender(sender_name), [to])
