"""Staff roles as Django groups, and the page each role's work starts from.

Each app's roles migration holds a ROLES dict ({"group name": ["app_label.codename", ...]})
and calls roles_grant with the migration's `apps` registry; tests/conftest.py reads the same
dicts to make the groups again after a test flushed the database.

The staff sign-in sends each person to their role's page: the apps above this one register
at start-up (on_staff_homes) which of their pages a user's roles open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import User

Roles = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class StaffHome:
    """A page a staff member's work starts from: the moderation queue, a jury's chair page."""

    label: str
    url: str


StaffHomes = Callable[[User], Iterable[StaffHome]]
_homes: list[tuple[int, StaffHomes]] = []


def on_staff_homes(homes: StaffHomes, *, order: int) -> None:
    """Registers an app's pages for the roles it defines; lower `order` is offered first."""
    if all(registered is not homes for _order, registered in _homes):
        _homes.append((order, homes))
        _homes.sort(key=lambda pair: pair[0])


def staff_homes(*, user: User) -> list[StaffHome]:
    """The pages the user's roles open, in the registered order, each once."""
    found: list[StaffHome] = []
    for _order, homes in _homes:
        found.extend(home for home in homes(user) if home not in found)
    return found


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
