"""How long a visitor has to wait, for the pages that ask them to."""

from __future__ import annotations

import math
from datetime import timedelta

from django import template
from django.utils.dateparse import parse_duration

register = template.Library()


@register.filter
def minutes_to_wait(value: object) -> int | None:
    """Whole minutes, rounded up, of a timedelta or a duration string; None when unknown.

    django-axes gives its cool-off as an ISO 8601 string ("PT30M"), not readable as is.
    """
    duration = value if isinstance(value, timedelta) else parse_duration(str(value or ""))
    if duration is None or duration <= timedelta(0):
        return None
    return math.ceil(duration.total_seconds() / 60)
