"""The jury's roles: jurors judge, the chair runs rounds, marketing sees the results."""

from django.db import migrations

from core.roles import roles_grant, roles_revoke

# Read by tests/conftest.py too, to make the groups again after a test flushed the database.
ROLES = {
    "Jury": ["jury.judge_entry"],
    "Jury chair": ["jury.judge_entry", "jury.chair_jury", "jury.view_results"],
    "Marketing": ["jury.view_results"],
}



def grant(apps, schema_editor):
    roles_grant(apps, ROLES)


def revoke(apps, schema_editor):
    roles_revoke(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0001_initial"),
        ("gallery", "0002_marketing_relay"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
