"""Staff roles as Django groups: the one way the data migrations grant their permissions.

Each app's roles migration holds a ROLES dict ({"group name": ["app_label.codename", ...]})
and calls these with the migration's `apps` registry; tests/conftest.py reads the same dicts
to make the groups again after a test flushed the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.contrib.auth.management import create_permissions

Roles = Mapping[str, Sequence[str]]


def _permissions(apps: Any, codes: Iterable[str]) -> Iterator[Any]:
    permission_model = apps.get_model("auth", "Permission")
    for code in codes:
        app_label, codename = code.split(".")
        yield permission_model.objects.get(content_type__app_label=app_label, codename=codename)


def roles_grant(apps: Any, roles: Roles) -> None:
    """Creates each group and gives it its permissions (idempotent)."""
    # Permissions are normally made after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    for name, codes in roles.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, codes))


def roles_revoke(apps: Any, roles: Roles) -> None:
    group_model = apps.get_model("auth", "Group")
    for name, codes in roles.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, codes))
