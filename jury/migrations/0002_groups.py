"""The jury's roles: jurors judge, the chair runs rounds, marketing sees the results."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Read by tests/conftest.py too, to make the groups again after a test flushed the database.
ROLES = {
    "Jury": ["jury.judge_entry"],
    "Jury chair": ["jury.judge_entry", "jury.chair_jury", "jury.view_results"],
    "Marketing": ["jury.view_results"],
}


def _permissions(apps, codes):
    permission_model = apps.get_model("auth", "Permission")
    for code in codes:
        app_label, codename = code.split(".")
        yield permission_model.objects.get(content_type__app_label=app_label, codename=codename)


def grant(apps, schema_editor):
    # Permissions are normally made after migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    for name, codes in ROLES.items():
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, codes))


def revoke(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name, codes in ROLES.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, codes))


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0001_initial"),
        ("gallery", "0002_marketing_relay"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
