"""The staff roles as Django groups: Moderators (moderation only), Jury, Marketing."""

from django.db import migrations

from core.roles import roles_grant, roles_revoke

ROLES = {
    "Moderators": ["contest.moderate_entry"],
    "Jury": [],
    "Marketing": [],
}



def grant(apps, schema_editor):
    roles_grant(apps, ROLES)


def revoke(apps, schema_editor):
    roles_revoke(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("contest", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
