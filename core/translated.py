"""Model fields written once per language (title_fr, title_en), read in the current one.

Staff enter a contest's own texts per language; the public reads the one of its interface and
falls back to the first language (French) where the other was left empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from translated_fields import TranslatedField


def _code(field: TranslatedField) -> str:
    # get_language() may be a variant ("fr-ca") or None (deactivate_all): map it onto a column.
    language = (get_language() or "").split("-")[0].lower()
    languages: list[str] = field.languages
    return language if language in languages else languages[0]


def _getter(name: str, field: TranslatedField) -> Callable[[Any], Any]:
    def get(instance: Any) -> Any:
        value = getattr(instance, f"{name}_{_code(field)}")
        return value or getattr(instance, f"{name}_{field.languages[0]}")

    return get


def _setter(name: str, field: TranslatedField) -> Callable[[Any, Any], None]:
    def set_(instance: Any, value: Any) -> None:
        setattr(instance, f"{name}_{_code(field)}", value)

    return set_


def translated(field: models.Field[Any, Any], **first_only: Any) -> Any:
    """`field` once per language in settings.LANGUAGES; only the first may be required.

    `first_only` options (e.g. help_text) apply to the first language's column alone.
    """
    first, *others = (code for code, _name in settings.LANGUAGES)
    specific: dict[str, dict[str, Any]] = {first: dict(first_only)}
    for code in others:
        specific[code] = {"blank": True, "help_text": _("Left empty, the French text is shown.")}
    return TranslatedField(field, specific, attrgetter=_getter, attrsetter=_setter)


def translated_columns(name: str) -> list[str]:
    """The columns of a translated field, first language first: for forms, admin and queries."""
    return [f"{name}_{code}" for code, _name in settings.LANGUAGES]
