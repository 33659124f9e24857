"""The one entry point that sends e-mail: templates rendered in the recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_mail(
    *, to: str, template: str, context: dict[str, object], language: str
) -> None:
    """Renders templates/<template>_subject.txt and _body.txt in `language`, then sends."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
