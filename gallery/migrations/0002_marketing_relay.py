"""The community manager's role: Marketing relays photos and sees the vote statistics.

Moderators and the jury do not get it: relaying is a marketing decision, and vote bursts
name network addresses (as keyed hashes) that the other roles have no need to see.
"""

from django.db import migrations

from core.roles import roles_grant, roles_revoke

# Read by tests/conftest.py too, to make the groups again after a test flushed the database.
ROLES = {
    "Marketing": ["gallery.relay_photo", "gallery.view_vote"],
}



def grant(apps, schema_editor):
    roles_grant(apps, ROLES)


def revoke(apps, schema_editor):
    roles_revoke(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("gallery", "0001_initial"),
        ("contest", "0002_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
