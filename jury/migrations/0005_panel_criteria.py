from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0004_round_start_job_task_fks"),
    ]

    operations = [
        migrations.AddField(
            model_name="panel",
            name="criteria",
            field=models.JSONField(blank=True, default=list, verbose_name="criteria"),
        ),
    ]
