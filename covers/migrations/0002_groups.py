"""The covers' roles: marketing and the jury chair edit guides, crops and the allocation;
the chair alone locks it and publishes the results."""

from django.db import migrations

from core.roles import roles_grant, roles_revoke

# Read by tests/conftest.py too, to make the groups again after a test flushed the database.
ROLES = {
    "Marketing": ["covers.edit_covers"],
    "Jury chair": ["covers.edit_covers", "covers.lock_covers"],
}


def grant(apps, schema_editor):
    roles_grant(apps, ROLES)


def revoke(apps, schema_editor):
    roles_revoke(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("covers", "0001_initial"),
        ("jury", "0002_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
